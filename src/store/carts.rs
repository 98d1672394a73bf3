//! Cart rows: one `carts` row and one `cart_lines` row per line. Loading a cart is always two
//! statements, whatever its number of lines.

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use uuid::Uuid;

use crate::cart::{Cart, Line};

fn corrupt(what: &str, e: impl std::fmt::Display) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        0,
        rusqlite::types::Type::Text,
        format!("{what}: {e}").into(),
    )
}

fn json<T: serde::de::DeserializeOwned>(what: &str, text: &str) -> rusqlite::Result<T> {
    serde_json::from_str(text).map_err(|e| corrupt(what, e))
}

fn to_json<T: serde::Serialize>(value: &T) -> rusqlite::Result<String> {
    serde_json::to_string(value).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
}

fn time(what: &str, text: &str) -> rusqlite::Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| corrupt(what, e))
}

pub fn load(conn: &Connection, id: &str) -> rusqlite::Result<Option<Cart>> {
    let mut stmt = conn.prepare_cached(
        "SELECT version, note, attributes, discount_codes, currency, locale, name, description,
                email, created_at, updated_at
         FROM carts WHERE id = ?1",
    )?;
    let cart = stmt
        .query_row([id], |r| {
            Ok(Cart {
                id: id.to_string(),
                version: r.get(0)?,
                note: r.get(1)?,
                attributes: json("attributes", &r.get::<_, String>(2)?)?,
                discount_codes: json("discount_codes", &r.get::<_, String>(3)?)?,
                currency: r.get(4)?,
                locale: r.get(5)?,
                name: r.get(6)?,
                description: r.get(7)?,
                email: r.get(8)?,
                created_at: time("created_at", &r.get::<_, String>(9)?)?,
                updated_at: time("updated_at", &r.get::<_, String>(10)?)?,
                lines: Vec::new(),
            })
        })
        .optional()?;
    let Some(mut cart) = cart else {
        return Ok(None);
    };
    let mut stmt = conn.prepare_cached(
        "SELECT id, item, quantity, properties, price_override, extras, created_at, updated_at
         FROM cart_lines WHERE cart_id = ?1 ORDER BY position",
    )?;
    let lines = stmt.query_map([id], |r| {
        let line_id: String = r.get(0)?;
        Ok(Line {
            id: Uuid::parse_str(&line_id).map_err(|e| corrupt("line id", e))?,
            item: json("item", &r.get::<_, String>(1)?)?,
            quantity: r.get(2)?,
            properties: json("properties", &r.get::<_, String>(3)?)?,
            price_override: r.get(4)?,
            extras: json("extras", &r.get::<_, String>(5)?)?,
            created_at: time("line created_at", &r.get::<_, String>(6)?)?,
            updated_at: time("line updated_at", &r.get::<_, String>(7)?)?,
        })
    })?;
    for line in lines {
        cart.lines.push(line?);
    }
    Ok(Some(cart))
}

/// Writes the cart row and its lines. With `before` (the cart as loaded in this transaction),
/// only the lines that changed are written: an add to a 10-line cart is then two statements
/// instead of twelve.
pub fn save(conn: &Connection, cart: &Cart, before: Option<&Cart>) -> rusqlite::Result<()> {
    let sql = if before.is_none() {
        "INSERT INTO carts (version, note, attributes, discount_codes, currency, locale, name,
             description, email, created_at, updated_at, id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
    } else {
        "UPDATE carts SET version = ?1, note = ?2, attributes = ?3, discount_codes = ?4,
             currency = ?5, locale = ?6, name = ?7, description = ?8, email = ?9,
             created_at = ?10, updated_at = ?11
         WHERE id = ?12"
    };
    conn.prepare_cached(sql)?.execute(params![
        cart.version,
        cart.note,
        to_json(&cart.attributes)?,
        to_json(&cart.discount_codes)?,
        cart.currency,
        cart.locale,
        cart.name,
        cart.description,
        cart.email,
        stamp(cart.created_at),
        stamp(cart.updated_at),
        cart.id,
    ])?;
    let old: &[Line] = before.map_or(&[], |b| b.lines.as_slice());
    // Lines keep their rows while the same line sits at the same position.
    let kept = old
        .iter()
        .zip(&cart.lines)
        .take_while(|(a, b)| a.id == b.id)
        .count();
    for (position, (was, now)) in old.iter().zip(&cart.lines).take(kept).enumerate() {
        if was != now {
            conn.prepare_cached(
                "UPDATE cart_lines SET item = ?3, quantity = ?4, properties = ?5,
                     price_override = ?6, extras = ?7, updated_at = ?8
                 WHERE cart_id = ?1 AND position = ?2",
            )?
            .execute(params![
                cart.id,
                position as i64,
                to_json(&now.item)?,
                now.quantity,
                to_json(&now.properties)?,
                now.price_override,
                to_json(&now.extras)?,
                stamp(now.updated_at),
            ])?;
        }
    }
    if old.len() > kept {
        conn.prepare_cached("DELETE FROM cart_lines WHERE cart_id = ?1 AND position >= ?2")?
            .execute(params![cart.id, kept as i64])?;
    }
    let mut insert = conn.prepare_cached(
        "INSERT INTO cart_lines (cart_id, position, id, item, quantity, properties,
             price_override, extras, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?;
    for (position, line) in cart.lines.iter().enumerate().skip(kept) {
        insert.execute(params![
            cart.id,
            position as i64,
            line.id.to_string(),
            to_json(&line.item)?,
            line.quantity,
            to_json(&line.properties)?,
            line.price_override,
            to_json(&line.extras)?,
            stamp(line.created_at),
            stamp(line.updated_at),
        ])?;
    }
    Ok(())
}

fn stamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

pub fn delete(conn: &Connection, id: &str) -> rusqlite::Result<bool> {
    Ok(conn
        .prepare_cached("DELETE FROM carts WHERE id = ?1")?
        .execute([id])?
        > 0)
}

pub fn delete_untouched_since(conn: &Connection, before: DateTime<Utc>) -> rusqlite::Result<usize> {
    conn.prepare_cached("DELETE FROM carts WHERE updated_at < ?1")?
        .execute([stamp(before)])
}
