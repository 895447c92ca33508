//! `sites`: satellite websites and their channel.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sites")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub base_url: String,
    /// The serialized `silo_domain::site::Channel`.
    pub channel: Json,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::site_key::Entity")]
    SiteKey,
}

impl Related<super::site_key::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::SiteKey.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
