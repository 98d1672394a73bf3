//! Cart refusals read in the storefront's locale: the Ajax API's `description` (and `errors`),
//! the flash message after a plain form post and the htmx fragments, from the theme's
//! `cart.errors.*` translations. `status` and `message` never change, and a key the theme does not
//! have answers in English.

mod common;

use common::*;
use serde_json::{Value, json};

const RED_COAT_EN: &str = "You can't add more Red Rain Coat - Red to the cart.";
const RED_COAT_FR: &str = "Vous ne pouvez pas ajouter plus de Red Rain Coat - Red au panier.";
const PRINT_FR: &str = "Vous ne pouvez pas ajouter plus de Limited Edition Print au panier.";
const SCARF_FR: &str = "Le produit « Sold Out Scarf » est déjà épuisé.";

/// The demo store with the repository's theme and its locale files.
async fn store() -> TestApp {
    TestApp::with_real_theme(&[], false).await
}

/// More Red Rain Coats than the store has (100), through `path`.
async fn over_stock_add(visitor: &Visitor, path: &str) -> Resp {
    visitor
        .post_json(path, json!({"id": RED_RAIN_COAT, "quantity": 101}))
        .await
}

/// The whole 422 body, keys in order: only the description differs between locales.
#[track_caller]
fn assert_stock_refusal(resp: &Resp, description: &str) {
    assert_cart_error(resp, 422, description);
    assert_eq!(raw_keys(&resp.text()), ["status", "message", "description"]);
}

#[tokio::test]
async fn the_same_over_stock_add_is_described_in_each_storefront_locale() {
    let app = store().await;
    let english = app.visitor();
    assert_stock_refusal(&over_stock_add(&english, "/cart/add.js").await, RED_COAT_EN);
    let french = app.visitor();
    assert_stock_refusal(
        &over_stock_add(&french, "/fr/cart/add.js").await,
        RED_COAT_FR,
    );
    // The documented clamp happened in both: only the words differ.
    assert_eq!(lines(&english.cart().await), [(RED_RAIN_COAT, 100)]);
    assert_eq!(lines(&french.cart().await), [(RED_RAIN_COAT, 100)]);
}

#[tokio::test]
async fn change_and_update_word_their_errors_field_in_the_locale_too() {
    let app = store().await;
    let visitor = app.visitor();
    visitor.add(LIMITED_PRINT, 1).await;
    let resp = visitor
        .post_json("/fr/cart/change.js", json!({"line": 1, "quantity": 11}))
        .await;
    assert_cart_error(&resp, 422, PRINT_FR);
    assert_eq!(resp.json()["errors"], PRINT_FR);
    // `update` applies `add`'s stock rules to a variant that is not in the cart yet.
    let visitor = app.visitor();
    let resp = visitor
        .post_json(
            "/fr/cart/update.js",
            json!({"updates": {"40000000000010": 12}}),
        )
        .await;
    assert_cart_error(&resp, 422, PRINT_FR);
    assert_eq!(resp.json()["errors"], PRINT_FR);
}

#[tokio::test]
async fn other_refusals_keep_their_shape_and_only_change_language() {
    let app = store().await;
    let visitor = app.visitor();
    let resp = visitor
        .post_json("/fr/cart/add.js", json!({"id": SOLD_OUT_SCARF}))
        .await;
    assert_cart_error(&resp, 422, SCARF_FR);
    let resp = visitor.post_json("/fr/cart/add.js", json!({"id": 1})).await;
    assert_cart_error(&resp, 404, "Cette variante est introuvable.");
    // The document's 400 keeps its `bad_request` status and English `message`.
    let resp = visitor
        .post_json("/fr/cart/change.js", json!({"line": 9, "quantity": 1}))
        .await;
    resp.expect(400);
    assert_eq!(
        resp.json(),
        json!({
            "status": "bad_request",
            "message": "no valid id or line parameter",
            "description": "aucun paramètre id ou line valide",
        })
    );
}

#[tokio::test]
async fn a_plain_form_refusal_is_flashed_in_french_on_the_french_cart_page() {
    let app = store().await;
    let visitor = app.visitor();
    let resp = visitor
        .post_form(
            "/fr/cart/add",
            &[("id", &RED_RAIN_COAT.to_string()), ("quantity", "101")],
        )
        .await;
    resp.expect(303);
    assert_eq!(resp.location(), Some("/fr/cart"));
    let page = visitor.get("/fr/cart").await;
    page.expect(200);
    let html = page.text();
    assert!(
        html.contains(&format!(
            "<p class=\"flash\" role=\"alert\">{RED_COAT_FR}</p>"
        )),
        "{html}"
    );
    assert!(!html.contains("You can"), "{html}");

    // The same post on the English storefront flashes the English text.
    let visitor = app.visitor();
    visitor
        .post_form(
            "/cart/add",
            &[("id", &RED_RAIN_COAT.to_string()), ("quantity", "101")],
        )
        .await
        .expect(303);
    let html = visitor.get("/cart").await.text();
    let flash = html
        .split("<p class=\"flash\" role=\"alert\">")
        .nth(1)
        .unwrap_or_else(|| panic!("no flash in {html}"));
    // The apostrophe is escaped; how is the layout's business.
    assert!(flash.starts_with("You can&"), "{html}");
    assert!(
        flash.contains("t add more Red Rain Coat - Red to the cart.</p>"),
        "{html}"
    );
}

#[tokio::test]
async fn an_htmx_refusal_shows_the_french_text_beside_its_line() {
    let app = store().await;
    let visitor = app.visitor();
    visitor.add(LIMITED_PRINT, 1).await;
    let resp = visitor
        .request(
            http::Method::POST,
            "/fr/cart/change",
            &[
                ("host", "127.0.0.1:3000"),
                ("hx-request", "true"),
                ("hx-current-url", "http://127.0.0.1:3000/fr/cart"),
                ("content-type", "application/x-www-form-urlencoded"),
            ],
            "line=1&quantity=11",
        )
        .await;
    resp.expect(422);
    let html = resp.text();
    assert!(
        html.starts_with(&format!(
            "<p class=\"cart-error\" role=\"alert\">{PRINT_FR}</p>"
        )),
        "{html}"
    );
    // The theme's `cart_error`, shown inside the line it is about.
    let line = html
        .split("class=\"cart-line__error\"")
        .nth(1)
        .unwrap_or_else(|| panic!("no line error in {html}"));
    assert!(line.contains(PRINT_FR), "{html}");
}

/// The repository's French locale file without `cart.errors.<key>`.
fn french_without(key: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/locales/fr.json");
    let mut json: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("fr.json")).expect("JSON");
    let errors = json["cart"]["errors"]
        .as_object_mut()
        .expect("fr.json has cart.errors");
    assert!(errors.remove(key).is_some(), "fr.json has {key}");
    json.to_string()
}

#[tokio::test]
async fn a_key_missing_in_french_falls_back_to_the_themes_english() {
    let fr = french_without("not_enough_stock");
    let app = TestApp::with_real_theme(&[("templates/locales/fr.json", &fr)], false).await;
    let visitor = app.visitor();
    assert_stock_refusal(
        &over_stock_add(&visitor, "/fr/cart/add.js").await,
        RED_COAT_EN,
    );
    // The keys it still has are French.
    let resp = visitor
        .post_json("/fr/cart/add.js", json!({"id": SOLD_OUT_SCARF}))
        .await;
    assert_cart_error(&resp, 422, SCARF_FR);
}

#[tokio::test]
async fn a_theme_without_error_keys_answers_in_english() {
    let bare = r#"{"cart": {"title": "Votre panier"}}"#;
    let app = TestApp::with_real_theme(
        &[
            ("templates/locales/fr.json", bare),
            ("templates/locales/en.default.json", r#"{"cart": {}}"#),
        ],
        false,
    )
    .await;
    let visitor = app.visitor();
    assert_stock_refusal(
        &over_stock_add(&visitor, "/fr/cart/add.js").await,
        RED_COAT_EN,
    );
    let resp = visitor
        .post_json("/fr/cart/change.js", json!({"line": 1, "quantity": 101}))
        .await;
    assert_cart_error(&resp, 422, RED_COAT_EN);
    assert_eq!(resp.json()["errors"], RED_COAT_EN);

    // No locale files at all.
    let app = TestApp::new().await;
    let visitor = app.visitor();
    assert_stock_refusal(
        &over_stock_add(&visitor, "/fr/cart/add.js").await,
        RED_COAT_EN,
    );
}
