//! Opening hours in OpenStreetMap `opening_hours` syntax, French public holidays included.

use crate::error::Invalid;
use chrono::{DateTime, Utc};

/// A parsed `opening_hours` value, evaluated with French public holidays for `PH`.
#[derive(Debug, Clone)]
pub struct OpeningHours {
    raw: String,
}

impl OpeningHours {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        todo!("{raw}")
    }

    /// The value as written (trimmed).
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// Whether the service is open at `at`, wall-clock time taken in `tz`.
    pub fn is_open(&self, at: DateTime<Utc>, tz: chrono_tz::Tz) -> bool {
        todo!("{at} {tz}")
    }

    /// The next instant after `at` when the state changes (opens or closes), if any
    /// within a year.
    pub fn next_change(&self, at: DateTime<Utc>, tz: chrono_tz::Tz) -> Option<DateTime<Utc>> {
        todo!("{at} {tz}")
    }
}
