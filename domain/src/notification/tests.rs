use super::*;
use crate::rights::{Grant, Role, UserPrincipal};
use chrono::TimeZone;

fn id(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

const CITY: u128 = 1;
const CULTURE: u128 = 2;
const SPORTS: u128 = 3;
const AUTHOR: u128 = 100;
const CONCERTS: u128 = 300;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 15, 8, 0, 0).unwrap()
}

fn tree() -> Vec<Department> {
    let dept = |n: u128, parent: Option<u128>| Department {
        id: id(n),
        parent_id: parent.map(id),
        slug: format!("d{n}"),
        name: format!("d{n}"),
        review_policy: Default::default(),
        time_zone: "Europe/Paris".into(),
        version: 1,
    };
    vec![
        dept(CITY, None),
        dept(CULTURE, Some(CITY)),
        dept(SPORTS, Some(CITY)),
    ]
}

fn change(change: ChangeType, status: ContentStatus) -> ContentChange {
    ContentChange {
        position: 1,
        kind: ContentKind::Event,
        id: id(500),
        slug: "concert".into(),
        change,
        version: 2,
        at: now(),
        placement: Placement {
            department_id: id(CULTURE),
            sites: SiteTargets::All,
            category_ids: vec![id(CONCERTS)],
            tag_ids: vec![],
        },
        previous_placement: None,
        status,
        created_by: Some(id(AUTHOR)),
    }
}

fn member(user: u128, department: u128, role: Role) -> Principal {
    Principal::User(UserPrincipal {
        id: id(user),
        grants: vec![Grant {
            membership_id: id(9000 + user),
            department_id: id(department),
            role,
            valid_from: None,
            valid_until: None,
            delegated_by: None,
        }],
        ..Default::default()
    })
}

fn sees(principal: &Principal, scope: Option<&SiteScope>, c: &ContentChange) -> bool {
    c.visible_to(principal, scope, &tree(), now())
}

#[test]
fn outbox_changes_map_to_what_satellites_are_told() {
    assert_eq!(ChangeType::of_outbox("published"), ChangeType::Published);
    assert_eq!(
        ChangeType::of_outbox("unpublished"),
        ChangeType::Unpublished
    );
    assert_eq!(ChangeType::of_outbox("deleted"), ChangeType::Deleted);
    assert_eq!(ChangeType::of_outbox("created"), ChangeType::Updated);
    assert_eq!(ChangeType::of_outbox("updated"), ChangeType::Updated);
}

#[test]
fn anonymous_callers_learn_of_public_changes_only() {
    use ChangeType::{Deleted, Published, Unpublished, Updated};
    use ContentStatus::{Archived, Draft, InReview};
    let anonymous = Principal::Anonymous;
    let site = Principal::Site(id(42));
    for (c, public) in [
        (change(Published, ContentStatus::Published), true),
        (change(Unpublished, ContentStatus::Unpublished), true),
        (change(Unpublished, Archived), true),
        (change(Updated, ContentStatus::Published), true),
        (change(Deleted, ContentStatus::Published), true),
        (change(Updated, Draft), false),
        (change(Updated, InReview), false),
        (change(Deleted, Draft), false),
    ] {
        assert_eq!(c.is_public(), public, "{c:?}");
        assert_eq!(sees(&anonymous, None, &c), public, "{c:?}");
        assert_eq!(sees(&site, None, &c), public, "{c:?}");
    }
}

#[test]
fn drafts_changes_reach_those_who_may_read_the_draft() {
    let draft = change(ChangeType::Updated, ContentStatus::Draft);
    assert!(sees(&member(7, CULTURE, Role::Editor), None, &draft));
    assert!(
        sees(&member(7, CITY, Role::Editor), None, &draft),
        "parent department"
    );
    assert!(!sees(&member(7, SPORTS, Role::Publisher), None, &draft));
    // A contributor reads their own drafts, not a colleague's.
    assert!(sees(
        &member(AUTHOR, CULTURE, Role::Contributor),
        None,
        &draft
    ));
    assert!(!sees(&member(8, CULTURE, Role::Contributor), None, &draft));
}

#[test]
fn a_site_hears_only_of_its_channel() {
    let published = change(ChangeType::Published, ContentStatus::Published);
    let scope = |departments: Vec<u128>, categories: Vec<u128>| SiteScope {
        site_id: id(42),
        department_ids: departments.into_iter().map(id).collect(),
        category_ids: categories.into_iter().map(id).collect(),
        tag_ids: vec![],
    };
    let anonymous = Principal::Anonymous;
    assert!(sees(
        &anonymous,
        Some(&scope(vec![CULTURE], vec![])),
        &published
    ));
    assert!(!sees(
        &anonymous,
        Some(&scope(vec![SPORTS], vec![])),
        &published
    ));
    assert!(sees(
        &anonymous,
        Some(&scope(vec![], vec![CONCERTS])),
        &published
    ));
    assert!(!sees(
        &anonymous,
        Some(&scope(vec![], vec![999])),
        &published
    ));
    let elsewhere = ContentChange {
        placement: Placement {
            sites: SiteTargets::Only(vec![id(43)]),
            ..published.placement.clone()
        },
        ..published.clone()
    };
    assert!(!sees(&anonymous, Some(&scope(vec![], vec![])), &elsewhere));
    assert!(
        sees(&anonymous, None, &elsewhere),
        "no site named: every public change"
    );
    // Moved out of a site's channel by an edit: that site hears of it (to drop it).
    let moved = ContentChange {
        change: ChangeType::Updated,
        placement: Placement {
            department_id: id(SPORTS),
            ..published.placement.clone()
        },
        previous_placement: Some(published.placement.clone()),
        ..published.clone()
    };
    assert!(sees(
        &anonymous,
        Some(&scope(vec![CULTURE], vec![])),
        &moved
    ));
    assert!(sees(&anonymous, Some(&scope(vec![SPORTS], vec![])), &moved));
    let unmoved = ContentChange {
        previous_placement: None,
        ..moved.clone()
    };
    assert!(!sees(
        &anonymous,
        Some(&scope(vec![CULTURE], vec![])),
        &unmoved
    ));
    // A draft outside the channel stays out even for its editors.
    let draft = change(ChangeType::Updated, ContentStatus::Draft);
    let editor = member(7, CULTURE, Role::Editor);
    assert!(!sees(&editor, Some(&scope(vec![SPORTS], vec![])), &draft));
}

#[test]
fn satellites_receive_stable_names() {
    let c = change(ChangeType::Unpublished, ContentStatus::Unpublished);
    let json = c.to_json();
    assert_eq!(json["kind"], "EVENT");
    assert_eq!(json["change"], "UNPUBLISHED");
    assert_eq!(json["slug"], "concert");
    assert_eq!(json["version"], 2);
    assert_eq!(json["at"], "2026-06-15T08:00:00.000000Z");
}
