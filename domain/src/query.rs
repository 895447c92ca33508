//! What a reader may ask of the hub: filters for each list, checked before they reach storage.

use crate::error::{DomainError, Violations};
use crate::event::{Accessibility, EventStatus};
use crate::field::GeoPoint;
use crate::public_service::ServiceKind;
use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

/// The largest page a reader may ask for.
pub const MAX_PAGE_SIZE: usize = 100;
/// The page size when the reader does not say.
pub const DEFAULT_PAGE_SIZE: usize = 20;
/// The widest radius of a `near` filter, in kilometres.
pub const MAX_RADIUS_KM: f64 = 500.0;

/// Checks a requested page size (`first`).
pub fn page_size(first: Option<i32>, field: &str) -> Result<usize, DomainError> {
    match first {
        None => Ok(DEFAULT_PAGE_SIZE),
        Some(n) if (0..=MAX_PAGE_SIZE as i32).contains(&n) => Ok(n as usize),
        Some(_) => Err(DomainError::invalid(
            field,
            format!("must be between 0 and {MAX_PAGE_SIZE}"),
        )),
    }
}

/// "Within `radius_km` of this point."
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Near {
    pub center: GeoPoint,
    pub radius_km: f64,
}

impl Near {
    pub fn parse(
        latitude: f64,
        longitude: f64,
        radius_km: f64,
        path: &str,
    ) -> Result<Self, DomainError> {
        let mut v = Violations::new();
        let lat = v.check(
            &format!("{path}.latitude"),
            GeoPoint::parse_latitude(latitude),
        );
        let lon = v.check(
            &format!("{path}.longitude"),
            GeoPoint::parse_longitude(longitude),
        );
        if !(radius_km.is_finite() && radius_km > 0.0 && radius_km <= MAX_RADIUS_KM) {
            v.push(
                &format!("{path}.radiusKm"),
                format!("must be above 0 and at most {MAX_RADIUS_KM}"),
            );
        }
        v.finish()?;
        Ok(Self {
            center: GeoPoint {
                latitude: lat.expect("checked"),
                longitude: lon.expect("checked"),
            },
            radius_km,
        })
    }

    /// Degrees of latitude and longitude spanned by the radius: a box that contains the
    /// circle, cheap for a database index to narrow down.
    pub fn bounding_box(&self) -> (f64, f64) {
        let dlat = self.radius_km / 111.32;
        let cos = self.center.latitude.to_radians().cos().max(0.01);
        (dlat, dlat / cos)
    }

    pub fn admits(&self, point: GeoPoint) -> bool {
        self.center.distance_km(&point) <= self.radius_km
    }
}

/// Filter of the agenda: occurrences in a time window, narrowed by the other criteria.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EventFilter {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub category_ids: Vec<Uuid>,
    pub department_ids: Vec<Uuid>,
    pub near: Option<Near>,
    pub free: Option<bool>,
    /// An age in years: keeps events whose age range includes it.
    pub audience_age: Option<u8>,
    /// Keeps events accessible for every flag set here.
    pub accessibility: Accessibility,
    /// Empty means every status.
    pub statuses: Vec<EventStatus>,
    /// Keeps events saved at or after this instant (incremental sync).
    pub updated_since: Option<DateTime<Utc>>,
}

/// The agenda window when the reader does not give one: from `now` to a year ahead.
pub const DEFAULT_WINDOW_DAYS: i64 = 366;

impl EventFilter {
    /// The window `[from, to)` the filter asks for, defaults applied.
    pub fn window(
        &self,
        now: DateTime<Utc>,
    ) -> Result<(DateTime<Utc>, DateTime<Utc>), DomainError> {
        let from = self.from.unwrap_or(now);
        let to = self
            .to
            .unwrap_or_else(|| from + Duration::days(DEFAULT_WINDOW_DAYS));
        if to < from {
            return Err(DomainError::invalid(
                "filter.to",
                "must not be before filter.from",
            ));
        }
        Ok((from, to))
    }
}

/// Filter of the associations directory.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AssociationFilter {
    /// Keeps names starting with this, ignoring case and accents.
    pub name_prefix: Option<String>,
    pub category_ids: Vec<Uuid>,
    pub near: Option<Near>,
}

/// Filter of the news.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NewsFilter {
    pub tag_ids: Vec<Uuid>,
    pub department_ids: Vec<Uuid>,
    pub featured: Option<bool>,
}

/// Filter of the public services.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ServiceFilter {
    pub kind: Option<ServiceKind>,
    /// Keeps services open at this instant.
    pub open_at: Option<DateTime<Utc>>,
    pub near: Option<Near>,
}

/// Folds a name for case- and accent-insensitive prefix search (`Él` finds `élan`, `Elan`).
pub fn fold_for_search(text: &str) -> String {
    text.chars()
        .flat_map(crate::field::fold_accent)
        .flat_map(char::to_lowercase)
        .collect()
}
