//! The exports' query parameters: `from`, `to` (a date `2026-12-01`, the day starting in
//! Europe/Paris, or an RFC 3339 instant), `category` and `department` (slugs, repeated or
//! comma-separated), `site` (a slug, also the `/opendata/sites/{slug}/…` path). A value
//! that does not parse, or names nothing, is a 400 with a JSON body naming the parameter.

use actix_web::HttpResponse;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use serde_json::json;
use silo_domain::DomainError;
use silo_domain::content::TermKind;
use silo_domain::department::subtree;
use silo_domain::query::EventFilter;
use silo_domain::site::{Site, SiteScope};
use silo_storage::Store;

/// The filters as asked, normalized (what the cache validators hash).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AgendaParams {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub categories: Vec<String>,
    pub departments: Vec<String>,
    pub site: Option<String>,
    pub updated_since: Option<DateTime<Utc>>,
}

/// What an export holds: the filter, the site's scope and the feed's name.
pub struct Feed {
    pub params: AgendaParams,
    pub filter: EventFilter,
    pub scope: Option<SiteScope>,
    pub site: Option<Site>,
}

/// Why an export is refused: a bad parameter (a 400 naming it), or a failed read.
#[derive(Debug)]
pub enum Refusal {
    BadParameter {
        parameter: &'static str,
        message: String,
    },
    Failed(DomainError),
}

impl Refusal {
    /// For the command line: `from: is a date …`.
    pub fn describe(&self) -> String {
        match self {
            Self::BadParameter { parameter, message } => format!("{parameter}: {message}"),
            Self::Failed(e) => e.to_string(),
        }
    }

    pub fn response(self) -> HttpResponse {
        match self {
            Self::BadParameter { parameter, message } => HttpResponse::BadRequest().json(json!({
                "error": "BAD_USER_INPUT",
                "parameter": parameter,
                "message": message,
            })),
            Self::Failed(e) => failure(e),
        }
    }
}

fn bad_parameter(parameter: &'static str, message: impl Into<String>) -> Refusal {
    Refusal::BadParameter {
        parameter,
        message: message.into(),
    }
}

/// A failure reading the database, as JSON.
pub fn failure(e: DomainError) -> HttpResponse {
    let status = actix_web::http::StatusCode::from_u16(e.http_status())
        .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR);
    if status.is_server_error() {
        tracing::error!(error = %e, "open data export failed");
    }
    HttpResponse::build(status).json(json!({ "error": e.code(), "message": e.to_string() }))
}

const MAX_VALUES: usize = 50;

impl Feed {
    /// Reads the query string (and the site of the path) into a feed.
    pub async fn resolve(
        store: &Store,
        query: &[(String, String)],
        path_site: Option<String>,
    ) -> Result<Self, Refusal> {
        let mut params = AgendaParams::default();
        let list = |name: &'static str| -> Result<Vec<String>, Refusal> {
            let values: Vec<String> = query
                .iter()
                .filter(|(k, _)| k == name)
                .flat_map(|(_, v)| v.split(','))
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
                .collect();
            if values.len() > MAX_VALUES {
                return Err(bad_parameter(name, format!("at most {MAX_VALUES} values")));
            }
            Ok(values)
        };
        let single = |name: &'static str| -> Result<Option<String>, Refusal> {
            let mut values = list(name)?;
            if values.len() > 1 {
                return Err(bad_parameter(name, "takes one value"));
            }
            Ok(values.pop())
        };
        params.from = single("from")?
            .map(|v| instant(&v).ok_or_else(|| bad_date("from")))
            .transpose()?;
        params.to = single("to")?
            .map(|v| instant(&v).ok_or_else(|| bad_date("to")))
            .transpose()?;
        if let (Some(from), Some(to)) = (params.from, params.to)
            && to <= from
        {
            return Err(bad_parameter("to", "must be after from"));
        }
        params.updated_since = single("updated_since")?
            .map(|v| instant(&v).ok_or_else(|| bad_date("updated_since")))
            .transpose()?;
        params.categories = list("category")?;
        params.departments = list("department")?;
        params.site = match (path_site, single("site")?) {
            (Some(path), Some(query)) if path != query => {
                return Err(bad_parameter("site", "differs from the site of the path"));
            }
            (path, query) => path.or(query),
        };

        let mut filter = EventFilter {
            // "From today": the whole of the city's day, so a day's exports are the same
            // bytes from morning to night (and can be served again from a snapshot).
            from: params.from.or_else(|| midnight(today())),
            to: params.to,
            updated_since: params.updated_since,
            ..EventFilter::default()
        };
        if !params.categories.is_empty() {
            let found = store
                .terms_by_slugs(TermKind::Category, &params.categories)
                .await
                .map_err(Refusal::Failed)?;
            if let Some(missing) = params
                .categories
                .iter()
                .find(|slug| !found.iter().any(|t| &t.slug == *slug))
            {
                return Err(bad_parameter(
                    "category",
                    format!("no category `{}`", clip(missing)),
                ));
            }
            filter.category_ids = found.iter().map(|t| t.id).collect();
        }
        let departments = store.departments().await.map_err(Refusal::Failed)?;
        for slug in &params.departments {
            let department = departments
                .iter()
                .find(|d| &d.slug == slug)
                .ok_or_else(|| {
                    bad_parameter("department", format!("no department `{}`", clip(slug)))
                })?;
            filter
                .department_ids
                .extend(subtree(&departments, department.id));
        }
        let (site, scope) = match &params.site {
            Some(slug) => {
                let site = store
                    .site_by_slug(slug)
                    .await
                    .map_err(Refusal::Failed)?
                    .ok_or_else(|| bad_parameter("site", format!("no site `{}`", clip(slug))))?;
                let scope = SiteScope::resolve(&site, &departments);
                (Some(site), Some(scope))
            }
            None => (None, None),
        };
        Ok(Self {
            params,
            filter,
            scope,
            site,
        })
    }
}

fn bad_date(parameter: &'static str) -> Refusal {
    bad_parameter(
        parameter,
        "is a date (2026-12-01) or an RFC 3339 instant (2026-12-01T18:00:00+01:00)",
    )
}

/// A date is the start of that day in Europe/Paris.
fn instant(raw: &str) -> Option<DateTime<Utc>> {
    if let Ok(at) = DateTime::parse_from_rfc3339(raw) {
        return Some(at.with_timezone(&Utc));
    }
    midnight(NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok()?)
}

/// The day as the city counts it (dates in the parameters are Europe/Paris days).
pub fn today() -> NaiveDate {
    Utc::now()
        .with_timezone(&chrono_tz::Europe::Paris)
        .date_naive()
}

/// When the city's next day starts: exports whose default window starts today change then.
pub fn next_day() -> DateTime<Utc> {
    today()
        .succ_opt()
        .and_then(midnight)
        .unwrap_or_else(|| Utc::now() + chrono::Duration::days(1))
}

/// When the city's `day` starts.
fn midnight(day: NaiveDate) -> Option<DateTime<Utc>> {
    chrono_tz::Europe::Paris
        .from_local_datetime(&day.and_hms_opt(0, 0, 0)?)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

/// Echoes at most 60 characters of what the client sent.
fn clip(value: &str) -> String {
    value.chars().take(60).collect()
}
