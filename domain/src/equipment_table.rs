//! Facilities as the SCDL "Équipements" 0.1.5 table (OpenDataFrance). Every column the
//! schema requires must be filled, so a service appears only when it has a nomenclature
//! entry and a place with coordinates and a numbered street address; the others are left
//! out (and counted by the caller).

use crate::place::Place;
use crate::public_service::PublicService;

pub const EQUIPMENT_COLUMNS: [&str; 21] = [
    "COLL_NOM",
    "COLL_SIRET",
    "EQUIP_UID",
    "EQUIP_THEME",
    "EQUIP_CODE",
    "EQUIP_TYPE",
    "EQUIP_NOM",
    "ADR_NUMERO",
    "ADR_NOMVOIE",
    "ADR_CODEPOSTAL",
    "ADR_COMMUNE",
    "ADR_CLE_INTEROP",
    "ERP_ID",
    "ERP_TYPE",
    "ERP_CATEGORIE",
    "EQUIP_LAT",
    "EQUIP_LONG",
    "EQUIP_OUVERTURE",
    "EQUIP_TEL",
    "EQUIP_EMAIL",
    "EQUIP_WEB",
];

/// The local authority publishing the table.
#[derive(Debug, Clone)]
pub struct Collectivity {
    pub name: String,
    /// 14 digits.
    pub siret: String,
    /// The commune's INSEE code (5 characters, `2A004` in Corsica).
    pub insee: String,
}

/// `36 bis avenue Ardouin` → (`36 bis`, `avenue Ardouin`); `None` without a number.
pub fn split_street(street: &str) -> Option<(String, String)> {
    let street = street.trim();
    let digits = street.chars().take_while(char::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let (number, rest) = street.split_at(digits);
    let rest = rest.trim_start_matches([',', ' ']);
    let mut words = rest.splitn(2, ' ');
    let first = words.next().unwrap_or_default().trim_end_matches(',');
    let suffix = ["bis", "ter", "quater", "quinquies", "b", "t", "q"];
    let (number, way) = if suffix.contains(&first.to_lowercase().as_str()) {
        (
            format!("{number} {first}"),
            words
                .next()
                .unwrap_or_default()
                .trim_start_matches([',', ' ']),
        )
    } else {
        (number.to_owned(), rest)
    };
    let way = street_name(way);
    (way.chars().count() >= 3).then_some((number, way))
}

/// What the schema's street pattern admits: letters (Latin-1 accents), digits, dashes,
/// straight apostrophes and spaces.
fn street_name(raw: &str) -> String {
    latin1(raw, |c| {
        c.is_ascii_alphanumeric() || matches!(c, '-' | '\'' | ' ')
    })
}

/// What the schema's commune pattern admits: letters (Latin-1 accents), dashes, spaces.
fn commune_name(raw: &str) -> String {
    latin1(raw, |c| c.is_ascii_alphabetic() || matches!(c, '-' | ' '))
}

fn latin1(raw: &str, plain: impl Fn(char) -> bool) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            'œ' => out.push_str("oe"),
            'Œ' => out.push_str("OE"),
            'æ' => out.push_str("ae"),
            '’' | '\'' if plain('\'') => out.push('\''),
            c if plain(c) || ('\u{C0}'..='\u{FF}').contains(&c) => out.push(c),
            _ => out.push(' '),
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `+33 140633900` from a French number, as the schema's 13 characters allow.
fn phone(raw: &str) -> String {
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    let national = match digits.len() {
        10 if digits.starts_with('0') => &digits[1..],
        11 if digits.starts_with("33") => &digits[2..],
        _ => return String::new(),
    };
    format!("+33 {national}")
}

/// The service's row, or `None` when a required column would be empty.
pub fn equipment_row(
    collectivity: &Collectivity,
    service: &PublicService,
    place: Option<&Place>,
) -> Option<Vec<String>> {
    let f = &service.fields;
    let equipment = f.equipment.as_ref()?;
    let place = place?;
    let (latitude, longitude) = (place.latitude?, place.longitude?);
    let (number, way) = split_street(place.street_address.as_deref()?)?;
    let postal_code = place.postal_code.clone().filter(|c| c.len() <= 5)?;
    let commune = commune_name(&place.city);
    if commune.is_empty() {
        return None;
    }
    Some(vec![
        collectivity.name.clone(),
        collectivity.siret.clone(),
        format!("{}-{}", collectivity.insee, equipment.code),
        equipment.theme.label().to_owned(),
        equipment.code.clone(),
        equipment.type_name.clone(),
        f.name.clone(),
        number,
        way,
        postal_code,
        commune,
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        format!("{latitude:.6}"),
        format!("{longitude:.6}"),
        f.opening_hours.clone().unwrap_or_default(),
        f.phone.as_deref().map(phone).unwrap_or_default(),
        f.email.clone().unwrap_or_default(),
        f.procedure_url.clone().unwrap_or_default(),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streets_split_into_number_and_way() {
        let split = |s| split_street(s).map(|(n, w)| format!("{n}|{w}"));
        assert_eq!(
            split("36 avenue Ardouin").as_deref(),
            Some("36|avenue Ardouin")
        );
        assert_eq!(
            split("36 bis, avenue Ardouin").as_deref(),
            Some("36 bis|avenue Ardouin")
        );
        assert_eq!(
            split("2 rue du Cœur-Volant").as_deref(),
            Some("2|rue du Coeur-Volant")
        );
        assert_eq!(
            split("12 place de l’Église").as_deref(),
            Some("12|place de l'Église")
        );
        assert_eq!(split("Lieu-dit Les Landes"), None);
    }

    #[test]
    fn phones_fit_thirteen_characters() {
        assert_eq!(phone("01 40 63 39 00"), "+33 140633900");
        assert_eq!(phone("+33 1 40 63 39 00"), "+33 140633900");
        assert_eq!(phone("3939"), "");
    }

    #[test]
    fn communes_keep_letters_and_dashes() {
        assert_eq!(commune_name("L'Haÿ-les-Roses"), "L Haÿ-les-Roses");
    }
}
