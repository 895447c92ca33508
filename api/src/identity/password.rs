//! argon2id password hashes, computed on the blocking pool so sign-ins never stall the
//! async workers.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use silo_domain::DomainError;

/// OWASP's argon2id baseline: 19 MiB, 2 iterations, 1 lane.
fn hasher() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::default())
}

/// The PHC string of `password` with a fresh salt.
pub async fn hash(password: String) -> Result<String, DomainError> {
    tokio::task::spawn_blocking(move || {
        let mut salt = [0u8; 16];
        getrandom::fill(&mut salt).map_err(|e| DomainError::Internal(e.to_string()))?;
        let salt =
            SaltString::encode_b64(&salt).map_err(|e| DomainError::Internal(e.to_string()))?;
        hasher()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| DomainError::Internal(e.to_string()))
    })
    .await
    .map_err(|e| DomainError::Internal(e.to_string()))?
}

/// Whether `password` matches `phc`. With no stored hash (unknown email) a dummy hash is
/// checked anyway, so the answer takes as long and does not reveal which emails exist.
pub async fn verify(password: String, phc: Option<String>) -> Result<bool, DomainError> {
    tokio::task::spawn_blocking(move || {
        let known = phc.is_some();
        let phc = phc.unwrap_or_else(|| DUMMY.to_owned());
        let parsed = PasswordHash::new(&phc).map_err(|e| DomainError::Internal(e.to_string()))?;
        Ok(known
            && hasher()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok())
    })
    .await
    .map_err(|e| DomainError::Internal(e.to_string()))?
}

/// The hash of a random password nobody knows, with the production parameters.
const DUMMY: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2lsby1kdW1teS1zYWx0$QpWm0eN3L9ZyoFJQq6xw1Hh2ZJmHc2Hq0dQ5Ezn7fWc";

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_are_argon2id() {
        let phc = hash("correct horse battery".into()).await.unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(
            verify("correct horse battery".into(), Some(phc.clone()))
                .await
                .unwrap()
        );
        assert!(
            !verify("wrong horse battery".into(), Some(phc))
                .await
                .unwrap()
        );
        assert!(!verify("anything at all".into(), None).await.unwrap());
    }
}
