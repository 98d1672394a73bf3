//! Errors of the Ajax API, rendered in Shopify's shape: `{status, message, description}`.
//! Internal failures are logged and answered with a generic 500; their text never reaches a client.
//!
//! A cart refusal's `description` is customer-facing, so Shopify words it in the storefront's
//! locale (`status` and `message` stay as they are). Here it comes from the theme's locale files,
//! under `cart.errors.*`, with the English text below when the theme has no such key. So do the
//! other errors a cart form can end in (a bad parameter or body, a stale `If-Match`, a failed
//! write), which a visitor reads in a flash message or beside the cart.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::body::{self, BodyError};
use crate::cart::{CartError, TextField};
use crate::store::{MutateError, StoreError};
use crate::storefront::cart::{CommandError, Refusal};
use crate::storefront::visitor::Locale;
use crate::theme::Theme;

#[derive(Debug, thiserror::Error)]
pub enum ShopifyError {
    #[error(transparent)]
    Cart(#[from] CartError),
    /// A cart parameter missing or of the wrong type, by name: 400 `bad_request`.
    #[error("required parameter missing or invalid: {0}")]
    InvalidParameter(String),
    /// The body could not be read (the connection failed before its end): 400 `bad_request`.
    #[error("the request body could not be read")]
    UnreadableBody,
    /// The body could not be parsed: 400 `bad_request`.
    #[error(transparent)]
    Body(#[from] BodyError),
    /// Another malformed request, to the API's own parameters (`sections`, a product query),
    /// described for the developer in English: 400 `bad_request`.
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
    /// The database is down or overloaded: 503, try again.
    #[error("unavailable: {0}")]
    Unavailable(String),
}

impl From<StoreError> for ShopifyError {
    fn from(e: StoreError) -> Self {
        if e.is_unavailable() {
            ShopifyError::Unavailable(e.to_string())
        } else {
            ShopifyError::Internal(e.to_string())
        }
    }
}

impl ShopifyError {
    /// A session that could not be read or written.
    pub fn session(e: tower_sessions::session::Error) -> Self {
        if crate::sessions::is_unavailable(&e) {
            ShopifyError::Unavailable(e.to_string())
        } else {
            ShopifyError::Internal(e.to_string())
        }
    }
}

impl From<CommandError> for ShopifyError {
    fn from(e: CommandError) -> Self {
        match e {
            CommandError::Stale => ShopifyError::PreconditionFailed,
            CommandError::Cart(e) => ShopifyError::Cart(e),
        }
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
            ShopifyError::InvalidParameter(_)
            | ShopifyError::UnreadableBody
            | ShopifyError::Body(_)
            | ShopifyError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ShopifyError::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            ShopifyError::NotFound(_) => StatusCode::NOT_FOUND,
            ShopifyError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ShopifyError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ShopifyError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The client-facing description: safe text only.
    pub fn description(&self) -> String {
        match self {
            ShopifyError::Cart(e) => e.to_string(),
            ShopifyError::InvalidParameter(name) => {
                format!("Required parameter missing or invalid: {name}")
            }
            ShopifyError::UnreadableBody => "The request body could not be read.".into(),
            ShopifyError::Body(e) => e.to_string(),
            ShopifyError::BadRequest(m) => m.clone(),
            ShopifyError::PreconditionFailed => {
                "The cart has changed since it was read. Fetch /cart.js and try again.".into()
            }
            ShopifyError::NotFound(what) => format!("{what} not found"),
            ShopifyError::PayloadTooLarge => format!(
                "The request body is too large (at most {} bytes).",
                crate::api::MAX_BODY_BYTES
            ),
            ShopifyError::Internal(_) => {
                "Something went wrong on our side. Please try again.".into()
            }
            ShopifyError::Unavailable(_) => {
                "The store is busy or briefly unavailable. Please try again in a moment.".into()
            }
        }
    }

    /// The description in the visitor's locale, as the theme words it in `locale` (else in its
    /// default locale), else the English `description`. Errors only a developer meets (the
    /// API's own parameters, a missing product) keep their English text.
    pub fn localized_description(&self, theme: &Theme, locale: &Locale) -> String {
        let Some((key, args)) = translation(self) else {
            return self.description();
        };
        theme
            .translate(&locale.code, &format!("cart.errors.{key}"), &args)
            .unwrap_or_else(|| self.description())
    }

    /// The refusal as a visitor reads it on a page, in `locale`.
    pub fn refusal(&self, theme: &Theme, locale: &Locale) -> Refusal {
        Refusal {
            status: self.status(),
            message: self.localized_description(theme, locale),
        }
    }

    /// The body, in the exact shapes of the documents, with the English description.
    pub fn body(&self) -> Map<String, Value> {
        self.body_with(self.description())
    }

    /// The body, in the exact shapes of the documents, with `description` as written.
    fn body_with(&self, description: String) -> Map<String, Value> {
        let value = match self {
            ShopifyError::Cart(CartError::LineNotFound) => json!({
                "status": "bad_request",
                "message": "no valid id or line parameter",
                "description": description,
            }),
            ShopifyError::InvalidParameter(_)
            | ShopifyError::UnreadableBody
            | ShopifyError::Body(_)
            | ShopifyError::BadRequest(_)
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
            ShopifyError::Unavailable(_) => json!({
                "status": 503,
                "message": "Service Unavailable",
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

    /// Logs an internal failure's detail, which the client never sees.
    pub fn log(&self) {
        match self {
            ShopifyError::Internal(detail) => {
                tracing::error!(error = %detail, "ajax api request failed");
            }
            ShopifyError::Unavailable(detail) => {
                tracing::warn!(error = %detail, "ajax api request: database unavailable");
            }
            _ => {}
        }
    }
}

impl IntoResponse for ShopifyError {
    fn into_response(self) -> Response {
        self.log();
        (self.status(), axum::Json(Value::Object(self.body()))).into_response()
    }
}

/// An error answered with its `description` as given (in the visitor's locale) and extra
/// top-level fields (`errors`, `sections`).
pub fn error_response(
    err: &ShopifyError,
    description: String,
    extra: Map<String, Value>,
) -> Response {
    err.log();
    let mut body = err.body_with(description);
    body.extend(extra);
    (err.status(), axum::Json(Value::Object(body))).into_response()
}

/// The values of a translation's `{{ name }}` placeholders.
type Args = Vec<(&'static str, String)>;

/// An error's key under the theme's `cart.errors` and its placeholders, or None for the errors
/// that stay in English. The theme author's English (`en.default.json`) should read like
/// `description`, which answers when a theme has no translation.
fn translation(error: &ShopifyError) -> Option<(&'static str, Args)> {
    Some(match error {
        ShopifyError::Cart(refusal) => refusal_translation(refusal),
        ShopifyError::InvalidParameter(name) => ("invalid_parameter", vec![("name", name.clone())]),
        ShopifyError::UnreadableBody => ("body_unreadable", Vec::new()),
        ShopifyError::Body(e) => body_translation(e),
        ShopifyError::PreconditionFailed => ("precondition_failed", Vec::new()),
        ShopifyError::PayloadTooLarge => (
            "body_too_large",
            vec![("max", crate::api::MAX_BODY_BYTES.to_string())],
        ),
        ShopifyError::Internal(_) => ("internal_error", Vec::new()),
        // No theme string yet: the English description.
        ShopifyError::Unavailable(_) => return None,
        ShopifyError::BadRequest(_) | ShopifyError::NotFound(_) => return None,
    })
}

fn body_translation(error: &BodyError) -> (&'static str, Args) {
    let max = |n: usize| vec![("max", n.to_string())];
    match error {
        BodyError::InvalidJson { line, column } => (
            "body_invalid_json",
            vec![("line", line.to_string()), ("column", column.to_string())],
        ),
        BodyError::NotAnObject => ("body_not_an_object", Vec::new()),
        BodyError::MissingBoundary => ("body_missing_boundary", Vec::new()),
        BodyError::MalformedMultipart(_) => ("body_malformed_multipart", Vec::new()),
        BodyError::TooManyPairs => ("body_too_many_parameters", max(body::MAX_PAIRS)),
        BodyError::TooDeep => ("body_nested_too_deeply", max(body::MAX_DEPTH)),
        BodyError::KeyTooLong => ("body_name_too_long", max(body::MAX_KEY_LEN)),
    }
}

/// A refusal's key under the theme's `cart.errors` and its placeholders.
fn refusal_translation(error: &CartError) -> (&'static str, Args) {
    let max = |n: usize| vec![("max", n.to_string())];
    match error {
        CartError::VariantNotFound => ("variant_not_found", Vec::new()),
        CartError::SoldOut(title) => ("sold_out", vec![("title", title.clone())]),
        CartError::NotEnoughStock(title) => ("not_enough_stock", vec![("title", title.clone())]),
        CartError::LineNotFound => ("line_not_found", Vec::new()),
        CartError::SellingPlanNotAvailable(id) => {
            ("selling_plan_not_available", vec![("id", id.to_string())])
        }
        CartError::NegativeQuantity => ("negative_quantity", Vec::new()),
        CartError::QuantityTooLarge(n) => ("quantity_too_large", vec![("max", n.to_string())]),
        CartError::TooManyLines(n) => ("too_many_lines", max(*n)),
        CartError::TooLong(field, n) => (too_long_key(*field), max(*n)),
        CartError::TooManyProperties(n) => ("too_many_properties", max(*n)),
        CartError::TooManyAttributes(n) => ("too_many_attributes", max(*n)),
        CartError::TooManyDiscountCodes(n) => ("too_many_discount_codes", max(*n)),
        CartError::SellingPlanOnCustomItem => ("selling_plan_on_custom_item", Vec::new()),
        CartError::NegativePrice => ("negative_price", Vec::new()),
        CartError::UpdatesLengthMismatch { given, lines } => (
            "updates_length_mismatch",
            vec![("given", given.to_string()), ("lines", lines.to_string())],
        ),
        CartError::VersionConflict { given, current } => (
            "version_conflict",
            vec![
                ("given", given.to_string()),
                ("current", current.to_string()),
            ],
        ),
    }
}

/// One key per field: in French the sentence agrees with the field's gender.
fn too_long_key(field: TextField) -> &'static str {
    match field {
        TextField::Note => "note_too_long",
        TextField::PropertyName => "property_name_too_long",
        TextField::PropertyValue => "property_value_too_long",
        TextField::AttributeName => "attribute_name_too_long",
        TextField::AttributeValue => "attribute_value_too_long",
        TextField::DiscountCode => "discount_code_too_long",
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// One refusal of every kind. The match has no wildcard, so a new reason does not compile
    /// until it is listed here (and so checked below).
    fn every_refusal() -> Vec<CartError> {
        let fields = [
            TextField::Note,
            TextField::PropertyName,
            TextField::PropertyValue,
            TextField::AttributeName,
            TextField::AttributeValue,
            TextField::DiscountCode,
        ];
        let mut all = vec![
            CartError::VariantNotFound,
            CartError::SoldOut("Sold Out Scarf".into()),
            CartError::NotEnoughStock("Red Rain Coat - Red".into()),
            CartError::LineNotFound,
            CartError::SellingPlanNotAvailable(6717605),
            CartError::NegativeQuantity,
            CartError::QuantityTooLarge(1_000_000),
            CartError::TooManyLines(500),
            CartError::TooManyProperties(50),
            CartError::TooManyAttributes(100),
            CartError::TooManyDiscountCodes(10),
            CartError::SellingPlanOnCustomItem,
            CartError::NegativePrice,
            CartError::UpdatesLengthMismatch { given: 1, lines: 2 },
            CartError::VersionConflict {
                given: 1,
                current: 2,
            },
        ];
        all.extend(fields.map(|field| CartError::TooLong(field, 5000)));
        for error in &all {
            match error {
                CartError::VariantNotFound
                | CartError::SoldOut(_)
                | CartError::NotEnoughStock(_)
                | CartError::LineNotFound
                | CartError::SellingPlanNotAvailable(_)
                | CartError::NegativeQuantity
                | CartError::QuantityTooLarge(_)
                | CartError::TooManyLines(_)
                | CartError::TooLong(..)
                | CartError::TooManyProperties(_)
                | CartError::TooManyAttributes(_)
                | CartError::TooManyDiscountCodes(_)
                | CartError::SellingPlanOnCustomItem
                | CartError::NegativePrice
                | CartError::UpdatesLengthMismatch { .. }
                | CartError::VersionConflict { .. } => {}
            }
        }
        all
    }

    /// One of every other error a cart form can end in, and every way a body fails to parse. The
    /// matches have no wildcard, so a new kind does not compile until it is listed here; the
    /// errors that stay in English are listed apart.
    fn every_other_error() -> (Vec<ShopifyError>, Vec<ShopifyError>) {
        let bodies = vec![
            BodyError::InvalidJson {
                line: 3,
                column: 14,
            },
            BodyError::NotAnObject,
            BodyError::MissingBoundary,
            BodyError::MalformedMultipart(multer::Error::IncompleteStream),
            BodyError::TooManyPairs,
            BodyError::TooDeep,
            BodyError::KeyTooLong,
        ];
        for body in &bodies {
            match body {
                BodyError::InvalidJson { .. }
                | BodyError::NotAnObject
                | BodyError::MissingBoundary
                | BodyError::MalformedMultipart(_)
                | BodyError::TooManyPairs
                | BodyError::TooDeep
                | BodyError::KeyTooLong => {}
            }
        }
        let mut worded = vec![
            ShopifyError::InvalidParameter("quantity".into()),
            ShopifyError::UnreadableBody,
            ShopifyError::PreconditionFailed,
            ShopifyError::PayloadTooLarge,
            ShopifyError::Internal("the disk is on fire".into()),
        ];
        worded.extend(bodies.into_iter().map(ShopifyError::Body));
        let english = vec![
            ShopifyError::BadRequest("sections must be a list of section ids".into()),
            ShopifyError::NotFound("Product".into()),
            ShopifyError::Unavailable("the database is down".into()),
        ];
        for error in worded.iter().chain(&english) {
            match error {
                ShopifyError::Cart(_)
                | ShopifyError::InvalidParameter(_)
                | ShopifyError::UnreadableBody
                | ShopifyError::Body(_)
                | ShopifyError::PreconditionFailed
                | ShopifyError::PayloadTooLarge
                | ShopifyError::Internal(_)
                | ShopifyError::BadRequest(_)
                | ShopifyError::NotFound(_)
                | ShopifyError::Unavailable(_) => {}
            }
        }
        (worded, english)
    }

    #[tokio::test]
    async fn the_shipped_theme_words_every_refusal_in_english_and_french() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = crate::Config::for_theme(env!("CARGO_MANIFEST_DIR"));
        config.db = dir.path().join("store.db");
        let state = crate::AppState::open(config).await.expect("the app starts");
        let (en, fr) = (Locale::primary("en"), Locale::prefixed("fr"));
        let (others, in_english) = every_other_error();
        let errors = every_refusal().into_iter().map(ShopifyError::Cart);
        for error in errors.chain(others) {
            let Some((key, _)) = translation(&error) else {
                panic!("{error:?} has no translation");
            };
            let key = format!("cart.errors.{key}");
            assert!(
                state.theme().translate("en", &key, &[]).is_some(),
                "en.default.json has no {key}"
            );
            // The theme's English is the built-in text, placeholders filled the same way.
            let english = error.localized_description(state.theme(), &en);
            assert_eq!(english, error.description(), "{key}");
            let french = error.localized_description(state.theme(), &fr);
            assert_ne!(french, english, "fr.json has no {key}");
            assert!(!french.contains("{{"), "{key}: {french}");
            assert!(!french.contains("on fire"), "{key}: {french}");
        }
        for error in in_english {
            assert!(translation(&error).is_none(), "{error:?}");
            let text = error.localized_description(state.theme(), &fr);
            assert_eq!(text, error.description(), "{error:?}");
        }
    }

    #[test]
    fn only_the_description_of_a_refusal_changes() {
        let error = ShopifyError::Cart(CartError::LineNotFound);
        let body = error.body_with("aucun paramètre id ou line valide".into());
        assert_eq!(
            Value::Object(body),
            json!({
                "status": "bad_request",
                "message": "no valid id or line parameter",
                "description": "aucun paramètre id ou line valide",
            })
        );
    }
}
