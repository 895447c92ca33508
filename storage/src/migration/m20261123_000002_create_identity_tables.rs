//! Identity and rights: users, memberships (own and delegated), site curators, refresh
//! tokens, site keys, failed sign-ins; the transactional outbox; and a version on every
//! editable table for optimistic concurrency.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn cascade(
    from: &'static str,
    column: &'static str,
    to: &'static str,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from, column)
        .to(to, "id")
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

fn index(table: &'static str, name: &str, columns: &[&'static str]) -> IndexCreateStatement {
    let mut stmt = Index::create();
    stmt.name(name).table(table);
    for column in columns {
        stmt.col(*column);
    }
    stmt.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite takes one column per ALTER TABLE.
        for table in ["departments", "places", "terms", "sites"] {
            m.alter_table(
                Table::alter()
                    .table(table)
                    .add_column(integer("version").default(1))
                    .to_owned(),
            )
            .await?;
        }
        m.create_table(
            Table::create()
                .table("users")
                .col(pk_uuid("id"))
                .col(string_len_uniq("email", 254))
                .col(string_len("password_hash", 200))
                .col(boolean("admin"))
                .col(boolean("auditor"))
                .col(boolean("disabled"))
                .col(integer("version"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("memberships")
                .col(pk_uuid("id"))
                .col(uuid("user_id"))
                .col(uuid("department_id"))
                .col(string_len("role", 20))
                .col(timestamp_with_time_zone_null("valid_from"))
                .col(timestamp_with_time_zone_null("valid_until"))
                .col(uuid_null("delegated_by"))
                .col(timestamp_with_time_zone("created_at"))
                .col(uuid_null("created_by"))
                .foreign_key(&mut cascade("memberships", "user_id", "users"))
                .foreign_key(&mut cascade("memberships", "department_id", "departments"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("memberships", "idx_memberships_user", &["user_id"]))
            .await?;
        m.create_index(index(
            "memberships",
            "idx_memberships_department",
            &["department_id"],
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("site_curators")
                .col(uuid("site_id"))
                .col(uuid("user_id"))
                .primary_key(Index::create().col("site_id").col("user_id"))
                .foreign_key(&mut cascade("site_curators", "site_id", "sites"))
                .foreign_key(&mut cascade("site_curators", "user_id", "users"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("refresh_tokens")
                .col(pk_uuid("id"))
                .col(uuid("user_id"))
                .col(uuid("family_id"))
                .col(string_len_uniq("token_hash", 64))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("expires_at"))
                .col(timestamp_with_time_zone_null("used_at"))
                .col(timestamp_with_time_zone_null("revoked_at"))
                .foreign_key(&mut cascade("refresh_tokens", "user_id", "users"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "refresh_tokens",
            "idx_refresh_tokens_family",
            &["family_id"],
        ))
        .await?;
        m.create_index(index(
            "refresh_tokens",
            "idx_refresh_tokens_user",
            &["user_id"],
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("site_keys")
                .col(pk_uuid("id"))
                .col(uuid("site_id"))
                .col(string_len("label", 200))
                .col(string_len("prefix", 20))
                .col(string_len_uniq("key_hash", 64))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone_null("revoked_at"))
                .foreign_key(&mut cascade("site_keys", "site_id", "sites"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("login_failures")
                .col(pk_uuid("id"))
                .col(string_len("subject", 300))
                .col(timestamp_with_time_zone("failed_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "login_failures",
            "idx_login_failures_subject",
            &["subject", "failed_at"],
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("outbox")
                .col(big_pk_auto("id"))
                .col(string_len("aggregate", 40))
                .col(uuid("aggregate_id"))
                .col(string_len("change", 20))
                .col(integer_null("version"))
                .col(uuid_null("department_id"))
                .col(uuid_null("actor_id"))
                .col(json("payload"))
                .col(timestamp_with_time_zone("occurred_at"))
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
