//! The rules data file (parameters and severities of the contract's rules) and the per-system
//! mapping file (column names, date formats, code values).

use anyhow::{bail, Context, Result};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

/// The contract's rule names (shared/reference/access-audit-rules.md, table "Rules").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Rule {
    SelfAccess,
    Family,
    Neighbour,
    Coworker,
    Vip,
    Deceased,
    Leaver,
    AfterHours,
    Unexplained,
    Volume,
}

impl Rule {
    pub const ALL: [Rule; 10] = [
        Rule::SelfAccess,
        Rule::Family,
        Rule::Neighbour,
        Rule::Coworker,
        Rule::Vip,
        Rule::Deceased,
        Rule::Leaver,
        Rule::AfterHours,
        Rule::Unexplained,
        Rule::Volume,
    ];
    /// The name used in flags.csv, exactly as in the contract.
    pub fn name(self) -> &'static str {
        match self {
            Rule::SelfAccess => "SELF",
            Rule::Family => "FAMILY",
            Rule::Neighbour => "NEIGHBOUR",
            Rule::Coworker => "COWORKER",
            Rule::Vip => "VIP",
            Rule::Deceased => "DECEASED",
            Rule::Leaver => "LEAVER",
            Rule::AfterHours => "AFTER_HOURS",
            Rule::Unexplained => "UNEXPLAINED",
            Rule::Volume => "VOLUME",
        }
    }
    pub fn from_name(s: &str) -> Option<Rule> {
        Rule::ALL.into_iter().find(|r| r.name() == s)
    }
    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    explained: ExplainedCfg,
    after_hours: AfterHoursFile,
    neighbour: NeighbourCfg,
    volume: VolumeCfg,
    rules: BTreeMap<String, RuleCfg>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExplainedCfg {
    pub days_before_start: f64,
    pub days_after_end: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct AfterHoursFile {
    day_starts: String,
    day_ends: String,
    #[serde(default)]
    suppressing_episode_types: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NeighbourCfg {
    pub max_house_number_gap: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VolumeCfg {
    pub percentile: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleCfg {
    pub enabled: bool,
    pub severity: u32,
    #[serde(default)]
    pub title: String,
}

/// Parsed, validated rules.
#[derive(Debug, Clone)]
pub struct Rules {
    /// Seconds before an episode's start that still explain an access.
    pub explained_before: i64,
    /// Seconds after an episode's end that still explain an access.
    pub explained_after: i64,
    /// Seconds since midnight: AFTER_HOURS when time of day < day_starts or >= day_ends.
    pub day_starts: i64,
    pub day_ends: i64,
    /// Episode types that suppress AFTER_HOURS (upper-case); empty = any.
    pub suppressing_episode_types: Vec<String>,
    pub max_house_number_gap: u32,
    pub volume_percentile: f64,
    pub enabled: [bool; 10],
    pub severity: [u32; 10],
    pub title: [String; 10],
}

/// The shipped default rules file (embedded).
pub const DEFAULT_RULES_TOML: &str = include_str!("../data/rules.toml");

fn hhmm(s: &str) -> Result<i64> {
    let (h, m) = s
        .split_once(':')
        .with_context(|| format!("time {s:?} is not HH:MM"))?;
    let (h, m): (i64, i64) = (h.trim().parse()?, m.trim().parse()?);
    if !(0..=24).contains(&h) || !(0..60).contains(&m) || (h == 24 && m != 0) {
        bail!("time {s:?} out of range");
    }
    Ok(h * 3600 + m * 60)
}

impl Rules {
    pub fn from_toml(text: &str) -> Result<Rules> {
        let f: RulesFile = toml::from_str(text).context("rules file")?;
        let mut enabled = [false; 10];
        let mut severity = [0; 10];
        let mut title: [String; 10] = Default::default();
        for (name, cfg) in &f.rules {
            let r = Rule::from_name(name).with_context(|| {
                format!("rules file: unknown rule {name:?} (the contract's rules: SELF, FAMILY, NEIGHBOUR, COWORKER, VIP, DECEASED, LEAVER, AFTER_HOURS, UNEXPLAINED, VOLUME)")
            })?;
            enabled[r.index()] = cfg.enabled;
            severity[r.index()] = cfg.severity;
            title[r.index()] = cfg.title.clone();
        }
        for r in Rule::ALL {
            if !f.rules.contains_key(r.name()) {
                bail!("rules file: rule {} missing", r.name());
            }
        }
        let p = f.volume.percentile;
        if !(0.0..=1.0).contains(&p) {
            bail!("rules file: volume.percentile must be within 0..=1, got {p}");
        }
        if f.explained.days_before_start < 0.0 || f.explained.days_after_end < 0.0 {
            bail!("rules file: explained windows must not be negative");
        }
        Ok(Rules {
            explained_before: (f.explained.days_before_start * 86_400.0).round() as i64,
            explained_after: (f.explained.days_after_end * 86_400.0).round() as i64,
            day_starts: hhmm(&f.after_hours.day_starts)?,
            day_ends: hhmm(&f.after_hours.day_ends)?,
            suppressing_episode_types: f
                .after_hours
                .suppressing_episode_types
                .iter()
                .map(|s| s.trim().to_uppercase())
                .collect(),
            max_house_number_gap: f.neighbour.max_house_number_gap,
            volume_percentile: p,
            enabled,
            severity,
            title,
        })
    }
    pub fn load(path: &Path) -> Result<Rules> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        Rules::from_toml(&text).with_context(|| format!("in {}", path.display()))
    }
    pub fn on(&self, r: Rule) -> bool {
        self.enabled[r.index()]
    }
    pub fn severity(&self, r: Rule) -> u32 {
        self.severity[r.index()]
    }
}

impl Default for Rules {
    fn default() -> Self {
        Rules::from_toml(DEFAULT_RULES_TOML).expect("embedded rules.toml is valid")
    }
}

/// Mapping file: turns one source system's export into the canonical tables.
///
/// ```toml
/// system = "Example PAS"
/// timestamp_formats = ["%d/%m/%Y %H:%M"]   # default for every timestamp column
/// date_formats = ["%d/%m/%Y"]              # default for every date column
/// [tables.events]
/// file = "audit_trail.csv"                 # relative to --data; .csv or .parquet
/// delimiter = ";"
/// columns = { event_id = "AuditID", ts = "When", user_id = "Login", patient_id = "PatientRef" }
/// absent = ["workstation"]                 # canonical columns the export does not have
/// formats = { ts = ["%d/%m/%Y %H:%M:%S"] }
/// [tables.patients.values.vip]             # code values: source value -> canonical value
/// "Y" = "true"
/// ```
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    #[serde(default)]
    pub system: Option<String>,
    #[serde(default)]
    pub date_formats: Option<Vec<String>>,
    #[serde(default)]
    pub timestamp_formats: Option<Vec<String>>,
    #[serde(default)]
    pub tables: BTreeMap<String, TableMapping>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableMapping {
    #[serde(default)]
    pub file: Option<String>,
    #[serde(default)]
    pub delimiter: Option<String>,
    #[serde(default)]
    pub columns: BTreeMap<String, String>,
    #[serde(default)]
    pub absent: Vec<String>,
    #[serde(default)]
    pub formats: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub values: BTreeMap<String, BTreeMap<String, String>>,
}

impl Mapping {
    pub fn from_toml(text: &str) -> Result<Mapping> {
        let m: Mapping = toml::from_str(text).context("mapping file")?;
        for f in [&m.date_formats, &m.timestamp_formats]
            .into_iter()
            .flatten()
        {
            crate::time::TimeParser::new(f)
                .map_err(anyhow::Error::msg)
                .context("mapping file: date_formats / timestamp_formats")?;
        }
        for (t, tm) in &m.tables {
            let Some(table) = crate::table::Table::from_name(t) else {
                bail!("mapping file: unknown table {t:?} (canonical tables: patients, users, teams, care_episodes, events)");
            };
            let cols = table.columns();
            let known = |c: &String| cols.iter().any(|d| d.name == c);
            for c in tm
                .columns
                .keys()
                .chain(tm.absent.iter())
                .chain(tm.formats.keys())
                .chain(tm.values.keys())
            {
                if !known(c) {
                    bail!("mapping file: table {t}: unknown canonical column {c:?}");
                }
            }
            for (c, f) in &tm.formats {
                crate::time::TimeParser::new(f)
                    .map_err(anyhow::Error::msg)
                    .with_context(|| format!("mapping file: table {t}: formats of {c}"))?;
            }
            if let Some(d) = &tm.delimiter {
                if d.len() != 1 {
                    bail!("mapping file: table {t}: delimiter must be one ASCII character");
                }
            }
        }
        Ok(m)
    }
    pub fn load(path: &Path) -> Result<Mapping> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        Mapping::from_toml(&text).with_context(|| format!("in {}", path.display()))
    }
}
