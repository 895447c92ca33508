//! The forty places of the demo city: public buildings, venues, parks and squares.
//!
//! Generators find venues by a word of their name ("Théâtre", "Gymnase"…), so the names
//! here carry the kind of place they are.

use super::{CITY_CENTER, CITY_NAME, Dice};
use crate::place::{Place, PlaceInput};
use chrono::{DateTime, Utc};

/// Name, street address, postal code (centre 44900, north 44910, south 44920).
const PLACES: &[(&str, &str, &str)] = &[
    ("Hôtel de ville", "1 place de la République", "44900"),
    ("Mairie annexe du Bourg", "4 rue de l'Église", "44910"),
    (
        "Mairie annexe de Saint-Clair",
        "27 avenue de Saint-Clair",
        "44920",
    ),
    ("Mairie annexe des Coteaux", "2 allée des Vignes", "44910"),
    (
        "Médiathèque Jacques-Prévert",
        "12 rue des Tanneurs",
        "44900",
    ),
    ("Médiathèque du Port", "3 quai des Mariniers", "44900"),
    (
        "Bibliothèque de Saint-Clair",
        "8 place Saint-Clair",
        "44920",
    ),
    ("Théâtre municipal", "5 place du Théâtre", "44900"),
    ("Auditorium des Coteaux", "15 rue Claude-Debussy", "44910"),
    ("Conservatoire Maurice-Ravel", "18 rue des Écoles", "44900"),
    ("Église Saint-Martin", "2 place Saint-Martin", "44900"),
    ("Chapelle de l'Oratoire", "9 rue de l'Oratoire", "44900"),
    ("Salle des fêtes du Bourg", "21 route de Nantes", "44910"),
    (
        "Salle polyvalente des Coteaux",
        "6 rue des Pressoirs",
        "44910",
    ),
    ("Galerie municipale", "9 rue du Change", "44900"),
    ("Musée des Mariniers", "11 quai de la Loire", "44900"),
    ("Château de la Motte", "chemin de la Motte", "44920"),
    ("Cinéma Le Lux", "21 boulevard Gambetta", "44900"),
    ("Gymnase Jean-Moulin", "40 avenue Jean-Moulin", "44920"),
    ("Gymnase Pierre-de-Coubertin", "3 rue du Stade", "44910"),
    ("Stade municipal de la Roche", "route de la Roche", "44920"),
    (
        "Complexe sportif des Trois-Moulins",
        "1 allée des Sports",
        "44910",
    ),
    ("Piscine Léo-Lagrange", "14 rue Léo-Lagrange", "44920"),
    (
        "Centre nautique des Bords de Loire",
        "quai Ernest-Renaud",
        "44900",
    ),
    ("Dojo municipal", "7 rue du Stade", "44910"),
    ("Parc des Oblates", "boulevard des Oblates", "44900"),
    ("Jardin des plantes", "rue Stanislas-Baudry", "44900"),
    ("Place du Marché", "place du Marché", "44900"),
    ("Halles centrales", "10 rue des Halles", "44900"),
    ("Esplanade des Mariniers", "quai des Mariniers", "44900"),
    ("Maison des associations", "25 rue Paul-Bert", "44900"),
    (
        "Centre social de la Madeleine",
        "4 place de la Madeleine",
        "44920",
    ),
    (
        "Maison de quartier de Saint-Clair",
        "30 rue du Moulin",
        "44920",
    ),
    (
        "Espace jeunes Nelson-Mandela",
        "2 rue Nelson-Mandela",
        "44920",
    ),
    ("Ludothèque des Coteaux", "8 rue des Pressoirs", "44910"),
    ("Office de tourisme", "2 place du Commerce", "44900"),
    ("Maison de l'environnement", "45 chemin des Landes", "44910"),
    ("Déchetterie des Landes", "route des Landes", "44910"),
    (
        "Centre communal d'action sociale",
        "6 rue de la République",
        "44900",
    ),
    ("Police municipale", "3 rue de la République", "44900"),
];

/// Places lie within this distance of the town hall, in kilometres.
const RADIUS_KM: f64 = 4.5;

/// The city's places; the town hall is at the centre, the others scattered around it.
pub(super) fn places(now: DateTime<Utc>) -> Vec<Place> {
    let mut dice = Dice::new("places", 0, now);
    PLACES
        .iter()
        .enumerate()
        .map(|(i, &(name, street, postal_code))| {
            let (latitude, longitude) = if i == 0 {
                CITY_CENTER
            } else {
                position(&mut dice)
            };
            let input = PlaceInput {
                name: name.to_owned(),
                street_address: Some(street.to_owned()),
                postal_code: Some(postal_code.to_owned()),
                city: CITY_NAME.to_owned(),
                latitude: Some(round6(latitude)),
                longitude: Some(round6(longitude)),
            };
            input
                .validate(dice.id(), "place")
                .expect("demo place is valid")
        })
        .collect()
}

/// A point uniformly spread over the disc of [`RADIUS_KM`] around the centre.
fn position(dice: &mut Dice) -> (f64, f64) {
    const KM_PER_DEGREE: f64 = 111.32;
    let distance = RADIUS_KM * dice.rng.f64().sqrt();
    let bearing = std::f64::consts::TAU * dice.rng.f64();
    let (lat0, lon0) = CITY_CENTER;
    let dlat = distance * bearing.cos() / KM_PER_DEGREE;
    let dlon = distance * bearing.sin() / (KM_PER_DEGREE * lat0.to_radians().cos());
    (lat0 + dlat, lon0 + dlon)
}

/// Six decimals (about 10 cm), as a geocoder would give.
fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}
