//! The API contract: the OpenAPI document the server publishes describes every route under
//! `/api/v1` and nothing else (compared with the router's own table), every `$ref` resolves,
//! and every error a route can answer is documented as problem details.

use std::collections::BTreeSet;

use crate::both_backends;
use crate::common::*;
use steward_web::routes::Access;

fn resolve<'a>(doc: &'a serde_json::Value, r: &str) -> Option<&'a serde_json::Value> {
    let path = r.strip_prefix("#/")?;
    path.split('/').try_fold(doc, |v, part| v.get(part))
}

fn refs(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                if k == "$ref" {
                    if let Some(s) = x.as_str() {
                        out.push(s.to_string());
                    }
                } else {
                    refs(x, out);
                }
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
        _ => {}
    }
}

both_backends!(openapi_matches_the_router, |s| async move {
    let (status, doc) = json_of(s.visitor().get("/api/v1/openapi.json").await).await;
    assert_eq!(status, 200);

    // 1. The same routes, method by method.
    let methods = ["get", "put", "post", "delete", "patch"];
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for m in methods {
            if item.get(m).is_some() {
                documented.insert((m.to_uppercase(), path.clone()));
            }
        }
    }
    let table = steward_web::routes();
    let routed: BTreeSet<(String, String)> = table
        .specs()
        .iter()
        .filter(|r| r.path.starts_with("/api/v1/"))
        .map(|r| (r.method.to_string(), r.path.to_string()))
        .collect();
    let missing: Vec<_> = routed.difference(&documented).collect();
    let phantom: Vec<_> = documented.difference(&routed).collect();
    assert!(
        missing.is_empty() && phantom.is_empty(),
        "routes not in the OpenAPI document: {missing:#?}\ndocumented routes that do not exist: {phantom:#?}"
    );

    // 2. Every $ref resolves.
    let mut all = Vec::new();
    refs(&doc, &mut all);
    let broken: BTreeSet<_> = all.iter().filter(|r| resolve(&doc, r).is_none()).collect();
    assert!(broken.is_empty(), "unresolvable $ref: {broken:?}");

    // 3. Errors as problem details. Every signed-in operation documents 401 and 403 and
    //    names its security scheme; one that names a record documents 404 and declares each
    //    path parameter; one that changes something documents 409; one with query parameters
    //    documents 400 and 422; one with a body requires it and documents 400 and 413, and with a JSON body
    //    415 and 422 as well; every 4xx and 5xx is application/problem+json with the Problem
    //    schema.
    let mut wrong = Vec::new();
    for spec in table
        .specs()
        .iter()
        .filter(|r| r.path.starts_with("/api/v1/"))
    {
        let m = spec.method.as_str().to_lowercase();
        let op = &doc["paths"][spec.path][&m];
        let responses = op["responses"].as_object().cloned().unwrap_or_default();
        let name = format!("{} {}", spec.method, spec.path);
        let mut must = Vec::new();
        if spec.access != Access::Public {
            must.extend(["401", "403"]);
            if m != "get" {
                must.push("409");
            }
            if op["security"].as_array().is_none_or(|a| a.is_empty()) {
                wrong.push(format!("{name}: no security requirement"));
            }
        }
        let params = op["parameters"].as_array().cloned().unwrap_or_default();
        let declared =
            |name: &str, at: &str| params.iter().any(|p| p["name"] == name && p["in"] == at);
        for seg in spec.path.split('/') {
            if let Some(p) = seg.strip_prefix('{').and_then(|x| x.strip_suffix('}')) {
                must.push("404");
                if !declared(p, "path") {
                    wrong.push(format!("{name}: path parameter {p} not declared"));
                }
            }
        }
        if params.iter().any(|p| p["in"] == "query") {
            must.extend(["400", "422"]);
        }
        let json_body = op["requestBody"]["content"]
            .get("application/json")
            .is_some();
        if op.get("requestBody").is_some() {
            must.extend(["400", "413"]);
            // Every handler that reads a body refuses a request without one, so the
            // document must not call it optional (schemathesis sends a bodiless request
            // to an optional body and expects it accepted).
            if op["requestBody"]["required"] != true {
                wrong.push(format!("{name}: its body is not marked required"));
            }
        }
        if json_body {
            must.extend(["415", "422"]);
        }
        for code in must {
            if !responses.contains_key(code) {
                wrong.push(format!("{name}: no {code}"));
            }
        }
        if !responses.keys().any(|c| c.starts_with('2')) {
            wrong.push(format!("{name}: no success documented"));
        }
        for (code, r) in &responses {
            if code.starts_with('4') || code.starts_with('5') {
                let r = match r.get("$ref").and_then(|x| x.as_str()) {
                    Some(x) => resolve(&doc, x).cloned().unwrap_or_default(),
                    None => r.clone(),
                };
                match r["content"].get("application/problem+json") {
                    None => wrong.push(format!("{name}: {code} is not application/problem+json")),
                    Some(c) if c["schema"]["$ref"] != "#/components/schemas/Problem" => {
                        wrong.push(format!("{name}: {code} is not the Problem schema"))
                    }
                    Some(_) => {}
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");

    // 4. What the document says is what the server does: no token, or a wrong one, is 401
    //    problem details on every signed-in operation.
    let http = reqwest::Client::new();
    for spec in table
        .specs()
        .iter()
        .filter(|r| r.path.starts_with("/api/v1/") && r.access != Access::Public)
    {
        let url = spec
            .path
            .split('/')
            .map(|seg| if seg.starts_with('{') { "x" } else { seg })
            .collect::<Vec<_>>()
            .join("/");
        for token in [None, Some("stw_not_a_token")] {
            let mut req = http.request(spec.method.clone(), s.url(&url));
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            let res = req.send().await.unwrap();
            let ct = res
                .headers()
                .get("content-type")
                .map(|v| v.to_str().unwrap().to_string());
            if res.status().as_u16() != 401 || ct.as_deref() != Some("application/problem+json") {
                wrong.push(format!(
                    "{} {url} with token {token:?}: {} {ct:?}",
                    spec.method,
                    res.status()
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
});
