//! Open data over HTTP: the agenda as iCalendar (more formats follow), published content
//! only, CORS open, streamed page by page, with `ETag`/`Last-Modified` validators and
//! gzip or brotli as the client asks. Bad filter values are a 400 naming the parameter.

mod ics;
mod params;

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use params::{AgendaParams, Feed};
use sha2::{Digest, Sha256};
use silo_storage::{DataVersion, Store};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/opendata")
            .wrap(actix_web::middleware::Compress::default())
            .route("/agenda.ics", web::get().to(agenda_ics))
            .route("/sites/{site}/agenda.ics", web::get().to(site_agenda_ics)),
    );
}

async fn agenda_ics(
    req: HttpRequest,
    store: web::Data<Store>,
    query: web::Query<Vec<(String, String)>>,
) -> HttpResponse {
    ics_response(req, store, query.into_inner(), None).await
}

async fn site_agenda_ics(
    req: HttpRequest,
    store: web::Data<Store>,
    site: web::Path<String>,
    query: web::Query<Vec<(String, String)>>,
) -> HttpResponse {
    ics_response(req, store, query.into_inner(), Some(site.into_inner())).await
}

async fn ics_response(
    req: HttpRequest,
    store: web::Data<Store>,
    query: Vec<(String, String)>,
    site: Option<String>,
) -> HttpResponse {
    let feed = match Feed::resolve(&store, &query, site).await {
        Ok(feed) => feed,
        Err(refusal) => return refusal.response(),
    };
    let version = match store.data_version().await {
        Ok(v) => v,
        Err(e) => return params::failure(e),
    };
    let validators = Validators::of(&feed.params, &version, req.path());
    if let Some(unchanged) = validators.not_modified(&req) {
        return unchanged;
    }
    let base = public_base(&req);
    let mut response = HttpResponse::Ok();
    response
        .content_type("text/calendar; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            HeaderValue::from_static("inline; filename=\"agenda.ics\""),
        ));
    validators.apply(&mut response);
    response.streaming(ics::stream(store.into_inner(), feed, base))
}

/// `https://host` as the client reached us (proxies' `Forwarded` headers honoured).
fn public_base(req: &HttpRequest) -> String {
    let info = req.connection_info();
    format!("{}://{}", info.scheme(), info.host())
}

/// `ETag` and `Last-Modified` for an export: they change with any recorded change, with
/// the request (path and filters) and with the day (the default window moves daily).
struct Validators {
    etag: String,
    last_modified: Option<chrono::DateTime<chrono::Utc>>,
}

impl Validators {
    fn of(params: &AgendaParams, version: &DataVersion, path: &str) -> Self {
        let mut hash = Sha256::new();
        hash.update(path.as_bytes());
        hash.update(format!("{params:?}").as_bytes());
        hash.update(version.change_id.to_be_bytes());
        hash.update(chrono::Utc::now().date_naive().to_string().as_bytes());
        let digest = hex::encode(&hash.finalize()[..12]);
        Self {
            etag: format!("\"{digest}\""),
            last_modified: version.changed_at,
        }
    }

    /// A 304 when the client's copy is current (`If-None-Match` wins over
    /// `If-Modified-Since`, RFC 9110 13.2.2).
    fn not_modified(&self, req: &HttpRequest) -> Option<HttpResponse> {
        let header = |name| req.headers().get(name).and_then(|v| v.to_str().ok());
        let fresh = match header(header::IF_NONE_MATCH) {
            Some(tags) => tags
                .split(',')
                .map(|t| t.trim().trim_start_matches("W/"))
                .any(|t| t == self.etag || t == "*"),
            None => match (header(header::IF_MODIFIED_SINCE), self.last_modified) {
                (Some(since), Some(modified)) => chrono::DateTime::parse_from_rfc2822(since)
                    .is_ok_and(|since| modified.timestamp() <= since.timestamp()),
                _ => false,
            },
        };
        fresh.then(|| {
            let mut response = HttpResponse::NotModified();
            self.apply(&mut response);
            response.finish()
        })
    }

    fn apply(&self, response: &mut actix_web::HttpResponseBuilder) {
        response
            .insert_header((header::ETAG, self.etag.clone()))
            .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
            .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
            .insert_header((header::VARY, "Accept-Encoding"));
        if let Some(at) = self.last_modified {
            response.insert_header((
                header::LAST_MODIFIED,
                at.format("%a, %d %b %Y %H:%M:%S GMT").to_string(),
            ));
        }
    }
}
