//! `associations.csv`: the published associations (in a site's scope when asked), streamed
//! a page at a time in name order.

use super::params::Feed;
use actix_web::web::Bytes;
use futures::Stream;
use silo_domain::DomainError;
use silo_domain::directory_table::{ASSOCIATION_COLUMNS, association_row};
use silo_domain::query::{AssociationFilter, fold_for_search};
use silo_storage::Store;
use std::collections::HashMap;
use std::sync::Arc;

const PAGE: usize = 500;

enum State {
    Head,
    Rows(Option<(String, uuid::Uuid)>),
}

pub fn associations(
    store: Arc<Store>,
    feed: Feed,
) -> impl Stream<Item = Result<Bytes, actix_web::Error>> {
    let shared = Arc::new((store, feed));
    futures::stream::try_unfold(State::Head, move |state| {
        let shared = shared.clone();
        async move {
            let (store, feed) = &*shared;
            let (chunk, next) = match state {
                State::Head => (
                    super::table::csv_record(ASSOCIATION_COLUMNS),
                    State::Rows(None),
                ),
                State::Rows(after) => {
                    let filter = AssociationFilter {
                        category_ids: feed.filter.category_ids.clone(),
                        ..AssociationFilter::default()
                    };
                    let page = store
                        .associations_page(&filter, feed.scope.as_ref(), after.as_ref(), PAGE)
                        .await
                        .map_err(stopped)?;
                    let Some(last) = page.last() else {
                        return Ok(None);
                    };
                    let next = State::Rows(Some((fold_for_search(&last.fields.name), last.id)));
                    (rows(store, &page).await.map_err(stopped)?, next)
                }
            };
            Ok(Some((Bytes::from(chunk.map_err(stopped)?), next)))
        }
    })
}

async fn rows(
    store: &Store,
    page: &[silo_domain::association::Association],
) -> Result<Result<String, DomainError>, DomainError> {
    let place_ids: Vec<uuid::Uuid> = page.iter().filter_map(|a| a.fields.place_id).collect();
    let places: HashMap<_, _> = store
        .places_by_ids(&place_ids)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let ids: Vec<uuid::Uuid> = page.iter().map(|a| a.id).collect();
    let mut themes: HashMap<uuid::Uuid, Vec<String>> = HashMap::new();
    for (content, term) in store.terms_of(&ids).await? {
        themes.entry(content).or_default().push(term.name);
    }
    let records = page.iter().map(|a| {
        let place = a.fields.place_id.and_then(|id| places.get(&id));
        association_row(a, place, themes.get(&a.id).map_or(&[], Vec::as_slice))
    });
    Ok(super::table::csv_records(records))
}

fn stopped(e: DomainError) -> actix_web::Error {
    tracing::error!(error = %e, "associations.csv stopped");
    actix_web::error::ErrorInternalServerError("the export stopped")
}
