//! Structured logging with `tracing`, to stderr (stdout is for command output).
//!
//! Lines are written by a thread of their own (`tracing-appender`): a
//! request formats its line and hands it over, and never waits for stderr
//! (a pipe to a container runtime or journald can stall). Nothing is
//! dropped: only if 128k lines were waiting would a request wait its turn.

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Installs the global subscriber. `RUST_LOG` sets the level (default
/// `info`). Keep the guard until the process ends: dropping it writes out
/// what is still queued.
pub fn init(format: LogFormat) -> Option<WorkerGuard> {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        EnvFilter::new("info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn,tower_sessions=warn")
    });
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(false)
        .thread_name("pattmayne-log")
        // Buffered: the writing thread drains every line waiting and then
        // flushes, so under load one write(2) carries many lines.
        .finish(std::io::BufWriter::with_capacity(
            64 * 1024,
            std::io::stderr(),
        ));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(writer);
    // A second init (tests start many servers in one process) is harmless.
    let installed = match format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Text => builder.try_init(),
    };
    installed.ok().map(|()| guard)
}
