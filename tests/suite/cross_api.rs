//! One cart, three APIs: what one dialect changes, the others see, and the version moves on
//! whichever API made the change. (Section rendering across APIs is tested elsewhere.)

use crate::platform_common::*;
use http::StatusCode;
use serde_json::json;

#[tokio::test]
async fn elastic_path_adds_to_the_shopify_session_cart() {
    let app = app().await;
    let mut visitor = app.visitor();
    let first = visitor.json("GET", "/cart.js", None).await;
    assert_eq!(first.status, StatusCode::OK);
    let cart_token = first.body["token"].as_str().expect("token").to_string();
    assert!(!cart_token.is_empty());

    let token = app.ep_token().await;
    let added = app
        .ep(
            &token,
            "POST",
            &format!("/v2/carts/{cart_token}/items"),
            Some(json!({"data": {"type": "cart_item", "id": COAT_RED_UUID, "quantity": 2}})),
        )
        .await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.text);

    let cart = visitor.json("GET", "/cart.js", None).await;
    assert_eq!(cart.body["token"], cart_token.as_str());
    assert_eq!(cart.body["item_count"], 2);
    assert_eq!(cart.body["items"][0]["variant_id"], COAT_RED);
    assert_eq!(cart.body["total_price"], 25800);
}

#[tokio::test]
async fn bigcommerce_storefront_cart_is_the_session_cart() {
    let app = app().await;
    let mut visitor = app.visitor();
    let cart = visitor
        .create_bc_cart(json!([{"productId": GRANOLA_PRODUCT, "quantity": 3}]))
        .await;
    let shopify = visitor.json("GET", "/cart.js", None).await;
    assert_eq!(shopify.body["token"], cart["id"]);
    assert_eq!(shopify.body["items"][0]["variant_id"], GRANOLA);
    assert_eq!(shopify.body["items"][0]["quantity"], 3);

    // A second POST /carts starts a new cart, and that one becomes the session's.
    let second = visitor
        .create_bc_cart(json!([{"productId": COAT_PRODUCT, "variantId": COAT_RED, "quantity": 1}]))
        .await;
    assert_ne!(second["id"], cart["id"]);
    let shopify = visitor.json("GET", "/cart.js", None).await;
    assert_eq!(shopify.body["token"], second["id"]);
    assert_eq!(shopify.body["items"][0]["variant_id"], COAT_RED);
}

#[tokio::test]
async fn shopify_additions_show_in_bigcommerce_management() {
    let app = app().await;
    let mut visitor = app.visitor();
    let added = visitor
        .json(
            "POST",
            "/cart/add.js",
            Some(json!({"items": [{"id": COAT_RED, "quantity": 1}, {"id": GIFT_CARD, "quantity": 2}]})),
        )
        .await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.text);
    let token = visitor.json("GET", "/cart.js", None).await.body["token"]
        .as_str()
        .expect("token")
        .to_string();

    let admin = app.admin("GET", &format!("/carts/{token}"), None).await;
    assert_eq!(admin.status, StatusCode::OK, "{}", admin.text);
    let data = &admin.body["data"];
    assert_eq!(data["id"], token.as_str());
    assert_eq!(
        data["line_items"]["physical_items"][0]["variant_id"],
        COAT_RED
    );
    assert_eq!(
        data["line_items"]["digital_items"][0]["variant_id"],
        GIFT_CARD
    );
    assert_eq!(data["line_items"]["digital_items"][0]["quantity"], 2);
    assert_eq!(data["base_amount"], 179);
    assert_eq!(data["version"], 1);
}

#[tokio::test]
async fn the_version_moves_whichever_api_changes_the_cart() {
    let app = app().await;
    let mut visitor = app.visitor();
    let cart = visitor
        .create_bc_cart(json!([{"productId": GRANOLA_PRODUCT, "quantity": 1}]))
        .await;
    let id = cart["id"].as_str().expect("id").to_string();
    assert_eq!(cart["version"], 1);

    // Shopify changes it: version 2.
    let change = visitor
        .json(
            "POST",
            "/cart/change.js",
            Some(json!({"line": 1, "quantity": 2})),
        )
        .await;
    assert_eq!(change.status, StatusCode::OK, "{}", change.text);

    // A BigCommerce write that still believes in version 1 is refused.
    let stale = visitor
        .json(
            "POST",
            &format!("/api/storefront/carts/{id}/items"),
            Some(json!({"lineItems": [{"productId": COAT_PRODUCT, "variantId": COAT_RED, "quantity": 1}], "version": 1})),
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);

    // Elastic Path sees version 2, and writes version 3 with it.
    let token = app.ep_token().await;
    let items = app
        .ep(&token, "GET", &format!("/v2/carts/{id}/items"), None)
        .await;
    assert_eq!(items.body["meta"]["version"], 2);
    assert_eq!(items.body["data"][0]["quantity"], 2);
    let ep_write = app
        .ep(
            &token,
            "POST",
            &format!("/v2/carts/{id}/items"),
            Some(json!({"data": {"type": "cart_item", "sku": "RRC-RED", "quantity": 1, "version": 2}})),
        )
        .await;
    assert_eq!(ep_write.status, StatusCode::CREATED, "{}", ep_write.text);
    assert_eq!(ep_write.body["meta"]["version"], 3);

    let admin = app.admin("GET", &format!("/carts/{id}"), None).await;
    assert_eq!(admin.body["data"]["version"], 3);
    assert_eq!(
        admin.body["data"]["line_items"]["physical_items"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
}

#[tokio::test]
async fn management_custom_items_and_gift_certificates_show_everywhere() {
    let app = app().await;
    let created = app
        .admin(
            "POST",
            "/carts",
            Some(json!({
                "custom_items": [{"sku": "abc-123", "name": "Custom Product", "quantity": 1, "list_price": 10}],
                "gift_certificates": [{"name": "Thanks", "theme": "general.html", "amount": 25, "quantity": 1,
                    "sender": {"name": "A", "email": "a@example.com"}, "recipient": {"name": "B", "email": "b@example.com"}}]
            })),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let id = created.body["data"]["id"].as_str().expect("id").to_string();
    let token = app.ep_token().await;
    let items = app
        .ep(&token, "GET", &format!("/v2/carts/{id}/items"), None)
        .await;
    let data = items.body["data"].as_array().expect("data");
    assert_eq!(data.len(), 2);
    assert_eq!(data[0]["type"], "custom_item");
    assert_eq!(data[0]["sku"], "abc-123");
    assert_eq!(data[0]["unit_price"]["amount"], 1000);
    assert_eq!(data[1]["name"], "Thanks");
    assert_eq!(
        items.body["meta"]["display_price"]["with_tax"]["formatted"],
        "$35.00"
    );
}
