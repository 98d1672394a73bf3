//! Snippet output reused across requests: a line's snippet renders again when the line changes,
//! and never comes from another request when it read per-request objects, the clock, or a
//! section. Editing the snippet shows at once.

use crate::theme_support::*;
use serde_json::json;

/// The five snippets' outputs for each line: [line, cart, clock, section, nested].
fn render(theme: &vitrine::theme::Theme, cart: &serde_json::Value) -> Vec<Vec<String>> {
    let html = section(theme, "/", "fragments", cart_value(cart)).expect("renders");
    html.split('[')
        .skip(1)
        .map(|line| {
            line.split(']')
                .next()
                .unwrap_or_default()
                .split('|')
                .map(|part| part.trim().to_string())
                .collect()
        })
        .collect()
}

fn cart_with(quantities: &[usize]) -> serde_json::Value {
    let mut cart = cart_json(quantities.len(), None, json!({}));
    let mut count = 0;
    for (item, quantity) in cart["items"]
        .as_array_mut()
        .expect("items")
        .iter_mut()
        .zip(quantities)
    {
        item["quantity"] = json!(quantity);
        item["final_line_price"] = json!(12900 * *quantity as i64);
        count += quantity;
    }
    cart["item_count"] = json!(count);
    cart
}

#[test]
fn a_changed_line_renders_afresh_and_the_others_render_the_same() {
    let theme = basic();
    let first = render(&theme, &cart_with(&[1, 1]));
    let second = render(&theme, &cart_with(&[1, 2]));
    assert_eq!(
        first[0][0],
        "Red Rain Coat - Red x1 in Your cart at $129.00"
    );
    assert_eq!(second[0][0], first[0][0]);
    assert_eq!(
        second[1][0],
        "Red Rain Coat - Red x2 in Your cart at $258.00"
    );
}

#[test]
fn snippets_that_read_the_cart_the_clock_or_a_section_are_not_reused_by_another_request() {
    let theme = basic();
    let first = render(&theme, &cart_with(&[1, 1]));
    // Same first line, but three items in the cart now.
    let second = render(&theme, &cart_with(&[1, 2]));
    assert_eq!(first[0][1], "Red Rain Coat - Red of 2");
    assert_eq!(second[0][1], "Red Rain Coat - Red of 3");
    // A snippet that renders one that reads the cart is per request too.
    assert_eq!(
        second[0][4],
        "Red Rain Coat - Red with Red Rain Coat - Red of 3"
    );
    assert_ne!(
        first[0][2], second[0][2],
        "the clock snippet came from the cache"
    );
    assert!(second[0][3].starts_with("Red Rain Coat - Red beside "));
}

#[test]
fn the_same_call_in_another_locale_is_not_the_cached_one() {
    let theme = basic();
    let cart = cart_with(&[1]);
    let en = section(&theme, "/", "fragments", cart_value(&cart)).expect("renders");
    let ctx = theme.context(&request_in("/", "fr"), cart_value(&cart));
    let fr = theme
        .render_section(&ctx, "fragments")
        .expect("renders")
        .expect("known");
    assert!(en.contains("in Your cart"), "{en}");
    assert!(!fr.contains("in Your cart"), "{fr}");
}

#[test]
fn an_edited_snippet_shows_at_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_dir(&fixture("theme-basic"), dir.path());
    let theme = vitrine::theme::Theme::load(dir.path(), catalog(), false).expect("loads");
    let cart = cart_with(&[1]);
    assert_eq!(
        render(&theme, &cart)[0][0],
        "Red Rain Coat - Red x1 in Your cart at $129.00"
    );
    std::fs::write(
        dir.path().join("templates/snippets/fragment-line.html"),
        "edited {{ item.quantity }}",
    )
    .expect("write");
    theme.reload();
    assert_eq!(render(&theme, &cart)[0][0], "edited 1");
}

fn basic() -> vitrine::theme::Theme {
    fixture_theme("theme-basic")
}
