//! Shopify's own filters (colors, hashes, fonts, URLs, cart look-ups, HTML helpers) in a Liquid
//! section of a theme: the same path a real Online Store 2.0 theme renders through.

use crate::theme_support::*;
use serde_json::json;
use vitrine::theme::Theme;

const SECTION: &str = "\
BEGIN
{{ '#7ab55c' | color_to_rgb }}|{{ '#7ab55c' | color_mix: '#ffffff', 50 }}|{{ '#E800B0' | color_contrast: '#D9D8FF' }}|{{ '#7ab55c' | color_brightness }}
{{ 'hello world' | md5 }}|{{ '<p>Health & Love potions</p>' | url_param_escape }}|{{ 'variable-name' | camelcase }}
{{ 'assistant_n4' | font_modify: 'weight', 'bold' | font_url }}
{{ 'assistant_n4' | font_face: font_display: 'swap' }}
{{ 200 | weight_with_unit }}|{{ cart | item_count_for_variant: 794864229 }}|{{ cart | line_items_for: 794864229 | size }}
{{ '/products/red-rain-coat' | within: 'sale' }}|{{ '/collections/all' | sort_by: 'price-descending' }}
{{ 'Tom & Jerry' | link_to: '/pages/about', 'About' }}
{{ '2022-04-14 16:56:02 -0400' | time_tag: format: 'abbreviated_date' }}
{{ 'a.css' | stylesheet_tag: preload: true }}
END";

const EXPECTED: &str = "\
BEGIN
rgb(122, 181, 92)|#bddaae|3.0|153.21
5eb63bbbe01eeed093cb22bb8f5acdc3|%3Cp%3EHealth%20%26%20Love%20potions%3C/p%3E|VariableName
/static/fonts/assistant_n7.woff2
@font-face {
  font-family: Assistant;
  font-weight: 400;
  font-style: normal;
  font-display: swap;
  src: url(\"/static/fonts/assistant_n4.woff2\") format(\"woff2\"),
       url(\"/static/fonts/assistant_n4.woff\") format(\"woff\");
}
0.2 kg|3|2
/collections/sale/products/red-rain-coat|/collections/all?sort_by=price-descending
<a href=\"/pages/about\" title=\"About\">Tom & Jerry</a>
<time datetime=\"2022-04-14T20:56:02Z\">Apr 14, 2022</time>
<link href=\"a.css\" rel=\"stylesheet\" type=\"text/css\" media=\"all\">
END";

#[test]
fn shopify_filters_render_in_a_liquid_section() {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(&fixture("theme-basic"), dir.path());
    std::fs::write(dir.path().join("sections/filters.liquid"), SECTION).expect("write");
    let theme = Theme::load(dir.path(), catalog(), false).expect("loads");
    // Two lines of the same variant: quantities 1 and 2.
    let cart = cart_value(&cart_json(2, None, json!({})));
    let html = section(&theme, "/", "filters", cart).expect("the section exists");
    let start = html.find("BEGIN").expect("BEGIN");
    let end = html.find("END").expect("END") + "END".len();
    assert_eq!(&html[start..end], EXPECTED);
}

/// `standard_event_data: 'view'` gives the payload Shopify's standard events module reads from
/// a `view-event-payload` attribute (Horizon's product cards, collection and cart).
#[test]
fn standard_event_data_is_the_view_events_payload() {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(&fixture("theme-basic"), dir.path());
    let source = "BEGIN{{ all_products['red-rain-coat'] | standard_event_data: 'view', context: 'collection' }}\n\
                  {{ collections.frontpage | standard_event_data: 'view' }}\n\
                  {{ cart | standard_event_data: 'view' }}\n\
                  {{ 'text' | standard_event_data: 'view' }}|{{ 5000 | unit_price_with_measurement }}END";
    std::fs::write(dir.path().join("sections/events.liquid"), source).expect("write");
    let theme = Theme::load(dir.path(), catalog(), false).expect("loads");
    let cart = cart_value(&cart_json(1, None, json!({})));
    let html = section(&theme, "/", "events", cart).expect("the section exists");
    let start = html.find("BEGIN").expect("BEGIN") + "BEGIN".len();
    let end = html.find("END").expect("END");
    let lines: Vec<&str> = html[start..end].lines().collect();
    let product: serde_json::Value = serde_json::from_str(lines[0]).expect("product json");
    assert_eq!(product["context"], "collection");
    assert_eq!(product["product"]["handle"], "red-rain-coat");
    assert!(
        product["product"]["id"]
            .as_str()
            .is_some_and(|id| id.starts_with("gid://shopify/Product/"))
    );
    let variant = &product["product"]["selectedVariant"];
    assert!(
        variant["id"]
            .as_str()
            .is_some_and(|id| id.starts_with("gid://shopify/ProductVariant/"))
    );
    assert_eq!(
        variant["price"],
        json!({"amount": "129.00", "currencyCode": "CAD"})
    );
    assert_eq!(product["selectedOptions"], variant["selectedOptions"]);
    let collection: serde_json::Value = serde_json::from_str(lines[1]).expect("collection json");
    assert_eq!(
        collection,
        json!({"collection": {"id": null, "handle": "frontpage", "productsCount": 3}})
    );
    let cart: serde_json::Value = serde_json::from_str(lines[2]).expect("cart json");
    assert_eq!(cart["context"], "page");
    assert_eq!(cart["cart"]["totalQuantity"], 1);
    assert_eq!(cart["cart"]["lines"].as_array().map(Vec::len), Some(1));
    assert_eq!(lines[3], "|$50.00");
}
