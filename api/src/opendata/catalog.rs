//! `catalog.jsonld`: the DCAT-AP 3 catalog data.gouv.fr (or any DCAT harvester) harvests.
//! Every dataset has a stable `dct:identifier` (its URL), every distribution a media
//! type, a file type and the licence; the list is paged with Hydra.

use serde_json::{Value, json};

/// Who publishes, under which licence.
#[derive(Debug, Clone)]
pub struct Publisher {
    pub name: String,
    pub licence: Licence,
    /// Set when the SIRET and INSEE code are configured (the SCDL export needs them).
    pub collectivity: Option<silo_domain::equipment_table::Collectivity>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Licence {
    Etalab2,
    Odbl,
}

impl Licence {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "etalab-2.0" => Some(Self::Etalab2),
            "odbl" => Some(Self::Odbl),
            _ => None,
        }
    }

    pub fn id(self) -> &'static str {
        match self {
            Self::Etalab2 => "etalab-2.0",
            Self::Odbl => "odbl",
        }
    }

    pub fn url(self) -> &'static str {
        match self {
            Self::Etalab2 => "https://www.etalab.gouv.fr/licence-ouverte-open-licence",
            Self::Odbl => "https://opendatacommons.org/licenses/odbl/1-0/",
        }
    }
}

impl Publisher {
    /// The producer's identifier for data.inclusion: `silo-` and the name as a slug.
    pub fn source_name(&self) -> String {
        format!(
            "silo-{}",
            silo_domain::field::Slug::from_title(&self.name).into_string()
        )
    }

    pub fn from_settings(settings: &crate::Settings) -> anyhow::Result<Self> {
        let licence = Licence::parse(&settings.licence).ok_or_else(|| {
            anyhow::anyhow!(
                "licence: `etalab-2.0` or `odbl`, not `{}`",
                settings.licence
            )
        })?;
        let collectivity = match (&settings.city_siret, &settings.city_insee) {
            (Some(siret), Some(insee)) => {
                anyhow::ensure!(
                    siret.len() == 14 && siret.chars().all(|c| c.is_ascii_digit()),
                    "city_siret: 14 digits, not `{siret}`"
                );
                anyhow::ensure!(
                    insee.len() == 5
                        && insee
                            .chars()
                            .all(|c| c.is_ascii_digit() || c == 'A' || c == 'B'),
                    "city_insee: the commune's 5-character INSEE code, not `{insee}`"
                );
                Some(silo_domain::equipment_table::Collectivity {
                    name: settings.publisher_name.clone(),
                    siret: siret.clone(),
                    insee: insee.clone(),
                })
            }
            (None, None) => None,
            _ => anyhow::bail!("city_siret and city_insee go together"),
        };
        Ok(Self {
            name: settings.publisher_name.clone(),
            licence,
            collectivity,
        })
    }
}

/// A dataset of the catalog.
pub struct Dataset {
    pub kind: DatasetKind,
    pub title: String,
    pub description: String,
}

pub enum DatasetKind {
    /// The city's agenda, or (with its slug) a site's.
    Agenda(Option<String>),
    Associations,
    Services,
    /// The SCDL Équipements table (when the collectivity is configured).
    Equipments,
}

/// A file: (name, title, IANA media type, EU file type).
type File = (&'static str, &'static str, &'static str, &'static str);

/// Where a dataset lives: identifier, folder of its files, files, landing page, keywords,
/// and the standard it conforms to.
struct Layout {
    id: String,
    folder: String,
    files: &'static [File],
    landing: String,
    keywords: &'static [&'static str],
    conforms_to: Option<String>,
}

impl DatasetKind {
    fn layout(&self, base: &str) -> Layout {
        let opendata = format!("{base}/opendata");
        match self {
            Self::Agenda(site) => {
                let (id, folder, landing) = match site {
                    None => (
                        format!("{opendata}/datasets/agenda"),
                        opendata.clone(),
                        format!("{opendata}/agenda/datapackage.json"),
                    ),
                    Some(slug) => (
                        format!("{opendata}/datasets/sites/{slug}/agenda"),
                        format!("{opendata}/sites/{slug}"),
                        format!("{opendata}/agenda/datapackage.json?site={slug}"),
                    ),
                };
                Layout {
                    id,
                    folder,
                    files: &AGENDA_FILES,
                    landing,
                    keywords: &["agenda", "événements", "culture", "sport"],
                    conforms_to: Some(format!("{opendata}/agenda/schemas/evenements.schema.json")),
                }
            }
            Self::Associations => Layout {
                id: format!("{opendata}/datasets/associations"),
                landing: format!("{opendata}/associations.csv"),
                folder: opendata,
                files: &[("associations.csv", "Associations (CSV)", "text/csv", "CSV")],
                keywords: &["associations", "annuaire", "vie associative"],
                conforms_to: None,
            },
            Self::Equipments => Layout {
                id: format!("{opendata}/datasets/equipements"),
                landing: format!("{opendata}/equipements.csv"),
                folder: opendata,
                files: &[(
                    "equipements.csv",
                    "Équipements (CSV, schéma SCDL Équipements 0.1.5)",
                    "text/csv",
                    "CSV",
                )],
                keywords: &["équipements", "équipements publics", "horaires"],
                conforms_to: Some("https://schema.data.gouv.fr/scdl/equipements/0.1.5/".to_owned()),
            },
            Self::Services => Layout {
                id: format!("{opendata}/datasets/services"),
                landing: format!("{opendata}/services.json"),
                folder: opendata,
                files: &[(
                    "services.json",
                    "Services publics (JSON, schéma data.inclusion service)",
                    "application/json",
                    "JSON",
                )],
                keywords: &["services publics", "horaires", "démarches"],
                conforms_to: Some(
                    "https://github.com/gip-inclusion/data-inclusion-schema".to_owned(),
                ),
            },
        }
    }
}

pub const PAGE_SIZE: usize = 50;

/// One page (from 1) of the catalog.
pub fn catalog(
    base: &str,
    publisher: &Publisher,
    datasets: &[Dataset],
    page: usize,
    modified: Option<chrono::DateTime<chrono::Utc>>,
) -> Value {
    let id = format!("{base}/opendata/catalog.jsonld");
    let pages = datasets.len().div_ceil(PAGE_SIZE).max(1);
    let shown: Vec<Value> = datasets
        .iter()
        .skip((page - 1) * PAGE_SIZE)
        .take(PAGE_SIZE)
        .map(|d| dataset(base, publisher, d, modified))
        .collect();
    let page_url = |n: usize| format!("{id}?page={n}");
    let mut view = json!({
        "@id": page_url(page),
        "@type": "hydra:PartialCollectionView",
        "hydra:first": page_url(1),
        "hydra:last": page_url(pages),
    });
    if page < pages {
        view["hydra:next"] = json!(page_url(page + 1));
    }
    if page > 1 {
        view["hydra:previous"] = json!(page_url(page - 1));
    }
    let mut catalog = json!({
        "@context": context(),
        "@id": id,
        "@type": ["dcat:Catalog", "hydra:Collection"],
        "dct:title": format!("Données ouvertes — {}", publisher.name),
        "dct:description": "L'agenda public et les annuaires de la ville, en données ouvertes.",
        "dct:publisher": agent(publisher),
        "dct:language": { "@id": "http://publications.europa.eu/resource/authority/language/FRA", "@type": "dct:LinguisticSystem" },
        "dct:license": licence(publisher),
        "foaf:homepage": { "@id": format!("{base}/"), "@type": "foaf:Document" },
        "dcat:dataset": shown,
        "hydra:totalItems": datasets.len(),
        "hydra:view": view,
    });
    if let Some(at) = modified {
        catalog["dct:modified"] = date_time(at);
    }
    catalog
}

fn context() -> Value {
    json!({
        "dcat": "http://www.w3.org/ns/dcat#",
        "dct": "http://purl.org/dc/terms/",
        "foaf": "http://xmlns.com/foaf/0.1/",
        "vcard": "http://www.w3.org/2006/vcard/ns#",
        "hydra": "http://www.w3.org/ns/hydra/core#",
        "xsd": "http://www.w3.org/2001/XMLSchema#",
        "hydra:first": { "@type": "@id" },
        "hydra:last": { "@type": "@id" },
        "hydra:next": { "@type": "@id" },
        "hydra:previous": { "@type": "@id" },
    })
}

fn agent(publisher: &Publisher) -> Value {
    json!({ "@type": "foaf:Agent", "foaf:name": publisher.name })
}

fn licence(publisher: &Publisher) -> Value {
    json!({
        "@id": publisher.licence.url(),
        "@type": "dct:LicenseDocument",
        "dct:identifier": publisher.licence.id(),
    })
}

fn date_time(at: chrono::DateTime<chrono::Utc>) -> Value {
    json!({
        "@value": at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "@type": "xsd:dateTime",
    })
}

/// The files of an agenda dataset: (file, title, IANA media type, EU file type).
const AGENDA_FILES: [File; 5] = [
    ("agenda.ics", "Agenda (iCalendar)", "text/calendar", "ICS"),
    ("evenements.csv", "Événements (CSV)", "text/csv", "CSV"),
    (
        "occurrences.csv",
        "Créneaux des événements (CSV)",
        "text/csv",
        "CSV",
    ),
    (
        "agenda.jsonld",
        "Agenda (JSON-LD schema.org)",
        "application/ld+json",
        "JSON_LD",
    ),
    (
        "agenda.json",
        "Agenda (JSON, modèle OpenAgenda)",
        "application/json",
        "JSON",
    ),
];

fn dataset(
    base: &str,
    publisher: &Publisher,
    d: &Dataset,
    modified: Option<chrono::DateTime<chrono::Utc>>,
) -> Value {
    let layout = d.kind.layout(base);
    let id = &layout.id;
    let distributions: Vec<Value> = layout
        .files
        .iter()
        .map(|(file, title, media, file_type)| {
            let url = format!("{}/{file}", layout.folder);
            json!({
                "@id": format!("{id}#{file}"),
                "@type": "dcat:Distribution",
                "dct:title": title,
                "dcat:accessURL": { "@id": url },
                "dcat:downloadURL": { "@id": url },
                "dcat:mediaType": { "@id": format!("https://www.iana.org/assignments/media-types/{media}"), "@type": "dct:MediaType" },
                "dct:format": { "@id": format!("http://publications.europa.eu/resource/authority/file-type/{file_type}"), "@type": "dct:MediaTypeOrExtent" },
                "dct:license": licence(publisher),
            })
        })
        .collect();
    let mut dataset = json!({
        "@id": id,
        "@type": "dcat:Dataset",
        "dct:identifier": id,
        "dct:title": d.title,
        "dct:description": d.description,
        "dcat:keyword": layout.keywords,
        "dct:publisher": agent(publisher),
        "dcat:contactPoint": { "@type": "vcard:Organization", "vcard:fn": publisher.name },
        "dct:accrualPeriodicity": { "@id": "http://publications.europa.eu/resource/authority/frequency/DAILY", "@type": "dct:Frequency" },
        "dcat:landingPage": { "@id": layout.landing, "@type": "foaf:Document" },
        "dcat:distribution": distributions,
    });
    if let Some(standard) = layout.conforms_to {
        dataset["dct:conformsTo"] = json!({ "@id": standard, "@type": "dct:Standard" });
    }
    if let Some(at) = modified {
        dataset["dct:modified"] = date_time(at);
    }
    dataset
}
