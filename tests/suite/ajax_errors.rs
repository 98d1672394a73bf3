//! Errors of the Ajax Cart API: every refusal has the platform's shape and changes nothing;
//! `If-Match` guards mutations; concurrent mutations on one cart never lose an update; cart
//! tokens and the session cookie are safe.

use std::collections::HashSet;

use crate::common::*;
use http::Method;
use serde_json::{Value, json};

/// The cart as the visitor sees it, plus its ETag (which names the version).
async fn snapshot(visitor: &Visitor) -> (Value, String) {
    let resp = visitor.get("/cart.js").await;
    resp.expect(200);
    let etag = resp
        .header("etag")
        .expect("cart.js has an ETag")
        .to_string();
    (resp.json(), etag)
}

async fn filled(app: &TestApp) -> Visitor {
    let visitor = app.visitor();
    visitor.add(HAT, 2).await;
    visitor
        .post_json(
            "/cart/update.js",
            json!({"note": "keep", "attributes": {"Gift wrap": "Yes"}}),
        )
        .await
        .expect(200);
    visitor
}

const MUTATIONS: [&str; 4] = [
    "/cart/add.js",
    "/cart/update.js",
    "/cart/change.js",
    "/cart/clear.js",
];

#[tokio::test]
async fn malformed_json_is_400_in_the_platform_shape_and_changes_nothing() {
    let app = TestApp::new().await;
    let visitor = filled(&app).await;
    let before = snapshot(&visitor).await;
    for path in MUTATIONS {
        let deep = format!("{}{}", "{\"a\":".repeat(5000), "}".repeat(5000));
        for body in [
            "{",
            "{\"id\": }",
            "[1, 2]",
            "\"text\"",
            "{\"id\": 1,}",
            "nul",
            "{\"id\": 1e400}",
            "{\"id\": \"\\ud800\"}",
            deep.as_str(),
        ] {
            let resp = visitor
                .post_raw(path, "application/json", body.to_string())
                .await;
            assert_bad_request(&resp);
        }
        // Not UTF-8 at all.
        let resp = visitor
            .post_raw(path, "application/json", vec![b'{', 0xff, 0xfe, b'}'])
            .await;
        assert_bad_request(&resp);
    }
    assert_eq!(snapshot(&visitor).await, before);
}

#[tokio::test]
async fn bad_field_types_are_400_in_the_platform_shape_and_change_nothing() {
    let app = TestApp::new().await;
    let visitor = filled(&app).await;
    let before = snapshot(&visitor).await;
    let cases = [
        ("/cart/add.js", json!({"id": "abc"})),
        ("/cart/add.js", json!({"id": [HAT]})),
        ("/cart/add.js", json!({"id": true})),
        ("/cart/add.js", json!({"id": HAT, "quantity": "two"})),
        ("/cart/add.js", json!({"id": HAT, "quantity": 1.5})),
        ("/cart/add.js", json!({"id": HAT, "quantity": {}})),
        ("/cart/add.js", json!({"id": HAT, "properties": "gift"})),
        (
            "/cart/add.js",
            json!({"id": HAT, "selling_plan": "monthly"}),
        ),
        ("/cart/add.js", json!({"id": HAT, "parent_id": [1]})),
        ("/cart/add.js", json!({"items": "all"})),
        ("/cart/add.js", json!({"items": []})),
        ("/cart/add.js", json!({"items": [5]})),
        ("/cart/add.js", json!({"items": [{"quantity": 1}]})),
        ("/cart/add.js", json!({})),
        ("/cart/update.js", json!({"updates": 5})),
        ("/cart/update.js", json!({"updates": {"794864053": "many"}})),
        ("/cart/update.js", json!({"updates": ["x"]})),
        ("/cart/update.js", json!({"note": 5})),
        ("/cart/update.js", json!({"attributes": ["Gift wrap"]})),
        ("/cart/update.js", json!({"discount": 10})),
        ("/cart/change.js", json!({"line": 1, "quantity": "lots"})),
        ("/cart/change.js", json!({"line": 1, "properties": [1]})),
        ("/cart/change.js", json!({"line": 1, "selling_plan": {}})),
    ];
    for (path, body) in cases {
        let resp = visitor.post_json(path, body.clone()).await;
        assert!(
            resp.status == 400,
            "{path} {body}: {} {}",
            resp.status,
            resp.text()
        );
        assert_bad_request(&resp);
    }
    assert_eq!(snapshot(&visitor).await, before);
}

#[tokio::test]
async fn refused_commands_change_nothing() {
    let app = TestApp::new().await;
    let visitor = filled(&app).await;
    let before = snapshot(&visitor).await;
    let cases = [
        (
            "/cart/add.js",
            json!({"id": SOLD_OUT_SCARF, "quantity": 1}),
            422,
        ),
        ("/cart/add.js", json!({"id": 1, "quantity": 1}), 404),
        ("/cart/add.js", json!({"id": HAT, "quantity": -1}), 422),
        (
            "/cart/add.js",
            json!({"id": HAT, "quantity": 1, "selling_plan": 6717605}),
            422,
        ),
        (
            "/cart/add.js",
            json!({"items": [{"id": BOOTS, "quantity": 1}, {"id": SOLD_OUT_SCARF, "quantity": 1}]}),
            422,
        ),
        (
            "/cart/update.js",
            json!({"updates": {"794864053": 5, "1": 1}}),
            404,
        ),
        (
            "/cart/update.js",
            json!({"updates": {"794864053": -2}}),
            422,
        ),
        (
            "/cart/update.js",
            json!({"note": "x".repeat(6000), "updates": {"794864053": 5}}),
            422,
        ),
        (
            "/cart/update.js",
            json!({"updates": {"794864053:00000000000000000000000000000000": 1}}),
            404,
        ),
        ("/cart/change.js", json!({"line": 9, "quantity": 0}), 400),
        ("/cart/change.js", json!({"line": 1, "quantity": -5}), 422),
    ];
    for (path, body, status) in cases {
        let resp = visitor.post_json(path, body.clone()).await;
        assert_eq!(
            resp.status.as_u16(),
            status,
            "{path} {body}: {}",
            resp.text()
        );
        let error = resp.json();
        assert!(field(&error, "message").is_string(), "{error}");
        assert!(field(&error, "description").is_string(), "{error}");
        assert_eq!(snapshot(&visitor).await, before, "after {path} {body}");
    }
}

#[tokio::test]
async fn over_stock_in_a_batch_is_clamped_and_the_rest_added() {
    // The document's clamp: the available maximum is added, with the 422; the other items too.
    let app = TestApp::new().await;
    let visitor = app.visitor();
    let resp = visitor
        .post_json(
            "/cart/add.js",
            json!({"items": [{"id": BOOTS, "quantity": 1}, {"id": LIMITED_PRINT, "quantity": 20}]}),
        )
        .await;
    assert_cart_error(
        &resp,
        422,
        "You can't add more Limited Edition Print to the cart.",
    );
    assert_eq!(
        lines(&visitor.cart().await),
        [(BOOTS, 1), (LIMITED_PRINT, 10)]
    );
}

#[tokio::test]
async fn oversized_body_is_413_in_the_platform_shape() {
    let app = TestApp::new().await;
    let visitor = filled(&app).await;
    let before = snapshot(&visitor).await;
    let note = "x".repeat(vitrine::MAX_BODY_BYTES + 10);
    let resp = visitor
        .post_json("/cart/update.js", json!({ "note": note }))
        .await;
    resp.expect(413);
    let body = resp.json();
    assert_eq!(int(&body, "status"), 413);
    assert!(field(&body, "message").is_string());
    assert!(field(&body, "description").is_string());
    assert_eq!(snapshot(&visitor).await, before);
}

#[tokio::test]
async fn multipart_without_a_boundary_is_400() {
    let app = TestApp::new().await;
    let visitor = app.visitor();
    let resp = visitor
        .post_raw("/cart/add.js", "multipart/form-data", "id=1")
        .await;
    assert_bad_request(&resp);
    let (content_type, body) = multipart(&[("id", &HAT.to_string())]);
    let truncated = body[..body.len() / 2].to_vec();
    let resp = visitor
        .post_raw("/cart/add.js", &content_type, truncated)
        .await;
    assert_bad_request(&resp);
}

#[tokio::test]
async fn product_list_with_bad_paging_is_400_in_the_platform_shape() {
    let app = TestApp::new().await;
    let visitor = app.visitor();
    for query in ["limit=abc", "page=-1", "limit=1.5"] {
        let resp = visitor.get(&format!("/products.json?{query}")).await;
        assert_bad_request(&resp);
    }
}

// --- If-Match / ETag ---------------------------------------------------------------------------

#[tokio::test]
async fn if_match_guards_every_mutation() {
    let app = TestApp::new().await;
    let visitor = filled(&app).await;
    let (_, etag) = snapshot(&visitor).await;
    assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");

    // A mutation moves the ETag on.
    let resp = visitor
        .post_json_with(
            "/cart/add.js",
            json!({"id": BOOTS, "quantity": 1}),
            &[("if-match", &etag)],
        )
        .await;
    resp.expect(200);
    let (cart, current) = snapshot(&visitor).await;
    assert_ne!(current, etag);
    assert_eq!(lines(&cart), [(HAT, 2), (BOOTS, 1)]);

    // The stale ETag: 412 on every mutation, and nothing changes.
    let before = snapshot(&visitor).await;
    let stale = [
        ("/cart/add.js", json!({"id": BOOTS, "quantity": 1})),
        ("/cart/update.js", json!({"note": "changed"})),
        ("/cart/change.js", json!({"line": 1, "quantity": 5})),
        ("/cart/clear.js", json!({})),
    ];
    for (path, body) in stale {
        let resp = visitor
            .post_json_with(path, body, &[("if-match", &etag)])
            .await;
        resp.expect(412);
        let error = resp.json();
        assert_eq!(int(&error, "status"), 412);
        assert!(field(&error, "description").is_string());
        assert_eq!(snapshot(&visitor).await, before, "{path}");
    }
    // A list that names the current version, a weak tag, and `*` all match.
    let mut current = current;
    for form in [
        |tag: &str| format!("\"0-nope\", {tag}"),
        |tag: &str| format!("W/{tag}"),
        |_: &str| "*".to_string(),
    ] {
        let header = form(&current);
        let resp = visitor
            .post_json_with(
                "/cart/update.js",
                json!({"note": header.clone()}),
                &[("if-match", &header)],
            )
            .await;
        resp.expect(200);
        let (_, next) = snapshot(&visitor).await;
        assert_eq!(resp.header("etag"), Some(next.as_str()));
        assert_ne!(next, current);
        current = next;
    }
}

#[tokio::test]
async fn if_match_on_a_cart_not_yet_written() {
    let app = TestApp::new().await;
    let visitor = app.visitor();
    let (_, etag) = snapshot(&visitor).await;
    let resp = visitor
        .post_json_with(
            "/cart/add.js",
            json!({"id": HAT, "quantity": 1}),
            &[("if-match", &etag)],
        )
        .await;
    resp.expect(200);
    let other = app.visitor();
    let resp = other
        .post_json_with(
            "/cart/add.js",
            json!({"id": HAT, "quantity": 1}),
            &[("if-match", &etag)],
        )
        .await;
    resp.expect(412);
    assert!(items(&other.cart().await).is_empty());
}

// --- Concurrency -------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_adds_on_one_cart_sum_exactly() {
    let app = TestApp::new().await;
    let visitor = app.visitor();
    visitor.add(GIFT_CARD, 1).await;
    visitor.add(HAT, 1).await;
    let (_, etag_before) = snapshot(&visitor).await;
    let mut tasks = Vec::new();
    for i in 1..=50i64 {
        let tab = visitor.same_session();
        tasks.push(tokio::spawn(async move {
            let body = if i % 2 == 0 {
                json!({"items": [{"id": GIFT_CARD, "quantity": i}]})
            } else {
                json!({"id": HAT, "quantity": 1})
            };
            tab.post_json("/cart/add.js", body).await.status.as_u16()
        }));
    }
    for task in tasks {
        assert_eq!(task.await.expect("task"), 200);
    }
    let (cart, etag_after) = snapshot(&visitor).await;
    let even_sum: i64 = (1..=50).filter(|i| i % 2 == 0).sum();
    assert_eq!(lines(&cart), [(GIFT_CARD, 1 + even_sum), (HAT, 1 + 25)]);
    assert_ne!(etag_before, etag_after);
    // Every add was its own committed version.
    let token = field(&cart, "token").as_str().expect("token");
    let stored = app
        .state
        .store()
        .cart(token)
        .await
        .expect("store")
        .expect("cart");
    assert_eq!(stored.version, 2 + 50);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_adds_never_exceed_the_stock() {
    let app = TestApp::new().await;
    let visitor = app.visitor();
    visitor.add(HAT, 1).await;
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let tab = visitor.same_session();
        tasks.push(tokio::spawn(async move {
            tab.post_json("/cart/add.js", json!({"id": LIMITED_PRINT, "quantity": 1}))
                .await
                .status
                .as_u16()
        }));
    }
    let mut ok = 0;
    for task in tasks {
        match task.await.expect("task") {
            200 => ok += 1,
            422 => {}
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!(ok, 10);
    assert_eq!(
        lines(&visitor.cart().await),
        [(HAT, 1), (LIMITED_PRINT, 10)]
    );
}

// --- Tokens and the session cookie ---------------------------------------------------------------

#[tokio::test]
async fn cart_tokens_are_unguessable_and_distinct() {
    let app = TestApp::new().await;
    let mut seen = HashSet::new();
    for _ in 0..20 {
        let visitor = app.visitor();
        let cart = visitor.cart().await;
        let token = field(&cart, "token").as_str().expect("token").to_string();
        let hex: String = token.chars().filter(|c| c.is_ascii_hexdigit()).collect();
        assert!(hex.len() >= 32, "{token} carries at least 128 bits");
        assert!(seen.insert(token), "tokens repeat");
    }
}

#[tokio::test]
async fn session_cookie_is_http_only_and_same_site_lax() {
    let app = TestApp::new().await;
    let visitor = app.visitor();
    let resp = visitor.get("/cart.js").await;
    resp.expect(200);
    let set_cookie = resp
        .header("set-cookie")
        .expect("the first visit sets the session cookie");
    assert!(set_cookie.starts_with(&format!("{}=", vitrine::SESSION_COOKIE)));
    let attrs: Vec<String> = set_cookie
        .split(';')
        .map(|a| a.trim().to_ascii_lowercase())
        .collect();
    assert!(attrs.contains(&"httponly".to_string()), "{set_cookie}");
    assert!(attrs.contains(&"samesite=lax".to_string()), "{set_cookie}");
    assert!(attrs.contains(&"path=/".to_string()), "{set_cookie}");
    // The cookie value is not the cart token.
    let token = field(&visitor.cart().await, "token")
        .as_str()
        .expect("token")
        .to_string();
    assert!(!set_cookie.contains(&token));
}

#[tokio::test]
async fn a_forged_or_unknown_cookie_gets_a_fresh_cart() {
    let app = TestApp::new().await;
    let owner = app.visitor();
    owner.add(HAT, 1).await;
    let stranger = app.visitor();
    let resp = stranger
        .get_with(
            "/cart.js",
            &[(
                "cookie",
                &format!("{}=AAAAAAAAAAAAAAAAAAAAAA", vitrine::SESSION_COOKIE),
            )],
        )
        .await;
    resp.expect(200);
    assert!(items(&resp.json()).is_empty());
}

#[tokio::test]
async fn currency_is_the_shops_also_after_the_first_write() {
    let app = TestApp::with_data(|data| {
        let path = data.join("shop.json");
        let mut shop: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("shop.json"))
                .expect("json");
        shop["currency"] = json!("USD");
        std::fs::write(&path, serde_json::to_string_pretty(&shop).expect("json")).expect("write");
    })
    .await;
    let visitor = app.visitor();
    assert_eq!(field(&visitor.cart().await, "currency"), "USD");
    visitor.add(HAT, 1).await;
    assert_eq!(field(&visitor.cart().await, "currency"), "USD");
}

#[tokio::test]
async fn wrong_methods_do_not_answer_html() {
    let app = TestApp::new().await;
    let visitor = app.visitor();
    for path in [
        "/cart/add.js",
        "/cart/update.js",
        "/cart/change.js",
        "/cart/clear.js",
    ] {
        let resp = visitor
            .request(Method::GET, path, &[], axum::body::Body::empty())
            .await;
        assert_eq!(resp.status.as_u16(), 405, "{path}");
        assert!(
            !resp
                .header("content-type")
                .is_some_and(|t| t.contains("html")),
            "{path}"
        );
    }
}

// --- a session that cannot be saved ----------------------------------------------------------

/// The database refuses the session write that follows a successful handler (here: a trigger
/// refuses every new session row). The visitor gets a 503 in the shape their request expects, not the
/// session layer's empty 500, and no cookie for a session that was never stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_that_cannot_be_saved_answers_503_in_the_callers_shape() {
    let app = TestApp::new().await;
    let db = rusqlite::Connection::open(&app.state.config().db).expect("open the store's file");
    db.execute_batch(
        "CREATE TRIGGER refuse_sessions BEFORE INSERT ON tower_sessions
         BEGIN SELECT RAISE(FAIL, 'no new sessions'); END;",
    )
    .expect("add the trigger");

    let visitor = app.visitor();
    let ajax = visitor
        .post_json("/cart/add.js", json!({ "id": HAT, "quantity": 1 }))
        .await;
    ajax.expect(503);
    assert_eq!(ajax.json()["status"], 503, "{}", ajax.text());
    assert_eq!(ajax.json()["message"], "Service Unavailable");
    assert!(
        ajax.header(http::header::SET_COOKIE).is_none(),
        "a cookie for an unsaved session"
    );

    let form = visitor
        .post_form(
            "/cart/add",
            &[("id", HAT.to_string().as_str()), ("quantity", "1")],
        )
        .await;
    form.expect(503);
    assert!(
        form.text().contains("cannot be reached right now"),
        "{}",
        form.text()
    );
}
