//! The registers over Steward's storage: one code path for every register, driven by its
//! field list ([`crate::fields`]). Each function asks the gate for a permit first; every
//! change is a version with who and when, and is on the audit trail.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use steward_core::actions::ActionInput;
use steward_core::gate::{ops, Kind, Op, Permit};
use steward_core::records::record_version;
use steward_core::time::{iso_date, now_stamp};
use steward_core::trail::{append, TrailEntry};
use steward_core::{Caller, CoreError, CoreResult, FieldErrors, Steward};
use steward_db::{AnyRow, Row, Tx};

use crate::fields::{parse_date, validate, Problem, Register, RegisterDef, Ty};
use crate::{rules, Rules};

pub const PAGE_SIZE: i64 = 50;
/// Days before an agreement's expiry that the renewal action falls due.
pub const RENEWAL_NOTICE_DAYS: i64 = 60;

pub fn kind_of(register: Register) -> Kind {
    Kind::parse(register.def().kind).expect("every register's kind is on the gate")
}

/// One record of a register.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Entry {
    pub id: String,
    pub register: Register,
    pub organisation_id: String,
    pub reference: String,
    pub name: String,
    /// The stored values by field: codes for choices, YYYY-MM-DD dates, "yes"/"no",
    /// levels 1-5, linked record ids one per line.
    pub values: BTreeMap<String, String>,
    /// The master log activity a processing activity follows.
    pub template_id: Option<String>,
    pub template_version: Option<i64>,
    /// The sharing project a processing activity came with.
    pub project_id: Option<String>,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

impl Entry {
    pub fn value(&self, field: &str) -> &str {
        self.values.get(field).map(String::as_str).unwrap_or("")
    }
    /// Likelihood x impact, for assets.
    pub fn risk_score(&self) -> Option<i64> {
        let l: i64 = self.value("risk_likelihood").parse().ok()?;
        let i: i64 = self.value("risk_impact").parse().ok()?;
        Some(l * i)
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EntryPage {
    pub items: Vec<Entry>,
    pub total: i64,
    pub page: i64,
    /// How many items a page holds.
    pub size: i64,
    pub pages: i64,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct EntryQuery {
    /// Words in the name, reference or main text.
    pub q: Option<String>,
    /// The page, from 1 (default 1); past the last, the last.
    #[param(minimum = 1)]
    pub page: Option<i64>,
    /// How many items a page holds (default 50, at most 500).
    #[param(minimum = 1, maximum = 500)]
    pub size: Option<i64>,
}

/// One change of an asset's risk score.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RiskChange {
    pub at: String,
    pub user_name: String,
    pub before: Option<i64>,
    pub after: i64,
    pub likelihood: i64,
    pub impact: i64,
    pub reason: String,
}

/// Where a new processing activity comes from (the master log, a project).
#[derive(Debug, Clone, Default)]
pub struct Origin {
    pub template_id: Option<String>,
    pub template_version: Option<i64>,
    pub project_id: Option<String>,
}

pub struct Registers<'a> {
    pub steward: &'a Steward,
    pub rules: Arc<Rules>,
}

pub fn registers(steward: &Steward) -> Registers<'_> {
    Registers {
        steward,
        rules: rules(steward),
    }
}

pub fn problems_to_errors(problems: Vec<Problem>) -> FieldErrors {
    let mut e = FieldErrors::default();
    for p in problems {
        e.add(&p.field, p.message);
    }
    e
}

fn columns(def: &RegisterDef) -> Vec<&'static str> {
    def.fields.iter().map(|f| f.name).collect()
}

pub(crate) fn entry_from_row(def: &RegisterDef, r: &AnyRow) -> CoreResult<Entry> {
    let mut values = BTreeMap::new();
    for f in def.fields {
        let v = match f.ty {
            Ty::YesNo => match r.try_get::<Option<i64>, _>(f.name)? {
                Some(1) => "yes".to_string(),
                Some(_) => "no".to_string(),
                None => String::new(),
            },
            Ty::Level => r
                .try_get::<Option<i64>, _>(f.name)?
                .map(|n| n.to_string())
                .unwrap_or_default(),
            _ => r.try_get::<String, _>(f.name)?,
        };
        values.insert(f.name.to_string(), v);
    }
    let processing = def.register == Register::Processing;
    Ok(Entry {
        id: r.try_get("id")?,
        register: def.register,
        organisation_id: r.try_get("organisation_id")?,
        reference: r.try_get("reference")?,
        name: r.try_get("name")?,
        values,
        template_id: if processing {
            r.try_get("template_id")?
        } else {
            None
        },
        template_version: if processing {
            r.try_get("template_version")?
        } else {
            None
        },
        project_id: if processing {
            r.try_get("project_id")?
        } else {
            None
        },
        version: r.try_get("version")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

fn bind_value<'q>(q: AnyQuery<'q>, ty: Ty, v: &str) -> AnyQuery<'q> {
    match ty {
        Ty::YesNo => q.bind(match v {
            "yes" => Some(1i64),
            "no" => Some(0i64),
            _ => None,
        }),
        Ty::Level => q.bind(v.parse::<i64>().ok()),
        _ => q.bind(v.to_string()),
    }
}

/// The DPO service's organisation of the cluster an organisation belongs to (it holds the
/// master log, the county's sharing partners and the sharing projects).
pub async fn dpo_organisation(
    steward: &Steward,
    organisation_id: &str,
) -> CoreResult<Option<String>> {
    Ok(steward_db::query_scalar(
        "SELECT d.id FROM organisations o JOIN organisations d ON d.cluster_id = o.cluster_id AND d.kind = 'dpo_service' WHERE o.id = $1 ORDER BY d.created_at LIMIT 1",
    )
    .bind(organisation_id)
    .fetch_optional(&steward.db.pool)
    .await?)
}

impl Registers<'_> {
    /// Checks the values of an entry: the field rules, then that every linked record exists
    /// where it may be linked from (partners of the organisation or of its DPO service;
    /// assets of the organisation; master log activities of the DPO service).
    pub async fn check(
        &self,
        organisation_id: &str,
        register: Register,
        input: &BTreeMap<String, String>,
    ) -> CoreResult<(BTreeMap<String, String>, Vec<Problem>)> {
        let def = register.def();
        let (values, mut problems) = validate(def, &self.rules, input);
        let dpo = dpo_organisation(self.steward, organisation_id).await?;
        for f in def.fields.iter().filter(|f| f.ty.links()) {
            let ids: Vec<String> = values
                .get(f.name)
                .map(|v| v.lines().map(str::to_string).collect())
                .unwrap_or_default();
            for id in ids {
                let (table, from_dpo_only) = match f.ty {
                    Ty::Partners => ("sharing_partners", false),
                    Ty::Assets => ("information_assets", false),
                    _ => ("activity_templates", true),
                };
                let owner: Option<String> = steward_db::query_scalar(&format!(
                    "SELECT organisation_id FROM {table} WHERE id = $1"
                ))
                .bind(&id)
                .fetch_optional(&self.steward.db.pool)
                .await?;
                let ok = match owner {
                    Some(o) if from_dpo_only => Some(&o) == dpo.as_ref(),
                    Some(o) => o == organisation_id || Some(&o) == dpo.as_ref(),
                    None => false,
                };
                if !ok {
                    problems.push(Problem {
                        field: f.name.into(),
                        message: format!("Choose {} from the list", f.label.to_lowercase()),
                    });
                    break;
                }
            }
        }
        self.check_retention_and_dpia(organisation_id, dpo.as_deref(), def, values, problems)
            .await
    }

    /// A retention row is a row of the schedule (its code, or its record type as a
    /// spreadsheet names it); a DPIA is one of the organisation's or of its DPO service's
    /// (by id, or by its reference or title as a spreadsheet names it). Anything else is
    /// refused, saying why.
    async fn check_retention_and_dpia(
        &self,
        organisation_id: &str,
        dpo: Option<&str>,
        def: &RegisterDef,
        mut values: BTreeMap<String, String>,
        mut problems: Vec<Problem>,
    ) -> CoreResult<(BTreeMap<String, String>, Vec<Problem>)> {
        for f in def.fields {
            let raw = values.get(f.name).cloned().unwrap_or_default();
            if raw.is_empty() {
                continue;
            }
            match f.ty {
                Ty::Retention => {
                    let compliance = steward_compliance::rules(self.steward);
                    match retention_row(&compliance.schedule, &raw) {
                        Some(code) => {
                            values.insert(f.name.into(), code);
                        }
                        None => problems.push(Problem {
                            field: f.name.into(),
                            message: format!(
                                "{} \"{raw}\" is not a record type of the retention schedule",
                                f.label
                            ),
                        }),
                    }
                }
                Ty::Dpia => {
                    let found: Option<(String, String)> = steward_db::query_as(
                        "SELECT id, organisation_id FROM dpias WHERE id = $1 OR ((organisation_id = $2 OR organisation_id = $3) AND (LOWER(reference) = $4 OR LOWER(title) = $4)) ORDER BY created_at LIMIT 1",
                    )
                    .bind(&raw)
                    .bind(organisation_id)
                    .bind(dpo.unwrap_or(""))
                    .bind(raw.trim().to_lowercase())
                    .fetch_optional(&self.steward.db.pool)
                    .await?;
                    match found {
                        Some((id, owner)) if owner == organisation_id || Some(owner.as_str()) == dpo => {
                            values.insert(f.name.into(), id);
                        }
                        Some(_) => problems.push(Problem {
                            field: f.name.into(),
                            message: "That DPIA belongs to another organisation: choose one of this organisation's DPIAs or one of its DPO service's".into(),
                        }),
                        None => problems.push(Problem {
                            field: f.name.into(),
                            message: format!("There is no DPIA \"{raw}\" of this organisation or of its DPO service"),
                        }),
                    }
                }
                _ => {}
            }
        }
        Ok((values, problems))
    }

    pub(crate) async fn insert(
        &self,
        tx: &mut Tx<'static>,
        caller: &Caller,
        organisation_id: &str,
        register: Register,
        values: &BTreeMap<String, String>,
        origin: &Origin,
    ) -> CoreResult<Entry> {
        let def = register.def();
        let id = uuid::Uuid::new_v4().to_string();
        let now = now_stamp();
        let n: i64 = steward_db::query_scalar(&format!(
            "SELECT COUNT(*) FROM {} WHERE organisation_id = $1",
            def.table
        ))
        .bind(organisation_id)
        .fetch_one(&mut **tx)
        .await?;
        let reference = format!("{}-{:04}", def.prefix, n + 1);
        let mut cols = vec![
            "id",
            "organisation_id",
            "reference",
            "created_by",
            "created_at",
            "updated_at",
            "version",
        ];
        cols.extend(columns(def));
        if register == Register::Processing {
            cols.extend(["template_id", "template_version", "project_id"]);
        }
        let marks: Vec<String> = (1..=cols.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "INSERT INTO {} ({}) VALUES ({})",
            def.table,
            cols.join(", "),
            marks.join(", ")
        );
        let mut q = steward_db::query(&sql)
            .bind(id.clone())
            .bind(organisation_id.to_string())
            .bind(reference.clone())
            .bind(caller.user_id.clone())
            .bind(now.clone())
            .bind(now.clone())
            .bind(1i64);
        for f in def.fields {
            q = bind_value(
                q,
                f.ty,
                values.get(f.name).map(String::as_str).unwrap_or(""),
            );
        }
        if register == Register::Processing {
            q = q
                .bind(origin.template_id.clone())
                .bind(origin.template_version)
                .bind(origin.project_id.clone());
        }
        q.execute(&mut **tx).await?;
        let entry = self.load_in(tx, register, &id).await?;
        record_version(
            tx,
            caller,
            def.kind,
            &id,
            organisation_id,
            1,
            &self.snapshot(&entry).await?,
        )
        .await?;
        let mut t = TrailEntry::for_record(caller, "record.create", organisation_id, def.kind, &id);
        t.detail = format!("{} {}", entry.reference, entry.name);
        append(tx, &t).await?;
        if register == Register::Assets {
            self.score_change(tx, caller, &entry, None, "first scored")
                .await?;
        }
        Ok(entry)
    }

    pub(crate) async fn update_in(
        &self,
        tx: &mut Tx<'static>,
        caller: &Caller,
        before: &Entry,
        values: &BTreeMap<String, String>,
        template_version: Option<i64>,
        reason: &str,
    ) -> CoreResult<Entry> {
        let def = before.register.def();
        let mut sets: Vec<String> = def
            .fields
            .iter()
            .enumerate()
            .map(|(i, f)| format!("{} = ${}", f.name, i + 1))
            .collect();
        let n = def.fields.len();
        sets.push(format!("updated_at = ${}", n + 1));
        sets.push("version = version + 1".into());
        if template_version.is_some() {
            sets.push(format!("template_version = ${}", n + 3));
        }
        let sql = format!(
            "UPDATE {} SET {} WHERE id = ${}",
            def.table,
            sets.join(", "),
            n + 2
        );
        let mut q = steward_db::query(&sql);
        for f in def.fields {
            q = bind_value(
                q,
                f.ty,
                values.get(f.name).map(String::as_str).unwrap_or(""),
            );
        }
        q = q.bind(now_stamp()).bind(before.id.clone());
        if let Some(v) = template_version {
            q = q.bind(v);
        }
        q.execute(&mut **tx).await?;
        let after = self.load_in(tx, before.register, &before.id).await?;
        record_version(
            tx,
            caller,
            def.kind,
            &after.id,
            &after.organisation_id,
            after.version,
            &self.snapshot(&after).await?,
        )
        .await?;
        let mut t = TrailEntry::for_record(
            caller,
            "record.update",
            &after.organisation_id,
            def.kind,
            &after.id,
        );
        t.detail = format!("{} {}", after.reference, after.name);
        append(tx, &t).await?;
        if before.register == Register::Assets
            && (before.value("risk_likelihood") != after.value("risk_likelihood")
                || before.value("risk_impact") != after.value("risk_impact"))
        {
            self.score_change(tx, caller, &after, Some(before), reason)
                .await?;
        }
        Ok(after)
    }

    async fn score_change(
        &self,
        tx: &mut Tx<'static>,
        caller: &Caller,
        after: &Entry,
        before: Option<&Entry>,
        reason: &str,
    ) -> CoreResult<()> {
        let num = |e: &Entry, k: &str| e.value(k).parse::<i64>().ok();
        steward_db::query(
            "INSERT INTO asset_risk_changes (id, asset_id, organisation_id, at, user_id, before_likelihood, before_impact, likelihood, impact, reason) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(&after.id)
        .bind(&after.organisation_id)
        .bind(now_stamp())
        .bind(&caller.user_id)
        .bind(before.and_then(|b| num(b, "risk_likelihood")))
        .bind(before.and_then(|b| num(b, "risk_impact")))
        .bind(num(after, "risk_likelihood").unwrap_or(0))
        .bind(num(after, "risk_impact").unwrap_or(0))
        .bind(if reason.trim().is_empty() { "changed when the asset was edited" } else { reason.trim() })
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    pub(crate) async fn load_in(
        &self,
        tx: &mut Tx<'static>,
        register: Register,
        id: &str,
    ) -> CoreResult<Entry> {
        let def = register.def();
        let row = steward_db::query(&format!("SELECT * FROM {} WHERE id = $1", def.table))
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?
            .ok_or(CoreError::NotFound)?;
        entry_from_row(def, &row)
    }

    pub(crate) async fn load(&self, register: Register, id: &str) -> CoreResult<Entry> {
        let def = register.def();
        let row = steward_db::query(&format!("SELECT * FROM {} WHERE id = $1", def.table))
            .bind(id)
            .fetch_optional(&self.steward.db.pool)
            .await?
            .ok_or(CoreError::NotFound)?;
        entry_from_row(def, &row)
    }

    /// The values as people read them, for the record's history.
    /// The entry in words, field label to value, for its history and for comparing it with
    /// its template: linked records (partners, assets, master-log activities, DPIAs) by
    /// name, never by id.
    pub async fn snapshot(&self, e: &Entry) -> CoreResult<serde_json::Value> {
        let def = e.register.def();
        let mut m = serde_json::Map::new();
        for f in def.fields {
            let v = e.value(f.name);
            let shown = if (f.ty.links() || f.ty == Ty::Dpia) && !v.is_empty() {
                let names = self.names(f.ty, v).await?;
                names
                    .into_iter()
                    .map(|(_, n)| n)
                    .collect::<Vec<_>>()
                    .join("; ")
            } else {
                self.shown_plain(f.ty, v)
            };
            m.insert(f.label.to_string(), serde_json::Value::String(shown));
        }
        Ok(serde_json::Value::Object(m))
    }

    /// A stored value in words, without looking up linked records (their ids are shown).
    pub fn shown_plain(&self, ty: Ty, v: &str) -> String {
        if v.is_empty() {
            return String::new();
        }
        match ty {
            Ty::Choice(list) => self.rules.label(list, v),
            Ty::Checklist(list) => v
                .lines()
                .map(|c| self.rules.label(list, c))
                .collect::<Vec<_>>()
                .join("; "),
            Ty::Date => parse_date(v)
                .map(steward_core::time::long_date)
                .unwrap_or_else(|| v.to_string()),
            Ty::YesNo => if v == "yes" { "Yes" } else { "No" }.to_string(),
            Ty::Retention => steward_compliance::rules(self.steward)
                .schedule
                .get(v)
                .map(|r| format!("{}: {}", r.label, r.period()))
                .unwrap_or_else(|| v.to_string()),
            _ => v.to_string(),
        }
    }

    /// Names of linked records by id (partners, assets, master log activities).
    pub async fn names(&self, ty: Ty, ids: &str) -> CoreResult<Vec<(String, String)>> {
        let table = match ty {
            Ty::Partners => "sharing_partners",
            Ty::Assets => "information_assets",
            Ty::Template => "activity_templates",
            Ty::Dpia => {
                let mut out = Vec::new();
                for id in ids.lines().filter(|l| !l.is_empty()) {
                    let d: Option<(String, String)> =
                        steward_db::query_as("SELECT reference, title FROM dpias WHERE id = $1")
                            .bind(id)
                            .fetch_optional(&self.steward.db.pool)
                            .await?;
                    if let Some((reference, title)) = d {
                        out.push((id.to_string(), format!("{reference}: {title}")));
                    }
                }
                return Ok(out);
            }
            _ => return Ok(vec![]),
        };
        let mut out = Vec::new();
        for id in ids.lines().filter(|l| !l.is_empty()) {
            let name: Option<String> =
                steward_db::query_scalar(&format!("SELECT name FROM {table} WHERE id = $1"))
                    .bind(id)
                    .fetch_optional(&self.steward.db.pool)
                    .await?;
            if let Some(n) = name {
                out.push((id.to_string(), n));
            }
        }
        Ok(out)
    }

    /// Creates an entry in an organisation's register.
    pub async fn create(
        &self,
        caller: &Caller,
        organisation_id: &str,
        register: Register,
        input: &BTreeMap<String, String>,
        today: NaiveDate,
    ) -> CoreResult<Entry> {
        self.steward
            .permit_in(caller, kind_of(register), Op::Create, organisation_id)?;
        let (values, problems) = self.check(organisation_id, register, input).await?;
        problems_to_errors(problems).into_result()?;
        let mut w = self.steward.write().await?;
        let e = self
            .insert(
                &mut w.tx,
                caller,
                organisation_id,
                register,
                &values,
                &Origin::default(),
            )
            .await?;
        w.commit().await?;
        self.after_change(caller, &e, today).await?;
        Ok(e)
    }

    /// One entry: the permit recorded the read.
    pub async fn entry(&self, permit: &Permit<ops::Read>, register: Register) -> CoreResult<Entry> {
        if permit.kind() != kind_of(register) {
            return Err(CoreError::NotFound);
        }
        self.load(register, permit.id()).await
    }

    pub async fn update(
        &self,
        caller: &Caller,
        permit: &Permit<ops::Change>,
        register: Register,
        input: &BTreeMap<String, String>,
        today: NaiveDate,
    ) -> CoreResult<Entry> {
        if permit.kind() != kind_of(register) {
            return Err(CoreError::NotFound);
        }
        let (values, problems) = self
            .check(permit.organisation_id(), register, input)
            .await?;
        problems_to_errors(problems).into_result()?;
        let reason = input.get("risk_reason").cloned().unwrap_or_default();
        let mut w = self.steward.write().await?;
        let before = self.load_in(&mut w.tx, register, permit.id()).await?;
        let after = self
            .update_in(&mut w.tx, caller, &before, &values, None, &reason)
            .await?;
        w.commit().await?;
        self.after_change(caller, &after, today).await?;
        Ok(after)
    }

    /// An agreement's review and expiry dates become actions, due before them (once each).
    async fn after_change(&self, caller: &Caller, e: &Entry, today: NaiveDate) -> CoreResult<()> {
        if e.register != Register::Agreements {
            return Ok(());
        }
        let mut wanted = vec![];
        if let Some(d) = parse_date(e.value("review_date")) {
            wanted.push((
                format!("Review the {} ({})", e.name, e.reference),
                d,
                format!(
                    "The agreement is due for review on {}.",
                    steward_core::time::long_date(d)
                ),
            ));
        }
        if let Some(d) = parse_date(e.value("expiry_date")) {
            wanted.push((
                format!("Renew or end the {} before it expires ({})", e.name, e.reference),
                (d - Duration::days(RENEWAL_NOTICE_DAYS)).max(today),
                format!(
                    "The agreement expires on {}: agree a renewal with the parties, or record that it ends.",
                    steward_core::time::long_date(d)
                ),
            ));
        }
        for (title, due, description) in wanted {
            let exists: i64 = steward_db::query_scalar(
                "SELECT COUNT(*) FROM actions WHERE source_record_type = $1 AND source_record_id = $2 AND title = $3 AND status IN ('open', 'in_progress')",
            )
            .bind(Register::Agreements.def().kind)
            .bind(&e.id)
            .bind(&title)
            .fetch_one(&self.steward.db.pool)
            .await?;
            if exists > 0 {
                continue;
            }
            let owner = self.action_owner(caller, &e.organisation_id).await?;
            let Some(owner) = owner else { continue };
            self.steward
                .create_action(
                    caller,
                    &e.organisation_id,
                    &ActionInput {
                        title,
                        description,
                        owner_id: owner,
                        due_date: iso_date(due),
                        status: None,
                        source_record_type: Some(Register::Agreements.def().kind.into()),
                        source_record_id: Some(e.id.clone()),
                    },
                )
                .await?;
        }
        Ok(())
    }

    /// Who owns an action raised by a register: the organisation's IG lead, else the
    /// person making the change, else the cluster's DPO.
    async fn action_owner(
        &self,
        caller: &Caller,
        organisation_id: &str,
    ) -> CoreResult<Option<String>> {
        let people = self
            .steward
            .assignable_people(caller, organisation_id)
            .await?;
        let ig: Option<String> = steward_db::query_scalar(
            "SELECT id FROM users WHERE organisation_id = $1 AND role = 'ig_lead' AND active = 1 ORDER BY created_at LIMIT 1",
        )
        .bind(organisation_id)
        .fetch_optional(&self.steward.db.pool)
        .await?;
        Ok(ig
            .filter(|i| people.iter().any(|p| &p.id == i))
            .or_else(|| {
                people
                    .iter()
                    .find(|p| p.id == caller.user_id)
                    .map(|p| p.id.clone())
            })
            .or_else(|| people.first().map(|p| p.id.clone())))
    }

    /// The register of an organisation, searched and paged.
    pub async fn list(
        &self,
        caller: &Caller,
        organisation_id: &str,
        register: Register,
        q: &EntryQuery,
    ) -> CoreResult<EntryPage> {
        self.steward
            .permit_in(caller, kind_of(register), Op::List, organisation_id)?;
        self.list_unchecked(organisation_id, register, q).await
    }

    pub(crate) async fn list_unchecked(
        &self,
        organisation_id: &str,
        register: Register,
        q: &EntryQuery,
    ) -> CoreResult<EntryPage> {
        let def = register.def();
        let mut cond = vec!["organisation_id = $1".to_string()];
        if register == Register::Processing {
            cond.push("removed_at IS NULL".into());
        }
        let words = q.q.clone().unwrap_or_default().trim().to_lowercase();
        if !words.is_empty() {
            cond.push(search_condition(def));
        }
        let wh = cond.join(" AND ");
        let like = format!("%{}%", words.replace(['%', '_'], ""));
        let count_sql = format!("SELECT COUNT(*) FROM {} WHERE {wh}", def.table);
        let mut count = steward_db::query_scalar(&count_sql).bind(organisation_id);
        if !words.is_empty() {
            count = count.bind(like.clone());
        }
        let total: i64 = count.fetch_one(&self.steward.db.pool).await?;
        let paging =
            steward_core::paging::Paging::lenient(q.page, q.size, PAGE_SIZE).at_most(total);
        let (page, size, pages) = (paging.page, paging.size, paging.pages(total));
        let sql = format!(
            "SELECT * FROM {} WHERE {wh} ORDER BY reference LIMIT {size} OFFSET {}",
            def.table,
            paging.offset()
        );
        let mut rows = steward_db::query(&sql).bind(organisation_id);
        if !words.is_empty() {
            rows = rows.bind(like);
        }
        let items = rows
            .fetch_all(&self.steward.db.pool)
            .await?
            .iter()
            .map(|r| entry_from_row(def, r))
            .collect::<CoreResult<Vec<_>>>()?;
        Ok(EntryPage {
            items,
            total,
            page,
            size,
            pages,
        })
    }

    /// Every entry of a register of an organisation (exports, the notice).
    pub(crate) async fn all(
        &self,
        organisation_id: &str,
        register: Register,
    ) -> CoreResult<Vec<Entry>> {
        let def = register.def();
        let removed = if register == Register::Processing {
            " AND removed_at IS NULL"
        } else {
            ""
        };
        steward_db::query(&format!(
            "SELECT * FROM {} WHERE organisation_id = $1{removed} ORDER BY reference",
            def.table
        ))
        .bind(organisation_id)
        .fetch_all(&self.steward.db.pool)
        .await?
        .iter()
        .map(|r| entry_from_row(def, r))
        .collect()
    }

    /// The history of an asset's risk score.
    pub async fn risk_changes(&self, permit: &Permit<ops::Read>) -> CoreResult<Vec<RiskChange>> {
        let rows = steward_db::query(
            "SELECT c.*, u.display_name AS user_name FROM asset_risk_changes c LEFT JOIN users u ON u.id = c.user_id WHERE c.asset_id = $1 ORDER BY c.at",
        )
        .bind(permit.id())
        .fetch_all(&self.steward.db.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let bl: Option<i64> = r.try_get("before_likelihood")?;
                let bi: Option<i64> = r.try_get("before_impact")?;
                let l: i64 = r.try_get("likelihood")?;
                let i: i64 = r.try_get("impact")?;
                Ok(RiskChange {
                    at: r.try_get("at")?,
                    user_name: r
                        .try_get::<Option<String>, _>("user_name")?
                        .unwrap_or_else(|| "Steward".into()),
                    before: bl.zip(bi).map(|(a, b)| a * b),
                    after: l * i,
                    likelihood: l,
                    impact: i,
                    reason: r.try_get("reason")?,
                })
            })
            .collect()
    }

    /// The band of a risk score on the 5x5 matrix (the matrix is data, shared with the
    /// risk register).
    pub fn band(&self, score: i64) -> String {
        static MATRIX: std::sync::OnceLock<steward_assurance::Matrix> = std::sync::OnceLock::new();
        let m = MATRIX.get_or_init(steward_assurance::Matrix::embedded);
        u8::try_from(score)
            .ok()
            .and_then(|s| m.band_of(s))
            .map(|b| b.label.clone())
            .unwrap_or_default()
    }

    /// Searches every register the caller may list in the given organisations.
    pub async fn search(
        &self,
        caller: &Caller,
        organisation_ids: &[String],
        words: &str,
    ) -> CoreResult<Vec<SearchHit>> {
        let words = words.trim();
        if words.is_empty() {
            return Ok(vec![]);
        }
        let mut hits = Vec::new();
        for org in organisation_ids {
            for def in crate::REGISTERS.iter() {
                if self
                    .steward
                    .permit_in(caller, kind_of(def.register), Op::List, org)
                    .is_err()
                {
                    continue;
                }
                let page = self
                    .list_unchecked(
                        org,
                        def.register,
                        &EntryQuery {
                            q: Some(words.into()),
                            page: Some(1),
                            size: None,
                        },
                    )
                    .await?;
                for e in page.items {
                    hits.push(SearchHit {
                        register: def.register,
                        register_title: def.title.into(),
                        kind: def.kind.into(),
                        id: e.id,
                        reference: e.reference,
                        name: e.name,
                        organisation_id: org.clone(),
                    });
                }
            }
        }
        Ok(hits)
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SearchHit {
    pub register: Register,
    pub register_title: String,
    pub kind: String,
    pub id: String,
    pub reference: String,
    pub name: String,
    pub organisation_id: String,
}

/// The code of a row of the retention schedule, from its code or its record type (as a
/// spreadsheet names it), in any case.
pub fn retention_row(schedule: &steward_compliance::Schedule, typed: &str) -> Option<String> {
    let t = typed.trim();
    schedule
        .row
        .iter()
        .find(|r| r.code.eq_ignore_ascii_case(t) || r.label.eq_ignore_ascii_case(t))
        .map(|r| r.code.clone())
}

/// How long an activity's information is kept, in words: the linked schedule row's period
/// (with what it runs from, when the period does not say), then the note.
pub fn retention_words(
    schedule: &steward_compliance::Schedule,
    e: &BTreeMap<String, String>,
) -> String {
    let get = |k: &str| e.get(k).map(|s| s.trim()).unwrap_or("");
    let mut out = String::new();
    if let Some(row) = schedule.get(get("retention_row")) {
        let period = row.period();
        out = if matches!(
            row.rule,
            steward_compliance::retention::RuleKind::AfterStart
        ) {
            format!("{period} from {}", first_lower(&row.start))
        } else {
            period
        };
        out.push_str(&format!(
            " ({}, Records Management Code of Practice 2021)",
            first_lower(&row.label)
        ));
    }
    let note = get("retention");
    if !note.is_empty() {
        if out.is_empty() {
            out = note.to_string();
        } else {
            out = format!("{out}. {note}");
        }
    }
    out
}

fn first_lower(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) if !c.clone().next().is_some_and(|n| n.is_uppercase()) => {
            f.to_lowercase().collect::<String>() + c.as_str()
        }
        Some(f) => f.to_string() + c.as_str(),
        None => String::new(),
    }
}

/// Name, reference and the free-text fields, matched case-insensitively.
fn search_condition(def: &RegisterDef) -> String {
    let mut cols = vec!["reference"];
    cols.extend(
        def.fields
            .iter()
            .filter(|f| matches!(f.ty, Ty::Text | Ty::Long))
            .map(|f| f.name),
    );
    let parts: Vec<String> = cols.iter().map(|c| format!("LOWER({c}) LIKE $2")).collect();
    format!("({})", parts.join(" OR "))
}
