//! Webhook endpoints per site, their deliveries (the delivery log), and the outbox
//! positions of the consumers that must run once across every process.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("webhook_endpoints")
                .col(uuid("id").primary_key())
                .col(uuid("site_id"))
                .col(text("url"))
                .col(text("description"))
                // Sealed: HMAC needs it in clear, so it cannot be hashed (see the API).
                .col(text("secret"))
                // The secret before the last rotation, still signing until the given time.
                .col(text_null("previous_secret"))
                .col(timestamp_with_time_zone_null("previous_secret_until"))
                // Changes after this outbox position are delivered to it (none from before
                // it existed).
                .col(big_integer("from_position"))
                .col(boolean("enabled"))
                .col(text_null("disabled_reason"))
                .col(integer("failure_run"))
                .col(timestamp_with_time_zone_null("retry_at"))
                // The process sending its deliveries, until when.
                .col(text_null("lease_owner"))
                .col(timestamp_with_time_zone_null("lease_until"))
                .col(integer("version"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(
                    ForeignKey::create()
                        .from("webhook_endpoints", "site_id")
                        .to("sites", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_webhook_endpoints_site")
                .table("webhook_endpoints")
                .col("site_id")
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("webhook_deliveries")
                // The idempotency key the receiver sees (`webhook-id`).
                .col(uuid("id").primary_key())
                .col(uuid("endpoint_id"))
                .col(big_integer("outbox_id"))
                .col(text("body"))
                .col(string_len("status", 20))
                .col(integer("attempts"))
                .col(integer_null("last_status"))
                .col(text_null("last_error"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("expires_at"))
                .col(timestamp_with_time_zone_null("last_attempt_at"))
                .col(timestamp_with_time_zone_null("delivered_at"))
                .foreign_key(
                    ForeignKey::create()
                        .from("webhook_deliveries", "endpoint_id")
                        .to("webhook_endpoints", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        // One delivery per endpoint and change, whichever process fans the change out.
        m.create_index(
            Index::create()
                .name("idx_webhook_deliveries_change")
                .table("webhook_deliveries")
                .col("endpoint_id")
                .col("outbox_id")
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_webhook_deliveries_status")
                .table("webhook_deliveries")
                .col("status")
                .col("endpoint_id")
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("outbox_consumers")
                .col(string_len("name", 40).primary_key())
                .col(big_integer("position"))
                .col(timestamp_with_time_zone("updated_at"))
                .to_owned(),
        )
        .await?;
        let webhooks = Query::insert()
            .into_table("outbox_consumers")
            .columns(["name", "position", "updated_at"])
            .values_panic(["webhooks".into(), 0i64.into(), chrono::Utc::now().into()])
            .to_owned();
        m.exec_stmt(webhooks).await
    }
}
