//! `vitrine bench abuse`: hostile clients against a fresh server, over loopback only. Opens
//! stalled connections (a request head that never ends) and slow bodies (one byte a second),
//! then a flood of connections held open at once, while a probe measures `/healthz` on a fresh
//! connection every few milliseconds. Reports the probe's latency, how many abusive connections
//! the server closed and after how long, and the server's RSS before, during and after.
//! Bounded in time: each phase lasts the server's timeouts plus a margin, then the settling
//! period.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::{BoxError, Server};

#[derive(Debug, Clone, clap::Args)]
pub struct AbuseArgs {
    /// Connections that send part of a request head and then nothing.
    #[arg(long, default_value_t = 10_000)]
    pub stalled: usize,
    /// Connections that send a request head, then its body at one byte a second.
    #[arg(long, default_value_t = 1_000)]
    pub slow_bodies: usize,
    /// Connections opened as fast as possible and held at once, then closed by this side
    /// [default: as many as this process's open-file limit allows, at most 20,000].
    #[arg(long)]
    pub flood: Option<usize>,
    /// The server's --header-timeout and --body-timeout, in seconds.
    #[arg(long, default_value_t = 10)]
    pub timeout: u64,
    /// Seconds to watch the server's RSS after the flood.
    #[arg(long, default_value_t = 60)]
    pub settle: u64,
    /// Theme directory to serve.
    #[arg(long, env = "VITRINE_THEME", default_value = ".")]
    pub theme: PathBuf,
}

/// Connections being opened at once: more only overflows the server's accept backlog.
const CONNECTING_AT_ONCE: usize = 256;
/// How often the probe asks for `/healthz`.
const PROBE_EVERY: Duration = Duration::from_millis(10);
/// Descriptors this process keeps for itself beside the abusive connections.
const OWN_FDS: usize = 200;

/// `/healthz` as a new visitor sees it: connect, ask, read the answer.
#[derive(Default)]
struct Probe {
    latencies_us: Vec<u64>,
    /// When each answered probe was sent, beside `latencies_us`.
    sent: Vec<Instant>,
    failures: usize,
}

impl Probe {
    /// The answered probes sent between `from` and `to`.
    fn between(&self, from: Instant, to: Instant) -> Probe {
        let (sent, latencies_us) = self
            .sent
            .iter()
            .zip(&self.latencies_us)
            .filter(|(at, _)| **at >= from && **at < to)
            .map(|(at, us)| (*at, *us))
            .unzip();
        Probe {
            latencies_us,
            sent,
            failures: 0,
        }
    }

    fn percentile(&self, p: f64) -> Option<Duration> {
        let mut sorted = self.latencies_us.clone();
        sorted.sort_unstable();
        let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len().max(1)) - 1;
        sorted.get(i).map(|us| Duration::from_micros(*us))
    }

    fn row(&self, phase: &str) -> String {
        let ms = |d: Option<Duration>| {
            d.map_or_else(
                || "n/a".into(),
                |d| format!("{:.2}", d.as_secs_f64() * 1000.0),
            )
        };
        format!(
            "{phase:<34} {:>8} {:>9} {:>9} {:>9} {:>9}",
            self.latencies_us.len(),
            self.failures,
            ms(self.percentile(0.50)),
            ms(self.percentile(0.99)),
            ms(self.percentile(1.0)),
        )
    }
}

async fn healthz_once(addr: SocketAddr) -> Result<(), BoxError> {
    let mut stream = TcpStream::connect(addr).await?;
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
        .await?;
    let mut answer = Vec::with_capacity(256);
    stream.read_to_end(&mut answer).await?;
    if answer.starts_with(b"HTTP/1.1 200") {
        Ok(())
    } else {
        Err("not a 200".into())
    }
}

/// Probes `/healthz` until `stop` is set, on a thread and runtime of its own, so that the
/// abusive connections' tasks in this process do not delay it.
fn spawn_probe(addr: SocketAddr, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<Probe> {
    std::thread::spawn(move || {
        match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(runtime) => runtime.block_on(probe(addr, stop)),
            Err(_) => Probe::default(),
        }
    })
}

async fn probe(addr: SocketAddr, stop: Arc<AtomicBool>) -> Probe {
    let mut probe = Probe::default();
    let mut tick = tokio::time::interval(PROBE_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    while !stop.load(Ordering::Relaxed) {
        tick.tick().await;
        let started = Instant::now();
        match tokio::time::timeout(Duration::from_secs(5), healthz_once(addr)).await {
            Ok(Ok(())) => {
                probe
                    .latencies_us
                    .push(u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX));
                probe.sent.push(started);
            }
            _ => probe.failures += 1,
        }
    }
    probe
}

/// How one abusive connection ended.
enum Ended {
    /// The server closed it, this long after it opened.
    ByServer(Duration),
    /// Still open when the phase ended; this side closed it.
    ByUs,
    /// Could not even connect.
    NotConnected,
}

/// Kinds of abusive connection.
#[derive(Clone, Copy)]
enum Abuse {
    StalledHead,
    SlowBody,
    /// A complete request, answered, then the connection held idle.
    Held,
}

async fn abusive(
    addr: SocketAddr,
    kind: Abuse,
    connecting: Arc<Semaphore>,
    until: Instant,
    release: Arc<tokio::sync::Notify>,
) -> Ended {
    let stream = {
        let Ok(_permit) = connecting.acquire().await else {
            return Ended::NotConnected;
        };
        match tokio::time::timeout(Duration::from_secs(10), TcpStream::connect(addr)).await {
            Ok(Ok(stream)) => stream,
            _ => return Ended::NotConnected,
        }
    };
    let opened = Instant::now();
    let mut stream = stream;
    let first: &[u8] = match kind {
        Abuse::StalledHead => b"GET / HTTP/1.1\r\nHost: bench\r\nUser-Agent: stalled\r\n",
        Abuse::SlowBody => {
            b"POST /cart/add.js HTTP/1.1\r\nHost: bench\r\n\
            Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"
        }
        Abuse::Held => b"GET /healthz HTTP/1.1\r\nHost: bench\r\n\r\n",
    };
    if stream.write_all(first).await.is_err() {
        return Ended::ByServer(opened.elapsed());
    }
    let mut buf = [0u8; 1024];
    let mut drip = tokio::time::interval(Duration::from_secs(1));
    drip.tick().await;
    loop {
        tokio::select! {
            read = stream.read(&mut buf) => match read {
                Ok(0) | Err(_) => return Ended::ByServer(opened.elapsed()),
                // An answer (the held connection's, or a refusal): keep reading until closed.
                Ok(_) => {}
            },
            _ = drip.tick(), if matches!(kind, Abuse::SlowBody) => {
                if stream.write_all(b" ").await.is_err() {
                    return Ended::ByServer(opened.elapsed());
                }
            }
            () = tokio::time::sleep_until(until.into()) => return Ended::ByUs,
            () = release.notified() => return Ended::ByUs,
        }
    }
}

/// Counts of how a phase's connections ended.
#[derive(Default)]
struct Closings {
    by_server: usize,
    by_us: usize,
    not_connected: usize,
    slowest_close: Duration,
}

impl Closings {
    fn add(&mut self, ended: Ended) {
        match ended {
            Ended::ByServer(after) => {
                self.by_server += 1;
                self.slowest_close = self.slowest_close.max(after);
            }
            Ended::ByUs => self.by_us += 1,
            Ended::NotConnected => self.not_connected += 1,
        }
    }
}

/// RSS of process `pid`, in MiB (Linux).
fn rss_mib(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn mib(value: Option<f64>) -> String {
    value.map_or_else(|| "n/a".into(), |m| format!("{m:.1} MiB"))
}

/// Raises this process's soft open-file limit to its hard limit; returns the soft limit.
fn raise_file_limit() -> usize {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit read or write only the struct they are given.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return 1024;
        }
        if limit.rlim_cur < limit.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: limit.rlim_max,
                rlim_max: limit.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                limit = raised;
            }
        }
    }
    usize::try_from(limit.rlim_cur).unwrap_or(usize::MAX)
}

/// Runs one phase: opens `kinds` connections, probes `/healthz` until `length` is over (or,
/// when `hold` is false, until the server has closed them all), returns the probe, the
/// closings and the peak RSS seen.
async fn phase(server: &Server, kinds: &[(Abuse, usize)], length: Duration, hold: bool) -> Phase {
    let addr = server.addr;
    let pid = server.child.id();
    let stop = Arc::new(AtomicBool::new(false));
    let probing = spawn_probe(addr, stop.clone());
    let connecting = Arc::new(Semaphore::new(CONNECTING_AT_ONCE));
    let release = Arc::new(tokio::sync::Notify::new());
    let started = Instant::now();
    let until = started + length;
    let mut connections = JoinSet::new();
    for &(kind, count) in kinds {
        for _ in 0..count {
            connections.spawn(abusive(
                addr,
                kind,
                connecting.clone(),
                until,
                release.clone(),
            ));
        }
    }
    let total: usize = kinds.iter().map(|(_, n)| n).sum();
    let mut closings = Closings::default();
    let mut peak = rss_mib(pid);
    let mut sample = tokio::time::interval(Duration::from_millis(250));
    let mut all_open_at = None;
    let mut first_close = None;
    loop {
        tokio::select! {
            ended = connections.join_next() => match ended {
                Some(Ok(ended)) => {
                    if first_close.is_none() && matches!(ended, Ended::ByServer(_)) {
                        first_close = Some(Instant::now());
                    }
                    closings.add(ended);
                }
                Some(Err(_)) => closings.not_connected += 1,
                None => break,
            },
            _ = sample.tick() => {
                peak = match (peak, rss_mib(pid)) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    (a, b) => a.or(b),
                };
                if all_open_at.is_none() && connecting.available_permits() == CONNECTING_AT_ONCE
                    && started.elapsed() > Duration::from_millis(500)
                {
                    all_open_at = Some(started.elapsed());
                }
                // A held flood is let go by this side once every connection is open and the
                // probe has seen a while of it.
                if hold && all_open_at.is_some_and(|t| started.elapsed() > t + Duration::from_secs(3)) {
                    release.notify_waiters();
                }
            }
        }
    }
    stop.store(true, Ordering::Relaxed);
    let probe = probing.join().unwrap_or_default();
    debug_assert!(closings.by_server + closings.by_us + closings.not_connected <= total);
    let held = all_open_at.map(|opened| {
        let from = started + opened;
        let to = first_close
            .filter(|c| *c > from)
            .unwrap_or_else(Instant::now);
        (probe.between(from, to), to - from)
    });
    Phase {
        probe,
        held,
        closings,
        peak,
        took: started.elapsed(),
    }
}

/// What one phase measured.
struct Phase {
    probe: Probe,
    /// The probes sent while every connection was open and none closed yet, and how long.
    held: Option<(Probe, Duration)>,
    closings: Closings,
    peak: Option<f64>,
    took: Duration,
}

pub async fn run(args: AbuseArgs) -> Result<(), BoxError> {
    let theme = std::fs::canonicalize(&args.theme)?;
    let fds = raise_file_limit();
    let flood = args
        .flood
        .unwrap_or(20_000)
        .min(fds.saturating_sub(OWN_FDS));
    let scratch = std::env::temp_dir().join(format!("vitrine-abuse-{}", std::process::id()));
    std::fs::create_dir_all(&scratch)?;
    let timeout = args.timeout.to_string();
    let server = Server::start_with(
        &theme,
        &scratch.join("store.db"),
        &["--header-timeout", &timeout, "--body-timeout", &timeout],
    )?;
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http();
    super::wait_ready(&client, &server.base).await?;
    println!(
        "vitrine bench abuse: {} stalled heads, {} slow bodies, then {} connections held at once; \
         server timeouts {} s; this process may open {} files; loopback",
        args.stalled, args.slow_bodies, flood, args.timeout, fds
    );
    // A few ordinary requests first, so the idle figure is of a server that has served.
    let warm = Duration::from_secs(2);
    let stop = Arc::new(AtomicBool::new(false));
    let warming = spawn_probe(server.addr, stop.clone());
    tokio::time::sleep(warm).await;
    stop.store(true, Ordering::Relaxed);
    let quiet = warming.join().unwrap_or_default();
    let idle = rss_mib(server.child.id());

    let margin = Duration::from_secs(5);
    let window = Duration::from_secs(args.timeout) + margin;
    let stalled = phase(
        &server,
        &[
            (Abuse::StalledHead, args.stalled),
            (Abuse::SlowBody, args.slow_bodies),
        ],
        window,
        false,
    )
    .await;
    let after_stalled = rss_mib(server.child.id());
    let flood_phase = phase(&server, &[(Abuse::Held, flood)], window, true).await;
    let flood_over = Instant::now();
    let mut settling = Vec::new();
    let mut back_within_2x = None;
    let mut tick = tokio::time::interval(Duration::from_secs(5));
    loop {
        tick.tick().await;
        let at = flood_over.elapsed();
        let rss = rss_mib(server.child.id());
        if back_within_2x.is_none()
            && let (Some(rss), Some(idle)) = (rss, idle)
            && rss <= 2.0 * idle
        {
            back_within_2x = Some(at);
        }
        settling.push((at, rss));
        if at >= Duration::from_secs(args.settle) {
            break;
        }
    }
    server.stop();
    let _ = std::fs::remove_dir_all(&scratch);

    println!();
    println!(
        "{:<34} {:>8} {:>9} {:>9} {:>9} {:>9}",
        "/healthz on a new connection", "answered", "failed", "p50 ms", "p99 ms", "max ms"
    );
    println!("{}", quiet.row("quiet (2 s)"));
    for (name, phase) in [("stalled + slow bodies", &stalled), ("flood", &flood_phase)] {
        println!(
            "{}",
            phase.probe.row(&format!(
                "{name}, whole phase ({:.0} s)",
                phase.took.as_secs_f64()
            ))
        );
        if let Some((held, for_how_long)) = &phase.held {
            println!(
                "{}",
                held.row(&format!("  all open ({:.1} s)", for_how_long.as_secs_f64()))
            );
        }
    }
    println!();
    let report = |name: &str, c: &Closings| {
        println!(
            "{name}: closed by the server {} (the slowest after {:.1} s), still open at the end {}, not connected {}",
            c.by_server,
            c.slowest_close.as_secs_f64(),
            c.by_us,
            c.not_connected
        );
    };
    report("stalled heads + slow bodies", &stalled.closings);
    report("flood", &flood_phase.closings);
    println!();
    println!("server RSS: idle {}", mib(idle));
    println!(
        "  stalled phase: peak {}, after {}",
        mib(stalled.peak),
        mib(after_stalled)
    );
    println!("  flood: peak {}", mib(flood_phase.peak));
    for (at, rss) in &settling {
        println!(
            "  {:>3.0} s after the flood: {}",
            at.as_secs_f64(),
            mib(*rss)
        );
    }
    let verdict = |ok: bool| if ok { "met" } else { "NOT met" };
    let p99 = stalled.held.as_ref().and_then(|(p, _)| p.percentile(0.99));
    println!(
        "target: /healthz p99 < 50 ms with {} stalled connections open: {} ms ({})",
        args.stalled,
        p99.map_or_else(
            || "n/a".into(),
            |d| format!("{:.2}", d.as_secs_f64() * 1000.0)
        ),
        verdict(p99.is_some_and(|d| d < Duration::from_millis(50)) && stalled.probe.failures == 0)
    );
    let limit = Duration::from_secs(args.timeout) + Duration::from_secs(2);
    println!(
        "target: every stalled connection closed by the server within its timeout: {} of {} ({})",
        stalled.closings.by_server,
        args.stalled + args.slow_bodies,
        verdict(
            stalled.closings.by_server == args.stalled + args.slow_bodies
                && stalled.closings.slowest_close <= limit
        )
    );
    println!(
        "target: RSS within 2x idle a minute after the flood: {} ({})",
        back_within_2x.map_or_else(
            || "not within the settling time".into(),
            |t| format!("after {:.0} s", t.as_secs_f64())
        ),
        verdict(back_within_2x.is_some_and(|t| t <= Duration::from_secs(60)))
    );
    Ok(())
}
