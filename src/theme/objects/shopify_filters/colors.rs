//! Color filters: <https://shopify.dev/docs/api/liquid/filters/color-filters>.
//!
//! Input is a CSS color string (`#fff`, `#7ab55c`, `#7ab55c80`, `rgb()`, `rgba()`, `hsl()`,
//! `hsla()`) or a `color` object (a map with `red`, `green`, `blue`, `alpha`). Filters that
//! return a color keep the input's notation, as Shopify does; a hex color that gains
//! transparency becomes `rgba()`. A color that cannot be read is returned unchanged (string
//! filters) or gives nothing (number filters).

use minijinja::value::ValueKind;
use minijinja::{Environment, Value};

use super::{attr, number, text, trim_decimal};

pub fn register(env: &mut Environment<'_>) {
    env.add_filter("color_to_rgb", |v: Value| convert(&v, Color::rgb_notation));
    env.add_filter("color_to_hsl", |v: Value| convert(&v, Color::hsl_notation));
    env.add_filter("color_to_hex", |v: Value| convert(&v, Color::hex));
    env.add_filter("color_extract", color_extract);
    env.add_filter("color_brightness", |v: Value| {
        Color::parse(&v).map(|c| Value::from(round_to(c.brightness(), 2)))
    });
    env.add_filter("color_contrast", |v: Value, other: Value| {
        let (a, b) = (Color::parse(&v)?, Color::parse(&other)?);
        Some(Value::from(round_to(a.contrast(&b), 1)))
    });
    env.add_filter("color_difference", |v: Value, other: Value| {
        let (a, b) = (Color::parse(&v)?, Color::parse(&other)?);
        let channel = |x: f64, y: f64| (x.round() - y.round()).abs();
        let sum = channel(a.r, b.r) + channel(a.g, b.g) + channel(a.b, b.b);
        Some(Value::from(sum as i64))
    });
    env.add_filter("brightness_difference", |v: Value, other: Value| {
        let (a, b) = (Color::parse(&v)?, Color::parse(&other)?);
        Some(Value::from(
            (a.brightness() - b.brightness()).abs().round() as i64
        ))
    });
    env.add_filter("color_modify", color_modify);
    env.add_filter("color_lighten", |v: Value, by: Value| {
        adjust_hsl(&v, &by, |h, by| h.l += by)
    });
    env.add_filter("color_darken", |v: Value, by: Value| {
        adjust_hsl(&v, &by, |h, by| h.l -= by)
    });
    env.add_filter("color_saturate", |v: Value, by: Value| {
        adjust_hsl(&v, &by, |h, by| h.s += by)
    });
    env.add_filter("color_desaturate", |v: Value, by: Value| {
        adjust_hsl(&v, &by, |h, by| h.s -= by)
    });
    env.add_filter("color_mix", color_mix);
}

/// How a color was written, so a changed color is written the same way.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Notation {
    Hex,
    Rgb,
    Hsl,
}

/// An sRGB color: channels 0..=255 (unrounded), alpha 0..=1.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Color {
    r: f64,
    g: f64,
    b: f64,
    a: f64,
    notation: Notation,
}

/// Hue in degrees, saturation and lightness 0..=100.
#[derive(Debug, Clone, Copy)]
struct Hsl {
    h: f64,
    s: f64,
    l: f64,
}

fn round_to(value: f64, places: i32) -> f64 {
    let scale = 10f64.powi(places);
    (value * scale).round() / scale
}

fn channel(value: f64) -> u8 {
    // `as` saturates; the clamp keeps NaN-free values in range.
    value.round().clamp(0.0, 255.0) as u8
}

impl Color {
    fn parse(value: &Value) -> Option<Color> {
        if let Some(setting) = value.downcast_object_ref::<ColorSetting>() {
            return Some(setting.color);
        }
        if value.kind() == ValueKind::Map {
            if let (Some(r), Some(g), Some(b)) = (
                attr(value, "red"),
                attr(value, "green"),
                attr(value, "blue"),
            ) {
                let alpha = attr(value, "alpha").and_then(|a| number(&a)).unwrap_or(1.0);
                return Some(Color {
                    r: number(&r)?,
                    g: number(&g)?,
                    b: number(&b)?,
                    a: alpha.clamp(0.0, 1.0),
                    notation: Notation::Hex,
                });
            }
            return None;
        }
        Color::parse_str(&text(value))
    }

    fn parse_str(raw: &str) -> Option<Color> {
        let raw = raw.trim().to_ascii_lowercase();
        if let Some(hex) = raw.strip_prefix('#') {
            return Color::parse_hex(hex);
        }
        let (name, rest) = raw.split_once('(')?;
        let inner = rest.strip_suffix(')')?;
        let parts: Vec<&str> = inner
            .split(|c: char| c == ',' || c == '/' || c.is_whitespace())
            .filter(|p| !p.is_empty())
            .collect();
        if !(3..=4).contains(&parts.len()) {
            return None;
        }
        let alpha = match parts.get(3) {
            Some(a) => match a.strip_suffix('%') {
                Some(pct) => pct.parse::<f64>().ok()? / 100.0,
                None => a.parse::<f64>().ok()?,
            },
            None => 1.0,
        }
        .clamp(0.0, 1.0);
        match name.trim() {
            "rgb" | "rgba" => {
                let read = |p: &str| -> Option<f64> {
                    match p.strip_suffix('%') {
                        Some(pct) => Some(pct.parse::<f64>().ok()? * 2.55),
                        None => p.parse::<f64>().ok(),
                    }
                    .map(|v| v.clamp(0.0, 255.0))
                };
                Some(Color {
                    r: read(parts[0])?,
                    g: read(parts[1])?,
                    b: read(parts[2])?,
                    a: alpha,
                    notation: Notation::Rgb,
                })
            }
            "hsl" | "hsla" => {
                let h = parts[0].trim_end_matches("deg").parse::<f64>().ok()?;
                let pct = |p: &str| p.trim_end_matches('%').parse::<f64>().ok();
                let hsl = Hsl {
                    h,
                    s: pct(parts[1])?,
                    l: pct(parts[2])?,
                };
                let mut color = Color::from_hsl(hsl, alpha);
                color.notation = Notation::Hsl;
                Some(color)
            }
            _ => None,
        }
    }

    fn parse_hex(hex: &str) -> Option<Color> {
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let digits: Vec<u8> = match hex.len() {
            // `#abc` is `#aabbcc`.
            3 | 4 => hex.bytes().flat_map(|b| [b, b]).collect(),
            6 | 8 => hex.bytes().collect(),
            _ => return None,
        };
        let byte = |i: usize| -> Option<f64> {
            let pair = std::str::from_utf8(digits.get(i..i + 2)?).ok()?;
            u8::from_str_radix(pair, 16).ok().map(f64::from)
        };
        let a = if digits.len() == 8 {
            byte(6)? / 255.0
        } else {
            1.0
        };
        Some(Color {
            r: byte(0)?,
            g: byte(2)?,
            b: byte(4)?,
            a,
            notation: Notation::Hex,
        })
    }

    fn to_hsl(self) -> Hsl {
        let (r, g, b) = (self.r / 255.0, self.g / 255.0, self.b / 255.0);
        let max = r.max(g).max(b);
        let min = r.min(g).min(b);
        let l = (max + min) / 2.0;
        let d = max - min;
        if d == 0.0 {
            return Hsl {
                h: 0.0,
                s: 0.0,
                l: l * 100.0,
            };
        }
        let s = if l > 0.5 {
            d / (2.0 - max - min)
        } else {
            d / (max + min)
        };
        let h = if max == r {
            (g - b) / d + if g < b { 6.0 } else { 0.0 }
        } else if max == g {
            (b - r) / d + 2.0
        } else {
            (r - g) / d + 4.0
        };
        Hsl {
            h: h * 60.0,
            s: s * 100.0,
            l: l * 100.0,
        }
    }

    fn from_hsl(hsl: Hsl, a: f64) -> Color {
        let h = hsl.h.rem_euclid(360.0) / 360.0;
        let s = (hsl.s / 100.0).clamp(0.0, 1.0);
        let l = (hsl.l / 100.0).clamp(0.0, 1.0);
        let (r, g, b) = if s == 0.0 {
            (l, l, l)
        } else {
            let q = if l < 0.5 {
                l * (1.0 + s)
            } else {
                l + s - l * s
            };
            let p = 2.0 * l - q;
            (
                hue_to_rgb(p, q, h + 1.0 / 3.0),
                hue_to_rgb(p, q, h),
                hue_to_rgb(p, q, h - 1.0 / 3.0),
            )
        };
        Color {
            r: r * 255.0,
            g: g * 255.0,
            b: b * 255.0,
            a,
            notation: Notation::Hsl,
        }
    }

    /// Perceived brightness (W3C's AERT formula), 0..=255.
    fn brightness(&self) -> f64 {
        let (r, g, b) = (self.r.round(), self.g.round(), self.b.round());
        (r * 299.0 + g * 587.0 + b * 114.0) / 1000.0
    }

    /// WCAG 2 relative luminance.
    fn luminance(&self) -> f64 {
        let linear = |c: f64| {
            let c = c.round() / 255.0;
            if c <= 0.03928 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * linear(self.r) + 0.7152 * linear(self.g) + 0.0722 * linear(self.b)
    }

    fn contrast(&self, other: &Color) -> f64 {
        let (a, b) = (self.luminance(), other.luminance());
        (a.max(b) + 0.05) / (a.min(b) + 0.05)
    }

    fn hex(&self) -> String {
        format!(
            "#{:02x}{:02x}{:02x}",
            channel(self.r),
            channel(self.g),
            channel(self.b)
        )
    }

    fn alpha_text(&self) -> String {
        trim_decimal(self.a, 2)
    }

    fn rgb_notation(&self) -> String {
        let (r, g, b) = (channel(self.r), channel(self.g), channel(self.b));
        if self.a < 1.0 {
            format!("rgba({r}, {g}, {b}, {})", self.alpha_text())
        } else {
            format!("rgb({r}, {g}, {b})")
        }
    }

    fn hsl_notation(&self) -> String {
        let hsl = self.to_hsl();
        let (h, s, l) = (hsl.h.round(), hsl.s.round(), hsl.l.round());
        if self.a < 1.0 {
            format!("hsla({h}, {s}%, {l}%, {})", self.alpha_text())
        } else {
            format!("hsl({h}, {s}%, {l}%)")
        }
    }

    /// The color written as its input was.
    fn in_notation(&self) -> String {
        match self.notation {
            Notation::Hex if self.a < 1.0 => self.rgb_notation(),
            Notation::Hex => self.hex(),
            Notation::Rgb => self.rgb_notation(),
            Notation::Hsl => self.hsl_notation(),
        }
    }
}

fn hue_to_rgb(p: f64, q: f64, t: f64) -> f64 {
    let t = t.rem_euclid(1.0);
    if t < 1.0 / 6.0 {
        p + (q - p) * 6.0 * t
    } else if t < 0.5 {
        q
    } else if t < 2.0 / 3.0 {
        p + (q - p) * (2.0 / 3.0 - t) * 6.0
    } else {
        p
    }
}

fn convert(value: &Value, write: fn(&Color) -> String) -> Value {
    match Color::parse(value) {
        Some(color) => Value::from(write(&color)),
        None => value.clone(),
    }
}

/// `'#7ab55c' | color_extract: 'red'` → `122`.
fn color_extract(value: Value, component: Value) -> Value {
    let Some(color) = Color::parse(&value) else {
        return Value::from(());
    };
    let hsl = color.to_hsl();
    let whole = |v: f64| Value::from(v.round() as i64);
    match text(&component).as_ref() {
        "red" => whole(color.r),
        "green" => whole(color.g),
        "blue" => whole(color.b),
        "alpha" => Value::from(round_to(color.a, 2)),
        "hue" => whole(hsl.h),
        "saturation" => whole(hsl.s),
        "lightness" => whole(hsl.l),
        _ => Value::from(()),
    }
}

/// `'#7ab55c' | color_modify: 'red', 255` sets one component.
fn color_modify(value: Value, component: Value, amount: Value) -> Value {
    let (Some(mut color), Some(amount)) = (Color::parse(&value), number(&amount)) else {
        return value;
    };
    let notation = color.notation;
    match text(&component).as_ref() {
        "red" => color.r = amount.clamp(0.0, 255.0),
        "green" => color.g = amount.clamp(0.0, 255.0),
        "blue" => color.b = amount.clamp(0.0, 255.0),
        "alpha" => color.a = amount.clamp(0.0, 1.0),
        part @ ("hue" | "saturation" | "lightness") => {
            let mut hsl = color.to_hsl();
            match part {
                "hue" => hsl.h = amount.clamp(0.0, 360.0),
                "saturation" => hsl.s = amount.clamp(0.0, 100.0),
                _ => hsl.l = amount.clamp(0.0, 100.0),
            }
            color = Color::from_hsl(hsl, color.a);
            color.notation = notation;
        }
        _ => return value,
    }
    Value::from(color.in_notation())
}

/// Lightens, darkens, saturates or desaturates by percentage points of HSL.
fn adjust_hsl(value: &Value, by: &Value, change: fn(&mut Hsl, f64)) -> Value {
    let (Some(color), Some(by)) = (Color::parse(value), number(by)) else {
        return value.clone();
    };
    let mut hsl = color.to_hsl();
    change(&mut hsl, by.clamp(0.0, 100.0));
    hsl.s = hsl.s.clamp(0.0, 100.0);
    hsl.l = hsl.l.clamp(0.0, 100.0);
    let mut out = Color::from_hsl(hsl, color.a);
    out.notation = color.notation;
    Value::from(out.in_notation())
}

/// `'#7ab55c' | color_mix: '#ffffff', 50`: `weight` percent of the first color.
fn color_mix(value: Value, other: Value, weight: Value) -> Value {
    let (Some(a), Some(b), Some(weight)) =
        (Color::parse(&value), Color::parse(&other), number(&weight))
    else {
        return value;
    };
    let w = (weight / 100.0).clamp(0.0, 1.0);
    let mix = |x: f64, y: f64| x * w + y * (1.0 - w);
    let out = Color {
        r: mix(a.r, b.r),
        g: mix(a.g, b.g),
        b: mix(a.b, b.b),
        a: mix(a.a, b.a),
        notation: a.notation,
    };
    Value::from(out.in_notation())
}

/// The `color` object a `color` setting holds (<https://shopify.dev/docs/api/liquid/objects/color>):
/// its channels, `rgb`/`rgba` in CSS's space-separated notation and HSL; printed, the color as
/// the setting wrote it. A value that is no color stays the plain string.
pub fn color_value(raw: &str) -> Value {
    match Color::parse_str(raw) {
        Some(color) => Value::from_object(ColorSetting {
            written: raw.to_owned(),
            color,
        }),
        None => Value::from(raw),
    }
}

#[derive(Debug)]
struct ColorSetting {
    written: String,
    color: Color,
}

impl minijinja::value::Object for ColorSetting {
    /// A drop that prints as text (and compares as it) in Liquid, with attributes besides.
    fn repr(self: &std::sync::Arc<Self>) -> minijinja::value::ObjectRepr {
        minijinja::value::ObjectRepr::Plain
    }

    fn get_value(self: &std::sync::Arc<Self>, key: &Value) -> Option<Value> {
        let c = self.color;
        let hsl = c.to_hsl();
        let (r, g, b) = (channel(c.r), channel(c.g), channel(c.b));
        let alpha = round_to(c.a, 2);
        Some(match key.as_str()? {
            "red" => Value::from(r),
            "green" => Value::from(g),
            "blue" => Value::from(b),
            "alpha" => Value::from(alpha),
            "rgb" => Value::from(format!("{r} {g} {b}")),
            "rgba" => Value::from(format!("{r} {g} {b} / {}", trim_decimal(alpha, 2))),
            "hue" => Value::from(hsl.h.round() as i64),
            "saturation" => Value::from(hsl.s.round() as i64),
            "lightness" => Value::from(hsl.l.round() as i64),
            _ => return None,
        })
    }

    fn enumerate(self: &std::sync::Arc<Self>) -> minijinja::value::Enumerator {
        minijinja::value::Enumerator::Str(&[
            "red",
            "green",
            "blue",
            "alpha",
            "rgb",
            "rgba",
            "hue",
            "saturation",
            "lightness",
        ])
    }

    fn render(self: &std::sync::Arc<Self>, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.written)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::render;
    use minijinja::Value;

    fn one(source: &str) -> String {
        render(source, Value::UNDEFINED)
    }

    /// The examples of Shopify's color filter reference, input → exact output.
    #[test]
    fn shopify_documented_examples() {
        for (source, expected) in [
            ("{{ '#7ab55c'|color_to_rgb }}", "rgb(122, 181, 92)"),
            ("{{ '#EA5AB9'|color_to_hsl }}", "hsl(320, 77%, 64%)"),
            ("{{ '#7ab55c'|color_to_hsl }}", "hsl(100, 38%, 54%)"),
            ("{{ 'rgb(122, 181, 92)'|color_to_hex }}", "#7ab55c"),
            ("{{ '#7ab55c'|color_extract('red') }}", "122"),
            ("{{ '#7ab55c'|color_brightness }}", "153.21"),
            ("{{ '#EA5AB9'|color_brightness }}", "143.89"),
            ("{{ '#E800B0'|color_contrast('#D9D8FF') }}", "3.0"),
            ("{{ '#EA5AB9'|color_modify('red', 255) }}", "#ff5ab9"),
            (
                "{{ '#EA5AB9'|color_modify('alpha', 0.85) }}",
                "rgba(234, 90, 185, 0.85)",
            ),
            ("{{ '#EA5AB9'|color_lighten(30) }}", "#fbe2f3"),
            ("{{ '#EA5AB9'|color_saturate(30) }}", "#ff45c0"),
            ("{{ '#EA5AB9'|color_desaturate(30) }}", "#ce76b0"),
            ("{{ '#7ab55c'|color_mix('#ffffff', 50) }}", "#bddaae"),
            ("{{ '#720955'|color_difference('#FFF3F9') }}", "539"),
            ("{{ '#E800B0'|brightness_difference('#FECEE9') }}", "134"),
        ] {
            assert_eq!(one(source), expected, "{source}");
        }
    }

    #[test]
    fn notations_in_and_out() {
        assert_eq!(one("{{ '#fff'|color_to_rgb }}"), "rgb(255, 255, 255)");
        assert_eq!(
            one("{{ '#7ab55c80'|color_to_rgb }}"),
            "rgba(122, 181, 92, 0.5)"
        );
        assert_eq!(
            one("{{ 'rgba(122, 181, 92, 0.5)'|color_to_hsl }}"),
            "hsla(100, 38%, 54%, 0.5)"
        );
        assert_eq!(one("{{ 'hsl(120, 100%, 25%)'|color_to_hex }}"), "#008000");
        // A changed color keeps the notation it came in.
        assert_eq!(
            one("{{ 'rgb(122, 181, 92)'|color_modify('green', 0) }}"),
            "rgb(122, 0, 92)"
        );
        assert_eq!(
            one("{{ 'hsl(100, 38%, 54%)'|color_darken(100) }}"),
            "hsl(0, 0%, 0%)"
        );
        assert_eq!(one("{{ '#000'|color_lighten(100) }}"), "#ffffff");
    }

    #[test]
    fn a_color_object_is_read_like_a_string() {
        let ctx = minijinja::context! {
            c => minijinja::context! { red => 122, green => 181, blue => 92, alpha => 1.0 }
        };
        assert_eq!(render("{{ c|color_to_hex }}", ctx.clone()), "#7ab55c");
        assert_eq!(render("{{ c|color_extract('green') }}", ctx), "181");
    }

    #[test]
    fn unreadable_colors_are_lenient() {
        assert_eq!(one("{{ 'nope'|color_to_rgb }}"), "nope");
        assert_eq!(one("{{ '#12'|color_lighten(10) }}"), "#12");
        assert_eq!(one("[{{ 'nope'|color_brightness }}]"), "[]");
        assert_eq!(one("[{{ nothing|color_contrast('#fff') }}]"), "[]");
        assert_eq!(one("[{{ '#fff'|color_extract('purple') }}]"), "[]");
    }

    #[test]
    fn a_color_setting_is_a_color_object_that_prints_as_written() {
        let ctx = minijinja::context! { c => super::color_value("#7ab55c") };
        assert_eq!(
            render(
                "{{ c }}|{{ c.red }},{{ c.green }},{{ c.blue }}|{{ c.alpha }}|{{ c.rgb }}|{{ c.rgba }}|\
                 {{ c.hue }} {{ c.saturation }} {{ c.lightness }}|{{ c|color_to_rgb }}|{{ c|color_darken(10) }}",
                ctx
            ),
            "#7ab55c|122,181,92|1.0|122 181 92|122 181 92 / 1|100 38 54|rgb(122, 181, 92)|#619945"
        );
        // Not a color: the string as it is.
        let ctx = minijinja::context! { c => super::color_value("") };
        assert_eq!(render("[{{ c }}]{{ c.red }}", ctx), "[]");
    }
}
