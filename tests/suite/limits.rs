//! Limits and hostile bodies, through every dialect: each refusal is a 4xx in that platform's
//! error shape (never a 5xx, never axum's plain text, never a panic), and the cart is
//! byte-for-byte what it was before, as read back through all three APIs.

use crate::platform_common::*;
use axum::body::Body;
use bytes::Bytes;
use http::{Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

/// A response as raw bytes: the byte-for-byte comparisons need the text as sent.
#[derive(Debug)]
struct Raw {
    status: StatusCode,
    content_type: String,
    allow: Option<String>,
    body: Bytes,
}

impl Raw {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dialect {
    Shopify,
    BigCommerce,
    ElasticPath,
}

impl Dialect {
    fn of(uri: &str) -> Dialect {
        if uri.starts_with("/api/storefront") || uri.starts_with("/stores/") {
            Dialect::BigCommerce
        } else if uri.starts_with("/v2/") || uri.starts_with("/oauth/") {
            Dialect::ElasticPath
        } else {
            Dialect::Shopify
        }
    }
}

/// Asserts a 4xx answered as JSON in the dialect's documented error shape.
#[track_caller]
fn assert_refused(uri: &str, reply: &Raw, what: &str) {
    let status = reply.status.as_u16();
    assert!(
        (400..500).contains(&status),
        "{what}: {uri} answered {status}: {}",
        reply.text()
    );
    assert!(
        reply.content_type.starts_with("application/json"),
        "{what}: {uri} answered {status} as {:?}: {}",
        reply.content_type,
        reply.text()
    );
    let body: Value = serde_json::from_slice(&reply.body)
        .unwrap_or_else(|e| panic!("{what}: {uri}: not JSON ({e}): {}", reply.text()));
    assert_error_shape(Dialect::of(uri), status, &body, &format!("{what}: {uri}"));
}

#[track_caller]
fn assert_error_shape(dialect: Dialect, status: u16, body: &Value, what: &str) {
    match dialect {
        Dialect::Shopify => {
            let tag = &body["status"];
            assert!(
                tag == status || (status == 400 && tag == "bad_request"),
                "{what}: Shopify status field {tag} for {status}: {body}"
            );
            assert!(body["message"].is_string(), "{what}: {body}");
            assert!(body["description"].is_string(), "{what}: {body}");
        }
        Dialect::BigCommerce => {
            assert_eq!(body["status"], status, "{what}: {body}");
            assert!(
                body["title"].as_str().is_some_and(|t| !t.is_empty()),
                "{what}: {body}"
            );
            assert_eq!(
                body["type"],
                vitrine::api::bigcommerce::error::ERROR_TYPE,
                "{what}: {body}"
            );
        }
        Dialect::ElasticPath => {
            let errors = body["errors"]
                .as_array()
                .unwrap_or_else(|| panic!("{what}: no errors array: {body}"));
            assert!(!errors.is_empty(), "{what}: {body}");
            for error in errors {
                assert!(error["status"].is_u64(), "{what}: {body}");
                assert!(error["title"].is_string(), "{what}: {body}");
            }
            if errors.len() == 1 {
                assert_eq!(errors[0]["status"], status, "{what}: {body}");
            }
        }
    }
}

/// One store, one cart with three lines (a tracked coat, an untracked gift card with
/// properties, granola), a note and attributes, reachable through all three dialects.
struct Fixture {
    app: TestApp,
    cookie: String,
    ep_auth: String,
    cart: String,
    /// The gift card line's id (BigCommerce and Elastic Path item id) and Shopify key.
    gift_line: String,
    gift_key: String,
    coat_line: String,
}

async fn fixture() -> Fixture {
    let app = app().await;
    let mut visitor = app.visitor();
    let added = visitor
        .json(
            "POST",
            "/cart/add.js",
            Some(json!({"items": [
                {"id": COAT_RED, "quantity": 1},
                {"id": GIFT_CARD, "quantity": 2, "properties": {"To": "Ana"}},
                {"id": GRANOLA, "quantity": 3},
            ]})),
        )
        .await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.text);
    let updated = visitor
        .json(
            "POST",
            "/cart/update.js",
            Some(json!({"note": "Leave at the door", "attributes": {"Gift wrap": "Yes"}})),
        )
        .await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.text);
    let cart = updated.body["token"].as_str().expect("token").to_string();
    let gift_key = updated.body["items"][1]["key"]
        .as_str()
        .expect("key")
        .to_string();
    let admin = app.admin("GET", &format!("/carts/{cart}"), None).await;
    let physical = &admin.body["data"]["line_items"]["physical_items"];
    let digital = &admin.body["data"]["line_items"]["digital_items"];
    let line_of = |items: &Value, variant: i64| {
        items
            .as_array()
            .and_then(|items| items.iter().find(|i| i["variant_id"] == variant))
            .and_then(|i| i["id"].as_str())
            .map(str::to_string)
    };
    let gift_line = line_of(digital, GIFT_CARD)
        .or_else(|| line_of(physical, GIFT_CARD))
        .unwrap_or_else(|| panic!("no gift card line in {}", admin.text));
    let coat_line = line_of(physical, COAT_RED).expect("coat line");
    let ep_auth = format!("Bearer {}", app.ep_token().await);
    Fixture {
        cookie: visitor.cookie.clone().expect("session cookie"),
        app,
        ep_auth,
        cart,
        gift_line,
        gift_key,
        coat_line,
    }
}

impl Fixture {
    /// A request with the visitor's cookie, the admin token and the bearer token: each dialect
    /// reads only its own credential.
    async fn call(&self, method: &str, uri: &str, content_type: &str, body: Body) -> Raw {
        let request = Request::builder()
            .method(Method::from_bytes(method.as_bytes()).expect("method"))
            .uri(uri)
            .header(header::COOKIE, &self.cookie)
            .header("x-auth-token", ADMIN_TOKEN)
            .header(header::AUTHORIZATION, &self.ep_auth)
            .header(header::CONTENT_TYPE, content_type)
            .header(header::ACCEPT, "application/json")
            .body(body)
            .expect("request");
        let response = self
            .app
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("infallible");
        let status = response.status();
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let allow = response
            .headers()
            .get(header::ALLOW)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        Raw {
            status,
            content_type,
            allow,
            body,
        }
    }

    async fn get(&self, uri: &str) -> Raw {
        let reply = self
            .call("GET", uri, "application/json", Body::empty())
            .await;
        assert_eq!(reply.status, StatusCode::OK, "GET {uri}: {}", reply.text());
        reply
    }

    /// The cart as each dialect shows it, byte for byte.
    async fn snapshot(&self) -> Vec<(String, Bytes)> {
        let cart = &self.cart;
        let mut out = Vec::new();
        for uri in [
            "/cart.js".to_string(),
            "/api/storefront/carts".to_string(),
            format!("/stores/{STORE_HASH}/v3/carts/{cart}"),
            format!("/v2/carts/{cart}"),
            format!("/v2/carts/{cart}/items"),
        ] {
            let body = self.get(&uri).await.body;
            out.push((uri, body));
        }
        out
    }

    /// Sends `body` and asserts a refusal in the dialect's shape that left the cart as it was.
    async fn refused(&self, method: &str, uri: &str, content_type: &str, body: Body, what: &str) {
        let before = self.snapshot().await;
        let reply = self.call(method, uri, content_type, body).await;
        assert_refused(uri, &reply, what);
        let after = self.snapshot().await;
        for ((view, old), (_, new)) in before.iter().zip(after.iter()) {
            assert!(
                old == new,
                "{what}: {method} {uri} changed the cart as {view} shows it:\nbefore {}\nafter  {}",
                String::from_utf8_lossy(old),
                String::from_utf8_lossy(new)
            );
        }
    }

    async fn refused_json(&self, method: &str, uri: &str, body: &str, what: &str) {
        self.refused(
            method,
            uri,
            "application/json",
            Body::from(body.to_string()),
            what,
        )
        .await;
    }

    /// Every endpoint that reads a body, with the cart's own ids in its path.
    fn body_endpoints(&self) -> Vec<(&'static str, String)> {
        let (cart, line) = (&self.cart, &self.gift_line);
        let bc = format!("/api/storefront/carts/{cart}");
        let mgmt = format!("/stores/{STORE_HASH}/v3/carts");
        let ep = format!("/v2/carts/{cart}");
        vec![
            ("POST", "/cart/add.js".into()),
            ("POST", "/cart/add".into()),
            ("POST", "/fr/cart/add.js".into()),
            ("POST", "/cart/update.js".into()),
            ("POST", "/cart/change.js".into()),
            ("POST", "/cart/clear.js".into()),
            ("POST", "/api/storefront/carts".into()),
            ("POST", format!("{bc}/items")),
            ("PUT", format!("{bc}/items/{line}")),
            ("DELETE", format!("{bc}/items/{line}")),
            ("POST", mgmt.clone()),
            ("POST", format!("{mgmt}/{cart}/items")),
            ("PUT", format!("{mgmt}/{cart}/items/{line}")),
            ("DELETE", format!("{mgmt}/{cart}/items/{line}")),
            ("POST", "/v2/carts".into()),
            ("POST", format!("{ep}/items")),
            ("PUT", format!("{ep}/items")),
            ("PUT", format!("{ep}/items/{line}")),
            ("DELETE", format!("{ep}/items/{line}")),
            ("DELETE", format!("{ep}/items")),
            ("POST", "/oauth/access_token".into()),
        ]
    }

    /// A good change still goes through: no refusal above broke the store.
    async fn still_writable(&self) {
        let reply = self
            .call(
                "POST",
                "/cart/add.js",
                "application/json",
                Body::from(
                    json!({"id": GIFT_CARD, "quantity": 1, "properties": {"To": "Ana"}})
                        .to_string(),
                ),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    }
}

const OVER_LIMIT: usize = vitrine::MAX_BODY_BYTES + 64 * 1024;

/// A valid JSON object just over the body limit.
fn oversized_json() -> String {
    format!("{{\"note\":\"{}\"}}", "x".repeat(OVER_LIMIT))
}

#[tokio::test]
async fn bodies_over_one_mebibyte_answer_413_in_each_dialects_shape() {
    let f = fixture().await;
    for (method, uri) in f.body_endpoints() {
        f.refused(
            method,
            &uri,
            "application/json",
            Body::from(oversized_json()),
            "1 MiB + 64 KiB body",
        )
        .await;
        let reply = f
            .call(
                method,
                &uri,
                "application/json",
                Body::from(oversized_json()),
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::PAYLOAD_TOO_LARGE,
            "{method} {uri}"
        );
        // The same without a length: a chunked body is cut off at the limit too.
        let chunks: Vec<Result<Bytes, std::io::Error>> = (0..OVER_LIMIT / 8192 + 1)
            .map(|_| Ok(Bytes::from(vec![b' '; 8192])))
            .collect();
        let streamed = Body::from_stream(futures_util::stream::iter(chunks));
        let reply = f.call(method, &uri, "application/json", streamed).await;
        assert_eq!(
            reply.status,
            StatusCode::PAYLOAD_TOO_LARGE,
            "{method} {uri} (streamed): {}",
            reply.text()
        );
        assert_refused(&uri, &reply, "streamed body");
    }
    f.still_writable().await;
}

#[tokio::test]
async fn malformed_bodies_are_refused_in_each_dialects_shape() {
    let f = fixture().await;
    let deep = |depth: usize| format!("{{\"a\":{}{}}}", "[".repeat(depth), "]".repeat(depth));
    let many_pairs: String = (0..1_001)
        .map(|i| format!("k{i}=v"))
        .collect::<Vec<_>>()
        .join("&");
    let bodies: Vec<(&str, &str, Vec<u8>)> = vec![
        (
            "invalid UTF-8",
            "application/json",
            b"\xff\xfe\x00{\"id\":1}".to_vec(),
        ),
        (
            "invalid UTF-8 in a string",
            "application/json",
            b"{\"id\":\"\xc3\x28\",\"note\":\"\xff\"}".to_vec(),
        ),
        (
            "JSON nested past the recursion limit",
            "application/json",
            deep(200).into_bytes(),
        ),
        (
            "JSON nested 100k deep",
            "application/json",
            deep(100_000).into_bytes(),
        ),
        (
            "truncated JSON",
            "application/json",
            b"{\"items\":[{\"id\":".to_vec(),
        ),
        (
            "a number too large for f64",
            "application/json",
            b"{\"quantity\":1e400}".to_vec(),
        ),
        (
            "JSON that is not an object",
            "application/json",
            b"[1,2,3]".to_vec(),
        ),
        (
            "1,001 form pairs",
            "application/x-www-form-urlencoded",
            many_pairs.into_bytes(),
        ),
    ];
    for (method, uri) in f.body_endpoints() {
        for (what, content_type, bytes) in &bodies {
            // The token endpoint reads forms; a form without grant_type is its refusal too.
            f.refused(method, &uri, content_type, Body::from(bytes.clone()), what)
                .await;
        }
    }
    f.still_writable().await;
}

/// Quantity literals no dialect may accept: over the limit, past i64, negative, fractional.
const BAD_QUANTITIES: [&str; 9] = [
    "1000001",
    "9223372036854775807",
    "9223372036854775808",
    "18446744073709551616",
    "-1",
    "-9223372036854775808",
    "1e400",
    "2.5",
    "1e7",
];

#[tokio::test]
async fn bad_quantities_are_refused_in_each_dialects_shape() {
    let f = fixture().await;
    let (cart, gift, coat, key) = (&f.cart, &f.gift_line, &f.coat_line, &f.gift_key);
    let bc = format!("/api/storefront/carts/{cart}");
    let mgmt = format!("/stores/{STORE_HASH}/v3/carts");
    let ep = format!("/v2/carts/{cart}");
    for q in BAD_QUANTITIES {
        let cases: Vec<(&str, String, String)> = vec![
            (
                "POST",
                "/cart/add.js".into(),
                format!(r#"{{"id":{GIFT_CARD},"quantity":{q}}}"#),
            ),
            (
                "POST",
                "/cart/add.js".into(),
                format!(
                    r#"{{"items":[{{"id":{GIFT_CARD},"quantity":1}},{{"id":{COAT_RED},"quantity":{q}}}]}}"#
                ),
            ),
            (
                "POST",
                "/cart/add.js".into(),
                format!(r#"{{"id":{GIFT_CARD},"quantity":"{q}"}}"#),
            ),
            (
                "POST",
                "/cart/update.js".into(),
                format!(r#"{{"updates":{{"{key}":{q}}}}}"#),
            ),
            (
                "POST",
                "/cart/update.js".into(),
                format!(r#"{{"updates":{{"{GIFT_CARD}":{q}}}}}"#),
            ),
            (
                "POST",
                "/cart/update.js".into(),
                format!(r#"{{"updates":[1,{q},3]}}"#),
            ),
            (
                "POST",
                "/cart/change.js".into(),
                format!(r#"{{"line":2,"quantity":{q}}}"#),
            ),
            (
                "POST",
                "/cart/change.js".into(),
                format!(r#"{{"id":"{key}","quantity":{q}}}"#),
            ),
            (
                "POST",
                format!("{bc}/items"),
                format!(
                    r#"{{"lineItems":[{{"productId":{GIFT_CARD_PRODUCT},"variantId":{GIFT_CARD},"quantity":{q}}}]}}"#
                ),
            ),
            (
                "POST",
                format!("{bc}/items"),
                format!(
                    r#"{{"lineItems":[{{"productId":{COAT_PRODUCT},"variantId":{COAT_RED},"quantity":{q}}},{{"productId":{COAT_PRODUCT},"variantId":{COAT_RED},"quantity":{q}}}]}}"#
                ),
            ),
            (
                "PUT",
                format!("{bc}/items/{gift}"),
                format!(
                    r#"{{"lineItem":{{"productId":{GIFT_CARD_PRODUCT},"variantId":{GIFT_CARD},"quantity":{q}}}}}"#
                ),
            ),
            (
                "PUT",
                format!("{bc}/items/{coat}"),
                format!(
                    r#"{{"lineItem":{{"productId":{COAT_PRODUCT},"variantId":{COAT_RED},"quantity":{q}}}}}"#
                ),
            ),
            (
                "POST",
                format!("{mgmt}/{cart}/items"),
                format!(
                    r#"{{"line_items":[{{"product_id":{COAT_PRODUCT},"variant_id":{COAT_RED},"quantity":{q}}}]}}"#
                ),
            ),
            (
                "POST",
                format!("{mgmt}/{cart}/items"),
                format!(
                    r#"{{"custom_items":[{{"sku":"s","name":"N","quantity":{q},"list_price":1}}]}}"#
                ),
            ),
            (
                "POST",
                format!("{mgmt}/{cart}/items"),
                format!(
                    r#"{{"gift_certificates":[{{"name":"G","theme":"general.html","amount":10,"quantity":{q},"sender":{{"name":"A","email":"a@example.com"}},"recipient":{{"name":"B","email":"b@example.com"}}}}]}}"#
                ),
            ),
            (
                "PUT",
                format!("{mgmt}/{cart}/items/{gift}"),
                format!(
                    r#"{{"line_item":{{"product_id":{GIFT_CARD_PRODUCT},"variant_id":{GIFT_CARD},"quantity":{q}}}}}"#
                ),
            ),
            (
                "POST",
                format!("{ep}/items"),
                format!(
                    r#"{{"data":{{"type":"cart_item","id":"{GIFT_CARD_UUID}","quantity":{q}}}}}"#
                ),
            ),
            (
                "POST",
                format!("{ep}/items"),
                format!(
                    r#"{{"data":{{"type":"cart_item","id":"{COAT_RED_UUID}","quantity":{q}}}}}"#
                ),
            ),
            (
                "POST",
                format!("{ep}/items"),
                format!(
                    r#"{{"data":[{{"type":"custom_item","name":"Tip","sku":"tip","quantity":{q},"price":{{"amount":100}}}}],"options":{{"add_all_or_nothing":true}}}}"#
                ),
            ),
            (
                "PUT",
                format!("{ep}/items/{gift}"),
                format!(r#"{{"data":{{"type":"cart_item","id":"{gift}","quantity":{q}}}}}"#),
            ),
            (
                "PUT",
                format!("{ep}/items"),
                format!(r#"{{"data":[{{"id":"{gift}","quantity":{q}}}]}}"#),
            ),
        ];
        for (method, uri, body) in cases {
            f.refused_json(method, &uri, &body, &format!("quantity {q} in {body}"))
                .await;
        }
    }
    f.still_writable().await;
}

#[tokio::test]
async fn repeated_adds_cannot_push_a_line_past_the_limit() {
    let f = fixture().await;
    let cart = &f.cart;
    // The gift card line holds 2: 999,999 more is over the limit of 1,000,000.
    let more = 999_999;
    f.refused_json(
        "POST",
        "/cart/add.js",
        &json!({"id": GIFT_CARD, "quantity": more, "properties": {"To": "Ana"}}).to_string(),
        "Shopify add onto a line",
    )
    .await;
    // Elastic Path: a new gift card line (no custom inputs) at the limit, then one more of it.
    let ep_auth = f.ep_auth.clone();
    let at_limit = f
        .app
        .json(
            "POST",
            &format!("/v2/carts/{cart}/items"),
            &[("authorization", ep_auth.as_str())],
            Some(
                json!({"data": {"type": "cart_item", "id": GIFT_CARD_UUID, "quantity": 1_000_000}}),
            ),
        )
        .await;
    assert_eq!(at_limit.status, StatusCode::CREATED, "{}", at_limit.text);
    f.refused_json(
        "POST",
        &format!("/v2/carts/{cart}/items"),
        &json!({"data": {"type": "cart_item", "id": GIFT_CARD_UUID, "quantity": 1}}).to_string(),
        "Elastic Path add onto a line",
    )
    .await;
    // A custom item at the limit, then one more of it.
    let custom = json!({"custom_items": [{"sku": "big", "name": "Big", "quantity": 1_000_000, "list_price": 100_000_000}]});
    let made = f
        .app
        .admin(
            "POST",
            &format!("/carts/{cart}/items"),
            Some(custom.clone()),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text);
    f.refused_json(
        "POST",
        &format!("/stores/{STORE_HASH}/v3/carts/{cart}/items"),
        &json!({"custom_items": [{"sku": "big", "name": "Big", "quantity": 1, "list_price": 100_000_000}]})
            .to_string(),
        "BigCommerce custom item onto a full line",
    )
    .await;
    // The largest line the store accepts still prices without overflow in every view.
    f.snapshot().await;
    f.still_writable().await;
}

#[tokio::test]
async fn oversized_text_is_refused_in_each_dialects_shape() {
    let f = fixture().await;
    let (cart, gift, key) = (&f.cart, &f.gift_line, &f.gift_key);
    let long = |n: usize| "é".repeat(n);
    let many = |n: usize| {
        (0..n)
            .map(|i| (format!("k{i}"), Value::from("v")))
            .collect::<serde_json::Map<_, _>>()
    };
    let shopify: Vec<(&str, Value)> = vec![
        ("/cart/update.js", json!({"note": long(5_001)})),
        ("/cart/update.js", json!({"attributes": many(101)})),
        (
            "/cart/update.js",
            json!({"attributes": {"Gift note": long(5_001)}}),
        ),
        ("/cart/update.js", json!({"attributes": {long(256): "v"}})),
        (
            "/cart/update.js",
            json!({"discount": (0..11).map(|i| format!("CODE{i}")).collect::<Vec<_>>().join(",")}),
        ),
        ("/cart/update.js", json!({"discount": long(256)})),
        (
            "/cart/add.js",
            json!({"id": GIFT_CARD, "properties": many(51)}),
        ),
        (
            "/cart/add.js",
            json!({"id": GIFT_CARD, "properties": {"To": long(5_001)}}),
        ),
        (
            "/cart/add.js",
            json!({"id": GIFT_CARD, "properties": {long(256): "x"}}),
        ),
        (
            "/cart/add.js",
            json!({"id": GIFT_CARD, "properties": {"Nested": [long(2_600), long(2_600)]}}),
        ),
        (
            "/cart/change.js",
            json!({"id": key, "properties": many(51)}),
        ),
        (
            "/cart/change.js",
            json!({"line": 2, "properties": {"To": long(5_001)}}),
        ),
    ];
    for (uri, body) in shopify {
        f.refused_json("POST", uri, &body.to_string(), "Shopify text limit")
            .await;
    }
    // The no-JS form carries the same fields as pairs.
    let note = format!("note={}", "n".repeat(5_001));
    f.refused(
        "POST",
        "/cart/update.js",
        "application/x-www-form-urlencoded",
        Body::from(note),
        "form note",
    )
    .await;

    let bc = format!("/api/storefront/carts/{cart}/items");
    let wrap = |message: String| {
        json!({"lineItems": [{"productId": GRANOLA_PRODUCT, "quantity": 1,
            "giftWrapping": {"wrapTogether": true, "wrapDetails": [{"id": 1, "message": message}]}}]})
    };
    f.refused_json(
        "POST",
        &bc,
        &wrap(long(256)).to_string(),
        "gift wrap message",
    )
    .await;
    f.refused_json(
        "PUT",
        &format!("{bc}/{gift}"),
        &json!({"lineItem": {"productId": GIFT_CARD_PRODUCT, "variantId": GIFT_CARD, "quantity": 1,
            "giftWrapping": {"wrapTogether": false, "wrapDetails": [{"id": 1, "message": long(256)}]}}})
        .to_string(),
        "gift wrap message in a PUT",
    )
    .await;
    let mgmt = format!("/stores/{STORE_HASH}/v3/carts/{cart}/items");
    for custom in [
        json!({"sku": "s", "name": long(256), "quantity": 1, "list_price": 1}),
        json!({"sku": long(256), "name": "n", "quantity": 1, "list_price": 1}),
        json!({"sku": "s", "name": "n", "quantity": 1, "list_price": 1, "image_url": long(5_001)}),
        json!({"sku": "s", "name": "n", "quantity": 1, "list_price": 1e300}),
    ] {
        f.refused_json(
            "POST",
            &mgmt,
            &json!({ "custom_items": [custom] }).to_string(),
            "custom item text",
        )
        .await;
    }
    f.refused_json(
        "POST",
        &mgmt,
        &json!({"line_items": [{"product_id": GRANOLA_PRODUCT, "quantity": 1}], "locale": long(11)})
            .to_string(),
        "locale",
    )
    .await;

    let ep = format!("/v2/carts/{cart}/items");
    let inputs = |inputs: Value| json!({"data": {"type": "cart_item", "id": GIFT_CARD_UUID, "quantity": 1, "custom_inputs": inputs}});
    for body in [
        inputs(Value::Object(many(51))),
        inputs(json!({"note": long(10_001)})),
        json!({"data": {"type": "custom_item", "name": long(256), "sku": "s", "quantity": 1, "price": {"amount": 1}}}),
        json!({"data": {"type": "custom_item", "name": "n", "sku": "s", "quantity": 1, "description": long(5_001), "price": {"amount": 1}}}),
        json!({"data": {"type": "custom_item", "name": "n", "sku": "s", "quantity": 1, "price": {"amount": 10_000_000_001_i64}}}),
    ] {
        f.refused_json("POST", &ep, &body.to_string(), "Elastic Path text limit")
            .await;
    }
    f.refused_json(
        "PUT",
        &format!("{ep}/{gift}"),
        &inputs(Value::Object(many(51)))["data"]
            .as_object()
            .map(|d| {
                let mut d = d.clone();
                d.insert("id".into(), Value::from(gift.as_str()));
                json!({ "data": d })
            })
            .expect("object")
            .to_string(),
        "Elastic Path custom inputs in a PUT",
    )
    .await;
    f.still_writable().await;
}

#[tokio::test]
async fn a_cart_of_500_lines_takes_no_501st_in_any_dialect() {
    let f = fixture().await;
    let cart = &f.cart;
    // 497 more gift card lines, each made distinct by a property: 500 lines in all.
    let items: Vec<Value> = (0..497)
        .map(|n| json!({"id": GIFT_CARD, "quantity": 1, "properties": {"n": n}}))
        .collect();
    let full = f
        .call(
            "POST",
            "/cart/add.js",
            "application/json",
            Body::from(json!({ "items": items }).to_string()),
        )
        .await;
    assert_eq!(full.status, StatusCode::OK, "{}", full.text());
    let count = f
        .app
        .state
        .store()
        .cart(cart)
        .await
        .expect("read")
        .map(|c| c.lines.len());
    assert_eq!(count, Some(500));

    let cases: Vec<(&str, String, Value)> = vec![
        (
            "POST",
            "/cart/add.js".into(),
            json!({"id": GIFT_CARD, "properties": {"n": "new"}}),
        ),
        (
            "POST",
            "/cart/add.js".into(),
            json!({"items": [{"id": HAT_YELLOW, "quantity": 1}]}),
        ),
        (
            "POST",
            "/cart/update.js".into(),
            json!({"updates": {HAT_YELLOW.to_string(): 1}}),
        ),
        (
            "POST",
            format!("/api/storefront/carts/{cart}/items"),
            json!({"lineItems": [{"productId": HAT_PRODUCT, "variantId": HAT_YELLOW, "quantity": 1}]}),
        ),
        (
            "POST",
            format!("/stores/{STORE_HASH}/v3/carts/{cart}/items"),
            json!({"custom_items": [{"sku": "one-more", "name": "One more", "quantity": 1, "list_price": 1}]}),
        ),
        (
            "POST",
            format!("/v2/carts/{cart}/items"),
            json!({"data": {"type": "custom_item", "name": "One more", "sku": "one-more", "quantity": 1, "price": {"amount": 1}}}),
        ),
    ];
    for (method, uri, body) in cases {
        f.refused_json(method, &uri, &body.to_string(), "a 501st line")
            .await;
    }
    // More of a line already there is still fine.
    f.still_writable().await;
}

/// What axum refuses before any handler runs (a method a route does not have, a path segment
/// that is not UTF-8) is answered in the dialect's shape too, not as empty or plain text.
#[tokio::test]
async fn refusals_before_any_handler_answer_in_each_dialects_shape() {
    let f = fixture().await;
    let (cart, line) = (&f.cart, &f.gift_line);
    let cases: Vec<(&str, String, u16)> = vec![
        ("GET", "/cart/add.js".into(), 405),
        ("PATCH", "/cart/change.js".into(), 405),
        ("PUT", "/cart.js".into(), 405),
        ("DELETE", "/fr/cart/update.js".into(), 405),
        ("PATCH", "/api/storefront/carts".into(), 405),
        ("GET", format!("/api/storefront/carts/{cart}"), 405),
        ("POST", "/api/storefront/carts/%FF/items".into(), 400),
        (
            "PUT",
            format!("/api/storefront/carts/{cart}/items/%C3%28"),
            400,
        ),
        (
            "PATCH",
            format!("/stores/{STORE_HASH}/v3/carts/{cart}"),
            405,
        ),
        (
            "GET",
            format!("/stores/{STORE_HASH}/v3/carts/{cart}/items/{line}"),
            405,
        ),
        ("PATCH", format!("/v2/carts/{cart}"), 405),
        ("POST", format!("/v2/carts/{cart}/items/{line}"), 405),
        ("GET", "/v2/carts/%FF".into(), 400),
        ("PUT", format!("/v2/carts/{cart}/items/%FF%FE"), 400),
        ("GET", "/oauth/access_token".into(), 405),
    ];
    for (method, uri, status) in cases {
        f.refused(
            method,
            &uri,
            "application/json",
            Body::from("{}"),
            "refused by the router",
        )
        .await;
        let reply = f
            .call(method, &uri, "application/json", Body::from("{}"))
            .await;
        assert_eq!(
            reply.status.as_u16(),
            status,
            "{method} {uri}: {}",
            reply.text()
        );
        if status == 405 {
            assert!(reply.allow.is_some(), "{method} {uri}: no Allow header");
        }
    }
}

const HAT_PRODUCT: i64 = 7021400000002;
const HAT_YELLOW: i64 = 794864053;
