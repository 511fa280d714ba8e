//! Mail: what the server sends, composed in the reader's language from two
//! templates (plain text and HTML, the link on a line of its own), the
//! queue it waits in ([`queue`]: in the database, sealed, retried with
//! backoff), and where it goes ([`Transport`]: an SMTP server, or the
//! outbox directory when none is set, so `cargo run` needs nothing else).

pub mod queue;

use std::path::PathBuf;
use std::time::Duration;

use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Body, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use minijinja::context;
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::error::AppResult;
use crate::i18n::{Arg, Lang, catalog};
use crate::templates::Templates;

/// How long one delivery may take before it counts as failed.
const SEND_TIMEOUT: Duration = Duration::from_secs(20);

/// The mails the server sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// To the address of a new registration: the link that starts the account.
    VerifyRegistration,
    /// To the owner of an address someone tried to register again.
    AlreadyRegistered,
    /// To the address of a registration whose username is taken.
    UsernameTaken,
    /// A link to choose a new password.
    PasswordReset,
    /// The password was changed (by the person, a reset or the operator).
    PasswordChanged,
    /// To a new address: the link that makes it the account's.
    VerifyNewAddress,
    /// To the old address, once the new one is verified.
    AddressChanged,
    /// To an address someone asked to move to that belongs to another account.
    AddressInUse,
    /// A second factor was added (`what`: its kind and name).
    FactorAdded,
    /// A second factor was removed.
    FactorRemoved,
    /// A recovery code was used to sign in (`left`: how many remain).
    RecoveryCodeUsed,
    /// The operator removed every second factor.
    FactorsReset,
}

/// What a mail says: a subject, paragraphs, maybe a link (a button in the
/// HTML part), more paragraphs. Every piece is a key of the catalog.
struct Parts {
    subject: &'static str,
    before: &'static [&'static str],
    button: Option<&'static str>,
    after: &'static [&'static str],
}

impl Kind {
    /// The name the queue and the admin page show.
    pub fn name(self) -> &'static str {
        match self {
            Kind::VerifyRegistration => "verify_registration",
            Kind::AlreadyRegistered => "already_registered",
            Kind::UsernameTaken => "username_taken",
            Kind::PasswordReset => "password_reset",
            Kind::PasswordChanged => "password_changed",
            Kind::VerifyNewAddress => "verify_new_address",
            Kind::AddressChanged => "address_changed",
            Kind::AddressInUse => "address_in_use",
            Kind::FactorAdded => "factor_added",
            Kind::FactorRemoved => "factor_removed",
            Kind::RecoveryCodeUsed => "recovery_code_used",
            Kind::FactorsReset => "factors_reset",
        }
    }

    fn parts(self) -> Parts {
        match self {
            Kind::VerifyRegistration => Parts {
                subject: "mail-verify-subject",
                before: &["mail-verify-intro"],
                button: Some("mail-verify-button"),
                after: &["mail-link-once", "mail-verify-ignore"],
            },
            Kind::AlreadyRegistered => Parts {
                subject: "mail-already-subject",
                before: &["mail-already-intro", "mail-already-sign-in"],
                button: Some("mail-already-button"),
                after: &["mail-already-forgot", "mail-ignore"],
            },
            Kind::UsernameTaken => Parts {
                subject: "mail-taken-subject",
                before: &["mail-taken-intro"],
                button: Some("mail-taken-button"),
                after: &["mail-ignore"],
            },
            Kind::PasswordReset => Parts {
                subject: "mail-reset-subject",
                before: &["mail-reset-intro"],
                button: Some("mail-reset-button"),
                after: &["mail-link-once", "mail-reset-ignore"],
            },
            Kind::PasswordChanged => Parts {
                subject: "mail-password-changed-subject",
                before: &[
                    "mail-password-changed-intro",
                    "mail-password-changed-not-you",
                ],
                button: Some("mail-password-changed-button"),
                after: &[],
            },
            Kind::VerifyNewAddress => Parts {
                subject: "mail-new-address-subject",
                before: &["mail-new-address-intro"],
                button: Some("mail-new-address-button"),
                after: &["mail-link-once", "mail-new-address-ignore"],
            },
            Kind::AddressChanged => Parts {
                subject: "mail-address-changed-subject",
                before: &["mail-address-changed-intro", "mail-address-changed-not-you"],
                button: None,
                after: &[],
            },
            Kind::AddressInUse => Parts {
                subject: "mail-address-in-use-subject",
                before: &["mail-address-in-use-intro"],
                button: Some("mail-address-in-use-button"),
                after: &["mail-ignore"],
            },
            Kind::FactorAdded => Parts {
                subject: "mail-factor-added-subject",
                before: &["mail-factor-added-intro", "mail-factor-not-you"],
                button: Some("mail-factor-button"),
                after: &[],
            },
            Kind::FactorRemoved => Parts {
                subject: "mail-factor-removed-subject",
                before: &["mail-factor-removed-intro", "mail-factor-not-you"],
                button: Some("mail-factor-button"),
                after: &[],
            },
            Kind::RecoveryCodeUsed => Parts {
                subject: "mail-recovery-used-subject",
                before: &["mail-recovery-used-intro", "mail-factor-not-you"],
                button: Some("mail-factor-button"),
                after: &[],
            },
            Kind::FactorsReset => Parts {
                subject: "mail-factors-reset-subject",
                before: &["mail-factors-reset-intro"],
                button: Some("mail-factor-button"),
                after: &[],
            },
        }
    }
}

/// A mail to write: which, to whom, in which language, its link, and the
/// arguments its messages take (`username`, `wait`, `address`, …; `site`
/// is always the server's name).
#[derive(Debug, Clone)]
pub struct Letter {
    pub kind: Kind,
    pub to: String,
    pub lang: Lang,
    pub link: Option<String>,
    pub args: Vec<(&'static str, Arg)>,
}

impl Letter {
    pub fn new(kind: Kind, to: &str, lang: Lang) -> Letter {
        Letter {
            kind,
            to: to.to_owned(),
            lang,
            link: None,
            args: Vec::new(),
        }
    }

    pub fn link(mut self, url: String) -> Letter {
        self.link = Some(url);
        self
    }

    pub fn with(mut self, name: &'static str, value: impl Into<String>) -> Letter {
        self.args.push((name, Arg::Text(value.into())));
        self
    }

    pub fn duration(mut self, name: &'static str, secs: i64) -> Letter {
        self.args.push((name, Arg::Duration(secs)));
        self
    }
}

/// A composed mail, as the queue keeps it (sealed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mail {
    pub to: String,
    pub kind: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Writes `letter` in its language from the mail templates.
pub fn compose(templates: &Templates, site_name: &str, letter: &Letter) -> AppResult<Mail> {
    let mut args = letter.args.clone();
    args.push(("site", Arg::Text(site_name.to_owned())));
    let say = |key: &str| catalog().text(letter.lang, key, &args);
    let parts = letter.kind.parts();
    let before: Vec<String> = parts.before.iter().map(|k| say(k)).collect();
    let after: Vec<String> = parts.after.iter().map(|k| say(k)).collect();
    let ctx = context! {
        lang => letter.lang.tag(),
        site_name,
        before,
        after,
        link => letter.link.clone(),
        button => parts.button.map(say),
        signature => say("mail-signature"),
    };
    Ok(Mail {
        to: letter.to.clone(),
        kind: letter.kind.name().to_owned(),
        subject: say(parts.subject),
        text: templates.render_string("mail/message.txt", ctx.clone())?,
        html: templates.render_string("mail/message.html", ctx)?,
    })
}

/// Where mail goes.
pub enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// One `.eml` file per mail in this directory.
    Outbox(PathBuf),
}

impl Transport {
    /// The SMTP server of `AUTH_SMTP_URL`, else `AUTH_DATA_DIR/outbox/`.
    pub fn from_config(config: &Config) -> Result<Transport, String> {
        let Some(url) = &config.smtp_url else {
            return Ok(Transport::Outbox(config.data_dir.join("outbox")));
        };
        let url = lettre_url(url.expose_secret()).ok_or("AUTH_SMTP_URL is not a valid SMTP URL")?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&url)
            .map_err(|e| format!("AUTH_SMTP_URL: {e}"))?
            .timeout(Some(SEND_TIMEOUT))
            .build();
        Ok(Transport::Smtp(transport))
    }

    /// Sends `message`; for the outbox, the file it was written to.
    async fn send(&self, message: Message, name: &str) -> Result<Option<PathBuf>, String> {
        match self {
            Transport::Smtp(smtp) => smtp
                .send(message)
                .await
                .map(|_| None)
                .map_err(|e| e.to_string()),
            Transport::Outbox(dir) => {
                // Written under a hidden name, then renamed: a reader of the
                // outbox never sees half a mail.
                let partial = dir.join(format!(".{name}.partial"));
                let path = dir.join(format!("{name}.eml"));
                let written = async {
                    write_private(dir, &partial, &message.formatted()).await?;
                    tokio::fs::rename(&partial, &path).await
                };
                written
                    .await
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                Ok(Some(path))
            }
        }
    }
}

/// Writes a file only its owner can read, in a directory only its owner can
/// enter: an outbox mail may carry a link that signs someone in.
async fn write_private(
    dir: &std::path::Path,
    path: &std::path::Path,
    bytes: &[u8],
) -> std::io::Result<()> {
    tokio::fs::create_dir_all(dir).await?;
    let mut options = tokio::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        tokio::fs::set_permissions(dir, std::os::unix::fs::PermissionsExt::from_mode(0o700))
            .await?;
        options.mode(0o600);
    }
    let mut file = options.open(path).await?;
    tokio::io::AsyncWriteExt::write_all(&mut file, bytes).await?;
    tokio::io::AsyncWriteExt::flush(&mut file).await
}

/// `AUTH_SMTP_URL` as lettre reads it: plain `smtp://` means STARTTLS
/// required (lettre would send in the clear), `?tls=none` means no TLS.
fn lettre_url(raw: &str) -> Option<String> {
    let mut url = url::Url::parse(raw).ok()?;
    let tls = url
        .query_pairs()
        .find(|(k, _)| k == "tls")
        .map(|(_, v)| v.into_owned());
    url.set_query(None);
    match (url.scheme(), tls.as_deref()) {
        ("smtp", None | Some("required")) => url.set_query(Some("tls=required")),
        ("smtp", Some("opportunistic")) => url.set_query(Some("tls=opportunistic")),
        ("smtp", Some("none")) | ("smtps", None) => {}
        _ => return None,
    }
    Some(url.to_string())
}

/// The longest line RFC 5322 allows, without its CRLF.
const MAX_LINE: usize = 998;

/// The plain-text part as written: 7bit (or 8bit, for German), CRLF line
/// ends, so the link stays one unbroken line a reader can copy. (lettre
/// would pick quoted-printable for any line over 76 characters, and break
/// the link with soft line breaks.) A line too long even for that falls
/// back to quoted-printable.
fn text_body(text: &str) -> Body {
    let crlf = text.replace("\r\n", "\n").replace('\n', "\r\n");
    let fits = crlf.split("\r\n").all(|line| line.len() <= MAX_LINE) && !crlf.contains('\0');
    if !fits {
        return Body::new(text.to_owned());
    }
    let encoding = match crlf.is_ascii() {
        true => ContentTransferEncoding::SevenBit,
        false => ContentTransferEncoding::EightBit,
    };
    Body::dangerous_pre_encoded(crlf.into_bytes(), encoding)
}

/// The RFC 5322 message for `mail` from `from`: plain text (the link on a
/// line of its own) and HTML.
fn message(from: &Mailbox, mail: &Mail) -> Result<Message, String> {
    let to: Mailbox = mail.to.parse().map_err(|e| format!("recipient: {e}"))?;
    let text = text_body(&mail.text);
    let parts = MultiPart::alternative()
        .singlepart(
            SinglePart::builder()
                .header(ContentType::TEXT_PLAIN)
                .body(text),
        )
        .singlepart(SinglePart::html(mail.html.clone()));
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(&mail.subject)
        .multipart(parts)
        .map_err(|e| format!("message: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_urls_mean_what_the_readme_says() {
        assert_eq!(
            lettre_url("smtp://u:p@mail.example:587").as_deref(),
            Some("smtp://u:p@mail.example:587?tls=required")
        );
        assert_eq!(
            lettre_url("smtp://relay:25?tls=none").as_deref(),
            Some("smtp://relay:25")
        );
        assert_eq!(
            lettre_url("smtp://relay?tls=opportunistic").as_deref(),
            Some("smtp://relay?tls=opportunistic")
        );
        assert_eq!(
            lettre_url("smtps://mail.example").as_deref(),
            Some("smtps://mail.example")
        );
        assert_eq!(lettre_url("smtps://mail.example?tls=none"), None);
        assert_eq!(lettre_url("http://mail.example"), None);
    }

    #[test]
    fn every_mail_is_written_in_both_languages_with_its_link_on_a_line_of_its_own() {
        let templates = Templates::new().unwrap();
        let kinds = [
            Kind::VerifyRegistration,
            Kind::AlreadyRegistered,
            Kind::UsernameTaken,
            Kind::PasswordReset,
            Kind::PasswordChanged,
            Kind::VerifyNewAddress,
            Kind::AddressChanged,
            Kind::AddressInUse,
            Kind::FactorAdded,
            Kind::FactorRemoved,
            Kind::RecoveryCodeUsed,
            Kind::FactorsReset,
        ];
        let link = "https://auth.example/password/reset?token=abc_DEF-123&x=<y>";
        for &lang in Lang::ALL.iter() {
            for kind in kinds {
                let letter = Letter::new(kind, "a@example.com", lang)
                    .link(link.to_owned())
                    .with("username", "alice")
                    .with("address", "new@example.com")
                    .with("forgot", "https://auth.example/password/forgot")
                    .with("what", "Phone")
                    .with("left", "9")
                    .duration("wait", 1800);
                let mail = compose(&templates, "Arcade", &letter).unwrap();
                for text in [&mail.subject, &mail.text, &mail.html] {
                    assert!(
                        !text.contains("mail-"),
                        "{kind:?} {lang:?}: a key shows: {text}"
                    );
                    assert!(
                        !text.contains('{'),
                        "{kind:?} {lang:?}: a placeholder shows: {text}"
                    );
                }
                if kind.parts().button.is_some() {
                    assert!(
                        mail.text.lines().any(|l| l == link),
                        "{kind:?} {lang:?}: the link is not on a line of its own:\n{}",
                        mail.text
                    );
                    assert!(mail.html.contains(
                        "https://auth.example/password/reset?token=abc_DEF-123&amp;x=&lt;y&gt;"
                    ));
                }
                let from: Mailbox = "Arcade <noreply@auth.example>".parse().unwrap();
                let formatted =
                    String::from_utf8(message(&from, &mail).unwrap().formatted()).unwrap();
                if kind.parts().button.is_some() {
                    assert!(
                        formatted.split("\r\n").any(|l| l == link),
                        "{kind:?} {lang:?}: the link is broken in the message:\n{formatted}"
                    );
                }
                assert!(formatted.split("\r\n").all(|l| l.len() <= MAX_LINE));
            }
        }
    }
}
