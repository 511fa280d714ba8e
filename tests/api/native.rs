//! Games outside the browser: public clients (RFC 8252), loopback and
//! private-use redirect URIs, and the device authorization grant (RFC
//! 8628), over HTTP on the test database; the two examples
//! (`examples/desktop-login`, `examples/device-login`) run against the
//! real server.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use jsonwebtoken::Algorithm;
use pattmayne_auth::domain::clients::{self, ClientKind, TokenAlg};
use pattmayne_auth::domain::signing::AccessClaims;
use pattmayne_auth::entities::{device_code, refresh_token, sso_session};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::Value;

use crate::helpers::{
    PASSWORD, TestApp, TestClient, location_params, pkce_pair, s, spawn_app, spawn_app_named,
    spawn_app_with, with_jwks,
};

const LOOPBACK: &str = "http://127.0.0.1/callback";
const PUBLIC: ClientKind = ClientKind {
    public: true,
    device: false,
};
const DEVICE: ClientKind = ClientKind {
    public: true,
    device: true,
};

/// A desktop game: public, EdDSA, the portless loopback redirect URI.
async fn desktop_game(app: &TestApp) -> TestClient {
    app.register_client_of("Desktop Game", TokenAlg::EdDSA, LOOPBACK, PUBLIC)
        .await
}

/// A browser signed in as alice (created here).
async fn alice(app: &TestApp) -> reqwest::Client {
    app.create_user("alice", PASSWORD, false).await;
    let browser = app.new_client(None);
    assert_eq!(
        app.login_with(&browser, "alice", PASSWORD).await.status(),
        303
    );
    browser
}

/// An authorization request for `client_id` coming back to `redirect_uri`.
async fn authorize(
    app: &TestApp,
    browser: &reqwest::Client,
    client_id: &str,
    redirect_uri: &str,
    challenge: &str,
) -> reqwest::Response {
    let client = TestClient {
        client_id: client_id.to_owned(),
        client_secret: String::new(),
        jwt_secret: None,
        redirect_uri: redirect_uri.to_owned(),
    };
    browser
        .get(app.url(&app.authorize_path(&client, challenge, &[])))
        .send()
        .await
        .unwrap()
}

/// A token request that authenticates with nothing but what `form` holds.
async fn token(app: &TestApp, form: &[(&str, &str)]) -> reqwest::Response {
    app.client
        .post(app.url("/oauth2/token"))
        .form(form)
        .send()
        .await
        .unwrap()
}

async fn error_of(res: reqwest::Response) -> (u16, String) {
    let status = res.status().as_u16();
    let body: Value = res.json().await.unwrap();
    (status, s(&body, "error"))
}

/// The code flow of a public client to `redirect_uri`: the token response.
async fn public_flow(
    app: &TestApp,
    browser: &reqwest::Client,
    game: &TestClient,
    redirect_uri: &str,
) -> Value {
    let (verifier, challenge) = pkce_pair();
    let res = authorize(app, browser, &game.client_id, redirect_uri, &challenge).await;
    assert_eq!(res.status(), 302, "{redirect_uri} was not accepted");
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with(redirect_uri), "{location}");
    let code = location_params(&res)["code"].clone();
    let res = token(
        app,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", redirect_uri),
            ("code_verifier", &verifier),
            ("client_id", &game.client_id),
        ],
    )
    .await;
    assert_eq!(res.status(), 200, "a public client's code exchange");
    res.json().await.unwrap()
}

#[tokio::test]
async fn a_loopback_uri_without_a_port_matches_any_port_and_nothing_looser() {
    let app = spawn_app().await;
    let browser = alice(&app).await;
    let game = desktop_game(&app).await;
    let v6 = app
        .register_client_of("V6 Game", TokenAlg::EdDSA, "http://[::1]/cb", PUBLIC)
        .await;
    let (_, challenge) = pkce_pair();
    for (client, uri) in [
        (&game, "http://127.0.0.1:49152/callback"),
        (&game, "http://127.0.0.1:1/callback"),
        (&game, LOOPBACK),
        (&v6, "http://[::1]:50000/cb"),
    ] {
        let res = authorize(&app, &browser, &client.client_id, uri, &challenge).await;
        assert_eq!(res.status(), 302, "{uri} should match");
        let location = res.headers()["location"].to_str().unwrap();
        assert!(location.starts_with(&format!("{uri}?")), "{location}");
    }
    // A confidential client's loopback URI with a port is matched exactly.
    let site = app
        .register_client_at("Dev Site", TokenAlg::HS256, "http://127.0.0.1:8000/cb")
        .await;
    for (client, uri) in [
        (&game, "http://127.0.0.2:49152/callback"),
        (&game, "http://localhost:49152/callback"),
        (&game, "http://127.0.0.1:49152/callback/other"),
        (&game, "http://127.0.0.1:49152/callbac"),
        (&game, "http://127.0.0.1:49152/callback?extra=1"),
        (&game, "https://127.0.0.1:49152/callback"),
        (&v6, "http://127.0.0.1:50000/cb"),
        (&site, "http://127.0.0.1:8001/cb"),
        (&site, "http://127.0.0.1/cb"),
    ] {
        let res = authorize(&app, &browser, &client.client_id, uri, &challenge).await;
        assert_eq!(res.status(), 400, "{uri} must not match");
        assert!(
            res.headers().get("location").is_none(),
            "no redirect to {uri}"
        );
    }

    // The code is bound to the very URI (and port) it was issued for.
    let (verifier, challenge) = pkce_pair();
    let res = authorize(
        &app,
        &browser,
        &game.client_id,
        "http://127.0.0.1:40000/callback",
        &challenge,
    )
    .await;
    let code = location_params(&res)["code"].clone();
    let wrong_port = token(
        &app,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "http://127.0.0.1:40001/callback"),
            ("code_verifier", &verifier),
            ("client_id", &game.client_id),
        ],
    )
    .await;
    assert_eq!(error_of(wrong_port).await, (400, "invalid_grant".into()));
}

#[tokio::test]
async fn native_redirect_uris_are_registered_only_as_the_rfc_allows() {
    let app = spawn_app().await;
    let create = |uri: &str, kind: ClientKind, alg: TokenAlg| {
        let uri = uri.to_owned();
        let app = &app;
        async move {
            clients::create(
                &app.state.db,
                &app.state.keys,
                "Game",
                &[uri],
                alg,
                kind,
                false,
                app.state.clock.now(),
            )
            .await
        }
    };
    let web = ClientKind::default();
    assert!(
        create("com.example.game:/callback", PUBLIC, TokenAlg::EdDSA)
            .await
            .is_ok()
    );
    assert!(
        create("com.example.game:/callback", web, TokenAlg::EdDSA)
            .await
            .is_err()
    );
    assert!(
        create("http://localhost/callback", PUBLIC, TokenAlg::EdDSA)
            .await
            .is_err()
    );
    assert!(
        create("http://127.0.0.1/callback", PUBLIC, TokenAlg::RS256)
            .await
            .is_ok()
    );
    // HS256 would need a secret shared with a client that cannot keep one.
    assert!(
        create("http://127.0.0.1/callback", PUBLIC, TokenAlg::HS256)
            .await
            .is_err()
    );
    // A public client is given no secret, and has none to rotate.
    let (site, creds) = create("http://127.0.0.1/callback", PUBLIC, TokenAlg::EdDSA)
        .await
        .unwrap();
    assert!(creds.client_secret.is_none() && creds.jwt_secret.is_none());
    assert!(
        clients::rotate_secret(&app.state.db, &site.client_id, app.state.clock.now())
            .await
            .is_err()
    );

    // A private-use scheme redirect carries the code to the app.
    let browser = alice(&app).await;
    let mobile = app
        .register_client_of(
            "Mobile Game",
            TokenAlg::EdDSA,
            "com.example.game:/callback",
            PUBLIC,
        )
        .await;
    let tokens = public_flow(&app, &browser, &mobile, "com.example.game:/callback").await;
    assert!(!s(&tokens, "refresh_token").is_empty());
}

#[tokio::test]
async fn a_public_client_signs_in_refreshes_and_its_tokens_live_no_longer_than_its_cap() {
    let app = spawn_app_with(&["--public-client-refresh-ttl-secs", "3600"]).await;
    let browser = alice(&app).await;
    let game = desktop_game(&app).await;
    let tokens = public_flow(&app, &browser, &game, "http://127.0.0.1:5555/callback").await;
    // The cap, not the session's 14 days.
    assert_eq!(tokens["refresh_token_expires_in"], 3600);
    let claims: AccessClaims = with_jwks(
        &app,
        &s(&tokens, "access_token"),
        Algorithm::EdDSA,
        &game.client_id,
    )
    .await;
    assert_eq!(claims.preferred_username, "alice");
    assert!(tokens["id_token"].is_string());

    // Refreshing with the client_id alone rotates, as for everyone.
    let first = s(&tokens, "refresh_token");
    let refresh = |rt: String| {
        let app = &app;
        let id = game.client_id.clone();
        async move {
            token(
                app,
                &[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", &rt),
                    ("client_id", &id),
                ],
            )
            .await
        }
    };
    let res = refresh(first.clone()).await;
    assert_eq!(res.status(), 200);
    let second = s(&res.json().await.unwrap(), "refresh_token");
    assert_ne!(second, first);
    // Bound to the client: another public client cannot use it.
    let other = app
        .register_client_of("Other Game", TokenAlg::EdDSA, LOOPBACK, PUBLIC)
        .await;
    let stolen = token(
        &app,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &second),
            ("client_id", &other.client_id),
        ],
    )
    .await;
    assert_eq!(error_of(stolen).await, (400, "invalid_grant".into()));
    // The rotated-away token after the grace window is a replay: the family goes.
    app.state
        .clock
        .advance(app.state.config.refresh_grace_secs + 1);
    assert_eq!(
        error_of(refresh(first).await).await,
        (400, "invalid_grant".into())
    );
    assert_eq!(
        error_of(refresh(second).await).await,
        (400, "invalid_grant".into())
    );

    // A new family expires at the cap although the session lives on.
    let tokens = public_flow(&app, &browser, &game, "http://127.0.0.1:5556/callback").await;
    app.state.clock.advance(3601);
    let late = refresh(s(&tokens, "refresh_token")).await;
    assert_eq!(error_of(late).await, (400, "invalid_grant".into()));
    let res = browser.get(app.url("/account")).send().await.unwrap();
    assert_eq!(res.status(), 200, "the browser's session is still alive");
}

#[tokio::test]
async fn a_secret_presented_for_a_public_client_is_refused() {
    let app = spawn_app().await;
    let browser = alice(&app).await;
    let game = desktop_game(&app).await;
    let (verifier, challenge) = pkce_pair();
    let res = authorize(&app, &browser, &game.client_id, LOOPBACK, &challenge).await;
    let code = location_params(&res)["code"].clone();
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", LOOPBACK),
        ("code_verifier", verifier.as_str()),
    ];
    let basic = app
        .client
        .post(app.url("/oauth2/token"))
        .basic_auth(&game.client_id, Some("a-guessed-secret"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(basic).await, (401, "invalid_client".into()));
    let mut posted = form.to_vec();
    posted.extend([
        ("client_id", game.client_id.as_str()),
        ("client_secret", "x"),
    ]);
    assert_eq!(
        error_of(token(&app, &posted).await).await,
        (401, "invalid_client".into())
    );
    // Refused before the code was looked at: it still works without a secret.
    let mut plain = form.to_vec();
    plain.push(("client_id", game.client_id.as_str()));
    let res = token(&app, &plain).await;
    assert_eq!(res.status(), 200);
    let refresh_token = s(&res.json().await.unwrap(), "refresh_token");
    // The refresh grant too (on PostgreSQL, its one-statement path).
    let with_secret = app
        .client
        .post(app.url("/oauth2/token"))
        .basic_auth(&game.client_id, Some("a-guessed-secret"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh_token),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(with_secret).await, (401, "invalid_client".into()));
    let live = refresh_token::Entity::find()
        .filter(refresh_token::Column::ClientId.eq(game.client_id.as_str()))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(live.generation, 0, "the refused refresh rotated nothing");

    // And a confidential client cannot leave its secret out.
    let site = app.register_client("Web Site", TokenAlg::HS256).await;
    let (code, verifier) = app.obtain_code(&browser, &site).await;
    let res = token(
        &app,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", &site.redirect_uri),
            ("code_verifier", &verifier),
            ("client_id", &site.client_id),
        ],
    )
    .await;
    assert_eq!(error_of(res).await, (401, "invalid_client".into()));
    // Nor may a public client introspect.
    let res = app
        .client
        .post(app.url("/oauth2/introspect"))
        .form(&[
            ("token", refresh_token.as_str()),
            ("client_id", &game.client_id),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(res).await, (400, "unauthorized_client".into()));
}

#[tokio::test]
async fn discovery_tells_native_apps_what_they_need() {
    let app = spawn_app().await;
    let meta: Value = app
        .get("/.well-known/openid-configuration")
        .await
        .json()
        .await
        .unwrap();
    let list = |key: &str| -> Vec<String> {
        meta[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect()
    };
    assert!(list("token_endpoint_auth_methods_supported").contains(&"none".to_owned()));
    assert!(
        list("grant_types_supported")
            .contains(&"urn:ietf:params:oauth:grant-type:device_code".to_owned())
    );
    assert_eq!(
        s(&meta, "device_authorization_endpoint"),
        format!("{}/oauth2/device_authorization", app.state.config.issuer)
    );
}

// The device authorization grant.

/// A console game: public, allowed the device grant, no redirect URI.
async fn console_game(app: &TestApp) -> TestClient {
    app.register_client_of("Console Quest", TokenAlg::EdDSA, "", DEVICE)
        .await
}

async fn device_authorization(app: &TestApp, form: &[(&str, &str)]) -> reqwest::Response {
    app.client
        .post(app.url("/oauth2/device_authorization"))
        .form(form)
        .send()
        .await
        .unwrap()
}

/// Asks for codes as `game`: the device authorization response.
async fn start_device(app: &TestApp, game: &TestClient) -> Value {
    let res = device_authorization(app, &[("client_id", &game.client_id)]).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    res.json().await.unwrap()
}

async fn poll(app: &TestApp, game: &TestClient, device_code: &str) -> reqwest::Response {
    token(
        app,
        &[
            ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
            ("device_code", device_code),
            ("client_id", &game.client_id),
        ],
    )
    .await
}

/// Posts the `/device` form as `browser`: returns status and page.
async fn post_device(
    app: &TestApp,
    browser: &reqwest::Client,
    fields: &[(&str, &str)],
) -> (u16, String) {
    let csrf = app.csrf(browser, "/device").await;
    let mut form = vec![("csrf_token", csrf.as_str())];
    form.extend_from_slice(fields);
    let res = browser
        .post(app.url("/device"))
        .form(&form)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

/// The person at `browser` looks the code up and decides.
async fn decide(app: &TestApp, browser: &reqwest::Client, user_code: &str, decision: &str) {
    let (status, page) = post_device(app, browser, &[("user_code", user_code)]).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Console Quest"), "the page names the game");
    let (status, page) = post_device(
        app,
        browser,
        &[("user_code", user_code), ("decision", decision)],
    )
    .await;
    assert_eq!(status, 200, "{page}");
}

fn is_user_code(code: &str) -> bool {
    let alphabet = "BCDFGHJKLMNPQRSTVWXZ";
    code.len() == 9
        && code.char_indices().all(|(i, c)| {
            if i == 4 {
                c == '-'
            } else {
                alphabet.contains(c)
            }
        })
}

#[tokio::test]
async fn a_device_signs_in_once_a_person_confirms_its_code_in_a_browser() {
    let app = spawn_app_named(&[], "127.0.0.1").await;
    let browser = alice(&app).await;
    let game = console_game(&app).await;
    let auth = start_device(&app, &game).await;
    let user_code = s(&auth, "user_code");
    assert!(is_user_code(&user_code), "{user_code}");
    assert_eq!(auth["expires_in"], 600);
    assert_eq!(auth["interval"], 5);
    let verification = format!("{}/device", app.state.config.issuer);
    assert_eq!(s(&auth, "verification_uri"), verification);
    assert_eq!(
        s(&auth, "verification_uri_complete"),
        format!("{verification}?user_code={user_code}")
    );
    let device_code = s(&auth, "device_code");
    // Neither code is stored as it is.
    let dump = app.dump_database().await;
    assert!(!dump.contains(&device_code) && !dump.contains(&user_code.replace('-', "")));

    assert_eq!(
        error_of(poll(&app, &game, &device_code).await).await,
        (400, "authorization_pending".into())
    );

    // The complete URI fills the code in; the person is shown the game.
    let page = browser
        .get(s(&auth, "verification_uri_complete"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(&format!("value=\"{user_code}\"")),
        "prefilled"
    );
    // Typed loosely: lower case, no dash.
    decide(
        &app,
        &browser,
        &user_code.to_lowercase().replace('-', ""),
        "approve",
    )
    .await;

    app.state.clock.advance(5);
    let res = poll(&app, &game, &device_code).await;
    assert_eq!(res.status(), 200);
    let tokens: Value = res.json().await.unwrap();
    let claims: AccessClaims = with_jwks(
        &app,
        &s(&tokens, "access_token"),
        Algorithm::EdDSA,
        &game.client_id,
    )
    .await;
    assert_eq!(claims.preferred_username, "alice");
    assert!(tokens["id_token"].is_string());
    // The device has its own session, not the browser's.
    let sessions = sso_session::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(sessions.len(), 2, "the browser's and the console's");
    assert_ne!(claims.sid, sessions_of_browser(&app, &browser).await);

    // Tokens once: the device code is spent.
    app.state.clock.advance(5);
    assert_eq!(
        error_of(poll(&app, &game, &device_code).await).await,
        (400, "invalid_grant".into())
    );
    // The refresh token works like any other, and outlives the browser's
    // session: signing out on the phone does not sign the console out.
    let csrf = app.csrf(&browser, "/account").await;
    let out = browser
        .post(app.url("/logout"))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert!(out.status().is_redirection() || out.status().is_success());
    let res = token(
        &app,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &s(&tokens, "refresh_token")),
            ("client_id", &game.client_id),
        ],
    )
    .await;
    assert_eq!(res.status(), 200);
    // The code can no longer be confirmed either.
    let browser = app.new_client(None);
    assert_eq!(
        app.login_with(&browser, "alice", PASSWORD).await.status(),
        303
    );
    let (status, _) = post_device(&app, &browser, &[("user_code", &user_code)]).await;
    assert_eq!(status, 422);
}

/// The sign-in session of a browser: the `sid` of a code flow through it.
async fn sessions_of_browser(app: &TestApp, browser: &reqwest::Client) -> String {
    let site = app.register_client("Probe Site", TokenAlg::RS256).await;
    let (code, verifier) = app.obtain_code(browser, &site).await;
    let tokens = app.exchange(&site, &code, &verifier).await;
    let claims: AccessClaims = with_jwks(
        app,
        &s(&tokens, "access_token"),
        Algorithm::RS256,
        &site.client_id,
    )
    .await;
    claims.sid
}

#[tokio::test]
async fn a_device_that_polls_too_fast_is_slowed_down_for_good() {
    let app = spawn_app().await;
    let game = console_game(&app).await;
    let auth = start_device(&app, &game).await;
    let code = s(&auth, "device_code");
    let answer = |res| error_of(res);
    assert_eq!(
        answer(poll(&app, &game, &code).await).await.1,
        "authorization_pending"
    );
    app.state.clock.advance(4);
    assert_eq!(answer(poll(&app, &game, &code).await).await.1, "slow_down");
    // The interval is 10 s now: 5 s is still too soon, 10 s is not.
    app.state.clock.advance(5);
    assert_eq!(answer(poll(&app, &game, &code).await).await.1, "slow_down");
    app.state.clock.advance(15);
    assert_eq!(
        answer(poll(&app, &game, &code).await).await.1,
        "authorization_pending"
    );
    let row = device_code::Entity::find()
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.interval_secs, 15);
}

#[tokio::test]
async fn a_declined_device_is_told_access_denied_and_an_expired_one_expired_token() {
    let app = spawn_app().await;
    let browser = alice(&app).await;
    let game = console_game(&app).await;
    let declined = start_device(&app, &game).await;
    decide(&app, &browser, &s(&declined, "user_code"), "deny").await;
    assert_eq!(
        error_of(poll(&app, &game, &s(&declined, "device_code")).await).await,
        (400, "access_denied".into())
    );
    assert_eq!(
        sso_session::Entity::find()
            .all(&app.state.db)
            .await
            .unwrap()
            .len(),
        1,
        "no session for a declined device"
    );

    let late = start_device(&app, &game).await;
    app.state.clock.advance(601);
    assert_eq!(
        error_of(poll(&app, &game, &s(&late, "device_code")).await).await,
        (400, "expired_token".into())
    );
    let (status, page) =
        post_device(&app, &browser, &[("user_code", &s(&late, "user_code"))]).await;
    assert_eq!(status, 422, "an expired code cannot be confirmed");
    assert!(page.contains("not valid or has expired"));
    // Another client's device code is nobody's.
    let other = app
        .register_client_of("Other Console", TokenAlg::EdDSA, "", DEVICE)
        .await;
    let mine = start_device(&app, &game).await;
    assert_eq!(
        error_of(poll(&app, &other, &s(&mine, "device_code")).await).await,
        (400, "invalid_grant".into())
    );
}

#[tokio::test]
async fn only_device_clients_get_codes_and_confidential_ones_still_prove_their_secret() {
    let app = spawn_app().await;
    let web = app.register_client("Web Site", TokenAlg::HS256).await;
    let res = app
        .client
        .post(app.url("/oauth2/device_authorization"))
        .basic_auth(&web.client_id, Some(&web.client_secret))
        .form(&[("scope", "openid")])
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(res).await, (400, "unauthorized_client".into()));
    let server = app
        .register_client_of(
            "Game Server",
            TokenAlg::RS256,
            "",
            ClientKind {
                public: false,
                device: true,
            },
        )
        .await;
    let res = device_authorization(&app, &[("client_id", &server.client_id)]).await;
    assert_eq!(error_of(res).await, (401, "invalid_client".into()));
    let res = device_authorization(
        &app,
        &[
            ("client_id", &server.client_id),
            ("client_secret", &server.client_secret),
            ("scope", "openid email"),
        ],
    )
    .await;
    assert_eq!(res.status(), 200);
    let res = device_authorization(
        &app,
        &[
            ("client_id", &server.client_id),
            ("client_secret", &server.client_secret),
            ("scope", "openid admin"),
        ],
    )
    .await;
    assert_eq!(error_of(res).await, (400, "invalid_scope".into()));
    // A web site may not poll with the grant either.
    let res = app
        .token_request(
            &web,
            &[
                ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                ("device_code", "x"),
            ],
        )
        .await;
    let body: Value = res.json().await.unwrap();
    assert_eq!(s(&body, "error"), "unauthorized_client", "{body}");
}

#[tokio::test]
async fn guessed_user_codes_count_as_failed_attempts_of_the_address() {
    let app = spawn_app_with(&["--login-max-failures", "3"]).await;
    let browser = alice(&app).await;
    let game = console_game(&app).await;
    let auth = start_device(&app, &game).await;
    for guess in ["BCDF-GHJK", "ZZZZ-ZZZZ"] {
        let (status, page) = post_device(&app, &browser, &[("user_code", guess)]).await;
        assert_eq!(status, 422, "{page}");
    }
    // Malformed guesses count too; the third suspends the address.
    let (status, page) = post_device(&app, &browser, &[("user_code", "hello")]).await;
    assert_eq!(status, 429, "{page}");
    // Now not even the right code is looked at, from this address.
    let (status, _) = post_device(&app, &browser, &[("user_code", &s(&auth, "user_code"))]).await;
    assert_eq!(status, 429);
    let row = device_code::Entity::find()
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.status, "pending");
    // And signing in from it is paused too: one budget for all guessing.
    let other = app.new_client(None);
    let res = app.login_with(&other, "alice", PASSWORD).await;
    assert_ne!(res.status(), 303, "sign-in from a suspended address");
}

#[tokio::test]
async fn the_device_page_wants_a_signed_in_person_and_a_valid_form() {
    let app = spawn_app_named(&[], "127.0.0.1").await;
    let game = console_game(&app).await;
    let auth = start_device(&app, &game).await;
    let user_code = s(&auth, "user_code");
    let stranger = app.new_client(None);
    let res = stranger
        .get(s(&auth, "verification_uri_complete"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let login = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(login.starts_with("/login"), "{login}");
    let next: HashMap<String, String> = url::Url::parse(&format!("http://x{login}"))
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect();
    assert_eq!(next["next"], format!("/device?user_code={user_code}"));

    // A decision without the form's CSRF token decides nothing.
    let browser = alice(&app).await;
    let res = browser
        .post(app.url("/device"))
        .form(&[("user_code", user_code.as_str()), ("decision", "approve")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let row = device_code::Entity::find()
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.status, "pending");
    // Hostile input gets the form again, not an error.
    let long = "B".repeat(5000);
    for code in ["", "\u{202e}BCDF-GHJK", long.as_str()] {
        let (status, page) = post_device(&app, &browser, &[("user_code", code)]).await;
        assert_eq!(status, 422);
        assert!(page.contains("name=\"user_code\""));
    }
}

#[test]
fn two_polls_racing_for_an_approved_code_get_tokens_once() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let app = spawn_app().await;
        let browser = alice(&app).await;
        let game = console_game(&app).await;
        for round in 0..4 {
            let auth = start_device(&app, &game).await;
            decide(&app, &browser, &s(&auth, "user_code"), "approve").await;
            let code = s(&auth, "device_code");
            let barrier = Arc::new(tokio::sync::Barrier::new(4));
            let url = app.url("/oauth2/token");
            let tasks: Vec<_> = (0..4)
                .map(|_| {
                    let (barrier, url, code, id) = (
                        barrier.clone(),
                        url.clone(),
                        code.clone(),
                        game.client_id.clone(),
                    );
                    tokio::spawn(async move {
                        let http = reqwest::Client::new();
                        barrier.wait().await;
                        http.post(url)
                            .form(&[
                                ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                                ("device_code", code.as_str()),
                                ("client_id", id.as_str()),
                            ])
                            .send()
                            .await
                            .unwrap()
                            .status()
                            .as_u16()
                    })
                })
                .collect();
            let mut statuses = Vec::new();
            for task in tasks {
                statuses.push(task.await.unwrap());
            }
            assert_eq!(
                statuses.iter().filter(|s| **s == 200).count(),
                1,
                "round {round}: {statuses:?}"
            );
            assert!(
                statuses.iter().all(|s| *s == 200 || *s == 400),
                "{statuses:?}"
            );
        }
    });
}

// The examples, against the real server.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_desktop_example_signs_in_through_the_system_browser_and_refreshes() {
    let app = spawn_app_named(&[], "127.0.0.1").await;
    let browser = alice(&app).await;
    let game = desktop_game(&app).await;
    let issuer = app.state.config.issuer.clone();
    // The "system browser": the signed-in client, following the redirect
    // to the example's loopback listener.
    let opener = browser.clone();
    let tokens = desktop_login::sign_in(&issuer, &game.client_id, move |url| {
        let (opener, url) = (opener.clone(), url.clone());
        tokio::spawn(async move {
            let res = opener.get(url).send().await.unwrap();
            assert_eq!(res.status(), 302);
            let callback = res.headers()["location"].to_str().unwrap().to_owned();
            assert!(callback.starts_with("http://127.0.0.1:"), "{callback}");
            let page = opener.get(callback).send().await.unwrap();
            assert_eq!(page.status(), 200);
        });
        Ok(())
    })
    .await
    .expect("the example signs in");
    let claims: AccessClaims = with_jwks(
        &app,
        &tokens.access_token,
        Algorithm::EdDSA,
        &game.client_id,
    )
    .await;
    assert_eq!(claims.preferred_username, "alice");
    let again = desktop_login::refresh(&issuer, &game.client_id, &tokens.refresh_token)
        .await
        .expect("the example refreshes");
    assert_ne!(again.refresh_token, tokens.refresh_token);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_device_example_polls_until_the_person_confirms() {
    let app = spawn_app_named(&[], "127.0.0.1").await;
    let browser = alice(&app).await;
    let game = console_game(&app).await;
    let issuer = app.state.config.issuer.clone();
    let auth = device_login::start(&issuer, &game.client_id, None)
        .await
        .expect("codes");
    assert!(is_user_code(&auth.user_code));
    let sleeps = AtomicUsize::new(0);
    // Time passes on the server's clock, not the test's: the example
    // "sleeps" by moving it; the person confirms after the second poll.
    let tokens = device_login::poll_with(&auth, |wait| {
        app.state.clock.advance(wait.as_secs() as i64);
        let n = sleeps.fetch_add(1, Ordering::SeqCst);
        let (app, browser, code) = (&app, &browser, auth.user_code.clone());
        async move {
            if n == 2 {
                decide(app, browser, &code, "approve").await;
            }
        }
    })
    .await
    .expect("tokens");
    assert!(sleeps.load(Ordering::SeqCst) >= 3);
    let claims: AccessClaims = with_jwks(
        &app,
        &tokens.access_token,
        Algorithm::EdDSA,
        &game.client_id,
    )
    .await;
    assert_eq!(claims.preferred_username, "alice");

    // Declined: the example says so.
    let auth = device_login::start(&issuer, &game.client_id, None)
        .await
        .expect("codes");
    decide(&app, &browser, &auth.user_code, "deny").await;
    let result = device_login::poll_with(&auth, |wait| {
        app.state.clock.advance(wait.as_secs() as i64);
        async {}
    })
    .await;
    assert!(matches!(result, Err(device_login::Error::Denied)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_player_confirms_a_console_in_a_real_browser_through_the_login() {
    use crate::browser::{
        browser_available, click, find, screenshot, sign_in, start_browser, wait_for_path,
        wait_for_text,
    };
    use fantoccini::Locator;
    if !browser_available() {
        return;
    }
    let app = spawn_app_named(&[], "127.0.0.1").await;
    app.create_user("alice", PASSWORD, false).await;
    let game = console_game(&app).await;
    let auth = start_device(&app, &game).await;
    let user_code = s(&auth, "user_code");
    let (_driver, browser) = start_browser().await;

    // Anonymous, from the link the console shows: the login, then back,
    // with the code filled in.
    let complete = url::Url::parse(&s(&auth, "verification_uri_complete")).unwrap();
    let path = format!("{}?{}", complete.path(), complete.query().unwrap());
    sign_in(&browser, &app.url(""), &path, "alice").await;
    wait_for_path(&browser, "/device").await;
    let field = find(&browser, Locator::Id("user_code")).await;
    assert_eq!(
        field.prop("value").await.unwrap().as_deref(),
        Some(user_code.as_str())
    );
    screenshot(&browser, "device-enter").await;
    click(
        &browser,
        Locator::Css("form[action='/device'] button[type=submit]"),
    )
    .await;

    // The game is named, the code shown to compare, then approved.
    wait_for_text(&browser, "user-code", &user_code).await;
    let page = browser.source().await.unwrap();
    assert!(
        page.contains("Sign in to Console Quest on your device?"),
        "{page}"
    );
    screenshot(&browser, "device-confirm").await;
    click(&browser, Locator::Id("device-approve")).await;
    wait_for_text(&browser, "message-title", "Your device is signed in").await;
    screenshot(&browser, "device-approved").await;

    app.state.clock.advance(5);
    let res = poll(&app, &game, &s(&auth, "device_code")).await;
    assert_eq!(res.status(), 200);
    browser.close().await.unwrap();
}
