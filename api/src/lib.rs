//! Silo's surfaces: the actix-web application, the GraphQL API, health endpoints, the
//! configuration and the CLI commands. Thin glue: every rule lives in `silo-domain`.

pub mod admin;
pub mod changes;
pub mod config;
pub mod graphql;
pub mod http_cache;
pub mod identity;
pub mod opendata;
pub mod persisted;
pub mod purge;
pub mod response_cache;
pub mod routes;
pub mod search;
pub mod startup;
pub mod telemetry;
pub mod webhooks;
pub mod websocket;

pub use config::Settings;
pub use startup::Application;
