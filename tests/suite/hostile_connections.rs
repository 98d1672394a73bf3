//! Connection hygiene over a real port: a request head or body that stops arriving, an idle
//! keep-alive connection, and a flood of stalled connections beyond the connection limit. Before
//! `vitrine::server`, each of these connections stayed open for good, and about 20,000 of them
//! (the open-file limit) shut `/healthz` out.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common::{HAT, TestApp};
use crate::hostile_support::{
    PARTIAL_HEAD, healthz, limits, read_until_closed, serve, stalled, status_of,
};

fn add_head(content_length: usize) -> String {
    format!(
        "POST /cart/add.js HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
         Content-Length: {content_length}\r\n\r\n"
    )
}

fn add_body() -> String {
    format!("{{\"id\":{HAT},\"quantity\":1}}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_head_that_stops_arriving_is_closed_at_the_header_timeout() {
    let app = TestApp::new().await;
    let served = serve(&app, limits(|l| l.header_timeout = Duration::from_secs(1))).await;
    let mut conn = stalled(served.addr, PARTIAL_HEAD).await;
    let (_, after) = read_until_closed(&mut conn, Duration::from_secs(10))
        .await
        .expect("the server closes a connection whose head never ends");
    assert!(
        after >= Duration::from_millis(900),
        "closed after {after:?}, before the timeout"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_keep_alive_connection_is_closed_at_the_header_timeout() {
    let app = TestApp::new().await;
    let served = serve(&app, limits(|l| l.header_timeout = Duration::from_secs(1))).await;
    let mut conn = stalled(served.addr, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await;
    let mut buf = [0u8; 1024];
    let n = conn.read(&mut buf).await.expect("the answer");
    assert_eq!(status_of(&buf[..n]), Some(200));
    let (rest, _) = read_until_closed(&mut conn, Duration::from_secs(10))
        .await
        .expect("an idle keep-alive connection is closed");
    assert!(rest.is_empty(), "nothing more was sent: {rest:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_stops_arriving_is_refused_and_changes_nothing() {
    let app = TestApp::new().await;
    let served = serve(&app, limits(|l| l.body_timeout = Duration::from_secs(1))).await;
    let body = add_body();
    let head = add_head(body.len());
    let mut conn = stalled(served.addr, head.as_bytes()).await;
    conn.write_all(&body.as_bytes()[..5])
        .await
        .expect("part of the body");
    let (answer, after) = read_until_closed(&mut conn, Duration::from_secs(10))
        .await
        .expect("the server gives up on a body that stops arriving");
    assert!(
        after >= Duration::from_millis(900),
        "gave up after {after:?}"
    );
    let status = status_of(&answer).expect("an answer before closing");
    assert!(
        (400..500).contains(&status),
        "a cut body is the client's error: {status}"
    );
    let carts: i64 = app
        .state
        .store()
        .count_carts()
        .await
        .expect("count the carts");
    assert_eq!(carts, 0, "the cut add wrote nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_trickled_byte_by_byte_is_cut_at_the_body_deadline() {
    let app = TestApp::new().await;
    let served = serve(&app, limits(|l| l.body_timeout = Duration::from_secs(1))).await;
    // Padding makes the body long enough to outlast the deadline at one byte per 100 ms.
    let body = format!("{{\"id\":{HAT},\"quantity\":1{}}}", " ".repeat(60));
    let head = add_head(body.len());
    let mut conn = stalled(served.addr, head.as_bytes()).await;
    let trickle = async {
        for byte in body.as_bytes() {
            if conn.write_all(std::slice::from_ref(byte)).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    let cut = tokio::time::timeout(Duration::from_secs(4), trickle).await;
    assert!(cut.is_ok(), "the trickle went on past the deadline");
    let (answer, _) = read_until_closed(&mut conn, Duration::from_secs(5))
        .await
        .expect("closed");
    let status = status_of(&answer).expect("an answer");
    assert!((400..500).contains(&status), "{status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_stalled_connections_beyond_the_limit_cannot_shut_out_visitors() {
    let app = TestApp::new().await;
    let served = serve(&app, limits(|l| l.max_connections = 32)).await;
    let mut flood = Vec::new();
    for _ in 0..300 {
        flood.push(stalled(served.addr, PARTIAL_HEAD).await);
    }
    for _ in 0..5 {
        assert_eq!(
            healthz(served.addr, Duration::from_secs(5)).await,
            Some(200),
            "/healthz answers with 300 stalled connections held against a limit of 32"
        );
    }
    // A real visitor's mutation goes through too.
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .expect("client");
    let added = client
        .post(format!("{}/cart/add.js", served.base))
        .header("content-type", "application/json")
        .body(add_body())
        .send()
        .await
        .expect("the add is answered");
    assert_eq!(added.status(), 200);
    // The oldest stalled connections made room: they were closed, not left hanging.
    let (_, _) = read_until_closed(&mut flood[0], Duration::from_secs(2))
        .await
        .expect("the oldest stalled connection was closed to make room");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_in_flight_is_never_closed_to_make_room() {
    let app = TestApp::new().await;
    let served = serve(&app, limits(|l| l.max_connections = 16)).await;
    let body = add_body();
    let head = add_head(body.len());
    // The oldest connection, with a request whose body is half sent.
    let mut in_flight = stalled(served.addr, head.as_bytes()).await;
    in_flight
        .write_all(&body.as_bytes()[..5])
        .await
        .expect("half the body");
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut flood = Vec::new();
    for _ in 0..100 {
        flood.push(stalled(served.addr, PARTIAL_HEAD).await);
    }
    assert_eq!(
        healthz(served.addr, Duration::from_secs(5)).await,
        Some(200)
    );
    in_flight
        .write_all(&body.as_bytes()[5..])
        .await
        .expect("the rest of the body: the connection is still open");
    let mut buf = [0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(5), in_flight.read(&mut buf))
        .await
        .expect("answered")
        .expect("read");
    assert_eq!(status_of(&buf[..n]), Some(200));
}
