//! Elastic Path Composable Commerce's cart API (`/v2/carts`), its implicit-grant token endpoint
//! and a read-only shopper catalog, over the same carts as every other dialect.
//! <https://elasticpath.dev/docs/carts-orders/carts>
//!
//! Elastic Path documents no cart version. This store keeps one on every cart anyway and honours
//! an optional `version` (in `data`, in `options` for bulk bodies, or as `If-Match`): a mismatch
//! answers 409 "Write conflict detected" and changes nothing. The version is shown in the cart's
//! `meta` (and in the `meta` of cart-item lists).

mod apply;
pub mod auth;
pub mod carts;
pub mod catalog;
pub mod error;
pub mod json;
pub mod params;

use axum::Router;
use axum::routing::{any, get, post};

use crate::state::AppState;
use auth::Shopper;
pub use auth::TokenBook;
use error::EpError;

pub fn router() -> Router<AppState> {
    let routes = Router::new()
        .route("/oauth/access_token", post(auth::access_token))
        .route("/v2/carts", post(carts::create_cart))
        .route(
            "/v2/carts/{cart_id}",
            get(carts::get_cart).delete(carts::delete_cart),
        )
        .route(
            "/v2/carts/{cart_id}/items",
            get(carts::get_items)
                .post(carts::add_items)
                .put(carts::update_items)
                .delete(carts::delete_items),
        )
        .route(
            "/v2/carts/{cart_id}/items/{item_id}",
            axum::routing::put(carts::update_item).delete(carts::delete_item),
        )
        .route("/catalog/products", get(catalog::list))
        .route("/catalog/products/{id}", get(catalog::get))
        .route("/v2/{*rest}", any(not_found))
        .route("/catalog/{*rest}", any(not_found));
    crate::api::with_error_shape::<error::Shape, _>(routes)
}

/// Any other `/v2` or `/catalog` path: still needs a token, then answers 404 in the errors shape.
async fn not_found(_: Shopper) -> EpError {
    EpError::NotFound
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn a_panicking_handler_answers_500_in_the_errors_shape() {
        let (status, body) =
            crate::api::answer_of_a_panic(crate::api::with_error_shape::<super::error::Shape, _>)
                .await;
        assert_eq!(status.as_u16(), 500);
        assert_eq!(body["errors"][0]["status"], 500, "{body}");
        assert_eq!(
            body["errors"][0]["title"], "Internal Server Error",
            "{body}"
        );
        assert!(!body.to_string().contains("a bug"), "{body}");
    }
}
