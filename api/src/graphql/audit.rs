//! `auditLog`: the chained record of every change to content state, rights, users, sites,
//! keys and slots, for auditors and admins.

use super::access::{allow, store, uuid};
use super::account::UserNode;
use super::cursor;
use super::error::{bad_input, gql};
use async_graphql::connection::Connection;
use async_graphql::{Context, ID, InputObject, Json, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use serde_json::Value;
use silo_domain::audit::{Entry, describe_right};
use silo_domain::rights::{Action, Resource};
use silo_storage::AuditFilter;
use std::collections::HashMap;
use std::sync::Arc;

const CURSOR_KIND: &str = "audit";

/// Which entries to list (all given criteria together).
#[derive(InputObject, Default)]
pub struct AuditLogFilter {
    /// Who acted.
    pub actor_id: Option<ID>,
    /// What was changed (an item, a membership, a user, a site…).
    pub target_id: Option<ID>,
    /// `event`, `association`, `news_article`, `public_service`, `membership`, `user`,
    /// `site`, `site_key`, `site_slot`, `department`, `place`, `term`, `webhook`,
    /// `webhook_delivery`.
    pub target_kind: Option<String>,
    pub department_id: Option<ID>,
    /// An action (`event.unpublished`) or all actions on a kind (`membership.`).
    pub action: Option<String>,
    /// From this instant (included).
    pub from: Option<DateTime<Utc>>,
    /// Until this instant (excluded).
    pub to: Option<DateTime<Utc>>,
}

impl AuditLogFilter {
    fn into_storage(self) -> Result<AuditFilter> {
        let id = |id: Option<ID>, field: &str| id.map(|id| uuid(&id, field)).transpose();
        if let (Some(from), Some(to)) = (self.from, self.to)
            && to <= from
        {
            return Err(bad_input("filter.to", "must be after filter.from"));
        }
        Ok(AuditFilter {
            actor_id: id(self.actor_id, "filter.actorId")?,
            target_id: id(self.target_id, "filter.targetId")?,
            target_kind: self.target_kind,
            department_id: id(self.department_id, "filter.departmentId")?,
            action: self.action,
            from: self.from,
            to: self.to,
        })
    }
}

/// The right a change was made under.
#[derive(SimpleObject)]
pub struct AuditRight {
    /// `membership`, `delegation`, `admin`, `curator`, `delegator`, `own_account`,
    /// `operator` (the `silo` command on the server), `scheduler` or `webhook_sender`.
    kind: String,
    /// In plain words: `publisher of Culture, lent by marie@ville.fr until …`.
    description: String,
    /// The role acted under, for a membership or a delegation.
    role: Option<String>,
    department_id: Option<ID>,
    /// For a delegation: who lent the role, and until when.
    delegated_by: Option<UserNode>,
    valid_until: Option<DateTime<Utc>>,
    /// As recorded.
    details: Json<Value>,
}

/// One entry of the audit log.
pub struct AuditEntryNode {
    entry: Entry,
    right: Value,
    names: Arc<HashMap<String, String>>,
}

#[Object(name = "AuditEntry")]
impl AuditEntryNode {
    /// Position in the chain: 1, 2, 3… without gaps.
    async fn seq(&self) -> i64 {
        self.entry.seq
    }
    async fn at(&self) -> DateTime<Utc> {
        self.entry.record.at
    }
    /// Who acted; none for the server operator and the scheduler.
    async fn actor(&self, ctx: &Context<'_>) -> Result<Option<UserNode>> {
        user_node(ctx, self.entry.record.actor_id).await
    }
    async fn right(&self, ctx: &Context<'_>) -> Result<AuditRight> {
        let text = |key: &str| self.right.get(key).and_then(Value::as_str);
        let delegated_by = text("delegatedBy").and_then(|id| uuid::Uuid::parse_str(id).ok());
        Ok(AuditRight {
            kind: text("kind").unwrap_or_default().to_owned(),
            description: describe_right(&self.right, |id| self.names.get(id).cloned()),
            role: text("role").map(str::to_owned),
            department_id: text("departmentId").map(|id| ID(id.to_owned())),
            delegated_by: user_node(ctx, delegated_by).await?,
            valid_until: text("validUntil")
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                .map(|t| t.with_timezone(&Utc)),
            details: Json(self.right.clone()),
        })
    }
    /// `{targetKind}.{what happened}`: `event.published`, `event.in_review`,
    /// `membership.created`, `site_key.revoked`, `site_slot.updated`…
    async fn action(&self) -> &str {
        &self.entry.record.action
    }
    async fn target_kind(&self) -> &str {
        &self.entry.record.target_kind
    }
    async fn target_id(&self) -> ID {
        ID(self.entry.record.target_id.to_string())
    }
    async fn department_id(&self) -> Option<ID> {
        self.entry.record.department_id.map(|id| ID(id.to_string()))
    }
    /// A summary of the state before (null when the target is new).
    async fn before(&self) -> Json<Value> {
        Json(serde_json::from_str(&self.entry.record.before).unwrap_or(Value::Null))
    }
    /// A summary of the state after (null when the target was deleted).
    async fn after(&self) -> Json<Value> {
        Json(serde_json::from_str(&self.entry.record.after).unwrap_or(Value::Null))
    }
    /// SHA-256 over this entry and `prevHash`.
    async fn hash(&self) -> &str {
        &self.entry.hash
    }
    async fn prev_hash(&self) -> &str {
        &self.entry.prev_hash
    }
}

async fn user_node(ctx: &Context<'_>, id: Option<uuid::Uuid>) -> Result<Option<UserNode>> {
    let Some(id) = id else { return Ok(None) };
    Ok(store(ctx).user(id).await.map_err(gql)?.map(UserNode))
}

/// The names an entry's right mentions (departments, users, sites), by id.
async fn names_in(
    ctx: &Context<'_>,
    entries: &[(Entry, Value)],
) -> Result<HashMap<String, String>> {
    let store = store(ctx);
    let mut names: HashMap<String, String> = store
        .departments()
        .await
        .map_err(gql)?
        .into_iter()
        .map(|d| (d.id.to_string(), d.name))
        .collect();
    for (_, right) in entries {
        for key in ["delegatedBy", "siteId"] {
            let Some(id) = right.get(key).and_then(Value::as_str) else {
                continue;
            };
            let Ok(parsed) = uuid::Uuid::parse_str(id) else {
                continue;
            };
            if names.contains_key(id) {
                continue;
            }
            let name = if key == "siteId" {
                store.site(parsed).await.map_err(gql)?.map(|s| s.name)
            } else {
                store.user(parsed).await.map_err(gql)?.map(|u| u.email)
            };
            if let Some(name) = name {
                names.insert(id.to_owned(), name);
            }
        }
    }
    Ok(names)
}

#[derive(Default)]
pub struct AuditQuery;

#[Object]
impl AuditQuery {
    /// The audit log, newest first (auditors and admins). Relay paging, `first` at most
    /// 100. `silo audit verify` checks the chain on the server.
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        filter: Option<AuditLogFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, AuditEntryNode>> {
        allow(ctx, Action::ReadAudit, &Resource::Hub)?;
        let filter = filter.unwrap_or_default().into_storage()?;
        let page = cursor::PageRequest::parse(first, after.as_deref(), |c| {
            cursor::decode_sequence(CURSOR_KIND, c)
        })?;
        let rows = store(ctx)
            .audit_entries(&filter, page.after, page.limit as u64 + 1)
            .await
            .map_err(gql)?;
        let rows: Vec<(Entry, Value)> = rows
            .into_iter()
            .map(|entry| {
                let right = serde_json::from_str(&entry.record.authority).unwrap_or(Value::Null);
                (entry, right)
            })
            .collect();
        let names = Arc::new(names_in(ctx, &rows).await?);
        Ok(cursor::connection(
            rows,
            page.limit,
            page.after.is_some(),
            |(entry, _)| cursor::encode_sequence(CURSOR_KIND, entry.seq),
            |(entry, right)| AuditEntryNode {
                entry,
                right,
                names: names.clone(),
            },
        ))
    }
}
