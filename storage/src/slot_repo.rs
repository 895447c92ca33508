//! Sites' slots: replaced whole by a curator, read in order, emptied of an item the
//! moment it stops being public.

use crate::entity::site_slot;
use crate::outbox::{self, Change, OutboxEvent};
use crate::{Store, internal};
use chrono::Utc;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};
use silo_domain::DomainError;
use silo_domain::audit::Actor;
use silo_domain::content::ContentKind;
use silo_domain::slots::SlotEntry;
use uuid::Uuid;

impl Store {
    /// Replaces the entries of the site's slot `name`.
    pub async fn set_slot(
        &self,
        site_id: Uuid,
        name: &str,
        entries: &[SlotEntry],
        actor: &Actor,
    ) -> Result<(), DomainError> {
        let before = self.slot(site_id, name).await?;
        let txn = self.begin_write().await?;
        site_slot::Entity::delete_many()
            .filter(site_slot::Column::SiteId.eq(site_id))
            .filter(site_slot::Column::Name.eq(name))
            .exec(&txn)
            .await
            .map_err(internal)?;
        if !entries.is_empty() {
            site_slot::Entity::insert_many(entries.iter().enumerate().map(|(i, e)| {
                site_slot::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    site_id: Set(site_id),
                    name: Set(name.to_owned()),
                    position: Set(i as i32),
                    content_kind: Set(e.kind.as_str().to_owned()),
                    content_id: Set(e.content_id),
                    valid_from: Set(e.valid_from),
                    valid_until: Set(e.valid_until),
                }
            }))
            .exec_without_returning(&txn)
            .await
            .map_err(internal)?;
        }
        let event = OutboxEvent {
            aggregate: "site_slot",
            aggregate_id: site_id,
            change: Change::Updated,
            action: None,
            version: None,
            department_id: None,
            actor: actor.clone(),
            before: slot_summary(name, &before),
            payload: slot_summary(name, entries),
        };
        outbox::append(&txn, event, Utc::now()).await?;
        txn.commit().await.map_err(internal)
    }

    /// The entries of a slot, in order (validity windows not applied).
    pub async fn slot(&self, site_id: Uuid, name: &str) -> Result<Vec<SlotEntry>, DomainError> {
        site_slot::Entity::find()
            .filter(site_slot::Column::SiteId.eq(site_id))
            .filter(site_slot::Column::Name.eq(name))
            .order_by_asc(site_slot::Column::Position)
            .all(&self.db)
            .await
            .map_err(internal)?
            .into_iter()
            .map(|m| {
                Ok(SlotEntry {
                    kind: ContentKind::ALL
                        .into_iter()
                        .find(|k| k.as_str() == m.content_kind)
                        .ok_or_else(|| {
                            DomainError::Internal(format!("stored kind `{}`", m.content_kind))
                        })?,
                    content_id: m.content_id,
                    valid_from: m.valid_from,
                    valid_until: m.valid_until,
                })
            })
            .collect()
    }
}

/// Takes an item out of every slot (it stopped being public, or is deleted).
pub(crate) async fn remove_from_slots(
    txn: &impl ConnectionTrait,
    content_id: Uuid,
) -> Result<(), DomainError> {
    site_slot::Entity::delete_many()
        .filter(site_slot::Column::ContentId.eq(content_id))
        .exec(txn)
        .await
        .map_err(internal)?;
    Ok(())
}

/// What the outbox and the audit log keep of a slot: its name and items in order.
fn slot_summary(name: &str, entries: &[SlotEntry]) -> serde_json::Value {
    serde_json::json!({
        "name": name,
        "items": entries.iter().map(|e| e.content_id).collect::<Vec<_>>(),
    })
}
