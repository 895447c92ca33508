//! The GraphQL API: schema built once, per-request context (site scope, loaders), limits.

mod agenda;
mod cursor;
mod directory;
pub mod error;
mod loader;
mod news;
mod services;
mod types;

use async_graphql::{EmptyMutation, EmptySubscription, MergedObject, SDLExportOptions, Schema};
use silo_domain::DomainError;
use silo_domain::site::{Site, SiteScope};
use silo_storage::Store;

pub use loader::Loaders;

/// Deepest query accepted: enough for every real page, refuses nesting bombs.
pub const MAX_DEPTH: usize = 12;
/// Most fields one query may select.
pub const MAX_COMPLEXITY: usize = 1_000;

/// Every query, merged from the per-area objects.
#[derive(MergedObject, Default)]
pub struct QueryRoot(
    agenda::AgendaQuery,
    directory::DirectoryQuery,
    news::NewsQuery,
    services::ServiceQuery,
);

pub type ApiSchema = Schema<QueryRoot, EmptyMutation, EmptySubscription>;

/// What the request says about its caller: the site whose channel restricts every list.
#[derive(Default, Clone)]
pub struct RequestContext {
    pub site: Option<Site>,
    pub scope: Option<SiteScope>,
}

impl RequestContext {
    /// Resolves the `X-Silo-Site` header's slug; an unknown site is refused.
    pub async fn for_site(store: &Store, slug: Option<&str>) -> Result<Self, DomainError> {
        let Some(slug) = slug else {
            return Ok(Self::default());
        };
        let site = resolve_site(store, slug).await?;
        Ok(Self {
            scope: Some(site.1),
            site: Some(site.0),
        })
    }
}

/// A site and its channel resolved against the department tree.
pub async fn resolve_site(store: &Store, slug: &str) -> Result<(Site, SiteScope), DomainError> {
    let site = store
        .site_by_slug(slug)
        .await?
        .ok_or_else(|| DomainError::not_found(format!("site `{slug}`")))?;
    let departments = store.departments().await?;
    let scope = SiteScope::resolve(&site, &departments);
    Ok((site, scope))
}

/// Builds the schema once; per-request data (loaders, site) is added to each request.
pub fn build_schema(store: Store) -> ApiSchema {
    Schema::build(QueryRoot::default(), EmptyMutation, EmptySubscription)
        .data(store)
        .extension(error::ErrorCodes)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
        .finish()
}

/// The SDL, sorted so that diffs of `schema.graphql` stay readable.
pub fn sdl(schema: &ApiSchema) -> String {
    schema.sdl_with_options(
        SDLExportOptions::new()
            .sorted_fields()
            .sorted_arguments()
            .sorted_enum_items(),
    )
}

/// The schema's SDL without a database (for `silo schema`).
pub fn sdl_offline() -> String {
    sdl(
        &Schema::build(QueryRoot::default(), EmptyMutation, EmptySubscription)
            .limit_depth(MAX_DEPTH)
            .finish(),
    )
}
