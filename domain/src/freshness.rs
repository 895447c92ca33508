//! What a public answer depends on, and which answers a recorded change makes stale: the
//! one rule the response cache and the CDN purge keys follow. An answer is only reused
//! while no change it depends on has been recorded and its time boundary has not passed.

use crate::content::ContentKind;
use crate::notification::ContentChange;
use crate::site::SiteScope;
use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

/// What reading an answer touched.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dependencies {
    /// Lists of a kind, read through a site's channel (`None`: every published item).
    lists: Vec<(ContentKind, Option<SiteScope>)>,
    /// Single items shown in the answer.
    items: Vec<(ContentKind, Uuid)>,
    /// Items looked up by slug, found or not: one created later under the slug changes it.
    slugs: Vec<(ContentKind, String)>,
    /// Any recorded change may change the answer (a field nobody traced).
    everything: bool,
    /// The answer must not be kept (it is not read from the database: search).
    unkeepable: bool,
    /// The instant the answer stops being true without any write (`openNow`, `from: now`).
    until: Option<DateTime<Utc>>,
}

impl Dependencies {
    pub fn list(&mut self, kind: ContentKind, scope: Option<&SiteScope>) {
        if !self
            .lists
            .iter()
            .any(|(k, s)| *k == kind && s.as_ref() == scope)
        {
            self.lists.push((kind, scope.cloned()));
        }
    }

    pub fn item(&mut self, kind: ContentKind, id: Uuid) {
        if !self.items.contains(&(kind, id)) {
            self.items.push((kind, id));
        }
    }

    pub fn slug(&mut self, kind: ContentKind, slug: &str) {
        if !self.slugs.iter().any(|(k, s)| *k == kind && s == slug) {
            self.slugs.push((kind, slug.to_owned()));
        }
    }

    pub fn everything(&mut self) {
        self.everything = true;
    }

    pub fn unkeepable(&mut self) {
        self.unkeepable = true;
    }

    /// The answer stops being true at `at` (the earliest of the boundaries recorded).
    pub fn until(&mut self, at: DateTime<Utc>) {
        self.until = Some(self.until.map_or(at, |u| u.min(at)));
    }

    pub fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.until
    }

    pub fn keepable(&self) -> bool {
        !self.unkeepable
    }

    /// Whether `stale` makes an answer with these dependencies wrong.
    pub fn made_stale_by(&self, stale: &Stale) -> bool {
        let change = match stale {
            Stale::Nothing => return false,
            Stale::Everything => return true,
            Stale::Content(change) => change,
        };
        // Drafts and reviews are not in public answers.
        if !change.is_public() {
            return false;
        }
        self.everything
            || self.items.contains(&(change.kind, change.id))
            || self
                .slugs
                .iter()
                .any(|(k, s)| *k == change.kind && *s == change.slug)
            || self.lists.iter().any(|(kind, scope)| {
                *kind == change.kind && scope.as_ref().is_none_or(|s| change.in_channel(s))
            })
    }

    /// The keys a CDN in front may tag the answer with, to purge it by the keys of
    /// [`Stale::purge_keys`]: `silo` on every answer, `silo-<kind>` on a list,
    /// `silo-<kind>-<id>` on an item.
    pub fn surrogate_keys(&self) -> Vec<String> {
        let mut keys = vec![ALL_KEY.to_owned()];
        let mut push = |key: String| {
            if !keys.contains(&key) {
                keys.push(key);
            }
        };
        for (kind, _) in &self.lists {
            push(kind_key(*kind));
        }
        // An answer nobody traced is purged by any content change.
        if self.everything {
            for kind in ContentKind::ALL {
                push(kind_key(kind));
            }
        }
        for (kind, id) in &self.items {
            push(format!("{}-{id}", kind_key(*kind)));
        }
        keys
    }
}

/// The surrogate key of every answer: purging it purges everything.
pub const ALL_KEY: &str = "silo";
/// The surrogate keys of the open data exports: every public change purges them.
pub const OPEN_DATA_KEYS: [&str; 2] = [ALL_KEY, "silo-opendata"];

fn kind_key(kind: ContentKind) -> String {
    format!("silo-{}", kind.as_str())
}

/// What one recorded change (an outbox row) makes stale.
#[derive(Debug, Clone, PartialEq)]
pub enum Stale {
    /// Nothing public (accounts, memberships, webhook bookkeeping).
    Nothing,
    /// Answers that show this content, or lists it could enter or leave.
    Content(Box<ContentChange>),
    /// Every answer: places, terms, departments, sites, site keys and slots appear in
    /// answers of every kind, or decide who sees what.
    Everything,
}

impl Stale {
    /// The rule for an outbox row of `aggregate`, with its content change when it is one.
    /// An aggregate this rule does not know stales everything: a new kind of record
    /// must never leave a stale answer behind.
    pub fn of(aggregate: &str, change: Option<ContentChange>) -> Self {
        match (aggregate, change) {
            (_, Some(change)) => Self::Content(Box::new(change)),
            ("user" | "membership" | "webhook" | "webhook_delivery", None) => Self::Nothing,
            _ => Self::Everything,
        }
    }

    /// The surrogate keys to purge from a CDN.
    pub fn purge_keys(&self) -> Vec<String> {
        match self {
            Self::Nothing => Vec::new(),
            Self::Everything => vec![ALL_KEY.to_owned()],
            Self::Content(change) if !change.is_public() => Vec::new(),
            Self::Content(change) => {
                let kind = kind_key(change.kind);
                vec![
                    format!("{kind}-{}", change.id),
                    kind,
                    OPEN_DATA_KEYS[1].to_owned(),
                ]
            }
        }
    }
}

/// When a window that starts "now" changes by time alone. Items leave it as they start
/// (the earliest `first_start` shown); when the page is not full, items enter as its
/// end, `length` after now, reaches them (`next_beyond`, the first start past the end).
/// With no item beyond, the answer is checked again one window length later.
pub fn moving_window_boundary(
    now: DateTime<Utc>,
    length: Duration,
    first_start: Option<DateTime<Utc>>,
    page_full: bool,
    next_beyond: Option<DateTime<Utc>>,
) -> DateTime<Utc> {
    let entering = if page_full {
        None
    } else {
        Some(next_beyond.map_or(now + length, |t| t - length))
    };
    [first_start, entering]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(now + length)
        .max(now)
}

/// A GraphQL document reduced to its tokens: comments, commas and spacing dropped, so
/// that the same question asked with other layout is the same cache key. Strings, block
/// strings included, are kept byte for byte.
pub fn normalize_document(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    let bytes = source.as_bytes();
    let mut i = 0;
    // Whether a space must separate the previous token from the next name or number.
    let mut after_word = false;
    let mut pending_space = false;
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
                    i += 1;
                }
                pending_space = true;
            }
            b' ' | b'\t' | b'\n' | b'\r' | b',' => {
                pending_space = true;
                i += 1;
            }
            // The byte-order mark is ignored like white space.
            0xEF if bytes[i..].starts_with(&[0xEF, 0xBB, 0xBF]) => {
                pending_space = true;
                i += 3;
            }
            b'"' => {
                // Two strings apart stay apart: `"" "a"` is not the block string `"""a"`.
                if after_word && pending_space {
                    out.push(' ');
                }
                let end = string_end(bytes, i);
                out.push_str(&source[i..end]);
                i = end;
                after_word = true;
                pending_space = false;
            }
            _ => {
                let word = c.is_ascii_alphanumeric() || c == b'_' || c == b'-' || c == b'.';
                if word && after_word && pending_space {
                    out.push(' ');
                }
                // Multi-byte characters outside strings are invalid GraphQL: kept as is,
                // execution reports them.
                let len = utf8_len(c);
                out.push_str(&source[i..(i + len).min(source.len())]);
                i += len;
                after_word = word;
                pending_space = false;
            }
        }
    }
    out
}

fn utf8_len(first: u8) -> usize {
    match first {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

/// The end (exclusive) of the string starting at `start`: `"…"` with escapes, or `"""…"""`.
fn string_end(bytes: &[u8], start: usize) -> usize {
    if bytes[start..].starts_with(b"\"\"\"") {
        let mut i = start + 3;
        while i < bytes.len() {
            if bytes[i..].starts_with(b"\\\"\"\"") {
                i += 4;
            } else if bytes[i..].starts_with(b"\"\"\"") {
                return i + 3;
            } else {
                i += 1;
            }
        }
        return bytes.len();
    }
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            b'\n' | b'\r' => return i,
            _ => i += 1,
        }
    }
    bytes.len().min(i)
}

#[cfg(test)]
mod tests;
