//! `device-login [CLIENT_ID] [ISSUER]`: shows a code to type on another
//! device, waits for the player to approve it, then shows who signed in.
//! `CLIENT_ID`, `AUTH_ISSUER` and the optional `CLIENT_SECRET` can come
//! from the environment instead.

use std::process::ExitCode;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

#[tokio::main]
async fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let client_id = args.next().or_else(|| std::env::var("CLIENT_ID").ok());
    let issuer = args
        .next()
        .or_else(|| std::env::var("AUTH_ISSUER").ok())
        .unwrap_or_else(|| "http://127.0.0.1:8080".to_owned());
    let client_secret = std::env::var("CLIENT_SECRET").ok();
    let Some(client_id) = client_id else {
        eprintln!("usage: device-login CLIENT_ID [ISSUER]  (or set CLIENT_ID and AUTH_ISSUER)");
        return ExitCode::from(2);
    };

    match run(&issuer, &client_id, client_secret.as_deref()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(
    issuer: &str,
    client_id: &str,
    client_secret: Option<&str>,
) -> Result<(), device_login::Error> {
    let auth = device_login::start(issuer, client_id, client_secret).await?;
    println!(
        "On your phone or computer, go to {} and enter {}",
        auth.verification_uri, auth.user_code
    );
    if let Some(complete) = &auth.verification_uri_complete {
        println!("(or open {complete}, which has the code filled in)");
    }
    println!(
        "Waiting for you to approve (the code expires in {} min)...",
        auth.expires_in.div_ceil(60)
    );

    // Declined or expired come back as errors, and so a failing exit code.
    let tokens = device_login::poll(&auth).await?;
    println!("Signed in. The access token says:");
    println!("{}", claims(&tokens.access_token));
    println!(
        "It is valid for {} s; the refresh token for {} s.",
        tokens.expires_in, tokens.refresh_token_expires_in
    );
    Ok(())
}

/// The JWT's payload, decoded but NOT verified: the game trusts nothing in
/// it, it only shows it. The game sends the token to its game server, and
/// the game server verifies it (signature, `iss`, `aud`, `exp`) against the
/// auth server's JWKS.
fn claims(jwt: &str) -> String {
    jwt.split('.')
        .nth(1)
        .and_then(|payload| URL_SAFE_NO_PAD.decode(payload).ok())
        .and_then(|json| serde_json::from_slice::<serde_json::Value>(&json).ok())
        .and_then(|value| serde_json::to_string_pretty(&value).ok())
        .unwrap_or_else(|| "(not a JWT)".to_owned())
}
