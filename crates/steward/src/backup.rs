//! `steward backup FILE` and `steward restore FILE`: one zip archive holding a consistent
//! snapshot of the SQLite database (`VACUUM INTO`, safe while the server writes), the data
//! folder's files (attachments, redaction runs, uploaded access-audit exports, local rule
//! tables) and a manifest: the archive format, the schema version, and the size and SHA-256
//! of every file.
//!
//! Restore checks the whole archive before it replaces anything: the manifest, every
//! checksum, that the database is Steward's at a schema version this build knows, and that
//! its audit trail verifies, and that the configured `STEWARD_SECRET_KEY` opens every sealed
//! second-factor key in it (the key is never in the archive, which would carry the key to its
//! own secrets; a restore on another machine needs the installation's key). It refuses while a server holds the data folder (the lock
//! taken by `serve` and `demo`), and keeps what it replaced in `<data_dir>/replaced-<time>/`
//! until the next successful start.
//!
//! PostgreSQL installations back up with pg_dump (consistent while Steward runs), and copy
//! the data folder's files beside the dump (see the README): both commands say so.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use steward_core::sealed::SecretKey;
use steward_core::trail::Verification;
use steward_core::{CoreConfig, Db, Steward};

/// What an archive calls itself in its manifest.
pub const FORMAT: &str = "steward-backup";
/// The newest archive layout this build reads and the one it writes.
pub const FORMAT_VERSION: u32 = 1;
const MANIFEST: &str = "manifest.json";
const DATABASE: &str = "database/steward.db";
const FILES: &str = "files/";
/// The data folder's folders that hold records' files.
pub const DATA_FOLDERS: [&str; 3] = ["attachments", "rights", "access-audit"];
/// The file `serve` and `demo` lock while they run.
pub const LOCK_FILE: &str = "steward.lock";
/// Folders where restore keeps what it replaced, until the next successful start.
pub const REPLACED_PREFIX: &str = "replaced-";
/// Where restore unpacks and checks an archive before it replaces anything.
const STAGING_PREFIX: &str = ".restoring-";

#[derive(Debug, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub format_version: u32,
    pub steward_version: String,
    pub created_at: String,
    /// The newest migration applied to the database in the archive.
    pub schema_version: i64,
    pub files: Vec<ManifestFile>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ManifestFile {
    /// The entry's name in the archive.
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
}

/// The data folder held by a running server: released when dropped (or the process ends).
pub struct DataFolderLock {
    _file: File,
}

/// Takes the data folder's lock, or says which process holds it. `serve` and `demo` hold
/// it while they run; `restore` takes it before it replaces anything.
pub fn lock_data_folder(data_dir: &Path) -> Result<Option<DataFolderLock>> {
    use fs4::fs_std::FileExt;
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("creating the data folder {}", data_dir.display()))?;
    let path = data_dir.join(LOCK_FILE);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(&path)
        .with_context(|| format!("opening {}", path.display()))?;
    match FileExt::try_lock_exclusive(&file) {
        Ok(true) => Ok(Some(DataFolderLock { _file: file })),
        Ok(false) => Ok(None),
        Err(e) => Err(e).with_context(|| format!("locking {}", path.display())),
    }
}

/// Removes what the last restore replaced, once a server has started on the restored data
/// (and any unpacking folder a restore cut short left behind).
pub fn forget_replaced(data_dir: &Path) {
    let Ok(entries) = std::fs::read_dir(data_dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let ours = name.starts_with(REPLACED_PREFIX) || name.starts_with(STAGING_PREFIX);
        if ours && e.path().is_dir() {
            match std::fs::remove_dir_all(e.path()) {
                Ok(()) => {
                    tracing::info!(folder = %name, "removed the data replaced by the last restore")
                }
                Err(err) => {
                    tracing::warn!(folder = %name, error = %err, "could not remove the data replaced by the last restore")
                }
            }
        }
    }
}

fn sha256_hex(h: Sha256) -> String {
    hex::encode(h.finalize())
}

/// Copies `from` to `to`, returning the bytes copied and their SHA-256.
fn copy_hashing(from: &mut impl Read, to: &mut impl Write) -> io::Result<(u64, String)> {
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut n = 0u64;
    loop {
        let k = from.read(&mut buf)?;
        if k == 0 {
            break;
        }
        h.update(&buf[..k]);
        to.write_all(&buf[..k])?;
        n += k as u64;
    }
    Ok((n, sha256_hex(h)))
}

/// Every regular file under `dir`, as paths relative to it with `/` separators (symlinks
/// are not followed: the data folder holds none, and a link could lead anywhere).
fn files_under(dir: &Path) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        let here = dir.join(&rel);
        let entries = match std::fs::read_dir(&here) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e).with_context(|| format!("reading {}", here.display())),
        };
        for e in entries {
            let e = e?;
            let kind = e.file_type()?;
            let name = e.file_name();
            let Some(name) = name.to_str() else {
                bail!("{}: a file name that is not UTF-8", here.display());
            };
            let r = rel.join(name);
            if kind.is_dir() {
                stack.push(r);
            } else if kind.is_file() {
                let parts: Vec<&str> = r.iter().filter_map(|p| p.to_str()).collect();
                out.push(parts.join("/"));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// The files of the data folder that go into a backup, as (archive name, path on disk).
fn data_files(data_dir: &Path) -> Result<Vec<(String, PathBuf)>> {
    let mut out = Vec::new();
    for folder in DATA_FOLDERS {
        let dir = data_dir.join(folder);
        for rel in files_under(&dir)? {
            out.push((format!("{FILES}{folder}/{rel}"), dir.join(&rel)));
        }
    }
    // Local rule tables (the assurance module's grading grids and risk matrices).
    if let Ok(entries) = std::fs::read_dir(data_dir) {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.ends_with(".toml") && e.file_type().map(|t| t.is_file()).unwrap_or(false) {
                out.push((format!("{FILES}{name}"), e.path()));
            }
        }
    }
    Ok(out)
}

/// Writes the archive. The database snapshot is taken first, so every file a record in it
/// refers to was on disk before the copy began.
pub async fn backup(db: &Db, data_dir: &Path, file: &Path) -> Result<Manifest> {
    if db.backend != steward_db::Backend::Sqlite {
        bail!("steward backup archives a SQLite installation. On PostgreSQL, back up the database with pg_dump (consistent while Steward runs) and copy the data folder's attachments, rights and access-audit folders beside the dump; see the README");
    }
    if file.exists() {
        bail!("{} already exists; choose a new file", file.display());
    }
    let schema_version = db
        .steward_schema_version()
        .await
        .context("reading the database's schema version")?;
    let parent = match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ").to_string();
    let snapshot = parent.join(format!(".steward-backup-{stamp}.db"));
    let partial = parent.join(format!(".steward-backup-{stamp}.partial"));
    let result = async {
        db.backup_to(&snapshot).await?;
        write_archive(&snapshot, data_dir, &partial, schema_version)
    }
    .await;
    let _ = std::fs::remove_file(&snapshot);
    match result {
        Ok(manifest) => {
            std::fs::rename(&partial, file)
                .with_context(|| format!("writing {}", file.display()))?;
            Ok(manifest)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            Err(e)
        }
    }
}

fn write_archive(
    snapshot: &Path,
    data_dir: &Path,
    out: &Path,
    schema_version: i64,
) -> Result<Manifest> {
    use zip::write::SimpleFileOptions;
    let f = File::create(out).with_context(|| format!("creating {}", out.display()))?;
    let mut zip = zip::ZipWriter::new(BufWriter::new(f));
    let mut files = Vec::new();
    let mut entries = vec![(DATABASE.to_string(), snapshot.to_path_buf())];
    entries.extend(data_files(data_dir)?);
    for (name, path) in entries {
        let mut src = match File::open(&path) {
            Ok(f) => BufReader::new(f),
            // Deleted since it was listed (an export removed by its IG lead): not needed.
            Err(e) if e.kind() == io::ErrorKind::NotFound && name != DATABASE => continue,
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        };
        let len = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        let options = SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .large_file(len >= u32::MAX as u64);
        zip.start_file(name.as_str(), options)?;
        let (bytes, sha256) =
            copy_hashing(&mut src, &mut zip).with_context(|| format!("archiving {name}"))?;
        files.push(ManifestFile {
            path: name,
            bytes,
            sha256,
        });
    }
    let manifest = Manifest {
        format: FORMAT.into(),
        format_version: FORMAT_VERSION,
        steward_version: env!("CARGO_PKG_VERSION").into(),
        created_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        schema_version,
        files,
    };
    zip.start_file(MANIFEST, SimpleFileOptions::default())?;
    zip.write_all(&serde_json::to_vec_pretty(&manifest)?)?;
    let mut w = zip.finish()?;
    w.flush()?;
    w.into_inner()
        .map_err(|e| e.into_error())?
        .sync_all()
        .context("writing the archive to disk")?;
    Ok(manifest)
}

/// Where restore puts things.
pub struct Target {
    pub data_dir: PathBuf,
    /// The SQLite database file.
    pub database: PathBuf,
    /// The key second-factor keys are sealed with here (configuration, or the demo's own).
    pub secret_key: Option<SecretKey>,
}

/// What a successful restore did.
pub struct Restored {
    pub manifest: Manifest,
    pub trail_entries: i64,
    /// Where the data it replaced is kept (None when the folder was empty).
    pub replaced: Option<PathBuf>,
}

/// Checks the archive whole, then puts it in place of the current data.
pub async fn restore(archive: &Path, target: &Target) -> Result<Restored> {
    let Some(_lock) = lock_data_folder(&target.data_dir)? else {
        bail!(
            "a Steward server is using the data folder {}: stop it, then restore",
            target.data_dir.display()
        );
    };
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
    let staging = target.data_dir.join(format!("{STAGING_PREFIX}{stamp}"));
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging).with_context(|| format!("creating {}", staging.display()))?;
    let checked = async {
        let manifest = unpack_checked(archive, &staging)?;
        let entries = check_database(
            &staging.join(DATABASE),
            &manifest,
            target.secret_key.as_ref(),
        )
        .await?;
        anyhow::Ok((manifest, entries))
    }
    .await;
    let (manifest, trail_entries) = match checked {
        Ok(c) => c,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(e.context(format!(
                "{} was not restored; nothing was changed",
                archive.display()
            )));
        }
    };
    let replaced = target.data_dir.join(format!("{REPLACED_PREFIX}{stamp}"));
    let replaced = swap_in(&staging, target, &replaced)?;
    let _ = std::fs::remove_dir_all(&staging);
    Ok(Restored {
        manifest,
        trail_entries,
        replaced,
    })
}

fn not_a_backup(archive: &Path, why: impl std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!("{} is not a Steward backup: {why}", archive.display())
}

fn damaged(archive: &Path, why: impl std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!("{} is damaged: {why}", archive.display())
}

/// Reads the manifest, unpacks every file into `staging` checking its size and checksum,
/// and refuses an archive with files the manifest does not list (or the reverse).
fn unpack_checked(archive: &Path, staging: &Path) -> Result<Manifest> {
    let f = File::open(archive).with_context(|| format!("reading {}", archive.display()))?;
    let mut zip = zip::ZipArchive::new(BufReader::new(f))
        .map_err(|e| not_a_backup(archive, format!("not a backup archive ({e})")))?;
    let manifest: Manifest = {
        let mut m = zip
            .by_name(MANIFEST)
            .map_err(|_| not_a_backup(archive, "it has no manifest"))?;
        let mut text = Vec::new();
        m.read_to_end(&mut text)
            .map_err(|e| damaged(archive, format!("the manifest cannot be read ({e})")))?;
        serde_json::from_slice(&text)
            .map_err(|e| not_a_backup(archive, format!("its manifest is not Steward's ({e})")))?
    };
    if manifest.format != FORMAT {
        return Err(not_a_backup(archive, "its manifest is not Steward's"));
    }
    if manifest.format_version > FORMAT_VERSION {
        bail!(
            "{} was written by a newer Steward (archive format {}; this version reads up to {FORMAT_VERSION}): restore it with that version",
            archive.display(),
            manifest.format_version
        );
    }
    if !manifest.files.iter().any(|f| f.path == DATABASE) {
        return Err(not_a_backup(archive, "it holds no database"));
    }
    let listed: std::collections::HashMap<&str, &ManifestFile> = manifest
        .files
        .iter()
        .map(|f| (f.path.as_str(), f))
        .collect();
    let mut seen = std::collections::HashSet::new();
    for i in 0..zip.len() {
        let mut entry = zip
            .by_index(i)
            .map_err(|e| damaged(archive, format!("entry {i} cannot be read ({e})")))?;
        let name = entry
            .name()
            .map_err(|e| damaged(archive, format!("entry {i} has no readable name ({e})")))?
            .into_owned();
        if name == MANIFEST || entry.is_dir() {
            continue;
        }
        let Some(expected) = listed.get(name.as_str()) else {
            return Err(damaged(archive, format!("{name} is not in its manifest")));
        };
        let safe = entry
            .enclosed_name()
            .filter(|p| p.starts_with("database") || p.starts_with("files"))
            .ok_or_else(|| damaged(archive, format!("{name} is not a file Steward writes")))?;
        let to = staging.join(safe);
        if let Some(dir) = to.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut out =
            BufWriter::new(File::create(&to).with_context(|| format!("writing {}", to.display()))?);
        let (bytes, sha256) = copy_hashing(&mut entry, &mut out)
            .map_err(|e| damaged(archive, format!("{name} cannot be read ({e})")))?;
        out.flush()?;
        if bytes != expected.bytes || sha256 != expected.sha256 {
            return Err(damaged(
                archive,
                format!("{name} does not match its checksum"),
            ));
        }
        seen.insert(name);
    }
    if let Some(missing) = manifest.files.iter().find(|f| !seen.contains(&f.path)) {
        return Err(damaged(
            archive,
            format!("{} is in its manifest but not in the archive", missing.path),
        ));
    }
    Ok(manifest)
}

/// The unpacked database is Steward's, at the manifest's schema version (one this build
/// knows), its audit trail verifies, and `key` opens its sealed second-factor keys. Returns
/// the trail's length.
async fn check_database(path: &Path, manifest: &Manifest, key: Option<&SecretKey>) -> Result<i64> {
    let db = Db::open(&format!("sqlite://{}", path.display()))
        .await
        .context("opening the archive's database")?;
    let result = async {
        let version = db.steward_schema_version().await?;
        if version != manifest.schema_version {
            bail!(
                "its database is at schema version {version} but its manifest says {}",
                manifest.schema_version
            );
        }
        let steward = Steward::new(
            db.clone(),
            CoreConfig {
                data_dir: path.parent().unwrap_or(path).to_path_buf(),
                max_attachment_bytes: 0,
                base_url: String::new(),
                smtp: None,
                secret_key: None,
            },
        );
        let entries = match steward.verify_trail(None).await? {
            Verification::Intact { entries, .. } => entries,
            Verification::Broken { seq, reason } => {
                bail!("its audit trail is broken at entry {seq}: {reason}")
            }
        };
        check_sealed_secrets(&db, key).await?;
        Ok(entries)
    }
    .await;
    db.close().await;
    result
}

/// Every sealed second-factor key in the database opens with `key`: restoring data whose
/// second factors nobody can check would lock out everyone who uses one (the DPO first).
async fn check_sealed_secrets(db: &Db, key: Option<&SecretKey>) -> Result<()> {
    let sealed: Vec<String> = steward_db::query_scalar(
        "SELECT totp_secret FROM users WHERE totp_secret LIKE 'sealed1:%' ORDER BY id",
    )
    .fetch_all(&db.pool)
    .await?;
    if sealed.is_empty() {
        return Ok(());
    }
    let people = |n: usize| {
        if n == 1 {
            "1 person's".to_string()
        } else {
            format!("{n} people's")
        }
    };
    let Some(key) = key else {
        bail!(
            "it holds {} second-factor keys, sealed with the secret key of the installation that wrote it, and no key is set here: set STEWARD_SECRET_KEY (or secret_key in steward.toml) to that installation's key, then restore",
            people(sealed.len())
        );
    };
    let unopened = sealed.iter().filter(|s| key.open(s).is_err()).count();
    if unopened > 0 {
        bail!(
            "the secret key set here (STEWARD_SECRET_KEY) does not open {} second-factor keys in it, of {}: set the key of the installation that wrote the backup, then restore",
            people(unopened),
            sealed.len()
        );
    }
    Ok(())
}

fn move_path(from: &Path, to: &Path) -> Result<()> {
    if let Some(dir) = to.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::rename(from, to)
        .or_else(|_| {
            // Another file system (a database kept outside the data folder): copy, then remove.
            std::fs::copy(from, to)?;
            std::fs::remove_file(from)
        })
        .with_context(|| format!("moving {} to {}", from.display(), to.display()))
}

/// Moves the current database and data folders aside into `replaced`, then the unpacked
/// ones into place. If any move fails, the moves already made are undone in reverse order,
/// so the data folder is as it was before the restore began.
fn swap_in(staging: &Path, target: &Target, replaced: &Path) -> Result<Option<PathBuf>> {
    swap_in_with(staging, target, replaced, &mut |from, to| {
        move_path(from, to)
    })
}

/// [`swap_in`] with the move given (the tests make one fail).
fn swap_in_with(
    staging: &Path,
    target: &Target,
    replaced: &Path,
    mv: &mut dyn FnMut(&Path, &Path) -> Result<()>,
) -> Result<Option<PathBuf>> {
    let mut done: Vec<(PathBuf, PathBuf)> = Vec::new();
    let mut moved_any = false;
    let result = (|| -> Result<()> {
        let mut step = |from: PathBuf, to: PathBuf, done: &mut Vec<(PathBuf, PathBuf)>| {
            mv(&from, &to)?;
            done.push((from, to));
            anyhow::Ok(())
        };
        for suffix in ["", "-wal", "-shm"] {
            let from = PathBuf::from(format!("{}{suffix}", target.database.display()));
            if from.exists() {
                step(
                    from,
                    replaced.join(format!("steward.db{suffix}")),
                    &mut done,
                )?;
                moved_any = true;
            }
        }
        for folder in DATA_FOLDERS {
            let from = target.data_dir.join(folder);
            if from.exists() {
                step(from, replaced.join(folder), &mut done)?;
                moved_any = true;
            }
        }
        step(staging.join(DATABASE), target.database.clone(), &mut done)?;
        let files = staging.join("files");
        if let Ok(entries) = std::fs::read_dir(&files) {
            for e in entries.flatten() {
                let name = e.file_name();
                let to = target.data_dir.join(&name);
                if to.is_file() {
                    // A local rule table: keep the one being replaced too.
                    step(to.clone(), replaced.join(&name), &mut done)?;
                    moved_any = true;
                }
                step(e.path(), to, &mut done)?;
            }
        }
        Ok(())
    })();
    match result {
        Ok(()) => Ok(moved_any.then(|| replaced.to_path_buf())),
        Err(e) => {
            let mut stuck = Vec::new();
            for (from, to) in done.iter().rev() {
                if let Err(undo) = move_path(to, from) {
                    stuck.push(format!("{undo:#}"));
                }
            }
            if stuck.is_empty() {
                let _ = std::fs::remove_dir_all(replaced);
                Err(e.context(
                    "the restore failed while putting the backup in place; every file moved was put back, so the data is as it was",
                ))
            } else {
                Err(e.context(format!(
                    "the restore failed while putting the backup in place, and some files could not be put back ({}); the replaced data is in {}",
                    stuck.join("; "),
                    replaced.display()
                )))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_listed_relative_with_slashes() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("attachments/org/a")).unwrap();
        std::fs::write(dir.path().join("attachments/org/a/x"), b"1").unwrap();
        std::fs::write(dir.path().join("breach-grading.toml"), b"x").unwrap();
        std::fs::write(dir.path().join("steward.db"), b"x").unwrap();
        let files = data_files(dir.path()).unwrap();
        let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            ["files/attachments/org/a/x", "files/breach-grading.toml"]
        );
    }

    #[test]
    fn a_start_forgets_replaced_data_and_cut_short_restores_only() {
        let dir = tempfile::tempdir().unwrap();
        for d in [
            "replaced-20261207T010000Z",
            ".restoring-20261207T010000Z",
            "attachments",
            "rights",
        ] {
            std::fs::create_dir_all(dir.path().join(d)).unwrap();
        }
        std::fs::write(dir.path().join("replaced-note.toml"), b"kept: a file").unwrap();
        forget_replaced(dir.path());
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, ["attachments", "replaced-note.toml", "rights"]);
    }

    /// Every file under `dir` with its contents, for comparing a folder before and after.
    fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
        let mut out: Vec<(String, Vec<u8>)> = files_under(dir)
            .unwrap()
            .into_iter()
            .map(|f| {
                let bytes = std::fs::read(dir.join(&f)).unwrap();
                (f, bytes)
            })
            .collect();
        out.sort();
        out
    }

    #[test]
    fn a_swap_that_fails_part_way_puts_everything_back() {
        // The live data: a database with its WAL, two data folders and a local rule table.
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let live = |rel: &str, body: &str| {
            let p = data.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, body).unwrap();
        };
        live("steward.db", "live database");
        live("steward.db-wal", "live wal");
        live("attachments/a/1.pdf", "live attachment");
        live("rights/r1/bundle.pdf", "live bundle");
        live("retention.toml", "live rule table");
        // The unpacked backup.
        let staging = dir.path().join("staging");
        for (rel, body) in [
            (DATABASE, "backup database"),
            ("files/retention.toml", "backup rule table"),
            ("files/attachments/b/2.pdf", "backup attachment"),
        ] {
            let p = staging.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, body).unwrap();
        }
        let target = Target {
            data_dir: data.clone(),
            database: data.join("steward.db"),
            secret_key: None,
        };
        let before = snapshot(&data);
        let staged = snapshot(&staging);
        // Fail at every move in turn: the data folder must end as it began each time.
        for fail_at in 1..=8 {
            let mut n = 0;
            let err = swap_in_with(
                &staging,
                &target,
                &data.join("replaced-x"),
                &mut |from, to| {
                    n += 1;
                    if n == fail_at {
                        anyhow::bail!("disk full (move {n})")
                    }
                    move_path(from, to)
                },
            )
            .expect_err("the injected failure must surface");
            assert!(
                format!("{err:#}").contains("every file moved was put back"),
                "move {fail_at}: {err:#}"
            );
            assert_eq!(
                snapshot(&data),
                before,
                "data after a failure at move {fail_at}"
            );
            assert_eq!(
                snapshot(&staging),
                staged,
                "staging after a failure at move {fail_at}"
            );
        }
        // And without a failure the backup is in place, the old data kept aside.
        let replaced = swap_in(&staging, &target, &data.join("replaced-x"))
            .unwrap()
            .unwrap();
        assert_eq!(
            std::fs::read_to_string(data.join("steward.db")).unwrap(),
            "backup database"
        );
        assert_eq!(
            std::fs::read_to_string(replaced.join("retention.toml")).unwrap(),
            "live rule table"
        );
        assert_eq!(
            std::fs::read_to_string(replaced.join("steward.db-wal")).unwrap(),
            "live wal"
        );
    }

    #[test]
    fn the_lock_is_held_once() {
        let dir = tempfile::tempdir().unwrap();
        let first = lock_data_folder(dir.path()).unwrap();
        assert!(first.is_some());
        assert!(lock_data_folder(dir.path()).unwrap().is_none());
        drop(first);
        assert!(lock_data_folder(dir.path()).unwrap().is_some());
    }
}
