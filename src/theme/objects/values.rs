//! Reading template values the way Liquid filters do, shared by the filter modules.

use std::borrow::Cow;

use minijinja::Value;
use minijinja::value::ValueKind;

/// The text of a value as Liquid prints it: nothing for nil/undefined.
pub fn text(value: &Value) -> Cow<'_, str> {
    if value.is_undefined() || value.is_none() {
        Cow::Borrowed("")
    } else if let Some(s) = value.as_str() {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(value.to_string())
    }
}

/// A number from a number or a numeric string.
pub fn number(value: &Value) -> Option<f64> {
    match value.kind() {
        ValueKind::Number => f64::try_from(value.clone()).ok(),
        ValueKind::String => value.as_str()?.trim().parse().ok(),
        _ => None,
    }
}
