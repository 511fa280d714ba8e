//! `SignedIn` and `Option<SignedIn>`: who the request is from, as the
//! layer found it.

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::kit::AuthKit;
use crate::tokens::AccessClaims;

/// A signed-in person, from a verified access JWT of a live session.
///
/// As an extractor it needs [`AuthKit::layer`]. A handler taking
/// `SignedIn` sends a signed-out visitor to the sign-in (for `GET` and
/// `HEAD`; other methods get `401`); one taking `Option<SignedIn>` serves
/// both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIn {
    /// The person's stable id (`sub`): key the site's own data by this.
    pub sub: String,
    /// The person's username (`preferred_username`).
    pub username: String,
    /// The sign-in session (`sid`).
    pub sid: String,
    /// The scopes granted, space-separated.
    pub scope: String,
    /// When the access token expires (seconds since the epoch).
    pub expires_at: i64,
    /// The access JWT itself, to call APIs that accept it.
    pub access_token: String,
}

impl SignedIn {
    pub(crate) fn new(claims: AccessClaims, access_token: String) -> Self {
        SignedIn {
            sub: claims.sub,
            username: claims.preferred_username,
            sid: claims.sid,
            scope: claims.scope,
            expires_at: claims.exp,
            access_token,
        }
    }
}

/// What the layer leaves in a request's extensions.
#[derive(Clone)]
pub(crate) struct Found(pub(crate) Option<SignedIn>);

/// The answer to a signed-out request for a handler that needs a person:
/// a redirect to the sign-in (coming back here) for pages, `401` for the
/// rest. Also a `500` when the kit's layer is missing.
#[derive(Debug)]
pub enum SignInRequired {
    /// A page: go sign in, then come back to this path.
    Redirect(String),
    /// Not a page.
    Unauthorized,
    /// The router has no [`AuthKit::layer`].
    LayerMissing,
}

impl IntoResponse for SignInRequired {
    fn into_response(self) -> Response {
        match self {
            SignInRequired::Redirect(to) => {
                (StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response()
            }
            SignInRequired::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Cookie")],
                "sign in first",
            )
                .into_response(),
            SignInRequired::LayerMissing => {
                tracing::error!("SignedIn used on a router without AuthKit::layer()");
                StatusCode::INTERNAL_SERVER_ERROR.into_response()
            }
        }
    }
}

fn found(parts: &Parts) -> Result<Option<SignedIn>, SignInRequired> {
    parts
        .extensions
        .get::<Found>()
        .map(|f| f.0.clone())
        .ok_or(SignInRequired::LayerMissing)
}

impl<S: Send + Sync> FromRequestParts<S> for SignedIn {
    type Rejection = SignInRequired;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        match found(parts)? {
            Some(me) => Ok(me),
            None if matches!(parts.method, Method::GET | Method::HEAD) => {
                let here = parts
                    .uri
                    .path_and_query()
                    .map(|p| p.as_str())
                    .unwrap_or("/");
                Err(SignInRequired::Redirect(AuthKit::sign_in_path(here)))
            }
            None => Err(SignInRequired::Unauthorized),
        }
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for SignedIn {
    type Rejection = SignInRequired;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Option<Self>, Self::Rejection> {
        found(parts)
    }
}
