//! `public_services`: offices, facilities and online procedures.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "public_services")]
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
    pub kind: String,
    pub name: String,
    pub description_markdown: String,
    pub description_html: String,
    pub place_id: Option<Uuid>,
    pub opening_hours: Option<String>,
    pub time_zone: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub procedure_url: Option<String>,
    pub all_sites: bool,
    pub equipment_code: Option<String>,
    pub equipment_theme: Option<String>,
    pub equipment_type: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
