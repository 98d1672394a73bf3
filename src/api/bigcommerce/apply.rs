//! BigCommerce requests as cart commands: products and option selections resolved against the
//! catalog, stock refused (never clamped) with BigCommerce's message, and the version checked
//! first. These run inside one store transaction: an `Err` leaves the cart untouched.

use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use super::error::BcError;
use super::params::{ItemsParams, LineItemParams, UpdateParams};
use crate::cart::{AddItem, Cart, LineExtras, LineItem, StockPolicy};
use crate::catalog::{Catalog, Product, Variant, VariantRef};

/// A product's options as BigCommerce ids: option `nameId` is its 1-based position, and a
/// value's `valueId` is its 1-based position among that option's values (in variant order).
pub fn option_values(product: &Product, position: usize) -> Vec<&str> {
    let mut values: Vec<&str> = Vec::new();
    for variant in &product.variants {
        if let Some(value) = variant.options.get(position)
            && !values.contains(&value.as_str())
        {
            values.push(value);
        }
    }
    values
}

/// `(name, nameId, value, valueId)` for each option of a variant; none for a default variant.
pub fn variant_options<'a>(
    product: &'a Product,
    variant: &'a Variant,
) -> Vec<(&'a str, i64, &'a str, i64)> {
    if product.has_only_default_variant() {
        return Vec::new();
    }
    product
        .options
        .iter()
        .enumerate()
        .filter_map(|(i, name)| {
            let value = variant.options.get(i)?;
            let value_id = option_values(product, i)
                .iter()
                .position(|v| v == value)
                .map_or(0, |p| p as i64 + 1);
            Some((name.as_str(), i as i64 + 1, value.as_str(), value_id))
        })
        .collect()
}

/// The option value a selection names: a value id, or the value's text.
fn selected_value<'a>(product: &'a Product, position: usize, value: &Value) -> Option<&'a str> {
    let values = option_values(product, position);
    match value {
        Value::Number(n) => {
            let id = n.as_i64()?;
            values
                .get(usize::try_from(id).ok()?.checked_sub(1)?)
                .copied()
        }
        Value::String(s) => values
            .iter()
            .find(|v| v.eq_ignore_ascii_case(s.trim()))
            .copied()
            .or_else(|| {
                // A value id sent as a string.
                let id: usize = s.trim().parse().ok()?;
                values.get(id.checked_sub(1)?).copied()
            }),
        _ => None,
    }
}

/// Finds the variant a request names by `variantId`, by option selections, or as the product's
/// only variant.
pub fn resolve_variant<'a>(
    catalog: &'a Catalog,
    product_id: i64,
    variant_id: Option<i64>,
    selections: &[(i64, Value)],
) -> Result<VariantRef<'a>, BcError> {
    let product = catalog
        .product_by_id(product_id)
        .ok_or_else(|| BcError::Unprocessable(format!("Product {product_id} does not exist.")))?;
    let option_count = if product.has_only_default_variant() {
        0
    } else {
        product.options.len()
    };
    // Each selection must name one of the variant options: the store has no modifiers.
    let mut chosen: Vec<(usize, &str)> = Vec::new();
    for (option_id, value) in selections {
        let position = usize::try_from(*option_id)
            .ok()
            .and_then(|id| id.checked_sub(1))
            .filter(|p| *p < option_count)
            .ok_or_else(|| {
                BcError::Unprocessable(format!(
                    "Option {option_id} is not an option of {}: this store has no product modifiers.",
                    product.title
                ))
            })?;
        let value = selected_value(product, position, value).ok_or_else(|| {
            BcError::Unprocessable(format!(
                "{value} is not a value of option {option_id} of {}.",
                product.title
            ))
        })?;
        chosen.push((position, value));
    }
    let matches = |v: &Variant| {
        chosen
            .iter()
            .all(|(p, value)| v.options.get(*p).map(String::as_str) == Some(*value))
    };
    let variant = match variant_id {
        Some(id) => {
            let variant = product
                .variants
                .iter()
                .find(|v| v.id == id)
                .ok_or_else(|| {
                    BcError::Unprocessable(format!(
                        "Variant {id} is not a variant of product {product_id}."
                    ))
                })?;
            if !matches(variant) {
                return Err(BcError::Unprocessable(format!(
                    "The option selections do not match variant {id}."
                )));
            }
            variant
        }
        None if product.variants.len() == 1 && matches(&product.variants[0]) => {
            &product.variants[0]
        }
        None => {
            let candidates: Vec<&Variant> =
                product.variants.iter().filter(|v| matches(v)).collect();
            match candidates.as_slice() {
                [one] if !chosen.is_empty() => *one,
                [] if !chosen.is_empty() => {
                    return Err(BcError::Unprocessable(format!(
                        "No variant of {} matches those option selections.",
                        product.title
                    )));
                }
                _ => {
                    return Err(BcError::Unprocessable(format!(
                        "{} has several variants: give a variant id or option selections for every option.",
                        product.title
                    )));
                }
            }
        }
    };
    Ok(VariantRef { product, variant })
}

/// One requested line as an `AddItem`.
pub fn resolve_line(catalog: &Catalog, item: LineItemParams) -> Result<AddItem, BcError> {
    let found = resolve_variant(
        catalog,
        item.product_id,
        item.variant_id,
        &item.option_selections,
    )?;
    Ok(AddItem {
        variant_id: found.variant.id,
        quantity: item.quantity,
        price_override: item.list_price,
        extras: LineExtras {
            gift_wrapping: item.gift_wrapping,
            ..Default::default()
        },
        ..Default::default()
    })
}

/// Refuses a request that would put more of a variant in the cart than its stock.
/// `changes` are `(variant id, units added)`; `except` is a line whose quantity is being replaced.
fn check_stock(
    cart: &Cart,
    catalog: &Catalog,
    changes: &[(i64, i64)],
    except: Option<Uuid>,
) -> Result<(), BcError> {
    let mut seen: Vec<i64> = Vec::new();
    for (variant_id, _) in changes {
        if seen.contains(variant_id) {
            continue;
        }
        seen.push(*variant_id);
        let Some(found) = catalog.variant(*variant_id) else {
            continue;
        };
        let Some(inventory) = found.variant.inventory else {
            continue;
        };
        let in_cart: i64 = cart
            .lines
            .iter()
            .filter(|l| Some(l.id) != except && l.variant_id() == Some(*variant_id))
            .map(|l| l.quantity)
            .sum();
        // Quantities are not yet checked against the cart's limit here: add without overflow.
        let wanted = changes
            .iter()
            .filter(|(id, _)| id == variant_id)
            .fold(0_i64, |sum, (_, q)| sum.saturating_add(*q));
        if in_cart.saturating_add(wanted) > inventory {
            return Err(BcError::Stock {
                max: inventory.max(0),
                name: found.product.line_title(found.variant),
            });
        }
    }
    Ok(())
}

/// Adds catalog lines, custom items and gift certificates, all or nothing.
pub fn add_items(
    cart: &mut Cart,
    catalog: &Catalog,
    lines: Vec<AddItem>,
    params: ItemsParams,
    now: DateTime<Utc>,
) -> Result<(), BcError> {
    cart.check_version(params.version)?;
    let changes: Vec<(i64, i64)> = lines.iter().map(|l| (l.variant_id, l.quantity)).collect();
    check_stock(cart, catalog, &changes, None)?;
    if let Some(locale) = params.locale {
        cart.locale = Some(locale);
    }
    if !lines.is_empty() {
        cart.add(catalog, lines, StockPolicy::Refuse, now)?;
    }
    for item in params.custom_items {
        let line = LineItem::Custom {
            sku: item.sku,
            name: item.name,
            price: item.list_price,
            image_url: item.image_url,
            requires_shipping: true,
        };
        cart.add_custom(line, item.quantity, LineExtras::default(), now)?;
    }
    for gift in params.gift_certificates {
        let line = LineItem::GiftCertificate {
            name: gift.name,
            theme: gift.theme,
            amount: gift.amount,
            sender: gift.sender,
            recipient: gift.recipient,
            message: gift.message,
        };
        cart.add_custom(line, gift.quantity, LineExtras::default(), now)?;
    }
    Ok(())
}

/// Which API a PUT came through: the Management API cannot update custom items.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    Storefront,
    Management,
}

/// Updates one line: quantity (0 removes), list price, gift wrapping.
pub fn update_item(
    cart: &mut Cart,
    catalog: &Catalog,
    line_id: Uuid,
    params: UpdateParams,
    api: Api,
    now: DateTime<Utc>,
) -> Result<(), BcError> {
    cart.check_version(params.version)?;
    let line = cart.line_by_id(line_id).ok_or(BcError::ItemNotFound)?;
    let current_quantity = line.quantity;
    let variant_id = match &line.item {
        LineItem::Variant { variant_id, .. } => {
            check_same_variant(catalog, *variant_id, &params)?;
            Some(*variant_id)
        }
        LineItem::Custom { .. } if api == Api::Management => {
            return Err(BcError::Unprocessable(
                "Custom items cannot be updated: add the updated custom item, then delete this one."
                    .into(),
            ));
        }
        LineItem::Custom { .. } => None,
        LineItem::GiftCertificate { .. } => {
            return Err(BcError::Unprocessable(
                "Gift certificates cannot be updated: remove it and add a new one.".into(),
            ));
        }
    };
    if params.quantity == 0 {
        cart.remove_line(line_id)?;
        return Ok(());
    }
    if let Some(variant_id) = variant_id
        && params.quantity > current_quantity
    {
        check_stock(
            cart,
            catalog,
            &[(variant_id, params.quantity)],
            Some(line_id),
        )?;
    }
    cart.set_line_quantity(catalog, line_id, params.quantity, now)?;
    if let Some(price) = params.list_price {
        cart.set_line_price(line_id, Some(price))?;
    }
    if let Some(wrapping) = params.gift_wrapping
        && let Some(line) = cart.lines.iter_mut().find(|l| l.id == line_id)
    {
        line.extras.gift_wrapping = wrapping;
        line.updated_at = now;
    }
    Ok(())
}

/// A PUT may repeat the line's product and variant, but not change them.
fn check_same_variant(
    catalog: &Catalog,
    variant_id: i64,
    params: &UpdateParams,
) -> Result<(), BcError> {
    let Some(found) = catalog.variant(variant_id) else {
        return Err(BcError::ItemNotFound);
    };
    let change = || {
        BcError::Unprocessable(
            "The product or variant of a line cannot be changed: delete the item and add the new one."
                .into(),
        )
    };
    if params.product_id.is_some_and(|p| p != found.product.id) {
        return Err(change());
    }
    if params.variant_id.is_some_and(|v| v != variant_id) {
        return Err(change());
    }
    if !params.option_selections.is_empty() {
        let named = resolve_variant(catalog, found.product.id, None, &params.option_selections)
            .map_err(|_| change())?;
        if named.variant.id != variant_id {
            return Err(change());
        }
    }
    Ok(())
}

/// Deletes one line.
pub fn remove_item(cart: &mut Cart, line_id: Uuid, version: Option<i64>) -> Result<(), BcError> {
    cart.check_version(version)?;
    cart.remove_line(line_id)?;
    Ok(())
}

/// A path segment as a line id; anything else names no line.
pub fn line_id(text: &str) -> Result<Uuid, BcError> {
    Uuid::parse_str(text).map_err(|_| BcError::ItemNotFound)
}
