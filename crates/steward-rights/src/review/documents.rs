//! The documents of a request: where their files live, adding one, listing them; and the
//! checks every review step starts with (the request readable, or open for change).

use std::path::PathBuf;

use steward_core::records::clean_filename;
use steward_core::time::now_stamp;
use steward_core::trail::{append, TrailEntry};
use steward_core::{ops, Caller, CoreError, CoreResult};
use steward_db::Row;
use steward_documents::detect_format;

use super::RedactionDocument;
use crate::requests::{Rights, KIND, RECORD_TYPE};

impl Rights<'_> {
    pub(super) fn request_dir(&self, organisation_id: &str, request_id: &str) -> PathBuf {
        self.steward
            .config
            .data_dir
            .join("rights")
            .join(organisation_id)
            .join(request_id)
    }

    pub(super) fn write_file(path: &PathBuf, bytes: &[u8]) -> CoreResult<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| {
                CoreError::Internal(format!("cannot create {}: {e}", dir.display()))
            })?;
        }
        std::fs::write(path, bytes)
            .map_err(|e| CoreError::Internal(format!("cannot write {}: {e}", path.display())))
    }

    /// The request's organisation, checked for reading.
    pub(super) async fn readable(&self, caller: &Caller, request_id: &str) -> CoreResult<String> {
        let p = self
            .steward
            .permit::<ops::Read>(caller, KIND, request_id)
            .await?;
        Ok(p.organisation_id().to_string())
    }

    /// The request's organisation, checked for writing; closed requests take no new work.
    pub(super) async fn writable(&self, caller: &Caller, request_id: &str) -> CoreResult<String> {
        let org = self
            .steward
            .permit::<ops::Change>(caller, KIND, request_id)
            .await?
            .organisation_id()
            .to_string();
        let status: String =
            steward_db::query_scalar("SELECT status FROM rights_requests WHERE id = $1")
                .bind(request_id)
                .fetch_one(&self.steward.db.pool)
                .await?;
        if matches!(status.as_str(), "completed" | "refused" | "withdrawn") {
            return Err(CoreError::Conflict(
                "This request is closed; it can no longer be changed.".into(),
            ));
        }
        Ok(org)
    }

    /// Adds a document to disclose: text, HTML, DOCX, PDF with a text layer, CSV or FHIR R4
    /// JSON. The original is stored as uploaded and never altered.
    pub async fn add_document(
        &self,
        caller: &Caller,
        request_id: &str,
        filename: &str,
        bytes: &[u8],
    ) -> CoreResult<RedactionDocument> {
        let org = self.writable(caller, request_id).await?;
        let filename = clean_filename(filename);
        if bytes.is_empty() {
            return Err(CoreError::invalid("file", "The selected file is empty"));
        }
        let max = self.steward.config.max_attachment_bytes;
        if bytes.len() > max {
            return Err(CoreError::invalid(
                "file",
                format!(
                    "The selected file must be smaller than {} MB",
                    max / (1024 * 1024)
                ),
            ));
        }
        let format = detect_format(&filename, bytes).map_err(|_| {
            CoreError::invalid(
                "file",
                "The selected file must be text, HTML, DOCX, PDF, CSV or FHIR JSON",
            )
        })?;
        let id = uuid::Uuid::new_v4().to_string();
        Self::write_file(
            &self
                .request_dir(&org, request_id)
                .join("documents")
                .join(&id),
            bytes,
        )?;
        let sha = steward_core::auth::hash_bytes(bytes);
        let at = now_stamp();
        let mut w = self.steward.write().await?;
        steward_db::query(
            "INSERT INTO redaction_documents (id, request_id, organisation_id, filename, format, size, sha256, uploaded_by, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&id)
        .bind(request_id)
        .bind(&org)
        .bind(&filename)
        .bind(format.label())
        .bind(bytes.len() as i64)
        .bind(&sha)
        .bind(&caller.user_id)
        .bind(&at)
        .execute(&mut *w.tx)
        .await?;
        let mut e = TrailEntry::for_record(
            caller,
            "redaction.document_added",
            &org,
            RECORD_TYPE,
            request_id,
        );
        e.detail = format!("{filename} ({} bytes, sha256 {sha})", bytes.len());
        append(&mut w.tx, &e).await?;
        w.commit().await?;
        Ok(RedactionDocument {
            id,
            filename,
            format: format.label().into(),
            size: bytes.len() as i64,
            sha256: sha,
            uploaded_by: caller.display_name.clone(),
            at,
        })
    }

    pub async fn documents(
        &self,
        caller: &Caller,
        request_id: &str,
    ) -> CoreResult<Vec<RedactionDocument>> {
        self.readable(caller, request_id).await?;
        let rows = steward_db::query(
            "SELECT d.*, u.display_name FROM redaction_documents d LEFT JOIN users u ON u.id = d.uploaded_by WHERE d.request_id = $1 ORDER BY d.at",
        )
        .bind(request_id)
        .fetch_all(&self.steward.db.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(RedactionDocument {
                    id: r.try_get("id")?,
                    filename: r.try_get("filename")?,
                    format: r.try_get("format")?,
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
}
