//! The reference data every content kind points to: departments, places, taxonomy, sites.

use crate::entity::{content_term, department, place, site, term};
use crate::write::{CONTENT_BATCH, insert_rows};
use crate::{Store, internal};
use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use silo_domain::DomainError;
use silo_domain::content::{Term, TermKind};
use silo_domain::department::{Department, ReviewPolicy};
use silo_domain::place::Place;
use silo_domain::site::{Channel, Site};
use uuid::Uuid;

impl Store {
    /// Every department, parents before children is not guaranteed: order is by name.
    pub async fn departments(&self) -> Result<Vec<Department>, DomainError> {
        let rows = department::Entity::find()
            .order_by_asc(department::Column::Name)
            .all(&self.db)
            .await
            .map_err(internal)?;
        rows.into_iter().map(to_department).collect()
    }

    pub async fn departments_by_ids(&self, ids: &[Uuid]) -> Result<Vec<Department>, DomainError> {
        let rows = department::Entity::find()
            .filter(department::Column::Id.is_in(ids.iter().copied()))
            .all(&self.db)
            .await
            .map_err(internal)?;
        rows.into_iter().map(to_department).collect()
    }

    pub async fn insert_departments(
        &self,
        items: &[Department],
        now: DateTime<Utc>,
    ) -> Result<(), DomainError> {
        insert_rows(
            &self.db,
            items.iter().map(|d| department_active(d, now)),
            CONTENT_BATCH,
        )
        .await
    }

    pub async fn places_by_ids(&self, ids: &[Uuid]) -> Result<Vec<Place>, DomainError> {
        let rows = place::Entity::find()
            .filter(place::Column::Id.is_in(ids.iter().copied()))
            .all(&self.db)
            .await
            .map_err(internal)?;
        Ok(rows.into_iter().map(to_place).collect())
    }

    pub async fn insert_places(
        &self,
        items: &[Place],
        now: DateTime<Utc>,
    ) -> Result<(), DomainError> {
        insert_rows(
            &self.db,
            items.iter().map(|p| place_active(p, now)),
            CONTENT_BATCH,
        )
        .await
    }

    /// Every term of a kind, by name.
    pub async fn terms(&self, kind: TermKind) -> Result<Vec<Term>, DomainError> {
        let rows = term::Entity::find()
            .filter(term::Column::Kind.eq(kind.as_str()))
            .order_by_asc(term::Column::Name)
            .all(&self.db)
            .await
            .map_err(internal)?;
        rows.into_iter().map(to_term).collect()
    }

    /// Terms of a kind by slug; unknown slugs are simply absent from the answer.
    pub async fn terms_by_slugs(
        &self,
        kind: TermKind,
        slugs: &[String],
    ) -> Result<Vec<Term>, DomainError> {
        let rows = term::Entity::find()
            .filter(term::Column::Kind.eq(kind.as_str()))
            .filter(term::Column::Slug.is_in(slugs.iter().cloned()))
            .all(&self.db)
            .await
            .map_err(internal)?;
        rows.into_iter().map(to_term).collect()
    }

    /// The (content id, term) pairs of the given items, in one query.
    pub async fn terms_of(&self, content_ids: &[Uuid]) -> Result<Vec<(Uuid, Term)>, DomainError> {
        let rows: Vec<(Uuid, Uuid, String, String, String, i32)> = content_term::Entity::find()
            .select_only()
            .column(content_term::Column::ContentId)
            .column_as(term::Column::Id, "term_id")
            .column(term::Column::Kind)
            .column(term::Column::Slug)
            .column(term::Column::Name)
            .column(term::Column::Version)
            .inner_join(term::Entity)
            .filter(content_term::Column::ContentId.is_in(content_ids.iter().copied()))
            .order_by_asc(term::Column::Name)
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(internal)?;
        rows.into_iter()
            .map(|(content_id, id, kind, slug, name, version)| {
                Ok((
                    content_id,
                    to_term(term::Model {
                        id,
                        kind,
                        slug,
                        name,
                        version,
                    })?,
                ))
            })
            .collect()
    }

    pub async fn insert_terms(&self, items: &[Term]) -> Result<(), DomainError> {
        insert_rows(&self.db, items.iter().map(term_active), CONTENT_BATCH).await
    }

    pub async fn sites(&self) -> Result<Vec<Site>, DomainError> {
        let rows = site::Entity::find()
            .order_by_asc(site::Column::Slug)
            .all(&self.db)
            .await
            .map_err(internal)?;
        rows.into_iter().map(to_site).collect()
    }

    pub async fn site_by_slug(&self, slug: &str) -> Result<Option<Site>, DomainError> {
        let row = site::Entity::find()
            .filter(site::Column::Slug.eq(slug))
            .one(&self.db)
            .await
            .map_err(internal)?;
        row.map(to_site).transpose()
    }

    pub async fn insert_sites(
        &self,
        items: &[Site],
        now: DateTime<Utc>,
    ) -> Result<(), DomainError> {
        insert_rows(
            &self.db,
            items.iter().map(|s| site_active(s, now)),
            CONTENT_BATCH,
        )
        .await
    }

    /// Whether the hub holds no department yet (a fresh database).
    pub async fn is_empty(&self) -> Result<bool, DomainError> {
        let one = department::Entity::find()
            .limit(1)
            .all(&self.db)
            .await
            .map_err(internal)?;
        Ok(one.is_empty())
    }
}

fn to_department(m: department::Model) -> Result<Department, DomainError> {
    Ok(Department {
        id: m.id,
        parent_id: m.parent_id,
        review_policy: ReviewPolicy::parse(&m.review_policy).ok_or_else(|| {
            DomainError::Internal(format!("stored review policy `{}`", m.review_policy))
        })?,
        slug: m.slug,
        name: m.name,
        time_zone: m.time_zone,
        version: m.version,
    })
}

fn to_place(m: place::Model) -> Place {
    Place {
        id: m.id,
        name: m.name,
        street_address: m.street_address,
        postal_code: m.postal_code,
        city: m.city,
        latitude: m.latitude,
        longitude: m.longitude,
        version: m.version,
    }
}

pub(crate) fn to_term(m: term::Model) -> Result<Term, DomainError> {
    let kind = match m.kind.as_str() {
        "category" => TermKind::Category,
        "tag" => TermKind::Tag,
        other => return Err(DomainError::Internal(format!("stored term kind `{other}`"))),
    };
    Ok(Term {
        id: m.id,
        kind,
        slug: m.slug,
        name: m.name,
        version: m.version,
    })
}

pub(crate) fn to_site(m: site::Model) -> Result<Site, DomainError> {
    let channel: Channel =
        serde_json::from_value(m.channel).map_err(|e| DomainError::Internal(e.to_string()))?;
    Ok(Site {
        id: m.id,
        slug: m.slug,
        name: m.name,
        base_url: m.base_url,
        channel,
        version: m.version,
    })
}

pub(crate) fn department_active(d: &Department, now: DateTime<Utc>) -> department::ActiveModel {
    department::ActiveModel {
        id: Set(d.id),
        parent_id: Set(d.parent_id),
        slug: Set(d.slug.clone()),
        name: Set(d.name.clone()),
        review_policy: Set(d.review_policy.as_str().to_owned()),
        time_zone: Set(d.time_zone.clone()),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(d.version),
    }
}

pub(crate) fn place_active(p: &Place, now: DateTime<Utc>) -> place::ActiveModel {
    place::ActiveModel {
        id: Set(p.id),
        name: Set(p.name.clone()),
        street_address: Set(p.street_address.clone()),
        postal_code: Set(p.postal_code.clone()),
        city: Set(p.city.clone()),
        latitude: Set(p.latitude),
        longitude: Set(p.longitude),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(p.version),
    }
}

pub(crate) fn site_active(s: &Site, now: DateTime<Utc>) -> site::ActiveModel {
    site::ActiveModel {
        id: Set(s.id),
        slug: Set(s.slug.clone()),
        name: Set(s.name.clone()),
        base_url: Set(s.base_url.clone()),
        channel: Set(serde_json::to_value(&s.channel).expect("channel serializes")),
        version: Set(s.version),
        created_at: Set(now),
        updated_at: Set(now),
    }
}

pub(crate) fn term_active(t: &Term) -> term::ActiveModel {
    term::ActiveModel {
        id: Set(t.id),
        kind: Set(t.kind.as_str().to_owned()),
        slug: Set(t.slug.clone()),
        name: Set(t.name.clone()),
        version: Set(t.version),
    }
}
