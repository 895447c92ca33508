//! The response cache and HTTP caching: kept answers are dropped by exactly the changes
//! that make them stale, before the mutation answers; a server with the cache off is the
//! oracle every cached read is compared to.

use crate::both_backends;
use crate::helpers::*;
use crate::rights::{City, Who, city};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const FIXED_WINDOW: &str = "query($site: String) { events(filter: {from: \"2026-01-01T00:00:00Z\", to: \"2099-01-01T00:00:00Z\", site: $site}, first: 50) { edges { node { startsAt event { id slug title publication { version } place { name } categories { name } } } } pageInfo { hasNextPage } } }";
const FROM_NOW: &str = "{ events(first: 5) { edges { node { startsAt event { slug title } } } } }";
const BY_SLUG: &str =
    "query($s: String!) { event(slug: $s) { title startsAt publication { status version } } }";
const CREATE: &str = "mutation($d: ID!, $t: String!, $at: DateTime!, $c: [ID!]!) { createEvent(input: {departmentId: $d, title: $t, startsAt: $at, categoryIds: $c}) { id slug publication { version } } }";
const UPDATE: &str = "mutation($id: ID!, $v: Int!, $d: ID!, $t: String!, $at: DateTime!) { updateEvent(id: $id, expectedVersion: $v, input: {departmentId: $d, title: $t, startsAt: $at}) { publication { version } } }";
const PUBLISH: &str = "mutation($id: ID!, $v: Int!) { publish(kind: EVENT, id: $id, expectedVersion: $v) { ... on Event { publication { version } } } }";
const UNPUBLISH: &str = "mutation($id: ID!) { unpublish(kind: EVENT, id: $id, reason: \"publié par erreur\") { ... on Event { publication { version } } } }";
const SCHEDULE: &str = "mutation($id: ID!, $v: Int!, $at: DateTime!) { schedule(kind: EVENT, id: $id, expectedVersion: $v, publishAt: $at) { ... on Event { publication { version } } } }";
const DELETE: &str =
    "mutation($id: ID!, $v: Int!) { deleteEvent(id: $id, expectedVersion: $v) { id } }";
const TAKEDOWN: &str = "mutation($d: ID!) { takedownDepartment(departmentId: $d, reason: \"compte compromis\") { count } }";
const CREATE_TERM: &str =
    "mutation($n: String!) { createTerm(input: {kind: CATEGORY, name: $n}) { id } }";

/// An answer and how the server says it was served (`x-silo-cache`).
struct Served {
    cache: String,
    body: Value,
    headers: reqwest::header::HeaderMap,
    status: u16,
}

/// POSTs `query` as `token` (or anonymously) with an optional `X-Silo-Site`.
async fn ask(
    address: &str,
    token: Option<&str>,
    site: Option<&str>,
    query: &str,
    variables: Value,
) -> Served {
    let mut request = reqwest::Client::new()
        .post(format!("{address}/graphql"))
        .json(&json!({ "query": query, "variables": variables }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(site) = site {
        request = request.header("x-silo-site", site);
    }
    served(request).await
}

async fn served(request: reqwest::RequestBuilder) -> Served {
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let cache = headers
        .get("x-silo-cache")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let text = response.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"))
    };
    Served {
        cache,
        body,
        headers,
        status,
    }
}

/// A GET of `query` with `variables` in the URL.
fn get(address: &str, query: &str, variables: &Value) -> reqwest::RequestBuilder {
    reqwest::Client::new()
        .get(format!("{address}/graphql"))
        .query(&[("query", query), ("variables", &variables.to_string())])
}

async fn write(city: &City, query: &str, variables: Value) -> Value {
    let served = ask(
        &city.app.address,
        city.token(Who::Admin),
        None,
        query,
        variables,
    )
    .await;
    assert!(served.body.get("errors").is_none(), "{}", served.body);
    served.body["data"].clone()
}

fn starts(hours: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::hours(hours))
        .format("%Y-%m-%dT%H:00:00Z")
        .to_string()
}

async fn create_published(city: &City, department: uuid::Uuid, title: &str) -> (String, String) {
    let data = write(
        city,
        CREATE,
        json!({ "d": department, "t": title, "at": starts(48), "c": [] }),
    )
    .await;
    let id = data["createEvent"]["id"].as_str().unwrap().to_owned();
    let slug = data["createEvent"]["slug"].as_str().unwrap().to_owned();
    write(city, PUBLISH, json!({ "id": id, "v": 1 })).await;
    (id, slug)
}

/// How the culture site's list is served to the `X-Silo-Site` header and to the site key.
async fn channel_states(address: &str, key: Option<&str>, site: Option<&str>) -> [String; 2] {
    [
        ask(address, None, site, FIXED_WINDOW, json!({}))
            .await
            .cache,
        ask(address, key, None, FIXED_WINDOW, json!({})).await.cache,
    ]
}

fn titles(body: &Value) -> Vec<String> {
    body["data"]["events"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("no events in {body}"))
        .iter()
        .map(|e| e["node"]["event"]["title"].as_str().unwrap().to_owned())
        .collect()
}

both_backends!(
    answers_are_kept_until_a_change_in_their_channel,
    |backend| async move {
        let city = city(backend).await;
        let address = city.app.address.clone();
        let site = Some("culture-site");
        let (concert, _) = create_published(&city, city.culture, "Concert au parc").await;

        let first = ask(&address, None, None, FIXED_WINDOW, json!({})).await;
        let again = ask(&address, None, None, FIXED_WINDOW, json!({})).await;
        assert_eq!(
            (first.cache.as_str(), again.cache.as_str()),
            ("miss", "hit")
        );
        assert_eq!(first.body, again.body);
        assert_eq!(titles(&again.body), ["Concert au parc"]);
        // Another layout of the same question is the same question.
        let spaced = FIXED_WINDOW
            .replace(' ', "\n  ")
            .replace("first: 50", "first: 50,");
        assert_eq!(
            ask(&address, None, None, &spaced, json!({})).await.cache,
            "hit"
        );
        ask(&address, None, site, FIXED_WINDOW, json!({})).await;
        let key = city.token(Who::SiteKey);
        ask(&address, key, None, FIXED_WINDOW, json!({})).await;
        assert_eq!(channel_states(&address, key, site).await, ["hit", "hit"]);

        // A signed-in editor's answers are never kept.
        let editor = city.token(Who::Editor);
        for _ in 0..2 {
            let mine = ask(&address, editor, None, FIXED_WINDOW, json!({})).await;
            assert_eq!(mine.cache, "bypass");
        }

        // Sports is outside the culture site: its answers stay; the city-wide list goes.
        create_published(&city, city.sports, "Match de handball").await;
        assert_eq!(channel_states(&address, key, site).await, ["hit", "hit"]);
        let everywhere = ask(&address, None, None, FIXED_WINDOW, json!({})).await;
        assert_eq!(everywhere.cache, "miss");
        assert_eq!(titles(&everywhere.body).len(), 2);

        // A takedown is gone from every answer as soon as the mutation has answered.
        write(&city, UNPUBLISH, json!({ "id": concert })).await;
        for (who, site) in [(None, None), (None, site), (key, None)] {
            let after = ask(&address, who, site, FIXED_WINDOW, json!({})).await;
            assert_eq!(after.cache, "miss");
            assert!(!titles(&after.body).contains(&"Concert au parc".to_owned()));
        }

        // Answers with errors are not kept.
        for _ in 0..2 {
            let missing = ask(&address, None, None, BY_SLUG, json!({ "s": "nope" })).await;
            assert_eq!(missing.cache, "bypass");
        }
        assert!(metric(&address, "silo_response_cache_hits_total").await >= 6);
        assert!(metric(&address, "silo_response_cache_invalidations_total").await >= 3);
        assert!(metric(&address, "silo_response_cache_entries").await >= 1);
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cache_turns_off_with_one_setting() {
    let app = spawn_app_with(demo_database(Backend::Sqlite), 3_600, |s| {
        s.response_cache_mb = 0;
    })
    .await;
    for _ in 0..3 {
        let served = ask(&app.address, None, None, FIXED_WINDOW, json!({})).await;
        assert_eq!(served.cache, "miss");
    }
    assert_eq!(
        metric(&app.address, "silo_response_cache_hits_total").await,
        0
    );
    assert_eq!(
        metric(&app.address, "silo_response_cache_capacity_bytes").await,
        0
    );
}

/// One random write; returns a label for the failure message.
async fn random_write(
    city: &City,
    rng: &mut fastrand::Rng,
    items: &mut Vec<Item>,
    step: usize,
) -> String {
    let departments = [city.culture, city.sports];
    let pick = |rng: &mut fastrand::Rng, items: &[Item], published: Option<bool>| {
        let candidates: Vec<usize> = (0..items.len())
            .filter(|&i| published.is_none_or(|p| items[i].published == p))
            .collect();
        (!candidates.is_empty()).then(|| candidates[rng.usize(..candidates.len())])
    };
    let version =
        |data: &Value, field: &str| data[field]["publication"]["version"].as_i64().unwrap();
    match rng.u8(..10) {
        0 | 1 => {
            let department = departments[rng.usize(..2)];
            let title = format!("Événement {step}");
            let data = write(
                city,
                CREATE,
                json!({ "d": department, "t": title, "at": starts(rng.i64(2..2000)), "c": [] }),
            )
            .await;
            items.push(Item {
                id: data["createEvent"]["id"].as_str().unwrap().to_owned(),
                slug: data["createEvent"]["slug"].as_str().unwrap().to_owned(),
                department,
                version: version(&data, "createEvent"),
                published: false,
            });
            format!("create {title}")
        }
        2 | 3 => {
            let Some(i) = pick(rng, items, Some(false)) else {
                return "nothing to publish".into();
            };
            let data = write(
                city,
                PUBLISH,
                json!({ "id": items[i].id, "v": items[i].version }),
            )
            .await;
            items[i].version = version(&data, "publish");
            items[i].published = true;
            format!("publish {}", items[i].slug)
        }
        4 | 5 => {
            let Some(i) = pick(rng, items, None) else {
                return "nothing to update".into();
            };
            // Sometimes into the other department: out of (or into) the culture site.
            let department = if rng.bool() {
                departments[rng.usize(..2)]
            } else {
                items[i].department
            };
            let data = write(
                city,
                UPDATE,
                json!({ "id": items[i].id, "v": items[i].version, "d": department, "t": format!("Revu {step}"), "at": starts(rng.i64(2..2000)) }),
            )
            .await;
            items[i].version = version(&data, "updateEvent");
            items[i].department = department;
            format!("update {}", items[i].slug)
        }
        6 => {
            let Some(i) = pick(rng, items, Some(true)) else {
                return "nothing to take down".into();
            };
            let data = write(city, UNPUBLISH, json!({ "id": items[i].id })).await;
            items[i].version = version(&data, "unpublish");
            items[i].published = false;
            format!("unpublish {}", items[i].slug)
        }
        7 => {
            let Some(i) = pick(rng, items, None) else {
                return "nothing to delete".into();
            };
            write(
                city,
                DELETE,
                json!({ "id": items[i].id, "v": items[i].version }),
            )
            .await;
            let gone = items.remove(i);
            format!("delete {}", gone.slug)
        }
        8 => {
            let Some(i) = pick(rng, items, Some(false)) else {
                return "nothing to schedule".into();
            };
            let at = (chrono::Utc::now() + chrono::Duration::milliseconds(1500)).to_rfc3339();
            let data = write(
                city,
                SCHEDULE,
                json!({ "id": items[i].id, "v": items[i].version, "at": at }),
            )
            .await;
            items[i].version = version(&data, "schedule");
            // Carried out by the scheduler, without a request: wait for it.
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                let read = ask(
                    &city.app.address,
                    city.token(Who::Admin),
                    None,
                    BY_SLUG,
                    json!({ "s": items[i].slug }),
                )
                .await;
                if read.body["data"]["event"]["publication"]["status"] == "PUBLISHED" {
                    items[i].version = current_version(city, &items[i].id).await;
                    break;
                }
                assert!(
                    Instant::now() < deadline,
                    "the scheduled publication did not happen"
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            items[i].published = true;
            format!("scheduled publish {}", items[i].slug)
        }
        _ => {
            if rng.bool() {
                write(city, TAKEDOWN, json!({ "d": city.sports })).await;
                for item in items
                    .iter_mut()
                    .filter(|i| i.department == city.sports && i.published)
                {
                    item.published = false;
                    item.version = current_version(city, &item.id).await;
                }
                "takedown of sports".into()
            } else {
                write(
                    city,
                    CREATE_TERM,
                    json!({ "n": format!("Catégorie {step}") }),
                )
                .await;
                "new category".into()
            }
        }
    }
}

/// The item's version as stored (after a change made for it).
async fn current_version(city: &City, id: &str) -> i64 {
    let data = write(
        city,
        "query($id: ID!) { contentItem(kind: EVENT, id: $id) { ... on Event { publication { version } } } }",
        json!({ "id": id }),
    )
    .await;
    data["contentItem"]["publication"]["version"]
        .as_i64()
        .unwrap()
}

struct Item {
    id: String,
    slug: String,
    department: uuid::Uuid,
    version: i64,
    published: bool,
}

both_backends!(
    cached_reads_equal_uncached_reads_under_random_writes,
    |backend| async move {
        let city = city(backend).await;
        // The oracle: a second server on the same database with the cache off.
        let oracle = spawn_app_with(city.app.url.clone(), 3_600, |s| s.response_cache_mb = 0).await;
        let seed = std::env::var("SILO_PROPERTY_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| fastrand::u64(..));
        let steps: usize = std::env::var("SILO_PROPERTY_STEPS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(60);
        eprintln!("property seed {seed} ({steps} steps): SILO_PROPERTY_SEED={seed} to replay");
        let mut rng = fastrand::Rng::with_seed(seed);
        let mut items: Vec<Item> = Vec::new();
        let key = city.token(Who::SiteKey).map(str::to_owned);
        let mut hits_seen = 0;
        // The city was set up through the store (as the CLI does): heard through the tail.
        let head = city.app.store.outbox_head().await.unwrap();
        let deadline = Instant::now() + Duration::from_secs(3);
        while metric(&city.app.address, "silo_response_cache_outbox_position").await < head {
            assert!(
                Instant::now() < deadline,
                "the cache never caught up to {head}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        for step in 0..steps {
            let what = random_write(&city, &mut rng, &mut items, step).await;
            // A mutation answers once the cache has applied it; a change made without a
            // request (the scheduler) reaches the cache through the outbox tail.
            let head = city.app.store.outbox_head().await.unwrap();
            let deadline = Instant::now() + Duration::from_secs(2);
            while metric(&city.app.address, "silo_response_cache_outbox_position").await < head {
                assert!(
                    what.starts_with("scheduled") && Instant::now() < deadline,
                    "seed {seed}, step {step} ({what}): the cache is behind {head}"
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            let mut reads: Vec<(Option<&str>, Option<&str>, &str, Value)> = vec![
                (None, None, FIXED_WINDOW, json!({})),
                (None, Some("culture-site"), FIXED_WINDOW, json!({})),
                (None, None, FIXED_WINDOW, json!({ "site": "culture-site" })),
                (key.as_deref(), None, FIXED_WINDOW, json!({})),
                (None, None, FROM_NOW, json!({})),
            ];
            for item in items.iter().take(6) {
                reads.push((None, None, BY_SLUG, json!({ "s": item.slug })));
                reads.push((
                    None,
                    Some("culture-site"),
                    BY_SLUG,
                    json!({ "s": item.slug }),
                ));
            }
            for (who, site, query, variables) in reads {
                let truth = ask(&oracle.address, who, site, query, variables.clone()).await;
                for _ in 0..2 {
                    let cached = ask(&city.app.address, who, site, query, variables.clone()).await;
                    hits_seen += usize::from(cached.cache == "hit");
                    assert_eq!(
                        cached.body, truth.body,
                        "seed {seed}, step {step} ({what}): {query} {variables} as {who:?} on {site:?} served {}",
                        cached.cache
                    );
                }
                let over_get = served(get(&city.app.address, query, &variables)).await;
                if who.is_none() && site.is_none() {
                    assert_eq!(
                        over_get.body, truth.body,
                        "seed {seed}, step {step} ({what}) over GET"
                    );
                }
            }
        }
        assert!(
            hits_seen > steps,
            "the cache was hardly used: {hits_seen} hits"
        );
    }
);

both_backends!(
    persisted_queries_run_by_hash_and_get_answers_carry_validators,
    |backend| async move {
        let city = city(backend).await;
        let address = city.app.address.clone();
        create_published(&city, city.culture, "Lecture publique").await;
        let hash = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(FROM_NOW.as_bytes()));
        let extension = |h: &str| json!({ "persistedQuery": { "version": 1, "sha256Hash": h } });
        let post = |body: Value| {
            reqwest::Client::new()
                .post(format!("{address}/graphql"))
                .json(&body)
        };

        // Unknown hash: the code Apollo clients retry on.
        let unknown = served(post(json!({ "extensions": extension(&hash) }))).await;
        assert_eq!(
            unknown.body["errors"][0]["extensions"]["code"],
            "PERSISTED_QUERY_NOT_FOUND"
        );
        assert_eq!(
            unknown.body["errors"][0]["message"],
            "PersistedQueryNotFound"
        );
        // The document with another document's hash is refused.
        let wrong = served(post(
            json!({ "query": FIXED_WINDOW, "extensions": extension(&hash) }),
        ))
        .await;
        assert_eq!(wrong.status, 400);
        assert_eq!(
            wrong.body["errors"][0]["extensions"]["code"],
            "BAD_USER_INPUT"
        );
        // Registered with the document, then run by hash alone, over POST and GET.
        let registered = served(post(
            json!({ "query": FROM_NOW, "extensions": extension(&hash) }),
        ))
        .await;
        assert_eq!(titles(&registered.body), ["Lecture publique"]);
        let by_hash = served(post(json!({ "extensions": extension(&hash) }))).await;
        assert_eq!(by_hash.body, registered.body);
        let get_by_hash = served(
            reqwest::Client::new()
                .get(format!("{address}/graphql"))
                .query(&[("extensions", extension(&hash).to_string())]),
        )
        .await;
        assert_eq!(get_by_hash.body, registered.body);
        // A mutation named by its hash is still refused over GET.
        let mutation = "mutation { logout }";
        let mutation_hash =
            hex::encode(<sha2::Sha256 as sha2::Digest>::digest(mutation.as_bytes()));
        served(post(
            json!({ "query": mutation, "extensions": extension(&mutation_hash) }),
        ))
        .await;
        let get_mutation = served(
            reqwest::Client::new()
                .get(format!("{address}/graphql"))
                .query(&[("extensions", extension(&mutation_hash).to_string())]),
        )
        .await;
        assert_eq!(get_mutation.status, 405);

        // GET answers: validators, freshness cut at the time boundary, surrogate keys.
        let fixed = served(get(&address, FIXED_WINDOW, &json!({}))).await;
        let etag = fixed.headers["etag"].to_str().unwrap().to_owned();
        assert_eq!(
            fixed.headers["cache-control"],
            "public, max-age=60, stale-while-revalidate=60"
        );
        let keys = fixed.headers["surrogate-key"].to_str().unwrap();
        assert!(keys.split(' ').any(|k| k == "silo-event"), "{keys}");
        assert_eq!(
            fixed.headers["cache-tag"].to_str().unwrap(),
            keys.replace(' ', ",")
        );
        assert!(
            fixed.headers["vary"]
                .to_str()
                .unwrap()
                .contains("authorization")
        );
        let revalidated =
            served(get(&address, FIXED_WINDOW, &json!({})).header("if-none-match", &etag)).await;
        assert_eq!(revalidated.status, 304);
        assert_eq!(revalidated.headers["etag"].to_str().unwrap(), etag);
        // An event starting within the minute: a "from now" answer is fresh until then.
        let soon = (chrono::Utc::now() + chrono::Duration::seconds(30)).to_rfc3339();
        let data = write(
            &city,
            CREATE,
            json!({ "d": city.culture, "t": "Bientôt", "at": soon, "c": [] }),
        )
        .await;
        write(
            &city,
            PUBLISH,
            json!({ "id": data["createEvent"]["id"], "v": 1 }),
        )
        .await;
        let from_now = served(get(&address, FROM_NOW, &json!({}))).await;
        let control = from_now.headers["cache-control"].to_str().unwrap();
        let max_age: u32 = control
            .split(", ")
            .find_map(|d| d.strip_prefix("max-age="))
            .unwrap()
            .parse()
            .unwrap();
        assert!(max_age <= 30, "{control}");
        assert!(control.ends_with("stale-while-revalidate=0"), "{control}");
        // The change made the old copy stale: a full answer with a new validator.
        let changed =
            served(get(&address, FIXED_WINDOW, &json!({})).header("if-none-match", &etag)).await;
        assert_eq!(changed.status, 200);
        assert_ne!(changed.headers["etag"].to_str().unwrap(), etag);
        // A site key's answers are for its holder; a user's are not kept at all.
        let keyed = served(
            get(&address, FIXED_WINDOW, &json!({})).bearer_auth(city.token(Who::SiteKey).unwrap()),
        )
        .await;
        assert!(
            keyed.headers["cache-control"]
                .to_str()
                .unwrap()
                .starts_with("private, max-age=")
        );
        let user = served(
            get(&address, FIXED_WINDOW, &json!({})).bearer_auth(city.token(Who::Editor).unwrap()),
        )
        .await;
        assert_eq!(user.headers["cache-control"], "private, no-store");
        // Open data carries the keys its purge uses.
        let export =
            served(reqwest::Client::new().get(format!("{address}/opendata/agenda.json"))).await;
        let keys = export.headers["surrogate-key"].to_str().unwrap();
        assert!(keys.contains("silo-opendata"), "{keys}");
        assert!(
            export.headers["cache-control"]
                .to_str()
                .unwrap()
                .contains("stale-while-revalidate=")
        );
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_locked_mode_runs_only_registered_documents_for_the_public() {
    let manifest_dir = std::env::temp_dir().join(format!("silo-pq-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&manifest_dir).unwrap();
    let manifest = manifest_dir.join("manifest.json");
    let hash = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(FROM_NOW.as_bytes()));
    std::fs::write(
        &manifest,
        json!({
            "format": "apollo-persisted-query-manifest",
            "version": 1,
            "operations": [{ "id": hash, "name": "Upcoming", "type": "query", "body": FROM_NOW }]
        })
        .to_string(),
    )
    .unwrap();
    let app = spawn_app_with(fresh_database(Backend::Sqlite).await, 3_600, |s| {
        s.persisted_queries = "locked".into();
        s.persisted_query_manifest = Some(manifest.clone());
    })
    .await;
    let city = crate::rights::city_on(app).await;
    let app = &city.app;
    let post = |body: Value| {
        reqwest::Client::new()
            .post(format!("{}/graphql", app.address))
            .json(&body)
    };
    let extension = json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } });
    let by_hash = served(post(json!({ "extensions": extension }))).await;
    assert!(by_hash.body.get("errors").is_none(), "{}", by_hash.body);
    let free_text = served(post(json!({ "query": FIXED_WINDOW }))).await;
    assert_eq!(free_text.status, 403);
    assert_eq!(
        free_text.body["errors"][0]["extensions"]["code"],
        "FORBIDDEN"
    );
    // The registered document sent in full is the registered document.
    let in_full = served(post(json!({ "query": FROM_NOW }))).await;
    assert!(in_full.body.get("errors").is_none(), "{}", in_full.body);
    // A site key is public: locked out of free text too.
    let key = city.token(Who::SiteKey).unwrap();
    let keyed = served(post(json!({ "query": FIXED_WINDOW })).bearer_auth(key)).await;
    assert_eq!(keyed.status, 403);
    // A signed-in editor may send any document; a forged token gets no further.
    let editor = city.token(Who::Editor).unwrap();
    let edited = served(post(json!({ "query": FIXED_WINDOW })).bearer_auth(editor)).await;
    assert!(edited.body.get("errors").is_none(), "{}", edited.body);
    let forged =
        served(post(json!({ "query": FIXED_WINDOW })).bearer_auth("not-a-real-token")).await;
    assert_eq!(
        forged.body["errors"][0]["extensions"]["code"],
        "UNAUTHENTICATED"
    );
    // Nobody registers a document in the locked mode.
    let other_hash = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(
        FIXED_WINDOW.as_bytes(),
    ));
    let with_hash = json!({ "persistedQuery": { "version": 1, "sha256Hash": other_hash } });
    served(post(json!({ "query": FIXED_WINDOW, "extensions": with_hash })).bearer_auth(editor))
        .await;
    let by_new_hash = served(post(json!({ "extensions": with_hash }))).await;
    assert_eq!(
        by_new_hash.body["errors"][0]["extensions"]["code"],
        "PERSISTED_QUERY_NOT_FOUND"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_server_processes_drop_stale_answers_postgres() {
    if !enabled(Backend::Postgres) {
        return;
    }
    let city = city(Backend::Postgres).await;
    let other = ServerProcess::start(&city.app.url, &[]);
    let (concert, _) = create_published(&city, city.culture, "Concert partagé").await;
    for _ in 0..2 {
        ask(&other.address, None, None, FIXED_WINDOW, json!({})).await;
    }
    assert_eq!(
        ask(&other.address, None, None, FIXED_WINDOW, json!({}))
            .await
            .cache,
        "hit"
    );
    // A takedown through this process reaches the other's cache within a second.
    let taken_down = Instant::now();
    write(&city, UNPUBLISH, json!({ "id": concert })).await;
    loop {
        let read = ask(&other.address, None, None, FIXED_WINDOW, json!({})).await;
        if titles(&read.body).is_empty() {
            break;
        }
        assert!(
            // A lost notification is made up by the 1 s poll.
            taken_down.elapsed() < Duration::from_secs(3),
            "still served after 3 s"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    eprintln!(
        "takedown seen by the other process after {:?}",
        taken_down.elapsed()
    );
    // And the other way round: a publication through the other process.
    let editor = city.token(Who::Admin);
    ask(&city.app.address, None, None, FIXED_WINDOW, json!({})).await;
    let data = ask(
        &other.address,
        editor,
        None,
        CREATE,
        json!({ "d": city.culture, "t": "Bal", "at": starts(72), "c": [] }),
    )
    .await;
    let id = data.body["data"]["createEvent"]["id"].clone();
    ask(
        &other.address,
        editor,
        None,
        PUBLISH,
        json!({ "id": id, "v": 1 }),
    )
    .await;
    let published = Instant::now();
    loop {
        let read = ask(&city.app.address, None, None, FIXED_WINDOW, json!({})).await;
        if titles(&read.body) == ["Bal"] {
            break;
        }
        assert!(
            published.elapsed() < Duration::from_secs(3),
            "not seen after 3 s"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The `i`-th of many questions asking about a different window.
async fn distinct_question(address: &str, i: usize) -> Served {
    let from = demo_now() + chrono::Duration::minutes(i as i64 * 7);
    ask(
        address,
        None,
        None,
        "query($from: DateTime!) { events(filter: {from: $from}, first: 40) { edges { node { startsAt event { title summary slug place { name } } } } } }",
        json!({ "from": from }),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_memory_bound_holds_under_a_flood_of_distinct_questions() {
    let url = demo_database(Backend::Sqlite);
    let server = ServerProcess::start(&url, &[("SILO_RESPONSE_CACHE_MB", "1")]);
    for i in 0..200 {
        distinct_question(&server.address, i).await;
    }
    let before = server.rss_kib();
    let mut answers = 0;
    for chunk in (200..3_000).collect::<Vec<_>>().chunks(16) {
        let served =
            futures::future::join_all(chunk.iter().map(|&i| distinct_question(&server.address, i)))
                .await;
        answers += served.iter().filter(|s| s.cache == "miss").count();
    }
    let after = server.rss_kib();
    let bytes = metric(&server.address, "silo_response_cache_bytes").await;
    let evictions = metric(&server.address, "silo_response_cache_evictions_total").await;
    eprintln!(
        "{answers} distinct answers; cache {bytes} bytes, {evictions} evictions; RSS {} → {} MiB",
        before / 1024,
        after / 1024
    );
    assert!(bytes <= 1024 * 1024, "over the bound: {bytes}");
    assert!(evictions > 1_000, "only {evictions} evictions");
    // 2,800 answers of ~10 KiB would hold ~27 MiB without the bound.
    assert!(
        after < before + 16 * 1024,
        "RSS grew {} KiB",
        after - before
    );
}

/// A CDN's purge endpoint: records the `Surrogate-Key` header of each purge.
async fn purge_receiver() -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
    let purged = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = purged.clone();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = HttpServer::new(move || {
        let seen = seen.clone();
        App::new().route(
            "/purge",
            web::post().to(move |req: HttpRequest| {
                let seen = seen.clone();
                async move {
                    let keys = req
                        .headers()
                        .get("surrogate-key")
                        .unwrap()
                        .to_str()
                        .unwrap()
                        .to_owned();
                    seen.lock().unwrap().push(keys);
                    HttpResponse::Ok().finish()
                }
            }),
        )
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    tokio::spawn(server);
    (format!("http://127.0.0.1:{port}/purge"), purged)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_purge_hook_sends_the_keys_of_what_went_stale() {
    let (url, purged) = purge_receiver().await;
    let app = spawn_app_with(fresh_database(Backend::Sqlite).await, 3_600, |s| {
        s.purge_url = Some(url);
    })
    .await;
    let city = crate::rights::city_on(app).await;
    let wait_for = |wanted: String| {
        let purged = purged.clone();
        async move {
            let deadline = Instant::now() + Duration::from_secs(5);
            loop {
                let seen = purged.lock().unwrap().clone();
                if seen.iter().any(|keys| keys.split(' ').any(|k| k == wanted)) {
                    return seen;
                }
                assert!(Instant::now() < deadline, "no purge of {wanted}: {seen:?}");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    };
    // The keys a GET answer was tagged with are the keys its takedown purges.
    let (concert, _) = create_published(&city, city.culture, "Concert purgé").await;
    let tagged = served(get(&city.app.address, FIXED_WINDOW, &json!({}))).await;
    let tags = tagged.headers["surrogate-key"].to_str().unwrap().to_owned();
    purged.lock().unwrap().clear();
    write(&city, UNPUBLISH, json!({ "id": concert })).await;
    let seen = wait_for(format!("silo-event-{concert}")).await;
    let purge: Vec<&str> = seen.iter().flat_map(|k| k.split(' ')).collect();
    assert!(
        tags.split(' ').any(|t| t != "silo" && purge.contains(&t)),
        "{tags} vs {purge:?}"
    );
    assert!(purge.contains(&"silo-opendata"), "{purge:?}");
    // A reference change purges everything.
    write(&city, CREATE_TERM, json!({ "n": "Jazz" })).await;
    wait_for("silo".to_owned()).await;
    assert!(metric(&city.app.address, "silo_purges_sent_total").await >= 2);
}
