//! The cart endpoints of the Ajax API: read, add, update, change, clear.
//! <https://shopify.dev/docs/api/ajax/reference/cart>
//!
//! Every mutation is parse → one store transaction → shape. Sections asked for with the request
//! render after the commit, against the cart as it now is (also when the answer is a 422).

use std::sync::Arc;

use crate::theme::KeyedJson;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, post};
use serde_json::{Map, Value};
use tower_sessions::Session;

use super::error::{ShopifyError, error_response};
use super::json::{Sections, append_sections, cart_bytes, items_bytes, json_bytes, sections_value};
use super::params::{self, SectionsParams};
use super::respond::{Format, respond_mutation};
use super::sections::{line_json, theme_cart};
use crate::api::body;
use crate::cart::pricing::{PricedCart, price};
use crate::cart::{Cart, CartError, StockPolicy};
use crate::state::AppState;
use crate::store::{AfterCommand, IfMissing};
use crate::theme::Theme;
use crate::visitor::{self, Locale};

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

/// The ETag of a cart version; `If-Match` on a mutation must name it.
pub fn etag(cart_id: &str, version: i64) -> String {
    let short: String = cart_id.chars().filter(|c| *c != '-').take(8).collect();
    format!("\"{version}-{short}\"")
}

fn if_match_ok(header_value: Option<&HeaderValue>, cart: &Cart) -> bool {
    let Some(value) = header_value.and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let current = etag(&cart.id, cart.version);
    value
        .split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || tag.trim_start_matches("W/") == current)
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
    let Some(id) = visitor::cart_id(session).await else {
        return Ok(Cart::new(
            String::new(),
            &state.catalog().shop().currency,
            chrono::Utc::now(),
        ));
    };
    Ok(state
        .store()
        .cart(&id)
        .await?
        .unwrap_or_else(|| Cart::new(id, &state.catalog().shop().currency, chrono::Utc::now())))
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

/// The POST route of one mutation endpoint (`/cart/add`, `/cart/add.js`, ...): parse, one
/// transaction, then JSON, htmx fragments or a redirect.
pub fn endpoint(kind: Kind) -> MethodRouter<AppState> {
    post(
        move |state: State<AppState>,
              session: Session,
              locale: Locale,
              format: Format,
              headers: HeaderMap,
              bytes: Result<Bytes, BytesRejection>| async move {
            run(state, session, locale, format, headers, bytes, kind).await
        },
    )
}

/// GET /cart/change?line=N&quantity=Q (or ?id=KEY): the links of a cart page without JavaScript.
pub async fn change_link(
    State(state): State<AppState>,
    session: Session,
    locale: Locale,
    format: Format,
    headers: HeaderMap,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    let result = match body::pairs_to_object(query, &["sections"]) {
        Ok(body) => mutate(&state, &session, &headers, body, Kind::Change).await,
        Err(e) => Err(e.into()),
    };
    respond_mutation(&state, &session, &locale, format, &headers, result).await
}

async fn run(
    State(state): State<AppState>,
    session: Session,
    locale: Locale,
    format: Format,
    headers: HeaderMap,
    bytes: Result<Bytes, BytesRejection>,
    kind: Kind,
) -> Response {
    // An unreadable body is answered like any other refusal: JSON, htmx, or a flash + redirect.
    let result = match read_body(&headers, bytes).await {
        Ok(body) => mutate(&state, &session, &headers, body, kind).await,
        Err(e) => Err(e),
    };
    respond_mutation(&state, &session, &locale, format, &headers, result).await
}

/// A parsed command, ready to run inside the transaction.
enum Command {
    Add(params::AddParams),
    Update(crate::cart::UpdateRequest),
    Change(crate::cart::ChangeTarget, crate::cart::ChangeRequest),
    Clear,
}

fn parse(kind: Kind, body: &Map<String, Value>) -> Result<Command, ShopifyError> {
    Ok(match kind {
        Kind::Add => Command::Add(params::add(body)?),
        Kind::Update => Command::Update(params::update(body)?),
        Kind::Change => {
            let (target, request) = params::change(body)?;
            Command::Change(target, request)
        }
        Kind::Clear => Command::Clear,
    })
}

/// What the command produced inside the transaction.
struct Applied {
    touched: Vec<uuid::Uuid>,
    single: bool,
    warning: Option<CartError>,
}

/// Parses and applies one mutation. Returns `Err` only when nothing could be attempted
/// (bad parameters or a failed store); refusals come back inside `MutationResult::error`.
pub async fn mutate(
    state: &AppState,
    session: &Session,
    headers: &HeaderMap,
    body: Map<String, Value>,
    kind: Kind,
) -> Result<MutationResult, ShopifyError> {
    let sections = params::sections(&body);
    let return_to = params::return_to(&body);
    let command = parse(kind, &body)?;
    let cart_id = visitor::ensure_cart_id(session)
        .await
        .map_err(ShopifyError::session)?;
    let catalog = state.catalog().clone();
    let if_match = headers.get(header::IF_MATCH).cloned();
    let outcome = state
        .store()
        .mutate(&cart_id, IfMissing::Create, move |cart| {
            if !if_match_ok(if_match.as_ref(), cart) {
                return Err(ShopifyError::PreconditionFailed);
            }
            let now = chrono::Utc::now();
            let applied = match command {
                Command::Add(p) => {
                    let outcome = cart.add(&catalog, p.items, StockPolicy::Clamp, now)?;
                    Applied {
                        touched: outcome.touched,
                        single: p.single,
                        warning: outcome.stock_error,
                    }
                }
                Command::Update(request) => Applied {
                    touched: Vec::new(),
                    single: false,
                    warning: cart.update(&catalog, request, now)?,
                },
                Command::Change(target, request) => {
                    let line = cart.find_line(&target).map(|i| cart.lines[i].id);
                    Applied {
                        touched: line.into_iter().collect(),
                        single: false,
                        warning: cart.change(&catalog, target, request, now)?,
                    }
                }
                Command::Clear => {
                    cart.clear();
                    Applied {
                        touched: Vec::new(),
                        single: false,
                        warning: None,
                    }
                }
            };
            Ok((applied, AfterCommand::Save))
        })
        .await;
    match outcome {
        Ok(mutation) => {
            let cart = mutation.cart.unwrap_or_else(|| {
                Arc::new(Cart::new(
                    cart_id,
                    &state.catalog().shop().currency,
                    chrono::Utc::now(),
                ))
            });
            let applied = mutation.value;
            let priced = price(&cart, state.catalog());
            let lines = line_json(state, &priced);
            let body = success_body(&priced, &lines, kind, &applied);
            let wants_sections = !sections.ids.is_empty() && sections.invalid.is_none();
            let theme_cart = wants_sections.then(|| theme_cart(&priced, &lines));
            let line_key = applied
                .touched
                .iter()
                .find_map(|id| cart.lines.iter().find(|l| l.id == *id))
                .map(|line| line.key());
            Ok(MutationResult {
                kind,
                error: applied.warning.map(ShopifyError::Cart),
                cart,
                body,
                sections,
                return_to,
                line_key,
                theme_cart,
            })
        }
        Err(crate::store::MutateError::Command(error)) => {
            // Refused: nothing changed. The sections still show the real cart.
            let cart = Arc::new(visitor_cart(state, session).await?);
            Ok(MutationResult {
                kind,
                cart,
                body: bytes::Bytes::new(),
                error: Some(error),
                sections,
                return_to,
                line_key: None,
                theme_cart: None,
            })
        }
        Err(other) => Err(other.into()),
    }
}

fn success_body(
    priced: &PricedCart<'_>,
    lines: &[KeyedJson],
    kind: Kind,
    applied: &Applied,
) -> bytes::Bytes {
    if kind != Kind::Add {
        return cart_bytes(priced, lines);
    }
    let touched: Vec<&[u8]> = applied
        .touched
        .iter()
        .filter_map(|id| priced.lines.iter().position(|l| l.line.id == *id))
        .filter_map(|i| lines.get(i).map(AsRef::as_ref))
        .collect();
    match (applied.single, touched.first()) {
        (true, Some(line)) => bytes::Bytes::copy_from_slice(line),
        _ => items_bytes(&touched),
    }
}

/// The JSON answer of a mutation: the body, or the error (with `errors` for change and update),
/// plus `sections` when asked for. Invalid section parameters answer 400 after the mutation.
/// An error's description is worded by `theme` in the request's `locale`.
pub fn json_response(
    result: MutationResult,
    sections: Option<Sections>,
    theme: &Theme,
    locale: &Locale,
) -> Response {
    if let Some(reason) = &result.sections.invalid {
        return ShopifyError::BadRequest(reason.clone()).into_response();
    }
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
