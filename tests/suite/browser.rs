//! The demo store in a real browser: headless Chromium driven through ChromeDriver (WebDriver,
//! with fantoccini), against the app on a real port with the repository's theme and a fresh
//! database. The checks read what the browser shows (DOM text after each action, visibility,
//! focus, the URL), not the HTML the server sent.
//!
//! Needs Debian's `chromium` and `chromium-driver` packages. Without them these tests fail with
//! the install command, unless `VITRINE_SKIP_BROWSER_TESTS=1` is set. Screenshots of the pages go
//! to `target/screenshots/`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use vitrine::{AppState, Config};

const SKIP_VAR: &str = "VITRINE_SKIP_BROWSER_TESTS";
const INSTALL: &str = "apt-get install chromium chromium-driver";
const WAIT: Duration = Duration::from_secs(10);

const DESKTOP: (u32, u32) = (1280, 900);
const PHONE: (u32, u32) = (390, 844);

// --- The browser and the app ----------------------------------------------------------------------

struct Tools {
    chromium: PathBuf,
    chromedriver: PathBuf,
}

fn find_program(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    for name in names {
        for dir in std::env::split_paths(&path).chain([PathBuf::from("/usr/bin")]) {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
    }
    None
}

/// The browser and its driver, or None when the tests are to be skipped. Panics (fails the
/// test) with the install command when they are missing and skipping was not asked for.
fn tools() -> Option<Tools> {
    if std::env::var(SKIP_VAR).is_ok_and(|v| v == "1") {
        eprintln!("{SKIP_VAR}=1: skipping the browser tests");
        return None;
    }
    let chromium = find_program(&["chromium", "chromium-browser", "google-chrome"]);
    let chromedriver = find_program(&["chromedriver"]);
    match (chromium, chromedriver) {
        (Some(chromium), Some(chromedriver)) => Some(Tools {
            chromium,
            chromedriver,
        }),
        (chromium, chromedriver) => panic!(
            "the browser tests need Chromium and ChromeDriver (found chromium: {}, chromedriver: \
             {}). Install them with `{INSTALL}` (Debian), or set {SKIP_VAR}=1 to skip these tests.",
            chromium.is_some(),
            chromedriver.is_some()
        ),
    }
}

/// ChromeDriver on a free port; killed when dropped.
struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

async fn start_driver(tools: &Tools) -> Driver {
    let port = free_port();
    let child = Command::new(&tools.chromedriver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", tools.chromedriver.display()));
    let driver = Driver { child, port };
    let deadline = Instant::now() + WAIT;
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(Instant::now() < deadline, "chromedriver did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    driver
}

/// A fresh browser session; `javascript: false` turns scripts off in Chrome's preferences.
async fn browser(tools: &Tools, driver: &Driver, profile: &Path, javascript: bool) -> Client {
    let mut options = json!({
        "binary": tools.chromium,
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            format!("--user-data-dir={}", profile.display()),
            format!("--window-size={},{}", DESKTOP.0, DESKTOP.1),
        ],
    });
    if !javascript {
        options["prefs"] = json!({ "profile.managed_default_content_settings.javascript": 2 });
    }
    let mut caps = serde_json::Map::new();
    caps.insert("browserName".into(), json!("chrome"));
    caps.insert("goog:chromeOptions".into(), options);
    // Console messages and uncaught exceptions, read back with `browser_errors`.
    caps.insert("goog:loggingPrefs".into(), json!({ "browser": "ALL" }));
    // rustls is built with two crypto providers here (ring for the PostgreSQL client, aws-lc-rs
    // for this WebDriver client), so it cannot pick one itself. Already installed: fine.
    let _ = rustls::crypto::ring::default_provider().install_default();
    ClientBuilder::rustls()
        .expect("a TLS config")
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a WebDriver session")
}

/// The app on a real port: the repository's theme and catalog, a database in `dir`.
async fn start_app(dir: &Path) -> SocketAddr {
    start_app_with_theme(Path::new(env!("CARGO_MANIFEST_DIR")), dir).await
}

/// The app on a real port serving the theme at `theme`, with a database in `dir`.
async fn start_app_with_theme(theme: &Path, dir: &Path) -> SocketAddr {
    start_app_watching(theme, dir, false).await
}

/// [`start_app_with_theme`], watching the theme's files when `watch` (hot reload).
async fn start_app_watching(theme: &Path, dir: &Path, watch: bool) -> SocketAddr {
    let mut config = Config::for_theme(theme);
    config.db = dir.join("store.db");
    config.watch = watch;
    let state = AppState::open(config).await.expect("the app starts");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a free port");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, vitrine::app(state)).await;
    });
    addr
}

// --- Helpers over a session ----------------------------------------------------------------------

struct Page {
    client: Client,
    base: String,
    shots: PathBuf,
}

impl Page {
    async fn goto(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap_or_else(|e| panic!("goto {path}: {e}"));
    }

    async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("current url");
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        }
    }

    async fn js(&self, script: &str) -> Value {
        self.client
            .execute(script, Vec::new())
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// Waits until `expression` (JavaScript) is truthy; panics with `what` after 10 s.
    async fn until(&self, what: &str, expression: &str) {
        let script = format!("return !!({expression});");
        let deadline = Instant::now() + WAIT;
        loop {
            if self.js(&script).await == json!(true) {
                return;
            }
            if Instant::now() > deadline {
                let body = self
                    .js("return document.body ? document.body.innerText : ''")
                    .await;
                panic!(
                    "timed out waiting for {what} ({expression}) on {}\n--- page text ---\n{}",
                    self.path().await,
                    body.as_str().unwrap_or_default()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn click(&self, css: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("find {css}: {e}"))
            .click()
            .await
            .unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    async fn click_link(&self, text: &str) {
        self.client
            .find(Locator::LinkText(text))
            .await
            .unwrap_or_else(|e| panic!("find link {text:?}: {e}"))
            .click()
            .await
            .unwrap_or_else(|e| panic!("click link {text:?}: {e}"));
    }

    async fn fill(&self, css: &str, text: &str) {
        let field = self
            .client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("find {css}: {e}"));
        field.clear().await.expect("clear");
        field.send_keys(text).await.expect("type");
    }

    async fn select(&self, css: &str, value: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("find {css}: {e}"))
            .select_by_value(value)
            .await
            .unwrap_or_else(|e| panic!("select {value} in {css}: {e}"));
    }

    async fn text(&self, css: &str) -> String {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("find {css}: {e}"))
            .text()
            .await
            .expect("text")
    }

    async fn value(&self, css: &str) -> String {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("find {css}: {e}"))
            .prop("value")
            .await
            .expect("value")
            .unwrap_or_default()
    }

    async fn visible(&self, css: &str) -> bool {
        match self.client.find(Locator::Css(css)).await {
            Ok(element) => element.is_displayed().await.unwrap_or(false),
            Err(_) => false,
        }
    }

    /// Saves the whole page as `target/screenshots/{name}.png`: the window grows to the page's
    /// height for the picture (WebDriver captures the viewport), then goes back.
    async fn screenshot(&self, name: &str, (width, height): (u32, u32)) {
        let full = self
            .js("return Math.ceil(document.documentElement.scrollHeight)")
            .await
            .as_u64()
            .unwrap_or(u64::from(height));
        let tall = u32::try_from(full).unwrap_or(height).clamp(height, 4000);
        self.resize((width, tall)).await;
        self.js("window.scrollTo(0, 0);").await;
        let png = self.client.screenshot().await.expect("screenshot");
        std::fs::write(self.shots.join(format!("{name}.png")), png).expect("write screenshot");
        self.resize((width, height)).await;
    }

    /// Saves what the window shows (for the drawer, which covers the window), once the drawer
    /// has finished sliding in.
    async fn screenshot_window(&self, name: &str) {
        self.until(
            "animations to finish",
            "document.getAnimations().every(a => a.playState !== 'running')",
        )
        .await;
        let png = self.client.screenshot().await.expect("screenshot");
        std::fs::write(self.shots.join(format!("{name}.png")), png).expect("write screenshot");
    }

    async fn resize(&self, (width, height): (u32, u32)) {
        self.client
            .set_window_size(width, height)
            .await
            .expect("resize");
    }

    /// The cart as the server holds it (`/cart.js`, same cookies).
    async fn server_cart(&self) -> Value {
        self.client
            .execute_async(
                "const done = arguments[arguments.length - 1];\
                 fetch('/cart.js').then(r => r.json()).then(done, e => done({error: String(e)}));",
                Vec::new(),
            )
            .await
            .expect("fetch /cart.js")
    }

    /// Adds to the cart through `/cart/add.js` (same cookies), without going through the page.
    async fn add_to_cart(&self, variant: &str, quantity: u32) {
        let script = format!(
            "const done = arguments[arguments.length - 1];\
             fetch('/cart/add.js', {{method: 'POST', headers: {{'Content-Type': 'application/json'}},\
               body: JSON.stringify({{id: {variant}, quantity: {quantity}}})}})\
             .then(r => done(r.status), e => done(String(e)));"
        );
        let status = self
            .client
            .execute_async(&script, Vec::new())
            .await
            .expect("fetch /cart/add.js");
        assert_eq!(status, json!(200), "add {quantity} of {variant}");
    }

    /// Clicks the element `css` selects `times` times in one script, so no answer can arrive
    /// between the clicks: the fastest a visitor could click. Each click looks the element up
    /// again, as a visitor clicks whatever is on screen.
    async fn click_quickly(&self, css: &str, times: u32) {
        self.js(&format!(
            "for (let i = 0; i < {times}; i++) {{ document.querySelector({css:?}).click(); }}"
        ))
        .await;
    }

    /// The quantity of the only line in the cart as the server holds it.
    async fn server_quantity(&self) -> Value {
        let cart = self.server_cart().await;
        assert_eq!(
            cart["items"].as_array().map(Vec::len),
            Some(1),
            "one line: {cart}"
        );
        cart["items"][0]["quantity"].clone()
    }

    /// Removes the line `key` through `/cart/change.js` (same cookies) behind the page's back,
    /// as another tab of the same visitor would.
    async fn remove_elsewhere(&self, key: &str) {
        let script = format!(
            "const done = arguments[arguments.length - 1];\
             fetch('/cart/change.js', {{method: 'POST', headers: {{'Content-Type': 'application/json'}},\
               body: JSON.stringify({{id: {key:?}, quantity: 0}})}})\
             .then(r => done(r.status), e => done(String(e)));"
        );
        let status = self
            .client
            .execute_async(&script, Vec::new())
            .await
            .expect("fetch /cart/change.js");
        assert_eq!(status, json!(200), "remove {key}");
    }

    /// The text of the first visible `role=alert` element inside `css`, if any.
    async fn visible_alert(&self, css: &str) -> Option<String> {
        let script = format!(
            "const alerts = document.querySelectorAll({:?});\
             for (const alert of alerts) {{\
               const box = alert.getBoundingClientRect();\
               if (alert.checkVisibility() && box.width > 0 && box.height > 0) {{\
                 return alert.innerText.trim();\
               }}\
             }}\
             return null;",
            format!("{css} [role=alert]")
        );
        self.js(&script).await.as_str().map(str::to_string)
    }

    /// Waits until the drawer is open and has finished sliding in.
    async fn drawer_open(&self) {
        self.until(
            "the drawer to open",
            "document.getElementById('CartDrawer').open",
        )
        .await;
        self.until(
            "animations to finish",
            "document.getAnimations().every(a => a.playState !== 'running')",
        )
        .await;
    }

    /// Waits until no htmx request is in flight or queued on the cart.
    async fn settled(&self) {
        self.until(
            "the cart requests to finish",
            "!document.documentElement.classList.contains('cart-busy') && !document.querySelector('.htmx-request')",
        )
        .await;
    }
}

fn screenshots_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join("screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    dir
}

fn money(cents: i64) -> String {
    format!("${}.{:02}", cents / 100, cents % 100)
}

const HEALTH_POTION_L: &str = "40000000001103";
const LIMITED_PRINT: &str = "40000000000010";

// --- With JavaScript ----------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn purchase_flow_with_javascript() {
    let Some(tools) = tools() else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    let addr = start_app(dir.path()).await;
    let driver = start_driver(&tools).await;
    let client = browser(&tools, &driver, &dir.path().join("profile"), true).await;
    let page = Page {
        client,
        base: format!("http://{addr}"),
        shots: screenshots_dir(),
    };
    let started = Instant::now();

    // Home → collection → product.
    page.goto("/").await;
    assert_eq!(page.text("h1").await, "Rain or shine");
    page.until("htmx", "window.htmx").await;
    page.screenshot("home-desktop", DESKTOP).await;
    page.click(".header__nav a[href='/collections/apothecary']")
        .await;
    page.until(
        "the collection",
        "location.pathname === '/collections/apothecary'",
    )
    .await;
    assert_eq!(page.text("h1").await, "Apothecary");
    page.click_link("Health potion").await;
    page.until(
        "the product page",
        "location.pathname === '/products/health-potion'",
    )
    .await;

    // Pick a variant: price, stock and URL follow, without a page load.
    page.js("window.__samePage = true;").await;
    assert!(
        page.text("#price-template--product__main")
            .await
            .contains("$9.00")
    );
    page.select("#Variant-template--product__main", HEALTH_POTION_L)
        .await;
    page.until(
        "the large potion's price",
        "document.querySelector('#price-template--product__main').innerText.includes('$19.00')",
    )
    .await;
    assert_eq!(
        page.path().await,
        format!("/products/health-potion?variant={HEALTH_POTION_L}")
    );
    page.screenshot("product-desktop", DESKTOP).await;

    // Add to cart: the bubble counts it and the drawer opens, still on the same page.
    page.fill("#Quantity-template--product__main", "2").await;
    page.fill("#GiftMessage-template--product__main", "Get well soon")
        .await;
    page.click("#product-form-template--product__main button[name='add']")
        .await;
    page.until(
        "the bubble to count 2",
        "document.querySelector('#cart-icon-bubble .cart-count-bubble')?.textContent.trim() === '2'",
    )
    .await;
    page.drawer_open().await;
    assert!(page.visible("#CartDrawer").await, "the drawer is visible");
    assert_eq!(
        page.js("return window.__samePage === true").await,
        json!(true)
    );
    assert_eq!(
        page.js("return document.getElementById('CartDrawer').contains(document.activeElement)")
            .await,
        json!(true),
        "focus moves into the drawer"
    );
    let drawer = page.text("#CartDrawer").await;
    assert!(drawer.contains("Health potion"), "{drawer}");
    assert!(drawer.contains("Get well soon"), "{drawer}");
    assert!(drawer.contains("$38.00"), "{drawer}");
    page.settled().await;
    page.screenshot_window("drawer-desktop").await;

    // In the drawer: +1, then remove the line.
    page.click("#CartDrawer .cart-line a[data-quantity='3']")
        .await;
    page.until(
        "the drawer line to hold 3",
        "document.querySelector('#CartDrawer .cart-line input').value === '3'",
    )
    .await;
    page.settled().await;
    assert_eq!(page.server_cart().await["item_count"], json!(3));
    assert!(page.text("#CartDrawer").await.contains("$57.00"));
    page.click("#CartDrawer .cart-line__remove").await;
    page.until(
        "the drawer to be empty",
        "document.getElementById('CartDrawer').innerText.includes('Your cart is empty')",
    )
    .await;
    assert_eq!(
        page.js("return document.querySelector('#cart-icon-bubble .cart-count-bubble')")
            .await,
        Value::Null
    );
    // Focus stays in the drawer when the line that had it goes.
    page.until(
        "focus in the drawer",
        "document.getElementById('CartDrawer').contains(document.activeElement)",
    )
    .await;

    // Escape closes the drawer.
    page.js("document.activeElement.dispatchEvent(new KeyboardEvent('keydown', {key: 'Escape', bubbles: true}));")
        .await;
    page.until(
        "the drawer to close",
        "!document.getElementById('CartDrawer').open",
    )
    .await;
    assert!(!page.visible("#CartDrawer").await);
    assert_eq!(
        page.js("return window.__samePage === true").await,
        json!(true)
    );

    // Two things for the cart page: a coat (one-time) and honey.
    page.goto("/products/red-rain-coat").await;
    page.until("htmx", "window.htmx").await;
    page.click("#product-form-template--product__main button[name='add']")
        .await;
    page.drawer_open().await;
    page.settled().await;
    page.goto("/products/wildflower-honey").await;
    page.until("htmx", "window.htmx").await;
    page.click("#product-form-template--product__main button[name='add']")
        .await;
    page.until(
        "the bubble to count 2",
        "document.querySelector('#cart-icon-bubble .cart-count-bubble')?.textContent.trim() === '2'",
    )
    .await;
    page.settled().await;

    // The cart page: type a quantity, click +, remove a line, all without a page load.
    page.goto("/cart").await;
    page.until("htmx", "window.htmx").await;
    page.js("window.__samePage = true;").await;
    assert_eq!(
        page.js("return document.querySelectorAll('#main-cart-items .cart-line').length")
            .await,
        json!(2)
    );
    page.fill(
        "#main-cart-items .cart-line:first-child input.quantity__input",
        "3",
    )
    .await;
    page.js("document.querySelector('#main-cart-items .cart-line:first-child input.quantity__input').dispatchEvent(new Event('change', {bubbles: true}));")
        .await;
    page.until(
        "the bubble to count 4",
        "document.querySelector('#cart-icon-bubble .cart-count-bubble')?.textContent.trim() === '4'",
    )
    .await;
    page.settled().await;
    let before = page.server_cart().await;
    let first_key = before["items"][0]["key"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert_eq!(before["items"][0]["quantity"], json!(3));

    // Rapid clicks: three +1 on the same line, as fast as the browser can send them. Each
    // counts, and the page shows exactly what the server holds.
    page.js(
        "const plus = () => document.querySelector('#main-cart-items .cart-line:first-child a.quantity__button:last-of-type');\
         plus().click(); plus().click(); plus().click();",
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    page.settled().await;
    let server = page.server_cart().await;
    let held = server["items"][0]["quantity"].as_i64().unwrap_or_default();
    assert_eq!(held, 6, "three clicks from 3: {server}");
    assert_eq!(
        page.value("#main-cart-items .cart-line:first-child input.quantity__input")
            .await,
        held.to_string(),
        "the cart page shows what the server holds"
    );
    assert_eq!(
        page.text("#cart-icon-bubble .cart-count-bubble").await,
        server["item_count"].to_string()
    );
    assert_eq!(
        page.value("#CartDrawer .cart-line:first-child input.quantity__input")
            .await,
        held.to_string(),
        "the drawer agrees"
    );

    // Remove the first line from the cart page.
    page.click(&format!(
        "#main-cart-items .cart-line[data-line-key='{first_key}'] .cart-line__remove"
    ))
    .await;
    page.until(
        "one line left",
        "document.querySelectorAll('#main-cart-items .cart-line').length === 1",
    )
    .await;
    page.settled().await;

    // Note and gift wrap are saved as cart note and attribute.
    page.fill("#CartNote", "Leave it with the neighbours").await;
    page.click("#CartGiftWrap").await;
    page.settled().await;
    let mut saved = Value::Null;
    for _ in 0..100 {
        saved = page.server_cart().await;
        if saved["note"] == json!("Leave it with the neighbours")
            && saved["attributes"]["Gift wrap"] == json!("Yes")
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        saved["note"],
        json!("Leave it with the neighbours"),
        "{saved}"
    );
    assert_eq!(saved["attributes"]["Gift wrap"], json!("Yes"), "{saved}");

    // WELCOME10: the total drops by 10 %.
    let total = saved["total_price"].as_i64().unwrap_or_default();
    page.fill("#DiscountCode", "WELCOME10").await;
    page.click(".cart-discount button[type='submit']").await;
    let discounted = total - total / 10;
    page.until(
        "the discounted total",
        &format!(
            "document.getElementById('CartTotal')?.innerText.includes('{}')",
            money(discounted)
        ),
    )
    .await;
    assert!(
        page.text("#main-cart-footer")
            .await
            .contains("WELCOME10 applied")
    );

    // The shipping estimator shows the rate table's rates for the address.
    page.select("#ShippingCountry", "Canada").await;
    page.fill("#ShippingProvince", "Ontario").await;
    page.fill("#ShippingZip", "K1N 5T2").await;
    page.click(".shipping-estimator__form button[type='submit']")
        .await;
    page.until(
        "the shipping rates",
        "document.getElementById('ShippingEstimate').innerText.includes('Ground Shipping')",
    )
    .await;
    let rates = page.text("#ShippingEstimate").await;
    assert!(
        rates.contains("Express Shipping") && rates.contains("$8.00"),
        "{rates}"
    );
    assert!(page.path().await.starts_with("/cart?shipping_address"));
    assert_eq!(
        page.js("return window.__samePage === true").await,
        json!(true)
    );
    page.screenshot("cart-desktop", DESKTOP).await;

    // 20 of the limited print (10 in stock): the message shows, and the line holds 10.
    page.goto("/products/limited-edition-print").await;
    page.until("htmx", "window.htmx").await;
    page.fill("#Quantity-template--product__main", "20").await;
    page.click("#product-form-template--product__main button[name='add']")
        .await;
    page.until(
        "the stock message in the product form",
        "document.getElementById('ProductFormError-template--product__main').innerText.includes(\"You can't add more\")",
    )
    .await;
    page.drawer_open().await;
    page.settled().await;
    let line = format!("#CartDrawer .cart-line[data-line-key^='{LIMITED_PRINT}:']");
    assert_eq!(page.value(&format!("{line} input")).await, "10");
    assert!(
        page.text(&format!("{line} .cart-line__error"))
            .await
            .contains("You can't add more"),
        "the message is beside the line"
    );
    let server = page.server_cart().await;
    let print = server["items"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|i| {
            i["variant_id"]
                .as_i64()
                .is_some_and(|id| id.to_string() == LIMITED_PRINT)
        })
        .cloned()
        .unwrap_or_default();
    assert_eq!(print["quantity"], json!(10), "{server}");

    // Asking for one more in the drawer: 422, the message again, and still 10 on screen.
    page.click(&format!("{line} a[data-quantity='11']")).await;
    page.until(
        "the message beside the line",
        &format!(
            "document.querySelector(\"{line} .cart-line__error\") && document.querySelector(\"{line} input\").value === '10'"
        ),
    )
    .await;
    page.settled().await;
    page.screenshot_window("drawer-stock-error-desktop").await;

    // The same pages on a phone.
    page.resize(PHONE).await;
    page.js("document.getElementById('CartDrawer').close();")
        .await;
    page.goto("/").await;
    page.screenshot("home-phone", PHONE).await;
    page.goto(&format!(
        "/products/health-potion?variant={HEALTH_POTION_L}"
    ))
    .await;
    page.screenshot("product-phone", PHONE).await;
    page.goto("/cart").await;
    page.screenshot("cart-phone", PHONE).await;
    page.goto("/products/health-potion").await;
    page.until("htmx", "window.htmx").await;
    page.click("#cart-icon-bubble").await;
    page.drawer_open().await;
    page.screenshot_window("drawer-phone").await;

    // The French store: translated strings under /fr.
    page.resize(DESKTOP).await;
    page.goto("/fr/cart").await;
    assert!(page.text("h1").await.contains("Votre panier"));
    page.click(".header__languages a[hreflang='en']").await;
    page.until("the English cart", "location.pathname === '/cart'")
        .await;

    eprintln!("browser flow with JavaScript: {:?}", started.elapsed());
    page.client.close().await.expect("close the session");
}

// --- Quick clicks on a line's -/+ -----------------------------------------------------------------
// The -/+ links carry an absolute quantity rendered with the page, for the no-JS store. With
// scripts, every click must count, however fast it follows the last one.

const RED_RAIN_COAT: &str = "794864229";

/// A fresh app and a browser with scripts on. The driver must outlive the page.
async fn start_page(tools: &Tools, dir: &Path) -> (Driver, Page) {
    let addr = start_app(dir).await;
    open_page(tools, addr, dir).await
}

/// A browser with scripts on, at the app on `addr`.
async fn open_page(tools: &Tools, addr: SocketAddr, dir: &Path) -> (Driver, Page) {
    let driver = start_driver(tools).await;
    let client = browser(tools, &driver, &dir.join("profile"), true).await;
    let page = Page {
        client,
        base: format!("http://{addr}"),
        shots: screenshots_dir(),
    };
    (driver, page)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quick_plus_clicks_on_the_cart_page_all_count() {
    let Some(tools) = tools() else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    let (_driver, page) = start_page(&tools, dir.path()).await;
    page.goto("/").await;
    page.add_to_cart(RED_RAIN_COAT, 1).await;
    page.goto("/cart").await;
    page.until("htmx", "window.htmx").await;
    let plus = "#main-cart-items .cart-line a.quantity__button[id$='-Plus']";
    let field = "#main-cart-items .cart-line input.quantity__input";
    assert_eq!(page.value(field).await, "1");

    // Three clicks before the first answer: 1 -> 4, and the field counts along at once.
    page.click_quickly(plus, 3).await;
    // Read in the page at once: an answer may replace the field at any moment.
    let shown_at_once = page
        .js(&format!("return document.querySelector({field:?}).value"))
        .await;
    page.settled().await;
    assert_eq!(page.server_quantity().await, json!(4), "every click counts");
    assert_eq!(
        shown_at_once,
        json!("4"),
        "the field counts the clicks at once"
    );
    assert_eq!(page.value(field).await, "4");
    assert_eq!(
        page.value("#CartDrawer .cart-line input.quantity__input")
            .await,
        "4",
        "the drawer agrees"
    );
    assert_eq!(page.text("#cart-icon-bubble .cart-count-bubble").await, "4");

    // A click just as the answer to an older click lands (the next one still on its way):
    // that answer must not put its older quantity back for the click to count from.
    page.js(&format!(
        "const plus = () => document.querySelector({plus:?});\
         document.addEventListener('htmx:afterRequest', () => plus().click(), {{once: true}});\
         plus().click(); plus().click();"
    ))
    .await;
    page.settled().await;
    assert_eq!(page.server_quantity().await, json!(7), "every click counts");
    assert_eq!(page.value(field).await, "7");
    assert!(
        page.text("#main-cart-items .cart-line__price")
            .await
            .contains(&money(7 * 12900)),
        "the line's price is the server's"
    );
    page.client.close().await.expect("close the session");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quick_minus_clicks_in_the_drawer_all_count() {
    let Some(tools) = tools() else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    let (_driver, page) = start_page(&tools, dir.path()).await;
    page.goto("/").await;
    page.add_to_cart(RED_RAIN_COAT, 4).await;
    page.goto("/products/red-rain-coat").await;
    page.until("htmx", "window.htmx").await;
    page.click("#cart-icon-bubble").await;
    page.drawer_open().await;
    let minus = "#CartDrawer .cart-line a.quantity__button[id$='-Minus']";
    let field = "#CartDrawer .cart-line input.quantity__input";
    assert_eq!(page.value(field).await, "4");

    // Three clicks before the first answer: 4 -> 1.
    page.click_quickly(minus, 3).await;
    page.settled().await;
    assert_eq!(page.server_quantity().await, json!(1), "every click counts");
    assert_eq!(page.value(field).await, "1");
    assert!(
        page.text("#CartDrawer").await.contains(&money(12900)),
        "the drawer shows the server's total"
    );

    // Three more: the first empties the cart, the others have nothing left to take.
    page.click_quickly(minus, 3).await;
    page.until(
        "the drawer to be empty",
        "document.getElementById('CartDrawer').innerText.includes('Your cart is empty')",
    )
    .await;
    page.settled().await;
    assert_eq!(page.server_cart().await["item_count"], json!(0));
    page.client.close().await.expect("close the session");
}

// --- A change to a line another tab removed ------------------------------------------------------
// The page still shows the line; the server no longer has it and refuses the change (400). The
// visitor must see why nothing happened, and the page must catch up with the cart.

/// The keys of the cart's lines as the server holds them.
async fn line_keys(page: &Page) -> Vec<String> {
    let cart = page.server_cart().await;
    cart["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|item| item["key"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plus_on_a_line_removed_in_another_tab_says_so_on_the_cart_page() {
    let Some(tools) = tools() else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    let (_driver, page) = start_page(&tools, dir.path()).await;
    page.goto("/").await;
    page.add_to_cart(RED_RAIN_COAT, 1).await;
    page.add_to_cart(HEALTH_POTION_L, 1).await;
    page.goto("/cart").await;
    page.until("htmx", "window.htmx").await;
    let keys = line_keys(&page).await;
    let (gone, kept) = match keys.as_slice() {
        [gone, kept] => (gone.clone(), kept.clone()),
        _ => panic!("two lines: {keys:?}"),
    };
    let line = format!("#main-cart-items .cart-line[data-line-key='{gone}']");
    assert!(page.visible(&line).await, "the page shows the line");
    assert_eq!(page.visible_alert("#main-cart-items").await, None);

    page.remove_elsewhere(&gone).await;
    page.click(&format!("{line} a.quantity__button[id$='-Plus']"))
        .await;
    page.until(
        "the line to leave the page",
        &format!("!document.querySelector({line:?})"),
    )
    .await;
    page.settled().await;
    assert_eq!(
        page.visible_alert("#main-cart-items").await.as_deref(),
        Some("no valid id or line parameter"),
        "the refusal shows beside the cart"
    );
    assert!(
        page.visible(&format!(
            "#main-cart-items .cart-line[data-line-key='{kept}']"
        ))
        .await,
        "the other line stays"
    );
    assert_eq!(line_keys(&page).await, vec![kept], "nothing came back");
    assert_eq!(page.text("#cart-icon-bubble .cart-count-bubble").await, "1");
    page.client.close().await.expect("close the session");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remove_on_a_line_removed_in_another_tab_says_so_in_the_drawer() {
    let Some(tools) = tools() else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    let (_driver, page) = start_page(&tools, dir.path()).await;
    page.goto("/").await;
    page.add_to_cart(RED_RAIN_COAT, 2).await;
    page.goto("/fr/products/red-rain-coat").await;
    page.until("htmx", "window.htmx").await;
    page.click("#cart-icon-bubble").await;
    page.drawer_open().await;
    let keys = line_keys(&page).await;
    let [gone] = keys.as_slice() else {
        panic!("one line: {keys:?}")
    };
    let line = format!("#CartDrawer .cart-line[data-line-key='{gone}']");
    assert!(page.visible(&line).await, "the drawer shows the line");

    page.remove_elsewhere(gone).await;
    page.click(&format!("{line} .cart-line__remove")).await;
    page.until(
        "the line to leave the drawer",
        &format!("!document.querySelector({line:?})"),
    )
    .await;
    page.settled().await;
    assert_eq!(
        page.visible_alert("#CartDrawer").await.as_deref(),
        Some("aucun paramètre id ou line valide"),
        "the refusal shows in the drawer, in French"
    );
    assert!(
        page.text("#CartDrawer")
            .await
            .contains("Votre panier est vide"),
        "the drawer shows the empty cart"
    );
    page.client.close().await.expect("close the session");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quantity_refused_outright_says_so_on_the_cart_page() {
    let Some(tools) = tools() else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    let (_driver, page) = start_page(&tools, dir.path()).await;
    page.goto("/").await;
    page.add_to_cart(RED_RAIN_COAT, 2).await;
    page.goto("/cart").await;
    page.until("htmx", "window.htmx").await;
    let field = "#main-cart-items .cart-line input.quantity__input";
    assert_eq!(page.value(field).await, "2");

    // More digits than any quantity has: the server refuses the parameter (400) before it
    // looks at the cart. Enter sends the line.
    page.fill(field, "99999999999999999999\u{E007}").await;
    page.until(
        "the refusal to show",
        "document.querySelector('#main-cart-items [role=alert]')",
    )
    .await;
    page.settled().await;
    assert_eq!(
        page.visible_alert("#main-cart-items").await.as_deref(),
        Some("Required parameter missing or invalid: quantity"),
        "the refusal shows beside the cart"
    );
    assert_eq!(page.server_quantity().await, json!(2), "nothing changed");
    assert_eq!(
        page.value(field).await,
        "2",
        "the field shows the cart again"
    );
    page.client.close().await.expect("close the session");
}

/// Makes every write of a cart fail inside SQLite until the returned trigger is dropped: a real
/// store failure (500) while reads keep working.
fn break_cart_writes(db: &Path) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(db).expect("open the db");
    conn.busy_timeout(Duration::from_secs(5)).expect("timeout");
    conn.execute_batch(
        "CREATE TRIGGER refuse_cart_writes BEFORE UPDATE ON carts \
         BEGIN SELECT RAISE(ABORT, 'the disk is on fire'); END;",
    )
    .expect("create the trigger");
    conn
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_write_says_so_on_the_cart_page() {
    let Some(tools) = tools() else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    let (_driver, page) = start_page(&tools, dir.path()).await;
    page.goto("/").await;
    page.add_to_cart(RED_RAIN_COAT, 1).await;
    page.goto("/cart").await;
    page.until("htmx", "window.htmx").await;
    let plus = "#main-cart-items .cart-line a.quantity__button[id$='-Plus']";
    let field = "#main-cart-items .cart-line input.quantity__input";

    let db = break_cart_writes(&dir.path().join("store.db"));
    page.click(plus).await;
    page.until(
        "the failure to show",
        "document.querySelector('#main-cart-items [role=alert]')",
    )
    .await;
    page.settled().await;
    assert_eq!(
        page.visible_alert("#main-cart-items").await.as_deref(),
        Some("Something went wrong on our side. Please try again."),
        "the failure shows beside the cart"
    );
    let text = page.text("body").await;
    assert!(!text.contains("on fire"), "no internal detail: {text}");
    assert_eq!(page.server_quantity().await, json!(1), "nothing changed");
    assert_eq!(
        page.value(field).await,
        "1",
        "the field shows the cart again"
    );

    // Once the store works again, so does the next click, and the message goes.
    db.execute_batch("DROP TRIGGER refuse_cart_writes")
        .expect("drop the trigger");
    page.click(plus).await;
    page.settled().await;
    assert_eq!(page.server_quantity().await, json!(2));
    assert_eq!(page.value(field).await, "2");
    assert_eq!(page.visible_alert("#main-cart-items").await, None);
    page.client.close().await.expect("close the session");
}

// --- Without JavaScript -------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn purchase_flow_without_javascript() {
    let Some(tools) = tools() else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    let addr = start_app(dir.path()).await;
    let driver = start_driver(&tools).await;
    let client = browser(&tools, &driver, &dir.path().join("profile"), false).await;
    let page = Page {
        client,
        base: format!("http://{addr}"),
        shots: screenshots_dir(),
    };
    let started = Instant::now();

    page.goto("/").await;
    assert_eq!(
        page.js("return 1").await,
        json!(1),
        "WebDriver scripts still run with page scripts off"
    );
    assert_eq!(
        page.js("return typeof window.htmx").await,
        json!("undefined")
    );
    page.click(".header__nav a[href='/collections/apothecary']")
        .await;
    assert_eq!(page.text("h1").await, "Apothecary");
    page.click_link("Health potion").await;
    assert_eq!(page.path().await, "/products/health-potion");

    // The variant select is part of the form: pick L / High and add 2.
    page.select("#Variant-template--product__main", HEALTH_POTION_L)
        .await;
    page.fill("#Quantity-template--product__main", "2").await;
    page.fill("#GiftMessage-template--product__main", "Get well soon")
        .await;
    page.click("#product-form-template--product__main button[name='add']")
        .await;
    // Without scripts every form is a navigation: wait for the page it leads to.
    page.until(
        "the cart page after add",
        "location.pathname === '/cart' && !!document.getElementById('main-cart-items')",
    )
    .await;
    let cart = page.text("#main-cart-items").await;
    assert!(cart.contains("Health potion"), "{cart}");
    assert!(cart.contains("L / High") || cart.contains("High"), "{cart}");
    assert!(cart.contains("Get well soon"), "{cart}");
    assert_eq!(page.text("#cart-icon-bubble .cart-count-bubble").await, "2");

    // Change the quantity with the cart form's Update button.
    page.fill("#main-cart-items .cart-line input.quantity__input", "3")
        .await;
    page.click("#cart button[name='update']").await;
    page.until("the updated quantity", "document.querySelector('#main-cart-items .cart-line input.quantity__input').value === '3' && document.querySelector('#cart-icon-bubble .cart-count-bubble').innerText.trim() === '3'").await;
    assert_eq!(page.path().await, "/cart");
    assert_eq!(
        page.value("#main-cart-items .cart-line input.quantity__input")
            .await,
        "3"
    );
    assert_eq!(page.text("#cart-icon-bubble .cart-count-bubble").await, "3");

    // +1 is a link.
    page.click("#main-cart-items .cart-line a[data-quantity='4']")
        .await;
    page.until(
        "the +1 quantity",
        "document.querySelector('#main-cart-items .cart-line input.quantity__input').value === '4'",
    )
    .await;
    assert_eq!(page.path().await, "/cart");
    assert_eq!(
        page.value("#main-cart-items .cart-line input.quantity__input")
            .await,
        "4"
    );

    // The note and gift wrap go with the cart form.
    page.fill("#CartNote", "Ring twice").await;
    page.click("#CartGiftWrap").await;
    // Mark this page, so the next one is known when it has replaced it: reading the note while
    // the form's navigation is under way could read the old page's field as it goes.
    page.js("document.documentElement.dataset.beforeUpdate = 'yes';")
        .await;
    page.click("#cart button[name='update']").await;
    page.until(
        "the cart page after the update",
        "!document.documentElement.dataset.beforeUpdate && !!document.getElementById('CartNote')",
    )
    .await;
    assert_eq!(page.value("#CartNote").await, "Ring twice");
    assert_eq!(
        page.js("return document.getElementById('CartGiftWrap').checked")
            .await,
        json!(true)
    );

    // WELCOME10 through the discount form.
    page.fill("#DiscountCode", "WELCOME10").await;
    page.click(".cart-discount button[type='submit']").await;
    // 4 × $19.00 = $76.00; 10 % off: $68.40.
    page.until(
        "the discounted total",
        "(document.getElementById('CartTotal') || {innerText: ''}).innerText.includes('$68.40')",
    )
    .await;
    assert_eq!(page.path().await, "/cart");

    // The estimator is a GET form: the cart page shows the rates for the address.
    page.select("#ShippingCountry", "Canada").await;
    page.fill("#ShippingProvince", "Ontario").await;
    page.fill("#ShippingZip", "K1N 5T2").await;
    page.click(".shipping-estimator__form button[type='submit']")
        .await;
    page.until("the estimate page", "location.search.startsWith('?shipping_address') && !!document.getElementById('ShippingEstimate')").await;
    let rates = page.text("#ShippingEstimate").await;
    assert!(
        rates.contains("Ground Shipping") && rates.contains("$8.00"),
        "{rates}"
    );
    page.fill("#ShippingZip", "12345").await;
    page.click(".shipping-estimator__form button[type='submit']")
        .await;
    page.until("the zip error", "(document.getElementById('ShippingEstimate') || {innerText: ''}).innerText.includes('is not valid for Canada')").await;
    assert!(
        page.text("#ShippingEstimate")
            .await
            .contains("is not valid for Canada")
    );

    // Remove is a link.
    page.click("#main-cart-items .cart-line__remove").await;
    page.until(
        "the empty cart",
        "document.getElementById('main-cart-items').innerText.includes('Your cart is empty')",
    )
    .await;
    assert_eq!(page.path().await, "/cart");
    assert!(
        page.text("#main-cart-items")
            .await
            .contains("Your cart is empty")
    );

    // 20 of the limited print: back on the cart page with the message, and 10 in the cart.
    page.goto("/products/limited-edition-print").await;
    page.fill("#Quantity-template--product__main", "20").await;
    page.click("#product-form-template--product__main button[name='add']")
        .await;
    page.until(
        "the cart page with the stock message",
        "location.pathname === '/cart' && !!document.querySelector('.flash')",
    )
    .await;
    assert!(page.text(".flash").await.contains("You can't add more"));
    assert_eq!(
        page.value("#main-cart-items .cart-line input.quantity__input")
            .await,
        "10"
    );
    page.screenshot("cart-no-js-desktop", DESKTOP).await;

    // A real 404.
    page.goto("/no-such-page").await;
    assert_eq!(page.text("h1").await, "Page not found");

    eprintln!("browser flow without JavaScript: {:?}", started.elapsed());
    page.client.close().await.expect("close the session");
}

// --- An Online Store 2.0 theme's own JavaScript --------------------------------------------------

/// ChromeDriver's log of the page's console (`console.error`, uncaught exceptions, failed
/// loads): not in WebDriver's standard, so asked for by hand.
#[derive(Debug)]
struct BrowserLog;

impl fantoccini::wd::WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/se/log",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(json!({"type": "browser"}).to_string()),
        )
    }
}

/// The page errors logged since the last call: SEVERE console entries.
async fn browser_errors(client: &Client) -> Vec<String> {
    let log = client.issue_cmd(BrowserLog).await.expect("the browser log");
    log.as_array()
        .into_iter()
        .flatten()
        .filter(|entry| entry["level"] == "SEVERE")
        .map(|entry| entry["message"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// A copy of the theme at `theme` served on a free port (its `.vitrine/` goes into the copy),
/// with a browser with JavaScript on, and the WebDriver process behind it.
async fn serve_theme_copy(tools: &Tools, theme: &Path, dir: &Path) -> (Driver, Page) {
    let copy = dir.join("theme");
    crate::theme_support::copy_dir(theme, &copy);
    let addr = start_app_with_theme(&copy, dir).await;
    open_page(tools, addr, dir).await
}

/// A resource from another host that failed to load: the machine is offline, which is no fault
/// of the theme's or vitrine's (a YouTube player the theme embeds).
fn offline_miss(entry: &str) -> bool {
    let Some((url, message)) = entry.split_once(" - ") else {
        return false;
    };
    let url = url.rsplit(": ").next().unwrap_or(url);
    message.starts_with("Failed to load resource: net::")
        && url.starts_with("http")
        && !url.contains("://127.0.0.1")
}

/// Any Online Store 2.0 theme named by `VITRINE_TRY_THEME` (a folder; not run without it): the
/// product page's own add-to-cart form, driven by the theme's own JavaScript, puts the line in
/// the cart with no page errors. For trying a theme that is not in the repository;
/// `VITRINE_TRY_THEME_IGNORE=a.js,b.js` leaves out errors that name those scripts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_theme_in_vitrine_try_theme_adds_to_the_cart_with_its_own_script() {
    let Some(theme) = std::env::var_os("VITRINE_TRY_THEME") else {
        eprintln!("SKIPPED: set VITRINE_TRY_THEME=DIR to try an Online Store 2.0 theme");
        return;
    };
    let Some(tools) = tools() else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    let (_driver, page) = serve_theme_copy(&tools, Path::new(&theme), dir.path()).await;
    // Every page type first: the theme's scripts run on each without an error.
    let mut errors = Vec::new();
    for path in [
        "/",
        "/collections/all",
        "/collections",
        "/search?q=rain",
        "/pages/about",
        "/blogs/news",
        "/blogs/news/rain-gear-for-the-coast",
        "/cart",
        "/products/red-rain-coat",
    ] {
        page.goto(path).await;
        page.until("the page to load", "document.readyState === 'complete'")
            .await;
        errors.extend(
            browser_errors(&page.client)
                .await
                .into_iter()
                .map(|e| format!("{path}: {e}")),
        );
    }
    // An app's script the theme carries (a search app that needs its own server's data) may
    // fail offline through no fault of the theme or of vitrine: name it to leave it out.
    let ignored = std::env::var("VITRINE_TRY_THEME_IGNORE").unwrap_or_default();
    let ignored: Vec<&str> = ignored.split(',').filter(|s| !s.is_empty()).collect();
    errors.retain(|e| !ignored.iter().any(|i| e.contains(i)) && !offline_miss(e));
    assert!(errors.is_empty(), "page errors: {errors:#?}");
    page.goto("/products/red-rain-coat").await;
    // A button without a `type` submits its form too (Blockshop's has none).
    page.click(
        "form[action$='/cart/add'] [type=submit], form[action$='/cart/add'] button:not([type])",
    )
    .await;
    page.until(
        "the theme's script to add the line",
        "window.__vitrine_cart_checked = window.__vitrine_cart_checked || \
         fetch('/cart.js').then(r => r.json()).then(c => { window.__vitrine_count = c.item_count; \
         window.__vitrine_cart_checked = null; }), window.__vitrine_count >= 1",
    )
    .await;
    page.screenshot("try-theme-product-added", DESKTOP).await;
    assert_eq!(page.server_quantity().await, json!(1));
    let mut errors = browser_errors(&page.client).await;
    errors.retain(|e| !ignored.iter().any(|i| e.contains(i)) && !offline_miss(e));
    assert!(errors.is_empty(), "page errors: {errors:#?}");
    page.client.close().await.expect("close the browser");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_os2_themes_own_script_adds_to_the_cart_and_swaps_in_the_bundled_section() {
    let Some(tools) = tools() else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    let (_driver, page) = serve_theme_copy(
        &tools,
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/theme-os2"),
        dir.path(),
    )
    .await;
    page.goto("/products/red-rain-coat").await;
    assert_eq!(page.text("#cart-count").await, "Cart (0 items)");
    // The section's `{% javascript %}` ran once from the bundle, after the page parsed; the
    // cart section's, not on this page, did not run.
    page.until(
        "the product section's bundled script",
        "document.documentElement.dataset.productScript === '1'",
    )
    .await;
    assert_eq!(
        page.js("return [document.documentElement.dataset.productScriptSawForm, document.documentElement.dataset.cartScript || 'none'];")
            .await,
        json!(["true", "none"])
    );
    page.until(
        "Shopify.loadFeatures to give the customer privacy API",
        "document.documentElement.dataset.consent === 'yes'",
    )
    .await;
    page.js("document.getElementById('cart-count').dataset.old = 'yes';")
        .await;
    page.click("form.buy button[name=add]").await;
    page.until(
        "the bundled header section to replace the old one",
        "document.documentElement.getAttribute('data-cart-updated') === '1' \
         && !document.getElementById('cart-count').dataset.old",
    )
    .await;
    assert_eq!(page.text("#cart-count").await, "Cart (1 item)");
    // The theme's script told Shopify's standard events module (our local stand-in) of the
    // add, and the event reached `document` with the variant as a gid.
    page.until(
        "the cart lines update event",
        "(document.documentElement.dataset.cartEvent || '').startsWith('gid://shopify/ProductVariant/')",
    )
    .await;
    // The theme's script kept the visitor on the page; the server holds the line.
    assert_eq!(page.path().await, "/products/red-rain-coat");
    assert_eq!(page.server_quantity().await, json!(1));
    page.screenshot("os2-product-added", DESKTOP).await;
    let errors = browser_errors(&page.client).await;
    assert!(errors.is_empty(), "page errors: {errors:#?}");
    page.client.close().await.expect("close the browser");
}

/// Hot reload in a Shopify theme: saving a section swaps the section in place (no page load)
/// with its new markup and its new `{% stylesheet %}`, which lives in the bundled stylesheet.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn saving_a_shopify_section_swaps_it_in_with_its_new_stylesheet() {
    let Some(tools) = tools() else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    let theme = dir.path().join("theme");
    crate::theme_support::copy_dir(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/theme-os2"),
        &theme,
    );
    let addr = start_app_watching(&theme, dir.path(), true).await;
    let (_driver, page) = open_page(&tools, addr, dir.path()).await;
    page.goto("/products/red-rain-coat").await;
    page.js("window.__vitrine_same_page = true;").await;
    // The footer is a static section (`{% section 'footer' %}`): its id is its file's name.
    std::fs::write(
        theme.join("sections/footer.liquid"),
        "<footer class=\"edited\">Edited</footer>\n\
         {% stylesheet %}.edited { color: rgb(1, 2, 3); }{% endstylesheet %}\n\
         {% schema %}{ \"name\": \"Footer\" }{% endschema %}\n",
    )
    .expect("save the section");
    page.until(
        "the edited section with its new stylesheet",
        "(document.querySelector('footer.edited') || {}).textContent === 'Edited' \
         && getComputedStyle(document.querySelector('footer.edited')).color === 'rgb(1, 2, 3)'",
    )
    .await;
    assert_eq!(
        page.js("return window.__vitrine_same_page === true").await,
        json!(true),
        "the page was loaded again instead of swapping the section"
    );
    let errors = browser_errors(&page.client).await;
    assert!(errors.is_empty(), "page errors: {errors:#?}");
    page.client.close().await.expect("close the browser");
}

/// A Liquid error in development: saving a section that fails at run time shows the page with
/// the error printed in the section's place and the overlay listing it at its file and line;
/// saving the fix takes both away, with no page errors.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_section_that_fails_shows_in_place_and_in_the_overlay_until_fixed() {
    let Some(tools) = tools() else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    let theme = dir.path().join("theme");
    crate::theme_support::copy_dir(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/theme-os2"),
        &theme,
    );
    let addr = start_app_watching(&theme, dir.path(), true).await;
    let (_driver, page) = open_page(&tools, addr, dir.path()).await;
    page.goto("/products/red-rain-coat").await;
    let footer = theme.join("sections/footer.liquid");
    std::fs::write(
        &footer,
        "<footer>Broken</footer>\n{{ 10 | divided_by: 0 }}\n{% schema %}{ \"name\": \"Footer\" }{% endschema %}\n",
    )
    .expect("save the broken section");
    page.until(
        "the overlay naming the section's file and line",
        "(document.getElementById('vitrine-error-overlay') || {}).textContent \
         ?.includes('sections/footer.liquid:2')",
    )
    .await;
    let overlay = page.text("#vitrine-error-overlay").await;
    assert!(overlay.contains("1 Liquid error on this page"), "{overlay}");
    assert!(overlay.contains("divided by 0"), "{overlay}");
    assert!(
        overlay.contains("{{ 10 | divided_by: 0 }}"),
        "the source line: {overlay}"
    );
    let in_place = page.text("#shopify-section-footer").await;
    assert_eq!(
        in_place,
        "Liquid error (sections/footer.liquid line 2): divided by 0"
    );
    assert!(
        page.visible("form.buy").await,
        "the rest of the page renders"
    );
    std::fs::write(
        &footer,
        "<footer class=\"fixed\">Fixed</footer>\n{% schema %}{ \"name\": \"Footer\" }{% endschema %}\n",
    )
    .expect("save the fix");
    page.until(
        "the fixed section and no overlay",
        "document.querySelector('footer.fixed') !== null \
         && document.getElementById('vitrine-error-overlay') === null",
    )
    .await;
    let errors = browser_errors(&page.client).await;
    assert!(errors.is_empty(), "page errors: {errors:#?}");
    page.client.close().await.expect("close the browser");
}
