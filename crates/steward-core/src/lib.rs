//! Steward's domain: organisations, people and roles, sign-in, the audit trail, record
//! history, attachments, comments and actions. No HTTP here: the web pages, the JSON API
//! and the CLI all call these service functions, which check the caller's organisation
//! and role themselves.

pub mod actions;
pub mod auth;
pub mod context;
pub mod demo;
pub mod error;
pub mod gate;
pub mod known;
pub mod orgs;
pub mod paging;
pub mod records;
pub mod reminders;
pub mod roles;
pub mod rule_tables;
pub mod sealed;
pub mod time;
pub mod trail;

/// The one CSV writer of every export: cells that a spreadsheet would read as a formula are
/// neutralised (see the crate `steward-csv`).
pub use steward_csv as csv_out;

use std::path::PathBuf;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tokio::sync::{Mutex, OwnedMutexGuard};

pub use context::Caller;
pub use error::{CoreError, CoreResult, FieldError, FieldErrors};
pub use gate::{ops, Kind, Op, OrgPermit, Permit};
pub use roles::Role;
pub use steward_db::Db;

/// SMTP settings for reminder emails.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SmtpConfig {
    pub host: String,
    #[serde(default = "default_smtp_port")]
    pub port: u16,
    /// "none" (a local relay), "starttls" or "tls".
    #[serde(default = "default_smtp_security")]
    pub security: String,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    pub from: String,
}

fn default_smtp_port() -> u16 {
    587
}
fn default_smtp_security() -> String {
    "starttls".into()
}

#[derive(Debug, Clone)]
pub struct CoreConfig {
    /// Attachments and the SQLite file live here.
    pub data_dir: PathBuf,
    pub max_attachment_bytes: usize,
    /// The address people reach Steward at, for links in emails and calendar feeds.
    pub base_url: String,
    pub smtp: Option<SmtpConfig>,
    /// Seals second-factor keys at rest (`STEWARD_SECRET_KEY`). `steward serve` refuses to
    /// start without it; commands that never touch a second factor do not need it.
    pub secret_key: Option<sealed::SecretKey>,
}

/// The service layer: one per process, cheap to clone.
#[derive(Clone)]
pub struct Steward {
    pub db: Db,
    pub config: Arc<CoreConfig>,
    /// Serialises write transactions in this process: SQLite has one writer, and the
    /// audit trail's hash chain must be extended one entry at a time.
    write_lock: Arc<Mutex<()>>,
    /// Trail entries waiting for the next group commit (see [`Steward::trail_standalone`]).
    trail_queue: Arc<std::sync::Mutex<Vec<trail::Waiting>>>,
}

/// A write transaction holding the process's write lock until commit or drop.
pub struct Write {
    _guard: OwnedMutexGuard<()>,
    pub tx: steward_db::Tx<'static>,
}

impl Write {
    pub async fn commit(self) -> CoreResult<()> {
        self.tx.commit().await?;
        Ok(())
    }
}

impl Steward {
    pub fn new(db: Db, config: CoreConfig) -> Steward {
        Steward {
            db,
            config: Arc::new(config),
            write_lock: Arc::new(Mutex::new(())),
            trail_queue: Arc::default(),
        }
    }

    pub async fn write(&self) -> CoreResult<Write> {
        let guard = self.write_lock.clone().lock_owned().await;
        let tx = self.db.begin_write().await?;
        Ok(Write { _guard: guard, tx })
    }
}
