//! Bad requests get a typed error and a 4xx or a 200 with `errors`, never a 5xx.

use crate::both_backends;
use crate::helpers::{Backend, spawn_app};
use serde_json::json;

both_backends!(bad_inputs_get_typed_errors, |b: Backend| async move {
    let app = spawn_app(b).await;
    let cases = [
        (
            r#"{ events(after: "garbage") { edges { cursor } } }"#,
            json!({}),
            "BAD_USER_INPUT",
            Some("after"),
        ),
        (
            r#"{ events(first: 10000) { edges { cursor } } }"#,
            json!({}),
            "BAD_USER_INPUT",
            Some("first"),
        ),
        (
            r#"{ events(first: -1) { edges { cursor } } }"#,
            json!({}),
            "BAD_USER_INPUT",
            Some("first"),
        ),
        (
            r#"{ events(filter: { site: "nowhere" }) { edges { cursor } } }"#,
            json!({}),
            "BAD_USER_INPUT",
            Some("filter.site"),
        ),
        (
            r#"{ events(filter: { categories: ["no-such-thing"] }) { edges { cursor } } }"#,
            json!({}),
            "BAD_USER_INPUT",
            Some("filter.categories"),
        ),
        (
            r#"{ events(filter: { from: "2026-13-45" }) { edges { cursor } } }"#,
            json!({}),
            "BAD_USER_INPUT",
            None,
        ),
        (
            r#"query($f: DateTime) { events(filter: { from: $f }) { edges { cursor } } }"#,
            json!({ "f": "yesterday" }),
            "BAD_USER_INPUT",
            None,
        ),
        (
            r#"{ events(filter: { from: "2026-06-01T00:00:00Z", to: "2026-05-01T00:00:00Z" }) { edges { cursor } } }"#,
            json!({}),
            "BAD_USER_INPUT",
            Some("filter.to"),
        ),
        (
            r#"{ events(filter: { near: { latitude: 91, longitude: 0, radiusKm: 2 } }) { edges { cursor } } }"#,
            json!({}),
            "BAD_USER_INPUT",
            Some("filter.near.latitude"),
        ),
        (
            r#"{ events(filter: { audience: 300 }) { edges { cursor } } }"#,
            json!({}),
            "BAD_USER_INPUT",
            Some("filter.audience"),
        ),
        (
            r#"{ event(slug: "no-such-event") { id } }"#,
            json!({}),
            "NOT_FOUND",
            None,
        ),
        (
            r#"{ event(id: "not-a-uuid") { id } }"#,
            json!({}),
            "BAD_USER_INPUT",
            Some("id"),
        ),
        (
            r#"{ association(slug: "nope") { id } }"#,
            json!({}),
            "NOT_FOUND",
            None,
        ),
        (
            r#"{ site(slug: "nope") { id } }"#,
            json!({}),
            "NOT_FOUND",
            None,
        ),
        (
            r#"{ associations(after: "b2NjfDE=") { edges { cursor } } }"#,
            json!({}),
            "BAD_USER_INPUT",
            Some("after"),
        ),
        (
            r#"{ events { edges { cursor } "#,
            json!({}),
            "GRAPHQL_PARSE_FAILED",
            None,
        ),
        (r#"{ nope }"#, json!({}), "GRAPHQL_VALIDATION_FAILED", None),
    ];
    for (query, vars, code, field) in cases {
        let (got, err) = app.error_code(query, vars, None).await;
        assert_eq!(got, code, "{query}: {err}");
        if let Some(field) = field {
            assert_eq!(err["extensions"]["field"], field, "{query}: {err}");
        }
    }
});

both_backends!(a_depth_bomb_is_refused, |b: Backend| async move {
    let app = spawn_app(b).await;
    let mut q = String::from("{ departments { ");
    for _ in 0..20 {
        q.push_str("parent { ");
    }
    q.push_str("name");
    q.push_str(&" }".repeat(21));
    q.push_str(" }");
    let (code, err) = app.error_code(&q, json!({}), None).await;
    assert_eq!(code, "GRAPHQL_VALIDATION_FAILED", "{err}");
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("deep"),
        "{err}"
    );
});

both_backends!(an_unknown_site_header_is_refused, |b: Backend| async move {
    let app = spawn_app(b).await;
    let (status, body) = app
        .post(
            "{ events { edges { cursor } } }",
            json!({}),
            Some("nowhere"),
        )
        .await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "NOT_FOUND");
});
