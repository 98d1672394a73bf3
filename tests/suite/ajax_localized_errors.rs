//! Cart refusals read in the storefront's locale: the Ajax API's `description` (and `errors`),
//! the flash message after a plain form post and the htmx fragments, from the theme's
//! `cart.errors.*` translations. `status` and `message` never change, and a key the theme does not
//! have answers in English.

use crate::common::*;
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

// --- Errors that are not refusals of the cart's rules ------------------------------------------
// A bad parameter or body, a stale `If-Match`, an oversized body and a failed write reach the
// same visitor through a flash message or the htmx sections: they are worded from
// `cart.errors.*` too, in the shape and status they always had.

const INVALID_QUANTITY_FR: &str = "Paramètre obligatoire manquant ou invalide\u{a0}: quantity";
const INTERNAL_EN: &str = "Something went wrong on our side. Please try again.";
const INTERNAL_FR: &str = "Une erreur s’est produite de notre côté. Veuillez réessayer.";

/// The `{status, message, description}` body, exactly.
#[track_caller]
fn assert_error_body(resp: &Resp, status: u16, shape: Value) {
    resp.expect(status);
    assert_eq!(resp.json(), shape, "{}", resp.text());
}

#[tokio::test]
async fn a_bad_parameter_is_flashed_and_described_in_french() {
    let app = store().await;
    let visitor = app.visitor();
    visitor.add(RED_RAIN_COAT, 1).await;
    let resp = visitor
        .post_form(
            "/fr/cart/change",
            &[("line", "1"), ("quantity", "beaucoup")],
        )
        .await;
    resp.expect(303);
    assert_eq!(resp.location(), Some("/fr/cart"));
    assert_eq!(
        app.flash(&visitor).await.as_deref(),
        Some(INVALID_QUANTITY_FR)
    );
    // The Ajax API: the document's 400, only the description in French.
    let resp = visitor
        .post_json(
            "/fr/cart/change.js",
            json!({"line": 1, "quantity": "beaucoup"}),
        )
        .await;
    assert_error_body(
        &resp,
        400,
        json!({
            "status": "bad_request",
            "message": "Parameter Missing or Invalid",
            "description": INVALID_QUANTITY_FR,
        }),
    );
    assert_eq!(lines(&visitor.cart().await), [(RED_RAIN_COAT, 1)]);
}

#[tokio::test]
async fn an_htmx_change_with_a_bad_parameter_shows_the_french_text_in_the_cart() {
    let app = store().await;
    let visitor = app.visitor();
    visitor.add(RED_RAIN_COAT, 1).await;
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
            "line=1&quantity=beaucoup",
        )
        .await;
    resp.expect(400);
    let html = resp.text();
    let items = html
        .split("id=\"shopify-section-template--cart__items\"")
        .nth(1)
        .unwrap_or_else(|| panic!("no cart items section in {html}"));
    assert!(
        items.contains(&format!(
            "<p class=\"cart-error\" role=\"alert\">{INVALID_QUANTITY_FR}</p>"
        )),
        "{html}"
    );
    assert!(!html.contains("Required parameter"), "{html}");
}

#[tokio::test]
async fn an_unparsable_body_is_described_in_french() {
    let app = store().await;
    let visitor = app.visitor();
    let resp = visitor
        .post_raw("/fr/cart/add.js", "application/json", "{\"id\": ")
        .await;
    assert_error_body(
        &resp,
        400,
        json!({
            "status": "bad_request",
            "message": "Parameter Missing or Invalid",
            "description": "JSON mal formé à la ligne 1, colonne 7",
        }),
    );
    let resp = visitor
        .post_raw("/cart/add.js", "application/json", "{\"id\": ")
        .await;
    assert_eq!(
        resp.json()["description"],
        "malformed JSON at line 1, column 7"
    );
    // A form that is not one: flashed on the French cart page.
    let resp = visitor
        .post_raw("/fr/cart/add", "multipart/form-data", "id=1")
        .await;
    resp.expect(303);
    assert_eq!(
        app.flash(&visitor).await.as_deref(),
        Some("corps multipart sans délimiteur (boundary)")
    );
}

#[tokio::test]
async fn an_oversized_body_is_described_in_french() {
    let app = store().await;
    let visitor = app.visitor();
    let note = "n".repeat(vitrine::MAX_BODY_BYTES + 1);
    let resp = visitor
        .post_form("/fr/cart/update", &[("note", note.as_str())])
        .await;
    resp.expect(303);
    assert_eq!(resp.location(), Some("/fr/cart"));
    let french = format!(
        "Le corps de la requête est trop volumineux ({} octets au maximum).",
        vitrine::MAX_BODY_BYTES
    );
    assert_eq!(app.flash(&visitor).await.as_deref(), Some(french.as_str()));
    let resp = visitor
        .post_json("/fr/cart/update.js", json!({"note": note}))
        .await;
    assert_error_body(
        &resp,
        413,
        json!({
            "status": 413,
            "message": "Payload Too Large",
            "description": french,
        }),
    );
}

#[tokio::test]
async fn a_stale_if_match_is_described_in_french() {
    let app = store().await;
    let visitor = app.visitor();
    visitor.add(RED_RAIN_COAT, 1).await;
    let stale = [("if-match", "\"0-00000000\"")];
    let resp = visitor
        .post_json_with(
            "/fr/cart/change.js",
            json!({"line": 1, "quantity": 2}),
            &stale,
        )
        .await;
    let french = "Le panier a changé depuis qu’il a été lu. Rechargez /cart.js et réessayez.";
    assert_error_body(
        &resp,
        412,
        json!({"status": 412, "message": "Precondition Failed", "description": french}),
    );
    let resp = visitor
        .post_form_with(
            "/fr/cart/change",
            &[("line", "1"), ("quantity", "2")],
            &stale,
        )
        .await;
    resp.expect(303);
    assert_eq!(app.flash(&visitor).await.as_deref(), Some(french));
    assert_eq!(lines(&visitor.cart().await), [(RED_RAIN_COAT, 1)]);
}

/// Makes every write of an existing cart fail inside SQLite: a real store failure.
fn break_cart_writes(app: &TestApp) {
    let conn = rusqlite::Connection::open(app.path().join("data/store.db")).expect("open the db");
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .expect("timeout");
    conn.execute_batch(
        "CREATE TRIGGER refuse_cart_writes BEFORE UPDATE ON carts \
         BEGIN SELECT RAISE(ABORT, 'the disk is on fire'); END;",
    )
    .expect("create the trigger");
}

#[tokio::test]
async fn a_failed_write_is_described_in_french_without_its_detail() {
    let app = store().await;
    let visitor = app.visitor();
    visitor.add(RED_RAIN_COAT, 1).await;
    break_cart_writes(&app);
    let resp = visitor
        .post_form("/fr/cart/change", &[("line", "1"), ("quantity", "2")])
        .await;
    resp.expect(303);
    assert_eq!(app.flash(&visitor).await.as_deref(), Some(INTERNAL_FR));
    let html = visitor.get("/fr/cart").await.text();
    assert!(
        html.contains(&format!(
            "<p class=\"flash\" role=\"alert\">{INTERNAL_FR}</p>"
        )),
        "{html}"
    );
    let resp = visitor
        .post_json("/fr/cart/change.js", json!({"line": 1, "quantity": 2}))
        .await;
    assert_error_body(
        &resp,
        500,
        json!({"status": 500, "message": "Internal Server Error", "description": INTERNAL_FR}),
    );
    let resp = visitor
        .post_json("/cart/change.js", json!({"line": 1, "quantity": 2}))
        .await;
    assert_eq!(resp.json()["description"], INTERNAL_EN);
    assert!(!resp.text().contains("fire"), "{}", resp.text());
    assert_eq!(lines(&visitor.cart().await), [(RED_RAIN_COAT, 1)]);
}
