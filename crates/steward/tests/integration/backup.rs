//! `steward backup` and `steward restore` (issue 9): one archive with the database snapshot,
//! the data folder's files and a manifest of checksums; restore checks it whole before it
//! replaces anything, refuses while a server holds the data folder, and keeps what it
//! replaced until the next start.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use sha2::Digest;

use crate::both_backends;
use crate::common::*;

/// Runs the real binary on a data folder (SQLite in it), returning its output.
fn steward(data_dir: &Path, args: &[&str]) -> Output {
    steward_keyed(data_dir, None, args)
}

/// `steward` with STEWARD_SECRET_KEY set to `key` (or unset).
fn steward_keyed(data_dir: &Path, key: Option<&str>, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_steward"));
    command
        .args(args)
        .env("STEWARD_DATA_DIR", data_dir)
        .env_remove("STEWARD_DATABASE_URL")
        .env_remove("STEWARD_CONFIG")
        .env_remove("STEWARD_SECRET_KEY")
        .env("RUST_LOG", "warn");
    if let Some(key) = key {
        command.env("STEWARD_SECRET_KEY", key);
    }
    command.output().expect("the steward binary runs")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Every regular file under a folder, relative path to its bytes.
fn tree(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((
                    p.strip_prefix(dir).unwrap().to_path_buf(),
                    std::fs::read(&p).unwrap(),
                ));
            }
        }
    }
    out.sort();
    out
}

async fn ids(db: &steward_db::Db, sql: &str) -> Vec<String> {
    let mut v: Vec<String> = steward_db::query_scalar(sql)
        .fetch_all(&db.pool)
        .await
        .unwrap();
    v.sort();
    v
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(bytes))
}

/// An archive built by hand: a manifest and the given entries with right checksums.
fn archive_of(path: &Path, entries: &[(&str, Vec<u8>)], schema_version: i64) {
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let opts = zip::write::SimpleFileOptions::default();
    let mut files = Vec::new();
    for (name, bytes) in entries {
        zip.start_file(*name, opts).unwrap();
        zip.write_all(bytes).unwrap();
        files
            .push(serde_json::json!({"path": name, "bytes": bytes.len(), "sha256": sha256(bytes)}));
    }
    zip.start_file("manifest.json", opts).unwrap();
    let manifest = serde_json::json!({"format": "steward-backup", "format_version": 1, "steward_version": "0.1.0",
        "created_at": "2026-12-01T00:00:00Z", "schema_version": schema_version, "files": files});
    zip.write_all(manifest.to_string().as_bytes()).unwrap();
    zip.finish().unwrap();
}

both_backends!(
    backup_and_restore_keep_everything_and_refuse_the_unsafe,
    |s: Arc<TestServer>| async move {
        let work = tempfile::tempdir().unwrap();
        let file = work.path().join("steward-backup.zip");
        if s.backend == Backend::Postgres {
            // PostgreSQL has its own tool; the command says so and writes nothing.
            let out = Command::new(env!("CARGO_BIN_EXE_steward"))
                .args(["backup", file.to_str().unwrap()])
                .env("STEWARD_DATA_DIR", &s.data_dir)
                .env("STEWARD_DATABASE_URL", &s.database_url)
                .output()
                .unwrap();
            assert!(!out.status.success());
            assert!(text(&out).contains("pg_dump"), "{}", text(&out));
            assert!(!file.exists());
            return;
        }
        seed_modules(&s).await;
        let harbour = s.organisation("Y90001").await;
        let owner = s.user_id(HARBOUR_IG).await;
        let api = s.api(&s.api_token(HARBOUR_IG).await);
        // An attachment, through the API.
        let (status, action) = api
        .send(
            reqwest::Method::POST,
            &format!("/organisations/{harbour}/actions"),
            &serde_json::json!({"title": "File the minutes", "owner_id": owner, "due_date": "2030-01-01"}),
        )
        .await;
        assert_eq!(status, 201, "{action}");
        let action = action["id"].as_str().unwrap().to_string();
        let part = reqwest::multipart::Part::bytes(b"Minutes of the IG meeting".to_vec())
            .file_name("m.txt");
        let res = api
            .req(
                reqwest::Method::POST,
                &format!("/records/action/{action}/attachments"),
            )
            .multipart(reqwest::multipart::Form::new().part("file", part))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);

        // Writers keep going while the backup is taken.
        let stop = Arc::new(AtomicBool::new(false));
        let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
        let writer = {
            let (stop, acknowledged, api) = (stop.clone(), acknowledged.clone(), s.api(&api.token));
            let (harbour, owner) = (harbour.clone(), owner.clone());
            tokio::spawn(async move {
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    let (status, body) = api
                    .send(
                        reqwest::Method::POST,
                        &format!("/organisations/{harbour}/actions"),
                        &serde_json::json!({"title": format!("Written during the backup {n}"), "owner_id": owner, "due_date": "2030-01-01"}),
                    )
                    .await;
                    assert_eq!(status, 201, "{body}");
                    acknowledged
                        .lock()
                        .unwrap()
                        .push(body["id"].as_str().unwrap().to_string());
                }
            })
        };
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let before_backup = acknowledged.lock().unwrap().clone();
        let actions_before = ids(&s.steward.db, "SELECT id FROM actions").await;
        let requests = ids(&s.steward.db, "SELECT id FROM rights_requests").await;
        let cases = ids(&s.steward.db, "SELECT id FROM audit_cases").await;
        let attachments = ids(&s.steward.db, "SELECT id FROM attachments").await;
        let incidents = ids(&s.steward.db, "SELECT id FROM incidents").await;
        let files_before: Vec<(PathBuf, Vec<u8>)> = ["attachments", "rights"]
            .iter()
            .flat_map(|f| {
                tree(&s.data_dir.join(f))
                    .into_iter()
                    .map(move |(p, b)| (Path::new(f).join(p), b))
            })
            .collect();
        assert!(
            files_before.iter().any(|(p, _)| p.starts_with("rights")),
            "the demo's redaction run is on disk"
        );
        let (data_dir, f) = (s.data_dir.clone(), file.clone());
        let out = tokio::task::spawn_blocking(move || {
            steward(&data_dir, &["backup", f.to_str().unwrap()])
        })
        .await
        .unwrap();
        stop.store(true, Ordering::Relaxed);
        writer.await.unwrap();
        assert!(out.status.success(), "{}", text(&out));
        assert!(text(&out).contains("Backup written"), "{}", text(&out));
        assert!(
            before_backup.len() > 2,
            "writes went on: {}",
            before_backup.len()
        );
        // A second backup to the same file is refused: nothing is overwritten.
        let out = steward(&s.data_dir, &["backup", file.to_str().unwrap()]);
        assert!(!out.status.success() && text(&out).contains("already exists"));

        // The second-factor keys in the archive are sealed with the server's secret key, which
        // is not in the archive: without it, or with another key, restore refuses and
        // changes nothing (the DPO could never sign in again).
        let fresh = work.path().join("fresh");
        let out = steward(&fresh, &["restore", file.to_str().unwrap()]);
        assert!(!out.status.success());
        assert!(
            text(&out).contains("second-factor keys") && text(&out).contains("STEWARD_SECRET_KEY"),
            "{}",
            text(&out)
        );
        assert!(text(&out).contains("nothing was changed"), "{}", text(&out));
        assert!(!fresh.join("steward.db").exists());
        let other_key = steward_core::sealed::SecretKey::generate_hex();
        let out = steward_keyed(
            &fresh,
            Some(&other_key),
            &["restore", file.to_str().unwrap()],
        );
        assert!(!out.status.success());
        assert!(text(&out).contains("does not open"), "{}", text(&out));
        assert!(!fresh.join("steward.db").exists());
        // With the key: every record and file is there, the trail verifies.
        let key = Some(s.secret_key.as_str());
        let out = steward_keyed(&fresh, key, &["restore", file.to_str().unwrap()]);
        assert!(out.status.success(), "{}", text(&out));
        assert!(text(&out).contains("audit trail intact"), "{}", text(&out));
        let out = steward(&fresh, &["audit-trail", "verify"]);
        assert!(out.status.success(), "{}", text(&out));
        assert!(text(&out).contains("Audit trail intact"), "{}", text(&out));
        let restored =
            steward_db::Db::connect(&format!("sqlite://{}", fresh.join("steward.db").display()))
                .await
                .unwrap();
        let restored_actions = ids(&restored, "SELECT id FROM actions").await;
        for id in actions_before.iter().chain(before_backup.iter()) {
            assert!(
                restored_actions.binary_search(id).is_ok(),
                "action {id} answered 201 before the backup and is restored"
            );
        }
        assert_eq!(
            ids(&restored, "SELECT id FROM rights_requests").await,
            requests
        );
        assert_eq!(ids(&restored, "SELECT id FROM audit_cases").await, cases);
        assert_eq!(
            ids(&restored, "SELECT id FROM attachments").await,
            attachments
        );
        assert_eq!(ids(&restored, "SELECT id FROM incidents").await, incidents);
        restored.close().await;
        for (p, bytes) in &files_before {
            assert_eq!(
                std::fs::read(fresh.join(p)).ok().as_ref(),
                Some(bytes),
                "{} restored",
                p.display()
            );
        }
        let db_bytes = std::fs::read(fresh.join("steward.db")).unwrap();

        // A damaged archive: one byte changed in the middle.
        let mut bytes = std::fs::read(&file).unwrap();
        let mid = bytes.len() / 2;
        bytes[mid] ^= 0x5a;
        let damaged = work.path().join("damaged.zip");
        std::fs::write(&damaged, &bytes).unwrap();
        let out = steward(&fresh, &["restore", damaged.to_str().unwrap()]);
        assert!(!out.status.success());
        assert!(
            text(&out).contains("damaged") || text(&out).contains("not a Steward backup"),
            "{}",
            text(&out)
        );
        assert!(text(&out).contains("nothing was changed"), "{}", text(&out));
        // A plain SQLite file with one unrelated table, and the same inside a well-made
        // archive: both refused, the restored data untouched.
        let foreign = work.path().join("foreign.db");
        {
            let pool =
                sqlx::SqlitePool::connect(&format!("sqlite://{}?mode=rwc", foreign.display()))
                    .await
                    .unwrap();
            sqlx::query("CREATE TABLE notes (body TEXT)")
                .execute(&pool)
                .await
                .unwrap();
            pool.close().await;
        }
        let out = steward(&fresh, &["restore", foreign.to_str().unwrap()]);
        assert!(!out.status.success());
        assert!(
            text(&out).contains("not a Steward backup"),
            "{}",
            text(&out)
        );
        let dressed = work.path().join("foreign.zip");
        archive_of(
            &dressed,
            &[("database/steward.db", std::fs::read(&foreign).unwrap())],
            steward_db::Db::known_schema_version(),
        );
        let out = steward(&fresh, &["restore", dressed.to_str().unwrap()]);
        assert!(!out.status.success());
        assert!(
            text(&out).contains("not a Steward database"),
            "{}",
            text(&out)
        );
        // A file added to an archive after it was written: not in the manifest.
        let padded = work.path().join("padded.zip");
        std::fs::copy(&file, &padded).unwrap();
        {
            let f = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open(&padded)
                .unwrap();
            let mut zip = zip::ZipWriter::new_append(f).unwrap();
            zip.start_file(
                "files/attachments/planted",
                zip::write::SimpleFileOptions::default(),
            )
            .unwrap();
            zip.write_all(b"planted").unwrap();
            zip.finish().unwrap();
        }
        let out = steward(&fresh, &["restore", padded.to_str().unwrap()]);
        assert!(!out.status.success());
        assert!(text(&out).contains("not in its manifest"), "{}", text(&out));
        assert_eq!(std::fs::read(fresh.join("steward.db")).unwrap(), db_bytes);
        assert!(!fresh.join("attachments/planted").exists());

        // Restoring over data keeps the replaced data beside it...
        let out = steward_keyed(&fresh, key, &["restore", file.to_str().unwrap()]);
        assert!(out.status.success(), "{}", text(&out));
        let replaced = |dir: &Path| -> Vec<PathBuf> {
            std::fs::read_dir(dir)
                .unwrap()
                .flatten()
                .map(|e| e.path())
                .filter(|p| {
                    p.file_name()
                        .unwrap()
                        .to_string_lossy()
                        .starts_with("replaced-")
                })
                .collect()
        };
        let kept = replaced(&fresh);
        assert_eq!(kept.len(), 1);
        assert!(kept[0].join("steward.db").exists() && kept[0].join("attachments").exists());

        // ...until a server starts on the restored data; while it runs, restore is refused.
        let mut server = Command::new(env!("CARGO_BIN_EXE_steward"))
            .arg("serve")
            .env("STEWARD_DATA_DIR", &fresh)
            .env_remove("STEWARD_DATABASE_URL")
            .env("STEWARD_LISTEN", "127.0.0.1:0")
            .env("STEWARD_SECRET_KEY", &s.secret_key)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = server.stdout.take().unwrap();
        // The pipe stays open (`_lines`) while the server runs, so its prints never fail.
        let (address, _lines) = tokio::task::spawn_blocking(move || {
            use std::io::BufRead;
            let mut lines = std::io::BufReader::new(stdout).lines();
            let address = lines
                .by_ref()
                .find_map(|l| {
                    l.ok()?
                        .strip_prefix("Steward is running at ")
                        .map(|s| s.split(' ').next().unwrap_or("").to_string())
                })
                .expect("the server starts");
            (address, lines)
        })
        .await
        .unwrap();
        let health = reqwest::get(format!("{address}healthz")).await.unwrap();
        assert_eq!(health.status(), 200);
        assert!(
            replaced(&fresh).is_empty(),
            "the replaced data is removed once a server started"
        );
        let out = steward(&fresh, &["restore", file.to_str().unwrap()]);
        assert!(!out.status.success());
        assert!(text(&out).contains("server is using"), "{}", text(&out));
        // The restored server serves the restored records.
        let page = reqwest::Client::new()
            .get(format!("{address}api/v1/attachments/{}", attachments[0]))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 401, "a stranger is asked to sign in");
        server.kill().unwrap();
        server.wait().unwrap();
        // Stopped: restore goes ahead again.
        let out = steward_keyed(&fresh, key, &["restore", file.to_str().unwrap()]);
        assert!(out.status.success(), "{}", text(&out));
    }
);
