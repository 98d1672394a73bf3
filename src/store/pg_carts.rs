//! Cart rows on PostgreSQL: the same layout as SQLite's (`carts` and one `cart_lines` row per
//! line), read in one round trip (the two queries are pipelined) and written line by line,
//! only where a line changed.

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

const SELECT_LINES: &str = "SELECT id, item, quantity, properties, price_override, extras, \
     created_at, updated_at FROM cart_lines WHERE cart_id = $1 ORDER BY position";

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

/// Reads the cart (locking its row first when `lock`), in one round trip.
pub async fn load(
    client: &impl GenericClient,
    id: &str,
    lock: bool,
) -> Result<Option<Cart>, StoreError> {
    let (cart, lines) = {
        let cart_sql = if lock { LOCK_CART } else { SELECT_CART };
        let (cart_stmt, lines_stmt) = tokio::try_join!(
            client.prepare_cached(cart_sql),
            client.prepare_cached(SELECT_LINES)
        )?;
        // Sent together; the server runs them in order, so the lines are read after the lock.
        let params: &[&(dyn tokio_postgres::types::ToSql + Sync)] = &[&id];
        tokio::try_join!(
            client.query_opt(&cart_stmt, params),
            client.query(&lines_stmt, params)
        )?
    };
    let Some(row) = cart else {
        return Ok(None);
    };
    let mut cart = cart_from(id, &row)?;
    cart.lines = lines.iter().map(line_from).collect::<Result<_, _>>()?;
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

/// Writes the cart row (which exists: loaded or reserved) and the lines that differ from
/// `before`'s.
pub async fn save(
    client: &impl GenericClient,
    cart: &Cart,
    before: Option<&Cart>,
) -> Result<(), StoreError> {
    let stmt = client
        .prepare_cached(
            "UPDATE carts SET version = $1, note = $2, attributes = $3, discount_codes = $4,
                 currency = $5, locale = $6, name = $7, description = $8, email = $9,
                 created_at = $10, updated_at = $11
             WHERE id = $12",
        )
        .await?;
    client
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
    let old: &[Line] = before.map_or(&[], |b| b.lines.as_slice());
    // Lines keep their rows while the same line sits at the same position.
    let kept = old
        .iter()
        .zip(&cart.lines)
        .take_while(|(a, b)| a.id == b.id)
        .count();
    for (position, (was, now)) in old.iter().zip(&cart.lines).take(kept).enumerate() {
        if was != now {
            let stmt = client
                .prepare_cached(
                    "UPDATE cart_lines SET item = $3, quantity = $4, properties = $5,
                         price_override = $6, extras = $7, updated_at = $8
                     WHERE cart_id = $1 AND position = $2",
                )
                .await?;
            client
                .execute(
                    &stmt,
                    &[
                        &cart.id,
                        &(position as i64),
                        &to_json(&now.item)?,
                        &now.quantity,
                        &to_json(&now.properties)?,
                        &now.price_override,
                        &to_json(&now.extras)?,
                        &now.updated_at,
                    ],
                )
                .await?;
        }
    }
    if old.len() > kept {
        let stmt = client
            .prepare_cached("DELETE FROM cart_lines WHERE cart_id = $1 AND position >= $2")
            .await?;
        client.execute(&stmt, &[&cart.id, &(kept as i64)]).await?;
    }
    if cart.lines.len() > kept {
        let stmt = client
            .prepare_cached(
                "INSERT INTO cart_lines (cart_id, position, id, item, quantity, properties,
                     price_override, extras, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .await?;
        for (position, line) in cart.lines.iter().enumerate().skip(kept) {
            client
                .execute(
                    &stmt,
                    &[
                        &cart.id,
                        &(position as i64),
                        &line.id.to_string(),
                        &to_json(&line.item)?,
                        &line.quantity,
                        &to_json(&line.properties)?,
                        &line.price_override,
                        &to_json(&line.extras)?,
                        &line.created_at,
                        &line.updated_at,
                    ],
                )
                .await?;
        }
    }
    Ok(())
}

pub async fn delete(client: &impl GenericClient, id: &str) -> Result<bool, StoreError> {
    let stmt = client
        .prepare_cached("DELETE FROM carts WHERE id = $1")
        .await?;
    Ok(client.execute(&stmt, &[&id]).await? > 0)
}
