//! The audit log: chained entries and the head (last sequence number and hash written).

use sea_orm_migration::{prelude::*, schema::*};
use silo_domain::audit::GENESIS;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("audit_entries")
                .col(big_integer("seq").primary_key())
                .col(timestamp_with_time_zone("at"))
                .col(uuid_null("actor_id"))
                .col(text("authority"))
                .col(string_len("action", 80))
                .col(string_len("target_kind", 40))
                .col(uuid("target_id"))
                .col(uuid_null("department_id"))
                .col(text("before"))
                .col(text("after"))
                .col(string_len("prev_hash", 64))
                .col(string_len("hash", 64))
                .to_owned(),
        )
        .await?;
        for (name, column) in [
            ("idx_audit_entries_target", "target_id"),
            ("idx_audit_entries_actor", "actor_id"),
            ("idx_audit_entries_at", "at"),
        ] {
            m.create_index(
                Index::create()
                    .name(name)
                    .table("audit_entries")
                    .col(column)
                    .to_owned(),
            )
            .await?;
        }
        // One row, locked by every append: it serializes the chain across processes.
        m.create_table(
            Table::create()
                .table("audit_head")
                .col(integer("id").primary_key())
                .col(big_integer("seq"))
                .col(string_len("hash", 64))
                .to_owned(),
        )
        .await?;
        let genesis = Query::insert()
            .into_table("audit_head")
            .columns(["id", "seq", "hash"])
            .values_panic([1.into(), 0i64.into(), GENESIS.into()])
            .to_owned();
        m.exec_stmt(genesis).await
    }
}
