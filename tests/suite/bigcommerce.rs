//! BigCommerce's REST Storefront (`/api/storefront`) and REST Management (`/stores/{hash}/v3`)
//! cart APIs, end to end through the router.

use crate::platform_common::*;
use http::StatusCode;
use serde_json::{Value, json};

const CONFLICT: &str = "The request cannot be processed due to a possible conflict. Please review the changes and try again.";
const ERROR_TYPE: &str =
    "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes";

fn physical(cart: &Value) -> &Vec<Value> {
    cart["lineItems"]["physicalItems"]
        .as_array()
        .expect("physicalItems")
}

fn conflict_body() -> Value {
    json!({"status": 409, "title": CONFLICT, "type": ERROR_TYPE})
}

// ---------------------------------------------------------------- Storefront

#[tokio::test]
async fn storefront_get_carts_is_empty_then_lists_the_new_cart() {
    let app = app().await;
    let mut v = app.visitor();
    let empty = v.json("GET", "/api/storefront/carts", None).await;
    assert_eq!(empty.status, StatusCode::OK);
    assert_eq!(empty.body, json!([]));

    let cart = v
        .create_bc_cart(json!([{"productId": COAT_PRODUCT, "variantId": COAT_RED, "quantity": 2}]))
        .await;
    assert_eq!(cart["version"], 1);
    assert_eq!(cart["currency"]["code"], "CAD");
    assert_eq!(cart["baseAmount"], 258);
    assert_eq!(cart["cartAmount"], 258);
    assert_eq!(cart["isTaxIncluded"], false);
    let created = cart["createdTime"].as_str().expect("createdTime");
    assert_eq!(created.len(), "2021-03-04T14:17:50+00:00".len());
    assert!(created.ends_with("+00:00"), "{created}");
    let item = &physical(&cart)[0];
    assert!(uuid::Uuid::parse_str(item["id"].as_str().expect("id")).is_ok());
    assert_eq!(item["productId"], COAT_PRODUCT);
    assert_eq!(item["variantId"], COAT_RED);
    assert_eq!(item["sku"], "RRC-RED");
    assert_eq!(item["name"], "Red Rain Coat - Red");
    assert_eq!(item["quantity"], 2);
    assert_eq!(item["listPrice"], 129);
    assert_eq!(item["extendedSalePrice"], 258);
    assert_eq!(item["isShippingRequired"], true);
    assert_eq!(item["type"], "physical");
    assert!(item.get("options").is_none(), "options only with include=");

    let listed = v.json("GET", "/api/storefront/carts", None).await;
    assert_eq!(listed.status, StatusCode::OK);
    assert_eq!(listed.body.as_array().map(Vec::len), Some(1));
    assert_eq!(listed.body[0]["id"], cart["id"]);
}

#[tokio::test]
async fn storefront_money_is_decimal_major_units() {
    let app = app().await;
    let mut v = app.visitor();
    // 3 × 9.00 + 1 × 12.00 = 39, and a potion at 9.00: amounts with cents show as decimals.
    let cart = v
        .create_bc_cart(json!([
            {"productId": POTION_PRODUCT, "variantId": 39897499729985_i64, "quantity": 3},
            {"productId": GRANOLA_PRODUCT, "quantity": 1}
        ]))
        .await;
    assert_eq!(cart["baseAmount"], 47);
    let id = cart["id"].as_str().expect("id").to_string();
    let with_code = app
        .json(
            "POST",
            "/cart/update.js",
            &[("cookie", v.cookie.as_deref().expect("cookie"))],
            Some(json!({"discount": "WELCOME10"})),
        )
        .await;
    assert_eq!(with_code.status, StatusCode::OK, "{}", with_code.text);
    let carts = v.json("GET", "/api/storefront/carts", None).await;
    let cart = &carts.body[0];
    assert_eq!(cart["id"], id.as_str());
    assert_eq!(cart["cartAmount"], 42.3);
    assert_eq!(cart["coupons"][0]["code"], "WELCOME10");
    assert_eq!(cart["coupons"][0]["discountedAmount"], 4.7);
}

#[tokio::test]
async fn storefront_digital_items_and_options_include() {
    let app = app().await;
    let mut v = app.visitor();
    let cart = v
        .create_bc_cart(json!([
            {"productId": COAT_PRODUCT, "variantId": COAT_RED, "quantity": 1},
            {"productId": GIFT_CARD_PRODUCT, "variantId": GIFT_CARD, "quantity": 1}
        ]))
        .await;
    let digital = &cart["lineItems"]["digitalItems"][0];
    assert_eq!(digital["variantId"], GIFT_CARD);
    assert_eq!(digital["type"], "digital");
    assert_eq!(digital["isShippingRequired"], false);
    assert_eq!(physical(&cart).len(), 1);

    let both = v
        .json(
            "GET",
            "/api/storefront/carts?include=lineItems.physicalItems.options,lineItems.digitalItems.options",
            None,
        )
        .await;
    let cart = &both.body[0];
    assert_eq!(
        physical(cart)[0]["options"],
        json!([{"name": "Color", "nameId": 1, "value": "Red", "valueId": 1}])
    );
    assert_eq!(
        cart["lineItems"]["digitalItems"][0]["options"],
        json!([{"name": "Denomination", "nameId": 1, "value": "$25", "valueId": 1}])
    );
    let only_physical = v
        .json(
            "GET",
            "/api/storefront/carts?include=lineItems.physicalItems.options",
            None,
        )
        .await;
    assert!(
        only_physical.body[0]["lineItems"]["digitalItems"][0]
            .get("options")
            .is_none()
    );
}

#[tokio::test]
async fn storefront_option_selections_choose_the_variant() {
    let app = app().await;
    let mut v = app.visitor();
    let cart = v
        .create_bc_cart(json!([{
            "productId": POTION_PRODUCT,
            "quantity": 1,
            "optionSelections": [{"optionId": 1, "optionValue": "S"}, {"optionId": 2, "optionValue": 2}]
        }]))
        .await;
    assert_eq!(physical(&cart)[0]["variantId"], POTION_S_HIGH);
    let id = cart["id"].as_str().expect("id").to_string();
    let uri = format!("/api/storefront/carts/{id}/items");

    // A product with one variant needs no variantId.
    let granola = v
        .json(
            "POST",
            &uri,
            Some(json!({"lineItems": [{"productId": GRANOLA_PRODUCT, "quantity": 1}]})),
        )
        .await;
    assert_eq!(granola.status, StatusCode::OK, "{}", granola.text);
    assert_eq!(physical(&granola.body)[1]["variantId"], GRANOLA);

    // Several variants, no variantId and no selections: 422.
    let vague = v
        .json(
            "POST",
            &uri,
            Some(json!({"lineItems": [{"productId": POTION_PRODUCT, "quantity": 1}]})),
        )
        .await;
    assert_eq!(vague.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(vague.body["status"], 422);
    assert!(
        vague.body["title"]
            .as_str()
            .expect("title")
            .contains("several variants")
    );

    // An option that is not a variant option would be a modifier: not supported, 422.
    let modifier = v
        .json(
            "POST",
            &uri,
            Some(json!({"lineItems": [{"productId": COAT_PRODUCT, "variantId": COAT_RED, "quantity": 1,
                "optionSelections": [{"optionId": 9, "optionValue": "Engraving"}]}]})),
        )
        .await;
    assert_eq!(modifier.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        modifier.body["title"]
            .as_str()
            .expect("title")
            .contains("modifiers")
    );

    // Nothing changed by the refused requests.
    let now = v.json("GET", "/api/storefront/carts", None).await;
    assert_eq!(now.body[0]["version"], 2);
}

#[tokio::test]
async fn storefront_gift_wrapping_and_gift_certificates_are_kept() {
    let app = app().await;
    let mut v = app.visitor();
    let reply = v
        .json(
            "POST",
            "/api/storefront/carts",
            Some(json!({
                "lineItems": [{"productId": COAT_PRODUCT, "variantId": COAT_RED, "quantity": 1,
                    "giftWrapping": {"wrapTogether": true, "wrapDetails": [{"id": 1, "message": "Happy birthday!"}]}}],
                "giftCertificates": [{"name": "Birthday", "theme": "birthday.html", "amount": 50, "quantity": 1,
                    "sender": {"name": "Jane", "email": "jane@example.com"},
                    "recipient": {"name": "Joe", "email": "joe@example.com"},
                    "message": "Enjoy"}]
            })),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let cart = &reply.body;
    let item = &physical(cart)[0];
    assert_eq!(item["giftWrapping"]["wrapTogether"], true);
    assert_eq!(
        item["giftWrapping"]["wrapDetails"],
        json!([{"id": 1, "message": "Happy birthday!"}])
    );
    let gift = &cart["lineItems"]["giftCertificates"][0];
    assert_eq!(gift["name"], "Birthday");
    assert_eq!(gift["theme"], "birthday.html");
    assert_eq!(gift["amount"], 50);
    assert_eq!(gift["recipient"]["email"], "joe@example.com");
    assert_eq!(gift["message"], "Enjoy");
    assert_eq!(cart["baseAmount"], 179);

    // PUT with `giftWrapping: null` removes the wrapping.
    let uri = format!(
        "/api/storefront/carts/{}/items/{}",
        cart["id"].as_str().expect("id"),
        item["id"].as_str().expect("item id")
    );
    let unwrapped = v
        .json(
            "PUT",
            &uri,
            Some(json!({"lineItem": {"productId": COAT_PRODUCT, "quantity": 1, "giftWrapping": null}})),
        )
        .await;
    assert_eq!(unwrapped.status, StatusCode::OK, "{}", unwrapped.text);
    assert_eq!(physical(&unwrapped.body)[0]["giftWrapping"], Value::Null);
}

#[tokio::test]
async fn storefront_unsupported_features_answer_422() {
    let app = app().await;
    let mut v = app.visitor();
    let custom = v
        .json(
            "POST",
            "/api/storefront/carts",
            Some(json!({"lineItems": [], "customItems": [{"sku": "x", "name": "X", "quantity": 1, "listPrice": 1}]})),
        )
        .await;
    assert_eq!(custom.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(custom.body["type"], ERROR_TYPE);
    assert!(
        custom.body["title"]
            .as_str()
            .expect("t")
            .contains("Management API")
    );

    let price = v
        .json(
            "POST",
            "/api/storefront/carts",
            Some(json!({"lineItems": [{"productId": COAT_PRODUCT, "variantId": COAT_RED, "quantity": 1, "listPrice": 1}]})),
        )
        .await;
    assert_eq!(price.status, StatusCode::UNPROCESSABLE_ENTITY);

    let include = v
        .json("GET", "/api/storefront/carts?include=redirect_urls", None)
        .await;
    assert_eq!(include.status, StatusCode::UNPROCESSABLE_ENTITY);

    let theme = v
        .json(
            "POST",
            "/api/storefront/carts",
            Some(json!({"lineItems": [], "giftCertificates": [{"name": "G", "theme": "party.html", "amount": 10, "quantity": 1,
                "sender": {"name": "a", "email": "a@example.com"}, "recipient": {"name": "b", "email": "b@example.com"}}]})),
        )
        .await;
    assert_eq!(theme.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        theme.body["errors"]["giftCertificates[0].theme"].is_string(),
        "{}",
        theme.text
    );

    // None of these made a cart.
    assert_eq!(
        v.json("GET", "/api/storefront/carts", None).await.body,
        json!([])
    );
}

#[tokio::test]
async fn storefront_malformed_json_answers_bigcommerce_422() {
    let app = app().await;
    let mut v = app.visitor();
    let broken = v
        .raw("POST", "/api/storefront/carts", Some("{not json"))
        .await;
    assert_eq!(broken.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(broken.body["status"], 422);
    assert_eq!(broken.body["title"], "JSON data is missing or invalid");
    assert_eq!(broken.body["type"], ERROR_TYPE);
    assert!(broken.body["errors"].is_object());

    let wrong_type = v
        .json(
            "POST",
            "/api/storefront/carts",
            Some(json!({"lineItems": [{"productId": COAT_PRODUCT, "quantity": "two"}]})),
        )
        .await;
    assert_eq!(wrong_type.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        wrong_type.body["errors"]["lineItems[0].quantity"],
        "error.expected.jsnumber"
    );
    let nothing = v
        .json("POST", "/api/storefront/carts", Some(json!({})))
        .await;
    assert_eq!(nothing.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn storefront_another_visitors_cart_is_404() {
    let app = app().await;
    let mut alice = app.visitor();
    let cart = alice
        .create_bc_cart(json!([{"productId": COAT_PRODUCT, "variantId": COAT_RED, "quantity": 1}]))
        .await;
    let id = cart["id"].as_str().expect("id");
    let item = physical(&cart)[0]["id"].as_str().expect("item").to_string();

    let mut mallory = app.visitor();
    mallory
        .create_bc_cart(json!([{"productId": GRANOLA_PRODUCT, "quantity": 1}]))
        .await;
    let not_found = json!({"status": 404, "title": "Cart not found.", "type": ERROR_TYPE});
    let attempts = [
        (
            "POST",
            format!("/api/storefront/carts/{id}/items"),
            Some(json!({"lineItems": [{"productId": GRANOLA_PRODUCT, "quantity": 1}]})),
        ),
        (
            "PUT",
            format!("/api/storefront/carts/{id}/items/{item}"),
            Some(json!({"lineItem": {"productId": COAT_PRODUCT, "quantity": 5}})),
        ),
        (
            "DELETE",
            format!("/api/storefront/carts/{id}/items/{item}"),
            None,
        ),
        ("DELETE", format!("/api/storefront/carts/{id}"), None),
    ];
    for (method, uri, body) in attempts {
        let reply = mallory.json(method, &uri, body).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{method} {uri}");
        assert_eq!(reply.body, not_found);
    }
    // A visitor without any session gets the same answer.
    let mut stranger = app.visitor();
    let reply = stranger
        .json("DELETE", &format!("/api/storefront/carts/{id}"), None)
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);

    let still = alice.json("GET", "/api/storefront/carts", None).await;
    assert_eq!(still.body[0]["version"], 1);
    assert_eq!(physical(&still.body[0])[0]["quantity"], 1);
}

#[tokio::test]
async fn storefront_versions_conflict_with_the_exact_body() {
    let app = app().await;
    let mut v = app.visitor();
    let cart = v
        .create_bc_cart(json!([{"productId": COAT_PRODUCT, "variantId": COAT_RED, "quantity": 1}]))
        .await;
    let id = cart["id"].as_str().expect("id").to_string();
    let item = physical(&cart)[0]["id"].as_str().expect("item").to_string();
    let items_uri = format!("/api/storefront/carts/{id}/items");
    let item_uri = format!("{items_uri}/{item}");
    let add = |version: i64| json!({"lineItems": [{"productId": GRANOLA_PRODUCT, "quantity": 1}], "version": version});

    let ok = v.json("POST", &items_uri, Some(add(1))).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
    assert_eq!(ok.body["version"], 2);

    let stale = v.json("POST", &items_uri, Some(add(1))).await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert_eq!(stale.body, conflict_body());

    let put = v
        .json(
            "PUT",
            &item_uri,
            Some(json!({"lineItem": {"productId": COAT_PRODUCT, "quantity": 4}, "version": 1})),
        )
        .await;
    assert_eq!(put.status, StatusCode::CONFLICT);
    assert_eq!(put.body, conflict_body());

    let delete = v
        .json("DELETE", &item_uri, Some(json!({"version": 7})))
        .await;
    assert_eq!(delete.status, StatusCode::CONFLICT);
    assert_eq!(delete.body, conflict_body());

    // Without a version the same requests apply.
    let put = v
        .json(
            "PUT",
            &item_uri,
            Some(json!({"lineItem": {"productId": COAT_PRODUCT, "quantity": 4}})),
        )
        .await;
    assert_eq!(put.status, StatusCode::OK);
    assert_eq!(put.body["version"], 3);
    assert_eq!(physical(&put.body)[0]["quantity"], 4);
    assert_eq!(physical(&put.body).len(), 2);
}

#[tokio::test]
async fn storefront_removing_the_last_item_deletes_the_cart() {
    let app = app().await;
    let mut v = app.visitor();
    let cart = v
        .create_bc_cart(json!([{"productId": COAT_PRODUCT, "variantId": COAT_RED, "quantity": 1}]))
        .await;
    let id = cart["id"].as_str().expect("id").to_string();
    let item = physical(&cart)[0]["id"].as_str().expect("item").to_string();
    let gone = v
        .json(
            "DELETE",
            &format!("/api/storefront/carts/{id}/items/{item}"),
            None,
        )
        .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
    assert_eq!(
        v.json("GET", "/api/storefront/carts", None).await.body,
        json!([])
    );
    let later = v
        .json(
            "POST",
            &format!("/api/storefront/carts/{id}/items"),
            Some(json!({"lineItems": [{"productId": GRANOLA_PRODUCT, "quantity": 1}]})),
        )
        .await;
    assert_eq!(later.status, StatusCode::NOT_FOUND);
    assert_eq!(later.body["title"], "Cart not found.");
    assert!(app.state.store().cart(&id).await.expect("read").is_none());
}

#[tokio::test]
async fn storefront_put_zero_and_unknown_item() {
    let app = app().await;
    let mut v = app.visitor();
    let cart = v
        .create_bc_cart(json!([
            {"productId": COAT_PRODUCT, "variantId": COAT_RED, "quantity": 1},
            {"productId": GRANOLA_PRODUCT, "quantity": 1}
        ]))
        .await;
    let id = cart["id"].as_str().expect("id").to_string();
    let item = physical(&cart)[0]["id"].as_str().expect("item").to_string();
    let unknown = v
        .json(
            "PUT",
            &format!("/api/storefront/carts/{id}/items/{}", uuid::Uuid::new_v4()),
            Some(json!({"lineItem": {"productId": COAT_PRODUCT, "quantity": 1}})),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let other_variant = v
        .json(
            "PUT",
            &format!("/api/storefront/carts/{id}/items/{item}"),
            Some(json!({"lineItem": {"productId": COAT_PRODUCT, "variantId": COAT_SMALL, "quantity": 1}})),
        )
        .await;
    assert_eq!(other_variant.status, StatusCode::UNPROCESSABLE_ENTITY);
    let zero = v
        .json(
            "PUT",
            &format!("/api/storefront/carts/{id}/items/{item}"),
            Some(json!({"lineItem": {"productId": COAT_PRODUCT, "quantity": 0}})),
        )
        .await;
    assert_eq!(zero.status, StatusCode::OK);
    assert_eq!(physical(&zero.body).len(), 1);
    assert_eq!(physical(&zero.body)[0]["variantId"], GRANOLA);
}

#[tokio::test]
async fn storefront_stock_is_refused_and_nothing_changes() {
    let app = app().await;
    let mut v = app.visitor();
    let too_many = v
        .json(
            "POST",
            "/api/storefront/carts",
            Some(json!({"lineItems": [{"productId": PRINT_PRODUCT, "quantity": 20}]})),
        )
        .await;
    assert_eq!(too_many.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        too_many.body,
        json!({"status": 422, "title": "You can only purchase a maximum of 10 of the Limited Edition Print per order.", "type": ERROR_TYPE})
    );
    assert_eq!(
        v.json("GET", "/api/storefront/carts", None).await.body,
        json!([])
    );

    let cart = v
        .create_bc_cart(json!([{"productId": PRINT_PRODUCT, "quantity": 8}]))
        .await;
    let id = cart["id"].as_str().expect("id").to_string();
    let more = v
        .json(
            "POST",
            &format!("/api/storefront/carts/{id}/items"),
            Some(json!({"lineItems": [{"productId": PRINT_PRODUCT, "quantity": 3}, {"productId": GRANOLA_PRODUCT, "quantity": 1}]})),
        )
        .await;
    assert_eq!(more.status, StatusCode::UNPROCESSABLE_ENTITY);
    let sold_out = v
        .json(
            "POST",
            &format!("/api/storefront/carts/{id}/items"),
            Some(json!({"lineItems": [{"productId": SCARF_PRODUCT, "quantity": 1}]})),
        )
        .await;
    assert_eq!(sold_out.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        sold_out.body["title"],
        "You can only purchase a maximum of 0 of the Sold Out Scarf per order."
    );
    let now = v.json("GET", "/api/storefront/carts", None).await;
    assert_eq!(now.body[0]["version"], 1);
    assert_eq!(physical(&now.body[0]).len(), 1);
    assert_eq!(physical(&now.body[0])[0]["quantity"], 8);
}

#[tokio::test]
async fn storefront_delete_cart() {
    let app = app().await;
    let mut v = app.visitor();
    let cart = v
        .create_bc_cart(json!([{"productId": GRANOLA_PRODUCT, "quantity": 1}]))
        .await;
    let uri = format!("/api/storefront/carts/{}", cart["id"].as_str().expect("id"));
    assert_eq!(
        v.json("DELETE", &uri, None).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        v.json("DELETE", &uri, None).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        v.json("GET", "/api/storefront/carts", None).await.body,
        json!([])
    );
}

/// The storefront API through a real socket, with a cookie-keeping HTTP client.
#[tokio::test]
async fn storefront_over_a_real_port_keeps_the_cart_in_the_session() {
    let app = app().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let router = app.router.clone();
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .expect("client");
    let base = format!("http://{addr}");

    let created = client
        .post(format!("{base}/api/storefront/carts"))
        .json(&json!({"lineItems": [{"productId": COAT_PRODUCT, "variantId": COAT_RED, "quantity": 2}]}))
        .send()
        .await
        .expect("post");
    assert_eq!(created.status(), reqwest::StatusCode::OK);
    let cart: Value = created.json().await.expect("json");
    let id = cart["id"].as_str().expect("id").to_string();

    let listed: Value = client
        .get(format!("{base}/api/storefront/carts"))
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(listed[0]["id"], id.as_str());

    let shopify: Value = client
        .get(format!("{base}/cart.js"))
        .send()
        .await
        .expect("cart.js")
        .json()
        .await
        .expect("json");
    assert_eq!(shopify["token"], id.as_str());
    assert_eq!(shopify["item_count"], 2);

    let item = physical(&cart)[0]["id"].as_str().expect("item").to_string();
    let updated = client
        .put(format!("{base}/api/storefront/carts/{id}/items/{item}"))
        .json(&json!({"lineItem": {"productId": COAT_PRODUCT, "quantity": 3}, "version": 1}))
        .send()
        .await
        .expect("put");
    assert_eq!(updated.status(), reqwest::StatusCode::OK);
    let stranger = reqwest::Client::new()
        .delete(format!("{base}/api/storefront/carts/{id}"))
        .send()
        .await
        .expect("delete");
    assert_eq!(stranger.status(), reqwest::StatusCode::NOT_FOUND);
    server.abort();
}

// ---------------------------------------------------------------- Management

#[tokio::test]
async fn management_auth_and_store_hash() {
    let closed = app_with(|_| {}).await;
    let reply = closed.admin("GET", "/carts/whatever", None).await;
    assert_eq!(
        reply.status,
        StatusCode::UNAUTHORIZED,
        "no token configured"
    );
    assert_eq!(reply.body["status"], 401);
    assert_eq!(reply.body["type"], ERROR_TYPE);

    let app = app().await;
    let missing = app.json("GET", "/stores/demo/v3/carts/x", &[], None).await;
    assert_eq!(missing.status, StatusCode::UNAUTHORIZED);
    let wrong = app
        .json(
            "GET",
            "/stores/demo/v3/carts/x",
            &[("x-auth-token", "guess")],
            None,
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let almost = app
        .json(
            "GET",
            "/stores/demo/v3/carts/x",
            &[("x-auth-token", &ADMIN_TOKEN[..ADMIN_TOKEN.len() - 1])],
            None,
        )
        .await;
    assert_eq!(almost.status, StatusCode::UNAUTHORIZED);
    let other_store = app
        .json(
            "GET",
            "/stores/other/v3/carts/x",
            &[("x-auth-token", ADMIN_TOKEN)],
            None,
        )
        .await;
    assert_eq!(other_store.status, StatusCode::NOT_FOUND);
    // The token is checked before the body is read.
    let unauthenticated_post = app
        .raw("POST", "/stores/demo/v3/carts", &[], "{broken")
        .await;
    assert_eq!(unauthenticated_post.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn management_create_read_delete() {
    let app = app().await;
    let created = app
        .admin(
            "POST",
            "/carts",
            Some(json!({
                "line_items": [{"quantity": 2, "product_id": COAT_PRODUCT, "variant_id": COAT_RED, "list_price": 12.5}],
                "custom_items": [{"sku": "abc-123", "name": "Custom Product", "quantity": 1, "list_price": 10}]
            })),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let data = &created.body["data"];
    assert_eq!(created.body["meta"], json!({}));
    assert_eq!(data["version"], 1);
    assert_eq!(data["channel_id"], 1);
    assert_eq!(data["tax_included"], false);
    let item = &data["line_items"]["physical_items"][0];
    assert_eq!(item["product_id"], COAT_PRODUCT);
    assert_eq!(item["original_price"], 129);
    assert_eq!(item["list_price"], 12.5);
    assert_eq!(item["extended_list_price"], 25);
    assert_eq!(item["is_require_shipping"], true);
    let custom = &data["line_items"]["custom_items"][0];
    assert_eq!(custom["sku"], "abc-123");
    assert_eq!(custom["name"], "Custom Product");
    assert_eq!(custom["list_price"], 10);
    assert_eq!(data["base_amount"], 35);
    assert_eq!(data["cart_amount"], 35);

    let id = data["id"].as_str().expect("id");
    let read = app.admin("GET", &format!("/carts/{id}"), None).await;
    assert_eq!(read.status, StatusCode::OK);
    assert_eq!(read.body["data"], *data);

    let missing = app.admin("GET", "/carts/no-such-cart", None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(
        missing.body,
        json!({"status": 404, "title": "Cart not found.", "type": ERROR_TYPE})
    );

    assert_eq!(
        app.admin("DELETE", &format!("/carts/{id}"), None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.admin("GET", &format!("/carts/{id}"), None).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.admin("DELETE", &format!("/carts/{id}"), None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn management_items_add_update_delete() {
    let app = app().await;
    let created = app
        .admin(
            "POST",
            "/carts",
            Some(json!({"line_items": [{"quantity": 1, "product_id": COAT_PRODUCT, "variant_id": COAT_RED}]})),
        )
        .await;
    let id = created.body["data"]["id"].as_str().expect("id").to_string();
    let added = app
        .admin(
            "POST",
            &format!("/carts/{id}/items"),
            Some(json!({
                "line_items": [{"quantity": 1, "product_id": GRANOLA_PRODUCT}],
                "custom_items": [{"sku": "gift-box", "name": "Gift box", "quantity": 1, "list_price": 4.99}],
                "gift_certificates": [{"name": "Happy Birthday", "theme": "birthday.html", "amount": 50, "quantity": 1,
                    "sender": {"name": "Jane", "email": "jane@example.com"},
                    "recipient": {"name": "Joe", "email": "joe@example.com"}, "message": "Happy Birthday Joe!"}],
                "version": 1
            })),
        )
        .await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.text);
    let data = &added.body["data"];
    assert_eq!(data["version"], 2);
    assert_eq!(data["line_items"]["gift_certificates"][0]["amount"], 50);
    assert_eq!(data["line_items"]["gift_certificates"][0]["taxable"], false);
    let coat = data["line_items"]["physical_items"][0]["id"]
        .as_str()
        .expect("coat")
        .to_string();
    let custom = data["line_items"]["custom_items"][0]["id"]
        .as_str()
        .expect("custom")
        .to_string();

    let put = app
        .admin(
            "PUT",
            &format!("/carts/{id}/items/{coat}"),
            Some(json!({"line_item": {"quantity": 3, "product_id": COAT_PRODUCT, "list_price": 99.99}, "version": 2})),
        )
        .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text);
    let item = &put.body["data"]["line_items"]["physical_items"][0];
    assert_eq!(item["quantity"], 3);
    assert_eq!(item["list_price"], 99.99);
    assert_eq!(item["extended_sale_price"], 299.97);

    let custom_put = app
        .admin(
            "PUT",
            &format!("/carts/{id}/items/{custom}"),
            Some(json!({"line_item": {"quantity": 2}})),
        )
        .await;
    assert_eq!(custom_put.status, StatusCode::UNPROCESSABLE_ENTITY);
    let name_put = app
        .admin(
            "PUT",
            &format!("/carts/{id}/items/{coat}"),
            Some(json!({"line_item": {"quantity": 2, "name": "Renamed"}})),
        )
        .await;
    assert_eq!(name_put.status, StatusCode::UNPROCESSABLE_ENTITY);

    let deleted = app
        .admin("DELETE", &format!("/carts/{id}/items/{coat}"), None)
        .await;
    assert_eq!(deleted.status, StatusCode::OK);
    assert_eq!(
        deleted.body["data"]["line_items"]["physical_items"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    let stale = app
        .admin(
            "DELETE",
            &format!("/carts/{id}/items/{custom}"),
            Some(json!({"version": 1})),
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert_eq!(stale.body, conflict_body());

    // Remove everything; the last delete answers 204 and the cart is gone.
    let lines: Vec<String> = {
        let cart = app.admin("GET", &format!("/carts/{id}"), None).await.body;
        let items = &cart["data"]["line_items"];
        [
            "physical_items",
            "digital_items",
            "custom_items",
            "gift_certificates",
        ]
        .iter()
        .flat_map(|k| items[*k].as_array().cloned().unwrap_or_default())
        .map(|i| i["id"].as_str().expect("id").to_string())
        .collect()
    };
    assert_eq!(lines.len(), 3);
    for (n, line) in lines.iter().enumerate() {
        let reply = app
            .admin("DELETE", &format!("/carts/{id}/items/{line}"), None)
            .await;
        let expected = if n + 1 == lines.len() {
            StatusCode::NO_CONTENT
        } else {
            StatusCode::OK
        };
        assert_eq!(reply.status, expected);
    }
    assert_eq!(
        app.admin("GET", &format!("/carts/{id}"), None).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn management_stock_and_json_errors() {
    let app = app().await;
    let stock = app
        .admin(
            "POST",
            "/carts",
            Some(json!({"line_items": [{"quantity": 11, "product_id": PRINT_PRODUCT}]})),
        )
        .await;
    assert_eq!(stock.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        stock.body,
        json!({"status": 422, "title": "You can only purchase a maximum of 10 of the Limited Edition Print per order.", "type": ERROR_TYPE})
    );
    let broken = app
        .send(crate::platform_common::request(
            "POST",
            "/stores/demo/v3/carts",
            &[("x-auth-token", ADMIN_TOKEN)],
            Some(("application/json", "[1,".into())),
        ))
        .await;
    assert_eq!(broken.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(broken.body["title"], "JSON data is missing or invalid");
    assert!(broken.body["errors"].is_object());
    let wrong = app
        .admin(
            "POST",
            "/carts",
            Some(
                json!({"custom_items": [{"sku": "a", "name": 5, "quantity": 1, "list_price": 1}]}),
            ),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        wrong.body["errors"],
        json!({"custom_items[0].name": "error.expected.jsstring"})
    );
    let unknown_product = app
        .admin(
            "POST",
            "/carts",
            Some(json!({"line_items": [{"quantity": 1, "product_id": 42}]})),
        )
        .await;
    assert_eq!(unknown_product.status, StatusCode::UNPROCESSABLE_ENTITY);
}

/// Twenty PUTs race on one cart, all carrying the same version: exactly one wins.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn management_twenty_concurrent_puts_one_winner() {
    let app = app().await;
    let created = app
        .admin(
            "POST",
            "/carts",
            Some(json!({"line_items": [{"quantity": 1, "product_id": GRANOLA_PRODUCT}]})),
        )
        .await;
    let data = &created.body["data"];
    let id = data["id"].as_str().expect("id").to_string();
    let version = data["version"].as_i64().expect("version");
    let item = data["line_items"]["physical_items"][0]["id"]
        .as_str()
        .expect("item")
        .to_string();

    let mut tasks = Vec::new();
    for n in 0..20_i64 {
        let router = app.router.clone();
        let uri = format!("/stores/demo/v3/carts/{id}/items/{item}");
        let body = json!({"line_item": {"quantity": n + 2, "product_id": GRANOLA_PRODUCT}, "version": version});
        tasks.push(tokio::spawn(async move {
            use tower::ServiceExt;
            let req = crate::platform_common::request(
                "PUT",
                &uri,
                &[("x-auth-token", ADMIN_TOKEN)],
                Some(("application/json", body.to_string())),
            );
            let reply =
                crate::platform_common::read(router.oneshot(req).await.expect("call")).await;
            (n + 2, reply)
        }));
    }
    let mut winners = Vec::new();
    let mut conflicts = 0;
    for task in tasks {
        let (quantity, reply) = task.await.expect("task");
        match reply.status {
            StatusCode::OK => winners.push(quantity),
            StatusCode::CONFLICT => {
                assert_eq!(reply.body, conflict_body());
                conflicts += 1;
            }
            other => panic!("unexpected {other}: {}", reply.text),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one PUT wins");
    assert_eq!(conflicts, 19);
    let cart = app.admin("GET", &format!("/carts/{id}"), None).await.body;
    assert_eq!(cart["data"]["version"], version + 1);
    assert_eq!(
        cart["data"]["line_items"]["physical_items"][0]["quantity"],
        winners[0]
    );
}
