//! A real browser (headless Chromium driven through ChromeDriver): an admin
//! signs in through the hosted login, adds a client site, sees its secret
//! once, reloads and no longer sees it, and deletes the site; a non-admin
//! gets 403. A screenshot of the client list is kept under `target/`.
//!
//! Needs Debian's `chromium` and `chromium-driver`. Without them the test
//! says so and passes, unless `PATTMAYNE_CI=1` (`.ci/run` sets it).

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::helpers::{PASSWORD, spawn_app};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// ChromeDriver, and the browser profile it runs with (removed after it).
struct Driver(Child, Option<crate::helpers::TempDir>);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
        // The test closed its browser session first, so the profile is free.
        self.1.take();
    }
}

fn browser_available() -> bool {
    let present =
        std::path::Path::new(CHROMIUM).exists() && std::path::Path::new(CHROMEDRIVER).exists();
    if !present {
        assert!(
            std::env::var("PATTMAYNE_CI").as_deref() != Ok("1"),
            "PATTMAYNE_CI=1 but chromium/chromedriver are missing (apt-get install -y chromium chromium-driver)"
        );
        eprintln!(
            "SKIPPED: the browser test needs chromium and chromium-driver (apt-get install -y chromium chromium-driver)"
        );
    }
    present
}

async fn start_browser() -> (Driver, Client) {
    // Several crates enable rustls backends; pick one for the process.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let driver = Driver(
        Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver"),
        None,
    );
    let profile = crate::helpers::TempDir::new("pattmayne-chrome");
    let user_data_dir = format!("--user-data-dir={}", profile.path().display());
    let mut driver = driver;
    driver.1 = Some(profile);
    let caps = json!({
        "goog:chromeOptions": {
            "binary": CHROMIUM,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-quic", "--window-size=1280,900",
                user_data_dir,
            ]
        }
    });
    let caps = caps.as_object().unwrap().clone();
    let mut last_err = None;
    for _ in 0..50 {
        match ClientBuilder::rustls()
            .expect("tls")
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(client) => return (driver, client),
            Err(err) => {
                last_err = Some(err);
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
    panic!("could not start a browser session: {last_err:?}");
}

/// `target/browser-artifacts/` in the checkout (even when `CARGO_TARGET_DIR`
/// points elsewhere, as in CI), where CI keeps the screenshot.
fn artifact_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join("browser-artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Waits until the browser has navigated to `path` (clicks return before the
/// next page has loaded).
async fn wait_for_path(browser: &Client, path: &str) {
    for _ in 0..100 {
        if browser.current_url().await.is_ok_and(|u| u.path() == path) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "the browser never reached {path}: it is at {:?}",
        browser.current_url().await
    );
}

/// Finds an element, waiting for it to appear.
async fn find(browser: &Client, locator: Locator<'_>) -> fantoccini::elements::Element {
    browser
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(locator)
        .await
        .unwrap()
}

async fn sign_in(browser: &Client, base: &str, path: &str, username: &str) {
    browser.goto(&format!("{base}{path}")).await.unwrap();
    // Anonymous: the hosted login, carrying the page we asked for.
    let url = browser.current_url().await.unwrap();
    assert_eq!(url.path(), "/login", "not sent to the login: {url}");
    browser
        .find(Locator::Id("username"))
        .await
        .unwrap()
        .send_keys(username)
        .await
        .unwrap();
    browser
        .find(Locator::Id("password"))
        .await
        .unwrap()
        .send_keys(PASSWORD)
        .await
        .unwrap();
    browser
        .find(Locator::Css("form[action='/login'] button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

async fn click(browser: &Client, locator: Locator<'_>) {
    find(browser, locator).await.click().await.unwrap();
}

async fn type_into(browser: &Client, id: &str, text: &str) {
    find(browser, Locator::Id(id))
        .await
        .send_keys(text)
        .await
        .unwrap();
}

async fn text_of(browser: &Client, id: &str) -> String {
    find(browser, Locator::Id(id)).await.text().await.unwrap()
}

#[tokio::test]
async fn an_admin_manages_a_client_site_in_a_real_browser() {
    if !browser_available() {
        return;
    }
    let app = spawn_app().await;
    app.create_user("root", PASSWORD, true).await;
    app.create_user("alice", PASSWORD, false).await;
    let base = app.url("");
    let (_driver, browser) = start_browser().await;

    // Anonymous: the hosted login first, then back to the admin page.
    sign_in(&browser, &base, "/admin/clients", "root").await;

    // Add a client site.
    click(&browser, Locator::LinkText("Add a client site")).await;
    type_into(&browser, "name", "Browser Game").await;
    type_into(
        &browser,
        "redirect_uris",
        "https://browser-game.example/callback",
    )
    .await;
    click(
        &browser,
        Locator::Css("form[action='/admin/clients'] button[type=submit]"),
    )
    .await;

    // Its credentials, once, with a working copy button (the script ran).
    let secret = text_of(&browser, "client-secret").await;
    let client_id = text_of(&browser, "client-id").await;
    assert!(secret.len() >= 43, "secret {secret:?}");
    assert!(browser.find(Locator::Id("jwt-secret")).await.is_ok());
    let copy = find(&browser, Locator::Css("[data-copy-target='client-secret']")).await;
    assert!(
        copy.is_displayed().await.unwrap(),
        "the copy button stayed hidden"
    );
    assert!(
        browser
            .source()
            .await
            .unwrap()
            .contains("You will not see these again")
    );

    // Reload: gone.
    browser.refresh().await.unwrap();
    find(&browser, Locator::Id("secret-gone")).await;
    assert!(
        !browser.source().await.unwrap().contains(&secret),
        "the secret is shown again after a reload"
    );

    // The list shows it; keep a screenshot as a CI artifact.
    browser
        .goto(&format!("{base}/admin/clients"))
        .await
        .unwrap();
    let table = text_of(&browser, "client-list").await;
    assert!(table.contains("Browser Game") && table.contains(&client_id));
    let png = browser.screenshot().await.unwrap();
    std::fs::write(artifact_dir().join("admin-client-list.png"), &png).unwrap();
    assert!(png.len() > 1000 && png.starts_with(b"\x89PNG"));

    // Delete it, through the confirmation page.
    click(&browser, Locator::LinkText("Browser Game")).await;
    click(&browser, Locator::LinkText("Delete…")).await;
    find(&browser, Locator::Id("confirm")).await;
    assert!(
        browser
            .source()
            .await
            .unwrap()
            .contains("Delete this client site?")
    );
    click(&browser, Locator::Id("confirm")).await;
    wait_for_path(&browser, "/admin/clients").await;
    find(&browser, Locator::Id("clients-title")).await;
    assert!(!browser.source().await.unwrap().contains("Browser Game"));
    assert!(
        pattmayne_auth::domain::clients::find(&app.state.db, &client_id)
            .await
            .unwrap()
            .is_none()
    );

    // Sign out; a non-admin gets 403.
    click(&browser, Locator::Css("form[action='/logout'] button")).await;
    wait_for_path(&browser, "/").await;
    sign_in(&browser, &base, "/admin/clients", "alice").await;
    find(&browser, Locator::Id("error-title")).await;
    let source = browser.source().await.unwrap();
    assert!(
        source.contains("403") && source.contains("This page is for administrators."),
        "{source}"
    );
    assert_eq!(
        browser.title().await.unwrap(),
        "403 Forbidden · Pattmayne Auth"
    );

    browser.close().await.unwrap();
}
