//! htmx answers to cart forms: the cart sections as out-of-band swaps, so the bubble, the drawer
//! and the cart page agree after every change, and an `HX-Trigger` event for other scripts.

use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Response};
use axum_htmx::{HxEvent, HxResponseTrigger};
use tower_sessions::Session;

use crate::api::shopify::cart_api::MutationResult;
use crate::api::shopify::error::ShopifyError;
use crate::api::shopify::sections::{htmx_context_url, render_bundle};
use crate::state::AppState;
use crate::visitor::Locale;

/// The sections every htmx cart change refreshes.
pub const CART_SECTIONS: [&str; 5] = [
    "cart-icon-bubble",
    "cart-drawer",
    "cart-live-region-text",
    "main-cart-items",
    "main-cart-footer",
];

/// Marks a rendered section for an out-of-band swap of the element with the same id.
fn out_of_band(html: &str) -> String {
    match html.find(' ') {
        Some(i) if html.starts_with('<') => {
            format!("{} hx-swap-oob=\"outerHTML\"{}", &html[..i], &html[i..])
        }
        _ => html.to_string(),
    }
}

pub async fn cart_mutation(
    state: &AppState,
    _session: &Session,
    _locale: &Locale,
    headers: &HeaderMap,
    result: Result<MutationResult, ShopifyError>,
) -> Response {
    let result = match result {
        Ok(result) => result,
        Err(e) => {
            return (
                e.status(),
                Html(format!(
                    "<p class=\"cart-error\" role=\"alert\">{}</p>",
                    minijinja::HtmlEscape(&e.description())
                )),
            )
                .into_response();
        }
    };
    let url = htmx_context_url(headers);
    let ids: Vec<String> = CART_SECTIONS.iter().map(|s| s.to_string()).collect();
    let rendered = render_bundle(state, &result.cart, &ids, &url).await;
    let mut body = String::new();
    if let Some(error) = &result.error {
        body.push_str(&format!(
            "<p class=\"cart-error\" role=\"alert\">{}</p>",
            minijinja::HtmlEscape(&error.description())
        ));
    }
    for html in rendered.values().filter_map(|v| v.as_str()) {
        body.push_str(&out_of_band(html));
    }
    let count = result.cart.item_count();
    match HxEvent::new_with_data("cart:updated", serde_json::json!({ "item_count": count })) {
        Ok(event) => (HxResponseTrigger::normal([event]), Html(body)).into_response(),
        Err(_) => Html(body).into_response(),
    }
}
