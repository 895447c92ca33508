//! `agenda.jsonld` (a schema.org graph of `Event`s, streamed) and
//! `events/{slug}.jsonld` (one event, the markup an event page embeds).

use super::export::{Context, Format, Page, tombstones};
use serde_json::{Value, json};
use silo_domain::DomainError;
use silo_domain::agenda_jsonld;
use silo_storage::Store;

pub struct JsonLd;

const CONTEXT: &str = "https://schema.org";

impl Format for JsonLd {
    async fn head(&self, _: &Store, _: &Context) -> Result<String, DomainError> {
        Ok(format!(r#"{{"@context":"{CONTEXT}","@graph":["#))
    }

    fn page(&self, page: &Page, context: &Context) -> Result<String, DomainError> {
        let mut out = String::new();
        for (i, event) in page.events.iter().enumerate() {
            if i > 0 || !page.first {
                out.push(',');
            }
            let node = agenda_jsonld::event(event, &page.row(event, context.event_url(event)));
            out += &node.to_string();
        }
        Ok(out)
    }

    /// With `updated_since`, the events removed since then follow the graph, as in
    /// `agenda.json`: a mirror applies both.
    async fn tail(&self, store: &Store, context: &Context) -> Result<String, DomainError> {
        match context.feed.params.updated_since {
            Some(since) => Ok(format!(
                r#"],"tombstones":{}}}"#,
                json!(tombstones(store, since).await?)
            )),
            None => Ok("]}".to_owned()),
        }
    }
}

/// One event as a JSON-LD document.
pub fn document(page: &Page, url: String) -> Option<Value> {
    let event = page.events.first()?;
    let mut node = agenda_jsonld::event(event, &page.row(event, url));
    node["@context"] = json!(CONTEXT);
    Some(node)
}
