//! An event as schema.org `Event` JSON-LD, to Google's Event rules: dates with their
//! offset, `eventStatus` and `eventAttendanceMode` as schema.org URLs, the place with a
//! `PostalAddress` and `GeoCoordinates` or a `VirtualLocation` (both when mixed), offers,
//! organizer, `typicalAgeRange`, and an `eventSchedule` for a recurring event.

use crate::agenda_table::{self, EventRow};
use crate::event::{AttendanceMode, Event, EventStatus};
use crate::ical::zone_of;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};

const SCHEMA: &str = "https://schema.org/";

pub fn event_status(status: EventStatus) -> String {
    let name = match status {
        EventStatus::Scheduled | EventStatus::Full => "EventScheduled",
        EventStatus::Rescheduled => "EventRescheduled",
        EventStatus::Postponed => "EventPostponed",
        EventStatus::Cancelled => "EventCancelled",
        EventStatus::MovedOnline => "EventMovedOnline",
    };
    format!("{SCHEMA}{name}")
}

fn attendance_mode(event: &Event) -> String {
    let mode = match (event.fields.event_status, event.fields.attendance_mode) {
        (EventStatus::MovedOnline, _) | (_, AttendanceMode::Online) => "OnlineEventAttendanceMode",
        (_, AttendanceMode::Mixed) => "MixedEventAttendanceMode",
        (_, AttendanceMode::Offline) => "OfflineEventAttendanceMode",
    };
    format!("{SCHEMA}{mode}")
}

/// The instant on the event's clock, with its offset.
fn local(event: &Event, at: DateTime<Utc>) -> String {
    at.with_timezone(&zone_of(event))
        .to_rfc3339_opts(SecondsFormat::Secs, false)
}

/// The event as a JSON-LD node (no `@context`: the document gives it).
pub fn event(event: &Event, row: &EventRow<'_>) -> Value {
    let f = &event.fields;
    let mut node = Map::new();
    let mut put = |key: &str, value: Value| {
        if !value.is_null() {
            node.insert(key.to_owned(), value);
        }
    };
    put("@type", json!("Event"));
    put("@id", json!(format!("{}#event", row.url)));
    put("identifier", json!(agenda_table::uid(event)));
    put("url", json!(row.url));
    put("name", json!(f.title));
    put("description", non_empty(&f.body_markdown));
    put("disambiguatingDescription", json!(f.summary));
    // The first occurrence in the export's window; a series is described below.
    let (start, end) = row
        .occurrences
        .first()
        .map_or((f.starts_at, f.ends_at), |o| (o.starts_at, o.ends_at));
    put("startDate", json!(local(event, start)));
    put("endDate", json!(local(event, end.max(start))));
    put("eventStatus", json!(event_status(f.event_status)));
    put("eventAttendanceMode", json!(attendance_mode(event)));
    put("location", location(event, row));
    put("isAccessibleForFree", json!(f.free));
    put("offers", offers(event));
    if let Some(name) = &row.organizer_name {
        let mut organizer = json!({ "@type": "Organization", "name": name });
        if let Some(siret) = row.organizer_siret.as_ref().or(row.organizer_rna.as_ref()) {
            organizer["identifier"] = json!(siret);
        }
        put("organizer", organizer);
    }
    if let Some(image) = &f.image_url {
        put("image", json!([image]));
    }
    let ages = match (f.age_range.min, f.age_range.max) {
        (Some(lo), Some(hi)) => Some(format!("{lo}-{hi}")),
        (Some(lo), None) => Some(format!("{lo}-")),
        (None, Some(hi)) => Some(format!("-{hi}")),
        (None, None) => None,
    };
    put("typicalAgeRange", json!(ages));
    let mut keywords = row.categories.clone();
    keywords.extend(row.keywords.iter().cloned());
    if !keywords.is_empty() {
        put("keywords", json!(keywords.join(", ")));
    }
    put("inLanguage", json!("fr"));
    put("eventSchedule", schedule(event));
    Value::Object(node)
}

fn non_empty(text: &str) -> Value {
    if text.trim().is_empty() {
        Value::Null
    } else {
        json!(text)
    }
}

fn location(event: &Event, row: &EventRow<'_>) -> Value {
    let f = &event.fields;
    let place = row.place.map(|p| {
        let mut place = json!({
            "@type": "Place",
            "@id": format!("urn:uuid:{}", p.id),
            "name": p.name,
            "address": {
                "@type": "PostalAddress",
                "addressLocality": p.city,
                "addressCountry": "FR",
            },
        });
        if let Some(street) = &p.street_address {
            place["address"]["streetAddress"] = json!(street);
        }
        if let Some(code) = &p.postal_code {
            place["address"]["postalCode"] = json!(code);
        }
        if let Some(geo) = p.geo() {
            place["geo"] = json!({
                "@type": "GeoCoordinates",
                "latitude": geo.latitude,
                "longitude": geo.longitude,
            });
        }
        place
    });
    let online = f
        .online_url
        .as_ref()
        .map(|url| json!({ "@type": "VirtualLocation", "url": url }));
    match (place, online) {
        (Some(place), Some(online)) => json!([place, online]),
        (Some(place), None) => place,
        (None, Some(online)) => online,
        (None, None) => Value::Null,
    }
}

fn offers(event: &Event) -> Value {
    let f = &event.fields;
    if !f.free && f.price.is_none() && f.registration_url.is_none() {
        return Value::Null;
    }
    let availability = if f.event_status == EventStatus::Full {
        "SoldOut"
    } else {
        "InStock"
    };
    let mut offer = json!({
        "@type": "Offer",
        "availability": format!("{SCHEMA}{availability}"),
        "priceCurrency": "EUR",
        "validFrom": local(event, event.publication.published_at.unwrap_or(event.publication.created_at)),
    });
    if f.free {
        offer["price"] = json!("0");
    }
    if let Some(price) = &f.price {
        offer["description"] = json!(price);
    }
    if let Some(url) = &f.registration_url {
        offer["url"] = json!(url);
    }
    offer
}

/// A recurring event's `Schedule`, read from its rule (`FREQ`, `INTERVAL`, `BYDAY`,
/// `UNTIL`, `COUNT`) and exception dates.
fn schedule(event: &Event) -> Value {
    let f = &event.fields;
    let Some(recurrence) = &f.recurrence else {
        return Value::Null;
    };
    let part = |key: &str| {
        recurrence
            .rule
            .split(';')
            .find_map(|p| p.strip_prefix(key)?.strip_prefix('='))
            .map(str::to_owned)
    };
    let interval = part("INTERVAL").unwrap_or_else(|| "1".to_owned());
    let unit = match part("FREQ").as_deref() {
        Some("DAILY") => "D",
        Some("WEEKLY") => "W",
        Some("MONTHLY") => "M",
        Some("YEARLY") => "Y",
        _ => return Value::Null,
    };
    let tz = zone_of(event);
    let start = f.starts_at.with_timezone(&tz);
    let end = f.ends_at.max(f.starts_at).with_timezone(&tz);
    let mut schedule = json!({
        "@type": "Schedule",
        "repeatFrequency": format!("P{interval}{unit}"),
        "startDate": start.format("%Y-%m-%d").to_string(),
        "startTime": start.format("%H:%M:%S").to_string(),
        "endTime": end.format("%H:%M:%S").to_string(),
        "scheduleTimezone": tz.name(),
    });
    if let Some(days) = part("BYDAY") {
        let days: Vec<String> = days
            .split(',')
            .filter_map(|d| {
                day_name(d.trim_start_matches(|c: char| c == '-' || c == '+' || c.is_ascii_digit()))
            })
            .map(|d| format!("{SCHEMA}{d}"))
            .collect();
        schedule["byDay"] = json!(days);
    }
    if let Some(until) = part("UNTIL")
        && let Ok(until) = chrono::NaiveDateTime::parse_from_str(&until, "%Y%m%dT%H%M%SZ")
    {
        let until = until.and_utc().with_timezone(&tz);
        schedule["endDate"] = json!(until.format("%Y-%m-%d").to_string());
    }
    if let Some(count) = part("COUNT").and_then(|c| c.parse::<u32>().ok()) {
        schedule["repeatCount"] = json!(count);
    }
    if !recurrence.exception_dates.is_empty() {
        let dates: Vec<String> = recurrence
            .exception_dates
            .iter()
            .map(|d| local(event, *d))
            .collect();
        schedule["exceptDate"] = json!(dates);
    }
    schedule
}

fn day_name(code: &str) -> Option<&'static str> {
    Some(match code {
        "MO" => "Monday",
        "TU" => "Tuesday",
        "WE" => "Wednesday",
        "TH" => "Thursday",
        "FR" => "Friday",
        "SA" => "Saturday",
        "SU" => "Sunday",
        _ => return None,
    })
}
