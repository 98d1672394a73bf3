//! Theme translations (`templates/locales/<code>.json`, the default one named
//! `<code>.default.json`) and the `t` lookup: dotted keys, `{{ name }}` interpolation, and
//! pluralization when a `count` is passed and the key holds `zero`/`one`/`other` forms.
//!
//! Follows Shopify's "Locale files" docs. One difference worth knowing: a key missing in the
//! visitor's locale falls back to the default locale before showing `translation missing: ..`.

use foldhash::{HashMap, HashMapExt};
use std::sync::Arc;

use serde_json::Value as Json;

const PLURAL_KEYS: &[&str] = &["zero", "one", "two", "few", "many", "other"];

/// One translation.
#[derive(Debug, Clone)]
pub enum Entry {
    Text(String),
    /// Plural forms keyed by CLDR category (`zero` is Shopify's extra, used for a count of 0).
    Plural(HashMap<String, String>),
}

/// The flattened strings of one locale file.
#[derive(Debug, Default)]
pub struct Locale {
    pub code: String,
    entries: HashMap<String, Entry>,
}

impl Locale {
    /// Builds a locale from the parsed JSON of its file.
    pub fn from_json(code: &str, json: &Json) -> Locale {
        let mut entries = HashMap::new();
        flatten(String::new(), json, &mut entries);
        Locale {
            code: code.to_owned(),
            entries,
        }
    }

    /// The text for `key`, with its plural form chosen by `count`.
    pub fn text(&self, key: &str, count: Option<f64>) -> Option<&str> {
        match self.entries.get(key)? {
            Entry::Text(text) => Some(text),
            Entry::Plural(forms) => {
                let n = count.unwrap_or(0.0);
                let category = plural_category(&self.code, n);
                let pick = |name: &str| forms.get(name).map(String::as_str);
                let zero = if n == 0.0 { pick("zero") } else { None };
                zero.or_else(|| pick(category))
                    .or_else(|| pick("other"))
                    .or_else(|| pick("one"))
            }
        }
    }
}

fn flatten(prefix: String, json: &Json, out: &mut HashMap<String, Entry>) {
    match json {
        Json::Object(map) => {
            let is_plural = !map.is_empty()
                && map
                    .iter()
                    .all(|(k, v)| PLURAL_KEYS.contains(&k.as_str()) && v.is_string());
            if is_plural && !prefix.is_empty() {
                let forms = map
                    .iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                    .collect();
                out.insert(prefix, Entry::Plural(forms));
                return;
            }
            for (key, value) in map {
                let path = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                flatten(path, value, out);
            }
        }
        Json::String(text) => {
            out.insert(prefix, Entry::Text(text.clone()));
        }
        Json::Null => {}
        other => {
            out.insert(prefix, Entry::Text(other.to_string()));
        }
    }
}

/// The CLDR plural category for the languages we ship; everything else uses the English rule.
fn plural_category(locale: &str, n: f64) -> &'static str {
    let language = locale.split(['-', '_']).next().unwrap_or(locale);
    match language {
        // French treats 0 and 1 (and anything in between) as singular.
        "fr" if (0.0..2.0).contains(&n.abs()) => "one",
        "fr" => "other",
        _ if n == 1.0 => "one",
        _ => "other",
    }
}

/// Replaces `{{ name }}` placeholders using `lookup`; unknown names are left as written.
pub fn interpolate<'a>(text: &str, mut lookup: impl FnMut(&str) -> Option<String> + 'a) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut rest = text;
    while let Some(open) = find_pair(rest, b'{') {
        let after = &rest[open + 2..];
        let Some(close) = find_pair(after, b'}') else {
            break;
        };
        out.push_str(&rest[..open]);
        match lookup(after[..close].trim()) {
            Some(value) => out.push_str(&value),
            None => out.push_str(&rest[open..open + close + 4]),
        }
        rest = &after[close + 2..];
    }
    out.push_str(rest);
    out
}

/// Where `byte` first appears twice in a row. `str::find` builds a substring searcher on every
/// call, which cost more than the rest of a `t` lookup.
fn find_pair(text: &str, byte: u8) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(at) = memchr::memchr(byte, bytes.get(from..)?) {
        let at = from + at;
        if bytes.get(at + 1) == Some(&byte) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// Every locale of a theme.
#[derive(Debug, Default)]
pub struct Locales {
    by_code: HashMap<String, Arc<Locale>>,
    default_code: Option<String>,
}

impl Locales {
    pub fn insert(&mut self, locale: Locale, is_default: bool) {
        if is_default || self.default_code.is_none() {
            self.default_code = Some(locale.code.clone());
        }
        self.by_code.insert(locale.code.clone(), Arc::new(locale));
    }

    pub fn get(&self, code: &str) -> Option<Arc<Locale>> {
        self.by_code.get(code).cloned()
    }

    pub fn default_locale(&self) -> Option<Arc<Locale>> {
        self.default_code.as_deref().and_then(|c| self.get(c))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn en() -> Locale {
        Locale::from_json(
            "en",
            &json!({
                "cart": {
                    "title": "Your cart",
                    "items": {"one": "{{ count }} item", "other": "{{ count }} items", "zero": "No items"}
                }
            }),
        )
    }

    #[test]
    fn nested_keys_and_plurals() {
        let en = en();
        assert_eq!(en.text("cart.title", None), Some("Your cart"));
        assert_eq!(en.text("cart.items", Some(1.0)), Some("{{ count }} item"));
        assert_eq!(en.text("cart.items", Some(3.0)), Some("{{ count }} items"));
        assert_eq!(en.text("cart.items", Some(0.0)), Some("No items"));
        assert_eq!(en.text("cart.missing", None), None);
    }

    #[test]
    fn french_singular_includes_zero() {
        let fr = Locale::from_json(
            "fr",
            &json!({"items": {"one": "{{ count }} article", "other": "{{ count }} articles"}}),
        );
        assert_eq!(fr.text("items", Some(0.0)), Some("{{ count }} article"));
        assert_eq!(fr.text("items", Some(2.0)), Some("{{ count }} articles"));
    }

    #[test]
    fn interpolation() {
        let out = interpolate(
            "{{ count }} of {{total}} {{ unknown }}",
            |name| match name {
                "count" => Some("2".into()),
                "total" => Some("5".into()),
                _ => None,
            },
        );
        assert_eq!(out, "2 of 5 {{ unknown }}");
        let plain = |text: &str| interpolate(text, |_| Some("X".into()));
        assert_eq!(plain("{ a } {{b}} }} {{"), "{ a } X }} {{");
        assert_eq!(plain("{{{c}}}"), "X}");
        assert_eq!(plain("é{{ c }}ü"), "éXü");
        assert_eq!(plain("{{ open"), "{{ open");
    }
}
