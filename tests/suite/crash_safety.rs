//! Crash safety: kill the server with SIGKILL in the middle of a write storm, restart it, and
//! check that the database is intact and holds every mutation that was acknowledged.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::common::{GIFT_CARD_VARIANT as GIFT_CARD, gift_card_quantity};
const CLIENTS: usize = 16;

pub(crate) struct Server {
    child: Child,
    pub(crate) base: String,
    log: std::path::PathBuf,
}

impl Server {
    pub(crate) fn start(db: &Path) -> Server {
        let log = std::fs::File::create(db.with_extension("log")).expect("server log file");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let child = Command::new(env!("CARGO_BIN_EXE_vitrine"))
            .args([
                "serve",
                "--no-watch",
                "--addr",
                &format!("127.0.0.1:{port}"),
            ])
            .arg("--theme")
            .arg(env!("CARGO_MANIFEST_DIR"))
            .arg("--db")
            .arg(db)
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("the vitrine binary starts");
        Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
            log: db.with_extension("log"),
        }
    }

    pub(crate) async fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(r) = reqwest::get(format!("{}/healthz", self.base)).await
                && r.status().is_success()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        panic!("server did not become ready; its log:\n{log}");
    }

    fn kill(mut self) {
        // SIGKILL: no chance to flush or shut down cleanly.
        self.child.kill().expect("kill the server");
        self.child.wait().expect("reap the server");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .expect("http client")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_sigkill() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("store.db");
    let server = Server::start(&db);
    server.wait_ready().await;

    let clients: Vec<reqwest::Client> = (0..CLIENTS).map(|_| client()).collect();
    let stop = Arc::new(AtomicBool::new(false));
    let mut storm = Vec::new();
    for c in &clients {
        let c = c.clone();
        let base = server.base.clone();
        let stop = stop.clone();
        storm.push(tokio::spawn(async move {
            let mut acknowledged = 0i64;
            while !stop.load(Ordering::Relaxed) {
                let sent = c
                    .post(format!("{base}/cart/add.js"))
                    .json(&serde_json::json!({"id": GIFT_CARD, "quantity": 1}))
                    .send()
                    .await;
                match sent {
                    Ok(r) if r.status().is_success() => acknowledged += 1,
                    // The kill cuts requests off; those were never acknowledged.
                    _ => break,
                }
            }
            acknowledged
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    server.kill();
    stop.store(true, Ordering::Relaxed);
    let mut acknowledged = Vec::new();
    for task in storm {
        acknowledged.push(task.await.expect("storm task"));
    }
    assert!(
        acknowledged.iter().sum::<i64>() > 0,
        "the storm wrote nothing"
    );

    {
        let conn = rusqlite::Connection::open(&db).expect("open the killed database");
        let check: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .expect("integrity_check");
        assert_eq!(check, "ok");
    }

    let server = Server::start(&db);
    server.wait_ready().await;
    for (c, acked) in clients.iter().zip(&acknowledged) {
        let stored = gift_card_quantity(c, &server.base).await;
        // Every acknowledged add is there; at most the one in flight at the kill may be too.
        assert!(
            stored >= *acked && stored <= acked + 1,
            "stored {stored}, acknowledged {acked}"
        );
    }
}
