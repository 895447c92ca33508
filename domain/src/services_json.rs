//! A public service as a data.inclusion `service` (schema 1.0.9): identified as
//! `{source}--{id}`, attached to its department as the structure, address and opening
//! hours (OSM syntax) from its place and fields.

use crate::agenda_table::clip;
use crate::department::Department;
use crate::place::Place;
use crate::public_service::PublicService;
use serde_json::{Value, json};

/// Who produces the data, as data.inclusion identifies producers.
#[derive(Debug, Clone)]
pub struct Source {
    /// e.g. `silo-villeneuve`.
    pub name: String,
}

pub fn service(
    source: &Source,
    service: &PublicService,
    place: Option<&Place>,
    department: Option<&Department>,
) -> Value {
    let f = &service.fields;
    let structure = department.map_or_else(|| f.department_id.to_string(), |d| d.slug.clone());
    let mut modes = Vec::new();
    if place.is_some() {
        modes.push("en-presentiel");
    }
    if f.procedure_url.is_some() {
        modes.push("a-distance");
    }
    let description = if f.description_markdown.trim().is_empty() {
        f.name.clone()
    } else {
        f.description_markdown.clone()
    };
    let postal_code = place
        .and_then(|p| p.postal_code.clone())
        .filter(|c| c.len() == 5 && c.chars().all(|ch| ch.is_ascii_digit()));
    json!({
        "source": source.name,
        "structure_id": format!("{}--{structure}", source.name),
        "id": format!("{}--{}", source.name, service.id),
        "nom": clip(&pad_name(&f.name), 150),
        "description": description,
        "date_maj": service.publication.updated_at.date_naive().to_string(),
        "adresse": place.and_then(|p| p.street_address.clone()),
        "code_postal": postal_code,
        "commune": place.map(|p| p.city.clone()),
        "latitude": place.and_then(|p| p.latitude),
        "longitude": place.and_then(|p| p.longitude),
        "telephone": f.phone,
        "courriel": f.email,
        "horaires_accueil": f.opening_hours,
        "lien_mobilisation": f.procedure_url,
        "modes_accueil": if modes.is_empty() { Value::Null } else { json!(modes) },
    })
}

/// data.inclusion wants at least three characters.
fn pad_name(name: &str) -> String {
    if name.chars().count() >= 3 {
        name.to_owned()
    } else {
        format!("Service {name}")
    }
}
