//! Handing memory back after a flood. mimalloc keeps the pages a thread freed (and blocks other
//! threads freed into its pages) in that thread's heap until the thread allocates again; an
//! idle server's worker threads do not, so after 20,000 connections closed the server stayed at
//! 5.7 times its idle RSS. Each tokio worker therefore collects its heap when it goes idle, if
//! connections were closed since its last collection: at once after `BATCH` of them, otherwise
//! once a second at most, so a steady churn of connections pays for a collection only now and
//! then. `server` wakes the idle workers once a little after closing connections, so that the
//! last of a burst is collected too.

use std::cell::Cell;
use std::time::{Duration, Instant};

/// Closed connections that make a collection due at the next park.
const BATCH: u64 = 32;
/// The longest a smaller number of closed connections waits for a collection (while the
/// thread keeps parking).
const AT_MOST_EVERY: Duration = Duration::from_secs(1);

unsafe extern "C" {
    /// mimalloc's own: frees this thread's empty pages and, with `force`, returns unused
    /// arena memory to the OS at once (MADV_DONTNEED) instead of after its purge delay.
    fn mi_collect(force: bool);
}

thread_local! {
    static CLOSED_AT_LAST_COLLECT: Cell<u64> = const { Cell::new(0) };
    static LAST_COLLECT: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// `tokio::runtime::Builder::on_thread_park` of the server's runtime.
pub fn on_worker_park() {
    let closed = vitrine::server::connections_closed();
    let since = closed.saturating_sub(CLOSED_AT_LAST_COLLECT.get());
    if since == 0 {
        return;
    }
    let due = since >= BATCH
        || LAST_COLLECT
            .get()
            .is_none_or(|at| at.elapsed() >= AT_MOST_EVERY);
    if !due {
        return;
    }
    CLOSED_AT_LAST_COLLECT.set(closed);
    LAST_COLLECT.set(Some(Instant::now()));
    // SAFETY: mi_collect takes no pointers and may be called from any thread at any time;
    // mimalloc is this binary's global allocator, so its heap is the one in use here.
    unsafe { mi_collect(true) };
}
