//! The automated accessibility check: axe-core (from the npm registry, pinned and installed
//! by scripts/test.sh) injected into the page in headless Chromium. A page passes when axe
//! finds no serious or critical violation.

use fantoccini::Client as Browser;
use serde_json::Value;

fn axe_source() -> String {
    let path = std::env::var("STEWARD_AXE_JS").unwrap_or_else(|_| {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../target/axe/node_modules/axe-core/axe.min.js"
        )
        .into()
    });
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!("axe-core is needed for the accessibility check ({path}: {e}); scripts/test.sh installs it with npm")
    })
}

/// Runs axe-core on the current page and fails on any serious or critical violation,
/// naming the rule, its help text and the first elements it found.
pub async fn assert_accessible(b: &Browser, what: &str) {
    b.execute(&axe_source(), vec![])
        .await
        .unwrap_or_else(|e| panic!("injecting axe-core into {what}: {e}"));
    let result = b
        .execute_async(
            r#"const done = arguments[arguments.length - 1];
               axe.run(document, { resultTypes: ["violations"] })
                 .then(r => done(JSON.stringify(r.violations.map(v => ({
                     id: v.id, impact: v.impact, help: v.help,
                     nodes: v.nodes.slice(0, 3).map(n => n.target.join(" ")) })))))
                 .catch(e => done(JSON.stringify({ error: String(e) })));"#,
            vec![],
        )
        .await
        .unwrap_or_else(|e| panic!("running axe-core on {what}: {e}"));
    let text = result.as_str().expect("axe answers JSON text");
    let v: Value = serde_json::from_str(text).unwrap();
    assert!(
        v.get("error").is_none(),
        "axe-core failed on {what}: {text}"
    );
    let bad: Vec<&Value> = v
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| matches!(x["impact"].as_str(), Some("serious" | "critical")))
        .collect();
    assert!(
        bad.is_empty(),
        "{what}: {} serious or critical accessibility violations: {}",
        bad.len(),
        serde_json::to_string_pretty(&bad).unwrap()
    );
}
