//! OpenID Connect Back-Channel Logout 1.0, the server's side: when a
//! sign-in session ends (sign-out, sign out everywhere, the account page, a
//! client site's back-channel logout, a disabled account, a password reset),
//! every client site that holds a token under it and has a back-channel
//! logout URI is sent a `logout_token` (a JWT signed with the server's key,
//! published in the JWKS: `iss`, `aud`, `iat`, `exp`, `jti`, `sid`, `sub`,
//! `events`), so it can refuse the session's access JWTs at once.
//!
//! The notices are queued in `logout_deliveries` in the transaction that
//! ends the session, so none is lost and the request that ended it never
//! waits for a client site; a sender task POSTs them, retrying with
//! backoff (the mail queue's: a minute, doubling, at most six hours, eight
//! attempts), and several instances share the queue by claiming rows.

use std::time::Duration;

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::Serialize;
use serde_json::json;
use std::sync::LazyLock;

use futures_util::StreamExt;
use tokio::sync::watch;

use crate::db::stmt;
use crate::domain::clients::{self, TokenAlg};
use crate::domain::signing::Typ;
use crate::entities::logout_delivery;
use crate::mail::queue::{MAX_ATTEMPTS, backoff};
use crate::state::AppState;

/// The event a logout_token carries (OIDC Back-Channel Logout §2.4).
pub const EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";
/// How long a logout_token is good for.
const TOKEN_SECS: i64 = 120;
/// How long one POST may take.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);
const CLAIM_SECS: i64 = 60;
const BATCH: u64 = 20;
const PARALLEL: usize = 8;
const POLL: Duration = Duration::from_secs(15);

/// The sender's bell: a counter every ending bumps. A watch channel rather
/// than a `Notify`, so that every server in the process (tests run several)
/// hears it and a ring while the sender is busy is not lost.
static BELL: LazyLock<watch::Sender<u64>> = LazyLock::new(|| watch::channel(0).0);

/// Wakes the sender, once the transaction that queued notices committed.
pub fn wake() {
    BELL.send_modify(|rings| *rings = rings.wrapping_add(1));
}

/// Queues a notice to every client site with a back-channel logout URI that
/// holds (or held) a token under `session_id`. Inside the transaction that
/// ends the session.
pub async fn enqueue_session(
    db: &impl ConnectionTrait,
    session_id: &str,
    now: i64,
) -> Result<(), DbErr> {
    let sql = "INSERT INTO logout_deliveries \
           (client_id, sso_session_id, user_id, attempts, next_attempt_at, failed, created_at) \
         SELECT DISTINCT rt.client_id, rt.sso_session_id, rt.user_id, 0, $1, false, $1 \
         FROM refresh_tokens rt JOIN clients c ON c.client_id = rt.client_id \
         WHERE rt.sso_session_id = $2 AND c.backchannel_logout_uri IS NOT NULL";
    db.execute_raw(stmt(db, sql, vec![now.into(), session_id.into()]))
        .await?;
    Ok(())
}

/// The claims of a logout_token.
#[derive(Debug, Serialize)]
struct LogoutClaims<'a> {
    iss: &'a str,
    aud: &'a str,
    iat: i64,
    exp: i64,
    jti: String,
    sub: &'a str,
    sid: &'a str,
    events: serde_json::Value,
}

/// Sends every notice due now; how many it tried.
pub async fn deliver_due(state: &AppState) -> Result<usize, DbErr> {
    let now = state.clock.now();
    let unclaimed = Condition::any()
        .add(logout_delivery::Column::LockedUntil.is_null())
        .add(logout_delivery::Column::LockedUntil.lte(now));
    let due = logout_delivery::Entity::find()
        .filter(logout_delivery::Column::Failed.eq(false))
        .filter(logout_delivery::Column::NextAttemptAt.lte(now))
        .filter(unclaimed.clone())
        .order_by_asc(logout_delivery::Column::Id)
        .limit(BATCH)
        .all(&state.db)
        .await?;
    let mut claimed = Vec::with_capacity(due.len());
    for row in due {
        let won = logout_delivery::Entity::update_many()
            .col_expr(
                logout_delivery::Column::LockedUntil,
                Expr::value(now + CLAIM_SECS),
            )
            .filter(logout_delivery::Column::Id.eq(row.id))
            .filter(unclaimed.clone())
            .exec(&state.db)
            .await?
            .rows_affected
            == 1;
        if won {
            claimed.push(row);
        }
    }
    let tried = claimed.len();
    // Several at once, so one site that never answers does not hold up the rest.
    let mut outcomes = futures_util::stream::iter(claimed)
        .map(|row| async move {
            let outcome = send(state, &row, now).await;
            (row, outcome)
        })
        .buffer_unordered(PARALLEL);
    while let Some((row, outcome)) = outcomes.next().await {
        settle(state, &row, outcome, now).await?;
    }
    Ok(tried)
}

/// `Ok(true)`: delivered; `Ok(false)`: nothing to deliver to any more (the
/// site dropped its URI); `Err`: try again later.
async fn send(state: &AppState, row: &logout_delivery::Model, now: i64) -> Result<bool, String> {
    let client = clients::find(&state.db, &row.client_id)
        .await
        .map_err(|e| e.to_string())?;
    let Some(uri) = client.and_then(|c| c.backchannel_logout_uri) else {
        return Ok(false);
    };
    let claims = LogoutClaims {
        iss: &state.config.issuer,
        aud: &row.client_id,
        iat: now,
        exp: now + TOKEN_SECS,
        jti: crate::crypto::random_id(),
        sub: &row.user_id,
        sid: &row.sso_session_id,
        events: json!({ EVENT: {} }),
    };
    let token = state
        .signer
        .sign_with_server_key(
            &state.db,
            &state.keys,
            TokenAlg::RS256,
            Typ::Logout,
            &claims,
            now,
        )
        .await
        .map_err(|e| e.to_string())?;
    let response = state
        .http
        .post(&uri)
        .timeout(SEND_TIMEOUT)
        .form(&[("logout_token", token.as_str())])
        .send()
        .await
        .map_err(|e| format!("{uri}: {e}"))?;
    match response.status() {
        s if s.is_success() => Ok(true),
        s => Err(format!("{uri} answered {s}")),
    }
}

async fn settle(
    state: &AppState,
    row: &logout_delivery::Model,
    outcome: Result<bool, String>,
    now: i64,
) -> Result<(), DbErr> {
    let error = match outcome {
        Ok(delivered) => {
            if delivered {
                crate::metrics::inc(&state.metrics.logouts_sent);
                tracing::info!(client_id = %row.client_id, sid = %row.sso_session_id, "back-channel logout delivered");
            }
            logout_delivery::Entity::delete_by_id(row.id)
                .exec(&state.db)
                .await?;
            return Ok(());
        }
        Err(error) => error,
    };
    let attempts = row.attempts + 1;
    let give_up = attempts >= MAX_ATTEMPTS;
    crate::metrics::inc(&state.metrics.logout_failures);
    tracing::warn!(client_id = %row.client_id, attempts, give_up, error = %error, "back-channel logout failed");
    let mut failed: logout_delivery::ActiveModel = row.clone().into();
    failed.attempts = Set(attempts);
    failed.last_error = Set(Some(error.chars().take(500).collect()));
    failed.locked_until = Set(None);
    failed.failed = Set(give_up);
    failed.next_attempt_at = Set(now + backoff(attempts));
    failed.update(&state.db).await?;
    Ok(())
}

/// Sends notices until the process ends: at once when rung, and every few
/// seconds for retries and for endings in other processes (the CLI).
pub async fn run(state: AppState) {
    let mut bell = BELL.subscribe();
    loop {
        bell.mark_unchanged();
        loop {
            match deliver_due(&state).await {
                Ok(0) => break,
                Ok(_) => continue,
                Err(err) => {
                    tracing::warn!(error = %err, "the logout queue could not be read");
                    break;
                }
            }
        }
        tokio::select! {
            _ = bell.changed() => {}
            () = tokio::time::sleep(POLL) => {}
        }
    }
}

/// Forgets notices given up more than a week ago.
pub async fn sweep(db: &impl ConnectionTrait, now: i64) -> Result<(), DbErr> {
    logout_delivery::Entity::delete_many()
        .filter(logout_delivery::Column::Failed.eq(true))
        .filter(logout_delivery::Column::NextAttemptAt.lte(now - 7 * 86_400))
        .exec(db)
        .await?;
    Ok(())
}
