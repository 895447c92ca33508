//! Connecting to the database chosen by the URL: SQLite (embedded default) or PostgreSQL.

use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};
use sea_orm_migration::MigratorTrait;
use std::time::Duration;

/// A database URL whose password never reaches a log line.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    pub fn new(url: impl Into<String>) -> Self {
        Self(url.into())
    }

    /// The SQLite file inside the data directory (created when missing).
    pub fn sqlite_in(data_dir: &std::path::Path) -> Self {
        Self(format!(
            "sqlite://{}?mode=rwc",
            data_dir.join("silo.db").display()
        ))
    }

    pub fn is_postgres(&self) -> bool {
        self.0.starts_with("postgres://") || self.0.starts_with("postgresql://")
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

impl std::fmt::Display for DatabaseUrl {
    /// Masks the password of `scheme://user:password@host/...`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let url = &self.0;
        match (url.find("://"), url.find('@')) {
            (Some(scheme_end), Some(at)) if at > scheme_end => {
                let userinfo = &url[scheme_end + 3..at];
                match userinfo.split_once(':') {
                    Some((user, _)) => {
                        write!(f, "{}{user}:***{}", &url[..scheme_end + 3], &url[at..])
                    }
                    None => f.write_str(url),
                }
            }
            _ => f.write_str(url),
        }
    }
}

/// Pool settings; the defaults suit a small city on one machine.
#[derive(Debug, Clone)]
pub struct PoolSettings {
    pub max_connections: u32,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self { max_connections: 8 }
    }
}

/// Opens the pool. On SQLite every connection gets WAL, foreign keys, `synchronous=NORMAL`
/// and a busy timeout (per-connection pragmas must be set on each connection of the pool).
pub async fn connect(url: &DatabaseUrl, pool: &PoolSettings) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url.expose().to_owned());
    let in_memory = url.expose().contains(":memory:") || url.expose().contains("mode=memory");
    options
        // Each in-memory SQLite connection would be a separate empty database.
        .max_connections(if in_memory { 1 } else { pool.max_connections })
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false);
    options.map_sqlx_sqlite_opts(|opts| {
        opts.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
            .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5))
            .create_if_missing(true)
    });
    Database::connect(options).await
}

/// Brings the schema up to date.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    crate::migration::Migrator::up(db, None).await
}

#[cfg(test)]
mod tests {
    use super::DatabaseUrl;

    #[test]
    fn masks_password() {
        let url = DatabaseUrl::new("postgres://silo:s3cret@db:5432/silo");
        assert_eq!(url.to_string(), "postgres://silo:***@db:5432/silo");
        assert!(!format!("{url:?}").contains("s3cret"));
        assert_eq!(
            DatabaseUrl::new("sqlite://x.db").to_string(),
            "sqlite://x.db"
        );
    }
}
