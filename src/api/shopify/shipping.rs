//! Shipping rate estimates from the rate table in `data/shipping_rates.json`.
//! <https://shopify.dev/docs/api/ajax/reference/cart#generate-shipping-rates>
//!
//! `prepare_shipping_rates.json` validates the address and marks its rates as prepared for the
//! cart; `async_shipping_rates.json` answers `null` until then, and the rates after.

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Value, json};
use tower_sessions::Session;

use super::body;
use super::error::ShopifyError;
use crate::catalog::ShippingZone;
use crate::state::AppState;
use crate::storefront::shipping::{self, Address, FieldErrors, zone_for};
use crate::storefront::visitor;

/// The `shipping_address[...]` fields of a query string.
fn address_from_query(query: Option<&str>) -> Result<Address, ShopifyError> {
    let object = body::parse_query(query.unwrap_or(""), &[]).map_err(ShopifyError::from)?;
    let field = |name: &str| {
        object
            .get("shipping_address")
            .and_then(|a| a.get(name))
            .and_then(Value::as_str)
            .unwrap_or("")
            .trim()
            .to_string()
    };
    Ok(Address {
        country: field("country"),
        province: field("province"),
        zip: field("zip"),
    })
}

#[derive(Debug, Serialize)]
pub struct RateJson {
    pub name: String,
    pub presentment_name: String,
    pub code: String,
    pub price: String,
    pub markup: Option<String>,
    pub source: &'static str,
    pub delivery_date: Option<String>,
    pub delivery_range: Option<Vec<String>>,
    pub delivery_days: Vec<u32>,
    pub compare_price: Option<String>,
    pub phone_required: bool,
    pub currency: String,
    pub carrier_identifier: Option<String>,
    pub delivery_category: Option<String>,
    pub using_merchant_account: Option<bool>,
    pub carrier_service_id: Option<i64>,
    pub description: Option<String>,
    pub api_client_id: Option<i64>,
    pub requested_fulfillment_service_id: Option<i64>,
    pub shipment_options: Option<Value>,
    pub charge_items: Option<Value>,
    pub has_restrictions: Option<bool>,
    pub rating_classification: Option<String>,
    pub accepts_instructions: bool,
}

pub fn decimal(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let cents = cents.unsigned_abs();
    format!("{sign}{}.{:02}", cents / 100, cents % 100)
}

pub fn rates(zone: &ShippingZone, currency: &str) -> Vec<RateJson> {
    zone.rates
        .iter()
        .map(|rate| RateJson {
            name: rate.name.clone(),
            presentment_name: rate.name.clone(),
            code: rate.name.clone(),
            price: decimal(rate.price),
            markup: None,
            source: "shopify",
            delivery_date: None,
            delivery_range: None,
            delivery_days: rate.delivery_days.clone(),
            compare_price: None,
            phone_required: false,
            currency: currency.to_string(),
            carrier_identifier: None,
            delivery_category: None,
            using_merchant_account: None,
            carrier_service_id: None,
            description: None,
            api_client_id: None,
            requested_fulfillment_service_id: None,
            shipment_options: None,
            charge_items: None,
            has_restrictions: None,
            rating_classification: None,
            accepts_instructions: false,
        })
        .collect()
}

fn invalid(errors: FieldErrors) -> Response {
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        axum::Json(Value::Object(errors)),
    )
        .into_response()
}

fn rates_body(state: &AppState, zone: &ShippingZone) -> Response {
    axum::Json(json!({ "shipping_rates": rates(zone, &state.catalog().shop().currency) }))
        .into_response()
}

/// POST /cart/prepare_shipping_rates.json
pub async fn prepare(
    State(state): State<AppState>,
    session: Session,
    RawQuery(query): RawQuery,
) -> Result<Response, ShopifyError> {
    let address = address_from_query(query.as_deref())?;
    if let Err(errors) = zone_for(state.catalog(), &address) {
        return Ok(invalid(errors));
    }
    let cart = visitor::ensure_cart_id(&session)
        .await
        .map_err(ShopifyError::session)?;
    shipping::mark_prepared(state.store(), state.prepared_rates(), address.key(&cart)).await?;
    Ok(axum::Json(Value::Null).into_response())
}

/// GET /cart/async_shipping_rates.json
pub async fn poll(
    State(state): State<AppState>,
    session: Session,
    RawQuery(query): RawQuery,
) -> Result<Response, ShopifyError> {
    let address = address_from_query(query.as_deref())?;
    let zone = match zone_for(state.catalog(), &address) {
        Ok(zone) => zone,
        Err(errors) => return Ok(invalid(errors)),
    };
    let cart = visitor::cart_id(&session).await.unwrap_or_default();
    if shipping::is_prepared(state.store(), state.prepared_rates(), address.key(&cart)).await? {
        Ok(rates_body(&state, zone))
    } else {
        Ok(axum::Json(Value::Null).into_response())
    }
}

/// GET /cart/shipping_rates.json
pub async fn estimate(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Response, ShopifyError> {
    let address = address_from_query(query.as_deref())?;
    match zone_for(state.catalog(), &address) {
        Ok(zone) => Ok(rates_body(&state, zone)),
        Err(errors) => Ok(invalid(errors)),
    }
}
