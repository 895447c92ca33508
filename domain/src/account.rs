//! User accounts: who may sign in, with which password, and when sign-in is throttled.

use crate::error::{DomainError, Violations};
use crate::field::Email;
use chrono::{DateTime, Duration, Utc};

/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Longest password accepted (argon2 would take anything; a bound keeps hashing cheap).
pub const MAX_PASSWORD_CHARS: usize = 256;

/// A new account's email and password, checked together (the password may not be the email).
pub fn check_credentials(email: &str, password: &str) -> Result<Email, DomainError> {
    let mut v = Violations::new();
    let email = v.check("email", Email::parse(email));
    if let Some(email) = &email {
        check_password_into(&mut v, email, password);
    }
    v.finish()?;
    Ok(email.expect("checked"))
}

/// A new password for an existing account.
pub fn check_password(email: &Email, password: &str) -> Result<(), DomainError> {
    let mut v = Violations::new();
    check_password_into(&mut v, email, password);
    v.finish()
}

fn check_password_into(v: &mut Violations, email: &Email, password: &str) {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        v.push(
            "password",
            format!("must have at least {MIN_PASSWORD_CHARS} characters"),
        );
    } else if chars > MAX_PASSWORD_CHARS {
        v.push(
            "password",
            format!("must have at most {MAX_PASSWORD_CHARS} characters"),
        );
    }
    let lowered = password.trim().to_lowercase();
    let local = email.as_str().split('@').next().unwrap_or_default();
    if lowered == email.as_str() || lowered == local {
        v.push("password", "must not be the email address");
    }
}

/// How many failed sign-ins are tolerated, and over which window.
#[derive(Debug, Clone, Copy)]
pub struct LoginThrottle {
    pub window: Duration,
    /// Failures for one email address within the window.
    pub per_email: u64,
    /// Failures from one client address within the window (many emails: password spraying).
    pub per_address: u64,
}

impl Default for LoginThrottle {
    fn default() -> Self {
        Self {
            window: Duration::minutes(15),
            per_email: 5,
            per_address: 20,
        }
    }
}

impl LoginThrottle {
    /// Refuses a sign-in attempt once either count of earlier failures (count, oldest)
    /// reached its limit; the error says when to retry: when the oldest failure that
    /// tripped a limit leaves the window.
    pub fn check(
        &self,
        email: (u64, Option<DateTime<Utc>>),
        address: (u64, Option<DateTime<Utc>>),
        now: DateTime<Utc>,
    ) -> Result<(), DomainError> {
        let tripped = [(email, self.per_email), (address, self.per_address)]
            .into_iter()
            .filter(|((count, _), limit)| count >= limit)
            .map(|((_, oldest), _)| oldest)
            .collect::<Vec<_>>();
        if tripped.is_empty() {
            return Ok(());
        }
        let retry = tripped
            .into_iter()
            .map(|oldest| {
                oldest
                    .map(|t| (t + self.window - now).num_seconds().max(1))
                    .unwrap_or(self.window.num_seconds())
            })
            .max()
            .unwrap_or(self.window.num_seconds());
        Err(DomainError::Throttled {
            retry_after_secs: retry as u64,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_long_and_not_the_email() {
        assert!(check_credentials("Ana@Ville.fr", "correct horse battery").is_ok());
        assert_eq!(
            check_credentials(" Ana@Ville.fr ", "correct horse battery")
                .unwrap()
                .as_str(),
            "ana@ville.fr"
        );
        assert!(check_credentials("ana@ville.fr", "short").is_err());
        assert!(check_credentials("ana.martin@ville.fr", "ana.martin@ville.fr").is_err());
        assert!(check_credentials("ana.martin@ville.fr", "ANA.MARTIN@VILLE.FR").is_err());
        assert!(check_credentials("anastasia.martin@ville.fr", "anastasia.martin").is_err());
        assert!(check_credentials("nope", "correct horse battery").is_err());
        assert!(check_credentials("a@b.fr", &"x".repeat(300)).is_err());
        // Twelve characters, not bytes.
        assert!(check_credentials("a@b.fr", "éééééééééééé").is_ok());
    }

    #[test]
    fn sign_in_is_throttled_per_email_and_per_address() {
        let t = Utc::now();
        let throttle = LoginThrottle::default();
        assert!(throttle.check((4, Some(t)), (19, Some(t)), t).is_ok());
        let err = throttle
            .check((5, Some(t - Duration::minutes(5))), (0, None), t)
            .unwrap_err();
        assert_eq!(err.code(), "TOO_MANY_REQUESTS");
        assert!(
            matches!(err, DomainError::Throttled { retry_after_secs } if retry_after_secs == 600)
        );
        let by_address = throttle
            .check((1, Some(t)), (20, Some(t - Duration::minutes(14))), t)
            .unwrap_err();
        assert!(
            matches!(by_address, DomainError::Throttled { retry_after_secs } if retry_after_secs == 60)
        );
    }
}
