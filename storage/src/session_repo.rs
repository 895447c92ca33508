//! Refresh tokens (stored as SHA-256, rotated on every use, a reused one revokes its
//! family), failed sign-ins for throttling, and satellite sites' keys (stored as SHA-256).

use crate::entity::{login_failure, refresh_token, site, site_key};
use crate::identity_repo::revoke_sessions_of;
use crate::outbox::{self, Change, OutboxEvent};
use crate::{Store, directory_repo, internal};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, TransactionTrait,
};
use silo_domain::DomainError;
use silo_domain::audit::Actor;
use silo_domain::site::Site;
use uuid::Uuid;

/// What presenting a refresh token leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshOutcome {
    /// The token was live and is now spent: issue the next one in `family_id`.
    Rotated {
        user_id: Uuid,
        family_id: Uuid,
        /// When the sign-in ends: rotation does not extend it.
        expires_at: DateTime<Utc>,
    },
    /// The token had been used or revoked already: its whole family is now revoked.
    Reused {
        user_id: Uuid,
    },
    Expired,
    Unknown,
}

/// A site key as listed (never the key itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteKeyRecord {
    pub id: Uuid,
    pub site_id: Uuid,
    pub label: String,
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl Store {
    /// Stores a refresh token's hash.
    pub async fn insert_refresh_token(
        &self,
        user_id: Uuid,
        family_id: Uuid,
        token_hash: String,
        expires_at: DateTime<Utc>,
    ) -> Result<(), DomainError> {
        refresh_token::Entity::insert(refresh_token::ActiveModel {
            id: Set(Uuid::now_v7()),
            user_id: Set(user_id),
            family_id: Set(family_id),
            token_hash: Set(token_hash),
            created_at: Set(Utc::now()),
            expires_at: Set(expires_at),
            used_at: Set(None),
            revoked_at: Set(None),
        })
        .exec_without_returning(&self.db)
        .await
        .map_err(internal)?;
        Ok(())
    }

    /// Spends a refresh token and stores `next_hash` in its place, in one transaction.
    /// Of two concurrent uses of one token exactly one rotates; the other counts as reuse
    /// and revokes the family — the token just stored included — as a stolen token's would.
    pub async fn use_refresh_token(
        &self,
        token_hash: &str,
        next_hash: String,
        now: DateTime<Utc>,
    ) -> Result<RefreshOutcome, DomainError> {
        let Some(row) = refresh_token::Entity::find()
            .filter(refresh_token::Column::TokenHash.eq(token_hash))
            .one(&self.db)
            .await
            .map_err(internal)?
        else {
            return Ok(RefreshOutcome::Unknown);
        };
        let txn = self.db.begin().await.map_err(internal)?;
        let claimed = if row.used_at.is_none() && row.revoked_at.is_none() {
            refresh_token::Entity::update_many()
                .col_expr(refresh_token::Column::UsedAt, Expr::value(now))
                .filter(refresh_token::Column::Id.eq(row.id))
                .filter(refresh_token::Column::UsedAt.is_null())
                .filter(refresh_token::Column::RevokedAt.is_null())
                .exec(&txn)
                .await
                .map_err(internal)?
                .rows_affected
                == 1
        } else {
            false
        };
        let outcome = if !claimed {
            revoke_family(&txn, row.family_id, now).await?;
            RefreshOutcome::Reused {
                user_id: row.user_id,
            }
        } else if row.expires_at <= now {
            RefreshOutcome::Expired
        } else {
            refresh_token::Entity::insert(refresh_token::ActiveModel {
                id: Set(Uuid::now_v7()),
                user_id: Set(row.user_id),
                family_id: Set(row.family_id),
                token_hash: Set(next_hash),
                created_at: Set(now),
                expires_at: Set(row.expires_at),
                used_at: Set(None),
                revoked_at: Set(None),
            })
            .exec_without_returning(&txn)
            .await
            .map_err(internal)?;
            RefreshOutcome::Rotated {
                user_id: row.user_id,
                family_id: row.family_id,
                expires_at: row.expires_at,
            }
        };
        txn.commit().await.map_err(internal)?;
        Ok(outcome)
    }

    /// Revokes the family of a token (sign-out). Unknown tokens are ignored.
    pub async fn revoke_refresh_family(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Uuid>, DomainError> {
        let Some(row) = refresh_token::Entity::find()
            .filter(refresh_token::Column::TokenHash.eq(token_hash))
            .one(&self.db)
            .await
            .map_err(internal)?
        else {
            return Ok(None);
        };
        revoke_family(&self.db, row.family_id, now).await?;
        Ok(Some(row.user_id))
    }

    /// Whether a sign-in (a refresh-token family) is still live: access tokens name it,
    /// so sign-out, a password reset or a disabled account end them too.
    pub async fn session_active(
        &self,
        family_id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<bool, DomainError> {
        let live = refresh_token::Entity::find()
            .filter(refresh_token::Column::FamilyId.eq(family_id))
            .filter(refresh_token::Column::RevokedAt.is_null())
            .filter(refresh_token::Column::ExpiresAt.gt(now))
            .count(&self.db)
            .await
            .map_err(internal)?;
        Ok(live > 0)
    }

    /// Ends every session of a user.
    pub async fn revoke_sessions(&self, user_id: Uuid) -> Result<(), DomainError> {
        revoke_sessions_of(&self.db, user_id, Utc::now()).await
    }

    /// Records a sign-in attempt against each subject (`email:…`, `addr:…`) as a failure
    /// before the password is checked, so parallel guesses all count; returns the rows'
    /// ids, for a success to take back.
    pub async fn record_login_failure(
        &self,
        subjects: &[String],
        now: DateTime<Utc>,
    ) -> Result<Vec<Uuid>, DomainError> {
        let ids: Vec<Uuid> = subjects.iter().map(|_| Uuid::now_v7()).collect();
        login_failure::Entity::insert_many(subjects.iter().zip(&ids).map(|(s, id)| {
            login_failure::ActiveModel {
                id: Set(*id),
                subject: Set(s.chars().take(300).collect()),
                failed_at: Set(now),
            }
        }))
        .exec_without_returning(&self.db)
        .await
        .map_err(internal)?;
        Ok(ids)
    }

    /// Takes back recorded attempts (the password was right).
    pub async fn forget_login_failures(&self, ids: &[Uuid]) -> Result<(), DomainError> {
        login_failure::Entity::delete_many()
            .filter(login_failure::Column::Id.is_in(ids.iter().copied()))
            .exec(&self.db)
            .await
            .map_err(internal)?;
        Ok(())
    }

    /// Failures of `subject` since `since`, and when the oldest of them happened.
    pub async fn login_failures(
        &self,
        subject: &str,
        since: DateTime<Utc>,
    ) -> Result<(u64, Option<DateTime<Utc>>), DomainError> {
        let subject: String = subject.chars().take(300).collect();
        let query = login_failure::Entity::find()
            .filter(login_failure::Column::Subject.eq(subject))
            .filter(login_failure::Column::FailedAt.gt(since));
        let count = query.clone().count(&self.db).await.map_err(internal)?;
        let oldest = query
            .select_only()
            .column(login_failure::Column::FailedAt)
            .order_by_asc(login_failure::Column::FailedAt)
            .into_tuple::<DateTime<Utc>>()
            .one(&self.db)
            .await
            .map_err(internal)?;
        Ok((count, oldest))
    }

    /// Forgets a subject's failures (after a successful sign-in), and old ones everywhere.
    pub async fn clear_login_failures(
        &self,
        subject: &str,
        older_than: DateTime<Utc>,
    ) -> Result<(), DomainError> {
        login_failure::Entity::delete_many()
            .filter(
                sea_orm::Condition::any()
                    .add(
                        login_failure::Column::Subject
                            .eq(subject.chars().take(300).collect::<String>()),
                    )
                    .add(login_failure::Column::FailedAt.lt(older_than)),
            )
            .exec(&self.db)
            .await
            .map_err(internal)?;
        Ok(())
    }

    /// Stores a new site key's hash.
    pub async fn insert_site_key(
        &self,
        site_id: Uuid,
        label: &str,
        prefix: &str,
        key_hash: String,
        actor: &Actor,
    ) -> Result<SiteKeyRecord, DomainError> {
        let now = Utc::now();
        let id = Uuid::now_v7();
        let txn = self.begin_write().await?;
        site_key::Entity::insert(site_key::ActiveModel {
            id: Set(id),
            site_id: Set(site_id),
            label: Set(label.to_owned()),
            prefix: Set(prefix.to_owned()),
            key_hash: Set(key_hash),
            created_at: Set(now),
            revoked_at: Set(None),
        })
        .exec_without_returning(&txn)
        .await
        .map_err(internal)?;
        outbox::append(
            &txn,
            key_event(id, site_id, label, Change::Created, actor),
            now,
        )
        .await?;
        txn.commit().await.map_err(internal)?;
        Ok(SiteKeyRecord {
            id,
            site_id,
            label: label.to_owned(),
            prefix: prefix.to_owned(),
            created_at: now,
            revoked_at: None,
        })
    }

    /// The site a live key belongs to.
    pub async fn site_by_key_hash(&self, key_hash: &str) -> Result<Option<Site>, DomainError> {
        let row = site::Entity::find()
            .inner_join(site_key::Entity)
            .filter(site_key::Column::KeyHash.eq(key_hash))
            .filter(site_key::Column::RevokedAt.is_null())
            .one(&self.db)
            .await
            .map_err(internal)?;
        row.map(directory_repo::to_site).transpose()
    }

    pub async fn site_keys(&self, site_id: Uuid) -> Result<Vec<SiteKeyRecord>, DomainError> {
        let rows = site_key::Entity::find()
            .filter(site_key::Column::SiteId.eq(site_id))
            .order_by_asc(site_key::Column::CreatedAt)
            .all(&self.db)
            .await
            .map_err(internal)?;
        Ok(rows
            .into_iter()
            .map(|m| SiteKeyRecord {
                id: m.id,
                site_id: m.site_id,
                label: m.label,
                prefix: m.prefix,
                created_at: m.created_at,
                revoked_at: m.revoked_at,
            })
            .collect())
    }

    /// Revokes a key: the next request presenting it is refused.
    pub async fn revoke_site_key(&self, id: Uuid, actor: &Actor) -> Result<(), DomainError> {
        let now = Utc::now();
        let Some(key) = site_key::Entity::find_by_id(id)
            .one(&self.db)
            .await
            .map_err(internal)?
        else {
            return Err(DomainError::not_found("site key"));
        };
        let txn = self.begin_write().await?;
        site_key::Entity::update_many()
            .col_expr(site_key::Column::RevokedAt, Expr::value(now))
            .filter(site_key::Column::Id.eq(id))
            .filter(site_key::Column::RevokedAt.is_null())
            .exec(&txn)
            .await
            .map_err(internal)?;
        outbox::append(
            &txn,
            key_event(id, key.site_id, &key.label, Change::Deleted, actor),
            now,
        )
        .await?;
        txn.commit().await.map_err(internal)
    }
}

async fn revoke_family(
    db: &impl sea_orm::ConnectionTrait,
    family_id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), DomainError> {
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(now))
        .filter(refresh_token::Column::FamilyId.eq(family_id))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(db)
        .await
        .map_err(internal)?;
    Ok(())
}

fn key_event(id: Uuid, site_id: Uuid, label: &str, change: Change, actor: &Actor) -> OutboxEvent {
    let key = serde_json::json!({ "siteId": site_id, "label": label });
    let (before, after) = match change {
        Change::Deleted => (key.clone(), key),
        _ => (serde_json::Value::Null, key),
    };
    OutboxEvent {
        aggregate: "site_key",
        aggregate_id: id,
        change,
        action: (change == Change::Deleted).then_some("revoked"),
        version: None,
        department_id: None,
        actor: actor.clone(),
        before,
        payload: after,
    }
}
