//! `pattmayne-auth keys list|rotate`: the server's RS256/EdDSA signing keys.

use clap::Subcommand;
use sea_orm::{DatabaseConnection, EntityTrait, QueryOrder};

use crate::clock::{format_utc, system_now as now};
use crate::domain::admin::Admin;
use crate::domain::signing;
use crate::entities::signing_key;

/// Signing-key commands.
#[derive(Subcommand, Debug)]
pub enum KeysCommand {
    /// List signing keys (public information only).
    List,
    /// Retire the current keys; new ones are made on next use. Retired keys
    /// stay in the JWKS until every token they signed has expired.
    Rotate,
}

pub async fn run(command: KeysCommand, db: &DatabaseConnection) -> anyhow::Result<()> {
    match command {
        KeysCommand::List => {
            let rows = signing_key::Entity::find()
                .order_by_asc(signing_key::Column::CreatedAt)
                .all(db)
                .await?;
            if rows.is_empty() {
                println!("no signing keys yet (they are made on first use)");
            }
            for k in rows {
                let state = k.retired_at.map_or("active".to_owned(), |t| {
                    format!("retired {}", format_utc(t))
                });
                println!(
                    "{}\t{}\tcreated {}\t{state}",
                    k.kid,
                    k.alg,
                    format_utc(k.created_at)
                );
            }
        }
        KeysCommand::Rotate => {
            let signer = signing::Signer::default();
            let retired = Admin::operator()
                .rotate_signing_keys(db, &signer, now())
                .await?;
            println!("retired {} key(s): {}", retired.len(), retired.join(" "));
        }
    }
    Ok(())
}
