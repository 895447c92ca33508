//! The agenda as iCalendar (RFC 5545 with RFC 7986): content lines folded at 75 octets
//! without splitting a UTF-8 character, text escaped, a compact `VTIMEZONE` per zone used
//! (yearly rules, not a century of history), recurring events as `RRULE` + `EXDATE`, never
//! expanded. Hand-written: the `icalendar` crate folds by characters rather than octets
//! and writes no `VTIMEZONE`, the two things subscribers' calendars trip on.

use crate::event::{AttendanceMode, Event, EventStatus};
use crate::place::Place;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Offset, TimeZone, Timelike, Utc, Weekday};
use chrono_tz::{OffsetComponents, OffsetName, Tz};
use std::fmt::Write;

/// Octets of a content line before it is folded.
const LINE_OCTETS: usize = 75;

/// One content line `NAME;PARAMS:value`, folded, with its CRLF.
pub fn line(name_and_params: &str, value: &str) -> String {
    let mut out = String::new();
    fold_into(&mut out, &format!("{name_and_params}:{value}"));
    out
}

/// Appends `raw` as a content line folded at 75 octets, never inside a character.
fn fold_into(out: &mut String, raw: &str) {
    if raw.len() <= LINE_OCTETS {
        out.push_str(raw);
    } else {
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
    }
    out.push_str("\r\n");
}

/// A TEXT value: backslash, semicolon, comma and newlines escaped (RFC 5545 3.3.11).
pub fn text(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    escape_into(&mut out, value);
    out
}

fn escape_into(out: &mut String, value: &str) {
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
}

/// Writes content lines at the end of a buffer. An export writes a whole page of events
/// into one buffer through one scratch line, rather than allocating a string per line.
pub struct Lines<'a> {
    out: &'a mut String,
    scratch: String,
}

impl<'a> Lines<'a> {
    pub fn new(out: &'a mut String) -> Self {
        Self {
            out,
            scratch: String::with_capacity(256),
        }
    }

    /// A line whose value is written as is.
    pub fn put(&mut self, name: &str, value: &str) {
        self.put_with(name, |line| line.push_str(value));
    }

    /// A TEXT line, its value escaped.
    pub fn put_text(&mut self, name: &str, value: &str) {
        self.put_with(name, |line| escape_into(line, value));
    }

    /// A line whose value `write` appends to the line begun with `name:`.
    pub fn put_with(&mut self, name: &str, write: impl FnOnce(&mut String)) {
        self.scratch.clear();
        self.scratch.push_str(name);
        self.scratch.push(':');
        write(&mut self.scratch);
        fold_into(self.out, &self.scratch);
    }
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
    let mut out = String::new();
    write_vevent(&mut Lines::new(&mut out), event, context);
    out
}

/// Appends the event's `VEVENT`.
pub fn write_vevent(lines: &mut Lines<'_>, event: &Event, context: &EventContext<'_>) {
    let f = &event.fields;
    let p = &event.publication;
    let tz = zone_of(event);
    lines.put("BEGIN", "VEVENT");
    lines.put_with("UID", |l| {
        let _ = write!(l, "{}@silo", event.id);
    });
    lines.put_with("DTSTAMP", |l| utc_stamp(l, p.updated_at));
    lines.put_with("CREATED", |l| utc_stamp(l, p.created_at));
    lines.put_with("LAST-MODIFIED", |l| utc_stamp(l, p.updated_at));
    lines.put_with("SEQUENCE", |l| {
        let _ = write!(l, "{}", (p.version - 1).max(0));
    });
    let mut params = String::new();
    if f.all_day {
        let start = f.starts_at.with_timezone(&tz).date_naive();
        let end_local = f.ends_at.with_timezone(&tz);
        let mut end = end_local.date_naive();
        if end_local.time() != chrono::NaiveTime::MIN || end <= start {
            end = end.succ_opt().unwrap_or(end);
        }
        lines.put_with("DTSTART;VALUE=DATE", |l| date_stamp(l, start));
        lines.put_with("DTEND;VALUE=DATE", |l| date_stamp(l, end));
    } else {
        let _ = write!(params, "DTSTART;TZID={}", tz.name());
        lines.put_with(&params, |l| local_stamp(l, tz, f.starts_at));
        params.clear();
        let _ = write!(params, "DTEND;TZID={}", tz.name());
        lines.put_with(&params, |l| local_stamp(l, tz, f.ends_at.max(f.starts_at)));
    }
    if let Some(recurrence) = &f.recurrence {
        lines.put("RRULE", &recurrence.rule);
        if !recurrence.exception_dates.is_empty() {
            params.clear();
            if f.all_day {
                params.push_str("EXDATE;VALUE=DATE");
            } else {
                let _ = write!(params, "EXDATE;TZID={}", tz.name());
            }
            lines.put_with(&params, |l| {
                for (i, at) in recurrence.exception_dates.iter().enumerate() {
                    if i > 0 {
                        l.push(',');
                    }
                    if f.all_day {
                        date_stamp(l, at.with_timezone(&tz).date_naive());
                    } else {
                        local_stamp(l, tz, *at);
                    }
                }
            });
        }
    }
    lines.put_text("SUMMARY", &f.title);
    lines.put_with("DESCRIPTION", |l| describe_into(l, event));
    if let Some(place) = context.place {
        lines.put_text("LOCATION", &address(place));
        if let Some(geo) = place.geo() {
            lines.put_with("GEO", |l| {
                let _ = write!(l, "{:.6};{:.6}", geo.latitude, geo.longitude);
            });
        }
    }
    if let Some(url) = &context.url {
        lines.put("URL;VALUE=URI", url);
    }
    if !context.categories.is_empty() {
        lines.put_with("CATEGORIES", |l| {
            for (i, name) in context.categories.iter().enumerate() {
                if i > 0 {
                    l.push(',');
                }
                escape_into(l, name);
            }
        });
    }
    lines.put("STATUS", status(f.event_status));
    lines.put("CLASS", "PUBLIC");
    lines.put("TRANSP", "OPAQUE");
    if let (AttendanceMode::Online | AttendanceMode::Mixed, Some(online)) =
        (f.attendance_mode, &f.online_url)
    {
        lines.put("CONFERENCE;VALUE=URI", online);
    }
    if let Some(image) = &f.image_url {
        lines.put("IMAGE;VALUE=URI;DISPLAY=FULLSIZE", image);
    }
    lines.put("END", "VEVENT");
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

/// `20261123T180000Z`, written without a format string to parse (an export writes
/// hundreds of thousands).
fn utc_stamp(out: &mut String, at: DateTime<Utc>) {
    stamp(out, at.naive_utc());
    out.push('Z');
}

/// The wall-clock time in `tz`, `20261123T190000`.
fn local_stamp(out: &mut String, tz: Tz, at: DateTime<Utc>) {
    stamp(out, at.with_timezone(&tz).naive_local());
}

fn stamp(out: &mut String, at: chrono::NaiveDateTime) {
    date_stamp(out, at.date());
    let _ = write!(out, "T{:02}{:02}{:02}", at.hour(), at.minute(), at.second());
}

/// `20261123`.
fn date_stamp(out: &mut String, day: NaiveDate) {
    let _ = write!(out, "{:04}{:02}{:02}", day.year(), day.month(), day.day());
}

/// The lead first, then the body, the conditions and the registration link, escaped.
fn describe_into(out: &mut String, event: &Event) {
    let f = &event.fields;
    let start = out.len();
    if let Some(summary) = &f.summary {
        escape_into(out, summary);
    }
    for part in [Some(f.body_markdown.as_str()), f.price.as_deref()]
        .into_iter()
        .flatten()
        .filter(|p| !p.trim().is_empty())
    {
        if out.len() > start {
            out.push_str("\\n\\n");
        }
        escape_into(out, part);
    }
    if f.free {
        out.push_str(if out.len() == start {
            "Gratuit"
        } else {
            "\\n\\nGratuit"
        });
    }
    if let Some(url) = &f.registration_url {
        out.push_str("\\n\\nInscription : ");
        escape_into(out, url);
    }
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
