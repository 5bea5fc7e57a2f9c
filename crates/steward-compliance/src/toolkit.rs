//! Toolkit evidence over Steward's storage (feature `service`): each assertion of the data
//! file linked to the evidence Steward already holds (training percentage, policies and their
//! acknowledgements, incidents, risks, access audits, records management reviews, the
//! business continuity plan) or to an upload the IG lead confirms; the readiness view per
//! practice and for the cluster; the evidence pack as CSV.

use std::sync::Arc;

use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use steward_core::gate::{ops, Kind, Op, Permit};
use steward_core::time::{iso_date, now_stamp};
use steward_core::{Caller, CoreError, CoreResult, Steward};
use steward_db::{AnyRow, Row};

use crate::toolkit_rules::Evidence;
use crate::{count_words, rules, store, Rules};

pub const KIND: Kind = Kind::ToolkitEvidence;

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct EvidenceInput {
    /// The assertion's code, e.g. "10.1".
    #[schema(required, pattern = "\\S")]
    pub assertion: String,
    pub note: String,
    /// "yes" when the IG lead confirms the uploaded evidence meets the assertion.
    pub confirmed: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EvidenceRecord {
    pub id: String,
    pub organisation_id: String,
    pub assertion: String,
    pub note: String,
    pub confirmed: bool,
    pub attachments: i64,
    pub version: i64,
}

/// One assertion as a practice stands on it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReadinessItem {
    pub code: String,
    pub standard: String,
    pub text: String,
    pub reference: String,
    pub evidence: Evidence,
    /// Where the evidence comes from, in words.
    pub source: String,
    /// The figure, in words ("94% of 18 staff").
    pub figure: String,
    pub met: bool,
    /// The practice's evidence record for this assertion (note, uploads), if any.
    pub evidence_id: Option<String>,
    pub note: String,
    /// Where the linked evidence is seen.
    pub link: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Readiness {
    pub organisation_id: String,
    pub organisation_name: String,
    pub items: Vec<ReadinessItem>,
    pub met: i64,
    pub total: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ClusterReadiness {
    pub practices: Vec<Readiness>,
    pub met: i64,
    pub total: i64,
}

pub struct Toolkit<'a> {
    pub steward: &'a Steward,
    pub rules: Arc<Rules>,
}

pub fn toolkit(steward: &Steward) -> Toolkit<'_> {
    Toolkit {
        steward,
        rules: rules(steward),
    }
}

const SELECT: &str = "SELECT e.*, (SELECT COUNT(*) FROM attachments a WHERE a.record_type = 'toolkit_evidence' AND a.record_id = e.id) AS attachments FROM toolkit_evidence e";

fn from_row(r: &AnyRow) -> CoreResult<EvidenceRecord> {
    Ok(EvidenceRecord {
        id: r.try_get("id")?,
        organisation_id: r.try_get("organisation_id")?,
        assertion: r.try_get("assertion")?,
        note: r.try_get("note")?,
        confirmed: r.try_get::<i64, _>("confirmed")? == 1,
        attachments: r.try_get("attachments")?,
        version: r.try_get("version")?,
    })
}

impl Toolkit<'_> {
    async fn records_of(&self, organisation_id: &str) -> CoreResult<Vec<EvidenceRecord>> {
        steward_db::query(&format!("{SELECT} WHERE e.organisation_id = $1"))
            .bind(organisation_id)
            .fetch_all(&self.steward.db.pool)
            .await?
            .iter()
            .map(from_row)
            .collect()
    }

    pub async fn evidence(&self, permit: &Permit<ops::Read>) -> CoreResult<EvidenceRecord> {
        let row = steward_db::query(&format!("{SELECT} WHERE e.id = $1"))
            .bind(permit.id())
            .fetch_optional(&self.steward.db.pool)
            .await?
            .ok_or(CoreError::NotFound)?;
        from_row(&row)
    }

    /// Saves the practice's note (and confirmation) for an assertion: a new record the
    /// first time, a change after (the gate asked for each).
    pub async fn save(
        &self,
        caller: &Caller,
        organisation_id: &str,
        input: &EvidenceInput,
    ) -> CoreResult<EvidenceRecord> {
        self.steward
            .permit_in(caller, KIND, Op::Create, organisation_id)?;
        if self.rules.assertions.get(&input.assertion).is_none() {
            return Err(CoreError::invalid(
                "assertion",
                "Choose an assertion of the toolkit",
            ));
        }
        let confirmed = match input.confirmed.as_str() {
            "yes" => 1,
            "" | "no" => 0,
            _ => return Err(CoreError::invalid("confirmed", "Choose yes or no")),
        };
        let existing: Option<String> = steward_db::query_scalar(
            "SELECT id FROM toolkit_evidence WHERE organisation_id = $1 AND assertion = $2",
        )
        .bind(organisation_id)
        .bind(&input.assertion)
        .fetch_optional(&self.steward.db.pool)
        .await?;
        let now = now_stamp();
        let (id, version, event) = match existing {
            Some(id) => {
                let _: Permit<ops::Change> = self.steward.permit(caller, KIND, &id).await?;
                let mut w = self.steward.write().await?;
                steward_db::query("UPDATE toolkit_evidence SET note = $1, confirmed = $2, version = version + 1, updated_at = $3 WHERE id = $4")
                    .bind(input.note.trim())
                    .bind(confirmed)
                    .bind(&now)
                    .bind(&id)
                    .execute(&mut *w.tx)
                    .await?;
                let v: i64 =
                    steward_db::query_scalar("SELECT version FROM toolkit_evidence WHERE id = $1")
                        .bind(&id)
                        .fetch_one(&mut *w.tx)
                        .await?;
                let snap = serde_json::json!({"assertion": input.assertion, "note": input.note.trim(), "confirmed": confirmed == 1});
                store::logged(
                    &mut w.tx,
                    caller,
                    KIND,
                    &id,
                    organisation_id,
                    v,
                    &snap,
                    "record.update",
                    format!("assertion {}", input.assertion),
                )
                .await?;
                w.commit().await?;
                (id, v, "updated")
            }
            None => {
                let id = uuid::Uuid::new_v4().to_string();
                let mut w = self.steward.write().await?;
                steward_db::query("INSERT INTO toolkit_evidence (id, organisation_id, assertion, note, confirmed, created_by, created_at, updated_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $7, 1)")
                    .bind(&id)
                    .bind(organisation_id)
                    .bind(&input.assertion)
                    .bind(input.note.trim())
                    .bind(confirmed)
                    .bind(&caller.user_id)
                    .bind(&now)
                    .execute(&mut *w.tx)
                    .await?;
                let snap = serde_json::json!({"assertion": input.assertion, "note": input.note.trim(), "confirmed": confirmed == 1});
                store::logged(
                    &mut w.tx,
                    caller,
                    KIND,
                    &id,
                    organisation_id,
                    1,
                    &snap,
                    "record.create",
                    format!("assertion {}", input.assertion),
                )
                .await?;
                w.commit().await?;
                (id, 1, "created")
            }
        };
        let _ = (version, event);
        let row = steward_db::query(&format!("{SELECT} WHERE e.id = $1"))
            .bind(&id)
            .fetch_one(&self.steward.db.pool)
            .await?;
        from_row(&row)
    }

    /// Readiness of one organisation; the caller must be allowed to list its evidence.
    pub async fn readiness(
        &self,
        caller: &Caller,
        organisation_id: &str,
        today: NaiveDate,
    ) -> CoreResult<Readiness> {
        self.steward
            .permit_in(caller, KIND, Op::List, organisation_id)?;
        self.readiness_of(organisation_id, today).await
    }

    async fn readiness_of(&self, organisation_id: &str, today: NaiveDate) -> CoreResult<Readiness> {
        let s = self.steward;
        let year_ago = iso_date(today - Duration::days(365));
        let organisation_name: String =
            steward_db::query_scalar("SELECT name FROM organisations WHERE id = $1")
                .bind(organisation_id)
                .fetch_one(&s.db.pool)
                .await?;
        let records = self.records_of(organisation_id).await?;
        let mut items = vec![];
        // Figures computed once, used by each assertion that links to them.
        let tna = crate::training::training(s)
            .analysis_of(organisation_id, today)
            .await?;
        let pol = crate::policies::policies(s);
        let in_force = pol.in_force(organisation_id).await?.len() as i64;
        let (acked, owed) = pol.acknowledged_percentage(organisation_id).await?;
        let ack_pct = if owed == 0 { 100 } else { acked * 100 / owed };
        let year_stamp = format!("{year_ago}T00:00:00.000000Z");
        let incidents = store::count(
            s,
            "FROM incidents WHERE organisation_id = $1 AND aware_at >= $2",
            organisation_id,
            &year_stamp,
        )
        .await?;
        let risks = store::count(
            s,
            "FROM risks WHERE organisation_id = $1 AND (status = 'open' OR updated_at >= $2)",
            organisation_id,
            &year_stamp,
        )
        .await?;
        let audits = store::count(
            s,
            "FROM audit_runs WHERE organisation_id = $1 AND created_at >= $2",
            organisation_id,
            &year_stamp,
        )
        .await?;
        let reviews = store::count(s, "FROM retention_reviews WHERE organisation_id = $1 AND status = 'completed' AND completed_on >= $2", organisation_id, &year_ago).await?;
        let tested = crate::continuity::continuity(s)
            .tested_since(organisation_id, today - Duration::days(365))
            .await?;
        for a in &self.rules.assertions.assertion {
            let rec = records.iter().find(|r| r.assertion == a.code);
            let (figure, value, link) = match a.evidence {
                Evidence::TrainingPercentage => (
                    format!(
                        "{}% of {} trained in {}",
                        tna.percentage,
                        count_words(tna.staff, "member of staff", "staff"),
                        tna.toolkit_course.to_lowercase()
                    ),
                    tna.percentage as i64,
                    "/training",
                ),
                Evidence::Policies => (
                    count_words(in_force, "policy in force", "policies in force"),
                    in_force,
                    "/policies",
                ),
                Evidence::Acknowledgements => (
                    format!("{ack_pct}% of acknowledgements made ({acked} of {owed})"),
                    ack_pct,
                    "/policies",
                ),
                Evidence::Incidents => (
                    format!(
                        "{} in the last 12 months",
                        count_words(incidents, "incident logged", "incidents logged")
                    ),
                    incidents,
                    "/incidents",
                ),
                Evidence::Risks => (
                    count_words(risks, "risk on the register", "risks on the register"),
                    risks,
                    "/risks",
                ),
                Evidence::AccessAudits => (
                    format!(
                        "{} in the last 12 months",
                        count_words(audits, "access audit", "access audits")
                    ),
                    audits,
                    "/access-audit",
                ),
                Evidence::RetentionReviews => (
                    format!(
                        "{} completed in the last 12 months",
                        count_words(
                            reviews,
                            "records management review",
                            "records management reviews"
                        )
                    ),
                    reviews,
                    "/retention",
                ),
                Evidence::Continuity => (
                    format!(
                        "{} tested in the last 12 months",
                        count_words(tested, "plan", "plans")
                    ),
                    tested,
                    "/continuity",
                ),
                Evidence::Upload => {
                    let n = rec.map(|r| r.attachments).unwrap_or(0);
                    let ok = rec.is_some_and(|r| r.confirmed) && n > 0;
                    (
                        format!(
                            "{}{}",
                            count_words(n, "document uploaded", "documents uploaded"),
                            if ok { ", confirmed by the IG lead" } else { "" }
                        ),
                        i64::from(ok),
                        "",
                    )
                }
            };
            items.push(ReadinessItem {
                code: a.code.clone(),
                standard: a.standard.clone(),
                text: a.text.clone(),
                reference: a.reference.clone(),
                evidence: a.evidence,
                source: a.evidence.label().into(),
                figure,
                met: a.evidence.met(value, a.threshold),
                evidence_id: rec.map(|r| r.id.clone()),
                note: rec.map(|r| r.note.clone()).unwrap_or_default(),
                link: link.into(),
            });
        }
        Ok(Readiness {
            organisation_id: organisation_id.into(),
            organisation_name,
            met: items.iter().filter(|i| i.met).count() as i64,
            total: items.len() as i64,
            items,
        })
    }

    /// Readiness of every practice the caller may list evidence of (the DPO's cluster view).
    pub async fn cluster(&self, caller: &Caller, today: NaiveDate) -> CoreResult<ClusterReadiness> {
        steward_core::gate::decide_cluster(caller, KIND)?;
        let rows = steward_db::query("SELECT id FROM organisations WHERE cluster_id = $1 AND kind <> 'dpo_service' ORDER BY name")
            .bind(&caller.cluster_id)
            .fetch_all(&self.steward.db.pool)
            .await?;
        let mut practices = vec![];
        for r in rows {
            let org: String = r.try_get("id")?;
            if let Ok(x) = self.readiness(caller, &org, today).await {
                practices.push(x);
            }
        }
        Ok(ClusterReadiness {
            met: practices.iter().map(|p| p.met).sum(),
            total: practices.iter().map(|p| p.total).sum(),
            practices,
        })
    }

    /// The evidence pack as CSV: one row per assertion with its evidence and status.
    pub async fn export_csv(
        &self,
        caller: &Caller,
        organisation_id: &str,
        today: NaiveDate,
    ) -> CoreResult<String> {
        let r = self.readiness(caller, organisation_id, today).await?;
        let mut w = crate::csv::CsvWriter::new();
        w.row(&[
            "Organisation",
            "Assertion",
            "Standard",
            "Assertion text",
            "Reference",
            "Evidence",
            "Figure",
            "Met",
            "Note",
        ]);
        for i in &r.items {
            w.row(&[
                r.organisation_name.as_str(),
                &i.code,
                &i.standard,
                &i.text,
                &i.reference,
                &i.source,
                &i.figure,
                if i.met { "Met" } else { "Not yet met" },
                &i.note,
            ]);
        }
        let mut t = steward_core::trail::TrailEntry::for_caller(caller, "record.export");
        t.organisation_id = Some(organisation_id.into());
        t.record_type = Some(KIND.code().into());
        t.detail = "toolkit evidence pack".into();
        self.steward.trail_standalone(t).await?;
        Ok(w.finish())
    }
}
