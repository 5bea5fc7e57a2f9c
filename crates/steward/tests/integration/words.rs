//! Words a DPO reads: a walk through every page each demo role can reach from the menu and
//! the links on its pages, asserting that no page shows an engine id, a code, a repository
//! file name, "(s)" or an ISO date in its visible text. One shared check: a new module's
//! pages are walked as soon as they are linked.

use std::collections::{BTreeSet, VecDeque};

use crate::both_backends;
use crate::common::*;

/// Codes and references that must never reach a page.
const NEVER: &[&str] = &[
    "record.list",
    "record.view",
    "record.update",
    "record.create",
    "sign_in.",
    "second_factor.",
    "organisation.switch",
    "rights.step_done",
    "redaction.",
    "access_audit.",
    "gp_practice",
    "gp practice",
    "dpo_service",
    "dpo service",
    "name_near_relation",
    "postcode_bs7666",
    "uk_phone",
    "nhs_number_mod11",
    "RECEPTIONIST",
    "rights_request",
    "access_audit_case",
    "rights-and-deadlines.md",
    "identifiers.md",
    ".md,",
    "Seed 00",
    "Seeds 00",
    "seed 00",
    "(s)",
    "known_to_steward",
    "organisation_details",
    "staff_list_entry",
    "staff_member",
];

/// The visible text of a page: no tags, no scripts or styles, no attribute values.
pub fn visible_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        out.push_str(&rest[..i]);
        let tag = &rest[i..];
        let skip_to = ["<script", "<style", "<title"]
            .iter()
            .find(|t| tag.starts_with(*t))
            .and_then(|t| tag.find(&format!("</{}", &t[1..])));
        let end = match skip_to {
            Some(e) => e,
            None => tag.find('>').unwrap_or(tag.len() - 1),
        };
        rest = &tag[(end + 1).min(tag.len())..];
        out.push(' ');
    }
    out.push_str(rest);
    out.replace("&nbsp;", " ")
}

fn iso_date(text: &str) -> Option<String> {
    let b = text.as_bytes();
    (0..b.len().saturating_sub(9)).find_map(|i| {
        let w = &b[i..i + 10];
        let digits = |r: std::ops::Range<usize>| r.into_iter().all(|k| w[k].is_ascii_digit());
        (digits(0..4) && w[4] == b'-' && digits(5..7) && w[7] == b'-' && digits(8..10)).then(|| {
            String::from_utf8_lossy(&b[i.saturating_sub(30)..(i + 20).min(b.len())]).into_owned()
        })
    })
}

/// What is wrong with a page's words, if anything.
pub fn bad_words(html: &str) -> Vec<String> {
    let text = visible_text(html);
    let mut found: Vec<String> = NEVER
        .iter()
        .filter(|c| text.contains(*c))
        .map(|c| {
            let i = text.find(c).unwrap();
            let mut from = i.saturating_sub(40);
            while !text.is_char_boundary(from) {
                from -= 1;
            }
            let mut to = (i + 40).min(text.len());
            while !text.is_char_boundary(to) {
                to += 1;
            }
            format!("{c:?} in …{}…", &text[from..to])
        })
        .collect();
    if let Some(ctx) = iso_date(&text) {
        found.push(format!("ISO date in …{ctx}…"));
    }
    found
}

fn links(html: &str) -> Vec<String> {
    html.split("href=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .map(|s| s.replace("&amp;", "&"))
        .filter(|s| s.starts_with('/') && !s.starts_with("//"))
        .map(|s| s.split('#').next().unwrap_or("").to_string())
        .filter(|s| {
            !s.is_empty()
                && !s.starts_with("/assets/")
                && !s.starts_with("/calendar/")
                && !s.starts_with("/attachments/")
                && !s.contains(".csv")
                && !s.contains("/outputs/")
                && !s.contains("/letter")
                && !s.contains("/export")
        })
        .collect()
}

const ROLES: &[&str] = &[
    "dpo@demo.steward.test",
    "admin@demo.steward.test",
    "iglead@harbour.demo.steward.test",
    "siro@harbour.demo.steward.test",
    "caldicott@harbour.demo.steward.test",
    "gp@harbour.demo.steward.test",
    "reception@harbour.demo.steward.test",
    "auditor@harbour.demo.steward.test",
];

/// Pages per role: enough for every menu item, one of each kind of record and its
/// sub-pages, and a few list filters.
const MAX_PAGES: usize = 70;

both_backends!(every_page_in_the_dpos_words, |s| async move {
    seed_modules(&s).await;
    let mut problems = Vec::new();
    for email in ROLES {
        let c = s.sign_in(email).await;
        let mut seen = BTreeSet::new();
        let mut kinds = BTreeSet::new();
        let mut queue = VecDeque::from(["/".to_string()]);
        while let Some(path) = queue.pop_front() {
            if seen.len() >= MAX_PAGES || !seen.insert(path.clone()) {
                continue;
            }
            let res = c.get(&path).await;
            let status = res.status().as_u16();
            if (300..400).contains(&status) {
                let to = location(&res);
                if to.starts_with('/') && !to.starts_with("/sign-in") {
                    queue.push_front(to);
                }
                continue;
            }
            let html = res.text().await.unwrap_or_default();
            if !(200..300).contains(&status) || !html.contains("<html") {
                continue;
            }
            for p in bad_words(&html) {
                problems.push(format!("{email} {path}: {p}"));
            }
            for l in links(&html) {
                // One page of each shape: ids and query strings vary, the words do not.
                let shape: String = l
                    .split('/')
                    .map(|p| {
                        if p.len() >= 20 || p.chars().all(|c| c.is_ascii_digit()) {
                            "*"
                        } else {
                            p
                        }
                    })
                    .collect::<Vec<_>>()
                    .join("/");
                let shape = shape.split('?').next().unwrap_or("").to_string();
                if kinds.insert(shape) || !l.contains('?') && kinds.len() < MAX_PAGES {
                    queue.push_back(l);
                }
            }
        }
        assert!(seen.len() > 3, "{email} reached only {seen:?}");
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
});

#[test]
fn the_check_finds_codes_and_iso_dates() {
    assert!(bad_words("<p>record.list</p>").len() == 1);
    assert!(bad_words("<p>on 2025-05-14 at noon</p>").len() == 1);
    assert!(bad_words("<p>3 request(s)</p>").len() == 1);
    assert!(bad_words("<a href=\"/x?date=2025-05-14\">14 May 2025</a>").is_empty());
    assert!(bad_words("<p>3 requests on 14 May 2025</p>").is_empty());
}
