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
