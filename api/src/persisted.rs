//! Persisted queries: a satellite sends the SHA-256 of its document instead of the
//! document (Apollo's automatic persisted queries: `extensions.persistedQuery`). In the
//! locked mode, public callers (anonymous, site keys) may only read with the documents of
//! a manifest the city registered; signed-in editors may send any document, and
//! mutations (signing in among them) stay open, each authorized by the rights policy.
//!
//! Hand-written rather than async-graphql's extension: the document must be known
//! before the response cache's key and the "no mutation over GET" check, and clients
//! expect the error code `PERSISTED_QUERY_NOT_FOUND`.

use crate::graphql::trail::Operation;
use async_graphql::Request;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

/// Documents registered by clients, at most this many bytes.
const REGISTERED_BYTES: u64 = 16 * 1024 * 1024;

pub struct PersistedQueries {
    /// Registered by clients, by hex SHA-256 (bounded, least used dropped first).
    registered: moka::sync::Cache<String, Arc<str>>,
    /// The manifest's documents, by hex SHA-256.
    manifest: HashMap<String, Arc<str>>,
    /// Public callers may only run the manifest's documents.
    locked: bool,
}

/// Why a request's document cannot be run.
#[derive(Debug, PartialEq)]
pub enum Refusal {
    /// The hash names no known document: send it again with the document.
    NotFound,
    /// The extension is malformed, or the hash is not the document's.
    Invalid(String),
    /// Locked mode: the document is not registered.
    NotRegistered,
}

impl Refusal {
    /// The GraphQL error: (HTTP status, message, `extensions.code`).
    pub fn error(&self) -> (u16, String, &'static str) {
        match self {
            // Apollo clients look for this message and code, with a 200, then retry
            // with the document.
            Self::NotFound => (
                200,
                "PersistedQueryNotFound".to_owned(),
                "PERSISTED_QUERY_NOT_FOUND",
            ),
            Self::Invalid(why) => (400, why.clone(), "BAD_USER_INPUT"),
            Self::NotRegistered => (
                403,
                "only the city's registered documents may be run without signing in (send their persisted query hash)"
                    .to_owned(),
                "FORBIDDEN",
            ),
        }
    }
}

/// The manifest format Apollo's tooling writes (`generate-persisted-query-manifest`).
#[derive(serde::Deserialize)]
struct Manifest {
    operations: Vec<ManifestOperation>,
}

#[derive(serde::Deserialize)]
struct ManifestOperation {
    id: String,
    body: String,
}

pub fn hash(document: &str) -> String {
    hex::encode(Sha256::digest(document.as_bytes()))
}

impl PersistedQueries {
    /// Open mode: any caller registers documents by sending them with their hash.
    pub fn open() -> Self {
        Self {
            registered: moka::sync::Cache::builder()
                .max_capacity(REGISTERED_BYTES)
                .weigher(|k: &String, v: &Arc<str>| {
                    u32::try_from(k.len() + v.len() + 64).unwrap_or(u32::MAX)
                })
                .build(),
            manifest: HashMap::new(),
            locked: false,
        }
    }

    /// Loads a manifest; `locked` restricts public callers to its documents.
    pub fn with_manifest(path: &Path, locked: bool) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("persisted query manifest {}: {e}", path.display()))?;
        let manifest: Manifest = serde_json::from_str(&text)
            .map_err(|e| anyhow::anyhow!("persisted query manifest {}: {e}", path.display()))?;
        let mut documents = HashMap::new();
        for op in manifest.operations {
            if hash(&op.body) != op.id.to_ascii_lowercase() {
                anyhow::bail!(
                    "persisted query manifest {}: id {} is not the SHA-256 of its body",
                    path.display(),
                    op.id
                );
            }
            documents.insert(op.id.to_ascii_lowercase(), Arc::from(op.body));
        }
        Ok(Self {
            manifest: documents,
            locked,
            ..Self::open()
        })
    }

    /// Puts the document a hash names into `request`, registers a document sent with
    /// its hash, and enforces the locked mode for public callers.
    pub fn resolve(&self, request: &mut Request, public_caller: bool) -> Result<(), Refusal> {
        let sent_hash = match request.extensions.0.get("persistedQuery") {
            None => None,
            Some(ext) => Some(parse_extension(ext)?),
        };
        // Locked, the manifest is the only registry: nobody fills (or churns) it, whatever
        // credentials they claim before those are checked.
        let may_register = !self.locked;
        match sent_hash {
            Some(hash_sent) if request.query.is_empty() => {
                let document = self
                    .manifest
                    .get(&hash_sent)
                    .cloned()
                    .or_else(|| self.registered.get(&hash_sent))
                    .ok_or(Refusal::NotFound)?;
                request.query = document.to_string();
            }
            Some(hash_sent) => {
                if hash(&request.query) != hash_sent {
                    return Err(Refusal::Invalid(
                        "extensions.persistedQuery.sha256Hash is not the SHA-256 of the query"
                            .to_owned(),
                    ));
                }
                if may_register && !self.manifest.contains_key(&hash_sent) {
                    self.registered
                        .insert(hash_sent, Arc::from(request.query.as_str()));
                }
            }
            None => {}
        }
        // Reads are locked; writes are each authorized by the rights policy anyway, and
        // signing in must stay possible.
        if self.locked
            && public_caller
            && !self.manifest.contains_key(&hash(&request.query))
            && Operation::of(&request.query, request.operation_name.as_deref()) != Operation::Write
        {
            return Err(Refusal::NotRegistered);
        }
        Ok(())
    }
}

/// `{"version": 1, "sha256Hash": "<64 hex>"}` → the lower-case hash.
fn parse_extension(ext: &async_graphql::Value) -> Result<String, Refusal> {
    let invalid = |why: &str| Refusal::Invalid(format!("extensions.persistedQuery: {why}"));
    let async_graphql::Value::Object(fields) = ext else {
        return Err(invalid("must be an object"));
    };
    match fields.get("version") {
        Some(async_graphql::Value::Number(n)) if n.as_u64() == Some(1) => {}
        _ => return Err(invalid("only version 1 is supported")),
    }
    match fields.get("sha256Hash") {
        Some(async_graphql::Value::String(h))
            if h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()) =>
        {
            Ok(h.to_ascii_lowercase())
        }
        _ => Err(invalid("sha256Hash must be 64 hexadecimal digits")),
    }
}
