//! Public services: offices, facilities and online procedures, with their opening hours.

use crate::content::{Publication, SiteTargets};
use crate::error::{DomainError, Invalid, Violations};
use crate::field::{Email, HttpUrl, Phone, Slug, optional_text, required_text};
use crate::markdown;
use crate::opening_hours::OpeningHours;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What sort of public service it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum ServiceKind {
    /// A counter where citizens are received (town hall, civil status office).
    #[default]
    Office,
    /// A facility open to the public (library, pool, sports hall).
    Facility,
    /// A procedure done online.
    OnlineProcedure,
}

impl ServiceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Office => "office",
            Self::Facility => "facility",
            Self::OnlineProcedure => "online_procedure",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Office, Self::Facility, Self::OnlineProcedure]
            .into_iter()
            .find(|k| k.as_str() == raw)
    }
}

/// Everything the city says about a public service, validated and normalized.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublicServiceFields {
    pub slug: String,
    pub department_id: Uuid,
    pub kind: ServiceKind,
    pub name: String,
    pub description_markdown: String,
    pub description_html: String,
    pub place_id: Option<Uuid>,
    /// OpenStreetMap `opening_hours` syntax, public holidays (`PH`) included.
    pub opening_hours: Option<String>,
    pub time_zone: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub procedure_url: Option<String>,
    /// Its entry in the national equipment nomenclature, for the SCDL export.
    #[serde(default)]
    pub equipment: Option<Equipment>,
    pub category_ids: Vec<Uuid>,
    pub sites: SiteTargets,
}

/// The themes of the SCDL Équipements nomenclature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EquipmentTheme {
    Administrative,
    Justice,
    Health,
    Social,
    SportAndLeisure,
    Education,
    Worship,
    Culture,
    Mobility,
    Other,
}

impl EquipmentTheme {
    pub const ALL: [Self; 10] = [
        Self::Administrative,
        Self::Justice,
        Self::Health,
        Self::Social,
        Self::SportAndLeisure,
        Self::Education,
        Self::Worship,
        Self::Culture,
        Self::Mobility,
        Self::Other,
    ];

    /// The label the SCDL schema's `EQUIP_THEME` enumerates.
    pub fn label(self) -> &'static str {
        match self {
            Self::Administrative => "Equipement administratif",
            Self::Justice => "Equipement de justice",
            Self::Health => "Equipement sanitaire",
            Self::Social => "Equipement social et d'animation",
            Self::SportAndLeisure => "Equipement sportif et de loisirs",
            Self::Education => "Equipement d'enseignement",
            Self::Worship => "Equipement cultuel",
            Self::Culture => "Equipement culturel",
            Self::Mobility => "Equipement de mobilité",
            Self::Other => "Autre équipement",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Administrative => "administrative",
            Self::Justice => "justice",
            Self::Health => "health",
            Self::Social => "social",
            Self::SportAndLeisure => "sport_and_leisure",
            Self::Education => "education",
            Self::Worship => "worship",
            Self::Culture => "culture",
            Self::Mobility => "mobility",
            Self::Other => "other",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == raw)
    }
}

/// A facility's nomenclature entry: `01010401-001` (eight-digit type code, then a
/// three-digit number telling several equipments of one type apart), its theme and the
/// type's name (`Mairie`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Equipment {
    pub code: String,
    pub theme: EquipmentTheme,
    pub type_name: String,
}

impl Equipment {
    pub fn parse(code: &str, theme: EquipmentTheme, type_name: &str) -> Result<Self, Invalid> {
        let code = code.trim();
        let well_formed = code.len() == 12
            && code
                .char_indices()
                .all(|(i, c)| if i == 8 { c == '-' } else { c.is_ascii_digit() });
        if !well_formed {
            return Err(Invalid::new(
                "is eight digits of the equipment nomenclature, a dash and three digits (01010401-001)",
            ));
        }
        let type_name = required_text(type_name, 200)?;
        Ok(Self {
            code: code.to_owned(),
            theme,
            type_name,
        })
    }
}

/// A stored public service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublicService {
    pub id: Uuid,
    pub publication: Publication,
    pub fields: PublicServiceFields,
}

/// What a caller sends to create or replace a public service.
#[derive(Debug, Clone, Default)]
pub struct PublicServiceInput {
    pub slug: Option<String>,
    pub department_id: Uuid,
    pub kind: ServiceKind,
    pub name: String,
    pub description_markdown: String,
    pub place_id: Option<Uuid>,
    pub opening_hours: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub procedure_url: Option<String>,
    /// `(code, theme, type name)` in the equipment nomenclature.
    pub equipment: Option<(String, EquipmentTheme, String)>,
    pub category_ids: Vec<Uuid>,
    pub sites: SiteTargets,
}

impl PublicServiceInput {
    pub fn validate(self) -> Result<PublicServiceFields, DomainError> {
        let mut v = Violations::new();
        let name = v.check("name", required_text(&self.name, 300));
        let slug = match &self.slug {
            Some(raw) => v.check("slug", Slug::parse(raw)),
            None => Some(Slug::from_title(&self.name)),
        };
        let hours = v.check_opt(
            "openingHours",
            self.opening_hours.as_deref(),
            OpeningHours::parse,
        );
        let phone = v.check_opt("phone", self.phone.as_deref(), Phone::parse);
        let email = v.check_opt("email", self.email.as_deref(), Email::parse);
        let url = v.check_opt(
            "procedureUrl",
            self.procedure_url.as_deref(),
            HttpUrl::parse,
        );
        let equipment = match &self.equipment {
            Some((code, theme, type_name)) => {
                v.check("equipment", Equipment::parse(code, *theme, type_name))
            }
            None => None,
        };
        if self.kind == ServiceKind::OnlineProcedure && self.procedure_url.is_none() {
            v.push("procedureUrl", "an online procedure needs its URL");
        }
        let _ = v.check(
            "description",
            optional_text(Some(&self.description_markdown), 50_000),
        );
        v.finish()?;
        Ok(PublicServiceFields {
            slug: slug.expect("checked").into_string(),
            department_id: self.department_id,
            kind: self.kind,
            name: name.expect("checked"),
            description_html: markdown::render_html(&self.description_markdown),
            description_markdown: self.description_markdown,
            place_id: self.place_id,
            opening_hours: hours.map(|h| h.as_str().to_owned()),
            time_zone: "Europe/Paris".to_owned(),
            phone: phone.map(|p| p.as_str().to_owned()),
            email: email.map(|e| e.as_str().to_owned()),
            procedure_url: url.map(|u| u.as_str().to_owned()),
            equipment,
            category_ids: self.category_ids,
            sites: self.sites,
        })
    }
}
