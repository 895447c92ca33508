//! HTTP routes: GraphQL over HTTP (POST, and GET for queries), GraphiQL for browsers,
//! health and metrics.

use crate::graphql::trail::{Operation, Trail};
use crate::graphql::{ApiSchema, Loaders, RequestContext};
use crate::http_cache;
use crate::identity::{Caller, Identity};
use crate::persisted::PersistedQueries;
use crate::response_cache::{Answer, PublicCaller, ResponseCache};
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use async_graphql::http::GraphiQLSource;
use async_graphql_actix_web::GraphQLRequest;
use silo_storage::Store;
use silo_storage::search::SearchBackend;
use std::sync::Arc;

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
    graphql_error(e.http_status(), &e.to_string(), e.code())
}

fn header(req: &HttpRequest, name: impl header::AsHeaderName) -> Option<&str> {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// What answering a GraphQL request needs, shared by the handlers.
pub struct GraphqlEndpoint {
    pub schema: ApiSchema,
    pub store: Store,
    pub identity: Identity,
    pub cache: Arc<ResponseCache>,
    pub persisted: PersistedQueries,
    /// Seconds a CDN or browser may keep a public answer given over GET.
    pub http_max_age: u32,
}

async fn graphql(
    endpoint: web::Data<GraphqlEndpoint>,
    req: HttpRequest,
    body: GraphQLRequest,
) -> HttpResponse {
    answer(&endpoint, &req, body.into_inner(), false).await
}

/// GET serves GraphiQL to a browser, and runs queries given in the URL otherwise.
async fn graphql_get(
    endpoint: web::Data<GraphqlEndpoint>,
    req: HttpRequest,
    body: Result<GraphQLRequest, actix_web::Error>,
) -> HttpResponse {
    let wants_html = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"));
    if req.query_string().is_empty() || (wants_html && body.is_err()) {
        return HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .body(
                GraphiQLSource::build()
                    .endpoint("/graphql")
                    .title("Silo")
                    .finish(),
            );
    }
    match body {
        Ok(body) => {
            let mut request = body.into_inner();
            // GraphQL over HTTP names it `operationName`; async-graphql's GET parser only
            // reads `operation_name`.
            if request.operation_name.is_none() {
                request.operation_name =
                    web::Query::<std::collections::HashMap<String, String>>::from_query(
                        req.query_string(),
                    )
                    .ok()
                    .and_then(|q| q.get("operationName").cloned());
            }
            answer(&endpoint, &req, request, true).await
        }
        Err(e) => refused(silo_domain::DomainError::invalid(
            "query",
            format!("not a GraphQL request (query, variables as JSON, operationName): {e}"),
        )),
    }
}

/// Runs a GraphQL request, or serves its kept answer. Public callers' answers are kept
/// (response cache) and, over GET, given HTTP validators, freshness and surrogate keys.
async fn answer(
    endpoint: &GraphqlEndpoint,
    req: &HttpRequest,
    mut request: async_graphql::Request,
    via_get: bool,
) -> HttpResponse {
    let caller = PublicCaller::of(header(req, header::AUTHORIZATION), header(req, SITE_HEADER));
    if let Err(refusal) = endpoint.persisted.resolve(&mut request, caller.is_some()) {
        let (status, message, code) = refusal.error();
        return graphql_error(status, &message, code);
    }
    let key = caller.as_ref().map(|c| c.key(&request));
    if let Some(kept) = key.as_ref().and_then(|k| endpoint.cache.answer(k)) {
        // A site key is checked on every request, hit or not: one revoked by any process
        // (or the CLI) is refused at once, not when this process hears of it.
        if let Some(PublicCaller::SiteKey(_)) = caller {
            let authorization = header(req, header::AUTHORIZATION);
            if let Err(e) =
                Caller::from_authorization(&endpoint.store, &endpoint.identity, authorization).await
            {
                return refused(e);
            }
        }
        return respond(
            endpoint,
            req,
            Body::Kept(&kept),
            caller.as_ref(),
            via_get,
            "hit",
        );
    }
    let operation = Operation::of(&request.query, request.operation_name.as_deref());
    // GET is for reads only (GraphQL over HTTP): a link or an image tag must never change
    // anything. Checked on the document a persisted query hash named, too.
    if via_get && operation == Operation::Write {
        let mut refusal = graphql_error(405, "mutations are sent with POST", "METHOD_NOT_ALLOWED");
        refusal
            .headers_mut()
            .insert(header::ALLOW, header::HeaderValue::from_static("POST"));
        return refusal;
    }
    // Before any read, the site's channel included: what changes after this is checked
    // when the answer is kept.
    let read_at = endpoint.cache.position();
    // The socket's peer: a forwarded-for header is the client's to forge.
    let client = req.peer_addr().map(|a| a.ip().to_string());
    let context = match RequestContext::resolve(
        &endpoint.store,
        &endpoint.identity,
        header(req, header::AUTHORIZATION),
        header(req, SITE_HEADER),
        client,
    )
    .await
    {
        Ok(context) => context,
        Err(e) => return refused(e),
    };
    let trail = caller.as_ref().map(|_| Trail::default());
    let mut request = request.data(context).data(Loaders::new(&endpoint.store));
    if let Some(trail) = &trail {
        request = request.data(trail.clone());
    }
    let response = endpoint.schema.execute(request).await;
    let body = serde_json::to_vec(&response).unwrap_or_default();
    let is_query = matches!(operation, Operation::TracedQuery | Operation::UntracedQuery);
    match (trail, key) {
        (Some(trail), Some(key)) if response.is_ok() && is_query => {
            let mut dependencies = trail.take();
            if operation == Operation::UntracedQuery {
                dependencies.everything();
            }
            let kept = Arc::new(Answer::new(body, dependencies));
            if !endpoint.cache.keep(key, kept.clone(), read_at) {
                // Already stale (a change arrived while it was computed): its purge may be
                // on its way to the CDN, which must not keep this copy after it.
                return respond(
                    endpoint,
                    req,
                    Body::Fresh(kept.body.to_vec()),
                    caller.as_ref(),
                    via_get,
                    "miss",
                );
            }
            respond(
                endpoint,
                req,
                Body::Kept(&kept),
                caller.as_ref(),
                via_get,
                "miss",
            )
        }
        _ => respond(
            endpoint,
            req,
            Body::Fresh(body),
            caller.as_ref(),
            via_get,
            "bypass",
        ),
    }
}

enum Body<'a> {
    /// A public answer, with its validator and dependencies.
    Kept(&'a Answer),
    /// Any other answer (a user's, an error, a mutation's).
    Fresh(Vec<u8>),
}

fn respond(
    endpoint: &GraphqlEndpoint,
    req: &HttpRequest,
    body: Body<'_>,
    caller: Option<&PublicCaller<'_>>,
    via_get: bool,
    cache: &'static str,
) -> HttpResponse {
    let mut response = HttpResponse::Ok();
    response
        .content_type("application/graphql-response+json")
        // The answer depends on the caller and the site header: caches must key on them.
        .insert_header((header::VARY, format!("{SITE_HEADER}, authorization")))
        .insert_header(("x-silo-cache", cache));
    match (body, caller) {
        (Body::Kept(answer), Some(caller)) if via_get => {
            let deps = &answer.dependencies;
            let control = if deps.keepable() {
                http_cache::cache_control(caller.shared(), endpoint.http_max_age, deps.expires_at())
            } else {
                "no-cache".to_owned()
            };
            response
                .insert_header((header::ETAG, answer.etag.clone()))
                .insert_header((header::CACHE_CONTROL, control));
            http_cache::tag(&mut response, &answer.surrogate_keys);
            if http_cache::etag_matches(req, &answer.etag) {
                return response.status(StatusCode::NOT_MODIFIED).finish();
            }
            response.body(answer.body.clone())
        }
        (Body::Kept(answer), _) => response.body(answer.body.clone()),
        (Body::Fresh(body), _) => {
            if via_get {
                response.insert_header((header::CACHE_CONTROL, "private, no-store"));
            }
            response.body(body)
        }
    }
}

/// A GraphQL error answer outside execution.
/// Never kept by a cache: the same URL may well succeed next time (a persisted query
/// registered meanwhile, a key renewed).
fn graphql_error(status: u16, message: &str, code: &str) -> HttpResponse {
    HttpResponse::build(StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .json(serde_json::json!({
            "errors": [{ "message": message, "extensions": { "code": code } }]
        }))
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
    cache: web::Data<ResponseCache>,
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
    body += &cache.metrics();
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
