//! Workflow mutations: review, publish, take down, archive, restore — each asked of the
//! rights policy, checked against the workflow's transitions and, for publishing, the
//! department's four-eyes rule.

use super::access::{allow, department_path, store, user, uuid};
use super::editing::{ContentNode, check, current, reload, stale};
use super::error::{bad_input, gql};
use super::inputs::ContentKind;
use async_graphql::{Context, ID, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use silo_domain::DomainError;
use silo_domain::department::subtree;
use silo_domain::item::ContentItem;
use silo_domain::rights::{Action, Resource};
use silo_domain::workflow::{Transition, check_four_eyes, check_reason};

async fn transition(
    ctx: &Context<'_>,
    kind: ContentKind,
    id: &ID,
    expected_version: Option<i32>,
    transition: Transition,
    note: Option<String>,
) -> Result<ContentNode> {
    let mut retried = false;
    loop {
        let item = current(ctx, kind.into(), id).await?;
        let by = check(ctx, transition.action(), &item).await?;
        let to = transition.apply(item.publication().status).map_err(gql)?;
        if let Some(expected) = expected_version {
            stale(&item, expected)?;
        }
        let note = if transition.needs_reason() {
            let field = if transition == Transition::Reject {
                "comment"
            } else {
                "reason"
            };
            Some(check_reason(field, note.as_deref()).map_err(gql)?)
        } else {
            None
        };
        if transition.publishes() {
            four_eyes(ctx, &item).await?;
        }
        match store(ctx).set_status(&item, to, &by, note.as_deref()).await {
            // A takedown does not wait on a version: an edit saved in between is taken
            // down too, after the same checks on the item as it now is.
            Err(DomainError::Conflict(_)) if expected_version.is_none() && !retried => {
                retried = true;
            }
            saved => return Ok(reload(ctx, &saved.map_err(gql)?).await?.into()),
        }
    }
}

/// The department's review policy applied to the caller publishing `item`.
async fn four_eyes(ctx: &Context<'_>, item: &ContentItem) -> Result<()> {
    let departments = store(ctx).departments().await.map_err(gql)?;
    let policy = departments
        .iter()
        .find(|d| d.id == item.department_id())
        .map(|d| d.review_policy)
        .unwrap_or_default();
    check_four_eyes(policy, item.publication().updated_by, user(ctx)?.id).map_err(gql)
}

/// What a department takedown did.
#[derive(SimpleObject)]
pub struct Takedown {
    /// How many items were unpublished.
    pub count: i32,
    /// The items, now unpublished: each can be published again one by one.
    pub items: Vec<ContentNode>,
}

/// Workflow transitions. `expectedVersion` makes sure what is published is what was
/// reviewed; an invalid transition is a `CONFLICT` naming the current state.
#[derive(Default)]
pub struct WorkflowMutation;

#[Object]
impl WorkflowMutation {
    /// Draft → in review (the author, or an editor).
    async fn submit_for_review(
        &self,
        ctx: &Context<'_>,
        kind: ContentKind,
        id: ID,
        expected_version: i32,
    ) -> Result<ContentNode> {
        transition(
            ctx,
            kind,
            &id,
            Some(expected_version),
            Transition::SubmitForReview,
            None,
        )
        .await
    }
    /// In review → published (a publisher; under four-eyes, not the last editor).
    async fn approve(
        &self,
        ctx: &Context<'_>,
        kind: ContentKind,
        id: ID,
        expected_version: i32,
    ) -> Result<ContentNode> {
        transition(
            ctx,
            kind,
            &id,
            Some(expected_version),
            Transition::Approve,
            None,
        )
        .await
    }
    /// In review → draft, with a comment for the author (a publisher).
    async fn reject(
        &self,
        ctx: &Context<'_>,
        kind: ContentKind,
        id: ID,
        expected_version: i32,
        comment: String,
    ) -> Result<ContentNode> {
        transition(
            ctx,
            kind,
            &id,
            Some(expected_version),
            Transition::Reject,
            Some(comment),
        )
        .await
    }
    /// Draft, in review or unpublished → published (a publisher; under four-eyes, not the
    /// last editor).
    async fn publish(
        &self,
        ctx: &Context<'_>,
        kind: ContentKind,
        id: ID,
        expected_version: i32,
    ) -> Result<ContentNode> {
        transition(
            ctx,
            kind,
            &id,
            Some(expected_version),
            Transition::Publish,
            None,
        )
        .await
    }
    /// Takes a published item down at once, with a reason (a publisher). No version is
    /// needed: a takedown must not wait for anyone.
    async fn unpublish(
        &self,
        ctx: &Context<'_>,
        kind: ContentKind,
        id: ID,
        reason: String,
        expected_version: Option<i32>,
    ) -> Result<ContentNode> {
        transition(
            ctx,
            kind,
            &id,
            expected_version,
            Transition::Unpublish,
            Some(reason),
        )
        .await
    }
    /// Draft, published or unpublished → archived (a publisher).
    async fn archive(
        &self,
        ctx: &Context<'_>,
        kind: ContentKind,
        id: ID,
        expected_version: i32,
    ) -> Result<ContentNode> {
        transition(
            ctx,
            kind,
            &id,
            Some(expected_version),
            Transition::Archive,
            None,
        )
        .await
    }
    /// Archived or unpublished → draft (a publisher).
    async fn restore(
        &self,
        ctx: &Context<'_>,
        kind: ContentKind,
        id: ID,
        expected_version: i32,
    ) -> Result<ContentNode> {
        transition(
            ctx,
            kind,
            &id,
            Some(expected_version),
            Transition::Restore,
            None,
        )
        .await
    }

    /// Sets when an item publishes and unpublishes itself (a publisher; publishing under
    /// four-eyes needs another publisher than the last editor, checked now). Null clears.
    /// Executed within one scheduler tick; editing the item later cancels a pending
    /// publication, so what goes out is what was scheduled.
    async fn schedule(
        &self,
        ctx: &Context<'_>,
        kind: ContentKind,
        id: ID,
        expected_version: i32,
        publish_at: Option<DateTime<Utc>>,
        unpublish_at: Option<DateTime<Utc>>,
    ) -> Result<ContentNode> {
        let item = current(ctx, kind.into(), &id).await?;
        let mut by = None;
        if unpublish_at.is_some() || publish_at.is_none() {
            by = Some(check(ctx, Action::Unpublish, &item).await?);
        }
        if publish_at.is_some() {
            by = Some(check(ctx, Action::Publish, &item).await?);
            four_eyes(ctx, &item).await?;
        }
        let by = by.expect("one of the branches above ran");
        stale(&item, expected_version)?;
        if let (Some(on), Some(off)) = (publish_at, unpublish_at)
            && off <= on
        {
            return Err(bad_input("unpublishAt", "must be after publishAt"));
        }
        let next = store(ctx)
            .set_schedule(&item, publish_at, unpublish_at, &by)
            .await
            .map_err(gql)?;
        Ok(reload(ctx, &next).await?.into())
    }

    /// Unpublishes all published content of a department and its sub-departments in one
    /// call, with a reason (admins). Items are published again one by one.
    async fn takedown_department(
        &self,
        ctx: &Context<'_>,
        department_id: ID,
        reason: String,
    ) -> Result<Takedown> {
        let by = allow(ctx, Action::TakedownDepartment, &Resource::Hub)?;
        let id = uuid(&department_id, "departmentId")?;
        department_path(ctx, id, "departmentId").await?;
        let reason = check_reason("reason", Some(&reason)).map_err(gql)?;
        let departments = store(ctx).departments().await.map_err(gql)?;
        let taken = store(ctx)
            .unpublish_departments(&subtree(&departments, id), &by, &reason)
            .await
            .map_err(gql)?;
        let mut items = Vec::with_capacity(taken.len());
        for item in &taken {
            items.push(reload(ctx, item).await?.into());
        }
        Ok(Takedown {
            count: items.len() as i32,
            items,
        })
    }
}
