//! Open data end to end: `agenda.ics` read back by a third-party iCalendar parser, its
//! recurrence expanded by the `rrule` crate across the Europe/Paris clock change and
//! compared with our occurrences; scoping, 304s, takedowns and hostile filters.

use crate::both_backends;
use crate::helpers::{Backend, TestApp};
use crate::rights::{City, Who, city};
use chrono::{DateTime, NaiveDateTime, TimeZone, Timelike, Utc};
use icalendar::parser::{Component, read_calendar, unfold};
use serde_json::{Value, json};
use std::collections::BTreeSet;

const PARIS: chrono_tz::Tz = chrono_tz::Europe::Paris;
const CREATE: &str = "mutation($input: EventInput!) { createEvent(input: $input) { id slug } }";
const PUBLISH: &str =
    "mutation($id: ID!) { publish(kind: EVENT, id: $id, expectedVersion: 1) { __typename } }";

fn paris(raw: &str) -> DateTime<Utc> {
    let naive = NaiveDateTime::parse_from_str(raw, "%Y-%m-%d %H:%M").unwrap();
    PARIS
        .from_local_datetime(&naive)
        .single()
        .unwrap()
        .with_timezone(&Utc)
}

/// Creates an event as `who` and publishes it unless `draft`; returns its id.
async fn event(city: &City, who: Who, input: Value, draft: bool) -> String {
    let token = city.token(who).unwrap();
    let created = city
        .app
        .query_as(token, CREATE, json!({ "input": input }))
        .await;
    let id = created["createEvent"]["id"].as_str().unwrap().to_owned();
    if !draft {
        city.app.query_as(token, PUBLISH, json!({ "id": id })).await;
    }
    id
}

async fn get(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut req = app.client.get(format!("{}{path}", app.address));
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    req.send().await.expect("request")
}

/// The JSON a GET of `path` answers.
async fn json_at(app: &TestApp, path: &str) -> Value {
    get(app, path, &[]).await.json().await.unwrap()
}

fn prop<'a>(component: &'a Component<'a>, name: &str) -> Option<&'a str> {
    component.find_prop(name).map(|p| p.val.as_str())
}

fn param<'a>(component: &'a Component<'a>, prop_name: &str, param: &str) -> Option<&'a str> {
    component
        .find_prop(prop_name)?
        .params
        .iter()
        .find(|p| p.key == param)
        .and_then(|p| p.val.as_ref())
        .map(|v| v.as_str())
}

fn events<'a>(calendar: &'a [Component<'a>]) -> Vec<&'a Component<'a>> {
    calendar.iter().filter(|c| c.name == "VEVENT").collect()
}

both_backends!(the_agenda_as_icalendar, |b: Backend| async move {
    let city = city(b).await;
    let app = &city.app;
    // A Saturday market at 09:00 Paris time across the clock change of 28 March 2027,
    // with one Saturday off (3 April).
    let market = event(
        &city,
        Who::Publisher,
        json!({
            "departmentId": city.culture,
            "title": "Marché du samedi",
            "startsAt": paris("2027-03-13 09:00"),
            "endsAt": paris("2027-03-13 12:30"),
            "timeZone": "Europe/Paris",
            "recurrence": {
                "rule": "FREQ=WEEKLY;BYDAY=SA;UNTIL=20270424T235959Z",
                "exceptionDates": [paris("2027-04-03 09:00")],
            },
        }),
        false,
    )
    .await;
    let long_title = "Fête de la musique; concerts, bals et scènes ouvertes — programme complet de la soirée à l'Hôtel de Ville";
    let cancelled = event(
        &city,
        Who::Publisher,
        json!({
            "departmentId": city.culture,
            "title": long_title,
            "body": "Ligne 1\nLigne 2, avec virgule; et point-virgule \\ fin",
            "startsAt": paris("2027-03-20 20:00"),
            "endsAt": paris("2027-03-20 23:00"),
            "status": "CANCELLED",
        }),
        false,
    )
    .await;
    let all_day = event(
        &city,
        Who::Publisher,
        json!({
            "departmentId": city.culture,
            "title": "Journée portes ouvertes",
            "startsAt": paris("2027-04-10 00:00"),
            "endsAt": paris("2027-04-11 00:00"),
            "allDay": true,
        }),
        false,
    )
    .await;
    event(
        &city,
        Who::Publisher,
        json!({ "departmentId": city.culture, "title": "Brouillon secret", "startsAt": paris("2027-03-15 10:00") }),
        true,
    )
    .await;
    event(
        &city,
        Who::OtherPublisher,
        json!({ "departmentId": city.sports, "title": "Tournoi de judo", "startsAt": paris("2027-03-21 14:00") }),
        false,
    )
    .await;

    let path = "/opendata/agenda.ics?from=2027-03-01&to=2027-05-01";
    let response = get(app, path, &[]).await;
    assert_eq!(response.status(), 200);
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    assert_eq!(header("content-type"), "text/calendar; charset=utf-8");
    assert!(header("content-disposition").contains("filename=\"agenda.ics\""));
    assert_eq!(header("access-control-allow-origin"), "*");
    let etag = header("etag");
    assert!(!etag.is_empty());
    let body = response.text().await.unwrap();

    // Syntax: CRLF everywhere, no physical line over 75 octets.
    assert!(!body.replace("\r\n", "").contains('\n'), "bare LF");
    for line in body.split("\r\n") {
        assert!(line.len() <= 75, "{} octets: {line}", line.len());
    }
    let unfolded = unfold(&body);
    let calendar = read_calendar(&unfolded).expect("a parser reads it");
    assert_eq!(
        calendar
            .properties
            .iter()
            .find(|p| p.name == "VERSION")
            .map(|p| p.val.as_str()),
        Some("2.0")
    );
    let zones: Vec<&Component> = calendar
        .components
        .iter()
        .filter(|c| c.name == "VTIMEZONE")
        .collect();
    assert_eq!(zones.len(), 1, "one VTIMEZONE per zone used");
    assert_eq!(prop(zones[0], "TZID"), Some("Europe/Paris"));
    let vevents = events(&calendar.components);
    let uids: BTreeSet<&str> = vevents.iter().filter_map(|e| prop(e, "UID")).collect();
    assert_eq!(vevents.len(), 4, "published only: {uids:?}");
    assert_eq!(uids.len(), 4, "stable, distinct UIDs");
    let by_uid = |id: &str| {
        *vevents
            .iter()
            .find(|e| prop(e, "UID") == Some(&format!("{id}@silo")))
            .unwrap_or_else(|| panic!("no event {id}"))
    };
    for e in &vevents {
        assert!(prop(e, "DTSTAMP").unwrap().ends_with('Z'));
        if let Some(zone) = param(e, "DTSTART", "TZID") {
            assert_eq!(zone, "Europe/Paris", "every TZID has its VTIMEZONE");
        }
    }
    assert!(!body.contains("Brouillon secret"));

    // Text survives escaping and folding; a cancelled event stays, cancelled.
    let fete = by_uid(&cancelled);
    assert_eq!(prop(fete, "STATUS"), Some("CANCELLED"));
    let summary = prop(fete, "SUMMARY").unwrap();
    assert_eq!(summary, long_title, "the parser unescapes what we escaped");
    assert!(body.contains("Fête de la musique\\; concerts\\, bals"));
    let description = prop(fete, "DESCRIPTION").unwrap();
    assert!(
        description.contains("Ligne 1\nLigne 2, avec virgule; et point-virgule \\ fin"),
        "{description}"
    );

    // All day: dates, the end exclusive.
    let open_day = by_uid(&all_day);
    assert_eq!(param(open_day, "DTSTART", "VALUE"), Some("DATE"));
    assert_eq!(prop(open_day, "DTSTART"), Some("20270410"));
    assert_eq!(prop(open_day, "DTEND"), Some("20270411"));

    // The market: RRULE with UNTIL in UTC and EXDATE, not expanded; the rrule crate
    // expands it to exactly our occurrences, at 09:00 in Paris on both sides of the change.
    let weekly = by_uid(&market);
    assert_eq!(param(weekly, "DTSTART", "TZID"), Some("Europe/Paris"));
    assert_eq!(prop(weekly, "DTSTART"), Some("20270313T090000"));
    let rule = prop(weekly, "RRULE").unwrap();
    assert!(rule.contains("UNTIL=20270424T235959Z"), "{rule}");
    assert_eq!(param(weekly, "EXDATE", "TZID"), Some("Europe/Paris"));
    let set: rrule::RRuleSet = format!(
        "DTSTART;TZID=Europe/Paris:{}\nRRULE:{rule}\nEXDATE;TZID=Europe/Paris:{}",
        prop(weekly, "DTSTART").unwrap(),
        prop(weekly, "EXDATE").unwrap()
    )
    .parse()
    .expect("rrule reads DTSTART, RRULE and EXDATE");
    let theirs: Vec<DateTime<Utc>> = set
        .all(100)
        .dates
        .iter()
        .map(|d| d.with_timezone(&Utc))
        .collect();
    let ours: Vec<DateTime<Utc>> = app
        .store
        .event_occurrences(
            uuid::Uuid::parse_str(&market).unwrap(),
            paris("2027-01-01 00:00"),
            paris("2028-01-01 00:00"),
            100,
        )
        .await
        .unwrap()
        .iter()
        .map(|o| o.starts_at)
        .collect();
    assert_eq!(theirs, ours);
    assert_eq!(
        ours.len(),
        6,
        "13, 20, 27 March, 10, 17, 24 April: {ours:?}"
    );
    assert!(ours.iter().all(|t| t.with_timezone(&PARIS).hour() == 9));
    assert_eq!(ours[2].hour(), 8, "27 March: UTC+1");
    assert_eq!(ours[3].hour(), 7, "10 April: UTC+2");
    assert!(!ours.contains(&paris("2027-04-03 09:00")));

    // A site's feed holds its channel only.
    let site_feed = get(
        app,
        "/opendata/sites/culture-site/agenda.ics?from=2027-03-01&to=2027-05-01",
        &[],
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(site_feed.contains("Marché du samedi"));
    assert!(!site_feed.contains("Tournoi de judo"));
    assert!(body.contains("Tournoi de judo"));
    let category = get(app, &format!("{path}&department=sports"), &[])
        .await
        .text()
        .await
        .unwrap();
    assert!(category.contains("Tournoi de judo") && !category.contains("Marché du samedi"));

    // Unchanged: 304 without a body. A takedown changes the answer at once.
    let again = get(app, path, &[("If-None-Match", &etag)]).await;
    assert_eq!(again.status(), 304);
    assert!(again.text().await.unwrap().is_empty());
    app.query_as(
        city.token(Who::Publisher).unwrap(),
        "mutation($id: ID!) { unpublish(kind: EVENT, id: $id, reason: \"erreur\") { __typename } }",
        json!({ "id": market }),
    )
    .await;
    let after = get(app, path, &[("If-None-Match", &etag)]).await;
    assert_eq!(after.status(), 200);
    assert_ne!(after.headers()["etag"].to_str().unwrap(), etag);
    assert!(!after.text().await.unwrap().contains("Marché du samedi"));

    // Compressed when asked.
    let gzipped = get(app, path, &[("Accept-Encoding", "gzip")]).await;
    assert_eq!(gzipped.headers()["content-encoding"], "gzip");
    let brotli = get(app, path, &[("Accept-Encoding", "br")]).await;
    assert_eq!(brotli.headers()["content-encoding"], "br");
    // If-Modified-Since: 304 until the next change.
    let fresh = get(app, path, &[]).await;
    let modified = fresh.headers()["last-modified"]
        .to_str()
        .unwrap()
        .to_owned();
    let unchanged = get(app, path, &[("If-Modified-Since", &modified)]).await;
    assert_eq!(unchanged.status(), 304);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    app.query_as(
        city.token(Who::Publisher).unwrap(),
        "mutation($id: ID!) { unpublish(kind: EVENT, id: $id, reason: \"erreur\") { __typename } }",
        json!({ "id": all_day }),
    )
    .await;
    let changed = get(app, path, &[("If-Modified-Since", &modified)]).await;
    assert_eq!(changed.status(), 200);
});

both_backends!(
    hostile_filters_are_400s_naming_the_parameter,
    |b: Backend| async move {
        let city = city(b).await;
        let app = &city.app;
        for (query, parameter) in [
            ("from=yesterday", "from"),
            ("from=2027-13-45", "from"),
            ("to=%27%20OR%201%3D1--", "to"),
            ("from=2027-05-01&to=2027-04-01", "to"),
            ("category=no-such-category", "category"),
            ("department=%00%01", "department"),
            ("site=nowhere", "site"),
            ("from=2027-01-01&from=2027-02-01", "from"),
        ] {
            let response = get(app, &format!("/opendata/agenda.ics?{query}"), &[]).await;
            assert_eq!(response.status(), 400, "{query}");
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["parameter"], parameter, "{query}: {body}");
            assert_eq!(body["error"], "BAD_USER_INPUT");
        }
        let response = get(app, "/opendata/sites/nowhere/agenda.ics", &[]).await;
        assert_eq!(response.status(), 400);
    }
);

/// Checks a CSV against a Table Schema: header, required, unique, maxLength, enum,
/// pattern, number bounds, datetime and uri formats. Returns the rows by column name.
fn conforming(csv_text: &str, schema: &Value) -> Vec<std::collections::HashMap<String, String>> {
    let fields = schema["fields"].as_array().unwrap();
    let names: Vec<&str> = fields.iter().map(|f| f["name"].as_str().unwrap()).collect();
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(header, names, "the schema's columns, in order");
    let mut rows = Vec::new();
    let mut seen: std::collections::HashMap<&str, BTreeSet<String>> = Default::default();
    for (n, record) in reader.records().enumerate() {
        let record = record.expect("well-formed CSV");
        let mut row = std::collections::HashMap::new();
        for (field, value) in fields.iter().zip(record.iter()) {
            let name = field["name"].as_str().unwrap();
            let at = format!("row {n}, {name} = {value:?}");
            let c = &field["constraints"];
            if value.is_empty() {
                assert_ne!(c["required"], true, "{at}: required");
                continue;
            }
            if let Some(max) = c["maxLength"].as_u64() {
                assert!(
                    value.chars().count() as u64 <= max,
                    "{at}: longer than {max}"
                );
            }
            if let Some(allowed) = c["enum"].as_array() {
                assert!(
                    allowed.iter().any(|a| a == value),
                    "{at}: not in {allowed:?}"
                );
            }
            if let Some(pattern) = c["pattern"].as_str() {
                let re = regex::Regex::new(&format!("^(?:{pattern})$")).unwrap();
                assert!(re.is_match(value), "{at}: does not match {pattern}");
            }
            match field["type"].as_str().unwrap() {
                "integer" | "number" => {
                    let v: f64 = value
                        .parse()
                        .unwrap_or_else(|_| panic!("{at}: not a number"));
                    if let Some(min) = c["minimum"].as_f64() {
                        assert!(v >= min, "{at}");
                    }
                    if let Some(max) = c["maximum"].as_f64() {
                        assert!(v <= max, "{at}");
                    }
                    if field["type"] == "integer" {
                        assert!(value.parse::<i64>().is_ok(), "{at}: not an integer");
                    }
                }
                "datetime" => {
                    assert!(value.ends_with('Z'), "{at}: UTC");
                    DateTime::parse_from_rfc3339(value).unwrap_or_else(|_| panic!("{at}"));
                }
                _ => {}
            }
            if field["format"] == "uri" {
                assert!(value.starts_with("http"), "{at}: not a URI");
            }
            if c["unique"] == true {
                assert!(
                    seen.entry(name).or_default().insert(value.to_owned()),
                    "{at}: repeated"
                );
            }
            row.insert(name.to_owned(), value.to_owned());
        }
        rows.push(row);
    }
    rows
}

both_backends!(the_agenda_as_tables, |b: Backend| async move {
    let city = city(b).await;
    let app = &city.app;
    let market = event(
        &city,
        Who::Publisher,
        json!({
            "departmentId": city.culture,
            "title": format!("Marché du samedi {}", "très ".repeat(40)),
            "summary": "Producteurs locaux, chaque samedi; \"bio\", frais,\nà deux pas.",
            "startsAt": paris("2027-03-13 09:00"),
            "endsAt": paris("2027-03-13 12:30"),
            "recurrence": { "rule": "FREQ=WEEKLY;BYDAY=SA;COUNT=4" },
            "status": "MOVED_ONLINE",
            "ageRange": { "min": 6, "max": 12 },
        }),
        false,
    )
    .await;
    event(
        &city,
        Who::Publisher,
        json!({ "departmentId": city.culture, "title": "Brouillon secret", "startsAt": paris("2027-03-15 10:00") }),
        true,
    )
    .await;
    let query = "from=2027-03-01&to=2027-05-01";
    let package: Value = get(
        app,
        &format!("/opendata/agenda/datapackage.json?{query}"),
        &[],
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(package["licenses"][0]["name"], "etalab-2.0");
    let mut tables = std::collections::HashMap::new();
    for resource in package["resources"].as_array().unwrap() {
        let path = resource["path"]
            .as_str()
            .unwrap()
            .trim_start_matches(&app.address)
            .to_owned();
        let schema_path = resource["schema"]
            .as_str()
            .unwrap()
            .trim_start_matches(&app.address)
            .to_owned();
        let schema: Value = get(app, &schema_path, &[]).await.json().await.unwrap();
        let response = get(app, &path, &[]).await;
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(
            response.headers()["content-type"],
            "text/csv; charset=utf-8"
        );
        assert!(
            response.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .contains(".csv")
        );
        let text = response.text().await.unwrap();
        assert!(text.ends_with("\r\n"));
        let name = resource["name"].as_str().unwrap().to_owned();
        tables.insert(name, conforming(&text, &schema));
    }
    let events = &tables["evenements"];
    assert_eq!(events.len(), 1, "published only");
    let row = &events[0];
    assert_eq!(row["uid"], format!("{market}@silo"));
    assert_eq!(row["status"], "movedOnline");
    assert_eq!(
        row["title_fr"].chars().count(),
        140,
        "clipped to the schema's limit"
    );
    assert_eq!(
        row["description_fr"],
        "Producteurs locaux, chaque samedi; \"bio\", frais, à deux pas."
    );
    assert_eq!(row["firstdate_begin"], "2027-03-13T08:00:00Z");
    assert_eq!(
        row["lastdate_begin"], "2027-04-03T07:00:00Z",
        "09:00 in Paris after the change"
    );
    assert_eq!(row["age_min"], "6");
    assert!(row["rrule"].starts_with("FREQ=WEEKLY"));
    // Occurrences: the foreign key holds, one row per occurrence in the window.
    let occurrences = &tables["occurrences"];
    assert_eq!(occurrences.len(), 4);
    assert!(occurrences.iter().all(|o| o["event_uid"] == row["uid"]));
    let keys: BTreeSet<(String, String)> = occurrences
        .iter()
        .map(|o| (o["event_uid"].clone(), o["begin"].clone()))
        .collect();
    assert_eq!(keys.len(), 4, "primary key (event_uid, begin) unique");
    // Scoped like every export.
    let sports = get(
        app,
        &format!("/opendata/evenements.csv?{query}&department=sports"),
        &[],
    )
    .await
    .text()
    .await
    .unwrap();
    assert_eq!(sports.lines().count(), 1, "the header only: {sports}");
});

both_backends!(the_agenda_as_schema_org_json_ld, |b: Backend| async move {
    let city = city(b).await;
    let app = &city.app;
    let publisher = city.token(Who::Publisher).unwrap();
    let place = app
        .query_as(
            publisher,
            "mutation { createPlace(input: {name: \"Esplanade\", streetAddress: \"1 quai des Mariniers\", postalCode: \"44000\", city: \"Nantes\", latitude: 47.21, longitude: -1.55}) { id } }",
            json!({}),
        )
        .await;
    let market = event(
        &city,
        Who::Publisher,
        json!({
            "departmentId": city.culture,
            "title": "Marché du samedi",
            "startsAt": paris("2027-03-13 09:00"),
            "endsAt": paris("2027-03-13 12:30"),
            "placeId": place["createPlace"]["id"],
            "free": true,
            "recurrence": {
                "rule": "FREQ=WEEKLY;BYDAY=SA;UNTIL=20270424T235959Z",
                "exceptionDates": [paris("2027-04-03 09:00")],
            },
            "ageRange": { "min": 6, "max": 12 },
        }),
        false,
    )
    .await;
    let draft = city.draft("event", city.culture, 1).await;

    let response = get(
        app,
        "/opendata/agenda.jsonld?from=2027-03-01&to=2027-05-01",
        &[],
    )
    .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/ld+json");
    let document: Value = response.json().await.expect("valid JSON");
    assert_eq!(document["@context"], "https://schema.org");
    let graph = document["@graph"].as_array().unwrap();
    assert_eq!(graph.len(), 1, "published only");
    let node = &graph[0];
    // Google's required properties, and the recommended ones we have.
    assert_eq!(node["@type"], "Event");
    assert_eq!(node["name"], "Marché du samedi");
    assert_eq!(
        node["startDate"], "2027-03-13T09:00:00+01:00",
        "with its offset"
    );
    assert_eq!(node["endDate"], "2027-03-13T12:30:00+01:00");
    assert_eq!(node["location"]["@type"], "Place");
    assert_eq!(node["location"]["address"]["@type"], "PostalAddress");
    assert_eq!(node["location"]["address"]["postalCode"], "44000");
    assert_eq!(node["location"]["geo"]["latitude"], 47.21);
    assert_eq!(node["eventStatus"], "https://schema.org/EventScheduled");
    assert_eq!(
        node["eventAttendanceMode"],
        "https://schema.org/OfflineEventAttendanceMode"
    );
    assert_eq!(node["isAccessibleForFree"], true);
    assert_eq!(node["offers"]["price"], "0");
    assert_eq!(node["typicalAgeRange"], "6-12");
    let schedule = &node["eventSchedule"];
    assert_eq!(schedule["repeatFrequency"], "P1W");
    assert_eq!(schedule["byDay"], json!(["https://schema.org/Saturday"]));
    assert_eq!(schedule["startTime"], "09:00:00");
    assert_eq!(schedule["scheduleTimezone"], "Europe/Paris");
    assert_eq!(schedule["endDate"], "2027-04-25");
    assert_eq!(schedule["exceptDate"], json!(["2027-04-03T09:00:00+02:00"]));

    // One event's document, at the URL every export gives for it.
    let url = node["url"].as_str().unwrap();
    let path = url.trim_start_matches(&app.address);
    let one: Value = get(app, path, &[]).await.json().await.unwrap();
    assert_eq!(one["@context"], "https://schema.org");
    assert_eq!(one["identifier"], format!("{market}@silo"));
    let hidden = get(
        app,
        &format!("/opendata/events/{}.jsonld", draft.slug()),
        &[],
    )
    .await;
    assert_eq!(hidden.status(), 404, "a draft is not public");
});

both_backends!(
    every_format_holds_the_same_events_across_pages,
    |b: Backend| async move {
        // The demo city: a thousand events, several pages of every export.
        let app = crate::helpers::spawn_app(b).await;
        let window = "from=2000-01-01&to=2100-01-01";
        let jsonld: Value = get(&app, &format!("/opendata/agenda.jsonld?{window}"), &[])
            .await
            .json()
            .await
            .expect("one valid JSON document whatever the pages");
        let from_jsonld: BTreeSet<String> = jsonld["@graph"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["identifier"].as_str().unwrap().to_owned())
            .collect();
        assert!(from_jsonld.len() > 500, "{} events", from_jsonld.len());
        let ics = get(&app, &format!("/opendata/agenda.ics?{window}"), &[])
            .await
            .text()
            .await
            .unwrap();
        assert!(ics.ends_with("END:VCALENDAR\r\n"));
        let unfolded = unfold(&ics);
        let calendar = read_calendar(&unfolded).unwrap();
        let from_ics: BTreeSet<String> = events(&calendar.components)
            .iter()
            .map(|e| prop(e, "UID").unwrap().to_owned())
            .collect();
        let csv_text = get(&app, &format!("/opendata/evenements.csv?{window}"), &[])
            .await
            .text()
            .await
            .unwrap();
        let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
        let from_csv: BTreeSet<String> =
            reader.records().map(|r| r.unwrap()[0].to_owned()).collect();
        assert_eq!(from_ics, from_jsonld);
        assert_eq!(from_csv, from_jsonld);
        // `silo export agenda` writes the same bytes as the endpoint.
        let query: Vec<(String, String)> = vec![
            ("from".into(), "2000-01-01".into()),
            ("to".into(), "2100-01-01".into()),
        ];
        let store = std::sync::Arc::new(app.store.clone());
        let mut file = Vec::new();
        let mut progress = 0;
        let written = silo_api::opendata::write_agenda(
            store.clone(),
            silo_api::opendata::ExportFormat::Ics,
            &query,
            &app.address,
            &mut file,
            |n| progress = n,
        )
        .await
        .unwrap();
        assert_eq!(written as usize, file.len());
        assert_eq!(progress, written);
        assert_eq!(String::from_utf8(file).unwrap(), ics);
        let refused = silo_api::opendata::write_agenda(
            store,
            silo_api::opendata::ExportFormat::Json,
            &[("from".into(), "demain".into())],
            &app.address,
            &mut Vec::new(),
            |_| {},
        )
        .await
        .unwrap_err();
        assert!(refused.to_string().starts_with("from:"), "{refused}");
    }
);

both_backends!(
    the_json_api_pages_and_a_mirror_syncs_with_tombstones,
    |b: Backend| async move {
        let city = city(b).await;
        let app = &city.app;
        let publisher = city.token(Who::Publisher).unwrap();
        let mut ids = Vec::new();
        for n in 0..3 {
            let input = json!({
                "departmentId": city.culture,
                "title": format!("Concert {n}"),
                "startsAt": paris(&format!("2027-03-1{n} 20:00")),
                "status": if n == 2 { "FULL" } else { "SCHEDULED" },
            });
            ids.push(event(&city, Who::Publisher, input, false).await);
        }
        let window = "from=2027-03-01&to=2027-05-01";
        let first: Value = get(app, &format!("/opendata/agenda.json?{window}&size=2"), &[])
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(first["events"].as_array().unwrap().len(), 2);
        let after = first["after"].as_str().expect("a next page");
        let second: Value = get(
            app,
            &format!("/opendata/agenda.json?{window}&size=2&after={after}"),
            &[],
        )
        .await
        .json()
        .await
        .unwrap();
        assert_eq!(second["events"].as_array().unwrap().len(), 1);
        assert!(second["after"].is_null());
        let all: Vec<&Value> = first["events"]
            .as_array()
            .unwrap()
            .iter()
            .chain(second["events"].as_array().unwrap())
            .collect();
        let full = all
            .iter()
            .find(|e| e["title"]["fr"] == "Concert 2")
            .unwrap();
        assert_eq!(full["status"], 5, "OpenAgenda's code for full");
        assert_eq!(full["timings"][0]["begin"], "2027-03-12T19:00:00Z");
        assert_eq!(full["state"], 2);

        // A mirror synced at `since`: one event edited, one taken down, one deleted.
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        let since = Utc::now();
        app.query_as(
            publisher,
            "mutation($id: ID!, $d: ID!, $at: DateTime!) { updateEvent(id: $id, expectedVersion: 2, input: {departmentId: $d, title: \"Concert 0 (nouvelle salle)\", startsAt: $at}) { id } }",
            json!({ "id": ids[0], "d": city.culture, "at": paris("2027-03-10 20:00") }),
        )
        .await;
        app.query_as(
            publisher,
            "mutation($id: ID!) { unpublish(kind: EVENT, id: $id, reason: \"annulé\") { __typename } }",
            json!({ "id": ids[1] }),
        )
        .await;
        app.query_as(
            publisher,
            "mutation($id: ID!) { deleteEvent(id: $id, expectedVersion: 2) { id } }",
            json!({ "id": ids[2] }),
        )
        .await;
        let since = since.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        let sync: Value = json_at(
            app,
            &format!(
                "/opendata/agenda.json?{window}&updated_since={}",
                since.replace('+', "%2B")
            ),
        )
        .await;
        let titles: Vec<&str> = sync["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["title"]["fr"].as_str().unwrap())
            .collect();
        assert_eq!(titles, ["Concert 0 (nouvelle salle)"], "changed items only");
        let tombstones = sync["tombstones"].as_array().unwrap();
        let gone: Vec<(String, bool)> = tombstones
            .iter()
            .map(|t| {
                (
                    t["uid"].as_str().unwrap().to_owned(),
                    t["deleted"].as_bool().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            gone,
            [
                (format!("{}@silo", ids[1]), false),
                (format!("{}@silo", ids[2]), true)
            ]
        );
        // The JSON-LD graph syncs the same way: the changed events, then the tombstones.
        let graph: Value = json_at(
            app,
            &format!(
                "/opendata/agenda.jsonld?{window}&updated_since={}",
                since.replace('+', "%2B")
            ),
        )
        .await;
        let names: Vec<&str> = graph["@graph"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["Concert 0 (nouvelle salle)"]);
        assert_eq!(&graph["tombstones"], &sync["tombstones"]);
        let full = json_at(app, &format!("/opendata/agenda.jsonld?{window}")).await;
        assert!(full.get("tombstones").is_none(), "a full export has none");

        for (query, parameter) in [
            ("size=0", "size"),
            ("size=301", "size"),
            ("after=not-a-cursor", "after"),
            ("updated_since=hier", "updated_since"),
        ] {
            let response = get(app, &format!("/opendata/agenda.json?{query}"), &[]).await;
            assert_eq!(response.status(), 400, "{query}");
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["parameter"], parameter, "{query}");
        }
    }
);

both_backends!(
    the_dcat_catalog_lists_every_dataset,
    |b: Backend| async move {
        let city = city(b).await;
        let app = &city.app;
        let catalog: Value = get(app, "/opendata/catalog.jsonld", &[])
            .await
            .json()
            .await
            .unwrap();
        // DCAT-AP 3 mandatory properties (catalog: title, description, publisher; dataset:
        // title, description; distribution: accessURL), typed referenced nodes.
        assert_eq!(catalog["@type"][0], "dcat:Catalog");
        assert!(catalog["dct:title"].is_string() && catalog["dct:description"].is_string());
        assert_eq!(catalog["dct:publisher"]["foaf:name"], "Ville");
        assert_eq!(catalog["dct:license"]["@type"], "dct:LicenseDocument");
        assert_eq!(catalog["dct:license"]["dct:identifier"], "etalab-2.0");
        let datasets = catalog["dcat:dataset"].as_array().unwrap();
        assert_eq!(
            datasets.len(),
            5,
            "the city's agenda, the three directories, the culture site's agenda"
        );
        let ids: BTreeSet<&str> = datasets
            .iter()
            .map(|d| d["dct:identifier"].as_str().unwrap())
            .collect();
        assert_eq!(ids.len(), 5, "distinct, stable identifiers");
        for dataset in datasets {
            assert_eq!(dataset["@id"], dataset["dct:identifier"]);
            assert!(dataset["dct:title"].is_string() && dataset["dct:description"].is_string());
            for distribution in dataset["dcat:distribution"].as_array().unwrap() {
                let url = distribution["dcat:accessURL"]["@id"].as_str().unwrap();
                assert!(distribution["dcat:mediaType"]["@id"].is_string());
                assert_eq!(distribution["dct:license"]["dct:identifier"], "etalab-2.0");
                // Every distribution answers.
                let path = url.trim_start_matches(&app.address);
                assert_eq!(get(app, path, &[]).await.status(), 200, "{url}");
            }
        }
        assert_eq!(
            catalog["hydra:view"]["@type"],
            "hydra:PartialCollectionView"
        );
        assert!(
            catalog["hydra:view"].get("hydra:next").is_none(),
            "one page"
        );
        let bad = get(app, "/opendata/catalog.jsonld?page=9", &[]).await;
        assert_eq!(bad.status(), 400);
    }
);

both_backends!(the_associations_directory_as_csv, |b: Backend| async move {
    let app = crate::helpers::spawn_app(b).await;
    let response = get(&app, "/opendata/associations.csv", &[]).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    let text = response.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(header, silo_domain::directory_table::ASSOCIATION_COLUMNS);
    let siret = regex::Regex::new(r"^\d{14}$").unwrap();
    let rna = regex::Regex::new(r"^W\d{9}$").unwrap();
    let mut ids = BTreeSet::new();
    for record in reader.records() {
        let record = record.expect("well-formed CSV");
        assert!(ids.insert(record[0].to_owned()), "unique id");
        assert!(!record[1].is_empty(), "nom");
        assert!(
            record[4].is_empty() || siret.is_match(&record[4]),
            "{:?}",
            &record[4]
        );
        assert!(
            record[5].is_empty() || rna.is_match(&record[5]),
            "{:?}",
            &record[5]
        );
        DateTime::parse_from_rfc3339(&record[17]).expect("date_maj");
    }
    let published = app
        .store
        .associations_page(&Default::default(), None, None, 100_000)
        .await
        .unwrap();
    assert_eq!(ids.len(), published.len());
    assert!(ids.len() > 1);
});

both_backends!(
    the_services_as_data_inclusion_json,
    |b: Backend| async move {
        let app = crate::helpers::spawn_app(b).await;
        let response = get(&app, "/opendata/services.json", &[]).await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "application/json");
        let services: Value = response.json().await.expect("one JSON array");
        let services = services.as_array().unwrap();
        // data.inclusion's own JSON Schema (service 1.0.9), formats checked too.
        let schema: Value =
            serde_json::from_str(include_str!("standards/data-inclusion-service.json")).unwrap();
        let validator = jsonschema::options()
            .should_validate_formats(true)
            .build(&schema)
            .unwrap();
        for service in services {
            let errors: Vec<String> = validator
                .iter_errors(service)
                .map(|e| e.to_string())
                .collect();
            assert!(errors.is_empty(), "{errors:?} in {service}");
        }
        let ids: BTreeSet<&str> = services.iter().map(|s| s["id"].as_str().unwrap()).collect();
        assert_eq!(ids.len(), services.len(), "unique ids");
        let published = app
            .store
            .services_page(&Default::default(), None, None, 100_000)
            .await
            .unwrap();
        assert_eq!(services.len(), published.len());
        assert!(
            services.iter().any(|s| s["horaires_accueil"].is_string()),
            "opening hours in OSM syntax"
        );
        // The demo's town hall carries the SCDL schema's example code: one conforming row.
        let text = get(&app, "/opendata/equipements.csv", &[])
            .await
            .text()
            .await
            .unwrap();
        let schema: Value =
            serde_json::from_str(include_str!("standards/scdl-equipements.json")).unwrap();
        let rows = conforming(&text, &schema);
        assert_eq!(rows.len(), 1, "{text}");
        assert_eq!(rows[0]["EQUIP_TYPE"], "Mairie");
    }
);

both_backends!(
    the_facilities_as_the_scdl_equipements_table,
    |b: Backend| async move {
        let city = city(b).await;
        let app = &city.app;
        let publisher = city.token(Who::Publisher).unwrap();
        let place = app
        .query_as(
            publisher,
            "mutation { createPlace(input: {name: \"Hôtel de ville\", streetAddress: \"1 bis, place de l’Hôtel-de-Ville\", postalCode: \"44000\", city: \"Nantes\", latitude: 47.218371, longitude: -1.553621}) { id } }",
            json!({}),
        )
        .await;
        let create =
            "mutation($input: PublicServiceInput!) { createPublicService(input: $input) { id } }";
        let publish = "mutation($id: ID!) { publish(kind: PUBLIC_SERVICE, id: $id, expectedVersion: 1) { __typename } }";
        let mut ids = Vec::new();
        for (name, equipment) in [
            (
                "Mairie centrale",
                json!({ "code": "01010401-001", "theme": "ADMINISTRATIVE", "typeName": "Mairie" }),
            ),
            ("Guichet sans nomenclature", Value::Null),
        ] {
            let created = app
                .query_as(
                    publisher,
                    create,
                    json!({ "input": {
                        "departmentId": city.culture, "kind": "FACILITY", "name": name,
                        "placeId": place["createPlace"]["id"], "equipment": equipment,
                        "openingHours": "Mo-Fr 08:30-12:00,13:30-17:30; PH off",
                        "phone": "02 40 41 90 00", "email": "mairie@ville.fr",
                    }}),
                )
                .await;
            let id = created["createPublicService"]["id"].clone();
            app.query_as(publisher, publish, json!({ "id": id })).await;
            ids.push(id);
        }
        // A malformed nomenclature code is refused, naming the field.
        let (_, body) = app
        .post_as(
            Some(publisher),
            create,
            json!({ "input": { "departmentId": city.culture, "kind": "FACILITY", "name": "Piscine",
                "equipment": { "code": "1234", "theme": "SPORT_AND_LEISURE", "typeName": "Piscine" } } }),
            None,
        )
        .await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{body}"
        );

        let response = get(app, "/opendata/equipements.csv", &[]).await;
        assert_eq!(response.status(), 200);
        let text = response.text().await.unwrap();
        let schema: Value =
            serde_json::from_str(include_str!("standards/scdl-equipements.json")).unwrap();
        let rows = conforming(&text, &schema);
        assert_eq!(
            rows.len(),
            1,
            "only the service the schema can describe: {text}"
        );
        let row = &rows[0];
        assert_eq!(row["COLL_SIRET"], crate::helpers::TEST_CITY_SIRET);
        assert_eq!(row["EQUIP_UID"], "44109-01010401-001");
        assert_eq!(row["EQUIP_THEME"], "Equipement administratif");
        assert_eq!(row["ADR_NUMERO"], "1 bis");
        assert_eq!(row["ADR_NOMVOIE"], "place de l'Hôtel-de-Ville");
        assert_eq!(row["EQUIP_TEL"], "+33 240419000");
        assert_eq!(
            row["EQUIP_OUVERTURE"],
            "Mo-Fr 08:30-12:00,13:30-17:30; PH off"
        );
        // The catalog lists it, conforming to the SCDL schema.
        let catalog: Value = get(app, "/opendata/catalog.jsonld", &[])
            .await
            .json()
            .await
            .unwrap();
        assert!(catalog.to_string().contains("scdl/equipements/0.1.5"));
    }
);

/// The `.export` files of a server's snapshot directory, and whether any export was
/// left half-written.
fn snapshot_files(app: &TestApp) -> (Vec<String>, bool) {
    let names: Vec<String> = std::fs::read_dir(app.data_dir.join("exports"))
        .map(|dir| {
            dir.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    let partial = names.iter().any(|n| n.ends_with(".partial"));
    (
        names
            .into_iter()
            .filter(|n| n.ends_with(".export"))
            .collect(),
        partial,
    )
}

both_backends!(
    exports_are_served_again_from_snapshots_never_stale,
    |b: Backend| async move {
        let city = city(b).await;
        let app = &city.app;
        let id = event(
            &city,
            Who::Publisher,
            json!({ "departmentId": city.culture, "title": "Bal du printemps", "startsAt": paris("2027-03-20 20:00") }),
            false,
        )
        .await;
        let path = "/opendata/agenda.ics?from=2027-03-01&to=2027-05-01";
        let first = get(app, path, &[]).await.text().await.unwrap();
        assert!(first.contains("Bal du printemps"));
        let (files, partial) = snapshot_files(app);
        assert_eq!(files.len(), 1, "the first answer is kept: {files:?}");
        assert!(!partial);
        // The same request: the same bytes and headers, from the snapshot.
        let again = get(app, path, &[]).await;
        assert_eq!(
            again.headers()["content-type"],
            "text/calendar; charset=utf-8"
        );
        assert_eq!(again.text().await.unwrap(), first);
        let gzipped = get(app, path, &[("Accept-Encoding", "gzip")]).await;
        assert_eq!(gzipped.headers()["content-encoding"], "gzip");
        assert_eq!(snapshot_files(app).0, files);
        // Another host writes other links: its own snapshot.
        let other_host = get(app, path, &[("Host", "agenda.example.org")]).await;
        let other_host = other_host.text().await.unwrap();
        assert!(other_host.contains("http://agenda.example.org/opendata/events/"));
        assert_eq!(snapshot_files(app).0.len(), 2);

        // Any write: the next answer is read afresh, and older snapshots are swept.
        let token = city.token(Who::Publisher).unwrap();
        let renamed = app
            .query_as(
                token,
                "mutation($id: ID!, $input: EventInput!) { updateEvent(id: $id, input: $input, expectedVersion: 2) { publication { version } } }",
                json!({ "id": id, "input": { "departmentId": city.culture, "title": "Bal de l'été", "startsAt": paris("2027-03-20 20:00") } }),
            )
            .await;
        assert_eq!(
            renamed["updateEvent"]["publication"]["version"], 3,
            "{renamed}"
        );
        let fresh = get(app, path, &[]).await.text().await.unwrap();
        assert!(fresh.contains("Bal de l'été") && !fresh.contains("Bal du printemps"));
        let (files, _) = snapshot_files(app);
        assert_eq!(
            files.len(),
            1,
            "only the current change's snapshot: {files:?}"
        );
        app.query_as(
            token,
            "mutation($id: ID!) { unpublish(kind: EVENT, id: $id, reason: \"erreur\") { __typename } }",
            json!({ "id": id }),
        )
        .await;
        let taken_down = get(app, path, &[]).await.text().await.unwrap();
        assert!(!taken_down.contains("Bal de l'été"));
    }
);
