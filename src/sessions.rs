//! The session store: the SQLite table, with a bounded in-memory cache in front of it. Without
//! the cache every request's session load is a round trip through the database thread.
//!
//! Writes go to SQLite first and reach the cache only once they are stored, so the cache never
//! holds what the database does not; a record loaded from SQLite enters the cache only if no
//! newer save got there first. (A delete racing a load could leave a stale entry; nothing here
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
use tower_sessions_rusqlite_store::RusqliteStore;

/// The cache's memory budget in bytes, as estimated by `weight`. A session holds a cart id and
/// sometimes a flash message, about 630 bytes in memory: some 13,000 sessions.
const CACHE_BYTES: u64 = 8 << 20;

/// How often a new session's insert is tried (see `create`).
const CREATE_ATTEMPTS: u64 = 8;

/// A session untouched this long leaves the cache (not the database).
const CACHE_IDLE: Duration = Duration::from_secs(30 * 60);

/// The app's session store; `delete_expired` sweeps the SQLite table.
#[derive(Debug, Clone)]
pub struct CachedSessionStore {
    db: RusqliteStore,
    cache: Cache<Id, Record>,
}

impl CachedSessionStore {
    pub fn new(db: RusqliteStore) -> Self {
        let cache = Cache::builder()
            .max_capacity(CACHE_BYTES)
            .weigher(weight)
            .time_to_idle(CACHE_IDLE)
            .expire_after(UntilRecordExpiry)
            .build();
        CachedSessionStore { db, cache }
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

#[async_trait]
impl SessionStore for CachedSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // The SQLite store checks the id and inserts in one deferred transaction. When a cart
        // write commits in between, SQLite refuses the upgrade to a write at once (the busy
        // timeout does not apply), so a new session is tried again before failing the request.
        let mut attempt = 1;
        while let Err(e) = self.db.create(record).await {
            if attempt == CREATE_ATTEMPTS {
                return Err(e);
            }
            tracing::debug!(error = %e, attempt, "creating a session failed; trying again");
            tokio::time::sleep(Duration::from_millis(2 * attempt)).await;
            attempt += 1;
        }
        // The database picks a fresh id on a collision; the cache takes whatever it chose.
        self.cache.insert(record.id, record.clone());
        Ok(())
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        match self.db.save(record).await {
            Ok(()) => {
                self.cache.insert(record.id, record.clone());
                Ok(())
            }
            Err(e) => {
                self.cache.invalidate(&record.id);
                Err(e)
            }
        }
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        if let Some(record) = self.cache.get(id) {
            return Ok(Some(record));
        }
        let Some(record) = self.db.load(id).await? else {
            return Ok(None);
        };
        // A save that finished while this load was in flight is newer: keep it.
        Ok(Some(self.cache.entry(*id).or_insert(record).into_value()))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        let deleted = self.db.delete(id).await;
        self.cache.invalidate(id);
        deleted
    }
}

#[async_trait]
impl ExpiredDeletion for CachedSessionStore {
    /// Sweeps the SQLite table, then empties the cache. Cached records expire by themselves at
    /// the same dates; emptying it also drops whatever was changed in the table behind this
    /// store's back, at the cost of one reload per active session per sweep.
    async fn delete_expired(&self) -> session_store::Result<()> {
        let swept = self.db.delete_expired().await;
        self.cache.invalidate_all();
        swept
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower_sessions::cookie::time::Duration as TimeDuration;
    use tower_sessions_rusqlite_store::tokio_rusqlite::Connection;

    async fn stores() -> (CachedSessionStore, RusqliteStore, Connection) {
        let conn = Connection::open_in_memory()
            .await
            .expect("in-memory database");
        let db = RusqliteStore::new(conn.clone());
        db.migrate().await.expect("session table");
        (CachedSessionStore::new(db.clone()), db, conn)
    }

    fn record(cart: &str, lives: TimeDuration) -> Record {
        Record {
            id: Id::default(),
            data: [("cart".to_string(), serde_json::json!(cart))].into(),
            expiry_date: OffsetDateTime::now_utc() + lives,
        }
    }

    async fn cart_in(store: &impl SessionStore, id: &Id) -> Option<String> {
        let record = store.load(id).await.expect("load")?;
        record.data.get("cart")?.as_str().map(str::to_string)
    }

    #[tokio::test]
    async fn writes_reach_the_database_and_the_cache() {
        let (cached, db, _) = stores().await;
        let mut r = record("a", TimeDuration::days(1));
        cached.create(&mut r).await.expect("create");
        assert_eq!(cart_in(&db, &r.id).await.as_deref(), Some("a"));
        r.data.insert("cart".into(), serde_json::json!("b"));
        cached.save(&r).await.expect("save");
        assert_eq!(cart_in(&db, &r.id).await.as_deref(), Some("b"));
        assert_eq!(cart_in(&cached, &r.id).await.as_deref(), Some("b"));
        cached.delete(&r.id).await.expect("delete");
        assert_eq!(cart_in(&db, &r.id).await, None);
        assert_eq!(cart_in(&cached, &r.id).await, None);
    }

    #[tokio::test]
    async fn a_load_fills_the_cache_until_the_next_sweep() {
        let (cached, db, _) = stores().await;
        let r = record("a", TimeDuration::days(1));
        db.save(&r).await.expect("save");
        assert_eq!(cart_in(&cached, &r.id).await.as_deref(), Some("a"));
        // Served from memory now: the database no longer has it.
        db.delete(&r.id).await.expect("delete");
        assert_eq!(cart_in(&cached, &r.id).await.as_deref(), Some("a"));
        assert_eq!(cart_in(&cached, &Id::default()).await, None);
        // A sweep empties the cache, so what changed behind its back is seen again.
        cached.delete_expired().await.expect("sweep");
        assert_eq!(cart_in(&cached, &r.id).await, None);
    }

    #[tokio::test]
    async fn a_cached_session_expires_with_its_record() {
        let (cached, db, conn) = stores().await;
        let only_cached = record("a", TimeDuration::milliseconds(1500));
        cached.save(&only_cached).await.expect("save");
        db.delete(&only_cached.id).await.expect("delete");
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
        let left: i64 = conn
            .call(|c| c.query_row("select count(*) from tower_sessions", [], |row| row.get(0)))
            .await
            .expect("count");
        assert_eq!(left, 0);
    }
}
