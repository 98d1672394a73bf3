//! Bundled section rendering: the sections a cart mutation asks for, rendered after the commit
//! against the cart as it now is, in the context of `sections_url` or the `Referer` page.
//! <https://shopify.dev/docs/api/ajax/reference/cart#bundled-section-rendering>

use axum::http::{HeaderMap, header};

use serde_json::{Map, Value};

use super::json::{SectionHtml, Sections};
use super::visitor::Locale;
use crate::state::AppState;
use crate::theme::PageRequest;

/// The page whose context the sections render in: `sections_url`, else the path and query of a
/// same-origin `Referer`, else `/`. Never another origin.
pub fn context_url(sections_url: Option<&str>, headers: &HeaderMap) -> String {
    if let Some(url) = sections_url {
        return url.to_string();
    }
    let referer = headers.get(header::REFERER).and_then(|v| v.to_str().ok());
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    match (referer, host) {
        (Some(referer), Some(host)) => {
            same_origin_path(referer, host).unwrap_or_else(|| "/".into())
        }
        _ => "/".into(),
    }
}

/// The page an htmx request came from (`HX-Current-URL`), under the same rule as `Referer`:
/// its path and query when it is on this origin, else the `Referer` page, else `/`. The header
/// is the client's word like any other, so it never names another origin's page.
pub fn htmx_context_url(headers: &HeaderMap) -> String {
    let current = headers
        .get(axum_htmx::HX_CURRENT_URL)
        .and_then(|v| v.to_str().ok());
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    match (current, host) {
        (Some(current), Some(host)) => same_origin_path(current, host),
        _ => None,
    }
    .unwrap_or_else(|| context_url(None, headers))
}

/// `http://host/path?q` → `/path?q` when `host` matches; anything else → None.
fn same_origin_path(referer: &str, host: &str) -> Option<String> {
    let rest = referer
        .strip_prefix("http://")
        .or_else(|| referer.strip_prefix("https://"))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    if !authority.eq_ignore_ascii_case(host) {
        return None;
    }
    let path = path.split('#').next().unwrap_or("/");
    is_local_path(path).then(|| path.to_string())
}

/// Splits a storefront URL into the theme's page request: locale prefix, path and query.
pub fn page_request(state: &AppState, url: &str) -> PageRequest {
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    let shop = state.catalog().shop();
    let mut locale = shop.primary_locale.clone();
    let mut path = path.to_string();
    for code in shop.locales.iter().filter(|l| **l != shop.primary_locale) {
        let prefix = format!("/{code}");
        if path == prefix || path.starts_with(&format!("{prefix}/")) {
            locale = code.clone();
            path = path[prefix.len()..].to_string();
            if path.is_empty() {
                path = "/".into();
            }
            break;
        }
    }
    let query: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    PageRequest {
        path,
        shipping_estimate: super::shipping::shipping_estimate(state.catalog(), &query),
        query,
        locale,
        ..PageRequest::default()
    }
}

pub fn locale_of(state: &AppState, page: &PageRequest) -> Locale {
    if page.locale == state.catalog().shop().primary_locale {
        Locale::primary(&page.locale)
    } else {
        Locale::prefixed(&page.locale)
    }
}

/// Renders each id in the context of `url`. Unknown or failing sections are `null`; failures are
/// logged with their file and line.
/// `cart` is the theme's cart object ([`cart_object`]).
pub async fn render_bundle(
    state: &AppState,
    cart: minijinja::Value,
    ids: &[String],
    url: &str,
) -> Sections {
    let page = page_request(state, url);
    let theme = state.theme();
    let ctx = theme.context(&page, cart);
    let mut out = Sections::with_capacity(ids.len());
    for id in ids {
        let html = match theme.render_section_parts(&ctx, id) {
            Ok(html) => html.map(|(html, printed)| SectionHtml { html, printed }),
            Err(e) => {
                tracing::error!(section = %id, error = %e, "section failed to render");
                None
            }
        };
        out.insert(id.clone(), html);
    }
    out
}

/// The sections a mutation asks for, and where to render them.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct SectionsParams {
    pub ids: Vec<String>,
    pub url: Option<String>,
    /// Why the parameters are invalid: the request answers 400 and changes nothing.
    pub invalid: Option<String>,
}

pub const MAX_SECTIONS: usize = 5;

/// Reads `sections` (comma list, array, or repeated fields) and `sections_url`.
pub fn sections(body: &Map<String, Value>) -> SectionsParams {
    let mut params = SectionsParams::default();
    match body.get("sections") {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) => params.ids = split_ids(s),
        Some(Value::Array(list)) => {
            for v in list {
                match v {
                    Value::String(s) => params.ids.extend(split_ids(s)),
                    _ => params.invalid = Some("sections must be a list of section ids".into()),
                }
            }
        }
        Some(_) => params.invalid = Some("sections must be a list of section ids".into()),
    }
    if params.ids.len() > MAX_SECTIONS {
        params.invalid = Some(format!("At most {MAX_SECTIONS} sections can be requested"));
    }
    match body.get("sections_url") {
        None | Some(Value::Null) => {}
        Some(Value::String(url)) if url.is_empty() => {}
        Some(Value::String(url)) if is_local_path(url) => params.url = Some(url.clone()),
        Some(_) => {
            params.invalid =
                Some("sections_url must be a path on this store, starting with /".into())
        }
    }
    params
}

pub fn split_ids(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// A same-origin path: starts with one `/`, and cannot be read as another host (`//`, `/\`).
pub fn is_local_path(url: &str) -> bool {
    url.starts_with('/')
        && !url.starts_with("//")
        && !url.starts_with("/\\")
        && !url.chars().any(|c| c.is_control())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.insert(*name, value.parse().expect("header value"));
        }
        headers
    }

    #[test]
    fn htmx_current_url_is_the_path_and_query_on_this_origin_only() {
        let on = |current: &str| {
            htmx_context_url(&headers(&[
                ("host", "127.0.0.1:3000"),
                ("hx-current-url", current),
            ]))
        };
        assert_eq!(on("http://127.0.0.1:3000/fr/cart?x=1"), "/fr/cart?x=1");
        assert_eq!(on("https://127.0.0.1:3000/search?q=a#top"), "/search?q=a");
        assert_eq!(on("http://127.0.0.1:3000"), "/");
        for other in [
            "nonsense",
            "http://evil.example/fr/cart",
            "http://127.0.0.1:3000.evil.example/fr/cart",
            "http://127.0.0.1:3000//evil.example/x",
            "http://127.0.0.1:3000/\\evil.example",
            "/fr/cart",
        ] {
            assert_eq!(on(other), "/", "{other}");
        }
        // Without a usable HX-Current-URL, the Referer rule applies.
        let fallback = htmx_context_url(&headers(&[
            ("host", "127.0.0.1:3000"),
            ("hx-current-url", "http://evil.example/"),
            ("referer", "http://127.0.0.1:3000/collections/all"),
        ]));
        assert_eq!(fallback, "/collections/all");
        assert_eq!(htmx_context_url(&HeaderMap::new()), "/");
    }

    fn obj(v: serde_json::Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn sections_forms() {
        assert_eq!(
            sections(&obj(serde_json::json!({"sections": "a, b"}))).ids,
            vec!["a", "b"]
        );
        assert_eq!(
            sections(&obj(serde_json::json!({"sections": ["a", "b"]}))).ids,
            vec!["a", "b"]
        );
        assert!(
            sections(&obj(serde_json::json!({"sections": "a,b,c,d,e,f"})))
                .invalid
                .is_some()
        );
        assert!(
            sections(&obj(
                serde_json::json!({"sections_url": "https://evil.example/"})
            ))
            .invalid
            .is_some()
        );
        assert!(
            sections(&obj(serde_json::json!({"sections_url": "//evil.example/"})))
                .invalid
                .is_some()
        );
        assert_eq!(
            sections(&obj(serde_json::json!({"sections_url": "/cart?q=1"})))
                .url
                .as_deref(),
            Some("/cart?q=1")
        );
    }
}
