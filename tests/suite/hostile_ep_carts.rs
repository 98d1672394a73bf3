//! Elastic Path's `GET /v2/carts/{id}` creates an empty cart when the id is new: the platform
//! documents it ("If a cart ID does not exist, a new cart will be automatically created",
//! <https://elasticpath.dev/docs/carts-orders/get-a-cart>), so it stays. Anyone may call it
//! with made-up ids, so those carts must not pile up: they expire like any untouched cart.

use std::time::Duration;

use chrono::{SecondsFormat, Utc};

use crate::common::TestApp;
use crate::hostile_support::{limits, serve};
use crate::platform_common::EP_CLIENT;

async fn shopper_token(client: &reqwest::Client, base: &str) -> String {
    let reply: serde_json::Value = client
        .post(format!("{base}/oauth/access_token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("grant_type=implicit&client_id={EP_CLIENT}"))
        .send()
        .await
        .expect("token request")
        .json()
        .await
        .expect("token json");
    reply["access_token"]
        .as_str()
        .expect("access_token")
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn carts_created_by_reading_unknown_ids_expire_like_any_untouched_cart() {
    let app = TestApp::new().await;
    let served = serve(&app, limits(|_| {})).await;
    let client = reqwest::Client::new();
    let token = shopper_token(&client, &served.base).await;
    let made_up: Vec<String> = (0..5).map(|n| format!("made-up-cart-{n}")).collect();
    for id in &made_up {
        let reply = client
            .get(format!("{}/v2/carts/{id}", served.base))
            .bearer_auth(&token)
            .send()
            .await
            .expect("answered");
        assert_eq!(reply.status(), 200);
        let body: serde_json::Value = reply.json().await.expect("json");
        assert_eq!(body["data"]["id"], id.as_str());
    }
    let store = app.state.store();
    assert_eq!(
        store.count_carts().await.expect("count"),
        5,
        "each read created its cart"
    );

    // Age three of them past the cart lifetime (30 days by default), as if untouched since.
    let db = app.state.config().db.clone();
    {
        let conn = rusqlite::Connection::open(&db).expect("open the db");
        conn.busy_timeout(Duration::from_secs(5))
            .expect("busy timeout");
        let then =
            (Utc::now() - chrono::Duration::days(31)).to_rfc3339_opts(SecondsFormat::Micros, true);
        for id in &made_up[..3] {
            let aged = conn
                .execute(
                    "UPDATE carts SET updated_at = ?1, created_at = ?1 WHERE id = ?2",
                    [&then, id],
                )
                .expect("age the cart");
            assert_eq!(aged, 1);
        }
    }
    assert_eq!(vitrine::sweep_once(&app.state).await.expect("sweep"), 3);
    for id in &made_up[..3] {
        assert!(
            store.cart(id).await.expect("read").is_none(),
            "{id} expired"
        );
    }
    for id in &made_up[3..] {
        assert!(
            store.cart(id).await.expect("read").is_some(),
            "{id} is still fresh"
        );
    }
}
