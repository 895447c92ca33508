//! Events of the agenda: validated input, the stored event, and its occurrences.

use crate::content::{Publication, SiteTargets};
use crate::error::{DomainError, Invalid, Violations};
use crate::field::{Email, HttpUrl, Phone, Slug, TimeZone, optional_text, required_text};
use crate::markdown;
use crate::recurrence::Recurrence;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The event's own status, as schema.org and iCalendar know it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum EventStatus {
    #[default]
    Scheduled,
    Rescheduled,
    Postponed,
    Cancelled,
    MovedOnline,
    Full,
}

impl EventStatus {
    pub const ALL: [EventStatus; 6] = [
        Self::Scheduled,
        Self::Rescheduled,
        Self::Postponed,
        Self::Cancelled,
        Self::MovedOnline,
        Self::Full,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Scheduled => "scheduled",
            Self::Rescheduled => "rescheduled",
            Self::Postponed => "postponed",
            Self::Cancelled => "cancelled",
            Self::MovedOnline => "moved_online",
            Self::Full => "full",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }
}

/// Whether people come in person, online, or either.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum AttendanceMode {
    #[default]
    Offline,
    Online,
    Mixed,
}

impl AttendanceMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Offline => "offline",
            Self::Online => "online",
            Self::Mixed => "mixed",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Offline, Self::Online, Self::Mixed]
            .into_iter()
            .find(|s| s.as_str() == raw)
    }
}

/// Which disabilities the event is accessible for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub struct Accessibility {
    pub wheelchair: bool,
    pub hearing: bool,
    pub visual: bool,
    pub mental: bool,
}

/// Who organizes an event: an association of the directory or a city department.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Organizer {
    Association(Uuid),
    Department(Uuid),
}

/// Ages the event is meant for, in years; either bound may be open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub struct AgeRange {
    pub min: Option<u8>,
    pub max: Option<u8>,
}

impl AgeRange {
    pub fn parse(min: Option<i32>, max: Option<i32>) -> Result<Self, Invalid> {
        let bound = |v: Option<i32>| -> Result<Option<u8>, Invalid> {
            match v {
                None => Ok(None),
                Some(age) if (0..=120).contains(&age) => Ok(Some(age as u8)),
                Some(_) => Err(Invalid::new("ages must be between 0 and 120")),
            }
        };
        let (min, max) = (bound(min)?, bound(max)?);
        if let (Some(lo), Some(hi)) = (min, max)
            && lo > hi
        {
            return Err(Invalid::new("the minimum age is above the maximum age"));
        }
        Ok(Self { min, max })
    }

    /// Whether a person of `age` is in the range.
    pub fn admits(&self, age: u8) -> bool {
        self.min.is_none_or(|lo| age >= lo) && self.max.is_none_or(|hi| age <= hi)
    }
}

/// Everything an editor writes about an event, validated and normalized.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventFields {
    pub slug: String,
    pub department_id: Uuid,
    pub title: String,
    pub summary: Option<String>,
    pub body_markdown: String,
    /// Rendered from `body_markdown`, sanitized.
    pub body_html: String,
    /// Start of the first occurrence.
    pub starts_at: DateTime<Utc>,
    /// End of the first occurrence; later occurrences keep the same duration.
    pub ends_at: DateTime<Utc>,
    pub time_zone: String,
    pub all_day: bool,
    pub recurrence: Option<Recurrence>,
    pub event_status: EventStatus,
    pub attendance_mode: AttendanceMode,
    pub place_id: Option<Uuid>,
    pub online_url: Option<String>,
    pub free: bool,
    pub price: Option<String>,
    pub registration_url: Option<String>,
    pub organizer: Option<Organizer>,
    pub age_range: AgeRange,
    pub accessibility: Accessibility,
    pub image_url: Option<String>,
    pub image_alt: Option<String>,
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
    pub category_ids: Vec<Uuid>,
    pub tag_ids: Vec<Uuid>,
    pub sites: SiteTargets,
}

impl EventFields {
    pub fn duration(&self) -> Duration {
        self.ends_at - self.starts_at
    }

    pub fn time_zone(&self) -> chrono_tz::Tz {
        self.time_zone.parse().unwrap_or(chrono_tz::Europe::Paris)
    }
}

/// A stored event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub id: Uuid,
    pub publication: Publication,
    pub fields: EventFields,
}

/// One dated occurrence of an event (a weekly market has one per week).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Occurrence {
    pub id: Uuid,
    pub event_id: Uuid,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

/// A recurrence as the caller sends it.
#[derive(Debug, Clone, Default)]
pub struct RecurrenceInput {
    /// An RRULE value without `DTSTART`, e.g. `FREQ=WEEKLY;BYDAY=SA`.
    pub rule: String,
    /// Starts of occurrences that do not take place.
    pub exception_dates: Vec<DateTime<Utc>>,
}

/// What a caller sends to create or replace an event.
#[derive(Debug, Clone, Default)]
pub struct EventInput {
    pub slug: Option<String>,
    pub department_id: Uuid,
    pub title: String,
    pub summary: Option<String>,
    pub body_markdown: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: Option<DateTime<Utc>>,
    pub time_zone: Option<String>,
    pub all_day: bool,
    pub recurrence: Option<RecurrenceInput>,
    pub event_status: EventStatus,
    pub attendance_mode: AttendanceMode,
    pub place_id: Option<Uuid>,
    pub online_url: Option<String>,
    pub free: bool,
    pub price: Option<String>,
    pub registration_url: Option<String>,
    pub organizer: Option<Organizer>,
    pub age_min: Option<i32>,
    pub age_max: Option<i32>,
    pub accessibility: Accessibility,
    pub image_url: Option<String>,
    pub image_alt: Option<String>,
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
    pub category_ids: Vec<Uuid>,
    pub tag_ids: Vec<Uuid>,
    pub sites: SiteTargets,
}

/// An event may not last longer than this (a festival, an exhibition).
const MAX_EVENT_DAYS: i64 = 366;

impl EventInput {
    /// Checks every field, reporting all refusals with their field paths.
    pub fn validate(self) -> Result<EventFields, DomainError> {
        let mut v = Violations::new();
        let title = v.check("title", required_text(&self.title, 300));
        let slug = match &self.slug {
            Some(raw) => v.check("slug", Slug::parse(raw)),
            None => Some(Slug::from_title(&self.title)),
        };
        let summary = v.check("summary", optional_text(self.summary.as_deref(), 1000));
        if self.body_markdown.len() > 100_000 {
            v.push("body", "must be at most 100,000 bytes");
        }
        let tz = match &self.time_zone {
            Some(raw) => v.check("timeZone", TimeZone::parse(raw)),
            None => Some(TimeZone::paris()),
        };
        let ends_at = self.ends_at.unwrap_or(self.starts_at);
        if ends_at < self.starts_at {
            v.push("endsAt", "must not be before startsAt");
        } else if ends_at - self.starts_at > Duration::days(MAX_EVENT_DAYS) {
            v.push("endsAt", "an event lasts at most one year");
        }
        let recurrence = match (&self.recurrence, tz) {
            (Some(r), Some(tz)) => v.check(
                "recurrence.rule",
                Recurrence::parse(&r.rule, r.exception_dates.clone(), self.starts_at, tz.0),
            ),
            _ => None,
        };
        let online_url = v.check_opt("onlineUrl", self.online_url.as_deref(), HttpUrl::parse);
        if matches!(
            self.attendance_mode,
            AttendanceMode::Online | AttendanceMode::Mixed
        ) && self.online_url.is_none()
        {
            v.push("onlineUrl", "an online event needs its URL");
        }
        let registration_url = v.check_opt(
            "registrationUrl",
            self.registration_url.as_deref(),
            HttpUrl::parse,
        );
        let price = v.check("price", optional_text(self.price.as_deref(), 300));
        let age_range = v.check("ageRange", AgeRange::parse(self.age_min, self.age_max));
        let image_url = v.check_opt("image.url", self.image_url.as_deref(), HttpUrl::parse);
        let image_alt = v.check("image.alt", optional_text(self.image_alt.as_deref(), 300));
        if self.image_url.is_some() && image_alt.as_ref().is_some_and(Option::is_none) {
            v.push("image.alt", "an image needs its alternative text");
        }
        let email = v.check_opt("contact.email", self.contact_email.as_deref(), Email::parse);
        let phone = v.check_opt("contact.phone", self.contact_phone.as_deref(), Phone::parse);
        v.finish()?;
        Ok(EventFields {
            slug: slug.expect("checked").into_string(),
            department_id: self.department_id,
            title: title.expect("checked"),
            summary: summary.flatten(),
            body_html: markdown::render_html(&self.body_markdown),
            body_markdown: self.body_markdown,
            starts_at: self.starts_at,
            ends_at,
            time_zone: tz.expect("checked").name().to_owned(),
            all_day: self.all_day,
            recurrence,
            event_status: self.event_status,
            attendance_mode: self.attendance_mode,
            place_id: self.place_id,
            online_url: online_url.map(|u| u.as_str().to_owned()),
            free: self.free,
            price: price.flatten(),
            registration_url: registration_url.map(|u| u.as_str().to_owned()),
            organizer: self.organizer,
            age_range: age_range.expect("checked"),
            accessibility: self.accessibility,
            image_url: image_url.map(|u| u.as_str().to_owned()),
            image_alt: image_alt.flatten(),
            contact_email: email.map(|e| e.as_str().to_owned()),
            contact_phone: phone.map(|p| p.as_str().to_owned()),
            category_ids: self.category_ids,
            tag_ids: self.tag_ids,
            sites: self.sites,
        })
    }
}

/// No event materializes more occurrences than this, whatever its rule says.
pub const MAX_OCCURRENCES: usize = 2_000;

impl EventFields {
    /// The (start, end) of every occurrence starting no later than `horizon_end`: one for a
    /// single event, one per date of the rule (minus exception dates) for a recurring one.
    pub fn occurrence_spans(
        &self,
        horizon_end: DateTime<Utc>,
    ) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
        let duration = self.duration();
        match &self.recurrence {
            None => vec![(self.starts_at, self.ends_at)],
            Some(rule) => rule
                .starts_between(
                    self.starts_at,
                    self.time_zone(),
                    self.starts_at,
                    horizon_end,
                    MAX_OCCURRENCES,
                )
                .into_iter()
                .map(|start| (start, start + duration))
                .collect(),
        }
    }
}
