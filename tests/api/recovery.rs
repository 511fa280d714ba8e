//! Accounts people can keep, by real mail: registration confirmed by a
//! mailed link (that leads back to the game it started from), password
//! resets, password and address changes, `email_verified`, answers that
//! reveal no account, the mail budgets and limits, and the mail queue
//! itself (retries, the admin's view, the outbox default).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use pattmayne_auth::domain::clients::TokenAlg;
use pattmayne_auth::entities::{account_link, mail_outbox, user};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::helpers::{
    PASSWORD, TestApp, TestClient, captured_logs, csrf_from, location_params, pkce_pair, s,
};
use crate::mailbox::{
    Mailbox, SmtpServer, free_port, smtp_available, smtp_url, spawn_app_with_mail,
    spawn_app_with_outbox,
};

const NEW_PASSWORD: &str = "violet submarine under nine clocks";

async fn text(res: reqwest::Response) -> String {
    res.text().await.unwrap()
}

/// POSTs a form of `path` (its CSRF token fetched from `form_page` first).
async fn post_form(
    app: &TestApp,
    browser: &reqwest::Client,
    form_page: &str,
    path: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let csrf = app.csrf(browser, form_page).await;
    let mut form: Vec<(&str, &str)> = fields.to_vec();
    form.push(("csrf_token", &csrf));
    browser
        .post(app.url(path))
        .form(&form)
        .send()
        .await
        .unwrap()
}

async fn register(
    app: &TestApp,
    browser: &reqwest::Client,
    username: &str,
    email: &str,
    next: Option<&str>,
) -> reqwest::Response {
    let mut fields = vec![
        ("username", username),
        ("email", email),
        ("password", PASSWORD),
        ("password_confirm", PASSWORD),
    ];
    if let Some(next) = next {
        fields.push(("next", next));
    }
    post_form(app, browser, "/register", "/register", &fields).await
}

async fn forgot(app: &TestApp, browser: &reqwest::Client, email: &str) -> reqwest::Response {
    post_form(
        app,
        browser,
        "/password/forgot",
        "/password/forgot",
        &[("email", email)],
    )
    .await
}

async fn users(app: &TestApp) -> u64 {
    user::Entity::find().count(&app.state.db).await.unwrap()
}

async fn account(app: &TestApp, username: &str) -> user::Model {
    user::Entity::find()
        .filter(user::Column::Username.eq(username))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap()
}

/// The page with what differs by the typed address blanked out.
fn same_page(html: &str, email: &str) -> String {
    html.replace(email, "ADDRESS")
}

/// A code flow with `scope` for a signed-in `browser`: the token response.
async fn tokens(
    app: &TestApp,
    browser: &reqwest::Client,
    client: &TestClient,
    scope: &str,
) -> serde_json::Value {
    let (verifier, challenge) = pkce_pair();
    let res = browser
        .get(app.url(&app.authorize_path(client, &challenge, &[("scope", scope)])))
        .send()
        .await
        .unwrap();
    let code = location_params(&res)["code"].clone();
    app.exchange(client, &code, &verifier).await
}

async fn userinfo(app: &TestApp, access_token: &str) -> serde_json::Value {
    app.client
        .get(app.url("/oauth2/userinfo"))
        .bearer_auth(access_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_player_registers_from_a_game_confirms_by_mail_and_lands_back_in_the_game() {
    let (app, mail) = spawn_app_with_mail(&[]).await;
    let game = app.register_client("Space Game", TokenAlg::HS256).await;
    let browser = app.new_client(None);
    let (verifier, challenge) = pkce_pair();
    let authorize = app.authorize_path(&game, &challenge, &[("scope", "openid email")]);
    let res = browser.get(app.url(&authorize)).send().await.unwrap();
    let login = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(login.starts_with("/login?next="), "{login}");

    // The form: "check your mail", on the way to the game; no account yet.
    let res = register(&app, &browser, "bob", "Bob@Example.com", Some(&authorize)).await;
    assert_eq!(res.status(), 200);
    let page = text(res).await;
    assert!(
        page.contains("Check your mail") && page.contains("bob@example.com"),
        "{page}"
    );
    assert!(page.contains("On your way to Space Game"));
    assert_eq!(
        users(&app).await,
        0,
        "an account before its address was confirmed"
    );

    // The mail: plain text and HTML, the link on its own line, built from
    // AUTH_PUBLIC_URL.
    let letter = mail.one_to(&app, "bob@example.com").await;
    assert!(
        letter.subject.contains("Confirm your address"),
        "{}",
        letter.subject
    );
    assert!(letter.from.starts_with("noreply@"), "{}", letter.from);
    let link = letter.link();
    assert!(
        link.starts_with(&format!("{}/verify-email?token=", app.state.config.issuer)),
        "{link}"
    );
    assert!(letter.html.contains("href=\"") && letter.html.contains(&letter.token()));
    assert!(letter.raw.contains("Content-Type: text/plain") && letter.raw.contains("text/html"));

    // Following it starts the account, signs in and goes on to the game.
    let res = browser
        .get(app.url(&letter.link_path()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"].to_str().unwrap(), authorize);
    let res = browser.get(app.url(&authorize)).send().await.unwrap();
    let params = location_params(&res);
    assert!(
        res.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with(&game.redirect_uri)
    );
    assert_eq!(params["state"], "xyz-state");
    let tokens = app.exchange(&game, &params["code"], &verifier).await;
    let bob = account(&app, "bob").await;
    assert!(bob.email_verified && bob.password_hash.starts_with("$argon2id$"));
    let info = userinfo(&app, &s(&tokens, "access_token")).await;
    assert_eq!(info["email"], "bob@example.com");
    assert_eq!(info["email_verified"], true);

    // The link worked once.
    let again = app.new_client(None);
    let res = again
        .get(app.url(&letter.link_path()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert!(
        text(res)
            .await
            .contains("This link has expired or was already used.")
    );
    assert_eq!(users(&app).await, 1);
}

#[tokio::test]
async fn registration_reveals_no_account_in_its_answer_or_its_time() {
    // Real argon2 costs, so that a skipped hash would show in the timing.
    let (app, mail) = spawn_app_with_mail(&[
        "--argon2-memory-kib",
        "19456",
        "--argon2-iterations",
        "2",
        "--registrations-per-hour",
        "1000",
    ])
    .await;
    app.create_user("alice", PASSWORD, false).await;
    let cases = [
        // A new username with alice's address: alice is told.
        ("newname", "alice@example.com"),
        // alice's username with a new address: that address is told.
        ("alice", "someone@example.com"),
        // Nothing taken: a confirmation link.
        ("carol", "carol@example.com"),
    ];
    let mut pages = Vec::new();
    let mut times: HashMap<&str, Vec<Duration>> = HashMap::new();
    for round in 0..3 {
        for (username, email) in cases {
            let browser = app.new_client(None);
            let csrf = app.csrf(&browser, "/register").await;
            let started = Instant::now();
            let res = browser
                .post(app.url("/register"))
                .form(&[
                    ("username", username),
                    ("email", email),
                    ("password", PASSWORD),
                    ("password_confirm", PASSWORD),
                    ("csrf_token", &csrf),
                ])
                .send()
                .await
                .unwrap();
            let status = res.status();
            let page = text(res).await;
            times.entry(email).or_default().push(started.elapsed());
            assert_eq!(status, 200, "{username} {email}");
            if round == 0 {
                pages.push(same_page(&page, email));
            }
        }
    }
    assert!(
        pages.windows(2).all(|w| w[0] == w[1]),
        "the answers differ: {pages:#?}"
    );
    let median = |email: &str| {
        let mut t = times[email].clone();
        t.sort();
        t[1].as_secs_f64()
    };
    let fresh = median("carol@example.com");
    for (_, email) in cases {
        let ratio = median(email) / fresh;
        assert!(
            (0.5..2.0).contains(&ratio),
            "{email} takes {ratio:.2}× as long as a fresh registration"
        );
    }
    // Who learned what: by mail, and only the owners.
    let told = mail.wait_for(&app, "alice@example.com", 3).await;
    assert!(
        told[0].subject.contains("You already have an account"),
        "{}",
        told[0].subject
    );
    assert!(told[0].text.contains("alice") && told[0].text.contains("/password/forgot"));
    let taken = mail.wait_for(&app, "someone@example.com", 3).await;
    assert!(
        taken[0].subject.contains("Choose another username"),
        "{}",
        taken[0].subject
    );
    let confirm = mail.wait_for(&app, "carol@example.com", 3).await;
    assert!(confirm[0].link().contains("/verify-email?token="));
    assert_eq!(users(&app).await, 1, "an account was created unconfirmed");
    // alice's account is as it was.
    app.login("alice", PASSWORD).await;
}

#[tokio::test]
async fn an_unconfirmed_registration_expires() {
    let (app, mail) = spawn_app_with_mail(&[]).await;
    let browser = app.new_client(None);
    assert_eq!(
        register(&app, &browser, "dave", "dave@example.com", None)
            .await
            .status(),
        200
    );
    let letter = mail.one_to(&app, "dave@example.com").await;
    assert!(app.state.clock.advance(24 * 3600 + 1));
    let res = browser
        .get(app.url(&letter.link_path()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(users(&app).await, 0);
    pattmayne_auth::domain::cleanup::sweep(&app.state.db, app.state.clock.now(), 86_400)
        .await
        .unwrap();
    assert_eq!(
        account_link::Entity::find()
            .count(&app.state.db)
            .await
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn a_reset_sets_a_new_password_once_and_ends_every_session_and_token() {
    let (app, mail) = spawn_app_with_mail(&[]).await;
    app.create_user("alice", PASSWORD, false).await;
    let game = app.register_client("Game", TokenAlg::HS256).await;
    let (phone, issued) = app.sign_in_and_get_tokens("alice", PASSWORD, &game).await;

    let browser = app.new_client(None);
    let res = forgot(&app, &browser, "Alice@Example.com").await;
    assert_eq!(res.status(), 200);
    assert!(text(res).await.contains("Check your mail"));
    let letter = mail.one_to(&app, "alice@example.com").await;
    assert!(letter.subject.contains("Choose a new password"));
    let link = letter.link();
    assert!(link.starts_with(&format!(
        "{}/password/reset?token=",
        app.state.config.issuer
    )));
    let token = letter.token();
    assert!(token.len() >= 43, "fewer than 256 bits: {token}");

    // Looking uses nothing up (mail scanners open links).
    for _ in 0..2 {
        let res = browser
            .get(app.url(&letter.link_path()))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["cache-control"], "no-store");
        let page = text(res).await;
        assert!(page.contains("A new password for alice."), "{page}");
    }
    let reset = |password: &'static str, confirm: &'static str| {
        let (app, browser, token) = (&app, &browser, token.clone());
        async move {
            let csrf = app.csrf(browser, "/password/forgot").await;
            browser
                .post(app.url("/password/reset"))
                .form(&[
                    ("token", token.as_str()),
                    ("password", password),
                    ("password_confirm", confirm),
                    ("csrf_token", &csrf),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    // A weak or mistyped password: the form again, the link still good.
    let res = reset("password123", "password123").await;
    assert_eq!(res.status(), 422);
    assert!(text(res).await.contains("too easy to guess"));
    let res = reset(NEW_PASSWORD, "something else").await;
    assert_eq!(res.status(), 422);

    let res = reset(NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/login?done=password-reset");
    let page = text(
        browser
            .get(app.url("/login?done=password-reset"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(page.contains("Your password was changed"));

    // Every session and token of the account ended; the old password is gone.
    assert_eq!(
        app.refresh(&game, &s(&issued, "refresh_token"))
            .await
            .status(),
        400
    );
    let res = phone.get(app.url("/account")).send().await.unwrap();
    assert_eq!(res.status(), 303, "the phone is still signed in");
    assert_eq!(
        app.login_with(&app.new_client(None), "alice", PASSWORD)
            .await
            .status(),
        200
    );
    assert_eq!(
        app.login_with(&app.new_client(None), "alice", NEW_PASSWORD)
            .await
            .status(),
        303
    );

    // The link worked once; the owner is told the password changed.
    let res = reset(NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(res.status(), 400);
    let res = browser
        .get(app.url(&letter.link_path()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let mails = mail.wait_for(&app, "alice@example.com", 2).await;
    assert!(
        mails[1].subject.contains("was changed"),
        "{}",
        mails[1].subject
    );
}

#[tokio::test]
async fn a_reset_link_dies_after_thirty_minutes_and_when_the_password_changes_another_way() {
    let (app, mail) = spawn_app_with_mail(&[]).await;
    let alice = app.create_user("alice", PASSWORD, false).await;
    let browser = app.new_client(None);

    forgot(&app, &browser, "alice@example.com").await;
    let expired = mail.one_to(&app, "alice@example.com").await;
    assert!(app.state.clock.advance(30 * 60 + 1));
    let res = browser
        .get(app.url(&expired.link_path()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert!(text(res).await.contains("Forgot your password?"));

    // A new link, then the password changes on the account page: the link is dead.
    forgot(&app, &browser, "alice@example.com").await;
    let later = mail.wait_for(&app, "alice@example.com", 2).await.remove(1);
    assert_eq!(
        app.login_with(&browser, "alice", PASSWORD).await.status(),
        303
    );
    let res = post_form(
        &app,
        &browser,
        "/account/password",
        "/account/password",
        &[
            ("current_password", PASSWORD),
            ("password", NEW_PASSWORD),
            ("password_confirm", NEW_PASSWORD),
        ],
    )
    .await;
    assert_eq!(res.status(), 303);
    let res = app
        .new_client(None)
        .get(app.url(&later.link_path()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400, "a reset link outlived a password change");
    let links = account_link::Entity::find()
        .filter(account_link::Column::UserId.eq(alice.id.as_str()))
        .count(&app.state.db)
        .await
        .unwrap();
    assert_eq!(links, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_reset_link_used_twice_at_once_works_once() {
    let (app, mail) = spawn_app_with_mail(&[]).await;
    app.create_user("alice", PASSWORD, false).await;
    forgot(&app, &app.new_client(None), "alice@example.com").await;
    let letter = mail.one_to(&app, "alice@example.com").await;
    let token = letter.token();
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(2));
    let mut racers = Vec::new();
    for password in [NEW_PASSWORD, "another long and unusual passphrase"] {
        let browser = app.new_client(None);
        let csrf = csrf_from(
            &text(
                browser
                    .get(app.url(&letter.link_path()))
                    .send()
                    .await
                    .unwrap(),
            )
            .await,
        );
        let (url, token, barrier) = (app.url("/password/reset"), token.clone(), barrier.clone());
        racers.push(tokio::spawn(async move {
            barrier.wait().await;
            browser
                .post(url)
                .form(&[
                    ("token", token.as_str()),
                    ("password", password),
                    ("password_confirm", password),
                    ("csrf_token", csrf.as_str()),
                ])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    let mut statuses = Vec::new();
    for racer in racers {
        statuses.push(racer.await.unwrap());
    }
    statuses.sort();
    assert_eq!(statuses, [303, 400], "both or neither reset: {statuses:?}");
}

#[tokio::test]
async fn the_forgotten_password_page_answers_the_same_for_every_address() {
    let (app, mail) = spawn_app_with_mail(&[
        "--password-resets-per-hour",
        "100",
        "--mails-per-address-per-hour",
        "100",
    ])
    .await;
    app.create_user("alice", PASSWORD, false).await;
    let mut pages = Vec::new();
    let mut times: HashMap<&str, Vec<Duration>> = HashMap::new();
    // Five rounds and their medians: one slow round on a busy machine
    // (another process taking a core) must not decide it.
    for round in 0..5 {
        for email in ["alice@example.com", "nobody@example.com"] {
            let browser = app.new_client(None);
            let csrf = app.csrf(&browser, "/password/forgot").await;
            let started = Instant::now();
            let res = browser
                .post(app.url("/password/forgot"))
                .form(&[("email", email), ("csrf_token", &csrf)])
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200);
            let page = text(res).await;
            times.entry(email).or_default().push(started.elapsed());
            if round == 0 {
                pages.push(same_page(&page, email));
            }
        }
    }
    assert_eq!(pages[0], pages[1]);
    let median = |email: &str| {
        let mut t = times[email].clone();
        t.sort();
        t[2].as_secs_f64()
    };
    let ratio = median("alice@example.com") / median("nobody@example.com");
    assert!(
        (0.2..5.0).contains(&ratio),
        "a known address takes {ratio:.2}× as long"
    );
    assert_eq!(mail.wait_for(&app, "alice@example.com", 5).await.len(), 5);
    assert_eq!(mail.count_to(&app, "nobody@example.com").await, 0);
    // A malformed address is a form error, not a mail.
    let res = forgot(&app, &app.new_client(None), "not an address").await;
    assert_eq!(res.status(), 422);
}

#[tokio::test]
async fn nobody_can_mail_bomb_an_inbox_or_flood_resets_from_one_address() {
    let (app, mail) = spawn_app_with_mail(&[
        "--mails-per-address-per-hour",
        "2",
        "--password-resets-per-hour",
        "4",
    ])
    .await;
    app.create_user("alice", PASSWORD, false).await;
    // Per inbox: the same answer every time, but two mails an hour at most.
    for _ in 0..4 {
        let res = forgot(&app, &app.new_client(None), "alice@example.com").await;
        assert_eq!(res.status(), 200);
    }
    assert_eq!(mail.count_to(&app, "alice@example.com").await, 2);
    // Per client address: the fifth request from it is refused, in words.
    let res = forgot(&app, &app.new_client(None), "other@example.com").await;
    assert_eq!(res.status(), 429);
    let page = text(res).await;
    assert!(page.contains("You can try again in"), "{page}");
    let elsewhere = app.new_client(Some("127.0.0.2".parse().unwrap()));
    assert_eq!(
        forgot(&app, &elsewhere, "other@example.com").await.status(),
        200
    );
    // An hour later, alice's inbox may get mail again.
    assert!(app.state.clock.advance(3601));
    forgot(&app, &elsewhere, "alice@example.com").await;
    assert_eq!(mail.count_to(&app, "alice@example.com").await, 3);
}

#[tokio::test]
async fn changing_the_password_keeps_this_session_and_ends_the_others() {
    let (app, mail) = spawn_app_with_mail(&[]).await;
    app.create_user("alice", PASSWORD, false).await;
    let game = app.register_client("Game", TokenAlg::HS256).await;
    let (laptop, laptop_tokens) = app.sign_in_and_get_tokens("alice", PASSWORD, &game).await;
    let (phone, phone_tokens) = app.sign_in_and_get_tokens("alice", PASSWORD, &game).await;
    let change = |current: &'static str| {
        let (app, laptop) = (&app, &laptop);
        async move {
            post_form(
                app,
                laptop,
                "/account/password",
                "/account/password",
                &[
                    ("current_password", current),
                    ("password", NEW_PASSWORD),
                    ("password_confirm", NEW_PASSWORD),
                ],
            )
            .await
        }
    };
    let res = change("not my password").await;
    assert_eq!(res.status(), 422);
    assert!(
        text(res)
            .await
            .contains("That is not your current password.")
    );
    let res = change(PASSWORD).await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/account");
    let page = text(laptop.get(app.url("/account")).send().await.unwrap()).await;
    assert!(page.contains("Your password was changed, and every other device was signed out."));
    assert_eq!(
        phone
            .get(app.url("/account"))
            .send()
            .await
            .unwrap()
            .status(),
        303
    );
    assert_eq!(
        app.refresh(&game, &s(&phone_tokens, "refresh_token"))
            .await
            .status(),
        400
    );
    assert_eq!(
        app.refresh(&game, &s(&laptop_tokens, "refresh_token"))
            .await
            .status(),
        200
    );
    let told = mail.one_to(&app, "alice@example.com").await;
    assert!(told.subject.contains("was changed"));
}

#[tokio::test]
async fn wrong_current_passwords_on_the_account_forms_are_limited() {
    let (app, _mail) = spawn_app_with_mail(&[]).await;
    app.create_user("alice", PASSWORD, false).await;
    let browser = app.new_client(None);
    app.login_with(&browser, "alice", PASSWORD).await;
    let mut statuses = Vec::new();
    for _ in 0..11 {
        let res = post_form(
            &app,
            &browser,
            "/account/email",
            "/account/email",
            &[("email", "new@example.com"), ("current_password", "guess")],
        )
        .await;
        statuses.push(res.status().as_u16());
    }
    assert_eq!(statuses[..10], [422; 10]);
    assert_eq!(statuses[10], 429);
}

#[tokio::test]
async fn a_new_address_counts_once_verified_and_the_old_one_is_told() {
    let (app, mail) = spawn_app_with_mail(&[]).await;
    let alice = app.create_user("alice", PASSWORD, false).await;
    app.create_user("bob", PASSWORD, false).await;
    let browser = app.new_client(None);
    app.login_with(&browser, "alice", PASSWORD).await;
    let change = |email: &'static str| {
        let (app, browser) = (&app, &browser);
        async move {
            post_form(
                app,
                browser,
                "/account/email",
                "/account/email",
                &[("email", email), ("current_password", PASSWORD)],
            )
            .await
        }
    };
    // bob's address: the same answer, bob is told, nothing changes.
    let res = change("bob@example.com").await;
    assert_eq!(res.status(), 303);
    let page = text(browser.get(app.url("/account")).send().await.unwrap()).await;
    assert!(
        page.contains("We sent a link to bob@example.com."),
        "{page}"
    );
    let told = mail.one_to(&app, "bob@example.com").await;
    assert!(
        told.text.contains("belongs to your account bob"),
        "{}",
        told.text
    );

    let res = change("Alice.New@Example.com").await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        account(&app, "alice").await.email,
        "alice@example.com",
        "changed before it was verified"
    );
    let letter = mail.one_to(&app, "alice.new@example.com").await;
    assert!(letter.subject.contains("Confirm your new address"));
    let res = browser
        .get(app.url(&letter.link_path()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/account");
    let page = text(browser.get(app.url("/account")).send().await.unwrap()).await;
    assert!(
        page.contains("Your account&#x27;s address is now alice.new@example.com.")
            || page.contains("Your account's address is now alice.new@example.com."),
        "{page}"
    );
    let now = account(&app, "alice").await;
    assert_eq!(now.email, "alice.new@example.com");
    assert!(now.email_verified && now.id == alice.id);
    let old = mail.one_to(&app, "alice@example.com").await;
    assert!(
        old.text.contains("was changed to alice.new@example.com"),
        "{}",
        old.text
    );
    // Once only.
    let res = browser
        .get(app.url(&letter.link_path()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    // Signing in by the new address works.
    assert_eq!(
        app.login_with(&app.new_client(None), "alice.new@example.com", PASSWORD)
            .await
            .status(),
        303
    );
}

#[tokio::test]
async fn email_verified_says_what_is_true() {
    let (app, _mail) = spawn_app_with_mail(&[]).await;
    let alice = app.create_user("alice", PASSWORD, false).await;
    let game = app.register_client("Game", TokenAlg::RS256).await;
    let browser = app.new_client(None);
    app.login_with(&browser, "alice", PASSWORD).await;
    let issued = tokens(&app, &browser, &game, "openid email").await;
    let info = userinfo(&app, &s(&issued, "access_token")).await;
    assert_eq!(info["email_verified"], false, "an address nobody verified");
    let id_token: serde_json::Value = crate::helpers::with_jwks(
        &app,
        &s(&issued, "id_token"),
        jsonwebtoken::Algorithm::RS256,
        &game.client_id,
    )
    .await;
    assert_eq!(id_token["email"], "alice@example.com");
    assert_eq!(id_token["email_verified"], false);
    pattmayne_auth::domain::users::mark_email_verified(
        &app.state.db,
        &alice.id,
        app.state.clock.now(),
    )
    .await
    .unwrap();
    let issued = tokens(&app, &browser, &game, "openid email").await;
    assert_eq!(
        userinfo(&app, &s(&issued, "access_token")).await["email_verified"],
        true
    );
    let id_token: serde_json::Value = crate::helpers::with_jwks(
        &app,
        &s(&issued, "id_token"),
        jsonwebtoken::Algorithm::RS256,
        &game.client_id,
    )
    .await;
    assert_eq!(id_token["email_verified"], true);
    // Without the email scope, neither the address nor whether it is verified.
    let issued = tokens(&app, &browser, &game, "openid").await;
    let id_token: serde_json::Value = crate::helpers::with_jwks(
        &app,
        &s(&issued, "id_token"),
        jsonwebtoken::Algorithm::RS256,
        &game.client_id,
    )
    .await;
    assert!(id_token.get("email").is_none() && id_token.get("email_verified").is_none());
}

#[tokio::test]
async fn links_in_mail_come_from_the_public_url_never_the_host_header() {
    let (app, mail) = spawn_app_with_mail(&["--public-url", "http://auth.example.test:8080"]).await;
    app.create_user("alice", PASSWORD, false).await;
    let browser = app.new_client(None);
    let csrf = app.csrf(&browser, "/password/forgot").await;
    let res = browser
        .post(app.url("/password/forgot"))
        .header("host", "evil.example")
        .header("x-forwarded-host", "evil.example")
        .form(&[("email", "alice@example.com"), ("csrf_token", &csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let letter = mail.one_to(&app, "alice@example.com").await;
    assert!(
        letter
            .link()
            .starts_with("http://auth.example.test:8080/password/reset?token="),
        "{}",
        letter.link()
    );
    assert!(!letter.raw.contains("evil.example"));
    assert!(
        letter.from.ends_with("@auth.example.test"),
        "{}",
        letter.from
    );
}

#[tokio::test]
async fn no_token_from_a_mail_is_stored_or_logged_in_plain_text() {
    let (app, mail) = spawn_app_with_mail(&[]).await;
    app.create_user("alice", PASSWORD, false).await;
    let browser = app.new_client(None);
    register(&app, &browser, "erin", "erin@example.com", None).await;
    forgot(&app, &browser, "alice@example.com").await;
    // Read the queue before it is delivered: sealed.
    let queued = mail_outbox::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap();
    let reset = mail.one_to(&app, "alice@example.com").await;
    let confirm = mail.one_to(&app, "erin@example.com").await;
    let dump = app.dump_database().await;
    let logs = captured_logs();
    for token in [reset.token(), confirm.token()] {
        assert!(
            !dump.contains(&token),
            "a mailed token is stored in plain text"
        );
        assert!(!logs.contains(&token), "a mailed token was logged");
        for row in &queued {
            assert!(!row.message.contains(&token), "a queued mail is not sealed");
        }
    }
    assert!(!queued.is_empty());
}

#[tokio::test]
async fn the_outbox_default_writes_each_mail_as_an_eml_file_and_logs_its_path() {
    let (app, mail) = spawn_app_with_outbox(&[]).await;
    app.create_user("alice", PASSWORD, false).await;
    forgot(&app, &app.new_client(None), "alice@example.com").await;
    let letter = mail.one_to(&app, "alice@example.com").await;
    assert!(letter.link().contains("/password/reset?token="));
    let outbox = app.data_dir.path().join("outbox");
    let files: Vec<_> = std::fs::read_dir(&outbox).unwrap().flatten().collect();
    assert_eq!(files.len(), 1);
    let path = files[0].path();
    assert_eq!(path.extension().and_then(|e| e.to_str()), Some("eml"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "an outbox mail others can read");
    }
    // The sender logs the path once the file is in place: a moment later.
    let logged = async {
        for _ in 0..100 {
            if captured_logs().contains(&path.display().to_string()) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        false
    };
    assert!(logged.await, "the path was not logged");
    assert_eq!(
        mail_outbox::Entity::find()
            .count(&app.state.db)
            .await
            .unwrap(),
        0
    );
}

/// The one queued mail, once a delivery attempt has settled (the server's
/// sender may be trying it right now).
async fn attempted(app: &TestApp) -> mail_outbox::Model {
    for _ in 0..200 {
        pattmayne_auth::mail::queue::deliver_due(&app.state)
            .await
            .unwrap();
        let row = mail_outbox::Entity::find()
            .one(&app.state.db)
            .await
            .unwrap();
        if let Some(row) = row.filter(|r| r.attempts > 0 && r.locked_until.is_none()) {
            return row;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the mail was never tried");
}

#[tokio::test]
async fn a_mail_that_cannot_be_delivered_is_retried_with_backoff_shown_to_the_admin_and_survives_a_restart()
 {
    if !smtp_available() {
        return;
    }
    // Nothing listens on this port yet.
    let port = free_port();
    let (database_url, pg) = crate::helpers::fresh_database_url().await;
    let url = smtp_url(port);
    let app = crate::helpers::spawn_app_on(&database_url, None, &["--smtp-url", &url]).await;
    app.create_user("root", PASSWORD, true).await;
    app.create_user("alice", PASSWORD, false).await;
    forgot(&app, &app.new_client(None), "alice@example.com").await;
    let row = attempted(&app).await;
    assert_eq!(row.attempts, 1);
    assert!(row.last_error.is_some() && !row.failed);
    assert_eq!(row.next_attempt_at, app.state.clock.now() + 60);

    // The admin sees it, and why.
    app.login("root", PASSWORD).await;
    let page = text(app.get("/admin/mail").await).await;
    assert!(
        page.contains("alice@example.com") && page.contains("failed once; next try in 60 seconds"),
        "{page}"
    );

    // The server stops with the mail undelivered; another starts on the
    // same database with the SMTP server up, and a minute later it goes.
    drop(app);
    let server = SmtpServer::start_on(port).await;
    let app = crate::helpers::spawn_app_on(&database_url, None, &["--smtp-url", &url]).await;
    let mail = Mailbox::Smtp(server);
    pattmayne_auth::mail::queue::deliver_due(&app.state)
        .await
        .unwrap();
    assert_eq!(mail.all().len(), 0, "retried before its backoff");
    assert!(app.state.clock.advance(61));
    let letter = mail.one_to(&app, "alice@example.com").await;
    assert!(letter.link().contains("/password/reset?token="));
    assert_eq!(
        mail_outbox::Entity::find()
            .count(&app.state.db)
            .await
            .unwrap(),
        0
    );
    drop(pg);
}

#[tokio::test]
async fn a_plain_smtp_url_never_sends_in_the_clear() {
    if !smtp_available() {
        return;
    }
    // aiosmtpd without TLS: smtp:// (no ?tls=none) requires STARTTLS.
    let server = SmtpServer::start().await;
    let url = format!("smtp://127.0.0.1:{}", server.port);
    let app = crate::helpers::spawn_app_with(&["--smtp-url", &url]).await;
    app.create_user("alice", PASSWORD, false).await;
    forgot(&app, &app.new_client(None), "alice@example.com").await;
    let row = attempted(&app).await;
    assert_eq!(row.attempts, 1, "{row:?}");
    assert!(
        Mailbox::Smtp(server).all().is_empty(),
        "a mail went out without TLS"
    );
}

#[tokio::test]
async fn an_admin_can_mail_a_reset_link_but_never_set_a_password() {
    let (app, mail) = spawn_app_with_mail(&[]).await;
    app.create_user("root", PASSWORD, true).await;
    let alice = app.create_user("alice", PASSWORD, false).await;
    app.login("root", PASSWORD).await;
    let page = text(app.get(&format!("/admin/users/{}", alice.id)).await).await;
    assert!(page.contains("Mail a reset link"));
    assert!(
        !page.contains("name=\"password\""),
        "an admin form that sets a password"
    );
    let csrf = csrf_from(&page);
    let res = app
        .client
        .post(app.url(&format!("/admin/users/{}/send-reset", alice.id)))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let page = text(app.get("/admin/users").await).await;
    assert!(
        page.contains("A link to choose a new password was mailed to alice."),
        "{page}"
    );
    let letter = mail.one_to(&app, "alice@example.com").await;
    assert!(letter.link().contains("/password/reset?token="));
    let audit = text(app.get("/admin/audit").await).await;
    assert!(audit.contains("Mailed a reset link"), "{audit}");
}
