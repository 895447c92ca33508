//! Loading the demo city into a database, in batches so a million events fit in bounded
//! memory.

use crate::Store;
use chrono::{DateTime, Utc};
use silo_domain::DomainError;
use silo_domain::demo;

/// Events generated and inserted per transaction.
const BATCH: usize = 2_000;

/// Loads the demo city with `event_count` events; `progress` is told how many events are
/// in so far.
pub async fn seed_demo(
    store: &Store,
    now: DateTime<Utc>,
    horizon_end: DateTime<Utc>,
    event_count: usize,
    mut progress: impl FnMut(usize),
) -> Result<(), DomainError> {
    let city = demo::city(now);
    store.insert_departments(&city.departments, now).await?;
    store.insert_places(&city.places, now).await?;
    store.insert_terms(&city.categories).await?;
    store.insert_terms(&city.tags).await?;
    store.insert_sites(&city.sites, now).await?;
    store.insert_associations(&city.associations).await?;
    store.insert_news(&city.news).await?;
    store.insert_services(&city.services).await?;
    let mut events = demo::events(&city, now, event_count);
    let mut done = 0;
    loop {
        let batch: Vec<_> = events.by_ref().take(BATCH).collect();
        if batch.is_empty() {
            break;
        }
        store.insert_events(&batch, horizon_end).await?;
        done += batch.len();
        progress(done);
    }
    store.analyze().await
}
