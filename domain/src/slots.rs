//! Homepage and featured slots of a site: an ordered list of content references, each
//! with an optional validity window.

use crate::content::ContentKind;
use crate::error::{DomainError, Violations};
use crate::field::Slug;
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// Most entries one slot holds.
pub const MAX_ENTRIES: usize = 50;

/// One placed item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotEntry {
    pub kind: ContentKind,
    pub content_id: Uuid,
    pub valid_from: Option<DateTime<Utc>>,
    pub valid_until: Option<DateTime<Utc>>,
}

impl SlotEntry {
    /// Whether the entry is shown at `now`.
    pub fn shown_at(&self, now: DateTime<Utc>) -> bool {
        self.valid_from.is_none_or(|t| t <= now) && self.valid_until.is_none_or(|t| now < t)
    }
}

/// Checks a slot's name (a slug: `homepage`, `featured`) and its entries.
pub fn check_slot(name: &str, entries: &[SlotEntry]) -> Result<String, DomainError> {
    let mut v = Violations::new();
    let name = v.check("name", Slug::parse(name));
    if entries.len() > MAX_ENTRIES {
        v.push("items", format!("a slot holds at most {MAX_ENTRIES} items"));
    }
    for (i, e) in entries.iter().enumerate() {
        if let (Some(from), Some(until)) = (e.valid_from, e.valid_until)
            && until <= from
        {
            v.push(&format!("items.{i}.validUntil"), "must be after validFrom");
        }
        if entries[..i].iter().any(|o| o.content_id == e.content_id) {
            v.push(&format!("items.{i}.id"), "is already in the slot");
        }
    }
    v.finish()?;
    Ok(name.expect("checked").into_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn entry(from: Option<i64>, until: Option<i64>) -> SlotEntry {
        let now = Utc::now();
        SlotEntry {
            kind: ContentKind::NewsArticle,
            content_id: Uuid::now_v7(),
            valid_from: from.map(|d| now + Duration::days(d)),
            valid_until: until.map(|d| now + Duration::days(d)),
        }
    }

    #[test]
    fn windows_and_names_are_checked() {
        let now = Utc::now();
        assert!(entry(None, None).shown_at(now));
        assert!(entry(Some(-1), Some(1)).shown_at(now));
        assert!(!entry(Some(1), None).shown_at(now));
        assert!(!entry(None, Some(-1)).shown_at(now));
        assert_eq!(
            check_slot("homepage", &[entry(None, None)]).unwrap(),
            "homepage"
        );
        assert!(check_slot("Home Page!", &[]).is_err());
        assert!(check_slot("homepage", &[entry(Some(2), Some(1))]).is_err());
        let same = entry(None, None);
        assert!(check_slot("homepage", &[same.clone(), same]).is_err());
    }
}
