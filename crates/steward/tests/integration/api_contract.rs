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

    // 3. Errors as problem details; signed-in routes document 401; JSON bodies document
    //    415 and 422.
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
        if spec.access != Access::Public && !responses.contains_key("401") {
            wrong.push(format!("{name}: no 401"));
        }
        let json_body = op["requestBody"]["content"]
            .get("application/json")
            .is_some();
        if json_body {
            for code in ["415", "422"] {
                if !responses.contains_key(code) {
                    wrong.push(format!("{name}: no {code}"));
                }
            }
        }
        for (code, r) in &responses {
            if code.starts_with('4') || code.starts_with('5') {
                let r = match r.get("$ref").and_then(|x| x.as_str()) {
                    Some(x) => resolve(&doc, x).cloned().unwrap_or_default(),
                    None => r.clone(),
                };
                if r["content"].get("application/problem+json").is_none() {
                    wrong.push(format!("{name}: {code} is not application/problem+json"));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");

    // 4. What the document says is what the server does: no token is 401 problem details.
    let res = s.visitor().get("/api/v1/organisations").await;
    assert_eq!(res.status().as_u16(), 401);
    assert_eq!(
        res.headers()["content-type"].to_str().unwrap(),
        "application/problem+json"
    );
});
