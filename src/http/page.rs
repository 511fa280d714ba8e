//! What every page shows around its content: the server's name and logo,
//! who is signed in, the language and its switcher, and (on the way to a
//! client site) that site's name, logo, colours and the way back to it.

use axum::http::HeaderMap;
use minijinja::value::Serde;
use minijinja::{Value, context};
use serde::Serialize;

use crate::domain::{branding, clients};
use crate::entities::client;
use crate::error::AppResult;
use crate::http::Visitor;
use crate::i18n::Lang;
use crate::resources::{cookies, routes};
use crate::state::AppState;

/// The visitor's language, from their choice (the language cookie) or their
/// browser's `Accept-Language`.
pub fn lang_of(headers: &HeaderMap) -> Lang {
    let chosen = crate::http::forms::cookie_value(headers, cookies::LANG);
    let accepted = headers
        .get(axum::http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    Lang::negotiate(chosen.as_deref(), accepted)
}

/// Where the language switcher comes back to: this page, its `next`
/// kept only if it is a safe return target (so no page echoes one that
/// is not).
pub fn here_of(uri: &axum::http::Uri) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (key, value) in url::form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes()) {
        if key == "next" {
            if let Some(safe) = crate::http::safe_next(&value) {
                query.append_pair("next", &safe);
            }
        } else {
            query.append_pair(&key, &value);
        }
    }
    let query = query.finish();
    match query.is_empty() {
        true => uri.path().to_owned(),
        false => format!("{}?{query}", uri.path()),
    }
}

/// The languages offered in the footer.
#[derive(Serialize)]
struct LanguageLink {
    tag: &'static str,
    name: &'static str,
}

/// The page context around a page's own: `lang`, `here`, `languages`,
/// `site_name`, `site_logo`.
pub fn chrome(state: &AppState, lang: Lang, here: &str, page: Value) -> Value {
    let languages: Vec<LanguageLink> = Lang::ALL
        .iter()
        .map(|l| LanguageLink {
            tag: l.tag(),
            name: l.name(),
        })
        .collect();
    let site_logo = state
        .config
        .site_logo
        .as_ref()
        .map(|_| routes::SITE_LOGO.to_owned());
    context! {
        lang => lang.tag(),
        here,
        languages => Value::from(Serde(&languages)),
        site_name => state.config.site_name.clone(),
        site_logo,
        ..page
    }
}

/// A client site as a page on the way to it shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ClientSiteView {
    pub client_id: String,
    pub name: String,
    pub logo_url: Option<String>,
    pub style_url: Option<String>,
    /// Where "Back to …" goes: the site's registered redirect URI, with an
    /// `access_denied` answer (RFC 6749 §4.1.2.1), so the site learns the
    /// person turned back.
    pub back_url: Option<String>,
}

impl From<ClientSiteView> for Value {
    fn from(site: ClientSiteView) -> Value {
        Value::from(Serde(&site))
    }
}

/// The client site a return target is an authorization request of, if its
/// client is known and enabled and its redirect URI registered: the pages
/// on the way (sign-in, registration, errors) name it and lead back to it.
pub async fn client_site_of(state: &AppState, next: Option<&str>) -> Option<ClientSiteView> {
    let next = next?;
    let url = url::Url::parse("http://pattmayne.invalid")
        .ok()?
        .join(next)
        .ok()?;
    if url.path() != routes::AUTHORIZE {
        return None;
    }
    let param = |name: &str| {
        url.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    let client_id = param("client_id")?;
    let redirect_uri = param("redirect_uri")?;
    let client = clients::find(&state.db, &client_id).await.ok()??;
    if !client.enabled {
        return None;
    }
    let registered = clients::redirect_uris(&state.db, &client_id).await.ok()?;
    let back_url = registered
        .iter()
        .any(|uri| clients::redirect_matches(uri, &redirect_uri))
        .then(|| url::Url::parse(&redirect_uri).ok())
        .flatten()
        .map(|mut back| {
            {
                let mut query = back.query_pairs_mut();
                query.append_pair("error", "access_denied");
                if let Some(st) = param("state") {
                    query.append_pair("state", &st);
                }
                query.append_pair("iss", &state.config.issuer);
            }
            back.to_string()
        });
    back_url.as_ref()?;
    Some(view(state, &client, back_url).await)
}

/// How pages show `client`.
pub async fn view(
    state: &AppState,
    client: &client::Model,
    back_url: Option<String>,
) -> ClientSiteView {
    let logo_version = branding::client_logo_version(&state.db, &client.client_id)
        .await
        .ok()
        .flatten();
    ClientSiteView {
        // The version in the URL lets a new logo show at once.
        logo_url: logo_version.map(|v| format!("{}?v={v}", routes::client_logo(&client.client_id))),
        style_url: client.accent_color.as_ref().map(|hex| {
            format!(
                "{}?c={}",
                routes::client_style(&client.client_id),
                hex.trim_start_matches('#')
            )
        }),
        client_id: client.client_id.clone(),
        name: client.name.clone(),
        back_url,
    }
}

/// A way on from a message page: a label (a message key) and where it goes.
#[derive(Debug, Clone)]
pub struct Way {
    label: &'static str,
    url: String,
}

impl Way {
    pub fn new(label: &'static str, url: impl Into<String>) -> Way {
        Way {
            label,
            url: url.into(),
        }
    }
}

/// A page that says one thing ("Check your mail") and offers ways on, on
/// the way to the client site of `next` if there is one.
pub async fn message_page(
    state: &AppState,
    visitor: &Visitor,
    status: axum::http::StatusCode,
    heading: &'static str,
    paragraphs: &[crate::i18n::Msg],
    ways: &[Way],
    next: Option<&str>,
) -> AppResult<axum::response::Response> {
    use axum::response::IntoResponse;
    let paragraphs: Vec<String> = paragraphs.iter().map(|m| visitor.tr(m)).collect();
    let ways: Vec<minijinja::Value> = ways
        .iter()
        .map(|w| context! { label => visitor.tr(&crate::i18n::Msg::new(w.label)), url => w.url.clone() })
        .collect();
    let page = context! {
        heading => visitor.tr(&crate::i18n::Msg::new(heading)),
        paragraphs,
        ways,
        client_site => client_site_of(state, next).await,
    };
    let ctx = visitor.page(false, page).await?;
    Ok((
        status,
        state
            .templates
            .render(crate::resources::templates::MESSAGE, ctx)?,
    )
        .into_response())
}
