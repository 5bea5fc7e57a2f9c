//! steward-optout: the National Data Opt-out and Type 1 opt-out filter (pure library, no
//! database or HTTP).
//!
//! Removes the rows of patients who opted out from an extract before it leaves the practice:
//! matched by NHS number (valid modulus 11 check digit only), CSV or Parquet in and out,
//! streamed in pieces on every core with memory bounded by the opt-out lists, never by the
//! extract. Bad rows are counted and written to a rejects file by line, never passed on. The
//! report counts; it never names a removed patient.
//!
//! ```no_run
//! use steward_optout::{filter, ListKind, Options, OptOuts};
//! let mut lists = OptOuts::new();
//! lists.read_file("type1.csv".as_ref(), ListKind::Type1, "nhs_number")?;
//! lists.read_file("ndoo.csv".as_ref(), ListKind::Ndoo, "nhs_number")?;
//! let report = filter(&lists, &Options::new("extract.csv", "clean.csv"), &mut |_| {})?;
//! print!("{}", report.text());
//! # anyhow::Ok(())
//! ```

pub mod cli;
pub mod csvscan;
pub mod filter;
pub mod generate;
pub mod lists;
pub mod nhs;
mod pipeline;
pub mod pq;
pub mod report;

pub use filter::{filter, is_parquet, Codec, Format, Options, Stats};
pub use lists::{ListKind, OptOuts};
pub use report::Report;
