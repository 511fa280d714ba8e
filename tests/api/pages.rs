//! The hosted pages as people meet them: the site they are on their way
//! to, a way back from every dead end, forms that forgive, notices after
//! admin actions, branding, and two languages.

use pattmayne_auth::domain::clients::TokenAlg;
use pattmayne_auth::entities::{audit_log, user};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::helpers::{
    PASSWORD, TestApp, TestClient, csrf_from, pkce_pair, spawn_app, spawn_app_with,
};

/// A PNG of 1 × 1 pixel.
const TINY_PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0,
    0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99, 0x3d, 0x1d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

async fn text(res: reqwest::Response) -> String {
    res.text().await.unwrap()
}

/// The login page a browser is sent to by an authorization request of
/// `client`: (its URL, its HTML).
async fn login_from_authorize(
    app: &TestApp,
    browser: &reqwest::Client,
    client: &TestClient,
) -> (String, String) {
    let (_, challenge) = pkce_pair();
    let res = browser
        .get(app.url(&app.authorize_path(client, &challenge, &[])))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let login = res.headers()["location"].to_str().unwrap().to_owned();
    let page = text(browser.get(app.url(&login)).send().await.unwrap()).await;
    (login, page)
}

fn next_of(login: &str) -> String {
    url::Url::parse(&format!("http://x{login}"))
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "next")
        .map(|(_, v)| v.into_owned())
        .unwrap()
}

#[tokio::test]
async fn the_login_page_names_the_site_and_leads_back_to_it() {
    let app = spawn_app().await;
    let game = app.register_client("Space Game", TokenAlg::HS256).await;
    let browser = app.new_client(None);
    let (_, page) = login_from_authorize(&app, &browser, &game).await;
    assert!(
        page.contains("<title>Sign in to Space Game · Pattmayne Auth</title>"),
        "{page}"
    );
    assert!(page.contains("<h1 id=\"login-title\">Sign in to Space Game</h1>"));
    assert!(page.contains("On your way to Space Game"));
    // Back: to the registered redirect URI, saying the person turned back.
    let back = page
        .split("class=\"back-to-site\"><a href=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a way back")
        .replace("&amp;", "&");
    let back = url::Url::parse(&back).unwrap();
    assert!(back.as_str().starts_with(&game.redirect_uri), "{back}");
    let params: std::collections::HashMap<_, _> = back.query_pairs().into_owned().collect();
    assert_eq!(params["error"], "access_denied");
    assert_eq!(params["state"], "xyz-state");
    assert_eq!(params["iss"], app.state.config.issuer);
    assert!(page.contains("Back to Space Game"));

    // The registration page the login links to names it too.
    let register = page
        .split("href=\"/register?next=")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    let page = text(
        browser
            .get(app.url(&format!("/register?next={register}")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(page.contains("Create an account for Space Game"));

    // A forged redirect_uri names no site and leads nowhere.
    let forged = "/oauth2/authorize?client_id=".to_owned()
        + &game.client_id
        + "&redirect_uri=https%3A%2F%2Fevil.example%2Fcb&response_type=code";
    let page = text(
        browser
            .get(app.url(&format!(
                "/login?next={}",
                url::form_urlencoded::byte_serialize(forged.as_bytes()).collect::<String>()
            )))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(
        !page.contains("Space Game") && !page.contains("Back to"),
        "{page}"
    );
}

#[tokio::test]
async fn a_stale_sign_in_form_comes_back_fresh_and_keeps_the_pending_request() {
    let app = spawn_app().await;
    app.create_user("alice", PASSWORD, false).await;
    let game = app.register_client("Space Game", TokenAlg::HS256).await;
    let browser = app.new_client(None);
    let (login, _) = login_from_authorize(&app, &browser, &game).await;
    let next = next_of(&login);
    let res = browser
        .post(app.url("/login"))
        .form(&[
            ("username", "alice"),
            ("password", PASSWORD),
            ("csrf_token", "went-stale"),
            ("next", next.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let page = text(res).await;
    assert!(page.contains("This form was open too long"), "{page}");
    assert!(page.contains("value=\"alice\""));
    assert!(page.contains("Sign in to Space Game"));
    // The fresh form goes on to the pending request.
    let res = browser
        .post(app.url("/login"))
        .form(&[
            ("username", "alice"),
            ("password", PASSWORD),
            ("csrf_token", csrf_from(&page).as_str()),
            ("next", next.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"].to_str().unwrap(), next);
}

#[tokio::test]
async fn blank_sign_in_forms_count_for_nothing_and_the_last_chance_is_announced() {
    let app = spawn_app_with(&["--login-max-failures", "3"]).await;
    app.create_user("alice", PASSWORD, false).await;
    let browser = app.new_client(None);
    for (username, password) in [("", ""), ("alice", ""), ("", "x"), ("   ", "secret")] {
        for _ in 0..3 {
            let csrf = app.csrf(&browser, "/login").await;
            let res = browser
                .post(app.url("/login"))
                .form(&[
                    ("username", username),
                    ("password", password),
                    ("csrf_token", &csrf),
                ])
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 422);
            assert!(
                text(res)
                    .await
                    .contains("Enter your username or email and your password.")
            );
        }
    }
    let hashes = app.state.passwords.computed();
    assert_eq!(
        app.login_with(&browser, "alice", PASSWORD).await.status(),
        303
    );
    assert_eq!(app.state.passwords.computed(), hashes + 1);

    // Failures: the one before the suspension warns, the next suspends.
    let guesser = app.new_client(Some("127.0.0.2".parse().unwrap()));
    let page = text(app.login_with(&guesser, "alice", "wrong").await).await;
    assert!(page.contains("Wrong username or password.") && !page.contains("One more"));
    let page = text(app.login_with(&guesser, "alice", "wrong").await).await;
    assert!(
        page.contains(
            "One more failed sign-in from your network will pause sign-ins from it for 15 minutes."
        ),
        "{page}"
    );
    let res = app.login_with(&guesser, "alice", "wrong").await;
    assert_eq!(res.status(), 200);
    assert!(text(res).await.contains("paused for 15 minutes"));
    let res = app.login_with(&guesser, "alice", PASSWORD).await;
    assert_eq!(res.status(), 429);
}

#[tokio::test]
async fn every_error_page_offers_a_way_back_and_says_who_is_signed_in() {
    let app = spawn_app_with(&["--login-max-failures", "1"]).await;
    app.create_user("alice", PASSWORD, false).await;
    let game = app.register_client("Space Game", TokenAlg::HS256).await;
    // Anonymous: start page and sign-in.
    let page = text(app.get("/no-such-page").await).await;
    assert!(
        page.contains("href=\"/\">Go to the start page")
            && page.contains("href=\"/login\">Sign in")
    );
    // Signed in: the header says so, and the way back is the account.
    app.login("alice", PASSWORD).await;
    let page = text(app.get("/no-such-page").await).await;
    assert!(
        page.contains("href=\"/account\">alice</a>") && page.contains("Go to your account"),
        "{page}"
    );
    assert!(!page.contains(">Sign in</a>"));
    // Suspended on the way to a site: back to the site.
    let browser = app.new_client(Some("127.0.0.2".parse().unwrap()));
    let (login, _) = login_from_authorize(&app, &browser, &game).await;
    let next = next_of(&login);
    let csrf = app.csrf(&browser, &login).await;
    browser
        .post(app.url("/login"))
        .form(&[
            ("username", "alice"),
            ("password", "wrong"),
            ("csrf_token", &csrf),
            ("next", &next),
        ])
        .send()
        .await
        .unwrap();
    let csrf = app.csrf(&browser, &login).await;
    let res = browser
        .post(app.url("/login"))
        .form(&[
            ("username", "alice"),
            ("password", PASSWORD),
            ("csrf_token", &csrf),
            ("next", &next),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429);
    let page = text(res).await;
    assert!(
        page.contains("Please wait a little") && page.contains("You can try again in 15 minutes.")
    );
    assert!(page.contains("Back to Space Game"), "{page}");
    // The unknown-client page cannot lead back to a site it does not know.
    let page = text(
        app.get("/oauth2/authorize?client_id=nope&redirect_uri=https%3A%2F%2Fx.example%2F")
            .await,
    )
    .await;
    assert!(page.contains("Go to the start page") && !page.contains("Back to"));
}

#[tokio::test]
async fn pages_speak_the_visitors_language_and_remember_a_choice() {
    let app = spawn_app().await;
    app.create_user("alice", PASSWORD, false).await;
    let german = |path: &str| {
        app.client
            .get(app.url(path))
            .header("accept-language", "de-AT,de;q=0.9,en;q=0.5")
            .send()
    };
    let page = text(german("/login").await.unwrap()).await;
    assert!(
        page.contains("<html lang=\"de\">") && page.contains(">Anmelden</h1>"),
        "{page}"
    );
    assert!(page.contains("Benutzername oder E-Mail"));
    let page = text(german("/no-such-page").await.unwrap()).await;
    assert!(page.contains("Seite nicht gefunden"), "{page}");
    // Wrong credentials, in German.
    let browser = app.new_client(None);
    let csrf = app.csrf(&browser, "/login").await;
    let page = text(
        browser
            .post(app.url("/login"))
            .header("accept-language", "de")
            .form(&[
                ("username", "alice"),
                ("password", "falsch"),
                ("csrf_token", &csrf),
            ])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(
        page.contains("Falscher Benutzername oder falsches Passwort."),
        "{page}"
    );
    // The footer's link sets the choice, and it wins over the browser's.
    let res = app
        .client
        .get(app.url("/language/en?next=%2Flogin"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/login");
    let page = text(german("/login").await.unwrap()).await;
    assert!(page.contains("<html lang=\"en\">") && page.contains(">Sign in</h1>"));
    assert_eq!(app.get("/language/xx").await.status(), 404);
    let res = app
        .client
        .get(app.url("/language/de?next=https%3A%2F%2Fevil.example"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["location"], "/");
}

async fn admin_app() -> (TestApp, user::Model) {
    let app = spawn_app().await;
    let root = app.create_user("root", PASSWORD, true).await;
    app.login("root", PASSWORD).await;
    (app, root)
}

async fn post(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let csrf = app.csrf(&app.client, "/account").await;
    let mut form = fields.to_vec();
    form.push(("csrf_token", &csrf));
    app.client
        .post(app.url(path))
        .form(&form)
        .send()
        .await
        .unwrap()
}

/// The text of the notice region of a page.
fn notice(page: &str) -> String {
    page.split("id=\"notice\">")
        .nth(1)
        .and_then(|rest| rest.split("</div>").next())
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn admin_actions_leave_a_notice_and_granting_admin_asks_first() {
    let (app, _) = admin_app().await;
    let bob = app.create_user("bob", PASSWORD, false).await;
    let game = app.register_client("Space Game", TokenAlg::HS256).await;
    let path = format!("/admin/clients/{}/disable", game.client_id);
    let res = post(&app, &path, &[]).await;
    assert_eq!(res.status(), 303);
    let page = text(app.get(res.headers()["location"].to_str().unwrap()).await).await;
    assert!(notice(&page).contains("Space Game was disabled."), "{page}");
    assert!(page.contains("role=\"status\""));
    // Shown once.
    let page = text(app.get(&format!("/admin/clients/{}", game.client_id)).await).await;
    assert!(!notice(&page).contains("disabled"));

    // Making an admin goes through a confirmation, like removing one.
    let page = text(
        app.get(&format!("/admin/users/{}/grant-admin", bob.id))
            .await,
    )
    .await;
    assert!(page.contains("Make this person an admin?") && page.contains("id=\"confirm\""));
    assert!(
        !user::Entity::find_by_id(bob.id.clone())
            .one(&app.state.db)
            .await
            .unwrap()
            .unwrap()
            .is_admin
    );
    let res = post(&app, &format!("/admin/users/{}/grant-admin", bob.id), &[]).await;
    let page = text(app.get(res.headers()["location"].to_str().unwrap()).await).await;
    assert!(notice(&page).contains("bob is now an admin."));

    let res = post(&app, "/admin/suspensions/lift", &[("ip", "192.0.2.1")]).await;
    assert_eq!(
        res.status(),
        404,
        "lifting what is not suspended is refused"
    );
}

#[tokio::test]
async fn the_admin_user_page_shows_sessions_and_the_audit_log_reads_as_words() {
    let (app, _) = admin_app().await;
    let alice = app.create_user("alice", PASSWORD, false).await;
    let game = app.register_client("Space Game", TokenAlg::HS256).await;
    app.sign_in_and_get_tokens("alice", PASSWORD, &game).await;
    let page = text(app.get(&format!("/admin/users/{}", alice.id)).await).await;
    assert!(page.contains("<h1 id=\"user-title\">alice"), "{page}");
    assert!(page.contains("Space Game") && page.contains("127.0.0.1"));
    assert!(
        page.contains("Signed in"),
        "the audit entries read as words"
    );
    let page = text(app.get("/admin/audit").await).await;
    // In words, the account acted on by name and linked, no action codes.
    assert!(page.contains("Signed in</td>"), "{page}");
    assert!(
        page.contains(&format!("<a href=\"/admin/users/{}\">alice</a>", alice.id)),
        "{page}"
    );
    assert!(!page.contains("security.sign_in<"), "{page}");
    assert_eq!(app.get("/admin/users/nobody").await.status(), 404);
}

#[tokio::test]
async fn the_credentials_page_has_everything_a_site_needs() {
    let (app, _) = admin_app().await;
    let res = post(
        &app,
        "/admin/clients",
        &[
            ("name", "Space Game"),
            ("redirect_uris", "https://space.example/auth/callback"),
            ("token_alg", "HS256"),
        ],
    )
    .await;
    assert_eq!(res.status(), 303);
    let page = text(app.get(res.headers()["location"].to_str().unwrap()).await).await;
    let issuer = &app.state.config.issuer;
    for needle in [
        format!("<code>{issuer}</code>"),
        format!("{issuer}/.well-known/openid-configuration"),
        format!("{issuer}/oauth2/authorize"),
        format!("{issuer}/oauth2/token"),
        "https://space.example/auth/callback".to_owned(),
        "AUTH_CLIENT_SECRET=".to_owned(),
        "AUTH_JWT_SECRET=".to_owned(),
        "id=\"env-file\"".to_owned(),
        "href=\"https://space.example\"".to_owned(),
        "Space Game was added.".to_owned(),
    ] {
        assert!(page.contains(&needle), "no {needle} in {page}");
    }
}

#[tokio::test]
async fn client_forms_report_every_bad_field_next_to_it() {
    let (app, _) = admin_app().await;
    let res = post(
        &app,
        "/admin/clients",
        &[
            ("name", ""),
            (
                "redirect_uris",
                "http://evil.example/cb\nnot a url\nhttps://ok.example/cb#frag",
            ),
            ("token_alg", "HS256"),
            ("accent_color", "#ffee00"),
        ],
    )
    .await;
    assert_eq!(res.status(), 422);
    let page = text(res).await;
    assert!(page.contains("id=\"name-error\">Give the site a name of 1 to 100 characters."));
    let uris = page.split("id=\"redirect_uris-error\">").nth(1).unwrap();
    assert!(
        uris.contains("uses plain http")
            && uris.contains("contains spaces")
            && uris.contains("fragment")
    );
    assert!(page.contains("aria-describedby=\"redirect-hint redirect_uris-error\""));
    assert!(
        page.contains("id=\"accent_color-error\">White text on #ffee00 has a contrast of"),
        "{page}"
    );
    assert_eq!(
        pattmayne_auth::entities::client::Entity::find()
            .count(&app.state.db)
            .await
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn a_client_sites_logo_and_colour_show_on_its_sign_in_page() {
    let (app, _) = admin_app().await;
    let game = app.register_client("Space Game", TokenAlg::HS256).await;
    let csrf = app.csrf(&app.client, "/account").await;
    let upload = |bytes: &[u8], accent: &str| {
        let form = reqwest::multipart::Form::new()
            .text("name", "Space Game")
            .text("redirect_uris", game.redirect_uri.clone())
            .text("accent_color", accent.to_owned())
            .text("csrf_token", csrf.clone())
            .part(
                "logo",
                reqwest::multipart::Part::bytes(bytes.to_vec()).file_name("logo.png"),
            );
        app.client
            .post(app.url(&format!("/admin/clients/{}", game.client_id)))
            .multipart(form)
            .send()
    };
    let res = upload(b"GIF89a not a png", "#1d4ed8").await.unwrap();
    assert_eq!(res.status(), 422);
    assert!(
        text(res)
            .await
            .contains("The logo must be a PNG, JPEG or WebP image.")
    );
    let res = upload(TINY_PNG, "#1d4ed8").await.unwrap();
    assert_eq!(res.status(), 303);

    let logo = app
        .get(&format!("/branding/clients/{}/logo", game.client_id))
        .await;
    assert_eq!(logo.headers()["content-type"], "image/png");
    let etag = logo.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(logo.bytes().await.unwrap().as_ref(), TINY_PNG);
    let again = app
        .client
        .get(app.url(&format!("/branding/clients/{}/logo", game.client_id)))
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    let css = text(
        app.get(&format!("/branding/clients/{}/style.css", game.client_id))
            .await,
    )
    .await;
    assert!(css.contains("--button: #1d4ed8"));

    let browser = app.new_client(None);
    let (_, page) = login_from_authorize(&app, &browser, &game).await;
    assert!(page.contains(&format!(
        "src=\"/branding/clients/{}/logo?v=",
        game.client_id
    )));
    // The colour in the stylesheet's URL: a new colour shows at once.
    assert!(page.contains(&format!(
        "href=\"/branding/clients/{}/style.css?c=1d4ed8\"",
        game.client_id
    )));
    let branded = audit_log::Entity::find()
        .filter(audit_log::Column::Details.contains("image/png"))
        .count(&app.state.db)
        .await
        .unwrap();
    assert_eq!(branded, 1, "branding is audited");
    let favicon = app.get("/favicon.ico").await;
    assert_eq!(favicon.status(), 200);
    assert_eq!(favicon.headers()["content-type"], "image/svg+xml");
}

#[tokio::test]
async fn the_server_has_its_own_name_and_logo() {
    let dir = crate::helpers::TempDir::new("pattmayne-logo");
    let file = dir.path().join("logo.png");
    std::fs::write(&file, TINY_PNG).unwrap();
    let app = spawn_app_with(&[
        "--site-name",
        "Arcade Login",
        "--site-logo-file",
        file.to_str().unwrap(),
    ])
    .await;
    let page = text(app.get("/").await).await;
    assert!(page.contains("Arcade Login") && page.contains("src=\"/branding/logo\""));
    assert!(!page.contains("Pattmayne Auth"));
    let logo = app.get("/branding/logo").await;
    assert_eq!(logo.headers()["content-type"], "image/png");
}
