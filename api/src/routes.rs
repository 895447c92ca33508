//! HTTP routes: GraphQL over HTTP (POST, and GET for queries), GraphiQL for browsers,
//! health and metrics.

use crate::graphql::{ApiSchema, Loaders, RequestContext};
use crate::identity::Identity;
use actix_web::http::header;
use actix_web::{CustomizeResponder, Either, HttpRequest, HttpResponse, Responder, web};
use async_graphql::http::GraphiQLSource;
use async_graphql_actix_web::{GraphQLRequest, GraphQLResponse};
use silo_storage::Store;
use silo_storage::search::SearchBackend;

/// The header a satellite sends to see only its site's channel.
pub const SITE_HEADER: &str = "x-silo-site";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/graphql", web::post().to(graphql))
        .route(
            "/graphql",
            web::get()
                .guard(actix_web::guard::fn_guard(crate::websocket::is_upgrade))
                .to(crate::websocket::accept),
        )
        .route("/graphql", web::get().to(graphql_get))
        .route("/healthz", web::get().to(healthz))
        .route("/readyz", web::get().to(readyz))
        .route("/metrics", web::get().to(metrics));
}

/// A GraphQL error answer outside execution (the request itself is refused).
fn refused(e: silo_domain::DomainError) -> HttpResponse {
    let status = actix_web::http::StatusCode::from_u16(e.http_status())
        .unwrap_or(actix_web::http::StatusCode::BAD_REQUEST);
    HttpResponse::build(status).json(serde_json::json!({
        "errors": [{ "message": e.to_string(), "extensions": { "code": e.code() } }]
    }))
}

type GraphQLAnswer = Either<CustomizeResponder<GraphQLResponse>, HttpResponse>;

fn header(req: &HttpRequest, name: impl header::AsHeaderName) -> Option<&str> {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

async fn graphql(
    schema: web::Data<ApiSchema>,
    store: web::Data<Store>,
    identity: web::Data<Identity>,
    req: HttpRequest,
    body: GraphQLRequest,
) -> GraphQLAnswer {
    // The socket's peer: a forwarded-for header is the client's to forge.
    let client = req.peer_addr().map(|a| a.ip().to_string());
    let context = match RequestContext::resolve(
        &store,
        &identity,
        header(&req, header::AUTHORIZATION),
        header(&req, SITE_HEADER),
        client,
    )
    .await
    {
        Ok(context) => context,
        Err(e) => return Either::Right(refused(e)),
    };
    let request = body.into_inner().data(context).data(Loaders::new(&store));
    let response = GraphQLResponse::from(schema.execute(request).await);
    // The answer depends on the caller and the site header: caches must key on them.
    Either::Left(
        response
            .customize()
            .insert_header((header::VARY, format!("{SITE_HEADER}, authorization"))),
    )
}

/// GET serves GraphiQL to a browser, and runs queries given in the URL otherwise.
async fn graphql_get(
    schema: web::Data<ApiSchema>,
    store: web::Data<Store>,
    identity: web::Data<Identity>,
    req: HttpRequest,
    body: Result<GraphQLRequest, actix_web::Error>,
) -> GraphQLAnswer {
    let wants_html = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"));
    if req.query_string().is_empty() || (wants_html && body.is_err()) {
        return Either::Right(
            HttpResponse::Ok()
                .content_type("text/html; charset=utf-8")
                .body(
                    GraphiQLSource::build()
                        .endpoint("/graphql")
                        .title("Silo")
                        .finish(),
                ),
        );
    }
    // GraphQL over HTTP names it `operationName`; async-graphql's GET parser only reads
    // `operation_name`.
    let body = body.map(|mut body| {
        if body.0.operation_name.is_none() {
            body.0.operation_name =
                web::Query::<std::collections::HashMap<String, String>>::from_query(
                    req.query_string(),
                )
                .ok()
                .and_then(|q| q.get("operationName").cloned());
        }
        body
    });
    match body {
        // GET is for reads only (GraphQL over HTTP): a link or an image tag must never
        // change anything.
        Ok(body) if is_mutation(&body.0) => Either::Right(
            HttpResponse::MethodNotAllowed()
                .insert_header((header::ALLOW, "POST"))
                .json(serde_json::json!({
                    "errors": [{
                        "message": "mutations are sent with POST",
                        "extensions": { "code": "METHOD_NOT_ALLOWED" }
                    }]
                })),
        ),
        Ok(body) => graphql(schema, store, identity, req, body).await,
        Err(e) => Either::Right(refused(silo_domain::DomainError::invalid(
            "query",
            format!("not a GraphQL request (query, variables as JSON, operationName): {e}"),
        ))),
    }
}

/// Whether the operation the request selects is a mutation (or a subscription).
fn is_mutation(request: &async_graphql::Request) -> bool {
    use async_graphql::parser::types::{DocumentOperations, OperationType};
    let Ok(doc) = async_graphql::parser::parse_query(&request.query) else {
        return false; // execution reports the parse error
    };
    let writes = |ty: OperationType| ty != OperationType::Query;
    match &doc.operations {
        DocumentOperations::Single(op) => writes(op.node.ty),
        DocumentOperations::Multiple(ops) => match &request.operation_name {
            Some(name) => ops.get(name.as_str()).is_some_and(|op| writes(op.node.ty)),
            None => ops.values().any(|op| writes(op.node.ty)),
        },
    }
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("ok")
}

/// Ready when the database answers; says how far the search index is behind.
async fn readyz(store: web::Data<Store>, search: web::Data<SearchBackend>) -> HttpResponse {
    match store.ping().await {
        Ok(()) => {
            let lag = match store.search_lag(&**search).await {
                Ok(lag) => format!(
                    "search: {} changes behind ({:.1} s)",
                    lag.changes, lag.seconds
                ),
                Err(e) => format!("search: unavailable ({e})"),
            };
            HttpResponse::Ok()
                .content_type("text/plain")
                .body(format!("ready\n{lag}\n"))
        }
        Err(e) => {
            tracing::warn!(error = %e, "database not ready");
            HttpResponse::ServiceUnavailable()
                .content_type("text/plain")
                .body("database unavailable")
        }
    }
}

/// Prometheus text format.
async fn metrics(
    store: web::Data<Store>,
    search: web::Data<SearchBackend>,
    feed: web::Data<crate::changes::ChangeFeed>,
) -> HttpResponse {
    let mut body = format!(
        "# HELP silo_sql_statements_total SQL statements run by requests since start (background workers excluded).\n\
         # TYPE silo_sql_statements_total counter\n\
         silo_sql_statements_total {}\n\
         # HELP silo_subscriptions Subscriptions open on this process.\n\
         # TYPE silo_subscriptions gauge\n\
         silo_subscriptions {}\n\
         # HELP silo_subscriptions_dropped_total Subscriptions ended and websockets closed because their consumer read too slowly.\n\
         # TYPE silo_subscriptions_dropped_total counter\n\
         silo_subscriptions_dropped_total {}\n",
        store.statement_count(),
        feed.subscribers(),
        feed.dropped(),
    );
    if let Ok(backlog) = store.webhook_backlog().await {
        body += &format!(
            "# HELP silo_webhook_deliveries_pending Webhook deliveries waiting for their (next) attempt.\n\
             # TYPE silo_webhook_deliveries_pending gauge\n\
             silo_webhook_deliveries_pending {backlog}\n"
        );
    }
    if let Ok(lag) = store.search_lag(&**search).await {
        body += &format!(
            "# HELP silo_search_lag_changes Recorded changes not yet in the search index.\n\
             # TYPE silo_search_lag_changes gauge\n\
             silo_search_lag_changes {}\n\
             # HELP silo_search_lag_seconds Age of the oldest change not yet in the search index.\n\
             # TYPE silo_search_lag_seconds gauge\n\
             silo_search_lag_seconds {:.3}\n",
            lag.changes, lag.seconds
        );
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(body)
}
