//! Events and their occurrences: the agenda's reads, batch inserts, and materialization of
//! recurring events over the rolling horizon.

use crate::entity::{event, occurrence};
use crate::filter::{ContentColumns, after_position, has_any_term, place_near, visible};
use crate::write::{CONTENT_BATCH, LINK_BATCH, Links, insert_rows};
use crate::{Store, internal};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait,
};
use silo_domain::DomainError;
use silo_domain::content::{ContentStatus, Publication, SiteTargets};
use silo_domain::event::{
    Accessibility, AgeRange, AttendanceMode, Event, EventFields, EventStatus, Occurrence, Organizer,
};
use silo_domain::query::EventFilter;
use silo_domain::recurrence::Recurrence;
use silo_domain::site::SiteScope;
use uuid::Uuid;

/// Series extended per read when the occurrence horizon moves.
const HORIZON_BATCH: u64 = 200;
/// A series is extended once it is this far behind the horizon, not by a few hours at
/// every tick (each extension rewrites the series' row).
const HORIZON_SLACK: chrono::Duration = chrono::Duration::days(1);

/// Position of an occurrence in agenda order, for keyset paging.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OccurrenceKey {
    pub starts_at: DateTime<Utc>,
    pub id: Uuid,
}

pub(crate) const COLUMNS: ContentColumns<event::Column> = ContentColumns {
    id: event::Column::Id,
    department_id: event::Column::DepartmentId,
    all_sites: event::Column::AllSites,
    status: event::Column::Status,
};

impl Store {
    /// A page of occurrences of visible events inside the filter's window, in
    /// (start, id) order, after `after`.
    pub async fn occurrences_page(
        &self,
        filter: &EventFilter,
        scope: Option<&SiteScope>,
        now: DateTime<Utc>,
        after: Option<OccurrenceKey>,
        limit: usize,
    ) -> Result<Vec<(Occurrence, Event)>, DomainError> {
        let (from, to) = filter.window(now)?;
        // The agenda must walk the occurrence window index in order and stop at the page's
        // end. A plain criterion on the joined event would let SQLite make the LEFT JOIN an
        // inner join, then build a Bloom filter over every event on each query; wrapped in
        // COALESCE (which SQLite does not read as rejecting a missing row) it is checked row
        // by row on the event found by primary key.
        let event_criteria = visible(&COLUMNS, scope).add(event_conditions(filter));
        let mut cond = Condition::all()
            .add(occurrence::Column::StartsAt.gte(from))
            .add(occurrence::Column::StartsAt.lt(to))
            .add(Expr::from(Func::coalesce([
                Expr::from(event_criteria),
                Expr::val(false),
            ])));
        if let Some(key) = after {
            cond = cond.add(after_position(
                occurrence::Column::StartsAt,
                occurrence::Column::Id,
                key.starts_at,
                key.id,
                false,
            ));
        }
        let rows = occurrence::Entity::find()
            .find_also_related(event::Entity)
            .filter(cond)
            .order_by_asc(occurrence::Column::StartsAt)
            .order_by_asc(occurrence::Column::Id)
            .limit(limit as u64)
            .all(&self.db)
            .await
            .map_err(internal)?;
        rows.into_iter()
            .filter_map(|(occ, ev)| ev.map(|ev| (occ, ev)))
            .map(|(occ, ev)| Ok((to_occurrence(occ), to_event(ev)?)))
            .collect()
    }

    /// A visible event by slug or id.
    pub async fn event(
        &self,
        id: Option<Uuid>,
        slug: Option<&str>,
        scope: Option<&SiteScope>,
    ) -> Result<Option<Event>, DomainError> {
        let mut cond = visible(&COLUMNS, scope);
        if let Some(id) = id {
            cond = cond.add(event::Column::Id.eq(id));
        }
        if let Some(slug) = slug {
            cond = cond.add(event::Column::Slug.eq(slug));
        }
        let row = event::Entity::find()
            .filter(cond)
            .one(&self.db)
            .await
            .map_err(internal)?;
        row.map(to_event).transpose()
    }

    /// Occurrences of one event starting in `[from, to)`, at most `limit`.
    pub async fn event_occurrences(
        &self,
        event_id: Uuid,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Occurrence>, DomainError> {
        let rows = occurrence::Entity::find()
            .filter(occurrence::Column::EventId.eq(event_id))
            .filter(occurrence::Column::StartsAt.gte(from))
            .filter(occurrence::Column::StartsAt.lt(to))
            .order_by_asc(occurrence::Column::StartsAt)
            .limit(limit as u64)
            .all(&self.db)
            .await
            .map_err(internal)?;
        Ok(rows.into_iter().map(to_occurrence).collect())
    }

    /// Inserts events with their taxonomy, target sites and occurrences up to `horizon_end`,
    /// in one transaction.
    pub async fn insert_events(
        &self,
        events: &[Event],
        horizon_end: DateTime<Utc>,
    ) -> Result<(), DomainError> {
        let mut links = Links::default();
        for e in events {
            links.add(
                e.id,
                e.fields.category_ids.iter().chain(&e.fields.tag_ids),
                &e.fields.sites,
            );
        }
        let occurrences = events
            .iter()
            .flat_map(|e| occurrence_rows(e.id, &e.fields, None, horizon_end));
        let txn = self.db.begin().await.map_err(internal)?;
        insert_rows(
            &txn,
            events.iter().map(|e| to_active(e, horizon_end)),
            CONTENT_BATCH,
        )
        .await?;
        links.insert(&txn).await?;
        insert_rows(&txn, occurrences, LINK_BATCH).await?;
        txn.commit().await.map_err(internal)
    }

    /// Moves the rolling horizon: recurring events materialized more than a day short of
    /// `horizon_end` get their missing occurrences up to it. Returns how many events were
    /// extended.
    pub async fn extend_horizon(&self, horizon_end: DateTime<Utc>) -> Result<usize, DomainError> {
        let mut extended = 0;
        let mut after = None;
        // A batch at a time, so a city of many series is not read into memory at once.
        loop {
            let mut stale = event::Entity::find()
                .filter(event::Column::Rrule.is_not_null())
                .filter(
                    Condition::any()
                        .add(event::Column::MaterializedUntil.is_null())
                        .add(event::Column::MaterializedUntil.lt(horizon_end - HORIZON_SLACK)),
                )
                .order_by_asc(event::Column::Id)
                .limit(HORIZON_BATCH);
            if let Some(after) = after {
                stale = stale.filter(event::Column::Id.gt(after));
            }
            let stale = stale.all(&self.db).await.map_err(internal)?;
            let Some(last) = stale.last().map(|row| row.id) else {
                if extended > 0 {
                    self.record_horizon(horizon_end, extended).await?;
                }
                return Ok(extended);
            };
            after = Some(last);
            extended += self.extend_series(stale, horizon_end).await?;
        }
    }

    /// Occurrences appeared without a content change: recorded, so that every process
    /// drops the answers (and exports) that could miss them.
    async fn record_horizon(
        &self,
        horizon_end: DateTime<Utc>,
        events: usize,
    ) -> Result<(), DomainError> {
        let txn = self.begin_write().await?;
        let event = crate::outbox::OutboxEvent {
            aggregate: "horizon",
            aggregate_id: Uuid::nil(),
            change: crate::outbox::Change::Updated,
            action: Some("horizon_extended"),
            version: None,
            department_id: None,
            actor: silo_domain::audit::Actor::scheduler(),
            before: serde_json::Value::Null,
            payload: serde_json::json!({ "until": horizon_end, "events": events }),
        };
        crate::outbox::append(&txn, event, Utc::now()).await?;
        txn.commit().await.map_err(internal)
    }

    async fn extend_series(
        &self,
        stale: Vec<event::Model>,
        horizon_end: DateTime<Utc>,
    ) -> Result<usize, DomainError> {
        let mut extended = 0;
        for row in stale {
            let since = row.materialized_until;
            let ev = to_event(row)?;
            let txn = self.db.begin().await.map_err(internal)?;
            // Claims the extension first: another process that read the same horizon
            // finds nothing to update and skips, so no occurrence is inserted twice.
            let claimed = event::Entity::update_many()
                .col_expr(event::Column::MaterializedUntil, Expr::value(horizon_end))
                .filter(event::Column::Id.eq(ev.id))
                .filter(match since {
                    Some(at) => event::Column::MaterializedUntil.eq(at),
                    None => event::Column::MaterializedUntil.is_null(),
                })
                .exec(&txn)
                .await
                .map_err(internal)?;
            if claimed.rows_affected == 1 {
                let rows = occurrence_rows(ev.id, &ev.fields, since, horizon_end);
                insert_rows(&txn, rows, LINK_BATCH).await?;
                extended += 1;
            }
            txn.commit().await.map_err(internal)?;
        }
        Ok(extended)
    }

    /// Rebuilds every occurrence of an event (after its dates or rule changed).
    pub async fn rematerialize(
        &self,
        event_id: Uuid,
        horizon_end: DateTime<Utc>,
    ) -> Result<(), DomainError> {
        let Some(row) = event::Entity::find_by_id(event_id)
            .one(&self.db)
            .await
            .map_err(internal)?
        else {
            return Err(DomainError::not_found("event"));
        };
        let ev = to_event(row)?;
        let txn = self.db.begin().await.map_err(internal)?;
        occurrence::Entity::delete_many()
            .filter(occurrence::Column::EventId.eq(event_id))
            .exec(&txn)
            .await
            .map_err(internal)?;
        insert_rows(
            &txn,
            occurrence_rows(ev.id, &ev.fields, None, horizon_end),
            LINK_BATCH,
        )
        .await?;
        event::Entity::update_many()
            .col_expr(
                event::Column::MaterializedUntil,
                Expr::value(ev.fields.recurrence.as_ref().map(|_| horizon_end)),
            )
            .filter(event::Column::Id.eq(event_id))
            .exec(&txn)
            .await
            .map_err(internal)?;
        txn.commit().await.map_err(internal)
    }

    /// Counts occurrences of an event (for tests and diagnostics).
    pub async fn occurrence_count(&self, event_id: Uuid) -> Result<u64, DomainError> {
        use sea_orm::PaginatorTrait;
        occurrence::Entity::find()
            .filter(occurrence::Column::EventId.eq(event_id))
            .count(&self.db)
            .await
            .map_err(internal)
    }
}

/// The event-specific criteria of the agenda filter.
pub(crate) fn event_conditions(filter: &EventFilter) -> Condition {
    let mut cond = Condition::all();
    if !filter.department_ids.is_empty() {
        cond = cond.add(event::Column::DepartmentId.is_in(filter.department_ids.iter().copied()));
    }
    if !filter.category_ids.is_empty() {
        cond = cond.add(has_any_term(event::Column::Id, &filter.category_ids));
    }
    if let Some(near) = &filter.near {
        cond = cond.add(place_near(event::Column::PlaceId, near));
    }
    if let Some(free) = filter.free {
        cond = cond.add(event::Column::Free.eq(free));
    }
    if let Some(age) = filter.audience_age {
        let age = i32::from(age);
        cond = cond
            .add(
                Condition::any()
                    .add(event::Column::AgeMin.is_null())
                    .add(event::Column::AgeMin.lte(age)),
            )
            .add(
                Condition::any()
                    .add(event::Column::AgeMax.is_null())
                    .add(event::Column::AgeMax.gte(age)),
            );
    }
    let a = filter.accessibility;
    for (wanted, column) in [
        (a.wheelchair, event::Column::AccessibleWheelchair),
        (a.hearing, event::Column::AccessibleHearing),
        (a.visual, event::Column::AccessibleVisual),
        (a.mental, event::Column::AccessibleMental),
    ] {
        if wanted {
            cond = cond.add(column.eq(true));
        }
    }
    if !filter.statuses.is_empty() {
        cond =
            cond.add(event::Column::EventStatus.is_in(filter.statuses.iter().map(|s| s.as_str())));
    }
    if let Some(since) = filter.updated_since {
        cond = cond.add(event::Column::UpdatedAt.gte(since));
    }
    cond
}

/// Occurrence rows of an event starting after `since` (exclusive) up to `horizon_end`.
pub(crate) fn occurrence_rows(
    event_id: Uuid,
    fields: &EventFields,
    since: Option<DateTime<Utc>>,
    horizon_end: DateTime<Utc>,
) -> Vec<occurrence::ActiveModel> {
    fields
        .occurrence_spans(horizon_end)
        .into_iter()
        .filter(|(start, _)| since.is_none_or(|s| *start > s))
        .map(|(starts_at, ends_at)| occurrence::ActiveModel {
            id: Set(Uuid::now_v7()),
            event_id: Set(event_id),
            starts_at: Set(starts_at),
            ends_at: Set(ends_at),
        })
        .collect()
}

pub(crate) fn to_occurrence(m: occurrence::Model) -> Occurrence {
    Occurrence {
        id: m.id,
        event_id: m.event_id,
        starts_at: m.starts_at,
        ends_at: m.ends_at,
    }
}

fn corrupt(what: &str, value: &str) -> DomainError {
    DomainError::Internal(format!("stored {what} `{value}` is not valid"))
}

pub(crate) fn status_of(raw: &str) -> Result<ContentStatus, DomainError> {
    ContentStatus::parse(raw).ok_or_else(|| corrupt("status", raw))
}

/// The publication columns every content table shares.
macro_rules! publication_of {
    ($m:expr) => {
        silo_domain::content::Publication {
            status: $crate::event_repo::status_of(&$m.status)?,
            version: $m.version,
            publish_at: $m.publish_at,
            unpublish_at: $m.unpublish_at,
            published_at: $m.published_at,
            created_at: $m.created_at,
            created_by: $m.created_by,
            updated_at: $m.updated_at,
            updated_by: $m.updated_by,
        }
    };
}
pub(crate) use publication_of;

/// Sets the publication columns of any content table's active model.
macro_rules! set_publication {
    ($am:ident, $p:expr) => {{
        let p: &silo_domain::content::Publication = $p;
        $am.status = Set(p.status.as_str().to_owned());
        $am.version = Set(p.version);
        $am.publish_at = Set(p.publish_at);
        $am.unpublish_at = Set(p.unpublish_at);
        $am.published_at = Set(p.published_at);
        $am.created_at = Set(p.created_at);
        $am.created_by = Set(p.created_by);
        $am.updated_at = Set(p.updated_at);
        $am.updated_by = Set(p.updated_by);
    }};
}
pub(crate) use set_publication;

pub(crate) fn to_event(m: event::Model) -> Result<Event, DomainError> {
    let publication: Publication = publication_of!(m);
    let exception_dates: Vec<DateTime<Utc>> = serde_json::from_value(m.exception_dates)
        .map_err(|e| DomainError::Internal(e.to_string()))?;
    let organizer = match (m.organizer_association_id, m.organizer_department_id) {
        (Some(a), _) => Some(Organizer::Association(a)),
        (None, Some(d)) => Some(Organizer::Department(d)),
        (None, None) => None,
    };
    Ok(Event {
        id: m.id,
        publication,
        fields: EventFields {
            slug: m.slug,
            department_id: m.department_id,
            title: m.title,
            summary: m.summary,
            body_markdown: m.body_markdown,
            body_html: m.body_html,
            starts_at: m.starts_at,
            ends_at: m.ends_at,
            recurrence: m.rrule.map(|rule| Recurrence {
                rule,
                exception_dates,
            }),
            event_status: EventStatus::parse(&m.event_status)
                .ok_or_else(|| corrupt("event status", &m.event_status))?,
            attendance_mode: AttendanceMode::parse(&m.attendance_mode)
                .ok_or_else(|| corrupt("attendance mode", &m.attendance_mode))?,
            time_zone: m.time_zone,
            all_day: m.all_day,
            place_id: m.place_id,
            online_url: m.online_url,
            free: m.free,
            price: m.price,
            registration_url: m.registration_url,
            organizer,
            age_range: AgeRange {
                min: m.age_min.and_then(|a| u8::try_from(a).ok()),
                max: m.age_max.and_then(|a| u8::try_from(a).ok()),
            },
            accessibility: Accessibility {
                wheelchair: m.accessible_wheelchair,
                hearing: m.accessible_hearing,
                visual: m.accessible_visual,
                mental: m.accessible_mental,
            },
            image_url: m.image_url,
            image_alt: m.image_alt,
            contact_email: m.contact_email,
            contact_phone: m.contact_phone,
            // Loaded separately (DataLoader) where needed.
            category_ids: Vec::new(),
            tag_ids: Vec::new(),
            sites: if m.all_sites {
                SiteTargets::All
            } else {
                SiteTargets::Only(Vec::new())
            },
        },
    })
}

pub(crate) fn to_active(e: &Event, horizon_end: DateTime<Utc>) -> event::ActiveModel {
    let f = &e.fields;
    let mut am = event::ActiveModel {
        id: Set(e.id),
        slug: Set(f.slug.clone()),
        department_id: Set(f.department_id),
        title: Set(f.title.clone()),
        summary: Set(f.summary.clone()),
        body_markdown: Set(f.body_markdown.clone()),
        body_html: Set(f.body_html.clone()),
        starts_at: Set(f.starts_at),
        ends_at: Set(f.ends_at),
        time_zone: Set(f.time_zone.clone()),
        all_day: Set(f.all_day),
        rrule: Set(f.recurrence.as_ref().map(|r| r.rule.clone())),
        exception_dates: Set(serde_json::to_value(
            f.recurrence
                .as_ref()
                .map(|r| r.exception_dates.clone())
                .unwrap_or_default(),
        )
        .expect("instants serialize")),
        materialized_until: Set(f.recurrence.as_ref().map(|_| horizon_end)),
        event_status: Set(f.event_status.as_str().to_owned()),
        attendance_mode: Set(f.attendance_mode.as_str().to_owned()),
        place_id: Set(f.place_id),
        online_url: Set(f.online_url.clone()),
        free: Set(f.free),
        price: Set(f.price.clone()),
        registration_url: Set(f.registration_url.clone()),
        organizer_association_id: Set(match f.organizer {
            Some(Organizer::Association(id)) => Some(id),
            _ => None,
        }),
        organizer_department_id: Set(match f.organizer {
            Some(Organizer::Department(id)) => Some(id),
            _ => None,
        }),
        age_min: Set(f.age_range.min.map(i32::from)),
        age_max: Set(f.age_range.max.map(i32::from)),
        accessible_wheelchair: Set(f.accessibility.wheelchair),
        accessible_hearing: Set(f.accessibility.hearing),
        accessible_visual: Set(f.accessibility.visual),
        accessible_mental: Set(f.accessibility.mental),
        image_url: Set(f.image_url.clone()),
        image_alt: Set(f.image_alt.clone()),
        contact_email: Set(f.contact_email.clone()),
        contact_phone: Set(f.contact_phone.clone()),
        all_sites: Set(matches!(f.sites, SiteTargets::All)),
        ..Default::default()
    };
    set_publication!(am, &e.publication);
    am
}
