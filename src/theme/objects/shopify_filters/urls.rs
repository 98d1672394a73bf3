//! URL and link filters: <https://shopify.dev/docs/api/liquid/filters/url-filters> and
//! <https://shopify.dev/docs/api/liquid/filters/html-filters> (`link_to*`,
//! `highlight_active_tag`).
//!
//! Files from the Shopify admin (`file_url`) are served from `/static/files/`, and Shopify's own
//! scripts (`shopify_asset_url`) from `/static/shopify/`: local stand-ins for Shopify's CDN.

use minijinja::value::{Kwargs, ValueKind};
use minijinja::{Environment, State, Value};

use super::super::context::current_page;
use super::{attr, attr_text, body_text, encode_component, escape, html_attributes, markup, text};

pub fn register(env: &mut Environment<'_>) {
    env.add_filter("url_escape", |v: Value| url_escape(&text(&v)));
    env.add_filter("url_param_escape", |v: Value| {
        url_escape(&text(&v)).replace('&', "%26")
    });
    env.add_filter("file_url", |v: Value| file_url(&text(&v)));
    env.add_filter("file_img_url", file_img_url);
    env.add_filter("shopify_asset_url", |v: Value| {
        format!("/static/shopify/{}", text(&v).trim_start_matches('/'))
    });
    env.add_filter("link_to", link_to);
    env.add_filter("url_for_type", |state: &State, v: Value| {
        format!(
            "{}/collections/types?q={}",
            prefix(state),
            encode_component(&text(&v))
        )
    });
    env.add_filter("url_for_vendor", |state: &State, v: Value| {
        format!(
            "{}/collections/vendors?q={}",
            prefix(state),
            encode_component(&text(&v))
        )
    });
    env.add_filter("within", within);
    env.add_filter("sort_by", sort_by);
    env.add_filter("link_to_tag", link_to_tag);
    env.add_filter("link_to_add_tag", link_to_add_tag);
    env.add_filter("link_to_remove_tag", link_to_remove_tag);
    env.add_filter("highlight_active_tag", highlight_active_tag);
}

/// The locale prefix of the page's URLs (`""` or `/fr`).
fn prefix(state: &State) -> String {
    current_page(state).map_or_else(String::new, |p| p.prefix.clone())
}

/// Escapes what is unsafe in a URL and keeps its structure (`/ ? & = : # ...`): space is
/// `%20`, `<` is `%3C`. The characters kept are those Ruby's `URI.escape` keeps.
fn url_escape(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    for byte in input.bytes() {
        let kept = byte.is_ascii_alphanumeric() || b"-_.!~*'();/?:@&=+$,[]".contains(&byte);
        if kept {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn file_url(name: &str) -> String {
    format!("/static/files/{}", name.trim_start_matches('/'))
}

/// `'banner.png' | file_img_url: '400x'`: the file's URL with the size as `width`/`height`
/// (Shopify's named sizes such as `large` are their pixel bounds).
fn file_img_url(name: Value, size: Option<Value>) -> String {
    let mut url = file_url(&text(&name));
    let size = size.map(|s| text(&s).into_owned()).unwrap_or_default();
    let named = match size.as_str() {
        "pico" => Some(16),
        "icon" => Some(32),
        "thumb" => Some(50),
        "small" => Some(100),
        "compact" => Some(160),
        "medium" => Some(240),
        "large" => Some(480),
        "grande" => Some(600),
        "1024x1024" => Some(1024),
        "2048x2048" => Some(2048),
        _ => None,
    };
    let (width, height) = match named {
        Some(px) => (Some(px), Some(px)),
        None => {
            let (w, h) = size.split_once('x').unwrap_or((size.as_str(), ""));
            (w.parse::<u32>().ok(), h.parse::<u32>().ok())
        }
    };
    for (name, value) in [("width", width), ("height", height)] {
        if let Some(value) = value {
            url.push(if url.contains('?') { '&' } else { '?' });
            url.push_str(&format!("{name}={value}"));
        }
    }
    url
}

/// `'Shopify' | link_to: 'https://www.shopify.com', 'title'`; keyword arguments become
/// attributes.
fn link_to(
    state: &State,
    text_value: Value,
    url: Value,
    title: Option<Value>,
    args: Kwargs,
) -> Value {
    let title = title.map(|t| text(&t).into_owned()).unwrap_or_default();
    markup(format!(
        "<a href=\"{}\" title=\"{}\"{}>{}</a>",
        escape(&text(&url)),
        escape(&title),
        html_attributes(&args, &[]),
        body_text(state, &text_value)
    ))
}

/// `product.url | within: collection` → `/collections/{handle}/products/{product}`.
fn within(url: Value, collection: Value) -> String {
    let url = text(&url).into_owned();
    let collection_path = if collection.kind() == ValueKind::Map {
        let url = attr_text(&collection, "url");
        if url.is_empty() {
            format!("/collections/{}", attr_text(&collection, "handle"))
        } else {
            url
        }
    } else {
        let handle = text(&collection);
        if handle.is_empty() {
            return url;
        }
        format!("/collections/{handle}")
    };
    match url.find("/products/") {
        Some(at) => {
            let (locale, product) = url.split_at(at);
            // The collection URL may carry the locale prefix already.
            if !locale.is_empty() && collection_path.starts_with(locale) {
                format!("{collection_path}{product}")
            } else {
                format!("{locale}{collection_path}{product}")
            }
        }
        None => url,
    }
}

/// `collection.url | sort_by: 'price-descending'` sets the `sort_by` query parameter.
fn sort_by(url: Value, order: Value) -> String {
    let url = text(&url);
    let order = text(&order);
    let (path, query) = url.split_once('?').unwrap_or((&url, ""));
    let mut serializer = form_urlencoded::Serializer::new(String::new());
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        if key != "sort_by" {
            serializer.append_pair(&key, &value);
        }
    }
    if !order.is_empty() {
        serializer.append_pair("sort_by", &order);
    }
    let query = serializer.finish();
    if query.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{query}")
    }
}

/// The current collection's URL (`/collections/all` off a collection page) and the tags the
/// visitor filters it by (`current_tags`).
fn tag_base(state: &State) -> (String, Vec<String>) {
    let page = current_page(state);
    let collection = page
        .as_deref()
        .and_then(|p| p.get("collection"))
        .filter(|c| !c.is_undefined() && !c.is_none())
        .or_else(|| state.lookup("collection"));
    let base = collection
        .as_ref()
        .and_then(|c| {
            attr(c, "url")
                .map(|u| text(&u).into_owned())
                .or_else(|| attr(c, "handle").map(|h| format!("/collections/{}", text(&h))))
        })
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| {
            format!(
                "{}/collections/all",
                page.as_deref().map_or("", |p| p.prefix.as_str())
            )
        });
    let current = state
        .lookup("current_tags")
        .and_then(|tags| tags.try_iter().ok().map(|it| it.collect::<Vec<_>>()))
        .unwrap_or_default()
        .iter()
        .map(|t| text(t).into_owned())
        .collect();
    (base, current)
}

/// Shopify's tag URLs use handleized tags joined with `+`.
fn tag_handle(tag: &str) -> String {
    let mut out = String::new();
    for c in tag.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    encode_component(&out)
}

fn tag_link(state: &State, tags: &[String], title: &str, label: &Value, args: &Kwargs) -> Value {
    let (base, _) = tag_base(state);
    let path: Vec<String> = tags.iter().map(|t| tag_handle(t)).collect();
    let href = if path.is_empty() {
        base.to_string()
    } else {
        format!("{base}/{}", path.join("+"))
    };
    markup(format!(
        "<a href=\"{}\" title=\"{}\"{}>{}</a>",
        escape(&href),
        escape(title),
        html_attributes(args, &[]),
        body_text(state, label)
    ))
}

/// `tag | link_to_tag: tag`: the current collection filtered to that one tag.
fn link_to_tag(state: &State, label: Value, tag: Value, args: Kwargs) -> Value {
    let tag = text(&tag).into_owned();
    let title = format!("Show products matching tag {tag}");
    tag_link(state, &[tag], &title, &label, &args)
}

/// `tag | link_to_add_tag: tag`: the current tags and this one.
fn link_to_add_tag(state: &State, label: Value, tag: Value, args: Kwargs) -> Value {
    let (_, mut tags) = tag_base(state);
    let tag = text(&tag).into_owned();
    let title = format!("Show products matching tag {tag}");
    if !tags.contains(&tag) {
        tags.push(tag);
    }
    tag_link(state, &tags, &title, &label, &args)
}

/// `tag | link_to_remove_tag: tag`: the current tags less this one.
fn link_to_remove_tag(state: &State, label: Value, tag: Value, args: Kwargs) -> Value {
    let (_, mut tags) = tag_base(state);
    let tag = text(&tag).into_owned();
    let title = format!("Remove tag {tag}");
    tags.retain(|t| *t != tag);
    tag_link(state, &tags, &title, &label, &args)
}

/// `tag | highlight_active_tag`: a current tag in `<span class="active">`.
fn highlight_active_tag(state: &State, tag: Value, class: Option<Value>) -> Value {
    let (_, current) = tag_base(state);
    let name = text(&tag).into_owned();
    if current.contains(&name) {
        let class = class.map_or_else(|| "active".to_string(), |c| text(&c).into_owned());
        markup(format!(
            "<span class=\"{}\">{}</span>",
            escape(&class),
            body_text(state, &tag)
        ))
    } else {
        tag
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::render;
    use minijinja::{Value, context};

    fn one(source: &str) -> String {
        render(source, Value::UNDEFINED)
    }

    #[test]
    fn escapes_documented_by_shopify() {
        assert_eq!(
            one("{{ '<p>Health & Love potions</p>'|url_escape }}"),
            "%3Cp%3EHealth%20&%20Love%20potions%3C/p%3E"
        );
        assert_eq!(
            one("{{ '<p>Health & Love potions</p>'|url_param_escape }}"),
            "%3Cp%3EHealth%20%26%20Love%20potions%3C/p%3E"
        );
    }

    #[test]
    fn shop_urls() {
        assert_eq!(
            one("{{ 'health'|url_for_type }}"),
            "/collections/types?q=health"
        );
        assert_eq!(
            one("{{ \"Polina's Potent Potions\"|url_for_vendor }}"),
            "/collections/vendors?q=Polina%27s%20Potent%20Potions"
        );
        assert_eq!(
            one("{{ 'disclaimer.pdf'|file_url }}"),
            "/static/files/disclaimer.pdf"
        );
        assert_eq!(
            one("{{ 'banner.png'|file_img_url('400x300') }}"),
            "/static/files/banner.png?width=400&height=300"
        );
        assert_eq!(
            one("{{ 'banner.png'|file_img_url('large') }}"),
            "/static/files/banner.png?width=480&height=480"
        );
        assert_eq!(
            one("{{ 'option_selection.js'|shopify_asset_url }}"),
            "/static/shopify/option_selection.js"
        );
    }

    #[test]
    fn within_and_sort_by() {
        let ctx = context! { c => context! { handle => "sale", url => "/collections/sale" } };
        assert_eq!(
            render("{{ '/products/potion'|within(c) }}", ctx.clone()),
            "/collections/sale/products/potion"
        );
        assert_eq!(
            render("{{ '/products/potion'|within('sale') }}", ctx),
            "/collections/sale/products/potion"
        );
        assert_eq!(
            one("{{ '/collections/all'|sort_by('price-descending') }}"),
            "/collections/all?sort_by=price-descending"
        );
        assert_eq!(
            one("{{ '/collections/all?page=2&sort_by=manual'|sort_by('title-ascending') }}"),
            "/collections/all?page=2&sort_by=title-ascending"
        );
    }

    #[test]
    fn links() {
        assert_eq!(
            one("{{ 'Shopify'|link_to('https://www.shopify.com', 'Shopify', class='link') }}"),
            "<a href=\"https://www.shopify.com\" title=\"Shopify\" class=\"link\">Shopify</a>"
        );
        let ctx = context! {
            collection => context! { handle => "potions", url => "/collections/potions" },
            current_tags => vec!["fresh"],
        };
        assert_eq!(
            render(
                "{{ 'Extra potent'|link_to_tag('Extra potent') }}",
                ctx.clone()
            ),
            "<a href=\"/collections/potions/extra-potent\" \
             title=\"Show products matching tag Extra potent\">Extra potent</a>"
        );
        assert_eq!(
            render("{{ 'healing'|link_to_add_tag('healing') }}", ctx.clone()),
            "<a href=\"/collections/potions/fresh+healing\" \
             title=\"Show products matching tag healing\">healing</a>"
        );
        assert_eq!(
            render("{{ 'fresh'|link_to_remove_tag('fresh') }}", ctx.clone()),
            "<a href=\"/collections/potions\" title=\"Remove tag fresh\">fresh</a>"
        );
        assert_eq!(
            render(
                "{{ 'fresh'|highlight_active_tag }} {{ 'old'|highlight_active_tag }}",
                ctx
            ),
            "<span class=\"active\">fresh</span> old"
        );
    }
}
