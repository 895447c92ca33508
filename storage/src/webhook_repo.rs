//! Webhooks: each site's endpoints, the deliveries fanned out from the outbox once for
//! every process (the fan-out consumer's row is locked while it reads), and the per-endpoint
//! lease under which one process at a time sends an endpoint's deliveries.

use crate::entity::{outbox_consumer, webhook_delivery, webhook_endpoint};
use crate::outbox::{self, Change, OutboxEvent};
use crate::{Store, internal};
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, TransactionTrait,
};
use silo_domain::DomainError;
use silo_domain::audit::Actor;
use silo_domain::notification::ContentChange;
use silo_domain::rights::Principal;
use silo_domain::site::{Site, SiteScope};
use silo_domain::webhook::{AfterFailure, RetryPolicy, expires_at};
use std::collections::HashMap;
use uuid::Uuid;

/// The fan-out consumer's row in `outbox_consumers`.
const FAN_OUT: &str = "webhooks";
/// Outbox changes fanned out per transaction.
const FAN_OUT_BATCH: u64 = 500;

/// A site's webhook endpoint (its secret is never read back: see [`WebhookSecrets`]).
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookEndpoint {
    pub id: Uuid,
    pub site_id: Uuid,
    pub url: String,
    pub description: String,
    pub enabled: bool,
    /// Why the sender disabled it (failures in a row), until someone enables it again.
    pub disabled_reason: Option<String>,
    /// Failed attempts in a row.
    pub failure_run: i32,
    /// When the next attempt is due after a failure.
    pub retry_at: Option<DateTime<Utc>>,
    /// Until when the secret replaced by the last rotation still signs.
    pub previous_secret_until: Option<DateTime<Utc>>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The secrets an endpoint's deliveries are signed with, as stored (sealed by the API):
/// the current one, and the one it replaced while the rotation's grace period runs.
#[derive(Clone)]
pub struct WebhookSecrets {
    pub current: String,
    pub previous: Option<String>,
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    /// Waiting for its (next) attempt.
    Pending,
    Delivered,
    /// Given up: not delivered within the retry window.
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
        }
    }

    fn parse(raw: &str) -> Self {
        match raw {
            "delivered" => Self::Delivered,
            "failed" => Self::Failed,
            _ => Self::Pending,
        }
    }
}

/// One change sent (or to send) to one endpoint: the delivery log's line.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookDelivery {
    /// The idempotency key (`webhook-id`), the same on every attempt.
    pub id: Uuid,
    pub endpoint_id: Uuid,
    pub outbox_id: i64,
    /// The JSON body, byte for byte what every attempt sends.
    pub body: String,
    pub status: DeliveryStatus,
    pub attempts: i32,
    /// The receiver's last HTTP status.
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
}

/// What an administrator changes on an endpoint.
#[derive(Debug, Clone, Default)]
pub struct WebhookChanges {
    pub url: Option<String>,
    pub description: Option<String>,
    /// Enabling clears the failure run and any pending retry wait.
    pub enabled: Option<bool>,
}

/// How one attempt went.
#[derive(Debug, Clone, PartialEq)]
pub enum AttemptOutcome {
    Delivered { status: u16 },
    Failed { status: Option<u16>, error: String },
}

/// A page of the delivery log.
#[derive(Debug, Clone, Default)]
pub struct DeliveryQuery {
    pub site_id: Uuid,
    pub endpoint_id: Option<Uuid>,
    pub status: Option<DeliveryStatus>,
    /// Newer than nothing: the page starts after this delivery (newest first).
    pub after: Option<(DateTime<Utc>, Uuid)>,
    pub limit: u64,
}

impl Store {
    /// Adds an endpoint to `site`; it is told of the changes committed from now on.
    pub async fn create_webhook(
        &self,
        site_id: Uuid,
        url: String,
        description: String,
        secret: String,
        actor: &Actor,
    ) -> Result<WebhookEndpoint, DomainError> {
        let now = Utc::now();
        let txn = self.begin_write().await?;
        // Writes are serialized from here: the head is the last change before this one.
        let from_position = crate::outbox::head(&txn).await?;
        let model = webhook_endpoint::Model {
            id: Uuid::now_v7(),
            site_id,
            url,
            description,
            secret,
            previous_secret: None,
            previous_secret_until: None,
            from_position,
            enabled: true,
            disabled_reason: None,
            failure_run: 0,
            retry_at: None,
            lease_owner: None,
            lease_until: None,
            version: 1,
            created_at: now,
            updated_at: now,
        };
        webhook_endpoint::Entity::insert(webhook_endpoint::ActiveModel::from(model.clone()))
            .exec_without_returning(&txn)
            .await
            .map_err(internal)?;
        let endpoint = to_endpoint(model);
        let event = endpoint_event(&endpoint, Change::Created, None, actor);
        outbox::append(&txn, event, now).await?;
        txn.commit().await.map_err(internal)?;
        Ok(endpoint)
    }

    pub async fn webhook(&self, id: Uuid) -> Result<Option<WebhookEndpoint>, DomainError> {
        let row = webhook_endpoint::Entity::find_by_id(id)
            .one(&self.db)
            .await
            .map_err(internal)?;
        Ok(row.map(to_endpoint))
    }

    /// A site's endpoints, oldest first.
    pub async fn webhooks_of_site(
        &self,
        site_id: Uuid,
    ) -> Result<Vec<WebhookEndpoint>, DomainError> {
        let rows = webhook_endpoint::Entity::find()
            .filter(webhook_endpoint::Column::SiteId.eq(site_id))
            .order_by_asc(webhook_endpoint::Column::CreatedAt)
            .all(&self.db)
            .await
            .map_err(internal)?;
        Ok(rows.into_iter().map(to_endpoint).collect())
    }

    /// Changes an endpoint at `expected_version` (`CONFLICT` if it moved on).
    pub async fn update_webhook(
        &self,
        id: Uuid,
        expected_version: i32,
        changes: WebhookChanges,
        actor: &Actor,
    ) -> Result<WebhookEndpoint, DomainError> {
        let action = match changes.enabled {
            Some(true) => Some("enabled"),
            Some(false) => Some("disabled"),
            None => None,
        };
        self.change_endpoint(id, Some(expected_version), actor, action, |m, _| {
            if let Some(url) = changes.url {
                m.url = url;
            }
            if let Some(description) = changes.description {
                m.description = description;
            }
            match changes.enabled {
                Some(true) => {
                    m.enabled = true;
                    m.disabled_reason = None;
                    m.failure_run = 0;
                    m.retry_at = None;
                }
                Some(false) => m.enabled = false,
                None => {}
            }
        })
        .await
    }

    /// Replaces the signing secret; the old one keeps signing beside it until `grace_until`,
    /// so receivers can switch without losing a delivery.
    pub async fn rotate_webhook_secret(
        &self,
        id: Uuid,
        secret: String,
        grace_until: DateTime<Utc>,
        actor: &Actor,
    ) -> Result<WebhookEndpoint, DomainError> {
        self.change_endpoint(id, None, actor, Some("secret_rotated"), |m, _| {
            m.previous_secret = Some(std::mem::replace(&mut m.secret, secret));
            m.previous_secret_until = Some(grace_until);
        })
        .await
    }

    /// Removes an endpoint and its delivery log.
    pub async fn delete_webhook(&self, id: Uuid, actor: &Actor) -> Result<(), DomainError> {
        let now = Utc::now();
        let txn = self.begin_write().await?;
        let row = webhook_endpoint::Entity::find_by_id(id)
            .one(&txn)
            .await
            .map_err(internal)?
            .ok_or_else(|| DomainError::not_found(format!("webhook {id}")))?;
        webhook_endpoint::Entity::delete_by_id(id)
            .exec(&txn)
            .await
            .map_err(internal)?;
        let event = endpoint_event(&to_endpoint(row), Change::Deleted, None, actor);
        outbox::append(&txn, event, now).await?;
        txn.commit().await.map_err(internal)
    }

    /// Reads the endpoint in a write transaction, applies `change`, bumps its version and
    /// records the change (audit log included).
    async fn change_endpoint(
        &self,
        id: Uuid,
        expected_version: Option<i32>,
        actor: &Actor,
        action: Option<&'static str>,
        change: impl FnOnce(&mut webhook_endpoint::Model, DateTime<Utc>),
    ) -> Result<WebhookEndpoint, DomainError> {
        let now = Utc::now();
        let txn = self.begin_write().await?;
        let mut model = webhook_endpoint::Entity::find_by_id(id)
            .one(&txn)
            .await
            .map_err(internal)?
            .ok_or_else(|| DomainError::not_found(format!("webhook {id}")))?;
        if let Some(expected) = expected_version.filter(|v| *v != model.version) {
            return Err(DomainError::Conflict(format!(
                "the webhook was changed by someone else since version {expected}"
            )));
        }
        let before = to_endpoint(model.clone());
        let original = model.clone();
        change(&mut model, now);
        model.version += 1;
        model.updated_at = now;
        // Only the columns this change touched: the sender updates the lease, the failure
        // run and the retry time meanwhile without the write lock, and must not be undone.
        let mut row = webhook_endpoint::ActiveModel::from(original.clone());
        macro_rules! changed {
            ($($column:ident),*) => {$(
                if model.$column != original.$column {
                    row.$column = Set(model.$column.clone());
                }
            )*};
        }
        changed!(
            url,
            description,
            secret,
            previous_secret,
            previous_secret_until,
            enabled,
            disabled_reason,
            failure_run,
            retry_at,
            version,
            updated_at
        );
        webhook_endpoint::Entity::update(row)
            .exec(&txn)
            .await
            .map_err(internal)?;
        let endpoint = to_endpoint(model);
        let event = endpoint_event(&endpoint, Change::Updated, Some(&before), actor);
        outbox::append(&txn, OutboxEvent { action, ..event }, now).await?;
        txn.commit().await.map_err(internal)?;
        Ok(endpoint)
    }

    /// A page of a site's delivery log, newest first.
    pub async fn webhook_deliveries(
        &self,
        query: &DeliveryQuery,
    ) -> Result<Vec<WebhookDelivery>, DomainError> {
        let endpoints: Vec<Uuid> = self
            .webhooks_of_site(query.site_id)
            .await?
            .into_iter()
            .map(|e| e.id)
            .filter(|id| query.endpoint_id.is_none_or(|wanted| wanted == *id))
            .collect();
        use webhook_delivery::Column as C;
        let mut select = webhook_delivery::Entity::find()
            .filter(C::EndpointId.is_in(endpoints))
            .order_by_desc(C::CreatedAt)
            .order_by_desc(C::Id)
            .limit(query.limit);
        if let Some(status) = query.status {
            select = select.filter(C::Status.eq(status.as_str()));
        }
        if let Some((at, id)) = query.after {
            select = select.filter(
                Condition::any()
                    .add(C::CreatedAt.lt(at))
                    .add(Condition::all().add(C::CreatedAt.eq(at)).add(C::Id.lt(id))),
            );
        }
        let rows = select.all(&self.db).await.map_err(internal)?;
        Ok(rows.into_iter().map(to_delivery).collect())
    }

    pub async fn webhook_delivery(&self, id: Uuid) -> Result<Option<WebhookDelivery>, DomainError> {
        let row = webhook_delivery::Entity::find_by_id(id)
            .one(&self.db)
            .await
            .map_err(internal)?;
        Ok(row.map(to_delivery))
    }

    /// Queues a delivery again (same idempotency key, a new day of retries) and lifts the
    /// endpoint's retry wait so it goes at once. `CONFLICT` when the endpoint is disabled.
    pub async fn redeliver_webhook(
        &self,
        id: Uuid,
        actor: &Actor,
    ) -> Result<WebhookDelivery, DomainError> {
        let now = Utc::now();
        let txn = self.begin_write().await?;
        let delivery = webhook_delivery::Entity::find_by_id(id)
            .one(&txn)
            .await
            .map_err(internal)?
            .ok_or_else(|| DomainError::not_found(format!("webhook delivery {id}")))?;
        let endpoint = webhook_endpoint::Entity::find_by_id(delivery.endpoint_id)
            .one(&txn)
            .await
            .map_err(internal)?
            .ok_or_else(|| DomainError::not_found(format!("webhook delivery {id}")))?;
        if !endpoint.enabled {
            return Err(DomainError::Conflict(
                "the webhook is disabled: enable it before redelivering".into(),
            ));
        }
        webhook_delivery::Entity::update_many()
            .col_expr(
                webhook_delivery::Column::Status,
                Expr::value(DeliveryStatus::Pending.as_str()),
            )
            .col_expr(
                webhook_delivery::Column::ExpiresAt,
                Expr::value(expires_at(now)),
            )
            .filter(webhook_delivery::Column::Id.eq(id))
            .exec(&txn)
            .await
            .map_err(internal)?;
        webhook_endpoint::Entity::update_many()
            .col_expr(
                webhook_endpoint::Column::RetryAt,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .filter(webhook_endpoint::Column::Id.eq(endpoint.id))
            .exec(&txn)
            .await
            .map_err(internal)?;
        let event = OutboxEvent {
            aggregate: "webhook_delivery",
            aggregate_id: id,
            change: Change::Updated,
            action: Some("redelivery_requested"),
            version: None,
            department_id: None,
            actor: actor.clone(),
            before: serde_json::json!({ "status": delivery.status }),
            payload: serde_json::json!({
                "webhookId": endpoint.id,
                "outboxId": delivery.outbox_id,
                "status": DeliveryStatus::Pending.as_str(),
            }),
        };
        outbox::append(&txn, event, now).await?;
        txn.commit().await.map_err(internal)?;
        self.webhook_delivery(id)
            .await?
            .ok_or_else(|| DomainError::not_found(format!("webhook delivery {id}")))
    }

    /// Turns the next outbox changes into deliveries for every enabled endpoint whose site
    /// may be told of them (`body` writes a delivery's JSON). The consumer's row stays
    /// locked until commit, so processes doing this at once never fan a change out twice
    /// (and the unique (endpoint, change) key would refuse it). Returns the changes read.
    pub async fn fan_out_webhooks(
        &self,
        body: impl Fn(Uuid, &Site, &ContentChange) -> String,
    ) -> Result<usize, DomainError> {
        let now = Utc::now();
        // Without the lock first: most rounds find nothing new.
        let seen = self.fan_out_position(&self.db).await?;
        if self.outbox_after(seen, 1).await?.is_empty() {
            return Ok(0);
        }
        // What deciding takes is read before the lock is held: the connection holding it
        // must never wait for a second one from the pool (writers waiting on the lock may
        // hold them all).
        let endpoints = enabled_endpoints(&self.db).await?;
        let departments = self.departments().await?;
        let mut sites: HashMap<Uuid, Option<(Site, SiteScope)>> = HashMap::new();
        for endpoint in &endpoints {
            if let std::collections::hash_map::Entry::Vacant(slot) = sites.entry(endpoint.site_id) {
                let site = self.site(endpoint.site_id).await?.map(|site| {
                    let scope = SiteScope::resolve(&site, &departments);
                    (site, scope)
                });
                slot.insert(site);
            }
        }
        let txn = self.db.begin().await.map_err(internal)?;
        outbox_consumer::Entity::update_many()
            .col_expr(outbox_consumer::Column::UpdatedAt, Expr::value(now))
            .filter(outbox_consumer::Column::Name.eq(FAN_OUT))
            .exec(&txn)
            .await
            .map_err(internal)?;
        let position = self.fan_out_position(&txn).await?;
        let records = crate::outbox::records_after(&txn, position, FAN_OUT_BATCH).await?;
        let Some(last) = records.last().map(|r| r.id) else {
            return Ok(0);
        };
        // An endpoint added or disabled since the read above: read again next round.
        let ids = |endpoints: &[webhook_endpoint::Model]| -> Vec<Uuid> {
            endpoints.iter().map(|e| e.id).collect()
        };
        if ids(&enabled_endpoints(&txn).await?) != ids(&endpoints) {
            return Ok(1);
        }
        let changes: Vec<ContentChange> =
            records.iter().filter_map(|r| r.content_change()).collect();
        let mut rows = Vec::new();
        for change in &changes {
            for endpoint in endpoints
                .iter()
                .filter(|e| e.from_position < change.position)
            {
                let Some(Some((site, scope))) = sites.get(&endpoint.site_id) else {
                    continue;
                };
                let principal = Principal::Site(site.id);
                if !change.visible_to(&principal, Some(scope), &departments, now) {
                    continue;
                }
                let id = Uuid::now_v7();
                rows.push(webhook_delivery::ActiveModel {
                    id: Set(id),
                    endpoint_id: Set(endpoint.id),
                    outbox_id: Set(change.position),
                    body: Set(body(id, site, change)),
                    status: Set(DeliveryStatus::Pending.as_str().to_owned()),
                    attempts: Set(0),
                    last_status: Set(None),
                    last_error: Set(None),
                    created_at: Set(now),
                    expires_at: Set(expires_at(now)),
                    last_attempt_at: Set(None),
                    delivered_at: Set(None),
                });
            }
        }
        for batch in rows.chunks(crate::write::CONTENT_BATCH) {
            webhook_delivery::Entity::insert_many(batch.to_vec())
                .on_conflict_do_nothing_on([
                    webhook_delivery::Column::EndpointId,
                    webhook_delivery::Column::OutboxId,
                ])
                .exec_without_returning(&txn)
                .await
                .map_err(internal)?;
        }
        outbox_consumer::Entity::update_many()
            .col_expr(outbox_consumer::Column::Position, Expr::value(last))
            .filter(outbox_consumer::Column::Name.eq(FAN_OUT))
            .exec(&txn)
            .await
            .map_err(internal)?;
        txn.commit().await.map_err(internal)?;
        Ok(records.len())
    }

    /// How far the fan-out has read.
    async fn fan_out_position(&self, db: &impl ConnectionTrait) -> Result<i64, DomainError> {
        Ok(outbox_consumer::Entity::find_by_id(FAN_OUT)
            .one(db)
            .await
            .map_err(internal)?
            .map_or(0, |c| c.position))
    }

    /// Marks failed the pending deliveries whose retry window has closed; returns how many.
    pub async fn expire_webhook_deliveries(&self) -> Result<u64, DomainError> {
        let now = Utc::now();
        let done = webhook_delivery::Entity::update_many()
            .col_expr(
                webhook_delivery::Column::Status,
                Expr::value(DeliveryStatus::Failed.as_str()),
            )
            .col_expr(
                webhook_delivery::Column::LastError,
                Expr::value(format!(
                    "not delivered within {} hours",
                    silo_domain::webhook::RETRY_WINDOW_HOURS
                )),
            )
            .filter(webhook_delivery::Column::Status.eq(DeliveryStatus::Pending.as_str()))
            .filter(webhook_delivery::Column::ExpiresAt.lt(now))
            .exec(&self.db)
            .await
            .map_err(internal)?;
        Ok(done.rows_affected)
    }

    /// Takes the lease of an enabled endpoint with pending deliveries whose retry wait is
    /// over, for `owner` until `now + lease`; `None` when there is none. Only the holder
    /// sends that endpoint's deliveries, so two processes never send the same one.
    pub async fn claim_webhook_endpoint(
        &self,
        owner: &str,
        lease: Duration,
    ) -> Result<Option<(WebhookEndpoint, WebhookSecrets)>, DomainError> {
        let now = Utc::now();
        use webhook_endpoint::Column as E;
        let waiting: Vec<Uuid> = webhook_delivery::Entity::find()
            .select_only()
            .column(webhook_delivery::Column::EndpointId)
            .filter(webhook_delivery::Column::Status.eq(DeliveryStatus::Pending.as_str()))
            .distinct()
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(internal)?;
        if waiting.is_empty() {
            return Ok(None);
        }
        let due = webhook_endpoint::Entity::find()
            .filter(E::Id.is_in(waiting))
            .filter(E::Enabled.eq(true))
            .filter(
                Condition::any()
                    .add(E::RetryAt.is_null())
                    .add(E::RetryAt.lte(now)),
            )
            .filter(
                Condition::any()
                    .add(E::LeaseUntil.is_null())
                    .add(E::LeaseUntil.lt(now)),
            )
            .order_by_asc(E::RetryAt)
            .all(&self.db)
            .await
            .map_err(internal)?;
        for candidate in due {
            let claimed = webhook_endpoint::Entity::update_many()
                .col_expr(E::LeaseOwner, Expr::value(owner))
                .col_expr(E::LeaseUntil, Expr::value(now + lease))
                .filter(E::Id.eq(candidate.id))
                .filter(
                    Condition::any()
                        .add(E::LeaseUntil.is_null())
                        .add(E::LeaseUntil.lt(now)),
                )
                .exec(&self.db)
                .await
                .map_err(internal)?;
            if claimed.rows_affected == 1 {
                let secrets = WebhookSecrets {
                    current: candidate.secret.clone(),
                    previous: candidate
                        .previous_secret
                        .clone()
                        .filter(|_| candidate.previous_secret_until.is_some_and(|t| t > now)),
                };
                return Ok(Some((to_endpoint(candidate), secrets)));
            }
        }
        Ok(None)
    }

    /// Gives the lease back.
    pub async fn release_webhook_endpoint(&self, id: Uuid, owner: &str) -> Result<(), DomainError> {
        use webhook_endpoint::Column as E;
        webhook_endpoint::Entity::update_many()
            .col_expr(E::LeaseOwner, Expr::value(Option::<String>::None))
            .col_expr(E::LeaseUntil, Expr::value(Option::<DateTime<Utc>>::None))
            .filter(E::Id.eq(id))
            .filter(E::LeaseOwner.eq(owner))
            .exec(&self.db)
            .await
            .map_err(internal)?;
        Ok(())
    }

    /// Deliveries waiting to be sent, over every endpoint (`/metrics`).
    pub async fn webhook_backlog(&self) -> Result<u64, DomainError> {
        use sea_orm::PaginatorTrait;
        webhook_delivery::Entity::find()
            .filter(webhook_delivery::Column::Status.eq(DeliveryStatus::Pending.as_str()))
            .count(&self.db)
            .await
            .map_err(internal)
    }

    /// An endpoint's pending deliveries, in the order the changes happened.
    pub async fn pending_deliveries(
        &self,
        endpoint_id: Uuid,
        limit: u64,
    ) -> Result<Vec<WebhookDelivery>, DomainError> {
        let rows = webhook_delivery::Entity::find()
            .filter(webhook_delivery::Column::EndpointId.eq(endpoint_id))
            .filter(webhook_delivery::Column::Status.eq(DeliveryStatus::Pending.as_str()))
            .order_by_asc(webhook_delivery::Column::OutboxId)
            .limit(limit)
            .all(&self.db)
            .await
            .map_err(internal)?;
        Ok(rows.into_iter().map(to_delivery).collect())
    }

    /// Records an attempt of `endpoint`'s lease holder: the delivery's log line, and the
    /// endpoint's failure run and next retry (or its disabling, recorded in the audit log,
    /// after `policy`'s limit). Single statements, no read-then-write transaction: on
    /// SQLite those fail at once (busy) when another writer holds the lock. `jitter` in
    /// `[0, 1)` spreads the retries.
    pub async fn record_webhook_attempt(
        &self,
        endpoint: &WebhookEndpoint,
        delivery: &WebhookDelivery,
        outcome: &AttemptOutcome,
        policy: RetryPolicy,
        jitter: f64,
    ) -> Result<(), DomainError> {
        let now = Utc::now();
        use webhook_delivery::Column as D;
        use webhook_endpoint::Column as E;
        let (status, code, error) = match outcome {
            AttemptOutcome::Delivered { status } => {
                (DeliveryStatus::Delivered, Some(*status), None)
            }
            AttemptOutcome::Failed { status, error } => {
                (DeliveryStatus::Pending, *status, Some(error.clone()))
            }
        };
        let mut update = webhook_delivery::Entity::update_many()
            .col_expr(D::Status, Expr::value(status.as_str()))
            .col_expr(D::Attempts, Expr::col(D::Attempts).add(1))
            .col_expr(D::LastStatus, Expr::value(code.map(i32::from)))
            .col_expr(D::LastError, Expr::value(error))
            .col_expr(D::LastAttemptAt, Expr::value(now));
        if status == DeliveryStatus::Delivered {
            update = update.col_expr(D::DeliveredAt, Expr::value(now));
        }
        update
            .filter(D::Id.eq(delivery.id))
            .exec(&self.db)
            .await
            .map_err(internal)?;
        let mut disable = None;
        let endpoint_update = webhook_endpoint::Entity::update_many().filter(E::Id.eq(endpoint.id));
        let endpoint_update = if status == DeliveryStatus::Delivered {
            endpoint_update
                .col_expr(E::FailureRun, Expr::value(0))
                .col_expr(E::RetryAt, Expr::value(Option::<DateTime<Utc>>::None))
        } else {
            // The holder stops at its first failure: the run it claimed, plus this one.
            let run = endpoint.failure_run.saturating_add(1);
            let retry_at = match policy.after_failure(u32::try_from(run).unwrap_or(0), now, jitter)
            {
                AfterFailure::RetryAt(at) => at,
                AfterFailure::Disable => {
                    disable = Some(run);
                    now
                }
            };
            endpoint_update
                .col_expr(E::FailureRun, Expr::value(run))
                .col_expr(E::RetryAt, Expr::value(retry_at))
        };
        endpoint_update.exec(&self.db).await.map_err(internal)?;
        if let Some(run) = disable {
            let reason = format!("disabled after {run} failed attempts in a row");
            self.change_endpoint(
                endpoint.id,
                None,
                &Actor::webhook_sender(),
                Some("disabled"),
                |m, _| {
                    m.enabled = false;
                    m.disabled_reason = Some(reason);
                },
            )
            .await?;
        }
        Ok(())
    }
}

/// The endpoints changes are fanned out to, in a stable order.
async fn enabled_endpoints(
    db: &impl ConnectionTrait,
) -> Result<Vec<webhook_endpoint::Model>, DomainError> {
    webhook_endpoint::Entity::find()
        .filter(webhook_endpoint::Column::Enabled.eq(true))
        .order_by_asc(webhook_endpoint::Column::Id)
        .all(db)
        .await
        .map_err(internal)
}

/// The outbox (and audit) row of an endpoint change: never the secret.
fn endpoint_event(
    endpoint: &WebhookEndpoint,
    change: Change,
    before: Option<&WebhookEndpoint>,
    actor: &Actor,
) -> OutboxEvent {
    let summary = |e: &WebhookEndpoint| {
        serde_json::json!({
            "siteId": e.site_id,
            "url": e.url,
            "description": e.description,
            "enabled": e.enabled,
            "disabledReason": e.disabled_reason,
            "version": e.version,
        })
    };
    OutboxEvent {
        aggregate: "webhook",
        aggregate_id: endpoint.id,
        change,
        action: None,
        version: Some(endpoint.version),
        department_id: None,
        actor: actor.clone(),
        before: before.map_or(serde_json::Value::Null, summary),
        payload: summary(endpoint),
    }
}

fn to_endpoint(m: webhook_endpoint::Model) -> WebhookEndpoint {
    WebhookEndpoint {
        id: m.id,
        site_id: m.site_id,
        url: m.url,
        description: m.description,
        enabled: m.enabled,
        disabled_reason: m.disabled_reason,
        failure_run: m.failure_run,
        retry_at: m.retry_at,
        previous_secret_until: m.previous_secret_until,
        version: m.version,
        created_at: m.created_at,
        updated_at: m.updated_at,
    }
}

fn to_delivery(m: webhook_delivery::Model) -> WebhookDelivery {
    WebhookDelivery {
        id: m.id,
        endpoint_id: m.endpoint_id,
        outbox_id: m.outbox_id,
        body: m.body,
        status: DeliveryStatus::parse(&m.status),
        attempts: m.attempts,
        last_status: m.last_status,
        last_error: m.last_error,
        created_at: m.created_at,
        expires_at: m.expires_at,
        last_attempt_at: m.last_attempt_at,
        delivered_at: m.delivered_at,
    }
}
