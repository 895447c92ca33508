//! Search backends behind the domain's `SearchIndex` port, the documents they are fed
//! from the database, and the sync from the outbox.

mod documents;
mod embedded;
mod meili;
mod sync;

pub use embedded::EmbeddedIndex;
pub use meili::MeiliIndex;
pub use sync::SearchLag;

use silo_domain::search::{
    SearchBatch, SearchDocument, SearchError, SearchIndex, SearchRequest, SearchResults,
};

/// The backend a server runs with: the embedded index, or Meilisearch. One per server,
/// so the size difference of the variants does not matter.
#[allow(clippy::large_enum_variant)]
pub enum SearchBackend {
    Embedded(EmbeddedIndex),
    Meilisearch(MeiliIndex),
}

impl SearchIndex for SearchBackend {
    async fn apply(&self, batch: SearchBatch) -> Result<(), SearchError> {
        match self {
            Self::Embedded(index) => index.apply(batch).await,
            Self::Meilisearch(index) => index.apply(batch).await,
        }
    }

    async fn position(&self) -> Result<Option<i64>, SearchError> {
        match self {
            Self::Embedded(index) => index.position().await,
            Self::Meilisearch(index) => index.position().await,
        }
    }

    async fn search(&self, request: &SearchRequest) -> Result<SearchResults, SearchError> {
        match self {
            Self::Embedded(index) => index.search(request).await,
            Self::Meilisearch(index) => index.search(request).await,
        }
    }

    async fn rebuild_page(&self, documents: Vec<SearchDocument>) -> Result<(), SearchError> {
        match self {
            Self::Embedded(index) => index.rebuild_page(documents).await,
            Self::Meilisearch(index) => index.rebuild_page(documents).await,
        }
    }

    async fn finish_rebuild(&self, position: i64) -> Result<(), SearchError> {
        match self {
            Self::Embedded(index) => index.finish_rebuild(position).await,
            Self::Meilisearch(index) => index.finish_rebuild(position).await,
        }
    }
}

/// Text put in an HTML snippet.
fn escape_html(raw: &str) -> String {
    raw.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
