//! Shopify's cart and line-item JSON, field for field and in the documented order.
//! The theme's `cart` object is built from the same shapes, so templates and the Ajax API agree.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use indexmap::IndexMap;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::cart::pricing::{DiscountApplication, PricedCart, PricedLine};
use crate::catalog::{Catalog, DiscountValue, Image, SellingPlanOption};

#[derive(Debug, Serialize)]
pub struct CartJson<'a> {
    pub token: &'a str,
    pub note: Option<&'a str>,
    pub attributes: IndexMap<&'a str, &'a str>,
    pub original_total_price: i64,
    pub total_price: i64,
    pub total_discount: i64,
    pub total_weight: i64,
    pub item_count: i64,
    pub items: Vec<LineItemJson<'a>>,
    pub requires_shipping: bool,
    pub currency: &'a str,
    pub items_subtotal_price: i64,
    pub cart_level_discount_applications: Vec<DiscountApplicationJson<'a>>,
    pub discount_codes: Vec<DiscountCodeJson<'a>>,
}

#[derive(Debug, Serialize)]
pub struct DiscountCodeJson<'a> {
    pub code: &'a str,
    pub applicable: bool,
}

#[derive(Debug, Serialize)]
pub struct DiscountApplicationJson<'a> {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub key: &'a str,
    pub title: &'a str,
    pub description: &'a str,
    pub value: String,
    pub created_at: String,
    pub value_type: &'static str,
    pub allocation_method: &'static str,
    pub target_selection: &'static str,
    pub target_type: &'static str,
    pub total_allocated_amount: i64,
}

#[derive(Debug, Serialize)]
pub struct FeaturedImageJson<'a> {
    pub aspect_ratio: f64,
    pub alt: &'a str,
    pub height: u32,
    pub url: &'a str,
    pub width: u32,
}

#[derive(Debug, Serialize)]
pub struct OptionValueJson<'a> {
    pub name: &'a str,
    pub value: &'a str,
}

#[derive(Debug, Serialize)]
pub struct QuantityRuleJson {
    pub min: i64,
    pub max: Option<i64>,
    pub increment: i64,
}

#[derive(Debug, Serialize)]
pub struct PriceAdjustmentJson {
    pub position: u32,
    pub price: i64,
}

#[derive(Debug, Serialize)]
pub struct SellingPlanJson<'a> {
    pub id: i64,
    pub name: &'a str,
    pub description: &'a str,
    pub options: &'a [SellingPlanOption],
    pub recurring_deliveries: bool,
}

#[derive(Debug, Serialize)]
pub struct SellingPlanAllocationJson<'a> {
    pub price_adjustments: Vec<PriceAdjustmentJson>,
    pub price: i64,
    pub compare_at_price: i64,
    pub per_delivery_price: i64,
    pub selling_plan: SellingPlanJson<'a>,
}

#[derive(Debug, Serialize)]
pub struct LineItemJson<'a> {
    pub id: Option<i64>,
    pub properties: &'a IndexMap<String, Value>,
    pub quantity: i64,
    pub variant_id: Option<i64>,
    pub key: String,
    pub title: &'a str,
    pub price: i64,
    pub original_price: i64,
    pub discounted_price: i64,
    pub line_price: i64,
    pub original_line_price: i64,
    pub total_discount: i64,
    pub discounts: Vec<Value>,
    pub sku: &'a str,
    pub grams: i64,
    pub vendor: &'a str,
    pub taxable: bool,
    pub product_id: Option<i64>,
    pub product_has_only_default_variant: bool,
    pub gift_card: bool,
    pub final_price: i64,
    pub final_line_price: i64,
    pub url: Option<String>,
    pub featured_image: Option<FeaturedImageJson<'a>>,
    pub image: Option<&'a str>,
    pub handle: Option<&'a str>,
    pub requires_shipping: bool,
    pub product_type: &'a str,
    pub product_title: &'a str,
    pub product_description: &'a str,
    pub variant_title: Option<&'a str>,
    pub variant_options: Vec<&'a str>,
    pub options_with_values: Vec<OptionValueJson<'a>>,
    pub line_level_discount_allocations: Vec<Value>,
    pub line_level_total_discount: i64,
    pub quantity_rule: QuantityRuleJson,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub selling_plan_allocation: Option<SellingPlanAllocationJson<'a>>,
}

impl<'a> CartJson<'a> {
    pub fn new(priced: &'a PricedCart<'a>) -> Self {
        let cart = priced.cart;
        CartJson {
            token: &cart.id,
            note: cart.note.as_deref(),
            attributes: cart
                .public_attributes()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect(),
            original_total_price: priced.original_total_price,
            total_price: priced.total_price,
            total_discount: priced.total_discount,
            total_weight: priced.total_weight,
            item_count: priced.item_count,
            items: priced.lines.iter().map(LineItemJson::new).collect(),
            requires_shipping: priced.requires_shipping,
            currency: &cart.currency,
            items_subtotal_price: priced.items_subtotal_price,
            cart_level_discount_applications: priced
                .applications
                .iter()
                .map(|a| DiscountApplicationJson::new(a, cart.updated_at))
                .collect(),
            discount_codes: priced
                .codes
                .iter()
                .map(|c| DiscountCodeJson {
                    code: &c.code,
                    applicable: c.applicable,
                })
                .collect(),
        }
    }
}

impl<'a> DiscountApplicationJson<'a> {
    fn new(a: &'a DiscountApplication, at: chrono::DateTime<chrono::Utc>) -> Self {
        let (value, value_type) = match a.value {
            DiscountValue::Percentage(p) => (format!("{p}.0"), "percentage"),
            DiscountValue::FixedAmount(c) => {
                (format!("{}.{:02}", c / 100, c % 100), "fixed_amount")
            }
        };
        DiscountApplicationJson {
            kind: "discount_code",
            key: &a.code,
            title: &a.title,
            description: &a.description,
            value,
            created_at: at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            value_type,
            allocation_method: "across",
            target_selection: "all",
            target_type: "line_item",
            total_allocated_amount: a.total_allocated_amount,
        }
    }
}

fn featured_image(image: &Image) -> FeaturedImageJson<'_> {
    FeaturedImageJson {
        aspect_ratio: image.aspect_ratio(),
        alt: &image.alt,
        height: image.height,
        url: &image.src,
        width: image.width,
    }
}

impl<'a> LineItemJson<'a> {
    pub fn new(l: &'a PricedLine<'a>) -> Self {
        let line = l.line;
        let product = l.product;
        let variant = l.variant;
        let default_only = product.is_some_and(|p| p.has_only_default_variant());
        let variant_title = match variant {
            Some(v) if !default_only => Some(v.title.as_str()),
            _ => None,
        };
        let url = match (product, variant) {
            (Some(p), Some(v)) => Some(match l.selling_plan {
                Some(plan) => format!(
                    "/products/{}?selling_plan={}&variant={}",
                    p.handle, plan.id, v.id
                ),
                None => format!("/products/{}?variant={}", p.handle, v.id),
            }),
            _ => None,
        };
        let options_with_values = match (product, variant) {
            (Some(p), Some(v)) => p
                .options
                .iter()
                .zip(v.options.iter())
                .map(|(name, value)| OptionValueJson { name, value })
                .collect(),
            _ => Vec::new(),
        };
        let selling_plan_allocation = l.selling_plan.map(|plan| SellingPlanAllocationJson {
            price_adjustments: vec![PriceAdjustmentJson {
                position: 1,
                price: l.price,
            }],
            price: l.price,
            compare_at_price: l.base_price,
            per_delivery_price: l.price,
            selling_plan: SellingPlanJson {
                id: plan.id,
                name: &plan.name,
                description: &plan.description,
                options: &plan.options,
                recurring_deliveries: plan.recurring_deliveries,
            },
        });
        let title_fallback: &'a str = &l.title;
        LineItemJson {
            id: line.variant_id(),
            properties: &line.properties,
            quantity: line.quantity,
            variant_id: line.variant_id(),
            key: line.key(),
            title: &l.title,
            price: l.price,
            original_price: l.price,
            discounted_price: l.price,
            line_price: l.line_price,
            original_line_price: l.line_price,
            total_discount: 0,
            discounts: Vec::new(),
            sku: &l.sku,
            grams: l.grams,
            vendor: product.map_or("", |p| p.vendor.as_str()),
            taxable: variant.is_some_and(|v| v.taxable),
            product_id: product.map(|p| p.id),
            product_has_only_default_variant: default_only,
            gift_card: l.gift_card,
            final_price: l.price,
            final_line_price: l.line_price,
            url,
            featured_image: l.image.map(featured_image),
            image: l.image.map(|i| i.src.as_str()),
            handle: product.map(|p| p.handle.as_str()),
            requires_shipping: l.requires_shipping,
            product_type: product.map_or("", |p| p.product_type.as_str()),
            product_title: product.map_or(title_fallback, |p| p.title.as_str()),
            product_description: product.map_or("", |p| p.description.as_str()),
            variant_title,
            variant_options: variant
                .map_or_else(Vec::new, |v| v.options.iter().map(String::as_str).collect()),
            options_with_values,
            line_level_discount_allocations: Vec::new(),
            line_level_total_discount: 0,
            quantity_rule: QuantityRuleJson {
                min: 1,
                max: None,
                increment: 1,
            },
            selling_plan_allocation,
        }
    }
}

/// Serializes a JSON object straight to bytes, with `extra` top-level fields appended (such as
/// `sections`). Going through `serde_json::Value` first costs more than the rest of a request.
pub fn object_bytes<T: Serialize>(body: &T, extra: &Map<String, Value>) -> Bytes {
    let mut out = Vec::with_capacity(4096);
    if serde_json::to_writer(&mut out, body).is_err() || out.last() != Some(&b'}') {
        out.clear();
        out.extend_from_slice(b"{}");
    }
    if extra.is_empty() {
        Bytes::from(out)
    } else {
        append_fields(&out, extra)
    }
}

/// Appends top-level fields to a serialized JSON object (one that `object_bytes` wrote).
pub fn append_fields(object: &[u8], extra: &Map<String, Value>) -> Bytes {
    let Some(open) = object.strip_suffix(b"}") else {
        return Bytes::copy_from_slice(object);
    };
    let mut out = Vec::with_capacity(object.len() + 4096);
    out.extend_from_slice(open);
    for (name, value) in extra {
        if out.len() > 1 {
            out.push(b',');
        }
        let _ = serde_json::to_writer(&mut out, name);
        out.push(b':');
        let _ = serde_json::to_writer(&mut out, value);
    }
    out.push(b'}');
    Bytes::from(out)
}

/// A `200 application/json` response from pre-serialized bytes.
pub fn json_bytes(status: StatusCode, body: Bytes) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response()
}

/// The Ajax JSON of the cart, computed from the cart and the catalog.
pub fn cart_bytes(cart: &crate::cart::Cart, catalog: &Catalog) -> Bytes {
    let priced = crate::cart::pricing::price(cart, catalog);
    object_bytes(&CartJson::new(&priced), &Map::new())
}
