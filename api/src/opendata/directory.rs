//! The directories: `associations.csv` and `services.json` (data.inclusion `service`),
//! published items only (in a site's scope when asked), streamed a page at a time in
//! name order.

use super::export::{places_by_id, terms_by_item};
use super::params::Feed;
use actix_web::web::Bytes;
use futures::Stream;
use futures::future::LocalBoxFuture;
use silo_domain::DomainError;
use silo_domain::association::Association;
use silo_domain::directory_table::{ASSOCIATION_COLUMNS, association_row};
use silo_domain::equipment_table::{Collectivity, EQUIPMENT_COLUMNS, equipment_row};
use silo_domain::public_service::PublicService;
use silo_domain::query::{AssociationFilter, ServiceFilter, fold_for_search};
use silo_domain::services_json;
use silo_storage::Store;
use std::rc::Rc;
use std::sync::Arc;
use uuid::Uuid;

const PAGE: usize = 500;

type Key = (String, Uuid);

enum State {
    Head,
    Rows(Option<Key>, bool),
    Done,
}

/// A head, pages of items rendered as they are loaded (`first` tells the first page),
/// then a tail.
fn pages<T: 'static>(
    head: String,
    tail: String,
    load: impl Fn(Option<Key>) -> LocalBoxFuture<'static, Result<Vec<T>, DomainError>> + 'static,
    key: impl Fn(&T) -> Key + 'static,
    render: impl Fn(Vec<T>, bool) -> LocalBoxFuture<'static, Result<String, DomainError>> + 'static,
) -> impl Stream<Item = Result<Bytes, actix_web::Error>> {
    let parts = Rc::new((head, tail, load, key, render));
    futures::stream::try_unfold(State::Head, move |state| {
        let parts = parts.clone();
        async move {
            let (head, tail, load, key, render) = &*parts;
            let (chunk, next) = match state {
                State::Done => return Ok(None),
                State::Head => (head.clone(), State::Rows(None, true)),
                State::Rows(after, first) => {
                    let items = load(after).await.map_err(stopped)?;
                    match items.last().map(key) {
                        None => (tail.clone(), State::Done),
                        Some(last) => (
                            render(items, first).await.map_err(stopped)?,
                            State::Rows(Some(last), false),
                        ),
                    }
                }
            };
            Ok(Some((Bytes::from(chunk), next)))
        }
    })
}

pub fn associations(
    store: Arc<Store>,
    feed: Feed,
) -> Result<impl Stream<Item = Result<Bytes, actix_web::Error>>, DomainError> {
    let head = super::table::csv_record(ASSOCIATION_COLUMNS)?;
    let feed = Rc::new(feed);
    let (loading, rendering) = (store.clone(), store);
    let load = move |after: Option<Key>| {
        let (store, feed) = (loading.clone(), feed.clone());
        Box::pin(async move {
            let filter = AssociationFilter {
                category_ids: feed.filter.category_ids.clone(),
                ..AssociationFilter::default()
            };
            store
                .associations_page(&filter, feed.scope.as_ref(), after.as_ref(), PAGE)
                .await
        }) as LocalBoxFuture<'static, _>
    };
    let render = move |page: Vec<Association>, _first: bool| {
        let store = rendering.clone();
        Box::pin(async move {
            let ids: Vec<Uuid> = page.iter().map(|a| a.id).collect();
            let place_ids: Vec<Uuid> = page.iter().filter_map(|a| a.fields.place_id).collect();
            let places = places_by_id(&store, &place_ids).await?;
            let terms = terms_by_item(&store, &ids).await?;
            super::table::csv_records(page.iter().map(|a| {
                let place = a.fields.place_id.and_then(|id| places.get(&id));
                let themes: Vec<String> = terms
                    .get(&a.id)
                    .into_iter()
                    .flatten()
                    .map(|t| t.name.clone())
                    .collect();
                association_row(a, place, &themes)
            }))
        }) as LocalBoxFuture<'static, _>
    };
    let key = |a: &Association| (fold_for_search(&a.fields.name), a.id);
    Ok(pages(head, String::new(), load, key, render))
}

/// The facilities as the SCDL Équipements table; services without a nomenclature entry or
/// a numbered, geolocated address are left out.
pub fn equipments(
    store: Arc<Store>,
    feed: Feed,
    collectivity: Collectivity,
) -> Result<impl Stream<Item = Result<Bytes, actix_web::Error>>, DomainError> {
    let head = super::table::csv_record(EQUIPMENT_COLUMNS)?;
    let feed = Rc::new(feed);
    let collectivity = Rc::new(collectivity);
    let (loading, rendering) = (store.clone(), store);
    let load = move |after: Option<Key>| {
        let (store, feed) = (loading.clone(), feed.clone());
        Box::pin(async move {
            store
                .services_page(
                    &ServiceFilter::default(),
                    feed.scope.as_ref(),
                    after.as_ref(),
                    PAGE,
                )
                .await
        }) as LocalBoxFuture<'static, _>
    };
    let render = move |page: Vec<PublicService>, _first: bool| {
        let (store, collectivity) = (rendering.clone(), collectivity.clone());
        Box::pin(async move {
            let place_ids: Vec<Uuid> = page.iter().filter_map(|s| s.fields.place_id).collect();
            let places = places_by_id(&store, &place_ids).await?;
            super::table::csv_records(page.iter().filter_map(|s| {
                let place = s.fields.place_id.and_then(|id| places.get(&id));
                equipment_row(&collectivity, s, place)
            }))
        }) as LocalBoxFuture<'static, _>
    };
    let key = |s: &PublicService| (s.fields.name.clone(), s.id);
    Ok(pages(head, String::new(), load, key, render))
}

/// The public services as a JSON array of data.inclusion `service` objects.
pub fn services(
    store: Arc<Store>,
    feed: Feed,
    source: services_json::Source,
) -> impl Stream<Item = Result<Bytes, actix_web::Error>> {
    let feed = Rc::new(feed);
    let source = Rc::new(source);
    let (loading, rendering) = (store.clone(), store);
    let load = move |after: Option<Key>| {
        let (store, feed) = (loading.clone(), feed.clone());
        Box::pin(async move {
            let filter = ServiceFilter::default();
            store
                .services_page(&filter, feed.scope.as_ref(), after.as_ref(), PAGE)
                .await
        }) as LocalBoxFuture<'static, _>
    };
    let render = move |page: Vec<PublicService>, first: bool| {
        let (store, source) = (rendering.clone(), source.clone());
        Box::pin(async move {
            let place_ids: Vec<Uuid> = page.iter().filter_map(|s| s.fields.place_id).collect();
            let places = places_by_id(&store, &place_ids).await?;
            let departments = store.departments().await?;
            let mut out = String::new();
            for (i, service) in page.iter().enumerate() {
                if i > 0 || !first {
                    out.push(',');
                }
                let place = service.fields.place_id.and_then(|id| places.get(&id));
                let department = departments
                    .iter()
                    .find(|d| d.id == service.fields.department_id);
                out += &services_json::service(&source, service, place, department).to_string();
            }
            Ok(out)
        }) as LocalBoxFuture<'static, _>
    };
    let key = |s: &PublicService| (s.fields.name.clone(), s.id);
    pages("[".to_owned(), "]".to_owned(), load, key, render)
}

fn stopped(e: DomainError) -> actix_web::Error {
    tracing::error!(error = %e, "a directory export stopped");
    actix_web::error::ErrorInternalServerError("the export stopped")
}
