//! The Meilisearch backend (production), through `meilisearch-sdk`.
//!
//! Settings are applied at start: searchable title then text, filterable kind,
//! department, sites, terms, categories, dates and `_geo`, French stop words and a list of
//! synonyms; every task is awaited and a failed one is an error. Every word must match
//! (`matchingStrategy: all`), as in the embedded index. The outbox position lives in a
//! small `{uid}_meta` index, written after the batch it follows: after a crash the batch
//! is applied again, which changes nothing. A rebuild fills `{uid}_next`, then swaps it
//! with the live index in one task.

use super::escape_html;
use meilisearch_sdk::client::{Client, SwapIndexes};
use meilisearch_sdk::errors::{Error, ErrorCode};
use meilisearch_sdk::search::{MatchingStrategies, Selectors};
use meilisearch_sdk::settings::Settings;
use meilisearch_sdk::task_info::TaskInfo;
use meilisearch_sdk::tasks::Task;
use serde::{Deserialize, Serialize};
use silo_domain::content::ContentKind;
use silo_domain::search::{
    ALL_SITES, Attribute, Clause, Facets, SearchBatch, SearchDocument, SearchError, SearchHit,
    SearchIndex, SearchRequest, SearchResults, sort_counts,
};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use uuid::Uuid;

/// Marks put around matched words by Meilisearch, turned into `<mark>` once the rest of
/// the text is escaped (Meilisearch returns the text raw).
const PRE: &str = "\u{1}";
const POST: &str = "\u{2}";
const TASK_TIMEOUT: Duration = Duration::from_secs(60);
const FACETS: [&str; 3] = ["kind", "categories", "department_id"];
/// Common French words that carry no meaning for a search.
const STOP_WORDS: [&str; 24] = [
    "le", "la", "les", "l", "un", "une", "des", "de", "du", "d", "et", "ou", "a", "au", "aux",
    "en", "pour", "par", "sur", "dans", "avec", "ce", "ces", "son",
];
/// Words the city's users use for the same thing.
const SYNONYMS: [(&str, &[&str]); 4] = [
    ("mairie", &["hotel de ville"]),
    ("hotel de ville", &["mairie"]),
    ("mediatheque", &["bibliotheque"]),
    ("piscine", &["centre aquatique"]),
];

/// A document as Meilisearch stores it.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct MeiliDocument {
    id: String,
    kind: String,
    title: String,
    text: String,
    department_id: String,
    /// `all`, or the ids of the sites it targets.
    sites: Vec<String>,
    /// Category and tag ids (filters).
    terms: Vec<String>,
    /// Category ids (facets).
    categories: Vec<String>,
    starts_at: Option<i64>,
    ends_at: Option<i64>,
    #[serde(rename = "_geo", skip_serializing_if = "Option::is_none", default)]
    geo: Option<Geo>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Geo {
    lat: f64,
    lng: f64,
}

#[derive(Debug, Serialize, Deserialize)]
struct Position {
    id: String,
    position: i64,
}

impl From<&SearchDocument> for MeiliDocument {
    fn from(d: &SearchDocument) -> Self {
        let ids = |ids: &[Uuid]| ids.iter().map(Uuid::to_string).collect::<Vec<_>>();
        let mut sites = ids(&d.site_ids);
        if d.all_sites {
            sites.push(ALL_SITES.to_owned());
        }
        Self {
            id: d.id.to_string(),
            kind: d.kind.as_str().to_owned(),
            title: d.title.clone(),
            text: d.text.clone(),
            department_id: d.department_id.to_string(),
            sites,
            terms: ids(&[d.category_ids.as_slice(), d.tag_ids.as_slice()].concat()),
            categories: ids(&d.category_ids),
            starts_at: d.starts_at.map(|t| t.timestamp()),
            ends_at: d.ends_at.map(|t| t.timestamp()),
            geo: d.geo.map(|g| Geo {
                lat: g.latitude,
                lng: g.longitude,
            }),
        }
    }
}

/// The Meilisearch backend.
pub struct MeiliIndex {
    client: Client,
    uid: String,
    /// Set once the indexes exist with their settings (retried until it succeeds, so a
    /// server starts while Meilisearch is down and catches up when it is back).
    ready: tokio::sync::OnceCell<()>,
    /// Whether `{uid}_next` was prepared for the rebuild under way.
    rebuilding: AtomicBool,
}

impl MeiliIndex {
    /// A client of the server at `url`; nothing is sent before the first use.
    pub fn new(url: &str, key: Option<&str>, uid: &str) -> Result<Self, SearchError> {
        Ok(Self {
            client: Client::new(url, key).map_err(failed)?,
            uid: uid.to_owned(),
            ready: tokio::sync::OnceCell::new(),
            rebuilding: AtomicBool::new(false),
        })
    }

    /// Connects now: creates the index (and its position index) when missing and
    /// applies the settings, waiting for each task.
    pub async fn connect(url: &str, key: Option<&str>, uid: &str) -> Result<Self, SearchError> {
        let index = Self::new(url, key, uid)?;
        index.ready().await?;
        Ok(index)
    }

    async fn ready(&self) -> Result<(), SearchError> {
        self.ready
            .get_or_try_init(|| async {
                self.prepare(&self.uid).await?;
                self.ensure(&self.meta_uid()).await
            })
            .await
            .map(|_| ())
    }

    fn meta_uid(&self) -> String {
        format!("{}_meta", self.uid)
    }

    fn next_uid(&self) -> String {
        format!("{}_next", self.uid)
    }

    /// Creates `uid` when missing.
    async fn ensure(&self, uid: &str) -> Result<(), SearchError> {
        match self.client.get_index(uid).await {
            Ok(_) => Ok(()),
            Err(e) if is(&e, ErrorCode::IndexNotFound) => {
                let task = self
                    .client
                    .create_index(uid, Some("id"))
                    .await
                    .map_err(failed)?;
                self.wait(task).await
            }
            Err(e) => Err(failed(e)),
        }
    }

    /// Creates `uid` when missing and applies the settings.
    async fn prepare(&self, uid: &str) -> Result<(), SearchError> {
        self.ensure(uid).await?;
        let synonyms: HashMap<&str, Vec<&str>> = SYNONYMS
            .iter()
            .map(|(word, same)| (*word, same.to_vec()))
            .collect();
        let settings = Settings::new()
            .with_searchable_attributes(["title", "text"])
            .with_filterable_attributes([
                "kind",
                "department_id",
                "sites",
                "terms",
                "categories",
                "starts_at",
                "ends_at",
                "_geo",
            ])
            .with_sortable_attributes(["starts_at"])
            .with_stop_words(STOP_WORDS)
            .with_synonyms(synonyms);
        let task = self
            .client
            .index(uid)
            .set_settings(&settings)
            .await
            .map_err(failed)?;
        self.wait(task).await
    }

    /// Waits for a task; a failed task is an error naming Meilisearch's reason.
    async fn wait(&self, task: TaskInfo) -> Result<(), SearchError> {
        match task
            .wait_for_completion(&self.client, None, Some(TASK_TIMEOUT))
            .await
            .map_err(failed)?
        {
            Task::Failed { content } => Err(SearchError(format!(
                "meilisearch task failed: {}",
                content.error
            ))),
            _ => Ok(()),
        }
    }

    async fn add(&self, uid: &str, documents: &[SearchDocument]) -> Result<(), SearchError> {
        if documents.is_empty() {
            return Ok(());
        }
        let documents: Vec<MeiliDocument> = documents.iter().map(Into::into).collect();
        let task = self
            .client
            .index(uid)
            .add_or_replace(&documents, Some("id"))
            .await
            .map_err(failed)?;
        self.wait(task).await
    }

    async fn set_position(&self, position: i64) -> Result<(), SearchError> {
        let record = [Position {
            id: "position".to_owned(),
            position,
        }];
        let task = self
            .client
            .index(self.meta_uid())
            .add_or_replace(&record, Some("id"))
            .await
            .map_err(failed)?;
        self.wait(task).await
    }
}

impl SearchIndex for MeiliIndex {
    async fn apply(&self, batch: SearchBatch) -> Result<(), SearchError> {
        self.ready().await?;
        self.add(&self.uid, &batch.upserts).await?;
        if !batch.removals.is_empty() {
            let ids: Vec<String> = batch.removals.iter().map(Uuid::to_string).collect();
            let task = self
                .client
                .index(&self.uid)
                .delete_documents(&ids)
                .await
                .map_err(failed)?;
            self.wait(task).await?;
        }
        self.set_position(batch.position).await
    }

    async fn position(&self) -> Result<Option<i64>, SearchError> {
        self.ready().await?;
        match self
            .client
            .index(self.meta_uid())
            .get_document::<Position>("position")
            .await
        {
            Ok(record) => Ok(Some(record.position)),
            Err(e) if is(&e, ErrorCode::DocumentNotFound) || is(&e, ErrorCode::IndexNotFound) => {
                Ok(None)
            }
            Err(e) => Err(failed(e)),
        }
    }

    async fn search(&self, request: &SearchRequest) -> Result<SearchResults, SearchError> {
        self.ready().await?;
        let filter = filter(request);
        let index = self.client.index(&self.uid);
        let mut query = index.search();
        query
            .with_query(&request.q)
            .with_matching_strategy(MatchingStrategies::ALL)
            .with_facets(Selectors::Some(&FACETS))
            .with_attributes_to_highlight(Selectors::Some(&["title", "text"]))
            .with_highlight_pre_tag(PRE)
            .with_highlight_post_tag(POST)
            .with_attributes_to_crop(Selectors::Some(&[("text", Some(30))]))
            .with_offset(request.offset)
            .with_limit(request.limit);
        if !filter.is_empty() {
            query.with_filter(&filter);
        }
        let found = query.execute::<MeiliDocument>().await.map_err(failed)?;
        let hits = found
            .hits
            .into_iter()
            .filter_map(|hit| {
                let formatted = |field: &str, raw: &str| {
                    let text = hit
                        .formatted_result
                        .as_ref()
                        .and_then(|f| f.get(field))
                        .and_then(|v| v.as_str())
                        .unwrap_or(raw);
                    marked(text)
                };
                Some(SearchHit {
                    id: Uuid::parse_str(&hit.result.id).ok()?,
                    kind: ContentKind::parse(&hit.result.kind)?,
                    title_snippet: formatted("title", &hit.result.title),
                    text_snippet: formatted("text", &hit.result.text),
                })
            })
            .collect();
        let distribution = found.facet_distribution.unwrap_or_default();
        let counts = |facet: &str| -> Vec<(String, u64)> {
            distribution
                .get(facet)
                .map(|values| {
                    values
                        .iter()
                        .map(|(value, n)| (value.clone(), *n as u64))
                        .collect()
                })
                .unwrap_or_default()
        };
        let uuids = |facet: &str| -> Vec<(Uuid, u64)> {
            counts(facet)
                .into_iter()
                .filter_map(|(v, n)| Some((Uuid::parse_str(&v).ok()?, n)))
                .collect()
        };
        let mut kinds: Vec<(ContentKind, u64)> = counts("kind")
            .into_iter()
            .filter_map(|(k, n)| Some((ContentKind::parse(&k)?, n)))
            .collect();
        let mut categories = uuids("categories");
        let mut departments = uuids("department_id");
        sort_counts(&mut kinds);
        sort_counts(&mut categories);
        sort_counts(&mut departments);
        Ok(SearchResults {
            hits,
            total: found
                .estimated_total_hits
                .or(found.total_hits)
                .unwrap_or_default() as u64,
            facets: Facets {
                kinds,
                categories,
                departments,
            },
        })
    }

    async fn rebuild_page(&self, documents: Vec<SearchDocument>) -> Result<(), SearchError> {
        self.ready().await?;
        let next = self.next_uid();
        if !self.rebuilding.swap(true, Ordering::SeqCst) {
            // A rebuild left unfinished is started over.
            if let Ok(task) = self.client.index(&next).delete().await {
                self.wait(task).await?;
            }
            self.prepare(&next).await?;
        }
        self.add(&next, &documents).await
    }

    async fn finish_rebuild(&self, position: i64) -> Result<(), SearchError> {
        let next = self.next_uid();
        if !self.rebuilding.swap(false, Ordering::SeqCst) {
            // Nothing was published: the new index is empty.
            if let Ok(task) = self.client.index(&next).delete().await {
                self.wait(task).await?;
            }
            self.prepare(&next).await?;
        }
        let swap = SwapIndexes {
            indexes: (self.uid.clone(), next.clone()),
            rename: None,
        };
        let task = self.client.swap_indexes([&swap]).await.map_err(failed)?;
        self.wait(task).await?;
        let task = self.client.index(&next).delete().await.map_err(failed)?;
        self.wait(task).await?;
        self.set_position(position).await
    }
}

/// The request's filters as a Meilisearch filter expression.
fn filter(request: &SearchRequest) -> String {
    let list = |values: Vec<String>| {
        let quoted: Vec<String> = values
            .iter()
            .map(|v| serde_json::Value::String(v.clone()).to_string())
            .collect();
        format!("[{}]", quoted.join(", "))
    };
    let clauses: Vec<String> = request
        .clauses()
        .into_iter()
        .map(|clause| match clause {
            Clause::AnyOf(attribute, values) => {
                let attribute = match attribute {
                    Attribute::Kind => "kind",
                    Attribute::Terms => "terms",
                    Attribute::Department => "department_id",
                    Attribute::Sites => "sites",
                };
                format!("{attribute} IN {}", list(values))
            }
            Clause::Near(near) => format!(
                "_geoRadius({}, {}, {})",
                near.center.latitude,
                near.center.longitude,
                (near.radius_km * 1000.0).round() as i64
            ),
            Clause::StartsBefore(to) => format!("starts_at < {}", to.timestamp()),
            Clause::EndsFrom(from) => format!("ends_at >= {}", from.timestamp()),
        })
        .collect();
    clauses.join(" AND ")
}

/// Meilisearch's highlighted text, HTML-escaped, its marks turned into `<mark>`.
fn marked(text: &str) -> String {
    escape_html(text)
        .replace(PRE, "<mark>")
        .replace(POST, "</mark>")
}

fn is(error: &Error, code: ErrorCode) -> bool {
    matches!(error, Error::Meilisearch(e) if e.error_code == code)
}

fn failed(e: impl std::fmt::Display) -> SearchError {
    SearchError(format!("meilisearch: {e}"))
}
