//! Helpers for the BigCommerce, Elastic Path and cross-API tests: the app on a temporary copy of
//! the demo catalog, requests through `oneshot`, and a browser-like visitor that carries the
//! session cookie by hand.

use std::path::PathBuf;

use axum::Router;
use axum::body::Body;
use http::{HeaderMap, Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::Value;
use tempfile::TempDir;
use tower::ServiceExt;
use vitrine::{AppState, Config, SESSION_COOKIE};

pub const ADMIN_TOKEN: &str = "test-admin-token-0123456789";
pub const STORE_HASH: &str = "demo";
pub const EP_CLIENT: &str = vitrine::state::DEMO_EP_CLIENT_ID;

/// BigCommerce product and variant ids of the demo catalog.
pub const COAT_PRODUCT: i64 = 7021400000001;
pub const COAT_RED: i64 = 794864229;
pub const COAT_SMALL: i64 = 36110175633573;
pub const GRANOLA_PRODUCT: i64 = 5680114172069;
pub const GRANOLA: i64 = 36323170943141;
pub const POTION_PRODUCT: i64 = 6786188247105;
pub const POTION_S_HIGH: i64 = 40000000001101;
pub const PRINT_PRODUCT: i64 = 7021400000014;
pub const SCARF_PRODUCT: i64 = 7021400000005;
pub const GIFT_CARD_PRODUCT: i64 = 7021400000017;
pub const GIFT_CARD: i64 = 40000000000020;

/// Elastic Path product ids (variant UUIDs) of the demo catalog.
pub const COAT_RED_UUID: &str = "a64a5041-6fcb-445b-987c-ca309f167c2c";
pub const PRINT_UUID: &str = "39ace4eb-f157-48d7-8094-773001369d33";
pub const GIFT_CARD_UUID: &str = "2f554025-7d08-4606-8533-1801dc1fa1e7";

pub struct TestApp {
    pub router: Router,
    pub state: AppState,
    _dir: TempDir,
}

/// A response, with the body read as JSON when it is JSON.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
    pub text: String,
}

fn repo_data() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data")
}

/// The app on a fresh copy of `data/*.json`, with the admin token set.
pub async fn app() -> TestApp {
    app_with(|c| c.admin_token = Some(ADMIN_TOKEN.into())).await
}

pub async fn app_with(configure: impl FnOnce(&mut Config)) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).expect("data dir");
    for entry in std::fs::read_dir(repo_data()).expect("read data/") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "json")
            && let Some(name) = path.file_name()
        {
            std::fs::copy(&path, data.join(name)).expect("copy fixture");
        }
    }
    let mut config = Config::for_theme(dir.path());
    configure(&mut config);
    let state = AppState::open(config).await.expect("open state");
    TestApp {
        router: vitrine::app(state.clone()),
        state,
        _dir: dir,
    }
}

pub async fn read(response: axum::response::Response) -> Reply {
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("read body")
        .to_bytes();
    let text = String::from_utf8_lossy(&bytes).to_string();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Reply {
        status,
        headers,
        body,
        text,
    }
}

/// Builds a request; `body` is sent as given with the content type given.
pub fn request(
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
    body: Option<(&str, String)>,
) -> Request<Body> {
    let mut builder = Request::builder()
        .method(Method::from_bytes(method.as_bytes()).expect("method"))
        .uri(uri);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    match body {
        Some((content_type, text)) => builder
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(text))
            .expect("request"),
        None => builder.body(Body::empty()).expect("request"),
    }
}

impl TestApp {
    pub async fn send(&self, req: Request<Body>) -> Reply {
        let response = self.router.clone().oneshot(req).await.expect("infallible");
        read(response).await
    }

    /// A JSON request (no body when `body` is `None`).
    pub async fn json(
        &self,
        method: &str,
        uri: &str,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> Reply {
        let body = body.map(|b| ("application/json", b.to_string()));
        self.send(request(method, uri, headers, body)).await
    }

    /// A request with a raw body text sent as JSON.
    pub async fn raw(
        &self,
        method: &str,
        uri: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Reply {
        self.send(request(
            method,
            uri,
            headers,
            Some(("application/json", body.to_string())),
        ))
        .await
    }

    /// A Management API call with the admin token.
    pub async fn admin(&self, method: &str, path: &str, body: Option<Value>) -> Reply {
        let uri = format!("/stores/{STORE_HASH}/v3{path}");
        self.json(method, &uri, &[("x-auth-token", ADMIN_TOKEN)], body)
            .await
    }

    /// A fresh Elastic Path shopper token.
    pub async fn ep_token(&self) -> String {
        let reply = self
            .send(request(
                "POST",
                "/oauth/access_token",
                &[],
                Some((
                    "application/x-www-form-urlencoded",
                    format!("grant_type=implicit&client_id={EP_CLIENT}"),
                )),
            ))
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        reply.body["access_token"]
            .as_str()
            .expect("access_token")
            .to_string()
    }

    /// An Elastic Path call with a bearer token.
    pub async fn ep(&self, token: &str, method: &str, uri: &str, body: Option<Value>) -> Reply {
        let auth = format!("Bearer {token}");
        self.json(method, uri, &[("authorization", &auth)], body)
            .await
    }

    pub fn visitor(&self) -> Visitor<'_> {
        Visitor {
            app: self,
            cookie: None,
        }
    }
}

/// A visitor: requests carry their session cookie, and new cookies are kept.
pub struct Visitor<'a> {
    app: &'a TestApp,
    pub cookie: Option<String>,
}

impl Visitor<'_> {
    pub async fn json(&mut self, method: &str, uri: &str, body: Option<Value>) -> Reply {
        let body = body.map(|b| b.to_string());
        self.raw(method, uri, body.as_deref()).await
    }

    pub async fn raw(&mut self, method: &str, uri: &str, body: Option<&str>) -> Reply {
        let cookie = self.cookie.clone();
        let mut headers: Vec<(&str, &str)> = Vec::new();
        if let Some(c) = cookie.as_deref() {
            headers.push(("cookie", c));
        }
        let body = body.map(|b| ("application/json", b.to_string()));
        let reply = self.app.send(request(method, uri, &headers, body)).await;
        for value in reply.headers.get_all(header::SET_COOKIE) {
            let Ok(text) = value.to_str() else { continue };
            if let Some(pair) = text.split(';').next()
                && pair.starts_with(&format!("{SESSION_COOKIE}="))
            {
                self.cookie = Some(pair.to_string());
            }
        }
        reply
    }

    /// POST /api/storefront/carts with these line items; returns the cart.
    pub async fn create_bc_cart(&mut self, line_items: Value) -> Value {
        let reply = self
            .json(
                "POST",
                "/api/storefront/carts",
                Some(serde_json::json!({ "lineItems": line_items })),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        reply.body
    }
}
