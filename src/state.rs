//! Process-wide state shared by every handler: settings, the store, the catalog, the theme.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::catalog::Catalog;
use crate::store::{Store, StoreError};
use crate::theme::Theme;

/// Settings, from flags or environment variables (see `main.rs`).
#[derive(Debug, Clone)]
pub struct Config {
    /// The SQLite file (`data/store.db` by default), unless `postgres` is set.
    pub db: PathBuf,
    /// A PostgreSQL database instead of the SQLite file (`--db postgres://...`).
    pub postgres: Option<crate::store::PgOptions>,
    /// The theme directory: holds `templates/`, `sections/`, `static/` and `data/`.
    pub theme_dir: PathBuf,
    /// Watch the theme for changes and serve the live-reload client.
    pub watch: bool,
    /// BigCommerce Management API token; without one that API answers 401 to everyone.
    pub admin_token: Option<String>,
    pub store_hash: String,
    /// The Elastic Path client id accepted by `/oauth/access_token`.
    pub ep_client_id: String,
    /// Mark cookies `Secure` (serve behind HTTPS).
    pub secure_cookies: bool,
    /// Carts untouched for this many days are removed (see `ttl_days` for the range honoured).
    pub cart_ttl_days: i64,
    /// How often the housekeeping task sweeps expired carts and sessions (an hour by default).
    pub sweep_interval: Duration,
}

/// The longest cart lifetime honoured, in days (100 years): longer ones would overflow dates.
pub const MAX_CART_TTL_DAYS: i64 = 36_500;

/// The default interval between housekeeping sweeps.
pub const DEFAULT_SWEEP_INTERVAL: Duration = Duration::from_secs(3600);

/// The Elastic Path client id that works out of the box (printed in the README).
pub const DEMO_EP_CLIENT_ID: &str = "vitrine-demo-client";

impl Config {
    /// Settings for a theme directory, with the defaults of `vitrine serve`.
    pub fn for_theme(theme_dir: impl Into<PathBuf>) -> Config {
        let theme_dir = theme_dir.into();
        Config {
            db: theme_dir.join("data").join("store.db"),
            postgres: None,
            theme_dir,
            watch: false,
            admin_token: None,
            store_hash: "demo".into(),
            ep_client_id: DEMO_EP_CLIENT_ID.into(),
            secure_cookies: false,
            cart_ttl_days: 30,
            sweep_interval: DEFAULT_SWEEP_INTERVAL,
        }
    }

    /// `cart_ttl_days` within `1..=MAX_CART_TTL_DAYS`: a value out of range can neither make
    /// every cart expire at once nor overflow a date computation.
    pub fn ttl_days(&self) -> i64 {
        self.cart_ttl_days.clamp(1, MAX_CART_TTL_DAYS)
    }

    /// How long an untouched cart (and an idle session) lives.
    pub fn cart_ttl(&self) -> chrono::Duration {
        chrono::Duration::days(self.ttl_days())
    }

    pub fn data_dir(&self) -> PathBuf {
        self.theme_dir.join("data")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("theme: {0}")]
    Theme(String),
}

#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    config: Config,
    store: Store,
    catalog: Arc<Catalog>,
    theme: Theme,
    sessions: crate::sessions::CachedSessionStore,
    tokens: crate::api::elasticpath::TokenBook,
    shipping: crate::api::shopify::shipping::PreparedRates,
    /// Lines' Ajax JSON for this catalog.
    line_json: crate::api::shopify::line_json::LineJsonCache,
}

impl AppState {
    /// Opens the database (creating and seeding it on first run; sessions live in the same
    /// file) and loads the theme.
    pub async fn open(config: Config) -> Result<AppState, StartError> {
        let store = match &config.postgres {
            Some(options) => Store::open_postgres(options).await?,
            None => Store::open(&config.db)?,
        };
        let catalog = Arc::new(store.sync_catalog(&config.data_dir())?);
        let theme = Theme::load(&config.theme_dir, catalog.clone(), config.watch)
            .map_err(|e| StartError::Theme(e.to_string()))?;
        let sessions = crate::sessions::CachedSessionStore::new(store.clone());
        Ok(AppState {
            inner: Arc::new(Inner {
                config,
                store,
                catalog,
                theme,
                sessions,
                tokens: Default::default(),
                shipping: Default::default(),
                line_json: Default::default(),
            }),
        })
    }

    pub fn config(&self) -> &Config {
        &self.inner.config
    }
    pub fn store(&self) -> &Store {
        &self.inner.store
    }
    pub fn catalog(&self) -> &Arc<Catalog> {
        &self.inner.catalog
    }
    pub fn theme(&self) -> &Theme {
        &self.inner.theme
    }
    pub fn line_json(&self) -> &crate::api::shopify::line_json::LineJsonCache {
        &self.inner.line_json
    }
    pub fn session_store(&self) -> &crate::sessions::CachedSessionStore {
        &self.inner.sessions
    }
    pub fn ep_tokens(&self) -> &crate::api::elasticpath::TokenBook {
        &self.inner.tokens
    }
    pub fn prepared_rates(&self) -> &crate::api::shopify::shipping::PreparedRates {
        &self.inner.shipping
    }
}
