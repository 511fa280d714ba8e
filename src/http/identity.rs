//! Who is asking: extractors that carry identity into handlers, the shared
//! page context, and the rule for where a sign-in may send the browser next.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::{Value, context};

use crate::domain::sso;
use crate::entities::{sso_session, user};
use crate::error::{AppError, AppResult};
use crate::http::page::{chrome, here_of, lang_of};
use crate::http::return_to::login_url;
use crate::http::session::WebSession;
use crate::i18n::{Lang, Msg};
use crate::resources::routes;
use crate::state::AppState;

/// A signed-in person and the SSO session they are signed in with.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub user: user::Model,
    pub sso: sso_session::Model,
}

/// Any visitor: their HTTP session, who they are if signed in, their
/// language, and where they are.
pub struct Visitor {
    pub session: WebSession,
    pub signed_in: Option<SignedIn>,
    pub lang: Lang,
    /// This request's path and query, for the language switcher.
    pub here: String,
    state: AppState,
}

impl FromRequestParts<AppState> for Visitor {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let session = WebSession::from_request_parts(parts, state).await?;
        // One query for the HTTP session, its sign-in session and its
        // person; the HTTP session's data is read only if the handler asks.
        let signed_in = match session.stored_id() {
            Some(id) => sso::find_by_http_session(&state.db, &id, state.clock.now())
                .await?
                .map(|(sso, user)| SignedIn { user, sso }),
            None => None,
        };
        Ok(Visitor {
            session,
            signed_in,
            lang: lang_of(&parts.headers),
            here: here_of(&parts.uri),
            state: state.clone(),
        })
    }
}

impl Visitor {
    /// The context every page gets (who is signed in, the CSRF token for the
    /// sign-out button, the language, the server's name), merged with the
    /// page's own. `with_csrf` also makes a token for anonymous visitors,
    /// for pages that carry a form.
    pub async fn page(&self, with_csrf: bool, page: Value) -> AppResult<Value> {
        let csrf_token = if with_csrf || self.signed_in.is_some() {
            Some(self.session.csrf_token().await?)
        } else {
            None
        };
        let current_user = self.signed_in.as_ref().map(|s| {
            context! { username => s.user.username.clone(), is_admin => s.user.is_admin }
        });
        let page = context! { current_user, csrf_token, ..page };
        Ok(chrome(&self.state, self.lang, &self.here, page))
    }

    /// A message in this visitor's language.
    pub fn tr(&self, msg: &Msg) -> String {
        msg.in_lang(self.lang)
    }
}

/// A visitor who must be signed in; others are sent to the hosted login and
/// brought back here afterwards.
pub struct CurrentUser {
    pub session: WebSession,
    pub signed_in: SignedIn,
    pub lang: Lang,
    visitor: Visitor,
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
        match visitor.signed_in.clone() {
            Some(signed_in) => Ok(CurrentUser {
                session: visitor.session.clone(),
                lang: visitor.lang,
                signed_in,
                visitor,
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
    /// The visitor this person is, for what takes any visitor.
    pub fn visitor(&self) -> &Visitor {
        &self.visitor
    }

    /// See [`Visitor::page`].
    pub async fn page(&self, page: Value) -> AppResult<Value> {
        self.visitor.page(true, page).await
    }

    /// A message in this person's language.
    pub fn tr(&self, msg: &Msg) -> String {
        msg.in_lang(self.lang)
    }

    /// Leaves a notice for the next page this person sees ("Space Game was
    /// disabled.", "Your password was changed."), in their language.
    pub async fn notify(&self, msg: Msg) -> AppResult<()> {
        self.session
            .put(crate::resources::session_keys::NOTICE, &self.tr(&msg))
            .await
    }

    /// The notice left for this page, if any (shown once).
    pub async fn take_notice(&self) -> AppResult<Option<String>> {
        self.session
            .take(crate::resources::session_keys::NOTICE)
            .await
    }
}
