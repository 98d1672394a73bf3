//! The REST Management cart endpoints (`/stores/{store_hash}/v3/carts`): any admin caller may
//! read and change any cart by id. Every handler takes `Admin` first, so the token and store hash
//! are checked before the body is read.
//! <https://developer.bigcommerce.com/docs/rest-management/carts>

use axum::Json;
use axum::extract::{FromRequestParts, Path, RawPathParams, RawQuery, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use md5::{Digest, Md5};
use subtle::ConstantTimeEq;

use super::apply::{self, Api};
use super::error::BcError;
use super::json::{self, Include};
use super::params::{self, Case, RawBody};
use crate::cart::Cart;
use crate::state::AppState;

const CASE: Case = Case::Snake;

/// Proof that the request carries the admin token and names this store.
pub struct Admin;

/// Compares the two tokens in constant time. Both are hashed to a fixed length first, so
/// neither their contents nor their lengths show in the timing.
fn tokens_match(given: &[u8], expected: &[u8]) -> bool {
    let given = Md5::digest(given);
    let expected = Md5::digest(expected);
    bool::from(given.as_slice().ct_eq(expected.as_slice()))
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = BcError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, BcError> {
        let config = state.config();
        // No token configured: the API is closed to everyone.
        let Some(expected) = config.admin_token.as_deref().filter(|t| !t.is_empty()) else {
            return Err(BcError::Unauthorized);
        };
        let given = parts
            .headers
            .get("x-auth-token")
            .map(|v| v.as_bytes())
            .unwrap_or_default();
        if given.is_empty() || !tokens_match(given, expected.as_bytes()) {
            return Err(BcError::Unauthorized);
        }
        let params = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|_| BcError::StoreNotFound)?;
        let hash = params
            .iter()
            .find(|(name, _)| *name == "store_hash")
            .map(|(_, value)| value);
        if hash != Some(config.store_hash.as_str()) {
            return Err(BcError::StoreNotFound);
        }
        Ok(Admin)
    }
}

fn include(query: Option<&str>) -> Result<Include, BcError> {
    let (physical_options, digital_options) = params::include(query, CASE)?;
    Ok(Include {
        physical_options,
        digital_options,
    })
}

fn cart_body(state: &AppState, status: StatusCode, cart: &Cart, include: Include) -> Response {
    (
        status,
        Json(json::render(cart, state.catalog(), CASE, include)),
    )
        .into_response()
}

/// The answer after a line was updated or removed: the cart, or 204 when it was deleted.
fn after_line_change(state: &AppState, cart: Option<Cart>, include: Include) -> Response {
    match cart {
        Some(cart) => cart_body(state, StatusCode::OK, &cart, include),
        None => StatusCode::NO_CONTENT.into_response(),
    }
}

/// POST /stores/{store_hash}/v3/carts
/// <https://developer.bigcommerce.com/docs/rest-management/carts/carts-single#create-a-cart>
pub async fn create_cart(
    _: Admin,
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    RawBody(body): RawBody,
) -> Result<Response, BcError> {
    let include = include(query.as_deref())?;
    let params = params::items(&params::json_body(&body, false)?, CASE)?;
    super::require_items(&params, CASE)?;
    let cart = super::add(&state, None, params).await?;
    Ok(cart_body(&state, StatusCode::CREATED, &cart, include))
}

/// GET /stores/{store_hash}/v3/carts/{cartId}
/// <https://developer.bigcommerce.com/docs/rest-management/carts/carts-single#get-a-cart>
pub async fn get_cart(
    _: Admin,
    State(state): State<AppState>,
    Path((_, cart_id)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> Result<Response, BcError> {
    let include = include(query.as_deref())?;
    let cart = state
        .store()
        .cart(&cart_id)
        .await?
        .ok_or(BcError::CartNotFound)?;
    Ok(cart_body(&state, StatusCode::OK, &cart, include))
}

/// DELETE /stores/{store_hash}/v3/carts/{cartId}
/// <https://developer.bigcommerce.com/docs/rest-management/carts/carts-single#delete-a-cart>
pub async fn delete_cart(
    _: Admin,
    State(state): State<AppState>,
    Path((_, cart_id)): Path<(String, String)>,
) -> Result<Response, BcError> {
    if state.store().delete_cart(&cart_id).await? {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(BcError::CartNotFound)
    }
}

/// POST /stores/{store_hash}/v3/carts/{cartId}/items
/// <https://developer.bigcommerce.com/docs/rest-management/carts/carts-items#add-cart-line-items>
pub async fn add_items(
    _: Admin,
    State(state): State<AppState>,
    Path((_, cart_id)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    RawBody(body): RawBody,
) -> Result<Response, BcError> {
    let include = include(query.as_deref())?;
    let params = params::items(&params::json_body(&body, false)?, CASE)?;
    super::require_items(&params, CASE)?;
    let cart = super::add(&state, Some(&cart_id), params).await?;
    Ok(cart_body(&state, StatusCode::CREATED, &cart, include))
}

/// PUT /stores/{store_hash}/v3/carts/{cartId}/items/{itemId}: quantity and `list_price` only.
/// <https://developer.bigcommerce.com/docs/rest-management/carts/carts-items#update-cart-line-item>
pub async fn update_item(
    _: Admin,
    State(state): State<AppState>,
    Path((_, cart_id, item_id)): Path<(String, String, String)>,
    RawQuery(query): RawQuery,
    RawBody(body): RawBody,
) -> Result<Response, BcError> {
    let include = include(query.as_deref())?;
    let params = params::update(&params::json_body(&body, false)?, CASE)?;
    let item_id = apply::line_id(&item_id)?;
    let cart = super::update(&state, &cart_id, item_id, params, Api::Management).await?;
    Ok(after_line_change(&state, cart, include))
}

/// DELETE /stores/{store_hash}/v3/carts/{cartId}/items/{itemId}
/// <https://developer.bigcommerce.com/docs/rest-management/carts/carts-items#delete-cart-line-item>
pub async fn delete_item(
    _: Admin,
    State(state): State<AppState>,
    Path((_, cart_id, item_id)): Path<(String, String, String)>,
    RawQuery(query): RawQuery,
    RawBody(body): RawBody,
) -> Result<Response, BcError> {
    let include = include(query.as_deref())?;
    let version = params::delete_version(&body, CASE)?;
    let item_id = apply::line_id(&item_id)?;
    let cart = super::remove(&state, &cart_id, item_id, version).await?;
    Ok(after_line_change(&state, cart, include))
}

#[cfg(test)]
mod tests {
    use super::tokens_match;

    #[test]
    fn tokens_compare_by_content() {
        assert!(tokens_match(b"secret", b"secret"));
        assert!(!tokens_match(b"secret", b"secreT"));
        assert!(!tokens_match(b"", b"secret"));
    }
}
