//! The token model across devices and races: one live refresh token per
//! SSO session (one browser) per client site; racing code exchanges; a
//! client backend that shares an address with suspended visitors; nothing
//! outliving its session; grants that only the server's record speaks for.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use pattmayne_auth::domain::clients::TokenAlg;
use pattmayne_auth::domain::signing::AccessClaims;
use pattmayne_auth::domain::tokens::{self, GrantError};
use pattmayne_auth::entities::{authorization_code, refresh_token, sso_session};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::Value;

use crate::helpers::{
    PASSWORD, TestApp, TestClient, csrf_from, location_params, pkce_pair, s, spawn_app,
    spawn_app_with,
};

const FIREFOX_ON_LINUX: &str =
    "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
const SAFARI_ON_IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) \
    AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";

/// A JWT's claims, read without verifying (the tests that verify are elsewhere).
fn claims_of(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).expect("a JWT");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64url")).expect("JSON")
}

/// Live families of one session, at any client.
async fn live_families(app: &TestApp, sso_session_id: &str) -> Vec<refresh_token::Model> {
    refresh_token::Entity::find()
        .filter(refresh_token::Column::SsoSessionId.eq(sso_session_id))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .all(&app.state.db)
        .await
        .unwrap()
}

/// The SSO session a browser is signed in with (the newest session whose
/// User-Agent contains `agent`; any session for "").
async fn session_of(app: &TestApp, agent: &str) -> sso_session::Model {
    let mut sessions: Vec<sso_session::Model> = sso_session::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .filter(|s| {
            agent.is_empty() || s.user_agent.as_deref().is_some_and(|ua| ua.contains(agent))
        })
        .collect();
    sessions.sort_by_key(|s| s.created_at);
    sessions.pop().expect("a session for that browser")
}

async fn refresh_status(app: &TestApp, client: &TestClient, token: &str) -> (u16, Value) {
    let res = app.refresh(client, token).await;
    (res.status().as_u16(), res.json().await.unwrap())
}

/// Signs `browser` in and gets tokens for `client`.
async fn tokens_in(app: &TestApp, browser: &reqwest::Client, client: &TestClient) -> Value {
    assert_eq!(
        app.login_with(browser, "alice", PASSWORD).await.status(),
        303
    );
    let (code, verifier) = app.obtain_code(browser, client).await;
    app.exchange(client, &code, &verifier).await
}

#[tokio::test]
async fn two_browsers_of_one_person_keep_their_own_tokens_at_one_site() {
    let app = spawn_app().await;
    app.create_user("alice", PASSWORD, false).await;
    let game = app.register_client("Game", TokenAlg::HS256).await;
    let laptop = app.new_browser(FIREFOX_ON_LINUX);
    let phone = app.new_browser(SAFARI_ON_IPHONE);
    let on_laptop = tokens_in(&app, &laptop, &game).await;
    let on_phone = tokens_in(&app, &phone, &game).await;

    // Signing in on the phone did not sign the laptop out, and each refreshes.
    let (status, laptop_next) = refresh_status(&app, &game, &s(&on_laptop, "refresh_token")).await;
    assert_eq!(status, 200, "{laptop_next}");
    let (status, phone_next) = refresh_status(&app, &game, &s(&on_phone, "refresh_token")).await;
    assert_eq!(status, 200, "{phone_next}");
    let laptop_sid = claims_of(&s(&laptop_next, "access_token"))["sid"].clone();
    let phone_sid = claims_of(&s(&phone_next, "access_token"))["sid"].clone();
    assert_ne!(laptop_sid, phone_sid);

    // The phone signs out: its token dies, the laptop's lives on.
    let csrf = app.csrf(&phone, "/account").await;
    let res = phone
        .post(app.url("/logout"))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let (status, body) = refresh_status(&app, &game, &s(&phone_next, "refresh_token")).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let (status, _) = refresh_status(&app, &game, &s(&laptop_next, "refresh_token")).await;
    assert_eq!(status, 200);
}

/// Sends `count` code exchanges of one signed-in session for `client` at
/// the same instant, from a multi-threaded runtime: each on its own
/// connection, warmed up first, released together by a barrier.
async fn racing_exchanges(app: &TestApp, client: &TestClient, count: usize) -> Vec<(u16, Value)> {
    let browser = app.new_client(None);
    assert_eq!(
        app.login_with(&browser, "alice", PASSWORD).await.status(),
        303
    );
    let mut codes = Vec::new();
    for _ in 0..count {
        codes.push(app.obtain_code(&browser, client).await);
    }
    let barrier = Arc::new(tokio::sync::Barrier::new(count));
    let tasks: Vec<_> = codes
        .into_iter()
        .map(|(code, verifier)| {
            let http = app.new_client(None);
            let (health, token_url) = (app.url("/healthz"), app.url("/oauth2/token"));
            let client = client.clone();
            let barrier = barrier.clone();
            tokio::spawn(async move {
                http.get(health).send().await.unwrap(); // the connection is open before the race
                barrier.wait().await;
                let res = http
                    .post(token_url)
                    .basic_auth(&client.client_id, Some(&client.client_secret))
                    .form(&[
                        ("grant_type", "authorization_code"),
                        ("code", code.as_str()),
                        ("redirect_uri", client.redirect_uri.as_str()),
                        ("code_verifier", verifier.as_str()),
                    ])
                    .send()
                    .await
                    .unwrap();
                (res.status().as_u16(), res.json::<Value>().await.unwrap())
            })
        })
        .collect();
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.unwrap());
    }
    answers
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn eight_racing_code_exchanges_of_one_session_all_work_and_leave_one_family() {
    let app = spawn_app().await;
    app.create_user("alice", PASSWORD, false).await;
    let game = app.register_client("Game", TokenAlg::HS256).await;
    let answers = racing_exchanges(&app, &game, 8).await;
    for (status, body) in &answers {
        assert_eq!(*status, 200, "{body}");
    }
    // Whichever answer the site keeps works: each refresh token handed out
    // refreshes when presented, one after another.
    for (_, body) in &answers {
        let (status, next) = refresh_status(&app, &game, &s(body, "refresh_token")).await;
        assert_eq!(status, 200, "{next}");
    }
    let sid = claims_of(&s(&answers[0].1, "access_token"))["sid"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(live_families(&app, &sid).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_code_exchanges_without_grace_never_fail_and_leave_one_family() {
    let app = spawn_app_with(&["--refresh-grace-secs", "0"]).await;
    app.create_user("alice", PASSWORD, false).await;
    let game = app.register_client("Game", TokenAlg::HS256).await;
    let answers = racing_exchanges(&app, &game, 8).await;
    for (status, body) in &answers {
        assert_eq!(*status, 200, "{body}");
    }
    let sid = claims_of(&s(&answers[0].1, "access_token"))["sid"]
        .as_str()
        .unwrap()
        .to_owned();
    // With no grace every exchange replaces the one before: exactly one of
    // the tokens handed out is live, and it works.
    assert_eq!(live_families(&app, &sid).await.len(), 1);
    let mut working = 0;
    for (_, body) in &answers {
        if refresh_status(&app, &game, &s(body, "refresh_token"))
            .await
            .0
            == 200
        {
            working += 1;
        }
    }
    assert_eq!(working, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_sign_out_racing_code_exchanges_leaves_no_live_family() {
    let app = spawn_app().await;
    app.create_user("alice", PASSWORD, false).await;
    let sites = [
        app.register_client("Alpha", TokenAlg::HS256).await,
        app.register_client("Beta", TokenAlg::EdDSA).await,
        app.register_client("Gamma", TokenAlg::HS256).await,
    ];
    for _ in 0..4 {
        let browser = app.new_browser(FIREFOX_ON_LINUX);
        assert_eq!(
            app.login_with(&browser, "alice", PASSWORD).await.status(),
            303
        );
        let sid = session_of(&app, "Firefox").await.id;
        let mut codes = Vec::new();
        for site in sites.iter().chain(sites.iter()) {
            let (code, verifier) = app.obtain_code(&browser, site).await;
            codes.push((site.clone(), code, verifier));
        }
        let csrf = app.csrf(&browser, "/account").await;
        let barrier = Arc::new(tokio::sync::Barrier::new(codes.len() + 1));
        let mut tasks = Vec::new();
        for (site, code, verifier) in codes {
            let http = app.new_client(None);
            let (health, url) = (app.url("/healthz"), app.url("/oauth2/token"));
            let barrier = barrier.clone();
            tasks.push(tokio::spawn(async move {
                http.get(health).send().await.unwrap();
                barrier.wait().await;
                http.post(url)
                    .basic_auth(&site.client_id, Some(&site.client_secret))
                    .form(&[
                        ("grant_type", "authorization_code"),
                        ("code", code.as_str()),
                        ("redirect_uri", site.redirect_uri.as_str()),
                        ("code_verifier", verifier.as_str()),
                    ])
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            }));
        }
        let sign_out = {
            let (browser, url, barrier) = (browser.clone(), app.url("/logout"), barrier.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                browser
                    .post(url)
                    .form(&[("csrf_token", csrf.as_str())])
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            })
        };
        for task in tasks {
            let status = task.await.unwrap();
            assert!(status == 200 || status == 400, "exchange answered {status}");
        }
        assert_eq!(sign_out.await.unwrap(), 303);
        assert!(
            live_families(&app, &sid).await.is_empty(),
            "a family outlived the sign-out of its session"
        );
    }
}

#[tokio::test]
async fn a_family_starts_and_rotates_only_while_its_session_is_live() {
    let app = spawn_app().await;
    app.create_user("alice", PASSWORD, false).await;
    let game = app.register_client("Game", TokenAlg::HS256).await;
    let (browser, issued) = app.sign_in_and_get_tokens("alice", PASSWORD, &game).await;
    let (code, _) = app.obtain_code(&browser, &game).await;
    let sid = claims_of(&s(&issued, "access_token"))["sid"]
        .as_str()
        .unwrap()
        .to_owned();
    // The session ends without its family being revoked (the window a
    // racing sign-out used to leave): the statements themselves refuse.
    sso_session::Entity::update_many()
        .col_expr(
            sso_session::Column::EndedAt,
            Expr::value(app.state.clock.now()),
        )
        .filter(sso_session::Column::Id.eq(sid.as_str()))
        .exec(&app.state.db)
        .await
        .unwrap();
    let (status, body) = refresh_status(&app, &game, &s(&issued, "refresh_token")).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let family = live_families(&app, &sid).await;
    assert_eq!(family.len(), 1);
    assert_eq!(
        family[0].generation, 0,
        "a family of an ended session rotated"
    );

    let row = authorization_code::Entity::find_by_id(pattmayne_auth::crypto::hash_token(&code))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    sea_orm::ActiveModelTrait::delete(
        refresh_token::ActiveModel {
            family_id: sea_orm::Set(family[0].family_id.clone()),
            ..Default::default()
        },
        &app.state.db,
    )
    .await
    .unwrap();
    let started = tokens::start_family(
        &app.state.db,
        &app.state.keys,
        tokens::FamilyFor::code(&row, &pattmayne_auth::crypto::random_id(), i64::MAX),
        app.state.config.refresh_grace_secs,
        app.state.clock.now(),
    )
    .await
    .unwrap();
    assert_eq!(started.err(), Some(GrantError::SessionEnded));
    assert!(live_families(&app, &sid).await.is_empty());
}

#[tokio::test]
async fn a_suspended_address_still_lets_its_client_backend_exchange_and_refresh() {
    let app = spawn_app_with(&["--login-max-failures", "2"]).await;
    app.create_user("alice", PASSWORD, false).await;
    let game = app.register_client("Game", TokenAlg::HS256).await;
    // Two failed browser sign-ins from 127.0.0.1 suspend it.
    let visitor = app.new_client(None);
    for _ in 0..2 {
        app.login_with(&visitor, "alice", "wrong password").await;
    }
    assert_eq!(
        app.login_with(&visitor, "alice", PASSWORD).await.status(),
        429
    );
    // Alice signs in elsewhere; the site's backend, at 127.0.0.1, does its work.
    let browser = app.new_client(Some("127.0.0.2".parse().unwrap()));
    assert_eq!(
        app.login_with(&browser, "alice", PASSWORD).await.status(),
        303
    );
    let (code, verifier) = app.obtain_code(&browser, &game).await;
    let issued = app.exchange(&game, &code, &verifier).await;
    let (status, next) = refresh_status(&app, &game, &s(&issued, "refresh_token")).await;
    assert_eq!(status, 200, "{next}");
    let res = app
        .client
        .post(app.url("/oauth2/introspect"))
        .basic_auth(&game.client_id, Some(&game.client_secret))
        .form(&[("token", s(&next, "refresh_token").as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.json::<Value>().await.unwrap()["active"], true);
    let res = app
        .client
        .post(app.url("/oauth2/revoke"))
        .basic_auth(&game.client_id, Some(&game.client_secret))
        .form(&[("token", s(&next, "refresh_token").as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // Wrong credentials are still 401, suspended address or not.
    let res = app
        .client
        .post(app.url("/oauth2/token"))
        .basic_auth(&game.client_id, Some("wrong"))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", "x.y")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn no_token_outlives_the_session_it_was_issued_under() {
    let app = spawn_app_with(&[
        "--session-ttl-secs",
        "300",
        "--access-token-ttl-secs",
        "600",
    ])
    .await;
    app.create_user("alice", PASSWORD, false).await;
    let game = app.register_client("Game", TokenAlg::EdDSA).await;
    let browser = app.new_client(None);
    app.login_with(&browser, "alice", PASSWORD).await;
    let session_ends = session_of(&app, "").await.expires_at;
    let (verifier, challenge) = pkce_pair();
    let res = browser
        .get(app.url(&app.authorize_path(&game, &challenge, &[("scope", "openid")])))
        .send()
        .await
        .unwrap();
    let code = location_params(&res)["code"].clone();
    let issued = app.exchange(&game, &code, &verifier).await;
    assert_eq!(claims_of(&s(&issued, "access_token"))["exp"], session_ends);
    assert_eq!(claims_of(&s(&issued, "id_token"))["exp"], session_ends);
    assert_eq!(issued["expires_in"], session_ends - app.state.clock.now());

    assert!(app.state.clock.advance(200));
    let (status, next) = refresh_status(&app, &game, &s(&issued, "refresh_token")).await;
    assert_eq!(status, 200);
    assert_eq!(claims_of(&s(&next, "access_token"))["exp"], session_ends);
    assert_eq!(next["expires_in"], session_ends - app.state.clock.now());
    assert_eq!(next["refresh_token_expires_in"], next["expires_in"]);
}

#[tokio::test]
async fn a_code_presented_by_another_client_is_refused_and_costs_its_owner_nothing() {
    let app = spawn_app().await;
    app.create_user("alice", PASSWORD, false).await;
    let game = app.register_client("Game", TokenAlg::HS256).await;
    let other = app.register_client("Other", TokenAlg::HS256).await;
    let browser = app.new_client(None);
    app.login_with(&browser, "alice", PASSWORD).await;
    let exchange_as = |client: &TestClient, code: &str, verifier: &str, redirect: &str| {
        let form = [
            ("grant_type", "authorization_code".to_owned()),
            ("code", code.to_owned()),
            ("redirect_uri", redirect.to_owned()),
            ("code_verifier", verifier.to_owned()),
        ];
        let request = app
            .client
            .post(app.url("/oauth2/token"))
            .basic_auth(&client.client_id, Some(&client.client_secret))
            .form(&form);
        async move {
            let res = request.send().await.unwrap();
            (res.status().as_u16(), res.json::<Value>().await.unwrap())
        }
    };

    // An unused code presented by another client does not burn it.
    let (code, verifier) = app.obtain_code(&browser, &game).await;
    let (status, body) = exchange_as(&other, &code, &verifier, &game.redirect_uri).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let issued = app.exchange(&game, &code, &verifier).await;

    // A used code replayed by another client revokes nothing.
    let (status, body) = exchange_as(&other, &code, &verifier, &game.redirect_uri).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let (status, _) = refresh_status(&app, &game, &s(&issued, "refresh_token")).await;
    assert_eq!(
        status, 200,
        "another client's replay revoked the owner's tokens"
    );
}

#[tokio::test]
async fn a_grace_of_zero_forgives_no_reuse_even_within_the_same_second() {
    let app = spawn_app_with(&["--refresh-grace-secs", "0"]).await;
    app.create_user("alice", PASSWORD, false).await;
    let game = app.register_client("Game", TokenAlg::HS256).await;
    let (_, issued) = app.sign_in_and_get_tokens("alice", PASSWORD, &game).await;
    let first = s(&issued, "refresh_token");
    let (status, next) = refresh_status(&app, &game, &first).await;
    assert_eq!(status, 200);
    // The clock has not moved: the same second.
    let (status, body) = refresh_status(&app, &game, &first).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let (status, _) = refresh_status(&app, &game, &s(&next, "refresh_token")).await;
    assert_eq!(status, 400, "the family survived a replay with no grace");
}

/// Follows a redirect to the login page and signs in there as `username`;
/// returns where the sign-in sends the browser next.
async fn sign_in_at(
    app: &TestApp,
    browser: &reqwest::Client,
    login: &str,
    username: &str,
) -> String {
    let page = browser
        .get(app.url(login))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let next: String = url::Url::parse(&app.url(login))
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "next")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    let res = browser
        .post(app.url("/login"))
        .form(&[
            ("username", username),
            ("password", PASSWORD),
            ("csrf_token", csrf_from(&page).as_str()),
            ("next", next.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    res.headers()["location"].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn prompt_login_asks_a_signed_in_person_again_and_keeps_the_session() {
    let app = spawn_app().await;
    app.create_user("alice", PASSWORD, false).await;
    let game = app.register_client("Game", TokenAlg::HS256).await;
    let browser = app.new_client(None);
    app.login_with(&browser, "alice", PASSWORD).await;
    let session = session_of(&app, "").await;
    assert!(app.state.clock.advance(100));

    let (verifier, challenge) = pkce_pair();
    let extra = [("scope", "openid"), ("prompt", "login"), ("nonce", "n1")];
    let res = browser
        .get(app.url(&app.authorize_path(&game, &challenge, &extra)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let login = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        login.starts_with("/login?next=") && login.ends_with("&reauth=1"),
        "{login}"
    );
    let page = browser
        .get(app.url(&login))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Sign in again") && page.contains("value=\"alice\""));

    let back = sign_in_at(&app, &browser, &login, "alice").await;
    assert!(
        back.starts_with("/oauth2/authorize?") && !back.contains("prompt"),
        "{back}"
    );
    let res = browser.get(app.url(&back)).send().await.unwrap();
    assert_eq!(res.status(), 302, "coming back asked again");
    let code = location_params(&res)["code"].clone();
    let issued = app.exchange(&game, &code, &verifier).await;
    let id = claims_of(&s(&issued, "id_token"));
    assert_eq!(id["auth_time"], app.state.clock.now());
    assert_eq!(
        id["sid"],
        session.id.as_str(),
        "re-authentication started a new session"
    );
    assert_eq!(id["nonce"], "n1");
}

#[tokio::test]
async fn max_age_re_authenticates_only_an_older_sign_in() {
    let app = spawn_app().await;
    app.create_user("alice", PASSWORD, false).await;
    let game = app.register_client("Game", TokenAlg::HS256).await;
    let browser = app.new_client(None);
    app.login_with(&browser, "alice", PASSWORD).await;
    let signed_in_at = app.state.clock.now();
    assert!(app.state.clock.advance(100));
    let authorize = |extra: &[(&str, &str)]| {
        let (_, challenge) = pkce_pair();
        browser
            .get(app.url(&app.authorize_path(&game, &challenge, extra)))
            .send()
    };

    let res = authorize(&[("max_age", "150")]).await.unwrap();
    assert_eq!(
        res.status(),
        302,
        "a sign-in 100 s old is fresh enough for 150"
    );
    assert!(location_params(&res).contains_key("code"));
    let res = authorize(&[("max_age", "50")]).await.unwrap();
    assert_eq!(res.status(), 303);
    let login = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(login.ends_with("&reauth=1"), "{login}");
    let res = authorize(&[("max_age", "0")]).await.unwrap();
    assert_eq!(res.status(), 303, "max_age=0 is prompt=login");
    let res = authorize(&[("max_age", "50"), ("prompt", "none")])
        .await
        .unwrap();
    assert_eq!(res.status(), 302);
    assert_eq!(location_params(&res)["error"], "login_required");
    for bad in ["-1", "soon", "1e3"] {
        let res = authorize(&[("max_age", bad)]).await.unwrap();
        assert_eq!(res.status(), 302, "max_age={bad}");
        assert_eq!(location_params(&res)["error"], "invalid_request");
    }
    let res = authorize(&[("prompt", "none login")]).await.unwrap();
    assert_eq!(location_params(&res)["error"], "invalid_request");

    // After signing in again, max_age=50 is satisfied.
    let back = sign_in_at(&app, &browser, &login, "alice").await;
    assert!(!back.contains("max_age"), "{back}");
    let res = authorize(&[("max_age", "50")]).await.unwrap();
    assert_eq!(res.status(), 302);
    let session = session_of(&app, "").await;
    assert_eq!(session.authenticated_at, signed_in_at + 100);
}

#[tokio::test]
async fn someone_else_signing_in_when_asked_again_takes_the_browser_over() {
    let app = spawn_app().await;
    app.create_user("alice", PASSWORD, false).await;
    app.create_user("bob", PASSWORD, false).await;
    let game = app.register_client("Game", TokenAlg::HS256).await;
    let browser = app.new_client(None);
    let issued = tokens_in(&app, &browser, &game).await;
    let alices = session_of(&app, "").await;
    let (_, challenge) = pkce_pair();
    let res = browser
        .get(app.url(&app.authorize_path(&game, &challenge, &[("prompt", "login")])))
        .send()
        .await
        .unwrap();
    let login = res.headers()["location"].to_str().unwrap().to_owned();
    sign_in_at(&app, &browser, &login, "bob").await;
    let account = browser
        .get(app.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(account.contains("bob") && !account.contains(">alice<"));
    // Alice's session in this browser ended, and with it her token.
    let ended = sso_session::Entity::find_by_id(alices.id)
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert!(ended.ended_at.is_some());
    assert_eq!(
        refresh_status(&app, &game, &s(&issued, "refresh_token"))
            .await
            .0,
        400
    );
}

#[tokio::test]
async fn the_account_page_lists_each_session_and_signs_one_out() {
    let app = spawn_app().await;
    app.create_user("alice", PASSWORD, false).await;
    app.create_user("bob", PASSWORD, false).await;
    let game = app.register_client("Space Game", TokenAlg::HS256).await;
    let laptop = app.new_browser(FIREFOX_ON_LINUX);
    let phone = app.new_browser(SAFARI_ON_IPHONE);
    let on_laptop = tokens_in(&app, &laptop, &game).await;
    let on_phone = tokens_in(&app, &phone, &game).await;
    assert!(app.state.clock.advance(600));
    refresh_status(&app, &game, &s(&on_laptop, "refresh_token")).await;

    let page = laptop
        .get(app.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Firefox on Linux") && page.contains("Safari on iPhone"),
        "{page}"
    );
    assert!(page.contains("Space Game"));
    assert!(
        page.contains("just now") && page.contains("10 minutes ago"),
        "{page}"
    );
    assert_eq!(page.matches("/sign-out\"").count(), 2);

    // Someone else cannot end alice's sessions.
    let phone_session = session_of(&app, "iPhone").await;
    let bob = app.new_client(None);
    app.login_with(&bob, "bob", PASSWORD).await;
    let csrf = app.csrf(&bob, "/account").await;
    let path = format!("/account/sessions/{}/sign-out", phone_session.id);
    let res = bob
        .post(app.url(&path))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    // Without the form's token nothing happens either.
    let res = laptop
        .post(app.url(&path))
        .form(&[("csrf_token", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);

    // The laptop signs the phone out.
    let csrf = app.csrf(&laptop, "/account").await;
    let res = laptop
        .post(app.url(&path))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/account");
    assert_eq!(
        refresh_status(&app, &game, &s(&on_phone, "refresh_token"))
            .await
            .0,
        400
    );
    let res = phone.get(app.url("/account")).send().await.unwrap();
    assert_eq!(res.status(), 303, "the phone is still signed in");
    let page = laptop
        .get(app.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains("Safari on iPhone"));
}

#[tokio::test]
async fn userinfo_and_introspection_believe_only_the_servers_record_of_the_grant() {
    let app = spawn_app().await;
    app.create_user("alice", PASSWORD, false).await;
    let game = app.register_client("Game", TokenAlg::HS256).await;
    let browser = app.new_client(None);
    app.login_with(&browser, "alice", PASSWORD).await;
    let (verifier, challenge) = pkce_pair();
    let res = browser
        .get(app.url(&app.authorize_path(&game, &challenge, &[("scope", "openid")])))
        .send()
        .await
        .unwrap();
    let code = location_params(&res)["code"].clone();
    let issued = app.exchange(&game, &code, &verifier).await;
    let genuine = s(&issued, "access_token");

    // The site signs a token of its own with its jwt_secret: more scope,
    // expiry in 2100, the genuine token's other claims.
    let secret = game.jwt_secret.clone().unwrap();
    let key = jsonwebtoken::DecodingKey::from_secret(secret.as_bytes()).unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    validation.set_audience(&[&game.client_id]);
    let mut claims = jsonwebtoken::decode::<AccessClaims>(&genuine, &key, &validation)
        .unwrap()
        .claims;
    claims.scope = "openid email".into();
    claims.exp = 4_102_444_800;
    let forged = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()).unwrap(),
    )
    .unwrap();

    let userinfo = |token: String| {
        let request = app
            .client
            .get(app.url("/oauth2/userinfo"))
            .bearer_auth(token);
        async move {
            let res = request.send().await.unwrap();
            (res.status().as_u16(), res.json::<Value>().await.unwrap())
        }
    };
    let introspect = |token: String| {
        let request = app
            .client
            .post(app.url("/oauth2/introspect"))
            .basic_auth(&game.client_id, Some(&game.client_secret))
            .form(&[("token", token)]);
        async move { request.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let (status, body) = userinfo(forged.clone()).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_token"))
    );
    assert_eq!(
        introspect(forged).await,
        serde_json::json!({"active": false})
    );

    // The genuine token: what the grant covers, no more.
    let (status, body) = userinfo(genuine.clone()).await;
    assert_eq!(status, 200);
    assert!(body.get("email").is_none(), "{body}");
    let info = introspect(genuine.clone()).await;
    assert_eq!(
        (info["active"].as_bool(), info["scope"].as_str()),
        (Some(true), Some("openid"))
    );

    // Once the site's grant is revoked, its access token speaks for nothing.
    let res = app
        .client
        .post(app.url("/oauth2/revoke"))
        .basic_auth(&game.client_id, Some(&game.client_secret))
        .form(&[("token", s(&issued, "refresh_token"))])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(userinfo(genuine.clone()).await.0, 401);
    assert_eq!(introspect(genuine).await["active"], false);
}

#[tokio::test]
async fn the_migration_to_sessions_per_device_keeps_every_live_token() {
    use migration::MigratorTrait;
    let (url, pg) = crate::helpers::fresh_database_url().await;
    let db = sea_orm::Database::connect(&url).await.unwrap();
    migration::Migrator::up(&db, Some(2)).await.unwrap();
    let now = pattmayne_auth::clock::system_now();
    let secret = "a-client-secret-of-the-previous-release";
    let token = "f4m1ly-0000-0000-0000-000000000001.live-token-of-the-previous-release";
    let hash = pattmayne_auth::crypto::hash_token;
    for sql in [
        format!(
            "INSERT INTO users (id, username, email, password_hash, is_admin, disabled, created_at, updated_at) \
             VALUES ('u1', 'alice', 'alice@example.com', 'x', false, false, {now}, {now})"
        ),
        format!(
            "INSERT INTO clients (client_id, name, secret_hash, token_alg, jwt_secret_enc, enabled, created_at, updated_at) \
             VALUES ('c1', 'Game', '{}', 'EdDSA', NULL, true, {now}, {now})",
            hash(secret)
        ),
        format!(
            "INSERT INTO sso_sessions (id, user_id, created_at, expires_at, ended_at, ip, user_agent) \
             VALUES ('s1', 'u1', {now}, {}, NULL, '127.0.0.1', NULL)",
            now + 3600
        ),
        format!(
            "INSERT INTO refresh_tokens (family_id, token_hash, user_id, client_id, sso_session_id, scope, \
               created_at, expires_at, generation, rotated_at, prev_rotated_at, revoked_at) \
             VALUES ('f4m1ly-0000-0000-0000-000000000001', '{}', 'u1', 'c1', 's1', 'openid', {now}, {}, 0, NULL, NULL, NULL)",
            hash(token),
            now + 3600
        ),
    ] {
        db.execute_unprepared(&sql).await.unwrap();
    }
    db.close().await.unwrap();

    let app = crate::helpers::spawn_app_on(&url, pg, &[]).await;
    let session = sso_session::Entity::find_by_id("s1")
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(session.authenticated_at, now);
    let game = TestClient {
        client_id: "c1".into(),
        client_secret: secret.into(),
        jwt_secret: None,
        redirect_uri: "https://game.example/callback".into(),
    };
    let (status, body) = refresh_status(&app, &game, token).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn a_browser_signed_in_before_the_sign_in_column_stays_signed_in() {
    use migration::MigratorTrait;
    let (url, pg) = crate::helpers::fresh_database_url().await;
    let db = sea_orm::Database::connect(&url).await.unwrap();
    let before = migration::Migrator::migrations().len() as u32 - 1;
    migration::Migrator::up(&db, Some(before)).await.unwrap();
    let now = pattmayne_auth::clock::system_now();
    let id = tower_sessions::session::Id::default();
    let data = serde_json::json!({ "sso_session_id": "s1" }).to_string();
    for sql in [
        format!(
            "INSERT INTO users (id, username, email, password_hash, is_admin, disabled, created_at, updated_at, email_verified) \
             VALUES ('u1', 'alice', 'alice@example.com', 'x', false, false, {now}, {now}, false)"
        ),
        format!(
            "INSERT INTO sso_sessions (id, user_id, created_at, expires_at, ended_at, ip, user_agent, authenticated_at, amr) \
             VALUES ('s1', 'u1', {now}, {}, NULL, '127.0.0.1', NULL, {now}, 'pwd')",
            now + 3600
        ),
        format!(
            "INSERT INTO http_sessions (id_hash, data, expires_at) VALUES ('{}', '{data}', {})",
            pattmayne_auth::crypto::hash_token(&id.to_string()),
            now + 3600
        ),
    ] {
        db.execute_unprepared(&sql).await.unwrap();
    }
    db.close().await.unwrap();

    let app = crate::helpers::spawn_app_on(&url, pg, &[]).await;
    let res = app
        .new_client(None)
        .get(app.url("/account"))
        .header("cookie", format!("pattmayne_session={id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "still signed in after the upgrade");
    assert!(res.text().await.unwrap().contains("alice"));
}
