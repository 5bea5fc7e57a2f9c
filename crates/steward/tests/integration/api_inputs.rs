//! What the API does with bad input and how every list pages, walked from the OpenAPI
//! document itself (not a hand-picked list): every operation that takes a JSON body is sent
//! `[]`, a scalar, `null`, a body whose every field has the wrong type, and `{}` as
//! text/plain, and must answer 4xx problem details (never 2xx, never 5xx); every list
//! operation pages by `page` and `size` with the same answer shape and the same rules.

use std::collections::BTreeMap;

use crate::both_backends;
use crate::common::*;
use steward_web::routes::Access;

/// A real id for each path parameter of an operation, so that the route guard lets the
/// request through to the body (an unknown id would stop it at 404 before the body is read).
struct Ids {
    harbour: String,
    by_table: BTreeMap<&'static str, String>,
    action: String,
}

impl Ids {
    async fn new(s: &TestServer) -> Ids {
        let harbour = s.organisation("Y90001").await;
        let mut by_table = BTreeMap::new();
        for kind in steward_core::Kind::ALL {
            let table = kind.declaration().table;
            let id: Option<String> =
                steward_db::query_scalar(&format!("SELECT id FROM {table} ORDER BY id LIMIT 1"))
                    .fetch_optional(&s.steward.db.pool)
                    .await
                    .unwrap_or(None);
            if let Some(id) = id {
                by_table.insert(table, id);
            }
        }
        let action: String = steward_db::query_scalar("SELECT id FROM actions ORDER BY id LIMIT 1")
            .fetch_one(&s.steward.db.pool)
            .await
            .expect("the demo has actions");
        Ids {
            harbour,
            by_table,
            action,
        }
    }

    /// The path with its parameters filled: the organisation is Harbour View, `{id}` a
    /// record of the route's kind, anything else a value that names nothing.
    fn fill(&self, method: &str, path: &str) -> String {
        let spec = steward_web::routes()
            .specs()
            .iter()
            .find(|r| r.method.as_str().eq_ignore_ascii_case(method) && r.path == path)
            .cloned()
            .unwrap_or_else(|| panic!("{method} {path} is routed"));
        let id = match spec.access {
            Access::Record(kind, _) => self
                .by_table
                .get(kind.declaration().table)
                .cloned()
                .unwrap_or_else(|| "no-such-record".into()),
            Access::AnyRecord(_) => self.action.clone(),
            _ => "no-such-record".into(),
        };
        path.replace("{organisation_id}", &self.harbour)
            .replace("{record_type}", "action")
            .replace("{id}", &id)
            .split('/')
            .map(|seg| {
                if seg.starts_with('{') {
                    "no-such-thing"
                } else {
                    seg
                }
            })
            .collect::<Vec<_>>()
            .join("/")
    }
}

fn resolve<'a>(doc: &'a serde_json::Value, v: &'a serde_json::Value) -> &'a serde_json::Value {
    match v.get("$ref").and_then(|r| r.as_str()) {
        Some(r) => r
            .trim_start_matches("#/")
            .split('/')
            .fold(doc, |d, part| &d[part]),
        None => v,
    }
}

/// A value of a type other than the schema's.
fn wrong_value(doc: &serde_json::Value, schema: &serde_json::Value) -> serde_json::Value {
    let schema = resolve(doc, schema);
    let types: Vec<String> = match &schema["type"] {
        serde_json::Value::String(t) => vec![t.clone()],
        serde_json::Value::Array(a) => a
            .iter()
            .filter_map(|t| t.as_str().map(String::from))
            .collect(),
        _ => vec![],
    };
    if types.iter().any(|t| t == "string") {
        serde_json::json!({"not": "a string"})
    } else if types.iter().any(|t| t == "object") {
        serde_json::json!(12345)
    } else if types.iter().any(|t| t == "array") {
        serde_json::json!({"not": "an array"})
    } else if types
        .iter()
        .any(|t| t == "integer" || t == "number" || t == "boolean")
    {
        serde_json::json!("not a number")
    } else if schema.get("enum").is_some() || schema.get("oneOf").is_some() {
        serde_json::json!({"not": "one of them"})
    } else {
        serde_json::json!([["nothing like it"]])
    }
}

/// A JSON object with every property of the body's schema of the wrong type.
fn wrong_body(doc: &serde_json::Value, schema: &serde_json::Value) -> serde_json::Value {
    let schema = resolve(doc, schema);
    let mut props = serde_json::Map::new();
    let mut add = |s: &serde_json::Value| {
        if let Some(p) = resolve(doc, s)["properties"].as_object() {
            for (k, v) in p {
                props.insert(k.clone(), wrong_value(doc, v));
            }
        }
    };
    add(schema);
    for part in schema["allOf"].as_array().into_iter().flatten() {
        add(part);
    }
    if props.is_empty() {
        // A map of strings (the registers): a number where text belongs.
        props.insert("name".into(), serde_json::json!(12345));
    }
    serde_json::Value::Object(props)
}

fn is_problem(res: &reqwest::Response) -> bool {
    res.headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/problem+json"))
}

both_backends!(
    bad_bodies_are_refused_on_every_json_operation,
    |s| async move {
        seed_modules(&s).await;
        let (_, doc) = json_of(s.visitor().get("/api/v1/openapi.json").await).await;
        let ids = Ids::new(&s).await;
        let callers = [
            s.api(&s.api_token(DPO).await),
            s.api(&s.api_token(HARBOUR_IG).await),
        ];
        let http = reqwest::Client::new();
        let mut wrong = Vec::new();
        let (mut operations, mut reached) = (0, 0);
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for (method, op) in item.as_object().expect("operation") {
                let Some(schema) = op["requestBody"]["content"]["application/json"].get("schema")
                else {
                    continue;
                };
                operations += 1;
                let url = ids.fill(method, path);
                let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
                let bodies = [
                    ("[]", "[]".to_string()),
                    ("a number", "42".to_string()),
                    ("null", "null".to_string()),
                    ("a string", "\"text\"".to_string()),
                    ("wrong types", wrong_body(&doc, schema).to_string()),
                ];
                // The first caller the guard lets through (the DPO, else Harbour's IG lead).
                let mut through = false;
                for api in &callers {
                    let probe = http
                        .request(m.clone(), format!("{}{url}", s.base))
                        .bearer_auth(&api.token)
                        .header("content-type", "application/json")
                        .body("[]")
                        .send()
                        .await
                        .unwrap();
                    if matches!(probe.status().as_u16(), 401 | 403 | 404) {
                        continue;
                    }
                    through = true;
                    for (what, body) in &bodies {
                        let res = http
                            .request(m.clone(), format!("{}{url}", s.base))
                            .bearer_auth(&api.token)
                            .header("content-type", "application/json")
                            .body(body.clone())
                            .send()
                            .await
                            .unwrap();
                        let status = res.status().as_u16();
                        let problem = is_problem(&res);
                        let expected = if *what == "wrong types" {
                            (400..500).contains(&status)
                        } else {
                            status == 422
                        };
                        if !expected || !problem {
                            let text = res.text().await.unwrap_or_default();
                            wrong.push(format!(
                                "{} {path} with {what} ({body}): {status} problem={problem} {text}",
                                method.to_uppercase()
                            ));
                        }
                    }
                    let res = http
                        .request(m.clone(), format!("{}{url}", s.base))
                        .bearer_auth(&api.token)
                        .header("content-type", "text/plain")
                        .body("{}")
                        .send()
                        .await
                        .unwrap();
                    if res.status().as_u16() != 415 || !is_problem(&res) {
                        wrong.push(format!(
                            "{} {path} with text/plain: {}",
                            method.to_uppercase(),
                            res.status()
                        ));
                    }
                    break;
                }
                if through {
                    reached += 1;
                }
            }
        }
        assert!(wrong.is_empty(), "{wrong:#?}");
        // The walk is not vacuous: most JSON operations were reached past the guard.
        assert!(
            operations >= 60,
            "only {operations} JSON operations documented"
        );
        assert!(
            reached * 10 >= operations * 8,
            "only {reached} of {operations} JSON operations were reached with a real record"
        );
    }
);

/// The list operations: every GET whose parameters include `page` and `size`.
fn list_operations(doc: &serde_json::Value) -> Vec<String> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        let Some(op) = item.get("get") else { continue };
        let names: Vec<&str> = op["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["in"] == "query")
            .filter_map(|p| p["name"].as_str())
            .collect();
        if names.contains(&"page") && names.contains(&"size") {
            out.push(path.clone());
        }
    }
    out
}

both_backends!(every_list_pages_the_same_way, |s| async move {
    seed_modules(&s).await;
    let (_, doc) = json_of(s.visitor().get("/api/v1/openapi.json").await).await;
    let ids = Ids::new(&s).await;
    let dpo = s.api(&s.api_token(DPO).await);
    let lists = list_operations(&doc);
    assert!(
        lists.len() >= 30,
        "only {} list operations: {lists:?}",
        lists.len()
    );
    let mut checked = 0;
    let mut wrong = Vec::new();
    for path in &lists {
        // Every list documents the one page shape.
        let ok =
            &doc["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"];
        let shape = resolve(&doc, ok);
        for field in ["items", "total", "page", "size", "pages"] {
            if shape["properties"].get(field).is_none() {
                wrong.push(format!("{path}: the answer documents no {field}"));
            }
        }
        let url = &ids.fill("get", path)[7..];
        let sep = if url.contains('?') { '&' } else { '?' };
        let (status, first) = dpo.get(&format!("{url}{sep}size=2")).await;
        if status != 200 {
            // Lists the DPO may not see (or of no such record) answer problem details.
            assert!((400..500).contains(&status), "{path}: {status} {first}");
            continue;
        }
        checked += 1;
        let total = first["total"].as_i64().expect("total");
        let pages = first["pages"].as_i64().expect("pages");
        assert_eq!(first["size"], 2, "{path}: {first}");
        assert_eq!(first["page"], 1, "{path}: {first}");
        assert_eq!(pages, ((total + 1) / 2).max(1), "{path}: {first}");
        assert_eq!(
            first["items"].as_array().unwrap().len() as i64,
            total.min(2),
            "{path}: {first}"
        );
        // The last page holds the rest; past the last answers the last.
        let (_, last) = dpo.get(&format!("{url}{sep}size=2&page={pages}")).await;
        let rest = if total == 0 {
            0
        } else {
            total - 2 * (pages - 1)
        };
        assert_eq!(
            last["items"].as_array().unwrap().len() as i64,
            rest,
            "{path}: {last}"
        );
        assert_eq!(last["total"], total, "{path}");
        let (status, past) = dpo
            .get(&format!("{url}{sep}size=2&page={}", pages + 1000))
            .await;
        assert_eq!(status, 200, "{path}: {past}");
        assert_eq!(past["page"], pages, "{path}: {past}");
        assert_eq!(past["items"], last["items"], "{path}");
        assert_eq!(past["total"], total, "{path}");
        // Out of range, or not a number: problem details.
        for (query, expected) in [
            ("page=0", 422),
            ("size=0", 422),
            ("size=501", 422),
            ("page=-3", 422),
            ("page=two", 400),
            ("size=", 400),
        ] {
            let res = dpo
                .req(reqwest::Method::GET, &format!("{url}{sep}{query}"))
                .send()
                .await
                .unwrap();
            let problem = is_problem(&res);
            let status = res.status().as_u16();
            if status != expected || !problem {
                wrong.push(format!("{path}?{query}: {status} problem={problem}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
    assert!(checked >= 25, "only {checked} lists answered the DPO");
});

both_backends!(a_long_review_comes_back_in_pages, |s| async move {
    seed_modules(&s).await;
    let ig = s.api(&s.api_token(HARBOUR_IG).await);
    let harbour = s.organisation("Y90001").await;
    let (_, requests) = ig
        .get(&format!("/organisations/{harbour}/requests?size=500"))
        .await;
    let mut review = None;
    for r in requests["items"].as_array().unwrap() {
        let id = r["id"].as_str().unwrap().to_string();
        let (status, body) = ig.get(&format!("/requests/{id}/review?size=3")).await;
        if status == 200 {
            review = Some((id, body));
            break;
        }
    }
    let (id, first) = review.expect("the demo has a request with a redaction run");
    let total = first["total"].as_i64().unwrap();
    assert!(total > 3, "the demo run proposes more than a page: {first}");
    assert_eq!(first["items"].as_array().unwrap().len(), 3);
    assert_eq!(first["pages"], (total + 2) / 3);
    assert!(first["run"].is_object() && first["flags"].is_array());
    // Every proposal once, across the pages, in order.
    let mut seen = Vec::new();
    for page in 1..=first["pages"].as_i64().unwrap() {
        let (_, p) = ig
            .get(&format!("/requests/{id}/review?size=3&page={page}"))
            .await;
        for item in p["items"].as_array().unwrap() {
            seen.push(item["seq"].as_i64().unwrap());
        }
    }
    assert_eq!(seen.len() as i64, total);
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), seen.len(), "no proposal twice");
    // The default page is 100 proposals.
    let (_, default) = ig.get(&format!("/requests/{id}/review")).await;
    assert_eq!(default["size"], 100);
    assert_eq!(
        default["items"].as_array().unwrap().len() as i64,
        total.min(100)
    );
});

// An action an audit round set (other records refer to it) cannot be deleted: 409 problem
// details saying why, never a server error, and the action is still there.
both_backends!(an_action_a_round_refers_to_is_not_deleted, |s| async move {
    seed_modules(&s).await;
    let dpo = s.api(&s.api_token(DPO).await);
    let action: String =
        steward_db::query_scalar("SELECT action_id FROM action_round_tasks ORDER BY action_id")
            .fetch_one(&s.steward.db.pool)
            .await
            .expect("the demo sent an action round");
    let res = dpo
        .req(reqwest::Method::DELETE, &format!("/actions/{action}"))
        .send()
        .await
        .unwrap();
    assert!(is_problem(&res), "{:?}", res.headers());
    let (status, body) = json_of(res).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["status"], 409);
    assert!(
        body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("audit round") && d.contains("cannot be deleted")),
        "{body}"
    );
    let (status, kept) = dpo.get(&format!("/actions/{action}")).await;
    assert_eq!(status, 200, "{kept}");
    assert_eq!(kept["id"], action.as_str());
});

// Any change a foreign key refuses is a conflict on both databases (the one mapping of
// storage errors in the core), so no service answers 500 for it.
both_backends!(a_broken_link_is_a_conflict, |s| async move {
    seed_modules(&s).await;
    let action: String =
        steward_db::query_scalar("SELECT action_id FROM action_round_tasks ORDER BY action_id")
            .fetch_one(&s.steward.db.pool)
            .await
            .expect("the demo sent an action round");
    let err = steward_db::query("DELETE FROM actions WHERE id = $1")
        .bind(&action)
        .execute(&s.steward.db.pool)
        .await
        .expect_err("the foreign key refuses it");
    match steward_core::CoreError::from(err) {
        steward_core::CoreError::Conflict(m) => assert_eq!(m, steward_core::error::BROKEN_LINK),
        other => panic!("not a conflict: {other:?}"),
    }
});

// A checklist step is named in the path: one the request's checklist does not have is 404
// problem details, as for any record that does not exist (not 422 for a valid body).
both_backends!(an_unknown_step_is_not_found, |s| async move {
    seed_modules(&s).await;
    let ig = s.api(&s.api_token(HARBOUR_IG).await);
    let harbour = s.organisation("Y90001").await;
    let (_, requests) = ig
        .get(&format!("/organisations/{harbour}/requests?status=open"))
        .await;
    let id = requests["items"][0]["id"]
        .as_str()
        .expect("the demo has an open request")
        .to_string();
    let res = ig
        .req(
            reqwest::Method::POST,
            &format!("/requests/{id}/steps/no_such_step"),
        )
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert!(is_problem(&res));
    let (status, body) = json_of(res).await;
    assert_eq!(status, 404, "{body}");
});

// The document describes the values the handlers accept, so that data valid by the
// document is accepted: the enumerated formats, the month and quarter patterns, the
// verdicts. And a value outside them is refused, as the document says.
both_backends!(the_document_says_what_is_accepted, |s| async move {
    seed_modules(&s).await;
    let (_, doc) = json_of(s.visitor().get("/api/v1/openapi.json").await).await;
    let param = |path: &str, name: &str| -> serde_json::Value {
        doc["paths"][path]["get"]["parameters"]
            .as_array()
            .unwrap_or_else(|| panic!("{path} has parameters"))
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("{path} has {name}"))["schema"]
            .clone()
    };
    // The enumerated strings, wherever the schema (or a branch of it) lists them.
    fn enumerated(schema: &serde_json::Value) -> Vec<String> {
        match schema {
            serde_json::Value::Object(o) => match o.get("enum").and_then(|e| e.as_array()) {
                Some(e) => e
                    .iter()
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect(),
                None => o.values().flat_map(enumerated).collect(),
            },
            serde_json::Value::Array(a) => a.iter().flat_map(enumerated).collect(),
            _ => vec![],
        }
    }
    assert_eq!(
        enumerated(&param("/api/v1/requests/{id}/letter", "format")),
        ["pdf", "docx"]
    );
    assert_eq!(
        enumerated(&param("/api/v1/dpias/{id}/export", "format")),
        ["pdf", "docx", "json", "cnil"]
    );
    assert_eq!(
        param("/api/v1/access-audit/report", "period")["pattern"],
        "^[0-9]{4}-(0[1-9]|1[0-2])$"
    );
    assert_eq!(
        param(
            "/api/v1/organisations/{organisation_id}/incidents",
            "quarter"
        )["pattern"],
        "^([0-9]{4}-Q[1-4])?$"
    );
    let schemas = &doc["components"]["schemas"];
    assert_eq!(
        enumerated(&schemas["DecisionInput"]["properties"]["verdict"]),
        ["accept", "reject"]
    );
    // The codes a text field takes, from the domain's lists and the rule files.
    let codes = |list: &[(&str, &str)]| -> Vec<String> {
        list.iter().map(|(c, _)| c.to_string()).collect()
    };
    assert_eq!(
        enumerated(&schemas["DestructionInput"]["properties"]["method"]),
        codes(&steward_compliance::records::METHODS)
    );
    assert_eq!(
        enumerated(&schemas["TestInput"]["properties"]["outcome"]),
        codes(&steward_compliance::continuity::OUTCOMES)
    );
    let body = |method: &str, path: &str| -> serde_json::Value {
        doc["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"].clone()
    };
    let partner_types: Vec<String> = steward_registers::rules(&s.steward)
        .choices("partner_type")
        .into_iter()
        .map(|c| c.code)
        .collect();
    assert!(!partner_types.is_empty());
    for (method, path) in [
        (
            "post",
            "/api/v1/organisations/{organisation_id}/sharing-partners",
        ),
        ("put", "/api/v1/sharing-partners/{id}"),
    ] {
        assert_eq!(
            enumerated(&body(method, path)["properties"]["partner_type"]),
            partner_types,
            "{method} {path}"
        );
    }
    // The DPIA's author and its signer take different steps; asking for changes or
    // rejecting needs a note.
    assert_eq!(
        enumerated(&body("post", "/api/v1/dpias/{id}/steps")["properties"]["step"]),
        ["submit", "new_version"]
    );
    let sign_off = body("post", "/api/v1/dpias/{id}/sign-off");
    assert_eq!(
        enumerated(&sign_off["properties"]["step"]),
        ["approve", "request_changes", "reject"]
    );
    assert_eq!(
        sign_off["anyOf"][1]["required"],
        serde_json::json!(["note"])
    );
    // Two types never share one component name: each of these is its own schema.
    for name in [
        "RetentionOutcome",
        "AuditOutcome",
        "ScreeningOutcome",
        "NoticeSection",
        "UpdateSection",
        "DpiaSection",
        "DpiaRisk",
        "DpiaStepInput",
        "DpiaStartInput",
        "ScreeningAnswer",
        "ReviewCompleteInput",
        "CompleteInput",
        "StepInput",
        "StartInput",
        "Answer",
        "Risk",
    ] {
        assert!(schemas[name].is_object(), "no schema {name}");
    }
    // The names that were shared are gone.
    for name in ["Outcome", "Section"] {
        assert!(
            schemas.get(name).is_none(),
            "a schema is still named {name}"
        );
    }
    // Outside the enumeration, the handler refuses, as the document says.
    let dpo = s.api(&s.api_token(DPO).await);
    let dpia: String = steward_db::query_scalar("SELECT id FROM dpias ORDER BY id LIMIT 1")
        .fetch_one(&s.steward.db.pool)
        .await
        .expect("the demo has a DPIA");
    let (status, _) = dpo.get(&format!("/dpias/{dpia}/export?format=text")).await;
    assert_eq!(status, 400);
    let (status, body) = dpo.get(&format!("/dpias/{dpia}/export?format=cnil")).await;
    assert_eq!(status, 200, "{body}");
});

// Every multipart upload answers a body that cannot be read as multipart (no boundary) with
// 400 problem details, as the document says, never a plain-text rejection.
both_backends!(unreadable_uploads_are_problem_details, |s| async move {
    seed_modules(&s).await;
    let (_, doc) = json_of(s.visitor().get("/api/v1/openapi.json").await).await;
    let ids = Ids::new(&s).await;
    let callers = [
        s.api(&s.api_token(DPO).await),
        s.api(&s.api_token(HARBOUR_IG).await),
    ];
    let http = reqwest::Client::new();
    let (mut uploads, mut wrong) = (0, Vec::new());
    for (path, item) in doc["paths"].as_object().expect("paths") {
        let Some(op) = item.get("post") else { continue };
        if op["requestBody"]["content"]
            .get("multipart/form-data")
            .is_none()
        {
            continue;
        }
        uploads += 1;
        assert!(op["responses"].get("400").is_some(), "{path}: no 400");
        let url = ids.fill("post", path);
        let mut answered = None;
        for api in &callers {
            let res = http
                .post(format!("{}{url}", s.base))
                .bearer_auth(&api.token)
                .header("content-type", "multipart/form-data")
                .body("not multipart")
                .send()
                .await
                .unwrap();
            if matches!(res.status().as_u16(), 403 | 404) {
                continue;
            }
            answered = Some((res.status().as_u16(), is_problem(&res)));
            break;
        }
        match answered {
            Some((400, true)) => {}
            other => wrong.push(format!("POST {path}: {other:?}")),
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
    assert!(
        uploads >= 4,
        "only {uploads} multipart operations documented"
    );
});

both_backends!(
    a_multipart_body_holds_its_named_parts_and_no_other,
    |s| async move {
        let api = s.api(&s.api_token(HARBOUR_IG).await);
        let org = s.organisation("Y90001").await;
        let owner = s.user_id(HARBOUR_IG).await;
        let (status, action) = api
        .send(
            reqwest::Method::POST,
            &format!("/organisations/{org}/actions"),
            &serde_json::json!({"title": "file the report", "owner_id": owner, "due_date": (chrono::Utc::now().date_naive() + chrono::Duration::days(5)).to_string()}),
        )
        .await;
        assert_eq!(status, 201, "{action}");
        let path = format!(
            "/records/action/{}/attachments",
            action["id"].as_str().unwrap()
        );
        let post = |form: reqwest::multipart::Form| {
            let req = api.req(reqwest::Method::POST, &path).multipart(form);
            async move { json_of(req.send().await.unwrap()).await }
        };
        let file = || reqwest::multipart::Part::bytes(b"notes".to_vec()).file_name("notes.txt");

        // A part the operation does not read: refused by name, nothing stored, wherever it stands.
        for form in [
            reqwest::multipart::Form::new()
                .part("file", file())
                .text("description", "x"),
            reqwest::multipart::Form::new()
                .text("description", "x")
                .part("file", file()),
        ] {
            let (status, problem) = post(form).await;
            assert_eq!(status, 422, "{problem}");
            assert_eq!(problem["errors"][0]["field"], "description", "{problem}");
        }
        // No part at all (an empty stream, which the reader refuses as unreadable), or two
        // files.
        let (status, problem) = post(reqwest::multipart::Form::new()).await;
        assert!(status == 400 || status == 422, "{status} {problem}");
        assert_eq!(problem["status"], status);
        let (status, problem) = post(
            reqwest::multipart::Form::new()
                .part("file", file())
                .part("file", file()),
        )
        .await;
        assert_eq!(status, 422, "{problem}");
        let (_, list) = api.get(&path).await;
        assert_eq!(list["items"], serde_json::json!([]), "nothing was stored");
        // A part whose header cannot be read is 400 problem details, not 5xx.
        let res = api
            .req(reqwest::Method::POST, &path)
            .header("content-type", "multipart/form-data; boundary=b")
            .body("--b\r\nContent-Disposition: form-data; name=\"\x19\"\r\n\r\nx\r\n--b--\r\n")
            .send()
            .await
            .unwrap();
        let (status, problem) = json_of(res).await;
        assert_eq!(status, 400, "{problem}");
        // The one part it reads: stored.
        let (status, body) = post(reqwest::multipart::Form::new().part("file", file())).await;
        assert_eq!(status, 201, "{body}");
        // The document says so: only the named parts, and the body required.
        let (_, doc) = json_of(s.visitor().get("/api/v1/openapi.json").await).await;
        let body =
            &doc["paths"]["/api/v1/records/{record_type}/{id}/attachments"]["post"]["requestBody"];
        assert_eq!(body["required"], true);
        assert_eq!(
            body["content"]["multipart/form-data"]["schema"]["additionalProperties"],
            false
        );
    }
);
