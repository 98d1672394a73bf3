//! The image filters: `image_url`, `img_url`, `image_tag` and `asset_img_url`. Their URLs are
//! the ones `/static` resizes (`?width=400&crop=center`), written in `imaging`'s one parameter
//! order, so the `width`/`height` `image_tag` prints are the size the server answers.
//!
//! References:
//! <https://shopify.dev/docs/api/liquid/filters/image_url>,
//! <https://shopify.dev/docs/api/liquid/filters/img_url>,
//! <https://shopify.dev/docs/api/liquid/filters/image_tag>,
//! <https://shopify.dev/docs/api/liquid/filters/asset_img_url>

use std::fmt::Write as _;

use minijinja::value::{Kwargs, ValueKind};
use minijinja::{Environment, Error, ErrorKind, State, Value};

use super::context::{AssetVersions, current_page};
use super::html::escape_html;
use super::image::{ImageFacts, ImageIndex};
use crate::imaging::transform::PARAM_NAMES;
use crate::imaging::{SourceKind, Transform, plan};

/// The widths of `image_tag`'s default `srcset` (Shopify's), kept below the image's width.
pub const DEFAULT_SRCSET_WIDTHS: &[u32] = &[352, 832, 1200, 1920, 2560, 3840];

/// `image_tag` parameters that are not printed as attributes of their own name.
const TAG_OPTIONS: &[&str] = &["width", "height", "srcset", "widths", "alt", "preload"];

pub fn register(env: &mut Environment<'_>) {
    env.add_filter("image_url", image_url);
    env.add_filter("img_url", img_url);
    env.add_filter("image_tag", image_tag);
    env.add_filter("asset_img_url", asset_img_url);
}

/// An image a filter was given, with what is known of it.
#[derive(Debug, Clone, PartialEq)]
struct ImageRef {
    /// The URL as the theme has it (`/static/products/hat.svg`), perhaps with a query.
    src: String,
    facts: Option<ImageFacts>,
}

fn is_nil(value: &Value) -> bool {
    value.is_undefined() || value.is_none()
}

fn attr(value: &Value, name: &str) -> Option<Value> {
    value.get_attr(name).ok().filter(|v| !is_nil(v))
}

/// The image behind a value: an image object (its `src`), a product or variant (its
/// `featured_image`), a collection or line item (its `image`), a media (its `preview_image`),
/// or a URL string. `None` for nil and for objects without an image.
fn image_ref(value: &Value) -> Option<ImageRef> {
    image_ref_within(value, 0)
}

fn image_ref_within(value: &Value, depth: u8) -> Option<ImageRef> {
    match value.kind() {
        ValueKind::String => {
            let src = value.as_str().unwrap_or_default().trim();
            (!src.is_empty()).then(|| ImageRef {
                src: src.to_string(),
                facts: None,
            })
        }
        ValueKind::Map | ValueKind::Plain if depth < 3 => {
            // `src` on Liquid's image objects; `url` on the Ajax JSON's (a cart line's image),
            // but only for an object with no image inside it (a product's `url` is its page).
            let nested = ["featured_image", "image", "preview_image"]
                .iter()
                .find_map(|name| attr(value, name).filter(|v| !v.is_none() && !v.is_undefined()));
            let src = attr(value, "src")
                .filter(|v| v.kind() == ValueKind::String)
                .or_else(|| {
                    nested
                        .is_none()
                        .then(|| attr(value, "url"))
                        .flatten()
                        .filter(|v| v.kind() == ValueKind::String)
                });
            if let Some(src) = src {
                let number = |name| {
                    attr(value, name)
                        .and_then(|v| u32::try_from(v).ok())
                        .filter(|n| *n > 0)
                };
                let facts = match (number("width"), number("height")) {
                    (Some(width), Some(height)) => Some(ImageFacts {
                        width,
                        height,
                        alt: attr(value, "alt")
                            .map(|a| a.to_string())
                            .unwrap_or_default(),
                    }),
                    _ => None,
                };
                return image_ref_within(&src, depth + 1).map(|r| ImageRef { facts, ..r });
            }
            nested.and_then(|inner| image_ref_within(&inner, depth + 1))
        }
        _ => None,
    }
}

/// A parameter's text: a whole number prints without `.0`; nil is absent.
fn param_text(value: &Value) -> Option<String> {
    if is_nil(value) {
        return None;
    }
    if let Some(i) = value.as_i64() {
        return Some(i.to_string());
    }
    if let Ok(f) = f64::try_from(value.clone())
        && value.kind() == ValueKind::Number
    {
        return Some(if f.fract() == 0.0 && f.abs() < 1e15 {
            format!("{}", f as i64)
        } else {
            f.to_string()
        });
    }
    // A blank text (`widths | split: ',' | last | strip` of no widths) is no parameter, as
    // themes that work on Shopify expect.
    Some(value.to_string().trim().to_string()).filter(|text| !text.is_empty())
}

fn invalid(filter: &str, message: impl std::fmt::Display) -> Error {
    Error::new(ErrorKind::InvalidOperation, format!("{filter}: {message}"))
}

/// The transformation asked by `pairs`, as the endpoint will read it.
fn transform_of(filter: &str, pairs: &[(&str, String)]) -> Result<Option<Transform>, Error> {
    Transform::from_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str())))
        .map_err(|e| invalid(filter, e))
}

/// `src` with the transformation's parameters: a cache-busting `v=` first (for a file under
/// `/static/` whose version is known), then any other parameter `src` already had, then the
/// transformation's, each once, in one order. Parameters of an earlier transformation that
/// `src` carried are replaced.
fn transformed_url(
    src: &str,
    transform: Option<&Transform>,
    assets: Option<&AssetVersions>,
) -> String {
    let (path, query) = src.split_once('?').unwrap_or((src, ""));
    let mut params: Vec<String> = Vec::new();
    let kept: Vec<&str> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .filter(|p| {
            let name = p.split_once('=').map_or(*p, |(n, _)| n);
            !PARAM_NAMES.contains(&name)
        })
        .collect();
    let has_version = kept
        .iter()
        .any(|p| p.split_once('=').map_or(*p, |(n, _)| n) == "v");
    if !has_version
        && let Some(rel) = path.strip_prefix("/static/")
        && let Some(version) = assets.and_then(|a| a.0.get(rel))
    {
        params.push(format!("v={version}"));
    }
    params.extend(kept.iter().map(|p| p.to_string()));
    if let Some(transform) = transform {
        params.extend(
            transform
                .query_pairs()
                .into_iter()
                .map(|(k, v)| format!("{k}={v}")),
        );
    }
    if params.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{}", params.join("&"))
    }
}

/// `image|image_url(width=400, height=300, crop='center', format='webp', pad_color='fff')`:
/// the URL of the image resized so. A legacy size string (`image_url('master')`) is read as
/// `img_url`'s.
fn image_url(
    state: &State,
    value: Value,
    size: Option<Value>,
    args: Kwargs,
) -> Result<String, Error> {
    let Some(image) = image_ref(&value) else {
        return Ok(String::new());
    };
    let mut pairs: Vec<(&str, String)> = Vec::new();
    // The parameters a theme may pass: those the endpoint reads, in its order.
    for name in PARAM_NAMES {
        if let Some(mut text) = args
            .get::<Option<Value>>(name)?
            .as_ref()
            .and_then(param_text)
        {
            // A size read as Ruby reads a number: `'1800x1800'` is 1800 (Impulse passes its
            // legacy zoom size as the width).
            if matches!(*name, "width" | "height") {
                let digits = text.bytes().take_while(u8::is_ascii_digit).count();
                if digits > 0 && digits < text.len() && !text[digits..].starts_with('.') {
                    text.truncate(digits);
                }
            }
            pairs.push((name, text));
        }
    }
    if !pairs.iter().any(|(k, _)| *k == "width" || *k == "height")
        && let Some(size) = size.as_ref().and_then(param_text)
    {
        pairs.extend(size_string_pairs(&size));
    }
    let transform = transform_of("image_url", &pairs)?;
    let page = current_page(state);
    Ok(transformed_url(
        &image.src,
        transform.as_ref(),
        page.as_ref().map(|p| &*p.assets),
    ))
}

/// The named sizes of `img_url`, as their square boxes.
fn named_size(name: &str) -> Option<u32> {
    Some(match name {
        "pico" => 16,
        "icon" => 32,
        "thumb" => 50,
        "small" => 100,
        "compact" => 160,
        "medium" => 240,
        "large" => 480,
        "grande" => 600,
        _ => return None,
    })
}

/// `'300x'`, `'x300'`, `'300x300'`, or a named size, as `width`/`height` pairs. `master`,
/// `original` and anything unreadable ask for no resize.
fn size_string_pairs(size: &str) -> Vec<(&'static str, String)> {
    let size = size.trim().to_ascii_lowercase();
    if let Some(side) = named_size(&size) {
        return vec![("width", side.to_string()), ("height", side.to_string())];
    }
    let Some((w, h)) = size.split_once('x') else {
        return Vec::new();
    };
    let number = |s: &str| s.parse::<u32>().ok().map(|n| n.to_string());
    let mut out = Vec::new();
    if let Some(w) = number(w) {
        out.push(("width", w));
    }
    if let Some(h) = number(h) {
        out.push(("height", h));
    }
    out
}

/// `image|img_url('300x300', crop='center')`, the older size-string form.
fn img_url(
    state: &State,
    value: Value,
    size: Option<Value>,
    args: Kwargs,
) -> Result<String, Error> {
    let Some(image) = image_ref(&value) else {
        return Ok(String::new());
    };
    let page = current_page(state);
    let url = sized_url(
        "img_url",
        &image.src,
        size.as_ref(),
        &args,
        page.as_ref().map(|p| &*p.assets),
    )?;
    Ok(url)
}

/// The URL of `src` at a size string, with `crop` and `format` from `args`.
fn sized_url(
    filter: &str,
    src: &str,
    size: Option<&Value>,
    args: &Kwargs,
    assets: Option<&AssetVersions>,
) -> Result<String, Error> {
    let mut pairs = size
        .and_then(param_text)
        .map(|s| size_string_pairs(&s))
        .unwrap_or_default();
    for name in ["crop", "format"] {
        if let Some(text) = args
            .get::<Option<Value>>(name)?
            .as_ref()
            .and_then(param_text)
        {
            pairs.push((name, text));
        }
    }
    let transform = transform_of(filter, &pairs)?;
    Ok(transformed_url(src, transform.as_ref(), assets))
}

/// `'logo.png'|asset_img_url('300x')`: a file of the theme's `static/` at a size.
fn asset_img_url(
    state: &State,
    name: Value,
    size: Option<Value>,
    args: Kwargs,
) -> Result<String, Error> {
    let name = param_text(&name).unwrap_or_default();
    let src = format!("/static/{}", name.trim_start_matches('/'));
    let page = current_page(state);
    sized_url(
        "asset_img_url",
        &src,
        size.as_ref(),
        &args,
        page.as_ref().map(|p| &*p.assets),
    )
}

/// What `image_tag` was asked besides the URL.
#[derive(Debug, Default)]
struct TagOptions {
    /// `Some(None)`: the attribute is left out (`width: nil`).
    width: Option<Option<String>>,
    height: Option<Option<String>>,
    /// `Some(None)`: no `srcset` (`srcset: nil`); `Some(Some(s))`: exactly `s`.
    srcset: Option<Option<String>>,
    widths: Option<Vec<u32>>,
    alt: Option<String>,
    /// Every other attribute, in the order given.
    attributes: Vec<(String, String)>,
}

impl TagOptions {
    fn from_kwargs(args: &Kwargs) -> Result<TagOptions, Error> {
        let mut options = TagOptions::default();
        let optional = |name: &str| -> Result<Option<Option<String>>, Error> {
            if !args.has(name) {
                return Ok(None);
            }
            Ok(Some(
                args.get::<Value>(name).ok().as_ref().and_then(param_text),
            ))
        };
        options.width = optional("width")?;
        options.height = optional("height")?;
        options.srcset = optional("srcset")?;
        options.alt = optional("alt")?.map(Option::unwrap_or_default);
        if let Some(Some(list)) = optional("widths")? {
            let widths = list
                .split(',')
                .map(str::trim)
                .filter(|w| !w.is_empty())
                .map(|w| {
                    // A computed width may be a float (`height | times: aspect_ratio` gives
                    // `128.0`); Shopify takes its whole part.
                    w.parse::<u32>()
                        .ok()
                        .or_else(|| {
                            w.parse::<f64>()
                                .ok()
                                .filter(|f| f.is_finite() && *f >= 1.0 && *f <= f64::from(u32::MAX))
                                .map(|f| f as u32)
                        })
                        .filter(|n| (1..=crate::imaging::MAX_DIMENSION).contains(n))
                        .ok_or_else(|| {
                            invalid("image_tag", format!("widths: {w:?} is not a width"))
                        })
                })
                .collect::<Result<Vec<u32>, Error>>()?;
            options.widths = Some(widths);
        }
        let _: Option<Value> = args.get("preload")?;
        for name in args.args() {
            if TAG_OPTIONS.contains(&name) {
                continue;
            }
            let value: Value = args.get(name)?;
            if !valid_attribute_name(name) {
                return Err(invalid(
                    "image_tag",
                    format!("{name:?} is not an attribute name"),
                ));
            }
            if let Some(text) = param_text(&value) {
                options.attributes.push((name.to_string(), text));
            }
        }
        Ok(options)
    }
}

fn valid_attribute_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b':' | b'.'))
}

/// `image|image_url(width=400)|image_tag(sizes='50vw', loading='lazy', class='photo')`: an
/// `<img>` with the URL's size as `width`/`height`, the image's alt text, and a `srcset` of
/// the default widths up to that size.
fn image_tag(state: &State, value: Value, args: Kwargs) -> Result<Value, Error> {
    let options = TagOptions::from_kwargs(&args)?;
    let Some(mut image) = image_ref(&value) else {
        return Ok(Value::from(""));
    };
    let page = current_page(state);
    if image.facts.is_none() {
        image.facts = known_facts(&image.src, page.as_ref().map(|p| &*p.images));
    }
    Ok(Value::from_safe_string(tag_html(&image, &options)))
}

fn known_facts(src: &str, index: Option<&ImageIndex>) -> Option<ImageFacts> {
    let path = src.split_once('?').map_or(src, |(p, _)| p);
    index?.get(path).cloned()
}

/// The size the URL answers: the endpoint's plan when the source is known, else the asked
/// width and height as they are.
fn answered_size(image: &ImageRef, transform: Option<&Transform>) -> (Option<u32>, Option<u32>) {
    let path = image.src.split_once('?').map_or(&*image.src, |(p, _)| p);
    let scalable = SourceKind::from_path(path).is_some_and(SourceKind::scalable);
    match (&image.facts, transform) {
        (Some(facts), Some(t)) => {
            let p = plan(
                (f64::from(facts.width), f64::from(facts.height)),
                t,
                scalable,
            );
            (Some(p.canvas.0), Some(p.canvas.1))
        }
        (Some(facts), None) => (Some(facts.width), Some(facts.height)),
        (None, Some(t)) => (t.width, t.height),
        (None, None) => (None, None),
    }
}

fn tag_html(image: &ImageRef, options: &TagOptions) -> String {
    let query = image.src.split_once('?').map_or("", |(_, q)| q);
    let transform = Transform::from_query(query).ok().flatten();
    let (width, height) = answered_size(image, transform.as_ref());
    // One of width/height given alone prints only that one, as Shopify does.
    let (width_attr, height_attr) = match (&options.width, &options.height) {
        (None, None) => (width.map(|w| w.to_string()), height.map(|h| h.to_string())),
        (w, h) => (w.clone().flatten(), h.clone().flatten()),
    };
    let srcset = match &options.srcset {
        Some(given) => given.clone(),
        None => default_srcset(image, transform.as_ref(), width, options.widths.as_deref()),
    };
    let alt = options
        .alt
        .clone()
        .or_else(|| image.facts.as_ref().map(|f| f.alt.clone()))
        .unwrap_or_default();
    let mut out = String::from("<img");
    let mut put = |name: &str, value: &str| {
        let _ = write!(out, " {name}=\"{}\"", escape_html(value));
    };
    put("src", &image.src);
    put("alt", &alt);
    if let Some(srcset) = &srcset {
        put("srcset", srcset);
    }
    if let Some(w) = &width_attr {
        put("width", w);
    }
    if let Some(h) = &height_attr {
        put("height", h);
    }
    for (name, value) in &options.attributes {
        put(name, value);
    }
    out.push('>');
    out
}

/// `url 352w, url 832w, ...`: the widths below the answered width, then that width; with
/// `widths`, those of them up to it. The height follows the URL's box when it has one.
fn default_srcset(
    image: &ImageRef,
    transform: Option<&Transform>,
    answered_width: Option<u32>,
    widths: Option<&[u32]>,
) -> Option<String> {
    let max = answered_width?;
    let mut chosen: Vec<u32> = match widths {
        Some(widths) => widths.iter().copied().filter(|w| *w <= max).collect(),
        None => DEFAULT_SRCSET_WIDTHS
            .iter()
            .copied()
            .filter(|w| *w < max)
            .chain([max])
            .collect(),
    };
    chosen.sort_unstable();
    chosen.dedup();
    if chosen.is_empty() {
        return None;
    }
    let base = transform.cloned().unwrap_or(Transform {
        width: None,
        height: None,
        crop: None,
        pad_color: None,
        format: None,
    });
    let entries: Vec<String> = chosen
        .iter()
        .map(|&w| {
            let mut t = base.clone();
            t.height = match (base.width, base.height) {
                (Some(bw), Some(bh)) => {
                    let h = (f64::from(w) * f64::from(bh) / f64::from(bw)).round() as u32;
                    Some(h.clamp(1, crate::imaging::MAX_DIMENSION))
                }
                _ => None,
            };
            t.width = Some(w);
            format!("{} {w}w", transformed_url(&image.src, Some(&t), None))
        })
        .collect();
    Some(entries.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(source: &str, ctx: Value) -> Result<String, Error> {
        let mut env = Environment::new();
        super::super::filters::configure_environment(&mut env);
        env.render_str(source, ctx)
    }

    fn ok(source: &str, ctx: Value) -> String {
        render(source, ctx).unwrap_or_else(|e| panic!("{source}: {e}"))
    }

    fn ctx() -> Value {
        let image = minijinja::context! {
            src => "/static/products/hat.jpg",
            width => 1600,
            height => 1200,
            alt => "A \"hat\"",
        };
        minijinja::context! {
            image => image.clone(),
            product => minijinja::context! { featured_image => image.clone(), title => "Hat" },
            variant => minijinja::context! { featured_image => (), image => image.clone() },
            collection => minijinja::context! { image => image.clone(), url => "/collections/hats" },
            empty => minijinja::context! { featured_image => () },
        }
    }

    #[test]
    fn image_url_writes_the_given_parameters_in_one_order() {
        let c = ctx();
        assert_eq!(
            ok("{{ image|image_url(width=400) }}", c.clone()),
            "/static/products/hat.jpg?width=400"
        );
        assert_eq!(
            ok(
                "{{ image|image_url(pad_color='FFF', format='webp', crop='top', height=300, width=400)|safe }}",
                c.clone()
            ),
            "/static/products/hat.jpg?width=400&height=300&crop=top&format=webp&pad_color=ffffff"
        );
        // Parameters Shopify ignores here (`scale` belongs to `img_url`) are ignored.
        assert_eq!(
            ok("{{ image|image_url(width=5, scale=2) }}", c.clone()),
            "/static/products/hat.jpg?width=5"
        );
        assert_eq!(
            ok("{{ image|img_url('5x', scale=2, crop='top') }}", c.clone()),
            "/static/products/hat.jpg?width=5&crop=top"
        );
        assert_eq!(
            ok("{{ image|image_url(height=300.0)|safe }}", c.clone()),
            "/static/products/hat.jpg?height=300"
        );
        // Nil parameters are left out (an unset theme setting).
        assert_eq!(
            ok(
                "{{ image|image_url(width=none, height=50)|safe }}",
                c.clone()
            ),
            "/static/products/hat.jpg?height=50"
        );
    }

    #[test]
    fn image_url_finds_the_image_of_products_variants_and_collections() {
        let c = ctx();
        for source in ["product", "variant", "collection", "image", "image.src"] {
            assert_eq!(
                ok(
                    &format!("{{{{ {source}|image_url(width=10) }}}}"),
                    c.clone()
                ),
                "/static/products/hat.jpg?width=10",
                "{source}"
            );
        }
        assert_eq!(ok("{{ empty|image_url(width=10) }}", c.clone()), "");
        assert_eq!(
            ok("{{ image|image_url(width=' ') }}", c.clone()),
            "/static/products/hat.jpg",
            "a blank width is no width"
        );
        assert_eq!(
            ok("{{ image|image_url(width='1800x1800') }}", c.clone()),
            "/static/products/hat.jpg?width=1800"
        );
        assert_eq!(ok("{{ nothing|image_url(width=10) }}", c.clone()), "");
        assert_eq!(
            ok(
                "{{ 'https://cdn.example/a.png?v=3'|image_url(width=10)|safe }}",
                c
            ),
            "https://cdn.example/a.png?v=3&width=10"
        );
    }

    #[test]
    fn image_url_replaces_an_earlier_size() {
        assert_eq!(
            ok(
                "{{ '/static/a.png?v=1&width=100&height=5'|image_url(width=300)|safe }}",
                Value::UNDEFINED
            ),
            "/static/a.png?v=1&width=300"
        );
    }

    #[test]
    fn image_url_refuses_what_the_endpoint_would() {
        let c = ctx();
        for bad in [
            "width=0",
            "width=5761",
            "width='wide'",
            "width=10, crop='middle'",
            "width=10, format='avif'",
            "width=10, pad_color='red'",
        ] {
            let err = render(&format!("{{{{ image|image_url({bad}) }}}}"), c.clone())
                .expect_err(bad)
                .to_string();
            assert!(err.contains("image_url: "), "{bad}: {err}");
        }
    }

    #[test]
    fn img_url_size_strings() {
        let c = ctx();
        for (size, query) in [
            ("300x", "?width=300"),
            ("x300", "?height=300"),
            ("300x200", "?width=300&height=200"),
            ("large", "?width=480&height=480"),
            ("medium", "?width=240&height=240"),
            ("small", "?width=100&height=100"),
            ("thumb", "?width=50&height=50"),
            ("compact", "?width=160&height=160"),
            ("icon", "?width=32&height=32"),
            ("grande", "?width=600&height=600"),
            ("master", ""),
            ("original", ""),
        ] {
            assert_eq!(
                ok(
                    &format!("{{{{ image|img_url('{size}')|safe }}}}"),
                    c.clone()
                ),
                format!("/static/products/hat.jpg{query}"),
                "{size}"
            );
        }
        assert_eq!(
            ok(
                "{{ image|img_url('300x300', crop='center')|safe }}",
                c.clone()
            ),
            "/static/products/hat.jpg?width=300&height=300&crop=center"
        );
        assert_eq!(
            ok("{{ '/a.png?v=1'|img_url('300x200')|safe }}", c.clone()),
            "/a.png?v=1&width=300&height=200"
        );
        // The legacy form on image_url.
        assert_eq!(
            ok("{{ image|image_url('master') }}", c),
            "/static/products/hat.jpg"
        );
    }

    #[test]
    fn asset_img_url_sizes_a_theme_file() {
        assert_eq!(
            ok(
                "{{ 'logo.png'|asset_img_url('300x')|safe }}",
                Value::UNDEFINED
            ),
            "/static/logo.png?width=300"
        );
        assert_eq!(
            ok("{{ 'logo.png'|asset_img_url }}", Value::UNDEFINED),
            "/static/logo.png"
        );
    }

    #[test]
    fn image_tag_prints_shopifys_img() {
        // Shopify's example: a 200-pixel URL of a 3:2 image has a one-entry srcset.
        let out = ok(
            "{{ image|image_url(width=200)|image_tag }}",
            minijinja::context! { image => minijinja::context! {
                src => "/static/beakers.jpg", width => 1500, height => 1000, alt => "Health potion",
            }},
        );
        // No page: the string alone knows only its width.
        assert_eq!(
            out,
            "<img src=\"/static/beakers.jpg?width=200\" alt=\"\" \
             srcset=\"/static/beakers.jpg?width=200 200w\" width=\"200\">"
        );
    }

    #[test]
    fn image_tag_on_an_image_knows_its_size_and_alt() {
        let out = ok("{{ image|image_tag }}", ctx());
        assert_eq!(
            out,
            "<img src=\"/static/products/hat.jpg\" alt=\"A &quot;hat&quot;\" \
             srcset=\"/static/products/hat.jpg?width=352 352w, /static/products/hat.jpg?width=832 832w, \
             /static/products/hat.jpg?width=1200 1200w, /static/products/hat.jpg?width=1600 1600w\" \
             width=\"1600\" height=\"1200\">"
        );
    }

    fn hat(query: &str) -> ImageRef {
        ImageRef {
            src: format!("/static/products/hat.jpg{query}"),
            facts: Some(ImageFacts {
                width: 1600,
                height: 1200,
                alt: "Hat".into(),
            }),
        }
    }

    #[test]
    fn image_tag_sizes_follow_the_endpoint() {
        let out = tag_html(&hat("?v=1&width=1000"), &TagOptions::default());
        assert_eq!(
            out,
            "<img src=\"/static/products/hat.jpg?v=1&amp;width=1000\" alt=\"Hat\" \
             srcset=\"/static/products/hat.jpg?v=1&amp;width=352 352w, \
             /static/products/hat.jpg?v=1&amp;width=832 832w, \
             /static/products/hat.jpg?v=1&amp;width=1000 1000w\" width=\"1000\" height=\"750\">"
        );
        // Never larger than the source: 4000 asked, 1600 answered.
        let out = tag_html(&hat("?width=4000"), &TagOptions::default());
        assert!(out.ends_with(" width=\"1600\" height=\"1200\">"), "{out}");
        assert!(out.contains("width=1600 1600w\""), "{out}");
        // A cropped box keeps its ratio through the srcset.
        let out = tag_html(
            &hat("?width=400&height=400&crop=center"),
            &TagOptions::default(),
        );
        assert!(
            out.contains(
                "srcset=\"/static/products/hat.jpg?width=352&amp;height=352&amp;crop=center 352w, \
                 /static/products/hat.jpg?width=400&amp;height=400&amp;crop=center 400w\""
            ),
            "{out}"
        );
        assert!(out.ends_with(" width=\"400\" height=\"400\">"), "{out}");
    }

    #[test]
    fn image_tag_options() {
        let c = minijinja::context! { url => "/static/products/hat.jpg?width=900" };
        assert_eq!(
            ok(
                "{{ url|image_tag(srcset=none, width=300, alt='<Hat>', class='a b', loading='lazy', sizes='50vw', data_id=7, preload=true) }}",
                c.clone()
            ),
            "<img src=\"/static/products/hat.jpg?width=900\" alt=\"&lt;Hat&gt;\" width=\"300\" \
             class=\"a b\" loading=\"lazy\" sizes=\"50vw\" data_id=\"7\">"
        );
        assert_eq!(
            ok(
                "{{ url|image_tag(widths='200, 400,2000', height=none) }}",
                c.clone()
            ),
            "<img src=\"/static/products/hat.jpg?width=900\" alt=\"\" \
             srcset=\"/static/products/hat.jpg?width=200 200w, /static/products/hat.jpg?width=400 400w\">"
        );
        assert_eq!(
            ok("{{ url|image_tag(srcset='a.png 1x') }}", c.clone()),
            "<img src=\"/static/products/hat.jpg?width=900\" alt=\"\" srcset=\"a.png 1x\" width=\"900\">"
        );
        // Computed widths may be floats: their whole part (Concept's footer logo).
        assert_eq!(
            ok(
                "{{ url|image_tag(widths='200.0, 400.7', height=none) }}",
                c.clone()
            ),
            "<img src=\"/static/products/hat.jpg?width=900\" alt=\"\" \
             srcset=\"/static/products/hat.jpg?width=200 200w, /static/products/hat.jpg?width=400 400w\">"
        );
        assert!(render("{{ url|image_tag(widths='wide') }}", c.clone()).is_err());
        assert!(render("{{ url|image_tag(widths='0.5') }}", c).is_err());
        assert_eq!(ok("{{ nothing|image_tag }}", Value::UNDEFINED), "");
    }

    #[test]
    fn svg_urls_are_drawn_at_any_size() {
        let svg = ImageRef {
            src: "/static/hero.svg?width=2400".into(),
            facts: Some(ImageFacts {
                width: 1200,
                height: 600,
                alt: String::new(),
            }),
        };
        let out = tag_html(&svg, &TagOptions::default());
        assert!(out.ends_with(" width=\"2400\" height=\"1200\">"), "{out}");
        assert!(
            out.contains("width=1920 1920w, /static/hero.svg?width=2400 2400w"),
            "{out}"
        );
    }

    #[test]
    fn versions_come_from_the_page_assets() {
        let mut versions = AssetVersions::default();
        versions.0.insert("products/hat.svg".into(), "abc".into());
        let t = Transform::from_query("width=10").unwrap();
        assert_eq!(
            transformed_url("/static/products/hat.svg", t.as_ref(), Some(&versions)),
            "/static/products/hat.svg?v=abc&width=10"
        );
        // A URL that has its version keeps it.
        assert_eq!(
            transformed_url("/static/products/hat.svg?v=1", t.as_ref(), Some(&versions)),
            "/static/products/hat.svg?v=1&width=10"
        );
        assert_eq!(
            transformed_url("/static/other.svg", t.as_ref(), Some(&versions)),
            "/static/other.svg?width=10"
        );
    }
}
