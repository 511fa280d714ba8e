//! Static assets, embedded in the binary.

use axum::extract::Path;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use crate::error::AppError;

const ASSETS: &[(&str, &str, &str)] = &[
    (
        "css/app.css",
        "text/css; charset=utf-8",
        include_str!("../../static/css/app.css"),
    ),
    (
        "js/constants.js",
        "text/javascript; charset=utf-8",
        include_str!("../../static/js/constants.js"),
    ),
    (
        "js/app.js",
        "text/javascript; charset=utf-8",
        include_str!("../../static/js/app.js"),
    ),
];

/// `GET /static/{*path}`.
pub async fn asset(Path(path): Path<String>) -> Response {
    match ASSETS.iter().find(|(name, _, _)| *name == path) {
        Some((_, content_type, body)) => (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
                (
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("public, max-age=3600"),
                ),
            ],
            *body,
        )
            .into_response(),
        None => AppError::NotFound.into_response(),
    }
}
