//! The shared application state handed to every handler.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::clock::Clock;
use crate::config::Config;
use crate::crypto::Keys;
use crate::domain::passwords::Passwords;
use crate::domain::rotations::Rotations;
use crate::domain::signing::Signer;
use crate::mail::queue::Mailer;
use crate::metrics::Metrics;
use crate::templates::Templates;

/// What every handler shares, behind one `Arc`: middleware and extractors
/// clone the state for every request, and one reference count is cheaper
/// than fifteen (their cache lines bounce between the cores under load).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The state's parts (reach them through [`AppState`]).
pub struct Shared {
    pub db: DatabaseConnection,
    pub config: Arc<Config>,
    pub templates: Arc<Templates>,
    pub keys: Arc<Keys>,
    pub passwords: Passwords,
    pub metrics: Arc<Metrics>,
    pub signer: Arc<Signer>,
    /// Refresh grants gathered into batches (PostgreSQL).
    pub rotations: Arc<Rotations>,
    /// What time it is: the system clock, or a test's.
    pub clock: Clock,
    /// Where queued mail goes, and the bell that wakes its sender.
    pub mailer: Arc<Mailer>,
    /// An HTTP client for what the server calls out to (back-channel logout).
    pub http: reqwest::Client,
    /// The WebAuthn relying party, if `AUTH_PUBLIC_URL` has a domain name.
    pub passkeys: Option<Arc<crate::domain::passkeys::Passkeys>>,
    /// The discovery metadata, serialised once.
    pub discovery: Arc<crate::oauth::discovery::Document>,
    /// Client sites as the authorization request and the token endpoint read them.
    pub clients: crate::domain::clients::ClientCache,
}

impl AppState {
    /// Assembles the state from a connected, migrated database.
    pub fn new(
        config: Config,
        db: DatabaseConnection,
        clock: Clock,
    ) -> Result<Self, crate::ServeError> {
        let keys = Keys::derive(&config.secret_key);
        let transport = crate::mail::Transport::from_config(&config)
            .map_err(|e| crate::ServeError::Setup(format!("mail: {e}")))?;
        let mailer = Mailer::new(transport, config.mail_from.clone());
        let config_for_passkeys = config.clone();
        let passwords = Passwords::new(config.argon2, config.max_concurrent_hashes);
        let discovery = crate::oauth::discovery::Document::metadata(&config)
            .map(Arc::new)
            .ok_or_else(|| crate::ServeError::Setup("discovery metadata".into()))?;
        Ok(AppState(Arc::new(Shared {
            discovery,
            clients: Default::default(),
            db,
            templates: Arc::new(Templates::new()?),
            keys: Arc::new(keys),
            passwords,
            metrics: Arc::new(Metrics::default()),
            signer: Arc::new(Signer::default()),
            rotations: Arc::new(Rotations::default()),
            config: Arc::new(config),
            clock,
            mailer,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .user_agent(concat!("pattmayne-auth/", env!("CARGO_PKG_VERSION")))
                .build()
                .map_err(|e| crate::ServeError::Setup(format!("http client: {e}")))?,
            passkeys: crate::domain::passkeys::Passkeys::from_config(&config_for_passkeys)
                .map(Arc::new),
        })))
    }
}
