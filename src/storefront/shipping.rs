//! Shipping estimates from the rate table in `data/shipping_rates.json`: the zone of an address
//! (or the field errors that say why there is none), the rates a cart has prepared, and the cart
//! page's estimator without JavaScript: `/cart?shipping_address[country]=…`
//! renders the rates of the address's zone (the same table `/cart/shipping_rates.json` reads) as
//! the theme's `shipping_estimate` object.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};

use crate::catalog::{Catalog, ShippingZone};

/// Addresses whose rates were prepared, per cart. Entries expire; the map is bounded.
#[derive(Default)]
pub struct PreparedRates {
    entries: Mutex<HashMap<String, Instant>>,
}

const PREPARED_TTL: Duration = Duration::from_secs(30 * 60);

/// The kind of the database's remembered keys that are prepared rates.
const PREPARED_KIND: &str = "shipping_prepared";

/// Remembers that the rates of `key` (`Address::key`) were prepared: in `rates`, this node's
/// memory, or in the database when several nodes share it, since the poll that follows may
/// reach another node.
pub async fn mark_prepared(
    store: &crate::store::Store,
    rates: &PreparedRates,
    key: String,
) -> Result<(), crate::store::StoreError> {
    if !store.is_shared() {
        rates.mark(key);
        return Ok(());
    }
    let ttl = i64::try_from(PREPARED_TTL.as_secs()).unwrap_or(i64::MAX);
    let expires = chrono::Utc::now().timestamp().saturating_add(ttl);
    store.remember_until(PREPARED_KIND, key, expires).await
}

/// Whether the rates of `key` were prepared (and have not expired), as `mark_prepared` keeps it.
pub async fn is_prepared(
    store: &crate::store::Store,
    rates: &PreparedRates,
    key: String,
) -> Result<bool, crate::store::StoreError> {
    if !store.is_shared() {
        return Ok(rates.is_ready(&key));
    }
    let now = chrono::Utc::now().timestamp();
    store.is_remembered(PREPARED_KIND, key, now).await
}
const PREPARED_MAX: usize = 10_000;

impl PreparedRates {
    pub fn mark(&self, key: String) {
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

    pub fn is_ready(&self, key: &str) -> bool {
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
    /// The address as a key of `PreparedRates`, for one cart.
    pub fn key(&self, cart: &str) -> String {
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

/// `{address, rates: [{name, price, delivery_days}], errors: [{field, message}]}` for the
/// `shipping_address[...]` fields of a page's query; `None` when the query has none.
pub fn shipping_estimate(catalog: &Catalog, query: &[(String, String)]) -> Option<Value> {
    let mut asked = false;
    let mut address = Address::default();
    for (name, value) in query {
        let field = match name.as_str() {
            "shipping_address[country]" => &mut address.country,
            "shipping_address[province]" => &mut address.province,
            "shipping_address[zip]" => &mut address.zip,
            _ => continue,
        };
        asked = true;
        *field = value.trim().to_string();
    }
    if !asked {
        return None;
    }
    let (rates, errors) = match zone_for(catalog, &address) {
        Ok(zone) => {
            let rates: Vec<Value> = zone
                .rates
                .iter()
                .map(|rate| {
                    json!({
                        "name": rate.name,
                        "price": rate.price,
                        "delivery_days": rate.delivery_days,
                    })
                })
                .collect();
            (rates, Vec::new())
        }
        Err(fields) => {
            let errors = fields
                .iter()
                .flat_map(|(field, messages)| {
                    messages
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                        .map(move |message| json!({ "field": field, "message": message }))
                })
                .collect();
            (Vec::new(), errors)
        }
    };
    Some(json!({
        "address": {
            "country": address.country,
            "province": address.province,
            "zip": address.zip,
        },
        "rates": rates,
        "errors": errors,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> Catalog {
        let zones = serde_json::from_value(json!([{
            "name": "Canada",
            "countries": ["Canada", "CA"],
            "provinces": ["Ontario", "ON"],
            "zip_format": "A9A 9A9",
            "rates": [{"name": "Ground", "price": 800, "delivery_days": [3, 7]}]
        }]))
        .expect("zones");
        let shop = serde_json::from_value(json!({
            "name": "Test", "description": "", "currency": "CAD", "currency_symbol": "$",
            "money_format": "${{amount}}", "money_with_currency_format": "${{amount}} CAD",
            "primary_locale": "en", "locales": ["en"]
        }))
        .expect("shop");
        Catalog::new(shop, Vec::new(), Vec::new(), Vec::new(), Vec::new(), zones)
    }

    fn query(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn no_address_no_estimate() {
        assert_eq!(
            shipping_estimate(&catalog(), &query(&[("page", "2")])),
            None
        );
    }

    #[test]
    fn rates_for_a_known_address() {
        let estimate = shipping_estimate(
            &catalog(),
            &query(&[
                ("shipping_address[country]", "Canada"),
                ("shipping_address[province]", "Ontario"),
                ("shipping_address[zip]", " K1N 5T2 "),
            ]),
        )
        .expect("asked");
        assert_eq!(estimate["address"]["zip"], "K1N 5T2");
        assert_eq!(estimate["rates"][0]["name"], "Ground");
        assert_eq!(estimate["rates"][0]["price"], 800);
        assert_eq!(estimate["errors"], json!([]));
    }

    #[test]
    fn field_errors_for_a_bad_zip() {
        let estimate = shipping_estimate(
            &catalog(),
            &query(&[
                ("shipping_address[country]", "Canada"),
                ("shipping_address[province]", "Ontario"),
                ("shipping_address[zip]", "12345"),
            ]),
        )
        .expect("asked");
        assert_eq!(estimate["rates"], json!([]));
        assert_eq!(
            estimate["errors"],
            json!([{"field": "zip", "message": "is not valid for Canada"}])
        );
    }

    #[test]
    fn zip_shapes() {
        assert!(zip_matches("K1N 5T2", "A9A 9A9"));
        assert!(zip_matches("k1n5t2", "A9A 9A9"));
        assert!(!zip_matches("12345", "A9A 9A9"));
        assert!(zip_matches("12345", "99999"));
    }
}
