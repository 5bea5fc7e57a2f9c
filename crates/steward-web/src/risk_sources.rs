//! Risks raised from another record onto the information risk register (issue 13): a DPIA's
//! risk, an information asset, a processing activity. The register's risk starts pre-filled
//! from the record and keeps a link to it (`source_record_type`, `source_record_id`); the
//! record's page lists the register's risks raised from it. Nothing is copied back.

use steward_assurance::risks::{risks, Risk};
use steward_core::{ops, CoreError, Kind, Op};
use steward_dpia::service::dpias;
use steward_registers::fields::Register;
use steward_registers::store::registers;

use crate::session::SignedIn;
use crate::views::FormView;
use crate::AppState;

/// The records a register risk can be raised from.
pub const SOURCES: [Kind; 3] = [Kind::Dpia, Kind::InformationAsset, Kind::ProcessingActivity];

/// Where a source record's page is, and what to call it.
pub fn link(kind_code: &str, id: &str, reference: &str) -> Option<(String, String)> {
    let kind = Kind::parse(kind_code).filter(|k| SOURCES.contains(k))?;
    let (href, what) = match kind {
        Kind::Dpia => (format!("/dpias/{id}"), "the DPIA"),
        Kind::InformationAsset => (
            format!("/registers/{}/{id}", Register::Assets.def().slug),
            "the information asset",
        ),
        _ => (
            format!("/registers/{}/{id}", Register::Processing.def().slug),
            "the processing activity",
        ),
    };
    let label = if reference.is_empty() {
        what.to_string()
    } else {
        format!("{what} {reference}")
    };
    Some((href, label))
}

/// The "Add a risk" form pre-filled from a source record the caller may read (asked of the
/// gate, so the read is on the trail), with a note saying where it came from. `part` names a
/// DPIA's own risk. An unknown source or part is a 404; a source in another organisation
/// than the one the caller works in is refused, since the risk goes on that organisation's
/// register.
pub async fn prefill(
    state: &AppState,
    si: &SignedIn,
    from: &str,
    id: &str,
    part: &str,
) -> Result<(FormView, String), CoreError> {
    let kind = Kind::parse(from)
        .filter(|k| SOURCES.contains(k))
        .ok_or(CoreError::NotFound)?;
    let p = state
        .steward
        .permit::<ops::Read>(&si.caller, kind, id)
        .await?;
    let form = FormView::new()
        .with("source_record_type", kind.code())
        .with("source_record_id", id);
    let (org, form, note) = match kind {
        Kind::Dpia => {
            let d = dpias(&state.steward).get(&p).await?;
            let c = &d.content;
            let r = c
                .risks
                .iter()
                .find(|r| r.id == part)
                .ok_or(CoreError::NotFound)?;
            let treatment = c
                .measures
                .iter()
                .filter(|m| m.risks.iter().any(|x| x == &r.id))
                .map(|m| m.options.trim())
                .filter(|t| !t.is_empty())
                .collect::<Vec<_>>()
                .join("\n");
            let mut form = form
                .with("title", r.description.clone())
                .with(
                    "cause",
                    format!(
                        "Identified in {}: {} (risk {}).",
                        d.reference, d.title, r.number
                    ),
                )
                .with("consequence", r.source.clone())
                .with("treatment", treatment);
            // The DPIA's own scores carry over only when it is rated on the same 5x5 matrix.
            if c.matrix == "5x5" {
                for (k, v) in [
                    ("inherent_likelihood", r.likelihood),
                    ("inherent_consequence", r.severity),
                ] {
                    form = form.with(k, v.to_string());
                }
            }
            (
                d.organisation_id,
                form,
                format!(
                    "This risk is raised from risk {} of the DPIA {}; the DPIA stays linked.",
                    r.number, d.reference
                ),
            )
        }
        _ => {
            let reg = if kind == Kind::InformationAsset {
                Register::Assets
            } else {
                Register::Processing
            };
            let e = registers(&state.steward).entry(&p, reg).await?;
            let mut form = form
                .with("title", format!("Risk to {}", e.name))
                .with("cause", String::new());
            if reg == Register::Assets {
                for (k, field) in [
                    ("inherent_likelihood", "risk_likelihood"),
                    ("inherent_consequence", "risk_impact"),
                ] {
                    form = form.with(k, e.value(field));
                }
            }
            let what = if reg == Register::Assets {
                "information asset"
            } else {
                "processing activity"
            };
            (
                e.organisation_id.clone(),
                form,
                format!(
                    "This risk is raised from the {what} {}: {}; it stays linked.",
                    e.reference, e.name
                ),
            )
        }
    };
    if org != si.caller.current_organisation_id {
        return Err(CoreError::Conflict(
            "A risk goes on the register of the organisation it belongs to: switch to that organisation first".into(),
        ));
    }
    Ok((form, note))
}

/// The register's risks raised from a record, and whether the caller may raise another
/// here (the risk goes on the register of the organisation the caller works in).
pub async fn raised_from(
    state: &AppState,
    si: &SignedIn,
    kind: Kind,
    id: &str,
    organisation_id: &str,
) -> Result<(Vec<Risk>, bool), CoreError> {
    let list = risks(&state.steward)
        .raised_from(&si.caller, kind, id)
        .await?;
    let can_raise = Kind::Risk.allows(si.caller.role, Op::Create)
        && organisation_id == si.caller.current_organisation_id;
    Ok((list, can_raise))
}
