//! Ending grants: RFC 7009 revocation, back-channel logout, and sign-out on
//! the auth domain.

use pattmayne_auth::domain::clients::TokenAlg;

use crate::helpers::{PASSWORD, TestClient, live_tokens, s, spawn_app};

#[tokio::test]
async fn revoke_ends_a_refresh_token_family() {
    let app = spawn_app().await;
    app.create_user("alice", PASSWORD, false).await;
    let client = app.register_client("Game", TokenAlg::HS256).await;
    let other = app.register_client("Other", TokenAlg::HS256).await;
    let (_, tokens) = app.sign_in_and_get_tokens("alice", PASSWORD, &client).await;
    let rt = s(&tokens, "refresh_token");
    let revoke = |c: &TestClient, token: &str| {
        app.client
            .post(app.url("/oauth2/revoke"))
            .basic_auth(&c.client_id, Some(&c.client_secret))
            .form(&[("token", token), ("token_type_hint", "refresh_token")])
            .send()
    };
    // Another client may not revoke it.
    assert_eq!(revoke(&other, &rt).await.unwrap().status(), 400);
    assert_eq!(app.refresh(&client, &rt).await.status(), 200);
    let res = revoke(&client, &rt).await.unwrap();
    assert_eq!(res.status(), 200);
    let next = app.refresh(&client, &rt).await;
    assert_eq!(next.status(), 400, "a revoked family still refreshes");
    // Unknown tokens are accepted quietly (RFC 7009 §2.2); bad credentials are not.
    assert_eq!(
        revoke(&client, "no-such-token").await.unwrap().status(),
        200
    );
    let res = app
        .client
        .post(app.url("/oauth2/revoke"))
        .basic_auth(&client.client_id, Some("x"))
        .form(&[("token", "t")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn back_channel_logout_ends_every_clients_tokens_and_the_sso_session() {
    let app = spawn_app().await;
    let alice = app.create_user("alice", PASSWORD, false).await;
    let a = app.register_client("Alpha", TokenAlg::HS256).await;
    let b = app.register_client("Beta", TokenAlg::HS256).await;
    let (browser, ta) = app.sign_in_and_get_tokens("alice", PASSWORD, &a).await;
    let (code, verifier) = app.obtain_code(&browser, &b).await;
    let tb = app.exchange(&b, &code, &verifier).await;

    let res = app
        .client
        .post(app.url("/oauth2/logout"))
        .basic_auth(&a.client_id, Some(&a.client_secret))
        .form(&[("refresh_token", s(&ta, "refresh_token"))])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        app.refresh(&b, &s(&tb, "refresh_token")).await.status(),
        400
    );
    assert_eq!(
        app.refresh(&a, &s(&ta, "refresh_token")).await.status(),
        400
    );
    assert!(
        live_tokens(&app, &alice.id, &a).await.is_empty()
            && live_tokens(&app, &alice.id, &b).await.is_empty()
    );
    // The browser's SSO session ended too.
    assert_eq!(
        browser
            .get(app.url("/account"))
            .send()
            .await
            .unwrap()
            .status(),
        303
    );
    // Client B cannot end a session with a token that is not its own.
    let res = app
        .client
        .post(app.url("/oauth2/logout"))
        .basic_auth(&b.client_id, Some(&b.client_secret))
        .form(&[("refresh_token", s(&ta, "refresh_token"))])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
}

#[tokio::test]
async fn sign_out_on_the_auth_domain_revokes_refresh_tokens() {
    let app = spawn_app().await;
    app.create_user("alice", PASSWORD, false).await;
    let client = app.register_client("Game", TokenAlg::HS256).await;
    let (browser, tokens) = app.sign_in_and_get_tokens("alice", PASSWORD, &client).await;
    let csrf = app.csrf(&browser, "/account").await;
    let res = browser
        .post(app.url("/account/sign-out-everywhere"))
        .form(&[("csrf_token", csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(
        app.refresh(&client, &s(&tokens, "refresh_token"))
            .await
            .status(),
        400
    );
}
