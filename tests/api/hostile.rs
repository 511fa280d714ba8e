//! Hostile and malformed requests across every route: a clear 4xx (or a
//! redirect), never a 5xx, and nothing stored is lost.

use pattmayne_auth::domain::clients::TokenAlg;
use pattmayne_auth::entities::{client, user};
use sea_orm::{EntityTrait, PaginatorTrait};

use crate::helpers::{PASSWORD, spawn_app};

#[tokio::test]
async fn hostile_requests_never_get_a_server_error() {
    let app = spawn_app().await;
    app.create_user("root", PASSWORD, true).await;
    let game = app.register_client("Game", TokenAlg::HS256).await;
    let long = "A".repeat(20_000);
    let paths = [
        "/",
        "/login",
        "/register",
        "/logout",
        "/account",
        "/admin",
        "/admin/clients",
        "/admin/users",
        "/admin/users?page=99999999999999999999",
        "/admin/users?page=-1&q=%00%FF",
        "/admin/audit?page=abc",
        "/admin/clients/..%2F..%2Fetc%2Fpasswd",
        "/admin/clients/%00/delete",
        "/static/..%2f..%2fCargo.toml",
        "/static/%ZZ",
        "/oauth2/authorize",
        "/oauth2/authorize?%ZZ=%ZZ",
        "/oauth2/authorize?client_id=%00",
        "/oauth2/authorize?client_id[]=a&redirect_uri=",
        "/oauth2/token",
        "/oauth2/device_authorization",
        "/device",
        "/device?user_code=%00%FF",
        "/device?user_code[]=x",
        "/oauth2/revoke",
        "/oauth2/introspect",
        "/oauth2/userinfo",
        "/oauth2/jwks",
        "/oauth2/logout",
        "/.well-known/openid-configuration",
        "/logout?id_token_hint=a.b.c",
        "/logout?post_logout_redirect_uri=javascript:alert(1)",
        "/logout?client_id=nope&post_logout_redirect_uri=https://x.example/",
        "/login?next=%0d%0aLocation:%20http://evil",
        "/healthz",
        "/metrics",
        "/nope/%FF%FE",
    ];
    let long_path = format!("/login?next={long}");
    let clients = [app.new_client(None), app.client.clone()];
    app.login("root", PASSWORD).await; // the second client is a signed-in admin
    for http in &clients {
        for path in paths.iter().copied().chain([long_path.as_str()]) {
            for method in ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"] {
                let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
                let bodies: [(&str, String); 4] = [
                    (
                        "application/x-www-form-urlencoded",
                        "csrf_token=x&username=%00%ff&password=&next=//evil".into(),
                    ),
                    (
                        "application/x-www-form-urlencoded",
                        format!("a={long}&a=b&%ZZ&=&&grant_type=refresh_token"),
                    ),
                    ("application/json", "{\"username\": [1,2,3]}".into()),
                    ("text/plain", "\u{0}\u{1}\u{2}".into()),
                ];
                for (content_type, body) in bodies {
                    let res = http
                        .request(method.clone(), app.url(path))
                        .header("content-type", content_type)
                        .header("x-forwarded-for", "not-an-ip, 999.1.1.1")
                        .header("authorization", "Basic %%%%")
                        .header(
                            "cookie",
                            "pattmayne_session=garbage; pattmayne_device=a.b.c",
                        )
                        .body(body)
                        .send()
                        .await
                        .unwrap();
                    let status = res.status().as_u16();
                    assert!(
                        status < 500,
                        "{method} {path} ({content_type}) answered {status}"
                    );
                }
            }
        }
    }
    // Nothing stored was lost.
    assert_eq!(user::Entity::find().count(&app.state.db).await.unwrap(), 1);
    assert_eq!(
        client::Entity::find().count(&app.state.db).await.unwrap(),
        1
    );
    assert!(
        pattmayne_auth::domain::clients::find(&app.state.db, &game.client_id)
            .await
            .unwrap()
            .is_some()
    );
}

#[tokio::test]
async fn nul_characters_are_refused_everywhere_with_a_4xx() {
    // PostgreSQL cannot hold NUL in text: one that reached a statement would
    // fail it with a server error. Path, query and form, with a valid CSRF
    // token so that nothing earlier stops the request.
    let app = spawn_app().await;
    app.create_user("root", PASSWORD, true).await;
    let game = app.register_client("Game", TokenAlg::HS256).await;
    app.login("root", PASSWORD).await;
    let csrf = app.csrf(&app.client, "/admin/suspensions").await;
    let gets = [
        "/admin/clients/%00".to_owned(),
        "/admin/clients/x%00y/rotate-secret".to_owned(),
        "/admin/users/%00/disable".to_owned(),
        "/admin/users?q=a%00b".to_owned(),
        "/logout?client_id=%00&post_logout_redirect_uri=https://game.example/callback".to_owned(),
        format!(
            "/oauth2/authorize?response_type=code&client_id={}%00&redirect_uri=https://game.example/callback",
            game.client_id
        ),
        "/login?next=/account%00".to_owned(),
    ];
    for path in &gets {
        let res = app.get(path).await;
        let status = res.status().as_u16();
        assert!((400..500).contains(&status), "GET {path} answered {status}");
    }
    let posts = [
        (
            "/admin/suspensions/lift",
            format!("csrf_token={csrf}&ip=%00"),
        ),
        ("/admin/clients/%00/delete", format!("csrf_token={csrf}")),
        ("/admin/users/%00/enable", format!("csrf_token={csrf}")),
        (
            "/admin/clients",
            format!(
                "csrf_token={csrf}&name=a%00b&redirect_uris=https://x.example/cb&token_alg=HS256"
            ),
        ),
        (
            "/logout",
            format!(
                "csrf_token={csrf}&client_id=%00&post_logout_redirect_uri=https://game.example/callback"
            ),
        ),
        (
            "/oauth2/revoke",
            "token=a%00.b&client_id=x&client_secret=y".to_owned(),
        ),
        (
            "/oauth2/introspect",
            "token=a%00.b&client_id=x&client_secret=y".to_owned(),
        ),
        (
            "/oauth2/logout",
            "refresh_token=a%00.b&client_id=x&client_secret=y".to_owned(),
        ),
    ];
    for (path, body) in &posts {
        let res = app
            .client
            .post(app.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.clone())
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        assert!(
            (400..500).contains(&status),
            "POST {path} {body} answered {status}"
        );
    }
    // The admin is still signed in and everything stored is still there.
    assert_eq!(app.get("/admin/clients").await.status(), 200);
    assert_eq!(
        client::Entity::find().count(&app.state.db).await.unwrap(),
        1
    );
    assert_eq!(user::Entity::find().count(&app.state.db).await.unwrap(), 1);
}
