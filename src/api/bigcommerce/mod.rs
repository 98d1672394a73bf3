//! BigCommerce's REST Storefront and Management cart APIs over the same carts.

use axum::Router;

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
}
