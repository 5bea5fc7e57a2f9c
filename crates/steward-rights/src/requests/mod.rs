//! The request workflow over Steward's storage (feature `service`): logging a request, its
//! identity and authority steps, the clock (pauses, extension), the checklist, the clinician's
//! review, closure and the response letter.
//!
//! Access is the core gate's ([`steward_core::gate`]): reads take a [`Permit`] to read the
//! request, every change asks the gate for a permit to change it (the auditor is read-only),
//! and the clinician's review steps also need a clinician or the Caldicott Guardian. Every create, change and
//! view goes in the audit trail; every change is a new version in the record history.
//!
//! The rules themselves are the pure modules' ([`crate::clock`], [`crate::checklist`],
//! [`crate::closure`], [`crate::identity`]); this module stores and loads what they need.
//!
//! It is split by what a DPO would call each part:
//! - [`codes`]: the names of request types, channels, requesters, statuses and exemptions as
//!   the forms and the API spell them;
//! - [`input`]: what a person enters (form and API alike) and its checks;
//! - [`view`]: a request as Steward shows it, with the clock worked out for today;
//! - `stored` and `storage`: a request's row and how it is loaded and saved (every change is a
//!   new version, and the linked action follows the request);
//! - `logging`: logging a request and changing its details;
//! - `clock`: identity, authority and fee (the clock's start), pauses for clarification,
//!   extension, and the daily move of paused clocks;
//! - `progress`: moving a request on, its checklist and the clinician's review;
//! - `closure`: closing a request, the response letter, telling recipients of a change;
//! - `namesakes`: other patients who could be mistaken for the subject;
//! - `listing`: the list of requests and the dashboard's counts;
//! - `redaction`: what a redaction run takes from the request.

use std::sync::OnceLock;

use chrono::{Duration, NaiveDate};
use steward_core::{Kind, Op, Role, Steward};

use crate::calendar::BankHolidays;
use crate::checklist::Checklist;

mod clock;
mod closure;
pub mod codes;
pub mod input;
mod listing;
mod logging;
mod namesakes;
mod progress;
mod redaction;
mod storage;
mod stored;
pub mod view;

pub use codes::*;
pub use input::*;
pub use redaction::known_parties;
pub use view::*;

/// The record type in the audit trail, history, attachments and comments.
pub const RECORD_TYPE: &str = "rights_request";
/// Rights requests in the gate's policy table.
pub const KIND: Kind = Kind::RightsRequest;
pub const PAGE_SIZE: i64 = 25;

/// England and Wales bank holidays shipped with Steward (data/bank-holidays-england-wales.csv).
pub fn calendar() -> &'static BankHolidays {
    static C: OnceLock<BankHolidays> = OnceLock::new();
    C.get_or_init(BankHolidays::embedded)
}

/// The checklist shipped with Steward (data/checklist.toml).
pub fn checklist() -> &'static Checklist {
    static C: OnceLock<Checklist> = OnceLock::new();
    C.get_or_init(Checklist::embedded)
}

/// Requests reach this module through [`rights`]: Steward's service with the rights functions.
pub struct Rights<'a> {
    pub steward: &'a Steward,
}

pub fn rights(steward: &Steward) -> Rights<'_> {
    Rights { steward }
}

/// Roles who may record the clinician's review (the appropriate health professional).
/// Who gives the clinician's review (the gate's "advise" right on rights requests).
pub fn is_clinician(role: Role) -> bool {
    KIND.allows(role, Op::Advise)
}

pub(super) fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// Days from `a` to `b`, for demo data and tests.
pub fn days_ago(today: NaiveDate, n: i64) -> NaiveDate {
    today - Duration::days(n)
}

#[cfg(test)]
mod service_tests;
