//! The real theme (`templates/` and `sections/` at the repository root): every page renders, the
//! sections a cart mutation bundles render in the cart context, forms post where Shopify's do,
//! and visitor-written text stays inert.

use crate::theme_support::*;
use serde_json::json;
use vitrine::theme::{RenderError, check};

#[test]
fn every_page_renders_with_the_right_status() {
    let theme = real_theme();
    let cart = cart_value(&cart_json(2, None, json!({})));
    let pages = [
        ("/", 200, "index"),
        ("/products/red-rain-coat", 200, "product"),
        ("/products/great-granola-bar", 200, "product"),
        (
            "/products/health-potion?variant=39897499729986",
            200,
            "product",
        ),
        ("/products/sold-out-scarf", 200, "product"),
        ("/collections/all", 200, "collection"),
        (
            "/collections/all?page=2&sort_by=price-descending",
            200,
            "collection",
        ),
        ("/collections/frontpage", 200, "collection"),
        ("/collections", 200, "list-collections"),
        ("/cart", 200, "cart"),
        ("/search", 200, "search"),
        ("/search?q=rain", 200, "search"),
        ("/products/nope", 404, "404"),
        ("/nope", 404, "404"),
    ];
    for (path, status, template) in pages {
        for locale in ["en", "fr"] {
            let ctx = theme.context(&request_in(path, locale), cart.clone());
            assert_eq!((ctx.status(), ctx.template()), (status, template), "{path}");
            let html = theme
                .render_page(&ctx)
                .unwrap_or_else(|e| panic!("{path} ({locale}): {e}"));
            assert!(html.starts_with("<!doctype html>"), "{path}");
            assert!(html.contains(
                "<header id=\"shopify-section-header\" class=\"shopify-section section-header\">"
            ));
            assert!(
                html.contains(&format!("<html lang=\"{locale}\">")),
                "{path}"
            );
            // The server's CSP allows no inline scripts: only data blocks and external files.
            assert!(!html.contains("<script>"), "{path}: inline script");
        }
    }
}

#[test]
fn empty_cart_pages_render() {
    let theme = real_theme();
    for id in [
        "template--cart__items",
        "template--cart__footer",
        "cart-drawer",
        "cart-icon-bubble",
        "cart-live-region-text",
        "cart-notification-product",
        "cart-notification-button",
    ] {
        let html = section(&theme, "/cart", id, empty_cart()).expect(id);
        assert!(
            html.contains(&format!("id=\"shopify-section-{id}\"")),
            "{html}"
        );
    }
    let html = section(&theme, "/cart", "cart-drawer", empty_cart()).expect("drawer");
    assert!(html.contains("Your cart is empty"), "{html}");
}

#[test]
fn bundled_cart_sections_render_in_the_cart_context() {
    let theme = real_theme();
    let mut cart = cart_json(1, None, json!({}));
    cart["total_price"] = json!(100100);
    let cart = cart_value(&cart);
    let live =
        section(&theme, "/cart", "cart-live-region-text", cart.clone()).expect("live region");
    assert_eq!(
        live,
        "<div id=\"shopify-section-cart-live-region-text\" class=\"shopify-section\">New subtotal: $1,001.00 CAD\n</div>"
    );
    let bubble = section(&theme, "/cart", "cart-icon-bubble", cart.clone()).expect("bubble");
    assert!(
        bubble.contains("<span class=\"cart-count-bubble\" aria-hidden=\"true\">1</span>"),
        "{bubble}"
    );
    assert!(bubble.contains("1 item"), "{bubble}");
    let items = section(&theme, "/cart", "template--cart__items", cart.clone()).expect("items");
    assert!(items.starts_with(
        "<div id=\"shopify-section-template--cart__items\" class=\"shopify-section section-main-cart-items\">"
    ));
    let footer = section(&theme, "/cart", "template--cart__footer", cart.clone()).expect("footer");
    assert!(footer.contains("$1,001.00 CAD"), "{footer}");
    // Instance ids of the cart page are unknown elsewhere; static ones render anywhere.
    assert_eq!(
        section(&theme, "/", "template--cart__items", cart.clone()),
        None
    );
    assert!(section(&theme, "/", "cart-icon-bubble", cart).is_some());
}

#[test]
fn french_live_region_and_routes() {
    let theme = real_theme();
    let mut cart = cart_json(1, None, json!({}));
    cart["total_price"] = json!(100100);
    let ctx = theme.context(&request_in("/cart", "fr"), cart_value(&cart));
    let live = theme
        .render_section(&ctx, "cart-live-region-text")
        .expect("renders")
        .expect("known");
    assert!(
        live.contains("Nouveau sous-total : $1,001.00 CAD"),
        "{live}"
    );
    let items = theme
        .render_section(&ctx, "template--cart__items")
        .expect("renders")
        .expect("known");
    assert!(
        items.contains(
            "<form class=\"cart-items__form\" id=\"cart\" action=\"/fr/cart\" method=\"post\">"
        ),
        "{items}"
    );
    assert!(items.contains("Votre panier"), "{items}");
}

#[test]
fn main_cart_items_is_a_no_js_form() {
    let theme = real_theme();
    let cart = cart_value(&cart_json(
        3,
        Some("Please ring"),
        json!({"Gift message": "Happy birthday", "_hidden": "secret"}),
    ));
    let html = section(&theme, "/cart", "template--cart__items", cart).expect("renders");
    assert!(html.contains(
        "<form class=\"cart-items__form\" id=\"cart\" action=\"/cart\" method=\"post\">"
    ));
    assert_eq!(html.matches("name=\"updates[]\"").count(), 3, "{html}");
    assert!(html.contains("name=\"updates[]\" value=\"3\""), "{html}");
    assert!(
        html.contains("<dt>Gift message:</dt> <dd>Happy birthday</dd>"),
        "{html}"
    );
    assert!(
        !html.contains("_hidden") && !html.contains("secret"),
        "private properties show: {html}"
    );
    assert!(
        html.contains("<textarea id=\"CartNote\" name=\"note\">Please ring</textarea>"),
        "{html}"
    );
}

#[test]
fn cart_drawer_lists_lines_with_remove_links_and_subtotal() {
    let theme = real_theme();
    let cart = cart_json(2, None, json!({}));
    let html = section(&theme, "/", "cart-drawer", cart_value(&cart)).expect("renders");
    assert!(html.starts_with(
        "<div id=\"shopify-section-cart-drawer\" class=\"shopify-section cart-drawer\">"
    ));
    for item in cart["items"].as_array().into_iter().flatten() {
        let key = item["key"].as_str().unwrap_or_default();
        assert!(
            html.contains(&format!("href=\"/cart/change?id={key}&amp;quantity=0\"")),
            "remove link for {key}: {html}"
        );
    }
    // The second line holds 2: its quantity field shows it.
    assert!(
        html.contains("type=\"number\" name=\"quantity\" value=\"2\""),
        "{html}"
    );
    assert!(html.contains("$387.00 CAD"), "{html}");
}

#[test]
fn visitor_text_in_the_real_cart_sections_is_inert() {
    let theme = real_theme();
    let mut cart = cart_json(
        2,
        Some("<script>alert(1)</script>{{ 7*7 }}{% raw %}{% endraw %}"),
        json!({"<b>Name</b>": "<script>alert(1)</script>", "Engraving": "{{ 7*7 }}"}),
    );
    cart["items"][0]["product_title"] = json!("<img src=x onerror=alert(1)>");
    let cart = cart_value(&cart);
    for id in [
        "template--cart__items",
        "template--cart__footer",
        "cart-drawer",
        "cart-notification-product",
    ] {
        let html = section(&theme, "/cart", id, cart.clone()).expect(id);
        assert!(!html.contains("<script>"), "{id}: {html}");
        assert!(!html.contains("<img src=x"), "{id}: {html}");
        assert!(!html.contains("<b>Name"), "{id}: {html}");
        assert!(!html.contains("49"), "{id}: {html}");
    }
    let html = section(&theme, "/cart", "template--cart__items", cart).expect("items");
    assert!(
        html.contains(
            "&lt;script&gt;alert(1)&lt;/script&gt;{{ 7*7 }}{% raw %}{% endraw %}</textarea>"
        ),
        "{html}"
    );
    assert!(html.contains("<dd>{{ 7*7 }}</dd>"), "{html}");
}

#[test]
fn product_form_posts_to_cart_add() {
    let theme = real_theme();
    let html = section(
        &theme,
        "/products/red-rain-coat?variant=36110175633573",
        "template--product__main",
        empty_cart(),
    )
    .expect("renders");
    assert!(
        html.contains("action=\"/cart/add\" method=\"post\""),
        "{html}"
    );
    assert!(
        html.contains("<select id=\"Variant-template--product__main\" name=\"id\""),
        "{html}"
    );
    assert!(
        html.contains("<option value=\"36110175633573\" selected>"),
        "{html}"
    );
    assert!(html.contains("name=\"quantity\" value=\"1\""), "{html}");
    assert!(html.contains("name=\"properties[Gift message]\""), "{html}");
    assert!(
        html.contains("name=\"selling_plan\" value=\"183638\""),
        "{html}"
    );
    assert!(html.contains("$103.20"), "20% off 129.00: {html}");

    let html = section(
        &theme,
        "/products/great-granola-bar",
        "template--product__main",
        empty_cart(),
    )
    .expect("renders");
    assert!(
        html.contains("<input type=\"hidden\" name=\"id\" value=\"36323170943141\">"),
        "{html}"
    );
    assert!(html.contains("$17.00"), "15% off 20.00: {html}");

    let html = section(
        &theme,
        "/products/sold-out-scarf",
        "template--product__main",
        empty_cart(),
    )
    .expect("renders");
    assert!(html.contains("name=\"add\" disabled>"), "{html}");
    assert!(html.contains("Sold out"), "{html}");

    let ctx = theme.context(&request_in("/products/red-rain-coat", "fr"), empty_cart());
    let html = theme
        .render_section(&ctx, "template--product__main")
        .expect("renders")
        .expect("known");
    assert!(html.contains("action=\"/fr/cart/add\""), "{html}");
    assert!(html.contains("Ajouter au panier"), "{html}");
}

#[test]
fn index_features_the_frontpage_collection() {
    let theme = real_theme();
    let html = section(&theme, "/", "template--index__featured", empty_cart()).expect("renders");
    assert!(html.contains("Featured products"), "{html}");
    assert_eq!(
        html.matches("class=\"card product-card\"").count(),
        3,
        "{html}"
    );
}

#[test]
fn the_real_theme_passes_check() {
    let problems = check(&repo_dir());
    let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert!(lines.is_empty(), "{lines:#?}");
}

#[test]
fn error_page_shows_the_error_and_reloads() {
    let theme = real_theme();
    let err = RenderError::new("sections/header.html", Some(3), "unknown filter <nope>");
    let page = theme.error_page(&err);
    assert!(page.contains("sections/header.html:3"), "{page}");
    assert!(page.contains("unknown filter &lt;nope&gt;"), "{page}");
    assert!(
        page.contains("<script src=\"/__vitrine/live.js\" defer></script>"),
        "{page}"
    );
    // The excerpt comes from the file itself.
    assert!(page.contains("vitrine-error__excerpt"), "{page}");
}

#[test]
fn asset_urls_point_at_static() {
    let theme = real_theme();
    assert_eq!(theme.static_dir(), repo_dir().join("static"));
    let ctx = theme.context(&request("/"), empty_cart());
    let html = theme.render_page(&ctx).expect("renders");
    assert!(html.contains("<link href=\"/static/base.css"), "{html}");
}
