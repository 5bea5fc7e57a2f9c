//! The checklist of steps per request type, kept as data (`data/checklist.toml`), separating the
//! admin steps from the clinician's review (seed 003: "the SAR checklist has been updated to
//! separate the admin activities from the GP clinical input").

use std::collections::BTreeSet;
use std::path::Path;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::request::{ProxyKind, RequestType, Requester, RightsRequest};

/// The shipped checklist.
pub const EMBEDDED_CHECKLIST_TOML: &str = include_str!("../data/checklist.toml");

/// Who does a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepRole {
    /// Practice staff (IG lead, practice manager, SAR administrator).
    Admin,
    /// The clinician's review (serious harm test, other providers, Sch 4 information).
    Clinician,
}

/// Which requesters a step is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequesterFilter {
    DataSubject,
    AnyProxy,
    Solicitor,
    ParentForChild,
    Attorney,
    Insurer,
}

impl RequesterFilter {
    fn matches(self, requester: &Requester) -> bool {
        matches!(
            (self, requester.proxy_kind()),
            (RequesterFilter::DataSubject, None)
                | (RequesterFilter::AnyProxy, Some(_))
                | (RequesterFilter::Solicitor, Some(ProxyKind::Solicitor))
                | (
                    RequesterFilter::ParentForChild,
                    Some(ProxyKind::ParentForChild)
                )
                | (RequesterFilter::Attorney, Some(ProxyKind::Attorney))
                | (RequesterFilter::Insurer, Some(ProxyKind::Insurer))
        )
    }
}

/// One step of the checklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChecklistStep {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub guidance: Option<String>,
    pub role: StepRole,
    pub applies_to: Vec<RequestType>,
    /// When present, the step applies only to these requesters.
    #[serde(default)]
    pub requesters: Option<Vec<RequesterFilter>>,
    pub required: bool,
    #[serde(default)]
    pub reference: Option<String>,
}

impl ChecklistStep {
    /// Whether the step applies to a request of this type from this requester.
    pub fn applies(&self, request_type: RequestType, requester: &Requester) -> bool {
        self.applies_to.contains(&request_type)
            && self
                .requesters
                .as_ref()
                .is_none_or(|filters| filters.iter().any(|f| f.matches(requester)))
    }
}

/// A step marked done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompletedStep {
    pub step_id: String,
    pub completed_on: NaiveDate,
    /// Who did it.
    pub by: String,
    #[serde(default)]
    pub note: Option<String>,
}

/// Why a checklist file was refused.
#[derive(Debug, thiserror::Error)]
pub enum ChecklistError {
    #[error("could not read the checklist file {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the checklist file is not valid: {0}")]
    Parse(#[from] toml::de::Error),
    #[error("the checklist has no steps")]
    NoSteps,
    #[error("step id `{id}` must be non-empty snake_case (a-z, 0-9, _)")]
    BadId { id: String },
    #[error("step id `{id}` is used twice")]
    DuplicateId { id: String },
    #[error("step `{id}` has no title")]
    NoTitle { id: String },
    #[error("step `{id}` applies to no request type")]
    NoRequestTypes { id: String },
    #[error("step `{id}` lists no requesters (leave `requesters` out to apply to all)")]
    NoRequesters { id: String },
    #[error("no required step for {request_type:?} requests")]
    NoRequiredStep { request_type: RequestType },
}

/// The checklist: steps in the order they are shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checklist {
    /// Where the steps come from, shown in the interface.
    pub source: String,
    pub steps: Vec<ChecklistStep>,
}

impl Checklist {
    /// The shipped checklist (`data/checklist.toml`).
    pub fn embedded() -> Self {
        Self::from_toml_str(EMBEDDED_CHECKLIST_TOML)
            .expect("the shipped checklist is valid (checked by the crate's tests)")
    }

    /// Loads an organisation's own checklist file.
    pub fn from_path(path: impl AsRef<Path>) -> Result<Self, ChecklistError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| ChecklistError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_toml_str(&text)
    }

    /// Parses and validates a checklist.
    pub fn from_toml_str(text: &str) -> Result<Self, ChecklistError> {
        let checklist: Checklist = toml::from_str(text)?;
        checklist.validate()?;
        Ok(checklist)
    }

    /// Ids unique and snake_case, titles present, every step for some request type, and at
    /// least one required step for every request type.
    pub fn validate(&self) -> Result<(), ChecklistError> {
        if self.steps.is_empty() {
            return Err(ChecklistError::NoSteps);
        }
        let mut ids = BTreeSet::new();
        for step in &self.steps {
            let id = step.id.clone();
            let snake = !id.is_empty()
                && id
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !snake {
                return Err(ChecklistError::BadId { id });
            }
            if !ids.insert(id.clone()) {
                return Err(ChecklistError::DuplicateId { id });
            }
            if step.title.trim().is_empty() {
                return Err(ChecklistError::NoTitle { id });
            }
            if step.applies_to.is_empty() {
                return Err(ChecklistError::NoRequestTypes { id });
            }
            if step.requesters.as_ref().is_some_and(Vec::is_empty) {
                return Err(ChecklistError::NoRequesters { id });
            }
        }
        for request_type in RequestType::ALL {
            if !self
                .steps
                .iter()
                .any(|s| s.required && s.applies_to.contains(&request_type))
            {
                return Err(ChecklistError::NoRequiredStep { request_type });
            }
        }
        Ok(())
    }

    /// The step with this id.
    pub fn step(&self, id: &str) -> Option<&ChecklistStep> {
        self.steps.iter().find(|s| s.id == id)
    }

    /// The steps for a request of this type from this requester, in order.
    pub fn steps_for(
        &self,
        request_type: RequestType,
        requester: &Requester,
    ) -> Vec<&ChecklistStep> {
        self.steps
            .iter()
            .filter(|s| s.applies(request_type, requester))
            .collect()
    }

    /// The same steps, for one role (the admin list or the clinician's review).
    pub fn steps_for_role(
        &self,
        request_type: RequestType,
        requester: &Requester,
        role: StepRole,
    ) -> Vec<&ChecklistStep> {
        self.steps_for(request_type, requester)
            .into_iter()
            .filter(|s| s.role == role)
            .collect()
    }

    /// The required steps of this request not yet done: the request should not be completed
    /// while this is non-empty.
    pub fn outstanding(
        &self,
        request: &RightsRequest,
        done: &[CompletedStep],
    ) -> Vec<&ChecklistStep> {
        self.steps_for(request.request_type(), &request.requester)
            .into_iter()
            .filter(|s| s.required && !done.iter().any(|d| d.step_id == s.id))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{Clock, ClockSettings};
    use crate::identity::PatientIdentity;
    use crate::request::{Channel, Proxy, RequestDetails, RequestStatus};

    fn request(details: RequestDetails, requester: Requester) -> RightsRequest {
        RightsRequest {
            reference: "SAR-1".into(),
            details,
            channel: Channel::Letter,
            subject: PatientIdentity::default(),
            requester,
            status: RequestStatus::InProgress,
            clock: Clock::new(
                NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(),
                ClockSettings::default(),
            ),
        }
    }

    fn solicitor() -> Requester {
        Requester::Proxy(Proxy {
            kind: ProxyKind::Solicitor,
            name: "A Brief".into(),
            organisation: Some("Brief & Co".into()),
            evidence: None,
        })
    }

    fn access() -> RequestDetails {
        RequestDetails::Access {
            scope: Default::default(),
        }
    }

    fn done(ids: &[&str]) -> Vec<CompletedStep> {
        ids.iter()
            .map(|id| CompletedStep {
                step_id: id.to_string(),
                completed_on: NaiveDate::from_ymd_opt(2026, 3, 3).unwrap(),
                by: "IG lead".into(),
                note: None,
            })
            .collect()
    }

    #[test]
    fn shipped_checklist_is_valid_and_separates_roles() {
        let c = Checklist::embedded();
        let clinician: Vec<_> = c
            .steps_for_role(
                RequestType::Access,
                &Requester::DataSubject,
                StepRole::Clinician,
            )
            .iter()
            .map(|s| s.id.as_str())
            .collect();
        assert!(clinician.contains(&"clinician_serious_harm_test"));
        assert!(clinician.contains(&"clinician_other_providers"));
        assert!(clinician.contains(&"clinician_prohibited_information"));
        let harm = c.step("clinician_serious_harm_test").unwrap();
        assert_eq!(
            harm.reference.as_deref(),
            Some("Data Protection Act 2018 Schedule 3 Part 2 paragraph 5")
        );
        assert!(harm.guidance.as_deref().unwrap().contains("six months"));
        assert_eq!(
            c.step("clinician_prohibited_information")
                .unwrap()
                .reference
                .as_deref(),
            Some("Data Protection Act 2018 Schedule 4")
        );
        let admin = c.steps_for_role(
            RequestType::Access,
            &Requester::DataSubject,
            StepRole::Admin,
        );
        assert!(admin.iter().all(|s| s.role == StepRole::Admin));
        assert!(!admin.is_empty());
    }

    #[test]
    fn solicitor_request_needs_the_patient_call() {
        let c = Checklist::embedded();
        let own = request(access(), Requester::DataSubject);
        let by_solicitor = request(access(), solicitor());
        let ids = |r: &RightsRequest| {
            c.outstanding(r, &[])
                .iter()
                .map(|s| s.id.clone())
                .collect::<Vec<_>>()
        };
        assert!(!ids(&own).contains(&"solicitor_patient_call".to_string()));
        assert!(!ids(&own).contains(&"verify_proxy_authority".to_string()));
        assert!(ids(&by_solicitor).contains(&"solicitor_patient_call".to_string()));
        assert!(ids(&by_solicitor).contains(&"verify_proxy_authority".to_string()));
        assert!(c
            .step("solicitor_patient_call")
            .unwrap()
            .title
            .contains("\"full record\""));
    }

    #[test]
    fn outstanding_shrinks_to_nothing() {
        let c = Checklist::embedded();
        let r = request(access(), solicitor());
        let all: Vec<_> = c
            .outstanding(&r, &[])
            .iter()
            .map(|s| s.id.clone())
            .collect();
        // Optional steps are never outstanding.
        assert!(!all.contains(&"consider_clarification".to_string()));
        let first_half: Vec<&str> = all.iter().take(3).map(String::as_str).collect();
        let left = c.outstanding(&r, &done(&first_half));
        assert_eq!(left.len(), all.len() - 3);
        let every: Vec<&str> = all.iter().map(String::as_str).collect();
        assert!(c.outstanding(&r, &done(&every)).is_empty());
    }

    #[test]
    fn other_rights_have_their_steps() {
        let c = Checklist::embedded();
        let rect = request(
            RequestDetails::Rectification {
                corrections: "Wrong allergy".into(),
                recipients: vec![],
            },
            Requester::DataSubject,
        );
        let ids: Vec<_> = c
            .outstanding(&rect, &[])
            .iter()
            .map(|s| s.id.as_str())
            .collect();
        assert!(ids.contains(&"notify_recipients"));
        assert!(ids.contains(&"clinician_accuracy_review"));
        assert!(!ids.contains(&"clinician_serious_harm_test"));
        let objection = request(
            RequestDetails::Objection {
                objection: crate::request::ObjectionKind::Type1OptOut,
            },
            Requester::DataSubject,
        );
        let ids: Vec<_> = c
            .outstanding(&objection, &[])
            .iter()
            .map(|s| s.id.as_str())
            .collect();
        assert!(ids.contains(&"record_opt_out"));
    }

    #[test]
    fn validation_errors() {
        let step = |id: &str, extra: &str| {
            format!(
                "[[steps]]\nid = \"{id}\"\ntitle = \"T\"\nrole = \"admin\"\n\
                 applies_to = [\"access\", \"rectification\", \"erasure\", \"restriction\", \"objection\"]\n\
                 required = true\n{extra}\n"
            )
        };
        let ok = format!("source = \"s\"\n{}", step("a", ""));
        Checklist::from_toml_str(&ok).unwrap();
        let dup = format!("source = \"s\"\n{}{}", step("a", ""), step("a", ""));
        assert!(matches!(
            Checklist::from_toml_str(&dup),
            Err(ChecklistError::DuplicateId { .. })
        ));
        let bad_id = format!("source = \"s\"\n{}", step("Bad Id", ""));
        assert!(matches!(
            Checklist::from_toml_str(&bad_id),
            Err(ChecklistError::BadId { .. })
        ));
        let no_requesters = format!("source = \"s\"\n{}", step("a", "requesters = []"));
        assert!(matches!(
            Checklist::from_toml_str(&no_requesters),
            Err(ChecklistError::NoRequesters { .. })
        ));
        let unknown_type = ok.replace("\"objection\"", "\"complaint\"");
        assert!(matches!(
            Checklist::from_toml_str(&unknown_type),
            Err(ChecklistError::Parse(_))
        ));
        let missing_type = ok.replace(", \"objection\"", "");
        assert!(matches!(
            Checklist::from_toml_str(&missing_type),
            Err(ChecklistError::NoRequiredStep {
                request_type: RequestType::Objection
            })
        ));
        let typo = format!("source = \"s\"\n{}", step("a", "requird = true"));
        assert!(matches!(
            Checklist::from_toml_str(&typo),
            Err(ChecklistError::Parse(_))
        ));
        assert!(matches!(
            Checklist::from_toml_str("source = \"s\"\nsteps = []"),
            Err(ChecklistError::NoSteps)
        ));
        assert!(matches!(
            Checklist::from_path("/nonexistent/checklist.toml"),
            Err(ChecklistError::Io { .. })
        ));
    }
}
