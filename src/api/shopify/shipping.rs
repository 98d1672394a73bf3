//! Shipping rate estimates from the rate table in `data/shipping_rates.json`.
//! <https://shopify.dev/docs/api/ajax/reference/cart#generate-shipping-rates>
//!
//! `prepare_shipping_rates.json` validates the address and marks its rates as prepared for the
//! cart; `async_shipping_rates.json` answers `null` until then, and the rates after.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Map, Value, json};
use tower_sessions::Session;

use super::error::ShopifyError;
use crate::api::body;
use crate::catalog::{Catalog, ShippingZone};
use crate::state::AppState;
use crate::visitor;

/// Addresses whose rates were prepared, per cart. Entries expire; the map is bounded.
#[derive(Default)]
pub struct PreparedRates {
    entries: Mutex<HashMap<String, Instant>>,
}

const PREPARED_TTL: Duration = Duration::from_secs(30 * 60);
const PREPARED_MAX: usize = 10_000;

impl PreparedRates {
    fn mark(&self, key: String) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= PREPARED_MAX {
                entries.retain(|_, at| at.elapsed() < PREPARED_TTL);
                if entries.len() >= PREPARED_MAX {
                    entries.clear();
                }
            }
            entries.insert(key, Instant::now());
        }
    }

    fn is_ready(&self, key: &str) -> bool {
        self.entries
            .lock()
            .ok()
            .and_then(|entries| entries.get(key).map(|at| at.elapsed() < PREPARED_TTL))
            .unwrap_or(false)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Address {
    pub country: String,
    pub province: String,
    pub zip: String,
}

impl Address {
    fn from_query(query: Option<&str>) -> Result<Address, ShopifyError> {
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

    fn key(&self, cart: &str) -> String {
        format!(
            "{cart}|{}|{}|{}",
            self.country.to_lowercase(),
            self.province.to_lowercase(),
            self.zip.to_uppercase().replace(' ', "")
        )
    }
}

/// Field errors, as Shopify reports them: `{"zip": ["is not valid for Canada"]}`.
pub type FieldErrors = Map<String, Value>;

fn field_error(field: &str, message: String) -> FieldErrors {
    let mut errors = Map::new();
    errors.insert(field.into(), json!([message]));
    errors
}

/// `A` is a letter, `9` a digit, a space is optional.
fn zip_matches(zip: &str, format: &str) -> bool {
    let zip: Vec<char> = zip.chars().filter(|c| *c != ' ').collect();
    let format: Vec<char> = format.chars().filter(|c| *c != ' ').collect();
    zip.len() == format.len()
        && zip.iter().zip(&format).all(|(z, f)| match f {
            'A' => z.is_ascii_alphabetic(),
            '9' => z.is_ascii_digit(),
            other => z.eq_ignore_ascii_case(other),
        })
}

/// Finds the zone for an address, or the field errors that explain why there is none.
pub fn zone_for<'a>(
    catalog: &'a Catalog,
    address: &Address,
) -> Result<&'a ShippingZone, FieldErrors> {
    if address.country.is_empty() {
        return Err(field_error("country", "can't be blank".into()));
    }
    let mut zones = catalog
        .shipping_zones
        .iter()
        .filter(|z| {
            z.countries
                .iter()
                .any(|c| c.eq_ignore_ascii_case(&address.country))
        })
        .peekable();
    let Some(first) = zones.peek().copied() else {
        return Err(field_error("country", "is not supported".into()));
    };
    let country = first.countries.first().cloned().unwrap_or_default();
    let zone = zones
        .find(|z| {
            z.provinces.is_empty()
                || z.provinces
                    .iter()
                    .any(|p| p.eq_ignore_ascii_case(&address.province))
        })
        .ok_or_else(|| {
            if address.province.is_empty() {
                field_error("province", "can't be blank".into())
            } else {
                field_error("province", format!("is not valid for {country}"))
            }
        })?;
    if !zone.zip_format.is_empty() {
        if address.zip.is_empty() {
            return Err(field_error("zip", "can't be blank".into()));
        }
        if !zip_matches(&address.zip, &zone.zip_format) {
            return Err(field_error("zip", format!("is not valid for {country}")));
        }
    }
    Ok(zone)
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
    let address = Address::from_query(query.as_deref())?;
    if let Err(errors) = zone_for(state.catalog(), &address) {
        return Ok(invalid(errors));
    }
    let cart = visitor::ensure_cart_id(&session)
        .await
        .map_err(ShopifyError::session)?;
    state.prepared_rates().mark(address.key(&cart));
    Ok(axum::Json(Value::Null).into_response())
}

/// GET /cart/async_shipping_rates.json
pub async fn poll(
    State(state): State<AppState>,
    session: Session,
    RawQuery(query): RawQuery,
) -> Result<Response, ShopifyError> {
    let address = Address::from_query(query.as_deref())?;
    let zone = match zone_for(state.catalog(), &address) {
        Ok(zone) => zone,
        Err(errors) => return Ok(invalid(errors)),
    };
    let cart = visitor::cart_id(&session).await.unwrap_or_default();
    if state.prepared_rates().is_ready(&address.key(&cart)) {
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
    let address = Address::from_query(query.as_deref())?;
    match zone_for(state.catalog(), &address) {
        Ok(zone) => Ok(rates_body(&state, zone)),
        Err(errors) => Ok(invalid(errors)),
    }
}

#[cfg(test)]
mod tests {
    use super::zip_matches;

    #[test]
    fn zip_shapes() {
        assert!(zip_matches("K1N 5T2", "A9A 9A9"));
        assert!(zip_matches("k1n5t2", "A9A 9A9"));
        assert!(!zip_matches("12345", "A9A 9A9"));
        assert!(zip_matches("12345", "99999"));
    }
}
