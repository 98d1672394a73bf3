//! The load generator, built like wrk: one thread per core, each driving its share of the
//! connections on a single-threaded runtime, one task per keep-alive connection. No pool and no
//! channels between a request and its connection, so the client spends little of the CPU it
//! shares with the server on the same machine.

use std::net::SocketAddr;
use std::pin::pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// What each request of a scenario sends.
#[derive(Clone)]
pub struct Plan {
    pub method: Method,
    pub path: String,
    pub body: Option<String>,
    /// One cookie per connection (cycled), or none.
    pub cookies: Vec<String>,
}

impl Plan {
    fn request(
        &self,
        host: &str,
        cookie: Option<&str>,
    ) -> Result<Request<Full<Bytes>>, hyper::http::Error> {
        let mut builder = Request::builder()
            .method(self.method.clone())
            .uri(self.path.as_str())
            .header("host", host);
        if let Some(cookie) = cookie {
            builder = builder.header("cookie", cookie);
        }
        let body = match &self.body {
            Some(json) => {
                builder = builder.header("content-type", "application/json");
                Full::new(Bytes::from(json.clone()))
            }
            None => Full::new(Bytes::new()),
        };
        builder.body(body)
    }
}

/// Latencies (µs) of every finished request, and how many failed.
#[derive(Default)]
pub struct Load {
    pub latencies_us: Vec<u32>,
    pub errors: usize,
}

impl Load {
    pub fn merge(&mut self, other: Load) {
        self.latencies_us.extend(other.latencies_us);
        self.errors += other.errors;
    }
}

/// Runs `plan` over `connections` keep-alive connections to `addr` until `duration` is over.
/// Blocks the calling thread.
pub fn run(addr: SocketAddr, plan: &Plan, connections: usize, duration: Duration) -> Load {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, connections.max(1));
    let deadline = Instant::now() + duration;
    let plan = Arc::new(plan.clone());
    let workers: Vec<_> = (0..threads)
        .map(|thread| {
            let plan = plan.clone();
            let mine: Vec<usize> = (thread..connections).step_by(threads).collect();
            std::thread::spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(_) => {
                        return Load {
                            latencies_us: Vec::new(),
                            errors: mine.len(),
                        };
                    }
                };
                runtime.block_on(async move {
                    let tasks: Vec<_> = mine
                        .into_iter()
                        .map(|i| tokio::spawn(connection(addr, plan.clone(), i, deadline)))
                        .collect();
                    let mut load = Load::default();
                    for task in tasks {
                        match task.await {
                            Ok(done) => load.merge(done),
                            Err(_) => load.errors += 1,
                        }
                    }
                    load
                })
            })
        })
        .collect();
    let mut load = Load::default();
    for worker in workers {
        match worker.join() {
            Ok(done) => load.merge(done),
            Err(_) => load.errors += 1,
        }
    }
    load
}

/// One connection's requests, back to back; reconnects after a failure.
async fn connection(addr: SocketAddr, plan: Arc<Plan>, index: usize, deadline: Instant) -> Load {
    let host = addr.to_string();
    let cookie =
        (!plan.cookies.is_empty()).then(|| plan.cookies[index % plan.cookies.len()].as_str());
    let mut load = Load {
        latencies_us: Vec::with_capacity(64 * 1024),
        errors: 0,
    };
    'connect: while Instant::now() < deadline {
        let stream = match TcpStream::connect(addr).await {
            Ok(stream) => stream,
            Err(_) => {
                load.errors += 1;
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let Ok((mut sender, conn)) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await
        else {
            load.errors += 1;
            continue;
        };
        // The connection is driven in this same task, beside the exchange.
        let mut conn = pin!(conn);
        while Instant::now() < deadline {
            let Ok(request) = plan.request(&host, cookie) else {
                load.errors += 1;
                return load;
            };
            let started = Instant::now();
            let exchange = async {
                let response = sender.send_request(request).await?;
                let status = response.status();
                // Read the whole body, dropping each chunk as it comes.
                let mut body = response.into_body();
                while let Some(frame) = body.frame().await {
                    frame?;
                }
                Ok::<_, hyper::Error>(status)
            };
            let outcome = tokio::select! {
                outcome = exchange => Some(outcome),
                _ = &mut conn => None,
            };
            load.latencies_us
                .push(u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX));
            match outcome {
                Some(Ok(status)) if status.is_success() => {}
                Some(Ok(_)) => load.errors += 1,
                _ => {
                    load.errors += 1;
                    continue 'connect;
                }
            }
        }
    }
    load
}
