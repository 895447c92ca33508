use super::*;
use crate::rights::Role;

fn record(n: u8) -> Record {
    Record {
        at: Record::at_stored(
            DateTime::from_timestamp(1_790_000_000 + i64::from(n), 123_456_789).unwrap(),
        ),
        actor_id: Some(Uuid::from_u128(u128::from(n))),
        authority: Actor::operator().authority.to_json().to_string(),
        action: "event.published".into(),
        target_kind: "event".into(),
        target_id: Uuid::from_u128(1000 + u128::from(n)),
        department_id: None,
        before: r#"{"status":"draft"}"#.into(),
        after: r#"{"status":"published"}"#.into(),
    }
}

fn chain(n: u8) -> Vec<Entry> {
    let mut entries: Vec<Entry> = Vec::new();
    for i in 1..=n {
        let (seq, hash) = entries
            .last()
            .map_or((0, GENESIS.to_owned()), |e| (e.seq, e.hash.clone()));
        entries.push(record(i).chain(seq, &hash));
    }
    entries
}

fn check(entries: &[Entry]) -> Result<(), Broken> {
    let mut check = ChainCheck::default();
    for entry in entries {
        check.push(entry)?;
    }
    let head = chain(5).pop().unwrap();
    check.finish(head.seq, &head.hash)
}

#[test]
fn an_untouched_chain_verifies() {
    assert_eq!(check(&chain(5)), Ok(()));
}

#[test]
fn the_time_is_hashed_as_stored_to_the_microsecond() {
    let r = record(1);
    assert_eq!(r.at.timestamp_subsec_nanos(), 123_456_000);
    assert_eq!(Record::at_stored(r.at), r.at);
}

#[test]
fn a_changed_field_breaks_that_entry() {
    let mut entries = chain(5);
    entries[2].record.after = r#"{"status":"draft"}"#.into();
    assert_eq!(check(&entries).unwrap_err().seq, 3);
    let mut entries = chain(5);
    entries[1].record.actor_id = None;
    assert_eq!(check(&entries).unwrap_err().seq, 2);
}

#[test]
fn a_changed_entry_with_a_recomputed_hash_breaks_the_next_link() {
    let mut entries = chain(5);
    let mut forged = entries[2].record.clone();
    forged.actor_id = Some(Uuid::from_u128(99));
    entries[2] = forged.chain(2, &entries[1].hash);
    let broken = check(&entries).unwrap_err();
    assert_eq!(broken.seq, 4);
    assert!(broken.reason.contains("does not link"), "{broken}");
}

#[test]
fn a_deleted_entry_is_reported_as_missing() {
    let mut entries = chain(5);
    entries.remove(1);
    let broken = check(&entries).unwrap_err();
    assert_eq!(broken.seq, 2);
    assert!(broken.reason.contains("missing"), "{broken}");
}

#[test]
fn entries_deleted_from_the_end_are_caught_by_the_head() {
    let mut entries = chain(5);
    entries.truncate(3);
    let broken = check(&entries).unwrap_err();
    assert_eq!(broken.seq, 4);
    assert!(broken.reason.contains("4 to 5"), "{broken}");
}

#[test]
fn an_entry_inserted_at_the_end_is_caught() {
    let mut entries = chain(5);
    let last = entries.last().unwrap().clone();
    entries.push(record(9).chain(last.seq, &last.hash));
    assert_eq!(check(&entries).unwrap_err().seq, 6);
}

/// Publisher of department 2, lent by user 3 until 2027-01-15 08:00 UTC.
fn lent_publisher() -> Grant {
    Grant {
        membership_id: Uuid::from_u128(1),
        department_id: Uuid::from_u128(2),
        role: Role::Publisher,
        valid_from: None,
        valid_until: DateTime::from_timestamp(1_800_000_000, 0),
        delegated_by: Some(Uuid::from_u128(3)),
    }
}

#[test]
fn a_delegated_right_names_the_delegator_and_window() {
    let right = Actor::user(Uuid::from_u128(4), Allowance::Grant(lent_publisher()))
        .authority
        .to_json();
    assert_eq!(right["kind"], "delegation");
    assert_eq!(right["role"], "publisher");
    assert_eq!(right["delegatedBy"], Uuid::from_u128(3).to_string());
    assert_eq!(right["validUntil"], "2027-01-15T08:00:00Z");
}

#[test]
fn a_right_reads_in_plain_words() {
    let right = Authority::Policy(Allowance::Grant(lent_publisher())).to_json();
    let names = |id: &str| {
        let id = Uuid::parse_str(id).ok()?;
        (id == Uuid::from_u128(2))
            .then(|| "Culture".to_owned())
            .or_else(|| (id == Uuid::from_u128(3)).then(|| "marie@ville.fr".to_owned()))
    };
    assert_eq!(
        describe_right(&right, names),
        "publisher of Culture, lent by marie@ville.fr until 2027-01-15 08:00 UTC"
    );
    assert_eq!(
        describe_right(&Authority::Scheduler.to_json(), |_| None),
        "the scheduler, carrying out a scheduled publication"
    );
}
