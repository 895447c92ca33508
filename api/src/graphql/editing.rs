//! Editors' mutations on the four content kinds — create, update under an optimistic
//! lock, delete — and the reads of drafts. Each asks the rights policy first.

use super::Horizon;
use super::access::{allow, department_path, principal, store, user, uuid};
use super::cursor;
use super::error::{bad_input, gql};
use super::inputs::{
    AssociationInput, ContentKind, EventInput, NewsArticleInput, PublicServiceInput,
};
use super::types::{AssociationNode, EventNode, NewsArticleNode, PublicServiceNode};
use async_graphql::connection::Connection;
use async_graphql::{Context, ID, Object, Result, SimpleObject, Union};
use chrono::Utc;
use silo_domain::DomainError;
use silo_domain::association::Association;
use silo_domain::audit::Actor;
use silo_domain::content::{self, Publication};
use silo_domain::department::subtree;
use silo_domain::event::Event;
use silo_domain::item::ContentItem;
use silo_domain::news::NewsArticle;
use silo_domain::public_service::PublicService;
use silo_domain::rights::{Action, Resource};
use silo_storage::DraftQuery;
use std::sync::Arc;
use uuid::Uuid;

const CURSOR_KIND: &str = "draft";

/// An item of any kind.
#[derive(Union)]
pub enum ContentNode {
    Event(EventNode),
    Association(AssociationNode),
    NewsArticle(NewsArticleNode),
    PublicService(PublicServiceNode),
}

impl From<ContentItem> for ContentNode {
    fn from(item: ContentItem) -> Self {
        match item {
            ContentItem::Event(e) => Self::Event(EventNode(Arc::new(e))),
            ContentItem::Association(a) => Self::Association(AssociationNode(a)),
            ContentItem::NewsArticle(n) => Self::NewsArticle(NewsArticleNode(n)),
            ContentItem::PublicService(s) => Self::PublicService(PublicServiceNode(s)),
        }
    }
}

/// What a delete removed.
#[derive(SimpleObject)]
pub struct DeletedContent {
    pub id: ID,
    pub kind: ContentKind,
}

/// The node of one kind, from a stored item of that kind.
fn node<N>(item: ContentItem, pick: impl FnOnce(ContentNode) -> Option<N>) -> Result<N> {
    pick(item.into())
        .ok_or_else(|| gql(DomainError::Internal("stored item of another kind".into())))
}

/// The policy's view of a stored item.
pub(super) async fn check(ctx: &Context<'_>, action: Action, item: &ContentItem) -> Result<Actor> {
    let path = department_path(ctx, item.department_id(), "departmentId").await?;
    allow(
        ctx,
        action,
        &Resource::Content {
            department: &path,
            created_by: item.publication().created_by,
            status: item.publication().status,
        },
    )
}

async fn check_new(ctx: &Context<'_>, department_id: Uuid) -> Result<Actor> {
    let path = department_path(ctx, department_id, "departmentId").await?;
    allow(
        ctx,
        Action::Create,
        &Resource::NewContent { department: &path },
    )
}

pub(super) async fn current(
    ctx: &Context<'_>,
    kind: content::ContentKind,
    id: &ID,
) -> Result<ContentItem> {
    let id = uuid(id, "id")?;
    store(ctx)
        .content_item(kind, id)
        .await
        .map_err(gql)?
        .ok_or_else(|| gql(DomainError::not_found(kind.as_str())))
}

/// Creates a draft from validated fields (`make` builds the item from id and bookkeeping).
async fn create(
    ctx: &Context<'_>,
    department_id: Uuid,
    slug_given: bool,
    validate: impl FnOnce() -> Result<
        Box<dyn FnOnce(Uuid, Publication) -> ContentItem + Send>,
        DomainError,
    >,
) -> Result<ContentItem> {
    let by = check_new(ctx, department_id).await?;
    let make = validate().map_err(gql)?;
    let now = Utc::now();
    let mut publication = Publication::draft(now);
    publication.created_by = by.user_id;
    publication.updated_by = by.user_id;
    let mut item = make(Uuid::now_v7(), publication);
    settle_slug(ctx, &mut item, slug_given, None).await?;
    let store = store(ctx);
    let horizon = ctx.data_unchecked::<Horizon>().0;
    store
        .create_content(&item, &by, now + horizon)
        .await
        .map_err(gql)?;
    reload(ctx, &item).await
}

/// Replaces an item's fields if `expected_version` is still current.
async fn update(
    ctx: &Context<'_>,
    kind: content::ContentKind,
    id: &ID,
    expected_version: i32,
    department_id: Uuid,
    slug_given: bool,
    validate: impl FnOnce() -> Result<
        Box<dyn FnOnce(Uuid, Publication) -> ContentItem + Send>,
        DomainError,
    >,
) -> Result<ContentItem> {
    let current = current(ctx, kind, id).await?;
    let by = check(ctx, Action::Edit, &current).await?;
    if department_id != current.department_id() {
        // Moving an item needs the same right over it in the new department.
        let path = department_path(ctx, department_id, "departmentId").await?;
        allow(
            ctx,
            Action::Edit,
            &Resource::Content {
                department: &path,
                created_by: current.publication().created_by,
                status: current.publication().status,
            },
        )?;
    }
    stale(&current, expected_version)?;
    let make = validate().map_err(gql)?;
    let now = Utc::now();
    let edited = make(current.id(), current.publication().clone());
    let editor = user(ctx)?.id;
    let mut next = current
        .revised(edited, editor, now)
        .ok_or_else(|| gql(DomainError::Internal("edited item of another kind".into())))?;
    settle_slug(ctx, &mut next, slug_given, Some(current.slug())).await?;
    // A pending publication was approved for the version before this edit.
    next.publication_mut().publish_at = None;
    let horizon = ctx.data_unchecked::<Horizon>().0;
    store(ctx)
        .update_content(&next, &by, now + horizon)
        .await
        .map_err(gql)?;
    reload(ctx, &next).await
}

/// A chosen slug must be free; a derived one gets a number when taken (`concert-2`); an
/// update without a slug keeps the current one, so published URLs stay stable.
async fn settle_slug(
    ctx: &Context<'_>,
    item: &mut ContentItem,
    slug_given: bool,
    current: Option<&str>,
) -> Result<()> {
    if let (false, Some(current)) = (slug_given, current) {
        item.set_slug(current.to_owned());
        return Ok(());
    }
    let free = store(ctx)
        .free_slug(item.kind(), item.slug(), item.id())
        .await
        .map_err(gql)?;
    if slug_given && free != item.slug() {
        return Err(bad_input(
            "slug",
            format!("is already used by another {}", item.kind().as_str()),
        ));
    }
    item.set_slug(free);
    Ok(())
}

pub(super) fn stale(current: &ContentItem, expected: i32) -> Result<()> {
    let version = current.publication().version;
    if version == expected {
        Ok(())
    } else {
        Err(gql(DomainError::Conflict(format!(
            "{} was changed by someone else: expected version {expected}, current version {version}",
            current.kind().as_str()
        ))))
    }
}

async fn delete(
    ctx: &Context<'_>,
    kind: content::ContentKind,
    id: &ID,
    expected_version: i32,
) -> Result<DeletedContent> {
    let current = current(ctx, kind, id).await?;
    let by = check(ctx, Action::Delete, &current).await?;
    stale(&current, expected_version)?;
    store(ctx)
        .delete_content(&current, expected_version, &by)
        .await
        .map_err(gql)?;
    Ok(DeletedContent {
        id: ID(current.id().to_string()),
        kind: kind.into(),
    })
}

pub(super) async fn reload(ctx: &Context<'_>, item: &ContentItem) -> Result<ContentItem> {
    store(ctx)
        .content_item(item.kind(), item.id())
        .await
        .map_err(gql)?
        .ok_or_else(|| gql(DomainError::not_found(item.kind().as_str())))
}

type Maker = Box<dyn FnOnce(Uuid, Publication) -> ContentItem + Send>;

/// What an input gives before validation: the department (to authorize first), whether
/// the slug was chosen, and the validation that builds the item.
type Draft<V> = (Uuid, bool, V);

/// `Draft`s of each kind: the input turned into the domain's, then validated into the
/// item built under the id and bookkeeping the caller gives.
macro_rules! maker {
    ($name:ident, $input:ty, $item:ident, $variant:ident) => {
        fn $name(input: $input) -> Result<Draft<impl FnOnce() -> Result<Maker, DomainError>>> {
            let input = input.into_domain()?;
            Ok((input.department_id, input.slug.is_some(), move || {
                let fields = input.validate()?;
                Ok(Box::new(move |id, publication| {
                    ContentItem::$variant($item {
                        id,
                        publication,
                        fields,
                    })
                }) as Maker)
            }))
        }
    };
}

maker!(event_maker, EventInput, Event, Event);
maker!(
    association_maker,
    AssociationInput,
    Association,
    Association
);
maker!(news_maker, NewsArticleInput, NewsArticle, NewsArticle);
maker!(
    service_maker,
    PublicServiceInput,
    PublicService,
    PublicService
);

fn as_event(n: ContentNode) -> Option<EventNode> {
    match n {
        ContentNode::Event(e) => Some(e),
        _ => None,
    }
}

fn as_association(n: ContentNode) -> Option<AssociationNode> {
    match n {
        ContentNode::Association(a) => Some(a),
        _ => None,
    }
}

fn as_news(n: ContentNode) -> Option<NewsArticleNode> {
    match n {
        ContentNode::NewsArticle(a) => Some(a),
        _ => None,
    }
}

fn as_service(n: ContentNode) -> Option<PublicServiceNode> {
    match n {
        ContentNode::PublicService(s) => Some(s),
        _ => None,
    }
}

use content::ContentKind as Kind;

/// Content mutations. Each item is created as a draft; an update replaces every field
/// and needs the version it was based on (`CONFLICT` when someone saved in between).
#[derive(Default)]
pub struct EditingMutation;

#[Object]
impl EditingMutation {
    /// Creates a draft event (contributor of the department).
    async fn create_event(&self, ctx: &Context<'_>, input: EventInput) -> Result<EventNode> {
        let (department, slug_given, make) = event_maker(input)?;
        node(create(ctx, department, slug_given, make).await?, as_event)
    }
    /// Replaces an event's fields.
    async fn update_event(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: EventInput,
    ) -> Result<EventNode> {
        let (department, slug_given, make) = event_maker(input)?;
        node(
            update(
                ctx,
                Kind::Event,
                &id,
                expected_version,
                department,
                slug_given,
                make,
            )
            .await?,
            as_event,
        )
    }
    async fn delete_event(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
    ) -> Result<DeletedContent> {
        delete(ctx, Kind::Event, &id, expected_version).await
    }

    /// Creates a draft association (contributor of the department).
    async fn create_association(
        &self,
        ctx: &Context<'_>,
        input: AssociationInput,
    ) -> Result<AssociationNode> {
        let (department, slug_given, make) = association_maker(input)?;
        node(
            create(ctx, department, slug_given, make).await?,
            as_association,
        )
    }
    async fn update_association(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: AssociationInput,
    ) -> Result<AssociationNode> {
        let (department, slug_given, make) = association_maker(input)?;
        node(
            update(
                ctx,
                Kind::Association,
                &id,
                expected_version,
                department,
                slug_given,
                make,
            )
            .await?,
            as_association,
        )
    }
    async fn delete_association(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
    ) -> Result<DeletedContent> {
        delete(ctx, Kind::Association, &id, expected_version).await
    }

    /// Creates a draft news article (contributor of the department).
    async fn create_news_article(
        &self,
        ctx: &Context<'_>,
        input: NewsArticleInput,
    ) -> Result<NewsArticleNode> {
        let (department, slug_given, make) = news_maker(input)?;
        node(create(ctx, department, slug_given, make).await?, as_news)
    }
    async fn update_news_article(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: NewsArticleInput,
    ) -> Result<NewsArticleNode> {
        let (department, slug_given, make) = news_maker(input)?;
        node(
            update(
                ctx,
                Kind::NewsArticle,
                &id,
                expected_version,
                department,
                slug_given,
                make,
            )
            .await?,
            as_news,
        )
    }
    async fn delete_news_article(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
    ) -> Result<DeletedContent> {
        delete(ctx, Kind::NewsArticle, &id, expected_version).await
    }

    /// Creates a draft public service (contributor of the department).
    async fn create_public_service(
        &self,
        ctx: &Context<'_>,
        input: PublicServiceInput,
    ) -> Result<PublicServiceNode> {
        let (department, slug_given, make) = service_maker(input)?;
        node(create(ctx, department, slug_given, make).await?, as_service)
    }
    async fn update_public_service(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: PublicServiceInput,
    ) -> Result<PublicServiceNode> {
        let (department, slug_given, make) = service_maker(input)?;
        node(
            update(
                ctx,
                Kind::PublicService,
                &id,
                expected_version,
                department,
                slug_given,
                make,
            )
            .await?,
            as_service,
        )
    }
    async fn delete_public_service(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
    ) -> Result<DeletedContent> {
        delete(ctx, Kind::PublicService, &id, expected_version).await
    }
}

/// Whether the policy lets the caller read this unpublished item.
fn readable(
    ctx: &Context<'_>,
    departments: &[silo_domain::department::Department],
    item: &ContentItem,
) -> bool {
    let Some(path) = silo_domain::rights::DepartmentPath::of(departments, item.department_id())
    else {
        return false;
    };
    silo_domain::rights::authorize(
        principal(ctx),
        Action::ReadDraft,
        &Resource::Content {
            department: &path,
            created_by: item.publication().created_by,
            status: item.publication().status,
        },
        Utc::now(),
    )
    .is_ok()
}

/// Reads of unpublished content, for those allowed to edit it.
#[derive(Default)]
pub struct EditingQuery;

#[Object]
impl EditingQuery {
    /// One item of any state: a published item for anyone, an unpublished one for those
    /// who may edit it (`FORBIDDEN` otherwise).
    async fn content_item(
        &self,
        ctx: &Context<'_>,
        kind: ContentKind,
        id: ID,
    ) -> Result<ContentNode> {
        let item = current(ctx, kind.into(), &id).await?;
        check(ctx, Action::ReadDraft, &item).await?;
        super::trail::item(ctx, item.kind(), item.id());
        Ok(item.into())
    }

    /// Unpublished items (drafts, in review, unpublished, archived) the caller may edit,
    /// most recently updated first. Relay paging (`first` at most 100).
    async fn drafts(
        &self,
        ctx: &Context<'_>,
        kind: ContentKind,
        department_id: Option<ID>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, ContentNode>> {
        let me = user(ctx)?;
        let page = cursor::PageRequest::parse(first, after.as_deref(), |c| {
            cursor::decode_instant(CURSOR_KIND, c)
        })?;
        let store = store(ctx);
        let departments = store.departments().await.map_err(gql)?;
        let wanted = match department_id {
            Some(id) => {
                let id = uuid(&id, "departmentId")?;
                if !departments.iter().any(|d| d.id == id) {
                    return Err(bad_input("departmentId", "no such department"));
                }
                subtree(&departments, id)
            }
            None => Vec::new(),
        };
        // Narrow in SQL to the departments the user holds a role on; the policy below
        // decides item by item (a contributor sees their own drafts only).
        let mut department_ids = wanted;
        if !me.admin {
            let now = Utc::now();
            let mine: Vec<Uuid> = me
                .grants
                .iter()
                .filter(|g| g.active_at(now))
                .flat_map(|g| subtree(&departments, g.department_id))
                .collect();
            department_ids = if department_ids.is_empty() {
                mine
            } else {
                department_ids
                    .into_iter()
                    .filter(|d| mine.contains(d))
                    .collect()
            };
            if department_ids.is_empty() {
                return Ok(Connection::new(false, false));
            }
        }
        // Without an editor role anywhere, only one's own drafts can be readable.
        let editor_somewhere = me.admin
            || me
                .grants
                .iter()
                .any(|g| g.active_at(Utc::now()) && g.role >= silo_domain::rights::Role::Editor);
        let query = DraftQuery {
            kind: Some(kind.into()),
            department_ids,
            created_by: (!editor_somewhere).then_some(me.id),
        };
        // Items the policy hides are skipped; keep reading until the page is full, so a
        // page is never empty while more remain.
        let mut visible = Vec::new();
        let mut after = page.after;
        let has_next = loop {
            let rows = store
                .drafts_page(kind.into(), &query, after.as_ref(), page.limit + 1)
                .await
                .map_err(gql)?;
            let more = rows.len() > page.limit;
            let mut rows = rows.into_iter().take(page.limit).peekable();
            for item in rows.by_ref() {
                after = Some((item.publication().updated_at, item.id()));
                if readable(ctx, &departments, &item) {
                    visible.push(item);
                    if visible.len() == page.limit {
                        break;
                    }
                }
            }
            if visible.len() == page.limit {
                break more || rows.peek().is_some();
            }
            if !more {
                break false;
            }
        };
        let mut connection = Connection::new(page.after.is_some(), has_next);
        connection.edges.extend(visible.into_iter().map(|item| {
            let p = item.publication();
            let c = cursor::encode_instant(CURSOR_KIND, p.updated_at, item.id());
            async_graphql::connection::Edge::new(c, ContentNode::from(item))
        }));
        Ok(connection)
    }
}
