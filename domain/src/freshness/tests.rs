use super::*;
use crate::content::{ContentStatus, SiteTargets};
use crate::notification::{ChangeType, Placement};
use chrono::TimeZone;

fn id(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

const CULTURE: u128 = 2;
const SPORTS: u128 = 3;

fn change(change: ChangeType, status: ContentStatus, department: u128) -> ContentChange {
    ContentChange {
        position: 1,
        kind: ContentKind::Event,
        id: id(500),
        slug: "concert".into(),
        change,
        version: 2,
        at: Utc.with_ymd_and_hms(2026, 6, 15, 8, 0, 0).unwrap(),
        placement: Placement {
            department_id: id(department),
            sites: SiteTargets::All,
            category_ids: vec![],
            tag_ids: vec![],
        },
        previous_placement: None,
        status,
        created_by: None,
    }
}

fn content(change: ContentChange) -> Stale {
    Stale::Content(Box::new(change))
}

fn culture_site() -> SiteScope {
    SiteScope {
        site_id: id(900),
        department_ids: vec![id(CULTURE)],
        category_ids: vec![],
        tag_ids: vec![],
    }
}

fn published(department: u128) -> Stale {
    content(change(
        ChangeType::Published,
        ContentStatus::Published,
        department,
    ))
}

#[test]
fn a_list_is_stale_after_a_public_change_of_its_kind_in_its_channel() {
    let mut everywhere = Dependencies::default();
    everywhere.list(ContentKind::Event, None);
    let mut culture = Dependencies::default();
    culture.list(ContentKind::Event, Some(&culture_site()));
    let mut news = Dependencies::default();
    news.list(ContentKind::NewsArticle, None);

    assert!(everywhere.made_stale_by(&published(SPORTS)));
    assert!(culture.made_stale_by(&published(CULTURE)));
    assert!(!culture.made_stale_by(&published(SPORTS)));
    assert!(!news.made_stale_by(&published(CULTURE)));
}

#[test]
fn a_draft_change_stales_no_public_answer() {
    let mut deps = Dependencies::default();
    deps.list(ContentKind::Event, None);
    deps.item(ContentKind::Event, id(500));
    deps.everything();
    let draft = content(change(ChangeType::Updated, ContentStatus::Draft, CULTURE));
    assert!(!deps.made_stale_by(&draft));
    let edit = content(change(
        ChangeType::Updated,
        ContentStatus::Published,
        CULTURE,
    ));
    assert!(deps.made_stale_by(&edit));
}

#[test]
fn an_item_is_stale_after_its_own_change_found_by_id_or_by_slug() {
    let mut shown = Dependencies::default();
    shown.item(ContentKind::Event, id(500));
    let mut asked = Dependencies::default();
    asked.slug(ContentKind::Event, "concert");
    let mut other = Dependencies::default();
    other.item(ContentKind::Event, id(501));
    other.slug(ContentKind::Event, "opera");
    let mut association = Dependencies::default();
    association.item(ContentKind::Association, id(500));

    let unpublished = content(change(
        ChangeType::Unpublished,
        ContentStatus::Unpublished,
        SPORTS,
    ));
    assert!(shown.made_stale_by(&unpublished));
    assert!(asked.made_stale_by(&unpublished));
    assert!(!other.made_stale_by(&unpublished));
    assert!(!association.made_stale_by(&unpublished));
}

#[test]
fn an_item_moved_out_of_the_channel_stales_the_channel_it_left() {
    let mut culture = Dependencies::default();
    culture.list(ContentKind::Event, Some(&culture_site()));
    let mut moved = change(ChangeType::Updated, ContentStatus::Published, SPORTS);
    moved.previous_placement = Some(Placement {
        department_id: id(CULTURE),
        ..Default::default()
    });
    assert!(culture.made_stale_by(&content(moved)));
}

#[test]
fn reference_records_stale_everything_and_bookkeeping_nothing() {
    let mut deps = Dependencies::default();
    deps.item(ContentKind::Event, id(1));
    for aggregate in [
        "place",
        "term",
        "department",
        "site",
        "site_key",
        "site_slot",
        "future",
    ] {
        assert_eq!(Stale::of(aggregate, None), Stale::Everything, "{aggregate}");
        assert!(deps.made_stale_by(&Stale::of(aggregate, None)));
    }
    for aggregate in ["user", "membership", "webhook", "webhook_delivery"] {
        assert!(
            !deps.made_stale_by(&Stale::of(aggregate, None)),
            "{aggregate}"
        );
    }
}

#[test]
fn purge_keys_match_the_surrogate_keys_of_the_answers_they_stale() {
    let mut list = Dependencies::default();
    list.list(ContentKind::Event, None);
    let mut item = Dependencies::default();
    item.item(ContentKind::Event, id(500));
    assert_eq!(list.surrogate_keys(), ["silo", "silo-event"]);
    assert_eq!(
        item.surrogate_keys(),
        ["silo".to_owned(), format!("silo-event-{}", id(500))]
    );
    let purge = published(CULTURE).purge_keys();
    assert!(purge.contains(&"silo-event".to_owned()));
    assert!(purge.contains(&format!("silo-event-{}", id(500))));
    assert_eq!(Stale::Everything.purge_keys(), ["silo"]);
    let draft = content(change(ChangeType::Updated, ContentStatus::Draft, CULTURE));
    assert!(draft.purge_keys().is_empty());
}

#[test]
fn a_moving_window_changes_when_its_first_item_starts_or_a_new_one_enters() {
    let now = Utc.with_ymd_and_hms(2026, 6, 15, 8, 0, 0).unwrap();
    let year = Duration::days(365);
    let first = now + Duration::hours(2);
    let beyond = now + year + Duration::hours(1);
    // A full page only loses items as they start.
    assert_eq!(
        moving_window_boundary(now, year, Some(first), true, Some(beyond)),
        first
    );
    // A short page gains the item beyond its end an hour from now.
    assert_eq!(
        moving_window_boundary(now, year, Some(first), false, Some(beyond)),
        now + Duration::hours(1)
    );
    // Nothing shown, nothing beyond: checked again a window later.
    assert_eq!(
        moving_window_boundary(now, year, None, false, None),
        now + year
    );
    assert_eq!(
        moving_window_boundary(now, year, None, true, None),
        now + year
    );
}

#[test]
fn the_same_question_in_another_layout_is_the_same_document() {
    let a = "query Upcoming($first: Int) {\n  events(first: $first, filter: {from: \"2026-12-01\"}) {\n    # the page\n    edges { node { id } }\n  }\n}";
    let b = "query Upcoming($first:Int){events(first:$first filter:{from:\"2026-12-01\"}){edges{node{id}}}}";
    assert_eq!(normalize_document(a), normalize_document(b));
    assert_eq!(normalize_document(b), b);
}

#[test]
fn normalizing_keeps_what_changes_the_question() {
    let n = normalize_document;
    // Strings are kept byte for byte, commas and hashes inside them too.
    assert_ne!(n(r#"{ a(s: "x, #y") }"#), n(r#"{ a(s: "x y") }"#));
    assert_eq!(n(r#"{ a(s: "x, #y") }"#), r#"{a(s:"x, #y")}"#);
    assert_ne!(n("{ a b }"), n("{ ab }"));
    assert_ne!(n(r#"{ a(l: ["" "b"]) }"#), n(r#"{ a(l: ["""b"""]) }"#));
    assert_eq!(n(r#"{ a(s: """x "" y""") }"#), r#"{a(s:"""x "" y""")}"#);
    assert_eq!(n("{ ... on Query { a } }"), "{... on Query{a}}");
    assert_ne!(n("{ a(n: 1 2) }"), n("{ a(n: 12) }"));
    // A document with multi-byte characters does not panic.
    assert_eq!(n("{ é }"), "{é}");
}
