//! The purge hook: the surrogate keys each recorded change makes stale are POSTed to a CDN
//! or a Varnish in front (`SILO_PURGE_URL`), so that its copies go when Silo's own do.
//! The request has Fastly's shape (`Surrogate-Key: k1 k2`, and a JSON body
//! `{"keys": [...]}`). Every process sends the purges of every change it applies: purges
//! are idempotent, and a change made by the CLI is purged too.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::mpsc;

/// Purges waiting to be sent; past this, everything (`silo`) is purged instead.
const QUEUE: usize = 1024;
/// Keys per purge request (about 6 KB of `Surrogate-Key`).
const CHUNK: usize = 128;
/// Attempts per purge, a second apart, then doubling.
const ATTEMPTS: u32 = 3;

/// The cache's end of the hook.
#[derive(Clone)]
pub struct PurgeQueue {
    keys: mpsc::Sender<Vec<String>>,
    state: Arc<State>,
}

#[derive(Default)]
struct State {
    /// Keys were dropped: the next purge is of everything.
    overflowed: AtomicBool,
    sent: AtomicU64,
    failed: AtomicU64,
}

impl PurgeQueue {
    /// Queues `keys` (never waits: a full queue turns into a purge of everything).
    pub fn push(&self, keys: Vec<String>) {
        if keys.is_empty() {
            return;
        }
        if self.keys.try_send(keys).is_err() {
            self.state.overflowed.store(true, Ordering::Relaxed);
        }
    }

    pub fn metrics(&self) -> String {
        format!(
            "# HELP silo_purges_sent_total Purge requests the CDN accepted.\n\
             # TYPE silo_purges_sent_total counter\n\
             silo_purges_sent_total {}\n\
             # HELP silo_purges_failed_total Purge requests given up after {ATTEMPTS} attempts.\n\
             # TYPE silo_purges_failed_total counter\n\
             silo_purges_failed_total {}\n",
            self.state.sent.load(Ordering::Relaxed),
            self.state.failed.load(Ordering::Relaxed),
        )
    }
}

/// The hook's sender: a queue for the cache, and the task sending to `url`.
pub fn hook(
    url: String,
    timeout: Duration,
) -> anyhow::Result<(PurgeQueue, impl Future<Output = ()>)> {
    let parsed = url::Url::parse(&url).map_err(|e| anyhow::anyhow!("purge_url: {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        anyhow::bail!("purge_url: an http or https URL is needed");
    }
    let client = reqwest::Client::builder()
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let (tx, rx) = mpsc::channel(QUEUE);
    let queue = PurgeQueue {
        keys: tx,
        state: Arc::default(),
    };
    let state = queue.state.clone();
    Ok((queue, send_all(client, url, rx, state)))
}

async fn send_all(
    client: reqwest::Client,
    url: String,
    mut rx: mpsc::Receiver<Vec<String>>,
    state: Arc<State>,
) {
    while let Some(first) = rx.recv().await {
        // What queued up meanwhile goes in the same request.
        let mut keys: BTreeSet<String> = first.into_iter().collect();
        while let Ok(more) = rx.try_recv() {
            keys.extend(more);
        }
        if state.overflowed.swap(false, Ordering::Relaxed) {
            keys = BTreeSet::from([silo_domain::freshness::ALL_KEY.to_owned()]);
        }
        let keys: Vec<String> = keys.into_iter().collect();
        // CDNs bound a purge (Fastly: 256 keys; Varnish: 8 KB headers).
        for chunk in keys.chunks(CHUNK) {
            send(&client, &url, chunk, &state).await;
        }
    }
}

/// Sends one purge, tried up to `ATTEMPTS` times.
async fn send(client: &reqwest::Client, url: &str, keys: &[String], state: &State) {
    let mut wait = Duration::from_secs(1);
    for attempt in 1..=ATTEMPTS {
        let sent = client
            .post(url)
            .header("surrogate-key", keys.join(" "))
            .json(&serde_json::json!({ "keys": keys }))
            .send()
            .await;
        match sent {
            Ok(r) if r.status().is_success() => {
                state.sent.fetch_add(1, Ordering::Relaxed);
                break;
            }
            outcome => {
                let why = match outcome {
                    Ok(r) => format!("status {}", r.status()),
                    Err(e) => e.to_string(),
                };
                if attempt == ATTEMPTS {
                    tracing::warn!(error = %why, keys = keys.len(), "purge failed; given up");
                    state.failed.fetch_add(1, Ordering::Relaxed);
                } else {
                    tokio::time::sleep(wait).await;
                    wait *= 2;
                }
            }
        }
    }
}
