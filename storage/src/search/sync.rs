//! Keeping an index equal to the published content: the outbox's changes applied in
//! order, or a rebuild from the database.

use crate::Store;
use silo_domain::DomainError;
use silo_domain::content::ContentKind;
use silo_domain::search::{SearchBatch, SearchError, SearchIndex};
use std::collections::{BTreeMap, BTreeSet};
use uuid::Uuid;

/// Changes read from the outbox per batch.
const SYNC_BATCH: u64 = 500;
/// Items read per page of a rebuild.
const REBUILD_PAGE: u64 = 500;

/// How far an index is behind the outbox.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SearchLag {
    pub changes: i64,
    /// Since the oldest change not yet applied, in seconds (0 when none).
    pub seconds: f64,
}

impl Store {
    /// Applies the next changes of the outbox to `index`; returns how many were read (0:
    /// the index is current). Each changed item is read as it now is: published, it is
    /// (re)written; otherwise (draft, unpublished, taken down, deleted) removed.
    pub async fn sync_search(&self, index: &impl SearchIndex) -> Result<usize, DomainError> {
        let position = index.position().await.map_err(unavailable)?.unwrap_or(0);
        let records = self.outbox_after(position, SYNC_BATCH).await?;
        let Some(last) = records.last().map(|r| r.id) else {
            return Ok(0);
        };
        let mut changed: BTreeMap<ContentKind, BTreeSet<Uuid>> = BTreeMap::new();
        let mut moved_places = Vec::new();
        for record in &records {
            if let Some(kind) = ContentKind::parse(&record.aggregate) {
                changed.entry(kind).or_default().insert(record.aggregate_id);
            } else if record.aggregate == "place" {
                moved_places.push(record.aggregate_id);
            }
        }
        // A place edited (moved, renamed): the items there carry its coordinates.
        for (kind, id) in self.published_at_places(&moved_places).await? {
            changed.entry(kind).or_default().insert(id);
        }
        let mut batch = SearchBatch {
            position: last,
            ..SearchBatch::default()
        };
        for (kind, ids) in changed {
            let ids: Vec<Uuid> = ids.into_iter().collect();
            let documents = self.search_documents(kind, &ids).await?;
            batch.removals.extend(
                ids.iter()
                    .filter(|id| !documents.iter().any(|d| d.id == **id)),
            );
            batch.upserts.extend(documents);
        }
        index.apply(batch).await.map_err(unavailable)?;
        Ok(records.len())
    }

    /// Builds a new index of every published item and swaps it in; `progress` is told
    /// the items written. Changes made meanwhile are applied by the next sync (the new
    /// index starts at the outbox position read first). Returns the items indexed.
    pub async fn rebuild_search(
        &self,
        index: &impl SearchIndex,
        mut progress: impl FnMut(u64),
    ) -> Result<u64, DomainError> {
        let position = self.outbox_head().await?;
        let mut written = 0;
        for kind in ContentKind::ALL {
            let mut after = None;
            loop {
                let ids = self.published_ids(kind, after, REBUILD_PAGE).await?;
                let Some(last) = ids.last().copied() else {
                    break;
                };
                after = Some(last);
                let documents = self.search_documents(kind, &ids).await?;
                written += documents.len() as u64;
                index.rebuild_page(documents).await.map_err(unavailable)?;
                progress(written);
            }
        }
        index.finish_rebuild(position).await.map_err(unavailable)?;
        Ok(written)
    }

    /// How far `index` is behind the outbox.
    pub async fn search_lag(&self, index: &impl SearchIndex) -> Result<SearchLag, DomainError> {
        let position = index.position().await.map_err(unavailable)?.unwrap_or(0);
        let head = self.outbox_head().await?;
        let oldest = self.outbox_after(position, 1).await?;
        Ok(SearchLag {
            changes: (head - position).max(0),
            seconds: oldest.first().map_or(0.0, |r| {
                (chrono::Utc::now() - r.occurred_at)
                    .num_milliseconds()
                    .max(0) as f64
                    / 1000.0
            }),
        })
    }

    /// The id of the last recorded change (0 when none).
    pub async fn outbox_head(&self) -> Result<i64, DomainError> {
        crate::outbox::head(&self.db).await
    }
}

fn unavailable(e: SearchError) -> DomainError {
    DomainError::Internal(e.to_string())
}
