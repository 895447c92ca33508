//! What every agenda export shares: the events a page at a time (id order, bounded
//! memory), with what their rows need loaded once per page, written by a `Format`.

use super::params::Feed;
use actix_web::web::Bytes;
use chrono::{DateTime, Utc};
use futures::Stream;
use serde_json::{Value, json};
use silo_domain::DomainError;
use silo_domain::agenda_table::EventRow;
use silo_domain::content::{Term, TermKind};
use silo_domain::event::{Event, Occurrence, Organizer};
use silo_domain::place::Place;
use silo_storage::Store;
use std::collections::HashMap;
use std::sync::Arc;
use uuid::Uuid;

const PAGE: u64 = 500;
/// Tombstones an incremental sync returns at most (a mirror further behind reloads).
pub const MAX_TOMBSTONES: u64 = 10_000;

/// One page of events and what their rows mention.
pub struct Page {
    /// The export's first page (a JSON list puts no comma before its first item).
    pub first: bool,
    pub events: Vec<Event>,
    places: HashMap<Uuid, Place>,
    terms: HashMap<Uuid, Vec<Term>>,
    organizers: HashMap<Uuid, Organization>,
    /// Occurrences in the export's window, by event, in order.
    pub occurrences: HashMap<Uuid, Vec<Occurrence>>,
}

/// An organizer as exports name it.
#[derive(Debug, Clone, Default)]
pub struct Organization {
    pub name: String,
    pub siret: Option<String>,
    pub rna: Option<String>,
}

impl Page {
    pub fn place(&self, event: &Event) -> Option<&Place> {
        self.places.get(&event.fields.place_id?)
    }

    /// The event's term names of `kind`, by name.
    pub fn term_names(&self, event: &Event, kind: TermKind) -> Vec<String> {
        self.terms
            .get(&event.id)
            .into_iter()
            .flatten()
            .filter(|t| t.kind == kind)
            .map(|t| t.name.clone())
            .collect()
    }

    pub fn organizer(&self, event: &Event) -> Option<&Organization> {
        match event.fields.organizer? {
            Organizer::Association(id) | Organizer::Department(id) => self.organizers.get(&id),
        }
    }

    pub fn occurrences(&self, event: &Event) -> &[Occurrence] {
        self.occurrences.get(&event.id).map_or(&[], Vec::as_slice)
    }

    /// What every format says about an event besides its own fields.
    pub fn row<'a>(&'a self, event: &Event, url: String) -> EventRow<'a> {
        let organizer = self.organizer(event);
        EventRow {
            url,
            categories: self.term_names(event, TermKind::Category),
            keywords: self.term_names(event, TermKind::Tag),
            place: self.place(event),
            organizer_name: organizer.map(|o| o.name.clone()),
            organizer_siret: organizer.and_then(|o| o.siret.clone()),
            organizer_rna: organizer.and_then(|o| o.rna.clone()),
            occurrences: self.occurrences(event),
        }
    }
}

/// Where an export is served from, and when it was asked.
pub struct Context {
    pub feed: Feed,
    /// `https://host` as the client reached us.
    pub base: String,
    pub now: DateTime<Utc>,
}

impl Context {
    /// The event's public address (its JSON-LD document).
    pub fn event_url(&self, event: &Event) -> String {
        format!("{}/opendata/events/{}.jsonld", self.base, event.fields.slug)
    }
}

/// A file format of the agenda.
pub trait Format: 'static {
    /// Whether rows need the occurrences in the window (an iCalendar series does not: its
    /// `RRULE` says it all, and skipping them saves most of the rows read).
    fn needs_occurrences(&self) -> bool {
        true
    }
    /// What comes before the events (a header row, a calendar's head).
    async fn head(&self, store: &Store, context: &Context) -> Result<String, DomainError>;
    fn page(&self, page: &Page, context: &Context) -> Result<String, DomainError>;
    /// What comes after the events (a list's end, the tombstones of an incremental sync).
    async fn tail(&self, _store: &Store, _context: &Context) -> Result<String, DomainError> {
        Ok(String::new())
    }
}

enum State {
    Head,
    Events(Option<Uuid>),
    Done,
}

/// The export as a stream of chunks: head, one chunk per page, tail.
pub fn stream<F: Format>(
    store: Arc<Store>,
    format: F,
    context: Context,
) -> impl Stream<Item = Result<Bytes, actix_web::Error>> {
    let shared = Arc::new((store, format, context));
    futures::stream::try_unfold(State::Head, move |state| {
        let shared = shared.clone();
        async move {
            let (store, format, context) = &*shared;
            let chunk = match state {
                State::Done => return Ok(None),
                State::Head => (
                    format.head(store, context).await.map_err(stopped)?,
                    State::Events(None),
                ),
                State::Events(after) => {
                    let with_occurrences = format.needs_occurrences();
                    let page = load(store, context, after, with_occurrences)
                        .await
                        .map_err(stopped)?;
                    match page.events.last().map(|e| e.id) {
                        None => (
                            format.tail(store, context).await.map_err(stopped)?,
                            State::Done,
                        ),
                        Some(last) => (
                            format.page(&page, context).map_err(stopped)?,
                            State::Events(Some(last)),
                        ),
                    }
                }
            };
            Ok(Some((Bytes::from(chunk.0), chunk.1)))
        }
    })
}

async fn load(
    store: &Store,
    context: &Context,
    after: Option<Uuid>,
    with_occurrences: bool,
) -> Result<Page, DomainError> {
    let feed = &context.feed;
    let events = store
        .agenda_events_page(&feed.filter, feed.scope.as_ref(), context.now, after, PAGE)
        .await?;
    let window = with_occurrences
        .then(|| feed.filter.window(context.now))
        .transpose()?;
    let mut page = page_of(store, events, window).await?;
    page.first = after.is_none();
    Ok(page)
}

/// The places rows mention, by id.
pub async fn places_by_id(
    store: &Store,
    place_ids: &[Uuid],
) -> Result<HashMap<Uuid, Place>, DomainError> {
    Ok(store
        .places_by_ids(place_ids)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect())
}

/// The terms of each item, by item id.
pub async fn terms_by_item(
    store: &Store,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<Term>>, DomainError> {
    let mut terms: HashMap<Uuid, Vec<Term>> = HashMap::new();
    for (content, term) in store.terms_of(ids).await? {
        terms.entry(content).or_default().push(term);
    }
    Ok(terms)
}

/// A page of these events, with their occurrences starting in `window` when one is given.
pub async fn page_of(
    store: &Store,
    events: Vec<Event>,
    window: Option<(DateTime<Utc>, DateTime<Utc>)>,
) -> Result<Page, DomainError> {
    let ids: Vec<Uuid> = events.iter().map(|e| e.id).collect();
    let place_ids: Vec<Uuid> = events.iter().filter_map(|e| e.fields.place_id).collect();
    let places = places_by_id(store, &place_ids).await?;
    let terms = terms_by_item(store, &ids).await?;
    let mut organizers = HashMap::new();
    let departments = store.departments().await?;
    let mut associations = Vec::new();
    for event in &events {
        match event.fields.organizer {
            Some(Organizer::Department(id)) => {
                if let Some(d) = departments.iter().find(|d| d.id == id) {
                    let name = d.name.clone();
                    organizers.insert(
                        id,
                        Organization {
                            name,
                            ..Default::default()
                        },
                    );
                }
            }
            Some(Organizer::Association(id)) => associations.push(id),
            None => {}
        }
    }
    let kind = silo_domain::content::ContentKind::Association;
    for item in store.content_items(kind, &associations).await? {
        if let silo_domain::item::ContentItem::Association(a) = item {
            organizers.insert(
                a.id,
                Organization {
                    name: a.fields.name,
                    siret: a.fields.siret,
                    rna: a.fields.rna,
                },
            );
        }
    }
    let mut occurrences: HashMap<Uuid, Vec<Occurrence>> = HashMap::new();
    let found = match window {
        Some((from, to)) => store.occurrences_of(&ids, from, to).await?,
        None => Vec::new(),
    };
    for occurrence in found {
        occurrences
            .entry(occurrence.event_id)
            .or_default()
            .push(occurrence);
    }
    Ok(Page {
        first: true,
        events,
        places,
        terms,
        organizers,
        occurrences,
    })
}

/// The events a mirror synced at `since` must remove: taken out of the public agenda
/// since then and not published again, the latest removal of each, as
/// `{uid, deleted, at}`.
pub async fn tombstones(store: &Store, since: DateTime<Utc>) -> Result<Vec<Value>, DomainError> {
    let mut gone: Vec<Value> = Vec::new();
    for tombstone in store.event_tombstones(since, MAX_TOMBSTONES).await? {
        if store.event(Some(tombstone.id), None, None).await?.is_some() {
            continue;
        }
        let uid = json!(format!("{}@silo", tombstone.id));
        gone.retain(|t| t["uid"] != uid);
        gone.push(json!({
            "uid": uid,
            "deleted": tombstone.deleted,
            "at": silo_domain::agenda_table::instant(tombstone.at),
        }));
    }
    Ok(gone)
}

fn stopped(e: DomainError) -> actix_web::Error {
    tracing::error!(error = %e, "an open data export stopped");
    actix_web::error::ErrorInternalServerError("the export stopped")
}
