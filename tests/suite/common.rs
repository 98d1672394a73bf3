//! Shared helpers for the Ajax API integration tests: a fresh store on a temporary theme directory
//! (a copy of the repo's `data/*.json` and empty `templates/`, `sections/`, `static/`), and a
//! visitor that drives the router with `oneshot`, carrying the session cookie by hand.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Mutex;

use axum::Router;
use axum::body::Body;
use bytes::Bytes;
use http::{HeaderMap, Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Map, Value};
use tempfile::TempDir;
use tower::ServiceExt;
use tower_sessions::SessionStore;
use vitrine::{AppState, Config, SESSION_COOKIE};

/// The document's address, as its shipping-rate examples write it.
pub const ADDRESS_QUERY: &str = "shipping_address%5Bzip%5D=K1N+5T2&shipping_address%5Bcountry%5D=Canada&shipping_address%5Bprovince%5D=Ontario";

pub const RED_RAIN_COAT: i64 = 794864229;
pub const RAIN_COAT_SMALL: i64 = 36110175633573;
pub const GRANOLA: i64 = 36323170943141;
pub const HEALTH_POTION: i64 = 39897499729985;
pub const HAT: i64 = 794864053;
pub const BOOTS: i64 = 794864233;
pub const LIMITED_PRINT: i64 = 40000000000010;
pub const SOLD_OUT_SCARF: i64 = 40000000000000;
pub const GIFT_CARD: i64 = 40000000000020;

pub struct TestApp {
    pub router: Router,
    pub state: AppState,
    dir: TempDir,
}

fn repo_data() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data")
}

/// A theme directory holding a copy of the demo catalog, then `edit` applied to its data dir.
fn theme_dir(edit: impl FnOnce(&Path)) -> TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    for sub in ["data", "templates", "sections", "static"] {
        std::fs::create_dir_all(dir.path().join(sub)).expect("theme sub dir");
    }
    for entry in std::fs::read_dir(repo_data()).expect("read data/") {
        let path = entry.expect("dir entry").path();
        if path.extension().is_some_and(|e| e == "json")
            && let Some(name) = path.file_name()
        {
            std::fs::copy(&path, data.join(name)).expect("copy fixture");
        }
    }
    edit(&data);
    dir
}

impl TestApp {
    pub async fn new() -> TestApp {
        TestApp::with_data(|_| {}).await
    }

    /// A store whose `data/` was changed by `edit` before start-up.
    pub async fn with_data(edit: impl FnOnce(&Path)) -> TestApp {
        let dir = theme_dir(edit);
        let state = AppState::open(Config::for_theme(dir.path()))
            .await
            .expect("the app starts");
        TestApp {
            router: vitrine::app(state.clone()),
            state,
            dir,
        }
    }

    /// A store with a copy of the repo's real theme (templates and sections) plus `extra` files
    /// (path relative to the theme dir, content), optionally watched for changes.
    pub async fn with_real_theme(extra: &[(&str, &str)], watch: bool) -> TestApp {
        let dir = theme_dir(|_| {});
        let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        for sub in ["templates", "sections"] {
            copy_tree(&repo.join(sub), &dir.path().join(sub));
        }
        for (path, content) in extra {
            let target = dir.path().join(path);
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent).expect("extra file dir");
            }
            std::fs::write(target, content).expect("extra theme file");
        }
        let mut config = Config::for_theme(dir.path());
        config.watch = watch;
        let state = AppState::open(config).await.expect("the app starts");
        TestApp {
            router: vitrine::app(state.clone()),
            state,
            dir,
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A new visitor without a cookie.
    pub fn visitor(&self) -> Visitor {
        Visitor {
            router: self.router.clone(),
            cookie: Mutex::new(None),
        }
    }

    /// The flash message stored in the session of `visitor`, if any.
    pub async fn flash(&self, visitor: &Visitor) -> Option<String> {
        let cookie = visitor.cookie()?;
        let value = cookie.split_once('=')?.1;
        let id = tower_sessions::session::Id::from_str(value).ok()?;
        let record = self.state.session_store().load(&id).await.ok()??;
        record.data.get("flash")?.as_str().map(str::to_string)
    }

    /// When the stored session of `visitor` expires: moves each time the session is written.
    pub async fn session_expiry(&self, visitor: &Visitor) -> Option<String> {
        let cookie = visitor.cookie()?;
        let value = cookie.split_once('=')?.1;
        let id = tower_sessions::session::Id::from_str(value).ok()?;
        let record = self.state.session_store().load(&id).await.ok()??;
        Some(record.expiry_date.to_string())
    }
}

/// One browser: the session cookie it was last given.
pub struct Visitor {
    pub router: Router,
    cookie: Mutex<Option<String>>,
}

#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Resp {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "expected JSON ({e}), got {} {:?}: {}",
                self.status,
                self.headers.get(header::CONTENT_TYPE),
                self.text()
            )
        })
    }

    pub fn header(&self, name: impl header::AsHeaderName) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn location(&self) -> Option<&str> {
        self.header(header::LOCATION)
    }

    /// Asserts the status, showing the body when it differs.
    #[track_caller]
    pub fn expect(&self, status: u16) -> &Self {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected status; body: {}",
            self.text()
        );
        self
    }
}

impl Visitor {
    pub fn cookie(&self) -> Option<String> {
        self.cookie.lock().ok().and_then(|c| c.clone())
    }

    /// Another visitor with the same cookie (a second tab of the same browser).
    pub fn same_session(&self) -> Visitor {
        Visitor {
            router: self.router.clone(),
            cookie: Mutex::new(self.cookie()),
        }
    }

    pub async fn send(&self, mut request: Request<Body>) -> Resp {
        if let Some(cookie) = self.cookie() {
            request
                .headers_mut()
                .insert(header::COOKIE, cookie.parse().expect("cookie header value"));
        }
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("the router is infallible");
        let (parts, body) = response.into_parts();
        for value in parts.headers.get_all(header::SET_COOKIE) {
            let value = value.to_str().expect("ascii set-cookie");
            let pair = value.split(';').next().unwrap_or("").trim();
            if pair.starts_with(&format!("{SESSION_COOKIE}=")) {
                if let Ok(mut cookie) = self.cookie.lock() {
                    *cookie = Some(pair.to_string());
                }
            }
        }
        let body = body.collect().await.expect("body").to_bytes();
        Resp {
            status: parts.status,
            headers: parts.headers,
            body,
        }
    }

    pub async fn request(
        &self,
        method: Method,
        uri: &str,
        headers: &[(&str, &str)],
        body: impl Into<Body>,
    ) -> Resp {
        let mut builder = Request::builder().method(method).uri(uri);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        self.send(builder.body(body.into()).expect("request")).await
    }

    pub async fn get(&self, uri: &str) -> Resp {
        self.request(Method::GET, uri, &[], Body::empty()).await
    }

    pub async fn get_with(&self, uri: &str, headers: &[(&str, &str)]) -> Resp {
        self.request(Method::GET, uri, headers, Body::empty()).await
    }

    pub async fn post_json(&self, uri: &str, body: Value) -> Resp {
        self.post_raw(uri, "application/json", body.to_string())
            .await
    }

    pub async fn post_json_with(&self, uri: &str, body: Value, headers: &[(&str, &str)]) -> Resp {
        let mut all = vec![("content-type", "application/json")];
        all.extend_from_slice(headers);
        self.request(Method::POST, uri, &all, body.to_string())
            .await
    }

    pub async fn post_raw(&self, uri: &str, content_type: &str, body: impl Into<Body>) -> Resp {
        self.request(Method::POST, uri, &[("content-type", content_type)], body)
            .await
    }

    /// An urlencoded form post, as a browser sends it (`+` for spaces, brackets escaped).
    pub async fn post_form(&self, uri: &str, pairs: &[(&str, &str)]) -> Resp {
        self.post_form_with(uri, pairs, &[]).await
    }

    pub async fn post_form_with(
        &self,
        uri: &str,
        pairs: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Resp {
        let mut all = vec![("content-type", "application/x-www-form-urlencoded")];
        all.extend_from_slice(headers);
        self.request(Method::POST, uri, &all, urlencode(pairs))
            .await
    }

    /// A `multipart/form-data` post, as `fetch` sends a `FormData`.
    pub async fn post_multipart(&self, uri: &str, pairs: &[(&str, &str)]) -> Resp {
        let (content_type, body) = multipart(pairs);
        self.post_raw(uri, &content_type, body).await
    }

    pub async fn cart(&self) -> Value {
        let resp = self.get("/cart.js").await;
        resp.expect(200);
        resp.json()
    }

    /// `add.js` with one `{id, quantity}` item, expecting success.
    pub async fn add(&self, id: i64, quantity: i64) -> Value {
        let resp = self
            .post_json(
                "/cart/add.js",
                serde_json::json!({"items": [{"id": id, "quantity": quantity}]}),
            )
            .await;
        resp.expect(200);
        resp.json()
    }
}

pub fn urlencode(pairs: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

const BOUNDARY: &str = "----WebKitFormBoundaryvitrine7MA4YWxk";

/// A `multipart/form-data` body built by hand, the way a browser writes `FormData`.
pub fn multipart(pairs: &[(&str, &str)]) -> (String, Vec<u8>) {
    let mut body = Vec::new();
    for (name, value) in pairs {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={BOUNDARY}"), body)
}

/// The top-level keys of a JSON object as they appear in the raw text, in order.
pub fn raw_keys(text: &str) -> Vec<String> {
    object_keys(text.trim())
}

/// The keys of each element of the array found under `field` in the raw object text.
pub fn raw_array_item_keys(text: &str, field: &str) -> Vec<Vec<String>> {
    let Some(array) = raw_field(text.trim(), field) else {
        return Vec::new();
    };
    split_top_level(array.trim(), '[', ']')
        .into_iter()
        .map(|item| object_keys(item.trim()))
        .collect()
}

/// The raw text of `field`'s value in a JSON object's text.
fn raw_field<'a>(object: &'a str, field: &str) -> Option<&'a str> {
    for (key, value) in object_entries(object) {
        if key == field {
            return Some(value);
        }
    }
    None
}

fn object_keys(object: &str) -> Vec<String> {
    object_entries(object).into_iter().map(|(k, _)| k).collect()
}

/// `(key, raw value text)` for each member of the object text, scanning the raw characters so
/// that the order is the order on the wire.
fn object_entries(object: &str) -> Vec<(String, &str)> {
    split_top_level(object, '{', '}')
        .into_iter()
        .filter_map(|member| {
            let member = member.trim();
            let (key, rest) = json_string_prefix(member)?;
            let value = rest.trim_start().strip_prefix(':')?;
            Some((key, value.trim()))
        })
        .collect()
}

/// Parses a JSON string at the start of `text`: its value and the text after it.
fn json_string_prefix(text: &str) -> Option<(String, &str)> {
    let mut chars = text.char_indices();
    if chars.next()?.1 != '"' {
        return None;
    }
    let mut escaped = false;
    for (i, c) in chars {
        match (escaped, c) {
            (true, _) => escaped = false,
            (false, '\\') => escaped = true,
            (false, '"') => {
                let key: String = serde_json::from_str(&text[..=i]).ok()?;
                return Some((key, &text[i + 1..]));
            }
            _ => {}
        }
    }
    None
}

/// The comma-separated members directly inside `open ... close`.
fn split_top_level(text: &str, open: char, close: char) -> Vec<&str> {
    let Some(inner) = text.strip_prefix(open).and_then(|t| t.strip_suffix(close)) else {
        return Vec::new();
    };
    let mut parts = Vec::new();
    let (mut depth, mut in_string, mut escaped, mut start) = (0i32, false, false, 0usize);
    for (i, c) in inner.char_indices() {
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '{' | '[' => depth += 1,
            '}' | ']' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if !inner[start..].trim().is_empty() {
        parts.push(&inner[start..]);
    }
    parts
}

/// The object's entry, panicking with the whole value when it is missing.
#[track_caller]
pub fn field<'a>(value: &'a Value, name: &str) -> &'a Value {
    value
        .get(name)
        .unwrap_or_else(|| panic!("no `{name}` in {value}"))
}

pub fn items(cart: &Value) -> &Vec<Value> {
    field(cart, "items").as_array().expect("items is an array")
}

pub fn int(value: &Value, name: &str) -> i64 {
    field(value, name)
        .as_i64()
        .unwrap_or_else(|| panic!("`{name}` is not an integer in {value}"))
}

/// Line quantities by variant id, in cart order.
pub fn lines(cart: &Value) -> Vec<(i64, i64)> {
    items(cart)
        .iter()
        .map(|l| (int(l, "variant_id"), int(l, "quantity")))
        .collect()
}

pub fn obj(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

/// A 32-digit lowercase hex digest after `<variant_id>:`.
#[track_caller]
pub fn assert_line_key(key: &str, variant_id: i64) {
    let (prefix, hash) = key
        .split_once(':')
        .unwrap_or_else(|| panic!("line key without a colon: {key}"));
    assert_eq!(prefix, variant_id.to_string(), "key prefix of {key}");
    assert_eq!(hash.len(), 32, "hash length of {key}");
    assert!(
        hash.chars()
            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c)),
        "hash of {key} is lowercase hex"
    );
}

/// The Shopify error body, exactly.
#[track_caller]
pub fn assert_cart_error(resp: &Resp, status: u16, description: &str) {
    resp.expect(status);
    let body = resp.json();
    assert_eq!(field(&body, "status"), status, "{body}");
    assert_eq!(field(&body, "message"), "Cart Error", "{body}");
    assert_eq!(field(&body, "description"), description, "{body}");
}

/// A 400 in the platform's shape: `{status: "bad_request", message, description}`.
#[track_caller]
pub fn assert_bad_request(resp: &Resp) {
    resp.expect(400);
    assert!(
        resp.header(header::CONTENT_TYPE)
            .is_some_and(|t| t.starts_with("application/json")),
        "400 answered as {:?}: {}",
        resp.header(header::CONTENT_TYPE),
        resp.text()
    );
    let body = resp.json();
    assert_eq!(field(&body, "status"), "bad_request", "{body}");
    assert!(field(&body, "message").is_string(), "{body}");
    assert!(field(&body, "description").is_string(), "{body}");
}

/// Copies a directory tree.
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create dir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let path = entry.expect("dir entry").path();
        let target = to.join(path.file_name().expect("file name"));
        if path.is_dir() {
            copy_tree(&path, &target);
        } else {
            std::fs::copy(&path, &target).expect("copy file");
        }
    }
}

/// The gift card's variant id in the demo catalog: the tests over real processes add it, since
/// its stock is unlimited.
pub const GIFT_CARD_VARIANT: i64 = 40000000000020;

/// How many gift cards the cart of `client`'s cookie holds, read through `/cart.js` of the
/// server at `base`.
pub async fn gift_card_quantity(client: &reqwest::Client, base: &str) -> i64 {
    let cart: Value = client
        .get(format!("{base}/cart.js"))
        .send()
        .await
        .expect("cart.js")
        .json()
        .await
        .expect("cart json");
    cart["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|i| i["variant_id"] == GIFT_CARD_VARIANT)
        .map(|i| i["quantity"].as_i64().unwrap_or(0))
        .sum()
}

impl TestApp {
    /// A store serving a copy of the Shopify-layout theme at `theme` (its demo catalog and
    /// database land in the copy's `.vitrine/`, never in the source).
    pub async fn with_os2_theme(theme: &Path) -> TestApp {
        TestApp::with_os2_theme_watched(theme, false).await
    }

    /// [`TestApp::with_os2_theme`], watched for changes as `vitrine serve` does in development
    /// (live reload and the error overlay).
    pub async fn with_os2_theme_watched(theme: &Path, watch: bool) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        copy_tree(theme, dir.path());
        let mut config = Config::for_theme(dir.path());
        config.watch = watch;
        let state = AppState::open(config).await.expect("the app starts");
        TestApp {
            router: vitrine::app(state.clone()),
            state,
            dir,
        }
    }
}
