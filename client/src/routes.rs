//! The kit's routes: sign-in, callback, sign-out, back-channel logout.

use axum::extract::rejection::FormRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite, SignedCookieJar};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::config::ROUTES;
use crate::kit::{AuthKit, time_secs};
use crate::pages::problem;
use crate::tokens::{Checked, TokenError};

/// How long a sign-in may take, from leaving for the hosted login to
/// coming back.
const SIGN_IN_SECS: i64 = 600;

pub(crate) fn router<S: Clone + Send + Sync + 'static>(kit: AuthKit) -> Router<S> {
    Router::new()
        .route(&format!("{ROUTES}/sign-in"), get(sign_in))
        .route(&format!("{ROUTES}/callback"), get(callback))
        .route(&format!("{ROUTES}/sign-out"), post(sign_out))
        .route(
            &format!("{ROUTES}/backchannel-logout"),
            post(backchannel_logout),
        )
        .with_state(kit)
}

/// What the sign-in cookie remembers until the callback.
#[derive(Serialize, Deserialize)]
struct Pending {
    /// The PKCE verifier.
    v: String,
    /// Where to land afterwards.
    n: String,
    /// When the sign-in started.
    t: i64,
}

#[derive(Deserialize)]
struct SignInQuery {
    next: Option<String>,
}

/// A path on this site, or nothing: never `//host` or `/\host`, which
/// browsers take for another site.
pub(crate) fn local_path(next: Option<&str>) -> Option<&str> {
    let next = next?;
    // Printable ASCII only (a browser sends anything else percent-encoded),
    // so it is always a valid Location header.
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && next.chars().all(|c| c.is_ascii_graphic() && c != '\\');
    ok.then_some(next)
}

fn pending_cookie_name(kit: &AuthKit, state: &str) -> String {
    // One cookie per sign-in, so two tabs signing in at once both succeed.
    kit.cookie_name(&format!("signin_{state}"))
}

/// `GET /auth/sign-in?next=/path`: remembers a fresh `state` and PKCE
/// verifier in a signed cookie and sends the browser to the hosted login.
async fn sign_in(
    State(kit): State<AuthKit>,
    jar: SignedCookieJar,
    Query(query): Query<SignInQuery>,
) -> Response {
    let config = kit.config();
    let next = local_path(query.next.as_deref()).unwrap_or(&config.after_sign_in);
    let (Ok(state), Ok(verifier)) = (crate::random::token(), crate::random::token()) else {
        return problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "No randomness available.",
            "/",
        );
    };
    let pending = Pending {
        v: verifier,
        n: next.to_owned(),
        t: kit.now(),
    };
    let Ok(value) = serde_json::to_string(&pending) else {
        return problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Could not start a sign-in.",
            "/",
        );
    };
    let cookie = Cookie::build((pending_cookie_name(&kit, &state), value))
        .path(ROUTES.to_owned())
        .http_only(true)
        .secure(config.secure_cookies)
        .same_site(SameSite::Lax)
        .max_age(time_secs(SIGN_IN_SECS))
        .build();
    let mut authorize = match url::Url::parse(&format!("{}/oauth2/authorize", config.issuer)) {
        Ok(url) => url,
        Err(_) => return problem(StatusCode::INTERNAL_SERVER_ERROR, "Bad issuer URL.", "/"),
    };
    authorize
        .query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &config.client_id)
        .append_pair("redirect_uri", &config.redirect_uri)
        .append_pair("scope", &config.scope)
        .append_pair("state", &state)
        .append_pair("code_challenge", &crate::random::challenge(&pending.v))
        .append_pair("code_challenge_method", "S256");
    (jar.add(cookie), Redirect::to(authorize.as_str())).into_response()
}

#[derive(Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    iss: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// `GET /auth/callback`: the hosted login sends the browser back here.
/// Checks `state` against the sign-in cookie and `iss` (RFC 9207), then
/// exchanges the code (with the PKCE verifier and the client secret) and
/// sets the token cookies.
async fn callback(
    State(kit): State<AuthKit>,
    jar: SignedCookieJar,
    Query(query): Query<CallbackQuery>,
) -> Response {
    let again = AuthKit::sign_in_path(&kit.config().after_sign_in);
    // Ours are 43 base64url characters; anything else names no sign-in
    // (and must not become part of a cookie name).
    let ours = |s: &&str| {
        !s.is_empty()
            && s.len() <= 128
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    };
    let Some(state) = query.state.as_deref().filter(ours) else {
        return problem(
            StatusCode::BAD_REQUEST,
            "The sign-in answer has no state.",
            &again,
        );
    };
    let name = pending_cookie_name(&kit, state);
    let pending = jar
        .get(&name)
        .and_then(|c| serde_json::from_str::<Pending>(c.value()).ok());
    let removal = Cookie::build((name, "")).path(ROUTES.to_owned()).build();
    let jar = jar.remove(removal);
    let now = kit.now();
    let Some(pending) = pending.filter(|p| now - p.t <= SIGN_IN_SECS && p.t <= now + 60) else {
        return (
            jar,
            problem(
                StatusCode::BAD_REQUEST,
                "This sign-in expired or was started in another browser. Please start again.",
                &again,
            ),
        )
            .into_response();
    };
    let again = AuthKit::sign_in_path(&pending.n);
    if query.iss.as_deref() != Some(kit.config().issuer.as_str()) {
        // RFC 9207: an answer from another server (a mix-up attack).
        return (
            jar,
            problem(
                StatusCode::BAD_REQUEST,
                "The sign-in answer came from another server.",
                &again,
            ),
        )
            .into_response();
    }
    if let Some(error) = query.error.as_deref() {
        let message = match error {
            "access_denied" => "The sign-in was cancelled.".to_owned(),
            _ => format!(
                "The sign-in did not complete ({error}{}).",
                query
                    .error_description
                    .as_deref()
                    .map(|d| format!(": {d}"))
                    .unwrap_or_default()
            ),
        };
        return (jar, problem(StatusCode::BAD_REQUEST, &message, &again)).into_response();
    }
    let Some(code) = query.code.as_deref() else {
        return (
            jar,
            problem(
                StatusCode::BAD_REQUEST,
                "The sign-in answer has no code.",
                &again,
            ),
        )
            .into_response();
    };
    let exchanged = kit
        .inner
        .server
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", &kit.config().redirect_uri),
            ("code_verifier", &pending.v),
        ])
        .await;
    let tokens = match exchanged {
        Ok(tokens) => tokens,
        Err(TokenError::Refused { error, .. }) => {
            tracing::info!(%error, "the code exchange was refused");
            return (
                jar,
                problem(
                    StatusCode::BAD_REQUEST,
                    "The sign-in could not be completed.",
                    &again,
                ),
            )
                .into_response();
        }
        Err(TokenError::Unavailable(err)) => {
            tracing::warn!(error = %err, "the code exchange failed");
            return (
                jar,
                problem(
                    StatusCode::BAD_GATEWAY,
                    "The sign-in server did not answer. Please try again.",
                    &again,
                ),
            )
                .into_response();
        }
    };
    if kit.session_of(&tokens).await.is_none() {
        tracing::warn!("the access token from the code exchange did not verify");
        return (
            jar,
            problem(
                StatusCode::BAD_GATEWAY,
                "The sign-in could not be verified.",
                &again,
            ),
        )
            .into_response();
    }
    let mut response = (jar, Redirect::to(&pending.n)).into_response();
    append_cookies(&mut response, kit.token_cookies(&tokens));
    response
}

fn append_cookies(response: &mut Response, cookies: Vec<Cookie<'static>>) {
    for cookie in cookies {
        if let Ok(value) = header::HeaderValue::from_str(&cookie.to_string()) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
}

/// `POST /auth/sign-out`: ends the sign-in session on the server (every
/// site's tokens under it; the server tells the others by back-channel
/// logout), refuses it here at once, and clears the cookies.
async fn sign_out(State(kit): State<AuthKit>, headers: HeaderMap, jar: CookieJar) -> Response {
    // A cross-site form cannot sign anyone out (SameSite=Lax already keeps
    // the cookies off it; this says so plainly).
    let cross_site = headers
        .get("sec-fetch-site")
        .is_some_and(|v| v.as_bytes() == b"cross-site");
    if cross_site {
        return problem(
            StatusCode::FORBIDDEN,
            "Sign out from this site's own page.",
            "/",
        );
    }
    if let Some(access) = jar.get(&kit.cookie_name("access"))
        && let Checked::Valid(claims) | Checked::Expired(claims) =
            kit.inner.verifier.access(access.value()).await
    {
        let now = kit.now();
        let until = now + kit.config().remember_revocations_secs;
        kit.config().revoked.revoke(&claims.sid, now, until).await;
    }
    if let Some(refresh) = jar.get(&kit.cookie_name("refresh"))
        && let Err(err) = kit.inner.server.sign_out(refresh.value()).await
    {
        tracing::warn!(error = %err, "the server's back-channel sign-out failed");
    }
    let mut response = Redirect::to(&kit.config().after_sign_out).into_response();
    append_cookies(&mut response, kit.clearing_cookies());
    response
}

#[derive(Deserialize)]
struct LogoutForm {
    logout_token: Option<String>,
}

/// `POST /auth/backchannel-logout`: the server says a session ended. The
/// `logout_token` is verified (OIDC Back-Channel Logout 1.0 §2.6) and the
/// session's access tokens are refused from now on.
async fn backchannel_logout(
    State(kit): State<AuthKit>,
    form: Result<Form<LogoutForm>, FormRejection>,
) -> Response {
    let no_store = [(header::CACHE_CONTROL, "no-store")];
    let Some(token) = form.ok().and_then(|Form(f)| f.logout_token) else {
        return refuse("logout_token is missing");
    };
    match kit.inner.verifier.logout_token(&token).await {
        Ok(sid) => {
            let now = kit.now();
            let until = now + kit.config().remember_revocations_secs;
            kit.config().revoked.revoke(&sid, now, until).await;
            tracing::info!(%sid, "session ended by back-channel logout");
            (StatusCode::OK, no_store).into_response()
        }
        Err(why) => refuse(why),
    }
}

fn refuse(why: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        [(header::CACHE_CONTROL, "no-store")],
        Json(json!({ "error": "invalid_request", "error_description": why })),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn only_paths_on_this_site_are_followed() {
        assert_eq!(local_path(Some("/game?x=1")), Some("/game?x=1"));
        for other in [
            "//evil.example",
            "/\\evil.example",
            "https://evil.example",
            "game",
            "/a\\b",
            "/\n",
            "/a b",
            "/é",
        ] {
            assert_eq!(local_path(Some(other)), None, "{other}");
        }
        assert_eq!(local_path(None), None);
    }
}
