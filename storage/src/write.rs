//! Batch writes shared by every content kind: rows, taxonomy links and target sites, in
//! multi-row INSERTs sized under both backends' bind-parameter limits.

use crate::entity::{content_site, content_term};
use crate::internal;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QuerySelect,
};
use silo_domain::DomainError;
use silo_domain::content::SiteTargets;
use uuid::Uuid;

/// Rows of a wide content table per INSERT (≈50 columns: under SQLite's 32,766 parameters).
pub(crate) const CONTENT_BATCH: usize = 400;
/// Rows of a narrow table (2–4 columns) per INSERT.
pub(crate) const LINK_BATCH: usize = 4_000;

/// Inserts `rows` in batches of `batch`.
pub(crate) async fn insert_rows<A>(
    txn: &impl ConnectionTrait,
    rows: impl IntoIterator<Item = A>,
    batch: usize,
) -> Result<(), DomainError>
where
    A: ActiveModelTrait,
{
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        <A::Entity as EntityTrait>::insert_many(rows.by_ref().take(batch))
            .exec(txn)
            .await
            .map_err(internal)?;
    }
    Ok(())
}

/// What a batch of items of any kind writes besides its own rows.
#[derive(Default)]
pub(crate) struct Links {
    /// (content id, term id)
    pub terms: Vec<(Uuid, Uuid)>,
    /// (content id, site id), for items that do not target every site.
    pub sites: Vec<(Uuid, Uuid)>,
}

impl Links {
    /// Records one item's terms and target sites.
    pub fn add<'a>(
        &mut self,
        id: Uuid,
        terms: impl IntoIterator<Item = &'a Uuid>,
        targets: &SiteTargets,
    ) {
        self.terms.extend(terms.into_iter().map(|t| (id, *t)));
        if let SiteTargets::Only(sites) = targets {
            self.sites.extend(sites.iter().map(|s| (id, *s)));
        }
    }

    pub async fn insert(self, txn: &impl ConnectionTrait) -> Result<(), DomainError> {
        insert_rows(
            txn,
            self.terms
                .into_iter()
                .map(|(content_id, term_id)| content_term::ActiveModel {
                    content_id: Set(content_id),
                    term_id: Set(term_id),
                }),
            LINK_BATCH,
        )
        .await?;
        insert_rows(
            txn,
            self.sites
                .into_iter()
                .map(|(content_id, site_id)| content_site::ActiveModel {
                    content_id: Set(content_id),
                    site_id: Set(site_id),
                }),
            LINK_BATCH,
        )
        .await
    }
}

/// Inserts `active` (`expected` is `None`) or updates it if its stored version is still
/// `expected`. A stale version is a `CONFLICT` naming the current one; a missing row
/// `NOT_FOUND`.
pub(crate) async fn put<A, C>(
    txn: &impl ConnectionTrait,
    active: A,
    cols: (C, C),
    id: Uuid,
    expected: Option<i32>,
    what: &str,
) -> Result<(), DomainError>
where
    A: ActiveModelTrait + sea_orm::ActiveModelBehavior + Send,
    C: ColumnTrait,
    <A::Entity as EntityTrait>::Model: sea_orm::IntoActiveModel<A>,
    A::Entity: EntityTrait<Column = C>,
{
    let Some(expected) = expected else {
        <A::Entity as EntityTrait>::insert(active)
            .exec_without_returning(txn)
            .await
            .map_err(internal)?;
        return Ok(());
    };
    let (id_col, version_col) = cols;
    let updated = <A::Entity as EntityTrait>::update_many()
        .set(active)
        .filter(id_col.eq(id))
        .filter(version_col.eq(expected))
        .exec(txn)
        .await
        .map_err(internal)?;
    if updated.rows_affected == 1 {
        Ok(())
    } else {
        Err(stale::<A::Entity>(txn, (id_col, version_col), id, expected, what).await)
    }
}

/// Deletes the row if its version is still `expected`.
pub(crate) async fn remove<E: EntityTrait>(
    txn: &impl ConnectionTrait,
    cols: (E::Column, E::Column),
    id: Uuid,
    expected: i32,
    what: &str,
) -> Result<(), DomainError> {
    let (id_col, version_col) = cols;
    let deleted = E::delete_many()
        .filter(id_col.eq(id))
        .filter(version_col.eq(expected))
        .exec(txn)
        .await
        .map_err(|e| match internal(e) {
            DomainError::Validation(_) => DomainError::Conflict(format!("{what} is still in use")),
            other => other,
        })?;
    if deleted.rows_affected == 1 {
        Ok(())
    } else {
        Err(stale::<E>(txn, (id_col, version_col), id, expected, what).await)
    }
}

/// Why a versioned write touched nothing: the row is gone, or someone saved first.
async fn stale<E: EntityTrait>(
    txn: &impl ConnectionTrait,
    (id_col, version_col): (E::Column, E::Column),
    id: Uuid,
    expected: i32,
    what: &str,
) -> DomainError {
    let current: Result<Option<i32>, _> = E::find()
        .select_only()
        .column(version_col)
        .filter(id_col.eq(id))
        .into_tuple()
        .one(txn)
        .await;
    match current {
        Ok(Some(current)) => DomainError::Conflict(format!(
            "{what} was changed by someone else: expected version {expected}, current version {current}"
        )),
        Ok(None) => DomainError::not_found(what),
        Err(e) => internal(e),
    }
}

impl Links {
    /// Replaces one item's taxonomy and target sites.
    pub async fn replace(self, txn: &impl ConnectionTrait, id: Uuid) -> Result<(), DomainError> {
        content_term::Entity::delete_many()
            .filter(content_term::Column::ContentId.eq(id))
            .exec(txn)
            .await
            .map_err(internal)?;
        content_site::Entity::delete_many()
            .filter(content_site::Column::ContentId.eq(id))
            .exec(txn)
            .await
            .map_err(internal)?;
        self.insert(txn).await
    }
}
