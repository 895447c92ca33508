//! Revisions: a snapshot of every saved version of every item, kept after deletion.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("revisions")
                .col(pk_uuid("id"))
                .col(string_len("content_kind", 20))
                .col(uuid("content_id"))
                .col(integer("version"))
                .col(json("snapshot"))
                .col(timestamp_with_time_zone("saved_at"))
                .col(uuid_null("saved_by"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_revisions_content_version")
                .table("revisions")
                .col("content_id")
                .col("version")
                .unique()
                .to_owned(),
        )
        .await
    }
}
