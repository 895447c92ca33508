//! Recurring events: an RRULE (RFC 5545) with exception dates, expanded in the event's
//! own time zone so that a 10:00 market stays at 10:00 across daylight-saving changes.

use crate::error::Invalid;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A validated recurrence rule and the starts that are skipped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recurrence {
    /// The RRULE value without `DTSTART`, normalized, e.g. `FREQ=WEEKLY;BYDAY=SA`.
    pub rule: String,
    /// Starts (UTC instants) of occurrences that do not take place, sorted.
    pub exception_dates: Vec<DateTime<Utc>>,
}

impl Recurrence {
    /// Validates `rule` with the `rrule` crate for an event first starting at `first_start`
    /// in `tz`. Refuses rules more frequent than daily.
    pub fn parse(
        rule: &str,
        exception_dates: Vec<DateTime<Utc>>,
        first_start: DateTime<Utc>,
        tz: chrono_tz::Tz,
    ) -> Result<Self, Invalid> {
        todo!("{rule} {exception_dates:?} {first_start} {tz}")
    }

    /// Starts of the occurrences in `[from, until]`, at most `limit`, in order, exception
    /// dates removed.
    pub fn starts_between(
        &self,
        first_start: DateTime<Utc>,
        tz: chrono_tz::Tz,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: usize,
    ) -> Vec<DateTime<Utc>> {
        todo!("{first_start} {tz} {from} {until} {limit}")
    }
}
