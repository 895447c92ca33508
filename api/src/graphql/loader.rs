//! Per-request DataLoaders: nested fields of a page (places, departments, organizers,
//! taxonomy) cost one query per kind, whatever the page size.

use async_graphql::dataloader::{DataLoader, Loader};
use silo_domain::DomainError;
use silo_domain::association::Association;
use silo_domain::content::Term;
use silo_domain::department::Department;
use silo_domain::place::Place;
use silo_storage::Store;
use std::collections::HashMap;
use std::sync::Arc;
use uuid::Uuid;

/// The loaders of one request (never shared between requests: no cross-user cache).
pub struct Loaders {
    pub places: DataLoader<PlaceLoader>,
    pub departments: DataLoader<DepartmentLoader>,
    pub associations: DataLoader<AssociationLoader>,
    pub terms: DataLoader<TermLoader>,
}

impl Loaders {
    pub fn new(store: &Store) -> Self {
        fn make<L: Loader<Uuid>>(l: L) -> DataLoader<L> {
            // A list's items are polled in chunks (futures yield every 32 polls): a short
            // wait lets a whole page queue its keys before the batch runs.
            DataLoader::new(l, tokio::spawn).delay(std::time::Duration::from_micros(200))
        }
        Self {
            places: make(PlaceLoader(store.clone())),
            departments: make(DepartmentLoader(store.clone())),
            associations: make(AssociationLoader(store.clone())),
            terms: make(TermLoader(store.clone())),
        }
    }
}

/// The loader's error type must be `Clone`.
pub type LoadError = Arc<DomainError>;

pub struct PlaceLoader(Store);
pub struct DepartmentLoader(Store);
pub struct AssociationLoader(Store);
pub struct TermLoader(Store);

impl Loader<Uuid> for PlaceLoader {
    type Value = Place;
    type Error = LoadError;
    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Place>, LoadError> {
        let rows = self.0.places_by_ids(keys).await.map_err(Arc::new)?;
        Ok(rows.into_iter().map(|p| (p.id, p)).collect())
    }
}

impl Loader<Uuid> for DepartmentLoader {
    type Value = Department;
    type Error = LoadError;
    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Department>, LoadError> {
        let rows = self.0.departments_by_ids(keys).await.map_err(Arc::new)?;
        Ok(rows.into_iter().map(|d| (d.id, d)).collect())
    }
}

impl Loader<Uuid> for AssociationLoader {
    type Value = Association;
    type Error = LoadError;
    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Association>, LoadError> {
        let rows = self.0.associations_by_ids(keys).await.map_err(Arc::new)?;
        Ok(rows.into_iter().map(|a| (a.id, a)).collect())
    }
}

/// Terms (categories and tags) of each content id.
impl Loader<Uuid> for TermLoader {
    type Value = Vec<Term>;
    type Error = LoadError;
    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Vec<Term>>, LoadError> {
        let rows = self.0.terms_of(keys).await.map_err(Arc::new)?;
        let mut out: HashMap<Uuid, Vec<Term>> = keys.iter().map(|k| (*k, Vec::new())).collect();
        for (content_id, term) in rows {
            out.entry(content_id).or_default().push(term);
        }
        Ok(out)
    }
}

/// Turns a loader failure into a GraphQL error with its code.
pub fn load_error(e: LoadError) -> async_graphql::Error {
    super::error::gql(match Arc::try_unwrap(e) {
        Ok(e) => e,
        Err(shared) => DomainError::Internal(shared.to_string()),
    })
}
