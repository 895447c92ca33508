//! Satellite sites and the channel that decides what each one shows.

use crate::content::SiteTargets;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Which content a satellite site shows. An empty list means "no restriction".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Channel {
    /// Departments whose content the site shows (sub-departments included).
    pub department_ids: Vec<Uuid>,
    /// The item must carry at least one of these categories.
    pub category_ids: Vec<Uuid>,
    /// The item must carry at least one of these tags.
    pub tag_ids: Vec<Uuid>,
}

/// A satellite website reading from the hub.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Site {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub base_url: String,
    pub channel: Channel,
    /// Optimistic lock: incremented by every save.
    pub version: i32,
}

/// A channel resolved against the department tree, ready to filter content.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SiteScope {
    pub site_id: Uuid,
    /// Empty means every department.
    pub department_ids: Vec<Uuid>,
    pub category_ids: Vec<Uuid>,
    pub tag_ids: Vec<Uuid>,
}

impl SiteScope {
    /// Expands the channel's departments to their sub-departments.
    pub fn resolve(site: &Site, departments: &[crate::department::Department]) -> Self {
        let mut department_ids: Vec<Uuid> = site
            .channel
            .department_ids
            .iter()
            .flat_map(|root| crate::department::subtree(departments, *root))
            .collect();
        department_ids.sort();
        department_ids.dedup();
        Self {
            site_id: site.id,
            department_ids,
            category_ids: site.channel.category_ids.clone(),
            tag_ids: site.channel.tag_ids.clone(),
        }
    }

    /// Whether an item with these attributes belongs to the site.
    pub fn admits(
        &self,
        targets: &SiteTargets,
        department_id: Uuid,
        category_ids: &[Uuid],
        tag_ids: &[Uuid],
    ) -> bool {
        let any = |wanted: &[Uuid], have: &[Uuid]| {
            wanted.is_empty() || wanted.iter().any(|w| have.contains(w))
        };
        targets.includes(self.site_id)
            && (self.department_ids.is_empty() || self.department_ids.contains(&department_id))
            && any(&self.category_ids, category_ids)
            && any(&self.tag_ids, tag_ids)
    }
}

/// What a caller sends to create or replace a site.
#[derive(Debug, Clone, Default)]
pub struct SiteInput {
    pub slug: Option<String>,
    pub name: String,
    pub base_url: String,
    pub channel: Channel,
}

impl SiteInput {
    /// Checks every field and returns the site to store under `id` at `version`.
    pub fn validate(self, id: Uuid, version: i32) -> Result<Site, crate::DomainError> {
        use crate::field::{HttpUrl, Slug, required_text};
        let mut v = crate::Violations::new();
        let name = v.check("name", required_text(&self.name, 200));
        let slug = match &self.slug {
            Some(raw) => v.check("slug", Slug::parse(raw)),
            None => Some(Slug::from_title(&self.name)),
        };
        let base_url = v.check("baseUrl", HttpUrl::parse(&self.base_url));
        v.finish()?;
        Ok(Site {
            id,
            slug: slug.expect("checked").into_string(),
            name: name.expect("checked"),
            base_url: base_url.expect("checked").as_str().to_owned(),
            channel: self.channel,
            version,
        })
    }
}
