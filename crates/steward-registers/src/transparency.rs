//! Each organisation's privacy notice over storage: what the editor writes, the notice
//! generated from the registers, publishing (refused while an Article 13/14 element is
//! missing), the versions with their change summaries, and the public pages.

use serde::{Deserialize, Serialize};
use steward_core::gate::{Kind, Op};
use steward_core::records::record_version;
use steward_core::time::now_stamp;
use steward_core::trail::{append, TrailEntry};
use steward_core::{Caller, CoreError, CoreResult, FieldErrors};
use steward_db::Row;

use crate::fields::{Register, Ty};
use crate::notice::{
    changes, generate, GeneratedNotice, NoticeActivity, NoticeInput, NoticeProject, NoticeSettings,
};
use crate::store::Registers;

pub const KIND: Kind = Kind::PrivacyNotice;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NoticeVersion {
    pub number: i64,
    pub published_at: String,
    pub published_by: String,
    pub change_summary: String,
    pub reading_ease: f64,
}

/// The notice of an organisation as its editor sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NoticeDraft {
    pub id: String,
    pub organisation_id: String,
    pub organisation_name: String,
    pub ods_code: String,
    pub settings: NoticeSettings,
    /// Generated now from the registers.
    pub draft: GeneratedNotice,
    /// What changed since the last published version (a suggested change summary).
    pub changes_since_published: Vec<String>,
    pub versions: Vec<NoticeVersion>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct PublishInput {
    /// What changed, for the version history (the first version may leave it empty).
    pub change_summary: String,
}

/// A published notice, as the public page shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublishedNotice {
    pub organisation_name: String,
    pub ods_code: String,
    pub number: i64,
    pub published_at: String,
    pub change_summary: String,
    pub notice: GeneratedNotice,
}

impl Registers<'_> {
    /// The organisation's notice record, made on first use.
    async fn notice_id(&self, organisation_id: &str) -> CoreResult<String> {
        let now = now_stamp();
        steward_db::query(
            "INSERT INTO privacy_notices (id, organisation_id, created_at, updated_at, version) VALUES ($1, $2, $3, $3, 1) ON CONFLICT (organisation_id) DO NOTHING",
        )
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(organisation_id)
        .bind(&now)
        .execute(&self.steward.db.pool)
        .await?;
        Ok(
            steward_db::query_scalar("SELECT id FROM privacy_notices WHERE organisation_id = $1")
                .bind(organisation_id)
                .fetch_one(&self.steward.db.pool)
                .await?,
        )
    }

    async fn settings(&self, organisation_id: &str) -> CoreResult<NoticeSettings> {
        let r = steward_db::query("SELECT * FROM privacy_notices WHERE organisation_id = $1")
            .bind(organisation_id)
            .fetch_one(&self.steward.db.pool)
            .await?;
        Ok(NoticeSettings {
            introduction: r.try_get("introduction")?,
            controller_contact: r.try_get("controller_contact")?,
            dpo_contact: r.try_get("dpo_contact")?,
            requirement_statement: r.try_get("requirement_statement")?,
            automated_decisions: r.try_get("automated_decisions")?,
        })
    }

    /// The notice generated now from the organisation's registers.
    pub async fn generate_notice(&self, organisation_id: &str) -> CoreResult<GeneratedNotice> {
        self.notice_id(organisation_id).await?;
        let settings = self.settings(organisation_id).await?;
        let organisation_name: String =
            steward_db::query_scalar("SELECT name FROM organisations WHERE id = $1")
                .bind(organisation_id)
                .fetch_one(&self.steward.db.pool)
                .await?;
        let projects = self.joined_projects(organisation_id).await?;
        let mut activities = Vec::new();
        let schedule = steward_compliance::rules(self.steward).schedule.clone();
        for a in self.all(organisation_id, Register::Processing).await? {
            let partner_names = self
                .names(Ty::Partners, a.value("recipient_partners"))
                .await?
                .into_iter()
                .map(|(_, n)| n)
                .collect();
            let project = a
                .project_id
                .as_ref()
                .and_then(|p| projects.iter().find(|x| &x.id == p))
                .map(|p| p.name.clone());
            // The retention element: the linked schedule row's period, then the note.
            let mut values = a.values.clone();
            values.insert(
                "retention".into(),
                crate::store::retention_words(&schedule, &a.values),
            );
            activities.push(NoticeActivity {
                name: a.name.clone(),
                values,
                partner_names,
                project,
            });
        }
        let mut ps = Vec::new();
        for p in &projects {
            ps.push(NoticeProject {
                id: p.id.clone(),
                name: p.name.clone(),
                patient_description: p.value("patient_description").to_string(),
                partners: self
                    .names(Ty::Partners, p.value("partners"))
                    .await?
                    .into_iter()
                    .map(|(_, n)| n)
                    .collect(),
            });
        }
        Ok(generate(
            &self.rules,
            &NoticeInput {
                organisation_name,
                settings,
                activities,
                projects: ps,
            },
        ))
    }

    pub async fn notice(&self, caller: &Caller, organisation_id: &str) -> CoreResult<NoticeDraft> {
        self.steward
            .permit_in(caller, KIND, Op::List, organisation_id)?;
        let id = self.notice_id(organisation_id).await?;
        let org = steward_db::query("SELECT name, ods_code FROM organisations WHERE id = $1")
            .bind(organisation_id)
            .fetch_one(&self.steward.db.pool)
            .await?;
        let draft = self.generate_notice(organisation_id).await?;
        let versions = self.versions(&id).await?;
        let changes_since_published = match self.published_content(&id).await? {
            Some((_, last)) => changes(&last, &draft),
            None => vec![],
        };
        Ok(NoticeDraft {
            id,
            organisation_id: organisation_id.into(),
            organisation_name: org.try_get("name")?,
            ods_code: org.try_get("ods_code")?,
            settings: self.settings(organisation_id).await?,
            draft,
            changes_since_published,
            versions,
        })
    }

    async fn versions(&self, notice_id: &str) -> CoreResult<Vec<NoticeVersion>> {
        let rows = steward_db::query(
            "SELECT v.*, u.display_name AS user_name FROM privacy_notice_versions v LEFT JOIN users u ON u.id = v.published_by WHERE v.notice_id = $1 ORDER BY v.number DESC",
        )
        .bind(notice_id)
        .fetch_all(&self.steward.db.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(NoticeVersion {
                    number: r.try_get("number")?,
                    published_at: r.try_get("published_at")?,
                    published_by: r
                        .try_get::<Option<String>, _>("user_name")?
                        .unwrap_or_else(|| "Steward".into()),
                    change_summary: r.try_get("change_summary")?,
                    reading_ease: r.try_get("reading_ease")?,
                })
            })
            .collect()
    }

    async fn published_content(
        &self,
        notice_id: &str,
    ) -> CoreResult<Option<(i64, GeneratedNotice)>> {
        let row = steward_db::query(
            "SELECT number, content FROM privacy_notice_versions WHERE notice_id = $1 ORDER BY number DESC LIMIT 1",
        )
        .bind(notice_id)
        .fetch_optional(&self.steward.db.pool)
        .await?;
        match row {
            None => Ok(None),
            Some(r) => {
                let content: String = r.try_get("content")?;
                let n: GeneratedNotice = serde_json::from_str(&content)
                    .map_err(|e| CoreError::Internal(format!("stored notice: {e}")))?;
                Ok(Some((r.try_get("number")?, n)))
            }
        }
    }

    /// Saves what the editor writes (the rest comes from the registers).
    pub async fn save_notice_settings(
        &self,
        caller: &Caller,
        organisation_id: &str,
        input: &NoticeSettings,
    ) -> CoreResult<()> {
        self.steward
            .permit_in(caller, KIND, Op::Create, organisation_id)?;
        let id = self.notice_id(organisation_id).await?;
        let mut w = self.steward.write().await?;
        let version: i64 = steward_db::query_scalar(
            "UPDATE privacy_notices SET introduction = $1, controller_contact = $2, dpo_contact = $3, requirement_statement = $4, automated_decisions = $5, updated_at = $6, version = version + 1 WHERE id = $7 RETURNING version",
        )
        .bind(input.introduction.trim())
        .bind(input.controller_contact.trim())
        .bind(input.dpo_contact.trim())
        .bind(input.requirement_statement.trim())
        .bind(input.automated_decisions.trim())
        .bind(now_stamp())
        .bind(&id)
        .fetch_one(&mut *w.tx)
        .await?;
        record_version(
            &mut w.tx,
            caller,
            KIND.code(),
            &id,
            organisation_id,
            version,
            &serde_json::json!({
                "introduction": input.introduction.trim(),
                "contact details": input.controller_contact.trim(),
                "data protection officer": input.dpo_contact.trim(),
                "whether people must give their information": input.requirement_statement.trim(),
                "automated decisions": input.automated_decisions.trim(),
            }),
        )
        .await?;
        append(
            &mut w.tx,
            &TrailEntry::for_record(caller, "record.update", organisation_id, KIND.code(), &id),
        )
        .await?;
        w.commit().await?;
        Ok(())
    }

    /// Publishes the notice generated now as a new version. Refused, listing what is
    /// missing, while an Article 13/14 element is not covered.
    pub async fn publish_notice(
        &self,
        caller: &Caller,
        organisation_id: &str,
        input: &PublishInput,
    ) -> CoreResult<NoticeVersion> {
        self.steward
            .permit_in(caller, KIND, Op::Create, organisation_id)?;
        let id = self.notice_id(organisation_id).await?;
        let notice = self.generate_notice(organisation_id).await?;
        let mut e = FieldErrors::default();
        for m in &notice.missing {
            e.add(
                "notice",
                format!("{} ({}) is missing. {}", m.label, m.article, m.fix),
            );
        }
        let previous = self.published_content(&id).await?;
        let summary = input.change_summary.trim().to_string();
        let summary = if summary.is_empty() {
            match &previous {
                None => "First published".to_string(),
                Some(_) => {
                    e.add("change_summary", "Say what changed since the last version");
                    String::new()
                }
            }
        } else {
            summary
        };
        e.into_result()?;
        let number = previous.map(|(n, _)| n).unwrap_or(0) + 1;
        let now = now_stamp();
        let mut w = self.steward.write().await?;
        steward_db::query(
            "INSERT INTO privacy_notice_versions (id, notice_id, organisation_id, number, published_at, published_by, change_summary, content, reading_ease) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(&id)
        .bind(organisation_id)
        .bind(number)
        .bind(&now)
        .bind(&caller.user_id)
        .bind(&summary)
        .bind(serde_json::to_string(&notice).map_err(|e| CoreError::Internal(e.to_string()))?)
        .bind(notice.reading_ease)
        .execute(&mut *w.tx)
        .await?;
        steward_db::query(
            "UPDATE privacy_notices SET published_number = $1, updated_at = $2 WHERE id = $3",
        )
        .bind(number)
        .bind(&now)
        .bind(&id)
        .execute(&mut *w.tx)
        .await?;
        let mut t =
            TrailEntry::for_record(caller, "notice.publish", organisation_id, KIND.code(), &id);
        t.detail = format!("version {number}: {summary}");
        append(&mut w.tx, &t).await?;
        w.commit().await?;
        Ok(NoticeVersion {
            number,
            published_at: now,
            published_by: caller.display_name.clone(),
            change_summary: summary,
            reading_ease: notice.reading_ease,
        })
    }

    /// The latest published notice of an organisation by its ODS code (public: no sign-in).
    pub async fn published_notice(&self, ods_code: &str) -> CoreResult<PublishedNotice> {
        let r = steward_db::query(
            "SELECT o.name, o.ods_code, v.number, v.published_at, v.change_summary, v.content FROM organisations o JOIN privacy_notices n ON n.organisation_id = o.id JOIN privacy_notice_versions v ON v.notice_id = n.id AND v.number = n.published_number WHERE o.ods_code = $1",
        )
        .bind(ods_code)
        .fetch_optional(&self.steward.db.pool)
        .await?
        .ok_or(CoreError::NotFound)?;
        let content: String = r.try_get("content")?;
        Ok(PublishedNotice {
            organisation_name: r.try_get("name")?,
            ods_code: r.try_get("ods_code")?,
            number: r.try_get("number")?,
            published_at: r.try_get("published_at")?,
            change_summary: r.try_get("change_summary")?,
            notice: serde_json::from_str(&content)
                .map_err(|e| CoreError::Internal(format!("stored notice: {e}")))?,
        })
    }

    /// Organisations with a published notice: (name, ODS code).
    pub async fn published_organisations(&self) -> CoreResult<Vec<(String, String)>> {
        let rows = steward_db::query(
            "SELECT o.name, o.ods_code FROM organisations o JOIN privacy_notices n ON n.organisation_id = o.id WHERE n.published_number > 0 ORDER BY o.name",
        )
        .fetch_all(&self.steward.db.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("name")?, r.try_get("ods_code")?)))
            .collect()
    }
}

impl PublishedNotice {
    /// The notice as one document, for leaflets (PDF and DOCX from the same source).
    pub fn document(&self) -> steward_documents::DocumentSpec {
        let mut d = steward_documents::DocumentSpec::new(format!(
            "How {} uses your information",
            self.organisation_name
        ))
        .paragraph(format!(
            "Version {}, published {}.",
            self.number,
            steward_core::time::long_stamp(&self.published_at)
        ));
        for s in &self.notice.sections {
            d = d.heading(2, s.heading.clone());
            for p in &s.paragraphs {
                d = d.paragraph(p.clone());
            }
            if !s.items.is_empty() {
                d = d.list(s.items.clone());
            }
        }
        d.footer = format!("Privacy notice of {}", self.organisation_name);
        d
    }

    pub fn pdf(&self) -> CoreResult<Vec<u8>> {
        steward_documents::write_pdf(&self.document())
            .map_err(|e| CoreError::Internal(e.to_string()))
    }

    pub fn docx(&self) -> CoreResult<Vec<u8>> {
        steward_documents::write_docx(&self.document())
            .map_err(|e| CoreError::Internal(e.to_string()))
    }
}
