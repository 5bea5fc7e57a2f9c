//! steward-registers: the registers a GP practice and its DPO keep (issue 12), and the
//! privacy notices generated from them.
//!
//! Pure rules at the root, each from a data file under `data/` with the law beside it:
//! - [`rules`]: lawful bases (Art 6), special category conditions (Art 9), the common law
//!   duty of confidentiality, the Article 13/14 notice elements, the Article 28 checklist
//!   and the code lists;
//! - [`fields`]: each register as a list of fields, and the one validation that reads a
//!   form, a JSON body or a spreadsheet row;
//! - [`notice`]: the privacy notice generated from the registers and its Article 13/14
//!   check; [`readability`]: the Flesch reading ease shown to the editor.
//!
//! Behind the default feature `service`, every function asking the core's gate first:
//! the registers over storage ([`store`]), the cluster master log and sharing projects
//! ([`cluster`]), privacy notices ([`transparency`]), import and export ([`transfer`]) and
//! demo data ([`demo`]).

pub mod fields;
pub mod notice;
pub mod readability;
pub mod rules;

pub use fields::{Register, RegisterDef, REGISTERS};
pub use rules::Rules;

#[cfg(feature = "service")]
pub mod cluster;
#[cfg(feature = "service")]
pub mod demo;
#[cfg(feature = "service")]
pub mod store;
#[cfg(feature = "service")]
pub mod transfer;
#[cfg(feature = "service")]
pub mod transparency;

/// The rules for a Steward instance, read from its data folder once per folder.
#[cfg(feature = "service")]
pub fn rules(steward: &steward_core::Steward) -> std::sync::Arc<Rules> {
    steward_core::rule_tables::cached(steward, "register", Rules::load, Rules::embedded)
}

/// "1 processing activity", "3 processing activities".
pub fn count_words(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}
