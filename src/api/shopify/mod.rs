//! Shopify's Ajax Cart API (and its Product API), closely enough that theme JavaScript written
//! for Shopify works unchanged. <https://shopify.dev/docs/api/ajax>
//!
//! The router is mounted once per locale (`/` and `/fr/`); the `Locale` extension tells the
//! handlers which one a request came through.

pub mod cart_api;
pub mod error;
pub mod json;
pub mod params;
pub mod products;
pub mod respond;
pub mod sections;
pub mod shipping;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/cart.js", get(cart_api::get_cart))
        .route("/cart.json", get(cart_api::get_cart))
        .route("/cart/add.js", post(cart_api::add))
        .route("/cart/add", post(cart_api::add))
        .route("/cart/update.js", post(cart_api::update))
        .route("/cart/update", post(cart_api::update))
        .route("/cart/change.js", post(cart_api::change))
        .route(
            "/cart/change",
            post(cart_api::change).get(cart_api::change_link),
        )
        .route("/cart/clear.js", post(cart_api::clear))
        .route("/cart/clear", post(cart_api::clear))
        .route("/cart/prepare_shipping_rates.json", post(shipping::prepare))
        .route("/cart/prepare_shipping_rates", post(shipping::prepare))
        .route("/cart/async_shipping_rates.json", get(shipping::poll))
        .route("/cart/shipping_rates.json", get(shipping::estimate))
        .route("/products.json", get(products::list))
        .layer(axum::middleware::map_response(error::reshape_plain_errors))
}
