//! Several vitrine nodes (real processes, real ports) over one PostgreSQL database: one
//! visitor alternating between nodes, a storm split over two nodes, a node killed with SIGKILL
//! mid-storm, the database restarted under running nodes, and the password kept out of
//! every log line, answer and `/healthz`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::pg_support::PgServer;

use crate::common::{GIFT_CARD_VARIANT as GIFT_CARD, gift_card_quantity as gift_cards};
const COAT_PRODUCT: i64 = 7021400000001;
const COAT_RED: i64 = 794864229;
const STORM_TIMEOUT_MS: u64 = 30_000;

/// One `vitrine serve` on `url`, logging at info into `log`.
struct Node {
    child: Child,
    base: String,
    log: PathBuf,
}

impl Node {
    /// Waits on the database are bounded by `timeout_ms`: short where an outage is the test, long
    /// where a storm on one cart queues every writer behind one row lock on a loaded machine.
    fn start(url: &str, log_dir: &Path, name: &str, timeout_ms: u64) -> Node {
        let log = log_dir.join(format!("{name}.log"));
        let file = std::fs::File::create(&log).expect("node log file");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let child = Command::new(env!("CARGO_BIN_EXE_vitrine"))
            .args([
                "serve",
                "--no-watch",
                "--addr",
                &format!("127.0.0.1:{port}"),
            ])
            .arg("--theme")
            .arg(env!("CARGO_MANIFEST_DIR"))
            // Through the environment, so the password is not in the process list either.
            .env("VITRINE_DB", url)
            .env("VITRINE_DB_TIMEOUT_MS", timeout_ms.to_string())
            .env("RUST_LOG", "vitrine=info,tower_http=info")
            // tracing writes to stdout, errors before it starts to stderr: keep both.
            .stdout(file.try_clone().expect("log file handle"))
            .stderr(file)
            .spawn()
            .expect("the vitrine binary starts");
        Node {
            child,
            base: format!("http://127.0.0.1:{port}"),
            log,
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    async fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("node exited with {status}; its log:\n{}", self.log());
            }
            if let Ok(r) = reqwest::get(format!("{}/healthz", self.base)).await
                && r.status().is_success()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("node did not become ready; its log:\n{}", self.log());
    }

    fn kill(&mut self) {
        self.child.kill().expect("SIGKILL the node");
        let _ = self.child.wait();
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Two nodes on a new database of `server`.
async fn two_nodes(server: &PgServer, logs: &Path, timeout_ms: u64) -> (Node, Node) {
    let url = server.new_database();
    // Started together: both migrate and seed an empty database at once.
    let mut a = Node::start(&url, logs, "a", timeout_ms);
    let mut b = Node::start(&url, logs, "b", timeout_ms);
    a.wait_ready().await;
    b.wait_ready().await;
    (a, b)
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .timeout(Duration::from_secs(15))
        .build()
        .expect("http client")
}

async fn add_gift_card(http: &reqwest::Client, base: &str) -> reqwest::Result<reqwest::Response> {
    http.post(format!("{base}/cart/add.js"))
        .json(&json!({"id": GIFT_CARD, "quantity": 1}))
        .send()
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_cookie_alternating_between_nodes_sees_one_cart() {
    let Some(server) = PgServer::shared("one_cookie_alternating_between_nodes_sees_one_cart")
    else {
        return;
    };
    let logs = tempfile::tempdir().expect("log dir");
    let (a, b) = two_nodes(server, logs.path(), STORM_TIMEOUT_MS).await;
    let http = client();
    let mut token = None;
    for round in 1..=6 {
        let (writer, reader) = if round % 2 == 1 { (&a, &b) } else { (&b, &a) };
        let added = add_gift_card(&http, &writer.base).await.expect("add");
        assert_eq!(added.status(), 200, "round {round}");
        let cart: Value = http
            .get(format!("{}/cart.js", reader.base))
            .send()
            .await
            .expect("cart.js")
            .json()
            .await
            .expect("json");
        assert_eq!(cart["item_count"], round, "round {round}: {cart}");
        let seen = cart["token"].as_str().map(str::to_string);
        assert!(seen.is_some());
        if let Some(first) = &token {
            assert_eq!(&seen, first, "one cart on both nodes");
        } else {
            token = Some(seen);
        }
    }
    // The pages run on the shared store too: the cart page of either node lists the line.
    for node in [&a, &b] {
        let page = http
            .get(format!("{}/cart", node.base))
            .send()
            .await
            .expect("cart page");
        assert_eq!(page.status(), 200);
        let html = page.text().await.expect("html");
        assert!(
            html.contains("Digital Gift Card"),
            "the cart page does not show the gift card"
        );
    }
    let empty = client()
        .get(format!("{}/cart", b.base))
        .send()
        .await
        .expect("empty cart page")
        .text()
        .await
        .expect("html");
    assert!(
        !empty.contains("Digital Gift Card"),
        "a new visitor's cart is empty"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixty_four_clients_over_two_nodes_lose_no_add() {
    let Some(server) = PgServer::shared("sixty_four_clients_over_two_nodes_lose_no_add") else {
        return;
    };
    let logs = tempfile::tempdir().expect("log dir");
    let (a, b) = two_nodes(server, logs.path(), STORM_TIMEOUT_MS).await;
    // One visitor (one cookie) whose cart every client adds to, half through each node.
    let http = client();
    assert_eq!(
        add_gift_card(&http, &a.base).await.expect("setup").status(),
        200
    );
    const CLIENTS: usize = 64;
    const ADDS: usize = 5;
    let start = Arc::new(tokio::sync::Barrier::new(CLIENTS));
    let mut tasks = Vec::new();
    for n in 0..CLIENTS {
        let (http, start) = (http.clone(), start.clone());
        let bases = [a.base.clone(), b.base.clone()];
        tasks.push(tokio::spawn(async move {
            start.wait().await;
            let mut acknowledged = 0;
            let mut refused = Vec::new();
            for i in 0..ADDS {
                let base = &bases[(n + i) % 2];
                let r = add_gift_card(&http, base).await.expect("add answered");
                if r.status() == 200 {
                    acknowledged += 1;
                } else {
                    refused.push(r.text().await.unwrap_or_default());
                }
            }
            (acknowledged, refused)
        }));
    }
    let mut acknowledged = 1;
    let mut refused = Vec::new();
    for task in tasks {
        let (acked, failed) = task.await.expect("join");
        acknowledged += acked;
        refused.extend(failed);
    }
    assert!(
        refused.is_empty(),
        "{} adds refused: {:?}\nnode a:\n{}\nnode b:\n{}",
        refused.len(),
        refused.first(),
        a.log()
            .lines()
            .filter(|l| !l.contains("finished processing"))
            .collect::<Vec<_>>()
            .join("\n"),
        b.log()
            .lines()
            .filter(|l| !l.contains("finished processing"))
            .collect::<Vec<_>>()
            .join("\n"),
    );
    assert_eq!(acknowledged, 1 + CLIENTS * ADDS);
    for node in [&a, &b] {
        assert_eq!(gift_cards(&http, &node.base).await, acknowledged as i64);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_killed_mid_storm_loses_nothing_acknowledged() {
    let Some(server) = PgServer::shared("a_node_killed_mid_storm_loses_nothing_acknowledged")
    else {
        return;
    };
    let logs = tempfile::tempdir().expect("log dir");
    let (mut a, b) = two_nodes(server, logs.path(), STORM_TIMEOUT_MS).await;
    const CLIENTS: usize = 16;
    let clients: Vec<reqwest::Client> = (0..CLIENTS).map(|_| client()).collect();
    let a_down = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let mut storm = Vec::new();
    for (n, c) in clients.iter().enumerate() {
        let c = c.clone();
        let bases = [a.base.clone(), b.base.clone()];
        let (a_down, stop) = (a_down.clone(), stop.clone());
        storm.push(tokio::spawn(async move {
            // Acknowledged adds, and whether one was in flight when it was cut off.
            let mut acknowledged = 0i64;
            let mut cut = 0i64;
            let mut i = n;
            while !stop.load(Ordering::Relaxed) {
                let base = &bases[i % 2];
                i += 1;
                match add_gift_card(&c, base).await {
                    Ok(r) if r.status().is_success() => acknowledged += 1,
                    // Killed under this request: it may or may not have committed. Go on
                    // through the other node.
                    _ if a_down.load(Ordering::Relaxed) => {
                        cut += 1;
                        i = 1;
                    }
                    Ok(r) => panic!("add refused: {}", r.status()),
                    Err(e) => panic!("add failed before the kill: {e}"),
                }
            }
            (acknowledged, cut)
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    a_down.store(true, Ordering::Relaxed);
    a.kill();
    tokio::time::sleep(Duration::from_millis(700)).await;
    stop.store(true, Ordering::Relaxed);
    let mut results = Vec::new();
    for task in storm {
        results.push(task.await.expect("storm task"));
    }
    let total: i64 = results.iter().map(|(acked, _)| acked).sum();
    assert!(total > 0, "the storm wrote nothing");
    for (c, (acked, cut)) in clients.iter().zip(&results) {
        let stored = gift_cards(c, &b.base).await;
        // Every acknowledged add is there; of those cut off by the kill, at most all.
        assert!(
            stored >= *acked && stored <= acked + cut,
            "stored {stored}, acknowledged {acked}, cut off {cut}"
        );
    }
}

/// A request during the outage: answered (no hang) within the node's timeout and a margin.
async fn during_outage(
    request: reqwest::RequestBuilder,
    what: &str,
    password: &str,
) -> (u16, Value) {
    let started = Instant::now();
    let r = request
        .send()
        .await
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{what} took {:?}",
        started.elapsed()
    );
    let status = r.status().as_u16();
    let text = r.text().await.unwrap_or_default();
    assert!(
        !text.contains(password),
        "{what} shows the password: {text}"
    );
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_restart_answers_503_then_both_nodes_recover() {
    let test = "a_database_restart_answers_503_then_both_nodes_recover";
    let Some(server) = PgServer::dedicated(test) else {
        return;
    };
    let password = server.password();
    let logs = tempfile::tempdir().expect("log dir");
    let (a, b) = two_nodes(&server, logs.path(), 2000).await;
    let http = client();
    assert_eq!(
        add_gift_card(&http, &a.base).await.expect("add").status(),
        200
    );
    let cart: Value = http
        .get(format!("{}/cart.js", a.base))
        .send()
        .await
        .expect("cart.js")
        .json()
        .await
        .expect("json");
    let token = cart["token"].as_str().expect("token").to_string();
    let ep_token: Value = issue_ep_token(&http, &b.base).await;
    let bearer = format!(
        "Bearer {}",
        ep_token["access_token"].as_str().expect("access_token")
    );

    server.stop();

    // Shopify: the dialect's own error body, with status 503.
    let (status, body) = during_outage(
        http.post(format!("{}/cart/add.js", a.base))
            .json(&json!({"id": GIFT_CARD, "quantity": 1})),
        "shopify add",
        password,
    )
    .await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["status"], 503, "{body}");
    assert_eq!(body["message"], "Service Unavailable", "{body}");
    assert!(body["description"].is_string(), "{body}");
    let (status, body) = during_outage(
        http.get(format!("{}/cart.js", b.base)),
        "shopify read",
        password,
    )
    .await;
    assert_eq!(status, 503, "{body}");
    // BigCommerce: {status, title, type}.
    let (status, body) = during_outage(
        http.post(format!("{}/api/storefront/carts", b.base)).json(
            &json!({"lineItems": [{"productId": COAT_PRODUCT, "variantId": COAT_RED, "quantity": 1}]}),
        ),
        "bigcommerce create",
        password,
    )
    .await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["status"], 503, "{body}");
    assert_eq!(body["title"], "Service Unavailable", "{body}");
    assert!(body["type"].is_string(), "{body}");
    // Elastic Path: {errors: [{status, title, detail}]}.
    let (status, body) = during_outage(
        http.get(format!("{}/v2/carts/{token}", b.base))
            .header("authorization", &bearer),
        "elastic path read",
        password,
    )
    .await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["errors"][0]["status"], 503, "{body}");
    assert_eq!(body["errors"][0]["title"], "Service Unavailable", "{body}");
    for node in [&a, &b] {
        let (status, body) = during_outage(
            http.get(format!("{}/healthz", node.base)),
            "healthz",
            password,
        )
        .await;
        assert_eq!(status, 503, "{body}");
    }

    server.start();
    // Both nodes serve again by themselves, within 20 s of the database's return.
    let back = Instant::now();
    for node in [&a, &b] {
        loop {
            let healthy = http
                .get(format!("{}/healthz", node.base))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if healthy {
                break;
            }
            assert!(
                back.elapsed() < Duration::from_secs(20),
                "a node did not recover; its log:\n{}",
                node.log()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    for node in [&a, &b] {
        let r = add_gift_card(&http, &node.base).await.expect("add after");
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
    }
    assert!(back.elapsed() < Duration::from_secs(20));
    // The cart from before the outage, with both adds since.
    assert_eq!(gift_cards(&http, &b.base).await, 3);

    for node in [&a, &b] {
        let log = node.log();
        assert!(log.contains("unavailable"), "the outage was logged:\n{log}");
        assert!(
            !log.contains(password),
            "a node logged the password:\n{log}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_fails_start_up_without_showing_it() {
    let Some(server) = PgServer::shared("a_wrong_password_fails_start_up_without_showing_it")
    else {
        return;
    };
    let url = server.new_database();
    let wrong = format!("wrong-{}", vitrine::cart::new_token());
    let url = url.replacen(server.password(), &wrong, 1);
    let logs = tempfile::tempdir().expect("log dir");
    let mut node = Node::start(&url, logs.path(), "wrong", 2000);
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Ok(Some(status)) = node.child.try_wait() {
            break status;
        }
        assert!(Instant::now() < deadline, "the node kept running");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(!status.success());
    let log = node.log();
    assert!(log.contains("password authentication failed"), "{log}");
    assert!(!log.contains(&wrong), "the log shows the password:\n{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_and_prepared_rates_from_one_node_work_on_the_other() {
    let Some(server) =
        PgServer::shared("tokens_and_prepared_rates_from_one_node_work_on_the_other")
    else {
        return;
    };
    let logs = tempfile::tempdir().expect("log dir");
    let (a, b) = two_nodes(server, logs.path(), STORM_TIMEOUT_MS).await;
    let http = client();

    // An Elastic Path token issued by node A is accepted by node B; a made-up one is not.
    let issued: Value = issue_ep_token(&http, &a.base).await;
    let token = issued["access_token"].as_str().expect("access_token");
    let created = http
        .post(format!("{}/v2/carts", b.base))
        .header("authorization", format!("Bearer {token}"))
        .json(&json!({"data": {"name": "shared"}}))
        .send()
        .await
        .expect("create on b");
    assert_eq!(
        created.status(),
        201,
        "{}",
        created.text().await.unwrap_or_default()
    );
    let refused = http
        .get(format!("{}/v2/carts/whatever", b.base))
        .header(
            "authorization",
            "Bearer 0000000000000000000000000000000000000000",
        )
        .send()
        .await
        .expect("unknown token");
    assert_eq!(refused.status(), 401);

    // Shipping rates prepared on node A are ready when polled on node B.
    let address = "shipping_address%5Bzip%5D=K1N+5T2&shipping_address%5Bcountry%5D=Canada&shipping_address%5Bprovince%5D=Ontario";
    assert_eq!(
        add_gift_card(&http, &a.base).await.expect("add").status(),
        200
    );
    let prepared = http
        .post(format!(
            "{}/cart/prepare_shipping_rates.json?{address}",
            a.base
        ))
        .send()
        .await
        .expect("prepare");
    assert_eq!(prepared.status(), 200);
    let polled: Value = http
        .get(format!(
            "{}/cart/async_shipping_rates.json?{address}",
            b.base
        ))
        .send()
        .await
        .expect("poll")
        .json()
        .await
        .expect("poll json");
    assert!(
        polled["shipping_rates"]
            .as_array()
            .is_some_and(|r| !r.is_empty()),
        "not ready on the other node: {polled}"
    );
}

/// An Elastic Path implicit token from the node at `base` (the whole answer).
async fn issue_ep_token(http: &reqwest::Client, base: &str) -> Value {
    http.post(format!("{base}/oauth/access_token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "grant_type=implicit&client_id={}",
            vitrine::state::DEMO_EP_CLIENT_ID
        ))
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("token json")
}
