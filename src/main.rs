//! `pattmayne-auth`: parse the command line, load configuration, hand over to the library.

use std::process::ExitCode;

use clap::Parser;
use pattmayne_auth::cli::{self, Cli};

fn main() -> ExitCode {
    load_dotenv_in_development();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("pattmayne-auth: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(cli::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // One line: the chain of causes, newlines folded.
            eprintln!("pattmayne-auth: {}", format!("{err:#}").replace('\n', " "));
            ExitCode::FAILURE
        }
    }
}

/// A `.env` file is a development convenience: it is not read when the
/// process environment already says the server is public over https.
fn load_dotenv_in_development() {
    let production = std::env::var("AUTH_PUBLIC_URL").is_ok_and(|url| url.starts_with("https://"));
    if !production {
        let _ = dotenvy::dotenv();
    }
}
