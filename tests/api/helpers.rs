//! `spawn_app`: a real server on a random port over a real database (SQLite file or a
//! fresh PostgreSQL database), seeded once per backend with the demo city.

use chrono::{DateTime, TimeZone, Utc};
use serde_json::{Value, json};
use silo_api::{Application, Settings};
use silo_storage::{DatabaseUrl, PoolSettings, Store};
use std::sync::OnceLock;

/// The instant the shared demo city is generated around: tests ask for explicit windows.
pub fn demo_now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 15, 8, 0, 0).unwrap()
}

/// The secret test servers sign access tokens with.
pub const TEST_JWT_SECRET: &str = "test-secret-of-at-least-thirty-two-bytes-0001";

/// Events in the shared demo city.
pub const DEMO_EVENTS: usize = 600;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The PostgreSQL server tests use. Unset: PostgreSQL variants are skipped (the README's
/// test command); set (CI): they run, and an unreachable server fails them.
fn postgres_base() -> Option<String> {
    std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|s| !s.is_empty())
}

/// Whether this backend's tests run here.
pub fn enabled(backend: Backend) -> bool {
    match backend {
        Backend::Sqlite => true,
        Backend::Postgres => {
            let on = postgres_base().is_some();
            if !on {
                eprintln!("TEST_DATABASE_URL unset: PostgreSQL variant skipped");
            }
            on
        }
    }
}

/// A fresh, empty, migrated database of the backend.
pub async fn fresh_database(backend: Backend) -> DatabaseUrl {
    let name = format!("silo_test_{}", uuid::Uuid::new_v4().simple());
    let url = match backend {
        Backend::Sqlite => {
            let dir = std::env::temp_dir().join(&name);
            std::fs::create_dir_all(&dir).expect("temp dir");
            DatabaseUrl::sqlite_in(&dir)
        }
        Backend::Postgres => {
            let base = postgres_base().expect("TEST_DATABASE_URL");
            let admin = Store::connect(
                &DatabaseUrl::new(base.clone()),
                &PoolSettings { max_connections: 1 },
            )
            .await
            .expect("PostgreSQL at TEST_DATABASE_URL must be reachable");
            use sea_orm::ConnectionTrait;
            admin
                .connection()
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .expect("create test database");
            let (server, _) = base.rsplit_once('/').expect("URL ends with /database");
            DatabaseUrl::new(format!("{server}/{name}"))
        }
    };
    let store = Store::open(&url, &PoolSettings::default())
        .await
        .expect("migrate");
    // Closed before the caller opens its own pool: a SQLite file still held by a pool
    // being dropped can answer "database is locked" to the next connection.
    store.connection().clone().close().await.expect("close");
    url
}

/// The demo city, seeded once per backend and shared by the read-only tests.
pub fn demo_database(backend: Backend) -> DatabaseUrl {
    static SQLITE: OnceLock<DatabaseUrl> = OnceLock::new();
    static POSTGRES: OnceLock<DatabaseUrl> = OnceLock::new();
    let cell = match backend {
        Backend::Sqlite => &SQLITE,
        Backend::Postgres => &POSTGRES,
    };
    cell.get_or_init(|| {
        // Seeded on a runtime of its own: pools must not outlive the runtime that made them.
        std::thread::spawn(move || {
            let rt = tokio::runtime::Runtime::new().expect("runtime");
            rt.block_on(async {
                let url = fresh_database(backend).await;
                let store = Store::open(&url, &PoolSettings::default())
                    .await
                    .expect("open");
                let now = demo_now();
                silo_storage::seed::seed_demo(
                    &store,
                    now,
                    now + chrono::Duration::days(730),
                    DEMO_EVENTS,
                    |_| {},
                )
                .await
                .expect("seed demo city");
                url
            })
        })
        .join()
        .expect("seeding thread")
    })
    .clone()
}

/// A running server and a client for it.
pub struct TestApp {
    pub address: String,
    pub store: Store,
    pub client: reqwest::Client,
    /// The database, for a second server process over it.
    pub url: DatabaseUrl,
    /// The server's own data dir (its export snapshots).
    pub data_dir: std::path::PathBuf,
}

/// The test city's SIRET (the SCDL export needs one).
pub const TEST_CITY_SIRET: &str = "21440109300015";

/// Starts a server on a random port over `url`, its scheduler ticking every second.
pub async fn spawn_app_on(url: DatabaseUrl) -> TestApp {
    spawn_app_ticking(url, 1).await
}

/// Starts a server whose scheduler ticks every `tick_secs`.
async fn spawn_app_ticking(url: DatabaseUrl, tick_secs: u64) -> TestApp {
    spawn_app_with(url, tick_secs, |_| {}).await
}

/// Starts a server with the test settings changed by `adjust`.
pub async fn spawn_app_with(
    url: DatabaseUrl,
    tick_secs: u64,
    adjust: impl FnOnce(&mut Settings),
) -> TestApp {
    if std::env::var("TEST_LOG").is_ok() {
        silo_api::telemetry::init("pretty");
    }
    let data_dir = std::env::temp_dir().join(format!("silo-test-{}", uuid::Uuid::new_v4()));
    let mut settings = Settings {
        listen: "127.0.0.1:0".to_owned(),
        database_url: Some(url.expose().to_owned()),
        workers: 1,
        jwt_secret: Some(TEST_JWT_SECRET.to_owned()),
        scheduler_tick_secs: tick_secs,
        city_siret: Some(TEST_CITY_SIRET.to_owned()),
        city_insee: Some("44109".to_owned()),
        // Each server its own data dir (export snapshots), away from the checkout.
        data_dir: data_dir.clone(),
        ..Settings::default()
    };
    adjust(&mut settings);
    let store = Store::open(&url, &PoolSettings::default())
        .await
        .expect("open store");
    let app = Application::with_store(&settings, store.clone())
        .await
        .expect("build app");
    let address = format!("http://127.0.0.1:{}", app.port());
    // The demo city is materialized two years past `demo_now`: no horizon work during tests.
    tokio::spawn(app.run_until_stopped(chrono::Duration::days(1)));
    TestApp {
        address,
        store,
        client: reqwest::Client::new(),
        url,
        data_dir,
    }
}

/// A server over the shared demo city. Its scheduler stays idle during a test, so the
/// SQL statements a test counts are its own.
pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_ticking(demo_database(backend), 3_600).await
}

impl TestApp {
    /// POSTs a query; returns the HTTP status and the JSON answer.
    pub async fn post(&self, query: &str, variables: Value, site: Option<&str>) -> (u16, Value) {
        self.post_as(None, query, variables, site).await
    }

    /// POSTs a query with `Authorization: Bearer <token>` when a token is given.
    pub async fn post_as(
        &self,
        token: Option<&str>,
        query: &str,
        variables: Value,
        site: Option<&str>,
    ) -> (u16, Value) {
        let mut req = self
            .client
            .post(format!("{}/graphql", self.address))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        if let Some(site) = site {
            req = req.header("X-Silo-Site", site);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status().as_u16();
        let body = resp.json().await.expect("JSON answer");
        (status, body)
    }

    /// A query expected to succeed: returns `data`.
    pub async fn query(&self, query: &str, variables: Value) -> Value {
        let (status, body) = self.post(query, variables, None).await;
        assert_eq!(status, 200, "{body}");
        assert!(body.get("errors").is_none(), "unexpected errors: {body}");
        body["data"].clone()
    }

    /// A query expected to fail: returns the first error's `extensions.code`, checking
    /// the server answered without a 5xx.
    pub async fn error_code(
        &self,
        query: &str,
        variables: Value,
        site: Option<&str>,
    ) -> (String, Value) {
        let (status, body) = self.post(query, variables, site).await;
        assert!(status < 500, "server error {status}: {body}");
        let err = &body["errors"][0];
        assert!(err.is_object(), "expected an error: {body}");
        (
            err["extensions"]["code"]
                .as_str()
                .unwrap_or("<none>")
                .to_owned(),
            err.clone(),
        )
    }
}

/// One value of the server's `/metrics`.
pub async fn metric(address: &str, name: &str) -> i64 {
    let metrics = reqwest::get(format!("{address}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in {metrics}"))
}

/// Runs an async test body on SQLite and on PostgreSQL: `both_backends!(name, |backend| async move { … })`.
#[macro_export]
macro_rules! both_backends {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                ($body)($crate::helpers::Backend::Sqlite).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if $crate::helpers::enabled($crate::helpers::Backend::Postgres) {
                    ($body)($crate::helpers::Backend::Postgres).await;
                }
            }
        }
    };
}

/// A `silo` server in a process of its own: this test binary started again on its
/// ignored `server_process` test, which serves until killed (on drop).
pub struct ServerProcess {
    pub address: String,
    pub child: std::process::Child,
}

impl ServerProcess {
    /// Starts one over `url`; `env` adds `SILO_*` settings.
    pub fn start(url: &DatabaseUrl, env: &[(&str, &str)]) -> Self {
        use std::io::BufRead;
        let data_dir = std::env::temp_dir().join(format!("silo-test-{}", uuid::Uuid::new_v4()));
        let mut command = std::process::Command::new(std::env::current_exe().unwrap());
        command
            .args([
                "--exact",
                "helpers::server_process",
                "--ignored",
                "--nocapture",
            ])
            .env("SILO_TEST_SERVER_PROCESS", "1")
            .env("SILO_DATABASE_URL", url.expose())
            .env("SILO_DATA_DIR", &data_dir)
            .env("SILO_LISTEN", "127.0.0.1:0")
            .env("SILO_WORKERS", "1")
            .env("SILO_JWT_SECRET", TEST_JWT_SECRET)
            .env("SILO_SCHEDULER_TICK_SECS", "1")
            .stdout(std::process::Stdio::piped());
        for (key, value) in env {
            command.env(key, value);
        }
        let mut child = command.spawn().expect("start a server process");
        let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
        let port = loop {
            let line = lines
                .next()
                .expect("the server process ended before listening")
                .unwrap();
            if let Some(port) = line.strip_prefix("SILO_TEST_PORT=") {
                break port.trim().to_owned();
            }
        };
        // Keep reading, or the process blocks once the pipe is full.
        std::thread::spawn(move || lines.for_each(drop));
        Self {
            address: format!("http://127.0.0.1:{port}"),
            child,
        }
    }

    /// Resident memory of the process, in KiB (Linux).
    pub fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("/proc/<pid>/status");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS")
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The body of a [`ServerProcess`]: not a test (ignored, and idle unless started as one).
#[test]
#[ignore = "the server process that multi-process tests start"]
fn server_process() {
    if std::env::var("SILO_TEST_SERVER_PROCESS").is_err() {
        return;
    }
    let settings = Settings::load(None).expect("settings from SILO_* variables");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let store = Store::open(&settings.database(), &PoolSettings::default())
            .await
            .expect("open store");
        let app = Application::with_store(&settings, store)
            .await
            .expect("build app");
        println!("SILO_TEST_PORT={}", app.port());
        app.run_until_stopped(chrono::Duration::days(1))
            .await
            .unwrap();
    });
}
