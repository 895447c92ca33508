//! `revisions`: a snapshot of each saved version of an item.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "revisions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub content_kind: String,
    pub content_id: Uuid,
    pub version: i32,
    /// The serialized `silo_domain::item::ContentItem`.
    pub snapshot: Json,
    pub saved_at: DateTimeUtc,
    pub saved_by: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
