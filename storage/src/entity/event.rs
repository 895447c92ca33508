//! `events`: the agenda.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub slug: String,
    pub department_id: Uuid,
    pub status: String,
    pub version: i32,
    pub publish_at: Option<DateTimeUtc>,
    pub unpublish_at: Option<DateTimeUtc>,
    pub published_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub created_by: Option<Uuid>,
    pub updated_at: DateTimeUtc,
    pub updated_by: Option<Uuid>,
    pub title: String,
    pub summary: Option<String>,
    pub body_markdown: String,
    pub body_html: String,
    pub starts_at: DateTimeUtc,
    pub ends_at: DateTimeUtc,
    pub time_zone: String,
    pub all_day: bool,
    pub rrule: Option<String>,
    /// JSON array of RFC 3339 instants.
    pub exception_dates: Json,
    /// Occurrences exist up to this instant (recurring events only).
    pub materialized_until: Option<DateTimeUtc>,
    pub event_status: String,
    pub attendance_mode: String,
    pub place_id: Option<Uuid>,
    pub online_url: Option<String>,
    pub free: bool,
    pub price: Option<String>,
    pub registration_url: Option<String>,
    pub organizer_association_id: Option<Uuid>,
    pub organizer_department_id: Option<Uuid>,
    pub age_min: Option<i32>,
    pub age_max: Option<i32>,
    pub accessible_wheelchair: bool,
    pub accessible_hearing: bool,
    pub accessible_visual: bool,
    pub accessible_mental: bool,
    pub image_url: Option<String>,
    pub image_alt: Option<String>,
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
    pub all_sites: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::occurrence::Entity")]
    Occurrence,
}

impl Related<super::occurrence::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Occurrence.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
