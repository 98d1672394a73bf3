//! `default`: the fallback for nil, false and empty values.

use minijinja::value::ValueKind;
use minijinja::{Error, Value};

use super::coerce::{nil, truthy};

/// `default: value, allow_false: flag`. The input is replaced when it is nil, false (unless
/// `allow_false` is truthy) or an empty string, array or hash. `0` and `0.0` are kept. The
/// keyword arguments arrive as a trailing map, Ruby's `options` hash.
pub(super) fn default(input: &Value, args: &[Value]) -> Result<Value, Error> {
    let (positional, options) = match args.split_last() {
        Some((last, rest)) if last.is_kwargs() => (rest, Some(last)),
        _ => (args, None),
    };
    let fallback = positional
        .first()
        .cloned()
        .unwrap_or_else(|| Value::from(""));
    let allow_false = options
        .and_then(|options| options.get_attr("allow_false").ok())
        .is_some_and(|flag| truthy(&flag));
    let missing = if allow_false {
        nil(input)
    } else {
        !truthy(input)
    };
    let empty = match input.kind() {
        ValueKind::String | ValueKind::Seq | ValueKind::Map => input.len() == Some(0),
        _ => false,
    };
    Ok(if missing || empty {
        fallback
    } else {
        input.clone()
    })
}

#[cfg(test)]
mod tests {
    use super::super::test_environment;

    fn render(template: &str) -> String {
        test_environment()
            .render_str(
                template,
                minijinja::context! { empty_list => Vec::<i32>::new() },
            )
            .expect("renders")
    }

    #[test]
    fn falls_back_for_nil_false_and_empty() {
        assert_eq!(render("{{ none|liquid_default('foo') }}"), "foo");
        assert_eq!(render("{{ nosuch|liquid_default('bar') }}"), "bar");
        assert_eq!(render("{{ false|liquid_default('foo') }}"), "foo");
        assert_eq!(render("{{ ''|liquid_default('foo') }}"), "foo");
        assert_eq!(render("{{ empty_list|liquid_default('foo') }}"), "foo");
        assert_eq!(render("{{ 0|liquid_default('bar') }}"), "0");
        assert_eq!(render("{{ false|liquid_default }}"), "");
    }

    #[test]
    fn allow_false_keeps_false() {
        assert_eq!(
            render("{{ false|liquid_default('bar', allow_false=true) }}"),
            "false"
        );
        assert_eq!(
            render("{{ false|liquid_default('bar', allow_false=false) }}"),
            "bar"
        );
        assert_eq!(
            render("{{ none|liquid_default('bar', allow_false=true) }}"),
            "bar"
        );
        assert!(minijinja_err(
            "{{ none|liquid_default('foo', 'bar', 'baz') }}"
        ));
    }

    fn minijinja_err(template: &str) -> bool {
        test_environment().render_str(template, ()).is_err()
    }
}
