//! Sign-in, token refresh and sign-out, and the account commands shared by the CLI and
//! the GraphQL API.

use super::{Keyring, password, secret};
use chrono::{DateTime, Duration, Utc};
use silo_domain::DomainError;
use silo_domain::account::{LoginThrottle, check_credentials, check_password};
use silo_domain::audit::Actor;
use silo_domain::field::Email;
use silo_storage::{RefreshOutcome, Store, UserAccount};
use std::sync::Arc;
use uuid::Uuid;

/// What a successful sign-in or refresh hands back.
#[derive(Clone)]
pub struct Session {
    pub user_id: Uuid,
    pub access_token: String,
    pub access_expires_at: DateTime<Utc>,
    pub refresh_token: String,
    pub refresh_expires_at: DateTime<Utc>,
}

impl std::fmt::Debug for Session {
    /// Never the tokens themselves.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("user_id", &self.user_id)
            .field("access_expires_at", &self.access_expires_at)
            .field("refresh_expires_at", &self.refresh_expires_at)
            .finish_non_exhaustive()
    }
}

/// The sign-in service: shared by every request.
#[derive(Clone)]
pub struct Identity {
    store: Store,
    keys: Arc<Keyring>,
    throttle: LoginThrottle,
    access_ttl: Duration,
    refresh_ttl: Duration,
}

impl Identity {
    pub fn new(store: Store, keys: Keyring, access_ttl: Duration, refresh_ttl: Duration) -> Self {
        Self {
            store,
            keys: Arc::new(keys),
            throttle: LoginThrottle::default(),
            access_ttl,
            refresh_ttl,
        }
    }

    pub fn keys(&self) -> &Keyring {
        &self.keys
    }

    /// Checks the password; repeated failures for one email or from one client address
    /// are throttled (`TOO_MANY_REQUESTS`) before the password is even looked at.
    pub async fn login(
        &self,
        email: &str,
        password_given: String,
        client: Option<&str>,
    ) -> Result<Session, DomainError> {
        let now = Utc::now();
        let refused = || DomainError::unauthenticated("wrong email or password");
        let email_subject = format!("email:{}", email.trim().to_lowercase());
        let mut subjects = vec![email_subject.clone()];
        subjects.extend(client.map(|addr| format!("addr:{addr}")));
        let since = now - self.throttle.window;
        let earlier = |s: &str| {
            let s = s.to_owned();
            async move { self.store.login_failures(&s, since).await }
        };
        let by_email = earlier(&subjects[0]).await?;
        let by_addr = match subjects.get(1) {
            Some(s) => earlier(s).await?,
            None => (0, None),
        };
        // The attempt counts as a failure until the password proves right, so parallel
        // guesses cannot all slip under the limit.
        let attempt = self.store.record_login_failure(&subjects, now).await?;
        self.throttle.check(by_email, by_addr, now)?;

        let account = match Email::parse(email) {
            Ok(email) => self.store.user_credentials(&email).await?,
            Err(_) => None,
        };
        let (account, hash) = match account {
            Some((account, hash)) => (Some(account), Some(hash)),
            None => (None, None),
        };
        let matches = password::verify(password_given, hash).await?;
        let Some(account) = account.filter(|_| matches) else {
            return Err(refused());
        };
        self.store.forget_login_failures(&attempt).await?;
        if account.disabled {
            return Err(DomainError::unauthenticated("this account is disabled"));
        }
        self.store
            .clear_login_failures(&email_subject, now - Duration::days(1))
            .await?;
        let refresh_token = secret::generate(secret::REFRESH_TOKEN_PREFIX);
        let (family_id, expires_at) = (Uuid::now_v7(), now + self.refresh_ttl);
        self.store
            .insert_refresh_token(
                account.id,
                family_id,
                secret::digest(&refresh_token),
                expires_at,
            )
            .await?;
        Ok(self.session(account.id, family_id, refresh_token, expires_at, now))
    }

    /// Exchanges a refresh token for a new pair. Presenting a spent token again revokes
    /// every token of its sign-in (the family): whoever stole it is signed out too.
    pub async fn refresh(&self, refresh_token: &str) -> Result<Session, DomainError> {
        let now = Utc::now();
        let next = secret::generate(secret::REFRESH_TOKEN_PREFIX);
        match self
            .store
            .use_refresh_token(&secret::digest(refresh_token), secret::digest(&next), now)
            .await?
        {
            RefreshOutcome::Rotated {
                user_id,
                family_id,
                expires_at,
            } => {
                let active = self.store.user(user_id).await?.is_some_and(|u| !u.disabled);
                if !active {
                    return Err(DomainError::unauthenticated("this account is disabled"));
                }
                Ok(self.session(user_id, family_id, next, expires_at, now))
            }
            RefreshOutcome::Reused { user_id } => {
                tracing::warn!(%user_id, "a spent refresh token was presented again; its session is revoked");
                Err(DomainError::unauthenticated(
                    "this refresh token was already used; the session is revoked",
                ))
            }
            RefreshOutcome::Expired => Err(DomainError::unauthenticated("refresh token expired")),
            RefreshOutcome::Unknown => Err(DomainError::unauthenticated("unknown refresh token")),
        }
    }

    /// Ends the sign-in the refresh token belongs to.
    pub async fn logout(&self, refresh_token: &str) -> Result<bool, DomainError> {
        Ok(self
            .store
            .revoke_refresh_family(&secret::digest(refresh_token), Utc::now())
            .await?
            .is_some())
    }

    fn session(
        &self,
        user_id: Uuid,
        family_id: Uuid,
        refresh_token: String,
        refresh_expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Session {
        Session {
            user_id,
            access_token: self.keys.issue(user_id, family_id, now, self.access_ttl),
            access_expires_at: now + self.access_ttl,
            refresh_token,
            refresh_expires_at,
        }
    }
}

/// Creates an account after checking the email and password rules.
pub async fn create_user(
    store: &Store,
    email: &str,
    password_given: String,
    admin: bool,
    actor: &Actor,
) -> Result<UserAccount, DomainError> {
    let email = check_credentials(email, &password_given)?;
    let hash = password::hash(password_given).await?;
    store.create_user(&email, hash, admin, actor).await
}

/// Whether `password_given` is the account's current password.
pub async fn password_matches(
    store: &Store,
    user: &UserAccount,
    password_given: String,
) -> Result<bool, DomainError> {
    let email = Email::parse(&user.email).map_err(DomainError::from)?;
    let hash = store.user_credentials(&email).await?.map(|(_, hash)| hash);
    password::verify(password_given, hash).await
}

/// Sets a new password (ending the account's sessions).
pub async fn reset_password(
    store: &Store,
    user: &UserAccount,
    password_given: String,
    actor: &Actor,
) -> Result<(), DomainError> {
    let email = Email::parse(&user.email).map_err(DomainError::from)?;
    check_password(&email, &password_given)?;
    let hash = password::hash(password_given).await?;
    store.set_password_hash(user.id, hash, actor).await
}

/// A new key for a site: returns the key (shown once) and its record.
pub async fn create_site_key(
    store: &Store,
    site_id: Uuid,
    label: &str,
    actor: &Actor,
) -> Result<(String, silo_storage::SiteKeyRecord), DomainError> {
    let key = secret::generate(secret::SITE_KEY_PREFIX);
    let record = store
        .insert_site_key(
            site_id,
            label,
            &secret::visible_prefix(&key),
            secret::digest(&key),
            actor,
        )
        .await?;
    Ok((key, record))
}
