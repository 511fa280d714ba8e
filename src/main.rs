//! `pattmayne-auth`: parse the command line, load configuration, hand over to the library.

use std::process::ExitCode;

use clap::Parser;
use pattmayne_auth::cli::{self, Cli};

fn main() -> ExitCode {
    return_large_allocations_to_the_os();
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

/// Argon2 allocates a 19 MiB block per hash. glibc raises its mmap threshold
/// after the first such block is freed and from then on serves the blocks
/// from per-thread arenas that keep them: resident memory grew to ~470 MiB
/// under a login flood (and to 1 GiB with fewer arenas, from fragmentation).
/// A fixed threshold keeps large blocks mmapped, so they go back to the OS
/// when freed. (The hasher reuses its blocks while sign-ins go on and frees
/// them when they pause: `domain::passwords`.)
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn return_large_allocations_to_the_os() {
    // SAFETY: mallopt only sets an allocator parameter; it is called before
    // any other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 256 * 1024);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn return_large_allocations_to_the_os() {}
