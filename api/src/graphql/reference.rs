//! Writes to the reference data — places, categories and tags, departments, sites and
//! their keys and curators — under an optimistic lock. Who may do what is the policy's.

use super::access::{allow, store, uuid};
use super::error::{bad_input, gql};
use super::inputs::{DepartmentInput, PlaceInput, SiteInput, TermInput};
use super::types::{DepartmentNode, PlaceNode, SiteNode, TermNode};
use crate::identity::sessions;
use async_graphql::{Context, ID, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use silo_domain::DomainError;
use silo_domain::audit::Actor;
use silo_domain::content::{self, Term, TermKind};
use silo_domain::department::{Department, subtree};
use silo_domain::place::Place;
use silo_domain::rights::{Action, Resource};
use silo_domain::site::Site;
use silo_storage::{Reference, SiteKeyRecord};
use uuid::Uuid;

/// A satellite site's API key, as listed (never the key itself).
pub struct SiteKeyNode(SiteKeyRecord);

#[Object(name = "SiteKey")]
impl SiteKeyNode {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn label(&self) -> &str {
        &self.0.label
    }
    /// The key's first characters, to tell keys apart.
    async fn prefix(&self) -> &str {
        &self.0.prefix
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// Set once revoked: the key is refused from then on.
    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.revoked_at
    }
}

/// A new site key: the key is shown here once and stored only as a hash.
#[derive(SimpleObject)]
pub struct CreatedSiteKey {
    /// Send as `Authorization: Bearer <key>`.
    pub key: String,
    pub site_key: SiteKeyNode,
}

/// Refuses a stale version before the write (the write checks again in SQL).
fn expect_version(what: &str, current: i32, expected: i32) -> Result<()> {
    if current == expected {
        Ok(())
    } else {
        Err(gql(DomainError::Conflict(format!(
            "{what} was changed by someone else: expected version {expected}, current version {current}"
        ))))
    }
}

fn not_found(what: &str) -> async_graphql::Error {
    gql(DomainError::not_found(what))
}

async fn place(ctx: &Context<'_>, id: &ID) -> Result<Place> {
    store(ctx)
        .place(uuid(id, "id")?)
        .await
        .map_err(gql)?
        .ok_or_else(|| not_found("place"))
}

async fn term(ctx: &Context<'_>, id: &ID) -> Result<Term> {
    store(ctx)
        .term(uuid(id, "id")?)
        .await
        .map_err(gql)?
        .ok_or_else(|| not_found("term"))
}

pub(super) async fn site(ctx: &Context<'_>, id: &ID) -> Result<Site> {
    store(ctx)
        .site(uuid(id, "siteId")?)
        .await
        .map_err(gql)?
        .ok_or_else(|| not_found("site"))
}

async fn department(ctx: &Context<'_>, id: &ID) -> Result<(Department, Vec<Department>)> {
    let id = uuid(id, "id")?;
    let all = store(ctx).departments().await.map_err(gql)?;
    let found = all
        .iter()
        .find(|d| d.id == id)
        .cloned()
        .ok_or_else(|| not_found("department"))?;
    Ok((found, all))
}

/// Checks that `parent` exists and is not `id` itself or below it (no cycles).
fn check_parent(all: &[Department], id: Uuid, parent: Option<Uuid>) -> Result<()> {
    let Some(parent) = parent else { return Ok(()) };
    if !all.iter().any(|d| d.id == parent) {
        return Err(bad_input("parentId", "no such department"));
    }
    if subtree(all, id).contains(&parent) {
        return Err(bad_input(
            "parentId",
            "a department cannot be placed below itself",
        ));
    }
    Ok(())
}

async fn save(ctx: &Context<'_>, by: &Actor, item: Reference<'_>) -> Result<()> {
    store(ctx).save_reference(item, by).await.map_err(gql)
}

async fn remove(ctx: &Context<'_>, by: &Actor, item: Reference<'_>) -> Result<ID> {
    store(ctx).delete_reference(item, by).await.map_err(gql)?;
    Ok(ID(match item {
        Reference::Department(d) => d.id,
        Reference::Place(p) => p.id,
        Reference::Term(t) => t.id,
        Reference::Site(s) => s.id,
    }
    .to_string()))
}

#[derive(Default)]
pub struct ReferenceQuery;

#[Object]
impl ReferenceQuery {
    /// A site's keys (admins).
    async fn site_keys(&self, ctx: &Context<'_>, site_id: ID) -> Result<Vec<SiteKeyNode>> {
        allow(ctx, Action::ManageSites, &Resource::Hub)?;
        let site = site(ctx, &site_id).await?;
        let keys = store(ctx).site_keys(site.id).await.map_err(gql)?;
        Ok(keys.into_iter().map(SiteKeyNode).collect())
    }
}

#[derive(Default)]
pub struct ReferenceMutation;

#[Object]
impl ReferenceMutation {
    /// Adds a place (any department member).
    async fn create_place(&self, ctx: &Context<'_>, input: PlaceInput) -> Result<PlaceNode> {
        let by = allow(ctx, Action::CreatePlace, &Resource::Hub)?;
        let place = silo_domain::place::PlaceInput::from(input)
            .validate(Uuid::now_v7(), "input")
            .map_err(gql)?;
        save(ctx, &by, Reference::Place(&place)).await?;
        Ok(PlaceNode(place))
    }
    /// Changes a place, shared by every department's content (admins).
    async fn update_place(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: PlaceInput,
    ) -> Result<PlaceNode> {
        let by = allow(ctx, Action::ManagePlaces, &Resource::Hub)?;
        let current = place(ctx, &id).await?;
        expect_version("place", current.version, expected_version)?;
        let mut next = silo_domain::place::PlaceInput::from(input)
            .validate(current.id, "input")
            .map_err(gql)?;
        next.version = current.version + 1;
        save(ctx, &by, Reference::Place(&next)).await?;
        Ok(PlaceNode(next))
    }
    /// Deletes a place; content that used it keeps no place (admins).
    async fn delete_place(&self, ctx: &Context<'_>, id: ID, expected_version: i32) -> Result<ID> {
        let by = allow(ctx, Action::ManagePlaces, &Resource::Hub)?;
        let mut current = place(ctx, &id).await?;
        current.version = expected_version;
        remove(ctx, &by, Reference::Place(&current)).await
    }

    /// Adds a tag (any department member) or a category (admins).
    async fn create_term(&self, ctx: &Context<'_>, input: TermInput) -> Result<TermNode> {
        let input = content::TermInput::from(input);
        let action = match input.kind {
            TermKind::Tag => Action::CreateTag,
            TermKind::Category => Action::ManageTaxonomy,
        };
        let by = allow(ctx, action, &Resource::Hub)?;
        let term = input.validate(Uuid::now_v7(), 1).map_err(gql)?;
        save(ctx, &by, Reference::Term(&term)).await?;
        Ok(TermNode(term))
    }
    /// Renames a term (admins).
    async fn update_term(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: TermInput,
    ) -> Result<TermNode> {
        let by = allow(ctx, Action::ManageTaxonomy, &Resource::Hub)?;
        let current = term(ctx, &id).await?;
        expect_version("term", current.version, expected_version)?;
        let next = content::TermInput::from(input)
            .validate(current.id, current.version + 1)
            .map_err(gql)?;
        if next.kind != current.kind {
            return Err(bad_input("input.kind", "a term keeps its kind"));
        }
        save(ctx, &by, Reference::Term(&next)).await?;
        Ok(TermNode(next))
    }
    /// Deletes a term; items lose it (admins).
    async fn delete_term(&self, ctx: &Context<'_>, id: ID, expected_version: i32) -> Result<ID> {
        let by = allow(ctx, Action::ManageTaxonomy, &Resource::Hub)?;
        let mut current = term(ctx, &id).await?;
        current.version = expected_version;
        remove(ctx, &by, Reference::Term(&current)).await
    }

    /// Adds a department (admins).
    async fn create_department(
        &self,
        ctx: &Context<'_>,
        input: DepartmentInput,
    ) -> Result<DepartmentNode> {
        let by = allow(ctx, Action::ManageDepartments, &Resource::Hub)?;
        let department = input.into_domain()?.validate(Uuid::now_v7()).map_err(gql)?;
        let all = store(ctx).departments().await.map_err(gql)?;
        check_parent(&all, department.id, department.parent_id)?;
        save(ctx, &by, Reference::Department(&department)).await?;
        Ok(DepartmentNode(department))
    }
    /// Changes a department: name, parent, review policy, time zone (admins).
    async fn update_department(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: DepartmentInput,
    ) -> Result<DepartmentNode> {
        let by = allow(ctx, Action::ManageDepartments, &Resource::Hub)?;
        let (current, all) = department(ctx, &id).await?;
        expect_version("department", current.version, expected_version)?;
        let mut next = input.into_domain()?.validate(current.id).map_err(gql)?;
        check_parent(&all, current.id, next.parent_id)?;
        next.version = current.version + 1;
        save(ctx, &by, Reference::Department(&next)).await?;
        Ok(DepartmentNode(next))
    }
    /// Deletes a department that owns no content and has no sub-department (admins).
    async fn delete_department(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
    ) -> Result<ID> {
        let by = allow(ctx, Action::ManageDepartments, &Resource::Hub)?;
        let (mut current, _) = department(ctx, &id).await?;
        current.version = expected_version;
        remove(ctx, &by, Reference::Department(&current)).await
    }

    /// Adds a satellite site (admins).
    async fn create_site(&self, ctx: &Context<'_>, input: SiteInput) -> Result<SiteNode> {
        let by = allow(ctx, Action::ManageSites, &Resource::Hub)?;
        let site = input
            .into_domain()?
            .validate(Uuid::now_v7(), 1)
            .map_err(gql)?;
        save(ctx, &by, Reference::Site(&site)).await?;
        Ok(SiteNode(site))
    }
    /// Changes a site and its channel (admins).
    async fn update_site(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: SiteInput,
    ) -> Result<SiteNode> {
        let by = allow(ctx, Action::ManageSites, &Resource::Hub)?;
        let current = site(ctx, &id).await?;
        expect_version("site", current.version, expected_version)?;
        let next = input
            .into_domain()?
            .validate(current.id, current.version + 1)
            .map_err(gql)?;
        save(ctx, &by, Reference::Site(&next)).await?;
        Ok(SiteNode(next))
    }
    /// Deletes a site with its keys (admins).
    async fn delete_site(&self, ctx: &Context<'_>, id: ID, expected_version: i32) -> Result<ID> {
        let by = allow(ctx, Action::ManageSites, &Resource::Hub)?;
        let mut current = site(ctx, &id).await?;
        current.version = expected_version;
        remove(ctx, &by, Reference::Site(&current)).await
    }

    /// Issues a key for a site (admins). The key is in the answer only.
    async fn create_site_key(
        &self,
        ctx: &Context<'_>,
        site_id: ID,
        label: String,
    ) -> Result<CreatedSiteKey> {
        let by = allow(ctx, Action::ManageSites, &Resource::Hub)?;
        let site = site(ctx, &site_id).await?;
        let label =
            silo_domain::field::required_text(&label, 200).map_err(|e| bad_input("label", e.0))?;
        let (key, record) = sessions::create_site_key(store(ctx), site.id, &label, &by)
            .await
            .map_err(gql)?;
        Ok(CreatedSiteKey {
            key,
            site_key: SiteKeyNode(record),
        })
    }
    /// Revokes a site key: refused from the next request on (admins).
    async fn revoke_site_key(&self, ctx: &Context<'_>, id: ID) -> Result<bool> {
        let by = allow(ctx, Action::ManageSites, &Resource::Hub)?;
        store(ctx)
            .revoke_site_key(uuid(&id, "id")?, &by)
            .await
            .map_err(gql)?;
        Ok(true)
    }
    /// Makes a user a curator of a site's slots, or no longer (admins).
    async fn set_site_curator(
        &self,
        ctx: &Context<'_>,
        site_id: ID,
        user_id: ID,
        curator: bool,
    ) -> Result<bool> {
        let by = allow(ctx, Action::ManageSites, &Resource::Hub)?;
        let site = site(ctx, &site_id).await?;
        let user = uuid(&user_id, "userId")?;
        if store(ctx).user(user).await.map_err(gql)?.is_none() {
            return Err(bad_input("userId", "no such user"));
        }
        store(ctx)
            .set_curator(site.id, user, curator, &by)
            .await
            .map_err(gql)?;
        Ok(true)
    }
}
