//! The minijinja templates, embedded in the binary, and the one fallible
//! helper every page renders through.

use axum::response::Html;
use minijinja::value::Kwargs;
use minijinja::{Environment, State, Value};

use crate::error::{AppError, AppResult};
use crate::i18n::{Arg, Lang, catalog};

/// Template sources, compiled into the binary so a deployment is one file.
const SOURCES: &[(&str, &str)] = &[
    ("base.html", include_str!("../templates/base.html")),
    ("error.html", include_str!("../templates/error.html")),
    ("home.html", include_str!("../templates/home.html")),
    ("macros.html", include_str!("../templates/macros.html")),
    ("login.html", include_str!("../templates/login.html")),
    ("register.html", include_str!("../templates/register.html")),
    ("account.html", include_str!("../templates/account.html")),
    ("logout.html", include_str!("../templates/logout.html")),
    (
        "admin/layout.html",
        include_str!("../templates/admin/layout.html"),
    ),
    (
        "admin/clients.html",
        include_str!("../templates/admin/clients.html"),
    ),
    (
        "admin/client_new.html",
        include_str!("../templates/admin/client_new.html"),
    ),
    (
        "admin/client.html",
        include_str!("../templates/admin/client.html"),
    ),
    (
        "admin/client_created.html",
        include_str!("../templates/admin/client_created.html"),
    ),
    (
        "admin/users.html",
        include_str!("../templates/admin/users.html"),
    ),
    (
        "admin/suspensions.html",
        include_str!("../templates/admin/suspensions.html"),
    ),
    (
        "admin/audit.html",
        include_str!("../templates/admin/audit.html"),
    ),
    (
        "admin/confirm.html",
        include_str!("../templates/admin/confirm.html"),
    ),
    (
        "admin/client_fields.html",
        include_str!("../templates/admin/client_fields.html"),
    ),
    (
        "admin/user.html",
        include_str!("../templates/admin/user.html"),
    ),
    (
        "admin/mail.html",
        include_str!("../templates/admin/mail.html"),
    ),
    ("message.html", include_str!("../templates/message.html")),
    ("device.html", include_str!("../templates/device.html")),
    (
        "password_forgot.html",
        include_str!("../templates/password_forgot.html"),
    ),
    (
        "password_reset.html",
        include_str!("../templates/password_reset.html"),
    ),
    (
        "account_password.html",
        include_str!("../templates/account_password.html"),
    ),
    (
        "account_email.html",
        include_str!("../templates/account_email.html"),
    ),
    (
        "login_factor.html",
        include_str!("../templates/login_factor.html"),
    ),
    (
        "account_security.html",
        include_str!("../templates/account_security.html"),
    ),
    (
        "account_totp.html",
        include_str!("../templates/account_totp.html"),
    ),
    (
        "recovery_codes.html",
        include_str!("../templates/recovery_codes.html"),
    ),
    (
        "mail/message.txt",
        include_str!("../templates/mail/message.txt"),
    ),
    (
        "mail/message.html",
        include_str!("../templates/mail/message.html"),
    ),
];

/// The compiled templates.
#[derive(Debug)]
pub struct Templates {
    env: Environment<'static>,
}

impl Templates {
    /// Compiles every template; a syntax error is a startup error, not a 500 later.
    pub fn new() -> Result<Self, minijinja::Error> {
        let mut env = Environment::new();
        for (name, source) in SOURCES {
            env.add_template(name, source)?;
        }
        env.set_formatter(html_formatter);
        env.add_filter("datetime", |ts: i64| crate::clock::format_utc(ts));
        env.add_function("t", translate);
        env.add_function("duration", |state: &State, secs: i64| {
            catalog().duration(page_lang(state), secs)
        });
        Ok(Templates { env })
    }

    /// Renders `name` with `ctx` into a string.
    pub fn render_string(&self, name: &str, ctx: Value) -> AppResult<String> {
        self.env
            .get_template(name)
            .and_then(|t| t.render(ctx))
            .map_err(|e| AppError::internal(format!("rendering {name}: {e:#}")))
    }

    /// Renders `name` with `ctx` as an HTML response.
    pub fn render(&self, name: &str, ctx: Value) -> AppResult<Html<String>> {
        self.render_string(name, ctx).map(Html)
    }
}

/// The page's language: its `lang` variable (English if it has none).
fn page_lang(state: &State) -> Lang {
    state
        .lookup("lang")
        .and_then(|v| v.as_str().and_then(Lang::from_tag))
        .unwrap_or(Lang::En)
}

/// `t(key, name=value, …)`: the message `key` of the catalog in the page's
/// language. Numbers stay numbers (plural forms choose by them).
fn translate(state: &State, key: &str, kwargs: Kwargs) -> Result<String, minijinja::Error> {
    let mut args: Vec<(&str, Arg)> = Vec::new();
    for name in kwargs.args() {
        let value: Value = kwargs.get(name)?;
        let arg = match value.as_i64() {
            Some(n) if value.kind() == minijinja::value::ValueKind::Number => Arg::Number(n),
            _ => Arg::Text(value.to_string()),
        };
        args.push((name, arg));
    }
    Ok(catalog().text(page_lang(state), key, &args))
}

/// minijinja's formatter, with HTML escaping of the five characters that
/// matter (`& < > " '`) only: URLs stay readable in the page source.
fn html_formatter(
    out: &mut minijinja::Output,
    state: &mut minijinja::State,
    value: &Value,
) -> Result<(), minijinja::Error> {
    match value.as_str() {
        Some(text) if !value.is_safe() && *state.auto_escape() != minijinja::AutoEscape::None => {
            let mut escaped = String::with_capacity(text.len());
            for c in text.chars() {
                match c {
                    '&' => escaped.push_str("&amp;"),
                    '<' => escaped.push_str("&lt;"),
                    '>' => escaped.push_str("&gt;"),
                    '"' => escaped.push_str("&quot;"),
                    '\'' => escaped.push_str("&#x27;"),
                    c => escaped.push(c),
                }
            }
            out.write_str(&escaped).map_err(|e| {
                minijinja::Error::new(minijinja::ErrorKind::WriteFailure, e.to_string())
            })
        }
        _ => minijinja::escape_formatter(out, state, value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use minijinja::context;

    #[test]
    fn every_template_compiles_and_escapes_markup() {
        let templates = Templates::new().unwrap();
        let html = templates
            .render_string("error.html", context! { status => 400, reason => "Bad Request", message => "<script>alert('x')</script> https://a.example/b" })
            .unwrap();
        assert!(
            html.contains("&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; https://a.example/b")
        );
        assert!(!html.contains("<script>alert"));
    }
}
