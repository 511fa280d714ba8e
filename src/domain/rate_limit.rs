//! Fixed-window rate limits by key (`register:<address>`, …): at most
//! `limit` hits per window of `window_secs`. A hit is counted and judged in
//! one atomic statement, and a refused hit writes nothing, so a flood of
//! refused requests costs the database reads only.

use sea_orm::{ConnectionTrait, DbErr, EntityTrait};

use crate::db::stmt;
use crate::entities::rate_limit;

/// A limit: so many hits per window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub hits: i64,
    pub window_secs: i64,
}

/// Counts a hit against `key`. `Ok(None)`: allowed; `Ok(Some(until))`:
/// refused until then, and not counted.
pub async fn hit(
    db: &impl ConnectionTrait,
    key: &str,
    limit: Limit,
    now: i64,
) -> Result<Option<i64>, DbErr> {
    let sql = "INSERT INTO rate_limits (key, window_started_at, hits) VALUES ($1, $2, 1) \
        ON CONFLICT (key) DO UPDATE SET \
          hits = CASE WHEN rate_limits.window_started_at <= $3 THEN 1 ELSE rate_limits.hits + 1 END, \
          window_started_at = CASE WHEN rate_limits.window_started_at <= $3 THEN $2 \
            ELSE rate_limits.window_started_at END \
        WHERE rate_limits.window_started_at <= $3 OR rate_limits.hits < $4 \
        RETURNING hits";
    let values = vec![
        key.into(),
        now.into(),
        (now - limit.window_secs).into(),
        limit.hits.into(),
    ];
    if db.query_one_raw(stmt(db, sql, values)).await?.is_some() {
        return Ok(None);
    }
    let started = rate_limit::Entity::find_by_id(key.to_owned())
        .one(db)
        .await?
        .map_or(now, |row| row.window_started_at);
    Ok(Some((started + limit.window_secs).max(now + 1)))
}
