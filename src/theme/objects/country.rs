//! Shopify's `country` object, for `localization.country` and `localization.available_countries`
//! (the country selectors of Dawn and Horizon). vitrine's shop sells in one country, its own.
//! <https://shopify.dev/docs/api/liquid/objects/country>

use std::fmt;
use std::sync::Arc;

use minijinja::Value;

use crate::catalog::ShippingZone;
use minijinja::value::{Object, ObjectRepr};

/// English names of the countries a demo shop is likely to be in, by ISO code.
const COUNTRIES: &[(&str, &str)] = &[
    ("AU", "Australia"),
    ("CA", "Canada"),
    ("DK", "Denmark"),
    ("FR", "France"),
    ("DE", "Germany"),
    ("JP", "Japan"),
    ("NZ", "New Zealand"),
    ("NO", "Norway"),
    ("SE", "Sweden"),
    ("CH", "Switzerland"),
    ("GB", "United Kingdom"),
    ("US", "United States"),
];

/// The English name of a country; one not in [`COUNTRIES`] shows its code.
fn country_name(code: &str) -> &str {
    COUNTRIES
        .iter()
        .find(|(c, _)| *c == code)
        .map_or(code, |(_, name)| name)
}

/// Is this entry of a shipping zone's list an ISO code (`CA`, `BC`) rather than a name?
fn is_code(entry: &str) -> bool {
    entry.len() == 2 && entry.bytes().all(|b| b.is_ascii_uppercase())
}

/// `country_option_tags` (the countries the shop ships to: its shipping zones) and, with `all`,
/// `all_country_option_tags` (those and every country vitrine names). Each `<option>` carries
/// the country's provinces as `data-provinces`, `[[value, label], ...]`, which the address and
/// shipping-estimate forms of themes read, after a first `---` option.
/// <https://shopify.dev/docs/api/liquid/objects/country_option_tags>
pub fn country_option_tags(zones: &[ShippingZone], all: bool) -> String {
    let mut countries: Vec<(String, Vec<String>)> = Vec::new();
    let mut add = |name: &str, provinces: &[String]| {
        let provinces: Vec<String> = provinces.iter().filter(|p| !is_code(p)).cloned().collect();
        match countries.iter_mut().find(|(n, _)| n == name) {
            Some((_, known)) => {
                for p in provinces {
                    if !known.contains(&p) {
                        known.push(p);
                    }
                }
            }
            None => countries.push((name.to_owned(), provinces)),
        }
    };
    for zone in zones {
        let names = zone.countries.iter().map(|c| {
            if is_code(c) {
                country_name(c)
            } else {
                c.as_str()
            }
        });
        // A zone lists a country by name and by code: once is enough.
        let mut seen = Vec::new();
        for name in names {
            if !seen.contains(&name) {
                seen.push(name);
                add(name, &zone.provinces);
            }
        }
    }
    if all {
        for (_, name) in COUNTRIES {
            add(name, &[]);
        }
        countries.sort_by(|a, b| a.0.cmp(&b.0));
    }
    let mut out = String::from("<option value=\"---\" data-provinces=\"[]\">---</option>\n");
    for (name, provinces) in &countries {
        let pairs: Vec<[&str; 2]> = provinces.iter().map(|p| [p.as_str(), p.as_str()]).collect();
        let json = serde_json::to_string(&pairs).unwrap_or_else(|_| "[]".into());
        let name = super::html::escape_html(name);
        out.push_str(&format!(
            "<option value=\"{name}\" data-provinces=\"{}\">{name}</option>\n",
            super::html::escape_html(&json)
        ));
    }
    out
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

#[cfg(test)]
mod option_tag_tests {
    use super::*;

    fn zone(countries: &[&str], provinces: &[&str]) -> ShippingZone {
        ShippingZone {
            name: "z".into(),
            countries: countries.iter().map(|s| s.to_string()).collect(),
            provinces: provinces.iter().map(|s| s.to_string()).collect(),
            zip_format: String::new(),
            rates: Vec::new(),
        }
    }

    #[test]
    fn each_shipping_country_is_an_option_with_its_provinces() {
        let zones = [
            zone(&["Canada", "CA"], &["Alberta", "AB", "Québec", "QC"]),
            zone(&["US"], &[]),
        ];
        let tags = country_option_tags(&zones, false);
        assert_eq!(
            tags,
            "<option value=\"---\" data-provinces=\"[]\">---</option>\n\
             <option value=\"Canada\" data-provinces=\"[[&quot;Alberta&quot;,&quot;Alberta&quot;],[&quot;Québec&quot;,&quot;Québec&quot;]]\">Canada</option>\n\
             <option value=\"United States\" data-provinces=\"[]\">United States</option>\n"
        );
        let all = country_option_tags(&zones, true);
        assert_eq!(all.matches("<option").count(), 1 + COUNTRIES.len());
        assert!(
            all.contains("&quot;Alberta&quot;"),
            "the zone's provinces stay: {all}"
        );
        let france = all.find("France").expect("every named country");
        assert!(france < all.find("Germany").expect("sorted"));
    }
}
