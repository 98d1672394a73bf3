//! Errors of the Ajax API, rendered in Shopify's shape: `{status, message, description}`.
//! Internal failures are logged and answered with a generic 500; their text never reaches a client.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::cart::CartError;
use crate::store::{MutateError, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum ShopifyError {
    #[error(transparent)]
    Cart(#[from] CartError),
    /// A missing or malformed parameter: 400 `bad_request`.
    #[error("{0}")]
    BadRequest(String),
    /// `If-Match` named another version of the cart.
    #[error("the cart has changed")]
    PreconditionFailed,
    #[error("not found: {0}")]
    NotFound(String),
    /// The body is over the router's limit (`MAX_BODY_BYTES`).
    #[error("request body too large")]
    PayloadTooLarge,
    #[error("internal: {0}")]
    Internal(String),
}

impl From<StoreError> for ShopifyError {
    fn from(e: StoreError) -> Self {
        ShopifyError::Internal(e.to_string())
    }
}

impl From<MutateError<ShopifyError>> for ShopifyError {
    fn from(e: MutateError<ShopifyError>) -> Self {
        match e {
            MutateError::Command(e) => e,
            MutateError::Store(e) => e.into(),
            MutateError::NotFound => ShopifyError::Cart(CartError::LineNotFound),
        }
    }
}

impl ShopifyError {
    pub fn status(&self) -> StatusCode {
        match self {
            ShopifyError::Cart(e) => match e {
                CartError::VariantNotFound => StatusCode::NOT_FOUND,
                CartError::LineNotFound | CartError::UpdatesLengthMismatch { .. } => {
                    StatusCode::BAD_REQUEST
                }
                CartError::VersionConflict { .. } => StatusCode::CONFLICT,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            },
            ShopifyError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ShopifyError::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            ShopifyError::NotFound(_) => StatusCode::NOT_FOUND,
            ShopifyError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ShopifyError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The client-facing description: safe text only.
    pub fn description(&self) -> String {
        match self {
            ShopifyError::Cart(e) => e.to_string(),
            ShopifyError::BadRequest(m) => m.clone(),
            ShopifyError::PreconditionFailed => {
                "The cart has changed since it was read. Fetch /cart.js and try again.".into()
            }
            ShopifyError::NotFound(what) => format!("{what} not found"),
            ShopifyError::PayloadTooLarge => format!(
                "The request body is too large (at most {} bytes).",
                crate::MAX_BODY_BYTES
            ),
            ShopifyError::Internal(_) => {
                "Something went wrong on our side. Please try again.".into()
            }
        }
    }

    /// The body, in the exact shapes of the documents.
    pub fn body(&self) -> Map<String, Value> {
        let description = self.description();
        let value = match self {
            ShopifyError::Cart(CartError::LineNotFound) => json!({
                "status": "bad_request",
                "message": "no valid id or line parameter",
                "description": "no valid id or line parameter",
            }),
            ShopifyError::BadRequest(_)
            | ShopifyError::Cart(CartError::UpdatesLengthMismatch { .. }) => json!({
                "status": "bad_request",
                "message": "Parameter Missing or Invalid",
                "description": description,
            }),
            ShopifyError::PreconditionFailed => json!({
                "status": 412,
                "message": "Precondition Failed",
                "description": description,
            }),
            ShopifyError::NotFound(_) => json!({
                "status": 404,
                "message": "Not Found",
                "description": description,
            }),
            ShopifyError::PayloadTooLarge => json!({
                "status": 413,
                "message": "Payload Too Large",
                "description": description,
            }),
            ShopifyError::Internal(_) => json!({
                "status": 500,
                "message": "Internal Server Error",
                "description": description,
            }),
            ShopifyError::Cart(_) => json!({
                "status": self.status().as_u16(),
                "message": "Cart Error",
                "description": description,
            }),
        };
        match value {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    fn log(&self) {
        if let ShopifyError::Internal(detail) = self {
            tracing::error!(error = %detail, "ajax api request failed");
        }
    }
}

impl IntoResponse for ShopifyError {
    fn into_response(self) -> Response {
        self.log();
        (self.status(), axum::Json(Value::Object(self.body()))).into_response()
    }
}

/// An error answered together with extra top-level fields (`errors`, `sections`).
pub fn error_response(err: &ShopifyError, extra: Map<String, Value>) -> Response {
    err.log();
    let mut body = err.body();
    body.extend(extra);
    (err.status(), axum::Json(Value::Object(body))).into_response()
}

/// axum's own refusals and panics, answered in the Ajax API's `{status, message, description}` shape.
pub struct Shape;

impl crate::api::ErrorShape for Shape {
    fn plain_error_body(status: axum::http::StatusCode) -> serde_json::Value {
        let reason = status.canonical_reason().unwrap_or("Error");
        json!({ "status": status.as_u16(), "message": reason, "description": reason })
    }

    fn internal(detail: String) -> Response {
        ShopifyError::Internal(detail).into_response()
    }
}
