//! BigCommerce's cart JSON, in the order of the reference's examples. The Storefront API spells
//! fields in camelCase, the Management API in snake_case, and otherwise the two carts are nearly
//! the same object, so one builder writes both: `Case` spells each name, and the few fields that
//! differ between the two APIs are chosen explicitly. Money is in decimal major units (`110.7`).
//! <https://developer.bigcommerce.com/docs/rest-storefront/carts>
//! <https://developer.bigcommerce.com/docs/rest-management/carts>

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::apply::variant_options;
use super::params::Case;
use crate::cart::pricing::{PricedCart, PricedLine};
use crate::cart::{Cart, LineItem};
use crate::catalog::Catalog;

/// Which `include=...options` the request asked for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Include {
    pub physical_options: bool,
    pub digital_options: bool,
}

/// Minor units as a decimal number of major units: 11070 → 110.7, 12900 → 129.
pub fn major(cents: i64) -> Value {
    if cents % 100 == 0 {
        Value::from(cents / 100)
    } else {
        serde_json::Number::from_f64(cents as f64 / 100.0).map_or(Value::Null, Value::Number)
    }
}

/// "2021-03-04T14:17:50+00:00"
pub fn time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S+00:00").to_string()
}

/// An object under construction, spelling names for one API.
struct Obj {
    map: Map<String, Value>,
    case: Case,
}

impl Obj {
    fn new(case: Case) -> Obj {
        Obj {
            map: Map::new(),
            case,
        }
    }

    fn set(mut self, snake: &str, value: impl Into<Value>) -> Obj {
        self.map.insert(self.case.name(snake), value.into());
        self
    }

    fn done(self) -> Value {
        Value::Object(self.map)
    }
}

fn currency_name(code: &str) -> &'static str {
    match code {
        "CAD" => "Canadian Dollar",
        "USD" => "US Dollar",
        "EUR" => "Euro",
        "GBP" => "British Pound",
        _ => "",
    }
}

/// The cart object of either API.
pub fn cart(priced: &PricedCart<'_>, catalog: &Catalog, case: Case, include: Include) -> Value {
    let cart = priced.cart;
    let shop = catalog.shop();
    let currency = match case {
        Case::Camel => json!({
            "code": cart.currency,
            "decimalPlaces": 2,
            "name": currency_name(&cart.currency),
            "symbol": shop.currency_symbol,
        }),
        Case::Snake => json!({ "code": cart.currency }),
    };
    let coupons: Vec<Value> = priced
        .applications
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let coupon_type = match a.value {
                crate::catalog::DiscountValue::Percentage(_) => "percentage_discount",
                crate::catalog::DiscountValue::FixedAmount(_) => "per_total_discount",
            };
            Obj::new(case)
                .set("id", i as i64 + 1)
                .set("code", a.code.clone())
                .set("display_name", a.description.clone())
                .set("coupon_type", coupon_type)
                .set("discounted_amount", major(a.total_allocated_amount))
                .done()
        })
        .collect();
    let mut o = Obj::new(case).set("id", cart.id.clone());
    if case == Case::Camel {
        o = o.set("parent_id", Value::Null);
    }
    o = o
        .set("customer_id", 0)
        .set("email", cart.email.clone().unwrap_or_default());
    if case == Case::Snake {
        o = o.set("channel_id", 1);
    }
    o = o.set("currency", currency).set(
        match case {
            Case::Camel => "is_tax_included",
            Case::Snake => "tax_included",
        },
        false,
    );
    o = o
        .set("base_amount", major(priced.items_subtotal_price))
        // Every discount here is a coupon, and BigCommerce counts coupons apart from the
        // order-level `discountAmount`: `cartAmount = baseAmount - discountAmount - coupons`.
        .set("discount_amount", 0);
    if case == Case::Snake {
        o = o.set("manual_discount_amount", 0);
    }
    o.set("cart_amount", major(priced.total_price))
        .set("coupons", coupons)
        .set("discounts", Vec::<Value>::new())
        .set("line_items", line_items(priced, case, include))
        .set("created_time", time(cart.created_at))
        .set("updated_time", time(cart.updated_at))
        .set(
            "locale",
            cart.locale
                .clone()
                .unwrap_or_else(|| shop.primary_locale.clone()),
        )
        .set("version", cart.version)
        .done()
}

fn line_items(priced: &PricedCart<'_>, case: Case, include: Include) -> Value {
    let mut physical = Vec::new();
    let mut digital = Vec::new();
    let mut gifts = Vec::new();
    let mut custom = Vec::new();
    let codes: Vec<String> = priced.applications.iter().map(|a| a.code.clone()).collect();
    for line in &priced.lines {
        match &line.line.item {
            LineItem::Variant { .. } if line.requires_shipping => {
                physical.push(catalog_item(line, &codes, case, include.physical_options))
            }
            LineItem::Variant { .. } => {
                digital.push(catalog_item(line, &codes, case, include.digital_options))
            }
            LineItem::Custom { .. } => custom.push(custom_item(line, case)),
            LineItem::GiftCertificate { .. } => gifts.push(gift_certificate(line, case)),
        }
    }
    Obj::new(case)
        .set("physical_items", physical)
        .set("digital_items", digital)
        .set("gift_certificates", gifts)
        .set("custom_items", custom)
        .done()
}

fn line_discounts(line: &PricedLine<'_>, priced_codes: &[String], case: Case) -> Vec<Value> {
    line.allocations
        .iter()
        .map(|(i, amount)| {
            Obj::new(case)
                .set("id", priced_codes.get(*i).cloned().unwrap_or_default())
                .set("discounted_amount", major(*amount))
                .done()
        })
        .collect()
}

fn catalog_item(line: &PricedLine<'_>, codes: &[String], case: Case, with_options: bool) -> Value {
    let l = line.line;
    let (Some(product), Some(variant)) = (line.product, line.variant) else {
        return Value::Null;
    };
    let quantity = l.quantity;
    let allocated = line.allocated_discount();
    let kind = if line.requires_shipping {
        "physical"
    } else {
        "digital"
    };
    let mut o = Obj::new(case)
        .set("id", l.id.to_string())
        .set("parent_id", Value::Null)
        .set("variant_id", variant.id)
        .set("product_id", product.id)
        .set("sku", variant.sku.clone())
        .set("name", line.title.clone())
        .set("url", format!("/products/{}", product.handle))
        .set("quantity", quantity);
    if case == Case::Camel {
        o = o.set("brand", product.vendor.clone());
    }
    o = o
        .set("is_taxable", variant.taxable)
        .set(
            "image_url",
            line.image.map(|i| i.src.clone()).unwrap_or_default(),
        )
        .set("discounts", line_discounts(line, codes, case));
    if case == Case::Snake {
        o = o.set("coupons", Vec::<Value>::new());
    }
    o = o
        .set("discount_amount", 0)
        .set("coupon_amount", major(allocated))
        .set("original_price", major(variant.price))
        .set("list_price", major(line.base_price))
        .set("sale_price", major(line.price))
        .set("extended_list_price", major(line.base_price * quantity))
        .set("extended_sale_price", major(line.line_price))
        .set(
            match case {
                Case::Camel => "is_shipping_required",
                Case::Snake => "is_require_shipping",
            },
            line.requires_shipping,
        );
    if case == Case::Camel {
        o = o.set("type", kind);
    }
    o = o.set("is_mutable", true).set(
        "gift_wrapping",
        gift_wrapping(l.extras.gift_wrapping.as_ref(), case),
    );
    if with_options {
        let options: Vec<Value> = variant_options(product, variant)
            .into_iter()
            .map(|(name, name_id, value, value_id)| {
                Obj::new(case)
                    .set("name", name)
                    .set("name_id", name_id)
                    .set("value", value)
                    .set("value_id", value_id)
                    .done()
            })
            .collect();
        o = o.set("options", options);
    }
    o.done()
}

/// Stored gift wrapping, spelled for the API; wrapping is free in this store.
fn gift_wrapping(stored: Option<&Value>, case: Case) -> Value {
    let Some(Value::Object(stored)) = stored else {
        return Value::Null;
    };
    let details: Vec<Value> = match stored.get("wrap_details") {
        Some(Value::Array(items)) => items.clone(),
        _ => Vec::new(),
    };
    Obj::new(case)
        .set(
            "wrap_together",
            stored
                .get("wrap_together")
                .cloned()
                .unwrap_or(Value::Bool(false)),
        )
        .set("wrap_details", details)
        .set("amount", 0)
        .done()
}

fn custom_item(line: &PricedLine<'_>, case: Case) -> Value {
    let LineItem::Custom { image_url, .. } = &line.line.item else {
        return Value::Null;
    };
    Obj::new(case)
        .set("id", line.line.id.to_string())
        .set("sku", line.sku.clone())
        .set("name", line.title.clone())
        .set("quantity", line.line.quantity)
        .set("list_price", major(line.price))
        .set("extended_list_price", major(line.line_price))
        .set("image_url", image_url.clone().unwrap_or_default())
        .done()
}

fn contact(c: &crate::cart::Contact) -> Value {
    json!({ "name": c.name, "email": c.email })
}

fn gift_certificate(line: &PricedLine<'_>, case: Case) -> Value {
    let LineItem::GiftCertificate {
        name,
        theme,
        amount,
        sender,
        recipient,
        message,
    } = &line.line.item
    else {
        return Value::Null;
    };
    Obj::new(case)
        .set("id", line.line.id.to_string())
        .set("name", name.clone())
        .set("theme", theme.clone())
        .set("amount", major(*amount))
        .set("quantity", line.line.quantity)
        .set(
            match case {
                Case::Camel => "is_taxable",
                Case::Snake => "taxable",
            },
            false,
        )
        .set("sender", contact(sender))
        .set("recipient", contact(recipient))
        .set("message", message.clone().unwrap_or_default())
        .done()
}

/// The Management API's `{data, meta}` wrapper.
pub fn management(priced: &PricedCart<'_>, catalog: &Catalog, include: Include) -> Value {
    json!({ "data": cart(priced, catalog, Case::Snake, include), "meta": {} })
}

/// A cart priced and shaped for one API.
pub fn render(cart: &Cart, catalog: &Catalog, case: Case, include: Include) -> Value {
    let priced = crate::cart::pricing::price(cart, catalog);
    match case {
        Case::Camel => self::cart(&priced, catalog, case, include),
        Case::Snake => management(&priced, catalog, include),
    }
}
