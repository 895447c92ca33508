//! The search index a server runs with, and the worker that keeps it equal to the
//! published content.

use crate::config::Settings;
use silo_domain::search::{SearchError, SearchIndex};
use silo_storage::Store;
use silo_storage::search::{EmbeddedIndex, MeiliIndex, SearchBackend};
use std::sync::Arc;
use std::time::Duration;

/// How often an idle worker looks for new changes: the bound on indexing delay.
const POLL: Duration = Duration::from_millis(100);
/// The longest wait between retries while the backend or the database is down.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// The backend the settings choose: Meilisearch when `meili_url` is set, otherwise the
/// embedded index in `DATA_DIR/search`.
pub fn open(settings: &Settings) -> anyhow::Result<SearchBackend> {
    open_with(settings, EmbeddedIndex::open)
}

/// The same, to rebuild it beside a running server (`silo reindex`).
pub fn open_for_rebuild(settings: &Settings) -> anyhow::Result<SearchBackend> {
    open_with(settings, EmbeddedIndex::open_for_rebuild)
}

fn open_with(
    settings: &Settings,
    embedded: fn(&std::path::Path) -> Result<EmbeddedIndex, SearchError>,
) -> anyhow::Result<SearchBackend> {
    let opened = match settings.meili_url.as_deref().filter(|u| !u.is_empty()) {
        Some(url) => MeiliIndex::new(url, settings.meili_key.as_deref(), &settings.meili_index)
            .map(SearchBackend::Meilisearch),
        None => embedded(&settings.data_dir.join("search")).map(SearchBackend::Embedded),
    };
    opened.map_err(|e| anyhow::anyhow!("opening the search index: {e}"))
}

/// Rebuilds the index when it is new or ahead of the database (a replaced database), then
/// applies the outbox's changes as they come, retrying with a doubling backoff while the
/// backend or the database fails: nothing is lost, the position only moves on success.
pub async fn keep_current(store: Store, index: Arc<SearchBackend>) {
    let mut built = false;
    let mut backoff = POLL;
    loop {
        let step = if built {
            store.sync_search(&*index).await
        } else {
            build_if_needed(&store, &index).await
        };
        match step {
            Ok(0) if built => tokio::time::sleep(POLL).await,
            Ok(_) => {}
            Err(e) => {
                let retry_in_ms = backoff.as_millis() as u64;
                tracing::warn!(error = %e, retry_in_ms, "search indexing failed");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
                continue;
            }
        }
        built = true;
        backoff = POLL;
    }
}

async fn build_if_needed(
    store: &Store,
    index: &SearchBackend,
) -> Result<usize, silo_domain::DomainError> {
    let position = index
        .position()
        .await
        .map_err(|e| silo_domain::DomainError::Internal(e.to_string()))?;
    let head = store.outbox_head().await?;
    // Never built, or ahead of the database (which was replaced): built afresh.
    if position.is_none_or(|p| p > head) {
        let items = store.rebuild_search(index, |_| {}).await?;
        tracing::info!(items, "built the search index from the database");
    }
    Ok(0)
}
