//! Runs the demo game. `demo/run.sh` registers it with a local server and
//! starts it; by hand, set the kit's `AUTH_*` variables (see
//! `pattmayne_auth_client::Config::from_env`) or `DEMO_CREDENTIALS`, the
//! JSON `pattmayne-auth client create --json` printed.

use pattmayne_auth_client::{AuthKit, Config};

#[derive(serde::Deserialize)]
struct Credentials {
    client_id: String,
    client_secret: String,
    jwt_secret: Option<String>,
}

fn config(listen: &str) -> Result<Config, Box<dyn std::error::Error>> {
    let Ok(path) = std::env::var("DEMO_CREDENTIALS") else {
        return Ok(Config::from_env()?);
    };
    let creds: Credentials = serde_json::from_str(&std::fs::read_to_string(&path)?)?;
    let issuer = std::env::var("AUTH_ISSUER").unwrap_or_else(|_| "http://127.0.0.1:8080".into());
    let port = listen.rsplit(':').next().unwrap_or("4000");
    let redirect_uri = format!("http://localhost:{port}/auth/callback");
    let mut config = Config::new(issuer, creds.client_id, creds.client_secret, redirect_uri)
        .cookie_prefix(format!("demo{port}"));
    if let Some(secret) = creds.jwt_secret {
        config = config.jwt_secret(secret);
    }
    Ok(config)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into()))
        .init();
    let listen = std::env::var("DEMO_LISTEN").unwrap_or_else(|_| "127.0.0.1:4000".into());
    let name = std::env::var("DEMO_NAME").unwrap_or_else(|_| "Demo Game".into());
    let kit = AuthKit::new(config(&listen)?)?;
    let listener = tokio::net::TcpListener::bind(&listen).await?;
    let port = listener.local_addr()?.port();
    println!("{name} is at http://localhost:{port}/");
    axum::serve(listener, pattmayne_auth_demo::app(&kit, &name))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
