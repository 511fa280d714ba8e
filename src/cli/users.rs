//! `pattmayne-auth user create`.

use std::io::BufRead;

use anyhow::{Context, bail};
use clap::Subcommand;
use sea_orm::DatabaseConnection;

use crate::config::Config;
use crate::domain::admin::Admin;
use crate::domain::passwords::Passwords;
use crate::domain::users;

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
    },
}

pub async fn run(
    command: UserCommand,
    config: &Config,
    db: &DatabaseConnection,
) -> anyhow::Result<()> {
    match command {
        UserCommand::Create {
            username,
            email,
            password_stdin: _,
            admin,
        } => {
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .context("reading the password from stdin")?;
            let password = line.trim_end_matches(['\n', '\r']);
            let account = match users::validate_new_account(&username, &email, password, password) {
                Ok(account) => account,
                Err(errors) => bail!(
                    "invalid account: {}",
                    serde_json::to_string(&errors.english()).unwrap_or_default()
                ),
            };
            let passwords = Passwords::new(config.argon2, config.max_concurrent_hashes);
            let now = crate::clock::system_now();
            let user = Admin::operator()
                .create_user(db, &passwords, account, admin, now)
                .await?;
            println!(
                "created {}user {} ({})",
                if user.is_admin { "admin " } else { "" },
                user.username,
                user.id
            );
            Ok(())
        }
    }
}
