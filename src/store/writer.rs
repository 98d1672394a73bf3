//! The one thread that owns the write connection.
//!
//! Writes queue in a FIFO channel and run in arrival order. A mutex taken from several blocking
//! threads is not fair: under load some requests lost the race again and again and waited far
//! longer than the rest. A queue also spares a blocking-pool thread per waiting write.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;
use std::thread::{self, JoinHandle, ThreadId};

use rusqlite::Connection;

use super::StoreError;

type Job = Box<dyn FnOnce(&mut Connection) + Send>;

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
            .spawn(move || {
                let mut conn = conn;
                // Ends once every sender is gone and the queue is drained.
                while let Ok(job) = queue.recv() {
                    job(&mut conn);
                }
            })
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
            .ok_or_else(|| StoreError::Task("the writer thread stopped".into()))
    }

    /// Runs `f` on the writer connection once the writes queued before it are done.
    pub async fn run<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.submit(Box::new(move |conn| {
            // The caller may have gone away (request cancelled); the write stands regardless.
            let _ = reply.send(guarded(conn, f));
        }))?;
        answer
            .await
            .map_err(|_| StoreError::Task("the writer thread stopped".into()))?
    }

    /// `run` for callers outside the async runtime's tasks (start-up, fixtures).
    pub fn run_sync<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let (reply, answer) = mpsc::sync_channel(1);
        self.submit(Box::new(move |conn| {
            let _ = reply.send(guarded(conn, f));
        }))?;
        answer
            .recv()
            .map_err(|_| StoreError::Task("the writer thread stopped".into()))?
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

/// Runs one job. A panic becomes an error for its caller only: the transaction it left open is
/// rolled back and the thread goes on with the next job.
fn guarded<T>(
    conn: &mut Connection,
    f: impl FnOnce(&mut Connection) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    match catch_unwind(AssertUnwindSafe(|| f(conn))) {
        Ok(result) => result,
        Err(panic) => {
            if !conn.is_autocommit()
                && let Err(e) = conn.execute_batch("ROLLBACK")
            {
                tracing::error!(error = %e, "rolling back after a panicked write failed");
            }
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown cause".into());
            Err(StoreError::Task(format!("a write panicked: {message}")))
        }
    }
}
