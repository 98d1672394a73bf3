//! Elastic Path requests as cart commands, run inside one store transaction. Bulk requests try
//! each item on its own: a failing item leaves the cart as it was before that item, and with
//! `*_all_or_nothing` any failure fails the whole request (nothing is written).

use chrono::{DateTime, Utc};
use indexmap::IndexMap;
use serde_json::Value;
use uuid::Uuid;

use super::error::{EpError, MAX_CART_ITEMS};
use super::params::{AddParams, ItemUpdate, NewItem, ProductRef, UpdateParams};
use crate::cart::{AddItem, Cart, LineExtras, LineItem, StockPolicy};
use crate::catalog::Catalog;

/// Checks every version the request gave (body and `If-Match`).
pub fn check_versions(cart: &Cart, versions: &[Option<i64>]) -> Result<(), EpError> {
    for version in versions {
        cart.check_version(*version)?;
    }
    Ok(())
}

/// Runs `step` for each entry, rolling a failing one back. Returns the failures by index; fails
/// as a whole when `all_or_nothing` and anything failed, or when nothing succeeded.
fn each<T>(
    cart: &mut Cart,
    entries: Vec<T>,
    bulk: bool,
    all_or_nothing: bool,
    mut step: impl FnMut(&mut Cart, T) -> Result<(), EpError>,
) -> Result<Vec<(usize, EpError)>, EpError> {
    let total = entries.len();
    let mut failures = Vec::new();
    for (index, entry) in entries.into_iter().enumerate() {
        let before = cart.clone();
        if let Err(e) = step(cart, entry) {
            *cart = before;
            failures.push((index, e));
        }
    }
    if failures.is_empty() {
        return Ok(failures);
    }
    if !bulk {
        // A single-item request answers with that item's own error.
        return Err(failures.remove(0).1);
    }
    if all_or_nothing || failures.len() == total {
        return Err(EpError::Items(failures));
    }
    Ok(failures)
}

pub fn add_items(
    cart: &mut Cart,
    catalog: &Catalog,
    params: AddParams,
    if_match: Option<i64>,
    now: DateTime<Utc>,
) -> Result<Vec<(usize, EpError)>, EpError> {
    check_versions(cart, &[params.version, if_match])?;
    each(
        cart,
        params.items,
        params.bulk,
        params.all_or_nothing,
        |cart, item| add_one(cart, catalog, item, now),
    )
}

fn add_one(
    cart: &mut Cart,
    catalog: &Catalog,
    item: NewItem,
    now: DateTime<Utc>,
) -> Result<(), EpError> {
    let lines_before = cart.lines.len();
    match item {
        NewItem::Catalog {
            product,
            quantity,
            custom_inputs,
        } => {
            let found = match &product {
                ProductRef::Id(uuid) => catalog.variant_by_uuid(*uuid),
                ProductRef::Sku(sku) => catalog.variant_by_sku(sku),
            }
            .ok_or(EpError::ProductNotFound)?;
            let item = AddItem {
                variant_id: found.variant.id,
                quantity,
                extras: LineExtras {
                    custom_inputs,
                    ..Default::default()
                },
                ..Default::default()
            };
            cart.add(catalog, vec![item], StockPolicy::Refuse, now)?;
        }
        NewItem::Custom {
            name,
            sku,
            description: _,
            quantity,
            price,
            custom_inputs,
        } => add_custom(
            cart,
            catalog,
            name,
            sku,
            quantity,
            price,
            custom_inputs,
            now,
        )?,
    }
    // Only a new line can break the limit (a cart filled through another API may be past it).
    if cart.lines.len() > MAX_CART_ITEMS && cart.lines.len() > lines_before {
        return Err(EpError::TooManyItems);
    }
    Ok(())
}

/// Custom items with the same SKU (and the same custom inputs) merge into one line, as
/// Elastic Path does; the first line's name and price stay.
#[allow(clippy::too_many_arguments)]
fn add_custom(
    cart: &mut Cart,
    catalog: &Catalog,
    name: String,
    sku: String,
    quantity: i64,
    price: i64,
    custom_inputs: IndexMap<String, Value>,
    now: DateTime<Utc>,
) -> Result<(), EpError> {
    let existing = cart.lines.iter().find(|l| {
        matches!(&l.item, LineItem::Custom { sku: s, .. } if *s == sku)
            && l.extras.custom_inputs == custom_inputs
    });
    if let Some(line) = existing {
        let (id, total) = (line.id, line.quantity.saturating_add(quantity));
        cart.set_line_quantity(catalog, id, total, now)?;
        return Ok(());
    }
    let item = LineItem::Custom {
        sku,
        name,
        price,
        image_url: None,
        requires_shipping: true,
    };
    let extras = LineExtras {
        custom_inputs,
        ..Default::default()
    };
    cart.add_custom(item, quantity, extras, now)?;
    Ok(())
}

pub fn update_items(
    cart: &mut Cart,
    catalog: &Catalog,
    params: UpdateParams,
    if_match: Option<i64>,
    now: DateTime<Utc>,
) -> Result<Vec<(usize, EpError)>, EpError> {
    check_versions(cart, &[params.version, if_match])?;
    each(
        cart,
        params.updates,
        params.bulk,
        params.all_or_nothing,
        |cart, update| update_one(cart, catalog, update, now),
    )
}

fn update_one(
    cart: &mut Cart,
    catalog: &Catalog,
    update: ItemUpdate,
    now: DateTime<Utc>,
) -> Result<(), EpError> {
    let id = update.id.ok_or(EpError::ItemNotFound)?;
    if update.quantity == 0 {
        cart.remove_line(id)?;
        return Ok(());
    }
    cart.set_line_quantity(catalog, id, update.quantity, now)?;
    if let Some(inputs) = update.custom_inputs
        && let Some(line) = cart.lines.iter_mut().find(|l| l.id == id)
    {
        line.extras.custom_inputs = inputs;
        line.updated_at = now;
    }
    Ok(())
}

pub fn remove_item(cart: &mut Cart, id: Uuid, versions: &[Option<i64>]) -> Result<(), EpError> {
    check_versions(cart, versions)?;
    cart.remove_line(id)?;
    Ok(())
}

pub fn clear(cart: &mut Cart, versions: &[Option<i64>]) -> Result<(), EpError> {
    check_versions(cart, versions)?;
    cart.clear();
    Ok(())
}
