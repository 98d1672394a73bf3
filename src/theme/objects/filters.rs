//! Liquid's filters as minijinja filters: money, `t`, URLs (`asset_url`, `image_url`), and the
//! text helpers themes lean on (`handleize`, `pluralize`, `json`, `strip_html`, `truncate`,
//! `date`, ...). Names and behaviour follow Shopify's "Liquid filters" reference; arguments use
//! minijinja syntax: `'cart.title'|t(count=2)`, `price|money`, `'base.css'|asset_url`.
//!
//! Filters that depend on the shop or the visitor (money formats, locale, asset versions) read
//! them from the page through the hidden context key, so the filters themselves are stateless
//! and can be registered on any environment.

use crate::theme::objects::values::{number, text};
use std::fmt::Write as _;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, Utc};
use minijinja::value::{Kwargs, ValueKind};
use minijinja::{
    AutoEscape, Environment, Error, ErrorKind, Output, State, UndefinedBehavior, Value,
    escape_formatter,
};

use super::context::current_page;
use super::html::escape_html;
use super::locale::interpolate;
use super::money::{format_amount_only, format_money, format_money_without_trailing_zeros};
use super::shopify_filters::{self, SHOPIFY_FILTERS};

const DEFAULT_MONEY_FORMAT: &str = "${{amount}}";

/// Applies the theme engine's settings and filters to `env`: Liquid-like leniency for undefined
/// values, block-tag whitespace trimming, Python string methods, and every filter below.
/// The `render` and `section` functions are added by the loader, which knows the templates.
pub fn configure_environment(env: &mut Environment<'_>) {
    env.set_undefined_behavior(UndefinedBehavior::Chainable);
    env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
    env.set_formatter(liquid_formatter);
    if let Ok(syntax) = minijinja::syntax::SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .build()
    {
        env.set_syntax(syntax);
    }
    register(env);
}

/// Prints values the way Liquid does: nil and undefined print nothing (a `null` variant title
/// must not show "none"), booleans print `true`/`false`. Under HTML autoescaping, text is escaped
/// for `&`, `<`, `>`, `"` and `'`; `/` is left alone so URLs stay readable in the markup.
pub fn liquid_formatter(out: &mut Output, state: &mut State, value: &Value) -> Result<(), Error> {
    match value.kind() {
        ValueKind::Undefined | ValueKind::None => return Ok(()),
        ValueKind::Bool => {
            return Ok(out.write_str(if value.is_true() { "true" } else { "false" })?);
        }
        ValueKind::Number => return escape_formatter(out, state, value),
        _ => {}
    }
    if value.is_safe() || !matches!(state.auto_escape(), AutoEscape::Html) {
        return escape_formatter(out, state, value);
    }
    match value.as_str() {
        Some(text) => write_html_escaped(out, text),
        None => write_html_escaped(out, &value.to_string()),
    }
}

fn write_html_escaped(out: &mut Output, text: &str) -> Result<(), Error> {
    let bytes = text.as_bytes();
    let mut start = 0;
    // Most text has nothing to escape: a table lookup per byte finds the few that do.
    while let Some(found) = bytes[start..].iter().position(|&b| ESCAPED[usize::from(b)]) {
        let i = start + found;
        let entity = match bytes[i] {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            _ => "&#39;",
        };
        // `i` is at an ASCII byte, so both slices end on char boundaries.
        out.write_str(&text[start..i])?;
        out.write_str(entity)?;
        start = i + 1;
    }
    Ok(out.write_str(&text[start..])?)
}

/// The bytes `write_html_escaped` replaces.
const ESCAPED: [bool; 256] = {
    let mut table = [false; 256];
    table[b'&' as usize] = true;
    table[b'<' as usize] = true;
    table[b'>' as usize] = true;
    table[b'"' as usize] = true;
    table[b'\'' as usize] = true;
    table
};

/// Every filter name a theme's environment has besides Liquid's standard ones and Shopify's
/// in `shopify_filters::SHOPIFY_FILTERS` (`register` and the modules it calls). A test reads
/// the sources to keep the two lists complete.
pub const THEME_FILTERS: &[&str] = &[
    "append",
    "asset_img_url",
    "asset_url",
    "count",
    "date",
    "default",
    "downcase",
    "handle",
    "handleize",
    "inline_asset_content",
    "image_tag",
    "image_url",
    "img_url",
    "json",
    "length",
    "money",
    "money_with_currency",
    "money_without_currency",
    "money_without_trailing_zeros",
    "newline_to_br",
    "pluralize",
    "prepend",
    "script_tag",
    "size",
    "strip_html",
    "stylesheet_tag",
    "t",
    "tojson",
    "translate",
    "truncate",
    "truncatewords",
    "unit_price_with_measurement",
    "upcase",
    "url_encode",
];

/// Whether a theme has a filter of this name (for Liquid's pass-through of unknown filters).
pub fn is_theme_filter(name: &str) -> bool {
    THEME_FILTERS.contains(&name) || SHOPIFY_FILTERS.contains(&name)
}

/// Registers the filters only.
pub fn register(env: &mut Environment<'_>) {
    super::image_filters::register(env);
    env.add_filter("money", money);
    env.add_filter("money_with_currency", money_with_currency);
    env.add_filter("money_without_currency", money_without_currency);
    env.add_filter("money_without_trailing_zeros", money_without_trailing_zeros);
    env.add_filter("unit_price_with_measurement", unit_price_with_measurement);
    env.add_filter("t", translate);
    env.add_filter("translate", translate);
    env.add_filter("asset_url", asset_url);
    env.add_filter("inline_asset_content", inline_asset_content);
    env.add_filter("stylesheet_tag", stylesheet_tag);
    env.add_filter("script_tag", script_tag);
    env.add_filter("handleize", handleize);
    env.add_filter("handle", handleize);
    env.add_filter("pluralize", pluralize);
    env.add_filter("json", json);
    env.add_filter("url_encode", url_encode);
    env.add_filter("default", liquid_default);
    env.add_filter("strip_html", strip_html);
    env.add_filter("newline_to_br", newline_to_br);
    env.add_filter("truncate", truncate);
    env.add_filter("truncatewords", truncatewords);
    env.add_filter("date", date);
    env.add_filter("upcase", |v: Value| text(&v).to_uppercase());
    env.add_filter("downcase", |v: Value| text(&v).to_lowercase());
    env.add_filter("append", |v: Value, s: Value| {
        format!("{}{}", text(&v), text(&s))
    });
    env.add_filter("prepend", |v: Value, s: Value| {
        format!("{}{}", text(&s), text(&v))
    });
    // Liquid's `size` is 0 for nil; minijinja's `length` would fail on an undefined value.
    env.add_filter("size", length);
    env.add_filter("length", length);
    env.add_filter("count", length);
    shopify_filters::register(env);
}

fn length(value: Value) -> usize {
    value.len().unwrap_or(0)
}

/// Minor units from an integer, a float or a numeric string; nil prints nothing.
fn cents(value: &Value) -> Option<i64> {
    if let Some(i) = value.as_i64() {
        return Some(i);
    }
    // `as` saturates, so absurd floats cannot panic.
    number(value).map(|f| f.round() as i64)
}

/// Formats `value` with the page's money format (`with_currency` picks the other one).
fn shop_money(
    state: &State,
    value: &Value,
    with_currency: bool,
    f: fn(i64, &str) -> String,
) -> String {
    let Some(cents) = cents(value) else {
        return String::new();
    };
    match current_page(state) {
        Some(page) if with_currency => f(cents, &page.money_with_currency_format),
        Some(page) => f(cents, &page.money_format),
        None => f(cents, DEFAULT_MONEY_FORMAT),
    }
}

// Themes sometimes pass a currency (`money_without_trailing_zeros: gift_card.currency`);
// Shopify ignores it, and so do these (the shop has one currency).

fn money(state: &State, value: Value, _currency: Option<Value>) -> String {
    shop_money(state, &value, false, format_money)
}

fn money_with_currency(state: &State, value: Value, _currency: Option<Value>) -> String {
    shop_money(state, &value, true, format_money)
}

fn money_without_currency(state: &State, value: Value, _currency: Option<Value>) -> String {
    shop_money(state, &value, false, format_amount_only)
}

fn money_without_trailing_zeros(state: &State, value: Value, _currency: Option<Value>) -> String {
    shop_money(state, &value, false, format_money_without_trailing_zeros)
}

/// `variant.unit_price | unit_price_with_measurement: variant.unit_price_measurement`: the price
/// as `money` shows it (a string is taken as already formatted), then `/` and the reference
/// quantity: `$50.00/kg`, `$5.00/100g`.
/// <https://shopify.dev/docs/api/liquid/filters/unit_price_with_measurement>
fn unit_price_with_measurement(state: &State, price: Value, measurement: Option<Value>) -> String {
    let shown = if price.as_str().is_some() {
        price.to_string()
    } else {
        money(state, price, None)
    };
    let Some(measurement) = measurement.filter(|m| !m.is_undefined() && !m.is_none()) else {
        return shown;
    };
    let field = |name: &str| {
        measurement
            .get_attr(name)
            .ok()
            .filter(|v| !v.is_undefined() && !v.is_none())
    };
    let unit = field("reference_unit")
        .map(|u| u.to_string())
        .unwrap_or_default();
    match field("reference_value").map(|v| v.to_string()) {
        Some(value) if value != "1" && !value.is_empty() => format!("{shown}/{value}{unit}"),
        _ => format!("{shown}/{unit}"),
    }
}

/// `'key'|t(name=value, count=n)`. Keys ending in `_html` return markup (their arguments are
/// still escaped); every other result is plain text that autoescaping will escape.
fn translate(state: &State, key: Value, args: Kwargs) -> Value {
    let key = text(&key);
    let page = current_page(state);
    // `Option`: a missing argument is then `None`, not an error built with its message.
    let count = args
        .peek::<Option<Value>>("count")
        .ok()
        .flatten()
        .and_then(|c| number(&c));
    let found = page.as_deref().and_then(|p| p.translate(&key, count));
    let Some(found) = found else {
        let code = page.as_deref().map_or("en", |p| p.locale_code.as_str());
        return Value::from(format!("translation missing: {code}.{key}"));
    };
    let html = key.ends_with("_html");
    let out = interpolate(found, |name| {
        if !args.has(name) {
            return None;
        }
        let value = args.peek::<Value>(name).ok()?;
        let shown = text(&value);
        Some(if html && !value.is_safe() {
            escape_html(&shown)
        } else {
            shown.into_owned()
        })
    });
    if html {
        Value::from_safe_string(out)
    } else {
        Value::from(out)
    }
}

/// `'base.css'|asset_url` → `/static/base.css?v=<version>`.
fn asset_url(state: &State, name: Value) -> String {
    let name = text(&name);
    let name = name.trim_start_matches('/');
    let page = current_page(state);
    let version = page.as_ref().and_then(|p| p.assets.0.get(name).cloned());
    // A Shopify theme's assets are under `/assets/` in their URL, as on Shopify's CDN (theme
    // scripts find their own files by it); the `/static` service reads `assets/NAME` for both.
    let folder = if page.as_ref().is_some_and(|p| p.is_shopify_theme()) {
        "/static/assets"
    } else {
        "/static"
    };
    match version {
        Some(v) => format!("{folder}/{name}?v={v}"),
        None => format!("{folder}/{name}"),
    }
}

/// `'icon.svg'|inline_asset_content`: the asset's own text, printed as is
/// (<https://shopify.dev/docs/api/liquid/filters/inline_asset_content>). Shopify inlines SVG,
/// CSS and JavaScript assets of up to 15 KB; anything else prints nothing, and says why.
fn inline_asset_content(state: &State, name: Value) -> Result<Value, minijinja::Error> {
    let name = text(&name);
    let name = name.trim_start_matches('/');
    match current_page(state).and_then(|p| p.assets.1.get(name).cloned()) {
        Some(content) => Ok(Value::from_safe_string(content.to_string())),
        None => Err(minijinja::Error::new(
            minijinja::ErrorKind::InvalidOperation,
            format!(
                "inline_asset_content: no SVG, CSS or JavaScript asset {name:?} of at most 15 KB"
            ),
        )),
    }
}

/// `url|stylesheet_tag` and `url|stylesheet_tag(preload=true)`
/// (<https://shopify.dev/docs/api/liquid/filters/stylesheet_tag>). `preload` asks Shopify for a
/// `Link: rel=preload` header on the page; the tag itself is the same, and so it is here.
fn stylesheet_tag(
    url: Value,
    options: minijinja::value::Kwargs,
) -> Result<Value, minijinja::Error> {
    let _preload: Option<Value> = options.get("preload")?;
    options.assert_all_used()?;
    Ok(Value::from_safe_string(format!(
        "<link href=\"{}\" rel=\"stylesheet\" type=\"text/css\" media=\"all\">",
        escape_html(&text(&url))
    )))
}

fn script_tag(url: Value) -> Value {
    Value::from_safe_string(format!(
        "<script src=\"{}\" type=\"text/javascript\"></script>",
        escape_html(&text(&url))
    ))
}

/// `'Red Rain Coat!'|handleize` → `red-rain-coat`.
fn handleize(value: Value) -> String {
    let mut out = String::new();
    for c in text(&value).chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    out
}

/// `count|pluralize('item', 'items')`.
fn pluralize(count: Value, singular: Value, plural: Value) -> Value {
    if number(&count) == Some(1.0) {
        singular
    } else {
        plural
    }
}

/// JSON safe inside `<script>` and HTML attributes: `<`, `>`, `&`, `'` become `\u00XX`.
fn json(value: Value) -> Result<Value, Error> {
    let raw = serde_json::to_string(&value)
        .map_err(|e| Error::new(ErrorKind::BadSerialization, e.to_string()))?;
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\'' => out.push_str("\\u0027"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            _ => out.push(c),
        }
    }
    Ok(Value::from_safe_string(out))
}

/// `'a b&c'|url_encode` → `a+b%26c` (form encoding, as Shopify's filter).
fn url_encode(value: Value) -> String {
    form_urlencoded::byte_serialize(text(&value).as_bytes()).collect()
}

/// Is this value what Liquid's `default` replaces: nil, false, `""`, `[]` or `{}`?
fn is_blank(value: &Value, allow_false: bool) -> bool {
    match value.kind() {
        ValueKind::Undefined | ValueKind::None => true,
        ValueKind::Bool => !allow_false && !value.is_true(),
        ValueKind::String | ValueKind::Seq | ValueKind::Map => value.len() == Some(0),
        _ => false,
    }
}

/// Liquid's `default`: also replaces `""`, `false` (unless `allow_false=true`) and empty lists.
fn liquid_default(value: Value, fallback: Option<Value>, args: Kwargs) -> Result<Value, Error> {
    let allow_false = args.get::<Option<bool>>("allow_false")?.unwrap_or(false);
    args.assert_all_used()?;
    if is_blank(&value, allow_false) {
        Ok(fallback.unwrap_or_else(|| Value::from("")))
    } else {
        Ok(value)
    }
}

/// Removes tags, comments and `<script>`/`<style>` contents; decodes the basic entities so the
/// autoescaped output shows them once.
fn strip_html(value: Value) -> String {
    let input = text(&value);
    let mut out = String::with_capacity(input.len());
    let mut rest: &str = &input;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let tail = &rest[open..];
        let lower = tail.get(..8).unwrap_or(tail).to_ascii_lowercase();
        let skip_to = if lower.starts_with("<!--") {
            tail.find("-->").map(|i| i + 3)
        } else if lower.starts_with("<script") || lower.starts_with("<style") {
            let closing = if lower.starts_with("<script") {
                "</script"
            } else {
                "</style"
            };
            find_ascii_ci(tail, closing).and_then(|i| tail[i..].find('>').map(|j| i + j + 1))
        } else {
            tail.find('>').map(|i| i + 1)
        };
        match skip_to {
            Some(n) => rest = &tail[n..],
            None => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    decode_entities(&out)
}

fn find_ascii_ci(haystack: &str, needle: &str) -> Option<usize> {
    haystack
        .as_bytes()
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

fn decode_entities(text: &str) -> String {
    text.replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// Escapes the text, then turns newlines into `<br>`: safe for visitor-written notes.
fn newline_to_br(value: Value) -> Value {
    let escaped = escape_html(&text(&value));
    Value::from_safe_string(escaped.replace('\n', "<br>\n"))
}

/// Liquid's `truncate(n, ellipsis='...')`: at most `n` characters including the ellipsis.
fn truncate(value: Value, length: Option<usize>, ellipsis: Option<String>) -> String {
    let input = text(&value);
    let length = length.unwrap_or(50);
    let ellipsis = ellipsis.unwrap_or_else(|| "...".into());
    if input.chars().count() <= length {
        return input.into_owned();
    }
    let keep = length.saturating_sub(ellipsis.chars().count());
    let mut out: String = input.chars().take(keep).collect();
    out.push_str(&ellipsis);
    out
}

/// Liquid's `truncatewords(n, ellipsis='...')`.
fn truncatewords(value: Value, words: Option<usize>, ellipsis: Option<String>) -> String {
    let input = text(&value);
    let words = words.unwrap_or(15).max(1);
    let all: Vec<&str> = input.split_whitespace().collect();
    if all.len() <= words {
        return input.into_owned();
    }
    let mut out = all[..words].join(" ");
    out.push_str(&ellipsis.unwrap_or_else(|| "...".into()));
    out
}

fn names_now(raw: &str) -> bool {
    let raw = raw.trim();
    raw.eq_ignore_ascii_case("now") || raw.eq_ignore_ascii_case("today")
}

fn parse_date(value: &Value) -> Option<DateTime<FixedOffset>> {
    if let Some(ts) = value.as_i64() {
        return DateTime::from_timestamp(ts, 0).map(|d| d.fixed_offset());
    }
    let raw = value.as_str()?.trim();
    if names_now(raw) {
        return Some(Utc::now().fixed_offset());
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(raw) {
        return Some(d);
    }
    for format in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"] {
        if let Ok(d) = NaiveDateTime::parse_from_str(raw, format) {
            return Some(d.and_utc().fixed_offset());
        }
    }
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc().fixed_offset())
}

/// `'2024-03-01'|date('%b %d, %Y')`; text that is not a date is returned unchanged.
fn date(state: &State, value: Value, format: Option<String>) -> Result<String, Error> {
    if value.as_str().is_some_and(names_now)
        && let Some(page) = current_page(state)
    {
        // The output changes with the clock: never reuse it for another request.
        page.note_per_request_read();
    }
    let Some(when) = parse_date(&value) else {
        return Ok(text(&value).into_owned());
    };
    let format = format.unwrap_or_else(|| "%B %-d, %Y".into());
    let mut out = String::new();
    // chrono reports a bad strftime pattern as a fmt error (its `to_string` would panic).
    write!(out, "{}", when.format(&format)).map_err(|_| {
        Error::new(
            ErrorKind::InvalidOperation,
            format!("invalid date format {format:?}"),
        )
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    /// Every filter registered under src/theme/objects is in THEME_FILTERS, so a theme's
    /// Liquid never passes a filter we have through as unknown.
    #[test]
    fn theme_filters_lists_every_registered_filter() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/theme/objects");
        let mut stack = vec![root];
        let mut missing = Vec::new();
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).expect("read dir").flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let source = std::fs::read_to_string(&path).expect("read");
                for part in source.split("add_filter(\"").skip(1) {
                    let name = part.split('"').next().unwrap_or_default();
                    if !name.is_empty() && !super::is_theme_filter(name) {
                        missing.push(name.to_owned());
                    }
                }
            }
        }
        assert!(missing.is_empty(), "not in THEME_FILTERS: {missing:?}");
    }

    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Printed text is escaped for exactly `& < > " '`, whatever surrounds them.
        #[test]
        fn printed_text_escapes_the_five_html_characters(text in "[a-z&<>\"'/é ]{0,40}") {
            let expected: String = text
                .chars()
                .map(|c| match c {
                    '&' => "&amp;".to_string(),
                    '<' => "&lt;".to_string(),
                    '>' => "&gt;".to_string(),
                    '"' => "&quot;".to_string(),
                    '\'' => "&#39;".to_string(),
                    other => other.to_string(),
                })
                .collect();
            let out = render("{{ text }}", minijinja::context! { text => text });
            prop_assert_eq!(out, expected);
        }
    }

    fn render(source: &str, ctx: Value) -> String {
        let mut env = Environment::new();
        configure_environment(&mut env);
        env.add_template("t.html", source).unwrap();
        env.get_template("t.html").unwrap().render(ctx).unwrap()
    }

    #[test]
    fn text_helpers() {
        let ctx = Value::UNDEFINED;
        assert_eq!(
            render("{{ 'Red Rain Coat!'|handleize }}", ctx.clone()),
            "red-rain-coat"
        );
        assert_eq!(
            render("{{ 1|pluralize('item','items') }}", ctx.clone()),
            "item"
        );
        assert_eq!(
            render("{{ 2|pluralize('item','items') }}", ctx.clone()),
            "items"
        );
        assert_eq!(render("{{ 'a b&c'|url_encode }}", ctx.clone()), "a+b%26c");
        assert_eq!(render("{{ ''|default('x') }}", ctx.clone()), "x");
        assert_eq!(render("{{ nope|default('x') }}", ctx.clone()), "x");
        assert_eq!(render("{{ false|default('x') }}", ctx.clone()), "x");
        let kept = "{% if false|default(true, allow_false=true) %}yes{% else %}no{% endif %}";
        assert_eq!(render(kept, ctx.clone()), "no");
        assert_eq!(render("{{ 'abcdefgh'|truncate(5) }}", ctx.clone()), "ab...");
        assert_eq!(
            render("{{ 'a b c d'|truncatewords(2) }}", ctx.clone()),
            "a b..."
        );
        assert_eq!(
            render(
                "{{ '<p>Hi <b>there</b><script>x()</script> &amp; bye</p>'|strip_html }}",
                ctx.clone()
            ),
            "Hi there &amp; bye"
        );
        assert_eq!(
            render("{{ '2024-03-01'|date('%Y-%m-%d %H') }}", ctx.clone()),
            "2024-03-01 00"
        );
        assert_eq!(render("{{ 'soon'|date('%Y') }}", ctx.clone()), "soon");
    }

    #[test]
    fn bad_date_format_is_an_error_not_a_panic() {
        let mut env = Environment::new();
        configure_environment(&mut env);
        let out = env.render_str("{{ '2024-03-01'|date('%Q%') }}", ());
        assert!(out.is_err());
    }

    #[test]
    fn prints_like_liquid() {
        let ctx = minijinja::context! { n => (), t => true, s => "<a href='x'>&</a>/" };
        assert_eq!(
            render("[{{ n }}][{{ nope.deeper }}][{{ t }}]", ctx.clone()),
            "[][][true]"
        );
        assert_eq!(
            render("{{ s }}", ctx.clone()),
            "&lt;a href=&#39;x&#39;&gt;&amp;&lt;/a&gt;/"
        );
        assert_eq!(render("{{ s|safe }}", ctx), "<a href='x'>&</a>/");
    }

    #[test]
    fn json_is_script_safe() {
        let out = render(
            "{{ x|json }}",
            minijinja::context! { x => "</script><b>&'" },
        );
        assert_eq!(out, r#""\u003c/script\u003e\u003cb\u003e\u0026\u0027""#);
    }

    #[test]
    fn money_without_a_page_uses_dollars() {
        assert_eq!(render("{{ 113465|money }}", Value::UNDEFINED), "$1,134.65");
        assert_eq!(render("{{ nope|money }}", Value::UNDEFINED), "");
        assert_eq!(
            render(
                "{{ '1050'|money_without_trailing_zeros }}",
                Value::UNDEFINED
            ),
            "$10.50"
        );
    }
}
