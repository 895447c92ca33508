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
        let (title, parts): (&str, Vec<&str>) = match item {
            ContentItem::Event(e) => (
                &e.fields.title,
                vec![
                    e.fields.summary.as_deref().unwrap_or(""),
                    &e.fields.body_markdown,
                ],
            ),
            ContentItem::Association(a) => (
                &a.fields.name,
                vec![a.fields.purpose.as_deref().unwrap_or("")],
            ),
            ContentItem::NewsArticle(n) => (
                &n.fields.title,
                vec![
                    n.fields.summary.as_deref().unwrap_or(""),
                    &n.fields.body_markdown,
                ],
            ),
            ContentItem::PublicService(s) => (&s.fields.name, vec![&s.fields.description_markdown]),
        };
        let marks = item.channel_marks();
        let text: Vec<String> = parts
            .into_iter()
            .filter(|p| !p.trim().is_empty())
            .map(crate::markdown::plain_text)
            .collect();
        let (all_sites, site_ids) = match marks.sites {
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
            category_ids: marks.category_ids.to_vec(),
            tag_ids: marks.tag_ids.to_vec(),
            geo,
            starts_at: span.map(|s| s.0),
            ends_at: span.map(|s| s.1),
        }
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

/// A document attribute the filters test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attribute {
    /// `event`, `association`…
    Kind,
    /// Category and tag ids.
    Terms,
    Department,
    /// `all`, or the ids of the sites a document targets.
    Sites,
}

/// The site value of a document shown on every site.
pub const ALL_SITES: &str = "all";

/// One condition of a search's filters, all of which must hold: the request's filters
/// and its site's channel in one list, which each backend translates into its own terms.
#[derive(Debug, Clone, PartialEq)]
pub enum Clause {
    /// The attribute holds one of these values.
    AnyOf(Attribute, Vec<String>),
    /// Located within the radius.
    Near(Near),
    /// An event starting before this instant.
    StartsBefore(DateTime<Utc>),
    /// An event ending at or after this instant.
    EndsFrom(DateTime<Utc>),
}

impl SearchRequest {
    /// The filters as clauses.
    pub fn clauses(&self) -> Vec<Clause> {
        let ids = |ids: &[Uuid]| ids.iter().map(Uuid::to_string).collect::<Vec<_>>();
        let mut clauses = Vec::new();
        let mut any_of = |attribute, values: Vec<String>| {
            if !values.is_empty() {
                clauses.push(Clause::AnyOf(attribute, values));
            }
        };
        any_of(
            Attribute::Kind,
            self.kinds.iter().map(|k| k.as_str().to_owned()).collect(),
        );
        any_of(Attribute::Terms, ids(&self.category_ids));
        any_of(Attribute::Department, ids(&self.department_ids));
        if let Some(scope) = &self.scope {
            any_of(
                Attribute::Sites,
                vec![ALL_SITES.to_owned(), scope.site_id.to_string()],
            );
            any_of(Attribute::Department, ids(&scope.department_ids));
            any_of(Attribute::Terms, ids(&scope.category_ids));
            any_of(Attribute::Terms, ids(&scope.tag_ids));
        }
        clauses.extend(self.near.map(Clause::Near));
        clauses.extend(self.to.map(Clause::StartsBefore));
        clauses.extend(self.from.map(Clause::EndsFrom));
        clauses
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_requests_filters_and_its_sites_channel_become_clauses() {
        let (site, culture, music) = (Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3));
        let to = Utc::now();
        let request = SearchRequest {
            kinds: vec![ContentKind::Event],
            category_ids: vec![music],
            scope: Some(SiteScope {
                site_id: site,
                department_ids: vec![culture],
                category_ids: Vec::new(),
                tag_ids: Vec::new(),
            }),
            to: Some(to),
            ..SearchRequest::default()
        };
        assert_eq!(
            request.clauses(),
            [
                Clause::AnyOf(Attribute::Kind, vec!["event".to_owned()]),
                Clause::AnyOf(Attribute::Terms, vec![music.to_string()]),
                Clause::AnyOf(Attribute::Sites, vec!["all".to_owned(), site.to_string()]),
                Clause::AnyOf(Attribute::Department, vec![culture.to_string()]),
                Clause::StartsBefore(to),
            ]
        );
        assert!(
            SearchRequest::default().clauses().is_empty(),
            "no filter, no clause"
        );
    }
}
