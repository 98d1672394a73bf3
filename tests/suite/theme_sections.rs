//! The section model on the `theme-basic` fixture: wrappers, section ids in page contexts,
//! settings and blocks, `render` isolation, translations, money filters, escaping, globals.

use crate::theme_support::*;
use serde_json::json;
use vitrine::theme::{PageRequest, Theme};

fn basic() -> Theme {
    fixture_theme("theme-basic")
}

#[test]
fn static_section_wrapper_uses_schema_tag_and_class() {
    let theme = basic();
    let html = section(&theme, "/", "wrapped", empty_cart()).expect("known section");
    assert_eq!(
        html,
        "<aside id=\"shopify-section-wrapped\" class=\"shopify-section my-class other\">wrapped body\n</aside>"
    );
}

#[test]
fn section_without_schema_is_a_div() {
    let theme = basic();
    let html = section(&theme, "/", "plain", empty_cart()).expect("known section");
    assert_eq!(
        html,
        "<div id=\"shopify-section-plain\" class=\"shopify-section\">plain plain in index</div>"
    );
}

#[test]
fn static_sections_render_in_any_page_context() {
    let theme = basic();
    for path in ["/", "/cart", "/products/red-rain-coat", "/nowhere"] {
        let html = section(&theme, path, "plain", empty_cart());
        assert!(html.is_some(), "plain should render on {path}");
    }
}

#[test]
fn unknown_section_id_is_none() {
    let theme = basic();
    assert_eq!(section(&theme, "/", "does-not-exist", empty_cart()), None);
    assert_eq!(
        section(&theme, "/", "../templates/layout/theme", empty_cart()),
        None
    );
}

#[test]
fn instance_id_resolves_only_in_its_page_context() {
    let theme = basic();
    let on_product = section(
        &theme,
        "/products/red-rain-coat",
        "template--product__main",
        empty_cart(),
    );
    let html = on_product.expect("instance of the product template");
    assert!(html.starts_with(
        "<div id=\"shopify-section-template--product__main\" class=\"shopify-section\">"
    ));
    assert!(html.contains("id=template--product__main;"));
    // The same id in the context of another page is unknown.
    assert_eq!(
        section(&theme, "/", "template--product__main", empty_cart()),
        None
    );
    assert_eq!(
        section(&theme, "/cart", "template--product__main", empty_cart()),
        None
    );
    // An unknown product handle is the 404 page, where product instances do not exist.
    assert_eq!(
        section(
            &theme,
            "/products/nope",
            "template--product__main",
            empty_cart()
        ),
        None
    );
    // Cart instances exist in the cart context only.
    assert!(section(&theme, "/cart", "template--cart__items", empty_cart()).is_some());
    assert_eq!(
        section(&theme, "/", "template--cart__items", empty_cart()),
        None
    );
}

#[test]
fn settings_merge_over_schema_defaults() {
    let theme = basic();
    let html = section(
        &theme,
        "/products/red-rain-coat",
        "template--product__main",
        empty_cart(),
    )
    .expect("renders");
    assert!(
        html.contains("heading=Custom heading;color=red;count=3;"),
        "{html}"
    );
    // A static render of the same file gets the defaults only.
    let html = section(&theme, "/", "settings-demo", empty_cart()).expect("renders");
    assert!(html.contains("heading=Default heading;color=red;count=3;id=settings-demo;"));
    assert!(
        !html.contains('['),
        "a static section has no blocks: {html}"
    );
}

#[test]
fn blocks_follow_block_order_with_merged_settings_and_skip_disabled() {
    let theme = basic();
    let html = section(
        &theme,
        "/products/red-rain-coat",
        "template--product__main",
        empty_cart(),
    )
    .expect("renders");
    assert!(
        html.contains("[b3:image::100][b2:text:default body:][b1:text:first in the map:]"),
        "{html}"
    );
    assert!(!html.contains("b4"), "disabled blocks are skipped: {html}");
}

#[test]
fn render_sees_only_its_arguments_and_globals() {
    let theme = basic();
    let cart = cart_value(&cart_json(2, Some("ring twice"), json!({})));
    let html = section(&theme, "/", "isolation", cart).expect("renders");
    assert!(html.contains("secret=[]"), "caller locals leak: {html}");
    assert!(html.contains("passed=[given]"), "{html}");
    assert!(html.contains("note=[ring twice]"), "{html}");
    assert!(
        html.contains("section=[]"),
        "the caller's section leaks: {html}"
    );
    assert!(html.contains("shop=[Vitrine Test Shop]"), "{html}");
    assert!(html.contains("count=[3]"), "{html}");
    assert!(html.contains("routes=[/cart]"), "{html}");
    assert!(html.contains("|outer secret=leaked"), "{html}");
}

#[test]
fn repeated_render_calls_with_plain_arguments_render_the_same_and_others_differ() {
    let theme = basic();
    let html = section(&theme, "/", "memo", empty_cart()).expect("renders");
    let parts: Vec<&str> = html.split('#').collect();
    assert_eq!(parts.len(), 6, "{html}");
    let passed = |i: usize| {
        parts[i]
            .split("passed=[")
            .nth(1)
            .and_then(|rest| rest.split(']').next())
            .unwrap_or("?")
            .to_string()
    };
    assert_eq!(
        (passed(0), passed(1), passed(2), passed(3)),
        ("a".into(), "b".into(), "a".into(), "1".into())
    );
    assert!(
        parts[4].contains("note=[x]") && parts[5].contains("note=[x]"),
        "{html}"
    );
    assert!(!parts[2].contains("note=[x]"), "{html}");
}

#[test]
fn runaway_render_recursion_is_an_error_not_a_crash() {
    let theme = basic();
    let ctx = theme.context(&request("/"), empty_cart());
    let err = theme
        .render_section(&ctx, "recursive")
        .expect_err("infinite recursion must fail");
    assert!(err.message.contains("nests deeper"), "{err}");
}

fn translate_in(locale: &str) -> String {
    let theme = basic();
    let ctx = theme.context(&request_in("/", locale), empty_cart());
    theme
        .render_section(&ctx, "translate")
        .expect("renders")
        .expect("known section")
}

#[test]
fn t_looks_up_interpolates_and_pluralizes() {
    let html = translate_in("en");
    let parts: Vec<&str> = html
        .trim_start_matches(|c| c != '>')
        .trim_start_matches('>')
        .trim_end_matches("</div>")
        .split('|')
        .collect();
    assert_eq!(
        parts,
        [
            "Your cart",
            "no items",
            "1 item",
            "5 items",
            "Hello &lt;Ann&gt;",
            "English only",
            "translation missing: en.missing.key",
            "<b>Hi</b> &lt;Ann&gt;",
        ]
    );
}

#[test]
fn t_in_french_with_french_plurals_and_english_fallback() {
    let html = translate_in("fr");
    assert!(html.contains(">Votre panier|"), "{html}");
    // French has no `zero` form here and treats 0 as singular.
    assert!(html.contains("|0 article|1 article|5 articles|"), "{html}");
    assert!(html.contains("|Bonjour &lt;Ann&gt;|"), "{html}");
    assert!(
        html.contains("|English only|"),
        "falls back to the default locale: {html}"
    );
    assert!(
        html.contains("translation missing: fr.missing.key"),
        "{html}"
    );
}

#[test]
fn unknown_locale_renders_in_the_primary_locale() {
    let html = translate_in("xx");
    assert!(html.contains(">Your cart|"), "{html}");
}

#[test]
fn server_side_translations_fall_back_to_the_default_locale_then_to_none() {
    let theme = basic();
    let name = [("name", "<Ann>".to_string())];
    // Arguments are plain text: escaping is up to whoever prints the result.
    assert_eq!(
        theme.translate("fr", "greeting", &name).as_deref(),
        Some("Bonjour <Ann>")
    );
    assert_eq!(
        theme.translate("en", "greeting", &name).as_deref(),
        Some("Hello <Ann>")
    );
    assert_eq!(
        theme.translate("fr", "only_en", &[]).as_deref(),
        Some("English only")
    );
    assert_eq!(
        theme.translate("xx", "greeting", &[]).as_deref(),
        Some("Hello {{ name }}"),
        "an unknown locale reads the default one; unknown placeholders stay as written"
    );
    assert_eq!(theme.translate("fr", "missing.key", &name), None);
}

fn money_line(money_format: &str, with_currency: &str, cents: i64) -> String {
    let catalog = catalog_with_shop(shop_with_format(money_format, with_currency));
    let theme = Theme::load(&fixture("theme-basic"), catalog, false).expect("loads");
    let mut cart = cart_json(0, None, json!({}));
    cart["total_price"] = json!(cents);
    let ctx = theme.context(&request("/"), cart_value(&cart));
    let html = theme
        .render_section(&ctx, "money")
        .expect("renders")
        .expect("known section");
    html.trim_start_matches(|c| c != '>')
        .trim_start_matches('>')
        .trim_end_matches("</div>")
        .to_owned()
}

#[test]
fn money_filters_follow_every_placeholder_of_the_shop_format() {
    let cases = [
        ("${{amount}}", "$1,134.65"),
        ("${{amount_no_decimals}}", "$1,135"),
        ("{{amount_with_comma_separator}} €", "1.134,65 €"),
        ("{{amount_no_decimals_with_comma_separator}} kr", "1.135 kr"),
        // The apostrophe is HTML-escaped in the output, like any text.
        (
            "CHF {{amount_with_apostrophe_separator}}",
            "CHF 1&#39;134.65",
        ),
        ("{{amount_no_decimals_with_space_separator}} Kč", "1 135 Kč"),
        ("{{amount_with_space_separator}} zł", "1 134,65 zł"),
        (
            "{{ amount_with_period_and_space_separator }} Fr",
            "1 134.65 Fr",
        ),
    ];
    for (format, expected) in cases {
        let line = money_line(format, &format!("{format} XYZ"), 113465);
        let parts: Vec<&str> = line.split('|').collect();
        assert_eq!(parts[0], expected, "money with {format}");
        assert_eq!(
            parts[1],
            format!("{expected} XYZ"),
            "money_with_currency with {format}"
        );
    }
}

#[test]
fn money_variants() {
    let line = money_line("${{amount}}", "${{amount}} CAD", 100100);
    assert_eq!(line, "$1,001.00|$1,001.00 CAD|1,001.00|$1,001");
    let line = money_line("${{amount}}", "${{amount}} CAD", 1050);
    assert_eq!(line, "$10.50|$10.50 CAD|10.50|$10.50");
    let line = money_line("${{amount}}", "${{amount}} CAD", -1050);
    assert_eq!(line, "-$10.50|-$10.50 CAD|-10.50|-$10.50");
}

#[test]
fn visitor_text_renders_inert() {
    let theme = basic();
    let note =
        "<script>alert(1)</script> {{ 7*7 }} {% raw %}x{% endraw %} {% if true %}y{% endif %}";
    let mut cart = cart_json(
        1,
        Some(note),
        json!({"<img src=x onerror=alert(1)>": "<script>alert(1)</script>", "_private": "{{ 7*7 }}"}),
    );
    cart["attributes"] = json!({"Gift wrap": "\"><script>alert(2)</script>"});
    let html = section(&theme, "/", "escape", cart_value(&cart)).expect("renders");
    assert!(!html.contains("<script>"), "{html}");
    assert!(!html.contains("<img"), "{html}");
    assert!(!html.contains("49"), "a note is never evaluated: {html}");
    assert!(html.contains(
        "note=[&lt;script&gt;alert(1)&lt;/script&gt; {{ 7*7 }} {% raw %}x{% endraw %} {% if true %}y{% endif %}]"
    ), "{html}");
    assert!(
        html.contains(
            "prop=[&lt;img src=x onerror=alert(1)&gt;=&lt;script&gt;alert(1)&lt;/script&gt;]"
        ),
        "{html}"
    );
    assert!(html.contains("prop=[_private={{ 7*7 }}]"), "{html}");
    assert!(
        html.contains("attrs=[Gift wrap=&quot;&gt;&lt;script&gt;alert(2)&lt;/script&gt;;]"),
        "{html}"
    );
    assert!(
        html.contains(r#"json=["\u003cscript\u003ealert(1)\u003c/script\u003e"#),
        "{html}"
    );
}

#[test]
fn wrapper_escapes_the_id() {
    // Ids come from file names and JSON keys, which a theme author controls; still, the wrapper
    // attribute must not break out.
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("sections")).expect("mkdir");
    std::fs::create_dir_all(dir.path().join("templates")).expect("mkdir");
    std::fs::write(dir.path().join("sections/x.html"), "x").expect("write");
    std::fs::write(
        dir.path().join("templates/index.json"),
        r#"{"sections": {"a\"><b>": {"type": "x"}}, "order": ["a\"><b>"]}"#,
    )
    .expect("write");
    let theme = Theme::load(dir.path(), catalog(), false).expect("loads");
    let html = section(&theme, "/", "template--index__a\"><b>", empty_cart()).expect("renders");
    assert!(html.starts_with(
        "<div id=\"shopify-section-template--index__a&quot;&gt;&lt;b&gt;\" class=\"shopify-section\">"
    ), "{html}");
}

fn globals(path: &str, locale: &str) -> (u16, String, String) {
    let theme = basic();
    let mut req = request_in(path, locale);
    req.flash = Some("Saved <ok>".into());
    let ctx = theme.context(&req, empty_cart());
    let html = theme
        .render_section(&ctx, "globals")
        .expect("renders")
        .expect("known section");
    let body = html
        .trim_start_matches(|c| c != '>')
        .trim_start_matches('>')
        .trim_end_matches("</div>")
        .to_owned();
    (ctx.status(), ctx.template().to_owned(), body)
}

#[test]
fn product_context_and_variant_selection() {
    let (status, template, body) = globals("/products/red-rain-coat?variant=36110175633573", "en");
    assert_eq!((status, template.as_str()), (200, "product"));
    assert_eq!(
        body,
        "/products/red-rain-coat|en|/|/cart/add|en|Red Rain Coat|product|Red Rain Coat|36110175633573|36110175633573||0|/||Saved &lt;ok&gt;"
    );
    let (_, _, body) = globals("/products/red-rain-coat", "en");
    assert!(
        body.contains("|Red Rain Coat||794864229|"),
        "no ?variant: no selected_variant, first available: {body}"
    );
    // A variant of another product selects nothing.
    let (_, _, body) = globals("/products/red-rain-coat?variant=36323170943141", "en");
    assert!(body.contains("|Red Rain Coat||794864229|"), "{body}");
}

#[test]
fn sold_out_product_selects_its_first_variant() {
    let (_, _, body) = globals("/products/sold-out-scarf", "en");
    assert!(body.contains("|Sold Out Scarf||40000000000000|"), "{body}");
}

#[test]
fn unknown_product_is_a_404_page() {
    let theme = basic();
    let ctx = theme.context(&request("/products/nope"), empty_cart());
    assert_eq!((ctx.status(), ctx.template()), (404, "404"));
    // The fixture's 404 template has `"layout": false`.
    let html = theme.render_page(&ctx).expect("renders");
    assert_eq!(
        html,
        "<div id=\"shopify-section-template--404__main\" class=\"shopify-section\">plain template--404__main in 404</div>"
    );
    for path in [
        "/pages/about",
        "/products",
        "/collections/nope",
        "/blogs/news",
    ] {
        let ctx = theme.context(&request(path), empty_cart());
        assert_eq!((ctx.status(), ctx.template()), (404, "404"), "{path}");
    }
    // A page whose JSON template the theme lacks is a 404 too.
    let ctx = theme.context(&request("/collections"), empty_cart());
    assert_eq!((ctx.status(), ctx.template()), (404, "404"));
}

#[test]
fn collection_pages_paginate_twelve_per_page() {
    let (status, template, body) = globals("/collections/all", "en");
    assert_eq!((status, template.as_str()), (200, "collection"));
    assert!(
        body.ends_with("|Products|12|1/2||Saved &lt;ok&gt;"),
        "{body}"
    );
    let (_, _, body) = globals("/collections/all?page=2", "en");
    assert!(body.contains("|Products|6|2/2|"), "{body}");
    let (_, _, body) = globals("/collections/all?page=9", "en");
    assert!(body.contains("|Products|0|9/2|"), "{body}");
    let (_, _, body) = globals("/collections/all?page=zero", "en");
    assert!(body.contains("|Products|12|1/2|"), "{body}");
    let (_, _, body) = globals("/collections/frontpage", "en");
    assert!(body.contains("|Front page|3|1/1|"), "{body}");
}

fn collection_titles(path: &str) -> Vec<String> {
    let theme = real_theme();
    let ctx = theme.context(&request(path), empty_cart());
    let html = theme
        .render_section(&ctx, "template--collection__main")
        .expect("renders")
        .expect("collection main section");
    html.split("<h3 class=\"card__title\">")
        .skip(1)
        .filter_map(|s| s.split('<').next())
        .map(str::to_owned)
        .collect()
}

#[test]
fn collection_sort_orders() {
    assert_eq!(
        collection_titles("/collections/frontpage"),
        ["Red Rain Coat", "Great Granola Bar", "Health potion"]
    );
    assert_eq!(
        collection_titles("/collections/frontpage?sort_by=price-ascending"),
        ["Health potion", "Great Granola Bar", "Red Rain Coat"]
    );
    assert_eq!(
        collection_titles("/collections/frontpage?sort_by=price-descending"),
        ["Red Rain Coat", "Great Granola Bar", "Health potion"]
    );
    assert_eq!(
        collection_titles("/collections/frontpage?sort_by=title-ascending"),
        ["Great Granola Bar", "Health potion", "Red Rain Coat"]
    );
    assert_eq!(
        collection_titles("/collections/frontpage?sort_by=title-descending"),
        ["Red Rain Coat", "Health potion", "Great Granola Bar"]
    );
    assert_eq!(
        collection_titles("/collections/frontpage?sort_by=nonsense"),
        ["Red Rain Coat", "Great Granola Bar", "Health potion"]
    );
    let page2 = collection_titles("/collections/all?sort_by=title-ascending&page=2");
    assert_eq!(page2.len(), 6);
    assert_eq!(page2.last().map(String::as_str), Some("Widget 13"));
}

#[test]
fn search_matches_title_vendor_type_and_tags_case_insensitively() {
    let count = |q: &str| {
        let (status, template, body) = globals(&format!("/search?q={q}"), "en");
        assert_eq!((status, template.as_str()), (200, "search"));
        body.split('|').nth(13).unwrap_or_default().to_owned()
    };
    assert_eq!(count("RAIN"), "1"); // title
    assert_eq!(count("polina"), "1"); // vendor
    assert_eq!(count("widget"), "14"); // type and titles
    assert_eq!(count("MAGIC"), "1"); // tag
    assert_eq!(count("red+coat"), "1"); // every word must match
    assert_eq!(count("red+potion"), "0");
    assert_eq!(count(""), "0");
}

#[test]
fn french_context_prefixes_routes_and_urls() {
    let (_, _, body) = globals("/products/health-potion", "fr");
    assert!(
        body.starts_with(
            "/fr/products/health-potion|fr|/fr|/fr/cart/add|fr|Health potion|product|"
        ),
        "{body}"
    );
    let theme = real_theme();
    let ctx = theme.context(&request_in("/collections/frontpage", "fr"), empty_cart());
    let html = theme
        .render_section(&ctx, "template--collection__main")
        .expect("renders")
        .expect("known");
    assert!(
        html.contains("href=\"/fr/products/red-rain-coat\""),
        "{html}"
    );
    assert!(html.contains("3 produits"), "{html}");
}

#[test]
fn context_value_is_shared_and_exposes_the_objects() {
    let theme = basic();
    let req = PageRequest {
        live_reload: true,
        ..request("/cart")
    };
    let ctx = theme.context(&req, empty_cart());
    let value = ctx.value();
    assert_eq!(
        value
            .get_attr("routes")
            .and_then(|r| r.get_attr("cart_url"))
            .map(|v| v.to_string())
            .ok()
            .as_deref(),
        Some("/cart")
    );
    assert_eq!(
        value
            .get_attr("template")
            .ok()
            .map(|v| v.to_string())
            .as_deref(),
        Some("cart")
    );
    let html = theme.render_page(&ctx).expect("renders");
    assert!(
        html.contains("<script src=\"/__vitrine/live.js\" defer></script>"),
        "{html}"
    );
    let ctx = theme.context(&request("/cart"), empty_cart());
    let html = theme.render_page(&ctx).expect("renders");
    assert!(!html.contains("live.js"), "{html}");
    assert!(html.contains(r#""routes":{"root":"/"}"#), "{html}");
}
