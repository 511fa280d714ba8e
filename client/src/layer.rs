//! The tower layer that runs before the site's handlers: it resolves the
//! request's cookies into a person (refreshing when needed) and puts the
//! rotated cookies on the response.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::http::header::SET_COOKIE;
use axum::response::Response;
use axum_extra::extract::cookie::CookieJar;
use tower_layer::Layer;
use tower_service::Service;

use crate::config::ROUTES;
use crate::extract::Found;
use crate::kit::AuthKit;

/// The kit's layer; see [`AuthKit::layer`].
#[derive(Clone)]
pub struct AuthLayer {
    kit: AuthKit,
}

impl AuthLayer {
    pub(crate) fn new(kit: AuthKit) -> Self {
        AuthLayer { kit }
    }
}

impl<S> Layer<S> for AuthLayer {
    type Service = AuthService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        AuthService {
            inner,
            kit: self.kit.clone(),
        }
    }
}

/// The service [`AuthLayer`] wraps a router in.
#[derive(Clone)]
pub struct AuthService<S> {
    inner: S,
    kit: AuthKit,
}

impl<S> Service<Request> for AuthService<S>
where
    S: Service<Request, Response = Response> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request) -> Self::Future {
        // The service that was polled ready serves this request.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let kit = self.kit.clone();
        Box::pin(async move {
            // The kit's own routes read the cookies themselves (a sign-out
            // must present the token it holds, not a freshly rotated one).
            let own_route = request
                .uri()
                .path()
                .strip_prefix(ROUTES)
                .is_some_and(|rest| rest.starts_with('/'));
            if own_route {
                return inner.call(request).await;
            }
            let resolution = kit
                .resolve(&CookieJar::from_headers(request.headers()))
                .await;
            request.extensions_mut().insert(Found(resolution.session));
            let mut response = inner.call(request).await?;
            for cookie in resolution.set_cookies {
                if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
                    response.headers_mut().append(SET_COOKIE, value);
                }
            }
            Ok(response)
        })
    }
}
