//! `evenements.csv` and `occurrences.csv`, written with the `csv` crate (RFC 4180 quoting,
//! CRLF), and the `datapackage.json` that ties them to their Table Schemas.

use super::export::{Context, Format, Page};
use serde_json::{Value, json};
use silo_domain::DomainError;
use silo_domain::agenda_table::{self, EVENT_COLUMNS, OCCURRENCE_COLUMNS};
use silo_storage::Store;

/// Where the Table Schemas are published (schema.data.gouv.fr has no agenda schema).
pub const SCHEMA_BASE: &str = "/opendata/agenda/schemas";

/// One of the two agenda tables.
pub enum Table {
    Events,
    Occurrences,
}

impl Format for Table {
    async fn head(&self, _: &Store, _: &Context) -> Result<String, DomainError> {
        match self {
            Self::Events => record(EVENT_COLUMNS),
            Self::Occurrences => record(OCCURRENCE_COLUMNS),
        }
    }

    fn page(&self, page: &Page, context: &Context) -> Result<String, DomainError> {
        let mut writer = writer();
        for event in &page.events {
            let occurrences = page.occurrences(event);
            match self {
                Self::Events => {
                    let row = page.row(event, context.event_url(event));
                    writer
                        .write_record(agenda_table::event_row(event, &row))
                        .map_err(written)?;
                }
                Self::Occurrences => {
                    for row in agenda_table::occurrence_rows(event, occurrences) {
                        writer.write_record(row).map_err(written)?;
                    }
                }
            }
        }
        finish(writer)
    }
}

fn writer() -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new())
}

fn record<const N: usize>(columns: [&str; N]) -> Result<String, DomainError> {
    csv_record(columns)
}

/// One CSV line (a header).
pub fn csv_record<const N: usize>(columns: [&str; N]) -> Result<String, DomainError> {
    csv_records([columns.map(str::to_owned).to_vec()])
}

/// CSV lines, quoted as needed, CRLF-terminated.
pub fn csv_records(records: impl IntoIterator<Item = Vec<String>>) -> Result<String, DomainError> {
    let mut writer = writer();
    for record in records {
        writer.write_record(record).map_err(written)?;
    }
    finish(writer)
}

fn finish(writer: csv::Writer<Vec<u8>>) -> Result<String, DomainError> {
    let bytes = writer
        .into_inner()
        .map_err(|e| DomainError::Internal(e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| DomainError::Internal(e.to_string()))
}

fn written(e: csv::Error) -> DomainError {
    DomainError::Internal(format!("writing CSV: {e}"))
}

/// The Frictionless data package of the agenda tables.
pub fn datapackage(base: &str, query: &str) -> Value {
    let suffix = if query.is_empty() {
        String::new()
    } else {
        format!("?{query}")
    };
    let licence = json!({
        "name": "etalab-2.0",
        "title": "Licence Ouverte / Open Licence version 2.0",
        "path": "https://www.etalab.gouv.fr/licence-ouverte-open-licence",
    });
    let resource = |name: &str| {
        json!({
            "name": name,
            "path": format!("{base}/opendata/{name}.csv{suffix}"),
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8",
            "profile": "tabular-data-resource",
            "schema": format!("{base}{SCHEMA_BASE}/{name}.schema.json"),
        })
    };
    json!({
        "profile": "tabular-data-package",
        "name": "agenda",
        "title": "Agenda des manifestations",
        "licenses": [licence],
        "resources": [resource("evenements"), resource("occurrences")],
    })
}

/// The Table Schemas, as shipped in `standards/silo-agenda/`.
pub fn schema(name: &str) -> Option<&'static str> {
    match name {
        "evenements" => Some(include_str!("schemas/evenements.schema.json")),
        "occurrences" => Some(include_str!("schemas/occurrences.schema.json")),
        _ => None,
    }
}
