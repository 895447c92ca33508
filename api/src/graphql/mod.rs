//! The GraphQL API: schema built once, per-request context (site scope, loaders), limits.

mod access;
mod account;
mod agenda;
mod audit;
mod catch_up;
mod cursor;
mod directory;
mod editing;
pub mod error;
mod inputs;
mod loader;
mod members;
mod news;
mod reference;
mod revisions;
mod search;
mod services;
mod slots;
mod subscriptions;
pub mod trail;
mod types;
mod webhooks;
mod workflow;

use crate::identity::{Caller, Identity};
use async_graphql::{MergedObject, SDLExportOptions, Schema};
use silo_domain::DomainError;
use silo_domain::rights::Principal;
use silo_domain::site::{Site, SiteScope};
use silo_storage::Store;
pub use subscriptions::SubscriptionRoot;

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
    account::AccountQuery,
    editing::EditingQuery,
    members::MembersQuery,
    reference::ReferenceQuery,
    revisions::RevisionQuery,
    audit::AuditQuery,
    search::SearchQuery,
    webhooks::WebhookQuery,
);

/// Every mutation, merged from the per-area objects.
#[derive(MergedObject, Default)]
pub struct MutationRoot(
    account::AccountMutation,
    editing::EditingMutation,
    members::MembersMutation,
    reference::ReferenceMutation,
    workflow::WorkflowMutation,
    revisions::RevisionMutation,
    slots::SlotMutation,
    webhooks::WebhookMutation,
);

pub type ApiSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// What the request says about its caller: who it is, and the site whose channel
/// restricts every list (from a site key, or the `X-Silo-Site` header).
#[derive(Default, Clone)]
pub struct RequestContext {
    pub principal: Principal,
    pub site: Option<Site>,
    pub scope: Option<SiteScope>,
    /// The client's address, for sign-in throttling.
    pub client_addr: Option<String>,
}

impl RequestContext {
    /// Resolves the credentials and the site: a site key names its site; otherwise the
    /// `X-Silo-Site` header's slug does. An unknown site or bad credentials are refused.
    pub async fn resolve(
        store: &Store,
        identity: &Identity,
        authorization: Option<&str>,
        site_slug: Option<&str>,
        client_addr: Option<String>,
    ) -> Result<Self, DomainError> {
        let caller = Caller::from_authorization(store, identity, authorization).await?;
        let site = match (caller.site, site_slug) {
            (Some(site), _) => {
                let departments = store.departments().await?;
                let scope = SiteScope::resolve(&site, &departments);
                Some((site, scope))
            }
            (None, Some(slug)) => Some(resolve_site(store, slug).await?),
            (None, None) => None,
        };
        let (site, scope) = site.unzip();
        Ok(Self {
            principal: caller.principal,
            site,
            scope,
            client_addr,
        })
    }
}

/// How far ahead recurring events are materialized when an editor saves one.
#[derive(Clone, Copy)]
pub struct Horizon(pub chrono::Duration);

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

/// Builds the schema once; per-request data (loaders, caller) is added to each request.
pub fn build_schema(
    store: Store,
    identity: Identity,
    horizon: chrono::Duration,
    search: std::sync::Arc<silo_storage::search::SearchBackend>,
    feed: std::sync::Arc<crate::changes::ChangeFeed>,
    cache: std::sync::Arc<crate::response_cache::ResponseCache>,
) -> ApiSchema {
    Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot,
    )
    .data(store)
    .data(search)
    .data(feed)
    .data(cache)
    .data(identity)
    .data(Horizon(horizon))
    .extension(error::ErrorCodes)
    .extension(catch_up::CatchUpAfterWrites)
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
    sdl(&Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot,
    )
    .limit_depth(MAX_DEPTH)
    .finish())
}
