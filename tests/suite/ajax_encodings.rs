//! The Ajax Cart API's request encodings (JSON, urlencoded and hand-built multipart with Shopify's
//! bracket names, numbers as strings, empty bodies), locale prefixes, and the plain-HTML form
//! routes: 303 redirects, flash messages and `return_to`.

use crate::common::*;
use axum::body::Body;
use http::Method;
use serde_json::json;

// --- Encodings ----------------------------------------------------------------------------------

#[tokio::test]
async fn add_urlencoded_single_item_with_properties() {
    let app = TestApp::new().await;
    let visitor = app.visitor();
    let resp = visitor
        .post_form(
            "/cart/add.js",
            &[
                ("id", "794864229"),
                ("quantity", "2"),
                ("properties[First name]", "Caroline"),
                ("properties[_foo]", "bar"),
            ],
        )
        .await;
    resp.expect(200);
    let line = resp.json();
    assert_eq!(int(&line, "variant_id"), RED_RAIN_COAT);
    assert_eq!(int(&line, "quantity"), 2);
    assert_eq!(
        field(&line, "properties"),
        &json!({"First name": "Caroline", "_foo": "bar"})
    );
}

#[tokio::test]
async fn numeric_names_are_names_in_properties_attributes_and_updates() {
    let app = TestApp::new().await;
    let visitor = app.visitor();
    // A property and an attribute named "1" (a form numbering its questions).
    let resp = visitor
        .post_form(
            "/cart/add.js",
            &[("id", "794864229"), ("properties[1]", "Gift")],
        )
        .await;
    resp.expect(200);
    assert_eq!(field(&resp.json(), "properties"), &json!({"1": "Gift"}));
    let resp = visitor
        .post_form("/cart/update.js", &[("attributes[2]", "Ring twice")])
        .await;
    resp.expect(200);
    assert_eq!(
        field(&resp.json(), "attributes"),
        &json!({"2": "Ring twice"})
    );
    // `updates[0]` names variant 0, which does not exist: not the first line.
    let resp = visitor
        .post_form("/cart/update.js", &[("updates[0]", "5")])
        .await;
    assert_eq!(resp.status, 404, "{}", resp.text());
    let cart = visitor.get("/cart.js").await.json();
    assert_eq!(lines(&cart), [(RED_RAIN_COAT, 1)]);
}

#[tokio::test]
async fn add_items_with_bracket_names_in_every_encoding() {
    let pairs = [
        ("items[0][id]", "36323170943141"),
        ("items[0][quantity]", "1"),
        ("items[1][id]", "36323170943141"),
        ("items[1][quantity]", "2"),
        ("items[1][selling_plan]", "6717605"),
        ("items[2][id]", "794864229"),
        ("items[2][quantity]", "1"),
        ("items[2][properties][First name]", "Caroline"),
        ("items[2][parent_id]", "4534355122"),
    ];
    let expected = [(GRANOLA, 1), (GRANOLA, 2), (RED_RAIN_COAT, 1)];
    let app = TestApp::new().await;

    let urlencoded = app.visitor();
    let resp = urlencoded.post_form("/cart/add.js", &pairs).await;
    resp.expect(200);
    let body = resp.json();
    assert_eq!(lines(&body), expected);
    assert_eq!(int(&items(&body)[1], "price"), 1700);
    assert_eq!(
        field(&items(&body)[2], "properties"),
        &json!({"First name": "Caroline"})
    );

    let multipart = app.visitor();
    let resp = multipart.post_multipart("/cart/add.js", &pairs).await;
    resp.expect(200);
    assert_eq!(lines(&resp.json()), expected);

    // The JSON equivalent gives the same keys: the encoding does not change the line.
    let json_visitor = app.visitor();
    let resp = json_visitor
        .post_json(
            "/cart/add.js",
            json!({"items": [
                {"id": GRANOLA, "quantity": 1},
                {"id": GRANOLA, "quantity": 2, "selling_plan": 6717605},
                {"id": RED_RAIN_COAT, "quantity": 1, "properties": {"First name": "Caroline"}, "parent_id": 4534355122_i64}
            ]}),
        )
        .await;
    resp.expect(200);
    let keys = |v: &serde_json::Value| -> Vec<String> {
        items(v)
            .iter()
            .map(|l| field(l, "key").as_str().expect("key").to_string())
            .collect()
    };
    assert_eq!(keys(&resp.json()), keys(&body));

    // `items[][id]` (no indices) works too.
    let pushed = app.visitor();
    let resp = pushed
        .post_form(
            "/cart/add.js",
            &[
                ("items[][id]", "794864053"),
                ("items[][quantity]", "2"),
                ("items[][id]", "794864233"),
                ("items[][quantity]", "1"),
            ],
        )
        .await;
    resp.expect(200);
    assert_eq!(lines(&resp.json()), [(HAT, 2), (BOOTS, 1)]);
}

#[tokio::test]
async fn update_with_bracket_names_urlencoded_and_multipart() {
    let app = TestApp::new().await;
    let visitor = app.visitor();
    let resp = visitor
        .post_form(
            "/cart/update.js",
            &[
                ("updates[794864053]", "2"),
                ("updates[794864233]", "3"),
                ("note", "Leave at the door"),
                ("attributes[Gift wrap]", "Yes"),
                ("discount", "WELCOME10"),
            ],
        )
        .await;
    resp.expect(200);
    let cart = resp.json();
    assert_eq!(lines(&cart), [(HAT, 2), (BOOTS, 3)]);
    assert_eq!(field(&cart, "note"), "Leave at the door");
    assert_eq!(field(&cart, "attributes"), &json!({"Gift wrap": "Yes"}));
    assert_eq!(int(&cart, "total_discount"), 3430);

    // The cart page form: `updates[]`, one per line, in order.
    let resp = visitor
        .post_multipart("/cart/update.js", &[("updates[]", "5"), ("updates[]", "0")])
        .await;
    resp.expect(200);
    assert_eq!(lines(&resp.json()), [(HAT, 5)]);
    // Line keys work as bracket names too.
    let key = field(&items(&resp.json())[0], "key")
        .as_str()
        .expect("key")
        .to_string();
    let name = format!("updates[{key}]");
    let resp = visitor
        .post_form("/cart/update.js", &[(name.as_str(), "1")])
        .await;
    resp.expect(200);
    assert_eq!(lines(&resp.json()), [(HAT, 1)]);
}

#[tokio::test]
async fn change_with_form_encodings() {
    let app = TestApp::new().await;
    let visitor = app.visitor();
    visitor.add(HAT, 1).await;
    visitor.add(RED_RAIN_COAT, 1).await;
    let resp = visitor
        .post_form("/cart/change.js", &[("line", "1"), ("quantity", "4")])
        .await;
    resp.expect(200);
    assert_eq!(lines(&resp.json()), [(HAT, 4), (RED_RAIN_COAT, 1)]);
    let resp = visitor
        .post_multipart(
            "/cart/change.js",
            &[
                ("line", "2"),
                ("quantity", "2"),
                ("selling_plan", "183638"),
                ("properties[Engraving]", "R.R."),
            ],
        )
        .await;
    resp.expect(200);
    let body = resp.json();
    let line = &items(&body)[1];
    assert_eq!(int(line, "price"), 10320);
    assert_eq!(field(line, "properties"), &json!({"Engraving": "R.R."}));
    // An empty `selling_plan` field removes the plan.
    let resp = visitor
        .post_form(
            "/cart/change.js",
            &[("line", "2"), ("quantity", "2"), ("selling_plan", "")],
        )
        .await;
    resp.expect(200);
    let body = resp.json();
    let line = &items(&body)[1];
    assert!(line.get("selling_plan_allocation").is_none());
    let key = field(line, "key").as_str().expect("key").to_string();
    let resp = visitor
        .post_form("/cart/change.js", &[("id", &key), ("quantity", "0")])
        .await;
    resp.expect(200);
    assert_eq!(lines(&resp.json()), [(HAT, 4)]);
}

/// multer reads the multipart `boundary`: quoted or not, its name in any case, other parameters
/// around it, spaces around `;`. A `Content-Type` it cannot decode (a parameter without a value,
/// which RFC 7231 does not allow and no browser sends) is a 400 in the Ajax shape, and the cart
/// is left as it was.
#[tokio::test]
async fn multipart_boundary_parameters_as_clients_send_them() {
    let app = TestApp::new().await;
    let visitor = app.visitor();
    let body = "--b0undary\r\nContent-Disposition: form-data; name=\"id\"\r\n\r\n794864053\r\n\
                --b0undary\r\nContent-Disposition: form-data; name=\"quantity\"\r\n\r\n2\r\n\
                --b0undary--\r\n";
    for content_type in [
        "multipart/form-data; boundary=\"b0undary\"",
        "Multipart/Form-Data; charset=UTF-8; BOUNDARY=b0undary",
        "multipart/form-data ; boundary=b0undary ; charset=utf-8",
    ] {
        let resp = visitor.post_raw("/cart/add.js", content_type, body).await;
        resp.expect(200);
        assert_eq!(int(&resp.json(), "variant_id"), HAT, "{content_type}");
    }
    assert_eq!(lines(&visitor.cart().await), [(HAT, 6)]);
    for content_type in [
        "multipart/form-data; flag; boundary=b0undary",
        "multipart/form-data; boundary=\"\"",
        "multipart/form-data",
    ] {
        let resp = visitor.post_raw("/cart/add.js", content_type, body).await;
        assert_bad_request(&resp);
    }
    assert_eq!(lines(&visitor.cart().await), [(HAT, 6)]);
}

#[tokio::test]
async fn numbers_may_arrive_as_strings() {
    let app = TestApp::new().await;
    let visitor = app.visitor();
    let resp = visitor
        .post_json(
            "/cart/add.js",
            json!({"items": [{"id": "794864229", "quantity": "2", "selling_plan": "183638"}]}),
        )
        .await;
    resp.expect(200);
    assert_eq!(lines(&resp.json()), [(RED_RAIN_COAT, 2)]);
    let resp = visitor
        .post_json("/cart/change.js", json!({"line": "1", "quantity": "3"}))
        .await;
    resp.expect(200);
    assert_eq!(lines(&resp.json()), [(RED_RAIN_COAT, 3)]);
    let resp = visitor
        .post_json(
            "/cart/change.js",
            json!({"id": "794864229", "quantity": "1"}),
        )
        .await;
    resp.expect(200);
    assert_eq!(lines(&resp.json()), [(RED_RAIN_COAT, 1)]);
    let resp = visitor
        .post_json("/cart/update.js", json!({"updates": {"794864053": "2"}}))
        .await;
    resp.expect(200);
    assert_eq!(lines(&resp.json()), [(RED_RAIN_COAT, 1), (HAT, 2)]);
    let resp = visitor
        .post_json("/cart/update.js", json!({"updates": ["4", 5]}))
        .await;
    resp.expect(200);
    assert_eq!(lines(&resp.json()), [(RED_RAIN_COAT, 4), (HAT, 5)]);
}

#[tokio::test]
async fn clear_js_with_an_empty_json_body() {
    let app = TestApp::new().await;
    let visitor = app.visitor();
    for content_type in [Some("application/json;"), Some("application/json"), None] {
        visitor.add(HAT, 1).await;
        let headers: Vec<(&str, &str)> = content_type
            .map(|t| vec![("content-type", t)])
            .unwrap_or_default();
        let resp = visitor
            .request(Method::POST, "/cart/clear.js", &headers, Body::empty())
            .await;
        resp.expect(200);
        assert!(items(&resp.json()).is_empty(), "{content_type:?}");
    }
}

#[tokio::test]
async fn a_json_string_body_without_json_content_type_is_read_as_json() {
    // `fetch(url, {method: 'POST', body: JSON.stringify(data)})` sends text/plain.
    let app = TestApp::new().await;
    let visitor = app.visitor();
    let resp = visitor
        .post_raw(
            "/cart/add.js",
            "text/plain;charset=UTF-8",
            json!({"items": [{"id": HAT, "quantity": 2}]}).to_string(),
        )
        .await;
    resp.expect(200);
    assert_eq!(lines(&resp.json()), [(HAT, 2)]);
}

// --- Locale prefixes -----------------------------------------------------------------------------

#[tokio::test]
async fn every_endpoint_answers_under_the_locale_prefix_on_the_same_cart() {
    let app = TestApp::new().await;
    let visitor = app.visitor();
    let resp = visitor
        .post_json(
            "/fr/cart/add.js",
            json!({"items": [{"id": HAT, "quantity": 1}]}),
        )
        .await;
    resp.expect(200);
    let resp = visitor
        .post_json("/fr/cart/update.js", json!({"updates": {"794864233": 2}}))
        .await;
    resp.expect(200);
    let resp = visitor
        .post_json("/fr/cart/change.js", json!({"line": 1, "quantity": 3}))
        .await;
    resp.expect(200);
    assert_eq!(lines(&resp.json()), [(HAT, 3), (BOOTS, 2)]);
    for path in ["/fr/cart.js", "/fr/cart.json"] {
        let resp = visitor.get(path).await;
        resp.expect(200);
        assert_eq!(resp.json(), visitor.cart().await, "{path}");
    }
    let resp = visitor
        .request(
            Method::POST,
            &format!("/fr/cart/prepare_shipping_rates.json?{ADDRESS_QUERY}"),
            &[],
            Body::empty(),
        )
        .await;
    resp.expect(200);
    assert_eq!(resp.text().trim(), "null");
    for path in [
        "/fr/cart/async_shipping_rates.json",
        "/fr/cart/shipping_rates.json",
    ] {
        let resp = visitor.get(&format!("{path}?{ADDRESS_QUERY}")).await;
        resp.expect(200);
        assert_eq!(
            field(&resp.json(), "shipping_rates")
                .as_array()
                .map(Vec::len),
            Some(3),
            "{path}"
        );
    }
    let resp = visitor.get("/fr/products.json").await;
    resp.expect(200);
    assert!(field(&resp.json(), "products").is_array());
    let resp = visitor.get("/fr/products/red-rain-coat.js").await;
    resp.expect(200);
    assert_eq!(field(&resp.json(), "handle"), "red-rain-coat");

    let resp = visitor.post_json("/fr/cart/clear.js", json!({})).await;
    resp.expect(200);
    assert!(items(&visitor.cart().await).is_empty());
}

// --- Plain form posts: negotiation, redirects, flash ------------------------------------------------

#[tokio::test]
async fn non_js_forms_answer_json_to_ajax_callers() {
    let app = TestApp::new().await;
    let visitor = app.visitor();
    for headers in [
        [("accept", "application/json")],
        [("accept", "application/javascript")],
        [("x-requested-with", "XMLHttpRequest")],
    ] {
        let resp = visitor
            .post_form_with(
                "/cart/add",
                &[("id", "794864053"), ("quantity", "1")],
                &headers,
            )
            .await;
        resp.expect(200);
        assert_eq!(int(&resp.json(), "variant_id"), HAT, "{headers:?}");
        for (path, pairs) in [
            ("/cart/update", vec![("note", "n")]),
            ("/cart/change", vec![("line", "1"), ("quantity", "1")]),
        ] {
            let resp = visitor.post_form_with(path, &pairs, &headers).await;
            resp.expect(200);
            assert!(field(&resp.json(), "items").is_array(), "{path}");
        }
        let resp = visitor.post_form_with("/cart/clear", &[], &headers).await;
        resp.expect(200);
        assert!(items(&resp.json()).is_empty());
    }
    // And errors as JSON too.
    let resp = visitor
        .post_form_with(
            "/cart/add",
            &[("id", &SOLD_OUT_SCARF.to_string())],
            &[("accept", "application/json")],
        )
        .await;
    assert_cart_error(
        &resp,
        422,
        "The product 'Sold Out Scarf' is already sold out.",
    );
}

#[track_caller]
fn assert_see_other(resp: &Resp, location: &str) {
    resp.expect(303);
    assert_eq!(resp.location(), Some(location));
}

#[tokio::test]
async fn non_js_forms_redirect_to_the_cart() {
    let app = TestApp::new().await;
    let visitor = app.visitor();
    let resp = visitor
        .post_form("/cart/add", &[("id", "794864053"), ("quantity", "2")])
        .await;
    assert_see_other(&resp, "/cart");
    assert_eq!(lines(&visitor.cart().await), [(HAT, 2)]);

    let resp = visitor
        .post_multipart("/cart/add", &[("id", "794864233"), ("quantity", "1")])
        .await;
    assert_see_other(&resp, "/cart");

    let resp = visitor
        .post_form("/cart/update", &[("updates[]", "3"), ("updates[]", "1")])
        .await;
    assert_see_other(&resp, "/cart");
    assert_eq!(lines(&visitor.cart().await), [(HAT, 3), (BOOTS, 1)]);

    // The cart page's own form posts to /cart.
    let resp = visitor
        .post_form(
            "/cart",
            &[("updates[]", "2"), ("updates[]", "1"), ("note", "hi")],
        )
        .await;
    assert_see_other(&resp, "/cart");
    let cart = visitor.cart().await;
    assert_eq!(lines(&cart), [(HAT, 2), (BOOTS, 1)]);
    assert_eq!(field(&cart, "note"), "hi");

    let resp = visitor
        .post_form("/cart/change", &[("line", "2"), ("quantity", "4")])
        .await;
    assert_see_other(&resp, "/cart");
    assert_eq!(lines(&visitor.cart().await), [(HAT, 2), (BOOTS, 4)]);

    // The links of a cart page without JavaScript.
    let resp = visitor.get("/cart/change?line=2&quantity=0").await;
    assert_see_other(&resp, "/cart");
    assert_eq!(lines(&visitor.cart().await), [(HAT, 2)]);
    let key = field(&items(&visitor.cart().await)[0], "key")
        .as_str()
        .expect("key")
        .to_string();
    let resp = visitor
        .get(&format!(
            "/cart/change?id={}&quantity=5",
            urlencode_value(&key)
        ))
        .await;
    assert_see_other(&resp, "/cart");
    assert_eq!(lines(&visitor.cart().await), [(HAT, 5)]);

    let resp = visitor.post_form("/cart/clear", &[]).await;
    assert_see_other(&resp, "/cart");
    assert!(items(&visitor.cart().await).is_empty());
    // Successes leave no flash.
    assert_eq!(app.flash(&visitor).await, None);
}

fn urlencode_value(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

#[tokio::test]
async fn non_js_forms_under_a_locale_redirect_to_the_localized_cart() {
    let app = TestApp::new().await;
    let visitor = app.visitor();
    let resp = visitor
        .post_form("/fr/cart/add", &[("id", "794864053")])
        .await;
    assert_see_other(&resp, "/fr/cart");
    let resp = visitor.post_form("/fr/cart/update", &[("note", "x")]).await;
    assert_see_other(&resp, "/fr/cart");
    let resp = visitor.post_form("/fr/cart", &[("note", "y")]).await;
    assert_see_other(&resp, "/fr/cart");
    let resp = visitor.get("/fr/cart/change?line=1&quantity=3").await;
    assert_see_other(&resp, "/fr/cart");
    assert_eq!(lines(&visitor.cart().await), [(HAT, 3)]);
    let resp = visitor.post_form("/fr/cart/clear", &[]).await;
    assert_see_other(&resp, "/fr/cart");
}

#[tokio::test]
async fn non_js_form_errors_are_flashed() {
    let app = TestApp::new().await;
    // (path, form fields, the flash message)
    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, &'a str);
    let cases: [Case<'_>; 4] = [
        (
            "/cart/add",
            vec![("id", "40000000000000")],
            "The product 'Sold Out Scarf' is already sold out.",
        ),
        ("/cart/add", vec![("id", "1")], "Cannot find variant"),
        (
            "/cart/change",
            vec![("line", "7"), ("quantity", "1")],
            "no valid id or line parameter",
        ),
        (
            "/cart/update",
            vec![("updates[123456789]", "1")],
            "Cannot find variant",
        ),
    ];
    for (path, pairs, message) in cases {
        // A fresh visitor each time, so a flash cannot be left over from the case before.
        let visitor = app.visitor();
        visitor.add(HAT, 1).await;
        let resp = visitor.post_form(path, &pairs).await;
        assert_see_other(&resp, "/cart");
        assert_eq!(
            app.flash(&visitor).await.as_deref(),
            Some(message),
            "{path}"
        );
    }
    // The documented clamp: the maximum is added and the message is flashed.
    let visitor = app.visitor();
    visitor.add(HAT, 1).await;
    let resp = visitor
        .post_form("/cart/add", &[("id", "40000000000010"), ("quantity", "20")])
        .await;
    assert_see_other(&resp, "/cart");
    assert_eq!(
        app.flash(&visitor).await.as_deref(),
        Some("You can't add more Limited Edition Print to the cart.")
    );
    assert_eq!(
        lines(&visitor.cart().await),
        [(HAT, 1), (LIMITED_PRINT, 10)]
    );
    // A body that cannot be read redirects with a flash, too.
    let visitor = app.visitor();
    let resp = visitor
        .post_raw("/cart/add", "multipart/form-data", "id=1")
        .await;
    assert_see_other(&resp, "/cart");
    assert!(app.flash(&visitor).await.is_some());
    // The GET links as well.
    let visitor = app.visitor();
    let resp = visitor.get("/cart/change?line=9&quantity=0").await;
    assert_see_other(&resp, "/cart");
    assert_eq!(
        app.flash(&visitor).await.as_deref(),
        Some("no valid id or line parameter")
    );
}

/// Reading pages does not write the session (a write per page view would cost a SQLite
/// transaction each); taking a flash message does.
#[tokio::test]
async fn only_a_page_that_takes_a_flash_writes_the_session() {
    let app = TestApp::with_real_theme(&[], false).await;
    let visitor = app.visitor();
    visitor.add(HAT, 1).await;
    let written = app
        .session_expiry(&visitor)
        .await
        .expect("a stored session");
    // Expiry is stored to the second: a write now would move it.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    for page in ["/", "/cart", "/products/red-rain-coat", "/cart.js"] {
        visitor.get(page).await.expect(200);
    }
    assert_eq!(app.session_expiry(&visitor).await, Some(written.clone()));
    let resp = visitor.post_form("/cart/add", &[("quantity", "1")]).await;
    assert_see_other(&resp, "/cart");
    assert!(app.flash(&visitor).await.is_some());
    let page = visitor.get("/cart").await;
    page.expect(200);
    assert_eq!(app.flash(&visitor).await, None, "the flash is taken once");
    assert_ne!(app.session_expiry(&visitor).await, Some(written));
}

#[tokio::test]
async fn return_to_sends_a_plain_form_back_to_a_local_path() {
    let app = TestApp::new().await;
    let visitor = app.visitor();
    let resp = visitor
        .post_form(
            "/cart/add",
            &[
                ("id", "794864053"),
                ("return_to", "/products/sou-wester-rain-hat"),
            ],
        )
        .await;
    assert_see_other(&resp, "/products/sou-wester-rain-hat");
    assert_eq!(lines(&visitor.cart().await), [(HAT, 1)]);

    let resp = visitor
        .post_multipart(
            "/fr/cart/add",
            &[
                ("id", "794864053"),
                ("return_to", "/fr/collections/all?page=2"),
            ],
        )
        .await;
    assert_see_other(&resp, "/fr/collections/all?page=2");

    let resp = visitor
        .get("/cart/change?line=1&quantity=1&return_to=%2Fcollections%2Fall")
        .await;
    assert_see_other(&resp, "/collections/all");

    // An error still goes back there, with the flash.
    let resp = visitor
        .post_form(
            "/cart/add",
            &[
                ("id", "40000000000000"),
                ("return_to", "/products/sold-out-scarf"),
            ],
        )
        .await;
    assert_see_other(&resp, "/products/sold-out-scarf");
    assert_eq!(
        app.flash(&visitor).await.as_deref(),
        Some("The product 'Sold Out Scarf' is already sold out.")
    );

    // Anything that could leave the store goes to the cart instead.
    for target in [
        "//evil.example/",
        "https://evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
        "evil.example",
        "/cart\r\nSet-Cookie: x=1",
        "",
    ] {
        let resp = visitor
            .post_form("/cart/update", &[("note", "n"), ("return_to", target)])
            .await;
        assert_see_other(&resp, "/cart");
        let resp = visitor
            .post_form("/fr/cart/update", &[("note", "n"), ("return_to", target)])
            .await;
        assert_see_other(&resp, "/fr/cart");
    }

    // Ajax callers get JSON whatever return_to says.
    let resp = visitor
        .post_json(
            "/cart/update.js",
            json!({"note": "n", "return_to": "/collections/all"}),
        )
        .await;
    resp.expect(200);
    assert!(field(&resp.json(), "items").is_array());
}
