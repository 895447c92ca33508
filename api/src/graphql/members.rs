//! Who holds which role on a department: memberships granted by its managers, and
//! delegations (leave cover) lent for a time window by a member, never above their own.

use super::access::{allow, department_path, store, user, uuid};
use super::account::MembershipNode;
use super::error::gql;
use super::inputs::Role;
use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, Utc};
use silo_domain::DomainError;
use silo_domain::audit::Actor;
use silo_domain::department::subtree;
use silo_domain::rights::{self, Action, Grant, Resource};
use uuid::Uuid;

async fn existing_user(ctx: &Context<'_>, id: &ID) -> Result<Uuid> {
    let id = uuid(id, "userId")?;
    match store(ctx).user(id).await.map_err(gql)? {
        Some(_) => Ok(id),
        None => Err(super::error::bad_input("userId", "no such user")),
    }
}

#[derive(Default)]
pub struct MembersQuery;

#[Object]
impl MembersQuery {
    /// Memberships and delegations on a department and its sub-departments (its managers,
    /// admins).
    async fn department_members(
        &self,
        ctx: &Context<'_>,
        department_id: ID,
    ) -> Result<Vec<MembershipNode>> {
        let id = uuid(&department_id, "departmentId")?;
        let path = department_path(ctx, id, "departmentId").await?;
        allow(ctx, Action::ManageMembers, &Resource::Department(&path))?;
        let departments = store(ctx).departments().await.map_err(gql)?;
        let rows = store(ctx)
            .members_of(&subtree(&departments, id))
            .await
            .map_err(gql)?;
        Ok(rows.into_iter().map(MembershipNode).collect())
    }
}

#[derive(Default)]
pub struct MembersMutation;

#[Object]
impl MembersMutation {
    /// Gives a user a role on a department (the department's own managers, admins).
    async fn grant_membership(
        &self,
        ctx: &Context<'_>,
        user_id: ID,
        department_id: ID,
        role: Role,
    ) -> Result<MembershipNode> {
        let department = uuid(&department_id, "departmentId")?;
        let path = department_path(ctx, department, "departmentId").await?;
        let by = allow(ctx, Action::ManageMembers, &Resource::Department(&path))?;
        let member = existing_user(ctx, &user_id).await?;
        let grant = Grant {
            membership_id: Uuid::now_v7(),
            department_id: department,
            role: role.into(),
            valid_from: None,
            valid_until: None,
            delegated_by: None,
        };
        record(ctx, &by, member, grant).await
    }

    /// Lends a role on a department to another user from `validFrom` (default: now) to
    /// `validUntil`, when it ends by itself. A member lends at most their own role, from a
    /// membership of their own (a delegated role is not lent on).
    async fn delegate_role(
        &self,
        ctx: &Context<'_>,
        user_id: ID,
        department_id: ID,
        role: Role,
        valid_from: Option<DateTime<Utc>>,
        valid_until: DateTime<Utc>,
    ) -> Result<MembershipNode> {
        let department = uuid(&department_id, "departmentId")?;
        let path = department_path(ctx, department, "departmentId").await?;
        let role: rights::Role = role.into();
        let by = allow(ctx, Action::Delegate(role), &Resource::Department(&path))?;
        let me = user(ctx)?;
        let delegate = existing_user(ctx, &user_id).await?;
        let now = Utc::now();
        let from = valid_from.unwrap_or(now);
        rights::check_delegation(me.id, delegate, from, valid_until, now).map_err(gql)?;
        let grant = Grant {
            membership_id: Uuid::now_v7(),
            department_id: department,
            role,
            valid_from: Some(from),
            valid_until: Some(valid_until),
            delegated_by: Some(me.id),
        };
        record(ctx, &by, delegate, grant).await
    }

    /// Ends a membership (the department's own managers, admins) or a delegation (also
    /// whoever made it), at once.
    async fn revoke_membership(&self, ctx: &Context<'_>, id: ID) -> Result<bool> {
        let record = store(ctx)
            .membership(uuid(&id, "id")?)
            .await
            .map_err(gql)?
            .ok_or_else(|| gql(DomainError::not_found("membership")))?;
        let path = department_path(ctx, record.grant.department_id, "id").await?;
        let by = match record.grant.delegated_by {
            Some(by) => allow(
                ctx,
                Action::RevokeDelegation,
                &Resource::Delegation {
                    department: &path,
                    delegated_by: Some(by),
                },
            )?,
            None => allow(ctx, Action::ManageMembers, &Resource::Department(&path))?,
        };
        store(ctx)
            .revoke_membership(&record, &by)
            .await
            .map_err(gql)?;
        Ok(true)
    }
}

async fn record(
    ctx: &Context<'_>,
    by: &Actor,
    member: Uuid,
    grant: Grant,
) -> Result<MembershipNode> {
    let store = store(ctx);
    store
        .grant_membership(member, &grant, by)
        .await
        .map_err(gql)?;
    let stored = store
        .membership(grant.membership_id)
        .await
        .map_err(gql)?
        .ok_or_else(|| gql(DomainError::not_found("membership")))?;
    Ok(MembershipNode(stored))
}
