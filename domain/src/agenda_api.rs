//! An event shaped like OpenAgenda's JSON export (the de facto French agenda model):
//! multilingual texts under `fr`, `timings`, numeric `status` and `attendanceMode`,
//! `location`, `age`, `accessibility` flags.

use crate::agenda_table::{self, EventRow, instant};
use crate::event::{AttendanceMode, Event, EventStatus};
use serde_json::{Value, json};

/// OpenAgenda's status codes.
pub fn status_code(status: EventStatus) -> u8 {
    match status {
        EventStatus::Scheduled => 1,
        EventStatus::Rescheduled => 2,
        EventStatus::MovedOnline => 3,
        EventStatus::Postponed => 4,
        EventStatus::Full => 5,
        EventStatus::Cancelled => 6,
    }
}

fn attendance_code(mode: AttendanceMode) -> u8 {
    match mode {
        AttendanceMode::Offline => 1,
        AttendanceMode::Online => 2,
        AttendanceMode::Mixed => 3,
    }
}

pub fn event(event: &Event, row: &EventRow<'_>) -> Value {
    let f = &event.fields;
    let p = &event.publication;
    let fr = |text: Option<&str>| text.map(|t| json!({ "fr": t })).unwrap_or(Value::Null);
    let timings: Vec<Value> = row
        .occurrences
        .iter()
        .map(|o| json!({ "begin": instant(o.starts_at), "end": instant(o.ends_at.max(o.starts_at)) }))
        .collect();
    let location = row.place.map(|place| {
        json!({
            "uid": place.id,
            "name": place.name,
            "address": place.street_address,
            "postalCode": place.postal_code,
            "city": place.city,
            "countryCode": "FR",
            "latitude": place.latitude,
            "longitude": place.longitude,
            "timezone": f.time_zone,
        })
    });
    let registration: Vec<Value> = f
        .registration_url
        .iter()
        .map(|url| json!({ "type": "link", "value": url }))
        .collect();
    json!({
        "uid": agenda_table::uid(event),
        "slug": f.slug,
        "canonicalUrl": row.url,
        "title": { "fr": f.title },
        "description": fr(f.summary.as_deref()),
        "longDescription": fr(Some(&f.body_markdown).filter(|b| !b.trim().is_empty()).map(String::as_str)),
        "conditions": fr(f.price.as_deref()),
        "keywords": { "fr": row.keywords },
        "categories": row.categories,
        "image": f.image_url,
        "timings": timings,
        "timezone": f.time_zone,
        "rrule": f.recurrence.as_ref().map(|r| &r.rule),
        "status": status_code(f.event_status),
        "attendanceMode": attendance_code(f.attendance_mode),
        "onlineAccessLink": f.online_url,
        "location": location,
        "age": { "min": f.age_range.min, "max": f.age_range.max },
        "accessibility": {
            "hi": f.accessibility.hearing,
            "vi": f.accessibility.visual,
            "pi": f.accessibility.mental,
            "mi": f.accessibility.wheelchair,
            "ii": false,
        },
        "registration": registration,
        "organizer": row.organizer_name,
        "free": f.free,
        "state": 2,
        "createdAt": instant(p.created_at),
        "updatedAt": instant(p.updated_at),
    })
}
