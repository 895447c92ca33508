//! Managing a site's webhooks (admins): endpoints, their signing secrets (shown once, at
//! creation and at each rotation, and stored sealed), the delivery log and redelivery.

use super::access::{allow, store, uuid};
use super::cursor;
use super::error::{bad_input, gql};
use super::reference::site;
use crate::identity::Identity;
use async_graphql::connection::Connection;
use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use silo_domain::field::{HttpUrl, required_text};
use silo_domain::rights::{Action, Resource};
use silo_domain::webhook::{RETRY_WINDOW_HOURS, new_secret};
use silo_storage::{DeliveryQuery, WebhookChanges, WebhookDelivery, WebhookEndpoint};

const CURSOR_KIND: &str = "webhook-delivery";

/// Where a site is told of changes.
pub struct WebhookNode(WebhookEndpoint);

#[Object(name = "Webhook")]
impl WebhookNode {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn site_id(&self) -> ID {
        ID(self.0.site_id.to_string())
    }
    /// Where deliveries are POSTed.
    async fn url(&self) -> &str {
        &self.0.url
    }
    async fn description(&self) -> &str {
        &self.0.description
    }
    /// A disabled endpoint is sent nothing, and changes meanwhile are not queued for it.
    async fn enabled(&self) -> bool {
        self.0.enabled
    }
    /// Why it was disabled automatically (failures in a row).
    async fn disabled_reason(&self) -> Option<&str> {
        self.0.disabled_reason.as_deref()
    }
    /// Failed attempts in a row (0 after a success).
    async fn failure_run(&self) -> i32 {
        self.0.failure_run
    }
    /// When the next attempt is due after a failure.
    async fn retry_at(&self) -> Option<DateTime<Utc>> {
        self.0.retry_at
    }
    /// Until when the secret replaced by the last rotation still signs beside the new one.
    async fn previous_secret_valid_until(&self) -> Option<DateTime<Utc>> {
        self.0.previous_secret_until.filter(|t| *t > Utc::now())
    }
    async fn version(&self) -> i32 {
        self.0.version
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// An endpoint and its signing secret: shown here once, never again.
#[derive(SimpleObject)]
pub struct WebhookWithSecret {
    pub webhook: WebhookNode,
    /// `whsec_…`: the receiver verifies `webhook-signature` with it (see the README).
    pub secret: String,
}

/// Where a delivery stands.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "silo_storage::DeliveryStatus")]
pub enum DeliveryStatus {
    /// Waiting for its first attempt or a retry.
    Pending,
    Delivered,
    /// Not delivered within the retry window; `redeliverWebhook` queues it again.
    Failed,
}

/// One change sent to one endpoint: the delivery log's line.
pub struct WebhookDeliveryNode(WebhookDelivery);

#[Object(name = "WebhookDelivery")]
impl WebhookDeliveryNode {
    /// The idempotency key (`webhook-id` header, `id` in the body), the same on every
    /// attempt and on redelivery.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn webhook_id(&self) -> ID {
        ID(self.0.endpoint_id.to_string())
    }
    /// `content.published`, `content.updated`, `content.unpublished`, `content.deleted`.
    async fn r#type(&self) -> String {
        serde_json::from_str::<serde_json::Value>(&self.0.body)
            .ok()
            .and_then(|b| b.get("type")?.as_str().map(str::to_owned))
            .unwrap_or_default()
    }
    /// The JSON sent, byte for byte.
    async fn body(&self) -> &str {
        &self.0.body
    }
    async fn status(&self) -> DeliveryStatus {
        self.0.status.into()
    }
    async fn attempts(&self) -> i32 {
        self.0.attempts
    }
    /// The receiver's HTTP status at the last attempt (none when it could not be reached).
    async fn last_status(&self) -> Option<i32> {
        self.0.last_status
    }
    async fn last_error(&self) -> Option<&str> {
        self.0.last_error.as_deref()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn last_attempt_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_attempt_at
    }
    async fn delivered_at(&self) -> Option<DateTime<Utc>> {
        self.0.delivered_at
    }
    /// Retries stop at this time (a day after it was queued, or queued again).
    async fn expires_at(&self) -> DateTime<Utc> {
        self.0.expires_at
    }
}

/// What `updateWebhook` changes; absent fields stay as they are.
#[derive(InputObject, Default)]
pub struct WebhookInput {
    pub url: Option<String>,
    pub description: Option<String>,
    /// `true` re-enables a disabled endpoint and clears its failure run.
    pub enabled: Option<bool>,
}

fn checked_url(raw: &str) -> Result<String> {
    HttpUrl::parse(raw)
        .map(|u| u.as_str().to_owned())
        .map_err(|e| bad_input("url", e.0))
}

fn checked_description(raw: Option<&str>) -> Result<String> {
    match raw.map(str::trim).filter(|d| !d.is_empty()) {
        Some(d) => required_text(d, 200).map_err(|e| bad_input("description", e.0)),
        None => Ok(String::new()),
    }
}

fn fresh_secret() -> String {
    let mut random = [0u8; 32];
    getrandom::fill(&mut random).expect("the operating system provides randomness");
    new_secret(random)
}

async fn endpoint(ctx: &Context<'_>, id: &ID) -> Result<WebhookEndpoint> {
    store(ctx)
        .webhook(uuid(id, "id")?)
        .await
        .map_err(gql)?
        .ok_or_else(|| gql(silo_domain::DomainError::not_found("webhook")))
}

#[derive(Default)]
pub struct WebhookQuery;

#[Object]
impl WebhookQuery {
    /// A site's webhook endpoints (admins).
    async fn webhooks(&self, ctx: &Context<'_>, site_id: ID) -> Result<Vec<WebhookNode>> {
        allow(ctx, Action::ManageSites, &Resource::Hub)?;
        let site = site(ctx, &site_id).await?;
        let endpoints = store(ctx).webhooks_of_site(site.id).await.map_err(gql)?;
        Ok(endpoints.into_iter().map(WebhookNode).collect())
    }

    /// A site's delivery log, newest first (admins). Relay paging (`first` at most 100).
    async fn webhook_deliveries(
        &self,
        ctx: &Context<'_>,
        site_id: ID,
        webhook_id: Option<ID>,
        status: Option<DeliveryStatus>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, WebhookDeliveryNode>> {
        allow(ctx, Action::ManageSites, &Resource::Hub)?;
        let site = site(ctx, &site_id).await?;
        let page = cursor::PageRequest::parse(first, after.as_deref(), |c| {
            cursor::decode_instant(CURSOR_KIND, c)
        })?;
        let query = DeliveryQuery {
            site_id: site.id,
            endpoint_id: webhook_id
                .as_ref()
                .map(|id| uuid(id, "webhookId"))
                .transpose()?,
            status: status.map(Into::into),
            after: page.after,
            limit: page.limit as u64 + 1,
        };
        let rows = store(ctx).webhook_deliveries(&query).await.map_err(gql)?;
        Ok(cursor::connection(
            rows,
            page.limit,
            page.after.is_some(),
            |d| cursor::encode_instant(CURSOR_KIND, d.created_at, d.id),
            WebhookDeliveryNode,
        ))
    }
}

#[derive(Default)]
pub struct WebhookMutation;

#[Object]
impl WebhookMutation {
    /// Adds an endpoint to a site (admins). It is sent the site's public changes from now
    /// on. The signing secret is in the answer, and nowhere else ever after.
    async fn create_webhook(
        &self,
        ctx: &Context<'_>,
        site_id: ID,
        url: String,
        description: Option<String>,
    ) -> Result<WebhookWithSecret> {
        let by = allow(ctx, Action::ManageSites, &Resource::Hub)?;
        let site = site(ctx, &site_id).await?;
        let url = checked_url(&url)?;
        let description = checked_description(description.as_deref())?;
        let secret = fresh_secret();
        let sealed = ctx.data_unchecked::<Identity>().keys().seal(&secret);
        let webhook = store(ctx)
            .create_webhook(site.id, url, description, sealed, &by)
            .await
            .map_err(gql)?;
        Ok(WebhookWithSecret {
            webhook: WebhookNode(webhook),
            secret,
        })
    }

    /// Changes an endpoint (admins); `enabled: true` brings a disabled one back.
    async fn update_webhook(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: WebhookInput,
    ) -> Result<WebhookNode> {
        let by = allow(ctx, Action::ManageSites, &Resource::Hub)?;
        let changes = WebhookChanges {
            url: input.url.as_deref().map(checked_url).transpose()?,
            description: match input.description.as_deref() {
                Some(d) => Some(checked_description(Some(d))?),
                None => None,
            },
            enabled: input.enabled,
        };
        let webhook = store(ctx)
            .update_webhook(uuid(&id, "id")?, expected_version, changes, &by)
            .await
            .map_err(gql)?;
        Ok(WebhookNode(webhook))
    }

    /// A new signing secret, shown once (admins). The old one keeps signing beside it
    /// (two `v1,` signatures) for a day, so the receiver can switch without a gap.
    async fn rotate_webhook_secret(&self, ctx: &Context<'_>, id: ID) -> Result<WebhookWithSecret> {
        let by = allow(ctx, Action::ManageSites, &Resource::Hub)?;
        let secret = fresh_secret();
        let sealed = ctx.data_unchecked::<Identity>().keys().seal(&secret);
        let grace_until = Utc::now() + chrono::Duration::hours(RETRY_WINDOW_HOURS);
        let webhook = store(ctx)
            .rotate_webhook_secret(endpoint(ctx, &id).await?.id, sealed, grace_until, &by)
            .await
            .map_err(gql)?;
        Ok(WebhookWithSecret {
            webhook: WebhookNode(webhook),
            secret,
        })
    }

    /// Removes an endpoint and its delivery log (admins).
    async fn delete_webhook(&self, ctx: &Context<'_>, id: ID) -> Result<bool> {
        let by = allow(ctx, Action::ManageSites, &Resource::Hub)?;
        store(ctx)
            .delete_webhook(uuid(&id, "id")?, &by)
            .await
            .map_err(gql)?;
        Ok(true)
    }

    /// Sends a delivery again at once, with the same idempotency key (admins). `CONFLICT`
    /// while its endpoint is disabled.
    async fn redeliver_webhook(
        &self,
        ctx: &Context<'_>,
        delivery_id: ID,
    ) -> Result<WebhookDeliveryNode> {
        let by = allow(ctx, Action::ManageSites, &Resource::Hub)?;
        let delivery = store(ctx)
            .redeliver_webhook(uuid(&delivery_id, "deliveryId")?, &by)
            .await
            .map_err(gql)?;
        Ok(WebhookDeliveryNode(delivery))
    }
}
