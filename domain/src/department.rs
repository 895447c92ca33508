//! Municipal departments: a tree, each with its review policy and time zone.

use crate::error::{DomainError, Violations};
use crate::field::{Slug, TimeZone, required_text};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// How a department's content reaches publication.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum ReviewPolicy {
    /// A publisher may publish their own edits.
    #[default]
    None,
    /// Publishing needs a publisher other than the last editor.
    FourEyes,
}

impl ReviewPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::FourEyes => "four_eyes",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "none" => Some(Self::None),
            "four_eyes" => Some(Self::FourEyes),
            _ => None,
        }
    }
}

/// A department (culture, sports, libraries…), possibly inside a parent department.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Department {
    pub id: Uuid,
    pub parent_id: Option<Uuid>,
    pub slug: String,
    pub name: String,
    pub review_policy: ReviewPolicy,
    pub time_zone: String,
    /// Optimistic lock: incremented by every save.
    pub version: i32,
}

/// What a caller sends to create a department.
#[derive(Debug, Clone, Default)]
pub struct DepartmentInput {
    pub parent_id: Option<Uuid>,
    pub slug: Option<String>,
    pub name: String,
    pub review_policy: ReviewPolicy,
    pub time_zone: Option<String>,
}

impl DepartmentInput {
    /// Checks every field and returns the department to store under `id`.
    pub fn validate(self, id: Uuid) -> Result<Department, DomainError> {
        let mut v = Violations::new();
        let name = v.check("name", required_text(&self.name, 200));
        let slug = match &self.slug {
            Some(raw) => v.check("slug", Slug::parse(raw)),
            None => Some(Slug::from_title(&self.name)),
        };
        let tz = match &self.time_zone {
            Some(raw) => v.check("timeZone", TimeZone::parse(raw)),
            None => Some(TimeZone::paris()),
        };
        v.finish()?;
        Ok(Department {
            id,
            parent_id: self.parent_id,
            slug: slug.expect("checked").into_string(),
            name: name.expect("checked"),
            review_policy: self.review_policy,
            time_zone: tz.expect("checked").name().to_owned(),
            version: 1,
        })
    }
}

/// The ids of `root` and of every department below it in `all`.
pub fn subtree(all: &[Department], root: Uuid) -> Vec<Uuid> {
    let mut out = vec![root];
    let mut i = 0;
    while i < out.len() {
        let parent = out[i];
        out.extend(
            all.iter()
                .filter(|d| d.parent_id == Some(parent) && !out.contains(&d.id))
                .map(|d| d.id)
                .collect::<Vec<_>>(),
        );
        i += 1;
    }
    out
}
