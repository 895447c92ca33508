//! Silo's storage: sea-orm entities and migrations that run unchanged on SQLite and
//! PostgreSQL, and the repositories that map the domain to them.

pub mod db;
pub mod entity;
pub mod migration;
pub mod outbox;
pub mod seed;

mod association_repo;
mod audit_log;
mod content_repo;
mod directory_repo;
mod event_repo;
mod filter;
mod identity_repo;
mod news_repo;
mod opendata_repo;
mod reference_repo;
pub mod search;
mod service_repo;
mod session_repo;
mod slot_repo;
mod webhook_repo;
mod write;

pub use audit_log::{AuditFilter, Verification};
pub use content_repo::{DraftKey, DraftQuery, Revision};
pub use db::{DatabaseUrl, PoolSettings};
pub use event_repo::OccurrenceKey;
pub use identity_repo::{AccountFlags, MembershipRecord, UserAccount};
pub use opendata_repo::{DataVersion, Tombstone};
pub use reference_repo::Reference;
pub use session_repo::{RefreshOutcome, SiteKeyRecord};
pub use webhook_repo::{
    AttemptOutcome, DeliveryQuery, DeliveryStatus, WebhookChanges, WebhookDelivery,
    WebhookEndpoint, WebhookSecrets,
};

use sea_orm::{DatabaseConnection, DbErr, SqlErr};
use silo_domain::DomainError;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

tokio::task_local! {
    /// Set while a background worker runs (see [`Store::uncounted`]).
    static BACKGROUND: ();
}

/// The content hub's database: every read and write of content goes through it.
#[derive(Clone)]
pub struct Store {
    db: DatabaseConnection,
    statements: Arc<AtomicU64>,
}

impl Store {
    /// Connects to `url` and brings the schema up to date.
    pub async fn open(url: &DatabaseUrl, pool: &PoolSettings) -> Result<Self, DomainError> {
        let store = Self::connect(url, pool).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Connects without migrating (for `silo migrate` to report separately).
    pub async fn connect(url: &DatabaseUrl, pool: &PoolSettings) -> Result<Self, DomainError> {
        let mut db = db::connect(url, pool).await.map_err(internal)?;
        let statements = Arc::new(AtomicU64::new(0));
        let counter = statements.clone();
        db.set_metric_callback(move |_| {
            if BACKGROUND.try_with(|_| ()).is_err() {
                counter.fetch_add(1, Ordering::Relaxed);
            }
        });
        Ok(Self { db, statements })
    }

    /// Runs `work` without counting its statements: a background worker's polling is not
    /// what a request costs.
    pub async fn uncounted<F: std::future::Future>(work: F) -> F::Output {
        BACKGROUND.scope((), work).await
    }

    /// SQL statements run since start by requests, background workers' excluded
    /// (`/metrics`; tests use it to catch N+1 queries).
    pub fn statement_count(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }

    pub async fn migrate(&self) -> Result<(), DomainError> {
        db::migrate(&self.db).await.map_err(internal)
    }

    /// The underlying connection, for tests and maintenance commands.
    pub fn connection(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Refreshes the planner's statistics after a bulk load: with them SQLite reads the
    /// agenda from the occurrence window index whatever the filters.
    pub async fn analyze(&self) -> Result<(), DomainError> {
        use sea_orm::ConnectionTrait;
        self.db
            .execute_unprepared("ANALYZE")
            .await
            .map_err(internal)?;
        Ok(())
    }

    /// On SQLite, lets the engine refresh statistics it finds stale (cheap; run at start).
    pub async fn optimize(&self) -> Result<(), DomainError> {
        use sea_orm::ConnectionTrait;
        if self.db.get_database_backend() == sea_orm::DbBackend::Sqlite {
            self.db
                .execute_unprepared("PRAGMA optimize=0x10002")
                .await
                .map_err(internal)?;
        }
        Ok(())
    }

    /// Whether the database answers (for `/readyz`).
    pub async fn ping(&self) -> Result<(), DomainError> {
        self.db.ping().await.map_err(internal)
    }
}

/// Maps a database error: a unique-key violation is a conflict, the rest is internal.
pub(crate) fn internal(e: DbErr) -> DomainError {
    match e.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(detail)) => {
            DomainError::Conflict(format!("already exists ({detail})"))
        }
        // SQLite reports a restricted delete as a trigger constraint (code 1811).
        _ if e.to_string().contains("FOREIGN KEY constraint failed") => {
            DomainError::invalid("reference", "refers to a missing item, or is still in use")
        }
        Some(SqlErr::ForeignKeyConstraintViolation(detail)) => {
            DomainError::invalid("reference", format!("refers to a missing item ({detail})"))
        }
        _ => DomainError::Internal(e.to_string()),
    }
}
