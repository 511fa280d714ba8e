//! The minijinja templates, embedded in the binary, and the one fallible
//! helper every page renders through.

use axum::response::Html;
use minijinja::{Environment, Value};

use crate::error::{AppError, AppResult};

/// Template sources, compiled into the binary so a deployment is one file.
const SOURCES: &[(&str, &str)] = &[
    ("base.html", include_str!("../templates/base.html")),
    ("error.html", include_str!("../templates/error.html")),
    ("home.html", include_str!("../templates/home.html")),
    ("macros.html", include_str!("../templates/macros.html")),
    ("login.html", include_str!("../templates/login.html")),
    ("register.html", include_str!("../templates/register.html")),
    ("account.html", include_str!("../templates/account.html")),
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
        env.add_filter("datetime", |ts: i64| crate::clock::format_utc(ts));
        env.add_filter("duration", |secs: i64| crate::clock::format_duration(secs));
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
