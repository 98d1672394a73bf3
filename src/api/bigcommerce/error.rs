//! BigCommerce's error bodies: `{status, title, type}`, plus `errors: {field: message}` for
//! validation failures. Both the Storefront and the Management API answer in this shape.
//! Internal failures are logged and answered with a generic 500; their text never reaches a client.
//! <https://developer.bigcommerce.com/docs/start/about/status-codes>

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::cart::CartError;
use crate::store::{MutateError, StoreError};

/// The `type` link every BigCommerce error carries.
pub const ERROR_TYPE: &str =
    "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes";

/// The exact title of BigCommerce's optimistic-concurrency conflict.
pub const CONFLICT_TITLE: &str = "The request cannot be processed due to a possible conflict. Please review the changes and try again.";

#[derive(Debug, thiserror::Error)]
pub enum BcError {
    /// Missing or wrong `X-Auth-Token` (or no token configured at all).
    #[error("unauthorized")]
    Unauthorized,
    /// A store hash that is not this store's.
    #[error("store not found")]
    StoreNotFound,
    #[error("Cart not found.")]
    CartNotFound,
    #[error("Line item not found.")]
    ItemNotFound,
    /// The request's `version` is not the cart's.
    #[error("version conflict")]
    Conflict,
    /// The body is not JSON, or a field has the wrong type or is missing.
    #[error("JSON data is missing or invalid")]
    InvalidJson(Map<String, Value>),
    /// More than the stock allows.
    #[error("You can only purchase a maximum of {max} of the {name} per order.")]
    Stock { max: i64, name: String },
    /// A well-formed request the store cannot honour (unknown product, unsupported feature...).
    #[error("{0}")]
    Unprocessable(String),
    /// The body is over the router's limit (`MAX_BODY_BYTES`).
    #[error(
        "The request payload is too large (at most {} bytes).",
        crate::api::MAX_BODY_BYTES
    )]
    PayloadTooLarge,
    #[error("internal: {0}")]
    Internal(String),
    /// The database is down or overloaded: 503, try again.
    #[error("unavailable: {0}")]
    Unavailable(String),
}

impl BcError {
    /// A validation error on one field.
    pub fn field(path: impl Into<String>, message: impl Into<String>) -> BcError {
        let mut errors = Map::new();
        errors.insert(path.into(), Value::String(message.into()));
        BcError::InvalidJson(errors)
    }

    pub fn status(&self) -> StatusCode {
        match self {
            BcError::Unauthorized => StatusCode::UNAUTHORIZED,
            BcError::StoreNotFound | BcError::CartNotFound | BcError::ItemNotFound => {
                StatusCode::NOT_FOUND
            }
            BcError::Conflict => StatusCode::CONFLICT,
            BcError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            BcError::InvalidJson(_) | BcError::Stock { .. } | BcError::Unprocessable(_) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            BcError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            BcError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn title(&self) -> String {
        match self {
            BcError::Unauthorized => "No valid credentials were found in this request.".into(),
            BcError::StoreNotFound => "Store not found.".into(),
            BcError::Conflict => CONFLICT_TITLE.into(),
            BcError::Internal(_) => "Internal Server Error".into(),
            BcError::Unavailable(_) => "Service Unavailable".into(),
            other => other.to_string(),
        }
    }

    pub fn body(&self) -> Value {
        let mut body = json!({
            "status": self.status().as_u16(),
            "title": self.title(),
            "type": ERROR_TYPE,
        });
        if let (BcError::InvalidJson(errors), Value::Object(map)) = (self, &mut body) {
            map.insert("errors".into(), Value::Object(errors.clone()));
        }
        body
    }
}

impl From<CartError> for BcError {
    fn from(e: CartError) -> Self {
        match e {
            CartError::VersionConflict { .. } => BcError::Conflict,
            CartError::LineNotFound => BcError::ItemNotFound,
            CartError::VariantNotFound => BcError::Unprocessable("Product not found.".into()),
            // The dialect checks stock itself (to name the maximum); this is the fallback.
            other => BcError::Unprocessable(other.to_string()),
        }
    }
}

impl From<StoreError> for BcError {
    fn from(e: StoreError) -> Self {
        if e.is_unavailable() {
            BcError::Unavailable(e.to_string())
        } else {
            BcError::Internal(e.to_string())
        }
    }
}

impl BcError {
    /// A session that could not be read or written.
    pub fn session(e: tower_sessions::session::Error) -> Self {
        if crate::sessions::is_unavailable(&e) {
            BcError::Unavailable(e.to_string())
        } else {
            BcError::Internal(e.to_string())
        }
    }
}

impl From<MutateError<BcError>> for BcError {
    fn from(e: MutateError<BcError>) -> Self {
        match e {
            MutateError::Command(e) => e,
            MutateError::Store(e) => e.into(),
            MutateError::NotFound => BcError::CartNotFound,
        }
    }
}

impl IntoResponse for BcError {
    fn into_response(self) -> Response {
        match &self {
            BcError::Internal(detail) => {
                tracing::error!(error = %detail, "bigcommerce api request failed");
            }
            BcError::Unavailable(detail) => {
                tracing::warn!(error = %detail, "bigcommerce api request: database unavailable");
            }
            _ => {}
        }
        (self.status(), axum::Json(self.body())).into_response()
    }
}

/// axum's own refusals and panics, answered in BigCommerce's `{status, title, type}` shape.
pub struct Shape;

impl crate::api::ErrorShape for Shape {
    fn plain_error_body(status: axum::http::StatusCode) -> serde_json::Value {
        json!({
            "status": status.as_u16(),
            "title": status.canonical_reason().unwrap_or("Error"),
            "type": ERROR_TYPE,
        })
    }

    fn internal(detail: String) -> Response {
        BcError::Internal(detail).into_response()
    }
}
