//! The cart endpoints of Elastic Path's Carts API (`/v2/carts`). Any shopper token may use any
//! cart id: the id is the secret, as on the platform. Reading a cart that does not exist creates
//! it, empty, as the platform does.
//! <https://elasticpath.dev/docs/carts-orders/carts>

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::apply;
use super::auth::Shopper;
use super::error::EpError;
use super::json;
use super::params::{self, RawBody, if_match};
use crate::cart::Cart;
use crate::cart::pricing::price;
use crate::state::AppState;
use crate::store::{AfterCommand, IfMissing, MutateError};
use crate::storefront;

fn items_body(state: &AppState, cart: &Cart) -> Value {
    let priced = price(cart, state.catalog());
    json::cart_items(&priced, state.catalog().shop(), state.config().ttl_days())
}

fn cart_body(state: &AppState, cart: &Cart) -> Value {
    let priced = price(cart, state.catalog());
    json::cart(&priced, state.catalog().shop(), state.config().ttl_days())
}

/// Cart items, plus `errors` for the items of a bulk request that failed.
fn items_response(
    state: &AppState,
    status: StatusCode,
    cart: &Cart,
    failures: Vec<(usize, EpError)>,
) -> Response {
    let mut body = items_body(state, cart);
    if !failures.is_empty()
        && let Value::Object(map) = &mut body
    {
        map.insert(
            "errors".into(),
            Value::Array(EpError::Items(failures).entries()),
        );
    }
    (status, Json(body)).into_response()
}

/// A cart that was already there when `ensure_cart` tried to create it.
struct AlreadyThere;

/// The cart with this id, created empty if it does not exist yet. Reading never bumps the
/// version of an existing cart.
async fn ensure_cart(state: &AppState, id: &str) -> Result<Cart, EpError> {
    if let Some(cart) = state.store().cart(id).await? {
        return Ok(cart);
    }
    let created = storefront::cart::run(
        state,
        id,
        IfMissing::Create,
        AfterCommand::Save,
        |cart, _, _| {
            // A stored cart has version 1 or more: someone created it meanwhile.
            if cart.version > 0 {
                Err(AlreadyThere)
            } else {
                Ok(())
            }
        },
    )
    .await;
    match created {
        Ok(mutation) => mutation
            .cart
            .map(std::sync::Arc::unwrap_or_clone)
            .ok_or_else(|| EpError::Internal("creating a cart deleted it".into())),
        Err(MutateError::Command(AlreadyThere)) => state
            .store()
            .cart(id)
            .await?
            .ok_or_else(|| EpError::Internal("a cart vanished while being created".into())),
        Err(MutateError::Store(e)) => Err(e.into()),
        Err(MutateError::NotFound) => Err(EpError::CartNotFound),
    }
}

/// POST /v2/carts
/// <https://elasticpath.dev/docs/carts-orders/create-a-cart>
pub async fn create_cart(
    _: Shopper,
    State(state): State<AppState>,
    RawBody(body): RawBody,
) -> Result<Response, EpError> {
    let (name, description) = params::new_cart(&params::json_body(&body, true)?)?;
    let id = crate::cart::new_token();
    let mutation = storefront::cart::run(
        &state,
        &id,
        IfMissing::Create,
        AfterCommand::Save,
        move |cart, _, _| {
            cart.name = Some(name.unwrap_or_else(|| "Cart".into()));
            cart.description = description;
            Ok::<_, EpError>(())
        },
    )
    .await
    .map_err(EpError::from)?;
    let cart = mutation
        .cart
        .ok_or_else(|| EpError::Internal("creating a cart deleted it".into()))?;
    Ok((StatusCode::CREATED, Json(cart_body(&state, &cart))).into_response())
}

/// GET /v2/carts/:id (creates an empty cart when the id is new)
/// <https://elasticpath.dev/docs/carts-orders/get-a-cart>
pub async fn get_cart(
    _: Shopper,
    State(state): State<AppState>,
    Path(cart_id): Path<String>,
) -> Result<Json<Value>, EpError> {
    let cart = ensure_cart(&state, params::cart_id(&cart_id)?).await?;
    Ok(Json(cart_body(&state, &cart)))
}

/// DELETE /v2/carts/:id
/// <https://elasticpath.dev/docs/carts-orders/delete-a-cart>
pub async fn delete_cart(
    _: Shopper,
    State(state): State<AppState>,
    Path(cart_id): Path<String>,
) -> Result<StatusCode, EpError> {
    if state
        .store()
        .delete_cart(params::cart_id(&cart_id)?)
        .await?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(EpError::CartNotFound)
    }
}

/// GET /v2/carts/:id/items (creates an empty cart when the id is new)
/// <https://elasticpath.dev/docs/carts-orders/get-cart-items>
pub async fn get_items(
    _: Shopper,
    State(state): State<AppState>,
    Path(cart_id): Path<String>,
) -> Result<Json<Value>, EpError> {
    let cart = ensure_cart(&state, params::cart_id(&cart_id)?).await?;
    Ok(Json(items_body(&state, &cart)))
}

/// POST /v2/carts/:id/items: one item, or `{data: [...], options: {add_all_or_nothing}}`.
/// <https://elasticpath.dev/docs/carts-orders/add-product-to-cart>
/// <https://elasticpath.dev/docs/carts-orders/add-custom-item-to-cart>
pub async fn add_items(
    _: Shopper,
    State(state): State<AppState>,
    Path(cart_id): Path<String>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Result<Response, EpError> {
    let id = params::cart_id(&cart_id)?;
    let params = params::add(&params::json_body(&body, false)?)?;
    let if_match = if_match(&headers)?;
    let mutation = storefront::cart::run(
        &state,
        id,
        IfMissing::Create,
        AfterCommand::Save,
        move |cart, catalog, now| apply::add_items(cart, catalog, params, if_match, now),
    )
    .await
    .map_err(EpError::from)?;
    let cart = mutation
        .cart
        .ok_or_else(|| EpError::Internal("adding items deleted the cart".into()))?;
    Ok(items_response(
        &state,
        StatusCode::CREATED,
        &cart,
        mutation.value,
    ))
}

async fn run_update(
    state: &AppState,
    cart_id: &str,
    item_id: Option<&str>,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, EpError> {
    let id = params::cart_id(cart_id)?;
    let item_id = match item_id {
        Some(text) => Some(uuid::Uuid::parse_str(text).map_err(|_| EpError::ItemNotFound)?),
        None => None,
    };
    let params = params::update(&params::json_body(body, false)?, item_id)?;
    let if_match = if_match(headers)?;
    let mutation = storefront::cart::run(
        state,
        id,
        IfMissing::Fail,
        AfterCommand::Save,
        move |cart, catalog, now| apply::update_items(cart, catalog, params, if_match, now),
    )
    .await
    .map_err(EpError::from)?;
    let cart = mutation
        .cart
        .ok_or_else(|| EpError::Internal("an update deleted the cart".into()))?;
    Ok(items_response(state, StatusCode::OK, &cart, mutation.value))
}

/// PUT /v2/carts/:id/items/:itemId (quantity 0 removes the item)
/// <https://elasticpath.dev/docs/carts-orders/update-a-cart-item>
pub async fn update_item(
    _: Shopper,
    State(state): State<AppState>,
    Path((cart_id, item_id)): Path<(String, String)>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Result<Response, EpError> {
    run_update(&state, &cart_id, Some(&item_id), &headers, &body).await
}

/// PUT /v2/carts/:id/items: `{data: [{id, quantity}], options: {update_all_or_nothing}}`
/// <https://elasticpath.dev/docs/carts-orders/bulk-update-items-in-cart>
pub async fn update_items(
    _: Shopper,
    State(state): State<AppState>,
    Path(cart_id): Path<String>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Result<Response, EpError> {
    run_update(&state, &cart_id, None, &headers, &body).await
}

/// DELETE /v2/carts/:id/items/:itemId
/// <https://elasticpath.dev/docs/carts-orders/delete-a-cart-item>
pub async fn delete_item(
    _: Shopper,
    State(state): State<AppState>,
    Path((cart_id, item_id)): Path<(String, String)>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Result<Response, EpError> {
    let id = params::cart_id(&cart_id)?;
    let item_id = uuid::Uuid::parse_str(&item_id).map_err(|_| EpError::ItemNotFound)?;
    let versions = [
        params::optional_version(&params::json_body(&body, true)?)?,
        if_match(&headers)?,
    ];
    let mutation = storefront::cart::run(
        &state,
        id,
        IfMissing::Fail,
        AfterCommand::Save,
        move |cart, _, _| apply::remove_item(cart, item_id, &versions),
    )
    .await
    .map_err(EpError::from)?;
    let cart = mutation
        .cart
        .ok_or_else(|| EpError::Internal("removing an item deleted the cart".into()))?;
    Ok(items_response(&state, StatusCode::OK, &cart, Vec::new()))
}

/// DELETE /v2/carts/:id/items: empties the cart.
/// <https://elasticpath.dev/docs/carts-orders/delete-all-cart-items>
pub async fn delete_items(
    _: Shopper,
    State(state): State<AppState>,
    Path(cart_id): Path<String>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Result<StatusCode, EpError> {
    let id = params::cart_id(&cart_id)?;
    let versions = [
        params::optional_version(&params::json_body(&body, true)?)?,
        if_match(&headers)?,
    ];
    let outcome = storefront::cart::run(
        &state,
        id,
        IfMissing::Fail,
        AfterCommand::Save,
        move |cart, _, _| apply::clear(cart, &versions),
    )
    .await;
    match outcome {
        // Emptying a cart that does not exist leaves nothing to do.
        Ok(_) | Err(MutateError::NotFound) => Ok(StatusCode::NO_CONTENT),
        Err(e) => Err(e.into()),
    }
}
