//! The agenda: events made lazily, one at a time, each from its own random stream.
//!
//! Titles combine a pattern of their kind and a filler ("Concert de {}" + "jazz manouche"),
//! so that a million events read like an agenda and not like lorem ipsum, while the kind
//! keeps department, categories, venue and audience coherent with the title.

use super::{
    CITY_DOMAIN, DemoCity, Dice, QUARTERS, is_draft, numbered_slug, paris_date, paris_instant,
    publication,
};
use crate::content::SiteTargets;
use crate::department::Department;
use crate::event::{
    Accessibility, AttendanceMode, Event, EventInput, EventStatus, Organizer, RecurrenceInput,
};
use crate::place::Place;
use crate::recurrence::Recurrence;
use chrono::{DateTime, Datelike, Days, Duration, NaiveDate, Utc, Weekday};
use uuid::Uuid;

/// Events start at most this many days before today (three months)…
const PAST_DAYS: i64 = 90;
/// …and at most this many days after it (twelve months).
const FUTURE_DAYS: i64 = 364;
/// A recurring event's first start leaves a month to align it on its rule's day.
const RECURRING_FUTURE_DAYS: i64 = FUTURE_DAYS - 35;
/// Every `CHRISTMAS_EVERY`-th event, from index `CHRISTMAS_FIRST`, is a Christmas market.
const CHRISTMAS_EVERY: usize = 150;
const CHRISTMAS_FIRST: usize = 11;

/// How a recurring kind repeats; the first start is moved onto the rule's day, since a
/// start that does not match the rule is not an occurrence of it.
#[derive(Clone, Copy)]
enum Repeat {
    Weekly(Weekday),
    /// The `nth` such weekday of every month.
    Monthly(u8, Weekday),
}

impl Repeat {
    fn rule(self) -> String {
        match self {
            Self::Weekly(day) => format!("FREQ=WEEKLY;BYDAY={}", byday(day)),
            Self::Monthly(nth, day) => format!("FREQ=MONTHLY;BYDAY={nth}{}", byday(day)),
        }
    }

    /// The first date on or after `date` the rule falls on.
    fn align(self, date: NaiveDate) -> NaiveDate {
        match self {
            Self::Weekly(day) => {
                let ahead =
                    (day.num_days_from_monday() + 7 - date.weekday().num_days_from_monday()) % 7;
                date + Days::new(u64::from(ahead))
            }
            Self::Monthly(nth, day) => {
                let in_month = |d: NaiveDate| {
                    NaiveDate::from_weekday_of_month_opt(d.year(), d.month(), day, nth)
                        .expect("the 1st to 4th weekday of a month exists")
                };
                let candidate = in_month(date);
                if candidate >= date {
                    candidate
                } else {
                    in_month(
                        date.checked_add_months(chrono::Months::new(1))
                            .expect("in range"),
                    )
                }
            }
        }
    }
}

/// The two-letter RFC 5545 day.
fn byday(day: Weekday) -> &'static str {
    ["MO", "TU", "WE", "TH", "FR", "SA", "SU"][day.num_days_from_monday() as usize]
}

/// A kind of event and everything that must agree with its title.
struct Kind {
    key: &'static str,
    /// Out of 1,000; recurring kinds add up to 100 (10%).
    weight: u32,
    /// `{}` becomes a filler, `{place}` the venue's name.
    patterns: &'static [&'static str],
    fillers: &'static [&'static str],
    /// The first always applies, the others half of the time.
    categories: &'static [&'static str],
    department: &'static str,
    /// Words of the names of suitable venues.
    places: &'static [&'static str],
    summaries: &'static [&'static str],
    image_alt: &'static str,
    /// Local start hours (inclusive), quarter hours in between.
    hours: (u32, u32),
    /// Age ranges, one of which applies to 80% of such events when not empty.
    ages: &'static [(Option<i32>, Option<i32>)],
    /// Share of events of the kind that are free (markets and council meetings always are).
    free: f64,
    /// Share of events of the kind with a registration link.
    registration: f64,
    /// Share that are all-day, and over how many days (exhibitions last weeks).
    all_day: (f64, u64, u64),
    repeat: Option<Repeat>,
    /// Council meetings are streamed: attendance mixed, with the stream's URL.
    streamed: bool,
}

/// Defaults for the fields most kinds share, so each kind says only what is special.
const BASE: Kind = Kind {
    key: "",
    weight: 0,
    patterns: &[],
    fillers: &[""],
    categories: &[],
    department: "",
    places: &[],
    summaries: &[],
    image_alt: "",
    hours: (9, 21),
    ages: &[],
    free: 0.2,
    registration: 0.15,
    all_day: (0.0, 1, 1),
    repeat: None,
    streamed: false,
};

const KINDS: &[Kind] = &[
    Kind {
        key: "concert",
        weight: 100,
        patterns: &["Concert de {}", "Soirée {}", "Scène ouverte : {}"],
        fillers: &[
            "jazz manouche",
            "musique baroque",
            "chanson française",
            "rock",
            "musiques du monde",
            "piano",
            "musique de chambre",
            "blues",
            "gospel",
            "musiques actuelles",
            "folk",
            "musique klezmer",
        ],
        categories: &["concert", "festival"],
        department: "culture",
        places: &[
            "Théâtre",
            "Auditorium",
            "Église",
            "Chapelle",
            "Conservatoire",
            "Salle des fêtes",
            "Parc",
        ],
        summaries: &[
            "Une soirée de musique vivante, ouverte à tous.",
            "Les musiciens de la région montent sur scène.",
            "Un concert en acoustique dans un lieu chargé d'histoire.",
        ],
        image_alt: "Des musiciens sur scène sous une lumière bleue",
        hours: (17, 21),
        ..BASE
    },
    Kind {
        key: "exposition",
        weight: 40,
        patterns: &["Exposition : {}"],
        fillers: &[
            "regards sur la Loire",
            "la ville en 1900",
            "portraits d'habitants",
            "carnets de voyage",
            "art urbain",
            "céramiques contemporaines",
            "photographies de quartier",
            "la forêt en hiver",
            "mémoires ouvrières",
            "affiches de cinéma",
        ],
        categories: &["exposition", "patrimoine"],
        department: "culture",
        places: &[
            "Galerie",
            "Musée",
            "Médiathèque",
            "Hôtel de ville",
            "Château",
        ],
        summaries: &[
            "Une exposition à découvrir en famille, entrée libre aux heures d'ouverture.",
            "Photographies, archives et œuvres originales réunies pour l'occasion.",
        ],
        image_alt: "Des visiteurs devant des tableaux accrochés aux murs d'une galerie",
        all_day: (1.0, 14, 42),
        ..BASE
    },
    Kind {
        key: "spectacle",
        weight: 90,
        patterns: &[
            "Théâtre : « {} »",
            "Danse : « {} »",
            "Cirque : « {} »",
            "Marionnettes : « {} »",
            "Conte : « {} »",
        ],
        fillers: &[
            "Le Malade imaginaire",
            "Traversées",
            "Haut perché",
            "La Petite Sirène",
            "Les Fourberies de Scapin",
            "Au fil de l'eau",
            "Le Bal des oiseaux",
            "Nos années lumière",
            "Cyrano",
            "La Tempête",
            "Les Gens d'en face",
            "Mue",
        ],
        categories: &["spectacle"],
        department: "culture",
        places: &[
            "Théâtre",
            "Salle des fêtes",
            "Salle polyvalente",
            "Auditorium",
        ],
        summaries: &[
            "Un spectacle drôle et sensible, à partir de 8 ans.",
            "La compagnie revient avec une création saluée par la critique.",
            "Une heure de poésie et de virtuosité.",
        ],
        image_alt: "Deux comédiens sur une scène éclairée",
        hours: (14, 21),
        ..BASE
    },
    Kind {
        key: "cinema",
        weight: 60,
        patterns: &[
            "Ciné-club : « {} »",
            "Cinéma en plein air : « {} »",
            "Projection-débat : « {} »",
        ],
        fillers: &[
            "Jour de fête",
            "Les Vacances de M. Hulot",
            "Le Voyage dans la Lune",
            "Playtime",
            "La Belle Équipe",
            "Le Ballon rouge",
            "Les Enfants du paradis",
            "L'Atalante",
        ],
        categories: &["cinema"],
        department: "culture",
        places: &["Cinéma", "Parc", "Médiathèque"],
        summaries: &[
            "Un classique du cinéma français, présenté par un membre du ciné-club.",
            "Projection suivie d'un échange avec le public.",
        ],
        image_alt: "Un écran de cinéma et des spectateurs de dos",
        hours: (18, 21),
        ..BASE
    },
    Kind {
        key: "lecture",
        weight: 60,
        patterns: &[
            "Lecture : {}",
            "Rencontre d'auteur : {}",
            "Club de lecture : {}",
        ],
        fillers: &[
            "romans de l'été",
            "polars nordiques",
            "poésie contemporaine",
            "bandes dessinées",
            "littérature jeunesse",
            "récits de voyage",
            "premiers romans",
        ],
        categories: &["lecture"],
        department: "mediatheques",
        places: &["Médiathèque", "Bibliothèque"],
        summaries: &[
            "Les bibliothécaires partagent leurs coups de cœur.",
            "Lectures à voix haute et échanges autour d'un café.",
        ],
        image_alt: "Des livres ouverts sur une table de médiathèque",
        hours: (10, 19),
        free: 0.6,
        ..BASE
    },
    Kind {
        key: "conference",
        weight: 60,
        patterns: &["Conférence : {}", "Table ronde : {}", "Café-débat : {}"],
        fillers: &[
            "l'histoire du port fluvial",
            "la biodiversité en ville",
            "les oiseaux de Loire",
            "l'architecture Art déco",
            "le climat et nous",
            "l'intelligence artificielle au quotidien",
            "les archives municipales",
        ],
        categories: &["conference"],
        department: "culture",
        places: &[
            "Auditorium",
            "Médiathèque",
            "Musée",
            "Maison de l'environnement",
            "Hôtel de ville",
        ],
        summaries: &[
            "Un spécialiste partage ses recherches avec le public.",
            "Une heure d'exposé, une demi-heure de questions.",
        ],
        image_alt: "Un conférencier devant un écran de projection",
        hours: (14, 20),
        ..BASE
    },
    Kind {
        key: "patrimoine",
        weight: 60,
        patterns: &[
            "Visite guidée : {}",
            "Balade commentée : {}",
            "Journées du patrimoine : {}",
        ],
        fillers: &[
            "le centre historique",
            "l'église Saint-Martin",
            "les quais de Loire",
            "le château de la Motte",
            "l'hôtel de ville",
            "les maisons de mariniers",
        ],
        categories: &["patrimoine"],
        department: "tourisme",
        places: &[
            "Église",
            "Chapelle",
            "Château",
            "Musée",
            "Office de tourisme",
            "Esplanade",
            "Hôtel de ville",
        ],
        summaries: &[
            "Un guide conférencier raconte la ville et ses secrets.",
            "Une promenade à pied d'environ deux heures.",
        ],
        image_alt: "Un guide devant une façade ancienne, entouré de visiteurs",
        hours: (10, 17),
        all_day: (0.1, 1, 2),
        free: 0.4,
        ..BASE
    },
    Kind {
        key: "sport",
        weight: 110,
        patterns: &[
            "Match de {}",
            "Tournoi de {}",
            "Initiation au {}",
            "Championnat régional de {}",
        ],
        fillers: &[
            "handball",
            "basket-ball",
            "football",
            "volley-ball",
            "rugby",
            "tennis de table",
            "badminton",
            "judo",
        ],
        categories: &["sport"],
        department: "sports",
        places: &["Gymnase", "Stade", "Complexe sportif", "Dojo"],
        summaries: &[
            "Venez encourager les équipes de la ville !",
            "Entrée libre dans la limite des places disponibles.",
        ],
        image_alt: "Des joueurs en action dans un gymnase",
        hours: (9, 20),
        ..BASE
    },
    Kind {
        key: "marche",
        weight: 40,
        patterns: &["Marché {}"],
        fillers: &[
            "bio",
            "des producteurs locaux",
            "aux fleurs",
            "nocturne",
            "des créateurs",
            "aux puces",
            "du terroir",
        ],
        categories: &["marche"],
        department: "commerce",
        places: &["Place du Marché", "Halles", "Esplanade"],
        summaries: &[
            "Producteurs et artisans de la région vous donnent rendez-vous.",
            "Une trentaine d'exposants, de quoi flâner et se régaler.",
        ],
        image_alt: "Des étals colorés sur une place de marché",
        hours: (9, 18),
        free: 1.0,
        ..BASE
    },
    Kind {
        key: "jeunesse",
        weight: 80,
        patterns: &[
            "Après-midi jeux : {}",
            "Stage vacances : {}",
            "Atelier jeunesse : {}",
        ],
        fillers: &[
            "jeux de société",
            "robotique",
            "graff et street art",
            "cuisine",
            "théâtre d'impro",
            "sciences amusantes",
            "BD et manga",
        ],
        categories: &["jeunesse", "atelier"],
        department: "jeunesse",
        places: &[
            "Espace jeunes",
            "Ludothèque",
            "Maison de quartier",
            "Centre social",
            "Médiathèque",
        ],
        summaries: &[
            "Une activité encadrée par les animateurs de la ville.",
            "Places limitées : pensez à vous inscrire.",
        ],
        image_alt: "Des enfants concentrés autour d'une table d'activités",
        hours: (10, 17),
        ages: &[
            (Some(6), Some(12)),
            (Some(11), Some(17)),
            (Some(3), Some(6)),
        ],
        registration: 0.6,
        ..BASE
    },
    Kind {
        key: "atelier-nature",
        weight: 50,
        patterns: &["Atelier {}", "Repair café : {}"],
        fillers: &[
            "compost et lombricompost",
            "réparation de vélos",
            "couture zéro déchet",
            "jardinage au naturel",
            "fabrication de nichoirs",
            "cuisine anti-gaspi",
        ],
        categories: &["atelier", "environnement"],
        department: "environnement",
        places: &[
            "Maison de l'environnement",
            "Jardin",
            "Parc",
            "Centre social",
        ],
        summaries: &[
            "Apprendre à faire soi-même, avec des bénévoles passionnés.",
            "Repartez avec des astuces pour réduire vos déchets.",
        ],
        image_alt: "Des mains qui rempotent une plante",
        hours: (9, 17),
        registration: 0.7,
        ..BASE
    },
    Kind {
        key: "atelier-numerique",
        weight: 40,
        patterns: &["Atelier numérique : {}"],
        fillers: &[
            "premiers pas sur tablette",
            "sécuriser ses mots de passe",
            "faire ses démarches en ligne",
            "retoucher ses photos",
            "découvrir les logiciels libres",
        ],
        categories: &["atelier"],
        department: "mission-internet",
        places: &[
            "Médiathèque",
            "Bibliothèque",
            "Maison de quartier",
            "Centre social",
        ],
        summaries: &[
            "Un atelier pour débutants, en petit groupe.",
            "Apportez votre appareil si vous en avez un.",
        ],
        image_alt: "Une animatrice montre une tablette à deux personnes âgées",
        hours: (9, 17),
        ages: &[(Some(60), None), (Some(16), None)],
        registration: 0.7,
        free: 0.8,
        ..BASE
    },
    Kind {
        key: "festival",
        weight: 40,
        patterns: &["Festival {}", "Fête {}"],
        fillers: &[
            "des Bords de Loire",
            "de la musique",
            "du livre jeunesse",
            "des jardins",
            "du jeu",
            "des lumières",
        ],
        categories: &["festival", "concert"],
        department: "tourisme",
        places: &["Parc", "Esplanade", "Place du Marché", "Château", "Jardin"],
        summaries: &[
            "Le grand rendez-vous festif de l'année, pour petits et grands.",
            "Concerts, spectacles de rue et restauration sur place.",
        ],
        image_alt: "Une foule joyeuse devant une scène en plein air",
        hours: (10, 20),
        all_day: (0.25, 1, 3),
        ..BASE
    },
    Kind {
        key: "conseil-de-quartier",
        weight: 20,
        patterns: &["Conseil de quartier {}"],
        fillers: QUARTERS,
        categories: &["conseil-municipal"],
        department: "direction-generale",
        places: &[
            "Hôtel de ville",
            "Maison de quartier",
            "Centre social",
            "Mairie annexe",
        ],
        summaries: &["Les élus et les habitants font le point sur les projets du quartier."],
        image_alt: "Des habitants réunis autour d'une table",
        hours: (18, 20),
        free: 1.0,
        registration: 0.0,
        ..BASE
    },
    Kind {
        key: "solidarite",
        weight: 40,
        patterns: &[
            "Collecte de sang",
            "Repas solidaire {}",
            "Forum des associations",
            "Journée du bénévolat {}",
        ],
        fillers: QUARTERS,
        categories: &["solidarite"],
        department: "vie-associative",
        places: &[
            "Maison des associations",
            "Salle des fêtes",
            "Centre social",
            "Maison de quartier",
        ],
        summaries: &[
            "Un moment de partage ouvert à tous les habitants.",
            "Les associations de la ville se mobilisent.",
        ],
        image_alt: "Des bénévoles souriants derrière un stand",
        hours: (9, 19),
        free: 0.7,
        ..BASE
    },
    Kind {
        key: "nature",
        weight: 30,
        patterns: &[
            "Nettoyage citoyen {}",
            "Balade nature {}",
            "Sortie ornithologique {}",
        ],
        fillers: &[
            "des bords de Loire",
            "au parc des Oblates",
            "au jardin des plantes",
            "des Coteaux",
        ],
        categories: &["environnement"],
        department: "environnement",
        places: &["Parc", "Jardin", "Esplanade", "Maison de l'environnement"],
        summaries: &[
            "Gants et sacs fournis, bonne humeur de rigueur.",
            "Une sortie accompagnée par un animateur nature.",
        ],
        image_alt: "Des promeneurs aux jumelles au bord du fleuve",
        hours: (9, 16),
        free: 0.8,
        ..BASE
    },
    // Recurring kinds, 100 out of 1,000.
    Kind {
        key: "marche-du-samedi",
        weight: 30,
        patterns: &["Marché du samedi — {place}"],
        categories: &["marche"],
        department: "commerce",
        places: &["Place du Marché", "Halles", "Esplanade"],
        summaries: &["Le marché hebdomadaire : primeurs, fromagers, bouchers et fleuristes."],
        image_alt: "Des étals de fruits et légumes un samedi matin",
        hours: (9, 9),
        free: 1.0,
        repeat: Some(Repeat::Weekly(Weekday::Sat)),
        ..BASE
    },
    Kind {
        key: "marche-du-mercredi",
        weight: 20,
        patterns: &["Marché du mercredi — {place}"],
        categories: &["marche"],
        department: "commerce",
        places: &["Place du Marché", "Halles", "Esplanade"],
        summaries: &["Le petit marché du milieu de semaine, producteurs locaux uniquement."],
        image_alt: "Une maraîchère sert une cliente",
        hours: (9, 10),
        free: 1.0,
        repeat: Some(Repeat::Weekly(Weekday::Wed)),
        ..BASE
    },
    Kind {
        key: "conseil-municipal",
        weight: 10,
        patterns: &["Conseil municipal"],
        categories: &["conseil-municipal"],
        department: "direction-generale",
        places: &["Hôtel de ville"],
        summaries: &["Séance publique, retransmise en direct sur le site de la ville."],
        image_alt: "La salle du conseil municipal de l'hôtel de ville",
        hours: (18, 19),
        free: 1.0,
        registration: 0.0,
        repeat: Some(Repeat::Monthly(2, Weekday::Tue)),
        streamed: true,
        ..BASE
    },
    Kind {
        key: "heure-du-conte",
        weight: 15,
        patterns: &["Heure du conte à la {place}"],
        categories: &["lecture", "jeunesse"],
        department: "mediatheques",
        places: &["Médiathèque", "Bibliothèque"],
        summaries: &["Histoires, comptines et albums pour les petites oreilles."],
        image_alt: "Une conteuse entourée d'enfants assis sur des coussins",
        hours: (10, 16),
        ages: &[(Some(3), Some(8))],
        free: 1.0,
        repeat: Some(Repeat::Weekly(Weekday::Wed)),
        ..BASE
    },
    Kind {
        key: "permanence-numerique",
        weight: 10,
        patterns: &["Permanence numérique — {place}"],
        categories: &["atelier"],
        department: "mission-internet",
        places: &["Médiathèque", "Maison de quartier", "Centre social"],
        summaries: &["Un conseiller numérique vous aide, sans rendez-vous."],
        image_alt: "Un conseiller numérique aide un habitant devant un ordinateur",
        hours: (14, 16),
        repeat: Some(Repeat::Weekly(Weekday::Tue)),
        free: 1.0,
        ..BASE
    },
    Kind {
        key: "club-de-lecture",
        weight: 5,
        patterns: &["Club de lecture du premier samedi"],
        categories: &["lecture"],
        department: "mediatheques",
        places: &["Médiathèque", "Bibliothèque"],
        summaries: &["Chacun présente un livre qu'il a aimé ; thé et gâteaux offerts."],
        image_alt: "Des lecteurs discutent autour d'une pile de livres",
        hours: (10, 10),
        free: 1.0,
        repeat: Some(Repeat::Monthly(1, Weekday::Sat)),
        ..BASE
    },
    Kind {
        key: "marche-nordique",
        weight: 10,
        patterns: &["Marche nordique du dimanche"],
        categories: &["sport"],
        department: "sports",
        places: &["Parc", "Stade", "Esplanade"],
        summaries: &["Une heure de marche rapide avec bâtons, encadrée par un éducateur sportif."],
        image_alt: "Des marcheurs avec des bâtons sur un chemin de halage",
        hours: (9, 10),
        repeat: Some(Repeat::Weekly(Weekday::Sun)),
        free: 0.5,
        ..BASE
    },
];

/// The Christmas market, placed in December by index rather than drawn at random, so
/// that even a small agenda has some.
const CHRISTMAS_MARKET: Kind = Kind {
    key: "marche-de-noel",
    weight: 0,
    patterns: &["Marché de Noël {}"],
    fillers: &[
        "du centre-ville",
        "des créateurs",
        "solidaire",
        "des Bords de Loire",
        "de Saint-Clair",
        "et village des lutins",
    ],
    categories: &["marche", "festival"],
    department: "commerce",
    places: &["Place du Marché", "Halles", "Esplanade", "Château"],
    summaries: &["Chalets, artisans, vin chaud et la visite du père Noël."],
    image_alt: "Des chalets illuminés sur une place enneigée",
    hours: (10, 17),
    free: 1.0,
    ..BASE
};

/// Prices of paying events.
const PRICES: &[&str] = &[
    "5 € / 3 € tarif réduit",
    "8 €",
    "12 € / 8 € tarif réduit / gratuit pour les moins de 12 ans",
    "3 €",
    "15 € / 10 € adhérents",
    "Participation libre",
    "20 € la saison",
];

/// A kind with its names resolved against the city, once for all events.
struct Resolved<'a> {
    kind: &'static Kind,
    department: &'a Department,
    categories: Vec<Uuid>,
    places: Vec<&'a Place>,
    /// Associations whose category is the kind's first one: possible organizers.
    organizers: Vec<Uuid>,
    /// The site that an event targeting one site only targets.
    site: Uuid,
}

/// What every event needs from the city, looked up once.
pub(super) struct Agenda<'a> {
    now: DateTime<Utc>,
    today: NaiveDate,
    kinds: Vec<Resolved<'a>>,
    christmas: Resolved<'a>,
    tags: Vec<Uuid>,
    christmas_tag: Uuid,
}

impl<'a> Agenda<'a> {
    pub(super) fn new(city: &'a DemoCity, now: DateTime<Utc>) -> Self {
        Self {
            now,
            today: paris_date(now),
            kinds: KINDS.iter().map(|k| resolve(city, k)).collect(),
            christmas: resolve(city, &CHRISTMAS_MARKET),
            tags: city.tags.iter().map(|t| t.id).collect(),
            christmas_tag: city.tag("noel").expect("demo tag").id,
        }
    }

    /// Event number `index`: its own random stream, so it is the same whatever the count.
    pub(super) fn event(&self, index: usize) -> Event {
        let mut dice = Dice::new("event", index as u64, self.now);
        let christmas = index % CHRISTMAS_EVERY == CHRISTMAS_FIRST;
        let resolved = if christmas {
            &self.christmas
        } else {
            dice.pick_weighted(&self.kinds, |r| r.kind.weight)
        };
        let mut input = self.input(&mut dice, resolved, index);
        if christmas {
            input.tag_ids.retain(|t| *t != self.christmas_tag);
            input.tag_ids.truncate(2);
            input.tag_ids.push(self.christmas_tag);
        }
        Event {
            id: dice.id(),
            publication: publication(self.now, is_draft(index)),
            fields: input.validate().expect("demo event is valid"),
        }
    }

    /// Everything an editor would type for this event.
    fn input(&self, dice: &mut Dice, r: &Resolved<'_>, index: usize) -> EventInput {
        let kind = r.kind;
        let place = *dice.pick(&r.places);
        let pattern = dice.pick(kind.patterns);
        let filler = *dice.pick(kind.fillers);
        let title = pattern
            .replace("{place}", &place.name)
            .replace("{}", filler);
        let slug = numbered_slug(&title, index);
        let (starts_at, ends_at, all_day) = self.schedule(dice, kind);
        let status = event_status(dice);
        let online = status == EventStatus::MovedOnline;
        let free = dice.chance(kind.free);
        let price = (!free).then(|| dice.pick(PRICES).to_string());
        let summary = dice.pick(kind.summaries).to_string();
        let mut categories = vec![r.categories[0]];
        categories.extend(r.categories[1..].iter().filter(|_| dice.chance(0.5)));
        let image = dice.chance(0.5);
        let (age_min, age_max) = if !kind.ages.is_empty() && dice.chance(0.8) {
            *dice.pick(kind.ages)
        } else {
            (None, None)
        };
        EventInput {
            body_markdown: body(&summary, place, price.as_deref()),
            department_id: r.department.id,
            summary: Some(summary),
            starts_at,
            ends_at: Some(ends_at),
            time_zone: None,
            all_day,
            recurrence: kind
                .repeat
                .map(|repeat| recurrence(dice, repeat, starts_at)),
            event_status: status,
            attendance_mode: match (online, kind.streamed) {
                (true, _) => AttendanceMode::Online,
                (false, true) => AttendanceMode::Mixed,
                (false, false) => AttendanceMode::Offline,
            },
            place_id: Some(place.id),
            online_url: (online || kind.streamed)
                .then(|| format!("https://direct.{CITY_DOMAIN}/{slug}")),
            free,
            registration_url: dice.chance(kind.registration).then(|| {
                let host = if free { "inscriptions" } else { "billetterie" };
                format!("https://{host}.{CITY_DOMAIN}/{slug}")
            }),
            price,
            organizer: Some(organizer(dice, r)),
            age_min,
            age_max,
            accessibility: accessibility(dice),
            image_url: image.then(|| {
                format!(
                    "https://images.example.org/agenda/{}-{:02}.jpg",
                    kind.key,
                    dice.int(1..=12)
                )
            }),
            image_alt: image.then(|| kind.image_alt.to_owned()),
            contact_email: dice
                .chance(0.3)
                .then(|| format!("{}@{CITY_DOMAIN}", r.department.slug)),
            contact_phone: dice.chance(0.2).then(|| dice.landline()),
            category_ids: categories,
            tag_ids: dice.up_to(&self.tags, 3).into_iter().copied().collect(),
            sites: if dice.chance(0.05) {
                SiteTargets::Only(vec![r.site])
            } else {
                SiteTargets::All
            },
            slug: Some(slug),
            title,
        }
    }

    /// Start, end and all-day flag: a local date in the window (December for Christmas
    /// markets, the rule's day for recurring events), then a quarter hour and 1–4 hours,
    /// or local midnights for all-day events.
    fn schedule(&self, dice: &mut Dice, kind: &Kind) -> (DateTime<Utc>, DateTime<Utc>, bool) {
        let date = if kind.key == CHRISTMAS_MARKET.key {
            NaiveDate::from_ymd_opt(self.today.year(), 12, dice.int(1..=24) as u32)
                .expect("December has 24 days")
        } else if let Some(repeat) = kind.repeat {
            repeat.align(self.day(dice, RECURRING_FUTURE_DAYS))
        } else {
            self.day(dice, FUTURE_DAYS)
        };
        let (all_day_share, min_days, max_days) = kind.all_day;
        if dice.chance(all_day_share) {
            let days = dice.int(min_days as i64..=max_days as i64) as u64;
            return (
                paris_instant(date, 0),
                paris_instant(date + Days::new(days), 0),
                true,
            );
        }
        let (first_hour, last_hour) = kind.hours;
        let start = dice.int(i64::from(first_hour) * 4..=i64::from(last_hour) * 4 + 3) as u32 * 15;
        let starts_at = paris_instant(date, start);
        let duration = Duration::minutes(dice.int(4..=16) * 15);
        (starts_at, starts_at + duration, false)
    }

    /// A local date from three months ago to `future_days` ahead.
    fn day(&self, dice: &mut Dice, future_days: i64) -> NaiveDate {
        let offset = dice.int(-PAST_DAYS..=future_days);
        self.today + Duration::days(offset)
    }
}

/// Looks up the names a kind uses; a misspelt name fails every demo test at once.
fn resolve<'a>(city: &'a DemoCity, kind: &'static Kind) -> Resolved<'a> {
    let department = city
        .department(kind.department)
        .unwrap_or_else(|| panic!("demo department {} exists", kind.department));
    let categories: Vec<Uuid> = kind
        .categories
        .iter()
        .map(|c| city.category_id(c))
        .collect();
    let organizers = city
        .associations
        .iter()
        .filter(|a| a.fields.category_ids.contains(&categories[0]))
        .map(|a| a.id)
        .collect();
    let culture = crate::department::subtree(&city.departments, city.department_id("culture"));
    let tourism = ["patrimoine", "festival", "marche"].map(|c| city.category_id(c));
    let site = if culture.contains(&department.id) {
        "culture"
    } else if categories.iter().any(|c| tourism.contains(c)) {
        "tourisme"
    } else {
        "portail"
    };
    Resolved {
        kind,
        department,
        categories,
        places: city.places_matching(kind.places),
        organizers,
        site: city.site(site).expect("demo site").id,
    }
}

/// 90% scheduled; then cancelled 3%, postponed 2%, rescheduled 2%, moved online 1%,
/// full 2%.
fn event_status(dice: &mut Dice) -> EventStatus {
    let roll = dice.rng.u32(..100);
    match roll {
        0..3 => EventStatus::Cancelled,
        3..5 => EventStatus::Postponed,
        5..7 => EventStatus::Rescheduled,
        7..8 => EventStatus::MovedOnline,
        8..10 => EventStatus::Full,
        _ => EventStatus::Scheduled,
    }
}

/// An association of the right kind 40% of the time, else the department itself.
fn organizer(dice: &mut Dice, r: &Resolved<'_>) -> Organizer {
    if !r.organizers.is_empty() && dice.chance(0.4) {
        Organizer::Association(*dice.pick(&r.organizers))
    } else {
        Organizer::Department(r.department.id)
    }
}

/// Most venues take wheelchairs; fewer events are adapted for other disabilities.
fn accessibility(dice: &mut Dice) -> Accessibility {
    Accessibility {
        wheelchair: dice.chance(0.7),
        hearing: dice.chance(0.2),
        visual: dice.chance(0.15),
        mental: dice.chance(0.1),
    }
}

/// The kind's rule, open-ended or until about a year later, and one or two of the first
/// occurrences (never the first) cancelled: exception dates must be occurrence starts,
/// so they are taken from the rule's own expansion.
fn recurrence(dice: &mut Dice, repeat: Repeat, first_start: DateTime<Utc>) -> RecurrenceInput {
    let tz = chrono_tz::Europe::Paris;
    let mut rule = repeat.rule();
    if dice.chance(0.5) {
        let until = first_start + Duration::days(365);
        rule.push_str(&format!(";UNTIL={}", until.format("%Y%m%dT%H%M%SZ")));
    }
    // Expanded as it stands; `EventInput::validate` checks the rule right after.
    let unchecked = Recurrence {
        rule: rule.clone(),
        exception_dates: Vec::new(),
    };
    let starts = unchecked.starts_between(
        first_start,
        tz,
        first_start,
        first_start + Duration::days(120),
        10,
    );
    let wanted = dice.int(1..=2) as usize;
    let exception_dates = dice
        .distinct(starts.get(1..).unwrap_or_default(), wanted)
        .into_iter()
        .copied()
        .collect();
    RecurrenceInput {
        rule,
        exception_dates,
    }
}

/// Two short paragraphs: small, since a million of them are rendered to HTML.
fn body(summary: &str, place: &Place, price: Option<&str>) -> String {
    let address = place.street_address.as_deref().unwrap_or_default();
    let price = price.map_or("Entrée libre.".to_owned(), |p| format!("Tarif : {p}."));
    format!(
        "{summary}\n\nRendez-vous à **{}**, {address}. {price}",
        place.name
    )
}
