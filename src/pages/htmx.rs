//! htmx answers to cart forms: the cart sections as out-of-band swaps, so the bubble, the drawer
//! and the cart page agree after every change, and an `HX-Trigger` event for other scripts.
//! <https://htmx.org/attributes/hx-swap-oob/>, <https://htmx.org/headers/hx-trigger/>
//!
//! The sections render in the context of the page htmx says it is on (`HX-Current-URL`, when it
//! is on this origin), from the cart the store now holds. A refused or cut-down change answers
//! with its status (422 for stock) and still re-renders every section, with the message as the
//! theme's `cart_error` beside the line it concerns; the theme's htmx config swaps those answers
//! too. A change refused before it reached the store (a parameter no number fits, a failed
//! write) has no line: its `cart_error` has no `line_key`, and the sections show it at the top.
//! The message is in the locale of the URL the form posted to (`/fr/cart/change`), as the Ajax
//! API's descriptions are.

use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum_htmx::{HxEvent, HxResponseTrigger};

use tower_sessions::Session;

use crate::state::AppState;
use crate::storefront::cart::{FormOutcome, Refusal, cart_object, visitor_cart};
use crate::storefront::sections::{htmx_context_url, page_request};
use crate::theme::CartAlert;

/// The static sections every htmx cart change refreshes; they render on every page.
pub const CART_SECTIONS: [&str; 5] = [
    "cart-icon-bubble",
    "cart-drawer",
    "cart-live-region-text",
    "cart-notification-product",
    "cart-notification-button",
];

/// Section types a page holds as its own (JSON template) sections, refreshed where it has them:
/// on the cart page `main-cart-items` is `template--cart__items`.
pub const PAGE_CART_SECTION_TYPES: [&str; 2] = ["main-cart-items", "main-cart-footer"];

/// Marks a rendered section for an out-of-band swap of the element with the same id.
fn out_of_band(html: &str) -> String {
    match html.find(' ') {
        Some(i) if html.starts_with('<') => {
            format!("{} hx-swap-oob=\"outerHTML\"{}", &html[..i], &html[i..])
        }
        _ => html.to_string(),
    }
}

/// The message a form shows where it was sent from (its `hx-target`).
fn error_paragraph(message: &str) -> String {
    format!(
        "<p class=\"cart-error\" role=\"alert\">{}</p>",
        minijinja::HtmlEscape(message)
    )
}

/// The htmx answer of a cart form; a refusal's message is already in the locale the form posted
/// to.
pub async fn cart_mutation(
    state: &AppState,
    session: &Session,
    headers: &HeaderMap,
    outcome: Result<FormOutcome, Refusal>,
) -> Response {
    let (cart, refusal, line_key, added) = match outcome {
        Ok(outcome) => (
            outcome.cart,
            outcome.refusal,
            outcome.line_key,
            outcome.added,
        ),
        // Refused before the store was reached (unreadable parameters, a failed write): the
        // change was sent from an element the visitor does not see, so the message goes into
        // the cart sections, re-rendered from the cart as it is.
        Err(refusal) => match visitor_cart(state, session).await {
            Ok(cart) => (std::sync::Arc::new(cart), Some(refusal), None, false),
            Err(read) => {
                tracing::error!(error = %read, "cart read failed");
                let paragraph = error_paragraph(&refusal.message);
                return (refusal.status, Html(paragraph)).into_response();
            }
        },
    };
    let url = htmx_context_url(headers);
    let mut page = page_request(state, &url);
    let message = refusal.as_ref().map(|r| r.message.clone());
    page.cart_error = message
        .clone()
        .map(|message| CartAlert { message, line_key });
    let theme = state.theme();
    let ctx = theme.context(&page, cart_object(state, &cart));
    let mut ids: Vec<String> = CART_SECTIONS.iter().map(|s| s.to_string()).collect();
    for section_type in PAGE_CART_SECTION_TYPES {
        ids.extend(theme.page_sections_of_type(&ctx, section_type));
    }

    let mut body = String::new();
    if let Some(message) = &message {
        body.push_str(&error_paragraph(message));
    }
    for id in &ids {
        match theme.render_section(&ctx, id) {
            Ok(Some(html)) => body.push_str(&out_of_band(&html)),
            Ok(None) => {}
            Err(e) => tracing::error!(section = %id, error = %e, "section failed to render"),
        }
    }
    let status = refusal.as_ref().map_or(StatusCode::OK, |r| r.status);
    let detail = serde_json::json!({
        "item_count": cart.item_count(),
        "added": added,
    });
    match HxEvent::new_with_data("cart:updated", detail) {
        Ok(event) => (status, HxResponseTrigger::normal([event]), Html(body)).into_response(),
        Err(_) => (status, Html(body)).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::{Request, header};
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    /// The app on the repository's theme and catalog, with a database in `dir`.
    async fn app(dir: &std::path::Path) -> axum::Router {
        let mut config = crate::Config::for_theme(env!("CARGO_MANIFEST_DIR"));
        config.db = dir.join("store.db");
        let state = AppState::open(config).await.expect("the app starts");
        crate::app(state)
    }

    /// An htmx form post from `page`; returns the status, the headers and the body.
    async fn htmx_post(
        app: &axum::Router,
        cookie: Option<&str>,
        path: &str,
        body: &str,
        page: &str,
    ) -> (StatusCode, HeaderMap, String) {
        // A browser always sends Host; HX-Current-URL counts only on that origin.
        let mut request = Request::post(path)
            .header(header::HOST, "127.0.0.1:3000")
            .header("HX-Request", "true")
            .header("HX-Current-URL", format!("http://127.0.0.1:3000{page}"))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        let response = app
            .clone()
            .oneshot(request.body(Body::from(body.to_string())).expect("request"))
            .await
            .expect("response");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        (
            status,
            headers,
            String::from_utf8_lossy(&bytes).into_owned(),
        )
    }

    fn session_cookie(headers: &HeaderMap) -> String {
        headers
            .get(header::SET_COOKIE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .expect("a session cookie")
            .to_string()
    }

    #[tokio::test]
    async fn an_add_answers_with_the_cart_sections_out_of_band_and_an_event() {
        let dir = tempfile::tempdir().expect("temp dir");
        let app = app(dir.path()).await;
        let (status, headers, body) = htmx_post(
            &app,
            None,
            "/cart/add",
            "id=794864229&quantity=2",
            "/products/red-rain-coat",
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        for id in CART_SECTIONS {
            assert!(
                body.contains(&format!(
                    "<div hx-swap-oob=\"outerHTML\" id=\"shopify-section-{id}\""
                )),
                "{id}: {body}"
            );
        }
        // Not on the cart page: its sections are not there to swap.
        assert!(!body.contains("template--cart__items"), "{body}");
        assert!(body.contains("<span class=\"cart-count-bubble\" aria-hidden=\"true\">2</span>"));
        let trigger = headers
            .get("HX-Trigger")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let event: serde_json::Value = serde_json::from_str(trigger).expect("JSON trigger");
        assert_eq!(
            event["cart:updated"],
            serde_json::json!({"item_count": 2, "added": true})
        );
    }

    #[tokio::test]
    async fn a_stock_refusal_on_the_cart_page_is_a_422_with_the_message_beside_the_line() {
        let dir = tempfile::tempdir().expect("temp dir");
        let app = app(dir.path()).await;
        let (_, headers, _) = htmx_post(
            &app,
            None,
            "/cart/add",
            "id=40000000000010&quantity=20",
            "/products/limited-edition-print",
        )
        .await;
        let cookie = session_cookie(&headers);
        let key_start = "40000000000010:";
        let (status, headers, body) = htmx_post(
            &app,
            Some(&cookie),
            "/cart/change",
            "line=1&quantity=11",
            "/cart",
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        // The cart page's own sections come along, re-rendered from what the store holds.
        for id in ["template--cart__items", "template--cart__footer"] {
            assert!(
                body.contains(&format!("id=\"shopify-section-{id}\"")),
                "{id}: {body}"
            );
        }
        assert!(body.contains("name=\"updates[]\" value=\"10\""), "{body}");
        let message = "You can&#x27;t add more Limited Edition Print to the cart.";
        assert!(
            body.contains(&format!("id=\"CartItems-{key_start}")) && body.contains(message),
            "{body}"
        );
        assert!(
            body.contains("class=\"cart-line__error\""),
            "the message sits in the line: {body}"
        );
        let trigger = headers
            .get("HX-Trigger")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        assert!(trigger.contains("\"added\":false"), "{trigger}");
    }

    #[tokio::test]
    async fn a_change_refused_before_the_store_still_shows_the_message_in_the_cart_sections() {
        let dir = tempfile::tempdir().expect("temp dir");
        let app = app(dir.path()).await;
        let (_, headers, _) = htmx_post(
            &app,
            None,
            "/cart/add",
            "id=794864229&quantity=2",
            "/products/red-rain-coat",
        )
        .await;
        let cookie = session_cookie(&headers);
        // No number fits: the parameters are refused before the cart is touched.
        let (status, _, body) = htmx_post(
            &app,
            Some(&cookie),
            "/cart/change",
            "line=1&quantity=100000000000000000000",
            "/cart",
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        let message = "<p class=\"cart-error\" role=\"alert\">\
                       Required parameter missing or invalid: quantity</p>";
        // Where the visitor looks: the drawer and the cart page's own section, not only the
        // answer's main content (which a change sent from the hidden #cart-sync never shows).
        for id in ["cart-drawer", "template--cart__items"] {
            let section = body
                .split(&format!("id=\"shopify-section-{id}\""))
                .nth(1)
                .unwrap_or_else(|| panic!("no {id} section: {body}"));
            let section = section
                .split("</div><div hx-swap-oob")
                .next()
                .unwrap_or(section);
            assert!(section.contains(message), "{id}: {body}");
        }
        // The cart as it is: the line is still there, unchanged.
        assert!(body.contains("name=\"updates[]\" value=\"2\""), "{body}");
    }

    #[test]
    fn marks_the_wrapper_for_an_out_of_band_swap() {
        assert_eq!(
            out_of_band("<div id=\"shopify-section-x\" class=\"shopify-section\">a b</div>"),
            "<div hx-swap-oob=\"outerHTML\" id=\"shopify-section-x\" class=\"shopify-section\">a b</div>"
        );
    }
}
