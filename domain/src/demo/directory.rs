//! The associations directory: 300 clubs and societies with plausible names and valid
//! register numbers.

use super::{DemoCity, Dice, QUARTERS, numbered_slug, publication};
use crate::association::{Association, AssociationInput};
use crate::content::SiteTargets;
use crate::field::luhn_sum;
use crate::place::Place;
use chrono::{DateTime, Utc};
use std::collections::HashSet;

/// How many associations the city has.
const COUNT: usize = 300;

/// A family of associations: name patterns (`{q}` becomes a neighbourhood), what they
/// are for, and the department and category they belong to.
struct Theme {
    names: &'static [&'static str],
    purposes: &'static [&'static str],
    category: &'static str,
    department: &'static str,
    /// Words of the names of the places where they meet.
    places: &'static [&'static str],
}

const THEMES: &[Theme] = &[
    Theme {
        names: &[
            "Club de tennis de table {q}",
            "Judo club {q}",
            "Basket-ball club {q}",
            "Football club {q}",
            "Cercle d'escrime {q}",
            "Club de badminton {q}",
            "Vélo club {q}",
            "Club d'escalade {q}",
            "Amicale des boulistes {q}",
            "Randonneurs {q}",
            "Gymnastique volontaire {q}",
            "Handball club {q}",
            "Club de natation {q}",
        ],
        purposes: &[
            "Pratique sportive en loisir et en compétition, pour les enfants dès 6 ans comme pour les adultes.",
            "Entraînements, stages pendant les vacances scolaires et rencontres amicales toute l'année.",
            "Un club ouvert à tous les niveaux, où l'on vient d'abord pour le plaisir de jouer ensemble.",
        ],
        category: "sport",
        department: "sports",
        places: &["Gymnase", "Stade", "Complexe sportif", "Piscine", "Dojo"],
    },
    Theme {
        names: &[
            "Chorale {q}",
            "Harmonie {q}",
            "Ensemble vocal {q}",
            "École de musique {q}",
            "Big band {q}",
        ],
        purposes: &[
            "Faire vivre la musique amateur : répétitions hebdomadaires et concerts dans la ville.",
            "Chanter ensemble, sans audition, du répertoire classique aux musiques actuelles.",
        ],
        category: "concert",
        department: "culture",
        places: &[
            "Conservatoire",
            "Auditorium",
            "Salle des fêtes",
            "Maison des associations",
        ],
    },
    Theme {
        names: &[
            "Troupe de théâtre amateur {q}",
            "École de danse {q}",
            "Atelier d'improvisation {q}",
            "Compagnie des Tréteaux {q}",
        ],
        purposes: &[
            "Monter chaque année un spectacle avec des comédiens amateurs de tous âges.",
            "Cours, stages et spectacles de fin d'année pour petits et grands.",
        ],
        category: "spectacle",
        department: "culture",
        places: &["Théâtre", "Salle polyvalente", "Maison de quartier"],
    },
    Theme {
        names: &[
            "Club photo {q}",
            "Atelier de peinture {q}",
            "Ciné-club {q}",
            "Les Amis de la Bibliothèque {q}",
            "Club de lecture {q}",
        ],
        purposes: &[
            "Partager une passion, apprendre les uns des autres et exposer une fois par an.",
            "Rencontres mensuelles, sorties et échanges autour des œuvres.",
        ],
        category: "exposition",
        department: "culture",
        places: &["Médiathèque", "Galerie", "Maison des associations"],
    },
    Theme {
        names: &[
            "Les Amis du Vieux Villeneuve",
            "Société d'histoire {q}",
            "Mémoire des mariniers {q}",
            "Les Amis de l'église Saint-Martin",
            "Cercle généalogique {q}",
        ],
        purposes: &[
            "Étudier, protéger et faire connaître le patrimoine de la ville et de ses quartiers.",
            "Visites commentées, conférences et publication d'un bulletin annuel.",
        ],
        category: "patrimoine",
        department: "tourisme",
        places: &["Musée", "Maison des associations", "Office de tourisme"],
    },
    Theme {
        names: &[
            "Scouts et guides {q}",
            "Association des parents d'élèves {q}",
            "Les Petits Débrouillards {q}",
            "Ludothèque associative {q}",
            "Accueil de loisirs {q}",
        ],
        purposes: &[
            "Proposer aux enfants et aux jeunes des activités éducatives, le mercredi et pendant les vacances.",
            "Accompagner les familles et animer la vie de l'école.",
        ],
        category: "jeunesse",
        department: "jeunesse",
        places: &[
            "Espace jeunes",
            "Ludothèque",
            "Centre social",
            "Maison de quartier",
        ],
    },
    Theme {
        names: &[
            "Jardins partagés {q}",
            "Les Amis des oiseaux {q}",
            "Zéro déchet {q}",
            "Repair café {q}",
            "AMAP {q}",
        ],
        purposes: &[
            "Agir pour l'environnement au quotidien : ateliers, chantiers et sorties nature.",
            "Protéger la nature en ville et partager les savoir-faire avec les habitants.",
        ],
        category: "environnement",
        department: "environnement",
        places: &["Maison de l'environnement", "Jardin", "Centre social"],
    },
    Theme {
        names: &[
            "Entraide {q}",
            "Amicale des donneurs de sang {q}",
            "Accueil des villes françaises {q}",
            "Alphabétisation {q}",
            "Visiteurs de malades {q}",
            "Épicerie solidaire {q}",
        ],
        purposes: &[
            "Rompre l'isolement et venir en aide aux habitants qui en ont besoin.",
            "Des bénévoles au service de tous : accueil, accompagnement et collectes.",
        ],
        category: "solidarite",
        department: "vie-associative",
        places: &[
            "Maison des associations",
            "Centre social",
            "Maison de quartier",
        ],
    },
    Theme {
        names: &[
            "Comité des fêtes {q}",
            "Union des commerçants {q}",
            "Comité de jumelage {q}",
            "Les Amis du marché {q}",
        ],
        purposes: &[
            "Animer le quartier : fêtes, vide-greniers, marchés de producteurs et repas de rue.",
            "Faire vivre le commerce de proximité et les rendez-vous festifs de l'année.",
        ],
        category: "festival",
        department: "vie-associative",
        places: &["Salle des fêtes", "Maison des associations", "Halles"],
    },
];

/// The 300 associations, all published at `now`, with distinct names.
pub(super) fn associations(city: &DemoCity, now: DateTime<Utc>) -> Vec<Association> {
    let mut dice = Dice::new("associations", 0, now);
    let mut names = HashSet::with_capacity(COUNT);
    (0..COUNT)
        .map(|i| {
            let (theme, name) = unique_name(&mut dice, &mut names);
            association(city, &mut dice, theme, name, i, now)
        })
        .collect()
}

/// A theme and a name not used yet (retrying: there are about 500 combinations).
fn unique_name(dice: &mut Dice, used: &mut HashSet<String>) -> (&'static Theme, String) {
    loop {
        // Weighted by the number of patterns: sport clubs are the most numerous.
        let theme = dice.pick_weighted(THEMES, |t| t.names.len() as u32);
        let quarter = *dice.pick(QUARTERS);
        let name = dice.pick(theme.names).replace("{q}", quarter);
        if used.insert(name.clone()) {
            return (theme, name);
        }
    }
}

/// One association of `theme`.
fn association(
    city: &DemoCity,
    dice: &mut Dice,
    theme: &Theme,
    name: String,
    index: usize,
    now: DateTime<Utc>,
) -> Association {
    let slug = numbered_slug(&name, index);
    let handle = crate::field::Slug::from_title(&name);
    let host = format!("{handle}.example.org");
    let place: Option<&Place> = dice
        .chance(0.6)
        .then(|| *dice.pick(&city.places_matching(theme.places)));
    let input = AssociationInput {
        slug: Some(slug),
        department_id: city.department_id(theme.department),
        rna: Some(format!("W44{}", dice.digits(7))),
        siret: dice.chance(0.6).then(|| siret(dice)),
        purpose: Some(dice.pick(theme.purposes).to_string()),
        place_id: place.map(|p| p.id),
        email: dice.chance(0.9).then(|| format!("contact@{host}")),
        phone: dice.chance(0.7).then(|| dice.mobile()),
        website: dice.chance(0.7).then(|| format!("https://{host}/")),
        social_links: if dice.chance(0.3) {
            vec![format!(
                "https://social.example.org/@{}",
                host.replace('.', "_")
            )]
        } else {
            Vec::new()
        },
        logo_url: dice
            .chance(0.4)
            .then(|| format!("https://images.example.org/logos/{handle}.png")),
        category_ids: vec![city.category_id(theme.category)],
        sites: SiteTargets::All,
        name,
    };
    Association {
        id: dice.id(),
        publication: publication(now, false),
        fields: input.validate().expect("demo association is valid"),
    }
}

/// A SIRET: 13 random digits and the check digit that makes the Luhn sum a multiple of 10
/// (the last digit is not doubled, so it adds to the sum as it is).
fn siret(dice: &mut Dice) -> String {
    let body = dice.digits(13);
    let sum = luhn_sum(&format!("{body}0"));
    format!("{body}{}", (10 - sum % 10) % 10)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field::luhn_valid;

    #[test]
    fn sirets_pass_the_luhn_check() {
        let mut dice = Dice::new("siret-test", 0, chrono::DateTime::UNIX_EPOCH);
        for _ in 0..1000 {
            let s = siret(&mut dice);
            assert_eq!(s.len(), 14);
            assert!(luhn_valid(&s), "{s}");
        }
    }
}
