//! Recurring events: an RRULE (RFC 5545) with exception dates, expanded in the event's
//! own time zone so that a 10:00 market stays at 10:00 across daylight-saving changes.
//!
//! The rule is stored without `DTSTART`: the event's first start (a UTC instant) and its
//! IANA zone give the local wall-clock `DTSTART` each time the rule is expanded, so the
//! stored text never disagrees with the event's own start.

use crate::error::Invalid;
use crate::opening_hours::instants_at;
use chrono::{DateTime, Datelike, TimeZone, Timelike, Utc};
use rrule::{Frequency, NWeekday, RRule, RRuleError, RRuleSet, Unvalidated};
use serde::{Deserialize, Serialize};
use std::ops::RangeInclusive;

/// More cancellations than this is a different event, and the list is kept in memory.
const MAX_EXCEPTION_DATES: usize = 500;

/// Years a recurrence may start in. The `rrule` crate only iterates within ±10 000 and
/// assumes a sane start; a city event before 1900 is a typing mistake.
const START_YEARS: RangeInclusive<i32> = 1900..=9999;

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
    ///
    /// `rule` may carry an `RRULE:` prefix but no `DTSTART`. A floating `UNTIL` (no `Z`) is
    /// read as wall-clock time in `tz`, and a date-only `UNTIL` includes that whole day; both
    /// are stored in UTC. Exception dates are sorted and deduplicated.
    pub fn parse(
        rule: &str,
        mut exception_dates: Vec<DateTime<Utc>>,
        first_start: DateTime<Utc>,
        tz: chrono_tz::Tz,
    ) -> Result<Self, Invalid> {
        exception_dates.sort_unstable();
        exception_dates.dedup();
        if exception_dates.len() > MAX_EXCEPTION_DATES {
            return Err(Invalid::new(format!(
                "must have at most {MAX_EXCEPTION_DATES} exception dates"
            )));
        }
        let dt_start = local_start(first_start, tz)?;
        let parsed = parse_rule(rule, tz)?;
        let normalized = rule_text(&parsed);
        let validated = parsed.validate(dt_start).map_err(rrule_reason)?;
        if RRuleSet::new(dt_start)
            .rrule(validated)
            .all(1)
            .dates
            .is_empty()
        {
            return Err(Invalid::new("never happens from the first start on"));
        }
        Ok(Self {
            rule: normalized,
            exception_dates,
        })
    }

    /// Starts of the occurrences in `[from, until]`, at most `limit`, in order, exception
    /// dates removed.
    ///
    /// `first_start` and `tz` must be those the rule was parsed with; if they no longer make
    /// a valid rule the answer is empty. `limit` is capped at 65 535.
    pub fn starts_between(
        &self,
        first_start: DateTime<Utc>,
        tz: chrono_tz::Tz,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: usize,
    ) -> Vec<DateTime<Utc>> {
        if from > until || limit == 0 {
            return Vec::new();
        }
        let Some(set) = self.rule_set(first_start, tz, from) else {
            return Vec::new();
        };
        let limit = u16::try_from(limit).unwrap_or(u16::MAX);
        set.after(from.with_timezone(&rrule::Tz::UTC))
            .before(until.with_timezone(&rrule::Tz::UTC))
            .all(limit)
            .dates
            .into_iter()
            .map(|start| start.with_timezone(&Utc))
            .collect()
    }

    /// The rule set to expand from `from` on, exceptions excluded; `None` when the rule no
    /// longer fits `first_start` or has nothing left after `from`.
    fn rule_set(
        &self,
        first_start: DateTime<Utc>,
        tz: chrono_tz::Tz,
        from: DateTime<Utc>,
    ) -> Option<RRuleSet> {
        let rule = parse_rule(&self.rule, tz).ok()?;
        let dt_start = fast_forward(local_start(first_start, tz).ok()?, &rule, from);
        let rule = rule.validate(dt_start).ok()?;
        let exdates = self
            .exception_dates
            .iter()
            .map(|start| start.with_timezone(&rrule::Tz::UTC))
            .collect();
        Some(RRuleSet::new(dt_start).rrule(rule).set_exdates(exdates))
    }
}

/// Moves the start of a DAILY or WEEKLY rule without COUNT forward by whole periods, to a
/// local day at least two days before `from`: the crate walks every period from `DTSTART`,
/// and such a rule has the same occurrences from the moved start on (its filters are
/// absolute, and whole days or weeks keep the weekday and the wall-clock time). COUNT needs
/// the walk from the real start; monthly and yearly walks are short anyway.
fn fast_forward(
    dt_start: DateTime<rrule::Tz>,
    rule: &RRule<Unvalidated>,
    from: DateTime<Utc>,
) -> DateTime<rrule::Tz> {
    let period_days = match rule.get_freq() {
        Frequency::Daily => 1,
        Frequency::Weekly => 7,
        _ => return dt_start,
    } * i64::from(rule.get_interval());
    if rule.get_count().is_some() {
        return dt_start;
    }
    let local = dt_start.naive_local();
    // Two days absorb any zone offset (at most 14 hours) plus the time of day.
    let days_ahead = (from.date_naive() - local.date()).num_days() - 2;
    let periods = days_ahead.div_euclid(period_days);
    // The moved wall-clock time may fall in a DST gap: one period earlier is then fine.
    (periods - 1..=periods)
        .rev()
        .filter(|&n| n > 0)
        .filter_map(|n| local.checked_add_signed(chrono::TimeDelta::days(n * period_days)))
        .find_map(|moved| dt_start.timezone().from_local_datetime(&moved).earliest())
        .unwrap_or(dt_start)
}

/// `first_start` as local time in `tz`: expanding in local time keeps the wall clock.
/// Occurrences fall on whole seconds, so a fraction would exclude the first one.
fn local_start(
    first_start: DateTime<Utc>,
    tz: chrono_tz::Tz,
) -> Result<DateTime<rrule::Tz>, Invalid> {
    let start = first_start
        .with_nanosecond(0)
        .unwrap_or(first_start)
        .with_timezone(&rrule::Tz::Tz(tz));
    if START_YEARS.contains(&start.year()) {
        Ok(start)
    } else {
        Err(Invalid::new(format!(
            "the first start must be between the years {} and {}",
            START_YEARS.start(),
            START_YEARS.end()
        )))
    }
}

/// Parses the RRULE value and applies Silo's own restrictions on top of the crate's.
fn parse_rule(raw: &str, tz: chrono_tz::Tz) -> Result<RRule<Unvalidated>, Invalid> {
    let upper = raw.trim().to_ascii_uppercase();
    if upper.contains("DTSTART") {
        return Err(Invalid::new(
            "must not contain DTSTART: the event's first start is used",
        ));
    }
    let value = upper.strip_prefix("RRULE:").unwrap_or(&upper);
    if value.contains([':', '\n', '\r']) {
        return Err(Invalid::new(
            "must be a single RRULE value such as FREQ=WEEKLY;BYDAY=SA",
        ));
    }
    let rule: RRule<Unvalidated> = value.parse().map_err(rrule_reason)?;
    if rule.get_freq() > Frequency::Daily {
        return Err(Invalid::new("must not repeat more often than daily"));
    }
    if rule.get_interval() == 0 {
        return Err(Invalid::new("INTERVAL must be at least 1"));
    }
    if rule.get_count() == Some(0) {
        return Err(Invalid::new("COUNT must be at least 1"));
    }
    anchor_floating_until(rule, value, tz)
}

/// RFC 5545 wants `UNTIL` in UTC when `DTSTART` has a zone; the crate would read a floating
/// one in the server's zone. Read it in the event's zone instead, a date-only one inclusive.
fn anchor_floating_until(
    rule: RRule<Unvalidated>,
    value: &str,
    tz: chrono_tz::Tz,
) -> Result<RRule<Unvalidated>, Invalid> {
    let Some(until) = rule.get_until().filter(|u| u.timezone().is_local()) else {
        return Ok(rule);
    };
    let mut wall_clock = until.naive_local();
    if until_is_date_only(value) {
        wall_clock = wall_clock
            .date()
            .and_hms_opt(23, 59, 59)
            .unwrap_or(wall_clock);
    }
    let utc = instants_at(tz, wall_clock)
        .next()
        .ok_or_else(|| Invalid::new("UNTIL is not a valid time in the event's time zone"))?;
    Ok(rule.until(utc.with_timezone(&rrule::Tz::UTC)))
}

/// Whether the `UNTIL` part of an RRULE value is a plain date (`UNTIL=20271231`).
fn until_is_date_only(value: &str) -> bool {
    value
        .split(';')
        .filter_map(|part| part.split_once('='))
        .any(|(key, v)| key.trim() == "UNTIL" && !v.contains('T'))
}

/// The rule as the crate prints it, except BYDAY: the crate drops the 1 of `1SA`, which
/// would turn "the first Saturday" into "every Saturday" once stored.
fn rule_text(rule: &RRule<Unvalidated>) -> String {
    rule.to_string()
        .split(';')
        .map(|part| {
            if part.starts_with("BYDAY=") {
                let days: Vec<String> = rule.get_by_weekday().iter().map(weekday_text).collect();
                format!("BYDAY={}", days.join(","))
            } else {
                part.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(";")
}

/// `SA`, `1SA` or `-1SA`.
fn weekday_text(day: &NWeekday) -> String {
    match *day {
        NWeekday::Every(_) => day.to_string(),
        NWeekday::Nth(n, weekday) => format!("{n}{}", NWeekday::Every(weekday)),
    }
}

/// The crate's message without its "RRule parsing error" prefix.
fn rrule_reason(error: RRuleError) -> Invalid {
    let detail = match error {
        RRuleError::ParserError(e) => e.to_string(),
        RRuleError::ValidationError(e) => e.to_string(),
        RRuleError::IterError(e) => e,
    };
    Invalid::new(format!("is not a valid recurrence rule: {detail}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Timelike};
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

    fn recurrence(rule: &str, first_start: DateTime<Utc>) -> Recurrence {
        Recurrence::parse(rule, vec![], first_start, Paris).expect("a valid rule")
    }

    /// Why `rule`, starting on 2026-01-05 10:00 in Paris, is refused.
    fn refusal(rule: &str) -> String {
        Recurrence::parse(rule, vec![], paris(2026, 1, 5, 10, 0), Paris)
            .expect_err("a refused rule")
            .0
    }

    /// A Saturday 08:00 market, first held on 2026-03-07.
    const MARKET: &str = "FREQ=WEEKLY;BYDAY=SA";
    fn market_start() -> DateTime<Utc> {
        paris(2026, 3, 7, 8, 0)
    }

    #[test]
    fn weekly_market_stays_at_8_local_when_summer_time_starts() {
        let market = recurrence(MARKET, market_start());
        let starts = market.starts_between(
            market_start(),
            Paris,
            utc(2026, 3, 14, 0, 0),
            utc(2026, 4, 12, 0, 0),
            10,
        );
        // CET is UTC+1 until Sunday 2026-03-29, CEST (UTC+2) afterwards.
        let expected = vec![
            utc(2026, 3, 14, 7, 0),
            utc(2026, 3, 21, 7, 0),
            utc(2026, 3, 28, 7, 0),
            utc(2026, 4, 4, 6, 0),
            utc(2026, 4, 11, 6, 0),
        ];
        assert_eq!(starts, expected);
    }

    #[test]
    fn weekly_market_stays_at_8_local_when_summer_time_ends() {
        let market = recurrence(MARKET, market_start());
        let starts = market.starts_between(
            market_start(),
            Paris,
            utc(2026, 10, 10, 0, 0),
            utc(2026, 11, 8, 0, 0),
            10,
        );
        // CEST until Sunday 2026-10-25, CET afterwards.
        let expected = vec![
            utc(2026, 10, 10, 6, 0),
            utc(2026, 10, 17, 6, 0),
            utc(2026, 10, 24, 6, 0),
            utc(2026, 10, 31, 7, 0),
            utc(2026, 11, 7, 7, 0),
        ];
        assert_eq!(starts, expected);
    }

    #[test]
    fn monthly_council_meets_on_second_tuesdays_until_the_end_of_2027() {
        let rule = "FREQ=MONTHLY;BYDAY=2TU;UNTIL=20271231T230000Z";
        let first = paris(2026, 1, 13, 18, 30);
        let council = recurrence(rule, first);
        let starts = council.starts_between(first, Paris, first, utc(2030, 1, 1, 0, 0), 100);

        let days: Vec<String> = starts
            .iter()
            .map(|s| s.with_timezone(&Paris).format("%F %R").to_string())
            .collect();
        let expected: Vec<String> = [
            "2026-01-13",
            "2026-02-10",
            "2026-03-10",
            "2026-04-14",
            "2026-05-12",
            "2026-06-09",
            "2026-07-14",
            "2026-08-11",
            "2026-09-08",
            "2026-10-13",
            "2026-11-10",
            "2026-12-08",
            "2027-01-12",
            "2027-02-09",
            "2027-03-09",
            "2027-04-13",
            "2027-05-11",
            "2027-06-08",
            "2027-07-13",
            "2027-08-10",
            "2027-09-14",
            "2027-10-12",
            "2027-11-09",
            "2027-12-14",
        ]
        .iter()
        .map(|day| format!("{day} 18:30"))
        .collect();
        assert_eq!(days, expected);
    }

    #[test]
    fn until_is_honoured_inclusively() {
        let first = paris(2026, 1, 5, 10, 0);
        let daily = recurrence("FREQ=DAILY;UNTIL=20260108T090000Z", first);
        let starts = daily.starts_between(first, Paris, first, utc(2027, 1, 1, 0, 0), 100);
        assert_eq!(starts.len(), 4, "5, 6, 7 and 8 January: {starts:?}");
        assert_eq!(starts.last(), Some(&utc(2026, 1, 8, 9, 0)));
    }

    #[test]
    fn count_is_honoured() {
        let first = paris(2026, 1, 5, 10, 0);
        let daily = recurrence("FREQ=DAILY;COUNT=3", first);
        let starts = daily.starts_between(first, Paris, first, utc(2027, 1, 1, 0, 0), 100);
        assert_eq!(starts.len(), 3);
    }

    #[test]
    fn exception_dates_are_removed_sorted_and_deduplicated() {
        let cancelled = vec![
            paris(2026, 3, 28, 8, 0),
            paris(2026, 3, 14, 8, 0),
            paris(2026, 3, 28, 8, 0),
        ];
        let market = Recurrence::parse(MARKET, cancelled, market_start(), Paris).unwrap();
        assert_eq!(
            market.exception_dates,
            vec![paris(2026, 3, 14, 8, 0), paris(2026, 3, 28, 8, 0)]
        );

        let starts = market.starts_between(
            market_start(),
            Paris,
            market_start(),
            utc(2026, 4, 5, 0, 0),
            10,
        );
        assert_eq!(
            starts,
            vec![
                paris(2026, 3, 7, 8, 0),
                paris(2026, 3, 21, 8, 0),
                paris(2026, 4, 4, 8, 0)
            ]
        );
    }

    #[test]
    fn limit_is_honoured_and_counts_from_the_window_start() {
        let first = paris(2026, 1, 5, 10, 0);
        let daily = recurrence("FREQ=DAILY", first);
        let from = utc(2026, 2, 1, 0, 0);
        let starts = daily.starts_between(first, Paris, from, utc(2027, 1, 1, 0, 0), 3);
        assert_eq!(
            starts,
            vec![
                paris(2026, 2, 1, 10, 0),
                paris(2026, 2, 2, 10, 0),
                paris(2026, 2, 3, 10, 0)
            ]
        );
        assert!(
            daily
                .starts_between(first, Paris, from, utc(2027, 1, 1, 0, 0), 0)
                .is_empty()
        );
    }

    #[test]
    fn window_bounds_are_inclusive_and_an_inverted_window_is_empty() {
        let market = recurrence(MARKET, market_start());
        let (a, b) = (paris(2026, 3, 14, 8, 0), paris(2026, 3, 21, 8, 0));
        assert_eq!(
            market.starts_between(market_start(), Paris, a, b, 10),
            vec![a, b]
        );
        assert!(
            market
                .starts_between(market_start(), Paris, b, a, 10)
                .is_empty()
        );
    }

    #[test]
    fn a_rule_started_decades_ago_still_expands_a_near_window() {
        let first = paris(1950, 1, 2, 9, 0);
        let daily = recurrence("FREQ=DAILY", first);
        let from = utc(2026, 6, 1, 0, 0);
        let starts = daily.starts_between(first, Paris, from, utc(2026, 6, 8, 0, 0), 100);
        assert_eq!(starts.len(), 7);
        assert_eq!(starts[0], paris(2026, 6, 1, 9, 0));
    }

    #[test]
    fn rule_is_normalized() {
        let start = paris(2026, 1, 5, 10, 0);
        let normalized = |raw: &str| recurrence(raw, start).rule;
        assert_eq!(normalized(" rrule:freq=weekly;byday=sa "), MARKET);
        assert_eq!(normalized("FREQ=WEEKLY;INTERVAL=1;BYDAY=SA"), MARKET);
        assert_eq!(
            normalized("freq=monthly;byday=2tu;until=20271231T230000z"),
            "FREQ=MONTHLY;UNTIL=20271231T230000Z;BYDAY=2TU"
        );
        // The crate alone would print `BYDAY=SA,-1SU`: every Saturday.
        assert_eq!(
            normalized("FREQ=MONTHLY;BYDAY=+1SA,-1SU"),
            "FREQ=MONTHLY;BYDAY=1SA,-1SU"
        );
    }

    #[test]
    fn floating_until_is_read_in_the_event_zone_and_a_date_includes_its_day() {
        let first = paris(2026, 1, 5, 10, 0);
        let daily = recurrence("FREQ=DAILY;UNTIL=20260108", first);
        // 23:59:59 on 8 January in Paris (UTC+1).
        assert_eq!(daily.rule, "FREQ=DAILY;UNTIL=20260108T225959Z");
        let starts = daily.starts_between(first, Paris, first, utc(2027, 1, 1, 0, 0), 100);
        assert_eq!(starts.last(), Some(&paris(2026, 1, 8, 10, 0)));

        let daily = recurrence("FREQ=DAILY;UNTIL=20260108T100000", first);
        assert_eq!(daily.rule, "FREQ=DAILY;UNTIL=20260108T090000Z");
    }

    #[test]
    fn bad_rules_are_refused_with_a_reason() {
        for rule in ["", "garbage", "FREQ=FORTNIGHTLY", "FREQ=WEEKLY;BYDAY=XX"] {
            assert!(
                refusal(rule).starts_with("is not a valid recurrence rule"),
                "{rule}: {}",
                refusal(rule)
            );
        }
        assert!(refusal("BYDAY=SA").contains("FREQ"));
        for rule in [
            "FREQ=HOURLY",
            "FREQ=HOURLY;BYMINUTE=0",
            "FREQ=MINUTELY;BYSECOND=0",
            "FREQ=SECONDLY",
        ] {
            assert_eq!(refusal(rule), "must not repeat more often than daily");
        }
        for rule in [
            "DTSTART:20260105T090000Z\nRRULE:FREQ=DAILY",
            "FREQ=DAILY;DTSTART=20260105T090000Z",
        ] {
            assert!(refusal(rule).contains("DTSTART"), "{rule}");
        }
        assert!(refusal("EXDATE:20260105T090000Z").contains("single RRULE"));
        assert_eq!(
            refusal("FREQ=DAILY;INTERVAL=0"),
            "INTERVAL must be at least 1"
        );
        assert_eq!(refusal("FREQ=DAILY;COUNT=0"), "COUNT must be at least 1");
        assert!(refusal("FREQ=DAILY;UNTIL=20250101T000000Z").contains("UNTIL"));
        assert!(refusal("FREQ=DAILY;COUNT=99999999999").contains("COUNT"));
        assert!(refusal("FREQ=DAILY;INTERVAL=70000").contains("INTERVAL"));
    }

    #[test]
    fn too_many_exception_dates_are_refused() {
        let first = paris(2026, 1, 5, 10, 0);
        let days = (0..=MAX_EXCEPTION_DATES as i64)
            .map(|d| first + chrono::TimeDelta::days(d))
            .collect();
        let refused = Recurrence::parse("FREQ=DAILY", days, first, Paris).unwrap_err();
        assert_eq!(refused.0, "must have at most 500 exception dates");
    }

    #[test]
    fn first_starts_outside_supported_years_are_refused() {
        for first in [
            utc(1800, 1, 1, 0, 0),
            DateTime::<Utc>::MAX_UTC,
            DateTime::<Utc>::MIN_UTC,
        ] {
            let refused = Recurrence::parse("FREQ=DAILY", vec![], first, Paris).unwrap_err();
            assert!(refused.0.contains("1900"), "{first}: {}", refused.0);
        }
    }

    #[test]
    fn extreme_values_end_quickly_without_panicking() {
        let first = paris(2026, 1, 5, 10, 0);
        let (min, max) = (DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC);
        for rule in [
            "FREQ=DAILY;COUNT=4294967295",
            "FREQ=DAILY;INTERVAL=65535",
            "FREQ=WEEKLY;INTERVAL=65535",
            "FREQ=MONTHLY;INTERVAL=65535",
            "FREQ=YEARLY;INTERVAL=65535",
            "FREQ=MONTHLY;BYDAY=5MO;BYMONTH=2;BYSETPOS=1",
            "FREQ=YEARLY;BYWEEKNO=53;BYDAY=SU",
        ] {
            let recurrence = recurrence(rule, first);
            let starts = recurrence.starts_between(first, Paris, min, max, usize::MAX);
            assert!(starts.len() <= usize::from(u16::MAX), "{rule}");
            assert!(starts.windows(2).all(|w| w[0] < w[1]), "{rule}");
        }
    }

    #[test]
    fn rules_that_never_happen_are_refused() {
        for rule in [
            "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30",
            "FREQ=DAILY;BYMONTH=4;BYMONTHDAY=31",
            "FREQ=WEEKLY;BYDAY=TU;UNTIL=20260105T235959Z",
        ] {
            assert_eq!(
                refusal(rule),
                "never happens from the first start on",
                "{rule}"
            );
        }
    }

    #[test]
    fn a_first_start_with_a_fraction_of_second_is_its_own_first_occurrence() {
        let first = paris(2026, 1, 5, 10, 0) + chrono::TimeDelta::milliseconds(250);
        let daily = recurrence("FREQ=DAILY;COUNT=2", first);
        let starts = daily.starts_between(
            first,
            Paris,
            utc(2026, 1, 1, 0, 0),
            utc(2027, 1, 1, 0, 0),
            10,
        );
        assert_eq!(
            starts,
            vec![paris(2026, 1, 5, 10, 0), paris(2026, 1, 6, 10, 0)]
        );
    }

    #[test]
    fn a_changed_first_start_gives_an_empty_answer_not_a_panic() {
        let daily = recurrence(
            "FREQ=DAILY;UNTIL=20260110T000000Z",
            paris(2026, 1, 5, 10, 0),
        );
        let (min, max) = (DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC);
        for first in [utc(2027, 1, 1, 0, 0), min, max] {
            assert!(daily.starts_between(first, Paris, min, max, 10).is_empty());
        }
    }

    /// Zones with summer time north and south, half-hour shifts, midnight changes, none.
    const ZONES: [chrono_tz::Tz; 7] = [
        Paris,
        chrono_tz::America::New_York,
        chrono_tz::America::Santiago,
        chrono_tz::Australia::Sydney,
        chrono_tz::Australia::Lord_Howe,
        chrono_tz::Asia::Kolkata,
        chrono_tz::UTC,
    ];

    /// A DAILY or WEEKLY rule with an interval and, for WEEKLY, maybe a few days.
    fn daily_or_weekly_rule() -> impl Strategy<Value = String> {
        let days =
            proptest::sample::subsequence(vec!["MO", "TU", "WE", "TH", "FR", "SA", "SU"], 0..=3);
        (any::<bool>(), 1..4u16, days).prop_map(|(weekly, interval, days)| {
            if weekly && !days.is_empty() {
                format!("FREQ=WEEKLY;INTERVAL={interval};BYDAY={}", days.join(","))
            } else if weekly {
                format!("FREQ=WEEKLY;INTERVAL={interval}")
            } else {
                format!("FREQ=DAILY;INTERVAL={interval}")
            }
        })
    }

    /// Month and year rules with numbered weekdays, month days and positions.
    fn any_frequency_rule() -> impl Strategy<Value = String> {
        let weekday = proptest::sample::select(vec!["MO", "TU", "WE", "TH", "FR", "SA", "SU"]);
        let nth = prop_oneof![-5..=-1i16, 1..=5i16];
        let nth_day = (nth, weekday.clone()).prop_map(|(n, day)| format!("{n}{day}"));
        prop_oneof![
            proptest::collection::vec(nth_day.clone(), 1..3)
                .prop_map(|days| format!("FREQ=MONTHLY;BYDAY={}", days.join(","))),
            (1..=31u8, 1..4u16).prop_map(|(day, interval)| {
                format!("FREQ=MONTHLY;INTERVAL={interval};BYMONTHDAY={day}")
            }),
            (1..=12u8, nth_day)
                .prop_map(|(month, day)| format!("FREQ=YEARLY;BYMONTH={month};BYDAY={day}")),
            (weekday, prop_oneof![Just(1i16), Just(-1)]).prop_map(|(day, pos)| {
                format!("FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR,{day};BYSETPOS={pos}")
            }),
            daily_or_weekly_rule(),
        ]
    }

    /// A wall-clock time in 2000–2040, on the quarter hour (the zone may lack it).
    fn local_start() -> impl Strategy<Value = NaiveDateTime> {
        (0..41 * 365i64, 0..24u32, 0..4u32).prop_map(|(day, hour, quarter)| {
            NaiveDate::from_ymd_opt(2000, 1, 1)
                .unwrap()
                .and_hms_opt(hour, quarter * 15, 0)
                .unwrap()
                + chrono::TimeDelta::days(day)
        })
    }

    fn wall_clock_exists(tz: chrono_tz::Tz, day: NaiveDate, time: NaiveTime) -> bool {
        !matches!(
            tz.from_local_datetime(&day.and_time(time)),
            LocalResult::None
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn starts_are_in_window_increasing_and_at_the_first_wall_clock_time(
            rule in daily_or_weekly_rule(),
            zone in proptest::sample::select(ZONES.to_vec()),
            local in local_start(),
            from_offset in 0..3000i64,
            window in 0..400i64,
            limit in 1..100usize,
        ) {
            let first = zone.from_local_datetime(&local).earliest();
            prop_assume!(first.is_some());
            let first = first.unwrap().with_timezone(&Utc);
            let recurrence = Recurrence::parse(&rule, vec![], first, zone).unwrap();
            let from = first + chrono::TimeDelta::hours(from_offset * 24 - 12);
            let until = from + chrono::TimeDelta::days(window);

            let starts = recurrence.starts_between(first, zone, from, until, limit);

            prop_assert!(starts.len() <= limit);
            prop_assert!(starts.windows(2).all(|w| w[0] < w[1]));
            for start in &starts {
                prop_assert!(from <= *start && *start <= until);
                let local_start = start.with_timezone(&zone).naive_local();
                if wall_clock_exists(zone, local_start.date(), local.time()) {
                    prop_assert_eq!(local_start.time(), local.time());
                }
            }
        }

        #[test]
        fn a_late_window_gives_what_a_walk_from_the_first_start_gives(
            rule in daily_or_weekly_rule(),
            zone in proptest::sample::select(ZONES.to_vec()),
            local in local_start(),
            from_minutes in 0..3000 * 24 * 60i64,
            window in 0..60i64,
            limit in 1..50usize,
        ) {
            let first = zone.from_local_datetime(&local).earliest();
            prop_assume!(first.is_some());
            let first = first.unwrap().with_timezone(&Utc);
            let recurrence = Recurrence::parse(&rule, vec![], first, zone).unwrap();
            let from = first + chrono::TimeDelta::minutes(from_minutes);
            let until = from + chrono::TimeDelta::days(window);

            let walked: Vec<_> = recurrence
                .starts_between(first, zone, first, until, usize::MAX)
                .into_iter()
                .filter(|start| *start >= from)
                .take(limit)
                .collect();
            prop_assert_eq!(recurrence.starts_between(first, zone, from, until, limit), walked);
        }

        #[test]
        fn exception_dates_remove_exactly_those_starts(
            rule in daily_or_weekly_rule(),
            zone in proptest::sample::select(ZONES.to_vec()),
            local in local_start(),
            picks in proptest::collection::vec(any::<bool>(), 30),
        ) {
            let first = zone.from_local_datetime(&local).earliest();
            prop_assume!(first.is_some());
            let first = first.unwrap().with_timezone(&Utc);
            let until = first + chrono::TimeDelta::days(400);
            let all = Recurrence::parse(&rule, vec![], first, zone)
                .unwrap()
                .starts_between(first, zone, first, until, 30);
            let (cancelled, kept): (Vec<_>, Vec<_>) =
                all.iter().zip(&picks).partition(|(_, pick)| **pick);
            let cancelled: Vec<_> = cancelled.into_iter().map(|(start, _)| *start).collect();
            let kept: Vec<_> = kept.into_iter().map(|(start, _)| *start).collect();

            let with_exceptions = Recurrence::parse(&rule, cancelled, first, zone).unwrap();
            let starts = with_exceptions.starts_between(first, zone, first, *all.last().unwrap_or(&first), 30);
            prop_assert_eq!(starts, kept);
        }

        #[test]
        fn the_normalized_rule_means_what_was_written(
            rule in any_frequency_rule(),
            local in local_start(),
        ) {
            let first = Paris.from_local_datetime(&local).earliest();
            prop_assume!(first.is_some());
            let first = first.unwrap().with_timezone(&Utc);
            let dt_start = first.with_timezone(&rrule::Tz::Tz(Paris));
            let written = rule.parse::<RRule<Unvalidated>>().unwrap().validate(dt_start);
            prop_assume!(written.is_ok());
            let expected: Vec<DateTime<Utc>> = RRuleSet::new(dt_start)
                .rrule(written.unwrap())
                .all(12)
                .dates
                .iter()
                .map(|start| start.with_timezone(&Utc))
                .collect();
            prop_assume!(!expected.is_empty());

            let stored = Recurrence::parse(&rule, vec![], first, Paris).unwrap();
            let last = *expected.last().unwrap();
            prop_assert_eq!(stored.starts_between(first, Paris, first, last, 12), expected);
        }

        #[test]
        fn normalizing_is_idempotent(rule in daily_or_weekly_rule()) {
            let first = paris(2026, 1, 5, 10, 0);
            let once = recurrence(&rule.to_lowercase(), first).rule;
            prop_assert_eq!(recurrence(&once, first).rule, once);
        }

        #[test]
        fn parse_never_panics(rule in "\\PC{0,60}", first in any::<i64>()) {
            let first = DateTime::<Utc>::from_timestamp(first % 400_000_000_000, 0).unwrap_or_default();
            let _ = Recurrence::parse(&rule, vec![], first, Paris);
        }
    }

    #[test]
    fn start_on_the_quarter_hour_helper_is_sane() {
        let local = NaiveDate::from_ymd_opt(2026, 3, 29)
            .unwrap()
            .and_hms_opt(2, 30, 0)
            .unwrap();
        assert!(!wall_clock_exists(Paris, local.date(), local.time()));
        assert_eq!(local.minute(), 30);
    }
}
