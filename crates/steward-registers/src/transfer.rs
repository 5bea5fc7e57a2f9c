//! Import and export of the registers as CSV and XLSX (DPOs keep these logs in
//! spreadsheets): columns are the field labels (or names) in any order; the whole file is
//! checked first and every bad row reported by its line; nothing is written until the
//! person confirms a clean file; a row matching an entry already in the register (by
//! reference, else by name) updates it, so importing the same file twice adds nothing.

use std::collections::BTreeMap;
use std::io::Cursor;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use steward_core::gate::Op;
use steward_core::time::now_stamp;
use steward_core::{Caller, CoreError, CoreResult};
use steward_db::Row;

use crate::fields::{parse_date, Register, RegisterDef, Ty};
use crate::store::{dpo_organisation, kind_of, Entry, Origin, Registers};

/// The largest file an import takes.
pub const MAX_IMPORT_BYTES: usize = 5 * 1024 * 1024;

/// A cell as CSV writes it: text that a spreadsheet would run as a formula (beginning with
/// = + - @, a tab or a carriage return) is given a leading apostrophe. The one place this is
/// decided for the registers' exports (to be swapped for steward_core's shared writer).
pub fn csv_cell(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Format {
    Csv,
    Xlsx,
}

impl Format {
    /// By the file's name, else by its first bytes (an XLSX file is a ZIP).
    pub fn detect(name: &str, bytes: &[u8]) -> Format {
        let lower = name.to_lowercase();
        if lower.ends_with(".xlsx") || bytes.starts_with(b"PK\x03\x04") {
            Format::Xlsx
        } else {
            Format::Csv
        }
    }
}

/// What will happen to one row.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RowAction {
    Add,
    Update,
    Unchanged,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CheckedRow {
    pub line: usize,
    pub action: RowAction,
    /// The entry it updates.
    pub existing_id: Option<String>,
    pub values: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RowError {
    /// The line of the file (the header is line 1).
    pub line: usize,
    pub message: String,
}

/// The whole file checked: rows ready, or every problem with its line.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ImportCheck {
    pub register: Register,
    pub rows: Vec<CheckedRow>,
    pub errors: Vec<RowError>,
    /// Columns of the file that match no field (ignored).
    pub ignored_columns: Vec<String>,
    /// Set when the checked rows are kept for the person to confirm.
    pub import_id: Option<String>,
}

impl ImportCheck {
    pub fn count(&self, a: RowAction) -> usize {
        self.rows.iter().filter(|r| r.action == a).count()
    }
    pub fn is_clean(&self) -> bool {
        self.errors.is_empty()
    }
}

/// A file read as text: the header, the rows with their line numbers, and the lines that
/// could not be read.
pub type Table = (Vec<String>, Vec<(usize, Vec<String>)>, Vec<RowError>);

/// The rows of a file as text cells, each with its line number; or the reason it cannot
/// be read at all. Lines whose text is not UTF-8 are reported as such.
pub fn read_table(format: Format, bytes: &[u8]) -> Result<Table, String> {
    if bytes.len() > MAX_IMPORT_BYTES {
        return Err(format!(
            "The file is {:.1} MB: the largest file an import takes is {} MB. Split it into smaller files.",
            bytes.len() as f64 / (1024.0 * 1024.0),
            MAX_IMPORT_BYTES / (1024 * 1024)
        ));
    }
    match format {
        Format::Csv => {
            let mut r = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(bytes);
            let mut header: Option<Vec<String>> = None;
            let mut rows = Vec::new();
            let mut errors = Vec::new();
            for rec in r.byte_records() {
                let rec =
                    rec.map_err(|e| format!("The file is not a CSV file that can be read: {e}"))?;
                // The line in the file, blank lines counted (the reader's own count skips them).
                let line = rec
                    .position()
                    .map(|p| {
                        let mut at = (p.byte() as usize).min(bytes.len());
                        while at < bytes.len() && matches!(bytes[at], b'\n' | b'\r') {
                            at += 1;
                        }
                        bytes[..at].iter().filter(|b| **b == b'\n').count() + 1
                    })
                    .unwrap_or(0);
                let mut cells = Vec::new();
                let mut bad = false;
                for f in rec.iter() {
                    match std::str::from_utf8(f) {
                        Ok(s) => cells.push(s.trim_start_matches('\u{feff}').trim().to_string()),
                        Err(_) => {
                            bad = true;
                            cells.push(String::new());
                        }
                    }
                }
                if header.is_none() {
                    if bad {
                        return Err("The first line (the column names) is not UTF-8 text: save the file as \"CSV UTF-8\".".into());
                    }
                    header = Some(cells);
                    continue;
                }
                if bad {
                    errors.push(RowError {
                        line,
                        message: "the text is not UTF-8: save the file as \"CSV UTF-8\" and import it again".into(),
                    });
                    continue;
                }
                if cells.iter().all(|c| c.is_empty()) {
                    continue;
                }
                rows.push((line, cells));
            }
            let header = header.ok_or("The file is empty: it has no column names.")?;
            Ok((header, rows, errors))
        }
        Format::Xlsx => {
            use calamine::{Data, Reader};
            let mut wb = calamine::open_workbook_auto_from_rs(Cursor::new(bytes.to_vec()))
                .map_err(|e| format!("The file is not a spreadsheet that can be read: {e}"))?;
            let sheet = wb
                .sheet_names()
                .first()
                .cloned()
                .ok_or("The spreadsheet has no sheets.")?;
            let range = wb
                .worksheet_range(&sheet)
                .map_err(|e| format!("The first sheet cannot be read: {e}"))?;
            let start = range.start().map(|(r, _)| r as usize).unwrap_or(0);
            let cell = |d: &Data| -> String {
                match d {
                    Data::Empty => String::new(),
                    Data::String(s) => s.trim().to_string(),
                    Data::Float(f) if f.fract() == 0.0 => format!("{}", *f as i64),
                    Data::Float(f) => f.to_string(),
                    Data::Int(i) => i.to_string(),
                    Data::Bool(b) => if *b { "yes" } else { "no" }.to_string(),
                    // A date cell: its serial number, which the date check reads.
                    Data::DateTime(dt) => format!("{}", dt.as_f64().floor() as i64),
                    Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
                    Data::Error(e) => format!("#{e:?}"),
                }
            };
            let mut iter = range.rows().enumerate();
            let header = iter
                .next()
                .map(|(_, r)| r.iter().map(cell).collect::<Vec<_>>())
                .ok_or("The first sheet is empty: it has no column names.")?;
            let rows = iter
                .map(|(i, r)| (start + i + 1, r.iter().map(cell).collect::<Vec<_>>()))
                .filter(|(_, cells)| cells.iter().any(|c| !c.is_empty()))
                .collect();
            Ok((header, rows, vec![]))
        }
    }
}

fn norm(s: &str) -> String {
    s.trim().to_lowercase().replace(['_', '-'], " ")
}

/// A register's column as a file's column may be mapped to it: "reference" or a field's
/// name, found by its label or its name in any case.
fn column_named(def: &RegisterDef, name: &str) -> Option<&'static str> {
    let n = norm(name);
    if n == "reference" {
        return Some("reference");
    }
    def.fields
        .iter()
        .find(|f| norm(f.label) == n || norm(f.name) == n)
        .map(|f| f.name)
}

/// Which register column each column of the file is, matched automatically: its label or
/// its name, in any case (None: no match, not imported).
pub fn suggest_columns(def: &RegisterDef, header: &[String]) -> Vec<Option<&'static str>> {
    header.iter().map(|h| column_named(def, h)).collect()
}

/// The mapping given as "File header=column" pairs (the command line's `--map`) over the
/// automatic one: the column is a field's label or name, "Reference", or "do not import"
/// (or nothing). A header the file lacks, or a column the register lacks, is an error.
pub fn apply_mapping(
    def: &RegisterDef,
    header: &[String],
    map: &mut [Option<&'static str>],
    pairs: &[(String, String)],
) -> Result<(), String> {
    for (file_header, column) in pairs {
        let i = header
            .iter()
            .position(|h| norm(h) == norm(file_header))
            .ok_or_else(|| format!("The file has no column \"{file_header}\""))?;
        let c = column.trim();
        map[i] = if c.is_empty() || norm(c) == "do not import" {
            None
        } else {
            Some(column_named(def, c).ok_or_else(|| {
                format!(
                    "The {} have no column \"{c}\": use one of Reference; {}",
                    def.many,
                    def.fields
                        .iter()
                        .map(|f| f.label)
                        .collect::<Vec<_>>()
                        .join("; ")
                )
            })?)
        };
    }
    Ok(())
}

/// A mapping that can be used: no register column taken by two of the file's columns, and
/// a column for every required field.
pub fn check_mapping(
    def: &RegisterDef,
    header: &[String],
    map: &[Option<&'static str>],
) -> Result<(), String> {
    for (i, m) in map.iter().enumerate() {
        if let Some(name) = m {
            if let Some(j) = map[..i].iter().position(|x| x == m) {
                let label = def.field(name).map(|f| f.label).unwrap_or("Reference");
                return Err(format!(
                    "\"{}\" and \"{}\" are both mapped to {label}: choose one",
                    header[j], header[i]
                ));
            }
        }
    }
    let missing: Vec<&str> = def
        .fields
        .iter()
        .filter(|f| f.required && !map.contains(&Some(f.name)))
        .map(|f| f.label)
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "The file has no column for: {}. Name the columns as in the export, or choose the file's column for each.",
            missing.join("; ")
        ));
    }
    Ok(())
}

/// One column of a file waiting for its mapping.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MappedColumn {
    /// The file's own column name.
    pub header: String,
    /// The register column it goes to ("reference" or a field's name); none: not imported.
    pub field: Option<String>,
    /// The first value of the column in the file, to recognise it by.
    pub example: String,
}

/// A file whose columns do not all match the register: each column with the register
/// column it goes to, for the person to confirm or change.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ColumnMapping {
    pub import_id: String,
    pub register: Register,
    pub columns: Vec<MappedColumn>,
}

/// What an uploaded file needs next.
#[derive(Debug, Clone)]
pub enum ImportStart {
    /// Every column matched: the file is checked.
    Checked(ImportCheck),
    /// Some columns did not match: the mapping to confirm first.
    Mapping(ColumnMapping),
}

impl Registers<'_> {
    /// Checks a whole file for an organisation's register, its columns matched
    /// automatically; keeps the rows for confirmation (`keep`) when every row is good.
    /// Nothing is written to the register.
    pub async fn check_import(
        &self,
        caller: &Caller,
        organisation_id: &str,
        register: Register,
        file_name: &str,
        bytes: &[u8],
        keep: bool,
    ) -> CoreResult<ImportCheck> {
        self.check_import_with(
            caller,
            organisation_id,
            register,
            file_name,
            bytes,
            &[],
            keep,
        )
        .await
    }

    /// As [`Self::check_import`], with some of the file's columns mapped by hand ("File
    /// header", column) over the automatic match (the command line's `--map`).
    #[allow(clippy::too_many_arguments)]
    pub async fn check_import_with(
        &self,
        caller: &Caller,
        organisation_id: &str,
        register: Register,
        file_name: &str,
        bytes: &[u8],
        mapping: &[(String, String)],
        keep: bool,
    ) -> CoreResult<ImportCheck> {
        self.steward
            .permit_in(caller, kind_of(register), Op::Create, organisation_id)?;
        let def = register.def();
        let table = read_table(Format::detect(file_name, bytes), bytes)
            .map_err(|m| CoreError::invalid("file", m))?;
        let mut map = suggest_columns(def, &table.0);
        apply_mapping(def, &table.0, &mut map, mapping)
            .map_err(|m| CoreError::invalid("file", m))?;
        self.check_table(caller, organisation_id, register, table, &map, keep, None)
            .await
    }

    /// An uploaded file (the pages): checked at once when every column matches the
    /// register; otherwise kept, unread into the register, for its columns to be mapped.
    pub async fn start_import(
        &self,
        caller: &Caller,
        organisation_id: &str,
        register: Register,
        file_name: &str,
        bytes: &[u8],
    ) -> CoreResult<ImportStart> {
        self.steward
            .permit_in(caller, kind_of(register), Op::Create, organisation_id)?;
        let def = register.def();
        let table = read_table(Format::detect(file_name, bytes), bytes)
            .map_err(|m| CoreError::invalid("file", m))?;
        let map = suggest_columns(def, &table.0);
        let unmatched = table
            .0
            .iter()
            .zip(&map)
            .any(|(h, m)| m.is_none() && !h.trim().is_empty());
        if !unmatched {
            return Ok(ImportStart::Checked(
                self.check_table(caller, organisation_id, register, table, &map, true, None)
                    .await?,
            ));
        }
        let id = uuid::Uuid::new_v4().to_string();
        steward_db::query(
            "INSERT INTO register_imports (id, organisation_id, register, user_id, created_at, rows, file_table) VALUES ($1, $2, $3, $4, $5, '[]', $6)",
        )
        .bind(&id)
        .bind(organisation_id)
        .bind(def.kind)
        .bind(&caller.user_id)
        .bind(now_stamp())
        .bind(serde_json::to_string(&table).map_err(|e| CoreError::Internal(e.to_string()))?)
        .execute(&self.steward.db.pool)
        .await?;
        Ok(ImportStart::Mapping(mapping_of(register, id, &table, &map)))
    }

    /// A file kept for its columns to be mapped (the person's own, in this organisation).
    async fn kept_table(
        &self,
        caller: &Caller,
        organisation_id: &str,
        register: Register,
        import_id: &str,
    ) -> CoreResult<Table> {
        self.steward
            .permit_in(caller, kind_of(register), Op::Create, organisation_id)?;
        let text: String = steward_db::query_scalar(
            "SELECT file_table FROM register_imports WHERE id = $1 AND organisation_id = $2 AND register = $3 AND user_id = $4 AND file_table <> ''",
        )
        .bind(import_id)
        .bind(organisation_id)
        .bind(register.def().kind)
        .bind(&caller.user_id)
        .fetch_optional(&self.steward.db.pool)
        .await?
        .ok_or(CoreError::NotFound)?;
        serde_json::from_str(&text).map_err(|e| CoreError::Internal(e.to_string()))
    }

    /// The columns of a kept file with the automatic match, to be confirmed.
    pub async fn column_mapping(
        &self,
        caller: &Caller,
        organisation_id: &str,
        register: Register,
        import_id: &str,
    ) -> CoreResult<ColumnMapping> {
        let table = self
            .kept_table(caller, organisation_id, register, import_id)
            .await?;
        let map = suggest_columns(register.def(), &table.0);
        Ok(mapping_of(register, import_id.into(), &table, &map))
    }

    /// Checks a kept file with the person's mapping (one entry per column of the file: the
    /// register column's name, or none for "do not import"); a clean file is kept for
    /// confirmation as any other. A mapping that cannot be used is refused on the field
    /// `columns`.
    pub async fn check_mapped_import(
        &self,
        caller: &Caller,
        organisation_id: &str,
        register: Register,
        import_id: &str,
        choices: &[Option<String>],
    ) -> CoreResult<ImportCheck> {
        let def = register.def();
        let table = self
            .kept_table(caller, organisation_id, register, import_id)
            .await?;
        let mut map = Vec::new();
        for i in 0..table.0.len() {
            map.push(match choices.get(i).cloned().flatten() {
                None => None,
                Some(c) if c == "reference" => Some("reference"),
                Some(c) => Some(def.field(&c).map(|f| f.name).ok_or_else(|| {
                    CoreError::invalid("columns", "Choose each column from the list")
                })?),
            });
        }
        check_mapping(def, &table.0, &map).map_err(|m| CoreError::invalid("columns", m))?;
        self.check_table(
            caller,
            organisation_id,
            register,
            table,
            &map,
            true,
            Some(import_id),
        )
        .await
    }

    /// The whole file checked with its mapping: every row validated as a form is, linked
    /// records found by name, each row's line kept. `keep` stores a clean result for
    /// confirmation (in the kept file's place when it had to be mapped).
    #[allow(clippy::too_many_arguments)]
    async fn check_table(
        &self,
        caller: &Caller,
        organisation_id: &str,
        register: Register,
        table: Table,
        map: &[Option<&'static str>],
        keep: bool,
        kept_id: Option<&str>,
    ) -> CoreResult<ImportCheck> {
        let def = register.def();
        let (header, rows, mut errors) = table;
        check_mapping(def, &header, map).map_err(|m| CoreError::invalid("file", m))?;
        let ignored_columns: Vec<String> = header
            .iter()
            .zip(map)
            .filter(|(h, m)| m.is_none() && !h.trim().is_empty())
            .map(|(h, _)| h.clone())
            .collect();
        let existing = self.all(organisation_id, register).await?;
        let lookups = self.link_lookups(organisation_id).await?;
        let mut checked = Vec::new();
        let mut seen_names: BTreeMap<String, usize> = BTreeMap::new();
        for (line, cells) in rows {
            let mut input = BTreeMap::new();
            let mut reference = String::new();
            for (i, c) in cells.iter().enumerate() {
                match map.get(i).copied().flatten() {
                    Some("reference") => reference = c.clone(),
                    Some(name) => {
                        input.insert(name.to_string(), c.clone());
                    }
                    None => {}
                }
            }
            // Linked records are named in a spreadsheet: find them by name.
            let mut link_problems = Vec::new();
            for f in def.fields.iter().filter(|f| f.ty.links()) {
                let Some(text) = input.get(f.name).cloned() else {
                    continue;
                };
                let table = match f.ty {
                    Ty::Partners => &lookups.partners,
                    Ty::Assets => &lookups.assets,
                    _ => &lookups.templates,
                };
                let mut ids = Vec::new();
                for part in text
                    .split(['\n', ';'])
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                {
                    match table
                        .iter()
                        .find(|(id, n)| n.eq_ignore_ascii_case(part) || id == part)
                    {
                        Some((id, _)) => ids.push(id.clone()),
                        None => link_problems.push(format!(
                            "{}: no record called \"{part}\" in the log",
                            f.label
                        )),
                    }
                }
                input.insert(f.name.to_string(), ids.join("\n"));
            }
            let (values, problems) = self.check(organisation_id, register, &input).await?;
            let mut messages: Vec<String> = link_problems;
            messages.extend(problems.into_iter().map(|p| p.message));
            let name_key = values
                .get("name")
                .cloned()
                .unwrap_or_default()
                .to_lowercase();
            if let Some(first) = seen_names.get(&name_key) {
                messages.push(format!("the same name as line {first}"));
            } else {
                seen_names.insert(name_key.clone(), line);
            }
            if !messages.is_empty() {
                for m in messages {
                    errors.push(RowError { line, message: m });
                }
                continue;
            }
            let found: Option<&Entry> = existing
                .iter()
                .find(|e| !reference.is_empty() && e.reference.eq_ignore_ascii_case(&reference))
                .or_else(|| existing.iter().find(|e| e.name.to_lowercase() == name_key));
            let action = match found {
                None => RowAction::Add,
                Some(e)
                    if def.fields.iter().all(|f| {
                        e.value(f.name) == values.get(f.name).map(String::as_str).unwrap_or("")
                    }) =>
                {
                    RowAction::Unchanged
                }
                Some(_) => RowAction::Update,
            };
            checked.push(CheckedRow {
                line,
                action,
                existing_id: found.map(|e| e.id.clone()),
                values,
            });
        }
        errors.sort_by_key(|e| e.line);
        let mut result = ImportCheck {
            register,
            rows: checked,
            errors,
            ignored_columns,
            import_id: None,
        };
        if keep && result.is_clean() {
            let rows = serde_json::to_string(&result.rows)
                .map_err(|e| CoreError::Internal(e.to_string()))?;
            if let Some(id) = kept_id {
                steward_db::query(
                    "UPDATE register_imports SET rows = $1, file_table = '' WHERE id = $2",
                )
                .bind(rows)
                .bind(id)
                .execute(&self.steward.db.pool)
                .await?;
                result.import_id = Some(id.to_string());
                return Ok(result);
            }
            let id = uuid::Uuid::new_v4().to_string();
            steward_db::query(
                "INSERT INTO register_imports (id, organisation_id, register, user_id, created_at, rows) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&id)
            .bind(organisation_id)
            .bind(def.kind)
            .bind(&caller.user_id)
            .bind(now_stamp())
            .bind(serde_json::to_string(&result.rows).map_err(|e| CoreError::Internal(e.to_string()))?)
            .execute(&self.steward.db.pool)
            .await?;
            result.import_id = Some(id);
        }
        Ok(result)
    }

    /// A checked import, waiting for confirmation.
    pub async fn pending_import(
        &self,
        caller: &Caller,
        organisation_id: &str,
        register: Register,
        import_id: &str,
    ) -> CoreResult<ImportCheck> {
        self.steward
            .permit_in(caller, kind_of(register), Op::Create, organisation_id)?;
        let r = steward_db::query(
            "SELECT rows FROM register_imports WHERE id = $1 AND organisation_id = $2 AND register = $3 AND user_id = $4 AND file_table = ''",
        )
        .bind(import_id)
        .bind(organisation_id)
        .bind(register.def().kind)
        .bind(&caller.user_id)
        .fetch_optional(&self.steward.db.pool)
        .await?
        .ok_or(CoreError::NotFound)?;
        let rows: String = r.try_get("rows")?;
        Ok(ImportCheck {
            register,
            rows: serde_json::from_str(&rows).map_err(|e| CoreError::Internal(e.to_string()))?,
            errors: vec![],
            ignored_columns: vec![],
            import_id: Some(import_id.into()),
        })
    }

    /// Writes a clean, checked import in one transaction: new rows added, changed rows
    /// updated, unchanged rows left alone.
    pub async fn confirm_import(
        &self,
        caller: &Caller,
        organisation_id: &str,
        check: &ImportCheck,
        today: NaiveDate,
    ) -> CoreResult<(usize, usize)> {
        self.steward
            .permit_in(caller, kind_of(check.register), Op::Create, organisation_id)?;
        if !check.is_clean() {
            return Err(CoreError::Conflict(
                "The file has bad rows: nothing was imported".into(),
            ));
        }
        let _ = today;
        let (mut added, mut updated) = (0, 0);
        let mut w = self.steward.write().await?;
        for row in &check.rows {
            match (&row.action, &row.existing_id) {
                (RowAction::Add, _) => {
                    self.insert(
                        &mut w.tx,
                        caller,
                        organisation_id,
                        check.register,
                        &row.values,
                        &Origin::default(),
                    )
                    .await?;
                    added += 1;
                }
                (RowAction::Update, Some(id)) => {
                    let before = self.load_in(&mut w.tx, check.register, id).await?;
                    if before.organisation_id != organisation_id {
                        return Err(CoreError::NotFound);
                    }
                    self.update_in(&mut w.tx, caller, &before, &row.values, None, "imported")
                        .await?;
                    updated += 1;
                }
                _ => {}
            }
        }
        if let Some(id) = &check.import_id {
            steward_db::query("DELETE FROM register_imports WHERE id = $1")
                .bind(id)
                .execute(&mut *w.tx)
                .await?;
        }
        w.commit().await?;
        Ok((added, updated))
    }

    async fn link_lookups(&self, organisation_id: &str) -> CoreResult<Lookups> {
        let dpo = dpo_organisation(self.steward, organisation_id)
            .await?
            .unwrap_or_default();
        let pairs = |sql: &'static str, a: String, b: String| async move {
            let rows = steward_db::query(sql)
                .bind(a)
                .bind(b)
                .fetch_all(&self.steward.db.pool)
                .await?;
            rows.iter()
                .map(|r| {
                    Ok((
                        r.try_get::<String, _>("id")?,
                        r.try_get::<String, _>("name")?,
                    ))
                })
                .collect::<CoreResult<Vec<_>>>()
        };
        Ok(Lookups {
            partners: pairs("SELECT id, name FROM sharing_partners WHERE organisation_id = $1 OR organisation_id = $2", organisation_id.into(), dpo.clone()).await?,
            assets: pairs("SELECT id, name FROM information_assets WHERE organisation_id = $1 OR organisation_id = $2", organisation_id.into(), organisation_id.into()).await?,
            templates: pairs("SELECT id, name FROM activity_templates WHERE organisation_id = $1 OR organisation_id = $2", dpo.clone(), dpo).await?,
        })
    }

    /// The register as a table of words: a header of labels, one row per entry.
    pub async fn export_table(
        &self,
        caller: &Caller,
        organisation_id: &str,
        register: Register,
    ) -> CoreResult<(Vec<String>, Vec<Vec<String>>)> {
        self.steward
            .permit_in(caller, kind_of(register), Op::List, organisation_id)?;
        let def = register.def();
        let mut header = vec!["Reference".to_string()];
        header.extend(def.fields.iter().map(|f| f.label.to_string()));
        let mut rows = Vec::new();
        for e in self.all(organisation_id, register).await? {
            let mut row = vec![e.reference.clone()];
            for f in def.fields {
                let v = e.value(f.name);
                let shown = match f.ty {
                    Ty::Partners | Ty::Assets | Ty::Template => self
                        .names(f.ty, v)
                        .await?
                        .into_iter()
                        .map(|(_, n)| n)
                        .collect::<Vec<_>>()
                        .join("; "),
                    Ty::Date => parse_date(v)
                        .map(|d| d.format("%d/%m/%Y").to_string())
                        .unwrap_or_default(),
                    // As an import reads them back: the record type, the DPIA's reference.
                    Ty::Retention => steward_compliance::rules(self.steward)
                        .schedule
                        .get(v)
                        .map(|r| r.label.clone())
                        .unwrap_or_default(),
                    Ty::Dpia => self
                        .names(f.ty, v)
                        .await?
                        .into_iter()
                        .map(|(_, n)| n.split(':').next().unwrap_or("").to_string())
                        .collect::<Vec<_>>()
                        .join("; "),
                    _ => self.shown_plain(f.ty, v),
                };
                row.push(shown);
            }
            rows.push(row);
        }
        Ok((header, rows))
    }

    pub async fn export_csv(
        &self,
        caller: &Caller,
        organisation_id: &str,
        register: Register,
    ) -> CoreResult<Vec<u8>> {
        let (header, rows) = self.export_table(caller, organisation_id, register).await?;
        to_csv(&header, &rows)
    }

    pub async fn export_xlsx(
        &self,
        caller: &Caller,
        organisation_id: &str,
        register: Register,
    ) -> CoreResult<Vec<u8>> {
        let (header, rows) = self.export_table(caller, organisation_id, register).await?;
        to_xlsx(register.def().title, &header, &rows)
    }
}

fn mapping_of(
    register: Register,
    import_id: String,
    table: &Table,
    map: &[Option<&'static str>],
) -> ColumnMapping {
    let columns = table
        .0
        .iter()
        .enumerate()
        .map(|(i, h)| MappedColumn {
            header: h.clone(),
            field: map.get(i).copied().flatten().map(str::to_string),
            example: table
                .1
                .iter()
                .filter_map(|(_, cells)| cells.get(i))
                .find(|c| !c.is_empty())
                .cloned()
                .unwrap_or_default(),
        })
        .collect();
    ColumnMapping {
        import_id,
        register,
        columns,
    }
}

struct Lookups {
    partners: Vec<(String, String)>,
    assets: Vec<(String, String)>,
    templates: Vec<(String, String)>,
}

pub fn to_csv(header: &[String], rows: &[Vec<String>]) -> CoreResult<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let err = |e: csv::Error| CoreError::Internal(e.to_string());
    w.write_record(header.iter().map(|h| csv_cell(h)))
        .map_err(err)?;
    for r in rows {
        w.write_record(r.iter().map(|c| csv_cell(c))).map_err(err)?;
    }
    w.into_inner()
        .map_err(|e| CoreError::Internal(e.to_string()))
}

pub fn to_xlsx(title: &str, header: &[String], rows: &[Vec<String>]) -> CoreResult<Vec<u8>> {
    use rust_xlsxwriter::{Format as XFormat, Workbook};
    let err = |e: rust_xlsxwriter::XlsxError| CoreError::Internal(e.to_string());
    let mut wb = Workbook::new();
    let sheet = wb.add_worksheet();
    let name: String = title
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == ' ')
        .take(31)
        .collect();
    sheet.set_name(name.trim()).map_err(err)?;
    let bold = XFormat::new().set_bold().set_text_wrap();
    let wrap = XFormat::new().set_text_wrap();
    for (c, h) in header.iter().enumerate() {
        sheet
            .write_string_with_format(0, c as u16, h, &bold)
            .map_err(err)?;
        sheet.set_column_width(c as u16, 28).map_err(err)?;
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            // Written as text: a cell is never run as a formula.
            sheet
                .write_string_with_format(r as u32 + 1, c as u16, v, &wrap)
                .map_err(err)?;
        }
    }
    sheet.set_freeze_panes(1, 0).map_err(err)?;
    if !header.is_empty() {
        sheet
            .autofilter(0, 0, rows.len() as u32, header.len() as u16 - 1)
            .map_err(err)?;
    }
    wb.save_to_buffer().map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_neutralised() {
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(csv_cell("+44 1202"), "'+44 1202");
        assert_eq!(csv_cell("-1"), "'-1");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_cell("\tx"), "'\tx");
        assert_eq!(csv_cell("Referrals"), "Referrals");
    }

    #[test]
    fn csv_lines_are_numbered_and_bad_text_is_reported() {
        let mut file = b"Name,Type\nA,b\n".to_vec();
        file.extend_from_slice(b"Caf\xe9,c\n\nD,e\n");
        let (h, rows, errors) = read_table(Format::Csv, &file).unwrap();
        assert_eq!(h, ["Name", "Type"]);
        assert_eq!(rows.iter().map(|r| r.0).collect::<Vec<_>>(), [2, 5]);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].line, 3);
        assert!(errors[0].message.contains("UTF-8"));
    }

    #[test]
    fn a_file_over_the_limit_is_refused_before_reading() {
        let big = vec![b'a'; MAX_IMPORT_BYTES + 1];
        let e = read_table(Format::Csv, &big).unwrap_err();
        assert!(e.contains("largest file"), "{e}");
    }

    #[test]
    fn xlsx_written_reads_back() {
        let header = vec!["Reference".to_string(), "Organisation".to_string()];
        let rows = vec![vec!["SP-0001".to_string(), "=cmd".to_string()]];
        let bytes = to_xlsx("Sharing partners", &header, &rows).unwrap();
        assert_eq!(Format::detect("x.bin", &bytes), Format::Xlsx);
        let (h, r, e) = read_table(Format::Xlsx, &bytes).unwrap();
        assert_eq!(h, header);
        assert_eq!(r, vec![(2, rows[0].clone())]);
        assert!(e.is_empty());
    }
}
