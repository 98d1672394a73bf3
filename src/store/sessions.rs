//! Session rows: an id, an opaque encoded record and its expiry (unix seconds). The table has
//! the layout tower-sessions' SQLite store gave it, so databases written before keep working.

use rusqlite::{Connection, OptionalExtension, params};

pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS tower_sessions (
    id TEXT PRIMARY KEY NOT NULL,
    data BLOB NOT NULL,
    expiry_date INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS expiring_keys (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (kind, key)
);
";

pub fn remember_until(
    conn: &Connection,
    kind: &str,
    key: &str,
    expires_at: i64,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO expiring_keys (kind, key, expires_at) VALUES (?1, ?2, ?3)
         ON CONFLICT(kind, key) DO UPDATE SET expires_at = excluded.expires_at",
    )?
    .execute(params![kind, key, expires_at])?;
    Ok(())
}

pub fn is_remembered(conn: &Connection, kind: &str, key: &str, now: i64) -> rusqlite::Result<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT 1 FROM expiring_keys WHERE kind = ?1 AND key = ?2 AND expires_at > ?3",
        )?
        .query_row(params![kind, key, now], |_| Ok(()))
        .optional()?
        .is_some())
}

pub fn forget_expired_keys(conn: &Connection, now: i64) -> rusqlite::Result<usize> {
    conn.prepare_cached("DELETE FROM expiring_keys WHERE expires_at <= ?1")?
        .execute([now])
}

/// Inserts a new session unless the id is taken. Returns whether it was inserted.
pub fn insert_new(conn: &Connection, id: &str, data: &[u8], expiry: i64) -> rusqlite::Result<bool> {
    let inserted = conn
        .prepare_cached(
            "INSERT INTO tower_sessions (id, data, expiry_date) VALUES (?1, ?2, ?3)
             ON CONFLICT(id) DO NOTHING",
        )?
        .execute(params![id, data, expiry])?;
    Ok(inserted == 1)
}

pub fn save(conn: &Connection, id: &str, data: &[u8], expiry: i64) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO tower_sessions (id, data, expiry_date) VALUES (?1, ?2, ?3)
         ON CONFLICT(id) DO UPDATE SET data = excluded.data, expiry_date = excluded.expiry_date",
    )?
    .execute(params![id, data, expiry])?;
    Ok(())
}

/// The record of a session that has not expired at `now`.
pub fn load(conn: &Connection, id: &str, now: i64) -> rusqlite::Result<Option<Vec<u8>>> {
    conn.prepare_cached("SELECT data FROM tower_sessions WHERE id = ?1 AND expiry_date > ?2")?
        .query_row(params![id, now], |row| row.get(0))
        .optional()
}

pub fn delete(conn: &Connection, id: &str) -> rusqlite::Result<()> {
    conn.prepare_cached("DELETE FROM tower_sessions WHERE id = ?1")?
        .execute([id])?;
    Ok(())
}

/// Removes sessions expired before `now`. Returns how many went.
pub fn delete_expired(conn: &Connection, now: i64) -> rusqlite::Result<usize> {
    conn.prepare_cached("DELETE FROM tower_sessions WHERE expiry_date < ?1")?
        .execute([now])
}
