//! Opaque secrets handed to callers once (refresh tokens, site keys) and the SHA-256 by
//! which they are stored and looked up.

use base64::Engine;
use sha2::{Digest, Sha256};

/// What every site key starts with, so a leaked one is recognizable (secret scanners).
pub const SITE_KEY_PREFIX: &str = "silo_sk_";
/// What every refresh token starts with.
pub const REFRESH_TOKEN_PREFIX: &str = "silo_rt_";

/// 256 random bits from the operating system, URL-safe, after `prefix`.
pub fn generate(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system provides randomness");
    format!(
        "{prefix}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

/// Hex SHA-256: high-entropy secrets need no salt or slow hash, and a lookup by hash
/// stays an index probe.
pub fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// The first characters of a site key, shown in lists to tell keys apart.
pub fn visible_prefix(key: &str) -> String {
    key.chars().take(SITE_KEY_PREFIX.len() + 4).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_unique_prefixed_and_hashed() {
        let a = generate(SITE_KEY_PREFIX);
        let b = generate(SITE_KEY_PREFIX);
        assert_ne!(a, b);
        assert!(a.starts_with("silo_sk_") && a.len() == 8 + 43);
        assert_eq!(digest(&a).len(), 64);
        assert_ne!(digest(&a), digest(&b));
        assert_eq!(visible_prefix(&a).len(), 12);
    }
}
