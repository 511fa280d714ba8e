//! `pattmayne-auth healthcheck`: asks a running server's `/healthz`, for
//! container HEALTHCHECKs in images without curl (distroless).

use std::time::Duration;

use anyhow::{Context, bail};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Exits successfully when `http://{addr}/healthz` answers 200.
pub async fn run(addr: &str) -> anyhow::Result<()> {
    let probe = async {
        let mut stream = TcpStream::connect(addr)
            .await
            .with_context(|| format!("connecting to {addr}"))?;
        let request = format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await?;
        let mut head = vec![0u8; 64];
        let n = stream.read(&mut head).await?;
        let status_line = String::from_utf8_lossy(&head[..n]);
        if status_line.starts_with("HTTP/1.1 200") {
            println!("healthy");
            Ok(())
        } else {
            bail!(
                "unhealthy: {}",
                status_line.lines().next().unwrap_or("no answer")
            )
        }
    };
    tokio::time::timeout(Duration::from_secs(5), probe)
        .await
        .context("health check timed out")?
}
