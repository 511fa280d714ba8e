//! `grant_type=authorization_code`: codes bound to client, redirect URI and
//! PKCE, used once; the token family a code exchange starts, joins or
//! replaces; sessions that end or expire.

use pattmayne_auth::domain::clients::TokenAlg;
use pattmayne_auth::entities::{sso_session, user};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::Value;

use crate::helpers::{PASSWORD, live_tokens, pkce_pair, refreshed, s, spawn_app, spawn_app_with};

#[tokio::test]
async fn a_new_code_exchange_after_the_grace_window_replaces_the_sessions_previous_token() {
    let app = spawn_app_with(&["--refresh-grace-secs", "20"]).await;
    let alice = app.create_user("alice", PASSWORD, false).await;
    let client = app.register_client("Game", TokenAlg::HS256).await;
    let (browser, first) = app.sign_in_and_get_tokens("alice", PASSWORD, &client).await;
    assert!(app.state.clock.advance(21));
    let (code, verifier) = app.obtain_code(&browser, &client).await;
    let second = app.exchange(&client, &code, &verifier).await;
    assert_ne!(s(&first, "refresh_token"), s(&second, "refresh_token"));
    // Signing in again at a site cuts off whoever held its old token.
    let res = app.refresh(&client, &s(&first, "refresh_token")).await;
    assert_eq!(res.status(), 400);
    assert_eq!(res.json::<Value>().await.unwrap()["error"], "invalid_grant");
    assert_eq!(
        app.refresh(&client, &s(&second, "refresh_token"))
            .await
            .status(),
        200
    );
    assert_eq!(live_tokens(&app, &alice.id, &client).await.len(), 1);
}

#[tokio::test]
async fn a_new_code_exchange_within_the_grace_window_joins_the_sessions_family() {
    let app = spawn_app_with(&["--refresh-grace-secs", "20"]).await;
    let alice = app.create_user("alice", PASSWORD, false).await;
    let client = app.register_client("Game", TokenAlg::HS256).await;
    let (browser, first) = app.sign_in_and_get_tokens("alice", PASSWORD, &client).await;
    // The site refreshed once in between: the late exchange gets the live token.
    let live = refreshed(&app, &client, &s(&first, "refresh_token")).await;
    assert!(app.state.clock.advance(5));
    let (code, verifier) = app.obtain_code(&browser, &client).await;
    let second = app.exchange(&client, &code, &verifier).await;
    assert_eq!(s(&second, "refresh_token"), live);
    assert_eq!(live_tokens(&app, &alice.id, &client).await.len(), 1);
    refreshed(&app, &client, &live).await;
}

#[tokio::test]
async fn with_no_grace_every_code_exchange_starts_its_own_family() {
    let app = spawn_app_with(&["--refresh-grace-secs", "0"]).await;
    let alice = app.create_user("alice", PASSWORD, false).await;
    let client = app.register_client("Game", TokenAlg::HS256).await;
    let (browser, first) = app.sign_in_and_get_tokens("alice", PASSWORD, &client).await;
    let (code, verifier) = app.obtain_code(&browser, &client).await;
    let second = app.exchange(&client, &code, &verifier).await;
    assert_ne!(s(&first, "refresh_token"), s(&second, "refresh_token"));
    assert_eq!(
        app.refresh(&client, &s(&first, "refresh_token"))
            .await
            .status(),
        400
    );
    refreshed(&app, &client, &s(&second, "refresh_token")).await;
    assert_eq!(live_tokens(&app, &alice.id, &client).await.len(), 1);
}

#[tokio::test]
async fn a_reused_code_is_refused_and_revokes_what_it_issued() {
    let app = spawn_app().await;
    app.create_user("alice", PASSWORD, false).await;
    let client = app.register_client("Game", TokenAlg::HS256).await;
    let browser = app.new_client(None);
    app.login_with(&browser, "alice", PASSWORD).await;
    let (code, verifier) = app.obtain_code(&browser, &client).await;
    let tokens = app.exchange(&client, &code, &verifier).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", client.redirect_uri.as_str()),
        ("code_verifier", verifier.as_str()),
    ];
    let res = app.token_request(&client, &form).await;
    assert_eq!(res.status(), 400);
    assert_eq!(res.json::<Value>().await.unwrap()["error"], "invalid_grant");
    assert_eq!(
        app.refresh(&client, &s(&tokens, "refresh_token"))
            .await
            .status(),
        400
    );
}

#[tokio::test]
async fn a_wrong_verifier_is_invalid_grant_and_burns_the_code() {
    let app = spawn_app().await;
    app.create_user("alice", PASSWORD, false).await;
    let client = app.register_client("Game", TokenAlg::HS256).await;
    let browser = app.new_client(None);
    app.login_with(&browser, "alice", PASSWORD).await;
    let (code, verifier) = app.obtain_code(&browser, &client).await;
    let (other_verifier, _) = pkce_pair();
    for v in [other_verifier.as_str(), verifier.as_str()] {
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", client.redirect_uri.as_str()),
            ("code_verifier", v),
        ];
        let res = app.token_request(&client, &form).await;
        assert_eq!(res.status(), 400);
        assert_eq!(res.json::<Value>().await.unwrap()["error"], "invalid_grant");
    }
}

#[tokio::test]
async fn a_code_is_bound_to_its_client_and_redirect_uri() {
    let app = spawn_app().await;
    app.create_user("alice", PASSWORD, false).await;
    let a = app.register_client("Alpha", TokenAlg::HS256).await;
    let b = app.register_client("Beta", TokenAlg::HS256).await;
    let browser = app.new_client(None);
    app.login_with(&browser, "alice", PASSWORD).await;

    let (code, verifier) = app.obtain_code(&browser, &a).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", a.redirect_uri.as_str()),
        ("code_verifier", verifier.as_str()),
    ];
    let res = app.token_request(&b, &form).await;
    assert_eq!(res.status(), 400);
    assert_eq!(res.json::<Value>().await.unwrap()["error"], "invalid_grant");

    let (code, verifier) = app.obtain_code(&browser, &a).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", "https://alpha.example/other"),
        ("code_verifier", verifier.as_str()),
    ];
    let res = app.token_request(&a, &form).await;
    assert_eq!(res.json::<Value>().await.unwrap()["error"], "invalid_grant");
}

#[tokio::test]
async fn an_ended_session_stops_code_exchange_and_refresh() {
    let app = spawn_app().await;
    app.create_user("alice", PASSWORD, false).await;
    let client = app.register_client("Game", TokenAlg::HS256).await;
    let browser = app.new_client(None);
    app.login_with(&browser, "alice", PASSWORD).await;
    let (code, verifier) = app.obtain_code(&browser, &client).await;
    let (code2, verifier2) = app.obtain_code(&browser, &client).await;
    let tokens = app.exchange(&client, &code, &verifier).await;
    // The person signs out on the auth domain.
    let csrf = app.csrf(&browser, "/account").await;
    browser
        .post(app.url("/logout"))
        .form(&[("csrf_token", csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(
        app.refresh(&client, &s(&tokens, "refresh_token"))
            .await
            .status(),
        400
    );
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code2.as_str()),
        ("redirect_uri", client.redirect_uri.as_str()),
        ("code_verifier", verifier2.as_str()),
    ];
    let res = app.token_request(&client, &form).await;
    assert_eq!(res.json::<Value>().await.unwrap()["error"], "invalid_grant");
}

#[tokio::test]
async fn a_code_of_a_person_disabled_since_is_refused() {
    let app = spawn_app().await;
    let alice = app.create_user("alice", PASSWORD, false).await;
    let client = app.register_client("Game", TokenAlg::HS256).await;
    let browser = app.new_client(None);
    app.login_with(&browser, "alice", PASSWORD).await;
    let (code, verifier) = app.obtain_code(&browser, &client).await;
    // Disabled straight in the database, the session left running: the
    // exchange itself must see it, not only the sign-out that disabling does.
    user::Entity::update_many()
        .col_expr(user::Column::Disabled, Expr::value(true))
        .filter(user::Column::Id.eq(alice.id.as_str()))
        .exec(&app.state.db)
        .await
        .unwrap();
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", client.redirect_uri.as_str()),
        ("code_verifier", verifier.as_str()),
    ];
    let res = app.token_request(&client, &form).await;
    assert_eq!(res.status(), 400);
    assert_eq!(res.json::<Value>().await.unwrap()["error"], "invalid_grant");
    assert!(
        live_tokens(&app, &alice.id, &client).await.is_empty(),
        "no family was started"
    );
}

#[tokio::test]
async fn an_expired_session_expires_every_token_at_once() {
    let app = spawn_app_with(&["--session-ttl-secs", "5"]).await;
    app.create_user("alice", PASSWORD, false).await;
    let a = app.register_client("Alpha", TokenAlg::HS256).await;
    let b = app.register_client("Beta", TokenAlg::HS256).await;
    let (browser, ta) = app.sign_in_and_get_tokens("alice", PASSWORD, &a).await;
    let (code, verifier) = app.obtain_code(&browser, &b).await;
    let tb = app.exchange(&b, &code, &verifier).await;
    // Move past the session's absolute expiry.
    let session = sso_session::Entity::find()
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert!(
        app.state
            .clock
            .advance(session.expires_at - app.state.clock.now())
    );
    for (client, tokens) in [(&a, &ta), (&b, &tb)] {
        let res = app.refresh(client, &s(tokens, "refresh_token")).await;
        assert_eq!(res.status(), 400);
        assert_eq!(res.json::<Value>().await.unwrap()["error"], "invalid_grant");
    }
    // And the browser must sign in again.
    let (_, challenge) = pkce_pair();
    let res = browser
        .get(app.url(&app.authorize_path(&a, &challenge, &[])))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
}
