//! News articles: what the city tells its residents, department by department.

use super::{CITY_DOMAIN, DemoCity, Dice, QUARTERS, is_draft, numbered_slug, publication};
use crate::content::SiteTargets;
use crate::news::{NewsArticle, NewsInput};
use chrono::{DateTime, Duration, Utc};

/// How many articles the city has published.
const COUNT: usize = 200;
/// Articles were published over this many days before `now`.
const SPREAD_DAYS: i64 = 180;

/// A kind of article: owning department, category, title (`{q}` becomes a neighbourhood),
/// summary and the alternative text of its illustration.
struct Template {
    department: &'static str,
    category: Option<&'static str>,
    title: &'static str,
    summary: &'static str,
    image_alt: &'static str,
}

const TEMPLATES: &[Template] = &[
    Template {
        department: "environnement",
        category: Some("environnement"),
        title: "Collecte des déchets verts : nouveaux horaires dans le quartier {q}",
        summary: "La collecte passe désormais le mardi matin ; sortez vos sacs la veille au soir.",
        image_alt: "Un camion de collecte devant une rangée de sacs de déchets verts",
    },
    Template {
        department: "environnement",
        category: Some("environnement"),
        title: "Le quartier {q} se met au compost",
        summary: "Trois composteurs partagés sont installés ; une formation gratuite est proposée aux habitants.",
        image_alt: "Des habitants autour d'un composteur en bois",
    },
    Template {
        department: "environnement",
        category: None,
        title: "Cent arbres plantés dans le quartier {q}",
        summary: "Tilleuls, érables et chênes verts remplacent les arbres malades abattus l'an dernier.",
        image_alt: "Jeunes arbres fraîchement plantés le long d'une rue",
    },
    Template {
        department: "sports",
        category: Some("sport"),
        title: "Piscine Léo-Lagrange : fermeture technique pour vidange",
        summary: "La piscine ferme deux semaines pour son entretien annuel ; le centre nautique reste ouvert.",
        image_alt: "Le grand bassin de la piscine, vide",
    },
    Template {
        department: "sports",
        category: Some("sport"),
        title: "Inscriptions ouvertes à l'école municipale des sports",
        summary: "Les enfants de 6 à 12 ans découvrent dix sports dans l'année, le mercredi après-midi.",
        image_alt: "Des enfants en tenue de sport dans un gymnase",
    },
    Template {
        department: "sports",
        category: Some("sport"),
        title: "Le club de handball {q} champion régional",
        summary: "Les seniors remportent le titre après une saison sans défaite : bravo à toute l'équipe.",
        image_alt: "L'équipe de handball brandissant un trophée",
    },
    Template {
        department: "mediatheques",
        category: Some("lecture"),
        title: "La médiathèque du Port ouvre le dimanche",
        summary: "À partir du mois prochain, la médiathèque vous accueille aussi le dimanche de 14 h à 18 h.",
        image_alt: "La salle de lecture de la médiathèque, baignée de lumière",
    },
    Template {
        department: "mediatheques",
        category: Some("lecture"),
        title: "Portage de livres à domicile pour les habitants {q}",
        summary: "Les bibliothécaires apportent livres et films aux personnes qui ne peuvent se déplacer.",
        image_alt: "Une bibliothécaire tend un livre à une personne âgée",
    },
    Template {
        department: "culture",
        category: Some("spectacle"),
        title: "Nouvelle saison culturelle : demandez le programme",
        summary: "Théâtre, danse, cirque et concerts : la saison s'annonce riche, les abonnements sont ouverts.",
        image_alt: "La brochure de la saison culturelle posée sur un fauteuil de théâtre",
    },
    Template {
        department: "culture",
        category: Some("patrimoine"),
        title: "Journées du patrimoine : les coulisses du théâtre municipal",
        summary: "Visites des coulisses, des cintres et de la machinerie, sur inscription.",
        image_alt: "Les cintres du théâtre vus depuis la scène",
    },
    Template {
        department: "etat-civil",
        category: Some("demarches"),
        title: "Cartes d'identité et passeports : prenez rendez-vous en ligne",
        summary: "Avant l'été, les délais s'allongent : anticipez et réservez votre créneau en ligne.",
        image_alt: "Un passeport et une carte d'identité sur un bureau",
    },
    Template {
        department: "etat-civil",
        category: Some("demarches"),
        title: "Élections : vérifiez votre inscription sur les listes électorales",
        summary: "Vous avez déménagé ? Pensez à signaler votre nouvelle adresse avant la fin de l'année.",
        image_alt: "Une urne transparente et des bulletins de vote",
    },
    Template {
        department: "jeunesse",
        category: Some("jeunesse"),
        title: "Vacances scolaires : le programme de l'espace jeunes",
        summary: "Sorties, stages et soirées pour les 11-17 ans ; inscriptions à l'espace jeunes Nelson-Mandela.",
        image_alt: "Des adolescents jouent au baby-foot",
    },
    Template {
        department: "jeunesse",
        category: Some("jeunesse"),
        title: "Conseil municipal des jeunes : appel à candidatures",
        summary: "Les collégiens qui veulent porter des projets pour leur ville ont jusqu'à la fin du mois.",
        image_alt: "Des collégiens réunis dans la salle du conseil",
    },
    Template {
        department: "direction-generale",
        category: Some("conseil-municipal"),
        title: "Budget participatif : votez pour les projets du quartier {q}",
        summary: "Aires de jeux, pistes cyclables, jardins : choisissez les projets que la ville réalisera.",
        image_alt: "Des habitants devant des panneaux présentant des projets",
    },
    Template {
        department: "direction-generale",
        category: Some("conseil-municipal"),
        title: "Ce qu'il faut retenir du dernier conseil municipal",
        summary: "Budget, travaux de voirie et tarifs de la cantine : les principales décisions.",
        image_alt: "La salle du conseil municipal pendant une séance",
    },
    Template {
        department: "communication",
        category: None,
        title: "Le magazine municipal fait peau neuve",
        summary: "Plus de place aux habitants et aux associations, et une version en ligne accessible.",
        image_alt: "La couverture du nouveau magazine municipal",
    },
    Template {
        department: "communication",
        category: None,
        title: "Travaux dans le quartier {q} : circulation alternée",
        summary: "Le chantier de rénovation des réseaux dure six semaines ; les commerces restent accessibles.",
        image_alt: "Des engins de chantier dans une rue barrée",
    },
    Template {
        department: "mission-internet",
        category: Some("demarches"),
        title: "Vos démarches en ligne, vingt-quatre heures sur vingt-quatre",
        summary: "Actes d'état civil, inscriptions, signalements : le portail citoyen s'enrichit.",
        image_alt: "Un smartphone affichant le portail citoyen de la ville",
    },
    Template {
        department: "mission-internet",
        category: None,
        title: "Open data : l'agenda de la ville en iCalendar, CSV et JSON",
        summary: "Développeurs et curieux peuvent réutiliser librement l'agenda et l'annuaire des associations.",
        image_alt: "Un écran montrant un tableau de données ouvertes",
    },
    Template {
        department: "vie-associative",
        category: Some("solidarite"),
        title: "Forum des associations : plus de cent stands le premier samedi de septembre",
        summary: "Sport, culture, solidarité : trouvez l'activité de l'année et rencontrez les bénévoles.",
        image_alt: "Des stands d'associations sous les halles",
    },
    Template {
        department: "vie-associative",
        category: Some("solidarite"),
        title: "Subventions aux associations : les dossiers sont à déposer en ligne",
        summary: "La campagne est ouverte jusqu'au 31 janvier, pour les associations de la ville.",
        image_alt: "Des bénévoles remplissant un dossier",
    },
    Template {
        department: "tourisme",
        category: Some("patrimoine"),
        title: "Balades commentées sur les bords de Loire tout l'été",
        summary: "Chaque jeudi, un guide de l'office de tourisme raconte la ville des mariniers.",
        image_alt: "Un groupe de promeneurs sur le quai, au soleil couchant",
    },
    Template {
        department: "tourisme",
        category: Some("festival"),
        title: "La Fête des Bords de Loire revient pour sa dixième édition",
        summary: "Trois jours de concerts, de guinguettes et de joutes nautiques sur l'esplanade.",
        image_alt: "Des bateaux pavoisés sur la Loire",
    },
    Template {
        department: "commerce",
        category: Some("marche"),
        title: "Un nouveau marché de producteurs dans le quartier {q}",
        summary: "Tous les mercredis après-midi, fruits, légumes et fromages en direct des fermes voisines.",
        image_alt: "Des étals de légumes de saison sur un marché",
    },
    Template {
        department: "commerce",
        category: Some("marche"),
        title: "Les halles centrales rénovées rouvrent leurs portes",
        summary: "Après un an de travaux, les commerçants retrouvent une halle lumineuse et mieux isolée.",
        image_alt: "L'intérieur des halles rénovées, charpente métallique apparente",
    },
];

/// Closing paragraphs: where to learn more.
const CLOSINGS: &[&str] = &[
    "Renseignements à l'accueil de l'hôtel de ville ou par téléphone au 02 61 91 00 00.",
    "Toutes les informations sont sur [le portail de la ville](https://www.{domain}/).",
    "Une question ? Écrivez-nous à [contact@{domain}](mailto:contact@{domain}).",
];

/// The 200 articles, newest last; every 50th is a draft and every 20th is featured.
pub(super) fn articles(city: &DemoCity, now: DateTime<Utc>) -> Vec<NewsArticle> {
    let mut dice = Dice::new("news", 0, now);
    (0..COUNT)
        .map(|i| {
            let age_minutes = (COUNT - i) as i64 * SPREAD_DAYS * 24 * 60 / COUNT as i64;
            let at = now - Duration::minutes(age_minutes - dice.int(0..=600));
            article(city, &mut dice, i, at)
        })
        .collect()
}

/// One article, written (and, unless it is a draft, published) at `at`.
fn article(city: &DemoCity, dice: &mut Dice, index: usize, at: DateTime<Utc>) -> NewsArticle {
    let template = dice.pick(TEMPLATES);
    let quarter = dice.pick(QUARTERS);
    let title = template.title.replace("{q}", quarter);
    let summary = template.summary;
    let closing = dice.pick(CLOSINGS).replace("{domain}", CITY_DOMAIN);
    let with_image = dice.chance(0.6);
    let department_id = city.department_id(template.department);
    let only_culture =
        dice.chance(0.1) && ["culture", "mediatheques"].contains(&template.department);
    let input = NewsInput {
        slug: Some(numbered_slug(&title, index)),
        department_id,
        summary: Some(summary.to_owned()),
        body_markdown: format!("{summary}\n\n{closing}"),
        image_url: with_image.then(|| {
            format!(
                "https://images.example.org/actualites/{:03}.jpg",
                dice.int(1..=120)
            )
        }),
        image_alt: with_image.then(|| template.image_alt.to_owned()),
        featured: index.is_multiple_of(20),
        category_ids: template
            .category
            .map(|c| city.category_id(c))
            .into_iter()
            .collect(),
        tag_ids: dice
            .up_to(&city.tags, 2)
            .into_iter()
            .map(|t| t.id)
            .collect(),
        sites: if only_culture {
            SiteTargets::Only(vec![city.site("culture").expect("demo site").id])
        } else {
            SiteTargets::All
        },
        title,
    };
    NewsArticle {
        id: dice.id(),
        publication: publication(at, is_draft(index)),
        fields: input.validate().expect("demo news article is valid"),
    }
}
