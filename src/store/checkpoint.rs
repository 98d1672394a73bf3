//! WAL checkpoints on their own thread, off the write path.
//!
//! SQLite's automatic checkpoint runs inside the commit that crosses the threshold: that write
//! copies a thousand pages into the database file and syncs it while every queued write waits.
//! Under a write storm that happened many times a second. Here a thread runs PASSIVE checkpoints
//! (they never block the writer or readers) every few milliseconds, and the writer keeps only
//! a far larger automatic threshold as a safety net in case this thread falls behind.
//!
//! A WAL that a burst grew is cut back here too, once writes pause. Left to the writer
//! (`journal_size_limit`), the cut happened in the first commit after each WAL restart, and
//! shrinking a file of tens of megabytes took that commit, and every write queued behind it,
//! 17-73 ms on this project's VM (strace).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use rusqlite::Connection;

use super::StoreError;

/// How often the thread copies committed WAL frames into the database.
const INTERVAL: Duration = Duration::from_millis(25);

const BUSY_TIMEOUT: Duration = Duration::from_secs(1);

/// How long emptying the WAL waits for readers to leave it.
const TRUNCATE_WAIT: Duration = Duration::from_millis(20);

/// The writer's own automatic checkpoint, in pages (64 MiB of WAL): only if this thread stalls.
pub const WRITER_AUTOCHECKPOINT_PAGES: u32 = 16_384;

/// A WAL that grew past this (a burst of writes, a long read holding old frames) is emptied once
/// writes pause, instead of keeping its largest size on disk.
pub const WAL_SIZE_LIMIT_BYTES: u64 = 8 * 1024 * 1024;

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
        conn.busy_timeout(BUSY_TIMEOUT)?;
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        let wal = PathBuf::from(wal);
        let stop = Arc::new(Stop::default());
        let stopping = stop.clone();
        let thread = thread::Builder::new()
            .name("store-checkpoint".into())
            .spawn(move || run(&conn, &wal, &stopping))
            .map_err(|e| StoreError::Task(format!("cannot start the checkpoint thread: {e}")))?;
        Ok(Checkpointer {
            stop,
            thread: Some(thread),
        })
    }
}

fn run(conn: &Connection, wal: &Path, stop: &Stop) {
    let mut frames_before = None;
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
        match checkpoint(conn, "PASSIVE") {
            Ok((frames, copied)) => {
                // Every frame copied, and none written since the last round: writes paused.
                let paused = frames == copied && frames_before == Some(frames);
                frames_before = Some(frames);
                if paused && grown(wal) {
                    empty_wal(conn);
                    frames_before = None;
                }
            }
            // Nothing to act on: the next round retries.
            Err(e) => tracing::warn!(error = %e, "background WAL checkpoint failed"),
        }
        if last {
            return;
        }
    }
}

/// Runs a checkpoint; returns (frames in the WAL, frames copied into the database).
fn checkpoint(conn: &Connection, mode: &str) -> rusqlite::Result<(i64, i64)> {
    conn.query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |row| {
        Ok((row.get(1)?, row.get(2)?))
    })
}

/// A TRUNCATE checkpoint holds off new writes while it waits for readers to leave the WAL and
/// while the file shrinks; a write arriving then waits (busy timeout) and nothing is lost. The
/// wait for readers is kept short: if one lingers, a later pause tries again.
fn empty_wal(conn: &Connection) {
    if conn.busy_timeout(TRUNCATE_WAIT).is_err() {
        return;
    }
    if let Err(e) = checkpoint(conn, "TRUNCATE") {
        tracing::debug!(error = %e, "the WAL was not emptied this time");
    }
    if let Err(e) = conn.busy_timeout(BUSY_TIMEOUT) {
        tracing::warn!(error = %e, "restoring the checkpoint connection's busy timeout failed");
    }
}

fn grown(wal: &Path) -> bool {
    std::fs::metadata(wal).is_ok_and(|m| m.len() > WAL_SIZE_LIMIT_BYTES)
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

    /// A burst that grows the WAL past the limit leaves it no larger than the limit once
    /// writes pause.
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
            grown > WAL_SIZE_LIMIT_BYTES,
            "the burst should outgrow the limit: {grown} bytes"
        );
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            // Writes that pause between them: the WAL is emptied in a pause.
            store
                .mutate("after", IfMissing::Create, |cart| {
                    cart.note = Some("later".into());
                    Ok::<_, ()>(((), AfterCommand::Save))
                })
                .await
                .expect("write");
            let size = std::fs::metadata(&wal).expect("wal").len();
            if size <= WAL_SIZE_LIMIT_BYTES {
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
