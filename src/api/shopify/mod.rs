//! Shopify's Ajax Cart API (and its Product API), closely enough that theme JavaScript written
//! for Shopify works unchanged. <https://shopify.dev/docs/api/ajax>
//!
//! Mounted once per locale (`/` and `/fr/`) by `crate::routes`; the `Locale` extension tells
//! the handlers which one a request came through.

pub mod body;
pub mod cart_api;
pub mod error;
pub mod params;
pub mod products;
pub mod respond;
pub mod search;
pub mod shipping;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;

/// The Ajax API's own routes. The cart mutation endpoints, which also serve HTML forms, are
/// put together with the pages in `crate::routes` and wrapped with [`with_ajax_error_shape`].
pub fn router() -> Router<AppState> {
    let routes = Router::new()
        .route("/cart.js", get(cart_api::get_cart))
        .route("/cart.json", get(cart_api::get_cart))
        .route("/cart/prepare_shipping_rates.json", post(shipping::prepare))
        .route("/cart/prepare_shipping_rates", post(shipping::prepare))
        .route("/cart/async_shipping_rates.json", get(shipping::poll))
        .route("/cart/shipping_rates.json", get(shipping::estimate))
        .route("/products.json", get(products::list))
        .route("/search/suggest.json", get(search::suggest))
        .route(
            "/recommendations/products.json",
            get(search::recommendations),
        );
    with_ajax_error_shape(routes)
}

/// Answers axum's own refusals and a panicking handler in the Ajax API's error shape.
pub fn with_ajax_error_shape(routes: Router<AppState>) -> Router<AppState> {
    crate::api::with_error_shape::<error::Shape, _>(routes)
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn a_panicking_handler_answers_500_in_the_ajax_shape() {
        let (status, body) =
            crate::api::answer_of_a_panic(crate::api::with_error_shape::<super::error::Shape, _>)
                .await;
        assert_eq!(status.as_u16(), 500);
        assert_eq!(body["status"], 500, "{body}");
        assert_eq!(body["message"], "Internal Server Error", "{body}");
        assert!(!body.to_string().contains("a bug"), "{body}");
    }
}
