//! The Ajax Cart API through a real socket: `axum::serve` on 127.0.0.1:0 and `reqwest` clients
//! with their own cookie jars, as browsers would use it.

use std::net::SocketAddr;

use crate::common::*;
use reqwest::header::{LOCATION, SET_COOKIE};
use serde_json::{Value, json};

async fn serve(app: &TestApp) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a free port");
    let addr = listener.local_addr().expect("local addr");
    let router = app.router.clone();
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router).await {
            panic!("server stopped: {e}");
        }
    });
    addr
}

fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

async fn cart(client: &reqwest::Client, base: &str) -> Value {
    let resp = client
        .get(format!("{base}/cart.js"))
        .send()
        .await
        .expect("GET /cart.js");
    assert_eq!(resp.status().as_u16(), 200);
    resp.json().await.expect("cart json")
}

async fn add(client: &reqwest::Client, base: &str, id: i64, quantity: i64) -> reqwest::Response {
    client
        .post(format!("{base}/cart/add.js"))
        .json(&json!({"items": [{"id": id, "quantity": quantity}]}))
        .send()
        .await
        .expect("POST /cart/add.js")
}

#[tokio::test]
async fn two_browsers_get_two_separate_carts() {
    let app = TestApp::new().await;
    let base = format!("http://{}", serve(&app).await);
    let alice = browser();
    let bob = browser();

    let resp = add(&alice, &base, HAT, 2).await;
    assert_eq!(resp.status().as_u16(), 200);
    let resp = add(&bob, &base, BOOTS, 1).await;
    assert_eq!(resp.status().as_u16(), 200);
    add(&alice, &base, RED_RAIN_COAT, 1).await;

    let alice_cart = cart(&alice, &base).await;
    let bob_cart = cart(&bob, &base).await;
    assert_eq!(lines(&alice_cart), [(HAT, 2), (RED_RAIN_COAT, 1)]);
    assert_eq!(lines(&bob_cart), [(BOOTS, 1)]);
    assert_ne!(field(&alice_cart, "token"), field(&bob_cart, "token"));
    // The cookie keeps each browser on its own cart across requests and locales.
    let resp = alice
        .get(format!("{base}/fr/cart.js"))
        .send()
        .await
        .expect("GET /fr/cart.js");
    let fr: Value = resp.json().await.expect("json");
    assert_eq!(field(&fr, "token"), field(&alice_cart, "token"));
}

#[tokio::test]
async fn the_session_cookie_is_http_only_and_same_site_lax() {
    let app = TestApp::new().await;
    let base = format!("http://{}", serve(&app).await);
    let client = browser();
    let resp = add(&client, &base, HAT, 1).await;
    assert_eq!(resp.status().as_u16(), 200);
    let cookies: Vec<String> = resp
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_string))
        .collect();
    let session = cookies
        .iter()
        .find(|c| c.starts_with(&format!("{}=", vitrine::SESSION_COOKIE)))
        .unwrap_or_else(|| panic!("no session cookie in {cookies:?}"));
    let attrs: Vec<String> = session
        .split(';')
        .map(|a| a.trim().to_ascii_lowercase())
        .collect();
    assert!(attrs.iter().any(|a| a == "httponly"), "{session}");
    assert!(attrs.iter().any(|a| a == "samesite=lax"), "{session}");
    // Served over plain HTTP by default, so not `Secure` (the browser would drop it).
    assert!(!attrs.iter().any(|a| a == "secure"), "{session}");
}

#[tokio::test]
async fn fifty_concurrent_adds_over_http_sum_exactly() {
    let app = TestApp::new().await;
    let base = format!("http://{}", serve(&app).await);
    let client = browser();
    add(&client, &base, GIFT_CARD, 1).await;
    let mut tasks = Vec::new();
    for i in 1..=50 {
        let client = client.clone();
        let base = base.clone();
        tasks.push(tokio::spawn(async move {
            add(&client, &base, GIFT_CARD, i).await.status().as_u16()
        }));
    }
    for task in tasks {
        assert_eq!(task.await.expect("task"), 200);
    }
    let total: i64 = 1 + (1..=50).sum::<i64>();
    assert_eq!(lines(&cart(&client, &base).await), [(GIFT_CARD, total)]);
}

#[tokio::test]
async fn a_plain_form_post_redirects_over_http() {
    let app = TestApp::new().await;
    let base = format!("http://{}", serve(&app).await);
    let client = browser();
    let resp = client
        .post(format!("{base}/fr/cart/add"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(urlencode(&[("id", "794864053"), ("quantity", "2")]))
        .send()
        .await
        .expect("POST /fr/cart/add");
    assert_eq!(resp.status().as_u16(), 303);
    assert_eq!(
        resp.headers().get(LOCATION).and_then(|v| v.to_str().ok()),
        Some("/fr/cart")
    );
    assert_eq!(lines(&cart(&client, &base).await), [(HAT, 2)]);
}
