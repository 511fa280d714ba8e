//! Where the tests read the server's mail: a real SMTP server (Debian's
//! `python3-aiosmtpd`, started per test on a port of its own, delivering
//! into a Maildir), or the outbox directory the server writes `.eml`
//! files to when no SMTP server is set. Both are read from disk and
//! parsed as the RFC 5322 messages they are.
//!
//! Without aiosmtpd the SMTP tests say SKIPPED and pass, unless
//! `PATTMAYNE_CI=1` (`.ci/run` installs it).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::helpers::{TempDir, TestApp, spawn_app_with};

const PYTHON: &str = "/usr/bin/python3";

/// A mail as it arrived.
#[derive(Debug, Clone)]
pub struct Received {
    pub to: String,
    pub from: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub raw: String,
}

impl Received {
    fn parse(bytes: &[u8]) -> Received {
        let message = mail_parser::MessageParser::default()
            .parse(bytes)
            .expect("an RFC 5322 message");
        let address = |a: Option<&mail_parser::Address>| {
            a.and_then(|a| a.first())
                .and_then(|a| a.address())
                .unwrap_or_default()
                .to_owned()
        };
        Received {
            to: address(message.to()),
            from: address(message.from()),
            subject: message.subject().unwrap_or_default().to_owned(),
            text: message.body_text(0).unwrap_or_default().into_owned(),
            html: message.body_html(0).unwrap_or_default().into_owned(),
            raw: String::from_utf8_lossy(bytes).into_owned(),
        }
    }

    /// The link of the mail: the line of the plain-text part that is one.
    pub fn link(&self) -> String {
        self.text
            .lines()
            .find(|l| l.starts_with("http://") || l.starts_with("https://"))
            .unwrap_or_else(|| panic!("no link on a line of its own in:\n{}", self.text))
            .to_owned()
    }

    /// The link's path and query (to request it from the test server).
    pub fn link_path(&self) -> String {
        let url = url::Url::parse(&self.link()).unwrap();
        format!("{}?{}", url.path(), url.query().unwrap_or_default())
    }

    /// The `token` of the link.
    pub fn token(&self) -> String {
        url::Url::parse(&self.link())
            .unwrap()
            .query_pairs()
            .find(|(k, _)| k == "token")
            .map(|(_, v)| v.into_owned())
            .expect("a token in the link")
    }
}

/// Every message file in `dir` (recursively: a Maildir's `new/` and `cur/`).
fn read_all(dir: &Path) -> Vec<Received> {
    let mut files: Vec<PathBuf> = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                if !path.ends_with("tmp") {
                    stack.push(path);
                }
            } else if !path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
            {
                files.push(path);
            }
        }
    }
    // Oldest first (outbox names start with the time; Maildir by mtime).
    files.sort_by_key(|p| {
        (
            std::fs::metadata(p).and_then(|m| m.modified()).ok(),
            p.clone(),
        )
    });
    files
        .iter()
        .filter_map(|p| std::fs::read(p).ok())
        .map(|bytes| Received::parse(&bytes))
        .collect()
}

/// aiosmtpd, listening on 127.0.0.1:`port`, delivering into a Maildir.
pub struct SmtpServer {
    child: Child,
    pub port: u16,
    maildir: TempDir,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether aiosmtpd can run here (in CI it must).
pub fn smtp_available() -> bool {
    let present = Command::new(PYTHON)
        .args(["-c", "import aiosmtpd"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !present {
        assert!(
            std::env::var("PATTMAYNE_CI").as_deref() != Ok("1"),
            "PATTMAYNE_CI=1 but aiosmtpd is missing (apt-get install -y python3-aiosmtpd)"
        );
        eprintln!(
            "SKIPPED: the SMTP tests need python3-aiosmtpd (apt-get install -y python3-aiosmtpd)"
        );
    }
    present
}

/// A free port on loopback.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl SmtpServer {
    /// Starts aiosmtpd on a free port.
    pub async fn start() -> SmtpServer {
        SmtpServer::start_on(free_port()).await
    }

    /// Starts aiosmtpd on `port` and waits until it answers.
    pub async fn start_on(port: u16) -> SmtpServer {
        let maildir = TempDir::new("pattmayne-maildir");
        let child = Command::new(PYTHON)
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            // A directory that does not exist yet: Python's Maildir makes it
            // with its tmp/, new/ and cur/.
            .arg(maildir.path().join("Maildir"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start aiosmtpd");
        let server = SmtpServer {
            child,
            port,
            maildir,
        };
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return server;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("aiosmtpd never listened on {port}");
    }

    /// `AUTH_SMTP_URL` for it: a local relay, no TLS.
    pub fn url(&self) -> String {
        smtp_url(self.port)
    }
}

/// `AUTH_SMTP_URL` of a local relay on `port`.
pub fn smtp_url(port: u16) -> String {
    format!("smtp://127.0.0.1:{port}?tls=none")
}

/// Where a test's server sends mail, and how the test reads it.
pub enum Mailbox {
    Smtp(SmtpServer),
    /// The server's own outbox (`AUTH_DATA_DIR/outbox`).
    Outbox(PathBuf),
}

impl Mailbox {
    fn read(&self) -> Vec<Received> {
        match self {
            Mailbox::Smtp(server) => read_all(server.maildir.path()),
            Mailbox::Outbox(dir) => read_all(dir),
        }
    }

    /// Every mail delivered so far.
    pub fn all(&self) -> Vec<Received> {
        self.read()
    }

    /// Waits until `count` mails to `to` have arrived and returns them
    /// (the server sends them off the request path; the test asks its queue
    /// to deliver now rather than waiting for the sender's next look).
    pub async fn wait_for(&self, app: &TestApp, to: &str, count: usize) -> Vec<Received> {
        for _ in 0..200 {
            pattmayne_auth::mail::queue::deliver_due(&app.state)
                .await
                .unwrap();
            let mails: Vec<Received> = self.read().into_iter().filter(|m| m.to == to).collect();
            if mails.len() >= count {
                assert_eq!(
                    mails.len(),
                    count,
                    "more mails to {to} than expected: {mails:#?}"
                );
                return mails;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!(
            "{count} mail(s) to {to} never arrived; all mail: {:#?}",
            self.read()
        );
    }

    /// The one mail to `to` (waiting for it).
    pub async fn one_to(&self, app: &TestApp, to: &str) -> Received {
        self.wait_for(app, to, 1).await.remove(0)
    }

    /// Delivers what is due and says how many mails went to `to`.
    pub async fn count_to(&self, app: &TestApp, to: &str) -> usize {
        // Twice: a mail the background sender had claimed is written by then.
        for _ in 0..2 {
            pattmayne_auth::mail::queue::deliver_due(&app.state)
                .await
                .unwrap();
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.read().iter().filter(|m| m.to == to).count()
    }
}

/// A server that mails through a real SMTP server (aiosmtpd), or, where
/// aiosmtpd is not installed (outside CI), through its outbox.
pub async fn spawn_app_with_mail(extra: &[&str]) -> (TestApp, Mailbox) {
    if smtp_available() {
        let server = SmtpServer::start().await;
        let url = server.url();
        let mut settings = vec!["--smtp-url", url.as_str()];
        settings.extend_from_slice(extra);
        let app = spawn_app_with(&settings).await;
        (app, Mailbox::Smtp(server))
    } else {
        let app = spawn_app_with(extra).await;
        let outbox = app.data_dir.path().join("outbox");
        (app, Mailbox::Outbox(outbox))
    }
}

/// A server with no SMTP server set: its mail goes to the outbox.
pub async fn spawn_app_with_outbox(extra: &[&str]) -> (TestApp, Mailbox) {
    let app = spawn_app_with(extra).await;
    let outbox = app.data_dir.path().join("outbox");
    (app, Mailbox::Outbox(outbox))
}
