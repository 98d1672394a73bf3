//! Elastic Path's cart, cart-item and shopper-catalog JSON. Amounts are integers in minor units,
//! each with a `formatted` string in the shop's money format ("$100.00").
//! <https://elasticpath.dev/docs/carts-orders/get-cart-items>

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde_json::{Value, json};

use crate::cart::LineItem;
use crate::cart::pricing::{PricedCart, PricedLine};
use crate::catalog::{Image, Product, Shop, Variant};

/// The id of the store's one catalog, as Elastic Path names a published catalog.
pub const CATALOG_ID: &str = "5b1b7ea1-7c43-4f64-9a4c-4bbd1d5a8c0e";

/// Formats minor units with the shop's money format (`${{amount}}`): 10000 → "$100.00".
pub fn format_money(shop: &Shop, cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let cents = cents.unsigned_abs();
    let (whole, frac) = (cents / 100, cents % 100);
    let rounded = (cents + 50) / 100;
    let amount = |thousands: &str, decimal: Option<&str>, value: u64| {
        let digits = value.to_string();
        let mut grouped = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                grouped.push_str(thousands);
            }
            grouped.push(c);
        }
        match decimal {
            Some(d) => format!("{grouped}{d}{frac:02}"),
            None => grouped,
        }
    };
    let text = shop
        .money_format
        .replace(
            "{{amount_no_decimals_with_comma_separator}}",
            &amount(".", None, rounded),
        )
        .replace(
            "{{amount_no_decimals_with_space_separator}}",
            &amount(" ", None, rounded),
        )
        .replace(
            "{{amount_with_comma_separator}}",
            &amount(".", Some(","), whole),
        )
        .replace(
            "{{amount_with_apostrophe_separator}}",
            &amount("'", Some("."), whole),
        )
        .replace(
            "{{amount_with_space_separator}}",
            &amount(" ", Some(","), whole),
        )
        .replace(
            "{{amount_with_period_and_space_separator}}",
            &amount(" ", Some("."), whole),
        )
        .replace("{{amount_no_decimals}}", &amount(",", None, rounded))
        .replace("{{amount}}", &amount(",", Some("."), whole));
    format!("{sign}{text}")
}

/// Elastic Path's timestamps: "2023-11-07T23:04:18.845Z".
pub fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Shapes amounts for one cart: its currency and the shop's money format.
pub struct Money<'a> {
    pub shop: &'a Shop,
    pub currency: &'a str,
}

impl Money<'_> {
    /// `{amount, currency, formatted}`
    pub fn display(&self, cents: i64) -> Value {
        json!({
            "amount": cents,
            "currency": self.currency,
            "formatted": format_money(self.shop, cents),
        })
    }

    /// `{amount, currency, includes_tax}`
    pub fn price(&self, cents: i64) -> Value {
        json!({ "amount": cents, "currency": self.currency, "includes_tax": false })
    }

    /// `{unit: {...}, value: {...}}`
    fn unit_value(&self, unit: i64, value: i64) -> Value {
        json!({ "unit": self.display(unit), "value": self.display(value) })
    }
}

/// Rounds `value / quantity` to the nearest minor unit.
fn per_unit(value: i64, quantity: i64) -> i64 {
    if quantity <= 0 {
        return 0;
    }
    let half = quantity / 2;
    if value >= 0 {
        (value + half) / quantity
    } else {
        -((-value + half) / quantity)
    }
}

fn image_json(image: Option<&Image>) -> Value {
    let Some(image) = image else {
        return json!({ "mime_type": "", "file_name": "", "href": "" });
    };
    let file_name = image.src.rsplit('/').next().unwrap_or_default();
    let mime_type = match file_name.rsplit('.').next().map(str::to_ascii_lowercase) {
        Some(ext) if ext == "svg" => "image/svg+xml",
        Some(ext) if ext == "png" => "image/png",
        Some(ext) if ext == "jpg" || ext == "jpeg" => "image/jpeg",
        Some(ext) if ext == "webp" => "image/webp",
        Some(ext) if ext == "gif" => "image/gif",
        _ => "application/octet-stream",
    };
    json!({ "mime_type": mime_type, "file_name": file_name, "href": image.src })
}

/// One cart item.
pub fn item(line: &PricedLine<'_>, codes: &[String], money: &Money<'_>) -> Value {
    let l = line.line;
    let quantity = l.quantity;
    let discount = line.allocated_discount();
    let value = line.line_price - discount;
    let display = json!({
        "with_tax": money.unit_value(per_unit(value, quantity), value),
        "without_tax": money.unit_value(per_unit(value, quantity), value),
        "tax": money.unit_value(0, 0),
        "discount": money.unit_value(-per_unit(discount, quantity), -discount),
        "without_discount": money.unit_value(line.price, line.line_price),
    });
    let discounts: Vec<Value> = line
        .allocations
        .iter()
        .map(|(i, amount)| {
            let code = codes.get(*i).cloned().unwrap_or_default();
            json!({ "amount": money.price(-amount), "code": code, "id": code })
        })
        .collect();
    let (kind, product_id, description, slug, manage_stock, links) = match &l.item {
        LineItem::Variant { .. } => {
            let uuid = line.variant.map(|v| v.uuid.to_string()).unwrap_or_default();
            (
                "cart_item",
                Some(uuid.clone()),
                line.product
                    .map(|p| p.description.clone())
                    .unwrap_or_default(),
                line.product.map(|p| p.handle.clone()).unwrap_or_default(),
                line.variant.is_some_and(|v| v.inventory.is_some()),
                json!({ "product": format!("/catalog/products/{uuid}") }),
            )
        }
        LineItem::Custom { .. } | LineItem::GiftCertificate { .. } => (
            "custom_item",
            None,
            String::new(),
            String::new(),
            false,
            json!({}),
        ),
    };
    let sku = match &l.item {
        LineItem::GiftCertificate { .. } => "gift-certificate".to_string(),
        _ => line.sku.clone(),
    };
    let mut item = json!({
        "id": l.id.to_string(),
        "type": kind,
        "product_id": product_id,
        "name": line.title,
        "description": description,
        "sku": sku,
        "slug": slug,
        "image": image_json(line.image),
        "quantity": quantity,
        "manage_stock": manage_stock,
        "unit_price": money.price(line.price),
        "value": money.price(line.line_price),
        "discounts": discounts,
        "links": links,
        "meta": {
            "display_price": display,
            "timestamps": { "created_at": time(l.created_at), "updated_at": time(l.updated_at) },
        },
    });
    if let Value::Object(map) = &mut item {
        if product_id.is_none() {
            map.remove("product_id");
        } else {
            map.insert("catalog_id".into(), json!(CATALOG_ID));
            map.insert("catalog_source".into(), json!("pim"));
        }
        if !l.extras.custom_inputs.is_empty() {
            map.insert("custom_inputs".into(), json!(l.extras.custom_inputs));
        }
    }
    item
}

/// The cart-level `meta`: totals, timestamps and the cart's version.
pub fn cart_meta(priced: &PricedCart<'_>, shop: &Shop, ttl_days: i64) -> Value {
    let cart = priced.cart;
    let money = Money {
        shop,
        currency: &cart.currency,
    };
    let expires_at = cart.updated_at + Duration::days(ttl_days.max(1));
    json!({
        "display_price": {
            "with_tax": money.display(priced.total_price),
            "without_tax": money.display(priced.total_price),
            "tax": money.display(0),
            "discount": money.display(-priced.total_discount),
            "without_discount": money.display(priced.items_subtotal_price),
        },
        "timestamps": {
            "created_at": time(cart.created_at),
            "updated_at": time(cart.updated_at),
            "expires_at": time(expires_at),
        },
        "version": cart.version,
    })
}

/// `{data: [items], meta: {...}}`
pub fn cart_items(priced: &PricedCart<'_>, shop: &Shop, ttl_days: i64) -> Value {
    let money = Money {
        shop,
        currency: &priced.cart.currency,
    };
    let codes: Vec<String> = priced.applications.iter().map(|a| a.code.clone()).collect();
    let items: Vec<Value> = priced
        .lines
        .iter()
        .map(|l| item(l, &codes, &money))
        .collect();
    json!({ "data": items, "meta": cart_meta(priced, shop, ttl_days) })
}

/// `{data: Cart}`
pub fn cart(priced: &PricedCart<'_>, shop: &Shop, ttl_days: i64) -> Value {
    let cart = priced.cart;
    let items: Vec<Value> = cart
        .lines
        .iter()
        .map(|l| {
            let kind = match l.item {
                LineItem::Variant { .. } => "cart_item",
                _ => "custom_item",
            };
            json!({ "type": kind, "id": l.id.to_string() })
        })
        .collect();
    json!({
        "data": {
            "id": cart.id,
            "type": "cart",
            "name": cart.name.clone().unwrap_or_else(|| "Cart".into()),
            "description": cart.description.clone().unwrap_or_default(),
            "links": { "self": format!("/v2/carts/{}", cart.id) },
            "meta": cart_meta(priced, shop, ttl_days),
            "relationships": { "items": { "data": items } },
        }
    })
}

/// One catalog entry: a variant, which is what Elastic Path calls a product.
pub fn product(shop: &Shop, product: &Product, variant: &Variant) -> Value {
    let money = Money {
        shop,
        currency: &shop.currency,
    };
    json!({
        "id": variant.uuid.to_string(),
        "type": "product",
        "attributes": {
            "name": product.line_title(variant),
            "sku": variant.sku,
            "slug": product.handle,
            "description": product.description,
            "status": "live",
            "commodity_type": if variant.requires_shipping { "physical" } else { "digital" },
            "manage_stock": variant.inventory.is_some(),
            "price": { shop.currency.as_str(): { "amount": variant.price, "includes_tax": false } },
        },
        "meta": {
            "catalog_id": CATALOG_ID,
            "catalog_source": "pim",
            "display_price": {
                "with_tax": money.display(variant.price),
                "without_tax": money.display(variant.price),
            },
            "available": variant.available(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shop(format: &str) -> Shop {
        Shop {
            name: "t".into(),
            description: String::new(),
            currency: "CAD".into(),
            currency_symbol: "$".into(),
            money_format: format.into(),
            money_with_currency_format: format.into(),
            primary_locale: "en".into(),
            locales: vec!["en".into()],
            country_code: None,
        }
    }

    #[test]
    fn money_formats() {
        assert_eq!(format_money(&shop("${{amount}}"), 10000), "$100.00");
        assert_eq!(format_money(&shop("${{amount}}"), 113465), "$1,134.65");
        assert_eq!(format_money(&shop("${{amount}}"), -500), "-$5.00");
        assert_eq!(
            format_money(&shop("{{amount_with_comma_separator}} €"), 113465),
            "1.134,65 €"
        );
        assert_eq!(
            format_money(&shop("${{amount_no_decimals}}"), 113465),
            "$1,135"
        );
    }

    #[test]
    fn units_round_to_nearest() {
        assert_eq!(per_unit(1000, 3), 333);
        assert_eq!(per_unit(-1000, 3), -333);
        assert_eq!(per_unit(5, 0), 0);
    }
}
