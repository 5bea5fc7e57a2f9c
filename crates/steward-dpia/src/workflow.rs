//! The DPIA's life: draft -> submitted -> (changes requested -> submitted)* -> approved or
//! rejected; an approved DPIA goes under review when its review date comes, and a change
//! after approval starts a new version (the approved one stays frozen).

use serde::{Deserialize, Serialize};

pub const STATUSES: [(&str, &str); 6] = [
    ("draft", "Draft"),
    ("submitted", "Submitted for sign-off"),
    ("changes_requested", "Changes requested"),
    ("approved", "Approved"),
    ("rejected", "Rejected"),
    ("under_review", "Under review"),
];

pub fn status_label(code: &str) -> &'static str {
    STATUSES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, l)| *l)
        .unwrap_or("")
}

/// What someone does to a DPIA's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    Submit,
    RequestChanges,
    Approve,
    Reject,
    Review,
    NewVersion,
}

impl Step {
    pub fn parse(s: &str) -> Option<Step> {
        Some(match s {
            "submit" => Step::Submit,
            "request_changes" => Step::RequestChanges,
            "approve" => Step::Approve,
            "reject" => Step::Reject,
            "review" => Step::Review,
            "new_version" => Step::NewVersion,
            _ => return None,
        })
    }
}

/// Only a draft, or one sent back for changes, can be edited.
pub fn editable(status: &str) -> bool {
    matches!(status, "draft" | "changes_requested")
}

/// The status after a step, or why the step cannot be taken now.
pub fn next(status: &str, step: Step) -> Result<&'static str, String> {
    let label = status_label(status).to_lowercase();
    match (step, status) {
        (Step::Submit, "draft" | "changes_requested") => Ok("submitted"),
        (Step::RequestChanges, "submitted") => Ok("changes_requested"),
        (Step::Approve, "submitted") => Ok("approved"),
        (Step::Reject, "submitted") => Ok("rejected"),
        (Step::Review, "approved") => Ok("under_review"),
        (Step::NewVersion, "approved" | "under_review" | "rejected") => Ok("draft"),
        (Step::Submit, _) => Err(format!(
            "This DPIA is {label}: only a draft or one sent back for changes can be submitted"
        )),
        (Step::RequestChanges | Step::Approve | Step::Reject, _) => Err(format!(
            "This DPIA is {label}: only a submitted DPIA can be signed off or sent back"
        )),
        (Step::Review, _) => Err(format!(
            "This DPIA is {label}: only an approved DPIA goes under review"
        )),
        (Step::NewVersion, _) => Err(format!(
            "This DPIA is {label}: it can still be changed, no new version is needed"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sign_off_cycle() {
        let mut s = "draft";
        for step in [
            Step::Submit,
            Step::RequestChanges,
            Step::Submit,
            Step::Approve,
        ] {
            s = next(s, step).unwrap();
        }
        assert_eq!(s, "approved");
        assert!(!editable(s));
        assert!(next(s, Step::Submit).is_err());
        assert_eq!(next(s, Step::NewVersion).unwrap(), "draft");
        assert!(next("draft", Step::Approve)
            .unwrap_err()
            .contains("only a submitted DPIA"));
    }
}
