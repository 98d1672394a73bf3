//! Shopify's `country` object, for `localization.country` and `localization.available_countries`
//! (the country selectors of Dawn and Horizon). vitrine's shop sells in one country, its own.
//! <https://shopify.dev/docs/api/liquid/objects/country>

use std::fmt;
use std::sync::Arc;

use minijinja::Value;
use minijinja::value::{Object, ObjectRepr};

/// English names of the countries a demo shop is likely to be in; others show their code.
fn country_name(code: &str) -> &str {
    match code {
        "CA" => "Canada",
        "US" => "United States",
        "GB" => "United Kingdom",
        "AU" => "Australia",
        "NZ" => "New Zealand",
        "DE" => "Germany",
        "FR" => "France",
        "JP" => "Japan",
        "CH" => "Switzerland",
        "SE" => "Sweden",
        "DK" => "Denmark",
        "NO" => "Norway",
        _ => code,
    }
}

fn continent(code: &str) -> &str {
    match code {
        "CA" | "US" => "North America",
        "AU" | "NZ" => "Oceania",
        "JP" => "Asia",
        _ => "Europe",
    }
}

/// The country `code` with the shop's currency and the languages it offers.
pub fn country_value(code: &str, currency: &Value, languages: &Value) -> Value {
    // Liberia and Myanmar join the United States in customary units.
    let unit_system = if matches!(code, "US" | "LR" | "MM") {
        "imperial"
    } else {
        "metric"
    };
    let market = Value::from_pairs([
        ("handle", Value::from(code.to_ascii_lowercase())),
        ("id", Value::from(1)),
    ]);
    Value::from_pairs([
        ("iso_code", Value::from(code)),
        ("name", Value::from(country_name(code))),
        ("currency", currency.clone()),
        ("unit_system", Value::from(unit_system)),
        ("available_languages", languages.clone()),
        ("continent", Value::from(continent(code))),
        ("market", market),
        ("popular?", Value::from(true)),
    ])
}

/// Shopify's `currency` object: `iso_code`, `name` and `symbol`. Printed, compared or turned
/// into JSON it is its ISO code, so `{{ cart.currency }}` and `{{ cart.currency.iso_code }}`
/// agree and `{{ cart | json }}` keeps the Ajax API's `"currency": "CAD"`.
/// <https://shopify.dev/docs/api/liquid/objects/currency>
pub fn currency_value(iso_code: &str, symbol: &str) -> Value {
    let name = match iso_code {
        "CAD" => "Canadian Dollar",
        "USD" => "US Dollar",
        "EUR" => "Euro",
        "GBP" => "British Pound",
        "AUD" => "Australian Dollar",
        "JPY" => "Japanese Yen",
        other => other,
    };
    Value::from_object(Currency {
        iso_code: iso_code.to_owned(),
        name: name.to_owned(),
        symbol: symbol.to_owned(),
    })
}

/// The usual symbol of a currency, for a value that carries only its code (the cart's JSON).
pub fn currency_symbol(iso_code: &str) -> &str {
    match iso_code {
        "CAD" | "USD" | "AUD" | "NZD" | "MXN" | "SGD" | "HKD" => "$",
        "EUR" => "€",
        "GBP" => "£",
        "JPY" | "CNY" => "¥",
        "INR" => "₹",
        "CHF" => "CHF",
        "SEK" | "DKK" | "NOK" => "kr",
        other => other,
    }
}

#[derive(Debug)]
struct Currency {
    iso_code: String,
    name: String,
    symbol: String,
}

impl Object for Currency {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        match key.as_str()? {
            "iso_code" => Some(Value::from(self.iso_code.as_str())),
            "name" => Some(Value::from(self.name.as_str())),
            "symbol" => Some(Value::from(self.symbol.as_str())),
            _ => None,
        }
    }

    fn render(self: &Arc<Self>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.iso_code)
    }
}
