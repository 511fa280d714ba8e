//! `pattmayne-auth client create|list|show|delete|rotate-secret|disable|enable`.

use anyhow::bail;
use clap::Subcommand;
use sea_orm::DatabaseConnection;
use serde_json::json;

use crate::clock::{format_utc, system_now as now};
use crate::config::Config;
use crate::crypto::Keys;
use crate::domain::admin::Admin;
use crate::domain::branding::{self, Logo};
use crate::domain::clients::{self, TokenAlg};

/// A client site's branding, as flags.
#[derive(clap::Args, Debug)]
pub struct BrandingArgs {
    /// The buttons' colour on the way to this site, `#rrggbb` (white text must
    /// be readable on it: 4.5:1).
    #[arg(long)]
    accent_color: Option<String>,
    /// A logo: a PNG, JPEG or WebP file of at most 256 KiB.
    #[arg(long)]
    logo: Option<std::path::PathBuf>,
}

impl BrandingArgs {
    /// The accent (checked) and the logo (read and checked), if given.
    fn read(&self) -> anyhow::Result<(Option<String>, Option<Logo>)> {
        let accent = match &self.accent_color {
            Some(raw) => {
                branding::validate_accent(raw).map_err(|m| anyhow::anyhow!(m.english()))?
            }
            None => None,
        };
        let logo = match &self.logo {
            Some(path) => {
                let bytes = std::fs::read(path)
                    .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
                Some(Logo::from_bytes(bytes, false).map_err(|m| anyhow::anyhow!(m.english()))?)
            }
            None => None,
        };
        Ok((accent, logo))
    }
}

/// Client-site commands.
#[derive(Subcommand, Debug)]
pub enum ClientCommand {
    /// Register a client site. Prints its client_id, client_secret and (for
    /// HS256) jwt_secret: shown once, never stored in plain text.
    Create {
        #[arg(long)]
        name: String,
        /// A redirect URI; repeat for several. Matched exactly, but for a
        /// public client's loopback URI without a port (any port matches).
        #[arg(long = "redirect-uri", required_unless_present = "device")]
        redirect_uris: Vec<String>,
        /// A public client: a desktop or mobile game that cannot keep a
        /// secret (client_id and PKCE alone; RS256 or EdDSA only).
        #[arg(long)]
        public: bool,
        /// Allow the device authorization grant (RFC 8628): consoles, TVs,
        /// game servers without a browser.
        #[arg(long)]
        device: bool,
        /// How access tokens for this site are signed: HS256 by default,
        /// EdDSA for a public client (which cannot use HS256).
        #[arg(long)]
        token_alg: Option<TokenAlg>,
        #[command(flatten)]
        branding: BrandingArgs,
        /// Where the site hears that a session ended (OIDC Back-Channel
        /// Logout 1.0): a logout_token is POSTed there.
        #[arg(long)]
        backchannel_logout_uri: Option<String>,
        /// Print JSON: {"client_id", "client_secret", "jwt_secret"}.
        #[arg(long)]
        json: bool,
    },
    /// Set or clear (with "") where a client site hears that a session ended.
    BackchannelLogout { client_id: String, uri: String },
    /// Set how the sign-in pages show a client site: its accent colour and logo.
    Brand {
        client_id: String,
        #[command(flatten)]
        branding: BrandingArgs,
        /// Remove the logo.
        #[arg(long, conflicts_with = "logo")]
        remove_logo: bool,
    },
    /// List client sites.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Show one client site (no secrets).
    Show {
        client_id: String,
        #[arg(long)]
        json: bool,
    },
    /// Delete a client site and every token issued to it.
    Delete { client_id: String },
    /// Replace the client secret; the old one stops working at once.
    RotateSecret {
        client_id: String,
        #[arg(long)]
        json: bool,
    },
    /// Disable a client site: it can no longer exchange codes or refresh.
    Disable { client_id: String },
    /// Enable a disabled client site again.
    Enable { client_id: String },
}

pub async fn run(
    command: ClientCommand,
    config: &Config,
    db: &DatabaseConnection,
) -> anyhow::Result<()> {
    let now = now();
    match command {
        ClientCommand::Create {
            name,
            redirect_uris,
            public,
            device,
            token_alg,
            branding,
            backchannel_logout_uri,
            json,
        } => {
            let token_alg = token_alg.unwrap_or(if public {
                TokenAlg::EdDSA
            } else {
                TokenAlg::HS256
            });
            let (accent, logo) = branding.read()?;
            let backchannel = match &backchannel_logout_uri {
                Some(raw) => {
                    clients::validate_backchannel_uri(raw, config.allow_http_redirect_uris)
                        .map_err(|m| anyhow::anyhow!(m.english()))?
                }
                None => None,
            };
            let keys = Keys::derive(&config.secret_key);
            let (site, creds) = Admin::operator()
                .create_client(
                    db,
                    &keys,
                    &name,
                    &redirect_uris,
                    token_alg,
                    clients::ClientKind { public, device },
                    config.allow_http_redirect_uris,
                    now,
                )
                .await?;
            if accent.is_some() || logo.is_some() {
                let logo = logo.as_ref().map(Some);
                Admin::operator()
                    .set_client_branding(db, &site.client_id, accent.as_deref(), logo, now)
                    .await?;
            }
            if let Some(uri) = &backchannel {
                Admin::operator()
                    .set_client_backchannel_uri(db, &site.client_id, Some(uri), now)
                    .await?;
            }
            if json {
                println!("{}", serde_json::to_string(&creds)?);
            } else {
                println!("created client site {:?}", site.name);
                println!("client_id:     {}", creds.client_id);
                match &creds.client_secret {
                    Some(secret) => println!("client_secret: {secret}"),
                    None => println!("client_secret: none (a public client)"),
                }
                if let Some(jwt) = &creds.jwt_secret {
                    println!("jwt_secret:    {jwt}");
                }
                println!("token_alg:     {}", site.token_alg);
                println!(
                    "The secrets are shown only now; store them in the client site's configuration."
                );
            }
        }
        ClientCommand::BackchannelLogout { client_id, uri } => {
            let uri = clients::validate_backchannel_uri(&uri, config.allow_http_redirect_uris)
                .map_err(|m| anyhow::anyhow!(m.english()))?;
            if clients::find(db, &client_id).await?.is_none() {
                bail!("no client site {client_id}");
            }
            Admin::operator()
                .set_client_backchannel_uri(db, &client_id, uri.as_deref(), now)
                .await?;
            println!(
                "back-channel logout URI of {client_id}: {}",
                uri.as_deref().unwrap_or("(none)")
            );
        }
        ClientCommand::Brand {
            client_id,
            branding,
            remove_logo,
        } => {
            let (accent, logo) = branding.read()?;
            let Some(before) = clients::find(db, &client_id).await? else {
                bail!("no client site {client_id}")
            };
            let accent = match branding.accent_color {
                Some(_) => accent,
                None => before.accent_color,
            };
            let logo = match (logo.as_ref(), remove_logo) {
                (Some(logo), _) => Some(Some(logo)),
                (None, true) => Some(None),
                (None, false) => None,
            };
            Admin::operator()
                .set_client_branding(db, &client_id, accent.as_deref(), logo, now)
                .await?;
            println!("branded client site {client_id}");
        }
        ClientCommand::List { json } => {
            let sites = clients::list(db).await?;
            if json {
                println!("{}", serde_json::to_string(&sites)?);
            } else if sites.is_empty() {
                println!("no client sites");
            } else {
                for s in sites {
                    let state = if s.enabled { "enabled" } else { "disabled" };
                    println!(
                        "{}\t{}\t{}\t{}\t{}",
                        s.client_id,
                        s.name,
                        s.token_alg,
                        state,
                        s.redirect_uris.join(" ")
                    );
                }
            }
        }
        ClientCommand::Show { client_id, json } => {
            let Some(site) = clients::site(db, &client_id).await? else {
                bail!("no client site {client_id}")
            };
            let live = clients::live_token_count(db, &client_id, now).await?;
            let backchannel = clients::find(db, &client_id)
                .await?
                .and_then(|c| c.backchannel_logout_uri);
            if json {
                let mut value = serde_json::to_value(&site)?;
                value["live_refresh_tokens"] = json!(live);
                value["backchannel_logout_uri"] = json!(backchannel);
                println!("{value}");
            } else {
                println!("client_id:     {}", site.client_id);
                println!("name:          {}", site.name);
                println!("token_alg:     {}", site.token_alg);
                println!("enabled:       {}", site.enabled);
                println!("public:        {}", site.public);
                println!("device grant:  {}", site.device_grant);
                println!("created:       {}", format_utc(site.created_at));
                println!("live tokens:   {live}");
                if let Some(uri) = &backchannel {
                    println!("back-channel:  {uri}");
                }
                for uri in site.redirect_uris {
                    println!("redirect_uri:  {uri}");
                }
            }
        }
        ClientCommand::Delete { client_id } => {
            Admin::operator().delete_client(db, &client_id, now).await?;
            println!("deleted client site {client_id}");
        }
        ClientCommand::RotateSecret { client_id, json } => {
            let secret = Admin::operator()
                .rotate_client_secret(db, &client_id, now)
                .await?;
            if json {
                println!(
                    "{}",
                    json!({ "client_id": client_id, "client_secret": secret })
                );
            } else {
                println!("client_secret: {secret}");
            }
        }
        ClientCommand::Disable { client_id } => {
            Admin::operator()
                .set_client_enabled(db, &client_id, false, now)
                .await?;
            println!("disabled client site {client_id}");
        }
        ClientCommand::Enable { client_id } => {
            Admin::operator()
                .set_client_enabled(db, &client_id, true, now)
                .await?;
            println!("enabled client site {client_id}");
        }
    }
    Ok(())
}
