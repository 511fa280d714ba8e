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
use sea_orm::EntityTrait;
use serde_json::json;

use crate::helpers::{PASSWORD, TestClient, spawn_app};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// ChromeDriver, and the browser profile it runs with (removed after it).
pub(crate) struct Driver(Child, Option<crate::helpers::TempDir>);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
        // The test closed its browser session first, so the profile is free.
        self.1.take();
    }
}

pub(crate) fn browser_available() -> bool {
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

pub(crate) async fn start_browser() -> (Driver, Client) {
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
pub(crate) async fn wait_for_path(browser: &Client, path: &str) {
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
pub(crate) async fn find(browser: &Client, locator: Locator<'_>) -> fantoccini::elements::Element {
    match browser
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(locator)
        .await
    {
        Ok(element) => element,
        Err(err) => panic!(
            "{locator:?} never appeared ({err}) on {:?}:\n{}",
            browser.current_url().await.map(|u| u.to_string()),
            browser.source().await.unwrap_or_default()
        ),
    }
}

pub(crate) async fn sign_in(browser: &Client, base: &str, path: &str, username: &str) {
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

pub(crate) async fn click(browser: &Client, locator: Locator<'_>) {
    find(browser, locator).await.click().await.unwrap();
}

async fn type_into(browser: &Client, id: &str, text: &str) {
    find(browser, Locator::Id(id))
        .await
        .send_keys(text)
        .await
        .unwrap();
}

pub(crate) async fn text_of(browser: &Client, id: &str) -> String {
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
    // The notice says what happened; the list no longer has it.
    assert_eq!(
        text_of(&browser, "notice").await,
        "Browser Game was deleted."
    );
    let list = browser.source().await.unwrap();
    assert!(
        !list.contains("<a href=\"/admin/clients/"),
        "the list still has a site"
    );
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
        "Not allowed · Pattmayne Auth"
    );

    browser.close().await.unwrap();
}

/// A window size the pages are walked through at.
#[derive(Clone, Copy)]
struct Viewport {
    name: &'static str,
    width: u32,
    height: u32,
}

const PHONE: Viewport = Viewport {
    name: "phone",
    width: 390,
    height: 844,
};
const DESKTOP: Viewport = Viewport {
    name: "desktop",
    width: 1280,
    height: 900,
};

/// Keeps a screenshot of the page as `target/browser-artifacts/{name}.png`.
pub(crate) async fn screenshot(browser: &Client, name: &str) {
    let png = browser.screenshot().await.unwrap();
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 1000,
        "{name}: no picture"
    );
    std::fs::write(artifact_dir().join(format!("{name}.png")), &png).unwrap();
}

/// Replaces what a field holds.
pub(crate) async fn fill(browser: &Client, id: &str, text: &str) {
    let field = find(browser, Locator::Id(id)).await;
    field.clear().await.unwrap();
    if !text.is_empty() {
        field.send_keys(text).await.unwrap();
    }
}

pub(crate) async fn submit_login(browser: &Client) {
    click(
        browser,
        Locator::Css("form[action='/login'] button[type=submit]"),
    )
    .await;
}

/// The `href` of the link `css` finds.
async fn href_of(browser: &Client, css: &str) -> String {
    find(browser, Locator::Css(css))
        .await
        .attr("href")
        .await
        .unwrap()
        .unwrap_or_default()
}

/// Waits until `id`'s text is `expected` (the page after a submit may
/// still be loading).
pub(crate) async fn wait_for_text(browser: &Client, id: &str, expected: &str) {
    let mut last = String::new();
    for _ in 0..100 {
        if let Ok(element) = browser.find(Locator::Id(id)).await
            && let Ok(text) = element.text().await
        {
            if text == expected {
                return;
            }
            last = text;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("#{id} never read {expected:?}; it reads {last:?}");
}

/// A ChromeDriver command passed straight to the DevTools protocol.
#[derive(Debug)]
struct DevTools(serde_json::Value);

impl fantoccini::wd::WebDriverCompatibleCommand for DevTools {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (axum::http::Method, Option<String>) {
        (axum::http::Method::POST, Some(self.0.to_string()))
    }
}

/// Shows the pages as a browser set to a dark (or light) theme would.
async fn prefer_dark(browser: &Client, dark: bool) {
    let scheme = if dark { "dark" } else { "light" };
    browser
        .issue_cmd(DevTools(json!({
            "cmd": "Emulation.setEmulatedMedia",
            "params": { "features": [{ "name": "prefers-color-scheme", "value": scheme }] }
        })))
        .await
        .unwrap();
}

/// Measures, as rendered, the contrast of the page's text, buttons, field
/// borders and focus ring against what is behind them, and returns every
/// pair below WCAG 2.2 AA (4.5:1 for text, 3:1 for borders and the focus
/// indicator). An empty list is a pass.
async fn contrast_failures(browser: &Client) -> Vec<String> {
    const SCRIPT: &str = r#"
        const rgb = (c) => { const m = c.match(/[\d.]+/g).map(Number); return { r: m[0], g: m[1], b: m[2], a: m.length > 3 ? m[3] : 1 }; };
        const lin = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
        const lum = (c) => 0.2126 * lin(c.r) + 0.7152 * lin(c.g) + 0.0722 * lin(c.b);
        const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
        const behind = (el) => {
            for (let e = el; e; e = e.parentElement) {
                const c = rgb(getComputedStyle(e).backgroundColor);
                if (c.a > 0) return c;
            }
            return { r: 255, g: 255, b: 255, a: 1 };
        };
        const parentBehind = (el) => el.parentElement ? behind(el.parentElement) : behind(el);
        const failures = [];
        const check = (what, el, fg, bg, min) => {
            const r = ratio(fg, bg);
            if (r < min) failures.push(`${what} <${el.tagName.toLowerCase()} id=${el.id}> ${r.toFixed(2)}:1`);
        };
        for (const el of document.querySelectorAll('h1, h2, p, label, a, button, td, th, dt, dd, li, span')) {
            if (!el.offsetParent || !el.textContent.trim()) continue;
            check('text', el, rgb(getComputedStyle(el).color), behind(el), 4.5);
        }
        let checked = 0;
        for (const el of document.querySelectorAll('input:not([type=hidden]), select, textarea, button, a[href]')) {
            if (!el.offsetParent) continue;
            checked++;
            if (!['BUTTON', 'A'].includes(el.tagName)) {
                check('field border', el, rgb(getComputedStyle(el).borderTopColor), parentBehind(el), 3);
            }
            el.focus({ focusVisible: true });
            const s = getComputedStyle(el);
            if (s.outlineStyle === 'none' || parseFloat(s.outlineWidth) < 2) {
                failures.push(`no focus ring on <${el.tagName.toLowerCase()} id=${el.id}>`);
            } else {
                check('focus ring', el, rgb(s.outlineColor), parentBehind(el), 3);
            }
            el.blur();
        }
        return { failures, checked };
    "#;
    let found = browser.execute(SCRIPT, vec![]).await.unwrap();
    // A page with nothing focusable measured nothing: not a pass.
    assert!(
        found["checked"].as_u64().unwrap() >= 3,
        "nothing measured: {found}"
    );
    serde_json::from_value(found["failures"].clone()).unwrap()
}

/// The pages a player meets on the way from a game, at phone and desktop
/// size, kept as screenshots: the login and registration pages name the
/// game and lead back to it; blank forms and a form left open too long
/// neither count as failures nor lose the pending sign-in; the last try
/// before a pause says so, and the pause page says for how long and where
/// to go; errors have a way back; the account page; German.
#[tokio::test]
async fn a_player_from_a_game_meets_pages_that_name_it_at_phone_and_desktop_size() {
    if !browser_available() {
        return;
    }
    let (_driver, browser) = start_browser().await;
    for viewport in [PHONE, DESKTOP] {
        walk_the_player_pages(&browser, viewport).await;
    }
    browser.close().await.unwrap();
}

/// A fresh server with an admin (root), a player (alice) and a game, and
/// the browser, forgetting everything, at `viewport`'s size.
async fn fresh_walk(browser: &Client, viewport: Viewport) -> (crate::helpers::TestApp, TestClient) {
    let app = spawn_app().await;
    app.create_user("root", PASSWORD, true).await;
    app.create_user("alice", PASSWORD, false).await;
    let game = app
        .register_client(
            "Space Game",
            pattmayne_auth::domain::clients::TokenAlg::HS256,
        )
        .await;
    browser.delete_all_cookies().await.ok();
    browser
        .set_window_size(viewport.width, viewport.height)
        .await
        .unwrap();
    (app, game)
}

async fn walk_the_player_pages(browser: &Client, viewport: Viewport) {
    let shot = |page: &str| format!("{page}-{}", viewport.name);
    let (app, game) = fresh_walk(browser, viewport).await;
    let base = app.url("");

    // From the game: the login page says where this leads, and back.
    let (verifier, challenge) = crate::helpers::pkce_pair();
    let authorize = app.url(&app.authorize_path(&game, &challenge, &[]));
    browser.goto(&authorize).await.unwrap();
    wait_for_path(browser, "/login").await;
    assert_eq!(
        text_of(browser, "login-title").await,
        "Sign in to Space Game"
    );
    assert_eq!(
        browser.title().await.unwrap(),
        "Sign in to Space Game · Pattmayne Auth"
    );
    let back = href_of(browser, ".back-to-site a").await;
    assert!(
        back.starts_with(&game.redirect_uri) && back.contains("error=access_denied"),
        "{back}"
    );
    screenshot(browser, &shot("login")).await;

    // Blank submits, more than would suspend the address: a hint each
    // time, the game still named, nothing counted.
    for _ in 0..=app.state.config.login_max_failures {
        submit_login(browser).await;
        wait_for_text(
            browser,
            "login-error",
            "Enter your username or email and your password.",
        )
        .await;
    }
    assert_eq!(
        text_of(browser, "login-title").await,
        "Sign in to Space Game"
    );

    // A form left open until its token went stale (here: the cookies are
    // gone): shown again, fresh, still on the way to the game.
    browser.delete_all_cookies().await.unwrap();
    fill(browser, "username", "alice").await;
    fill(browser, "password", PASSWORD).await;
    submit_login(browser).await;
    wait_for_text(
        browser,
        "login-error",
        "This form was open too long, so nothing was sent. Please sign in again.",
    )
    .await;
    assert_eq!(
        text_of(browser, "login-title").await,
        "Sign in to Space Game"
    );
    screenshot(browser, &shot("login-expired")).await;

    // The registration page names the game too.
    click(browser, Locator::LinkText("Create an account")).await;
    wait_for_path(browser, "/register").await;
    assert_eq!(
        text_of(browser, "register-title").await,
        "Create an account for Space Game"
    );
    screenshot(browser, &shot("register")).await;
    browser.back().await.unwrap();
    wait_for_path(browser, "/login").await;

    // Signing in from the refreshed form finishes the pending request.
    fill(browser, "username", "alice").await;
    fill(browser, "password", PASSWORD).await;
    submit_login(browser).await;
    let mut landed = None;
    for _ in 0..100 {
        if let Ok(url) = browser.current_url().await
            && url.as_str().starts_with(&game.redirect_uri)
        {
            landed = Some(url);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let landed = landed.expect("the game's callback after signing in");
    let params: std::collections::HashMap<_, _> = landed.query_pairs().into_owned().collect();
    assert_eq!(params["state"], "xyz-state");
    // The game's backend takes the code.
    app.exchange(&game, &params["code"], &verifier).await;

    // The account page: this device, and the game it is signed in to.
    browser.goto(&format!("{base}/account")).await.unwrap();
    let sessions = text_of(browser, "sessions").await;
    assert!(
        sessions.contains("Chrome") && sessions.contains("Space Game"),
        "{sessions}"
    );
    assert!(
        !sessions.contains("Mozilla/5.0"),
        "a raw User-Agent: {sessions}"
    );
    screenshot(browser, &shot("account")).await;

    // An error page offers a way back, and the signed-in header.
    browser.goto(&format!("{base}/no-such-page")).await.unwrap();
    assert_eq!(text_of(browser, "error-title").await, "Page not found");
    let ways = text_of(browser, "ways-back").await;
    assert!(ways.contains("Go to your account"), "{ways}");
    let header = find(browser, Locator::Css("header nav")).await;
    let header = header.text().await.unwrap();
    assert!(
        header.contains("alice") && !header.contains("Sign in"),
        "the error page's header does not know alice: {header}"
    );
    screenshot(browser, &shot("error-404")).await;
    click(browser, Locator::LinkText("Go to your account")).await;
    wait_for_path(browser, "/account").await;

    // German, chosen in the footer; it stays chosen.
    click(browser, Locator::LinkText("Deutsch")).await;
    wait_for_text(browser, "sessions-title", "Wo du angemeldet bist").await;
    assert_eq!(
        browser.title().await.unwrap(),
        "Dein Konto · Pattmayne Auth"
    );
    let html = find(browser, Locator::Css("html")).await;
    assert_eq!(html.attr("lang").await.unwrap().as_deref(), Some("de"));
    screenshot(browser, &shot("account-de")).await;
    click(browser, Locator::Css("form[action='/logout'] button")).await;
    wait_for_path(browser, "/").await;
    browser.goto(&authorize).await.unwrap();
    wait_for_path(browser, "/login").await;
    assert_eq!(
        text_of(browser, "login-title").await,
        "Bei Space Game anmelden"
    );
    let back = find(browser, Locator::Css(".back-to-site a")).await;
    assert_eq!(back.text().await.unwrap(), "Zurück zu Space Game");
    screenshot(browser, &shot("login-de")).await;

    // Wrong passwords: the last one before the pause warns, the one that
    // pauses says so on the form, and the next gets the pause page, which
    // says how long in words and leads back to the game.
    let max = app.state.config.login_max_failures;
    click(browser, Locator::LinkText("English")).await;
    wait_for_text(browser, "login-title", "Sign in to Space Game").await;
    for attempt in 1..=max {
        fill(browser, "username", "alice").await;
        fill(browser, "password", "not the password at all").await;
        submit_login(browser).await;
        let expected = if attempt == max - 1 {
            "Wrong username or password. One more failed sign-in from your network will pause sign-ins from it for 15 minutes."
        } else if attempt == max {
            "Wrong username or password. Too many failed sign-ins came from your network, so signing in from it is paused for 15 minutes."
        } else {
            "Wrong username or password."
        };
        wait_for_text(browser, "login-error", expected).await;
    }
    fill(browser, "username", "alice").await;
    fill(browser, "password", PASSWORD).await;
    submit_login(browser).await;
    wait_for_text(browser, "error-title", "Please wait a little").await;
    let wait = text_of(browser, "error-wait").await;
    assert!(
        wait.contains("15 minutes") && !wait.contains("UTC"),
        "{wait}"
    );
    let back = href_of(browser, ".back-to-site a").await;
    assert!(back.starts_with(&game.redirect_uri), "{back}");
    assert_eq!(
        browser.title().await.unwrap(),
        "Please wait a little · Space Game · Pattmayne Auth"
    );
    let banner = find(browser, Locator::Css(".client-site")).await;
    assert_eq!(banner.text().await.unwrap(), "On your way to Space Game");
    screenshot(browser, &shot("error-429")).await;
}

/// Contrast and focus as rendered, in both themes, on the pages with the
/// most colours: the login page and an admin page.
#[tokio::test]
async fn the_pages_meet_wcag_contrast_and_show_focus_in_both_themes() {
    if !browser_available() {
        return;
    }
    let app = spawn_app().await;
    app.create_user("root", PASSWORD, true).await;
    app.register_client(
        "Space Game",
        pattmayne_auth::domain::clients::TokenAlg::HS256,
    )
    .await;
    let base = app.url("");
    let (_driver, browser) = start_browser().await;
    for dark in [false, true] {
        prefer_dark(&browser, dark).await;
        let theme = if dark { "dark" } else { "light" };
        browser.delete_all_cookies().await.ok();
        browser.goto(&format!("{base}/login")).await.unwrap();
        find(&browser, Locator::Id("login-title")).await;
        // A wrong password, so the error text is measured too.
        fill(&browser, "username", "root").await;
        fill(&browser, "password", "wrong").await;
        submit_login(&browser).await;
        find(&browser, Locator::Id("login-error")).await;
        let failures = contrast_failures(&browser).await;
        assert!(failures.is_empty(), "login, {theme}: {failures:#?}");
        screenshot(&browser, &format!("login-{theme}")).await;

        sign_in(&browser, &base, "/admin/clients", "root").await;
        find(&browser, Locator::Id("clients-title")).await;
        click(&browser, Locator::LinkText("Space Game")).await;
        click(&browser, Locator::LinkText("Delete…")).await;
        find(&browser, Locator::Id("confirm")).await;
        let failures = contrast_failures(&browser).await;
        assert!(failures.is_empty(), "admin confirm, {theme}: {failures:#?}");
        screenshot(&browser, &format!("admin-confirm-{theme}")).await;
        browser
            .goto(&format!("{base}/admin/clients/new"))
            .await
            .unwrap();
        find(&browser, Locator::Id("name")).await;
        let failures = contrast_failures(&browser).await;
        assert!(failures.is_empty(), "admin form, {theme}: {failures:#?}");
        click(&browser, Locator::Css("form[action='/logout'] button")).await;
        wait_for_path(&browser, "/").await;
    }
    browser.close().await.unwrap();
}

/// The operator's pages at phone and desktop size: a notice after each
/// action, a confirmation before making someone an admin, a page per user,
/// the audit log in words, filtered.
#[tokio::test]
async fn an_admin_is_told_what_each_action_did() {
    if !browser_available() {
        return;
    }
    let (_driver, browser) = start_browser().await;
    for viewport in [PHONE, DESKTOP] {
        let shot = |page: &str| format!("{page}-{}", viewport.name);
        let (app, game) = fresh_walk(&browser, viewport).await;
        let base = app.url("");
        sign_in(&browser, &base, "/admin/clients", "root").await;
        find(&browser, Locator::Id("clients-title")).await;
        screenshot(&browser, &shot("admin-clients")).await;

        // Disabling a client site: confirmed, then announced.
        click(&browser, Locator::LinkText("Space Game")).await;
        find(&browser, Locator::Id("client-title")).await;
        screenshot(&browser, &shot("admin-client")).await;
        click(&browser, Locator::LinkText("Disable…")).await;
        click(&browser, Locator::Id("confirm")).await;
        wait_for_text(&browser, "notice", "Space Game was disabled.").await;
        let notice = find(&browser, Locator::Id("notice")).await;
        assert_eq!(
            notice.attr("role").await.unwrap().as_deref(),
            Some("status")
        );
        assert!(
            !pattmayne_auth::domain::clients::find(&app.state.db, &game.client_id)
                .await
                .unwrap()
                .unwrap()
                .enabled
        );

        // Making alice an admin asks first, then says so.
        browser.goto(&format!("{base}/admin/users")).await.unwrap();
        click(&browser, Locator::LinkText("alice")).await;
        find(&browser, Locator::Id("user-title")).await;
        screenshot(&browser, &shot("admin-user")).await;
        click(&browser, Locator::LinkText("Make admin…")).await;
        find(&browser, Locator::Id("confirm-title")).await;
        screenshot(&browser, &shot("admin-confirm-grant")).await;
        click(&browser, Locator::Id("confirm")).await;
        wait_for_text(&browser, "notice", "alice is now an admin.").await;

        // The audit log, in words, filtered to one person.
        browser
            .goto(&format!("{base}/admin/audit?user=alice"))
            .await
            .unwrap();
        let log = text_of(&browser, "audit-list").await;
        assert!(
            log.contains("Made an admin") && log.contains("alice"),
            "{log}"
        );
        assert!(!log.contains("user.grant_admin"), "raw action codes: {log}");
        assert!(
            !log.contains("Disabled a client site"),
            "the filter let through another's entry: {log}"
        );
        screenshot(&browser, &shot("admin-audit")).await;

        click(&browser, Locator::Css("form[action='/logout'] button")).await;
        wait_for_path(&browser, "/").await;
    }
    browser.close().await.unwrap();
}

/// A WebDriver command of the W3C WebAuthn extension (ChromeDriver has it):
/// a virtual authenticator that holds discoverable credentials and
/// verifies the person (as a platform authenticator with a PIN would).
#[derive(Debug)]
struct AddVirtualAuthenticator;

impl fantoccini::wd::WebDriverCompatibleCommand for AddVirtualAuthenticator {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/webauthn/authenticator",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (axum::http::Method, Option<String>) {
        let body = json!({
            "protocol": "ctap2",
            "transport": "internal",
            "hasResidentKey": true,
            "hasUserVerification": true,
            "isUserConsenting": true,
            "isUserVerified": true,
        });
        (axum::http::Method::POST, Some(body.to_string()))
    }
}

/// Passkeys through the real pages in real Chromium, with a virtual
/// authenticator: added on the security page (the first factor shows the
/// recovery codes once), then signing in with it alone from a game's
/// authorization request (no password), then as the second step after a
/// password, and removed.
#[tokio::test]
async fn passkeys_register_sign_in_without_a_password_and_serve_as_the_second_step() {
    if !browser_available() {
        return;
    }
    let app = crate::helpers::spawn_app_on_localhost(&[]).await;
    app.create_user("alice", PASSWORD, false).await;
    let game = app
        .register_client(
            "Space Game",
            pattmayne_auth::domain::clients::TokenAlg::RS256,
        )
        .await;
    let base = app.state.config.issuer.clone();
    assert!(base.starts_with("http://localhost:"), "{base}");
    let (_driver, browser) = start_browser().await;
    browser.issue_cmd(AddVirtualAuthenticator).await.unwrap();

    // Add one on the security page.
    sign_in(&browser, &base, "/account/security", "alice").await;
    wait_for_path(&browser, "/account/security").await;
    find(&browser, Locator::Id("no-factors")).await;
    type_into(&browser, "passkey-name", "Laptop").await;
    click(&browser, Locator::Id("add-passkey")).await;
    wait_for_path(&browser, "/account/security/recovery-codes/new").await;
    let codes = text_of(&browser, "recovery-codes").await;
    assert_eq!(codes.lines().count(), 10, "{codes}");
    screenshot(&browser, "passkey-recovery-codes").await;
    let stored = pattmayne_auth::entities::mfa_factor::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(
        (stored[0].kind.as_str(), stored[0].name.as_str()),
        ("passkey", "Laptop")
    );
    // Once: the page does not show them again.
    browser
        .goto(&format!("{base}/account/security/recovery-codes/new"))
        .await
        .unwrap();
    wait_for_path(&browser, "/account/security").await;
    let factors = text_of(&browser, "factors").await;
    assert!(
        factors.contains("Laptop") && factors.contains("passkey"),
        "{factors}"
    );
    click(&browser, Locator::Css("form[action='/logout'] button")).await;
    wait_for_path(&browser, "/").await;

    // From the game, with the passkey alone: no password typed.
    let (verifier, challenge) = crate::helpers::pkce_pair();
    let authorize = app.authorize_path(&game, &challenge, &[("scope", "openid")]);
    browser.goto(&format!("{base}{authorize}")).await.unwrap();
    wait_for_path(&browser, "/login").await;
    screenshot(&browser, "login-with-passkey").await;
    click(&browser, Locator::Id("passkey-sign-in")).await;
    let mut landed = None;
    for _ in 0..100 {
        if let Ok(url) = browser.current_url().await
            && url.as_str().starts_with(&game.redirect_uri)
        {
            landed = Some(url);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let Some(landed) = landed else {
        panic!("not back at the game: {:?}", browser.current_url().await);
    };
    let params: std::collections::HashMap<_, _> = landed.query_pairs().into_owned().collect();
    let tokens = app.exchange(&game, &params["code"], &verifier).await;
    let id_token = crate::helpers::s(&tokens, "id_token");
    let payload = id_token.split('.').nth(1).unwrap();
    let claims: serde_json::Value = serde_json::from_slice(
        &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, payload)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["amr"], json!(["hwk", "user", "mfa"]));
    assert_eq!(claims["acr"], "mfa");

    // The password, then the passkey as the second step.
    browser.goto(&format!("{base}/account")).await.unwrap();
    click(&browser, Locator::Css("form[action='/logout'] button")).await;
    wait_for_path(&browser, "/").await;
    sign_in(&browser, &base, "/account", "alice").await;
    wait_for_path(&browser, "/login/factor").await;
    screenshot(&browser, "second-step").await;
    click(&browser, Locator::Id("factor-passkey")).await;
    wait_for_path(&browser, "/account").await;
    find(&browser, Locator::Id("sessions")).await;

    // Removed: the password alone signs in again.
    browser
        .goto(&format!("{base}/account/security"))
        .await
        .unwrap();
    click(&browser, Locator::Css("#factors button[type=submit]")).await;
    wait_for_text(&browser, "notice", "Laptop was removed.").await;
    assert_eq!(
        pattmayne_auth::entities::mfa_factor::Entity::find()
            .all(&app.state.db)
            .await
            .unwrap()
            .len(),
        0
    );
    browser.close().await.unwrap();
}
