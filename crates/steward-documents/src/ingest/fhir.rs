//! FHIR R4 JSON: a Bundle (or a single resource) walked into readable lines, one page per
//! resource, each line carrying its FHIRPath-like location for provenance.

use serde_json::{Map, Value};

use super::Limits;
use crate::error::{DocumentError, Result};
use crate::model::{Block, BlockKind, Document, Format, Page};

/// Keys that carry only machinery (code system URLs, profiles), never personal data.
const SKIP: &[&str] = &[
    "system",
    "url",
    "profile",
    "meta",
    "fullUrl",
    "versionId",
    "div",
];

pub(super) fn read(name: &str, bytes: &[u8], limits: &Limits) -> Result<Document> {
    let text = super::decode_text(bytes);
    let root: Value =
        serde_json::from_str(&text).map_err(|e| super::corrupt(name, "FHIR JSON", e))?;
    let root_type = root
        .get("resourceType")
        .and_then(Value::as_str)
        .ok_or_else(|| super::corrupt(name, "FHIR JSON", "no resourceType"))?;
    let mut resources: Vec<(String, &Value)> = Vec::new();
    if root_type == "Bundle" {
        if let Some(entries) = root.get("entry").and_then(Value::as_array) {
            for (i, entry) in entries.iter().enumerate() {
                if let Some(res) = entry.get("resource") {
                    resources.push((format!("Bundle.entry[{i}].resource"), res));
                }
            }
        }
    } else {
        resources.push((root_type.to_owned(), &root));
    }
    if resources.len() > limits.max_fhir_resources {
        return Err(DocumentError::TooManyPages {
            name: name.into(),
            count: resources.len(),
            limit: limits.max_fhir_resources,
        });
    }
    let mut warnings = Vec::new();
    if resources.is_empty() {
        warnings.push("FHIR bundle holds no resources".to_owned());
    }
    let pages = resources
        .into_iter()
        .enumerate()
        .map(|(i, (path, res))| {
            let rtype = res
                .get("resourceType")
                .and_then(Value::as_str)
                .unwrap_or("Resource");
            let id = res.get("id").and_then(Value::as_str).unwrap_or("");
            let mut blocks = vec![Block::new(
                if id.is_empty() {
                    rtype.to_owned()
                } else {
                    format!("{rtype} {id}")
                },
                format!("{path}({rtype})"),
            )];
            if let Some(div) = res.pointer("/text/div").and_then(Value::as_str) {
                if let Ok(t) = super::html::html_to_text(div.as_bytes()) {
                    let t = t.split_whitespace().collect::<Vec<_>>().join(" ");
                    if !t.is_empty() {
                        blocks.push(Block::new(
                            format!("Narrative: {t}"),
                            format!("{path}({rtype}).text.div"),
                        ));
                    }
                }
            }
            if let Value::Object(map) = res {
                walk_object(map, &format!("{path}({rtype})"), "", &mut blocks);
            }
            // The resource's name as a heading, its elements as labelled fields.
            for (j, b) in blocks.iter_mut().enumerate() {
                b.kind = if j == 0 {
                    BlockKind::Heading(2)
                } else {
                    BlockKind::Field
                };
            }
            Page {
                number: i as u32 + 1,
                label: format!("{rtype} {id}").trim().to_owned(),
                blocks,
                needs_manual_review: false,
            }
        })
        .collect();
    Ok(Document {
        name: name.into(),
        format: Format::FhirJson,
        pages,
        warnings,
    })
}

fn humanise(key: &str) -> String {
    let mut out = String::new();
    for (i, c) in key.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push(' ');
            out.extend(c.to_lowercase());
        } else if i == 0 {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn strs(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

/// Formats well-known FHIR datatypes into one line; None for anything else.
fn datatype_line(key: &str, map: &Map<String, Value>) -> Option<String> {
    let label = humanise(key);
    let text = map.get("text").and_then(Value::as_str);
    // HumanName
    if map.contains_key("family") || map.contains_key("given") {
        let mut parts = strs(map.get("prefix"));
        parts.extend(strs(map.get("given")));
        parts.extend(strs(map.get("family")));
        parts.extend(strs(map.get("suffix")));
        let name = text.map(str::to_owned).unwrap_or_else(|| parts.join(" "));
        let use_ = map.get("use").and_then(Value::as_str);
        return Some(match use_ {
            Some(u) => format!("{label} ({u}): {name}"),
            None => format!("{label}: {name}"),
        });
    }
    // Address
    if ["line", "city", "postalCode", "district"]
        .iter()
        .any(|k| map.contains_key(*k))
    {
        let mut parts = strs(map.get("line"));
        for k in ["city", "district", "state", "postalCode", "country"] {
            parts.extend(strs(map.get(k)));
        }
        let addr = text.map(str::to_owned).unwrap_or_else(|| parts.join(", "));
        return Some(format!("{label}: {addr}"));
    }
    // ContactPoint
    if let (Some(system), Some(value)) = (
        map.get("system").and_then(Value::as_str),
        map.get("value").and_then(Value::as_str),
    ) {
        if !system.contains(':') {
            let use_ = map.get("use").and_then(Value::as_str).unwrap_or("");
            let kind = format!("{system} {use_}");
            return Some(format!("{label} ({}): {value}", kind.trim()));
        }
    }
    // Annotation
    if key == "note" {
        if let Some(t) = text {
            let mut line = format!("Note: {t}");
            if let Some(a) = map.get("authorString").and_then(Value::as_str) {
                line.push_str(&format!(" (by {a})"));
            }
            if let Some(d) = map.get("time").and_then(Value::as_str) {
                line.push_str(&format!(" [{d}]"));
            }
            return Some(line);
        }
    }
    // Period
    if map.contains_key("start") || map.contains_key("end") {
        let s = map.get("start").and_then(Value::as_str).unwrap_or("");
        let e = map.get("end").and_then(Value::as_str).unwrap_or("");
        if map.len() <= 2 {
            return Some(format!("{label}: {s} to {e}"));
        }
    }
    // Quantity
    if let Some(v) = map.get("value").filter(|v| v.is_number()) {
        let unit = map
            .get("unit")
            .or_else(|| map.get("code"))
            .and_then(Value::as_str)
            .unwrap_or("");
        return Some(format!("{label}: {v} {unit}").trim().to_owned());
    }
    // CodeableConcept / Reference with display
    if map.contains_key("coding") || map.contains_key("display") {
        let mut shown: Vec<String> = text.map(|t| vec![t.to_owned()]).unwrap_or_default();
        if let Some(d) = map.get("display").and_then(Value::as_str) {
            shown.push(d.to_owned());
        }
        if shown.is_empty() {
            if let Some(codings) = map.get("coding").and_then(Value::as_array) {
                for c in codings {
                    match (
                        c.get("display").and_then(Value::as_str),
                        c.get("code").and_then(Value::as_str),
                    ) {
                        (Some(d), Some(code)) => shown.push(format!("{d} ({code})")),
                        (Some(d), None) => shown.push(d.to_owned()),
                        (None, Some(code)) => shown.push(code.to_owned()),
                        _ => {}
                    }
                }
            }
        }
        if let Some(r) = map.get("reference").and_then(Value::as_str) {
            shown.push(format!("[{r}]"));
        }
        if !shown.is_empty() {
            return Some(format!("{label}: {}", shown.join("; ")));
        }
    }
    None
}

fn walk_object(map: &Map<String, Value>, path: &str, key: &str, out: &mut Vec<Block>) {
    if !key.is_empty() {
        if let Some(line) = datatype_line(key, map) {
            out.push(Block::new(line, path.to_owned()));
            // Extensions inside a datatype may still hold text: walk them too.
            if let Some(ext) = map.get("extension") {
                walk(ext, &format!("{path}.extension"), "extension", out);
            }
            return;
        }
    }
    for (k, v) in map {
        if SKIP.contains(&k.as_str()) || k == "resourceType" || (key.is_empty() && k == "id") {
            continue;
        }
        if key.is_empty() && k == "text" && v.is_object() {
            continue; // narrative handled by the caller
        }
        walk(v, &format!("{path}.{k}"), k, out);
    }
}

fn walk(value: &Value, path: &str, key: &str, out: &mut Vec<Block>) {
    match value {
        Value::Object(map) => walk_object(map, path, key, out),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                walk(item, &format!("{path}[{i}]"), key, out);
            }
        }
        Value::String(s) => {
            let s = super::clean(s);
            if !s.trim().is_empty() {
                out.push(Block::new(
                    format!("{}: {}", humanise(key), s.trim()),
                    path.to_owned(),
                ));
            }
        }
        Value::Number(n) => out.push(Block::new(
            format!("{}: {n}", humanise(key)),
            path.to_owned(),
        )),
        Value::Bool(b) => out.push(Block::new(
            format!("{}: {}", humanise(key), if *b { "yes" } else { "no" }),
            path.to_owned(),
        )),
        Value::Null => {}
    }
}
