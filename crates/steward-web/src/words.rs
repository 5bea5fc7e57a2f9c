//! The one place for the words a page shows: a label in the DPO's words for every code
//! (roles, organisation types, trail events, record types, redaction and access-audit rules,
//! statuses), dates and times as "5 February 2021" and "10:09" in UK local time, and counts
//! in words with the right singular or plural. Templates use these through the askama
//! filters in [`filters`] (`{{ at|datetime }}`, `{{ n|count("document") }}`) or by calling
//! the functions; no template shows a code, an engine id or an ISO date itself.
//!
//! A code without a label here is shown humanised ("sign_in.failure" would read "Sign in
//! failure"), never raw; the page-walk test lists the codes that must never appear.

use chrono::{NaiveDate, NaiveDateTime};
use steward_core::time::{parse_stamp, uk_local};

// ------------------------------------------------------------------------------- dates

/// Any date or moment a page shows, as the DPO reads it: a stored UTC stamp becomes UK local
/// time; an export's own local time ("2025-05-14 16:02:00") is shown as it is.
fn moment(s: &str) -> Option<(NaiveDate, Option<NaiveDateTime>)> {
    let s = s.trim();
    if let Some(t) = parse_stamp(s) {
        let local = uk_local(t);
        return Some((local.date(), Some(local)));
    }
    for f in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, f) {
            return Some((t.date(), Some(t)));
        }
    }
    if let Ok(t) = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f") {
        return Some((t.date(), Some(t)));
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .map(|d| (d, None))
}

/// "5 February 2021" (a date, a stored stamp or an export's time); text that is not a date
/// is returned as it is.
pub fn date(s: &str) -> String {
    match moment(s) {
        Some((d, _)) => steward_core::time::long_date(d),
        None => s.to_string(),
    }
}

/// "5 February 2021 at 10:09" (UK local time); a bare date has no time.
pub fn datetime(s: &str) -> String {
    match moment(s) {
        Some((_, Some(t))) => t.format("%-d %B %Y at %H:%M").to_string(),
        Some((d, None)) => steward_core::time::long_date(d),
        None => s.to_string(),
    }
}

/// "10:09" (UK local time).
pub fn time(s: &str) -> String {
    match moment(s) {
        Some((_, Some(t))) => t.format("%H:%M").to_string(),
        _ => String::new(),
    }
}

/// "May 2025" for a period "2025-05".
pub fn month(s: &str) -> String {
    match NaiveDate::parse_from_str(&format!("{}-01", s.trim()), "%Y-%m-%d") {
        Ok(d) => d.format("%B %Y").to_string(),
        Err(_) => date(s),
    }
}

// ------------------------------------------------------------------------------ counts

/// The plural of a noun of the interface.
pub fn plural(noun: &str) -> String {
    const IRREGULAR: &[(&str, &str)] = &[
        ("person", "people"),
        ("child", "children"),
        ("was", "were"),
        ("is", "are"),
        ("has", "have"),
    ];
    if let Some((_, p)) = IRREGULAR.iter().find(|(s, _)| *s == noun) {
        return (*p).to_string();
    }
    // Only the last word changes: "proposed redaction" -> "proposed redactions".
    if let Some((head, last)) = noun.rsplit_once(' ') {
        return format!("{head} {}", plural(last));
    }
    let vowel_before_y = noun
        .chars()
        .rev()
        .nth(1)
        .is_some_and(|c| "aeiou".contains(c));
    if noun.ends_with('y') && !vowel_before_y {
        format!("{}ies", &noun[..noun.len() - 1])
    } else if ["s", "x", "ch", "sh"].iter().any(|e| noun.ends_with(e)) {
        format!("{noun}es")
    } else {
        format!("{noun}s")
    }
}

/// "1 document", "3 documents", "no documents" is left to the caller: 0 reads "0 documents".
pub fn count(n: i64, noun: &str) -> String {
    if n == 1 || n == -1 {
        format!("{n} {noun}")
    } else {
        format!("{n} {}", plural(noun))
    }
}

/// "1 day left", "23 days left".
pub fn days_left(n: i64) -> String {
    format!("{} left", count(n, "day"))
}

// ------------------------------------------------------------------------------ labels

/// A code with no label of its own, made readable: "sign_in.failure" -> "Sign in failure".
pub fn humanise(code: &str) -> String {
    let words = code
        .replace(['_', '.', '-'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    let mut c = words.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// A role code ("dpo", "practice_manager") or a clinical system's role ("RECEPTIONIST").
pub fn role(code: &str) -> String {
    match steward_core::roles::Role::parse(code) {
        Some(r) => r.label().to_string(),
        None => humanise(code),
    }
}

/// An organisation type.
pub fn organisation_kind(code: &str) -> String {
    match code {
        "gp_practice" => "GP practice".into(),
        "dpo_service" => "Data protection officer service".into(),
        "trust" => "NHS trust".into(),
        "care_partner" => "Care partner".into(),
        "pcn" => "Primary care network".into(),
        "icb" => "Integrated care board".into(),
        other => humanise(other),
    }
}

/// What a trail entry records, in the DPO's words.
pub fn trail_event(code: &str) -> String {
    let s = match code {
        "sign_in.success" => "Signed in",
        "sign_in.failure" => "Failed sign-in attempt",
        "sign_in.rate_limited" => "Sign-in blocked after too many attempts",
        "sign_in.second_factor_success" => "Entered the second sign-in step",
        "sign_in.second_factor_failure" => "Wrong code at the second sign-in step",
        "second_factor.enrolled" => "Set up an authenticator app",
        "sign_out" => "Signed out",
        "organisation.switch" => "Switched organisation",
        "password.change" => "Changed their password",
        "password.reset" => "Reset their password",
        "api_token.create" => "Created an API token",
        "api_token.revoke" => "Revoked an API token",
        "calendar_feed.new_link" => "Made a new calendar link",
        "user.add" => "Added an account",
        "user.deactivate" => "Deactivated an account",
        "record.list" => "Viewed a list",
        "record.view" => "Viewed a record",
        "record.create" => "Created a record",
        "record.update" => "Changed a record",
        "record.delete" => "Deleted a record",
        "comment.add" => "Added a comment",
        "attachment.add" => "Attached a file",
        "attachment.download" => "Downloaded an attachment",
        "rights.step_done" => "Completed a checklist step",
        "rights.closed" => "Closed a rights request",
        "rights.letter" => "Produced a letter",
        "rights.namesake_added" => "Recorded a patient with a similar name",
        "rights.extended" => "Extended the deadline",
        "rights.recipient_told" => "Told a recipient of the change",
        "rights.clarification_asked" => "Asked for clarification (clock paused)",
        "rights.clarification_received" => "Received clarification (clock restarted)",
        "rights.clinician_review" => "Recorded the clinician's review",
        "redaction.document_added" => "Added a document for redaction",
        "redaction.run" => "Proposed redactions",
        "redaction.review_view" => "Viewed the redaction review",
        "redaction.decision" => "Decided on a proposed redaction",
        "redaction.manual" => "Added a redaction by hand",
        "redaction.bundle" => "Produced the redacted bundle",
        "redaction.download" => "Downloaded the redacted bundle",
        "access_audit.mapping.save" => "Saved an export mapping",
        "access_audit.run.start" => "Started an access audit",
        "access_audit.run.finish" => "Finished an access audit",
        "action_round.chase" => "Chased a practice's actions of a round",
        "staff_list.upload" => "Uploaded the staff list",
        other => return humanise(other),
    };
    s.to_string()
}

/// A kind of record, as the trail and links name it.
pub fn record_type(code: &str) -> String {
    let s = match code {
        "action" => "Action",
        "rights_request" => "Rights request",
        "rights_settings" => "Rights request settings",
        "access_audit_case" => "Access-audit case",
        "access_audit_run" => "Access audit",
        "access_audit_sample" => "Access-audit sample",
        "user" => "Account",
        "organisation" => "Organisation",
        "organisation_details" => "Organisation's details",
        // Every other kind of record: the gate's own word for it.
        other => match steward_core::Kind::parse(other) {
            Some(k) => {
                let l = k.label();
                let mut c = l.chars();
                return c
                    .next()
                    .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                    .unwrap_or_default();
            }
            None => return humanise(other),
        },
    };
    s.to_string()
}

/// Why the redaction engine proposed a redaction, for the reviewer.
pub fn redaction_rule(id: &str) -> String {
    let s = match id {
        "nhs_number_mod11" => "an NHS number (its check digit is valid)",
        "uk_phone" => "a UK telephone number",
        "email" => "an email address",
        "professional_email" => "a professional's email address",
        "ni_number_hmrc" => "a National Insurance number",
        "postcode_bs7666" => "a UK postcode",
        "street_address" => "a street address",
        "street_without_suffix" => "a street address (no road word)",
        "house_name_and_street" => "a house name and street",
        "address_after_trigger" => "an address after a word such as 'lives at'",
        "date_after_dob_keyword" => "a date of birth (after 'DOB' or 'born')",
        "date_in_dob_column" => "a date of birth (in a date-of-birth column)",
        "hospital_number_after_label" => "a hospital number (after its label)",
        "hospital_number_local_pattern" => "a hospital number (this organisation's pattern)",
        "hospital_number_pattern" => "a hospital number",
        "name_near_relation" => "a name beside a relationship word such as 'wife' or 'son'",
        "name_after_title" => "a name after a title such as 'Mrs'",
        "lower_case_title_name" => "a name after a title written in lower case",
        "name_after_name_label" => "a name after a label such as 'Name:'",
        "name_before_speech_verb" => "a name before 'said', 'reports' or similar",
        "name_seen_before" => "a name found elsewhere in the record",
        "name_with_email" => "a name beside an email address",
        "name_with_role" => "a name beside a role",
        "professional_name" => "a professional's name",
        "first_and_surname" => "a first name and surname",
        "first_name_gazetteer" => "a first name from the list of first names",
        "surname_after_capitalised" => "a surname after a capitalised first name",
        "surname_comma_first" => "a name written surname first",
        "upper_case_name" => "a name in capitals",
        "given_in_confidence" => "information given in confidence",
        "police_or_court" => "police or court information",
        "restricted_by_law" => "information the law forbids disclosing",
        "manual" => "added by hand",
        other => return humanise(other),
    };
    s.to_string()
}

/// An access-audit rule ("FAMILY") by its title in the rules file.
pub fn audit_rule(code: &str) -> String {
    use std::sync::OnceLock;
    static RULES: OnceLock<steward_access_audit::config::Rules> = OnceLock::new();
    let rules = RULES.get_or_init(steward_access_audit::config::Rules::default);
    match steward_access_audit::config::Rule::from_name(code) {
        Some(r) if !rules.title[r.index()].is_empty() => rules.title[r.index()].clone(),
        _ => humanise(code),
    }
}

/// Free text written by an engine or kept in a record's history (trail details, access-audit
/// evidence, a field's old value), in the DPO's words: ISO dates and stamps become
/// "5 February 2021" (at "10:09"), "3 day(s)" becomes "3 days", and a clinical system's role
/// in capitals ("RECEPTIONIST") its label.
pub fn prose(text: &str) -> String {
    let dates = prose_dates(text);
    let counted = prose_counts(&dates);
    prose_capitals(&counted)
}

fn is_date_at(b: &[u8], i: usize) -> bool {
    if i + 10 > b.len() || (i > 0 && b[i - 1].is_ascii_digit()) {
        return false;
    }
    let w = &b[i..i + 10];
    let digits = |r: std::ops::Range<usize>| r.into_iter().all(|k| w[k].is_ascii_digit());
    digits(0..4) && w[4] == b'-' && digits(5..7) && w[7] == b'-' && digits(8..10)
}

fn prose_dates(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    let mut i = 0;
    while i < b.len() {
        if is_date_at(b, i) {
            // The longest stamp starting here that reads as a moment, else the bare date.
            let mut end = i + 10;
            while end < b.len() && !b[end].is_ascii_whitespace() && !b";,)]".contains(&b[end]) {
                end += 1;
            }
            let mut best = None;
            let mut e = end;
            while e > i + 10 {
                if text.is_char_boundary(e) {
                    if let Some((_, Some(_))) = moment(&text[i..e]) {
                        best = Some(e);
                        break;
                    }
                }
                e -= 1;
            }
            // "2025-05-14 16:02:00": a time after a space.
            if best.is_none() && b.len() >= i + 16 && b[i + 10] == b' ' {
                for len in [19, 16] {
                    if i + len <= b.len() && text.is_char_boundary(i + len) {
                        if let Some((_, Some(_))) = moment(&text[i..i + len]) {
                            best = Some(i + len);
                            break;
                        }
                    }
                }
            }
            out.push_str(&text[last..i]);
            match best {
                Some(e) => {
                    out.push_str(&datetime(&text[i..e]));
                    i = e;
                }
                None => {
                    out.push_str(&date(&text[i..i + 10]));
                    i += 10;
                }
            }
            last = i;
        } else {
            i += 1;
        }
    }
    out.push_str(&text[last..]);
    out
}

fn prose_counts(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(k) = rest.find("(s)") {
        let before = &rest[..k];
        let word_start = before
            .rfind(|c: char| !c.is_alphabetic())
            .map_or(0, |j| j + 1);
        let noun = &before[word_start..];
        let head = &before[..word_start];
        let number = head
            .trim_end()
            .rsplit(|c: char| c.is_whitespace() || c == '(' || c == '[')
            .next()
            .unwrap_or("");
        let one = number
            .parse::<f64>()
            .is_ok_and(|n| (n.abs() - 1.0).abs() < f64::EPSILON);
        out.push_str(head);
        if one || noun.is_empty() {
            out.push_str(noun);
        } else {
            out.push_str(&plural(noun));
        }
        rest = &rest[k + 3..];
    }
    out.push_str(rest);
    out
}

fn prose_capitals(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        // Only a clinical system's role: a surname in capitals ("TRELAWNY") stays as it is.
        const ROLES: &[&str] = &[
            "RECEPTIONIST",
            "ADMIN",
            "ADMINISTRATOR",
            "NURSE",
            "DOCTOR",
            "CLINICIAN",
            "PHARMACIST",
            "SECRETARY",
            "MANAGER",
            "PRACTICE_MANAGER",
            "PARAMEDIC",
            "PHYSIOTHERAPIST",
            "DISPENSER",
            "COUNSELLOR",
            "LOCUM",
            "GP_PARTNER",
            "SALARIED_GP",
            "CARE_COORDINATOR",
            "HCA",
        ];
        if ROLES.contains(&word.as_str()) {
            out.push_str(&role(word));
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for c in text.chars() {
        if c.is_alphanumeric() || c == '_' {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

/// A value in a record's history: a date or stamp as a date, a linked record by its kind
/// ("rights_request 0192…" reads "Rights request 0192…"), other text as [`prose`].
pub fn history_value(field: &str, value: &str) -> String {
    if field == "source_record" {
        if let Some((kind, id)) = value.split_once(' ') {
            return format!("{} {}", record_type(kind), id);
        }
    }
    match moment(value) {
        Some((_, None)) => date(value),
        Some((_, Some(_))) => datetime(value),
        None => prose(value),
    }
}

/// The askama filters of the interface: `{{ x|date }}`, `{{ x|datetime }}`, `{{ x|time }}`,
/// `{{ n|count("document") }}`, `{{ n|days_left }}`, `{{ code|event }}`, `{{ code|role }}`,
/// `{{ code|org_kind }}`, `{{ code|record_type }}`, `{{ id|redaction_rule }}`,
/// `{{ code|audit_rule }}`, `{{ code|label }}`.
pub mod filters {
    use std::fmt::Display;

    #[askama::filter_fn]
    pub fn date(v: impl Display, _env: &dyn askama::Values) -> askama::Result<String> {
        Ok(super::date(&v.to_string()))
    }

    #[askama::filter_fn]
    pub fn datetime(v: impl Display, _env: &dyn askama::Values) -> askama::Result<String> {
        Ok(super::datetime(&v.to_string()))
    }

    #[askama::filter_fn]
    pub fn time(v: impl Display, _env: &dyn askama::Values) -> askama::Result<String> {
        Ok(super::time(&v.to_string()))
    }

    #[askama::filter_fn]
    pub fn month(v: impl Display, _env: &dyn askama::Values) -> askama::Result<String> {
        Ok(super::month(&v.to_string()))
    }

    #[askama::filter_fn]
    pub fn count(v: impl Display, _env: &dyn askama::Values, noun: &str) -> askama::Result<String> {
        let n: i64 = v.to_string().trim().parse().unwrap_or(0);
        Ok(super::count(n, noun))
    }

    #[askama::filter_fn]
    pub fn days_left(v: impl Display, _env: &dyn askama::Values) -> askama::Result<String> {
        let n: i64 = v.to_string().trim().parse().unwrap_or(0);
        Ok(super::days_left(n))
    }

    #[askama::filter_fn]
    pub fn event(v: impl Display, _env: &dyn askama::Values) -> askama::Result<String> {
        Ok(super::trail_event(&v.to_string()))
    }

    #[askama::filter_fn]
    pub fn role(v: impl Display, _env: &dyn askama::Values) -> askama::Result<String> {
        Ok(super::role(&v.to_string()))
    }

    #[askama::filter_fn]
    pub fn org_kind(v: impl Display, _env: &dyn askama::Values) -> askama::Result<String> {
        Ok(super::organisation_kind(&v.to_string()))
    }

    #[askama::filter_fn]
    pub fn record_type(v: impl Display, _env: &dyn askama::Values) -> askama::Result<String> {
        Ok(super::record_type(&v.to_string()))
    }

    #[askama::filter_fn]
    pub fn redaction_rule(v: impl Display, _env: &dyn askama::Values) -> askama::Result<String> {
        Ok(super::redaction_rule(&v.to_string()))
    }

    #[askama::filter_fn]
    pub fn audit_rule(v: impl Display, _env: &dyn askama::Values) -> askama::Result<String> {
        Ok(super::audit_rule(&v.to_string()))
    }

    /// Engine or history free text: dates, counts and role codes in words.
    #[askama::filter_fn]
    pub fn prose(v: impl Display, _env: &dyn askama::Values) -> askama::Result<String> {
        Ok(super::prose(&v.to_string()))
    }

    /// A value in a record's history, `{{ c.before|history_value(c.field) }}`.
    #[askama::filter_fn]
    pub fn history_value(
        v: impl Display,
        _env: &dyn askama::Values,
        field: &str,
    ) -> askama::Result<String> {
        Ok(super::history_value(field, &v.to_string()))
    }

    /// Any other code: humanised.
    #[askama::filter_fn]
    pub fn label(v: impl Display, _env: &dyn askama::Values) -> askama::Result<String> {
        Ok(super::humanise(&v.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_text_reads_in_words() {
        assert_eq!(
            prose("clock paused from 2026-11-30"),
            "clock paused from 30 November 2026"
        );
        assert_eq!(
            prose("[start - 1 day(s), end + 14 day(s)]"),
            "[start - 1 day, end + 14 days]"
        );
        assert_eq!(
            prose("user RECEPTIONIST of NHS, TRELAWNY"),
            "user Receptionist of NHS, TRELAWNY"
        );
        assert_eq!(
            history_value("source_record", "rights_request abc"),
            "Rights request abc"
        );
        assert_eq!(history_value("due_date", "2021-02-05"), "5 February 2021");
    }

    #[test]
    fn dates_and_times_read_the_uk_way() {
        assert_eq!(date("2021-02-05"), "5 February 2021");
        assert_eq!(date("2021-02-05T10:09:00.000000Z"), "5 February 2021");
        assert_eq!(datetime("2021-02-05T10:09:00Z"), "5 February 2021 at 10:09");
        // Summer time: an hour ahead of UTC.
        assert_eq!(datetime("2025-07-01T09:09:00Z"), "1 July 2025 at 10:09");
        assert_eq!(time("2025-07-01T09:09:00Z"), "10:09");
        // An export's own local time is shown as it is.
        assert_eq!(datetime("2025-05-14 16:02:00"), "14 May 2025 at 16:02");
        assert_eq!(time("2025-05-14T16:02:00"), "16:02");
        assert_eq!(month("2025-05"), "May 2025");
        assert_eq!(date("not a date"), "not a date");
    }

    #[test]
    fn counts_are_words_with_the_right_plural() {
        assert_eq!(count(1, "document"), "1 document");
        assert_eq!(count(2, "page"), "2 pages");
        assert_eq!(count(0, "proposed redaction"), "0 proposed redactions");
        assert_eq!(count(10, "proposed redaction"), "10 proposed redactions");
        assert_eq!(count(3, "access"), "3 accesses");
        assert_eq!(count(2, "entry"), "2 entries");
        assert_eq!(count(2, "day"), "2 days");
        assert_eq!(count(2, "person"), "2 people");
        assert_eq!(days_left(23), "23 days left");
        assert_eq!(days_left(1), "1 day left");
    }

    #[test]
    fn every_code_has_words() {
        assert_eq!(trail_event("record.list"), "Viewed a list");
        assert_eq!(
            trail_event("sign_in.second_factor_success"),
            "Entered the second sign-in step"
        );
        assert_eq!(trail_event("some.new_event"), "Some new event");
        assert_eq!(organisation_kind("gp_practice"), "GP practice");
        assert_eq!(
            organisation_kind("dpo_service"),
            "Data protection officer service"
        );
        assert_eq!(role("RECEPTIONIST"), "Receptionist");
        assert!(!redaction_rule("name_near_relation").contains('_'));
        assert!(!redaction_rule("postcode_bs7666").contains("bs7666"));
        assert_eq!(redaction_rule("uk_phone"), "a UK telephone number");
        assert_eq!(
            audit_rule("FAMILY"),
            "Same household and surname, no care relationship"
        );
        assert_eq!(record_type("rights_request"), "Rights request");
    }
}
