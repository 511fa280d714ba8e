//! Single sign-on across two client sites in a real browser (headless
//! Chromium): two demo game sites built on the client kit, on two ports of
//! `localhost`, and the server on a third. Signing in at one signs the
//! person in at the other without a login form; an expired access token is
//! refreshed by both without the person noticing; signing out at one is
//! heard by the other through back-channel logout, which refuses the
//! session on its very next request although its access token is still
//! valid. Every cookie's flags are checked as the browser holds them.

use std::sync::atomic::Ordering;
use std::time::Duration;

use fantoccini::{Client, Locator};
use pattmayne_auth::domain::clients::TokenAlg;
use pattmayne_auth::entities::logout_delivery;
use sea_orm::{EntityTrait, PaginatorTrait};

use crate::browser::{
    browser_available, click, fill, find, screenshot, start_browser, submit_login, wait_for_path,
    wait_for_text,
};
use crate::helpers::{PASSWORD, spawn_app_on_localhost};
use crate::kit::{Site, demo_site};

/// The browser's cookie `name`, checked for the kit's flags.
async fn kit_cookie(browser: &Client, name: &str) -> Option<String> {
    let cookies = browser.get_all_cookies().await.unwrap();
    let cookie = cookies.iter().find(|c| c.name() == name)?;
    assert_eq!(cookie.http_only(), Some(true), "{name} is HttpOnly");
    assert_eq!(cookie.secure(), Some(true), "{name} is Secure");
    assert_eq!(
        format!("{:?}", cookie.same_site()),
        "Some(Lax)",
        "{name} is SameSite=Lax"
    );
    assert_eq!(cookie.path(), Some("/"), "{name} is for the whole site");
    Some(cookie.value().to_owned())
}

async fn open(browser: &Client, site: &Site) {
    browser.goto(&format!("{}/", site.base)).await.unwrap();
}

async fn on_site(browser: &Client, site: &Site) {
    wait_for_path(browser, "/").await;
    let here = browser.current_url().await.unwrap();
    assert_eq!(
        here.origin().ascii_serialization(),
        site.base,
        "not back at the site"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_sites_share_one_sign_in_refresh_and_are_signed_out_together() {
    if !browser_available() {
        return;
    }
    let app = spawn_app_on_localhost(&[]).await;
    app.create_user("alice", PASSWORD, false).await;
    // Ports do not separate cookies: the two sites need their own prefixes.
    let game = demo_site(&app, "Space Game", "localhost", TokenAlg::HS256, "game").await;
    let forum = demo_site(&app, "Forum Quest", "localhost", TokenAlg::RS256, "forum").await;
    let (_driver, browser) = start_browser().await;

    // Site A: the hosted login, which names the site, then back, greeted.
    open(&browser, &game).await;
    click(&browser, Locator::Id("sign-in")).await;
    wait_for_path(&browser, "/login").await;
    let login = browser.source().await.unwrap();
    assert!(
        login.contains("Space Game"),
        "the login page names the site"
    );
    fill(&browser, "username", "alice").await;
    fill(&browser, "password", PASSWORD).await;
    submit_login(&browser).await;
    on_site(&browser, &game).await;
    wait_for_text(&browser, "greeting", "Hello, alice!").await;
    screenshot(&browser, "sso-game-signed-in").await;
    let game_access = kit_cookie(&browser, "game_access")
        .await
        .expect("access cookie");
    kit_cookie(&browser, "game_refresh")
        .await
        .expect("refresh cookie");
    click(&browser, Locator::Id("play")).await;
    wait_for_text(&browser, "score", "1").await;
    let sign_ins = app.state.metrics.logins_succeeded.load(Ordering::SeqCst);
    assert_eq!(sign_ins, 1);

    // Site B: signed in with no login form (SSO).
    open(&browser, &forum).await;
    click(&browser, Locator::Id("sign-in")).await;
    on_site(&browser, &forum).await;
    wait_for_text(&browser, "greeting", "Hello, alice!").await;
    assert_eq!(
        app.state.metrics.logins_succeeded.load(Ordering::SeqCst),
        sign_ins,
        "no second sign-in"
    );
    screenshot(&browser, "sso-forum-signed-in").await;
    let forum_access = kit_cookie(&browser, "forum_access")
        .await
        .expect("access cookie");
    kit_cookie(&browser, "forum_refresh")
        .await
        .expect("refresh cookie");
    // Each site keeps its own score for the player.
    wait_for_text(&browser, "score", "0").await;

    // The access tokens expire: both sites refresh as the pages load.
    app.state
        .clock
        .advance(app.state.config.access_token_ttl_secs + 1);
    for (site, name, before) in [
        (&game, "game_access", &game_access),
        (&forum, "forum_access", &forum_access),
    ] {
        open(&browser, site).await;
        wait_for_text(&browser, "greeting", "Hello, alice!").await;
        let after = kit_cookie(&browser, name)
            .await
            .expect("a new access cookie");
        assert_ne!(&after, before, "{name} was refreshed");
    }
    open(&browser, &game).await;
    wait_for_text(&browser, "score", "1").await;

    // Sign out at B.
    let sent = app.state.metrics.logouts_sent.load(Ordering::SeqCst);
    open(&browser, &forum).await;
    click(&browser, Locator::Id("sign-out")).await;
    find(&browser, Locator::Id("sign-in")).await;
    assert!(kit_cookie(&browser, "forum_access").await.is_none());
    assert!(kit_cookie(&browser, "forum_refresh").await.is_none());

    // The server tells A (and B) through their back-channel URIs, queued
    // and sent apart from the sign-out; wait for A's answer to arrive.
    for _ in 0..200 {
        let queued = logout_delivery::Entity::find()
            .count(&app.state.db)
            .await
            .unwrap();
        if queued == 0 && app.state.metrics.logouts_sent.load(Ordering::SeqCst) >= sent + 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(app.state.metrics.logouts_sent.load(Ordering::SeqCst) >= sent + 2);
    // A's access JWT has ten minutes left, yet A's very next request refuses it.
    open(&browser, &game).await;
    find(&browser, Locator::Id("sign-in")).await;
    assert!(
        kit_cookie(&browser, "game_access").await.is_none(),
        "A cleared its cookies"
    );
    assert!(kit_cookie(&browser, "game_refresh").await.is_none());
    screenshot(&browser, "sso-game-signed-out").await;

    // Signing in again at A needs the login form: the session is over.
    click(&browser, Locator::Id("sign-in")).await;
    wait_for_path(&browser, "/login").await;
    browser.close().await.unwrap();
}
