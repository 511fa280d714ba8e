//! `pattmayne-auth suspension list|lift IP`.

use anyhow::bail;
use clap::Subcommand;
use sea_orm::DatabaseConnection;

use crate::clock::{format_duration, format_utc, system_now as now};
use crate::config::Config;
use crate::domain::admin::Admin;
use crate::domain::throttle;
use crate::error::AppError;

/// IP suspension commands.
#[derive(Subcommand, Debug)]
pub enum SuspensionCommand {
    /// List suspensions in force.
    List,
    /// Lift the suspension of an address (and forget its past offences).
    Lift { ip: String },
}

pub async fn run(
    command: SuspensionCommand,
    config: &Config,
    db: &DatabaseConnection,
) -> anyhow::Result<()> {
    let now = now();
    match command {
        SuspensionCommand::List => {
            let rows = throttle::active_suspensions(db, now).await?;
            if rows.is_empty() {
                println!("no suspensions in force");
            }
            for row in rows {
                let until = row.suspended_until.unwrap_or(now);
                println!(
                    "{}\tuntil {} (in {})\toffences {}",
                    row.ip,
                    format_utc(until),
                    format_duration(until - now),
                    row.offences
                );
            }
            Ok(())
        }
        SuspensionCommand::Lift { ip } => {
            // An address (counted under its key: an IPv6 address under its
            // network), or a key as `suspension list` shows it.
            let key = match (ip.parse::<std::net::IpAddr>(), ip.parse::<ipnet::IpNet>()) {
                (Ok(addr), _) => throttle::address_key(addr, config.ipv6_prefix_len),
                (_, Ok(net)) => net.trunc().to_string(),
                _ => bail!("{ip:?} is not an IP address or network"),
            };
            match Admin::operator().lift_suspension(db, &key, now).await {
                Ok(()) => {
                    println!("lifted the suspension of {key}");
                    Ok(())
                }
                Err(AppError::NotFound) => bail!("{key} is not suspended"),
                Err(err) => Err(err.into()),
            }
        }
    }
}
