//! Liquid's view of a minijinja value: what is nil, what is true, how a value prints.

use minijinja::Value;
use minijinja::value::ValueKind;

/// Liquid's nil: minijinja's `none` and an undefined value both play the part.
pub fn is_nil(value: &Value) -> bool {
    matches!(value.kind(), ValueKind::Undefined | ValueKind::None)
}

/// Liquid truthiness: only nil and false are falsy; `""`, `0` and `[]` are true.
pub fn is_truthy(value: &Value) -> bool {
    match value.kind() {
        ValueKind::Undefined | ValueKind::None => false,
        ValueKind::Bool => value.is_true(),
        // A setting's dynamic source (`{{ shop.brand.logo }}`) that names nothing is nil, as
        // on Shopify: `{% if section.settings.logo %}` is false then.
        ValueKind::Plain => value
            .downcast_object_ref::<crate::theme::objects::dynamic::DynamicText>()
            .is_none_or(|_| value.is_true()),
        _ => true,
    }
}

/// How Liquid prints a value: nil as nothing, arrays as their items run together, floats the
/// way Ruby writes them (`1.0`, not `1`).
pub fn to_liquid_string(value: &Value) -> String {
    let mut out = String::new();
    write_liquid(value, &mut out);
    out
}

fn write_liquid(value: &Value, out: &mut String) {
    match value.kind() {
        ValueKind::Undefined | ValueKind::None => {}
        ValueKind::Seq | ValueKind::Iterable => {
            if let Ok(items) = value.try_iter() {
                for item in items {
                    write_liquid(&item, out);
                }
            }
        }
        ValueKind::Number if !value.is_integer() => match f64::try_from(value.clone()) {
            Ok(float) => out.push_str(&ruby_float(float)),
            Err(_) => out.push_str(&value.to_string()),
        },
        _ => out.push_str(&value.to_string()),
    }
}

/// Ruby's `Float#to_s`: always a decimal point, exponent form outside 1e-4..1e16.
fn ruby_float(float: f64) -> String {
    if float.is_nan() {
        return "NaN".into();
    }
    if float.is_infinite() {
        return if float > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    let magnitude = float.abs();
    if magnitude != 0.0 && !(1e-4..1e16).contains(&magnitude) {
        let text = format!("{float:e}");
        let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
        let mantissa = if mantissa.contains('.') {
            mantissa.to_string()
        } else {
            format!("{mantissa}.0")
        };
        let exponent: i32 = exponent.parse().unwrap_or(0);
        return format!(
            "{mantissa}e{}{:02}",
            if exponent < 0 { '-' } else { '+' },
            exponent.abs()
        );
    }
    let text = format!("{float}");
    if text.contains('.') {
        text
    } else {
        format!("{text}.0")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_nil_and_false_are_falsy() {
        assert!(!is_truthy(&Value::UNDEFINED));
        assert!(!is_truthy(&Value::from(())));
        assert!(!is_truthy(&Value::from(false)));
        assert!(is_truthy(&Value::from(true)));
        assert!(is_truthy(&Value::from("")));
        assert!(is_truthy(&Value::from(0)));
        assert!(is_truthy(&Value::from(Vec::<Value>::new())));
    }

    #[test]
    fn values_print_as_liquid_prints_them() {
        assert_eq!(to_liquid_string(&Value::from(())), "");
        assert_eq!(to_liquid_string(&Value::from(3)), "3");
        assert_eq!(to_liquid_string(&Value::from(3.0)), "3.0");
        assert_eq!(to_liquid_string(&Value::from(0.5)), "0.5");
        assert_eq!(to_liquid_string(&Value::from(1e20)), "1.0e+20");
        assert_eq!(to_liquid_string(&Value::from(vec!["a", "b"])), "ab");
    }
}
