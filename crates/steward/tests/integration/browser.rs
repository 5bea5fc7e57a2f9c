//! Browser tests: real headless Chromium through ChromeDriver (Debian's `chromium` and
//! `chromium-driver`). They fail, not skip, when ChromeDriver is missing: CI installs it.

use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use fantoccini::{Client as Browser, ClientBuilder, Locator};

use crate::common::*;

pub struct Driver {
    pub browser: Browser,
    _chromedriver: tokio::process::Child,
}

fn chromedriver_path() -> String {
    std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into())
}

/// Starts ChromeDriver on a free port and opens a headless Chromium session.
pub async fn browser() -> Driver {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let child = tokio::process::Command::new(chromedriver_path())
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("chromedriver must be installed for the browser tests (apt-get install chromium chromium-driver)");
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                     "--disable-component-update", "--no-first-run", "--disable-dev-shm-usage",
                     "--window-size=1280,1000"]
        }),
    );
    let url = format!("http://127.0.0.1:{port}");
    let mut last = None;
    for _ in 0..100 {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        match ClientBuilder::new(connector)
            .capabilities(caps.clone())
            .connect(&url)
            .await
        {
            Ok(browser) => {
                return Driver {
                    browser,
                    _chromedriver: child,
                }
            }
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("could not start a Chromium session: {last:?}");
}

pub(crate) async fn fill(b: &Browser, css: &str, value: &str) {
    let field = b
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"));
    field.clear().await.unwrap();
    field.send_keys(value).await.unwrap();
}

pub(crate) async fn click(b: &Browser, css: &str) {
    b.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .unwrap();
}

/// Waits (up to 30 s: a loaded 2-core machine can take 10) until the page's path satisfies
/// `ok`: a click on a submit button returns before the next page has loaded.
pub async fn wait_for_path(b: &Browser, ok: impl Fn(&str) -> bool) -> String {
    for _ in 0..300 {
        if let Ok(url) = b.current_url().await {
            if ok(url.path()) {
                if let Ok(state) = b.execute("return document.readyState", vec![]).await {
                    if state.as_str() == Some("complete") {
                        return url.path().to_string();
                    }
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "timed out waiting for the next page; at {:?}",
        b.current_url().await.ok()
    );
}

async fn text_of(b: &Browser, css: &str) -> String {
    b.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .text()
        .await
        .unwrap()
}

/// Saves a screenshot for people to look at (target/screenshots); failures here are not the test's.
pub(crate) async fn screenshot(b: &Browser, name: &str) {
    if let Ok(png) = b.screenshot().await {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
        let _ = std::fs::create_dir_all(&dir);
        let _ = std::fs::write(dir.join(format!("{name}.png")), png);
    }
}

pub async fn sign_in(s: &TestServer, b: &Browser, email: &str) {
    b.goto(&s.url("/sign-in")).await.unwrap();
    fill(b, "#email", email).await;
    fill(b, "#password", PASSWORD).await;
    click(b, "button[type=submit], .nhsuk-button").await;
    if wait_for_path(b, |p| p != "/sign-in").await == "/sign-in/code" {
        let code = s.current_code(email).await;
        fill(b, "#code", &code).await;
        click(b, "button[type=submit], .nhsuk-button").await;
    }
    wait_for_path(b, |p| p == "/").await;
}

async fn dpo_switches_organisation_and_creates_an_action(s: Arc<TestServer>) {
    let d = browser().await;
    let b = &d.browser;
    sign_in(&s, b, DPO).await;
    screenshot(b, "dashboard").await;

    // Switch to Castle Hill from the organisations page.
    b.goto(&s.url("/organisations")).await.unwrap();
    screenshot(b, "organisations").await;
    let castle = s.organisation("Y90002").await;
    click(b, &format!("form[data-organisation='{castle}'] button")).await;
    wait_for_path(b, |p| p == "/").await;
    assert!(text_of(b, "#current-organisation")
        .await
        .contains("Castle Hill Medical Centre"));

    // A bad form: the error summary takes focus, the message sits by the field, input kept.
    b.goto(&s.url("/actions/new")).await.unwrap();
    fill(b, "#description", "Chase the practice's DSPT evidence").await;
    fill(b, "#due_day", "31").await;
    fill(b, "#due_month", "2").await;
    fill(b, "#due_year", "2027").await;
    click(b, "#maincontent form button.nhsuk-button").await;
    b.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(".nhsuk-error-summary"))
        .await
        .expect("an error summary");
    let summary = text_of(b, ".nhsuk-error-summary").await;
    assert!(
        summary.contains("title") || summary.contains("Title"),
        "{summary}"
    );
    assert!(
        b.find(Locator::Css("#title-error")).await.is_ok(),
        "message beside the title field"
    );
    let kept = b
        .find(Locator::Css("#description"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(kept.as_deref(), Some("Chase the practice's DSPT evidence"));
    let day = b
        .find(Locator::Css("#due_day"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(day.as_deref(), Some("31"));
    screenshot(b, "action-form-errors").await;

    // Put it right and save.
    fill(b, "#title", "Chase DSPT evidence at Castle Hill").await;
    fill(b, "#due_day", "28").await;
    click(b, "#maincontent form button.nhsuk-button").await;
    wait_for_path(b, |p| p.starts_with("/actions/") && p != "/actions/new").await;
    assert!(text_of(b, "h1")
        .await
        .contains("Chase DSPT evidence at Castle Hill"));
    screenshot(b, "action").await;
    let org: String = steward_db::query_scalar(
        "SELECT organisation_id FROM actions WHERE title = 'Chase DSPT evidence at Castle Hill'",
    )
    .fetch_one(&s.steward.db.pool)
    .await
    .unwrap();
    assert_eq!(org, castle, "created in the organisation switched to");
    b.goto(&s.url("/actions")).await.unwrap();
    screenshot(b, "actions").await;
    d.browser.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_dpo_switches_organisation_and_creates_an_action_sqlite() {
    run_on(
        Backend::Sqlite,
        dpo_switches_organisation_and_creates_an_action,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_dpo_switches_organisation_and_creates_an_action_postgres() {
    run_on(
        Backend::Postgres,
        dpo_switches_organisation_and_creates_an_action,
    )
    .await;
}

async fn choose(b: &Browser, css: &str, value: &str) {
    b.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .select_by_value(value)
        .await
        .unwrap_or_else(|e| panic!("{css} = {value}: {e}"));
}

/// Types a UK local time `minutes_ago` minutes ago into the day/month/year/time fields.
async fn fill_when(b: &Browser, prefix: &str, minutes_ago: i64) {
    let t = steward_assurance::clock::utc_to_uk(
        chrono::Utc::now() - chrono::Duration::minutes(minutes_ago),
    );
    fill(b, &format!("#{prefix}_day"), &t.format("%-d").to_string()).await;
    fill(b, &format!("#{prefix}_month"), &t.format("%-m").to_string()).await;
    fill(b, &format!("#{prefix}_year"), &t.format("%Y").to_string()).await;
    fill(
        b,
        &format!("#{prefix}_time"),
        &t.format("%H:%M").to_string(),
    )
    .await;
}

async fn sign_out(s: &TestServer, b: &Browser) {
    b.delete_all_cookies().await.unwrap();
    b.goto(&s.url("/sign-in")).await.unwrap();
}

/// Issue 13's acceptance: a member of staff reports a breach, the DPO grades it reportable,
/// the 72-hour clock shows, the DPO records the notification and closes it with a lesson; a
/// lesson naming the patient is refused, the clean one is published and is in the quarterly
/// update, without the name.
async fn a_breach_reported_in_the_browser_reaches_the_quarterly_update(s: Arc<TestServer>) {
    let d = browser().await;
    let b = &d.browser;
    sign_in(&s, b, "reception@harbour.demo.steward.test").await;
    b.goto(&s.url("/incidents/report")).await.unwrap();
    fill(b, "#title", "Blood results posted to the previous tenant").await;
    choose(b, "#category", "misdirected_post").await;
    fill(
        b,
        "#what_happened",
        "A letter with blood test results went to the old address of Mrs Ysolde Penhallow.",
    )
    .await;
    fill(b, "#people_affected", "One patient").await;
    fill(b, "#people_names", "Ysolde Penhallow").await;
    fill(b, "#data_involved", "Name, address and blood test results").await;
    fill(b, "#how_many", "1").await;
    fill(
        b,
        "#containment",
        "The new tenant returned the letter unopened",
    )
    .await;
    fill_when(b, "occurred", 180).await;
    fill_when(b, "aware", 60).await;
    click(b, "#maincontent form button.nhsuk-button").await;
    wait_for_path(b, |p| p == "/incidents/report").await;
    let reference = text_of(b, "#reference").await;
    assert!(reference.starts_with("INC-"), "{reference}");
    screenshot(b, "incident-reported").await;
    sign_out(&s, b).await;

    let id: String = steward_db::query_scalar("SELECT id FROM incidents WHERE reference = $1")
        .bind(&reference)
        .fetch_one(&s.steward.db.pool)
        .await
        .unwrap();
    sign_in(&s, b, DPO).await;
    let harbour = s.organisation("Y90001").await;
    b.goto(&s.url("/organisations")).await.unwrap();
    click(b, &format!("form[data-organisation='{harbour}'] button")).await;
    wait_for_path(b, |p| p == "/").await;
    let page = s.url(&format!("/incidents/{id}"));
    b.goto(&page).await.unwrap();
    choose(b, "#likelihood", "3").await;
    choose(b, "#severity", "3").await;
    fill(b, "#reasons", "Health information opened by a stranger").await;
    click(b, "form[action$='/grade'] button").await;
    b.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("#reportable"))
        .await
        .unwrap();
    assert!(text_of(b, "#reportable")
        .await
        .contains("Yes: reportable to the ICO"));
    let clock = text_of(b, "#clock").await;
    assert!(clock.contains("hours left to notify the ICO"), "{clock}");
    screenshot(b, "incident-graded").await;

    b.goto(&page).await.unwrap();
    fill(b, "#ico_reference", "IC-900002-TEST").await;
    fill_when(b, "notified", 5).await;
    click(b, "form[action$='/notification'] button").await;
    b.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("#notified"))
        .await
        .unwrap();
    assert!(text_of(b, "#notified").await.contains("IC-900002-TEST"));

    // Telling the patient (Art 34), then closing.
    b.goto(&page).await.unwrap();
    click(b, "#tell-yes").await;
    fill(b, "#tell_reasons", "Told by phone the same day").await;
    click(b, "form[action$='/people'] button").await;
    b.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("#tell-decision"))
        .await
        .unwrap();
    b.goto(&page).await.unwrap();
    fill(
        b,
        "#root_cause",
        "The address on the record was out of date",
    )
    .await;
    fill(
        b,
        "#lesson",
        "Confirm the address with the patient when results are sent",
    )
    .await;
    click(b, "form[action$='/close'] button").await;
    b.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("#closed"))
        .await
        .unwrap();

    // A lesson that names the patient is refused, with what was found shown.
    b.goto(&page).await.unwrap();
    fill(b, "#published_lesson", "Mrs Ysolde Penhallow's results went to her old address: confirm addresses before posting results.").await;
    click(b, "form[action$='/lesson'] button").await;
    b.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(".nhsuk-error-summary"))
        .await
        .expect("the named lesson is refused");
    assert!(text_of(b, ".nhsuk-error-summary")
        .await
        .contains("The lesson still holds"));
    fill(
        b,
        "#published_lesson",
        "Confirm the address with the patient at each visit before posting results.",
    )
    .await;
    click(b, "form[action$='/lesson'] button").await;
    b.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("#published-lesson"))
        .await
        .unwrap();
    screenshot(b, "incident-lesson").await;

    // The quarter's update carries the lesson, and not the name.
    b.goto(&s.url("/cluster-updates")).await.unwrap();
    click(b, "form[action='/cluster-updates'] button").await;
    wait_for_path(b, |p| p.starts_with("/cluster-updates/")).await;
    let html = b.source().await.unwrap();
    assert!(
        html.contains("Confirm the address with the patient at each visit before posting results."),
        "the lesson is in the update"
    );
    assert!(
        !html.contains("Penhallow"),
        "no personal data in the update"
    );
    screenshot(b, "cluster-update").await;
    d.browser.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_a_breach_reaches_the_quarterly_update_sqlite() {
    run_on(
        Backend::Sqlite,
        a_breach_reported_in_the_browser_reaches_the_quarterly_update,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_a_breach_reaches_the_quarterly_update_postgres() {
    run_on(
        Backend::Postgres,
        a_breach_reported_in_the_browser_reaches_the_quarterly_update,
    )
    .await;
}
