//! Security: a cart is reachable only through its owner's cookie or its exact token; visitor
//! text is inert in every page and section of the real theme; `sections_url` and `Referer`
//! never reach another origin; pages carry a strict CSP and the cookie is HttpOnly + SameSite
//! (and Secure when configured).

use std::path::PathBuf;

use axum::Router;
use axum::body::Body;
use http::{HeaderMap, Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tempfile::TempDir;
use tower::ServiceExt;
use vitrine::{AppState, Config, SESSION_COOKIE};

const ADMIN_TOKEN: &str = "security-admin-token-0123456789";
const COAT_PRODUCT: i64 = 7021400000001;
const COAT_RED: i64 = 794864229;
const GRANOLA: i64 = 36323170943141;
const GIFT_CARD: i64 = 40000000000020;
const GIFT_CARD_PRODUCT: i64 = 7021400000017;

/// The store on the real theme at the repository root, with its database in a temp dir.
struct Shop {
    router: Router,
    state: AppState,
    _dir: TempDir,
}

async fn shop_with(configure: impl FnOnce(&mut Config)) -> Shop {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = Config::for_theme(PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    config.db = dir.path().join("store.db");
    config.admin_token = Some(ADMIN_TOKEN.into());
    configure(&mut config);
    let state = AppState::open(config).await.expect("the app starts");
    Shop {
        router: vitrine::app(state.clone()),
        state,
        _dir: dir,
    }
}

async fn shop() -> Shop {
    shop_with(|_| {}).await
}

#[derive(Debug)]
struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    text: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("not JSON ({e}), {}: {}", self.status, self.text))
    }

    fn header(&self, name: header::HeaderName) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

impl Shop {
    async fn send(&self, request: Request<Body>) -> Reply {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("infallible");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        Reply {
            status,
            headers,
            text: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    async fn call(
        &self,
        method: &str,
        uri: &str,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> Reply {
        let mut builder = Request::builder()
            .method(Method::from_bytes(method.as_bytes()).expect("method"))
            .uri(uri);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let request = match body {
            Some(body) => builder
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string())),
            None => builder.body(Body::empty()),
        };
        self.send(request.expect("request")).await
    }

    fn browser(&self) -> Browser<'_> {
        Browser {
            shop: self,
            cookie: None,
        }
    }

    async fn ep_auth(&self) -> String {
        let request = Request::builder()
            .method("POST")
            .uri("/oauth/access_token")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!(
                "grant_type=implicit&client_id={}",
                vitrine::state::DEMO_EP_CLIENT_ID
            )))
            .expect("request");
        let reply = self.send(request).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        format!(
            "Bearer {}",
            reply.json()["access_token"].as_str().expect("token")
        )
    }
}

/// One browser: it keeps the session cookie it is given.
struct Browser<'a> {
    shop: &'a Shop,
    cookie: Option<String>,
}

impl Browser<'_> {
    async fn call(
        &mut self,
        method: &str,
        uri: &str,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> Reply {
        let mut all: Vec<(&str, &str)> = headers.to_vec();
        let cookie = self.cookie.clone();
        if let Some(cookie) = cookie.as_deref() {
            all.push(("cookie", cookie));
        }
        let reply = self.shop.call(method, uri, &all, body).await;
        for value in reply.headers.get_all(header::SET_COOKIE) {
            if let Some(pair) = value.to_str().ok().and_then(|v| v.split(';').next())
                && pair.starts_with(&format!("{SESSION_COOKIE}="))
            {
                self.cookie = Some(pair.to_string());
            }
        }
        reply
    }

    async fn get(&mut self, uri: &str) -> Reply {
        self.call("GET", uri, &[], None).await
    }

    async fn post(&mut self, uri: &str, body: Value) -> Reply {
        self.call("POST", uri, &[], Some(body)).await
    }

    async fn cart(&mut self) -> Value {
        let reply = self.get("/cart.js").await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        reply.json()
    }
}

// --- no cross-cart access ---------------------------------------------------------------------

/// Text that only Alice's cart holds: it must never show in an answer to anyone else.
const ALICE_SECRET: &str = "alice-secret-engraving";

#[tokio::test]
async fn a_cart_is_reachable_only_through_its_owner_or_its_exact_token() {
    let shop = shop().await;
    let mut alice = shop.browser();
    let added = alice
        .post(
            "/cart/add.js",
            json!({"items": [
                {"id": COAT_RED, "quantity": 1, "properties": {"Engraving": ALICE_SECRET}},
                {"id": GRANOLA, "quantity": 2},
            ]}),
        )
        .await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.text);
    let alice_cart = alice.cart().await;
    let alice_token = alice_cart["token"].as_str().expect("token").to_string();
    let alice_key = alice_cart["items"][0]["key"]
        .as_str()
        .expect("key")
        .to_string();
    let alice_view = alice.get("/cart.js").await.text;
    let admin = shop
        .call(
            "GET",
            &format!("/stores/demo/v3/carts/{alice_token}"),
            &[("x-auth-token", ADMIN_TOKEN)],
            None,
        )
        .await;
    let alice_line = admin.json()["data"]["line_items"]["physical_items"][0]["id"]
        .as_str()
        .expect("line id")
        .to_string();

    let mut bob = shop.browser();
    let bob_added = bob
        .post("/cart/add.js", json!({"id": GIFT_CARD, "quantity": 1}))
        .await;
    assert_eq!(bob_added.status, StatusCode::OK);
    let bob_cart = bob.cart().await;
    let bob_token = bob_cart["token"].as_str().expect("token").to_string();
    assert_ne!(bob_token, alice_token);
    let bob_view = bob.get("/cart.js").await.text;
    let bob_admin = shop
        .call(
            "GET",
            &format!("/stores/demo/v3/carts/{bob_token}"),
            &[("x-auth-token", ADMIN_TOKEN)],
            None,
        )
        .await;
    let bob_line = bob_admin.json()["data"]["line_items"]["digital_items"][0]["id"]
        .as_str()
        .expect("bob's line id")
        .to_string();

    // A neighbour of Alice's token: one hex digit changed.
    let mut neighbour = alice_token.clone();
    let last = neighbour.pop().expect("a digit");
    neighbour.push(if last == '0' { '1' } else { '0' });

    // Shopify: Bob names Alice's line by its key or its variant; only his own cart is used.
    for body in [
        json!({"id": alice_key, "quantity": 0}),
        json!({"id": alice_key, "quantity": 5}),
        json!({"id": alice_key, "properties": {"x": "y"}}),
        json!({"line": 2, "quantity": 0}),
    ] {
        let reply = bob.post("/cart/change.js", body.clone()).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{body}: {}",
            reply.text
        );
        assert!(!reply.text.contains(ALICE_SECRET), "{}", reply.text);
    }
    for body in [
        json!({"updates": {alice_key.clone(): 0}}),
        json!({"updates": {alice_key.clone(): 3}}),
    ] {
        let reply = bob.post("/cart/update.js", body.clone()).await;
        assert!(
            reply.status == StatusCode::OK || reply.status == StatusCode::NOT_FOUND,
            "{body}: {} {}",
            reply.status,
            reply.text
        );
        assert!(!reply.text.contains(ALICE_SECRET), "{}", reply.text);
        assert!(!reply.text.contains(&alice_token), "{}", reply.text);
    }
    let link = bob
        .get(&format!("/cart/change?id={alice_key}&quantity=0"))
        .await;
    assert_eq!(link.status, StatusCode::SEE_OTHER);
    // Changing Alice's coat variant by its id changes nothing of hers: Bob has no such line.
    let by_variant = bob
        .post("/cart/change.js", json!({"id": COAT_RED, "quantity": 0}))
        .await;
    assert_eq!(
        by_variant.status,
        StatusCode::BAD_REQUEST,
        "{}",
        by_variant.text
    );

    // BigCommerce Storefront: only the session's own cart id works; others are 404, never data.
    let sf = "/api/storefront/carts";
    let put_body =
        json!({"lineItem": {"productId": COAT_PRODUCT, "variantId": COAT_RED, "quantity": 1}});
    let add_body =
        json!({"lineItems": [{"productId": COAT_PRODUCT, "variantId": COAT_RED, "quantity": 1}]});
    for id in [alice_token.as_str(), neighbour.as_str()] {
        for (method, uri, body) in [
            ("POST", format!("{sf}/{id}/items"), Some(add_body.clone())),
            (
                "PUT",
                format!("{sf}/{id}/items/{alice_line}"),
                Some(put_body.clone()),
            ),
            ("DELETE", format!("{sf}/{id}/items/{alice_line}"), None),
            ("DELETE", format!("{sf}/{id}"), None),
        ] {
            let reply = bob.call(method, &uri, &[], body).await;
            assert_eq!(
                reply.status,
                StatusCode::NOT_FOUND,
                "{method} {uri}: {}",
                reply.text
            );
            assert_eq!(reply.json()["title"], "Cart not found.", "{}", reply.text);
            assert!(!reply.text.contains(ALICE_SECRET));
        }
    }
    // Bob's own cart id with Alice's line id: that line is not in his cart.
    for (method, body) in [("PUT", Some(put_body.clone())), ("DELETE", None)] {
        let uri = format!("{sf}/{bob_token}/items/{alice_line}");
        let reply = bob.call(method, &uri, &[], body).await;
        assert_eq!(
            reply.status,
            StatusCode::NOT_FOUND,
            "{method} {uri}: {}",
            reply.text
        );
        assert!(!reply.text.contains(ALICE_SECRET));
    }
    let listed = bob.get(sf).await;
    assert_eq!(listed.json().as_array().map(Vec::len), Some(1));
    assert_eq!(listed.json()[0]["id"], bob_token.as_str());
    // A visitor without a cookie has no cart at all.
    let stranger = shop.call("GET", sf, &[], None).await;
    assert_eq!(stranger.json(), json!([]));

    // BigCommerce Management: nothing without the admin token, whatever the ids.
    let mgmt = format!("/stores/demo/v3/carts/{alice_token}");
    for token in [None, Some("wrong-token"), Some("")] {
        let headers: Vec<(&str, &str)> =
            token.map(|t| vec![("x-auth-token", t)]).unwrap_or_default();
        for (method, uri) in [
            ("GET", mgmt.clone()),
            ("DELETE", mgmt.clone()),
            ("DELETE", format!("{mgmt}/items/{alice_line}")),
        ] {
            let reply = shop.call(method, &uri, &headers, None).await;
            assert_eq!(
                reply.status,
                StatusCode::UNAUTHORIZED,
                "{method} {uri}: {}",
                reply.text
            );
            assert!(!reply.text.contains(ALICE_SECRET));
        }
    }
    let other_store = shop
        .call(
            "GET",
            &format!("/stores/other/v3/carts/{alice_token}"),
            &[("x-auth-token", ADMIN_TOKEN)],
            None,
        )
        .await;
    assert_eq!(other_store.status, StatusCode::NOT_FOUND);
    assert!(!other_store.text.contains(ALICE_SECRET));
    // Even the admin cannot move a line between carts: Alice's line through Bob's cart is 404.
    let crossed = shop
        .call(
            "PUT",
            &format!("/stores/demo/v3/carts/{bob_token}/items/{alice_line}"),
            &[("x-auth-token", ADMIN_TOKEN)],
            Some(json!({"line_item": {"quantity": 1, "product_id": COAT_PRODUCT}})),
        )
        .await;
    assert_eq!(crossed.status, StatusCode::NOT_FOUND, "{}", crossed.text);

    // Elastic Path: an unknown id is a fresh empty cart (the platform's behaviour), never Alice's.
    let ep = shop.ep_auth().await;
    let auth = [("authorization", ep.as_str())];
    for id in [neighbour.as_str(), &alice_token[..35], "alice"] {
        let reply = shop
            .call("GET", &format!("/v2/carts/{id}/items"), &auth, None)
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        assert_eq!(reply.json()["data"], json!([]), "{id}: {}", reply.text);
        assert!(!reply.text.contains(ALICE_SECRET));
    }
    for (method, uri, body) in [
        (
            "PUT",
            format!("/v2/carts/{bob_token}/items/{alice_line}"),
            Some(json!({"data": {"type": "cart_item", "id": alice_line, "quantity": 3}})),
        ),
        (
            "DELETE",
            format!("/v2/carts/{bob_token}/items/{alice_line}"),
            None,
        ),
        (
            "PUT",
            format!("/v2/carts/{bob_token}/items"),
            Some(json!({"data": [{"id": alice_line, "quantity": 3}]})),
        ),
        (
            "PUT",
            format!("/v2/carts/{neighbour}/items/{alice_line}"),
            Some(json!({"data": {"type": "cart_item", "id": alice_line, "quantity": 3}})),
        ),
    ] {
        let reply = shop.call(method, &uri, &auth, body).await;
        assert_eq!(
            reply.status,
            StatusCode::NOT_FOUND,
            "{method} {uri}: {}",
            reply.text
        );
        assert!(!reply.text.contains(ALICE_SECRET), "{}", reply.text);
    }
    // No bearer token: nothing, even with Alice's exact id.
    let anonymous = shop
        .call("GET", &format!("/v2/carts/{alice_token}/items"), &[], None)
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert!(!anonymous.text.contains(ALICE_SECRET));
    // With the exact token, Elastic Path shows the cart: the token is the secret, by design.
    let exact = shop
        .call(
            "GET",
            &format!("/v2/carts/{alice_token}/items"),
            &auth,
            None,
        )
        .await;
    assert_eq!(exact.json()["data"].as_array().map(Vec::len), Some(2));

    // A forged or guessed session cookie gets a new, empty cart and never adopts the value.
    for forged in [
        format!("{SESSION_COOKIE}={alice_token}"),
        format!("{SESSION_COOKIE}=AAAAAAAAAAAAAAAAAAAAAA"),
        format!("{SESSION_COOKIE}=../../etc/passwd"),
    ] {
        let mut mallory = shop.browser();
        mallory.cookie = Some(forged.clone());
        let cart = mallory.cart().await;
        assert_eq!(cart["item_count"], 0, "{forged}");
        assert_ne!(cart["token"], alice_token.as_str());
        let added = mallory
            .post("/cart/add.js", json!({"id": GIFT_CARD, "quantity": 1}))
            .await;
        assert_eq!(added.status, StatusCode::OK);
        assert_ne!(
            mallory.cookie.as_deref(),
            Some(forged.as_str()),
            "session fixation"
        );
    }

    // Through all of this, Alice's and Bob's carts are exactly as they were.
    assert_eq!(alice.get("/cart.js").await.text, alice_view);
    assert_eq!(bob.get("/cart.js").await.text, bob_view);
    let _ = bob_line;
}

// --- visitor text is inert in every template ---------------------------------------------------

const SCRIPT: &str = "<script>alert(1)</script>";
const IMG: &str = "\"><img src=x onerror=alert(1)>";
const SVG: &str = "'><svg onload=alert(1)>";
const CLOSE: &str = "</textarea></script></title><script>alert(2)</script>";
/// Template syntax between markers: evaluated, it would print `ZQ49QZ` / `ZRRZ`.
const EXPR: &str = "ZQ{{ 7*7 }}QZ";
const RAW: &str = "ZR{% raw %}RZ{% endraw %}";

fn payloads() -> String {
    [SCRIPT, IMG, SVG, CLOSE, EXPR, RAW].concat()
}

/// No payload survives as markup and no template syntax was evaluated. Case-insensitive:
/// `<SCRIPT>` runs too.
#[track_caller]
fn assert_inert(html: &str, what: &str) {
    let lower = html.to_lowercase();
    for needle in [
        "<script>alert",
        "<img src=x",
        "<svg onload",
        "onerror=alert(1)>",
        "zq49qz",
        "zrrz",
    ] {
        assert!(
            !lower.contains(needle),
            "{what}: found {needle:?} in:\n{html}"
        );
    }
    // The CSP allows no inline scripts: every script element is external or a JSON data block.
    for (i, _) in lower.match_indices("<script") {
        let tag = &lower[i..lower[i..].find('>').map_or(lower.len(), |e| i + e + 1)];
        assert!(
            tag.contains(" src=") || tag.contains("type=\"application/json\""),
            "{what}: inline script {tag}"
        );
    }
}

fn encode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

const CART_SECTIONS: &str =
    "cart-drawer,main-cart-items,main-cart-footer,cart-notification-product,cart-live-region-text";
const CART_INSTANCES: &str =
    "template--cart__items,template--cart__footer,cart-icon-bubble,cart-notification-button";

#[tokio::test]
async fn visitor_text_is_inert_in_every_page_and_section() {
    let shop = shop().await;
    let mut visitor = shop.browser();
    let text = payloads();
    let codes = [SCRIPT, IMG, SVG, EXPR, RAW].join(",");
    let added = visitor
        .post(
            "/cart/add.js",
            json!({"items": [
                {"id": COAT_RED, "quantity": 1, "properties": {
                    "Engraving": text, SCRIPT: IMG, EXPR: RAW, "_private": SCRIPT}},
                {"id": GIFT_CARD, "quantity": 1, "properties": {"To": CLOSE}},
            ]}),
        )
        .await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.text);
    let updated = visitor
        .post(
            "/cart/update.js",
            json!({"note": text, "attributes": {"Gift note": text, SCRIPT: IMG}, "discount": codes}),
        )
        .await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.text);
    assert!(
        updated.json()["discount_codes"]
            .as_array()
            .is_some_and(|c| c.len() == 5)
    );

    let q = encode(&text);
    let pages = [
        "/".to_string(),
        "/cart".into(),
        "/fr/cart".into(),
        format!("/search?q={q}"),
        format!("/collections/all?sort_by={q}&page={q}"),
        format!("/products/red-rain-coat?variant={q}"),
        format!("/nope/{}", encode(SCRIPT)),
        format!("/collections/{}", encode(IMG)),
    ];
    for page in &pages {
        let reply = visitor.get(page).await;
        assert!(reply.status.as_u16() < 500, "{page}: {}", reply.status);
        assert!(
            reply.header(header::CONTENT_TYPE).starts_with("text/html"),
            "{page}"
        );
        assert_inert(&reply.text, page);
    }
    // The payloads did reach the cart page, escaped: the test is not vacuous.
    let cart_page = visitor.get("/cart").await.text;
    assert!(
        cart_page.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;")
            || cart_page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "note not shown escaped:\n{cart_page}"
    );
    assert!(
        cart_page.contains(EXPR),
        "template syntax not printed literally"
    );
    assert!(
        cart_page.contains("{% raw %}"),
        "raw tag not printed literally"
    );
    assert!(
        cart_page.contains("&lt;img src=x"),
        "code or property not shown escaped"
    );

    // The Section Rendering API, in the cart page's context and elsewhere.
    for uri in [
        format!("/cart?sections={CART_SECTIONS}"),
        format!("/cart?sections={CART_INSTANCES}"),
        format!("/?sections={CART_SECTIONS}"),
        format!("/search?q={q}&sections=main-search,header,footer"),
    ] {
        let reply = visitor.get(&uri).await;
        assert_eq!(reply.status, StatusCode::OK, "{uri}");
        let sections = reply.json();
        let map = sections.as_object().expect("object");
        assert!(
            map.values().any(Value::is_string),
            "{uri}: nothing rendered: {sections}"
        );
        for (id, html) in map {
            assert_inert(html.as_str().unwrap_or(""), &format!("{uri} {id}"));
        }
    }
    let drawer = visitor.get("/cart?section_id=cart-drawer").await;
    assert_eq!(drawer.status, StatusCode::OK);
    assert_inert(&drawer.text, "section_id=cart-drawer");
    let items = visitor.get("/cart?section_id=template--cart__items").await;
    assert_eq!(items.status, StatusCode::OK);
    assert_inert(&items.text, "section_id=template--cart__items");
    assert!(items.text.contains(EXPR));

    // Bundled sections on every mutation, in the context of a sections_url full of payload.
    let sections_url = format!("/search?q={q}");
    for (uri, body) in [
        (
            "/cart/add.js",
            json!({"id": GIFT_CARD, "quantity": 1, "properties": {"To": CLOSE}}),
        ),
        ("/cart/change.js", json!({"line": 1, "quantity": 2})),
        ("/cart/update.js", json!({"note": text})),
    ] {
        for sections in [
            CART_SECTIONS,
            "template--cart__items,main-search,cart-icon-bubble",
        ] {
            let mut body = body.clone();
            body["sections"] = json!(sections);
            body["sections_url"] = json!(sections_url);
            let reply = visitor.post(uri, body).await;
            assert_eq!(reply.status, StatusCode::OK, "{uri}: {}", reply.text);
            let rendered = &reply.json()["sections"];
            let map = rendered.as_object().expect("sections object");
            assert!(map.values().any(Value::is_string), "{uri}: {rendered}");
            for (id, html) in map {
                assert_inert(html.as_str().unwrap_or(""), &format!("bundled {uri} {id}"));
            }
        }
    }
    // The no-JS form flow: a refusal's flash message is shown escaped on the next page.
    let refused = visitor
        .call(
            "POST",
            "/cart/add",
            &[("content-type", "application/x-www-form-urlencoded")],
            None,
        )
        .await;
    assert_eq!(refused.status, StatusCode::SEE_OTHER);
    assert_inert(&visitor.get("/cart").await.text, "page after a flash");
}

// --- sections_url and Referer stay on this origin ----------------------------------------------

const SENTINEL: &str = "sentinelquery";

#[tokio::test]
async fn sections_url_and_referer_never_reach_another_origin() {
    let shop = shop().await;
    let mut visitor = shop.browser();
    let add = |extra: Value| {
        let mut body = json!({"id": GIFT_CARD, "quantity": 1, "sections": "main-search"});
        if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
            body.extend(extra.clone());
        }
        body
    };
    // A same-origin sections_url renders the section in that page's context: the control case.
    let local = visitor
        .post(
            "/cart/add.js",
            add(json!({"sections_url": format!("/search?q={SENTINEL}")})),
        )
        .await;
    assert_eq!(local.status, StatusCode::OK, "{}", local.text);
    let search = local.json()["sections"]["main-search"]
        .as_str()
        .expect("main-search rendered")
        .to_string();
    assert!(search.contains(SENTINEL), "control: {search}");

    for url in [
        "https://evil.example/",
        "http://evil.example/search?q=x",
        "//evil.example/x",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "evil.example/search",
        "/search\r\nHost: evil.example",
    ] {
        let reply = visitor
            .post("/cart/add.js", add(json!({"sections_url": url})))
            .await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{url}: {}",
            reply.text
        );
        assert!(
            !reply.text.contains("evil.example"),
            "{url}: {}",
            reply.text
        );
        assert!(
            reply.json().get("sections").is_none(),
            "{url}: {}",
            reply.text
        );
    }

    // Referer: same origin → that page's context; anything else → `/`.
    let same = format!("http://store.test/search?q={SENTINEL}");
    let reply = visitor
        .call(
            "POST",
            "/cart/add.js",
            &[("host", "store.test"), ("referer", &same)],
            Some(add(json!({}))),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(
        reply.json()["sections"]["main-search"]
            .as_str()
            .is_some_and(|s| s.contains(SENTINEL)),
        "control: {}",
        reply.text
    );
    for referer in [
        format!("https://evil.example/search?q={SENTINEL}"),
        format!("http://store.test.evil.example/search?q={SENTINEL}"),
        format!("http://evil.example@store.test.evil/search?q={SENTINEL}"),
        format!("http://store.test//evil.example/search?q={SENTINEL}"),
        format!("http://store.test/\\evil.example/search?q={SENTINEL}"),
        format!("ftp://store.test/search?q={SENTINEL}"),
        format!("/search?q={SENTINEL}"),
    ] {
        let reply = visitor
            .call(
                "POST",
                "/cart/add.js",
                &[("host", "store.test"), ("referer", &referer)],
                Some(add(json!({}))),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{referer}: {}", reply.text);
        let html = reply.json()["sections"]["main-search"]
            .as_str()
            .unwrap_or("")
            .to_string();
        assert!(
            !html.contains(SENTINEL),
            "{referer} was used as the context: {html}"
        );
        assert!(!html.contains("evil.example"), "{referer}: {html}");
    }
}

/// htmx cart forms render their sections in the context of `HX-Current-URL`: the same rule as
/// `Referer` applies. The French cart shows whether a URL was used as the context.
#[tokio::test]
async fn htmx_current_url_never_reaches_another_origin() {
    let shop = shop().await;
    let mut visitor = shop.browser();
    let form = |current: &str| {
        vec![
            ("host".to_string(), "store.test".to_string()),
            ("hx-request".to_string(), "true".to_string()),
            ("hx-current-url".to_string(), current.to_string()),
        ]
    };
    async fn post(visitor: &mut Browser<'_>, headers: Vec<(String, String)>) -> Reply {
        let headers: Vec<(&str, &str)> = headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        visitor
            .call(
                "POST",
                "/cart/add",
                &headers,
                Some(json!({"id": GIFT_CARD, "quantity": 1})),
            )
            .await
    }
    let control = post(&mut visitor, form("http://store.test/fr/cart")).await;
    assert_eq!(control.status, StatusCode::OK, "{}", control.text);
    assert!(
        control.text.contains("Nouveau sous-total"),
        "control: {}",
        control.text
    );
    assert_inert(&control.text, "htmx answer");
    for current in [
        "http://evil.example/fr/cart",
        "https://store.test.evil.example/fr/cart",
        "http://store.test//evil.example/fr/cart",
        "http://store.test/\\evil.example/fr/cart",
        "/fr/cart",
        "javascript://store.test/fr/cart",
    ] {
        let reply = post(&mut visitor, form(current)).await;
        assert_eq!(reply.status, StatusCode::OK, "{current}: {}", reply.text);
        assert!(
            !reply.text.contains("Nouveau sous-total"),
            "{current} was used as the context: {}",
            reply.text
        );
        assert!(
            reply.text.contains("New subtotal"),
            "{current}: {}",
            reply.text
        );
        assert!(
            !reply.text.contains("evil.example"),
            "{current}: {}",
            reply.text
        );
    }
}

// --- section ids and static paths cannot reach other files --------------------------------------

#[tokio::test]
async fn section_ids_and_static_paths_cannot_reach_other_files() {
    let shop = shop().await;
    let mut visitor = shop.browser();
    for uri in [
        "/?section_id=../../Cargo.toml",
        "/?section_id=..%2F..%2FCargo.toml",
        "/?section_id=%2Fetc%2Fpasswd",
        "/?sections=../templates/layout/theme,../../Cargo.toml,/etc/passwd",
        "/static/../Cargo.toml",
        "/static/%2e%2e/Cargo.toml",
        "/static/..%2fCargo.toml",
        "/static/..%5cCargo.toml",
        "/static//etc/passwd",
        "/products/..%2f..%2fCargo.toml.js",
    ] {
        let reply = visitor.get(uri).await;
        assert!(reply.status.as_u16() < 500, "{uri}: {}", reply.status);
        assert!(!reply.text.contains("[package]"), "{uri} served Cargo.toml");
        assert!(!reply.text.contains("root:"), "{uri} served /etc/passwd");
        assert!(
            !reply.text.contains("{% schema %}"),
            "{uri} served a template's source"
        );
    }
}

// --- headers and cookies -----------------------------------------------------------------------

fn directives(csp: &str) -> Vec<(String, String)> {
    csp.split(';')
        .filter_map(|d| {
            let d = d.trim();
            let (name, value) = d.split_once(' ').unwrap_or((d, ""));
            (!name.is_empty()).then(|| (name.to_string(), value.trim().to_string()))
        })
        .collect()
}

#[tokio::test]
async fn every_answer_carries_a_strict_csp_and_nosniff() {
    let shop = shop().await;
    let mut visitor = shop.browser();
    let ep = shop.ep_auth().await;
    let answers = [
        visitor.get("/").await,
        visitor.get("/cart").await,
        visitor.get("/nope").await,
        visitor.get("/cart.js").await,
        visitor.get("/?sections=header").await,
        visitor.get("/static/base.css").await,
        visitor.post("/cart/add.js", json!({"id": 1})).await,
        visitor.get("/api/storefront/carts").await,
        shop.call("GET", "/stores/demo/v3/carts/x", &[], None).await,
        shop.call(
            "GET",
            "/v2/carts/x",
            &[("authorization", ep.as_str())],
            None,
        )
        .await,
    ];
    for reply in &answers {
        let csp = reply.header(header::CONTENT_SECURITY_POLICY);
        let parsed = directives(csp);
        let get = |name: &str| {
            parsed
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("script-src"), Some("'self'"), "{csp}");
        assert_eq!(get("frame-ancestors"), Some("'none'"), "{csp}");
        assert_eq!(get("object-src"), Some("'none'"), "{csp}");
        assert_eq!(get("base-uri"), Some("'self'"), "{csp}");
        assert!(get("default-src").is_some(), "{csp}");
        assert!(!csp.contains("unsafe-eval"), "{csp}");
        assert_eq!(reply.header(header::X_CONTENT_TYPE_OPTIONS), "nosniff");
        assert!(!reply.header(header::REFERRER_POLICY).is_empty());
    }
    // Pages hold no inline script the CSP would have to allow.
    for page in [
        "/",
        "/cart",
        "/products/red-rain-coat",
        "/collections/all",
        "/search?q=a",
    ] {
        let html = visitor.get(page).await.text;
        assert_inert(&html, page);
    }
}

fn session_cookie(reply: &Reply) -> String {
    reply
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{SESSION_COOKIE}=")))
        .unwrap_or_else(|| panic!("no session cookie: {:?}", reply.headers))
        .to_string()
}

fn attributes(cookie: &str) -> Vec<String> {
    cookie
        .split(';')
        .skip(1)
        .map(|a| a.trim().to_ascii_lowercase())
        .collect()
}

#[tokio::test]
async fn the_session_cookie_is_http_only_same_site_and_secure_when_asked() {
    let plain = shop().await;
    let reply = plain.call("GET", "/cart.js", &[], None).await;
    let cookie = session_cookie(&reply);
    let attrs = attributes(&cookie);
    assert!(attrs.contains(&"httponly".to_string()), "{cookie}");
    assert!(
        attrs
            .iter()
            .any(|a| a == "samesite=lax" || a == "samesite=strict"),
        "{cookie}"
    );
    assert!(attrs.contains(&"path=/".to_string()), "{cookie}");
    assert!(!attrs.contains(&"secure".to_string()), "{cookie}");
    // The id is long and random: two visitors never share one.
    let other = session_cookie(&plain.call("GET", "/cart.js", &[], None).await);
    assert_ne!(cookie.split(';').next(), other.split(';').next());
    let value = cookie
        .split(';')
        .next()
        .and_then(|p| p.split_once('='))
        .map(|(_, v)| v);
    assert!(value.is_some_and(|v| v.len() >= 20), "{cookie}");

    let secure = shop_with(|c| c.secure_cookies = true).await;
    // The BigCommerce Storefront API sets the same cookie when it creates a cart.
    for reply in [
        secure.call("GET", "/cart.js", &[], None).await,
        secure
            .call(
                "POST",
                "/api/storefront/carts",
                &[],
                Some(json!({"lineItems": [{"productId": GIFT_CARD_PRODUCT, "variantId": GIFT_CARD, "quantity": 1}]})),
            )
            .await,
    ] {
        let cookie = session_cookie(&reply);
        let attrs = attributes(&cookie);
        assert!(attrs.contains(&"secure".to_string()), "{cookie}");
        assert!(attrs.contains(&"httponly".to_string()), "{cookie}");
        assert!(attrs.iter().any(|a| a.starts_with("samesite=")), "{cookie}");
    }
    let _ = secure.state.config();
}
