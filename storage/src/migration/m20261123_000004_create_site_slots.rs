//! Sites' homepage and featured slots.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("site_slots")
                .col(pk_uuid("id"))
                .col(uuid("site_id"))
                .col(string_len("name", 120))
                .col(integer("position"))
                .col(string_len("content_kind", 20))
                .col(uuid("content_id"))
                .col(timestamp_with_time_zone_null("valid_from"))
                .col(timestamp_with_time_zone_null("valid_until"))
                .foreign_key(
                    ForeignKey::create()
                        .from("site_slots", "site_id")
                        .to("sites", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_site_slots_site_name")
                .table("site_slots")
                .col("site_id")
                .col("name")
                .col("position")
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_site_slots_content")
                .table("site_slots")
                .col("content_id")
                .to_owned(),
        )
        .await
    }
}
