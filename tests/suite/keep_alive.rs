//! The real binary on a real port: replies written in more than one piece (a static file's
//! headers, then its body) must not stall on a keep-alive connection. Without TCP_NODELAY,
//! Nagle's algorithm held the body until the client's delayed ACK, about 40 ms on every other
//! request for the same file.

use std::time::{Duration, Instant};

use crate::crash_safety::Server;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn static_files_on_one_keep_alive_connection_do_not_stall() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Server::start(&dir.path().join("store.db"));
    server.wait_ready().await;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(1)
        .build()
        .expect("client");
    let url = format!("{}/static/base.css", server.base);
    let mut stalled = 0;
    for _ in 0..30 {
        let started = Instant::now();
        let response = client.get(&url).send().await.expect("answers");
        assert!(response.status().is_success());
        response.bytes().await.expect("body");
        // A stall is the delayed ACK's 40 ms. Without TCP_NODELAY 7-15 of 30 requests stalled
        // (five runs); with it none did. A loaded machine rarely adds that much to a
        // sub-millisecond reply, so a few are allowed.
        if started.elapsed() >= Duration::from_millis(35) {
            stalled += 1;
        }
    }
    assert!(
        stalled < 4,
        "{stalled} of 30 requests stalled for 35 ms or more"
    );
}
