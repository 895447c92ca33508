//! What the index should hold, read from the database: the search documents of published
//! items (with their place's coordinates and an event's span), by id or a page at a time
//! for a rebuild.

use crate::entity::{association, event, news_article, occurrence, public_service};
use crate::{Store, internal};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use silo_domain::DomainError;
use silo_domain::content::{ContentKind, ContentStatus};
use silo_domain::item::ContentItem;
use silo_domain::search::SearchDocument;
use std::collections::HashMap;
use uuid::Uuid;

/// An event with its first start and last end (none without occurrences).
type SpanRow = (Uuid, Option<DateTime<Utc>>, Option<DateTime<Utc>>);

impl Store {
    /// The documents of those of `ids` (all of `kind`) that are published; the others are
    /// not public and belong out of the index.
    pub async fn search_documents(
        &self,
        kind: ContentKind,
        ids: &[Uuid],
    ) -> Result<Vec<SearchDocument>, DomainError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let items: Vec<ContentItem> = self
            .content_items(kind, ids)
            .await?
            .into_iter()
            .filter(|item| item.publication().status == ContentStatus::Published)
            .collect();
        let place_ids: Vec<Uuid> = items.iter().filter_map(place_of).collect();
        let places: HashMap<Uuid, _> = self
            .places_by_ids(&place_ids)
            .await?
            .into_iter()
            .map(|p| (p.id, p))
            .collect();
        let spans = if kind == ContentKind::Event {
            let event_ids: Vec<Uuid> = items.iter().map(ContentItem::id).collect();
            self.event_spans(&event_ids).await?
        } else {
            HashMap::new()
        };
        Ok(items
            .iter()
            .map(|item| {
                let geo = place_of(item)
                    .and_then(|id| places.get(&id))
                    .and_then(|p| p.geo());
                SearchDocument::of(item, geo, spans.get(&item.id()).copied())
            })
            .collect())
    }

    /// Published ids of `kind` after `after`, in id order (a rebuild's pages).
    pub async fn published_ids(
        &self,
        kind: ContentKind,
        after: Option<Uuid>,
        limit: u64,
    ) -> Result<Vec<Uuid>, DomainError> {
        macro_rules! page {
            ($entity:ident) => {{
                use $entity as t;
                let mut query = t::Entity::find()
                    .select_only()
                    .column(t::Column::Id)
                    .filter(t::Column::Status.eq(ContentStatus::Published.as_str()));
                if let Some(after) = after {
                    query = query.filter(t::Column::Id.gt(after));
                }
                query
                    .order_by_asc(t::Column::Id)
                    .limit(limit)
                    .into_tuple::<Uuid>()
                    .all(&self.db)
                    .await
                    .map_err(internal)?
            }};
        }
        Ok(match kind {
            ContentKind::Event => page!(event),
            ContentKind::Association => page!(association),
            ContentKind::NewsArticle => page!(news_article),
            ContentKind::PublicService => page!(public_service),
        })
    }

    /// The published items located at one of these places.
    pub async fn published_at_places(
        &self,
        place_ids: &[Uuid],
    ) -> Result<Vec<(ContentKind, Uuid)>, DomainError> {
        if place_ids.is_empty() {
            return Ok(Vec::new());
        }
        macro_rules! at {
            ($entity:ident, $kind:expr) => {{
                use $entity as t;
                t::Entity::find()
                    .select_only()
                    .column(t::Column::Id)
                    .filter(t::Column::Status.eq(ContentStatus::Published.as_str()))
                    .filter(t::Column::PlaceId.is_in(place_ids.iter().copied()))
                    .into_tuple::<Uuid>()
                    .all(&self.db)
                    .await
                    .map_err(internal)?
                    .into_iter()
                    .map(|id| ($kind, id))
                    .collect::<Vec<_>>()
            }};
        }
        let mut found = at!(event, ContentKind::Event);
        found.extend(at!(association, ContentKind::Association));
        found.extend(at!(public_service, ContentKind::PublicService));
        Ok(found)
    }

    /// Each event's first start and last end.
    async fn event_spans(
        &self,
        ids: &[Uuid],
    ) -> Result<HashMap<Uuid, (DateTime<Utc>, DateTime<Utc>)>, DomainError> {
        let rows: Vec<SpanRow> = occurrence::Entity::find()
            .select_only()
            .column(occurrence::Column::EventId)
            .expr(Func::min(Expr::col(occurrence::Column::StartsAt)))
            .expr(Func::max(Expr::col(occurrence::Column::EndsAt)))
            .filter(occurrence::Column::EventId.is_in(ids.iter().copied()))
            .group_by(occurrence::Column::EventId)
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(internal)?;
        Ok(rows
            .into_iter()
            .filter_map(|(id, start, end)| Some((id, (start?, end?))))
            .collect())
    }
}

fn place_of(item: &ContentItem) -> Option<Uuid> {
    match item {
        ContentItem::Event(e) => e.fields.place_id,
        ContentItem::Association(a) => a.fields.place_id,
        ContentItem::NewsArticle(_) => None,
        ContentItem::PublicService(s) => s.fields.place_id,
    }
}
