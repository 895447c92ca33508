//! Signing in and out, the caller's own rights (`me`), and user accounts for admins.

use super::RequestContext;
use super::access::{allow, principal, store, user, uuid};
use super::error::gql;
use super::inputs::Role;
use super::types::{DepartmentNode, SiteNode};
use crate::identity::{Identity, Session, sessions};
use async_graphql::{Context, ID, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use silo_domain::DomainError;
use silo_domain::audit::Actor;
use silo_domain::rights::{self, Action, Resource};
use silo_storage::{AccountFlags, MembershipRecord, UserAccount};

/// A user account.
pub struct UserNode(pub UserAccount);

#[Object(name = "User")]
impl UserNode {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// Normalized (trimmed, lowercase).
    async fn email(&self) -> &str {
        &self.0.email
    }
    /// Global administrator (webmaster).
    async fn admin(&self) -> bool {
        self.0.admin
    }
    /// May read the audit log.
    async fn auditor(&self) -> bool {
        self.0.auditor
    }
    /// A disabled account cannot sign in; its tokens are refused.
    async fn disabled(&self) -> bool {
        self.0.disabled
    }
    async fn version(&self) -> i32 {
        self.0.version
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// A role held on a department: one's own membership, or a delegation for a time window.
pub struct MembershipNode(pub MembershipRecord);

#[Object(name = "Membership")]
impl MembershipNode {
    async fn id(&self) -> ID {
        ID(self.0.grant.membership_id.to_string())
    }
    async fn user(&self, ctx: &Context<'_>) -> Result<Option<UserNode>> {
        Ok(store(ctx)
            .user(self.0.user_id)
            .await
            .map_err(gql)?
            .map(UserNode))
    }
    async fn user_id(&self) -> ID {
        ID(self.0.user_id.to_string())
    }
    async fn department(&self, ctx: &Context<'_>) -> Result<Option<DepartmentNode>> {
        let rows = store(ctx)
            .departments_by_ids(&[self.0.grant.department_id])
            .await
            .map_err(gql)?;
        Ok(rows.into_iter().next().map(DepartmentNode))
    }
    async fn role(&self) -> Role {
        self.0.grant.role.into()
    }
    /// Start of a delegation's window.
    async fn valid_from(&self) -> Option<DateTime<Utc>> {
        self.0.grant.valid_from
    }
    /// End of a delegation's window: it ends by itself then.
    async fn valid_until(&self) -> Option<DateTime<Utc>> {
        self.0.grant.valid_until
    }
    /// Who lent this role; null for one's own membership.
    async fn delegated_by(&self, ctx: &Context<'_>) -> Result<Option<UserNode>> {
        match self.0.grant.delegated_by {
            Some(id) => Ok(store(ctx).user(id).await.map_err(gql)?.map(UserNode)),
            None => Ok(None),
        }
    }
    /// Whether it is in force now.
    async fn active(&self) -> bool {
        self.0.grant.active_at(Utc::now())
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// The strongest role the caller holds on a department now, inherited roles included.
#[derive(SimpleObject)]
pub struct EffectiveRight {
    pub department: DepartmentNode,
    pub role: Role,
    /// Set when the role comes from a delegation.
    pub delegated_by: Option<ID>,
}

/// The signed-in user, their roles and delegations.
pub struct Me(UserAccount);

#[Object]
impl Me {
    async fn user(&self) -> UserNode {
        UserNode(self.0.clone())
    }
    /// Every membership held, own and delegated, expired ones included.
    async fn memberships(&self, ctx: &Context<'_>) -> Result<Vec<MembershipNode>> {
        let rows = store(ctx)
            .memberships_of_user(self.0.id)
            .await
            .map_err(gql)?;
        Ok(rows.into_iter().map(MembershipNode).collect())
    }
    /// Delegations this user made to others.
    async fn delegations_given(&self, ctx: &Context<'_>) -> Result<Vec<MembershipNode>> {
        let rows = store(ctx).delegations_by(self.0.id).await.map_err(gql)?;
        Ok(rows.into_iter().map(MembershipNode).collect())
    }
    /// Delegations this user received (leave cover), current and past.
    async fn delegations_received(&self, ctx: &Context<'_>) -> Result<Vec<MembershipNode>> {
        let rows = store(ctx)
            .memberships_of_user(self.0.id)
            .await
            .map_err(gql)?;
        Ok(rows
            .into_iter()
            .filter(|m| m.grant.delegated_by.is_some())
            .map(MembershipNode)
            .collect())
    }
    /// The role in force on each department now.
    async fn effective_rights(&self, ctx: &Context<'_>) -> Result<Vec<EffectiveRight>> {
        let me = user(ctx)?;
        let departments = store(ctx).departments().await.map_err(gql)?;
        Ok(rights::effective_roles(me, &departments, Utc::now())
            .into_iter()
            .filter_map(|(id, role, by)| {
                let department = departments.iter().find(|d| d.id == id)?.clone();
                Some(EffectiveRight {
                    department: DepartmentNode(department),
                    role: role.into(),
                    delegated_by: by.map(|u| ID(u.to_string())),
                })
            })
            .collect())
    }
    /// Sites whose slots this user curates.
    async fn curated_sites(&self, ctx: &Context<'_>) -> Result<Vec<SiteNode>> {
        let me = user(ctx)?;
        let sites = store(ctx).sites().await.map_err(gql)?;
        Ok(sites
            .into_iter()
            .filter(|s| me.curated_sites.contains(&s.id))
            .map(SiteNode)
            .collect())
    }
}

/// Tokens handed out by `login` and `refresh`.
#[derive(SimpleObject)]
pub struct SessionTokens {
    /// Send as `Authorization: Bearer <accessToken>`.
    pub access_token: String,
    pub token_type: String,
    pub access_token_expires_at: DateTime<Utc>,
    /// Single use: `refresh` returns the next one. Keep it secret.
    pub refresh_token: String,
    pub refresh_token_expires_at: DateTime<Utc>,
    pub user_id: ID,
}

impl From<Session> for SessionTokens {
    fn from(s: Session) -> Self {
        Self {
            access_token: s.access_token,
            token_type: "Bearer".to_owned(),
            access_token_expires_at: s.access_expires_at,
            refresh_token: s.refresh_token,
            refresh_token_expires_at: s.refresh_expires_at,
            user_id: ID(s.user_id.to_string()),
        }
    }
}

async fn account(ctx: &Context<'_>, id: &ID) -> Result<UserAccount> {
    store(ctx)
        .user(uuid(id, "id")?)
        .await
        .map_err(gql)?
        .ok_or_else(|| gql(DomainError::not_found("user")))
}

#[derive(Default)]
pub struct AccountQuery;

#[Object]
impl AccountQuery {
    /// The signed-in user (`UNAUTHENTICATED` otherwise).
    async fn me(&self, ctx: &Context<'_>) -> Result<Me> {
        let me = user(ctx)?;
        let account = store(ctx).user(me.id).await.map_err(gql)?.ok_or_else(|| {
            gql(DomainError::unauthenticated(
                "this account no longer exists",
            ))
        })?;
        Ok(Me(account))
    }

    /// Every user account (managers, to pick members; admins).
    async fn users(&self, ctx: &Context<'_>) -> Result<Vec<UserNode>> {
        allow(ctx, Action::ListUsers, &Resource::Hub)?;
        let rows = store(ctx).users().await.map_err(gql)?;
        Ok(rows.into_iter().map(UserNode).collect())
    }
}

#[derive(Default)]
pub struct AccountMutation;

#[Object]
impl AccountMutation {
    /// Signs in. Repeated failures for one email or from one address are throttled
    /// (`TOO_MANY_REQUESTS`, with the delay in the message).
    async fn login(
        &self,
        ctx: &Context<'_>,
        email: String,
        password: String,
    ) -> Result<SessionTokens> {
        let identity = ctx.data_unchecked::<Identity>();
        let client = ctx
            .data_unchecked::<RequestContext>()
            .client_addr
            .as_deref();
        let session = identity
            .login(&email, password, client)
            .await
            .map_err(gql)?;
        Ok(session.into())
    }

    /// Exchanges a refresh token for new tokens. A refresh token works once: presenting
    /// it again revokes the whole session.
    async fn refresh(&self, ctx: &Context<'_>, refresh_token: String) -> Result<SessionTokens> {
        let identity = ctx.data_unchecked::<Identity>();
        Ok(identity.refresh(&refresh_token).await.map_err(gql)?.into())
    }

    /// Ends the session the refresh token belongs to. True when there was one.
    async fn logout(&self, ctx: &Context<'_>, refresh_token: String) -> Result<bool> {
        let identity = ctx.data_unchecked::<Identity>();
        identity.logout(&refresh_token).await.map_err(gql)
    }

    /// Creates an account (admins).
    async fn create_user(
        &self,
        ctx: &Context<'_>,
        email: String,
        password: String,
        #[graphql(default)] admin: bool,
    ) -> Result<UserNode> {
        let by = allow(ctx, Action::ManageUsers, &Resource::Hub)?;
        let account = sessions::create_user(store(ctx), &email, password, admin, &by)
            .await
            .map_err(gql)?;
        Ok(UserNode(account))
    }

    /// Sets an account's flags (admins). Disabling ends its sessions at once.
    async fn update_user(
        &self,
        ctx: &Context<'_>,
        id: ID,
        admin: Option<bool>,
        auditor: Option<bool>,
        disabled: Option<bool>,
    ) -> Result<UserNode> {
        let by = allow(ctx, Action::ManageUsers, &Resource::Hub)?;
        let target = account(ctx, &id).await?;
        if principal(ctx).user_id() == Some(target.id)
            && (disabled == Some(true) || admin == Some(false))
        {
            return Err(super::error::bad_input(
                "id",
                "an admin cannot disable or demote themself",
            ));
        }
        let flags = AccountFlags {
            admin,
            auditor,
            disabled,
        };
        let account = store(ctx)
            .set_account_flags(target.id, flags, &by)
            .await
            .map_err(gql)?;
        Ok(UserNode(account))
    }

    /// Sets a new password and ends the account's sessions: admins for anyone, a user for
    /// themself with their current password.
    async fn reset_password(
        &self,
        ctx: &Context<'_>,
        id: ID,
        password: String,
        current_password: Option<String>,
    ) -> Result<bool> {
        let id = uuid(&id, "id")?;
        let own = principal(ctx).user_id() == Some(id);
        let by = if own {
            Actor::own_account(id)
        } else {
            allow(ctx, Action::ManageUsers, &Resource::Hub)?
        };
        let target = account(ctx, &ID(id.to_string())).await?;
        if own {
            let given = current_password.ok_or_else(|| {
                super::error::bad_input(
                    "currentPassword",
                    "is required to change one's own password",
                )
            })?;
            if !sessions::password_matches(store(ctx), &target, given)
                .await
                .map_err(gql)?
            {
                return Err(super::error::bad_input(
                    "currentPassword",
                    "is not the current password",
                ));
            }
        }
        sessions::reset_password(store(ctx), &target, password, &by)
            .await
            .map_err(gql)?;
        Ok(true)
    }
}
