//! The SQLite store: schema, connections, and the write path for cart mutations.
//!
//! WAL mode with `synchronous=NORMAL`: a committed transaction survives a process crash. All
//! writes go through one connection owned by one thread and run in arrival order, so mutations
//! are serialized (no lost updates, never "database is locked" between our own writers). Reads
//! use a small pool of separate connections and never wait for the writer.

use super::ShopCurrency;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use rusqlite::Connection;

use crate::cart::Cart;
use crate::catalog::Catalog;

use super::checkpoint::{self, Checkpointer};
use super::pool::ReaderPool;
use super::writer::{Tx, Writer};
use super::{AfterCommand, IfMissing, MutateError, Mutation, StoreError};
use super::{carts, catalog_seed, sessions};

#[derive(Clone)]
pub struct SqliteStore {
    writer: Arc<Writer>,
    readers: Arc<ReaderPool>,
    path: PathBuf,
    /// The shop's currency, for carts the store creates (set when the catalog is synced).
    currency: ShopCurrency,
    _checkpointer: Arc<Checkpointer>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish()
    }
}

pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS carts (
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    note TEXT,
    attributes TEXT NOT NULL,
    discount_codes TEXT NOT NULL,
    currency TEXT NOT NULL,
    locale TEXT,
    name TEXT,
    description TEXT,
    email TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS carts_updated_at ON carts(updated_at);
CREATE TABLE IF NOT EXISTS cart_lines (
    cart_id TEXT NOT NULL REFERENCES carts(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    id TEXT NOT NULL,
    item TEXT NOT NULL,
    quantity INTEGER NOT NULL,
    properties TEXT NOT NULL,
    price_override INTEGER,
    extras TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (cart_id, position)
) STRICT;
CREATE TABLE IF NOT EXISTS catalog (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    position INTEGER NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (kind, key)
) STRICT;
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;
";

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.execute_batch(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    )?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(())
}

impl SqliteStore {
    /// Opens (creating if needed) the database and brings the schema up to date.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        if let Some(dir) = path.parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir).map_err(|e| {
                StoreError::Corrupt(format!("cannot create {}: {e}", dir.display()))
            })?;
        }
        let writer = Connection::open(path)?;
        configure(&writer)?;
        writer.execute_batch(SCHEMA)?;
        writer.execute_batch(sessions::SCHEMA)?;
        writer.pragma_update(
            None,
            "wal_autocheckpoint",
            checkpoint::WRITER_AUTOCHECKPOINT_PAGES,
        )?;
        let readers = ReaderPool::new(path.to_path_buf());
        Ok(SqliteStore {
            writer: Arc::new(Writer::start(writer)?),
            readers: Arc::new(readers),
            path: path.to_path_buf(),
            currency: ShopCurrency::default(),
            _checkpointer: Arc::new(Checkpointer::start(path)?),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Loads the catalog from `data_dir` into the database when its files changed (or on first
    /// run), then returns the catalog as stored. Carts are never touched.
    pub fn sync_catalog(&self, data_dir: &Path) -> Result<Catalog, StoreError> {
        let data_dir = data_dir.to_path_buf();
        let catalog = self.writer.run_alone(move |conn| {
            catalog_seed::sync(conn, &data_dir)?;
            Ok(catalog_seed::load(conn)?)
        })?;
        self.currency.set_from(&catalog);
        Ok(catalog)
    }

    fn currency(&self) -> String {
        self.currency.get()
    }

    /// The cart with this id, if it exists.
    pub async fn cart(&self, id: &str) -> Result<Option<Cart>, StoreError> {
        let readers = self.readers.clone();
        let id = id.to_string();
        run_blocking(move || readers.with(|conn| carts::load(conn, &id))).await
    }

    /// Runs `command` on the cart in a write transaction (shared with the writes queued at the
    /// same moment, each in its own savepoint). On `Ok` the cart's version moves on and the
    /// result is committed before this returns; on `Err` nothing is written.
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
        let id = id.to_string();
        self.writer
            .run(move |tx| mutate_in_tx(tx, &currency, &id, if_missing, command))
            .await
    }

    /// Deletes a cart. Returns whether it existed.
    pub async fn delete_cart(&self, id: &str) -> Result<bool, StoreError> {
        let id = id.to_string();
        self.writer
            .run(move |tx| {
                let deleted = carts::delete(tx.conn, &id)?;
                tx.carts.stage(&id, None);
                Ok(deleted)
            })
            .await
    }

    /// Removes carts untouched since `before`. Returns how many went.
    pub async fn delete_carts_untouched_since(
        &self,
        before: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        self.writer
            .run(move |tx| {
                let deleted = carts::delete_untouched_since(tx.conn, before)?;
                tx.carts.stage_clear();
                Ok(deleted)
            })
            .await
    }

    /// Number of carts stored (for the benchmark and tests).
    pub async fn count_carts(&self) -> Result<i64, StoreError> {
        let readers = self.readers.clone();
        run_blocking(move || {
            readers.with(|conn| conn.query_row("SELECT count(*) FROM carts", [], |r| r.get(0)))
        })
        .await
    }

    /// Writes many carts in one transaction (benchmark fixtures).
    pub fn insert_carts(&self, carts: &[Cart]) -> Result<(), StoreError> {
        let carts = carts.to_vec();
        self.writer.run_alone(move |conn| {
            let tx = conn.transaction()?;
            for cart in &carts {
                carts::save(&tx, cart, None)?;
            }
            tx.commit()?;
            Ok(())
        })
    }
}

/// Session rows (see `crate::sessions`): written through the writer like carts, so a visitor's
/// first request never races a cart commit; read from the pool.
impl SqliteStore {
    /// Stores a new session unless its id is taken. Returns whether it was stored.
    pub async fn insert_new_session(
        &self,
        id: String,
        data: Vec<u8>,
        expiry: i64,
    ) -> Result<bool, StoreError> {
        self.writer
            .run(move |tx| Ok(sessions::insert_new(tx.conn, &id, &data, expiry)?))
            .await
    }

    pub async fn save_session(
        &self,
        id: String,
        data: Vec<u8>,
        expiry: i64,
    ) -> Result<(), StoreError> {
        self.writer
            .run(move |tx| Ok(sessions::save(tx.conn, &id, &data, expiry)?))
            .await
    }

    /// The encoded record of a session that has not expired at `now` (unix seconds).
    pub async fn session(&self, id: String, now: i64) -> Result<Option<Vec<u8>>, StoreError> {
        let readers = self.readers.clone();
        run_blocking(move || readers.with(|conn| sessions::load(conn, &id, now))).await
    }

    pub async fn delete_session(&self, id: String) -> Result<(), StoreError> {
        self.writer
            .run(move |tx| Ok(sessions::delete(tx.conn, &id)?))
            .await
    }

    /// Removes sessions expired before `now` (unix seconds), and expired keys. Returns how
    /// many sessions went.
    pub async fn delete_expired_sessions(&self, now: i64) -> Result<usize, StoreError> {
        self.writer
            .run(move |tx| {
                sessions::forget_expired_keys(tx.conn, now)?;
                Ok(sessions::delete_expired(tx.conn, now)?)
            })
            .await
    }

    pub async fn remember_until(
        &self,
        kind: &'static str,
        key: String,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        self.writer
            .run(move |tx| Ok(sessions::remember_until(tx.conn, kind, &key, expires_at)?))
            .await
    }

    pub async fn is_remembered(
        &self,
        kind: &'static str,
        key: String,
        now: i64,
    ) -> Result<bool, StoreError> {
        let readers = self.readers.clone();
        run_blocking(move || readers.with(|conn| sessions::is_remembered(conn, kind, &key, now)))
            .await
    }
}

/// Runs in the writer's transaction, in a savepoint of its own: returning `Err` rolls back
/// whatever was written here.
pub(super) fn mutate_in_tx<T, E, F>(
    tx: &mut Tx<'_>,
    currency: &str,
    id: &str,
    if_missing: IfMissing,
    command: F,
) -> Result<Mutation<T>, MutateError<E>>
where
    F: FnOnce(&mut Cart) -> Result<(T, AfterCommand), E>,
{
    let now = Utc::now();
    let conn = tx.conn;
    let before = match tx.carts.take(id) {
        Some(cart) => Some(cart),
        None => carts::load(conn, id)
            .map_err(StoreError::from)?
            .map(Arc::new),
    };
    let mut cart = match &before {
        Some(cart) => Cart::clone(cart),
        None if if_missing == IfMissing::Create => Cart::new(id.to_string(), currency, now),
        None => return Err(MutateError::NotFound),
    };
    // The command runs on this copy; on Err nothing was written.
    let (value, after) = command(&mut cart).map_err(MutateError::Command)?;
    let delete = match after {
        AfterCommand::Save => false,
        AfterCommand::DeleteIfEmpty => cart.lines.is_empty(),
        AfterCommand::Delete => true,
    };
    if delete {
        carts::delete(conn, id).map_err(StoreError::from)?;
        tx.carts.stage(id, None);
        return Ok(Mutation { value, cart: None });
    }
    cart.bump(now);
    carts::save(conn, &cart, before.as_deref()).map_err(StoreError::from)?;
    let cart = Arc::new(cart);
    tx.carts.stage(id, Some(&cart));
    Ok(Mutation {
        value,
        cart: Some(cart),
    })
}

async fn run_blocking<T, F>(f: F) -> Result<T, StoreError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, StoreError> + Send + 'static,
{
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| StoreError::Task(e.to_string()))?
}

#[cfg(test)]
mod tests {
    use super::*;

    mod statement_count {
        //! Reading a cart, and writing one line of it, cost the same number of SQL statements
        //! whatever the number of lines: no statement per line (N+1) on the hot paths.

        use std::cell::Cell;

        use rusqlite::trace::{TraceEvent, TraceEventCodes};

        use super::*;
        use crate::cart::{Line, LineItem};
        use crate::store::cart_cache::CartCache;

        thread_local! {
            // The test runs every statement on its own thread, so a thread-local counter sees
            // only its own, whatever other tests run beside it.
            static STATEMENTS: Cell<usize> = const { Cell::new(0) };
        }

        fn count(event: TraceEvent<'_>) {
            if let TraceEvent::Stmt(_, sql) = event
                // Trigger sub-programs are reported as comments; they are not statements.
                && !sql.starts_with("--")
            {
                STATEMENTS.with(|n| n.set(n.get() + 1));
            }
        }

        fn statements_of(conn: &Connection, work: impl FnOnce(&Connection)) -> usize {
            STATEMENTS.with(|n| n.set(0));
            conn.trace_v2(TraceEventCodes::SQLITE_TRACE_STMT, Some(count));
            work(conn);
            conn.trace_v2(TraceEventCodes::SQLITE_TRACE_STMT, None);
            STATEMENTS.with(Cell::get)
        }

        fn line(variant_id: i64) -> Line {
            let item = LineItem::Variant {
                variant_id,
                selling_plan: None,
                parent_id: None,
            };
            Line::new(item, 1, Utc::now())
        }

        fn database_with_cart(id: &str, lines: i64) -> Connection {
            let conn = Connection::open_in_memory().expect("open");
            conn.execute_batch(SCHEMA).expect("schema");
            let mut cart = Cart::new(id.into(), "USD", Utc::now());
            cart.lines = (1..=lines).map(line).collect();
            carts::save(&conn, &cart, None).expect("save");
            conn
        }

        fn load(conn: &Connection, id: &str) {
            carts::load(conn, id).expect("load").expect("cart exists");
        }

        fn mutate(
            conn: &Connection,
            carts: &mut CartCache,
            id: &str,
            command: impl FnOnce(&mut Cart),
        ) {
            let mut tx = Tx { conn, carts };
            mutate_in_tx(&mut tx, "USD", id, IfMissing::Fail, |cart| {
                command(cart);
                Ok::<_, ()>(((), AfterCommand::Save))
            })
            .expect("mutation");
            carts.committed();
        }

        #[test]
        fn reading_a_cart_is_two_statements_for_one_line_or_five_hundred() {
            for lines in [1, 10, 500] {
                let conn = database_with_cart("c", lines);
                assert_eq!(statements_of(&conn, |c| load(c, "c")), 2, "{lines} lines");
            }
        }

        #[test]
        fn adding_or_changing_a_line_costs_the_same_on_a_long_cart() {
            // The first write of a cart reads it (2 statements), then writes the cart row and
            // the one line (2); the next starts from the writer's cache. A cart too long for
            // the cache is read each time, still in two statements.
            let add = |lines| {
                let conn = database_with_cart("c", lines);
                let mut carts = CartCache::default();
                let push = |cart: &mut Cart| cart.lines.push(line(999));
                let first = statements_of(&conn, |c| mutate(c, &mut carts, "c", push));
                let next = statements_of(&conn, |c| mutate(c, &mut carts, "c", push));
                (first, next)
            };
            let change = |lines| {
                let conn = database_with_cart("c", lines);
                let mut carts = CartCache::default();
                let bump = |cart: &mut Cart| cart.lines[0].quantity += 1;
                let first = statements_of(&conn, |c| mutate(c, &mut carts, "c", bump));
                let next = statements_of(&conn, |c| mutate(c, &mut carts, "c", bump));
                (first, next)
            };
            assert_eq!(add(10), (4, 2));
            assert_eq!(change(10), (4, 2));
            assert_eq!(add(400), (4, 4));
            assert_eq!(change(400), (4, 4));
        }
    }

    #[tokio::test]
    async fn a_panicking_command_does_not_stop_later_writes() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqliteStore::open(&dir.path().join("store.db")).expect("open");
        let panicked = store
            .mutate(
                "cart",
                IfMissing::Create,
                |_cart| -> Result<((), AfterCommand), ()> { panic!("a bug in a command") },
            )
            .await;
        assert!(matches!(
            panicked,
            Err(MutateError::Store(StoreError::Task(_)))
        ));
        let saved = store
            .mutate("cart", IfMissing::Create, |cart| {
                cart.note = Some("still writable".into());
                Ok::<_, ()>(((), AfterCommand::Save))
            })
            .await;
        assert!(saved.is_ok(), "{saved:?}");
        let cart = store.cart("cart").await.expect("read").expect("saved");
        assert_eq!(cart.note.as_deref(), Some("still writable"));
        assert_eq!(cart.version, 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn writes_committed_together_stand_or_fall_alone() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqliteStore::open(&dir.path().join("store.db")).expect("open");
        // Hold the writer so that the next writes queue up and share one transaction.
        let (release, held) = std::sync::mpsc::channel::<()>();
        let (started, holding) = std::sync::mpsc::channel::<()>();
        let writer = store.writer.clone();
        let holder = std::thread::spawn(move || {
            writer.run_alone(move |_| {
                let _ = started.send(());
                let _ = held.recv();
                Ok(())
            })
        });
        tokio::task::spawn_blocking(move || holding.recv())
            .await
            .expect("join")
            .expect("holding");

        let note = |text: &'static str| {
            move |cart: &mut Cart| {
                cart.note = Some(text.into());
                Ok::<_, ()>(((), AfterCommand::Save))
            }
        };
        let pause = || tokio::time::sleep(std::time::Duration::from_millis(20));
        let mut answers = Vec::new();
        let s = store.clone();
        answers.push(tokio::spawn(async move {
            s.mutate("kept", IfMissing::Create, note("first"))
                .await
                .is_ok()
        }));
        pause().await;
        let s = store.clone();
        answers.push(tokio::spawn(async move {
            let refused = s
                .mutate("kept", IfMissing::Create, |cart| {
                    cart.note = Some("refused".into());
                    Err::<((), AfterCommand), _>("no")
                })
                .await;
            matches!(refused, Err(MutateError::Command("no")))
        }));
        pause().await;
        let s = store.clone();
        answers.push(tokio::spawn(async move {
            let panicked = s
                .mutate("kept", IfMissing::Create, |cart| -> Result<_, ()> {
                    cart.note = Some("panicked".into());
                    if cart.version > 0 {
                        panic!("a bug in a command");
                    }
                    Ok(((), AfterCommand::Save))
                })
                .await;
            matches!(panicked, Err(MutateError::Store(StoreError::Task(_))))
        }));
        pause().await;
        let s = store.clone();
        answers.push(tokio::spawn(async move {
            let missing = s.mutate("missing", IfMissing::Fail, note("never")).await;
            matches!(missing, Err(MutateError::NotFound))
        }));
        pause().await;
        let s = store.clone();
        answers.push(tokio::spawn(async move {
            s.mutate("other", IfMissing::Create, note("second"))
                .await
                .is_ok()
        }));
        pause().await;

        release.send(()).expect("release");
        holder.join().expect("holder").expect("held");
        for (i, answer) in answers.into_iter().enumerate() {
            assert!(
                answer.await.expect("join"),
                "write {i} was answered wrongly"
            );
        }
        let kept = store.cart("kept").await.expect("read").expect("kept");
        assert_eq!(kept.note.as_deref(), Some("first"));
        assert_eq!(kept.version, 1);
        let other = store.cart("other").await.expect("read").expect("other");
        assert_eq!(other.note.as_deref(), Some("second"));
        assert!(store.cart("missing").await.expect("read").is_none());
        // The next write starts from the committed cart, not from what the failed ones staged.
        let seen = store
            .mutate("kept", IfMissing::Fail, |cart| {
                Ok::<_, ()>(((cart.version, cart.note.clone()), AfterCommand::Save))
            })
            .await
            .expect("write");
        assert_eq!(seen.value, (1, Some("first".into())));
    }

    /// A write transaction that holds the writer (and, having written more than SQLite's page
    /// cache holds, the file's write lock) does not stop readers: they see the last commit.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn reads_do_not_wait_for_a_writer() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqliteStore::open(&dir.path().join("store.db")).expect("open");
        store
            .mutate("c", IfMissing::Create, |cart| {
                cart.note = Some("committed".into());
                Ok::<_, ()>(((), AfterCommand::Save))
            })
            .await
            .expect("write");
        let (release, held) = std::sync::mpsc::channel::<()>();
        let (started, holding) = std::sync::mpsc::channel::<()>();
        let writer = store.clone();
        let holder = tokio::spawn(async move {
            writer
                .writer
                .run(move |tx| {
                    tx.conn
                        .execute("UPDATE carts SET note = 'pending' WHERE id = 'c'", [])?;
                    let filler = "x".repeat(1 << 20);
                    for i in 0..16 {
                        tx.conn.execute(
                            "INSERT INTO meta (key, value) VALUES (?1, ?2)",
                            rusqlite::params![format!("filler-{i}"), filler],
                        )?;
                    }
                    let _ = started.send(());
                    let _ = held.recv();
                    Err::<(), StoreError>(StoreError::Task("rolled back on purpose".into()))
                })
                .await
        });
        tokio::task::spawn_blocking(move || holding.recv())
            .await
            .expect("join")
            .expect("the writer holds its transaction");

        let read = tokio::time::timeout(std::time::Duration::from_secs(2), store.cart("c")).await;
        release.send(()).expect("release");
        let cart = read
            .expect("the read waited for the writer")
            .expect("read")
            .expect("cart");
        assert_eq!(cart.note.as_deref(), Some("committed"));
        assert!(holder.await.expect("join").is_err());
    }

    #[tokio::test]
    async fn a_write_from_another_process_is_not_hidden_by_the_writers_cache() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("store.db");
        let store = SqliteStore::open(&path).expect("open");
        let set_note = |text: &'static str| {
            move |cart: &mut Cart| {
                let before = cart.note.replace(text.into());
                Ok::<_, ()>((before, AfterCommand::Save))
            }
        };
        store
            .mutate("c", IfMissing::Create, set_note("ours"))
            .await
            .expect("write");
        // The writer now holds the cart in memory; another connection changes the row.
        let other = Connection::open(&path).expect("second connection");
        other
            .execute("UPDATE carts SET note = 'theirs' WHERE id = 'c'", [])
            .expect("update");
        let seen = store
            .mutate("c", IfMissing::Fail, set_note("ours again"))
            .await
            .expect("write");
        assert_eq!(seen.value.as_deref(), Some("theirs"));
    }
}
