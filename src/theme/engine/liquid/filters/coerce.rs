//! How Ruby Liquid looks at a value inside a filter: `Utils.to_s`, `Utils.to_integer`,
//! `InputIterator`, `item[property]`, `==` and `<=>`, written for minijinja values.

use std::borrow::Cow;

use minijinja::value::ValueKind;
use minijinja::{Error, Value};

use super::liquid_error;
use crate::theme::engine::liquid::value::{is_nil, to_liquid_string};

/// Nesting beyond this is refused rather than recursed into (a guard for the stack).
pub(super) const MAX_DEPTH: usize = 64;

/// Ruby Liquid's `Utils.to_s`: nil is empty, arrays and hashes print as Ruby inspects them
/// (`["a", 1]`, `{"a"=>1}`), numbers as Ruby prints them.
pub(super) fn to_s(value: &Value) -> Cow<'_, str> {
    match value.kind() {
        ValueKind::String => Cow::Borrowed(value.as_str().unwrap_or_default()),
        ValueKind::Undefined | ValueKind::None => Cow::Borrowed(""),
        ValueKind::Bytes => {
            Cow::Owned(String::from_utf8_lossy(value.as_bytes().unwrap_or_default()).into_owned())
        }
        ValueKind::Seq | ValueKind::Iterable | ValueKind::Map => {
            let mut out = String::new();
            inspect_into(value, &mut out, 0);
            Cow::Owned(out)
        }
        ValueKind::Bool => Cow::Borrowed(if value.is_true() { "true" } else { "false" }),
        ValueKind::Plain => Cow::Owned(value.to_string()),
        _ => Cow::Owned(to_liquid_string(value)),
    }
}

/// Ruby's `inspect`, the form `Utils.to_s` gives a value nested in an array or hash.
pub(super) fn inspect_into(value: &Value, out: &mut String, depth: usize) {
    if depth > MAX_DEPTH {
        out.push_str("...");
        return;
    }
    match value.kind() {
        ValueKind::Undefined | ValueKind::None => out.push_str("nil"),
        ValueKind::Bool => out.push_str(&to_s(value)),
        ValueKind::String | ValueKind::Bytes => inspect_str(&to_s(value), out),
        ValueKind::Seq | ValueKind::Iterable => {
            out.push('[');
            if let Ok(items) = value.try_iter() {
                for (index, item) in items.enumerate() {
                    if index > 0 {
                        out.push_str(", ");
                    }
                    inspect_into(&item, out, depth + 1);
                }
            }
            out.push(']');
        }
        ValueKind::Map => {
            out.push('{');
            if let Ok(keys) = value.try_iter() {
                for (index, key) in keys.enumerate() {
                    if index > 0 {
                        out.push_str(", ");
                    }
                    inspect_into(&key, out, depth + 1);
                    out.push_str("=>");
                    let item = value.get_item(&key).unwrap_or_default();
                    inspect_into(&item, out, depth + 1);
                }
            }
            out.push('}');
        }
        ValueKind::Plain => out.push_str(&value.to_string()),
        _ => out.push_str(&to_liquid_string(value)),
    }
}

/// Ruby's `String#inspect` for a UTF-8 string.
fn inspect_str(text: &str, out: &mut String) {
    out.push('"');
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\u{0c}' => out.push_str("\\f"),
            '\u{0b}' => out.push_str("\\v"),
            '\u{07}' => out.push_str("\\a"),
            '\u{08}' => out.push_str("\\b"),
            '\u{1b}' => out.push_str("\\e"),
            '#' if matches!(chars.peek(), Some('{' | '$' | '@')) => out.push_str("\\#"),
            c if c.is_control() => {
                let code = c as u32;
                if code <= 0xffff {
                    out.push_str(&format!("\\u{code:04X}"));
                } else {
                    out.push_str(&format!("\\u{{{code:X}}}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Ruby Liquid's `Utils.to_integer`: integers as they are, anything else through `Integer()`
/// of its string form, so `"2"` is 2 but `2.5`, `"foo"` and nil are "invalid integer".
pub(super) fn to_integer(value: &Value) -> Result<i64, Error> {
    if value.is_integer() {
        return value
            .as_i64()
            .ok_or_else(|| liquid_error("integer out of range"));
    }
    ruby_integer(&to_s(value)).ok_or_else(|| liquid_error("invalid integer"))
}

/// Ruby's `Kernel#Integer(string)`: optional sign, `0x`/`0b`/`0o`/`0` prefixes, underscores
/// between digits, surrounding whitespace.
fn ruby_integer(text: &str) -> Option<i64> {
    let text = text.trim_matches(|c: char| c.is_ascii_whitespace() || c == '\0');
    let (negative, digits) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let lower = digits.to_ascii_lowercase();
    let (radix, body) = if let Some(rest) = lower.strip_prefix("0x") {
        (16, rest)
    } else if let Some(rest) = lower.strip_prefix("0b") {
        (2, rest)
    } else if let Some(rest) = lower.strip_prefix("0o") {
        (8, rest)
    } else if let Some(rest) = lower.strip_prefix("0d") {
        (10, rest)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, &lower[1..])
    } else {
        (10, lower.as_str())
    };
    if body.is_empty() || body.starts_with('_') || body.ends_with('_') || body.contains("__") {
        return None;
    }
    let mut result: i64 = 0;
    for c in body.chars().filter(|&c| c != '_') {
        let digit = c.to_digit(radix)?;
        result = result
            .checked_mul(i64::from(radix))?
            .checked_add(i64::from(digit))?;
    }
    Some(if negative { -result } else { result })
}

/// Ruby Liquid's `InputIterator`: an array flattened, a hash or any other single value as a
/// one-item list, nil as an empty list, a range or other iterable as its items.
pub(super) fn input_items(value: &Value) -> Result<Vec<Value>, Error> {
    let mut items = Vec::new();
    match value.kind() {
        ValueKind::Undefined | ValueKind::None => {}
        ValueKind::Seq => flatten_into(value, &mut items, 0)?,
        ValueKind::Iterable => items.extend(value.try_iter()?),
        _ => items.push(value.clone()),
    }
    Ok(items)
}

/// Ruby's `Array#flatten`: nested arrays spliced in, depth-first.
pub(super) fn flatten_into(value: &Value, out: &mut Vec<Value>, depth: usize) -> Result<(), Error> {
    if depth > MAX_DEPTH {
        return Err(liquid_error("array nested too deeply"));
    }
    for item in value.try_iter()? {
        if item.kind() == ValueKind::Seq {
            flatten_into(&item, out, depth + 1)?;
        } else {
            out.push(item);
        }
    }
    Ok(())
}

/// What `item[property]` does in Ruby for the kinds of value a template sees.
pub(super) enum Lookup {
    /// The item answered (nil included).
    Found(Value),
    /// The item has no `[]` at all (nil, true, false, a float): Ruby's `NoMethodError`.
    NoMethod,
    /// The item has `[]` but not for this key (an array asked for a string): `TypeError`.
    TypeError,
}

/// Ruby's `item[property]`: hash lookup, substring test on strings, index into arrays.
pub(super) fn lookup(item: &Value, property: &Value) -> Lookup {
    match item.kind() {
        ValueKind::Map | ValueKind::Plain => {
            Lookup::Found(item.get_item(property).unwrap_or(Value::UNDEFINED))
        }
        ValueKind::Seq | ValueKind::Iterable => match index_of(property) {
            Some(index) => {
                let items: Vec<Value> = match item.try_iter() {
                    Ok(iter) => iter.collect(),
                    Err(_) => return Lookup::TypeError,
                };
                Lookup::Found(at_index(&items, index).cloned().unwrap_or(Value::UNDEFINED))
            }
            None => Lookup::TypeError,
        },
        ValueKind::String | ValueKind::Bytes => {
            let text = to_s(item);
            if property.kind() == ValueKind::String {
                let needle = property.as_str().unwrap_or_default();
                if text.contains(needle) {
                    Lookup::Found(property.clone())
                } else {
                    Lookup::Found(Value::UNDEFINED)
                }
            } else if let Some(index) = index_of(property) {
                let chars: Vec<char> = text.chars().collect();
                Lookup::Found(
                    at_index(&chars, index)
                        .map(|c| Value::from(c.to_string()))
                        .unwrap_or(Value::UNDEFINED),
                )
            } else {
                Lookup::TypeError
            }
        }
        ValueKind::Number if item.is_integer() => match index_of(property) {
            // Integer#[] reads one bit of the number.
            Some(bit) => {
                let number = i128::try_from(item.clone()).unwrap_or(0);
                let set = if bit < 0 {
                    false
                } else if bit >= 127 {
                    number < 0
                } else {
                    (number >> bit) & 1 == 1
                };
                Lookup::Found(Value::from(i64::from(set)))
            }
            None => Lookup::TypeError,
        },
        _ => Lookup::NoMethod,
    }
}

/// An index as Ruby takes one: an integer, or a float truncated.
fn index_of(value: &Value) -> Option<i64> {
    if value.is_integer() {
        value.as_i64()
    } else if value.kind() == ValueKind::Number {
        f64::try_from(value.clone())
            .ok()
            .filter(|f| f.is_finite())
            .map(|f| f as i64)
    } else {
        None
    }
}

/// Ruby's negative-from-the-end indexing.
fn at_index<T>(items: &[T], index: i64) -> Option<&T> {
    let len = items.len() as i64;
    let index = if index < 0 { index + len } else { index };
    if (0..len).contains(&index) {
        items.get(index as usize)
    } else {
        None
    }
}

/// Ruby Liquid's `raise_property_error`.
pub(super) fn property_error(property: &Value) -> Error {
    liquid_error(format!("cannot select the property '{}'", to_s(property)))
}

/// Liquid truthiness for filter arguments (only nil and false are false).
pub(super) fn truthy(value: &Value) -> bool {
    crate::theme::engine::liquid::value::is_truthy(value)
}

/// Nil in Liquid's sense: minijinja's none or undefined.
pub(super) fn nil(value: &Value) -> bool {
    is_nil(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::theme::engine::liquid::filters::compare::{ruby_cmp, ruby_eq};
    use std::cmp::Ordering;

    fn json(text: &str) -> Value {
        let parsed: serde_json::Value = serde_json::from_str(text).expect("test json");
        Value::from(minijinja::value::Serde(parsed))
    }

    #[test]
    fn to_s_prints_like_ruby_liquid() {
        assert_eq!(to_s(&Value::UNDEFINED), "");
        assert_eq!(to_s(&Value::from(5)), "5");
        assert_eq!(to_s(&Value::from(5.0)), "5.0");
        assert_eq!(to_s(&Value::from(true)), "true");
        assert_eq!(
            to_s(&json(r#"["a", 1, null, [2.5]]"#)),
            r#"["a", 1, nil, [2.5]]"#
        );
        assert_eq!(
            to_s(&json(r#"{"a": 1, "b": "x\n"}"#)),
            r#"{"a"=>1, "b"=>"x\n"}"#
        );
        assert_eq!(to_s(&json("{}")), "{}");
    }

    #[test]
    fn integers_parse_like_kernel_integer() {
        assert_eq!(ruby_integer("42"), Some(42));
        assert_eq!(ruby_integer(" -7 "), Some(-7));
        assert_eq!(ruby_integer("1_000"), Some(1000));
        assert_eq!(ruby_integer("0x1f"), Some(31));
        assert_eq!(ruby_integer("010"), Some(8));
        assert_eq!(ruby_integer("08"), None);
        assert_eq!(ruby_integer("2.5"), None);
        assert_eq!(ruby_integer(""), None);
        assert_eq!(ruby_integer("foo"), None);
        assert!(to_integer(&Value::from(2.0)).is_err());
        assert_eq!(to_integer(&Value::from("3")).ok(), Some(3));
    }

    #[test]
    fn input_items_flattens_arrays_and_wraps_the_rest() {
        let items = input_items(&json(r#"[1, [2, [3]], {"a": 1}]"#)).expect("items");
        assert_eq!(items.len(), 4);
        assert_eq!(input_items(&Value::from("ab")).expect("items").len(), 1);
        assert!(input_items(&Value::UNDEFINED).expect("items").is_empty());
    }

    #[test]
    fn lookup_follows_rubys_brackets() {
        let hash = json(r#"{"z": 42}"#);
        assert!(
            matches!(lookup(&hash, &Value::from("z")), Lookup::Found(v) if v == Value::from(42))
        );
        assert!(
            matches!(lookup(&Value::from("zoo"), &Value::from("oo")), Lookup::Found(v) if v.as_str() == Some("oo"))
        );
        assert!(matches!(
            lookup(&Value::from(1), &Value::from("c")),
            Lookup::TypeError
        ));
        assert!(matches!(
            lookup(&Value::from(()), &Value::from("c")),
            Lookup::NoMethod
        ));
        assert!(matches!(
            lookup(&json("[1, 2]"), &Value::from("c")),
            Lookup::TypeError
        ));
    }

    #[test]
    fn equality_and_ordering_follow_ruby() {
        assert!(ruby_eq(&Value::from(1), &Value::from(1.0)));
        assert!(!ruby_eq(&Value::from(42), &Value::from("42")));
        assert!(ruby_eq(&json(r#"{"a": [1]}"#), &json(r#"{"a": [1.0]}"#)));
        assert!(!ruby_eq(&json(r#"{"a": null}"#), &json(r#"{"b": null}"#)));
        assert_eq!(
            ruby_cmp(&Value::from("B"), &Value::from("a")),
            Some(Ordering::Less)
        );
        assert_eq!(ruby_cmp(&Value::from(1), &Value::from("a")), None);
    }
}
