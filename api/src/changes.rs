//! The change feed: this process's tail of the outbox, told to the subscriptions connected
//! here and to the webhook worker. Every process tails the shared outbox itself, so a
//! subscriber hears of a change whichever process's request made it; on PostgreSQL a
//! LISTEN wakes the tail at each commit, on SQLite (one process) it polls.

use silo_domain::notification::ContentChange;
use silo_storage::Store;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::{broadcast, watch};

/// How often the tail looks for changes without a wake-up (SQLite, or a lost LISTEN).
const POLL: Duration = Duration::from_millis(50);
/// How often it looks anyway while LISTEN is on (a notification is never relied on alone).
const LISTENING_POLL: Duration = Duration::from_secs(1);
/// Changes read per query.
const BATCH: u64 = 500;

/// What the tail tells: each change of content, in commit order, and the last outbox
/// position read.
pub struct ChangeFeed {
    changes: broadcast::Sender<Arc<ContentChange>>,
    position: watch::Sender<i64>,
    /// Subscriptions ended, or connections closed, because their consumer was too slow.
    dropped: AtomicU64,
}

impl ChangeFeed {
    /// A feed whose subscribers may fall `capacity` changes behind before they are dropped:
    /// the bound on what a slow subscriber makes the server hold.
    pub fn new(capacity: usize) -> Self {
        Self {
            changes: broadcast::channel(capacity.max(1)).0,
            position: watch::channel(0).0,
            dropped: AtomicU64::new(0),
        }
    }

    /// Every change from now on (`Lagged` once the receiver is `capacity` behind).
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<ContentChange>> {
        self.changes.subscribe()
    }

    /// The outbox position read so far: it moves after every change, content or not.
    pub fn positions(&self) -> watch::Receiver<i64> {
        self.position.subscribe()
    }

    /// Subscriptions connected to this process.
    pub fn subscribers(&self) -> usize {
        self.changes.receiver_count()
    }

    /// Counts a subscription or connection dropped for being too slow.
    pub fn count_dropped(&self) {
        self.dropped.fetch_add(1, Ordering::Relaxed);
    }

    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

/// Tails the outbox from its current end for as long as the server runs.
pub async fn follow(store: Store, feed: Arc<ChangeFeed>) {
    let mut position = None;
    let mut listener = None;
    loop {
        let start = match position {
            Some(p) => p,
            None => match store.outbox_head().await {
                Ok(head) => *position.insert(head),
                Err(e) => {
                    tracing::warn!(error = %e, "change feed: cannot read the outbox");
                    tokio::time::sleep(LISTENING_POLL).await;
                    continue;
                }
            },
        };
        if listener.is_none() {
            listener = store
                .listen_to_outbox()
                .await
                .inspect_err(|e| tracing::warn!(error = %e, "change feed: polling instead"))
                .ok()
                .flatten();
        }
        match store.outbox_after(start, BATCH).await {
            Ok(records) if !records.is_empty() => {
                for record in &records {
                    if let Some(change) = record.content_change() {
                        // No receiver is not an error: nobody is subscribed right now.
                        let _ = feed.changes.send(Arc::new(change));
                    }
                }
                let last = records.last().map_or(start, |r| r.id);
                position = Some(last);
                feed.position.send_replace(last);
                continue;
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, "change feed: reading the outbox failed");
                tokio::time::sleep(LISTENING_POLL).await;
                continue;
            }
        }
        match listener.as_mut() {
            Some(l) => {
                tokio::select! {
                    woken = l.next() => if woken.is_err() { listener = None },
                    () = tokio::time::sleep(LISTENING_POLL) => {}
                }
            }
            None => tokio::time::sleep(POLL).await,
        }
    }
}
