//! Redaction review of a request (feature `service`): documents uploaded to the request, the
//! engine run with the subject built from the request, the reviewer's decisions, and the
//! redacted bundle with its schedule.
//!
//! The engine (steward-redact) and the bundle writer (steward-documents) do the work; this
//! module stores files under the data folder and rows in the database, checks organisation and
//! role, and records every run, decision and download in the audit trail.

use serde::Serialize;
use steward_core::CoreResult;
use steward_db::{AnyRow, Row};
use steward_documents::{BlockRef, ReasonCode};

/// Reason codes offered to the reviewer, with their labels.
pub const REASON_CODES: [(&str, &str); 4] = [
    (
        "third_party",
        "Third-party information (DPA 2018 Sch 2 Part 3 para 16)",
    ),
    (
        "serious_harm",
        "Serious harm (DPA 2018 Sch 3 Part 2 para 5)",
    ),
    (
        "restricted_by_law",
        "Disclosure prohibited by law (DPA 2018 Sch 4)",
    ),
    ("other", "Other exemption (say which in the note)"),
];

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RedactionDocument {
    pub id: String,
    pub filename: String,
    pub format: String,
    pub size: i64,
    pub sha256: String,
    pub uploaded_by: String,
    pub at: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RunSummary {
    pub id: String,
    pub at: String,
    pub by: String,
    pub documents: i64,
    pub pages: i64,
    pub proposals: i64,
    pub flags: i64,
    pub accepted: i64,
    pub rejected: i64,
    pub undecided: i64,
    pub manual: i64,
    /// Found but kept because Steward knows whose it is (the organisation's own details, a
    /// member of staff).
    pub kept: i64,
}

/// A proposal shown in context for the reviewer.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProposalView {
    pub seq: i64,
    pub document: String,
    pub page: String,
    /// person_name, street_address, postcode, phone, email, nhs_number, ni_number,
    /// date_of_birth, hospital_number
    pub entity: String,
    pub entity_label: String,
    pub rule: String,
    pub before: String,
    pub text: String,
    pub after: String,
    /// accept, reject, or None while undecided (undecided proposals are redacted)
    pub decision: Option<String>,
    pub reason_code: String,
    pub note: String,
    pub reviewer: String,
}

/// A passage flagged for the clinician (safeguarding, police or court, given in confidence,
/// restricted by law): never redacted automatically.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FlagView {
    pub document: String,
    pub page: String,
    pub category: String,
    pub matched: String,
    pub before: String,
    pub text: String,
    pub after: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ManualView {
    pub id: String,
    pub document: String,
    pub page: String,
    pub text: String,
    pub reason_code: String,
    pub note: String,
    pub reviewer: String,
}

/// A passage the engine found and kept, not redacted, because Steward knows whose it is: the
/// organisation's own details (its letterhead) or a member of staff named in their role.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct KeptView {
    pub document: String,
    pub page: String,
    /// organisation_details or staff_member
    pub reason: String,
    /// In plain words: "Kept: the practice's own details", "Kept: staff member".
    pub reason_label: String,
    /// What it matched, for the organisation's details: "telephone", "e-mail", "postcode",
    /// "address", "name or address".
    pub matched: String,
    pub before: String,
    pub text: String,
    pub after: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReviewScreen {
    pub run: RunSummary,
    pub proposals: Vec<ProposalView>,
    pub flags: Vec<FlagView>,
    pub manual: Vec<ManualView>,
    /// Kept by default: the organisation's own details and its staff's names.
    pub kept: Vec<KeptView>,
    /// "document: page" of pages without a text layer: they need manual review.
    pub pages_needing_review: Vec<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OutputFile {
    pub id: String,
    /// bundle_pdf, schedule_csv or schedule_pdf
    pub kind: String,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub at: String,
}

fn content_type_of(kind: &str) -> &'static str {
    match kind {
        "schedule_csv" => "text/csv; charset=utf-8",
        _ => "application/pdf",
    }
}

/// Context either side of a redaction, cut at character boundaries.
fn context(text: &str, start: usize, end: usize) -> (String, String, String) {
    let floor = |mut i: usize| {
        i = i.min(text.len());
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let ceil = |mut i: usize| {
        i = i.min(text.len());
        while !text.is_char_boundary(i) {
            i += 1;
        }
        i
    };
    let (s, e) = (floor(start), ceil(end.max(start)));
    let b = floor(s.saturating_sub(90));
    let a = ceil((e + 90).min(text.len()));
    let before = if b > 0 {
        format!("…{}", &text[b..s])
    } else {
        text[b..s].to_string()
    };
    let after = if a < text.len() {
        format!("{}…", &text[e..a])
    } else {
        text[e..a].to_string()
    };
    (before, text[s..e].to_string(), after)
}

fn entity_code(e: steward_redact::Entity) -> String {
    serde_json::to_value(e)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn category_label(c: steward_redact::FlagCategory) -> &'static str {
    match c {
        steward_redact::FlagCategory::Safeguarding => "Safeguarding or child protection",
        steward_redact::FlagCategory::PoliceOrCourt => "Police or court information",
        steward_redact::FlagCategory::GivenInConfidence => "Given in confidence by a third party",
        steward_redact::FlagCategory::RestrictedByLaw => "Disclosure restricted by law",
    }
}

/// "Kept: the practice's own details" / "Kept: staff member": the schedule's and the review's
/// words for an item kept because Steward knows whose it is. `noun` is "practice" for a GP
/// practice, else "organisation".
pub fn kept_label(reason: steward_redact::KeptReason, noun: &str) -> String {
    match reason {
        steward_redact::KeptReason::OrganisationDetails => {
            format!("Kept: the {noun}'s own details")
        }
        steward_redact::KeptReason::StaffMember => "Kept: staff member".into(),
    }
}

fn kept_code(reason: steward_redact::KeptReason) -> &'static str {
    match reason {
        steward_redact::KeptReason::OrganisationDetails => "organisation_details",
        steward_redact::KeptReason::StaffMember => "staff_member",
    }
}

fn reason_of(s: &str) -> Option<ReasonCode> {
    s.parse().ok()
}

/// A decision taken over from an earlier run.
struct Carried {
    seq: Option<i64>,
    verdict: String,
    reason: String,
    note: String,
    place: Option<(BlockRef, usize, usize)>,
}

struct DecisionRow {
    id: String,
    seq: Option<i64>,
    verdict: String,
    reason: String,
    note: String,
    at: Option<BlockRef>,
    start: i64,
    end: i64,
    reviewer: String,
}

fn decision_from(r: &AnyRow) -> CoreResult<DecisionRow> {
    let at = match (
        r.try_get::<Option<i64>, _>("document_index")?,
        r.try_get::<Option<i64>, _>("page_index")?,
        r.try_get::<Option<i64>, _>("block_index")?,
    ) {
        (Some(d), Some(p), Some(b)) => Some(BlockRef {
            document: d as usize,
            page: p as usize,
            block: b as usize,
        }),
        _ => None,
    };
    Ok(DecisionRow {
        id: r.try_get("id")?,
        seq: r.try_get("proposal_seq")?,
        verdict: r.try_get("verdict")?,
        reason: r.try_get("reason_code")?,
        note: r.try_get("note")?,
        at,
        start: r.try_get::<Option<i64>, _>("start_byte")?.unwrap_or(0),
        end: r.try_get::<Option<i64>, _>("end_byte")?.unwrap_or(0),
        reviewer: r
            .try_get::<Option<String>, _>("display_name")?
            .unwrap_or_default(),
    })
}

mod bundle;
mod decisions;
mod documents;
mod run;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_cuts_at_character_boundaries() {
        let text = "Seen with Zoë Åberg at 1 Mill Lane";
        let start = text.find("Zoë").unwrap();
        let end = start + "Zoë Åberg".len();
        let (b, t, a) = context(text, start, end);
        assert_eq!(
            (b.as_str(), t.as_str(), a.as_str()),
            ("Seen with ", "Zoë Åberg", " at 1 Mill Lane")
        );
        // A range inside a multi-byte character widens outwards.
        let (_, t, _) = context(text, start + 3, start + 4);
        assert_eq!(t, "ë");
    }

    #[test]
    fn reason_codes_parse() {
        for (code, _) in REASON_CODES {
            assert!(reason_of(code).is_some(), "{code}");
        }
        assert!(reason_of("nonsense").is_none());
    }
}
