//! The editorial workflow: which transitions exist, from which states, and the four-eyes
//! rule. `draft -> in_review -> published -> unpublished | archived`, and back.

use crate::content::ContentStatus;
use crate::department::ReviewPolicy;
use crate::error::DomainError;
use crate::rights::Action;
use uuid::Uuid;

/// A change of workflow state an editor or publisher asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transition {
    SubmitForReview,
    /// Publishes an item in review.
    Approve,
    /// Sends an item in review back to draft, with a comment.
    Reject,
    Publish,
    /// Takes a published item down, with a reason.
    Unpublish,
    Archive,
    /// Brings an archived or unpublished item back to draft.
    Restore,
}

impl Transition {
    pub const ALL: [Transition; 7] = [
        Self::SubmitForReview,
        Self::Approve,
        Self::Reject,
        Self::Publish,
        Self::Unpublish,
        Self::Archive,
        Self::Restore,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::SubmitForReview => "submit for review",
            Self::Approve => "approve",
            Self::Reject => "reject",
            Self::Publish => "publish",
            Self::Unpublish => "unpublish",
            Self::Archive => "archive",
            Self::Restore => "restore",
        }
    }

    /// The right the transition needs (asked of `rights::authorize`).
    pub fn action(self) -> Action {
        match self {
            Self::SubmitForReview => Action::SubmitForReview,
            Self::Approve | Self::Reject | Self::Publish => Action::Publish,
            Self::Unpublish => Action::Unpublish,
            Self::Archive => Action::Archive,
            Self::Restore => Action::Restore,
        }
    }

    /// The states it starts from.
    fn sources(self) -> &'static [ContentStatus] {
        use ContentStatus::*;
        match self {
            Self::SubmitForReview => &[Draft],
            Self::Approve | Self::Reject => &[InReview],
            Self::Publish => &[Draft, InReview, Unpublished],
            Self::Unpublish => &[Published],
            Self::Archive => &[Draft, Published, Unpublished],
            Self::Restore => &[Archived, Unpublished],
        }
    }

    /// The state it leads to.
    pub fn target(self) -> ContentStatus {
        match self {
            Self::SubmitForReview => ContentStatus::InReview,
            Self::Approve | Self::Publish => ContentStatus::Published,
            Self::Reject | Self::Restore => ContentStatus::Draft,
            Self::Unpublish => ContentStatus::Unpublished,
            Self::Archive => ContentStatus::Archived,
        }
    }

    /// The state after the transition from `from`; a transition that does not apply is a
    /// `CONFLICT` naming the current state.
    pub fn apply(self, from: ContentStatus) -> Result<ContentStatus, DomainError> {
        if self.sources().contains(&from) {
            Ok(self.target())
        } else {
            Err(DomainError::Conflict(format!(
                "cannot {} an item that is {}",
                self.as_str(),
                from.as_str().replace('_', " ")
            )))
        }
    }

    /// Whether the transition needs a written justification.
    pub fn needs_reason(self) -> bool {
        matches!(self, Self::Unpublish | Self::Reject)
    }

    /// Whether it makes the item public (and falls under the four-eyes rule).
    pub fn publishes(self) -> bool {
        self.target() == ContentStatus::Published
    }
}

/// Under `four_eyes`, the publisher must not be the last editor of the version: a
/// delegated publisher counts as themself, never as the one who lent the role.
pub fn check_four_eyes(
    policy: ReviewPolicy,
    last_editor: Option<Uuid>,
    publisher: Uuid,
) -> Result<(), DomainError> {
    if policy == ReviewPolicy::FourEyes && last_editor == Some(publisher) {
        return Err(DomainError::Forbidden {
            right: "a publisher other than the last editor of this version (four-eyes review)"
                .to_owned(),
        });
    }
    Ok(())
}

/// A reason or comment: required, trimmed, at most 1,000 characters.
pub fn check_reason(field: &str, reason: Option<&str>) -> Result<String, DomainError> {
    let reason = reason.map(str::trim).unwrap_or_default();
    if reason.is_empty() {
        return Err(DomainError::invalid(field, "a reason is required"));
    }
    if reason.chars().count() > 1_000 {
        return Err(DomainError::invalid(
            field,
            "must be at most 1,000 characters",
        ));
    }
    Ok(reason.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ContentStatus::*;

    const STATES: [ContentStatus; 5] = [Draft, InReview, Published, Unpublished, Archived];

    #[test]
    fn every_transition_from_every_state() {
        // (transition, from, to) for every allowed move; everything else is refused.
        let allowed = [
            (Transition::SubmitForReview, Draft, InReview),
            (Transition::Approve, InReview, Published),
            (Transition::Reject, InReview, Draft),
            (Transition::Publish, Draft, Published),
            (Transition::Publish, InReview, Published),
            (Transition::Publish, Unpublished, Published),
            (Transition::Unpublish, Published, Unpublished),
            (Transition::Archive, Draft, Archived),
            (Transition::Archive, Published, Archived),
            (Transition::Archive, Unpublished, Archived),
            (Transition::Restore, Archived, Draft),
            (Transition::Restore, Unpublished, Draft),
        ];
        let mut checked = 0;
        for t in Transition::ALL {
            for from in STATES {
                let expected = allowed
                    .iter()
                    .find(|(tt, f, _)| *tt == t && *f == from)
                    .map(|(_, _, to)| *to);
                match (t.apply(from), expected) {
                    (Ok(to), Some(want)) => assert_eq!(to, want),
                    (Err(e), None) => {
                        assert_eq!(e.code(), "CONFLICT");
                        assert!(
                            e.to_string().contains(&from.as_str().replace('_', " ")),
                            "{e}"
                        );
                    }
                    (got, want) => panic!("{t:?} from {from:?}: {got:?}, expected {want:?}"),
                }
                checked += 1;
            }
        }
        assert_eq!(checked, 35);
    }

    #[test]
    fn four_eyes_needs_another_publisher() {
        let (author, other) = (Uuid::from_u128(1), Uuid::from_u128(2));
        assert!(check_four_eyes(ReviewPolicy::None, Some(author), author).is_ok());
        let err = check_four_eyes(ReviewPolicy::FourEyes, Some(author), author).unwrap_err();
        assert_eq!(err.code(), "FORBIDDEN");
        assert!(check_four_eyes(ReviewPolicy::FourEyes, Some(author), other).is_ok());
        assert!(check_four_eyes(ReviewPolicy::FourEyes, None, other).is_ok());
    }

    #[test]
    fn reasons_are_required() {
        assert!(check_reason("reason", None).is_err());
        assert!(check_reason("reason", Some("  ")).is_err());
        assert_eq!(
            check_reason("reason", Some(" wrong logo ")).unwrap(),
            "wrong logo"
        );
        assert!(check_reason("reason", Some(&"x".repeat(1001))).is_err());
    }
}
