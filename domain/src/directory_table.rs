//! The associations directory as a table (`associations.csv`): the columns proposed in
//! OPENDATA.md §2.3, named after data.inclusion and LaMednum so the same tooling applies;
//! identified by SIRET or, without one, RNA; several values separated by `|`.

use crate::agenda_table::instant;
use crate::association::Association;
use crate::place::Place;

pub const ASSOCIATION_COLUMNS: [&str; 18] = [
    "id",
    "nom",
    "sigle",
    "objet",
    "siret",
    "rna",
    "adresse",
    "code_postal",
    "code_insee",
    "commune",
    "latitude",
    "longitude",
    "telephone",
    "courriel",
    "site_web",
    "horaires",
    "thematiques",
    "date_maj",
];

/// The row of an association, in [`ASSOCIATION_COLUMNS`] order.
pub fn association_row(
    association: &Association,
    place: Option<&Place>,
    themes: &[String],
) -> Vec<String> {
    let f = &association.fields;
    let text = |s: &Option<String>| s.clone().unwrap_or_default();
    let coordinate = |c: Option<f64>| c.map(|c| format!("{c:.6}")).unwrap_or_default();
    vec![
        association.id.to_string(),
        f.name.clone(),
        String::new(),
        f.purpose
            .as_deref()
            .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
            .unwrap_or_default(),
        text(&f.siret),
        text(&f.rna),
        place
            .and_then(|p| p.street_address.clone())
            .unwrap_or_default(),
        place
            .and_then(|p| p.postal_code.clone())
            .unwrap_or_default(),
        String::new(),
        place.map(|p| p.city.clone()).unwrap_or_default(),
        coordinate(place.and_then(|p| p.latitude)),
        coordinate(place.and_then(|p| p.longitude)),
        text(&f.phone),
        text(&f.email),
        text(&f.website),
        String::new(),
        themes.join("|"),
        instant(association.publication.updated_at),
    ]
}
