//! The few answers the kit's routes give a browser themselves: a small
//! page saying what went wrong, with a way back.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// A plain, self-contained HTML page with a way back, escaped.
pub(crate) fn problem(status: StatusCode, message: &str, back: &str) -> Response {
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Sign-in problem</title></head><body><main>\
         <h1>Sign-in problem</h1><p>{}</p><p><a href=\"{}\">Try again</a> · <a href=\"/\">Home</a></p>\
         </main></body></html>",
        escape(message),
        escape(back),
    );
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn what_the_page_shows_is_escaped() {
        assert_eq!(
            super::escape("<script>\"x\"&'y'"),
            "&lt;script&gt;&quot;x&quot;&amp;&#39;y&#39;"
        );
    }
}
