//! The HTTP server around `app()`: accepts connections, holds each to its timeouts, keeps the
//! number of open connections below the process's file limit, and shuts down with a deadline.
//! Choices and defaults are explained in docs/hostile-clients.md.
//!
//! - The request head (and, on a keep-alive connection, the wait for the next one) is bounded by
//!   hyper's `header_read_timeout`; a request body by tower-http's `RequestBodyDeadline`.
//! - At the connection limit a new connection is admitted by closing the connection that has
//!   waited longest for a request head (a stalled client, or the stalest idle keep-alive one);
//!   only when every connection has a request in flight is the newcomer refused with a 503. So
//!   a flood of stalled connections cannot shut real visitors or `/healthz` out.
//! - Shutdown stops accepting, closes the connections that have no request in flight, ends
//!   event streams, lets requests in flight finish until the deadline, then cuts the rest.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response, header};
use bytes::Bytes;
use hyper::body::{Body as HttpBody, Frame, Incoming, SizeHint};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;
use tower::ServiceExt;
use tower_http::timeout::RequestBodyDeadlineLayer;

/// File descriptors kept free of connections: SQLite's files (a writer, a checkpointer and a
/// pool of readers, each with its database, WAL and shared-memory file), the theme watcher,
/// static files being sent, standard streams.
pub const FD_RESERVE: u64 = 256;

/// The default connection limit when the file limit is unlimited or very high: each open
/// connection costs memory (buffers, a task), so there is a ceiling anyway.
pub const MAX_DEFAULT_CONNECTIONS: u64 = 65_536;

/// The fewest connections honoured, whatever the file limit says.
const MIN_CONNECTIONS: usize = 16;

/// What a connection gets, and how long shutdown waits.
#[derive(Debug, Clone)]
pub struct Limits {
    /// From the moment the server waits for a request head (a new connection, or the end of the
    /// previous response on a keep-alive one) until the whole head has arrived.
    pub header_timeout: Duration,
    /// From the arrival of the request head until the whole body has arrived.
    pub body_timeout: Duration,
    /// Open connections at most (see the module comment for what happens beyond).
    pub max_connections: usize,
    /// How long requests in flight may run after SIGTERM/SIGINT before they are cut.
    pub shutdown_deadline: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
            max_connections: default_max_connections(),
            shutdown_deadline: Duration::from_secs(10),
        }
    }
}

/// The soft limit on open files of this process (`ulimit -n`), if it can be read.
pub fn file_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit writes into the struct it is given and reads nothing else.
        let read = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) };
        (read == 0).then_some(limit.rlim_cur)
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// The most connections that fit under the file limit, keeping `FD_RESERVE` free.
pub fn connections_allowed() -> usize {
    let allowed = file_limit()
        .unwrap_or(1024)
        .saturating_sub(FD_RESERVE)
        .min(MAX_DEFAULT_CONNECTIONS);
    usize::try_from(allowed)
        .unwrap_or(usize::MAX)
        .max(MIN_CONNECTIONS)
}

/// `--max-connections` when not given: as many as the file limit allows.
pub fn default_max_connections() -> usize {
    connections_allowed()
}

/// Connections the kernel holds for `accept` (Linux caps it at `net.core.somaxconn`, 4096 by
/// default). tokio's default of 1024 overflowed under a connection flood, and a visitor whose
/// SYN is dropped waits a second for the retry.
const ACCEPT_BACKLOG: u32 = 4096;

/// Listens on `addr` with `ACCEPT_BACKLOG`.
pub fn bind(addr: std::net::SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    // As std and tokio do: a restarted server can bind while old connections are in TIME_WAIT.
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(ACCEPT_BACKLOG)
}

/// Connections closed so far, by every `serve` in this process.
static CONNECTIONS_CLOSED: AtomicU64 = AtomicU64::new(0);

/// How many connections have been closed so far. The binary's allocator hook reads it when a
/// worker thread goes idle, to hand the memory they held back to the system (see `main.rs`).
pub fn connections_closed() -> u64 {
    CONNECTIONS_CLOSED.load(Ordering::Relaxed)
}

/// How long after closing connections the idle workers are woken once.
const NUDGE_AFTER: Duration = Duration::from_millis(1100);

/// After connections close, wakes every worker thread once so that each goes idle again and
/// runs the runtime's park hook: a worker that went idle before the last of them closed (its
/// memory freed by another thread) would otherwise sleep on it until the next visitor.
async fn nudge_idle_workers(closed: Arc<Notify>) {
    loop {
        closed.notified().await;
        tokio::time::sleep(NUDGE_AFTER).await;
        let workers = tokio::runtime::Handle::current().metrics().num_workers();
        // The second task spawned pushes the first out of the LIFO slot, and that wakes an
        // idle worker to steal it; one more than the workers reaches every one.
        for _ in 0..=workers {
            tokio::spawn(async {});
        }
    }
}

/// How shutdown went.
#[derive(Debug, Clone, Copy, Default)]
pub struct Stopped {
    /// Connections still busy at the deadline, closed with their request unfinished.
    pub cut_at_deadline: usize,
}

/// Serves `app` on `listener` until `shutdown` resolves, then shuts down as described above.
/// Returns once every connection is closed: nothing of `app` is left running.
pub async fn serve<F>(listener: TcpListener, app: Router, limits: Limits, shutdown: F) -> Stopped
where
    F: Future<Output = ()> + Send,
{
    let max_connections = limits.max_connections.max(MIN_CONNECTIONS);
    let app = tower::ServiceBuilder::new()
        .layer(RequestBodyDeadlineLayer::new(limits.body_timeout))
        .service(app);
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    let registry = Arc::new(Registry::new(max_connections));
    let graceful = GracefulShutdown::new();
    let (closing, closing_seen) = watch::channel(false);
    let mut tasks = JoinSet::new();
    let closed = Arc::new(Notify::new());
    let nudger = tokio::spawn(nudge_idle_workers(closed.clone()));
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            biased;
            () = &mut shutdown => break,
            Some(_) = tasks.join_next(), if !tasks.is_empty() => continue,
            accepted = listener.accept() => accepted,
        };
        let stream = match accepted {
            Ok((stream, _peer)) => stream,
            Err(e) => {
                accept_failed(&e).await;
                continue;
            }
        };
        let Some(slot) = registry.admit() else {
            refuse(&stream);
            continue;
        };
        // Without TCP_NODELAY a reply written in more than one piece (a streamed file, headers
        // before a body) can wait for the client's delayed ACK.
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(error = %e, "could not set TCP_NODELAY");
        }
        let service = {
            let app = app.clone();
            let conn = slot.conn.clone();
            let registry = registry.clone();
            let closing = closing_seen.clone();
            hyper::service::service_fn(move |request: Request<Incoming>| {
                let busy = Busy::start(&registry, &conn);
                let answer = app.clone().oneshot(request);
                let closing = closing.clone();
                async move {
                    let response = answer.await?;
                    Ok::<_, Infallible>(tracked(response, busy, closing))
                }
            })
        };
        let closed = closed.clone();
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tasks.spawn(async move {
            tokio::select! {
                finished = connection => {
                    if let Err(e) = finished {
                        tracing::debug!(error = %e, "connection ended with an error");
                    }
                }
                () = slot.conn.evict.notified() => {}
            }
            drop(slot);
            CONNECTIONS_CLOSED.fetch_add(1, Ordering::Relaxed);
            closed.notify_one();
        });
    }
    drop(listener);
    tracing::info!(
        connections = tasks.len(),
        deadline_s = limits.shutdown_deadline.as_secs_f64(),
        "shutting down: no longer accepting, finishing requests in flight"
    );
    // Nothing is in flight on these: closing them loses nothing.
    registry.evict_all_idle();
    // Event streams never end by themselves; their clients reconnect to the next server.
    let _ = closing.send(true);
    let mut stopped = Stopped::default();
    if tokio::time::timeout(limits.shutdown_deadline, graceful.shutdown())
        .await
        .is_err()
    {
        stopped.cut_at_deadline = registry.len();
        tracing::warn!(
            connections = stopped.cut_at_deadline,
            "shutdown deadline reached: closing connections with requests in flight"
        );
        tasks.abort_all();
    }
    while tasks.join_next().await.is_some() {}
    nudger.abort();
    stopped
}

/// An accept error: a client that gave up before being accepted is not worth a pause; running
/// out of descriptors or memory is, so as not to spin.
async fn accept_failed(e: &std::io::Error) {
    use std::io::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset | ErrorKind::Interrupted
    ) {
        return;
    }
    tracing::warn!(error = %e, "accepting a connection failed");
    tokio::time::sleep(Duration::from_millis(20)).await;
}

/// Every connection has a request in flight: answer 503 without reading the request, and close.
fn refuse(stream: &TcpStream) {
    const BUSY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nretry-after: 1\r\n\
        content-length: 0\r\nconnection: close\r\n\r\n";
    let _ = stream.try_write(BUSY);
    // Once a second at most: a flood would otherwise flood the log too.
    static REFUSED: AtomicU64 = AtomicU64::new(0);
    static LAST_LOGGED_S: AtomicU64 = AtomicU64::new(0);
    let refused = REFUSED.fetch_add(1, Ordering::Relaxed) + 1;
    let now_s = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    if LAST_LOGGED_S.swap(now_s, Ordering::Relaxed) != now_s {
        tracing::warn!(
            refused_so_far = refused,
            "connection limit reached with every connection busy: refusing new connections"
        );
    }
}

/// The open connections, and which of them are waiting for a request head.
struct Registry {
    max: usize,
    started: Instant,
    next_id: AtomicU64,
    open: Mutex<HashMap<u64, Arc<Conn>>>,
}

struct Conn {
    /// Requests whose answer is not yet fully sent.
    in_flight: AtomicUsize,
    /// Milliseconds after `Registry::started` when the connection last had nothing in flight.
    idle_since_ms: AtomicU64,
    evicted: AtomicBool,
    evict: Notify,
}

/// A connection's place in the registry; leaving it frees the place.
struct Slot {
    registry: Arc<Registry>,
    id: u64,
    conn: Arc<Conn>,
}

impl Registry {
    fn new(max: usize) -> Registry {
        Registry {
            max,
            started: Instant::now(),
            next_id: AtomicU64::new(0),
            open: Mutex::new(HashMap::new()),
        }
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn len(&self) -> usize {
        self.open.lock().map(|open| open.len()).unwrap_or(0)
    }

    /// A place for a new connection; at the limit, the one waiting longest for a request head
    /// is closed to make room. `None` when every open connection has a request in flight.
    fn admit(self: &Arc<Self>) -> Option<Slot> {
        let mut open = self.open.lock().ok()?;
        if open.len() >= self.max {
            let (&victim, _) = open
                .iter()
                .filter(|(_, c)| c.in_flight.load(Ordering::Acquire) == 0)
                .min_by_key(|(_, c)| c.idle_since_ms.load(Ordering::Relaxed))?;
            if let Some(conn) = open.remove(&victim) {
                conn.close();
            }
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let conn = Arc::new(Conn {
            in_flight: AtomicUsize::new(0),
            idle_since_ms: AtomicU64::new(self.now_ms()),
            evicted: AtomicBool::new(false),
            evict: Notify::new(),
        });
        open.insert(id, conn.clone());
        Some(Slot {
            registry: self.clone(),
            id,
            conn,
        })
    }

    /// Closes every connection with nothing in flight (at shutdown).
    fn evict_all_idle(&self) {
        if let Ok(open) = self.open.lock() {
            for conn in open.values() {
                if conn.in_flight.load(Ordering::Acquire) == 0 {
                    conn.close();
                }
            }
        }
    }
}

impl Conn {
    fn close(&self) {
        if !self.evicted.swap(true, Ordering::AcqRel) {
            // Stores a permit if the connection's task is not waiting yet.
            self.evict.notify_one();
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Ok(mut open) = self.registry.open.lock() {
            open.remove(&self.id);
        }
    }
}

/// Marks a connection busy from the request's head until its answer's body is dropped.
struct Busy {
    registry: Arc<Registry>,
    conn: Arc<Conn>,
}

impl Busy {
    fn start(registry: &Arc<Registry>, conn: &Arc<Conn>) -> Busy {
        conn.in_flight.fetch_add(1, Ordering::AcqRel);
        Busy {
            registry: registry.clone(),
            conn: conn.clone(),
        }
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.conn
            .idle_since_ms
            .store(self.registry.now_ms(), Ordering::Relaxed);
        self.conn.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

type Closing = Pin<Box<dyn Future<Output = ()> + Send>>;

/// An answer's body that keeps its connection marked busy while it is being sent, and, for an
/// event stream, ends at shutdown.
struct TrackedBody {
    body: Body,
    _busy: Busy,
    closing: Option<Closing>,
}

fn tracked(
    response: Response<Body>,
    busy: Busy,
    mut closing: watch::Receiver<bool>,
) -> Response<Body> {
    let event_stream = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream"));
    let closing: Option<Closing> = event_stream.then(|| {
        Box::pin(async move {
            let _ = closing.wait_for(|closing| *closing).await;
        }) as Closing
    });
    response.map(|body| {
        Body::new(TrackedBody {
            body,
            _busy: busy,
            closing,
        })
    })
}

impl HttpBody for TrackedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = self.get_mut();
        if let Some(closing) = this.closing.as_mut()
            && closing.as_mut().poll(cx).is_ready()
        {
            return Poll::Ready(None);
        }
        Pin::new(&mut this.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn idle_ms(conn: &Conn) -> u64 {
        conn.idle_since_ms.load(Ordering::Relaxed)
    }

    #[test]
    fn at_the_limit_the_longest_waiting_idle_connection_makes_room() {
        let registry = Arc::new(Registry::new(3));
        let oldest = registry.admit().expect("room");
        let idle_one = registry.admit().expect("room");
        let newest = registry.admit().expect("room");
        // The oldest is busy: the next-oldest idle one goes instead.
        let _busy = Busy::start(&registry, &oldest.conn);
        idle_one.conn.idle_since_ms.store(0, Ordering::Relaxed);
        oldest.conn.idle_since_ms.store(0, Ordering::Relaxed);
        newest.conn.idle_since_ms.store(5, Ordering::Relaxed);
        let admitted = registry.admit().expect("an idle connection made room");
        assert!(idle_one.conn.evicted.load(Ordering::Acquire));
        assert!(!oldest.conn.evicted.load(Ordering::Acquire));
        assert!(!newest.conn.evicted.load(Ordering::Acquire));
        assert_eq!(registry.len(), 3);
        assert!(idle_ms(&admitted.conn) >= idle_ms(&oldest.conn));
    }

    #[test]
    fn with_every_connection_busy_a_newcomer_is_refused() {
        let registry = Arc::new(Registry::new(2));
        let a = registry.admit().expect("room");
        let b = registry.admit().expect("room");
        let _busy_a = Busy::start(&registry, &a.conn);
        let busy_b = Busy::start(&registry, &b.conn);
        assert!(registry.admit().is_none());
        drop(busy_b);
        assert!(registry.admit().is_some(), "b is idle again");
        assert!(b.conn.evicted.load(Ordering::Acquire));
    }

    #[test]
    fn a_closed_connection_frees_its_place() {
        let registry = Arc::new(Registry::new(2));
        let a = registry.admit().expect("room");
        assert_eq!(registry.len(), 1);
        drop(a);
        assert_eq!(registry.len(), 0);
    }
}
