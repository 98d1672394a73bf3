//! Helpers for the hostile-client tests: `vitrine::server::serve` on 127.0.0.1:0 with chosen
//! limits, and raw sockets that send part of a request and then nothing.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use vitrine::server::Limits;

use crate::common::TestApp;

/// A server on a real port; dropping it shuts the server down.
pub struct Served {
    pub addr: SocketAddr,
    pub base: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Limits with timeouts long enough not to interfere, changed by `edit`.
pub fn limits(edit: impl FnOnce(&mut Limits)) -> Limits {
    let mut limits = Limits {
        header_timeout: Duration::from_secs(60),
        body_timeout: Duration::from_secs(60),
        max_connections: 1000,
        shutdown_deadline: Duration::from_secs(1),
    };
    edit(&mut limits);
    limits
}

pub async fn serve(app: &TestApp, limits: Limits) -> Served {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("local addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let router = app.router.clone();
    tokio::spawn(async move {
        vitrine::server::serve(listener, router, limits, async {
            let _ = stopped.await;
        })
        .await;
    });
    Served {
        addr,
        base: format!("http://{addr}"),
        stop: Some(stop),
    }
}

/// A connection that sent `bytes` and then stalls.
pub async fn stalled(addr: SocketAddr, bytes: &[u8]) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream.write_all(bytes).await.expect("send the first bytes");
    stream
}

/// The head of a request that never ends: no blank line after the headers.
pub const PARTIAL_HEAD: &[u8] = b"GET / HTTP/1.1\r\nHost: x\r\n";

/// What the server sends until it closes the connection, and after how long; `None` when it is
/// still open after `limit`.
pub async fn read_until_closed(
    stream: &mut TcpStream,
    limit: Duration,
) -> Option<(Vec<u8>, Duration)> {
    let started = Instant::now();
    let mut received = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let left = limit.checked_sub(started.elapsed())?;
        match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some((received, started.elapsed())),
            Ok(Ok(n)) => received.extend_from_slice(&buf[..n]),
        }
    }
}

/// `GET /healthz` on a fresh connection; its status, or `None` if not answered within `limit`.
pub async fn healthz(addr: SocketAddr, limit: Duration) -> Option<u16> {
    let ask = async {
        let mut stream = TcpStream::connect(addr).await.ok()?;
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .ok()?;
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await.ok()?;
        status_of(&answer)
    };
    tokio::time::timeout(limit, ask).await.ok().flatten()
}

/// The status code of a raw HTTP/1.1 answer.
pub fn status_of(answer: &[u8]) -> Option<u16> {
    let line = answer.split(|b| *b == b'\r').next()?;
    std::str::from_utf8(line)
        .ok()?
        .split(' ')
        .nth(1)?
        .parse()
        .ok()
}
