//! The content hub: departments, places, taxonomy, sites and the four content kinds.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Columns every content kind carries: owner, workflow state and bookkeeping.
fn content_table(name: &'static str) -> TableCreateStatement {
    Table::create()
        .table(name)
        .col(pk_uuid("id"))
        .col(string_len("slug", 120))
        .col(uuid("department_id"))
        .col(string_len("status", 20))
        .col(integer("version"))
        .col(timestamp_with_time_zone_null("publish_at"))
        .col(timestamp_with_time_zone_null("unpublish_at"))
        .col(timestamp_with_time_zone_null("published_at"))
        .col(timestamp_with_time_zone("created_at"))
        .col(uuid_null("created_by"))
        .col(timestamp_with_time_zone("updated_at"))
        .col(uuid_null("updated_by"))
        .col(boolean("all_sites"))
        .foreign_key(
            ForeignKey::create()
                .from(name, "department_id")
                .to("departments", "id")
                .on_delete(ForeignKeyAction::Restrict),
        )
        .to_owned()
}

fn index(
    table: &'static str,
    name: &str,
    columns: &[&'static str],
    unique: bool,
) -> IndexCreateStatement {
    let mut stmt = Index::create();
    stmt.name(name).table(table);
    for column in columns {
        stmt.col(*column);
    }
    if unique {
        stmt.unique();
    }
    stmt.to_owned()
}

fn place_fk(table: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, "place_id")
        .to("places", "id")
        .on_delete(ForeignKeyAction::SetNull)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("departments")
                .col(pk_uuid("id"))
                .col(uuid_null("parent_id"))
                .col(string_len_uniq("slug", 120))
                .col(string_len("name", 200))
                .col(string_len("review_policy", 20))
                .col(string_len("time_zone", 64))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(
                    ForeignKey::create()
                        .from("departments", "parent_id")
                        .to("departments", "id")
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("places")
                .col(pk_uuid("id"))
                .col(string_len("name", 200))
                .col(string_len_null("street_address", 300))
                .col(string_len_null("postal_code", 5))
                .col(string_len("city", 200))
                .col(double_null("latitude"))
                .col(double_null("longitude"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "places",
            "idx_places_geo",
            &["latitude", "longitude"],
            false,
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("terms")
                .col(pk_uuid("id"))
                .col(string_len("kind", 20))
                .col(string_len("slug", 120))
                .col(string_len("name", 200))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "terms",
            "idx_terms_kind_slug",
            &["kind", "slug"],
            true,
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("sites")
                .col(pk_uuid("id"))
                .col(string_len_uniq("slug", 120))
                .col(string_len("name", 200))
                .col(string_len("base_url", 500))
                .col(json("channel"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("content_terms")
                .col(uuid("content_id"))
                .col(uuid("term_id"))
                .primary_key(Index::create().col("content_id").col("term_id"))
                .foreign_key(
                    ForeignKey::create()
                        .from("content_terms", "term_id")
                        .to("terms", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "content_terms",
            "idx_content_terms_term",
            &["term_id", "content_id"],
            false,
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("content_sites")
                .col(uuid("content_id"))
                .col(uuid("site_id"))
                .primary_key(Index::create().col("content_id").col("site_id"))
                .foreign_key(
                    ForeignKey::create()
                        .from("content_sites", "site_id")
                        .to("sites", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;

        m.create_table(
            content_table("events")
                .col(string_len("title", 300))
                .col(text_null("summary"))
                .col(text("body_markdown"))
                .col(text("body_html"))
                .col(timestamp_with_time_zone("starts_at"))
                .col(timestamp_with_time_zone("ends_at"))
                .col(string_len("time_zone", 64))
                .col(boolean("all_day"))
                .col(text_null("rrule"))
                .col(json("exception_dates"))
                .col(timestamp_with_time_zone_null("materialized_until"))
                .col(string_len("event_status", 20))
                .col(string_len("attendance_mode", 20))
                .col(uuid_null("place_id"))
                .col(string_len_null("online_url", 2000))
                .col(boolean("free"))
                .col(string_len_null("price", 300))
                .col(string_len_null("registration_url", 2000))
                .col(uuid_null("organizer_association_id"))
                .col(uuid_null("organizer_department_id"))
                .col(integer_null("age_min"))
                .col(integer_null("age_max"))
                .col(boolean("accessible_wheelchair"))
                .col(boolean("accessible_hearing"))
                .col(boolean("accessible_visual"))
                .col(boolean("accessible_mental"))
                .col(string_len_null("image_url", 2000))
                .col(string_len_null("image_alt", 300))
                .col(string_len_null("contact_email", 254))
                .col(string_len_null("contact_phone", 20))
                .foreign_key(&mut place_fk("events"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("events", "idx_events_slug", &["slug"], true))
            .await?;
        m.create_index(index(
            "events",
            "idx_events_department",
            &["department_id"],
            false,
        ))
        .await?;
        // No index on `status`: nearly every event is published, and such an index lures
        // the planner away from the occurrence window index.
        m.create_table(
            Table::create()
                .table("occurrences")
                .col(pk_uuid("id"))
                .col(uuid("event_id"))
                .col(timestamp_with_time_zone("starts_at"))
                .col(timestamp_with_time_zone("ends_at"))
                .foreign_key(
                    ForeignKey::create()
                        .from("occurrences", "event_id")
                        .to("events", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        // The agenda reads occurrences in (start, id) order inside a window.
        m.create_index(index(
            "occurrences",
            "idx_occurrences_window",
            &["starts_at", "id"],
            false,
        ))
        .await?;
        m.create_index(index(
            "occurrences",
            "idx_occurrences_event",
            &["event_id", "starts_at"],
            false,
        ))
        .await?;

        m.create_table(
            content_table("associations")
                .col(string_len("name", 300))
                .col(string_len("name_folded", 300))
                .col(string_len_null("rna", 10))
                .col(string_len_null("siret", 14))
                .col(text_null("purpose"))
                .col(uuid_null("place_id"))
                .col(string_len_null("email", 254))
                .col(string_len_null("phone", 20))
                .col(string_len_null("website", 2000))
                .col(json("social_links"))
                .col(string_len_null("logo_url", 2000))
                .foreign_key(&mut place_fk("associations"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "associations",
            "idx_associations_slug",
            &["slug"],
            true,
        ))
        .await?;
        m.create_index(index(
            "associations",
            "idx_associations_name",
            &["name_folded", "id"],
            false,
        ))
        .await?;

        m.create_table(
            content_table("news_articles")
                .col(string_len("title", 300))
                .col(text_null("summary"))
                .col(text("body_markdown"))
                .col(text("body_html"))
                .col(string_len_null("image_url", 2000))
                .col(string_len_null("image_alt", 300))
                .col(boolean("featured"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("news_articles", "idx_news_slug", &["slug"], true))
            .await?;
        m.create_index(index(
            "news_articles",
            "idx_news_published",
            &["status", "published_at", "id"],
            false,
        ))
        .await?;

        m.create_table(
            content_table("public_services")
                .col(string_len("kind", 20))
                .col(string_len("name", 300))
                .col(text("description_markdown"))
                .col(text("description_html"))
                .col(uuid_null("place_id"))
                .col(string_len_null("opening_hours", 1000))
                .col(string_len("time_zone", 64))
                .col(string_len_null("phone", 20))
                .col(string_len_null("email", 254))
                .col(string_len_null("procedure_url", 2000))
                .foreign_key(&mut place_fk("public_services"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "public_services",
            "idx_services_slug",
            &["slug"],
            true,
        ))
        .await?;
        m.create_index(index(
            "public_services",
            "idx_services_name",
            &["name", "id"],
            false,
        ))
        .await?;
        Ok(())
    }
}
