//! The cart page's shipping estimator without JavaScript: `/cart?shipping_address[country]=…`
//! renders the rates of the address's zone (the same table `/cart/shipping_rates.json` reads) as
//! the theme's `shipping_estimate` object.

use serde_json::{Value, json};

use crate::api::shopify::shipping::{Address, zone_for};
use crate::catalog::Catalog;

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
}
