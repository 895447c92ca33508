//! The agenda as tables (`evenements.csv`, `occurrences.csv`): columns and constraints of
//! the Table Schemas in `standards/silo-agenda/`, column names of the Opendatasoft
//! OpenAgenda mirror. Text longer than a column allows is cut at a character boundary
//! with an ellipsis; instants are UTC (`2027-03-13T08:00:00Z`, the Table Schema default).

use crate::event::{Event, EventStatus, Occurrence};
use crate::place::Place;
use chrono::{DateTime, SecondsFormat, Utc};

pub const EVENT_COLUMNS: [&str; 36] = [
    "uid",
    "canonicalurl",
    "title_fr",
    "description_fr",
    "longdescription_fr",
    "conditions_fr",
    "keywords_fr",
    "category",
    "image",
    "imagecredits",
    "status",
    "attendancemode",
    "onlineaccesslink",
    "timezone",
    "firstdate_begin",
    "firstdate_end",
    "lastdate_begin",
    "lastdate_end",
    "rrule",
    "age_min",
    "age_max",
    "accessibility",
    "registration",
    "organizer_name",
    "organizer_siret",
    "organizer_rna",
    "location_uid",
    "location_name",
    "location_address",
    "location_postalcode",
    "location_city",
    "location_insee",
    "location_countrycode",
    "location_latitude",
    "location_longitude",
    "updatedat",
];

pub const OCCURRENCE_COLUMNS: [&str; 4] = ["event_uid", "begin", "end", "status"];

/// Everything one row of `evenements.csv` says besides the event.
#[derive(Debug, Clone, Default)]
pub struct EventRow<'a> {
    pub url: String,
    pub categories: Vec<String>,
    pub keywords: Vec<String>,
    pub place: Option<&'a Place>,
    pub organizer_name: Option<String>,
    pub organizer_siret: Option<String>,
    pub organizer_rna: Option<String>,
    /// The occurrences in the export's window, in order.
    pub occurrences: &'a [Occurrence],
}

/// The stable identifier shared by every export (the iCalendar `UID` too).
pub fn uid(event: &Event) -> String {
    format!("{}@silo", event.id)
}

/// The status as the schemas spell it.
pub fn status(status: EventStatus) -> &'static str {
    match status {
        EventStatus::Scheduled => "scheduled",
        EventStatus::Rescheduled => "rescheduled",
        EventStatus::MovedOnline => "movedOnline",
        EventStatus::Postponed => "postponed",
        EventStatus::Full => "full",
        EventStatus::Cancelled => "cancelled",
    }
}

pub fn instant(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// At most `max` characters, an ellipsis marking a cut.
pub fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// One line of text: newlines and runs of spaces become single spaces.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The row of `evenements.csv`, in [`EVENT_COLUMNS`] order.
pub fn event_row(event: &Event, row: &EventRow<'_>) -> Vec<String> {
    let f = &event.fields;
    let first = row.occurrences.first();
    let last = row.occurrences.last();
    let when = |o: Option<&Occurrence>, end: bool| {
        o.map(|o| if end { o.ends_at } else { o.starts_at })
            .map(instant)
            .unwrap_or_else(|| instant(if end { f.ends_at } else { f.starts_at }))
    };
    let lead = f
        .summary
        .clone()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| {
            let body = one_line(&f.body_markdown);
            if body.is_empty() {
                f.title.clone()
            } else {
                body
            }
        });
    let accessibility: Vec<&str> = [
        (f.accessibility.hearing, "hi"),
        (f.accessibility.visual, "vi"),
        (f.accessibility.mental, "pi"),
        (f.accessibility.wheelchair, "mi"),
    ]
    .into_iter()
    .filter(|(on, _)| *on)
    .map(|(_, code)| code)
    .collect();
    let number = |n: Option<u8>| n.map(|n| n.to_string()).unwrap_or_default();
    let coordinate = |c: Option<f64>| c.map(|c| format!("{c:.6}")).unwrap_or_default();
    let place = row.place;
    let text = |s: Option<&String>| s.cloned().unwrap_or_default();
    vec![
        uid(event),
        row.url.clone(),
        clip(&one_line(&f.title), 140),
        clip(&one_line(&lead), 200),
        clip(&f.body_markdown, 10_000),
        clip(&one_line(f.price.as_deref().unwrap_or_default()), 255),
        row.keywords.join(";"),
        row.categories.join(";"),
        text(f.image_url.as_ref()),
        String::new(),
        status(f.event_status).to_owned(),
        f.attendance_mode.as_str().to_owned(),
        text(f.online_url.as_ref()),
        f.time_zone.clone(),
        when(first, false),
        when(first, true),
        when(last, false),
        when(last, true),
        f.recurrence
            .as_ref()
            .map(|r| r.rule.clone())
            .unwrap_or_default(),
        number(f.age_range.min),
        number(f.age_range.max),
        accessibility.join(";"),
        text(f.registration_url.as_ref()),
        text(row.organizer_name.as_ref()),
        text(row.organizer_siret.as_ref()),
        text(row.organizer_rna.as_ref()),
        place.map(|p| p.id.to_string()).unwrap_or_default(),
        place.map(|p| p.name.clone()).unwrap_or_default(),
        place
            .and_then(|p| p.street_address.clone())
            .unwrap_or_default(),
        place
            .and_then(|p| p.postal_code.clone())
            .map(|c| clip(&c, 10))
            .unwrap_or_default(),
        place.map(|p| p.city.clone()).unwrap_or_default(),
        String::new(),
        if place.is_some() {
            "FR".to_owned()
        } else {
            String::new()
        },
        coordinate(place.and_then(|p| p.latitude)),
        coordinate(place.and_then(|p| p.longitude)),
        instant(event.publication.updated_at),
    ]
}

/// The rows of `occurrences.csv` for an event, in [`OCCURRENCE_COLUMNS`] order.
pub fn occurrence_rows(event: &Event, occurrences: &[Occurrence]) -> Vec<[String; 4]> {
    occurrences
        .iter()
        .map(|o| {
            [
                uid(event),
                instant(o.starts_at),
                instant(o.ends_at.max(o.starts_at)),
                status(event.fields.event_status).to_owned(),
            ]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clipping_keeps_whole_characters_and_marks_the_cut() {
        assert_eq!(clip("Fête", 10), "Fête");
        let cut = clip(&"é".repeat(300), 140);
        assert_eq!(cut.chars().count(), 140);
        assert!(cut.ends_with('…'));
    }

    #[test]
    fn statuses_are_spelled_as_the_schema_says() {
        assert_eq!(status(EventStatus::MovedOnline), "movedOnline");
        assert_eq!(
            instant(DateTime::from_timestamp(0, 0).unwrap()),
            "1970-01-01T00:00:00Z"
        );
    }
}
