//! Second factors over HTTP: an authenticator app enrolled and used
//! through a whole authorization request, wrong, replayed and drifting
//! codes, recovery codes, removal behind a recent sign-in, `amr`/`acr` in
//! the id_token, `acr_values=mfa` step-up, and the operator's reset.
//! (Passkeys are in `browser.rs`: they need a real browser.)

use pattmayne_auth::domain::clients::TokenAlg;
use pattmayne_auth::entities::{mfa_factor, recovery_code};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::helpers::{PASSWORD, TestApp, TestClient, csrf_from, location_params, pkce_pair, s};
use crate::mailbox::{Mailbox, spawn_app_with_outbox};

async fn text(res: reqwest::Response) -> String {
    res.text().await.unwrap()
}

/// The code an authenticator app shows at `at` for `secret` (base32).
fn code_at(secret: &str, at: i64) -> String {
    let secret = totp_rs::Secret::try_from_base32(secret).unwrap();
    totp_rs::Builder::new()
        .with_secret(secret.as_bytes().to_vec())
        .with_digits(6)
        .with_step_duration(30)
        .build_noncompliant()
        .generate(at as u64)
        .to_string()
}

/// The text of the element with `id` in `html` (a `<code>` or similar).
fn element_text(html: &str, id: &str) -> String {
    let start = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id} in {html}"));
    let rest = &html[start..];
    let open = rest.find('>').unwrap() + 1;
    let close = rest[open..].find('<').unwrap();
    rest[open..open + close].to_owned()
}

/// Adds an authenticator app for the signed-in `browser`: its secret and
/// the recovery codes shown once.
async fn enrol(app: &TestApp, browser: &reqwest::Client) -> (String, Vec<String>) {
    let res = browser
        .get(app.url("/account/security/totp"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{:?}", res.headers().get("location"));
    let page = text(res).await;
    let secret = element_text(&page, "totp-secret");
    let res = browser
        .post(app.url("/account/security/totp"))
        .form(&[
            ("name", "Phone"),
            ("code", &code_at(&secret, app.state.clock.now())),
            ("csrf_token", &csrf_from(&page)),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let page = text(res).await;
    let codes: Vec<String> = page
        .split("<li><code>")
        .skip(1)
        .map(|rest| rest.split('<').next().unwrap().to_owned())
        .collect();
    assert_eq!(codes.len(), 10, "{page}");
    (secret, codes)
}

/// Signs a new browser in with the password: it is then at the second step.
async fn password_step(app: &TestApp, next: Option<&str>) -> reqwest::Client {
    let browser = app.new_client(None);
    let csrf = app.csrf(&browser, "/login").await;
    let mut form = vec![
        ("username", "alice"),
        ("password", PASSWORD),
        ("csrf_token", csrf.as_str()),
    ];
    if let Some(next) = next {
        form.push(("next", next));
    }
    let res = browser
        .post(app.url("/login"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with("/login/factor"), "{location}");
    browser
}

async fn second_step(app: &TestApp, browser: &reqwest::Client, code: &str) -> reqwest::Response {
    let page = text(browser.get(app.url("/login/factor")).send().await.unwrap()).await;
    browser
        .post(app.url("/login/factor"))
        .form(&[("code", code), ("csrf_token", &csrf_from(&page))])
        .send()
        .await
        .unwrap()
}

async fn signed_in(app: &TestApp, browser: &reqwest::Client) -> bool {
    browser
        .get(app.url("/account"))
        .send()
        .await
        .unwrap()
        .status()
        == 200
}

fn id_claims(app: &TestApp, client: &TestClient, tokens: &serde_json::Value) -> serde_json::Value {
    let token = s(tokens, "id_token");
    let payload = token.split('.').nth(1).unwrap();
    let _ = (app, client);
    let bytes =
        base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, payload).unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

#[tokio::test]
async fn an_authenticator_app_is_enrolled_and_then_asked_for_through_a_whole_authorization_request()
{
    let (app, mail) = spawn_app_with_outbox(&[]).await;
    app.create_user("alice", PASSWORD, false).await;
    let game = app.register_client("Game", TokenAlg::RS256).await;
    let browser = app.new_client(None);
    app.login_with(&browser, "alice", PASSWORD).await;

    // The set-up page: the otpauth URI as text and a QR code drawn here.
    let page = text(
        browser
            .get(app.url("/account/security/totp"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let secret = element_text(&page, "totp-secret");
    let uri = element_text(&page, "totp-uri").replace("&amp;", "&");
    assert!(
        uri.starts_with("otpauth://totp/Pattmayne%20Auth:alice?"),
        "{uri}"
    );
    assert!(uri.contains(&format!("secret={secret}")) && uri.contains("issuer=Pattmayne%20Auth"));
    assert!(
        page.contains("<svg") && !page.contains("data:image"),
        "no server-drawn QR code"
    );
    // A wrong first code adds nothing.
    let res = browser
        .post(app.url("/account/security/totp"))
        .form(&[
            ("name", "Phone"),
            ("code", "000000"),
            ("csrf_token", &csrf_from(&page)),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert_eq!(
        mfa_factor::Entity::find()
            .count(&app.state.db)
            .await
            .unwrap(),
        0
    );
    let (secret, codes) = enrol(&app, &browser).await;
    let stored = mfa_factor::Entity::find()
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (stored.kind.as_str(), stored.name.as_str()),
        ("totp", "Phone")
    );
    assert!(
        !stored.secret.contains(&secret),
        "the TOTP secret is stored in plain text"
    );
    let dump = app.dump_database().await;
    for code in &codes {
        assert!(
            !dump.contains(code) && !dump.contains(&code.replace('-', "")),
            "a recovery code in plain text"
        );
    }
    let told = mail.one_to(&app, "alice@example.com").await;
    assert!(
        told.subject.contains("A second factor was added"),
        "{}",
        told.subject
    );

    // A player from the game: password, then the code; the request survives.
    let (verifier, challenge) = pkce_pair();
    let authorize = app.authorize_path(&game, &challenge, &[("scope", "openid")]);
    let player = password_step(&app, Some(&authorize)).await;
    assert!(
        !signed_in(&app, &player).await,
        "signed in on the password alone"
    );
    let page = text(player.get(app.url("/login/factor")).send().await.unwrap()).await;
    assert!(
        page.contains("One more step") && page.contains("On your way to Game"),
        "{page}"
    );
    let res = second_step(&app, &player, "123456").await;
    assert_eq!(res.status(), 200);
    assert!(text(res).await.contains("That code did not work."));
    // The code used to enrol was this step's: it does not work twice.
    let res = second_step(&app, &player, &code_at(&secret, app.state.clock.now())).await;
    assert_eq!(res.status(), 200, "a code was accepted twice");
    assert!(app.state.clock.advance(30));
    let code = code_at(&secret, app.state.clock.now());
    let res = second_step(&app, &player, &code).await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"].to_str().unwrap(), authorize);
    let res = player.get(app.url(&authorize)).send().await.unwrap();
    let tokens = app
        .exchange(&game, &location_params(&res)["code"], &verifier)
        .await;
    let claims = id_claims(&app, &game, &tokens);
    assert_eq!(claims["amr"], serde_json::json!(["pwd", "otp", "mfa"]));
    assert_eq!(claims["acr"], "mfa");
    assert_eq!(claims["auth_time"], app.state.clock.now());

    // The same code in another browser, still within its step: refused.
    let other = password_step(&app, None).await;
    let res = second_step(&app, &other, &code).await;
    assert_eq!(res.status(), 200);
    assert!(!signed_in(&app, &other).await, "a replayed code signed in");
    // One step of drift either way is accepted; two is not.
    assert!(app.state.clock.advance(30));
    let res = second_step(&app, &other, &code_at(&secret, app.state.clock.now() + 60)).await;
    assert_eq!(res.status(), 200, "a code two steps ahead was accepted");
    let res = second_step(&app, &other, &code_at(&secret, app.state.clock.now() + 30)).await;
    assert_eq!(res.status(), 303, "a code one step ahead was refused");
    assert!(signed_in(&app, &other).await);
}

#[tokio::test]
async fn a_recovery_code_signs_in_once_and_the_person_is_told() {
    let (app, mail) = spawn_app_with_outbox(&[]).await;
    app.create_user("alice", PASSWORD, false).await;
    let browser = app.new_client(None);
    app.login_with(&browser, "alice", PASSWORD).await;
    let (_, codes) = enrol(&app, &browser).await;
    let lost_phone = password_step(&app, None).await;
    // Typed with spaces and in capitals, as people do.
    let typed = codes[3].to_uppercase().replace('-', " ");
    assert_eq!(second_step(&app, &lost_phone, &typed).await.status(), 303);
    assert!(signed_in(&app, &lost_phone).await);
    assert_eq!(
        recovery_code::Entity::find()
            .count(&app.state.db)
            .await
            .unwrap(),
        9
    );
    let again = password_step(&app, None).await;
    assert_eq!(
        second_step(&app, &again, &codes[3]).await.status(),
        200,
        "a recovery code worked twice"
    );
    let mails = mail.wait_for(&app, "alice@example.com", 2).await;
    assert!(
        mails[1].subject.contains("A recovery code was used"),
        "{}",
        mails[1].subject
    );
    assert!(mails[1].text.contains("9 are left"), "{}", mails[1].text);
    // New codes void the old ones.
    let page = text(
        lost_phone
            .get(app.url("/account/security"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(page.contains("9 recovery codes left."));
    let res = lost_phone
        .post(app.url("/account/security/recovery-codes"))
        .form(&[("csrf_token", csrf_from(&page))])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(text(res).await.matches("<li><code>").count(), 10);
    let later = password_step(&app, None).await;
    assert_eq!(
        second_step(&app, &later, &codes[4]).await.status(),
        200,
        "an old code outlived new ones"
    );
}

#[tokio::test]
async fn wrong_codes_count_like_wrong_passwords() {
    let (app, _mail) = spawn_app_with_outbox(&["--login-max-failures", "3"]).await;
    app.create_user("alice", PASSWORD, false).await;
    let browser = app.new_client(None);
    app.login_with(&browser, "alice", PASSWORD).await;
    enrol(&app, &browser).await;
    let guesser = password_step(&app, None).await;
    let mut pages = Vec::new();
    for _ in 0..3 {
        pages.push(text(second_step(&app, &guesser, "111111").await).await);
    }
    assert!(
        pages[1].contains("One more failed sign-in from your network will pause"),
        "{}",
        pages[1]
    );
    assert!(
        pages[2].contains("signing in from it is paused for 15 minutes"),
        "{}",
        pages[2]
    );
    // Paused: even the password step is refused now.
    let csrf = app.csrf(&app.new_client(None), "/login").await;
    let _ = csrf;
    assert_eq!(
        app.login_with(&app.new_client(None), "alice", PASSWORD)
            .await
            .status(),
        429
    );
}

#[tokio::test]
async fn removing_a_factor_needs_a_recent_sign_in_and_takes_the_recovery_codes_with_the_last() {
    let (app, mail) = spawn_app_with_outbox(&[]).await;
    app.create_user("alice", PASSWORD, false).await;
    let browser = app.new_client(None);
    app.login_with(&browser, "alice", PASSWORD).await;
    let (secret, _) = enrol(&app, &browser).await;
    let factor = mfa_factor::Entity::find()
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert!(app.state.clock.advance(301));
    let page = text(
        browser
            .get(app.url("/account/security"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let remove = format!("/account/security/factors/{}/remove", factor.id);
    let res = browser
        .post(app.url(&remove))
        .form(&[("csrf_token", csrf_from(&page))])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with("/login?next=") && location.contains("reauth=1"),
        "{location}"
    );
    assert_eq!(
        mfa_factor::Entity::find()
            .count(&app.state.db)
            .await
            .unwrap(),
        1
    );
    // Signing in again: password, then the code.
    let csrf = app.csrf(&browser, &location).await;
    let res = browser
        .post(app.url("/login"))
        .form(&[
            ("username", "alice"),
            ("password", PASSWORD),
            ("csrf_token", &csrf),
            ("next", "/account/security"),
        ])
        .send()
        .await
        .unwrap();
    assert!(
        res.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/login/factor")
    );
    let res = second_step(&app, &browser, &code_at(&secret, app.state.clock.now())).await;
    assert_eq!(res.status(), 303);
    let page = text(
        browser
            .get(app.url("/account/security"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let res = browser
        .post(app.url(&remove))
        .form(&[("csrf_token", csrf_from(&page))])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/account/security");
    assert_eq!(
        mfa_factor::Entity::find()
            .count(&app.state.db)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        recovery_code::Entity::find()
            .count(&app.state.db)
            .await
            .unwrap(),
        0
    );
    let mails = mail.wait_for(&app, "alice@example.com", 2).await;
    assert!(mails[1].subject.contains("removed"), "{}", mails[1].subject);
    // The password alone signs in again.
    assert_eq!(
        app.login_with(&app.new_client(None), "alice", PASSWORD)
            .await
            .headers()["location"],
        "/account"
    );
}

#[tokio::test]
async fn a_client_site_asking_for_acr_mfa_gets_a_step_up_or_is_told_there_is_none() {
    let (app, _mail) = spawn_app_with_outbox(&[]).await;
    app.create_user("alice", PASSWORD, false).await;
    let game = app.register_client("Game", TokenAlg::RS256).await;
    let browser = app.new_client(None);
    app.login_with(&browser, "alice", PASSWORD).await;
    let (verifier, challenge) = pkce_pair();
    let authorize = app.authorize_path(
        &game,
        &challenge,
        &[("scope", "openid"), ("acr_values", "mfa")],
    );
    // No second factor yet: prompt=none says login_required; otherwise a page says why.
    let silent = app.authorize_path(
        &game,
        &challenge,
        &[("acr_values", "mfa"), ("prompt", "none")],
    );
    let res = browser.get(app.url(&silent)).send().await.unwrap();
    assert_eq!(location_params(&res)["error"], "login_required");
    let res = browser.get(app.url(&authorize)).send().await.unwrap();
    assert_eq!(res.status(), 403);
    let page = text(res).await;
    assert!(
        page.contains("Game asks for a sign-in with a second factor"),
        "{page}"
    );
    assert!(page.contains("href=\"/account/security\"") && page.contains("Back to Game"));

    // With one, the password session steps up with a code and goes on.
    let (secret, _) = enrol(&app, &browser).await;
    assert!(app.state.clock.advance(30));
    let res = browser.get(app.url(&authorize)).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert!(
        res.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/login/factor?next=")
    );
    let res = second_step(&app, &browser, &code_at(&secret, app.state.clock.now())).await;
    assert_eq!(res.headers()["location"].to_str().unwrap(), authorize);
    let res = browser.get(app.url(&authorize)).send().await.unwrap();
    let tokens = app
        .exchange(&game, &location_params(&res)["code"], &verifier)
        .await;
    assert_eq!(id_claims(&app, &game, &tokens)["acr"], "mfa");
    // Without acr_values, a password-only sign-in says so.
    let other = app.register_client("Other", TokenAlg::RS256).await;
    let (verifier, challenge) = pkce_pair();
    app.create_user("bob", PASSWORD, false).await;
    let bob = app.new_client(None);
    app.login_with(&bob, "bob", PASSWORD).await;
    let res = bob
        .get(app.url(&app.authorize_path(&other, &challenge, &[("scope", "openid")])))
        .send()
        .await
        .unwrap();
    let tokens = app
        .exchange(&other, &location_params(&res)["code"], &verifier)
        .await;
    let claims = id_claims(&app, &other, &tokens);
    assert_eq!(claims["amr"], serde_json::json!(["pwd"]));
    assert_eq!(claims["acr"], "pwd");
}

#[tokio::test]
async fn a_pending_second_step_expires() {
    let (app, _mail) = spawn_app_with_outbox(&[]).await;
    app.create_user("alice", PASSWORD, false).await;
    let browser = app.new_client(None);
    app.login_with(&browser, "alice", PASSWORD).await;
    let (secret, _) = enrol(&app, &browser).await;
    let waiting = password_step(&app, None).await;
    assert!(app.state.clock.advance(601));
    let res = waiting.get(app.url("/login/factor")).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/login");
    let csrf = app.csrf(&waiting, "/login").await;
    let res = waiting
        .post(app.url("/login/factor"))
        .form(&[
            ("code", code_at(&secret, app.state.clock.now())),
            ("csrf_token", csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["location"], "/login");
    assert!(!signed_in(&app, &waiting).await);
}

#[tokio::test]
async fn an_operator_can_remove_the_second_factors_of_someone_who_lost_them() {
    let (app, mail) = spawn_app_with_outbox(&[]).await;
    app.create_user("root", PASSWORD, true).await;
    let alice = app.create_user("alice", PASSWORD, false).await;
    let browser = app.new_client(None);
    app.login_with(&browser, "alice", PASSWORD).await;
    enrol(&app, &browser).await;
    app.login("root", PASSWORD).await;
    let page = text(app.get(&format!("/admin/users/{}", alice.id)).await).await;
    assert!(page.contains("Phone (authenticator app)"), "{page}");
    let confirm = text(
        app.get(&format!("/admin/users/{}/remove-factors", alice.id))
            .await,
    )
    .await;
    assert!(
        confirm.contains("Remove this person&#x27;s second factors?"),
        "{confirm}"
    );
    assert!(
        confirm
            .contains("The authenticator apps, passkeys and recovery codes of alice stop working")
    );
    let res = app
        .client
        .post(app.url(&format!("/admin/users/{}/remove-factors", alice.id)))
        .form(&[("csrf_token", csrf_from(&confirm))])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(
        mfa_factor::Entity::find()
            .filter(mfa_factor::Column::UserId.eq(alice.id.as_str()))
            .count(&app.state.db)
            .await
            .unwrap(),
        0
    );
    let mails = Mailbox::wait_for(&mail, &app, "alice@example.com", 2).await;
    assert!(
        mails[1].subject.contains("were removed"),
        "{}",
        mails[1].subject
    );
    assert!(
        text(app.get("/admin/audit").await)
            .await
            .contains("Removed second factors")
    );
    assert_eq!(
        app.login_with(&app.new_client(None), "alice", PASSWORD)
            .await
            .headers()["location"],
        "/account"
    );
}
