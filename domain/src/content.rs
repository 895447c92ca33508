//! What every content kind shares: its kind, its editorial status and publication dates,
//! the sites it targets and its taxonomy.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The four kinds of content the hub holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ContentKind {
    Event,
    Association,
    NewsArticle,
    PublicService,
}

impl ContentKind {
    pub const ALL: [ContentKind; 4] = [
        Self::Event,
        Self::Association,
        Self::NewsArticle,
        Self::PublicService,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Event => "event",
            Self::Association => "association",
            Self::NewsArticle => "news_article",
            Self::PublicService => "public_service",
        }
    }

    /// The kind named by [`as_str`](Self::as_str).
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == raw)
    }
}

/// Where a piece of content stands in the editorial workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ContentStatus {
    Draft,
    InReview,
    Published,
    Unpublished,
    Archived,
}

impl ContentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::InReview => "in_review",
            Self::Published => "published",
            Self::Unpublished => "unpublished",
            Self::Archived => "archived",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Some(match raw {
            "draft" => Self::Draft,
            "in_review" => Self::InReview,
            "published" => Self::Published,
            "unpublished" => Self::Unpublished,
            "archived" => Self::Archived,
            _ => return None,
        })
    }

    /// Anonymous and site-key callers see only this status.
    pub fn is_public(self) -> bool {
        self == Self::Published
    }
}

/// Editorial bookkeeping common to every content kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Publication {
    pub status: ContentStatus,
    /// Optimistic lock: incremented by every save.
    pub version: i32,
    pub publish_at: Option<DateTime<Utc>>,
    pub unpublish_at: Option<DateTime<Utc>>,
    pub published_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub created_by: Option<Uuid>,
    pub updated_at: DateTime<Utc>,
    pub updated_by: Option<Uuid>,
}

impl Publication {
    /// A new item, published at `now` (used by imports and the demo city).
    pub fn published(now: DateTime<Utc>) -> Self {
        Self {
            status: ContentStatus::Published,
            version: 1,
            publish_at: None,
            unpublish_at: None,
            published_at: Some(now),
            created_at: now,
            created_by: None,
            updated_at: now,
            updated_by: None,
        }
    }

    /// A new draft created at `now`.
    pub fn draft(now: DateTime<Utc>) -> Self {
        Self {
            status: ContentStatus::Draft,
            published_at: None,
            ..Self::published(now)
        }
    }
}

/// Which satellite sites may show an item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum SiteTargets {
    /// Every site whose channel admits it.
    #[default]
    All,
    /// Only these sites (ids), still subject to their channel.
    Only(Vec<Uuid>),
}

impl SiteTargets {
    pub fn includes(&self, site_id: Uuid) -> bool {
        match self {
            Self::All => true,
            Self::Only(ids) => ids.contains(&site_id),
        }
    }
}

/// A category (shared vocabulary, managed by admins) or a free tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TermKind {
    Category,
    Tag,
}

impl TermKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Category => "category",
            Self::Tag => "tag",
        }
    }
}

/// A taxonomy term.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Term {
    pub id: Uuid,
    pub kind: TermKind,
    pub slug: String,
    pub name: String,
    /// Optimistic lock: incremented by every save.
    pub version: i32,
}

/// What a caller sends to create or rename a term.
#[derive(Debug, Clone)]
pub struct TermInput {
    pub kind: TermKind,
    pub slug: Option<String>,
    pub name: String,
}

impl TermInput {
    /// Checks every field and returns the term to store under `id` at `version`.
    pub fn validate(self, id: Uuid, version: i32) -> Result<Term, crate::DomainError> {
        use crate::field::{Slug, required_text};
        let mut v = crate::Violations::new();
        let name = v.check("name", required_text(&self.name, 200));
        let slug = match &self.slug {
            Some(raw) => v.check("slug", Slug::parse(raw)),
            None => Some(Slug::from_title(&self.name)),
        };
        v.finish()?;
        Ok(Term {
            id,
            kind: self.kind,
            slug: slug.expect("checked").into_string(),
            name: name.expect("checked"),
            version,
        })
    }
}
