//! Settings: defaults, then an optional `silo.toml`, then `SILO_*` variables, then flags.

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use silo_storage::DatabaseUrl;
use std::path::{Path, PathBuf};

/// Everything `silo` can be told.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Where the embedded default keeps its files (SQLite database, later the search index).
    pub data_dir: PathBuf,
    /// Address and port to listen on; port 0 picks a free port.
    pub listen: String,
    /// `postgres://…` switches to PostgreSQL; unset means SQLite in `data_dir`.
    pub database_url: Option<String>,
    /// How far ahead recurring events are materialized, in months.
    pub horizon_months: u32,
    /// Database pool size.
    pub max_connections: u32,
    /// `pretty` (default) or `json` log lines.
    pub log_format: String,
    /// HTTP worker threads; 0 means one per core.
    pub workers: usize,
    /// Secret signing access tokens (at least 32 bytes). Unset on the embedded default:
    /// generated once into `data_dir/jwt-secret`.
    pub jwt_secret: Option<String>,
    /// A file holding the secret (first line) and previous secrets still accepted while
    /// tokens they signed expire (following lines).
    pub jwt_secret_file: Option<PathBuf>,
    /// Previous secrets still accepted for verification (key rotation).
    pub jwt_previous_secrets: Vec<String>,
    /// Lifetime of an access token, in minutes.
    pub access_token_minutes: u32,
    /// Lifetime of a refresh token, in days.
    pub refresh_token_days: u32,
    /// How often scheduled publications and unpublications are carried out, in seconds.
    pub scheduler_tick_secs: u64,
    /// Who publishes the open data (the DCAT catalog's `dct:publisher`).
    pub publisher_name: String,
    /// The open data's licence: `etalab-2.0` (Licence Ouverte 2.0, default) or `odbl`.
    pub licence: String,
    /// The local authority's SIRET (14 digits), for the SCDL Équipements export.
    pub city_siret: Option<String>,
    /// The commune's INSEE code (5 characters), for the SCDL Équipements export.
    pub city_insee: Option<String>,
    /// Disk budget of the finished agenda exports kept to serve again, in MB (0: off).
    pub export_cache_mb: u64,
    /// A Meilisearch server to search with instead of the embedded index.
    pub meili_url: Option<String>,
    /// Its API key (never logged).
    pub meili_key: Option<String>,
    /// The name of Silo's index there (also `{name}_meta` and, while rebuilding, `{name}_next`).
    pub meili_index: String,
    /// Changes a subscription may fall behind before it ends with `SLOW_CONSUMER`.
    pub subscription_buffer: usize,
    /// Seconds a websocket message may wait for the client to read before the connection is closed.
    pub subscription_send_timeout_secs: u64,
    /// Seconds between keep-alive pings on subscription websockets (silent for three: closed).
    pub keepalive_secs: u64,
    /// Seconds a webhook receiver has to answer.
    pub webhook_timeout_secs: u64,
    /// The wait after a webhook endpoint's first failure, in ms; it doubles with each failure in a row.
    pub webhook_retry_first_ms: u64,
    /// The longest wait between two attempts at a failing endpoint, in seconds.
    pub webhook_retry_max_secs: u64,
    /// Failures in a row after which an endpoint is disabled (0: never).
    pub webhook_failure_limit: u32,
    /// Memory for public answers kept to serve again, in MB (0: the response cache is off).
    pub response_cache_mb: u64,
    /// Seconds a CDN or browser may keep a public answer given over GET (and serve it
    /// stale as long again while it revalidates).
    pub http_max_age_secs: u32,
    /// `open` (automatic persisted queries: any caller registers a document by its hash)
    /// or `locked` (anonymous and site-key callers may only run the manifest's documents).
    pub persisted_queries: String,
    /// An Apollo persisted query manifest (JSON): documents known from the start.
    pub persisted_query_manifest: Option<PathBuf>,
    /// Where the surrogate keys of stale answers are POSTed (a CDN's or Varnish's purge
    /// endpoint); unset: no purge requests.
    pub purge_url: Option<String>,
}

impl std::fmt::Debug for Settings {
    /// Secrets and the database URL (it may hold a password) are never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let redacted = |set: bool| if set { "<redacted>" } else { "<unset>" };
        f.debug_struct("Settings")
            .field("data_dir", &self.data_dir)
            .field("listen", &self.listen)
            .field("database", &self.database().to_string())
            .field("horizon_months", &self.horizon_months)
            .field("max_connections", &self.max_connections)
            .field("log_format", &self.log_format)
            .field("workers", &self.workers)
            .field("jwt_secret", &redacted(self.jwt_secret.is_some()))
            .field("jwt_secret_file", &self.jwt_secret_file)
            .field(
                "jwt_previous_secrets",
                &redacted(!self.jwt_previous_secrets.is_empty()),
            )
            .field("access_token_minutes", &self.access_token_minutes)
            .field("refresh_token_days", &self.refresh_token_days)
            .field("scheduler_tick_secs", &self.scheduler_tick_secs)
            .field("publisher_name", &self.publisher_name)
            .field("licence", &self.licence)
            .field("city_siret", &self.city_siret)
            .field("city_insee", &self.city_insee)
            .field("export_cache_mb", &self.export_cache_mb)
            .field("meili_url", &self.meili_url)
            .field("meili_key", &redacted(self.meili_key.is_some()))
            .field("meili_index", &self.meili_index)
            .field("subscription_buffer", &self.subscription_buffer)
            .field(
                "subscription_send_timeout_secs",
                &self.subscription_send_timeout_secs,
            )
            .field("keepalive_secs", &self.keepalive_secs)
            .field("webhook_timeout_secs", &self.webhook_timeout_secs)
            .field("webhook_retry_first_ms", &self.webhook_retry_first_ms)
            .field("webhook_retry_max_secs", &self.webhook_retry_max_secs)
            .field("webhook_failure_limit", &self.webhook_failure_limit)
            .field("response_cache_mb", &self.response_cache_mb)
            .field("http_max_age_secs", &self.http_max_age_secs)
            .field("persisted_queries", &self.persisted_queries)
            .field("persisted_query_manifest", &self.persisted_query_manifest)
            // It may carry a token in its query string.
            .field("purge_url", &redacted(self.purge_url.is_some()))
            .finish()
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("silo-data"),
            listen: "127.0.0.1:8080".to_owned(),
            database_url: None,
            horizon_months: 24,
            max_connections: 8,
            log_format: "pretty".to_owned(),
            workers: 0,
            jwt_secret: None,
            jwt_secret_file: None,
            jwt_previous_secrets: Vec::new(),
            access_token_minutes: 15,
            refresh_token_days: 30,
            scheduler_tick_secs: 30,
            publisher_name: "Ville".to_owned(),
            licence: "etalab-2.0".to_owned(),
            city_siret: None,
            city_insee: None,
            export_cache_mb: 1024,
            meili_url: None,
            meili_key: None,
            meili_index: "silo".to_owned(),
            subscription_buffer: 1024,
            subscription_send_timeout_secs: 10,
            keepalive_secs: 15,
            webhook_timeout_secs: 10,
            webhook_retry_first_ms: 5000,
            webhook_retry_max_secs: 3600,
            webhook_failure_limit: 50,
            response_cache_mb: 64,
            http_max_age_secs: 60,
            persisted_queries: "open".to_owned(),
            persisted_query_manifest: None,
            purge_url: None,
        }
    }
}

impl Settings {
    /// Layers the sources; `config_file` defaults to `./silo.toml` when it exists.
    pub fn load(config_file: Option<&Path>) -> Result<Self, Box<figment::Error>> {
        let file = config_file.map_or_else(|| PathBuf::from("silo.toml"), Path::to_path_buf);
        Figment::from(Serialized::defaults(Settings::default()))
            .merge(Toml::file(file))
            .merge(Env::prefixed("SILO_").only(&[
                "data_dir",
                "listen",
                "database_url",
                "horizon_months",
                "max_connections",
                "log_format",
                "workers",
                "jwt_secret",
                "jwt_secret_file",
                "jwt_previous_secrets",
                "access_token_minutes",
                "refresh_token_days",
                "scheduler_tick_secs",
                "publisher_name",
                "licence",
                "city_siret",
                "city_insee",
                "export_cache_mb",
                "meili_url",
                "meili_key",
                "meili_index",
                "subscription_buffer",
                "subscription_send_timeout_secs",
                "keepalive_secs",
                "webhook_timeout_secs",
                "webhook_retry_first_ms",
                "webhook_retry_max_secs",
                "webhook_failure_limit",
                "response_cache_mb",
                "http_max_age_secs",
                "persisted_queries",
                "persisted_query_manifest",
                "purge_url",
            ]))
            .extract()
            .map_err(Box::new)
    }

    /// The database to use: the configured URL, or the SQLite file in the data dir.
    pub fn database(&self) -> DatabaseUrl {
        match &self.database_url {
            Some(url) if !url.is_empty() => DatabaseUrl::new(url.clone()),
            _ => DatabaseUrl::sqlite_in(&self.data_dir),
        }
    }

    /// Makes sure the data dir exists when the embedded database lives there.
    pub fn prepare_data_dir(&self) -> std::io::Result<()> {
        if !self.database().is_postgres() {
            std::fs::create_dir_all(&self.data_dir)?;
        }
        Ok(())
    }

    /// When a failing webhook endpoint is tried again, and when it is given up on.
    pub fn webhook_retries(&self) -> silo_domain::webhook::RetryPolicy {
        silo_domain::webhook::RetryPolicy {
            first: chrono::Duration::milliseconds(self.webhook_retry_first_ms.max(1) as i64),
            longest: chrono::Duration::seconds(self.webhook_retry_max_secs.max(1) as i64),
            failure_limit: self.webhook_failure_limit,
        }
    }

    /// How subscription websockets are kept alive and bounded.
    pub fn liveness(&self) -> crate::websocket::Liveness {
        crate::websocket::Liveness {
            keepalive: std::time::Duration::from_secs(self.keepalive_secs.max(1)),
            send_timeout: std::time::Duration::from_secs(
                self.subscription_send_timeout_secs.max(1),
            ),
        }
    }

    /// The persisted queries: the manifest's, and the mode.
    pub fn persisted_queries(&self) -> anyhow::Result<crate::persisted::PersistedQueries> {
        let locked = match self.persisted_queries.as_str() {
            "open" => false,
            "locked" => true,
            other => anyhow::bail!("persisted_queries: `{other}` is neither `open` nor `locked`"),
        };
        match &self.persisted_query_manifest {
            Some(path) => crate::persisted::PersistedQueries::with_manifest(path, locked),
            None if locked => {
                anyhow::bail!("persisted_queries = \"locked\" needs persisted_query_manifest")
            }
            None => Ok(crate::persisted::PersistedQueries::open()),
        }
    }

    pub fn horizon(&self) -> chrono::Duration {
        chrono::Duration::days(i64::from(self.horizon_months) * 366 / 12)
    }
}
