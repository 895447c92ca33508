//! Turns a request's `Authorization` header into a caller: anonymous, a satellite site
//! (`Bearer silo_sk_…`), or a signed-in user (`Bearer <access JWT>`).

use super::{Identity, secret};
use silo_domain::DomainError;
use silo_domain::rights::Principal;
use silo_domain::site::Site;
use silo_storage::Store;

/// Who is calling, and for a site key, which site.
#[derive(Debug, Clone, Default)]
pub struct Caller {
    pub principal: Principal,
    pub site: Option<Site>,
}

impl Caller {
    /// Resolves the credentials. Anything presented and not valid is refused
    /// (`UNAUTHENTICATED`) rather than served anonymously: a revoked key, a forged or
    /// expired token, an ended session, a disabled or deleted account.
    pub async fn from_authorization(
        store: &Store,
        identity: &Identity,
        header: Option<&str>,
    ) -> Result<Self, DomainError> {
        let Some(header) = header.map(str::trim).filter(|h| !h.is_empty()) else {
            return Ok(Self::default());
        };
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .map(str::trim)
            .ok_or_else(|| DomainError::unauthenticated("use `Authorization: Bearer <token>`"))?;
        if token.starts_with(secret::SITE_KEY_PREFIX) {
            let site = store
                .site_by_key_hash(&secret::digest(token))
                .await?
                .ok_or_else(|| DomainError::unauthenticated("unknown or revoked site key"))?;
            return Ok(Self {
                principal: Principal::Site(site.id),
                site: Some(site),
            });
        }
        let (user_id, session) = identity.keys().verify(token)?;
        if !store.session_active(session, chrono::Utc::now()).await? {
            return Err(DomainError::unauthenticated("this session has ended"));
        }
        match store.principal(user_id).await? {
            Some(user) if !user.disabled => Ok(Self {
                principal: Principal::User(user),
                site: None,
            }),
            Some(_) => Err(DomainError::unauthenticated("this account is disabled")),
            None => Err(DomainError::unauthenticated(
                "this account no longer exists",
            )),
        }
    }
}
