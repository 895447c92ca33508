//! Building the application: store, schema, HTTP server bound to a real port (port 0 picks
//! a free one, for tests), and the background horizon worker.

use crate::config::Settings;
use crate::graphql::build_schema;
use crate::identity::{Identity, Keyring};
use crate::response_cache::ResponseCache;
use actix_web::{App, HttpServer, dev::Server, web};
use silo_storage::Store;
use silo_storage::search::SearchBackend;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

/// A server bound to its port, ready to run.
pub struct Application {
    port: u16,
    scheduler_tick: Duration,
    server: Server,
    store: Store,
    search: Arc<SearchBackend>,
    feed: Arc<crate::changes::ChangeFeed>,
    cache: Arc<ResponseCache>,
    /// Sends the CDN purges, when a purge URL is set.
    purger: Option<std::pin::Pin<Box<dyn Future<Output = ()> + Send>>>,
    webhooks: crate::webhooks::WebhookSender,
}

impl Application {
    /// Serves an opened (and migrated) store.
    pub async fn with_store(settings: &Settings, store: Store) -> anyhow::Result<Self> {
        store.optimize().await?;
        let listener = TcpListener::bind(&settings.listen)?;
        let port = listener.local_addr()?.port();
        let keys = Keyring::load(settings)?;
        let identity = Identity::new(
            store.clone(),
            keys,
            chrono::Duration::minutes(i64::from(settings.access_token_minutes)),
            chrono::Duration::days(i64::from(settings.refresh_token_days)),
        );
        let search = Arc::new(crate::search::open(settings)?);
        let feed = Arc::new(crate::changes::ChangeFeed::new(
            settings.subscription_buffer,
        ));
        // A webhook receiver and a purge endpoint get the same time to answer.
        let timeout = Duration::from_secs(settings.webhook_timeout_secs.max(1));
        let webhooks = crate::webhooks::WebhookSender::new(
            store.clone(),
            identity.clone(),
            settings.webhook_retries(),
            timeout,
        )?;
        let (purges, purger) = match &settings.purge_url {
            Some(url) if !url.is_empty() => {
                let (queue, sender) = crate::purge::hook(url.clone(), timeout)?;
                (Some(queue), Some(Box::pin(sender) as _))
            }
            _ => (None, None),
        };
        let cache = Arc::new(ResponseCache::new(
            settings.response_cache_mb,
            store.outbox_head().await?,
            purges,
        ));
        let schema = build_schema(
            store.clone(),
            identity.clone(),
            settings.horizon(),
            search.clone(),
            feed.clone(),
            cache.clone(),
        );
        let data_identity = web::Data::new(identity.clone());
        let data_store = web::Data::new(store.clone());
        let data_endpoint = web::Data::new(crate::routes::GraphqlEndpoint {
            schema: schema.clone(),
            store: store.clone(),
            identity: identity.clone(),
            cache: cache.clone(),
            persisted: settings.persisted_queries()?,
            http_max_age: settings.http_max_age_secs,
        });
        let data_cache = web::Data::from(cache.clone());
        let data_schema = web::Data::new(schema);
        let data_publisher = web::Data::new(crate::opendata::Publisher::from_settings(settings)?);
        let data_snapshots = web::Data::new(open_snapshots(settings));
        let data_search = web::Data::from(search.clone());
        let data_feed = web::Data::from(feed.clone());
        let data_liveness = web::Data::new(settings.liveness());
        let mut server = HttpServer::new(move || {
            App::new()
                .wrap(tracing_actix_web::TracingLogger::default())
                .app_data(data_store.clone())
                .app_data(data_schema.clone())
                .app_data(data_endpoint.clone())
                .app_data(data_cache.clone())
                .app_data(data_identity.clone())
                .app_data(data_publisher.clone())
                .app_data(data_snapshots.clone())
                .app_data(data_search.clone())
                .app_data(data_feed.clone())
                .app_data(data_liveness.clone())
                .configure(crate::routes::configure)
                .configure(crate::opendata::configure)
        })
        .listen(listener)?;
        if settings.workers > 0 {
            server = server.workers(settings.workers);
        }
        tracing::info!(port, "listening");
        Ok(Self {
            port,
            scheduler_tick: Duration::from_secs(settings.scheduler_tick_secs.max(1)),
            server: server.run(),
            store,
            search,
            feed,
            cache,
            purger,
            webhooks,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Runs until the server stops, moving the occurrence horizon, carrying out the
    /// scheduled publications, and telling subscribers, webhooks and the search index of
    /// changes.
    pub async fn run_until_stopped(self, horizon: chrono::Duration) -> std::io::Result<()> {
        let worker = tokio::spawn(keep_horizon(self.store.clone(), horizon));
        let scheduler = tokio::spawn(run_schedule(
            self.store.clone(),
            self.cache.clone(),
            self.scheduler_tick,
        ));
        let indexer = tokio::spawn(Store::uncounted(crate::search::keep_current(
            self.store.clone(),
            self.search,
        )));
        let feed = tokio::spawn(Store::uncounted(crate::changes::follow(
            self.store.clone(),
            self.feed.clone(),
        )));
        let cache = tokio::spawn(Store::uncounted(crate::response_cache::follow(
            self.store.clone(),
            self.cache,
            self.feed.clone(),
        )));
        let webhooks = tokio::spawn(Store::uncounted(self.webhooks.run(self.feed)));
        let purger = self.purger.map(tokio::spawn);
        let result = self.server.await;
        for task in [worker, scheduler, indexer, feed, cache, webhooks]
            .into_iter()
            .chain(purger)
        {
            task.abort();
        }
        result
    }
}

/// The export snapshots of the data dir; none (every export read afresh) when they are
/// turned off or the directory cannot be written.
fn open_snapshots(settings: &Settings) -> Option<crate::opendata::Snapshots> {
    let dir = crate::opendata::snapshot_dir(&settings.data_dir);
    crate::opendata::Snapshots::open(dir.clone(), settings.export_cache_mb)
        .inspect_err(|e| {
            tracing::warn!(dir = %dir.display(), error = %e, "export snapshots are off");
        })
        .ok()
        .flatten()
}

/// Every tick, the publications and unpublications that are due. Restart-safe (the
/// schedule lives in the database) and safe with several processes (each transition is
/// claimed by the item's version).
async fn run_schedule(store: Store, cache: Arc<ResponseCache>, every: Duration) {
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    loop {
        tick.tick().await;
        match store.run_schedule(chrono::Utc::now()).await {
            Ok(0) => {}
            Ok(n) => {
                tracing::info!(items = n, "carried out scheduled transitions");
                // At once rather than at the change feed's next read.
                if let Err(e) = cache.catch_up(&store).await {
                    tracing::warn!(error = %e, "response cache: catching up failed");
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "scheduled transitions failed; retrying next tick")
            }
        }
    }
}

/// Recurring events stay materialized `horizon` ahead of today.
async fn keep_horizon(store: Store, horizon: chrono::Duration) {
    let mut tick = tokio::time::interval(Duration::from_secs(6 * 3600));
    loop {
        tick.tick().await;
        match store.extend_horizon(chrono::Utc::now() + horizon).await {
            Ok(0) => {}
            // Recorded in the outbox: every process's cache hears of it.
            Ok(n) => tracing::info!(events = n, "extended the occurrence horizon"),
            Err(e) => tracing::warn!(error = %e, "could not extend the occurrence horizon"),
        }
    }
}
