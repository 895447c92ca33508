//! Schema migrations, written once with the portable schema helpers so the same steps run
//! on SQLite and PostgreSQL. A shipped migration is never edited; there are no downgrades.

use sea_orm_migration::prelude::*;

mod m20261123_000001_create_content_tables;
mod m20261123_000002_create_identity_tables;
mod m20261123_000003_create_revisions;
mod m20261123_000004_create_site_slots;
mod m20261123_000005_create_audit_log;
mod m20261123_000006_add_service_equipment;
mod m20261124_000007_create_webhooks;

/// Every migration, in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_create_content_tables::Migration),
            Box::new(m20261123_000002_create_identity_tables::Migration),
            Box::new(m20261123_000003_create_revisions::Migration),
            Box::new(m20261123_000004_create_site_slots::Migration),
            Box::new(m20261123_000005_create_audit_log::Migration),
            Box::new(m20261123_000006_add_service_equipment::Migration),
            Box::new(m20261124_000007_create_webhooks::Migration),
        ]
    }
}
