//! One item of any content kind, for what every kind shares: ownership, workflow state,
//! version. Writes and the rights policy handle all four kinds through it.

use crate::association::Association;
use crate::content::{ContentKind, Publication, SiteTargets};
use crate::event::Event;
use crate::news::NewsArticle;
use crate::public_service::PublicService;
use uuid::Uuid;

/// An event, association, news article or public service.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum ContentItem {
    Event(Event),
    Association(Association),
    NewsArticle(NewsArticle),
    PublicService(PublicService),
}

impl ContentItem {
    pub fn kind(&self) -> ContentKind {
        match self {
            Self::Event(_) => ContentKind::Event,
            Self::Association(_) => ContentKind::Association,
            Self::NewsArticle(_) => ContentKind::NewsArticle,
            Self::PublicService(_) => ContentKind::PublicService,
        }
    }

    pub fn id(&self) -> Uuid {
        match self {
            Self::Event(e) => e.id,
            Self::Association(a) => a.id,
            Self::NewsArticle(n) => n.id,
            Self::PublicService(s) => s.id,
        }
    }

    pub fn slug(&self) -> &str {
        match self {
            Self::Event(e) => &e.fields.slug,
            Self::Association(a) => &a.fields.slug,
            Self::NewsArticle(n) => &n.fields.slug,
            Self::PublicService(s) => &s.fields.slug,
        }
    }

    pub fn set_slug(&mut self, slug: String) {
        match self {
            Self::Event(e) => e.fields.slug = slug,
            Self::Association(a) => a.fields.slug = slug,
            Self::NewsArticle(n) => n.fields.slug = slug,
            Self::PublicService(s) => s.fields.slug = slug,
        }
    }

    /// The title or name shown in lists of drafts.
    pub fn label(&self) -> &str {
        match self {
            Self::Event(e) => &e.fields.title,
            Self::Association(a) => &a.fields.name,
            Self::NewsArticle(n) => &n.fields.title,
            Self::PublicService(s) => &s.fields.name,
        }
    }

    pub fn department_id(&self) -> Uuid {
        match self {
            Self::Event(e) => e.fields.department_id,
            Self::Association(a) => a.fields.department_id,
            Self::NewsArticle(n) => n.fields.department_id,
            Self::PublicService(s) => s.fields.department_id,
        }
    }

    /// What a site's channel tests: the sites the item targets, its categories and tags.
    pub fn channel_marks(&self) -> ChannelMarks<'_> {
        let (sites, category_ids, tag_ids): (_, _, &[Uuid]) = match self {
            Self::Event(e) => (&e.fields.sites, &e.fields.category_ids, &e.fields.tag_ids),
            Self::Association(a) => (&a.fields.sites, &a.fields.category_ids, &[]),
            Self::NewsArticle(n) => (&n.fields.sites, &n.fields.category_ids, &n.fields.tag_ids),
            Self::PublicService(s) => (&s.fields.sites, &s.fields.category_ids, &[]),
        };
        ChannelMarks {
            sites,
            category_ids,
            tag_ids,
        }
    }

    pub fn publication(&self) -> &Publication {
        match self {
            Self::Event(e) => &e.publication,
            Self::Association(a) => &a.publication,
            Self::NewsArticle(n) => &n.publication,
            Self::PublicService(s) => &s.publication,
        }
    }

    pub fn publication_mut(&mut self) -> &mut Publication {
        match self {
            Self::Event(e) => &mut e.publication,
            Self::Association(a) => &mut a.publication,
            Self::NewsArticle(n) => &mut n.publication,
            Self::PublicService(s) => &mut s.publication,
        }
    }

    /// The next version of `self` with the editor's new fields from `edited` (same kind):
    /// creation bookkeeping and workflow state are kept, the version moves on.
    pub fn revised(
        &self,
        edited: ContentItem,
        by: Uuid,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Option<Self> {
        if edited.kind() != self.kind() {
            return None;
        }
        let mut next = edited;
        let publication = Publication {
            version: self.publication().version + 1,
            updated_at: at,
            updated_by: Some(by),
            ..self.publication().clone()
        };
        *next.publication_mut() = publication;
        match &mut next {
            Self::Event(e) => e.id = self.id(),
            Self::Association(a) => a.id = self.id(),
            Self::NewsArticle(n) => n.id = self.id(),
            Self::PublicService(s) => s.id = self.id(),
        }
        Some(next)
    }
}

/// An item's attributes a site's channel is decided on.
#[derive(Debug, Clone, Copy)]
pub struct ChannelMarks<'a> {
    pub sites: &'a SiteTargets,
    pub category_ids: &'a [Uuid],
    pub tag_ids: &'a [Uuid],
}

/// One field that differs between two saved versions (dotted path, JSON values).
#[derive(Debug, Clone, PartialEq)]
pub struct FieldChange {
    pub field: String,
    pub before: serde_json::Value,
    pub after: serde_json::Value,
}

impl ContentItem {
    /// The editor's fields as JSON, for snapshots and diffs.
    pub fn fields_json(&self) -> serde_json::Value {
        let value = serde_json::to_value(self).unwrap_or_default();
        value
            .as_object()
            .and_then(|kind| kind.values().next())
            .and_then(|item| item.get("fields"))
            .cloned()
            .unwrap_or_default()
    }

    /// The fields that differ from `older` to `self`, by dotted path, in order.
    pub fn diff(&self, older: &ContentItem) -> Vec<FieldChange> {
        let mut changes = Vec::new();
        diff_values("", &older.fields_json(), &self.fields_json(), &mut changes);
        changes
    }
}

fn diff_values(
    path: &str,
    before: &serde_json::Value,
    after: &serde_json::Value,
    out: &mut Vec<FieldChange>,
) {
    use serde_json::Value;
    match (before, after) {
        (Value::Object(b), Value::Object(a)) => {
            let mut keys: Vec<&String> = b.keys().chain(a.keys()).collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                let child = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                diff_values(
                    &child,
                    b.get(key).unwrap_or(&Value::Null),
                    a.get(key).unwrap_or(&Value::Null),
                    out,
                );
            }
        }
        (b, a) if b != a => out.push(FieldChange {
            field: path.to_owned(),
            before: b.clone(),
            after: a.clone(),
        }),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::Publication;
    use crate::news::{NewsArticle, NewsInput};

    fn article(title: &str, featured: bool) -> ContentItem {
        ContentItem::NewsArticle(NewsArticle {
            id: Uuid::from_u128(1),
            publication: Publication::draft(chrono::Utc::now()),
            fields: NewsInput {
                department_id: Uuid::from_u128(2),
                title: title.into(),
                slug: Some("same".into()),
                featured,
                ..Default::default()
            }
            .validate()
            .unwrap(),
        })
    }

    #[test]
    fn a_diff_lists_the_changed_fields_and_a_snapshot_round_trips() {
        let old = article("Horaires", false);
        let new = article("Horaires d'été", true);
        let fields: Vec<String> = new.diff(&old).into_iter().map(|c| c.field).collect();
        assert_eq!(fields, vec!["featured", "title"]);
        assert!(old.diff(&old).is_empty());
        let snapshot = serde_json::to_value(&new).unwrap();
        let back: ContentItem = serde_json::from_value(snapshot).unwrap();
        assert_eq!(back, new);
    }
}
