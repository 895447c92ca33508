//! The city's organization: its departments, its taxonomy and its satellite sites.

use super::{CITY_DOMAIN, Dice};
use crate::content::{Term, TermKind};
use crate::department::{Department, DepartmentInput, ReviewPolicy};
use crate::field::{HttpUrl, Slug};
use crate::site::{Channel, Site};
use chrono::{DateTime, Utc};

/// A department: slug, name, parent slug (listed before it) and review policy.
type DepartmentSpec = (
    &'static str,
    &'static str,
    Option<&'static str>,
    ReviewPolicy,
);

/// Twelve departments. The general management and communication publish under the
/// four-eyes rule: a wrong logo on the homepage is exactly what it is meant to catch.
const DEPARTMENTS: &[DepartmentSpec] = &[
    (
        "direction-generale",
        "Direction générale des services",
        None,
        ReviewPolicy::FourEyes,
    ),
    (
        "communication",
        "Communication",
        Some("direction-generale"),
        ReviewPolicy::FourEyes,
    ),
    (
        "mission-internet",
        "Mission Internet",
        Some("direction-generale"),
        ReviewPolicy::None,
    ),
    ("culture", "Culture", None, ReviewPolicy::None),
    (
        "mediatheques",
        "Médiathèques",
        Some("culture"),
        ReviewPolicy::None,
    ),
    ("sports", "Sports", None, ReviewPolicy::None),
    ("etat-civil", "État civil", None, ReviewPolicy::FourEyes),
    (
        "vie-associative",
        "Vie associative",
        None,
        ReviewPolicy::None,
    ),
    ("jeunesse", "Jeunesse", None, ReviewPolicy::None),
    ("environnement", "Environnement", None, ReviewPolicy::None),
    ("tourisme", "Tourisme", None, ReviewPolicy::None),
    ("commerce", "Commerce et marchés", None, ReviewPolicy::None),
];

/// Categories: the shared vocabulary of the agenda, the directory and the services.
const CATEGORIES: &[(&str, &str)] = &[
    ("concert", "Concert"),
    ("exposition", "Exposition"),
    ("spectacle", "Spectacle"),
    ("marche", "Marché"),
    ("sport", "Sport"),
    ("atelier", "Atelier"),
    ("conference", "Conférence"),
    ("cinema", "Cinéma"),
    ("patrimoine", "Patrimoine"),
    ("jeunesse", "Jeunesse"),
    ("festival", "Festival"),
    ("conseil-municipal", "Conseil municipal"),
    ("lecture", "Lecture"),
    ("environnement", "Environnement"),
    ("solidarite", "Solidarité"),
    ("demarches", "Démarches"),
];

/// Free tags, as editors would add them.
const TAGS: &[(&str, &str)] = &[
    ("en-famille", "En famille"),
    ("plein-air", "Plein air"),
    ("nocturne", "Nocturne"),
    ("nouveaute", "Nouveauté"),
    ("centre-ville", "Centre-ville"),
    ("bords-de-loire", "Bords de Loire"),
    ("saint-clair", "Saint-Clair"),
    ("les-coteaux", "Les Coteaux"),
    ("la-madeleine", "La Madeleine"),
    ("ete", "Été"),
    ("noel", "Noël"),
    ("seniors", "Seniors"),
    ("petite-enfance", "Petite enfance"),
    ("ados", "Ados"),
    ("eco-responsable", "Éco-responsable"),
    ("benevolat", "Bénévolat"),
    ("musique-live", "Musique live"),
    ("sur-reservation", "Sur réservation"),
    ("lsf", "Traduit en langue des signes"),
    ("numerique", "Numérique"),
];

/// The department tree, parents first.
pub(super) fn departments(now: DateTime<Utc>) -> Vec<Department> {
    let mut dice = Dice::new("departments", 0, now);
    let mut out: Vec<Department> = Vec::with_capacity(DEPARTMENTS.len());
    for &(slug, name, parent, review_policy) in DEPARTMENTS {
        let parent_id = parent.map(|p| {
            out.iter()
                .find(|d| d.slug == p)
                .expect("parents are listed first")
                .id
        });
        let input = DepartmentInput {
            parent_id,
            slug: Some(slug.to_owned()),
            name: name.to_owned(),
            review_policy,
            time_zone: None,
        };
        out.push(input.validate(dice.id()).expect("demo department is valid"));
    }
    out
}

/// The categories.
pub(super) fn categories(now: DateTime<Utc>) -> Vec<Term> {
    terms(TermKind::Category, CATEGORIES, now)
}

/// The tags.
pub(super) fn tags(now: DateTime<Utc>) -> Vec<Term> {
    terms(TermKind::Tag, TAGS, now)
}

/// Terms have no input type of their own: the slug is checked with [`Slug::parse`].
fn terms(kind: TermKind, list: &[(&str, &str)], now: DateTime<Utc>) -> Vec<Term> {
    let mut dice = Dice::new(kind.as_str(), 0, now);
    list.iter()
        .map(|&(slug, name)| Term {
            id: dice.id(),
            kind,
            slug: Slug::parse(slug)
                .expect("demo term slug is valid")
                .into_string(),
            name: name.to_owned(),
            version: 1,
        })
        .collect()
}

/// The main portal (no restriction), the culture site (the Culture subtree) and the
/// tourism site (heritage, festivals and markets, whoever publishes them).
pub(super) fn sites(
    departments: &[Department],
    categories: &[Term],
    now: DateTime<Utc>,
) -> Vec<Site> {
    let mut dice = Dice::new("sites", 0, now);
    let department = |slug: &str| {
        departments
            .iter()
            .find(|d| d.slug == slug)
            .expect("demo department exists")
            .id
    };
    let category = |slug: &str| {
        categories
            .iter()
            .find(|t| t.slug == slug)
            .expect("demo category exists")
            .id
    };
    let specs = [
        ("portail", "Portail de la ville", "www", Channel::default()),
        (
            "culture",
            "Villeneuve Culture",
            "culture",
            Channel {
                department_ids: vec![department("culture")],
                ..Channel::default()
            },
        ),
        (
            "tourisme",
            "Office de tourisme",
            "tourisme",
            Channel {
                category_ids: ["patrimoine", "festival", "marche"].map(category).to_vec(),
                ..Channel::default()
            },
        ),
    ];
    specs
        .into_iter()
        .map(|(slug, name, host, channel)| Site {
            id: dice.id(),
            slug: Slug::parse(slug)
                .expect("demo site slug is valid")
                .into_string(),
            name: name.to_owned(),
            base_url: HttpUrl::parse(&format!("https://{host}.{CITY_DOMAIN}"))
                .expect("demo site URL is valid")
                .as_str()
                .to_owned(),
            channel,
            version: 1,
        })
        .collect()
}
