//! The response cache: public answers (anonymous, or a site key's channel) kept in memory
//! under the normalized question, and dropped as soon as a recorded change makes them
//! stale. Every process tails the shared outbox (see `changes`), so a change made through
//! any process reaches every process's cache; the process that made it catches up before
//! its mutation answers, so its own callers never read the old answer.

use moka::notification::RemovalCause;
use sha2::{Digest, Sha256};
use silo_domain::freshness::{Dependencies, Stale};
use silo_storage::Store;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// A question's identity: SHA-256 of the caller's channel, the normalized document, the
/// operation and the variables.
pub type Key = [u8; 32];

/// Changes remembered to check answers computed while they were applied.
const RECENT: usize = 4096;
/// Kept answers scanned on the calling thread (more: on a blocking thread).
const SCAN_INLINE: u64 = 1024;
/// Changes applied at once past which every kept answer is dropped.
const MANY: usize = 64;
/// Outbox rows read per query while catching up.
const BATCH: u64 = 500;

/// A kept answer, with what it depends on.
pub struct Answer {
    /// The serialized GraphQL response.
    pub body: actix_web::web::Bytes,
    /// Strong validator of the body.
    pub etag: String,
    pub dependencies: Dependencies,
    /// The surrogate keys, space-separated.
    pub surrogate_keys: String,
}

impl Answer {
    pub fn new(body: Vec<u8>, dependencies: Dependencies) -> Self {
        let etag = format!("\"{}\"", hex::encode(&Sha256::digest(&body)[..16]));
        let surrogate_keys = dependencies.surrogate_keys().join(" ");
        Self {
            body: body.into(),
            etag,
            dependencies,
            surrogate_keys,
        }
    }

    /// Whether the answer is past its time boundary.
    fn expired(&self, now: chrono::DateTime<chrono::Utc>) -> bool {
        self.dependencies.expires_at().is_some_and(|t| t <= now)
    }

    /// Bytes the entry holds, roughly: what the memory bound counts.
    fn weight(&self) -> u32 {
        let size = self.body.len()
            + self.etag.len()
            + self.surrogate_keys.len() * 2
            + std::mem::size_of::<Self>()
            + std::mem::size_of::<Key>()
            + 256;
        u32::try_from(size).unwrap_or(u32::MAX)
    }
}

/// The changes applied lately: every outbox position after `from` is here.
struct Recent {
    from: i64,
    stales: VecDeque<(i64, Stale)>,
}

/// Hits, misses and evictions since start.
#[derive(Default)]
pub struct Counters {
    pub hits: AtomicU64,
    pub misses: AtomicU64,
    pub evictions: AtomicU64,
    pub invalidations: AtomicU64,
}

pub struct ResponseCache {
    /// `None` when the cache is turned off.
    answers: Option<moka::sync::Cache<Key, Arc<Answer>>>,
    recent: Mutex<Recent>,
    /// The last outbox position whose change has been applied.
    applied: AtomicI64,
    catching_up: tokio::sync::Mutex<()>,
    counters: Arc<Counters>,
    capacity: u64,
    /// The CDN purge hook, when one is configured.
    purges: Option<crate::purge::PurgeQueue>,
}

impl ResponseCache {
    /// A cache of at most `megabytes` (0: off), applying changes after outbox position `head`.
    pub fn new(megabytes: u64, head: i64, purges: Option<crate::purge::PurgeQueue>) -> Self {
        let counters = Arc::new(Counters::default());
        let capacity = megabytes.saturating_mul(1024 * 1024);
        let answers = (capacity > 0).then(|| {
            let evicted = counters.clone();
            moka::sync::Cache::builder()
                .max_capacity(capacity)
                .weigher(|_: &Key, answer: &Arc<Answer>| answer.weight())
                .eviction_listener(move |_, _, cause| {
                    if cause == RemovalCause::Size {
                        evicted.evictions.fetch_add(1, Ordering::Relaxed);
                    }
                })
                .build()
        });
        Self {
            answers,
            recent: Mutex::new(Recent {
                from: head,
                stales: VecDeque::new(),
            }),
            applied: AtomicI64::new(head),
            catching_up: tokio::sync::Mutex::new(()),
            counters,
            capacity,
            purges,
        }
    }

    pub fn enabled(&self) -> bool {
        self.answers.is_some()
    }

    /// The outbox position applied so far: an answer computed from now on reads at least
    /// that much.
    pub fn position(&self) -> i64 {
        self.applied.load(Ordering::Acquire)
    }

    /// The kept answer to `key`, if still true.
    pub fn answer(&self, key: &Key) -> Option<Arc<Answer>> {
        let answers = self.answers.as_ref()?;
        let found = answers.get(key).filter(|a| !a.expired(chrono::Utc::now()));
        match found {
            Some(answer) => {
                self.counters.hits.fetch_add(1, Ordering::Relaxed);
                Some(answer)
            }
            None => {
                self.counters.misses.fetch_add(1, Ordering::Relaxed);
                None
            }
        }
    }

    /// Keeps `answer`, computed from the data as of outbox position `read_at` (or later),
    /// unless a change applied since then makes it stale already. Returns whether it is
    /// still true (false: send it, but let nobody keep it).
    pub fn keep(&self, key: Key, answer: Arc<Answer>, read_at: i64) -> bool {
        // Under the same lock as the changes are recorded in `apply`: a change is either
        // seen here, or recorded after the insertion (and then drops it).
        let recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        if read_at < recent.from {
            return false; // too much happened meanwhile to tell
        }
        let stale = recent
            .stales
            .iter()
            .any(|(at, s)| *at > read_at && answer.dependencies.made_stale_by(s));
        if let Some(answers) = &self.answers
            && !stale
            && answer.dependencies.keepable()
            && !answer.expired(chrono::Utc::now())
        {
            answers.insert(key, answer);
        }
        !stale
    }

    /// Applies every change recorded since the last one applied. Called by the change
    /// feed's tail and by a request after its mutation, before it answers.
    pub async fn catch_up(self: &Arc<Self>, store: &Store) -> Result<(), silo_domain::DomainError> {
        let _one_at_a_time = self.catching_up.lock().await;
        loop {
            let records = store.outbox_after(self.position(), BATCH).await?;
            let Some(last) = records.last().map(|r| r.id) else {
                return Ok(());
            };
            let stales: Arc<[(i64, Stale)]> = records
                .iter()
                .map(|r| (r.id, Stale::of(&r.aggregate, r.content_change())))
                .collect();
            self.apply(stales, last).await;
        }
    }

    async fn apply(self: &Arc<Self>, stales: Arc<[(i64, Stale)]>, last: i64) {
        {
            // Recorded first: an answer computed meanwhile is checked against them when
            // kept, so the scan below may run without the lock.
            let mut recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
            recent.stales.extend(stales.iter().cloned());
            while recent.stales.len() > RECENT {
                if let Some((at, _)) = recent.stales.pop_front() {
                    recent.from = at;
                }
            }
        }
        if let Some(answers) = &self.answers {
            // Scanning many kept answers is CPU work: off the request threads.
            if answers.entry_count() > SCAN_INLINE {
                let (cache, scanned) = (self.clone(), stales.clone());
                let _ = tokio::task::spawn_blocking(move || cache.drop_stale(&scanned)).await;
            } else {
                self.drop_stale(&stales);
            }
        }
        if let Some(purges) = &self.purges {
            let mut keys: Vec<String> = stales.iter().flat_map(|(_, s)| s.purge_keys()).collect();
            keys.sort_unstable();
            keys.dedup();
            purges.push(keys);
        }
        self.applied.store(last, Ordering::Release);
    }

    /// Drops the kept answers `stales` make stale.
    fn drop_stale(&self, stales: &[(i64, Stale)]) {
        let Some(answers) = &self.answers else {
            return;
        };
        let relevant: Vec<&Stale> = stales
            .iter()
            .map(|(_, s)| s)
            .filter(|s| **s != Stale::Nothing)
            .collect();
        // Past a few dozen changes at once (a takedown), dropping everything is cheaper
        // than checking every answer against each.
        if relevant.len() > MANY || relevant.contains(&&Stale::Everything) {
            let count = answers.entry_count();
            answers.invalidate_all();
            self.counters
                .invalidations
                .fetch_add(count, Ordering::Relaxed);
            return;
        }
        if relevant.is_empty() {
            return;
        }
        for (key, answer) in answers.iter() {
            if relevant
                .iter()
                .any(|s| answer.dependencies.made_stale_by(s))
            {
                answers.invalidate(&*key);
                self.counters.invalidations.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Prometheus lines.
    pub fn metrics(&self) -> String {
        let c = &self.counters;
        let purges = self
            .purges
            .as_ref()
            .map(|p| p.metrics())
            .unwrap_or_default();
        let (entries, bytes) = self.answers.as_ref().map_or((0, 0), |a| {
            a.run_pending_tasks();
            (a.entry_count(), a.weighted_size())
        });
        format!(
            "# HELP silo_response_cache_hits_total Public answers served from the response cache.\n\
             # TYPE silo_response_cache_hits_total counter\n\
             silo_response_cache_hits_total {}\n\
             # HELP silo_response_cache_misses_total Public answers computed (not in the cache, or expired).\n\
             # TYPE silo_response_cache_misses_total counter\n\
             silo_response_cache_misses_total {}\n\
             # HELP silo_response_cache_evictions_total Answers dropped to stay within the memory bound.\n\
             # TYPE silo_response_cache_evictions_total counter\n\
             silo_response_cache_evictions_total {}\n\
             # HELP silo_response_cache_invalidations_total Answers dropped because a change made them stale.\n\
             # TYPE silo_response_cache_invalidations_total counter\n\
             silo_response_cache_invalidations_total {}\n\
             # HELP silo_response_cache_entries Answers kept.\n\
             # TYPE silo_response_cache_entries gauge\n\
             silo_response_cache_entries {entries}\n\
             # HELP silo_response_cache_bytes Memory the kept answers are counted for.\n\
             # TYPE silo_response_cache_bytes gauge\n\
             silo_response_cache_bytes {bytes}\n\
             # HELP silo_response_cache_capacity_bytes The memory bound (0: the cache is off).\n\
             # TYPE silo_response_cache_capacity_bytes gauge\n\
             silo_response_cache_capacity_bytes {}\n\
             # HELP silo_response_cache_outbox_position The last recorded change applied to the cache.\n\
             # TYPE silo_response_cache_outbox_position gauge\n\
             silo_response_cache_outbox_position {}\n{purges}",
            c.hits.load(Ordering::Relaxed),
            c.misses.load(Ordering::Relaxed),
            c.evictions.load(Ordering::Relaxed),
            c.invalidations.load(Ordering::Relaxed),
            self.capacity,
            self.position(),
        )
    }
}

/// How often the cache reads the outbox without being woken: the feed's wake-up is not
/// relied on alone (the feed starts from its own reading of the outbox head, and a change
/// recorded between the two readings would wake nobody).
const POLL: std::time::Duration = std::time::Duration::from_secs(1);

/// Applies changes as the change feed reads them, for as long as the server runs.
pub async fn follow(
    store: Store,
    cache: Arc<ResponseCache>,
    feed: Arc<crate::changes::ChangeFeed>,
) {
    let mut positions = feed.positions();
    loop {
        if let Err(e) = cache.catch_up(&store).await {
            tracing::warn!(error = %e, "response cache: reading the outbox failed");
            tokio::time::sleep(POLL).await;
            continue;
        }
        tokio::select! {
            changed = positions.changed() => if changed.is_err() { return },
            () = tokio::time::sleep(POLL) => {}
        }
    }
}

/// Who asks, as far as a public answer depends on it.
pub enum PublicCaller<'a> {
    /// No credentials; the `X-Silo-Site` header's site, if any.
    Anonymous { site: Option<&'a str> },
    /// A site key (its site's channel).
    SiteKey(&'a str),
}

impl<'a> PublicCaller<'a> {
    /// `None` for a user's session (whose answers are never kept) or a malformed header
    /// (refused when the credentials are resolved).
    pub fn of(authorization: Option<&'a str>, site: Option<&'a str>) -> Option<Self> {
        let Some(header) = authorization else {
            return Some(Self::Anonymous { site });
        };
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))?
            .trim();
        token
            .starts_with(crate::identity::secret::SITE_KEY_PREFIX)
            .then_some(Self::SiteKey(token))
    }

    /// Whether a shared cache (a CDN) may keep the answer for others.
    pub fn shared(&self) -> bool {
        matches!(self, Self::Anonymous { .. })
    }

    /// The key of the question: caller, normalized document, operation and variables.
    /// A site key enters only through the hash: an answer kept for a revoked key is
    /// dropped with every other when the key's revocation is recorded.
    pub fn key(&self, request: &async_graphql::Request) -> Key {
        let mut hash = Sha256::new();
        let mut part = |bytes: &[u8]| {
            hash.update((bytes.len() as u64).to_be_bytes());
            hash.update(bytes);
        };
        match self {
            Self::Anonymous { site } => {
                part(b"anonymous");
                part(site.unwrap_or_default().as_bytes());
            }
            Self::SiteKey(token) => {
                part(b"site key");
                part(token.as_bytes());
            }
        }
        part(silo_domain::freshness::normalize_document(&request.query).as_bytes());
        part(
            request
                .operation_name
                .as_deref()
                .unwrap_or_default()
                .as_bytes(),
        );
        // Variables are a sorted map, and serde_json's objects are sorted too.
        part(&serde_json::to_vec(&request.variables).unwrap_or_default());
        hash.finalize().into()
    }
}
