//! The REST Storefront cart endpoints: the visitor's own cart, found through the session cookie.
//! A cart id that is not the visitor's answers 404, exactly like a cart that does not exist.
//! <https://developer.bigcommerce.com/docs/rest-storefront/carts>

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use tower_sessions::Session;

use super::apply::{self, Api};
use super::error::BcError;
use super::json::{self, Include};
use super::params::{self, Case, RawBody};
use crate::cart::Cart;
use crate::state::AppState;
use crate::storefront::visitor;

const CASE: Case = Case::Camel;

fn include(query: Option<&str>) -> Result<Include, BcError> {
    let (physical_options, digital_options) = params::include(query, CASE)?;
    Ok(Include {
        physical_options,
        digital_options,
    })
}

fn cart_body(state: &AppState, cart: &Cart, include: Include) -> Response {
    Json(json::render(cart, state.catalog(), CASE, include)).into_response()
}

/// The cart id of the path, if it is the visitor's.
async fn owned(session: &Session, cart_id: &str) -> Result<String, BcError> {
    match visitor::cart_id(session).await {
        Some(id) if id == cart_id => Ok(id),
        _ => Err(BcError::CartNotFound),
    }
}

/// The answer after a line was updated or removed: the cart, or 204 when it was deleted.
fn after_line_change(state: &AppState, cart: Option<Cart>, include: Include) -> Response {
    match cart {
        Some(cart) => cart_body(state, &cart, include),
        None => StatusCode::NO_CONTENT.into_response(),
    }
}

/// GET /api/storefront/carts: the visitor's cart in an array, or `[]`.
/// <https://developer.bigcommerce.com/docs/rest-storefront/carts#get-a-cart>
pub async fn get_carts(
    State(state): State<AppState>,
    session: Session,
    RawQuery(query): RawQuery,
) -> Result<Response, BcError> {
    let include = include(query.as_deref())?;
    let Some(id) = visitor::cart_id(&session).await else {
        return Ok(Json(Value::Array(Vec::new())).into_response());
    };
    // A BigCommerce cart always has lines: an emptied cart is no cart.
    match state.store().cart(&id).await? {
        Some(cart) if !cart.lines.is_empty() => {
            let body = json::render(&cart, state.catalog(), CASE, include);
            Ok(Json(Value::Array(vec![body])).into_response())
        }
        _ => Ok(Json(Value::Array(Vec::new())).into_response()),
    }
}

/// POST /api/storefront/carts: a new cart, which becomes the visitor's cart.
/// <https://developer.bigcommerce.com/docs/rest-storefront/carts#create-a-cart>
pub async fn create_cart(
    State(state): State<AppState>,
    session: Session,
    RawQuery(query): RawQuery,
    RawBody(body): RawBody,
) -> Result<Response, BcError> {
    let include = include(query.as_deref())?;
    let params = params::items(&params::json_body(&body, false)?, CASE)?;
    super::require_items(&params, CASE)?;
    let cart = super::add(&state, None, params).await?;
    visitor::set_cart_id(&session, &cart.id)
        .await
        .map_err(BcError::session)?;
    Ok(cart_body(&state, &cart, include))
}

/// DELETE /api/storefront/carts/{cartId}
/// <https://developer.bigcommerce.com/docs/rest-storefront/carts#delete-a-cart>
pub async fn delete_cart(
    State(state): State<AppState>,
    session: Session,
    Path(cart_id): Path<String>,
) -> Result<Response, BcError> {
    let id = owned(&session, &cart_id).await?;
    if state.store().delete_cart(&id).await? {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(BcError::CartNotFound)
    }
}

/// POST /api/storefront/carts/{cartId}/items
/// <https://developer.bigcommerce.com/docs/rest-storefront/carts/cart-items#add-cart-line-items>
pub async fn add_items(
    State(state): State<AppState>,
    session: Session,
    Path(cart_id): Path<String>,
    RawQuery(query): RawQuery,
    RawBody(body): RawBody,
) -> Result<Response, BcError> {
    let id = owned(&session, &cart_id).await?;
    let include = include(query.as_deref())?;
    let params = params::items(&params::json_body(&body, false)?, CASE)?;
    super::require_items(&params, CASE)?;
    let cart = super::add(&state, Some(&id), params).await?;
    Ok(cart_body(&state, &cart, include))
}

/// PUT /api/storefront/carts/{cartId}/items/{itemId}
/// <https://developer.bigcommerce.com/docs/rest-storefront/carts/cart-items#update-cart-line-item>
pub async fn update_item(
    State(state): State<AppState>,
    session: Session,
    Path((cart_id, item_id)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    RawBody(body): RawBody,
) -> Result<Response, BcError> {
    let id = owned(&session, &cart_id).await?;
    let include = include(query.as_deref())?;
    let params = params::update(&params::json_body(&body, false)?, CASE)?;
    let item_id = apply::line_id(&item_id)?;
    let cart = super::update(&state, &id, item_id, params, Api::Storefront).await?;
    Ok(after_line_change(&state, cart, include))
}

/// DELETE /api/storefront/carts/{cartId}/items/{itemId}
/// <https://developer.bigcommerce.com/docs/rest-storefront/carts/cart-items#delete-cart-line-item>
pub async fn delete_item(
    State(state): State<AppState>,
    session: Session,
    Path((cart_id, item_id)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    RawBody(body): RawBody,
) -> Result<Response, BcError> {
    let id = owned(&session, &cart_id).await?;
    let include = include(query.as_deref())?;
    let version = params::delete_version(&body, CASE)?;
    let item_id = apply::line_id(&item_id)?;
    let cart = super::remove(&state, &id, item_id, version).await?;
    Ok(after_line_change(&state, cart, include))
}
