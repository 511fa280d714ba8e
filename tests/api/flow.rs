//! The whole authorization-code flow through the hosted login, the tokens
//! it issues and how client sites verify them, SSO across sites, discovery,
//! and what is (never) stored.

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use pattmayne_auth::domain::clients::TokenAlg;
use pattmayne_auth::domain::signing::AccessClaims;
use pattmayne_auth::entities::sso_session;
use sea_orm::EntityTrait;
use serde_json::Value;

use crate::helpers::{
    PASSWORD, hs256, live_tokens, location_params, pkce_pair, s, spawn_app, with_jwks,
};

#[tokio::test]
async fn full_flow_signs_in_through_the_hosted_login_and_issues_verifiable_tokens() {
    let app = spawn_app().await;
    let alice = app.create_user("alice", PASSWORD, false).await;
    let client = app.register_client("Game", TokenAlg::HS256).await;
    let browser = app.new_client(None);
    let (verifier, challenge) = pkce_pair();
    let authorize = app.authorize_path(&client, &challenge, &[("nonce", "n-0S6_WzA2Mj")]);

    // Not signed in: off to the hosted login, carrying the request along.
    let res = browser.get(app.url(&authorize)).send().await.unwrap();
    assert_eq!(res.status(), 303);
    let login = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        login.starts_with("/login?next=%2Foauth2%2Fauthorize"),
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
    let csrf = crate::helpers::csrf_from(&page);
    let res = browser
        .post(app.url("/login"))
        .form(&[
            ("username", "alice"),
            ("password", PASSWORD),
            ("csrf_token", &csrf),
            ("next", &authorize),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"].to_str().unwrap(), authorize);

    // Back at the authorization endpoint, signed in: a code for the client site.
    let res = browser.get(app.url(&authorize)).send().await.unwrap();
    assert_eq!(res.status(), 302);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with(&client.redirect_uri), "{location}");
    let params = location_params(&res);
    assert_eq!(params["state"], "xyz-state");
    assert_eq!(params["iss"], app.state.config.issuer);
    let code = &params["code"];

    let res = app
        .token_request(
            &client,
            &[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", &client.redirect_uri),
                ("code_verifier", &verifier),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let tokens: Value = res.json().await.unwrap();
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], app.state.config.access_token_ttl_secs);
    assert_eq!(tokens["scope"], "openid profile");
    let ttl = app.state.config.session_ttl_secs;
    let rt_ttl = tokens["refresh_token_expires_in"].as_i64().unwrap();
    assert!((ttl - 5..=ttl).contains(&rt_ttl), "{rt_ttl}");
    assert!(s(&tokens, "refresh_token").len() >= 43);

    // The client site verifies the JWT with its own secret.
    let claims = hs256(&app, &client, &s(&tokens, "access_token"));
    let session = sso_session::Entity::find()
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(claims.sub, alice.id);
    assert_eq!(claims.aud, client.client_id);
    assert_eq!(claims.sid, session.id);
    assert_eq!(claims.scope, "openid profile");
    assert_eq!(claims.preferred_username, "alice");
    assert_eq!(
        claims.exp - claims.iat,
        app.state.config.access_token_ttl_secs
    );
    assert!(!claims.jti.is_empty());

    // openid was asked: an id_token, RS256 from the JWKS, with the nonce.
    let id: Value = with_jwks(
        &app,
        &s(&tokens, "id_token"),
        Algorithm::RS256,
        &client.client_id,
    )
    .await;
    assert_eq!(id["sub"], alice.id.as_str());
    assert_eq!(id["nonce"], "n-0S6_WzA2Mj");
    assert_eq!(id["sid"], session.id.as_str());
    // How and when the session signed in, read with the code it consumed.
    assert_eq!(id["auth_time"], session.authenticated_at);
    assert_eq!(id["amr"], serde_json::json!(["pwd"]));
    assert_eq!(id["acr"], "pwd");
    assert_eq!(id["preferred_username"], "alice");
}

#[tokio::test]
async fn access_token_does_not_verify_with_another_clients_secret() {
    let app = spawn_app().await;
    app.create_user("alice", PASSWORD, false).await;
    let a = app.register_client("Alpha", TokenAlg::HS256).await;
    let b = app.register_client("Beta", TokenAlg::HS256).await;
    let (_, tokens) = app.sign_in_and_get_tokens("alice", PASSWORD, &a).await;
    let token = s(&tokens, "access_token");
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_audience(&[&a.client_id]);
    let wrong = DecodingKey::from_secret(b.jwt_secret.unwrap().as_bytes()).unwrap();
    assert!(jsonwebtoken::decode::<AccessClaims>(&token, &wrong, &validation).is_err());
}

#[tokio::test]
async fn rs256_and_eddsa_clients_get_tokens_verifiable_from_the_jwks() {
    let app = spawn_app().await;
    app.create_user("alice", PASSWORD, false).await;
    for (alg, jwt_alg) in [
        (TokenAlg::RS256, Algorithm::RS256),
        (TokenAlg::EdDSA, Algorithm::EdDSA),
    ] {
        let client = app.register_client(&format!("Site{alg}"), alg).await;
        assert!(client.jwt_secret.is_none());
        let (_, tokens) = app.sign_in_and_get_tokens("alice", PASSWORD, &client).await;
        let claims: AccessClaims = with_jwks(
            &app,
            &s(&tokens, "access_token"),
            jwt_alg,
            &client.client_id,
        )
        .await;
        assert_eq!(claims.preferred_username, "alice");
    }
    let jwks: Value = app.get("/oauth2/jwks").await.json().await.unwrap();
    let keys = jwks["keys"].as_array().unwrap();
    assert!(keys.iter().any(|k| k["kty"] == "RSA") && keys.iter().any(|k| k["crv"] == "Ed25519"));
    for key in keys {
        for private in ["d", "p", "q", "dp", "dq", "qi"] {
            assert!(
                key.get(private).is_none(),
                "private part {private} published"
            );
        }
    }
}

#[tokio::test]
async fn sso_reaches_a_second_client_without_login_and_tokens_share_one_expiry() {
    let app = spawn_app().await;
    let alice = app.create_user("alice", PASSWORD, false).await;
    let a = app.register_client("Alpha", TokenAlg::HS256).await;
    let b = app.register_client("Beta", TokenAlg::RS256).await;
    let (browser, _) = app.sign_in_and_get_tokens("alice", PASSWORD, &a).await;
    // Same browser, second site: straight back with a code.
    let (code, verifier) = app.obtain_code(&browser, &b).await;
    app.exchange(&b, &code, &verifier).await;
    let a_rows = live_tokens(&app, &alice.id, &a).await;
    let b_rows = live_tokens(&app, &alice.id, &b).await;
    assert_eq!((a_rows.len(), b_rows.len()), (1, 1));
    assert_eq!(a_rows[0].expires_at, b_rows[0].expires_at);
    assert_eq!(a_rows[0].sso_session_id, b_rows[0].sso_session_id);
    let session = sso_session::Entity::find_by_id(a_rows[0].sso_session_id.clone())
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a_rows[0].expires_at, session.expires_at);
}

#[tokio::test]
async fn discovery_names_every_endpoint() {
    let app = spawn_app().await;
    for path in [
        "/.well-known/openid-configuration",
        "/.well-known/oauth-authorization-server",
    ] {
        let doc: Value = app.get(path).await.json().await.unwrap();
        let issuer = &app.state.config.issuer;
        assert_eq!(doc["issuer"], issuer.as_str());
        assert_eq!(
            doc["authorization_endpoint"],
            format!("{issuer}/oauth2/authorize")
        );
        assert_eq!(doc["token_endpoint"], format!("{issuer}/oauth2/token"));
        assert_eq!(
            doc["revocation_endpoint"],
            format!("{issuer}/oauth2/revoke")
        );
        assert_eq!(doc["jwks_uri"], format!("{issuer}/oauth2/jwks"));
        assert_eq!(
            doc["code_challenge_methods_supported"],
            serde_json::json!(["S256"])
        );
        assert_eq!(doc["authorization_response_iss_parameter_supported"], true);
    }
}

#[tokio::test]
async fn no_token_or_secret_is_stored_in_plain_text() {
    let app = spawn_app().await;
    app.create_user("alice", PASSWORD, false).await;
    let hs = app.register_client("Game", TokenAlg::HS256).await;
    let rs = app.register_client("Other", TokenAlg::RS256).await;
    let browser = app.new_client(None);
    app.login_with(&browser, "alice", PASSWORD).await;
    let (code, verifier) = app.obtain_code(&browser, &hs).await;
    let tokens = app.exchange(&hs, &code, &verifier).await;
    let rotated: Value = app
        .refresh(&hs, &s(&tokens, "refresh_token"))
        .await
        .json()
        .await
        .unwrap();
    let (code2, _) = app.obtain_code(&browser, &rs).await;
    let dump = app.dump_database().await;
    assert!(
        dump.contains(&hs.client_id),
        "the dump is not reading the tables"
    );
    for secret in [
        hs.client_secret.clone(),
        hs.jwt_secret.clone().unwrap(),
        rs.client_secret.clone(),
        code,
        code2,
        s(&tokens, "refresh_token"),
        s(&rotated, "refresh_token"),
        s(&tokens, "access_token"),
    ] {
        assert!(!dump.contains(&secret), "a secret is stored in plain text");
    }
    // A refresh token names its family (stored: it is the row's key); the
    // part after the dot is the secret, and only its hash is stored.
    for token in [s(&tokens, "refresh_token"), s(&rotated, "refresh_token")] {
        let (family, secret) = token.split_once('.').expect("<family>.<secret>");
        assert!(dump.contains(family), "the family is not in the dump");
        assert!(
            !dump.contains(secret),
            "a refresh token's secret is stored in plain text"
        );
    }
    let logs = crate::helpers::captured_logs();
    for secret in [
        hs.client_secret,
        s(&tokens, "refresh_token"),
        s(&rotated, "refresh_token"),
    ] {
        assert!(!logs.contains(&secret), "a secret was logged");
    }
}
