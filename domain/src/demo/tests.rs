//! The demo city's promises: sizes, determinism, unique slugs, coherent dates.

use super::*;
use crate::content::SiteTargets;
use crate::event::EventStatus;
use crate::public_service::ServiceKind;
use crate::recurrence::Recurrence;
use chrono::{Datelike, Duration, TimeZone as _, Timelike};
use std::collections::HashSet;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 14, 9, 26, 53).unwrap()
}

fn assert_unique<'a>(what: &str, slugs: impl IntoIterator<Item = &'a str>) {
    let mut seen = HashSet::new();
    for slug in slugs {
        assert!(seen.insert(slug), "duplicate {what} slug {slug}");
    }
}

#[test]
fn the_city_has_the_promised_size() {
    let city = city(now());
    assert!((10..=13).contains(&city.departments.len()));
    assert_eq!(city.sites.len(), 3);
    assert!(city.categories.len() >= 15);
    assert!(city.tags.len() >= 20);
    assert_eq!(city.places.len(), 40);
    assert_eq!(city.associations.len(), 300);
    assert_eq!(city.news.len(), 200);
    assert_eq!(city.services.len(), 60);
    assert_eq!(events(&city, now(), 1000).count(), 1000);
}

#[test]
fn the_same_now_gives_the_same_city_and_events() {
    let (a, b) = (city(now()), city(now()));
    assert_eq!(a, b);
    let first: Vec<_> = events(&a, now(), 300).collect();
    let second: Vec<_> = events(&b, now(), 300).collect();
    assert_eq!(first, second);
}

#[test]
fn only_dates_depend_on_now() {
    let later = now() + Duration::days(100);
    let (a, b) = (city(now()), city(later));
    let names = |c: &DemoCity| {
        c.associations
            .iter()
            .map(|x| x.fields.name.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(names(&a), names(&b));
    let titles = |c: &DemoCity, at| {
        events(c, at, 100)
            .map(|e| e.fields.title)
            .collect::<Vec<_>>()
    };
    assert_eq!(titles(&a, now()), titles(&b, later));
}

#[test]
fn event_n_does_not_depend_on_the_count() {
    let city = city(now());
    let alone = events(&city, now(), 8).last();
    let among_many = events(&city, now(), 1000).nth(7);
    assert_eq!(alone, among_many);
}

#[test]
fn slugs_are_unique_per_kind() {
    let city = city(now());
    assert_unique(
        "department",
        city.departments.iter().map(|d| d.slug.as_str()),
    );
    assert_unique("site", city.sites.iter().map(|s| s.slug.as_str()));
    assert_unique("category", city.categories.iter().map(|t| t.slug.as_str()));
    assert_unique("tag", city.tags.iter().map(|t| t.slug.as_str()));
    assert_unique(
        "association",
        city.associations.iter().map(|a| a.fields.slug.as_str()),
    );
    assert_unique("news", city.news.iter().map(|n| n.fields.slug.as_str()));
    assert_unique(
        "service",
        city.services.iter().map(|s| s.fields.slug.as_str()),
    );
    let events: Vec<_> = events(&city, now(), 5000).collect();
    assert_unique("event", events.iter().map(|e| e.fields.slug.as_str()));
    let ids: HashSet<_> = events.iter().map(|e| e.id).collect();
    assert_eq!(ids.len(), events.len());
}

#[test]
fn association_names_are_distinct() {
    let city = city(now());
    let names: HashSet<_> = city.associations.iter().map(|a| &a.fields.name).collect();
    assert_eq!(names.len(), city.associations.len());
}

#[test]
fn about_ten_percent_of_events_recur_with_exceptions_on_occurrences() {
    let city = city(now());
    let recurring: Vec<_> = events(&city, now(), 1000)
        .filter(|e| e.fields.recurrence.is_some())
        .collect();
    assert!((60..=140).contains(&recurring.len()), "{}", recurring.len());
    for event in &recurring {
        let rule = event.fields.recurrence.as_ref().unwrap();
        assert!((1..=2).contains(&rule.exception_dates.len()), "{rule:?}");
        let plain = Recurrence::parse(
            &rule.rule,
            Vec::new(),
            event.fields.starts_at,
            chrono_tz::Europe::Paris,
        )
        .unwrap();
        let starts = plain.starts_between(
            event.fields.starts_at,
            chrono_tz::Europe::Paris,
            event.fields.starts_at,
            event.fields.starts_at + Duration::days(400),
            100,
        );
        assert_eq!(starts.first(), Some(&event.fields.starts_at), "{rule:?}");
        for exception in &rule.exception_dates {
            assert!(starts.contains(exception), "{exception} in {rule:?}");
        }
    }
}

#[test]
fn recurring_events_keep_their_day_and_time() {
    // A "first Saturday" club must not become "every Saturday" once its rule is stored.
    let city = city(now());
    let paris = chrono_tz::Europe::Paris;
    for event in events(&city, now(), 1000).filter(|e| e.fields.recurrence.is_some()) {
        let f = &event.fields;
        let rule = f.recurrence.as_ref().unwrap();
        let starts = rule.starts_between(
            f.starts_at,
            paris,
            f.starts_at,
            f.ends_at + Duration::days(400),
            8,
        );
        let first = f.starts_at.with_timezone(&paris);
        for start in starts.iter().map(|s| s.with_timezone(&paris)) {
            assert_eq!(start.weekday(), first.weekday(), "{rule:?}");
            assert_eq!(start.time(), first.time(), "{rule:?}");
            if rule.rule.contains("MONTHLY") {
                assert_eq!(
                    (start.day() - 1) / 7,
                    (first.day() - 1) / 7,
                    "{} {rule:?}",
                    f.title
                );
            }
        }
    }
}

#[test]
fn events_start_within_three_months_back_and_a_year_ahead() {
    let city = city(now());
    let (from, until) = (now() - Duration::days(92), now() + Duration::days(366));
    for event in events(&city, now(), 2000) {
        let f = &event.fields;
        assert!(
            f.starts_at >= from && f.starts_at <= until,
            "{}",
            f.starts_at
        );
        assert!(f.ends_at > f.starts_at);
        let local = f.starts_at.with_timezone(&chrono_tz::Europe::Paris);
        if f.all_day {
            assert_eq!((local.hour(), local.minute()), (0, 0));
        } else {
            assert!((9..=21).contains(&local.hour()), "{local}");
            assert_eq!(local.minute() % 15, 0);
            let duration = f.ends_at - f.starts_at;
            assert!(duration >= Duration::hours(1) && duration <= Duration::hours(4));
        }
    }
}

#[test]
fn the_agenda_has_a_realistic_mix() {
    let city = city(now());
    let events: Vec<_> = events(&city, now(), 2000).collect();
    let share = |p: &dyn Fn(&Event) -> bool| {
        events.iter().filter(|e| p(e)).count() as f64 / events.len() as f64
    };
    let free = share(&|e| e.fields.free);
    assert!((0.3..=0.5).contains(&free), "free {free}");
    let all_day = share(&|e| e.fields.all_day);
    assert!((0.02..=0.1).contains(&all_day), "all-day {all_day}");
    let cancelled = share(&|e| e.fields.event_status == EventStatus::Cancelled);
    assert!((0.01..=0.06).contains(&cancelled), "cancelled {cancelled}");
    let drafts = share(&|e| !e.publication.status.is_public());
    assert!((0.01..=0.03).contains(&drafts), "drafts {drafts}");
    assert!(
        events
            .iter()
            .all(|e| (1..=2).contains(&e.fields.category_ids.len()))
    );
    assert!(events.iter().all(|e| e.fields.tag_ids.len() <= 3));
    assert!(events.iter().any(|e| e.fields.online_url.is_some()));
    assert!(events.iter().any(|e| e.fields.age_range.min.is_some()));
    assert!(
        events
            .iter()
            .any(|e| matches!(e.fields.sites, SiteTargets::Only(_)))
    );
}

#[test]
fn christmas_markets_are_in_december() {
    let city = city(now());
    let markets: Vec<_> = events(&city, now(), 1000)
        .filter(|e| e.fields.title.starts_with("Marché de Noël"))
        .collect();
    assert!(markets.len() >= 5, "{}", markets.len());
    for market in markets {
        let local = market
            .fields
            .starts_at
            .with_timezone(&chrono_tz::Europe::Paris);
        assert_eq!(local.month(), 12, "{}", market.fields.title);
    }
}

#[test]
fn places_are_around_the_town_hall() {
    let city = city(now());
    let center = crate::field::GeoPoint {
        latitude: CITY_CENTER.0,
        longitude: CITY_CENTER.1,
    };
    for place in &city.places {
        let km = place.geo().unwrap().distance_km(&center);
        assert!(km <= 5.0, "{} is {km} km away", place.name);
        assert_eq!(place.postal_code.as_ref().unwrap().len(), 5);
    }
}

#[test]
fn services_have_hours_or_a_procedure_url() {
    let city = city(now());
    for service in &city.services {
        let f = &service.fields;
        if f.kind == ServiceKind::OnlineProcedure {
            assert!(
                f.procedure_url.is_some() && f.opening_hours.is_none(),
                "{}",
                f.name
            );
        } else {
            assert!(f.opening_hours.is_some(), "{}", f.name);
        }
    }
    let hours: Vec<_> = city
        .services
        .iter()
        .filter_map(|s| s.fields.opening_hours.as_deref())
        .collect();
    assert!(hours.iter().filter(|h| h.contains("PH off")).count() >= 20);
    assert!(hours.contains(&"24/7"));
}

#[test]
fn sites_follow_their_channels() {
    let city = city(now());
    let culture = city.site("culture").unwrap();
    assert_eq!(
        culture.channel.department_ids,
        vec![city.department_id("culture")]
    );
    assert!(
        city.site("portail")
            .unwrap()
            .channel
            .department_ids
            .is_empty()
    );
    assert_eq!(city.site("tourisme").unwrap().channel.category_ids.len(), 3);
    let libraries = city.department("mediatheques").unwrap();
    assert_eq!(libraries.parent_id, Some(city.department_id("culture")));
}

/// `cargo test --release -p silo-domain demo -- --ignored --nocapture`
#[test]
#[ignore = "a timing, run in release mode"]
fn a_million_events() {
    let city = city(now());
    let started = std::time::Instant::now();
    let count = events(&city, now(), 1_000_000).count();
    let elapsed = started.elapsed();
    println!("{count} events generated in {elapsed:?}");
    assert_eq!(count, 1_000_000);
}
