//! The PostgreSQL store: many vitrine nodes over one database.
//!
//! Every cart mutation is one transaction that first locks the cart's row
//! (`SELECT ... FOR UPDATE`; a new cart is reserved with `INSERT ... ON CONFLICT DO NOTHING`
//! and then locked), runs the command on the cart as the database holds it, writes the
//! changed rows and commits before the caller is answered. Writers of one cart, on any node,
//! take turns on that lock. A node remembers the carts it last read or wrote, but only to skip
//! re-reading lines the database confirms are unchanged (`pg_carts::load`): no node answers
//! from a stale copy. `BEGIN` goes out with the lock and `COMMIT` with the writes, so a
//! mutation is two round trips. A serialization failure or deadlock (SQLSTATE 40001 / 40P01) met before the
//! command ran is retried with a bounded, jittered backoff; after it ran (the command is
//! `FnOnce`), the caller gets `StoreError::Conflict`, which answers 503, and nothing was
//! written.
//!
//! Every wait is bounded by `PgOptions::timeout` (a connection from the pool, a new
//! connection, a whole operation): a database that is down or stalled answers 503, never a
//! hang. Dead connections are dropped by the pool, so a node recovers by itself once the
//! database is back.

use super::ShopCurrency;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod, Runtime};
use tokio_postgres::error::SqlState;

use super::pg_tls;
use super::target::PgOptions;
use super::{
    AfterCommand, IfMissing, MutateError, Mutation, StoreError, catalog_seed, pg_carts, pg_schema,
};
use crate::cart::Cart;
use crate::catalog::Catalog;

use super::retry::{MAX_ATTEMPTS, backoff};

#[derive(Clone)]
pub struct PgStore {
    pool: Pool,
    options: Arc<PgOptions>,
    /// The carts this node last read or committed, checked against the database on each use.
    known: Arc<KnownCarts>,
    /// The shop's currency, for carts the store creates (set when the catalog is synced).
    currency: ShopCurrency,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("database", &self.options.redacted())
            .finish()
    }
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(e: tokio_postgres::Error) -> Self {
        classify(&e)
    }
}

impl From<deadpool_postgres::PoolError> for StoreError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        use deadpool_postgres::PoolError;
        match e {
            PoolError::Backend(e) => classify(&e),
            PoolError::Timeout(_) => {
                StoreError::Unavailable("no database connection in time".into())
            }
            other => StoreError::Unavailable(other.to_string()),
        }
    }
}

/// Sorts a client error into what the caller can do about it. The text is the client's own
/// (server messages and I/O errors); it never holds the connection's password.
fn classify(e: &tokio_postgres::Error) -> StoreError {
    let text = describe(e);
    match e.code() {
        Some(code)
            if *code == SqlState::T_R_SERIALIZATION_FAILURE
                || *code == SqlState::T_R_DEADLOCK_DETECTED =>
        {
            StoreError::Conflict(text)
        }
        Some(code) if unavailable_state(code) => StoreError::Unavailable(text),
        Some(_) => StoreError::Postgres(text),
        None => {
            let io = std::error::Error::source(e).is_some_and(|s| s.is::<std::io::Error>());
            if e.is_closed() || io || text.contains("timeout") {
                StoreError::Unavailable(text)
            } else {
                StoreError::Postgres(text)
            }
        }
    }
}

/// The client's error with its cause: "db error" alone says nothing.
fn describe(e: &tokio_postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        return format!("{} {}: {}", db.severity(), db.code().code(), db.message());
    }
    match std::error::Error::source(e) {
        Some(cause) => format!("{e}: {cause}"),
        None => e.to_string(),
    }
}

/// Connection exceptions (class 08), refused credentials (class 28: a rotated password is an
/// outage to visitors), a server shutting down or starting (57P01-57P03), too many
/// connections and other resource limits (class 53).
fn unavailable_state(code: &SqlState) -> bool {
    let code = code.code();
    code.starts_with("08")
        || code.starts_with("28")
        || code.starts_with("53")
        || matches!(code, "57P01" | "57P02" | "57P03")
}

impl PgStore {
    /// Connects, then brings the schema up to date (every node does; see `pg_schema`).
    pub async fn open(options: &PgOptions) -> Result<PgStore, StoreError> {
        let pool = build_pool(options, options.pool_size)?;
        let store = PgStore {
            pool,
            options: Arc::new(options.clone()),
            known: Arc::new(KnownCarts::new()),
            currency: ShopCurrency::default(),
        };
        let mut client = store.pool.get().await?;
        let client: &mut tokio_postgres::Client = &mut client;
        pg_schema::migrate(client).await?;
        tracing::info!(database = %options.redacted(), "using PostgreSQL");
        Ok(store)
    }

    pub fn options(&self) -> &PgOptions {
        &self.options
    }

    async fn client(&self) -> Result<Object, StoreError> {
        Ok(self.pool.get().await?)
    }

    /// Runs `work`, bounded by the operation timeout.
    async fn bounded<T>(
        &self,
        work: impl std::future::Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        tokio::time::timeout(self.options.timeout, work)
            .await
            .unwrap_or_else(|_| {
                Err(StoreError::Unavailable(
                    "the database did not answer in time".into(),
                ))
            })
    }

    /// Runs an idempotent operation, again after a serialization failure or deadlock.
    async fn retried<T, F, Fut>(&self, mut work: F) -> Result<T, StoreError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, StoreError>>,
    {
        let mut attempt = 0;
        loop {
            match self.bounded(work()).await {
                Err(StoreError::Conflict(_)) if attempt + 1 < MAX_ATTEMPTS => {
                    attempt += 1;
                    tokio::time::sleep(backoff(attempt)).await;
                }
                other => return other,
            }
        }
    }

    /// Whether the database answers now (for `/healthz`).
    pub async fn check(&self) -> Result<(), StoreError> {
        self.bounded(async {
            let client = self.client().await?;
            client.simple_query("SELECT 1").await?;
            Ok(())
        })
        .await
    }

    /// Loads the catalog from `data_dir` into the database when its files changed (or on
    /// first run), then returns the catalog as stored. Blocks: it runs on a thread and a
    /// connection of its own, so it works from any context, inside a runtime or not.
    pub fn sync_catalog(&self, data_dir: &Path) -> Result<Catalog, StoreError> {
        let files = catalog_seed::read_files(data_dir)?;
        let options = self.options.clone();
        let catalog = on_own_thread(move || async move {
            let mut client = connect_once(&options).await?;
            let mut attempt = 0;
            loop {
                match sync_catalog_once(&mut client, &files).await {
                    Err(StoreError::Conflict(_)) if attempt + 1 < MAX_ATTEMPTS => {
                        attempt += 1;
                        tokio::time::sleep(backoff(attempt)).await;
                    }
                    Err(e) => return Err(e),
                    Ok(()) => break,
                }
            }
            load_catalog(&client).await
        })?;
        self.currency.set_from(&catalog);
        Ok(catalog)
    }

    fn currency(&self) -> String {
        self.currency.get()
    }

    pub async fn cart(&self, id: &str) -> Result<Option<Cart>, StoreError> {
        let known = self.known.get(id);
        let cart = self
            .bounded(async {
                // One snapshot for the row and its lines (two statements), in one round trip:
                // `BEGIN`, both queries and `COMMIT` go out together, in that order.
                let tx = InTransaction::begin(self.client().await?);
                let client = tx.client();
                let statements = pg_carts::prepare_load(client, false).await?;
                let (begun, loaded, committed) = tokio::join!(
                    client.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY"),
                    pg_carts::load_prepared(client, &statements, id, known.as_deref()),
                    client.batch_execute("COMMIT")
                );
                begun?;
                let loaded = loaded?;
                committed?;
                tx.ended();
                Ok(loaded)
            })
            .await?;
        match &cart {
            Some(cart) => self.known.remember(cart),
            None => self.known.forget(id),
        }
        Ok(cart)
    }

    /// Runs `command` on the cart, as the database holds it, under the cart's row lock; on
    /// `Ok` the result is committed before this returns, on `Err` nothing is written.
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
        let currency = self.currency();
        let mut command = Some(command);
        let mut attempt = 0;
        loop {
            let tried = tokio::time::timeout(
                self.options.timeout,
                mutate_once(self, id, &currency, if_missing, &mut command),
            )
            .await
            .unwrap_or_else(|_| {
                Err(MutateError::Store(StoreError::Unavailable(
                    "the database did not answer in time".into(),
                )))
            });
            match tried {
                // Retried only while the command has not run: it is `FnOnce`, and a write
                // the server refused was rolled back whole.
                Err(MutateError::Store(e))
                    if command.is_some()
                        && retryable(&e, attempt)
                        && attempt + 1 < MAX_ATTEMPTS =>
                {
                    attempt += 1;
                    tokio::time::sleep(backoff(attempt)).await;
                }
                other => return other,
            }
        }
    }

    pub async fn delete_cart(&self, id: &str) -> Result<bool, StoreError> {
        self.known.forget(id);
        self.retried(|| async {
            let client = self.client().await?;
            pg_carts::delete(&client, id).await
        })
        .await
    }

    pub async fn delete_carts_untouched_since(
        &self,
        before: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        self.retried(|| async {
            let client = self.client().await?;
            let n = client
                .execute("DELETE FROM carts WHERE updated_at < $1", &[&before])
                .await?;
            Ok(usize::try_from(n).unwrap_or(usize::MAX))
        })
        .await
    }

    pub async fn count_carts(&self) -> Result<i64, StoreError> {
        self.bounded(async {
            let client = self.client().await?;
            let row = client.query_one("SELECT count(*) FROM carts", &[]).await?;
            Ok(row.try_get(0)?)
        })
        .await
    }

    /// Writes many carts in one transaction (benchmark fixtures). Blocks, like
    /// `sync_catalog`.
    pub fn insert_carts(&self, carts: &[Cart]) -> Result<(), StoreError> {
        let carts = carts.to_vec();
        let options = self.options.clone();
        on_own_thread(move || async move {
            let pool = build_pool(&options, 1)?;
            let mut client = pool.get().await?;
            let tx = client.transaction().await?;
            for cart in &carts {
                pg_carts::reserve(&tx, cart).await?;
                pg_carts::save(&tx, cart, None, pg_carts::ThenCommit::No).await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    pub async fn insert_new_session(
        &self,
        id: String,
        data: Vec<u8>,
        expiry: i64,
    ) -> Result<bool, StoreError> {
        self.bounded(async {
            let client = self.client().await?;
            let stmt = client
                .prepare_cached(
                    "INSERT INTO tower_sessions (id, data, expiry_date) VALUES ($1, $2, $3)
                     ON CONFLICT (id) DO NOTHING",
                )
                .await?;
            Ok(client.execute(&stmt, &[&id, &data, &expiry]).await? == 1)
        })
        .await
    }

    pub async fn save_session(
        &self,
        id: String,
        data: Vec<u8>,
        expiry: i64,
    ) -> Result<(), StoreError> {
        self.retried(|| async {
            let client = self.client().await?;
            let stmt = client
                .prepare_cached(
                    "INSERT INTO tower_sessions (id, data, expiry_date) VALUES ($1, $2, $3)
                     ON CONFLICT (id) DO UPDATE SET data = excluded.data,
                         expiry_date = excluded.expiry_date",
                )
                .await?;
            client.execute(&stmt, &[&id, &data, &expiry]).await?;
            Ok(())
        })
        .await
    }

    pub async fn session(&self, id: String, now: i64) -> Result<Option<Vec<u8>>, StoreError> {
        self.bounded(async {
            let client = self.client().await?;
            let stmt = client
                .prepare_cached(
                    "SELECT data FROM tower_sessions WHERE id = $1 AND expiry_date > $2",
                )
                .await?;
            let row = client.query_opt(&stmt, &[&id, &now]).await?;
            Ok(match row {
                Some(row) => Some(row.try_get(0)?),
                None => None,
            })
        })
        .await
    }

    pub async fn delete_session(&self, id: String) -> Result<(), StoreError> {
        self.retried(|| async {
            let client = self.client().await?;
            client
                .execute("DELETE FROM tower_sessions WHERE id = $1", &[&id])
                .await?;
            Ok(())
        })
        .await
    }

    pub async fn remember_until(
        &self,
        kind: &'static str,
        key: String,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        self.retried(|| async {
            let client = self.client().await?;
            let stmt = client
                .prepare_cached(
                    "INSERT INTO expiring_keys (kind, key, expires_at) VALUES ($1, $2, $3)
                     ON CONFLICT (kind, key) DO UPDATE SET expires_at = excluded.expires_at",
                )
                .await?;
            client.execute(&stmt, &[&kind, &key, &expires_at]).await?;
            Ok(())
        })
        .await
    }

    pub async fn is_remembered(
        &self,
        kind: &'static str,
        key: String,
        now: i64,
    ) -> Result<bool, StoreError> {
        self.bounded(async {
            let client = self.client().await?;
            let stmt = client
                .prepare_cached(
                    "SELECT 1 FROM expiring_keys WHERE kind = $1 AND key = $2 AND expires_at > $3",
                )
                .await?;
            Ok(client
                .query_opt(&stmt, &[&kind, &key, &now])
                .await?
                .is_some())
        })
        .await
    }

    pub async fn delete_expired_sessions(&self, now: i64) -> Result<usize, StoreError> {
        self.retried(|| async {
            let client = self.client().await?;
            client
                .execute("DELETE FROM expiring_keys WHERE expires_at <= $1", &[&now])
                .await?;
            let n = client
                .execute("DELETE FROM tower_sessions WHERE expiry_date < $1", &[&now])
                .await?;
            Ok(usize::try_from(n).unwrap_or(usize::MAX))
        })
        .await
    }
}

/// Whether a failed attempt (whose command did not run) is worth another: a serialization
/// failure or deadlock, or a lost connection once (the pool may have handed out one the
/// server had just closed).
fn retryable(e: &StoreError, attempt: u32) -> bool {
    match e {
        StoreError::Conflict(_) => true,
        StoreError::Unavailable(_) => attempt < 1,
        _ => false,
    }
}

/// One attempt at a mutation. `command` is taken only once the cart's row is locked.
async fn mutate_once<T, E, F>(
    store: &PgStore,
    id: &str,
    currency: &str,
    if_missing: IfMissing,
    command: &mut Option<F>,
) -> Result<Mutation<T>, MutateError<E>>
where
    F: FnOnce(&mut Cart) -> Result<(T, AfterCommand), E>,
{
    let now = Utc::now();
    let known = store.known.get(id);
    let tx = InTransaction::begin(store.client().await?);
    let client = tx.client();
    // `BEGIN` is sent on its first poll, before the lock: one round trip for both.
    let (begun, loaded) = tokio::join!(
        client.batch_execute("BEGIN"),
        pg_carts::load(client, id, true, known.as_deref())
    );
    begun.map_err(StoreError::from)?;
    let before = match loaded? {
        Some(cart) => Some(cart),
        None if if_missing == IfMissing::Fail => {
            tx.rollback().await;
            store.known.forget(id);
            return Err(MutateError::NotFound);
        }
        None => {
            let fresh = Cart::new(id.to_string(), currency, now);
            if pg_carts::reserve(client, &fresh).await? {
                None
            } else {
                // Another node created it meanwhile: lock and read theirs. Gone again
                // (deleted in between): let the caller try once more.
                match pg_carts::load(client, id, true, None).await? {
                    Some(cart) => Some(cart),
                    None => {
                        tx.rollback().await;
                        return Err(MutateError::Store(StoreError::Conflict(
                            "the cart was created and deleted meanwhile".into(),
                        )));
                    }
                }
            }
        }
    };
    let Some(command) = command.take() else {
        tx.rollback().await;
        return Err(MutateError::Store(StoreError::Task(
            "a mutation ran twice".into(),
        )));
    };
    let mut cart = match &before {
        Some(cart) => cart.clone(),
        None => Cart::new(id.to_string(), currency, now),
    };
    let ran = catch_unwind(AssertUnwindSafe(|| command(&mut cart)));
    let (value, after) = match ran {
        Ok(Ok(done)) => done,
        Ok(Err(e)) => {
            // Nothing was written but the reserved row, which this takes back.
            tx.rollback().await;
            return Err(MutateError::Command(e));
        }
        Err(panic) => {
            tx.rollback().await;
            return Err(MutateError::Store(super::panicked(panic)));
        }
    };
    let delete = match after {
        AfterCommand::Save => false,
        AfterCommand::DeleteIfEmpty => cart.lines.is_empty(),
        AfterCommand::Delete => true,
    };
    if delete {
        store.known.forget(id);
        let deleted = pg_carts::delete_and_commit(client, id).await;
        if deleted.is_ok() {
            tx.ended();
        }
        deleted?;
        return Ok(Mutation { value, cart: None });
    }
    cart.bump(now);
    let saved = pg_carts::save(client, &cart, before.as_ref(), pg_carts::ThenCommit::Yes).await;
    if let Err(e) = saved {
        // The transaction may still be open: the connection closes with `tx`.
        store.known.forget(id);
        return Err(e.into());
    }
    tx.ended();
    let cart = Arc::new(cart);
    store.known.remember_shared(&cart);
    Ok(Mutation {
        value,
        cart: Some(cart),
    })
}

/// A pooled connection in a transaction opened with a pipelined `BEGIN` (so without
/// tokio-postgres's `Transaction`, which waits for the `BEGIN`). Dropped before the transaction
/// ended (the operation timed out, or its future was dropped), the connection leaves the pool
/// and closes, and the server rolls the transaction back: no later request can find it open.
struct InTransaction {
    client: Option<Object>,
}

impl InTransaction {
    fn begin(client: Object) -> Self {
        InTransaction {
            client: Some(client),
        }
    }

    fn client(&self) -> &Object {
        match &self.client {
            Some(client) => client,
            // `ended` and `rollback` take `self`, so the client is there while `self` lives.
            None => unreachable!("the transaction's connection is gone"),
        }
    }

    /// The `COMMIT` or `ROLLBACK` was answered: the connection goes back to the pool.
    fn ended(mut self) {
        self.client.take();
    }

    /// Rolls back; a connection that cannot is closed instead (by `Drop`).
    async fn rollback(self) {
        if self.client().batch_execute("ROLLBACK").await.is_ok() {
            self.ended();
        }
    }
}

impl Drop for InTransaction {
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            drop(Object::take(client));
        }
    }
}

/// The carts this node last read or committed, with their lines: what `pg_carts::load` may
/// reuse when the database confirms the version. Bounded; long carts are not kept.
struct KnownCarts {
    carts: quick_cache::sync::Cache<String, Arc<Cart>>,
}

/// Carts kept per node, and the longest kept (bounds the memory: 4,096 carts of 64 lines).
const KNOWN_CARTS: usize = 4096;
const KNOWN_MAX_LINES: usize = 64;

impl KnownCarts {
    fn new() -> Self {
        KnownCarts {
            carts: quick_cache::sync::Cache::new(KNOWN_CARTS),
        }
    }

    fn get(&self, id: &str) -> Option<Arc<Cart>> {
        self.carts.get(id)
    }

    fn remember(&self, cart: &Cart) {
        if cart.lines.len() <= KNOWN_MAX_LINES {
            self.carts.insert(cart.id.clone(), Arc::new(cart.clone()));
        }
    }

    fn remember_shared(&self, cart: &Arc<Cart>) {
        if cart.lines.len() <= KNOWN_MAX_LINES {
            self.carts.insert(cart.id.clone(), cart.clone());
        }
    }

    fn forget(&self, id: &str) {
        self.carts.remove(id);
    }
}

async fn sync_catalog_once(
    client: &mut tokio_postgres::Client,
    files: &catalog_seed::Files,
) -> Result<(), StoreError> {
    let tx = client.transaction().await?;
    // Lock the digest row, so nodes starting together seed one after another.
    tx.execute(
        "INSERT INTO meta (key, value) VALUES ('catalog_digest', '') ON CONFLICT (key) DO NOTHING",
        &[],
    )
    .await?;
    let seeded: String = tx
        .query_one(
            "SELECT value FROM meta WHERE key = 'catalog_digest' FOR UPDATE",
            &[],
        )
        .await?
        .try_get(0)?;
    if seeded == files.digest {
        tx.rollback().await?;
        return Ok(());
    }
    let docs = files.docs()?;
    tx.execute("DELETE FROM catalog", &[]).await?;
    let insert = tx
        .prepare("INSERT INTO catalog (kind, key, position, doc) VALUES ($1, $2, $3, $4)")
        .await?;
    for doc in &docs {
        tx.execute(&insert, &[&doc.kind, &doc.key, &doc.position, &doc.json])
            .await?;
    }
    tx.execute(
        "UPDATE meta SET value = $1 WHERE key = 'catalog_digest'",
        &[&files.digest],
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

async fn load_catalog(client: &tokio_postgres::Client) -> Result<Catalog, StoreError> {
    let rows = client
        .query(
            "SELECT kind, key, doc FROM catalog ORDER BY kind, position",
            &[],
        )
        .await?;
    let mut by_kind: std::collections::HashMap<String, Vec<(String, String)>> =
        std::collections::HashMap::new();
    for row in rows {
        let kind: String = row.try_get(0)?;
        by_kind
            .entry(kind)
            .or_default()
            .push((row.try_get(1)?, row.try_get(2)?));
    }
    Ok(catalog_seed::assemble(|kind| {
        Ok(by_kind.remove(kind).unwrap_or_default())
    })?)
}

fn build_pool(options: &PgOptions, size: usize) -> Result<Pool, StoreError> {
    let manager = Manager::from_config(
        options.config.clone(),
        pg_tls::connector(options)?,
        ManagerConfig {
            // A connection the server closed is seen as closed and replaced; checking each
            // with a query first would cost a round trip per request.
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Pool::builder(manager)
        .max_size(size.max(1))
        .runtime(Runtime::Tokio1)
        .wait_timeout(Some(options.timeout))
        .create_timeout(Some(options.timeout))
        .recycle_timeout(Some(options.timeout))
        .build()
        .map_err(|e| StoreError::Task(format!("cannot build the connection pool: {e}")))
}

/// One connection outside the pool, for work done on a thread of its own.
async fn connect_once(options: &PgOptions) -> Result<tokio_postgres::Client, StoreError> {
    let (client, connection) = options.config.connect(pg_tls::connector(options)?).await?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::debug!(error = %e, "a start-up database connection ended");
        }
    });
    Ok(client)
}

/// Runs `work` on a new thread with a runtime of its own, and waits for it: for the store's
/// few blocking methods, callable from inside a runtime or outside one.
fn on_own_thread<T, F, Fut>(work: F) -> Result<T, StoreError>
where
    T: Send + 'static,
    F: FnOnce() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<T, StoreError>>,
{
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| StoreError::Task(format!("cannot start a runtime: {e}")))?;
                runtime.block_on(work())
            })
            .join()
            .unwrap_or_else(|panic| Err(super::panicked(panic)))
    })
}
