//! Search backends behind the domain's `SearchIndex` port, the documents they are fed
//! from the database, and the sync from the outbox.

mod documents;
mod embedded;
mod sync;

pub use embedded::EmbeddedIndex;
pub use sync::SearchLag;

/// The backend a server runs with.
pub type SearchBackend = EmbeddedIndex;
