//! Memory after a connection flood, on the real binary (with its allocator): thousands of
//! connections, each answered once and then closed by the client, and the server's resident set
//! must come back to within twice its idle figure. Before, the memory they used stayed with the
//! process (the issue measured 63 MB before 20,000 connections and 608 MB after they closed).

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::hostile_shutdown::Binary;

/// Connections held at once: enough to multiply the idle RSS several times over.
const FLOOD: usize = 5000;

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kib| kib.parse().ok())
        .expect("VmRSS")
}

async fn answered_once(addr: &str) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("send");
    let mut buf = [0u8; 512];
    let n = stream.read(&mut buf).await.expect("answer");
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
    stream
}

#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_goes_back_after_a_connection_flood() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Binary::start(dir.path(), &["--no-watch"]);
    server.wait_ready().await;
    let addr = server.addr.to_string();
    let pid = server.pid();
    for _ in 0..20 {
        drop(answered_once(&addr).await);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let idle = rss_kib(pid);

    let mut flood = Vec::with_capacity(FLOOD);
    for _ in 0..FLOOD {
        flood.push(answered_once(&addr).await);
    }
    let held = rss_kib(pid);
    assert!(
        held > 2 * idle,
        "the flood should cost memory: {held} KiB held against {idle} KiB idle"
    );
    drop(flood);

    let deadline = Instant::now() + Duration::from_secs(30);
    let mut now = rss_kib(pid);
    while now > 2 * idle && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(250)).await;
        now = rss_kib(pid);
    }
    assert!(
        now <= 2 * idle,
        "RSS {now} KiB 30 s after the flood closed, idle {idle} KiB, held {held} KiB"
    );
}
