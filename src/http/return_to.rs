//! Where a sign-in may send the browser next: the one place return targets
//! are made and checked.

use crate::resources::routes;

/// `/login?next=…` for a return target on this server.
pub fn login_url(next: &str) -> String {
    match safe_next(next) {
        Some(next) => format!("{}?next={}", routes::LOGIN, urlencode(&next)),
        None => routes::LOGIN.to_owned(),
    }
}

/// `/login?next=…&reauth=1`: the sign-in form even for a signed-in person,
/// who must prove who they are again before going on to `next`.
pub fn reauth_url(next: &str) -> String {
    let url = login_url(next);
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}reauth=1")
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// A return target is accepted only if it is a path on this server, judged
/// on its final form: the path the browser will be sent to, after dot
/// segments and percent-encoded dots have been resolved. It must start with
/// one `/` and nothing a browser reads as another host (`//`, `/\\`), and
/// the raw value may hold no backslash or control character (browsers drop
/// tabs and newlines, and read `\\` as `/`). Anything else is ignored, so
/// `/login?next=` is no open redirect. This is the one place return targets
/// are made; every page that takes one goes through it.
pub fn safe_next(next: &str) -> Option<String> {
    if next.len() > 4096
        || !next.starts_with('/')
        || next.contains('\\')
        || next.chars().any(char::is_control)
    {
        return None;
    }
    let base = url::Url::parse("http://pattmayne.invalid/").ok()?;
    let resolved = base.join(next).ok()?;
    if resolved.origin() != base.origin() {
        return None;
    }
    let mut target = resolved.path().to_owned();
    if let Some(q) = resolved.query() {
        target.push('?');
        target.push_str(q);
    }
    is_local_path(&target).then_some(target)
}

/// Whether `target`, sent as a `Location`, stays on this server: one
/// leading slash and no second one (or backslash) right after it.
fn is_local_path(target: &str) -> bool {
    let mut bytes = target.bytes();
    bytes.next() == Some(b'/') && !matches!(bytes.next(), Some(b'/' | b'\\'))
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_paths_on_this_server_are_return_targets() {
        assert_eq!(safe_next("/account").as_deref(), Some("/account"));
        assert_eq!(
            safe_next("/oauth2/authorize?client_id=a&state=b").as_deref(),
            Some("/oauth2/authorize?client_id=a&state=b")
        );
        for bad in [
            "https://evil.example/",
            "//evil.example/",
            "/\\evil.example",
            "\\\\evil.example",
            "javascript:alert(1)",
            "evil.example",
            "",
            "/%0d%0aSet-Cookie:x",
            "/\r\nx",
            " /account",
            "http:/evil.example",
        ] {
            let out = safe_next(bad);
            assert!(
                out.is_none()
                    || out
                        .as_deref()
                        .is_some_and(|p| p.starts_with('/') && !p.starts_with("//")),
                "{bad:?} -> {out:?}"
            );
        }
        assert!(safe_next("https://evil.example/").is_none());
        assert!(safe_next("//evil.example/").is_none());
    }
}
