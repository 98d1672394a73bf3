//! `vitrine bench`: starts the server (this same binary, as a child process) on a fresh copy of the
//! demo database, drives it over loopback HTTP with a built-in load generator, and prints requests
//! per second, latency percentiles and the server's peak RSS for each hot path.

mod abuse;
mod load;

pub use abuse::AbuseArgs;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Method, Request, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use load::Plan;

type BoxError = Box<dyn std::error::Error + Send + Sync>;
type HttpClient = Client<HttpConnector, Full<Bytes>>;

#[derive(Debug, Clone, clap::Args)]
pub struct BenchArgs {
    /// Seconds per scenario.
    #[arg(long, default_value_t = 5)]
    pub seconds: u64,
    /// Concurrent connections (one visitor each where the scenario has many visitors).
    #[arg(long, default_value_t = 32)]
    pub connections: usize,
    /// Carts written into the database before the "large store" scenario.
    #[arg(long, default_value_t = 100_000)]
    pub carts: usize,
    /// Theme directory to serve (templates, sections, static, data).
    #[arg(long, env = "VITRINE_THEME", default_value = ".")]
    pub theme: PathBuf,
    /// A PostgreSQL database (postgres://...) for the same add scenario on one node and on two
    /// nodes, after the SQLite scenarios. Carts are written into it; use a scratch database.
    #[arg(long, env = "VITRINE_BENCH_DB", hide_env_values = true)]
    pub db: Option<String>,
    #[command(subcommand)]
    pub mode: Option<BenchMode>,
}

#[derive(Debug, Clone, clap::Subcommand)]
pub enum BenchMode {
    /// Hostile clients: stalled heads, slow bodies and a connection flood, while /healthz is
    /// measured; reports connections closed by the server and its RSS before, during, after.
    Abuse(AbuseArgs),
}

/// The sections bundled with every add in scenarios 3, 4 and 6.
const BUNDLED: &str = "cart-drawer,cart-icon-bubble,cart-live-region-text,main-cart-footer";
/// Five sections for the Section Rendering API scenario.
const FIVE_SECTIONS: &str =
    "cart-drawer,cart-icon-bubble,cart-live-region-text,main-cart-footer,main-cart-items";
/// Nine distinct variants plus the untracked gift card make a 10-line cart; adding the gift card
/// again merges into its line, so the cart stays at ten lines however long the run.
const NINE_VARIANTS: [i64; 9] = [
    794864229,
    36110175633573,
    36323170943141,
    39897499729985,
    794864053,
    794864233,
    40000000001071,
    40000000001081,
    40000000001091,
];
const GIFT_CARD: i64 = 40000000000020;

/// Where visitor `i`'s gift card line starts. Carts that all start alike and take one add each
/// in turn hold equal lines, so 31 of 32 adds would reuse a line another visitor's request
/// had just rendered. Spaced apart, every add's changed line is new, as in a real store; the
/// spacing keeps below the 1,000,000 per-line limit and beyond the adds of a long run.
fn visitor_gift_cards(i: usize, args: &BenchArgs) -> u64 {
    let spacing = 900_000 / (args.connections as u64 + 1);
    1 + (i as u64 + 1) * spacing
}

/// One row of the results table.
#[derive(Debug, Clone)]
pub struct Row {
    pub name: String,
    pub requests: usize,
    pub errors: usize,
    pub rps: f64,
    pub p50: Duration,
    pub p99: Duration,
    pub p999: Duration,
    /// Share of the machine's CPU time the hypervisor took during the scenario (Linux
    /// `steal`): a virtual machine's neighbours, which no code here controls.
    pub steal: Option<f64>,
    /// CPU time per request (user + system), of the server process and of this one (the load
    /// generator): less noisy than throughput when comparing builds, and it shows how the two
    /// share the machine.
    pub server_cpu: Option<Duration>,
    pub client_cpu: Option<Duration>,
}

struct Server {
    child: Child,
    addr: SocketAddr,
    base: String,
}

impl Server {
    fn start(theme: &Path, db: &Path) -> Result<Server, BoxError> {
        Server::start_with(theme, db, &[])
    }

    /// The server with extra `serve` flags, on `db`: a path or a URL (given through the
    /// environment, so a password stays out of the process list).
    fn start_with(
        theme: &Path,
        db: &(impl AsRef<std::ffi::OsStr> + ?Sized),
        extra: &[&str],
    ) -> Result<Server, BoxError> {
        let addr = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
        let port = addr.port();
        let child = Command::new(std::env::current_exe()?)
            .args([
                "serve",
                "--no-watch",
                "--addr",
                &format!("127.0.0.1:{port}"),
            ])
            .arg("--theme")
            .arg(theme)
            .env("VITRINE_DB", db.as_ref())
            .args(extra)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()?;
        Ok(Server {
            child,
            addr,
            base: format!("http://127.0.0.1:{port}"),
        })
    }

    /// Peak resident set size of the server process so far, in MiB (Linux).
    fn peak_rss_mib(&self) -> Option<f64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
        let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kib / 1024.0)
    }

    fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

async fn wait_ready(client: &HttpClient, base: &str) -> Result<(), BoxError> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(res) = send(client, Method::GET, &format!("{base}/healthz"), None, None).await
            && res.0 == StatusCode::OK
        {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err("the server did not become ready".into());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn send(
    client: &HttpClient,
    method: Method,
    url: &str,
    cookie: Option<&str>,
    json: Option<&str>,
) -> Result<(StatusCode, Option<String>), BoxError> {
    let mut builder = Request::builder().method(method).uri(url);
    if let Some(cookie) = cookie {
        builder = builder.header("cookie", cookie);
    }
    let body = match json {
        Some(json) => {
            builder = builder.header("content-type", "application/json");
            Full::new(Bytes::from(json.to_string()))
        }
        None => Full::new(Bytes::new()),
    };
    let response = client.request(builder.body(body)?).await?;
    let status = response.status();
    let set_cookie = response
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(str::to_string);
    // Read the whole body so the connection is reused and the cost is counted, but drop each
    // chunk as it comes: copying it into one buffer would bill the server for the client's work.
    let mut body = response.into_body();
    while let Some(frame) = body.frame().await {
        frame?;
    }
    Ok((status, set_cookie))
}

/// A visitor with a 10-line cart, its gift card line at `gift_cards`; returns its cookie.
async fn ten_line_visitor(
    client: &HttpClient,
    base: &str,
    gift_cards: u64,
) -> Result<String, BoxError> {
    let (_, cookie) = send(client, Method::GET, &format!("{base}/cart.js"), None, None).await?;
    let cookie = cookie.ok_or("no session cookie")?;
    let mut items: Vec<String> = NINE_VARIANTS
        .iter()
        .map(|id| format!("{{\"id\":{id},\"quantity\":1}}"))
        .collect();
    items.push(format!("{{\"id\":{GIFT_CARD},\"quantity\":{gift_cards}}}"));
    let body = format!("{{\"items\":[{}]}}", items.join(","));
    let (status, _) = send(
        client,
        Method::POST,
        &format!("{base}/cart/add.js"),
        Some(&cookie),
        Some(&body),
    )
    .await?;
    if status != StatusCode::OK {
        return Err(format!("seeding a visitor's cart answered {status}").into());
    }
    Ok(cookie)
}

async fn drive(server: &Server, name: &str, plan: Plan, args: &BenchArgs) -> Row {
    drive_nodes(&[server], name, plan, args).await
}

/// Drives `plan` with the connections split evenly over `servers` (nodes of one database).
async fn drive_nodes(servers: &[&Server], name: &str, plan: Plan, args: &BenchArgs) -> Row {
    let nodes = servers.len().max(1);
    let duration = Duration::from_secs(args.seconds);
    let started = Instant::now();
    let cpu_before = cpu_times();
    let servers_cpu =
        || -> Option<Duration> { servers.iter().map(|s| process_cpu(s.child.id())).sum() };
    let server_before = servers_cpu();
    let client_before = process_cpu(std::process::id());
    let mut runs = Vec::new();
    for (i, server) in servers.iter().enumerate() {
        let addr = server.addr;
        let connections = args.connections / nodes + usize::from(i < args.connections % nodes);
        // Each node gets its own visitors' cookies, in turn.
        let mut plan = plan.clone();
        if plan.cookies.len() > 1 {
            plan.cookies = plan
                .cookies
                .iter()
                .skip(i)
                .step_by(nodes)
                .cloned()
                .collect();
        }
        runs.push(tokio::task::spawn_blocking(move || {
            load::run(addr, &plan, connections, duration)
        }));
    }
    let mut load = load::Load::default();
    for run in runs {
        load.merge(run.await.unwrap_or_default());
    }
    let elapsed = started.elapsed().as_secs_f64();
    let requests = load.latencies_us.len();
    let per_request = |before: Option<Duration>, after: Option<Duration>| {
        let used = after?.checked_sub(before?)?;
        (requests > 0).then(|| used / requests as u32)
    };
    let server_cpu = per_request(server_before, servers_cpu());
    let client_cpu = per_request(client_before, process_cpu(std::process::id()));
    let steal = cpu_before.zip(cpu_times()).and_then(|(before, after)| {
        let total = after.total.checked_sub(before.total)?;
        let steal = after.steal.checked_sub(before.steal)?;
        (total > 0).then(|| 100.0 * steal as f64 / total as f64)
    });
    let mut all = load.latencies_us;
    all.sort_unstable();
    let pct = |p: f64| -> Duration {
        if all.is_empty() {
            return Duration::ZERO;
        }
        let i = ((all.len() as f64 * p).ceil() as usize).clamp(1, all.len()) - 1;
        Duration::from_micros(all[i] as u64)
    };
    Row {
        name: name.to_string(),
        requests: all.len(),
        errors: load.errors,
        rps: all.len() as f64 / elapsed,
        p50: pct(0.50),
        p99: pct(0.99),
        p999: pct(0.999),
        steal,
        server_cpu,
        client_cpu,
    }
}

/// User + system CPU time of process `pid` so far (Linux `/proc/<pid>/stat`).
fn process_cpu(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces; the fields after it are plain.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_secs_f64(ticks as f64 / USER_HZ))
}

/// The unit of `/proc` CPU times: Linux fixes it at 100 per second for user space.
const USER_HZ: f64 = 100.0;

/// Cumulative CPU time of all cores from `/proc/stat`, in clock ticks.
#[derive(Debug, Clone, Copy)]
struct CpuTimes {
    total: u64,
    steal: u64,
}

fn cpu_times() -> Option<CpuTimes> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let fields: Vec<u64> = stat
        .lines()
        .next()?
        .strip_prefix("cpu ")?
        .split_whitespace()
        .map(|f| f.parse().ok())
        .collect::<Option<_>>()?;
    // user nice system idle iowait irq softirq steal (guest time is already in user).
    let counted = fields.get(..8)?;
    Some(CpuTimes {
        total: counted.iter().sum(),
        steal: counted[7],
    })
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

fn micros(d: Option<Duration>) -> String {
    d.map_or_else(|| "n/a".into(), |d| format!("{:.0}", d.as_secs_f64() * 1e6))
}

fn print_table(rows: &[Row], floor: f64) {
    println!(
        "{:<58} {:>10} {:>8} {:>9} {:>9} {:>9} {:>7} {:>6} {:>11} {:>11}",
        "scenario",
        "req/s",
        "% floor",
        "p50 ms",
        "p99 ms",
        "p99.9 ms",
        "errors",
        "steal",
        "server µs",
        "client µs"
    );
    for row in rows {
        println!(
            "{:<58} {:>10.0} {:>7.1}% {:>9} {:>9} {:>9} {:>7} {:>6} {:>11} {:>11}",
            row.name,
            row.rps,
            100.0 * row.rps / floor.max(1.0),
            ms(row.p50),
            ms(row.p99),
            ms(row.p999),
            row.errors,
            row.steal
                .map(|s| format!("{s:.0}%"))
                .unwrap_or_else(|| "n/a".into()),
            micros(row.server_cpu),
            micros(row.client_cpu),
        );
    }
}

/// A copy of the theme at `from` in `to` (its `.vitrine/` left out), for [`run_inner`].
fn copy_theme(from: &Path, to: &Path) -> Result<PathBuf, BoxError> {
    use crate::theme::engine::files::{relative, walk};
    for file in walk(from) {
        let Some(rel) = relative(from, &file) else {
            continue;
        };
        if rel.starts_with(".vitrine/") || rel.starts_with(".git/") {
            continue;
        }
        let target = to.join(&rel);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::copy(&file, &target)?;
    }
    Ok(to.to_path_buf())
}

/// Writes `count` carts of ten lines straight into the database (the server is stopped).
fn fill_store(db: &Path, theme: &Path, count: usize) -> Result<(), BoxError> {
    let store = crate::store::Store::open(db)?;
    let catalog = store.sync_catalog(&crate::state::data_dir_of(theme))?;
    let now = chrono::Utc::now();
    let mut batch = Vec::with_capacity(1000);
    for i in 0..count {
        let mut cart =
            crate::cart::Cart::new(crate::cart::new_token(), &catalog.shop().currency, now);
        let items = NINE_VARIANTS
            .iter()
            .chain(std::iter::once(&GIFT_CARD))
            .map(|&variant_id| crate::cart::AddItem {
                variant_id,
                quantity: 1 + (i % 3) as i64,
                ..Default::default()
            })
            .collect();
        cart.add(&catalog, items, crate::cart::StockPolicy::Clamp, now)
            .map_err(|e| format!("building a bench cart: {e}"))?;
        cart.bump(now);
        batch.push(cart);
        if batch.len() == 1000 {
            store.insert_carts(&batch)?;
            batch.clear();
        }
    }
    store.insert_carts(&batch)?;
    Ok(())
}

pub async fn run(args: BenchArgs) -> Result<(), Box<dyn std::error::Error>> {
    let ran = match args.mode.clone() {
        Some(BenchMode::Abuse(abuse)) => abuse::run(abuse).await,
        None => run_inner(args).await,
    };
    ran.map_err(|e| -> Box<dyn std::error::Error> { e.to_string().into() })
}

async fn run_inner(args: BenchArgs) -> Result<(), BoxError> {
    let theme = std::fs::canonicalize(&args.theme)?;
    let scratch = std::env::temp_dir().join(format!("vitrine-bench-{}", std::process::id()));
    std::fs::create_dir_all(&scratch)?;
    // A Shopify theme keeps its catalog and database in `.vitrine/` inside its folder: the
    // bench serves a copy, so the theme's own folder is left as it was.
    let theme = if crate::theme::engine::os2::is_os2(&theme) {
        copy_theme(&theme, &scratch.join("theme"))?
    } else {
        theme
    };
    let db = scratch.join("store.db");
    let client: HttpClient = Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(args.connections * 2)
        .build_http();

    println!(
        "vitrine bench: {} connections, {} s per scenario, {} cores ({}), loopback, load generator in-process",
        args.connections,
        args.seconds,
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        cpu_model().unwrap_or_else(|| "unknown CPU".into())
    );
    let server = Server::start(&theme, &db)?;
    let base = server.base.clone();
    wait_ready(&client, &base).await?;

    let mut rows = Vec::new();
    let healthz = Plan {
        method: Method::GET,
        path: "/healthz".into(),
        body: None,
        cookies: vec![],
    };
    rows.push(drive(&server, "1. GET /healthz", healthz, &args).await);

    let reader = ten_line_visitor(&client, &base, 1).await?;
    let cart_js = Plan {
        method: Method::GET,
        path: "/cart.js".into(),
        body: None,
        cookies: vec![reader.clone()],
    };
    rows.push(
        drive(
            &server,
            "2. GET /cart.js (10 lines)",
            cart_js.clone(),
            &args,
        )
        .await,
    );

    let mut visitors = Vec::with_capacity(args.connections);
    for i in 0..args.connections {
        visitors.push(ten_line_visitor(&client, &base, visitor_gift_cards(i, &args)).await?);
    }
    let add_body = format!("{{\"id\":{GIFT_CARD},\"quantity\":1,\"sections\":\"{BUNDLED}\"}}");
    let add_many = Plan {
        method: Method::POST,
        path: "/cart/add.js".into(),
        body: Some(add_body.clone()),
        cookies: visitors,
    };
    rows.push(
        drive(
            &server,
            "3. POST /cart/add.js + 4 sections, own carts",
            add_many.clone(),
            &args,
        )
        .await,
    );
    let add_shared = Plan {
        cookies: vec![reader.clone()],
        ..add_many.clone()
    };
    rows.push(
        drive(
            &server,
            "4. POST /cart/add.js + 4 sections, one shared cart",
            add_shared,
            &args,
        )
        .await,
    );
    let sections = Plan {
        method: Method::GET,
        path: format!("/?sections={FIVE_SECTIONS}"),
        body: None,
        cookies: vec![reader.clone()],
    };
    rows.push(drive(&server, "5a. GET /?sections= (5 sections)", sections, &args).await);
    let product = Plan {
        method: Method::GET,
        path: "/products/red-rain-coat".into(),
        body: None,
        cookies: vec![reader.clone()],
    };
    rows.push(
        drive(
            &server,
            "5b. GET /products/red-rain-coat (full page)",
            product,
            &args,
        )
        .await,
    );
    let rss_small = server.peak_rss_mib();
    server.stop();

    println!("writing {} carts into the database ...", args.carts);
    let fill_started = Instant::now();
    fill_store(&db, &theme, args.carts)?;
    println!("  done in {:.1} s", fill_started.elapsed().as_secs_f64());
    let server = Server::start(&theme, &db)?;
    let base = server.base.clone();
    wait_ready(&client, &base).await?;
    let mut visitors = Vec::with_capacity(args.connections);
    for i in 0..args.connections {
        visitors.push(ten_line_visitor(&client, &base, visitor_gift_cards(i, &args)).await?);
    }
    let reader = ten_line_visitor(&client, &base, 1).await?;
    // Same order as scenarios 2 and 3: the read runs before the write storm grows the WAL.
    let name = format!("6a. GET /cart.js (10 lines), {} carts stored", args.carts);
    let read = Plan {
        cookies: vec![reader],
        ..cart_js
    };
    rows.push(drive(&server, &name, read, &args).await);
    let name = format!(
        "6b. POST /cart/add.js + 4 sections, {} carts stored",
        args.carts
    );
    let write = Plan {
        cookies: visitors,
        ..add_many
    };
    rows.push(drive(&server, &name, write, &args).await);
    let rss_large = server.peak_rss_mib();
    server.stop();
    let _ = std::fs::remove_dir_all(&scratch);
    if let Some(url) = &args.db {
        postgres_scenarios(&client, &theme, url, &args, &mut rows).await?;
    }

    let floor = rows.first().map(|r| r.rps).unwrap_or(1.0);
    println!();
    print_table(&rows, floor);
    println!();
    let fmt_rss = |r: Option<f64>| {
        r.map(|m| format!("{m:.1} MiB"))
            .unwrap_or_else(|| "n/a".into())
    };
    println!(
        "server peak RSS: {} (fresh store), {} (with {} carts)",
        fmt_rss(rss_small),
        fmt_rss(rss_large),
        args.carts
    );
    report_targets(&rows, floor, rss_large);
    Ok(())
}

/// The add of scenario 3 on PostgreSQL: one node, then two nodes on the same database, each
/// with the connections split evenly (the visitors' sessions are in the database, so either
/// node serves any of them).
async fn postgres_scenarios(
    client: &HttpClient,
    theme: &Path,
    url: &str,
    args: &BenchArgs,
    rows: &mut Vec<Row>,
) -> Result<(), BoxError> {
    let a = Server::start_with(theme, url, &[])?;
    wait_ready(client, &a.base).await?;
    let mut visitors = Vec::with_capacity(args.connections);
    for i in 0..args.connections {
        visitors.push(ten_line_visitor(client, &a.base, visitor_gift_cards(i, args)).await?);
    }
    let add = Plan {
        method: Method::POST,
        path: "/cart/add.js".into(),
        body: Some(format!(
            "{{\"id\":{GIFT_CARD},\"quantity\":1,\"sections\":\"{BUNDLED}\"}}"
        )),
        cookies: visitors,
    };
    let name = "7a. POST /cart/add.js + 4 sections, PostgreSQL, 1 node";
    rows.push(drive_nodes(&[&a], name, add.clone(), args).await);
    let b = Server::start_with(theme, url, &[])?;
    wait_ready(client, &b.base).await?;
    let name = "7b. POST /cart/add.js + 4 sections, PostgreSQL, 2 nodes";
    rows.push(drive_nodes(&[&a, &b], name, add, args).await);
    a.stop();
    b.stop();
    Ok(())
}

/// The CPU's name as Linux reports it, so a table says which machine it came from.
fn cpu_model() -> Option<String> {
    let info = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("model name"))?;
    Some(line.split_once(':')?.1.trim().to_string())
}

fn report_targets(rows: &[Row], floor: f64, rss: Option<f64>) {
    let find = |prefix: &str| rows.iter().find(|r| r.name.starts_with(prefix));
    let verdict = |ok: bool| if ok { "met" } else { "NOT met" };
    if let Some(add) = find("3.") {
        let ratio = 100.0 * add.rps / floor;
        println!(
            "target: add + 4 sections >= 5% of /healthz: {ratio:.1}% ({}); p99 < 10 ms: {} ms ({})",
            verdict(ratio >= 5.0),
            ms(add.p99),
            verdict(add.p99 < Duration::from_millis(10))
        );
    }
    if let (Some(sqlite), Some(one)) = (find("3."), find("7a.")) {
        let ratio = 100.0 * one.rps / sqlite.rps.max(1.0);
        println!(
            "target: PostgreSQL add, 1 node >= 50% of SQLite's: {ratio:.1}% ({}); p99 < 20 ms: {} ms ({})",
            verdict(ratio >= 50.0),
            ms(one.p99),
            verdict(one.p99 < Duration::from_millis(20))
        );
        if let Some(two) = find("7b.") {
            println!(
                "target: PostgreSQL add, 2 nodes above 1 node: {:.0} vs {:.0} req/s ({}); p99 {} ms",
                two.rps,
                one.rps,
                verdict(two.rps > one.rps),
                ms(two.p99)
            );
        }
    }
    if let Some(page) = find("5b.") {
        let ratio = 100.0 * page.rps / floor;
        println!(
            "target: product page >= 3% of /healthz: {ratio:.1}% ({})",
            verdict(ratio >= 3.0)
        );
    }
    if let Some(rss) = rss {
        println!(
            "target: peak RSS < 100 MB with the large store: {rss:.1} MiB ({})",
            verdict(rss < 95.0)
        );
    }
}
