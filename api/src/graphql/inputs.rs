//! What editors send: GraphQL input objects, turned into the domain's inputs (which do
//! all the checking and report every refused field with its path).

use super::access::{uuid, uuids};
use super::types::{AccessibilityFlag, AttendanceMode, EventStatus, ServiceKind};
use async_graphql::{Enum, ID, InputObject, Result};
use chrono::{DateTime, Utc};
use silo_domain::association::AssociationInput as DomainAssociation;
use silo_domain::content::{self, SiteTargets};
use silo_domain::department::{self, DepartmentInput as DomainDepartment};
use silo_domain::event::{
    self as ev, Accessibility, EventInput as DomainEvent, Organizer, RecurrenceInput,
};
use silo_domain::news::NewsInput as DomainNews;
use silo_domain::place::PlaceInput as DomainPlace;
use silo_domain::public_service::PublicServiceInput as DomainService;
use silo_domain::rights;
use silo_domain::site::{Channel, SiteInput as DomainSite};

/// A department role; each includes the rights of those below it.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "rights::Role")]
pub enum Role {
    /// Creates content and edits their own drafts.
    Contributor,
    /// Edits any of the department's content.
    Editor,
    /// Publishes, unpublishes, archives.
    Publisher,
    /// Manages the department's members and delegations.
    Manager,
}

/// How a department's content reaches publication.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "department::ReviewPolicy")]
pub enum ReviewPolicy {
    /// A publisher may publish their own edits.
    None,
    /// Publishing needs a publisher other than the last editor.
    FourEyes,
}

/// The themes of the SCDL Équipements nomenclature.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "silo_domain::public_service::EquipmentTheme")]
pub enum EquipmentTheme {
    Administrative,
    Justice,
    Health,
    Social,
    SportAndLeisure,
    Education,
    Worship,
    Culture,
    Mobility,
    Other,
}

/// A facility's entry in the equipment nomenclature (SCDL Équipements export).
#[derive(InputObject)]
pub struct EquipmentInput {
    /// Eight digits of the nomenclature, a dash, three digits: `01010401-001`.
    pub code: String,
    pub theme: EquipmentTheme,
    /// The type's name in the nomenclature, e.g. `Mairie`.
    pub type_name: String,
}

/// Category (shared vocabulary, admins) or tag (free, any member).
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "content::TermKind")]
pub enum TermKind {
    Category,
    Tag,
}

/// The four kinds of content.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "content::ContentKind")]
pub enum ContentKind {
    Event,
    Association,
    NewsArticle,
    PublicService,
}

/// Where an item stands in the editorial workflow.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "content::ContentStatus")]
pub enum ContentStatus {
    Draft,
    InReview,
    Published,
    Unpublished,
    Archived,
}

/// How an event repeats.
#[derive(InputObject)]
pub struct RecurrenceInputObject {
    /// An RRULE value without DTSTART, e.g. `FREQ=WEEKLY;BYDAY=SA`.
    pub rule: String,
    /// Starts of occurrences that do not take place.
    #[graphql(default)]
    pub exception_dates: Vec<DateTime<Utc>>,
}

/// An image and its alternative text (required with an image).
#[derive(InputObject, Default)]
pub struct ImageInput {
    pub url: Option<String>,
    pub alt: Option<String>,
}

/// How to reach someone.
#[derive(InputObject, Default)]
pub struct ContactInput {
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// Ages the event is meant for, in years.
#[derive(InputObject, Default)]
pub struct AgeRangeInput {
    pub min: Option<i32>,
    pub max: Option<i32>,
}

/// An event, as an editor writes it (the whole event: an update replaces every field).
#[derive(InputObject)]
pub struct EventInput {
    /// Derived from the title when absent.
    pub slug: Option<String>,
    pub department_id: ID,
    pub title: String,
    pub summary: Option<String>,
    /// Markdown.
    #[graphql(default)]
    pub body: String,
    pub starts_at: DateTime<Utc>,
    /// Defaults to `startsAt`.
    pub ends_at: Option<DateTime<Utc>>,
    /// IANA zone; `Europe/Paris` by default.
    pub time_zone: Option<String>,
    #[graphql(default)]
    pub all_day: bool,
    pub recurrence: Option<RecurrenceInputObject>,
    pub status: Option<EventStatus>,
    pub attendance_mode: Option<AttendanceMode>,
    pub place_id: Option<ID>,
    pub online_url: Option<String>,
    #[graphql(default)]
    pub free: bool,
    pub price: Option<String>,
    pub registration_url: Option<String>,
    /// At most one of the two organizers.
    pub organizer_association_id: Option<ID>,
    pub organizer_department_id: Option<ID>,
    pub age_range: Option<AgeRangeInput>,
    #[graphql(default)]
    pub accessibility: Vec<AccessibilityFlag>,
    pub image: Option<ImageInput>,
    pub contact: Option<ContactInput>,
    #[graphql(default)]
    pub category_ids: Vec<ID>,
    #[graphql(default)]
    pub tag_ids: Vec<ID>,
    /// Only these sites; every site (whose channel admits it) when absent.
    pub site_ids: Option<Vec<ID>>,
}

fn targets(site_ids: Option<Vec<ID>>) -> Result<SiteTargets> {
    Ok(match site_ids {
        None => SiteTargets::All,
        Some(ids) => SiteTargets::Only(uuids(&ids, "siteIds")?),
    })
}

fn optional_id(id: Option<ID>, field: &str) -> Result<Option<uuid::Uuid>> {
    id.map(|id| uuid(&id, field)).transpose()
}

impl EventInput {
    pub fn into_domain(self) -> Result<DomainEvent> {
        let organizer = match (
            optional_id(self.organizer_association_id, "organizerAssociationId")?,
            optional_id(self.organizer_department_id, "organizerDepartmentId")?,
        ) {
            (Some(_), Some(_)) => {
                return Err(super::error::bad_input(
                    "organizerDepartmentId",
                    "give at most one organizer",
                ));
            }
            (Some(a), None) => Some(Organizer::Association(a)),
            (None, Some(d)) => Some(Organizer::Department(d)),
            (None, None) => None,
        };
        let mut accessibility = Accessibility::default();
        for flag in self.accessibility {
            match flag {
                AccessibilityFlag::Wheelchair => accessibility.wheelchair = true,
                AccessibilityFlag::Hearing => accessibility.hearing = true,
                AccessibilityFlag::Visual => accessibility.visual = true,
                AccessibilityFlag::Mental => accessibility.mental = true,
            }
        }
        let image = self.image.unwrap_or_default();
        let contact = self.contact.unwrap_or_default();
        let ages = self.age_range.unwrap_or_default();
        Ok(DomainEvent {
            slug: self.slug,
            department_id: uuid(&self.department_id, "departmentId")?,
            title: self.title,
            summary: self.summary,
            body_markdown: self.body,
            starts_at: self.starts_at,
            ends_at: self.ends_at,
            time_zone: self.time_zone,
            all_day: self.all_day,
            recurrence: self.recurrence.map(|r| RecurrenceInput {
                rule: r.rule,
                exception_dates: r.exception_dates,
            }),
            event_status: self.status.map(Into::into).unwrap_or_default(),
            attendance_mode: match self.attendance_mode {
                None | Some(AttendanceMode::Offline) => ev::AttendanceMode::Offline,
                Some(AttendanceMode::Online) => ev::AttendanceMode::Online,
                Some(AttendanceMode::Mixed) => ev::AttendanceMode::Mixed,
            },
            place_id: optional_id(self.place_id, "placeId")?,
            online_url: self.online_url,
            free: self.free,
            price: self.price,
            registration_url: self.registration_url,
            organizer,
            age_min: ages.min,
            age_max: ages.max,
            accessibility,
            image_url: image.url,
            image_alt: image.alt,
            contact_email: contact.email,
            contact_phone: contact.phone,
            category_ids: uuids(&self.category_ids, "categoryIds")?,
            tag_ids: uuids(&self.tag_ids, "tagIds")?,
            sites: targets(self.site_ids)?,
        })
    }
}

/// An association of the directory.
#[derive(InputObject)]
pub struct AssociationInput {
    pub slug: Option<String>,
    pub department_id: ID,
    pub name: String,
    /// RNA number: `W` and 9 digits.
    pub rna: Option<String>,
    /// 14 digits (Luhn).
    pub siret: Option<String>,
    pub purpose: Option<String>,
    pub place_id: Option<ID>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub website: Option<String>,
    #[graphql(default)]
    pub social_links: Vec<String>,
    pub logo_url: Option<String>,
    #[graphql(default)]
    pub category_ids: Vec<ID>,
    pub site_ids: Option<Vec<ID>>,
}

impl AssociationInput {
    pub fn into_domain(self) -> Result<DomainAssociation> {
        Ok(DomainAssociation {
            slug: self.slug,
            department_id: uuid(&self.department_id, "departmentId")?,
            name: self.name,
            rna: self.rna,
            siret: self.siret,
            purpose: self.purpose,
            place_id: optional_id(self.place_id, "placeId")?,
            email: self.email,
            phone: self.phone,
            website: self.website,
            social_links: self.social_links,
            logo_url: self.logo_url,
            category_ids: uuids(&self.category_ids, "categoryIds")?,
            sites: targets(self.site_ids)?,
        })
    }
}

/// A news article.
#[derive(InputObject)]
pub struct NewsArticleInput {
    pub slug: Option<String>,
    pub department_id: ID,
    pub title: String,
    pub summary: Option<String>,
    /// Markdown.
    #[graphql(default)]
    pub body: String,
    pub image: Option<ImageInput>,
    #[graphql(default)]
    pub featured: bool,
    #[graphql(default)]
    pub category_ids: Vec<ID>,
    #[graphql(default)]
    pub tag_ids: Vec<ID>,
    pub site_ids: Option<Vec<ID>>,
}

impl NewsArticleInput {
    pub fn into_domain(self) -> Result<DomainNews> {
        let image = self.image.unwrap_or_default();
        Ok(DomainNews {
            slug: self.slug,
            department_id: uuid(&self.department_id, "departmentId")?,
            title: self.title,
            summary: self.summary,
            body_markdown: self.body,
            image_url: image.url,
            image_alt: image.alt,
            featured: self.featured,
            category_ids: uuids(&self.category_ids, "categoryIds")?,
            tag_ids: uuids(&self.tag_ids, "tagIds")?,
            sites: targets(self.site_ids)?,
        })
    }
}

/// A public service: office, facility or online procedure.
#[derive(InputObject)]
pub struct PublicServiceInput {
    pub slug: Option<String>,
    pub department_id: ID,
    pub kind: ServiceKind,
    pub name: String,
    /// Markdown.
    #[graphql(default)]
    pub description: String,
    pub place_id: Option<ID>,
    /// OpenStreetMap `opening_hours` syntax.
    pub opening_hours: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub procedure_url: Option<String>,
    /// Its entry in the equipment nomenclature, for the SCDL export.
    pub equipment: Option<EquipmentInput>,
    #[graphql(default)]
    pub category_ids: Vec<ID>,
    pub site_ids: Option<Vec<ID>>,
}

impl PublicServiceInput {
    pub fn into_domain(self) -> Result<DomainService> {
        Ok(DomainService {
            slug: self.slug,
            department_id: uuid(&self.department_id, "departmentId")?,
            kind: self.kind.into(),
            name: self.name,
            description_markdown: self.description,
            place_id: optional_id(self.place_id, "placeId")?,
            opening_hours: self.opening_hours,
            phone: self.phone,
            email: self.email,
            procedure_url: self.procedure_url,
            equipment: self
                .equipment
                .map(|e| (e.code, e.theme.into(), e.type_name)),
            category_ids: uuids(&self.category_ids, "categoryIds")?,
            sites: targets(self.site_ids)?,
        })
    }
}

/// A place shared by events, services and associations.
#[derive(InputObject)]
pub struct PlaceInput {
    pub name: String,
    pub street_address: Option<String>,
    /// 5-digit French postal code.
    pub postal_code: Option<String>,
    pub city: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

impl From<PlaceInput> for DomainPlace {
    fn from(p: PlaceInput) -> Self {
        DomainPlace {
            name: p.name,
            street_address: p.street_address,
            postal_code: p.postal_code,
            city: p.city,
            latitude: p.latitude,
            longitude: p.longitude,
        }
    }
}

/// A category or a tag.
#[derive(InputObject)]
pub struct TermInput {
    pub kind: TermKind,
    /// Derived from the name when absent.
    pub slug: Option<String>,
    pub name: String,
}

impl From<TermInput> for content::TermInput {
    fn from(t: TermInput) -> Self {
        content::TermInput {
            kind: t.kind.into(),
            slug: t.slug,
            name: t.name,
        }
    }
}

/// A department.
#[derive(InputObject)]
pub struct DepartmentInput {
    pub parent_id: Option<ID>,
    pub slug: Option<String>,
    pub name: String,
    pub review_policy: Option<ReviewPolicy>,
    /// IANA zone; `Europe/Paris` by default.
    pub time_zone: Option<String>,
}

impl DepartmentInput {
    pub fn into_domain(self) -> Result<DomainDepartment> {
        Ok(DomainDepartment {
            parent_id: optional_id(self.parent_id, "parentId")?,
            slug: self.slug,
            name: self.name,
            review_policy: self.review_policy.map(Into::into).unwrap_or_default(),
            time_zone: self.time_zone,
        })
    }
}

/// Which content a site shows; empty lists mean no restriction.
#[derive(InputObject, Default)]
pub struct ChannelInput {
    #[graphql(default)]
    pub department_ids: Vec<ID>,
    #[graphql(default)]
    pub category_ids: Vec<ID>,
    #[graphql(default)]
    pub tag_ids: Vec<ID>,
}

/// A satellite site.
#[derive(InputObject)]
pub struct SiteInput {
    pub slug: Option<String>,
    pub name: String,
    pub base_url: String,
    pub channel: Option<ChannelInput>,
}

impl SiteInput {
    pub fn into_domain(self) -> Result<DomainSite> {
        let channel = self.channel.unwrap_or_default();
        Ok(DomainSite {
            slug: self.slug,
            name: self.name,
            base_url: self.base_url,
            channel: Channel {
                department_ids: uuids(&channel.department_ids, "channel.departmentIds")?,
                category_ids: uuids(&channel.category_ids, "channel.categoryIds")?,
                tag_ids: uuids(&channel.tag_ids, "channel.tagIds")?,
            },
        })
    }
}
