//! Reading the form body of an API request: form-encoded only, every
//! parameter at most once (RFC 6749 §3.2), values of sane length (NUL
//! characters are refused before any handler: `http::forms::refuse_nul`).

use std::collections::HashMap;

use axum::body::Bytes;
use axum::http::HeaderMap;

use crate::http::OAuthError;
use crate::resources::OAUTH_PARAM_MAX;

/// The parameters of a form-encoded request body.
#[derive(Debug, Default)]
pub struct Params(HashMap<String, String>);

/// Scope values in the server's order (`SUPPORTED_SCOPES`), so that equal
/// scopes are equal strings: what codes and token families store.
pub fn canonical_scope<'a>(asked: impl IntoIterator<Item = &'a str>) -> String {
    let asked: Vec<&str> = asked.into_iter().collect();
    crate::resources::SUPPORTED_SCOPES
        .iter()
        .filter(|s| asked.contains(s))
        .copied()
        .collect::<Vec<_>>()
        .join(" ")
}

impl Params {
    /// Parses a body, refusing other content types, repeated parameters and
    /// over-long values with `invalid_request`.
    pub fn from_form(headers: &HeaderMap, body: &Bytes) -> Result<Params, OAuthError> {
        if !crate::http::is_form(headers) {
            return Err(OAuthError::invalid_request(
                "the body must be application/x-www-form-urlencoded",
            ));
        }
        let mut map = HashMap::new();
        for (key, value) in url::form_urlencoded::parse(body) {
            if value.len() > OAUTH_PARAM_MAX {
                return Err(OAuthError::invalid_request(format!(
                    "parameter {key} is too long"
                )));
            }

            if map
                .insert(key.clone().into_owned(), value.into_owned())
                .is_some()
            {
                return Err(OAuthError::invalid_request(format!(
                    "parameter {key} is repeated"
                )));
            }
        }
        Ok(Params(map))
    }

    /// A parameter, if present and not empty (RFC 6749 §3.1: empty = absent).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// A parameter that must be present.
    pub fn require(&self, name: &str) -> Result<&str, OAuthError> {
        self.get(name)
            .ok_or_else(|| OAuthError::invalid_request(format!("missing parameter {name}")))
    }
}
