//! The associations directory: name-ordered pages, lookups, batch inserts.

use crate::entity::association;
use crate::event_repo::{publication_of, set_publication};
use crate::filter::{ContentColumns, after_position, has_any_term, place_near, visible};
use crate::write::{CONTENT_BATCH, Links, insert_rows};
use crate::{Store, internal};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait,
};
use silo_domain::DomainError;
use silo_domain::association::{Association, AssociationFields};
use silo_domain::content::SiteTargets;
use silo_domain::query::{AssociationFilter, fold_for_search};
use silo_domain::site::SiteScope;
use uuid::Uuid;

const COLUMNS: ContentColumns<association::Column> = ContentColumns {
    id: association::Column::Id,
    department_id: association::Column::DepartmentId,
    all_sites: association::Column::AllSites,
    status: association::Column::Status,
};

/// Position in the directory's (folded name, id) order.
pub type AssociationKey = (String, Uuid);

impl Store {
    /// A page of visible associations in name order after `after`.
    pub async fn associations_page(
        &self,
        filter: &AssociationFilter,
        scope: Option<&SiteScope>,
        after: Option<&AssociationKey>,
        limit: usize,
    ) -> Result<Vec<Association>, DomainError> {
        let mut cond = visible(&COLUMNS, scope);
        if let Some(prefix) = filter.name_prefix.as_deref().map(fold_for_search)
            && !prefix.is_empty()
        {
            cond = cond.add(association::Column::NameFolded.starts_with(&prefix));
        }
        if !filter.category_ids.is_empty() {
            cond = cond.add(has_any_term(association::Column::Id, &filter.category_ids));
        }
        if let Some(near) = &filter.near {
            cond = cond.add(place_near(association::Column::PlaceId, near));
        }
        if let Some((name, id)) = after {
            cond = cond.add(after_position(
                association::Column::NameFolded,
                association::Column::Id,
                name.as_str(),
                *id,
                false,
            ));
        }
        let rows = association::Entity::find()
            .filter(cond)
            .order_by_asc(association::Column::NameFolded)
            .order_by_asc(association::Column::Id)
            .limit(limit as u64)
            .all(&self.db)
            .await
            .map_err(internal)?;
        rows.into_iter().map(to_association).collect()
    }

    /// A visible association by slug.
    pub async fn association(
        &self,
        slug: &str,
        scope: Option<&SiteScope>,
    ) -> Result<Option<Association>, DomainError> {
        let row = association::Entity::find()
            .filter(visible(&COLUMNS, scope).add(association::Column::Slug.eq(slug)))
            .one(&self.db)
            .await
            .map_err(internal)?;
        row.map(to_association).transpose()
    }

    /// Visible associations by id (organizers of events).
    pub async fn associations_by_ids(&self, ids: &[Uuid]) -> Result<Vec<Association>, DomainError> {
        let rows = association::Entity::find()
            .filter(visible(&COLUMNS, None).add(association::Column::Id.is_in(ids.iter().copied())))
            .all(&self.db)
            .await
            .map_err(internal)?;
        rows.into_iter().map(to_association).collect()
    }

    pub async fn insert_associations(&self, items: &[Association]) -> Result<(), DomainError> {
        let mut links = Links::default();
        for a in items {
            links.add(a.id, &a.fields.category_ids, &a.fields.sites);
        }
        let txn = self.db.begin().await.map_err(internal)?;
        insert_rows(&txn, items.iter().map(to_active), CONTENT_BATCH).await?;
        links.insert(&txn).await?;
        txn.commit().await.map_err(internal)
    }
}

pub(crate) fn to_association(m: association::Model) -> Result<Association, DomainError> {
    let publication = publication_of!(m);
    Ok(Association {
        id: m.id,
        publication,
        fields: AssociationFields {
            slug: m.slug,
            department_id: m.department_id,
            name: m.name,
            rna: m.rna,
            siret: m.siret,
            purpose: m.purpose,
            place_id: m.place_id,
            email: m.email,
            phone: m.phone,
            website: m.website,
            social_links: serde_json::from_value(m.social_links).unwrap_or_default(),
            logo_url: m.logo_url,
            category_ids: Vec::new(),
            sites: if m.all_sites {
                SiteTargets::All
            } else {
                SiteTargets::Only(Vec::new())
            },
        },
    })
}

pub(crate) fn to_active(a: &Association) -> association::ActiveModel {
    let f = &a.fields;
    let mut am = association::ActiveModel {
        id: Set(a.id),
        slug: Set(f.slug.clone()),
        department_id: Set(f.department_id),
        name: Set(f.name.clone()),
        name_folded: Set(fold_for_search(&f.name)),
        rna: Set(f.rna.clone()),
        siret: Set(f.siret.clone()),
        purpose: Set(f.purpose.clone()),
        place_id: Set(f.place_id),
        email: Set(f.email.clone()),
        phone: Set(f.phone.clone()),
        website: Set(f.website.clone()),
        social_links: Set(serde_json::json!(f.social_links)),
        logo_url: Set(f.logo_url.clone()),
        all_sites: Set(matches!(f.sites, SiteTargets::All)),
        ..Default::default()
    };
    set_publication!(am, &a.publication);
    am
}
