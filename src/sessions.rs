//! The session store: rows in the store's SQLite file, with a bounded in-memory cache in front.
//! Without the cache every request's session load is a round trip through a read connection.
//!
//! Writes go through the store's single writer, like cart writes, so a visitor's first request
//! never races a cart commit for the database lock. (tower-sessions-rusqlite-store kept its own
//! connection, whose check-then-insert transaction SQLite refused outright, busy timeout or
//! not, whenever a cart write committed in between; it needed retries.) Records are encoded
//! with MessagePack in that store's table layout, so existing databases keep their sessions.
//!
//! Writes reach SQLite first and the cache only once they are stored, so the cache never holds
//! what the database does not; a record loaded from SQLite enters the cache only if no newer
//! save got there first. (A delete racing a load could leave a stale entry; nothing here
//! deletes sessions.)
//!
//! Not `tower-sessions-moka-store` 0.15: it is built on tower-sessions-core 0.14, so its store
//! does not implement this version's trait. Not `CachingSessionStore` either: it writes the
//! cache and the database at once, so a failed save leaves the cache ahead of the database.

use std::time::Duration;

use async_trait::async_trait;
use moka::sync::Cache;
use tower_sessions::cookie::time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, ExpiredDeletion, SessionStore};

use crate::store::{Store, StoreError};

/// The cache's memory budget in bytes, as estimated by `weight`. A session holds a cart id and
/// sometimes a flash message, about 630 bytes in memory: some 13,000 sessions.
const CACHE_BYTES: u64 = 8 << 20;

/// Fresh ids tried for a new session before giving up. Ids are 128 random bits: a second try
/// is already beyond belief; the bound only keeps a broken generator from looping forever.
const CREATE_ATTEMPTS: usize = 4;

/// A session untouched this long leaves the cache (not the database).
const CACHE_IDLE: Duration = Duration::from_secs(30 * 60);

/// The app's session store; `delete_expired` sweeps the SQLite table.
///
/// On a shared database (PostgreSQL, several nodes) the cache is off: another node may have
/// changed a session since this one cached it (a visitor's requests alternate between nodes
/// behind a load balancer), and a stale session would point at a stale cart. Every load then
/// reads the table, one indexed lookup.
#[derive(Debug, Clone)]
pub struct CachedSessionStore {
    db: Store,
    cache: Cache<Id, Record>,
    cached: bool,
}

impl CachedSessionStore {
    pub fn new(db: Store) -> Self {
        let cache = Cache::builder()
            .max_capacity(CACHE_BYTES)
            .weigher(weight)
            .time_to_idle(CACHE_IDLE)
            .expire_after(UntilRecordExpiry)
            .build();
        let cached = !db.is_shared();
        CachedSessionStore { db, cache, cached }
    }

    fn remember(&self, record: &Record) {
        if self.cached {
            self.cache.insert(record.id, record.clone());
        }
    }
}

/// An entry's approximate size in bytes: the cache's own bookkeeping and the record's map,
/// plus the keys and values it holds.
fn weight(_: &Id, record: &Record) -> u32 {
    let data: usize = record
        .data
        .iter()
        .map(|(key, value)| {
            key.len()
                + match value {
                    serde_json::Value::String(s) => s.len(),
                    other => other.to_string().len(),
                }
        })
        .sum();
    u32::try_from(512 + 64 * record.data.len() + data).unwrap_or(u32::MAX)
}

/// A cached record expires when its session does, as SQLite's `load` would stop finding it.
struct UntilRecordExpiry;

impl UntilRecordExpiry {
    fn remaining(record: &Record) -> Option<Duration> {
        let left = record.expiry_date - OffsetDateTime::now_utc();
        Some(Duration::try_from(left).unwrap_or(Duration::ZERO))
    }
}

impl moka::Expiry<Id, Record> for UntilRecordExpiry {
    fn expire_after_create(
        &self,
        _: &Id,
        record: &Record,
        _: std::time::Instant,
    ) -> Option<Duration> {
        Self::remaining(record)
    }

    fn expire_after_update(
        &self,
        _: &Id,
        record: &Record,
        _: std::time::Instant,
        _: Option<Duration>,
    ) -> Option<Duration> {
        Self::remaining(record)
    }
}

/// Starts the text of a backend error when the database is unavailable, so that the API can
/// answer 503 (tower-sessions carries only text).
const UNAVAILABLE: &str = "database unavailable: ";

fn backend(e: StoreError) -> session_store::Error {
    if e.is_unavailable() {
        session_store::Error::Backend(format!("{UNAVAILABLE}{e}"))
    } else {
        session_store::Error::Backend(e.to_string())
    }
}

/// Whether a session failed because the database is unavailable (503, not 500).
pub fn is_unavailable(e: &tower_sessions::session::Error) -> bool {
    matches!(
        e,
        tower_sessions::session::Error::Store(session_store::Error::Backend(text))
            if text.starts_with(UNAVAILABLE)
    )
}

fn encode(record: &Record) -> session_store::Result<Vec<u8>> {
    rmp_serde::to_vec(record).map_err(|e| session_store::Error::Encode(e.to_string()))
}

fn now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

#[async_trait]
impl SessionStore for CachedSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        for _ in 0..CREATE_ATTEMPTS {
            let stored = self
                .db
                .insert_new_session(
                    record.id.to_string(),
                    encode(record)?,
                    record.expiry_date.unix_timestamp(),
                )
                .await
                .map_err(backend)?;
            if stored {
                self.remember(record);
                return Ok(());
            }
            record.id = Id::default();
        }
        Err(session_store::Error::Backend(
            "no free session id was found".into(),
        ))
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let saved = self
            .db
            .save_session(
                record.id.to_string(),
                encode(record)?,
                record.expiry_date.unix_timestamp(),
            )
            .await;
        match saved {
            Ok(()) => {
                self.remember(record);
                Ok(())
            }
            Err(e) => {
                self.cache.invalidate(&record.id);
                Err(backend(e))
            }
        }
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        if let Some(record) = self.cache.get(id) {
            return Ok(Some(record));
        }
        let Some(data) = self
            .db
            .session(id.to_string(), now())
            .await
            .map_err(backend)?
        else {
            return Ok(None);
        };
        let record: Record = match rmp_serde::from_slice(&data) {
            Ok(record) => record,
            Err(e) => {
                // An unreadable row is a lost session, not a request that fails forever.
                tracing::warn!(error = %e, "a stored session could not be decoded; starting afresh");
                return Ok(None);
            }
        };
        if !self.cached {
            return Ok(Some(record));
        }
        // A save that finished while this load was in flight is newer: keep it.
        Ok(Some(self.cache.entry(*id).or_insert(record).into_value()))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        let deleted = self.db.delete_session(id.to_string()).await;
        self.cache.invalidate(id);
        deleted.map_err(backend)
    }
}

#[async_trait]
impl ExpiredDeletion for CachedSessionStore {
    /// Sweeps the SQLite table, then empties the cache. Cached records expire by themselves at
    /// the same dates; emptying it also drops whatever was changed in the table behind this
    /// store's back, at the cost of one reload per active session per sweep.
    async fn delete_expired(&self) -> session_store::Result<()> {
        let swept = self.db.delete_expired_sessions(now()).await;
        self.cache.invalidate_all();
        swept.map(drop).map_err(backend)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower_sessions::cookie::time::Duration as TimeDuration;

    fn stores() -> (CachedSessionStore, Store, tempfile::TempDir) {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = Store::open(&dir.path().join("store.db")).expect("open");
        (CachedSessionStore::new(db.clone()), db, dir)
    }

    fn record(cart: &str, lives: TimeDuration) -> Record {
        Record {
            id: Id::default(),
            data: [("cart".to_string(), serde_json::json!(cart))].into(),
            expiry_date: OffsetDateTime::now_utc() + lives,
        }
    }

    async fn cart_in(store: &CachedSessionStore, id: &Id) -> Option<String> {
        let record = store.load(id).await.expect("load")?;
        record.data.get("cart")?.as_str().map(str::to_string)
    }

    /// What the table holds, past the cache.
    async fn stored_cart(db: &Store, id: &Id) -> Option<String> {
        let data = db.session(id.to_string(), now()).await.expect("load")?;
        let record: Record = rmp_serde::from_slice(&data).expect("decodes");
        record.data.get("cart")?.as_str().map(str::to_string)
    }

    async fn store_behind_the_cache(db: &Store, record: &Record) {
        let data = encode(record).expect("encodes");
        db.save_session(
            record.id.to_string(),
            data,
            record.expiry_date.unix_timestamp(),
        )
        .await
        .expect("save");
    }

    #[tokio::test]
    async fn writes_reach_the_database_and_the_cache() {
        let (cached, db, _dir) = stores();
        let mut r = record("a", TimeDuration::days(1));
        cached.create(&mut r).await.expect("create");
        assert_eq!(stored_cart(&db, &r.id).await.as_deref(), Some("a"));
        r.data.insert("cart".into(), serde_json::json!("b"));
        cached.save(&r).await.expect("save");
        assert_eq!(stored_cart(&db, &r.id).await.as_deref(), Some("b"));
        assert_eq!(cart_in(&cached, &r.id).await.as_deref(), Some("b"));
        cached.delete(&r.id).await.expect("delete");
        assert_eq!(stored_cart(&db, &r.id).await, None);
        assert_eq!(cart_in(&cached, &r.id).await, None);
    }

    #[tokio::test]
    async fn a_taken_id_gets_a_fresh_one_and_the_old_session_stays() {
        let (cached, db, _dir) = stores();
        let first = record("first", TimeDuration::days(1));
        store_behind_the_cache(&db, &first).await;
        let mut second = record("second", TimeDuration::days(1));
        second.id = first.id;
        cached.create(&mut second).await.expect("create");
        assert_ne!(second.id, first.id);
        assert_eq!(stored_cart(&db, &first.id).await.as_deref(), Some("first"));
        assert_eq!(
            stored_cart(&db, &second.id).await.as_deref(),
            Some("second")
        );
    }

    #[tokio::test]
    async fn a_load_fills_the_cache_until_the_next_sweep() {
        let (cached, db, _dir) = stores();
        let r = record("a", TimeDuration::days(1));
        store_behind_the_cache(&db, &r).await;
        assert_eq!(cart_in(&cached, &r.id).await.as_deref(), Some("a"));
        // Served from memory now: the database no longer has it.
        db.delete_session(r.id.to_string()).await.expect("delete");
        assert_eq!(cart_in(&cached, &r.id).await.as_deref(), Some("a"));
        assert_eq!(cart_in(&cached, &Id::default()).await, None);
        // A sweep empties the cache, so what changed behind its back is seen again.
        cached.delete_expired().await.expect("sweep");
        assert_eq!(cart_in(&cached, &r.id).await, None);
    }

    #[tokio::test]
    async fn an_unreadable_row_is_no_session() {
        let (cached, db, _dir) = stores();
        let id = Id::default();
        let expiry = (OffsetDateTime::now_utc() + TimeDuration::days(1)).unix_timestamp();
        db.save_session(id.to_string(), b"not messagepack".to_vec(), expiry)
            .await
            .expect("save");
        assert!(cached.load(&id).await.expect("load").is_none());
    }

    #[tokio::test]
    async fn a_cached_session_expires_with_its_record() {
        let (cached, db, dir) = stores();
        let only_cached = record("a", TimeDuration::milliseconds(1500));
        cached.save(&only_cached).await.expect("save");
        db.delete_session(only_cached.id.to_string())
            .await
            .expect("delete");
        let stored = record("b", TimeDuration::milliseconds(1500));
        cached.save(&stored).await.expect("save");
        assert_eq!(
            cart_in(&cached, &only_cached.id).await.as_deref(),
            Some("a")
        );
        tokio::time::sleep(Duration::from_millis(1600)).await;
        assert_eq!(cart_in(&cached, &only_cached.id).await, None);
        assert_eq!(cart_in(&cached, &stored.id).await, None);
        // The sweep goes through to the table (which keeps whole seconds).
        tokio::time::sleep(Duration::from_millis(1000)).await;
        cached.delete_expired().await.expect("sweep");
        let conn = rusqlite::Connection::open(dir.path().join("store.db")).expect("open");
        let left: i64 = conn
            .query_row("select count(*) from tower_sessions", [], |row| row.get(0))
            .expect("count");
        assert_eq!(left, 0);
    }

    /// New visitors arriving during a storm of cart writes all get their session at the first
    /// try: both go through the one writer, so neither can lose the database lock to the other.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sessions_start_during_a_storm_of_cart_writes() {
        let (cached, db, _dir) = stores();
        let storm: Vec<_> = (0..16)
            .map(|writer| {
                let db = db.clone();
                tokio::spawn(async move {
                    for n in 0..50 {
                        db.mutate(
                            &format!("cart-{writer}"),
                            crate::store::IfMissing::Create,
                            move |cart| {
                                cart.note = Some(format!("write {n}"));
                                Ok::<_, ()>(((), crate::store::AfterCommand::Save))
                            },
                        )
                        .await
                        .expect("cart write");
                    }
                })
            })
            .collect();
        let visitors: Vec<_> = (0..200)
            .map(|n| {
                let cached = cached.clone();
                tokio::spawn(async move {
                    let mut r = record(&format!("visitor {n}"), TimeDuration::days(1));
                    cached.create(&mut r).await.map(|()| r.id)
                })
            })
            .collect();
        let mut ids = Vec::new();
        for visitor in visitors {
            ids.push(visitor.await.expect("join").expect("session created"));
        }
        for writer in storm {
            writer.await.expect("join");
        }
        for (n, id) in ids.iter().enumerate() {
            assert_eq!(stored_cart(&db, id).await, Some(format!("visitor {n}")));
        }
    }
}
