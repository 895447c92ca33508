//! The webhook worker: turns the outbox's changes into deliveries (once, whichever process
//! does it), then sends each endpoint's deliveries, signed, under the endpoint's lease,
//! oldest first, backing off per endpoint while it fails.

use crate::changes::ChangeFeed;
use crate::identity::Identity;
use chrono::Utc;
use silo_domain::notification::ContentChange;
use silo_domain::site::Site;
use silo_domain::webhook::{RetryPolicy, signature_header};
use silo_storage::{AttemptOutcome, Store, WebhookDelivery, WebhookEndpoint, WebhookSecrets};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{Notify, Semaphore};
use uuid::Uuid;

/// How often the worker looks anyway: retries that came due, other processes' deliveries.
const TICK: Duration = Duration::from_millis(500);
/// How long a process holds an endpoint; it stops taking new deliveries at half of it,
/// and a receiver's answer is awaited at most [`LONGEST_WAIT`]: a send never outlives it.
const LEASE: Duration = Duration::from_secs(60);
/// The longest a receiver may take to answer, whatever the settings say.
pub const LONGEST_WAIT: Duration = Duration::from_secs(25);
/// Endpoints sent to at once by one process.
const PARALLEL: usize = 16;
/// Deliveries read per query.
const PAGE: u64 = 50;
/// The most of a failing receiver's answer kept in the delivery log.
const ERROR_EXCERPT: usize = 300;

/// How the worker sends.
#[derive(Clone)]
pub struct WebhookSender {
    store: Store,
    /// Opens the sealed signing secrets.
    identity: Identity,
    client: reqwest::Client,
    policy: RetryPolicy,
}

impl WebhookSender {
    pub fn new(
        store: Store,
        identity: Identity,
        policy: RetryPolicy,
        timeout: Duration,
    ) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .timeout(timeout.min(LONGEST_WAIT))
            // A receiver answers where it was registered: a redirect is a failure.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("Silo-Webhooks/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self {
            store,
            identity,
            client,
            policy,
        })
    }

    /// Fans out and sends for as long as the server runs (both in this one task, so
    /// stopping it stops both).
    pub async fn run(self, feed: Arc<ChangeFeed>) {
        let queued = Notify::new();
        tokio::join!(
            self.keep_fanning_out(&feed, &queued),
            self.keep_sending(&queued)
        );
    }

    async fn keep_fanning_out(&self, feed: &ChangeFeed, queued: &Notify) {
        let mut positions = feed.positions();
        loop {
            match self.fan_out().await {
                Ok(0) => {}
                Ok(_) => queued.notify_one(),
                Err(e) => tracing::warn!(error = %e, "webhooks: fanning changes out failed"),
            }
            tokio::select! {
                _ = positions.changed() => {}
                () = tokio::time::sleep(TICK) => {}
            }
        }
    }

    /// Every change not yet fanned out; returns the changes read.
    async fn fan_out(&self) -> Result<usize, silo_domain::DomainError> {
        let mut read = 0;
        loop {
            match self.store.fan_out_webhooks(delivery_body).await? {
                0 => return Ok(read),
                n => read += n,
            }
        }
    }

    async fn keep_sending(&self, queued: &Notify) {
        let slots = Arc::new(Semaphore::new(PARALLEL));
        loop {
            if let Err(e) = self.store.expire_webhook_deliveries().await {
                tracing::warn!(error = %e, "webhooks: expiring old deliveries failed");
            }
            loop {
                let Ok(slot) = slots.clone().acquire_owned().await else {
                    return;
                };
                let lease = chrono::Duration::from_std(LEASE).unwrap_or_default();
                // A token per claim: a late release never frees someone else's claim.
                let claim = Uuid::now_v7().to_string();
                match self.store.claim_webhook_endpoint(&claim, lease).await {
                    Ok(Some((endpoint, secrets))) => {
                        let sender = self.clone();
                        tokio::spawn(async move {
                            sender.send_all(&claim, &endpoint, &secrets).await;
                            drop(slot);
                        });
                    }
                    Ok(None) => break,
                    Err(e) => {
                        tracing::warn!(error = %e, "webhooks: claiming an endpoint failed");
                        break;
                    }
                }
            }
            tokio::select! {
                () = queued.notified() => {}
                () = tokio::time::sleep(TICK) => {}
            }
        }
    }

    /// Sends an endpoint's pending deliveries in order until one fails or half the lease
    /// is spent, then gives the lease back.
    async fn send_all(&self, claim: &str, endpoint: &WebhookEndpoint, secrets: &WebhookSecrets) {
        let stop_at = Instant::now() + LEASE / 2;
        'pages: loop {
            let pending = match self.store.pending_deliveries(endpoint.id, PAGE).await {
                Ok(pending) if !pending.is_empty() => pending,
                Ok(_) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "webhooks: reading deliveries failed");
                    break;
                }
            };
            for delivery in &pending {
                if Instant::now() > stop_at {
                    break 'pages;
                }
                let outcome = self.attempt(endpoint, secrets, delivery).await;
                let recorded = self
                    .store
                    .record_webhook_attempt(
                        endpoint,
                        delivery,
                        &outcome,
                        self.policy,
                        fastrand::f64(),
                    )
                    .await;
                if let Err(e) = recorded {
                    tracing::warn!(error = %e, "webhooks: recording an attempt failed");
                    break 'pages;
                }
                if let AttemptOutcome::Failed { error, .. } = &outcome {
                    tracing::info!(endpoint = %endpoint.id, %error, "webhook delivery failed");
                    break 'pages;
                }
            }
        }
        if let Err(e) = self
            .store
            .release_webhook_endpoint(endpoint.id, claim)
            .await
        {
            tracing::warn!(error = %e, "webhooks: releasing an endpoint failed");
        }
    }

    /// One signed POST (Standard Webhooks headers).
    async fn attempt(
        &self,
        endpoint: &WebhookEndpoint,
        secrets: &WebhookSecrets,
        delivery: &WebhookDelivery,
    ) -> AttemptOutcome {
        let keyring = self.identity.keys();
        let Some(current) = keyring.unseal(&secrets.current) else {
            return AttemptOutcome::Failed {
                status: None,
                error: "the signing secret was sealed with a JWT secret this server no longer \
                        has: rotate the webhook's secret"
                    .into(),
            };
        };
        let previous = secrets.previous.as_deref().and_then(|s| keyring.unseal(s));
        let id = delivery.id.to_string();
        let timestamp = Utc::now().timestamp();
        let mut keys = vec![current.as_str()];
        keys.extend(previous.as_deref());
        let answer = self
            .client
            .post(&endpoint.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("webhook-id", &id)
            .header("webhook-timestamp", timestamp.to_string())
            .header(
                "webhook-signature",
                signature_header(&keys, &id, timestamp, &delivery.body),
            )
            .body(delivery.body.clone())
            .send()
            .await;
        match answer {
            Ok(response) if response.status().is_success() => AttemptOutcome::Delivered {
                status: response.status().as_u16(),
            },
            Ok(mut response) => {
                let status = response.status();
                // The start of the answer only: a receiver's error page can be large.
                let mut start = Vec::new();
                while start.len() < ERROR_EXCERPT {
                    match response.chunk().await {
                        Ok(Some(chunk)) => start.extend_from_slice(&chunk),
                        _ => break,
                    }
                }
                let text = String::from_utf8_lossy(&start);
                let excerpt: String = text.chars().take(ERROR_EXCERPT).collect();
                AttemptOutcome::Failed {
                    status: Some(status.as_u16()),
                    error: format!("HTTP {status}: {excerpt}").trim_end().to_owned(),
                }
            }
            // Without the URL: it may carry the receiver's own token.
            Err(e) => AttemptOutcome::Failed {
                status: None,
                error: e.without_url().to_string(),
            },
        }
    }
}

/// A delivery's JSON: its idempotency key, the change, and the site it is for.
fn delivery_body(id: Uuid, site: &Site, change: &ContentChange) -> String {
    serde_json::json!({
        "id": id,
        "type": format!("content.{}", change.change.name().to_lowercase()),
        "site": { "id": site.id, "slug": site.slug },
        "data": change.to_json(),
    })
    .to_string()
}
