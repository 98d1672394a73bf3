//! Cart rows on PostgreSQL: the same layout as SQLite's (`carts` and one `cart_lines` row per
//! line), read in one round trip (the queries are pipelined) and written line by line, only
//! where a line changed.
//!
//! A read may name the copy of the cart this node last saw (`known`): when the row still has
//! that copy's version and `updated_at`, the server sends no lines and the copy's lines are
//! used, so a node's memory of a cart is checked against the database on every use and never
//! answers for it. (A cart deleted and created again starts at version 1 again, but with a new
//! `updated_at`.)

use chrono::{DateTime, Timelike, Utc};
use deadpool_postgres::GenericClient;
use tokio_postgres::Row;
use uuid::Uuid;

use super::StoreError;
use crate::cart::{Cart, Line};

const CART_COLUMNS: &str = "version, note, attributes, discount_codes, currency, locale, name, \
     description, email, created_at, updated_at";

const SELECT_CART: &str = "SELECT version, note, attributes, discount_codes, currency, locale, \
     name, description, email, created_at, updated_at FROM carts WHERE id = $1";

/// The cart row, locked until the transaction ends: every writer of a cart takes this lock
/// first, so writes of one cart run one after another, on any node.
const LOCK_CART: &str = "SELECT version, note, attributes, discount_codes, currency, locale, \
     name, description, email, created_at, updated_at FROM carts WHERE id = $1 FOR UPDATE";

/// The lines, unless the cart row is still at version `$2` with `updated_at` `$3`.
const SELECT_LINES_UNLESS_KNOWN: &str = "SELECT id, item, quantity, properties, price_override, \
     extras, created_at, updated_at FROM cart_lines WHERE cart_id = $1 AND NOT EXISTS \
     (SELECT 1 FROM carts WHERE id = $1 AND version = $2 AND updated_at = $3) ORDER BY position";

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

fn json<T: serde::de::DeserializeOwned>(what: &str, text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| corrupt(what, e))
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| corrupt("cannot encode", e))
}

fn get<'a, T: tokio_postgres::types::FromSql<'a>>(
    row: &'a Row,
    index: usize,
) -> Result<T, StoreError> {
    row.try_get(index).map_err(|e| corrupt("column", e))
}

fn cart_from(id: &str, r: &Row) -> Result<Cart, StoreError> {
    Ok(Cart {
        id: id.to_string(),
        version: get(r, 0)?,
        note: get(r, 1)?,
        attributes: json("attributes", get(r, 2)?)?,
        discount_codes: json("discount_codes", get(r, 3)?)?,
        currency: get(r, 4)?,
        locale: get(r, 5)?,
        name: get(r, 6)?,
        description: get(r, 7)?,
        email: get(r, 8)?,
        created_at: get(r, 9)?,
        updated_at: get(r, 10)?,
        lines: Vec::new(),
    })
}

fn line_from(r: &Row) -> Result<Line, StoreError> {
    let id: &str = get(r, 0)?;
    Ok(Line {
        id: Uuid::parse_str(id).map_err(|e| corrupt("line id", e))?,
        item: json("item", get(r, 1)?)?,
        quantity: get(r, 2)?,
        properties: json("properties", get(r, 3)?)?,
        price_override: get(r, 4)?,
        extras: json("extras", get(r, 5)?)?,
        created_at: get(r, 6)?,
        updated_at: get(r, 7)?,
    })
}

/// The two statements of a cart read, prepared (from the connection's cache after the first).
pub struct LoadStatements {
    cart: tokio_postgres::Statement,
    lines: tokio_postgres::Statement,
}

pub async fn prepare_load(
    client: &impl GenericClient,
    lock: bool,
) -> Result<LoadStatements, StoreError> {
    let cart_sql = if lock { LOCK_CART } else { SELECT_CART };
    let (cart, lines) = tokio::try_join!(
        client.prepare_cached(cart_sql),
        client.prepare_cached(SELECT_LINES_UNLESS_KNOWN)
    )?;
    Ok(LoadStatements { cart, lines })
}

/// Reads the cart (locking its row first when `lock`), in one round trip. `known` is this
/// node's last copy of it, if any.
pub async fn load(
    client: &impl GenericClient,
    id: &str,
    lock: bool,
    known: Option<&Cart>,
) -> Result<Option<Cart>, StoreError> {
    let statements = prepare_load(client, lock).await?;
    load_prepared(client, &statements, id, known).await
}

/// [`load`] with its statements prepared: both queries are sent on the first poll, so a caller
/// may poll a `COMMIT` after it and know the queries went first.
pub async fn load_prepared(
    client: &impl GenericClient,
    statements: &LoadStatements,
    id: &str,
    known: Option<&Cart>,
) -> Result<Option<Cart>, StoreError> {
    let known_version = known.map_or(-1, |k| k.version);
    // The database keeps microseconds: compared there and here at the same precision, so that
    // both sides agree on whether the lines were sent.
    let known_updated_at = known.map_or(DateTime::<Utc>::UNIX_EPOCH, |k| {
        k.updated_at
            .with_nanosecond(k.updated_at.nanosecond() / 1_000 * 1_000)
            .unwrap_or(k.updated_at)
    });
    // Sent together; the server runs them in order, so the lines are read after the lock.
    let cart_params: [Param<'_>; 1] = [&id];
    let lines_params: [Param<'_>; 3] = [&id, &known_version, &known_updated_at];
    let (cart, lines) = tokio::try_join!(
        client.query_opt(&statements.cart, &cart_params),
        client.query(&statements.lines, &lines_params)
    )?;
    let Some(row) = cart else {
        return Ok(None);
    };
    let mut cart = cart_from(id, &row)?;
    cart.lines = match known {
        Some(k) if known_version == cart.version && known_updated_at == cart.updated_at => {
            k.lines.clone()
        }
        _ => lines.iter().map(line_from).collect::<Result<_, _>>()?,
    };
    Ok(Some(cart))
}

/// Inserts an empty row for a cart that does not exist yet, so that the transaction can lock
/// it before the command runs; two nodes creating one cart then take turns like any writers.
/// Returns false when another transaction's row was there first.
pub async fn reserve(client: &impl GenericClient, cart: &Cart) -> Result<bool, StoreError> {
    let sql = format!(
        "INSERT INTO carts ({CART_COLUMNS}, id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
         $11, $12) ON CONFLICT (id) DO NOTHING"
    );
    let stmt = client.prepare_cached(&sql).await?;
    let inserted = client
        .execute(
            &stmt,
            &[
                &cart.version,
                &cart.note,
                &to_json(&cart.attributes)?,
                &to_json(&cart.discount_codes)?,
                &cart.currency,
                &cart.locale,
                &cart.name,
                &cart.description,
                &cart.email,
                &cart.created_at,
                &cart.updated_at,
                &cart.id,
            ],
        )
        .await?;
    Ok(inserted == 1)
}

/// A line's columns as they are written.
struct LineRow {
    position: i64,
    id: String,
    item: String,
    properties: String,
    extras: String,
}

impl LineRow {
    fn of(position: usize, line: &Line) -> Result<LineRow, StoreError> {
        Ok(LineRow {
            position: position as i64,
            id: line.id.to_string(),
            item: to_json(&line.item)?,
            properties: to_json(&line.properties)?,
            extras: to_json(&line.extras)?,
        })
    }
}

/// At most this many writes are sent together: up to 30, `try_join_all` polls its futures in
/// order (past that it uses an unordered set), and the order matters (a cut before inserts).
const PIPELINED: usize = 30;

type Param<'a> = &'a (dyn tokio_postgres::types::ToSql + Sync);

/// What [`save`] does after the writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThenCommit {
    Yes,
    /// The transaction goes on (several carts written in one).
    No,
}

/// Writes the cart row (which exists: loaded or reserved) and the lines that differ from
/// `before`'s, then, with `ThenCommit::Yes`, commits the open transaction. The statements and
/// the `COMMIT` are sent together (pipelined) and run in order, so the cart's lock is held for
/// one round trip of writes instead of one per statement. If a write fails, the server answers
/// the `COMMIT` by rolling back and the write's error is returned. (An error before the
/// writes went out leaves the transaction open: the caller closes the connection on any error.)
pub async fn save(
    client: &impl GenericClient,
    cart: &Cart,
    before: Option<&Cart>,
    then: ThenCommit,
) -> Result<(), StoreError> {
    let old: &[Line] = before.map_or(&[], |b| b.lines.as_slice());
    // Lines keep their rows while the same line sits at the same position.
    let kept = old
        .iter()
        .zip(&cart.lines)
        .take_while(|(a, b)| a.id == b.id)
        .count();
    let changed: Vec<(LineRow, &Line)> = old
        .iter()
        .zip(&cart.lines)
        .take(kept)
        .enumerate()
        .filter(|(_, (was, now))| was != now)
        .map(|(position, (_, now))| Ok((LineRow::of(position, now)?, now)))
        .collect::<Result<_, StoreError>>()?;
    let added: Vec<(LineRow, &Line)> = cart
        .lines
        .iter()
        .enumerate()
        .skip(kept)
        .map(|(position, line)| Ok((LineRow::of(position, line)?, line)))
        .collect::<Result<_, StoreError>>()?;
    let cut_from = (old.len() > kept).then_some(kept as i64);
    let (attributes, discount_codes) = (to_json(&cart.attributes)?, to_json(&cart.discount_codes)?);

    let update_cart = client
        .prepare_cached(
            "UPDATE carts SET version = $1, note = $2, attributes = $3, discount_codes = $4,
                 currency = $5, locale = $6, name = $7, description = $8, email = $9,
                 created_at = $10, updated_at = $11
             WHERE id = $12",
        )
        .await?;
    let update_line = client
        .prepare_cached(
            "UPDATE cart_lines SET item = $3, quantity = $4, properties = $5,
                 price_override = $6, extras = $7, updated_at = $8
             WHERE cart_id = $1 AND position = $2",
        )
        .await?;
    let cut_lines = client
        .prepare_cached("DELETE FROM cart_lines WHERE cart_id = $1 AND position >= $2")
        .await?;
    let insert_line = client
        .prepare_cached(
            "INSERT INTO cart_lines (cart_id, position, id, item, quantity, properties,
                 price_override, extras, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .await?;

    let mut writes: Vec<(&tokio_postgres::Statement, Vec<Param<'_>>)> = Vec::new();
    writes.push((
        &update_cart,
        vec![
            &cart.version,
            &cart.note,
            &attributes,
            &discount_codes,
            &cart.currency,
            &cart.locale,
            &cart.name,
            &cart.description,
            &cart.email,
            &cart.created_at,
            &cart.updated_at,
            &cart.id,
        ],
    ));
    for (row, line) in &changed {
        writes.push((
            &update_line,
            vec![
                &cart.id,
                &row.position,
                &row.item,
                &line.quantity,
                &row.properties,
                &line.price_override,
                &row.extras,
                &line.updated_at,
            ],
        ));
    }
    if let Some(from) = &cut_from {
        writes.push((&cut_lines, vec![&cart.id, from]));
    }
    for (row, line) in &added {
        writes.push((
            &insert_line,
            vec![
                &cart.id,
                &row.position,
                &row.id,
                &row.item,
                &line.quantity,
                &row.properties,
                &line.price_override,
                &row.extras,
                &line.created_at,
                &line.updated_at,
            ],
        ));
    }
    if writes.len() <= PIPELINED {
        // Every statement is prepared, so each write is sent on its first poll: the writes are
        // polled in order on the first poll, then the COMMIT, so they are sent, and run, in
        // this order.
        let written = futures_util::future::try_join_all(
            writes
                .iter()
                .map(|(statement, params)| client.execute(*statement, params)),
        );
        let commit = async {
            match then {
                ThenCommit::Yes => client.batch_execute("COMMIT").await,
                ThenCommit::No => Ok(()),
            }
        };
        let (written, committed) = tokio::join!(written, commit);
        written?;
        committed?;
    } else {
        let mut failed = None;
        for (statement, params) in &writes {
            if let Err(e) = client.execute(*statement, params).await {
                failed = Some(e);
                break;
            }
        }
        if then == ThenCommit::Yes {
            // After a failed write this ends the aborted transaction (the server rolls back).
            let committed = client.batch_execute("COMMIT").await;
            if let Some(e) = failed {
                return Err(e.into());
            }
            committed?;
        } else if let Some(e) = failed {
            return Err(e.into());
        }
    }
    Ok(())
}

/// Deletes the cart and commits the open transaction, both sent together. The statement is
/// prepared first: a `DELETE` still waiting for its preparation when the `COMMIT` went out
/// would run after it, outside the transaction and its lock.
pub async fn delete_and_commit(client: &impl GenericClient, id: &str) -> Result<(), StoreError> {
    let stmt = client
        .prepare_cached("DELETE FROM carts WHERE id = $1")
        .await?;
    let params: [Param<'_>; 1] = [&id];
    let (deleted, committed) = tokio::join!(
        client.execute(&stmt, &params),
        client.batch_execute("COMMIT")
    );
    deleted?;
    committed?;
    Ok(())
}

pub async fn delete(client: &impl GenericClient, id: &str) -> Result<bool, StoreError> {
    let stmt = client
        .prepare_cached("DELETE FROM carts WHERE id = $1")
        .await?;
    Ok(client.execute(&stmt, &[&id]).await? > 0)
}
