//! Database migrations for Pattmayne Auth.
//!
//! The same migrations run on SQLite and PostgreSQL. Times are stored as
//! `BIGINT` Unix seconds so that expiry arithmetic is identical on both.

pub use sea_orm_migration::prelude::*;

mod m20261129_000001_create_schema;
mod m20261130_000001_rotate_in_place;
mod m20261201_000001_sessions_per_device;
mod m20261201_000002_abuse_resistance;
mod m20261201_000003_branding;
mod m20261201_000004_accounts_by_mail;
mod m20261201_000005_second_factors;
mod m20261201_000006_backchannel_logout;
mod m20261202_000001_native_clients;
mod m20261202_000002_code_session_index;
mod m20261203_000001_http_session_sign_in;

/// Every migration of the product, in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261129_000001_create_schema::Migration),
            Box::new(m20261130_000001_rotate_in_place::Migration),
            Box::new(m20261201_000001_sessions_per_device::Migration),
            Box::new(m20261201_000002_abuse_resistance::Migration),
            Box::new(m20261201_000003_branding::Migration),
            Box::new(m20261201_000004_accounts_by_mail::Migration),
            Box::new(m20261201_000005_second_factors::Migration),
            Box::new(m20261201_000006_backchannel_logout::Migration),
            Box::new(m20261202_000001_native_clients::Migration),
            Box::new(m20261202_000002_code_session_index::Migration),
            Box::new(m20261203_000001_http_session_sign_in::Migration),
        ]
    }
}
