//! The open-data exports' reads: published events with an occurrence in a window, a page
//! at a time in id order (so an export streams in bounded memory), the zones they use, and
//! a version of the whole that changes with every recorded change (for `ETag`).

use crate::entity::{event, occurrence, outbox};
use crate::event_repo::{COLUMNS, event_conditions, to_event, to_occurrence};
use crate::filter::visible;
use crate::{Store, internal};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect, sea_query::ExprTrait,
};
use silo_domain::DomainError;
use silo_domain::event::{Event, Occurrence};
use silo_domain::query::EventFilter;
use silo_domain::site::SiteScope;
use uuid::Uuid;

/// What every export's cache validators are made from: the last recorded change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataVersion {
    pub change_id: i64,
    pub changed_at: Option<DateTime<Utc>>,
}

/// An event that left the public agenda.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tombstone {
    pub id: Uuid,
    /// Deleted, rather than unpublished (which may come back).
    pub deleted: bool,
    pub at: DateTime<Utc>,
}

impl Store {
    /// Published events (in the site's scope) matching `filter` with an occurrence starting
    /// in its window, by id, after `after`.
    pub async fn agenda_events_page(
        &self,
        filter: &EventFilter,
        scope: Option<&SiteScope>,
        now: DateTime<Utc>,
        after: Option<Uuid>,
        limit: u64,
    ) -> Result<Vec<Event>, DomainError> {
        let mut cond = self.agenda_condition(filter, scope, now)?;
        if let Some(after) = after {
            cond = cond.add(event::Column::Id.gt(after));
        }
        event::Entity::find()
            .filter(cond)
            .order_by_asc(event::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await
            .map_err(internal)?
            .into_iter()
            .map(to_event)
            .collect()
    }

    /// The time zones of the events an export will hold, sorted.
    pub async fn agenda_time_zones(
        &self,
        filter: &EventFilter,
        scope: Option<&SiteScope>,
        now: DateTime<Utc>,
    ) -> Result<Vec<String>, DomainError> {
        event::Entity::find()
            .select_only()
            .column(event::Column::TimeZone)
            .distinct()
            .filter(self.agenda_condition(filter, scope, now)?)
            .order_by_asc(event::Column::TimeZone)
            .into_tuple::<String>()
            .all(&self.db)
            .await
            .map_err(internal)
    }

    fn agenda_condition(
        &self,
        filter: &EventFilter,
        scope: Option<&SiteScope>,
        now: DateTime<Utc>,
    ) -> Result<Condition, DomainError> {
        let (from, to) = filter.window(now)?;
        let in_window = Query::select()
            .expr(Expr::val(1))
            .from(occurrence::Entity)
            .and_where(
                Expr::col((occurrence::Entity, occurrence::Column::EventId))
                    .equals((event::Entity, event::Column::Id)),
            )
            .and_where(occurrence::Column::StartsAt.gte(from))
            .and_where(occurrence::Column::StartsAt.lt(to))
            .to_owned();
        Ok(visible(&COLUMNS, scope)
            .add(event_conditions(filter))
            .add(Expr::exists(in_window)))
    }

    /// The occurrences of these events starting in `[from, to)`, by event then start.
    pub async fn occurrences_of(
        &self,
        event_ids: &[Uuid],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Occurrence>, DomainError> {
        Ok(occurrence::Entity::find()
            .filter(occurrence::Column::EventId.is_in(event_ids.iter().copied()))
            .filter(occurrence::Column::StartsAt.gte(from))
            .filter(occurrence::Column::StartsAt.lt(to))
            .order_by_asc(occurrence::Column::EventId)
            .order_by_asc(occurrence::Column::StartsAt)
            .all(&self.db)
            .await
            .map_err(internal)?
            .into_iter()
            .map(to_occurrence)
            .collect())
    }

    /// Events taken out of the public agenda (unpublished, archived, taken down, deleted)
    /// at or after `since`, oldest first, at most `limit`: what a mirror must remove.
    pub async fn event_tombstones(
        &self,
        since: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<Tombstone>, DomainError> {
        Ok(outbox::Entity::find()
            .filter(outbox::Column::Aggregate.eq("event"))
            .filter(outbox::Column::Change.is_in(["unpublished", "deleted"]))
            .filter(outbox::Column::OccurredAt.gte(since))
            .order_by_asc(outbox::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await
            .map_err(internal)?
            .into_iter()
            .map(|m| Tombstone {
                id: m.aggregate_id,
                deleted: m.change == "deleted",
                at: m.occurred_at,
            })
            .collect())
    }

    /// The last recorded change: any write moves it.
    pub async fn data_version(&self) -> Result<DataVersion, DomainError> {
        let last = outbox::Entity::find()
            .order_by_desc(outbox::Column::Id)
            .one(&self.db)
            .await
            .map_err(internal)?;
        Ok(DataVersion {
            change_id: last.as_ref().map_or(0, |m| m.id),
            changed_at: last.map(|m| m.occurred_at),
        })
    }
}
