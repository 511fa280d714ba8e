//! Every word a person reads, in their language: English and German,
//! from Fluent files compiled into the binary (`locales/*.ftl`).
//!
//! Code says what to tell a person with a [`Msg`]: a key of the catalog and
//! its arguments, never a sentence. Pages translate with the template
//! function `t(key_or_msg, name=value…)`, which reads the page's `lang`.
//! The language is the visitor's choice (the `pattmayne_lang` cookie, set
//! by the links in every page's footer), else the best match of the
//! browser's `Accept-Language`, else English.
//!
//! The catalog is constant data, built once: a `static`, like the
//! templates' text, not configuration.

use std::sync::OnceLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use serde::Serialize;

/// A language the pages are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Lang {
    En,
    De,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::De];

    /// The BCP 47 tag (`<html lang>`, the cookie's value).
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::De => "de",
        }
    }

    /// The language's own name, for the switcher.
    pub fn name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::De => "Deutsch",
        }
    }

    /// A tag's language, if it is one of ours (`de-AT` is German).
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        Lang::ALL.into_iter().find(|l| l.tag() == primary)
    }

    /// The visitor's language: their choice, else the best of their
    /// browser's `Accept-Language` (RFC 9110 §12.5.4 weights), else English.
    pub fn negotiate(chosen: Option<&str>, accept_language: Option<&str>) -> Lang {
        if let Some(lang) = chosen.and_then(Lang::from_tag) {
            return lang;
        }
        let mut best: Option<(f32, Lang)> = None;
        for item in accept_language.unwrap_or_default().split(',').take(32) {
            let mut parts = item.split(';');
            let Some(lang) = parts.next().and_then(Lang::from_tag) else {
                continue;
            };
            let weight = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            if weight > 0.0 && best.is_none_or(|(w, _)| weight > w) {
                best = Some((weight, lang));
            }
        }
        best.map_or(Lang::En, |(_, lang)| lang)
    }
}

/// An argument of a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Arg {
    Text(String),
    /// A count: plural forms choose by it.
    Number(i64),
    /// Seconds, said in words in the message's language ("14 minutes").
    Duration(i64),
    /// Another message of the catalog, in the same language.
    Key(&'static str),
}

/// What to tell a person: a key of the catalog and its arguments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Msg {
    pub key: &'static str,
    pub args: Vec<(&'static str, Arg)>,
}

impl Msg {
    pub const fn new(key: &'static str) -> Msg {
        Msg {
            key,
            args: Vec::new(),
        }
    }

    /// With a text argument.
    pub fn with(mut self, name: &'static str, value: impl Into<String>) -> Msg {
        self.args.push((name, Arg::Text(value.into())));
        self
    }

    /// With a number argument.
    pub fn num(mut self, name: &'static str, value: i64) -> Msg {
        self.args.push((name, Arg::Number(value)));
        self
    }

    /// With a duration of `secs` seconds.
    pub fn duration(mut self, name: &'static str, secs: i64) -> Msg {
        self.args.push((name, Arg::Duration(secs)));
        self
    }

    /// With another message of the catalog.
    pub fn key(mut self, name: &'static str, key: &'static str) -> Msg {
        self.args.push((name, Arg::Key(key)));
        self
    }

    /// This message in `lang`.
    pub fn in_lang(&self, lang: Lang) -> String {
        catalog().message(lang, self)
    }

    /// This message in English (for logs and RFC 6749 error descriptions,
    /// which are for developers).
    pub fn english(&self) -> String {
        self.in_lang(Lang::En)
    }
}

impl From<&'static str> for Msg {
    fn from(key: &'static str) -> Msg {
        Msg::new(key)
    }
}

/// A duration as the key of its unit and the count: `45 seconds`,
/// `12 minutes`, `3 hours`, `2 days` (rounded to the nearest).
fn duration_parts(secs: i64) -> (&'static str, i64) {
    let secs = secs.max(0);
    match secs {
        0..=89 => ("duration-seconds", secs),
        90..=5399 => ("duration-minutes", (secs + 30) / 60),
        5400..=129_599 => ("duration-hours", (secs + 1800) / 3600),
        _ => ("duration-days", (secs + 43_200) / 86_400),
    }
}

/// The translations: one bundle per language.
pub struct Catalog {
    bundles: Vec<(Lang, FluentBundle<FluentResource>)>,
}

const SOURCES: [(Lang, &str); 2] = [
    (Lang::En, include_str!("../locales/en.ftl")),
    (Lang::De, include_str!("../locales/de.ftl")),
];

/// The catalog, parsed on first use.
pub fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(Catalog::load)
}

impl Catalog {
    fn load() -> Catalog {
        let bundles = SOURCES
            .iter()
            .map(|(lang, source)| {
                let langid = lang.tag().parse().unwrap_or_default();
                let mut bundle = FluentBundle::new_concurrent(vec![langid]);
                // No Unicode isolation marks around arguments: the pages are
                // left-to-right, and the marks would show up in tests and mails.
                bundle.set_use_isolating(false);
                let resource = match FluentResource::try_new((*source).to_owned()) {
                    Ok(resource) => resource,
                    Err((resource, errors)) => {
                        tracing::error!(lang = lang.tag(), ?errors, "translation file has errors");
                        resource
                    }
                };
                if let Err(errors) = bundle.add_resource(resource) {
                    tracing::error!(
                        lang = lang.tag(),
                        ?errors,
                        "translation file has duplicates"
                    );
                }
                (*lang, bundle)
            })
            .collect();
        Catalog { bundles }
    }

    fn bundle(&self, lang: Lang) -> Option<&FluentBundle<FluentResource>> {
        self.bundles
            .iter()
            .find(|(l, _)| *l == lang)
            .map(|(_, b)| b)
    }

    /// Every key of `lang`'s catalog.
    pub fn keys(&self, lang: Lang) -> Vec<String> {
        SOURCES
            .iter()
            .filter(|(l, _)| *l == lang)
            .flat_map(|(_, source)| source.lines())
            .filter_map(|line| {
                let (id, _) = line.split_once(" =")?;
                let id = id.trim_end();
                let first = id.chars().next()?;
                (first.is_ascii_lowercase()
                    && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
                .then(|| id.to_owned())
            })
            .collect()
    }

    /// Whether `lang`'s catalog has `key`.
    pub fn has(&self, lang: Lang, key: &str) -> bool {
        self.bundle(lang).is_some_and(|b| b.has_message(key))
    }

    /// `key` with `args` in `lang`; English if `lang` lacks it; the key
    /// itself if English does too (a test keeps that from shipping).
    pub fn text(&self, lang: Lang, key: &str, args: &[(&str, Arg)]) -> String {
        for lang in [lang, Lang::En] {
            let Some(bundle) = self.bundle(lang) else {
                continue;
            };
            let Some(pattern) = bundle.get_message(key).and_then(|m| m.value()) else {
                continue;
            };
            let mut fluent_args = FluentArgs::new();
            for (name, arg) in args {
                let value = match arg {
                    Arg::Text(text) => FluentValue::from(text.clone()),
                    Arg::Number(n) => FluentValue::from(*n),
                    Arg::Duration(secs) => FluentValue::from(self.duration(lang, *secs)),
                    Arg::Key(key) => FluentValue::from(self.text(lang, key, &[])),
                };
                fluent_args.set(*name, value);
            }
            let mut errors = Vec::new();
            let text = bundle.format_pattern(pattern, Some(&fluent_args), &mut errors);
            if !errors.is_empty() {
                tracing::warn!(key, ?errors, "translation could not be formatted");
            }
            return text.into_owned();
        }
        tracing::warn!(key, "no translation");
        key.to_owned()
    }

    /// A [`Msg`] in `lang`, its durations said in words first.
    pub fn message(&self, lang: Lang, msg: &Msg) -> String {
        let args: Vec<(&str, Arg)> = msg
            .args
            .iter()
            .map(|(name, arg)| match arg {
                Arg::Duration(secs) => (*name, Arg::Text(self.duration(lang, *secs))),
                Arg::Key(key) => (*name, Arg::Text(self.text(lang, key, &[]))),
                other => (*name, other.clone()),
            })
            .collect();
        self.text(lang, msg.key, &args)
    }

    /// `secs` seconds in words in `lang`.
    pub fn duration(&self, lang: Lang, secs: i64) -> String {
        let (unit, n) = duration_parts(secs);
        self.text(lang, unit, &[("n", Arg::Number(n))])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_language_is_the_choice_else_the_best_accepted_else_english() {
        assert_eq!(Lang::negotiate(None, None), Lang::En);
        assert_eq!(
            Lang::negotiate(None, Some("de-AT,de;q=0.9,en;q=0.8")),
            Lang::De
        );
        assert_eq!(
            Lang::negotiate(None, Some("fr, en;q=0.5, de;q=0.7")),
            Lang::De
        );
        assert_eq!(Lang::negotiate(None, Some("fr, it")), Lang::En);
        assert_eq!(Lang::negotiate(None, Some("de;q=0")), Lang::En);
        assert_eq!(Lang::negotiate(Some("en"), Some("de")), Lang::En);
        assert_eq!(Lang::negotiate(Some("xx"), Some("de")), Lang::De);
    }

    #[test]
    fn both_catalogs_have_the_same_keys_and_format_them() {
        let (en, de) = (catalog().keys(Lang::En), catalog().keys(Lang::De));
        assert!(en.len() > 100, "{} keys", en.len());
        let missing_de: Vec<&String> = en.iter().filter(|k| !de.contains(k)).collect();
        let missing_en: Vec<&String> = de.iter().filter(|k| !en.contains(k)).collect();
        assert!(missing_de.is_empty(), "missing in de.ftl: {missing_de:?}");
        assert!(missing_en.is_empty(), "missing in en.ftl: {missing_en:?}");
        for key in &en {
            assert!(
                catalog().has(Lang::En, key) && catalog().has(Lang::De, key),
                "{key}"
            );
        }
    }

    /// Every file under `dir` ending in `ext`, with its text.
    fn sources(dir: &std::path::Path, ext: &str, out: &mut Vec<(String, String)>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                sources(&path, ext, out);
            } else if path.extension().is_some_and(|e| e == ext) {
                let text = std::fs::read_to_string(&path).unwrap();
                out.push((path.display().to_string(), text));
            }
        }
    }

    /// The prefixes of message keys, so a string literal that looks like one
    /// is taken for one.
    const PREFIXES: &[&str] = &[
        "account-",
        "admin-",
        "audit-",
        "badge-",
        "confirm-",
        "device-",
        "duration-",
        "error-",
        "field-",
        "footer-",
        "home-",
        "login-",
        "logout-",
        "mail-",
        "forgot-",
        "reset-",
        "verify-",
        "email-",
        "change-",
        "factor-",
        "security-",
        "totp-",
        "codes-",
        "step-up-",
        "passkey-",
        "nav-",
        "notice-",
        "register-",
        "site-",
        "skip-",
        "weak-",
    ];

    #[test]
    fn every_key_the_pages_and_the_code_use_is_in_both_catalogs() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        sources(&root.join("templates"), "html", &mut files);
        sources(&root.join("src"), "rs", &mut files);
        let mut used = std::collections::BTreeSet::new();
        for (file, text) in &files {
            // In templates only what `t(…)` is given; in code every literal.
            let literals: Vec<&str> = if file.ends_with(".html") {
                text.split("t(")
                    .skip(1)
                    .filter_map(|rest| {
                        let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
                        rest[1..].split(quote).next()
                    })
                    .collect()
            } else {
                // Not the tests: what they quote no person reads.
                let code = text.split("#[cfg(test)]").next().unwrap_or_default();
                code.split('"').skip(1).step_by(2).collect()
            };
            for quoted in literals {
                let looks_like_key = PREFIXES.iter().any(|p| quoted.starts_with(p))
                    && quoted.len() < 60
                    && quoted
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                    && !quoted.ends_with('-');
                if looks_like_key {
                    used.insert((quoted.to_owned(), file.clone()));
                }
            }
        }
        assert!(used.len() > 150, "only {} keys found", used.len());
        let missing: Vec<String> = used
            .iter()
            .flat_map(|(key, file)| {
                Lang::ALL
                    .iter()
                    .filter(|lang| !catalog().has(**lang, key))
                    .map(move |lang| format!("{key} ({}, used in {file})", lang.tag()))
            })
            .collect();
        assert!(
            missing.is_empty(),
            "keys missing from a catalog: {missing:#?}"
        );
    }

    #[test]
    fn durations_are_said_in_words_with_plurals() {
        let msg = Msg::new("error-try-again-in").duration("wait", 14 * 60);
        assert_eq!(msg.in_lang(Lang::En), "You can try again in 14 minutes.");
        assert_eq!(
            msg.in_lang(Lang::De),
            "Du kannst es in 14 Minuten noch einmal versuchen."
        );
        let one = Msg::new("error-try-again-in").duration("wait", 1);
        assert_eq!(one.in_lang(Lang::En), "You can try again in 1 second.");
    }
}
