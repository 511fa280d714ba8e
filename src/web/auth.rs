//! Who is asking: extractors that carry identity into handlers, the shared
//! page context, and the rule for where a sign-in may send the browser next.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::{Value, context};

use crate::domain::sso;
use crate::entities::{sso_session, user};
use crate::error::{AppError, AppResult};
use crate::resources::routes;
use crate::state::AppState;
use crate::web::session::WebSession;

/// A signed-in person and the SSO session they are signed in with.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub user: user::Model,
    pub sso: sso_session::Model,
}

/// Any visitor: their HTTP session, and who they are if signed in.
pub struct Visitor {
    pub session: WebSession,
    pub signed_in: Option<SignedIn>,
}

impl FromRequestParts<AppState> for Visitor {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let session = WebSession::from_request_parts(parts, state).await?;
        let signed_in = match session.sso_session_id().await? {
            Some(id) => sso::find_active(&state.db, &id, state.clock.now())
                .await?
                .map(|(sso, user)| SignedIn { user, sso }),
            None => None,
        };
        Ok(Visitor { session, signed_in })
    }
}

impl Visitor {
    /// The context every page gets (who is signed in, the CSRF token for the
    /// sign-out button), merged with the page's own. `with_csrf` also makes a
    /// token for anonymous visitors, for pages that carry a form.
    pub async fn page(&self, with_csrf: bool, page: Value) -> AppResult<Value> {
        let csrf_token = if with_csrf || self.signed_in.is_some() {
            Some(self.session.csrf_token().await?)
        } else {
            None
        };
        let current_user = self.signed_in.as_ref().map(|s| {
            context! { username => s.user.username.clone(), is_admin => s.user.is_admin }
        });
        Ok(context! { current_user, csrf_token, ..page })
    }
}

/// A visitor who must be signed in; others are sent to the hosted login and
/// brought back here afterwards.
pub struct CurrentUser {
    pub session: WebSession,
    pub signed_in: SignedIn,
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let visitor = Visitor::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        match visitor.signed_in {
            Some(signed_in) => Ok(CurrentUser {
                session: visitor.session,
                signed_in,
            }),
            None => {
                let here = parts
                    .uri
                    .path_and_query()
                    .map_or(routes::HOME, |pq| pq.as_str());
                Err(Redirect::to(&login_url(here)).into_response())
            }
        }
    }
}

impl CurrentUser {
    /// See [`Visitor::page`].
    pub async fn page(&self, page: Value) -> AppResult<Value> {
        Visitor {
            session: self.session.clone(),
            signed_in: Some(self.signed_in.clone()),
        }
        .page(true, page)
        .await
    }
}

/// `/login?next=…` for a return target on this server.
pub fn login_url(next: &str) -> String {
    match safe_next(next) {
        Some(next) => format!("{}?next={}", routes::LOGIN, urlencode(&next)),
        None => routes::LOGIN.to_owned(),
    }
}

/// `/login?next=…&reauth=1`: the sign-in form even for a signed-in person,
/// who must prove who they are again before going on to `next`.
pub fn reauth_url(next: &str) -> String {
    let url = login_url(next);
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}reauth=1")
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// A return target is accepted only if it is a path on this server, judged
/// on its final form: the path the browser will be sent to, after dot
/// segments and percent-encoded dots have been resolved. It must start with
/// one `/` and nothing a browser reads as another host (`//`, `/\\`), and
/// the raw value may hold no backslash or control character (browsers drop
/// tabs and newlines, and read `\\` as `/`). Anything else is ignored, so
/// `/login?next=` is no open redirect. This is the one place return targets
/// are made; every page that takes one goes through it.
pub fn safe_next(next: &str) -> Option<String> {
    if next.len() > 4096
        || !next.starts_with('/')
        || next.contains('\\')
        || next.chars().any(char::is_control)
    {
        return None;
    }
    let base = url::Url::parse("http://pattmayne.invalid/").ok()?;
    let resolved = base.join(next).ok()?;
    if resolved.origin() != base.origin() {
        return None;
    }
    let mut target = resolved.path().to_owned();
    if let Some(q) = resolved.query() {
        target.push('?');
        target.push_str(q);
    }
    is_local_path(&target).then_some(target)
}

/// Whether `target`, sent as a `Location`, stays on this server: one
/// leading slash and no second one (or backslash) right after it.
fn is_local_path(target: &str) -> bool {
    let mut bytes = target.bytes();
    bytes.next() == Some(b'/') && !matches!(bytes.next(), Some(b'/' | b'\\'))
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_paths_on_this_server_are_return_targets() {
        assert_eq!(safe_next("/account").as_deref(), Some("/account"));
        assert_eq!(
            safe_next("/oauth2/authorize?client_id=a&state=b").as_deref(),
            Some("/oauth2/authorize?client_id=a&state=b")
        );
        for bad in [
            "https://evil.example/",
            "//evil.example/",
            "/\\evil.example",
            "\\\\evil.example",
            "javascript:alert(1)",
            "evil.example",
            "",
            "/%0d%0aSet-Cookie:x",
            "/\r\nx",
            " /account",
            "http:/evil.example",
        ] {
            let out = safe_next(bad);
            assert!(
                out.is_none()
                    || out
                        .as_deref()
                        .is_some_and(|p| p.starts_with('/') && !p.starts_with("//")),
                "{bad:?} -> {out:?}"
            );
        }
        assert!(safe_next("https://evil.example/").is_none());
        assert!(safe_next("//evil.example/").is_none());
    }
}
