//! WAL checkpoints on their own thread, off the write path.
//!
//! SQLite's automatic checkpoint runs inside the commit that crosses the threshold: that write
//! copies a thousand pages into the database file and syncs it while every queued write waits.
//! Under a write storm that happened many times a second. Here a thread runs PASSIVE checkpoints
//! (they never block the writer or readers) every few milliseconds, and the writer keeps only
//! a far larger automatic threshold as a safety net in case this thread falls behind.

use std::path::Path;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use rusqlite::Connection;

use super::StoreError;

/// How often the thread copies committed WAL frames into the database.
const INTERVAL: Duration = Duration::from_millis(25);

/// The writer's own automatic checkpoint, in pages (64 MiB of WAL): only if this thread stalls.
pub const WRITER_AUTOCHECKPOINT_PAGES: u32 = 16_384;

/// A WAL that grew past this (a burst of writes, a long read holding old frames) is cut back to
/// it once it has been checkpointed and restarts, instead of keeping its largest size on disk.
pub const WAL_SIZE_LIMIT_BYTES: i64 = 8 * 1024 * 1024;

#[derive(Default)]
struct Stop {
    requested: Mutex<bool>,
    wake: Condvar,
}

pub struct Checkpointer {
    stop: Arc<Stop>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    pub fn start(path: &Path) -> Result<Checkpointer, StoreError> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(Duration::from_secs(1))?;
        let stop = Arc::new(Stop::default());
        let stopping = stop.clone();
        let thread = thread::Builder::new()
            .name("store-checkpoint".into())
            .spawn(move || run(&conn, &stopping))
            .map_err(|e| StoreError::Task(format!("cannot start the checkpoint thread: {e}")))?;
        Ok(Checkpointer {
            stop,
            thread: Some(thread),
        })
    }
}

fn run(conn: &Connection, stop: &Stop) {
    loop {
        let Ok(requested) = stop.requested.lock() else {
            return;
        };
        let Ok((requested, _)) = stop
            .wake
            .wait_timeout_while(requested, INTERVAL, |stopped| !*stopped)
        else {
            return;
        };
        let last = *requested;
        drop(requested);
        // (busy, frames in the WAL, frames copied): nothing to act on, the next round retries.
        if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            tracing::warn!(error = %e, "background WAL checkpoint failed");
        }
        if last {
            return;
        }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        if let Ok(mut requested) = self.stop.requested.lock() {
            *requested = true;
        }
        self.stop.wake.notify_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::WAL_SIZE_LIMIT_BYTES;
    use crate::store::{AfterCommand, IfMissing, Store};

    /// A burst that grows the WAL past the limit leaves it no larger than the limit afterwards.
    #[tokio::test]
    async fn a_grown_wal_is_cut_back_after_checkpoints() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("store.db");
        let wal = dir.path().join("store.db-wal");
        let store = Store::open(&path).expect("open");
        let now = chrono::Utc::now();
        let note = "n".repeat(4000);
        let carts: Vec<_> = (0..3000)
            .map(|i| {
                let mut cart = crate::cart::Cart::new(format!("burst-{i}"), "USD", now);
                cart.note = Some(note.clone());
                cart
            })
            .collect();
        // One transaction: the WAL cannot be checkpointed part-way.
        store.insert_carts(&carts).expect("burst");
        let grown = std::fs::metadata(&wal).expect("wal").len();
        assert!(
            grown > WAL_SIZE_LIMIT_BYTES as u64,
            "the burst should outgrow the limit: {grown} bytes"
        );
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            // The WAL restarts (and is cut back) at the first write after a full checkpoint.
            store
                .mutate("after", IfMissing::Create, |cart| {
                    cart.note = Some("later".into());
                    Ok::<_, ()>(((), AfterCommand::Save))
                })
                .await
                .expect("write");
            let size = std::fs::metadata(&wal).expect("wal").len();
            if size <= WAL_SIZE_LIMIT_BYTES as u64 {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the WAL stayed at {size} bytes (limit {WAL_SIZE_LIMIT_BYTES})"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    /// Committed writes reach the database file itself (not only the WAL) without any write
    /// crossing SQLite's automatic threshold.
    #[tokio::test]
    async fn committed_writes_reach_the_database_file_in_the_background() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("store.db");
        let store = Store::open(&path).expect("open");
        for i in 0..50 {
            store
                .mutate(&format!("cart-{i}"), IfMissing::Create, |cart| {
                    cart.note = Some("kept".into());
                    Ok::<_, ()>(((), AfterCommand::Save))
                })
                .await
                .expect("write");
        }
        let copy = dir.path().join("copy.db");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            // The database file alone, without its WAL: what a checkpoint has copied.
            std::fs::copy(&path, &copy).expect("copy");
            let carts: i64 = rusqlite::Connection::open(&copy)
                .and_then(|c| c.query_row("SELECT count(*) FROM carts", [], |r| r.get(0)))
                .unwrap_or(0);
            if carts == 50 {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "only {carts} of 50 carts reached the database file"
            );
        }
    }
}
