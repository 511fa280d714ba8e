//! `desktop-login [CLIENT_ID] [ISSUER]`: signs in through the browser,
//! shows who signed in, then refreshes once to show the rotation.
//! `CLIENT_ID` and `AUTH_ISSUER` can come from the environment instead.

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
    let Some(client_id) = client_id else {
        eprintln!("usage: desktop-login CLIENT_ID [ISSUER]  (or set CLIENT_ID and AUTH_ISSUER)");
        return ExitCode::from(2);
    };

    match run(&issuer, &client_id).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(issuer: &str, client_id: &str) -> Result<(), desktop_login::Error> {
    let tokens = desktop_login::sign_in(issuer, client_id, |url| {
        println!("Opening your browser to sign in. If it does not open, go to:\n\n  {url}\n");
        // A browser that cannot be started is not fatal: the player can
        // still paste the URL printed above.
        if let Err(e) = webbrowser::open(url.as_str()) {
            eprintln!("(could not open a browser: {e})");
        }
        Ok(())
    })
    .await?;

    println!("Signed in. The access token says:");
    println!("{}", claims(&tokens.access_token));
    println!(
        "It is valid for {} s; the refresh token for {} s.",
        tokens.expires_in, tokens.refresh_token_expires_in
    );

    let refreshed = desktop_login::refresh(issuer, client_id, &tokens.refresh_token).await?;
    println!(
        "Refreshed: a new access token (valid {} s) and a new refresh token ({}); \
         the old refresh token no longer works.",
        refreshed.expires_in,
        if refreshed.refresh_token != tokens.refresh_token {
            "rotated"
        } else {
            "NOT rotated"
        }
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
