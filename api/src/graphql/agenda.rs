//! The agenda: occurrences in a time window, and single events.

use super::RequestContext;
use super::cursor::{self, PageRequest};
use super::error::{bad_input, gql};
use super::loader::{Loaders, Prefetch};
use super::trail;
use super::types::{AccessibilityFlag, EventNode, EventStatus, OccurrenceNode};
use async_graphql::connection::Connection;
use async_graphql::{Context, ID, InputObject, Object, Result};
use chrono::{DateTime, Utc};
use silo_domain::content::ContentKind;
use silo_domain::event::Accessibility;
use silo_domain::query::{EventFilter, Near};
use silo_storage::{OccurrenceKey, Store};
use std::sync::Arc;
use uuid::Uuid;

const CURSOR_KIND: &str = "occ";

/// "Within `radiusKm` of this point."
#[derive(InputObject, Clone, Copy)]
#[graphql(name = "Near")]
pub struct NearInput {
    /// WGS84 latitude of the centre, in degrees.
    pub latitude: f64,
    /// WGS84 longitude of the centre, in degrees.
    pub longitude: f64,
    /// Radius in kilometres (at most 500).
    pub radius_km: f64,
}

impl NearInput {
    pub fn parse(self, path: &str) -> Result<Near> {
        Near::parse(self.latitude, self.longitude, self.radius_km, path).map_err(gql)
    }
}

/// Narrows the agenda. Every criterion is optional; they combine with AND.
#[derive(InputObject, Default)]
#[graphql(name = "EventFilter")]
pub struct EventFilterInput {
    /// Occurrences starting at or after this instant (default: now).
    pub from: Option<DateTime<Utc>>,
    /// Occurrences starting before this instant (default: one year after `from`).
    pub to: Option<DateTime<Utc>>,
    /// Category slugs: keeps events carrying at least one.
    pub categories: Option<Vec<String>>,
    /// Department slugs: keeps their events and their sub-departments' events.
    pub departments: Option<Vec<String>>,
    /// A site slug: keeps what that site shows.
    pub site: Option<String>,
    /// Keeps events whose place lies within the radius.
    pub near: Option<NearInput>,
    /// Only free (true) or only paying (false) events.
    pub free: Option<bool>,
    /// An age in years: keeps events whose age range includes it.
    pub audience: Option<i32>,
    /// Keeps events accessible for every listed need.
    pub accessibility: Option<Vec<AccessibilityFlag>>,
    /// Keeps events in one of these statuses.
    pub status: Option<Vec<EventStatus>>,
}

/// The site scope of a list: the filter's `site`, or the request's site header.
pub(super) async fn effective_scope(
    ctx: &Context<'_>,
    filter_site: Option<&str>,
    field: &str,
) -> Result<Option<silo_domain::site::SiteScope>> {
    let request = ctx.data_unchecked::<RequestContext>();
    let Some(slug) = filter_site else {
        return Ok(request.scope.clone());
    };
    if let Some(site) = &request.site
        && site.slug != slug
    {
        return Err(bad_input(
            field,
            "differs from the site this request is made for",
        ));
    }
    let store = ctx.data_unchecked::<Store>();
    match super::resolve_site(store, slug).await {
        Ok((_, scope)) => Ok(Some(scope)),
        Err(silo_domain::DomainError::NotFound { .. }) => {
            Err(bad_input(field, format!("no site `{slug}`")))
        }
        Err(e) => Err(gql(e)),
    }
}

/// Category (or tag) slugs to ids; an unknown slug is a bad input.
pub(super) async fn term_ids(
    store: &Store,
    kind: silo_domain::content::TermKind,
    slugs: Option<&[String]>,
    field: &str,
) -> Result<Vec<Uuid>> {
    let Some(slugs) = slugs.filter(|s| !s.is_empty()) else {
        return Ok(Vec::new());
    };
    let terms = store.terms_by_slugs(kind, slugs).await.map_err(gql)?;
    if let Some(missing) = slugs.iter().find(|s| !terms.iter().any(|t| &t.slug == *s)) {
        return Err(bad_input(
            field,
            format!("no {} `{missing}`", kind.as_str()),
        ));
    }
    Ok(terms.into_iter().map(|t| t.id).collect())
}

/// Department slugs to ids, each with its sub-departments.
pub(super) async fn department_ids(
    store: &Store,
    slugs: Option<&[String]>,
    field: &str,
) -> Result<Vec<Uuid>> {
    let Some(slugs) = slugs.filter(|s| !s.is_empty()) else {
        return Ok(Vec::new());
    };
    let all = store.departments().await.map_err(gql)?;
    let mut ids = Vec::new();
    for slug in slugs {
        let Some(root) = all.iter().find(|d| &d.slug == slug) else {
            return Err(bad_input(field, format!("no department `{slug}`")));
        };
        ids.extend(silo_domain::department::subtree(&all, root.id));
    }
    ids.sort();
    ids.dedup();
    Ok(ids)
}

impl EventFilterInput {
    async fn parse(self, store: &Store) -> Result<EventFilter> {
        let audience_age =
            match self.audience {
                None => None,
                Some(age) => Some(u8::try_from(age).ok().filter(|a| *a <= 120).ok_or_else(
                    || bad_input("filter.audience", "must be an age between 0 and 120"),
                )?),
            };
        let mut accessibility = Accessibility::default();
        for flag in self.accessibility.unwrap_or_default() {
            match flag {
                AccessibilityFlag::Wheelchair => accessibility.wheelchair = true,
                AccessibilityFlag::Hearing => accessibility.hearing = true,
                AccessibilityFlag::Visual => accessibility.visual = true,
                AccessibilityFlag::Mental => accessibility.mental = true,
            }
        }
        Ok(EventFilter {
            from: self.from,
            to: self.to,
            category_ids: term_ids(
                store,
                silo_domain::content::TermKind::Category,
                self.categories.as_deref(),
                "filter.categories",
            )
            .await?,
            department_ids: department_ids(
                store,
                self.departments.as_deref(),
                "filter.departments",
            )
            .await?,
            near: self.near.map(|n| n.parse("filter.near")).transpose()?,
            free: self.free,
            audience_age,
            accessibility,
            statuses: self
                .status
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect(),
            updated_since: None,
        })
    }
}

/// Agenda queries.
#[derive(Default)]
pub struct AgendaQuery;

#[Object]
impl AgendaQuery {
    /// Occurrences of published events inside the window, in start order: a weekly market
    /// appears once per week. Relay paging (`first` at most 100).
    async fn events(
        &self,
        ctx: &Context<'_>,
        filter: Option<EventFilterInput>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, OccurrenceNode>> {
        let store = ctx.data_unchecked::<Store>();
        let page = PageRequest::parse(first, after.as_deref(), |c| {
            let (starts_at, id) = cursor::decode_instant(CURSOR_KIND, c)?;
            Ok(OccurrenceKey { starts_at, id })
        })?;
        let (limit, after) = (page.limit, page.after);
        let filter = filter.unwrap_or_default();
        let scope = effective_scope(ctx, filter.site.as_deref(), "filter.site").await?;
        let filter = filter.parse(store).await?;
        let now = Utc::now();
        let rows = store
            .occurrences_page(&filter, scope.as_ref(), now, after, limit + 1)
            .await
            .map_err(gql)?;
        trail::list(ctx, ContentKind::Event, scope.as_ref());
        if filter.from.is_none() && trail::recording(ctx) {
            let first = rows.first().map(|(o, _)| o.starts_at);
            let scope = scope.as_ref();
            let boundary = moving_window(
                now,
                &filter,
                first,
                rows.len() > limit,
                |beyond| async move { store.occurrences_page(&beyond, scope, now, None, 1).await },
            )
            .await?;
            trail::until(ctx, boundary);
        }
        let node = ctx.look_ahead().field("edges").field("node").field("event");
        let related = Prefetch::of(rows.iter().take(limit).map(|(_, e)| e), &node);
        ctx.data_unchecked::<Loaders>().prefetch(related).await?;
        Ok(cursor::connection(
            rows,
            limit,
            after.is_some(),
            |(occ, _)| cursor::encode_instant(CURSOR_KIND, occ.starts_at, occ.id),
            |(occurrence, event)| OccurrenceNode {
                occurrence,
                event: Some(Arc::new(event)),
            },
        ))
    }

    /// A published event by id or slug (exactly one of them).
    async fn event(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
        slug: Option<String>,
    ) -> Result<Option<EventNode>> {
        let store = ctx.data_unchecked::<Store>();
        let scope = ctx.data_unchecked::<RequestContext>().scope.as_ref();
        let id = match (&id, &slug) {
            (Some(id), None) => {
                Some(Uuid::parse_str(id).map_err(|_| bad_input("id", "is not an event id"))?)
            }
            (None, Some(_)) => None,
            _ => return Err(bad_input("id", "give exactly one of id and slug")),
        };
        if let Some(slug) = &slug {
            trail::slug(ctx, ContentKind::Event, slug);
        }
        match store.event(id, slug.as_deref(), scope).await.map_err(gql)? {
            Some(event) => {
                trail::item(ctx, ContentKind::Event, event.id);
                Ok(Some(EventNode(Arc::new(event))))
            }
            None => Err(gql(silo_domain::DomainError::not_found("event"))),
        }
    }
}

/// When an answer over a window starting now changes by time alone (see
/// `freshness::moving_window_boundary`); `beyond` reads the first occurrence past the
/// window's end when the page is not full and the end moves with now.
pub(super) async fn moving_window<F, Fut, T>(
    now: DateTime<Utc>,
    filter: &EventFilter,
    first_start: Option<DateTime<Utc>>,
    page_full: bool,
    beyond: F,
) -> Result<DateTime<Utc>>
where
    F: FnOnce(EventFilter) -> Fut,
    Fut: std::future::Future<Output = Result<Vec<T>, silo_domain::DomainError>>,
    T: StartsAt,
{
    let (from, to) = filter.window(now).map_err(gql)?;
    let length = to - from;
    let end_moves = filter.to.is_none();
    let next_beyond = if page_full || !end_moves {
        None
    } else {
        let past_end = EventFilter {
            from: Some(to),
            to: Some(to + length),
            ..filter.clone()
        };
        beyond(past_end)
            .await
            .map_err(gql)?
            .first()
            .map(StartsAt::starts_at)
    };
    Ok(silo_domain::freshness::moving_window_boundary(
        now,
        length,
        first_start,
        page_full || !end_moves,
        next_beyond,
    ))
}

/// What a window's rows start at.
pub(super) trait StartsAt {
    fn starts_at(&self) -> DateTime<Utc>;
}

impl StartsAt for (silo_domain::event::Occurrence, silo_domain::event::Event) {
    fn starts_at(&self) -> DateTime<Utc> {
        self.0.starts_at
    }
}

impl StartsAt for silo_domain::event::Occurrence {
    fn starts_at(&self) -> DateTime<Utc> {
        self.starts_at
    }
}
