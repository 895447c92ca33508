//! Public services: counters, facilities and online procedures, with opening hours in
//! OpenStreetMap syntax (public holidays and seasonal closures included).

use super::{CITY_DOMAIN, DemoCity, Dice, numbered_slug, publication};
use crate::content::SiteTargets;
use crate::public_service::{EquipmentTheme, PublicService, PublicServiceInput, ServiceKind};
use chrono::{DateTime, Utc};

/// Town hall counters: closed on Saturday afternoons, Sundays and public holidays.
const TOWN_HALL: &str = "Mo-Fr 08:30-12:00,13:30-17:00; Sa 09:00-12:00; PH off";
/// Civil status: late opening on Thursdays for people who work.
const CIVIL_STATUS: &str =
    "Mo-Fr 08:30-12:00,13:30-17:00; Th 08:30-12:00,13:30-19:00; Sa 09:00-12:00; PH off";
const ANNEX: &str = "Mo-Fr 09:00-12:00,14:00-17:00; PH off";
const ANNEX_AFTERNOONS: &str = "Tu-Fr 13:30-17:30; Sa 09:00-12:00; PH off";
/// Closed in August, as small annexes often are.
const ANNEX_SUMMER_CLOSED: &str = "Mo-Fr 09:00-12:00,14:00-17:00; Aug off; PH off";
const LIBRARY: &str = "Tu,Th 13:00-18:00; We,Sa 10:00-18:00; PH off";
const LIBRARY_LATE: &str = "Tu-Fr 14:00-19:00; We,Sa 10:00-18:00; PH off";
const LIBRARY_SMALL: &str = "We 10:00-12:00,14:00-18:00; Sa 10:00-12:30; PH off";
/// Pools stay open on public holiday mornings.
const POOL: &str = "Mo-Fr 12:00-13:45,17:00-20:00; Sa 10:00-18:00; Su 09:00-13:00; PH 09:00-13:00";
const OUTDOOR_POOL: &str = "Jun-Sep 10:00-19:00";
const GYM: &str = "Mo-Fr 08:00-22:00; Sa 08:00-18:00; PH off";
const STADIUM: &str = "Mo-Fr 09:00-22:00; Sa,Su 08:00-20:00; PH off";
const DOJO: &str = "Mo-Fr 17:00-22:00; Sa 09:00-17:00; PH off";
/// Parks follow the seasons.
const PARK: &str = "Apr-Sep 08:00-21:00; Oct-Mar 08:00-18:00";
const GARDEN: &str = "Apr-Sep 08:00-20:00; Oct-Mar 08:30-17:30";
const RECYCLING: &str = "Mo-Sa 09:00-12:00,14:00-18:00; PH off";
const MUSEUM: &str = "We-Su 14:00-18:00; Jan off; PH off";
const GALLERY: &str = "We-Sa 14:00-19:00; Su 10:00-13:00; PH off";
const CASTLE: &str = "Apr-Oct Tu-Su 10:00-18:00";
const TOURIST_OFFICE: &str = "Apr-Sep Mo-Sa 09:30-18:30; Apr-Sep Su 10:00-13:00; \
     Oct-Mar Tu-Sa 10:00-12:30,14:00-17:30; PH off";
/// Shorter days on Christmas and New Year's Eve.
const SOCIAL: &str =
    "Mo-Fr 08:30-12:00,13:30-17:00; Dec 24 08:30-12:00; Dec 31 08:30-12:00; PH off";
const POLICE: &str = "Mo-Sa 08:00-19:00; PH off";
const ALWAYS: &str = "24/7";

/// A service: kind, name, place (by name), opening hours, department, category and a
/// sentence saying what it is for. Online procedures have no place and no hours.
type ServiceSpec = (
    ServiceKind,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    &'static str,
    Option<&'static str>,
    &'static str,
);

use ServiceKind::{Facility, Office, OnlineProcedure};

const SERVICES: &[ServiceSpec] = &[
    (
        Office,
        "Accueil de l'hôtel de ville",
        Some("Hôtel de ville"),
        Some(TOWN_HALL),
        "direction-generale",
        Some("demarches"),
        "Renseigne et oriente les habitants dans toutes leurs démarches.",
    ),
    (
        Office,
        "Service état civil",
        Some("Hôtel de ville"),
        Some(CIVIL_STATUS),
        "etat-civil",
        Some("demarches"),
        "Naissances, mariages, pacs, décès, livret de famille.",
    ),
    (
        Office,
        "Guichet cartes d'identité et passeports",
        Some("Hôtel de ville"),
        Some("Mo-Fr 08:30-11:30,13:30-16:30; PH off"),
        "etat-civil",
        Some("demarches"),
        "Dépôt et retrait des titres d'identité, sur rendez-vous.",
    ),
    (
        Office,
        "Service urbanisme",
        Some("Hôtel de ville"),
        Some("Mo,We,Fr 09:00-12:00; PH off"),
        "direction-generale",
        Some("demarches"),
        "Permis de construire, déclarations préalables, consultation du plan local d'urbanisme.",
    ),
    (
        Office,
        "Mairie annexe du Bourg",
        Some("Mairie annexe du Bourg"),
        Some(ANNEX),
        "etat-civil",
        Some("demarches"),
        "Les principales démarches de la mairie, près de chez vous.",
    ),
    (
        Office,
        "Mairie annexe de Saint-Clair",
        Some("Mairie annexe de Saint-Clair"),
        Some(ANNEX_AFTERNOONS),
        "etat-civil",
        Some("demarches"),
        "Les principales démarches de la mairie, près de chez vous.",
    ),
    (
        Office,
        "Mairie annexe des Coteaux",
        Some("Mairie annexe des Coteaux"),
        Some(ANNEX_SUMMER_CLOSED),
        "etat-civil",
        Some("demarches"),
        "Les principales démarches de la mairie, près de chez vous ; fermée en août.",
    ),
    (
        Office,
        "Centre communal d'action sociale",
        Some("Centre communal d'action sociale"),
        Some(SOCIAL),
        "vie-associative",
        Some("solidarite"),
        "Aides sociales, domiciliation, accompagnement des personnes âgées.",
    ),
    (
        Office,
        "Police municipale",
        Some("Police municipale"),
        Some(POLICE),
        "direction-generale",
        None,
        "Tranquillité publique, stationnement, opération tranquillité vacances.",
    ),
    (
        Office,
        "Objets trouvés",
        Some("Police municipale"),
        Some("Mo-Fr 09:00-12:00; PH off"),
        "direction-generale",
        None,
        "Déposez ou récupérez un objet trouvé sur la voie publique.",
    ),
    (
        Office,
        "Office de tourisme",
        Some("Office de tourisme"),
        Some(TOURIST_OFFICE),
        "tourisme",
        Some("patrimoine"),
        "Visites guidées, plans de la ville, billetterie des spectacles.",
    ),
    (
        Office,
        "Guichet de la vie associative",
        Some("Maison des associations"),
        Some("Mo-Fr 09:00-12:30,14:00-18:00; PH off"),
        "vie-associative",
        Some("solidarite"),
        "Prêt de salles et de matériel, accompagnement des bénévoles.",
    ),
    (
        Office,
        "Point information jeunesse",
        Some("Espace jeunes Nelson-Mandela"),
        Some("Tu-Fr 14:00-18:30; We 10:00-12:00,14:00-18:30; Sa 14:00-17:00; PH off"),
        "jeunesse",
        Some("jeunesse"),
        "Emploi, logement, études, jobs d'été : l'information des 15-25 ans.",
    ),
    (
        Office,
        "Accueil de la maison de l'environnement",
        Some("Maison de l'environnement"),
        Some("We,Sa 14:00-18:00; PH off"),
        "environnement",
        Some("environnement"),
        "Conseils pour réduire ses déchets, prêt de broyeurs, sorties nature.",
    ),
    (
        Office,
        "Placier des marchés",
        Some("Halles centrales"),
        Some("Tu-Sa 07:00-12:00; PH off"),
        "commerce",
        Some("marche"),
        "Attribution des emplacements aux commerçants non sédentaires.",
    ),
    (
        Facility,
        "Médiathèque Jacques-Prévert",
        Some("Médiathèque Jacques-Prévert"),
        Some(LIBRARY),
        "mediatheques",
        Some("lecture"),
        "Livres, films, musique, presse et postes informatiques, pour tous les âges.",
    ),
    (
        Facility,
        "Médiathèque du Port",
        Some("Médiathèque du Port"),
        Some(LIBRARY_LATE),
        "mediatheques",
        Some("lecture"),
        "Livres, films, musique, presse et postes informatiques, pour tous les âges.",
    ),
    (
        Facility,
        "Bibliothèque de Saint-Clair",
        Some("Bibliothèque de Saint-Clair"),
        Some(LIBRARY_SMALL),
        "mediatheques",
        Some("lecture"),
        "Une bibliothèque de quartier, avec un grand espace jeunesse.",
    ),
    (
        Facility,
        "Ludothèque des Coteaux",
        Some("Ludothèque des Coteaux"),
        Some("We,Sa 10:00-12:00,14:00-18:00; PH off"),
        "jeunesse",
        Some("jeunesse"),
        "Jouer sur place ou emprunter parmi deux mille jeux.",
    ),
    (
        Facility,
        "Piscine Léo-Lagrange",
        Some("Piscine Léo-Lagrange"),
        Some(POOL),
        "sports",
        Some("sport"),
        "Bassin sportif de 25 m, bassin d'apprentissage et pataugeoire.",
    ),
    (
        Facility,
        "Centre nautique des Bords de Loire",
        Some("Centre nautique des Bords de Loire"),
        Some(OUTDOOR_POOL),
        "sports",
        Some("sport"),
        "Bassin extérieur et plage engazonnée, de juin à septembre.",
    ),
    (
        Facility,
        "Gymnase Jean-Moulin",
        Some("Gymnase Jean-Moulin"),
        Some(GYM),
        "sports",
        Some("sport"),
        "Salle omnisports réservée aux écoles et aux clubs.",
    ),
    (
        Facility,
        "Gymnase Pierre-de-Coubertin",
        Some("Gymnase Pierre-de-Coubertin"),
        Some(GYM),
        "sports",
        Some("sport"),
        "Salle omnisports réservée aux écoles et aux clubs.",
    ),
    (
        Facility,
        "Stade municipal de la Roche",
        Some("Stade municipal de la Roche"),
        Some(STADIUM),
        "sports",
        Some("sport"),
        "Terrains de football et de rugby, piste d'athlétisme.",
    ),
    (
        Facility,
        "Complexe sportif des Trois-Moulins",
        Some("Complexe sportif des Trois-Moulins"),
        Some(GYM),
        "sports",
        Some("sport"),
        "Salles de sport, mur d'escalade et courts de tennis couverts.",
    ),
    (
        Facility,
        "Dojo municipal",
        Some("Dojo municipal"),
        Some(DOJO),
        "sports",
        Some("sport"),
        "Judo, karaté, aïkido : la salle des arts martiaux.",
    ),
    (
        Facility,
        "Parc des Oblates",
        Some("Parc des Oblates"),
        Some(PARK),
        "environnement",
        Some("environnement"),
        "Huit hectares de verdure, aire de jeux et kiosque à musique.",
    ),
    (
        Facility,
        "Jardin des plantes",
        Some("Jardin des plantes"),
        Some(GARDEN),
        "environnement",
        Some("environnement"),
        "Serres tropicales, roseraie et collection de camélias.",
    ),
    (
        Facility,
        "Déchetterie des Landes",
        Some("Déchetterie des Landes"),
        Some(RECYCLING),
        "environnement",
        Some("environnement"),
        "Encombrants, déchets verts, gravats, électroménager : accès avec badge.",
    ),
    (
        Facility,
        "Musée des Mariniers",
        Some("Musée des Mariniers"),
        Some(MUSEUM),
        "culture",
        Some("patrimoine"),
        "La vie des mariniers de Loire, des gabares aux bateaux à vapeur.",
    ),
    (
        Facility,
        "Galerie municipale",
        Some("Galerie municipale"),
        Some(GALLERY),
        "culture",
        Some("exposition"),
        "Expositions d'art contemporain, entrée libre.",
    ),
    (
        Facility,
        "Château de la Motte",
        Some("Château de la Motte"),
        Some(CASTLE),
        "tourisme",
        Some("patrimoine"),
        "Château du XVe siècle, jardins à la française, visites libres ou guidées.",
    ),
    (
        Facility,
        "Conservatoire Maurice-Ravel",
        Some("Conservatoire Maurice-Ravel"),
        Some("Mo-Fr 09:00-20:00; Sa 09:00-13:00; PH off"),
        "culture",
        Some("concert"),
        "Musique, danse et théâtre, de l'éveil au cycle spécialisé.",
    ),
    (
        Facility,
        "Billetterie du théâtre municipal",
        Some("Théâtre municipal"),
        Some("Tu-Fr 13:00-18:30; Sa 10:00-12:30; PH off"),
        "culture",
        Some("spectacle"),
        "Abonnements et places pour la saison culturelle.",
    ),
    (
        Facility,
        "Espace jeunes Nelson-Mandela",
        Some("Espace jeunes Nelson-Mandela"),
        Some("Tu-Fr 16:00-19:00; We,Sa 14:00-19:00; PH off"),
        "jeunesse",
        Some("jeunesse"),
        "Accueil libre des 11-17 ans, aide aux devoirs, sorties.",
    ),
    (
        Facility,
        "Centre social de la Madeleine",
        Some("Centre social de la Madeleine"),
        Some("Mo-Fr 09:00-12:00,14:00-18:00; PH off"),
        "vie-associative",
        Some("solidarite"),
        "Accueil des familles, ateliers, permanences d'écrivain public.",
    ),
    (
        Facility,
        "Maison de quartier de Saint-Clair",
        Some("Maison de quartier de Saint-Clair"),
        Some("Mo-Fr 14:00-18:00; We 09:00-12:00,14:00-18:00; PH off"),
        "vie-associative",
        Some("solidarite"),
        "Activités pour tous les âges et salles pour les associations du quartier.",
    ),
    (
        Facility,
        "Halles centrales",
        Some("Halles centrales"),
        Some("Tu-Sa 07:30-13:00; Su 08:00-13:00; PH off"),
        "commerce",
        Some("marche"),
        "Une trentaine de commerçants de bouche sous une charpente de 1890.",
    ),
    (
        Facility,
        "Défibrillateur de l'hôtel de ville",
        Some("Hôtel de ville"),
        Some(ALWAYS),
        "direction-generale",
        None,
        "Défibrillateur en accès libre, sous le porche de l'hôtel de ville.",
    ),
    (
        Facility,
        "Consigne à vélos de l'esplanade",
        Some("Esplanade des Mariniers"),
        Some(ALWAYS),
        "environnement",
        None,
        "Quarante places sécurisées, accès avec la carte de transport.",
    ),
    (
        Facility,
        "Boîte aux lettres de la mairie",
        Some("Hôtel de ville"),
        Some(ALWAYS),
        "direction-generale",
        Some("demarches"),
        "Déposez vos courriers et dossiers à toute heure.",
    ),
    (
        Office,
        "Astreinte technique",
        None,
        Some(ALWAYS),
        "direction-generale",
        None,
        "Fuite sur la voie publique, arbre tombé, panne d'éclairage : un agent répond jour et nuit.",
    ),
    (
        OnlineProcedure,
        "Demande d'acte de naissance",
        None,
        None,
        "etat-civil",
        Some("demarches"),
        "Recevez une copie intégrale ou un extrait d'acte de naissance.",
    ),
    (
        OnlineProcedure,
        "Demande d'acte de mariage",
        None,
        None,
        "etat-civil",
        Some("demarches"),
        "Recevez une copie intégrale ou un extrait d'acte de mariage.",
    ),
    (
        OnlineProcedure,
        "Demande d'acte de décès",
        None,
        None,
        "etat-civil",
        Some("demarches"),
        "Recevez une copie d'acte de décès.",
    ),
    (
        OnlineProcedure,
        "Rendez-vous pour une carte d'identité ou un passeport",
        None,
        None,
        "etat-civil",
        Some("demarches"),
        "Choisissez votre créneau et préparez votre pré-demande.",
    ),
    (
        OnlineProcedure,
        "Inscription sur les listes électorales",
        None,
        None,
        "etat-civil",
        Some("demarches"),
        "Inscrivez-vous ou signalez votre changement d'adresse.",
    ),
    (
        OnlineProcedure,
        "Recensement citoyen",
        None,
        None,
        "etat-civil",
        Some("demarches"),
        "À faire dans les trois mois qui suivent vos 16 ans.",
    ),
    (
        OnlineProcedure,
        "Signaler un problème sur la voie publique",
        None,
        None,
        "mission-internet",
        Some("demarches"),
        "Nid-de-poule, dépôt sauvage, éclairage en panne : signalez-le avec une photo.",
    ),
    (
        OnlineProcedure,
        "Paiement des factures en ligne",
        None,
        None,
        "mission-internet",
        Some("demarches"),
        "Cantine, accueil de loisirs, conservatoire : payez par carte.",
    ),
    (
        OnlineProcedure,
        "Inscription à la restauration scolaire",
        None,
        None,
        "jeunesse",
        Some("jeunesse"),
        "Inscrivez vos enfants et réservez les repas de la semaine.",
    ),
    (
        OnlineProcedure,
        "Inscription à l'accueil de loisirs",
        None,
        None,
        "jeunesse",
        Some("jeunesse"),
        "Mercredis et vacances scolaires, pour les 3-11 ans.",
    ),
    (
        OnlineProcedure,
        "Réservation d'une salle municipale",
        None,
        None,
        "vie-associative",
        Some("demarches"),
        "Salles des fêtes et salles de réunion, pour les habitants et les associations.",
    ),
    (
        OnlineProcedure,
        "Demande de subvention associative",
        None,
        None,
        "vie-associative",
        Some("solidarite"),
        "Déposez le dossier annuel de votre association.",
    ),
    (
        OnlineProcedure,
        "Dépôt d'une demande d'urbanisme",
        None,
        None,
        "direction-generale",
        Some("demarches"),
        "Permis de construire et déclarations préalables, déposés en ligne.",
    ),
    (
        OnlineProcedure,
        "Inscription au conservatoire",
        None,
        None,
        "culture",
        Some("concert"),
        "Préinscriptions pour la rentrée, de l'éveil musical aux adultes.",
    ),
    (
        OnlineProcedure,
        "Demande de badge pour la déchetterie",
        None,
        None,
        "environnement",
        Some("environnement"),
        "Un badge par foyer, envoyé par courrier.",
    ),
    (
        OnlineProcedure,
        "Déclaration d'un meublé de tourisme",
        None,
        None,
        "tourisme",
        Some("demarches"),
        "Obligatoire avant toute location de courte durée.",
    ),
    (
        OnlineProcedure,
        "Carte de stationnement résident",
        None,
        None,
        "direction-generale",
        Some("demarches"),
        "Un macaron par véhicule pour stationner dans votre quartier.",
    ),
    (
        OnlineProcedure,
        "Autorisation d'occupation du domaine public",
        None,
        None,
        "commerce",
        Some("demarches"),
        "Terrasses, étalages, échafaudages : demandez votre autorisation.",
    ),
];

/// The 60 services, all published at `now`.
pub(super) fn services(city: &DemoCity, now: DateTime<Utc>) -> Vec<PublicService> {
    let mut dice = Dice::new("services", 0, now);
    SERVICES
        .iter()
        .enumerate()
        .map(|(i, spec)| service(city, &mut dice, spec, i, now))
        .collect()
}

/// One service. Counters give a phone and a mail address; procedures their URL.
fn service(
    city: &DemoCity,
    dice: &mut Dice,
    &(kind, name, place, hours, department, category, about): &ServiceSpec,
    index: usize,
    now: DateTime<Utc>,
) -> PublicService {
    let slug = numbered_slug(name, index);
    let online = kind == OnlineProcedure;
    let place_id = place.map(|p| {
        city.places
            .iter()
            .find(|candidate| candidate.name == p)
            .unwrap_or_else(|| panic!("demo place {p} exists"))
            .id
    });
    let input = PublicServiceInput {
        department_id: city.department_id(department),
        kind,
        name: name.to_owned(),
        description_markdown: description(about, kind, hours),
        place_id,
        opening_hours: hours.map(str::to_owned),
        phone: (!online).then(|| dice.landline()),
        email: (kind == Office).then(|| format!("{department}@{CITY_DOMAIN}")),
        procedure_url: online.then(|| format!("https://demarches.{CITY_DOMAIN}/{slug}")),
        // The demo invents no nomenclature codes: only the town hall carries one, the
        // SCDL schema's own example (01010401, "Mairie"); the other facilities stay out
        // of the SCDL export until someone enters theirs.
        equipment: (name == "Accueil de l'hôtel de ville").then(|| {
            (
                "01010401-001".to_owned(),
                EquipmentTheme::Administrative,
                "Mairie".to_owned(),
            )
        }),
        category_ids: category.map(|c| city.category_id(c)).into_iter().collect(),
        sites: SiteTargets::All,
        slug: Some(slug),
    };
    PublicService {
        id: dice.id(),
        publication: publication(now, false),
        fields: input.validate().expect("demo public service is valid"),
    }
}

/// What the service is for, and how to reach it.
fn description(about: &str, kind: ServiceKind, hours: Option<&str>) -> String {
    let access = match (kind, hours) {
        (OnlineProcedure, _) => "La démarche se fait entièrement en ligne, avec FranceConnect.",
        (_, Some(ALWAYS)) => "Accessible à toute heure, tous les jours.",
        _ => "Fermé les jours fériés, sauf mention contraire dans les horaires.",
    };
    format!("{about}\n\n{access}")
}
