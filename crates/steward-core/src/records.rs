//! What every record kind gets for free: version history with readable diffs,
//! attachments, comments and links to actions. Each function takes a [`Permit`] from the
//! gate ([`crate::gate`]), so none of them can be called without the decision.

use std::path::PathBuf;

use serde_json::Value;

use crate::error::{CoreError, CoreResult};
use crate::gate::{ops, Permit};
use crate::time::now_stamp;
use crate::trail::{append, TrailEntry};
use crate::{Caller, Steward};
use steward_db::{Row, Tx};

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct FieldChange {
    pub field: String,
    pub before: String,
    pub after: String,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Version {
    pub version: i64,
    pub at: String,
    pub user_id: String,
    pub user_name: String,
    /// Changes from the version before (every field for the first version).
    pub changes: Vec<FieldChange>,
}

fn show(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// Field-by-field differences between two JSON snapshots of a record.
pub fn diff(before: &Value, after: &Value) -> Vec<FieldChange> {
    let empty = serde_json::Map::new();
    let b = before.as_object().unwrap_or(&empty);
    let a = after.as_object().unwrap_or(&empty);
    let mut fields: Vec<&String> = a.keys().chain(b.keys()).collect();
    fields.sort();
    fields.dedup();
    fields
        .into_iter()
        .filter(|f| !matches!(f.as_str(), "version" | "updated_at"))
        .filter_map(|f| {
            let (x, y) = (show(b.get(f)), show(a.get(f)));
            (x != y).then(|| FieldChange {
                field: f.clone(),
                before: x,
                after: y,
            })
        })
        .collect()
}

/// Records a new version of a record inside the write transaction that changed it.
pub async fn record_version(
    tx: &mut Tx<'static>,
    caller: &Caller,
    record_type: &str,
    record_id: &str,
    organisation_id: &str,
    version: i64,
    snapshot: &Value,
) -> CoreResult<()> {
    steward_db::query(
        "INSERT INTO record_versions (id, record_type, record_id, organisation_id, version, at, user_id, snapshot) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(uuid::Uuid::new_v4().to_string())
    .bind(record_type)
    .bind(record_id)
    .bind(organisation_id)
    .bind(version)
    .bind(now_stamp())
    .bind(&caller.user_id)
    .bind(snapshot.to_string())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Attachment {
    pub id: String,
    pub record_type: String,
    pub record_id: String,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub uploaded_by: String,
    pub at: String,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Comment {
    pub id: String,
    pub user_name: String,
    pub body: String,
    pub at: String,
}

/// File types an attachment may be, by extension, with the content they must really have.
/// The declared type is not trusted: the bytes are checked.
const ALLOWED: &[(&str, &str)] = &[
    ("pdf", "application/pdf"),
    (
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    (
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    ("png", "image/png"),
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
    ("txt", "text/plain"),
    ("csv", "text/csv"),
];

/// The content type of an upload, or a message saying why it is refused.
pub fn check_upload(
    filename: &str,
    bytes: &[u8],
    max_bytes: usize,
) -> Result<&'static str, String> {
    if bytes.is_empty() {
        return Err("The selected file is empty".into());
    }
    if bytes.len() > max_bytes {
        return Err(format!(
            "The selected file must be smaller than {} MB",
            max_bytes / (1024 * 1024)
        ));
    }
    let ext = filename
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    let Some((_, content_type)) = ALLOWED.iter().find(|(e, _)| *e == ext) else {
        return Err("The selected file must be a PDF, DOCX, XLSX, PNG, JPG, TXT or CSV".into());
    };
    let sniffed = infer::get(bytes).map(|t| t.mime_type());
    let ok = match ext.as_str() {
        "txt" | "csv" => sniffed.is_none() && std::str::from_utf8(bytes).is_ok(),
        // Office files are zip containers; infer recognises the OOXML ones by their parts.
        "docx" | "xlsx" => {
            matches!(sniffed, Some(m) if m == *content_type || m == "application/zip")
        }
        _ => sniffed == Some(*content_type),
    };
    if ok {
        Ok(content_type)
    } else {
        Err(format!("The selected file is not a real .{ext} file"))
    }
}

/// A safe name to show and send back: no paths, no control characters.
pub fn clean_filename(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && *c != '"')
        .take(200)
        .collect();
    if cleaned.trim().is_empty() {
        "attachment".into()
    } else {
        cleaned
    }
}

impl Steward {
    pub async fn history(&self, permit: &Permit<ops::Read>) -> CoreResult<Vec<Version>> {
        let (record_type, record_id) = (permit.kind().code(), permit.id());
        let rows = steward_db::query(
            "SELECT v.version, v.at, v.user_id, v.snapshot, u.display_name FROM record_versions v LEFT JOIN users u ON u.id = v.user_id WHERE v.record_type = $1 AND v.record_id = $2 ORDER BY v.version",
        )
        .bind(record_type)
        .bind(record_id)
        .fetch_all(&self.db.pool)
        .await?;
        let mut prev = Value::Object(Default::default());
        let mut out = Vec::new();
        for r in rows {
            let snap: Value = serde_json::from_str(&r.try_get::<String, _>("snapshot")?)
                .map_err(|e| CoreError::Internal(format!("stored version is not JSON: {e}")))?;
            let user_id: String = r.try_get("user_id")?;
            let user_name = match r.try_get::<Option<String>, _>("display_name")? {
                Some(name) => name,
                None if user_id == crate::context::SYSTEM_USER_ID => {
                    crate::context::SYSTEM_NAME.to_string()
                }
                None => String::new(),
            };
            out.push(Version {
                version: r.try_get("version")?,
                at: r.try_get("at")?,
                user_id,
                user_name,
                changes: diff(&prev, &snap),
            });
            prev = snap;
        }
        out.reverse();
        Ok(out)
    }

    fn attachment_path(&self, organisation_id: &str, id: &str) -> PathBuf {
        self.config
            .data_dir
            .join("attachments")
            .join(organisation_id)
            .join(id)
    }

    pub async fn add_attachment(
        &self,
        caller: &Caller,
        permit: &Permit<ops::Attach>,
        filename: &str,
        bytes: &[u8],
    ) -> CoreResult<Attachment> {
        let (record_type, record_id) = (permit.kind().code(), permit.id());
        let org = permit.organisation_id().to_string();
        let filename = clean_filename(filename);
        let content_type = check_upload(&filename, bytes, self.config.max_attachment_bytes)
            .map_err(|m| CoreError::invalid("file", m))?;
        let id = uuid::Uuid::new_v4().to_string();
        let path = self.attachment_path(&org, &id);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| {
                CoreError::Internal(format!("cannot create {}: {e}", dir.display()))
            })?;
        }
        std::fs::write(&path, bytes)
            .map_err(|e| CoreError::Internal(format!("cannot store attachment: {e}")))?;
        let sha = crate::auth::hash_bytes(bytes);
        let at = now_stamp();
        let mut w = self.write().await?;
        steward_db::query(
            "INSERT INTO attachments (id, record_type, record_id, organisation_id, filename, content_type, size, sha256, uploaded_by, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&id)
        .bind(record_type)
        .bind(record_id)
        .bind(&org)
        .bind(&filename)
        .bind(content_type)
        .bind(bytes.len() as i64)
        .bind(&sha)
        .bind(&caller.user_id)
        .bind(&at)
        .execute(&mut *w.tx)
        .await?;
        let mut e = TrailEntry::for_record(caller, "attachment.add", &org, record_type, record_id);
        e.detail = format!("{filename} ({} bytes, sha256 {sha})", bytes.len());
        append(&mut w.tx, &e).await?;
        w.commit().await?;
        Ok(Attachment {
            id,
            record_type: record_type.into(),
            record_id: record_id.into(),
            filename,
            content_type: content_type.into(),
            size: bytes.len() as i64,
            sha256: sha,
            uploaded_by: caller.display_name.clone(),
            at,
        })
    }

    pub async fn attachments(&self, permit: &Permit<ops::Read>) -> CoreResult<Vec<Attachment>> {
        let (record_type, record_id) = (permit.kind().code(), permit.id());
        let rows = steward_db::query(
            "SELECT a.*, u.display_name FROM attachments a LEFT JOIN users u ON u.id = a.uploaded_by WHERE a.record_type = $1 AND a.record_id = $2 ORDER BY a.at",
        )
        .bind(record_type)
        .bind(record_id)
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Attachment {
                    id: r.try_get("id")?,
                    record_type: r.try_get("record_type")?,
                    record_id: r.try_get("record_id")?,
                    filename: r.try_get("filename")?,
                    content_type: r.try_get("content_type")?,
                    size: r.try_get("size")?,
                    sha256: r.try_get("sha256")?,
                    uploaded_by: r
                        .try_get::<Option<String>, _>("display_name")?
                        .unwrap_or_default(),
                    at: r.try_get("at")?,
                })
            })
            .collect()
    }

    /// The record an attachment belongs to.
    pub async fn attachment_record(&self, id: &str) -> CoreResult<(crate::gate::Kind, String)> {
        let row = steward_db::query("SELECT record_type, record_id FROM attachments WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.db.pool)
            .await?
            .ok_or(CoreError::NotFound)?;
        let kind = crate::gate::Kind::parse(&row.try_get::<String, _>("record_type")?)
            .ok_or(CoreError::NotFound)?;
        Ok((kind, row.try_get("record_id")?))
    }

    /// An attachment's metadata and bytes; the download is recorded in the trail.
    pub async fn download_attachment(
        &self,
        caller: &Caller,
        id: &str,
    ) -> CoreResult<(Attachment, Vec<u8>)> {
        let row = steward_db::query(
            "SELECT record_type, record_id, organisation_id FROM attachments WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.db.pool)
        .await?
        .ok_or(CoreError::NotFound)?;
        let org: String = row.try_get("organisation_id")?;
        let (rt, rid): (String, String) = (row.try_get("record_type")?, row.try_get("record_id")?);
        // Downloading is reading the record it belongs to; the download itself is the
        // trail entry, so the permit is asked for without a second view entry.
        let permit: Permit<ops::Read> = self.permit_quiet(caller, &rt, &rid).await?;
        let att = self
            .attachments(&permit)
            .await?
            .into_iter()
            .find(|a| a.id == id)
            .ok_or(CoreError::NotFound)?;
        let bytes = std::fs::read(self.attachment_path(&org, id))
            .map_err(|e| CoreError::Internal(format!("attachment file missing: {e}")))?;
        let mut e = TrailEntry::for_record(caller, "attachment.download", &org, &rt, &rid);
        e.detail = att.filename.clone();
        self.trail_standalone(e).await?;
        Ok((att, bytes))
    }

    pub async fn add_comment(
        &self,
        caller: &Caller,
        permit: &Permit<ops::Comment>,
        body: &str,
    ) -> CoreResult<()> {
        let (record_type, record_id) = (permit.kind().code(), permit.id());
        let org = permit.organisation_id();
        let body = body.trim();
        if body.is_empty() {
            return Err(CoreError::invalid("body", "Enter a comment"));
        }
        if body.chars().count() > 5000 {
            return Err(CoreError::invalid(
                "body",
                "Comment must be 5,000 characters or fewer",
            ));
        }
        let mut w = self.write().await?;
        steward_db::query(
            "INSERT INTO comments (id, record_type, record_id, organisation_id, user_id, body, at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(record_type)
        .bind(record_id)
        .bind(org)
        .bind(&caller.user_id)
        .bind(body)
        .bind(now_stamp())
        .execute(&mut *w.tx)
        .await?;
        append(
            &mut w.tx,
            &TrailEntry::for_record(caller, "comment.add", org, record_type, record_id),
        )
        .await?;
        w.commit().await
    }

    pub async fn comments(&self, permit: &Permit<ops::Read>) -> CoreResult<Vec<Comment>> {
        let (record_type, record_id) = (permit.kind().code(), permit.id());
        let rows = steward_db::query(
            "SELECT c.id, c.body, c.at, u.display_name FROM comments c LEFT JOIN users u ON u.id = c.user_id WHERE c.record_type = $1 AND c.record_id = $2 ORDER BY c.at",
        )
        .bind(record_type)
        .bind(record_id)
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Comment {
                    id: r.try_get("id")?,
                    user_name: r
                        .try_get::<Option<String>, _>("display_name")?
                        .unwrap_or_default(),
                    body: r.try_get("body")?,
                    at: r.try_get("at")?,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_lists_changed_fields_only() {
        let a = serde_json::json!({"title": "Review contract", "status": "open", "version": 1});
        let b = serde_json::json!({"title": "Review contract", "status": "done", "version": 2});
        let d = diff(&a, &b);
        assert_eq!(d.len(), 1);
        assert_eq!(
            (
                d[0].field.as_str(),
                d[0].before.as_str(),
                d[0].after.as_str()
            ),
            ("status", "open", "done")
        );
    }

    #[test]
    fn uploads_are_checked_by_content_not_name() {
        assert_eq!(
            check_upload("a.pdf", b"%PDF-1.7\n...", 1000),
            Ok("application/pdf")
        );
        assert!(check_upload("a.pdf", b"MZ\x90\x00 not a pdf", 1000).is_err());
        assert!(check_upload("a.exe", b"MZ\x90\x00", 1000).is_err());
        assert!(check_upload("a.txt", b"hello", 3).is_err());
        assert_eq!(check_upload("notes.txt", b"hello", 1000), Ok("text/plain"));
        assert_eq!(clean_filename("../../etc/passwd"), "passwd");
    }
}
