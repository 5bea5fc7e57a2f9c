//! The one integration-test binary: every test drives the real server over HTTP on a random
//! port, once against SQLite and once against PostgreSQL (`both_backends!`).

mod access_audit;
mod access_gate;
mod accessibility;
mod api_contract;
mod api_inputs;
mod assurance;
mod backup;
mod browser;
mod common;
mod compliance;
mod compliance_audits;
mod dpia;
mod foundation;
mod hardening;
mod letterhead;
mod pages;
mod registers;
mod rights;
mod smtp;
mod words;
