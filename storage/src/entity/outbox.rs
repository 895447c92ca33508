//! `outbox`: changes waiting for the workers, in commit order.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub aggregate: String,
    pub aggregate_id: Uuid,
    pub change: String,
    pub version: Option<i32>,
    pub department_id: Option<Uuid>,
    pub actor_id: Option<Uuid>,
    pub payload: Json,
    pub occurred_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
