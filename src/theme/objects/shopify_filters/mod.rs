//! Shopify's own Liquid filters that Online Store 2.0 themes use beyond money, translations and
//! assets: colors, fonts, hashes, URLs, HTML helpers, media and cart look-ups. Each file is one
//! group of Shopify's filter reference (<https://shopify.dev/docs/api/liquid/filters>).
//!
//! Filters that need Shopify's servers (payment buttons, Shop login, CDN assets) render the
//! markup a theme expects with a local stand-in; docs/theme.md lists them.
//!
//! The filters are lenient as Shopify is: input they cannot read gives back the input or
//! nothing, never an error.

mod colors;
mod commerce;
mod crypto;
mod fonts;
mod html;
mod media;
mod storefront;
mod structured;
mod text;
mod urls;

use crate::theme::objects::values::{number, text};

use minijinja::value::ValueKind;
use minijinja::{Environment, Value};

pub use colors::color_value;
pub use fonts::font_value;

/// Every filter name registered here (for the theme's list of known filters).
pub const SHOPIFY_FILTERS: &[&str] = &[
    // colors
    "brightness_difference",
    "color_brightness",
    "color_contrast",
    "color_darken",
    "color_desaturate",
    "color_difference",
    "color_extract",
    "color_lighten",
    "color_mix",
    "color_modify",
    "color_saturate",
    "color_to_hex",
    "color_to_hsl",
    "color_to_rgb",
    // crypto
    "hmac_sha1",
    "hmac_sha256",
    "md5",
    "sha1",
    "sha256",
    // text
    "camelcase",
    "format_code",
    // fonts
    "font_face",
    "font_modify",
    "font_url",
    // urls
    "file_img_url",
    "file_url",
    "highlight_active_tag",
    "link_to",
    "link_to_add_tag",
    "link_to_remove_tag",
    "link_to_tag",
    "shopify_asset_url",
    "sort_by",
    "url_escape",
    "url_for_type",
    "url_for_vendor",
    "url_param_escape",
    "within",
    // html
    "avatar",
    "currency_selector",
    "default_errors",
    "default_pagination",
    "format_address",
    "highlight",
    "login_button",
    "metafield_tag",
    "metafield_text",
    "payment_button",
    "payment_terms",
    "payment_type_svg_tag",
    "placeholder_svg_tag",
    "preload_tag",
    "standard_event_data",
    "structured_data",
    "time_tag",
    // media
    "external_video_tag",
    "external_video_url",
    "media_tag",
    "model_viewer_tag",
    "video_tag",
    // commerce
    "item_count_for_variant",
    "line_items_for",
    "weight_with_unit",
];

/// Registers every filter of this module on `env`.
pub fn register(env: &mut Environment<'_>) {
    colors::register(env);
    crypto::register(env);
    text::register(env);
    fonts::register(env);
    urls::register(env);
    html::register(env);
    media::register(env);
    storefront::register(env);
    structured::register(env);
    commerce::register(env);
}

/// An attribute of a map or object that is there and not nil.
fn attr(value: &Value, key: &str) -> Option<Value> {
    // Objects that are lists with fields too (`form.errors`) count as well as maps.
    let object = matches!(value.kind(), ValueKind::Seq) && value.as_object().is_some();
    if !matches!(value.kind(), ValueKind::Map) && !object {
        return None;
    }
    value
        .get_attr(key)
        .ok()
        .filter(|v| !v.is_undefined() && !v.is_none())
}

/// The text of an attribute, or `""`.
fn attr_text(value: &Value, key: &str) -> String {
    attr(value, key)
        .map(|v| text(&v).into_owned())
        .unwrap_or_default()
}

/// Escaped text for HTML bodies and attributes.
fn escape(text: &str) -> String {
    super::html::escape_html(text)
}

/// Text placed inside generated markup: as it is where Liquid prints it (no autoescaping, as on
/// Shopify, so a label may hold markup) or when marked safe; escaped under the `.html`
/// dialect's autoescaping.
fn body_text(state: &minijinja::State, value: &Value) -> String {
    let shown = text(value);
    if value.is_safe() || matches!(state.auto_escape(), minijinja::AutoEscape::None) {
        shown.into_owned()
    } else {
        escape(&shown)
    }
}

/// Markup: printed as it is under the `.html` dialect's autoescaping.
fn markup(html: String) -> Value {
    Value::from_safe_string(html)
}

/// ` name="value"` for each keyword argument, in the order given (Shopify turns a tag filter's
/// extra keyword arguments into HTML attributes). `skip` names the ones the filter reads itself.
fn html_attributes(args: &minijinja::value::Kwargs, skip: &[&str]) -> String {
    let mut out = String::new();
    for key in args.args() {
        if skip.contains(&key) {
            continue;
        }
        let Ok(value) = args.get::<Value>(key) else {
            continue;
        };
        // Shopify writes `data_foo` as `data-foo`.
        let name = key.replace('_', "-");
        out.push_str(&format!(" {name}=\"{}\"", escape(&text(&value))));
    }
    out
}

/// Percent-encodes everything but RFC 3986's unreserved characters (`%20` for a space).
fn encode_component(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// A float as Liquid shows a decimal: at most `places` decimals, no trailing zeros.
fn trim_decimal(value: f64, places: usize) -> String {
    let mut out = format!("{value:.places$}");
    if out.contains('.') {
        while out.ends_with('0') {
            out.pop();
        }
        if out.ends_with('.') {
            out.pop();
        }
    }
    if out == "-0" { "0".into() } else { out }
}

#[cfg(test)]
pub(crate) mod test_support {
    use minijinja::{Environment, Value};

    /// Renders `source` with the theme's `.html` environment (all of vitrine's filters).
    pub fn render(source: &str, ctx: Value) -> String {
        let mut env = Environment::new();
        crate::theme::objects::filters::configure_environment(&mut env);
        match env.render_str(source, ctx) {
            Ok(out) => out,
            Err(e) => panic!("render {source:?}: {e:#}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers() {
        assert_eq!(trim_decimal(0.5, 2), "0.5");
        assert_eq!(trim_decimal(2.0, 2), "2");
        assert_eq!(trim_decimal(0.4409, 2), "0.44");
        assert_eq!(encode_component("Polina's Potent"), "Polina%27s%20Potent");
    }

    #[test]
    fn every_filter_registered_here_is_listed() {
        let mut env = Environment::new();
        register(&mut env);
        for name in SHOPIFY_FILTERS {
            let source = format!("{{{{ ''|{name} }}}}");
            // An unknown filter fails to compile; a known one may still fail on `''`.
            if let Err(e) = env.render_str(&source, ()) {
                assert_ne!(e.kind(), minijinja::ErrorKind::UnknownFilter, "{name}: {e}");
            }
        }
    }
}
