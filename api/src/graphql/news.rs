//! The news.

use super::agenda::{department_ids, effective_scope, term_ids};
use super::cursor::{self, PageRequest};
use super::error::gql;
use super::trail;
use super::types::NewsArticleNode;
use async_graphql::connection::Connection;
use async_graphql::{Context, InputObject, Object, Result};
use silo_domain::content::{ContentKind, TermKind};
use silo_domain::query::NewsFilter;
use silo_storage::Store;

const CURSOR_KIND: &str = "news";

/// Narrows the news.
#[derive(InputObject, Default)]
#[graphql(name = "NewsFilter")]
pub struct NewsFilterInput {
    /// Tag slugs: keeps articles carrying at least one.
    pub tags: Option<Vec<String>>,
    /// Department slugs (sub-departments included).
    pub departments: Option<Vec<String>>,
    /// A site slug: keeps what that site shows.
    pub site: Option<String>,
    /// Only featured (true) or only ordinary (false) articles.
    pub featured: Option<bool>,
}

/// News queries.
#[derive(Default)]
pub struct NewsQuery;

#[Object]
impl NewsQuery {
    /// Published news, newest first. Relay paging (`first` at most 100).
    async fn news(
        &self,
        ctx: &Context<'_>,
        filter: Option<NewsFilterInput>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, NewsArticleNode>> {
        let store = ctx.data_unchecked::<Store>();
        let page = PageRequest::parse(first, after.as_deref(), |c| {
            cursor::decode_instant(CURSOR_KIND, c)
        })?;
        let input = filter.unwrap_or_default();
        let scope = effective_scope(ctx, input.site.as_deref(), "filter.site").await?;
        let filter = NewsFilter {
            tag_ids: term_ids(store, TermKind::Tag, input.tags.as_deref(), "filter.tags").await?,
            department_ids: department_ids(
                store,
                input.departments.as_deref(),
                "filter.departments",
            )
            .await?,
            featured: input.featured,
        };
        let rows = store
            .news_page(&filter, scope.as_ref(), page.after, page.limit + 1)
            .await
            .map_err(gql)?;
        trail::list(ctx, ContentKind::NewsArticle, scope.as_ref());
        page.respond(
            ctx,
            rows,
            |n| {
                cursor::encode_instant(
                    CURSOR_KIND,
                    n.publication
                        .published_at
                        .unwrap_or(n.publication.created_at),
                    n.id,
                )
            },
            NewsArticleNode,
        )
        .await
    }

    /// A published news article by slug.
    async fn news_article(
        &self,
        ctx: &Context<'_>,
        slug: String,
    ) -> Result<Option<NewsArticleNode>> {
        let store = ctx.data_unchecked::<Store>();
        let scope = ctx.data_unchecked::<super::RequestContext>().scope.as_ref();
        trail::slug(ctx, ContentKind::NewsArticle, &slug);
        match store.news_article(&slug, scope).await.map_err(gql)? {
            Some(n) => {
                trail::item(ctx, ContentKind::NewsArticle, n.id);
                Ok(Some(NewsArticleNode(n)))
            }
            None => Err(gql(silo_domain::DomainError::not_found("news article"))),
        }
    }
}
