//! sea-orm entities: one module per table. Instants are `DateTimeUtc` set in Rust; ids are
//! UUIDv7; JSON columns are opaque (never filtered in SQL).

pub mod association;
pub mod audit_entry;
pub mod audit_head;
pub mod content_site;
pub mod content_term;
pub mod department;
pub mod event;
pub mod login_failure;
pub mod membership;
pub mod news_article;
pub mod occurrence;
pub mod outbox;
pub mod outbox_consumer;
pub mod place;
pub mod public_service;
pub mod refresh_token;
pub mod revision;
pub mod site;
pub mod site_curator;
pub mod site_key;
pub mod site_slot;
pub mod term;
pub mod user;
pub mod webhook_delivery;
pub mod webhook_endpoint;
