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

#[cfg(test)]
mod tests {
    use crate::domain::branding::Rgb;

    /// The custom properties of the light theme (`:root`) and of the dark
    /// one (`prefers-color-scheme: dark`) in the stylesheet.
    fn themes() -> [(&'static str, Vec<(String, Rgb)>); 2] {
        let css = include_str!("../../static/css/app.css");
        let props = |block: &str| -> Vec<(String, Rgb)> {
            block
                .split(';')
                .filter_map(|decl| {
                    let (name, value) = decl.split_once(':')?;
                    let name = name.trim().rsplit(['{', ' ', '\n']).next()?.trim();
                    Some((
                        name.strip_prefix("--")?.to_owned(),
                        Rgb::parse(value.trim())?,
                    ))
                })
                .collect()
        };
        let light_start = css.find(":root {").unwrap() + ":root {".len();
        let light = &css[light_start..css[light_start..].find('}').unwrap() + light_start];
        let dark_start = css.find("prefers-color-scheme: dark").unwrap();
        let dark_block = &css[dark_start..];
        let dark_block = &dark_block[dark_block.find(":root {").unwrap() + ":root {".len()..];
        let dark = &dark_block[..dark_block.find('}').unwrap()];
        [("light", props(light)), ("dark", props(dark))]
    }

    #[test]
    fn both_themes_meet_wcag_aa_contrast() {
        // (foreground, background, the least ratio): text 4.5:1 (1.4.3),
        // field borders and the focus ring 3:1 (1.4.11).
        let pairs = [
            ("fg", "bg", 4.5),
            ("fg", "card", 4.5),
            ("fg", "field-bg", 4.5),
            ("muted", "card", 4.5),
            ("muted", "bg", 4.5),
            ("accent", "card", 4.5),
            ("accent", "bg", 4.5),
            ("button-fg", "button", 4.5),
            ("danger", "card", 4.5),
            ("danger-fg", "danger-bg", 4.5),
            ("ok", "card", 4.5),
            ("field-border", "field-bg", 3.0),
            ("field-border", "card", 3.0),
            ("focus", "card", 3.0),
            ("focus", "bg", 3.0),
        ];
        for (theme, props) in themes() {
            let color = |name: &str| {
                props
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, c)| *c)
                    .unwrap_or_else(|| panic!("--{name} is missing in the {theme} theme"))
            };
            for (fg, bg, least) in pairs {
                let ratio = color(fg).contrast(color(bg));
                assert!(
                    ratio >= least,
                    "{theme}: --{fg} on --{bg} is {ratio:.2}:1, needs {least}:1"
                );
            }
        }
    }
}
