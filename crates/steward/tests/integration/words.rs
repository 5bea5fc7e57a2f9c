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

/// Pages per role beyond the menu's destinations: one of each kind of record and its
/// sub-pages, and a few list filters.
const MAX_PAGES: usize = 70;

/// The links of the header menu (`<nav aria-label="Menu">`) of a page.
pub fn menu_links(html: &str) -> Vec<String> {
    let Some(start) = html.find("aria-label=\"Menu\"") else {
        return Vec::new();
    };
    let end = html[start..]
        .find("</nav>")
        .map(|e| start + e)
        .unwrap_or(html.len());
    links(&html[start..end])
}

/// The links in a page's main content (a menu section's landing page lists its
/// destinations there).
pub fn main_links(html: &str) -> Vec<String> {
    let Some(start) = html.find("<main") else {
        return Vec::new();
    };
    let end = html[start..]
        .find("</main>")
        .map(|e| start + e)
        .unwrap_or(html.len());
    links(&html[start..end])
}

/// A page, following redirects within the application: its final path, status and body.
async fn page(c: &Client, path: &str) -> (String, u16, String) {
    let mut path = path.to_string();
    for _ in 0..5 {
        let res = c.get(&path).await;
        let status = res.status().as_u16();
        if (300..400).contains(&status) {
            let to = location(&res);
            if to.starts_with('/') && !to.starts_with("/sign-in") {
                path = to;
                continue;
            }
            return (path, status, String::new());
        }
        return (path, status, res.text().await.unwrap_or_default());
    }
    (path, 0, String::new())
}

/// One page of each shape: ids and query strings vary, the words do not.
fn shape(link: &str) -> String {
    let shape: String = link
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
    shape.split('?').next().unwrap_or("").to_string()
}

/// The walk of one role, generated from its menu: every menu item, every destination of
/// the menu's sections, then the pages they link to. Each must answer with a page, and no
/// page may show an engine id, a code, a repository file name, "(s)" or an ISO date.
async fn walk(s: &TestServer, email: &str, problems: &mut Vec<String>) {
    let c = s.sign_in(email).await;
    let destinations = menu_destinations(&c, email).await;
    let mut seen = BTreeSet::new();
    let mut kinds = BTreeSet::new();
    let mut queue: VecDeque<String> = destinations.iter().cloned().collect();
    while let Some(path) = queue.pop_front() {
        let required = destinations.contains(&path);
        if !required && seen.len() >= MAX_PAGES || !seen.insert(path.clone()) {
            continue;
        }
        let (at, status, html) = page(&c, &path).await;
        if required {
            assert!(
                status == 200 && html.contains("<html"),
                "{email}: the menu's {path} answered {status} at {at}"
            );
        }
        if !(200..300).contains(&status) || !html.contains("<html") {
            continue;
        }
        for p in bad_words(&html) {
            problems.push(format!("{email} {path}: {p}"));
        }
        for l in links(&html) {
            if kinds.insert(shape(&l)) || !l.contains('?') && kinds.len() < MAX_PAGES {
                queue.push_back(l);
            }
        }
    }
    for d in &destinations {
        assert!(seen.contains(d), "{email}: {d} of the menu was not visited");
    }
    assert!(seen.len() > 3, "{email} reached only {seen:?}");
}

/// Every destination of a role's menu: its items, and what its sections' landing pages list.
pub async fn menu_destinations(c: &Client, email: &str) -> Vec<String> {
    let (_, status, home) = page(c, "/").await;
    assert_eq!(status, 200, "{email}: the first page");
    let menu = menu_links(&home);
    assert!(!menu.is_empty(), "{email} has no menu");
    let mut destinations: Vec<String> = Vec::new();
    for m in &menu {
        destinations.push(m.clone());
        if m.starts_with("/section/") {
            let (_, status, html) = page(c, m).await;
            assert_eq!(status, 200, "{email}: menu section {m}");
            destinations.extend(main_links(&html));
        }
    }
    destinations
}

both_backends!(every_page_in_the_dpos_words, |s| async move {
    seed_modules(&s).await;
    let mut problems = Vec::new();
    for email in ROLES {
        walk(&s, email, &mut problems).await;
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
});

both_backends!(the_menu_fits_and_keeps_every_destination, |s| async move {
    seed_modules(&s).await;
    let c = s.sign_in("dpo@demo.steward.test").await;
    let dpo = menu_destinations(&c, "dpo").await;
    for d in [
        "/",
        "/requests",
        "/actions",
        "/access-audit",
        "/incidents",
        "/risks",
        "/compliance-audits",
        "/assurance",
        "/dpias",
        "/compliance",
        "/registers",
        "/organisations",
        "/audit-trail",
    ] {
        assert!(dpo.iter().any(|x| x == d), "the DPO's menu lost {d}");
    }
    let (_, _, home) = page(&c, "/").await;
    let top = menu_links(&home);
    assert!(
        top.len() <= 7,
        "the DPO's menu has {} items: {top:?}",
        top.len()
    );
    let c = s.sign_in("iglead@harbour.demo.steward.test").await;
    let (_, _, home) = page(&c, "/").await;
    assert!(menu_links(&home).len() <= 7);
    // A page under a section marks the section's menu item as current.
    let (_, _, risks) = page(&c, "/risks").await;
    let menu_html = &risks[risks.find("aria-label=\"Menu\"").unwrap()..];
    let current = menu_html
        .split("nhsuk-header__navigation-item--current")
        .nth(1)
        .expect("a current item");
    assert!(current.contains("/section/assurance"), "{current}");
});

#[test]
fn the_check_finds_codes_and_iso_dates() {
    assert!(bad_words("<p>record.list</p>").len() == 1);
    assert!(bad_words("<p>on 2025-05-14 at noon</p>").len() == 1);
    assert!(bad_words("<p>3 request(s)</p>").len() == 1);
    assert!(bad_words("<a href=\"/x?date=2025-05-14\">14 May 2025</a>").is_empty());
    assert!(bad_words("<p>3 requests on 14 May 2025</p>").is_empty());
}

/// The same menu, as Chromium shows it: every role signs in in the browser, follows every
/// item of its menu and every destination of the menu's sections, and no page shows an
/// engine id, a code, a file name, "(s)" or an ISO date, or an error page.
async fn every_menu_item_in_the_browser(s: std::sync::Arc<TestServer>) {
    use crate::browser::{browser, click, fill, screenshot, wait_for_path};
    use fantoccini::Locator;
    seed_modules(&s).await;
    let d = browser().await;
    let b = &d.browser;
    let mut problems = Vec::new();
    for email in ROLES {
        b.delete_all_cookies().await.ok();
        b.goto(&s.url("/sign-in")).await.unwrap();
        fill(b, "#email", email).await;
        fill(b, "#password", PASSWORD).await;
        click(b, "button[type=submit], .nhsuk-button").await;
        if wait_for_path(b, |p| p != "/sign-in").await == "/sign-in/code" {
            let code = s.current_code(email).await;
            fill(b, "#code", &code).await;
            click(b, "button[type=submit], .nhsuk-button").await;
            wait_for_path(b, |p| !p.starts_with("/sign-in")).await;
        }
        let hrefs = |css: &'static str| async move {
            let mut out = Vec::new();
            for a in b.find_all(Locator::Css(css)).await.unwrap() {
                if let Ok(Some(h)) = a.attr("href").await {
                    out.push(h);
                }
            }
            out
        };
        let menu = hrefs("nav[aria-label=Menu] a").await;
        assert!(!menu.is_empty(), "{email}: no menu in the browser");
        let who = email.split('@').next().unwrap_or("someone").to_string();
        screenshot(b, &format!("menu-{who}")).await;
        let mut destinations = Vec::new();
        for m in &menu {
            destinations.push(m.clone());
            if m.starts_with("/section/") {
                b.goto(&s.url(m)).await.unwrap();
                wait_for_path(b, |_| true).await;
                destinations.extend(hrefs("main a").await);
            }
        }
        for path in &destinations {
            b.goto(&s.url(path)).await.unwrap();
            wait_for_path(b, |_| true).await;
            let html = b.source().await.unwrap();
            let title = b.title().await.unwrap_or_default();
            for bad in [
                "Page not found",
                "You cannot do that",
                "Sorry, there is a problem",
            ] {
                if title.starts_with(bad) {
                    problems.push(format!("{email} {path}: {title}"));
                }
            }
            for p in bad_words(&html) {
                problems.push(format!("{email} {path}: {p}"));
            }
        }
    }
    d.browser.close().await.ok();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_every_menu_item_in_the_dpos_words_sqlite() {
    run_on(Backend::Sqlite, every_menu_item_in_the_browser).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_every_menu_item_in_the_dpos_words_postgres() {
    run_on(Backend::Postgres, every_menu_item_in_the_browser).await;
}
