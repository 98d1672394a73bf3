//! `/static` over a real port: a directory is not an asset. ServeDir used to redirect a
//! directory to itself with a slash, built from the path below `/static`: `/static/products`
//! went to `/products/` (the prefix dropped) and `/static///products` to `//products/`, which a
//! browser reads as another host.

use crate::common::TestApp;
use crate::hostile_support::{limits, serve};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn directories_under_static_answer_404_and_never_redirect() {
    let app = TestApp::new().await;
    let products = app.path().join("static").join("products");
    std::fs::create_dir_all(&products).expect("static/products");
    std::fs::write(products.join("hat.svg"), "<svg/>").expect("an asset");
    std::fs::write(app.path().join("static").join("base.css"), "body{}").expect("an asset");
    let served = serve(&app, limits(|_| {})).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    for path in [
        "/static/products",
        "/static/products/",
        "/static///products",
        "/static//products",
        "/static///products/",
        "/static/",
    ] {
        let response = client
            .get(format!("{}{path}", served.base))
            .send()
            .await
            .expect("answered");
        assert_eq!(response.status(), 404, "{path}");
        assert!(
            response.headers().get("location").is_none(),
            "{path} redirects to {:?}",
            response.headers().get("location")
        );
    }
    for path in [
        "/static/base.css",
        "/static/products/hat.svg",
        "/static//base.css",
    ] {
        let response = client
            .get(format!("{}{path}", served.base))
            .send()
            .await
            .expect("answered");
        assert_eq!(response.status(), 200, "{path}");
    }
}
