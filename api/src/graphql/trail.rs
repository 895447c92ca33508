//! What the answer being computed depends on, recorded by the resolvers of public reads
//! for the response cache and the HTTP cache headers. A root field whose resolver does
//! not record its reads is not in `TRACED`: its answers depend on every change.

use async_graphql::Context;
use async_graphql::parser::types::{DocumentOperations, OperationType, Selection};
use chrono::{DateTime, Utc};
use silo_domain::content::ContentKind;
use silo_domain::freshness::Dependencies;
use silo_domain::site::SiteScope;
use std::sync::{Arc, Mutex};
use uuid::Uuid;

/// Root fields whose resolvers (and the fields below them) record what they read.
const TRACED: &[&str] = &[
    "events",
    "event",
    "associations",
    "association",
    "news",
    "newsArticle",
    "publicServices",
    "publicService",
    "contentItem",
    "categories",
    "tags",
    "departments",
    "site",
    "search",
    "__typename",
    "__schema",
    "__type",
];

/// The per-request recorder, in the request's data when the caller is public.
#[derive(Clone, Default)]
pub struct Trail(Arc<Mutex<Dependencies>>);

impl Trail {
    pub fn take(&self) -> Dependencies {
        std::mem::take(&mut self.0.lock().unwrap_or_else(|e| e.into_inner()))
    }

    fn record(ctx: &Context<'_>, f: impl FnOnce(&mut Dependencies)) {
        if let Some(trail) = ctx.data_opt::<Trail>() {
            f(&mut trail.0.lock().unwrap_or_else(|e| e.into_inner()));
        }
    }
}

/// Whether the request records its reads (its caller is public).
pub fn recording(ctx: &Context<'_>) -> bool {
    ctx.data_opt::<Trail>().is_some()
}

/// The answer lists published items of `kind` seen through `scope`.
pub fn list(ctx: &Context<'_>, kind: ContentKind, scope: Option<&SiteScope>) {
    Trail::record(ctx, |d| d.list(kind, scope));
}

/// The answer shows the item.
pub fn item(ctx: &Context<'_>, kind: ContentKind, id: Uuid) {
    Trail::record(ctx, |d| d.item(kind, id));
}

/// The answer looked the item up by slug.
pub fn slug(ctx: &Context<'_>, kind: ContentKind, slug: &str) {
    Trail::record(ctx, |d| d.slug(kind, slug));
}

/// The answer stops being true at `at`.
pub fn until(ctx: &Context<'_>, at: DateTime<Utc>) {
    Trail::record(ctx, |d| d.until(at));
}

/// The answer is not read from the database alone and must not be kept.
pub fn unkeepable(ctx: &Context<'_>) {
    Trail::record(ctx, Dependencies::unkeepable);
}

/// What the request's selected operation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// A query whose every root field records its reads.
    TracedQuery,
    /// A query with a root field that does not (or that selects through fragments).
    UntracedQuery,
    /// A mutation or a subscription.
    Write,
    /// Not a valid document, or no such operation: execution says why.
    Invalid,
}

impl Operation {
    pub fn of(query: &str, operation_name: Option<&str>) -> Self {
        let Ok(doc) = async_graphql::parser::parse_query(query) else {
            return Self::Invalid;
        };
        let op = match (&doc.operations, operation_name) {
            (DocumentOperations::Single(op), _) => op,
            (DocumentOperations::Multiple(ops), Some(name)) => match ops.get(name) {
                Some(op) => op,
                None => return Self::Invalid,
            },
            (DocumentOperations::Multiple(ops), None) => {
                // Execution refuses an unnamed pick among several; a write among them
                // must still be treated as one.
                return if ops.values().any(|op| op.node.ty != OperationType::Query) {
                    Self::Write
                } else {
                    Self::Invalid
                };
            }
        };
        if op.node.ty != OperationType::Query {
            return Self::Write;
        }
        let traced = op
            .node
            .selection_set
            .node
            .items
            .iter()
            .all(|s| match &s.node {
                Selection::Field(f) => TRACED.contains(&f.node.name.node.as_str()),
                _ => false,
            });
        if traced {
            Self::TracedQuery
        } else {
            Self::UntracedQuery
        }
    }
}
