//! Open data over HTTP: the agenda as iCalendar (more formats follow), published content
//! only, CORS open, streamed page by page, with `ETag`/`Last-Modified` validators and
//! gzip or brotli as the client asks. Bad filter values are a 400 naming the parameter.

mod catalog;
mod directory;
mod export;
mod ics;
mod json_api;
mod jsonld;
mod params;
mod snapshot;
mod table;

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use export::{Context, Format};
use params::Feed;
use sha2::{Digest, Sha256};
use silo_storage::{DataVersion, Store};
use table::Table;

pub use catalog::Publisher;
pub use snapshot::{Snapshots, dir_in as snapshot_dir};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/opendata")
            .wrap(actix_web::middleware::Compress::default())
            .route("/agenda.ics", web::get().to(agenda_ics))
            .route("/evenements.csv", web::get().to(events_csv))
            .route("/occurrences.csv", web::get().to(occurrences_csv))
            .route("/agenda.jsonld", web::get().to(agenda_jsonld))
            .route("/agenda.json", web::get().to(agenda_json))
            .route("/catalog.jsonld", web::get().to(catalog_jsonld))
            .route("/associations.csv", web::get().to(associations_csv))
            .route("/services.json", web::get().to(services_json))
            .route("/equipements.csv", web::get().to(equipements_csv))
            .route("/events/{slug}.jsonld", web::get().to(event_jsonld))
            .route("/agenda/datapackage.json", web::get().to(datapackage))
            .route(
                "/agenda/schemas/{name}.schema.json",
                web::get().to(table_schema),
            )
            .route("/sites/{site}/agenda.ics", web::get().to(agenda_ics))
            .route("/sites/{site}/evenements.csv", web::get().to(events_csv))
            .route(
                "/sites/{site}/occurrences.csv",
                web::get().to(occurrences_csv),
            )
            .route("/sites/{site}/agenda.jsonld", web::get().to(agenda_jsonld))
            .route("/sites/{site}/agenda.json", web::get().to(agenda_json)),
    );
}

type Query = web::Query<Vec<(String, String)>>;

/// How a file is served.
struct Served {
    content_type: &'static str,
    filename: &'static str,
}

const ICS: Served = Served {
    content_type: "text/calendar; charset=utf-8",
    filename: "agenda.ics",
};
const JSONLD: Served = Served {
    content_type: "application/ld+json",
    filename: "agenda.jsonld",
};
const EVENTS_CSV: Served = Served {
    content_type: "text/csv; charset=utf-8",
    filename: "evenements.csv",
};
const OCCURRENCES_CSV: Served = Served {
    content_type: "text/csv; charset=utf-8",
    filename: "occurrences.csv",
};

/// The site of `/opendata/sites/{site}/…`, if the path names one.
fn path_site(req: &HttpRequest) -> Option<String> {
    req.match_info().get("site").map(str::to_owned)
}

async fn agenda_ics(req: HttpRequest, store: web::Data<Store>, query: Query) -> HttpResponse {
    let site = path_site(&req);
    export(req, store, query.into_inner(), site, ics::Ics, ICS).await
}

async fn events_csv(req: HttpRequest, store: web::Data<Store>, query: Query) -> HttpResponse {
    let site = path_site(&req);
    export(
        req,
        store,
        query.into_inner(),
        site,
        Table::Events,
        EVENTS_CSV,
    )
    .await
}

async fn occurrences_csv(req: HttpRequest, store: web::Data<Store>, query: Query) -> HttpResponse {
    let (site, table) = (path_site(&req), Table::Occurrences);
    export(req, store, query.into_inner(), site, table, OCCURRENCES_CSV).await
}

async fn agenda_jsonld(req: HttpRequest, store: web::Data<Store>, query: Query) -> HttpResponse {
    let site = path_site(&req);
    export(req, store, query.into_inner(), site, jsonld::JsonLd, JSONLD).await
}

/// A page of the OpenAgenda-shaped JSON (not streamed: a page is at most 300 events).
async fn agenda_json(req: HttpRequest, store: web::Data<Store>, query: Query) -> HttpResponse {
    let query = query.into_inner();
    let (size, after) = match json_api::paging(&query) {
        Ok(paging) => paging,
        Err(refusal) => return refusal.response(),
    };
    let feed = match Feed::resolve(&store, &query, path_site(&req)).await {
        Ok(feed) => feed,
        Err(refusal) => return refusal.response(),
    };
    let version = match store.data_version().await {
        Ok(v) => v,
        Err(e) => return params::failure(e),
    };
    let validators = Validators::of(&version, &req.uri().to_string());
    if let Some(unchanged) = validators.not_modified(&req) {
        return unchanged;
    }
    let context = Context {
        feed,
        base: public_base(&req),
        now: chrono::Utc::now(),
    };
    match json_api::page(&store, &context, size, after).await {
        Ok(body) => {
            let mut response = HttpResponse::Ok();
            validators.apply(&mut response);
            response
                .content_type("application/json")
                .body(body.to_string())
        }
        Err(e) => params::failure(e),
    }
}

/// One published event's JSON-LD, by slug (404 when it is not public).
async fn event_jsonld(
    req: HttpRequest,
    store: web::Data<Store>,
    slug: web::Path<String>,
) -> HttpResponse {
    let found = match store.event(None, Some(&slug), None).await {
        Ok(found) => found,
        Err(e) => return params::failure(e),
    };
    let Some(event) = found else {
        return HttpResponse::NotFound().json(serde_json::json!({
            "error": "NOT_FOUND",
            "message": "no published event with this slug",
        }));
    };
    let window = (
        event.fields.starts_at,
        event.fields.starts_at + chrono::Duration::days(2 * 366),
    );
    let url = format!("{}{}", public_base(&req), req.path());
    let page = match export::page_of(&store, vec![event], Some(window)).await {
        Ok(page) => page,
        Err(e) => return params::failure(e),
    };
    match jsonld::document(&page, url) {
        Some(document) => HttpResponse::Ok()
            .content_type("application/ld+json")
            .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
            .body(document.to_string()),
        None => HttpResponse::NotFound().finish(),
    }
}

/// The associations directory (filters: `category`, `site`).
async fn associations_csv(req: HttpRequest, store: web::Data<Store>, query: Query) -> HttpResponse {
    let served = Served {
        content_type: "text/csv; charset=utf-8",
        filename: "associations.csv",
    };
    let (feed, mut response, _) = match prepare(&req, &store, &query, None, &served).await {
        Ok(prepared) => prepared,
        Err(done) => return done,
    };
    match directory::associations(store.into_inner(), feed) {
        Ok(rows) => response.streaming(rows),
        Err(e) => params::failure(e),
    }
}

/// The facilities as the SCDL Équipements table (filter: `site`); a 404 saying what to
/// configure when the collectivity's SIRET and INSEE code are not set.
async fn equipements_csv(
    req: HttpRequest,
    store: web::Data<Store>,
    publisher: web::Data<Publisher>,
    query: Query,
) -> HttpResponse {
    let Some(collectivity) = publisher.collectivity.clone() else {
        return HttpResponse::NotFound().json(serde_json::json!({
            "error": "NOT_FOUND",
            "message": "set SILO_CITY_SIRET and SILO_CITY_INSEE to publish equipements.csv",
        }));
    };
    let served = Served {
        content_type: "text/csv; charset=utf-8",
        filename: "equipements.csv",
    };
    let (feed, mut response, _) = match prepare(&req, &store, &query, None, &served).await {
        Ok(prepared) => prepared,
        Err(done) => return done,
    };
    match directory::equipments(store.into_inner(), feed, collectivity) {
        Ok(rows) => response.streaming(rows),
        Err(e) => params::failure(e),
    }
}

/// The public services as data.inclusion `service` objects (filter: `site`).
async fn services_json(
    req: HttpRequest,
    store: web::Data<Store>,
    publisher: web::Data<Publisher>,
    query: Query,
) -> HttpResponse {
    let served = Served {
        content_type: "application/json",
        filename: "services.json",
    };
    let (feed, mut response, _) = match prepare(&req, &store, &query, None, &served).await {
        Ok(prepared) => prepared,
        Err(done) => return done,
    };
    let source = silo_domain::services_json::Source {
        name: publisher.source_name(),
    };
    response.streaming(directory::services(store.into_inner(), feed, source))
}

/// The DCAT catalog: the city's agenda and each site's, paged by `page` (from 1).
async fn catalog_jsonld(
    req: HttpRequest,
    store: web::Data<Store>,
    publisher: web::Data<Publisher>,
    query: Query,
) -> HttpResponse {
    let sites = match store.sites().await {
        Ok(sites) => sites,
        Err(e) => return params::failure(e),
    };
    use catalog::{Dataset, DatasetKind};
    let mut datasets = vec![
        Dataset {
            kind: DatasetKind::Agenda(None),
            title: format!("Agenda des manifestations — {}", publisher.name),
            description: "Les événements publics de la ville : dates, lieux, tarifs, accessibilité."
                .to_owned(),
        },
        Dataset {
            kind: DatasetKind::Associations,
            title: format!("Annuaire des associations — {}", publisher.name),
            description: "Les associations de la ville : objet, SIRET ou RNA, adresse, contacts."
                .to_owned(),
        },
        Dataset {
            kind: DatasetKind::Services,
            title: format!("Services publics — {}", publisher.name),
            description: "Les services publics et équipements : adresses, horaires d'ouverture (syntaxe OpenStreetMap), démarches en ligne.".to_owned(),
        },
    ];
    if publisher.collectivity.is_some() {
        datasets.push(Dataset {
            kind: DatasetKind::Equipments,
            title: format!("Équipements publics — {}", publisher.name),
            description: "Les équipements collectifs publics au format SCDL Équipements."
                .to_owned(),
        });
    }
    datasets.extend(sites.into_iter().map(|site| Dataset {
        description: format!("Les événements publiés sur le site {}.", site.name),
        title: format!("Agenda — {}", site.name),
        kind: DatasetKind::Agenda(Some(site.slug)),
    }));
    let pages = datasets.len().div_ceil(catalog::PAGE_SIZE).max(1);
    let page = match query.iter().find(|(k, _)| k == "page") {
        None => 1,
        Some((_, raw)) => match raw.parse::<usize>() {
            Ok(n) if (1..=pages).contains(&n) => n,
            _ => {
                return params::Refusal::BadParameter {
                    parameter: "page",
                    message: format!("is a page number from 1 to {pages}"),
                }
                .response();
            }
        },
    };
    let version = match store.data_version().await {
        Ok(v) => v,
        Err(e) => return params::failure(e),
    };
    let body = catalog::catalog(
        &public_base(&req),
        &publisher,
        &datasets,
        page,
        version.changed_at,
    );
    HttpResponse::Ok()
        .content_type("application/ld+json")
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .body(body.to_string())
}

async fn datapackage(req: HttpRequest) -> HttpResponse {
    let package = table::datapackage(&public_base(&req), req.query_string());
    HttpResponse::Ok()
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .json(package)
}

async fn table_schema(name: web::Path<String>) -> HttpResponse {
    match table::schema(&name) {
        Some(schema) => HttpResponse::Ok()
            .content_type("application/schema+json")
            .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
            .body(schema),
        None => HttpResponse::NotFound().json(serde_json::json!({
            "error": "NOT_FOUND",
            "message": "no such table schema",
        })),
    }
}

/// An agenda export: the feed resolved from the query (a 400 naming a bad parameter), a
/// 304 when the client's copy is current, otherwise the file streamed.
/// What every file export does first: the feed from the query (a 400 naming a bad
/// parameter), then a 304 when the client's copy is current; otherwise the feed and a
/// 200 builder with the file's headers and validators.
async fn prepare(
    req: &HttpRequest,
    store: &Store,
    query: &[(String, String)],
    site: Option<String>,
    served: &Served,
) -> Result<(Feed, actix_web::HttpResponseBuilder, Validators), HttpResponse> {
    let feed = Feed::resolve(store, query, site)
        .await
        .map_err(params::Refusal::response)?;
    let version = store.data_version().await.map_err(params::failure)?;
    let validators = Validators::of(&version, &req.uri().to_string());
    if let Some(unchanged) = validators.not_modified(req) {
        return Err(unchanged);
    }
    Ok((feed, ok_with(served, &validators), validators))
}

/// A 200 with the file's headers and validators.
fn ok_with(served: &Served, validators: &Validators) -> actix_web::HttpResponseBuilder {
    let mut response = HttpResponse::Ok();
    response.content_type(served.content_type).insert_header((
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&format!("inline; filename=\"{}\"", served.filename))
            .unwrap_or(HeaderValue::from_static("inline")),
    ));
    validators.apply(&mut response);
    response
}

/// An agenda file: from its snapshot when there is one for this request and the data as
/// they are, otherwise read and written while it streams (and recorded as a snapshot).
async fn export<F: Format>(
    req: HttpRequest,
    store: web::Data<Store>,
    query: Vec<(String, String)>,
    site: Option<String>,
    format: F,
    served: Served,
) -> HttpResponse {
    let (feed, mut response, validators) = match prepare(&req, &store, &query, site, &served).await
    {
        Ok(prepared) => prepared,
        Err(done) => return done,
    };
    let context = Context {
        feed,
        base: public_base(&req),
        now: chrono::Utc::now(),
    };
    let snapshots = req.app_data::<web::Data<Option<Snapshots>>>();
    let Some(snapshots) = snapshots.and_then(|s| s.as_ref().as_ref()) else {
        return response.streaming(export::stream(store.into_inner(), format, context));
    };
    let key = snapshot::SnapshotKey::new(validators.change_id, &validators.etag, &context.base);
    if let Some(saved) = snapshots.read(&key) {
        return response.streaming(saved);
    }
    let export = export::stream(store.into_inner(), format, context);
    response.streaming(snapshots.record(key, export))
}

/// The formats `silo export agenda` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Ics,
    Csv,
    JsonLd,
    Json,
}

/// Writes the agenda in `format` to `out`, filtered like the HTTP exports (`query` holds
/// `from`, `to`, `category`, `department`, `site`); `progress` is told the bytes written.
/// Returns the bytes written.
pub async fn write_agenda(
    store: std::sync::Arc<Store>,
    format: ExportFormat,
    query: &[(String, String)],
    base: &str,
    out: &mut impl std::io::Write,
    mut progress: impl FnMut(u64),
) -> anyhow::Result<u64> {
    let feed = Feed::resolve(&store, query, None)
        .await
        .map_err(|refusal| anyhow::anyhow!("{}", refusal.describe()))?;
    let context = Context {
        feed,
        base: base.to_owned(),
        now: chrono::Utc::now(),
    };
    let mut written = 0u64;
    let mut write = |chunk: Result<actix_web::web::Bytes, actix_web::Error>| -> anyhow::Result<()> {
        let chunk = chunk.map_err(|e| anyhow::anyhow!("{e}"))?;
        out.write_all(&chunk)?;
        written += chunk.len() as u64;
        progress(written);
        Ok(())
    };
    match format {
        ExportFormat::Ics => drain(store, ics::Ics, context, &mut write).await?,
        ExportFormat::Csv => drain(store, Table::Events, context, &mut write).await?,
        ExportFormat::JsonLd => drain(store, jsonld::JsonLd, context, &mut write).await?,
        ExportFormat::Json => drain(store, json_api::JsonList, context, &mut write).await?,
    }
    out.flush()?;
    Ok(written)
}

async fn drain<F: Format>(
    store: std::sync::Arc<Store>,
    format: F,
    context: Context,
    write: &mut impl FnMut(Result<actix_web::web::Bytes, actix_web::Error>) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    use futures::StreamExt;
    let mut chunks = std::pin::pin!(export::stream(store, format, context));
    while let Some(chunk) = chunks.next().await {
        write(chunk)?;
    }
    Ok(())
}

/// `https://host` as the client reached us (proxies' `Forwarded` headers honoured).
fn public_base(req: &HttpRequest) -> String {
    let info = req.connection_info();
    format!("{}://{}", info.scheme(), info.host())
}

/// Seconds a CDN may keep an export (purged sooner by its surrogate keys).
const MAX_AGE: u32 = 300;

/// Every export changes with any public change (`Stale::purge_keys`).
static OPEN_DATA_KEYS: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| silo_domain::freshness::OPEN_DATA_KEYS.join(" "));

/// `ETag` and `Last-Modified` for an export: they change with any recorded change, with
/// the request (path and filters) and with the city's day (the default window moves
/// daily).
struct Validators {
    change_id: i64,
    etag: String,
    last_modified: Option<chrono::DateTime<chrono::Utc>>,
}

impl Validators {
    fn of(version: &DataVersion, uri: &str) -> Self {
        let mut hash = Sha256::new();
        hash.update(uri.as_bytes());
        hash.update(version.change_id.to_be_bytes());
        hash.update(params::today().to_string().as_bytes());
        let digest = hex::encode(&hash.finalize()[..12]);
        Self {
            change_id: version.change_id,
            etag: format!("\"{digest}\""),
            last_modified: version.changed_at,
        }
    }

    /// A 304 when the client's copy is current (`If-None-Match` wins over
    /// `If-Modified-Since`, RFC 9110 13.2.2).
    fn not_modified(&self, req: &HttpRequest) -> Option<HttpResponse> {
        let header = |name| req.headers().get(name).and_then(|v| v.to_str().ok());
        let fresh = match header(header::IF_NONE_MATCH) {
            Some(_) => crate::http_cache::etag_matches(req, &self.etag),
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
            .insert_header((
                header::CACHE_CONTROL,
                crate::http_cache::cache_control(true, MAX_AGE, Some(params::next_day())),
            ))
            .insert_header((header::VARY, "Accept-Encoding"));
        crate::http_cache::tag(response, &OPEN_DATA_KEYS);
        if let Some(at) = self.last_modified {
            response.insert_header((
                header::LAST_MODIFIED,
                at.format("%a, %d %b %Y %H:%M:%S GMT").to_string(),
            ));
        }
    }
}
