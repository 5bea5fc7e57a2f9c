//! An uploaded export: its files and their column names, and the mapping a person builds from
//! them (column by column, once per source system) as the engine's mapping TOML.

use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::Path;

use serde::{Deserialize, Serialize};
use steward_access_audit::table::Table;
use steward_access_audit::Mapping;
use steward_core::FieldErrors;

/// One file of an export, with the columns of its header row.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ExportFile {
    pub name: String,
    pub columns: Vec<String>,
    /// The CSV delimiter found in the header row (Parquet: none).
    pub delimiter: Option<String>,
    pub size: u64,
}

/// The canonical columns without which a table cannot be read (ids and the event time); every
/// other column may be missing from an export and is then declared absent.
pub fn required(table: Table, column: &str) -> bool {
    matches!(
        (table, column),
        (Table::Events, "event_id" | "ts" | "user_id" | "patient_id")
            | (Table::Patients, "patient_id")
            | (Table::Users, "user_id")
            | (Table::Teams, "team_id")
            | (
                Table::CareEpisodes,
                "episode_id" | "patient_id" | "team_id" | "start_ts"
            )
    )
}

/// A canonical column in words, for the mapping form (the name stays visible: it is what
/// the mapping file and the rule contract call it).
pub fn column_label(column: &str) -> String {
    let words = match column {
        "event_id" => "Event id",
        "ts" => "Date and time of the access",
        "user_id" => "User id",
        "patient_id" => "Patient id",
        "action" => "What was done",
        "workstation" => "Workstation",
        "nhs_number" => "NHS number",
        "given" => "Given name",
        "family" => "Family name",
        "dob" => "Date of birth",
        "address_line" => "Address (first line)",
        "town" => "Town",
        "postcode" => "Postcode",
        "deceased_date" => "Date of death",
        "vip" => "VIP flag",
        "role" => "Role",
        "team_id" => "Team id",
        "organisation" => "Organisation",
        "start_date" => "Start date",
        "leave_date" => "Leaving date",
        "home_address_line" => "Home address (first line)",
        "home_postcode" => "Home postcode",
        "team_name" => "Team name",
        "specialty" => "Specialty",
        "episode_id" => "Episode id",
        "episode_type" => "Type of episode",
        "start_ts" => "Start",
        "end_ts" => "End (empty if still open)",
        other => other,
    };
    format!("{words} ({column})")
}

/// Which table a person is asked to map, in the order a person thinks of them.
pub const TABLES: [Table; 5] = [
    Table::Events,
    Table::Users,
    Table::Patients,
    Table::CareEpisodes,
    Table::Teams,
];

pub fn table_label(t: Table) -> &'static str {
    match t {
        Table::Events => "Access events (the audit trail)",
        Table::Users => "Users (staff accounts)",
        Table::Patients => "Patients",
        Table::CareEpisodes => "Care episodes (appointments, referrals, admissions)",
        Table::Teams => "Teams",
    }
}

fn sniff_delimiter(header: &str) -> u8 {
    [b',', b';', b'\t', b'|']
        .into_iter()
        .max_by_key(|d| header.bytes().filter(|b| b == d).count())
        .unwrap_or(b',')
}

/// Reads the column names of a CSV or Parquet file.
pub fn read_columns(path: &Path) -> anyhow::Result<(Vec<String>, Option<String>)> {
    let is_parquet = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("parquet"));
    if is_parquet {
        use parquet::file::reader::{FileReader, SerializedFileReader};
        let r = SerializedFileReader::new(std::fs::File::open(path)?)?;
        let cols = r
            .metadata()
            .file_metadata()
            .schema_descr()
            .columns()
            .iter()
            .map(|c| c.name().to_string())
            .collect();
        return Ok((cols, None));
    }
    let mut first = String::new();
    std::io::BufReader::new(std::fs::File::open(path)?).read_line(&mut first)?;
    let first = first.trim_start_matches('\u{feff}');
    let d = sniff_delimiter(first);
    let mut r = csv::ReaderBuilder::new()
        .delimiter(d)
        .has_headers(false)
        .from_reader(first.as_bytes());
    let cols = match r.records().next() {
        Some(rec) => rec?.iter().map(|c| c.trim().to_string()).collect(),
        None => Vec::new(),
    };
    Ok((cols, Some((d as char).to_string())))
}

/// The CSV and Parquet files of an export folder, sorted by name.
pub fn list_files(dir: &Path) -> anyhow::Result<Vec<ExportFile>> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir)? {
        let e = e?;
        let path = e.path();
        let ext = path
            .extension()
            .and_then(|x| x.to_str())
            .map(|x| x.to_ascii_lowercase())
            .unwrap_or_default();
        if !path.is_file() || !matches!(ext.as_str(), "csv" | "parquet" | "txt") {
            continue;
        }
        let (columns, delimiter) = read_columns(&path).unwrap_or_default();
        out.push(ExportFile {
            name: e.file_name().to_string_lossy().into_owned(),
            columns,
            delimiter,
            size: e.metadata().map(|m| m.len()).unwrap_or(0),
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

fn squash(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase()
}

/// Words that usually name a table's file in a system's export.
fn file_hints(t: Table) -> &'static [&'static str] {
    match t {
        Table::Events => &["events", "event", "audit", "access", "log"],
        Table::Users => &["users", "user", "staff"],
        Table::Patients => &["patients", "patient", "registrations"],
        Table::CareEpisodes => &["care_episodes", "episode", "appointment", "encounter"],
        Table::Teams => &["teams", "team"],
    }
}

/// The file most likely to hold a table: its canonical name, else a name containing a hint.
pub fn guess_file(t: Table, files: &[ExportFile]) -> Option<String> {
    let stem = |f: &ExportFile| {
        f.name
            .rsplit_once('.')
            .map(|(s, _)| s.to_ascii_lowercase())
            .unwrap_or_default()
    };
    if let Some(f) = files.iter().find(|f| stem(f) == t.name()) {
        return Some(f.name.clone());
    }
    for h in file_hints(t) {
        if let Some(f) = files.iter().find(|f| stem(f).contains(h)) {
            return Some(f.name.clone());
        }
    }
    None
}

/// The source column most likely to hold a canonical column: the same name ignoring case,
/// spaces and underscores.
pub fn guess_column(canonical: &str, columns: &[String]) -> Option<String> {
    let want = squash(canonical);
    columns.iter().find(|c| squash(c) == want).cloned()
}

/// What a person chose on the mapping form.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MappingDraft {
    /// The source system, e.g. "EMIS Web"; the mapping is saved under this name.
    pub system_name: String,
    /// Per canonical table: the file that holds it.
    #[serde(default)]
    pub files: BTreeMap<String, String>,
    /// Per canonical table, per canonical column: the export's column (empty = not in export).
    #[serde(default)]
    pub columns: BTreeMap<String, BTreeMap<String, String>>,
    /// Date format of date columns, e.g. %d/%m/%Y (empty: 2025-05-14).
    #[serde(default)]
    pub date_format: String,
    /// Format of timestamps, e.g. %d/%m/%Y %H:%M (empty: 2025-05-14 10:30:00).
    #[serde(default)]
    pub timestamp_format: String,
    /// Code values the export writes differently, one per line:
    /// `table.column: source value = canonical value`, e.g. `patients.vip: Y = true`.
    #[serde(default)]
    pub code_values: String,
}

/// Reads the code-value lines of a draft: per table, per column, source -> canonical.
/// Each bad line is reported by its number.
type CodeValues = BTreeMap<String, BTreeMap<String, BTreeMap<String, String>>>;

fn code_values(text: &str, errors: &mut FieldErrors) -> CodeValues {
    let mut out = CodeValues::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let parsed = line.split_once(':').and_then(|(target, pair)| {
            let (table, column) = target.trim().split_once('.')?;
            let (from, to) = pair.split_once('=')?;
            Some((table.trim(), column.trim(), from.trim(), to.trim()))
        });
        let Some((table, column, from, to)) = parsed.filter(|p| !p.2.is_empty() && !p.3.is_empty())
        else {
            errors.add(
                "code_values",
                format!(
                    "Line {}: write table.column: value in the export = value Steward expects, for example patients.vip: Y = true",
                    n + 1
                ),
            );
            continue;
        };
        let known =
            Table::from_name(table).is_some_and(|t| t.columns().iter().any(|c| c.name == column));
        if !known {
            errors.add(
                "code_values",
                format!(
                    "Line {}: {table}.{column} is not a column of the audit's tables",
                    n + 1
                ),
            );
            continue;
        }
        out.entry(table.to_string())
            .or_default()
            .entry(column.to_string())
            .or_default()
            .insert(from.to_string(), to.to_string());
    }
    out
}

/// The engine's default timestamp formats (crates/steward-access-audit/README.md).
const ISO_TIMESTAMPS: &[&str] = &["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"];

#[derive(Serialize)]
struct MappingOut {
    system: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    date_formats: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    timestamp_formats: Option<Vec<String>>,
    tables: BTreeMap<String, TableOut>,
}

#[derive(Serialize)]
struct TableOut {
    file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    delimiter: Option<String>,
    columns: BTreeMap<String, String>,
    absent: Vec<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    values: BTreeMap<String, BTreeMap<String, String>>,
}

/// Field name of a column select on the form: `col.events.ts`.
pub fn column_field(t: Table, column: &str) -> String {
    format!("col.{}.{column}", t.name())
}

/// Field name of a table's file select: `file.events`.
pub fn file_field(t: Table) -> String {
    format!("file.{}", t.name())
}

/// Checks a draft against the export's files and turns it into the engine's mapping TOML.
pub fn build_mapping(draft: &MappingDraft, files: &[ExportFile]) -> Result<String, FieldErrors> {
    let mut errors = FieldErrors::default();
    let system = draft.system_name.trim();
    if system.is_empty() {
        errors.add(
            "system_name",
            "Enter the name of the clinical system, for example EMIS Web",
        );
    } else if system.chars().count() > 100 {
        errors.add(
            "system_name",
            "The system name must be 100 characters or fewer",
        );
    }
    let mut values = code_values(&draft.code_values, &mut errors);
    let mut tables = BTreeMap::new();
    for t in TABLES {
        let fname = draft.files.get(t.name()).map(|s| s.trim()).unwrap_or("");
        let Some(file) = files.iter().find(|f| f.name == fname) else {
            errors.add(
                &file_field(t),
                format!(
                    "Select the file that holds the {}",
                    table_label(t).to_lowercase()
                ),
            );
            continue;
        };
        let chosen = draft.columns.get(t.name());
        let mut columns = BTreeMap::new();
        let mut absent = Vec::new();
        for c in t.columns() {
            let v = chosen
                .and_then(|m| m.get(c.name))
                .map(|s| s.trim())
                .unwrap_or("");
            if v.is_empty() {
                if required(t, c.name) {
                    errors.add(
                        &column_field(t, c.name),
                        format!("Select the column of {} that holds {}", file.name, c.name),
                    );
                } else {
                    absent.push(c.name.to_string());
                }
            } else if !file.columns.iter().any(|x| x == v) {
                errors.add(
                    &column_field(t, c.name),
                    format!("{} has no column {v:?}", file.name),
                );
            } else {
                columns.insert(c.name.to_string(), v.to_string());
            }
        }
        tables.insert(
            t.name().to_string(),
            TableOut {
                file: file.name.clone(),
                delimiter: file.delimiter.clone().filter(|d| d != ","),
                columns,
                absent,
                values: values.remove(t.name()).unwrap_or_default(),
            },
        );
    }
    // The format typed applies to every table; exports often mix it with ISO dates in the
    // other tables, so the engine's defaults are tried after it (the engine takes a list).
    let fmt = |s: &str, defaults: &[&str]| {
        let s = s.trim();
        (!s.is_empty()).then(|| {
            std::iter::once(s.to_string())
                .chain(defaults.iter().map(|d| d.to_string()))
                .collect::<Vec<_>>()
        })
    };
    let out = MappingOut {
        system: system.to_string(),
        date_formats: fmt(&draft.date_format, &["%Y-%m-%d"]),
        timestamp_formats: fmt(&draft.timestamp_format, ISO_TIMESTAMPS),
        tables,
    };
    errors.clone().into_result().map_err(|_| errors)?;
    let text = toml::to_string(&out).map_err(|e| {
        let mut f = FieldErrors::default();
        f.add(
            "system_name",
            format!("The mapping could not be written: {e}"),
        );
        f
    })?;
    // The engine's own checks (format specifiers, known columns) before anything is saved.
    if let Err(e) = Mapping::from_toml(&text) {
        let mut f = FieldErrors::default();
        let msg = format!("{e:#}");
        let field = if msg.contains("formats") {
            if draft.timestamp_format.trim().is_empty() {
                "date_format"
            } else {
                "timestamp_format"
            }
        } else {
            "system_name"
        };
        f.add(field, format!("The mapping is not valid: {msg}"));
        return Err(f);
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, cols: &[&str]) -> ExportFile {
        ExportFile {
            name: name.into(),
            columns: cols.iter().map(|c| c.to_string()).collect(),
            delimiter: Some(",".into()),
            size: 1,
        }
    }

    #[test]
    fn guesses_files_and_columns() {
        let files = vec![
            file("AuditTrail.csv", &["AuditId", "When"]),
            file("staff.csv", &["User ID"]),
            file("patients.csv", &["patient_id"]),
        ];
        assert_eq!(
            guess_file(Table::Events, &files).as_deref(),
            Some("AuditTrail.csv")
        );
        assert_eq!(
            guess_file(Table::Users, &files).as_deref(),
            Some("staff.csv")
        );
        assert_eq!(
            guess_file(Table::Patients, &files).as_deref(),
            Some("patients.csv")
        );
        assert_eq!(guess_file(Table::Teams, &files), None);
        assert_eq!(
            guess_column("user_id", &files[1].columns).as_deref(),
            Some("User ID")
        );
    }

    #[test]
    fn a_draft_becomes_a_mapping_the_engine_reads() {
        let mut files = vec![file(
            "audit.csv",
            &["AuditId", "When", "Login", "PatientRef"],
        )];
        files[0].delimiter = Some(";".into());
        for t in ["users", "patients", "care_episodes", "teams"] {
            let cols: Vec<&str> = Table::from_name(t)
                .unwrap()
                .columns()
                .iter()
                .map(|c| c.name)
                .collect();
            files.push(file(&format!("{t}.csv"), &cols));
        }
        let mut d = MappingDraft {
            system_name: "Example PAS".into(),
            timestamp_format: "%d/%m/%Y %H:%M".into(),
            ..Default::default()
        };
        for f in &files[1..] {
            let t = f.name.trim_end_matches(".csv").to_string();
            d.files.insert(t.clone(), f.name.clone());
            d.columns.insert(
                t,
                f.columns.iter().map(|c| (c.clone(), c.clone())).collect(),
            );
        }
        d.files.insert("events".into(), "audit.csv".into());
        // ts not chosen: a clear message on that field
        let ev: BTreeMap<String, String> = [
            ("event_id", "AuditId"),
            ("user_id", "Login"),
            ("patient_id", "PatientRef"),
        ]
        .into_iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        d.columns.insert("events".into(), ev);
        let e = build_mapping(&d, &files).unwrap_err();
        assert_eq!(e.0.len(), 1, "{e:?}");
        assert_eq!(e.0[0].field, "col.events.ts");
        d.columns
            .get_mut("events")
            .unwrap()
            .insert("ts".into(), "When".into());
        let text = build_mapping(&d, &files).unwrap();
        let m = Mapping::from_toml(&text).unwrap();
        let ev = &m.tables["events"];
        assert_eq!(ev.file.as_deref(), Some("audit.csv"));
        assert_eq!(ev.delimiter.as_deref(), Some(";"));
        assert_eq!(ev.columns["ts"], "When");
        assert!(ev.absent.contains(&"workstation".to_string()));
        // Code values: each bad line by its number; good lines reach the engine's mapping.
        d.code_values = "patients.vip: Y = true\nY means VIP\n\npatients.colour: red = blue\ncare_episodes.episode_type: A&E = emergency\n".into();
        let e = build_mapping(&d, &files).unwrap_err();
        let messages: Vec<&str> = e.0.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(messages.len(), 2, "{messages:?}");
        assert!(messages[0].starts_with("Line 2:"), "{messages:?}");
        assert!(
            messages[1].starts_with("Line 4: patients.colour"),
            "{messages:?}"
        );
        assert!(e.0.iter().all(|f| f.field == "code_values"));
        d.code_values = "patients.vip: Y = true\npatients.vip: N = false\ncare_episodes.episode_type: A&E = emergency".into();
        let m = Mapping::from_toml(&build_mapping(&d, &files).unwrap()).unwrap();
        assert_eq!(m.tables["patients"].values["vip"]["Y"], "true");
        assert_eq!(m.tables["patients"].values["vip"]["N"], "false");
        assert_eq!(
            m.tables["care_episodes"].values["episode_type"]["A&E"],
            "emergency"
        );
        assert!(m.tables["events"].values.is_empty());
        // an unknown format specifier is refused with the engine's message
        d.timestamp_format = "%Q".into();
        let e = build_mapping(&d, &files).unwrap_err();
        assert_eq!(e.0[0].field, "timestamp_format");
    }

    #[test]
    fn reads_csv_headers_with_their_delimiter() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("a.csv"),
            "\u{feff}AuditId;When;Login\n1;2;3\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("notes.doc"), "x").unwrap();
        let files = list_files(dir.path()).unwrap();
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].columns, vec!["AuditId", "When", "Login"]);
        assert_eq!(files[0].delimiter.as_deref(), Some(";"));
    }
}
