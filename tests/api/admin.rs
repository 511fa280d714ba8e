//! The admin pages: each action, and each refusal (anonymous, non-admin,
//! missing CSRF, bad input, unknown ids).

use pattmayne_auth::domain::clients::TokenAlg;
use pattmayne_auth::entities::{audit_log, client, refresh_token, user};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::helpers::{PASSWORD, TestApp, csrf_from, spawn_app};

async fn admin_app() -> (TestApp, user::Model) {
    let app = spawn_app().await;
    let admin = app.create_user("root", PASSWORD, true).await;
    app.login("root", PASSWORD).await;
    (app, admin)
}

async fn post_form(
    app: &TestApp,
    browser: &reqwest::Client,
    path: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let csrf = app.csrf(browser, "/account").await;
    let mut form: Vec<(&str, &str)> = fields.to_vec();
    form.push(("csrf_token", &csrf));
    browser
        .post(app.url(path))
        .form(&form)
        .send()
        .await
        .unwrap()
}

fn between<'a>(html: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let i = html.find(start)? + start.len();
    let j = html[i..].find(end)? + i;
    Some(&html[i..j])
}

/// Adds a client through the form; returns (client_id, client_secret, jwt_secret).
async fn add_client(
    app: &TestApp,
    name: &str,
    uris: &str,
    alg: &str,
) -> (String, String, Option<String>) {
    let res = post_form(
        app,
        &app.client,
        "/admin/clients",
        &[("name", name), ("redirect_uris", uris), ("token_alg", alg)],
    )
    .await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let page = app.get(&location).await.text().await.unwrap();
    let id = between(&page, "id=\"client-id\">", "<")
        .expect("client id shown")
        .to_owned();
    let secret = between(&page, "id=\"client-secret\">", "<")
        .expect("secret shown")
        .to_owned();
    let jwt = between(&page, "id=\"jwt-secret\">", "<").map(str::to_owned);
    (id, secret, jwt)
}

#[tokio::test]
async fn anonymous_visitors_go_to_the_login_and_non_admins_get_403() {
    let app = spawn_app().await;
    app.create_user("alice", PASSWORD, false).await;
    for path in [
        "/admin/clients",
        "/admin/users",
        "/admin/suspensions",
        "/admin/audit",
        "/admin/clients/new",
    ] {
        let res = app.get(path).await;
        assert_eq!(res.status(), 303, "{path}");
        assert!(
            res.headers()["location"]
                .to_str()
                .unwrap()
                .starts_with("/login?next=%2Fadmin")
        );
    }
    app.login("alice", PASSWORD).await;
    for path in [
        "/admin/clients",
        "/admin/users",
        "/admin/suspensions",
        "/admin/audit",
        "/admin/clients/new",
    ] {
        let res = app.get(path).await;
        assert_eq!(res.status(), 403, "{path}");
        assert!(
            res.text()
                .await
                .unwrap()
                .contains("This page is for administrators.")
        );
    }
    // Nor can a non-admin change anything by posting directly.
    let target = app.register_client("Game", TokenAlg::HS256).await;
    let alice_id = user::Entity::find()
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap()
        .id;
    for (path, fields) in [
        (
            "/admin/clients".to_owned(),
            vec![
                ("name", "X"),
                ("redirect_uris", "https://x.example/cb"),
                ("token_alg", "HS256"),
            ],
        ),
        (
            format!("/admin/clients/{}/delete", target.client_id),
            vec![],
        ),
        (
            format!("/admin/clients/{}/disable", target.client_id),
            vec![],
        ),
        (
            format!("/admin/clients/{}/rotate-secret", target.client_id),
            vec![],
        ),
        (format!("/admin/users/{alice_id}/grant-admin"), vec![]),
    ] {
        let res = post_form(&app, &app.client, &path, &fields).await;
        assert_eq!(res.status(), 403, "{path}");
    }
    assert_eq!(
        client::Entity::find().count(&app.state.db).await.unwrap(),
        1
    );
    let c = client::Entity::find()
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert!(c.enabled);
    assert!(
        !user::Entity::find()
            .one(&app.state.db)
            .await
            .unwrap()
            .unwrap()
            .is_admin
    );
    assert_eq!(
        audit_log::Entity::find()
            .filter(audit_log::Column::Action.not_like("security.%"))
            .count(&app.state.db)
            .await
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn adding_a_client_shows_its_secrets_once_and_they_work() {
    let (app, _) = admin_app().await;
    let (id, secret, jwt) = add_client(
        &app,
        "Space Game",
        "https://space.example/cb\nhttp://localhost:3000/cb",
        "HS256",
    )
    .await;
    assert!(secret.len() >= 43 && jwt.as_deref().is_some_and(|j| j.len() >= 43));
    // Shown once: a second look shows nothing secret.
    let again = app
        .get(&format!("/admin/clients/{id}/created"))
        .await
        .text()
        .await
        .unwrap();
    assert!(!again.contains(&secret));
    assert!(again.contains("Credentials no longer shown"));
    // And never stored in plain text, not even in the session on the way.
    let dump = app.dump_database().await;
    assert!(!dump.contains(&secret) && !dump.contains(jwt.as_deref().unwrap()));
    // The list shows the site.
    let list = app.get("/admin/clients").await.text().await.unwrap();
    assert!(
        list.contains("Space Game")
            && list.contains(&id)
            && list.contains("https://space.example/cb")
    );
    // The secret authenticates the site at the API.
    let res = app
        .client
        .post(app.url("/oauth2/revoke"))
        .basic_auth(&id, Some(&secret))
        .form(&[("token", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn bad_client_forms_are_refused_with_a_message() {
    let (app, _) = admin_app().await;
    for (uris, message) in [
        ("/relative/cb", "is not an absolute URL"),
        ("https://x.example/cb#frag", "fragment"),
        ("javascript:alert(1)", "must be an http(s) URL"),
        ("http://x.example/cb", "plain http"),
        ("", "at least one redirect URI"),
    ] {
        let res = post_form(
            &app,
            &app.client,
            "/admin/clients",
            &[
                ("name", "X"),
                ("redirect_uris", uris),
                ("token_alg", "HS256"),
            ],
        )
        .await;
        assert_eq!(res.status(), 422, "{uris}");
        assert!(res.text().await.unwrap().contains(message), "{uris}");
    }
    let res = post_form(
        &app,
        &app.client,
        "/admin/clients",
        &[
            ("name", ""),
            ("redirect_uris", "https://x.example/cb"),
            ("token_alg", "HS256"),
        ],
    )
    .await;
    assert_eq!(res.status(), 422);
    let res = post_form(
        &app,
        &app.client,
        "/admin/clients",
        &[
            ("name", "X"),
            ("redirect_uris", "https://x.example/cb"),
            ("token_alg", "none"),
        ],
    )
    .await;
    assert_eq!(res.status(), 422);
    // Without the CSRF token: 403.
    let res = app
        .client
        .post(app.url("/admin/clients"))
        .form(&[
            ("name", "X"),
            ("redirect_uris", "https://x.example/cb"),
            ("token_alg", "HS256"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(
        client::Entity::find().count(&app.state.db).await.unwrap(),
        0
    );
}

#[tokio::test]
async fn editing_rotating_disabling_and_deleting_a_client() {
    let (app, _) = admin_app().await;
    let (id, old_secret, _) =
        add_client(&app, "Game", "https://game.example/callback", "RS256").await;
    let page = app.get(&format!("/admin/clients/{id}")).await;
    assert_eq!(page.status(), 200);

    // Edit: new name, two redirect URIs; a bad one is refused and changes nothing.
    let res = post_form(
        &app,
        &app.client,
        &format!("/admin/clients/{id}"),
        &[
            ("name", "Game 2"),
            (
                "redirect_uris",
                "https://game.example/callback\nhttps://game.example/other",
            ),
        ],
    )
    .await;
    assert_eq!(res.status(), 303);
    let res = post_form(
        &app,
        &app.client,
        &format!("/admin/clients/{id}"),
        &[("name", "Game 3"), ("redirect_uris", "ftp://nope")],
    )
    .await;
    assert_eq!(res.status(), 422);
    let site = pattmayne_auth::domain::clients::site(&app.state.db, &id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(site.name, "Game 2");
    assert_eq!(
        site.redirect_uris,
        vec![
            "https://game.example/callback",
            "https://game.example/other"
        ]
    );

    // The back-channel logout URI: set, refused when plain http, cleared.
    let uris = "https://game.example/callback\nhttps://game.example/other";
    let edit = |backchannel: &'static str| {
        let path = format!("/admin/clients/{id}");
        let app = &app;
        async move {
            post_form(
                app,
                &app.client,
                &path,
                &[
                    ("name", "Game 2"),
                    ("redirect_uris", uris),
                    ("backchannel_logout_uri", backchannel),
                ],
            )
            .await
        }
    };
    let stored = || async {
        pattmayne_auth::domain::clients::find(&app.state.db, &id)
            .await
            .unwrap()
            .unwrap()
            .backchannel_logout_uri
    };
    assert_eq!(edit("https://game.example/bc").await.status(), 303);
    assert_eq!(stored().await.as_deref(), Some("https://game.example/bc"));
    let refused = edit("http://game.example/bc").await;
    assert_eq!(refused.status(), 422);
    let page = refused.text().await.unwrap();
    assert!(
        page.contains("id=\"backchannel_logout_uri-error\""),
        "the error is tied to its field"
    );
    assert_eq!(stored().await.as_deref(), Some("https://game.example/bc"));
    let page = app
        .get(&format!("/admin/clients/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("value=\"https://game.example/bc\""));
    assert_eq!(edit("").await.status(), 303);
    assert_eq!(stored().await, None);

    // Rotate: a confirmation page first, then a new secret shown once; the old one stops working.
    let confirm = app
        .get(&format!("/admin/clients/{id}/rotate-secret"))
        .await
        .text()
        .await
        .unwrap();
    assert!(confirm.contains("Rotate the client secret?"));
    let res = post_form(
        &app,
        &app.client,
        &format!("/admin/clients/{id}/rotate-secret"),
        &[],
    )
    .await;
    assert_eq!(res.status(), 303);
    let shown = app
        .get(res.headers()["location"].to_str().unwrap())
        .await
        .text()
        .await
        .unwrap();
    let new_secret = between(&shown, "id=\"client-secret\">", "<")
        .unwrap()
        .to_owned();
    assert_ne!(new_secret, old_secret);
    let auth = |secret: String| {
        let (app, id) = (&app, id.clone());
        async move {
            app.client
                .post(app.url("/oauth2/revoke"))
                .basic_auth(id, Some(secret))
                .form(&[("token", "x")])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(auth(old_secret.clone()).await, 401);
    assert_eq!(auth(new_secret.clone()).await, 200);

    // Disable: the client cannot authenticate; enable brings it back.
    let res = post_form(
        &app,
        &app.client,
        &format!("/admin/clients/{id}/disable"),
        &[],
    )
    .await;
    assert_eq!(res.status(), 303);
    assert_eq!(auth(new_secret.clone()).await, 401);
    post_form(
        &app,
        &app.client,
        &format!("/admin/clients/{id}/enable"),
        &[],
    )
    .await;
    assert_eq!(auth(new_secret.clone()).await, 200);

    // Delete, after a confirmation page; the tokens go with it.
    app.create_user("alice", PASSWORD, false).await;
    let test_client = crate::helpers::TestClient {
        client_id: id.clone(),
        client_secret: new_secret.clone(),
        jwt_secret: None,
        redirect_uri: "https://game.example/callback".into(),
    };
    app.sign_in_and_get_tokens("alice", PASSWORD, &test_client)
        .await;
    assert_eq!(
        refresh_token::Entity::find()
            .count(&app.state.db)
            .await
            .unwrap(),
        1
    );
    let confirm = app
        .get(&format!("/admin/clients/{id}/delete"))
        .await
        .text()
        .await
        .unwrap();
    assert!(confirm.contains("Delete this client site?"));
    let res = post_form(
        &app,
        &app.client,
        &format!("/admin/clients/{id}/delete"),
        &[],
    )
    .await;
    assert_eq!(res.status(), 303);
    assert!(
        pattmayne_auth::domain::clients::find(&app.state.db, &id)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        refresh_token::Entity::find()
            .count(&app.state.db)
            .await
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn unknown_ids_get_404() {
    let (app, _) = admin_app().await;
    for path in [
        "/admin/clients/nope",
        "/admin/clients/nope/delete",
        "/admin/clients/nope/rotate-secret",
        "/admin/clients/nope/disable",
        "/admin/users/nope/disable",
        "/admin/users/nope/revoke-admin",
    ] {
        assert_eq!(app.get(path).await.status(), 404, "{path}");
    }
    for path in [
        "/admin/clients/nope/delete",
        "/admin/clients/nope/enable",
        "/admin/users/nope/disable",
        "/admin/users/nope/grant-admin",
    ] {
        assert_eq!(
            post_form(&app, &app.client, path, &[]).await.status(),
            404,
            "{path}"
        );
    }
    assert_eq!(
        post_form(
            &app,
            &app.client,
            "/admin/suspensions/lift",
            &[("ip", "203.0.113.1")]
        )
        .await
        .status(),
        404
    );
}

#[tokio::test]
async fn users_are_searched_paged_disabled_and_made_admin() {
    let (app, root) = admin_app().await;
    for i in 0..30 {
        app.create_user(&format!("player{i:02}"), PASSWORD, false)
            .await;
    }
    let page = app
        .get("/admin/users?q=player1")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("player10") && page.contains("player19") && !page.contains("player20"));
    assert!(page.contains("10 accounts"));
    let page2 = app.get("/admin/users?page=2").await.text().await.unwrap();
    assert!(page2.contains("Page 2 of 2"));

    // Disable a player: signed out everywhere, tokens revoked, cannot sign in.
    let client = app.register_client("Game", TokenAlg::HS256).await;
    let (browser, tokens) = app
        .sign_in_and_get_tokens("player05", PASSWORD, &client)
        .await;
    let player = pattmayne_auth::domain::users::find_for_login(&app.state.db, "player05")
        .await
        .unwrap()
        .unwrap();
    assert!(
        app.get(&format!("/admin/users/{}/disable", player.id))
            .await
            .text()
            .await
            .unwrap()
            .contains("Disable this account?")
    );
    let res = post_form(
        &app,
        &app.client,
        &format!("/admin/users/{}/disable", player.id),
        &[],
    )
    .await;
    assert_eq!(res.status(), 303);
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
        app.refresh(&client, tokens["refresh_token"].as_str().unwrap())
            .await
            .status(),
        400
    );
    let res = app
        .login_with(&app.new_client(None), "player05", PASSWORD)
        .await;
    assert_eq!(res.status(), 403);
    post_form(
        &app,
        &app.client,
        &format!("/admin/users/{}/enable", player.id),
        &[],
    )
    .await;
    assert_eq!(
        app.login_with(&app.new_client(None), "player05", PASSWORD)
            .await
            .status(),
        303
    );

    // An admin cannot disable themselves or remove their own last admin right.
    assert_eq!(
        post_form(
            &app,
            &app.client,
            &format!("/admin/users/{}/disable", root.id),
            &[]
        )
        .await
        .status(),
        400
    );
    let res = post_form(
        &app,
        &app.client,
        &format!("/admin/users/{}/revoke-admin", root.id),
        &[],
    )
    .await;
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("last admin"));

    // Make a player admin: they can use the pages; then root may step down.
    let res = post_form(
        &app,
        &app.client,
        &format!("/admin/users/{}/grant-admin", player.id),
        &[],
    )
    .await;
    assert_eq!(res.status(), 303);
    let other = app.new_client(None);
    app.login_with(&other, "player05", PASSWORD).await;
    assert_eq!(
        other
            .get(app.url("/admin/clients"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        post_form(
            &app,
            &app.client,
            &format!("/admin/users/{}/revoke-admin", root.id),
            &[]
        )
        .await
        .status(),
        303
    );
    assert_eq!(app.get("/admin/clients").await.status(), 403);
}

#[tokio::test]
async fn suspensions_are_listed_and_lifted() {
    let (app, _) = admin_app().await;
    let policy = pattmayne_auth::domain::throttle::Policy::from(app.state.config.as_ref());
    pattmayne_auth::domain::throttle::suspend(
        &app.state.db,
        "198.51.100.7",
        policy,
        app.state.clock.now(),
    )
    .await
    .unwrap();
    let page = app.get("/admin/suspensions").await.text().await.unwrap();
    assert!(page.contains("198.51.100.7"));
    let res = post_form(
        &app,
        &app.client,
        "/admin/suspensions/lift",
        &[("ip", "198.51.100.7")],
    )
    .await;
    assert_eq!(res.status(), 303);
    let page = app.get("/admin/suspensions").await.text().await.unwrap();
    assert!(page.contains("No address is suspended."));
}

#[tokio::test]
async fn every_admin_action_is_in_the_audit_log() {
    let (app, root) = admin_app().await;
    let (id, _, _) = add_client(&app, "Game", "https://game.example/cb", "EdDSA").await;
    post_form(
        &app,
        &app.client,
        &format!("/admin/clients/{id}/disable"),
        &[],
    )
    .await;
    post_form(
        &app,
        &app.client,
        &format!("/admin/clients/{id}/delete"),
        &[],
    )
    .await;
    let rows = audit_log::Entity::find()
        .filter(audit_log::Column::Action.not_like("security.%"))
        .all(&app.state.db)
        .await
        .unwrap();
    let actions: Vec<&str> = rows.iter().map(|r| r.action.as_str()).collect();
    assert_eq!(
        actions,
        vec!["client.create", "client.disable", "client.delete"]
    );
    for row in &rows {
        assert_eq!(row.actor_user_id.as_deref(), Some(root.id.as_str()));
        assert_eq!(row.actor_username, "root");
        assert_eq!(row.target, id);
        assert_eq!(row.ip.as_deref(), Some("127.0.0.1"));
    }
    let page = app.get("/admin/audit").await.text().await.unwrap();
    assert!(page.contains("Deleted a client site") && page.contains("root"));
}

#[tokio::test]
async fn admin_pages_render_without_javascript_and_carry_csrf_on_every_form() {
    let (app, _) = admin_app().await;
    add_client(&app, "Game", "https://game.example/cb", "HS256").await;
    let id = client::Entity::find()
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap()
        .client_id;
    for path in [
        "/admin/clients".to_owned(),
        "/admin/clients/new".to_owned(),
        format!("/admin/clients/{id}"),
        "/admin/users".to_owned(),
        "/admin/audit".to_owned(),
        format!("/admin/clients/{id}/delete"),
    ] {
        let html = app.get(&path).await.text().await.unwrap();
        let forms = html.matches("method=\"post\"").count();
        let tokens = html.matches("name=\"csrf_token\"").count();
        assert!(tokens >= forms, "{path}: {forms} forms, {tokens} tokens");
        assert!(html.contains("name=\"viewport\""));
        let _ = csrf_from(&html);
    }
}

#[tokio::test]
async fn two_admins_removing_each_other_at_once_leave_one_admin() {
    use pattmayne_auth::domain::admin::Admin;
    use sea_orm::{ColumnTrait, QueryFilter, sea_query::Expr};

    let app = spawn_app().await;
    let ann = app.create_user("ann", PASSWORD, true).await;
    let ben = app.create_user("ben", PASSWORD, true).await;
    let as_ann = Admin::authorize(&ann, None).unwrap();
    let as_ben = Admin::authorize(&ben, None).unwrap();
    let db = &app.state.db;
    let admins_left = || async {
        user::Entity::find()
            .filter(user::Column::IsAdmin.eq(true))
            .filter(user::Column::Disabled.eq(false))
            .count(db)
            .await
            .unwrap()
    };
    for round in 0..10 {
        let now = app.state.clock.now();
        let (first, second) = if round % 2 == 0 {
            // Each demotes the other.
            tokio::join!(
                as_ann.set_user_admin(db, &ben.id, false, now),
                as_ben.set_user_admin(db, &ann.id, false, now)
            )
        } else {
            // Each disables the other.
            tokio::join!(
                as_ann.set_user_disabled(db, &ben.id, true, now),
                as_ben.set_user_disabled(db, &ann.id, true, now)
            )
        };
        assert!(
            first.is_ok() != second.is_ok(),
            "round {round}: exactly one may win: {first:?} / {second:?}"
        );
        assert_eq!(admins_left().await, 1, "round {round}");
        user::Entity::update_many()
            .col_expr(user::Column::IsAdmin, Expr::value(true))
            .col_expr(user::Column::Disabled, Expr::value(false))
            .exec(db)
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn an_admin_adds_a_public_device_game_and_is_shown_no_secret() {
    let (app, _) = admin_app().await;
    let form = app.get("/admin/clients/new").await.text().await.unwrap();
    assert!(form.contains("name=\"public\"") && form.contains("name=\"device\""));
    // HS256 for a public client is refused, the form kept.
    let res = post_form(
        &app,
        &app.client,
        "/admin/clients",
        &[
            ("name", "Console Quest"),
            ("redirect_uris", "http://127.0.0.1/callback"),
            ("token_alg", "HS256"),
            ("public", "1"),
        ],
    )
    .await;
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(page.contains("A public client cannot use HS256"), "{page}");
    assert_eq!(
        client::Entity::find().count(&app.state.db).await.unwrap(),
        0
    );
    // A private-use scheme needs a public client.
    let res = post_form(
        &app,
        &app.client,
        "/admin/clients",
        &[
            ("name", "Mobile"),
            ("redirect_uris", "com.example.game:/cb"),
            ("token_alg", "EdDSA"),
        ],
    )
    .await;
    assert_eq!(res.status(), 422);
    // Public and device, no redirect URI: made, with no secret to show.
    let res = post_form(
        &app,
        &app.client,
        "/admin/clients",
        &[
            ("name", "Console Quest"),
            ("redirect_uris", ""),
            ("token_alg", "EdDSA"),
            ("public", "1"),
            ("device", "1"),
        ],
    )
    .await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let page = app.get(&location).await.text().await.unwrap();
    assert!(between(&page, "id=\"client-id\">", "<").is_some());
    assert!(!page.contains("id=\"client-secret\""), "no secret shown");
    assert!(!page.contains("AUTH_CLIENT_SECRET"));
    assert!(page.contains("id=\"public-note\""));
    let row = client::Entity::find()
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert!(row.public && row.device_grant);
    let detail = app
        .get(&format!("/admin/clients/{}", row.client_id))
        .await
        .text()
        .await
        .unwrap();
    assert!(detail.contains("public (no secret), device sign-in"));
    assert!(!detail.contains("rotate-secret"), "no secret to rotate");
    // Editing keeps what kind of client it is.
    let res = post_form(
        &app,
        &app.client,
        &format!("/admin/clients/{}", row.client_id),
        &[
            ("name", "Console Quest 2"),
            ("redirect_uris", "com.example.quest:/cb"),
        ],
    )
    .await;
    assert_eq!(res.status(), 303);
    let row = client::Entity::find()
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert!(row.public && row.device_grant && row.name == "Console Quest 2");
}
