//! Other patients who could be mistaken for the subject: the subjects of the organisation's
//! other requests, and the patients staff found in their clinical-system search.

use chrono::NaiveDate;
use steward_core::time::{iso_date, now_stamp};
use steward_core::trail::{append, TrailEntry};
use steward_core::{ops, Caller, CoreResult, FieldErrors, Permit};

use super::input::{limit, not_future, opt_date, NamesakeInput};
use super::stored::date_col;
use super::view::WarningView;
use super::{Rights, KIND, RECORD_TYPE};
use crate::identity::{namesake_warnings, NamesakeWarning, PatientIdentity};
use steward_db::Row;

impl Rights<'_> {
    /// Records a patient found by the practice's clinical-system search (same surname).
    pub async fn add_namesake(
        &self,
        caller: &Caller,
        id: &str,
        input: &NamesakeInput,
        today: NaiveDate,
    ) -> CoreResult<()> {
        let org = self
            .steward
            .permit::<ops::Change>(caller, KIND, id)
            .await?
            .organisation_id()
            .to_string();
        let mut e = FieldErrors::default();
        if input.surname.trim().is_empty() {
            e.add("namesake_surname", "Enter the other patient's last name");
        }
        let dob = opt_date(
            &mut e,
            "namesake_date_of_birth",
            &input.date_of_birth,
            "Date of birth",
        );
        not_future(
            &mut e,
            "namesake_date_of_birth",
            dob,
            today,
            "Date of birth",
        );
        for (f, v) in [
            ("namesake_forenames", &input.forenames),
            ("namesake_surname", &input.surname),
            ("namesake_address", &input.address),
            ("namesake_postcode", &input.postcode),
        ] {
            limit(&mut e, f, v.trim(), 500, "This field");
        }
        e.into_result()?;
        let mut w = self.steward.write().await?;
        steward_db::query(
            "INSERT INTO rights_request_namesakes (id, request_id, organisation_id, forenames, surname, date_of_birth, address, postcode, user_id, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(id)
        .bind(&org)
        .bind(input.forenames.trim())
        .bind(input.surname.trim())
        .bind(dob.map(iso_date))
        .bind(input.address.trim())
        .bind(input.postcode.trim().to_uppercase())
        .bind(&caller.user_id)
        .bind(now_stamp())
        .execute(&mut *w.tx)
        .await?;
        let mut t = TrailEntry::for_record(caller, "rights.namesake_added", &org, RECORD_TYPE, id);
        t.detail = "patient from clinical-system search".into();
        append(&mut w.tx, &t).await?;
        w.commit().await
    }

    /// Warnings that another person could be mistaken for the subject: the subjects of the
    /// organisation's other requests (a family member's earlier request, say), and the patients
    /// staff recorded from their clinical-system search. Steward holds no patient list, so it
    /// checks what it has and what staff found.
    pub async fn namesake_warnings(
        &self,
        permit: &Permit<ops::Read>,
    ) -> CoreResult<Vec<WarningView>> {
        let (id, org) = (permit.id(), permit.organisation_id().to_string());
        let mut tx = self.steward.db.begin().await?;
        let s = self.stored_in(&mut tx, id).await?;
        tx.commit().await?;
        let surname = crate::identity::normalise_text(&s.subject.surname);
        let rows = steward_db::query(
            "SELECT id, reference, subject_forenames, subject_surname, subject_date_of_birth, subject_address, subject_postcode FROM rights_requests WHERE organisation_id = $1 AND id <> $2 AND UPPER(subject_surname) = $3",
        )
        .bind(&org)
        .bind(id)
        .bind(&surname)
        .fetch_all(&self.steward.db.pool)
        .await?;
        let mut others = Vec::new();
        let mut sources = Vec::new();
        for r in &rows {
            others.push(PatientIdentity {
                patient_id: r.try_get("id")?,
                forenames: r.try_get("subject_forenames")?,
                surname: r.try_get("subject_surname")?,
                date_of_birth: date_col(r, "subject_date_of_birth")?,
                address: Some(r.try_get::<String, _>("subject_address")?).filter(|s| !s.is_empty()),
                postcode: Some(r.try_get::<String, _>("subject_postcode")?)
                    .filter(|s| !s.is_empty()),
                nhs_number: None,
            });
            sources.push(format!(
                "subject of request {}",
                r.try_get::<String, _>("reference")?
            ));
        }
        let rows = steward_db::query(
            "SELECT * FROM rights_request_namesakes WHERE request_id = $1 ORDER BY at",
        )
        .bind(id)
        .fetch_all(&self.steward.db.pool)
        .await?;
        for r in &rows {
            others.push(PatientIdentity {
                patient_id: r.try_get("id")?,
                forenames: r.try_get("forenames")?,
                surname: r.try_get("surname")?,
                date_of_birth: date_col(r, "date_of_birth")?,
                address: Some(r.try_get::<String, _>("address")?).filter(|s| !s.is_empty()),
                postcode: Some(r.try_get::<String, _>("postcode")?).filter(|s| !s.is_empty()),
                nhs_number: None,
            });
            sources.push("found in the clinical-system search".into());
        }
        let warnings: Vec<NamesakeWarning> = namesake_warnings(&s.subject, &others);
        Ok(warnings
            .into_iter()
            .map(|w| {
                let i = others
                    .iter()
                    .position(|o| o.patient_id == w.patient_id)
                    .unwrap_or(0);
                WarningView {
                    name: w.name,
                    message: w.message,
                    source: sources.get(i).cloned().unwrap_or_default(),
                }
            })
            .collect())
    }
}
