//! Cluster DPIAs on the pages: the DPO offers an approved cluster DPIA to practices (from the
//! DPIA's page); a practice reads the approved version offered and records its own sign-off,
//! or declines it with the reason. The services are `steward_dpia::adoption`'s.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::Form;
use steward_core::{ops, CoreError, Kind, Op};
use steward_dpia::adoption::{Adoption, AdoptionDecision, OfferInput};
use steward_dpia::service::dpias;

use crate::dpia_pages::{measure_rows, risk_rows, MeasureRow, RiskRow};
use crate::error::PageResult;
use crate::routes::{Access, Routes};
use crate::session::SignedIn;
use crate::views::{render, FormView, PageCtx};
use crate::AppState;

pub fn routes() -> Routes {
    use Access::*;
    Routes::new()
        .post("/dpias/{id}/offers", Record(Kind::Dpia, Op::Advise), offer)
        .get(
            "/dpia-adoptions/{id}",
            Record(Kind::DpiaAdoption, Op::Read),
            adoption_page,
        )
        .post(
            "/dpia-adoptions/{id}",
            Record(Kind::DpiaAdoption, Op::Change),
            decide,
        )
        .get(
            "/dpia-adoptions/{id}/export/pdf",
            Record(Kind::DpiaAdoption, Op::Read),
            export_pdf,
        )
}

#[derive(Template)]
#[template(path = "dpia_adoption.html")]
pub struct AdoptionPage {
    pub ctx: PageCtx,
    pub a: Adoption,
    pub held_by: String,
    pub form: FormView,
    pub advice: String,
    pub risks: Vec<RiskRow>,
    pub measures: Vec<MeasureRow>,
    pub can_decide: bool,
}

async fn offer(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> PageResult {
    let p = state
        .steward
        .permit::<ops::Read>(&si.caller, Kind::Dpia, &id)
        .await?;
    let input = OfferInput {
        organisations: fields
            .into_iter()
            .filter(|(k, _)| k == "organisations")
            .map(|(_, v)| v)
            .collect(),
    };
    match dpias(&state.steward).offer(&si.caller, &p, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/dpias/{id}#offers")).into_response()),
        Err(CoreError::Invalid(e)) => {
            let mut form = FormView::new();
            form.errors = e;
            let r = crate::dpia_pages::dpia_view(&state, &si, &id, form, None).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, r).into_response())
        }
        Err(CoreError::Conflict(m)) => {
            let r =
                crate::dpia_pages::dpia_view(&state, &si, &id, FormView::new(), Some(m)).await?;
            Ok((StatusCode::CONFLICT, r).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

async fn view(state: &AppState, si: &SignedIn, id: &str, form: FormView) -> PageResult {
    let p = state
        .steward
        .permit::<ops::Read>(&si.caller, Kind::DpiaAdoption, id)
        .await?;
    let d = dpias(&state.steward);
    let (a, c) = d.adoption(&p).await?;
    let m = d.rules.matrix(&c.matrix).unwrap_or(&d.rules.matrices[0]);
    let status = if form.has_errors() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let mut ctx = crate::pages::ctx(si, &a.title, "dpias");
    ctx.has_errors = form.has_errors();
    Ok((
        status,
        render(&AdoptionPage {
            ctx,
            held_by: d.held_by(&a).await?,
            advice: c.sign_off.dpo_advice.clone(),
            risks: risk_rows(&c, m),
            measures: measure_rows(&c, m),
            can_decide: a.status == "offered"
                && Kind::DpiaAdoption.allows(si.caller.role, Op::Change),
            form,
            a,
        }),
    )
        .into_response())
}

async fn adoption_page(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
) -> PageResult {
    view(&state, &si, &id, FormView::new()).await
}

async fn decide(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
    Form(input): Form<AdoptionDecision>,
) -> PageResult {
    let p = state
        .steward
        .permit::<ops::Change>(&si.caller, Kind::DpiaAdoption, &id)
        .await?;
    match dpias(&state.steward)
        .decide_adoption(&si.caller, &p, &input)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/dpia-adoptions/{id}")).into_response()),
        Err(CoreError::Invalid(e)) => {
            let mut form = FormView::of(&input);
            form.errors = e;
            view(&state, &si, &id, form).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn export_pdf(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
) -> PageResult {
    let p = state
        .steward
        .permit::<ops::Read>(&si.caller, Kind::DpiaAdoption, &id)
        .await?;
    let d = dpias(&state.steward);
    let (a, c) = d.adoption(&p).await?;
    let bytes = d.adoption_pdf(&a, &c, &d.held_by(&a).await?)?;
    let name = format!("{}-version-{}.pdf", a.dpia_reference, a.dpia_version);
    Ok(crate::views::download(bytes, "application/pdf", &name))
}
