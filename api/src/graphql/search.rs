//! `search`: the public content found by words (French, accents and typos forgiven), as a
//! Relay connection of hits with highlighted snippets and facet counts, scoped to the
//! request's site.

use super::access::{store, uuids};
use super::agenda::{NearInput, effective_scope};
use super::cursor;
use super::editing::ContentNode;
use super::error::{bad_input, gql};
use super::inputs::ContentKind;
use async_graphql::connection::{Connection, EmptyFields};
use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use silo_domain::content::{self, ContentStatus};
use silo_domain::item::ContentItem;
use silo_domain::search::{SearchIndex, SearchRequest, SearchResults};
use silo_storage::search::SearchBackend;
use std::collections::HashMap;
use std::sync::Arc;
use uuid::Uuid;

const CURSOR_KIND: &str = "search";
/// Longest query accepted, in characters.
const MAX_QUERY_CHARS: usize = 200;

#[derive(Default)]
pub struct SearchQuery;

/// What to search in.
#[derive(InputObject, Default)]
pub struct SearchFilter {
    /// Category or tag ids: any of them.
    pub categories: Option<Vec<ID>>,
    /// Department ids: any of them.
    pub departments: Option<Vec<ID>>,
    /// A site's slug: only what that site shows (the request's site by default).
    pub site: Option<String>,
    /// Only what is located within this radius.
    pub near: Option<NearInput>,
    /// Events taking place from this instant (other kinds have no dates and are left out
    /// when `from` or `to` is given).
    pub from: Option<DateTime<Utc>>,
    /// Events taking place before this instant.
    pub to: Option<DateTime<Utc>>,
}

/// One hit: the item, and its title and text with the matched words in `<mark>`.
pub struct SearchHitNode {
    item: ContentNode,
    kind: content::ContentKind,
    title: String,
    text: String,
}

#[Object(name = "SearchHit")]
impl SearchHitNode {
    async fn kind(&self) -> ContentKind {
        self.kind.into()
    }
    /// The event, association, news article or public service.
    async fn item(&self) -> &ContentNode {
        &self.item
    }
    /// The title, matched words in `<mark>…</mark>` (HTML-escaped otherwise).
    async fn title_highlight(&self) -> &str {
        &self.title
    }
    /// A passage of the text around the matched words, marked the same way.
    async fn text_highlight(&self) -> &str {
        &self.text
    }
}

/// How many hits have a value.
#[derive(SimpleObject)]
pub struct FacetCount {
    /// The kind (`EVENT`…), or the category's or department's id.
    pub value: String,
    /// The category's or department's name.
    pub label: Option<String>,
    pub count: i32,
}

/// Counts over all the hits (every page), most first.
#[derive(SimpleObject)]
pub struct SearchFacets {
    pub kinds: Vec<FacetCount>,
    pub categories: Vec<FacetCount>,
    pub departments: Vec<FacetCount>,
}

/// What a search says about all its hits.
#[derive(SimpleObject)]
pub struct SearchSummary {
    /// Hits in all.
    pub total_count: i32,
    pub facets: SearchFacets,
}

#[Object]
impl SearchQuery {
    /// Published events, associations, news and services matching `q` (accents, plurals
    /// and typos forgiven), best first; the request's site (site key or `X-Silo-Site`)
    /// restricts them to its channel.
    async fn search(
        &self,
        ctx: &Context<'_>,
        q: String,
        kinds: Option<Vec<ContentKind>>,
        filter: Option<SearchFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, SearchHitNode, SearchSummary, EmptyFields>> {
        // The index follows the database a little behind: its answers are never kept.
        super::trail::unkeepable(ctx);
        if q.chars().count() > MAX_QUERY_CHARS {
            return Err(bad_input(
                "q",
                format!("at most {MAX_QUERY_CHARS} characters"),
            ));
        }
        let filter = filter.unwrap_or_default();
        let page = cursor::PageRequest::parse(first, after.as_deref(), |c| {
            cursor::decode_sequence(CURSOR_KIND, c)
        })?;
        let offset = page.after.map_or(0, |seen| seen.max(0) as usize);
        let ids = |ids: Option<Vec<ID>>, field: &str| uuids(&ids.unwrap_or_default(), field);
        if let (Some(from), Some(to)) = (filter.from, filter.to)
            && to <= from
        {
            return Err(bad_input("filter.to", "must be after filter.from"));
        }
        let request = SearchRequest {
            q,
            kinds: kinds
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect(),
            category_ids: ids(filter.categories, "filter.categories")?,
            department_ids: ids(filter.departments, "filter.departments")?,
            scope: effective_scope(ctx, filter.site.as_deref(), "filter.site").await?,
            near: filter.near.map(|n| n.parse("filter.near")).transpose()?,
            from: filter.from,
            to: filter.to,
            offset,
            limit: page.limit + 1,
        };
        let index = ctx.data_unchecked::<Arc<SearchBackend>>();
        let results = index.search(&request).await.map_err(|e| {
            tracing::error!(error = %e, "search failed");
            gql(silo_domain::DomainError::Internal(e.to_string()))
        })?;
        let summary = summary(ctx, &results).await?;
        let items = published_items(ctx, &results).await?;
        let mut connection = Connection::with_additional_fields(
            offset > 0,
            results.hits.len() > page.limit,
            summary,
        );
        for (position, hit) in results.hits.into_iter().take(page.limit).enumerate() {
            // The index may lag a write by a moment: what is no longer public is dropped.
            let Some(item) = items.get(&hit.id) else {
                continue;
            };
            connection.edges.push(async_graphql::connection::Edge::new(
                cursor::encode_sequence(CURSOR_KIND, (offset + position + 1) as i64),
                SearchHitNode {
                    item: item.clone().into(),
                    kind: hit.kind,
                    title: hit.title_snippet,
                    text: hit.text_snippet,
                },
            ));
        }
        Ok(connection)
    }
}

/// The hits' items as they are now, published ones only.
async fn published_items(
    ctx: &Context<'_>,
    results: &SearchResults,
) -> Result<HashMap<Uuid, ContentItem>> {
    let mut by_kind: HashMap<content::ContentKind, Vec<Uuid>> = HashMap::new();
    for hit in &results.hits {
        by_kind.entry(hit.kind).or_default().push(hit.id);
    }
    let mut items = HashMap::new();
    for (kind, ids) in by_kind {
        for item in store(ctx).content_items(kind, &ids).await.map_err(gql)? {
            if item.publication().status == ContentStatus::Published {
                items.insert(item.id(), item);
            }
        }
    }
    Ok(items)
}

/// Total and facets, with the names of the categories and departments counted.
async fn summary(ctx: &Context<'_>, results: &SearchResults) -> Result<SearchSummary> {
    let store = store(ctx);
    let departments: HashMap<Uuid, String> = store
        .departments()
        .await
        .map_err(gql)?
        .into_iter()
        .map(|d| (d.id, d.name))
        .collect();
    let mut terms: HashMap<Uuid, String> = HashMap::new();
    for kind in [content::TermKind::Category, content::TermKind::Tag] {
        terms.extend(
            store
                .terms(kind)
                .await
                .map_err(gql)?
                .into_iter()
                .map(|t| (t.id, t.name)),
        );
    }
    let counted = |counts: &[(Uuid, u64)], names: &HashMap<Uuid, String>| {
        counts
            .iter()
            .map(|(id, n)| FacetCount {
                value: id.to_string(),
                label: names.get(id).cloned(),
                count: i32::try_from(*n).unwrap_or(i32::MAX),
            })
            .collect()
    };
    let facets = &results.facets;
    Ok(SearchSummary {
        total_count: i32::try_from(results.total).unwrap_or(i32::MAX),
        facets: SearchFacets {
            kinds: facets
                .kinds
                .iter()
                .map(|(kind, n)| FacetCount {
                    value: kind.as_str().to_uppercase(),
                    label: None,
                    count: i32::try_from(*n).unwrap_or(i32::MAX),
                })
                .collect(),
            categories: counted(&facets.categories, &terms),
            departments: counted(&facets.departments, &departments),
        },
    })
}
