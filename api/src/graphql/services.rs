//! Public services and their opening hours.

use super::agenda::{NearInput, effective_scope};
use super::cursor::{self, PageRequest};
use super::error::gql;
use super::trail;
use super::types::{PublicServiceNode, ServiceKind};
use async_graphql::connection::Connection;
use async_graphql::{Context, InputObject, Object, Result};
use chrono::{DateTime, Utc};
use silo_domain::content::ContentKind;
use silo_domain::query::ServiceFilter;
use silo_storage::Store;

const CURSOR_KIND: &str = "svc";

/// Narrows the public services.
#[derive(InputObject, Default)]
#[graphql(name = "ServiceFilter")]
pub struct ServiceFilterInput {
    /// Keeps services of this kind.
    pub kind: Option<ServiceKind>,
    /// Keeps services open at this instant.
    pub open_at: Option<DateTime<Utc>>,
    /// Keeps services whose place lies within the radius.
    pub near: Option<NearInput>,
    /// A site slug: keeps what that site shows.
    pub site: Option<String>,
}

/// Public service queries.
#[derive(Default)]
pub struct ServiceQuery;

#[Object]
impl ServiceQuery {
    /// Published public services in name order. Relay paging (`first` at most 100).
    async fn public_services(
        &self,
        ctx: &Context<'_>,
        filter: Option<ServiceFilterInput>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, PublicServiceNode>> {
        let store = ctx.data_unchecked::<Store>();
        let page = PageRequest::parse(first, after.as_deref(), |c| {
            cursor::decode_name(CURSOR_KIND, c)
        })?;
        let input = filter.unwrap_or_default();
        let scope = effective_scope(ctx, input.site.as_deref(), "filter.site").await?;
        let filter = ServiceFilter {
            kind: input.kind.map(Into::into),
            open_at: input.open_at,
            near: input.near.map(|n| n.parse("filter.near")).transpose()?,
        };
        let rows = store
            .services_page(&filter, scope.as_ref(), page.after.as_ref(), page.limit + 1)
            .await
            .map_err(gql)?;
        trail::list(ctx, ContentKind::PublicService, scope.as_ref());
        page.respond(
            ctx,
            rows,
            |s| cursor::encode_name(CURSOR_KIND, &s.fields.name, s.id),
            PublicServiceNode,
        )
        .await
    }

    /// A published public service by slug.
    async fn public_service(
        &self,
        ctx: &Context<'_>,
        slug: String,
    ) -> Result<Option<PublicServiceNode>> {
        let store = ctx.data_unchecked::<Store>();
        let scope = ctx.data_unchecked::<super::RequestContext>().scope.as_ref();
        trail::slug(ctx, ContentKind::PublicService, &slug);
        match store.public_service(&slug, scope).await.map_err(gql)? {
            Some(s) => {
                trail::item(ctx, ContentKind::PublicService, s.id);
                Ok(Some(PublicServiceNode(s)))
            }
            None => Err(gql(silo_domain::DomainError::not_found("public service"))),
        }
    }
}
