//! Bundled section rendering on cart mutations, and the Section Rendering API, over HTTP:
//! the five-section limit, nulls for unknown and failing sections, the context (`sections_url`,
//! else a same-origin `Referer`, else `/`), 400 with the mutation still applied, sections on a
//! 422, every body encoding, and hot reload seen through the API.

use std::time::{Duration, Instant};

use crate::common::*;
use serde_json::{Value, json};

/// Prints the context a section rendered in, and the cart it saw.
const PROBE: &str = r#"<p class="probe">path={{ request.path }}|q={{ search.terms }}|page={{ paginate.current_page }}|locale={{ request.locale.iso_code }}|count={{ cart.item_count }}</p>
{% schema %}
{ "name": "Probe", "tag": "aside", "class": "probe-section", "settings": [] }
{% endschema %}
"#;

/// Fails at render time (not at compile time).
const BROKEN: &str = r#"<p>before</p>
<p>{{ 1 + [] }}</p>
{% schema %}
{ "name": "Broken", "settings": [] }
{% endschema %}
"#;

async fn app() -> TestApp {
    TestApp::with_real_theme(
        &[
            ("sections/probe.html", PROBE),
            ("sections/broken.html", BROKEN),
        ],
        false,
    )
    .await
}

fn section<'a>(body: &'a Value, id: &str) -> &'a Value {
    &body["sections"][id]
}

fn probe(body: &Value) -> String {
    section(body, "probe").as_str().unwrap_or("").to_string()
}

#[tokio::test]
async fn sections_render_after_the_commit_in_the_sections_url_context() {
    let app = app().await;
    let visitor = app.visitor();
    let body = visitor
        .post_json(
            "/cart/add.js",
            json!({"id": HAT, "quantity": 2, "sections": "probe,cart-icon-bubble", "sections_url": "/search?q=boots"}),
        )
        .await;
    body.expect(200);
    let body = body.json();
    assert_eq!(body["id"], HAT, "the single-item answer is the line item");
    let html = probe(&body);
    assert!(
        html.starts_with(
            r#"<aside id="shopify-section-probe" class="shopify-section probe-section">"#
        ),
        "{html}"
    );
    assert!(html.contains("path=/search|q=boots|"), "{html}");
    assert!(
        html.contains("count=2"),
        "sections see the cart after the commit: {html}"
    );
    let bubble = section(&body, "cart-icon-bubble").as_str().unwrap_or("");
    assert!(
        bubble.starts_with(r#"<div id="shopify-section-cart-icon-bubble" class="shopify-section"#),
        "{bubble}"
    );
}

#[tokio::test]
async fn referer_gives_the_context_when_there_is_no_sections_url() {
    let app = app().await;
    let visitor = app.visitor();
    let headers = [
        ("host", "shop.test"),
        ("referer", "http://shop.test/collections/all?page=2"),
    ];
    let body = visitor
        .post_json_with(
            "/cart/add.js",
            json!({"items": [{"id": HAT, "quantity": 1}], "sections": ["probe"]}),
            &headers,
        )
        .await
        .json();
    let html = probe(&body);
    assert!(html.contains("path=/collections/all|"), "{html}");
    assert!(html.contains("page=2|"), "{html}");

    // sections_url wins over the Referer.
    let body = visitor
        .post_json_with(
            "/cart/change.js",
            json!({"line": 1, "quantity": 3, "sections": "probe", "sections_url": "/cart"}),
            &headers,
        )
        .await
        .json();
    assert!(probe(&body).contains("path=/cart|"), "{}", probe(&body));
    assert!(probe(&body).contains("count=3"));

    // A Referer from another origin is ignored: the context is `/`.
    let foreign = [
        ("host", "shop.test"),
        ("referer", "http://evil.example/search?q=steal"),
    ];
    let body = visitor
        .post_json_with(
            "/cart/update.js",
            json!({"note": "hi", "sections": "probe"}),
            &foreign,
        )
        .await
        .json();
    assert!(probe(&body).contains("path=/|q=|"), "{}", probe(&body));

    // A locale-prefixed context renders under that locale.
    let body = visitor
        .post_json(
            "/cart/update.js",
            json!({"sections": "probe", "sections_url": "/fr/cart"}),
        )
        .await
        .json();
    assert!(probe(&body).contains("path=/fr/cart|"), "{}", probe(&body));
    assert!(probe(&body).contains("locale=fr|"), "{}", probe(&body));
}

#[tokio::test]
async fn unknown_and_failing_sections_are_null_and_the_status_stays_200() {
    let app = app().await;
    let visitor = app.visitor();
    let response = visitor
        .post_json(
            "/cart/add.js",
            json!({"items": [{"id": HAT, "quantity": 1}], "sections": "probe,broken,no-such-section"}),
        )
        .await;
    response.expect(200);
    let body = response.json();
    assert!(section(&body, "probe").is_string());
    assert!(section(&body, "broken").is_null());
    assert!(section(&body, "no-such-section").is_null());
    let sections = body["sections"].as_object().map(|m| m.len());
    assert_eq!(sections, Some(3), "every requested id is answered");
}

#[tokio::test]
async fn invalid_section_parameters_answer_400_and_the_cart_is_untouched() {
    let app = app().await;
    let visitor = app.visitor();
    let six = "a,b,c,d,e,f";
    visitor
        .post_json(
            "/cart/add.js",
            json!({"id": HAT, "quantity": 1, "sections": six}),
        )
        .await
        .expect(400);
    assert!(lines(&visitor.cart().await).is_empty());
    for url in [
        "https://evil.example/",
        "//evil.example/x",
        "cart",
        "/\\evil.example",
    ] {
        let response = visitor
            .post_json(
                "/cart/add.js",
                json!({"id": HAT, "quantity": 1, "sections": "probe", "sections_url": url}),
            )
            .await;
        response.expect(400);
        assert_eq!(response.json()["status"], "bad_request");
    }
    assert!(lines(&visitor.cart().await).is_empty());
}

#[tokio::test]
async fn a_stock_error_still_returns_sections_of_the_real_cart() {
    let app = app().await;
    let visitor = app.visitor();
    let response = visitor
        .post_json(
            "/cart/add.js",
            json!({"id": LIMITED_PRINT, "quantity": 20, "sections": "probe"}),
        )
        .await;
    response.expect(422);
    let body = response.json();
    assert_eq!(
        body["description"],
        "You can't add more Limited Edition Print to the cart."
    );
    assert!(probe(&body).contains("count=10"), "{}", probe(&body));

    // A refusal that changed nothing shows the unchanged cart.
    let response = visitor
        .post_json(
            "/cart/change.js",
            json!({"id": LIMITED_PRINT, "quantity": 25, "sections": "probe"}),
        )
        .await;
    response.expect(422);
    let body = response.json();
    assert!(body["errors"].is_string());
    assert!(probe(&body).contains("count=10"), "{}", probe(&body));
}

#[tokio::test]
async fn every_mutation_and_encoding_takes_sections() {
    let app = app().await;
    let visitor = app.visitor();
    let accept = [("accept", "application/json")];

    // Repeated form fields.
    let response = visitor
        .post_form(
            "/cart/add.js",
            &[
                ("id", &HAT.to_string()),
                ("quantity", "1"),
                ("sections", "probe"),
                ("sections", "cart-icon-bubble"),
            ],
        )
        .await;
    let body = response.json();
    assert!(probe(&body).contains("count=1"), "{body}");
    assert!(section(&body, "cart-icon-bubble").is_string());

    // Multipart with a comma list, without `.js` but asking for JSON.
    let (content_type, bytes) = multipart(&[
        ("updates[]", "2"),
        ("sections", "probe,cart-icon-bubble"),
        ("sections_url", "/cart"),
    ]);
    let response = visitor
        .request(
            http::Method::POST,
            "/cart/update",
            &[("content-type", content_type.as_str()), accept[0]],
            bytes,
        )
        .await;
    response.expect(200);
    assert!(probe(&response.json()).contains("path=/cart|"));
    assert!(probe(&response.json()).contains("count=2"));

    // JSON array on change without `.js`.
    let response = visitor
        .post_json_with(
            "/cart/change",
            json!({"line": 1, "quantity": 4, "sections": ["probe"]}),
            &accept,
        )
        .await;
    assert!(probe(&response.json()).contains("count=4"));

    // Clear, under a locale prefix.
    let response = visitor
        .post_json("/fr/cart/clear.js", json!({"sections": "probe"}))
        .await;
    assert!(probe(&response.json()).contains("count=0"));
}

#[tokio::test]
async fn section_rendering_api_on_page_urls() {
    let app = app().await;
    let visitor = app.visitor();
    visitor.add(HAT, 2).await;
    let response = visitor
        .get("/search?q=rain&sections=probe,cart-icon-bubble,broken,nope")
        .await;
    response.expect(200);
    let body = response.json();
    assert!(
        body["probe"]
            .as_str()
            .unwrap_or("")
            .contains("path=/search|q=rain|"),
        "{body}"
    );
    assert!(body["probe"].as_str().unwrap_or("").contains("count=2"));
    assert!(body["broken"].is_null());
    assert!(body["nope"].is_null());

    let response = visitor
        .get("/collections/all?page=2&sections[]=probe&sections[]=cart-drawer")
        .await;
    let body = response.json();
    assert!(
        body["probe"].as_str().unwrap_or("").contains("page=2|"),
        "{body}"
    );
    assert!(body["cart-drawer"].is_string());

    visitor.get("/?sections=a,b,c,d,e,f").await.expect(400);

    let response = visitor.get("/cart?section_id=probe").await;
    response.expect(200);
    assert!(
        response
            .text()
            .starts_with(r#"<aside id="shopify-section-probe""#)
    );
    visitor.get("/cart?section_id=nope").await.expect(404);

    // A JSON-template instance resolves against its own page only.
    let id = "template--cart__items";
    let on_cart = visitor.get(&format!("/cart?sections={id}")).await.json();
    assert!(on_cart[id].is_string(), "{on_cart}");
    let on_home = visitor.get(&format!("/?sections={id}")).await.json();
    assert!(on_home[id].is_null(), "{on_home}");
}

#[tokio::test]
async fn an_edited_section_is_served_without_a_restart() {
    let app = TestApp::with_real_theme(&[("sections/probe.html", PROBE)], true).await;
    let visitor = app.visitor();
    let before = visitor.get("/?section_id=probe").await.text();
    assert!(before.contains("path=/|"));
    let file = app.path().join("sections/probe.html");
    std::fs::write(&file, PROBE.replace("path=", "edited-path=")).expect("edit the section");
    let saved = Instant::now();
    loop {
        let now = visitor.get("/?section_id=probe").await.text();
        if now.contains("edited-path=/|") {
            break;
        }
        assert!(
            saved.elapsed() < Duration::from_secs(2),
            "the edit never showed: {now}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    eprintln!("edit visible after {:?}", saved.elapsed());
}

#[tokio::test]
async fn an_item_added_through_elastic_path_shows_in_the_rendered_sections() {
    let app = app().await;
    let visitor = app.visitor();
    let token = visitor.get("/cart.js").await.json()["token"]
        .as_str()
        .expect("cart token")
        .to_string();
    let grant = visitor
        .post_form(
            "/oauth/access_token",
            &[
                ("client_id", vitrine::state::DEMO_EP_CLIENT_ID),
                ("grant_type", "implicit"),
            ],
        )
        .await
        .json();
    let bearer = format!(
        "Bearer {}",
        grant["access_token"].as_str().expect("access token")
    );
    let products: Value = serde_json::from_str(
        &std::fs::read_to_string(app.path().join("data/products.json")).expect("products.json"),
    )
    .expect("products json");
    let uuid = products
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|p| p["variants"].as_array().into_iter().flatten())
        .find(|v| v["id"] == HAT)
        .and_then(|v| v["uuid"].as_str())
        .expect("the hat's uuid")
        .to_string();
    let body = json!({"data": {"type": "cart_item", "id": uuid, "quantity": 3}});
    let added = visitor
        .request(
            http::Method::POST,
            &format!("/v2/carts/{token}/items"),
            &[
                ("content-type", "application/json"),
                ("authorization", bearer.as_str()),
            ],
            body.to_string(),
        )
        .await;
    assert!(added.status.is_success(), "{}", added.text());

    let sections = visitor
        .get("/cart?sections=probe,cart-drawer,cart-icon-bubble")
        .await
        .json();
    assert!(
        sections["probe"].as_str().unwrap_or("").contains("count=3"),
        "{sections}"
    );
    let drawer = sections["cart-drawer"].as_str().unwrap_or("");
    assert!(
        drawer.contains("/products/sou-wester-rain-hat"),
        "the drawer lists the hat: {drawer}"
    );
}

#[tokio::test]
async fn live_reload_events_name_the_changed_section() {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let app = TestApp::with_real_theme(&[("sections/probe.html", PROBE)], true).await;
    let response = app
        .router
        .clone()
        .oneshot(
            http::Request::get(vitrine::theme::EVENTS_PATH)
                .body(axum::body::Body::empty())
                .expect("request"),
        )
        .await
        .expect("events answer");
    assert_eq!(response.status(), 200);
    let mut body = response.into_body();
    // Let the subscription start before the edit.
    tokio::time::sleep(Duration::from_millis(50)).await;
    std::fs::write(
        app.path().join("sections/probe.html"),
        PROBE.replace("path=", "p="),
    )
    .expect("edit the section");
    let deadline = Instant::now() + Duration::from_secs(3);
    let mut seen = String::new();
    while Instant::now() < deadline {
        let frame = tokio::time::timeout(Duration::from_millis(500), body.frame()).await;
        if let Ok(Some(Ok(frame))) = frame
            && let Some(data) = frame.data_ref()
        {
            seen.push_str(&String::from_utf8_lossy(data));
            if seen.contains("\"section\"") && seen.contains("probe") {
                return;
            }
        }
    }
    panic!("no section event for probe; saw: {seen}");
}
