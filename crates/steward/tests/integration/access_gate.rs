//! The access test generated from the router: every route the application declares
//! (`steward_web::routes()`), for every role, for the record's own organisation, another
//! organisation of the cluster and another cluster, against the intended policy written
//! out below. The policy is stated here a second time on purpose: loosening one entry of
//! the gate's table (or a route's declaration, or a handler) makes this test fail.

use std::collections::HashMap;

use reqwest::Method;
use steward_core::gate::{Kind, Op};
use steward_core::orgs::NewUser;
use steward_core::roles::{Role, ALL_ROLES};
use steward_web::routes::{Access, BodySize, RouteSpec};

use crate::both_backends;
use crate::common::*;

/// The intended policy: for each kind and operation, the roles allowed, as letters:
/// D DPO, I IG lead, S SIRO, C Caldicott Guardian, N clinician, T staff, A auditor,
/// X system administrator. Every kind must be listed here (checked).
const POLICY: &[(&str, &[(Op, &str)])] = &[
    (
        "action",
        &[
            (Op::List, "DISCNTA"),
            (Op::Create, "DISCNT"),
            (Op::Read, "DISCNTA"),
            (Op::Change, "DISCNT"),
            (Op::Comment, "DISCNT"),
            (Op::Attach, "DISCNT"),
            (Op::Delete, "DISCNT"),
            (Op::Advise, ""),
            (Op::Configure, "DI"),
        ],
    ),
    (
        "rights_request",
        &[
            (Op::List, "DISCNTA"),
            (Op::Create, "DISCNT"),
            (Op::Read, "DISCNTA"),
            (Op::Change, "DISCNT"),
            (Op::Comment, "DISCNT"),
            (Op::Attach, "DISCNT"),
            (Op::Delete, "DI"),
            (Op::Advise, "NC"),
            (Op::Configure, "DI"),
        ],
    ),
    (
        "access_audit_run",
        &[
            (Op::List, "DISCA"),
            (Op::Create, "DI"),
            (Op::Read, "DISCA"),
            (Op::Change, "DI"),
            (Op::Comment, "DISC"),
            (Op::Attach, "DI"),
            (Op::Delete, "DI"),
            (Op::Advise, ""),
            (Op::Configure, "DI"),
        ],
    ),
    (
        "access_audit_case",
        &[
            (Op::List, "DISCA"),
            (Op::Create, "DI"),
            (Op::Read, "DISCA"),
            (Op::Change, "DI"),
            (Op::Comment, "DISC"),
            (Op::Attach, "DI"),
            (Op::Delete, ""),
            (Op::Advise, ""),
            (Op::Configure, "DI"),
        ],
    ),
    (
        "access_audit_sample",
        &[
            (Op::List, "DISCA"),
            (Op::Create, "DI"),
            (Op::Read, "DISCA"),
            (Op::Change, "DI"),
            (Op::Comment, "DISC"),
            (Op::Attach, "DI"),
            (Op::Delete, ""),
            (Op::Advise, ""),
            (Op::Configure, "DI"),
        ],
    ),
    (
        "incident",
        &[
            (Op::List, "DISCA"),
            (Op::Create, "DISCNT"),
            (Op::Read, "DISCA"),
            (Op::Change, "DI"),
            (Op::Comment, "DISC"),
            (Op::Attach, "DI"),
            (Op::Delete, ""),
            (Op::Advise, ""),
            (Op::Configure, ""),
        ],
    ),
    (
        "incident_lesson",
        &[
            (Op::List, "DISCA"),
            (Op::Create, "D"),
            (Op::Read, "DISCA"),
            (Op::Change, "D"),
            (Op::Comment, "D"),
            (Op::Attach, ""),
            (Op::Delete, ""),
            (Op::Advise, ""),
            (Op::Configure, ""),
        ],
    ),
    (
        "risk",
        &[
            (Op::List, "DISCNTA"),
            (Op::Create, "DIS"),
            (Op::Read, "DISCNTA"),
            (Op::Change, "DIS"),
            (Op::Comment, "DISC"),
            (Op::Attach, "DIS"),
            (Op::Delete, ""),
            (Op::Advise, ""),
            (Op::Configure, "DS"),
        ],
    ),
    (
        "cluster_update",
        &[
            (Op::List, "DA"),
            (Op::Create, "D"),
            (Op::Read, "DA"),
            (Op::Change, "D"),
            (Op::Comment, "D"),
            (Op::Attach, "D"),
            (Op::Delete, "D"),
            (Op::Advise, ""),
            (Op::Configure, ""),
        ],
    ),
    (
        "dpia_screening",
        &[
            (Op::List, "DISCNTA"),
            (Op::Create, "DISCNT"),
            (Op::Read, "DISCNTA"),
            (Op::Change, "DISCNT"),
            (Op::Comment, "DISCNT"),
            (Op::Attach, "DISCNT"),
            (Op::Delete, ""),
            (Op::Advise, ""),
            (Op::Configure, ""),
        ],
    ),
    (
        "dpia",
        &[
            (Op::List, "DISCNTA"),
            (Op::Create, "DISCNT"),
            (Op::Read, "DISCNTA"),
            (Op::Change, "DISCNT"),
            (Op::Comment, "DISCNT"),
            (Op::Attach, "DISCNT"),
            (Op::Delete, ""),
            (Op::Advise, "D"),
            (Op::Configure, ""),
        ],
    ),
    (
        "dpia_sign_off",
        &[
            (Op::List, "DISCNTA"),
            (Op::Create, ""),
            (Op::Read, "DISCNTA"),
            (Op::Change, "DISC"),
            (Op::Comment, "DISC"),
            (Op::Attach, ""),
            (Op::Delete, ""),
            (Op::Advise, ""),
            (Op::Configure, ""),
        ],
    ),
    (
        "dpia_adoption",
        &[
            (Op::List, "DISCNTA"),
            (Op::Create, "D"),
            (Op::Read, "DISCNTA"),
            (Op::Change, "DISC"),
            (Op::Comment, ""),
            (Op::Attach, ""),
            (Op::Delete, ""),
            (Op::Advise, ""),
            (Op::Configure, ""),
        ],
    ),
    (
        "compliance_audit",
        &[
            (Op::List, "DISCA"),
            (Op::Create, "D"),
            (Op::Read, "DISCA"),
            (Op::Change, "D"),
            (Op::Comment, "DISC"),
            (Op::Attach, "DI"),
            (Op::Delete, ""),
            (Op::Advise, ""),
            (Op::Configure, ""),
        ],
    ),
    (
        "action_round",
        &[
            (Op::List, "DA"),
            (Op::Create, "D"),
            (Op::Read, "DA"),
            (Op::Change, "D"),
            (Op::Comment, "D"),
            (Op::Attach, "D"),
            (Op::Delete, ""),
            (Op::Advise, ""),
            (Op::Configure, ""),
        ],
    ),
    (
        "training_record",
        &[
            (Op::List, "DISCA"),
            (Op::Create, "DI"),
            (Op::Read, "DISCA"),
            (Op::Change, "DI"),
            (Op::Comment, "DISC"),
            (Op::Attach, "DI"),
            (Op::Delete, ""),
            (Op::Advise, ""),
            (Op::Configure, ""),
        ],
    ),
    (
        "policy",
        &[
            (Op::List, "DISCNTA"),
            (Op::Create, "DI"),
            (Op::Read, "DISCNTA"),
            (Op::Change, "DI"),
            (Op::Comment, "DISC"),
            (Op::Attach, "DI"),
            (Op::Delete, ""),
            (Op::Advise, ""),
            (Op::Configure, ""),
        ],
    ),
    (
        "policy_acknowledgement",
        &[
            (Op::List, "DISCNTA"),
            (Op::Create, ""),
            (Op::Read, "DISCNTA"),
            (Op::Change, "DISCNT"),
            (Op::Comment, ""),
            (Op::Attach, ""),
            (Op::Delete, ""),
            (Op::Advise, ""),
            (Op::Configure, ""),
        ],
    ),
    (
        "retention_review",
        &[
            (Op::List, "DISCNTA"),
            (Op::Create, "DI"),
            (Op::Read, "DISCNTA"),
            (Op::Change, "DI"),
            (Op::Comment, "DISC"),
            (Op::Attach, "DI"),
            (Op::Delete, ""),
            (Op::Advise, ""),
            (Op::Configure, ""),
        ],
    ),
    (
        "destruction",
        &[
            (Op::List, "DISCA"),
            (Op::Create, "DI"),
            (Op::Read, "DISCA"),
            (Op::Change, "DI"),
            (Op::Comment, "DISC"),
            (Op::Attach, "DI"),
            (Op::Delete, ""),
            (Op::Advise, ""),
            (Op::Configure, ""),
        ],
    ),
    (
        "toolkit_evidence",
        &[
            (Op::List, "DISCA"),
            (Op::Create, "DI"),
            (Op::Read, "DISCA"),
            (Op::Change, "DI"),
            (Op::Comment, "DISC"),
            (Op::Attach, "DI"),
            (Op::Delete, ""),
            (Op::Advise, ""),
            (Op::Configure, ""),
        ],
    ),
    (
        "continuity_plan",
        &[
            (Op::List, "DISCNTA"),
            (Op::Create, "DIS"),
            (Op::Read, "DISCNTA"),
            (Op::Change, "DIS"),
            (Op::Comment, "DISC"),
            (Op::Attach, "DIS"),
            (Op::Delete, ""),
            (Op::Advise, ""),
            (Op::Configure, ""),
        ],
    ),
    (
        "non_direct_care_processing",
        &[
            (Op::List, "DISCA"),
            (Op::Create, "DI"),
            (Op::Read, "DISCA"),
            (Op::Change, "DI"),
            (Op::Comment, "DISC"),
            (Op::Attach, "DI"),
            (Op::Delete, ""),
            (Op::Advise, ""),
            (Op::Configure, ""),
        ],
    ),
    (
        "processing_activity",
        &[
            (Op::List, "DISCNTA"),
            (Op::Create, "DIS"),
            (Op::Read, "DISCNTA"),
            (Op::Change, "DIS"),
            (Op::Comment, "DISC"),
            (Op::Attach, "DIS"),
            (Op::Delete, ""),
            (Op::Advise, ""),
            (Op::Configure, ""),
        ],
    ),
    (
        "activity_template",
        &[
            (Op::List, "DA"),
            (Op::Create, "D"),
            (Op::Read, "DA"),
            (Op::Change, "D"),
            (Op::Comment, "D"),
            (Op::Attach, "D"),
            (Op::Delete, ""),
            (Op::Advise, ""),
            (Op::Configure, ""),
        ],
    ),
    (
        "information_asset",
        &[
            (Op::List, "DISCNTA"),
            (Op::Create, "DIS"),
            (Op::Read, "DISCNTA"),
            (Op::Change, "DIS"),
            (Op::Comment, "DISC"),
            (Op::Attach, "DIS"),
            (Op::Delete, ""),
            (Op::Advise, ""),
            (Op::Configure, ""),
        ],
    ),
    (
        "sharing_partner",
        &[
            (Op::List, "DISCNTA"),
            (Op::Create, "DIS"),
            (Op::Read, "DISCNTA"),
            (Op::Change, "DIS"),
            (Op::Comment, "DISC"),
            (Op::Attach, "DIS"),
            (Op::Delete, ""),
            (Op::Advise, ""),
            (Op::Configure, ""),
        ],
    ),
    (
        "sharing_agreement",
        &[
            (Op::List, "DISCNTA"),
            (Op::Create, "DIS"),
            (Op::Read, "DISCNTA"),
            (Op::Change, "DIS"),
            (Op::Comment, "DISC"),
            (Op::Attach, "DIS"),
            (Op::Delete, ""),
            (Op::Advise, ""),
            (Op::Configure, ""),
        ],
    ),
    (
        "processor",
        &[
            (Op::List, "DISCNTA"),
            (Op::Create, "DIS"),
            (Op::Read, "DISCNTA"),
            (Op::Change, "DIS"),
            (Op::Comment, "DISC"),
            (Op::Attach, "DIS"),
            (Op::Delete, ""),
            (Op::Advise, ""),
            (Op::Configure, ""),
        ],
    ),
    (
        "sharing_project",
        &[
            (Op::List, "DA"),
            (Op::Create, "D"),
            (Op::Read, "DA"),
            (Op::Change, "D"),
            (Op::Comment, "D"),
            (Op::Attach, "D"),
            (Op::Delete, ""),
            (Op::Advise, ""),
            (Op::Configure, ""),
        ],
    ),
    (
        "privacy_notice",
        &[
            (Op::List, "DISCNTA"),
            (Op::Create, "DIS"),
            (Op::Read, "DISCNTA"),
            (Op::Change, "DIS"),
            (Op::Comment, "DISC"),
            (Op::Attach, "DIS"),
            (Op::Delete, ""),
            (Op::Advise, ""),
            (Op::Configure, ""),
        ],
    ),
    (
        "staff_list_entry",
        &[
            (Op::List, "DISCNTA"),
            (Op::Create, "DI"),
            (Op::Read, "DISCNTA"),
            (Op::Change, "DI"),
            (Op::Comment, ""),
            (Op::Attach, ""),
            (Op::Delete, "DI"),
            (Op::Advise, ""),
            (Op::Configure, "DI"),
        ],
    ),
];

fn letter(role: Role) -> char {
    match role {
        Role::Dpo => 'D',
        Role::IgLead => 'I',
        Role::Siro => 'S',
        Role::CaldicottGuardian => 'C',
        Role::Clinician => 'N',
        Role::Staff => 'T',
        Role::Auditor => 'A',
        Role::SystemAdministrator => 'X',
    }
}

fn intended(kind: Kind, op: Op, role: Role) -> bool {
    let (_, ops) = POLICY
        .iter()
        .find(|(code, _)| *code == kind.code())
        .unwrap_or_else(|| panic!("{} has no intended policy in this test", kind.code()));
    let (_, roles) = ops.iter().find(|(o, _)| *o == op).expect("every operation");
    roles.contains(letter(role))
}

#[test]
fn the_gate_table_is_the_intended_policy() {
    for kind in Kind::ALL {
        for op in Op::ALL {
            for role in ALL_ROLES {
                assert_eq!(
                    kind.allows(role, op),
                    intended(kind, op, role),
                    "{} {:?} {:?}: the gate's table and the intended policy differ",
                    kind.code(),
                    op,
                    role
                );
            }
        }
    }
}

#[test]
fn every_route_declares_its_access_and_names_its_record() {
    for spec in steward_web::routes().specs() {
        match spec.access {
            Access::Record(..) | Access::Attachment => assert!(
                spec.path.contains("{id}"),
                "{} {} names a record but has no {{id}}",
                spec.method,
                spec.path
            ),
            Access::AnyRecord(_) => assert!(
                spec.path.contains("{record_type}") && spec.path.contains("{id}"),
                "{} {}",
                spec.method,
                spec.path
            ),
            // A route for everyone signed in must not name a record: records are decided
            // by the gate, never by a handler alone.
            Access::SignedIn | Access::Public | Access::ManageUsers | Access::AuditTrail => {
                assert!(
                    !spec.path.contains("{id}"),
                    "{} {} takes a record id without naming its kind to the gate",
                    spec.method,
                    spec.path
                )
            }
            Access::Organisation(..) | Access::Cluster(_) => {}
        }
    }
}

/// Who calls: a role in the record's organisation, or someone outside it.
#[derive(Clone, Debug)]
enum Who {
    Role(Role),
    OtherOrganisation,
    OtherCluster,
}

struct Caller {
    who: Who,
    email: String,
    page: Client,
    api: Api,
}

/// What the test expects of one request.
#[derive(Debug, PartialEq)]
enum Expect {
    NotFound,
    Forbidden,
    Allowed,
}

fn expect(who: &Who, kind: Kind, op: Op) -> Expect {
    match who {
        Who::OtherOrganisation | Who::OtherCluster => Expect::NotFound,
        // The system administrator reads no records in any organisation.
        Who::Role(Role::SystemAdministrator) => Expect::Forbidden,
        Who::Role(role) if intended(kind, op, *role) => Expect::Allowed,
        Who::Role(_) => Expect::Forbidden,
    }
}

fn fill(path: &str, values: &HashMap<&str, String>) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('}').expect("closed parameter") + start;
        let name = &rest[start + 1..end];
        out.push_str(values.get(name).map(String::as_str).unwrap_or("0"));
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

async fn send(caller: &Caller, spec: &RouteSpec, url: &str) -> u16 {
    if spec.is_api() {
        let body = serde_json::json!({});
        caller
            .api
            .req(spec.method.clone(), url.trim_start_matches("/api/v1"))
            .json(&body)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    } else if spec.method == Method::GET {
        caller.page.get(url).await.status().as_u16()
    } else if spec.body == BodySize::Upload {
        let csrf = caller.page.csrf().await;
        let form = reqwest::multipart::Form::new().text("csrf", csrf);
        caller
            .page
            .post_multipart(url, form)
            .await
            .status()
            .as_u16()
    } else {
        caller.page.post_form(url, &[]).await.status().as_u16()
    }
}

async fn fresh_action(server: &TestServer, organisation_id: &str) -> String {
    let s = &server.steward;
    let ig = server.user_id(HARBOUR_IG).await;
    let caller = s.caller_for_user(&ig, "test").await.unwrap().unwrap();
    s.create_action(
        &caller,
        organisation_id,
        &steward_core::actions::ActionInput {
            title: "Shred the old appointment books".into(),
            owner_id: ig,
            due_date: "2027-01-31".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .id
}

async fn views(server: &TestServer, email: &str, kind: Kind, id: &str) -> i64 {
    steward_db::query_scalar(
        "SELECT COUNT(*) FROM audit_trail t JOIN users u ON u.id = t.user_id WHERE u.email = $1 AND t.event = 'record.view' AND t.record_type = $2 AND t.record_id = $3",
    )
    .bind(email)
    .bind(kind.code())
    .bind(id)
    .fetch_one(&server.steward.db.pool)
    .await
    .unwrap()
}

both_backends!(
    every_route_for_every_role_and_organisation,
    |server| async move {
        seed_modules(&server).await;
        let s = &server.steward;
        let harbour = server.organisation("Y90001").await;
        // One record of every kind in Harbour View Surgery: the demo must hold one of each, so
        // a new kind without demo data fails here.
        let mut ids: HashMap<Kind, String> = HashMap::new();
        let mut held_by_dpo: Vec<Kind> = vec![];
        for kind in Kind::ALL {
            let sql = format!(
                "SELECT id FROM {} WHERE organisation_id = $1 ORDER BY id LIMIT 1",
                kind.declaration().table
            );
            let mut id: Option<String> = steward_db::query_scalar(&sql)
                .bind(&harbour)
                .fetch_optional(&s.db.pool)
                .await
                .unwrap();
            // Kinds the DPO's own organisation holds for the whole cluster (the quarterly
            // update): their record is taken from there, and only the DPO reaches it.
            if id.is_none()
                && matches!(
                    kind,
                    Kind::ClusterUpdate
                        | Kind::ActionRound
                        | Kind::ActivityTemplate
                        | Kind::SharingProject
                )
            {
                id = steward_db::query_scalar(&sql)
                    .bind(server.organisation("Y90000").await)
                    .fetch_optional(&s.db.pool)
                    .await
                    .unwrap();
                held_by_dpo.push(kind);
            }
            ids.insert(
                kind,
                id.unwrap_or_else(|| panic!("the demo holds no {} in Harbour", kind.code())),
            );
        }
        // An attachment on the action.
        let ig = server.sign_in(HARBOUR_IG).await;
        let csrf = ig.csrf().await;
        let file = reqwest::multipart::Part::bytes(b"minutes".to_vec())
            .file_name("minutes.txt")
            .mime_str("text/plain")
            .unwrap();
        let res = ig
            .post_multipart(
                &format!("/records/action/{}/attachments", ids[&Kind::Action]),
                reqwest::multipart::Form::new()
                    .text("csrf", csrf)
                    .part("file", file),
            )
            .await;
        assert_eq!(res.status(), 303, "the IG lead attaches a file");
        let attachment: String = steward_db::query_scalar(
            "SELECT id FROM attachments WHERE record_type = 'action' LIMIT 1",
        )
        .fetch_one(&s.db.pool)
        .await
        .unwrap();

        // Another cluster, with an IG lead of its own.
        let cluster = s.create_cluster("Elsewhere DPO Service").await.unwrap();
        let elsewhere = s
            .create_organisation(&cluster, "Elsewhere Surgery", "gp_practice", "Y99901")
            .await
            .unwrap();
        s.add_user(
            None,
            &NewUser {
                email: "iglead@elsewhere.test".into(),
                display_name: "Ellis Elsewhere".into(),
                role: "ig_lead".into(),
                organisation_id: elsewhere,
                password: PASSWORD.into(),
            },
        )
        .await
        .unwrap();

        let mut people: Vec<(Who, String)> = vec![];
        for role in ALL_ROLES {
            let email: String = steward_db::query_scalar(
            "SELECT u.email FROM users u WHERE u.role = $1 AND (u.organisation_id = $2 OR u.role IN ('dpo', 'system_administrator')) ORDER BY u.email LIMIT 1",
        )
        .bind(role.as_str())
        .bind(&harbour)
        .fetch_one(&s.db.pool)
        .await
        .unwrap_or_else(|_| panic!("the demo has a {role:?} who can reach Harbour"));
            people.push((Who::Role(role), email));
        }
        people.push((Who::OtherOrganisation, CASTLE_IG.into()));
        people.push((Who::OtherCluster, "iglead@elsewhere.test".into()));
        let mut callers = vec![];
        for (who, email) in people {
            let token = server.api_token(&email).await;
            let page = server.sign_in(&email).await;
            if matches!(
                who,
                Who::Role(Role::Dpo) | Who::Role(Role::SystemAdministrator)
            ) {
                // Cluster-wide roles work in the record's organisation.
                let res = page
                    .post_form("/organisations/switch", &[("organisation_id", &harbour)])
                    .await;
                assert_eq!(res.status(), 303);
            }
            callers.push(Caller {
                who,
                email,
                page,
                api: server.api(&token),
            });
        }

        let table = steward_web::routes();
        let mut specs: Vec<&RouteSpec> = table.specs().iter().collect();
        // Deleting goes last: it removes the record the other requests use.
        specs.sort_by_key(|s| {
            matches!(
                s.access,
                Access::Record(_, Op::Delete) | Access::AnyRecord(Op::Delete)
            )
        });
        let mut checked = 0;
        let mut failures = vec![];
        for spec in specs {
            let targets: Vec<(Kind, Op, HashMap<&str, String>)> = match spec.access {
                Access::Record(kind, op) => {
                    vec![(kind, op, HashMap::from([("id", ids[&kind].clone())]))]
                }
                Access::AnyRecord(op) => Kind::ALL
                    .into_iter()
                    .map(|kind| {
                        (
                            kind,
                            op,
                            HashMap::from([
                                ("id", ids[&kind].clone()),
                                ("record_type", kind.code().to_string()),
                            ]),
                        )
                    })
                    .collect(),
                Access::Attachment => vec![(
                    Kind::Action,
                    Op::Read,
                    HashMap::from([("id", attachment.clone())]),
                )],
                Access::Organisation(kind, op) => vec![(
                    kind,
                    op,
                    HashMap::from([("organisation_id", harbour.clone())]),
                )],
                Access::Cluster(kind) => vec![(kind, Op::List, HashMap::new())],
                _ => continue,
            };
            let names_only_known = !spec.path.split('{').skip(1).any(|p| {
                !["id}", "record_type}", "organisation_id}"]
                    .iter()
                    .any(|k| p.starts_with(k))
            });
            for (kind, op, mut values) in targets {
                let mut url = fill(spec.path, &values);
                // Routes of the caller's current organisation (no {organisation_id}) answer for
                // the organisation the caller works in: outsiders are tested on their own.
                let org_in_path = spec.path.contains("{organisation_id}");
                for caller in &callers {
                    if matches!(spec.access, Access::Organisation(..))
                        && !org_in_path
                        && !matches!(caller.who, Who::Role(_))
                    {
                        continue;
                    }
                    if op == Op::Delete {
                        // Each caller deletes a record of their own making, so one deletion does
                        // not turn the next caller's answer into "not found".
                        values.insert("id", fresh_action(&server, &harbour).await);
                        url = fill(spec.path, &values);
                    }
                    let dpo_record = held_by_dpo.contains(&kind)
                        && matches!(spec.access, Access::Record(..) | Access::AnyRecord(_));
                    let want = match (spec.access, &caller.who) {
                        // Across the cluster: the DPO only; nobody else, wherever they are.
                        (Access::Cluster(_), Who::Role(Role::Dpo)) => Expect::Allowed,
                        (Access::Cluster(_), _) => Expect::Forbidden,
                        // A record of the DPO's organisation: the practices cannot see it.
                        (_, Who::Role(Role::Dpo)) if dpo_record => expect(&caller.who, kind, op),
                        (_, Who::Role(Role::SystemAdministrator)) if dpo_record => {
                            Expect::Forbidden
                        }
                        _ if dpo_record => Expect::NotFound,
                        _ => expect(&caller.who, kind, op),
                    };
                    let before = if want == Expect::Allowed
                        && op == Op::Read
                        && spec.method == Method::GET
                        && matches!(spec.access, Access::Record(..) | Access::AnyRecord(_))
                    {
                        Some(views(&server, &caller.email, kind, &values["id"]).await)
                    } else {
                        None
                    };
                    let status = send(caller, spec, &url).await;
                    checked += 1;
                    let ok = match want {
                        Expect::NotFound => status == 404,
                        Expect::Forbidden => status == 403,
                        Expect::Allowed => {
                            status < 500 && status != 403 && (status != 404 || !names_only_known)
                        }
                    };
                    if !ok {
                        failures.push(format!(
                            "{} {url} ({}) as {:?}: {status}, expected {want:?}",
                            spec.method, spec.path, caller.who
                        ));
                    }
                    if let Some(before) = before {
                        if kind.declaration().personal_data
                            && status < 300
                            && views(&server, &caller.email, kind, &values["id"]).await <= before
                        {
                            failures.push(format!(
                                "GET {url} as {:?}: the read is not on the trail",
                                caller.who
                            ));
                        }
                    }
                }
            }
        }
        assert!(checked > 500, "only {checked} requests were checked");
        assert!(
            failures.is_empty(),
            "{} of {checked} requests broke the policy:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }
);
