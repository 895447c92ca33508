//! `associations`: the associations directory.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "associations")]
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
    pub name: String,
    /// `name` lowercased and accent-folded in Rust, for prefix search on every backend.
    pub name_folded: String,
    pub rna: Option<String>,
    pub siret: Option<String>,
    pub purpose: Option<String>,
    pub place_id: Option<Uuid>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub website: Option<String>,
    /// JSON array of URLs.
    pub social_links: Json,
    pub logo_url: Option<String>,
    pub all_sites: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
