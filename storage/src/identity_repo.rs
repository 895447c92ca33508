//! Users, their memberships and delegations, and the site curators: what the rights
//! policy reads to build a principal, and the writes that change who may do what.

use crate::entity::{membership, refresh_token, site_curator, user};
use crate::outbox::{self, Change, OutboxEvent};
use crate::{Store, internal};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveValue::Set, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder};
use silo_domain::DomainError;
use silo_domain::audit::Actor;
use silo_domain::field::Email;
use silo_domain::rights::{self, Grant, Role, UserPrincipal};
use uuid::Uuid;

/// A stored user account (the password hash stays in storage and the sign-in check).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserAccount {
    pub id: Uuid,
    pub email: String,
    pub admin: bool,
    pub auditor: bool,
    pub disabled: bool,
    pub version: i32,
    pub created_at: DateTime<Utc>,
}

/// A membership as listed to managers: the grant, whose it is, who made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MembershipRecord {
    pub user_id: Uuid,
    pub grant: Grant,
    pub created_at: DateTime<Utc>,
    pub created_by: Option<Uuid>,
}

/// The flags an admin sets on an account.
#[derive(Debug, Clone, Copy, Default)]
pub struct AccountFlags {
    pub admin: Option<bool>,
    pub auditor: Option<bool>,
    pub disabled: Option<bool>,
}

fn to_account(m: user::Model) -> UserAccount {
    UserAccount {
        id: m.id,
        email: m.email,
        admin: m.admin,
        auditor: m.auditor,
        disabled: m.disabled,
        version: m.version,
        created_at: m.created_at,
    }
}

fn to_record(m: membership::Model) -> Result<MembershipRecord, DomainError> {
    let role = Role::parse(&m.role)
        .ok_or_else(|| DomainError::Internal(format!("stored role `{}`", m.role)))?;
    Ok(MembershipRecord {
        user_id: m.user_id,
        grant: Grant {
            membership_id: m.id,
            department_id: m.department_id,
            role,
            valid_from: m.valid_from,
            valid_until: m.valid_until,
            delegated_by: m.delegated_by,
        },
        created_at: m.created_at,
        created_by: m.created_by,
    })
}

fn user_event(id: Uuid, change: Change, actor: &Actor, payload: serde_json::Value) -> OutboxEvent {
    OutboxEvent {
        aggregate: "user",
        aggregate_id: id,
        change,
        action: None,
        version: None,
        department_id: None,
        actor: actor.clone(),
        before: serde_json::Value::Null,
        payload,
    }
}

impl Store {
    /// Creates an account; the email must not be taken.
    pub async fn create_user(
        &self,
        email: &Email,
        password_hash: String,
        admin: bool,
        actor: &Actor,
    ) -> Result<UserAccount, DomainError> {
        let now = Utc::now();
        let id = Uuid::now_v7();
        let txn = self.begin_write().await?;
        user::Entity::insert(user::ActiveModel {
            id: Set(id),
            email: Set(email.as_str().to_owned()),
            password_hash: Set(password_hash),
            admin: Set(admin),
            auditor: Set(false),
            disabled: Set(false),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .exec_without_returning(&txn)
        .await
        .map_err(|e| match internal(e) {
            DomainError::Conflict(_) => DomainError::Conflict(format!(
                "a user with email {} already exists",
                email.as_str()
            )),
            other => other,
        })?;
        let payload = serde_json::json!({ "email": email.as_str(), "admin": admin });
        outbox::append(&txn, user_event(id, Change::Created, actor, payload), now).await?;
        txn.commit().await.map_err(internal)?;
        self.user(id)
            .await?
            .ok_or_else(|| DomainError::not_found("user"))
    }

    pub async fn user(&self, id: Uuid) -> Result<Option<UserAccount>, DomainError> {
        let row = user::Entity::find_by_id(id)
            .one(&self.db)
            .await
            .map_err(internal)?;
        Ok(row.map(to_account))
    }

    /// The account and its password hash, for the sign-in check.
    pub async fn user_credentials(
        &self,
        email: &Email,
    ) -> Result<Option<(UserAccount, String)>, DomainError> {
        let row = user::Entity::find()
            .filter(user::Column::Email.eq(email.as_str()))
            .one(&self.db)
            .await
            .map_err(internal)?;
        Ok(row.map(|m| {
            let hash = m.password_hash.clone();
            (to_account(m), hash)
        }))
    }

    pub async fn user_by_email(&self, email: &Email) -> Result<Option<UserAccount>, DomainError> {
        Ok(self.user_credentials(email).await?.map(|(u, _)| u))
    }

    /// Every account, by email.
    pub async fn users(&self) -> Result<Vec<UserAccount>, DomainError> {
        let rows = user::Entity::find()
            .order_by_asc(user::Column::Email)
            .all(&self.db)
            .await
            .map_err(internal)?;
        Ok(rows.into_iter().map(to_account).collect())
    }

    /// Changes an account's flags; disabling it ends every session at once.
    pub async fn set_account_flags(
        &self,
        id: Uuid,
        flags: AccountFlags,
        actor: &Actor,
    ) -> Result<UserAccount, DomainError> {
        let now = Utc::now();
        let txn = self.begin_write().await?;
        let mut update = user::Entity::update_many()
            .col_expr(user::Column::UpdatedAt, Expr::value(now))
            .col_expr(
                user::Column::Version,
                Expr::col(user::Column::Version).add(1),
            )
            .filter(user::Column::Id.eq(id));
        if let Some(admin) = flags.admin {
            update = update.col_expr(user::Column::Admin, Expr::value(admin));
        }
        if let Some(auditor) = flags.auditor {
            update = update.col_expr(user::Column::Auditor, Expr::value(auditor));
        }
        if let Some(disabled) = flags.disabled {
            update = update.col_expr(user::Column::Disabled, Expr::value(disabled));
        }
        let done = update.exec(&txn).await.map_err(internal)?;
        if done.rows_affected == 0 {
            return Err(DomainError::not_found("user"));
        }
        if flags.disabled == Some(true) {
            revoke_sessions_of(&txn, id, now).await?;
        }
        let payload = serde_json::json!({
            "admin": flags.admin, "auditor": flags.auditor, "disabled": flags.disabled,
        });
        outbox::append(&txn, user_event(id, Change::Updated, actor, payload), now).await?;
        txn.commit().await.map_err(internal)?;
        self.user(id)
            .await?
            .ok_or_else(|| DomainError::not_found("user"))
    }

    /// Sets a new password hash and ends every session of the account.
    pub async fn set_password_hash(
        &self,
        id: Uuid,
        password_hash: String,
        actor: &Actor,
    ) -> Result<(), DomainError> {
        let now = Utc::now();
        let txn = self.begin_write().await?;
        let done = user::Entity::update_many()
            .col_expr(user::Column::PasswordHash, Expr::value(password_hash))
            .col_expr(user::Column::UpdatedAt, Expr::value(now))
            .col_expr(
                user::Column::Version,
                Expr::col(user::Column::Version).add(1),
            )
            .filter(user::Column::Id.eq(id))
            .exec(&txn)
            .await
            .map_err(internal)?;
        if done.rows_affected == 0 {
            return Err(DomainError::not_found("user"));
        }
        revoke_sessions_of(&txn, id, now).await?;
        let payload = serde_json::json!({ "password": "reset" });
        outbox::append(&txn, user_event(id, Change::Updated, actor, payload), now).await?;
        txn.commit().await.map_err(internal)
    }

    /// What the rights policy needs to know about a user: flags, grants in force (a
    /// delegation whose lender lost their standing is dropped), curated sites.
    pub async fn principal(&self, user_id: Uuid) -> Result<Option<UserPrincipal>, DomainError> {
        let Some(mut principal) = self.stored_principal(user_id).await? else {
            return Ok(None);
        };
        let mut lenders: Vec<Uuid> = principal
            .grants
            .iter()
            .filter_map(|g| g.delegated_by)
            .collect();
        lenders.sort();
        lenders.dedup();
        if lenders.is_empty() {
            return Ok(Some(principal));
        }
        let departments = self.departments().await?;
        let mut lender_principals = Vec::new();
        for lender in lenders {
            lender_principals.extend(self.stored_principal(lender).await?);
        }
        let now = Utc::now();
        principal.grants.retain(|g| {
            let lender = lender_principals
                .iter()
                .find(|p| Some(p.id) == g.delegated_by);
            rights::delegation_backed(g, lender, &departments, now)
        });
        Ok(Some(principal))
    }

    /// The user's flags and every stored grant, as they are in the database.
    async fn stored_principal(&self, user_id: Uuid) -> Result<Option<UserPrincipal>, DomainError> {
        let Some(account) = self.user(user_id).await? else {
            return Ok(None);
        };
        let grants = self
            .memberships(Condition::all().add(membership::Column::UserId.eq(user_id)))
            .await?
            .into_iter()
            .map(|m| m.grant)
            .collect();
        let curated_sites = site_curator::Entity::find()
            .filter(site_curator::Column::UserId.eq(user_id))
            .all(&self.db)
            .await
            .map_err(internal)?
            .into_iter()
            .map(|c| c.site_id)
            .collect();
        Ok(Some(UserPrincipal {
            id: account.id,
            admin: account.admin,
            auditor: account.auditor,
            disabled: account.disabled,
            grants,
            curated_sites,
        }))
    }

    /// A user's memberships, own and delegated to them, expired ones included.
    pub async fn memberships_of_user(
        &self,
        user_id: Uuid,
    ) -> Result<Vec<MembershipRecord>, DomainError> {
        self.memberships(Condition::all().add(membership::Column::UserId.eq(user_id)))
            .await
    }

    /// Delegations a user made to others.
    pub async fn delegations_by(
        &self,
        user_id: Uuid,
    ) -> Result<Vec<MembershipRecord>, DomainError> {
        self.memberships(Condition::all().add(membership::Column::DelegatedBy.eq(user_id)))
            .await
    }

    /// The members of the given departments.
    pub async fn members_of(
        &self,
        department_ids: &[Uuid],
    ) -> Result<Vec<MembershipRecord>, DomainError> {
        self.memberships(
            Condition::all()
                .add(membership::Column::DepartmentId.is_in(department_ids.iter().copied())),
        )
        .await
    }

    pub async fn membership(&self, id: Uuid) -> Result<Option<MembershipRecord>, DomainError> {
        Ok(self
            .memberships(Condition::all().add(membership::Column::Id.eq(id)))
            .await?
            .pop())
    }

    async fn memberships(&self, cond: Condition) -> Result<Vec<MembershipRecord>, DomainError> {
        membership::Entity::find()
            .filter(cond)
            .order_by_asc(membership::Column::CreatedAt)
            .order_by_asc(membership::Column::Id)
            .all(&self.db)
            .await
            .map_err(internal)?
            .into_iter()
            .map(to_record)
            .collect()
    }

    /// Records a membership (own, or delegated when `grant.delegated_by` is set).
    pub async fn grant_membership(
        &self,
        user_id: Uuid,
        grant: &Grant,
        actor: &Actor,
    ) -> Result<(), DomainError> {
        let now = Utc::now();
        let txn = self.begin_write().await?;
        membership::Entity::insert(membership::ActiveModel {
            id: Set(grant.membership_id),
            user_id: Set(user_id),
            department_id: Set(grant.department_id),
            role: Set(grant.role.as_str().to_owned()),
            valid_from: Set(grant.valid_from),
            valid_until: Set(grant.valid_until),
            delegated_by: Set(grant.delegated_by),
            created_at: Set(now),
            created_by: Set(actor.user_id),
        })
        .exec_without_returning(&txn)
        .await
        .map_err(internal)?;
        let event = membership_event(user_id, grant, Change::Created, actor);
        outbox::append(&txn, event, now).await?;
        txn.commit().await.map_err(internal)
    }

    /// Ends a membership or a delegation at once.
    pub async fn revoke_membership(
        &self,
        record: &MembershipRecord,
        actor: &Actor,
    ) -> Result<(), DomainError> {
        let now = Utc::now();
        let txn = self.begin_write().await?;
        let done = membership::Entity::delete_by_id(record.grant.membership_id)
            .exec(&txn)
            .await
            .map_err(internal)?;
        if done.rows_affected == 0 {
            return Err(DomainError::not_found("membership"));
        }
        let event = membership_event(record.user_id, &record.grant, Change::Deleted, actor);
        outbox::append(&txn, event, now).await?;
        txn.commit().await.map_err(internal)
    }

    /// Makes `user_id` a curator of `site_id` (or no longer, when `curator` is false).
    pub async fn set_curator(
        &self,
        site_id: Uuid,
        user_id: Uuid,
        curator: bool,
        actor: &Actor,
    ) -> Result<(), DomainError> {
        let now = Utc::now();
        let txn = self.begin_write().await?;
        site_curator::Entity::delete_many()
            .filter(site_curator::Column::SiteId.eq(site_id))
            .filter(site_curator::Column::UserId.eq(user_id))
            .exec(&txn)
            .await
            .map_err(internal)?;
        if curator {
            site_curator::Entity::insert(site_curator::ActiveModel {
                site_id: Set(site_id),
                user_id: Set(user_id),
            })
            .exec_without_returning(&txn)
            .await
            .map_err(internal)?;
        }
        let payload = serde_json::json!({ "curatorOf": site_id, "curator": curator });
        outbox::append(
            &txn,
            user_event(user_id, Change::Updated, actor, payload),
            now,
        )
        .await?;
        txn.commit().await.map_err(internal)
    }
}

fn membership_event(user_id: Uuid, grant: &Grant, change: Change, actor: &Actor) -> OutboxEvent {
    let membership = serde_json::json!({
        "userId": user_id,
        "role": grant.role.as_str(),
        "validFrom": grant.valid_from,
        "validUntil": grant.valid_until,
        "delegatedBy": grant.delegated_by,
    });
    let before = match change {
        Change::Deleted => membership.clone(),
        _ => serde_json::Value::Null,
    };
    OutboxEvent {
        aggregate: "membership",
        aggregate_id: grant.membership_id,
        change,
        action: None,
        version: None,
        department_id: Some(grant.department_id),
        actor: actor.clone(),
        before,
        payload: membership,
    }
}

/// Revokes every live refresh token of a user.
pub(crate) async fn revoke_sessions_of(
    txn: &impl sea_orm::ConnectionTrait,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), DomainError> {
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(now))
        .filter(refresh_token::Column::UserId.eq(user_id))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(txn)
        .await
        .map_err(internal)?;
    Ok(())
}
