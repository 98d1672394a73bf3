//! vitrine: a storefront server. A cart store in SQLite, a section renderer on minijinja, and
//! Shopify, BigCommerce and Elastic Path cart APIs over the same carts.
//!
//! `app(state)` is the whole HTTP surface; `server::serve` runs it on a listener (timeouts, the
//! connection limit, shutdown); `main.rs` only parses flags and dispatches.

pub mod api;
pub mod bench;
pub mod cart;
pub mod catalog;
pub mod imaging;
pub mod pages;
pub mod routes;
pub mod server;
pub mod sessions;
pub mod state;
pub mod store;
pub mod storefront;
pub mod theme;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, header};
use axum::routing::get;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};
use tracing::Level;

pub use state::{AppState, Config};
use storefront::visitor::Locale;

pub use api::MAX_BODY_BYTES;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "vitrine_session";

const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
    style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; \
    form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'";

/// A Shopify theme's layout and sections carry inline scripts and event handlers (`onclick=`):
/// they run, from this origin. So do the YouTube and Vimeo players Shopify's own video filters
/// embed (`external_video_tag`) and themes drive with the players' script APIs, when the
/// author is online. vitrine's own theme needs none of it.
const OS2_CONTENT_SECURITY_POLICY: &str = "default-src 'self'; \
    script-src 'self' 'unsafe-inline' https://www.youtube.com https://player.vimeo.com; \
    style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; \
    connect-src 'self'; frame-src 'self' https://www.youtube.com https://www.youtube-nocookie.com \
    https://player.vimeo.com; form-action 'self'; frame-ancestors 'none'; base-uri 'self'; \
    object-src 'none'";

pub fn app(state: AppState) -> Router {
    let csp = if state.theme().is_os2() {
        OS2_CONTENT_SECURITY_POLICY
    } else {
        CONTENT_SECURITY_POLICY
    };
    let shop = state.catalog().shop();
    let mut router = Router::new().merge(routes::for_locale(Locale::primary(&shop.primary_locale)));
    for code in shop.locales.iter().filter(|l| **l != shop.primary_locale) {
        router = router.nest(
            &format!("/{code}"),
            routes::for_locale(Locale::prefixed(code)),
        );
    }
    let sessions = SessionManagerLayer::new(state.session_store().clone())
        .with_name(SESSION_COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(state.config().secure_cookies)
        .with_expiry(Expiry::OnInactivity(time_days(state.config().ttl_days())));
    let routes = router
        .merge(api::bigcommerce::router())
        .merge(api::elasticpath::router())
        .route("/healthz", get(healthz))
        .route("/favicon.ico", get(no_favicon))
        .route(theme::EVENTS_PATH, get(pages::live::events))
        .route(theme::LIVE_RELOAD_PATH, get(pages::live::script))
        .route(
            &format!("{}/{{file}}", theme::COMPILED_ASSETS_PATH),
            get(pages::live::compiled_asset),
        )
        .route(
            theme::cdn::STANDARD_EVENTS_PATH,
            get(pages::live::standard_events),
        )
        .nest_service("/static", static_service(&state))
        .fallback(pages::not_found)
        .with_state(state);
    // The middleware wraps the whole router once, not each route: axum clones a route's
    // whole layer stack on every request it serves, about eighty boxed services per request.
    // The first layer here is the outermost.
    let stack = tower::ServiceBuilder::new()
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(Level::INFO))
                .on_request(())
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(csp),
        ))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        // htmx and plain requests to the same URL get different answers: say so to caches.
        .layer(axum_htmx::AutoVaryLayer)
        .map_response(axum::response::IntoResponse::into_response)
        // A page handler that panics answers 500 instead of dropping the connection (each API
        // router answers its own panics in its shape).
        .layer(tower_http::catch_panic::CatchPanicLayer::new())
        .layer(axum::middleware::from_fn(
            routes::answer_session_save_failure,
        ))
        .layer(sessions)
        .service(routes);
    Router::new().fallback_service(stack)
}

/// GET /favicon.ico, which browsers ask for when a theme names no icon (Shopify answers its own):
/// nothing, without a failed request in the console.
async fn no_favicon() -> impl axum::response::IntoResponse {
    (
        axum::http::StatusCode::NO_CONTENT,
        [(header::CACHE_CONTROL, "public, max-age=86400")],
    )
}

/// GET /healthz: "ok" while the database answers; 503 "database unavailable" while it does
/// not (a load balancer then sends visitors to another node). The cause is logged, never
/// shown.
async fn healthz(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    match state.store().check().await {
        Ok(()) => "ok".into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "health check: the database is unavailable");
            (
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "database unavailable",
            )
                .into_response()
        }
    }
}

/// The folders `/static` serves from, in order. A Shopify theme's `assets/` holds no catalog
/// images: those come from its working folder.
fn static_roots(state: &AppState) -> Vec<std::path::PathBuf> {
    let theme = state.theme();
    if theme.is_os2() {
        vec![
            theme.static_dir(),
            storefront::workspace::media_dir(theme.dir()),
        ]
    } else {
        vec![theme.static_dir()]
    }
}

/// The theme's `static/` files. A directory is not an asset: it answers 404, as a missing file
/// does, instead of ServeDir's redirect to the path with a slash, which is built from the path
/// nested under `/static` (so it dropped the prefix, and `/static///x` sent the browser to
/// `//x/`, another host).
fn static_files(roots: &[std::path::PathBuf]) -> ServeDir<ServeDir> {
    let serve =
        |dir: &std::path::PathBuf| ServeDir::new(dir).append_index_html_on_directories(false);
    let first = roots.first().cloned().unwrap_or_default();
    let fallback = roots.get(1).unwrap_or(&first);
    serve(&first).fallback(serve(fallback))
}

/// `/static`: the files, and images resized on request (`?width=400`) through the disk cache.
fn static_service(state: &AppState) -> pages::images::StaticFiles {
    let roots = static_roots(state);
    let files = static_files(&roots);
    let theme = state.theme();
    let liquid_assets = theme.is_os2().then(|| theme.clone());
    pages::images::StaticFiles::new(
        roots,
        files,
        state.config().image_cache_dir(),
        liquid_assets,
    )
}

fn time_days(days: i64) -> tower_sessions::cookie::time::Duration {
    tower_sessions::cookie::time::Duration::days(days)
}

/// Why a housekeeping sweep failed. Logged by the background task; nothing reaches a client.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error("session store: {0}")]
    Sessions(#[from] tower_sessions::session_store::Error),
}

/// The shortest sweep interval honoured (tests use short ones; zero would spin).
const MIN_SWEEP_INTERVAL: std::time::Duration = std::time::Duration::from_millis(10);

/// One housekeeping pass: removes carts untouched for `cart_ttl_days` and expired sessions,
/// and trims the resized-image cache to its bound. Returns how many carts went. The background
/// task of `spawn_housekeeping` calls this.
pub async fn sweep_once(state: &AppState) -> Result<usize, SweepError> {
    use tower_sessions::ExpiredDeletion;
    let before = chrono::Utc::now() - state.config().cart_ttl();
    let removed = state.store().delete_carts_untouched_since(before).await?;
    state.session_store().delete_expired().await?;
    let cache = imaging::cache::DiskCache::new(state.config().image_cache_dir());
    let trimmed =
        tokio::task::spawn_blocking(move || cache.trim(imaging::cache::MAX_CACHE_BYTES)).await;
    match trimmed {
        Ok(Ok(t)) if t.removed > 0 => {
            tracing::info!(
                removed = t.removed,
                kept_bytes = t.kept_bytes,
                "image cache trimmed"
            );
        }
        Ok(Ok(_)) => {}
        // The cache is only a cache: a failed trim is logged, the sweep goes on.
        Ok(Err(e)) => tracing::warn!(error = %e, "image cache trim failed"),
        Err(e) => tracing::warn!(error = %e, "image cache trim did not finish"),
    }
    Ok(removed)
}

/// Background upkeep: `sweep_once` at start-up, then every `Config::sweep_interval` (an hour
/// by default). A failed sweep is logged and the next one runs on time.
pub fn spawn_housekeeping(state: &AppState) -> tokio::task::JoinHandle<()> {
    let state = state.clone();
    tokio::spawn(async move {
        // `interval` refuses a zero period.
        let period = state.config().sweep_interval.max(MIN_SWEEP_INTERVAL);
        let mut tick = tokio::time::interval(period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match sweep_once(&state).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(removed = n, "expired carts removed"),
                Err(e) => tracing::error!(error = %e, "housekeeping sweep failed"),
            }
        }
    })
}
