//! The one thread that owns the write connection.
//!
//! Writes queue in a FIFO channel and run in arrival order. A mutex taken from several blocking
//! threads is not fair: under load some requests lost the race again and again and waited far
//! longer than the rest. A queue also spares a blocking-pool thread per waiting write.
//!
//! Group commit: the writes found waiting in the queue share one `BEGIN IMMEDIATE … COMMIT`,
//! each in its own savepoint, so a write that fails or panics rolls back only itself. Nobody
//! waits for a batch to fill: a lone write commits at once. Every caller is answered only after
//! the COMMIT that holds its write.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;
use std::thread::{self, JoinHandle, ThreadId};

use rusqlite::Connection;

use super::StoreError;
use super::cart_cache::CartCache;

/// Writes committed together at most, so the first of a batch is not held back for long.
const MAX_BATCH: usize = 32;

enum Job {
    /// Runs in a batch's transaction, in its own savepoint.
    Batched(Box<dyn BatchJob>),
    /// Runs between batches, outside any transaction (it may open its own).
    Alone(Box<dyn FnOnce(&mut Connection) + Send>),
}

/// What a batched write works with: the connection, inside the batch's transaction, and the
/// writer's cache of committed carts.
pub struct Tx<'a> {
    pub conn: &'a Connection,
    pub carts: &'a mut CartCache,
}

trait BatchJob: Send {
    /// Runs the write. Returns false when the savepoint could not be closed, so the
    /// transaction is no longer sound.
    fn run(&mut self, tx: &mut Tx<'_>) -> bool;
    /// Answers the caller once the batch's fate is known: an `Ok` write stands only if the
    /// batch committed.
    fn answer(self: Box<Self>, batch: Result<(), &rusqlite::Error>);
}

pub struct Writer {
    /// `None` only while dropping, so the thread sees the queue close.
    jobs: Option<mpsc::Sender<Job>>,
    thread: Option<JoinHandle<()>>,
    thread_id: ThreadId,
}

impl Writer {
    pub fn start(conn: Connection) -> Result<Writer, StoreError> {
        let (jobs, queue) = mpsc::channel::<Job>();
        let thread = thread::Builder::new()
            .name("store-writer".into())
            .spawn(move || serve(conn, &queue))
            .map_err(|e| StoreError::Task(format!("cannot start the writer thread: {e}")))?;
        Ok(Writer {
            jobs: Some(jobs),
            thread_id: thread.thread().id(),
            thread: Some(thread),
        })
    }

    fn submit(&self, job: Job) -> Result<(), StoreError> {
        self.jobs
            .as_ref()
            .and_then(|jobs| jobs.send(job).ok())
            .ok_or_else(stopped)
    }

    /// Runs `f` in a transaction once the writes queued before it are done. On `Err` (or a
    /// panic) whatever `f` wrote is rolled back; on `Ok` it is committed before this returns.
    pub async fn run<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&mut Tx<'_>) -> Result<T, E> + Send + 'static,
    {
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.submit(Job::Batched(Box::new(Queued {
            work: Some(f),
            result: None,
            reply,
        })))?;
        answer.await.map_err(|_| stopped())?
    }

    /// Runs `f` alone, outside any transaction, and blocks until it is done. For callers
    /// outside the async runtime's tasks (start-up, fixtures).
    pub fn run_alone<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let (reply, answer) = mpsc::sync_channel(1);
        self.submit(Job::Alone(Box::new(move |conn| {
            let result = match catch_unwind(AssertUnwindSafe(|| f(conn))) {
                Ok(result) => result,
                Err(panic) => Err(panicked(panic)),
            };
            if !conn.is_autocommit()
                && let Err(e) = conn.execute_batch("ROLLBACK")
            {
                tracing::error!(error = %e, "rolling back after a failed write failed");
            }
            let _ = reply.send(result);
        })))?;
        answer.recv().map_err(|_| stopped())?
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.jobs = None;
        // Wait for queued writes and the connection's close, so the file is settled once the
        // last `Store` is gone. A job that dropped the last `Store` cannot wait for itself.
        if let Some(thread) = self.thread.take()
            && thread::current().id() != self.thread_id
        {
            let _ = thread.join();
        }
    }
}

fn stopped() -> StoreError {
    StoreError::Task("the writer thread stopped".into())
}

fn panicked(panic: Box<dyn std::any::Any + Send>) -> StoreError {
    let message = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown cause".into());
    StoreError::Task(format!("a write panicked: {message}"))
}

/// The writer thread: ends once every sender is gone and the queue is drained.
fn serve(mut conn: Connection, queue: &mpsc::Receiver<Job>) {
    let mut carts = CartCache::default();
    let mut next = None;
    loop {
        let job = match next.take() {
            Some(job) => job,
            None => match queue.recv() {
                Ok(job) => job,
                Err(_) => return,
            },
        };
        match job {
            Job::Alone(f) => {
                f(&mut conn);
                // It may have written carts by itself (fixtures, a catalog sync).
                carts.clear();
            }
            Job::Batched(first) => next = batch(&conn, &mut carts, first, queue),
        }
    }
}

/// Cached, so these few statements are parsed once per connection.
fn exec(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(drop)
}

/// Runs `first` and the batchable writes queued behind it in one transaction, then answers
/// them all. Returns a job taken from the queue that must run alone, if any.
fn batch(
    conn: &Connection,
    carts: &mut CartCache,
    first: Box<dyn BatchJob>,
    queue: &mpsc::Receiver<Job>,
) -> Option<Job> {
    if let Err(e) = exec(conn, "BEGIN IMMEDIATE") {
        first.answer(Err(&e));
        return None;
    }
    match data_version(conn) {
        Ok(version) => carts.check_data_version(version),
        Err(_) => carts.clear(),
    }
    let mut done: Vec<Box<dyn BatchJob>> = Vec::new();
    let mut job = first;
    let mut next = None;
    loop {
        let sound = job.run(&mut Tx {
            conn,
            carts: &mut *carts,
        });
        done.push(job);
        if !sound || conn.is_autocommit() {
            // SQLite ended the transaction itself (I/O error, disk full) or a savepoint is
            // stuck: nothing in this batch can be trusted to stand.
            let e = rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ABORT),
                Some("the batch's transaction was rolled back".into()),
            );
            rollback(conn);
            carts.rolled_back();
            for job in done {
                job.answer(Err(&e));
            }
            return None;
        }
        if done.len() >= MAX_BATCH {
            break;
        }
        match queue.try_recv() {
            Ok(Job::Batched(queued)) => job = queued,
            Ok(alone) => {
                next = Some(alone);
                break;
            }
            Err(_) => break,
        }
    }
    let committed = exec(conn, "COMMIT");
    if committed.is_err() {
        rollback(conn);
        carts.rolled_back();
    } else {
        carts.committed();
    }
    for job in done {
        job.answer(committed.as_ref().map(|_| ()));
    }
    next
}

/// Moves whenever another connection (another process) commits to the database.
fn data_version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.prepare_cached("PRAGMA data_version")?
        .query_row([], |row| row.get(0))
}

fn rollback(conn: &Connection) {
    if !conn.is_autocommit()
        && let Err(e) = exec(conn, "ROLLBACK")
    {
        tracing::error!(error = %e, "rolling back a write batch failed");
    }
}

struct Queued<T, E, F> {
    work: Option<F>,
    result: Option<Result<T, E>>,
    reply: tokio::sync::oneshot::Sender<Result<T, E>>,
}

impl<T, E, F> BatchJob for Queued<T, E, F>
where
    T: Send + 'static,
    E: From<StoreError> + Send + 'static,
    F: FnOnce(&mut Tx<'_>) -> Result<T, E> + Send + 'static,
{
    fn run(&mut self, tx: &mut Tx<'_>) -> bool {
        let Some(work) = self.work.take() else {
            return true;
        };
        let conn = tx.conn;
        if let Err(e) = exec(conn, "SAVEPOINT write") {
            self.result = Some(Err(StoreError::from(e).into()));
            return true;
        }
        let mark = tx.carts.mark();
        let (result, keep) = match catch_unwind(AssertUnwindSafe(|| work(&mut *tx))) {
            Ok(Ok(value)) => (Ok(value), true),
            Ok(Err(e)) => (Err(e), false),
            Err(panic) => (Err(panicked(panic).into()), false),
        };
        let closed = if keep {
            exec(conn, "RELEASE write")
        } else {
            tx.carts.rollback_to(mark);
            exec(conn, "ROLLBACK TO write").and_then(|()| exec(conn, "RELEASE write"))
        };
        match closed {
            Ok(()) => {
                self.result = Some(result);
                true
            }
            Err(e) => {
                self.result = Some(Err(StoreError::from(e).into()));
                false
            }
        }
    }

    fn answer(self: Box<Self>, batch: Result<(), &rusqlite::Error>) {
        let result = match (self.result, batch) {
            (Some(Err(e)), _) => Err(e),
            (Some(Ok(value)), Ok(())) => Ok(value),
            (_, Err(e)) => Err(StoreError::from(copy_error(e)).into()),
            (None, Ok(())) => Err(StoreError::Task("the write did not run".into()).into()),
        };
        // The caller may have gone away (request cancelled); the write stands regardless.
        let _ = self.reply.send(result);
    }
}

/// The batch's error, for each of its callers (`rusqlite::Error` is not `Clone`).
fn copy_error(e: &rusqlite::Error) -> rusqlite::Error {
    match e {
        rusqlite::Error::SqliteFailure(code, message) => {
            rusqlite::Error::SqliteFailure(*code, message.clone())
        }
        other => rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ERROR),
            Some(other.to_string()),
        ),
    }
}
