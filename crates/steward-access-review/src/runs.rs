//! Audit runs: an export (uploaded or a server folder), its mapping, the engine run in the
//! background with its progress stored, and the flags and cases it produced.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use steward_access_audit::time::fmt_ts;
use steward_access_audit::{Case as EngineCase, CaseKind, Dataset, Flag, Mapping, Progress, Rules};
use steward_core::records::clean_filename;
use steward_core::time::now_stamp;
use steward_core::trail::{append, TrailEntry};
use steward_core::{ops, Caller, CoreError, CoreResult, FieldErrors, Kind, Op};
use steward_db::{AnyRow, Row};

use crate::export::{list_files, ExportFile};
use crate::{
    internal, require_audit_read, require_audit_write, valid_period, AccessReview, RUN_RECORD,
};

/// Runs whose engine task is alive in this process. A run stored as "running" that is not
/// here was cut short by a restart, and the page says so instead of showing a frozen bar.
fn active_runs() -> &'static Mutex<HashSet<String>> {
    static ACTIVE: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();
    ACTIVE.get_or_init(Default::default)
}

fn is_active(id: &str) -> bool {
    active_runs()
        .lock()
        .map(|s| s.contains(id))
        .unwrap_or(false)
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RunProgress {
    pub pass: i64,
    pub passes: i64,
    /// Event rows read in this pass.
    pub events: i64,
    /// Rows of the events file: exact in the last pass, estimated from the file's size before.
    pub total: Option<i64>,
    /// `total` is an estimate (the first of two passes).
    pub estimated: bool,
    /// 0 to 100, for a progress bar.
    pub percent: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Run {
    pub id: String,
    pub organisation_id: String,
    pub organisation_name: String,
    /// The month audited, YYYY-MM.
    pub period: String,
    pub system_name: String,
    /// "upload" or "server_folder".
    pub source: String,
    /// uploaded, running, completed or failed.
    pub status: String,
    /// The server stopped while this run was going: start it again.
    pub interrupted: bool,
    pub progress: RunProgress,
    /// Events evaluated.
    pub events: i64,
    /// Event rows not evaluated (data issues).
    pub rejected: i64,
    /// Events explained by a care relationship of the user's team.
    pub explained: i64,
    pub explained_share: f64,
    pub flags: i64,
    pub cases: i64,
    /// Flags per rule (the contract's rule names).
    pub per_rule: BTreeMap<String, i64>,
    pub issues_total: i64,
    /// The first data issues, "file:line: reason".
    pub issues: Vec<String>,
    /// Why the run failed.
    pub error: Option<String>,
    pub mapping_id: Option<String>,
    pub created_by: String,
    pub created_at: String,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    /// When the uploaded export's files were deleted (the audit's results stay).
    pub export_deleted_at: Option<String>,
    #[serde(skip)]
    pub(crate) data_location: String,
    #[serde(skip)]
    pub(crate) mapping_toml: Option<String>,
}

impl Run {
    pub fn period_label(&self) -> String {
        crate::period_label(&self.period)
    }
    pub fn explained_percent(&self) -> String {
        format!("{:.1}%", 100.0 * self.explained_share)
    }
    /// The report's query string for this run's month.
    pub fn period_query(&self) -> String {
        let (y, m) = self.period.split_once('-').unwrap_or(("", ""));
        format!("period_month={}&period_year={y}", m.trim_start_matches('0'))
    }
}

/// A saved mapping for a source system.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SavedMapping {
    pub id: String,
    pub organisation_id: String,
    pub system_name: String,
    /// The engine's mapping file (TOML).
    pub mapping_toml: String,
    pub updated_at: String,
}

/// How a run's export is read.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum MappingChoice {
    /// The files are named after the canonical tables, with the canonical columns.
    Canonical,
    /// A mapping saved earlier for this organisation.
    Saved { mapping_id: String },
    /// A new mapping (saved under its system name, replacing one of the same name).
    New {
        system_name: String,
        mapping_toml: String,
    },
}

const RUN_SELECT: &str = "SELECT r.*, o.name AS organisation_name, u.display_name AS created_by_name FROM audit_runs r JOIN organisations o ON o.id = r.organisation_id LEFT JOIN users u ON u.id = r.created_by";

fn run_from_row(r: &AnyRow) -> CoreResult<Run> {
    let id: String = r.try_get("id")?;
    let status: String = r.try_get("status")?;
    let events: i64 = r.try_get("events")?;
    let explained: i64 = r.try_get("explained")?;
    let pass: i64 = r.try_get("progress_pass")?;
    let passes: i64 = r.try_get("progress_passes")?;
    let pe: i64 = r.try_get("progress_events")?;
    let total: Option<i64> = r.try_get("progress_total")?;
    let percent = if status == "completed" {
        100
    } else if passes > 0 && pass > 0 {
        // Earlier passes count whole; the first pass of two has an estimated total.
        let within = total
            .filter(|t| *t > 0)
            .map_or(0.0, |t| pe as f64 / t as f64);
        (((pass - 1) as f64 + within.min(1.0)) / passes as f64 * 100.0) as i64
    } else {
        0
    };
    let per_rule: BTreeMap<String, i64> =
        serde_json::from_str(&r.try_get::<String, _>("per_rule")?).unwrap_or_default();
    let issues: Vec<String> =
        serde_json::from_str(&r.try_get::<String, _>("issues")?).unwrap_or_default();
    Ok(Run {
        interrupted: status == "running" && !is_active(&id),
        id,
        organisation_id: r.try_get("organisation_id")?,
        organisation_name: r.try_get("organisation_name")?,
        period: r.try_get("period")?,
        system_name: r.try_get("system_name")?,
        source: r.try_get("source")?,
        status,
        progress: RunProgress {
            pass,
            passes,
            events: pe,
            total,
            estimated: pass < passes,
            percent,
        },
        events,
        rejected: r.try_get("rejected")?,
        explained,
        explained_share: if events > 0 {
            explained as f64 / events as f64
        } else {
            0.0
        },
        flags: r.try_get("flags")?,
        cases: r.try_get("cases")?,
        per_rule,
        issues_total: r.try_get("issues_total")?,
        issues,
        error: r.try_get("error")?,
        mapping_id: r.try_get("mapping_id")?,
        created_by: r
            .try_get::<Option<String>, _>("created_by_name")?
            .unwrap_or_default(),
        created_at: r.try_get("created_at")?,
        started_at: r.try_get("started_at")?,
        finished_at: r.try_get("finished_at")?,
        export_deleted_at: r.try_get("export_deleted_at")?,
        data_location: r.try_get("data_location")?,
        mapping_toml: r.try_get("mapping_toml")?,
    })
}

fn mapping_from_row(r: &AnyRow) -> CoreResult<SavedMapping> {
    Ok(SavedMapping {
        id: r.try_get("id")?,
        organisation_id: r.try_get("organisation_id")?,
        system_name: r.try_get("system_name")?,
        mapping_toml: r.try_get("mapping_toml")?,
        updated_at: r.try_get("updated_at")?,
    })
}

/// Files a person may upload as part of an export.
fn allowed_export_file(name: &str) -> bool {
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    matches!(ext.as_str(), "csv" | "parquet" | "txt")
}

/// Evidence as stored: the relationship the engine found, and the text of what matched.
pub(crate) fn evidence_json(f: &Flag) -> String {
    let (relationship, detail) = match f.evidence.strip_prefix("relationship=") {
        Some(rest) => match rest.split_once("; ") {
            Some((rel, d)) => (rel.to_string(), d.to_string()),
            None => (rest.to_string(), String::new()),
        },
        None => (String::new(), f.evidence.clone()),
    };
    serde_json::json!({ "rule": f.rule.name(), "relationship": relationship, "detail": detail })
        .to_string()
}

impl AccessReview {
    // ---- mappings ----

    pub async fn mappings(
        &self,
        caller: &Caller,
        organisation_id: &str,
    ) -> CoreResult<Vec<SavedMapping>> {
        require_audit_read(caller, organisation_id)?;
        let rows = steward_db::query(
            "SELECT * FROM audit_mappings WHERE organisation_id = $1 ORDER BY system_name",
        )
        .bind(organisation_id)
        .fetch_all(&self.steward.db.pool)
        .await?;
        rows.iter().map(mapping_from_row).collect()
    }

    async fn mapping_by_id(&self, id: &str) -> CoreResult<SavedMapping> {
        let row = steward_db::query("SELECT * FROM audit_mappings WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.steward.db.pool)
            .await?
            .ok_or(CoreError::NotFound)?;
        mapping_from_row(&row)
    }

    /// Saves a system's mapping (replacing the one of the same name): columns are mapped
    /// once per system, then chosen from a list.
    pub async fn save_mapping(
        &self,
        caller: &Caller,
        organisation_id: &str,
        system_name: &str,
        mapping_toml: &str,
    ) -> CoreResult<SavedMapping> {
        require_audit_write(caller, organisation_id)?;
        let system = system_name.trim();
        let mut errors = FieldErrors::default();
        if system.is_empty() {
            errors.add("system_name", "Enter the name of the clinical system");
        }
        if mapping_toml.trim().is_empty() {
            errors.add(
                "mapping_toml",
                "Enter the mapping: which column of the export holds each field",
            );
        } else if let Err(e) = Mapping::from_toml(mapping_toml) {
            errors.add("mapping_toml", format!("The mapping is not valid: {e:#}"));
        }
        errors.into_result()?;
        let now = now_stamp();
        let mut w = self.steward.write().await?;
        let existing: Option<String> = steward_db::query_scalar(
            "SELECT id FROM audit_mappings WHERE organisation_id = $1 AND system_name = $2",
        )
        .bind(organisation_id)
        .bind(system)
        .fetch_optional(&mut *w.tx)
        .await?;
        let id = match existing {
            Some(id) => {
                steward_db::query(
                    "UPDATE audit_mappings SET mapping_toml = $1, updated_at = $2 WHERE id = $3",
                )
                .bind(mapping_toml)
                .bind(&now)
                .bind(&id)
                .execute(&mut *w.tx)
                .await?;
                id
            }
            None => {
                let id = uuid::Uuid::new_v4().to_string();
                steward_db::query(
                    "INSERT INTO audit_mappings (id, organisation_id, system_name, mapping_toml, created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(&id)
                .bind(organisation_id)
                .bind(system)
                .bind(mapping_toml)
                .bind(&caller.user_id)
                .bind(&now)
                .bind(&now)
                .execute(&mut *w.tx)
                .await?;
                id
            }
        };
        let mut e = TrailEntry::for_caller(caller, "access_audit.mapping.save");
        e.organisation_id = Some(organisation_id.to_string());
        e.detail = format!("mapping for {system}");
        append(&mut w.tx, &e).await?;
        w.commit().await?;
        self.mapping_by_id(&id).await
    }

    // ---- runs ----

    async fn load_run(&self, id: &str) -> CoreResult<Run> {
        let sql = format!("{RUN_SELECT} WHERE r.id = $1");
        let row = steward_db::query(&sql)
            .bind(id)
            .fetch_optional(&self.steward.db.pool)
            .await?
            .ok_or(CoreError::NotFound)?;
        run_from_row(&row)
    }

    /// One run, as a person opens it (its cases name members of staff): the gate records the
    /// view in the audit trail.
    pub async fn run(&self, caller: &Caller, id: &str) -> CoreResult<Run> {
        self.steward
            .permit::<ops::Read>(caller, Kind::AccessAuditRun, id)
            .await?;
        self.load_run(id).await
    }

    /// One run inside another step (starting it, drawing a sample, waiting for it): the same
    /// decision, no separate view entry (the step has its own).
    pub(crate) async fn run_unlogged(&self, caller: &Caller, id: &str) -> CoreResult<Run> {
        self.steward
            .check(caller, Kind::AccessAuditRun, Op::Read, id)
            .await?;
        self.load_run(id).await
    }

    /// The runs of an organisation, newest first.
    pub async fn runs(&self, caller: &Caller, organisation_id: &str) -> CoreResult<Vec<Run>> {
        require_audit_read(caller, organisation_id)?;
        let sql = format!("{RUN_SELECT} WHERE r.organisation_id = $1 ORDER BY r.created_at DESC");
        let rows = steward_db::query(&sql)
            .bind(organisation_id)
            .fetch_all(&self.steward.db.pool)
            .await?;
        rows.iter().map(run_from_row).collect()
    }

    fn check_new_run(period: &str, system_name: &str) -> FieldErrors {
        let mut errors = FieldErrors::default();
        if period.trim().is_empty() {
            errors.add("period", "Enter the month the export covers");
        } else if !valid_period(period.trim()) {
            errors.add(
                "period",
                "The month must be a real month, for example 5 2025",
            );
        }
        if system_name.trim().chars().count() > 100 {
            errors.add(
                "system_name",
                "The system name must be 100 characters or fewer",
            );
        }
        errors
    }

    async fn insert_run(
        &self,
        caller: &Caller,
        organisation_id: &str,
        n: NewRun<'_>,
    ) -> CoreResult<Run> {
        let NewRun {
            id,
            period,
            system_name,
            source,
            location,
            detail,
        } = n;
        let mut w = self.steward.write().await?;
        steward_db::query(
            "INSERT INTO audit_runs (id, organisation_id, period, system_name, source, data_location, status, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, 'uploaded', $7, $8)",
        )
        .bind(id)
        .bind(organisation_id)
        .bind(period.trim())
        .bind(system_name.trim())
        .bind(source)
        .bind(location)
        .bind(&caller.user_id)
        .bind(now_stamp())
        .execute(&mut *w.tx)
        .await?;
        let mut e =
            TrailEntry::for_record(caller, "record.create", organisation_id, RUN_RECORD, id);
        e.detail = detail;
        append(&mut w.tx, &e).await?;
        w.commit().await?;
        self.load_run(id).await
    }

    /// A new run from uploaded files (CSV or Parquet), kept in the data folder.
    pub async fn create_run_from_upload(
        &self,
        caller: &Caller,
        organisation_id: &str,
        period: &str,
        system_name: &str,
        files: Vec<(String, Vec<u8>)>,
    ) -> CoreResult<Run> {
        require_audit_write(caller, organisation_id)?;
        let mut errors = Self::check_new_run(period, system_name);
        let files: Vec<(String, Vec<u8>)> = files
            .into_iter()
            .filter(|(n, b)| !n.is_empty() || !b.is_empty())
            .map(|(n, b)| (clean_filename(&n), b))
            .collect();
        if files.is_empty() {
            errors.add(
                "files",
                "Select the export's files, or enter a folder on the server",
            );
        }
        for (name, bytes) in &files {
            if !allowed_export_file(name) {
                errors.add("files", format!("{name} must be a CSV or Parquet file"));
            } else if bytes.is_empty() {
                errors.add("files", format!("{name} is empty"));
            }
        }
        let mut seen = HashSet::new();
        for (name, _) in &files {
            if !seen.insert(name.to_ascii_lowercase()) {
                errors.add("files", format!("{name} was selected twice"));
            }
        }
        errors.into_result()?;
        let id = uuid::Uuid::new_v4().to_string();
        let dir = self.upload_dir(organisation_id, &id);
        std::fs::create_dir_all(&dir)
            .map_err(|e| internal(format!("cannot create {}: {e}", dir.display())))?;
        let mut total = 0usize;
        for (name, bytes) in &files {
            std::fs::write(dir.join(name), bytes)
                .map_err(|e| internal(format!("cannot store {name}: {e}")))?;
            total += bytes.len();
        }
        let detail = format!(
            "export uploaded: {} ({total} bytes)",
            files
                .iter()
                .map(|(n, _)| n.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
        let location = dir.to_string_lossy();
        let n = NewRun {
            id: &id,
            period,
            system_name,
            source: "upload",
            location: &location,
            detail,
        };
        self.insert_run(caller, organisation_id, n).await
    }

    /// The organisation's own import folder: `<import_root>/<ODS code>/`. Each practice's
    /// exports are placed in its own folder, so an IG lead audits only their practice's files.
    pub async fn import_folder_for(&self, organisation_id: &str) -> CoreResult<PathBuf> {
        let ods: String =
            steward_db::query_scalar("SELECT ods_code FROM organisations WHERE id = $1")
                .bind(organisation_id)
                .fetch_optional(&self.steward.db.pool)
                .await?
                .ok_or(CoreError::NotFound)?;
        Ok(self.import_root.join(ods))
    }

    /// Resolves a folder typed by a person to a canonical path inside the organisation's
    /// import folder (`<import_root>/<ODS code>/`). A folder that does not exist, one
    /// outside the organisation's folder (another practice's, `..`, a symlink out, an
    /// absolute path elsewhere) and a file all get the same answer, so the form cannot be
    /// used to find out which paths exist on the server.
    pub fn resolve_import_folder(&self, ods_code: &str, folder: &str) -> Result<PathBuf, String> {
        let folder = folder.trim();
        if folder.is_empty() {
            return Err("Enter the folder on the server that holds the export".into());
        }
        let unavailable = || {
            "There is no such folder in this organisation's import folder on the server".to_string()
        };
        if ods_code.is_empty() || !ods_code.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(unavailable());
        }
        let root =
            std::fs::canonicalize(self.import_root.join(ods_code)).map_err(|_| unavailable())?;
        let p = Path::new(folder);
        let p = if p.is_absolute() {
            p.to_path_buf()
        } else {
            root.join(p)
        };
        let canon = std::fs::canonicalize(&p).map_err(|_| unavailable())?;
        // Symlinks and ".." are resolved first, so this cannot be escaped.
        if !canon.starts_with(&root) || !canon.is_dir() {
            return Err(unavailable());
        }
        Ok(canon)
    }

    /// A new run reading a folder on the server (for exports too large to upload).
    pub async fn create_run_from_folder(
        &self,
        caller: &Caller,
        organisation_id: &str,
        period: &str,
        system_name: &str,
        folder: &str,
    ) -> CoreResult<Run> {
        require_audit_write(caller, organisation_id)?;
        let mut errors = Self::check_new_run(period, system_name);
        let own = self.import_folder_for(organisation_id).await?;
        let ods = own
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let dir = match self.resolve_import_folder(&ods, folder) {
            Ok(d) => Some(d),
            Err(m) => {
                errors.add("folder", m);
                None
            }
        };
        errors.into_result()?;
        let dir = dir.expect("checked");
        let id = uuid::Uuid::new_v4().to_string();
        let detail = format!("export in server folder {}", dir.display());
        let location = dir.to_string_lossy();
        let n = NewRun {
            id: &id,
            period,
            system_name,
            source: "server_folder",
            location: &location,
            detail,
        };
        self.insert_run(caller, organisation_id, n).await
    }

    /// Deletes an uploaded export's files (data minimisation: the raw logs name every
    /// patient looked at). The flags, cases, outcomes and report stay; a sample or a new run
    /// from this export is then no longer possible. Server folders are the administrator's
    /// and are never deleted by Steward.
    pub async fn delete_export(&self, caller: &Caller, run_id: &str) -> CoreResult<Run> {
        let run = self.run_unlogged(caller, run_id).await?;
        require_audit_write(caller, &run.organisation_id)?;
        if run.source != "upload" {
            return Err(CoreError::Conflict(
                "This audit read a folder on the server: Steward does not delete it. Ask the system administrator to remove it.".into(),
            ));
        }
        if run.export_deleted_at.is_some() {
            return Err(CoreError::Conflict(
                "The export of this audit has already been deleted.".into(),
            ));
        }
        if run.status == "running" && !run.interrupted {
            return Err(CoreError::Conflict(
                "The audit is still running: delete the export when it has finished.".into(),
            ));
        }
        let dir = PathBuf::from(&run.data_location);
        // Only ever the folder Steward made for this upload.
        if dir != self.upload_dir(&run.organisation_id, &run.id) {
            return Err(internal(format!(
                "run {} has an unexpected export location",
                run.id
            )));
        }
        let (files, bytes) = std::fs::read_dir(&dir)
            .map(|entries| {
                entries.flatten().fold((0u64, 0u64), |(n, b), e| {
                    (n + 1, b + e.metadata().map(|m| m.len()).unwrap_or(0))
                })
            })
            .unwrap_or((0, 0));
        let mut w = self.steward.write().await?;
        steward_db::query(
            "UPDATE audit_runs SET export_deleted_at = $1, export_deleted_by = $2 WHERE id = $3",
        )
        .bind(now_stamp())
        .bind(&caller.user_id)
        .bind(&run.id)
        .execute(&mut *w.tx)
        .await?;
        let mut e = TrailEntry::for_record(
            caller,
            "record.update",
            &run.organisation_id,
            RUN_RECORD,
            &run.id,
        );
        e.detail = format!(
            "uploaded export deleted: {} {}, {bytes} bytes",
            files,
            if files == 1 { "file" } else { "files" }
        );
        append(&mut w.tx, &e).await?;
        // Files first: if they cannot be removed, nothing is recorded as deleted.
        match std::fs::remove_dir_all(&dir) {
            Ok(()) => {}
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(err) => {
                return Err(internal(format!("cannot delete {}: {err}", dir.display())));
            }
        }
        w.commit().await?;
        self.load_run(&run.id).await
    }

    /// The files of a run's export with their columns, for the mapping form.
    pub async fn export_files(&self, caller: &Caller, run_id: &str) -> CoreResult<Vec<ExportFile>> {
        let run = self.run_unlogged(caller, run_id).await?;
        let dir = PathBuf::from(&run.data_location);
        tokio::task::spawn_blocking(move || list_files(&dir))
            .await
            .map_err(internal)?
            .map_err(|e| {
                // A folder removed or unreadable on the server: say so, it is not a crash.
                CoreError::Conflict(format!(
                    "The export's files can no longer be read on the server ({e}). Upload the export again."
                ))
            })
    }

    /// Checks that the export maps (loading the reference tables and the first events) and
    /// starts the engine in the background. A file that does not map is refused here with the
    /// engine's message (missing column, unknown date format), before anything runs.
    pub async fn start_run(
        &self,
        caller: &Caller,
        run_id: &str,
        choice: &MappingChoice,
    ) -> CoreResult<Run> {
        let run = self.load_run(run_id).await?;
        require_audit_write(caller, &run.organisation_id)?;
        if run.status == "completed" || (run.status == "running" && !run.interrupted) {
            return Err(CoreError::Conflict(
                "This audit has already been run.".into(),
            ));
        }
        let (mapping_id, toml_text, system) = match choice {
            MappingChoice::Canonical => (None, None, run.system_name.clone()),
            MappingChoice::Saved { mapping_id } => {
                let m = self
                    .mapping_by_id(mapping_id)
                    .await
                    .map_err(|_| CoreError::invalid("mapping_id", "Select a saved mapping"))?;
                if m.organisation_id != run.organisation_id {
                    return Err(CoreError::invalid("mapping_id", "Select a saved mapping"));
                }
                (Some(m.id), Some(m.mapping_toml), m.system_name)
            }
            MappingChoice::New {
                system_name,
                mapping_toml,
            } => {
                let m = self
                    .save_mapping(caller, &run.organisation_id, system_name, mapping_toml)
                    .await?;
                (Some(m.id), Some(m.mapping_toml), m.system_name)
            }
        };
        let ds = self
            .load_dataset(&run.data_location, toml_text.clone())
            .await
            .map_err(|m| {
                CoreError::invalid(
                    "mapping",
                    format!("The export does not map, so the audit has not started: {m}"),
                )
            })?;
        {
            let mut w = self.steward.write().await?;
            steward_db::query(
                "UPDATE audit_runs SET status = 'running', mapping_id = $1, mapping_toml = $2, system_name = $3, started_at = $4, error = NULL, progress_pass = 0, progress_passes = 0, progress_events = 0, progress_total = NULL WHERE id = $5",
            )
            .bind(&mapping_id)
            .bind(&toml_text)
            .bind(&system)
            .bind(now_stamp())
            .bind(run_id)
            .execute(&mut *w.tx)
            .await?;
            // A restarted run starts from nothing.
            self.clear_results(&mut w.tx, run_id).await?;
            let mut e = TrailEntry::for_record(
                caller,
                "access_audit.run.start",
                &run.organisation_id,
                RUN_RECORD,
                run_id,
            );
            e.detail = format!("system {system}");
            append(&mut w.tx, &e).await?;
            w.commit().await?;
        }
        if let Ok(mut s) = active_runs().lock() {
            s.insert(run_id.to_string());
        }
        let me = self.clone();
        let (id, who) = (run_id.to_string(), caller.clone());
        tokio::spawn(async move { me.execute(&who, &id, ds).await });
        self.load_run(run_id).await
    }

    async fn clear_results(
        &self,
        tx: &mut steward_db::Tx<'static>,
        run_id: &str,
    ) -> CoreResult<()> {
        steward_db::query("DELETE FROM audit_case_notes WHERE case_id IN (SELECT id FROM audit_cases WHERE run_id = $1)")
            .bind(run_id)
            .execute(&mut **tx)
            .await?;
        for sql in [
            "DELETE FROM audit_cases WHERE run_id = $1",
            "DELETE FROM audit_flags WHERE run_id = $1",
        ] {
            steward_db::query(sql)
                .bind(run_id)
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }

    /// Loads the export on a blocking thread; the error is the engine's message.
    pub(crate) async fn load_dataset(
        &self,
        location: &str,
        mapping_toml: Option<String>,
    ) -> Result<Dataset, String> {
        let dir = PathBuf::from(location);
        tokio::task::spawn_blocking(move || {
            let m = mapping_toml
                .as_deref()
                .map(Mapping::from_toml)
                .transpose()?;
            steward_access_audit::load(&dir, m.as_ref())
        })
        .await
        .map_err(|e| format!("the loading task failed: {e}"))?
        .map_err(|e| format!("{e:#}").replace(&format!("{location}/"), ""))
    }

    /// Runs the engine and stores its flags and cases. Awaited directly by the demo and by
    /// tests; spawned by `start_run`.
    pub async fn execute(&self, caller: &Caller, run_id: &str, ds: Dataset) -> CoreResult<()> {
        let result = self.execute_inner(run_id, ds).await;
        if let Ok(mut s) = active_runs().lock() {
            s.remove(run_id);
        }
        let org: String =
            steward_db::query_scalar("SELECT organisation_id FROM audit_runs WHERE id = $1")
                .bind(run_id)
                .fetch_one(&self.steward.db.pool)
                .await?;
        let mut w = self.steward.write().await?;
        let mut e =
            TrailEntry::for_record(caller, "access_audit.run.finish", &org, RUN_RECORD, run_id);
        match &result {
            Ok(()) => e.detail = "completed".into(),
            Err(err) => {
                tracing::warn!(run = run_id, error = %err, "access audit run failed");
                e.detail = format!("failed: {err}");
                steward_db::query("UPDATE audit_runs SET status = 'failed', error = $1, finished_at = $2 WHERE id = $3")
                    .bind(err.to_string())
                    .bind(now_stamp())
                    .bind(run_id)
                    .execute(&mut *w.tx)
                    .await?;
            }
        }
        append(&mut w.tx, &e).await?;
        w.commit().await?;
        result
    }

    async fn execute_inner(&self, run_id: &str, ds: Dataset) -> CoreResult<()> {
        let handle = tokio::runtime::Handle::current();
        let me = self.clone();
        let id = run_id.to_string();
        let (cases, stats, issues, names) = tokio::task::spawn_blocking(move || {
            let rules = Rules::default();
            // The first pass cannot know how many rows there are: estimate from the file.
            let estimate = estimate_rows(&ds.events.path);
            let mut last = Instant::now() - Duration::from_secs(10);
            let mut progress = |mut p: Progress| {
                if p.total.is_none() {
                    p.total = estimate.map(|e| e.max(p.events));
                }
                // Stored at most every 300 ms: enough for a bar, cheap for the database.
                if last.elapsed() >= Duration::from_millis(300) || p.total == Some(p.events) {
                    last = Instant::now();
                    if let Err(e) = handle.block_on(me.store_progress(&id, p)) {
                        tracing::warn!(error = %e, "access audit progress not stored");
                    }
                }
            };
            let mut batch: Vec<(i64, Flag)> = Vec::with_capacity(FLAG_BATCH);
            let mut seq = 0i64;
            let mut sink = |f: &Flag| -> anyhow::Result<()> {
                seq += 1;
                batch.push((seq, f.clone()));
                if batch.len() >= FLAG_BATCH {
                    handle.block_on(me.store_flags(&id, &batch))?;
                    batch.clear();
                }
                Ok(())
            };
            let out = steward_access_audit::run_streaming(&ds, &rules, &mut progress, &mut sink);
            if out.is_ok() && !batch.is_empty() {
                handle.block_on(me.store_flags(&id, &batch))?;
            }
            // The names of the patients the cases are about, while the export is loaded.
            out.map(|(cases, stats, issues)| {
                let rf = &ds.reference;
                let names: HashMap<String, String> = cases
                    .iter()
                    .filter_map(|c| c.patient_id.as_ref())
                    .filter_map(|p| {
                        let ix = *rf.patient_ix.get(p.as_bytes())?;
                        let pt = rf.patients.get(ix as usize)?;
                        Some((p.clone(), format!("{} {}", pt.given, pt.family)))
                    })
                    .collect();
                (cases, stats, issues, names)
            })
        })
        .await
        .map_err(internal)?
        .map_err(|e| internal(format!("{e:#}")))?;
        self.store_cases(run_id, &cases, &names).await?;
        let per_rule: BTreeMap<String, u64> = stats.per_rule.clone();
        let flags: u64 = per_rule.values().sum();
        let issue_list: Vec<String> = issues
            .list
            .iter()
            .take(200)
            .map(|i| i.to_string())
            .collect();
        let mut w = self.steward.write().await?;
        steward_db::query(
            "UPDATE audit_runs SET status = 'completed', events = $1, rejected = $2, explained = $3, flags = $4, cases = $5, per_rule = $6, issues_total = $7, issues = $8, finished_at = $9 WHERE id = $10",
        )
        .bind(stats.events as i64)
        .bind(stats.rejected as i64)
        .bind(stats.explained as i64)
        .bind(flags as i64)
        .bind(cases.len() as i64)
        .bind(serde_json::to_string(&per_rule).map_err(internal)?)
        .bind(issues.total as i64)
        .bind(serde_json::to_string(&issue_list).map_err(internal)?)
        .bind(now_stamp())
        .bind(run_id)
        .execute(&mut *w.tx)
        .await?;
        w.commit().await
    }

    async fn store_progress(&self, run_id: &str, p: Progress) -> CoreResult<()> {
        let mut w = self.steward.write().await?;
        steward_db::query(
            "UPDATE audit_runs SET progress_pass = $1, progress_passes = $2, progress_events = $3, progress_total = $4 WHERE id = $5",
        )
        .bind(p.pass as i64)
        .bind(p.passes as i64)
        .bind(p.events as i64)
        .bind(p.total.map(|t| t as i64))
        .bind(run_id)
        .execute(&mut *w.tx)
        .await?;
        w.commit().await
    }

    /// Flags in multi-row inserts (a few hundred binds each: well within both databases'
    /// limits), one transaction per batch, under the write lock like every other write.
    async fn store_flags(&self, run_id: &str, batch: &[(i64, Flag)]) -> CoreResult<()> {
        let mut w = self.steward.write().await?;
        for chunk in batch.chunks(ROWS_PER_INSERT) {
            let mut sql = String::from("INSERT INTO audit_flags (run_id, seq, event_id, rule, user_id, patient_id, ts, day, evidence) VALUES ");
            for i in 0..chunk.len() {
                let b = i * 9;
                if i > 0 {
                    sql.push_str(", ");
                }
                sql.push_str(&format!(
                    "(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${})",
                    b + 1,
                    b + 2,
                    b + 3,
                    b + 4,
                    b + 5,
                    b + 6,
                    b + 7,
                    b + 8,
                    b + 9
                ));
            }
            let mut q = steward_db::query(&sql);
            for (seq, f) in chunk {
                let ts = fmt_ts(f.ts);
                q = q
                    .bind(run_id.to_string())
                    .bind(*seq)
                    .bind(f.event_id.clone())
                    .bind(f.rule.name())
                    .bind(f.user_id.clone())
                    .bind(f.patient_id.clone())
                    .bind(ts.clone())
                    .bind(ts[..10].to_string())
                    .bind(evidence_json(f));
            }
            q.execute(&mut *w.tx).await?;
        }
        w.commit().await
    }

    async fn store_cases(
        &self,
        run_id: &str,
        cases: &[EngineCase],
        names: &HashMap<String, String>,
    ) -> CoreResult<()> {
        let org: String =
            steward_db::query_scalar("SELECT organisation_id FROM audit_runs WHERE id = $1")
                .bind(run_id)
                .fetch_one(&self.steward.db.pool)
                .await?;
        for batch in cases.chunks(FLAG_BATCH) {
            let mut w = self.steward.write().await?;
            for chunk in batch.chunks(ROWS_PER_INSERT / 2) {
                const COLS: usize = 16;
                let mut sql = String::from("INSERT INTO audit_cases (id, run_id, organisation_id, rank, kind, user_id, user_name, patient_id, day, rules, severity, score, events, first_ts, last_ts, patient_name, status) VALUES ");
                for i in 0..chunk.len() {
                    if i > 0 {
                        sql.push_str(", ");
                    }
                    let ph: Vec<String> =
                        (1..=COLS).map(|k| format!("${}", i * COLS + k)).collect();
                    sql.push_str(&format!("({}, 'open')", ph.join(", ")));
                }
                let mut q = steward_db::query(&sql);
                for c in chunk {
                    q = q
                        .bind(uuid::Uuid::new_v4().to_string())
                        .bind(run_id.to_string())
                        .bind(org.clone())
                        .bind(c.rank as i64)
                        .bind(match c.kind {
                            CaseKind::UserPatient => "user-patient",
                            CaseKind::UserDay => "user-day",
                        })
                        .bind(c.user_id.clone())
                        .bind(c.user_name.clone())
                        .bind(c.patient_id.clone())
                        .bind(c.day.clone())
                        .bind(
                            c.rules
                                .iter()
                                .map(|r| r.name())
                                .collect::<Vec<_>>()
                                .join(" "),
                        )
                        .bind(c.severity as i64)
                        .bind(c.score as i64)
                        .bind(c.events as i64)
                        .bind(fmt_ts(c.first_ts))
                        .bind(fmt_ts(c.last_ts))
                        .bind(c.patient_id.as_ref().and_then(|p| names.get(p)).cloned());
                }
                q.execute(&mut *w.tx).await?;
            }
            w.commit().await?;
        }
        Ok(())
    }

    /// Waits until a run is no longer running (for tests and the demo).
    pub async fn wait_for(
        &self,
        caller: &Caller,
        run_id: &str,
        timeout: Duration,
    ) -> CoreResult<Run> {
        let until = Instant::now() + timeout;
        loop {
            let r = self.run_unlogged(caller, run_id).await?;
            if r.status != "running" || Instant::now() > until {
                return Ok(r);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// About how many rows a CSV file has: its size over the mean length of its first lines.
/// Parquet files say exactly. `None` when it cannot be told.
pub(crate) fn estimate_rows(path: &Path) -> Option<u64> {
    use std::io::Read;
    let is_parquet = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("parquet"));
    if is_parquet {
        use parquet::file::reader::{FileReader, SerializedFileReader};
        let r = SerializedFileReader::new(std::fs::File::open(path).ok()?).ok()?;
        return u64::try_from(r.metadata().file_metadata().num_rows()).ok();
    }
    let size = std::fs::metadata(path).ok()?.len();
    let mut head = vec![0u8; 64 * 1024];
    let n = std::fs::File::open(path).ok()?.read(&mut head).ok()?;
    let lines = head[..n].iter().filter(|b| **b == b'\n').count() as u64;
    (lines > 1).then(|| (size * lines / n as u64).saturating_sub(1))
}

/// A run's row before its first insert.
struct NewRun<'a> {
    id: &'a str,
    period: &'a str,
    system_name: &'a str,
    /// "upload" or "server_folder".
    source: &'static str,
    location: &'a str,
    detail: String,
}

/// Flags handed to the database at a time.
const FLAG_BATCH: usize = 2_000;
/// Rows per INSERT statement (9 binds each for flags).
const ROWS_PER_INSERT: usize = 200;

/// "2025-05-14" from a stored timestamp.
pub fn day_of_stamp(ts: &str) -> &str {
    ts.get(..10).unwrap_or(ts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use steward_access_audit::Rule;

    #[test]
    fn evidence_keeps_the_relationship_apart() {
        let f = Flag {
            event_id: "E1".into(),
            rule: Rule::Family,
            user_id: "U1".into(),
            patient_id: "P1".into(),
            ts: 0,
            evidence: "relationship=same household; user's home \"4 ANCHOR LANE\" ZZ12BB = patient's address".into(),
        };
        let v: serde_json::Value = serde_json::from_str(&evidence_json(&f)).unwrap();
        assert_eq!(v["rule"], "FAMILY");
        assert_eq!(v["relationship"], "same household");
        assert!(v["detail"].as_str().unwrap().starts_with("user's home"));
        let g = Flag {
            rule: Rule::Vip,
            evidence: "patient P1 is flagged VIP".into(),
            ..f
        };
        let v: serde_json::Value = serde_json::from_str(&evidence_json(&g)).unwrap();
        assert_eq!(v["relationship"], "");
        assert_eq!(v["detail"], "patient P1 is flagged VIP");
    }

    #[test]
    fn rows_are_estimated_from_the_file_size() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("events.csv");
        let mut text = String::from("event_id,ts\n");
        for i in 0..100_000 {
            text.push_str(&format!("E{i:07},2025-05-01 09:00:00\n"));
        }
        std::fs::write(&p, text).unwrap();
        let e = estimate_rows(&p).unwrap();
        assert!((99_000..=101_000).contains(&e), "{e}");
    }

    #[test]
    fn only_csv_and_parquet_are_taken() {
        assert!(allowed_export_file("events.csv") && allowed_export_file("E.PARQUET"));
        assert!(!allowed_export_file("events.xlsx") && !allowed_export_file("run.sh"));
    }
}
