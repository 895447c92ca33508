//! The agenda as iCalendar (RFC 5545 with RFC 7986): content lines folded at 75 octets
//! without splitting a UTF-8 character, text escaped, a compact `VTIMEZONE` per zone used
//! (yearly rules, not a century of history), recurring events as `RRULE` + `EXDATE`, never
//! expanded. Hand-written: the `icalendar` crate folds by characters rather than octets
//! and writes no `VTIMEZONE`, the two things subscribers' calendars trip on.

use crate::event::{AttendanceMode, Event, EventStatus};
use crate::place::Place;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Offset, TimeZone, Utc, Weekday};
use chrono_tz::{OffsetComponents, OffsetName, Tz};
use std::fmt::Write;

/// Octets of a content line before it is folded.
const LINE_OCTETS: usize = 75;

/// One content line `NAME;PARAMS:value`, folded, with its CRLF.
pub fn line(name_and_params: &str, value: &str) -> String {
    let raw = format!("{name_and_params}:{value}");
    let mut out = String::with_capacity(raw.len() + raw.len() / 70 * 3 + 2);
    let mut room = LINE_OCTETS;
    for ch in raw.chars() {
        if ch.len_utf8() > room {
            out.push_str("\r\n ");
            // The leading space is part of the next line's 75 octets.
            room = LINE_OCTETS - 1;
        }
        out.push(ch);
        room -= ch.len_utf8();
    }
    out.push_str("\r\n");
    out
}

/// A TEXT value: backslash, semicolon, comma and newlines escaped (RFC 5545 3.3.11).
pub fn text(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars().peekable();
    while let Some(ch) = chars.next() {
        match ch {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => out.push_str("\\n"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// What the calendar says about itself.
#[derive(Debug, Clone)]
pub struct CalendarInfo {
    pub name: String,
    pub description: String,
    /// Where the feed lives (RFC 7986 `URL` and `SOURCE`).
    pub url: String,
}

/// The calendar's opening lines, up to the first component.
pub fn calendar_start(info: &CalendarInfo) -> String {
    [
        line("BEGIN", "VCALENDAR"),
        line("VERSION", "2.0"),
        line("PRODID", "-//Silo//Agenda//FR"),
        line("CALSCALE", "GREGORIAN"),
        line("METHOD", "PUBLISH"),
        line("NAME", &text(&info.name)),
        line("X-WR-CALNAME", &text(&info.name)),
        line("DESCRIPTION", &text(&info.description)),
        line("URL;VALUE=URI", &info.url),
        line("SOURCE;VALUE=URI", &info.url),
        line("REFRESH-INTERVAL;VALUE=DURATION", "PT6H"),
        line("X-PUBLISHED-TTL", "PT6H"),
    ]
    .concat()
}

pub fn calendar_end() -> String {
    line("END", "VCALENDAR")
}

/// A zone's current yearly rules as a `VTIMEZONE`, from its transitions in `year`: a
/// `STANDARD` and a `DAYLIGHT` observance with `RRULE`s (`BYDAY=-1SU` for "last Sunday"),
/// or one `STANDARD` observance for a zone without daylight saving time.
pub fn vtimezone(tz: Tz, year: i32) -> String {
    let mut out = line("BEGIN", "VTIMEZONE") + &line("TZID", tz.name());
    let transitions = transitions_in(tz, year);
    if transitions.is_empty() {
        let at = Utc
            .with_ymd_and_hms(year, 1, 1, 0, 0, 0)
            .single()
            .unwrap_or_default();
        let offset = offset_seconds(tz, at);
        out += &observance(
            "STANDARD",
            offset,
            offset,
            name_at(tz, at),
            "19700101T000000",
            None,
        );
    }
    for t in transitions {
        let kind = if t.to > t.standard_offset {
            "DAYLIGHT"
        } else {
            "STANDARD"
        };
        let local = t.at.naive_utc() + Duration::seconds(i64::from(t.from));
        let (n, weekday) = nth_weekday_of(local.date());
        let onset = nth_weekday(1970, local.month(), weekday, n)
            .map(|d| d.and_time(local.time()))
            .unwrap_or(local);
        let by_day = format!("{n}{}", weekday_code(weekday));
        let rule = format!("FREQ=YEARLY;BYMONTH={};BYDAY={by_day}", local.month());
        out += &observance(
            kind,
            t.from,
            t.to,
            name_at(tz, t.at),
            &onset.format("%Y%m%dT%H%M%S").to_string(),
            Some(&rule),
        );
    }
    out + &line("END", "VTIMEZONE")
}

fn observance(
    kind: &str,
    from: i32,
    to: i32,
    name: Option<String>,
    start: &str,
    rule: Option<&str>,
) -> String {
    let mut out = line("BEGIN", kind);
    out += &line("TZOFFSETFROM", &utc_offset(from));
    out += &line("TZOFFSETTO", &utc_offset(to));
    if let Some(name) = name {
        out += &line("TZNAME", &text(&name));
    }
    out += &line("DTSTART", start);
    if let Some(rule) = rule {
        out += &line("RRULE", rule);
    }
    out + &line("END", kind)
}

struct Transition {
    at: DateTime<Utc>,
    from: i32,
    to: i32,
    standard_offset: i32,
}

/// The instants in `year` when the zone's offset changes.
fn transitions_in(tz: Tz, year: i32) -> Vec<Transition> {
    let Some(start) = Utc.with_ymd_and_hms(year, 1, 1, 0, 0, 0).single() else {
        return Vec::new();
    };
    let standard = |at| {
        let offset = tz.offset_from_utc_datetime(&at);
        offset.base_utc_offset().num_seconds() as i32
    };
    let mut out = Vec::new();
    let mut day = start;
    while day.year() == year {
        let next = day + Duration::days(1);
        if offset_seconds(tz, day) != offset_seconds(tz, next) {
            // Narrow the day down to the second.
            let (mut lo, mut hi) = (day, next);
            while hi - lo > Duration::seconds(1) {
                let mid = lo + (hi - lo) / 2;
                if offset_seconds(tz, mid) == offset_seconds(tz, lo) {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            out.push(Transition {
                at: hi,
                from: offset_seconds(tz, lo),
                to: offset_seconds(tz, hi),
                standard_offset: standard(hi.naive_utc()),
            });
        }
        day = next;
    }
    out
}

fn offset_seconds(tz: Tz, at: DateTime<Utc>) -> i32 {
    tz.offset_from_utc_datetime(&at.naive_utc())
        .fix()
        .local_minus_utc()
}

fn name_at(tz: Tz, at: DateTime<Utc>) -> Option<String> {
    tz.offset_from_utc_datetime(&at.naive_utc())
        .abbreviation()
        .map(str::to_owned)
}

/// `+0100`, `-0330`.
fn utc_offset(seconds: i32) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let minutes = seconds.abs() / 60;
    format!("{sign}{:02}{:02}", minutes / 60, minutes % 60)
}

/// Which occurrence of its weekday a date is in its month: 1 to 4, or -1 for the last.
fn nth_weekday_of(date: NaiveDate) -> (i32, Weekday) {
    let last = date
        .checked_add_signed(Duration::days(7))
        .is_none_or(|d| d.month() != date.month());
    let n = if last {
        -1
    } else {
        (date.day0() / 7 + 1) as i32
    };
    (n, date.weekday())
}

fn nth_weekday(year: i32, month: u32, weekday: Weekday, n: i32) -> Option<NaiveDate> {
    if n > 0 {
        NaiveDate::from_weekday_of_month_opt(year, month, weekday, n as u8)
    } else {
        (1..=5)
            .rev()
            .find_map(|k| NaiveDate::from_weekday_of_month_opt(year, month, weekday, k))
    }
}

fn weekday_code(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "MO",
        Weekday::Tue => "TU",
        Weekday::Wed => "WE",
        Weekday::Thu => "TH",
        Weekday::Fri => "FR",
        Weekday::Sat => "SA",
        Weekday::Sun => "SU",
    }
}

/// What a `VEVENT` is made of besides the event itself.
#[derive(Debug, Clone, Default)]
pub struct EventContext<'a> {
    pub place: Option<&'a Place>,
    /// Category and tag names.
    pub categories: Vec<String>,
    /// The event's public page (or its JSON-LD document).
    pub url: Option<String>,
}

/// The event's zone, Europe/Paris when the stored name is unknown.
pub fn zone_of(event: &Event) -> Tz {
    event
        .fields
        .time_zone
        .parse()
        .unwrap_or(chrono_tz::Europe::Paris)
}

/// One event as a `VEVENT`: the whole series for a recurring one.
pub fn vevent(event: &Event, context: &EventContext<'_>) -> String {
    let f = &event.fields;
    let p = &event.publication;
    let tz = zone_of(event);
    let utc = |at: DateTime<Utc>| at.format("%Y%m%dT%H%M%SZ").to_string();
    let local = |at: DateTime<Utc>| wall_clock(tz, at);
    let mut out = line("BEGIN", "VEVENT");
    out += &line("UID", &format!("{}@silo", event.id));
    out += &line("DTSTAMP", &utc(p.updated_at));
    out += &line("CREATED", &utc(p.created_at));
    out += &line("LAST-MODIFIED", &utc(p.updated_at));
    out += &line("SEQUENCE", &(p.version - 1).max(0).to_string());
    if f.all_day {
        let start = f.starts_at.with_timezone(&tz).date_naive();
        let end_local = f.ends_at.with_timezone(&tz);
        let mut end = end_local.date_naive();
        if end_local.time() != chrono::NaiveTime::MIN || end <= start {
            end = end.succ_opt().unwrap_or(end);
        }
        out += &line("DTSTART;VALUE=DATE", &start.format("%Y%m%d").to_string());
        out += &line("DTEND;VALUE=DATE", &end.format("%Y%m%d").to_string());
    } else {
        let zone = format!("TZID={}", tz.name());
        out += &line(&format!("DTSTART;{zone}"), &local(f.starts_at));
        out += &line(&format!("DTEND;{zone}"), &local(f.ends_at.max(f.starts_at)));
    }
    if let Some(recurrence) = &f.recurrence {
        out += &line("RRULE", &recurrence.rule);
        if !recurrence.exception_dates.is_empty() {
            let dates: Vec<String> = if f.all_day {
                let day = |at: DateTime<Utc>| at.with_timezone(&tz).format("%Y%m%d").to_string();
                recurrence.exception_dates.iter().map(|d| day(*d)).collect()
            } else {
                recurrence
                    .exception_dates
                    .iter()
                    .map(|d| local(*d))
                    .collect()
            };
            let params = if f.all_day {
                "EXDATE;VALUE=DATE".to_owned()
            } else {
                format!("EXDATE;TZID={}", tz.name())
            };
            out += &line(&params, &dates.join(","));
        }
    }
    out += &line("SUMMARY", &text(&f.title));
    out += &line("DESCRIPTION", &text(&description(event)));
    if let Some(place) = context.place {
        out += &line("LOCATION", &text(&address(place)));
        if let Some(geo) = place.geo() {
            out += &line("GEO", &format!("{:.6};{:.6}", geo.latitude, geo.longitude));
        }
    }
    if let Some(url) = &context.url {
        out += &line("URL;VALUE=URI", url);
    }
    if !context.categories.is_empty() {
        let names: Vec<String> = context.categories.iter().map(|c| text(c)).collect();
        out += &line("CATEGORIES", &names.join(","));
    }
    out += &line("STATUS", status(f.event_status));
    out += &line("CLASS", "PUBLIC");
    out += &line("TRANSP", "OPAQUE");
    if let (AttendanceMode::Online | AttendanceMode::Mixed, Some(online)) =
        (f.attendance_mode, &f.online_url)
    {
        out += &line("CONFERENCE;VALUE=URI", online);
    }
    if let Some(image) = &f.image_url {
        out += &line("IMAGE;VALUE=URI;DISPLAY=FULLSIZE", image);
    }
    out + &line("END", "VEVENT")
}

/// `STATUS` per the status mapping: a cancelled event stays in the feed, cancelled.
pub fn status(status: EventStatus) -> &'static str {
    match status {
        EventStatus::Cancelled => "CANCELLED",
        EventStatus::Postponed => "TENTATIVE",
        EventStatus::Scheduled
        | EventStatus::Rescheduled
        | EventStatus::MovedOnline
        | EventStatus::Full => "CONFIRMED",
    }
}

fn wall_clock(tz: Tz, at: DateTime<Utc>) -> String {
    at.with_timezone(&tz)
        .naive_local()
        .format("%Y%m%dT%H%M%S")
        .to_string()
}

/// The lead first, then the body, the conditions and the registration link.
fn description(event: &Event) -> String {
    let f = &event.fields;
    let mut out = String::new();
    if let Some(summary) = &f.summary {
        out.push_str(summary);
    }
    for part in [Some(f.body_markdown.as_str()), f.price.as_deref()]
        .into_iter()
        .flatten()
        .filter(|p| !p.trim().is_empty())
    {
        if !out.is_empty() {
            out.push_str("\n\n");
        }
        out.push_str(part);
    }
    if f.free {
        out.push_str(if out.is_empty() {
            "Gratuit"
        } else {
            "\n\nGratuit"
        });
    }
    if let Some(url) = &f.registration_url {
        let _ = write!(out, "\n\nInscription : {url}");
    }
    out
}

/// `Name, street, postal code city`.
pub fn address(place: &Place) -> String {
    let mut parts = vec![place.name.clone()];
    parts.extend(place.street_address.clone());
    let city = match &place.postal_code {
        Some(code) => format!("{code} {}", place.city),
        None => place.city.clone(),
    };
    parts.push(city);
    parts.join(", ")
}

#[cfg(test)]
mod tests;
