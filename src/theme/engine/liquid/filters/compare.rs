//! Ruby's `==` and `<=>` between values, as `where`, `uniq` and `sort` apply them: numbers
//! compare across integer and float, arrays and hashes element by element.

use std::cmp::Ordering;

use minijinja::Value;
use minijinja::value::ValueKind;

use super::coerce::MAX_DEPTH;
use super::number;

/// Ruby's `==` between template values: numbers by value (`1 == 1.0`), no coercion between
/// strings and numbers, arrays and hashes element by element.
pub(super) fn ruby_eq(a: &Value, b: &Value) -> bool {
    ruby_eq_at(a, b, 0)
}

fn ruby_eq_at(a: &Value, b: &Value, depth: usize) -> bool {
    if depth > MAX_DEPTH {
        return false;
    }
    match (a.kind(), b.kind()) {
        (ValueKind::Undefined | ValueKind::None, ValueKind::Undefined | ValueKind::None) => true,
        (ValueKind::Undefined | ValueKind::None, _)
        | (_, ValueKind::Undefined | ValueKind::None) => false,
        (ValueKind::Number, ValueKind::Number) => {
            number::compare_values(a, b) == Some(Ordering::Equal)
        }
        (ValueKind::String, ValueKind::String) => a.as_str() == b.as_str(),
        (ValueKind::Bool, ValueKind::Bool) => a.is_true() == b.is_true(),
        (ValueKind::Seq, ValueKind::Seq) => {
            let (Ok(left), Ok(right)) = (a.try_iter(), b.try_iter()) else {
                return false;
            };
            let left: Vec<Value> = left.collect();
            let right: Vec<Value> = right.collect();
            left.len() == right.len()
                && left
                    .iter()
                    .zip(&right)
                    .all(|(x, y)| ruby_eq_at(x, y, depth + 1))
        }
        (ValueKind::Map, ValueKind::Map) => {
            if a.len() != b.len() {
                return false;
            }
            let Ok(keys) = a.try_iter() else {
                return false;
            };
            keys.into_iter().all(|key| {
                let left = a.get_item(&key).unwrap_or_default();
                let right = b.get_item(&key).unwrap_or_default();
                left.is_undefined() == right.is_undefined() && ruby_eq_at(&left, &right, depth + 1)
            })
        }
        (ValueKind::Number | ValueKind::String | ValueKind::Bool, _)
        | (_, ValueKind::Number | ValueKind::String | ValueKind::Bool) => false,
        _ => a == b,
    }
}

/// Ruby's `<=>`: `None` where Ruby answers nil (values of different classes, hashes).
pub(super) fn ruby_cmp(a: &Value, b: &Value) -> Option<Ordering> {
    ruby_cmp_at(a, b, 0)
}

fn ruby_cmp_at(a: &Value, b: &Value, depth: usize) -> Option<Ordering> {
    if depth > MAX_DEPTH {
        return None;
    }
    match (a.kind(), b.kind()) {
        (ValueKind::Number, ValueKind::Number) => number::compare_values(a, b),
        (ValueKind::String, ValueKind::String) => Some(a.as_str().cmp(&b.as_str())),
        (ValueKind::Undefined | ValueKind::None, ValueKind::Undefined | ValueKind::None) => {
            Some(Ordering::Equal)
        }
        (ValueKind::Bool, ValueKind::Bool) if a.is_true() == b.is_true() => Some(Ordering::Equal),
        (ValueKind::Seq, ValueKind::Seq) => {
            let left: Vec<Value> = a.try_iter().ok()?.collect();
            let right: Vec<Value> = b.try_iter().ok()?.collect();
            for (x, y) in left.iter().zip(&right) {
                match ruby_cmp_at(x, y, depth + 1)? {
                    Ordering::Equal => {}
                    other => return Some(other),
                }
            }
            Some(left.len().cmp(&right.len()))
        }
        _ => None,
    }
}
