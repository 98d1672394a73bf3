//! Elastic Path's JSON:API-style errors: `{errors: [{status, title, detail?, source?, meta?}]}`.
//! Internal failures are logged and answered with a generic 500; their text never reaches a client.
//! <https://elasticpath.dev/guides/Getting-Started/errors>

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::cart::CartError;
use crate::store::{MutateError, StoreError};

/// At most this many unique items (lines) in one cart.
pub const MAX_CART_ITEMS: usize = 100;

#[derive(Debug, Clone, thiserror::Error)]
pub enum EpError {
    /// Missing, unknown or expired bearer token.
    #[error("Unable to validate access token")]
    Unauthorized,
    /// `/oauth/access_token` with an unknown `client_id`.
    #[error("Invalid client_id")]
    InvalidClient,
    /// `/oauth/access_token` with a grant type other than `implicit`.
    #[error("Unsupported grant type")]
    UnsupportedGrant,
    /// The body is not JSON (or not a form, for the token endpoint).
    #[error("{0}")]
    BadRequest(String),
    /// A field failed validation; `source` names it (`data.quantity`).
    #[error("{detail}")]
    Validation { pointer: String, detail: String },
    #[error("Cart not found")]
    CartNotFound,
    #[error("Cart item not found")]
    ItemNotFound,
    #[error("Product not found")]
    ProductNotFound,
    #[error("There is not enough stock to add {0} to your cart")]
    InsufficientStock(String),
    /// The request's `version` (or `If-Match`) is not the cart's.
    #[error("The cart is at version {current}, not {given}")]
    Conflict { given: i64, current: i64 },
    #[error("A cart can hold at most {MAX_CART_ITEMS} unique items")]
    TooManyItems,
    /// A well-formed request for something this store does not do.
    #[error("{0}")]
    Unsupported(String),
    /// A bulk request's failures, each with the index of its item.
    #[error("some items failed")]
    Items(Vec<(usize, EpError)>),
    #[error("Not Found")]
    NotFound,
    /// The body is over the router's limit (`MAX_BODY_BYTES`).
    #[error(
        "The request body is too large (at most {} bytes).",
        crate::api::MAX_BODY_BYTES
    )]
    PayloadTooLarge,
    #[error("internal: {0}")]
    Internal(String),
    /// The database is down or overloaded: 503, try again.
    #[error("unavailable: {0}")]
    Unavailable(String),
}

impl EpError {
    pub fn validation(source: impl Into<String>, detail: impl Into<String>) -> EpError {
        EpError::Validation {
            pointer: source.into(),
            detail: detail.into(),
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            EpError::Unauthorized | EpError::InvalidClient => StatusCode::UNAUTHORIZED,
            EpError::UnsupportedGrant | EpError::Unsupported(_) => StatusCode::UNPROCESSABLE_ENTITY,
            EpError::BadRequest(_)
            | EpError::Validation { .. }
            | EpError::InsufficientStock(_)
            | EpError::TooManyItems => StatusCode::BAD_REQUEST,
            EpError::CartNotFound
            | EpError::ItemNotFound
            | EpError::ProductNotFound
            | EpError::NotFound => StatusCode::NOT_FOUND,
            EpError::Conflict { .. } => StatusCode::CONFLICT,
            EpError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            // All failures share a status when they agree; otherwise it is a bad request.
            EpError::Items(errors) => {
                let mut statuses = errors.iter().map(|(_, e)| e.status());
                match statuses.next() {
                    Some(first) if statuses.all(|s| s == first) => first,
                    _ => StatusCode::BAD_REQUEST,
                }
            }
            EpError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            EpError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn title(&self) -> &'static str {
        match self {
            EpError::Unauthorized => "Unable to validate access token",
            EpError::InvalidClient => "Unable to validate client",
            EpError::UnsupportedGrant => "Unsupported grant type",
            EpError::BadRequest(_) => "Bad Request",
            EpError::Validation { .. } => "Failed Validation",
            EpError::CartNotFound => "Cart not found",
            EpError::ItemNotFound => "Cart item not found",
            EpError::ProductNotFound => "Product not found",
            EpError::InsufficientStock(_) => "Insufficient stock",
            EpError::Conflict { .. } => "Write conflict detected",
            EpError::TooManyItems => "Cart items limit exceeded",
            EpError::Unsupported(_) => "Unprocessable Entity",
            EpError::Items(_) => "Bad Request",
            EpError::NotFound => "Not Found",
            EpError::PayloadTooLarge => "Payload Too Large",
            EpError::Internal(_) => "Internal Server Error",
            EpError::Unavailable(_) => "Service Unavailable",
        }
    }

    fn detail(&self) -> Option<String> {
        match self {
            // The documented 401 body has no detail.
            EpError::Unauthorized | EpError::NotFound | EpError::Items(_) => None,
            EpError::InvalidClient => Some("The client_id is not known to this store.".into()),
            EpError::UnsupportedGrant => {
                Some("grant_type must be \"implicit\" for a shopper token.".into())
            }
            EpError::CartNotFound => Some("The cart could not be found.".into()),
            EpError::ItemNotFound => Some("The cart item could not be found.".into()),
            EpError::ProductNotFound => Some("The requested product could not be found.".into()),
            EpError::Internal(_) => {
                Some("Something went wrong on our side. Please try again.".into())
            }
            EpError::Unavailable(_) => {
                Some("The store is busy or briefly unavailable. Please try again.".into())
            }
            other => Some(other.to_string()),
        }
    }

    /// One entry of `errors`.
    pub fn entry(&self) -> Value {
        let mut entry = Map::new();
        entry.insert("status".into(), json!(self.status().as_u16()));
        if let EpError::Validation { pointer, .. } = self {
            entry.insert("source".into(), json!(pointer));
        }
        entry.insert("title".into(), json!(self.title()));
        if let Some(detail) = self.detail() {
            entry.insert("detail".into(), json!(detail));
        }
        Value::Object(entry)
    }

    /// The `errors` array: one entry, or one per failed item of a bulk request (with
    /// `meta.index`, the item's position in the request).
    pub fn entries(&self) -> Vec<Value> {
        match self {
            EpError::Items(errors) => errors
                .iter()
                .map(|(index, e)| {
                    let mut entry = e.entry();
                    if let Value::Object(map) = &mut entry {
                        map.insert("meta".into(), json!({ "index": index }));
                    }
                    entry
                })
                .collect(),
            other => vec![other.entry()],
        }
    }
}

impl From<CartError> for EpError {
    fn from(e: CartError) -> Self {
        match e {
            CartError::VersionConflict { given, current } => EpError::Conflict { given, current },
            CartError::LineNotFound => EpError::ItemNotFound,
            CartError::VariantNotFound => EpError::ProductNotFound,
            CartError::SoldOut(name) | CartError::NotEnoughStock(name) => {
                EpError::InsufficientStock(name)
            }
            CartError::NegativeQuantity | CartError::QuantityTooLarge(_) => {
                EpError::validation("data.quantity", e.to_string())
            }
            CartError::TooManyLines(_) => EpError::TooManyItems,
            other => EpError::validation("data", other.to_string()),
        }
    }
}

impl From<StoreError> for EpError {
    fn from(e: StoreError) -> Self {
        if e.is_unavailable() {
            EpError::Unavailable(e.to_string())
        } else {
            EpError::Internal(e.to_string())
        }
    }
}

impl From<MutateError<EpError>> for EpError {
    fn from(e: MutateError<EpError>) -> Self {
        match e {
            MutateError::Command(e) => e,
            MutateError::Store(e) => e.into(),
            MutateError::NotFound => EpError::CartNotFound,
        }
    }
}

impl IntoResponse for EpError {
    fn into_response(self) -> Response {
        match &self {
            EpError::Internal(detail) => {
                tracing::error!(error = %detail, "elastic path api request failed");
            }
            EpError::Unavailable(detail) => {
                tracing::warn!(error = %detail, "elastic path api request: database unavailable");
            }
            _ => {}
        }
        (
            self.status(),
            axum::Json(json!({ "errors": self.entries() })),
        )
            .into_response()
    }
}

/// axum's own refusals and panics, answered in Elastic Path's `errors` shape.
pub struct Shape;

impl crate::api::ErrorShape for Shape {
    fn plain_error_body(status: axum::http::StatusCode) -> serde_json::Value {
        json!({ "errors": [{
            "status": status.as_u16(),
            "title": status.canonical_reason().unwrap_or("Error"),
        }]})
    }

    fn internal(detail: String) -> Response {
        EpError::Internal(detail).into_response()
    }
}
