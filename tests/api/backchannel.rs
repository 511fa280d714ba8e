//! OIDC Back-Channel Logout 1.0 from the server: when a session ends, every
//! client site holding a token under it hears so at its registered URI, by
//! a `logout_token` it can verify against the JWKS; from a durable queue
//! that retries, survives a restart and never holds up the request that
//! ended the session.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Form, Router};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use pattmayne_auth::domain::admin::Admin;
use pattmayne_auth::domain::backchannel;
use pattmayne_auth::domain::clients::{self, TokenAlg};
use pattmayne_auth::entities::logout_delivery;
use sea_orm::EntityTrait;
use serde_json::Value;
use tokio::sync::mpsc;

use crate::helpers::{
    PASSWORD, TestApp, TestClient, fresh_database_url, hs256, s, serve_in_background, spawn_app,
    spawn_app_on,
};

/// A client site's back-channel logout endpoint: records every
/// `logout_token` POSTed to it and answers with `status` (0: never answers).
struct Receiver {
    addr: SocketAddr,
    tokens: mpsc::UnboundedReceiver<String>,
    status: Arc<AtomicU16>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

#[derive(Clone)]
struct Heard {
    tx: mpsc::UnboundedSender<String>,
    status: Arc<AtomicU16>,
}

async fn hear(State(heard): State<Heard>, Form(form): Form<HashMap<String, String>>) -> StatusCode {
    let status = heard.status.load(Ordering::SeqCst);
    if status == 0 {
        std::future::pending::<()>().await;
    }
    if let Some(token) = form.get("logout_token") {
        let _ = heard.tx.send(token.clone());
    }
    StatusCode::from_u16(status).unwrap_or(StatusCode::OK)
}

async fn receiver(status: u16) -> Receiver {
    let (tx, tokens) = mpsc::unbounded_channel();
    let status = Arc::new(AtomicU16::new(status));
    let heard = Heard {
        tx,
        status: status.clone(),
    };
    let app = Router::new()
        .route("/backchannel-logout", post(hear))
        .with_state(heard);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let stop = serve_in_background(listener, app);
    Receiver {
        addr,
        tokens,
        status,
        _stop: stop,
    }
}

impl Receiver {
    fn uri(&self) -> String {
        format!("http://{}/backchannel-logout", self.addr)
    }

    /// The next logout_token, waiting (for the sender) at most ten seconds.
    async fn next(&mut self) -> String {
        tokio::time::timeout(Duration::from_secs(10), self.tokens.recv())
            .await
            .expect("a logout_token within ten seconds")
            .expect("receiver open")
    }

    fn nothing_more(&mut self) {
        assert!(
            self.tokens.try_recv().is_err(),
            "an unexpected logout_token arrived"
        );
    }
}

/// A client site with a back-channel logout URI at `receiver`.
async fn site(app: &TestApp, name: &str, receiver: &Receiver) -> TestClient {
    let site = app.register_client(name, TokenAlg::HS256).await;
    Admin::operator()
        .set_client_backchannel_uri(
            &app.state.db,
            &site.client_id,
            Some(&receiver.uri()),
            app.state.clock.now(),
        )
        .await
        .unwrap();
    site
}

/// Verifies a logout_token as a client site must (OIDC Back-Channel Logout
/// §2.6): signature by a published key, iss, aud, iat/exp, the event, a
/// `sid`, no `nonce`, and its own `typ`. Returns its claims.
async fn verified(app: &TestApp, token: &str, audience: &str) -> Value {
    let header = jsonwebtoken::decode_header(token).unwrap();
    assert_eq!(header.alg, Algorithm::RS256, "signed like id_tokens");
    assert_eq!(header.typ.as_deref(), Some("logout+jwt"));
    let jwks: JwkSet = app.get("/oauth2/jwks").await.json().await.unwrap();
    let jwk = jwks
        .find(header.kid.as_deref().expect("kid"))
        .expect("signed with a published key");
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&[audience]);
    validation.set_issuer(&[&app.state.config.issuer]);
    validation.set_required_spec_claims(&["iss", "aud", "exp", "iat"]);
    // The server's clock is a test's: check exp against it, not the wall.
    validation.validate_exp = false;
    let claims: Value =
        jsonwebtoken::decode::<Value>(token, &DecodingKey::from_jwk(jwk).unwrap(), &validation)
            .expect("a valid logout_token")
            .claims;
    let now = app.state.clock.now();
    let (iat, exp) = (
        claims["iat"].as_i64().unwrap(),
        claims["exp"].as_i64().unwrap(),
    );
    assert!(iat <= now && now < exp && exp - iat <= 300, "{claims}");
    assert!(claims["events"][backchannel::EVENT].is_object(), "{claims}");
    assert!(claims.get("nonce").is_none(), "a logout_token has no nonce");
    assert!(!s(&claims, "jti").is_empty());
    claims
}

/// The SSO session (`sid`) an access token was issued under.
fn sid_of(app: &TestApp, client: &TestClient, tokens: &Value) -> String {
    hs256(app, client, &s(tokens, "access_token")).sid
}

async fn sign_out(app: &TestApp, browser: &reqwest::Client) {
    let csrf = app.csrf(browser, "/account").await;
    let res = browser
        .post(app.url("/logout"))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
}

async fn queued(app: &TestApp) -> Vec<logout_delivery::Model> {
    logout_delivery::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap()
}

/// Waits (at most ten seconds) for the sender to settle every notice.
async fn drained(app: &TestApp) {
    for _ in 0..500 {
        if queued(app).await.is_empty() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("notices still queued: {:?}", queued(app).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_out_tells_every_site_holding_a_token_under_that_session() {
    let app = spawn_app().await;
    let user = app.create_user("alice", PASSWORD, false).await;
    let (mut at_game, mut at_forum) = (receiver(200).await, receiver(200).await);
    let game = site(&app, "Space Game", &at_game).await;
    let forum = site(&app, "Forum", &at_forum).await;
    // A site without a URI is simply not told.
    let quiet = app.register_client("Quiet", TokenAlg::HS256).await;

    let (laptop, game_tokens) = app.sign_in_and_get_tokens("alice", PASSWORD, &game).await;
    let (code, verifier) = app.obtain_code(&laptop, &forum).await;
    let forum_tokens = app.exchange(&forum, &code, &verifier).await;
    let (code, verifier) = app.obtain_code(&laptop, &quiet).await;
    app.exchange(&quiet, &code, &verifier).await;
    let sid = sid_of(&app, &game, &game_tokens);
    assert_eq!(sid, sid_of(&app, &forum, &forum_tokens));
    // Another session of the same person (a phone) at the game stays.
    let (_phone, phone_tokens) = app.sign_in_and_get_tokens("alice", PASSWORD, &game).await;
    assert_ne!(sid_of(&app, &game, &phone_tokens), sid);

    sign_out(&app, &laptop).await;

    let claims = verified(&app, &at_game.next().await, &game.client_id).await;
    assert_eq!(
        (s(&claims, "sid"), s(&claims, "sub")),
        (sid.clone(), user.id.clone())
    );
    let claims = verified(&app, &at_forum.next().await, &forum.client_id).await;
    assert_eq!(s(&claims, "sid"), sid);
    // Delivered notices leave the queue (once the sender has read the
    // site's answer); nothing else was queued.
    drained(&app).await;
    assert_eq!(backchannel::deliver_due(&app.state).await.unwrap(), 0);
    at_game.nothing_more();
    at_forum.nothing_more();
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("pattmayne_backchannel_logouts_total{result=\"sent\"} 2"),
        "{metrics}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_way_a_session_ends_tells_the_sites() {
    let app = spawn_app().await;
    let alice = app.create_user("alice", PASSWORD, false).await;
    app.create_user("root", PASSWORD, true).await;
    let mut at_game = receiver(200).await;
    let game = site(&app, "Space Game", &at_game).await;
    let forum = app.register_client("Forum", TokenAlg::HS256).await;

    // Sign out everywhere: one notice per session.
    let (laptop, first) = app.sign_in_and_get_tokens("alice", PASSWORD, &game).await;
    let (_phone, second) = app.sign_in_and_get_tokens("alice", PASSWORD, &game).await;
    let csrf = app.csrf(&laptop, "/account").await;
    let res = laptop
        .post(app.url("/account/sign-out-everywhere"))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let mut heard = vec![
        s(
            &verified(&app, &at_game.next().await, &game.client_id).await,
            "sid",
        ),
        s(
            &verified(&app, &at_game.next().await, &game.client_id).await,
            "sid",
        ),
    ];
    heard.sort();
    let mut expected = vec![sid_of(&app, &game, &first), sid_of(&app, &game, &second)];
    expected.sort();
    assert_eq!(heard, expected);

    // A back-channel logout by another site (POST /oauth2/logout) tells the game.
    let (browser, game_tokens) = app.sign_in_and_get_tokens("alice", PASSWORD, &game).await;
    let (code, verifier) = app.obtain_code(&browser, &forum).await;
    let forum_tokens = app.exchange(&forum, &code, &verifier).await;
    let res = app
        .client
        .post(app.url("/oauth2/logout"))
        .basic_auth(&forum.client_id, Some(&forum.client_secret))
        .form(&[("refresh_token", s(&forum_tokens, "refresh_token"))])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let claims = verified(&app, &at_game.next().await, &game.client_id).await;
    assert_eq!(s(&claims, "sid"), sid_of(&app, &game, &game_tokens));

    // An admin disabling the account.
    let (_browser, tokens) = app.sign_in_and_get_tokens("alice", PASSWORD, &game).await;
    Admin::operator()
        .set_user_disabled(&app.state.db, &alice.id, true, app.state.clock.now())
        .await
        .unwrap();
    let claims = verified(&app, &at_game.next().await, &game.client_id).await;
    assert_eq!(s(&claims, "sid"), sid_of(&app, &game, &tokens));
    Admin::operator()
        .set_user_disabled(&app.state.db, &alice.id, false, app.state.clock.now())
        .await
        .unwrap();

    // A password change from the account page ends the other sessions only.
    let (laptop, kept) = app.sign_in_and_get_tokens("alice", PASSWORD, &game).await;
    let (_phone, ended) = app.sign_in_and_get_tokens("alice", PASSWORD, &game).await;
    let csrf = app.csrf(&laptop, "/account/password").await;
    let res = laptop
        .post(app.url("/account/password"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("current_password", PASSWORD),
            ("password", "another long passphrase for alice"),
            ("password_confirm", "another long passphrase for alice"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let claims = verified(&app, &at_game.next().await, &game.client_id).await;
    assert_eq!(s(&claims, "sid"), sid_of(&app, &game, &ended));
    assert_ne!(s(&claims, "sid"), sid_of(&app, &game, &kept));
    drained(&app).await;
    assert_eq!(backchannel::deliver_due(&app.state).await.unwrap(), 0);
    at_game.nothing_more();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_site_that_is_down_is_told_later_even_after_a_restart() {
    let (url, _pg) = fresh_database_url().await;
    let mut at_game = receiver(503).await;
    let (game, sid) = {
        let app = spawn_app_on(&url, None, &[]).await;
        app.create_user("alice", PASSWORD, false).await;
        let game = site(&app, "Space Game", &at_game).await;
        let (laptop, tokens) = app.sign_in_and_get_tokens("alice", PASSWORD, &game).await;
        sign_out(&app, &laptop).await;
        // The site answered 503: the notice stays queued, for a minute on.
        at_game.next().await;
        let row = loop {
            match queued(&app).await.pop() {
                Some(row) if row.attempts == 1 && row.locked_until.is_none() => break row,
                _ => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        };
        assert!(!row.failed);
        assert!(row.next_attempt_at >= app.state.clock.now() + 60);
        assert!(row.last_error.as_deref().unwrap_or("").contains("503"));
        let metrics = app.get("/metrics").await.text().await.unwrap();
        assert!(
            metrics.contains("pattmayne_backchannel_logouts_total{result=\"failed\"} 1"),
            "{metrics}"
        );
        let sid = sid_of(&app, &game, &tokens);
        (game, sid)
    };
    // The server stops; the site comes back; a new server on the same
    // database delivers once the retry is due (and not before).
    at_game.status.store(200, Ordering::SeqCst);
    let app = spawn_app_on(&url, None, &[]).await;
    assert_eq!(backchannel::deliver_due(&app.state).await.unwrap(), 0);
    at_game.nothing_more();
    app.state.clock.advance(61);
    backchannel::wake();
    let claims = verified(&app, &at_game.next().await, &game.client_id).await;
    assert_eq!(s(&claims, "sid"), sid);
    drained(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_site_that_never_answers_holds_up_neither_the_sign_out_nor_the_others() {
    let app = spawn_app().await;
    app.create_user("alice", PASSWORD, false).await;
    let (hanging, mut at_forum) = (receiver(0).await, receiver(200).await);
    let game = site(&app, "Space Game", &hanging).await;
    let forum = site(&app, "Forum", &at_forum).await;
    let (laptop, _) = app.sign_in_and_get_tokens("alice", PASSWORD, &game).await;
    let (code, verifier) = app.obtain_code(&laptop, &forum).await;
    app.exchange(&forum, &code, &verifier).await;

    let started = std::time::Instant::now();
    sign_out(&app, &laptop).await;
    assert!(started.elapsed() < Duration::from_secs(5));
    // The forum hears at once, while the game's POST is still waiting.
    verified(&app, &at_forum.next().await, &forum.client_id).await;
    assert!(
        started.elapsed() < Duration::from_secs(9),
        "sent one after the other"
    );
}

#[tokio::test]
async fn discovery_announces_back_channel_logout() {
    let app = spawn_app().await;
    let meta: Value = app
        .get("/.well-known/openid-configuration")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(meta["backchannel_logout_supported"], true);
    assert_eq!(meta["backchannel_logout_session_supported"], true);
}

#[tokio::test]
async fn back_channel_uris_follow_the_rules_of_redirect_uris() {
    assert_eq!(
        clients::validate_backchannel_uri("  ", false).unwrap(),
        None,
        "empty clears"
    );
    assert!(clients::validate_backchannel_uri("https://game.example/bc", false).is_ok());
    assert!(clients::validate_backchannel_uri("http://127.0.0.1:8080/bc", false).is_ok());
    for bad in [
        "http://game.example/bc",
        "https://game.example/bc#x",
        "https://user:pw@game.example/bc",
        "javascript:alert(1)",
        "/relative",
    ] {
        assert!(
            clients::validate_backchannel_uri(bad, false).is_err(),
            "{bad} accepted"
        );
    }
}
