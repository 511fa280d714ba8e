//! How a log line looks, as text or as JSON: the time, the level, where it
//! comes from, the message and its fields, and the id of the request it
//! was logged in.
//!
//! The request id comes from a task-local that the request-log middleware
//! sets around each request, not from a `tracing` span: a span per request
//! (created in the registry, its fields formatted, entered and left at
//! every poll, its scope walked for every line) cost about as much as the
//! line itself (docs/benchmarks.md).

use std::fmt::{self, Write as _};
use std::future::Future;

use axum::http::HeaderValue;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::time::{FormatTime, SystemTime};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

tokio::task_local! {
    static REQUEST_ID: HeaderValue;
}

/// Runs `request` with `id` as the request id of every line it logs.
pub async fn in_request<F: Future>(id: HeaderValue, request: F) -> F::Output {
    REQUEST_ID.scope(id, request).await
}

/// Writes the request id of the task this runs in, if it serves a request
/// (` request_id="…"` or `,"request_id":"…"`).
fn write_request_id(writer: &mut Writer<'_>, line: Line) -> fmt::Result {
    REQUEST_ID
        .try_with(|id| match (id.to_str(), line) {
            (Ok(id), Line::Text) => write!(writer, " request_id={id:?}"),
            (Ok(id), Line::Json) => {
                writer.write_str(",\"request_id\":")?;
                json_string(writer, id)
            }
            (Err(_), _) => Ok(()),
        })
        .unwrap_or(Ok(()))
}

/// The line format (`AUTH_LOG_FORMAT`).
#[derive(Debug, Clone, Copy)]
pub enum Line {
    /// `2026-12-02T13:59:17.245935Z  INFO target: message key=value request_id="…"`
    Text,
    /// One JSON object a line, its fields flattened beside `timestamp`,
    /// `level`, `target`, `message` and `request_id`.
    Json,
}

impl<S, N> FormatEvent<S, N> for Line
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let meta = event.metadata();
        match self {
            Line::Text => {
                SystemTime.format_time(&mut writer)?;
                if writer.has_ansi_escapes() {
                    let colour = match *meta.level() {
                        Level::ERROR => "31",
                        Level::WARN => "33",
                        Level::INFO => "32",
                        _ => "34",
                    };
                    write!(writer, " \x1b[{colour}m{:>5}\x1b[0m ", meta.level())?;
                } else {
                    write!(writer, " {:>5} ", meta.level())?;
                }
                write!(writer, "{}: ", meta.target())?;
                ctx.format_fields(writer.by_ref(), event)?;
                write_request_id(&mut writer, *self)?;
                writeln!(writer)
            }
            Line::Json => {
                writer.write_str("{\"timestamp\":\"")?;
                SystemTime.format_time(&mut writer)?;
                write!(writer, "\",\"level\":\"{}\",\"target\":", meta.level())?;
                json_string(&mut writer, meta.target())?;
                let mut fields = JsonFields {
                    out: writer.by_ref(),
                    result: Ok(()),
                };
                event.record(&mut fields);
                fields.result?;
                write_request_id(&mut writer, *self)?;
                writer.write_str("}\n")
            }
        }
    }
}

/// Writes each field as `,"name":value`.
struct JsonFields<'w> {
    out: Writer<'w>,
    result: fmt::Result,
}

impl JsonFields<'_> {
    fn field(&mut self, field: &Field, value: impl FnOnce(&mut Writer<'_>) -> fmt::Result) {
        if self.result.is_ok() {
            self.result = self
                .out
                .write_char(',')
                .and_then(|()| json_string(&mut self.out, field.name()))
                .and_then(|()| self.out.write_char(':'))
                .and_then(|()| value(&mut self.out));
        }
    }
}

impl Visit for JsonFields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.field(field, |out| json_string(out, value));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.field(field, |out| write!(out, "{value}"));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.field(field, |out| write!(out, "{value}"));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.field(field, |out| write!(out, "{value}"));
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        if value.is_finite() {
            self.field(field, |out| write!(out, "{value}"));
        } else {
            self.field(field, |out| write!(out, "\"{value}\""));
        }
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.field(field, |out| json_display(out, value));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.field(field, |out| {
            out.write_char('"')?;
            write!(JsonEscaped(out), "{value:?}")?;
            out.write_char('"')
        });
    }
}

fn json_display(out: &mut Writer<'_>, value: &dyn fmt::Display) -> fmt::Result {
    out.write_char('"')?;
    write!(JsonEscaped(out), "{value}")?;
    out.write_char('"')
}

fn json_string(out: &mut Writer<'_>, value: &str) -> fmt::Result {
    out.write_char('"')?;
    JsonEscaped(out).write_str(value)?;
    out.write_char('"')
}

/// Escapes what is written through it for the inside of a JSON string
/// (RFC 8259 §7).
struct JsonEscaped<'a, 'w>(&'a mut Writer<'w>);

impl fmt::Write for JsonEscaped<'_, '_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let mut plain = 0;
        for (i, c) in s.char_indices() {
            let escaped = match c {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                c if (c as u32) < 0x20 => "",
                _ => continue,
            };
            self.0.write_str(&s[plain..i])?;
            if escaped.is_empty() {
                write!(self.0, "\\u{:04x}", c as u32)?;
            } else {
                self.0.write_str(escaped)?;
            }
            plain = i + c.len_utf8();
        }
        self.0.write_str(&s[plain..])
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use tracing_subscriber::fmt::MakeWriter;

    use super::*;

    /// Every line logged, kept for the test.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Captured {
        type Writer = Captured;
        fn make_writer(&'a self) -> Captured {
            self.clone()
        }
    }

    /// What `log` writes in `line`'s format, inside a request with `id`
    /// (and once outside any request).
    fn logged(line: Line, id: &'static str, log: impl Fn()) -> Vec<String> {
        let captured = Captured::default();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_writer(captured.clone())
            .event_format(line)
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            REQUEST_ID.sync_scope(HeaderValue::from_static(id), &log);
            log();
        });
        let bytes = captured.0.lock().unwrap().clone();
        String::from_utf8(bytes)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    fn hostile_event() {
        let path = "/a\"b\\c\nd\u{1}é";
        tracing::warn!(path, status = 404u16, delta = -3i64, ok = true, ratio = 0.5, odd = ?vec!["x\"y"], "look: \"here\"");
    }

    #[test]
    fn a_json_line_is_one_valid_object_with_every_field_and_the_request_id() {
        let lines = logged(Line::Json, "r-1\"2", hostile_event);
        assert_eq!(lines.len(), 2, "{lines:?}");
        let inside: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
        assert_eq!(inside["level"], "WARN");
        assert_eq!(inside["target"], module_path!());
        assert_eq!(inside["message"], "look: \"here\"");
        assert_eq!(inside["path"], "/a\"b\\c\nd\u{1}é");
        assert_eq!(inside["status"], 404);
        assert_eq!(inside["delta"], -3);
        assert_eq!(inside["ok"], true);
        assert_eq!(inside["ratio"], 0.5);
        assert_eq!(inside["odd"], "[\"x\\\"y\"]");
        assert_eq!(inside["request_id"], "r-1\"2");
        let timestamp = inside["timestamp"].as_str().unwrap();
        assert!(
            timestamp.ends_with('Z') && timestamp.len() >= 20,
            "{timestamp}"
        );
        let outside: serde_json::Value = serde_json::from_str(&lines[1]).unwrap();
        assert!(outside.get("request_id").is_none(), "{outside}");
        assert_eq!(outside["status"], 404);
    }

    #[test]
    fn a_text_line_ends_with_the_request_id_and_keeps_to_one_line() {
        let lines = logged(Line::Text, "r-1 2", hostile_event);
        assert_eq!(lines.len(), 2, "{lines:?}");
        let inside = &lines[0];
        assert!(
            inside.contains(&format!(" WARN {}: look: \"here\" path=", module_path!())),
            "{inside}"
        );
        assert!(inside.contains(r#"path="/a\"b\\c\nd\u{1}é""#), "{inside}");
        assert!(inside.contains(" status=404 "), "{inside}");
        assert!(inside.ends_with(r#" request_id="r-1 2""#), "{inside}");
        assert!(!lines[1].contains("request_id"), "{}", lines[1]);
    }
}
