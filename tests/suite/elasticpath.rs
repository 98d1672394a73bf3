//! Elastic Path's token endpoint, `/v2/carts` API and shopper catalog, through the router.

use crate::platform_common::*;
use http::StatusCode;
use serde_json::{Value, json};

fn unauthorized() -> Value {
    json!({"errors": [{"status": 401, "title": "Unable to validate access token"}]})
}

async fn token_request(app: &TestApp, form: &str) -> crate::platform_common::Reply {
    app.send(request(
        "POST",
        "/oauth/access_token",
        &[],
        Some(("application/x-www-form-urlencoded", form.to_string())),
    ))
    .await
}

fn item_ids(reply: &crate::platform_common::Reply) -> Vec<String> {
    reply.body["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|i| i["id"].as_str().expect("id").to_string())
        .collect()
}

#[tokio::test]
async fn token_is_issued_in_the_documented_shape() {
    let app = app().await;
    let reply = token_request(&app, &format!("grant_type=implicit&client_id={EP_CLIENT}")).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let body = &reply.body;
    assert_eq!(body["identifier"], "implicit");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    let now = chrono::Utc::now().timestamp();
    let expires = body["expires"].as_i64().expect("expires");
    assert!(
        (now + 3590..=now + 3610).contains(&expires),
        "{expires} vs {now}"
    );
    let token = body["access_token"].as_str().expect("token");
    assert!(token.len() >= 32 && token.chars().all(|c| c.is_ascii_hexdigit()));
    let keys: Vec<&str> = body
        .as_object()
        .expect("obj")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "expires",
            "identifier",
            "expires_in",
            "access_token",
            "token_type"
        ]
    );
    // Two tokens are never the same.
    assert_ne!(app.ep_token().await, app.ep_token().await);
}

#[tokio::test]
async fn token_errors() {
    let app = app().await;
    let client = token_request(&app, "grant_type=implicit&client_id=someone-else").await;
    assert_eq!(client.status, StatusCode::UNAUTHORIZED);
    assert_eq!(client.body["errors"][0]["status"], 401);
    let grant = token_request(
        &app,
        &format!("grant_type=client_credentials&client_id={EP_CLIENT}"),
    )
    .await;
    assert_eq!(grant.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(grant.body["errors"][0]["status"], 422);
    assert_eq!(grant.body["errors"][0]["title"], "Unsupported grant type");
    let missing = token_request(&app, "").await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert!(missing.body["errors"][0]["title"].is_string());
}

#[tokio::test]
async fn every_call_needs_a_valid_unexpired_token() {
    let app = app().await;
    for uri in [
        "/v2/carts/abc",
        "/v2/carts/abc/items",
        "/catalog/products",
        "/v2/anything",
    ] {
        let none = app.json("GET", uri, &[], None).await;
        assert_eq!(none.status, StatusCode::UNAUTHORIZED, "{uri}");
        assert_eq!(none.body, unauthorized());
    }
    let bogus = app
        .ep(
            "0123456789abcdef0123456789abcdef01234567",
            "GET",
            "/v2/carts/abc",
            None,
        )
        .await;
    assert_eq!(bogus.status, StatusCode::UNAUTHORIZED);
    assert_eq!(bogus.body, unauthorized());
    let basic = app
        .json(
            "GET",
            "/v2/carts/abc",
            &[("authorization", "Basic abc")],
            None,
        )
        .await;
    assert_eq!(basic.status, StatusCode::UNAUTHORIZED);

    // A token issued two hours ago has expired.
    let old = app
        .state
        .node_local::<vitrine::api::elasticpath::TokenBook>()
        .issue_at(chrono::Utc::now().timestamp() - 7200);
    let expired = app
        .ep(&old.access_token, "GET", "/v2/carts/abc", None)
        .await;
    assert_eq!(expired.status, StatusCode::UNAUTHORIZED);
    assert_eq!(expired.body, unauthorized());
    let post = app
        .ep(
            &old.access_token,
            "POST",
            "/v2/carts/abc/items",
            Some(json!({"data": {"type": "cart_item", "sku": "GGB-BOX", "quantity": 1}})),
        )
        .await;
    assert_eq!(post.status, StatusCode::UNAUTHORIZED);
    assert!(app.state.store().cart("abc").await.expect("read").is_none());

    let token = app.ep_token().await;
    let fine = app.ep(&token, "GET", "/v2/carts/abc", None).await;
    assert_eq!(fine.status, StatusCode::OK);
    let unknown = app.ep(&token, "GET", "/v2/anything", None).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.body["errors"][0]["status"], 404);
}

#[tokio::test]
async fn carts_create_read_delete() {
    let app = app().await;
    let token = app.ep_token().await;
    let created = app
        .ep(
            &token,
            "POST",
            "/v2/carts",
            Some(json!({"data": {"name": "My cart", "description": "For the weekend"}})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let cart = &created.body["data"];
    assert_eq!(cart["type"], "cart");
    assert_eq!(cart["name"], "My cart");
    assert_eq!(cart["description"], "For the weekend");
    assert_eq!(cart["meta"]["version"], 1);
    assert_eq!(
        cart["meta"]["display_price"]["with_tax"],
        json!({"amount": 0, "currency": "CAD", "formatted": "$0.00"})
    );
    assert!(cart["meta"]["timestamps"]["expires_at"].is_string());
    let id = cart["id"].as_str().expect("id").to_string();
    let read = app
        .ep(&token, "GET", &format!("/v2/carts/{id}"), None)
        .await;
    assert_eq!(read.body["data"]["name"], "My cart");

    // An unknown id makes an empty cart, and reading it again changes nothing.
    let fresh = app.ep(&token, "GET", "/v2/carts/my-own-cart", None).await;
    assert_eq!(fresh.status, StatusCode::OK);
    assert_eq!(fresh.body["data"]["id"], "my-own-cart");
    assert_eq!(fresh.body["data"]["meta"]["version"], 1);
    let again = app
        .ep(&token, "GET", "/v2/carts/my-own-cart/items", None)
        .await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.body["data"], json!([]));
    assert_eq!(again.body["meta"]["version"], 1);

    let bad_id = app.ep(&token, "GET", "/v2/carts/not%20valid", None).await;
    assert_eq!(bad_id.status, StatusCode::BAD_REQUEST);

    assert_eq!(
        app.ep(&token, "DELETE", &format!("/v2/carts/{id}"), None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let gone = app
        .ep(&token, "DELETE", &format!("/v2/carts/{id}"), None)
        .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert_eq!(gone.body["errors"][0]["title"], "Cart not found");
}

#[tokio::test]
async fn add_catalog_items_by_id_and_sku() {
    let app = app().await;
    let token = app.ep_token().await;
    let added = app
        .ep(
            &token,
            "POST",
            "/v2/carts/c1/items",
            Some(json!({"data": {"type": "cart_item", "id": COAT_RED_UUID, "quantity": 2}})),
        )
        .await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.text);
    let item = &added.body["data"][0];
    assert!(uuid::Uuid::parse_str(item["id"].as_str().expect("id")).is_ok());
    assert_eq!(item["type"], "cart_item");
    assert_eq!(item["product_id"], COAT_RED_UUID);
    assert_eq!(item["name"], "Red Rain Coat - Red");
    assert_eq!(
        item["description"],
        "A bright red rain coat for rainy days!"
    );
    assert_eq!(item["sku"], "RRC-RED");
    assert_eq!(item["slug"], "red-rain-coat");
    assert_eq!(item["image"]["mime_type"], "image/svg+xml");
    assert_eq!(item["image"]["file_name"], "red-rain-coat.svg");
    assert_eq!(item["quantity"], 2);
    assert_eq!(item["manage_stock"], true);
    assert_eq!(
        item["unit_price"],
        json!({"amount": 12900, "currency": "CAD", "includes_tax": false})
    );
    assert_eq!(item["value"]["amount"], 25800);
    assert_eq!(
        item["links"]["product"],
        format!("/catalog/products/{COAT_RED_UUID}")
    );
    assert_eq!(
        item["meta"]["display_price"]["with_tax"]["unit"],
        json!({"amount": 12900, "currency": "CAD", "formatted": "$129.00"})
    );
    assert_eq!(
        item["meta"]["display_price"]["without_tax"]["value"]["formatted"],
        "$258.00"
    );
    assert!(
        item["meta"]["timestamps"]["created_at"]
            .as_str()
            .expect("t")
            .ends_with('Z')
    );
    assert!(item["catalog_id"].is_string());
    assert_eq!(item["catalog_source"], "pim");

    let by_sku = app
        .ep(
            &token,
            "POST",
            "/v2/carts/c1/items",
            Some(json!({"data": {"type": "cart_item", "sku": "GGB-BOX", "quantity": 1}})),
        )
        .await;
    assert_eq!(by_sku.status, StatusCode::CREATED);
    assert_eq!(by_sku.body["data"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        by_sku.body["meta"]["display_price"]["without_tax"]["amount"],
        27800
    );
    assert_eq!(
        by_sku.body["meta"]["display_price"]["with_tax"]["formatted"],
        "$278.00"
    );
    assert_eq!(by_sku.body["meta"]["version"], 2);

    let unknown = app
        .ep(&token, "POST", "/v2/carts/c1/items", Some(json!({"data": {"type": "cart_item", "id": uuid::Uuid::new_v4().to_string(), "quantity": 1}})))
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.body["errors"][0]["title"], "Product not found");
}

#[tokio::test]
async fn custom_items_merge_by_sku_and_custom_inputs_split_lines() {
    let app = app().await;
    let token = app.ep_token().await;
    let tip = json!({"data": {"type": "custom_item", "name": "Tip", "sku": "tip", "quantity": 1,
        "price": {"amount": 500, "includes_tax": true}}});
    app.ep(&token, "POST", "/v2/carts/c2/items", Some(tip.clone()))
        .await;
    let twice = app
        .ep(&token, "POST", "/v2/carts/c2/items", Some(tip))
        .await;
    assert_eq!(twice.status, StatusCode::CREATED, "{}", twice.text);
    assert_eq!(twice.body["data"].as_array().map(Vec::len), Some(1));
    let item = &twice.body["data"][0];
    assert_eq!(item["type"], "custom_item");
    assert_eq!(item["quantity"], 2);
    assert_eq!(item["unit_price"]["amount"], 500);
    assert!(item.get("product_id").is_none());

    let engraved = |text: &str| {
        json!({"data": {"type": "cart_item", "sku": "ECM-FOREST", "quantity": 1,
        "custom_inputs": {"engraving": text}}})
    };
    app.ep(&token, "POST", "/v2/carts/c2/items", Some(engraved("Ana")))
        .await;
    app.ep(&token, "POST", "/v2/carts/c2/items", Some(engraved("Ana")))
        .await;
    let other = app
        .ep(&token, "POST", "/v2/carts/c2/items", Some(engraved("Bo")))
        .await;
    let lines = other.body["data"].as_array().expect("data");
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[1]["custom_inputs"], json!({"engraving": "Ana"}));
    assert_eq!(lines[1]["quantity"], 2);
    assert_eq!(lines[2]["custom_inputs"], json!({"engraving": "Bo"}));

    let no_price = app
        .ep(
            &token,
            "POST",
            "/v2/carts/c2/items",
            Some(json!({"data": {"type": "custom_item", "name": "X", "sku": "x", "quantity": 1}})),
        )
        .await;
    assert_eq!(no_price.status, StatusCode::BAD_REQUEST);
    assert_eq!(no_price.body["errors"][0]["source"], "data.price");
    let promotion = app
        .ep(
            &token,
            "POST",
            "/v2/carts/c2/items",
            Some(json!({"data": {"type": "promotion_item", "code": "WELCOME10", "quantity": 1}})),
        )
        .await;
    assert_eq!(promotion.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn bulk_add_partial_and_all_or_nothing() {
    let app = app().await;
    let token = app.ep_token().await;
    let items = json!([
        {"type": "cart_item", "sku": "GGB-BOX", "quantity": 1},
        {"type": "cart_item", "id": uuid::Uuid::new_v4().to_string(), "quantity": 1},
        {"type": "cart_item", "id": PRINT_UUID, "quantity": 50}
    ]);
    let strict = app
        .ep(
            &token,
            "POST",
            "/v2/carts/bulk/items",
            Some(json!({"data": items, "options": {"add_all_or_nothing": true}})),
        )
        .await;
    assert_eq!(strict.status, StatusCode::BAD_REQUEST, "{}", strict.text);
    let errors = strict.body["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 2);
    assert_eq!(errors[0]["status"], 404);
    assert_eq!(errors[0]["meta"]["index"], 1);
    assert_eq!(errors[1]["title"], "Insufficient stock");
    assert!(
        app.state
            .store()
            .cart("bulk")
            .await
            .expect("read")
            .is_none()
    );

    let lenient = app
        .ep(
            &token,
            "POST",
            "/v2/carts/bulk/items",
            Some(json!({"data": items})),
        )
        .await;
    assert_eq!(lenient.status, StatusCode::CREATED, "{}", lenient.text);
    assert_eq!(lenient.body["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(lenient.body["data"][0]["sku"], "GGB-BOX");
    assert_eq!(lenient.body["errors"].as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn insufficient_stock_changes_nothing() {
    let app = app().await;
    let token = app.ep_token().await;
    app.ep(
        &token,
        "POST",
        "/v2/carts/s/items",
        Some(json!({"data": {"type": "cart_item", "id": PRINT_UUID, "quantity": 8}})),
    )
    .await;
    let more = app
        .ep(
            &token,
            "POST",
            "/v2/carts/s/items",
            Some(json!({"data": {"type": "cart_item", "id": PRINT_UUID, "quantity": 3}})),
        )
        .await;
    assert_eq!(more.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        more.body,
        json!({"errors": [{"status": 400, "title": "Insufficient stock",
            "detail": "There is not enough stock to add Limited Edition Print to your cart"}]})
    );
    let item = app.ep(&token, "GET", "/v2/carts/s/items", None).await;
    assert_eq!(item.body["data"][0]["quantity"], 8);
    assert_eq!(item.body["meta"]["version"], 1);
    let id = item.body["data"][0]["id"].as_str().expect("id").to_string();
    let put = app
        .ep(
            &token,
            "PUT",
            &format!("/v2/carts/s/items/{id}"),
            Some(json!({"data": {"type": "cart_item", "id": id, "quantity": 11}})),
        )
        .await;
    assert_eq!(put.status, StatusCode::BAD_REQUEST);
    assert_eq!(put.body["errors"][0]["title"], "Insufficient stock");
}

#[tokio::test]
async fn update_item_zero_removes_and_errors() {
    let app = app().await;
    let token = app.ep_token().await;
    let added = app
        .ep(
            &token,
            "POST",
            "/v2/carts/u/items",
            Some(json!({"data": [
                {"type": "cart_item", "id": COAT_RED_UUID, "quantity": 1},
                {"type": "cart_item", "sku": "GGB-BOX", "quantity": 1}
            ]})),
        )
        .await;
    let ids = item_ids(&added);
    let uri = format!("/v2/carts/u/items/{}", ids[0]);
    let three = app
        .ep(
            &token,
            "PUT",
            &uri,
            Some(json!({"data": {"type": "cart_item", "id": ids[0], "quantity": 3}})),
        )
        .await;
    assert_eq!(three.status, StatusCode::OK, "{}", three.text);
    assert_eq!(three.body["data"][0]["quantity"], 3);
    let invalid = app
        .ep(
            &token,
            "PUT",
            &uri,
            Some(json!({"data": {"type": "cart_item", "quantity": "x"}})),
        )
        .await;
    assert_eq!(invalid.status, StatusCode::BAD_REQUEST);
    assert_eq!(invalid.body["errors"][0]["source"], "data.quantity");
    let zero = app
        .ep(
            &token,
            "PUT",
            &uri,
            Some(json!({"data": {"type": "cart_item", "quantity": 0}})),
        )
        .await;
    assert_eq!(zero.status, StatusCode::OK);
    assert_eq!(item_ids(&zero), vec![ids[1].clone()]);
    let missing = app
        .ep(
            &token,
            "PUT",
            &uri,
            Some(json!({"data": {"type": "cart_item", "quantity": 1}})),
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.body["errors"][0]["title"], "Cart item not found");
    let no_cart = app
        .ep(
            &token,
            "PUT",
            &format!("/v2/carts/none/items/{}", ids[1]),
            Some(json!({"data": {"quantity": 1}})),
        )
        .await;
    assert_eq!(no_cart.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn bulk_update() {
    let app = app().await;
    let token = app.ep_token().await;
    let added = app
        .ep(
            &token,
            "POST",
            "/v2/carts/b/items",
            Some(json!({"data": [
                {"type": "cart_item", "id": COAT_RED_UUID, "quantity": 1},
                {"type": "cart_item", "sku": "GGB-BOX", "quantity": 1}
            ]})),
        )
        .await;
    let ids = item_ids(&added);
    let strict = app
        .ep(&token, "PUT", "/v2/carts/b/items", Some(json!({
            "data": [{"id": ids[0], "quantity": 5}, {"id": uuid::Uuid::new_v4().to_string(), "quantity": 1}],
            "options": {"update_all_or_nothing": true}
        })))
        .await;
    assert_eq!(strict.status, StatusCode::NOT_FOUND);
    assert_eq!(strict.body["errors"][0]["title"], "Cart item not found");
    let unchanged = app.ep(&token, "GET", "/v2/carts/b/items", None).await;
    assert_eq!(unchanged.body["data"][0]["quantity"], 1);

    let both = app
        .ep(
            &token,
            "PUT",
            "/v2/carts/b/items",
            Some(json!({
                "data": [{"id": ids[0], "quantity": 5}, {"id": ids[1], "quantity": 0}]
            })),
        )
        .await;
    assert_eq!(both.status, StatusCode::OK, "{}", both.text);
    assert_eq!(item_ids(&both), vec![ids[0].clone()]);
    assert_eq!(both.body["data"][0]["quantity"], 5);
}

#[tokio::test]
async fn delete_one_item_and_all_items() {
    let app = app().await;
    let token = app.ep_token().await;
    let added = app
        .ep(
            &token,
            "POST",
            "/v2/carts/d/items",
            Some(json!({"data": [
                {"type": "cart_item", "id": COAT_RED_UUID, "quantity": 1},
                {"type": "cart_item", "id": GIFT_CARD_UUID, "quantity": 1}
            ]})),
        )
        .await;
    let ids = item_ids(&added);
    let one = app
        .ep(
            &token,
            "DELETE",
            &format!("/v2/carts/d/items/{}", ids[0]),
            None,
        )
        .await;
    assert_eq!(one.status, StatusCode::OK);
    assert_eq!(item_ids(&one), vec![ids[1].clone()]);
    let again = app
        .ep(
            &token,
            "DELETE",
            &format!("/v2/carts/d/items/{}", ids[0]),
            None,
        )
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    let all = app.ep(&token, "DELETE", "/v2/carts/d/items", None).await;
    assert_eq!(all.status, StatusCode::NO_CONTENT);
    let empty = app.ep(&token, "GET", "/v2/carts/d/items", None).await;
    assert_eq!(empty.body["data"], json!([]));
    // The cart itself stays, empty.
    assert!(app.state.store().cart("d").await.expect("read").is_some());
}

#[tokio::test]
async fn versions_conflict_through_body_and_if_match() {
    let app = app().await;
    let token = app.ep_token().await;
    let first = app
        .ep(
            &token,
            "POST",
            "/v2/carts/v/items",
            Some(json!({"data": {"type": "cart_item", "sku": "GGB-BOX", "quantity": 1}})),
        )
        .await;
    assert_eq!(first.body["meta"]["version"], 1);
    let stale = app
        .ep(&token, "POST", "/v2/carts/v/items", Some(json!({"data": {"type": "cart_item", "sku": "GGB-BOX", "quantity": 1, "version": 0}})))
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    let error = &stale.body["errors"][0];
    assert_eq!(error["status"], 409);
    assert_eq!(error["title"], "Write conflict detected");
    assert!(error["detail"].is_string());

    let auth = format!("Bearer {token}");
    let header_stale = app
        .json(
            "DELETE",
            "/v2/carts/v/items",
            &[("authorization", &auth), ("if-match", "\"0\"")],
            None,
        )
        .await;
    assert_eq!(header_stale.status, StatusCode::CONFLICT);
    let id = item_ids(&first)[0].clone();
    let bulk_stale = app
        .ep(
            &token,
            "PUT",
            "/v2/carts/v/items",
            Some(json!({"data": [{"id": id, "quantity": 4}], "options": {"version": 5}})),
        )
        .await;
    assert_eq!(bulk_stale.status, StatusCode::CONFLICT);
    let still = app.ep(&token, "GET", "/v2/carts/v/items", None).await;
    assert_eq!(still.body["data"][0]["quantity"], 1);
    assert_eq!(still.body["meta"]["version"], 1);

    let right = app
        .ep(
            &token,
            "PUT",
            &format!("/v2/carts/v/items/{id}"),
            Some(json!({"data": {"quantity": 4, "version": 1}})),
        )
        .await;
    assert_eq!(right.status, StatusCode::OK, "{}", right.text);
    assert_eq!(right.body["meta"]["version"], 2);
    let by_header = app
        .json(
            "DELETE",
            &format!("/v2/carts/v/items/{id}"),
            &[("authorization", &auth), ("if-match", "2")],
            None,
        )
        .await;
    assert_eq!(by_header.status, StatusCode::OK);
    assert_eq!(by_header.body["meta"]["version"], 3);
}

#[tokio::test]
async fn at_most_one_hundred_unique_items() {
    let app = app().await;
    let token = app.ep_token().await;
    let items: Vec<Value> = (0..100)
        .map(|n| json!({"type": "custom_item", "name": format!("Item {n}"), "sku": format!("sku-{n}"), "quantity": 1,
            "price": {"amount": 100, "includes_tax": true}}))
        .collect();
    let full = app
        .ep(
            &token,
            "POST",
            "/v2/carts/big/items",
            Some(json!({"data": items})),
        )
        .await;
    assert_eq!(full.status, StatusCode::CREATED, "{}", full.text);
    assert_eq!(full.body["data"].as_array().map(Vec::len), Some(100));
    let one_more = app
        .ep(
            &token,
            "POST",
            "/v2/carts/big/items",
            Some(json!({"data": {"type": "cart_item", "sku": "GGB-BOX", "quantity": 1}})),
        )
        .await;
    assert_eq!(one_more.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        one_more.body["errors"][0]["title"],
        "Cart items limit exceeded"
    );
    // More of an item already there is still fine.
    let same = app
        .ep(&token, "POST", "/v2/carts/big/items", Some(json!({"data": {"type": "custom_item", "name": "Item 0", "sku": "sku-0", "quantity": 1,
            "price": {"amount": 100, "includes_tax": true}}})))
        .await;
    assert_eq!(same.status, StatusCode::CREATED);
    assert_eq!(same.body["data"][0]["quantity"], 2);
}

#[tokio::test]
async fn malformed_json_answers_the_errors_shape() {
    let app = app().await;
    let token = app.ep_token().await;
    let auth = format!("Bearer {token}");
    let broken = app
        .raw(
            "POST",
            "/v2/carts/m/items",
            &[("authorization", &auth)],
            "{\"data\":",
        )
        .await;
    assert_eq!(broken.status, StatusCode::BAD_REQUEST);
    assert_eq!(broken.body["errors"][0]["status"], 400);
    let no_data = app
        .ep(
            &token,
            "POST",
            "/v2/carts/m/items",
            Some(json!({"items": []})),
        )
        .await;
    assert_eq!(no_data.status, StatusCode::BAD_REQUEST);
    assert_eq!(no_data.body["errors"][0]["source"], "data");
}

#[tokio::test]
async fn catalog_lists_products_by_their_elastic_path_ids() {
    let app = app().await;
    let token = app.ep_token().await;
    let all = app.ep(&token, "GET", "/catalog/products", None).await;
    assert_eq!(all.status, StatusCode::OK);
    let data = all.body["data"].as_array().expect("data");
    assert!(data.len() >= 17);
    let coat = data
        .iter()
        .find(|p| p["id"] == COAT_RED_UUID)
        .expect("the red coat is listed");
    assert_eq!(coat["type"], "product");
    assert_eq!(coat["attributes"]["sku"], "RRC-RED");
    assert_eq!(coat["attributes"]["slug"], "red-rain-coat");
    assert_eq!(
        coat["meta"]["display_price"]["without_tax"]["formatted"],
        "$129.00"
    );
    let gift = data
        .iter()
        .find(|p| p["id"] == GIFT_CARD_UUID)
        .expect("gift card");
    assert_eq!(gift["attributes"]["commodity_type"], "digital");

    let one = app
        .ep(
            &token,
            "GET",
            &format!("/catalog/products/{COAT_RED_UUID}"),
            None,
        )
        .await;
    assert_eq!(one.status, StatusCode::OK);
    assert_eq!(
        one.body["data"]["attributes"]["name"],
        "Red Rain Coat - Red"
    );
    let missing = app.ep(&token, "GET", "/catalog/products/nope", None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.body["errors"][0]["title"], "Product not found");
}
