use super::*;
use chrono::{Duration, TimeZone};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 15, 8, 0, 0).unwrap()
}

fn id(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

const CITY: u128 = 1;
const CULTURE: u128 = 2; // child of CITY
const LIBRARIES: u128 = 3; // child of CULTURE
const SPORTS: u128 = 4; // child of CITY
const ME: u128 = 100;
const COLLEAGUE: u128 = 101;
const SITE: u128 = 200;

fn tree() -> Vec<Department> {
    let dept = |n: u128, parent: Option<u128>, slug: &str| Department {
        id: id(n),
        parent_id: parent.map(id),
        slug: slug.into(),
        name: slug.into(),
        review_policy: Default::default(),
        time_zone: "Europe/Paris".into(),
        version: 1,
    };
    vec![
        dept(CITY, None, "city"),
        dept(CULTURE, Some(CITY), "culture"),
        dept(LIBRARIES, Some(CULTURE), "libraries"),
        dept(SPORTS, Some(CITY), "sports"),
    ]
}

fn path(n: u128) -> DepartmentPath {
    DepartmentPath::of(&tree(), id(n)).unwrap()
}

fn grant(department: u128, role: Role) -> Grant {
    Grant {
        membership_id: id(1000 + department * 10 + role as u128),
        department_id: id(department),
        role,
        valid_from: None,
        valid_until: None,
        delegated_by: None,
    }
}

fn delegated(department: u128, role: Role, from: i64, until: i64) -> Grant {
    Grant {
        valid_from: Some(now() + Duration::days(from)),
        valid_until: Some(now() + Duration::days(until)),
        delegated_by: Some(id(COLLEAGUE)),
        ..grant(department, role)
    }
}

fn user(grants: Vec<Grant>) -> Principal {
    Principal::User(UserPrincipal {
        id: id(ME),
        grants,
        ..Default::default()
    })
}

fn allowed(p: &Principal, action: Action, resource: Resource<'_>) -> bool {
    authorize(p, action, &resource, now()).is_ok()
}

/// The expected minimum department role for each content action and item state,
/// written out independently of `requirement`.
const CONTENT_TABLE: &[(Action, ContentStatus, bool, Option<Role>)] = {
    use Action::*;
    use ContentStatus::*;
    use Role::*;
    &[
        // (action, status, created by me, minimum role; None = anyone)
        (ReadDraft, Draft, true, Some(Contributor)),
        (ReadDraft, Draft, false, Some(Editor)),
        (ReadDraft, InReview, true, Some(Editor)),
        (ReadDraft, Published, false, None),
        (ReadDraft, Unpublished, false, Some(Editor)),
        (ReadDraft, Archived, true, Some(Editor)),
        (Edit, Draft, true, Some(Contributor)),
        (Edit, Draft, false, Some(Editor)),
        (Edit, InReview, true, Some(Editor)),
        (Edit, Published, true, Some(Publisher)),
        (Edit, Published, false, Some(Publisher)),
        (Edit, Unpublished, false, Some(Editor)),
        (Edit, Archived, false, Some(Editor)),
        (Delete, Draft, true, Some(Contributor)),
        (Delete, Draft, false, Some(Editor)),
        (Delete, InReview, false, Some(Editor)),
        (Delete, Published, true, Some(Publisher)),
        (Delete, Unpublished, false, Some(Publisher)),
        (Delete, Archived, false, Some(Publisher)),
        (SubmitForReview, Draft, true, Some(Contributor)),
        (SubmitForReview, Draft, false, Some(Editor)),
        (Restore, Archived, true, Some(Publisher)),
        (Restore, Unpublished, false, Some(Publisher)),
        (Publish, Draft, true, Some(Publisher)),
        (Publish, InReview, false, Some(Publisher)),
        (Unpublish, Published, false, Some(Publisher)),
        (Archive, Published, false, Some(Publisher)),
        (Archive, Unpublished, true, Some(Publisher)),
    ]
};

/// Every content action × state × role held (none, each role) × where it is held (the
/// owning department, an ancestor, a sub-department, a sibling) × how (own, active
/// delegation, expired delegation, future delegation).
#[test]
fn content_actions_follow_the_table() {
    let mut cells = 0;
    let owner = path(CULTURE);
    for &(action, status, mine, minimum) in CONTENT_TABLE {
        let created_by = Some(if mine { id(ME) } else { id(COLLEAGUE) });
        let resource = Resource::Content {
            department: &owner,
            created_by,
            status,
        };
        // Nobody at all.
        assert_eq!(
            allowed(&Principal::Anonymous, action, resource),
            minimum.is_none()
        );
        assert_eq!(
            allowed(&Principal::Site(id(SITE)), action, resource),
            minimum.is_none()
        );
        for role in Role::ALL {
            for (held_on, applies) in [
                (CULTURE, true),
                (CITY, true),
                (LIBRARIES, false),
                (SPORTS, false),
            ] {
                for (how, in_force) in [
                    (grant(held_on, role), true),
                    (delegated(held_on, role, -1, 1), true),
                    (delegated(held_on, role, -10, -1), false),
                    (delegated(held_on, role, 1, 10), false),
                ] {
                    let expected = match minimum {
                        None => true,
                        Some(min) => applies && in_force && role >= min,
                    };
                    assert_eq!(
                        allowed(&user(vec![how.clone()]), action, resource),
                        expected,
                        "{action:?} on {status:?} (mine: {mine}) with {how:?}"
                    );
                    cells += 1;
                }
            }
        }
    }
    assert!(cells > 1_000, "{cells} cells");
}

#[test]
fn creating_needs_a_contributor_of_the_department_or_above_it() {
    let culture = path(CULTURE);
    let create = |grants| {
        allowed(
            &user(grants),
            Action::Create,
            Resource::NewContent {
                department: &culture,
            },
        )
    };
    assert!(create(vec![grant(CULTURE, Role::Contributor)]));
    assert!(create(vec![grant(CITY, Role::Contributor)]));
    assert!(!create(vec![grant(LIBRARIES, Role::Manager)]));
    assert!(!create(vec![grant(SPORTS, Role::Manager)]));
    assert!(!create(vec![]));
}

#[test]
fn a_denial_names_the_missing_right() {
    let culture = path(CULTURE);
    let err = authorize(
        &user(vec![grant(CULTURE, Role::Editor)]),
        Action::Publish,
        &Resource::Content {
            department: &culture,
            created_by: None,
            status: ContentStatus::Draft,
        },
        now(),
    )
    .unwrap_err();
    assert_eq!(err.code(), "FORBIDDEN");
    assert!(
        err.to_string().contains("publisher on department culture"),
        "{err}"
    );
}

#[test]
fn anonymous_and_disabled_callers_are_unauthenticated_and_sites_forbidden() {
    let culture = path(CULTURE);
    let resource = Resource::NewContent {
        department: &culture,
    };
    let disabled = Principal::User(UserPrincipal {
        id: id(ME),
        admin: true,
        disabled: true,
        ..Default::default()
    });
    for p in [Principal::Anonymous, disabled] {
        for action in Action::all() {
            let err = authorize(&p, action, &resource, now()).unwrap_err();
            assert_eq!(err.code(), "UNAUTHENTICATED", "{action:?}");
        }
    }
    for action in Action::all() {
        let err = authorize(&Principal::Site(id(SITE)), action, &resource, now()).unwrap_err();
        assert_eq!(err.code(), "FORBIDDEN", "{action:?}");
    }
}

#[test]
fn an_admin_may_do_everything() {
    let admin = Principal::User(UserPrincipal {
        id: id(ME),
        admin: true,
        ..Default::default()
    });
    let culture = path(CULTURE);
    for action in Action::all() {
        for resource in [
            Resource::Hub,
            Resource::Site(id(SITE)),
            Resource::Department(&culture),
            Resource::NewContent {
                department: &culture,
            },
        ] {
            assert!(allowed(&admin, action, resource), "{action:?} {resource:?}");
        }
    }
}

#[test]
fn hub_actions_follow_the_table() {
    use Action::*;
    let hub_admin_only = [
        ManagePlaces,
        ManageTaxonomy,
        ManageDepartments,
        ManageSites,
        ManageUsers,
    ];
    let mut everyone = Role::ALL.map(|r| user(vec![grant(SPORTS, r)])).to_vec();
    everyone.push(user(vec![]));
    for p in &everyone {
        for action in hub_admin_only {
            let err = authorize(p, action, &Resource::Hub, now()).unwrap_err();
            assert!(err.to_string().contains("`admin`"), "{err}");
        }
        assert!(!allowed(p, ReadAudit, Resource::Hub));
        assert!(!allowed(p, CurateSite, Resource::Site(id(SITE))));
    }
    // Any member creates places and tags; only managers list users.
    assert!(!allowed(&user(vec![]), CreatePlace, Resource::Hub));
    assert!(allowed(&everyone[0], CreatePlace, Resource::Hub));
    assert!(allowed(&everyone[0], CreateTag, Resource::Hub));
    assert!(!allowed(&everyone[2], ListUsers, Resource::Hub));
    assert!(allowed(&everyone[3], ListUsers, Resource::Hub));
    let lent_manager = user(vec![delegated(SPORTS, Role::Manager, -1, 1)]);
    assert!(!allowed(&lent_manager, ListUsers, Resource::Hub));
    assert!(allowed(&lent_manager, CreatePlace, Resource::Hub));
    // An expired membership counts for nothing.
    let expired = user(vec![delegated(SPORTS, Role::Manager, -3, -1)]);
    assert!(!allowed(&expired, CreatePlace, Resource::Hub));

    let auditor = Principal::User(UserPrincipal {
        id: id(ME),
        auditor: true,
        ..Default::default()
    });
    assert!(allowed(&auditor, ReadAudit, Resource::Hub));
    assert!(!allowed(&auditor, ManageUsers, Resource::Hub));

    let curator = Principal::User(UserPrincipal {
        id: id(ME),
        curated_sites: vec![id(SITE)],
        ..Default::default()
    });
    assert!(allowed(&curator, CurateSite, Resource::Site(id(SITE))));
    assert!(!allowed(&curator, CurateSite, Resource::Site(id(SITE + 1))));
}

#[test]
fn members_are_managed_by_own_managers_and_roles_lent_never_above_ones_own() {
    let culture = path(CULTURE);
    let dept = Resource::Department(&culture);
    for held in Role::ALL {
        let own = user(vec![grant(CULTURE, held)]);
        let lent = user(vec![delegated(CULTURE, held, -1, 1)]);
        assert_eq!(
            allowed(&own, Action::ManageMembers, dept),
            held == Role::Manager
        );
        // A delegated manager covers the work, not the right to hand out rights.
        assert!(!allowed(&lent, Action::ManageMembers, dept));
        for lending in Role::ALL {
            assert_eq!(
                allowed(&own, Action::Delegate(lending), dept),
                lending <= held,
                "{held:?} lends {lending:?}"
            );
            assert!(!allowed(&lent, Action::Delegate(lending), dept));
        }
    }
}

#[test]
fn a_delegation_is_revoked_by_its_delegator_or_an_own_manager() {
    let culture = path(CULTURE);
    let mine = Resource::Delegation {
        department: &culture,
        delegated_by: Some(id(ME)),
    };
    let theirs = Resource::Delegation {
        department: &culture,
        delegated_by: Some(id(COLLEAGUE)),
    };
    let editor = user(vec![grant(CULTURE, Role::Editor)]);
    assert_eq!(
        authorize(&editor, Action::RevokeDelegation, &mine, now()).ok(),
        Some(Allowance::Delegator)
    );
    assert!(!allowed(&editor, Action::RevokeDelegation, theirs));
    let manager = user(vec![grant(CITY, Role::Manager)]);
    assert!(allowed(&manager, Action::RevokeDelegation, theirs));
}

#[test]
fn the_allowance_names_the_delegation_it_acted_under() {
    let culture = path(CULTURE);
    let cover = delegated(CULTURE, Role::Publisher, -1, 1);
    let p = user(vec![grant(CULTURE, Role::Contributor), cover.clone()]);
    let allowance = authorize(
        &p,
        Action::Publish,
        &Resource::Content {
            department: &culture,
            created_by: None,
            status: ContentStatus::Draft,
        },
        now(),
    );
    assert_eq!(allowance.ok(), Some(Allowance::Grant(cover)));
}

#[test]
fn effective_roles_include_inherited_and_delegated_ones() {
    let u = UserPrincipal {
        id: id(ME),
        grants: vec![
            grant(CULTURE, Role::Editor),
            delegated(LIBRARIES, Role::Publisher, -1, 1),
            delegated(SPORTS, Role::Manager, -5, -1),
        ],
        ..Default::default()
    };
    let mut roles = effective_roles(&u, &tree(), now());
    roles.sort();
    let mut expected = vec![
        (id(CULTURE), Role::Editor, None),
        (id(LIBRARIES), Role::Publisher, Some(id(COLLEAGUE))),
    ];
    expected.sort();
    assert_eq!(roles, expected);
}

#[test]
fn delegation_windows_are_checked() {
    let t = now();
    assert!(check_delegation(id(1), id(2), t, t + Duration::days(7), t).is_ok());
    assert!(check_delegation(id(1), id(1), t, t + Duration::days(7), t).is_err());
    assert!(check_delegation(id(1), id(2), t, t, t).is_err());
    assert!(
        check_delegation(
            id(1),
            id(2),
            t - Duration::days(9),
            t - Duration::days(1),
            t
        )
        .is_err()
    );
    assert!(check_delegation(id(1), id(2), t, t + Duration::days(400), t).is_err());
}

#[test]
fn department_paths_walk_up_the_tree() {
    assert_eq!(
        path(LIBRARIES).ids,
        vec![id(LIBRARIES), id(CULTURE), id(CITY)]
    );
    assert_eq!(path(CITY).ids, vec![id(CITY)]);
    assert!(DepartmentPath::of(&tree(), id(999)).is_none());
}

#[test]
fn a_loan_lapses_with_the_lenders_standing() {
    let loan = delegated(LIBRARIES, Role::Publisher, -1, 1); // lent by COLLEAGUE
    let lender = |grants: Vec<Grant>, disabled: bool| UserPrincipal {
        id: id(COLLEAGUE),
        disabled,
        grants,
        ..Default::default()
    };
    let t = now();
    let ok = |d: &UserPrincipal| delegation_backed(&loan, Some(d), &tree(), t);
    assert!(ok(&lender(vec![grant(LIBRARIES, Role::Publisher)], false)));
    assert!(
        ok(&lender(vec![grant(CULTURE, Role::Manager)], false)),
        "held above"
    );
    assert!(
        !ok(&lender(vec![grant(LIBRARIES, Role::Editor)], false)),
        "demoted since"
    );
    assert!(
        !ok(&lender(vec![grant(SPORTS, Role::Manager)], false)),
        "elsewhere"
    );
    assert!(
        !ok(&lender(vec![grant(LIBRARIES, Role::Publisher)], true)),
        "disabled"
    );
    assert!(
        !ok(&lender(
            vec![delegated(LIBRARIES, Role::Manager, -1, 1)],
            false
        )),
        "their own loan does not back a loan"
    );
    assert!(!delegation_backed(&loan, None, &tree(), t), "account gone");
    assert!(
        delegation_backed(&grant(SPORTS, Role::Editor), None, &tree(), t),
        "own grants stand"
    );
}
