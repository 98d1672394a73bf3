//! Array filters: `first`, `last`, `size`, `join`, `reverse`, `concat`, `map`, `compact`,
//! `uniq`, `sort`, `sort_natural`, `sum`. Inputs go through `InputIterator` (arrays flattened,
//! a single value wrapped, nil empty) where Ruby Liquid does so.

use std::cmp::Ordering;
use std::collections::HashSet;

use minijinja::value::ValueKind;
use minijinja::{Error, Value};

use super::coerce::{
    Lookup, flatten_into, input_items, inspect_into, lookup, nil, property_error, to_s,
};
use super::compare::ruby_cmp;
use super::number::{self, Num, to_number};
use super::{arg, liquid_error, opt_arg};

/// The property argument of `sort`, `uniq`, `compact`, `sum`: given as nil is the same as absent.
fn property(args: &[Value]) -> Option<&Value> {
    opt_arg(args, 0).filter(|p| !nil(p))
}

/// Whether Ruby's `item.respond_to?(:[])` holds.
fn has_brackets(item: &Value) -> bool {
    !matches!(lookup(item, &Value::UNDEFINED), Lookup::NoMethod)
}

/// `first`: an array's first item, a hash's first `[key, value]` pair, a string's first
/// character (as on Shopify, where strings have `first`), nil for anything else.
pub(super) fn first(input: &Value, _args: &[Value]) -> Result<Value, Error> {
    Ok(match input.kind() {
        ValueKind::Seq | ValueKind::Iterable => input.try_iter()?.next().unwrap_or_default(),
        ValueKind::Map => match input.try_iter()?.next() {
            Some(key) => {
                let item = input.get_item(&key).unwrap_or_default();
                Value::from(vec![key, item])
            }
            None => Value::from(()),
        },
        ValueKind::String => to_s(input)
            .chars()
            .next()
            .map_or_else(|| Value::from(""), |c| Value::from(c.to_string())),
        _ => Value::from(()),
    })
}

/// `last`: an array's last item, a string's last character; hashes have no `last` in Ruby.
pub(super) fn last(input: &Value, _args: &[Value]) -> Result<Value, Error> {
    Ok(match input.kind() {
        ValueKind::Seq => match input.len() {
            Some(len) if len > 0 => input.get_item_by_index(len - 1).unwrap_or_default(),
            _ => input.try_iter()?.last().unwrap_or_default(),
        },
        ValueKind::Iterable => input.try_iter()?.last().unwrap_or_default(),
        ValueKind::String => to_s(input)
            .chars()
            .next_back()
            .map_or_else(|| Value::from(""), |c| Value::from(c.to_string())),
        _ => Value::from(()),
    })
}

/// `size`: characters of a string, items of an array or hash; Ruby's `Integer#size` is the
/// 8 bytes of a machine word; anything else without a size is 0.
pub(super) fn size(input: &Value, _args: &[Value]) -> Result<Value, Error> {
    let size = match input.kind() {
        ValueKind::String | ValueKind::Seq | ValueKind::Map => input.len().unwrap_or(0),
        ValueKind::Iterable => input
            .len()
            .unwrap_or_else(|| input.try_iter().map_or(0, Iterator::count)),
        ValueKind::Number if input.is_integer() => 8,
        _ => 0,
    };
    Ok(Value::from(size))
}

/// `join: glue`: items as strings with `glue` between (a space when no glue is given).
pub(super) fn join(input: &Value, args: &[Value]) -> Result<Value, Error> {
    let glue = opt_arg(args, 0).map_or(" ".into(), to_s);
    let mut out = String::new();
    for (index, item) in input_items(input)?.iter().enumerate() {
        if index > 0 {
            out.push_str(&glue);
        }
        out.push_str(&to_s(item));
    }
    Ok(Value::from(out))
}

pub(super) fn reverse(input: &Value, _args: &[Value]) -> Result<Value, Error> {
    let mut items = input_items(input)?;
    items.reverse();
    Ok(Value::from(items))
}

/// `concat: array`: the (flattened) input followed by the argument's items; the argument must
/// be an array.
pub(super) fn concat(input: &Value, args: &[Value]) -> Result<Value, Error> {
    let other = arg(args, 0);
    if other.kind() != ValueKind::Seq {
        return Err(liquid_error("concat filter requires an array argument"));
    }
    let mut items = input_items(input)?;
    items.extend(other.try_iter()?);
    Ok(Value::from(items))
}

/// `map: property`: each item's property; nil items give nil, items that cannot be indexed by
/// the property (numbers, arrays) are an error.
pub(super) fn map(input: &Value, args: &[Value]) -> Result<Value, Error> {
    let property = arg(args, 0);
    let mut mapped = Vec::new();
    for item in input_items(input)? {
        if property.as_str() == Some("to_liquid") {
            mapped.push(item);
            continue;
        }
        mapped.push(match lookup(&item, property) {
            Lookup::Found(value) => value,
            Lookup::NoMethod => Value::from(()),
            Lookup::TypeError => return Err(property_error(property)),
        });
    }
    Ok(Value::from(mapped))
}

/// `compact` drops nil items; `compact: property` drops items whose property is nil.
pub(super) fn compact(input: &Value, args: &[Value]) -> Result<Value, Error> {
    let items = input_items(input)?;
    let Some(property) = property(args) else {
        return Ok(Value::from(
            items
                .into_iter()
                .filter(|item| !nil(item))
                .collect::<Vec<_>>(),
        ));
    };
    let mut kept = Vec::new();
    for item in items {
        match lookup(&item, property) {
            Lookup::Found(value) if nil(&value) => {}
            Lookup::Found(_) => kept.push(item),
            Lookup::NoMethod => return Ok(Value::from(())),
            Lookup::TypeError => return Err(property_error(property)),
        }
    }
    Ok(Value::from(kept))
}

/// A key that is equal exactly when Ruby's `eql?` holds for the common kinds (1 and 1.0 differ).
fn eql_key(value: &Value) -> String {
    let mut key = String::new();
    inspect_into(value, &mut key, 0);
    key
}

/// `uniq` keeps the first of equal items; `uniq: property` compares that property.
pub(super) fn uniq(input: &Value, args: &[Value]) -> Result<Value, Error> {
    let items = input_items(input)?;
    let mut seen = HashSet::new();
    let mut kept = Vec::new();
    match property(args) {
        None => {
            for item in items {
                if seen.insert(eql_key(&item)) {
                    kept.push(item);
                }
            }
        }
        Some(property) => {
            for item in items {
                let key = match lookup(&item, property) {
                    Lookup::Found(value) => value,
                    Lookup::NoMethod => return Ok(Value::from(())),
                    Lookup::TypeError => return Err(property_error(property)),
                };
                if seen.insert(eql_key(&key)) {
                    kept.push(item);
                }
            }
        }
    }
    Ok(Value::from(kept))
}

/// The sort keys: the items themselves, or their property. `None` when some item cannot be
/// indexed at all (Ruby's `sort` then returns nil).
fn sort_keys(items: &[Value], args: &[Value]) -> Result<Option<Vec<Value>>, Error> {
    let Some(property) = property(args) else {
        return Ok(Some(items.to_vec()));
    };
    if !items.iter().all(has_brackets) {
        return Ok(None);
    }
    items
        .iter()
        .map(|item| match lookup(item, property) {
            Lookup::Found(value) => Ok(value),
            _ => Err(property_error(property)),
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// `sort`: Ruby's `<=>` with nil last; values that do not compare (a string and a number) are
/// an error.
pub(super) fn sort(input: &Value, args: &[Value]) -> Result<Value, Error> {
    let items = input_items(input)?;
    if items.is_empty() {
        return Ok(Value::from(Vec::<Value>::new()));
    }
    let Some(keys) = sort_keys(&items, args)? else {
        return Ok(Value::from(()));
    };
    let order = merge_sort(keys.len(), |a, b| {
        let (a, b) = (&keys[a], &keys[b]);
        match ruby_cmp(a, b) {
            Some(ordering) => Ok(ordering),
            None if nil(a) => Ok(Ordering::Greater),
            None if nil(b) => Ok(Ordering::Less),
            None => Err(liquid_error("cannot sort values of incompatible types")),
        }
    })?;
    Ok(Value::from(
        order
            .into_iter()
            .map(|index| items[index].clone())
            .collect::<Vec<_>>(),
    ))
}

/// `sort_natural`: case-insensitive order of the string forms, nil last.
pub(super) fn sort_natural(input: &Value, args: &[Value]) -> Result<Value, Error> {
    let items = input_items(input)?;
    if items.is_empty() {
        return Ok(Value::from(Vec::<Value>::new()));
    }
    let Some(keys) = sort_keys(&items, args)? else {
        return Ok(Value::from(()));
    };
    let folded: Vec<Option<Vec<u8>>> = keys
        .iter()
        .map(|key| (!nil(key)).then(|| to_s(key).bytes().map(|b| b.to_ascii_lowercase()).collect()))
        .collect();
    let order = merge_sort(folded.len(), |a, b| {
        Ok(match (&folded[a], &folded[b]) {
            (Some(a), Some(b)) => a.cmp(b),
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Greater,
            (Some(_), None) => Ordering::Less,
        })
    })?;
    Ok(Value::from(
        order
            .into_iter()
            .map(|index| items[index].clone())
            .collect::<Vec<_>>(),
    ))
}

/// A stable merge sort of `0..len` under a comparison that may fail. Unlike `slice::sort_by`
/// it never panics when the comparison is not a total order (template data can make it so),
/// and the first failing comparison is the error, as in Ruby.
fn merge_sort(
    len: usize,
    mut compare: impl FnMut(usize, usize) -> Result<Ordering, Error>,
) -> Result<Vec<usize>, Error> {
    let mut order: Vec<usize> = (0..len).collect();
    let mut buffer = order.clone();
    let mut width = 1;
    while width < len {
        let mut start = 0;
        while start < len {
            let middle = (start + width).min(len);
            let end = (start + 2 * width).min(len);
            let (mut left, mut right, mut out) = (start, middle, start);
            while left < middle && right < end {
                if compare(order[right], order[left])? == Ordering::Less {
                    buffer[out] = order[right];
                    right += 1;
                } else {
                    buffer[out] = order[left];
                    left += 1;
                }
                out += 1;
            }
            buffer[out..out + middle - left].copy_from_slice(&order[left..middle]);
            out += middle - left;
            buffer[out..out + end - right].copy_from_slice(&order[right..end]);
            start = end;
        }
        std::mem::swap(&mut order, &mut buffer);
        width *= 2;
    }
    Ok(order)
}

/// `sum`, `sum: property`: numbers summed through `to_number` (`"2"` counts as 2), integers
/// staying integers.
pub(super) fn sum(input: &Value, args: &[Value]) -> Result<Value, Error> {
    let items = input_items(input)?;
    let mut values = Vec::with_capacity(items.len());
    match property(args) {
        None => values = items,
        Some(property) => {
            for item in &items {
                match lookup(item, property) {
                    Lookup::Found(value) if value.kind() == ValueKind::Seq => {
                        flatten_into(&value, &mut values, 0)?;
                    }
                    Lookup::Found(value) => values.push(value),
                    Lookup::NoMethod => values.push(Value::from(0)),
                    Lookup::TypeError => return Err(property_error(property)),
                }
            }
        }
    }
    let total = values.iter().fold(Num::Int(0), |total, value| {
        number::add(total, to_number(value))
    });
    Ok(total.into_value())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::theme::engine::liquid::filters::output;

    fn json(text: &str) -> Value {
        let parsed: serde_json::Value = serde_json::from_str(text).expect("test json");
        Value::from(minijinja::value::Serde(parsed))
    }

    /// The result joined with `#`, the way the golden suite looks at arrays.
    fn joined(result: Result<Value, Error>) -> String {
        let value = result.expect("filter result");
        output(&join(&value, &[Value::from("#")]).expect("join"))
    }

    #[test]
    fn first_last_size() {
        assert_eq!(
            first(&json(r#"["a", "b"]"#), &[])
                .expect("first")
                .to_string(),
            "a"
        );
        assert_eq!(joined(first(&json(r#"{"b": 1, "c": 2}"#), &[])), "b#1");
        assert_eq!(
            first(&Value::from("hello"), &[])
                .expect("first")
                .to_string(),
            "h"
        );
        assert!(nil(&first(&Value::from(12), &[]).expect("first")));
        assert_eq!(
            last(&json("[1, 2, 3]"), &[]).expect("last").to_string(),
            "3"
        );
        assert!(nil(&last(&json(r#"{"b": 1}"#), &[]).expect("last")));
        assert_eq!(
            size(&Value::from("abc"), &[]).expect("size").to_string(),
            "3"
        );
        assert_eq!(
            size(&json(r#"{"a": 1, "b": 2}"#), &[])
                .expect("size")
                .to_string(),
            "2"
        );
        assert_eq!(size(&Value::UNDEFINED, &[]).expect("size").to_string(), "0");
    }

    #[test]
    fn joining_and_reversing() {
        assert_eq!(
            output(&join(&json(r#"["a", "b"]"#), &[]).expect("join")),
            "a b"
        );
        assert_eq!(
            output(&join(&json(r#"["a", "b"]"#), &[Value::UNDEFINED]).expect("join")),
            "ab"
        );
        assert_eq!(
            output(&join(&json("[1, [2, [3]]]"), &[Value::from(5)]).expect("join")),
            "15253"
        );
        assert_eq!(
            joined(reverse(&json(r#"["a", "b", 1, [], {}]"#), &[])),
            "{}#1#b#a"
        );
        assert_eq!(joined(reverse(&Value::from(123), &[])), "123");
    }

    #[test]
    fn concat_and_map() {
        assert_eq!(
            joined(concat(&json(r#"[["a", "x"], ["b"]]"#), &[json(r#"["c"]"#)])),
            "a#x#b#c"
        );
        assert_eq!(
            joined(concat(&Value::UNDEFINED, &[json(r#"["c", "d"]"#)])),
            "c#d"
        );
        assert!(concat(&json("[1]"), &[Value::from(5)]).is_err());
        let items = json(r#"[{"title": "foo"}, [{"title": "bar"}], {"heading": "baz"}]"#);
        assert_eq!(joined(map(&items, &[Value::from("title")])), "foo#bar#");
        assert_eq!(
            joined(map(&json(r#"{"title": "foo"}"#), &[Value::from("title")])),
            "foo"
        );
        assert!(map(&json(r#"[{"title": "foo"}, 5]"#), &[Value::from("title")]).is_err());
        assert!(map(&Value::from(123), &[Value::from("title")]).is_err());
    }

    #[test]
    fn compacting_and_uniq() {
        assert_eq!(joined(compact(&json(r#"["b", null, "A"]"#), &[])), "b#A");
        let items = json(r#"[{"t": "foo"}, {"t": null}, {"x": 1}]"#);
        assert_eq!(
            compact(&items, &[Value::from("t")]).expect("compact").len(),
            Some(1)
        );
        assert_eq!(
            joined(uniq(&json(r#"["a", "b", "b", 1, 1, 1.0]"#), &[])),
            "a#b#1#1.0"
        );
        assert_eq!(joined(uniq(&json(r#"["a", [], {}, {}]"#), &[])), "a#{}");
        let items = json(r#"[{"t": "foo", "n": 1}, {"t": "foo", "n": 2}, {"x": 1}, {"y": 2}]"#);
        assert_eq!(
            uniq(&items, &[Value::from("t")]).expect("uniq").len(),
            Some(2)
        );
    }

    #[test]
    fn sorting() {
        assert_eq!(
            joined(sort(&json(r#"["b", "a", "C", "B", "A"]"#), &[])),
            "A#B#C#a#b"
        );
        assert_eq!(
            joined(sort(&json("[1, 1000, 3, 30, 2.5]"), &[])),
            "1#2.5#3#30#1000"
        );
        assert_eq!(joined(sort(&json(r#"["b", null, "a"]"#), &[])), "a#b#");
        assert!(sort(&json(r#"[[], {}, 1, "4"]"#), &[]).is_err());
        let items = json(r#"[{"t": "foo"}, {"h": "Baz"}, {"t": "bar"}]"#);
        assert_eq!(
            joined(map(
                &sort(&items, &[Value::from("t")]).expect("sort"),
                &[Value::from("t")]
            )),
            "bar#foo#"
        );
        assert_eq!(
            joined(sort_natural(&json(r#"["b", "a", "C", "B", "A"]"#), &[])),
            "a#A#b#B#C"
        );
        assert_eq!(
            joined(sort_natural(&json(r#"[{}, 1, "4"]"#), &[])),
            "1#4#{}"
        );
        let items = json(r#"[{"t": 9}, {"t": 1111}, {"t": 87}]"#);
        assert_eq!(
            joined(map(
                &sort_natural(&items, &[Value::from("t")]).expect("sort"),
                &[Value::from("t")]
            )),
            "1111#87#9"
        );
    }

    #[test]
    fn merge_sort_is_stable_and_total() {
        let keys = [3, 1, 2, 1, 3, 0];
        let order = merge_sort(keys.len(), |a, b| Ok(keys[a].cmp(&keys[b]))).expect("sort");
        assert_eq!(order, [5, 1, 3, 2, 0, 4]);
        // An inconsistent comparison does not panic.
        let order = merge_sort(50, |a, b| {
            Ok(if (a * 7 + b) % 3 == 0 {
                Ordering::Less
            } else {
                Ordering::Greater
            })
        });
        assert_eq!(order.expect("sort").len(), 50);
    }

    #[test]
    fn summing() {
        assert_eq!(
            sum(&json("[1, [2, [3]]]"), &[]).expect("sum").to_string(),
            "6"
        );
        assert_eq!(
            sum(&json(r#"["-1", "-2", "-3"]"#), &[])
                .expect("sum")
                .to_string(),
            "-6"
        );
        assert_eq!(
            sum(
                &json(r#"[{"k": "1"}, {"k": 2}, {"x": 3}]"#),
                &[Value::from("k")]
            )
            .expect("sum")
            .to_string(),
            "3"
        );
        assert_eq!(
            sum(&json(r#"[{"k": 1}]"#), &[]).expect("sum").to_string(),
            "0"
        );
        assert_eq!(output(&sum(&json("[0.1, 0.2]"), &[]).expect("sum")), "0.3");
        assert!(sum(&json("[1, 2]"), &[Value::from("k")]).is_err());
        assert_eq!(sum(&json("[]"), &[]).expect("sum").to_string(), "0");
    }
}
