//! What Steward knows about an organisation beyond its name, so that a rights request's
//! redaction run keeps it (issue 15, "Use what Steward knows"): the organisation's own
//! address, telephone numbers and e-mail addresses (its letterhead, on the organisation
//! record), and the names of its staff (its users, the staff list the IG lead uploads as
//! CSV, and the clinicians of the cluster).
//!
//! Access is the gate's: the staff list is [`Kind::StaffListEntry`]; everyone who reads
//! records sees the details and the list; the IG lead and the DPO change the details (the
//! kind's "configure" right) and upload the list ("create").

use serde::{Deserialize, Serialize};
use steward_db::Row;

use crate::error::{CoreError, CoreResult, FieldErrors};
use crate::gate::{Kind, Op};
use crate::roles::Role;
use crate::time::now_stamp;
use crate::trail::{append, TrailEntry};
use crate::{Caller, Steward};

/// The record type of the organisation's details in the audit trail.
pub const DETAILS_RECORD_TYPE: &str = "organisation_details";
/// The most names a staff list may hold.
pub const MAX_STAFF: usize = 2000;
const MAX_LINES: usize = 10;

/// An organisation's own details as a redaction run keeps them: its letterhead.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct OrganisationDetails {
    pub organisation_id: String,
    pub name: String,
    /// gp_practice, trust, care_partner, dpo_service
    pub kind: String,
    pub ods_code: String,
    /// The address without the postcode, one line per line ("16 Harbour Road\nPorthleven").
    pub address: String,
    pub postcode: String,
    /// Telephone numbers, one per line.
    pub phones: String,
    /// E-mail addresses, one per line.
    pub emails: String,
    pub updated_at: Option<String>,
    /// Who last changed the details.
    pub updated_by: Option<String>,
}

impl OrganisationDetails {
    pub fn address_lines(&self) -> Vec<String> {
        lines(&self.address)
    }
    pub fn phone_list(&self) -> Vec<String> {
        lines(&self.phones)
    }
    pub fn email_list(&self) -> Vec<String> {
        lines(&self.emails)
    }
    /// Nothing beyond the name is recorded yet.
    pub fn is_blank(&self) -> bool {
        self.address.trim().is_empty()
            && self.postcode.trim().is_empty()
            && self.phones.trim().is_empty()
            && self.emails.trim().is_empty()
    }
    /// "practice" for a GP practice, else "organisation": the DPO's word on pages.
    pub fn noun(&self) -> &'static str {
        if self.kind == "gp_practice" {
            "practice"
        } else {
            "organisation"
        }
    }
}

/// What a person enters to change the organisation's details (form and API alike). Lists
/// are one item per line.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct OrganisationDetailsInput {
    /// The address without the postcode, one line per line.
    pub address: String,
    pub postcode: String,
    /// Telephone numbers, one per line.
    pub phones: String,
    /// E-mail addresses, one per line.
    pub emails: String,
}

/// One name of the uploaded staff list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct StaffListEntry {
    pub id: String,
    pub name: String,
    pub job_title: String,
    /// The row's line in the uploaded file.
    pub line: i64,
}

/// The uploaded staff list, with who uploaded it and when.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct StaffList {
    pub entries: Vec<StaffListEntry>,
    pub uploaded_at: Option<String>,
    pub uploaded_by: Option<String>,
}

/// A member of staff whose name a redaction run keeps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KnownStaff {
    pub name: String,
    /// Their role or job title, for the schedule.
    pub role: String,
}

/// Everything a redaction run of this organisation keeps because Steward knows whose it is.
#[derive(Debug, Clone, Default, Serialize)]
pub struct KnownToSteward {
    pub details: OrganisationDetails,
    pub staff: Vec<KnownStaff>,
}

fn lines(s: &str) -> Vec<String> {
    s.lines()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

/// A UK postcode, written with or without its space: "TR13 9PL", "tr139pl".
pub fn valid_postcode(s: &str) -> bool {
    let p: String = s
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_uppercase();
    if !(5..=7).contains(&p.len()) || !p.is_ascii() {
        return false;
    }
    let (outward, inward) = p.split_at(p.len() - 3);
    let ib = inward.as_bytes();
    let inward_ok =
        ib[0].is_ascii_digit() && ib[1].is_ascii_alphabetic() && ib[2].is_ascii_alphabetic();
    let ob = outward.as_bytes();
    let outward_ok = ob[0].is_ascii_alphabetic()
        && ob.iter().all(|c| c.is_ascii_alphanumeric())
        && ob.iter().any(|c| c.is_ascii_digit());
    inward_ok && outward_ok
}

/// A telephone number as written on a letterhead: digits with spaces, brackets, hyphens and
/// a leading +; 10 to 13 digits.
pub fn valid_phone(s: &str) -> bool {
    let digits = s.chars().filter(|c| c.is_ascii_digit()).count();
    (10..=13).contains(&digits)
        && s.chars()
            .enumerate()
            .all(|(i, c)| c.is_ascii_digit() || " ()-".contains(c) || (c == '+' && i == 0))
}

pub fn valid_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && s.len() <= 254
        && !s.chars().any(|c| c.is_whitespace() || c == ',' || c == ';')
}

/// Checks the details a person entered; each problem is reported beside its field.
pub fn check_details(input: &OrganisationDetailsInput) -> CoreResult<OrganisationDetailsInput> {
    let mut e = FieldErrors::default();
    let address = lines(&input.address);
    if address.len() > 6 {
        e.add("address", "Enter the address in 6 lines or fewer");
    }
    if address.iter().any(|l| l.chars().count() > 200) {
        e.add(
            "address",
            "Each line of the address must be 200 characters or fewer",
        );
    }
    let postcode = input.postcode.trim().to_uppercase();
    if !postcode.is_empty() && !valid_postcode(&postcode) {
        e.add("postcode", "Enter a real postcode, like TR13 9PL");
    }
    let phones = lines(&input.phones);
    if phones.len() > MAX_LINES {
        e.add("phones", "Enter 10 telephone numbers or fewer");
    }
    if let Some(bad) = phones.iter().find(|p| !valid_phone(p)) {
        e.add(
            "phones",
            format!(
                "“{bad}” is not a telephone number: enter one number per line, like 01326 960 101"
            ),
        );
    }
    let emails = lines(&input.emails);
    if emails.len() > MAX_LINES {
        e.add("emails", "Enter 10 email addresses or fewer");
    }
    if let Some(bad) = emails.iter().find(|m| !valid_email(m)) {
        e.add(
            "emails",
            format!("“{bad}” is not an email address: enter one address per line, like reception.harbourview@nhs.net"),
        );
    }
    e.into_result()?;
    Ok(OrganisationDetailsInput {
        address: address.join("\n"),
        postcode,
        phones: phones.join("\n"),
        emails: emails
            .iter()
            .map(|m| m.to_lowercase())
            .collect::<Vec<_>>()
            .join("\n"),
    })
}

/// One checked row of a staff list file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffRow {
    pub name: String,
    pub job_title: String,
    pub line: usize,
}

/// Reads a staff list: CSV with a header row naming a `name` column (or `first name` and
/// `last name`) and, optionally, a `job title` (or `role`) column. The whole file is checked
/// before anything is written: every bad row is reported by its line number.
pub fn check_staff_csv(bytes: &[u8]) -> CoreResult<Vec<StaffRow>> {
    let invalid = |m: &str| CoreError::invalid("file", m);
    let text = std::str::from_utf8(bytes)
        .map_err(|_| invalid("The file must be a CSV file saved as text (UTF-8)"))?;
    let text = text.trim_start_matches('\u{feff}');
    if text.trim().is_empty() {
        return Err(invalid(
            "The file is empty: choose a CSV file with the staff list",
        ));
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|_| invalid("The first row of the file must name the columns"))?
        .iter()
        .map(|h| h.trim().to_lowercase().replace('_', " "))
        .collect();
    let find = |names: &[&str]| headers.iter().position(|h| names.contains(&h.as_str()));
    let name_col = find(&["name", "full name", "staff name"]);
    let given_col = find(&[
        "first name",
        "first names",
        "given name",
        "forename",
        "forenames",
    ]);
    let family_col = find(&["last name", "surname", "family name"]);
    let title_col = find(&["job title", "role", "job", "position"]);
    if name_col.is_none() && (given_col.is_none() || family_col.is_none()) {
        return Err(invalid(
            "The first row must name a “name” column (or “first name” and “last name” columns)",
        ));
    }
    // The file's own line of a record: the reader places a record after blank lines at the
    // first of them, so those are stepped over.
    let line_of = |byte: u64| -> usize {
        let bytes = text.as_bytes();
        let mut end = (byte as usize).min(bytes.len());
        while matches!(bytes.get(end), Some(b'\n' | b'\r')) {
            end += 1;
        }
        bytes[..end].iter().filter(|b| **b == b'\n').count() + 1
    };
    let mut e = FieldErrors::default();
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(err) => {
                let line = err.position().map(|p| line_of(p.byte())).unwrap_or(0);
                e.add(
                    "file",
                    format!("Line {line}: this row cannot be read as CSV"),
                );
                continue;
            }
        };
        let line = record.position().map(|p| line_of(p.byte())).unwrap_or(0);
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        if record.len() > headers.len() {
            e.add(
                "file",
                format!("Line {line}: this row has more columns than the first row"),
            );
            continue;
        }
        let get = |i: Option<usize>| {
            i.and_then(|i| record.get(i))
                .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
                .unwrap_or_default()
        };
        let name = match name_col {
            Some(_) => get(name_col),
            None => format!("{} {}", get(given_col), get(family_col))
                .trim()
                .to_string(),
        };
        let job_title = get(title_col);
        if name.is_empty() {
            e.add(
                "file",
                format!("Line {line}: enter the member of staff's name"),
            );
            continue;
        }
        if name.chars().count() > 200 {
            e.add(
                "file",
                format!("Line {line}: the name must be 200 characters or fewer"),
            );
            continue;
        }
        if !name.chars().any(char::is_alphabetic)
            || name
                .chars()
                .any(|c| !(c.is_alphabetic() || " '’-.,".contains(c)))
        {
            e.add(
                "file",
                format!("Line {line}: “{name}” is not a name: a name has letters, spaces, hyphens and apostrophes only"),
            );
            continue;
        }
        if job_title.chars().count() > 200 {
            e.add(
                "file",
                format!("Line {line}: the job title must be 200 characters or fewer"),
            );
            continue;
        }
        rows.push(StaffRow {
            name,
            job_title,
            line,
        });
    }
    if rows.len() > MAX_STAFF {
        e.add(
            "file",
            format!(
                "The staff list can hold 2,000 names at most; this file has {}",
                rows.len()
            ),
        );
    }
    if e.is_empty() && rows.is_empty() {
        e.add(
            "file",
            "The file has no names: add one row per member of staff",
        );
    }
    e.into_result()?;
    Ok(rows)
}

fn details_from(r: &steward_db::AnyRow) -> CoreResult<OrganisationDetails> {
    Ok(OrganisationDetails {
        organisation_id: r.try_get("id")?,
        name: r.try_get("name")?,
        kind: r.try_get("kind")?,
        ods_code: r.try_get("ods_code")?,
        address: r.try_get("address")?,
        postcode: r.try_get("postcode")?,
        phones: r.try_get("phones")?,
        emails: r.try_get("emails")?,
        updated_at: r.try_get("details_updated_at")?,
        updated_by: r.try_get("updated_by_name")?,
    })
}

impl Steward {
    async fn load_details(&self, organisation_id: &str) -> CoreResult<OrganisationDetails> {
        let r = steward_db::query(
            "SELECT o.*, u.display_name AS updated_by_name FROM organisations o LEFT JOIN users u ON u.id = o.details_updated_by WHERE o.id = $1",
        )
        .bind(organisation_id)
        .fetch_optional(&self.db.pool)
        .await?
        .ok_or(CoreError::NotFound)?;
        details_from(&r)
    }

    /// The organisation's own details (its letterhead).
    pub async fn organisation_details(
        &self,
        caller: &Caller,
        organisation_id: &str,
    ) -> CoreResult<OrganisationDetails> {
        self.permit_in(caller, Kind::StaffListEntry, Op::List, organisation_id)?;
        self.load_details(organisation_id).await
    }

    /// Changes the organisation's address, telephone numbers and e-mail addresses. The IG
    /// lead and the DPO only; the change is on the audit trail.
    pub async fn change_organisation_details(
        &self,
        caller: &Caller,
        organisation_id: &str,
        input: &OrganisationDetailsInput,
    ) -> CoreResult<OrganisationDetails> {
        self.permit_in(caller, Kind::StaffListEntry, Op::Configure, organisation_id)?;
        let c = check_details(input)?;
        let before = self.load_details(organisation_id).await?;
        let mut w = self.write().await?;
        steward_db::query(
            "UPDATE organisations SET address = $1, postcode = $2, phones = $3, emails = $4, details_updated_by = $5, details_updated_at = $6 WHERE id = $7",
        )
        .bind(&c.address)
        .bind(&c.postcode)
        .bind(&c.phones)
        .bind(&c.emails)
        .bind(&caller.user_id)
        .bind(now_stamp())
        .bind(organisation_id)
        .execute(&mut *w.tx)
        .await?;
        let changed: Vec<&str> = [
            ("address", before.address == c.address),
            ("postcode", before.postcode == c.postcode),
            ("telephone numbers", before.phones == c.phones),
            ("email addresses", before.emails == c.emails),
        ]
        .into_iter()
        .filter(|(_, same)| !same)
        .map(|(f, _)| f)
        .collect();
        let mut e = TrailEntry::for_record(
            caller,
            "record.update",
            organisation_id,
            DETAILS_RECORD_TYPE,
            organisation_id,
        );
        e.detail = if changed.is_empty() {
            "no change".into()
        } else {
            changed.join(", ")
        };
        append(&mut w.tx, &e).await?;
        w.commit().await?;
        self.load_details(organisation_id).await
    }

    async fn load_staff_list(&self, organisation_id: &str) -> CoreResult<StaffList> {
        let rows = steward_db::query(
            "SELECT s.*, u.display_name FROM staff_list s LEFT JOIN users u ON u.id = s.uploaded_by WHERE s.organisation_id = $1 ORDER BY s.line",
        )
        .bind(organisation_id)
        .fetch_all(&self.db.pool)
        .await?;
        let mut list = StaffList::default();
        for r in &rows {
            list.uploaded_at = Some(r.try_get("uploaded_at")?);
            list.uploaded_by = r.try_get("display_name")?;
            list.entries.push(StaffListEntry {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                job_title: r.try_get("job_title")?,
                line: r.try_get("line")?,
            });
        }
        Ok(list)
    }

    /// The organisation's uploaded staff list.
    pub async fn staff_list(
        &self,
        caller: &Caller,
        organisation_id: &str,
    ) -> CoreResult<StaffList> {
        self.permit_in(caller, Kind::StaffListEntry, Op::List, organisation_id)?;
        self.load_staff_list(organisation_id).await
    }

    /// Replaces the organisation's staff list with the rows of an uploaded CSV file. The whole
    /// file is checked first: a file with any bad row changes nothing, and every bad row is
    /// reported by its line number.
    pub async fn replace_staff_list(
        &self,
        caller: &Caller,
        organisation_id: &str,
        filename: &str,
        bytes: &[u8],
    ) -> CoreResult<StaffList> {
        self.permit_in(caller, Kind::StaffListEntry, Op::Create, organisation_id)?;
        let rows = check_staff_csv(bytes)?;
        let now = now_stamp();
        let mut w = self.write().await?;
        let before: i64 =
            steward_db::query_scalar("SELECT COUNT(*) FROM staff_list WHERE organisation_id = $1")
                .bind(organisation_id)
                .fetch_one(&mut *w.tx)
                .await?;
        steward_db::query("DELETE FROM staff_list WHERE organisation_id = $1")
            .bind(organisation_id)
            .execute(&mut *w.tx)
            .await?;
        for r in &rows {
            steward_db::query(
                "INSERT INTO staff_list (id, organisation_id, name, job_title, line, uploaded_by, uploaded_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(uuid::Uuid::new_v4().to_string())
            .bind(organisation_id)
            .bind(&r.name)
            .bind(&r.job_title)
            .bind(r.line as i64)
            .bind(&caller.user_id)
            .bind(&now)
            .execute(&mut *w.tx)
            .await?;
        }
        let mut e = TrailEntry::for_caller(caller, "staff_list.upload");
        e.organisation_id = Some(organisation_id.to_string());
        e.record_type = Some(Kind::StaffListEntry.code().into());
        e.detail = format!(
            "{} names from {} (replacing {before})",
            rows.len(),
            crate::records::clean_filename(filename)
        );
        append(&mut w.tx, &e).await?;
        w.commit().await?;
        self.load_staff_list(organisation_id).await
    }

    /// What a redaction run of this organisation keeps: its details, and the names of its
    /// staff — its active users, its uploaded staff list, and the clinicians and Caldicott
    /// Guardians of every organisation of its cluster. For services that already hold the
    /// caller's permit on the record being redacted.
    pub async fn known_to_steward(&self, organisation_id: &str) -> CoreResult<KnownToSteward> {
        let details = self.load_details(organisation_id).await?;
        let mut staff: Vec<KnownStaff> = Vec::new();
        let users = steward_db::query(
            "SELECT u.display_name, u.role, u.organisation_id FROM users u JOIN organisations o ON o.id = u.organisation_id \
             WHERE u.active = 1 AND (u.organisation_id = $1 OR (u.role IN ('clinician', 'caldicott_guardian') AND o.cluster_id = (SELECT cluster_id FROM organisations WHERE id = $1))) \
             ORDER BY u.display_name",
        )
        .bind(organisation_id)
        .fetch_all(&self.db.pool)
        .await?;
        for r in &users {
            let role = Role::parse(&r.try_get::<String, _>("role")?)
                .map(|r| r.label().to_string())
                .unwrap_or_default();
            staff.push(KnownStaff {
                name: r.try_get("display_name")?,
                role,
            });
        }
        for e in self.load_staff_list(organisation_id).await?.entries {
            staff.push(KnownStaff {
                name: e.name,
                role: e.job_title,
            });
        }
        Ok(KnownToSteward { details, staff })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postcodes_phones_and_emails() {
        for p in [
            "TR13 9PL", "tr139pl", "SW1A 1AA", "M1 1AE", "B33 8TH", "CR2 6XH",
        ] {
            assert!(valid_postcode(p), "{p}");
        }
        for p in ["TR13", "12345", "TR13 9P1", "SW1A-1AA"] {
            assert!(!valid_postcode(p), "{p}");
        }
        assert!(valid_phone("01326 960 101"));
        assert!(valid_phone("+44 (0)1326 960101"));
        assert!(!valid_phone("0132"));
        assert!(!valid_phone("call 01326 960 101"));
        assert!(valid_email("reception.harbourview@nhs.net"));
        assert!(!valid_email("reception at nhs.net"));
        assert!(!valid_email("a@b"));
    }

    #[test]
    fn a_staff_list_is_checked_whole_and_bad_rows_named_by_line() {
        let good = "Name,Job title\nDr Anita Marchetti,GP partner\n\n\"O'Neill, Siobhan\",Practice nurse\n";
        let rows = check_staff_csv(good.as_bytes()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].name, "O'Neill, Siobhan");
        assert_eq!(rows[1].line, 4);
        let split = "First name,Last name\nTamsin,Gwavas\n";
        assert_eq!(
            check_staff_csv(split.as_bytes()).unwrap()[0].name,
            "Tamsin Gwavas"
        );
        let bad = "name,role\nDr Anita Marchetti,GP\n,Nurse\nR2D2 Unit,Robot\nTamsin Gwavas,Nurse,extra\n";
        let Err(CoreError::Invalid(e)) = check_staff_csv(bad.as_bytes()) else {
            panic!("a bad file is refused");
        };
        let messages: Vec<&str> = e.0.iter().map(|x| x.message.as_str()).collect();
        assert_eq!(messages.len(), 3, "{messages:?}");
        assert!(messages[0].starts_with("Line 3:"), "{messages:?}");
        assert!(messages[1].starts_with("Line 4:"), "{messages:?}");
        assert!(messages[2].starts_with("Line 5:"), "{messages:?}");
        assert!(check_staff_csv(b"job title\nGP\n").is_err());
        assert!(check_staff_csv(b"").is_err());
        assert!(check_staff_csv(&[0xff, 0xfe, 0x00]).is_err());
    }
}
