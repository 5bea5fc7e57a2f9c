//! Pages of the registers and transparency (issue 12): each register's list, record, form,
//! import and export (one set of handlers driven by the register's field list), the cluster
//! master log and sharing projects as a practice sees them, the privacy notice editor, and
//! the public privacy notice pages (no sign-in). Each handler calls one function of
//! `steward_registers`, which asks the gate itself.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Mutex, OnceLock};

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use steward_core::records::Version;
use steward_core::{ops, CoreError, FieldErrors, Kind, Op};
use steward_registers::cluster::{JoinInput, MasterItem, ProjectView, TemplateUpdate};
use steward_registers::fields::{Register, Ty};
use steward_registers::notice::{NoticeSettings, Section};
use steward_registers::store::{
    dpo_organisation, kind_of, registers, Entry, EntryPage, EntryQuery, RiskChange, SearchHit,
};
use steward_registers::transfer::{ColumnMapping, ImportCheck, ImportStart, RowAction};
use steward_registers::transparency::{NoticeDraft, PublishInput, PublishedNotice};
use steward_registers::{count_words, REGISTERS};

use crate::error::PageResult;
use crate::forms;
use crate::routes::{Access, Routes};
use crate::session::{SignedIn, Visitor};
use crate::views::{download, render, status_for, FormView, Option_, PageCtx};
use crate::AppState;

/// Addresses built from the registers' slugs, made once.
fn path(s: String) -> &'static str {
    static SEEN: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut seen = SEEN
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(p) = seen.get(s.as_str()) {
        return p;
    }
    let p: &'static str = Box::leak(s.into_boxed_str());
    seen.insert(p);
    p
}

/// Registers each organisation keeps; the DPO's cluster registers are the master log and
/// the sharing projects.
fn cluster_register(r: Register) -> bool {
    matches!(r, Register::Templates | Register::Projects)
}

pub fn entry_page(kind: Kind, id: &str) -> String {
    match Register::by_kind(kind.code()) {
        Some(r) => format!("/registers/{}/{id}", r.def().slug),
        None => "/registers".into(),
    }
}

type Si = crate::session::SignedIn;

pub fn routes() -> Routes {
    use Access::*;
    let pa = |op| Organisation(Kind::ProcessingActivity, op);
    let notice = |op| Organisation(Kind::PrivacyNotice, op);
    let mut r = Routes::new()
        .get("/registers", pa(Op::List), home)
        .get("/master-log", pa(Op::List), master_log_page)
        .post("/master-log/{template_id}/adopt", pa(Op::Create), adopt)
        .get("/sharing-projects", pa(Op::List), projects_page)
        .post("/sharing-projects/{project_id}/join", pa(Op::Create), join)
        .post(
            "/sharing-projects/{project_id}/leave",
            pa(Op::Create),
            leave,
        )
        .post(
            "/registers/processing-activities/{id}/accept-update",
            Record(Kind::ProcessingActivity, Op::Change),
            accept_update,
        )
        .get("/privacy-notice", notice(Op::List), notice_page)
        .post("/privacy-notice", notice(Op::Create), notice_save)
        .post(
            "/privacy-notice/publish",
            notice(Op::Create),
            notice_publish,
        )
        .get(
            "/privacy-notices/{id}",
            Record(Kind::PrivacyNotice, Op::Read),
            notice_record,
        )
        // The public pages: no sign-in.
        .get("/privacy", Public, public_index)
        .get("/privacy/{code}", Public, public_notice)
        .get("/privacy/{code}/projects/{project}", Public, public_project)
        .get("/privacy/{code}/notice.pdf", Public, public_pdf)
        .get("/privacy/{code}/notice.docx", Public, public_docx);
    for def in REGISTERS.iter() {
        let reg = def.register;
        let k = kind_of(reg);
        let (list_access, create_access) = if cluster_register(reg) {
            (Cluster(k), Cluster(k))
        } else {
            (Organisation(k, Op::List), Organisation(k, Op::Create))
        };
        let base = format!("/registers/{}", def.slug);
        r = r
            .get(
                path(base.clone()),
                list_access,
                move |s: State<AppState>, si: Si, q: Query<ListQuery>| list_page(reg, s, si, q),
            )
            .get(
                path(format!("{base}/new")),
                create_access,
                move |s: State<AppState>, si: Si| new_page(reg, s, si),
            )
            .post(
                path(format!("{base}/new")),
                create_access,
                move |s: State<AppState>, si: Si, f: Form<Vec<(String, String)>>| {
                    create(reg, s, si, f)
                },
            )
            .get(
                path(format!("{base}/{{id}}")),
                Record(k, Op::Read),
                move |s: State<AppState>, si: Si, id: Path<String>| entry_view(reg, s, si, id),
            )
            .get(
                path(format!("{base}/{{id}}/edit")),
                Record(k, Op::Change),
                move |s: State<AppState>, si: Si, id: Path<String>| edit_page(reg, s, si, id),
            )
            .post(
                path(format!("{base}/{{id}}/edit")),
                Record(k, Op::Change),
                move |s: State<AppState>,
                      si: Si,
                      id: Path<String>,
                      f: Form<Vec<(String, String)>>| edit(reg, s, si, id, f),
            );
        if !cluster_register(reg) {
            r = r
                .get(
                    path(format!("{base}/export.csv")),
                    Organisation(k, Op::List),
                    move |s: State<AppState>, si: Si| export(reg, false, s, si),
                )
                .get(
                    path(format!("{base}/export.xlsx")),
                    Organisation(k, Op::List),
                    move |s: State<AppState>, si: Si| export(reg, true, s, si),
                )
                .get(
                    path(format!("{base}/import")),
                    Organisation(k, Op::Create),
                    move |s: State<AppState>, si: Si| import_page(reg, s, si),
                )
                .upload(
                    path(format!("{base}/import")),
                    Organisation(k, Op::Create),
                    move |s: State<AppState>, si: Si, mp: Multipart| import_upload(reg, s, si, mp),
                )
                .get(
                    path(format!("{base}/import/{{import_id}}/map")),
                    Organisation(k, Op::Create),
                    move |s: State<AppState>, si: Si, id: Path<String>| {
                        mapping_page(reg, s, si, id)
                    },
                )
                .post(
                    path(format!("{base}/import/{{import_id}}/map")),
                    Organisation(k, Op::Create),
                    move |s: State<AppState>,
                          si: Si,
                          id: Path<String>,
                          f: Form<BTreeMap<String, String>>| {
                        mapping_post(reg, s, si, id, f)
                    },
                )
                .post(
                    path(format!("{base}/import/{{import_id}}/confirm")),
                    Organisation(k, Op::Create),
                    move |s: State<AppState>, si: Si, id: Path<String>| {
                        import_confirm(reg, s, si, id)
                    },
                );
        }
    }
    r
}

fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

fn ctx(si: &SignedIn, title: &str, form: &FormView) -> PageCtx {
    let mut c = crate::pages::ctx(si, title, "registers");
    c.has_errors = form.has_errors();
    c
}

/// The organisation a register page works in: the DPO service for the cluster registers.
async fn org_for(state: &AppState, si: &SignedIn, reg: Register) -> Result<String, CoreError> {
    if cluster_register(reg) {
        dpo_organisation(&state.steward, &si.caller.current_organisation_id)
            .await?
            .ok_or(CoreError::NotFound)
    } else {
        Ok(si.caller.current_organisation_id.clone())
    }
}

/// "1 activity", "3 activities" (a count or a reference to one, as the templates pass it).
pub fn words<N: std::borrow::Borrow<usize>>(n: N, one: &str, many: &str) -> String {
    count_words(*n.borrow(), one, many)
}

/// A stored YYYY-MM-DD date as "1 March 2026".
pub fn long_day(s: &str) -> String {
    steward_core::time::parse_iso_date(s)
        .map(steward_core::time::long_date)
        .unwrap_or_else(|| s.to_string())
}

pub fn long_stamp(s: &str) -> String {
    steward_core::time::long_stamp(s)
}

// ---- home and search ----

#[derive(Deserialize, Default)]
#[serde(default)]
struct HomeQuery {
    q: String,
    /// "cluster": every organisation the caller sees (the DPO).
    scope: String,
}

pub struct RegisterLink {
    pub title: String,
    pub href: String,
    pub count: String,
}

#[derive(Template)]
#[template(path = "registers_home.html")]
pub struct HomePage {
    pub ctx: PageCtx,
    pub registers: Vec<RegisterLink>,
    pub cluster: Vec<RegisterLink>,
    pub q: String,
    pub searched: bool,
    pub hits: Vec<(SearchHit, String, String)>,
    pub can_search_cluster: bool,
    pub scope: String,
    pub updates: usize,
}

async fn home(
    State(state): State<AppState>,
    si: SignedIn,
    Query(q): Query<HomeQuery>,
) -> PageResult {
    let r = registers(&state.steward);
    let org = si.caller.current_organisation_id.clone();
    let mut links = Vec::new();
    for def in REGISTERS.iter().filter(|d| !cluster_register(d.register)) {
        if let Ok(p) = r
            .list(&si.caller, &org, def.register, &EntryQuery::default())
            .await
        {
            links.push(RegisterLink {
                title: def.title.into(),
                href: format!("/registers/{}", def.slug),
                count: count_words(p.total as usize, def.one, def.many),
            });
        }
    }
    let mut cluster = Vec::new();
    if let Ok(Some(dpo)) = dpo_organisation(&state.steward, &org).await {
        for def in REGISTERS.iter().filter(|d| cluster_register(d.register)) {
            if let Ok(p) = r
                .list(&si.caller, &dpo, def.register, &EntryQuery::default())
                .await
            {
                cluster.push(RegisterLink {
                    title: def.title.into(),
                    href: format!("/registers/{}", def.slug),
                    count: count_words(p.total as usize, def.one, def.many),
                });
            }
        }
    }
    let can_search_cluster = si.caller.role.cluster_wide();
    let orgs: Vec<String> = if q.scope == "cluster" && can_search_cluster {
        si.caller.visible_organisation_ids.clone()
    } else {
        vec![org.clone()]
    };
    let searched = !q.q.trim().is_empty();
    let mut hits = Vec::new();
    if searched {
        let names: BTreeMap<String, String> = state
            .steward
            .organisations(&si.caller)
            .await?
            .into_iter()
            .map(|o| (o.id, o.name))
            .collect();
        for h in r.search(&si.caller, &orgs, &q.q).await? {
            let href = entry_page(
                Kind::parse(&h.kind).unwrap_or(Kind::ProcessingActivity),
                &h.id,
            );
            let on = names.get(&h.organisation_id).cloned().unwrap_or_default();
            hits.push((h, href, on));
        }
    }
    let updates = r
        .template_updates(&si.caller, &org)
        .await
        .map(|u| u.len())
        .unwrap_or(0);
    let form = FormView::new();
    Ok(render(&HomePage {
        ctx: ctx(&si, "Registers", &form),
        registers: links,
        cluster,
        q: q.q,
        searched,
        hits,
        can_search_cluster,
        scope: q.scope,
        updates,
    }))
}

// ---- a register's list ----

#[derive(Deserialize, Default)]
#[serde(default)]
struct ListQuery {
    q: String,
    page: String,
    /// Shown after an import.
    imported: String,
}

#[derive(Template)]
#[template(path = "register_list.html")]
pub struct ListPage {
    pub ctx: PageCtx,
    pub title: String,
    pub slug: String,
    pub one: String,
    pub caption: String,
    pub page: EntryPage,
    pub rows: Vec<(Entry, String)>,
    pub summary_label: String,
    pub q: String,
    pub can_create: bool,
    pub can_transfer: bool,
    pub notice: Option<String>,
}

impl ListPage {
    pub fn link(&self, page: i64) -> String {
        format!("/registers/{}?q={}&page={page}", self.slug, self.q)
    }
}

/// The second column of a list: what says most about an entry of the register.
fn summary_field(reg: Register) -> &'static str {
    match reg {
        Register::Processing | Register::Templates => "lawful_basis",
        Register::Assets => "risk_likelihood",
        Register::Partners => "partner_type",
        Register::Agreements => "expiry_date",
        Register::Processors => "service",
        Register::Projects => "status",
    }
}

async fn list_page(
    reg: Register,
    State(state): State<AppState>,
    si: SignedIn,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let r = registers(&state.steward);
    let def = reg.def();
    let org = org_for(&state, &si, reg).await?;
    let page = r
        .list(
            &si.caller,
            &org,
            reg,
            &EntryQuery {
                q: Some(q.q.clone()),
                page: q.page.parse().ok(),
                size: None,
            },
        )
        .await?;
    let sf = summary_field(reg);
    let rows = page
        .items
        .iter()
        .map(|e| {
            let shown = if reg == Register::Assets {
                let s = e.risk_score().unwrap_or(0);
                format!("{s} {}", r.band(s))
            } else {
                r.shown_plain(def.field(sf).map(|f| f.ty).unwrap_or(Ty::Text), e.value(sf))
            };
            (e.clone(), shown)
        })
        .collect();
    let summary_label = if reg == Register::Assets {
        "Risk score".to_string()
    } else {
        def.field(sf)
            .map(|f| f.label.to_string())
            .unwrap_or_default()
    };
    let form = FormView::new();
    Ok(render(&ListPage {
        ctx: ctx(&si, def.title, &form),
        title: def.title.into(),
        slug: def.slug.into(),
        one: def.one.into(),
        caption: count_words(page.total as usize, def.one, def.many),
        rows,
        page,
        summary_label,
        q: q.q,
        can_create: kind_of(reg).allows(si.caller.role, Op::Create),
        can_transfer: !cluster_register(reg),
        notice: Some(q.imported).filter(|s| !s.is_empty()).map(|s| {
            let mut parts = s.split('-');
            let a: usize = parts.next().and_then(|x| x.parse().ok()).unwrap_or(0);
            let u: usize = parts.next().and_then(|x| x.parse().ok()).unwrap_or(0);
            format!(
                "Imported: {} added, {} updated.",
                count_words(a, def.one, def.many),
                u
            )
        }),
    }))
}

// ---- one entry ----

pub struct Shown {
    pub label: String,
    pub value: String,
    pub links: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "register_entry.html")]
pub struct EntryView {
    pub ctx: PageCtx,
    /// Assets and processing activities list the risk register's risks raised from them.
    pub show_register_risks: bool,
    pub register_risks: Vec<steward_assurance::risks::Risk>,
    pub can_raise_risk: bool,
    pub raise_href: String,
    pub title: String,
    pub slug: String,
    pub e: Entry,
    pub shown: Vec<Shown>,
    pub history: Vec<Version>,
    pub can_change: bool,
    pub risk: Option<(i64, String)>,
    pub risk_changes: Vec<RiskChange>,
    pub update: Option<TemplateUpdate>,
    pub origin: Option<String>,
    pub checklist_missing: Vec<String>,
}

async fn shown(state: &AppState, e: &Entry) -> Result<Vec<Shown>, CoreError> {
    let r = registers(&state.steward);
    let mut out = Vec::new();
    for f in e.register.def().fields {
        let v = e.value(f.name);
        let (value, links) = if f.ty == Ty::Retention && !v.is_empty() {
            // A link to the row of the schedule.
            (
                String::new(),
                vec![(format!("/retention#schedule-{v}"), r.shown_plain(f.ty, v))],
            )
        } else if f.ty == Ty::Dpia {
            (
                String::new(),
                r.names(f.ty, v)
                    .await?
                    .into_iter()
                    .map(|(id, n)| (format!("/dpias/{id}"), n))
                    .collect(),
            )
        } else if f.ty.links() {
            let names = r.names(f.ty, v).await?;
            let kind = match f.ty {
                Ty::Partners => Kind::SharingPartner,
                Ty::Assets => Kind::InformationAsset,
                _ => Kind::ActivityTemplate,
            };
            (
                String::new(),
                names
                    .into_iter()
                    .map(|(id, n)| (entry_page(kind, &id), n))
                    .collect(),
            )
        } else {
            (r.shown_plain(f.ty, v), vec![])
        };
        out.push(Shown {
            label: f.label.into(),
            value,
            links,
        });
    }
    Ok(out)
}

async fn entry_view(
    reg: Register,
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
) -> PageResult {
    let p = state
        .steward
        .permit::<ops::Read>(&si.caller, kind_of(reg), &id)
        .await?;
    let r = registers(&state.steward);
    let e = r.entry(&p, reg).await?;
    let history = state.steward.history(&p).await?;
    let (risk, risk_changes) = if reg == Register::Assets {
        let s = e.risk_score().unwrap_or(0);
        (Some((s, r.band(s))), r.risk_changes(&p).await?)
    } else {
        (None, vec![])
    };
    let update = if reg == Register::Processing {
        r.template_update(&p).await?
    } else {
        None
    };
    let origin = if let Some(pid) = &e.project_id {
        let name: Option<String> =
            steward_db::query_scalar("SELECT name FROM sharing_projects WHERE id = $1")
                .bind(pid)
                .fetch_optional(&state.steward.db.pool)
                .await
                .map_err(CoreError::from)?;
        name.map(|n| format!("Added when the practice joined the sharing project \"{n}\"."))
    } else if e.template_id.is_some() {
        Some(
            "Adopted from the cluster master log: the DPO's changes arrive as updates to accept."
                .into(),
        )
    } else {
        None
    };
    let checklist_missing = if reg == Register::Processors {
        let have: Vec<&str> = e.value("article_28").lines().collect();
        r.rules
            .article_28
            .item
            .iter()
            .filter(|i| !have.contains(&i.code.as_str()))
            .map(|i| format!("{} ({})", i.label, i.article))
            .collect()
    } else {
        vec![]
    };
    let source_kind = match reg {
        Register::Assets => Some(Kind::InformationAsset),
        Register::Processing => Some(Kind::ProcessingActivity),
        _ => None,
    };
    let (register_risks, can_raise_risk, raise_href) = match source_kind {
        Some(k) => {
            let (list, can) =
                crate::risk_sources::raised_from(&state, &si, k, &e.id, &e.organisation_id).await?;
            (
                list,
                can,
                format!("/risks/new?from={}&id={}", k.code(), e.id),
            )
        }
        None => (vec![], false, String::new()),
    };
    let form = FormView::new();
    Ok(render(&EntryView {
        show_register_risks: source_kind.is_some(),
        register_risks,
        can_raise_risk,
        raise_href,
        ctx: ctx(&si, &format!("{}: {}", e.reference, e.name), &form),
        title: reg.def().title.into(),
        slug: reg.def().slug.into(),
        shown: shown(&state, &e).await?,
        can_change: kind_of(reg).allows(si.caller.role, Op::Change),
        e,
        history,
        risk,
        risk_changes,
        update,
        origin,
        checklist_missing,
    }))
}

// ---- the form ----

pub struct FieldView {
    pub name: String,
    pub label: String,
    pub hint: String,
    /// text, long, date, yesno, level, choice, many
    pub kind: &'static str,
    pub options: Vec<Option_>,
    pub selected: Vec<String>,
}

impl FieldView {
    pub fn opts(&self) -> &[Option_] {
        &self.options
    }
    pub fn is_selected(&self, value: &str) -> bool {
        self.selected.iter().any(|s| s == value)
    }
}

#[derive(Template)]
#[template(path = "register_form.html")]
pub struct FormPage {
    pub ctx: PageCtx,
    pub action: String,
    pub button: String,
    pub fields: Vec<FieldView>,
    pub form: FormView,
    pub asset: bool,
}

/// The example under every date of a register's form.
const DATE_EXAMPLE: &str = "For example, 31 3 2027";

async fn field_views(
    state: &AppState,
    org: &str,
    reg: Register,
    form: &FormView,
) -> Result<Vec<FieldView>, CoreError> {
    let r = registers(&state.steward);
    let dpo = dpo_organisation(&state.steward, org)
        .await?
        .unwrap_or_default();
    let mut out = Vec::new();
    for f in reg.def().fields {
        let (kind, options): (&'static str, Vec<Option_>) = match f.ty {
            Ty::Text => ("text", vec![]),
            Ty::Long => ("long", vec![]),
            Ty::Date => ("date", vec![]),
            Ty::YesNo => ("yesno", vec![]),
            Ty::Level => (
                "choice",
                (1..=5)
                    .map(|n| Option_ {
                        value: n.to_string(),
                        label: n.to_string(),
                    })
                    .collect(),
            ),
            Ty::Choice(list) => (
                "choice",
                r.rules
                    .choices(list)
                    .into_iter()
                    .map(|c| Option_ {
                        value: c.code,
                        label: c.label,
                    })
                    .collect(),
            ),
            Ty::Checklist(list) => (
                "many",
                r.rules
                    .choices(list)
                    .into_iter()
                    .map(|c| Option_ {
                        value: c.code,
                        label: c.label,
                    })
                    .collect(),
            ),
            Ty::Retention => (
                "choice",
                steward_compliance::rules(&state.steward)
                    .schedule
                    .row
                    .iter()
                    .map(|row| Option_ {
                        value: row.code.clone(),
                        label: format!("{}: {}", row.label, row.period()),
                    })
                    .collect(),
            ),
            Ty::Dpia => {
                // The organisation's DPIAs, then its DPO service's.
                let rows: Vec<(String, String, String, String)> = steward_db::query_as(
                    "SELECT d.id, d.reference, d.title, o.name FROM dpias d JOIN organisations o ON o.id = d.organisation_id WHERE d.organisation_id = $1 OR d.organisation_id = $2 ORDER BY CASE WHEN d.organisation_id = $1 THEN 0 ELSE 1 END, d.reference",
                )
                .bind(org)
                .bind(&dpo)
                .fetch_all(&state.steward.db.pool)
                .await?;
                let opts = rows
                    .into_iter()
                    .map(|(value, reference, title, owner)| Option_ {
                        value,
                        label: format!("{reference}: {title} ({owner})"),
                    })
                    .collect();
                ("choice", opts)
            }
            Ty::Partners | Ty::Assets | Ty::Template => {
                let (table, orgs) = match f.ty {
                    Ty::Partners => ("sharing_partners", vec![org.to_string(), dpo.clone()]),
                    Ty::Assets => ("information_assets", vec![org.to_string(), org.to_string()]),
                    _ => ("activity_templates", vec![dpo.clone(), dpo.clone()]),
                };
                let rows: Vec<(String, String)> = steward_db::query_as(&format!(
                    "SELECT id, name FROM {table} WHERE organisation_id = $1 OR organisation_id = $2 ORDER BY name"
                ))
                .bind(&orgs[0])
                .bind(&orgs[1])
                .fetch_all(&state.steward.db.pool)
                .await?;
                let opts = rows
                    .into_iter()
                    .map(|(value, label)| Option_ { value, label })
                    .collect();
                (
                    if f.ty == Ty::Template {
                        "choice"
                    } else {
                        "many"
                    },
                    opts,
                )
            }
        };
        let hint = match (f.ty, f.hint) {
            (Ty::Date, "") => DATE_EXAMPLE.to_string(),
            (Ty::Date, h) => format!("{h} {DATE_EXAMPLE}"),
            (_, h) => h.to_string(),
        };
        out.push(FieldView {
            name: f.name.into(),
            label: f.label.into(),
            hint,
            kind,
            options,
            selected: form.value(f.name).lines().map(str::to_string).collect(),
        });
    }
    Ok(out)
}

/// A submitted form: the register's own fields are named by its field list, so the form is
/// read as name and value pairs (one `#[serde(flatten)]` map could not keep a checkbox
/// group, whose name repeats); checkbox groups are kept one per line, and each date typed
/// in three boxes (`<field>_day`, `_month`, `_year`) becomes the field's value through
/// [`forms::date_input`]. The boxes stay in the values, to be shown again as typed.
fn form_values(reg: Register, pairs: Vec<(String, String)>) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    for (k, v) in pairs {
        if k == "csrf" {
            continue;
        }
        out.entry(k)
            .and_modify(|x| {
                x.push('\n');
                x.push_str(&v)
            })
            .or_insert(v);
    }
    for f in reg.def().fields.iter().filter(|f| f.ty == Ty::Date) {
        let part = |p: &str| out.get(&format!("{}{p}", f.name)).cloned();
        if let (Some(d), Some(m), Some(y)) = (part("_day"), part("_month"), part("_year")) {
            out.insert(f.name.to_string(), forms::date_input(&d, &m, &y));
        }
    }
    out
}

fn form_view(values: &BTreeMap<String, String>, errors: FieldErrors) -> FormView {
    let mut f = FormView::new();
    for (k, v) in values {
        f = f.with(k, v.clone());
    }
    f.errors = errors;
    f
}

/// A stored entry as its form shows it: each date in its three boxes.
fn entry_form(reg: Register, values: &BTreeMap<String, String>) -> FormView {
    let mut f = form_view(values, FieldErrors::default());
    for field in reg.def().fields.iter().filter(|f| f.ty == Ty::Date) {
        f = forms::with_date(
            f,
            field.name,
            values.get(field.name).map(String::as_str).unwrap_or(""),
        );
    }
    f
}

/// Where a register's form posts, its button and its heading.
struct FormText<'a> {
    action: String,
    button: &'a str,
    title: &'a str,
}

async fn render_form(
    state: &AppState,
    si: &SignedIn,
    reg: Register,
    org: &str,
    text: FormText<'_>,
    form: FormView,
) -> PageResult {
    let FormText {
        action,
        button,
        title,
    } = text;
    let fields = field_views(state, org, reg, &form).await?;
    Ok((
        status_for(&form),
        render(&FormPage {
            ctx: ctx(si, title, &form),
            action,
            button: button.into(),
            fields,
            asset: reg == Register::Assets,
            form,
        }),
    )
        .into_response())
}

async fn new_page(reg: Register, State(state): State<AppState>, si: SignedIn) -> PageResult {
    let org = org_for(&state, &si, reg).await?;
    let def = reg.def();
    render_form(
        &state,
        &si,
        reg,
        &org,
        FormText {
            action: format!("/registers/{}/new", def.slug),
            button: &format!("Add the {}", def.one),
            title: &format!("Add a {}", def.one),
        },
        FormView::new(),
    )
    .await
}

async fn create(
    reg: Register,
    State(state): State<AppState>,
    si: SignedIn,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let org = org_for(&state, &si, reg).await?;
    let def = reg.def();
    let values = form_values(reg, pairs);
    match registers(&state.steward)
        .create(&si.caller, &org, reg, &values, today())
        .await
    {
        Ok(e) => Ok(Redirect::to(&format!("/registers/{}/{}", def.slug, e.id)).into_response()),
        Err(CoreError::Invalid(errors)) => {
            render_form(
                &state,
                &si,
                reg,
                &org,
                FormText {
                    action: format!("/registers/{}/new", def.slug),
                    button: &format!("Add the {}", def.one),
                    title: &format!("Add a {}", def.one),
                },
                form_view(&values, errors),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

async fn edit_page(
    reg: Register,
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
) -> PageResult {
    let p = state
        .steward
        .permit::<ops::Change>(&si.caller, kind_of(reg), &id)
        .await?;
    let e = registers(&state.steward).entry(&p.as_read(), reg).await?;
    let def = reg.def();
    render_form(
        &state,
        &si,
        reg,
        p.organisation_id(),
        FormText {
            action: format!("/registers/{}/{id}/edit", def.slug),
            button: "Save the changes",
            title: &format!("Change {}: {}", e.reference, e.name),
        },
        entry_form(reg, &e.values),
    )
    .await
}

async fn edit(
    reg: Register,
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let p = state
        .steward
        .permit::<ops::Change>(&si.caller, kind_of(reg), &id)
        .await?;
    let def = reg.def();
    let values = form_values(reg, pairs);
    match registers(&state.steward)
        .update(&si.caller, &p, reg, &values, today())
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/registers/{}/{id}", def.slug)).into_response()),
        Err(CoreError::Invalid(errors)) => {
            render_form(
                &state,
                &si,
                reg,
                p.organisation_id(),
                FormText {
                    action: format!("/registers/{}/{id}/edit", def.slug),
                    button: "Save the changes",
                    title: &format!("Change the {}", def.one),
                },
                form_view(&values, errors),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

// ---- export and import ----

async fn export(
    reg: Register,
    xlsx: bool,
    State(state): State<AppState>,
    si: SignedIn,
) -> PageResult {
    let r = registers(&state.steward);
    let org = si.caller.current_organisation_id.clone();
    let def = reg.def();
    let (bytes, ct, ext) = if xlsx {
        (
            r.export_xlsx(&si.caller, &org, reg).await?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        )
    } else {
        (
            r.export_csv(&si.caller, &org, reg).await?,
            "text/csv; charset=utf-8",
            "csv",
        )
    };
    let name = format!("{}.{ext}", def.slug);
    Ok(download(bytes, ct, &name))
}

#[derive(Template)]
#[template(path = "register_import.html")]
pub struct ImportPage {
    pub ctx: PageCtx,
    pub title: String,
    pub slug: String,
    pub one: String,
    pub many: String,
    pub form: FormView,
    pub check: Option<ImportCheck>,
    pub columns: Vec<String>,
    /// A file whose columns did not all match: each with its choice of column.
    pub mapping: Option<ColumnMapping>,
    /// The register's columns a file's column may go to.
    pub targets: Vec<Option_>,
    /// A mapped file with bad rows: its import, to change the mapping.
    pub remap: Option<String>,
}

impl ImportPage {
    /// The name of the mapping form's choice for the file's column `i`.
    pub fn col(&self, i: &usize) -> String {
        format!("col_{i}")
    }
    pub fn count(&self, a: &str) -> String {
        let n = self
            .check
            .as_ref()
            .map(|c| {
                c.count(match a {
                    "add" => RowAction::Add,
                    "update" => RowAction::Update,
                    _ => RowAction::Unchanged,
                })
            })
            .unwrap_or(0);
        count_words(n, &self.one, &self.many)
    }
}

/// What the import page shows besides the upload form.
#[derive(Default)]
struct ImportShown {
    check: Option<ImportCheck>,
    mapping: Option<ColumnMapping>,
    remap: Option<String>,
}

fn import_view(si: &SignedIn, reg: Register, form: FormView, shown: ImportShown) -> Response {
    let ImportShown {
        check,
        mapping,
        remap,
    } = shown;
    let def = reg.def();
    let status = if form.has_errors() || check.as_ref().is_some_and(|c| !c.is_clean()) {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let mut columns = vec!["Reference (optional: matches an entry to update)".to_string()];
    columns.extend(def.fields.iter().map(|f| {
        if f.required {
            format!("{} (required)", f.label)
        } else {
            f.label.to_string()
        }
    }));
    let mut c = ctx(si, &format!("Import {}", def.many), &form);
    c.has_errors = status != StatusCode::OK;
    (
        status,
        render(&ImportPage {
            ctx: c,
            title: def.title.into(),
            slug: def.slug.into(),
            one: def.one.into(),
            many: def.many.into(),
            form,
            check,
            columns,
            mapping,
            targets: std::iter::once(Option_ {
                value: "reference".into(),
                label: "Reference (matches an entry to update)".into(),
            })
            .chain(def.fields.iter().map(|f| Option_ {
                value: f.name.into(),
                label: if f.required {
                    format!("{} (required)", f.label)
                } else {
                    f.label.to_string()
                },
            }))
            .collect(),
            remap,
        }),
    )
        .into_response()
}

async fn import_page(reg: Register, State(_state): State<AppState>, si: SignedIn) -> PageResult {
    Ok(import_view(
        &si,
        reg,
        FormView::new(),
        ImportShown::default(),
    ))
}

/// The mapping form's values: `col_<n>` is the register column of the file's n-th column.
fn mapping_form(m: &ColumnMapping) -> FormView {
    let mut f = FormView::new();
    for (i, c) in m.columns.iter().enumerate() {
        f = f.with(&format!("col_{i}"), c.field.clone().unwrap_or_default());
    }
    f
}

async fn mapping_page(
    reg: Register,
    State(state): State<AppState>,
    si: SignedIn,
    Path(import_id): Path<String>,
) -> PageResult {
    let org = si.caller.current_organisation_id.clone();
    let m = registers(&state.steward)
        .column_mapping(&si.caller, &org, reg, &import_id)
        .await?;
    Ok(import_view(
        &si,
        reg,
        mapping_form(&m),
        ImportShown {
            mapping: Some(m),
            ..Default::default()
        },
    ))
}

async fn mapping_post(
    reg: Register,
    State(state): State<AppState>,
    si: SignedIn,
    Path(import_id): Path<String>,
    Form(posted): Form<BTreeMap<String, String>>,
) -> PageResult {
    let org = si.caller.current_organisation_id.clone();
    let r = registers(&state.steward);
    let m = r.column_mapping(&si.caller, &org, reg, &import_id).await?;
    let choices: Vec<Option<String>> = (0..m.columns.len())
        .map(|i| {
            forms::optional(
                posted
                    .get(&format!("col_{i}"))
                    .map(String::as_str)
                    .unwrap_or(""),
            )
        })
        .collect();
    match r
        .check_mapped_import(&si.caller, &org, reg, &import_id, &choices)
        .await
    {
        Ok(check) => {
            let remap = (!check.is_clean()).then(|| import_id.clone());
            Ok(import_view(
                &si,
                reg,
                FormView::new(),
                ImportShown {
                    check: Some(check),
                    remap,
                    ..Default::default()
                },
            ))
        }
        Err(CoreError::Invalid(errors)) => {
            let mut form = FormView::new();
            for (k, v) in posted.iter().filter(|(k, _)| k.starts_with("col_")) {
                form = form.with(k, v.clone());
            }
            form.errors = errors;
            Ok(import_view(
                &si,
                reg,
                form,
                ImportShown {
                    mapping: Some(m),
                    ..Default::default()
                },
            ))
        }
        Err(e) => Err(e.into()),
    }
}

async fn import_upload(
    reg: Register,
    State(state): State<AppState>,
    si: SignedIn,
    mut mp: Multipart,
) -> PageResult {
    let mut file: Option<(String, Vec<u8>)> = None;
    while let Ok(Some(field)) = mp.next_field().await {
        if field.name() == Some("file") {
            let name = field.file_name().unwrap_or("").to_string();
            let bytes = field
                .bytes()
                .await
                .map_err(|_| CoreError::invalid("file", "The file could not be read; try again"))?;
            file = Some((name, bytes.to_vec()));
        }
    }
    let Some((name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        let mut form = FormView::new();
        form.errors.add("file", "Choose a CSV or XLSX file");
        return Ok(import_view(&si, reg, form, ImportShown::default()));
    };
    let org = si.caller.current_organisation_id.clone();
    match registers(&state.steward)
        .start_import(&si.caller, &org, reg, &name, &bytes)
        .await
    {
        Ok(ImportStart::Checked(check)) => Ok(import_view(
            &si,
            reg,
            FormView::new(),
            ImportShown {
                check: Some(check),
                ..Default::default()
            },
        )),
        Ok(ImportStart::Mapping(m)) => Ok(import_view(
            &si,
            reg,
            mapping_form(&m),
            ImportShown {
                mapping: Some(m),
                ..Default::default()
            },
        )),
        Err(CoreError::Invalid(errors)) => {
            let mut form = FormView::new();
            form.errors = errors;
            Ok(import_view(&si, reg, form, ImportShown::default()))
        }
        Err(e) => Err(e.into()),
    }
}

async fn import_confirm(
    reg: Register,
    State(state): State<AppState>,
    si: SignedIn,
    Path(import_id): Path<String>,
) -> PageResult {
    let r = registers(&state.steward);
    let org = si.caller.current_organisation_id.clone();
    let check = r.pending_import(&si.caller, &org, reg, &import_id).await?;
    let (added, updated) = r.confirm_import(&si.caller, &org, &check, today()).await?;
    Ok(Redirect::to(&format!(
        "/registers/{}?imported={added}-{updated}",
        reg.def().slug
    ))
    .into_response())
}

// ---- the master log and sharing projects, as a practice sees them ----

#[derive(Template)]
#[template(path = "master_log.html")]
pub struct MasterLogPage {
    pub ctx: PageCtx,
    pub items: Vec<(MasterItem, String)>,
    pub updates: Vec<TemplateUpdate>,
    pub can_adopt: bool,
    pub notice: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct NoticeQuery {
    done: String,
}

async fn master_log_page(
    State(state): State<AppState>,
    si: SignedIn,
    Query(q): Query<NoticeQuery>,
) -> PageResult {
    let r = registers(&state.steward);
    let org = si.caller.current_organisation_id.clone();
    let items = r
        .master_log(&si.caller, &org)
        .await?
        .into_iter()
        .map(|i| {
            let basis = r
                .rules
                .label("lawful_basis", i.template.value("lawful_basis"));
            (i, basis)
        })
        .collect();
    let updates = r.template_updates(&si.caller, &org).await?;
    let form = FormView::new();
    Ok(render(&MasterLogPage {
        ctx: ctx(&si, "Cluster master log", &form),
        items,
        updates,
        can_adopt: Kind::ProcessingActivity.allows(si.caller.role, Op::Create),
        notice: match q.done.as_str() {
            "adopted" => Some("The activity was added to your processing activities log.".into()),
            _ => None,
        },
    }))
}

async fn adopt(
    State(state): State<AppState>,
    si: SignedIn,
    Path(template_id): Path<String>,
) -> PageResult {
    let org = si.caller.current_organisation_id.clone();
    match registers(&state.steward)
        .adopt(&si.caller, &org, &template_id)
        .await
    {
        Ok(_) | Err(CoreError::Conflict(_)) => {
            Ok(Redirect::to("/master-log?done=adopted").into_response())
        }
        Err(e) => Err(e.into()),
    }
}

async fn accept_update(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
) -> PageResult {
    let p = state
        .steward
        .permit::<ops::Change>(&si.caller, Kind::ProcessingActivity, &id)
        .await?;
    match registers(&state.steward)
        .accept_update(&si.caller, &p)
        .await
    {
        Ok(_) | Err(CoreError::Conflict(_)) => {
            Ok(Redirect::to(&format!("/registers/processing-activities/{id}")).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "sharing_projects.html")]
pub struct ProjectsPage {
    pub ctx: PageCtx,
    pub projects: Vec<(ProjectView, String, Vec<String>)>,
    pub form: FormView,
    pub can_join: bool,
    pub ods_code: String,
    /// The project a form error belongs to.
    pub error_project: String,
}

async fn render_projects(
    state: &AppState,
    si: &SignedIn,
    form: FormView,
    error_project: String,
) -> PageResult {
    let r = registers(&state.steward);
    let org = si.caller.current_organisation_id.clone();
    let mut projects = Vec::new();
    for p in r.projects_for(&si.caller, &org).await? {
        let status = r.rules.label("project_status", p.project.value("status"));
        let partners = r
            .names(Ty::Partners, p.project.value("partners"))
            .await?
            .into_iter()
            .map(|(_, n)| n)
            .collect();
        projects.push((p, status, partners));
    }
    let ods_code = state
        .steward
        .organisation(&si.caller, &org)
        .await
        .map(|o| o.ods_code)
        .unwrap_or_default();
    Ok((
        status_for(&form),
        render(&ProjectsPage {
            ctx: ctx(si, "Sharing projects", &form),
            projects,
            can_join: Kind::ProcessingActivity.allows(si.caller.role, Op::Create),
            ods_code,
            form,
            error_project,
        }),
    )
        .into_response())
}

async fn projects_page(State(state): State<AppState>, si: SignedIn) -> PageResult {
    render_projects(&state, &si, FormView::new(), String::new()).await
}

/// Joining a project: who signed, and the day in three boxes.
#[derive(Deserialize, serde::Serialize, Default)]
#[serde(default)]
struct JoinForm {
    signed_by: String,
    signed_on_day: String,
    signed_on_month: String,
    signed_on_year: String,
}

impl JoinForm {
    fn input(&self) -> JoinInput {
        JoinInput {
            signed_by: self.signed_by.clone(),
            signed_on: forms::date_input(
                &self.signed_on_day,
                &self.signed_on_month,
                &self.signed_on_year,
            ),
        }
    }
}

async fn join(
    State(state): State<AppState>,
    si: SignedIn,
    Path(project_id): Path<String>,
    Form(f): Form<JoinForm>,
) -> PageResult {
    let org = si.caller.current_organisation_id.clone();
    match registers(&state.steward)
        .join(&si.caller, &org, &project_id, &f.input(), today())
        .await
    {
        Ok(_) => Ok(Redirect::to("/sharing-projects").into_response()),
        Err(CoreError::Invalid(errors)) => {
            render_projects(&state, &si, forms::shown_again(&f, errors), project_id).await
        }
        Err(CoreError::Conflict(m)) => {
            let mut form = FormView::of(&f);
            form.errors.add("signed_by", m);
            render_projects(&state, &si, form, project_id).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn leave(
    State(state): State<AppState>,
    si: SignedIn,
    Path(project_id): Path<String>,
) -> PageResult {
    let org = si.caller.current_organisation_id.clone();
    match registers(&state.steward)
        .leave(&si.caller, &org, &project_id)
        .await
    {
        Ok(()) | Err(CoreError::Conflict(_)) => {
            Ok(Redirect::to("/sharing-projects").into_response())
        }
        Err(e) => Err(e.into()),
    }
}

// ---- the privacy notice editor ----

#[derive(Template)]
#[template(path = "privacy_notice.html")]
pub struct NoticePage {
    pub ctx: PageCtx,
    pub n: NoticeDraft,
    pub form: FormView,
    pub can_publish: bool,
    pub reading: String,
}

async fn render_notice(
    state: &AppState,
    si: &SignedIn,
    org: &str,
    form: Option<FormView>,
) -> PageResult {
    let n = registers(&state.steward).notice(&si.caller, org).await?;
    let form = form.unwrap_or_else(|| {
        FormView::of(&n.settings).with("change_summary", n.changes_since_published.join("; "))
    });
    let reading = format!("{:.0} ({})", n.draft.reading_ease, n.draft.reading_band);
    Ok((
        status_for(&form),
        render(&NoticePage {
            ctx: ctx(si, "Privacy notice", &form),
            can_publish: Kind::PrivacyNotice.allows(si.caller.role, Op::Create),
            reading,
            n,
            form,
        }),
    )
        .into_response())
}

async fn notice_page(State(state): State<AppState>, si: SignedIn) -> PageResult {
    let org = si.caller.current_organisation_id.clone();
    render_notice(&state, &si, &org, None).await
}

async fn notice_record(
    State(state): State<AppState>,
    si: SignedIn,
    Path(id): Path<String>,
) -> PageResult {
    let p = state
        .steward
        .permit::<ops::Read>(&si.caller, Kind::PrivacyNotice, &id)
        .await?;
    render_notice(&state, &si, p.organisation_id(), None).await
}

async fn notice_save(
    State(state): State<AppState>,
    si: SignedIn,
    Form(input): Form<NoticeSettings>,
) -> PageResult {
    let org = si.caller.current_organisation_id.clone();
    registers(&state.steward)
        .save_notice_settings(&si.caller, &org, &input)
        .await?;
    Ok(Redirect::to("/privacy-notice").into_response())
}

async fn notice_publish(
    State(state): State<AppState>,
    si: SignedIn,
    Form(input): Form<PublishInput>,
) -> PageResult {
    let org = si.caller.current_organisation_id.clone();
    match registers(&state.steward)
        .publish_notice(&si.caller, &org, &input)
        .await
    {
        Ok(_) => Ok(Redirect::to("/privacy-notice#versions").into_response()),
        Err(CoreError::Invalid(errors)) => {
            let n = registers(&state.steward).notice(&si.caller, &org).await?;
            let mut form =
                FormView::of(&n.settings).with("change_summary", input.change_summary.clone());
            form.errors = errors;
            render_notice(&state, &si, &org, Some(form)).await
        }
        Err(e) => Err(e.into()),
    }
}

// ---- the public pages ----

#[derive(Template)]
#[template(path = "privacy_index.html")]
pub struct PublicIndex {
    pub ctx: PageCtx,
    pub organisations: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "privacy_public.html")]
pub struct PublicNotice {
    pub ctx: PageCtx,
    pub p: PublishedNotice,
    pub sections: Vec<Section>,
}

#[derive(Template)]
#[template(path = "privacy_project.html")]
pub struct PublicProject {
    pub ctx: PageCtx,
    pub p: PublishedNotice,
    pub project: steward_registers::notice::NoticeProject,
}

/// (organisation name, code) of every published privacy notice, for the sign-in page's
/// footer; none when they cannot be read (the sign-in page still shows).
pub async fn privacy_notice_links(state: &AppState) -> Vec<(String, String)> {
    match registers(&state.steward).published_organisations().await {
        Ok(list) => list,
        Err(e) => {
            tracing::warn!(error = %e, "the published privacy notices could not be listed");
            vec![]
        }
    }
}

async fn public_index(State(state): State<AppState>, v: Visitor) -> PageResult {
    Ok(render(&PublicIndex {
        ctx: PageCtx::anonymous("Privacy notices", &v.csrf),
        organisations: registers(&state.steward).published_organisations().await?,
    }))
}

async fn public_notice(
    State(state): State<AppState>,
    v: Visitor,
    Path(code): Path<String>,
) -> PageResult {
    let p = registers(&state.steward).published_notice(&code).await?;
    Ok(render(&PublicNotice {
        ctx: PageCtx::anonymous(
            &format!("How {} uses your information", p.organisation_name),
            &v.csrf,
        ),
        sections: p.notice.sections.clone(),
        p,
    }))
}

async fn public_project(
    State(state): State<AppState>,
    v: Visitor,
    Path((code, project)): Path<(String, String)>,
) -> PageResult {
    let p = registers(&state.steward).published_notice(&code).await?;
    let project = p
        .notice
        .projects
        .iter()
        .find(|x| x.id == project)
        .cloned()
        .ok_or(CoreError::NotFound)?;
    Ok(render(&PublicProject {
        ctx: PageCtx::anonymous(&project.name, &v.csrf),
        p,
        project,
    }))
}

async fn public_pdf(State(state): State<AppState>, Path(code): Path<String>) -> PageResult {
    let p = registers(&state.steward).published_notice(&code).await?;
    Ok(download(
        p.pdf()?,
        "application/pdf",
        &format!("privacy-notice-{}.pdf", p.ods_code),
    ))
}

async fn public_docx(State(state): State<AppState>, Path(code): Path<String>) -> PageResult {
    let p = registers(&state.steward).published_notice(&code).await?;
    Ok(download(
        p.docx()?,
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        &format!("privacy-notice-{}.docx", p.ods_code),
    ))
}
