//! Structured logging with `tracing`, to stderr (stdout is for command output).
//!
//! A request formats its line and appends it to a shared batch under a
//! short lock; a thread of its own writes the batch out every 50 ms, or as
//! soon as 256 KiB are waiting. So a request never waits for stderr (a pipe
//! to a container runtime or journald can stall) and, unlike a channel that
//! wakes its reader for every line, a busy server pays no thread wake-up
//! per request (docs/benchmarks.md: the wake-ups cost more than the
//! formatting). Nothing is dropped: only when 4 MiB are waiting because
//! stderr stalls does a request wait for the writer to catch up.

use std::io::Write;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

use crate::config::LogFormat;

mod line;

pub use line::{Line, in_request};

/// How long a line may wait in the batch.
const FLUSH_EVERY: Duration = Duration::from_millis(50);
/// A batch this big is written at once.
const WRITE_AT: usize = 256 * 1024;
/// A batch this big holds new lines until it is written (stderr stalls).
const HOLD_AT: usize = 4 * 1024 * 1024;

/// Installs the global subscriber. `RUST_LOG` sets the level (default
/// `info`). Keep the guard until the process ends: dropping it writes out
/// what is still waiting.
pub fn init(format: LogFormat) -> Option<LogGuard> {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        EnvFilter::new("info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn,tower_sessions=warn")
    });
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let (writer, guard) = Lines::start(std::io::stderr(), HOLD_AT);
    let line = match format {
        LogFormat::Json => Line::Json,
        LogFormat::Text => Line::Text,
    };
    // A second init (tests start many servers in one process) is harmless.
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi && matches!(line, Line::Text))
        .with_writer(writer)
        .event_format(line)
        .try_init()
        .ok()
        .map(|()| guard)
}

/// The batch of formatted lines waiting to be written.
#[derive(Default)]
struct Batch {
    bytes: Vec<u8>,
    /// The writer has stopped: lines go straight to stderr.
    closed: bool,
}

struct Shared {
    batch: Mutex<Batch>,
    /// Rung when a batch should be written now (big, or closing).
    full: Condvar,
    /// Rung when the writer has taken the batch.
    taken: Condvar,
    hold_at: usize,
}

/// Where `tracing` writes each formatted line (`MakeWriter`).
#[derive(Clone)]
pub struct Lines(Arc<Shared>);

/// Stops the writer and writes what is waiting, when dropped.
pub struct LogGuard {
    lines: Lines,
    writer: Option<JoinHandle<()>>,
}

impl Lines {
    /// A batch written to `out` by a thread of its own; lines wait once
    /// `hold_at` bytes are waiting.
    fn start(out: impl Write + Send + 'static, hold_at: usize) -> (Lines, LogGuard) {
        let lines = Lines(Arc::new(Shared {
            batch: Mutex::new(Batch::default()),
            full: Condvar::new(),
            taken: Condvar::new(),
            hold_at,
        }));
        let writer = {
            let lines = lines.clone();
            std::thread::Builder::new()
                .name("pattmayne-log".into())
                .spawn(move || lines.write_out(out))
                .ok()
        };
        if writer.is_none() {
            // No thread for it: every line is written as it comes.
            lines.lock().closed = true;
        }
        let guard = LogGuard {
            lines: lines.clone(),
            writer,
        };
        (lines, guard)
    }

    fn lock(&self) -> MutexGuard<'_, Batch> {
        self.0.batch.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Appends one formatted line (or, once closed, writes it at once).
    fn push(&self, line: &[u8]) {
        let mut batch = self.lock();
        while batch.bytes.len() >= self.0.hold_at && !batch.closed {
            self.0.full.notify_one();
            batch = self
                .0
                .taken
                .wait(batch)
                .unwrap_or_else(PoisonError::into_inner);
        }
        if batch.closed {
            drop(batch);
            let _ = std::io::stderr().write_all(line);
            return;
        }
        let before = batch.bytes.len();
        batch.bytes.extend_from_slice(line);
        let crossed = before < WRITE_AT && batch.bytes.len() >= WRITE_AT;
        drop(batch);
        if crossed {
            self.0.full.notify_one();
        }
    }

    /// The writer thread: takes the batch every `FLUSH_EVERY` (or when rung)
    /// and writes it, until closed.
    fn write_out(&self, mut out: impl Write) {
        let mut taken = Vec::new();
        loop {
            let closed = {
                let mut batch = self.lock();
                if !batch.closed && batch.bytes.len() < WRITE_AT {
                    batch = match self.0.full.wait_timeout(batch, FLUSH_EVERY) {
                        Ok((batch, _)) => batch,
                        Err(poisoned) => poisoned.into_inner().0,
                    };
                }
                std::mem::swap(&mut taken, &mut batch.bytes);
                batch.closed
            };
            self.0.taken.notify_all();
            if !taken.is_empty() {
                let _ = out.write_all(&taken);
                let _ = out.flush();
                taken.clear();
            }
            if closed {
                return;
            }
        }
    }
}

impl Drop for LogGuard {
    fn drop(&mut self) {
        self.lines.lock().closed = true;
        self.lines.0.full.notify_all();
        self.lines.0.taken.notify_all();
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
    }
}

/// One event's writer: the fmt layer formats the whole line first and
/// hands it over in one `write_all`.
pub struct LineWriter<'a>(&'a Lines);

impl Write for LineWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.push(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Lines {
    type Writer = LineWriter<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        LineWriter(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Barrier;
    use std::sync::mpsc;

    /// An output that hands every write to the test.
    struct Sink(mpsc::Sender<Vec<u8>>);

    impl Write for Sink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            let _ = self.0.send(buf.to_vec());
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn written(rx: &mpsc::Receiver<Vec<u8>>) -> String {
        String::from_utf8(rx.try_iter().flatten().collect()).unwrap()
    }

    #[test]
    fn every_line_of_racing_threads_is_written_whole_and_in_each_threads_order() {
        let (tx, rx) = mpsc::channel();
        let (lines, guard) = Lines::start(Sink(tx), HOLD_AT);
        let barrier = Arc::new(Barrier::new(4));
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let (lines, barrier) = (lines.clone(), barrier.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    for i in 0..20_000 {
                        lines
                            .make_writer()
                            .write_all(format!("t{t} line {i}\n").as_bytes())
                            .unwrap();
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        drop(guard);
        let text = written(&rx);
        let mut next = [0; 4];
        for line in text.lines() {
            let (t, i) = line.split_once(" line ").unwrap();
            let t: usize = t[1..].parse().unwrap();
            assert_eq!(i.parse::<usize>().unwrap(), next[t], "{line}");
            next[t] += 1;
        }
        assert_eq!(next, [20_000; 4]);
    }

    #[test]
    fn a_stalled_output_holds_the_writers_back_and_loses_nothing() {
        // The output blocks until the test lets it go: the batch fills to
        // its hold mark and the next line waits instead of being dropped.
        let (tx, rx) = mpsc::channel();
        let (go_tx, go_rx) = mpsc::channel::<()>();
        struct Stalled(Sink, mpsc::Receiver<()>);
        impl Write for Stalled {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                let _ = self.1.recv();
                self.0.write(buf)
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let (lines, guard) = Lines::start(Stalled(Sink(tx), go_rx), 64);
        let line = [b'x'; 31];
        let pusher = {
            let lines = lines.clone();
            std::thread::spawn(move || {
                for _ in 0..100 {
                    let mut l = line.to_vec();
                    l.push(b'\n');
                    lines.push(&l);
                }
            })
        };
        // Let every write through, one at a time, until the pusher is done.
        while !pusher.is_finished() {
            assert!(lines.lock().bytes.len() < 64 + line.len() + 1);
            let _ = go_tx.send(());
            std::thread::yield_now();
        }
        pusher.join().unwrap();
        drop(go_tx);
        drop(guard);
        assert_eq!(written(&rx).lines().count(), 100);
    }

    #[test]
    fn lines_after_the_guard_is_dropped_still_go_out() {
        let (tx, _rx) = mpsc::channel();
        let (lines, guard) = Lines::start(Sink(tx), HOLD_AT);
        drop(guard);
        assert!(lines.lock().closed);
        // Written straight to stderr, not left in a batch nobody takes.
        lines.push(b"after close\n");
        assert!(lines.lock().bytes.is_empty());
    }
}
