//! News articles.

use crate::content::{Publication, SiteTargets};
use crate::error::{DomainError, Violations};
use crate::field::{HttpUrl, Slug, optional_text, required_text};
use crate::markdown;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Everything an editor writes in a news article, validated and normalized.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewsFields {
    pub slug: String,
    pub department_id: Uuid,
    pub title: String,
    pub summary: Option<String>,
    pub body_markdown: String,
    pub body_html: String,
    pub image_url: Option<String>,
    pub image_alt: Option<String>,
    pub featured: bool,
    pub category_ids: Vec<Uuid>,
    pub tag_ids: Vec<Uuid>,
    pub sites: SiteTargets,
}

/// A stored news article.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewsArticle {
    pub id: Uuid,
    pub publication: Publication,
    pub fields: NewsFields,
}

/// What a caller sends to create or replace a news article.
#[derive(Debug, Clone, Default)]
pub struct NewsInput {
    pub slug: Option<String>,
    pub department_id: Uuid,
    pub title: String,
    pub summary: Option<String>,
    pub body_markdown: String,
    pub image_url: Option<String>,
    pub image_alt: Option<String>,
    pub featured: bool,
    pub category_ids: Vec<Uuid>,
    pub tag_ids: Vec<Uuid>,
    pub sites: SiteTargets,
}

impl NewsInput {
    pub fn validate(self) -> Result<NewsFields, DomainError> {
        let mut v = Violations::new();
        let title = v.check("title", required_text(&self.title, 300));
        let slug = match &self.slug {
            Some(raw) => v.check("slug", Slug::parse(raw)),
            None => Some(Slug::from_title(&self.title)),
        };
        let summary = v.check("summary", optional_text(self.summary.as_deref(), 1000));
        if self.body_markdown.len() > 100_000 {
            v.push("body", "must be at most 100,000 bytes");
        }
        let image_url = v.check_opt("image.url", self.image_url.as_deref(), HttpUrl::parse);
        let image_alt = v.check("image.alt", optional_text(self.image_alt.as_deref(), 300));
        if self.image_url.is_some() && image_alt.as_ref().is_some_and(Option::is_none) {
            v.push("image.alt", "an image needs its alternative text");
        }
        v.finish()?;
        Ok(NewsFields {
            slug: slug.expect("checked").into_string(),
            department_id: self.department_id,
            title: title.expect("checked"),
            summary: summary.flatten(),
            body_html: markdown::render_html(&self.body_markdown),
            body_markdown: self.body_markdown,
            image_url: image_url.map(|u| u.as_str().to_owned()),
            image_alt: image_alt.flatten(),
            featured: self.featured,
            category_ids: self.category_ids,
            tag_ids: self.tag_ids,
            sites: self.sites,
        })
    }
}
