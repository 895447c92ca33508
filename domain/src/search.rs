//! Search across the public content (events, associations, news, services): what a
//! document holds, what a search asks and answers, and the port every backend implements
//! (the embedded index by default, Meilisearch in production). Only published content is
//! ever handed to a backend; the sync worker feeds it from the outbox.

use crate::content::ContentKind;
use crate::field::GeoPoint;
use crate::item::ContentItem;
use crate::query::Near;
use crate::site::SiteScope;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::future::Future;
use uuid::Uuid;

/// What the index knows of one published item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchDocument {
    pub id: Uuid,
    pub kind: ContentKind,
    pub title: String,
    /// Lead, body and purpose as plain text.
    pub text: String,
    pub department_id: Uuid,
    /// Shown on every site whose channel admits it, or only on `site_ids`.
    pub all_sites: bool,
    pub site_ids: Vec<Uuid>,
    pub category_ids: Vec<Uuid>,
    pub tag_ids: Vec<Uuid>,
    pub geo: Option<GeoPoint>,
    /// An event's span: first start and last end of its occurrences.
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
}

impl SearchDocument {
    /// The document of a published item; `geo` is its place's, `span` an event's first
    /// start and last end.
    pub fn of(
        item: &ContentItem,
        geo: Option<GeoPoint>,
        span: Option<(DateTime<Utc>, DateTime<Utc>)>,
    ) -> Self {
        let (title, parts, sites, categories, tags): (&str, Vec<&str>, _, _, &[Uuid]) = match item {
            ContentItem::Event(e) => (
                &e.fields.title,
                vec![
                    e.fields.summary.as_deref().unwrap_or(""),
                    &e.fields.body_markdown,
                ],
                &e.fields.sites,
                &e.fields.category_ids,
                &e.fields.tag_ids,
            ),
            ContentItem::Association(a) => (
                &a.fields.name,
                vec![a.fields.purpose.as_deref().unwrap_or("")],
                &a.fields.sites,
                &a.fields.category_ids,
                &[],
            ),
            ContentItem::NewsArticle(n) => (
                &n.fields.title,
                vec![
                    n.fields.summary.as_deref().unwrap_or(""),
                    &n.fields.body_markdown,
                ],
                &n.fields.sites,
                &n.fields.category_ids,
                &n.fields.tag_ids,
            ),
            ContentItem::PublicService(s) => (
                &s.fields.name,
                vec![&s.fields.description_markdown],
                &s.fields.sites,
                &s.fields.category_ids,
                &[],
            ),
        };
        let text: Vec<String> = parts
            .into_iter()
            .filter(|p| !p.trim().is_empty())
            .map(crate::markdown::plain_text)
            .collect();
        let (all_sites, site_ids) = match sites {
            crate::content::SiteTargets::All => (true, Vec::new()),
            crate::content::SiteTargets::Only(ids) => (false, ids.clone()),
        };
        Self {
            id: item.id(),
            kind: item.kind(),
            title: title.to_owned(),
            text: text.join("\n\n"),
            department_id: item.department_id(),
            all_sites,
            site_ids,
            category_ids: categories.clone(),
            tag_ids: tags.to_vec(),
            geo,
            starts_at: span.map(|s| s.0),
            ends_at: span.map(|s| s.1),
        }
    }

    /// Whether a site with this scope shows the document (the same rule as the
    /// database's `in_scope`).
    pub fn in_scope(&self, scope: &SiteScope) -> bool {
        (self.all_sites || self.site_ids.contains(&scope.site_id))
            && (scope.department_ids.is_empty()
                || scope.department_ids.contains(&self.department_id))
            && (scope.category_ids.is_empty()
                || scope
                    .category_ids
                    .iter()
                    .any(|c| self.category_ids.contains(c) || self.tag_ids.contains(c)))
            && (scope.tag_ids.is_empty()
                || scope
                    .tag_ids
                    .iter()
                    .any(|t| self.category_ids.contains(t) || self.tag_ids.contains(t)))
    }
}

/// A search: words, kinds, filters and the page wanted.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchRequest {
    pub q: String,
    /// Empty: every kind.
    pub kinds: Vec<ContentKind>,
    /// Any of these categories (or tags).
    pub category_ids: Vec<Uuid>,
    /// Any of these departments.
    pub department_ids: Vec<Uuid>,
    /// The site asking: only what it shows.
    pub scope: Option<SiteScope>,
    pub near: Option<Near>,
    /// Events whose span meets `[from, to)`; other kinds have no dates and are kept out
    /// when a window is asked.
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub offset: usize,
    pub limit: usize,
}

/// One hit, best first; the snippets mark the matched words with `<mark>`.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchHit {
    pub id: Uuid,
    pub kind: ContentKind,
    pub title_snippet: String,
    pub text_snippet: String,
}

/// How many matches each value has, most first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Facets {
    pub kinds: Vec<(ContentKind, u64)>,
    pub categories: Vec<(Uuid, u64)>,
    pub departments: Vec<(Uuid, u64)>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchResults {
    pub hits: Vec<SearchHit>,
    /// Matches in all (every page).
    pub total: u64,
    pub facets: Facets,
}

/// What the sync worker applies at once: documents to (re)write, ids to remove, and the
/// outbox position this brings the index to.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchBatch {
    pub upserts: Vec<SearchDocument>,
    pub removals: Vec<Uuid>,
    pub position: i64,
}

/// Why a backend failed (the worker retries; search answers an error).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("search backend: {0}")]
pub struct SearchError(pub String);

/// A search backend. Conformance tests run the same suite against every implementation.
pub trait SearchIndex: Send + Sync {
    /// Applies a batch; once it returns, searches see it.
    fn apply(&self, batch: SearchBatch) -> impl Future<Output = Result<(), SearchError>> + Send;
    /// The outbox position the index reflects; `None` when it was never built.
    fn position(&self) -> impl Future<Output = Result<Option<i64>, SearchError>> + Send;
    fn search(
        &self,
        request: &SearchRequest,
    ) -> impl Future<Output = Result<SearchResults, SearchError>> + Send;
    /// Builds a new index from `documents` (called page by page, then `finish_rebuild`)
    /// while the current one keeps answering; the new one replaces it at the end.
    fn rebuild_page(
        &self,
        documents: Vec<SearchDocument>,
    ) -> impl Future<Output = Result<(), SearchError>> + Send;
    fn finish_rebuild(&self, position: i64)
    -> impl Future<Output = Result<(), SearchError>> + Send;
}

/// Most matches first, then by value (stable facet order).
pub fn sort_counts<T: Ord>(counts: &mut [(T, u64)]) {
    counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
}

/// Whether `doc` passes the request's filters (not the words): one definition the
/// backends' tests and the in-process checks agree on.
pub fn passes_filters(doc: &SearchDocument, request: &SearchRequest) -> bool {
    (request.kinds.is_empty() || request.kinds.contains(&doc.kind))
        && (request.category_ids.is_empty()
            || request
                .category_ids
                .iter()
                .any(|c| doc.category_ids.contains(c) || doc.tag_ids.contains(c)))
        && (request.department_ids.is_empty()
            || request.department_ids.contains(&doc.department_id))
        && request.scope.as_ref().is_none_or(|s| doc.in_scope(s))
        && request.near.as_ref().is_none_or(|near| {
            doc.geo
                .is_some_and(|g| g.distance_km(&near.center) <= near.radius_km)
        })
        && (request.from.is_none() && request.to.is_none()
            || match (doc.starts_at, doc.ends_at) {
                (Some(start), Some(end)) => {
                    request.to.is_none_or(|to| start < to)
                        && request.from.is_none_or(|from| end >= from)
                }
                _ => false,
            })
}
