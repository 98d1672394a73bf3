//! PostgreSQL schema migrations: versioned, run at start by every node, safe when several
//! nodes start at once against an empty database.
//!
//! No advisory locks (CockroachDB has none): every statement of a migration is idempotent
//! (`IF NOT EXISTS`), and a migration's version is recorded in `schema_version` in the same
//! transaction with `ON CONFLICT DO NOTHING`. Two nodes racing on an empty database may both
//! run a migration; PostgreSQL then refuses the slower one's catalog insert (unique
//! violation) or CockroachDB its transaction (serialization failure), and that node retries,
//! finds the version recorded, and moves on.

use tokio_postgres::Client;
use tokio_postgres::error::SqlState;

/// Each migration, in order. A released migration is never edited: a change is a new one.
pub const MIGRATIONS: &[(i64, &str)] = &[
    (
        1,
        // Cart ids are random tokens (no sequence, so no single hot range). Times are
        // TIMESTAMPTZ; JSON documents are TEXT (the application reads and writes them whole).
        "
    CREATE TABLE IF NOT EXISTS carts (
        id TEXT PRIMARY KEY,
        version BIGINT NOT NULL,
        note TEXT,
        attributes TEXT NOT NULL,
        discount_codes TEXT NOT NULL,
        currency TEXT NOT NULL,
        locale TEXT,
        name TEXT,
        description TEXT,
        email TEXT,
        created_at TIMESTAMPTZ NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL
    );
    CREATE INDEX IF NOT EXISTS carts_updated_at ON carts (updated_at);
    CREATE TABLE IF NOT EXISTS cart_lines (
        cart_id TEXT NOT NULL REFERENCES carts (id) ON DELETE CASCADE,
        position BIGINT NOT NULL,
        id TEXT NOT NULL,
        item TEXT NOT NULL,
        quantity BIGINT NOT NULL,
        properties TEXT NOT NULL,
        price_override BIGINT,
        extras TEXT NOT NULL,
        created_at TIMESTAMPTZ NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (cart_id, position)
    );
    CREATE TABLE IF NOT EXISTS catalog (
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        position BIGINT NOT NULL,
        doc TEXT NOT NULL,
        PRIMARY KEY (kind, key)
    );
    CREATE TABLE IF NOT EXISTS meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS tower_sessions (
        id TEXT PRIMARY KEY,
        data BYTEA NOT NULL,
        expiry_date BIGINT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS tower_sessions_expiry ON tower_sessions (expiry_date);
    ",
    ),
    (
        2,
        // What nodes used to keep in memory and must share: Elastic Path access tokens and
        // prepared shipping rates (see `Store::remember_until`).
        "
    CREATE TABLE IF NOT EXISTS expiring_keys (
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        expires_at BIGINT NOT NULL,
        PRIMARY KEY (kind, key)
    );
    CREATE INDEX IF NOT EXISTS expiring_keys_expiry ON expiring_keys (expires_at);
    ",
    ),
];

const VERSION_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_version (
    version BIGINT PRIMARY KEY,
    applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
)";

/// Attempts per migration before start-up gives up.
const ATTEMPTS: u32 = 20;

/// The races two nodes starting at once can lose; the loser tries again.
fn lost_a_race(e: &tokio_postgres::Error) -> bool {
    matches!(
        e.code(),
        Some(c) if *c == SqlState::UNIQUE_VIOLATION
            || *c == SqlState::DUPLICATE_TABLE
            || *c == SqlState::DUPLICATE_OBJECT
            || *c == SqlState::T_R_SERIALIZATION_FAILURE
            || *c == SqlState::T_R_DEADLOCK_DETECTED
    )
}

/// Brings the schema up to date. Returns the versions this call applied.
pub async fn migrate(client: &mut Client) -> Result<Vec<i64>, tokio_postgres::Error> {
    let mut tries = 0;
    while let Err(e) = client.batch_execute(VERSION_TABLE).await {
        lost(e, &mut tries).await?;
    }
    let mut applied = Vec::new();
    for (version, sql) in MIGRATIONS {
        let mut tries = 0;
        loop {
            match apply(client, *version, sql).await {
                Ok(ran) => {
                    if ran {
                        tracing::info!(version, "database schema migrated");
                        applied.push(*version);
                    }
                    break;
                }
                Err(e) => lost(e, &mut tries).await?,
            }
        }
    }
    Ok(applied)
}

/// Runs one migration unless it is recorded. Returns whether it ran.
async fn apply(
    client: &mut Client,
    version: i64,
    sql: &str,
) -> Result<bool, tokio_postgres::Error> {
    let tx = client.transaction().await?;
    let done = tx
        .query_opt(
            "SELECT version FROM schema_version WHERE version = $1",
            &[&version],
        )
        .await?
        .is_some();
    if done {
        tx.rollback().await?;
        return Ok(false);
    }
    tx.batch_execute(sql).await?;
    let recorded = tx
        .execute(
            "INSERT INTO schema_version (version) VALUES ($1) ON CONFLICT DO NOTHING",
            &[&version],
        )
        .await?;
    tx.commit().await?;
    Ok(recorded == 1)
}

/// A lost race waits a little and lets the caller try again; any other error is returned.
async fn lost(e: tokio_postgres::Error, tries: &mut u32) -> Result<(), tokio_postgres::Error> {
    if !lost_a_race(&e) || *tries + 1 >= ATTEMPTS {
        return Err(e);
    }
    *tries += 1;
    tokio::time::sleep(super::retry::backoff(*tries)).await;
    Ok(())
}
