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
