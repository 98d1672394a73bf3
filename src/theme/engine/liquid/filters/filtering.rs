//! `where`, `reject`, `find`, `find_index`, `has`: Ruby Liquid's `filter_array`. With one
//! argument an item matches when its property is truthy; with a value (not nil) when the
//! property equals it. An item that cannot be indexed at all (nil, a boolean) makes the whole
//! filter nil, one that cannot be indexed by the property (a number) is an error.

use minijinja::{Error, Value};

use super::arg;
use super::coerce::{Lookup, input_items, lookup, nil, property_error, truthy};
use super::compare::ruby_eq;

enum Outcome {
    /// One answer per item, in order.
    Matches(Vec<bool>),
    /// An item had no `[]`: Ruby's `return nil` out of the filter.
    Nil,
}

/// Answers item by item; with `first_only` it stops at the first match, as Ruby's `find` and
/// `any?` do (so a later nil or number is never looked at).
fn matches(items: &[Value], args: &[Value], first_only: bool) -> Result<Outcome, Error> {
    let property = arg(args, 0);
    let target = arg(args, 1);
    let mut answers = Vec::with_capacity(items.len());
    for item in items {
        let value = match lookup(item, property) {
            Lookup::Found(value) => value,
            Lookup::NoMethod => return Ok(Outcome::Nil),
            Lookup::TypeError => return Err(property_error(property)),
        };
        let matched = if nil(target) {
            truthy(&value)
        } else {
            ruby_eq(&value, target)
        };
        answers.push(matched);
        if matched && first_only {
            break;
        }
    }
    Ok(Outcome::Matches(answers))
}

/// Runs `pick` over the items and their answers, or gives nil. `default` is the result for an
/// empty input (Ruby returns it before looking at any item).
fn filter_array(
    input: &Value,
    args: &[Value],
    default: Value,
    first_only: bool,
    pick: impl FnOnce(Vec<Value>, Vec<bool>) -> Value,
) -> Result<Value, Error> {
    let items = input_items(input)?;
    // An undefined property selects nothing: the suite's `a | reject: nosuchthing` is empty,
    // as `a | where: nosuchthing` is.
    if items.is_empty() || nil(arg(args, 0)) {
        return Ok(default);
    }
    Ok(match matches(&items, args, first_only)? {
        Outcome::Matches(answers) => pick(items, answers),
        Outcome::Nil => Value::from(()),
    })
}

pub(super) fn where_(input: &Value, args: &[Value]) -> Result<Value, Error> {
    filter_array(
        input,
        args,
        Value::from(Vec::<Value>::new()),
        false,
        |items, answers| {
            Value::from(
                items
                    .into_iter()
                    .zip(answers)
                    .filter_map(|(item, keep)| keep.then_some(item))
                    .collect::<Vec<_>>(),
            )
        },
    )
}

pub(super) fn reject(input: &Value, args: &[Value]) -> Result<Value, Error> {
    filter_array(
        input,
        args,
        Value::from(Vec::<Value>::new()),
        false,
        |items, answers| {
            Value::from(
                items
                    .into_iter()
                    .zip(answers)
                    .filter_map(|(item, matched)| (!matched).then_some(item))
                    .collect::<Vec<_>>(),
            )
        },
    )
}

pub(super) fn find(input: &Value, args: &[Value]) -> Result<Value, Error> {
    filter_array(input, args, Value::from(()), true, |items, answers| {
        items
            .into_iter()
            .zip(answers)
            .find_map(|(item, matched)| matched.then_some(item))
            .unwrap_or_default()
    })
}

pub(super) fn find_index(input: &Value, args: &[Value]) -> Result<Value, Error> {
    filter_array(input, args, Value::from(()), true, |_, answers| {
        answers
            .iter()
            .position(|&matched| matched)
            .map_or(Value::from(()), Value::from)
    })
}

pub(super) fn has(input: &Value, args: &[Value]) -> Result<Value, Error> {
    filter_array(input, args, Value::from(false), true, |_, answers| {
        Value::from(answers.contains(&true))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::theme::engine::liquid::filters::output;

    fn json(text: &str) -> Value {
        let parsed: serde_json::Value = serde_json::from_str(text).expect("test json");
        Value::from(minijinja::value::Serde(parsed))
    }

    fn run(f: super::super::FilterFn, input: &str, args: &[Value]) -> Result<String, Error> {
        f(&json(input), args).map(|value| output(&value))
    }

    fn s(text: &str) -> Value {
        Value::from(text)
    }

    #[test]
    fn where_and_reject() {
        let items = r#"[{"b": false}, {"b": "bar"}, {"b": null}]"#;
        let titles = |result: Value| {
            result
                .try_iter()
                .expect("list")
                .map(|item| output(&item.get_attr("b").unwrap_or_default()))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            titles(where_(&json(items), &[s("b")]).expect("where")),
            ["bar"]
        );
        assert_eq!(
            titles(where_(&json(items), &[s("b"), Value::from(())]).expect("where")),
            ["bar"]
        );
        assert_eq!(
            titles(where_(&json(items), &[s("b"), Value::from(false)]).expect("where")),
            ["false"]
        );
        assert_eq!(
            titles(reject(&json(items), &[s("b")]).expect("reject")),
            ["false", ""]
        );
        assert!(where_(&Value::from(123), &[s("title")]).is_err());
        assert_eq!(run(where_, "null", &[s("title")]).as_deref().ok(), Some(""));
        assert!(reject(&json(r#"["x", "cat", 1]"#), &[s("c")]).is_err());
        assert_eq!(
            run(reject, r#"["x", "cat", null]"#, &[s("c")])
                .ok()
                .as_deref(),
            Some("")
        );
        assert_eq!(
            run(reject, r#"["x", "y", "cat"]"#, &[s("c")])
                .ok()
                .as_deref(),
            Some("xy")
        );
    }

    #[test]
    fn find_and_find_index() {
        let items = r#"[{"x": 99}, {"z": 42, "foo": "bar"}]"#;
        let found = find(&json(items), &[s("z"), Value::from(42)]).expect("find");
        assert_eq!(found.get_attr("foo").expect("foo").to_string(), "bar");
        assert_eq!(
            run(find_index, items, &[s("z"), Value::from(42)])
                .ok()
                .as_deref(),
            Some("1")
        );
        assert_eq!(
            run(find, r#"["x", "y", "zoo"]"#, &[s("oo")])
                .ok()
                .as_deref(),
            Some("zoo")
        );
        assert_eq!(
            run(find_index, r#"{"z": 42}"#, &[s("z")]).ok().as_deref(),
            Some("0")
        );
        assert_eq!(
            run(find_index, r#"{"z": null}"#, &[s("z"), Value::from(())])
                .ok()
                .as_deref(),
            Some("")
        );
        assert_eq!(
            run(find, r#"["x", null, "z"]"#, &[s("z")]).ok().as_deref(),
            Some("")
        );
    }

    #[test]
    fn has_answers_true_false_or_nil() {
        let items = r#"[{"x": 99}, {"z": 42}]"#;
        assert_eq!(
            run(has, items, &[s("z"), Value::from(42)]).ok().as_deref(),
            Some("true")
        );
        assert_eq!(
            run(has, items, &[s("z"), Value::from(7)]).ok().as_deref(),
            Some("false")
        );
        assert_eq!(
            run(has, items, &[Value::from(42)]).ok().as_deref(),
            Some("false")
        );
        assert_eq!(
            run(has, r#"{"z": 42}"#, &[s("z"), s("42")]).ok().as_deref(),
            Some("false")
        );
        assert_eq!(
            run(has, r#"{"z": false}"#, &[s("z"), Value::from(false)])
                .ok()
                .as_deref(),
            Some("true")
        );
        assert_eq!(
            run(has, "[1, 2, 3]", &[Value::from(2)]).ok().as_deref(),
            Some("true")
        );
        assert!(has(&json("[1, 2, 3]"), &[s("2")]).is_err());
        assert_eq!(
            run(has, r#"[{"x": 99}, null]"#, &[s("z")]).ok().as_deref(),
            Some("")
        );
        assert_eq!(run(has, "[]", &[s("z")]).ok().as_deref(), Some("false"));
    }

    /// A drop-like object: it answers property lookups but is not a map of JSON data.
    #[derive(Debug)]
    struct ProductDrop {
        title: &'static str,
        available: bool,
    }

    impl minijinja::value::Object for ProductDrop {
        fn repr(self: &std::sync::Arc<Self>) -> minijinja::value::ObjectRepr {
            minijinja::value::ObjectRepr::Plain
        }

        fn get_value(self: &std::sync::Arc<Self>, key: &Value) -> Option<Value> {
            match key.as_str()? {
                "title" => Some(Value::from(self.title)),
                "available" => Some(Value::from(self.available)),
                _ => None,
            }
        }
    }

    #[test]
    fn drops_answer_property_lookups() {
        let products = Value::from(vec![
            Value::from_object(ProductDrop {
                title: "Hat",
                available: false,
            }),
            Value::from_object(ProductDrop {
                title: "Shoe",
                available: true,
            }),
        ]);
        let available = where_(&products, &[s("available")]).expect("where");
        assert_eq!(available.len(), Some(1));
        let titles = super::super::arrays::map(&products, &[s("title")]).expect("map");
        assert_eq!(output(&titles), "HatShoe");
        let found = find(&products, &[s("title"), s("Shoe")]).expect("find");
        assert_eq!(found.get_attr("title").expect("title").to_string(), "Shoe");
        assert_eq!(
            run_value(has, &products, &[s("available"), Value::from(true)]),
            "true"
        );
        let sorted = super::super::arrays::sort(&products, &[s("title")]).expect("sort");
        assert_eq!(
            output(&super::super::arrays::map(&sorted, &[s("title")]).expect("map")),
            "HatShoe"
        );
    }

    fn run_value(f: super::super::FilterFn, input: &Value, args: &[Value]) -> String {
        output(&f(input, args).expect("filter result"))
    }
}
