//! Shopify's Ajax Cart API against the demo store: every request example of the Cart API
//! reference (seeds/000), verbatim, plus the shapes, key orders and totals of PLATFORM-APIS.md §1.

use crate::common::*;
use serde_json::{Value, json};

/// Cart keys, in the documents' order.
const CART_KEYS: [&str; 13] = [
    "token",
    "note",
    "attributes",
    "original_total_price",
    "total_price",
    "total_discount",
    "total_weight",
    "item_count",
    "items",
    "requires_shipping",
    "currency",
    "items_subtotal_price",
    "cart_level_discount_applications",
];

/// Line item keys, in the order of a real response (PLATFORM-APIS.md).
const LINE_KEYS: [&str; 36] = [
    "id",
    "properties",
    "quantity",
    "variant_id",
    "key",
    "title",
    "price",
    "original_price",
    "discounted_price",
    "line_price",
    "original_line_price",
    "total_discount",
    "discounts",
    "sku",
    "grams",
    "vendor",
    "taxable",
    "product_id",
    "product_has_only_default_variant",
    "gift_card",
    "final_price",
    "final_line_price",
    "url",
    "featured_image",
    "image",
    "handle",
    "requires_shipping",
    "product_type",
    "product_title",
    "product_description",
    "variant_title",
    "variant_options",
    "options_with_values",
    "line_level_discount_allocations",
    "line_level_total_discount",
    "quantity_rule",
];

/// Keys this server adds after the documented ones: `discount_codes` on the cart (what the
/// platform answers today), `selling_plan_allocation` on a line with a plan.
const EXTRA_CART_KEYS: [&str; 1] = ["discount_codes"];

#[track_caller]
fn assert_line_key_order(keys: &[String]) {
    let documented: Vec<&str> = keys
        .iter()
        .map(String::as_str)
        .filter(|k| *k != "selling_plan_allocation")
        .collect();
    assert_eq!(documented, LINE_KEYS, "line item keys, in order");
    if let Some(i) = keys.iter().position(|k| k == "selling_plan_allocation") {
        assert_eq!(i, keys.len() - 1, "selling_plan_allocation comes last");
    }
}

#[track_caller]
fn assert_cart_key_order(text: &str) {
    let keys = raw_keys(text);
    let mut expected: Vec<&str> = CART_KEYS.to_vec();
    expected.extend(EXTRA_CART_KEYS);
    assert_eq!(keys, expected, "cart keys, in order: {text}");
    for line in raw_array_item_keys(text, "items") {
        assert_line_key_order(&line);
    }
}

/// Every total of the cart agrees with its lines.
#[track_caller]
fn assert_totals_consistent(cart: &Value) {
    let lines = items(cart);
    let sum = |name: &str| lines.iter().map(|l| int(l, name)).sum::<i64>();
    for line in lines {
        let q = int(line, "quantity");
        assert_eq!(int(line, "line_price"), int(line, "price") * q, "{line}");
        assert_eq!(
            int(line, "original_line_price"),
            int(line, "original_price") * q
        );
        assert_eq!(int(line, "final_line_price"), int(line, "final_price") * q);
        let allocated: i64 = field(line, "line_level_discount_allocations")
            .as_array()
            .expect("allocations")
            .iter()
            .map(|a| int(a, "amount"))
            .sum();
        assert_eq!(allocated, int(line, "line_level_total_discount"));
        assert_eq!(
            int(line, "original_line_price") - int(line, "final_line_price"),
            int(line, "total_discount"),
            "{line}"
        );
    }
    assert_eq!(
        int(cart, "original_total_price"),
        sum("original_line_price")
    );
    assert_eq!(int(cart, "items_subtotal_price"), sum("final_line_price"));
    let cart_level: i64 = field(cart, "cart_level_discount_applications")
        .as_array()
        .expect("applications")
        .iter()
        .map(|a| int(a, "total_allocated_amount"))
        .sum();
    assert_eq!(
        int(cart, "total_price"),
        int(cart, "items_subtotal_price") - cart_level
    );
    assert_eq!(
        int(cart, "total_discount"),
        int(cart, "original_total_price") - int(cart, "total_price")
    );
    assert_eq!(int(cart, "item_count"), sum("quantity"));
    let weight: i64 = lines
        .iter()
        .map(|l| int(l, "grams") * int(l, "quantity"))
        .sum();
    assert_eq!(int(cart, "total_weight"), weight);
    let shipping = lines
        .iter()
        .any(|l| field(l, "requires_shipping").as_bool() == Some(true));
    assert_eq!(field(cart, "requires_shipping").as_bool(), Some(shipping));
    assert_eq!(field(cart, "currency"), "CAD");
}

// --- GET /cart.js --------------------------------------------------------------------------

#[tokio::test]
async fn empty_cart_has_the_documented_shape_and_key_order() {
    let app = TestApp::new().await;
    let visitor = app.visitor();
    let resp = visitor.get("/cart.js").await;
    resp.expect(200);
    assert!(
        resp.header("content-type")
            .is_some_and(|t| t.starts_with("application/json"))
    );
    // A cart is personal: never cached by a proxy.
    assert_eq!(resp.header("cache-control"), Some("no-store"));
    assert_cart_key_order(&resp.text());
    let cart = resp.json();
    let token = field(&cart, "token").as_str().expect("token").to_string();
    let mut expected = json!({
        "token": token,
        "note": null,
        "attributes": {},
        "original_total_price": 0,
        "total_price": 0,
        "total_discount": 0,
        "total_weight": 0,
        "item_count": 0,
        "items": [],
        "requires_shipping": false,
        "currency": "CAD",
        "items_subtotal_price": 0,
        "cart_level_discount_applications": [],
    });
    expected["discount_codes"] = json!([]);
    assert_eq!(cart, expected);
    // The token stays the visitor's from the first read on.
    assert_eq!(field(&visitor.cart().await, "token"), token.as_str());
    // /cart.json is the same document.
    let json_resp = visitor.get("/cart.json").await;
    json_resp.expect(200);
    assert_eq!(json_resp.json(), cart);
}

#[tokio::test]
async fn full_cart_key_order_and_totals() {
    let app = TestApp::new().await;
    let visitor = app.visitor();
    visitor.add(HEALTH_POTION, 1).await;
    visitor.add(RAIN_COAT_SMALL, 2).await;
    visitor
        .post_json(
            "/cart/add.js",
            json!({"items": [{"id": RED_RAIN_COAT, "quantity": 1, "selling_plan": 183638}]}),
        )
        .await
        .expect(200);
    visitor.add(GIFT_CARD, 1).await;
    visitor
        .post_json(
            "/cart/update.js",
            json!({"note": "Hello!", "attributes": {"Gift wrap": "Yes"}, "discount": "WELCOME10"}),
        )
        .await
        .expect(200);
    let resp = visitor.get("/cart.js").await;
    resp.expect(200);
    assert_cart_key_order(&resp.text());
    let cart = resp.json();
    assert_totals_consistent(&cart);
    assert_eq!(field(&cart, "note"), "Hello!");
    assert_eq!(field(&cart, "attributes"), &json!({"Gift wrap": "Yes"}));
    assert_eq!(int(&cart, "item_count"), 5);
    // 900 + 2 × 12900 + 10320 (plan) + 2500 (gift card, never discounted)
    assert_eq!(int(&cart, "original_total_price"), 39520);
    let discountable = 39520 - 2500;
    assert_eq!(int(&cart, "total_discount"), (discountable + 5) / 10);
    assert_eq!(int(&cart, "total_weight"), 500);
    assert_eq!(field(&cart, "requires_shipping"), true);

    let potion = &items(&cart)[0];
    assert_eq!(int(potion, "id"), HEALTH_POTION);
    assert_eq!(field(potion, "title"), "Health potion - S / Low");
    assert_eq!(field(potion, "vendor"), "Polina's Potent Potions");
    assert_eq!(int(potion, "grams"), 500);
    assert_eq!(field(potion, "variant_title"), "S / Low");
    assert_eq!(field(potion, "product_has_only_default_variant"), false);
    assert_eq!(
        field(potion, "options_with_values"),
        &json!([{"name": "Size", "value": "S"}, {"name": "Strength", "value": "Low"}])
    );
    let plan_line = &items(&cart)[2];
    assert_eq!(
        field(plan_line, "url"),
        &format!("/products/red-rain-coat?selling_plan=183638&variant={RED_RAIN_COAT}")
    );
    let gift = &items(&cart)[3];
    assert_eq!(field(gift, "gift_card"), true);
    assert_eq!(field(gift, "requires_shipping"), false);
}

#[tokio::test]
async fn only_a_gift_card_needs_no_shipping() {
    let app = TestApp::new().await;
    let visitor = app.visitor();
    visitor.add(GIFT_CARD, 3).await;
    let cart = visitor.cart().await;
    assert_totals_consistent(&cart);
    assert_eq!(field(&cart, "requires_shipping"), false);
    assert_eq!(int(&cart, "total_price"), 7500);
}

// --- POST /cart/add.js -----------------------------------------------------------------------

#[tokio::test]
async fn add_js_document_example() {
    let app = TestApp::new().await;
    let visitor = app.visitor();
    let form_data = json!({
        "items": [{
            "id": 36110175633573_i64,
            "quantity": 2
        }]
    });
    let resp = visitor.post_json("/cart/add.js", form_data.clone()).await;
    resp.expect(200);
    for line in raw_array_item_keys(&resp.text(), "items") {
        assert_line_key_order(&line);
    }
    let body = resp.json();
    assert_eq!(raw_keys(&resp.text()), ["items"]);
    let list = items(&body);
    assert_eq!(list.len(), 1);
    let line = &list[0];
    assert_eq!(int(line, "id"), 36110175633573);
    assert_eq!(int(line, "variant_id"), 36110175633573);
    assert_eq!(int(line, "quantity"), 2);
    assert_eq!(field(line, "title"), "Red Rain Coat - Small");
    assert_eq!(int(line, "price"), 12900);
    assert_eq!(int(line, "line_price"), 25800);
    assert_eq!(field(line, "vendor"), "Shopify");
    assert_eq!(field(line, "properties"), &json!({}));
    assert_eq!(field(line, "gift_card"), false);
    assert_eq!(
        field(line, "url"),
        "/products/red-rain-coat?variant=36110175633573"
    );
    assert_eq!(field(line, "handle"), "red-rain-coat");
    assert_eq!(field(line, "requires_shipping"), true);
    assert_eq!(field(line, "product_title"), "Red Rain Coat");
    assert_eq!(
        field(line, "product_description"),
        "A bright red rain coat for rainy days!"
    );
    assert_eq!(field(line, "product_type"), "Coat");
    assert_eq!(field(line, "variant_title"), "Small");
    assert_eq!(field(line, "variant_options"), &json!(["Small"]));
    assert_eq!(
        field(line, "options_with_values"),
        &json!([{"name": "Color", "value": "Small"}])
    );
    let image = field(line, "featured_image");
    assert_eq!(field(image, "alt"), "Red rain coat with a hood");
    assert_eq!(field(image, "aspect_ratio").as_f64(), Some(1.0));
    assert_eq!(field(line, "image"), field(image, "url"));
    assert_line_key(field(line, "key").as_str().expect("key"), 36110175633573);

    // "If an item is already in the cart, then quantity is equal to the new quantity."
    let again = visitor.post_json("/cart/add.js", form_data).await;
    again.expect(200);
    let again = again.json();
    assert_eq!(int(&items(&again)[0], "quantity"), 4);
    assert_eq!(field(&items(&again)[0], "key"), field(line, "key"));
    let cart = visitor.cart().await;
    assert_eq!(lines(&cart), [(36110175633573, 4)]);
    assert_totals_consistent(&cart);
}

#[tokio::test]
async fn add_js_form_data_of_a_product_form() {
    let app = TestApp::new().await;
    let visitor = app.visitor();
    // `new FormData(form[action$="/cart/add"])`: what a theme's product form carries.
    let resp = visitor
        .post_multipart(
            "/cart/add.js",
            &[
                ("form_type", "product"),
                ("utf8", "✓"),
                ("id", "36110175633573"),
                ("quantity", "1"),
                ("properties[First name]", "Caroline"),
                ("product-id", "7021400000001"),
                ("section-id", "template--main-product"),
            ],
        )
        .await;
    resp.expect(200);
    // A single item answers the bare line item.
    let line = resp.json();
    assert_line_key_order(&raw_keys(&resp.text()));
    assert_eq!(int(&line, "id"), RAIN_COAT_SMALL);
    assert_eq!(int(&line, "quantity"), 1);
    assert_eq!(
        field(&line, "properties"),
        &json!({"First name": "Caroline"})
    );
}

#[tokio::test]
async fn add_js_single_id_answers_the_bare_line() {
    let app = TestApp::new().await;
    let visitor = app.visitor();
    let resp = visitor
        .post_json("/cart/add.js", json!({"id": HAT, "quantity": 2}))
        .await;
    resp.expect(200);
    let line = resp.json();
    assert!(line.get("items").is_none(), "{line}");
    assert_eq!(int(&line, "variant_id"), HAT);
    assert_eq!(int(&line, "quantity"), 2);
    // Quantity defaults to 1.
    let resp = visitor
        .post_json("/cart/add.js", json!({"id": BOOTS}))
        .await;
    resp.expect(200);
    assert_eq!(int(&resp.json(), "quantity"), 1);
}

#[tokio::test]
async fn add_js_granola_example_splits_by_plan_and_parent() {
    let app = TestApp::new().await;
    let visitor = app.visitor();
    let data = json!({
        "items": [
            {"id": 36323170943141_i64, "quantity": 1},
            {"id": 36323170943141_i64, "selling_plan": 6717605, "quantity": 1},
            {"id": 36323170943141_i64, "parent_id": 4534355122_i64, "quantity": 1}
        ]
    });
    let resp = visitor.post_json("/cart/add.js", data.clone()).await;
    resp.expect(200);
    let body = resp.json();
    let list = items(&body);
    assert_eq!(list.len(), 3, "{body}");
    let keys: Vec<&str> = list
        .iter()
        .map(|l| field(l, "key").as_str().expect("key"))
        .collect();
    for key in &keys {
        assert_line_key(key, GRANOLA);
    }
    assert!(keys[0] != keys[1] && keys[1] != keys[2] && keys[0] != keys[2]);
    for line in list {
        assert_eq!(int(line, "id"), GRANOLA);
        assert_eq!(int(line, "quantity"), 1);
        assert_eq!(field(line, "title"), "Great Granola Bar");
        assert_eq!(field(line, "variant_title"), &Value::Null);
        assert_eq!(field(line, "product_has_only_default_variant"), true);
        assert_eq!(field(line, "variant_options"), &json!(["Default Title"]));
        assert_eq!(
            field(line, "options_with_values"),
            &json!([{"name": "Title", "value": "Default Title"}])
        );
        assert_eq!(
            field(line, "url"),
            &format!(
                "/products/great-granola-bar?{}variant={GRANOLA}",
                if line.get("selling_plan_allocation").is_some() {
                    "selling_plan=6717605&"
                } else {
                    ""
                }
            )
        );
    }
    for (line, price) in list.iter().zip([2000, 1700, 2000]) {
        for name in [
            "price",
            "original_price",
            "discounted_price",
            "line_price",
            "original_line_price",
            "final_price",
            "final_line_price",
        ] {
            assert_eq!(int(line, name), price, "{name} of {line}");
        }
        assert_eq!(int(line, "total_discount"), 0);
    }
    let plan = field(&list[1], "selling_plan_allocation");
    assert_eq!(int(plan, "price"), 1700);
    assert_eq!(int(plan, "compare_at_price"), 2000);
    assert_eq!(int(plan, "per_delivery_price"), 1700);
    assert_eq!(int(field(plan, "selling_plan"), "id"), 6717605);
    assert!(list[0].get("selling_plan_allocation").is_none());
    assert!(list[2].get("selling_plan_allocation").is_none());

    // The same request again merges into the same three lines.
    let again = visitor.post_json("/cart/add.js", data).await;
    again.expect(200);
    let cart = visitor.cart().await;
    assert_eq!(lines(&cart), [(GRANOLA, 2), (GRANOLA, 2), (GRANOLA, 2)]);
    let again_keys: Vec<&str> = items(&cart)
        .iter()
        .map(|l| field(l, "key").as_str().expect("key"))
        .collect();
    assert_eq!(again_keys, keys);
    assert_eq!(int(&cart, "total_price"), 2 * (2000 + 1700 + 2000));
    assert_totals_consistent(&cart);
}

#[tokio::test]
async fn add_js_line_item_properties_example() {
    let app = TestApp::new().await;
    let visitor = app.visitor();
    let resp = visitor
        .post_json(
            "/cart/add.js",
            json!({"items": [{"quantity": 1, "id": 794864229, "properties": {"First name": "Caroline"}}]}),
        )
        .await;
    resp.expect(200);
    let body = resp.json();
    let line = &items(&body)[0];
    assert_eq!(int(line, "id"), 794864229);
    assert_eq!(int(line, "quantity"), 1);
    assert_eq!(
        field(line, "properties"),
        &json!({"First name": "Caroline"})
    );

    // Other properties, or none, make another line with another key.
    visitor.add(RED_RAIN_COAT, 1).await;
    visitor
        .post_json(
            "/cart/add.js",
            json!({"items": [{"quantity": 1, "id": 794864229, "properties": {"First name": "Ada"}}]}),
        )
        .await
        .expect(200);
    let cart = visitor.cart().await;
    assert_eq!(
        lines(&cart),
        [(RED_RAIN_COAT, 1), (RED_RAIN_COAT, 1), (RED_RAIN_COAT, 1)]
    );
    let keys: std::collections::HashSet<&str> = items(&cart)
        .iter()
        .map(|l| field(l, "key").as_str().expect("key"))
        .collect();
    assert_eq!(keys.len(), 3);
    // Same properties in another order are the same line.
    visitor
        .post_json(
            "/cart/add.js",
            json!({"items": [{"quantity": 2, "id": 794864229, "properties": {"First name": "Caroline"}}]}),
        )
        .await
        .expect(200);
    assert_eq!(int(&items(&visitor.cart().await)[0], "quantity"), 3);
}

#[tokio::test]
async fn add_js_selling_plan_example() {
    let app = TestApp::new().await;
    let visitor = app.visitor();
    let resp = visitor
        .post_json(
            "/cart/add.js",
            json!({"items": [{"quantity": 1, "id": 794864229, "selling_plan": 183638}]}),
        )
        .await;
    resp.expect(200);
    let text = resp.text();
    for keys in raw_array_item_keys(&text, "items") {
        assert_line_key_order(&keys);
    }
    let body = resp.json();
    let line = &items(&body)[0];
    assert_eq!(int(line, "id"), 794864229);
    let allocation = field(line, "selling_plan_allocation");
    assert_eq!(
        raw_keys(&allocation.to_string()),
        [
            "price_adjustments",
            "price",
            "compare_at_price",
            "per_delivery_price",
            "selling_plan"
        ]
    );
    assert_eq!(int(allocation, "price"), 10320);
    assert_eq!(int(allocation, "compare_at_price"), 12900);
    assert_eq!(int(allocation, "per_delivery_price"), 10320);
    assert_eq!(
        field(allocation, "selling_plan"),
        &json!({
            "id": 183638,
            "name": "Pay every month, delivery every month | save 20%",
            "description": "No commitment · Auto-renews · Skip or cancel anytime",
            "options": [
                {"name": "Delivery Frequency", "position": 1, "value": "Month"},
                {"name": "Billing Frequency", "position": 2, "value": "Month"}
            ],
            "recurring_deliveries": true
        })
    );
    assert_eq!(int(line, "price"), 10320);
    assert_eq!(int(line, "final_line_price"), 10320);

    // The same variant without the plan is a separate line at the full price.
    visitor.add(RED_RAIN_COAT, 1).await;
    let cart = visitor.cart().await;
    assert_eq!(lines(&cart), [(RED_RAIN_COAT, 1), (RED_RAIN_COAT, 1)]);
    assert_eq!(int(&items(&cart)[1], "price"), 12900);
    assert_ne!(
        field(&items(&cart)[0], "key"),
        field(&items(&cart)[1], "key")
    );
    assert_totals_consistent(&cart);
}

#[tokio::test]
async fn add_js_private_properties_are_returned() {
    let app = TestApp::new().await;
    let visitor = app.visitor();
    let resp = visitor
        .post_json(
            "/cart/add.js",
            json!({"items": [{"quantity": 2, "id": 794864229, "properties": {"_foo": "bar"}}]}),
        )
        .await;
    resp.expect(200);
    assert_eq!(
        field(&items(&resp.json())[0], "properties"),
        &json!({"_foo": "bar"})
    );
    let resp = visitor
        .post_json(
            "/cart/add.js",
            json!({"items": [{"quantity": 2, "id": 794864229, "properties": {"_foo": "bar", "gift_wrap": true}}]}),
        )
        .await;
    resp.expect(200);
    assert_eq!(
        field(&items(&resp.json())[0], "properties"),
        &json!({"_foo": "bar", "gift_wrap": true})
    );
    let cart = visitor.cart().await;
    assert_eq!(
        field(&items(&cart)[0], "properties"),
        &json!({"_foo": "bar"})
    );
    assert_eq!(
        field(&items(&cart)[1], "properties"),
        &json!({"_foo": "bar", "gift_wrap": true})
    );
}

#[tokio::test]
async fn add_js_more_than_the_stock_adds_the_maximum_and_answers_422() {
    let app = TestApp::new().await;
    let visitor = app.visitor();
    let resp = visitor
        .post_json(
            "/cart/add.js",
            json!({"items": [{"id": LIMITED_PRINT, "quantity": 20}]}),
        )
        .await;
    assert_cart_error(
        &resp,
        422,
        "You can't add more Limited Edition Print to the cart.",
    );
    assert_eq!(lines(&visitor.cart().await), [(LIMITED_PRINT, 10)]);
    // All the stock is in the cart: the same message, nothing more added.
    let resp = visitor
        .post_json("/cart/add.js", json!({"id": LIMITED_PRINT, "quantity": 1}))
        .await;
    assert_cart_error(
        &resp,
        422,
        "You can't add more Limited Edition Print to the cart.",
    );
    assert_eq!(lines(&visitor.cart().await), [(LIMITED_PRINT, 10)]);
}

#[tokio::test]
async fn add_js_sold_out_and_unknown_variant() {
    let app = TestApp::new().await;
    let visitor = app.visitor();
    visitor.add(HAT, 1).await;
    let before = visitor.cart().await;
    let resp = visitor
        .post_json(
            "/cart/add.js",
            json!({"items": [{"id": SOLD_OUT_SCARF, "quantity": 1}]}),
        )
        .await;
    assert_cart_error(
        &resp,
        422,
        "The product 'Sold Out Scarf' is already sold out.",
    );
    let resp = visitor
        .post_json("/cart/add.js", json!({"id": 123456789, "quantity": 1}))
        .await;
    assert_cart_error(&resp, 404, "Cannot find variant");
    // One unknown variant among good ones: nothing is added.
    let resp = visitor
        .post_json(
            "/cart/add.js",
            json!({"items": [{"id": BOOTS, "quantity": 1}, {"id": 123456789, "quantity": 1}]}),
        )
        .await;
    assert_cart_error(&resp, 404, "Cannot find variant");
    assert_eq!(visitor.cart().await, before);
}

// --- POST /cart/update.js --------------------------------------------------------------------

#[tokio::test]
async fn update_js_document_examples() {
    let app = TestApp::new().await;
    let visitor = app.visitor();
    // JSON: variants not in the cart are added.
    let updates = json!({"794864053": 2, "794864233": 3});
    let resp = visitor
        .post_json("/cart/update.js", json!({ "updates": updates }))
        .await;
    resp.expect(200);
    assert_cart_key_order(&resp.text());
    let cart = resp.json();
    assert_eq!(lines(&cart), [(HAT, 2), (BOOTS, 3)]);
    assert_totals_consistent(&cart);
    assert_eq!(int(&cart, "total_price"), 2 * 3800 + 3 * 8900);

    // Removal with 0.
    let resp = visitor
        .post_json(
            "/cart/update.js",
            json!({"updates": {"794864053": 0, "794864233": 0}}),
        )
        .await;
    resp.expect(200);
    assert!(items(&resp.json()).is_empty());

    // FormData gives the same result.
    let resp = visitor
        .post_multipart(
            "/cart/update.js",
            &[("updates[794864053]", "2"), ("updates[794864233]", "3")],
        )
        .await;
    resp.expect(200);
    assert_eq!(lines(&resp.json()), [(HAT, 2), (BOOTS, 3)]);

    // And by line key (a string), the recommended way.
    let key = field(&items(&resp.json())[1], "key")
        .as_str()
        .expect("key")
        .to_string();
    let resp = visitor
        .post_json("/cart/update.js", json!({"updates": {key: 5}}))
        .await;
    resp.expect(200);
    assert_eq!(lines(&resp.json()), [(HAT, 2), (BOOTS, 5)]);
}

#[tokio::test]
async fn update_js_array_of_quantities() {
    let app = TestApp::new().await;
    let visitor = app.visitor();
    visitor.add(HAT, 1).await;
    visitor.add(BOOTS, 2).await;
    visitor.add(HEALTH_POTION, 3).await;
    let resp = visitor
        .post_json("/cart/update.js", json!({ "updates": [3, 2, 1] }))
        .await;
    resp.expect(200);
    assert_eq!(
        lines(&resp.json()),
        [(HAT, 3), (BOOTS, 2), (HEALTH_POTION, 1)]
    );
    // The size must match the number of lines; otherwise nothing changes.
    let resp = visitor
        .post_json("/cart/update.js", json!({ "updates": [1, 1] }))
        .await;
    assert_bad_request(&resp);
    assert_eq!(
        lines(&visitor.cart().await),
        [(HAT, 3), (BOOTS, 2), (HEALTH_POTION, 1)]
    );
}

#[tokio::test]
async fn update_js_first_matching_line_and_no_stock_check() {
    let app = TestApp::new().await;
    let visitor = app.visitor();
    visitor
        .post_json(
            "/cart/add.js",
            json!({"items": [
                {"id": LIMITED_PRINT, "quantity": 2, "properties": {"Frame": "Oak"}},
                {"id": LIMITED_PRINT, "quantity": 3}
            ]}),
        )
        .await
        .expect(200);
    // The variant id matches two lines: the first is updated, with no stock validation.
    let resp = visitor
        .post_json(
            "/cart/update.js",
            json!({"updates": {LIMITED_PRINT.to_string(): 25}}),
        )
        .await;
    resp.expect(200);
    assert_eq!(
        lines(&resp.json()),
        [(LIMITED_PRINT, 25), (LIMITED_PRINT, 3)]
    );
}

#[tokio::test]
async fn update_js_unknown_variant_is_404_and_changes_nothing() {
    let app = TestApp::new().await;
    let visitor = app.visitor();
    visitor.add(HAT, 1).await;
    let before = visitor.cart().await;
    let resp = visitor
        .post_json(
            "/cart/update.js",
            json!({"updates": {"794864053": 4, "123456789": 1}, "note": "lost"}),
        )
        .await;
    assert_cart_error(&resp, 404, "Cannot find variant");
    assert_eq!(visitor.cart().await, before);
}

#[tokio::test]
async fn update_js_new_line_over_stock_is_clamped_with_422_and_errors() {
    let app = TestApp::new().await;
    let visitor = app.visitor();
    let resp = visitor
        .post_json(
            "/cart/update.js",
            json!({"updates": {LIMITED_PRINT.to_string(): 12}}),
        )
        .await;
    assert_cart_error(
        &resp,
        422,
        "You can't add more Limited Edition Print to the cart.",
    );
    assert_eq!(
        field(&resp.json(), "errors"),
        "You can't add more Limited Edition Print to the cart."
    );
    assert_eq!(lines(&visitor.cart().await), [(LIMITED_PRINT, 10)]);
}

#[tokio::test]
async fn update_js_note_and_attributes_examples() {
    let app = TestApp::new().await;
    let visitor = app.visitor();
    let resp = visitor
        .post_json(
            "/cart/update.js",
            json!({"note": "This is a note about my order"}),
        )
        .await;
    resp.expect(200);
    assert_eq!(field(&resp.json(), "note"), "This is a note about my order");
    let resp = visitor
        .post_json(
            "/cart/update.js",
            json!({"attributes": {"Gift wrap": "Yes"}}),
        )
        .await;
    resp.expect(200);
    assert_eq!(
        field(&resp.json(), "attributes"),
        &json!({"Gift wrap": "Yes"})
    );

    let other = app.visitor();
    let resp = other
        .post_multipart("/cart/update.js", &[("attributes[Gift wrap]", "Yes")])
        .await;
    resp.expect(200);
    assert_eq!(
        field(&resp.json(), "attributes"),
        &json!({"Gift wrap": "Yes"})
    );
    // The note survives an attributes update, and vice versa.
    assert_eq!(
        field(&visitor.cart().await, "note"),
        "This is a note about my order"
    );
}

#[tokio::test]
async fn private_attributes_are_stored_but_never_shown() {
    let app = TestApp::new().await;
    let visitor = app.visitor();
    let resp = visitor
        .post_json(
            "/cart/update.js",
            json!({"attributes": {"Gift wrap": "Yes", "tracking__": "campaign-7"}}),
        )
        .await;
    resp.expect(200);
    assert_eq!(
        field(&resp.json(), "attributes"),
        &json!({"Gift wrap": "Yes"})
    );
    assert!(!resp.text().contains("campaign-7"));
    let cart = visitor.cart().await;
    assert_eq!(field(&cart, "attributes"), &json!({"Gift wrap": "Yes"}));
    let token = field(&cart, "token").as_str().expect("token");
    let stored = app
        .state
        .store()
        .cart(token)
        .await
        .expect("store")
        .expect("cart row");
    assert_eq!(
        stored.attributes.get("tracking__").map(String::as_str),
        Some("campaign-7")
    );
}

#[tokio::test]
async fn update_js_discount_codes() {
    let app = TestApp::new().await;
    let visitor = app.visitor();
    visitor.add(HAT, 2).await; // 7600
    visitor.add(BOOTS, 3).await; // 26700
    let resp = visitor
        .post_json("/cart/update.js", json!({"discount": "WELCOME10"}))
        .await;
    resp.expect(200);
    assert_cart_key_order(&resp.text());
    let cart = resp.json();
    assert_totals_consistent(&cart);
    assert_eq!(int(&cart, "original_total_price"), 34300);
    assert_eq!(int(&cart, "total_discount"), 3430);
    assert_eq!(int(&cart, "total_price"), 30870);
    let applications = field(&cart, "cart_level_discount_applications");
    assert_eq!(applications.as_array().map(Vec::len), Some(1));
    let application = &applications[0];
    assert_eq!(field(application, "type"), "discount_code");
    assert_eq!(field(application, "title"), "WELCOME10");
    assert_eq!(field(application, "value_type"), "percentage");
    assert_eq!(int(application, "total_allocated_amount"), 3430);
    assert_eq!(
        field(&cart, "discount_codes"),
        &json!([{"code": "WELCOME10", "applicable": true}])
    );

    // Several codes, comma separated; an unknown code is kept and listed as not applicable.
    let resp = visitor
        .post_json(
            "/cart/update.js",
            json!({"discount": "WELCOME10,FIVEOFF,NOSUCHCODE"}),
        )
        .await;
    resp.expect(200);
    let cart = resp.json();
    assert_totals_consistent(&cart);
    assert_eq!(int(&cart, "total_price"), 30870 - 500);
    assert_eq!(int(&cart, "total_discount"), 3430 + 500);
    assert_eq!(
        field(&cart, "discount_codes"),
        &json!([
            {"code": "WELCOME10", "applicable": true},
            {"code": "FIVEOFF", "applicable": true},
            {"code": "NOSUCHCODE", "applicable": false}
        ])
    );

    // The empty string removes every code.
    let resp = visitor
        .post_json("/cart/update.js", json!({"discount": ""}))
        .await;
    resp.expect(200);
    let cart = resp.json();
    assert_eq!(int(&cart, "total_price"), 34300);
    assert_eq!(field(&cart, "cart_level_discount_applications"), &json!([]));
    assert_eq!(field(&cart, "discount_codes"), &json!([]));
}

#[tokio::test]
async fn gift_cards_are_never_discounted() {
    let app = TestApp::new().await;
    let visitor = app.visitor();
    visitor.add(GIFT_CARD, 1).await;
    visitor.add(HAT, 1).await;
    let resp = visitor
        .post_json("/cart/update.js", json!({"discount": "FIVEOFF"}))
        .await;
    resp.expect(200);
    let cart = resp.json();
    assert_totals_consistent(&cart);
    assert_eq!(int(&cart, "total_price"), 2500 + 3800 - 500);
}

// --- POST /cart/change.js --------------------------------------------------------------------

/// A cart with the hat on line 1 and the red rain coat on line 2.
async fn hat_and_coat(app: &TestApp) -> Visitor {
    let visitor = app.visitor();
    visitor.add(HAT, 1).await;
    visitor.add(RED_RAIN_COAT, 1).await;
    visitor
}

#[tokio::test]
async fn change_js_by_variant_id_int_and_string() {
    let app = TestApp::new().await;
    let visitor = hat_and_coat(&app).await;
    let resp = visitor
        .post_json("/cart/change.js", json!({"id": 794864053, "quantity": 3}))
        .await;
    resp.expect(200);
    assert_cart_key_order(&resp.text());
    assert_eq!(lines(&resp.json()), [(HAT, 3), (RED_RAIN_COAT, 1)]);
    let resp = visitor
        .post_json("/cart/change.js", json!({"id": "794864053", "quantity": 2}))
        .await;
    resp.expect(200);
    assert_eq!(lines(&resp.json()), [(HAT, 2), (RED_RAIN_COAT, 1)]);
}

#[tokio::test]
async fn change_js_by_line_key() {
    let app = TestApp::new().await;
    let visitor = hat_and_coat(&app).await;
    let cart = visitor.cart().await;
    let key = field(&items(&cart)[0], "key").as_str().expect("key");
    let resp = visitor
        .post_json("/cart/change.js", json!({"id": key, "quantity": 3}))
        .await;
    resp.expect(200);
    assert_eq!(lines(&resp.json()), [(HAT, 3), (RED_RAIN_COAT, 1)]);
    // The quantity is not part of the key.
    assert_eq!(field(&items(&resp.json())[0], "key"), key);
    // The document's own key is not in this cart: the documented 400.
    let resp = visitor
        .post_json(
            "/cart/change.js",
            json!({"id": "794864053:83503fd282b94a4737d2c95bd95db0b8", "quantity": 3}),
        )
        .await;
    assert_change_400(&resp);
}

#[tokio::test]
async fn change_js_by_line_and_removal() {
    let app = TestApp::new().await;
    let visitor = hat_and_coat(&app).await;
    let resp = visitor
        .post_json("/cart/change.js", json!({"line": 1, "quantity": 3}))
        .await;
    resp.expect(200);
    assert_eq!(lines(&resp.json()), [(HAT, 3), (RED_RAIN_COAT, 1)]);
    let resp = visitor
        .post_json("/cart/change.js", json!({"line": 2, "quantity": 1}))
        .await;
    resp.expect(200);
    assert_eq!(lines(&resp.json()), [(HAT, 3), (RED_RAIN_COAT, 1)]);
    let resp = visitor
        .post_json("/cart/change.js", json!({"line": 2, "quantity": 0}))
        .await;
    resp.expect(200);
    assert_eq!(lines(&resp.json()), [(HAT, 3)]);
    assert_totals_consistent(&resp.json());
}

#[tokio::test]
async fn change_js_properties_replace_the_whole_object() {
    let app = TestApp::new().await;
    let visitor = app.visitor();
    visitor.add(HAT, 1).await;
    visitor
        .post_json(
            "/cart/add.js",
            json!({"items": [{"id": RED_RAIN_COAT, "quantity": 1, "properties": {"First name": "Caroline"}}]}),
        )
        .await
        .expect(200);
    let old_key = field(&items(&visitor.cart().await)[1], "key").clone();
    let resp = visitor
        .post_json(
            "/cart/change.js",
            json!({"line": 2, "properties": {"gift_wrap": true}}),
        )
        .await;
    resp.expect(200);
    let body = resp.json();
    let line = &items(&body)[1];
    assert_eq!(field(line, "properties"), &json!({"gift_wrap": true}));
    assert_eq!(int(line, "quantity"), 1);
    assert_ne!(
        field(line, "key"),
        &old_key,
        "the key follows the properties"
    );
    assert_line_key(field(line, "key").as_str().expect("key"), RED_RAIN_COAT);
    // An empty object cannot clear properties once set.
    let resp = visitor
        .post_json("/cart/change.js", json!({"line": 2, "properties": {}}))
        .await;
    resp.expect(200);
    assert_eq!(
        field(&items(&resp.json())[1], "properties"),
        &json!({"gift_wrap": true})
    );
}

#[tokio::test]
async fn change_js_selling_plan_set_and_removed() {
    let app = TestApp::new().await;
    let visitor = hat_and_coat(&app).await;
    let plain_key = field(&items(&visitor.cart().await)[1], "key").clone();
    let resp = visitor
        .post_json(
            "/cart/change.js",
            json!({"line": 2, "quantity": 2, "selling_plan": 183638}),
        )
        .await;
    resp.expect(200);
    let cart = resp.json();
    let line = &items(&cart)[1];
    assert_eq!(int(line, "quantity"), 2);
    assert_eq!(int(line, "price"), 10320);
    assert_eq!(
        int(
            field(field(line, "selling_plan_allocation"), "selling_plan"),
            "id"
        ),
        183638
    );
    assert_ne!(field(line, "key"), &plain_key);
    assert_totals_consistent(&cart);

    let resp = visitor
        .post_json(
            "/cart/change.js",
            json!({"line": 2, "quantity": 2, "selling_plan": null}),
        )
        .await;
    resp.expect(200);
    let body = resp.json();
    let line = &items(&body)[1];
    assert!(line.get("selling_plan_allocation").is_none(), "{line}");
    assert_eq!(int(line, "price"), 12900);
    assert_eq!(field(line, "key"), &plain_key);

    // "" removes too; without a quantity the quantity is 1.
    visitor
        .post_json(
            "/cart/change.js",
            json!({"line": 2, "quantity": 2, "selling_plan": 183638}),
        )
        .await
        .expect(200);
    let resp = visitor
        .post_json("/cart/change.js", json!({"line": 2, "selling_plan": ""}))
        .await;
    resp.expect(200);
    let body = resp.json();
    let line = &items(&body)[1];
    assert!(line.get("selling_plan_allocation").is_none());
    assert_eq!(int(line, "quantity"), 1);
}

#[tokio::test]
async fn change_js_selling_plan_of_another_product_is_refused() {
    let app = TestApp::new().await;
    let visitor = hat_and_coat(&app).await;
    let before = visitor.cart().await;
    let resp = visitor
        .post_json(
            "/cart/change.js",
            json!({"line": 1, "quantity": 2, "selling_plan": 183638}),
        )
        .await;
    resp.expect(422);
    assert_eq!(field(&resp.json(), "message"), "Cart Error");
    assert_eq!(visitor.cart().await, before);
}

#[track_caller]
fn assert_change_400(resp: &Resp) {
    resp.expect(400);
    assert_eq!(
        resp.json(),
        json!({
            "status": "bad_request",
            "message": "no valid id or line parameter",
            "description": "no valid id or line parameter"
        })
    );
}

#[tokio::test]
async fn change_js_line_not_in_the_cart_is_the_documented_400() {
    let app = TestApp::new().await;
    let visitor = hat_and_coat(&app).await;
    let before = visitor.cart().await;
    for body in [
        json!({"id": BOOTS, "quantity": 1}),
        json!({"id": "794864233", "quantity": 1}),
        json!({"line": 3, "quantity": 1}),
        json!({"line": 0, "quantity": 1}),
        json!({"quantity": 1}),
        json!({}),
    ] {
        let resp = visitor.post_json("/cart/change.js", body.clone()).await;
        assert_change_400(&resp);
    }
    // The change endpoint never adds a line.
    assert_eq!(visitor.cart().await, before);
}

#[tokio::test]
async fn change_js_over_stock_is_clamped_with_422_and_errors() {
    let app = TestApp::new().await;
    let visitor = app.visitor();
    visitor.add(LIMITED_PRINT, 4).await;
    let resp = visitor
        .post_json("/cart/change.js", json!({"line": 1, "quantity": 15}))
        .await;
    assert_cart_error(
        &resp,
        422,
        "You can't add more Limited Edition Print to the cart.",
    );
    assert_eq!(
        field(&resp.json(), "errors"),
        "You can't add more Limited Edition Print to the cart."
    );
    assert_eq!(lines(&visitor.cart().await), [(LIMITED_PRINT, 10)]);
}

// --- POST /cart/clear.js ---------------------------------------------------------------------

#[tokio::test]
async fn clear_js_keeps_note_and_attributes() {
    let app = TestApp::new().await;
    let visitor = hat_and_coat(&app).await;
    visitor
        .post_json(
            "/cart/update.js",
            json!({"note": "Hello!", "attributes": {"Gift wrap": "Yes"}}),
        )
        .await
        .expect(200);
    let token = field(&visitor.cart().await, "token").clone();
    let resp = visitor.post_json("/cart/clear.js", json!({})).await;
    resp.expect(200);
    assert_cart_key_order(&resp.text());
    let cart = resp.json();
    assert_eq!(field(&cart, "token"), &token);
    assert_eq!(field(&cart, "note"), "Hello!");
    assert_eq!(field(&cart, "attributes"), &json!({"Gift wrap": "Yes"}));
    for name in [
        "total_price",
        "total_weight",
        "item_count",
        "total_discount",
    ] {
        assert_eq!(int(&cart, name), 0, "{name}");
    }
    assert_eq!(field(&cart, "items"), &json!([]));
    assert_eq!(field(&cart, "requires_shipping"), false);
    assert_eq!(visitor.cart().await, cart);
}

// --- Shipping rates --------------------------------------------------------------------------

#[tokio::test]
async fn shipping_rates_document_examples() {
    let app = TestApp::new().await;
    let visitor = app.visitor();
    visitor.add(HAT, 1).await;
    let poll = format!("/cart/async_shipping_rates.json?{ADDRESS_QUERY}");
    // Not prepared yet: null.
    let resp = visitor.get(&poll).await;
    resp.expect(200);
    assert_eq!(resp.text().trim(), "null");

    let resp = visitor
        .request(
            http::Method::POST,
            &format!("/cart/prepare_shipping_rates.json?{ADDRESS_QUERY}"),
            &[],
            axum::body::Body::empty(),
        )
        .await;
    resp.expect(200);
    assert_eq!(resp.text().trim(), "null");

    let resp = visitor.get(&poll).await;
    resp.expect(200);
    assert_rates(&resp.json());

    let resp = visitor
        .get(&format!("/cart/shipping_rates.json?{ADDRESS_QUERY}"))
        .await;
    resp.expect(200);
    assert_rates(&resp.json());

    // Rates prepared for one address are not ready for another.
    let quebec = "shipping_address%5Bzip%5D=H2X+1Y4&shipping_address%5Bcountry%5D=Canada&shipping_address%5Bprovince%5D=Quebec";
    let resp = visitor
        .get(&format!("/cart/async_shipping_rates.json?{quebec}"))
        .await;
    resp.expect(200);
    assert_eq!(resp.text().trim(), "null");

    // Another visitor's preparation is not this one's.
    let other = app.visitor();
    other.add(HAT, 1).await;
    let resp = other.get(&poll).await;
    assert_eq!(resp.text().trim(), "null");
}

#[track_caller]
fn assert_rates(body: &Value) {
    let rates = field(body, "shipping_rates").as_array().expect("rates");
    let summary: Vec<(&str, &str)> = rates
        .iter()
        .map(|r| {
            (
                field(r, "name").as_str().expect("name"),
                field(r, "price").as_str().expect("price"),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("Ground Shipping", "8.00"),
            ("Expedited Shipping", "15.00"),
            ("Express Shipping", "30.00")
        ]
    );
    for rate in rates {
        assert_eq!(field(rate, "source"), "shopify");
        assert_eq!(field(rate, "delivery_date"), &Value::Null);
        assert_eq!(field(rate, "presentment_name"), field(rate, "name"));
    }
}

#[tokio::test]
async fn shipping_rates_invalid_address_is_422_with_field_errors() {
    let app = TestApp::new().await;
    let visitor = app.visitor();
    let cases = [
        (
            "shipping_address%5Bzip%5D=90210&shipping_address%5Bcountry%5D=Canada&shipping_address%5Bprovince%5D=Ontario",
            json!({"zip": ["is not valid for Canada"]}),
        ),
        (
            "shipping_address%5Bzip%5D=K1N+5T2&shipping_address%5Bcountry%5D=Canada&shipping_address%5Bprovince%5D=Narnia",
            json!({"province": ["is not valid for Canada"]}),
        ),
        (
            "shipping_address%5Bzip%5D=K1N+5T2&shipping_address%5Bcountry%5D=Atlantis",
            json!({"country": ["is not supported"]}),
        ),
        ("", json!({"country": ["can't be blank"]})),
    ];
    for (query, errors) in cases {
        for (method, path) in [
            (http::Method::POST, "/cart/prepare_shipping_rates.json"),
            (http::Method::GET, "/cart/async_shipping_rates.json"),
            (http::Method::GET, "/cart/shipping_rates.json"),
        ] {
            let resp = visitor
                .request(
                    method,
                    &format!("{path}?{query}"),
                    &[],
                    axum::body::Body::empty(),
                )
                .await;
            resp.expect(422);
            assert_eq!(resp.json(), errors, "{path}?{query}");
        }
    }
}

// --- Bundled sections: parameter validation only ----------------------------------------------

#[tokio::test]
async fn bundled_sections_are_null_until_the_renderer_lands() {
    let app = TestApp::new().await;
    let visitor = app.visitor();
    let resp = visitor
        .post_json(
            "/cart/add.js",
            json!({
                "items": [{"id": 36110175633573_i64, "quantity": 2}],
                "sections": "cart-items,cart-icon-bubble,cart-live-region-text,cart-footer",
                "sections_url": "/cart?some_param=foo"
            }),
        )
        .await;
    resp.expect(200);
    let body = resp.json();
    assert_eq!(items(&body).len(), 1);
    assert_eq!(
        field(&body, "sections"),
        &json!({
            "cart-items": null,
            "cart-icon-bubble": null,
            "cart-live-region-text": null,
            "cart-footer": null
        })
    );
    // An array works like a comma list, on the cart endpoints too.
    let resp = visitor
        .post_json(
            "/cart/change.js",
            json!({"line": 1, "quantity": 1, "sections": ["cart-items", "cart-footer"]}),
        )
        .await;
    resp.expect(200);
    assert_eq!(
        field(&resp.json(), "sections"),
        &json!({"cart-items": null, "cart-footer": null})
    );
}

/// A request is checked whole before the cart is touched: one that answers 400 for its
/// sections leaves the cart exactly as it was, so a client that retries on 400 adds nothing
/// twice.
#[tokio::test]
async fn invalid_sections_answer_400_and_change_nothing() {
    let app = TestApp::new().await;
    let visitor = app.visitor();
    let resp = visitor
        .post_json("/cart/add.js", json!({"id": HAT, "quantity": 2}))
        .await;
    assert_eq!(resp.status, axum::http::StatusCode::OK);
    let before = visitor.cart().await;
    let cases = [
        json!({"sections": "a,b,c,d,e,f"}),
        json!({"sections": ["a", "b", "c", "d", "e", "f"]}),
        json!({"sections": "cart-items", "sections_url": "cart"}),
        json!({"sections": "cart-items", "sections_url": "//evil.example/cart"}),
        json!({"sections": "cart-items", "sections_url": "https://evil.example/"}),
        json!({"sections": 7}),
    ];
    for extra in cases {
        let mut body = json!({"id": HAT, "quantity": 1});
        for (k, v) in obj(extra.clone()) {
            body[k] = v;
        }
        let resp = visitor.post_json("/cart/add.js", body).await;
        assert_bad_request(&resp);
        assert_eq!(visitor.cart().await, before, "after {extra}");
    }
    // update, change and clear too.
    let mut body = json!({"updates": {HAT.to_string(): 9}});
    body["sections_url"] = json!("nope");
    assert_bad_request(&visitor.post_json("/cart/update.js", body).await);
    assert_eq!(visitor.cart().await, before);
    let resp = visitor
        .post_json(
            "/cart/change.js",
            json!({"line": 1, "quantity": 4, "sections": "a,b,c,d,e,f"}),
        )
        .await;
    assert_bad_request(&resp);
    assert_eq!(visitor.cart().await, before);
    let resp = visitor
        .post_json(
            "/cart/change.js",
            json!({"line": 1, "quantity": 4, "sections": "cart-items", "sections_url": "http://evil.example/"}),
        )
        .await;
    assert_bad_request(&resp);
    assert_eq!(visitor.cart().await, before);
    let resp = visitor
        .post_json("/cart/clear.js", json!({"sections_url": "//evil"}))
        .await;
    assert_bad_request(&resp);
    assert_eq!(visitor.cart().await, before);
    assert_eq!(lines(&before), [(HAT, 2)]);
}

// --- Product API ------------------------------------------------------------------------------

const PRODUCT_KEYS: [&str; 23] = [
    "id",
    "title",
    "handle",
    "description",
    "published_at",
    "created_at",
    "vendor",
    "type",
    "tags",
    "price",
    "price_min",
    "price_max",
    "available",
    "price_varies",
    "compare_at_price",
    "compare_at_price_min",
    "compare_at_price_max",
    "compare_at_price_varies",
    "variants",
    "images",
    "featured_image",
    "options",
    "url",
];

const VARIANT_KEYS: [&str; 18] = [
    "id",
    "title",
    "options",
    "option1",
    "option2",
    "option3",
    "price",
    "weight",
    "compare_at_price",
    "inventory_management",
    "available",
    "sku",
    "requires_shipping",
    "taxable",
    "barcode",
    "featured_image",
    "name",
    "public_title",
];

#[track_caller]
fn assert_product_shape(text: &str) {
    let keys = raw_keys(text);
    let documented: Vec<&str> = keys
        .iter()
        .map(String::as_str)
        .filter(|k| PRODUCT_KEYS.contains(k))
        .collect();
    assert_eq!(documented, PRODUCT_KEYS, "product keys, in order");
    for variant in raw_array_item_keys(text, "variants") {
        for key in VARIANT_KEYS {
            assert!(variant.iter().any(|k| k == key), "variant lacks {key}");
        }
    }
}

#[tokio::test]
async fn product_js_has_shopify_product_shape() {
    let app = TestApp::new().await;
    let visitor = app.visitor();
    let resp = visitor.get("/products/red-rain-coat.js").await;
    resp.expect(200);
    assert_product_shape(&resp.text());
    let product = resp.json();
    assert_eq!(field(&product, "handle"), "red-rain-coat");
    assert_eq!(field(&product, "type"), "Coat");
    assert_eq!(field(&product, "available"), true);
    assert_eq!(field(&product, "url"), "/products/red-rain-coat");
    let variants = field(&product, "variants").as_array().expect("variants");
    assert_eq!(int(&variants[0], "id"), RED_RAIN_COAT);
    assert_eq!(field(&variants[0], "available"), true);
    assert_eq!(field(&variants[0], "option1"), "Red");
    assert_eq!(field(&variants[0], "name"), "Red Rain Coat - Red");

    let resp = visitor.get("/products/sold-out-scarf.js").await;
    resp.expect(200);
    let scarf = resp.json();
    assert_eq!(field(&scarf, "available"), false);
    assert_eq!(field(&field(&scarf, "variants")[0], "available"), false);
    assert_eq!(
        field(&field(&scarf, "variants")[0], "public_title"),
        &Value::Null
    );

    // `.json` wraps the same document in `{product: ...}`.
    let resp = visitor.get("/products/red-rain-coat.json").await;
    resp.expect(200);
    assert_eq!(raw_keys(&resp.text()), ["product"]);
    assert_eq!(field(&resp.json(), "product"), &product);

    let resp = visitor.get("/products/no-such-product.js").await;
    resp.expect(404);
    assert_eq!(int(&resp.json(), "status"), 404);
}

#[tokio::test]
async fn products_json_lists_every_product() {
    let app = TestApp::new().await;
    let visitor = app.visitor();
    let resp = visitor.get("/products.json").await;
    resp.expect(200);
    let text = resp.text();
    assert_eq!(raw_keys(&text), ["products"]);
    let body = resp.json();
    let products = field(&body, "products").as_array().expect("products");
    assert_eq!(products.len(), app.state.catalog().products.len());
    for product in products {
        assert_product_shape(&product.to_string());
        for variant in field(product, "variants").as_array().expect("variants") {
            assert!(field(variant, "available").is_boolean());
        }
    }
    let limited = visitor.get("/products.json?limit=2&page=2").await;
    limited.expect(200);
    let limited = limited.json();
    let page = field(&limited, "products").as_array().expect("products");
    assert_eq!(page.len(), 2);
    assert_eq!(page[0], products[2]);
}
