//! String filters: <https://shopify.dev/docs/api/liquid/filters/string-filters> (`camelcase`).
//! Shopify's reference has no `format_code` filter, so there is none here.

use minijinja::{Environment, Value};

use super::text;

pub fn register(env: &mut Environment<'_>) {
    env.add_filter("camelcase", camelcase);
}

/// `'variable-name' | camelcase` → `VariableName`: words split at `-`, `_` and spaces, each
/// starting with a capital.
fn camelcase(value: Value) -> String {
    let input = text(&value);
    let mut out = String::with_capacity(input.len());
    for word in input.split(|c: char| c == '-' || c == '_' || c.is_whitespace()) {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            out.extend(first.to_uppercase());
            out.push_str(chars.as_str());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::test_support::render;
    use minijinja::Value;

    #[test]
    fn camelcase_like_shopify() {
        let one = |s: &str| render(s, Value::UNDEFINED);
        assert_eq!(one("{{ 'variable-name'|camelcase }}"), "VariableName");
        assert_eq!(one("{{ 'snake_case name'|camelcase }}"), "SnakeCaseName");
        assert_eq!(one("{{ nothing|camelcase }}"), "");
    }
}
