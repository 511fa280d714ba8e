//! OAuth 2.0 core: client sites, authorization code + PKCE, code exchange,
//! rotating refresh tokens under one SSO expiry, revocation, back-channel logout.

use std::collections::HashSet;

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use pattmayne_auth::domain::clients::TokenAlg;
use pattmayne_auth::domain::signing::AccessClaims;
use pattmayne_auth::domain::throttle;
use pattmayne_auth::entities::{refresh_token, sso_session};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::Value;

use crate::helpers::{TestApp, TestClient, location_params, pkce_pair, spawn_app, spawn_app_with};

const PASSWORD: &str = "correct horse battery staple";

fn hs256(app: &TestApp, client: &TestClient, token: &str) -> AccessClaims {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_audience(&[&client.client_id]);
    validation.set_issuer(&[&app.state.config.issuer]);
    let key =
        DecodingKey::from_secret(client.jwt_secret.as_ref().expect("HS256 client").as_bytes())
            .unwrap();
    jsonwebtoken::decode::<AccessClaims>(token, &key, &validation)
        .expect("valid HS256 access token")
        .claims
}

async fn with_jwks<T: serde::de::DeserializeOwned>(
    app: &TestApp,
    token: &str,
    alg: Algorithm,
    audience: &str,
) -> T {
    let header = jsonwebtoken::decode_header(token).unwrap();
    assert_eq!(header.alg, alg);
    let jwks: JwkSet = app.get("/oauth2/jwks").await.json().await.unwrap();
    let jwk = jwks
        .find(header.kid.as_deref().expect("kid"))
        .expect("key published");
    let mut validation = Validation::new(alg);
    validation.set_audience(&[audience]);
    validation.set_issuer(&[&app.state.config.issuer]);
    jsonwebtoken::decode::<T>(token, &DecodingKey::from_jwk(jwk).unwrap(), &validation)
        .expect("valid signature")
        .claims
}

async fn live_tokens(
    app: &TestApp,
    user_id: &str,
    client: &TestClient,
) -> Vec<refresh_token::Model> {
    refresh_token::Entity::find()
        .filter(refresh_token::Column::UserId.eq(user_id))
        .filter(refresh_token::Column::ClientId.eq(client.client_id.as_str()))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .all(&app.state.db)
        .await
        .unwrap()
}

/// A refresh grant sent on its own connection, in the background:
/// (status, JSON body).
fn spawn_refresh(
    app: &TestApp,
    client: &TestClient,
    token: &str,
) -> tokio::task::JoinHandle<(u16, Value)> {
    let http = app.new_client(None);
    let url = app.url("/oauth2/token");
    let (id, secret, token) = (
        client.client_id.clone(),
        client.client_secret.clone(),
        token.to_owned(),
    );
    tokio::spawn(async move {
        let res = http
            .post(url)
            .basic_auth(id, Some(secret))
            .form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", token.as_str()),
            ])
            .send()
            .await
            .unwrap();
        (res.status().as_u16(), res.json::<Value>().await.unwrap())
    })
}

/// Refreshes `token`, which must succeed, and returns its successor.
async fn refreshed(app: &TestApp, client: &TestClient, token: &str) -> String {
    let res = app.refresh(client, token).await;
    assert_eq!(res.status(), 200);
    s(&res.json().await.unwrap(), "refresh_token")
}

fn s(v: &Value, key: &str) -> String {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} missing in {v}"))
        .to_owned()
}

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
async fn refresh_rotates_and_keeps_the_absolute_expiry() {
    let app = spawn_app().await;
    let alice = app.create_user("alice", PASSWORD, false).await;
    let client = app.register_client("Game", TokenAlg::HS256).await;
    let (_, tokens) = app.sign_in_and_get_tokens("alice", PASSWORD, &client).await;
    let first = s(&tokens, "refresh_token");
    let before = live_tokens(&app, &alice.id, &client).await;

    let res = app.refresh(&client, &first).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let next: Value = res.json().await.unwrap();
    let second = s(&next, "refresh_token");
    assert_ne!(first, second);
    assert!(next.get("id_token").is_none());
    hs256(&app, &client, &s(&next, "access_token"));
    let after = live_tokens(&app, &alice.id, &client).await;
    assert_eq!(after.len(), 1);
    assert_eq!(
        after[0].expires_at, before[0].expires_at,
        "rotation moved the expiry"
    );
    assert_eq!(after[0].family_id, before[0].family_id);
    // The successor refreshes in turn.
    assert_eq!(app.refresh(&client, &second).await.status(), 200);
}

#[tokio::test]
async fn a_retry_within_the_grace_window_gets_the_same_successor() {
    let app = spawn_app().await;
    let alice = app.create_user("alice", PASSWORD, false).await;
    let client = app.register_client("Game", TokenAlg::HS256).await;
    let (_, tokens) = app.sign_in_and_get_tokens("alice", PASSWORD, &client).await;
    let first = s(&tokens, "refresh_token");
    let a: Value = app.refresh(&client, &first).await.json().await.unwrap();
    let b: Value = app.refresh(&client, &first).await.json().await.unwrap();
    assert_eq!(a["refresh_token"], b["refresh_token"]);
    assert_eq!(live_tokens(&app, &alice.id, &client).await.len(), 1);
    // A tab that already moved on twice is still brought to the live head.
    let second = s(&a, "refresh_token");
    let c: Value = app.refresh(&client, &second).await.json().await.unwrap();
    let d: Value = app.refresh(&client, &first).await.json().await.unwrap();
    assert_eq!(c["refresh_token"], d["refresh_token"]);
    assert_eq!(live_tokens(&app, &alice.id, &client).await.len(), 1);
}

#[tokio::test]
async fn reuse_after_the_grace_window_revokes_the_family() {
    let app = spawn_app_with(&["--refresh-grace-secs", "20"]).await;
    let alice = app.create_user("alice", PASSWORD, false).await;
    let client = app.register_client("Game", TokenAlg::HS256).await;
    let (_, tokens) = app.sign_in_and_get_tokens("alice", PASSWORD, &client).await;
    let first = s(&tokens, "refresh_token");
    let next: Value = app.refresh(&client, &first).await.json().await.unwrap();
    let second = s(&next, "refresh_token");
    assert!(app.state.clock.advance(21));

    let res = app.refresh(&client, &first).await;
    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
    // The thief's replay cost the legitimate holder too: the family is dead.
    let res = app.refresh(&client, &second).await;
    assert_eq!(res.status(), 400);
    assert_eq!(res.json::<Value>().await.unwrap()["error"], "invalid_grant");
    assert!(live_tokens(&app, &alice.id, &client).await.is_empty());
}

#[tokio::test]
async fn a_token_rotated_long_ago_revokes_the_family_even_within_the_grace_window() {
    // The thief refreshed the stolen token over and over; the legitimate
    // holder's token is now far behind, and presenting it must still kill
    // the thief's branch. Seventy rotations also take the walk off the async
    // workers (more than 64 steps).
    let app = spawn_app().await;
    let alice = app.create_user("alice", PASSWORD, false).await;
    let client = app.register_client("Game", TokenAlg::HS256).await;
    let (_, tokens) = app.sign_in_and_get_tokens("alice", PASSWORD, &client).await;
    let first = s(&tokens, "refresh_token");
    let mut live = first.clone();
    for _ in 0..70 {
        live = refreshed(&app, &client, &live).await;
    }
    let row = &live_tokens(&app, &alice.id, &client).await[0];
    assert_eq!(row.generation, 70);

    let res = app.refresh(&client, &first).await;
    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("already used"),
        "{body}"
    );
    assert_eq!(
        app.refresh(&client, &live).await.status(),
        400,
        "the thief's branch lives on"
    );
    assert!(live_tokens(&app, &alice.id, &client).await.is_empty());
}

#[tokio::test]
async fn three_rotations_behind_is_a_replay_even_within_the_grace_window() {
    // The row remembers when its last two rotations happened; a token older
    // than that is not forgiven.
    let app = spawn_app().await;
    let alice = app.create_user("alice", PASSWORD, false).await;
    let client = app.register_client("Game", TokenAlg::HS256).await;
    let (_, tokens) = app.sign_in_and_get_tokens("alice", PASSWORD, &client).await;
    let first = s(&tokens, "refresh_token");
    let mut live = first.clone();
    for _ in 0..3 {
        live = refreshed(&app, &client, &live).await;
    }
    assert_eq!(app.refresh(&client, &first).await.status(), 400);
    assert!(live_tokens(&app, &alice.id, &client).await.is_empty());
    assert_eq!(app.refresh(&client, &live).await.status(), 400);
}

#[tokio::test]
async fn forged_or_malformed_refresh_tokens_are_refused_and_revoke_nothing() {
    let app = spawn_app_with(&["--refresh-grace-secs", "0"]).await;
    let alice = app.create_user("alice", PASSWORD, false).await;
    let client = app.register_client("Game", TokenAlg::HS256).await;
    let other = app.register_client("Other", TokenAlg::HS256).await;
    let (_, tokens) = app.sign_in_and_get_tokens("alice", PASSWORD, &client).await;
    let live = s(&tokens, "refresh_token");
    let (family, secret) = live.split_once('.').unwrap();
    let forged_secret = format!("{family}.{}", "A".repeat(secret.len()));
    let unknown_family = format!("00000000-0000-4000-8000-000000000000.{secret}");
    let too_long = format!("{live}{}", "x".repeat(200));
    let res = app.refresh(&client, "").await;
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"],
        "invalid_request"
    );
    for bad in [
        ".",
        "no-dot-at-all",
        &format!("{family}."),
        &format!(".{secret}"),
        &forged_secret,
        &unknown_family,
        &too_long,
        &format!("{family}.{secret}.extra"),
        "'; DROP TABLE refresh_tokens; --.x",
    ] {
        let res = app.refresh(&client, bad).await;
        assert_eq!(res.status(), 400, "{bad:?}");
        assert_eq!(
            res.json::<Value>().await.unwrap()["error"],
            "invalid_grant",
            "{bad:?}"
        );
    }
    // Another client site cannot use it, nor kill it.
    let res = app.refresh(&other, &live).await;
    assert_eq!(res.status(), 400);
    assert_eq!(res.json::<Value>().await.unwrap()["error"], "invalid_grant");
    // None of that touched the family: the holder refreshes as before.
    assert_eq!(live_tokens(&app, &alice.id, &client).await[0].generation, 0);
    assert_eq!(app.refresh(&client, &live).await.status(), 200);
}

#[tokio::test]
async fn sixty_four_parallel_refreshes_give_no_5xx_and_leave_one_live_token() {
    let app = spawn_app().await;
    let alice = app.create_user("alice", PASSWORD, false).await;
    let client = app.register_client("Game", TokenAlg::HS256).await;
    let (_, tokens) = app.sign_in_and_get_tokens("alice", PASSWORD, &client).await;
    let first = s(&tokens, "refresh_token");
    let family = live_tokens(&app, &alice.id, &client).await[0]
        .family_id
        .clone();
    // Collected first, so that all 64 are in flight before any is awaited.
    let requests: Vec<_> = (0..64)
        .map(|_| spawn_refresh(&app, &client, &first))
        .collect();
    let mut successors = HashSet::new();
    for r in requests {
        let (status, body) = r.await.unwrap();
        assert!(status < 500, "server error: {body}");
        assert_eq!(status, 200, "{body}");
        successors.insert(s(&body, "refresh_token"));
    }
    assert_eq!(
        successors.len(),
        1,
        "more than one successor was handed out"
    );
    let live = live_tokens(&app, &alice.id, &client).await;
    assert_eq!(live.len(), 1);
    assert_eq!(live[0].family_id, family);
    assert_eq!(
        app.refresh(&client, successors.iter().next().unwrap())
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn parallel_refreshes_of_many_families_each_rotate_their_own() {
    // On PostgreSQL concurrent refresh grants share statements
    // (`domain::rotations`); nobody may get another family's token.
    let app = spawn_app().await;
    let client = app.register_client("Game", TokenAlg::HS256).await;
    let mut people = Vec::new();
    for i in 0..16 {
        let name = format!("player{i}");
        let person = app.create_user(&name, PASSWORD, false).await;
        let (_, tokens) = app.sign_in_and_get_tokens(&name, PASSWORD, &client).await;
        people.push((person.id, s(&tokens, "refresh_token")));
    }
    for _ in 0..4 {
        let requests: Vec<_> = people
            .iter()
            .map(|(_, token)| spawn_refresh(&app, &client, token))
            .collect();
        for ((user_id, token), request) in people.iter_mut().zip(requests) {
            let (status, body) = request.await.unwrap();
            assert_eq!(status, 200, "{body}");
            let next = s(&body, "refresh_token");
            let family = |t: &str| t.split('.').next().unwrap().to_owned();
            assert_eq!(family(&next), family(token), "another family's token");
            assert_ne!(&next, token);
            let claims = hs256(&app, &client, &s(&body, "access_token"));
            assert_eq!(&claims.sub, user_id, "an access token for someone else");
            *token = next;
        }
    }
    for (user_id, token) in &people {
        let live = live_tokens(&app, user_id, &client).await;
        assert_eq!(live.len(), 1);
        assert_eq!(live[0].generation, 4, "each refresh rotates exactly once");
        assert_eq!(app.refresh(&client, token).await.status(), 200);
    }
}

#[tokio::test]
async fn a_batch_of_refreshes_decides_each_ask_alone_and_never_waits_for_a_lock() {
    use pattmayne_auth::domain::tokens::{Ask, Locks, Presented, authenticate_and_claim};
    use sea_orm::{ConnectionTrait, DbBackend, Statement, TransactionTrait};

    let app = spawn_app().await;
    if app.state.db.get_database_backend() != DbBackend::Postgres {
        return; // batches are PostgreSQL's; SQLite rotates one at a time
    }
    let game = app.register_client("Game", TokenAlg::HS256).await;
    let other = app.register_client("Other", TokenAlg::HS256).await;
    let mut tokens = Vec::new();
    let mut ids = Vec::new();
    for name in ["alice", "bob", "carol", "dave", "erin"] {
        ids.push(app.create_user(name, PASSWORD, false).await.id);
        let (_, issued) = app.sign_in_and_get_tokens(name, PASSWORD, &game).await;
        tokens.push(s(&issued, "refresh_token"));
    }
    let [alice, bob, carol, dave, erin] = <[String; 5]>::try_from(tokens).unwrap();
    assert_eq!(app.refresh(&game, &carol).await.status(), 200); // carol's is now rotated away
    let family = |t: &str| t.split('.').next().unwrap().to_owned();

    let now = app.state.clock.now();
    let ask = |client: &TestClient, secret: &str, token: &str| {
        let presented = Presented::parse(&app.state.keys, token).unwrap();
        Ask::new(&client.client_id, secret, &presented, now)
    };
    // Another transaction holds erin's family.
    let holder = app.state.db.begin().await.unwrap();
    holder
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT 1 FROM refresh_tokens WHERE family_id = $1 FOR UPDATE",
            [family(&erin).into()],
        ))
        .await
        .unwrap();
    let asks = [
        ask(&game, &game.client_secret, &alice),
        ask(&game, "wrong secret", &bob),
        ask(&other, &other.client_secret, &bob),
        ask(&game, &game.client_secret, &carol),
        ask(&game, &game.client_secret, &dave),
        ask(&game, &game.client_secret, &dave),
        ask(&game, &game.client_secret, "no-such-family.secret"),
        ask(&game, &game.client_secret, &erin),
    ];
    let batch: Vec<&Ask> = asks.iter().collect();
    let found = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        authenticate_and_claim(&app.state.db, &batch, Locks::Skip),
    )
    .await
    .expect("a batch waited for a row lock held elsewhere")
    .unwrap();
    let rotated: Vec<bool> = found.iter().map(|f| f.claimed.is_some()).collect();
    let locked: Vec<bool> = found.iter().map(|f| f.locked).collect();
    assert_eq!(rotated[..4], [true, false, false, false], "{rotated:?}");
    assert!(
        rotated[4] ^ rotated[5],
        "dave's token rotated twice or not at all"
    );
    assert_eq!(rotated[6..], [false, false]);
    assert_eq!(locked, [true, true, true, true, true, true, false, false]);
    let client_of =
        |f: &pattmayne_auth::domain::tokens::Found| f.client.as_ref().map(|c| c.client_id.clone());
    assert_eq!(client_of(&found[1]), Some(game.client_id.clone()));
    assert_eq!(client_of(&found[2]), Some(other.client_id.clone()));

    let generations = || async {
        let mut all = Vec::new();
        for id in &ids {
            all.push(live_tokens(&app, id, &game).await[0].generation);
        }
        all
    };
    assert_eq!(generations().await, [1, 0, 1, 1, 0]);

    // Once the holder lets go, erin's ask on its own (waiting) rotates.
    holder.rollback().await.unwrap();
    let found = authenticate_and_claim(&app.state.db, &[&asks[7]], Locks::Wait)
        .await
        .unwrap();
    assert!(found[0].claimed.is_some() && found[0].locked);
    assert_eq!(generations().await, [1, 0, 1, 1, 1]);
}

#[tokio::test]
async fn a_failed_batch_costs_the_other_refreshes_in_it_nothing() {
    use pattmayne_auth::domain::tokens::{Ask, Presented};
    use sea_orm::{ConnectionTrait, DbBackend, TransactionTrait};
    use std::time::Duration;

    let app = spawn_app().await;
    if app.state.db.get_database_backend() != DbBackend::Postgres {
        return; // batches are PostgreSQL's
    }
    let game = app.register_client("Game", TokenAlg::HS256).await;
    let mut tokens = Vec::new();
    for name in ["alice", "bob"] {
        app.create_user(name, PASSWORD, false).await;
        let (_, issued) = app.sign_in_and_get_tokens(name, PASSWORD, &game).await;
        tokens.push(s(&issued, "refresh_token"));
    }
    let now = app.state.clock.now();
    let ask = |token: &str| {
        let presented = Presented::parse(&app.state.keys, token).unwrap();
        Ask::new(&game.client_id, &game.client_secret, &presented, now)
    };
    let claim = |ask: Ask| {
        let state = app.state.clone();
        tokio::spawn(async move { state.rotations.claim(&state.db, ask).await })
    };
    // Hold the table so that the first batch waits in the database while
    // the next two asks gather behind it, into one batch.
    let holder = app.state.db.begin().await.unwrap();
    holder
        .execute_unprepared("LOCK TABLE refresh_tokens IN EXCLUSIVE MODE")
        .await
        .unwrap();
    let first = claim(ask(&tokens[1]));
    tokio::time::sleep(Duration::from_millis(300)).await;
    // PostgreSQL refuses NUL in text: this ask fails whatever statement it is in.
    let poisoned = claim(ask("fam\0ily.secret"));
    let alice = claim(ask(&tokens[0]));
    tokio::time::sleep(Duration::from_millis(300)).await;
    holder.rollback().await.unwrap();

    assert!(first.await.unwrap().unwrap().claimed.is_some());
    assert!(poisoned.await.unwrap().is_err());
    let alice = alice
        .await
        .unwrap()
        .expect("alice's refresh failed with the batch");
    assert!(alice.claimed.is_some());
}

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

#[tokio::test]
async fn unknown_clients_and_unregistered_redirect_uris_get_the_error_page_never_a_redirect() {
    let app = spawn_app().await;
    app.create_user("alice", PASSWORD, false).await;
    let mut client = app.register_client("Game", TokenAlg::HS256).await;
    let browser = app.new_client(None);
    app.login_with(&browser, "alice", PASSWORD).await;
    let (_, challenge) = pkce_pair();
    let registered = client.redirect_uri.clone();
    for tricked in [
        "https://game.example/callback/evil",
        "https://game.example/callbac",
        "https://GAME.example/callback",
        "https://game.example/Callback",
        "https://game.example/callback#x",
        "https://user@game.example/callback",
        "https://game.example:8443/callback",
        "http://game.example/callback",
        "https://game.example/callback?x=1",
        "https://evil.example/callback",
    ] {
        client.redirect_uri = tricked.to_owned();
        let res = browser
            .get(app.url(&app.authorize_path(&client, &challenge, &[])))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "{tricked}");
        assert!(
            res.headers().get("location").is_none(),
            "{tricked} redirected"
        );
        assert!(
            res.text()
                .await
                .unwrap()
                .contains("This sign-in link is not valid")
        );
    }
    client.redirect_uri = registered.clone();
    let mut unknown = client.clone();
    unknown.client_id = "nope".into();
    let res = browser
        .get(app.url(&app.authorize_path(&unknown, &challenge, &[])))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    // No redirect_uri at all, or two of them: refused too.
    let res = browser
        .get(app.url(&format!("/oauth2/authorize?response_type=code&client_id={}&code_challenge={challenge}&code_challenge_method=S256", client.client_id)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let path = format!(
        "{}&redirect_uri={}",
        app.authorize_path(&client, &challenge, &[]),
        urlencode(&registered)
    );
    assert_eq!(
        browser.get(app.url(&path)).send().await.unwrap().status(),
        400
    );
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn other_authorization_errors_redirect_with_rfc6749_error_parameters() {
    let app = spawn_app().await;
    app.create_user("alice", PASSWORD, false).await;
    let client = app.register_client("Game", TokenAlg::HS256).await;
    let browser = app.new_client(None);
    app.login_with(&browser, "alice", PASSWORD).await;
    let (_, challenge) = pkce_pair();
    let base = |extra: &str| {
        format!(
            "/oauth2/authorize?client_id={}&redirect_uri={}&state=s1{extra}",
            client.client_id,
            urlencode(&client.redirect_uri)
        )
    };
    let cases = [
        (
            base(&format!(
                "&response_type=code&code_challenge={challenge}&code_challenge_method=S256&state=again"
            )),
            "invalid_request",
        ),
        (base("&response_type=code"), "invalid_request"),
        (
            base(&format!(
                "&response_type=code&code_challenge={challenge}&code_challenge_method=plain"
            )),
            "invalid_request",
        ),
        (
            base(&format!("&response_type=code&code_challenge={challenge}")),
            "invalid_request",
        ),
        (
            base("&response_type=code&code_challenge=short&code_challenge_method=S256"),
            "invalid_request",
        ),
        (
            base(&format!(
                "&response_type=token&code_challenge={challenge}&code_challenge_method=S256"
            )),
            "unsupported_response_type",
        ),
        (
            base(&format!(
                "&response_type=code&scope=admin&code_challenge={challenge}&code_challenge_method=S256"
            )),
            "invalid_scope",
        ),
    ];
    for (path, error) in cases {
        let res = browser.get(app.url(&path)).send().await.unwrap();
        assert_eq!(res.status(), 302, "{path}");
        let location = res.headers()["location"].to_str().unwrap().to_owned();
        assert!(location.starts_with(&client.redirect_uri), "{location}");
        let params = location_params(&res);
        assert_eq!(
            params.get("error").map(String::as_str),
            Some(error),
            "{path}"
        );
        assert_eq!(params.get("iss"), Some(&app.state.config.issuer));
        assert!(!params.contains_key("code"));
    }
}

#[tokio::test]
async fn prompt_none_without_a_session_answers_login_required() {
    let app = spawn_app().await;
    let client = app.register_client("Game", TokenAlg::HS256).await;
    let (_, challenge) = pkce_pair();
    let res = app
        .get(&app.authorize_path(&client, &challenge, &[("prompt", "none")]))
        .await;
    assert_eq!(res.status(), 302);
    let params = location_params(&res);
    assert_eq!(params["error"], "login_required");
    assert_eq!(params["state"], "xyz-state");
    assert_eq!(params["iss"], app.state.config.issuer);
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

#[tokio::test]
async fn cli_creates_lists_rotates_and_deletes_client_sites() {
    use std::process::Command;
    let (url, _pg) = crate::helpers::fresh_database_url().await;
    let bin = env!("CARGO_BIN_EXE_pattmayne-auth");
    let run = |args: &[&str]| {
        Command::new(bin)
            .args(args)
            .env_clear()
            .env("DATABASE_URL", &url)
            .env(
                "AUTH_SECRET_KEY",
                "cli-test-secret-key-long-enough-0123456789",
            )
            .env("AUTH_DATA_DIR", std::env::temp_dir())
            .output()
            .unwrap()
    };
    let json = |out: std::process::Output| -> Value {
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("no JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)))
    };
    let out = run(&[
        "client",
        "create",
        "--name",
        "Game",
        "--redirect-uri",
        "https://game.example/cb",
        "--redirect-uri",
        "http://localhost:3000/cb",
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let creds = json(out);
    let id = s(&creds, "client_id");
    assert!(s(&creds, "client_secret").len() >= 43 && s(&creds, "jwt_secret").len() >= 43);
    let out = run(&[
        "client",
        "create",
        "--name",
        "Keys",
        "--redirect-uri",
        "https://keys.example/cb",
        "--token-alg",
        "EdDSA",
        "--json",
    ]);
    let creds2 = json(out);
    assert!(creds2.get("jwt_secret").is_none());
    let bad = run(&[
        "client",
        "create",
        "--name",
        "Bad",
        "--redirect-uri",
        "javascript:alert(1)",
        "--json",
    ]);
    assert!(!bad.status.success());
    assert_eq!(
        String::from_utf8_lossy(&bad.stderr)
            .lines()
            .filter(|l| !l.contains("WARN"))
            .count(),
        1
    );

    let list = String::from_utf8(run(&["client", "list"]).stdout).unwrap();
    assert!(list.contains(&id) && list.contains("Keys"));
    let show = json(run(&["client", "show", &id, "--json"]));
    assert_eq!(
        show["redirect_uris"],
        serde_json::json!(["https://game.example/cb", "http://localhost:3000/cb"])
    );
    let rotated = json(run(&["client", "rotate-secret", &id, "--json"]));
    assert_ne!(rotated["client_secret"], creds["client_secret"]);
    assert!(run(&["client", "disable", &id]).status.success());
    assert!(run(&["client", "delete", &id]).status.success());
    assert!(!run(&["client", "show", &id]).status.success());

    // The command line's admin operations are audited like the admin pages'.
    let db = sea_orm::Database::connect(&url).await.unwrap();
    let rows = pattmayne_auth::entities::audit_log::Entity::find()
        .all(&db)
        .await
        .unwrap();
    let done: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (r.action.as_str(), r.target.as_str()))
        .collect();
    assert_eq!(
        done,
        [
            ("client.create", id.as_str()),
            ("client.create", s(&creds2, "client_id").as_str()),
            ("client.rotate_secret", id.as_str()),
            ("client.disable", id.as_str()),
            ("client.delete", id.as_str()),
        ]
    );
    assert!(
        rows.iter()
            .all(|r| r.actor_username == "(command line)" && r.actor_user_id.is_none())
    );
    db.close().await.unwrap();
}
