//! HTML filters: <https://shopify.dev/docs/api/liquid/filters/html-filters> (`preload_tag`,
//! `placeholder_svg_tag`, `highlight`, `time_tag`, `default_pagination`, `default_errors`,
//! `format_address`).

use std::fmt::Write as _;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, SecondsFormat, Utc};
use minijinja::value::{Kwargs, ValueKind};
use minijinja::{Environment, State, Value};

use super::super::context::current_page;
use super::{attr, attr_text, escape, html_attributes, markup, text};

pub fn register(env: &mut Environment<'_>) {
    env.add_filter("preload_tag", preload_tag);
    env.add_filter("placeholder_svg_tag", placeholder_svg_tag);
    env.add_filter("highlight", highlight);
    env.add_filter("time_tag", time_tag);
    env.add_filter("default_pagination", default_pagination);
    env.add_filter("default_errors", default_errors);
    env.add_filter("format_address", format_address);
}

/// `url | preload_tag: as: 'script'` → `<link href="url" as="script" rel="preload">`.
fn preload_tag(url: Value, args: Kwargs) -> Value {
    let kind = args
        .get::<Option<Value>>("as")
        .ok()
        .flatten()
        .map(|v| text(&v).into_owned())
        .unwrap_or_default();
    markup(format!(
        "<link href=\"{}\" as=\"{}\" rel=\"preload\"{}>",
        escape(&text(&url)),
        escape(&kind),
        html_attributes(&args, &["as"])
    ))
}

/// The drawings vitrine uses for Shopify's placeholder names, in a 525.5 square.
fn placeholder_drawing(name: &str) -> Option<&'static str> {
    let (family, number) = match name.rsplit_once('-') {
        Some((family, n)) if n.parse::<u8>().is_ok_and(|n| (1..=6).contains(&n)) => (family, n),
        _ => (name, ""),
    };
    // A bottle for products, stacked frames for collections, a landscape for the rest.
    const BOTTLE: &str = "<path d=\"M232 110h61v45c38 15 60 47 60 90v150c0 12-10 20-22 20H194c-12 0-22-8-22-20V245c0-43 22-75 60-90z\" fill=\"none\" stroke=\"#c1c1c1\" stroke-width=\"8\"/>";
    const FRAMES: &str = "<rect x=\"140\" y=\"170\" width=\"245\" height=\"190\" fill=\"none\" stroke=\"#c1c1c1\" stroke-width=\"8\"/><path d=\"M165 145h245v190\" fill=\"none\" stroke=\"#c1c1c1\" stroke-width=\"8\"/>";
    const LANDSCAPE: &str = "<circle cx=\"350\" cy=\"170\" r=\"35\" fill=\"#c1c1c1\"/><path d=\"M90 390l120-150 80 95 50-55 95 110z\" fill=\"#c1c1c1\"/>";
    const SHIRT: &str = "<path d=\"M200 120l-90 45 30 70 40-15v175h166V220l40 15 30-70-90-45c-8 25-33 40-63 40s-55-15-63-40z\" fill=\"none\" stroke=\"#c1c1c1\" stroke-width=\"8\"/>";
    match (family, number.is_empty()) {
        ("image", true) => Some(LANDSCAPE),
        ("product", false) => Some(BOTTLE),
        ("collection", false) => Some(FRAMES),
        ("lifestyle", false) => Some(LANDSCAPE),
        (
            "hero-apparel" | "product-apparel" | "collection-apparel" | "detailed-apparel"
            | "blog-apparel",
            false,
        ) => Some(SHIRT),
        _ => None,
    }
}

/// `'collection-1' | placeholder_svg_tag: 'class'`: an inline SVG placeholder. An unknown
/// name gives an empty SVG.
fn placeholder_svg_tag(name: Value, class: Option<Value>) -> Value {
    let class = class
        .map(|c| text(&c).into_owned())
        .filter(|c| !c.is_empty())
        .map(|c| format!(" class=\"{}\"", escape(&c)))
        .unwrap_or_default();
    let mut out =
        format!("<svg{class} xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 525.5 525.5\">");
    if let Some(drawing) = placeholder_drawing(&text(&name)) {
        out.push_str("<rect width=\"525.5\" height=\"525.5\" fill=\"#f2f2f2\"/>");
        out.push_str(drawing);
    }
    out.push_str("</svg>");
    markup(out)
}

/// `content | highlight: search.terms`: each term, outside tags, in
/// `<strong class="highlight">` (case-insensitively).
fn highlight(content: Value, terms: Value) -> Value {
    let input = text(&content).into_owned();
    let terms_text = text(&terms);
    let words: Vec<&str> = terms_text.split_whitespace().collect();
    if words.is_empty() {
        return content;
    }
    let mut out = String::with_capacity(input.len() + 32);
    let mut rest = input.as_str();
    while !rest.is_empty() {
        // Markup is copied as it is; only the text between tags is searched.
        if rest.starts_with('<') {
            let end = rest.find('>').map_or(rest.len(), |i| i + 1);
            out.push_str(&rest[..end]);
            rest = &rest[end..];
            continue;
        }
        let end = rest.find('<').unwrap_or(rest.len());
        highlight_text(&rest[..end], &words, &mut out);
        rest = &rest[end..];
    }
    markup(out)
}

fn highlight_text(text: &str, words: &[&str], out: &mut String) {
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut copied = 0;
    while i < bytes.len() {
        let found = words.iter().find(|w| {
            let w = w.as_bytes();
            bytes
                .get(i..i + w.len())
                .is_some_and(|s| s.eq_ignore_ascii_case(w))
        });
        match found {
            // Matches start on a char boundary: `i` only advances to boundaries.
            Some(word) if text.is_char_boundary(i) && text.is_char_boundary(i + word.len()) => {
                out.push_str(&text[copied..i]);
                let _ = write!(
                    out,
                    "<strong class=\"highlight\">{}</strong>",
                    &text[i..i + word.len()]
                );
                i += word.len();
                copied = i;
            }
            _ => {
                i += 1;
                while i < bytes.len() && !text.is_char_boundary(i) {
                    i += 1;
                }
            }
        }
    }
    out.push_str(&text[copied..]);
}

/// A date from a timestamp, Shopify's `2022-04-14 16:56:02 -0400`, RFC 3339 or `2022-04-14`.
fn parse_date(value: &Value) -> Option<DateTime<FixedOffset>> {
    if let Some(ts) = value.as_i64() {
        return DateTime::from_timestamp(ts, 0).map(|d| d.fixed_offset());
    }
    let raw = value.as_str()?.trim();
    if raw.eq_ignore_ascii_case("now") || raw.eq_ignore_ascii_case("today") {
        return Some(Utc::now().fixed_offset());
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(raw) {
        return Some(d);
    }
    if let Ok(d) = DateTime::parse_from_str(raw, "%Y-%m-%d %H:%M:%S %z") {
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

/// Shopify's named date formats, unless the theme's locale sets `date_formats.<name>`.
fn named_format(state: &State, name: &str) -> Option<String> {
    let key = format!("date_formats.{name}");
    if let Some(page) = current_page(state)
        && let Some(found) = page.translate(&key, None)
    {
        return Some(found.to_string());
    }
    Some(
        match name {
            "abbreviated_date" => "%b %d, %Y",
            "basic" => "%m/%d/%Y",
            "date" => "%B %d, %Y",
            "date_at_time" => "%B %d, %Y at %-l:%M %P",
            "default" => "%A, %B %d, %Y at %-l:%M %P %z",
            "on_date" => "on %B %d, %Y",
            _ => return None,
        }
        .to_string(),
    )
}

fn strftime(when: &DateTime<FixedOffset>, format: &str) -> Option<String> {
    let mut out = String::new();
    // chrono reports a bad pattern as a fmt error; `to_string` would panic.
    write!(out, "{}", when.format(format)).ok()?;
    Some(out)
}

/// `date | time_tag: '%B %d, %Y'` or `time_tag: format: 'abbreviated_date'`, with an optional
/// `datetime:` format for the attribute (UTC ISO 8601 by default).
fn time_tag(state: &State, value: Value, format: Option<Value>, args: Kwargs) -> Value {
    let named = args
        .get::<Option<Value>>("format")
        .ok()
        .flatten()
        .map(|v| text(&v).into_owned());
    let datetime_format = args
        .get::<Option<Value>>("datetime")
        .ok()
        .flatten()
        .map(|v| text(&v).into_owned());
    let Some(when) = parse_date(&value) else {
        return value;
    };
    let shown_format = match (format, named) {
        (Some(f), _) => text(&f).into_owned(),
        (None, Some(name)) => named_format(state, &name).unwrap_or(name),
        (None, None) => named_format(state, "default").unwrap_or_default(),
    };
    let shown = strftime(&when, &shown_format).unwrap_or_default();
    let datetime = match datetime_format {
        Some(f) => strftime(&when, &f).unwrap_or_default(),
        None => when
            .with_timezone(&Utc)
            .to_rfc3339_opts(SecondsFormat::Secs, true),
    };
    markup(format!(
        "<time datetime=\"{}\"{}>{}</time>",
        escape(&datetime),
        html_attributes(&args, &["format", "datetime"]),
        escape(&shown)
    ))
}

/// `paginate | default_pagination`: Shopify's links for a `paginate` object (`previous`,
/// `next`, `parts` of `{title, url, is_link}`). Labels can be set with `previous:`/`next:`.
fn default_pagination(paginate: Value, args: Kwargs) -> Value {
    let label = |key: &str, fallback: &str| {
        args.get::<Option<Value>>(key)
            .ok()
            .flatten()
            .map_or_else(|| fallback.to_string(), |v| escape(&text(&v)))
    };
    let previous_label = label("previous", "&laquo; Previous");
    let next_label = label("next", "Next &raquo;");
    let current = attr_text(&paginate, "current_page");
    let link = |part: &Value, class: &str, title: &str| {
        format!(
            "<span class=\"{class}\"><a href=\"{}\" title=\"{title}\">{}</a></span>",
            escape(&attr_text(part, "url")),
            if title.is_empty() {
                escape(&attr_text(part, "title"))
            } else {
                title.to_string()
            }
        )
    };
    let mut pieces = Vec::new();
    if let Some(previous) = attr(&paginate, "previous") {
        pieces.push(link(&previous, "prev", &previous_label));
    }
    if let Some(parts) = attr(&paginate, "parts")
        && let Ok(parts) = parts.try_iter()
    {
        for part in parts {
            let title = attr_text(&part, "title");
            let is_link = attr(&part, "is_link").is_some_and(|v| v.is_true());
            if is_link {
                pieces.push(link(&part, "page", ""));
            } else if title == current {
                pieces.push(format!(
                    "<span class=\"page current\">{}</span>",
                    escape(&title)
                ));
            } else {
                // Shopify's `&hellip;` gap.
                pieces.push(format!("<span class=\"deco\">{title}</span>"));
            }
        }
    }
    if let Some(next) = attr(&paginate, "next") {
        pieces.push(link(&next, "next", &next_label));
    }
    markup(pieces.join(" "))
}

/// `form.errors | default_errors`: the messages in Shopify's `<div class="errors"><ul>`.
/// Takes Shopify's errors object (`messages` and `translated_fields` by field), a list of
/// messages, or one message.
fn default_errors(errors: Value) -> Value {
    let mut messages = Vec::new();
    if let Some(by_field) = attr(&errors, "messages") {
        let fields = attr(&errors, "translated_fields");
        if let Ok(keys) = by_field.try_iter() {
            for field in keys {
                let message = by_field
                    .get_item(&field)
                    .map(|m| text(&m).into_owned())
                    .unwrap_or_default();
                let field_name = text(&field).into_owned();
                let label = fields
                    .as_ref()
                    .map(|f| attr_text(f, &field_name))
                    .unwrap_or_default();
                messages.push(if field_name == "form" || label.is_empty() {
                    message
                } else {
                    format!("{label} {message}")
                });
            }
        }
    } else if matches!(errors.kind(), ValueKind::Seq | ValueKind::Iterable) {
        if let Ok(items) = errors.try_iter() {
            messages.extend(items.map(|m| text(&m).into_owned()));
        }
    } else if !text(&errors).is_empty() {
        messages.push(text(&errors).into_owned());
    }
    if messages.is_empty() {
        return Value::from("");
    }
    let items: String = messages
        .iter()
        .map(|m| format!("<li>{}</li>", escape(m)))
        .collect();
    markup(format!("<div class=\"errors\"><ul>{items}</ul></div>"))
}

/// `address | format_address`: the address's lines in a `<p>`, separated by `<br>`.
fn format_address(address: Value) -> Value {
    if address.kind() != ValueKind::Map {
        return Value::from("");
    }
    let field = |key: &str| attr_text(&address, key).trim().to_string();
    let name = {
        let full = format!("{} {}", field("first_name"), field("last_name"));
        let full = full.trim().to_string();
        if full.is_empty() { field("name") } else { full }
    };
    let province = match field("province_code") {
        code if code.is_empty() => field("province"),
        code => code,
    };
    let city_line = [field("city"), province, field("zip")]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let country = match field("country") {
        c if c.is_empty() => field("country_code"),
        c => c,
    };
    let lines: Vec<String> = [
        name,
        field("company"),
        field("address1"),
        field("address2"),
        city_line,
        country,
    ]
    .into_iter()
    .filter(|l| !l.is_empty())
    .map(|l| escape(&l))
    .collect();
    markup(format!("<p>{}</p>", lines.join("<br>")))
}

#[cfg(test)]
mod tests {
    use super::super::test_support::render;
    use minijinja::{Value, context};

    fn one(source: &str) -> String {
        render(source, Value::UNDEFINED)
    }

    #[test]
    fn preload_and_placeholders() {
        assert_eq!(
            one("{{ '/static/cart.js'|preload_tag(as='script') }}"),
            "<link href=\"/static/cart.js\" as=\"script\" rel=\"preload\">"
        );
        let svg = one("{{ 'product-1'|placeholder_svg_tag('placeholder-svg') }}");
        assert!(
            svg.starts_with(
                "<svg class=\"placeholder-svg\" xmlns=\"http://www.w3.org/2000/svg\" \
                 viewBox=\"0 0 525.5 525.5\"><rect"
            ),
            "{svg}"
        );
        assert!(svg.ends_with("</svg>"));
        assert_eq!(
            one("{{ 'no-such-thing'|placeholder_svg_tag }}"),
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 525.5 525.5\"></svg>"
        );
    }

    #[test]
    fn highlight_terms_outside_tags() {
        assert_eq!(
            one("{{ '<p class=\"potion\">A Potion of potions</p>'|highlight('potion') }}"),
            "<p class=\"potion\">A <strong class=\"highlight\">Potion</strong> of \
             <strong class=\"highlight\">potion</strong>s</p>"
        );
    }

    #[test]
    fn time_tag_like_shopify() {
        let ctx = context! { created_at => "2022-04-14 16:56:02 -0400" };
        assert_eq!(
            render("{{ created_at|time_tag('%B %d, %Y') }}", ctx.clone()),
            "<time datetime=\"2022-04-14T20:56:02Z\">April 14, 2022</time>"
        );
        assert_eq!(
            render(
                "{{ created_at|time_tag(format='abbreviated_date') }}",
                ctx.clone()
            ),
            "<time datetime=\"2022-04-14T20:56:02Z\">Apr 14, 2022</time>"
        );
        assert_eq!(
            render(
                "{{ created_at|time_tag('%B %d, %Y', datetime='%Y-%m-%d') }}",
                ctx
            ),
            "<time datetime=\"2022-04-14\">April 14, 2022</time>"
        );
        assert_eq!(one("{{ 'soon'|time_tag('%Y') }}"), "soon");
    }

    #[test]
    fn pagination_errors_and_addresses() {
        let link = |title: &str, url: &str, is_link: bool| {
            context! { title => title, url => url, is_link => is_link }
        };
        let ctx = context! { paginate => context! {
            current_page => 2,
            pages => 3,
            previous => link("« Previous", "/collections/all", true),
            next => link("Next »", "/collections/all?page=3", true),
            parts => vec![
                link("1", "/collections/all", true),
                link("2", "/collections/all?page=2", false),
                link("&hellip;", "", false),
                link("3", "/collections/all?page=3", true),
            ],
        }};
        assert_eq!(
            render("{{ paginate|default_pagination }}", ctx),
            "<span class=\"prev\"><a href=\"/collections/all\" title=\"&laquo; Previous\">\
             &laquo; Previous</a></span> \
             <span class=\"page\"><a href=\"/collections/all\" title=\"\">1</a></span> \
             <span class=\"page current\">2</span> <span class=\"deco\">&hellip;</span> \
             <span class=\"page\"><a href=\"/collections/all?page=3\" title=\"\">3</a></span> \
             <span class=\"next\"><a href=\"/collections/all?page=3\" title=\"Next &raquo;\">\
             Next &raquo;</a></span>"
        );
        let errors = context! { errors => context! {
            messages => context! { email => "can't be blank.", form => "Try again." },
            translated_fields => context! { email => "Email" },
        }};
        assert_eq!(
            render("{{ errors|default_errors }}", errors),
            "<div class=\"errors\"><ul><li>Email can&#x27;t be blank.</li>\
             <li>Try again.</li></ul></div>"
        );
        assert_eq!(one("[{{ nothing|default_errors }}]"), "[]");
        let address = context! { address => context! {
            first_name => "Polina", last_name => "Waters", company => "Polina's Potent Potions",
            address1 => "150 Elgin Street", address2 => "8th floor", city => "Ottawa",
            province_code => "ON", zip => "K2P 1L4", country => "Canada",
        }};
        assert_eq!(
            render("{{ address|format_address }}", address),
            "<p>Polina Waters<br>Polina&#x27;s Potent Potions<br>150 Elgin Street<br>\
             8th floor<br>Ottawa ON K2P 1L4<br>Canada</p>"
        );
    }
}
