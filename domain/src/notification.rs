//! What satellites are told when content changes (subscriptions and webhooks), and which
//! changes each audience may learn of: a draft's existence is as private as its content.

use crate::content::{ContentKind, ContentStatus, SiteTargets};

use crate::department::Department;
use crate::rights::{Action, DepartmentPath, Principal, Resource, authorize};
use crate::site::SiteScope;
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// What happened to an item, as a satellite needs it to refresh or purge a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChangeType {
    /// It became public.
    Published,
    /// Its fields or state changed without it becoming or ceasing to be public.
    Updated,
    /// It stopped being public: unpublished, archived, taken down.
    Unpublished,
    Deleted,
}

impl ChangeType {
    /// The outbox's change names (`created`, `updated`, `published`, `unpublished`,
    /// `deleted`); a creation is an update of something nobody could see before.
    pub fn of_outbox(change: &str) -> Self {
        match change {
            "published" => Self::Published,
            "unpublished" => Self::Unpublished,
            "deleted" => Self::Deleted,
            _ => Self::Updated,
        }
    }

    /// The name satellites see (the GraphQL enum's).
    pub fn name(self) -> &'static str {
        match self {
            Self::Published => "PUBLISHED",
            Self::Updated => "UPDATED",
            Self::Unpublished => "UNPUBLISHED",
            Self::Deleted => "DELETED",
        }
    }
}

/// One change of an item of content, with what deciding its audience takes.
#[derive(Debug, Clone, PartialEq)]
pub struct ContentChange {
    /// The outbox position: changes are told in this order.
    pub position: i64,
    pub kind: ContentKind,
    pub id: Uuid,
    pub slug: String,
    pub change: ChangeType,
    pub version: i32,
    pub at: DateTime<Utc>,
    /// Where the item stands after the change.
    pub placement: Placement,
    /// Where it stood before, when an edit moved it (another department, other sites,
    /// categories or tags): the sites it left hear of the change too.
    pub previous_placement: Option<Placement>,
    /// The state the change left the item in.
    pub status: ContentStatus,
    pub created_by: Option<Uuid>,
}

/// What decides which sites' channels an item is in.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Placement {
    pub department_id: Uuid,
    pub sites: SiteTargets,
    pub category_ids: Vec<Uuid>,
    pub tag_ids: Vec<Uuid>,
}

impl Placement {
    pub fn of(item: &crate::item::ContentItem) -> Self {
        let marks = item.channel_marks();
        Self {
            department_id: item.department_id(),
            sites: marks.sites.clone(),
            category_ids: marks.category_ids.to_vec(),
            tag_ids: marks.tag_ids.to_vec(),
        }
    }

    fn in_channel(&self, scope: &SiteScope) -> bool {
        scope.admits(
            &self.sites,
            self.department_id,
            &self.category_ids,
            &self.tag_ids,
        )
    }
}

impl ContentChange {
    /// Whether anyone may learn of it: the item is public after the change, or was before
    /// it (an unpublish, a takedown).
    pub fn is_public(&self) -> bool {
        match self.change {
            ChangeType::Published | ChangeType::Unpublished => true,
            ChangeType::Updated | ChangeType::Deleted => self.status == ContentStatus::Published,
        }
    }

    /// Whether the item belongs to the site's channel, or did before this change.
    pub fn in_channel(&self, scope: &SiteScope) -> bool {
        self.placement.in_channel(scope)
            || self
                .previous_placement
                .as_ref()
                .is_some_and(|p| p.in_channel(scope))
    }

    /// Whether `principal`, reading through `scope` when a site is named, may be told of
    /// this change: public changes for anyone, the others for those the rights policy
    /// lets read the item unpublished.
    pub fn visible_to(
        &self,
        principal: &Principal,
        scope: Option<&SiteScope>,
        departments: &[Department],
        now: DateTime<Utc>,
    ) -> bool {
        if scope.is_some_and(|scope| !self.in_channel(scope)) {
            return false;
        }
        if self.is_public() {
            return true;
        }
        let Some(path) = DepartmentPath::of(departments, self.placement.department_id) else {
            return false;
        };
        let resource = Resource::Content {
            department: &path,
            created_by: self.created_by,
            status: self.status,
        };
        authorize(principal, Action::ReadDraft, &resource, now).is_ok()
    }

    /// The change as satellites receive it (a webhook's `data`, the subscription's fields).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "kind": self.kind.as_str().to_uppercase(),
            "id": self.id,
            "slug": self.slug,
            "change": self.change.name(),
            "version": self.version,
            "at": self.at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        })
    }
}

#[cfg(test)]
mod tests;
