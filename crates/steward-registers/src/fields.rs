//! The registers as data: each register is a list of fields (its columns, labels, hints,
//! types and whether they are required), and one validation reads a typed form, a JSON body
//! or a spreadsheet row alike. Adding a field touches the migration and this list only.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::rules::Rules;

/// The registers an organisation keeps (the privacy notice is generated from them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Register {
    /// The Article 30 record of processing activities of one organisation.
    Processing,
    /// The DPO's cluster master log: template activities practices adopt.
    Templates,
    Assets,
    Partners,
    Agreements,
    Processors,
    /// Sharing projects the DPO publishes for the cluster.
    Projects,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    Text,
    Long,
    /// A date, stored YYYY-MM-DD.
    Date,
    /// Yes or no, stored 1/0.
    YesNo,
    /// One code of a list (rules::Rules::choices).
    Choice(&'static str),
    /// Several codes of a list, one per line.
    Checklist(&'static str),
    /// 1 to 5 on the risk matrix.
    Level,
    /// Sharing partners of the organisation or of the cluster's DPO service, by id.
    Partners,
    /// Information assets of the organisation, by id.
    Assets,
    /// One activity of the cluster master log, by id.
    Template,
    /// A row of the retention schedule (steward-compliance's data), by its code.
    Retention,
    /// One DPIA of the organisation or of its DPO service, by id.
    Dpia,
}

impl Ty {
    /// Stored as a number (BIGINT) rather than text.
    pub fn numeric(self) -> bool {
        matches!(self, Ty::YesNo | Ty::Level)
    }
    pub fn links(self) -> bool {
        matches!(self, Ty::Partners | Ty::Assets | Ty::Template)
    }
}

#[derive(Debug)]
pub struct Field {
    /// The column and the form field.
    pub name: &'static str,
    pub label: &'static str,
    pub hint: &'static str,
    pub ty: Ty,
    pub required: bool,
}

const fn f(
    name: &'static str,
    label: &'static str,
    hint: &'static str,
    ty: Ty,
    required: bool,
) -> Field {
    Field {
        name,
        label,
        hint,
        ty,
        required,
    }
}

#[derive(Debug)]
pub struct RegisterDef {
    pub register: Register,
    /// The gate's kind code (steward_core::Kind::parse).
    pub kind: &'static str,
    /// In addresses: /registers/{slug}.
    pub slug: &'static str,
    /// On the command line: `steward registers import {cli} ...`.
    pub cli: &'static str,
    pub table: &'static str,
    /// References: PA-0001.
    pub prefix: &'static str,
    /// The register's name, as a heading.
    pub title: &'static str,
    pub one: &'static str,
    pub many: &'static str,
    pub fields: &'static [Field],
}

const NONE_HINT: &str = "Write \"None\" where there are none.";

pub static ACTIVITY_FIELDS: [Field; 23] = [
    f(
        "name",
        "Name of the processing activity",
        "For example, \"Referrals to hospital services\".",
        Ty::Text,
        true,
    ),
    f(
        "purposes",
        "Purposes of the processing",
        "Why the information is used (Article 30(1)(b)).",
        Ty::Long,
        true,
    ),
    f(
        "care_purpose",
        "Direct care or another purpose",
        "",
        Ty::Choice("care_purpose"),
        true,
    ),
    f(
        "lawful_basis",
        "Lawful basis (Article 6)",
        "",
        Ty::Choice("lawful_basis"),
        true,
    ),
    f(
        "legitimate_interests",
        "The legitimate interests relied on",
        "Only when the lawful basis is legitimate interests.",
        Ty::Long,
        false,
    ),
    f(
        "special_category",
        "Special category data (such as health)",
        "",
        Ty::YesNo,
        true,
    ),
    f(
        "special_category_condition",
        "Condition for special category data (Article 9)",
        "Only when special category data is processed.",
        Ty::Choice("special_category_condition"),
        false,
    ),
    f(
        "confidentiality_basis",
        "Common law duty of confidentiality",
        "What sets aside the duty of confidence for this use.",
        Ty::Choice("confidentiality_basis"),
        true,
    ),
    f(
        "data_subjects",
        "Categories of people",
        "For example, registered patients, their carers, staff.",
        Ty::Long,
        true,
    ),
    f(
        "data_categories",
        "Categories of personal data",
        "For example, contact details, health records.",
        Ty::Long,
        true,
    ),
    f("sources", "Where the data comes from", "", Ty::Long, true),
    f("recipients", "Recipients", NONE_HINT, Ty::Long, true),
    f(
        "recipient_partners",
        "Sharing partners who receive it",
        "From the sharing partners log.",
        Ty::Partners,
        false,
    ),
    f(
        "transfers",
        "Transfers outside the UK",
        NONE_HINT,
        Ty::Long,
        true,
    ),
    f(
        "transfer_safeguards",
        "Safeguards for transfers outside the UK",
        "Only when data leaves the UK.",
        Ty::Long,
        false,
    ),
    f(
        "retention_row",
        "Record type on the retention schedule",
        "The row of the retention schedule whose period applies.",
        Ty::Retention,
        false,
    ),
    f(
        "retention",
        "How long it is kept",
        "A note beside the schedule's row, or the criteria when no row fits.",
        Ty::Long,
        false,
    ),
    f(
        "security_measures",
        "Security measures",
        "A general description (Article 32(1)).",
        Ty::Long,
        true,
    ),
    f(
        "systems",
        "Systems used",
        "From the information assets log.",
        Ty::Assets,
        false,
    ),
    f(
        "opt_out_applies",
        "Does the National Data Opt-out apply?",
        "It applies to confidential patient information used for purposes beyond individual care.",
        Ty::YesNo,
        true,
    ),
    f(
        "opt_out_how",
        "How the National Data Opt-out is applied",
        "Only when it applies.",
        Ty::Long,
        false,
    ),
    f(
        "dpia_id",
        "Data protection impact assessment",
        "A DPIA of this organisation or of its DPO service, if there is one.",
        Ty::Dpia,
        false,
    ),
    f(
        "dpia_reference",
        "DPIA held by another organisation",
        "Its title and who holds it, when the DPIA is not in Steward.",
        Ty::Text,
        false,
    ),
];

pub static ASSET_FIELDS: [Field; 15] = [
    f("name", "Name of the asset or system", "", Ty::Text, true),
    f("asset_type", "Type", "", Ty::Choice("asset_type"), true),
    f("supplier", "Supplier", "", Ty::Text, false),
    f("hosting", "Hosting", "", Ty::Choice("hosting"), true),
    f(
        "location",
        "Location",
        "The site, data centre or country.",
        Ty::Text,
        true,
    ),
    f("owner", "Information asset owner", "", Ty::Text, true),
    f(
        "administrator",
        "Information asset administrator",
        "",
        Ty::Text,
        true,
    ),
    f("data_held", "Data held", "", Ty::Long, true),
    f(
        "special_category",
        "Holds special category data",
        "",
        Ty::YesNo,
        true,
    ),
    f(
        "volume",
        "Number of people's records",
        "",
        Ty::Choice("volume"),
        false,
    ),
    f(
        "access_control",
        "Access control",
        "Who has access and how it is controlled.",
        Ty::Long,
        true,
    ),
    f(
        "continuity_plan",
        "Business continuity plan",
        "What happens when it is not available.",
        Ty::Long,
        false,
    ),
    f("contract", "Contract or processor", "", Ty::Text, false),
    f(
        "risk_likelihood",
        "Risk likelihood (1 to 5)",
        "",
        Ty::Level,
        true,
    ),
    f("risk_impact", "Risk impact (1 to 5)", "", Ty::Level, true),
];

pub static PARTNER_FIELDS: [Field; 7] = [
    f("name", "Organisation", "", Ty::Text, true),
    f(
        "partner_type",
        "Type of organisation",
        "",
        Ty::Choice("partner_type"),
        true,
    ),
    f(
        "ods_code",
        "ODS code",
        "The NHS organisation code, if it has one.",
        Ty::Text,
        false,
    ),
    f(
        "ico_registration",
        "ICO registration number",
        "For example, Z1234567 or ZA123456.",
        Ty::Text,
        false,
    ),
    f(
        "toolkit_status",
        "Data Security and Protection Toolkit status",
        "",
        Ty::Choice("toolkit_status"),
        false,
    ),
    f(
        "contact",
        "Contact for information governance",
        "",
        Ty::Long,
        false,
    ),
    f("notes", "Notes", "", Ty::Long, false),
];

pub static AGREEMENT_FIELDS: [Field; 9] = [
    f("name", "Name of the agreement", "", Ty::Text, true),
    f(
        "agreement_type",
        "Type of agreement",
        "",
        Ty::Choice("agreement_type"),
        true,
    ),
    f(
        "parties",
        "Parties",
        "From the sharing partners log.",
        Ty::Partners,
        false,
    ),
    f(
        "signatories",
        "Signatories",
        "One per line: organisation, name and role.",
        Ty::Long,
        false,
    ),
    f("signed_date", "Signed on", "", Ty::Date, false),
    f(
        "review_date",
        "Review date",
        "An action is raised before it.",
        Ty::Date,
        true,
    ),
    f(
        "expiry_date",
        "Expiry date",
        "An action to renew is raised before it.",
        Ty::Date,
        false,
    ),
    f(
        "documents",
        "Documents",
        "Titles or addresses, one per line.",
        Ty::Long,
        false,
    ),
    f("notes", "Notes", "", Ty::Long, false),
];

pub static PROCESSOR_FIELDS: [Field; 9] = [
    f("name", "Processor", "", Ty::Text, true),
    f("service", "Service provided", "", Ty::Long, true),
    f(
        "contract_reference",
        "Contract reference",
        "",
        Ty::Text,
        false,
    ),
    f("contract_end", "Contract end date", "", Ty::Date, false),
    f(
        "article_28",
        "Article 28 checklist",
        "What the contract provides.",
        Ty::Checklist("article_28"),
        false,
    ),
    f(
        "sub_processors",
        "Sub-processors",
        NONE_HINT,
        Ty::Long,
        false,
    ),
    f(
        "storage_location",
        "Where the data is stored",
        "",
        Ty::Text,
        true,
    ),
    f(
        "transfers",
        "Transfers outside the UK",
        NONE_HINT,
        Ty::Long,
        true,
    ),
    f("notes", "Notes", "", Ty::Long, false),
];

pub static PROJECT_FIELDS: [Field; 9] = [
    f("name", "Name of the sharing project", "", Ty::Text, true),
    f(
        "status",
        "Status",
        "Practices may join an approved project only.",
        Ty::Choice("project_status"),
        true,
    ),
    f(
        "summary",
        "What the project does",
        "For practices: what joining means.",
        Ty::Long,
        true,
    ),
    f(
        "patient_description",
        "What patients are told",
        "Shown on the public page of each practice that joins.",
        Ty::Long,
        true,
    ),
    f(
        "partners",
        "Partners",
        "From the sharing partners log.",
        Ty::Partners,
        false,
    ),
    f(
        "documents",
        "Documents to sign",
        "One per line.",
        Ty::Long,
        false,
    ),
    f(
        "dpia_id",
        "Data protection impact assessment",
        "One of the DPO service's DPIAs, if the project has one in Steward.",
        Ty::Dpia,
        false,
    ),
    f(
        "dpia_reference",
        "DPIA held by another organisation",
        "Its title and who holds it, when the DPIA is not in Steward.",
        Ty::Text,
        false,
    ),
    f(
        "activity_template",
        "Processing activity added to a practice's log",
        "From the cluster master log.",
        Ty::Template,
        true,
    ),
];

pub static REGISTERS: [RegisterDef; 7] = [
    RegisterDef {
        register: Register::Processing,
        kind: "processing_activity",
        slug: "processing-activities",
        cli: "processing",
        table: "processing_activities",
        prefix: "PA",
        title: "Processing activities log",
        one: "processing activity",
        many: "processing activities",
        fields: &ACTIVITY_FIELDS,
    },
    RegisterDef {
        register: Register::Templates,
        kind: "activity_template",
        slug: "master-log",
        cli: "master-log",
        table: "activity_templates",
        prefix: "ML",
        title: "Cluster master log",
        one: "master log activity",
        many: "master log activities",
        fields: &ACTIVITY_FIELDS,
    },
    RegisterDef {
        register: Register::Assets,
        kind: "information_asset",
        slug: "information-assets",
        cli: "assets",
        table: "information_assets",
        prefix: "IA",
        title: "Information assets and systems",
        one: "information asset",
        many: "information assets",
        fields: &ASSET_FIELDS,
    },
    RegisterDef {
        register: Register::Partners,
        kind: "sharing_partner",
        slug: "sharing-partners",
        cli: "partners",
        table: "sharing_partners",
        prefix: "SP",
        title: "Sharing partners",
        one: "sharing partner",
        many: "sharing partners",
        fields: &PARTNER_FIELDS,
    },
    RegisterDef {
        register: Register::Agreements,
        kind: "sharing_agreement",
        slug: "sharing-agreements",
        cli: "agreements",
        table: "sharing_agreements",
        prefix: "AG",
        title: "Sharing agreements",
        one: "sharing agreement",
        many: "sharing agreements",
        fields: &AGREEMENT_FIELDS,
    },
    RegisterDef {
        register: Register::Processors,
        kind: "processor",
        slug: "processors",
        cli: "processors",
        table: "processors",
        prefix: "PR",
        title: "Processors and contracts",
        one: "processor",
        many: "processors",
        fields: &PROCESSOR_FIELDS,
    },
    RegisterDef {
        register: Register::Projects,
        kind: "sharing_project",
        slug: "sharing-projects",
        cli: "projects",
        table: "sharing_projects",
        prefix: "PJ",
        title: "Sharing projects",
        one: "sharing project",
        many: "sharing projects",
        fields: &PROJECT_FIELDS,
    },
];

impl Register {
    pub fn def(self) -> &'static RegisterDef {
        REGISTERS
            .iter()
            .find(|d| d.register == self)
            .expect("every register is defined")
    }
    pub fn by_slug(slug: &str) -> Option<Register> {
        REGISTERS
            .iter()
            .find(|d| d.slug == slug)
            .map(|d| d.register)
    }
    /// The command line's names (processing, assets, partners, agreements, processors).
    pub fn by_cli(name: &str) -> Option<Register> {
        REGISTERS.iter().find(|d| d.cli == name).map(|d| d.register)
    }
    pub fn by_kind(code: &str) -> Option<Register> {
        REGISTERS
            .iter()
            .find(|d| d.kind == code)
            .map(|d| d.register)
    }
}

impl RegisterDef {
    pub fn field(&self, name: &str) -> Option<&'static Field> {
        self.fields.iter().find(|f| f.name == name)
    }
}

/// A problem with one field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub field: String,
    pub message: String,
}

/// Words that mean "nothing here" in a free-text answer.
pub fn is_none_answer(s: &str) -> bool {
    let t = s.trim().trim_end_matches('.').to_lowercase();
    matches!(
        t.as_str(),
        "none" | "no" | "n/a" | "na" | "not applicable" | "nil" | "no transfers" | "nobody"
    )
}

/// A date as typed in a form or a spreadsheet: 2027-03-31, 31/03/2027, 31-3-2027 or
/// 31 March 2027.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let t = s.trim();
    for fmt in [
        "%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%d %B %Y", "%d %b %Y",
    ] {
        if let Ok(d) = NaiveDate::parse_from_str(t, fmt) {
            if (1900..=2200).contains(&chrono::Datelike::year(&d)) {
                return Some(d);
            }
        }
    }
    // A spreadsheet date read as a serial number (days since 30 December 1899).
    if let Ok(n) = t.parse::<f64>() {
        if (10000.0..100000.0).contains(&n) {
            return NaiveDate::from_ymd_opt(1899, 12, 30)
                .and_then(|b| b.checked_add_signed(chrono::Duration::days(n as i64)));
        }
    }
    None
}

pub fn parse_yes_no(s: &str) -> Option<bool> {
    match s.trim().to_lowercase().as_str() {
        "yes" | "y" | "true" | "1" => Some(true),
        "no" | "n" | "false" | "0" => Some(false),
        _ => None,
    }
}

/// Links and checklists: one per line (or separated by ";" in a spreadsheet).
pub fn split_list(s: &str) -> Vec<String> {
    s.split(['\n', ';'])
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect()
}

/// Checks and normalises the typed values of an entry: codes for choices (a label is read
/// as its code), YYYY-MM-DD dates, "yes"/"no", levels 1 to 5; links are split one per line
/// (their existence is checked against storage by the service). Returns the values to store
/// and every problem, in the order of the fields.
pub fn validate(
    def: &RegisterDef,
    rules: &Rules,
    input: &BTreeMap<String, String>,
) -> (BTreeMap<String, String>, Vec<Problem>) {
    let mut out = BTreeMap::new();
    let mut problems = Vec::new();
    let mut problem = |field: &str, message: String| {
        problems.push(Problem {
            field: field.into(),
            message,
        })
    };
    for field in def.fields {
        let raw = input.get(field.name).map(|s| s.trim()).unwrap_or("");
        let lower = first_lower(field.label);
        if raw.is_empty() {
            if field.required {
                let verb = match field.ty {
                    Ty::Choice(_) | Ty::YesNo | Ty::Level | Ty::Template | Ty::Retention => {
                        "Select"
                    }
                    _ => "Enter",
                };
                problem(field.name, format!("{verb} {lower}"));
            }
            out.insert(field.name.to_string(), String::new());
            continue;
        }
        let value = match field.ty {
            Ty::Text | Ty::Long => Some(raw.to_string()),
            Ty::Date => parse_date(raw).map(|d| d.format("%Y-%m-%d").to_string()),
            Ty::YesNo => parse_yes_no(raw).map(|b| if b { "yes" } else { "no" }.to_string()),
            Ty::Level => raw
                .parse::<u8>()
                .ok()
                .filter(|n| (1..=5).contains(n))
                .map(|n| n.to_string()),
            Ty::Choice(list) => rules.code_of(list, raw),
            Ty::Checklist(list) => {
                let items = split_list(raw);
                let codes: Vec<Option<String>> =
                    items.iter().map(|i| rules.code_of(list, i)).collect();
                if codes.iter().all(Option::is_some) {
                    Some(codes.into_iter().flatten().collect::<Vec<_>>().join("\n"))
                } else {
                    None
                }
            }
            Ty::Partners | Ty::Assets | Ty::Template => Some(split_list(raw).join("\n")),
            // Checked against the schedule and the DPIAs by the service.
            Ty::Retention | Ty::Dpia => Some(raw.to_string()),
        };
        match value {
            Some(v) => {
                if field.ty == Ty::Text && v.chars().count() > 300 {
                    problem(
                        field.name,
                        format!("{} must be 300 characters or fewer", field.label),
                    );
                }
                out.insert(field.name.to_string(), v);
            }
            None => {
                let message = match field.ty {
                    Ty::Date => format!(
                        "{} must be a real date, for example 31 March 2027",
                        field.label
                    ),
                    Ty::YesNo => format!("{} must be yes or no", field.label),
                    Ty::Level => format!("{} must be a number from 1 to 5", field.label),
                    Ty::Choice(list) | Ty::Checklist(list) => {
                        let names: Vec<String> =
                            rules.choices(list).into_iter().map(|c| c.label).collect();
                        format!(
                            "{} \"{}\" is not one of: {}",
                            field.label,
                            raw,
                            names.join("; ")
                        )
                    }
                    _ => format!("Check {lower}"),
                };
                problem(field.name, message);
                out.insert(field.name.to_string(), raw.to_string());
            }
        }
    }
    let get = |k: &str| out.get(k).cloned().unwrap_or_default();
    match def.register {
        Register::Processing | Register::Templates => {
            let basis = get("lawful_basis");
            if rules.basis(&basis).is_some_and(|b| b.legitimate_interests)
                && get("legitimate_interests").is_empty()
            {
                problem(
                    "legitimate_interests",
                    "Describe the legitimate interests: the lawful basis relies on them".into(),
                );
            }
            if get("special_category") == "yes" && get("special_category_condition").is_empty() {
                problem(
                    "special_category_condition",
                    "Select the Article 9 condition: the activity processes special category data"
                        .into(),
                );
            }
            let transfers = get("transfers");
            if !transfers.is_empty()
                && !is_none_answer(&transfers)
                && get("transfer_safeguards").is_empty()
            {
                problem(
                    "transfer_safeguards",
                    "Describe the safeguards for the transfers outside the UK".into(),
                );
            }
            if get("retention_row").is_empty() && get("retention").is_empty() {
                problem(
                    "retention_row",
                    "Select the record type from the retention schedule, or say how long it is kept"
                        .into(),
                );
            }
            if get("opt_out_applies") == "yes" && get("opt_out_how").is_empty() {
                problem(
                    "opt_out_how",
                    "Say how the National Data Opt-out is applied".into(),
                );
            }
        }
        Register::Agreements => {
            let signed = parse_date(&get("signed_date"));
            let expiry = parse_date(&get("expiry_date"));
            let review = parse_date(&get("review_date"));
            if let (Some(s), Some(e)) = (signed, expiry) {
                if e <= s {
                    problem(
                        "expiry_date",
                        "The expiry date must be after the date it was signed".into(),
                    );
                }
            }
            if let (Some(r), Some(e)) = (review, expiry) {
                if r > e {
                    problem(
                        "review_date",
                        "The review date must be on or before the expiry date".into(),
                    );
                }
            }
        }
        Register::Partners => {
            let ico = get("ico_registration").to_uppercase();
            let ico_ok = ico.len() == 8
                && ico.starts_with('Z')
                && ico.chars().skip(1).all(|c| c.is_ascii_alphanumeric());
            if !ico.is_empty() && !ico_ok {
                problem(
                    "ico_registration",
                    "The ICO registration number is 8 characters starting with Z, like Z1234567"
                        .into(),
                );
            }
            let ods = get("ods_code");
            let ods_ok =
                (3..=6).contains(&ods.len()) && ods.chars().all(|c| c.is_ascii_alphanumeric());
            if !ods.is_empty() && !ods_ok {
                problem(
                    "ods_code",
                    "An ODS code is 3 to 6 letters and numbers, like Y90001".into(),
                );
            }
        }
        _ => {}
    }
    // Stored upper case, as published.
    for k in ["ico_registration", "ods_code"] {
        if let Some(v) = out.get_mut(k) {
            if def.register == Register::Partners {
                *v = v.to_uppercase();
            }
        }
    }
    (out, problems)
}

fn first_lower(s: &str) -> String {
    // "Lawful basis (Article 6)" -> "the lawful basis (Article 6)"; acronyms stay.
    let mut words = s.split(' ');
    let first = words.next().unwrap_or("");
    let first = if first.chars().nth(1).is_some_and(|c| c.is_uppercase()) {
        first.to_string()
    } else {
        first.to_lowercase()
    };
    let rest: Vec<&str> = words.collect();
    let text = if rest.is_empty() {
        first
    } else {
        format!("{first} {}", rest.join(" "))
    };
    format!("the {text}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn activity() -> BTreeMap<String, String> {
        map(&[
            ("name", "Referrals"),
            ("purposes", "Refer patients to hospital"),
            ("care_purpose", "direct_care"),
            ("lawful_basis", "Public task"),
            ("special_category", "Yes"),
            ("special_category_condition", "health_care"),
            ("confidentiality_basis", "implied_consent"),
            ("data_subjects", "Patients"),
            ("data_categories", "Health records"),
            ("sources", "The patient"),
            ("recipients", "Hospitals"),
            ("transfers", "None"),
            ("retention", "10 years after death"),
            ("security_measures", "Smartcards"),
            ("opt_out_applies", "no"),
        ])
    }

    #[test]
    fn every_register_has_a_name_field_first_and_unique_columns() {
        for d in &REGISTERS {
            assert_eq!(d.fields[0].name, "name", "{}", d.slug);
            let mut names: Vec<_> = d.fields.iter().map(|f| f.name).collect();
            names.sort();
            names.dedup();
            assert_eq!(names.len(), d.fields.len(), "{}", d.slug);
        }
    }

    #[test]
    fn a_complete_activity_is_normalised() {
        let r = Rules::embedded();
        let (v, p) = validate(Register::Processing.def(), &r, &activity());
        assert!(p.is_empty(), "{p:?}");
        assert_eq!(v["lawful_basis"], "public_task");
        assert_eq!(v["special_category"], "yes");
    }

    #[test]
    fn the_article_9_condition_and_safeguards_are_required_when_they_apply() {
        let r = Rules::embedded();
        let mut a = activity();
        a.remove("special_category_condition");
        a.insert("transfers".into(), "Support desk in India".into());
        a.insert("lawful_basis".into(), "because we can".into());
        let (_, p) = validate(Register::Processing.def(), &r, &a);
        let fields: Vec<_> = p.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "lawful_basis",
                "special_category_condition",
                "transfer_safeguards"
            ]
        );
        assert!(p[0].message.contains("\"because we can\" is not one of"));
    }

    #[test]
    fn dates_levels_and_required_fields() {
        let r = Rules::embedded();
        let (v, p) = validate(
            Register::Agreements.def(),
            &r,
            &map(&[
                ("name", "County charter"),
                ("agreement_type", "Information sharing charter"),
                ("signed_date", "31/02/2026"),
                ("review_date", "1 March 2027"),
                ("expiry_date", "2027-01-01"),
            ]),
        );
        let fields: Vec<_> = p.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, ["signed_date", "review_date"], "{p:?}");
        assert_eq!(v["review_date"], "2027-03-01");
        let (_, p) = validate(
            Register::Assets.def(),
            &r,
            &map(&[("risk_likelihood", "6")]),
        );
        assert!(p
            .iter()
            .any(|p| p.field == "risk_likelihood" && p.message.contains("1 to 5")));
        assert!(p
            .iter()
            .any(|p| p.message == "Enter the name of the asset or system"));
        assert!(p.iter().any(|p| p.message == "Select the type"));
    }

    #[test]
    fn spreadsheet_dates_and_checklists() {
        assert_eq!(parse_date("46112"), NaiveDate::from_ymd_opt(2026, 3, 31));
        assert_eq!(
            parse_date("5 February 2021"),
            NaiveDate::from_ymd_opt(2021, 2, 5)
        );
        assert_eq!(parse_date("2021-13-01"), None);
        let r = Rules::embedded();
        let (v, p) = validate(
            Register::Processors.def(),
            &r,
            &map(&[
                ("name", "Shred-It"),
                ("service", "Confidential waste"),
                ("storage_location", "UK"),
                ("transfers", "None"),
                ("article_28", "instructions; audits"),
            ]),
        );
        assert!(p.is_empty(), "{p:?}");
        assert_eq!(v["article_28"], "instructions\naudits");
    }
}
