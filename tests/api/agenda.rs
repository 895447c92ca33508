//! The agenda: occurrences in a window, paging, filters, single events.

use crate::both_backends;
use crate::helpers::{Backend, TestApp, demo_now, spawn_app};
use serde_json::{Value, json};
use std::collections::HashSet;

const PAGE: &str = r#"query($filter: EventFilter, $first: Int, $after: String) {
  events(filter: $filter, first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id startsAt event { id slug title free status
      ageRange { min max } accessibility { wheelchair }
      department { slug } place { name latitude longitude } categories { slug } } } }
  }
}"#;

fn window() -> Value {
    let from = demo_now();
    json!({ "from": from.to_rfc3339(), "to": (from + chrono::Duration::days(45)).to_rfc3339() })
}

/// Every occurrence node of the filter, walking pages of `first`.
async fn walk(app: &TestApp, filter: Value, first: i64) -> Vec<Value> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let data = app
            .query(
                PAGE,
                json!({ "filter": filter, "first": first, "after": after }),
            )
            .await;
        let conn = &data["events"];
        out.extend(
            conn["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["node"].clone()),
        );
        if !conn["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            return out;
        }
        after = Some(conn["pageInfo"]["endCursor"].as_str().unwrap().to_owned());
        assert!(out.len() < 100_000, "paging does not end");
    }
}

fn key(node: &Value) -> (String, String) {
    (
        node["startsAt"].as_str().unwrap().to_owned(),
        node["id"].as_str().unwrap().to_owned(),
    )
}

both_backends!(
    pages_cover_the_window_without_duplicates_or_gaps,
    |b: Backend| async move {
        let app = spawn_app(b).await;
        let small = walk(&app, window(), 7).await;
        let large = walk(&app, window(), 100).await;
        assert!(
            small.len() > 30,
            "the demo city has events in 45 days: {}",
            small.len()
        );
        let ids: Vec<_> = small.iter().map(|n| n["id"].clone()).collect();
        let unique: HashSet<_> = ids.iter().map(|v| v.to_string()).collect();
        assert_eq!(unique.len(), ids.len(), "duplicate occurrence across pages");
        assert_eq!(
            ids,
            large.iter().map(|n| n["id"].clone()).collect::<Vec<_>>(),
            "page size changed the sequence"
        );
        // Dates are RFC 3339 in UTC, so string order is time order.
        let keys: Vec<_> = small.iter().map(key).collect();
        assert!(keys.windows(2).all(|w| w[0] <= w[1]), "not in start order");
        let (from, to) = (
            window()["from"].as_str().unwrap().to_owned(),
            window()["to"].as_str().unwrap().to_owned(),
        );
        for n in &small {
            let at = chrono::DateTime::parse_from_rfc3339(n["startsAt"].as_str().unwrap()).unwrap();
            assert!(at >= chrono::DateTime::parse_from_rfc3339(&from).unwrap());
            assert!(at < chrono::DateTime::parse_from_rfc3339(&to).unwrap());
        }
    }
);

both_backends!(
    a_weekly_event_appears_once_per_week,
    |b: Backend| async move {
        let app = spawn_app(b).await;
        let nodes = walk(&app, window(), 100).await;
        let mut per_event: std::collections::HashMap<String, Vec<String>> = Default::default();
        for n in &nodes {
            per_event
                .entry(n["event"]["slug"].as_str().unwrap().to_owned())
                .or_default()
                .push(n["startsAt"].as_str().unwrap().to_owned());
        }
        let repeated: Vec<_> = per_event.iter().filter(|(_, v)| v.len() >= 3).collect();
        assert!(
            !repeated.is_empty(),
            "a recurring market should appear several times in 45 days"
        );
        for (slug, starts) in repeated {
            let data = app
            .query(
                r#"query($slug: String) { event(slug: $slug) { recurrence { rule exceptionDates }
                     occurrences(from: "2026-06-15T08:00:00Z", to: "2026-07-30T08:00:00Z", first: 100) { startsAt } } }"#,
                json!({ "slug": slug }),
            )
            .await;
            let ev = &data["event"];
            assert!(
                ev["recurrence"]["rule"].as_str().is_some(),
                "{slug} repeats without a rule"
            );
            let own: Vec<String> = ev["occurrences"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| o["startsAt"].as_str().unwrap().to_owned())
                .collect();
            assert_eq!(
                &own, starts,
                "the agenda and the event disagree on {slug}'s occurrences"
            );
            let exceptions: Vec<&str> = ev["recurrence"]["exceptionDates"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d.as_str().unwrap())
                .collect();
            for skipped in exceptions {
                assert!(
                    !own.iter().any(|s| s == skipped),
                    "exception date {skipped} still listed"
                );
            }
            let days: HashSet<_> = own.iter().map(|s| &s[..10]).collect();
            assert_eq!(days.len(), own.len(), "{slug}: two occurrences on one day");
        }
    }
);

both_backends!(filters_narrow_the_agenda, |b: Backend| async move {
    let app = spawn_app(b).await;
    let all = walk(&app, window(), 100).await;
    let with = |extra: Value| {
        let mut f = window();
        f.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        f
    };
    // category
    let cat = all
        .iter()
        .flat_map(|n| n["event"]["categories"].as_array().unwrap().clone())
        .next()
        .expect("a category");
    let slug = cat["slug"].as_str().unwrap();
    let hits = walk(&app, with(json!({ "categories": [slug] })), 100).await;
    assert!(!hits.is_empty() && hits.len() < all.len());
    assert!(hits.iter().all(|n| {
        n["event"]["categories"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["slug"] == slug)
    }));
    // free
    let free = walk(&app, with(json!({ "free": true })), 100).await;
    assert!(!free.is_empty() && free.iter().all(|n| n["event"]["free"] == true));
    assert_eq!(
        free.len(),
        all.iter().filter(|n| n["event"]["free"] == true).count()
    );
    // department
    let dept = all[0]["event"]["department"]["slug"].as_str().unwrap();
    let in_dept = walk(&app, with(json!({ "departments": [dept] })), 100).await;
    assert!(!in_dept.is_empty());
    // status
    let cancelled = walk(&app, with(json!({ "status": ["CANCELLED"] })), 100).await;
    assert!(
        cancelled
            .iter()
            .all(|n| n["event"]["status"] == "CANCELLED")
    );
    assert_eq!(
        cancelled.len(),
        all.iter()
            .filter(|n| n["event"]["status"] == "CANCELLED")
            .count()
    );
    // audience
    let kids = walk(&app, with(json!({ "audience": 8 })), 100).await;
    assert!(kids.iter().all(|n| {
        let r = &n["event"]["ageRange"];
        r["min"].as_i64().is_none_or(|m| m <= 8) && r["max"].as_i64().is_none_or(|m| m >= 8)
    }));
    // accessibility
    let wheel = walk(&app, with(json!({ "accessibility": ["WHEELCHAIR"] })), 100).await;
    assert!(
        wheel
            .iter()
            .all(|n| n["event"]["accessibility"]["wheelchair"] == true)
    );
    assert_eq!(
        wheel.len(),
        all.iter()
            .filter(|n| n["event"]["accessibility"]["wheelchair"] == true)
            .count()
    );
    // near: every hit within the radius, every event of the full list within it is a hit
    let place = all
        .iter()
        .map(|n| &n["event"]["place"])
        .find(|p| p["latitude"].is_number())
        .unwrap();
    let (lat, lon) = (
        place["latitude"].as_f64().unwrap(),
        place["longitude"].as_f64().unwrap(),
    );
    let near = walk(
        &app,
        with(json!({ "near": { "latitude": lat, "longitude": lon, "radiusKm": 1.0 } })),
        100,
    )
    .await;
    assert!(!near.is_empty());
    let dist = |p: &Value| {
        let here = silo_domain::field::GeoPoint {
            latitude: lat,
            longitude: lon,
        };
        here.distance_km(&silo_domain::field::GeoPoint {
            latitude: p["latitude"].as_f64().unwrap(),
            longitude: p["longitude"].as_f64().unwrap(),
        })
    };
    assert!(near.iter().all(|n| dist(&n["event"]["place"]) <= 1.01));
    let expected = all
        .iter()
        .filter(|n| {
            n["event"]["place"]["latitude"].is_number() && dist(&n["event"]["place"]) <= 0.99
        })
        .count();
    assert!(
        near.len() >= expected,
        "near missed events: {} < {expected}",
        near.len()
    );
});

both_backends!(a_site_sees_only_its_channel, |b: Backend| async move {
    let app = spawn_app(b).await;
    let all = walk(&app, window(), 100).await;
    let culture = walk(
        &app,
        {
            let mut f = window();
            f["site"] = json!("culture");
            f
        },
        100,
    )
    .await;
    assert!(
        !culture.is_empty() && culture.len() < all.len(),
        "culture {} of {}",
        culture.len(),
        all.len()
    );
    // The same list through the site header.
    let (status, body) = app
        .post(
            PAGE,
            json!({ "filter": window(), "first": 100 }),
            Some("culture"),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let first_page: Vec<_> = body["data"]["events"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].clone())
        .collect();
    let expected: Vec<_> = culture.iter().take(100).map(|n| n["id"].clone()).collect();
    assert_eq!(first_page, expected);
    let site = app
        .query(
            r#"{ site(slug: "culture") { slug departments { slug } } }"#,
            json!({}),
        )
        .await;
    assert!(!site["site"]["departments"].as_array().unwrap().is_empty());
});

both_backends!(an_event_by_slug_or_id, |b: Backend| async move {
    let app = spawn_app(b).await;
    let first = &walk(&app, window(), 5).await[0];
    let slug = first["event"]["slug"].as_str().unwrap();
    let id = first["event"]["id"].as_str().unwrap();
    let q = r#"query($slug: String, $id: ID) { event(slug: $slug, id: $id) { id slug title bodyHtml timeZone organizer { __typename ... on Association { name } ... on Department { name } } } }"#;
    let by_slug = app.query(q, json!({ "slug": slug })).await;
    let by_id = app.query(q, json!({ "id": id })).await;
    assert_eq!(by_slug, by_id);
    assert_eq!(by_slug["event"]["slug"], slug);
    assert_eq!(by_slug["event"]["timeZone"], "Europe/Paris");
});

both_backends!(drafts_are_never_public, |b: Backend| async move {
    use sea_orm::{ConnectionTrait, Statement};
    let app = spawn_app(b).await;
    let db = app.store.connection();
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT slug FROM events WHERE status <> 'published' LIMIT 1",
        ))
        .await
        .unwrap()
        .expect("the demo city holds a few drafts");
    let slug: String = row.try_get("", "slug").unwrap();
    let (code, _) = app
        .error_code(
            r#"query($s: String) { event(slug: $s) { id } }"#,
            json!({ "s": slug }),
            None,
        )
        .await;
    assert_eq!(code, "NOT_FOUND");
    let everything = walk(
        &app,
        json!({ "from": "2026-01-01T00:00:00Z", "to": "2028-01-01T00:00:00Z" }),
        100,
    )
    .await;
    assert!(
        everything
            .iter()
            .all(|n| n["event"]["slug"] != slug.as_str())
    );
});

both_backends!(
    nested_fields_cost_a_bounded_number_of_queries,
    |b: Backend| async move {
        let app = spawn_app(b).await;
        let q = r#"query($filter: EventFilter, $first: Int) { events(filter: $filter, first: $first) { edges { node { id event {
        title place { name } department { name } categories { name } tags { name }
        organizer { ... on Association { name place { name } } ... on Department { name } } } } } } }"#;
        let mut costs = Vec::new();
        for first in [5, 20, 60, 100] {
            app.query(q, json!({ "filter": window(), "first": first }))
                .await; // warm the pool
            let before = app.store.statement_count();
            let data = app
                .query(q, json!({ "filter": window(), "first": first }))
                .await;
            costs.push(app.store.statement_count() - before);
            assert_eq!(
                data["events"]["edges"].as_array().unwrap().len(),
                first as usize
            );
        }
        assert!(
            costs.iter().all(|c| *c <= 8),
            "statements per page: {costs:?}"
        );
        assert_eq!(
            costs[0], costs[2],
            "the cost grows with the page size: {costs:?}"
        );
    }
);
