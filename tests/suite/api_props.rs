//! Property tests over the whole router: arbitrary JSON values and arbitrary bracket-named form
//! bodies, sent to every cart endpoint of every dialect, never get a 5xx, never panic, are
//! always answered with JSON in that dialect's shape (or an empty 204), and when refused (4xx)
//! leave the stored cart exactly as it was.
//!
//! The values are built from each dialect's own field names, so most of them get past the
//! first checks and reach the cart rules. See `config` for the case count and the seed.

use std::sync::LazyLock;

use crate::platform_common::*;
use axum::body::Body;
use http::{Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use proptest::prelude::*;
use proptest::test_runner::{RngSeed, TestRunner};
use serde_json::{Map, Value, json};
use tower::ServiceExt;

static RUNTIME: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
});

/// 48 cases per property unless `PROPTEST_CASES` says otherwise, from a fixed seed unless
/// `PROPTEST_RNG_SEED` gives another: every run of CI explores the same bodies.
fn config() -> ProptestConfig {
    let defaults = ProptestConfig::default();
    let rng_seed = if std::env::var_os("PROPTEST_RNG_SEED").is_none() {
        RngSeed::Fixed(0x0076_6974_7269_6e65)
    } else {
        defaults.rng_seed
    };
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(48),
        rng_seed,
        // Each case is a few dozen requests; a failure shrinks fast enough with fewer steps.
        max_shrink_iters: 256,
        failure_persistence: None,
        ..defaults
    }
}

/// One store with one cart that every dialect can reach: a cookie for Shopify and the
/// BigCommerce Storefront API, the admin token and a bearer token.
struct Fixture {
    app: TestApp,
    cookie: String,
    ep_auth: String,
    cart: String,
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
            ]})),
        )
        .await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.text);
    let cart = visitor.json("GET", "/cart.js", None).await.body["token"]
        .as_str()
        .expect("token")
        .to_string();
    let ep_auth = format!("Bearer {}", app.ep_token().await);
    Fixture {
        cookie: visitor.cookie.clone().expect("cookie"),
        app,
        ep_auth,
        cart,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dialect {
    Shopify,
    BigCommerce,
    ElasticPath,
}

/// One cart endpoint that reads a body, and a request it would accept: the template that
/// mutated bodies start from. `{cart}` and `{line}` are filled in when the request is sent.
struct Endpoint {
    dialect: Dialect,
    method: &'static str,
    path: &'static str,
    /// Sent without the visitor's cookie: creating a Storefront cart would make it the
    /// visitor's cart and take the fixture's cart away from the cookie.
    anonymous: bool,
    template: fn() -> Value,
}

const fn endpoint(
    dialect: Dialect,
    method: &'static str,
    path: &'static str,
    template: fn() -> Value,
) -> Endpoint {
    Endpoint {
        dialect,
        method,
        path,
        anonymous: false,
        template,
    }
}

/// Every cart endpoint that reads a body, in an order that adds first and empties the cart
/// last, so that each case starts from a small cart and the line endpoints find lines.
const ENDPOINTS: [Endpoint; 22] = [
    endpoint(Dialect::Shopify, "POST", "/cart/add.js", || {
        json!({"items": [{"id": GIFT_CARD, "quantity": 1, "properties": {"To": "Ana"}},
            {"id": COAT_RED, "quantity": 1}], "sections": "cart-drawer", "sections_url": "/cart"})
    }),
    endpoint(
        Dialect::Shopify,
        "POST",
        "/cart/add",
        || json!({"id": GRANOLA, "quantity": 2, "return_to": "/cart"}),
    ),
    endpoint(
        Dialect::Shopify,
        "POST",
        "/fr/cart/add.js",
        || json!({"id": GIFT_CARD, "quantity": 1, "selling_plan": null}),
    ),
    endpoint(Dialect::Shopify, "POST", "/cart/update.js", || {
        json!({"updates": {GIFT_CARD.to_string(): 3}, "note": "n", "attributes": {"a": "b"},
            "discount": "WELCOME10"})
    }),
    endpoint(
        Dialect::Shopify,
        "POST",
        "/cart/change.js",
        || json!({"line": 1, "quantity": 2, "properties": {"x": "y"}}),
    ),
    endpoint(
        Dialect::Shopify,
        "POST",
        "/cart",
        || json!({"updates": [1, 2], "note": "x", "attributes": {"Gift wrap": "Yes"}}),
    ),
    Endpoint {
        anonymous: true,
        ..endpoint(
            Dialect::BigCommerce,
            "POST",
            "/api/storefront/carts",
            || json!({"lineItems": [{"productId": COAT_PRODUCT, "variantId": COAT_RED, "quantity": 1}]}),
        )
    },
    endpoint(
        Dialect::BigCommerce,
        "POST",
        "/api/storefront/carts/{cart}/items",
        || {
            json!({"lineItems": [{"productId": GRANOLA_PRODUCT, "quantity": 1,
            "giftWrapping": {"wrapTogether": true, "wrapDetails": [{"id": 1, "message": "hi"}]}}],
            "giftCertificates": [{"name": "G", "theme": "general.html", "amount": 25, "quantity": 1,
                "sender": {"name": "A", "email": "a@example.com"},
                "recipient": {"name": "B", "email": "b@example.com"}}]})
        },
    ),
    endpoint(
        Dialect::BigCommerce,
        "PUT",
        "/api/storefront/carts/{cart}/items/{line}",
        || json!({"lineItem": {"quantity": 2, "giftWrapping": null}}),
    ),
    endpoint(
        Dialect::BigCommerce,
        "POST",
        "/stores/demo/v3/carts",
        || {
            json!({"line_items": [{"quantity": 1, "product_id": COAT_PRODUCT, "variant_id": COAT_RED,
            "list_price": 12.5}],
            "custom_items": [{"sku": "abc", "name": "Custom", "quantity": 1, "list_price": 10}]})
        },
    ),
    endpoint(
        Dialect::BigCommerce,
        "POST",
        "/stores/demo/v3/carts/{cart}/items",
        || {
            json!({"line_items": [{"quantity": 1, "product_id": GRANOLA_PRODUCT}],
            "custom_items": [{"sku": "tip", "name": "Tip", "quantity": 1, "list_price": 5}]})
        },
    ),
    endpoint(
        Dialect::BigCommerce,
        "PUT",
        "/stores/demo/v3/carts/{cart}/items/{line}",
        || json!({"line_item": {"quantity": 3, "list_price": 9.99}}),
    ),
    endpoint(
        Dialect::ElasticPath,
        "POST",
        "/v2/carts",
        || json!({"data": {"name": "n", "description": "d"}}),
    ),
    endpoint(
        Dialect::ElasticPath,
        "POST",
        "/v2/carts/{cart}/items",
        || {
            json!({"data": [
            {"type": "cart_item", "id": GIFT_CARD_UUID, "quantity": 1, "custom_inputs": {"a": "b"}},
            {"type": "custom_item", "name": "Tip", "sku": "tip", "quantity": 1,
                "price": {"amount": 500, "includes_tax": true}}],
            "options": {"add_all_or_nothing": false}})
        },
    ),
    endpoint(
        Dialect::ElasticPath,
        "PUT",
        "/v2/carts/{cart}/items",
        || json!({"data": [{"id": "{line}", "quantity": 2}], "options": {"update_all_or_nothing": true}}),
    ),
    endpoint(
        Dialect::ElasticPath,
        "PUT",
        "/v2/carts/{cart}/items/{line}",
        || json!({"data": {"type": "cart_item", "id": "{line}", "quantity": 2, "custom_inputs": {"x": "y"}}}),
    ),
    endpoint(
        Dialect::ElasticPath,
        "POST",
        "/oauth/access_token",
        || json!({"grant_type": "implicit", "client_id": EP_CLIENT}),
    ),
    endpoint(
        Dialect::BigCommerce,
        "DELETE",
        "/api/storefront/carts/{cart}/items/{line}",
        || json!({}),
    ),
    endpoint(
        Dialect::BigCommerce,
        "DELETE",
        "/stores/demo/v3/carts/{cart}/items/{line}",
        || json!({"version": null}),
    ),
    endpoint(
        Dialect::ElasticPath,
        "DELETE",
        "/v2/carts/{cart}/items/{line}",
        || json!({}),
    ),
    endpoint(
        Dialect::ElasticPath,
        "DELETE",
        "/v2/carts/{cart}/items",
        || json!({}),
    ),
    endpoint(Dialect::Shopify, "POST", "/cart/clear.js", || json!({})),
];

/// Which line `{line}` names: one of the cart's lines at the time of the request, or any text.
#[derive(Debug, Clone)]
enum LineRef {
    Index(usize),
    Text(String),
}

/// A change to a template: at the `selector`-th place of the tree (modulo their number).
#[derive(Debug, Clone)]
enum Mutation {
    Replace(usize, Value),
    Remove(usize),
    Insert(usize, String, Value),
}

/// The fixture's cart as stored (version and timestamps included), and how many carts exist.
async fn stored(f: &Fixture) -> (Option<vitrine::cart::Cart>, i64) {
    let store = f.app.state.store();
    let cart = store.cart(&f.cart).await.expect("the store reads");
    (cart, store.count_carts().await.expect("the store counts"))
}

/// Sends one body to one endpoint and checks the answer, and that a refusal (4xx) left the
/// store as it was. `Err` describes what was wrong.
async fn check(
    f: &Fixture,
    endpoint: &Endpoint,
    line: &LineRef,
    content_type: &str,
    body: Vec<u8>,
) -> Result<(), String> {
    let (dialect, method) = (endpoint.dialect, endpoint.method);
    let line = current_line(f, line).await;
    let uri = endpoint
        .path
        .replace("{cart}", &f.cart)
        .replace("{line}", &line);
    let body = if content_type == "application/json" {
        String::from_utf8_lossy(&body)
            .replace("{line}", &line)
            .into_bytes()
    } else {
        body
    };
    let mut request = Request::builder()
        .method(Method::from_bytes(method.as_bytes()).expect("method"))
        .uri(&uri)
        .header("x-auth-token", ADMIN_TOKEN)
        .header(header::AUTHORIZATION, &f.ep_auth)
        .header(header::CONTENT_TYPE, content_type)
        .header(header::ACCEPT, "application/json");
    if !endpoint.anonymous {
        request = request.header(header::COOKIE, &f.cookie);
    }
    let request = request.body(Body::from(body)).expect("request");
    let before = stored(f).await;
    let response = f
        .app
        .router
        .clone()
        .oneshot(request)
        .await
        .expect("infallible");
    let status = response.status();
    let bytes = response
        .into_body()
        .collect()
        .await
        .map_err(|e| format!("{method} {uri}: body error {e}"))?
        .to_bytes();
    let text = String::from_utf8_lossy(&bytes);
    let what = format!("{method} {uri} answered {status}: {text}");
    if status.is_server_error() {
        return Err(what);
    }
    if status == StatusCode::NO_CONTENT && dialect != Dialect::Shopify {
        return if bytes.is_empty() { Ok(()) } else { Err(what) };
    }
    // A refused request changes nothing: not the cart, not the number of carts. Shopify's stock
    // clamp is the documented exception: a 422 that adds what is in stock.
    let clamp = dialect == Dialect::Shopify && status == StatusCode::UNPROCESSABLE_ENTITY;
    if status.is_client_error() && !clamp && stored(f).await != before {
        return Err(format!("the store changed: {what}"));
    }
    let value: Value = serde_json::from_slice(&bytes).map_err(|_| format!("not JSON: {what}"))?;
    let ok = if status.is_success() {
        success_shape(dialect, &uri, &value)
    } else {
        status.is_client_error() && error_shape(dialect, status.as_u16(), &value)
    };
    if ok {
        Ok(())
    } else {
        Err(format!("wrong shape: {what}"))
    }
}

fn success_shape(dialect: Dialect, uri: &str, value: &Value) -> bool {
    match dialect {
        Dialect::Shopify => value.is_object(),
        Dialect::BigCommerce if uri.starts_with("/stores/") => value["data"]["id"].is_string(),
        Dialect::BigCommerce => value["id"].is_string(),
        Dialect::ElasticPath if uri.starts_with("/oauth/") => value["access_token"].is_string(),
        Dialect::ElasticPath => value["data"].is_array() || value["data"].is_object(),
    }
}

fn error_shape(dialect: Dialect, status: u16, value: &Value) -> bool {
    match dialect {
        Dialect::Shopify => {
            (value["status"] == status || (status == 400 && value["status"] == "bad_request"))
                && value["message"].is_string()
                && value["description"].is_string()
        }
        Dialect::BigCommerce => {
            value["status"] == status
                && value["title"].as_str().is_some_and(|t| !t.is_empty())
                && value["type"].is_string()
        }
        Dialect::ElasticPath => value["errors"].as_array().is_some_and(|errors| {
            !errors.is_empty()
                && errors
                    .iter()
                    .all(|e| e["status"].is_u64() && e["title"].is_string())
        }),
    }
}

// --- generators -------------------------------------------------------------------------------

/// Field names of all three dialects, so generated bodies look like real requests.
const KEYS: &[&str] = &[
    "id",
    "quantity",
    "items",
    "updates",
    "properties",
    "note",
    "attributes",
    "line",
    "sections",
    "sections_url",
    "discount",
    "selling_plan",
    "parent_id",
    "return_to",
    "lineItems",
    "lineItem",
    "productId",
    "variantId",
    "optionSelections",
    "optionId",
    "optionValue",
    "giftWrapping",
    "wrapTogether",
    "wrapDetails",
    "message",
    "giftCertificates",
    "line_items",
    "line_item",
    "product_id",
    "variant_id",
    "list_price",
    "custom_items",
    "option_selections",
    "gift_certificates",
    "sku",
    "name",
    "theme",
    "amount",
    "sender",
    "recipient",
    "email",
    "locale",
    "version",
    "channel_id",
    "customer_id",
    "image_url",
    "data",
    "type",
    "custom_inputs",
    "price",
    "includes_tax",
    "description",
    "options",
    "add_all_or_nothing",
    "update_all_or_nothing",
    "grant_type",
    "client_id",
];

/// Strings that mean something to some dialect: ids, SKUs, types, numbers as text.
fn interesting_string() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(COAT_RED.to_string()),
        Just(GIFT_CARD.to_string()),
        Just(COAT_RED_UUID.to_string()),
        Just(GIFT_CARD_UUID.to_string()),
        Just("cart_item".to_string()),
        Just("custom_item".to_string()),
        Just("GGB-BOX".to_string()),
        Just("implicit".to_string()),
        Just(EP_CLIENT.to_string()),
        Just("general.html".to_string()),
        Just("a@example.com".to_string()),
        Just("/cart".to_string()),
        Just("//evil.example".to_string()),
        Just("cart-drawer,main-cart-items".to_string()),
        Just("WELCOME10,FIVEOFF".to_string()),
        Just("".to_string()),
        Just("9223372036854775808".to_string()),
        Just("-1".to_string()),
        Just("1e400".to_string()),
        (0i64..5).prop_map(|n| n.to_string()),
        any::<String>(),
        "[a-z_]{1,12}",
    ]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        (0i64..4).prop_map(Value::from),
        prop_oneof![
            Just(i64::MAX),
            Just(i64::MIN),
            Just(-1),
            Just(1_000_000),
            Just(1_000_001),
            Just(COAT_PRODUCT),
            Just(COAT_RED),
            Just(GIFT_CARD_PRODUCT),
            Just(GIFT_CARD),
            Just(GRANOLA_PRODUCT),
        ]
        .prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        Just(Value::from(u64::MAX)),
        any::<f64>().prop_map(Value::from),
        prop_oneof![Just(2.5), Just(1e300), Just(-0.0), Just(1.0)].prop_map(Value::from),
        interesting_string().prop_map(Value::from),
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => proptest::sample::select(KEYS).prop_map(str::to_string),
        1 => any::<String>(),
    ]
}

/// Arbitrary JSON trees, up to 4 levels deep, with the dialects' field names as keys.
fn json_value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::vec((key(), inner), 0..6)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// A body: mostly an object (what every endpoint expects), sometimes any value at all.
fn json_body() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => proptest::collection::vec((key(), json_value()), 0..6)
            .prop_map(|pairs| Value::Object(pairs.into_iter().collect::<Map<_, _>>())),
        1 => json_value(),
    ]
}

/// One bracket segment: a field name, an index, `[]`, or anything.
fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => proptest::sample::select(KEYS).prop_map(|k| format!("[{k}]")),
        2 => (0u32..3).prop_map(|n| format!("[{n}]")),
        2 => Just("[]".to_string()),
        1 => Just(format!("[{GIFT_CARD}]")),
        1 => "[^&=]{0,6}".prop_map(|s| format!("[{s}]")),
    ]
}

fn form_name() -> impl Strategy<Value = String> {
    (
        prop_oneof![
            4 => proptest::sample::select(KEYS).prop_map(str::to_string),
            1 => "[^&=]{0,8}",
        ],
        proptest::collection::vec(segment(), 0..4),
    )
        .prop_map(|(base, segs)| format!("{base}{}", segs.concat()))
}

fn form_body() -> impl Strategy<Value = Vec<(String, String)>> {
    proptest::collection::vec((form_name(), interesting_string()), 0..12)
}

fn line_ref() -> impl Strategy<Value = LineRef> {
    prop_oneof![
        4 => (0usize..8).prop_map(LineRef::Index),
        1 => Just(LineRef::Text(uuid::Uuid::nil().to_string())),
        1 => "[a-z0-9-]{1,40}".prop_map(LineRef::Text),
    ]
}

/// The line id `line` names now: lines come and go as the endpoints run.
async fn current_line(f: &Fixture, line: &LineRef) -> String {
    match line {
        LineRef::Text(text) => text.clone(),
        LineRef::Index(n) => {
            let cart = f.app.state.store().cart(&f.cart).await.expect("read");
            let ids: Vec<String> = cart
                .map(|c| c.lines.iter().map(|l| l.id.to_string()).collect())
                .unwrap_or_default();
            if ids.is_empty() {
                uuid::Uuid::nil().to_string()
            } else {
                ids[n % ids.len()].clone()
            }
        }
    }
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => (any::<usize>(), json_value()).prop_map(|(at, v)| Mutation::Replace(at, v)),
        1 => any::<usize>().prop_map(Mutation::Remove),
        1 => (any::<usize>(), key(), json_value()).prop_map(|(at, k, v)| Mutation::Insert(at, k, v)),
    ]
}

/// Every place in the tree, root first, depth first: the path of keys and indexes to each.
fn places(value: &Value, path: &mut Vec<Value>, out: &mut Vec<Vec<Value>>) {
    out.push(path.clone());
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                path.push(Value::from(k.as_str()));
                places(v, path, out);
                path.pop();
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                path.push(Value::from(i));
                places(v, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

fn at_path<'a>(value: &'a mut Value, path: &[Value]) -> Option<&'a mut Value> {
    path.iter().try_fold(value, |v, seg| match seg {
        Value::String(k) => v.get_mut(k.as_str()),
        Value::Number(n) => n.as_u64().and_then(|i| v.get_mut(i as usize)),
        _ => None,
    })
}

fn mutate(mut value: Value, mutations: &[Mutation]) -> Value {
    for m in mutations {
        let mut all = Vec::new();
        places(&value, &mut Vec::new(), &mut all);
        let pick = |at: usize| all[at % all.len()].clone();
        match m {
            Mutation::Replace(at, new) => {
                if let Some(slot) = at_path(&mut value, &pick(*at)) {
                    *slot = new.clone();
                }
            }
            Mutation::Remove(at) => {
                let path = pick(*at);
                if let Some((last, parent)) = path.split_last()
                    && let Some(parent) = at_path(&mut value, parent)
                {
                    match (parent, last) {
                        (Value::Object(map), Value::String(k)) => {
                            map.shift_remove(k);
                        }
                        (Value::Array(items), Value::Number(n)) => {
                            if let Some(i) = n.as_u64().map(|i| i as usize)
                                && i < items.len()
                            {
                                items.remove(i);
                            }
                        }
                        _ => {}
                    }
                }
            }
            Mutation::Insert(at, k, new) => match at_path(&mut value, &pick(*at)) {
                Some(Value::Object(map)) => {
                    map.insert(k.clone(), new.clone());
                }
                Some(Value::Array(items)) => items.push(new.clone()),
                _ => {}
            },
        }
    }
    value
}

/// Sends a body to every endpoint, in order; the first wrong answer fails the case.
fn run(
    f: &Fixture,
    line: &LineRef,
    content_type: &str,
    body: impl Fn(&Endpoint) -> Vec<u8>,
) -> Result<(), TestCaseError> {
    RUNTIME.block_on(async {
        for endpoint in &ENDPOINTS {
            check(f, endpoint, line, content_type, body(endpoint))
                .await
                .map_err(TestCaseError::fail)?;
        }
        Ok(())
    })
}

fn multipart(pairs: &[(String, String)]) -> (String, Vec<u8>) {
    let boundary = "propBoundary7MA4YWxk";
    let mut body = Vec::new();
    for (name, value) in pairs {
        let name = name.replace(['"', '\r', '\n'], "");
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

fn check_all<S: Strategy>(
    strategy: S,
    test: impl Fn(&Fixture, S::Value) -> Result<(), TestCaseError>,
) {
    let f = RUNTIME.block_on(fixture());
    let mut runner = TestRunner::new(config());
    if let Err(e) = runner.run(&strategy, |value| test(&f, value)) {
        panic!("{e}");
    }
}

#[test]
fn arbitrary_json_gets_an_answer_in_the_dialects_shape() {
    check_all((json_body(), line_ref()), |f, (body, line)| {
        let bytes = body.to_string().into_bytes();
        run(f, &line, "application/json", |_| bytes.clone())
    });
}

#[test]
fn mutated_valid_requests_get_an_answer_in_the_dialects_shape() {
    let mutations = proptest::collection::vec(mutation(), 0..4);
    check_all((mutations, line_ref()), |f, (mutations, line)| {
        run(f, &line, "application/json", |endpoint| {
            mutate((endpoint.template)(), &mutations)
                .to_string()
                .into_bytes()
        })
    });
}

#[test]
fn arbitrary_bracket_forms_get_an_answer_in_the_dialects_shape() {
    check_all(
        (form_body(), line_ref(), any::<bool>()),
        |f, (pairs, line, as_multipart)| {
            if as_multipart {
                let (content_type, body) = multipart(&pairs);
                run(f, &line, &content_type, |_| body.clone())
            } else {
                let body = form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(&pairs)
                    .finish()
                    .into_bytes();
                run(f, &line, "application/x-www-form-urlencoded", |_| {
                    body.clone()
                })
            }
        },
    );
}
