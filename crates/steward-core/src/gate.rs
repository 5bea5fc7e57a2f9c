//! The gate: who may list, read, change, comment on, attach to and delete each kind of
//! record, decided here and nowhere else.
//!
//! Every kind of record Steward holds is a variant of [`Kind`], and [`Kind::declaration`]
//! matches on every variant: a new kind without a policy does not compile. A service gets a
//! [`Permit`] from [`Steward::permit`] (or [`Steward::permit_in`] for listing and creating
//! in an organisation); the permit's fields are private, so no other code can make one by
//! hand, and the generic features (history, comments, attachments, linked actions) take
//! one. Reads of personal data are written to the audit trail when the permit is issued.
//!
//! Organisation first, then role: another organisation's records answer "not found" (ids
//! cannot be probed), a role without the right answers "forbidden".

use std::marker::PhantomData;

use serde::{Deserialize, Serialize};

use crate::context::Seen;
use crate::error::{CoreError, CoreResult};
use crate::roles::Role;
use crate::trail::TrailEntry;
use crate::{Caller, Steward};
use steward_db::Row;

/// Every kind of record. The order is the order of the policy table shown to people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Action,
    RightsRequest,
    AccessAuditRun,
    AccessAuditCase,
    AccessAuditSample,
    Incident,
    IncidentLesson,
    Risk,
    ClusterUpdate,
    DpiaScreening,
    Dpia,
    DpiaSignOff,
    DpiaAdoption,
    ComplianceAudit,
    ActionRound,
    TrainingRecord,
    Policy,
    PolicyAcknowledgement,
    RetentionReview,
    Destruction,
    ToolkitEvidence,
    ContinuityPlan,
    NonDirectCareProcessing,
    ProcessingActivity,
    ActivityTemplate,
    InformationAsset,
    SharingPartner,
    SharingAgreement,
    Processor,
    SharingProject,
    PrivacyNotice,
    StaffListEntry,
}

/// What a caller wants to do with a record (or, for `List` and `Create`, with the records
/// of an organisation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    List,
    Create,
    Read,
    Change,
    Comment,
    Attach,
    Delete,
    /// Give a professional view on a record: the clinician's serious-harm review of a
    /// rights request; a view on a DPIA.
    Advise,
    /// Change the organisation's settings for a kind (e.g. the 28-day response period).
    Configure,
}

impl Op {
    pub const ALL: [Op; 9] = [
        Op::List,
        Op::Create,
        Op::Read,
        Op::Change,
        Op::Comment,
        Op::Attach,
        Op::Delete,
        Op::Advise,
        Op::Configure,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Op::List => "list",
            Op::Create => "create",
            Op::Read => "read",
            Op::Change => "change",
            Op::Comment => "comment on",
            Op::Attach => "attach files to",
            Op::Delete => "delete",
            Op::Advise => "give a professional view on",
            Op::Configure => "change the settings of",
        }
    }
}

/// A rule that depends on the caller and the record, beyond role and organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    /// The record is about a member of staff (named in this column, matched against the
    /// caller's name): that person never gets it, whatever their role.
    NotAboutCaller { name_column: &'static str },
}

/// One kind's declaration: where it lives and who may do what.
#[derive(Debug)]
pub struct Declaration {
    /// Stored in `record_type` columns and used in URLs.
    pub code: &'static str,
    /// The DPO's word for it.
    pub label: &'static str,
    pub table: &'static str,
    /// Reads are written to the audit trail.
    pub personal_data: bool,
    pub list: &'static [Role],
    pub create: &'static [Role],
    pub read: &'static [Role],
    pub change: &'static [Role],
    pub comment: &'static [Role],
    pub attach: &'static [Role],
    pub delete: &'static [Role],
    pub advise: &'static [Role],
    pub configure: &'static [Role],
    pub relation: Option<Relation>,
}

use Role::*;

/// Everyone who reads governance records (the system administrator manages accounts only).
const READERS: &[Role] = &[
    Dpo,
    IgLead,
    Siro,
    CaldicottGuardian,
    Clinician,
    Staff,
    Auditor,
];
/// Everyone who changes governance records (the auditor only reads).
const WRITERS: &[Role] = &[Dpo, IgLead, Siro, CaldicottGuardian, Clinician, Staff];
/// Who reads access audits: those who audit, those who receive escalations, the auditor.
/// Clinicians and staff are the people being audited.
const AUDIT_READERS: &[Role] = &[Dpo, IgLead, Siro, CaldicottGuardian, Auditor];
/// Who runs access audits and records outcomes.
const AUDIT_WRITERS: &[Role] = &[Dpo, IgLead];
/// Who comments on access-audit cases: the auditors and those cases are escalated to.
const AUDIT_DISCUSSANTS: &[Role] = &[Dpo, IgLead, Siro, CaldicottGuardian];

static ACTION: Declaration = Declaration {
    code: "action",
    label: "action",
    table: "actions",
    // An action's title and description may name people.
    personal_data: true,
    list: READERS,
    create: WRITERS,
    read: READERS,
    change: WRITERS,
    comment: WRITERS,
    attach: WRITERS,
    delete: WRITERS,
    advise: &[],
    configure: &[Dpo, IgLead],
    relation: None,
};

static RIGHTS_REQUEST: Declaration = Declaration {
    code: "rights_request",
    label: "rights request",
    table: "rights_requests",
    personal_data: true,
    list: READERS,
    create: WRITERS,
    read: READERS,
    change: WRITERS,
    comment: WRITERS,
    attach: WRITERS,
    delete: &[Dpo, IgLead],
    advise: &[Clinician, CaldicottGuardian],
    configure: &[Dpo, IgLead],
    relation: None,
};

static ACCESS_AUDIT_RUN: Declaration = Declaration {
    code: "access_audit_run",
    label: "access audit",
    table: "audit_runs",
    personal_data: true,
    list: AUDIT_READERS,
    create: AUDIT_WRITERS,
    read: AUDIT_READERS,
    change: AUDIT_WRITERS,
    comment: AUDIT_DISCUSSANTS,
    attach: AUDIT_WRITERS,
    delete: AUDIT_WRITERS,
    advise: &[],
    configure: &[Dpo, IgLead],
    relation: None,
};

static ACCESS_AUDIT_CASE: Declaration = Declaration {
    code: "access_audit_case",
    label: "access-audit case",
    table: "audit_cases",
    personal_data: true,
    list: AUDIT_READERS,
    create: AUDIT_WRITERS,
    read: AUDIT_READERS,
    change: AUDIT_WRITERS,
    comment: AUDIT_DISCUSSANTS,
    attach: AUDIT_WRITERS,
    delete: &[],
    advise: &[],
    configure: &[Dpo, IgLead],
    relation: Some(Relation::NotAboutCaller {
        name_column: "user_name",
    }),
};

static ACCESS_AUDIT_SAMPLE: Declaration = Declaration {
    code: "access_audit_sample",
    label: "sample audit",
    table: "audit_samples",
    personal_data: true,
    list: AUDIT_READERS,
    create: AUDIT_WRITERS,
    read: AUDIT_READERS,
    change: AUDIT_WRITERS,
    comment: AUDIT_DISCUSSANTS,
    attach: AUDIT_WRITERS,
    delete: &[],
    advise: &[],
    configure: &[Dpo, IgLead],
    relation: None,
};

/// Who triages incidents: the IG lead and the DPO (issue 13).
const INCIDENT_HANDLERS: &[Role] = &[Dpo, IgLead];
/// Who reads incidents: those who triage them, those they are escalated to (SIRO, Caldicott
/// Guardian) and the auditor. Anyone else signed in reports one but does not read the log.
const INCIDENT_READERS: &[Role] = &[Dpo, IgLead, Siro, CaldicottGuardian, Auditor];
/// Who keeps the information risk register: the DPO, the IG lead and the SIRO.
const RISK_KEEPERS: &[Role] = &[Dpo, IgLead, Siro];

static INCIDENT: Declaration = Declaration {
    code: "incident",
    label: "incident",
    table: "incidents",
    // Names of the people affected, what happened to them.
    personal_data: true,
    list: INCIDENT_READERS,
    // Any signed-in user can report (the auditor only reads).
    create: WRITERS,
    read: INCIDENT_READERS,
    change: INCIDENT_HANDLERS,
    comment: &[Dpo, IgLead, Siro, CaldicottGuardian],
    attach: INCIDENT_HANDLERS,
    // Every breach is kept whether or not it is notified (UK GDPR Art 33(5)).
    delete: &[],
    advise: &[],
    configure: &[],
    relation: None,
};

/// Publishing an incident's anonymised lesson to the cluster: the DPO's decision. The same
/// table as the incident, so the same record and organisation.
static INCIDENT_LESSON: Declaration = Declaration {
    code: "incident_lesson",
    label: "incident lesson",
    table: "incidents",
    personal_data: true,
    list: INCIDENT_READERS,
    create: &[Dpo],
    read: INCIDENT_READERS,
    change: &[Dpo],
    comment: &[Dpo],
    attach: &[],
    delete: &[],
    advise: &[],
    configure: &[],
    relation: None,
};

static RISK: Declaration = Declaration {
    code: "risk",
    label: "information risk",
    table: "risks",
    personal_data: false,
    list: READERS,
    create: RISK_KEEPERS,
    read: READERS,
    change: RISK_KEEPERS,
    comment: &[Dpo, IgLead, Siro, CaldicottGuardian],
    attach: RISK_KEEPERS,
    delete: &[],
    advise: &[],
    // The risk appetite is the SIRO's (and the DPO's) to set.
    configure: &[Dpo, Siro],
    relation: None,
};

/// The quarterly cluster update, held by the DPO's organisation.
static CLUSTER_UPDATE: Declaration = Declaration {
    code: "cluster_update",
    label: "quarterly cluster update",
    table: "cluster_updates",
    personal_data: false,
    list: &[Dpo, Auditor],
    create: &[Dpo],
    read: &[Dpo, Auditor],
    change: &[Dpo],
    comment: &[Dpo],
    attach: &[Dpo],
    delete: &[Dpo],
    advise: &[],
    configure: &[],
    relation: None,
};

/// Screening a project for a DPIA: anyone who writes may screen; everyone who reads sees them.
static DPIA_SCREENING: Declaration = Declaration {
    code: "dpia_screening",
    label: "DPIA screening",
    table: "dpia_screenings",
    // Answers describe a project, not people.
    personal_data: false,
    list: READERS,
    create: WRITERS,
    read: READERS,
    change: WRITERS,
    comment: WRITERS,
    attach: WRITERS,
    delete: &[],
    advise: &[],
    configure: &[],
    relation: None,
};

/// A data protection impact assessment: every writer may draft one; the DPO advises on it
/// (UK GDPR Art 35(2), Art 39(1)(c)); it is kept, never deleted (Art 5(2) accountability).
static DPIA: Declaration = Declaration {
    code: "dpia",
    label: "DPIA",
    table: "dpias",
    // A DPIA describes processing; it may name staff and partners, not patients.
    personal_data: false,
    list: READERS,
    create: WRITERS,
    read: READERS,
    change: WRITERS,
    comment: WRITERS,
    attach: WRITERS,
    delete: &[],
    advise: &[Dpo],
    configure: &[],
    relation: None,
};

/// Signing a DPIA off: sending it back for changes, approving or rejecting it. The seeds'
/// sign-off names the IG group (measures), the board or SIRO (residual risks) and the DPO;
/// in a practice: the IG lead, the SIRO, the Caldicott Guardian and the DPO. The same table
/// as the DPIA, so the same record and organisation.
static DPIA_SIGN_OFF: Declaration = Declaration {
    code: "dpia_sign_off",
    label: "DPIA sign-off",
    table: "dpias",
    personal_data: false,
    list: READERS,
    create: &[],
    read: READERS,
    change: &[Dpo, IgLead, Siro, CaldicottGuardian],
    comment: &[Dpo, IgLead, Siro, CaldicottGuardian],
    attach: &[],
    delete: &[],
    advise: &[],
    configure: &[],
    relation: None,
};

/// A cluster DPIA offered to a practice: the DPO writes the DPIA once for the cluster and
/// offers its approved version; the practice reads it as approved and records its own
/// sign-off (those who sign off a practice's DPIA), or declines it with the reason.
static DPIA_ADOPTION: Declaration = Declaration {
    code: "dpia_adoption",
    label: "cluster DPIA",
    table: "dpia_adoptions",
    personal_data: false,
    list: READERS,
    create: &[Dpo],
    read: READERS,
    change: &[Dpo, IgLead, Siro, CaldicottGuardian],
    comment: &[],
    attach: &[],
    delete: &[],
    advise: &[],
    configure: &[],
    relation: None,
};

/// The DPO's compliance audit of a practice: the DPO runs it; the practice's IG lead, SIRO
/// and Caldicott Guardian read and discuss it; its findings become the practice's actions.
static COMPLIANCE_AUDIT: Declaration = Declaration {
    code: "compliance_audit",
    label: "compliance audit",
    table: "compliance_audits",
    personal_data: false,
    list: &[Dpo, IgLead, Siro, CaldicottGuardian, Auditor],
    create: &[Dpo],
    read: &[Dpo, IgLead, Siro, CaldicottGuardian, Auditor],
    change: &[Dpo],
    comment: &[Dpo, IgLead, Siro, CaldicottGuardian],
    attach: &[Dpo, IgLead],
    delete: &[],
    advise: &[],
    configure: &[],
    relation: None,
};

/// An action round, held by the DPO's organisation: the DPO sends it; each practice works
/// on its own actions (foundation actions), not on the round.
static ACTION_ROUND: Declaration = Declaration {
    code: "action_round",
    label: "action round",
    table: "action_rounds",
    personal_data: false,
    list: &[Dpo, Auditor],
    create: &[Dpo],
    read: &[Dpo, Auditor],
    change: &[Dpo],
    comment: &[Dpo],
    attach: &[Dpo],
    delete: &[],
    advise: &[],
    configure: &[],
    relation: None,
};

/// Who keeps a practice's compliance records (training, policies, records management,
/// toolkit evidence): the IG lead (the practice manager) and the DPO (issue 14).
const COMPLIANCE_KEEPERS: &[Role] = &[Dpo, IgLead];
/// Who reads compliance records about people (training, destruction): those who keep them,
/// the SIRO and Caldicott Guardian they report to, and the auditor.
const COMPLIANCE_READERS: &[Role] = &[Dpo, IgLead, Siro, CaldicottGuardian, Auditor];
const COMPLIANCE_DISCUSSANTS: &[Role] = &[Dpo, IgLead, Siro, CaldicottGuardian];

/// One course completed by one member of staff, with its certificate.
static TRAINING_RECORD: Declaration = Declaration {
    code: "training_record",
    label: "training record",
    table: "training_records",
    // Who was trained, when: about a member of staff.
    personal_data: true,
    list: COMPLIANCE_READERS,
    create: COMPLIANCE_KEEPERS,
    read: COMPLIANCE_READERS,
    change: COMPLIANCE_KEEPERS,
    comment: COMPLIANCE_DISCUSSANTS,
    attach: COMPLIANCE_KEEPERS,
    // Training evidence is kept for the toolkit.
    delete: &[],
    advise: &[],
    configure: &[],
    relation: None,
};

/// A policy, protocol or agreement (the DPO's cluster library or a practice's), with versions.
static POLICY: Declaration = Declaration {
    code: "policy",
    label: "policy or agreement",
    table: "policies",
    personal_data: false,
    // Everyone reads the policies that apply to them.
    list: READERS,
    create: COMPLIANCE_KEEPERS,
    read: READERS,
    change: COMPLIANCE_KEEPERS,
    comment: COMPLIANCE_DISCUSSANTS,
    attach: COMPLIANCE_KEEPERS,
    delete: &[],
    advise: &[],
    configure: &[],
    relation: None,
};

/// Acknowledging (or signing) the current version of a policy: every member of staff, for
/// themselves. The same table as the policy, so the same record and organisation.
static POLICY_ACKNOWLEDGEMENT: Declaration = Declaration {
    code: "policy_acknowledgement",
    label: "policy acknowledgement",
    table: "policies",
    personal_data: false,
    list: READERS,
    create: &[],
    read: READERS,
    change: WRITERS,
    comment: &[],
    attach: &[],
    delete: &[],
    advise: &[],
    configure: &[],
    relation: None,
};

/// A periodic records management review, run as a round of actions.
static RETENTION_REVIEW: Declaration = Declaration {
    code: "retention_review",
    label: "records management review",
    table: "retention_reviews",
    personal_data: false,
    list: READERS,
    create: COMPLIANCE_KEEPERS,
    read: READERS,
    change: COMPLIANCE_KEEPERS,
    comment: COMPLIANCE_DISCUSSANTS,
    attach: COMPLIANCE_KEEPERS,
    delete: &[],
    advise: &[],
    configure: &[],
    relation: None,
};

/// An entry of the destruction log, with its certificate of destruction attached.
static DESTRUCTION: Declaration = Declaration {
    code: "destruction",
    label: "destruction record",
    table: "destructions",
    // The description may name whose records were destroyed.
    personal_data: true,
    list: COMPLIANCE_READERS,
    create: COMPLIANCE_KEEPERS,
    read: COMPLIANCE_READERS,
    change: COMPLIANCE_KEEPERS,
    comment: COMPLIANCE_DISCUSSANTS,
    attach: COMPLIANCE_KEEPERS,
    // The log is the evidence of lawful destruction: kept.
    delete: &[],
    advise: &[],
    configure: &[],
    relation: None,
};

/// A practice's evidence for one toolkit assertion (a note, an upload, the IG lead's
/// confirmation); linked evidence is computed from the other registers.
static TOOLKIT_EVIDENCE: Declaration = Declaration {
    code: "toolkit_evidence",
    label: "toolkit evidence",
    table: "toolkit_evidence",
    personal_data: false,
    list: COMPLIANCE_READERS,
    create: COMPLIANCE_KEEPERS,
    read: COMPLIANCE_READERS,
    change: COMPLIANCE_KEEPERS,
    comment: COMPLIANCE_DISCUSSANTS,
    attach: COMPLIANCE_KEEPERS,
    delete: &[],
    advise: &[],
    configure: &[],
    relation: None,
};

/// The business continuity plan: the systems it depends on, its tests, supplier assurance.
static CONTINUITY_PLAN: Declaration = Declaration {
    code: "continuity_plan",
    label: "business continuity plan",
    table: "continuity_plans",
    personal_data: false,
    // Everyone needs to know what to do when a system fails.
    list: READERS,
    create: RISK_KEEPERS,
    read: READERS,
    change: RISK_KEEPERS,
    comment: COMPLIANCE_DISCUSSANTS,
    attach: RISK_KEEPERS,
    delete: &[],
    advise: &[],
    configure: &[],
    relation: None,
};

/// The register of processing beyond individual care, and whether the national data opt-out
/// applies to each.
static NON_DIRECT_CARE_PROCESSING: Declaration = Declaration {
    code: "non_direct_care_processing",
    label: "processing beyond individual care",
    table: "optout_register",
    personal_data: false,
    list: COMPLIANCE_READERS,
    create: COMPLIANCE_KEEPERS,
    read: COMPLIANCE_READERS,
    change: COMPLIANCE_KEEPERS,
    comment: COMPLIANCE_DISCUSSANTS,
    attach: COMPLIANCE_KEEPERS,
    delete: &[],
    advise: &[],
    configure: &[],
    relation: None,
};

/// Who keeps the registers (issue 12): the DPO, the IG lead (practice manager) and the SIRO.
/// Everyone else reads them; none of them is deleted (an activity a practice stops is
/// removed from its log with its history kept).
const REGISTER_KEEPERS: &[Role] = &[Dpo, IgLead, Siro];

const fn register(code: &'static str, label: &'static str, table: &'static str) -> Declaration {
    Declaration {
        code,
        label,
        table,
        // Registers describe processing; they hold staff names at most.
        personal_data: false,
        list: READERS,
        create: REGISTER_KEEPERS,
        read: READERS,
        change: REGISTER_KEEPERS,
        comment: &[Dpo, IgLead, Siro, CaldicottGuardian],
        attach: REGISTER_KEEPERS,
        delete: &[],
        advise: &[],
        configure: &[],
        relation: None,
    }
}

/// Held by the DPO's own organisation for the whole cluster (like the quarterly update):
/// the DPO keeps it; practices see it through their own registers.
const fn cluster_register(
    code: &'static str,
    label: &'static str,
    table: &'static str,
) -> Declaration {
    Declaration {
        code,
        label,
        table,
        personal_data: false,
        list: &[Dpo, Auditor],
        create: &[Dpo],
        read: &[Dpo, Auditor],
        change: &[Dpo],
        comment: &[Dpo],
        attach: &[Dpo],
        delete: &[],
        advise: &[],
        configure: &[],
        relation: None,
    }
}

static PROCESSING_ACTIVITY: Declaration = register(
    "processing_activity",
    "processing activity",
    "processing_activities",
);
static ACTIVITY_TEMPLATE: Declaration = cluster_register(
    "activity_template",
    "master log activity",
    "activity_templates",
);
static INFORMATION_ASSET: Declaration = register(
    "information_asset",
    "information asset",
    "information_assets",
);
static SHARING_PARTNER: Declaration =
    register("sharing_partner", "sharing partner", "sharing_partners");
static SHARING_AGREEMENT: Declaration = register(
    "sharing_agreement",
    "sharing agreement",
    "sharing_agreements",
);
static PROCESSOR: Declaration = register("processor", "processor", "processors");
static SHARING_PROJECT: Declaration =
    cluster_register("sharing_project", "sharing project", "sharing_projects");
static PRIVACY_NOTICE: Declaration =
    register("privacy_notice", "privacy notice", "privacy_notices");

/// One name of the organisation's staff list (uploaded as CSV by the IG lead): a redaction
/// run keeps staff names. Its "configure" right also covers the organisation's own details
/// (name, address, telephone numbers, e-mail), kept in redaction the same way: the IG lead
/// and the DPO keep both. Everyone who reads records sees them (they are the practice's own
/// letterhead and who works there); replacing the list deletes the old names.
static STAFF_LIST_ENTRY: Declaration = Declaration {
    code: "staff_list_entry",
    label: "staff list entry",
    table: "staff_list",
    // A member of staff's name and job title: not personal data of patients, and known to
    // everyone who works there.
    personal_data: false,
    list: READERS,
    create: &[Dpo, IgLead],
    read: READERS,
    change: &[Dpo, IgLead],
    comment: &[],
    attach: &[],
    delete: &[Dpo, IgLead],
    advise: &[],
    configure: &[Dpo, IgLead],
    relation: None,
};

impl Kind {
    pub const ALL: [Kind; 32] = [
        Kind::Action,
        Kind::RightsRequest,
        Kind::AccessAuditRun,
        Kind::AccessAuditCase,
        Kind::AccessAuditSample,
        Kind::Incident,
        Kind::IncidentLesson,
        Kind::Risk,
        Kind::ClusterUpdate,
        Kind::DpiaScreening,
        Kind::Dpia,
        Kind::DpiaSignOff,
        Kind::DpiaAdoption,
        Kind::ComplianceAudit,
        Kind::ActionRound,
        Kind::TrainingRecord,
        Kind::Policy,
        Kind::PolicyAcknowledgement,
        Kind::RetentionReview,
        Kind::Destruction,
        Kind::ToolkitEvidence,
        Kind::ContinuityPlan,
        Kind::NonDirectCareProcessing,
        Kind::ProcessingActivity,
        Kind::ActivityTemplate,
        Kind::InformationAsset,
        Kind::SharingPartner,
        Kind::SharingAgreement,
        Kind::Processor,
        Kind::SharingProject,
        Kind::PrivacyNotice,
        Kind::StaffListEntry,
    ];

    /// The one policy table. Exhaustive: a kind without a declaration does not compile.
    pub fn declaration(self) -> &'static Declaration {
        match self {
            Kind::Action => &ACTION,
            Kind::RightsRequest => &RIGHTS_REQUEST,
            Kind::AccessAuditRun => &ACCESS_AUDIT_RUN,
            Kind::AccessAuditCase => &ACCESS_AUDIT_CASE,
            Kind::AccessAuditSample => &ACCESS_AUDIT_SAMPLE,
            Kind::Incident => &INCIDENT,
            Kind::IncidentLesson => &INCIDENT_LESSON,
            Kind::Risk => &RISK,
            Kind::ClusterUpdate => &CLUSTER_UPDATE,
            Kind::DpiaScreening => &DPIA_SCREENING,
            Kind::Dpia => &DPIA,
            Kind::DpiaSignOff => &DPIA_SIGN_OFF,
            Kind::DpiaAdoption => &DPIA_ADOPTION,
            Kind::ComplianceAudit => &COMPLIANCE_AUDIT,
            Kind::ActionRound => &ACTION_ROUND,
            Kind::TrainingRecord => &TRAINING_RECORD,
            Kind::Policy => &POLICY,
            Kind::PolicyAcknowledgement => &POLICY_ACKNOWLEDGEMENT,
            Kind::RetentionReview => &RETENTION_REVIEW,
            Kind::Destruction => &DESTRUCTION,
            Kind::ToolkitEvidence => &TOOLKIT_EVIDENCE,
            Kind::ContinuityPlan => &CONTINUITY_PLAN,
            Kind::NonDirectCareProcessing => &NON_DIRECT_CARE_PROCESSING,
            Kind::ProcessingActivity => &PROCESSING_ACTIVITY,
            Kind::ActivityTemplate => &ACTIVITY_TEMPLATE,
            Kind::InformationAsset => &INFORMATION_ASSET,
            Kind::SharingPartner => &SHARING_PARTNER,
            Kind::SharingAgreement => &SHARING_AGREEMENT,
            Kind::Processor => &PROCESSOR,
            Kind::SharingProject => &SHARING_PROJECT,
            Kind::PrivacyNotice => &PRIVACY_NOTICE,
            Kind::StaffListEntry => &STAFF_LIST_ENTRY,
        }
    }

    pub fn code(self) -> &'static str {
        self.declaration().code
    }

    pub fn label(self) -> &'static str {
        self.declaration().label
    }

    pub fn parse(code: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.code() == code)
    }

    /// The roles that may do `op` to this kind (before organisation and relation rules).
    pub fn roles(self, op: Op) -> &'static [Role] {
        let d = self.declaration();
        match op {
            Op::List => d.list,
            Op::Create => d.create,
            Op::Read => d.read,
            Op::Change => d.change,
            Op::Comment => d.comment,
            Op::Attach => d.attach,
            Op::Delete => d.delete,
            Op::Advise => d.advise,
            Op::Configure => d.configure,
        }
    }

    pub fn allows(self, role: Role, op: Op) -> bool {
        self.roles(op).contains(&role)
    }
}

/// Marker types: what a [`Permit`] allows, checked by the compiler.
pub trait OpKind: Send + Sync + 'static {
    const OP: Op;
}
macro_rules! op_kinds {
    ($($name:ident),*) => {$(
        #[derive(Debug, Clone, Copy)]
        pub struct $name;
        impl OpKind for $name {
            const OP: Op = Op::$name;
        }
    )*};
}
/// Marker types for the operations on one record.
pub mod ops {
    use super::{Op, OpKind};
    op_kinds!(Read, Change, Comment, Attach, Delete, Advise);
}

/// Proof that the caller may do `O` to one record. Only the gate makes one.
#[derive(Debug, Clone)]
pub struct Permit<O: OpKind> {
    kind: Kind,
    id: String,
    organisation_id: String,
    _op: PhantomData<O>,
}

impl<O: OpKind> Permit<O> {
    pub fn kind(&self) -> Kind {
        self.kind
    }
    pub fn id(&self) -> &str {
        &self.id
    }
    pub fn organisation_id(&self) -> &str {
        &self.organisation_id
    }
}

impl Permit<ops::Change> {
    /// Changing a record includes reading it (no second trail entry).
    pub fn as_read(&self) -> Permit<ops::Read> {
        Permit {
            kind: self.kind,
            id: self.id.clone(),
            organisation_id: self.organisation_id.clone(),
            _op: PhantomData,
        }
    }
}

/// Proof that the caller may list, or create, records of a kind in one organisation.
#[derive(Debug, Clone)]
pub struct OrgPermit {
    kind: Kind,
    op: Op,
    organisation_id: String,
}

impl OrgPermit {
    pub fn kind(&self) -> Kind {
        self.kind
    }
    pub fn op(&self) -> Op {
        self.op
    }
    pub fn organisation_id(&self) -> &str {
        &self.organisation_id
    }
}

/// The organisation filter of a list that asks for every organisation the caller sees.
pub const ALL_ORGANISATIONS: &str = "all";

/// The decision without storage: organisation, then role. `about` is the name of the
/// person a record is about, where the kind has that relation.
pub fn decide(
    caller: &Caller,
    kind: Kind,
    op: Op,
    organisation_id: &str,
    about: Option<&str>,
) -> CoreResult<()> {
    if !caller.role.can_read_records() {
        // The system administrator reads no records, whichever organisation they are in.
        return Err(CoreError::Forbidden);
    }
    if !caller.can_see_organisation(organisation_id) {
        return Err(CoreError::NotFound);
    }
    if !kind.allows(caller.role, op) {
        return Err(CoreError::Forbidden);
    }
    if let (Some(Relation::NotAboutCaller { .. }), Some(name)) =
        (kind.declaration().relation, about)
    {
        if same_person(name, &caller.display_name) {
            return Err(CoreError::Forbidden);
        }
    }
    Ok(())
}

/// Reading a kind across the whole cluster (the DPO's cluster reports).
pub fn decide_cluster(caller: &Caller, kind: Kind) -> CoreResult<()> {
    if caller.role.cluster_wide() && kind.allows(caller.role, Op::List) {
        Ok(())
    } else {
        Err(CoreError::Forbidden)
    }
}

impl Seen {
    /// [`decide`] on what was read of the record.
    fn decide(&self, caller: &Caller, kind: Kind, op: Op) -> CoreResult<()> {
        decide(
            caller,
            kind,
            op,
            &self.organisation_id,
            self.about.as_deref(),
        )
    }
}

fn same_person(a: &str, b: &str) -> bool {
    let norm = |s: &str| {
        s.split_whitespace()
            .map(|w| w.to_lowercase())
            .collect::<Vec<_>>()
            .join(" ")
    };
    !a.trim().is_empty() && norm(a) == norm(b)
}

impl Steward {
    /// The one decision for one record: loads its organisation (and, where the kind has
    /// one, the person it is about), decides, and for reads of personal data appends the
    /// view to the trail.
    pub async fn permit<O: OpKind>(
        &self,
        caller: &Caller,
        kind: Kind,
        id: &str,
    ) -> CoreResult<Permit<O>> {
        self.decide_record(caller, kind, id, true).await
    }

    /// A read permit for a caller whose read is recorded under a more specific event
    /// (an attachment download, an export): the same decision, no separate view entry.
    pub async fn permit_quiet(
        &self,
        caller: &Caller,
        code: &str,
        id: &str,
    ) -> CoreResult<Permit<ops::Read>> {
        let kind = Kind::parse(code).ok_or(CoreError::NotFound)?;
        self.decide_record(caller, kind, id, false).await
    }

    async fn decide_record<O: OpKind>(
        &self,
        caller: &Caller,
        kind: Kind,
        id: &str,
        record_view: bool,
    ) -> CoreResult<Permit<O>> {
        let organisation_id = self.check(caller, kind, O::OP, id).await?;
        let d = kind.declaration();
        if record_view
            && O::OP == Op::Read
            && d.personal_data
            && caller.user_id != crate::context::SYSTEM_USER_ID
        {
            self.trail_standalone(TrailEntry::for_record(
                caller,
                "record.view",
                &organisation_id,
                d.code,
                id,
            ))
            .await?;
        }
        Ok(Permit {
            kind,
            id: id.to_string(),
            organisation_id,
            _op: PhantomData,
        })
    }

    /// The decision alone, with nothing written: the record's organisation when allowed.
    /// Services use [`Steward::permit`], which calls it.
    pub async fn check(&self, caller: &Caller, kind: Kind, op: Op, id: &str) -> CoreResult<String> {
        let seen = match caller.looked_up.take(kind.code(), id) {
            Some(seen) => seen,
            None => self.look_up(kind, id).await?,
        };
        seen.decide(caller, kind, op)?;
        Ok(seen.organisation_id)
    }

    /// The web layer's route guard, before a handler runs: the same decision, and the record
    /// it read is kept for the handler's own permit on that record, so that one request
    /// reads it once (the decision itself is made again).
    pub async fn check_route(
        &self,
        caller: &Caller,
        kind: Kind,
        op: Op,
        id: &str,
    ) -> CoreResult<()> {
        let seen = self.look_up(kind, id).await?;
        seen.decide(caller, kind, op)?;
        caller.looked_up.keep(seen);
        Ok(())
    }

    /// A record's organisation and, where the kind has one, the person it is about.
    async fn look_up(&self, kind: Kind, id: &str) -> CoreResult<Seen> {
        let d = kind.declaration();
        let about_column = match d.relation {
            Some(Relation::NotAboutCaller { name_column }) => name_column,
            None => "NULL",
        };
        let sql = format!(
            "SELECT organisation_id, {about_column} AS about FROM {} WHERE id = $1",
            d.table
        );
        let row = steward_db::query(&sql)
            .bind(id)
            .fetch_optional(&self.db.pool)
            .await?
            .ok_or(CoreError::NotFound)?;
        Ok(Seen {
            kind: d.code,
            id: id.to_string(),
            organisation_id: row.try_get("organisation_id")?,
            about: row.try_get("about").ok().flatten(),
        })
    }

    /// The same decision by the record's type code, as the generic endpoints name it.
    pub async fn permit_code<O: OpKind>(
        &self,
        caller: &Caller,
        code: &str,
        id: &str,
    ) -> CoreResult<Permit<O>> {
        let kind = Kind::parse(code).ok_or(CoreError::NotFound)?;
        self.permit(caller, kind, id).await
    }

    /// Listing a kind in the organisations a list's organisation filter names: `""` the
    /// caller's current organisation, `"all"` every organisation the caller sees (the DPO's
    /// cluster view, without switching), or one organisation's id. Each organisation goes
    /// through the gate on its own ([`decide`]); in the cluster view an organisation where
    /// the role may not list the kind is left out, otherwise a refusal is the answer.
    pub fn permit_lists(
        &self,
        caller: &Caller,
        kind: Kind,
        filter: &str,
    ) -> CoreResult<Vec<OrgPermit>> {
        let filter = filter.trim();
        if filter != ALL_ORGANISATIONS {
            let org = if filter.is_empty() {
                caller.current_organisation_id.as_str()
            } else {
                filter
            };
            return Ok(vec![self.permit_in(caller, kind, Op::List, org)?]);
        }
        let permits: Vec<OrgPermit> = caller
            .visible_organisation_ids
            .iter()
            .filter_map(|org| self.permit_in(caller, kind, Op::List, org).ok())
            .collect();
        if permits.is_empty() {
            // Nothing listable anywhere: the same answer as for the current organisation.
            return self
                .permit_in(caller, kind, Op::List, &caller.current_organisation_id)
                .map(|p| vec![p]);
        }
        Ok(permits)
    }

    /// Records a list read on the trail as a one-organisation list is: one entry for each
    /// organisation the list covered.
    pub async fn trail_lists(
        &self,
        caller: &Caller,
        permits: &[OrgPermit],
        detail: &str,
    ) -> CoreResult<()> {
        for p in permits {
            self.trail_standalone(TrailEntry {
                organisation_id: Some(p.organisation_id.clone()),
                record_type: Some(p.kind.code().into()),
                detail: detail.to_string(),
                ..TrailEntry::for_caller(caller, "record.list")
            })
            .await?;
        }
        Ok(())
    }

    /// Listing or creating records of a kind in one organisation.
    pub fn permit_in(
        &self,
        caller: &Caller,
        kind: Kind,
        op: Op,
        organisation_id: &str,
    ) -> CoreResult<OrgPermit> {
        debug_assert!(matches!(op, Op::List | Op::Create | Op::Configure));
        decide(caller, kind, op, organisation_id, None)?;
        Ok(OrgPermit {
            kind,
            op,
            organisation_id: organisation_id.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(role: Role, org: &str) -> Caller {
        Caller {
            user_id: "u".into(),
            email: "u@example.test".into(),
            display_name: "Pat Example".into(),
            role,
            home_organisation_id: org.into(),
            cluster_id: "c".into(),
            current_organisation_id: org.into(),
            visible_organisation_ids: vec![org.into()],
            address: "test".into(),
            looked_up: Default::default(),
        }
    }

    #[test]
    fn codes_are_unique_and_parse_back() {
        for k in Kind::ALL {
            assert_eq!(Kind::parse(k.code()), Some(k));
        }
        let mut codes: Vec<_> = Kind::ALL.iter().map(|k| k.code()).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), Kind::ALL.len());
    }

    #[test]
    fn organisation_before_role() {
        let c = caller(Role::Staff, "a");
        assert!(matches!(
            decide(&c, Kind::AccessAuditCase, Op::Read, "b", None),
            Err(CoreError::NotFound)
        ));
        assert!(matches!(
            decide(&c, Kind::AccessAuditCase, Op::Read, "a", None),
            Err(CoreError::Forbidden)
        ));
        assert!(decide(&c, Kind::RightsRequest, Op::Read, "a", None).is_ok());
        let admin = caller(Role::SystemAdministrator, "a");
        for k in Kind::ALL {
            assert!(decide(&admin, k, Op::Read, "a", None).is_err());
        }
    }

    #[test]
    fn a_case_is_never_shown_to_the_person_it_is_about() {
        let c = caller(Role::IgLead, "a");
        assert!(decide(
            &c,
            Kind::AccessAuditCase,
            Op::Read,
            "a",
            Some("Someone Else")
        )
        .is_ok());
        assert!(matches!(
            decide(
                &c,
                Kind::AccessAuditCase,
                Op::Read,
                "a",
                Some(" pat  EXAMPLE")
            ),
            Err(CoreError::Forbidden)
        ));
    }

    #[test]
    fn the_auditor_only_reads() {
        for k in Kind::ALL {
            for op in [
                Op::Create,
                Op::Change,
                Op::Comment,
                Op::Attach,
                Op::Delete,
                Op::Advise,
                Op::Configure,
            ] {
                assert!(!k.allows(Role::Auditor, op), "{k:?} {op:?}");
            }
        }
    }
}
