//! The API dialects. Each is a thin module over the one cart model, with its own router,
//! request parsing, response shapes and error type.

pub mod bigcommerce;
pub mod elasticpath;
pub mod shopify;

use axum::http::{HeaderValue, header};

/// Request bodies above this size answer 413, in each dialect's shape.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
use axum::response::{IntoResponse, Response};

/// Whether a response is an error axum produced before or instead of a handler (a path or body
/// extractor's rejection, 405 Method Not Allowed): a 4xx or 5xx whose body is plain text or
/// empty. The dialects' own errors are JSON, and htmx and page errors are HTML.
fn is_plain_error(response: &Response) -> bool {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return false;
    }
    match response.headers().get(header::CONTENT_TYPE) {
        None => true,
        Some(value) => value
            .to_str()
            .is_ok_and(|t| t.trim_start().starts_with("text/plain")),
    }
}

/// Answers a plain error again with `body(status)` as JSON, keeping the status and the other
/// headers (such as a 405's `Allow`). Any other response passes through untouched.
fn reshape_plain_error(
    response: Response,
    body: impl FnOnce(axum::http::StatusCode) -> serde_json::Value,
) -> Response {
    if !is_plain_error(&response) {
        return response;
    }
    let (mut parts, _) = response.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    let bytes = body(parts.status).to_string();
    (parts, bytes).into_response()
}

/// How a dialect answers the errors its handlers never see: axum's own plain-text refusals, and
/// a handler that panicked.
pub(crate) trait ErrorShape: 'static {
    /// The dialect's error body for a bare status (a 405, an undecodable path).
    fn plain_error_body(status: axum::http::StatusCode) -> serde_json::Value;
    /// The dialect's generic 500, logging `detail` (never sent to the client).
    fn internal(detail: String) -> Response;
}

/// Wraps a dialect's routes so that axum's refusals and panics are answered in its shape.
pub(crate) fn with_error_shape<E: ErrorShape, S: Clone + Send + Sync + 'static>(
    routes: axum::Router<S>,
) -> axum::Router<S> {
    routes
        .layer(axum::middleware::map_response(reshape_plain_errors::<E>))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            panic_response::<E>,
        ))
}

async fn reshape_plain_errors<E: ErrorShape>(response: Response) -> Response {
    reshape_plain_error(response, E::plain_error_body)
}

/// A handler that panicked: logged with the panic's text, answered as a generic 500 in the
/// dialect's shape (the connection is not dropped, and nothing of the panic reaches the client).
fn panic_response<E: ErrorShape>(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    E::internal(format!("a handler panicked: {}", panic_message(&*panic)))
}

/// The text of a panic, for the log (panics carry a `&str` or a `String`).
fn panic_message(panic: &(dyn std::any::Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("a panic without a message")
}

/// A small router with one handler that panics, for each dialect's layer tests.
#[cfg(test)]
pub(crate) async fn answer_of_a_panic(
    wrap: impl FnOnce(axum::Router) -> axum::Router,
) -> (axum::http::StatusCode, serde_json::Value) {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let routes = axum::Router::new().route(
        "/boom",
        axum::routing::post(|| async {
            if true {
                panic!("a bug in a handler");
            }
        }),
    );
    let request = axum::http::Request::post("/boom")
        .body(axum::body::Body::empty())
        .expect("request");
    let response = match wrap(routes).oneshot(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    };
    let status = response.status();
    let bytes = response
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    (status, serde_json::from_slice(&bytes).unwrap_or_default())
}
