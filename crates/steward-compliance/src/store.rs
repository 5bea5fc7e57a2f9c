//! What every write of the module does beside its own rows: the version kept for the record's
//! history and the entry on the audit trail, in the same transaction.

use chrono::NaiveDate;
use steward_core::records::record_version;
use steward_core::time::parse_iso_date;
use steward_core::trail::{append, TrailEntry};
use steward_core::{Caller, CoreError, CoreResult, FieldErrors, Kind};
use steward_db::{AnyRow, Row};

#[allow(clippy::too_many_arguments)]
pub async fn logged(
    tx: &mut steward_db::Tx<'static>,
    caller: &Caller,
    kind: Kind,
    id: &str,
    organisation_id: &str,
    version: i64,
    snapshot: &serde_json::Value,
    event: &str,
    detail: String,
) -> CoreResult<()> {
    record_version(
        tx,
        caller,
        kind.code(),
        id,
        organisation_id,
        version,
        snapshot,
    )
    .await?;
    let mut t = TrailEntry::for_record(caller, event, organisation_id, kind.code(), id);
    t.detail = detail;
    append(tx, &t).await?;
    Ok(())
}

pub fn date(r: &AnyRow, col: &str) -> CoreResult<NaiveDate> {
    let s: String = r.try_get(col)?;
    parse_iso_date(&s).ok_or_else(|| CoreError::Internal(format!("stored date {s:?} in {col}")))
}

pub fn opt_date(r: &AnyRow, col: &str) -> CoreResult<Option<NaiveDate>> {
    let s: Option<String> = r.try_get(col)?;
    Ok(s.as_deref().and_then(parse_iso_date))
}

/// A date typed as YYYY-MM-DD; the message names the field.
pub fn need_date(v: &str, field: &str, what: &str, e: &mut FieldErrors) -> Option<NaiveDate> {
    let d = parse_iso_date(v.trim());
    if d.is_none() {
        e.add(field, format!("Enter {what} as a real date"));
    }
    d
}

pub fn need_text(v: &str, field: &str, message: &str, e: &mut FieldErrors) -> String {
    if v.trim().is_empty() {
        e.add(field, message);
    }
    v.trim().to_string()
}

/// A member of staff of an organisation (active, working on records; not the auditor).
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct StaffMember {
    pub id: String,
    pub name: String,
    pub email: String,
    /// Role code.
    pub role: String,
    pub role_label: String,
}

pub async fn staff(
    steward: &steward_core::Steward,
    organisation_id: &str,
) -> CoreResult<Vec<StaffMember>> {
    let rows = steward_db::query(
        "SELECT id, display_name, email, role FROM users WHERE organisation_id = $1 AND active = 1 AND role NOT IN ('auditor', 'system_administrator') ORDER BY display_name",
    )
    .bind(organisation_id)
    .fetch_all(&steward.db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            let role: String = r.try_get("role")?;
            Ok(StaffMember {
                id: r.try_get("id")?,
                name: r.try_get("display_name")?,
                email: r.try_get("email")?,
                role_label: steward_core::Role::parse(&role)
                    .map(|x| x.label().to_string())
                    .unwrap_or_default(),
                role,
            })
        })
        .collect()
}

/// Counts of a table's rows in an organisation, with an extra condition (no binds).
pub async fn count(
    steward: &steward_core::Steward,
    sql_from_where: &str,
    organisation_id: &str,
    since: &str,
) -> CoreResult<i64> {
    Ok(
        steward_db::query_scalar(&format!("SELECT COUNT(*) {sql_from_where}"))
            .bind(organisation_id)
            .bind(since)
            .fetch_one(&steward.db.pool)
            .await?,
    )
}
