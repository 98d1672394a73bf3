//! Font filters: <https://shopify.dev/docs/api/liquid/filters/font-filters>, and the `font`
//! object a `font_picker` setting holds (<https://shopify.dev/docs/api/liquid/objects/font>).
//!
//! A font picker saves a handle such as `assistant_n4`: the family, then `n`/`i`/`o` (normal,
//! italic, oblique) and the weight in hundreds. Offline, no font is downloaded: `font_url` is a
//! local path, `/static/fonts/{handle}.woff2`, which answers empty (204) unless the theme author
//! puts the file there; system fonts load with `local()`.

use std::sync::Arc;

use minijinja::value::{Enumerator, Kwargs, Object, ValueKind};
use minijinja::{Environment, Value};

use super::{attr, attr_text, number, text};

pub fn register(env: &mut Environment<'_>) {
    env.add_filter("font_face", font_face);
    env.add_filter("font_modify", font_modify);
    env.add_filter("font_url", font_url);
}

/// The font handles Shopify documents as system fonts (no file to load), with their family
/// names and fallbacks.
const SYSTEM_FONTS: &[(&str, &str, &str)] = &[
    ("helvetica", "Helvetica", "Arial, sans-serif"),
    ("arial", "Arial", "Helvetica, sans-serif"),
    ("courier_new", "Courier New", "Courier, monospace"),
    ("garamond", "Garamond", "Baskerville, serif"),
    ("georgia", "Georgia", "Times New Roman, serif"),
    (
        "lucida_grande",
        "Lucida Grande",
        "Lucida Sans Unicode, sans-serif",
    ),
    ("monaco", "Monaco", "Lucida Console, monospace"),
    ("palatino", "Palatino", "Palatino Linotype, serif"),
    ("tahoma", "Tahoma", "Verdana, sans-serif"),
    ("times_new_roman", "Times New Roman", "Times, serif"),
    ("trebuchet_ms", "Trebuchet MS", "Lucida Grande, sans-serif"),
    ("verdana", "Verdana", "Geneva, sans-serif"),
    ("futura", "Futura", "Trebuchet MS, Arial, sans-serif"),
    ("avenir_next", "Avenir Next", "Avenir, sans-serif"),
    ("gill_sans", "Gill Sans", "Gill Sans MT, sans-serif"),
    // CSS's generic families: their own fallback, so `family, fallback_families` stays valid CSS.
    ("sans-serif", "sans-serif", "sans-serif"),
    ("serif", "serif", "serif"),
    ("monospace", "monospace", "monospace"),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    Normal,
    Italic,
    Oblique,
}

impl Style {
    fn letter(self) -> char {
        match self {
            Style::Normal => 'n',
            Style::Italic => 'i',
            Style::Oblique => 'o',
        }
    }

    fn name(self) -> &'static str {
        match self {
            Style::Normal => "normal",
            Style::Italic => "italic",
            Style::Oblique => "oblique",
        }
    }

    fn from_name(name: &str) -> Option<Style> {
        match name {
            "normal" => Some(Style::Normal),
            "italic" => Some(Style::Italic),
            "oblique" => Some(Style::Oblique),
            _ => None,
        }
    }
}

/// Shopify's `font` object.
#[derive(Debug, Clone)]
pub struct Font {
    /// The family part of the handle: `assistant`, `open_sans`, `sans-serif`.
    base: String,
    family: String,
    fallback_families: String,
    style: Style,
    weight: u16,
    system: bool,
    /// A font in another font's `variants`: its own `variants` are not listed when the object
    /// is serialized (they would repeat forever).
    is_variant: bool,
}

/// The `font` object for a font picker handle (`assistant_n4`, `helvetica_n7`, or a bare
/// family such as `assistant`, read as `_n4`).
pub fn font_value(handle: &str) -> Value {
    Value::from_object(Font::from_handle(handle))
}

impl Font {
    fn from_handle(handle: &str) -> Font {
        let handle = handle.trim().to_ascii_lowercase();
        let (base, style, weight) = split_handle(&handle);
        let system = SYSTEM_FONTS.iter().find(|(h, _, _)| *h == base);
        let (family, fallback) = match system {
            Some((_, family, fallback)) => ((*family).to_string(), (*fallback).to_string()),
            None => (title_case(&base), generic_fallback(&base).to_string()),
        };
        Font {
            base,
            family,
            fallback_families: fallback,
            style,
            weight,
            system: system.is_some(),
            is_variant: false,
        }
    }

    /// A font object, a map with a `handle`, or a handle string.
    fn read(value: &Value) -> Option<Font> {
        if let Some(font) = value.downcast_object_ref::<Font>() {
            return Some(font.clone());
        }
        if value.kind() == ValueKind::Map {
            let handle = attr_text(value, "handle");
            if !handle.is_empty() {
                return Some(Font::from_handle(&handle));
            }
            // A hand-made font map: family, style, weight.
            let family = attr_text(value, "family");
            if family.is_empty() {
                return None;
            }
            let mut font = Font::from_handle(&family.replace(' ', "_"));
            if let Some(style) = Style::from_name(&attr_text(value, "style")) {
                font.style = style;
            }
            if let Some(weight) = attr(value, "weight").and_then(|w| number(&w)) {
                font.weight = clamp_weight(weight);
            }
            return Some(font);
        }
        let handle = text(value);
        if handle.trim().is_empty() {
            None
        } else {
            Some(Font::from_handle(&handle))
        }
    }

    fn is_generic(&self) -> bool {
        matches!(self.base.as_str(), "sans-serif" | "serif" | "monospace")
    }

    fn handle(&self) -> String {
        format!("{}_{}{}", self.base, self.style.letter(), self.weight / 100)
    }

    fn with(&self, style: Style, weight: u16) -> Font {
        Font {
            style,
            weight,
            is_variant: true,
            ..self.clone()
        }
    }

    /// The variants vitrine offers for every family: regular, italic, bold, bold italic (and
    /// the font's own, when it is another). Shopify lists what the family really has.
    fn variants(&self) -> Vec<Font> {
        let mut out: Vec<Font> = [
            (Style::Normal, 400),
            (Style::Italic, 400),
            (Style::Normal, 700),
            (Style::Italic, 700),
        ]
        .into_iter()
        .map(|(style, weight)| self.with(style, weight))
        .collect();
        if !out
            .iter()
            .any(|f| f.style == self.style && f.weight == self.weight)
        {
            out.insert(0, self.with(self.style, self.weight));
        }
        out
    }

    fn url(&self, format: &str) -> String {
        format!("/static/fonts/{}.{format}", self.handle())
    }
}

const FONT_KEYS: &[&str] = &[
    "family",
    "fallback_families",
    "style",
    "weight",
    "system?",
    "baseline_ratio",
    "variants",
];

impl Object for Font {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        Some(match key.as_str()? {
            "family" => Value::from(self.family.as_str()),
            "fallback_families" => Value::from(self.fallback_families.as_str()),
            "style" => Value::from(self.style.name()),
            "weight" => Value::from(self.weight),
            // Liquid's `font.system?`; `system` for the `.html` dialect, which has no `?`.
            "system?" | "system" => Value::from(self.system),
            // Shopify computes it from the font file, which vitrine does not have.
            "baseline_ratio" => Value::from(0.0),
            "variants" => Value::from(
                self.variants()
                    .into_iter()
                    .map(Value::from_object)
                    .collect::<Vec<_>>(),
            ),
            "handle" => Value::from(self.handle()),
            _ => return None,
        })
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        if self.is_variant {
            Enumerator::Str(&FONT_KEYS[..FONT_KEYS.len() - 1])
        } else {
            Enumerator::Str(FONT_KEYS)
        }
    }

    fn render(self: &Arc<Self>, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result
    where
        Self: Sized + 'static,
    {
        // Printing a font shows its family, as `{{ settings.type_header_font }}` does.
        f.write_str(&self.family)
    }
}

/// `assistant_n4` → (`assistant`, normal, 400). A handle without a valid variant is normal 400.
fn split_handle(handle: &str) -> (String, Style, u16) {
    if let Some((base, variant)) = handle.rsplit_once('_') {
        let mut chars = variant.chars();
        let style = match chars.next() {
            Some('n') => Some(Style::Normal),
            Some('i') => Some(Style::Italic),
            Some('o') => Some(Style::Oblique),
            _ => None,
        };
        let digits = chars.as_str();
        if let (Some(style), Ok(weight)) = (style, digits.parse::<u16>())
            && (1..=9).contains(&weight)
            && digits.len() == 1
            && !base.is_empty()
        {
            return (base.to_string(), style, weight * 100);
        }
    }
    (handle.to_string(), Style::Normal, 400)
}

fn title_case(base: &str) -> String {
    base.split(['_', '-'])
        .filter(|w| !w.is_empty())
        .map(|word| {
            let mut chars = word.chars();
            match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect::<String>(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn generic_fallback(base: &str) -> &'static str {
    if base.contains("mono") || base.contains("code") {
        "monospace"
    } else if base.contains("serif") && !base.contains("sans") {
        "serif"
    } else {
        "sans-serif"
    }
}

fn clamp_weight(weight: f64) -> u16 {
    // Whole hundreds from 100 to 900, as font handles have.
    ((weight / 100.0).round().clamp(1.0, 9.0) as u16) * 100
}

/// A family name as CSS wants it: quoted when it has more than letters, digits and hyphens.
fn css_family(family: &str) -> String {
    if family
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        family.to_string()
    } else {
        format!("\"{}\"", family.replace('"', ""))
    }
}

/// `font | font_face: font_display: 'swap'`: the `@font-face` rule for the font.
fn font_face(value: Value, args: Kwargs) -> Value {
    let display = args
        .get::<Option<Value>>("font_display")
        .ok()
        .flatten()
        .map(|v| text(&v).into_owned());
    let Some(font) = Font::read(&value) else {
        return Value::from("");
    };
    // A generic family is no font to declare: CSS refuses `@font-face { font-family: serif }`.
    if font.is_generic() {
        return Value::from("");
    }
    let mut out = String::from("@font-face {\n");
    out.push_str(&format!("  font-family: {};\n", css_family(&font.family)));
    out.push_str(&format!("  font-weight: {};\n", font.weight));
    out.push_str(&format!("  font-style: {};\n", font.style.name()));
    if let Some(display) = display
        .filter(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
    {
        out.push_str(&format!("  font-display: {display};\n"));
    }
    if font.system {
        out.push_str(&format!("  src: local({});\n", css_family(&font.family)));
    } else {
        out.push_str(&format!(
            "  src: url(\"{}\") format(\"woff2\"),\n       url(\"{}\") format(\"woff\");\n",
            font.url("woff2"),
            font.url("woff")
        ));
    }
    out.push('}');
    super::markup(out)
}

/// `font | font_modify: 'weight', 'bold'` and `font_modify: 'style', 'italic'`. An unknown
/// property or value gives nil, as Shopify does for a variant the family lacks.
fn font_modify(value: Value, property: Value, change: Value) -> Value {
    let Some(font) = Font::read(&value) else {
        return Value::from(());
    };
    let change = text(&change).trim().to_ascii_lowercase();
    let modified = match text(&property).as_ref() {
        "style" => Style::from_name(&change).map(|style| font.with(style, font.weight)),
        "weight" => new_weight(font.weight, &change).map(|weight| font.with(font.style, weight)),
        _ => None,
    };
    match modified {
        Some(mut font) => {
            font.is_variant = false;
            Value::from_object(font)
        }
        None => Value::from(()),
    }
}

/// CSS's weight keywords and Shopify's `+100`/`-100` steps; weights stay within 100..=900.
fn new_weight(current: u16, change: &str) -> Option<u16> {
    let step = |delta: i32| {
        // `checked_add`: the step comes from the template and may be absurd.
        let w = i32::from(current).checked_add(delta)?;
        u16::try_from(w).ok().filter(|w| (100..=900).contains(w))
    };
    match change {
        "normal" => Some(400),
        "bold" => Some(700),
        // The CSS Fonts spec's table for relative weights.
        "bolder" => Some(match current {
            0..=349 => 400,
            350..=549 => 700,
            _ => 900,
        }),
        "lighter" => Some(match current {
            0..=549 => 100,
            550..=749 => 400,
            _ => 700,
        }),
        _ => {
            if let Some(n) = change.strip_prefix('+') {
                step(n.parse().ok()?)
            } else if let Some(n) = change.strip_prefix('-') {
                step(-n.parse::<i32>().ok()?)
            } else {
                let weight: u16 = change.parse().ok()?;
                (weight % 100 == 0 && (100..=900).contains(&weight)).then_some(weight)
            }
        }
    }
}

/// `font | font_url` (woff2) or `font_url: 'woff'`: a local path (see the module comment).
fn font_url(value: Value, format: Option<Value>) -> String {
    let format = match format.as_ref().map(|f| text(f).into_owned()).as_deref() {
        Some("woff") => "woff",
        _ => "woff2",
    };
    Font::read(&value).map_or_else(String::new, |f| f.url(format))
}

#[cfg(test)]
mod tests {
    use super::super::test_support::render;
    use super::*;

    fn with_font(source: &str, handle: &str) -> String {
        render(source, minijinja::context! { font => font_value(handle) })
    }

    #[test]
    fn the_font_object_from_a_handle() {
        let src = "{{ font.family }}|{{ font.fallback_families }}|{{ font.style }}|\
                   {{ font.weight }}|{{ font.system }}|{{ font.variants|length }}";
        assert_eq!(
            with_font(src, "assistant_n4"),
            "Assistant|sans-serif|normal|400|false|4"
        );
        assert_eq!(
            with_font(src, "helvetica_i7"),
            "Helvetica|Arial, sans-serif|italic|700|true|4"
        );
        assert_eq!(
            with_font(src, "open_sans_n3"),
            "Open Sans|sans-serif|normal|300|false|5"
        );
        assert_eq!(
            with_font("{{ font }}", "times_new_roman_n4"),
            "Times New Roman"
        );
        assert_eq!(
            with_font("{{ font.family }} {{ font.system }}", "sans-serif_n4"),
            "sans-serif true"
        );
    }

    #[test]
    fn font_face_like_shopify_with_a_local_file() {
        assert_eq!(
            with_font("{{ font|font_face(font_display='swap') }}", "assistant_n4"),
            "@font-face {\n  font-family: Assistant;\n  font-weight: 400;\n  font-style: normal;\n  \
             font-display: swap;\n  src: url(\"/static/fonts/assistant_n4.woff2\") format(\"woff2\"),\n       \
             url(\"/static/fonts/assistant_n4.woff\") format(\"woff\");\n}"
        );
        // A system font is not downloaded, and a plain handle string works too.
        assert_eq!(
            render("{{ 'times_new_roman_i4'|font_face }}", Value::UNDEFINED),
            "@font-face {\n  font-family: \"Times New Roman\";\n  font-weight: 400;\n  \
             font-style: italic;\n  src: local(\"Times New Roman\");\n}"
        );
        assert_eq!(render("[{{ ''|font_face }}]", Value::UNDEFINED), "[]");
    }

    #[test]
    fn font_modify_and_font_url() {
        let modified = |change: &str| {
            with_font(
                &format!("{{{{ font|font_modify({change})|font_url }}}}"),
                "assistant_n4",
            )
        };
        assert_eq!(
            modified("'weight', 'bold'"),
            "/static/fonts/assistant_n7.woff2"
        );
        assert_eq!(
            modified("'weight', '+100'"),
            "/static/fonts/assistant_n5.woff2"
        );
        assert_eq!(
            modified("'weight', '700'"),
            "/static/fonts/assistant_n7.woff2"
        );
        assert_eq!(
            modified("'weight', 'bolder'"),
            "/static/fonts/assistant_n7.woff2"
        );
        assert_eq!(
            modified("'style', 'italic'"),
            "/static/fonts/assistant_i4.woff2"
        );
        assert_eq!(
            modified("'style', 'oblique'"),
            "/static/fonts/assistant_o4.woff2"
        );
        assert_eq!(modified("'weight', '+600'"), "");
        assert_eq!(modified("'weight', 'heavy'"), "");
        assert_eq!(modified("'weight', '+2147483647'"), "");
        assert_eq!(
            render("{{ 'assistant_n4'|font_url('woff') }}", Value::UNDEFINED),
            "/static/fonts/assistant_n4.woff"
        );
        assert_eq!(
            with_font(
                "{{ (font|font_modify('style', 'italic')).style }}",
                "assistant_n4"
            ),
            "italic"
        );
    }

    #[test]
    fn generic_families_stay_valid_css() {
        let src = "[{{ font|font_face }}]{{ font.family }}, {{ font.fallback_families }}|{{ font.system }}";
        assert_eq!(
            with_font(src, "sans-serif"),
            "[]sans-serif, sans-serif|true"
        );
    }

    #[test]
    fn a_font_serializes_without_endless_variants() {
        let json = serde_json::to_value(font_value("assistant_n4")).unwrap();
        assert_eq!(json["family"], "Assistant");
        assert_eq!(json["variants"][2]["weight"], 700);
        assert!(json["variants"][0].get("variants").is_none());
    }
}
