//! `pattmayne-auth suspension list|lift IP`.

use anyhow::bail;
use clap::Subcommand;
use sea_orm::DatabaseConnection;

use crate::clock::{format_duration, format_utc, system_now as now};
use crate::domain::throttle;

/// IP suspension commands.
#[derive(Subcommand, Debug)]
pub enum SuspensionCommand {
    /// List suspensions in force.
    List,
    /// Lift the suspension of an address (and forget its past offences).
    Lift { ip: String },
}

pub async fn run(command: SuspensionCommand, db: &DatabaseConnection) -> anyhow::Result<()> {
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
            let ip: std::net::IpAddr = match ip.parse() {
                Ok(ip) => ip,
                Err(_) => bail!("{ip:?} is not an IP address"),
            };
            let ip = ip.to_canonical().to_string();
            if throttle::lift(db, &ip, now).await? {
                println!("lifted the suspension of {ip}");
                Ok(())
            } else {
                bail!("{ip} is not suspended")
            }
        }
    }
}
