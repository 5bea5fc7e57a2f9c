//! steward-access-audit: the access-audit engine (pure library, no database or HTTP).
//!
//! Implements the rule contract of `shared/reference/access-audit-rules.md` exactly: the five
//! canonical tables (`table`), per-system mapping files and the rules data file (`config`),
//! loading (`data`), the streaming rule engine (events decoded once, `compact`) with cases and
//! statistics (`engine`), the monthly per-user sample (`sample`) and the `steward audit`
//! subcommands (`cli`).
//!
//! Library use (the web app):
//! ```no_run
//! use steward_access_audit::{load, run, Rules};
//! let ds = load(std::path::Path::new("data/"), None)?;
//! let result = run(&ds, &Rules::default(), &mut |p| eprintln!("{} events", p.events))?;
//! println!("{} flags, {:.1}% explained", result.flags.len(), 100.0 * result.stats.explained_share);
//! # anyhow::Ok(())
//! ```

pub mod cli;
pub(crate) mod compact;
pub mod config;
pub mod data;
pub mod engine;
pub mod report;
pub mod sample;
pub mod table;
pub mod time;

pub use config::{Mapping, Rule, Rules};
pub use data::{load, load_with, Dataset, Issue, Issues};
pub use engine::{
    run, run_csv, run_streaming, run_streaming_with, AuditResult, Case, CaseKind, Flag, Progress,
    RunOptions, Stats,
};
pub use sample::{sample, SampleRow};
pub use table::Prefer;

/// Loads a data folder with an optional mapping file (convenience for callers with paths).
pub fn load_with_mapping_file(
    dir: &std::path::Path,
    mapping: Option<&std::path::Path>,
) -> anyhow::Result<Dataset> {
    let m = mapping.map(Mapping::load).transpose()?;
    load(dir, m.as_ref())
}
