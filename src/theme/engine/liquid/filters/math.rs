//! Arithmetic filters: `plus`, `minus`, `times`, `divided_by`, `modulo`, `abs`, `ceil`, `floor`,
//! `round`, `at_least`, `at_most`. Both sides go through `Utils.to_number`; integers stay
//! integers, any float makes the result a float.

use std::cmp::Ordering;

use minijinja::{Error, Value};

use super::arg;
use super::number::{self, Num, to_number};

/// Both operands plain integers (not floats, not strings): the common case in loops, done
/// without the decimal machinery. None sends the call down the general path.
fn integers(input: &Value, args: &[Value]) -> Option<(i64, i64)> {
    let other = args.first()?;
    if input.is_integer() && other.is_integer() {
        Some((input.as_i64()?, other.as_i64()?))
    } else {
        None
    }
}

pub(super) fn plus(input: &Value, args: &[Value]) -> Result<Value, Error> {
    if let Some(sum) = integers(input, args).and_then(|(a, b)| a.checked_add(b)) {
        return Ok(Value::from(sum));
    }
    Ok(number::add(to_number(input), to_number(arg(args, 0))).into_value())
}

pub(super) fn minus(input: &Value, args: &[Value]) -> Result<Value, Error> {
    if let Some(difference) = integers(input, args).and_then(|(a, b)| a.checked_sub(b)) {
        return Ok(Value::from(difference));
    }
    Ok(number::sub(to_number(input), to_number(arg(args, 0))).into_value())
}

pub(super) fn times(input: &Value, args: &[Value]) -> Result<Value, Error> {
    Ok(number::mul(to_number(input), to_number(arg(args, 0))).into_value())
}

pub(super) fn divided_by(input: &Value, args: &[Value]) -> Result<Value, Error> {
    number::div(to_number(input), to_number(arg(args, 0))).map(Num::into_value)
}

pub(super) fn modulo(input: &Value, args: &[Value]) -> Result<Value, Error> {
    // Ruby's `%` takes the divisor's sign; zero divisors take the general path (its error).
    if let Some((a, b)) = integers(input, args)
        && let Some(rest) = a.checked_rem(b)
    {
        let floored = if rest != 0 && (rest < 0) != (b < 0) {
            rest + b
        } else {
            rest
        };
        return Ok(Value::from(floored));
    }
    number::rem(to_number(input), to_number(arg(args, 0))).map(Num::into_value)
}

pub(super) fn abs(input: &Value, _args: &[Value]) -> Result<Value, Error> {
    Ok(number::abs(to_number(input)).into_value())
}

pub(super) fn ceil(input: &Value, _args: &[Value]) -> Result<Value, Error> {
    if let Some(float) = plain_float(input) {
        return Ok(Num::Int(float.ceil() as i128).into_value());
    }
    number::ceil(to_number(input)).map(Num::into_value)
}

pub(super) fn floor(input: &Value, _args: &[Value]) -> Result<Value, Error> {
    if let Some(float) = plain_float(input) {
        return Ok(Num::Int(float.floor() as i128).into_value());
    }
    number::floor(to_number(input)).map(Num::into_value)
}

/// A finite float input of moderate size: its ceiling and floor are the same as those of the
/// decimal Ruby would make of it (no integer lies between a float and its shortest digits), so
/// the decimal detour can be skipped.
fn plain_float(input: &Value) -> Option<f64> {
    if input.is_integer() || !input.is_number() {
        return None;
    }
    f64::try_from(input.clone())
        .ok()
        .filter(|float| float.is_finite() && float.abs() < 1e15)
}

/// `round: n`, where `n` itself goes through `to_number` (`"1"` is 1, `1.2` is 1, `"foo"` 0).
pub(super) fn round(input: &Value, args: &[Value]) -> Result<Value, Error> {
    let digits = number::truncate_to_i64(to_number(arg(args, 0)));
    number::round(to_number(input), digits).map(Num::into_value)
}

pub(super) fn at_least(input: &Value, args: &[Value]) -> Result<Value, Error> {
    let minimum = to_number(arg(args, 0));
    let value = to_number(input);
    let result = if number::compare(minimum, value) == Some(Ordering::Greater) {
        minimum
    } else {
        value
    };
    Ok(result.into_value())
}

pub(super) fn at_most(input: &Value, args: &[Value]) -> Result<Value, Error> {
    let maximum = to_number(arg(args, 0));
    let value = to_number(input);
    let result = if number::compare(maximum, value) == Some(Ordering::Less) {
        maximum
    } else {
        value
    };
    Ok(result.into_value())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::theme::engine::liquid::filters::output;

    fn run(f: super::super::FilterFn, input: Value, args: &[Value]) -> String {
        output(&f(&input, args).expect("filter result"))
    }

    #[test]
    fn plus_minus_times_keep_integers_and_decimals() {
        assert_eq!(run(plus, Value::from(10), &[Value::from(2)]), "12");
        assert_eq!(run(plus, Value::from(10), &[Value::from(2.0)]), "12.0");
        assert_eq!(
            run(plus, Value::from("10.1"), &[Value::from("2.2")]),
            "12.3"
        );
        assert_eq!(run(plus, Value::from("foo"), &[Value::from("2.0")]), "2.0");
        assert_eq!(run(minus, Value::from(10.1), &[Value::from(2.2)]), "7.9");
        assert_eq!(run(minus, Value::UNDEFINED, &[Value::from(2)]), "-2");
        assert_eq!(run(times, Value::from(5), &[Value::from(2.1)]), "10.5");
        assert_eq!(run(times, Value::from(5), &[Value::UNDEFINED]), "0");
    }

    #[test]
    fn division_and_modulo() {
        assert_eq!(run(divided_by, Value::from(9), &[Value::from(2)]), "4");
        assert_eq!(run(divided_by, Value::from(9.0), &[Value::from(2)]), "4.5");
        assert_eq!(run(divided_by, Value::from("10"), &[Value::from("2")]), "5");
        assert_eq!(run(divided_by, Value::from(0), &[Value::from(1.1)]), "0.0");
        assert!(divided_by(&Value::from(10), &[Value::from(0)]).is_err());
        assert!(divided_by(&Value::from(10), &[Value::UNDEFINED]).is_err());
        assert_eq!(run(modulo, Value::from(10.1), &[Value::from(7.0)]), "3.1");
        assert_eq!(run(modulo, Value::from("10"), &[Value::from("2.0")]), "0.0");
        assert!(modulo(&Value::from(5), &[Value::from("foo")]).is_err());
    }

    #[test]
    fn rounding_filters() {
        assert_eq!(run(abs, Value::from("-5.1"), &[]), "5.1");
        assert_eq!(run(abs, Value::from(-5), &[]), "5");
        assert_eq!(run(ceil, Value::from("5.1"), &[]), "6");
        assert_eq!(run(floor, Value::from(-5.4), &[]), "-6");
        assert_eq!(run(floor, Value::from("hello"), &[]), "0");
        assert_eq!(run(round, Value::from(5.666), &[Value::from(1.2)]), "5.7");
        assert_eq!(run(round, Value::from(5.666), &[Value::from("1")]), "5.7");
        assert_eq!(run(round, Value::from(5.666), &[Value::from("foo")]), "6");
        assert_eq!(run(round, Value::from(5.666), &[Value::from(-2)]), "0");
        assert_eq!(
            run(round, Value::from("5.666666"), &[Value::from(2)]),
            "5.67"
        );
        assert_eq!(run(round, Value::UNDEFINED, &[Value::from(2)]), "0");
    }

    #[test]
    fn bounds() {
        assert_eq!(run(at_least, Value::from(5.4), &[Value::from(8.9)]), "8.9");
        assert_eq!(run(at_least, Value::from("abc"), &[Value::from(-2)]), "0");
        assert_eq!(run(at_least, Value::from(5), &[Value::UNDEFINED]), "5");
        assert_eq!(run(at_most, Value::from("9"), &[Value::from(8)]), "8");
        assert_eq!(run(at_most, Value::from(5), &[Value::UNDEFINED]), "0");
        assert_eq!(run(at_most, Value::from(8.4), &[Value::from(5.9)]), "5.9");
    }
}
