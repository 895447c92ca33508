//! Associations, news, public services and the reference lists.

use crate::both_backends;
use crate::helpers::{Backend, TestApp, spawn_app};
use serde_json::{Value, json};

/// Every node of a connection field, walking pages.
async fn walk(
    app: &TestApp,
    field: &str,
    selection: &str,
    filter: Value,
    first: i64,
) -> Vec<Value> {
    let q = format!(
        "query($f: {ty}, $first: Int, $after: String) {{ {field}(filter: $f, first: $first, after: $after) {{ pageInfo {{ hasNextPage endCursor }} edges {{ node {{ {selection} }} }} }} }}",
        ty = match field {
            "associations" => "AssociationFilter",
            "news" => "NewsFilter",
            _ => "ServiceFilter",
        }
    );
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let data = app
            .query(&q, json!({ "f": filter, "first": first, "after": after }))
            .await;
        let conn = &data[field];
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
        after = conn["pageInfo"]["endCursor"].as_str().map(str::to_owned);
    }
}

both_backends!(
    associations_page_by_name_and_filter,
    |b: Backend| async move {
        let app = spawn_app(b).await;
        let all = walk(
            &app,
            "associations",
            "id slug name rna siret categories { slug }",
            json!({}),
            100,
        )
        .await;
        let small = walk(
            &app,
            "associations",
            "id slug name rna siret categories { slug }",
            json!({}),
            13,
        )
        .await;
        assert!(all.len() >= 250, "{}", all.len());
        assert_eq!(all, small, "page size changed the sequence");
        let folded: Vec<String> = all
            .iter()
            .map(|a| silo_domain::query::fold_for_search(a["name"].as_str().unwrap()))
            .collect();
        assert!(folded.windows(2).all(|w| w[0] <= w[1]), "not in name order");
        let name = all[0]["name"].as_str().unwrap();
        let prefix: String = name.chars().take(4).collect::<String>().to_uppercase();
        let hits = walk(
            &app,
            "associations",
            "name",
            json!({ "namePrefix": prefix }),
            100,
        )
        .await;
        assert!(!hits.is_empty());
        let want = silo_domain::query::fold_for_search(&prefix);
        assert!(hits.iter().all(|a| {
            silo_domain::query::fold_for_search(a["name"].as_str().unwrap()).starts_with(&want)
        }));
        let cat = all
            .iter()
            .flat_map(|a| a["categories"].as_array().unwrap().clone())
            .next()
            .unwrap();
        let in_cat = walk(
            &app,
            "associations",
            "categories { slug }",
            json!({ "categories": [cat["slug"]] }),
            100,
        )
        .await;
        assert!(
            !in_cat.is_empty()
                && in_cat
                    .iter()
                    .all(|a| a["categories"].as_array().unwrap().contains(&cat))
        );
        let slug = all[0]["slug"].as_str().unwrap();
        let one = app
            .query(
                r#"query($s: String!) { association(slug: $s) { slug rna siret } }"#,
                json!({ "s": slug }),
            )
            .await;
        assert_eq!(one["association"]["slug"], slug);
        let rna = one["association"]["rna"].as_str().unwrap();
        assert!(rna.starts_with('W') && rna.len() == 10);
        let sirets: Vec<&str> = all.iter().filter_map(|a| a["siret"].as_str()).collect();
        assert!(!sirets.is_empty(), "some associations have a SIRET");
        assert!(
            sirets
                .iter()
                .all(|s| silo_domain::field::Siret::parse(s).is_ok())
        );
    }
);

both_backends!(news_newest_first_with_filters, |b: Backend| async move {
    let app = spawn_app(b).await;
    let all = walk(
        &app,
        "news",
        "id slug publishedAt featured tags { slug } department { slug }",
        json!({}),
        100,
    )
    .await;
    let small = walk(
        &app,
        "news",
        "id slug publishedAt featured tags { slug } department { slug }",
        json!({}),
        9,
    )
    .await;
    assert!(all.len() >= 150, "{}", all.len());
    assert_eq!(all, small);
    let dates: Vec<&str> = all
        .iter()
        .map(|n| n["publishedAt"].as_str().unwrap())
        .collect();
    assert!(dates.windows(2).all(|w| w[0] >= w[1]), "not newest first");
    let featured = walk(&app, "news", "featured", json!({ "featured": true }), 100).await;
    assert!(!featured.is_empty() && featured.iter().all(|n| n["featured"] == true));
    let tag = all
        .iter()
        .flat_map(|n| n["tags"].as_array().unwrap().clone())
        .next()
        .unwrap();
    let tagged = walk(
        &app,
        "news",
        "tags { slug }",
        json!({ "tags": [tag["slug"]] }),
        100,
    )
    .await;
    assert!(
        !tagged.is_empty()
            && tagged
                .iter()
                .all(|n| n["tags"].as_array().unwrap().contains(&tag))
    );
    let dept = all[0]["department"]["slug"].clone();
    let in_dept = walk(
        &app,
        "news",
        "department { slug }",
        json!({ "departments": [dept] }),
        100,
    )
    .await;
    assert!(!in_dept.is_empty() && in_dept.len() < all.len());
    // Sub-departments' news come along (the tree is two levels deep).
    let tree = app
        .query("{ departments { slug parent { slug } } }", json!({}))
        .await;
    let family: Vec<Value> = tree["departments"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["slug"] == dept || d["parent"]["slug"] == dept)
        .map(|d| d["slug"].clone())
        .collect();
    assert!(
        in_dept
            .iter()
            .all(|n| family.contains(&n["department"]["slug"]))
    );
    assert_eq!(
        in_dept.len(),
        all.iter()
            .filter(|n| family.contains(&n["department"]["slug"]))
            .count()
    );
    let slug = all[0]["slug"].as_str().unwrap();
    let one = app
        .query(
            r#"query($s: String!) { newsArticle(slug: $s) { slug bodyHtml } }"#,
            json!({ "s": slug }),
        )
        .await;
    assert_eq!(one["newsArticle"]["slug"], slug);
});

both_backends!(public_services_and_opening_hours, |b: Backend| async move {
    let app = spawn_app(b).await;
    let sel = "slug kind openingHours openNow nextChange at: openAt(at: \"2026-07-14T08:00:00Z\") tuesday: openAt(at: \"2026-07-07T08:00:00Z\")";
    let all = walk(&app, "publicServices", sel, json!({}), 100).await;
    assert!(all.len() >= 50, "{}", all.len());
    // Open at 10:00 on Tuesday 7 July 2026 (Paris): the filter agrees with each service's own answer.
    let open_tuesday = walk(
        &app,
        "publicServices",
        "slug",
        json!({ "openAt": "2026-07-07T08:00:00Z" }),
        7,
    )
    .await;
    let expected: Vec<_> = all
        .iter()
        .filter(|s| s["tuesday"] == true)
        .map(|s| s["slug"].clone())
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(
        open_tuesday
            .iter()
            .map(|s| s["slug"].clone())
            .collect::<Vec<_>>(),
        expected
    );
    // Bastille Day: offices with `PH off` are closed.
    let ph_off = all.iter().filter(|s| {
        s["openingHours"]
            .as_str()
            .is_some_and(|h| h.contains("PH off"))
    });
    assert!(ph_off.clone().count() > 0);
    assert!(
        ph_off.into_iter().all(|s| s["at"] == false),
        "open on a public holiday"
    );
    let online = walk(
        &app,
        "publicServices",
        "kind",
        json!({ "kind": "ONLINE_PROCEDURE" }),
        100,
    )
    .await;
    assert!(!online.is_empty() && online.iter().all(|s| s["kind"] == "ONLINE_PROCEDURE"));
    // Within 1 km of the town hall, by each service's own coordinates.
    let (lat, lon) = silo_domain::demo::CITY_CENTER;
    let center = silo_domain::field::GeoPoint {
        latitude: lat,
        longitude: lon,
    };
    let located = walk(
        &app,
        "publicServices",
        "slug place { latitude longitude }",
        json!({}),
        100,
    )
    .await;
    let near = walk(
        &app,
        "publicServices",
        "slug",
        json!({ "near": { "latitude": lat, "longitude": lon, "radiusKm": 1.0 } }),
        100,
    )
    .await;
    let within: Vec<_> = located
        .iter()
        .filter(|s| s["place"]["latitude"].is_number())
        .filter(|s| {
            let here = silo_domain::field::GeoPoint {
                latitude: s["place"]["latitude"].as_f64().unwrap(),
                longitude: s["place"]["longitude"].as_f64().unwrap(),
            };
            center.distance_km(&here) <= 1.0
        })
        .map(|s| s["slug"].clone())
        .collect();
    assert!(
        !within.is_empty() && within.len() < located.len(),
        "{} of {}",
        within.len(),
        located.len()
    );
    assert_eq!(
        near.iter().map(|s| s["slug"].clone()).collect::<Vec<_>>(),
        within
    );
    let slug = all[0]["slug"].as_str().unwrap();
    let one = app
        .query(
            r#"query($s: String!) { publicService(slug: $s) { slug openNow } }"#,
            json!({ "s": slug }),
        )
        .await;
    assert_eq!(one["publicService"]["slug"], slug);
});

both_backends!(reference_lists, |b: Backend| async move {
    let app = spawn_app(b).await;
    let data = app.query("{ departments { slug name parent { slug } } categories { slug name } tags { slug } site(slug: \"portail\") { slug name baseUrl } }", json!({})).await;
    assert!(data["departments"].as_array().unwrap().len() >= 8);
    assert!(
        data["departments"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["parent"].is_object()),
        "the departments form a tree"
    );
    assert!(data["categories"].as_array().unwrap().len() >= 10);
    assert_eq!(data["site"]["slug"], "portail");
});
