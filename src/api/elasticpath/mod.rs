//! Elastic Path's cart API (`/v2`) over the same carts.

use axum::Router;

use crate::state::AppState;

/// Issued implicit-grant access tokens.
#[derive(Default)]
pub struct TokenBook {}

pub fn router() -> Router<AppState> {
    Router::new()
}
