//! Batch writes shared by every content kind: rows, taxonomy links and target sites, in
//! multi-row INSERTs sized under both backends' bind-parameter limits.

use crate::entity::{content_site, content_term};
use crate::internal;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, EntityTrait};
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
