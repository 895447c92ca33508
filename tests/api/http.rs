//! HTTP surface: health, GET queries, GraphiQL.

use crate::both_backends;
use crate::helpers::{Backend, spawn_app};

both_backends!(health_and_readiness, |b: Backend| async move {
    let app = spawn_app(b).await;
    for path in ["/healthz", "/readyz", "/metrics"] {
        let resp = app
            .client
            .get(format!("{}{path}", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 200, "{path}");
    }
});

both_backends!(
    get_runs_queries_and_browsers_get_graphiql,
    |b: Backend| async move {
        let app = spawn_app(b).await;
        let resp = app
            .client
            .get(format!("{}/graphql", app.address))
            .query(&[("query", "{ categories { slug } }")])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 200);
        let body: serde_json::Value = resp.json().await.unwrap();
        assert!(
            body["data"]["categories"].as_array().unwrap().len() > 5,
            "{body}"
        );
        let page = app
            .client
            .get(format!("{}/graphql", app.address))
            .header("Accept", "text/html")
            .send()
            .await
            .unwrap();
        assert_eq!(page.status().as_u16(), 200);
        assert!(
            page.text()
                .await
                .unwrap()
                .to_lowercase()
                .contains("graphiql")
        );
    }
);

both_backends!(get_never_runs_a_mutation, |b: Backend| async move {
    let app = spawn_app(b).await;
    for (query, operation) in [
        ("mutation { logout(refreshToken: \"x\") }", None),
        (
            "query Q { categories { slug } } mutation M { logout(refreshToken: \"x\") }",
            Some("M"),
        ),
    ] {
        let mut params = vec![("query", query)];
        params.extend(operation.map(|o| ("operationName", o)));
        let resp = app
            .client
            .get(format!("{}/graphql", app.address))
            .query(&params)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 405, "{query}");
        let body: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(
            body["errors"][0]["extensions"]["code"],
            "METHOD_NOT_ALLOWED"
        );
    }
    // The query of the same document still runs over GET.
    let resp = app
        .client
        .get(format!("{}/graphql", app.address))
        .query(&[
            (
                "query",
                "query Q { categories { slug } } mutation M { logout(refreshToken: \"x\") }",
            ),
            ("operationName", "Q"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
});
