//! HTTP caching of public answers (GET `/graphql`, `/opendata/*`): validators, freshness
//! and the surrogate keys a CDN or Varnish in front purges by.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponseBuilder};
use chrono::{DateTime, Utc};

/// Whether the client's copy (`If-None-Match`) is the one tagged `etag`.
pub fn etag_matches(req: &HttpRequest, etag: &str) -> bool {
    req.headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| {
            tags.split(',')
                .map(|t| t.trim().trim_start_matches("W/"))
                .any(|t| t == etag || t == "*")
        })
}

/// `Cache-Control` for an answer: fresh for `max_age` seconds, then served stale for as
/// long again while revalidated, both cut short at `boundary` (when the answer stops
/// being true by time alone). `shared`: a CDN may serve it to others.
pub fn cache_control(shared: bool, max_age: u32, boundary: Option<DateTime<Utc>>) -> String {
    let scope = if shared { "public" } else { "private" };
    let left = boundary.map_or(u32::MAX, |at| {
        u32::try_from((at - Utc::now()).num_seconds().max(0)).unwrap_or(u32::MAX)
    });
    let fresh = max_age.min(left);
    let stale = max_age.min(left - fresh);
    format!("{scope}, max-age={fresh}, stale-while-revalidate={stale}")
}

/// `Surrogate-Key` (Fastly, Varnish xkey) and `Cache-Tag` (Cloudflare, Akamai) listing
/// the keys, space-separated.
pub fn tag(response: &mut HttpResponseBuilder, keys: &str) {
    if keys.is_empty() {
        return;
    }
    response
        .insert_header(("surrogate-key", keys.to_owned()))
        .insert_header(("cache-tag", keys.replace(' ', ",")));
}
