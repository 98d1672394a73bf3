//! Process-wide state shared by every handler: settings, the store, the catalog, the theme, and
//! what the storefront core keeps in memory. It sits with the storefront core: it names
//! nothing of the API dialects or the pages.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::catalog::Catalog;
use crate::sessions::CachedSessionStore;
use crate::store::{Store, StoreError};
use crate::storefront::line_json::LineJsonCache;
use crate::storefront::shipping::PreparedRates;
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
    /// Where resized images are kept; `None` for the default of [`Config::image_cache_dir`].
    pub image_cache: Option<PathBuf>,
}

/// A Shopify theme brings no catalog of its own: it gets the demo catalog in its working folder
/// (see [`workspace`](crate::storefront::workspace)).
pub(crate) fn data_dir_of(theme_dir: &std::path::Path) -> PathBuf {
    if crate::theme::engine::os2::is_os2(theme_dir) && !theme_dir.join("data").is_dir() {
        crate::storefront::workspace::folder(theme_dir).join("data")
    } else {
        theme_dir.join("data")
    }
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
            db: data_dir_of(&theme_dir).join("store.db"),
            postgres: None,
            theme_dir,
            watch: false,
            admin_token: None,
            store_hash: "demo".into(),
            ep_client_id: DEMO_EP_CLIENT_ID.into(),
            secure_cookies: false,
            cart_ttl_days: 30,
            sweep_interval: DEFAULT_SWEEP_INTERVAL,
            image_cache: None,
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

    /// The directory of resized images: `image_cache` when set, else `cache/images` beside the
    /// SQLite file, or `vitrine-cache/images` in the system's temporary directory when the
    /// database is PostgreSQL (which has no directory of its own here).
    pub fn image_cache_dir(&self) -> PathBuf {
        if let Some(dir) = &self.image_cache {
            return dir.clone();
        }
        if self.postgres.is_some() {
            return std::env::temp_dir().join("vitrine-cache").join("images");
        }
        let beside_db = match self.db.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
            _ => PathBuf::from("."),
        };
        beside_db.join("cache").join("images")
    }

    /// The catalog's JSON files: `<theme>/data`, or `<theme>/.vitrine/data` in a Shopify theme.
    pub fn data_dir(&self) -> PathBuf {
        data_dir_of(&self.theme_dir)
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
    sessions: CachedSessionStore,
    /// Addresses whose shipping rates a cart prepared (`/cart/prepare_shipping_rates.json`).
    shipping: PreparedRates,
    /// Lines' Ajax JSON for this catalog.
    line_json: LineJsonCache,
    /// State that one module keeps for itself on this node (see [`AppState::node_local`]).
    node_local: NodeLocal,
}

impl AppState {
    /// Opens the database (creating and seeding it on first run; sessions live in the same
    /// file) and loads the theme.
    pub async fn open(config: Config) -> Result<AppState, StartError> {
        if crate::theme::engine::os2::is_os2(&config.theme_dir)
            && !config.theme_dir.join("data").is_dir()
        {
            crate::storefront::workspace::prepare(&config.theme_dir).map_err(|e| {
                StartError::Theme(format!(
                    "cannot prepare {}: {e}",
                    crate::storefront::workspace::FOLDER
                ))
            })?;
        }
        let store = match &config.postgres {
            Some(options) => Store::open_postgres(options).await?,
            None => Store::open(&config.db)?,
        };
        let catalog = Arc::new(store.sync_catalog(&config.data_dir())?);
        let theme = Theme::load(&config.theme_dir, catalog.clone(), config.watch)
            .map_err(|e| StartError::Theme(e.to_string()))?;
        let sessions = CachedSessionStore::new(store.clone());
        Ok(AppState {
            inner: Arc::new(Inner {
                config,
                store,
                catalog,
                theme,
                sessions,
                shipping: Default::default(),
                line_json: Default::default(),
                node_local: Default::default(),
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
    pub fn line_json(&self) -> &LineJsonCache {
        &self.inner.line_json
    }
    pub fn session_store(&self) -> &CachedSessionStore {
        &self.inner.sessions
    }
    pub fn prepared_rates(&self) -> &PreparedRates {
        &self.inner.shipping
    }

    /// The value of type `T` this node keeps for whoever owns `T` (an API dialect's own state,
    /// such as Elastic Path's access tokens), made with `T::default()` on first use. It lets a
    /// dialect keep state without this module naming it, and lists in one place, by type, all
    /// that a node holds in memory beside the store.
    pub fn node_local<T: Default + Send + Sync + 'static>(&self) -> Arc<T> {
        self.inner.node_local.get_or_default()
    }
}

/// One value per type, made on first use.
#[derive(Default)]
struct NodeLocal {
    values: Mutex<HashMap<TypeId, Arc<dyn Any + Send + Sync>>>,
}

impl NodeLocal {
    fn get_or_default<T: Default + Send + Sync + 'static>(&self) -> Arc<T> {
        // A poisoned lock only means another thread panicked while inserting; the map is
        // still whole.
        let mut values = self.values.lock().unwrap_or_else(|e| e.into_inner());
        let value = values
            .entry(TypeId::of::<T>())
            .or_insert_with(|| Arc::new(T::default()));
        match value.clone().downcast::<T>() {
            Ok(value) => value,
            // Not reached: the entry of `TypeId::of::<T>()` always holds a `T`.
            Err(_) => Arc::new(T::default()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::DbTarget;

    #[test]
    fn the_image_cache_sits_beside_the_sqlite_file_unless_set() {
        let mut config = Config::for_theme("/shop");
        assert_eq!(
            config.image_cache_dir(),
            PathBuf::from("/shop/data/cache/images")
        );
        config.db = PathBuf::from("store.db");
        assert_eq!(config.image_cache_dir(), PathBuf::from("./cache/images"));
        config.image_cache = Some(PathBuf::from("/var/cache/vitrine"));
        assert_eq!(
            config.image_cache_dir(),
            PathBuf::from("/var/cache/vitrine")
        );
    }

    #[test]
    fn with_postgres_the_image_cache_is_in_the_temporary_directory() {
        let mut config = Config::for_theme("/shop");
        let Ok(DbTarget::Postgres(options)) = DbTarget::from_arg("postgres://u:p@localhost/db")
        else {
            panic!("a PostgreSQL URL");
        };
        config.postgres = Some(*options);
        assert_eq!(
            config.image_cache_dir(),
            std::env::temp_dir().join("vitrine-cache").join("images")
        );
    }
}
