//! `GET /oauth2/authorize`: the error page for what cannot be trusted with a
//! redirect, RFC 6749 error redirects for the rest, `prompt=none`.

use pattmayne_auth::domain::clients::TokenAlg;

use crate::helpers::{PASSWORD, location_params, pkce_pair, spawn_app};

#[tokio::test]
async fn unknown_clients_and_unregistered_redirect_uris_get_the_error_page_never_a_redirect() {
    let app = spawn_app().await;
    app.create_user("alice", PASSWORD, false).await;
    let mut client = app.register_client("Game", TokenAlg::HS256).await;
    let browser = app.new_client(None);
    app.login_with(&browser, "alice", PASSWORD).await;
    let (_, challenge) = pkce_pair();
    let registered = client.redirect_uri.clone();
    for tricked in [
        "https://game.example/callback/evil",
        "https://game.example/callbac",
        "https://GAME.example/callback",
        "https://game.example/Callback",
        "https://game.example/callback#x",
        "https://user@game.example/callback",
        "https://game.example:8443/callback",
        "http://game.example/callback",
        "https://game.example/callback?x=1",
        "https://evil.example/callback",
    ] {
        client.redirect_uri = tricked.to_owned();
        let res = browser
            .get(app.url(&app.authorize_path(&client, &challenge, &[])))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "{tricked}");
        assert!(
            res.headers().get("location").is_none(),
            "{tricked} redirected"
        );
        assert!(
            res.text()
                .await
                .unwrap()
                .contains("This sign-in link is not valid")
        );
    }
    client.redirect_uri = registered.clone();
    let mut unknown = client.clone();
    unknown.client_id = "nope".into();
    let res = browser
        .get(app.url(&app.authorize_path(&unknown, &challenge, &[])))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    // No redirect_uri at all, or two of them: refused too.
    let res = browser
        .get(app.url(&format!("/oauth2/authorize?response_type=code&client_id={}&code_challenge={challenge}&code_challenge_method=S256", client.client_id)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let path = format!(
        "{}&redirect_uri={}",
        app.authorize_path(&client, &challenge, &[]),
        urlencode(&registered)
    );
    assert_eq!(
        browser.get(app.url(&path)).send().await.unwrap().status(),
        400
    );
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn other_authorization_errors_redirect_with_rfc6749_error_parameters() {
    let app = spawn_app().await;
    app.create_user("alice", PASSWORD, false).await;
    let client = app.register_client("Game", TokenAlg::HS256).await;
    let browser = app.new_client(None);
    app.login_with(&browser, "alice", PASSWORD).await;
    let (_, challenge) = pkce_pair();
    let base = |extra: &str| {
        format!(
            "/oauth2/authorize?client_id={}&redirect_uri={}&state=s1{extra}",
            client.client_id,
            urlencode(&client.redirect_uri)
        )
    };
    let cases = [
        (
            base(&format!(
                "&response_type=code&code_challenge={challenge}&code_challenge_method=S256&state=again"
            )),
            "invalid_request",
        ),
        (base("&response_type=code"), "invalid_request"),
        (
            base(&format!(
                "&response_type=code&code_challenge={challenge}&code_challenge_method=plain"
            )),
            "invalid_request",
        ),
        (
            base(&format!("&response_type=code&code_challenge={challenge}")),
            "invalid_request",
        ),
        (
            base("&response_type=code&code_challenge=short&code_challenge_method=S256"),
            "invalid_request",
        ),
        (
            base(&format!(
                "&response_type=token&code_challenge={challenge}&code_challenge_method=S256"
            )),
            "unsupported_response_type",
        ),
        (
            base(&format!(
                "&response_type=code&scope=admin&code_challenge={challenge}&code_challenge_method=S256"
            )),
            "invalid_scope",
        ),
    ];
    for (path, error) in cases {
        let res = browser.get(app.url(&path)).send().await.unwrap();
        assert_eq!(res.status(), 302, "{path}");
        let location = res.headers()["location"].to_str().unwrap().to_owned();
        assert!(location.starts_with(&client.redirect_uri), "{location}");
        let params = location_params(&res);
        assert_eq!(
            params.get("error").map(String::as_str),
            Some(error),
            "{path}"
        );
        assert_eq!(params.get("iss"), Some(&app.state.config.issuer));
        assert!(!params.contains_key("code"));
    }
}

#[tokio::test]
async fn prompt_none_without_a_session_answers_login_required() {
    let app = spawn_app().await;
    let client = app.register_client("Game", TokenAlg::HS256).await;
    let (_, challenge) = pkce_pair();
    let res = app
        .get(&app.authorize_path(&client, &challenge, &[("prompt", "none")]))
        .await;
    assert_eq!(res.status(), 302);
    let params = location_params(&res);
    assert_eq!(params["error"], "login_required");
    assert_eq!(params["state"], "xyz-state");
    assert_eq!(params["iss"], app.state.config.issuer);
}
