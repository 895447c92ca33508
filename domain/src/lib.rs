//! Silo's domain: the city's content (events, associations, news, public services), its
//! validation rules, recurrence and opening hours, and who may change it. Pure: no I/O, no database, no HTTP.

pub mod account;
pub mod agenda_api;
pub mod agenda_jsonld;
pub mod agenda_table;
pub mod association;
pub mod audit;
pub mod content;
pub mod demo;
pub mod department;
pub mod directory_table;
pub mod equipment_table;
pub mod error;
pub mod event;
pub mod field;
pub mod freshness;
pub mod ical;
pub mod item;
pub mod markdown;
pub mod news;
pub mod notification;
pub mod opening_hours;
pub mod place;
pub mod public_service;
pub mod query;
pub mod recurrence;
pub mod rights;
pub mod search;
pub mod services_json;
pub mod site;
pub mod slots;
pub mod webhook;
pub mod workflow;

pub use error::{DomainError, FieldError, Invalid, Violations};
