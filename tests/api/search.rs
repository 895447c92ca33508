//! Search: the backend conformance suite (run against every `SearchIndex`), then search
//! end to end through GraphQL, fed by the outbox.

use crate::both_backends;
use crate::helpers::{Backend, TestApp};
use crate::rights::{Who, city};
use chrono::{Duration, TimeZone, Utc};
use serde_json::{Value, json};
use silo_domain::content::ContentKind;
use silo_domain::field::GeoPoint;
use silo_domain::query::Near;
use silo_domain::search::{SearchBatch, SearchDocument, SearchIndex, SearchRequest};
use silo_domain::site::SiteScope;
use std::collections::BTreeSet;
use uuid::Uuid;

/// A fixed id per fixture number, so failures name the document.
fn id(n: u128) -> Uuid {
    Uuid::from_u128(0x5111_0000_0000_0000_0000_0000_0000_0000 + n)
}

const CULTURE: Uuid = Uuid::from_u128(0xC0);
const SPORTS: Uuid = Uuid::from_u128(0x50);
const MUSIC: Uuid = Uuid::from_u128(0xA1);
const MARKETS: Uuid = Uuid::from_u128(0xA2);
const SITE: Uuid = Uuid::from_u128(0x517E);
const TOWN_HALL: GeoPoint = GeoPoint {
    latitude: 47.2184,
    longitude: -1.5536,
};

fn document(n: u128, kind: ContentKind, title: &str, text: &str) -> SearchDocument {
    SearchDocument {
        id: id(n),
        kind,
        title: title.to_owned(),
        text: text.to_owned(),
        department_id: CULTURE,
        all_sites: true,
        site_ids: Vec::new(),
        category_ids: Vec::new(),
        tag_ids: Vec::new(),
        geo: None,
        starts_at: None,
        ends_at: None,
    }
}

/// The fixtures: a few of each kind, with what each filter needs.
fn fixtures() -> Vec<SearchDocument> {
    let at = |day: u32| Utc.with_ymd_and_hms(2026, 12, day, 18, 0, 0).unwrap();
    let mut fete = document(
        1,
        ContentKind::Event,
        "Fête de la musique",
        "Des concerts dans toute la ville.",
    );
    fete.category_ids = vec![MUSIC];
    fete.starts_at = Some(at(1));
    fete.ends_at = Some(at(1) + Duration::hours(4));
    fete.geo = Some(TOWN_HALL);
    let mut market = document(
        2,
        ContentKind::Event,
        "Marché de Noël",
        "Chalets, artisans et vin chaud.",
    );
    market.category_ids = vec![MARKETS];
    market.starts_at = Some(at(10));
    market.ends_at = Some(at(24));
    // About 30 km from the town hall.
    market.geo = Some(GeoPoint {
        latitude: 47.48,
        longitude: -1.45,
    });
    let mut library = document(
        3,
        ContentKind::PublicService,
        "Bibliothèque municipale",
        "Prêt de livres et de disques.",
    );
    library.geo = Some(TOWN_HALL);
    let mut judo = document(4, ContentKind::Association, "Judo club", "Cours de judo.");
    judo.department_id = SPORTS;
    judo.all_sites = false;
    judo.site_ids = vec![SITE];
    let news = document(
        5,
        ContentKind::NewsArticle,
        "Un concert de jazz au parc",
        "Le concert aura lieu dimanche.",
    );
    vec![fete, market, library, judo, news]
}

fn ask(q: &str) -> SearchRequest {
    SearchRequest {
        q: q.to_owned(),
        limit: 20,
        ..SearchRequest::default()
    }
}

async fn found(index: &impl SearchIndex, request: &SearchRequest) -> Vec<Uuid> {
    index
        .search(request)
        .await
        .unwrap()
        .hits
        .iter()
        .map(|h| h.id)
        .collect()
}

/// The conformance suite every backend passes.
pub async fn conformance(index: &impl SearchIndex) {
    assert_eq!(index.position().await.unwrap(), None, "a new index");
    index
        .apply(SearchBatch {
            upserts: fixtures(),
            removals: Vec::new(),
            position: 7,
        })
        .await
        .unwrap();
    assert_eq!(index.position().await.unwrap(), Some(7));

    // Accents, typos, plurals, several words.
    assert_eq!(found(index, &ask("fete")).await, [id(1)]);
    assert_eq!(found(index, &ask("FÊTE musique")).await, [id(1)]);
    assert_eq!(found(index, &ask("bibliotheqe")).await, [id(3)]);
    assert_eq!(found(index, &ask("marche noel")).await, [id(2)]);
    let concerts: BTreeSet<Uuid> = found(index, &ask("concerts")).await.into_iter().collect();
    assert_eq!(concerts, BTreeSet::from([id(1), id(5)]));
    assert_eq!(
        found(index, &ask("concert")).await[0],
        id(5),
        "a title match ranks first"
    );
    assert!(found(index, &ask("piscine")).await.is_empty());

    // Snippets mark the matched words; facets count every hit.
    let results = index.search(&ask("concert")).await.unwrap();
    let news = results.hits.iter().find(|h| h.id == id(5)).unwrap();
    assert!(
        news.title_snippet.contains("<mark>concert</mark>"),
        "{news:?}"
    );
    assert_eq!(results.total, 2);
    assert_eq!(
        results.facets.kinds,
        [(ContentKind::Event, 1), (ContentKind::NewsArticle, 1)]
    );
    let everything = index.search(&ask("")).await.unwrap();
    assert_eq!(everything.total, 5, "no words: every document");
    assert_eq!(everything.facets.departments, [(CULTURE, 4), (SPORTS, 1)]);
    assert!(everything.facets.categories.contains(&(MUSIC, 1)));

    // Each filter.
    let mut request = ask("");
    request.kinds = vec![ContentKind::Association, ContentKind::PublicService];
    assert_eq!(
        sorted(found(index, &request).await),
        sorted(vec![id(3), id(4)])
    );
    let mut request = ask("");
    request.category_ids = vec![MARKETS];
    assert_eq!(found(index, &request).await, [id(2)]);
    let mut request = ask("");
    request.department_ids = vec![SPORTS];
    assert_eq!(found(index, &request).await, [id(4)]);
    let mut request = ask("");
    request.near = Some(Near {
        center: TOWN_HALL,
        radius_km: 5.0,
    });
    assert_eq!(
        sorted(found(index, &request).await),
        sorted(vec![id(1), id(3)])
    );
    request.near = Some(Near {
        center: TOWN_HALL,
        radius_km: 50.0,
    });
    assert_eq!(found(index, &request).await.len(), 3);
    let mut request = ask("");
    request.from = Some(Utc.with_ymd_and_hms(2026, 12, 5, 0, 0, 0).unwrap());
    request.to = Some(Utc.with_ymd_and_hms(2026, 12, 31, 0, 0, 0).unwrap());
    assert_eq!(
        found(index, &request).await,
        [id(2)],
        "only events meet a window"
    );

    // Site scoping: a site sees what targets every site, and what targets it.
    let scope = |site_id, department_ids: Vec<Uuid>| SiteScope {
        site_id,
        department_ids,
        category_ids: Vec::new(),
        tag_ids: Vec::new(),
    };
    let mut request = ask("judo");
    request.scope = Some(scope(Uuid::from_u128(1), Vec::new()));
    assert!(found(index, &request).await.is_empty(), "not this site's");
    request.scope = Some(scope(SITE, Vec::new()));
    assert_eq!(found(index, &request).await, [id(4)]);
    let mut request = ask("");
    request.scope = Some(scope(SITE, vec![CULTURE]));
    assert_eq!(
        found(index, &request).await.len(),
        4,
        "the channel's departments"
    );

    // Updates replace, removals remove.
    let mut renamed = fixtures().remove(1);
    renamed.title = "Marché des créateurs".to_owned();
    index
        .apply(SearchBatch {
            upserts: vec![renamed],
            removals: vec![id(1)],
            position: 9,
        })
        .await
        .unwrap();
    assert!(found(index, &ask("noel")).await.is_empty());
    assert_eq!(found(index, &ask("createurs")).await, [id(2)]);
    assert!(found(index, &ask("fete")).await.is_empty());
    assert_eq!(index.search(&ask("")).await.unwrap().total, 4);

    // Pages are stable and complete.
    let many: Vec<SearchDocument> = (100..137)
        .map(|n| {
            document(
                n,
                ContentKind::NewsArticle,
                &format!("Conseil municipal n°{n}"),
                "Compte rendu de séance.",
            )
        })
        .collect();
    index
        .apply(SearchBatch {
            upserts: many,
            removals: Vec::new(),
            position: 10,
        })
        .await
        .unwrap();
    let mut seen = Vec::new();
    for page in 0..4 {
        let mut request = ask("conseil");
        request.offset = page * 10;
        request.limit = 10;
        let hits = found(index, &request).await;
        assert_eq!(hits, found(index, &request).await, "the same page twice");
        seen.extend(hits);
    }
    assert_eq!(seen.len(), 37);
    assert_eq!(
        seen.iter().collect::<BTreeSet<_>>().len(),
        37,
        "no hit twice"
    );

    // A rebuild replaces everything at once.
    index
        .rebuild_page(vec![document(
            200,
            ContentKind::Event,
            "Bal de printemps",
            "",
        )])
        .await
        .unwrap();
    assert_eq!(
        found(index, &ask("conseil")).await.len(),
        20,
        "the live index answers meanwhile"
    );
    index.finish_rebuild(12).await.unwrap();
    assert_eq!(index.position().await.unwrap(), Some(12));
    assert!(found(index, &ask("conseil")).await.is_empty());
    assert_eq!(found(index, &ask("bal")).await, [id(200)]);
}

fn sorted(mut ids: Vec<Uuid>) -> Vec<Uuid> {
    ids.sort();
    ids
}

#[tokio::test]
async fn the_embedded_index_conforms() {
    let dir = std::env::temp_dir().join(format!("silo-search-{}", Uuid::new_v4()));
    let index = silo_storage::search::EmbeddedIndex::open(&dir).unwrap();
    conformance(&index).await;
    // Reopened, it keeps its documents and its position.
    drop(index);
    let index = silo_storage::search::EmbeddedIndex::open(&dir).unwrap();
    assert_eq!(index.position().await.unwrap(), Some(12));
    assert_eq!(found(&index, &ask("bal")).await, [id(200)]);
    std::fs::remove_dir_all(dir).unwrap();
}

/// The Meilisearch adapter: against a real server when `SILO_TEST_MEILI_URL` (and
/// `SILO_TEST_MEILI_KEY`) is set, otherwise against the in-process fake of its API.
#[tokio::test]
async fn the_meilisearch_adapter_conforms() {
    let url = match std::env::var("SILO_TEST_MEILI_URL") {
        Ok(url) => url,
        Err(_) => crate::meili_fake::spawn().await,
    };
    let key = std::env::var("SILO_TEST_MEILI_KEY").ok();
    let uid = format!("silo_test_{}", Uuid::new_v4().simple());
    let index = silo_storage::search::MeiliIndex::connect(&url, key.as_deref(), &uid)
        .await
        .unwrap();
    conformance(&index).await;
    // Connecting again finds the index, its documents and its position.
    let again = silo_storage::search::MeiliIndex::connect(&url, key.as_deref(), &uid)
        .await
        .unwrap();
    assert_eq!(again.position().await.unwrap(), Some(12));
    assert_eq!(found(&again, &ask("bal")).await, [id(200)]);
}

const SEARCH: &str = "query($q: String!, $kinds: [ContentKind!], $filter: SearchFilter, $first: Int) {
  search(q: $q, kinds: $kinds, filter: $filter, first: $first) {
    totalCount
    facets { kinds { value count } categories { value label count } departments { value label count } }
    edges { cursor node { kind titleHighlight textHighlight
      item { __typename ... on Event { id title } ... on Association { id name } ... on NewsArticle { id title } ... on PublicService { id name } } } }
    pageInfo { hasNextPage }
  }
}";

/// Searches until `done` holds (the index follows writes within a moment), at most 3 s.
async fn search_until(
    app: &TestApp,
    variables: Value,
    site: Option<&str>,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let started = std::time::Instant::now();
    loop {
        let (status, body) = app.post(SEARCH, variables.clone(), site).await;
        assert_eq!(status, 200, "{body}");
        assert!(body.get("errors").is_none(), "{body}");
        let search = body["data"]["search"].clone();
        if done(&search) || started.elapsed() > std::time::Duration::from_secs(3) {
            return search;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// The body a GET of `path` answers.
async fn text_at(app: &TestApp, path: &str) -> String {
    let response = app
        .client
        .get(format!("{}{path}", app.address))
        .send()
        .await;
    response.unwrap().text().await.unwrap()
}

fn titles(search: &Value) -> Vec<String> {
    search["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let item = &e["node"]["item"];
            item["title"]
                .as_str()
                .or(item["name"].as_str())
                .unwrap()
                .to_owned()
        })
        .collect()
}

both_backends!(
    the_demo_city_searched_for_its_christmas_markets,
    |b: Backend| async move {
        let app = crate::helpers::spawn_app(b).await;
        let search = search_until(&app, json!({ "q": "marche noel", "first": 5 }), None, |s| {
            s["totalCount"].as_i64().unwrap_or(0) > 0
        })
        .await;
        let found = titles(&search);
        assert!(!found.is_empty(), "{search}");
        assert!(
            found.iter().all(|t| t.starts_with("Marché de Noël")),
            "{found:?}"
        );
        let first = &search["edges"][0]["node"];
        assert!(
            first["titleHighlight"].as_str().unwrap().contains("<mark>"),
            "{first}"
        );
        assert_eq!(first["kind"], "EVENT");
        assert!(search["facets"]["kinds"][0]["count"].as_i64().unwrap() > 0);
        assert!(
            search["facets"]["departments"][0]["label"].is_string(),
            "{search}"
        );
        // A typo and no accents find the libraries.
        let libraries = search_until(
            &app,
            json!({ "q": "bibliotheqe", "kinds": ["PUBLIC_SERVICE"] }),
            None,
            |_| true,
        )
        .await;
        assert!(
            titles(&libraries)
                .iter()
                .any(|t| t.contains("Bibliothèque")),
            "{libraries}"
        );
        // Bad input is typed.
        let (_, body) = app
            .post(SEARCH, json!({ "q": "x".repeat(201) }), None)
            .await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{body}"
        );
        let (_, body) = app
            .post(
                SEARCH,
                json!({ "q": "concert", "filter": { "departments": ["nope"] } }),
                None,
            )
            .await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{body}"
        );
        // The lag is reported.
        let ready = text_at(&app, "/readyz").await;
        assert!(ready.contains("search: 0 changes behind"), "{ready}");
        let metrics = text_at(&app, "/metrics").await;
        assert!(metrics.contains("silo_search_lag_changes 0"), "{metrics}");
    }
);

both_backends!(
    publishing_and_taking_down_reach_search_within_a_second,
    |b: Backend| async move {
        let city = city(b).await;
        publish_then_take_down(&city).await;
    }
);

both_backends!(
    the_server_searches_with_meilisearch_when_told,
    |b: Backend| async move {
        let meili = crate::meili_fake::spawn().await;
        let database = crate::helpers::fresh_database(b).await;
        let app = crate::helpers::spawn_app_with(database, 3_600, |settings| {
            settings.meili_url = Some(meili.clone());
            settings.meili_index = format!("silo_{}", Uuid::new_v4().simple());
        })
        .await;
        let city = crate::rights::city_on(app).await;
        publish_then_take_down(&city).await;
    }
);

both_backends!(
    changes_made_while_meilisearch_is_down_are_indexed_when_it_is_back,
    |b: Backend| async move {
        // A port where nothing listens yet.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let database = crate::helpers::fresh_database(b).await;
        let app = crate::helpers::spawn_app_with(database, 3_600, |settings| {
            settings.meili_url = Some(format!("http://127.0.0.1:{port}"));
        })
        .await;
        let city = crate::rights::city_on(app).await;
        let app = &city.app;
        let token = city.token(Who::Publisher).unwrap();
        for title in ["Tournoi de belote", "Tournoi de tarot", "Tournoi d'échecs"] {
            let created = app
                .query_as(
                    token,
                    "mutation($input: EventInput!) { createEvent(input: $input) { id } }",
                    json!({ "input": { "departmentId": city.culture, "title": title, "startsAt": "2027-05-01T10:00:00Z" } }),
                )
                .await;
            app.query_as(
                token,
                "mutation($id: ID!) { publish(kind: EVENT, id: $id, expectedVersion: 1) { __typename } }",
                json!({ "id": created["createEvent"]["id"] }),
            )
            .await;
        }
        // Meanwhile a search says the backend fails, without a 5xx, and /readyz the lag.
        let (status, body) = app.post(SEARCH, json!({ "q": "tournoi" }), None).await;
        assert_eq!(status, 200);
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "INTERNAL",
            "{body}"
        );
        let ready = text_at(app, "/readyz").await;
        assert!(ready.contains("search: unavailable"), "{ready}");
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;

        crate::meili_fake::spawn_on(port).await;
        let started = std::time::Instant::now();
        let mut found = Value::Null;
        while started.elapsed() < std::time::Duration::from_secs(20) {
            let (_, body) = app.post(SEARCH, json!({ "q": "tournoi" }), None).await;
            found = body["data"]["search"].clone();
            if found["totalCount"] == 3 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let mut titles = titles(&found);
        titles.sort();
        assert_eq!(
            titles,
            ["Tournoi d'échecs", "Tournoi de belote", "Tournoi de tarot"],
            "{found}"
        );
    }
);

/// A draft is never found; once published it is found within a second; taken down, it
/// is gone from the answer at once and from the index within a second.
async fn publish_then_take_down(city: &crate::rights::City) {
    let app = &city.app;
    let token = city.token(Who::Publisher).unwrap();
    let created = app
        .query_as(
            token,
            "mutation($input: EventInput!) { createEvent(input: $input) { id } }",
            json!({ "input": { "departmentId": city.culture, "title": "Régate des étudiants", "startsAt": "2027-05-01T10:00:00Z" } }),
        )
        .await;
    let event = created["createEvent"]["id"].as_str().unwrap().to_owned();
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    let draft = search_until(app, json!({ "q": "regate" }), None, |_| true).await;
    assert_eq!(draft["totalCount"], 0, "{draft}");

    app.query_as(
        token,
        "mutation($id: ID!) { publish(kind: EVENT, id: $id, expectedVersion: 1) { __typename } }",
        json!({ "id": event }),
    )
    .await;
    let published_at = std::time::Instant::now();
    let found = search_until(app, json!({ "q": "regates etudiant" }), None, |s| {
        s["totalCount"] == 1
    })
    .await;
    assert_eq!(titles(&found), ["Régate des étudiants"]);
    assert!(
        published_at.elapsed() < std::time::Duration::from_secs(1),
        "indexed in {:?}",
        published_at.elapsed()
    );

    app.query_as(
        token,
        "mutation($id: ID!) { unpublish(kind: EVENT, id: $id, reason: \"erreur\") { __typename } }",
        json!({ "id": event }),
    )
    .await;
    let (_, body) = app.post(SEARCH, json!({ "q": "regate" }), None).await;
    assert!(
        body["data"]["search"]["edges"]
            .as_array()
            .unwrap()
            .is_empty(),
        "{body}"
    );
    let taken_down_at = std::time::Instant::now();
    let gone = search_until(app, json!({ "q": "regate" }), None, |s| {
        s["totalCount"] == 0
    })
    .await;
    assert_eq!(gone["totalCount"], 0);
    assert!(taken_down_at.elapsed() < std::time::Duration::from_secs(1));
}

both_backends!(
    a_moved_place_moves_its_items_in_search,
    |b: Backend| async move {
        let city = city(b).await;
        let app = &city.app;
        let token = city.token(Who::Publisher).unwrap();
        let place = app
            .query_as(
                token,
                "mutation { createPlace(input: {name: \"Salle polyvalente\", city: \"Nantes\", latitude: 47.2184, longitude: -1.5536}) { id } }",
                json!({}),
            )
            .await;
        let place = place["createPlace"]["id"].as_str().unwrap().to_owned();
        let created = app
            .query_as(
                token,
                "mutation($input: EventInput!) { createEvent(input: $input) { id } }",
                json!({ "input": { "departmentId": city.culture, "title": "Loto des écoles", "startsAt": "2027-05-01T10:00:00Z", "placeId": place } }),
            )
            .await;
        app.query_as(
            token,
            "mutation($id: ID!) { publish(kind: EVENT, id: $id, expectedVersion: 1) { __typename } }",
            json!({ "id": created["createEvent"]["id"] }),
        )
        .await;
        let near = |latitude: f64, longitude: f64| json!({ "q": "loto", "filter": { "near": { "latitude": latitude, "longitude": longitude, "radiusKm": 5.0 } } });
        let in_nantes =
            search_until(app, near(47.2184, -1.5536), None, |s| s["totalCount"] == 1).await;
        assert_eq!(in_nantes["totalCount"], 1, "{in_nantes}");
        // The hall moves to Saint-Nazaire, about 55 km away: the event follows it.
        app.query_as(
            city.token(Who::Admin).unwrap(),
            "mutation($id: ID!) { updatePlace(id: $id, expectedVersion: 1, input: {name: \"Salle polyvalente\", city: \"Saint-Nazaire\", latitude: 47.2735, longitude: -2.2138}) { id } }",
            json!({ "id": place }),
        )
        .await;
        let moved = search_until(app, near(47.2735, -2.2138), None, |s| s["totalCount"] == 1).await;
        assert_eq!(moved["totalCount"], 1, "{moved}");
        let gone = search_until(app, near(47.2184, -1.5536), None, |s| s["totalCount"] == 0).await;
        assert_eq!(gone["totalCount"], 0, "{gone}");
    }
);
