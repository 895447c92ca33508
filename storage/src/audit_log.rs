//! The audit log in the database: entries appended in the writing transaction, read back
//! for auditors, and the whole chain verified in bounded memory.

use crate::entity::{audit_entry, audit_head};
use crate::outbox::{Change, OutboxEvent};
use crate::{Store, internal};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};
use silo_domain::DomainError;
use silo_domain::audit::{Broken, ChainCheck, Entry, Record};
use uuid::Uuid;

/// Which entries an auditor asks for (all criteria together).
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor_id: Option<Uuid>,
    pub target_id: Option<Uuid>,
    pub target_kind: Option<String>,
    pub department_id: Option<Uuid>,
    /// An exact action (`event.unpublished`) or a prefix ending in `.` (`membership.`).
    pub action: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// What `silo audit verify` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// Entries that checked out before the first break (all of them when intact).
    pub verified: i64,
    pub head_seq: i64,
    pub head_hash: String,
    pub broken: Option<Broken>,
}

const HEAD: i32 = 1;

impl Store {
    /// Opens a transaction that writes, taking the audit head first: on PostgreSQL its row
    /// lock orders concurrent writers before they touch anything else (no deadlock with a
    /// takedown touching many rows); on SQLite it takes the write lock at once.
    pub(crate) async fn begin_write(&self) -> Result<DatabaseTransaction, DomainError> {
        let txn = self.db.begin().await.map_err(internal)?;
        audit_head::Entity::update_many()
            .col_expr(audit_head::Column::Seq, Expr::col(audit_head::Column::Seq))
            .filter(audit_head::Column::Id.eq(HEAD))
            .exec(&txn)
            .await
            .map_err(internal)?;
        Ok(txn)
    }

    /// Entries matching `filter`, newest first, before sequence number `before` if given.
    pub async fn audit_entries(
        &self,
        filter: &AuditFilter,
        before: Option<i64>,
        limit: u64,
    ) -> Result<Vec<Entry>, DomainError> {
        let mut cond = Condition::all();
        if let Some(id) = filter.actor_id {
            cond = cond.add(audit_entry::Column::ActorId.eq(id));
        }
        if let Some(id) = filter.target_id {
            cond = cond.add(audit_entry::Column::TargetId.eq(id));
        }
        if let Some(kind) = &filter.target_kind {
            cond = cond.add(audit_entry::Column::TargetKind.eq(kind.as_str()));
        }
        if let Some(id) = filter.department_id {
            cond = cond.add(audit_entry::Column::DepartmentId.eq(id));
        }
        match filter.action.as_deref() {
            Some(prefix) if prefix.ends_with('.') => {
                cond = cond.add(audit_entry::Column::Action.starts_with(prefix));
            }
            Some(action) => cond = cond.add(audit_entry::Column::Action.eq(action)),
            None => {}
        }
        if let Some(from) = filter.from {
            cond = cond.add(audit_entry::Column::At.gte(from));
        }
        if let Some(to) = filter.to {
            cond = cond.add(audit_entry::Column::At.lt(to));
        }
        if let Some(before) = before {
            cond = cond.add(audit_entry::Column::Seq.lt(before));
        }
        let rows = audit_entry::Entity::find()
            .filter(cond)
            .order_by_desc(audit_entry::Column::Seq)
            .limit(limit)
            .all(&self.db)
            .await
            .map_err(internal)?;
        Ok(rows.into_iter().map(to_entry).collect())
    }

    /// Checks every entry in order, a page at a time, then the head; stops at the first
    /// break. `progress` is told how many entries were checked so far.
    pub async fn verify_audit_log(
        &self,
        mut progress: impl FnMut(i64),
    ) -> Result<Verification, DomainError> {
        const PAGE: u64 = 1000;
        let head = self.audit_head().await?;
        let mut check = ChainCheck::default();
        let mut after = i64::MIN;
        let broken = 'pages: loop {
            let page = audit_entry::Entity::find()
                .filter(audit_entry::Column::Seq.gt(after))
                .order_by_asc(audit_entry::Column::Seq)
                .limit(PAGE)
                .all(&self.db)
                .await
                .map_err(internal)?;
            let Some(last) = page.last() else {
                break check.finish(head.seq, &head.hash).err();
            };
            after = last.seq;
            for row in page {
                if let Err(broken) = check.push(&to_entry(row)) {
                    break 'pages Some(broken);
                }
            }
            progress(check.verified());
        };
        Ok(Verification {
            verified: check.verified(),
            head_seq: head.seq,
            head_hash: head.hash,
            broken,
        })
    }

    /// The entry at `seq`, if it is there (to compare with a head noted earlier).
    pub async fn audit_entry(&self, seq: i64) -> Result<Option<Entry>, DomainError> {
        Ok(audit_entry::Entity::find_by_id(seq)
            .one(&self.db)
            .await
            .map_err(internal)?
            .map(to_entry))
    }

    async fn audit_head(&self) -> Result<audit_head::Model, DomainError> {
        audit_head::Entity::find_by_id(HEAD)
            .one(&self.db)
            .await
            .map_err(internal)?
            .ok_or_else(|| DomainError::Internal("the audit log's head row is missing".into()))
    }
}

/// Writes the audit entry for `event` after the current head, and moves the head.
pub(crate) async fn append(
    txn: &impl ConnectionTrait,
    event: &OutboxEvent,
    now: DateTime<Utc>,
) -> Result<(), DomainError> {
    let head = audit_head::Entity::find_by_id(HEAD)
        .lock_exclusive()
        .one(txn)
        .await
        .map_err(internal)?
        .ok_or_else(|| DomainError::Internal("the audit log's head row is missing".into()))?;
    let record = Record {
        at: Record::at_stored(now),
        actor_id: event.actor.user_id,
        authority: event.actor.authority.to_json().to_string(),
        action: format!(
            "{}.{}",
            event.aggregate,
            event.action.unwrap_or(event.change.as_str())
        ),
        target_kind: event.aggregate.to_owned(),
        target_id: event.aggregate_id,
        department_id: event.department_id,
        before: event.before.to_string(),
        // The outbox keeps a deleted item's summary for its consumers; nothing is after.
        after: match event.change {
            Change::Deleted => serde_json::Value::Null.to_string(),
            _ => event.payload.to_string(),
        },
    };
    let entry = record.chain(head.seq, &head.hash);
    audit_entry::Entity::insert(audit_entry::ActiveModel {
        seq: Set(entry.seq),
        at: Set(entry.record.at),
        actor_id: Set(entry.record.actor_id),
        authority: Set(entry.record.authority),
        action: Set(entry.record.action),
        target_kind: Set(entry.record.target_kind),
        target_id: Set(entry.record.target_id),
        department_id: Set(entry.record.department_id),
        before: Set(entry.record.before),
        after: Set(entry.record.after),
        prev_hash: Set(entry.prev_hash),
        hash: Set(entry.hash.clone()),
    })
    .exec_without_returning(txn)
    .await
    .map_err(internal)?;
    audit_head::Entity::update_many()
        .col_expr(audit_head::Column::Seq, Expr::value(entry.seq))
        .col_expr(audit_head::Column::Hash, Expr::value(entry.hash))
        .filter(audit_head::Column::Id.eq(HEAD))
        .exec(txn)
        .await
        .map_err(internal)?;
    Ok(())
}

fn to_entry(m: audit_entry::Model) -> Entry {
    Entry {
        seq: m.seq,
        record: Record {
            at: m.at,
            actor_id: m.actor_id,
            authority: m.authority,
            action: m.action,
            target_kind: m.target_kind,
            target_id: m.target_id,
            department_id: m.department_id,
            before: m.before,
            after: m.after,
        },
        prev_hash: m.prev_hash,
        hash: m.hash,
    }
}
