//! The transactional outbox: every write appends what changed in the same transaction, so
//! the workers that feed search, subscriptions and webhooks never miss a change, and the
//! audit log gets its entry in that same transaction.

use crate::entity::outbox;
use crate::{Store, audit_log, internal};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use silo_domain::DomainError;
use silo_domain::audit::Actor;
use uuid::Uuid;

/// What happened to an aggregate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Created,
    Updated,
    Deleted,
    /// Became public.
    Published,
    /// Stopped being public (unpublished, archived, taken down).
    Unpublished,
}

impl Change {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Updated => "updated",
            Self::Deleted => "deleted",
            Self::Published => "published",
            Self::Unpublished => "unpublished",
        }
    }
}

/// One change to record.
#[derive(Debug, Clone)]
pub struct OutboxEvent {
    /// `event`, `association`, `news_article`, `public_service`, `place`, `term`,
    /// `department`, `site`, `user`, `membership`, `site_key`.
    pub aggregate: &'static str,
    pub aggregate_id: Uuid,
    pub change: Change,
    /// What the audit log calls the change when `change` says too little (the workflow
    /// state reached: `in_review`, `archived`…).
    pub action: Option<&'static str>,
    pub version: Option<i32>,
    pub department_id: Option<Uuid>,
    pub actor: Actor,
    /// What the audit log keeps of the state before the change (`null` when new).
    pub before: serde_json::Value,
    /// A small summary (slug, status…): consumers read the current state from the database;
    /// the audit log keeps it as the state after.
    pub payload: serde_json::Value,
}

/// A recorded change, in commit order.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxRecord {
    pub id: i64,
    pub aggregate: String,
    pub aggregate_id: Uuid,
    pub change: String,
    pub version: Option<i32>,
    pub department_id: Option<Uuid>,
    pub actor_id: Option<Uuid>,
    pub payload: serde_json::Value,
    pub occurred_at: DateTime<Utc>,
}

/// Appends `event` and its audit entry inside the caller's transaction, which must have
/// been opened by [`Store::begin_write`].
pub(crate) async fn append(
    txn: &impl ConnectionTrait,
    event: OutboxEvent,
    now: DateTime<Utc>,
) -> Result<(), DomainError> {
    audit_log::append(txn, &event, now).await?;
    outbox::Entity::insert(outbox::ActiveModel {
        id: NotSet,
        aggregate: Set(event.aggregate.to_owned()),
        aggregate_id: Set(event.aggregate_id),
        change: Set(event.change.as_str().to_owned()),
        version: Set(event.version),
        department_id: Set(event.department_id),
        actor_id: Set(event.actor.user_id),
        payload: Set(event.payload),
        occurred_at: Set(now),
    })
    .exec_without_returning(txn)
    .await
    .map_err(internal)?;
    Ok(())
}

impl Store {
    /// Changes recorded after `after_id`, oldest first, at most `limit`.
    pub async fn outbox_after(
        &self,
        after_id: i64,
        limit: u64,
    ) -> Result<Vec<OutboxRecord>, DomainError> {
        let rows = outbox::Entity::find()
            .filter(outbox::Column::Id.gt(after_id))
            .order_by_asc(outbox::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await
            .map_err(internal)?;
        Ok(rows
            .into_iter()
            .map(|m| OutboxRecord {
                id: m.id,
                aggregate: m.aggregate,
                aggregate_id: m.aggregate_id,
                change: m.change,
                version: m.version,
                department_id: m.department_id,
                actor_id: m.actor_id,
                payload: m.payload,
                occurred_at: m.occurred_at,
            })
            .collect())
    }
}
