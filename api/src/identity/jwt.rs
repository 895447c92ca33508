//! Access tokens: HS256 JWTs naming their signing key in `kid`, so a new secret can sign
//! while the previous one still verifies the tokens it signed until they expire.

use crate::config::Settings;
use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use silo_domain::DomainError;
use std::path::Path;
use uuid::Uuid;

const ISSUER: &str = "silo";
/// Shortest secret accepted, in bytes (HS256 wants at least the hash size).
const MIN_SECRET_BYTES: usize = 32;
/// File of the embedded default's secrets in the data dir.
pub const SECRET_FILE: &str = "jwt-secret";

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: Uuid,
    /// The sign-in (refresh-token family) the token belongs to: ending it ends the token.
    sid: Uuid,
    iat: i64,
    exp: i64,
    iss: String,
    typ: String,
}

struct SigningKey {
    kid: String,
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl SigningKey {
    fn new(secret: &str) -> anyhow::Result<Self> {
        let secret = secret.trim();
        anyhow::ensure!(
            secret.len() >= MIN_SECRET_BYTES,
            "a JWT secret needs at least {MIN_SECRET_BYTES} bytes"
        );
        // The key id reveals nothing usable about the secret.
        let kid = hex::encode(&Sha256::digest(format!("silo-kid:{secret}"))[..8]);
        Ok(Self {
            kid,
            encoding: EncodingKey::from_secret(secret.as_bytes()),
            decoding: DecodingKey::from_secret(secret.as_bytes()),
        })
    }
}

/// The current signing key and the previous ones still accepted.
pub struct Keyring {
    keys: Vec<SigningKey>,
    /// Derived from the same secrets, in the same order.
    sealing: Vec<super::sealing::SealingKey>,
}

impl std::fmt::Debug for Keyring {
    /// Key ids only: secrets never reach a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.keys.iter().map(|k| &k.kid))
            .finish()
    }
}

impl Keyring {
    /// `current` signs; every secret verifies.
    pub fn new(current: &str, previous: &[String]) -> anyhow::Result<Self> {
        let secrets: Vec<&str> = std::iter::once(current)
            .chain(previous.iter().map(String::as_str))
            .collect();
        let keys = secrets
            .iter()
            .copied()
            .map(SigningKey::new)
            .collect::<anyhow::Result<_>>()?;
        let sealing = secrets
            .iter()
            .map(|s| super::sealing::SealingKey::derive(s.trim()))
            .collect();
        Ok(Self { keys, sealing })
    }

    /// From `SILO_JWT_SECRET`, else `SILO_JWT_SECRET_FILE`, else (embedded default only)
    /// `data_dir/jwt-secret`, created on first start.
    pub fn load(settings: &Settings) -> anyhow::Result<Self> {
        if let Some(secret) = settings.jwt_secret.as_deref().filter(|s| !s.is_empty()) {
            return Self::new(secret, &settings.jwt_previous_secrets);
        }
        if let Some(file) = &settings.jwt_secret_file {
            return Self::from_file(file, &settings.jwt_previous_secrets);
        }
        anyhow::ensure!(
            !settings.database().is_postgres(),
            "with PostgreSQL every server must share one JWT secret: set SILO_JWT_SECRET or SILO_JWT_SECRET_FILE"
        );
        let file = settings.data_dir.join(SECRET_FILE);
        if !file.exists() {
            settings.prepare_data_dir()?;
            write_private(&file, &format!("{}\n", generate_secret()))?;
            tracing::info!(file = %file.display(), "generated the JWT signing secret");
        }
        Self::from_file(&file, &settings.jwt_previous_secrets)
    }

    fn from_file(file: &Path, previous: &[String]) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("reading the JWT secret file {}", file.display()))?;
        let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
        let current = lines
            .next()
            .with_context(|| format!("{} holds no secret", file.display()))?;
        let mut older: Vec<String> = lines.map(str::to_owned).collect();
        older.extend(previous.iter().cloned());
        Self::new(current, &older)
    }

    /// Seals a secret the server must read back (a webhook's signing secret).
    pub fn seal(&self, plain: &str) -> String {
        super::sealing::seal(&self.sealing, plain)
    }

    /// Opens what [`seal`](Self::seal) sealed with this secret or a previous one.
    pub fn unseal(&self, sealed: &str) -> Option<String> {
        super::sealing::open(&self.sealing, sealed)
    }

    /// The id of the key that signs.
    pub fn current_kid(&self) -> &str {
        &self.keys[0].kid
    }

    /// A signed access token for `user_id` in sign-in `sid`, valid for `ttl` from `now`.
    pub fn issue(&self, user_id: Uuid, sid: Uuid, now: DateTime<Utc>, ttl: Duration) -> String {
        let key = &self.keys[0];
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(key.kid.clone());
        let claims = Claims {
            sub: user_id,
            sid,
            iat: now.timestamp(),
            exp: (now + ttl).timestamp(),
            iss: ISSUER.to_owned(),
            typ: "access".to_owned(),
        };
        jsonwebtoken::encode(&header, &claims, &key.encoding).expect("HS256 signing cannot fail")
    }

    /// The user an access token was issued to, and its sign-in. Refused (`UNAUTHENTICATED`): another
    /// algorithm than HS256 (`none` included), an unknown `kid`, a bad signature, an
    /// expired token, a token that is not an access token.
    pub fn verify(&self, token: &str) -> Result<(Uuid, Uuid), DomainError> {
        let refused = |why: &str| DomainError::unauthenticated(format!("invalid token: {why}"));
        let header = jsonwebtoken::decode_header(token).map_err(|_| refused("malformed"))?;
        if header.alg != Algorithm::HS256 {
            return Err(refused("unexpected algorithm"));
        }
        let kid = header.kid.ok_or_else(|| refused("no key id"))?;
        let key = self
            .keys
            .iter()
            .find(|k| k.kid == kid)
            .ok_or_else(|| refused("unknown key id"))?;
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 5;
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        let data = jsonwebtoken::decode::<Claims>(token, &key.decoding, &validation).map_err(
            |e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => refused("expired"),
                jsonwebtoken::errors::ErrorKind::InvalidSignature => refused("bad signature"),
                _ => refused("rejected"),
            },
        )?;
        if data.claims.typ != "access" {
            return Err(refused("not an access token"));
        }
        Ok((data.claims.sub, data.claims.sid))
    }
}

/// 256 random bits, hex.
pub fn generate_secret() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system provides randomness");
    hex::encode(bytes)
}

/// Writes a file only its owner can read.
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(contents.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    fn ring(current: &str, previous: &[&str]) -> Keyring {
        let previous: Vec<String> = previous.iter().map(|s| s.to_string()).collect();
        Keyring::new(current, &previous).unwrap()
    }

    const A: &str = "a-secret-of-at-least-thirty-two-bytes-0001";
    const B: &str = "b-secret-of-at-least-thirty-two-bytes-0002";

    #[test]
    fn a_rotated_key_still_verifies_its_tokens() {
        let user = Uuid::now_v7();
        let old = ring(A, &[]).issue(user, user, Utc::now(), Duration::minutes(15));
        let rotated = ring(B, &[A]);
        assert_eq!(rotated.verify(&old).unwrap(), (user, user));
        let new = rotated.issue(user, user, Utc::now(), Duration::minutes(15));
        assert_eq!(rotated.verify(&new).unwrap(), (user, user));
        // Once the old secret is dropped, its tokens are refused by kid.
        let err = ring(B, &[]).verify(&old).unwrap_err();
        assert!(err.to_string().contains("unknown key id"), "{err}");
    }

    #[test]
    fn the_embedded_default_generates_its_secret_once() {
        let dir = std::env::temp_dir().join(format!("silo-jwt-{}", Uuid::now_v7()));
        let settings = Settings {
            data_dir: dir.clone(),
            ..Settings::default()
        };
        let first = Keyring::load(&settings).unwrap();
        let again = Keyring::load(&settings).unwrap();
        assert_eq!(first.current_kid(), again.current_kid());
        let file = dir.join(SECRET_FILE);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&file).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // PostgreSQL deployments must configure a shared secret.
        let shared = Settings {
            database_url: Some("postgres://db/silo".into()),
            ..settings
        };
        assert!(Keyring::load(&shared).is_err());
        let configured = Settings {
            jwt_secret: Some(A.into()),
            ..shared
        };
        assert_eq!(
            Keyring::load(&configured).unwrap().current_kid(),
            ring(A, &[]).current_kid()
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn forged_tokens_are_refused() {
        let keys = ring(A, &[]);
        let user = Uuid::now_v7();
        let token = keys.issue(user, user, Utc::now(), Duration::minutes(15));
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let parts: Vec<&str> = token.split('.').collect();

        // Tampered payload, original signature.
        let claims = format!(
            r#"{{"sub":"{0}","sid":"{0}","iat":0,"exp":9999999999,"iss":"silo","typ":"access"}}"#,
            Uuid::now_v7()
        );
        let tampered = format!(
            "{}.{}.{}",
            parts[0],
            b64.encode(claims.as_bytes()),
            parts[2]
        );
        assert!(keys.verify(&tampered).is_err());

        // alg: none, no signature.
        let none = format!(
            "{}.{}.",
            b64.encode(format!(
                r#"{{"alg":"none","typ":"JWT","kid":"{}"}}"#,
                keys.current_kid()
            )),
            parts[1]
        );
        assert!(keys.verify(&none).is_err());

        // Expired.
        let old = keys.issue(
            user,
            user,
            Utc::now() - Duration::hours(1),
            Duration::minutes(15),
        );
        assert!(
            keys.verify(&old)
                .unwrap_err()
                .to_string()
                .contains("expired")
        );

        // Signed with another secret under our kid.
        let other = ring(B, &[]).issue(user, user, Utc::now(), Duration::minutes(15));
        let p: Vec<&str> = other.split('.').collect();
        let swapped = format!("{}.{}.{}", parts[0], p[1], p[2]);
        assert!(keys.verify(&swapped).is_err());

        assert!(keys.verify("not a token").is_err());
        assert!(Keyring::new("short", &[]).is_err());
    }
}
