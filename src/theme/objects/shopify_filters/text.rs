//! String filters: <https://shopify.dev/docs/api/liquid/filters/string-filters> (`camelcase`),
//! and `format_code`, which the reference does not list but gift card templates use (Dawn's and
//! Helium's `gift_card.code | format_code`).

use minijinja::{Environment, Value};

use super::text;

pub fn register(env: &mut Environment<'_>) {
    env.add_filter("camelcase", camelcase);
    env.add_filter("format_code", format_code);
}

/// `'ABCDEFGH12345678' | format_code` → `ABCD EFGH 1234 5678`: a gift card code in groups of
/// four, as Shopify prints codes (spaces already in the code are dropped first).
fn format_code(value: Value) -> String {
    let code: Vec<char> = text(&value)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    code.chunks(4)
        .map(|group| group.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
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
    fn format_code_groups_by_four() {
        assert_eq!(
            super::format_code(Value::from("ABCDEFGH12345678")),
            "ABCD EFGH 1234 5678"
        );
        assert_eq!(super::format_code(Value::from("ab cd ef")), "abcd ef");
        assert_eq!(super::format_code(Value::from("")), "");
    }

    #[test]
    fn camelcase_like_shopify() {
        let one = |s: &str| render(s, Value::UNDEFINED);
        assert_eq!(one("{{ 'variable-name'|camelcase }}"), "VariableName");
        assert_eq!(one("{{ 'snake_case name'|camelcase }}"), "SnakeCaseName");
        assert_eq!(one("{{ nothing|camelcase }}"), "");
    }
}
