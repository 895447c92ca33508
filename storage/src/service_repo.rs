//! Public services: name-ordered pages, "open at" filtering, lookups, batch inserts.

use crate::entity::public_service;
use crate::event_repo::{publication_of, set_publication};
use crate::filter::{ContentColumns, after_position, place_near, visible};
use crate::write::{CONTENT_BATCH, Links, insert_rows};
use crate::{Store, internal};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait,
};
use silo_domain::DomainError;
use silo_domain::content::SiteTargets;
use silo_domain::opening_hours::OpeningHours;
use silo_domain::public_service::{
    Equipment, EquipmentTheme, PublicService, PublicServiceFields, ServiceKind,
};
use silo_domain::query::ServiceFilter;
use silo_domain::site::SiteScope;
use uuid::Uuid;

const COLUMNS: ContentColumns<public_service::Column> = ContentColumns {
    id: public_service::Column::Id,
    department_id: public_service::Column::DepartmentId,
    all_sites: public_service::Column::AllSites,
    status: public_service::Column::Status,
};

/// Position in the services' (name, id) order.
pub type ServiceKey = (String, Uuid);

impl Store {
    /// A page of visible services in name order after `after`. "Open at" cannot be decided
    /// in SQL (opening hours are evaluated in Rust), so that filter reads on until the page
    /// is full; a city has hundreds of services, not millions.
    pub async fn services_page(
        &self,
        filter: &ServiceFilter,
        scope: Option<&SiteScope>,
        after: Option<&ServiceKey>,
        limit: usize,
    ) -> Result<Vec<PublicService>, DomainError> {
        let mut cond = visible(&COLUMNS, scope);
        if let Some(kind) = filter.kind {
            cond = cond.add(public_service::Column::Kind.eq(kind.as_str()));
        }
        if let Some(near) = &filter.near {
            cond = cond.add(place_near(public_service::Column::PlaceId, near));
        }
        if let Some((name, id)) = after {
            cond = cond.add(after_position(
                public_service::Column::Name,
                public_service::Column::Id,
                name.as_str(),
                *id,
                false,
            ));
        }
        if filter.open_at.is_some() {
            cond = cond.add(public_service::Column::OpeningHours.is_not_null());
        }
        let mut query = public_service::Entity::find()
            .filter(cond)
            .order_by_asc(public_service::Column::Name)
            .order_by_asc(public_service::Column::Id);
        if filter.open_at.is_none() {
            query = query.limit(limit as u64);
        }
        let rows = query.all(&self.db).await.map_err(internal)?;
        let mut out = Vec::with_capacity(limit.min(rows.len()));
        for row in rows {
            if out.len() == limit {
                break;
            }
            let service = to_service(row)?;
            if let Some(at) = filter.open_at
                && !is_open(&service.fields, at)
            {
                continue;
            }
            out.push(service);
        }
        Ok(out)
    }

    /// A visible public service by slug.
    pub async fn public_service(
        &self,
        slug: &str,
        scope: Option<&SiteScope>,
    ) -> Result<Option<PublicService>, DomainError> {
        let row = public_service::Entity::find()
            .filter(visible(&COLUMNS, scope).add(public_service::Column::Slug.eq(slug)))
            .one(&self.db)
            .await
            .map_err(internal)?;
        row.map(to_service).transpose()
    }

    pub async fn insert_services(&self, items: &[PublicService]) -> Result<(), DomainError> {
        let mut links = Links::default();
        for item in items {
            links.add(item.id, &item.fields.category_ids, &item.fields.sites);
        }
        let txn = self.db.begin().await.map_err(internal)?;
        insert_rows(&txn, items.iter().map(to_active), CONTENT_BATCH).await?;
        links.insert(&txn).await?;
        txn.commit().await.map_err(internal)
    }
}

/// Whether the service is open at `at` (a service without hours is never "open").
pub fn is_open(fields: &PublicServiceFields, at: chrono::DateTime<chrono::Utc>) -> bool {
    let tz = fields.time_zone.parse().unwrap_or(chrono_tz::Europe::Paris);
    fields
        .opening_hours
        .as_deref()
        .and_then(|raw| OpeningHours::parse(raw).ok())
        .is_some_and(|hours| hours.is_open(at, tz))
}

pub(crate) fn to_service(m: public_service::Model) -> Result<PublicService, DomainError> {
    let publication = publication_of!(m);
    Ok(PublicService {
        id: m.id,
        publication,
        fields: PublicServiceFields {
            slug: m.slug,
            department_id: m.department_id,
            kind: ServiceKind::parse(&m.kind).ok_or_else(|| {
                DomainError::Internal(format!("stored service kind `{}`", m.kind))
            })?,
            name: m.name,
            description_markdown: m.description_markdown,
            description_html: m.description_html,
            place_id: m.place_id,
            opening_hours: m.opening_hours,
            time_zone: m.time_zone,
            phone: m.phone,
            email: m.email,
            procedure_url: m.procedure_url,
            equipment: match (m.equipment_code, m.equipment_theme, m.equipment_type) {
                (Some(code), Some(theme), Some(type_name)) => Some(Equipment {
                    code,
                    theme: EquipmentTheme::parse(&theme).ok_or_else(|| {
                        DomainError::Internal(format!("stored equipment theme `{theme}`"))
                    })?,
                    type_name,
                }),
                _ => None,
            },
            category_ids: Vec::new(),
            sites: if m.all_sites {
                SiteTargets::All
            } else {
                SiteTargets::Only(Vec::new())
            },
        },
    })
}

pub(crate) fn to_active(s: &PublicService) -> public_service::ActiveModel {
    let f = &s.fields;
    let mut am = public_service::ActiveModel {
        id: Set(s.id),
        slug: Set(f.slug.clone()),
        department_id: Set(f.department_id),
        kind: Set(f.kind.as_str().to_owned()),
        name: Set(f.name.clone()),
        description_markdown: Set(f.description_markdown.clone()),
        description_html: Set(f.description_html.clone()),
        place_id: Set(f.place_id),
        opening_hours: Set(f.opening_hours.clone()),
        time_zone: Set(f.time_zone.clone()),
        phone: Set(f.phone.clone()),
        email: Set(f.email.clone()),
        procedure_url: Set(f.procedure_url.clone()),
        all_sites: Set(matches!(f.sites, SiteTargets::All)),
        equipment_code: Set(f.equipment.as_ref().map(|e| e.code.clone())),
        equipment_theme: Set(f.equipment.as_ref().map(|e| e.theme.as_str().to_owned())),
        equipment_type: Set(f.equipment.as_ref().map(|e| e.type_name.clone())),
        ..Default::default()
    };
    set_publication!(am, &s.publication);
    am
}
