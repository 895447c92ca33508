//! The audit log's rules: who acted and under which right, what an entry says, and the
//! SHA-256 chain that makes a rewritten, removed or forged entry show.
//!
//! Each entry's hash covers its own fields and the previous entry's hash, so changing an
//! entry breaks its own hash, and removing one breaks the sequence or the next link.

use crate::rights::{Allowance, Grant};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The hash the first entry links to.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Who made a change, and the right they made it under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: Option<Uuid>,
    pub authority: Authority,
}

/// The right a change was made under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Authority {
    /// What the rights policy allowed (a membership, a delegation, admin, curator…).
    Policy(Allowance),
    /// A user changing their own account (their password).
    OwnAccount,
    /// Someone with shell access to the server, through the `silo` command.
    Operator,
    /// The scheduler carrying out a publication or an unpublication someone scheduled.
    Scheduler,
    /// The webhook sender disabling an endpoint that failed too many times in a row.
    WebhookSender,
}

impl Actor {
    pub fn user(user_id: Uuid, allowance: Allowance) -> Self {
        Self {
            user_id: Some(user_id),
            authority: Authority::Policy(allowance),
        }
    }

    pub fn own_account(user_id: Uuid) -> Self {
        Self {
            user_id: Some(user_id),
            authority: Authority::OwnAccount,
        }
    }

    pub fn operator() -> Self {
        Self {
            user_id: None,
            authority: Authority::Operator,
        }
    }

    pub fn scheduler() -> Self {
        Self {
            user_id: None,
            authority: Authority::Scheduler,
        }
    }

    pub fn webhook_sender() -> Self {
        Self {
            user_id: None,
            authority: Authority::WebhookSender,
        }
    }
}

impl Authority {
    /// The right as recorded: `kind` plus what identifies it (for a delegation, the
    /// delegator and the window).
    pub fn to_json(&self) -> Value {
        match self {
            Self::Policy(Allowance::Grant(grant)) => grant_json(grant),
            Self::Policy(Allowance::Admin) => json!({ "kind": "admin" }),
            Self::Policy(Allowance::Auditor) => json!({ "kind": "auditor" }),
            Self::Policy(Allowance::Public) => json!({ "kind": "public" }),
            Self::Policy(Allowance::Curator(site)) => json!({ "kind": "curator", "siteId": site }),
            Self::Policy(Allowance::Delegator) => json!({ "kind": "delegator" }),
            Self::OwnAccount => json!({ "kind": "own_account" }),
            Self::Operator => json!({ "kind": "operator" }),
            Self::Scheduler => json!({ "kind": "scheduler" }),
            Self::WebhookSender => json!({ "kind": "webhook_sender" }),
        }
    }
}

fn grant_json(grant: &Grant) -> Value {
    let mut right = json!({
        "kind": if grant.delegated_by.is_some() { "delegation" } else { "membership" },
        "role": grant.role.as_str(),
        "departmentId": grant.department_id,
        "membershipId": grant.membership_id,
    });
    if let Some(by) = grant.delegated_by {
        right["delegatedBy"] = json!(by);
        right["validFrom"] = json!(grant.valid_from);
        right["validUntil"] = json!(grant.valid_until);
    }
    right
}

/// What an entry records, before it is chained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub at: DateTime<Utc>,
    pub actor_id: Option<Uuid>,
    /// [`Authority::to_json`], as text: the chain hashes the exact text stored.
    pub authority: String,
    /// `{target_kind}.{change}`, e.g. `event.unpublished`, `membership.created`.
    pub action: String,
    pub target_kind: String,
    pub target_id: Uuid,
    pub department_id: Option<Uuid>,
    /// JSON summaries of the state before and after (`null` when there is none).
    pub before: String,
    pub after: String,
}

/// A chained entry, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// 1, 2, 3… without gaps.
    pub seq: i64,
    pub record: Record,
    pub prev_hash: String,
    pub hash: String,
}

impl Record {
    /// Truncated to what both databases store (microseconds), so the hash survives a
    /// round trip.
    pub fn at_stored(at: DateTime<Utc>) -> DateTime<Utc> {
        DateTime::from_timestamp_micros(at.timestamp_micros()).unwrap_or(at)
    }

    /// Chains this record after `(prev_seq, prev_hash)`.
    pub fn chain(self, prev_seq: i64, prev_hash: &str) -> Entry {
        let seq = prev_seq + 1;
        let hash = entry_hash(seq, &self, prev_hash);
        Entry {
            seq,
            record: self,
            prev_hash: prev_hash.to_owned(),
            hash,
        }
    }
}

/// SHA-256 over the previous hash and every field, each length-prefixed so no two
/// different entries serialize alike.
pub fn entry_hash(seq: i64, record: &Record, prev_hash: &str) -> String {
    let optional = |id: Option<Uuid>| id.map(|id| id.to_string()).unwrap_or_default();
    let fields = [
        prev_hash.to_owned(),
        seq.to_string(),
        record.at.to_rfc3339_opts(SecondsFormat::Micros, true),
        optional(record.actor_id),
        record.authority.clone(),
        record.action.clone(),
        record.target_kind.clone(),
        record.target_id.to_string(),
        optional(record.department_id),
        record.before.clone(),
        record.after.clone(),
    ];
    let mut hasher = Sha256::new();
    for field in fields {
        hasher.update(field.len().to_string().as_bytes());
        hasher.update(b":");
        hasher.update(field.as_bytes());
        hasher.update(b"\n");
    }
    hex::encode(hasher.finalize())
}

/// Where the chain breaks, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    /// The first entry that does not check out (or the first one missing).
    pub seq: i64,
    pub reason: String,
}

impl std::fmt::Display for Broken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "entry {}: {}", self.seq, self.reason)
    }
}

/// Checks entries in order, one at a time, so a long log is verified in bounded memory.
#[derive(Debug, Clone)]
pub struct ChainCheck {
    last_seq: i64,
    last_hash: String,
}

impl Default for ChainCheck {
    fn default() -> Self {
        Self {
            last_seq: 0,
            last_hash: GENESIS.to_owned(),
        }
    }
}

impl ChainCheck {
    /// Entries checked so far (the last sequence number).
    pub fn verified(&self) -> i64 {
        self.last_seq
    }

    pub fn last_hash(&self) -> &str {
        &self.last_hash
    }

    /// Takes the next entry by sequence number.
    pub fn push(&mut self, entry: &Entry) -> Result<(), Broken> {
        let expected = self.last_seq + 1;
        let broken = |seq, reason: &str| {
            Err(Broken {
                seq,
                reason: reason.to_owned(),
            })
        };
        if entry.seq > expected {
            let missing = if entry.seq == expected + 1 {
                "this entry is missing (deleted)".to_owned()
            } else {
                format!(
                    "entries {expected} to {} are missing (deleted)",
                    entry.seq - 1
                )
            };
            return broken(expected, &missing);
        }
        if entry.seq < expected {
            return broken(entry.seq, "sequence number out of order (inserted)");
        }
        if entry.prev_hash != self.last_hash {
            return broken(
                entry.seq,
                "does not link to the entry before it (that entry was changed, removed or this one inserted)",
            );
        }
        if entry_hash(entry.seq, &entry.record, &entry.prev_hash) != entry.hash {
            return broken(
                entry.seq,
                "its contents do not match its hash (changed after it was written)",
            );
        }
        self.last_seq = entry.seq;
        self.last_hash = entry.hash.clone();
        Ok(())
    }

    /// Ends the check against the head the log keeps beside it (the last sequence number
    /// and hash written), which shows entries removed from the end.
    pub fn finish(&self, head_seq: i64, head_hash: &str) -> Result<(), Broken> {
        if head_seq > self.last_seq {
            let reason = if head_seq == self.last_seq + 1 {
                "this last entry is missing (deleted)".to_owned()
            } else {
                format!(
                    "entries {} to {head_seq} are missing from the end (deleted)",
                    self.last_seq + 1
                )
            };
            return Err(Broken {
                seq: self.last_seq + 1,
                reason,
            });
        }
        if head_seq < self.last_seq {
            return Err(Broken {
                seq: head_seq + 1,
                reason: "written after the log's head (inserted)".to_owned(),
            });
        }
        if head_hash != self.last_hash {
            return Err(Broken {
                seq: self.last_seq,
                reason: "does not match the hash the log's head recorded (replaced)".to_owned(),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;

/// The recorded right in plain words, e.g. `publisher of Culture, lent by
/// marie@ville.fr until 2026-11-30 18:00 UTC`; `name` turns a department, site or user id
/// into a name when it is known.
pub fn describe_right(right: &Value, name: impl Fn(&str) -> Option<String>) -> String {
    let text = |key: &str| right.get(key).and_then(Value::as_str);
    let named = |key: &str| text(key).map(|id| name(id).unwrap_or_else(|| format!("{key} {id}")));
    match text("kind").unwrap_or_default() {
        kind @ ("membership" | "delegation") => {
            let role = text("role").unwrap_or("role");
            let department = named("departmentId").unwrap_or_default();
            let mut out = format!("{role} of {department}");
            if kind == "delegation" {
                let by = named("delegatedBy").unwrap_or_default();
                out.push_str(&format!(", lent by {by}"));
                if let Some(until) =
                    text("validUntil").and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                {
                    out.push_str(&format!(
                        " until {}",
                        until.with_timezone(&Utc).format("%Y-%m-%d %H:%M UTC")
                    ));
                }
            }
            out
        }
        "admin" => "administrator".to_owned(),
        "auditor" => "auditor".to_owned(),
        "curator" => format!("curator of site {}", named("siteId").unwrap_or_default()),
        "delegator" => "the delegation's own lender".to_owned(),
        "own_account" => "their own account".to_owned(),
        "operator" => "server operator (silo command line)".to_owned(),
        "scheduler" => "the scheduler, carrying out a scheduled publication".to_owned(),
        "webhook_sender" => "the webhook sender, after failures in a row".to_owned(),
        "public" => "no right needed".to_owned(),
        other => format!("unknown right `{other}`"),
    }
}
