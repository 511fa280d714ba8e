//! `GET /oauth2/authorize`, on oxide-auth.
//!
//! oxide-auth does what it does well here: it parses and validates the
//! request, binds the client to an exact registered redirect URI through our
//! database-backed registrar, negotiates the scope, captures the PKCE
//! challenge (S256 only), and builds the RFC 6749 §4.1.2 redirects, success
//! and error alike. We supply the primitives: the registrar and authorizer
//! on the database, and an owner solicitor that is the SSO session: signed
//! in means authorized (no second login), otherwise the hosted login and back.
//!
//! Around it we add what oxide-auth lacks: an HTML error page (never a
//! redirect) for an unknown client or unregistered redirect URI, refusal of
//! repeated parameters, `prompt=none`, and `iss` on every redirect (RFC 9207).

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use axum::extract::{FromRequest, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use oxide_auth::code_grant::authorization::Request as AuthorizationRequest;
use oxide_auth::code_grant::extensions::Pkce;
use oxide_auth::endpoint::{
    OAuthError as OxideError, OwnerConsent, Scopes, Solicitation, Template, WebResponse,
};
use oxide_auth::primitives::grant::{Extensions, Grant};
use oxide_auth::primitives::registrar::{
    BoundClient, ClientUrl, PreGrant, RegisteredUrl, RegistrarError,
};
use oxide_auth::primitives::scope::Scope;
use oxide_auth_async::endpoint::authorization::AuthorizationFlow;
use oxide_auth_async::endpoint::{AuthorizationExtension, Endpoint, Extension, OwnerSolicitor};
use oxide_auth_async::primitives::{Authorizer, Issuer, Registrar};
use oxide_auth_axum::{OAuthRequest, OAuthResponse, WebError};
use sea_orm::DatabaseConnection;

use crate::domain::{clients, mfa, sso, tokens};
use crate::error::{AppError, AppResult};
use crate::http::page::{Way, client_site_of, message_page};
use crate::http::{Visitor, login_url, reauth_url, second_step};
use crate::i18n::Msg;
use crate::metrics::{Metrics, inc};
use crate::oauth::token::ACR_MFA;
use crate::resources::{DEFAULT_SCOPE, OAUTH_PARAM_MAX, SUPPORTED_SCOPES, routes};
use crate::state::AppState;

/// The HTML answer when the request cannot be trusted with a redirect.
fn bad_link() -> AppError {
    AppError::bad_request("error-bad-link")
}

/// What the primitives learned that the handler needs after the flow.
#[derive(Default)]
struct Sidechannel {
    login_needed: bool,
    failure: Option<AppError>,
}

type Shared = Arc<Mutex<Sidechannel>>;

fn stash(shared: &Shared, err: impl Into<AppError>) {
    if let Ok(mut side) = shared.lock() {
        side.failure = Some(err.into());
    }
}

/// `GET /oauth2/authorize`.
pub async fn authorize(
    State(state): State<AppState>,
    visitor: Visitor,
    request: Request,
) -> Response {
    let path_and_query = request
        .uri()
        .path_and_query()
        .map_or(routes::AUTHORIZE.to_owned(), |pq| pq.to_string());
    let query = request.uri().query().unwrap_or("").to_owned();
    let params: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let mut seen = HashSet::new();
    let repeated: Vec<&str> = params
        .iter()
        .filter(|(k, _)| !seen.insert(k.as_str()))
        .map(|(k, _)| k.as_str())
        .collect();
    if repeated
        .iter()
        .any(|k| matches!(*k, "client_id" | "redirect_uri"))
    {
        return bad_link().into_response();
    }
    let param = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let prompts: Vec<&str> = param("prompt")
        .map(|p| p.split(' ').filter(|v| !v.is_empty()).collect())
        .unwrap_or_default();
    let max_age = param("max_age").map(|v| v.parse::<i64>().ok().filter(|&m| m >= 0));
    let problem = if !repeated.is_empty() {
        Some("repeated parameter")
    } else if params.iter().any(|(_, v)| v.len() > OAUTH_PARAM_MAX) {
        Some("parameter too long")
    } else if prompts.contains(&"none") && prompts.len() > 1 {
        // OpenID Connect Core §3.1.2.1: `none` stands alone.
        Some("prompt=none cannot be combined with other values")
    } else if max_age == Some(None) {
        Some("max_age must be a non-negative number of seconds")
    } else {
        None
    };
    let now = state.clock.now();
    // `prompt=login`, or a sign-in older than `max_age` (0 meaning the same
    // as `prompt=login`), asks the signed-in person to prove who they are again.
    let reauth = visitor.signed_in.as_ref().is_some_and(|s| {
        prompts.contains(&"login")
            || max_age
                .flatten()
                .is_some_and(|m| m == 0 || now - s.sso.authenticated_at > m)
    });

    // `acr_values=mfa`: a session that proved one factor only must prove a
    // second (a step-up) before a code is issued.
    let wants_mfa = param("acr_values").is_some_and(|v| v.split(' ').any(|a| a == ACR_MFA));
    let step_up = !reauth
        && wants_mfa
        && visitor
            .signed_in
            .as_ref()
            .is_some_and(|s| !sso::is_multi_factor(&s.sso.amr));

    let oauth_request = match OAuthRequest::from_request(request, &()).await {
        Ok(r) => r,
        Err(_) => return bad_link().into_response(),
    };
    let shared: Shared = Arc::default();
    let signed_in = visitor
        .signed_in
        .as_ref()
        .filter(|_| !reauth && !step_up)
        .map(|s| (s.sso.id.clone(), s.user.id.clone()));
    let endpoint = AuthorizeEndpoint {
        registrar: DbRegistrar {
            state: state.clone(),
            now,
            shared: shared.clone(),
        },
        authorizer: DbAuthorizer {
            db: state.db.clone(),
            user_id: signed_in.as_ref().map(|(_, user)| user.clone()),
            redirect_uri: param("redirect_uri").unwrap_or_default().to_owned(),
            nonce: param("nonce").map(str::to_owned),
            now,
            shared: shared.clone(),
            metrics: state.metrics.clone(),
        },
        solicitor: SsoSolicitor {
            sso_session_id: signed_in.map(|(sso, _)| sso),
            prompt_none: prompts.contains(&"none"),
            shared: shared.clone(),
        },
        checks: RequestChecks { problem },
    };
    let outcome = match AuthorizationFlow::prepare(endpoint) {
        Ok(mut flow) => flow.execute(oauth_request).await,
        Err(failure) => Err(failure),
    };
    let side = shared
        .lock()
        .map(|mut s| std::mem::take(&mut *s))
        .unwrap_or_default();
    if let Some(err) = side.failure {
        return err.into_response();
    }
    match outcome {
        Ok(_) if side.login_needed && reauth => {
            Redirect::to(&reauth_url(&after_reauth(&params))).into_response()
        }
        Ok(_) if side.login_needed && step_up => step_up_to_mfa(&state, &visitor, &path_and_query)
            .await
            .unwrap_or_else(IntoResponse::into_response),
        Ok(_) if side.login_needed => Redirect::to(&login_url(&path_and_query)).into_response(),
        Ok(response) => {
            let response = with_issuer(response.into_response(), &state.config.issuer);
            if response.status() == StatusCode::FOUND {
                response
            } else {
                bad_link().into_response()
            }
        }
        Err(Failure::Deny) => bad_link().into_response(),
        Err(Failure::Internal) => AppError::internal("authorization flow failed").into_response(),
    }
}

/// A signed-in person whose session proved one factor, at a client site
/// that asks for two: the second step if they have a second factor, else a
/// page saying the site wants one, with the way to set it up and the way
/// back to the site.
async fn step_up_to_mfa(state: &AppState, visitor: &Visitor, request: &str) -> AppResult<Response> {
    let Some(signed_in) = &visitor.signed_in else {
        return Ok(Redirect::to(&login_url(request)).into_response());
    };
    if mfa::has_factor(&state.db, &signed_in.user.id).await? {
        return second_step::begin(state, visitor, &signed_in.user, Some(request)).await;
    }
    let site = client_site_of(state, Some(request)).await;
    let name = site.as_ref().map(|s| s.name.clone()).unwrap_or_default();
    let paragraphs = [Msg::new("step-up-needed").with("site", name)];
    let ways = [Way::new("step-up-set-up", routes::ACCOUNT_SECURITY)];
    message_page(
        state,
        visitor,
        StatusCode::FORBIDDEN,
        "step-up-title",
        &paragraphs,
        &ways,
        Some(request),
    )
    .await
}

/// The authorization request to come back to once the person has signed in
/// again: the same request without what asked for the fresh sign-in
/// (`prompt=login`, `max_age`), which that sign-in has just satisfied, so
/// coming back does not ask again.
fn after_reauth(params: &[(String, String)]) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (key, value) in params {
        match key.as_str() {
            "max_age" => {}
            "prompt" => {
                let rest: Vec<&str> = value.split(' ').filter(|v| *v != "login").collect();
                if !rest.iter().all(|v| v.is_empty()) {
                    query.append_pair(key, &rest.join(" "));
                }
            }
            _ => {
                query.append_pair(key, value);
            }
        }
    }
    format!("{}?{}", routes::AUTHORIZE, query.finish())
}

/// Adds `iss` (RFC 9207) to a redirect back to the client site, and keeps
/// the response out of caches.
fn with_issuer(mut response: Response, issuer: &str) -> Response {
    let location = response
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| url::Url::parse(v).ok());
    if let Some(mut location) = location {
        location.query_pairs_mut().append_pair("iss", issuer);
        if let Ok(value) = HeaderValue::from_str(location.as_str()) {
            response.headers_mut().insert(header::LOCATION, value);
        }
    }
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Why the flow gave no response.
enum Failure {
    /// Nothing about the request can be trusted: answer with the HTML page.
    Deny,
    Internal,
}

struct AuthorizeEndpoint {
    registrar: DbRegistrar,
    authorizer: DbAuthorizer,
    solicitor: SsoSolicitor,
    checks: RequestChecks,
}

impl Endpoint<OAuthRequest> for AuthorizeEndpoint {
    type Error = Failure;

    fn registrar(&self) -> Option<&(dyn Registrar + Sync)> {
        Some(&self.registrar)
    }

    fn authorizer_mut(&mut self) -> Option<&mut (dyn Authorizer + Send)> {
        Some(&mut self.authorizer)
    }

    fn issuer_mut(&mut self) -> Option<&mut (dyn Issuer + Send)> {
        None
    }

    fn owner_solicitor(&mut self) -> Option<&mut (dyn OwnerSolicitor<OAuthRequest> + Send)> {
        Some(&mut self.solicitor)
    }

    fn scopes(&mut self) -> Option<&mut dyn Scopes<OAuthRequest>> {
        None
    }

    fn response(&mut self, _: &mut OAuthRequest, _: Template) -> Result<OAuthResponse, Failure> {
        Ok(OAuthResponse::default())
    }

    fn error(&mut self, err: OxideError) -> Failure {
        match err {
            OxideError::PrimitiveError => Failure::Internal,
            OxideError::DenySilently | OxideError::BadRequest => Failure::Deny,
        }
    }

    fn web_error(&mut self, _: WebError) -> Failure {
        Failure::Deny
    }

    fn extension(&mut self) -> Option<&mut (dyn Extension + Send)> {
        Some(&mut self.checks)
    }
}

/// Client sites through `clients::ClientCache`; redirect URIs match as registered
/// (exactly, but for a native app's loopback port: `clients::redirect_matches`).
struct DbRegistrar {
    state: AppState,
    now: i64,
    shared: Shared,
}

#[async_trait]
impl Registrar for DbRegistrar {
    async fn bound_redirect<'a>(
        &self,
        bound: ClientUrl<'a>,
    ) -> Result<BoundClient<'a>, RegistrarError> {
        // RFC 9700: require the redirect URI even where RFC 6749 let it be implied.
        let Some(requested) = bound.redirect_uri else {
            return Err(RegistrarError::Unspecified);
        };
        // The URIs of the client if it exists and is enabled, from memory
        // (`ClientCache`) but every few seconds.
        let (state, id) = (&self.state, bound.client_id.as_ref());
        let site = match state.clients.get(&state.db, id, self.now).await {
            Ok(site) => site,
            Err(err) => {
                stash(&self.shared, err);
                return Err(RegistrarError::PrimitiveError);
            }
        };
        let uris = site.as_ref().map_or(&[][..], |s| &s.redirect_uris[..]);
        if !uris
            .iter()
            .any(|uri| clients::redirect_matches(uri, requested.as_str()))
        {
            return Err(RegistrarError::Unspecified);
        }
        Ok(BoundClient {
            client_id: bound.client_id,
            redirect_uri: Cow::Owned(RegisteredUrl::Exact(requested.into_owned())),
        })
    }

    async fn negotiate<'a>(
        &self,
        client: BoundClient<'a>,
        scope: Option<Scope>,
    ) -> Result<PreGrant, RegistrarError> {
        let scope = match scope {
            Some(scope) => scope,
            None => DEFAULT_SCOPE
                .parse()
                .map_err(|_| RegistrarError::PrimitiveError)?,
        };
        if scope.iter().any(|s| !SUPPORTED_SCOPES.contains(&s)) {
            return Err(RegistrarError::Unspecified);
        }
        Ok(PreGrant {
            client_id: client.client_id.into_owned(),
            redirect_uri: client.redirect_uri.into_owned(),
            scope,
        })
    }

    async fn check(
        &self,
        _client_id: &str,
        _passphrase: Option<&[u8]>,
    ) -> Result<(), RegistrarError> {
        // Client authentication happens at the token endpoint, not here.
        Err(RegistrarError::Unspecified)
    }
}

/// Stores codes (hashed) bound to everything the token endpoint will check.
struct DbAuthorizer {
    db: DatabaseConnection,
    user_id: Option<String>,
    redirect_uri: String,
    nonce: Option<String>,
    now: i64,
    shared: Shared,
    metrics: Arc<Metrics>,
}

#[async_trait]
impl Authorizer for DbAuthorizer {
    async fn authorize(&mut self, mut grant: Grant) -> Result<String, ()> {
        let challenge = grant
            .extensions
            .remove(&Pkce::required())
            .and_then(|v| v.into_private_value().ok().flatten())
            .ok_or(())?;
        let user_id = self.user_id.clone().ok_or(())?;
        let code = tokens::NewCode {
            client_id: grant.client_id,
            user_id,
            sso_session_id: grant.owner_id,
            redirect_uri: self.redirect_uri.clone(),
            scope: canonical_scope(&grant.scope),
            code_challenge: challenge,
            nonce: self.nonce.clone(),
        };
        let code = tokens::issue_code(&self.db, code, self.now)
            .await
            .map_err(|err| stash(&self.shared, err))?;
        inc(&self.metrics.codes_issued);
        Ok(code)
    }

    async fn extract(&mut self, _code: &str) -> Result<Option<Grant>, ()> {
        // Codes are redeemed by our own token endpoint.
        Err(())
    }
}

/// A scope as a string in a stable order (oxide-auth keeps scopes in a set).
fn canonical_scope(scope: &Scope) -> String {
    crate::oauth::params::canonical_scope(scope.iter())
}

/// The resource owner's consent is the SSO session: signed in means yes.
struct SsoSolicitor {
    sso_session_id: Option<String>,
    prompt_none: bool,
    shared: Shared,
}

#[async_trait]
impl OwnerSolicitor<OAuthRequest> for SsoSolicitor {
    async fn check_consent(
        &mut self,
        _: &mut OAuthRequest,
        solicitation: Solicitation<'_>,
    ) -> OwnerConsent<OAuthResponse> {
        if let Some(sso) = &self.sso_session_id {
            return OwnerConsent::Authorized(sso.clone());
        }
        if self.prompt_none {
            // OpenID Connect: no session and no interaction allowed.
            let mut target = solicitation.pre_grant().redirect_uri.to_url();
            target
                .query_pairs_mut()
                .append_pair("error", "login_required");
            if let Some(state) = solicitation.state() {
                target.query_pairs_mut().append_pair("state", state);
            }
            let mut response = OAuthResponse::default();
            return match response.redirect(target) {
                Ok(()) => OwnerConsent::InProgress(response),
                Err(err) => OwnerConsent::Error(err),
            };
        }
        if let Ok(mut side) = self.shared.lock() {
            side.login_needed = true;
        }
        OwnerConsent::InProgress(OAuthResponse::default())
    }
}

/// Checks oxide-auth leaves to extensions: PKCE with S256 only (RFC 7636,
/// RFC 9700), a well-formed challenge, and our own refusals (repeated or
/// over-long parameters), all answered with an `invalid_request` redirect.
struct RequestChecks {
    problem: Option<&'static str>,
}

impl Extension for RequestChecks {
    fn authorization(&mut self) -> Option<&mut (dyn AuthorizationExtension + Send)> {
        Some(self)
    }
}

#[async_trait]
impl AuthorizationExtension for RequestChecks {
    async fn extend(
        &mut self,
        request: &(dyn AuthorizationRequest + Sync),
    ) -> Result<Extensions, ()> {
        if self.problem.is_some() {
            return Err(());
        }
        // A missing method means `plain` (RFC 7636 §4.3), which is refused.
        let method = request.extension("code_challenge_method");
        let challenge = request.extension("code_challenge");
        let well_formed = challenge.as_deref().is_some_and(|c| {
            c.len() == 43
                && c.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        });
        if method.as_deref() != Some("S256") || !well_formed {
            return Err(());
        }
        let pkce = Pkce::required();
        let value = pkce.challenge(method, challenge)?.ok_or(())?;
        let mut extensions = Extensions::new();
        extensions.set(&pkce, value);
        Ok(extensions)
    }
}
