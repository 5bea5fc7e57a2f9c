//! What a redaction run takes from a request and its organisation: the subject, whose own
//! data is kept; what Steward knows of the organisation (its own details and its staff's
//! names), also kept; and the request's reference.

use steward_core::known::KnownToSteward;
use steward_core::time::iso_date;
use steward_core::CoreResult;
use steward_db::Tx;

use super::input::lines;
use super::Rights;

impl Rights<'_> {
    /// The subject as the redaction engine needs it: their own data is kept.
    pub(crate) async fn subject_for_redaction(
        &self,
        tx: &mut Tx<'static>,
        id: &str,
    ) -> CoreResult<steward_redact::Subject> {
        let s = self.stored_in(tx, id).await?;
        let mut addresses = Vec::new();
        if let Some(a) = &s.subject.address {
            addresses.push(a.clone());
        }
        if let Some(p) = &s.subject.postcode {
            addresses.push(p.clone());
        }
        Ok(steward_redact::Subject {
            name: s.subject.full_name(),
            aliases: lines(&s.subject_aliases),
            date_of_birth: s.subject.date_of_birth.map(iso_date),
            nhs_number: s.subject.nhs_number.clone(),
            addresses,
            phones: Some(s.subject_phone.clone())
                .filter(|x| !x.is_empty())
                .into_iter()
                .collect(),
            emails: Some(s.subject_email.clone())
                .filter(|x| !x.is_empty())
                .into_iter()
                .collect(),
        })
    }

    pub(crate) async fn reference_of(
        &self,
        tx: &mut Tx<'static>,
        id: &str,
    ) -> CoreResult<(String, bool)> {
        let s = self.stored_in(tx, id).await?;
        Ok((s.reference, s.status.is_closed()))
    }
}

/// The engine's known parties from what Steward knows of the organisation (the same types the
/// command line builds from `--organisation org.json` and `--staff staff.csv`).
pub fn known_parties(k: &KnownToSteward) -> steward_redact::KnownParties {
    let d = &k.details;
    let all_lines = d.address_lines();
    // Only the lines that say where the organisation is and nobody else is (not the town, the
    // last line of a longer address, nor a one-word place name). The engine keeps an address
    // only where the text is the organisation's own (its letterhead, its name or postcode
    // near), so a neighbour on the same street is redacted all the same; this list is what it
    // compares word by word.
    let address_lines: Vec<String> = all_lines
        .iter()
        .enumerate()
        .filter(|(i, l)| {
            (all_lines.len() == 1 || *i + 1 < all_lines.len()) && l.split_whitespace().count() >= 2
        })
        .map(|(_, l)| l.clone())
        .collect();
    let address = [all_lines.join(", "), d.postcode.clone()]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    steward_redact::KnownParties {
        organisation: Some(steward_redact::Organisation {
            name: d.name.clone(),
            address,
            address_lines,
            postcode: d.postcode.clone(),
            phones: d.phone_list(),
            emails: d.email_list(),
        }),
        staff: k
            .staff
            .iter()
            .map(|s| steward_redact::StaffMember {
                name: s.name.clone(),
                role: s.role.clone(),
            })
            .collect(),
    }
}
