//! Client authentication at the token endpoint: Basic or post, never both;
//! wrong or disabled clients refused and nothing rotated; hostile requests.

use pattmayne_auth::domain::clients::TokenAlg;
use pattmayne_auth::domain::throttle;
use pattmayne_auth::entities::refresh_token;
use sea_orm::EntityTrait;
use serde_json::Value;

use crate::helpers::{PASSWORD, live_tokens, pkce_pair, s, spawn_app, spawn_app_with};

#[tokio::test]
async fn bad_client_credentials_get_401_and_suspend_nothing() {
    let app = spawn_app_with(&["--login-max-failures", "3"]).await;
    let client = app.register_client("Game", TokenAlg::HS256).await;
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", "whatever"),
    ];
    // Wrong secret over Basic.
    let res = app
        .client
        .post(app.url("/oauth2/token"))
        .basic_auth(&client.client_id, Some("wrong"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert!(
        res.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Basic")
    );
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"],
        "invalid_client"
    );
    // Wrong secret in the body (client_secret_post).
    let res = app
        .client
        .post(app.url("/oauth2/token"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", "x"),
            ("client_id", client.client_id.as_str()),
            ("client_secret", "wrong"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    // Unknown client.
    let res = app
        .client
        .post(app.url("/oauth2/token"))
        .basic_auth("nobody", Some("x"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    // Failures suspend nothing: a misconfigured site cannot take its own
    // users (or anyone else at its address) down, and the right secret from
    // the same address is then judged on its grant.
    for _ in 0..5 {
        let res = app
            .client
            .post(app.url("/oauth2/token"))
            .basic_auth(&client.client_id, Some("wrong"))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401);
    }
    let res = app.token_request(&client, &form).await;
    assert_eq!(res.json::<Value>().await.unwrap()["error"], "invalid_grant");
    assert!(
        throttle::active_suspensions(&app.state.db, app.state.clock.now())
            .await
            .unwrap()
            .is_empty()
    );
    // And sign-in from the same address is untouched.
    app.create_user("alice", PASSWORD, false).await;
    app.login("alice", PASSWORD).await;
}

#[tokio::test]
async fn a_refused_client_never_rotates_the_token_it_presents() {
    // On PostgreSQL client authentication and rotation are one statement;
    // whatever refuses the client must also keep the token from rotating.
    let app = spawn_app_with(&["--login-max-failures", "3"]).await;
    let alice = app.create_user("alice", PASSWORD, false).await;
    let client = app.register_client("Game", TokenAlg::HS256).await;
    let (_, tokens) = app.sign_in_and_get_tokens("alice", PASSWORD, &client).await;
    let rt = s(&tokens, "refresh_token");
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", rt.as_str()),
    ];
    let generation = || async { live_tokens(&app, &alice.id, &client).await[0].generation };

    let wrong_basic = app
        .client
        .post(app.url("/oauth2/token"))
        .basic_auth(&client.client_id, Some("wrong"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_basic.status(), 401);
    assert_eq!(
        generation().await,
        0,
        "a wrong Basic secret rotated the token"
    );
    let wrong_post = app
        .client
        .post(app.url("/oauth2/token"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", rt.as_str()),
            ("client_id", client.client_id.as_str()),
            ("client_secret", "wrong"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_post.status(), 401);
    assert_eq!(
        generation().await,
        0,
        "a wrong posted secret rotated the token"
    );

    let now = app.state.clock.now();
    pattmayne_auth::domain::clients::set_enabled(&app.state.db, &client.client_id, false, now)
        .await
        .unwrap();
    assert_eq!(app.refresh(&client, &rt).await.status(), 401);
    assert_eq!(generation().await, 0, "a disabled client rotated the token");
    pattmayne_auth::domain::clients::set_enabled(&app.state.db, &client.client_id, true, now)
        .await
        .unwrap();

    let res = app.refresh(&client, &rt).await;
    assert_eq!(res.status(), 200);
    assert_eq!(generation().await, 1);
}

#[tokio::test]
async fn client_secret_post_works_and_two_methods_at_once_are_refused() {
    let app = spawn_app().await;
    app.create_user("alice", PASSWORD, false).await;
    let client = app.register_client("Game", TokenAlg::HS256).await;
    let (_, tokens) = app.sign_in_and_get_tokens("alice", PASSWORD, &client).await;
    let rt = s(&tokens, "refresh_token");
    let res = app
        .client
        .post(app.url("/oauth2/token"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", rt.as_str()),
            ("client_id", &client.client_id),
            ("client_secret", &client.client_secret),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let rt: String = res.json::<Value>().await.unwrap()["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = app
        .client
        .post(app.url("/oauth2/token"))
        .basic_auth(&client.client_id, Some(&client.client_secret))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", rt.as_str()),
            ("client_secret", &client.client_secret),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"],
        "invalid_request"
    );
}

#[tokio::test]
async fn deleted_or_disabled_clients_stop_working() {
    let app = spawn_app().await;
    let alice = app.create_user("alice", PASSWORD, false).await;
    let client = app.register_client("Game", TokenAlg::HS256).await;
    let (browser, tokens) = app.sign_in_and_get_tokens("alice", PASSWORD, &client).await;
    let rt = s(&tokens, "refresh_token");
    let now = app.state.clock.now();
    pattmayne_auth::domain::clients::set_enabled(&app.state.db, &client.client_id, false, now)
        .await
        .unwrap();
    assert_eq!(app.refresh(&client, &rt).await.status(), 401);
    let (_, challenge) = pkce_pair();
    let res = browser
        .get(app.url(&app.authorize_path(&client, &challenge, &[])))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert!(res.headers().get("location").is_none());
    pattmayne_auth::domain::clients::set_enabled(&app.state.db, &client.client_id, true, now)
        .await
        .unwrap();
    assert_eq!(app.refresh(&client, &rt).await.status(), 200);

    pattmayne_auth::domain::clients::delete(&app.state.db, &client.client_id)
        .await
        .unwrap();
    assert!(live_tokens(&app, &alice.id, &client).await.is_empty());
    let any = refresh_token::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap();
    assert!(any.is_empty(), "the deleted client's tokens remain");
    assert_eq!(app.refresh(&client, &rt).await.status(), 401);
}

#[tokio::test]
async fn hostile_token_requests_get_rfc6749_errors_never_5xx() {
    let app = spawn_app().await;
    let client = app.register_client("Game", TokenAlg::HS256).await;
    let post = |body: String, content_type: &'static str| {
        app.client
            .post(app.url("/oauth2/token"))
            .basic_auth(&client.client_id, Some(&client.client_secret))
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    let form = "application/x-www-form-urlencoded";
    let long = "a".repeat(5000);
    let cases: Vec<(String, &str, u16, &str)> = vec![
        ("{\"grant_type\":\"refresh_token\"}".into(), "application/json", 400, "invalid_request"),
        ("".into(), form, 400, "invalid_request"),
        ("grant_type=password&username=a&password=b".into(), form, 400, "unsupported_grant_type"),
        ("grant_type=client_credentials".into(), form, 400, "unsupported_grant_type"),
        ("grant_type=refresh_token&grant_type=refresh_token&refresh_token=x".into(), form, 400, "invalid_request"),
        ("grant_type=refresh_token".into(), form, 400, "invalid_request"),
        ("grant_type=authorization_code&code=x".into(), form, 400, "invalid_request"),
        ("grant_type=authorization_code&code=x&redirect_uri=https%3A%2F%2Fgame.example%2Fcallback&code_verifier=y".into(), form, 400, "invalid_grant"),
        (format!("grant_type=refresh_token&refresh_token={long}"), form, 400, "invalid_request"),
        ("grant_type=refresh_token&refresh_token=%ZZ%00%FF".into(), form, 400, "invalid_request"),
        ("grant_type=refresh_token&refresh_token=' OR 1=1 --".into(), form, 400, "invalid_grant"),
        ("\u{0}\u{1}garbage&&==".into(), form, 400, "invalid_request"),
        // PostgreSQL refuses NUL in text: it must never reach a statement.
        ("grant_type=refresh_token&refresh_token=fam%00ily.secret".into(), form, 400, "invalid_request"),
        ("grant_type=refresh_token&refresh_token=family.sec%00ret".into(), form, 400, "invalid_request"),
    ];
    for (body, ct, status, error) in cases {
        let res = post(body.clone(), ct).await.unwrap();
        assert_eq!(res.status().as_u16(), status, "{body}");
        assert_eq!(res.headers()["cache-control"], "no-store");
        let json: Value = res.json().await.unwrap();
        assert_eq!(json["error"], error, "{body}");
    }
    // NUL in the client's credentials, posted or in HTTP Basic.
    for body in [
        "grant_type=refresh_token&refresh_token=a.b&client_id=x%00y&client_secret=s",
        "grant_type=refresh_token&refresh_token=a.b&client_id=x&client_secret=s%00",
    ] {
        let res = app
            .client
            .post(app.url("/oauth2/token"))
            .header("content-type", form)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "{body}");
        assert_eq!(
            res.json::<Value>().await.unwrap()["error"],
            "invalid_request"
        );
    }
    for (id, secret) in [("x%00y", "s"), ("x", "s%00"), ("x\u{0}y", "s")] {
        let res = app
            .client
            .post(app.url("/oauth2/token"))
            .basic_auth(id, Some(secret))
            .form(&[("grant_type", "refresh_token"), ("refresh_token", "a.b")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401, "{id}:{secret}");
        assert_eq!(
            res.json::<Value>().await.unwrap()["error"],
            "invalid_client"
        );
    }
    let huge = format!(
        "grant_type=refresh_token&refresh_token={}",
        "a".repeat(100 * 1024)
    );
    let res = post(huge, form).await.unwrap();
    assert_eq!(res.status(), 413);
    assert!(res.json::<Value>().await.unwrap()["error"].is_string());
    let res = app
        .client
        .get(app.url("/oauth2/token"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 405);
    assert!(res.json::<Value>().await.unwrap()["error"].is_string());
}

/// A change to a client site made where this server cannot see it (the
/// command line, another instance) reaches it within `CLIENT_CACHE_SECS`:
/// a disabled site's authorization requests are refused, and a rotated
/// secret is the only one that works.
#[tokio::test]
async fn a_site_changed_elsewhere_is_seen_within_the_client_cache_bound() {
    use pattmayne_auth::domain::clients::CLIENT_CACHE_SECS;
    use pattmayne_auth::entities::client;
    use sea_orm::{ColumnTrait, QueryFilter, sea_query::Expr};

    let app = spawn_app().await;
    app.create_user("alice", PASSWORD, false).await;
    let site = app.register_client("Game", TokenAlg::HS256).await;
    let other = app.register_client("Other", TokenAlg::HS256).await;
    // Both sites are read (and kept) by an authorization and an exchange.
    let (browser, tokens) = app.sign_in_and_get_tokens("alice", PASSWORD, &site).await;
    let (code, verifier) = app.obtain_code(&browser, &other).await;
    app.exchange(&other, &code, &verifier).await;

    // Written straight to the database, as another process would.
    let elsewhere = |id: &str, column: client::Column, value: sea_orm::Value| {
        let (db, id) = (app.state.db.clone(), id.to_owned());
        async move {
            client::Entity::update_many()
                .col_expr(column, Expr::value(value))
                .filter(client::Column::ClientId.eq(id))
                .exec(&db)
                .await
                .unwrap();
        }
    };
    let rotated = "a secret rotated by another instance";
    let hash = pattmayne_auth::crypto::hash_token(rotated);
    elsewhere(&site.client_id, client::Column::SecretHash, hash.into()).await;
    elsewhere(&other.client_id, client::Column::Enabled, false.into()).await;
    assert!(app.state.clock.advance(CLIENT_CACHE_SECS));

    let old = app.refresh(&site, &s(&tokens, "refresh_token")).await;
    assert_eq!(
        old.status(),
        401,
        "the secret rotated elsewhere still works"
    );
    let new_secret = crate::helpers::TestClient {
        client_secret: rotated.to_owned(),
        ..site.clone()
    };
    let res = app.refresh(&new_secret, &s(&tokens, "refresh_token")).await;
    assert_eq!(res.status(), 200, "the secret rotated elsewhere is refused");
    let (_, challenge) = pkce_pair();
    let res = browser
        .get(app.url(&app.authorize_path(&other, &challenge, &[])))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        400,
        "a site disabled elsewhere still authorizes"
    );
}
