//! Secrets Silo must read back (webhook signing secrets, which HMAC needs in clear) are
//! stored sealed: XChaCha20-Poly1305 under a key derived from the server's JWT secret, so
//! a copy of the database alone does not reveal them. The sealing key's id travels with
//! each sealed value; previous JWT secrets still open what they sealed.

use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use sha2::{Digest, Sha256};

const PREFIX: &str = "sealed:v1:";
const NONCE_BYTES: usize = 24;

/// One sealing key, derived from one JWT secret.
pub(super) struct SealingKey {
    id: String,
    cipher: XChaCha20Poly1305,
}

impl SealingKey {
    pub(super) fn derive(secret: &str) -> Self {
        let key = Sha256::digest(format!("silo-sealing-key:{secret}"));
        let id = hex::encode(&Sha256::digest(format!("silo-sealing-id:{secret}"))[..6]);
        Self {
            id,
            cipher: XChaCha20Poly1305::new(&key),
        }
    }
}

/// Seals `plain` with the first (current) key.
pub(super) fn seal(keys: &[SealingKey], plain: &str) -> String {
    use base64::Engine;
    let key = &keys[0];
    let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
    let sealed = key
        .cipher
        .encrypt(&nonce, plain.as_bytes())
        .expect("XChaCha20-Poly1305 sealing cannot fail");
    let mut bytes = nonce.to_vec();
    bytes.extend(sealed);
    let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
    format!("{PREFIX}{}:{encoded}", key.id)
}

/// Opens a value sealed by one of `keys`; `None` when none of them sealed it or it was
/// altered.
pub(super) fn open(keys: &[SealingKey], sealed: &str) -> Option<String> {
    use base64::Engine;
    let (id, encoded) = sealed.strip_prefix(PREFIX)?.split_once(':')?;
    let key = keys.iter().find(|k| k.id == id)?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()?;
    if bytes.len() < NONCE_BYTES {
        return None;
    }
    let (nonce, sealed) = bytes.split_at(NONCE_BYTES);
    let nonce: [u8; NONCE_BYTES] = nonce.try_into().ok()?;
    let plain = key.cipher.decrypt(&XNonce::from(nonce), sealed).ok()?;
    String::from_utf8(plain).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const OLD: &str = "an-old-secret-of-at-least-thirty-two-bytes!!";
    const NEW: &str = "a-new-secret-of-at-least-thirty-two-bytes!!!";

    #[test]
    fn sealed_values_open_with_the_keys_that_sealed_them_only() {
        let old = [SealingKey::derive(OLD)];
        let sealed = seal(&old, "whsec_c2VjcmV0");
        assert!(sealed.starts_with(PREFIX));
        assert!(!sealed.contains("c2VjcmV0"));
        assert_ne!(
            sealed,
            seal(&old, "whsec_c2VjcmV0"),
            "a fresh nonce each time"
        );
        assert_eq!(open(&old, &sealed).as_deref(), Some("whsec_c2VjcmV0"));
        // After a JWT secret rotation the previous secret still opens it.
        let rotated = [SealingKey::derive(NEW), SealingKey::derive(OLD)];
        assert_eq!(open(&rotated, &sealed).as_deref(), Some("whsec_c2VjcmV0"));
        assert_eq!(open(&[SealingKey::derive(NEW)], &sealed), None);
        // Altered, it does not open.
        let mut altered = sealed.clone();
        altered.insert(sealed.len() - 3, 'A');
        assert_eq!(open(&old, &altered), None);
        assert_eq!(open(&old, "whsec_plain"), None);
    }
}
