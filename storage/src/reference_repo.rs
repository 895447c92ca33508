//! Writes to the reference data — departments, places, taxonomy terms, sites — under an
//! optimistic lock, each with its outbox row.

use crate::directory_repo::{department_active, place_active, site_active, term_active};
use crate::entity::{department, place, site, term};
use crate::outbox::{self, Change, OutboxEvent};
use crate::write::{put, remove};
use crate::{Store, internal};
use chrono::Utc;
use sea_orm::{ActiveValue::NotSet, ActiveValue::Set, EntityTrait};
use silo_domain::DomainError;
use silo_domain::audit::Actor;
use silo_domain::content::Term;
use silo_domain::department::Department;
use silo_domain::place::Place;
use silo_domain::site::Site;
use uuid::Uuid;

/// One item of reference data.
#[derive(Debug, Clone, Copy)]
pub enum Reference<'a> {
    Department(&'a Department),
    Place(&'a Place),
    Term(&'a Term),
    Site(&'a Site),
}

impl Reference<'_> {
    fn aggregate(&self) -> &'static str {
        match self {
            Self::Department(_) => "department",
            Self::Place(_) => "place",
            Self::Term(_) => "term",
            Self::Site(_) => "site",
        }
    }

    fn id(&self) -> Uuid {
        match self {
            Self::Department(d) => d.id,
            Self::Place(p) => p.id,
            Self::Term(t) => t.id,
            Self::Site(s) => s.id,
        }
    }

    fn version(&self) -> i32 {
        match self {
            Self::Department(d) => d.version,
            Self::Place(p) => p.version,
            Self::Term(t) => t.version,
            Self::Site(s) => s.version,
        }
    }

    /// The item as the audit log keeps it.
    fn summary(&self) -> serde_json::Value {
        let value = match self {
            Self::Department(d) => serde_json::to_value(d),
            Self::Place(p) => serde_json::to_value(p),
            Self::Term(t) => serde_json::to_value(t),
            Self::Site(s) => serde_json::to_value(s),
        };
        value.unwrap_or_default()
    }

    fn event(&self, change: Change, actor: &Actor) -> OutboxEvent {
        let before = match change {
            Change::Created => serde_json::Value::Null,
            Change::Deleted => self.summary(),
            _ => serde_json::json!({ "version": self.version() - 1 }),
        };
        OutboxEvent {
            aggregate: self.aggregate(),
            aggregate_id: self.id(),
            change,
            action: None,
            version: Some(self.version()),
            department_id: match self {
                Self::Department(d) => Some(d.id),
                _ => None,
            },
            actor: actor.clone(),
            before,
            payload: self.summary(),
        }
    }
}

impl Store {
    /// Inserts `item` when its version is 1, otherwise updates it if the stored version
    /// is still one below (`CONFLICT` otherwise).
    pub async fn save_reference(
        &self,
        item: Reference<'_>,
        actor: &Actor,
    ) -> Result<(), DomainError> {
        let now = Utc::now();
        let (id, version) = (item.id(), item.version());
        let expected = (version > 1).then_some(version - 1);
        let what = item.aggregate();
        // An update keeps the creation date.
        let created = |at| if expected.is_some() { NotSet } else { Set(at) };
        let txn = self.begin_write().await?;
        match item {
            Reference::Department(d) => {
                let mut am = department_active(d, now);
                am.created_at = created(now);
                let cols = (department::Column::Id, department::Column::Version);
                put(&txn, am, cols, id, expected, what).await?
            }
            Reference::Place(p) => {
                let mut am = place_active(p, now);
                am.created_at = created(now);
                let cols = (place::Column::Id, place::Column::Version);
                put(&txn, am, cols, id, expected, what).await?
            }
            Reference::Term(t) => {
                let cols = (term::Column::Id, term::Column::Version);
                put(&txn, term_active(t), cols, id, expected, what).await?
            }
            Reference::Site(s) => {
                let mut am = site_active(s, now);
                am.created_at = created(now);
                let cols = (site::Column::Id, site::Column::Version);
                put(&txn, am, cols, id, expected, what).await?
            }
        }
        let change = if expected.is_some() {
            Change::Updated
        } else {
            Change::Created
        };
        outbox::append(&txn, item.event(change, actor), now).await?;
        txn.commit().await.map_err(internal)
    }

    /// Deletes `item` if its stored version is still `item`'s. A department that still
    /// owns content, or has sub-departments, is refused (`CONFLICT`).
    pub async fn delete_reference(
        &self,
        item: Reference<'_>,
        actor: &Actor,
    ) -> Result<(), DomainError> {
        let (id, expected, what) = (item.id(), item.version(), item.aggregate());
        let txn = self.begin_write().await?;
        match item {
            Reference::Department(_) => {
                let cols = (department::Column::Id, department::Column::Version);
                remove::<department::Entity>(&txn, cols, id, expected, what).await?
            }
            Reference::Place(_) => {
                let cols = (place::Column::Id, place::Column::Version);
                remove::<place::Entity>(&txn, cols, id, expected, what).await?
            }
            Reference::Term(_) => {
                let cols = (term::Column::Id, term::Column::Version);
                remove::<term::Entity>(&txn, cols, id, expected, what).await?
            }
            Reference::Site(_) => {
                let cols = (site::Column::Id, site::Column::Version);
                remove::<site::Entity>(&txn, cols, id, expected, what).await?
            }
        }
        outbox::append(&txn, item.event(Change::Deleted, actor), Utc::now()).await?;
        txn.commit().await.map_err(internal)
    }

    pub async fn place(&self, id: Uuid) -> Result<Option<Place>, DomainError> {
        Ok(self.places_by_ids(&[id]).await?.pop())
    }

    pub async fn term(&self, id: Uuid) -> Result<Option<Term>, DomainError> {
        let row = term::Entity::find_by_id(id)
            .one(&self.db)
            .await
            .map_err(internal)?;
        row.map(crate::directory_repo::to_term).transpose()
    }

    pub async fn site(&self, id: Uuid) -> Result<Option<Site>, DomainError> {
        let row = site::Entity::find_by_id(id)
            .one(&self.db)
            .await
            .map_err(internal)?;
        row.map(crate::directory_repo::to_site).transpose()
    }
}
