//! Per-request DataLoaders: nested fields of a page (places, departments, organizers,
//! taxonomy) cost one query per kind, whatever the page size.

use async_graphql::Lookahead;
use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use silo_domain::DomainError;
use silo_domain::association::Association;
use silo_domain::content::Term;
use silo_domain::department::Department;
use silo_domain::event::Organizer;
use silo_domain::place::Place;
use silo_storage::Store;
use std::collections::HashMap;
use std::sync::Arc;
use uuid::Uuid;

/// The loaders of one request (never shared between requests: no cross-user cache).
pub struct Loaders {
    pub places: DataLoader<PlaceLoader, HashMapCache>,
    pub departments: DataLoader<DepartmentLoader, HashMapCache>,
    pub associations: DataLoader<AssociationLoader, HashMapCache>,
    pub terms: DataLoader<TermLoader, HashMapCache>,
}

impl Loaders {
    pub fn new(store: &Store) -> Self {
        fn make<L: Loader<Uuid>>(l: L) -> DataLoader<L, HashMapCache> {
            // Lists prefetch what their items select (see `Prefetch`); the short wait
            // batches the loads of nested items (an organizer's place).
            DataLoader::with_cache(l, tokio::spawn, HashMapCache::default())
                .delay(std::time::Duration::from_micros(200))
        }
        Self {
            places: make(PlaceLoader(store.clone())),
            departments: make(DepartmentLoader(store.clone())),
            associations: make(AssociationLoader(store.clone())),
            terms: make(TermLoader(store.clone())),
        }
    }
}

/// What the items of a page will ask for, known from the query's selection and fetched
/// before the items resolve: one statement per kind, whatever the page size. (Batching
/// alone depends on timing: a list's items are polled in chunks of 32.)
#[derive(Default)]
pub struct Prefetch {
    pub places: Vec<Uuid>,
    pub departments: Vec<Uuid>,
    pub associations: Vec<Uuid>,
    /// Items whose categories and tags are selected.
    pub terms_of: Vec<Uuid>,
}

impl Prefetch {
    /// What `node` (the selection of one item) will load for each of `items`.
    pub fn of<'a, T: Related + 'a>(
        items: impl IntoIterator<Item = &'a T>,
        node: &Lookahead<'_>,
    ) -> Self {
        let place = node.field("place").exists();
        let organizer = node.field("organizer").exists();
        let department = node.field("department").exists() || organizer;
        let terms = node.field("categories").exists() || node.field("tags").exists();
        let mut p = Self::default();
        for item in items {
            if place {
                p.places.extend(item.place_id());
            }
            if department {
                p.departments.push(item.department_id());
            }
            match item.organizer() {
                Some(Organizer::Department(id)) if organizer => p.departments.push(id),
                Some(Organizer::Association(id)) if organizer => p.associations.push(id),
                _ => {}
            }
            if terms {
                p.terms_of.push(item.id());
            }
        }
        p
    }
}

/// The related records an item of a list points to.
pub trait Related {
    fn id(&self) -> Uuid;
    fn place_id(&self) -> Option<Uuid>;
    fn department_id(&self) -> Uuid;
    fn organizer(&self) -> Option<Organizer> {
        None
    }
}

impl Related for silo_domain::event::Event {
    fn id(&self) -> Uuid {
        self.id
    }
    fn place_id(&self) -> Option<Uuid> {
        self.fields.place_id
    }
    fn department_id(&self) -> Uuid {
        self.fields.department_id
    }
    fn organizer(&self) -> Option<Organizer> {
        self.fields.organizer
    }
}

impl Related for Association {
    fn id(&self) -> Uuid {
        self.id
    }
    fn place_id(&self) -> Option<Uuid> {
        self.fields.place_id
    }
    fn department_id(&self) -> Uuid {
        self.fields.department_id
    }
}

impl Related for silo_domain::news::NewsArticle {
    fn id(&self) -> Uuid {
        self.id
    }
    fn place_id(&self) -> Option<Uuid> {
        None
    }
    fn department_id(&self) -> Uuid {
        self.fields.department_id
    }
}

impl Related for silo_domain::public_service::PublicService {
    fn id(&self) -> Uuid {
        self.id
    }
    fn place_id(&self) -> Option<Uuid> {
        self.fields.place_id
    }
    fn department_id(&self) -> Uuid {
        self.fields.department_id
    }
}

impl Loaders {
    /// Loads everything `p` names into the request's caches, concurrently.
    pub async fn prefetch(&self, p: Prefetch) -> Result<(), async_graphql::Error> {
        let (places, departments, associations, terms) = futures::join!(
            self.places.load_many(p.places),
            self.departments.load_many(p.departments),
            self.associations.load_many(p.associations),
            self.terms.load_many(p.terms_of),
        );
        places.map_err(load_error)?;
        departments.map_err(load_error)?;
        associations.map_err(load_error)?;
        terms.map_err(load_error)?;
        Ok(())
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
