//! Shutdown of the real binary: SIGTERM stops accepting, requests in flight get until
//! `--shutdown-deadline`, then the process exits, leaving the database whole and its WAL folded
//! back in. Before, one stalled connection kept the process running for as long as its client
//! wanted.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common::HAT;
use crate::hostile_support::{PARTIAL_HEAD, stalled, status_of};

pub(crate) struct Binary {
    child: Child,
    pub(crate) addr: std::net::SocketAddr,
    db: PathBuf,
    log: PathBuf,
}

impl Binary {
    pub(crate) fn start(dir: &Path, args: &[&str]) -> Binary {
        let db = dir.join("store.db");
        let log = dir.join("server.log");
        let addr = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port");
        let child = Command::new(env!("CARGO_BIN_EXE_vitrine"))
            .arg("serve")
            .args(["--addr", &addr.to_string()])
            .arg("--theme")
            .arg(env!("CARGO_MANIFEST_DIR"))
            .arg("--db")
            .arg(&db)
            .args(args)
            .env("RUST_LOG", "vitrine=info")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("log file"))
            .spawn()
            .expect("the vitrine binary starts");
        Binary {
            child,
            addr,
            db,
            log,
        }
    }

    pub(crate) async fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Some(200) =
                crate::hostile_support::healthz(self.addr, Duration::from_secs(1)).await
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("not ready; log:\n{}", self.log_text());
    }

    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn terminate(&self) {
        let pid = libc::pid_t::try_from(self.child.id()).expect("a pid");
        // SAFETY: kill only sends a signal to the child this test started.
        let sent = unsafe { libc::kill(pid, libc::SIGTERM) };
        assert_eq!(sent, 0, "SIGTERM sent");
    }

    /// Waits up to `limit` for the process to exit; its status and how long it took.
    async fn exited_within(&mut self, limit: Duration) -> Option<(ExitStatus, Duration)> {
        let started = Instant::now();
        while started.elapsed() < limit {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some((status, started.elapsed()));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        None
    }

    /// The database after the process exited: whole, and with no WAL left to replay.
    fn assert_clean(&self) {
        let conn = rusqlite::Connection::open(&self.db).expect("open the database");
        let check: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .expect("integrity_check");
        assert_eq!(check, "ok");
        drop(conn);
        let mut wal = self.db.as_os_str().to_owned();
        wal.push("-wal");
        let wal_len = std::fs::metadata(PathBuf::from(wal)).map_or(0, |m| m.len());
        assert_eq!(wal_len, 0, "the WAL was folded into the database at exit");
    }

    fn stored_quantity(&self) -> i64 {
        let conn = rusqlite::Connection::open(&self.db).expect("open the database");
        conn.query_row(
            "SELECT coalesce(sum(quantity), 0) FROM cart_lines",
            [],
            |r| r.get(0),
        )
        .expect("sum of quantities")
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn add_request(quantity: i64) -> (String, String) {
    let body = format!("{{\"id\":{HAT},\"quantity\":{quantity}}}");
    let head = format!(
        "POST /cart/add.js HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n",
        body.len()
    );
    (head, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_with_a_stalled_connection_exits_within_the_deadline() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut server = Binary::start(
        dir.path(),
        &[
            "--no-watch",
            "--header-timeout",
            "300",
            "--shutdown-deadline",
            "5",
        ],
    );
    server.wait_ready().await;
    let _stalled = stalled(server.addr, PARTIAL_HEAD).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    server.terminate();
    let (status, after) = server
        .exited_within(Duration::from_secs(20))
        .await
        .unwrap_or_else(|| {
            panic!(
                "still running 20 s after SIGTERM; log:\n{}",
                server.log_text()
            )
        });
    assert!(status.success(), "exit status {status}");
    assert!(after < Duration::from_secs(5), "took {after:?}");
    server.assert_clean();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_in_flight_at_sigterm_finishes_and_is_kept() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut server = Binary::start(dir.path(), &["--no-watch", "--shutdown-deadline", "10"]);
    server.wait_ready().await;
    let (head, body) = add_request(3);
    let mut conn = stalled(server.addr, head.as_bytes()).await;
    conn.write_all(&body.as_bytes()[..5])
        .await
        .expect("half the body");
    tokio::time::sleep(Duration::from_millis(200)).await;
    server.terminate();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        tokio::net::TcpStream::connect(server.addr).await.is_err(),
        "no longer accepting"
    );
    conn.write_all(&body.as_bytes()[5..])
        .await
        .expect("the rest of the body");
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), conn.read_to_end(&mut answer))
        .await
        .expect("answered and closed")
        .expect("read");
    assert_eq!(
        status_of(&answer),
        Some(200),
        "{}",
        String::from_utf8_lossy(&answer)
    );
    let (status, _) = server
        .exited_within(Duration::from_secs(10))
        .await
        .expect("exits once the request is done");
    assert!(status.success());
    server.assert_clean();
    assert_eq!(
        server.stored_quantity(),
        3,
        "the acknowledged add is in the database"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_still_stalled_at_the_deadline_is_cut() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut server = Binary::start(
        dir.path(),
        &[
            "--no-watch",
            "--body-timeout",
            "300",
            "--shutdown-deadline",
            "2",
        ],
    );
    server.wait_ready().await;
    let (head, body) = add_request(1);
    let mut conn = stalled(server.addr, head.as_bytes()).await;
    conn.write_all(&body.as_bytes()[..5])
        .await
        .expect("half the body");
    tokio::time::sleep(Duration::from_millis(100)).await;
    server.terminate();
    let (status, after) = server
        .exited_within(Duration::from_secs(20))
        .await
        .unwrap_or_else(|| panic!("still running; log:\n{}", server.log_text()));
    assert!(status.success());
    assert!(
        after >= Duration::from_millis(1800) && after < Duration::from_secs(6),
        "exited after {after:?} with a 2 s deadline"
    );
    server.assert_clean();
    assert_eq!(
        server.stored_quantity(),
        0,
        "the cut add was never acknowledged, nor written"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_reload_stream_does_not_hold_shutdown() {
    let dir = tempfile::tempdir().expect("temp dir");
    // Watching the theme serves the live-reload event stream, which never ends by itself.
    let mut server = Binary::start(dir.path(), &["--shutdown-deadline", "30"]);
    server.wait_ready().await;
    let mut events = stalled(
        server.addr,
        b"GET /__vitrine/events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n",
    )
    .await;
    let mut buf = [0u8; 1024];
    let n = events.read(&mut buf).await.expect("the stream's head");
    assert_eq!(status_of(&buf[..n]), Some(200));
    server.terminate();
    let (status, after) = server
        .exited_within(Duration::from_secs(40))
        .await
        .expect("exits");
    assert!(status.success());
    assert!(
        after < Duration::from_secs(10),
        "took {after:?} with an event stream open"
    );
}
