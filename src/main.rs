//! The `vitrine` command: parse flags, then serve, check a theme, or run the benchmark.

use std::net::SocketAddr;
use std::path::PathBuf;

use std::time::Duration;

mod allocator;

use clap::{Args, Parser, Subcommand};

/// Rendering sections allocates many small strings; mimalloc makes that noticeably cheaper
/// than the system allocator (measured with `vitrine bench`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use tracing_subscriber::EnvFilter;
use vitrine::{AppState, Config};

#[derive(Parser)]
#[command(
    name = "vitrine",
    version,
    about = "A local and self-hosted storefront server"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Subcommand)]
enum Command {
    /// Run the store (the default).
    Serve(ServeArgs),
    /// Compile every template and section and validate schemas and JSON templates.
    Check {
        #[arg(long, env = "VITRINE_THEME", default_value = ".")]
        theme: PathBuf,
        /// `text` (file:line: message) or `json` (theme-check's shape, for editors and CI).
        #[arg(long, value_enum, default_value = "text")]
        format: CheckFormat,
    },
    /// Drive a fresh copy of the demo store over loopback HTTP and print throughput and latency.
    Bench(vitrine::bench::BenchArgs),
    /// Render one template (.liquid or .html) with JSON data and print exactly the output.
    Render(vitrine::theme::engine::liquid::cli::RenderArgs),
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum CheckFormat {
    Text,
    Json,
}

#[derive(Args, Clone)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "VITRINE_ADDR", default_value = "127.0.0.1:3000")]
    addr: SocketAddr,
    /// The database: a SQLite file path or sqlite://PATH [default: <theme>/data/store.db],
    /// or postgres://USER:PASSWORD@HOST:PORT/DBNAME (PG* variables fill in missing parts).
    #[arg(long, env = "VITRINE_DB", hide_env_values = true)]
    db: Option<String>,
    /// PostgreSQL connections kept by this node.
    #[arg(long, env = "VITRINE_DB_POOL_SIZE", default_value_t = vitrine::store::DEFAULT_POOL_SIZE as u64,
          value_parser = clap::value_parser!(u64).range(1..=1024))]
    db_pool_size: u64,
    /// PostgreSQL: how long a request waits for the database before answering 503 (ms).
    #[arg(long, env = "VITRINE_DB_TIMEOUT_MS",
          value_parser = clap::value_parser!(u64).range(1..=600_000))]
    db_timeout_ms: Option<u64>,
    /// Theme directory holding templates/, sections/, static/ and data/.
    #[arg(long, env = "VITRINE_THEME", default_value = ".")]
    theme: PathBuf,
    /// Do not watch the theme for changes (and serve no live-reload client).
    #[arg(long, env = "VITRINE_NO_WATCH")]
    no_watch: bool,
    /// Token for the BigCommerce Management API (X-Auth-Token); without one it answers 401.
    #[arg(long, env = "VITRINE_ADMIN_TOKEN")]
    admin_token: Option<String>,
    /// Store hash of the BigCommerce Management API paths.
    #[arg(long, env = "VITRINE_STORE_HASH", default_value = "demo")]
    store_hash: String,
    /// Client id accepted by Elastic Path's /oauth/access_token.
    #[arg(long, env = "VITRINE_EP_CLIENT_ID", default_value = vitrine::state::DEMO_EP_CLIENT_ID)]
    ep_client_id: String,
    /// Mark cookies Secure (when served behind HTTPS).
    #[arg(long, env = "VITRINE_SECURE_COOKIES")]
    secure_cookies: bool,
    /// Remove carts untouched for this many days.
    #[arg(long, env = "VITRINE_CART_TTL_DAYS", default_value_t = 30,
          value_parser = clap::value_parser!(i64).range(1..=vitrine::state::MAX_CART_TTL_DAYS))]
    cart_ttl_days: i64,
    /// Directory for resized images [default: cache/images beside the SQLite file; for
    /// PostgreSQL, vitrine-cache/images in the system's temporary directory].
    #[arg(long, env = "VITRINE_IMAGE_CACHE")]
    image_cache: Option<PathBuf>,
    /// Seconds a connection gets to send a complete request head, counted from when it opens
    /// or its previous response was sent (so an idle keep-alive connection closes after this
    /// too).
    #[arg(long, env = "VITRINE_HEADER_TIMEOUT", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    header_timeout: u64,
    /// Seconds a request body gets to arrive in full, counted from its request head.
    #[arg(long, env = "VITRINE_BODY_TIMEOUT", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    body_timeout: u64,
    /// Open connections at most [default: the open-file limit minus 256]. At the limit a new
    /// connection closes the one that has waited longest for a request head; when all have a
    /// request in flight, it is refused with 503.
    #[arg(long, env = "VITRINE_MAX_CONNECTIONS",
          value_parser = clap::value_parser!(u64).range(16..))]
    max_connections: Option<u64>,
    /// Seconds requests in flight get to finish after SIGTERM or Ctrl-C before they are cut.
    #[arg(long, env = "VITRINE_SHUTDOWN_DEADLINE", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(0..=3600))]
    shutdown_deadline: u64,
}

impl ServeArgs {
    fn config(&self) -> Result<Config, vitrine::store::TargetError> {
        let mut config = Config::for_theme(&self.theme);
        match self
            .db
            .as_deref()
            .map(vitrine::store::DbTarget::from_arg)
            .transpose()?
        {
            Some(vitrine::store::DbTarget::Sqlite(path)) => config.db = path,
            Some(vitrine::store::DbTarget::Postgres(mut options)) => {
                options.pool_size = usize::try_from(self.db_pool_size).unwrap_or(1);
                if let Some(ms) = self.db_timeout_ms {
                    options.timeout = std::time::Duration::from_millis(ms);
                    options.config.connect_timeout(options.timeout);
                }
                config.postgres = Some(*options);
            }
            None => {}
        }
        config.watch = !self.no_watch;
        config.admin_token = self.admin_token.clone().filter(|t| !t.is_empty());
        config.store_hash = self.store_hash.clone();
        config.ep_client_id = self.ep_client_id.clone();
        config.secure_cookies = self.secure_cookies;
        config.cart_ttl_days = self.cart_ttl_days;
        config.image_cache = self.image_cache.clone();
        Ok(config)
    }

    fn limits(&self) -> vitrine::server::Limits {
        let allowed = vitrine::server::connections_allowed();
        let max_connections = match self.max_connections {
            Some(asked) => {
                let asked = usize::try_from(asked).unwrap_or(usize::MAX);
                if asked > allowed {
                    // More would run the process out of descriptors, and accept() would fail.
                    tracing::warn!(
                        asked,
                        allowed,
                        "--max-connections is above the open-file limit allows; using {allowed}"
                    );
                }
                asked.min(allowed)
            }
            None => allowed,
        };
        vitrine::server::Limits {
            header_timeout: Duration::from_secs(self.header_timeout),
            body_timeout: Duration::from_secs(self.body_timeout),
            max_connections,
            shutdown_deadline: Duration::from_secs(self.shutdown_deadline),
        }
    }
}

/// Blocking threads run SQLite reads (writes have a thread of their own). Reads are short, so a
/// small pool is as fast as tokio's default of 512 and keeps per-thread allocator caches (and so
/// the resident set) small.
const BLOCKING_THREADS: usize = 8;

fn main() -> std::process::ExitCode {
    match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(BLOCKING_THREADS)
        .on_thread_park(allocator::on_worker_park)
        .build()
    {
        Ok(runtime) => runtime.block_on(run()),
        Err(e) => {
            eprintln!("vitrine: cannot start the async runtime: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new("vitrine=info,tower_http=info")),
        )
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        None => return serve_or_exit(cli.serve).await,
        Some(Command::Serve(args)) => return serve_or_exit(args).await,
        Some(Command::Check { theme, format }) => return check(&theme, format),
        Some(Command::Bench(args)) => vitrine::bench::run(args).await,
        Some(Command::Render(args)) => return vitrine::theme::engine::liquid::cli::run(&args),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("vitrine: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Serves; a `--db` that names no database we can use exits 2, like a bad flag.
async fn serve_or_exit(args: ServeArgs) -> std::process::ExitCode {
    let config = match args.config() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("vitrine: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    match serve(args, config).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("vitrine: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn serve(args: ServeArgs, config: Config) -> Result<(), Box<dyn std::error::Error>> {
    let limits = args.limits();
    let state = AppState::open(config).await?;
    let housekeeping = vitrine::spawn_housekeeping(&state);
    let listener = vitrine::server::bind(args.addr)?;
    tracing::info!(
        max_connections = limits.max_connections,
        "vitrine listening on http://{}",
        listener.local_addr()?
    );
    // On a worker thread, not this one (which only waits): the accept loop allocates each
    // connection's buffers and task, and a worker gives that memory back when it goes idle
    // (see `allocator`); this thread would keep it.
    let serving = tokio::spawn(vitrine::server::serve(
        listener,
        vitrine::app(state.clone()),
        limits,
        shutdown_signal(),
    ));
    let stopped = match serving.await {
        Ok(stopped) => stopped,
        Err(e) => {
            tracing::error!(error = %e, "the server task failed");
            vitrine::server::Stopped::default()
        }
    };
    housekeeping.abort();
    let _ = housekeeping.await;
    // The last handle on the store: its writer finishes what is queued, and SQLite closes the
    // database, copying the WAL back into it.
    drop(state);
    tracing::info!(cut_at_deadline = stopped.cut_at_deadline, "vitrine stopped");
    Ok(())
}

fn check(theme: &std::path::Path, format: CheckFormat) -> std::process::ExitCode {
    let problems = vitrine::theme::check(theme);
    if let CheckFormat::Json = format {
        println!(
            "{}",
            vitrine::theme::engine::check::problems_json(&problems)
        );
        return if problems.iter().all(|p| p.warning) {
            std::process::ExitCode::SUCCESS
        } else {
            std::process::ExitCode::FAILURE
        };
    }
    for problem in &problems {
        println!("{problem}");
    }
    let warnings = problems.iter().filter(|p| p.warning).count();
    if warnings == problems.len() {
        // Warnings alone do not fail the check: the theme renders as it does on Shopify.
        if warnings > 0 {
            eprintln!("{warnings} warning(s)");
        }
        println!("theme ok: {}", theme.display());
        std::process::ExitCode::SUCCESS
    } else {
        eprintln!(
            "{} problem(s), {warnings} warning(s)",
            problems.len() - warnings
        );
        std::process::ExitCode::FAILURE
    }
}

/// Ctrl-C or SIGTERM: `server::serve` then stops accepting and finishes requests in flight
/// until the deadline.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
