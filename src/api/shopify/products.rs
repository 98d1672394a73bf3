//! The Product Ajax API: `GET /products.json` and `GET /products/{handle}.js`.
//! <https://shopify.dev/docs/api/ajax/reference/product>

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::error::ShopifyError;
use crate::catalog::{Product, Variant};
use crate::state::AppState;

#[derive(Debug, Serialize)]
pub struct ProductOptionJson<'a> {
    pub name: &'a str,
    pub position: usize,
    pub values: Vec<&'a str>,
}

#[derive(Debug, Serialize)]
pub struct VariantJson<'a> {
    pub id: i64,
    pub title: &'a str,
    pub option1: Option<&'a str>,
    pub option2: Option<&'a str>,
    pub option3: Option<&'a str>,
    pub sku: &'a str,
    pub requires_shipping: bool,
    pub taxable: bool,
    pub featured_image: Option<&'a str>,
    pub available: bool,
    pub name: String,
    pub public_title: Option<&'a str>,
    pub options: &'a [String],
    pub price: i64,
    pub weight: i64,
    pub compare_at_price: Option<i64>,
    pub inventory_management: Option<&'static str>,
    pub barcode: &'a str,
    pub requires_selling_plan: bool,
}

#[derive(Debug, Serialize)]
pub struct ProductJson<'a> {
    pub id: i64,
    pub title: &'a str,
    pub handle: &'a str,
    pub description: &'a str,
    pub published_at: &'a str,
    pub created_at: &'a str,
    pub vendor: &'a str,
    #[serde(rename = "type")]
    pub product_type: &'a str,
    pub tags: &'a [String],
    pub price: i64,
    pub price_min: i64,
    pub price_max: i64,
    pub available: bool,
    pub price_varies: bool,
    pub compare_at_price: Option<i64>,
    pub compare_at_price_min: i64,
    pub compare_at_price_max: i64,
    pub compare_at_price_varies: bool,
    pub variants: Vec<VariantJson<'a>>,
    pub images: Vec<&'a str>,
    pub featured_image: Option<&'a str>,
    pub options: Vec<ProductOptionJson<'a>>,
    pub url: String,
    pub requires_selling_plan: bool,
    pub gift_card: bool,
}

fn variant_json<'a>(product: &'a Product, variant: &'a Variant) -> VariantJson<'a> {
    let option = |i: usize| variant.options.get(i).map(String::as_str);
    let default_only = product.has_only_default_variant();
    VariantJson {
        id: variant.id,
        title: &variant.title,
        option1: option(0),
        option2: option(1),
        option3: option(2),
        sku: &variant.sku,
        requires_shipping: variant.requires_shipping,
        taxable: variant.taxable,
        featured_image: variant
            .image
            .and_then(|i| product.images.get(i))
            .map(|i| i.src.as_str()),
        available: variant.available(),
        name: product.line_title(variant),
        public_title: (!default_only).then_some(variant.title.as_str()),
        options: &variant.options,
        price: variant.price,
        weight: variant.grams,
        compare_at_price: variant.compare_at_price,
        inventory_management: variant.inventory.map(|_| "shopify"),
        barcode: &variant.barcode,
        requires_selling_plan: false,
    }
}

pub fn product_json(product: &Product) -> ProductJson<'_> {
    let prices: Vec<i64> = product.variants.iter().map(|v| v.price).collect();
    let compare: Vec<i64> = product
        .variants
        .iter()
        .map(|v| v.compare_at_price.unwrap_or(0))
        .collect();
    let min = |v: &[i64]| v.iter().copied().min().unwrap_or(0);
    let max = |v: &[i64]| v.iter().copied().max().unwrap_or(0);
    let options = product
        .options
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let mut values: Vec<&str> = Vec::new();
            for v in &product.variants {
                if let Some(value) = v.options.get(i)
                    && !values.contains(&value.as_str())
                {
                    values.push(value);
                }
            }
            ProductOptionJson {
                name,
                position: i + 1,
                values,
            }
        })
        .collect();
    ProductJson {
        id: product.id,
        title: &product.title,
        handle: &product.handle,
        description: &product.description,
        published_at: &product.published_at,
        created_at: &product.created_at,
        vendor: &product.vendor,
        product_type: &product.product_type,
        tags: &product.tags,
        price: min(&prices),
        price_min: min(&prices),
        price_max: max(&prices),
        available: product.variants.iter().any(Variant::available),
        price_varies: min(&prices) != max(&prices),
        compare_at_price: product
            .variants
            .iter()
            .filter_map(|v| v.compare_at_price)
            .min(),
        compare_at_price_min: min(&compare),
        compare_at_price_max: max(&compare),
        compare_at_price_varies: min(&compare) != max(&compare),
        variants: product
            .variants
            .iter()
            .map(|v| variant_json(product, v))
            .collect(),
        images: product.images.iter().map(|i| i.src.as_str()).collect(),
        featured_image: product.images.first().map(|i| i.src.as_str()),
        options,
        url: product.url(),
        requires_selling_plan: false,
        gift_card: product.gift_card,
    }
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    limit: Option<usize>,
    page: Option<usize>,
}

/// GET /products.json
pub async fn list(
    State(state): State<AppState>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Response {
    // axum's rejection is plain text; a bad `limit` or `page` answers in the platform's shape.
    let Ok(Query(q)) = query else {
        return ShopifyError::BadRequest(
            "limit and page must be whole numbers of 1 or more".into(),
        )
        .into_response();
    };
    let limit = q.limit.unwrap_or(30).clamp(1, 250);
    let page = q.page.unwrap_or(1).max(1);
    let products: Vec<ProductJson<'_>> = state
        .catalog()
        .products
        .iter()
        .skip((page - 1).saturating_mul(limit))
        .take(limit)
        .map(product_json)
        .collect();
    axum::Json(serde_json::json!({ "products": products })).into_response()
}

/// GET /products/{handle}.js (bare product) and /products/{handle}.json (`{product: ...}`).
pub fn product_response(state: &AppState, file: &str) -> Result<Response, ShopifyError> {
    let (handle, wrapped) = if let Some(h) = file.strip_suffix(".js") {
        (h, false)
    } else if let Some(h) = file.strip_suffix(".json") {
        (h, true)
    } else {
        return Err(ShopifyError::NotFound("Product".into()));
    };
    let product = state
        .catalog()
        .product(handle)
        .ok_or_else(|| ShopifyError::NotFound("Product".into()))?;
    let json = product_json(product);
    Ok(if wrapped {
        axum::Json(serde_json::json!({ "product": json })).into_response()
    } else {
        axum::Json(json).into_response()
    })
}
