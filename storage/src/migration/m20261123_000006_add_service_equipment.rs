//! A public service's entry in the equipment nomenclature (for the SCDL export).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per statement.
        for column in [
            string_len_null("equipment_code", 12),
            string_len_null("equipment_theme", 40),
            string_len_null("equipment_type", 200),
        ] {
            m.alter_table(
                Table::alter()
                    .table("public_services")
                    .add_column(column)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}
