//! Homepage and featured slots: curated per site, public when read, emptied by takedowns.

use super::access::{allow, store, uuid};
use super::editing::ContentNode;
use super::error::{bad_input, gql};
use super::inputs::ContentKind;
use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use silo_domain::DomainError;
use silo_domain::content::ContentStatus;
use silo_domain::rights::{Action, Resource};
use silo_domain::slots::{SlotEntry, check_slot};
use uuid::Uuid;

/// An item to place in a slot.
#[derive(InputObject)]
pub struct SlotItemInput {
    pub kind: ContentKind,
    pub id: ID,
    pub valid_from: Option<DateTime<Utc>>,
    pub valid_until: Option<DateTime<Utc>>,
}

/// An item shown in a slot.
#[derive(SimpleObject)]
pub struct SlotItem {
    pub position: i32,
    pub valid_from: Option<DateTime<Utc>>,
    pub valid_until: Option<DateTime<Utc>>,
    pub item: ContentNode,
}

/// The published items of a slot shown at `now`, in order.
pub async fn shown(ctx: &Context<'_>, site_id: Uuid, name: &str) -> Result<Vec<SlotItem>> {
    let store = store(ctx);
    let now = Utc::now();
    let entries = store.slot(site_id, name).await.map_err(gql)?;
    let mut out = Vec::new();
    for (position, entry) in entries.into_iter().enumerate() {
        // Every entry counts, shown or not: it may be published, or its time come.
        super::trail::item(ctx, entry.kind, entry.content_id);
        for boundary in [entry.valid_from, entry.valid_until].into_iter().flatten() {
            if boundary > now {
                super::trail::until(ctx, boundary);
            }
        }
        if !entry.shown_at(now) {
            continue;
        }
        let item = store
            .content_item(entry.kind, entry.content_id)
            .await
            .map_err(gql)?
            .filter(|i| i.publication().status == ContentStatus::Published);
        if let Some(item) = item {
            out.push(SlotItem {
                position: position as i32,
                valid_from: entry.valid_from,
                valid_until: entry.valid_until,
                item: item.into(),
            });
        }
    }
    Ok(out)
}

#[derive(Default)]
pub struct SlotMutation;

#[Object]
impl SlotMutation {
    /// Replaces a site's slot (`homepage`, `featured`…) with these items, in order: the
    /// site's curators and admins; only published content can be placed.
    async fn set_slot(
        &self,
        ctx: &Context<'_>,
        site_id: ID,
        name: String,
        items: Vec<SlotItemInput>,
    ) -> Result<Vec<SlotItem>> {
        let site = uuid(&site_id, "siteId")?;
        let by = allow(ctx, Action::CurateSite, &Resource::Site(site))?;
        if store(ctx).site(site).await.map_err(gql)?.is_none() {
            return Err(gql(DomainError::not_found("site")));
        }
        let mut entries = Vec::with_capacity(items.len());
        for (i, input) in items.into_iter().enumerate() {
            let id = uuid(&input.id, &format!("items.{i}.id"))?;
            let kind = input.kind.into();
            let published = store(ctx)
                .content_item(kind, id)
                .await
                .map_err(gql)?
                .is_some_and(|item| item.publication().status == ContentStatus::Published);
            if !published {
                return Err(bad_input(
                    &format!("items.{i}.id"),
                    "only published content can be placed",
                ));
            }
            entries.push(SlotEntry {
                kind,
                content_id: id,
                valid_from: input.valid_from,
                valid_until: input.valid_until,
            });
        }
        let name = check_slot(&name, &entries).map_err(gql)?;
        store(ctx)
            .set_slot(site, &name, &entries, &by)
            .await
            .map_err(gql)?;
        shown(ctx, site, &name).await
    }
}
