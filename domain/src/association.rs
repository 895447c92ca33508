//! The associations directory.

use crate::content::{Publication, SiteTargets};
use crate::error::{DomainError, Violations};
use crate::field::{Email, HttpUrl, Phone, Rna, Siret, Slug, optional_text, required_text};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Everything the directory says about an association, validated and normalized.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssociationFields {
    pub slug: String,
    pub department_id: Uuid,
    pub name: String,
    pub rna: Option<String>,
    pub siret: Option<String>,
    pub purpose: Option<String>,
    pub place_id: Option<Uuid>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub website: Option<String>,
    pub social_links: Vec<String>,
    pub logo_url: Option<String>,
    pub category_ids: Vec<Uuid>,
    pub sites: SiteTargets,
}

/// A stored association.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Association {
    pub id: Uuid,
    pub publication: Publication,
    pub fields: AssociationFields,
}

/// What a caller sends to create or replace an association.
#[derive(Debug, Clone, Default)]
pub struct AssociationInput {
    pub slug: Option<String>,
    pub department_id: Uuid,
    pub name: String,
    pub rna: Option<String>,
    pub siret: Option<String>,
    pub purpose: Option<String>,
    pub place_id: Option<Uuid>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub website: Option<String>,
    pub social_links: Vec<String>,
    pub logo_url: Option<String>,
    pub category_ids: Vec<Uuid>,
    pub sites: SiteTargets,
}

impl AssociationInput {
    pub fn validate(self) -> Result<AssociationFields, DomainError> {
        let mut v = Violations::new();
        let name = v.check("name", required_text(&self.name, 300));
        let slug = match &self.slug {
            Some(raw) => v.check("slug", Slug::parse(raw)),
            None => Some(Slug::from_title(&self.name)),
        };
        let rna = v.check_opt("rna", self.rna.as_deref(), Rna::parse);
        let siret = v.check_opt("siret", self.siret.as_deref(), Siret::parse);
        let purpose = v.check("purpose", optional_text(self.purpose.as_deref(), 5000));
        let email = v.check_opt("email", self.email.as_deref(), Email::parse);
        let phone = v.check_opt("phone", self.phone.as_deref(), Phone::parse);
        let website = v.check_opt("website", self.website.as_deref(), HttpUrl::parse);
        let logo = v.check_opt("logoUrl", self.logo_url.as_deref(), HttpUrl::parse);
        let social: Vec<String> = self
            .social_links
            .iter()
            .enumerate()
            .filter_map(|(i, raw)| v.check(&format!("socialLinks.{i}"), HttpUrl::parse(raw)))
            .map(|u| u.as_str().to_owned())
            .collect();
        v.finish()?;
        Ok(AssociationFields {
            slug: slug.expect("checked").into_string(),
            department_id: self.department_id,
            name: name.expect("checked"),
            rna: rna.map(|r| r.as_str().to_owned()),
            siret: siret.map(|s| s.as_str().to_owned()),
            purpose: purpose.flatten(),
            place_id: self.place_id,
            email: email.map(|e| e.as_str().to_owned()),
            phone: phone.map(|p| p.as_str().to_owned()),
            website: website.map(|u| u.as_str().to_owned()),
            social_links: social,
            logo_url: logo.map(|u| u.as_str().to_owned()),
            category_ids: self.category_ids,
            sites: self.sites,
        })
    }
}
