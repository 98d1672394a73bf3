//! The visitor's cart and the commands that change it, whatever wire format they came in: one
//! store transaction per command, and the theme's `cart` object of the result.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::cart::pricing::price;
use crate::cart::{
    AddItem, Cart, CartError, ChangeRequest, ChangeTarget, PricedCart, StockPolicy, UpdateRequest,
};
use crate::catalog::Catalog;
use crate::state::AppState;
use crate::store::{AfterCommand, IfMissing, MutateError, Mutation, StoreError};
use crate::theme::KeyedJson;

use super::json::CartJson;
use super::visitor;

/// A cart command, parsed by a dialect or a form from its own parameters.
#[derive(Debug, Clone)]
pub enum CartCommand {
    Add(Vec<AddItem>),
    Update(UpdateRequest),
    Change(ChangeTarget, ChangeRequest),
    Clear,
}

/// Why a command changed nothing.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// The caller named a version of the cart (`If-Match`) that is no longer current.
    #[error("the cart has changed")]
    Stale,
    #[error(transparent)]
    Cart(#[from] CartError),
}

/// A command that went through: the cart as committed, the lines it added to or changed, and
/// a warning when it did less than asked (the documented stock clamp).
#[derive(Debug)]
pub struct Applied {
    /// Shared with the writer's memory of the cart.
    pub cart: Arc<Cart>,
    pub touched: Vec<uuid::Uuid>,
    pub warning: Option<CartError>,
}

impl Applied {
    /// The key of the first line the command touched that is still in the cart: where a theme
    /// shows a warning about it.
    pub fn line_key(&self) -> Option<String> {
        self.touched
            .iter()
            .find_map(|id| self.cart.lines.iter().find(|l| l.id == *id))
            .map(|line| line.key())
    }
}

/// The version tag of a cart (an HTTP entity tag): a caller that sends it back with `If-Match`
/// changes the cart only if nobody else did in between.
pub fn etag(cart_id: &str, version: i64) -> String {
    let short: String = cart_id.chars().filter(|c| *c != '-').take(8).collect();
    format!("\"{version}-{short}\"")
}

/// Whether an `If-Match` value (absent: no condition) names the cart's current version.
pub fn if_match_ok(if_match: Option<&str>, cart: &Cart) -> bool {
    let Some(value) = if_match else {
        return true;
    };
    let current = etag(&cart.id, cart.version);
    value
        .split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || tag.trim_start_matches("W/") == current)
}

/// The cart `cart_id` names as stored, or a new empty one with that id (nothing is written).
pub async fn stored_or_empty(state: &AppState, cart_id: String) -> Result<Cart, StoreError> {
    let stored = state.store().cart(&cart_id).await?;
    Ok(stored.unwrap_or_else(|| empty_cart(state, cart_id)))
}

/// The visitor's cart as stored, or an empty one with their token (or none, when the session
/// has no cart yet).
pub async fn visitor_cart(
    state: &AppState,
    session: &tower_sessions::Session,
) -> Result<Cart, StoreError> {
    match visitor::cart_id(session).await {
        Some(id) => stored_or_empty(state, id).await,
        None => Ok(empty_cart(state, String::new())),
    }
}

fn empty_cart(state: &AppState, id: String) -> Cart {
    Cart::new(id, &state.catalog().shop().currency, chrono::Utc::now())
}

/// The one way every dialect and form changes a cart: `step` runs on cart `cart_id` (created
/// when missing, if `if_missing` allows) in one store transaction, against the catalog as it
/// is now and one timestamp; `after` says whether the result is kept or the cart goes. An `Err`
/// from `step` writes nothing. The dialects bring only their own rules (Shopify's stock clamp,
/// BigCommerce's all-or-nothing, Elastic Path's per-item rollback) as `step`.
pub async fn run<R, E>(
    state: &AppState,
    cart_id: &str,
    if_missing: IfMissing,
    after: AfterCommand,
    step: impl FnOnce(&mut Cart, &Catalog, DateTime<Utc>) -> Result<R, E> + Send + 'static,
) -> Result<Mutation<R>, MutateError<E>>
where
    R: Send + 'static,
    E: Send + 'static,
{
    let catalog = state.catalog().clone();
    state
        .store()
        .mutate(cart_id, if_missing, move |cart| {
            let value = step(cart, &catalog, Utc::now())?;
            Ok((value, after))
        })
        .await
}

/// Runs Shopify's `command` on cart `cart_id` (created when missing), if `if_match` allows. A
/// refusal leaves the cart as it was.
pub async fn apply(
    state: &AppState,
    cart_id: String,
    if_match: Option<String>,
    command: CartCommand,
) -> Result<Applied, MutateError<CommandError>> {
    let mutation = run(
        state,
        &cart_id,
        IfMissing::Create,
        AfterCommand::Save,
        move |cart, catalog, now| {
            if !if_match_ok(if_match.as_deref(), cart) {
                return Err(CommandError::Stale);
            }
            Ok(match command {
                CartCommand::Add(items) => {
                    let outcome = cart.add(catalog, items, StockPolicy::Clamp, now)?;
                    (outcome.touched, outcome.stock_error)
                }
                CartCommand::Update(request) => (Vec::new(), cart.update(catalog, request, now)?),
                CartCommand::Change(target, request) => {
                    let line = cart.find_line(&target).map(|i| cart.lines[i].id);
                    let warning = cart.change(catalog, target, request, now)?;
                    (line.into_iter().collect(), warning)
                }
                CartCommand::Clear => {
                    cart.clear();
                    (Vec::new(), None)
                }
            })
        },
    )
    .await?;
    let (touched, warning) = mutation.value;
    let cart = mutation
        .cart
        .unwrap_or_else(|| Arc::new(empty_cart(state, cart_id)));
    Ok(Applied {
        cart,
        touched,
        warning,
    })
}

/// The theme's `cart` object: the Ajax JSON of the cart (private attributes left out). Each line
/// goes to the theme with its JSON, which identifies it for reusing snippet output.
pub fn cart_object(state: &AppState, cart: &Cart) -> minijinja::Value {
    let priced = price(cart, state.catalog());
    let lines = line_json(state, &priced);
    theme_cart(&priced, &lines)
}

/// Each line's Ajax JSON: the body of an add, and the line's identity (and, only when read, its
/// value) in the theme. Unchanged lines come from the cache of earlier requests.
pub fn line_json(state: &AppState, priced: &PricedCart<'_>) -> Vec<KeyedJson> {
    let cache = state.line_json();
    priced.lines.iter().map(|line| cache.get(line)).collect()
}

/// [`cart_object`] from a cart already priced, and its lines' JSON.
pub fn theme_cart(priced: &PricedCart<'_>, lines: &[KeyedJson]) -> minijinja::Value {
    let json = CartJson::without_items(priced);
    crate::theme::cart_value(
        minijinja::Value::from(minijinja::value::Serde(&json)),
        lines,
    )
}

/// What a cart form post came to, for the HTML answers (htmx fragments, a redirect): the cart
/// as it now is and, when the command was refused or cut down, the message for the visitor,
/// already in their locale.
#[derive(Debug)]
pub struct FormOutcome {
    pub cart: Arc<Cart>,
    /// An add put something in the cart (maybe less than asked).
    pub added: bool,
    pub refusal: Option<Refusal>,
    /// The line the message concerns, when known.
    pub line_key: Option<String>,
    /// A same-origin path to go to next (`return_to`), if the form gave one.
    pub return_to: Option<String>,
}

/// A refusal as a visitor sees it: the answer's status and the message in their locale.
#[derive(Debug, Clone)]
pub struct Refusal {
    pub status: axum::http::StatusCode,
    pub message: String,
}
