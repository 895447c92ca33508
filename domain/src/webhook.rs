//! Webhooks: how a delivery is signed (the Standard Webhooks scheme, so receivers can use
//! its libraries), and when a failing endpoint is tried again or given up on.

use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The prefix of a signing secret; the rest is the key, in base64.
pub const SECRET_PREFIX: &str = "whsec_";

/// How long a change keeps being retried, and how long a rotated secret keeps signing.
pub const RETRY_WINDOW_HOURS: i64 = 24;

/// A fresh signing secret from 32 random bytes.
pub fn new_secret(random: [u8; 32]) -> String {
    use base64::Engine;
    let key = base64::engine::general_purpose::STANDARD.encode(random);
    format!("{SECRET_PREFIX}{key}")
}

/// The `webhook-signature` header: `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`
/// for each secret, space-separated (two while a rotated secret is still honoured).
pub fn signature_header(secrets: &[&str], id: &str, timestamp: i64, body: &str) -> String {
    secrets
        .iter()
        .filter_map(|secret| sign(secret, id, timestamp, body))
        .map(|signature| format!("v1,{signature}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// One signature, or `None` for a secret that is not `whsec_` + base64.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &str) -> Option<String> {
    use base64::Engine;
    let engine = base64::engine::general_purpose::STANDARD;
    let key = engine
        .decode(secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret))
        .ok()?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).ok()?;
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    Some(engine.encode(mac.finalize().into_bytes()))
}

/// When and how often a failing endpoint is tried again.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// The wait after the first failure; it doubles with each failure in a row.
    pub first: Duration,
    /// The longest wait between two attempts.
    pub longest: Duration,
    /// Failures in a row after which the endpoint is disabled (0: never).
    pub failure_limit: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            first: Duration::seconds(5),
            longest: Duration::hours(1),
            failure_limit: 50,
        }
    }
}

/// What becomes of an endpoint after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AfterFailure {
    RetryAt(DateTime<Utc>),
    /// Too many failures in a row: the endpoint is disabled until someone enables it.
    Disable,
}

impl RetryPolicy {
    /// After the `failure_run`-th failure in a row (1 for the first), at `now`. `jitter`
    /// (in `[0, 1)`) spreads the retries of endpoints that failed together over up to a
    /// quarter of the wait, so they do not all come back at once.
    pub fn after_failure(self, failure_run: u32, now: DateTime<Utc>, jitter: f64) -> AfterFailure {
        if self.failure_limit > 0 && failure_run >= self.failure_limit {
            return AfterFailure::Disable;
        }
        let doublings = failure_run.saturating_sub(1).min(30);
        let wait = self
            .first
            .checked_mul(1 << doublings.min(20))
            .unwrap_or(self.longest)
            .min(self.longest);
        let spread = wait.num_milliseconds() as f64 * 0.25 * jitter.clamp(0.0, 1.0);
        AfterFailure::RetryAt(now + wait + Duration::milliseconds(spread as i64))
    }
}

/// Until when a change is retried: a day after it was queued (or queued again by hand).
pub fn expires_at(queued_at: DateTime<Utc>) -> DateTime<Utc> {
    queued_at + Duration::hours(RETRY_WINDOW_HOURS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 6, 15, 8, 0, 0).unwrap()
    }

    #[test]
    fn signatures_follow_the_standard_webhooks_example() {
        // The example of the Standard Webhooks specification (and its libraries' tests).
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
        let body = r#"{"test": 2432232314}"#;
        assert_eq!(
            signature_header(&[secret], id, 1614265330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
        assert_eq!(sign("whsec_not base64!", id, 1, body), None);
    }

    #[test]
    fn a_rotated_secret_signs_beside_the_new_one() {
        let (new, old) = (new_secret([7; 32]), new_secret([9; 32]));
        let header = signature_header(&[&new, &old], "id", 1, "{}");
        let parts: Vec<&str> = header.split(' ').collect();
        assert_eq!(parts.len(), 2);
        assert_eq!(
            parts[0],
            format!("v1,{}", sign(&new, "id", 1, "{}").unwrap())
        );
        assert_eq!(
            parts[1],
            format!("v1,{}", sign(&old, "id", 1, "{}").unwrap())
        );
        assert_ne!(parts[0], parts[1]);
    }

    #[test]
    fn waits_double_up_to_the_longest_then_the_endpoint_is_disabled() {
        let policy = RetryPolicy {
            first: Duration::seconds(5),
            longest: Duration::minutes(1),
            failure_limit: 6,
        };
        let wait = |run| match policy.after_failure(run, now(), 0.0) {
            AfterFailure::RetryAt(at) => (at - now()).num_seconds(),
            AfterFailure::Disable => -1,
        };
        assert_eq!([1, 2, 3, 4, 5, 6].map(wait), [5, 10, 20, 40, 60, -1]);
        // Jitter adds at most a quarter.
        let AfterFailure::RetryAt(at) = policy.after_failure(2, now(), 0.999) else {
            panic!("retried")
        };
        assert!((at - now()).num_milliseconds() > 10_000);
        assert!((at - now()).num_milliseconds() < 12_500);
        let never = RetryPolicy {
            failure_limit: 0,
            ..policy
        };
        assert_eq!(
            never.after_failure(10_000, now(), 0.0),
            AfterFailure::RetryAt(now() + Duration::minutes(1))
        );
    }

    #[test]
    fn changes_are_retried_for_a_day() {
        assert_eq!(expires_at(now()), now() + Duration::hours(24));
    }
}
