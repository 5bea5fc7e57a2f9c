//! `steward`: the web application and the command line for its heavy engines.

mod backup;

/// mimalloc rather than the system allocator: a page of the web application allocates and
/// frees many small strings (rows, escaped text), and glibc's malloc and free were a sixth of
/// the server's CPU under load (perf, bench/RESULTS.md, 8 December 2026).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};
use steward_core::demo::DEMO_PASSWORD;
use steward_core::orgs::NewUser;
use steward_core::sealed::SecretKey;
use steward_core::trail::Verification;
use steward_core::{CoreConfig, Db, SmtpConfig, Steward};

/// The demo's own sealing key, kept in its data folder (fictional people only).
const DEMO_KEY_FILE: &str = "demo-secret.key";
use steward_web::{AppState, MetricsAccess, WebConfig};

#[derive(Parser)]
#[command(
    name = "steward",
    version,
    about = "Information governance for health and care: DPIAs, registers, rights requests, redaction, access audit."
)]
struct Cli {
    /// Configuration file (TOML). Environment variables STEWARD_* override it: STEWARD_DATA_DIR,
    /// STEWARD_DATABASE_URL, STEWARD_LISTEN, STEWARD_BASE_URL, STEWARD_SECURE_COOKIES,
    /// STEWARD_MAX_ATTACHMENT_MB (default 10), STEWARD_REMINDER_HOUR_UTC, STEWARD_LOG_FORMAT,
    /// STEWARD_SMTP__HOST (and the other SMTP settings); see the README.
    #[arg(long, global = true, env = "STEWARD_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web application.
    Serve,
    /// Create a fictional demo cluster (five GP practices and one trust) and run the web application.
    Demo {
        /// Delete the data folder's database first and start again.
        #[arg(long)]
        reset: bool,
        /// Add this many extra actions to the first practice (for load tests).
        #[arg(long, default_value_t = 0)]
        extra_actions: usize,
        /// Seed the data and exit without serving.
        #[arg(long)]
        seed_only: bool,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Manage user accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Write one archive (zip) of a SQLite installation while the server runs: a consistent
    /// database snapshot, the attachments, redaction runs and uploaded audit exports, and a
    /// manifest with each file's SHA-256. On PostgreSQL use pg_dump (see the README).
    Backup {
        /// The new file to write (must not exist).
        file: PathBuf,
    },
    /// Replace the database and the data folder's files with a backup archive. Checks the
    /// whole archive first (checksums, schema version, audit trail); refuses while a server
    /// uses the data folder; keeps the replaced data in <data_dir>/replaced-<time>/ until the
    /// next start.
    Restore { file: PathBuf },
    /// The tamper-evident audit trail.
    AuditTrail {
        #[command(subcommand)]
        command: TrailCommand,
    },
    /// Redact third parties' data from a subject's records into a PDF bundle and schedule.
    Redact(steward_documents::cli::RedactArgs),
    /// Access audit of clinical-system logs.
    Audit {
        #[command(subcommand)]
        command: steward_access_audit::cli::AuditCommand,
    },
    /// Remove patients who opted out (Type 1, National Data Opt-out) from an extract.
    Optout {
        #[command(subcommand)]
        command: steward_optout::cli::OptoutCommand,
    },
    /// Data protection impact assessments: export one, or import a CNIL PIA tool file or a
    /// DPIA exported from Steward.
    Dpia {
        #[command(subcommand)]
        command: DpiaCommand,
    },
    /// Import and export the registers (CSV and XLSX).
    Registers {
        #[command(subcommand)]
        command: RegistersCommand,
    },
    /// Print a new random key for STEWARD_SECRET_KEY.
    SecretKey,
    /// Move paused requests' due dates to today and send today's reminder emails now: actions
    /// overdue or due soon, and training about to run out (the server does this every day).
    Reminders,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a user.
    Add {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// dpo, ig_lead, siro, caldicott_guardian, clinician, staff, auditor, system_administrator
        #[arg(long)]
        role: String,
        /// The organisation's ODS code.
        #[arg(long)]
        organisation: String,
        /// The first password; read from STEWARD_NEW_PASSWORD if not given.
        #[arg(long, env = "STEWARD_NEW_PASSWORD", hide_env_values = true)]
        password: String,
    },
    /// Deactivate a user: ends their sessions, API tokens and reset links at once.
    Deactivate { email: String },
    /// Issue a one-time password-reset link (24 hours).
    ResetLink { email: String },
    /// Print the current second-factor code of a user (for the demo's DPO, who has no phone).
    TotpCode { email: String },
    /// Print a new API token of a demo account (demo database only; real accounts create
    /// their tokens on their account page), for trying the API or running schemathesis.
    ApiToken {
        email: String,
        /// The token's name, shown on the account page.
        #[arg(long, default_value = "command line")]
        name: String,
    },
}

#[derive(Subcommand)]
enum DpiaCommand {
    /// Write a DPIA as PDF, DOCX, Steward's JSON or the CNIL PIA tool's JSON.
    Export {
        /// The DPIA's id (as the import printed it) or its reference, e.g. DPIA-0001.
        id: String,
        /// pdf, docx, json or cnil
        #[arg(long, default_value = "json")]
        format: String,
        /// The file to write; standard output when absent.
        #[arg(short = 'o', long)]
        output: Option<PathBuf>,
    },
    /// Import a CNIL PIA file or Steward's own DPIA JSON as a new draft; prints its id last.
    Import {
        file: PathBuf,
        /// The organisation's ODS code; the DPO's own organisation when absent.
        #[arg(long)]
        organisation: Option<String>,
    },
}

#[derive(Subcommand)]
enum RegistersCommand {
    /// Import a CSV or XLSX file into a register. The whole file is checked first: any bad
    /// row is printed with its line and nothing is written (exit 1).
    Import {
        /// processing, assets, partners, agreements or processors
        kind: String,
        file: PathBuf,
        /// The organisation's ODS code.
        #[arg(long)]
        organisation: String,
        /// Check the file and say what would change, writing nothing.
        #[arg(long)]
        dry_run: bool,
        /// A column of the file whose name is not the register's: "File header=column",
        /// the column as in the export (or "do not import"). Repeat for each.
        #[arg(long = "map", value_name = "FILE HEADER=COLUMN")]
        map: Vec<String>,
    },
    /// Export a register as CSV or XLSX.
    Export {
        /// processing, assets, partners, agreements or processors
        kind: String,
        #[arg(long)]
        organisation: String,
        /// csv or xlsx
        #[arg(long, default_value = "csv")]
        format: String,
        /// The file to write (default: standard output).
        #[arg(short = 'o', long = "output")]
        output: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum TrailCommand {
    /// Check the hash chain; report the first broken entry. Prints the head to keep
    /// elsewhere (a ticket, an email to the DPO): given back with --anchor it shows whether
    /// the newest entries were later removed.
    Verify {
        /// An earlier head, SEQ:HASH, as printed by a previous verify.
        #[arg(long, value_name = "SEQ:HASH")]
        anchor: Option<String>,
    },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Config {
    data_dir: PathBuf,
    /// sqlite://PATH or postgres://...; default: steward.db in the data folder.
    database_url: Option<String>,
    listen: String,
    /// The address people reach Steward at (for links in emails).
    base_url: Option<String>,
    secure_cookies: bool,
    max_attachment_mb: usize,
    /// Hour of the day (UTC) when reminder emails go out.
    reminder_hour_utc: u32,
    smtp: Option<SmtpConfig>,
    /// "text" or "json"
    log_format: String,
    /// 64 hexadecimal characters: seals second-factor keys at rest. Required, except on
    /// a demo data folder (the demo keeps its own key in the folder).
    secret_key: Option<String>,
    /// `/metrics` on the application's address answers only with `Authorization: Bearer
    /// <metrics_token>`.
    metrics_token: Option<String>,
    /// Serve `/metrics` on this separate address instead (e.g. 127.0.0.1:9090). With
    /// neither setting, metrics are off.
    metrics_listen: Option<String>,
    /// Reverse proxies (addresses or networks) whose X-Forwarded-For is believed, so
    /// sign-in limits count the real client's address.
    trusted_proxies: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: "steward-data".into(),
            database_url: None,
            listen: "127.0.0.1:8080".into(),
            base_url: None,
            secure_cookies: false,
            max_attachment_mb: 10,
            reminder_hour_utc: 7,
            smtp: None,
            log_format: "text".into(),
            secret_key: None,
            metrics_token: None,
            metrics_listen: None,
            trusted_proxies: Vec::new(),
        }
    }
}

impl Config {
    fn load(file: Option<&Path>) -> Result<Config> {
        let mut f = Figment::from(Serialized::defaults(Config::default()));
        if let Some(file) = file {
            if !file.exists() {
                bail!("configuration file {} does not exist", file.display());
            }
            f = f.merge(Toml::file(file));
        } else if Path::new("steward.toml").exists() {
            f = f.merge(Toml::file("steward.toml"));
        }
        f = f.merge(
            Env::prefixed("STEWARD_")
                .split("__")
                .ignore(&["config", "new_password"]),
        );
        f.extract().context("reading the configuration")
    }

    fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("steward.db").display()))
    }

    fn sqlite_path(&self) -> Option<PathBuf> {
        let url = self.database_url();
        url.strip_prefix("sqlite://")
            .map(|p| PathBuf::from(p.split('?').next().unwrap_or(p)))
    }

    /// The key that seals second-factor keys: from configuration, or the demo folder's own.
    fn secret_key(&self) -> Result<Option<SecretKey>> {
        if let Some(hex) = &self.secret_key {
            return SecretKey::from_hex(hex)
                .map(Some)
                .map_err(|e| anyhow::anyhow!("STEWARD_SECRET_KEY: {e}"));
        }
        let demo_key = self.data_dir.join(DEMO_KEY_FILE);
        if demo_key.exists() {
            let hex = std::fs::read_to_string(&demo_key)
                .with_context(|| format!("reading {}", demo_key.display()))?;
            return SecretKey::from_hex(&hex)
                .map(Some)
                .map_err(|e| anyhow::anyhow!("{}: {e}", demo_key.display()));
        }
        Ok(None)
    }

    /// The demo's own key, made once in its data folder (the demo holds fictional people only).
    fn ensure_demo_key(&self) -> Result<()> {
        std::fs::create_dir_all(&self.data_dir)
            .with_context(|| format!("creating the data folder {}", self.data_dir.display()))?;
        let demo_key = self.data_dir.join(DEMO_KEY_FILE);
        if self.secret_key.is_none() && !demo_key.exists() {
            std::fs::write(&demo_key, SecretKey::generate_hex())
                .with_context(|| format!("writing {}", demo_key.display()))?;
        }
        Ok(())
    }

    async fn steward(&self) -> Result<Steward> {
        std::fs::create_dir_all(&self.data_dir)
            .with_context(|| format!("creating the data folder {}", self.data_dir.display()))?;
        let secret_key = self.secret_key()?;
        let db = Db::connect(&self.database_url())
            .await
            .context("opening the database")?;
        Ok(Steward::new(
            db,
            CoreConfig {
                data_dir: self.data_dir.clone(),
                max_attachment_bytes: self.max_attachment_mb * 1024 * 1024,
                base_url: self
                    .base_url
                    .clone()
                    .unwrap_or_else(|| format!("http://{}", self.listen)),
                smtp: self.smtp.clone(),
                secret_key,
            },
        ))
    }
}

fn init_logs(format: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,sqlx=warn,tower_http=info".into());
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    if format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down: finishing requests in flight");
}

/// Scheduled jobs, every five minutes: paused requests' due dates move with the day (so
/// their actions are not shown overdue), and the daily reminders go once the configured
/// hour has passed: overdue and due-soon actions, and training about to run out. All are
/// safe to repeat: a date that is right is left alone, a user is reminded of actions at most
/// once a day, and of a training expiry once.
fn spawn_scheduled_jobs(steward: Steward, hour: u32) {
    tokio::spawn(async move {
        if steward.config.smtp.is_none() {
            tracing::info!("SMTP not configured: daily reminder emails are off");
        }
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(300));
        loop {
            tick.tick().await;
            let now = chrono::Utc::now();
            match steward_rights::requests::rights(&steward)
                .refresh_paused_clocks(now.date_naive())
                .await
            {
                Ok(0) => {}
                Ok(n) => tracing::info!(requests = n, "paused requests' due dates moved"),
                Err(e) => tracing::warn!(error = %e, "moving paused requests' due dates failed"),
            }
            // Approved DPIAs whose review date has come go under review.
            match steward_dpia::service::dpias(&steward)
                .reviews_due(now.date_naive())
                .await
            {
                Ok(0) => {}
                Ok(n) => tracing::info!(dpias = n, "DPIAs under review"),
                Err(e) => tracing::warn!(error = %e, "putting DPIAs under review failed"),
            }
            if steward.config.smtp.is_some() && chrono::Timelike::hour(&now) >= hour {
                match steward.send_reminders(now.date_naive()).await {
                    Ok(r) if r.sent > 0 || !r.failed.is_empty() => {
                        tracing::info!(sent = r.sent, failed = r.failed.len(), "reminder emails")
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "reminder emails failed"),
                }
                // Training running out: the person and the IG lead, once per expiry.
                match steward_compliance::training::training(&steward)
                    .send_expiry_reminders(now.date_naive())
                    .await
                {
                    Ok(r) if r.sent > 0 || !r.failed.is_empty() => tracing::info!(
                        sent = r.sent,
                        failed = r.failed.len(),
                        "training reminder emails"
                    ),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "training reminder emails failed"),
                }
            }
        }
    });
}

async fn serve(config: &Config, steward: Steward) -> Result<()> {
    spawn_scheduled_jobs(steward.clone(), config.reminder_hour_utc);
    let listener = tokio::net::TcpListener::bind(&config.listen)
        .await
        .with_context(|| format!("listening on {}", config.listen))?;
    let addr: SocketAddr = listener.local_addr()?;
    tracing::info!(%addr, "Steward is listening");
    println!("Steward is running at http://{addr}/ (Ctrl+C to stop)");
    let trusted_proxies =
        steward_web::parse_trusted_proxies(&config.trusted_proxies).map_err(anyhow::Error::msg)?;
    let metrics = match (&config.metrics_token, &config.metrics_listen) {
        (_, Some(_)) => MetricsAccess::Elsewhere,
        (Some(token), None) if token.trim().len() >= 16 => {
            MetricsAccess::Bearer(token.trim().into())
        }
        (Some(_), None) => bail!("metrics_token must be at least 16 characters"),
        (None, None) => {
            tracing::info!("metrics are off: set metrics_token or metrics_listen to read /metrics");
            MetricsAccess::Elsewhere
        }
    };
    let state = AppState::new(
        steward,
        WebConfig {
            secure_cookies: config.secure_cookies,
            metrics,
            trusted_proxies,
            ..WebConfig::default()
        },
    );
    if let Some(addr) = &config.metrics_listen {
        let metrics_listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("listening for metrics on {addr}"))?;
        tracing::info!(addr = %metrics_listener.local_addr()?, "metrics are served here");
        let metrics_state = state.clone();
        tokio::spawn(async move {
            if let Err(e) = steward_web::serve_metrics(metrics_state, metrics_listener).await {
                tracing::warn!(error = %e, "the metrics listener stopped");
            }
        });
    }
    steward_web::serve(state, listener, shutdown_signal()).await?;
    Ok(())
}

async fn find_user(steward: &Steward, email: &str) -> Result<steward_core::orgs::User> {
    steward
        .user_by_email(email)
        .await
        .map_err(|_| anyhow::anyhow!("no user with email {email}"))
}

#[tokio::main]
async fn main() -> Result<()> {
    let cli = Cli::parse();
    let config = Config::load(cli.config.as_deref())?;
    match cli.command {
        Command::Redact(args) => return steward_documents::cli::run(args),
        Command::Audit { command } => return steward_access_audit::cli::run(command),
        Command::Optout { command } => return steward_optout::cli::run(command),
        _ => {}
    }
    init_logs(&config.log_format);
    match cli.command {
        Command::Serve => {
            // Production: second-factor keys are sealed, so the key must be there at start.
            if config.secret_key()?.is_none() {
                bail!(
                    "STEWARD_SECRET_KEY is not set. Steward seals second-factor keys with it. Generate one with `steward secret-key`, keep it outside the data folder and its backups, and set it in the environment or as secret_key in steward.toml."
                );
            }
            let _lock = hold_data_folder(&config)?;
            let steward = config.steward().await?;
            backup::forget_replaced(&config.data_dir);
            serve(&config, steward).await
        }
        Command::Demo {
            reset,
            extra_actions,
            seed_only,
        } => {
            let _lock = hold_data_folder(&config)?;
            if reset {
                if let Some(path) = config.sqlite_path() {
                    for suffix in ["", "-wal", "-shm"] {
                        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                    }
                }
            }
            config.ensure_demo_key()?;
            let steward = config.steward().await?;
            backup::forget_replaced(&config.data_dir);
            let existing: i64 = steward_db::query_scalar("SELECT COUNT(*) FROM clusters")
                .fetch_one(&steward.db.pool)
                .await?;
            if existing == 0 {
                let demo = steward
                    .seed_demo(chrono::Utc::now().date_naive(), extra_actions)
                    .await?;
                println!(
                    "Demo cluster created: {} organisations.",
                    demo.organisations.len()
                );
                let run = steward_access_review::demo::seed_demo_audit(&steward, &demo).await?;
                println!(
                    "Demo access audit for Harbour View Surgery: {} accesses, {} cases.",
                    run.events, run.cases
                );
                steward_rights::demo::seed_demo_requests(&steward, chrono::Utc::now().date_naive())
                    .await?;
                println!("Demo rights requests for Harbour View Surgery: a solicitor's SAR ready for redaction review, one paused, one overdue, a rectification.");
                let update = steward_assurance::demo::seed_demo_assurance(
                    &steward,
                    chrono::Utc::now().date_naive(),
                )
                .await?;
                println!("Demo cluster assurance: a quarter of incidents (one reportable and notified, one not reportable, one on the 72-hour clock), a risk register with one risk above appetite, a completed compliance audit of Harbour View Surgery with two findings, the high-risk processing action round, and the draft \"{}\".", update.title);
                let (dcr, teams) =
                    steward_dpia::demo::seed_demo_dpias(&steward, chrono::Utc::now().date_naive())
                        .await?;
                println!("Demo DPIAs for Harbour View Surgery: \"{}\" ({}) and \"{}\" ({}), and a screening that needed no DPIA.", teams.title, teams.version_label, dcr.title, dcr.status_label.to_lowercase());
                steward_compliance::demo::seed_demo_compliance(
                    &steward,
                    chrono::Utc::now().date_naive(),
                )
                .await?;
                println!("Demo compliance: a training needs analysis with staff out of date, two cluster policies with acknowledgements outstanding, a records management review and a destruction certificate, toolkit evidence partly linked, a business continuity plan.");
                steward_registers::demo::seed_demo_registers(
                    &steward,
                    chrono::Utc::now().date_naive(),
                )
                .await?;
                println!("Demo registers: a cluster master log of processing activities, the county's sharing partners, two sharing projects (one pending, one approved), and Harbour View Surgery's registers with its privacy notice published at /privacy/Y90001.");
                steward.db.analyze().await?;
            } else {
                println!(
                    "Using the demo data already in {} (--reset starts again).",
                    config.data_dir.display()
                );
            }
            print_demo_sign_ins(&steward, &config).await?;
            if seed_only {
                return Ok(());
            }
            serve(&config, steward).await
        }
        Command::Migrate => {
            config.steward().await?;
            println!("Database is up to date.");
            Ok(())
        }
        Command::User { command } => {
            let steward = config.steward().await?;
            match command {
                UserCommand::Add {
                    email,
                    name,
                    role,
                    organisation,
                    password,
                } => {
                    let org: String = steward_db::query_scalar(
                        "SELECT id FROM organisations WHERE ods_code = $1",
                    )
                    .bind(&organisation)
                    .fetch_optional(&steward.db.pool)
                    .await?
                    .ok_or_else(|| {
                        anyhow::anyhow!("no organisation with ODS code {organisation}")
                    })?;
                    let u = steward
                        .add_user(
                            None,
                            &NewUser {
                                email,
                                display_name: name,
                                role,
                                organisation_id: org,
                                password,
                            },
                        )
                        .await
                        .map_err(describe)?;
                    println!(
                        "Added {} ({}) to {}.",
                        u.email,
                        u.role.label(),
                        u.organisation_name
                    );
                }
                UserCommand::Deactivate { email } => {
                    let u = find_user(&steward, &email).await?;
                    steward
                        .deactivate_user(None, &u.id)
                        .await
                        .map_err(describe)?;
                    println!(
                        "Deactivated {}: sessions, API tokens and reset links ended.",
                        u.email
                    );
                }
                UserCommand::TotpCode { email } => {
                    // A live code is a second factor: printed for the fictional demo only.
                    if !steward.is_demo().await.map_err(describe)? {
                        bail!("user totp-code works on a demo database only: a real account's second factor stays on its owner's phone");
                    }
                    let u = find_user(&steward, &email).await?;
                    let Some(code) = steward
                        .unused_totp_code(&u.id, &u.email)
                        .await
                        .map_err(describe)?
                    else {
                        bail!("{email} has not set up a second factor, or has used this minute's codes: try again in 30 seconds");
                    };
                    println!("{code}");
                }
                UserCommand::ApiToken { email, name } => {
                    if !steward.is_demo().await.map_err(describe)? {
                        bail!("user api-token works on a demo database only: a real account creates its tokens on its own account page");
                    }
                    let u = find_user(&steward, &email).await?;
                    let caller = steward
                        .caller_for_user(&u.id, "command line")
                        .await
                        .map_err(describe)?
                        .context("that account cannot sign in")?;
                    let (_, token) = steward
                        .create_api_token(&caller, &name, None)
                        .await
                        .map_err(describe)?;
                    println!("{token}");
                }
                UserCommand::ResetLink { email } => {
                    let u = find_user(&steward, &email).await?;
                    let token = steward
                        .issue_password_reset("cli", &u.id)
                        .await
                        .map_err(describe)?;
                    println!(
                        "{}/reset-password/{token}",
                        steward.config.base_url.trim_end_matches('/')
                    );
                }
            }
            Ok(())
        }
        Command::Backup { file } => {
            let steward = config.steward().await?;
            let m = backup::backup(&steward.db, &config.data_dir, &file).await?;
            println!(
                "Backup written to {}: the database (schema version {}) and {} other files, each with its checksum.",
                file.display(),
                m.schema_version,
                m.files.len() - 1
            );
            Ok(())
        }
        Command::Restore { file } => {
            let Some(database) = config.sqlite_path() else {
                bail!("steward restore is for SQLite installations; on PostgreSQL restore a pg_dump with pg_restore into an empty database (see the README)");
            };
            let target = backup::Target {
                data_dir: config.data_dir.clone(),
                database,
                secret_key: config.secret_key()?,
            };
            let r = backup::restore(&file, &target).await?;
            println!(
                "Restored {} (written {}): schema version {}, {} files, audit trail intact ({} entries).",
                file.display(),
                r.manifest.created_at,
                r.manifest.schema_version,
                r.manifest.files.len(),
                r.trail_entries
            );
            if let Some(dir) = r.replaced {
                println!(
                    "The data it replaced is kept in {} until Steward next starts.",
                    dir.display()
                );
            }
            Ok(())
        }
        Command::AuditTrail {
            command: TrailCommand::Verify { anchor },
        } => {
            let anchor = match anchor.as_deref() {
                None => None,
                Some(a) => {
                    let parsed = a
                        .split_once(':')
                        .and_then(|(seq, hash)| {
                            Some((seq.trim().parse::<i64>().ok()?, hash.trim()))
                        })
                        .filter(|(seq, hash)| *seq >= 1 && hash.len() == 64);
                    match parsed {
                        Some(p) => Some(p),
                        None => anyhow::bail!(
                            "--anchor must be SEQ:HASH as printed by an earlier verify, e.g. 1042:5f3a…(64 hex digits)"
                        ),
                    }
                }
            };
            let steward = config.steward().await?;
            match steward.verify_trail(anchor).await? {
                Verification::Intact { entries, head } => {
                    println!("Audit trail intact: {entries} entries verified.");
                    if anchor.is_some() {
                        println!("The anchored entry is present and unchanged.");
                    }
                    if let Some((seq, hash)) = head {
                        println!("Head: {seq}:{hash}");
                        println!("Keep the head outside Steward; `steward audit-trail verify --anchor {seq}:{hash}` later shows whether newer entries were removed.");
                    }
                    Ok(())
                }
                Verification::Broken { seq, reason } => {
                    eprintln!("Audit trail BROKEN at entry {seq}: {reason}.");
                    std::process::exit(1);
                }
            }
        }
        Command::Registers { command } => {
            let steward = config.steward().await?;
            registers_command(&steward, command).await
        }
        Command::SecretKey => {
            println!("{}", SecretKey::generate_hex());
            Ok(())
        }
        Command::Reminders => {
            let steward = config.steward().await?;
            let today = chrono::Utc::now().date_naive();
            let moved = steward_rights::requests::rights(&steward)
                .refresh_paused_clocks(today)
                .await
                .map_err(describe)?;
            println!("Paused requests whose due date moved: {moved}.");
            let r = steward.send_reminders(today).await.map_err(describe)?;
            println!(
                "Reminders: {} sent, {} already sent today, {} failed.",
                r.sent,
                r.skipped,
                r.failed.len()
            );
            for f in r.failed {
                eprintln!("  {f}");
            }
            let t = steward_compliance::training::training(&steward)
                .send_expiry_reminders(today)
                .await
                .map_err(describe)?;
            println!(
                "Training reminders: {} sent, {} already sent, {} failed.",
                t.sent,
                t.skipped,
                t.failed.len()
            );
            for f in t.failed {
                eprintln!("  {f}");
            }
            Ok(())
        }
        Command::Dpia { command } => {
            let steward = config.steward().await?;
            run_dpia(&steward, command).await
        }
        Command::Redact(_) | Command::Audit { .. } | Command::Optout { .. } => {
            unreachable!("handled above")
        }
    }
}

/// The data folder's lock, held while the server runs (so `restore` waits for it to stop).
fn hold_data_folder(config: &Config) -> Result<backup::DataFolderLock> {
    match backup::lock_data_folder(&config.data_dir)? {
        Some(lock) => Ok(lock),
        None => bail!(
            "another Steward is using the data folder {} (its lock file {} is held): stop it first",
            config.data_dir.display(),
            backup::LOCK_FILE
        ),
    }
}

/// Who the command line acts as in an organisation: its IG lead, else the cluster's DPO.
async fn cli_caller(steward: &Steward, organisation_id: &str) -> Result<steward_core::Caller> {
    use steward_db::Row;
    let row = steward_db::query(
        "SELECT u.id FROM users u JOIN organisations o ON o.id = $1 JOIN organisations h ON h.id = u.organisation_id WHERE u.active = 1 AND ((u.organisation_id = $1 AND u.role = 'ig_lead') OR (u.role = 'dpo' AND h.cluster_id = o.cluster_id)) ORDER BY CASE u.role WHEN 'ig_lead' THEN 0 ELSE 1 END, u.email LIMIT 1",
    )
    .bind(organisation_id)
    .fetch_optional(&steward.db.pool)
    .await?
    .context("no IG lead or DPO can act for that organisation")?;
    let id: String = row.try_get("id")?;
    let mut caller = steward
        .caller_for_user(&id, "command line")
        .await
        .map_err(describe)?
        .context("that user cannot sign in")?;
    caller.current_organisation_id = organisation_id.to_string();
    Ok(caller)
}

async fn run_dpia(steward: &Steward, command: DpiaCommand) -> Result<()> {
    use steward_core::gate::{ops, Kind};
    let d = steward_dpia::service::dpias(steward);
    match command {
        DpiaCommand::Export { id, format, output } => {
            let found: Option<(String, String)> = {
                use steward_db::Row;
                steward_db::query("SELECT id, organisation_id FROM dpias WHERE id = $1 OR reference = $1 ORDER BY created_at LIMIT 1")
                    .bind(&id)
                    .fetch_optional(&steward.db.pool)
                    .await?
                    .map(|r| -> Result<(String, String)> { Ok((r.try_get("id")?, r.try_get("organisation_id")?)) })
                    .transpose()?
            };
            let (id, org) = found.with_context(|| format!("no DPIA {id}"))?;
            let caller = cli_caller(steward, &org).await?;
            let p = steward
                .permit::<ops::Read>(&caller, Kind::Dpia, &id)
                .await
                .map_err(describe)?;
            let dpia = d.get(&p).await.map_err(describe)?;
            let (bytes, _, name) = d.export(&dpia, &format).map_err(describe)?;
            match output {
                Some(path) => {
                    std::fs::write(&path, &bytes)
                        .with_context(|| format!("writing {}", path.display()))?;
                    eprintln!("Wrote {} ({name}).", path.display());
                }
                None => {
                    use std::io::Write;
                    std::io::stdout().write_all(&bytes)?;
                }
            }
            Ok(())
        }
        DpiaCommand::Import { file, organisation } => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let org: String = match organisation {
                Some(code) => steward_db::query_scalar("SELECT id FROM organisations WHERE ods_code = $1")
                    .bind(code.trim().to_uppercase())
                    .fetch_optional(&steward.db.pool)
                    .await?
                    .with_context(|| format!("no organisation with the ODS code {code}"))?,
                None => steward_db::query_scalar("SELECT organisation_id FROM users WHERE role = 'dpo' AND active = 1 ORDER BY email LIMIT 1")
                    .fetch_optional(&steward.db.pool)
                    .await?
                    .context("no DPO: name the organisation with --organisation CODE")?,
            };
            let caller = cli_caller(steward, &org).await?;
            let dpia = d.import(&caller, &org, &bytes).await.map_err(describe)?;
            println!(
                "Imported {} \"{}\" as a draft ({}).",
                dpia.reference, dpia.title, dpia.organisation_name
            );
            println!("{}", dpia.id);
            Ok(())
        }
    }
}

/// The command line acts as the operator on the server: a DPO-level caller in the named
/// organisation only, recorded on the trail as the command line.
/// The command line's caller in the organisation with this ODS code (its IG lead, else the
/// cluster's DPO), as for the DPIA commands.
async fn cli_caller_by_ods(steward: &Steward, ods: &str) -> Result<steward_core::Caller> {
    let id: String = steward_db::query_scalar("SELECT id FROM organisations WHERE ods_code = $1")
        .bind(ods)
        .fetch_optional(&steward.db.pool)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no organisation with ODS code {ods}"))?;
    cli_caller(steward, &id).await
}

fn register_of(kind: &str) -> Result<steward_registers::Register> {
    match steward_registers::Register::by_cli(kind) {
        Some(r)
            if !matches!(
                r,
                steward_registers::Register::Templates | steward_registers::Register::Projects
            ) =>
        {
            Ok(r)
        }
        _ => bail!(
            "unknown register {kind:?}: use processing, assets, partners, agreements or processors"
        ),
    }
}

async fn registers_command(steward: &Steward, command: RegistersCommand) -> Result<()> {
    let r = steward_registers::store::registers(steward);
    match command {
        RegistersCommand::Import {
            kind,
            file,
            organisation,
            dry_run,
            map,
        } => {
            let register = register_of(&kind)?;
            let mapping = map
                .iter()
                .map(|m| {
                    m.split_once('=')
                        .map(|(h, c)| (h.trim().to_string(), c.trim().to_string()))
                        .ok_or_else(|| {
                            anyhow::anyhow!("--map {m:?}: write it as \"File header=column\"")
                        })
                })
                .collect::<Result<Vec<_>>>()?;
            let caller = cli_caller_by_ods(steward, &organisation).await?;
            let bytes =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let name = file.display().to_string();
            let check = match r
                .check_import_with(
                    &caller,
                    &caller.current_organisation_id,
                    register,
                    &name,
                    &bytes,
                    &mapping,
                    false,
                )
                .await
            {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("{}: {}", file.display(), describe(e));
                    std::process::exit(1);
                }
            };
            if !check.is_clean() {
                for e in &check.errors {
                    eprintln!("{}: line {}: {}", file.display(), e.line, e.message);
                }
                eprintln!(
                    "Nothing was imported: {} bad.",
                    if check.errors.len() == 1 {
                        "1 problem".to_string()
                    } else {
                        format!("{} problems", check.errors.len())
                    }
                );
                std::process::exit(1);
            }
            use steward_registers::transfer::RowAction;
            let (add, update, same) = (
                check.count(RowAction::Add),
                check.count(RowAction::Update),
                check.count(RowAction::Unchanged),
            );
            if dry_run {
                println!("The file is clean: {add} to add, {update} to update, {same} unchanged. Nothing was written (--dry-run).");
                return Ok(());
            }
            let (a, u) = r
                .confirm_import(
                    &caller,
                    &caller.current_organisation_id,
                    &check,
                    chrono::Utc::now().date_naive(),
                )
                .await
                .map_err(describe)?;
            println!("Imported: {a} added, {u} updated, {same} unchanged.");
            Ok(())
        }
        RegistersCommand::Export {
            kind,
            organisation,
            format,
            output,
        } => {
            let register = register_of(&kind)?;
            let caller = cli_caller_by_ods(steward, &organisation).await?;
            let org = caller.current_organisation_id.clone();
            let bytes = match format.as_str() {
                "csv" => r.export_csv(&caller, &org, register).await,
                "xlsx" => r.export_xlsx(&caller, &org, register).await,
                other => bail!("unknown format {other:?}: use csv or xlsx"),
            }
            .map_err(describe)?;
            match output {
                Some(path) => {
                    std::fs::write(&path, &bytes)
                        .with_context(|| format!("writing {}", path.display()))?;
                    eprintln!("Wrote {}.", path.display());
                }
                None => {
                    use std::io::Write;
                    std::io::stdout().write_all(&bytes)?;
                }
            }
            Ok(())
        }
    }
}

fn describe(e: steward_core::CoreError) -> anyhow::Error {
    match e {
        steward_core::CoreError::Invalid(fields) => anyhow::anyhow!(
            "{}",
            fields
                .0
                .iter()
                .map(|f| format!("{}: {}", f.field, f.message))
                .collect::<Vec<_>>()
                .join("; ")
        ),
        other => anyhow::anyhow!("{other}"),
    }
}

async fn print_demo_sign_ins(steward: &Steward, config: &Config) -> Result<()> {
    let rows = steward_db::query(
        "SELECT u.id, u.email, u.role, o.name FROM users u JOIN organisations o ON o.id = u.organisation_id WHERE u.active = 1 ORDER BY o.name, u.email",
    )
    .fetch_all(&steward.db.pool)
    .await?;
    let base = config
        .base_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", config.listen));
    println!("\nSteward demo at {base}/  (all people and organisations are fictional)");
    println!("Every demo sign-in uses the password: {DEMO_PASSWORD}\n");
    for r in rows {
        use steward_db::Row;
        let role = steward_core::Role::parse(&r.try_get::<String, _>("role")?)
            .map(|r| r.label())
            .unwrap_or("?");
        let email: String = r.try_get("email")?;
        let org: String = r.try_get("name")?;
        let user_id: String = r.try_get("id")?;
        let totp = steward.totp_secret_of(&user_id).await.map_err(describe)?;
        println!("  {role:<26} {email:<40} {org}");
        if let Some(s) = totp {
            println!("  {:<26} authenticator key: {s}", "");
            println!(
                "  {:<26} or the current code: steward user totp-code {email}",
                ""
            );
        }
    }
    println!();
    Ok(())
}
