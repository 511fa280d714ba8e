//! `/admin/clients…`: list, add (credentials shown once, with everything a
//! site needs to connect), edit (name, redirect URIs, branding), rotate the
//! secret. Disabling, enabling and deleting are one-button actions
//! (`admin::actions`).

use std::collections::BTreeMap;

use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::value::Serde;
use minijinja::{Value, context};
use serde::{Deserialize, Serialize};

use super::{ActionForm, AdminUser, Confirm};
use crate::domain::branding::{self, Logo};
use crate::domain::clients::{self, ClientCredentials, SiteErrors, TokenAlg};
use crate::error::{AppError, AppResult};
use crate::i18n::Msg;
use crate::resources::{admin_paths, routes, session_keys, templates};
use crate::state::AppState;

/// The largest client form accepted: a logo and some text.
pub const MAX_FORM_BYTES: usize = branding::MAX_LOGO_BYTES + 16 * 1024;

#[derive(Serialize)]
struct ClientRow {
    #[serde(flatten)]
    site: clients::ClientSite,
    live_tokens: u64,
}

pub async fn list(State(state): State<AppState>, admin: AdminUser) -> AppResult<Response> {
    let counts = clients::live_token_counts(&state.db, state.clock.now()).await?;
    let rows: Vec<ClientRow> = clients::list(&state.db)
        .await?
        .into_iter()
        .map(|site| ClientRow {
            live_tokens: counts.get(&site.client_id).copied().unwrap_or(0),
            site,
        })
        .collect();
    admin
        .render(
            &state,
            templates::ADMIN_CLIENTS,
            "clients",
            context! { clients => Serde(rows) },
        )
        .await
}

fn algs() -> Vec<&'static str> {
    TokenAlg::ALL.iter().map(|a| a.as_str()).collect()
}

pub async fn new_form(State(state): State<AppState>, admin: AdminUser) -> AppResult<Response> {
    let page = context! {
        algs => algs(), token_alg => "HS256", name => "", redirect_uris => "",
        errors => Value::from(Serde(BTreeMap::<&str, String>::new())),
    };
    admin
        .render(&state, templates::ADMIN_CLIENT_NEW, "clients", page)
        .await
}

/// A client site's form as sent (multipart, for the logo).
#[derive(Default)]
pub struct ClientForm {
    name: String,
    redirect_uris: String,
    token_alg: String,
    accent_color: String,
    backchannel_logout_uri: String,
    logo: Option<Vec<u8>>,
    remove_logo: bool,
    /// A public client (a game without a secret); only when adding one.
    public: bool,
    /// Allowed the device authorization grant; only when adding one.
    device: bool,
    csrf_token: String,
}

/// The urlencoded form (no logo): scripts and the tests may send this one.
#[derive(Deserialize, Default)]
struct PlainClientForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    redirect_uris: String,
    #[serde(default)]
    token_alg: String,
    #[serde(default)]
    accent_color: String,
    #[serde(default)]
    backchannel_logout_uri: String,
    #[serde(default)]
    remove_logo: Option<String>,
    #[serde(default)]
    public: Option<String>,
    #[serde(default)]
    device: Option<String>,
    #[serde(default)]
    csrf_token: String,
}

impl FromRequest<AppState> for ClientForm {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Response> {
        if crate::http::is_form(request.headers()) {
            let axum::Form(plain) = axum::Form::<PlainClientForm>::from_request(request, state)
                .await
                .map_err(IntoResponse::into_response)?;
            return Ok(ClientForm {
                name: plain.name,
                redirect_uris: plain.redirect_uris,
                token_alg: plain.token_alg,
                accent_color: plain.accent_color,
                backchannel_logout_uri: plain.backchannel_logout_uri,
                logo: None,
                remove_logo: plain.remove_logo.is_some_and(|v| !v.is_empty()),
                public: plain.public.is_some_and(|v| !v.is_empty()),
                device: plain.device.is_some_and(|v| !v.is_empty()),
                csrf_token: plain.csrf_token,
            });
        }
        let multipart = Multipart::from_request(request, state)
            .await
            .map_err(IntoResponse::into_response)?;
        ClientForm::read(multipart)
            .await
            .map_err(IntoResponse::into_response)
    }
}

impl ClientForm {
    /// Reads the form; text fields are cut at sane lengths.
    async fn read(mut multipart: Multipart) -> AppResult<ClientForm> {
        let unreadable = |_| AppError::bad_request("error-bad-request");
        let mut form = ClientForm::default();
        while let Some(field) = multipart.next_field().await.map_err(unreadable)? {
            let name = field.name().unwrap_or_default().to_owned();
            if name == "logo" {
                let bytes = field.bytes().await.map_err(unreadable)?;
                form.logo = (!bytes.is_empty()).then(|| bytes.to_vec());
                continue;
            }
            let text = field.text().await.map_err(unreadable)?;
            let text: String = text.chars().take(64 * 1024).collect();
            match name.as_str() {
                "name" => form.name = text,
                "redirect_uris" => form.redirect_uris = text,
                "token_alg" => form.token_alg = text,
                "accent_color" => form.accent_color = text,
                "backchannel_logout_uri" => form.backchannel_logout_uri = text,
                "remove_logo" => form.remove_logo = !text.is_empty(),
                "public" => form.public = !text.is_empty(),
                "device" => form.device = !text.is_empty(),
                "csrf_token" => form.csrf_token = text,
                _ => {}
            }
        }
        Ok(form)
    }

    fn kind(&self) -> clients::ClientKind {
        clients::ClientKind {
            public: self.public,
            device: self.device,
        }
    }

    fn uris(&self) -> Vec<String> {
        self.redirect_uris
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect()
    }
}

/// Everything wrong with a client form, for the page: one message per
/// field, all of the redirect URIs'.
#[derive(Default)]
struct FormErrors {
    site: SiteErrors,
    accent_color: Option<Msg>,
    backchannel_logout_uri: Option<Msg>,
    logo: Option<Msg>,
    form: Option<Msg>,
}

impl FormErrors {
    fn is_empty(&self) -> bool {
        self.site.is_empty()
            && self.accent_color.is_none()
            && self.backchannel_logout_uri.is_none()
            && self.logo.is_none()
            && self.form.is_none()
    }

    fn page(&self, admin: &AdminUser) -> Value {
        let tr = |m: &Option<Msg>| m.as_ref().map(|m| admin.tr(m));
        let uris: Vec<String> = self
            .site
            .redirect_uris
            .iter()
            .map(|m| admin.tr(m))
            .collect();
        context! {
            name => tr(&self.site.name),
            redirect_uris => (!uris.is_empty()).then_some(uris),
            accent_color => tr(&self.accent_color),
            backchannel_logout_uri => tr(&self.backchannel_logout_uri),
            logo => tr(&self.logo),
            form => tr(&self.form),
        }
    }
}

/// The branding parts of a form (and where the site hears of ended
/// sessions), checked.
struct Branding {
    accent: Option<String>,
    backchannel: Option<String>,
    /// `Some(None)`: remove the logo; `None`: keep it.
    logo: Option<Option<Logo>>,
}

fn check_branding(
    form: &ClientForm,
    allow_http: bool,
    errors: &mut FormErrors,
) -> Option<Branding> {
    let backchannel = clients::validate_backchannel_uri(&form.backchannel_logout_uri, allow_http)
        .map_err(|m| errors.backchannel_logout_uri = Some(m))
        .ok();
    let accent = branding::validate_accent(&form.accent_color)
        .map_err(|m| errors.accent_color = Some(m))
        .ok()?;
    let backchannel = backchannel?;
    let logo = match &form.logo {
        Some(bytes) => Some(Some(
            Logo::from_bytes(bytes.clone(), false)
                .map_err(|m| errors.logo = Some(m))
                .ok()?,
        )),
        None if form.remove_logo => Some(None),
        None => None,
    };
    Some(Branding {
        accent,
        backchannel,
        logo,
    })
}

/// The one-time credentials page's content. It waits in the HTTP session
/// between the POST and the page that shows it (so a reload cannot show it
/// again, nor create a second client), encrypted, never in plain text.
#[derive(Serialize, Deserialize)]
struct OneTime {
    name: String,
    creds: ClientCredentials,
}

const ONE_TIME_CONTEXT: &str = "one-time-credentials";

/// Keeps fresh credentials (sealed) for the one page that shows them, says
/// what happened (`notice`, with the site's name) and goes to that page.
async fn show_once(
    state: &AppState,
    admin: &AdminUser,
    shown: OneTime,
    notice: &'static str,
) -> AppResult<Response> {
    let json = serde_json::to_vec(&shown)
        .map_err(|e| AppError::internal(format!("one-time credentials: {e}")))?;
    let sealed = state.keys.seal(ONE_TIME_CONTEXT, &json)?;
    admin
        .me
        .session
        .put(session_keys::ONE_TIME_SECRET, &sealed)
        .await?;
    let page = admin_paths::client_created(&shown.creds.client_id);
    admin
        .notify(Msg::new(notice).with("name", shown.name))
        .await?;
    Ok(Redirect::to(&page).into_response())
}

async fn take_once(state: &AppState, admin: &AdminUser) -> AppResult<Option<OneTime>> {
    let sealed: Option<String> = admin.me.session.take(session_keys::ONE_TIME_SECRET).await?;
    Ok(sealed
        .and_then(|s| state.keys.open(ONE_TIME_CONTEXT, &s).ok())
        .and_then(|json| serde_json::from_slice(&json).ok()))
}

pub async fn create(
    State(state): State<AppState>,
    admin: AdminUser,
    form: ClientForm,
) -> AppResult<Response> {
    admin.check(&form.csrf_token).await?;
    let mut errors = FormErrors::default();
    let alg = form
        .token_alg
        .parse::<TokenAlg>()
        .map_err(|_| errors.form = Some(Msg::new("error-bad-request")))
        .ok();
    let allow_http = state.config.allow_http_redirect_uris;
    let kind = form.kind();
    if let Err(site) = clients::validate_site(&form.name, &form.uris(), allow_http, kind) {
        errors.site = site;
    }
    if kind.public && alg == Some(TokenAlg::HS256) {
        errors.form = Some(Msg::new("admin-client-public-hs256"));
    }
    let branding = check_branding(&form, allow_http, &mut errors);
    let (Some(alg), Some(branding), true) = (alg, branding, errors.is_empty()) else {
        let page = context! {
            algs => algs(), token_alg => form.token_alg, name => form.name,
            public => form.public, device => form.device,
            redirect_uris => form.redirect_uris, accent_color => form.accent_color,
            backchannel_logout_uri => form.backchannel_logout_uri,
            errors => errors.page(&admin),
        };
        let response = admin
            .render(&state, templates::ADMIN_CLIENT_NEW, "clients", page)
            .await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, response).into_response());
    };
    let now = state.clock.now();
    let (site, creds) = admin
        .admin
        .create_client(
            &state.db,
            &state.keys,
            &form.name,
            &form.uris(),
            alg,
            kind,
            allow_http,
            now,
        )
        .await?;
    save_branding(&state, &admin, &site.client_id, &branding, now).await?;
    let shown = OneTime {
        name: site.name,
        creds,
    };
    show_once(&state, &admin, shown, "notice-client-created").await
}

async fn save_branding(
    state: &AppState,
    admin: &AdminUser,
    client_id: &str,
    branding: &Branding,
    now: i64,
) -> AppResult<()> {
    let logo = branding.logo.as_ref().map(Option::as_ref);
    admin
        .admin
        .set_client_branding(&state.db, client_id, branding.accent.as_deref(), logo, now)
        .await?;
    admin
        .admin
        .set_client_backchannel_uri(&state.db, client_id, branding.backchannel.as_deref(), now)
        .await
}

/// Shows freshly made credentials exactly once, with everything the site's
/// backend needs: the endpoints, its redirect URIs, and all of it as a
/// `.env` file.
pub async fn created(
    State(state): State<AppState>,
    admin: AdminUser,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let site = site_or_404(&state, &id).await?;
    let shown = take_once(&state, &admin)
        .await?
        .filter(|s| s.creds.client_id == id);
    let issuer = state.config.issuer.clone();
    // The site itself: the origin of its first redirect URI.
    let site_url = site
        .redirect_uris
        .first()
        .and_then(|u| url::Url::parse(u).ok())
        .map(|u| u.origin().ascii_serialization())
        .filter(|o| o.starts_with("http"));
    let page = match shown {
        Some(s) => {
            let env_file = env_file(&issuer, &s.creds, &site.redirect_uris);
            context! {
                client_id => id, name => s.name, creds => Serde(s.creds), issuer,
                redirect_uris => site.redirect_uris, env_file, site_url,
            }
        }
        None => context! { client_id => id, name => site.name, site_url },
    };
    let mut response = admin
        .render(&state, templates::ADMIN_CLIENT_CREATED, "clients", page)
        .await?;
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

/// The credentials and endpoints as the lines of a `.env` file.
fn env_file(issuer: &str, creds: &ClientCredentials, redirect_uris: &[String]) -> String {
    let mut lines = vec![
        format!("AUTH_ISSUER={issuer}"),
        format!(
            "AUTH_DISCOVERY_URL={issuer}{}",
            routes::OPENID_CONFIGURATION
        ),
        format!("AUTH_AUTHORIZE_URL={issuer}{}", routes::AUTHORIZE),
        format!("AUTH_TOKEN_URL={issuer}{}", routes::TOKEN),
        format!("AUTH_JWKS_URL={issuer}{}", routes::JWKS),
        format!("AUTH_CLIENT_ID={}", creds.client_id),
    ];
    if let Some(secret) = &creds.client_secret {
        lines.push(format!("AUTH_CLIENT_SECRET={secret}"));
    }
    if let Some(jwt) = &creds.jwt_secret {
        lines.push(format!("AUTH_JWT_SECRET={jwt}"));
    }
    if let Some(uri) = redirect_uris.first() {
        lines.push(format!("AUTH_REDIRECT_URI={uri}"));
    }
    lines.join("\n")
}

async fn site_or_404(state: &AppState, id: &str) -> AppResult<clients::ClientSite> {
    clients::site(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)
}

/// The page of one client site, with its form filled as given.
async fn client_page(
    state: &AppState,
    admin: &AdminUser,
    id: &str,
    fields: Value,
    status: StatusCode,
) -> AppResult<Response> {
    let site = site_or_404(state, id).await?;
    let live_tokens = clients::live_token_count(&state.db, id, state.clock.now()).await?;
    let logo_version = branding::client_logo_version(&state.db, id).await?;
    let page = context! {
        client => Serde(site), live_tokens,
        logo_url => logo_version.map(|v| format!("{}?v={v}", routes::client_logo(id))),
        ..fields
    };
    let response = admin
        .render(state, templates::ADMIN_CLIENT, "clients", page)
        .await?;
    Ok((status, response).into_response())
}

pub async fn show(
    State(state): State<AppState>,
    admin: AdminUser,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let site = site_or_404(&state, &id).await?;
    let row = clients::find(&state.db, &id).await?;
    let accent = row.as_ref().and_then(|c| c.accent_color.clone());
    let backchannel = row.and_then(|c| c.backchannel_logout_uri);
    let fields = context! {
        name => site.name, redirect_uris => site.redirect_uris.join("\n"),
        accent_color => accent, backchannel_logout_uri => backchannel,
        errors => Value::from(Serde(BTreeMap::<&str, String>::new())),
    };
    client_page(&state, &admin, &id, fields, StatusCode::OK).await
}

pub async fn update(
    State(state): State<AppState>,
    admin: AdminUser,
    Path(id): Path<String>,
    form: ClientForm,
) -> AppResult<Response> {
    admin.check(&form.csrf_token).await?;
    let existing = site_or_404(&state, &id).await?;
    // What kind of client it is was settled when it was added.
    let kind = clients::ClientKind {
        public: existing.public,
        device: existing.device_grant,
    };
    let mut errors = FormErrors::default();
    let allow_http = state.config.allow_http_redirect_uris;
    if let Err(site) = clients::validate_site(&form.name, &form.uris(), allow_http, kind) {
        errors.site = site;
    }
    let branding = check_branding(&form, allow_http, &mut errors);
    let (Some(branding), true) = (branding, errors.is_empty()) else {
        let fields = context! {
            name => form.name, redirect_uris => form.redirect_uris,
            accent_color => form.accent_color,
            backchannel_logout_uri => form.backchannel_logout_uri,
            errors => errors.page(&admin),
        };
        return client_page(
            &state,
            &admin,
            &id,
            fields,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let now = state.clock.now();
    admin
        .admin
        .update_client(&state.db, &id, &form.name, &form.uris(), allow_http, now)
        .await?;
    save_branding(&state, &admin, &id, &branding, now).await?;
    admin
        .notify(Msg::new("notice-client-saved").with("name", form.name.trim()))
        .await?;
    Ok(Redirect::to(&admin_paths::client(&id)).into_response())
}

pub async fn confirm_rotate(
    State(state): State<AppState>,
    admin: AdminUser,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let site = site_or_404(&state, &id).await?;
    let action = admin_paths::client_rotate(&id);
    admin
        .confirm(
            &state,
            "clients",
            Confirm {
                heading: "confirm-client-rotate-heading",
                message: "confirm-client-rotate",
                button: "confirm-client-rotate-button",
                button_class: "danger",
                name: &site.name,
                action: &action,
                back: &admin_paths::client(&id),
            },
        )
        .await
}

pub async fn rotate(
    State(state): State<AppState>,
    admin: AdminUser,
    Path(id): Path<String>,
    axum::Form(form): ActionForm,
) -> AppResult<Response> {
    admin.check(&form.csrf_token).await?;
    let site = site_or_404(&state, &id).await?;
    let secret = admin
        .admin
        .rotate_client_secret(&state.db, &id, state.clock.now())
        .await?;
    let creds = ClientCredentials {
        client_id: id.clone(),
        client_secret: Some(secret),
        jwt_secret: None,
    };
    let shown = OneTime {
        name: site.name,
        creds,
    };
    show_once(&state, &admin, shown, "notice-client-rotated").await
}
