//! The API dialects. Each is a thin module over the one cart model, with its own router,
//! request parsing, response shapes and error type.

pub mod bigcommerce;
pub mod body;
pub mod elasticpath;
pub mod shopify;

use axum::http::{HeaderValue, header};
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
pub(crate) fn reshape_plain_error(
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
