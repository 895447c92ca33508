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
