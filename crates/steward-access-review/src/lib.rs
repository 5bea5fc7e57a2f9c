//! Access audit in the web application (issue 5, "In the web application"): the IG lead uploads
//! a clinical system's audit export (or names a folder on the server for large files), maps its
//! columns once per system, runs the audit in the background with its progress stored, and
//! reviews the cases: outcome, notes, actions for the DPO or the user's line manager. Monthly
//! sample audits (seed 001) and reports per organisation and period (PDF and CSV).
//!
//! The rules themselves live in the pure engine `steward-access-audit` (the contract in
//! `shared/reference/access-audit-rules.md`); this crate stores its results and adds the
//! review workflow. No HTTP here: the pages and the JSON API call these functions, and every
//! function checks the caller's organisation and role itself.

pub mod cases;
pub mod demo;
pub mod export;
pub mod report;
pub mod runs;
pub mod sample;

use std::path::PathBuf;

use steward_core::{gate, Caller, CoreError, CoreResult, Kind, Op, Role, Steward};

pub use cases::{Case, CaseDetail, CasePage, CaseQuery, OutcomeInput};
pub use export::{ExportFile, MappingDraft};
pub use report::{Report, ReportScope};
pub use runs::{MappingChoice, Run, SavedMapping};
pub use sample::{Sample, SampleItem, SampleUpdate};

/// Record types of the generic machinery (history, actions linked to a record, the trail).
pub const CASE_RECORD: &str = "access_audit_case";
pub const RUN_RECORD: &str = "access_audit_run";
pub const SAMPLE_RECORD: &str = "access_audit_sample";

/// Environment variable naming the folder under which server-side exports may be read.
pub const IMPORT_ROOT_ENV: &str = "STEWARD_AUDIT_IMPORT_ROOT";

/// The access-audit service: cheap to clone, one per request is fine.
#[derive(Clone)]
pub struct AccessReview {
    pub steward: Steward,
    /// Server folders named for large exports must be inside this folder (default: the data
    /// folder's `imports`), so a form cannot make Steward read arbitrary files.
    pub import_root: PathBuf,
}

impl AccessReview {
    pub fn new(steward: Steward) -> AccessReview {
        let import_root = std::env::var_os(IMPORT_ROOT_ENV)
            .map(PathBuf::from)
            .unwrap_or_else(|| steward.config.data_dir.join("imports"));
        AccessReview {
            steward,
            import_root,
        }
    }

    pub fn with_import_root(mut self, root: impl Into<PathBuf>) -> AccessReview {
        self.import_root = root.into();
        self
    }

    /// Where uploaded exports are kept: one folder per organisation and run.
    pub(crate) fn upload_dir(&self, organisation_id: &str, run_id: &str) -> PathBuf {
        self.steward
            .config
            .data_dir
            .join("access-audit")
            .join(organisation_id)
            .join(run_id)
    }
}

/// Who may read access audits: the roles the gate's policy table gives (the people who
/// audit, those who receive escalations, the read-only auditor; never clinicians and staff,
/// who are the people being audited).
pub fn can_review(role: Role) -> bool {
    Kind::AccessAuditRun.allows(role, Op::Read)
}

/// Who runs audits and records outcomes (the gate's policy table).
pub fn can_record(role: Role) -> bool {
    Kind::AccessAuditRun.allows(role, Op::Change)
}

/// Reading an organisation's access audits: the gate's decision (another organisation's ids
/// answer "not found", then the role).
pub fn require_audit_read(caller: &Caller, organisation_id: &str) -> CoreResult<()> {
    gate::decide(
        caller,
        Kind::AccessAuditRun,
        Op::List,
        organisation_id,
        None,
    )
}

/// Running audits in an organisation: the gate's decision.
pub fn require_audit_write(caller: &Caller, organisation_id: &str) -> CoreResult<()> {
    gate::decide(
        caller,
        Kind::AccessAuditRun,
        Op::Create,
        organisation_id,
        None,
    )
}

pub(crate) fn internal(e: impl std::fmt::Display) -> CoreError {
    CoreError::Internal(e.to_string())
}

/// "2025-05" -> "May 2025"; anything else as given.
pub fn period_label(period: &str) -> String {
    chrono::NaiveDate::parse_from_str(&format!("{period}-01"), "%Y-%m-%d")
        .map(|d| d.format("%B %Y").to_string())
        .unwrap_or_else(|_| period.to_string())
}

/// A period is a calendar month, YYYY-MM.
pub fn valid_period(period: &str) -> bool {
    period.len() == 7
        && chrono::NaiveDate::parse_from_str(&format!("{period}-01"), "%Y-%m-%d").is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_auditors_of_access_see_cases() {
        assert!(can_review(Role::IgLead) && can_review(Role::Auditor) && can_review(Role::Dpo));
        assert!(!can_review(Role::Clinician) && !can_review(Role::Staff));
        assert!(!can_review(Role::SystemAdministrator));
        assert!(can_record(Role::IgLead) && !can_record(Role::Auditor) && !can_record(Role::Siro));
    }

    #[test]
    fn periods_are_months() {
        assert!(valid_period("2025-05"));
        assert!(!valid_period("2025-13"));
        assert!(!valid_period("2025-5"));
        assert!(!valid_period("May 2025"));
        assert_eq!(period_label("2025-05"), "May 2025");
    }
}
