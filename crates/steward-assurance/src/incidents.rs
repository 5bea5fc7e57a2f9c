//! Incidents and personal data breaches over Steward's storage (feature `service`): anyone
//! signed in reports; the IG lead and the DPO grade on the NHS breach assessment grid, record
//! the notification with its clock, decide on telling the people affected, and close with the
//! root cause and the lesson; the DPO publishes an anonymised lesson for the cluster. Every
//! function asks the core's gate first. Nothing is ever deleted (UK GDPR Art 33(5)).

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use steward_core::gate::{ops, Kind, Op, Permit};
use steward_core::records::record_version;
use steward_core::time::{now_stamp, parse_stamp, stamp};
use steward_core::trail::{append, TrailEntry};
use steward_core::{Caller, CoreError, CoreResult, FieldErrors, Steward};
use steward_db::{AnyRow, Row};

use crate::clock::{self, uk_to_utc, utc_to_uk, BreachClock, ClockState};
use crate::{check_lesson, rules, Rules};

pub const KIND: Kind = Kind::Incident;
pub const PAGE_SIZE: i64 = 25;

/// Exceptions to telling the people affected (UK GDPR Art 34(3)).
pub const TELL_EXCEPTIONS: &[(&str, &str)] = &[
    (
        "encrypted",
        "The data was protected so that it is unintelligible to anyone not authorised (Art 34(3)(a))",
    ),
    (
        "risk_removed",
        "Measures taken since mean the high risk is no longer likely (Art 34(3)(b))",
    ),
    (
        "disproportionate_effort",
        "Telling each person would take disproportionate effort; a public communication instead (Art 34(3)(c))",
    ),
];

pub const STATUSES: &[(&str, &str)] = &[
    ("reported", "Reported, to be graded"),
    ("graded", "Graded"),
    ("closed", "Closed"),
];

pub fn status_label(code: &str) -> &'static str {
    STATUSES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, l)| *l)
        .unwrap_or("")
}

/// What anyone signed in enters to report an incident (form and API alike). Times are UK
/// local time, `YYYY-MM-DDTHH:MM`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ReportInput {
    pub title: String,
    pub category: String,
    pub what_happened: String,
    pub occurred_at: String,
    pub aware_at: String,
    /// Who was affected, in words ("two patients of the practice").
    pub people_affected: String,
    /// Their names, one per line: kept out of any published lesson.
    pub people_names: String,
    pub data_involved: String,
    /// How many people, as a whole number.
    pub how_many: String,
    pub containment: String,
    /// The record this incident comes from: "access_audit_case" or "rights_request", and its id.
    pub source_record_type: Option<String>,
    pub source_record_id: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct GradeInput {
    /// 1 to 5 on the grid's likelihood scale.
    #[schema(required, pattern = "^[1-5]$")]
    pub likelihood: String,
    /// 1 to 5 on the grid's severity scale.
    #[schema(required, pattern = "^[1-5]$")]
    pub severity: String,
    /// Why these grades; required when the incident is not reportable (the reasons it was
    /// not notified are kept, Art 33(5)).
    pub reasons: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct NotifyInput {
    /// When the ICO was told, UK local time `YYYY-MM-DDTHH:MM`.
    #[schema(required, pattern = "\\S")]
    pub notified_at: String,
    #[schema(required, pattern = "\\S")]
    pub ico_reference: String,
    pub dhsc_reference: String,
    /// Required when the notification is after the 72-hour clock (Art 33(1)).
    pub late_reasons: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct TellPeopleInput {
    /// "yes" or "no".
    #[schema(required, pattern = "^(yes|no)$")]
    pub tell: String,
    #[schema(required, pattern = "\\S")]
    pub reasons: String,
    /// When not telling: an exception relied on (encrypted, risk_removed,
    /// disproportionate_effort), or empty.
    pub exception: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct CloseInput {
    #[schema(required, pattern = "\\S")]
    pub root_cause: String,
    #[schema(required, pattern = "\\S")]
    pub lesson: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct LessonInput {
    #[schema(required, pattern = "\\S")]
    pub lesson: String,
}

/// One incident, with what the rules say about it now.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Incident {
    pub id: String,
    pub organisation_id: String,
    pub organisation_name: String,
    pub reference: String,
    pub title: String,
    pub category: String,
    pub category_label: String,
    pub what_happened: String,
    pub occurred_at: String,
    pub aware_at: String,
    pub reported_by: String,
    pub reported_by_name: String,
    pub reported_at: String,
    pub people_affected: String,
    pub people_names: String,
    pub data_involved: String,
    pub how_many: i64,
    pub containment: String,
    pub status: String,
    pub likelihood: Option<i64>,
    pub severity: Option<i64>,
    pub reportable: Option<bool>,
    pub dhsc_reportable: Option<bool>,
    pub grading_reasons: String,
    pub graded_at: Option<String>,
    pub notified_at: Option<String>,
    pub ico_reference: String,
    pub dhsc_reference: String,
    pub late_reasons: String,
    pub tell_people: Option<bool>,
    pub tell_people_reasons: String,
    pub tell_people_exception: String,
    pub root_cause: String,
    pub lesson: String,
    pub closed_at: Option<String>,
    pub published_lesson: String,
    pub lesson_published_at: Option<String>,
    pub source_record_type: Option<String>,
    pub source_record_id: Option<String>,
    /// The 72-hour deadline (awareness + the grid's hours), UTC.
    pub deadline: String,
    #[schema(value_type = Object)]
    pub clock: ClockState,
    pub version: i64,
}

impl Incident {
    fn snapshot(&self) -> serde_json::Value {
        serde_json::json!({
            "title": self.title,
            "category": self.category_label,
            "what happened": self.what_happened,
            "occurred": uk(&self.occurred_at),
            "became aware": uk(&self.aware_at),
            "people affected": self.people_affected,
            "names": self.people_names,
            "data involved": self.data_involved,
            "how many": self.how_many,
            "containment": self.containment,
            "status": status_label(&self.status),
            "likelihood": self.likelihood,
            "severity": self.severity,
            "reportable to the ICO": self.reportable.map(yes_no),
            "grading reasons": self.grading_reasons,
            "notified": self.notified_at.as_deref().map(uk),
            "ICO reference": self.ico_reference,
            "DHSC reference": self.dhsc_reference,
            "reasons for the delay": self.late_reasons,
            "tell the people affected": self.tell_people.map(yes_no),
            "reasons on telling them": self.tell_people_reasons,
            "root cause": self.root_cause,
            "lesson": self.lesson,
            "published lesson": self.published_lesson,
        })
    }

    /// Graded reportable to the ICO.
    pub fn is_reportable(&self) -> bool {
        self.reportable == Some(true)
    }

    pub fn is_open(&self) -> bool {
        self.status != "closed"
    }

    /// Notification is owed: graded reportable and not yet notified.
    pub fn notification_owed(&self) -> bool {
        self.reportable == Some(true) && self.notified_at.is_none()
    }

    pub fn clock_text(&self) -> String {
        clock::describe(self.clock)
    }
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "Yes"
    } else {
        "No"
    }
}

/// A stored UTC stamp as UK local time, "5 February 2021 at 14:03".
pub fn uk(s: &str) -> String {
    parse_stamp(s)
        .map(clock::uk_stamp)
        .unwrap_or_else(|| s.to_string())
}

/// A stored UTC stamp as the form's UK local `YYYY-MM-DDTHH:MM`.
pub fn uk_input(s: &str) -> String {
    parse_stamp(s)
        .map(|t| utc_to_uk(t).format("%Y-%m-%dT%H:%M").to_string())
        .unwrap_or_default()
}

/// Reads a UK local `YYYY-MM-DDTHH:MM`; the message names what is wrong.
fn parse_local(
    s: &str,
    field: &str,
    what: &str,
    now: DateTime<Utc>,
    errors: &mut FieldErrors,
) -> Option<DateTime<Utc>> {
    if s.trim().is_empty() {
        errors.add(field, format!("Enter {what}"));
        return None;
    }
    let Ok(local) = NaiveDateTime::parse_from_str(s.trim(), "%Y-%m-%dT%H:%M") else {
        errors.add(
            field,
            format!("{} must be a real date and time", capitalise(what)),
        );
        return None;
    };
    let t = uk_to_utc(local);
    // A few minutes' grace for clocks that disagree.
    if t > now + Duration::minutes(5) {
        errors.add(field, format!("{} must be in the past", capitalise(what)));
        return None;
    }
    Some(t)
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

const SELECT: &str = "SELECT i.*, o.name AS organisation_name, u.display_name AS reported_by_name FROM incidents i JOIN organisations o ON o.id = i.organisation_id LEFT JOIN users u ON u.id = i.reported_by";

fn opt_bool(r: &AnyRow, col: &str) -> CoreResult<Option<bool>> {
    Ok(r.try_get::<Option<i64>, _>(col)?.map(|v| v != 0))
}

fn from_row(r: &AnyRow, rules: &Rules, now: DateTime<Utc>) -> CoreResult<Incident> {
    let aware_at: String = r.try_get("aware_at")?;
    let notified_at: Option<String> = r.try_get("notified_at")?;
    let aware = parse_stamp(&aware_at)
        .ok_or_else(|| CoreError::Internal(format!("stored time {aware_at:?} is not a time")))?;
    let c = BreachClock::new(aware, rules.grid.clock.notify_within_hours);
    let category: String = r.try_get("category")?;
    Ok(Incident {
        id: r.try_get("id")?,
        organisation_id: r.try_get("organisation_id")?,
        organisation_name: r.try_get("organisation_name")?,
        reference: r.try_get("reference")?,
        title: r.try_get("title")?,
        category_label: rules.categories.label(&category),
        category,
        what_happened: r.try_get("what_happened")?,
        occurred_at: r.try_get("occurred_at")?,
        reported_by: r.try_get("reported_by")?,
        reported_by_name: r
            .try_get::<Option<String>, _>("reported_by_name")?
            .unwrap_or_default(),
        reported_at: r.try_get("reported_at")?,
        people_affected: r.try_get("people_affected")?,
        people_names: r.try_get("people_names")?,
        data_involved: r.try_get("data_involved")?,
        how_many: r.try_get("how_many")?,
        containment: r.try_get("containment")?,
        status: r.try_get("status")?,
        likelihood: r.try_get("likelihood")?,
        severity: r.try_get("severity")?,
        reportable: opt_bool(r, "reportable")?,
        dhsc_reportable: opt_bool(r, "dhsc_reportable")?,
        grading_reasons: r.try_get("grading_reasons")?,
        graded_at: r.try_get("graded_at")?,
        ico_reference: r.try_get("ico_reference")?,
        dhsc_reference: r.try_get("dhsc_reference")?,
        late_reasons: r.try_get("late_reasons")?,
        tell_people: opt_bool(r, "tell_people")?,
        tell_people_reasons: r.try_get("tell_people_reasons")?,
        tell_people_exception: r.try_get("tell_people_exception")?,
        root_cause: r.try_get("root_cause")?,
        lesson: r.try_get("lesson")?,
        closed_at: r.try_get("closed_at")?,
        published_lesson: r.try_get("published_lesson")?,
        lesson_published_at: r.try_get("lesson_published_at")?,
        source_record_type: r.try_get("source_record_type")?,
        source_record_id: r.try_get("source_record_id")?,
        deadline: stamp(c.deadline()),
        clock: c.state(now, notified_at.as_deref().and_then(parse_stamp)),
        notified_at,
        aware_at,
        version: r.try_get("version")?,
    })
}

/// Filters of the incident list (all on the server).
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct IncidentQuery {
    /// open (default), reported, graded, closed, all
    #[param(pattern = "^(|open|all|reported|graded|closed)$")]
    pub status: Option<String>,
    pub category: Option<String>,
    /// "yes": reportable to the ICO only; "no": not reportable; "clock": notification owed
    /// and the clock running
    #[param(pattern = "^(|yes|no|clock)$")]
    pub reportable: Option<String>,
    /// Aware within this quarter, e.g. 2026-Q4.
    #[param(pattern = "^([0-9]{4}-Q[1-4])?$")]
    pub quarter: Option<String>,
    /// The page, from 1 (default 1); past the last, the last.
    #[param(minimum = 1)]
    pub page: Option<i64>,
    /// How many items a page holds (default 25, at most 500).
    #[param(minimum = 1, maximum = 500)]
    pub size: Option<i64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct IncidentPage {
    pub items: Vec<Incident>,
    pub total: i64,
    pub page: i64,
    /// How many items a page holds.
    pub size: i64,
    pub pages: i64,
}

/// "2026-Q4" -> the first and the day after the last day of the quarter, as stamps' prefixes.
pub fn quarter_bounds(q: &str) -> Option<(chrono::NaiveDate, chrono::NaiveDate)> {
    let (y, n) = q.split_once("-Q")?;
    let y: i32 = y.parse().ok()?;
    let n: u32 = n.parse().ok()?;
    if !(1..=4).contains(&n) {
        return None;
    }
    let start = chrono::NaiveDate::from_ymd_opt(y, (n - 1) * 3 + 1, 1)?;
    let end = if n == 4 {
        chrono::NaiveDate::from_ymd_opt(y + 1, 1, 1)?
    } else {
        chrono::NaiveDate::from_ymd_opt(y, n * 3 + 1, 1)?
    };
    Some((start, end))
}

/// The quarter a date falls in, "2026-Q4".
pub fn quarter_of(d: chrono::NaiveDate) -> String {
    use chrono::Datelike;
    format!("{}-Q{}", d.year(), (d.month() - 1) / 3 + 1)
}

/// "October to December 2026".
pub fn quarter_label(q: &str) -> String {
    match quarter_bounds(q) {
        Some((s, e)) => format!(
            "{} to {}",
            s.format("%B"),
            (e - Duration::days(1)).format("%B %Y")
        ),
        None => q.to_string(),
    }
}

/// A value bound to an update.
enum B {
    S(String),
    I(i64),
}

/// The incident workflow.
pub struct Incidents<'a> {
    pub steward: &'a Steward,
    pub rules: std::sync::Arc<Rules>,
}

pub fn incidents(steward: &Steward) -> Incidents<'_> {
    Incidents {
        steward,
        rules: rules(steward),
    }
}

impl Incidents<'_> {
    fn check_report(
        &self,
        input: &ReportInput,
        now: DateTime<Utc>,
    ) -> CoreResult<(DateTime<Utc>, DateTime<Utc>, i64)> {
        let mut e = FieldErrors::default();
        if input.title.trim().is_empty() {
            e.add("title", "Enter a short title for the incident");
        }
        if self.rules.categories.get(&input.category).is_none() {
            e.add("category", "Select what kind of incident it was");
        }
        if input.what_happened.trim().is_empty() {
            e.add("what_happened", "Describe what happened");
        }
        let occurred = parse_local(
            &input.occurred_at,
            "occurred_at",
            "when it happened",
            now,
            &mut e,
        );
        let aware = parse_local(
            &input.aware_at,
            "aware_at",
            "when it was found",
            now,
            &mut e,
        );
        if let (Some(o), Some(a)) = (occurred, aware) {
            for (f, m) in clock::check_order(o, a, None) {
                e.add(f, m);
            }
        }
        if input.people_affected.trim().is_empty() {
            e.add("people_affected", "Say whose information was involved");
        }
        if input.data_involved.trim().is_empty() {
            e.add("data_involved", "Say what information was involved");
        }
        let how_many = match input.how_many.trim().parse::<i64>() {
            Ok(n) if n >= 0 => Some(n),
            _ => {
                e.add(
                    "how_many",
                    "Enter how many people were affected, as a whole number (0 if none)",
                );
                None
            }
        };
        if input.containment.trim().is_empty() {
            e.add(
                "containment",
                "Say what has been done so far to contain it (or \"nothing yet\")",
            );
        }
        match (&input.source_record_type, &input.source_record_id) {
            (None, None) => {}
            (Some(t), Some(_)) if t == "access_audit_case" || t == "rights_request" => {}
            (Some(t), _) if t.is_empty() => {}
            _ => e.add(
                "source_record_type",
                "An incident can be opened from an access-audit case or a rights request",
            ),
        }
        e.into_result()?;
        Ok((
            occurred.expect("validated"),
            aware.expect("validated"),
            how_many.expect("validated"),
        ))
    }

    /// Anyone signed in who may report in the organisation reports an incident. A source
    /// record must be one the caller may read (it is linked, not copied).
    pub async fn report(
        &self,
        caller: &Caller,
        organisation_id: &str,
        input: &ReportInput,
    ) -> CoreResult<Incident> {
        self.steward
            .permit_in(caller, KIND, Op::Create, organisation_id)?;
        let now = Utc::now();
        let (occurred, aware, how_many) = self.check_report(input, now)?;
        let source = match (&input.source_record_type, &input.source_record_id) {
            (Some(t), Some(id)) if !t.is_empty() && !id.is_empty() => {
                let kind = Kind::parse(t).ok_or(CoreError::NotFound)?;
                let p: Permit<ops::Read> = self.steward.permit(caller, kind, id).await?;
                if p.organisation_id() != organisation_id {
                    return Err(CoreError::invalid(
                        "source_record_type",
                        "The record must belong to the same organisation as the incident",
                    ));
                }
                Some((t.clone(), id.clone()))
            }
            _ => None,
        };
        let id = uuid::Uuid::new_v4().to_string();
        let now_s = now_stamp();
        let mut w = self.steward.write().await?;
        let year = utc_to_uk(now).format("%Y").to_string();
        let n: i64 = steward_db::query_scalar(
            "SELECT COUNT(*) FROM incidents WHERE organisation_id = $1 AND reference LIKE $2",
        )
        .bind(organisation_id)
        .bind(format!("INC-{year}-%"))
        .fetch_one(&mut *w.tx)
        .await?;
        let reference = format!("INC-{year}-{:04}", n + 1);
        steward_db::query(
            "INSERT INTO incidents (id, organisation_id, reference, title, category, what_happened, occurred_at, aware_at, reported_by, reported_at, people_affected, people_names, data_involved, how_many, containment, status, source_record_type, source_record_id, created_at, updated_at, version) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, 'reported', $16, $17, $18, $18, 1)",
        )
        .bind(&id)
        .bind(organisation_id)
        .bind(&reference)
        .bind(input.title.trim())
        .bind(&input.category)
        .bind(input.what_happened.trim())
        .bind(stamp(occurred))
        .bind(stamp(aware))
        .bind(&caller.user_id)
        .bind(&now_s)
        .bind(input.people_affected.trim())
        .bind(input.people_names.trim())
        .bind(input.data_involved.trim())
        .bind(how_many)
        .bind(input.containment.trim())
        .bind(source.as_ref().map(|s| s.0.clone()))
        .bind(source.as_ref().map(|s| s.1.clone()))
        .bind(&now_s)
        .execute(&mut *w.tx)
        .await?;
        let inc = self.load_in(&mut w.tx, &id).await?;
        record_version(
            &mut w.tx,
            caller,
            KIND.code(),
            &id,
            organisation_id,
            1,
            &inc.snapshot(),
        )
        .await?;
        let mut t =
            TrailEntry::for_record(caller, "record.create", organisation_id, KIND.code(), &id);
        t.detail = format!("{reference}: {}", inc.category_label);
        append(&mut w.tx, &t).await?;
        w.commit().await?;
        Ok(inc)
    }

    async fn load_in(&self, tx: &mut steward_db::Tx<'static>, id: &str) -> CoreResult<Incident> {
        let sql = format!("{SELECT} WHERE i.id = $1");
        let row = steward_db::query(&sql)
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?
            .ok_or(CoreError::NotFound)?;
        from_row(&row, &self.rules, Utc::now())
    }

    /// One incident, for a caller holding a read permit (the view is on the trail).
    pub async fn incident(&self, permit: &Permit<ops::Read>) -> CoreResult<Incident> {
        let sql = format!("{SELECT} WHERE i.id = $1");
        let row = steward_db::query(&sql)
            .bind(permit.id())
            .fetch_optional(&self.steward.db.pool)
            .await?
            .ok_or(CoreError::NotFound)?;
        from_row(&row, &self.rules, Utc::now())
    }

    pub async fn list(
        &self,
        caller: &Caller,
        organisation_id: &str,
        q: &IncidentQuery,
    ) -> CoreResult<IncidentPage> {
        self.steward
            .permit_in(caller, KIND, Op::List, organisation_id)?;
        let mut e = FieldErrors::default();
        let mut cond = vec!["i.organisation_id = $1".to_string()];
        let mut binds: Vec<String> = vec![organisation_id.to_string()];
        match q.status.as_deref().unwrap_or("open") {
            "" | "open" => cond.push("i.status <> 'closed'".into()),
            "all" => {}
            s if STATUSES.iter().any(|(c, _)| *c == s) => {
                binds.push(s.to_string());
                cond.push(format!("i.status = ${}", binds.len()));
            }
            _ => e.add("status", "Choose a status from the list"),
        }
        if let Some(c) = q.category.as_deref().filter(|c| !c.is_empty()) {
            if self.rules.categories.get(c).is_none() {
                e.add("category", "Choose a category from the list");
            } else {
                binds.push(c.to_string());
                cond.push(format!("i.category = ${}", binds.len()));
            }
        }
        match q.reportable.as_deref().unwrap_or("") {
            "" => {}
            "yes" => cond.push("i.reportable = 1".into()),
            "no" => cond.push("i.reportable = 0".into()),
            "clock" => {
                // Notification owed (reportable or not yet graded), not yet notified, open,
                // and the deadline not yet passed: aware within the last N hours.
                let since = Utc::now() - Duration::hours(self.rules.grid.clock.notify_within_hours);
                binds.push(stamp(since));
                cond.push(format!(
                    "i.status <> 'closed' AND i.notified_at IS NULL AND (i.reportable IS NULL OR i.reportable = 1) AND i.aware_at >= ${}",
                    binds.len()
                ));
            }
            _ => e.add("reportable", "Choose from the list"),
        }
        if let Some(qt) = q.quarter.as_deref().filter(|s| !s.is_empty()) {
            match quarter_bounds(qt) {
                Some((s, end)) => {
                    binds.push(format!("{s}"));
                    cond.push(format!("i.aware_at >= ${}", binds.len()));
                    binds.push(format!("{end}"));
                    cond.push(format!("i.aware_at < ${}", binds.len()));
                }
                None => e.add("quarter", "The quarter must look like 2026-Q4"),
            }
        }
        e.into_result()?;
        let wh = cond.join(" AND ");
        let count_sql = format!("SELECT COUNT(*) FROM incidents i WHERE {wh}");
        let mut cq = steward_db::query_scalar::<_, i64>(&count_sql);
        for b in &binds {
            cq = cq.bind(b);
        }
        let total = cq.fetch_one(&self.steward.db.pool).await?;
        let paging =
            steward_core::paging::Paging::lenient(q.page, q.size, PAGE_SIZE).at_most(total);
        let (page, size, pages) = (paging.page, paging.size, paging.pages(total));
        let sql = format!(
            "{SELECT} WHERE {wh} ORDER BY i.aware_at DESC, i.reference DESC LIMIT {size} OFFSET {}",
            paging.offset()
        );
        let mut lq = steward_db::query(&sql);
        for b in &binds {
            lq = lq.bind(b);
        }
        let now = Utc::now();
        let items = lq
            .fetch_all(&self.steward.db.pool)
            .await?
            .iter()
            .map(|r| from_row(r, &self.rules, now))
            .collect::<CoreResult<Vec<_>>>()?;
        self.steward
            .trail_standalone(TrailEntry {
                organisation_id: Some(organisation_id.to_string()),
                record_type: Some(KIND.code().into()),
                detail: "incident list".into(),
                ..TrailEntry::for_caller(caller, "record.list")
            })
            .await?;
        Ok(IncidentPage {
            items,
            total,
            page,
            size,
            pages,
        })
    }

    /// Saves a change made under a change permit: a new version, history and the trail.
    async fn save(
        &self,
        caller: &Caller,
        permit: &Permit<ops::Change>,
        expected: Option<i64>,
        event: &str,
        sql: &str,
        binds: Vec<B>,
    ) -> CoreResult<Incident> {
        let mut w = self.steward.write().await?;
        let before = self.load_in(&mut w.tx, permit.id()).await?;
        if let Some(v) = expected {
            if v != before.version {
                return Err(CoreError::Conflict(
                    "Someone else changed this incident while you were editing; reload and try again".into(),
                ));
            }
        }
        let mut q = steward_db::query(sql);
        for b in binds {
            q = match b {
                B::S(s) => q.bind(s),
                B::I(i) => q.bind(i),
            };
        }
        q.bind(now_stamp())
            .bind(permit.id())
            .execute(&mut *w.tx)
            .await?;
        let after = self.load_in(&mut w.tx, permit.id()).await?;
        record_version(
            &mut w.tx,
            caller,
            KIND.code(),
            permit.id(),
            permit.organisation_id(),
            after.version,
            &after.snapshot(),
        )
        .await?;
        let mut t = TrailEntry::for_record(
            caller,
            "record.update",
            permit.organisation_id(),
            KIND.code(),
            permit.id(),
        );
        t.detail = format!("{}: {event}", after.reference);
        append(&mut w.tx, &t).await?;
        w.commit().await?;
        Ok(after)
    }

    /// Grades the incident on the grid. A grade outside the grid is refused and nothing is
    /// saved; reasons are required when it is not reportable.
    pub async fn grade(
        &self,
        caller: &Caller,
        permit: &Permit<ops::Change>,
        input: &GradeInput,
    ) -> CoreResult<Incident> {
        let mut e = FieldErrors::default();
        let l = input.likelihood.trim().parse::<i64>().unwrap_or(-1);
        let s = input.severity.trim().parse::<i64>().unwrap_or(-1);
        let grid = &self.rules.grid;
        if !(1..=i64::from(grid.max_likelihood())).contains(&l) {
            e.add(
                "likelihood",
                crate::GradeError::Likelihood(grid.max_likelihood()).to_string(),
            );
        }
        if !(1..=i64::from(grid.max_severity())).contains(&s) {
            e.add(
                "severity",
                crate::GradeError::Severity(grid.max_severity()).to_string(),
            );
        }
        e.clone().into_result()?;
        let a = grid
            .assess(l, s)
            .map_err(|x| CoreError::invalid("likelihood", x.to_string()))?;
        if !a.reportable() && input.reasons.trim().is_empty() {
            e.add(
                "reasons",
                "Give the reasons it is not reportable: they are kept with the incident (UK GDPR Article 33(5))",
            );
        }
        e.into_result()?;
        let current = self.incident(&permit.as_read()).await?;
        if current.status == "closed" {
            return Err(CoreError::Conflict("The incident is closed".into()));
        }
        self.save(
            caller,
            permit,
            None,
            &format!(
                "graded {} x {}: {}",
                a.likelihood,
                a.severity,
                if a.reportable() {
                    "reportable to the ICO"
                } else {
                    "not reportable"
                }
            ),
            "UPDATE incidents SET likelihood = $1, severity = $2, reportable = $3, dhsc_reportable = $4, grading_reasons = $5, graded_by = $6, graded_at = $7, status = 'graded', version = version + 1, updated_at = $8 WHERE id = $9",
            vec![
                B::I(i64::from(a.likelihood)),
                B::I(i64::from(a.severity)),
                B::I(a.reportable() as i64),
                B::I(a.must_tell("dhsc") as i64),
                B::S(input.reasons.trim().to_string()),
                B::S(caller.user_id.clone()),
                B::S(now_stamp()),
            ],
        )
        .await
    }

    /// Records the notification to the ICO (and DHSC/NHS England): not before the incident or
    /// the awareness, not in the future; reasons required when after the clock.
    pub async fn notify(
        &self,
        caller: &Caller,
        permit: &Permit<ops::Change>,
        input: &NotifyInput,
    ) -> CoreResult<Incident> {
        let current = self.incident(&permit.as_read()).await?;
        let mut e = FieldErrors::default();
        let now = Utc::now();
        let n = parse_local(
            &input.notified_at,
            "notified_at",
            "when the ICO was notified",
            now,
            &mut e,
        );
        if let Some(n) = n {
            let occurred = parse_stamp(&current.occurred_at).unwrap_or(n);
            let aware = parse_stamp(&current.aware_at).unwrap_or(n);
            for (f, m) in clock::check_order(occurred, aware, Some(n)) {
                e.add(f, m);
            }
            let c = BreachClock::new(aware, self.rules.grid.clock.notify_within_hours);
            if c.is_late(n) && input.late_reasons.trim().is_empty() {
                e.add(
                    "late_reasons",
                    format!(
                        "The notification is after the {}-hour deadline: give the reasons for the delay (UK GDPR Article 33(1))",
                        self.rules.grid.clock.notify_within_hours
                    ),
                );
            }
        }
        if input.ico_reference.trim().is_empty() {
            e.add("ico_reference", "Enter the ICO's reference number");
        }
        if current.dhsc_reportable == Some(true) && input.dhsc_reference.trim().is_empty() {
            e.add(
                "dhsc_reference",
                "Enter the reference of the notification to DHSC and NHS England (the toolkit's incident reference)",
            );
        }
        e.into_result()?;
        if current.status == "closed" {
            return Err(CoreError::Conflict("The incident is closed".into()));
        }
        self.save(
            caller,
            permit,
            None,
            "notification recorded",
            "UPDATE incidents SET notified_at = $1, ico_reference = $2, dhsc_reference = $3, late_reasons = $4, version = version + 1, updated_at = $5 WHERE id = $6",
            vec![
                B::S(stamp(n.expect("validated"))),
                B::S(input.ico_reference.trim().to_string()),
                B::S(input.dhsc_reference.trim().to_string()),
                B::S(input.late_reasons.trim().to_string()),
            ],
        )
        .await
    }

    /// The decision on telling the people affected and its reasons, either way (Art 34).
    pub async fn decide_telling(
        &self,
        caller: &Caller,
        permit: &Permit<ops::Change>,
        input: &TellPeopleInput,
    ) -> CoreResult<Incident> {
        let mut e = FieldErrors::default();
        let tell = match input.tell.as_str() {
            "yes" => Some(true),
            "no" => Some(false),
            _ => {
                e.add("tell", "Say whether the people affected will be told");
                None
            }
        };
        if input.reasons.trim().is_empty() {
            e.add(
                "reasons",
                "Give the reasons for the decision (UK GDPR Article 34)",
            );
        }
        if !input.exception.is_empty() {
            if !TELL_EXCEPTIONS.iter().any(|(c, _)| *c == input.exception) {
                e.add("exception", "Choose an exception from the list");
            } else if tell == Some(true) {
                e.add(
                    "exception",
                    "An exception is only relied on when the people affected are not told",
                );
            }
        }
        e.into_result()?;
        self.save(
            caller,
            permit,
            None,
            "decision on telling the people affected",
            "UPDATE incidents SET tell_people = $1, tell_people_reasons = $2, tell_people_exception = $3, version = version + 1, updated_at = $4 WHERE id = $5",
            vec![
                B::I(tell.expect("validated") as i64),
                B::S(input.reasons.trim().to_string()),
                B::S(input.exception.clone()),
            ],
        )
        .await
    }

    /// Closes the incident with its root cause and lesson. A reportable incident must have
    /// its notification and the decision on telling people recorded first.
    pub async fn close(
        &self,
        caller: &Caller,
        permit: &Permit<ops::Change>,
        input: &CloseInput,
    ) -> CoreResult<Incident> {
        let current = self.incident(&permit.as_read()).await?;
        // Steps out of order are a conflict with the incident's state (409), checked before
        // the fields (422).
        if current.status == "closed" {
            return Err(CoreError::Conflict("The incident is already closed".into()));
        }
        if current.status == "reported" {
            return Err(CoreError::Conflict(
                "Grade the incident on the breach assessment grid before closing it".into(),
            ));
        }
        if current.notification_owed() {
            return Err(CoreError::Conflict(
                "The incident is reportable: record the notification to the ICO before closing it"
                    .into(),
            ));
        }
        if current.reportable == Some(true) && current.tell_people.is_none() {
            return Err(CoreError::Conflict(
                "Record the decision on telling the people affected before closing it".into(),
            ));
        }
        let mut e = FieldErrors::default();
        if input.root_cause.trim().is_empty() {
            e.add("root_cause", "Describe the root cause");
        }
        if input.lesson.trim().is_empty() {
            e.add("lesson", "Write the lesson learned");
        }
        e.into_result()?;
        self.save(
            caller,
            permit,
            None,
            "closed",
            "UPDATE incidents SET root_cause = $1, lesson = $2, closed_by = $3, closed_at = $4, status = 'closed', version = version + 1, updated_at = $5 WHERE id = $6",
            vec![
                B::S(input.root_cause.trim().to_string()),
                B::S(input.lesson.trim().to_string()),
                B::S(caller.user_id.clone()),
                B::S(now_stamp()),
            ],
        )
        .await
    }

    /// The DPO publishes an anonymised lesson from a closed incident for the cluster's
    /// incident learning. Refused, with what was found, when it still holds a person's name,
    /// an NHS number, a phone number or an address.
    pub async fn publish_lesson(
        &self,
        caller: &Caller,
        permit: &Permit<ops::Change>,
        input: &LessonInput,
    ) -> CoreResult<Incident> {
        // The permit is for publishing lessons (the DPO's), not for changing the incident.
        if permit.kind() != Kind::IncidentLesson {
            return Err(CoreError::Forbidden);
        }
        let current = self.incident(&permit.as_read()).await?;
        if current.status != "closed" {
            return Err(CoreError::Conflict(
                "Only a closed incident's lesson can be published".into(),
            ));
        }
        let text = input.lesson.trim();
        if text.is_empty() {
            return Err(CoreError::invalid(
                "lesson",
                "Write the lesson as it will be shared with the cluster",
            ));
        }
        let findings = self.check_lesson(&current, text);
        if !findings.is_empty() {
            let mut e = FieldErrors::default();
            for f in findings {
                e.add(
                    "lesson",
                    format!(
                        "The lesson still holds {}: \u{201c}{}\u{201d}. Remove it before publishing",
                        f.what, f.text
                    ),
                );
            }
            return Err(CoreError::Invalid(e));
        }
        self.save(
            caller,
            permit,
            None,
            "lesson published for the cluster",
            "UPDATE incidents SET published_lesson = $1, lesson_published_by = $2, lesson_published_at = $3, version = version + 1, updated_at = $4 WHERE id = $5",
            vec![
                B::S(text.to_string()),
                B::S(caller.user_id.clone()),
                B::S(now_stamp()),
            ],
        )
        .await
    }

    /// What the lesson check finds, with the incident's people as the third parties.
    pub fn check_lesson(&self, incident: &Incident, text: &str) -> Vec<crate::Finding> {
        let people: Vec<String> = incident
            .people_names
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect();
        check_lesson(text, &people, crate::redaction_rules())
    }

    /// Incidents opened from a record (an access-audit case, a rights request).
    pub async fn opened_from(
        &self,
        permit: &Permit<ops::Read>,
    ) -> CoreResult<Vec<(String, String)>> {
        let rows = steward_db::query(
            "SELECT id, reference FROM incidents WHERE source_record_type = $1 AND source_record_id = $2 ORDER BY reference",
        )
        .bind(permit.kind().code())
        .bind(permit.id())
        .fetch_all(&self.steward.db.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("id")?, r.try_get("reference")?)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quarters_run_three_months() {
        let d = |y, m, day| chrono::NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(quarter_of(d(2026, 12, 6)), "2026-Q4");
        assert_eq!(quarter_of(d(2026, 1, 1)), "2026-Q1");
        assert_eq!(
            quarter_bounds("2026-Q4"),
            Some((d(2026, 10, 1), d(2027, 1, 1)))
        );
        assert_eq!(
            quarter_bounds("2026-Q2"),
            Some((d(2026, 4, 1), d(2026, 7, 1)))
        );
        assert_eq!(quarter_bounds("2026-Q5"), None);
        assert_eq!(quarter_bounds("Q4"), None);
        assert_eq!(quarter_label("2026-Q4"), "October to December 2026");
    }

    #[test]
    fn stored_times_show_in_uk_time() {
        assert_eq!(uk("2026-07-10T08:30:00.000000Z"), "10 July 2026 at 09:30");
        assert_eq!(uk_input("2026-01-10T08:30:00.000000Z"), "2026-01-10T08:30");
    }
}
