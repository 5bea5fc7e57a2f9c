//! Staff training over Steward's storage (feature `service`): training records (course, date,
//! provider, certificate), the training needs analysis (people x required training x
//! standing), the toolkit's percentage, reminders set as actions before training runs out,
//! reminder e-mails before it runs out (sent with the daily reminders), and the import of a
//! provider's CSV (validated whole before anything is written).

use std::collections::HashMap;
use std::sync::Arc;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use steward_core::actions::ActionInput;
use steward_core::gate::{ops, Kind, Op, Permit};
use steward_core::reminders::ReminderReport;
use steward_core::time::{iso_date, now_stamp, parse_iso_date};
use steward_core::{Caller, CoreError, CoreResult, FieldErrors, Steward};
use steward_db::{AnyRow, Row};

use crate::store::{self, StaffMember};
use crate::training_rules::{percentage, Course, Standing};
use crate::{rules, Rules};

pub const KIND: Kind = Kind::TrainingRecord;

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct TrainingInput {
    /// The member of staff (a user of the organisation).
    #[schema(required, pattern = "\\S")]
    pub user_id: String,
    /// A course code of the training requirements.
    #[schema(required, pattern = "\\S")]
    pub course: String,
    /// YYYY-MM-DD
    #[schema(required, format = Date)]
    pub completed_on: String,
    #[schema(required, pattern = "\\S")]
    pub provider: String,
    /// The certificate's number or reference (the certificate itself is attached).
    pub certificate: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TrainingRecord {
    pub id: String,
    pub organisation_id: String,
    pub user_id: String,
    pub person_name: String,
    pub course: String,
    pub course_label: String,
    pub completed_on: NaiveDate,
    /// None: the course is done once.
    pub expires_on: Option<NaiveDate>,
    pub provider: String,
    pub certificate: String,
    pub reminder_action_id: Option<String>,
    pub version: i64,
}

/// One cell of the needs analysis.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NeedCell {
    pub course: String,
    pub required: bool,
    /// None where the course is not required and was never done.
    pub standing: Option<Standing>,
    pub completed_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NeedRow {
    pub person: StaffMember,
    pub cells: Vec<NeedCell>,
    /// Required courses not held (out of date or not done).
    pub gaps: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CourseColumn {
    pub code: String,
    pub label: String,
    pub renewal: String,
    pub source: String,
}

/// The training needs analysis of one organisation.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NeedsAnalysis {
    pub courses: Vec<CourseColumn>,
    pub rows: Vec<NeedRow>,
    /// The course the toolkit counts, and the figures as the toolkit asks for them.
    pub toolkit_course: String,
    pub staff: i64,
    pub trained: i64,
    pub percentage: u32,
    /// People with a required course out of date or not done.
    pub people_with_gaps: i64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ImportInput {
    /// CSV with a header row: email, course, completed_on (YYYY-MM-DD), provider,
    /// certificate (optional).
    pub csv: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ImportReport {
    pub created: i64,
}

pub struct Training<'a> {
    pub steward: &'a Steward,
    pub rules: Arc<Rules>,
}

pub fn training(steward: &Steward) -> Training<'_> {
    Training {
        steward,
        rules: rules(steward),
    }
}

const SELECT: &str = "SELECT t.*, u.display_name AS person_name FROM training_records t JOIN users u ON u.id = t.user_id";

impl Training<'_> {
    fn record_of(&self, r: &AnyRow) -> CoreResult<TrainingRecord> {
        let course: String = r.try_get("course")?;
        let completed = store::date(r, "completed_on")?;
        let c = self.rules.requirements.get(&course);
        Ok(TrainingRecord {
            id: r.try_get("id")?,
            organisation_id: r.try_get("organisation_id")?,
            user_id: r.try_get("user_id")?,
            person_name: r.try_get("person_name")?,
            course_label: c.map(|c| c.label.clone()).unwrap_or_else(|| course.clone()),
            expires_on: c.and_then(|c| c.expiry(completed)),
            course,
            completed_on: completed,
            provider: r.try_get("provider")?,
            certificate: r.try_get("certificate")?,
            reminder_action_id: r.try_get("reminder_action_id")?,
            version: r.try_get("version")?,
        })
    }

    fn snapshot(t: &TrainingRecord) -> serde_json::Value {
        serde_json::json!({
            "person": t.person_name,
            "course": t.course_label,
            "completed": iso_date(t.completed_on),
            "provider": t.provider,
            "certificate": t.certificate,
        })
    }

    pub fn courses(&self) -> &[Course] {
        &self.rules.requirements.course
    }

    fn check(
        &self,
        input: &TrainingInput,
        staff: &[StaffMember],
        today: NaiveDate,
        e: &mut FieldErrors,
    ) -> Option<NaiveDate> {
        if !staff.iter().any(|s| s.id == input.user_id) {
            e.add("user_id", "Choose the member of staff");
        }
        if self.rules.requirements.get(&input.course).is_none() {
            e.add("course", "Choose the course");
        }
        let d = store::need_date(
            &input.completed_on,
            "completed_on",
            "the date it was completed",
            e,
        );
        if d.is_some_and(|d| d > today) {
            e.add(
                "completed_on",
                "The date it was completed cannot be in the future",
            );
        }
        store::need_text(
            &input.provider,
            "provider",
            "Enter who provided the training",
            e,
        );
        d
    }

    async fn insert(
        &self,
        tx: &mut steward_db::Tx<'static>,
        caller: &Caller,
        organisation_id: &str,
        input: &TrainingInput,
    ) -> CoreResult<String> {
        let id = uuid::Uuid::new_v4().to_string();
        let now = now_stamp();
        steward_db::query(
            "INSERT INTO training_records (id, organisation_id, user_id, course, completed_on, provider, certificate, created_by, created_at, updated_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, 1)",
        )
        .bind(&id)
        .bind(organisation_id)
        .bind(&input.user_id)
        .bind(&input.course)
        .bind(input.completed_on.trim())
        .bind(input.provider.trim())
        .bind(input.certificate.trim())
        .bind(&caller.user_id)
        .bind(&now)
        .execute(&mut **tx)
        .await?;
        let t = self.load_in(tx, &id).await?;
        store::logged(
            tx,
            caller,
            KIND,
            &id,
            organisation_id,
            1,
            &Self::snapshot(&t),
            "record.create",
            format!("{}: {}", t.course_label, iso_date(t.completed_on)),
        )
        .await?;
        Ok(id)
    }

    async fn load_in(
        &self,
        tx: &mut steward_db::Tx<'static>,
        id: &str,
    ) -> CoreResult<TrainingRecord> {
        let row = steward_db::query(&format!("{SELECT} WHERE t.id = $1"))
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?
            .ok_or(CoreError::NotFound)?;
        self.record_of(&row)
    }

    pub async fn create(
        &self,
        caller: &Caller,
        organisation_id: &str,
        input: &TrainingInput,
        today: NaiveDate,
    ) -> CoreResult<TrainingRecord> {
        self.steward
            .permit_in(caller, KIND, Op::Create, organisation_id)?;
        let staff = store::staff(self.steward, organisation_id).await?;
        let mut e = FieldErrors::default();
        self.check(input, &staff, today, &mut e);
        e.into_result()?;
        let mut w = self.steward.write().await?;
        let id = self
            .insert(&mut w.tx, caller, organisation_id, input)
            .await?;
        let t = self.load_in(&mut w.tx, &id).await?;
        w.commit().await?;
        Ok(t)
    }

    pub async fn record(&self, permit: &Permit<ops::Read>) -> CoreResult<TrainingRecord> {
        let row = steward_db::query(&format!("{SELECT} WHERE t.id = $1"))
            .bind(permit.id())
            .fetch_optional(&self.steward.db.pool)
            .await?
            .ok_or(CoreError::NotFound)?;
        self.record_of(&row)
    }

    pub async fn list(
        &self,
        caller: &Caller,
        organisation_id: &str,
    ) -> CoreResult<Vec<TrainingRecord>> {
        self.steward
            .permit_in(caller, KIND, Op::List, organisation_id)?;
        self.all(organisation_id).await
    }

    async fn all(&self, organisation_id: &str) -> CoreResult<Vec<TrainingRecord>> {
        steward_db::query(&format!(
            "{SELECT} WHERE t.organisation_id = $1 ORDER BY t.completed_on DESC, u.display_name"
        ))
        .bind(organisation_id)
        .fetch_all(&self.steward.db.pool)
        .await?
        .iter()
        .map(|r| self.record_of(r))
        .collect()
    }

    /// Latest completion per (person, course).
    fn latest(records: &[TrainingRecord]) -> HashMap<(String, String), &TrainingRecord> {
        let mut m: HashMap<(String, String), &TrainingRecord> = HashMap::new();
        for t in records {
            let k = (t.user_id.clone(), t.course.clone());
            if m.get(&k).is_none_or(|o| o.completed_on < t.completed_on) {
                m.insert(k, t);
            }
        }
        m
    }

    /// The needs analysis, without asking the gate (callers of this crate ask first).
    pub(crate) async fn analysis_of(
        &self,
        organisation_id: &str,
        today: NaiveDate,
    ) -> CoreResult<NeedsAnalysis> {
        let staff = store::staff(self.steward, organisation_id).await?;
        let records = self.all(organisation_id).await?;
        let latest = Self::latest(&records);
        let req = &self.rules.requirements;
        let toolkit = req.toolkit_course();
        let mut rows = vec![];
        let (mut trained, mut with_gaps) = (0, 0);
        for p in staff {
            let mut gaps = 0;
            let cells: Vec<NeedCell> = req
                .course
                .iter()
                .map(|c| {
                    let l = latest.get(&(p.id.clone(), c.code.clone()));
                    let required = c.required_for(&p.role);
                    let standing = (required || l.is_some())
                        .then(|| c.standing(l.map(|t| t.completed_on), today));
                    if required && !standing.is_some_and(|s| s.is_held()) {
                        gaps += 1;
                    }
                    NeedCell {
                        course: c.code.clone(),
                        required,
                        standing,
                        completed_on: l.map(|t| t.completed_on),
                    }
                })
                .collect();
            if toolkit
                .standing(
                    latest
                        .get(&(p.id.clone(), toolkit.code.clone()))
                        .map(|t| t.completed_on),
                    today,
                )
                .is_held()
            {
                trained += 1;
            }
            if gaps > 0 {
                with_gaps += 1;
            }
            rows.push(NeedRow {
                person: p,
                cells,
                gaps,
            });
        }
        let staff_n = rows.len() as i64;
        Ok(NeedsAnalysis {
            courses: req
                .course
                .iter()
                .map(|c| CourseColumn {
                    code: c.code.clone(),
                    label: c.label.clone(),
                    renewal: c.renewal(),
                    source: c.source.clone(),
                })
                .collect(),
            toolkit_course: toolkit.label.clone(),
            staff: staff_n,
            trained,
            percentage: percentage(trained as usize, staff_n as usize),
            people_with_gaps: with_gaps,
            rows,
        })
    }

    pub async fn needs_analysis(
        &self,
        caller: &Caller,
        organisation_id: &str,
        today: NaiveDate,
    ) -> CoreResult<NeedsAnalysis> {
        self.steward
            .permit_in(caller, KIND, Op::List, organisation_id)?;
        self.analysis_of(organisation_id, today).await
    }

    /// Sets an action for each person whose training runs out within the course's reminder
    /// window (or has run out), once per training record: the person owns it, due the day it
    /// runs out. Returns how many were set.
    pub async fn set_reminders(
        &self,
        caller: &Caller,
        organisation_id: &str,
        today: NaiveDate,
    ) -> CoreResult<i64> {
        self.steward
            .permit_in(caller, KIND, Op::Create, organisation_id)?;
        let records = self.all(organisation_id).await?;
        let staff = store::staff(self.steward, organisation_id).await?;
        let mut set = 0;
        for t in Self::latest(&records).into_values() {
            let Some(course) = self.rules.requirements.get(&t.course) else {
                continue;
            };
            let Some(expires) = t.expires_on else {
                continue;
            };
            if t.reminder_action_id.is_some()
                || !course.reminder_due(expires, today)
                || !staff.iter().any(|s| s.id == t.user_id)
            {
                continue;
            }
            let action = self
                .steward
                .create_action(
                    caller,
                    organisation_id,
                    &ActionInput {
                        title: format!("Renew your {} training", course.label.to_lowercase()),
                        description: format!(
                            "Your {} training, completed on {}, runs out on {}. Book the course and send the certificate to your IG lead.",
                            course.label,
                            steward_core::time::long_date(t.completed_on),
                            steward_core::time::long_date(expires)
                        ),
                        owner_id: t.user_id.clone(),
                        due_date: iso_date(expires.max(today)),
                        status: None,
                        source_record_type: Some(KIND.code().into()),
                        source_record_id: Some(t.id.clone()),
                    },
                )
                .await?;
            steward_db::query("UPDATE training_records SET reminder_action_id = $1 WHERE id = $2")
                .bind(&action.id)
                .bind(&t.id)
                .execute(&self.steward.db.pool)
                .await?;
            set += 1;
        }
        Ok(set)
    }

    /// The e-mails before training runs out, sent by the daily reminders job with its mailer.
    /// For each member of staff whose latest completion of a renewable course runs out
    /// within the course's reminder window (`remind_days_before` in the training
    /// requirements), or has run out (then it is due now), the person and the practice's IG
    /// leads are told once per expiry: each recipient gets one e-mail listing the expiries
    /// not yet sent to them, and what was sent is recorded (`training_reminders_sent`), so
    /// running the job again, the same day or the next, sends nothing twice. A system job: no
    /// caller, every organisation.
    pub async fn send_expiry_reminders(&self, today: NaiveDate) -> CoreResult<ReminderReport> {
        let mailer = self.steward.mailer()?;
        let mut report = ReminderReport::default();
        let organisations = steward_db::query(
            "SELECT o.id, o.name FROM organisations o WHERE EXISTS (SELECT 1 FROM training_records t WHERE t.organisation_id = o.id) ORDER BY o.name",
        )
        .fetch_all(&self.steward.db.pool)
        .await?;
        for o in &organisations {
            let organisation_id: String = o.try_get("id")?;
            let organisation_name: String = o.try_get("name")?;
            let staff = store::staff(self.steward, &organisation_id).await?;
            let records = self.all(&organisation_id).await?;
            let leads: Vec<&StaffMember> = staff.iter().filter(|p| p.role == "ig_lead").collect();
            // Each recipient with the expiries not yet sent to them, in the order met.
            let mut post: Vec<(&StaffMember, Vec<Expiry>)> = vec![];
            let mut due: Vec<_> = Self::latest(&records).into_values().collect();
            due.sort_by(|a, b| (a.expires_on, &a.person_name).cmp(&(b.expires_on, &b.person_name)));
            for t in due {
                let (Some(course), Some(expires)) =
                    (self.rules.requirements.get(&t.course), t.expires_on)
                else {
                    continue;
                };
                let Some(person) = staff.iter().find(|p| p.id == t.user_id) else {
                    continue;
                };
                if !course.reminder_due(expires, today) {
                    continue;
                }
                let mut recipients = vec![person];
                recipients.extend(leads.iter().copied().filter(|l| l.id != person.id));
                for r in recipients {
                    let sent: i64 = steward_db::query_scalar(
                        "SELECT COUNT(*) FROM training_reminders_sent WHERE training_record_id = $1 AND user_id = $2 AND expires_on = $3",
                    )
                    .bind(&t.id)
                    .bind(&r.id)
                    .bind(iso_date(expires))
                    .fetch_one(&self.steward.db.pool)
                    .await?;
                    if sent > 0 {
                        report.skipped += 1;
                        continue;
                    }
                    let e = Expiry {
                        record_id: t.id.clone(),
                        person_name: t.person_name.clone(),
                        theirs: r.id == person.id,
                        course: course.label.clone(),
                        completed_on: t.completed_on,
                        expires_on: expires,
                    };
                    match post.iter_mut().find(|(p, _)| p.id == r.id) {
                        Some((_, list)) => list.push(e),
                        None => post.push((r, vec![e])),
                    }
                }
            }
            for (r, list) in post {
                let (subject, body) = expiry_reminder(
                    &r.name,
                    &organisation_name,
                    &list,
                    today,
                    &self.steward.config.base_url,
                );
                match mailer.send(&r.name, &r.email, &subject, body).await {
                    Ok(()) => {
                        for e in &list {
                            steward_db::query(
                                "INSERT INTO training_reminders_sent (training_record_id, user_id, expires_on, sent_at) VALUES ($1, $2, $3, $4)",
                            )
                            .bind(&e.record_id)
                            .bind(&r.id)
                            .bind(iso_date(e.expires_on))
                            .bind(now_stamp())
                            .execute(&self.steward.db.pool)
                            .await?;
                        }
                        report.sent += 1;
                    }
                    Err(e) => report.failed.push(e),
                }
            }
        }
        Ok(report)
    }

    /// Imports a provider's CSV: the whole file is checked first and nothing is written
    /// unless every row is good; bad rows are reported by line number.
    pub async fn import(
        &self,
        caller: &Caller,
        organisation_id: &str,
        input: &ImportInput,
        today: NaiveDate,
    ) -> CoreResult<ImportReport> {
        self.steward
            .permit_in(caller, KIND, Op::Create, organisation_id)?;
        let staff = store::staff(self.steward, organisation_id).await?;
        let (header, rows) = crate::csv::read(&input.csv)
            .map_err(|(line, m)| CoreError::invalid("csv", format!("Line {line}: {m}")))?;
        let col = |name: &str| header.iter().position(|h| h == name);
        let (Some(ce), Some(cc), Some(cd), Some(cp)) = (
            col("email"),
            col("course"),
            col("completed_on"),
            col("provider"),
        ) else {
            return Err(CoreError::invalid(
                "csv",
                "Line 1: the header must name the columns email, course, completed_on and provider (certificate is optional)",
            ));
        };
        let ccert = col("certificate");
        if rows.is_empty() {
            return Err(CoreError::invalid(
                "csv",
                "The file has no rows after the header",
            ));
        }
        let mut errors = FieldErrors::default();
        let mut good = vec![];
        for (line, cells) in rows {
            let get = |i: usize| {
                cells
                    .get(i)
                    .map(|s| s.trim().to_string())
                    .unwrap_or_default()
            };
            let email = get(ce).to_lowercase();
            let person = staff.iter().find(|s| s.email.to_lowercase() == email);
            let course = get(cc);
            let course = self
                .rules
                .requirements
                .course
                .iter()
                .find(|c| c.code == course || c.label.eq_ignore_ascii_case(&course))
                .map(|c| c.code.clone())
                .unwrap_or(course);
            let input = TrainingInput {
                user_id: person.map(|p| p.id.clone()).unwrap_or_default(),
                course,
                completed_on: get(cd),
                provider: get(cp),
                certificate: ccert.map(get).unwrap_or_default(),
            };
            let mut e = FieldErrors::default();
            self.check(&input, &staff, today, &mut e);
            for fe in e.0 {
                let m = if fe.field == "user_id" {
                    format!("no member of staff here has the e-mail address {email:?}")
                } else {
                    lower_first(&fe.message)
                };
                errors.add("csv", format!("Line {line}: {m}"));
            }
            good.push(input);
        }
        errors.into_result()?;
        let mut w = self.steward.write().await?;
        for input in &good {
            self.insert(&mut w.tx, caller, organisation_id, input)
                .await?;
        }
        w.commit().await?;
        Ok(ImportReport {
            created: good.len() as i64,
        })
    }
}

/// One expiry in a reminder e-mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expiry {
    pub record_id: String,
    pub person_name: String,
    /// The recipient's own training (else the recipient is the IG lead).
    pub theirs: bool,
    pub course: String,
    pub completed_on: NaiveDate,
    pub expires_on: NaiveDate,
}

/// The reminder e-mail's subject and text: each expiry once, training that has run out first,
/// shown as due now.
pub fn expiry_reminder(
    name: &str,
    organisation: &str,
    list: &[Expiry],
    today: NaiveDate,
    base_url: &str,
) -> (String, String) {
    use steward_core::time::long_date;
    let (run_out, soon): (Vec<&Expiry>, Vec<&Expiry>) =
        list.iter().partition(|e| e.expires_on <= today);
    let mut s = format!("Dear {name},\n\n");
    let line = |e: &Expiry| {
        let whose = if e.theirs {
            format!("Your {}", e.course)
        } else {
            format!("{}: {}", e.person_name, e.course)
        };
        format!("- {whose}, completed on {}", long_date(e.completed_on))
    };
    if !run_out.is_empty() {
        s.push_str("Due now (the training has run out):\n");
        for e in &run_out {
            s.push_str(&format!(
                "{}, ran out on {}\n",
                line(e),
                long_date(e.expires_on)
            ));
        }
        s.push('\n');
    }
    if !soon.is_empty() {
        s.push_str("Due soon:\n");
        for e in &soon {
            s.push_str(&format!(
                "{}, runs out on {}\n",
                line(e),
                long_date(e.expires_on)
            ));
        }
        s.push('\n');
    }
    if list.iter().any(|e| e.theirs) {
        s.push_str("Book the course and send the certificate to your IG lead.\n");
    }
    if list.iter().any(|e| !e.theirs) {
        s.push_str(&format!(
            "As IG lead for {organisation}, record each renewal in Steward when the certificate comes.\n"
        ));
    }
    s.push_str(&format!(
        "Training needs analysis: {}/training\n",
        base_url.trim_end_matches('/')
    ));
    let subject = if run_out.is_empty() {
        format!(
            "Steward: {} due soon",
            crate::count_words(list.len() as i64, "training renewal", "training renewals")
        )
    } else {
        format!(
            "Steward: {} due now",
            crate::count_words(list.len() as i64, "training renewal", "training renewals")
        )
    };
    (subject, s)
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_lowercase().chain(c).collect())
        .unwrap_or_default()
}

/// A date as the form sends it back (for re-showing).
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    parse_iso_date(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        parse_iso_date(s).unwrap()
    }

    fn expiry(person: &str, theirs: bool, expires: &str) -> Expiry {
        Expiry {
            record_id: format!("r-{person}"),
            person_name: person.into(),
            theirs,
            course: "Data security awareness (level 1)".into(),
            completed_on: d(expires)
                .checked_sub_months(chrono::Months::new(12))
                .unwrap(),
            expires_on: d(expires),
        }
    }

    #[test]
    fn the_person_is_told_of_their_own_training_with_its_dates() {
        let (subject, body) = expiry_reminder(
            "Sam Reception",
            "Harbour Surgery",
            &[expiry("Sam Reception", true, "2026-12-20")],
            d("2026-12-07"),
            "https://steward.example/",
        );
        assert_eq!(subject, "Steward: 1 training renewal due soon");
        assert!(body.starts_with("Dear Sam Reception,"), "{body}");
        assert!(
            body.contains("- Your Data security awareness (level 1), completed on 20 December 2025, runs out on 20 December 2026"),
            "{body}"
        );
        assert!(body.contains("send the certificate to your IG lead"));
        assert!(!body.contains("As IG lead"));
        assert!(
            body.contains("https://steward.example/training\n"),
            "{body}"
        );
    }

    #[test]
    fn training_that_has_run_out_shows_as_due_now_first() {
        let (subject, body) = expiry_reminder(
            "Ida Lead",
            "Harbour Surgery",
            &[
                expiry("Sam Reception", false, "2026-12-20"),
                expiry("Cal Guardian", false, "2026-11-01"),
            ],
            d("2026-12-07"),
            "https://steward.example",
        );
        assert_eq!(subject, "Steward: 2 training renewals due now");
        let now = body.find("Due now").expect("due now");
        let soon = body.find("Due soon").expect("due soon");
        assert!(now < soon, "{body}");
        assert!(
            body.contains("- Cal Guardian: Data security awareness (level 1), completed on 1 November 2025, ran out on 1 November 2026"),
            "{body}"
        );
        assert!(body.contains("As IG lead for Harbour Surgery"));
        assert!(!body.contains("Book the course"));
        // The day it runs out is due now, not soon.
        let (_, body) = expiry_reminder(
            "Sam Reception",
            "Harbour Surgery",
            &[expiry("Sam Reception", true, "2026-12-07")],
            d("2026-12-07"),
            "https://steward.example",
        );
        assert!(
            body.contains("Due now") && !body.contains("Due soon"),
            "{body}"
        );
    }
}
