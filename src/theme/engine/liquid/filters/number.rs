//! Liquid's numbers: Ruby integers, and floats turned into `BigDecimal` for arithmetic so that
//! `10.1 | minus: 2.2` is `7.9`, not `7.8999999999999995`. Integers and decimals are exact here
//! (i128 mantissas); anything out of that range falls back to `f64`.

use std::cmp::Ordering;

use minijinja::value::ValueKind;
use minijinja::{Error, Value};

use super::coerce::to_s;
use super::liquid_error;

/// A decimal `mantissa * 10^-scale`, the part of `BigDecimal` Liquid needs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Decimal {
    mantissa: i128,
    scale: u32,
}

/// A number as Liquid's `Utils.to_number` gives it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Num {
    Int(i128),
    Dec(Decimal),
    /// Infinity, NaN, or a magnitude the decimal cannot hold.
    Float(f64),
}

fn pow10(exponent: u32) -> Option<i128> {
    10i128.checked_pow(exponent)
}

impl Decimal {
    /// The decimal Ruby's `BigDecimal(float.to_s)` gives: the shortest digits that read back as
    /// the same float.
    fn from_f64(float: f64) -> Num {
        if !float.is_finite() {
            return Num::Float(float);
        }
        let text = format!("{float:e}");
        Self::parse_scientific(&text).map_or(Num::Float(float), Num::Dec)
    }

    fn parse_scientific(text: &str) -> Option<Decimal> {
        let (digits, exponent) = text.split_once('e')?;
        let exponent: i64 = exponent.parse().ok()?;
        let (int_part, frac_part) = digits.split_once('.').unwrap_or((digits, ""));
        let joined = format!("{int_part}{frac_part}");
        let mantissa: i128 = joined.parse().ok()?;
        let scale = frac_part.len() as i64 - exponent;
        Self::with_scale(mantissa, scale)
    }

    fn with_scale(mantissa: i128, scale: i64) -> Option<Decimal> {
        if scale < 0 {
            let factor = pow10(u32::try_from(-scale).ok()?)?;
            Some(Decimal {
                mantissa: mantissa.checked_mul(factor)?,
                scale: 0,
            })
        } else {
            Some(Decimal {
                mantissa,
                scale: u32::try_from(scale).ok()?,
            })
        }
    }

    /// `-?\d+\.\d+`, exactly.
    fn parse_plain(text: &str) -> Option<Decimal> {
        let (int_part, frac_part) = text.split_once('.')?;
        let joined = format!("{int_part}{frac_part}");
        let mantissa: i128 = joined.parse().ok()?;
        Some(Decimal {
            mantissa,
            scale: u32::try_from(frac_part.len()).ok()?,
        })
    }

    fn from_int(int: i128) -> Decimal {
        Decimal {
            mantissa: int,
            scale: 0,
        }
    }

    pub(super) fn to_f64(self) -> f64 {
        if self.scale == 0 {
            return self.mantissa as f64;
        }
        format!("{}e-{}", self.mantissa, self.scale)
            .parse()
            .unwrap_or(f64::NAN)
    }

    /// Both mantissas at one scale.
    fn align(self, other: Decimal) -> Option<(i128, i128, u32)> {
        let scale = self.scale.max(other.scale);
        let left = self.mantissa.checked_mul(pow10(scale - self.scale)?)?;
        let right = other.mantissa.checked_mul(pow10(scale - other.scale)?)?;
        Some((left, right, scale))
    }
}

impl Num {
    fn to_f64(self) -> f64 {
        match self {
            Num::Int(int) => int as f64,
            Num::Dec(dec) => dec.to_f64(),
            Num::Float(float) => float,
        }
    }

    fn to_decimal(self) -> Option<Decimal> {
        match self {
            Num::Int(int) => Some(Decimal::from_int(int)),
            Num::Dec(dec) => Some(dec),
            Num::Float(_) => None,
        }
    }

    pub(super) fn is_zero(self) -> bool {
        match self {
            Num::Int(int) => int == 0,
            Num::Dec(dec) => dec.mantissa == 0,
            Num::Float(float) => float == 0.0,
        }
    }

    /// The value a filter returns: Ruby converts a `BigDecimal` result back with `to_f`.
    pub(super) fn into_value(self) -> Value {
        match self {
            Num::Int(int) => match i64::try_from(int) {
                Ok(small) => Value::from(small),
                Err(_) => Value::from(int),
            },
            Num::Dec(dec) => Value::from(dec.to_f64()),
            Num::Float(float) => Value::from(float),
        }
    }
}

/// Ruby Liquid's `Utils.to_number`: numbers as they are, `"3.5"`-shaped strings as decimals,
/// other strings through `String#to_i` (`"12abc"` is 12, `"foo"` is 0), anything else 0.
pub(super) fn to_number(value: &Value) -> Num {
    match value.kind() {
        ValueKind::Number => {
            if value.is_integer() {
                match i128::try_from(value.clone()) {
                    Ok(int) => Num::Int(int),
                    Err(_) => Num::Float(f64::try_from(value.clone()).unwrap_or(f64::NAN)),
                }
            } else {
                Decimal::from_f64(f64::try_from(value.clone()).unwrap_or(f64::NAN))
            }
        }
        ValueKind::String | ValueKind::Bytes => parse_number(&to_s(value)),
        _ => Num::Int(0),
    }
}

fn parse_number(text: &str) -> Num {
    let stripped = text.trim_matches(|c: char| c.is_ascii_whitespace() || c == '\0');
    if is_decimal_literal(stripped) {
        return match Decimal::parse_plain(stripped) {
            Some(dec) => Num::Dec(dec),
            None => Num::Float(stripped.parse().unwrap_or(0.0)),
        };
    }
    Num::Int(string_to_i(text))
}

fn is_decimal_literal(text: &str) -> bool {
    let body = text.strip_prefix('-').unwrap_or(text);
    match body.split_once('.') {
        Some((int_part, frac_part)) => {
            !int_part.is_empty()
                && !frac_part.is_empty()
                && int_part.bytes().all(|b| b.is_ascii_digit())
                && frac_part.bytes().all(|b| b.is_ascii_digit())
        }
        None => false,
    }
}

/// Ruby's `String#to_i`: leading whitespace, a sign, digits (single underscores allowed between
/// them), then whatever follows is ignored.
fn string_to_i(text: &str) -> i128 {
    let bytes = text
        .trim_start_matches(|c: char| c.is_ascii_whitespace())
        .as_bytes();
    let (negative, rest) = match bytes.first() {
        Some(b'-') => (true, &bytes[1..]),
        Some(b'+') => (false, &bytes[1..]),
        _ => (false, bytes),
    };
    let mut result: i128 = 0;
    let mut previous_digit = false;
    for (index, &byte) in rest.iter().enumerate() {
        if byte.is_ascii_digit() {
            result = result
                .saturating_mul(10)
                .saturating_add(i128::from(byte - b'0'));
            previous_digit = true;
        } else if byte == b'_'
            && previous_digit
            && rest.get(index + 1).is_some_and(u8::is_ascii_digit)
        {
            previous_digit = false;
        } else {
            break;
        }
    }
    if negative { -result } else { result }
}

pub(super) fn add(a: Num, b: Num) -> Num {
    match (a, b) {
        (Num::Int(x), Num::Int(y)) => x
            .checked_add(y)
            .map_or(Num::Float(x as f64 + y as f64), Num::Int),
        _ => decimal_op(a, b, |x, y| {
            let (l, r, scale) = x.align(y)?;
            Some(Decimal {
                mantissa: l.checked_add(r)?,
                scale,
            })
        })
        .unwrap_or_else(|| Num::Float(a.to_f64() + b.to_f64())),
    }
}

pub(super) fn sub(a: Num, b: Num) -> Num {
    match (a, b) {
        (Num::Int(x), Num::Int(y)) => x
            .checked_sub(y)
            .map_or(Num::Float(x as f64 - y as f64), Num::Int),
        _ => decimal_op(a, b, |x, y| {
            let (l, r, scale) = x.align(y)?;
            Some(Decimal {
                mantissa: l.checked_sub(r)?,
                scale,
            })
        })
        .unwrap_or_else(|| Num::Float(a.to_f64() - b.to_f64())),
    }
}

pub(super) fn mul(a: Num, b: Num) -> Num {
    match (a, b) {
        (Num::Int(x), Num::Int(y)) => x
            .checked_mul(y)
            .map_or(Num::Float(x as f64 * y as f64), Num::Int),
        _ => decimal_op(a, b, |x, y| {
            Some(Decimal {
                mantissa: x.mantissa.checked_mul(y.mantissa)?,
                scale: x.scale.checked_add(y.scale)?,
            })
        })
        .unwrap_or_else(|| Num::Float(a.to_f64() * b.to_f64())),
    }
}

/// Ruby's `/`: floor division between integers, decimal division otherwise.
pub(super) fn div(a: Num, b: Num) -> Result<Num, Error> {
    if b.is_zero() {
        return Err(liquid_error("divided by 0"));
    }
    Ok(match (a, b) {
        (Num::Int(x), Num::Int(y)) => match (x.checked_div(y), x.checked_rem(y)) {
            (Some(q), Some(r)) if r != 0 && ((r < 0) != (y < 0)) => Num::Int(q - 1),
            (Some(q), Some(_)) => Num::Int(q),
            _ => Num::Float(x as f64 / y as f64),
        },
        _ => match (a.to_decimal(), b.to_decimal()) {
            (Some(x), Some(y)) => decimal_quotient(x, y)
                .map_or_else(|| Num::Float(a.to_f64() / b.to_f64()), Num::Float),
            _ => Num::Float(a.to_f64() / b.to_f64()),
        },
    })
}

/// Ruby's `%`: the result takes the sign of the divisor.
pub(super) fn rem(a: Num, b: Num) -> Result<Num, Error> {
    if b.is_zero() {
        return Err(liquid_error("divided by 0"));
    }
    let floored = |l: i128, r: i128| -> Option<i128> {
        let m = l.checked_rem(r)?;
        Some(if m != 0 && ((m < 0) != (r < 0)) {
            m + r
        } else {
            m
        })
    };
    Ok(match (a, b) {
        (Num::Int(x), Num::Int(y)) => floored(x, y).map_or(Num::Int(0), Num::Int),
        _ => decimal_op(a, b, |x, y| {
            let (l, r, scale) = x.align(y)?;
            Some(Decimal {
                mantissa: floored(l, r)?,
                scale,
            })
        })
        .unwrap_or_else(|| {
            let (x, y) = (a.to_f64(), b.to_f64());
            let m = x % y;
            Num::Float(if m != 0.0 && ((m < 0.0) != (y < 0.0)) {
                m + y
            } else {
                m
            })
        }),
    })
}

fn decimal_op(a: Num, b: Num, op: impl Fn(Decimal, Decimal) -> Option<Decimal>) -> Option<Num> {
    op(a.to_decimal()?, b.to_decimal()?).map(Num::Dec)
}

/// `x / y` for decimals, to 30 significant digits, then read as a float (Ruby's `to_f`).
fn decimal_quotient(x: Decimal, y: Decimal) -> Option<f64> {
    let numerator = x.mantissa.checked_mul(pow10(y.scale)?)?;
    let denominator = y.mantissa.checked_mul(pow10(x.scale)?)?;
    let negative = (numerator < 0) != (denominator < 0);
    let (n, d) = (numerator.unsigned_abs(), denominator.unsigned_abs());
    let mut text = String::new();
    if negative {
        text.push('-');
    }
    let integer = n / d;
    let mut remainder = n % d;
    text.push_str(&integer.to_string());
    text.push('.');
    let mut significant = if integer == 0 {
        0
    } else {
        integer.to_string().len()
    };
    let mut fraction_digits = 0;
    while remainder != 0 && significant < 30 && fraction_digits < 400 {
        remainder = remainder.checked_mul(10)?;
        let digit = remainder / d;
        remainder %= d;
        text.push(char::from(b'0' + digit as u8));
        fraction_digits += 1;
        if significant > 0 || digit != 0 {
            significant += 1;
        }
    }
    text.push('0');
    text.parse().ok()
}

pub(super) fn abs(n: Num) -> Num {
    match n {
        Num::Int(int) => int
            .checked_abs()
            .map_or(Num::Float((int as f64).abs()), Num::Int),
        Num::Dec(dec) => Num::Dec(Decimal {
            mantissa: dec.mantissa.saturating_abs(),
            scale: dec.scale,
        }),
        Num::Float(float) => Num::Float(float.abs()),
    }
}

/// Ruby's `FloatDomainError` for turning Infinity or NaN into an integer.
fn domain_error(float: f64) -> Error {
    liquid_error(if float.is_nan() {
        "NaN"
    } else if float > 0.0 {
        "Infinity"
    } else {
        "-Infinity"
    })
}

fn float_to_int(float: f64) -> Result<Num, Error> {
    if float.is_finite() {
        Ok(Num::Int(float as i128))
    } else {
        Err(domain_error(float))
    }
}

pub(super) fn floor(n: Num) -> Result<Num, Error> {
    match n {
        Num::Int(_) => Ok(n),
        Num::Dec(dec) => Ok(Num::Int(divide_rounding(
            dec.mantissa,
            dec.scale,
            Rounding::Floor,
        ))),
        Num::Float(float) => float_to_int(float.floor()),
    }
}

pub(super) fn ceil(n: Num) -> Result<Num, Error> {
    match n {
        Num::Int(_) => Ok(n),
        Num::Dec(dec) => Ok(Num::Int(divide_rounding(
            dec.mantissa,
            dec.scale,
            Rounding::Ceil,
        ))),
        Num::Float(float) => float_to_int(float.ceil()),
    }
}

#[derive(Clone, Copy)]
enum Rounding {
    Floor,
    Ceil,
    /// Half away from zero: Ruby's `round` and BigDecimal's default `ROUND_HALF_UP`.
    HalfUp,
}

/// `mantissa / 10^shift` rounded as asked.
fn divide_rounding(mantissa: i128, shift: u32, mode: Rounding) -> i128 {
    let Some(divisor) = pow10(shift) else {
        // |mantissa| < 10^38 < divisor, so the quotient is below one in magnitude.
        return match mode {
            Rounding::Floor if mantissa < 0 => -1,
            Rounding::Ceil if mantissa > 0 => 1,
            _ => 0,
        };
    };
    let quotient = mantissa / divisor;
    let remainder = mantissa % divisor;
    if remainder == 0 {
        return quotient;
    }
    match mode {
        Rounding::Floor if mantissa < 0 => quotient - 1,
        Rounding::Ceil if mantissa > 0 => quotient + 1,
        Rounding::HalfUp if remainder.unsigned_abs() >= divisor.unsigned_abs() / 2 => {
            quotient + mantissa.signum()
        }
        _ => quotient,
    }
}

/// Ruby's `round(digits)`: integers stay integers, decimals round half away from zero, and
/// fewer than one digit gives an integer.
pub(super) fn round(n: Num, digits: i64) -> Result<Num, Error> {
    match n {
        Num::Int(int) => {
            if digits >= 0 {
                return Ok(n);
            }
            let shift = u32::try_from(digits.unsigned_abs()).unwrap_or(u32::MAX);
            let rounded = divide_rounding(int, shift, Rounding::HalfUp);
            Ok(Num::Int(
                pow10(shift)
                    .and_then(|p| rounded.checked_mul(p))
                    .unwrap_or(0),
            ))
        }
        Num::Dec(dec) => {
            if digits < 1 {
                let up = u32::try_from(digits.unsigned_abs()).unwrap_or(u32::MAX);
                let shift = dec.scale.saturating_add(up);
                let rounded = divide_rounding(dec.mantissa, shift, Rounding::HalfUp);
                Ok(Num::Int(
                    pow10(up).and_then(|p| rounded.checked_mul(p)).unwrap_or(0),
                ))
            } else if digits >= i64::from(dec.scale) {
                Ok(n)
            } else {
                let shift = dec.scale - digits as u32;
                Ok(Num::Dec(Decimal {
                    mantissa: divide_rounding(dec.mantissa, shift, Rounding::HalfUp),
                    scale: digits as u32,
                }))
            }
        }
        Num::Float(float) => {
            if digits < 1 {
                if !float.is_finite() {
                    return Err(domain_error(float));
                }
                let factor = 10f64.powi(i32::try_from(-digits).unwrap_or(i32::MAX));
                Ok(Num::Int(((float / factor).round() * factor) as i128))
            } else {
                Ok(n)
            }
        }
    }
}

/// A number as a whole count, truncated toward zero and clamped (Ruby's `NUM2INT`).
pub(super) fn truncate_to_i64(n: Num) -> i64 {
    let whole = match n {
        Num::Int(int) => int,
        Num::Dec(dec) => {
            let mode = if dec.mantissa < 0 {
                Rounding::Ceil
            } else {
                Rounding::Floor
            };
            divide_rounding(dec.mantissa, dec.scale, mode)
        }
        Num::Float(float) if float.is_finite() => float.trunc() as i128,
        Num::Float(_) => 0,
    };
    i64::try_from(whole).unwrap_or(if whole < 0 { i64::MIN } else { i64::MAX })
}

/// Exact comparison (`<=>` between numbers).
pub(super) fn compare(a: Num, b: Num) -> Option<Ordering> {
    match (a, b) {
        (Num::Int(x), Num::Int(y)) => Some(x.cmp(&y)),
        _ => match (a.to_decimal(), b.to_decimal()) {
            (Some(x), Some(y)) => match x.align(y) {
                Some((l, r, _)) => Some(l.cmp(&r)),
                None => a.to_f64().partial_cmp(&b.to_f64()),
            },
            _ => a.to_f64().partial_cmp(&b.to_f64()),
        },
    }
}

/// Compares two minijinja numbers exactly (an integer against a float too).
pub(super) fn compare_values(a: &Value, b: &Value) -> Option<Ordering> {
    if a.is_integer() && b.is_integer() {
        if let (Ok(x), Ok(y)) = (i128::try_from(a.clone()), i128::try_from(b.clone())) {
            return Some(x.cmp(&y));
        }
    }
    let x = f64::try_from(a.clone()).ok()?;
    let y = f64::try_from(b.clone()).ok()?;
    if a.is_integer() && !b.is_integer() {
        if let Ok(int) = i128::try_from(a.clone()) {
            return int_float_cmp(int, y);
        }
    }
    if b.is_integer() && !a.is_integer() {
        if let Ok(int) = i128::try_from(b.clone()) {
            return int_float_cmp(int, x).map(Ordering::reverse);
        }
    }
    x.partial_cmp(&y)
}

/// An integer against a float without rounding the integer first.
fn int_float_cmp(int: i128, float: f64) -> Option<Ordering> {
    if float.is_nan() {
        return None;
    }
    if float >= 1.7e38 {
        return Some(Ordering::Less);
    }
    if float <= -1.7e38 {
        return Some(Ordering::Greater);
    }
    let whole = float.trunc();
    match int.cmp(&(whole as i128)) {
        Ordering::Equal => {
            let fraction = float - whole;
            Some(if fraction > 0.0 {
                Ordering::Less
            } else if fraction < 0.0 {
                Ordering::Greater
            } else {
                Ordering::Equal
            })
        }
        other => Some(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(n: Num) -> String {
        crate::theme::engine::liquid::filters::output(&n.into_value())
    }

    fn num(text: &str) -> Num {
        to_number(&Value::from(text))
    }

    #[test]
    fn strings_become_numbers_like_utils_to_number() {
        assert_eq!(num("3"), Num::Int(3));
        assert_eq!(show(num("3.0")), "3.0");
        assert_eq!(num("foo"), Num::Int(0));
        assert_eq!(num("12abc"), Num::Int(12));
        assert_eq!(num(" -5 "), Num::Int(-5));
        assert_eq!(num("1_000"), Num::Int(1000));
        assert_eq!(num("1e5"), Num::Int(1));
        assert_eq!(show(num("-5.1")), "-5.1");
        assert_eq!(to_number(&Value::from(())), Num::Int(0));
    }

    #[test]
    fn float_arithmetic_is_decimal() {
        let f = |x: f64| to_number(&Value::from(x));
        assert_eq!(show(sub(f(10.1), f(2.2))), "7.9");
        assert_eq!(show(add(f(0.1), f(0.2))), "0.3");
        assert_eq!(show(mul(f(0.1), Num::Int(3))), "0.3");
        assert_eq!(show(rem(f(10.1), f(7.0)).expect("rem")), "3.1");
        assert_eq!(show(div(f(0.3), f(0.1)).expect("div")), "3.0");
        assert_eq!(
            show(div(Num::Int(20), f(7.0)).expect("div")),
            "2.857142857142857"
        );
        assert_eq!(show(div(Num::Int(10), f(2.0)).expect("div")), "5.0");
    }

    #[test]
    fn integer_division_floors_and_zero_is_an_error() {
        assert_eq!(div(Num::Int(9), Num::Int(2)).ok(), Some(Num::Int(4)));
        assert_eq!(div(Num::Int(-9), Num::Int(2)).ok(), Some(Num::Int(-5)));
        assert_eq!(rem(Num::Int(-7), Num::Int(3)).ok(), Some(Num::Int(2)));
        assert_eq!(rem(Num::Int(7), Num::Int(-3)).ok(), Some(Num::Int(-2)));
        let err = div(Num::Int(1), Num::Int(0)).expect_err("zero");
        assert!(err.to_string().contains("divided by 0"));
        assert!(rem(Num::Int(1), to_number(&Value::from(0.0))).is_err());
    }

    #[test]
    fn rounding_matches_ruby() {
        let f = |x: f64| to_number(&Value::from(x));
        assert_eq!(show(round(f(5.666), 1).expect("round")), "5.7");
        assert_eq!(show(round(f(2.675), 2).expect("round")), "2.68");
        assert_eq!(show(round(f(5.666), 0).expect("round")), "6");
        assert_eq!(show(round(f(5.666), -2).expect("round")), "0");
        assert_eq!(show(round(f(-2.5), 0).expect("round")), "-3");
        assert_eq!(show(round(Num::Int(15), -1).expect("round")), "20");
        assert_eq!(show(round(Num::Int(5), 2).expect("round")), "5");
        assert_eq!(show(floor(f(-5.4)).expect("floor")), "-6");
        assert_eq!(show(ceil(f(5.1)).expect("ceil")), "6");
        assert!(ceil(Num::Float(f64::INFINITY)).is_err());
    }

    #[test]
    fn comparisons_are_exact() {
        assert_eq!(
            compare(Num::Int(5), to_number(&Value::from(5.0))),
            Some(Ordering::Equal)
        );
        assert_eq!(
            compare_values(
                &Value::from(9007199254740993i64),
                &Value::from(9007199254740992.0)
            ),
            Some(Ordering::Greater)
        );
    }
}
