//! A shopper-catalog view of the store (`/catalog/products`), so that an Elastic Path client can
//! find product ids. Each variant is one Elastic Path product; its id is the variant's UUID.
//! <https://elasticpath.dev/docs/api/pxm/catalog/get-all-products>

use axum::Json;
use axum::extract::{Path, State};
use serde_json::{Value, json};
use uuid::Uuid;

use super::auth::Shopper;
use super::error::EpError;
use super::json;
use crate::state::AppState;

/// GET /catalog/products
/// <https://elasticpath.dev/docs/api/pxm/catalog/get-all-products>
pub async fn list(_: Shopper, State(state): State<AppState>) -> Json<Value> {
    let catalog = state.catalog();
    let shop = catalog.shop();
    let data: Vec<Value> = catalog
        .products
        .iter()
        .flat_map(|p| p.variants.iter().map(move |v| json::product(shop, p, v)))
        .collect();
    let total = data.len();
    Json(json!({
        "data": data,
        "meta": { "results": { "total": total } },
    }))
}

/// GET /catalog/products/:id
/// <https://elasticpath.dev/docs/api/pxm/catalog/get-product>
pub async fn get(
    _: Shopper,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, EpError> {
    let uuid = Uuid::parse_str(id.trim()).map_err(|_| EpError::ProductNotFound)?;
    let found = state
        .catalog()
        .variant_by_uuid(uuid)
        .ok_or(EpError::ProductNotFound)?;
    let shop = state.catalog().shop();
    Ok(Json(
        json!({ "data": json::product(shop, found.product, found.variant) }),
    ))
}
