//! OpenID Connect and RFC 7662 extras: userinfo, introspection, signing-key rotation.

use jsonwebtoken::jwk::JwkSet;
use pattmayne_auth::domain::clients::TokenAlg;
use serde_json::Value;

use crate::helpers::{PASSWORD, TestApp, TestClient, pkce_pair, s, spawn_app};

async fn tokens_with_scope(
    app: &TestApp,
    client: &TestClient,
    scope: &str,
) -> (reqwest::Client, Value) {
    let browser = app.new_client(None);
    app.login_with(&browser, "alice", PASSWORD).await;
    let (verifier, challenge) = pkce_pair();
    let res = browser
        .get(app.url(&app.authorize_path(client, &challenge, &[("scope", scope)])))
        .send()
        .await
        .unwrap();
    let code = crate::helpers::location_params(&res)["code"].clone();
    let tokens = app.exchange(client, &code, &verifier).await;
    (browser, tokens)
}

async fn userinfo(app: &TestApp, token: &str) -> reqwest::Response {
    app.client
        .get(app.url("/oauth2/userinfo"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

async fn introspect(app: &TestApp, client: &TestClient, token: &str) -> Value {
    let res = app
        .client
        .post(app.url("/oauth2/introspect"))
        .basic_auth(&client.client_id, Some(&client.client_secret))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

#[tokio::test]
async fn userinfo_answers_for_a_valid_access_token_while_the_session_lasts() {
    let app = spawn_app().await;
    let alice = app.create_user("alice", PASSWORD, false).await;
    let hs = app.register_client("Game", TokenAlg::HS256).await;
    let ed = app.register_client("Keys", TokenAlg::EdDSA).await;
    let (browser, tokens) = tokens_with_scope(&app, &hs, "openid profile email").await;
    let res = userinfo(&app, &s(&tokens, "access_token")).await;
    assert_eq!(res.status(), 200);
    let info: Value = res.json().await.unwrap();
    assert_eq!(info["sub"], alice.id.as_str());
    assert_eq!(info["preferred_username"], "alice");
    assert_eq!(info["email"], "alice@example.com");
    let (_, ed_tokens) = tokens_with_scope(&app, &ed, "openid").await;
    let info: Value = userinfo(&app, &s(&ed_tokens, "access_token"))
        .await
        .json()
        .await
        .unwrap();
    assert!(
        info.get("email").is_none(),
        "email given without the email scope"
    );

    // A forged or garbled token: 401 with a Bearer challenge.
    let mut forged = s(&tokens, "access_token");
    forged.pop();
    for bad in [forged.as_str(), "nonsense", ""] {
        let res = userinfo(&app, bad).await;
        assert_eq!(res.status(), 401);
        assert!(
            res.headers()["www-authenticate"]
                .to_str()
                .unwrap()
                .starts_with("Bearer")
        );
    }
    // After sign-out, the (unexpired) token no longer opens userinfo.
    let csrf = app.csrf(&browser, "/account").await;
    browser
        .post(app.url("/logout"))
        .form(&[("csrf_token", csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(
        userinfo(&app, &s(&tokens, "access_token")).await.status(),
        401
    );
}

#[tokio::test]
async fn introspection_reports_only_the_callers_live_tokens() {
    let app = spawn_app().await;
    app.create_user("alice", PASSWORD, false).await;
    let a = app.register_client("Alpha", TokenAlg::HS256).await;
    let b = app.register_client("Beta", TokenAlg::RS256).await;
    let (_, tokens) = tokens_with_scope(&app, &a, "openid profile").await;
    let access = s(&tokens, "access_token");
    let refresh = s(&tokens, "refresh_token");

    let info = introspect(&app, &a, &access).await;
    assert_eq!(info["active"], true);
    assert_eq!(info["client_id"], a.client_id.as_str());
    assert_eq!(info["username"], "alice");
    let info = introspect(&app, &a, &refresh).await;
    assert_eq!(info["active"], true);
    assert_eq!(info["token_type"], "refresh_token");
    // Another client learns nothing.
    assert_eq!(
        introspect(&app, &b, &access).await,
        serde_json::json!({"active": false})
    );
    assert_eq!(
        introspect(&app, &b, &refresh).await,
        serde_json::json!({"active": false})
    );
    // A rotated refresh token is no longer active; garbage never is.
    app.refresh(&a, &refresh).await;
    assert_eq!(introspect(&app, &a, &refresh).await["active"], false);
    assert_eq!(introspect(&app, &a, "garbage").await["active"], false);
    // Without client authentication: 401.
    let res = app
        .client
        .post(app.url("/oauth2/introspect"))
        .form(&[("token", access.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn rotated_signing_keys_stay_published_while_their_tokens_live() {
    let app = spawn_app().await;
    app.create_user("alice", PASSWORD, false).await;
    let rs = app.register_client("Rsa", TokenAlg::RS256).await;
    let (_, before) = tokens_with_scope(&app, &rs, "openid").await;
    let old_kid = jsonwebtoken::decode_header(s(&before, "access_token"))
        .unwrap()
        .kid
        .unwrap();

    let retired = app
        .state
        .signer
        .rotate(&app.state.db, app.state.clock.now())
        .await
        .unwrap();
    assert!(retired.contains(&old_kid));
    let (_, after) = tokens_with_scope(&app, &rs, "openid").await;
    let new_kid = jsonwebtoken::decode_header(s(&after, "access_token"))
        .unwrap()
        .kid
        .unwrap();
    assert_ne!(old_kid, new_kid);

    let jwks: JwkSet = app.get("/oauth2/jwks").await.json().await.unwrap();
    assert!(
        jwks.find(&old_kid).is_some(),
        "the retired key vanished while its tokens live"
    );
    assert!(jwks.find(&new_kid).is_some());
    // Both tokens still verify (userinfo checks the signature with the published key).
    assert_eq!(
        userinfo(&app, &s(&before, "access_token")).await.status(),
        200
    );
    assert_eq!(
        userinfo(&app, &s(&after, "access_token")).await.status(),
        200
    );
}

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn rp_initiated_logout_with_the_sessions_id_token_signs_out_and_returns() {
    let app = spawn_app().await;
    app.create_user("alice", PASSWORD, false).await;
    let client = app.register_client("Game", TokenAlg::HS256).await;
    let other = app.register_client("Other", TokenAlg::HS256).await;
    let (browser, tokens) = tokens_with_scope(&app, &client, "openid").await;
    let id_token = s(&tokens, "id_token");
    let path = |uri: &str| {
        format!(
            "/logout?id_token_hint={id_token}&post_logout_redirect_uri={}&state=bye",
            enc(uri)
        )
    };

    // A return address not registered for the client: refused, still signed in.
    let res = browser
        .get(app.url(&path("https://evil.example/")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let res = browser
        .get(app.url(&path(&other.redirect_uri)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400, "another client's URI was accepted");
    assert_eq!(
        browser
            .get(app.url("/account"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    let res = browser
        .get(app.url(&path(&client.redirect_uri)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(
        res.headers()["location"].to_str().unwrap(),
        format!("{}?state=bye", client.redirect_uri)
    );
    assert_eq!(
        browser
            .get(app.url("/account"))
            .send()
            .await
            .unwrap()
            .status(),
        303
    );
    assert_eq!(
        app.refresh(&client, &s(&tokens, "refresh_token"))
            .await
            .status(),
        400
    );
}

#[tokio::test]
async fn rp_initiated_logout_without_a_matching_hint_asks_first() {
    let app = spawn_app().await;
    app.create_user("alice", PASSWORD, false).await;
    let client = app.register_client("Game", TokenAlg::HS256).await;
    let (browser, _) = tokens_with_scope(&app, &client, "openid").await;
    let path = format!(
        "/logout?client_id={}&post_logout_redirect_uri={}&state=s2",
        client.client_id,
        enc(&client.redirect_uri)
    );
    // A page (or an attacker's link) cannot sign anyone out with a bare GET.
    let res = browser.get(app.url(&path)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let page = res.text().await.unwrap();
    assert!(page.contains("Sign out?"));
    // It says which site asked.
    assert!(
        page.contains("Game asks to sign you out of Pattmayne Auth"),
        "{page}"
    );
    assert_eq!(
        browser
            .get(app.url("/account"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    // Confirming signs out and returns to the client site.
    let csrf = crate::helpers::csrf_from(&page);
    let res = browser
        .post(app.url("/logout"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("client_id", &client.client_id),
            ("post_logout_redirect_uri", &client.redirect_uri),
            ("state", "s2"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.headers()["location"].to_str().unwrap(),
        format!("{}?state=s2", client.redirect_uri)
    );
    assert_eq!(
        browser
            .get(app.url("/account"))
            .send()
            .await
            .unwrap()
            .status(),
        303
    );
    // Signed out already: straight back. A forged hint: refused.
    let res = browser.get(app.url(&path)).send().await.unwrap();
    assert_eq!(res.status(), 303);
    let res = browser
        .get(app.url("/logout?id_token_hint=eyJhbGciOiJub25lIn0.e30."))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
}

/// A GET with `If-None-Match`, if given: (status, ETag, body).
async fn get_with_tag(app: &TestApp, path: &str, tag: Option<&str>) -> (u16, String, String) {
    let mut req = app.client.get(app.url(path));
    if let Some(tag) = tag {
        req = req.header("if-none-match", tag);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let etag = res.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(res.headers()["cache-control"], "public, max-age=300");
    (status, etag, res.text().await.unwrap())
}

#[tokio::test]
async fn discovery_and_the_jwks_are_served_from_memory_with_validators() {
    let app = spawn_app().await;
    for path in ["/.well-known/openid-configuration", "/oauth2/jwks"] {
        let (status, etag, body) = get_with_tag(&app, path, None).await;
        assert_eq!(status, 200);
        assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");
        serde_json::from_str::<Value>(&body).unwrap();
        let (status, again, body) = get_with_tag(&app, path, Some(&etag)).await;
        assert_eq!(
            (status, again.as_str(), body.as_str()),
            (304, etag.as_str(), "")
        );
        let weak = format!("\"other\", W/{etag}");
        assert_eq!(get_with_tag(&app, path, Some(&weak)).await.0, 304);
        assert_eq!(get_with_tag(&app, path, Some("\"other\"")).await.0, 200);
    }

    // Another instance on the same database rotates the keys and signs
    // with new ones: this instance's JWKS, from memory, lists them within
    // JWKS_CACHE_SECS, not before (it does not read the keys per request).
    let (_, before, body) = get_with_tag(&app, "/oauth2/jwks", None).await;
    let other = pattmayne_auth::domain::signing::Signer::default();
    let now = app.state.clock.now();
    other.rotate(&app.state.db, now).await.unwrap();
    other
        .ensure_keys(&app.state.db, &app.state.keys, now)
        .await
        .unwrap();
    let (_, still, same) = get_with_tag(&app, "/oauth2/jwks", None).await;
    assert_eq!(
        (still.as_str(), same.as_str()),
        (before.as_str(), body.as_str())
    );
    app.state
        .clock
        .advance(pattmayne_auth::domain::signing::JWKS_CACHE_SECS);
    let (_, after, body) = get_with_tag(&app, "/oauth2/jwks", None).await;
    assert_ne!(after, before);
    let jwks: JwkSet = serde_json::from_str(&body).unwrap();
    assert_eq!(jwks.keys.len(), 4, "two retired keys and two new ones");
}
