//! Opening hours in OpenStreetMap `opening_hours` syntax, French public holidays included.
//!
//! The `opening-hours` crate evaluates in naive wall-clock time with the national holidays
//! of France (its embedded nager.date calendar, 2000–2076) behind `PH`. Silo converts each
//! UTC instant to wall-clock time in the place's zone itself, so that daylight-saving gaps
//! and repeated hours are resolved here, never by the crate's panicking fallback.

use crate::error::Invalid;
use chrono::{DateTime, LocalResult, NaiveDateTime, Offset, TimeDelta, TimeZone, Timelike, Utc};
use opening_hours::localization::Country;
use opening_hours::{Context, RuleKind};

/// How far ahead [`OpeningHours::next_change`] looks.
const HORIZON: TimeDelta = TimeDelta::days(366);

/// Longer values are not opening hours (OpenStreetMap itself caps tags at 255).
const MAX_LEN: usize = 1000;

/// A parsed `opening_hours` value, evaluated with French public holidays for `PH`.
#[derive(Clone)]
pub struct OpeningHours {
    raw: String,
    /// The parsed expression with its French holiday calendar attached.
    expression: opening_hours::OpeningHours,
}

impl OpeningHours {
    /// Parses an `opening_hours` value such as `Mo-Fr 08:30-12:00; PH off`; the reason of a
    /// refusal is the parser's own message.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(Invalid::new("must not be empty"));
        }
        if raw.len() > MAX_LEN {
            return Err(Invalid::new(format!(
                "must be at most {MAX_LEN} characters"
            )));
        }
        let expression: opening_hours::OpeningHours = raw.parse().map_err(syntax_error)?;
        Ok(Self {
            raw: raw.to_owned(),
            expression: expression.with_context(french_context()),
        })
    }

    /// The value as written (trimmed).
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// Whether the service is open at `at`, wall-clock time taken in `tz`. `unknown` and
    /// closed both count as not open.
    pub fn is_open(&self, at: DateTime<Utc>, tz: chrono_tz::Tz) -> bool {
        wall_clock(at, tz).is_some_and(|local| self.expression.is_open(local))
    }

    /// The next instant after `at` when the state changes (opens or closes), if any
    /// within a year.
    ///
    /// A change of comment alone is not a change. A change that falls in a daylight-saving
    /// gap happens when the gap ends; one in a repeated hour at its first instant after `at`.
    pub fn next_change(&self, at: DateTime<Utc>, tz: chrono_tz::Tz) -> Option<DateTime<Utc>> {
        let from = wall_clock(at, tz)?;
        let mut ranges = self
            .expression
            .iter_range(from, from.checked_add_signed(HORIZON)?);
        let open_now = is_open_kind(ranges.next()?.kind);
        let change = ranges.find(|r| is_open_kind(r.kind) != open_now)?;
        instants_at(tz, change.range.start).find(|instant| *instant > at)
    }
}

impl std::fmt::Debug for OpeningHours {
    /// Only the text: the attached holiday calendar would print hundreds of dates.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("OpeningHours").field(&self.raw).finish()
    }
}

/// The parser's message on one line: its position (`line:column`) and what it expected,
/// without the drawing of the input that pest adds.
fn syntax_error(error: impl std::fmt::Display) -> Invalid {
    let message = error.to_string();
    let part = |prefix: &str| message.lines().find_map(|l| l.trim().strip_prefix(prefix));
    let detail = match (part("--> "), part("= ")) {
        (Some(position), Some(expected)) => format!("at {position}, {expected}"),
        _ => message.split_whitespace().collect::<Vec<_>>().join(" "),
    };
    Invalid::new(format!("is not valid opening_hours syntax: {detail}"))
}

/// The evaluation context: the French national public holidays, no location. The embedded
/// calendar has no French school holidays (`SH` never matches) and no dates after 2076, and
/// without coordinates sunrise and sunset are the crate's fixed 07:00 and 19:00.
fn french_context() -> Context {
    Context::default().with_holidays(Country::FR.holidays())
}

fn is_open_kind(kind: RuleKind) -> bool {
    kind == RuleKind::Open
}

/// `at` as wall-clock time in `tz`; `None` only at the very ends of chrono's range.
fn wall_clock(at: DateTime<Utc>, tz: chrono_tz::Tz) -> Option<NaiveDateTime> {
    let offset = tz.offset_from_utc_datetime(&at.naive_utc()).fix();
    at.naive_utc()
        .checked_add_signed(TimeDelta::seconds(offset.local_minus_utc().into()))
}

/// The instants showing `wall_clock` in `tz`, earliest first: one, two in a repeated hour,
/// or, in a daylight-saving gap, the first instant after it.
pub(crate) fn instants_at(
    tz: chrono_tz::Tz,
    wall_clock: NaiveDateTime,
) -> impl Iterator<Item = DateTime<Utc>> {
    let (earliest, latest) = match tz.from_local_datetime(&wall_clock) {
        LocalResult::Single(t) => (Some(t), None),
        LocalResult::Ambiguous(earliest, latest) => (Some(earliest), Some(latest)),
        LocalResult::None => (end_of_gap(tz, wall_clock), None),
    };
    earliest
        .into_iter()
        .chain(latest)
        .map(|t| t.with_timezone(&Utc))
}

/// The first valid wall-clock minute after `wall_clock`, which lies in a gap. Gaps are
/// shorter than two days (Samoa skipped one in 2011) and end on whole minutes.
fn end_of_gap(tz: chrono_tz::Tz, wall_clock: NaiveDateTime) -> Option<DateTime<chrono_tz::Tz>> {
    let minute = wall_clock.with_second(0)?.with_nanosecond(0)?;
    (1..=2 * 24 * 60)
        .filter_map(|minutes| minute.checked_add_signed(TimeDelta::minutes(minutes)))
        .find_map(|later| tz.from_local_datetime(&later).earliest())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Europe::Paris;
    use proptest::prelude::*;

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
    }

    fn paris(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Paris
            .with_ymd_and_hms(y, m, d, h, min, 0)
            .single()
            .expect("an unambiguous Paris time")
            .with_timezone(&Utc)
    }

    fn hours(raw: &str) -> OpeningHours {
        OpeningHours::parse(raw).expect("valid opening hours")
    }

    const TOWN_HALL: &str = "Mo-Fr 08:30-12:00,13:30-17:00; Sa 09:00-12:00; PH off";
    const LIBRARY: &str = "Tu,Th 13:00-18:00; We,Sa 10:00-18:00; PH off";

    #[test]
    fn town_hall_is_open_on_a_normal_tuesday_morning_only() {
        let town_hall = hours(TOWN_HALL);
        // Tuesday 2026-06-16.
        assert!(town_hall.is_open(paris(2026, 6, 16, 10, 0), Paris));
        assert!(!town_hall.is_open(paris(2026, 6, 16, 12, 30), Paris));
        assert!(town_hall.is_open(paris(2026, 6, 16, 13, 30), Paris));
        assert!(!town_hall.is_open(paris(2026, 6, 16, 17, 0), Paris));
        // Saturday and Sunday.
        assert!(town_hall.is_open(paris(2026, 6, 20, 11, 0), Paris));
        assert!(!town_hall.is_open(paris(2026, 6, 21, 11, 0), Paris));
    }

    #[test]
    fn town_hall_is_closed_on_french_public_holidays() {
        let town_hall = hours(TOWN_HALL);
        for (holiday, what) in [
            (paris(2026, 7, 14, 10, 0), "Bastille Day, a Tuesday"),
            (paris(2026, 5, 1, 10, 0), "Labour Day, a Friday"),
            (paris(2026, 4, 6, 10, 0), "Easter Monday"),
            (paris(2026, 5, 14, 10, 0), "Ascension Thursday"),
            (paris(2026, 11, 11, 10, 0), "Armistice Day, a Wednesday"),
            (paris(2026, 12, 25, 10, 0), "Christmas, a Friday"),
            (paris(2027, 1, 1, 10, 0), "New Year's Day, a Friday"),
        ] {
            assert!(!town_hall.is_open(holiday, Paris), "{what}");
        }
        // The days around a holiday are ordinary.
        assert!(town_hall.is_open(paris(2026, 7, 15, 10, 0), Paris));
        assert!(town_hall.is_open(paris(2026, 4, 7, 10, 0), Paris));
    }

    #[test]
    fn the_evaluation_uses_the_wall_clock_of_the_given_zone() {
        let town_hall = hours(TOWN_HALL);
        // 08:00 UTC is 10:00 in Paris in June, but 04:00 in New York.
        assert!(town_hall.is_open(utc(2026, 6, 16, 8, 0), Paris));
        assert!(!town_hall.is_open(utc(2026, 6, 16, 8, 0), chrono_tz::America::New_York));
    }

    #[test]
    fn next_change_from_a_tuesday_morning_is_noon_local() {
        let town_hall = hours(TOWN_HALL);
        let next = town_hall.next_change(paris(2026, 6, 16, 10, 0), Paris);
        assert_eq!(next, Some(utc(2026, 6, 16, 10, 0)), "12:00 CEST");
        // In winter noon in Paris is 11:00 UTC.
        let next = town_hall.next_change(paris(2026, 1, 13, 10, 0), Paris);
        assert_eq!(next, Some(utc(2026, 1, 13, 11, 0)));
    }

    #[test]
    fn next_change_skips_holidays_and_week_ends() {
        let town_hall = hours(TOWN_HALL);
        // Monday 13 July 17:00 closes; Tuesday 14 is Bastille Day; reopens Wednesday 08:30.
        let closing = town_hall.next_change(paris(2026, 7, 13, 16, 0), Paris);
        assert_eq!(closing, Some(paris(2026, 7, 13, 17, 0)));
        let reopening = town_hall.next_change(paris(2026, 7, 13, 17, 0), Paris);
        assert_eq!(reopening, Some(paris(2026, 7, 15, 8, 30)));
        // Saturday noon closes until Monday.
        let monday = town_hall.next_change(paris(2026, 6, 20, 12, 0), Paris);
        assert_eq!(monday, Some(paris(2026, 6, 22, 8, 30)));
    }

    #[test]
    fn next_change_is_strictly_after_the_given_instant() {
        let town_hall = hours(TOWN_HALL);
        let at_opening = paris(2026, 6, 16, 8, 30);
        assert!(town_hall.is_open(at_opening, Paris));
        assert_eq!(
            town_hall.next_change(at_opening, Paris),
            Some(paris(2026, 6, 16, 12, 0))
        );
    }

    #[test]
    fn always_open_never_changes() {
        let always = hours("24/7");
        assert!(always.is_open(paris(2026, 7, 14, 3, 0), Paris));
        assert!(always.is_open(paris(2026, 12, 25, 23, 59), Paris));
        assert_eq!(always.next_change(paris(2026, 6, 16, 10, 0), Paris), None);
    }

    #[test]
    fn closed_on_christmas_day_only() {
        let park = hours("Mo-Su 10:00-19:00; Dec 25 off");
        assert!(park.is_open(paris(2026, 12, 24, 18, 0), Paris));
        assert!(!park.is_open(paris(2026, 12, 25, 12, 0), Paris));
        assert!(park.is_open(paris(2026, 12, 26, 10, 0), Paris));
        assert!(!park.is_open(paris(2026, 12, 26, 9, 59), Paris));
        // 14 July is not mentioned, so the park opens.
        assert!(park.is_open(paris(2026, 7, 14, 12, 0), Paris));
        let reopening = park.next_change(paris(2026, 12, 24, 19, 0), Paris);
        assert_eq!(reopening, Some(paris(2026, 12, 26, 10, 0)));
    }

    #[test]
    fn library_opens_afternoons_and_some_full_days() {
        let library = hours(LIBRARY);
        // Monday 15 June 2026 to Sunday 21 June 2026 at 11:00 and 15:00.
        let week: Vec<(bool, bool)> = (15..=21)
            .map(|day| {
                (
                    library.is_open(paris(2026, 6, day, 11, 0), Paris),
                    library.is_open(paris(2026, 6, day, 15, 0), Paris),
                )
            })
            .collect();
        let expected = vec![
            (false, false),
            (false, true),
            (true, true),
            (false, true),
            (false, false),
            (true, true),
            (false, false),
        ];
        assert_eq!(week, expected);
        // Thursday 14 May 2026 is Ascension Day.
        assert!(!library.is_open(paris(2026, 5, 14, 15, 0), Paris));
        assert_eq!(
            library.next_change(paris(2026, 6, 15, 9, 0), Paris),
            Some(paris(2026, 6, 16, 13, 0))
        );
    }

    #[test]
    fn never_open_has_no_change_within_a_year() {
        let closed = hours("off");
        assert!(!closed.is_open(paris(2026, 6, 16, 10, 0), Paris));
        assert_eq!(closed.next_change(paris(2026, 6, 16, 10, 0), Paris), None);
        let yearly = hours("Jan 01 10:00-11:00");
        assert_eq!(
            yearly.next_change(paris(2026, 1, 1, 12, 0), Paris),
            Some(paris(2027, 1, 1, 10, 0)),
            "within 366 days"
        );
        let later = hours("2028 Jan 01 10:00-11:00");
        assert_eq!(later.next_change(paris(2026, 6, 1, 12, 0), Paris), None);
    }

    #[test]
    fn a_change_in_the_spring_gap_happens_when_the_gap_ends() {
        // 02:00–03:00 does not exist in Paris on Sunday 29 March 2026.
        let night = hours("Su 02:30-05:00");
        let next = night.next_change(paris(2026, 3, 29, 1, 0), Paris);
        assert_eq!(next, Some(utc(2026, 3, 29, 1, 0)), "03:00 CEST");
    }

    #[test]
    fn a_change_in_the_repeated_autumn_hour_is_the_next_one() {
        // 02:00–03:00 happens twice in Paris on Sunday 25 October 2026.
        let night = hours("Su 02:30-05:00");
        let first_pass = utc(2026, 10, 25, 0, 0); // 02:00 CEST
        assert_eq!(
            night.next_change(first_pass, Paris),
            Some(utc(2026, 10, 25, 0, 30))
        );
        let second_pass = utc(2026, 10, 25, 1, 0); // 02:00 CET
        assert_eq!(
            night.next_change(second_pass, Paris),
            Some(utc(2026, 10, 25, 1, 30))
        );
    }

    #[test]
    fn value_is_kept_trimmed() {
        assert_eq!(
            hours("  Mo-Fr 09:00-17:00 \n").as_str(),
            "Mo-Fr 09:00-17:00"
        );
        assert_eq!(format!("{:?}", hours("24/7")), "OpeningHours(\"24/7\")");
    }

    #[test]
    fn invalid_values_are_refused_with_the_parser_message() {
        for raw in [
            "",
            "   ",
            "open sometimes",
            "Mo-Fr 25:00-26:00",
            "Mo-Fr 09:00-",
            "Xx 10:00-12:00",
        ] {
            let refused = OpeningHours::parse(raw).expect_err(raw);
            assert!(!refused.0.is_empty(), "{raw}");
        }
        let refused = OpeningHours::parse("open sometimes").unwrap_err();
        assert_eq!(
            refused.0,
            "is not valid opening_hours syntax: at 1:6, expected comment"
        );
        let refused = OpeningHours::parse("Mo-Fr 09:00-").unwrap_err();
        assert_eq!(
            refused.0,
            "is not valid opening_hours syntax: at 1:13, expected extended_time"
        );
        let long = "Mo 10:00-11:00; ".repeat(100);
        assert_eq!(
            OpeningHours::parse(&long).unwrap_err().0,
            "must be at most 1000 characters"
        );
    }

    #[test]
    fn extreme_instants_do_not_panic() {
        let town_hall = hours(TOWN_HALL);
        for at in [
            DateTime::<Utc>::MIN_UTC,
            DateTime::<Utc>::MAX_UTC,
            utc(9999, 12, 31, 23, 0),
        ] {
            let _ = town_hall.is_open(at, Paris);
            let _ = town_hall.next_change(at, Paris);
        }
    }

    #[test]
    fn instants_at_handles_gaps_and_repeats() {
        let wall = |d: u32, m: u32, h: u32, min: u32| {
            chrono::NaiveDate::from_ymd_opt(2026, m, d)
                .unwrap()
                .and_hms_opt(h, min, 0)
                .unwrap()
        };
        let single: Vec<_> = instants_at(Paris, wall(16, 6, 10, 0)).collect();
        assert_eq!(single, vec![utc(2026, 6, 16, 8, 0)]);
        let gap: Vec<_> = instants_at(Paris, wall(29, 3, 2, 30)).collect();
        assert_eq!(gap, vec![utc(2026, 3, 29, 1, 0)]);
        let repeated: Vec<_> = instants_at(Paris, wall(25, 10, 2, 30)).collect();
        assert_eq!(
            repeated,
            vec![utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 1, 30)]
        );
    }

    /// Pieces of real-world values, to reach the evaluator and not only the parser.
    fn plausible_value() -> impl Strategy<Value = String> {
        let piece = proptest::sample::select(vec![
            "Mo-Fr",
            "Sa",
            "Su",
            "PH",
            "SH",
            "Dec 25",
            "Jan-Mar",
            "week 1-53/2",
            "2026",
            "08:30-12:00",
            "13:30-17:00",
            "22:00-02:00",
            "10:00+",
            "sunrise-sunset",
            "24/7",
            "off",
            "open",
            "unknown",
            "\"sur rendez-vous\"",
            ",",
            ";",
            "||",
            " ",
        ]);
        proptest::collection::vec(piece, 1..8).prop_map(|pieces| pieces.join(" "))
    }

    proptest! {
        #[test]
        fn parse_never_panics(raw in "\\PC{0,80}") {
            let _ = OpeningHours::parse(&raw);
        }

        #[test]
        fn evaluation_never_panics_and_changes_come_later(
            raw in plausible_value(),
            seconds in 946_684_800i64..4_102_444_800,
        ) {
            if let Ok(hours) = OpeningHours::parse(&raw) {
                let at = DateTime::<Utc>::from_timestamp(seconds, 0).unwrap();
                let open = hours.is_open(at, Paris);
                if let Some(change) = hours.next_change(at, Paris) {
                    prop_assert!(change > at);
                    prop_assert!(change <= at + HORIZON + TimeDelta::hours(2));
                    prop_assert_ne!(hours.is_open(change, Paris), open, "{} at {}", raw, change);
                }
            }
        }
    }
}
