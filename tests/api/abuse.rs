//! Abuse resistance: return targets, racing guesses, IPv6 networks,
//! registration floods, writes from anonymous requests, token types,
//! `/metrics`, password strength and the security events of the audit log.

use std::net::IpAddr;
use std::sync::Arc;

use pattmayne_auth::domain::clients::TokenAlg;
use pattmayne_auth::domain::throttle;
use pattmayne_auth::entities::{audit_log, http_session, user};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::Value;

use crate::helpers::{PASSWORD, TestApp, csrf_from, pkce_pair, spawn_app, spawn_app_with};

const WRONG: &str = "Wrong username or password.";
const ACCOUNT_WAIT: &str = "Too many failed sign-ins to this account";

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// Whether a `Location` keeps the browser on this server.
fn stays_here(location: &str) -> bool {
    let base = url::Url::parse("https://auth.test/").unwrap();
    location.starts_with('/')
        && !location.starts_with("//")
        && !location.starts_with("/\\")
        && base
            .join(location)
            .is_ok_and(|u| u.host_str() == Some("auth.test") && u.scheme() == "https")
}

/// Return targets a scanner tries first: every one must end on this server.
const HOSTILE_NEXT: &[&str] = &[
    "//evil.example/x",
    "/.//evil.example/x",
    "/..//evil.example/x",
    "/%2e//evil.example/x",
    "/%2e%2e//evil.example/x",
    "/%2E%2E//evil.example/x",
    "/./..//evil.example",
    "/x/..//evil.example",
    "/a/b/../../..//evil.example",
    "///evil.example",
    "////evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/%5cevil.example",
    "/%5c%5cevil.example",
    "/\t/evil.example",
    "/%09/evil.example",
    "/\n/evil.example",
    "/\r\n//evil.example",
    "/%0a/%0d/evil.example",
    "https:evil.example",
    "https://evil.example",
    "http:/evil.example",
    "//user@evil.example",
    "/@evil.example",
    "/;//evil.example",
    "/.;//evil.example",
    "%2F%2Fevil.example",
    "/%2F%2Fevil.example",
    "/%252F%252Fevil.example",
    "javascript:alert(1)",
    " /account",
    "evil.example",
    "/\u{3000}/evil.example",
    "/\u{ff0f}\u{ff0f}evil.example",
];

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn return_targets_are_judged_on_their_final_form_on_every_page() {
    let app = spawn_app().await;
    app.create_user("alice", PASSWORD, false).await;
    let signed_in = app.new_client(None);
    app.login_with(&signed_in, "alice", PASSWORD).await;
    for next in HOSTILE_NEXT {
        for page in ["/login", "/register"] {
            let res = signed_in
                .get(app.url(&format!("{page}?next={}", urlencode(next))))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 303, "{page} {next:?}");
            let location = res.headers()["location"].to_str().unwrap();
            assert!(stays_here(location), "{page}?next={next:?} -> {location}");
        }
        // And the form's own return target, after a real sign-in.
        let browser = app.new_client(None);
        let csrf = app.csrf(&browser, "/login").await;
        let res = browser
            .post(app.url("/login"))
            .form(&[
                ("username", "alice"),
                ("password", PASSWORD),
                ("csrf_token", &csrf),
                ("next", next),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303, "POST /login {next:?}");
        let location = res.headers()["location"].to_str().unwrap();
        assert!(stays_here(location), "POST next={next:?} -> {location}");
    }
    // A fair target survives.
    let res = signed_in
        .get(app.url("/login?next=%2Foauth2%2Fauthorize%3Fclient_id%3Da%26state%3Db"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.headers()["location"],
        "/oauth2/authorize?client_id=a&state=b"
    );
}

/// A wrong-password attempt on `username` from `from`: whether the password
/// was checked (`true`) or the account's wait refused it unchecked.
async fn guess(app: &TestApp, from: IpAddr, username: &str) -> bool {
    let browser = app.new_client(Some(from));
    let csrf = app.csrf(&browser, "/login").await;
    let page = browser
        .post(app.url("/login"))
        .form(&[
            ("username", username),
            ("password", "not the password"),
            ("csrf_token", csrf.as_str()),
        ])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    match (page.contains(WRONG), page.contains(ACCOUNT_WAIT)) {
        (true, false) => true,
        (false, true) => false,
        _ => panic!("neither checked nor refused: {page}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_guesses_after_an_accounts_wait_lapses_check_one_password() {
    let app = spawn_app_with(&["--account-max-failures", "3"]).await;
    app.create_user("alice", PASSWORD, false).await;
    for n in 2..5 {
        assert!(guess(&app, ip(&format!("127.0.0.{n}")), "alice").await);
    }
    // At the threshold: the next attempt must wait 2 s.
    assert!(!guess(&app, ip("127.0.0.5"), "alice").await);
    assert!(app.state.clock.advance(3));

    let hashes_before = app.state.passwords.computed();
    let barrier = Arc::new(tokio::sync::Barrier::new(30));
    let mut tasks = Vec::new();
    for n in 10..40 {
        let browser = app.new_client(Some(ip(&format!("127.0.0.{n}"))));
        let csrf = app.csrf(&browser, "/login").await;
        let (url, barrier) = (app.url("/login"), barrier.clone());
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            let page = browser
                .post(url)
                .form(&[
                    ("username", "alice"),
                    ("password", "not the password"),
                    ("csrf_token", csrf.as_str()),
                ])
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            page.contains(WRONG)
        }));
    }
    let mut checked = 0;
    for task in tasks {
        checked += usize::from(task.await.unwrap());
    }
    assert_eq!(checked, 1, "{checked} of 30 racing guesses were checked");
    assert_eq!(app.state.passwords.computed() - hashes_before, 1);
    // The wait is back in force, for the right password too from a browser
    // new to the account (one that signed in before carries a device cookie).
    let stranger = app.new_client(Some(ip("127.0.0.50")));
    let res = app.login_with(&stranger, "alice", PASSWORD).await;
    assert_eq!(res.status(), 429);
}

#[tokio::test]
async fn an_ipv6_network_is_suspended_as_one() {
    let app = spawn_app_with(&[
        "--trusted-proxies",
        "127.0.0.1/32",
        "--login-max-failures",
        "3",
    ])
    .await;
    app.create_user("alice", PASSWORD, false).await;
    let app = &app;
    let attempt = |forwarded: &str, password: &str| {
        let browser = app.new_client(None);
        let forwarded = forwarded.to_owned();
        let password = password.to_owned();
        async move {
            let page = browser
                .get(app.url("/login"))
                .header("x-forwarded-for", &forwarded)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            browser
                .post(app.url("/login"))
                .header("x-forwarded-for", &forwarded)
                .form(&[
                    ("username", "alice"),
                    ("password", password.as_str()),
                    ("csrf_token", csrf_from(&page).as_str()),
                ])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    // One subscriber rotates through the low bits of its /64.
    for low in ["1", "abcd", "ffff:ffff:ffff"] {
        assert_eq!(attempt(&format!("2001:db8:1:2::{low}"), "wrong").await, 200);
    }
    assert_eq!(attempt("2001:db8:1:2::9999", PASSWORD).await, 429);
    assert_eq!(attempt("2001:db8:1:2:1:2:3:4", PASSWORD).await, 429);
    // Another network is not.
    assert_eq!(attempt("2001:db8:1:3::1", PASSWORD).await, 303);
    let suspended: Vec<String> = throttle::active_suspensions(&app.state.db, app.state.clock.now())
        .await
        .unwrap()
        .into_iter()
        .map(|row| row.ip)
        .collect();
    assert_eq!(suspended, ["2001:db8:1:2::/64"]);
}

async fn register(app: &TestApp, browser: &reqwest::Client, name: &str, password: &str) -> u16 {
    let csrf = app.csrf(browser, "/register").await;
    let email = format!("{name}@example.com");
    browser
        .post(app.url("/register"))
        .form(&[
            ("username", name),
            ("email", email.as_str()),
            ("password", password),
            ("password_confirm", password),
            ("csrf_token", csrf.as_str()),
        ])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_registration_flood_is_refused_before_any_hashing() {
    let app = spawn_app_with(&["--registrations-per-hour", "3"]).await;
    app.create_user("alice", PASSWORD, false).await;
    let hashes = app.state.passwords.computed();
    // A taken name gets the same answer as a free one, after the same one
    // hash (so neither the answer nor its time tells), and counts towards
    // the limit like any registration.
    assert_eq!(
        register(&app, &app.new_client(None), "alice", PASSWORD).await,
        200
    );
    assert_eq!(app.state.passwords.computed(), hashes + 1);
    for name in ["bob", "carol"] {
        assert_eq!(
            register(&app, &app.new_client(None), name, PASSWORD).await,
            200
        );
    }
    let flooder = app.new_client(None);
    let hashes = app.state.passwords.computed();
    for n in 0..20 {
        assert_eq!(
            register(&app, &flooder, &format!("bot{n}"), PASSWORD).await,
            429
        );
    }
    assert_eq!(
        app.state.passwords.computed(),
        hashes,
        "a refused registration was hashed"
    );
    // No account exists before its address is confirmed.
    let accounts = user::Entity::find().count(&app.state.db).await.unwrap();
    assert_eq!(accounts, 1);
    // Another address, or the next hour, may register.
    let other = app.new_client(Some(ip("127.0.0.2")));
    assert_eq!(register(&app, &other, "dave", PASSWORD).await, 200);
    assert!(app.state.clock.advance(3600));
    assert_eq!(register(&app, &flooder, "erin", PASSWORD).await, 200);
}

#[tokio::test]
async fn a_suspended_address_cannot_register() {
    let app = spawn_app_with(&["--login-max-failures", "2"]).await;
    app.create_user("alice", PASSWORD, false).await;
    let browser = app.new_client(None);
    for _ in 0..2 {
        app.login_with(&browser, "alice", "wrong").await;
    }
    let hashes = app.state.passwords.computed();
    assert_eq!(register(&app, &browser, "mallory", PASSWORD).await, 429);
    assert_eq!(app.state.passwords.computed(), hashes);
}

#[tokio::test]
async fn weak_passwords_are_refused_with_a_clear_message() {
    let app = spawn_app().await;
    let browser = app.new_client(None);
    for weak in ["Password1", "qwertyuiop", "frank2024!", "frankfrank"] {
        let csrf = app.csrf(&browser, "/register").await;
        let res = browser
            .post(app.url("/register"))
            .form(&[
                ("username", "frank"),
                ("email", "frank@example.com"),
                ("password", weak),
                ("password_confirm", weak),
                ("csrf_token", csrf.as_str()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 422, "{weak} accepted");
        let page = res.text().await.unwrap();
        assert!(page.contains("too easy to guess"), "{weak}: {page}");
    }
    // A 128-character password is judged quickly and accepted.
    let long = "a long passphrase of unrelated words: cobalt otter jukebox ".repeat(3);
    let long: String = long.chars().take(128).collect();
    assert_eq!(register(&app, &browser, "frank", &long).await, 200);
}

#[tokio::test]
async fn anonymous_and_refused_requests_write_nothing() {
    let app = spawn_app_with(&["--login-max-failures", "2"]).await;
    app.create_user("alice", PASSWORD, false).await;
    let game = app.register_client("Game", TokenAlg::HS256).await;
    // Suspend 127.0.0.2, and let the server make its signing keys.
    let suspended = app.new_client(Some(ip("127.0.0.2")));
    for _ in 0..2 {
        app.login_with(&suspended, "alice", "wrong").await;
    }
    app.get("/oauth2/jwks").await;
    let before = app.dump_database().await;

    let cookieless = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for _ in 0..1000 {
        let res = cookieless.get(app.url("/login")).send().await.unwrap();
        assert_eq!(res.status(), 200);
    }
    let (_, challenge) = pkce_pair();
    for path in [
        "/".to_owned(),
        "/register".to_owned(),
        "/account".to_owned(),
        "/admin/clients".to_owned(),
        app.authorize_path(&game, &challenge, &[]),
        "/no-such-page".to_owned(),
    ] {
        let res = cookieless.get(app.url(&path)).send().await.unwrap();
        assert!(res.status().as_u16() < 500, "{path}");
    }
    // Refused: no CSRF token, a suspended address, wrong client credentials.
    let res = cookieless
        .post(app.url("/login"))
        .form(&[("username", "alice"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(
        app.login_with(&suspended, "alice", PASSWORD).await.status(),
        429
    );
    assert_eq!(register(&app, &suspended, "mallory", PASSWORD).await, 429);
    let res = cookieless
        .post(app.url("/oauth2/token"))
        .basic_auth(&game.client_id, Some("wrong"))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", "a.b")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);

    assert_eq!(
        app.dump_database().await,
        before,
        "an anonymous or refused request wrote"
    );
    assert_eq!(
        http_session::Entity::find()
            .count(&app.state.db)
            .await
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn expired_rows_are_swept_and_the_tables_stay_bounded() {
    let app = spawn_app_with(&["--login-max-failures", "2"]).await;
    app.create_user("alice", PASSWORD, false).await;
    let game = app.register_client("Game", TokenAlg::HS256).await;
    let (browser, _) = app.sign_in_and_get_tokens("alice", PASSWORD, &game).await;
    app.obtain_code(&browser, &game).await;
    let guesser = app.new_client(Some(ip("127.0.0.2")));
    for _ in 0..2 {
        app.login_with(&guesser, "alice", "wrong").await;
    }
    register(
        &app,
        &app.new_client(Some(ip("127.0.0.3"))),
        "bob",
        PASSWORD,
    )
    .await;
    let rows = |app: &TestApp| {
        let db = app.state.db.clone();
        async move {
            use pattmayne_auth::entities::*;
            [
                http_session::Entity::find().count(&db).await.unwrap(),
                authorization_code::Entity::find().count(&db).await.unwrap(),
                sso_session::Entity::find().count(&db).await.unwrap(),
                refresh_token::Entity::find().count(&db).await.unwrap(),
                ip_throttle::Entity::find().count(&db).await.unwrap(),
                account_throttle::Entity::find().count(&db).await.unwrap(),
                rate_limit::Entity::find().count(&db).await.unwrap(),
            ]
        }
    };
    assert!(
        rows(&app).await.iter().all(|&n| n > 0),
        "{:?}",
        rows(&app).await
    );
    // Past every expiry: the session's (14 days), the suspension's memory.
    assert!(
        app.state
            .clock
            .advance(app.state.config.session_ttl_secs + 2 * 86_400)
    );
    pattmayne_auth::domain::cleanup::sweep(&app.state.db, app.state.clock.now(), 365 * 86_400)
        .await
        .unwrap();
    assert_eq!(rows(&app).await, [0; 7]);
}

#[tokio::test]
async fn access_tokens_say_at_jwt_and_no_token_passes_for_the_other_kind() {
    let app = spawn_app().await;
    app.create_user("alice", PASSWORD, false).await;
    let hs = app.register_client("Hs", TokenAlg::HS256).await;
    let rs = app.register_client("Rs", TokenAlg::RS256).await;
    let typ = |jwt: &str| jsonwebtoken::decode_header(jwt).unwrap().typ;
    let (browser, hs_tokens) = app.sign_in_and_get_tokens("alice", PASSWORD, &hs).await;
    let (code, verifier) = app.obtain_code(&browser, &rs).await;
    let rs_tokens = app.exchange(&rs, &code, &verifier).await;
    let s = |v: &Value, k: &str| v[k].as_str().unwrap().to_owned();
    assert_eq!(
        typ(&s(&hs_tokens, "access_token")).as_deref(),
        Some("at+jwt")
    );
    assert_eq!(
        typ(&s(&rs_tokens, "access_token")).as_deref(),
        Some("at+jwt")
    );
    assert_eq!(typ(&s(&rs_tokens, "id_token")).as_deref(), Some("JWT"));

    // An id_token is no access token at userinfo …
    let res = app
        .client
        .get(app.url("/oauth2/userinfo"))
        .bearer_auth(s(&rs_tokens, "id_token"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    // … and an access token (RS256, the same key) is no id_token_hint.
    let hint = s(&rs_tokens, "access_token");
    let res = browser
        .get(app.url(&format!("/logout?id_token_hint={hint}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let res = browser
        .get(app.url(&format!(
            "/logout?id_token_hint={}",
            s(&rs_tokens, "id_token")
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "a real id_token_hint signs out");
}

#[tokio::test]
async fn metrics_answer_loopback_or_the_metrics_token_only() {
    let app = spawn_app().await;
    assert_eq!(app.get("/metrics").await.status(), 200);
    let elsewhere = app.new_client(Some(ip("127.0.0.2")));
    // 127.0.0.2 is loopback too on Linux; a trusted proxy's client is not.
    let proxied = spawn_app_with(&["--trusted-proxies", "127.0.0.1/32"]).await;
    let res = proxied
        .client
        .get(proxied.url("/metrics"))
        .header("x-forwarded-for", "198.51.100.7")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);

    let guarded = spawn_app_with(&["--metrics-token", "metrics-token-0123456789abcdef"]).await;
    assert_eq!(
        guarded.get("/metrics").await.status(),
        403,
        "loopback without the token"
    );
    for wrong in [
        "Bearer nope",
        "Basic bWV0cmljczo=",
        "metrics-token-0123456789abcdef",
    ] {
        let res = elsewhere
            .get(guarded.url("/metrics"))
            .header("authorization", wrong)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403, "{wrong}");
    }
    let res = elsewhere
        .get(guarded.url("/metrics"))
        .bearer_auth("metrics-token-0123456789abcdef")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("pattmayne_"));
}

#[tokio::test]
async fn security_events_are_audited_and_filterable_and_hold_no_secret() {
    let app = spawn_app_with(&["--login-max-failures", "2", "--refresh-grace-secs", "0"]).await;
    let root = app.create_user("root", PASSWORD, true).await;
    app.create_user("alice", PASSWORD, false).await;
    let game = app.register_client("Game", TokenAlg::HS256).await;
    let (browser, tokens) = app.sign_in_and_get_tokens("alice", PASSWORD, &game).await;
    let first = tokens["refresh_token"].as_str().unwrap().to_owned();
    app.refresh(&game, &first).await;
    app.refresh(&game, &first).await; // reuse, no grace: the family is revoked
    let guesser = app.new_client(Some(ip("127.0.0.2")));
    app.login_with(&guesser, "alice", "guess one").await;
    app.login_with(&guesser, "nobody-here", "guess two").await;
    let csrf = app.csrf(&browser, "/account").await;
    browser
        .post(app.url("/logout"))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();

    let actions = |rows: &[audit_log::Model]| -> Vec<String> {
        let mut all: Vec<String> = rows.iter().map(|r| r.action.clone()).collect();
        all.sort();
        all.dedup();
        all
    };
    let rows = audit_log::Entity::find().all(&app.state.db).await.unwrap();
    assert_eq!(
        actions(&rows),
        [
            "security.address_suspended",
            "security.refresh_token_reused",
            "security.session_ended",
            "security.sign_in",
            "security.sign_in_failed",
        ]
    );
    let failed_unknown = rows
        .iter()
        .find(|r| r.action == "security.sign_in_failed" && r.actor_user_id.is_none())
        .unwrap();
    assert_eq!(failed_unknown.details, "no such account");
    assert_eq!(failed_unknown.ip.as_deref(), Some("127.0.0.2"));
    let everything: String = rows.iter().map(|r| format!("{r:?}")).collect();
    for secret in [
        PASSWORD,
        "guess one",
        "guess two",
        "nobody-here",
        first.as_str(),
    ] {
        assert!(
            !everything.contains(secret),
            "{secret:?} is in the audit log"
        );
    }

    // The admin page filters by kind, person and address.
    let admin = app.new_client(None);
    app.login_with(&admin, "root", PASSWORD).await;
    // The rows of the page's table (the filter's own options name every kind).
    let table = |html: String| {
        let start = html.find("<tbody>").unwrap();
        let end = html.find("</tbody>").unwrap();
        html[start..end].to_owned()
    };
    let page = |query: &str| {
        let request = admin.get(app.url(&format!("/admin/audit?{query}")));
        async move { table(request.send().await.unwrap().text().await.unwrap()) }
    };
    let by_ip = page("ip=127.0.0.2").await;
    assert!(
        by_ip.contains("An address was suspended") && !by_ip.contains("A sign-in ended"),
        "{by_ip}"
    );
    let by_user = page("user=alice&kind=security.sign_in").await;
    assert!(
        by_user.contains("Signed in</td>") && !by_user.contains("Failed to sign in"),
        "{by_user}"
    );
    let by_root = page(&format!("user={}", root.id)).await;
    assert!(
        by_root.contains("Signed in</td>")
            && !by_root.contains("A rotated refresh token came back"),
        "{by_root}"
    );
    let admin_only = page("kind=admin").await;
    assert!(admin_only.contains("Nothing matches."));
    let count = audit_log::Entity::find()
        .filter(audit_log::Column::Action.starts_with("security."))
        .count(&app.state.db)
        .await
        .unwrap();
    assert!(count >= 6);
    // Past the retention, they go.
    assert!(app.state.clock.advance(366 * 86_400));
    pattmayne_auth::domain::cleanup::sweep(&app.state.db, app.state.clock.now(), 365 * 86_400)
        .await
        .unwrap();
    assert_eq!(
        audit_log::Entity::find()
            .count(&app.state.db)
            .await
            .unwrap(),
        0
    );
}
