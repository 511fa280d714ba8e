//! Connecting to the database (SQLite or PostgreSQL) and migrating it.

use std::time::{Duration, Instant};

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr, EntityTrait,
    QuerySelect, Select, TransactionTrait,
};
use secrecy::ExposeSecret;

use crate::config::{Config, redact_url};

/// A pooled connection idle this long is pinged before it is used.
const POOL_PING_IF_IDLE: Duration = Duration::from_secs(1);

/// Most pooled connections to an SQLite file.
const SQLITE_MAX_CONNECTIONS: u32 = 4;

/// Why the server could not get a working database.
#[derive(Debug, thiserror::Error)]
pub enum DbStartError {
    #[error("database {url} is not answering after {secs}s: {cause}")]
    Unreachable {
        url: String,
        secs: u64,
        cause: String,
    },
    #[error("database {url} cannot be used: {cause}")]
    Refused { url: String, cause: String },
    #[error("migrations failed: {0}")]
    Migration(String),
}

/// Connects, retrying with exponential backoff while the database is not
/// answering (PostgreSQL still starting in a container), for at most
/// `DATABASE_CONNECT_TIMEOUT_SECS`.
pub async fn connect(config: &Config) -> Result<DatabaseConnection, DbStartError> {
    let url = config.database_url.expose_secret().to_owned();
    let shown = redact_url(&url);
    let sqlite = url.starts_with("sqlite:");
    let deadline = Instant::now() + config.database_connect_timeout;
    let mut delay = Duration::from_millis(200);
    loop {
        let mut options = ConnectOptions::new(url.clone());
        // SQLite has one writer at a time; more connections only wait in its
        // busy handler's sleeps (measured: p99 665 ms at 32, 121 ms at 4).
        let max_connections = if sqlite {
            config.database_max_connections.min(SQLITE_MAX_CONNECTIONS)
        } else {
            config.database_max_connections
        };
        options
            .max_connections(max_connections)
            .min_connections(if sqlite { 1 } else { 2 })
            .connect_timeout(Duration::from_secs(5))
            .acquire_timeout(Duration::from_secs(10))
            // SQLx pings every connection it hands out by default: a whole
            // extra round trip per query. Only a connection idle long enough
            // to have been dropped by the server or a proxy is checked.
            .test_before_acquire_if_idle_for(POOL_PING_IF_IDLE)
            .sqlx_logging(false)
            .map_sqlx_sqlite_opts(|opts| {
                opts.journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(10))
                    .foreign_keys(true)
            });
        // Each attempt may take only what is left of the overall budget.
        let budget = deadline
            .saturating_duration_since(Instant::now())
            .max(Duration::from_millis(500));
        let attempt = async {
            let db = Database::connect(options).await?;
            db.ping().await.map(|()| db)
        };
        let attempt = tokio::time::timeout(budget, attempt)
            .await
            .unwrap_or_else(|_| Err(DbErr::Custom("timed out connecting".into())));
        match attempt {
            Ok(db) => return Ok(db),
            Err(err) if is_permanent(&err) => {
                return Err(DbStartError::Refused {
                    url: shown,
                    cause: one_line(&err),
                });
            }
            Err(err) => {
                if Instant::now() + delay > deadline {
                    return Err(DbStartError::Unreachable {
                        url: shown,
                        secs: config.database_connect_timeout.as_secs(),
                        cause: one_line(&err),
                    });
                }
                tracing::warn!(url = %shown, error = %one_line(&err), retry_in_ms = delay.as_millis() as u64, "database not ready");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(5));
            }
        }
    }
}

/// Errors that retrying cannot fix: a malformed URL, a missing SQLite
/// directory, a database that does not exist or refuses our credentials.
fn is_permanent(err: &DbErr) -> bool {
    let text = err.to_string().to_lowercase();
    [
        "invalid",
        "unable to open database file",
        "does not exist",
        "password authentication",
        "no such",
        "unsupported",
        "role ",
    ]
    .iter()
    .any(|needle| text.contains(needle))
}

fn one_line(err: &DbErr) -> String {
    err.to_string().replace('\n', " ")
}

/// Applies pending migrations. On PostgreSQL an advisory lock makes instances
/// that start together take turns instead of racing to create the same tables.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbStartError> {
    let failed = |e: DbErr| DbStartError::Migration(one_line(&e));
    // One transaction on one connection. On SQLite the pool would otherwise
    // spread the statements over its connections, and a migration that drops
    // a table and recreates its indexes then sometimes found the old index
    // names still taken; all or nothing is right anyway. On PostgreSQL the advisory lock makes instances that
    // start together migrate one after another.
    let txn = db.begin().await.map_err(failed)?;
    if db.get_database_backend() == DbBackend::Postgres {
        txn.execute_unprepared("SELECT pg_advisory_xact_lock(7243110001)")
            .await
            .map_err(failed)?;
    }
    Migrator::up(&txn, None).await.map_err(failed)?;
    txn.commit().await.map_err(failed)
}

/// A raw statement with `$n` placeholders for this connection's database
/// (SeaORM rewrites them for SQLite).
pub fn stmt(
    db: &impl ConnectionTrait,
    sql: &str,
    values: Vec<sea_orm::Value>,
) -> sea_orm::Statement {
    sea_orm::Statement::from_sql_and_values(db.get_database_backend(), sql, values)
}

/// Begins a transaction that will write. On SQLite it takes the write lock
/// at once (`BEGIN IMMEDIATE`): a deferred transaction that reads and then
/// writes fails at once with `SQLITE_BUSY` when another connection wrote in
/// between, where an immediate one waits its turn in the busy handler. On
/// PostgreSQL it is a plain `BEGIN`.
pub async fn begin_write<C: sea_orm::TransactionTrait>(db: &C) -> Result<C::Transaction, DbErr> {
    db.begin_with_options(sea_orm::TransactionOptions {
        sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

/// The first row a query finds, read in one round trip. SeaORM's `.one()`
/// goes through SQLx's fetch-one, which on PostgreSQL stops after the first
/// row and finishes the exchange (and the statement's implicit transaction)
/// in a second round trip; reading to the end is one. The hot lookups (the
/// HTTP session, the sign-in session and its person, the client) use this.
pub async fn first<E: EntityTrait>(
    select: Select<E>,
    db: &impl ConnectionTrait,
) -> Result<Option<E::Model>, DbErr> {
    Ok(select.limit(1).all(db).await?.into_iter().next())
}
