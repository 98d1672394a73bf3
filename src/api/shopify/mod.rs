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
use cart_api::Kind;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/cart.js", get(cart_api::get_cart))
        .route("/cart.json", get(cart_api::get_cart))
        .route("/cart/add.js", cart_api::endpoint(Kind::Add))
        .route("/cart/add", cart_api::endpoint(Kind::Add))
        .route("/cart/update.js", cart_api::endpoint(Kind::Update))
        .route("/cart/update", cart_api::endpoint(Kind::Update))
        .route("/cart/change.js", cart_api::endpoint(Kind::Change))
        .route(
            "/cart/change",
            cart_api::endpoint(Kind::Change).get(cart_api::change_link),
        )
        .route("/cart/clear.js", cart_api::endpoint(Kind::Clear))
        .route("/cart/clear", cart_api::endpoint(Kind::Clear))
        .route("/cart/prepare_shipping_rates.json", post(shipping::prepare))
        .route("/cart/prepare_shipping_rates", post(shipping::prepare))
        .route("/cart/async_shipping_rates.json", get(shipping::poll))
        .route("/cart/shipping_rates.json", get(shipping::estimate))
        .route("/products.json", get(products::list))
}
