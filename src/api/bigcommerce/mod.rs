//! BigCommerce's REST Storefront (`/api/storefront`, the visitor's cookie, camelCase) and REST
//! Management (`/stores/{store_hash}/v3`, `X-Auth-Token`, snake_case) cart APIs over the same
//! carts as every other dialect.
//! <https://developer.bigcommerce.com/docs/rest-storefront/carts>
//! <https://developer.bigcommerce.com/docs/rest-management/carts>
//!
//! Both APIs refuse a request for more than the stock (nothing changes), check the optional
//! `version` inside the cart's transaction (409 on a mismatch), and delete a cart whose last line
//! is removed.

pub mod apply;
pub mod error;
pub mod json;
pub mod management;
pub mod params;
pub mod storefront;

use axum::Router;
use axum::routing::{get, post, put};
use uuid::Uuid;

use crate::cart::{Cart, new_token};
use crate::state::AppState;
use crate::store::{AfterCommand, IfMissing};
use apply::Api;
use error::BcError;
use params::{ItemsParams, UpdateParams};

pub fn router() -> Router<AppState> {
    let storefront = Router::new()
        .route(
            "/api/storefront/carts",
            get(storefront::get_carts).post(storefront::create_cart),
        )
        .route(
            "/api/storefront/carts/{cart_id}",
            axum::routing::delete(storefront::delete_cart),
        )
        .route(
            "/api/storefront/carts/{cart_id}/items",
            post(storefront::add_items),
        )
        .route(
            "/api/storefront/carts/{cart_id}/items/{item_id}",
            put(storefront::update_item).delete(storefront::delete_item),
        );
    let management = Router::new()
        .route(
            "/stores/{store_hash}/v3/carts",
            post(management::create_cart),
        )
        .route(
            "/stores/{store_hash}/v3/carts/{cart_id}",
            get(management::get_cart).delete(management::delete_cart),
        )
        .route(
            "/stores/{store_hash}/v3/carts/{cart_id}/items",
            post(management::add_items),
        )
        .route(
            "/stores/{store_hash}/v3/carts/{cart_id}/items/{item_id}",
            put(management::update_item).delete(management::delete_item),
        );
    crate::api::with_error_shape::<error::Shape, _>(storefront.merge(management))
}

/// Resolves the requested lines and adds everything in one transaction. `None` for `cart_id`
/// starts a new cart. Returns the cart as committed.
async fn add(
    state: &AppState,
    cart_id: Option<&str>,
    mut params: ItemsParams,
) -> Result<Cart, BcError> {
    let catalog = state.catalog().clone();
    let lines = std::mem::take(&mut params.line_items)
        .into_iter()
        .map(|item| apply::resolve_line(&catalog, item))
        .collect::<Result<Vec<_>, _>>()?;
    let (id, if_missing) = match cart_id {
        Some(id) => (id.to_string(), IfMissing::Fail),
        None => {
            // A new cart has no version to compare with.
            params.version = None;
            (new_token(), IfMissing::Create)
        }
    };
    let mutation = crate::storefront::cart::run(
        state,
        &id,
        if_missing,
        AfterCommand::Save,
        move |cart, catalog, now| apply::add_items(cart, catalog, lines, params, now),
    )
    .await
    .map_err(BcError::from)?;
    mutation
        .cart
        .map(std::sync::Arc::unwrap_or_clone)
        .ok_or_else(|| BcError::Internal("an add deleted the cart".into()))
}

/// Updates one line. `None`: that emptied and deleted the cart.
async fn update(
    state: &AppState,
    cart_id: &str,
    item_id: Uuid,
    params: UpdateParams,
    api: Api,
) -> Result<Option<Cart>, BcError> {
    let mutation = crate::storefront::cart::run(
        state,
        cart_id,
        IfMissing::Fail,
        AfterCommand::DeleteIfEmpty,
        move |cart, catalog, now| apply::update_item(cart, catalog, item_id, params, api, now),
    )
    .await
    .map_err(BcError::from)?;
    Ok(mutation.cart.map(std::sync::Arc::unwrap_or_clone))
}

/// Deletes one line. `None`: that was the last line, and the cart is gone.
async fn remove(
    state: &AppState,
    cart_id: &str,
    item_id: Uuid,
    version: Option<i64>,
) -> Result<Option<Cart>, BcError> {
    let mutation = crate::storefront::cart::run(
        state,
        cart_id,
        IfMissing::Fail,
        AfterCommand::DeleteIfEmpty,
        move |cart, _, _| apply::remove_item(cart, item_id, version),
    )
    .await
    .map_err(BcError::from)?;
    Ok(mutation.cart.map(std::sync::Arc::unwrap_or_clone))
}

/// A request to add nothing at all.
fn require_items(params: &ItemsParams, case: params::Case) -> Result<(), BcError> {
    if params.is_empty() {
        Err(BcError::field(
            case.name("line_items"),
            "error.path.missing: give at least one item",
        ))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn a_panicking_handler_answers_500_in_the_bigcommerce_shape() {
        let (status, body) =
            crate::api::answer_of_a_panic(crate::api::with_error_shape::<super::error::Shape, _>)
                .await;
        assert_eq!(status.as_u16(), 500);
        assert_eq!(body["status"], 500, "{body}");
        assert_eq!(body["title"], "Internal Server Error", "{body}");
        assert_eq!(body["type"], super::error::ERROR_TYPE, "{body}");
        assert!(!body.to_string().contains("a bug"), "{body}");
    }
}
