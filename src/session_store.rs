//! A tower-sessions store in the product's own database, so that several
//! instances on one PostgreSQL share HTTP sessions. Session ids are bearer
//! secrets: only their SHA-256 is stored. The sign-in session a record's
//! data names is kept in a column of its own too, which
//! `sso::find_by_http_session` joins on.

use async_trait::async_trait;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

use crate::clock::Clock;
use crate::crypto::hash_token;
use crate::entities::http_session;
use crate::resources::session_keys::SSO_SESSION_ID;

/// HTTP sessions in the `http_sessions` table.
#[derive(Debug, Clone)]
pub struct DbSessionStore {
    db: DatabaseConnection,
    clock: Clock,
}

impl DbSessionStore {
    pub fn new(db: DatabaseConnection, clock: Clock) -> Self {
        Self { db, clock }
    }
}

fn backend(err: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(err.to_string())
}

fn row(record: &Record) -> session_store::Result<http_session::ActiveModel> {
    let data = serde_json::to_string(&record.data)
        .map_err(|e| session_store::Error::Encode(e.to_string()))?;
    let sso_session_id = record
        .data
        .get(SSO_SESSION_ID)
        .and_then(|v| v.as_str())
        .map(str::to_owned);
    Ok(http_session::ActiveModel {
        id_hash: Set(hash_token(&record.id.to_string())),
        data: Set(data),
        expires_at: Set(record.expiry_date.unix_timestamp()),
        sso_session_id: Set(sso_session_id),
    })
}

#[async_trait]
impl SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // 128 random bits collide essentially never; if one does, draw again.
        loop {
            match http_session::Entity::insert(row(record)?)
                .exec(&self.db)
                .await
            {
                Ok(_) => return Ok(()),
                Err(err) if crate::error::is_unique_violation(&err) => record.id = Id::default(),
                Err(err) => return Err(backend(err)),
            }
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        http_session::Entity::insert(row(record)?)
            .on_conflict(
                OnConflict::column(http_session::Column::IdHash)
                    .update_columns([
                        http_session::Column::Data,
                        http_session::Column::ExpiresAt,
                        http_session::Column::SsoSessionId,
                    ])
                    .to_owned(),
            )
            .exec(&self.db)
            .await
            .map(|_| ())
            .map_err(backend)
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let found = crate::db::first(
            http_session::Entity::find_by_id(hash_token(&id.to_string()))
                .filter(http_session::Column::ExpiresAt.gt(self.clock.now())),
            &self.db,
        )
        .await
        .map_err(backend)?;
        let Some(found) = found else { return Ok(None) };
        let data = serde_json::from_str(&found.data)
            .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        let expiry_date = time::OffsetDateTime::from_unix_timestamp(found.expires_at)
            .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        Ok(Some(Record {
            id: *id,
            data,
            expiry_date,
        }))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        http_session::Entity::delete_by_id(hash_token(&id.to_string()))
            .exec(&self.db)
            .await
            .map(|_| ())
            .map_err(backend)
    }
}
