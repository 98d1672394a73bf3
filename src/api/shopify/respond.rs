//! The JSON answer of a cart mutation: the cart (or the lines an add touched), or the error in
//! the Ajax shape, with the requested sections rendered after the commit against the cart as it
//! now is. A refusal's description reads in the locale the request came through.
//! <https://shopify.dev/docs/api/ajax/reference/cart#bundled-section-rendering>

use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::Map;

use super::cart_api::{MutationResult, json_response};
use super::error::{ShopifyError, error_response};
use crate::state::AppState;
use crate::storefront::cart::cart_object;
use crate::storefront::sections::{context_url, render_bundle};
use crate::storefront::visitor::Locale;

pub async fn json_answer(
    state: &AppState,
    locale: &Locale,
    headers: &HeaderMap,
    result: Result<MutationResult, ShopifyError>,
) -> Response {
    match result {
        Ok(mut result) => {
            let sections = if result.sections.ids.is_empty() {
                None
            } else {
                let url = context_url(result.sections.url.as_deref(), headers);
                let cart = result
                    .theme_cart
                    .take()
                    .unwrap_or_else(|| cart_object(state, &result.cart));
                Some(render_bundle(state, cart, &result.sections.ids, &url).await)
            };
            json_response(result, sections, state.theme(), locale)
        }
        Err(e) => {
            let description = e.localized_description(state.theme(), locale);
            error_response(&e, description, Map::new())
        }
    }
}
