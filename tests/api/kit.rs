//! The client kit (`pattmayne-auth-client`) against a real server: the demo
//! game site, built on the kit, serves on a port of its own; a test plays
//! the browser, carrying the site's cookies by hand so every flag is seen.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use pattmayne_auth::domain::admin::Admin;
use pattmayne_auth::domain::clients::TokenAlg;
use pattmayne_auth_client::{AuthKit, Config};
use serde_json::{Value, json};
use tokio::sync::Barrier;

use crate::helpers::{PASSWORD, TestApp, TestClient, serve_in_background, spawn_app_named};

/// A demo game site on `host` (127.0.0.1 or localhost) and a port of its
/// own, registered with `app` as a client site with its back-channel URI.
pub struct Site {
    pub base: String,
    pub client: TestClient,
    pub prefix: String,
    _stop: tokio::sync::oneshot::Sender<()>,
}

pub async fn demo_site(app: &TestApp, name: &str, host: &str, alg: TokenAlg, prefix: &str) -> Site {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    let base = format!("http://{host}:{}", addr.port());
    let redirect_uri = format!("{base}/auth/callback");
    let creds = app.register_client_at(name, alg, &redirect_uri).await;
    Admin::operator()
        .set_client_backchannel_uri(
            &app.state.db,
            &creds.client_id,
            Some(&format!("{base}/auth/backchannel-logout")),
            app.state.clock.now(),
        )
        .await
        .unwrap();
    // The site's clock is the server's: a test moves both at once.
    let clock = app.state.clock.clone();
    let mut config = Config::new(
        app.state.config.issuer.clone(),
        creds.client_id.clone(),
        creds.client_secret.clone(),
        redirect_uri.clone(),
    )
    .cookie_prefix(prefix)
    .clock(move || clock.now());
    if let Some(secret) = &creds.jwt_secret {
        config = config.jwt_secret(secret.clone());
    }
    let kit = AuthKit::new(config).expect("kit settings");
    let router = pattmayne_auth_demo::app(&kit, name);
    let stop = serve_in_background(listener, router);
    Site {
        base,
        client: creds,
        prefix: prefix.to_owned(),
        _stop: stop,
    }
}

/// The site's cookies as a browser keeps them, and every `Set-Cookie` seen.
#[derive(Default, Clone)]
struct Jar {
    cookies: BTreeMap<String, String>,
}

impl Jar {
    /// Takes a response's cookies (a `Max-Age=0` one is dropped) and returns
    /// the raw `Set-Cookie` lines by name.
    fn take(&mut self, res: &reqwest::Response) -> BTreeMap<String, String> {
        let mut seen = BTreeMap::new();
        for value in res.headers().get_all("set-cookie") {
            let raw = value.to_str().unwrap().to_owned();
            let pair = raw.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            if raw.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
            seen.insert(name.to_owned(), raw);
        }
        seen
    }

    fn header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.cookies.get(name).map(String::as_str)
    }
}

/// The site's HTTP client: no cookie store (the test's `Jar` is it), no redirects.
fn site_http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn get(http: &reqwest::Client, jar: &mut Jar, url: &str) -> reqwest::Response {
    let res = http
        .get(url)
        .header("cookie", jar.header())
        .send()
        .await
        .unwrap();
    jar.take(&res);
    res
}

fn location(res: &reqwest::Response) -> String {
    res.headers()["location"].to_str().unwrap().to_owned()
}

fn max_age(raw: &str) -> i64 {
    raw.split(';')
        .find_map(|a| a.trim().strip_prefix("Max-Age="))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no Max-Age in {raw}"))
}

fn assert_flags(raw: &str, path: &str) {
    for flag in [
        "HttpOnly",
        "Secure",
        "SameSite=Lax",
        &format!("Path={path}"),
    ] {
        assert!(
            raw.split(';').any(|a| a.trim() == flag),
            "{flag} missing in {raw}"
        );
    }
}

/// Signs `jar` in at `site` through the hosted login with `browser`, a
/// client already signed in at the server; returns the callback's cookies.
async fn sign_in_at(
    app: &TestApp,
    site: &Site,
    browser: &reqwest::Client,
    jar: &mut Jar,
) -> BTreeMap<String, String> {
    let http = site_http();
    let start = http
        .get(format!("{}/auth/sign-in?next=/", site.base))
        .send()
        .await
        .unwrap();
    assert_eq!(start.status(), 303);
    let pending = jar.take(&start);
    let (name, raw) = pending.iter().next().expect("a sign-in cookie");
    assert!(
        name.starts_with(&format!("{}_signin_", site.prefix)),
        "{name}"
    );
    assert_flags(raw, "/auth");
    assert_eq!(max_age(raw), 600);
    let authorize = location(&start);
    assert!(
        authorize.starts_with(&app.url("/oauth2/authorize?")),
        "{authorize}"
    );
    assert!(authorize.contains("code_challenge_method=S256"));
    let answer = browser.get(&authorize).send().await.unwrap();
    assert_eq!(answer.status(), 302, "the signed-in browser gets a code");
    let callback = location(&answer);
    assert!(callback.starts_with(&format!("{}/auth/callback?", site.base)));
    let res = http
        .get(&callback)
        .header("cookie", jar.header())
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        303,
        "{}",
        res.text().await.unwrap_or_default()
    );
    assert_eq!(location(&res), "/");
    jar.take(&res)
}

async fn greeting(site: &Site, jar: &mut Jar) -> (reqwest::header::HeaderMap, String) {
    let res = get(&site_http(), jar, &format!("{}/", site.base)).await;
    assert_eq!(res.status(), 200);
    let headers = res.headers().clone();
    (headers, res.text().await.unwrap())
}

fn signed_in_as(page: &str, username: &str) -> bool {
    page.contains(&format!("Hello, <strong>{username}</strong>!"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_kit_signs_in_verifies_refreshes_and_signs_out_against_a_real_server() {
    let app = spawn_app_named(&[], "127.0.0.1").await;
    let alice = app.create_user("alice", PASSWORD, false).await;
    let site = demo_site(&app, "Space Game", "127.0.0.1", TokenAlg::HS256, "space").await;
    let browser = app.new_client(None);
    assert_eq!(
        app.login_with(&browser, "alice", PASSWORD).await.status(),
        303
    );

    // Anonymous: the page offers a sign-in; a page that needs a player
    // sends to it, anything else gets 401.
    let mut jar = Jar::default();
    let (_, page) = greeting(&site, &mut jar).await;
    assert!(page.contains("id=\"sign-in\""));
    let res = site_http()
        .post(format!("{}/score", site.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);

    // Sign in: both cookies, with their flags and lifetimes.
    let set = sign_in_at(&app, &site, &browser, &mut jar).await;
    let access = &set["space_access"];
    let refresh = &set["space_refresh"];
    assert_flags(access, "/");
    assert_flags(refresh, "/");
    assert_eq!(max_age(access), app.state.config.access_token_ttl_secs);
    let session_left = max_age(refresh);
    assert!(
        session_left > app.state.config.access_token_ttl_secs
            && session_left <= app.state.config.session_ttl_secs,
        "the refresh cookie lives as long as the session: {refresh}"
    );
    assert!(
        set.keys()
            .any(|k| k.starts_with("space_signin_") && set[k].contains("Max-Age=0")),
        "the sign-in cookie is spent"
    );
    let (_, page) = greeting(&site, &mut jar).await;
    assert!(signed_in_as(&page, "alice"), "{page}");
    // The score is kept per `sub`.
    let http = site_http();
    let res = http
        .post(format!("{}/score", site.base))
        .header("cookie", jar.header())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let (_, page) = greeting(&site, &mut jar).await;
    assert!(
        page.contains("<output id=\"score\" class=\"score\">1</output>"),
        "{page}"
    );

    // The callback cannot be replayed: its sign-in cookie is gone.
    let res = http
        .get(format!("{}/auth/callback?code=x&state=y&iss=z", site.base))
        .header("cookie", jar.header())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);

    // The access token expires: the next request refreshes through the
    // backend and sets both rotated cookies; the person never notices.
    let old_access = jar.get("space_access").unwrap().to_owned();
    let old_refresh = jar.get("space_refresh").unwrap().to_owned();
    app.state
        .clock
        .advance(app.state.config.access_token_ttl_secs + 1);
    let (headers, page) = greeting(&site, &mut jar).await;
    assert!(signed_in_as(&page, "alice"), "{page}");
    let rotated: Vec<String> = headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    assert_eq!(rotated.len(), 2, "{rotated:?}");
    assert!(
        rotated
            .iter()
            .all(|c| c.contains("HttpOnly") && c.contains("Secure"))
    );
    assert_ne!(jar.get("space_access"), Some(old_access.as_str()));
    assert_ne!(jar.get("space_refresh"), Some(old_refresh.as_str()));
    let claims = crate::helpers::hs256(&app, &site.client, jar.get("space_access").unwrap());
    assert_eq!(claims.sub, alice.id);

    // A forged access token with no refresh token is nobody, and is cleared.
    let mut forged = Jar::default();
    forged.cookies.insert(
        "space_access".into(),
        format!("{}x", jar.get("space_access").unwrap()),
    );
    let res = get(&http, &mut forged, &format!("{}/", site.base)).await;
    assert!(!signed_in_as(&res.text().await.unwrap(), "alice"));
    assert!(
        forged.get("space_access").is_none(),
        "the bad cookie is cleared"
    );

    // Sign out: the server's session ends (every site's tokens), the
    // cookies are cleared.
    let res = http
        .post(format!("{}/auth/sign-out", site.base))
        .header("cookie", jar.header())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let before = jar.clone();
    jar.take(&res);
    assert!(jar.get("space_access").is_none() && jar.get("space_refresh").is_none());
    let refused = app
        .refresh(&site.client, before.get("space_refresh").unwrap())
        .await;
    assert_eq!(
        refused.status(),
        400,
        "the refresh token died with the session"
    );
    // The old cookies, replayed, are refused at once (the site heard).
    let mut replay = before.clone();
    let (_, page) = greeting(&site, &mut replay).await;
    assert!(!signed_in_as(&page, "alice"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_tabs_refreshing_at_once_share_one_refresh() {
    let app = spawn_app_named(&[], "127.0.0.1").await;
    app.create_user("alice", PASSWORD, false).await;
    let site = demo_site(&app, "Space Game", "127.0.0.1", TokenAlg::HS256, "space").await;
    let browser = app.new_client(None);
    app.login_with(&browser, "alice", PASSWORD).await;
    let mut jar = Jar::default();
    sign_in_at(&app, &site, &browser, &mut jar).await;
    app.state
        .clock
        .advance(app.state.config.access_token_ttl_secs + 1);

    let refreshes = || {
        app.state
            .metrics
            .tokens_from_refresh
            .load(std::sync::atomic::Ordering::SeqCst)
    };
    let before = refreshes();
    let tabs = 6;
    let barrier = Arc::new(Barrier::new(tabs));
    let mut handles = Vec::new();
    for _ in 0..tabs {
        let (barrier, cookie, url) = (barrier.clone(), jar.header(), format!("{}/", site.base));
        handles.push(tokio::spawn(async move {
            let http = site_http();
            barrier.wait().await;
            let res = http.get(url).header("cookie", cookie).send().await.unwrap();
            let mut jar = Jar::default();
            jar.take(&res);
            let page = res.text().await.unwrap();
            (page, jar)
        }));
    }
    let mut refresh_tokens = Vec::new();
    for handle in handles {
        let (page, jar) = handle.await.unwrap();
        assert!(
            signed_in_as(&page, "alice"),
            "a tab lost its sign-in: {page}"
        );
        refresh_tokens.push(jar.get("space_refresh").expect("rotated").to_owned());
    }
    refresh_tokens.dedup();
    assert_eq!(refresh_tokens.len(), 1, "every tab got the same successor");
    assert_eq!(refreshes() - before, 1, "one refresh served every tab");
    let res = app.refresh(&site.client, &refresh_tokens[0]).await;
    assert_eq!(res.status(), 200, "and it is live");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_jwks_site_verifies_by_kid_and_follows_a_key_rotation() {
    let app = spawn_app_named(&[], "127.0.0.1").await;
    app.create_user("alice", PASSWORD, false).await;
    let browser = app.new_client(None);
    app.login_with(&browser, "alice", PASSWORD).await;
    for (alg, prefix) in [(TokenAlg::RS256, "rs"), (TokenAlg::EdDSA, "ed")] {
        let site = demo_site(&app, &format!("Game {prefix}"), "127.0.0.1", alg, prefix).await;
        assert!(site.client.jwt_secret.is_none());
        let mut jar = Jar::default();
        sign_in_at(&app, &site, &browser, &mut jar).await;
        let (_, page) = greeting(&site, &mut jar).await;
        assert!(signed_in_as(&page, "alice"), "{alg:?}: {page}");
        let kid = |jar: &Jar| {
            jsonwebtoken::decode_header(jar.get(&format!("{prefix}_access")).unwrap())
                .unwrap()
                .kid
                .unwrap()
        };
        let first = kid(&jar);

        // The server rotates its keys; the next token has a kid the site
        // has not seen, so it fetches the JWKS again and accepts it.
        app.state
            .signer
            .rotate(&app.state.db, app.state.clock.now())
            .await
            .unwrap();
        app.state
            .clock
            .advance(app.state.config.access_token_ttl_secs + 1);
        let (_, page) = greeting(&site, &mut jar).await;
        assert!(signed_in_as(&page, "alice"), "after the rotation: {page}");
        assert_ne!(kid(&jar), first);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_callback_refuses_a_wrong_state_another_issuer_and_a_stale_sign_in() {
    let app = spawn_app_named(&[], "127.0.0.1").await;
    app.create_user("alice", PASSWORD, false).await;
    let site = demo_site(&app, "Space Game", "127.0.0.1", TokenAlg::HS256, "space").await;
    let browser = app.new_client(None);
    app.login_with(&browser, "alice", PASSWORD).await;
    let http = site_http();
    let begin = || async {
        let mut jar = Jar::default();
        let start = get(
            &http,
            &mut jar,
            &format!("{}/auth/sign-in?next=//evil.example", site.base),
        )
        .await;
        let answer = browser.get(location(&start)).send().await.unwrap();
        let callback = url::Url::parse(&location(&answer)).unwrap();
        let params: BTreeMap<String, String> = callback.query_pairs().into_owned().collect();
        (jar, params)
    };
    let callback = |jar: Jar, params: BTreeMap<String, String>| {
        let http = http.clone();
        let base = site.base.clone();
        async move {
            let query = serde_urlencoded::to_string(&params).unwrap();
            let mut jar = jar;
            let res = get(&http, &mut jar, &format!("{base}/auth/callback?{query}")).await;
            let status = res.status().as_u16();
            let page = res.text().await.unwrap();
            (status, page, jar)
        }
    };

    // Another sign-in's state.
    let (jar, mut params) = begin().await;
    params.insert("state".into(), "not-the-state".into());
    let (status, page, jar) = callback(jar, params).await;
    assert_eq!(status, 400);
    assert!(
        page.contains("expired or was started in another browser"),
        "{page}"
    );
    assert!(page.contains("href=\"/auth/sign-in?next="), "a way back");
    assert!(jar.get("space_access").is_none());

    // An answer claiming another issuer (RFC 9207 mix-up).
    let (jar, mut params) = begin().await;
    params.insert("iss".into(), "https://evil.example".into());
    let (status, page, jar) = callback(jar, params).await;
    assert_eq!(status, 400);
    assert!(page.contains("another server"), "{page}");
    assert!(jar.get("space_access").is_none());

    // A sign-in left open past its ten minutes.
    let (jar, params) = begin().await;
    app.state.clock.advance(601);
    let (status, _, jar) = callback(jar, params).await;
    assert_eq!(status, 400);
    assert!(jar.get("space_access").is_none());

    // A good one lands on the site's own page, never on `//evil.example`.
    let (jar, params) = begin().await;
    let mut jar = jar;
    let query = serde_urlencoded::to_string(&params).unwrap();
    let res = get(
        &http,
        &mut jar,
        &format!("{}/auth/callback?{query}", site.base),
    )
    .await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/");
    assert!(jar.get("space_access").is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_back_channel_receiver_takes_only_the_servers_logout_tokens() {
    let app = spawn_app_named(&[], "127.0.0.1").await;
    app.create_user("alice", PASSWORD, false).await;
    let site = demo_site(&app, "Space Game", "127.0.0.1", TokenAlg::HS256, "space").await;
    let other = demo_site(&app, "Forum", "127.0.0.1", TokenAlg::HS256, "forum").await;
    let browser = app.new_client(None);
    app.login_with(&browser, "alice", PASSWORD).await;
    let mut jar = Jar::default();
    sign_in_at(&app, &site, &browser, &mut jar).await;
    let access = jar.get("space_access").unwrap().to_owned();
    let claims = crate::helpers::hs256(&app, &site.client, &access);
    let now = app.state.clock.now();
    let event = json!({ pattmayne_auth_client::LOGOUT_EVENT: {} });
    let logout_claims = |aud: &str| {
        json!({
            "iss": app.state.config.issuer, "aud": aud, "iat": now, "exp": now + 120,
            "jti": "j1", "sid": claims.sid, "events": event,
        })
    };
    let post = |token: Option<String>| {
        let url = format!("{}/auth/backchannel-logout", site.base);
        async move {
            let form: Vec<(&str, String)> =
                token.map(|t| vec![("logout_token", t)]).unwrap_or_default();
            let res = site_http().post(url).form(&form).send().await.unwrap();
            let status = res.status().as_u16();
            let body: Value = res.json().await.unwrap_or(Value::Null);
            (status, body)
        }
    };
    // Signed with the site's own HS256 secret (anyone holding it could).
    let hs = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &logout_claims(&site.client.client_id),
        &jsonwebtoken::EncodingKey::from_secret(
            site.client.jwt_secret.as_ref().unwrap().as_bytes(),
        )
        .unwrap(),
    )
    .unwrap();
    // The server's own key, but for another site, or an access token.
    let signed = |claims: Value, typ: &str| {
        let app = &app;
        let typ = typ.to_owned();
        async move {
            let typ = match typ.as_str() {
                "logout+jwt" => pattmayne_auth::domain::signing::Typ::Logout,
                _ => pattmayne_auth::domain::signing::Typ::Access,
            };
            app.state
                .signer
                .sign_with_server_key(
                    &app.state.db,
                    &app.state.keys,
                    TokenAlg::RS256,
                    typ,
                    &claims,
                    app.state.clock.now(),
                )
                .await
                .unwrap()
        }
    };
    let for_other = signed(logout_claims(&other.client.client_id), "logout+jwt").await;
    let as_access = signed(logout_claims(&site.client.client_id), "at+jwt").await;
    let mut no_event = logout_claims(&site.client.client_id);
    no_event["events"] = json!({});
    let no_event = signed(no_event, "logout+jwt").await;
    let mut with_nonce = logout_claims(&site.client.client_id);
    with_nonce["nonce"] = json!("n");
    let with_nonce = signed(with_nonce, "logout+jwt").await;
    for (what, token) in [
        ("no token", None),
        ("not a JWT", Some("abc".to_owned())),
        ("HS256", Some(hs)),
        ("another audience", Some(for_other)),
        ("an access token", Some(as_access)),
        ("no event", Some(no_event)),
        ("a nonce", Some(with_nonce)),
    ] {
        let (status, body) = post(token).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_request")),
            "{what}"
        );
    }
    // None of those ended anything.
    let (_, page) = greeting(&site, &mut jar).await;
    assert!(signed_in_as(&page, "alice"));

    // The real thing: the site refuses the session's (unexpired) access
    // token at once.
    let good = signed(logout_claims(&site.client.client_id), "logout+jwt").await;
    assert_eq!(post(Some(good)).await.0, 200);
    let (_, page) = greeting(&site, &mut jar).await;
    assert!(!signed_in_as(&page, "alice"), "{page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_out_at_one_site_signs_the_person_out_at_the_other_at_once() {
    let app = spawn_app_named(&[], "127.0.0.1").await;
    app.create_user("alice", PASSWORD, false).await;
    let game = demo_site(&app, "Space Game", "127.0.0.1", TokenAlg::HS256, "space").await;
    let forum = demo_site(&app, "Forum", "127.0.0.1", TokenAlg::RS256, "forum").await;
    let browser = app.new_client(None);
    app.login_with(&browser, "alice", PASSWORD).await;
    let (mut at_game, mut at_forum) = (Jar::default(), Jar::default());
    sign_in_at(&app, &game, &browser, &mut at_game).await;
    sign_in_at(&app, &forum, &browser, &mut at_forum).await;
    assert!(signed_in_as(
        &greeting(&game, &mut at_game).await.1,
        "alice"
    ));

    let res = site_http()
        .post(format!("{}/auth/sign-out", forum.base))
        .header("cookie", at_forum.header())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    // The game's access token has minutes left, but the server's notice
    // reaches the game and it refuses the session on the next request.
    let mut waited = Duration::ZERO;
    loop {
        let (_, page) = greeting(&game, &mut at_game.clone()).await;
        if !signed_in_as(&page, "alice") {
            break;
        }
        assert!(waited < Duration::from_secs(10), "the game never heard");
        tokio::time::sleep(Duration::from_millis(25)).await;
        waited += Duration::from_millis(25);
    }
    let (_, page) = greeting(&game, &mut at_game).await;
    assert!(page.contains("id=\"sign-in\""));
    assert!(
        at_game.get("space_access").is_none(),
        "and clears its cookies"
    );
}
