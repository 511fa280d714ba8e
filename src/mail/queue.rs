//! The mail queue. A mail is composed when it is asked for (in the
//! language of the page that asked), sealed with the server's key (it may
//! carry a link that signs someone in) and put in `mail_outbox`, in the same
//! transaction as whatever it tells of; a sender task then delivers it off
//! the request path. A restart loses nothing: a mail leaves the table only
//! once delivered. A failed delivery is logged, kept with its error for the
//! admin page (`/admin/mail`) and tried again with backoff; after the last
//! attempt it stays there, failed, until an admin tries it again or it is
//! swept a week later. Several instances share the queue: each claims a
//! row before sending it.

use std::sync::Arc;
use std::time::Duration;

use lettre::message::Mailbox;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use tokio::sync::Notify;

use super::{Letter, Mail, Transport, compose, message};
use crate::crypto::Keys;
use crate::entities::mail_outbox;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::templates::Templates;

/// The seal's context: a sealed mail opens as nothing else.
const SEAL_CONTEXT: &str = "queued mail";
/// Attempts before a mail is given up.
pub const MAX_ATTEMPTS: i32 = 8;
/// How long a sender holds a claimed mail before another may take it.
const CLAIM_SECS: i64 = 120;
/// Mails one pass of the sender takes.
const BATCH: u64 = 20;
/// How often the sender looks without being woken (mails queued by another
/// instance, retries coming due).
const POLL: Duration = Duration::from_secs(15);

/// The sender's side: where mail goes, from whom, and the bell that wakes
/// it when a mail is queued.
pub struct Mailer {
    transport: Transport,
    from: Mailbox,
    wake: Notify,
}

impl Mailer {
    pub fn new(transport: Transport, from: Mailbox) -> Arc<Mailer> {
        Arc::new(Mailer {
            transport,
            from,
            wake: Notify::new(),
        })
    }

    /// Tells the sender there is mail (call after the transaction that
    /// queued it committed).
    pub fn wake(&self) {
        self.wake.notify_one();
    }
}

/// Seconds until attempt `attempts + 1`: a minute, doubling, at most six hours.
pub fn backoff(attempts: i32) -> i64 {
    let exp = attempts.clamp(1, 10) - 1;
    (60_i64 << exp).min(6 * 3600)
}

/// Composes `letter` and queues it in `db` (a transaction, if the mail
/// tells of a change it makes). The caller wakes the sender once committed.
pub async fn put(
    db: &impl ConnectionTrait,
    keys: &Keys,
    templates: &Templates,
    site_name: &str,
    letter: &Letter,
    now: i64,
) -> AppResult<()> {
    let mail = compose(templates, site_name, letter)?;
    let json = serde_json::to_vec(&mail)
        .map_err(|e| AppError::internal(format!("queueing a mail: {e}")))?;
    mail_outbox::ActiveModel {
        recipient: Set(mail.to),
        kind: Set(mail.kind),
        message: Set(keys.seal(SEAL_CONTEXT, &json)?),
        attempts: Set(0),
        next_attempt_at: Set(now),
        locked_until: Set(None),
        last_error: Set(None),
        failed: Set(false),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Queues `letter` and wakes the sender.
pub async fn send(state: &AppState, letter: &Letter) -> AppResult<()> {
    put(
        &state.db,
        &state.keys,
        &state.templates,
        &state.config.site_name,
        letter,
        state.clock.now(),
    )
    .await?;
    state.mailer.wake();
    Ok(())
}

/// Delivers every mail due now; the number it tried.
pub async fn deliver_due(state: &AppState) -> Result<usize, DbErr> {
    let now = state.clock.now();
    let unclaimed = Condition::any()
        .add(mail_outbox::Column::LockedUntil.is_null())
        .add(mail_outbox::Column::LockedUntil.lte(now));
    let due = mail_outbox::Entity::find()
        .filter(mail_outbox::Column::Failed.eq(false))
        .filter(mail_outbox::Column::NextAttemptAt.lte(now))
        .filter(unclaimed.clone())
        .order_by_asc(mail_outbox::Column::Id)
        .limit(BATCH)
        .all(&state.db)
        .await?;
    let mut tried = 0;
    for row in due {
        let claimed = mail_outbox::Entity::update_many()
            .col_expr(
                mail_outbox::Column::LockedUntil,
                Expr::value(now + CLAIM_SECS),
            )
            .filter(mail_outbox::Column::Id.eq(row.id))
            .filter(unclaimed.clone())
            .exec(&state.db)
            .await?
            .rows_affected
            == 1;
        if !claimed {
            continue;
        }
        tried += 1;
        let outcome = deliver(state, &row).await;
        settle(state, &row, outcome, now).await?;
    }
    Ok(tried)
}

/// What became of one attempt.
enum Outcome {
    Sent(Option<std::path::PathBuf>),
    /// Worth trying again.
    Failed(String),
    /// Never will work (the seal does not open: the secret key changed).
    Unsendable(String),
}

async fn deliver(state: &AppState, row: &mail_outbox::Model) -> Outcome {
    let mail: Mail = match state
        .keys
        .open(SEAL_CONTEXT, &row.message)
        .ok()
        .and_then(|json| serde_json::from_slice(&json).ok())
    {
        Some(mail) => mail,
        None => {
            return Outcome::Unsendable(
                "the mail cannot be opened (was AUTH_SECRET_KEY changed?)".into(),
            );
        }
    };
    let message = match message(&state.mailer.from, &mail) {
        Ok(message) => message,
        Err(err) => return Outcome::Unsendable(err),
    };
    match state
        .mailer
        .transport
        .send(
            message,
            &format!("{}-{}-{}", row.created_at, row.id, row.kind),
        )
        .await
    {
        Ok(path) => Outcome::Sent(path),
        Err(err) => Outcome::Failed(err),
    }
}

async fn settle(
    state: &AppState,
    row: &mail_outbox::Model,
    outcome: Outcome,
    now: i64,
) -> Result<(), DbErr> {
    let attempts = row.attempts + 1;
    let (error, give_up) = match outcome {
        Outcome::Sent(path) => {
            mail_outbox::Entity::delete_by_id(row.id)
                .exec(&state.db)
                .await?;
            crate::metrics::inc(&state.metrics.mails_sent);
            match path {
                Some(path) => {
                    tracing::info!(mail_id = row.id, kind = %row.kind, path = %path.display(), "mail written to the outbox")
                }
                None => tracing::info!(mail_id = row.id, kind = %row.kind, "mail sent"),
            }
            return Ok(());
        }
        Outcome::Failed(error) => (error, attempts >= MAX_ATTEMPTS),
        Outcome::Unsendable(error) => (error, true),
    };
    crate::metrics::inc(&state.metrics.mail_failures);
    tracing::warn!(mail_id = row.id, kind = %row.kind, attempts, give_up, error = %error, "mail delivery failed");
    let mut failed: mail_outbox::ActiveModel = row.clone().into();
    failed.attempts = Set(attempts);
    failed.last_error = Set(Some(error.chars().take(500).collect()));
    failed.locked_until = Set(None);
    failed.failed = Set(give_up);
    failed.next_attempt_at = Set(now + backoff(attempts));
    failed.update(&state.db).await?;
    Ok(())
}

/// Sends mail until the process ends: whenever woken, and every few
/// seconds for what comes due.
pub async fn run(state: AppState) {
    loop {
        loop {
            match deliver_due(&state).await {
                Ok(0) => break,
                Ok(_) => continue,
                Err(err) => {
                    tracing::warn!(error = %err, "the mail queue could not be read");
                    break;
                }
            }
        }
        tokio::select! {
            () = state.mailer.wake.notified() => {}
            () = tokio::time::sleep(POLL) => {}
        }
    }
}

/// The mails not delivered yet, newest first, for the admin page (the
/// sealed message is not read).
pub async fn waiting(db: &impl ConnectionTrait) -> Result<Vec<mail_outbox::Model>, DbErr> {
    mail_outbox::Entity::find()
        .order_by_desc(mail_outbox::Column::Id)
        .limit(200)
        .all(db)
        .await
}

/// Puts a mail that was given up back in the queue, due now.
pub async fn retry(db: &impl ConnectionTrait, id: i64, now: i64) -> Result<bool, DbErr> {
    Ok(mail_outbox::Entity::update_many()
        .col_expr(mail_outbox::Column::Failed, Expr::value(false))
        .col_expr(mail_outbox::Column::Attempts, Expr::value(0))
        .col_expr(mail_outbox::Column::NextAttemptAt, Expr::value(now))
        .filter(mail_outbox::Column::Id.eq(id))
        .filter(mail_outbox::Column::Failed.eq(true))
        .exec(db)
        .await?
        .rows_affected
        == 1)
}

/// Forgets mails given up more than a week ago.
pub async fn sweep(db: &impl ConnectionTrait, now: i64) -> Result<(), DbErr> {
    mail_outbox::Entity::delete_many()
        .filter(mail_outbox::Column::Failed.eq(true))
        .filter(mail_outbox::Column::NextAttemptAt.lte(now - 7 * 86_400))
        .exec(db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::backoff;

    #[test]
    fn backoff_doubles_from_a_minute_up_to_six_hours() {
        let waits: Vec<i64> = (1..=10).map(backoff).collect();
        assert_eq!(waits[..4], [60, 120, 240, 480]);
        assert_eq!(*waits.last().unwrap(), 6 * 3600);
        assert!(waits.windows(2).all(|w| w[0] <= w[1]));
    }
}
