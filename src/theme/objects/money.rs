//! Money formatting the way Shopify's `money` filters do it: a shop-level format string such as
//! `${{amount}}` or `{{amount_with_comma_separator}} €` whose placeholder names pick the
//! thousands and decimal separators. Amounts are integers in the currency's minor unit (cents).
//!
//! Reference: Shopify's `money` filter docs (theme-liquid-docs `filters.json`, "money").

use std::fmt::Write as _;

/// How the decimals of an amount are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MoneyStyle {
    /// Drop the decimals when they are zero (`money_without_trailing_zeros`): `$10`, not `$10.00`.
    pub strip_zero_cents: bool,
}

/// One placeholder's separators.
#[derive(Debug, Clone, Copy)]
struct AmountShape {
    thousands: &'static str,
    decimal: &'static str,
    decimals: bool,
}

fn shape_of(placeholder: &str) -> Option<AmountShape> {
    let (thousands, decimal, decimals) = match placeholder {
        "amount" => (",", ".", true),
        "amount_no_decimals" => (",", ".", false),
        "amount_with_comma_separator" => (".", ",", true),
        "amount_no_decimals_with_comma_separator" => (".", ",", false),
        "amount_with_apostrophe_separator" => ("'", ".", true),
        "amount_no_decimals_with_space_separator" => (" ", ",", false),
        "amount_with_space_separator" => (" ", ",", true),
        "amount_with_period_and_space_separator" => (" ", ".", true),
        _ => return None,
    };
    Some(AmountShape {
        thousands,
        decimal,
        decimals,
    })
}

/// Formats `cents` with a Shopify money format string, e.g. `format_money(113465, "${{amount}}")`
/// is `$1,134.65`. Unknown placeholders are left as written; a negative amount gets a leading `-`.
pub fn format_money(cents: i64, format: &str) -> String {
    format_money_with(cents, format, MoneyStyle::default())
}

/// `money_without_trailing_zeros`: like [`format_money`] but `.00` / `,00` are dropped.
pub fn format_money_without_trailing_zeros(cents: i64, format: &str) -> String {
    format_money_with(
        cents,
        format,
        MoneyStyle {
            strip_zero_cents: true,
        },
    )
}

/// `money_without_currency`: only the amount, shaped by the first placeholder of `format`
/// (so a shop using `{{amount_with_comma_separator}}` still gets `1.134,65`).
pub fn format_amount_only(cents: i64, format: &str) -> String {
    let name = placeholders(format)
        .find(|name| shape_of(name).is_some())
        .unwrap_or("amount");
    let mut single = String::with_capacity(name.len() + 4);
    single.push_str("{{");
    single.push_str(name);
    single.push_str("}}");
    format_money(cents, &single)
}

/// Formats with an explicit [`MoneyStyle`].
pub fn format_money_with(cents: i64, format: &str, style: MoneyStyle) -> String {
    let abs = cents.unsigned_abs();
    let mut out = String::with_capacity(format.len() + 16);
    let mut any_nonzero = false;
    let mut rest = format;
    while let Some(open) = rest.find("{{") {
        let after_open = &rest[open + 2..];
        let Some(close) = after_open.find("}}") else {
            break;
        };
        let name = after_open[..close].trim();
        out.push_str(&rest[..open]);
        match shape_of(name) {
            Some(shape) => any_nonzero |= write_amount(&mut out, abs, shape, style),
            // Unknown text between braces is not ours to interpret: keep it verbatim.
            None => out.push_str(&rest[open..open + 2 + close + 2]),
        }
        rest = &after_open[close + 2..];
    }
    out.push_str(rest);
    if cents < 0 && any_nonzero {
        out.insert(0, '-');
    }
    out
}

/// Writes one amount; returns whether the printed number is non-zero (so `-0` is never shown).
fn write_amount(out: &mut String, abs: u64, shape: AmountShape, style: MoneyStyle) -> bool {
    if shape.decimals {
        let units = abs / 100;
        let frac = abs % 100;
        push_grouped(out, units, shape.thousands);
        if !(style.strip_zero_cents && frac == 0) {
            out.push_str(shape.decimal);
            // Writing to a String cannot fail.
            let _ = write!(out, "{frac:02}");
        }
        abs != 0
    } else {
        // Half rounds up. `abs` is at most 2^63, so adding 50 cannot overflow a u64.
        let units = (abs + 50) / 100;
        push_grouped(out, units, shape.thousands);
        units != 0
    }
}

fn push_grouped(out: &mut String, units: u64, separator: &str) {
    let digits = units.to_string();
    let len = digits.len();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (len - i) % 3 == 0 {
            out.push_str(separator);
        }
        out.push(digit);
    }
}

/// The trimmed names between `{{` and `}}` in a format string.
fn placeholders(format: &str) -> impl Iterator<Item = &str> {
    let mut rest = format;
    std::iter::from_fn(move || {
        let open = rest.find("{{")?;
        let after = &rest[open + 2..];
        let close = after.find("}}")?;
        let name = after[..close].trim();
        rest = &after[close + 2..];
        Some(name)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn every_placeholder() {
        let cases = [
            ("{{amount}}", "1,134.65"),
            ("{{amount_no_decimals}}", "1,135"),
            ("{{amount_with_comma_separator}}", "1.134,65"),
            ("{{amount_no_decimals_with_comma_separator}}", "1.135"),
            ("{{amount_with_apostrophe_separator}}", "1'134.65"),
            ("{{amount_no_decimals_with_space_separator}}", "1 135"),
            ("{{amount_with_space_separator}}", "1 134,65"),
            ("{{amount_with_period_and_space_separator}}", "1 134.65"),
        ];
        for (format, expected) in cases {
            assert_eq!(format_money(113465, format), expected, "{format}");
        }
    }

    #[test]
    fn inner_spaces_and_surrounding_text() {
        assert_eq!(format_money(113465, "${{ amount }} CAD"), "$1,134.65 CAD");
        assert_eq!(format_money(100100, "${{amount}} CAD"), "$1,001.00 CAD");
        assert_eq!(format_money(5, "{{amount}}"), "0.05");
        assert_eq!(format_money(0, "${{amount}}"), "$0.00");
    }

    #[test]
    fn large_amounts_group_every_three_digits() {
        assert_eq!(format_money(123456789012, "{{amount}}"), "1,234,567,890.12");
        assert_eq!(format_money(100000, "{{amount_no_decimals}}"), "1,000");
        assert_eq!(format_money(99999, "{{amount}}"), "999.99");
    }

    #[test]
    fn half_rounds_up() {
        assert_eq!(format_money(150, "{{amount_no_decimals}}"), "2");
        assert_eq!(format_money(149, "{{amount_no_decimals}}"), "1");
        assert_eq!(format_money(250, "{{amount_no_decimals}}"), "3");
    }

    #[test]
    fn negatives_lead_with_minus() {
        assert_eq!(format_money(-113465, "${{amount}}"), "-$1,134.65");
        assert_eq!(format_money(-150, "{{amount_no_decimals}} €"), "-2 €");
        // Rounds to zero: no "-0".
        assert_eq!(format_money(-4, "{{amount_no_decimals}}"), "0");
    }

    #[test]
    fn unknown_placeholders_and_broken_braces_stay_verbatim() {
        assert_eq!(
            format_money(100, "{{ price }} {{amount}}"),
            "{{ price }} 1.00"
        );
        assert_eq!(format_money(100, "${{amount"), "${{amount");
        assert_eq!(format_money(100, "no placeholder"), "no placeholder");
    }

    #[test]
    fn without_trailing_zeros() {
        assert_eq!(
            format_money_without_trailing_zeros(1000, "${{amount}}"),
            "$10"
        );
        assert_eq!(
            format_money_without_trailing_zeros(1050, "${{amount}}"),
            "$10.50"
        );
        assert_eq!(
            format_money_without_trailing_zeros(100000, "{{amount_with_comma_separator}} €"),
            "1.000 €"
        );
    }

    #[test]
    fn amount_only_uses_the_shop_placeholder() {
        assert_eq!(format_amount_only(113465, "${{amount}}"), "1,134.65");
        assert_eq!(
            format_amount_only(113465, "{{ amount_with_comma_separator }} €"),
            "1.134,65"
        );
        assert_eq!(format_amount_only(113465, "no placeholder"), "1,134.65");
    }

    #[test]
    fn extremes() {
        assert_eq!(
            format_money(i64::MIN, "{{amount}}"),
            "-92,233,720,368,547,758.08"
        );
        assert_eq!(
            format_money(i64::MAX, "{{amount_no_decimals}}"),
            "92,233,720,368,547,758"
        );
    }

    proptest! {
        #[test]
        fn never_panics(cents in any::<i64>(), format in ".*") {
            let _ = format_money(cents, &format);
            let _ = format_money_without_trailing_zeros(cents, &format);
            let _ = format_amount_only(cents, &format);
        }

        #[test]
        fn never_panics_near_placeholders(
            cents in any::<i64>(),
            format in r"[{} a-z_$€é,.]{0,40}",
        ) {
            let _ = format_money(cents, &format);
            let _ = format_money_without_trailing_zeros(cents, &format);
        }
    }
}
