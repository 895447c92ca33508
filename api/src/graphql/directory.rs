//! The associations directory and the reference lists (departments, taxonomy, sites).

use super::agenda::{NearInput, effective_scope, term_ids};
use super::cursor::{self, PageRequest};
use super::error::{bad_input, gql};
use super::trail;
use super::types::{AssociationNode, DepartmentNode, SiteNode, TermNode};
use async_graphql::connection::Connection;
use async_graphql::{Context, InputObject, Object, Result};
use silo_domain::content::{ContentKind, TermKind};
use silo_domain::query::{AssociationFilter, fold_for_search};
use silo_storage::Store;

const CURSOR_KIND: &str = "asso";

/// Narrows the associations directory.
#[derive(InputObject, Default)]
#[graphql(name = "AssociationFilter")]
pub struct AssociationFilterInput {
    /// Names starting with this, ignoring case and accents.
    pub name_prefix: Option<String>,
    /// Category slugs: keeps associations carrying at least one.
    pub categories: Option<Vec<String>>,
    /// Keeps associations whose place lies within the radius.
    pub near: Option<NearInput>,
    /// A site slug: keeps what that site shows.
    pub site: Option<String>,
}

/// Directory queries.
#[derive(Default)]
pub struct DirectoryQuery;

#[Object]
impl DirectoryQuery {
    /// Published associations in name order. Relay paging (`first` at most 100).
    async fn associations(
        &self,
        ctx: &Context<'_>,
        filter: Option<AssociationFilterInput>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, AssociationNode>> {
        let store = ctx.data_unchecked::<Store>();
        let page = PageRequest::parse(first, after.as_deref(), |c| {
            cursor::decode_name(CURSOR_KIND, c)
        })?;
        let input = filter.unwrap_or_default();
        let scope = effective_scope(ctx, input.site.as_deref(), "filter.site").await?;
        let filter = AssociationFilter {
            name_prefix: input.name_prefix,
            category_ids: term_ids(
                store,
                TermKind::Category,
                input.categories.as_deref(),
                "filter.categories",
            )
            .await?,
            near: input.near.map(|n| n.parse("filter.near")).transpose()?,
        };
        let rows = store
            .associations_page(&filter, scope.as_ref(), page.after.as_ref(), page.limit + 1)
            .await
            .map_err(gql)?;
        trail::list(ctx, ContentKind::Association, scope.as_ref());
        page.respond(
            ctx,
            rows,
            |a| cursor::encode_name(CURSOR_KIND, &fold_for_search(&a.fields.name), a.id),
            AssociationNode,
        )
        .await
    }

    /// A published association by slug.
    async fn association(
        &self,
        ctx: &Context<'_>,
        slug: String,
    ) -> Result<Option<AssociationNode>> {
        let store = ctx.data_unchecked::<Store>();
        let scope = ctx.data_unchecked::<super::RequestContext>().scope.as_ref();
        trail::slug(ctx, ContentKind::Association, &slug);
        match store.association(&slug, scope).await.map_err(gql)? {
            Some(a) => {
                trail::item(ctx, ContentKind::Association, a.id);
                Ok(Some(AssociationNode(a)))
            }
            None => Err(gql(silo_domain::DomainError::not_found("association"))),
        }
    }

    /// Every department, by name.
    async fn departments(&self, ctx: &Context<'_>) -> Result<Vec<DepartmentNode>> {
        let store = ctx.data_unchecked::<Store>();
        Ok(store
            .departments()
            .await
            .map_err(gql)?
            .into_iter()
            .map(DepartmentNode)
            .collect())
    }

    /// Every category, by name.
    async fn categories(&self, ctx: &Context<'_>) -> Result<Vec<TermNode>> {
        let store = ctx.data_unchecked::<Store>();
        Ok(store
            .terms(TermKind::Category)
            .await
            .map_err(gql)?
            .into_iter()
            .map(TermNode)
            .collect())
    }

    /// Every tag, by name.
    async fn tags(&self, ctx: &Context<'_>) -> Result<Vec<TermNode>> {
        let store = ctx.data_unchecked::<Store>();
        Ok(store
            .terms(TermKind::Tag)
            .await
            .map_err(gql)?
            .into_iter()
            .map(TermNode)
            .collect())
    }

    /// A satellite site by slug.
    async fn site(&self, ctx: &Context<'_>, slug: String) -> Result<Option<SiteNode>> {
        let store = ctx.data_unchecked::<Store>();
        if slug.is_empty() {
            return Err(bad_input("slug", "must not be empty"));
        }
        match store.site_by_slug(&slug).await.map_err(gql)? {
            Some(site) => Ok(Some(SiteNode(site))),
            None => Err(gql(silo_domain::DomainError::not_found(format!(
                "site `{slug}`"
            )))),
        }
    }
}
