//! Revisions: every saved version is kept; two versions can be compared field by field,
//! and an old one restored as a new version (history is never rewritten).

use super::Horizon;
use super::access::{store, user};
use super::editing::{ContentNode, check, current, reload, stale};
use super::error::{bad_input, gql};
use super::inputs::ContentKind;
use async_graphql::{Context, ID, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use silo_domain::rights::Action;
use silo_storage::Revision;

/// A saved version.
#[derive(SimpleObject)]
pub struct RevisionNode {
    pub version: i32,
    pub saved_at: DateTime<Utc>,
    pub saved_by: Option<ID>,
    /// The title or name as saved.
    pub label: String,
}

/// One field that differs between two versions; values are JSON.
#[derive(SimpleObject)]
pub struct FieldChangeNode {
    /// Dotted path (`title`, `accessibility.wheelchair`).
    pub field: String,
    pub before: async_graphql::Json<serde_json::Value>,
    pub after: async_graphql::Json<serde_json::Value>,
}

async fn history(ctx: &Context<'_>, kind: ContentKind, id: &ID) -> Result<Vec<Revision>> {
    let item = current(ctx, kind.into(), id).await?;
    check(ctx, Action::ReadDraft, &item).await?;
    store(ctx).revisions(item.id()).await.map_err(gql)
}

fn saved_version<'a>(all: &'a [Revision], v: i32, field: &str) -> Result<&'a Revision> {
    all.iter()
        .find(|r| r.version == v)
        .ok_or_else(|| bad_input(field, format!("no saved version {v}")))
}

#[derive(Default)]
pub struct RevisionQuery;

#[Object]
impl RevisionQuery {
    /// Every saved version of an item, oldest first (those who may read its drafts).
    async fn revisions(
        &self,
        ctx: &Context<'_>,
        kind: ContentKind,
        id: ID,
    ) -> Result<Vec<RevisionNode>> {
        Ok(history(ctx, kind, &id)
            .await?
            .into_iter()
            .map(|r| RevisionNode {
                version: r.version,
                saved_at: r.saved_at,
                saved_by: r.saved_by.map(|u| ID(u.to_string())),
                label: r.item.label().to_owned(),
            })
            .collect())
    }

    /// The fields that differ from version `from` to version `to`.
    async fn revision_diff(
        &self,
        ctx: &Context<'_>,
        kind: ContentKind,
        id: ID,
        from: i32,
        to: i32,
    ) -> Result<Vec<FieldChangeNode>> {
        let all = history(ctx, kind, &id).await?;
        let (older, newer) = (
            saved_version(&all, from, "from")?,
            saved_version(&all, to, "to")?,
        );
        Ok(newer
            .item
            .diff(&older.item)
            .into_iter()
            .map(|c| FieldChangeNode {
                field: c.field,
                before: async_graphql::Json(c.before),
                after: async_graphql::Json(c.after),
            })
            .collect())
    }
}

#[derive(Default)]
pub struct RevisionMutation;

#[Object]
impl RevisionMutation {
    /// Saves the fields of an old version as a new version (editing rights; the item's
    /// workflow state is kept).
    async fn restore_revision(
        &self,
        ctx: &Context<'_>,
        kind: ContentKind,
        id: ID,
        version: i32,
        expected_version: i32,
    ) -> Result<ContentNode> {
        let item = current(ctx, kind.into(), &id).await?;
        let by = check(ctx, Action::Edit, &item).await?;
        stale(&item, expected_version)?;
        let all = store(ctx).revisions(item.id()).await.map_err(gql)?;
        let old = saved_version(&all, version, "version")?;
        let editor = user(ctx)?.id;
        let now = Utc::now();
        let next = item
            .revised(old.item.clone(), editor, now)
            .ok_or_else(|| bad_input("version", "is a version of another kind"))?;
        let horizon = ctx.data_unchecked::<Horizon>().0;
        store(ctx)
            .update_content(&next, &by, now + horizon)
            .await
            .map_err(gql)?;
        Ok(reload(ctx, &next).await?.into())
    }
}
