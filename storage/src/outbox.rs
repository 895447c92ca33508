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
use silo_domain::content::{ContentKind, ContentStatus};
use silo_domain::notification::{ChangeType, ContentChange, Placement};
use uuid::Uuid;

/// The PostgreSQL channel every commit that wrote to the outbox notifies: the change feed
/// of every process wakes on it instead of waiting for its next poll.
pub const NOTIFY_CHANNEL: &str = "silo_outbox";

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
    // Delivered at commit, and only if the transaction commits.
    if txn.get_database_backend() == sea_orm::DbBackend::Postgres {
        txn.execute_unprepared(&format!("NOTIFY {NOTIFY_CHANNEL}"))
            .await
            .map_err(internal)?;
    }
    Ok(())
}

impl OutboxRecord {
    /// The change of an item of content this record tells of; `None` for the other
    /// aggregates (users, sites, places…).
    pub fn content_change(&self) -> Option<ContentChange> {
        let kind = ContentKind::parse(&self.aggregate)?;
        let p = &self.payload;
        let field = |name: &str| p.get(name).cloned().unwrap_or_default();
        Some(ContentChange {
            position: self.id,
            kind,
            id: self.aggregate_id,
            slug: p.get("slug")?.as_str()?.to_owned(),
            change: ChangeType::of_outbox(&self.change),
            version: self.version.unwrap_or_default(),
            at: self.occurred_at,
            placement: Placement {
                department_id: self.department_id?,
                // Without its sites, a change is told to nobody rather than to every site.
                sites: serde_json::from_value(p.get("sites")?.clone()).ok()?,
                category_ids: serde_json::from_value(field("categoryIds")).unwrap_or_default(),
                tag_ids: serde_json::from_value(field("tagIds")).unwrap_or_default(),
            },
            previous_placement: serde_json::from_value(field("previously")).unwrap_or_default(),
            status: ContentStatus::parse(p.get("status")?.as_str()?)?,
            created_by: serde_json::from_value(field("createdBy")).unwrap_or_default(),
        })
    }
}

/// Wakes when another transaction committed outbox rows (PostgreSQL's LISTEN).
pub struct OutboxListener(sea_orm::sqlx::postgres::PgListener);

impl OutboxListener {
    /// Waits for the next commit's notification (several commits may wake it once).
    pub async fn next(&mut self) -> Result<(), DomainError> {
        self.0
            .recv()
            .await
            .map(drop)
            .map_err(|e| DomainError::Internal(format!("listening for changes: {e}")))
    }
}

impl Store {
    /// A listener for the outbox's commits on PostgreSQL; `None` on SQLite, whose one
    /// process polls instead.
    pub async fn listen_to_outbox(&self) -> Result<Option<OutboxListener>, DomainError> {
        if self.db.get_database_backend() != sea_orm::DbBackend::Postgres {
            return Ok(None);
        }
        let pool = self.db.get_postgres_connection_pool();
        let failed = |e: sea_orm::sqlx::Error| DomainError::Internal(format!("LISTEN: {e}"));
        let mut listener = sea_orm::sqlx::postgres::PgListener::connect_with(pool)
            .await
            .map_err(failed)?;
        listener.listen(NOTIFY_CHANNEL).await.map_err(failed)?;
        Ok(Some(OutboxListener(listener)))
    }

    /// Changes recorded after `after_id`, oldest first, at most `limit`.
    pub async fn outbox_after(
        &self,
        after_id: i64,
        limit: u64,
    ) -> Result<Vec<OutboxRecord>, DomainError> {
        records_after(&self.db, after_id, limit).await
    }
}

/// Changes recorded after `after_id`, oldest first, at most `limit`, read on `db` (a
/// consumer's transaction, or the pool).
pub(crate) async fn records_after(
    db: &impl ConnectionTrait,
    after_id: i64,
    limit: u64,
) -> Result<Vec<OutboxRecord>, DomainError> {
    let rows = outbox::Entity::find()
        .filter(outbox::Column::Id.gt(after_id))
        .order_by_asc(outbox::Column::Id)
        .limit(limit)
        .all(db)
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

/// The id of the last recorded change (0 when none), read on `db` (inside a write
/// transaction, the last change before the one being written).
pub(crate) async fn head(db: &impl ConnectionTrait) -> Result<i64, DomainError> {
    Ok(outbox::Entity::find()
        .order_by_desc(outbox::Column::Id)
        .one(db)
        .await
        .map_err(internal)?
        .map_or(0, |m| m.id))
}
