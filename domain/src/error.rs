//! The one error type of the domain, and the stable codes every surface shows.

use serde::Serialize;

/// One rejected input field: a dotted path (`place.latitude`) and why it was refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub reason: String,
}

/// Everything that can go wrong in a domain operation.
#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    #[error("{what} not found")]
    NotFound { what: String },
    #[error("invalid input: {}", describe(.0))]
    Validation(Vec<FieldError>),
    #[error("conflict: {0}")]
    Conflict(String),
    /// Not signed in, or the credentials were refused; the reason is safe to show.
    #[error("unauthenticated: {0}")]
    Unauthenticated(String),
    #[error("forbidden: missing right `{right}`")]
    Forbidden { right: String },
    #[error("too many attempts: retry in {retry_after_secs} s")]
    Throttled { retry_after_secs: u64 },
    /// The cause is logged by the surface, never shown to the caller.
    #[error("internal error")]
    Internal(String),
}

fn describe(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| format!("{}: {}", e.field, e.reason))
        .collect::<Vec<_>>()
        .join("; ")
}

impl DomainError {
    /// A rejected single field.
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError {
            field: field.into(),
            reason: reason.into(),
        }])
    }

    pub fn unauthenticated(reason: impl Into<String>) -> Self {
        Self::Unauthenticated(reason.into())
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        Self::NotFound { what: what.into() }
    }

    /// The stable machine-readable code (GraphQL `extensions.code`, REST `code`).
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotFound { .. } => "NOT_FOUND",
            Self::Validation(_) => "BAD_USER_INPUT",
            Self::Conflict(_) => "CONFLICT",
            Self::Unauthenticated(_) => "UNAUTHENTICATED",
            Self::Forbidden { .. } => "FORBIDDEN",
            Self::Throttled { .. } => "TOO_MANY_REQUESTS",
            Self::Internal(_) => "INTERNAL",
        }
    }

    /// The HTTP status a REST surface answers with.
    pub fn http_status(&self) -> u16 {
        match self {
            Self::NotFound { .. } => 404,
            Self::Validation(_) => 400,
            Self::Conflict(_) => 409,
            Self::Unauthenticated(_) => 401,
            Self::Forbidden { .. } => 403,
            Self::Throttled { .. } => 429,
            Self::Internal(_) => 500,
        }
    }
}

/// Collects field errors while an input is checked, so the caller gets all of them at once.
#[derive(Debug, Default)]
pub struct Violations(Vec<FieldError>);

impl Violations {
    pub fn new() -> Self {
        Self::default()
    }

    /// Keeps the value, or records why `field` was refused.
    pub fn check<T>(&mut self, field: &str, result: Result<T, Invalid>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(Invalid(reason)) => {
                self.push(field, reason);
                None
            }
        }
    }

    /// Like [`Violations::check`] for an optional input.
    pub fn check_opt<T, U>(
        &mut self,
        field: &str,
        value: Option<T>,
        parse: impl FnOnce(T) -> Result<U, Invalid>,
    ) -> Option<U> {
        value.and_then(|v| self.check(field, parse(v)))
    }

    pub fn push(&mut self, field: &str, reason: impl Into<String>) {
        self.0.push(FieldError {
            field: field.to_owned(),
            reason: reason.into(),
        });
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok` when nothing was refused.
    pub fn finish(self) -> Result<(), DomainError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(DomainError::Validation(self.0))
        }
    }
}

/// Why a single value was refused; the field path is added by [`Violations`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid(pub String);

impl Invalid {
    pub fn new(reason: impl Into<String>) -> Self {
        Self(reason.into())
    }
}

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<Invalid> for DomainError {
    /// A single value refused without a known field path.
    fn from(e: Invalid) -> Self {
        DomainError::invalid("value", e.0)
    }
}
