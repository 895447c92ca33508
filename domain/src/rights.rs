//! Who may do what. Roles are held per department (and apply to its sub-departments),
//! possibly delegated for a time window; `authorize` is the one function that decides
//! every write and every draft read, whatever the surface.

use crate::content::ContentStatus;
use crate::department::Department;
use crate::error::DomainError;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A department role; each includes the rights of those below it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Role {
    /// Creates content and edits their own drafts.
    Contributor,
    /// Edits any of the department's content.
    Editor,
    /// Publishes, unpublishes, archives.
    Publisher,
    /// Manages the department's members and delegations.
    Manager,
}

impl Role {
    pub const ALL: [Role; 4] = [
        Self::Contributor,
        Self::Editor,
        Self::Publisher,
        Self::Manager,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Contributor => "contributor",
            Self::Editor => "editor",
            Self::Publisher => "publisher",
            Self::Manager => "manager",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == raw)
    }
}

/// A role a user holds on a department, their own or delegated to them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub membership_id: Uuid,
    pub department_id: Uuid,
    pub role: Role,
    pub valid_from: Option<DateTime<Utc>>,
    pub valid_until: Option<DateTime<Utc>>,
    /// Who delegated it (leave cover); `None` for a membership of one's own.
    pub delegated_by: Option<Uuid>,
}

impl Grant {
    /// In force at `now`: a delegation ends by itself when its window closes.
    pub fn active_at(&self, now: DateTime<Utc>) -> bool {
        self.valid_from.is_none_or(|from| from <= now)
            && self.valid_until.is_none_or(|until| now < until)
    }
}

/// A signed-in person, with everything the policy needs to know about them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UserPrincipal {
    pub id: Uuid,
    pub admin: bool,
    pub auditor: bool,
    pub disabled: bool,
    pub grants: Vec<Grant>,
    /// Sites whose homepage and featured slots this user curates.
    pub curated_sites: Vec<Uuid>,
}

/// Who is calling.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Principal {
    #[default]
    Anonymous,
    /// A satellite site identified by its key: reads published content only.
    Site(Uuid),
    User(UserPrincipal),
}

impl Principal {
    pub fn user_id(&self) -> Option<Uuid> {
        match self {
            Self::User(u) => Some(u.id),
            _ => None,
        }
    }
}

/// A department and its ancestors (itself first): a role held on any of them applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepartmentPath {
    pub ids: Vec<Uuid>,
    pub slug: String,
}

impl DepartmentPath {
    /// The path of `id` in the tree `all`, or `None` when there is no such department.
    pub fn of(all: &[Department], id: Uuid) -> Option<Self> {
        let start = all.iter().find(|d| d.id == id)?;
        let mut ids = vec![start.id];
        let mut parent = start.parent_id;
        while let Some(p) = parent {
            if ids.contains(&p) {
                break; // a cycle cannot be stored, but never loop on one
            }
            ids.push(p);
            parent = all.iter().find(|d| d.id == p).and_then(|d| d.parent_id);
        }
        Some(Self {
            ids,
            slug: start.slug.clone(),
        })
    }
}

/// What an action applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource<'a> {
    /// An existing item of content.
    Content {
        department: &'a DepartmentPath,
        created_by: Option<Uuid>,
        status: ContentStatus,
    },
    /// An item about to be created in (or moved to) a department.
    NewContent { department: &'a DepartmentPath },
    /// A department's members and delegations.
    Department(&'a DepartmentPath),
    /// A delegation, revocable by whoever made it.
    Delegation {
        department: &'a DepartmentPath,
        delegated_by: Option<Uuid>,
    },
    /// A satellite site.
    Site(Uuid),
    /// The hub as a whole: departments, sites, users, taxonomy, places, audit log.
    Hub,
}

/// Everything a caller may ask to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Read an item that is not published.
    ReadDraft,
    Create,
    Edit,
    Delete,
    /// Ask a publisher to review a draft.
    SubmitForReview,
    /// Publish, or approve an item in review.
    Publish,
    Unpublish,
    Archive,
    /// Bring an archived or unpublished item back to draft.
    Restore,
    /// Grant and revoke a department's memberships.
    ManageMembers,
    /// Lend a role for a time window.
    Delegate(Role),
    RevokeDelegation,
    /// List users (to pick new members).
    ListUsers,
    CreatePlace,
    ManagePlaces,
    CreateTag,
    ManageTaxonomy,
    ManageDepartments,
    ManageSites,
    ManageUsers,
    /// Change a site's homepage and featured slots.
    CurateSite,
    ReadAudit,
    /// Unpublish all of a department's content in one call.
    TakedownDepartment,
}

impl Action {
    /// Every action, for exhaustive tests and documentation.
    pub fn all() -> Vec<Action> {
        let mut all = vec![
            Self::ReadDraft,
            Self::Create,
            Self::Edit,
            Self::Delete,
            Self::SubmitForReview,
            Self::Publish,
            Self::Unpublish,
            Self::Archive,
            Self::Restore,
            Self::ManageMembers,
            Self::RevokeDelegation,
            Self::ListUsers,
            Self::CreatePlace,
            Self::ManagePlaces,
            Self::CreateTag,
            Self::ManageTaxonomy,
            Self::ManageDepartments,
            Self::ManageSites,
            Self::ManageUsers,
            Self::CurateSite,
            Self::ReadAudit,
            Self::TakedownDepartment,
        ];
        all.extend(Role::ALL.map(Self::Delegate));
        all
    }
}

/// What an action requires of the caller: the rule table's right-hand side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requirement {
    /// Anyone, even anonymous (reading published content).
    Anyone,
    /// This role (or above) on the resource's department or one of its ancestors.
    Role(Role),
    /// This role, held as one's own membership: a delegated role cannot be lent on, nor
    /// used to change who holds which role.
    OwnRole(Role),
    /// This role on at least one department.
    AnyDepartment(Role),
    /// This role on at least one department, as one's own membership.
    OwnAnyDepartment(Role),
    /// The user who made the delegation, or an own manager of its department.
    DelegatorOrManager,
    CuratorOf(Uuid),
    Auditor,
    Admin,
}

/// The rule table: what `action` on `resource` requires of `caller`.
pub fn requirement(action: Action, resource: &Resource<'_>, caller: Option<Uuid>) -> Requirement {
    use Action as A;
    use Requirement as R;
    let own_draft = |created_by: Option<Uuid>, status: ContentStatus| {
        status == ContentStatus::Draft && caller.is_some() && created_by == caller
    };
    match (action, resource) {
        (
            A::ReadDraft,
            Resource::Content {
                status: ContentStatus::Published,
                ..
            },
        ) => R::Anyone,
        (
            A::ReadDraft | A::Edit | A::SubmitForReview,
            Resource::Content {
                created_by, status, ..
            },
        ) if own_draft(*created_by, *status) => R::Role(Role::Contributor),
        // What the public sees changes only by a publisher's hand.
        (
            A::Edit,
            Resource::Content {
                status: ContentStatus::Published,
                ..
            },
        ) => R::Role(Role::Publisher),
        (A::ReadDraft | A::Edit | A::SubmitForReview, Resource::Content { .. }) => {
            R::Role(Role::Editor)
        }
        (
            A::Delete,
            Resource::Content {
                created_by, status, ..
            },
        ) => match status {
            _ if own_draft(*created_by, *status) => R::Role(Role::Contributor),
            ContentStatus::Draft | ContentStatus::InReview => R::Role(Role::Editor),
            // Deleting what the public has seen is a publisher's call.
            _ => R::Role(Role::Publisher),
        },
        (A::Create, Resource::NewContent { .. }) => R::Role(Role::Contributor),
        (A::Publish | A::Unpublish | A::Archive | A::Restore, Resource::Content { .. }) => {
            R::Role(Role::Publisher)
        }
        (A::ManageMembers, Resource::Department(_)) => R::OwnRole(Role::Manager),
        (A::Delegate(role), Resource::Department(_)) => R::OwnRole(role),
        (A::RevokeDelegation, Resource::Delegation { .. }) => R::DelegatorOrManager,
        (A::ListUsers, Resource::Hub) => R::OwnAnyDepartment(Role::Manager),
        (A::CreatePlace | A::CreateTag, Resource::Hub) => R::AnyDepartment(Role::Contributor),
        (A::CurateSite, Resource::Site(site)) => R::CuratorOf(*site),
        (A::ReadAudit, Resource::Hub) => R::Auditor,
        // Shared vocabulary, places shared by every department, the tree, sites and users:
        // the webmaster's; and any action on a resource it does not apply to.
        _ => R::Admin,
    }
}

/// How a request was allowed: the right it acts under (recorded by the audit log).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Allowance {
    Public,
    Admin,
    Auditor,
    Curator(Uuid),
    /// A membership, own or delegated (`grant.delegated_by`).
    Grant(Grant),
    Delegator,
}

/// Decides whether `principal` may do `action` on `resource` at `now`. A denial names the
/// missing right (`FORBIDDEN`); an anonymous or disabled caller is `UNAUTHENTICATED`.
pub fn authorize(
    principal: &Principal,
    action: Action,
    resource: &Resource<'_>,
    now: DateTime<Utc>,
) -> Result<Allowance, DomainError> {
    let required = requirement(action, resource, principal.user_id());
    if required == Requirement::Anyone {
        return Ok(Allowance::Public);
    }
    let user = match principal {
        Principal::User(user) if !user.disabled => user,
        Principal::User(_) => return Err(DomainError::unauthenticated("this account is disabled")),
        Principal::Anonymous => return Err(DomainError::unauthenticated("sign in first")),
        Principal::Site(_) => return Err(forbidden(required, resource)),
    };
    if user.admin {
        return Ok(Allowance::Admin);
    }
    let active = || user.grants.iter().filter(|g| g.active_at(now));
    let on = |path: &DepartmentPath, role: Role, own: bool| {
        active()
            .filter(|g| g.role >= role && path.ids.contains(&g.department_id))
            .filter(|g| !own || g.delegated_by.is_none())
            // The strongest grant explains the allowance; an own one before a delegated one.
            .max_by_key(|g| (g.role, g.delegated_by.is_none()))
            .cloned()
            .map(Allowance::Grant)
    };
    let allowed = match (required, resource) {
        (Requirement::Role(role), _) | (Requirement::OwnRole(role), _) => department_of(resource)
            .and_then(|path| on(path, role, matches!(required, Requirement::OwnRole(_)))),
        (Requirement::AnyDepartment(role), _) | (Requirement::OwnAnyDepartment(role), _) => {
            let own = matches!(required, Requirement::OwnAnyDepartment(_));
            active()
                .filter(|g| g.role >= role && (!own || g.delegated_by.is_none()))
                .max_by_key(|g| g.role)
                .cloned()
                .map(Allowance::Grant)
        }
        (
            Requirement::DelegatorOrManager,
            Resource::Delegation {
                department,
                delegated_by,
            },
        ) => (*delegated_by == Some(user.id))
            .then_some(Allowance::Delegator)
            .or_else(|| on(department, Role::Manager, true)),
        (Requirement::CuratorOf(site), _) => user
            .curated_sites
            .contains(&site)
            .then_some(Allowance::Curator(site)),
        (Requirement::Auditor, _) => user.auditor.then_some(Allowance::Auditor),
        _ => None,
    };
    allowed.ok_or_else(|| forbidden(required, resource))
}

fn department_of<'a>(resource: &Resource<'a>) -> Option<&'a DepartmentPath> {
    match *resource {
        Resource::Content { department, .. }
        | Resource::NewContent { department }
        | Resource::Department(department)
        | Resource::Delegation { department, .. } => Some(department),
        Resource::Site(_) | Resource::Hub => None,
    }
}

/// The denial, naming the right that was missing.
fn forbidden(required: Requirement, resource: &Resource<'_>) -> DomainError {
    let department = department_of(resource)
        .map(|d| d.slug.as_str())
        .unwrap_or("?");
    let right = match required {
        Requirement::Anyone => "none".to_owned(),
        Requirement::Role(role) => format!("{} on department {department}", role.as_str()),
        Requirement::OwnRole(role) => {
            format!(
                "{} on department {department} (own, not delegated)",
                role.as_str()
            )
        }
        Requirement::AnyDepartment(role) => format!("{} on any department", role.as_str()),
        Requirement::OwnAnyDepartment(role) => {
            format!("{} on any department (own, not delegated)", role.as_str())
        }
        Requirement::DelegatorOrManager => {
            format!("delegator, or manager on department {department}")
        }
        Requirement::CuratorOf(site) => format!("curator of site {site}"),
        Requirement::Auditor => "auditor".to_owned(),
        Requirement::Admin => "admin".to_owned(),
    };
    DomainError::Forbidden { right }
}

/// The strongest role a user holds on each department at `now`, inherited roles included:
/// what `me` shows as effective rights.
pub fn effective_roles(
    user: &UserPrincipal,
    departments: &[Department],
    now: DateTime<Utc>,
) -> Vec<(Uuid, Role, Option<Uuid>)> {
    departments
        .iter()
        .filter_map(|d| {
            let path = DepartmentPath::of(departments, d.id)?;
            user.grants
                .iter()
                .filter(|g| g.active_at(now) && path.ids.contains(&g.department_id))
                .max_by_key(|g| (g.role, g.delegated_by.is_none()))
                .map(|g| (d.id, g.role, g.delegated_by))
        })
        .collect()
}

/// Whether a delegated grant still stands: a loan is only as good as the lender's own
/// standing. It lapses when the delegator's account is disabled or they no longer hold,
/// as their own, at least that role on the department or one above it.
pub fn delegation_backed(
    grant: &Grant,
    delegator: Option<&UserPrincipal>,
    departments: &[Department],
    now: DateTime<Utc>,
) -> bool {
    let Some(by) = grant.delegated_by else {
        return true;
    };
    let Some(delegator) = delegator.filter(|d| d.id == by && !d.disabled) else {
        return false;
    };
    let Some(path) = DepartmentPath::of(departments, grant.department_id) else {
        return false;
    };
    delegator.admin
        || delegator.grants.iter().any(|g| {
            g.delegated_by.is_none()
                && g.active_at(now)
                && g.role >= grant.role
                && path.ids.contains(&g.department_id)
        })
}

/// Whether `delegator` may lend `role` on a department to `delegate` for `[from, until)`:
/// the window must be finite and open in the future, and one cannot lend to oneself.
pub fn check_delegation(
    delegator: Uuid,
    delegate: Uuid,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), DomainError> {
    if delegator == delegate {
        return Err(DomainError::invalid(
            "userId",
            "a role cannot be delegated to oneself",
        ));
    }
    if until <= from {
        return Err(DomainError::invalid(
            "validUntil",
            "must be after validFrom",
        ));
    }
    if until <= now {
        return Err(DomainError::invalid("validUntil", "must be in the future"));
    }
    if until - from > chrono::Duration::days(366) {
        return Err(DomainError::invalid(
            "validUntil",
            "a delegation lasts at most one year",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
