//! `agenda.ics`: the calendar's head and one `VTIMEZONE` per zone used, then the events a
//! page at a time, so memory stays bounded whatever the agenda's size.

use super::params::Feed;
use actix_web::web::Bytes;
use chrono::{Datelike, Utc};
use futures::Stream;
use silo_domain::DomainError;
use silo_domain::event::Event;
use silo_domain::ical::{self, CalendarInfo, EventContext};
use silo_storage::Store;
use std::collections::HashMap;
use std::sync::Arc;
use uuid::Uuid;

const PAGE: u64 = 500;

enum State {
    Head,
    Events(Option<Uuid>),
    Done,
}

/// The calendar as a stream of chunks.
pub fn stream(
    store: Arc<Store>,
    feed: Feed,
    base: String,
) -> impl Stream<Item = Result<Bytes, actix_web::Error>> {
    let now = Utc::now();
    let feed = Arc::new(feed);
    futures::stream::try_unfold(State::Head, move |state| {
        let (store, feed, base) = (store.clone(), feed.clone(), base.clone());
        async move {
            match state {
                State::Head => Ok(Some((
                    head(&store, &feed, &base, now).await?,
                    State::Events(None),
                ))),
                State::Events(after) => {
                    let events = store
                        .agenda_events_page(&feed.filter, feed.scope.as_ref(), now, after, PAGE)
                        .await
                        .map_err(error)?;
                    let Some(last) = events.last().map(|e| e.id) else {
                        return Ok(Some((Bytes::from(ical::calendar_end()), State::Done)));
                    };
                    Ok(Some((
                        page(&store, &events, &base).await?,
                        State::Events(Some(last)),
                    )))
                }
                State::Done => Ok(None),
            }
        }
    })
}

async fn head(
    store: &Store,
    feed: &Feed,
    base: &str,
    now: chrono::DateTime<Utc>,
) -> Result<Bytes, actix_web::Error> {
    let name = match &feed.site {
        Some(site) => format!("Agenda — {}", site.name),
        None => "Agenda".to_owned(),
    };
    let info = CalendarInfo {
        name,
        description: "Agenda public. Licence Ouverte 2.0 (etalab-2.0).".to_owned(),
        url: format!("{base}/opendata/agenda.ics"),
    };
    let mut out = ical::calendar_start(&info);
    let zones = store
        .agenda_time_zones(&feed.filter, feed.scope.as_ref(), now)
        .await
        .map_err(error)?;
    for zone in zones {
        if let Ok(tz) = zone.parse::<chrono_tz::Tz>() {
            out += &ical::vtimezone(tz, now.year());
        }
    }
    Ok(Bytes::from(out))
}

async fn page(store: &Store, events: &[Event], base: &str) -> Result<Bytes, actix_web::Error> {
    let place_ids: Vec<Uuid> = events.iter().filter_map(|e| e.fields.place_id).collect();
    let places = store.places_by_ids(&place_ids).await.map_err(error)?;
    let ids: Vec<Uuid> = events.iter().map(|e| e.id).collect();
    let mut names: HashMap<Uuid, Vec<String>> = HashMap::new();
    for (content, term) in store.terms_of(&ids).await.map_err(error)? {
        names.entry(content).or_default().push(term.name);
    }
    let mut out = String::new();
    for event in events {
        let context = EventContext {
            place: event
                .fields
                .place_id
                .and_then(|id| places.iter().find(|p| p.id == id)),
            categories: names.remove(&event.id).unwrap_or_default(),
            url: Some(format!(
                "{base}/opendata/events/{}.jsonld",
                event.fields.slug
            )),
        };
        out += &ical::vevent(event, &context);
    }
    Ok(Bytes::from(out))
}

fn error(e: DomainError) -> actix_web::Error {
    tracing::error!(error = %e, "agenda.ics stopped");
    actix_web::error::ErrorInternalServerError("the export stopped")
}
