use serde::{Deserialize, Serialize};

/// The person whose records are being disclosed: their own data is kept.
/// Same shape as `subject.json` for `steward redact --subject`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subject {
    pub name: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    /// ISO 8601 date, YYYY-MM-DD.
    #[serde(default)]
    pub date_of_birth: Option<String>,
    #[serde(default)]
    pub nhs_number: Option<String>,
    #[serde(default)]
    pub addresses: Vec<String>,
    #[serde(default)]
    pub phones: Vec<String>,
    #[serde(default)]
    pub emails: Vec<String>,
}
