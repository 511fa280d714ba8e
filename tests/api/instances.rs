//! Several instances, one database: two server processes (the release
//! binary when it has been built, as CI does) on different ports against one
//! PostgreSQL database behave as one server. Runs when `TEST_DATABASE_URL`
//! is PostgreSQL; SQLite is for a single process.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use pattmayne_auth::domain::clients::TokenAlg;
use pattmayne_auth::entities::refresh_token;
use sea_orm::{ColumnTrait, Database, DatabaseConnection, EntityTrait, QueryFilter};
use secrecy::SecretString;
use serde_json::Value;

use crate::helpers::{PASSWORD, csrf_from, fresh_database_url, location_params, pkce_pair};

const SECRET_KEY: &str = "two-instances-share-this-secret-key-0123456789";
const REDIRECT: &str = "https://game.example/callback";

struct Instance {
    child: Child,
    base: String,
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The release binary if it exists (CI builds it first), else this build's.
fn server_binary() -> PathBuf {
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
    let release = target.join("release").join("pattmayne-auth");
    if release.exists() {
        release
    } else {
        assert!(
            std::env::var("PATTMAYNE_CI").as_deref() != Ok("1"),
            "CI must build the release binary first"
        );
        eprintln!(
            "note: {} not built; using the test build's binary",
            release.display()
        );
        PathBuf::from(env!("CARGO_BIN_EXE_pattmayne-auth"))
    }
}

async fn start(binary: &PathBuf, database_url: &str) -> Instance {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(binary)
        .arg("serve")
        .env_clear()
        .env("DATABASE_URL", database_url)
        .env("AUTH_BIND", format!("127.0.0.1:{port}"))
        .env("AUTH_PUBLIC_URL", "http://auth.test")
        .env("AUTH_SECRET_KEY", SECRET_KEY)
        .env("AUTH_DATA_DIR", std::env::temp_dir())
        .env("AUTH_LOGIN_MAX_FAILURES", "4")
        .env("AUTH_REFRESH_GRACE_SECS", "0")
        .env("AUTH_ARGON2_MEMORY_KIB", "1024")
        .env("AUTH_ARGON2_ITERATIONS", "1")
        .env("DATABASE_MAX_CONNECTIONS", "8")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start an instance");
    let instance = Instance {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    for _ in 0..300 {
        if reqwest::get(format!("{}/healthz", instance.base))
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            return instance;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("instance did not come up");
}

fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn login(b: &reqwest::Client, base: &str, password: &str) -> u16 {
    let page = b
        .get(format!("{base}/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = csrf_from(&page);
    b.post(format!("{base}/login"))
        .form(&[
            ("username", "alice"),
            ("password", password),
            ("csrf_token", &csrf),
        ])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn token(base: &str, id: &str, secret: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let res = reqwest::Client::new()
        .post(format!("{base}/oauth2/token"))
        .basic_auth(id, Some(secret))
        .form(form)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

async fn family_rows(db: &DatabaseConnection, family: &str) -> Vec<refresh_token::Model> {
    refresh_token::Entity::find()
        .filter(refresh_token::Column::FamilyId.eq(family))
        .all(db)
        .await
        .unwrap()
}

#[tokio::test]
async fn two_instances_on_one_database_serve_as_one() {
    if !std::env::var("TEST_DATABASE_URL").is_ok_and(|u| u.starts_with("postgres")) {
        eprintln!(
            "SKIPPED on SQLite: several instances need PostgreSQL (TEST_DATABASE_URL=postgres://…)"
        );
        return;
    }
    let (url, _pg) = fresh_database_url().await;
    let binary = server_binary();
    let a = start(&binary, &url).await;
    let b = start(&binary, &url).await;

    // An account and a client site, made the way the CLI makes them.
    let db = Database::connect(&url).await.unwrap();
    let keys = pattmayne_auth::crypto::Keys::derive(&SecretString::from(SECRET_KEY.to_owned()));
    let passwords = pattmayne_auth::domain::passwords::Passwords::new(
        pattmayne_auth::config::Argon2Params {
            memory_kib: 1024,
            iterations: 1,
            parallelism: 1,
        },
        2,
    );
    let account = pattmayne_auth::domain::users::validate_new_account(
        "alice",
        "alice@example.com",
        PASSWORD,
        PASSWORD,
    )
    .ok()
    .unwrap();
    pattmayne_auth::domain::users::create(
        &db,
        &passwords,
        account,
        false,
        false,
        pattmayne_auth::clock::system_now(),
    )
    .await
    .unwrap();
    let (_, creds) = pattmayne_auth::domain::clients::create(
        &db,
        &keys,
        "Game",
        &[REDIRECT.to_owned()],
        TokenAlg::HS256,
        Default::default(),
        false,
        pattmayne_auth::clock::system_now(),
    )
    .await
    .unwrap();
    let secret = creds.client_secret.clone().unwrap_or_default();
    let (id, secret) = (creds.client_id.as_str(), secret.as_str());

    // Sign in on A; authorize on B without signing in again.
    let browser = browser();
    assert_eq!(login(&browser, &a.base, PASSWORD).await, 303);
    let (verifier, challenge) = pkce_pair();
    let authorize = format!(
        "{}/oauth2/authorize?response_type=code&client_id={id}&redirect_uri={}&state=s&code_challenge={challenge}&code_challenge_method=S256",
        b.base,
        url::form_urlencoded::byte_serialize(REDIRECT.as_bytes()).collect::<String>()
    );
    let res = browser.get(&authorize).send().await.unwrap();
    assert_eq!(
        res.status(),
        302,
        "B did not recognise the sign-in made on A"
    );
    let params = location_params(&res);
    assert_eq!(params["iss"], "http://auth.test");

    // Exchange the code on B; refresh on A.
    let (status, tokens) = token(
        &b.base,
        id,
        secret,
        &[
            ("grant_type", "authorization_code"),
            ("code", &params["code"]),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &verifier),
        ],
    )
    .await;
    assert_eq!(status, 200, "{tokens}");
    let first = tokens["refresh_token"].as_str().unwrap().to_owned();
    let (status, refreshed) = token(
        &a.base,
        id,
        secret,
        &[("grant_type", "refresh_token"), ("refresh_token", &first)],
    )
    .await;
    assert_eq!(status, 200, "{refreshed}");
    let second = refreshed["refresh_token"].as_str().unwrap().to_owned();
    let family = refresh_token::Entity::find()
        .one(&db)
        .await
        .unwrap()
        .unwrap()
        .family_id;

    // A rotated token replayed on both instances at once: both refuse, no 5xx,
    // and the family is revoked without rotating again (no grace: not even
    // within the same second).
    let replay = |base: String| {
        let (id, secret, first) = (id.to_owned(), secret.to_owned(), first.clone());
        tokio::spawn(async move {
            token(
                &base,
                &id,
                &secret,
                &[("grant_type", "refresh_token"), ("refresh_token", &first)],
            )
            .await
        })
    };
    let (ra, rb) = (replay(a.base.clone()), replay(b.base.clone()));
    for (status, body) in [ra.await.unwrap(), rb.await.unwrap()] {
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["error"], "invalid_grant");
    }
    let rows = family_rows(&db, &family).await;
    assert_eq!(rows.len(), 1, "a family is one row");
    assert_eq!(rows[0].generation, 1, "a replay rotated the family");
    assert!(
        rows[0].revoked_at.is_some(),
        "the replay left the family live"
    );
    let (status, _) = token(
        &a.base,
        id,
        secret,
        &[("grant_type", "refresh_token"), ("refresh_token", &second)],
    )
    .await;
    assert_eq!(status, 400);

    // Failed sign-ins spread over A and B suspend the address on both.
    let attacker = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .local_address("127.0.0.3".parse::<std::net::IpAddr>().unwrap())
        .build()
        .unwrap();
    for base in [&a.base, &b.base, &a.base, &b.base] {
        assert_eq!(login(&attacker, base, "wrong wrong wrong").await, 200);
    }
    for base in [&a.base, &b.base] {
        assert_eq!(
            login(&attacker, base, PASSWORD).await,
            429,
            "{base} let a suspended address in"
        );
    }
    db.close().await.unwrap();
}
