//! Editors' writes to one item of any kind — create, update under an optimistic lock,
//! delete — each with its outbox row in the same transaction; and reads that ignore the
//! workflow state, for callers the rights policy allowed to see drafts.

use crate::entity::{association, event, news_article, occurrence, public_service, revision};
use crate::filter::after_position;
use crate::outbox::{self, Change, OutboxEvent};
use crate::write::{LINK_BATCH, Links, insert_rows, put, remove};
use crate::{Store, association_repo, event_repo, internal, news_repo, service_repo};
use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use silo_domain::DomainError;
use silo_domain::audit::Actor;
use silo_domain::content::{ContentKind, ContentStatus};
use silo_domain::item::ContentItem;
use silo_domain::notification::Placement;
use uuid::Uuid;

/// Position in the drafts list: most recently updated first.
pub type DraftKey = (DateTime<Utc>, Uuid);

/// A saved version of an item.
#[derive(Debug, Clone, PartialEq)]
pub struct Revision {
    pub version: i32,
    pub saved_at: DateTime<Utc>,
    pub saved_by: Option<Uuid>,
    /// The item as saved (taxonomy and target sites included).
    pub item: ContentItem,
}

/// Which unpublished items to list.
#[derive(Debug, Clone, Default)]
pub struct DraftQuery {
    pub kind: Option<ContentKind>,
    /// Only items of these departments (empty: every department).
    pub department_ids: Vec<Uuid>,
    /// Only items created by this user.
    pub created_by: Option<Uuid>,
}

impl Store {
    /// An item of `kind` by id, whatever its workflow state.
    pub async fn content_item(
        &self,
        kind: ContentKind,
        id: Uuid,
    ) -> Result<Option<ContentItem>, DomainError> {
        Ok(self.content_items(kind, &[id]).await?.pop())
    }

    /// Items of `kind` by id, whatever their workflow state.
    pub async fn content_items(
        &self,
        kind: ContentKind,
        ids: &[Uuid],
    ) -> Result<Vec<ContentItem>, DomainError> {
        load_items(&self.db, kind, ids).await
    }

    /// Unpublished items of one kind, most recently updated first, after `after`.
    pub async fn drafts_page(
        &self,
        kind: ContentKind,
        query: &DraftQuery,
        after: Option<&DraftKey>,
        limit: usize,
    ) -> Result<Vec<ContentItem>, DomainError> {
        macro_rules! page {
            ($entity:ident) => {{
                use $entity as t;
                let mut cond =
                    Condition::all().add(t::Column::Status.ne(ContentStatus::Published.as_str()));
                if !query.department_ids.is_empty() {
                    cond = cond
                        .add(t::Column::DepartmentId.is_in(query.department_ids.iter().copied()));
                }
                if let Some(user) = query.created_by {
                    cond = cond.add(t::Column::CreatedBy.eq(user));
                }
                if let Some((at, id)) = after {
                    cond = cond.add(after_position(
                        t::Column::UpdatedAt,
                        t::Column::Id,
                        *at,
                        *id,
                        true,
                    ));
                }
                t::Entity::find()
                    .select_only()
                    .column(t::Column::Id)
                    .filter(cond)
                    .order_by_desc(t::Column::UpdatedAt)
                    .order_by_desc(t::Column::Id)
                    .limit(limit as u64)
                    .into_tuple::<Uuid>()
                    .all(&self.db)
                    .await
                    .map_err(internal)?
            }};
        }
        let ids = match kind {
            ContentKind::Event => page!(event),
            ContentKind::Association => page!(association),
            ContentKind::NewsArticle => page!(news_article),
            ContentKind::PublicService => page!(public_service),
        };
        let mut items = self.content_items(kind, &ids).await?;
        items.sort_by_key(|i| ids.iter().position(|id| *id == i.id()));
        Ok(items)
    }

    /// `base` if no other item of `kind` uses it, else the first free `base-2`, `base-3`…
    pub async fn free_slug(
        &self,
        kind: ContentKind,
        base: &str,
        id: Uuid,
    ) -> Result<String, DomainError> {
        macro_rules! taken {
            ($entity:ident) => {{
                use $entity as t;
                t::Entity::find()
                    .select_only()
                    .column(t::Column::Slug)
                    .filter(
                        Condition::any()
                            .add(t::Column::Slug.eq(base))
                            .add(t::Column::Slug.starts_with(format!("{base}-"))),
                    )
                    .filter(t::Column::Id.ne(id))
                    .into_tuple::<String>()
                    .all(&self.db)
                    .await
                    .map_err(internal)?
            }};
        }
        let taken = match kind {
            ContentKind::Event => taken!(event),
            ContentKind::Association => taken!(association),
            ContentKind::NewsArticle => taken!(news_article),
            ContentKind::PublicService => taken!(public_service),
        };
        let candidate = std::iter::once(base.to_owned())
            .chain((2..).map(|n| format!("{base}-{n}")))
            .find(|c| !taken.contains(c))
            .expect("an unbounded sequence has a free slug");
        Ok(candidate)
    }

    /// Stores a new item, its links and (for an event) its occurrences up to
    /// `horizon_end`, with its outbox row.
    pub async fn create_content(
        &self,
        item: &ContentItem,
        actor: &Actor,
        horizon_end: DateTime<Utc>,
    ) -> Result<(), DomainError> {
        self.write_content(item, None, Change::Created, actor, horizon_end)
            .await
    }

    /// Replaces an item whose stored version is still `item.version - 1`.
    pub async fn update_content(
        &self,
        item: &ContentItem,
        actor: &Actor,
        horizon_end: DateTime<Utc>,
    ) -> Result<(), DomainError> {
        let expected = item.publication().version - 1;
        self.write_content(item, Some(expected), Change::Updated, actor, horizon_end)
            .await
    }

    async fn write_content(
        &self,
        item: &ContentItem,
        expected: Option<i32>,
        change: Change,
        actor: &Actor,
        horizon_end: DateTime<Utc>,
    ) -> Result<(), DomainError> {
        let id = item.id();
        let what = item.kind().as_str();
        let mut links = Links::default();
        // Where the item stood: an edit that moves it out of a site's channel is told to
        // that site. Read before the write lock (its connection must not wait for another);
        // the version check keeps it to the version being replaced (any other fails below).
        let previous = match expected {
            Some(expected) => self
                .content_item(item.kind(), id)
                .await?
                .filter(|old| old.publication().version == expected)
                .map(|old| Placement::of(&old))
                .filter(|old| *old != Placement::of(item)),
            None => None,
        };
        let txn = self.begin_write().await?;
        match item {
            ContentItem::Event(e) => {
                let f = &e.fields;
                links.add(id, f.category_ids.iter().chain(&f.tag_ids), &f.sites);
                let cols = (event::Column::Id, event::Column::Version);
                put(
                    &txn,
                    event_repo::to_active(e, horizon_end),
                    cols,
                    id,
                    expected,
                    what,
                )
                .await?;
                occurrence::Entity::delete_many()
                    .filter(occurrence::Column::EventId.eq(id))
                    .exec(&txn)
                    .await
                    .map_err(internal)?;
                let rows = event_repo::occurrence_rows(id, f, None, horizon_end);
                insert_rows(&txn, rows, LINK_BATCH).await?;
            }
            ContentItem::Association(a) => {
                links.add(id, &a.fields.category_ids, &a.fields.sites);
                let cols = (association::Column::Id, association::Column::Version);
                put(
                    &txn,
                    association_repo::to_active(a),
                    cols,
                    id,
                    expected,
                    what,
                )
                .await?;
            }
            ContentItem::NewsArticle(n) => {
                let f = &n.fields;
                links.add(id, f.category_ids.iter().chain(&f.tag_ids), &f.sites);
                let cols = (news_article::Column::Id, news_article::Column::Version);
                put(&txn, news_repo::to_active(n), cols, id, expected, what).await?;
            }
            ContentItem::PublicService(s) => {
                links.add(id, &s.fields.category_ids, &s.fields.sites);
                let cols = (public_service::Column::Id, public_service::Column::Version);
                put(&txn, service_repo::to_active(s), cols, id, expected, what).await?;
            }
        }
        links.replace(&txn, id).await?;
        let now = Utc::now();
        revision::Entity::insert(revision::ActiveModel {
            id: Set(Uuid::now_v7()),
            content_kind: Set(what.to_owned()),
            content_id: Set(id),
            version: Set(item.publication().version),
            snapshot: Set(
                serde_json::to_value(item).map_err(|e| DomainError::Internal(e.to_string()))?
            ),
            saved_at: Set(now),
            saved_by: Set(actor.user_id),
        })
        .exec_without_returning(&txn)
        .await
        .map_err(internal)?;
        let mut event = content_event(item, change, actor);
        if let Some(previous) = previous {
            event.payload["previously"] = serde_json::to_value(previous).unwrap_or_default();
        }
        outbox::append(&txn, event, now).await?;
        txn.commit().await.map_err(internal)
    }

    /// The saved versions of an item (also after its deletion), oldest first.
    pub async fn revisions(&self, content_id: Uuid) -> Result<Vec<Revision>, DomainError> {
        revision::Entity::find()
            .filter(revision::Column::ContentId.eq(content_id))
            .order_by_asc(revision::Column::Version)
            .all(&self.db)
            .await
            .map_err(internal)?
            .into_iter()
            .map(|m| {
                Ok(Revision {
                    version: m.version,
                    saved_at: m.saved_at,
                    saved_by: m.saved_by,
                    item: serde_json::from_value(m.snapshot)
                        .map_err(|e| DomainError::Internal(e.to_string()))?,
                })
            })
            .collect()
    }

    /// Moves an item to workflow state `to` if its stored version is still the item's;
    /// the version moves on, `published_at` is set when it becomes public. `note` (a
    /// takedown reason, a review comment) goes into the outbox row.
    pub async fn set_status(
        &self,
        item: &ContentItem,
        to: ContentStatus,
        actor: &Actor,
        note: Option<&str>,
    ) -> Result<ContentItem, DomainError> {
        let txn = self.begin_write().await?;
        let next = status_write(&txn, item, to, actor, note, Utc::now()).await?;
        txn.commit().await.map_err(internal)?;
        Ok(next)
    }

    /// Sets when an item publishes and unpublishes itself, if its version is still the
    /// item's; returns the item as stored.
    pub async fn set_schedule(
        &self,
        item: &ContentItem,
        publish_at: Option<DateTime<Utc>>,
        unpublish_at: Option<DateTime<Utc>>,
        actor: &Actor,
    ) -> Result<ContentItem, DomainError> {
        let txn = self.begin_write().await?;
        let mut next = item.clone();
        let p = next.publication_mut();
        p.publish_at = publish_at;
        p.unpublish_at = unpublish_at;
        p.version += 1;
        write_publication(&txn, item, &next).await?;
        let mut event = content_event(&next, Change::Updated, actor);
        event.payload["publishAt"] = serde_json::to_value(publish_at).unwrap_or_default();
        event.payload["unpublishAt"] = serde_json::to_value(unpublish_at).unwrap_or_default();
        outbox::append(&txn, event, Utc::now()).await?;
        txn.commit().await.map_err(internal)?;
        Ok(next)
    }

    /// Carries out the scheduled transitions due at `now`: each item in its own
    /// transaction, claimed by its version, so with several processes exactly one does
    /// a given transition and the others skip it. Returns how many were done here.
    pub async fn run_schedule(&self, now: DateTime<Utc>) -> Result<usize, DomainError> {
        use ContentStatus::*;
        let publishable = [Draft, InReview, Unpublished].map(ContentStatus::as_str);
        macro_rules! due {
            ($entity:ident) => {{
                use $entity as t;
                t::Entity::find()
                    .select_only()
                    .column(t::Column::Id)
                    .filter(
                        Condition::any()
                            .add(
                                Condition::all()
                                    .add(t::Column::PublishAt.lte(now))
                                    .add(t::Column::Status.is_in(publishable)),
                            )
                            .add(
                                Condition::all()
                                    .add(t::Column::UnpublishAt.lte(now))
                                    .add(t::Column::Status.eq(Published.as_str())),
                            ),
                    )
                    .into_tuple::<Uuid>()
                    .all(&self.db)
                    .await
                    .map_err(internal)?
            }};
        }
        let mut done = 0;
        for kind in ContentKind::ALL {
            let ids = match kind {
                ContentKind::Event => due!(event),
                ContentKind::Association => due!(association),
                ContentKind::NewsArticle => due!(news_article),
                ContentKind::PublicService => due!(public_service),
            };
            for item in self.content_items(kind, &ids).await? {
                let p = item.publication();
                let to = if p.status == Published {
                    Unpublished
                } else {
                    Published
                };
                let txn = self.begin_write().await?;
                let scheduler = Actor::scheduler();
                match status_write(&txn, &item, to, &scheduler, Some("scheduled"), now).await {
                    Ok(_) => {
                        txn.commit().await.map_err(internal)?;
                        done += 1;
                    }
                    // Another process (or an editor) got there first.
                    Err(DomainError::Conflict(_)) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(done)
    }

    /// Unpublishes, in one transaction, every published item of the departments (a
    /// takedown); returns the items as they were, for the caller's record. The items are
    /// read after the write lock is taken, so a concurrent edit cannot make it fail.
    pub async fn unpublish_departments(
        &self,
        department_ids: &[Uuid],
        actor: &Actor,
        reason: &str,
    ) -> Result<Vec<ContentItem>, DomainError> {
        let txn = self.begin_write().await?;
        macro_rules! published_ids {
            ($entity:ident) => {{
                use $entity as t;
                t::Entity::find()
                    .select_only()
                    .column(t::Column::Id)
                    .filter(t::Column::Status.eq(ContentStatus::Published.as_str()))
                    .filter(t::Column::DepartmentId.is_in(department_ids.iter().copied()))
                    .into_tuple::<Uuid>()
                    .all(&txn)
                    .await
                    .map_err(internal)?
            }};
        }
        let mut items = Vec::new();
        for kind in ContentKind::ALL {
            let ids = match kind {
                ContentKind::Event => published_ids!(event),
                ContentKind::Association => published_ids!(association),
                ContentKind::NewsArticle => published_ids!(news_article),
                ContentKind::PublicService => published_ids!(public_service),
            };
            items.extend(load_items(&txn, kind, &ids).await?);
        }
        let now = Utc::now();
        for item in &items {
            status_write(
                &txn,
                item,
                ContentStatus::Unpublished,
                actor,
                Some(reason),
                now,
            )
            .await?;
        }
        txn.commit().await.map_err(internal)?;
        Ok(items)
    }

    /// Deletes an item whose stored version is still `expected` (occurrences and links go
    /// with it).
    pub async fn delete_content(
        &self,
        item: &ContentItem,
        expected: i32,
        actor: &Actor,
    ) -> Result<(), DomainError> {
        let id = item.id();
        let what = item.kind().as_str();
        let txn = self.begin_write().await?;
        Links::default().replace(&txn, id).await?;
        crate::slot_repo::remove_from_slots(&txn, id).await?;
        match item.kind() {
            ContentKind::Event => {
                remove::<event::Entity>(
                    &txn,
                    (event::Column::Id, event::Column::Version),
                    id,
                    expected,
                    what,
                )
                .await?
            }
            ContentKind::Association => {
                let cols = (association::Column::Id, association::Column::Version);
                remove::<association::Entity>(&txn, cols, id, expected, what).await?
            }
            ContentKind::NewsArticle => {
                let cols = (news_article::Column::Id, news_article::Column::Version);
                remove::<news_article::Entity>(&txn, cols, id, expected, what).await?
            }
            ContentKind::PublicService => {
                let cols = (public_service::Column::Id, public_service::Column::Version);
                remove::<public_service::Entity>(&txn, cols, id, expected, what).await?
            }
        }
        outbox::append(
            &txn,
            content_event(item, Change::Deleted, actor),
            Utc::now(),
        )
        .await?;
        txn.commit().await.map_err(internal)
    }
}

/// Items of `kind` by id, read on `db` (the pool, or a transaction that must see its own
/// state).
async fn load_items(
    db: &impl sea_orm::ConnectionTrait,
    kind: ContentKind,
    ids: &[Uuid],
) -> Result<Vec<ContentItem>, DomainError> {
    macro_rules! load {
        ($entity:ident, $convert:path, $variant:ident) => {
            $entity::Entity::find()
                .filter($entity::Column::Id.is_in(ids.iter().copied()))
                .all(db)
                .await
                .map_err(internal)?
                .into_iter()
                .map(|m| $convert(m).map(ContentItem::$variant))
                .collect::<Result<_, _>>()?
        };
    }
    Ok(match kind {
        ContentKind::Event => load!(event, event_repo::to_event, Event),
        ContentKind::Association => {
            load!(association, association_repo::to_association, Association)
        }
        ContentKind::NewsArticle => load!(news_article, news_repo::to_news, NewsArticle),
        ContentKind::PublicService => {
            load!(public_service, service_repo::to_service, PublicService)
        }
    })
}

/// The status change of one item inside `txn`, with its outbox row.
async fn status_write(
    txn: &impl sea_orm::ConnectionTrait,
    item: &ContentItem,
    to: ContentStatus,
    actor: &Actor,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> Result<ContentItem, DomainError> {
    let (id, from) = (item.id(), item.publication().status);
    let expected = item.publication().version;
    let published_at = if to == ContentStatus::Published {
        Some(now)
    } else {
        item.publication().published_at
    };
    // A transition done consumes the schedule that asked for it (or overrides it).
    let p = item.publication();
    let publish_at = p.publish_at.filter(|_| to != ContentStatus::Published);
    let unpublish_at = p
        .unpublish_at
        .filter(|_| to == ContentStatus::Published || from != ContentStatus::Published);
    let mut next = item.clone();
    let p = next.publication_mut();
    p.status = to;
    p.version = expected + 1;
    p.published_at = published_at;
    p.publish_at = publish_at;
    p.unpublish_at = unpublish_at;
    write_publication(txn, item, &next).await?;
    if to != ContentStatus::Published {
        // A takedown empties every slot of the item at once.
        crate::slot_repo::remove_from_slots(txn, id).await?;
    }
    let change = match (from, to) {
        (_, ContentStatus::Published) => Change::Published,
        (ContentStatus::Published, _) => Change::Unpublished,
        _ => Change::Updated,
    };
    let mut event = content_event(&next, change, actor);
    event.action = Some(to.as_str());
    event.before = content_summary(item, from, expected);
    event.payload["from"] = from.as_str().into();
    if let Some(note) = note {
        event.payload["note"] = note.into();
    }
    outbox::append(txn, event, now).await?;
    Ok(next)
}

/// Writes `next`'s workflow state, schedule and version over `item` if the stored version
/// is still `item`'s (`CONFLICT` otherwise): the one claim every transition makes.
async fn write_publication(
    txn: &impl sea_orm::ConnectionTrait,
    item: &ContentItem,
    next: &ContentItem,
) -> Result<(), DomainError> {
    let (id, expected, p) = (item.id(), item.publication().version, next.publication());
    macro_rules! update {
        ($entity:ident) => {{
            use $entity as t;
            t::Entity::update_many()
                .col_expr(t::Column::Status, Expr::value(p.status.as_str()))
                .col_expr(t::Column::Version, Expr::value(p.version))
                .col_expr(t::Column::PublishedAt, Expr::value(p.published_at))
                .col_expr(t::Column::PublishAt, Expr::value(p.publish_at))
                .col_expr(t::Column::UnpublishAt, Expr::value(p.unpublish_at))
                .filter(t::Column::Id.eq(id))
                .filter(t::Column::Version.eq(expected))
                .exec(txn)
                .await
                .map_err(internal)?
                .rows_affected
        }};
    }
    let updated = match item.kind() {
        ContentKind::Event => update!(event),
        ContentKind::Association => update!(association),
        ContentKind::NewsArticle => update!(news_article),
        ContentKind::PublicService => update!(public_service),
    };
    if updated != 1 {
        return Err(DomainError::Conflict(format!(
            "{} was changed by someone else since version {expected}",
            item.kind().as_str()
        )));
    }
    Ok(())
}

/// The outbox row of a content write.
fn content_event(item: &ContentItem, change: Change, actor: &Actor) -> OutboxEvent {
    let p = item.publication();
    let before = match change {
        Change::Created => serde_json::Value::Null,
        Change::Deleted => content_summary(item, p.status, p.version),
        _ => content_summary(item, p.status, p.version - 1),
    };
    OutboxEvent {
        aggregate: item.kind().as_str(),
        aggregate_id: item.id(),
        change,
        action: None,
        version: Some(p.version),
        department_id: Some(item.department_id()),
        actor: actor.clone(),
        before,
        payload: content_summary(item, p.status, p.version),
    }
}

/// What the outbox and the audit log keep of an item's state: enough for the change
/// feed to decide, without reading the item again, who may be told of the change.
fn content_summary(item: &ContentItem, status: ContentStatus, version: i32) -> serde_json::Value {
    let marks = item.channel_marks();
    serde_json::json!({
        "slug": item.slug(),
        "label": item.label(),
        "status": status.as_str(),
        "version": version,
        "createdBy": item.publication().created_by,
        "sites": marks.sites,
        "categoryIds": marks.category_ids,
        "tagIds": marks.tag_ids,
    })
}
