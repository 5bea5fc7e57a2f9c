//! Storage: one SQL code path for SQLite (the embedded default) and PostgreSQL.
//!
//! Everything goes through sqlx's `Any` driver with portable SQL (`$1` placeholders), and
//! only column types the Any driver decodes on both: TEXT, BIGINT, REAL. Booleans are 0/1,
//! timestamps are fixed-width RFC 3339 UTC text, ids are UUID text.

use std::path::Path;
use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Executor};

pub use sqlx::any::{AnyArguments, AnyRow};
pub use sqlx::AnyConnection;
pub use sqlx::Error as SqlError;
pub use sqlx::{query, query_as, query_scalar, Any, FromRow, Row, Transaction};

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("unsupported database URL {0:?}: use sqlite://PATH or postgres://...")]
    UnsupportedUrl(String),
    #[error("{0}")]
    Backup(String),
    #[error("not a Steward database: {0}")]
    NotSteward(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The one storage handle. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Db {
    pub pool: AnyPool,
    pub backend: Backend,
}

pub type Tx<'a> = Transaction<'a, Any>;

/// A statement with its bound values, as `query` gives it.
pub type Query<'q> = sqlx::query::Query<'q, Any, AnyArguments<'q>>;

/// PostgreSQL advisory lock key of Steward's writers ("STEWARD" in ASCII, as a number).
const WRITE_LOCK_KEY: i64 = 0x53_54_45_57_41_52_44;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

impl Db {
    /// Connects and applies migrations. `sqlite://path` creates the file if needed and runs
    /// in WAL mode; `postgres://` connects to an existing database.
    pub async fn connect(url: &str) -> Result<Db, DbError> {
        let db = Db::open(url).await?;
        db.migrate().await?;
        Ok(db)
    }

    /// Connects without applying migrations: for looking at a database before trusting it
    /// (a backup being restored). Everything else uses [`Db::connect`].
    pub async fn open(url: &str) -> Result<Db, DbError> {
        sqlx::any::install_default_drivers();
        let (backend, url) = if let Some(rest) = url.strip_prefix("sqlite://") {
            let mut u = format!("sqlite://{rest}");
            if !rest.contains("mode=") {
                u.push_str(if rest.contains('?') {
                    "&mode=rwc"
                } else {
                    "?mode=rwc"
                });
            }
            (Backend::Sqlite, u)
        } else if url.starts_with("sqlite:") {
            (Backend::Sqlite, url.to_string())
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            (Backend::Postgres, url.to_string())
        } else {
            return Err(DbError::UnsupportedUrl(url.to_string()));
        };
        let options = AnyPoolOptions::new()
            .max_connections(match backend {
                // SQLite has one writer; a few readers in WAL mode is plenty, and each
                // connection is a thread: 4 measured better than 8 or 2 (bench/RESULTS.md).
                Backend::Sqlite => 4,
                Backend::Postgres => 16,
            })
            .acquire_timeout(Duration::from_secs(10))
            // No ping before handing out a pooled connection: sqlx's default sends one on
            // every acquire, and every query on the pool acquires, so each statement cost
            // two round trips (on SQLite, two trips to the connection's worker thread).
            // A connection found broken fails its query; the pool then drops it.
            .test_before_acquire(false)
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        conn.execute("PRAGMA journal_mode = WAL").await?;
                        conn.execute("PRAGMA busy_timeout = 5000").await?;
                        conn.execute("PRAGMA foreign_keys = ON").await?;
                        conn.execute("PRAGMA synchronous = NORMAL").await?;
                    }
                    Ok(())
                })
            });
        let pool = options.connect(&url).await?;
        Ok(Db { pool, backend })
    }

    /// The schema version this build of Steward knows: its newest migration.
    pub fn known_schema_version() -> i64 {
        MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0)
    }

    /// Which of Steward's migrations this database has had, checked against this build's
    /// own: `Err` for a database that is not Steward's (no migration table, or a migration
    /// this build does not know or knows with other contents), else its schema version.
    pub async fn steward_schema_version(&self) -> Result<i64, DbError> {
        let not_ours = |why: &str| DbError::NotSteward(why.to_string());
        let rows = sqlx::query("SELECT version, checksum FROM _sqlx_migrations ORDER BY version")
            .fetch_all(&self.pool)
            .await
            .map_err(|_| not_ours("it has no Steward schema"))?;
        if rows.is_empty() {
            return Err(not_ours("it has no Steward schema"));
        }
        let mut version = 0;
        for row in rows {
            let v: i64 = row.try_get("version")?;
            let checksum: Vec<u8> = row.try_get("checksum")?;
            match MIGRATOR.iter().find(|m| m.version == v) {
                Some(m) if m.checksum.as_ref() == checksum.as_slice() => version = version.max(v),
                Some(_) => {
                    return Err(not_ours(&format!(
                        "its schema step {v} differs from this version of Steward's"
                    )))
                }
                None => {
                    return Err(not_ours(&format!(
                        "its schema (step {v}) is newer than this version of Steward knows ({}); restore it with a newer Steward",
                        Db::known_schema_version()
                    )))
                }
            }
        }
        let first = MIGRATOR.iter().map(|m| m.version).min().unwrap_or(0);
        let has_first: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE version = $1")
                .bind(first)
                .fetch_one(&self.pool)
                .await?;
        if has_first == 0 {
            return Err(not_ours("it has no Steward schema"));
        }
        Ok(version)
    }

    pub async fn migrate(&self) -> Result<(), DbError> {
        MIGRATOR.run(&self.pool).await?;
        Ok(())
    }

    pub async fn begin(&self) -> Result<Tx<'static>, DbError> {
        Ok(self.pool.begin().await?)
    }

    /// A transaction that holds the database's write lock from its first statement, so
    /// that writers in several processes (a second server, the CLI beside the server) take
    /// turns: the audit trail's next entry is read and written by one of them at a time.
    /// SQLite: BEGIN IMMEDIATE (others wait up to busy_timeout). PostgreSQL: a
    /// transaction-scoped advisory lock, released at commit or rollback.
    pub async fn begin_write(&self) -> Result<Tx<'static>, DbError> {
        match self.backend {
            Backend::Sqlite => Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?),
            Backend::Postgres => {
                let mut tx = self.pool.begin().await?;
                sqlx::query("SELECT pg_advisory_xact_lock($1)")
                    .bind(WRITE_LOCK_KEY)
                    .execute(&mut *tx)
                    .await?;
                Ok(tx)
            }
        }
    }

    /// A consistent snapshot of a running SQLite database (`VACUUM INTO`), safe while the
    /// server is writing. PostgreSQL deployments use pg_dump (see the README).
    pub async fn backup_to(&self, file: &Path) -> Result<(), DbError> {
        if self.backend != Backend::Sqlite {
            return Err(DbError::Backup(
                "backup of PostgreSQL is done with pg_dump; see the README".into(),
            ));
        }
        if file.exists() {
            return Err(DbError::Backup(format!(
                "{} already exists; choose a new file",
                file.display()
            )));
        }
        let path = file
            .to_str()
            .ok_or_else(|| DbError::Backup("backup path is not valid UTF-8".into()))?;
        sqlx::query("VACUUM INTO $1")
            .bind(path)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Refreshes the planner's statistics (`ANALYZE`, on either backend): after a bulk load
    /// such as the demo's seeding, so that the first requests are planned from the rows that
    /// are there (PostgreSQL's autovacuum would otherwise analyse them only later).
    pub async fn analyze(&self) -> Result<(), DbError> {
        sqlx::query("ANALYZE").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Reads a 0/1 column as a bool.
pub fn get_bool(row: &AnyRow, col: &str) -> Result<bool, sqlx::Error> {
    Ok(row.try_get::<i64, _>(col)? != 0)
}
