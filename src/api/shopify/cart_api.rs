//! The cart endpoints of the Ajax API: read, add, update, change, clear.
//! <https://shopify.dev/docs/api/ajax/reference/cart>
//!
//! Every mutation is parse → one store transaction → shape. Sections asked for with the request
//! render after the commit, against the cart as it now is (also when the answer is a 422).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::{Map, Value};
use tower_sessions::Session;

use super::body;
use super::error::{ShopifyError, error_response};
use super::params;
use crate::cart::pricing::{PricedCart, price};
use crate::cart::{Cart, CartError};
use crate::state::AppState;
use crate::store::MutateError;
use crate::storefront::cart::{CartCommand, FormOutcome, etag, line_json, theme_cart};
use crate::storefront::json::{
    Sections, append_sections, cart_bytes, items_bytes, json_bytes, sections_value,
};
use crate::storefront::sections::SectionsParams;
use crate::storefront::visitor::{self, Locale};
use crate::storefront::{self};
use crate::theme::{KeyedJson, Theme};

/// The command a mutation request carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// POST /cart/add(.js)
    /// <https://shopify.dev/docs/api/ajax/reference/cart#post-locale-cart-add-js>
    Add,
    /// POST /cart/update(.js), and POST /cart (the no-JS cart form)
    /// <https://shopify.dev/docs/api/ajax/reference/cart#post-locale-cart-update-js>
    Update,
    /// POST /cart/change(.js)
    /// <https://shopify.dev/docs/api/ajax/reference/cart#post-locale-cart-change-js>
    Change,
    /// POST /cart/clear(.js)
    /// <https://shopify.dev/docs/api/ajax/reference/cart#post-locale-cart-clear-js>
    Clear,
}

/// A finished mutation, ready to be shaped for JSON, htmx or a redirect.
pub struct MutationResult {
    pub kind: Kind,
    /// The cart after the request (unchanged if it failed), shared with the writer's memory.
    pub cart: Arc<Cart>,
    /// The JSON object of a success (cart, `{items}` or a bare line), serialized.
    pub body: bytes::Bytes,
    /// Set when the request failed (possibly after the documented clamp).
    pub error: Option<ShopifyError>,
    pub sections: SectionsParams,
    /// Where a plain form post goes next: a same-origin path from `return_to`, if any.
    pub return_to: Option<String>,
    /// The key of the line the request added to or changed, when known: where a theme shows
    /// `error` (e.g. the stock clamp).
    pub line_key: Option<String>,
    /// The theme's `cart` object, built from the same pricing as `body` when sections were
    /// asked for.
    pub theme_cart: Option<minijinja::Value>,
}

/// GET /cart.js, /cart.json
/// <https://shopify.dev/docs/api/ajax/reference/cart#get-locale-cart-js>
pub async fn get_cart(
    State(state): State<AppState>,
    session: Session,
) -> Result<Response, ShopifyError> {
    // The token is minted on first read so it stays the same for the visitor from then on.
    visitor::ensure_cart_id(&session)
        .await
        .map_err(ShopifyError::session)?;
    let cart = visitor_cart(&state, &session).await?;
    let priced = price(&cart, state.catalog());
    let lines = line_json(&state, &priced);
    let mut response = json_bytes(StatusCode::OK, cart_bytes(&priced, &lines));
    if let Ok(tag) = HeaderValue::from_str(&etag(&cart.id, cart.version)) {
        response.headers_mut().insert(header::ETAG, tag);
    }
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// The visitor's cart as stored, or an empty one with their token.
pub async fn visitor_cart(state: &AppState, session: &Session) -> Result<Cart, ShopifyError> {
    Ok(storefront::cart::visitor_cart(state, session).await?)
}

async fn read_body(
    headers: &HeaderMap,
    bytes: Result<Bytes, BytesRejection>,
) -> Result<Map<String, Value>, ShopifyError> {
    // The extractor's own rejection is a plain-text body; answer in the platform's shape.
    let bytes = bytes.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ShopifyError::PayloadTooLarge
        } else {
            ShopifyError::UnreadableBody
        }
    })?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    Ok(body::parse_body(content_type, bytes, &["sections"]).await?)
}

/// A mutation posted to one of the cart endpoints (`/cart/add.js`, `/cart/add`, ...): the body
/// read and parsed, then one transaction. How it is answered (JSON, htmx, a redirect) is up to
/// the caller.
pub async fn mutate_body(
    state: &AppState,
    session: &Session,
    headers: &HeaderMap,
    bytes: Result<Bytes, BytesRejection>,
    kind: Kind,
) -> Result<MutationResult, ShopifyError> {
    let body = read_body(headers, bytes).await?;
    mutate(state, session, headers, body, kind).await
}

/// GET /cart/change?line=N&quantity=Q (or ?id=KEY): the links of a cart page without JavaScript.
pub async fn mutate_query(
    state: &AppState,
    session: &Session,
    headers: &HeaderMap,
    query: Vec<(String, String)>,
) -> Result<MutationResult, ShopifyError> {
    let body = body::pairs_to_object(query, &["sections"])?;
    mutate(state, session, headers, body, Kind::Change).await
}

/// The command of a request, and whether an add answers with the bare line (a single `id`).
fn parse(kind: Kind, body: &Map<String, Value>) -> Result<(CartCommand, bool), ShopifyError> {
    Ok(match kind {
        Kind::Add => {
            let add = params::add(body)?;
            (CartCommand::Add(add.items), add.single)
        }
        Kind::Update => (CartCommand::Update(params::update(body)?), false),
        Kind::Change => {
            let (target, request) = params::change(body)?;
            (CartCommand::Change(target, request), false)
        }
        Kind::Clear => (CartCommand::Clear, false),
    })
}

/// Parses and applies one mutation. The whole request is checked before the cart is touched:
/// a request answered 4xx changes nothing. Returns `Err` when nothing could be attempted (bad
/// parameters or a failed store); refusals of the command come back in `MutationResult::error`.
pub async fn mutate(
    state: &AppState,
    session: &Session,
    headers: &HeaderMap,
    body: Map<String, Value>,
    kind: Kind,
) -> Result<MutationResult, ShopifyError> {
    let sections = storefront::sections::sections(&body);
    if let Some(reason) = &sections.invalid {
        return Err(ShopifyError::BadRequest(reason.clone()));
    }
    let return_to = params::return_to(&body);
    let (command, single) = parse(kind, &body)?;
    let cart_id = visitor::ensure_cart_id(session)
        .await
        .map_err(ShopifyError::session)?;
    let if_match = headers
        .get(header::IF_MATCH)
        .map(|v| v.to_str().unwrap_or("\u{0}").to_string());
    match storefront::cart::apply(state, cart_id, if_match, command).await {
        Ok(applied) => {
            let priced = price(&applied.cart, state.catalog());
            let lines = line_json(state, &priced);
            let body = success_body(&priced, &lines, kind, single, &applied.touched);
            let theme_cart = (!sections.ids.is_empty()).then(|| theme_cart(&priced, &lines));
            let line_key = applied.line_key();
            Ok(MutationResult {
                kind,
                error: applied.warning.map(ShopifyError::Cart),
                cart: applied.cart,
                body,
                sections,
                return_to,
                line_key,
                theme_cart,
            })
        }
        Err(MutateError::Command(error)) => {
            // Refused: nothing changed. The sections still show the real cart.
            let cart = Arc::new(visitor_cart(state, session).await?);
            Ok(MutationResult {
                kind,
                cart,
                body: bytes::Bytes::new(),
                error: Some(error.into()),
                sections,
                return_to,
                line_key: None,
                theme_cart: None,
            })
        }
        Err(MutateError::Store(e)) => Err(e.into()),
        Err(MutateError::NotFound) => Err(ShopifyError::Cart(CartError::LineNotFound)),
    }
}

impl MutationResult {
    /// The result as the HTML answers see it, with the refusal worded in `locale`.
    pub fn form_outcome(self, theme: &Theme, locale: &Locale) -> FormOutcome {
        let refusal = self.error.as_ref().map(|e| e.refusal(theme, locale));
        FormOutcome {
            added: self.kind == Kind::Add && self.line_key.is_some(),
            cart: self.cart,
            refusal,
            line_key: self.line_key,
            return_to: self.return_to,
        }
    }
}

fn success_body(
    priced: &PricedCart<'_>,
    lines: &[KeyedJson],
    kind: Kind,
    single: bool,
    touched: &[uuid::Uuid],
) -> bytes::Bytes {
    if kind != Kind::Add {
        return cart_bytes(priced, lines);
    }
    let touched: Vec<&[u8]> = touched
        .iter()
        .filter_map(|id| priced.lines.iter().position(|l| l.line.id == *id))
        .filter_map(|i| lines.get(i).map(AsRef::as_ref))
        .collect();
    match (single, touched.first()) {
        (true, Some(line)) => bytes::Bytes::copy_from_slice(line),
        _ => items_bytes(&touched),
    }
}

/// The JSON answer of a mutation: the body, or the error (with `errors` for change and update),
/// plus `sections` when asked for. An error's description is worded by `theme` in the request's `locale`.
pub fn json_response(
    result: MutationResult,
    sections: Option<Sections>,
    theme: &Theme,
    locale: &Locale,
) -> Response {
    match &result.error {
        Some(error) => {
            let description = error.localized_description(theme, locale);
            let mut extra = Map::new();
            if let Some(sections) = sections {
                extra.insert("sections".into(), sections_value(sections));
            }
            if matches!(result.kind, Kind::Change | Kind::Update)
                && error.status() == StatusCode::UNPROCESSABLE_ENTITY
            {
                extra.insert("errors".into(), Value::String(description.clone()));
            }
            error_response(error, description, extra)
        }
        None => {
            let body = match &sections {
                Some(sections) => append_sections(&result.body, sections),
                None => result.body,
            };
            let mut response = json_bytes(StatusCode::OK, body);
            if let Ok(tag) = HeaderValue::from_str(&etag(&result.cart.id, result.cart.version)) {
                response.headers_mut().insert(header::ETAG, tag);
            }
            response
        }
    }
}
