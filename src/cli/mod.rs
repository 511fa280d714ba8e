//! The command line: `serve` (default), `migrate`, `config`, and the
//! operator commands for users, client sites and IP suspensions.
//!
//! Every command exits non-zero with a one-line message on error.

use clap::{Parser, Subcommand};

mod clients;
mod healthcheck;
mod keys;
mod suspensions;
mod users;

use crate::config::{Config, Settings};

/// Pattmayne Auth: sign in once, signed in on every client site.
///
/// Every setting can be given as a flag or as the environment variable shown;
/// secrets also as NAME_FILE (a file holding the value).
#[derive(Parser, Debug)]
#[command(name = "pattmayne-auth", version, max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    pub settings: Settings,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// What to do.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve HTTP (the default): applies pending migrations first.
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Print the effective configuration, secrets redacted.
    Config,
    /// Exit 0 if the server at AUTH_BIND answers /healthz with 200 (for container health checks).
    Healthcheck,
    /// Delete expired rows now (the server does this every five minutes),
    /// in bounded batches that leave room for the traffic.
    Sweep,
    /// Manage accounts.
    User {
        #[command(subcommand)]
        command: users::UserCommand,
    },
    /// Manage client sites (registered OAuth clients).
    Client {
        #[command(subcommand)]
        command: clients::ClientCommand,
    },
    /// List or rotate the server's token-signing keys (RS256, EdDSA).
    Keys {
        #[command(subcommand)]
        command: keys::KeysCommand,
    },
    /// List or lift IP address suspensions.
    Suspension {
        #[command(subcommand)]
        command: suspensions::SuspensionCommand,
    },
}

/// Runs the command. Errors come back as one displayable chain.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let (config, warnings) = Config::from_settings(cli.settings)?;
    // Held to the end of the command, so that the last lines are written.
    let _log_guard = crate::telemetry::init(config.log_format);
    for warning in warnings {
        tracing::warn!("{warning}");
    }
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => Ok(crate::serve(config).await?),
        Command::Migrate => {
            database(&config).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::Healthcheck => {
            // A server bound to every interface is reached on loopback.
            let addr = match config.bind.ip().is_unspecified() {
                true => std::net::SocketAddr::new(
                    std::net::Ipv4Addr::LOCALHOST.into(),
                    config.bind.port(),
                ),
                false => config.bind,
            };
            healthcheck::run(&addr.to_string()).await
        }
        Command::Config => {
            println!("{}", config.describe());
            Ok(())
        }
        Command::Sweep => {
            let db = database(&config).await?;
            let started = std::time::Instant::now();
            crate::domain::cleanup::sweep(
                &db,
                crate::clock::system_now(),
                config.audit_retention_days * 86_400,
            )
            .await?;
            println!("swept in {:.1} s", started.elapsed().as_secs_f64());
            Ok(())
        }
        Command::User { command } => users::run(command, &config, &database(&config).await?).await,
        Command::Client { command } => {
            clients::run(command, &config, &database(&config).await?).await
        }
        Command::Keys { command } => keys::run(command, &database(&config).await?).await,
        Command::Suspension { command } => {
            suspensions::run(command, &config, &database(&config).await?).await
        }
    }
}

/// A connected, migrated database for the operator commands.
async fn database(config: &Config) -> anyhow::Result<sea_orm::DatabaseConnection> {
    let db = crate::db::connect(config).await?;
    crate::db::migrate(&db).await?;
    Ok(db)
}
