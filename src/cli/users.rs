//! `pattmayne-auth user …`: create an account, set a password, make a
//! reset link, vouch for an address. Each change is audited as the
//! operator's ("(command line)").

use std::io::BufRead;

use anyhow::{Context, bail};
use clap::Subcommand;
use sea_orm::DatabaseConnection;

use crate::config::Config;
use crate::domain::admin::Admin;
use crate::domain::{accounts, users};
use crate::entities::user;
use crate::i18n::Lang;
use crate::state::AppState;

/// Account commands.
#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Create an account (the first admin comes from here).
    Create {
        #[arg(long)]
        username: String,
        #[arg(long)]
        email: String,
        /// Read the password from the first line of standard input.
        #[arg(long, required = true)]
        password_stdin: bool,
        /// Give the account the admin role.
        #[arg(long)]
        admin: bool,
        /// The address is known to be the person's (else it counts as
        /// unverified until they verify it).
        #[arg(long)]
        email_verified: bool,
    },
    /// Set an account's password (every session of it ends; the person is
    /// told by mail).
    SetPassword {
        #[arg(long)]
        username: String,
        /// Read the password from the first line of standard input.
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Print a one-time link that lets the person choose a new password
    /// (valid 30 minutes), for an operator to hand over.
    ResetLink {
        #[arg(long)]
        username: String,
    },
    /// Mark an account's address verified.
    VerifyEmail {
        #[arg(long)]
        username: String,
    },
    /// Remove every second factor and recovery code of an account (a lost
    /// phone): the person signs in with the password alone and sets up
    /// new ones. They are told by mail.
    ResetMfa {
        #[arg(long)]
        username: String,
    },
}

fn read_password() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the password from stdin")?;
    Ok(line.trim_end_matches(['\n', '\r']).to_owned())
}

async fn account(db: &DatabaseConnection, username: &str) -> anyhow::Result<user::Model> {
    let name = users::normalize_username(username).map_err(|m| anyhow::anyhow!(m.english()))?;
    users::find_by_username(db, &name)
        .await?
        .with_context(|| format!("no account is called {name}"))
}

pub async fn run(
    command: UserCommand,
    config: &Config,
    db: &DatabaseConnection,
) -> anyhow::Result<()> {
    let state = AppState::new(config.clone(), db.clone(), crate::clock::Clock::system())?;
    let operator = Admin::operator();
    let now = state.clock.now();
    match command {
        UserCommand::Create {
            username,
            email,
            password_stdin: _,
            admin,
            email_verified,
        } => {
            let password = read_password()?;
            let account = match users::validate_new_account(&username, &email, &password, &password)
            {
                Ok(account) => account,
                Err(errors) => bail!(
                    "invalid account: {}",
                    serde_json::to_string(&errors.english()).unwrap_or_default()
                ),
            };
            let user = operator
                .create_user(db, &state.passwords, account, admin, email_verified, now)
                .await?;
            println!(
                "created {}user {} ({})",
                if user.is_admin { "admin " } else { "" },
                user.username,
                user.id
            );
        }
        UserCommand::SetPassword {
            username,
            password_stdin: _,
        } => {
            let person = account(db, &username).await?;
            let password = read_password()?;
            let password =
                users::validate_new_password(&password, &password, &person).map_err(|errors| {
                    anyhow::anyhow!(
                        "refused: {}",
                        serde_json::to_string(&errors.english()).unwrap_or_default()
                    )
                })?;
            let change = accounts::PasswordChange {
                person: &person,
                password: &password,
                how: "command line",
                keep_session: None,
                ip: None,
                lang: Lang::En,
            };
            accounts::change_password(&state, change).await?;
            operator
                .audit(db, "user.set_password", &person.id, String::new(), now)
                .await?;
            println!(
                "set the password of {}; every session of it ended",
                person.username
            );
        }
        UserCommand::ResetLink { username } => {
            let person = account(db, &username).await?;
            if person.disabled {
                bail!("{} is disabled: enable the account first", person.username);
            }
            let link = accounts::reset_link(&state, &person, None).await?;
            operator
                .audit(db, "user.reset_link", &person.id, String::new(), now)
                .await?;
            println!("{link}");
        }
        UserCommand::ResetMfa { username } => {
            let person = account(db, &username).await?;
            let removed = operator.reset_mfa(&state, &person, Lang::En, now).await?;
            println!(
                "removed {removed} second factor(s) of {} and their recovery codes",
                person.username
            );
        }
        UserCommand::VerifyEmail { username } => {
            let person = account(db, &username).await?;
            users::mark_email_verified(db, &person.id, now).await?;
            operator
                .audit(
                    db,
                    "user.verify_email",
                    &person.id,
                    person.email.clone(),
                    now,
                )
                .await?;
            println!("{} <{}> is verified", person.username, person.email);
        }
    }
    Ok(())
}
