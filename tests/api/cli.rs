//! The command line: client sites and accounts, suspensions, from a
//! process with a clean environment.

use pattmayne_auth::domain::throttle;
use pattmayne_auth::entities::user;
use sea_orm::EntityTrait;
use serde_json::Value;

use crate::helpers::{PASSWORD, s};

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

#[tokio::test]
async fn cli_creates_an_admin_and_lists_and_lifts_suspensions() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let (url, _pg) = crate::helpers::fresh_database_url().await;
    let bin = env!("CARGO_BIN_EXE_pattmayne-auth");
    let dir = std::env::temp_dir();
    let run = |args: &[&str], stdin: Option<&str>| {
        let mut child = Command::new(bin)
            .args(args)
            .env_clear()
            .env("DATABASE_URL", &url)
            .env("AUTH_DATA_DIR", &dir)
            .env("AUTH_ARGON2_MEMORY_KIB", "1024")
            .env("AUTH_ARGON2_ITERATIONS", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        if let Some(input) = stdin {
            child
                .stdin
                .take()
                .unwrap()
                .write_all(input.as_bytes())
                .unwrap();
        }
        child.wait_with_output().unwrap()
    };
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
