//! The cart store: one interface, `Store`, over two backends.
//!
//! - SQLite (`sqlite.rs`), the embedded default: one file, one writer thread, a reader pool.
//! - PostgreSQL (`postgres.rs`): many vitrine nodes over one database (also CockroachDB and
//!   YugabyteDB, which speak its protocol; see docs/postgres.md).
//!
//! `Store` is an enum rather than a trait object: `mutate` is generic over the command and
//! its result and error types, which a trait object cannot offer, and the set of backends is
//! closed. Each method matches once and calls the backend's own.

mod cart_cache;
mod carts;
mod catalog_seed;
mod checkpoint;
mod pg_carts;
mod pg_schema;
mod pg_tls;
mod pool;
mod postgres;
mod retry;
mod sessions;
mod sqlite;
mod target;
mod writer;

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::cart::Cart;
use crate::catalog::Catalog;

pub use catalog_seed::SeedError;
pub use pg_schema::MIGRATIONS as PG_MIGRATIONS;
pub use postgres::PgStore;
pub use sqlite::SqliteStore;
pub use target::{DEFAULT_POOL_SIZE, DEFAULT_TIMEOUT, DbTarget, PgOptions, TargetError, TlsMode};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// An error the PostgreSQL server or client reported (a bug or a schema problem, not an
    /// outage). The text is the server's; it never holds the password.
    #[error("postgres: {0}")]
    Postgres(String),
    /// The database cannot be reached or did not answer in time: 503, try again later.
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    /// A serialization failure or deadlock that retries did not get past: 503, try again.
    #[error("the write conflicted with another: {0}")]
    Conflict(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("seeding the catalog: {0}")]
    Seed(#[from] SeedError),
    #[error("a store task failed: {0}")]
    Task(String),
}

impl StoreError {
    /// Whether the request may succeed if tried again later (503 rather than 500).
    pub fn is_unavailable(&self) -> bool {
        matches!(self, StoreError::Unavailable(_) | StoreError::Conflict(_))
    }
}

/// What to do when the cart of a mutation does not exist yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IfMissing {
    /// Start a new, empty cart with that id.
    Create,
    /// Fail with `MutateError::NotFound`.
    Fail,
}

#[derive(Debug, thiserror::Error)]
pub enum MutateError<E> {
    #[error("cart not found")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("command refused")]
    Command(E),
}

/// A committed mutation: what the command returned and the cart as it now is.
#[derive(Debug)]
pub struct Mutation<T> {
    pub value: T,
    /// `None` when the mutation deleted the cart. Shared with the writer's memory of it.
    pub cart: Option<Arc<Cart>>,
}

/// What a command asks the store to do with the cart after it ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AfterCommand {
    #[default]
    Save,
    /// Save, unless the cart has no lines left, then delete it (BigCommerce's rule).
    DeleteIfEmpty,
    Delete,
}

#[derive(Clone, Debug)]
pub enum Store {
    Sqlite(SqliteStore),
    Postgres(PgStore),
}

/// Calls the same method on whichever backend this is.
macro_rules! each {
    ($store:expr, $s:ident => $call:expr) => {
        match $store {
            Store::Sqlite($s) => $call,
            Store::Postgres($s) => $call,
        }
    };
}

impl Store {
    /// Opens (creating if needed) the SQLite database and brings the schema up to date.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        SqliteStore::open(path).map(Store::Sqlite)
    }

    /// Connects to PostgreSQL and brings the schema up to date.
    pub async fn open_postgres(options: &PgOptions) -> Result<Store, StoreError> {
        PgStore::open(options).await.map(Store::Postgres)
    }

    /// Opens whichever database `target` names.
    pub async fn open_target(target: &DbTarget) -> Result<Store, StoreError> {
        match target {
            DbTarget::Sqlite(path) => Store::open(path),
            DbTarget::Postgres(options) => Store::open_postgres(options).await,
        }
    }

    /// The SQLite file, when this store is one.
    pub fn path(&self) -> Option<&Path> {
        match self {
            Store::Sqlite(s) => Some(s.path()),
            Store::Postgres(_) => None,
        }
    }

    /// Whether other nodes may write the same database: then nothing may be cached between
    /// requests unless checked against the database.
    pub fn is_shared(&self) -> bool {
        matches!(self, Store::Postgres(_))
    }

    /// Whether the database answers now (for `/healthz`). SQLite is a local file: always.
    pub async fn check(&self) -> Result<(), StoreError> {
        match self {
            Store::Sqlite(_) => Ok(()),
            Store::Postgres(s) => s.check().await,
        }
    }

    /// Loads the catalog from `data_dir` into the database when its files changed (or on first
    /// run), then returns the catalog as stored. Carts are never touched.
    pub fn sync_catalog(&self, data_dir: &Path) -> Result<Catalog, StoreError> {
        each!(self, s => s.sync_catalog(data_dir))
    }

    /// The cart with this id, if it exists.
    pub async fn cart(&self, id: &str) -> Result<Option<Cart>, StoreError> {
        each!(self, s => s.cart(id).await)
    }

    /// Runs `command` on the cart in a write transaction. On `Ok` the cart's version moves on
    /// and the result is committed before this returns; on `Err` nothing is written.
    pub async fn mutate<T, E, F>(
        &self,
        id: &str,
        if_missing: IfMissing,
        command: F,
    ) -> Result<Mutation<T>, MutateError<E>>
    where
        T: Send + 'static,
        E: Send + 'static,
        F: FnOnce(&mut Cart) -> Result<(T, AfterCommand), E> + Send + 'static,
    {
        each!(self, s => s.mutate(id, if_missing, command).await)
    }

    /// Deletes a cart. Returns whether it existed.
    pub async fn delete_cart(&self, id: &str) -> Result<bool, StoreError> {
        each!(self, s => s.delete_cart(id).await)
    }

    /// Removes carts untouched since `before`. Returns how many went.
    pub async fn delete_carts_untouched_since(
        &self,
        before: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        each!(self, s => s.delete_carts_untouched_since(before).await)
    }

    /// Number of carts stored (for the benchmark and tests).
    pub async fn count_carts(&self) -> Result<i64, StoreError> {
        each!(self, s => s.count_carts().await)
    }

    /// Writes many carts in one transaction (benchmark fixtures).
    pub fn insert_carts(&self, carts: &[Cart]) -> Result<(), StoreError> {
        each!(self, s => s.insert_carts(carts))
    }

    /// Stores a new session unless its id is taken. Returns whether it was stored.
    pub async fn insert_new_session(
        &self,
        id: String,
        data: Vec<u8>,
        expiry: i64,
    ) -> Result<bool, StoreError> {
        each!(self, s => s.insert_new_session(id, data, expiry).await)
    }

    pub async fn save_session(
        &self,
        id: String,
        data: Vec<u8>,
        expiry: i64,
    ) -> Result<(), StoreError> {
        each!(self, s => s.save_session(id, data, expiry).await)
    }

    /// The encoded record of a session that has not expired at `now` (unix seconds).
    pub async fn session(&self, id: String, now: i64) -> Result<Option<Vec<u8>>, StoreError> {
        each!(self, s => s.session(id, now).await)
    }

    pub async fn delete_session(&self, id: String) -> Result<(), StoreError> {
        each!(self, s => s.delete_session(id).await)
    }

    /// Removes sessions expired before `now` (unix seconds), and expired remembered keys.
    /// Returns how many sessions went.
    pub async fn delete_expired_sessions(&self, now: i64) -> Result<usize, StoreError> {
        each!(self, s => s.delete_expired_sessions(now).await)
    }

    /// Remembers `key` of `kind` until `expires_at` (unix seconds), for every node: what a
    /// node used to keep in memory and another node must see (an Elastic Path access token,
    /// prepared shipping rates). Secrets are stored as digests (`secret_key`).
    pub async fn remember_until(
        &self,
        kind: &'static str,
        key: String,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        each!(self, s => s.remember_until(kind, key, expires_at).await)
    }

    /// Whether `key` of `kind` is remembered and has not expired at `now`.
    pub async fn is_remembered(
        &self,
        kind: &'static str,
        key: String,
        now: i64,
    ) -> Result<bool, StoreError> {
        each!(self, s => s.is_remembered(kind, key, now).await)
    }
}

/// The stored form of a secret such as a bearer token: its SHA-256, hex. A reader of the
/// database cannot present it.
pub fn secret_key(secret: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A panic's message, as a store error (a bug in a command must not stop the store).
fn panicked(panic: Box<dyn std::any::Any + Send>) -> StoreError {
    let message = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown cause".into());
    StoreError::Task(format!("a write panicked: {message}"))
}

/// The shop's currency, for carts a store creates: set when the catalog is synced, shared by
/// the store's clones. Both backends keep one.
#[derive(Debug, Clone)]
pub(crate) struct ShopCurrency(Arc<std::sync::RwLock<String>>);

impl Default for ShopCurrency {
    fn default() -> Self {
        ShopCurrency(Arc::new(std::sync::RwLock::new("USD".into())))
    }
}

impl ShopCurrency {
    pub(crate) fn set_from(&self, catalog: &Catalog) {
        if let Ok(mut currency) = self.0.write() {
            currency.clone_from(&catalog.shop().currency);
        }
    }

    pub(crate) fn get(&self) -> String {
        self.0
            .read()
            .map(|c| c.clone())
            .unwrap_or_else(|_| "USD".into())
    }
}
