//! Storage on both backends: occurrences materialized over the rolling horizon.

use crate::both_backends;
use crate::helpers::{Backend, fresh_database};
use chrono::{Duration, TimeZone, Utc};
use silo_domain::content::Publication;
use silo_domain::department::DepartmentInput;
use silo_domain::event::{Event, EventInput, RecurrenceInput};
use silo_storage::{PoolSettings, Store};

async fn store_with_department(b: Backend) -> (Store, uuid::Uuid) {
    let url = fresh_database(b).await;
    let store = Store::open(&url, &PoolSettings::default()).await.unwrap();
    let dept = DepartmentInput {
        name: "Marchés".into(),
        ..Default::default()
    }
    .validate(uuid::Uuid::now_v7())
    .unwrap();
    store
        .insert_departments(std::slice::from_ref(&dept), Utc::now())
        .await
        .unwrap();
    (store, dept.id)
}

both_backends!(
    recurring_events_follow_the_horizon,
    |b: Backend| async move {
        let (store, dept) = store_with_department(b).await;
        // Saturdays 08:00 Paris from 7 March 2026: crosses the change to summer time on 29 March.
        let first = Utc.with_ymd_and_hms(2026, 3, 7, 7, 0, 0).unwrap();
        let skipped = Utc.with_ymd_and_hms(2026, 3, 21, 7, 0, 0).unwrap();
        let fields = EventInput {
            department_id: dept,
            title: "Marché du samedi".into(),
            body_markdown: "Producteurs locaux.".into(),
            starts_at: first,
            ends_at: Some(first + Duration::hours(5)),
            recurrence: Some(RecurrenceInput {
                rule: "FREQ=WEEKLY;BYDAY=SA".into(),
                exception_dates: vec![skipped],
            }),
            ..Default::default()
        }
        .validate()
        .unwrap();
        let event = Event {
            id: uuid::Uuid::now_v7(),
            publication: Publication::published(Utc::now()),
            fields,
        };
        let horizon = Utc.with_ymd_and_hms(2026, 4, 30, 0, 0, 0).unwrap();
        store
            .insert_events(std::slice::from_ref(&event), horizon)
            .await
            .unwrap();
        // 7, 14, (21 skipped), 28 March, 4, 11, 18, 25 April.
        assert_eq!(store.occurrence_count(event.id).await.unwrap(), 7);
        let april = store
            .event_occurrences(
                event.id,
                Utc.with_ymd_and_hms(2026, 4, 1, 0, 0, 0).unwrap(),
                horizon,
                100,
            )
            .await
            .unwrap();
        assert!(
            april
                .iter()
                .all(|o| o.starts_at.format("%H:%M").to_string() == "06:00"),
            "08:00 Paris is 06:00Z in summer: {april:?}"
        );
        // The horizon moves: only the missing occurrences are added, once.
        let later = Utc.with_ymd_and_hms(2026, 5, 31, 0, 0, 0).unwrap();
        assert_eq!(store.extend_horizon(later).await.unwrap(), 1);
        assert_eq!(store.occurrence_count(event.id).await.unwrap(), 7 + 5);
        assert_eq!(store.extend_horizon(later).await.unwrap(), 0);
        // Rebuilding from scratch gives the same set.
        store.rematerialize(event.id, later).await.unwrap();
        assert_eq!(store.occurrence_count(event.id).await.unwrap(), 12);
    }
);

both_backends!(slugs_are_unique_per_kind, |b: Backend| async move {
    let (store, dept) = store_with_department(b).await;
    let make = || {
        let fields = EventInput {
            department_id: dept,
            slug: Some("concert".into()),
            title: "Concert".into(),
            starts_at: Utc::now(),
            ..Default::default()
        }
        .validate()
        .unwrap();
        Event {
            id: uuid::Uuid::now_v7(),
            publication: Publication::published(Utc::now()),
            fields,
        }
    };
    store.insert_events(&[make()], Utc::now()).await.unwrap();
    let err = store
        .insert_events(&[make()], Utc::now())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "CONFLICT", "{err}");
});
