//! The organisation's details page: what a rights request's redaction run keeps by default —
//! the organisation's own address, telephone numbers and e-mail (its letterhead), and the
//! names of its staff (its users, the clinicians of the cluster and the staff list the IG
//! lead uploads). Each handler calls one service function of `steward_core::known`, which
//! checks organisation and role itself; bad input comes back with the error summary and the
//! values kept.

#[allow(unused_imports)]
use crate::words::filters;

use askama::Template;
use axum::extract::{Multipart, State};
use axum::response::{IntoResponse, Redirect};
use axum::Form;
use steward_core::known::{OrganisationDetails, OrganisationDetailsInput, StaffList};
use steward_core::{CoreError, Kind, Op};

use crate::error::PageResult;
use crate::routes::{Access, Routes};
use crate::session::SignedIn;
use crate::views::{render, status_for, FormView, PageCtx};
use crate::AppState;

pub fn routes() -> Routes {
    use Access::*;
    let staff = |op| Organisation(Kind::StaffListEntry, op);
    Routes::new()
        .get("/organisation", staff(Op::List), details_page)
        .post(
            "/organisation/details",
            staff(Op::Configure),
            details_submit,
        )
        .upload("/organisation/staff-list", staff(Op::Create), staff_upload)
}

/// One person whose name a redaction run keeps, as the page lists them.
pub struct StaffRow {
    pub name: String,
    pub role: String,
}

#[derive(Template)]
#[template(path = "organisation_details.html")]
pub struct DetailsPage {
    pub ctx: PageCtx,
    pub form: FormView,
    pub details: OrganisationDetails,
    pub staff_list: StaffList,
    /// The organisation's users and the cluster's clinicians.
    pub people: Vec<StaffRow>,
    pub can_change: bool,
    pub can_upload: bool,
}

impl DetailsPage {
    pub fn noun(&self) -> &'static str {
        self.details.noun()
    }
}

fn form_of(d: &OrganisationDetails) -> FormView {
    FormView::of(&OrganisationDetailsInput {
        address: d.address.clone(),
        postcode: d.postcode.clone(),
        phones: d.phones.clone(),
        emails: d.emails.clone(),
    })
}

async fn view(state: &AppState, si: &SignedIn, form: FormView) -> PageResult {
    let org = &si.caller.current_organisation_id;
    let details = state.steward.organisation_details(&si.caller, org).await?;
    let staff_list = state.steward.staff_list(&si.caller, org).await?;
    let known = state.steward.known_to_steward(org).await?;
    // Users and clinicians: the uploaded list is shown apart.
    let uploaded = staff_list.entries.len();
    let people_count = known.staff.len().saturating_sub(uploaded);
    let people = known
        .staff
        .into_iter()
        .take(people_count)
        .map(|s| StaffRow {
            name: s.name,
            role: s.role,
        })
        .collect();
    let form = if form.values.is_empty() {
        FormView {
            errors: form.errors,
            ..form_of(&details)
        }
    } else {
        form
    };
    let title = format!(
        "Your {}'s details",
        if details.kind == "gp_practice" {
            "practice"
        } else {
            "organisation"
        }
    );
    let mut ctx = crate::pages::ctx(si, &title, "organisations");
    ctx.has_errors = form.has_errors();
    Ok((
        status_for(&form),
        render(&DetailsPage {
            ctx,
            can_change: Kind::StaffListEntry.allows(si.caller.role, Op::Configure),
            can_upload: Kind::StaffListEntry.allows(si.caller.role, Op::Create),
            details,
            staff_list,
            people,
            form,
        }),
    )
        .into_response())
}

async fn details_page(State(state): State<AppState>, si: SignedIn) -> PageResult {
    view(&state, &si, FormView::new()).await
}

async fn details_submit(
    State(state): State<AppState>,
    si: SignedIn,
    Form(input): Form<OrganisationDetailsInput>,
) -> PageResult {
    match state
        .steward
        .change_organisation_details(&si.caller, &si.caller.current_organisation_id, &input)
        .await
    {
        Ok(_) => Ok(Redirect::to("/organisation").into_response()),
        Err(CoreError::Invalid(errors)) => {
            let mut form = FormView::of(&input);
            form.errors = errors;
            view(&state, &si, form).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn staff_upload(
    State(state): State<AppState>,
    si: SignedIn,
    mut mp: Multipart,
) -> PageResult {
    let mut file: Option<(String, Vec<u8>)> = None;
    while let Ok(Some(field)) = mp.next_field().await {
        if field.name() == Some("file") {
            let name = field.file_name().unwrap_or("").to_string();
            let bytes = field.bytes().await.unwrap_or_default();
            if !name.is_empty() {
                file = Some((name, bytes.to_vec()));
            }
        }
    }
    let res = match file {
        Some((name, bytes)) => {
            state
                .steward
                .replace_staff_list(
                    &si.caller,
                    &si.caller.current_organisation_id,
                    &name,
                    &bytes,
                )
                .await
        }
        None => Err(CoreError::invalid(
            "file",
            "Select a CSV file with the staff list",
        )),
    };
    match res {
        Ok(_) => Ok(Redirect::to("/organisation").into_response()),
        Err(CoreError::Invalid(errors)) => {
            let mut form = FormView::new();
            form.errors = errors;
            view(&state, &si, form).await
        }
        Err(e) => Err(e.into()),
    }
}
