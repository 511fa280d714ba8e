//! The command line: client sites and accounts, suspensions, from a
//! process with a clean environment.

use pattmayne_auth::domain::throttle;
use pattmayne_auth::entities::user;
use sea_orm::EntityTrait;
use serde_json::Value;

use crate::helpers::{PASSWORD, s};

#[tokio::test]
async fn cli_creates_lists_rotates_and_deletes_client_sites() {
    let (url, _pg) = crate::helpers::fresh_database_url().await;
    let dir = std::env::temp_dir();
    let run = |args: &[&str]| run_cli(&url, &dir, Some(CLI_SECRET_KEY), args, None);
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
    let creds = json_of(out);
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
        "--backchannel-logout-uri",
        "https://keys.example/backchannel-logout",
        "--json",
    ]);
    let creds2 = json_of(out);
    assert!(creds2.get("jwt_secret").is_none());
    let keys_id = s(&creds2, "client_id");
    let shown = json_of(run(&["client", "show", &keys_id, "--json"]));
    assert_eq!(
        shown["backchannel_logout_uri"],
        "https://keys.example/backchannel-logout"
    );
    // Plain http to another host is refused; "" clears.
    let refused = run(&[
        "client",
        "backchannel-logout",
        &keys_id,
        "http://keys.example/bc",
    ]);
    assert!(!refused.status.success());
    assert!(
        run(&["client", "backchannel-logout", &keys_id, ""])
            .status
            .success()
    );
    let shown = json_of(run(&["client", "show", &keys_id, "--json"]));
    assert_eq!(shown["backchannel_logout_uri"], Value::Null);
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
    let show = json_of(run(&["client", "show", &id, "--json"]));
    assert_eq!(
        show["redirect_uris"],
        serde_json::json!(["https://game.example/cb", "http://localhost:3000/cb"])
    );
    let rotated = json_of(run(&["client", "rotate-secret", &id, "--json"]));
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
            ("client.update", keys_id.as_str()),
            ("client.update", keys_id.as_str()),
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

/// Runs the binary with a clean environment on `url`, cheap hashing, and
/// `stdin` as its input.
/// The master key the client-site commands run with.
const CLI_SECRET_KEY: &str = "cli-test-secret-key-long-enough-0123456789";

/// A command's JSON output, or its stderr in the failure.
fn json_of(out: std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("no JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)))
}

fn run_cli(
    url: &str,
    data_dir: &std::path::Path,
    secret_key: Option<&str>,
    args: &[&str],
    stdin: Option<&str>,
) -> std::process::Output {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut command = Command::new(env!("CARGO_BIN_EXE_pattmayne-auth"));
    command
        .args(args)
        .env_clear()
        .env("DATABASE_URL", url)
        .env("AUTH_DATA_DIR", data_dir)
        .env("AUTH_ARGON2_MEMORY_KIB", "1024")
        .env("AUTH_ARGON2_ITERATIONS", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(key) = secret_key {
        command.env("AUTH_SECRET_KEY", key);
    }
    let mut child = command.spawn().unwrap();
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    child.wait_with_output().unwrap()
}

#[tokio::test]
async fn cli_creates_an_admin_and_lists_and_lifts_suspensions() {
    let (url, _pg) = crate::helpers::fresh_database_url().await;
    let dir = std::env::temp_dir();
    let run = |args: &[&str], stdin: Option<&str>| run_cli(&url, &dir, None, args, stdin);
    let out = run(
        &[
            "user",
            "create",
            "--username",
            "root",
            "--email",
            "root@example.com",
            "--password-stdin",
            "--admin",
        ],
        Some(&format!("{PASSWORD}\n")),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("created admin user root"));
    let dup = run(
        &[
            "user",
            "create",
            "--username",
            "root",
            "--email",
            "x@example.com",
            "--password-stdin",
        ],
        Some(&format!("{PASSWORD}\n")),
    );
    assert!(!dup.status.success());
    assert_eq!(
        String::from_utf8_lossy(&dup.stderr)
            .lines()
            .filter(|l| !l.contains("WARN"))
            .count(),
        1
    );

    // Suspend an address through the domain, then list and lift it by CLI.
    let db = sea_orm::Database::connect(&url).await.unwrap();
    let admin = user::Entity::find().one(&db).await.unwrap().unwrap();
    assert!(admin.is_admin);
    let policy = throttle::Policy {
        max_failures: 5,
        window_secs: 900,
        suspension_secs: 900,
        account_max_failures: 10,
    };
    throttle::record_failure(
        &db,
        "192.0.2.44",
        policy,
        pattmayne_auth::clock::system_now(),
    )
    .await
    .unwrap();
    throttle::suspend(
        &db,
        "192.0.2.44",
        policy,
        pattmayne_auth::clock::system_now(),
    )
    .await
    .unwrap();
    let list = run(&["suspension", "list"], None);
    assert!(String::from_utf8_lossy(&list.stdout).contains("192.0.2.44"));
    let lift = run(&["suspension", "lift", "192.0.2.44"], None);
    assert!(
        lift.status.success(),
        "{}",
        String::from_utf8_lossy(&lift.stderr)
    );
    let list = run(&["suspension", "list"], None);
    assert!(String::from_utf8_lossy(&list.stdout).contains("no suspensions in force"));
    assert!(
        !run(&["suspension", "lift", "not-an-ip"], None)
            .status
            .success()
    );
    db.close().await.unwrap();
}

#[tokio::test]
async fn cli_sets_passwords_makes_reset_links_and_vouches_for_addresses() {
    let (url, _pg) = crate::helpers::fresh_database_url().await;
    let (app, mail) = {
        let app = crate::helpers::spawn_app_on(&url, None, &[]).await;
        let outbox = app.data_dir.path().join("outbox");
        (app, crate::mailbox::Mailbox::Outbox(outbox))
    };
    let dir = crate::helpers::TempDir::new("pattmayne-cli");
    // The server's key: it must open the mail the command queues.
    let key = "test-secret-key-that-is-long-enough-0123456789";
    let run =
        |args: &[&str], stdin: Option<&str>| run_cli(&url, dir.path(), Some(key), args, stdin);
    let ok = |out: &std::process::Output| {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let create = |name: &str, verified: bool| {
        let email = format!("{name}@example.com");
        let mut args = vec![
            "user",
            "create",
            "--username",
            name,
            "--email",
            &email,
            "--password-stdin",
        ];
        if verified {
            args.push("--email-verified");
        }
        run(&args, Some(&format!("{PASSWORD}\n")))
    };
    ok(&create("alice", true));
    ok(&create("bob", false));
    let find = |name: &'static str| {
        let db = app.state.db.clone();
        async move {
            pattmayne_auth::domain::users::find_by_username(&db, name)
                .await
                .unwrap()
                .unwrap()
        }
    };
    assert!(find("alice").await.email_verified);
    assert!(!find("bob").await.email_verified);
    assert!(ok(&run(&["user", "verify-email", "--username", "bob"], None)).contains("is verified"));
    assert!(find("bob").await.email_verified);

    // A new password: checked like any, every session of the account ends,
    // the person is told by mail.
    let browser = app.new_client(None);
    assert_eq!(
        app.login_with(&browser, "alice", PASSWORD).await.status(),
        303
    );
    let weak = run(
        &[
            "user",
            "set-password",
            "--username",
            "alice",
            "--password-stdin",
        ],
        Some("password123\n"),
    );
    assert!(!weak.status.success());
    assert!(String::from_utf8_lossy(&weak.stderr).contains("too easy to guess"));
    let new = "violet submarine under nine clocks";
    ok(&run(
        &[
            "user",
            "set-password",
            "--username",
            "alice",
            "--password-stdin",
        ],
        Some(&format!("{new}\n")),
    ));
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
        app.login_with(&app.new_client(None), "alice", new)
            .await
            .status(),
        303
    );
    // The command queued the mail at the system clock's time; the server's
    // clock stands where the test left it.
    assert!(app.state.clock.advance(5));
    let told = mail.one_to(&app, "alice@example.com").await;
    assert!(told.subject.contains("was changed"), "{}", told.subject);

    // A reset link for the operator to hand over: it works at the server.
    let link = ok(&run(&["user", "reset-link", "--username", "bob"], None));
    let link = url::Url::parse(link.trim()).unwrap();
    assert_eq!(link.path(), "/password/reset");
    let page = app
        .new_client(None)
        .get(app.url(&format!("/password/reset?{}", link.query().unwrap())))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(
        !run(&["user", "reset-link", "--username", "nobody"], None)
            .status
            .success()
    );

    // Each is in the audit log, as the operator's.
    let actions: Vec<String> = pattmayne_auth::entities::audit_log::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.actor_username == "(command line)")
        .map(|e| e.action)
        .collect();
    for action in ["user.verify_email", "user.set_password", "user.reset_link"] {
        assert!(
            actions.iter().any(|a| a == action),
            "{action} not audited: {actions:?}"
        );
    }
}

#[tokio::test]
async fn cli_registers_games_outside_the_browser() {
    let (url, _pg) = crate::helpers::fresh_database_url().await;
    let dir = std::env::temp_dir();
    let run = |args: &[&str]| run_cli(&url, &dir, Some(CLI_SECRET_KEY), args, None);
    // A game: public, with the device grant; no secret, EdDSA by default.
    let out = run(&[
        "client",
        "create",
        "--name",
        "Console Quest",
        "--public",
        "--device",
        "--redirect-uri",
        "http://127.0.0.1/callback",
        "--json",
    ]);
    let game = json_of(out);
    assert!(game.get("client_secret").is_none() && game.get("jwt_secret").is_none());
    let shown = json_of(run(&["client", "show", &s(&game, "client_id"), "--json"]));
    assert_eq!(
        (shown["public"].clone(), shown["device_grant"].clone()),
        (true.into(), true.into())
    );
    assert_eq!(shown["token_alg"], "EdDSA");
    // A console needs no redirect URI; a public client cannot take HS256 nor localhost.
    let console = run(&[
        "client", "create", "--name", "TV", "--public", "--device", "--json",
    ]);
    assert!(
        console.status.success(),
        "{}",
        String::from_utf8_lossy(&console.stderr)
    );
    for refused in [
        &[
            "client",
            "create",
            "--name",
            "G",
            "--public",
            "--token-alg",
            "HS256",
            "--redirect-uri",
            "http://127.0.0.1/cb",
        ][..],
        &[
            "client",
            "create",
            "--name",
            "G",
            "--public",
            "--redirect-uri",
            "http://localhost/cb",
        ][..],
        &[
            "client",
            "create",
            "--name",
            "G",
            "--redirect-uri",
            "com.example.game:/cb",
        ][..],
        &["client", "create", "--name", "G"][..],
    ] {
        assert!(!run(refused).status.success(), "{refused:?} accepted");
    }
    assert!(
        !run(&["client", "rotate-secret", &s(&game, "client_id")])
            .status
            .success()
    );
}
