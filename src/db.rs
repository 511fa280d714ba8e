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

/// How long an SQLite statement waits for another connection's write lock
/// before it fails with `SQLITE_BUSY`.
const SQLITE_BUSY_BUDGET: Duration = Duration::from_secs(10);

/// How often [`keep_sqlite_wal_short`] restarts SQLite's write-ahead log.
const WAL_RESTART_EVERY: Duration = Duration::from_secs(1);

/// The size SQLite cuts its write-ahead log back to when it starts it over.
const WAL_SIZE_LIMIT: i64 = 16 * 1024 * 1024;

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
                    .busy_timeout(SQLITE_BUSY_BUDGET)
                    .foreign_keys(true)
                    .pragma("journal_size_limit", WAL_SIZE_LIMIT.to_string())
            })
            .map_sqlx_sqlite_pool_opts(|pool| {
                pool.after_connect(|conn, _| Box::pin(sqlite_busy::install(conn)))
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

/// Keeps SQLite's write-ahead log from growing without end (on PostgreSQL,
/// or if its connection cannot be opened, returns at once).
///
/// SQLite's automatic checkpoints copy the log back into the database but
/// can start the log over only at a moment no connection is reading from
/// it, which a server under steady load never has: measured, the log grew
/// by 38 MB a second under refresh grants (460 MB for a 380 KB database
/// after 12 s), and finding a page in it (`walFindFrame`) became 7 % of the
/// server's time. Once a second [`WalKeeper::restart`] starts it over.
pub async fn keep_sqlite_wal_short(url: &str) {
    if !url.starts_with("sqlite:") {
        return;
    }
    let keeper = match WalKeeper::connect(url).await {
        Ok(keeper) => keeper,
        Err(err) => {
            tracing::warn!(error = %one_line(&err), "no connection to keep SQLite's log short");
            return;
        }
    };
    let mut every = tokio::time::interval(WAL_RESTART_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        match keeper.restart().await {
            Ok(true) => {}
            Ok(false) => tracing::debug!("SQLite's log is in use; started over next time"),
            Err(err) => tracing::warn!(error = %one_line(&err), "SQLite checkpoint failed"),
        }
    }
}

/// The longest [`WalKeeper::restart`] waits for the log's readers, holding
/// the writers up meanwhile: a long reader (a backup, say) costs the
/// writers this much a second at most, not the pool's 10 s budget.
const WAL_RESTART_WAIT: Duration = Duration::from_millis(100);

/// A connection of its own, outside the pool, that starts SQLite's
/// write-ahead log over.
pub struct WalKeeper {
    conn: DatabaseConnection,
}

impl WalKeeper {
    /// Opens the connection, with SQLite's stock busy handler and
    /// [`WAL_RESTART_WAIT`] as its budget.
    pub async fn connect(url: &str) -> Result<Self, DbErr> {
        let mut options = ConnectOptions::new(url.to_owned());
        options
            .max_connections(1)
            .min_connections(1)
            .sqlx_logging(false)
            .map_sqlx_sqlite_opts(|opts| {
                opts.journal_mode(SqliteJournalMode::Wal)
                    .busy_timeout(WAL_RESTART_WAIT)
                    .pragma("journal_size_limit", WAL_SIZE_LIMIT.to_string())
            });
        Ok(WalKeeper {
            conn: Database::connect(options).await?,
        })
    }

    /// Copies the log into the database, waits for the connections still
    /// reading it to finish (new readers read the database file), and
    /// starts it over, cut back to [`WAL_SIZE_LIMIT`]. `false` if readers
    /// kept it in use for all of [`WAL_RESTART_WAIT`] (what could be copied
    /// was).
    pub async fn restart(&self) -> Result<bool, DbErr> {
        let sql = "PRAGMA wal_checkpoint(RESTART)";
        let row = self
            .conn
            .query_one_raw(sea_orm::Statement::from_string(DbBackend::Sqlite, sql))
            .await?;
        let busy: i32 = match row {
            Some(row) => row.try_get_by_index(0)?,
            None => 0,
        };
        Ok(busy == 0)
    }
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

/// SQLite's busy handler, replacing the one `busy_timeout` installs.
///
/// SQLite has one writer at a time; a connection that finds the write lock
/// taken calls its busy handler until the lock is free. The stock handler
/// sleeps 1, 2, 5, 10, 15, 20, 25 … 100 ms between tries, while a write
/// here holds the lock for a few tens of microseconds: under load most of a
/// code exchange's time went to sleeping past a lock long released
/// (strace: one 1.6 ms sleep per exchange on average). This one tries again
/// after a yield, then after 50 µs, doubling up to 1 ms, for the same
/// overall budget.
mod sqlite_busy {
    use std::ffi::{c_int, c_void};
    use std::time::Duration;

    use sea_orm::sqlx::sqlite::SqliteConnection;

    use super::SQLITE_BUSY_BUDGET;

    /// The longest pause between two tries.
    const MAX_PAUSE: Duration = Duration::from_millis(1);

    /// The pause before try `count + 1` (`count` tries have failed), or
    /// `None` once the pauses so far add up to the budget.
    pub(super) fn pause(count: u32) -> Option<Duration> {
        // 0, 50, 100, 200, 400, 800 µs, then 1 ms each: the ramp adds up to
        // 1.55 ms, so the budget is reached after its tries plus one per ms.
        let ramp = [0, 50, 100, 200, 400, 800];
        let ramp_total = Duration::from_micros(ramp.iter().sum());
        let capped_tries = (SQLITE_BUSY_BUDGET.saturating_sub(ramp_total).as_micros()
            / MAX_PAUSE.as_micros()) as u32;
        match ramp.get(count as usize) {
            Some(&micros) => Some(Duration::from_micros(micros)),
            None if count < ramp.len() as u32 + capped_tries => Some(MAX_PAUSE),
            None => None,
        }
    }

    /// Called by SQLite on the connection's worker thread with how many
    /// times it was called for this lock: non-zero to try again.
    extern "C" fn on_busy(_: *mut c_void, count: c_int) -> c_int {
        match pause(u32::try_from(count).unwrap_or(u32::MAX)) {
            Some(pause) if pause.is_zero() => {
                std::thread::yield_now();
                1
            }
            Some(pause) => {
                std::thread::sleep(pause);
                1
            }
            None => 0,
        }
    }

    /// Installs [`on_busy`] on a new pooled connection.
    pub(super) async fn install(conn: &mut SqliteConnection) -> Result<(), sea_orm::sqlx::Error> {
        let mut handle = conn.lock_handle().await?;
        let db = handle.as_raw_handle();
        // SAFETY: the handle is locked, so no statement runs on this
        // connection meanwhile; `on_busy` keeps no state (its argument is
        // null), so it is valid for as long as the connection lives.
        let rc = unsafe {
            libsqlite3_sys::sqlite3_busy_handler(db.as_ptr(), Some(on_busy), std::ptr::null_mut())
        };
        if rc == libsqlite3_sys::SQLITE_OK {
            Ok(())
        } else {
            Err(sea_orm::sqlx::Error::Configuration(
                format!("installing the SQLite busy handler failed ({rc})").into(),
            ))
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn pauses_start_short_stay_short_and_stop_at_the_budget() {
            assert_eq!(pause(0), Some(Duration::ZERO));
            assert_eq!(pause(1), Some(Duration::from_micros(50)));
            let mut total = Duration::ZERO;
            let mut tries = 0;
            while let Some(pause) = pause(tries) {
                assert!(pause <= MAX_PAUSE, "try {tries} pauses {pause:?}");
                total += pause;
                tries += 1;
            }
            // The same budget as the stock handler's, to within one pause.
            assert!(total <= SQLITE_BUSY_BUDGET, "{total:?}");
            assert!(total + MAX_PAUSE > SQLITE_BUSY_BUDGET, "{total:?}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A new file database, removed (with its log) when dropped.
    struct SqliteFile(std::path::PathBuf);

    impl Drop for SqliteFile {
        fn drop(&mut self) {
            for suffix in ["", "-wal", "-shm"] {
                let mut path = self.0.clone().into_os_string();
                path.push(suffix);
                let _ = std::fs::remove_file(path);
            }
        }
    }

    fn sqlite_file() -> (SqliteFile, String) {
        let name = format!("pattmayne-wal-{}.db", crate::crypto::random_id());
        let file = SqliteFile(std::env::temp_dir().join(name));
        let url = format!("sqlite://{}?mode=rwc", file.0.display());
        (file, url)
    }

    async fn pool(url: &str) -> DatabaseConnection {
        let mut options = ConnectOptions::new(url.to_owned());
        options
            .max_connections(2)
            .map_sqlx_sqlite_opts(|opts| opts.journal_mode(SqliteJournalMode::Wal))
            .map_sqlx_sqlite_pool_opts(|pool| {
                pool.after_connect(|conn, _| Box::pin(sqlite_busy::install(conn)))
            });
        let db = Database::connect(options).await.expect("connect");
        db.execute_unprepared("CREATE TABLE t (n INTEGER)")
            .await
            .expect("create");
        db
    }

    async fn frames_in_log(db: &DatabaseConnection) -> i64 {
        let sql = "PRAGMA wal_checkpoint(PASSIVE)";
        let row = db
            .query_one_raw(sea_orm::Statement::from_string(DbBackend::Sqlite, sql))
            .await
            .expect("checkpoint")
            .expect("a row");
        row.try_get_by_index(1).expect("log frames")
    }

    #[tokio::test]
    async fn the_keeper_starts_the_log_over() {
        let (_dir, url) = sqlite_file();
        let db = pool(&url).await;
        for n in 0..200 {
            db.execute_unprepared(&format!("INSERT INTO t VALUES ({n})"))
                .await
                .expect("insert");
        }
        assert!(frames_in_log(&db).await >= 200);
        let keeper = WalKeeper::connect(&url).await.expect("keeper");
        assert!(keeper.restart().await.expect("restart"), "log in use");
        db.execute_unprepared("INSERT INTO t VALUES (0)")
            .await
            .expect("insert");
        let frames = frames_in_log(&db).await;
        assert!(frames <= 2, "the log was not started over: {frames} frames");
    }

    #[tokio::test]
    async fn a_reader_holding_the_log_holds_the_keeper_up_briefly_not_for_the_pools_budget() {
        let (_dir, url) = sqlite_file();
        let db = pool(&url).await;
        db.execute_unprepared("INSERT INTO t VALUES (1)")
            .await
            .expect("insert");
        // A read transaction on the log, as a backup would hold one.
        let reader = db.begin().await.expect("begin");
        reader
            .execute_unprepared("SELECT count(*) FROM t")
            .await
            .expect("read");
        db.execute_unprepared("INSERT INTO t VALUES (2)")
            .await
            .expect("insert");
        let keeper = WalKeeper::connect(&url).await.expect("keeper");
        // The pool's own budget (10 s) would hold writers up that long.
        let restarted = tokio::time::timeout(SQLITE_BUSY_BUDGET / 2, keeper.restart())
            .await
            .expect("the keeper waited for the reader as long as the pool would");
        assert!(!restarted.expect("restart"), "started over under a reader");
        reader.commit().await.expect("end the read");
        db.execute_unprepared("INSERT INTO t VALUES (3)")
            .await
            .expect("a write after the keeper gave up");
    }
}
