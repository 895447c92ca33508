//! `agenda.json`: the agenda shaped like OpenAgenda's JSON, a page per request (`size`,
//! at most 300, and the `after` cursor the previous page gave). With `updated_since`, a
//! mirror gets the events saved since then and, on the first page, the tombstones of
//! those that left the public agenda, so it stays exact without downloading everything.

use super::export::{Context, page_of, tombstones};
use super::params::Refusal;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use silo_domain::agenda_api;
use silo_storage::Store;
use uuid::Uuid;

const DEFAULT_SIZE: u64 = 100;
const MAX_SIZE: u64 = 300;

/// Reads `size` and `after`.
pub fn paging(query: &[(String, String)]) -> Result<(u64, Option<Uuid>), Refusal> {
    let value = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let size = match value("size") {
        None => DEFAULT_SIZE,
        Some(raw) => raw
            .parse::<u64>()
            .ok()
            .filter(|n| (1..=MAX_SIZE).contains(n))
            .ok_or_else(|| Refusal::BadParameter {
                parameter: "size",
                message: format!("is a number from 1 to {MAX_SIZE}"),
            })?,
    };
    let after = value("after")
        .map(|raw| {
            URL_SAFE_NO_PAD
                .decode(raw)
                .ok()
                .and_then(|b| Uuid::from_slice(&b).ok())
                .ok_or(Refusal::BadParameter {
                    parameter: "after",
                    message: "is not a cursor of this list".to_owned(),
                })
        })
        .transpose()?;
    Ok((size, after))
}

/// The page after `after`, with the cursor of the next one.
pub async fn page(
    store: &Store,
    context: &Context,
    size: u64,
    after: Option<Uuid>,
) -> Result<Value, silo_domain::DomainError> {
    let feed = &context.feed;
    let mut events = store
        .agenda_events_page(
            &feed.filter,
            feed.scope.as_ref(),
            context.now,
            after,
            size + 1,
        )
        .await?;
    let more = events.len() as u64 > size;
    events.truncate(size as usize);
    let next = more
        .then(|| {
            events
                .last()
                .map(|e| URL_SAFE_NO_PAD.encode(e.id.as_bytes()))
        })
        .flatten();
    let window = feed.filter.window(context.now)?;
    let page = page_of(store, events, Some(window)).await?;
    let items: Vec<Value> = page
        .events
        .iter()
        .map(|e| agenda_api::event(e, &page.row(e, context.event_url(e))))
        .collect();
    let mut body = json!({ "events": items, "after": next });
    if let (Some(since), None) = (feed.params.updated_since, after) {
        body["tombstones"] = json!(tombstones(store, since).await?);
    }
    Ok(body)
}

/// The whole agenda in the same shape, as one document (`silo export agenda --format json`).
pub struct JsonList;

impl super::export::Format for JsonList {
    async fn head(&self, _: &Store, _: &Context) -> Result<String, silo_domain::DomainError> {
        Ok(r#"{"events":["#.to_owned())
    }

    fn page(
        &self,
        page: &super::export::Page,
        context: &Context,
    ) -> Result<String, silo_domain::DomainError> {
        let mut out = String::new();
        for (i, event) in page.events.iter().enumerate() {
            if i > 0 || !page.first {
                out.push(',');
            }
            let row = page.row(event, context.event_url(event));
            out += &agenda_api::event(event, &row).to_string();
        }
        Ok(out)
    }

    async fn tail(&self, _: &Store, _: &Context) -> Result<String, silo_domain::DomainError> {
        Ok("]}".to_owned())
    }
}
