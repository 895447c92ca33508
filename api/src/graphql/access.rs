//! The GraphQL side of the rights policy: who the caller is, and `allow`, which asks the
//! domain's `authorize` with the current time. Every mutation and draft read calls it.

use super::RequestContext;
use super::error::{bad_input, gql};
use async_graphql::{Context, ID, Result};
use chrono::Utc;
use silo_domain::DomainError;
use silo_domain::audit::{Actor, Authority};
use silo_domain::rights::{Action, DepartmentPath, Principal, Resource, UserPrincipal, authorize};
use silo_storage::Store;
use uuid::Uuid;

pub fn store<'a>(ctx: &Context<'a>) -> &'a Store {
    ctx.data_unchecked::<Store>()
}

pub fn principal<'a>(ctx: &Context<'a>) -> &'a Principal {
    &ctx.data_unchecked::<RequestContext>().principal
}

/// The signed-in user, or `UNAUTHENTICATED`.
pub fn user<'a>(ctx: &Context<'a>) -> Result<&'a UserPrincipal> {
    match principal(ctx) {
        Principal::User(user) => Ok(user),
        _ => Err(gql(DomainError::unauthenticated("sign in first"))),
    }
}

/// Asks the policy; a denial is `FORBIDDEN` naming the missing right. The answer is who
/// acts and under which right, as the write records it in the audit log.
pub fn allow(ctx: &Context<'_>, action: Action, resource: &Resource<'_>) -> Result<Actor> {
    let allowance = authorize(principal(ctx), action, resource, Utc::now()).map_err(gql)?;
    Ok(Actor {
        user_id: principal(ctx).user_id(),
        authority: Authority::Policy(allowance),
    })
}

/// A department and its ancestors; an unknown id is a bad `field`.
pub async fn department_path(ctx: &Context<'_>, id: Uuid, field: &str) -> Result<DepartmentPath> {
    let departments = store(ctx).departments().await.map_err(gql)?;
    DepartmentPath::of(&departments, id).ok_or_else(|| bad_input(field, "no such department"))
}

/// Parses an id argument.
pub fn uuid(id: &ID, field: &str) -> Result<Uuid> {
    Uuid::parse_str(id).map_err(|_| bad_input(field, "is not a valid id"))
}

/// Parses a list of id arguments.
pub fn uuids(ids: &[ID], field: &str) -> Result<Vec<Uuid>> {
    ids.iter().map(|id| uuid(id, field)).collect()
}
