//! Subscriptions: `contentChanged`, fed by this process's change feed and filtered, change
//! by change, by the domain's rule on who may learn of it.

use super::access::store;
use super::error::{bad_input, gql};
use super::inputs::ContentKind;
use super::{RequestContext, resolve_site};
use crate::changes::ChangeFeed;
use async_graphql::{Context, Enum, ErrorExtensions, ID, Result, SimpleObject, Subscription};
use chrono::{DateTime, Utc};
use futures::{Stream, StreamExt};
use silo_domain::content;
use silo_domain::notification::{self, ContentChange};
use silo_domain::rights::Principal;
use silo_domain::site::SiteScope;
use std::sync::Arc;
use tokio::sync::broadcast::error::RecvError;

/// What happened to an item.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "notification::ChangeType")]
pub enum ChangeType {
    /// It became public.
    Published,
    /// It changed without becoming or ceasing to be public.
    Updated,
    /// It stopped being public (unpublished, archived, taken down): purge it.
    Unpublished,
    Deleted,
}

/// A change of an item of content, as satellites are told of it.
#[derive(SimpleObject)]
pub struct ContentChangeNode {
    pub kind: ContentKind,
    pub id: ID,
    pub slug: String,
    pub change: ChangeType,
    /// The item's version after the change.
    pub version: i32,
    pub at: DateTime<Utc>,
}

impl From<&ContentChange> for ContentChangeNode {
    fn from(c: &ContentChange) -> Self {
        Self {
            kind: c.kind.into(),
            id: ID(c.id.to_string()),
            slug: c.slug.clone(),
            change: c.change.into(),
            version: c.version,
            at: c.at,
        }
    }
}

#[derive(Default)]
pub struct SubscriptionRoot;

#[Subscription]
impl SubscriptionRoot {
    /// Changes of content from now on, in commit order: public changes (publish, update of
    /// a published item, unpublish or takedown, deletion) for anyone, changes of drafts for
    /// those allowed to read them. `kinds` narrows to some kinds; `site` (a slug) to a
    /// site's channel, which a site key's connection always is. A subscriber that falls
    /// too far behind gets a `SLOW_CONSUMER` error and the subscription ends: resubscribe
    /// and refetch.
    async fn content_changed(
        &self,
        ctx: &Context<'_>,
        kinds: Option<Vec<ContentKind>>,
        site: Option<String>,
    ) -> Result<impl Stream<Item = Result<ContentChangeNode>> + use<>> {
        let request = ctx.data_unchecked::<RequestContext>().clone();
        let store = store(ctx).clone();
        let scope = match (&request.site, request.scope.clone(), site) {
            (Some(own), Some(_), Some(slug)) if own.slug != slug => {
                return Err(bad_input("site", "a site key hears of its own site only"));
            }
            (_, Some(scope), _) => Some(scope),
            (_, None, Some(slug)) => Some(resolve_site(&store, &slug).await.map_err(gql)?.1),
            (_, None, None) => None,
        };
        let kinds: Option<Vec<content::ContentKind>> =
            kinds.map(|k| k.into_iter().map(Into::into).collect());
        let feed = ctx.data_unchecked::<Arc<ChangeFeed>>().clone();
        let changes = feed.subscribe();
        let audience = Audience {
            feed,
            request,
            scope,
            kinds,
            store,
        };
        Ok(futures::stream::unfold(
            Some((changes, audience)),
            |state| async move {
                let (mut changes, audience) = state?;
                loop {
                    match changes.recv().await {
                        Ok(change) => {
                            if audience.hears(&change).await {
                                let node = ContentChangeNode::from(&*change);
                                return Some((Ok(node), Some((changes, audience))));
                            }
                        }
                        Err(RecvError::Lagged(missed)) => {
                            let error = async_graphql::Error::new(format!(
                                "too slow: {missed} changes were missed; subscribe again and refetch"
                            ))
                            .extend_with(|_, e| e.set("code", "SLOW_CONSUMER"));
                            audience.feed.count_dropped();
                            return Some((Err(error), None));
                        }
                        Err(RecvError::Closed) => return None,
                    }
                }
            },
        )
        .boxed())
    }
}

/// Who listens, and through which site.
struct Audience {
    feed: Arc<ChangeFeed>,
    request: RequestContext,
    scope: Option<SiteScope>,
    kinds: Option<Vec<content::ContentKind>>,
    store: silo_storage::Store,
}

impl Audience {
    async fn hears(&self, change: &ContentChange) -> bool {
        if self
            .kinds
            .as_ref()
            .is_some_and(|k| !k.contains(&change.kind))
        {
            return false;
        }
        // The department tree is only needed for a draft's change (to decide on rights),
        // which only signed-in users may hear of.
        let departments = if change.is_public() {
            Vec::new()
        } else if !matches!(self.request.principal, Principal::User(_)) {
            return false;
        } else {
            match self.store.departments().await {
                Ok(departments) => departments,
                Err(_) => return false,
            }
        };
        change.visible_to(
            &self.request.principal,
            self.scope.as_ref(),
            &departments,
            Utc::now(),
        )
    }
}
