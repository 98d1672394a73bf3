//! The per-request page context: which page a storefront path is (Shopify's URL scheme:
//! `/products/{handle}`, `/collections/{handle}`, `/cart`, `/search?q=`, ...), and the one
//! template context value every section of that request shares.
//!
//! The context is a small object holding `Arc`s of values built at load; nothing of the catalog
//! is serialized per request.

use foldhash::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use minijinja::Value;
use minijinja::value::{Enumerator, Object};

use super::catalog::{CatalogValues, PAGE_SIZE};
use super::collection::{CollectionBase, CollectionObject, SORT_OPTIONS, sort_members};
use super::content::{Nav, enter_nav};
use super::fragments::{CallKey, Fragment, Prehashed};
use super::locale::Locale;

/// Hidden context key through which filters and `render` reach the page (not listed, not a
/// Shopify name, so it cannot collide with theme variables).
pub(crate) const PAGE_KEY: &str = "__vitrine_page";
/// Hidden context key holding the `render`/`section` nesting depth.
pub(crate) const DEPTH_KEY: &str = "__vitrine_depth";

/// What the HTTP layer knows about the page being rendered.
#[derive(Debug, Clone, Default)]
pub struct PageRequest {
    /// Without the locale prefix; starts with `/`.
    pub path: String,
    pub query: Vec<(String, String)>,
    /// `"en"`, `"fr"`; an unknown locale renders in the shop's primary locale.
    pub locale: String,
    pub flash: Option<String>,
    /// Adds the live-reload client to `content_for_header`.
    pub live_reload: bool,
    /// A cart change the server refused or cut down, for the theme to show beside its line: the
    /// `cart_error` object. Set when sections answer an htmx cart change.
    pub cart_error: Option<CartAlert>,
    /// The shipping rates for the address in the query (`shipping_address[country]`, ...): the
    /// `shipping_estimate` object. The HTTP layer computes it; the theme only shows it.
    pub shipping_estimate: Option<serde_json::Value>,
    /// `http://host:port` as the visitor reached the server: `shop.url`. Without one (a
    /// section rendered for a cart change), `shop.url` is empty, so `{{ shop.url }}/x` stays
    /// a path on this server.
    pub origin: Option<String>,
}

/// Why the last cart change did not go through as asked (e.g. not enough stock), and the key of
/// the line it concerns, when there is one.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct CartAlert {
    pub message: String,
    pub line_key: Option<String>,
}

impl PageRequest {
    /// A request for `path` in `locale` with no query.
    pub fn new(path: impl Into<String>, locale: impl Into<String>) -> PageRequest {
        PageRequest {
            path: path.into(),
            locale: locale.into(),
            ..PageRequest::default()
        }
    }

    pub(crate) fn param(&self, name: &str) -> Option<&str> {
        pair_value(&self.query, name)
    }
}

/// The first value named `name` in decoded query or form pairs.
pub fn pair_value<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Cache-busting versions of the files under `static/`, keyed by their path there; and the text
/// of the small SVG, CSS and JavaScript ones, for `inline_asset_content`.
#[derive(Debug, Default)]
pub struct AssetVersions(pub HashMap<String, String>, pub HashMap<String, Arc<str>>);

/// The largest asset `inline_asset_content` prints (Shopify's limit).
pub const MAX_INLINE_ASSET_BYTES: u64 = 15 * 1024;

/// Per-locale values that depend only on the shop: `routes`, `localization`, `request.locale`.
#[derive(Debug)]
pub struct LocaleValues {
    pub code: String,
    /// `""` for the primary locale, `"/fr"` otherwise.
    pub prefix: String,
    pub routes: Value,
    pub localization: Value,
    pub request_locale: Value,
    pub catalog: Arc<CatalogValues>,
    /// `recommendations` on every page but `/recommendations/products`: nothing performed.
    pub no_recommendations: Value,
}

/// The theme files a context needs (a snapshot: a reload mid-request does not mix versions).
pub struct ThemeFiles<'a> {
    pub has_template: &'a dyn Fn(&str) -> bool,
    /// The theme pages its lists itself (Shopify's `{% paginate %}`): `collection.products`
    /// and `search.results` hold every item, not the server's page of 12.
    pub paginates_itself: bool,
    pub locale: Option<Arc<Locale>>,
    pub default_locale: Option<Arc<Locale>>,
    pub settings: Value,
    pub assets: Arc<AssetVersions>,
}

/// The shared state of one rendered page. Cheap to clone.
#[derive(Debug, Clone)]
pub struct PageContext {
    pub(crate) page: Arc<Page>,
    value: Value,
}

impl PageContext {
    /// 200, or 404 for an unknown path or handle.
    pub fn status(&self) -> u16 {
        self.page.status
    }

    /// The page's template name: `index`, `product`, `collection`, `cart`, `search`, `404`, ...
    pub fn template(&self) -> &str {
        &self.page.template
    }

    /// The context value every section of this page renders with (before `section` is added).
    pub fn value(&self) -> &Value {
        &self.value
    }

    pub(crate) fn new(page: Page) -> PageContext {
        let page = Arc::new(page);
        let value = Value::from_dyn_object(page.clone());
        PageContext { page, value }
    }
}

/// An error a page printed in place of a snippet, block or section that failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InlineError {
    /// Relative to the theme (`snippets/price.liquid`).
    pub file: String,
    pub line: Option<usize>,
    pub message: String,
}

/// Everything a page's templates can see.
#[derive(Debug)]
pub struct Page {
    pub(crate) template: String,
    pub(crate) status: u16,
    pub(crate) live_reload: bool,
    pub(crate) locale_code: String,
    pub(crate) locale: Option<Arc<Locale>>,
    pub(crate) default_locale: Option<Arc<Locale>>,
    pub(crate) money_format: String,
    pub(crate) money_with_currency_format: String,
    pub(crate) assets: Arc<AssetVersions>,
    /// The catalog's images by URL (`image_tag` reads their size and alt text).
    pub(crate) images: Arc<super::image::ImageIndex>,
    pub(crate) prefix: String,
    // Objects visible to snippets too.
    cart: Value,
    shop: Value,
    settings: Value,
    routes: Value,
    request: Value,
    localization: Value,
    collections: Value,
    country_option_tags: Value,
    all_country_option_tags: Value,
    all_products: Value,
    template_value: Value,
    page_title: Value,
    linklists: Value,
    pages: Value,
    blogs: Value,
    // Page-only objects.
    product: Value,
    collection: Value,
    search: Value,
    paginate: Value,
    flash: Value,
    cart_error: Value,
    shipping_estimate: Value,
    page: Value,
    blog: Value,
    article: Value,
    current_tags: Value,
    recommendations: Value,
    predictive_search: Value,
    gift_card: Value,
    pub(crate) listing: Listing,
    /// Snippet output by call (see `fragments::call_key`), and whether it read per-request
    /// objects: a snippet sees only its arguments and the page's globals, so within one page
    /// the same call always renders the same (icons are rendered dozens of times per cart).
    pub(crate) snippet_memo:
        std::sync::Mutex<std::collections::HashMap<CallKey, MemoEntry, Prehashed>>,
    /// How often a template read something that differs between requests (see `fragments`).
    per_request_reads: Arc<AtomicU64>,
    /// The outputs of `render()` called by sections themselves (not by snippets), in the order
    /// they rendered: a JSON answer takes their escaping from them (see `Fragment`).
    printed: std::sync::Mutex<Vec<Arc<Fragment>>>,
    /// Errors printed in place (see [`Page::note_inline_error`]).
    inline_errors: std::sync::Mutex<Vec<InlineError>>,
    /// The section types rendered, in order, each once (for the section scripts).
    section_types: std::sync::Mutex<Vec<String>>,
}

/// A snippet's output on this page, and whether rendering it read per-request objects.
type MemoEntry = (Arc<Fragment>, bool);

/// Names a snippet rendered with `render` sees besides its arguments: Shopify's global objects.
pub const SNIPPET_GLOBALS: &[&str] = &[
    "cart",
    "shop",
    "settings",
    "routes",
    "request",
    "localization",
    "collections",
    "all_products",
    "template",
    "page_title",
    "linklists",
    "menus",
    "pages",
    "blogs",
    "customer",
    "country_option_tags",
    "all_country_option_tags",
];

/// The globals that differ between requests; the others are fixed for a theme and locale.
/// (Menus are not: a link notes its own read when asked whether it is `active`.)
const PER_REQUEST_GLOBALS: &[&str] = &["cart", "request", "template", "page_title"];

const PAGE_ONLY: &[&str] = &[
    "product",
    "collection",
    "search",
    "paginate",
    "flash",
    "cart_error",
    "shipping_estimate",
    "page",
    "blog",
    "article",
    "current_tags",
    "recommendations",
    "predictive_search",
    "gift_card",
];

/// Distinct memoized snippet calls kept per page, at most.
const SNIPPET_MEMO_MAX: usize = 256;

/// Distinct errors printed in place that a page keeps for the overlay, at most.
const INLINE_ERRORS_MAX: usize = 20;

/// Section-level snippet outputs noted per page, at most (beyond it, the rest is escaped as
/// usual).
const PRINTED_MAX: usize = 4096;

impl Page {
    /// A snippet call already rendered on this page. When that render read per-request objects,
    /// reusing it reads them too, as far as the enclosing renders are concerned.
    pub(crate) fn memo_get(&self, key: &CallKey) -> Option<Arc<Fragment>> {
        let (value, per_request) = self.snippet_memo.lock().ok()?.get(key).cloned()?;
        if per_request {
            self.note_per_request_read();
        }
        Some(value)
    }

    pub(crate) fn memo_put(&self, key: CallKey, value: Arc<Fragment>, per_request: bool) {
        if let Ok(mut memo) = self.snippet_memo.lock()
            && memo.len() < SNIPPET_MEMO_MAX
        {
            memo.insert(key, (value, per_request));
        }
    }

    /// Where the theme keeps its snippets, for naming one in an error: a Shopify theme (which
    /// pages its lists itself) in `snippets/`, ours in `templates/snippets/`.
    pub(crate) fn snippet_folder(&self) -> &'static str {
        if self.listing.whole {
            "snippets/"
        } else {
            "templates/snippets/"
        }
    }

    /// Is this a page of a Shopify theme? There a section that fails prints its error in place,
    /// as on Shopify; in vitrine's own theme the page shows the error overlay.
    pub(crate) fn is_shopify_theme(&self) -> bool {
        self.listing.whole
    }

    /// Notes an error the page printed in place, for the error overlay and the log. The same
    /// error (a snippet failing in every product card) is noted once.
    pub(crate) fn note_inline_error(&self, err: InlineError) {
        if let Ok(mut errors) = self.inline_errors.lock()
            && errors.len() < INLINE_ERRORS_MAX
            && !errors.contains(&err)
        {
            errors.push(err);
        }
    }

    /// Notes that a section of this type (`header` for `sections/header.liquid`) rendered.
    pub(crate) fn note_section_type(&self, kind: &str) {
        if let Ok(mut kinds) = self.section_types.lock()
            && !kinds.iter().any(|k| k == kind)
        {
            kinds.push(kind.to_owned());
        }
    }

    /// The section types rendered so far, in the order they first rendered.
    pub fn section_types_shown(&self) -> Vec<String> {
        self.section_types
            .lock()
            .map(|kinds| kinds.clone())
            .unwrap_or_default()
    }

    /// The errors printed in place so far, in the order they happened.
    pub fn inline_errors(&self) -> Vec<InlineError> {
        self.inline_errors
            .lock()
            .map(|errors| errors.clone())
            .unwrap_or_default()
    }

    /// A global object (what snippets see besides their arguments).
    pub(crate) fn global(&self, key: &str) -> Option<Value> {
        let v = match key {
            "cart" => &self.cart,
            "shop" => &self.shop,
            "settings" => &self.settings,
            "routes" => &self.routes,
            "request" => &self.request,
            "localization" => &self.localization,
            "collections" => &self.collections,
            "all_products" => &self.all_products,
            "template" => &self.template_value,
            "page_title" => &self.page_title,
            "linklists" | "menus" => &self.linklists,
            "pages" => &self.pages,
            "blogs" => &self.blogs,
            "country_option_tags" => &self.country_option_tags,
            "all_country_option_tags" => &self.all_country_option_tags,
            // Nobody is ever logged in: customer accounts need Shopify.
            "customer" => return Some(Value::from(())),
            _ => return None,
        };
        Some(v.clone())
    }

    /// A global object, as a snippet reads it: reading one that differs between requests is
    /// noted, so the snippet's output is not reused for another request.
    pub(crate) fn snippet_global(&self, key: &str) -> Option<Value> {
        if PER_REQUEST_GLOBALS.contains(&key) {
            self.note_per_request_read();
        }
        self.global(key)
    }

    pub(crate) fn note_per_request_read(&self) {
        self.per_request_reads.fetch_add(1, Ordering::Relaxed);
    }

    /// Notes a snippet output a section printed.
    pub(crate) fn note_printed(&self, fragment: &Arc<Fragment>) {
        if let Ok(mut printed) = self.printed.lock()
            && printed.len() < PRINTED_MAX
        {
            printed.push(fragment.clone());
        }
    }

    /// How many outputs are noted so far: a mark for `printed_since`.
    pub(crate) fn printed_len(&self) -> usize {
        self.printed.lock().map_or(0, |printed| printed.len())
    }

    /// The outputs noted since `mark`, in order.
    pub(crate) fn printed_since(&self, mark: usize) -> Vec<Arc<Fragment>> {
        self.printed
            .lock()
            .ok()
            .and_then(|printed| printed.get(mark..).map(<[_]>::to_vec))
            .unwrap_or_default()
    }

    pub(crate) fn per_request_reads(&self) -> u64 {
        self.per_request_reads.load(Ordering::Relaxed)
    }

    /// Any object of the page.
    pub(crate) fn get(&self, key: &str) -> Option<Value> {
        let v = match key {
            "product" => &self.product,
            "collection" => &self.collection,
            "search" => &self.search,
            "paginate" => &self.paginate,
            "flash" => &self.flash,
            "cart_error" => &self.cart_error,
            "shipping_estimate" => &self.shipping_estimate,
            "page" => &self.page,
            "blog" => &self.blog,
            "article" => &self.article,
            "current_tags" => &self.current_tags,
            "recommendations" => &self.recommendations,
            "predictive_search" => &self.predictive_search,
            "gift_card" => &self.gift_card,
            _ => return self.global(key),
        };
        Some(v.clone())
    }

    /// The one-shot message the server left for this page (a refused form), if any.
    pub(crate) fn flash_message(&self) -> Option<String> {
        self.flash.as_str().map(str::to_owned)
    }

    /// A parameter of the page's query string.
    pub(crate) fn query_param(&self, name: &str) -> Option<&str> {
        pair_value(&self.listing.query, name)
    }

    /// Looks a key up in the current locale, then the default one.
    pub(crate) fn translate(&self, key: &str, count: Option<f64>) -> Option<&str> {
        self.locale
            .as_deref()
            .and_then(|l| l.text(key, count))
            .or_else(|| self.default_locale.as_deref()?.text(key, count))
    }
}

impl Object for Page {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        self.get_value_by_str(key.as_str()?)
    }

    fn get_value_by_str(self: &Arc<Self>, key: &str) -> Option<Value> {
        match key {
            PAGE_KEY => Some(Value::from_dyn_object(self.clone())),
            DEPTH_KEY => Some(Value::from(0)),
            _ => self.get(key),
        }
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Values(
            SNIPPET_GLOBALS
                .iter()
                .chain(PAGE_ONLY)
                .map(|k| Value::from(*k))
                .collect(),
        )
    }
}

/// Where a storefront path leads.
#[derive(Debug, PartialEq, Eq)]
enum Route<'a> {
    Index,
    Product(&'a str),
    /// A collection, and the tag of `/collections/{handle}/{tag}` when there is one.
    Collection(&'a str, Option<&'a str>),
    ListCollections,
    Cart,
    Search,
    Page(&'a str),
    Blog(&'a str, Option<&'a str>),
    Article(&'a str, &'a str),
    PredictiveSearch,
    Recommendations,
    Password,
    GiftCard(&'a str),
    /// `templates/customers/<name>`: the pages that render without an account.
    Customers(&'static str),
    NotFound,
}

fn route(path: &str) -> Route<'_> {
    let trimmed = path.trim_end_matches('/');
    let segments: Vec<&str> = trimmed.split('/').skip(1).collect();
    match segments.as_slice() {
        [] | [""] => Route::Index,
        ["cart"] => Route::Cart,
        ["search"] => Route::Search,
        ["search", "suggest"] => Route::PredictiveSearch,
        ["recommendations", "products"] => Route::Recommendations,
        ["password"] => Route::Password,
        ["gift_cards", code] if !code.is_empty() => Route::GiftCard(code),
        ["account", "login"] => Route::Customers("login"),
        ["account", "register"] => Route::Customers("register"),
        ["pages", handle] if !handle.is_empty() => Route::Page(handle),
        ["blogs", blog] if !blog.is_empty() => Route::Blog(blog, None),
        ["blogs", blog, "tagged", tag] if !tag.is_empty() => Route::Blog(blog, Some(tag)),
        ["blogs", blog, article] if !article.is_empty() => Route::Article(blog, article),
        ["collections"] => Route::ListCollections,
        ["collections", handle] if !handle.is_empty() => Route::Collection(handle, None),
        ["collections", handle, tag] if !handle.is_empty() && !tag.is_empty() => {
            Route::Collection(handle, Some(tag))
        }
        ["products", handle] | ["collections", _, "products", handle] if !handle.is_empty() => {
            Route::Product(handle)
        }
        _ => Route::NotFound,
    }
}

/// Builds the context for `req`. `values` are the current locale's values.
pub fn build(req: &PageRequest, cart: Value, values: &LocaleValues, files: ThemeFiles<'_>) -> Page {
    let catalog = &values.catalog;
    let mut page = Page {
        listing: Listing {
            prefix: values.prefix.clone(),
            path: req.path.clone(),
            query: req.query.clone(),
            page: page_number(req),
            whole: files.paginates_itself,
        },
        snippet_memo: Default::default(),
        per_request_reads: Arc::new(AtomicU64::new(0)),
        printed: Default::default(),
        inline_errors: Default::default(),
        section_types: Default::default(),
        template: String::new(),
        status: 200,
        live_reload: req.live_reload,
        locale_code: values.code.clone(),
        locale: files.locale,
        default_locale: files.default_locale,
        money_format: catalog.money_format.clone(),
        money_with_currency_format: catalog.money_with_currency_format.clone(),
        assets: files.assets,
        images: catalog.images.clone(),
        prefix: values.prefix.clone(),
        cart,
        shop: Value::from_object(ShopAt {
            shop: catalog.shop.clone(),
            url: Value::from(req.origin.clone().unwrap_or_default()),
        }),
        settings: files.settings,
        routes: values.routes.clone(),
        request: Value::UNDEFINED,
        localization: values.localization.clone(),
        collections: catalog.collections_value.clone(),
        country_option_tags: catalog.country_option_tags.clone(),
        all_country_option_tags: catalog.all_country_option_tags.clone(),
        all_products: catalog.all_products_value.clone(),
        template_value: Value::UNDEFINED,
        page_title: Value::UNDEFINED,
        linklists: catalog.content.linklists.clone(),
        pages: Value::from_dyn_object(catalog.content.pages.clone()),
        blogs: catalog.content.blogs_value.clone(),
        page: Value::UNDEFINED,
        blog: Value::UNDEFINED,
        article: Value::UNDEFINED,
        current_tags: Value::UNDEFINED,
        recommendations: values.no_recommendations.clone(),
        predictive_search: Value::UNDEFINED,
        gift_card: Value::UNDEFINED,
        product: Value::UNDEFINED,
        collection: Value::UNDEFINED,
        search: Value::UNDEFINED,
        paginate: Value::UNDEFINED,
        flash: req.flash.as_deref().map_or(Value::from(()), Value::from),
        cart_error: req
            .cart_error
            .as_ref()
            .map_or(Value::from(()), |v| Value::from(minijinja::value::Serde(v))),
        shipping_estimate: req
            .shipping_estimate
            .as_ref()
            .map_or(Value::from(()), |v| Value::from(minijinja::value::Serde(v))),
    };
    let shop_name = catalog.shop.get_attr("name").ok().unwrap_or_default();
    let found = match route(&req.path) {
        Route::Index => Some(("index".to_owned(), shop_name.to_string())),
        Route::Product(handle) => catalog.product(handle).map(|product| {
            let variant = req.param("variant").and_then(|v| v.trim().parse().ok());
            let title = product.base.title.clone();
            page.product = Value::from_object(product.with_variant(variant));
            ("product".to_owned(), title)
        }),
        Route::Collection(handle, tag) => catalog.collection(handle).map(|base| {
            let title = base.title.clone();
            let tag = tag.map(|t| percent_encoding::percent_decode_str(t).decode_utf8_lossy());
            collection_page(&mut page, req, values, base.clone(), tag.as_deref());
            if let Some(tag) = tag {
                page.current_tags = Value::from(vec![Value::from(tag.as_ref())]);
            }
            ("collection".to_owned(), title)
        }),
        Route::ListCollections => Some((
            "list-collections".to_owned(),
            page_text(&page, "collections.title", "Collections"),
        )),
        Route::Cart => Some((
            "cart".to_owned(),
            page_text(&page, "cart.title", "Your cart"),
        )),
        Route::Search => {
            let title = search_page(&mut page, req, values);
            Some(("search".to_owned(), title))
        }
        Route::Page(handle) => catalog.content.page(handle).map(|(value, suffix)| {
            let title = value.get_attr("title").ok().unwrap_or_default().to_string();
            page.page = value;
            (suffixed("page", suffix, files.has_template), title)
        }),
        Route::Blog(handle, tag) => catalog.content.blog(handle).map(|blog| {
            // `/blogs/news/tagged/rain%20gear`: the tag as written.
            let tag = tag.map(|t| percent_encoding::percent_decode_str(t).decode_utf8_lossy());
            page.blog = blog.value(tag.as_deref());
            if let Some(tag) = tag {
                page.current_tags = Value::from(vec![Value::from(tag.as_ref())]);
            }
            (
                suffixed("blog", blog.template_suffix.as_deref(), files.has_template),
                blog.title.clone(),
            )
        }),
        Route::Article(blog, handle) => catalog.content.blog(blog).and_then(|blog| {
            let article = blog.article(handle)?;
            let title = article
                .get_attr("title")
                .ok()
                .unwrap_or_default()
                .to_string();
            page.blog = blog.value(None);
            page.article = article;
            Some(("article".to_owned(), title))
        }),
        Route::PredictiveSearch => {
            page.predictive_search = predictive_search(req, values);
            Some((
                "search".to_owned(),
                page_text(&page, "search.title", "Search"),
            ))
        }
        // In the product page's context: a theme asks for its product template's own section
        // (`section_id=template--product__related`), which reads `product` too.
        Route::Recommendations => {
            page.recommendations = recommendations(req, &values.catalog);
            let product = req
                .param("product_id")
                .and_then(|id| id.trim().parse::<i64>().ok())
                .and_then(|id| catalog.product_index(id))
                .and_then(|i| catalog.products.get(i));
            Some(match product {
                Some(product) => {
                    page.product = Value::from_dyn_object(product.clone());
                    ("product".to_owned(), product.base.title.clone())
                }
                None => ("index".to_owned(), shop_name.to_string()),
            })
        }
        Route::Password => Some(("password".to_owned(), shop_name.to_string())),
        Route::GiftCard(code) => {
            page.gift_card = gift_card(code, values);
            Some((
                "gift_card".to_owned(),
                page_text(&page, "gift_cards.issued.title", "Your gift card"),
            ))
        }
        Route::Customers(name) => Some((
            format!("customers/{name}"),
            page_text(&page, &format!("customer.{name}.title"), "Account"),
        )),
        Route::NotFound => None,
    };
    // `?view=alt` picks `product.alt` when the theme has it (Shopify's alternate templates).
    let found = found.map(|(template, title)| {
        let alternate = req
            .param("view")
            .filter(|v| {
                !v.is_empty()
                    && v.chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
            })
            .map(|view| format!("{template}.{view}"))
            .filter(|name| (files.has_template)(name));
        (alternate.unwrap_or(template), title)
    });
    let (template, title) = match found {
        Some((template, title)) if (files.has_template)(&template) => (template, title),
        _ => {
            page.status = 404;
            page.product = Value::UNDEFINED;
            page.collection = Value::UNDEFINED;
            page.search = Value::UNDEFINED;
            page.paginate = Value::UNDEFINED;
            page.page = Value::UNDEFINED;
            page.blog = Value::UNDEFINED;
            page.article = Value::UNDEFINED;
            page.current_tags = Value::UNDEFINED;
            page.predictive_search = Value::UNDEFINED;
            page.gift_card = Value::UNDEFINED;
            (
                "404".to_owned(),
                page_text(&page, "general.404.title", "Page not found"),
            )
        }
    };
    page.request = Value::from_pairs([
        (
            "path",
            Value::from(format!("{}{}", values.prefix, req.path)),
        ),
        ("locale", values.request_locale.clone()),
        (
            "page_type",
            Value::from(template.split('.').next().unwrap_or(&template)),
        ),
        ("design_mode", Value::from(false)),
        ("visual_preview_mode", Value::from(false)),
    ]);
    page.template_value = Value::from_object(TemplateObject(template.clone()));
    page.page_title = Value::from(title);
    page.template = template;
    page
}

fn page_text(page: &Page, key: &str, fallback: &str) -> String {
    page.translate(key, None).unwrap_or(fallback).to_owned()
}

/// `?page=N`, 1-based; anything unparsable is page 1.
fn page_number(req: &PageRequest) -> usize {
    req.param("page")
        .and_then(|p| p.trim().parse::<usize>().ok())
        .filter(|&p| p >= 1)
        .unwrap_or(1)
}

fn collection_page(
    page: &mut Page,
    req: &PageRequest,
    values: &LocaleValues,
    base: Arc<CollectionBase>,
    tag: Option<&str>,
) {
    let requested = req.param("sort_by").unwrap_or("manual");
    let sort_by = if SORT_OPTIONS.iter().any(|(v, _)| *v == requested) {
        requested
    } else {
        "manual"
    };
    let mut members = base.members.clone();
    if let Some(tag) = tag {
        members.retain(|&i| values.catalog.product_has_tag(i, tag));
    }
    sort_members(&mut members, sort_by, &values.catalog.products);
    let current = page_number(req);
    let shown = if page.listing.whole {
        &members[..]
    } else {
        page_slice(&members, current)
    };
    let products = shown
        .iter()
        .map(|&i| Value::from_dyn_object(values.catalog.products[i].clone()))
        .collect::<Vec<_>>();
    page.paginate = paginate(&page.listing, current, members.len(), PAGE_SIZE);
    page.collection = Value::from_object(CollectionObject {
        products_count: members.len(),
        products: Value::from(products),
        sort_by: Value::from(sort_by),
        base,
    });
}

/// `page.<suffix>` when the theme has that template, else the plain one (Shopify falls back the
/// same way when a page names an alternate template the theme lacks).
fn suffixed(template: &str, suffix: Option<&str>, has_template: &dyn Fn(&str) -> bool) -> String {
    suffix
        .filter(|s| !s.is_empty())
        .map(|s| format!("{template}.{s}"))
        .filter(|name| has_template(name))
        .unwrap_or_else(|| template.to_owned())
}

/// The resource types of a search: `type=product,article` (or `resources[type]` for predictive
/// search); every type when absent or naming none we know.
fn search_types(asked: Option<&str>, known: &[&'static str]) -> Vec<&'static str> {
    let picked: Vec<&'static str> = asked
        .unwrap_or("")
        .split(',')
        .filter_map(|t| known.iter().copied().find(|k| *k == t.trim()))
        .collect();
    if picked.is_empty() {
        known.to_vec()
    } else {
        picked
    }
}

/// Products, then pages, then articles that contain every term, of the `types` asked for.
fn search_matches(terms: &[String], types: &[&str], values: &LocaleValues) -> Vec<Value> {
    if terms.is_empty() {
        return Vec::new();
    }
    let mut found: Vec<Value> = Vec::new();
    if types.contains(&"product") {
        found.extend(
            values
                .catalog
                .products
                .iter()
                .filter(|p| p.base.matches(terms))
                .map(|p| Value::from_dyn_object(p.clone())),
        );
    }
    found.extend(
        values
            .catalog
            .content
            .searchable
            .iter()
            .filter(|(kind, _, text)| {
                types.contains(kind) && terms.iter().all(|t| text.contains(t.as_str()))
            })
            .map(|(_, value, _)| value.clone()),
    );
    found
}

fn search_terms(q: &str) -> Vec<String> {
    q.split_whitespace().map(str::to_lowercase).collect()
}

/// Fills `search` and `paginate`; returns the page title.
/// <https://shopify.dev/docs/api/liquid/objects/search>
fn search_page(page: &mut Page, req: &PageRequest, values: &LocaleValues) -> String {
    let q = req.param("q").unwrap_or("").trim();
    let types = search_types(req.param("type"), &["product", "page", "article"]);
    let matches = search_matches(&search_terms(q), &types, values);
    let current = page_number(req);
    let shown = if page.listing.whole {
        &matches[..]
    } else {
        page_slice(&matches, current)
    };
    page.paginate = paginate(&page.listing, current, matches.len(), PAGE_SIZE);
    page.search = Value::from_pairs([
        ("terms", Value::from(q)),
        ("performed", Value::from(!q.is_empty())),
        ("results", Value::from(shown.to_vec())),
        ("results_count", Value::from(matches.len())),
        (
            "types",
            Value::from(types.iter().map(|t| Value::from(*t)).collect::<Vec<_>>()),
        ),
        ("filters", Value::from(Vec::<Value>::new())),
        (
            "sort_by",
            Value::from(req.param("sort_by").unwrap_or("relevance")),
        ),
        ("default_sort_by", Value::from("relevance")),
        (
            "sort_options",
            Value::from(vec![Value::from_pairs([
                ("value", Value::from("relevance")),
                ("name", Value::from("Relevance")),
            ])]),
        ),
    ]);
    let title = page_text(page, "search.title", "Search");
    if q.is_empty() {
        title
    } else {
        format!("{title}: {q}")
    }
}

/// Shopify's default and largest number of predictive search results per type.
const PREDICTIVE_LIMIT: usize = 10;

/// The `predictive_search` object for `/search/suggest?q=`.
/// <https://shopify.dev/docs/api/liquid/objects/predictive_search>
fn predictive_search(req: &PageRequest, values: &LocaleValues) -> Value {
    let q = req.param("q").unwrap_or("").trim();
    let terms = search_terms(q);
    let types = search_types(
        req.param("resources[type]"),
        &["product", "collection", "page", "article", "query"],
    );
    let limit = req
        .param("resources[limit]")
        .and_then(|n| n.trim().parse::<usize>().ok())
        .map_or(PREDICTIVE_LIMIT, |n| n.clamp(1, PREDICTIVE_LIMIT));
    let of_type = |kind: &'static str| -> Vec<Value> {
        if !types.contains(&kind) {
            return Vec::new();
        }
        let mut found = search_matches(&terms, &[kind], values);
        found.truncate(limit);
        found
    };
    let collections: Vec<Value> = if types.contains(&"collection") && !terms.is_empty() {
        values
            .catalog
            .collections
            .iter()
            .filter(|c| {
                let title = c.title.to_lowercase();
                terms.iter().all(|t| title.contains(t.as_str()))
            })
            .take(limit)
            .map(|c| c.value())
            .collect()
    } else {
        Vec::new()
    };
    let queries: Vec<Value> = if types.contains(&"query") && !q.is_empty() {
        vec![Value::from_pairs([
            ("text", Value::from(q)),
            ("styled_text", Value::from(q)),
            (
                "url",
                Value::from(format!(
                    "{}/search?q={}",
                    values.prefix,
                    form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>()
                )),
            ),
        ])]
    } else {
        Vec::new()
    };
    let resources = Value::from_pairs([
        ("products", Value::from(of_type("product"))),
        ("collections", Value::from(collections)),
        ("pages", Value::from(of_type("page"))),
        ("articles", Value::from(of_type("article"))),
        ("queries", Value::from(queries)),
    ]);
    Value::from_pairs([
        ("performed", Value::from(!q.is_empty())),
        ("terms", Value::from(q)),
        (
            "types",
            Value::from(types.iter().map(|t| Value::from(*t)).collect::<Vec<_>>()),
        ),
        ("resources", resources),
    ])
}

/// What a demo gift card holds ($50.00, unspent): gift cards are issued by Shopify's checkout,
/// so any code shows one, of the catalog's gift card product.
const GIFT_CARD_BALANCE: i64 = 5000;

/// The `gift_card` object for `/gift_cards/{code}`.
/// <https://shopify.dev/docs/api/liquid/objects/gift_card>
fn gift_card(code: &str, values: &LocaleValues) -> Value {
    let code: String = code
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(32)
        .collect::<String>()
        .to_uppercase();
    let product = values
        .catalog
        .gift_card_product()
        .unwrap_or(Value::from(()));
    let last_four: String = code
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let url = format!("{}/gift_cards/{}", values.prefix, code.to_lowercase());
    Value::from_pairs([
        ("code", Value::from(code.as_str())),
        ("last_four_characters", Value::from(last_four)),
        ("balance", Value::from(GIFT_CARD_BALANCE)),
        ("initial_value", Value::from(GIFT_CARD_BALANCE)),
        (
            "currency",
            values.catalog.shop.get_attr("currency").unwrap_or_default(),
        ),
        ("enabled", Value::from(true)),
        ("expired", Value::from(false)),
        ("expires_on", Value::from(())),
        ("customer", Value::from(())),
        ("product", product),
        (
            "properties",
            Value::from_pairs(Vec::<(String, Value)>::new()),
        ),
        ("message", Value::from(())),
        ("send_on", Value::from(())),
        ("pass_url", Value::from(format!("{url}.pkpass"))),
        ("qr_identifier", Value::from(code.as_str())),
        ("url", Value::from(url)),
        ("template_suffix", Value::from(())),
    ])
}

/// Shopify's default and largest number of recommended products.
const RECOMMENDATIONS_LIMIT: usize = 10;

/// The `recommendations` object: filled on `/recommendations/products?product_id=`
/// (`performed` true there), empty on every other page.
/// <https://shopify.dev/docs/api/liquid/objects/recommendations>
fn recommendations(req: &PageRequest, catalog: &CatalogValues) -> Value {
    let product = req
        .param("product_id")
        .and_then(|id| id.trim().parse::<i64>().ok())
        .and_then(|id| catalog.product_index(id));
    let limit = req
        .param("limit")
        .and_then(|n| n.trim().parse::<usize>().ok())
        .map_or(RECOMMENDATIONS_LIMIT, |n| n.clamp(1, RECOMMENDATIONS_LIMIT));
    let products = product.map_or_else(Vec::new, |i| catalog.related(i, limit));
    let performed = product.is_some();
    let intent = match req.param("intent") {
        Some("complementary") => "complementary",
        _ => "related",
    };
    Value::from_pairs([
        ("performed?", Value::from(performed)),
        ("performed", Value::from(performed)),
        ("products_count", Value::from(products.len())),
        ("products", Value::from(products)),
        ("intent", Value::from(intent)),
    ])
}

fn page_slice<T>(items: &[T], page: usize) -> &[T] {
    let start = (page - 1).saturating_mul(PAGE_SIZE).min(items.len());
    let end = start.saturating_add(PAGE_SIZE).min(items.len());
    &items[start..end]
}

/// Shopify's `template` object: prints as its full name (`product.alt`), with `name`
/// (`product`), `suffix` (`alt`, or nil) and `directory` (`customers`, or nil).
#[derive(Debug)]
struct TemplateObject(String);

impl Object for TemplateObject {
    fn repr(self: &Arc<Self>) -> minijinja::value::ObjectRepr {
        minijinja::value::ObjectRepr::Plain
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let (directory, file) = match self.0.rsplit_once('/') {
            Some((dir, file)) => (Some(dir), file),
            None => (None, self.0.as_str()),
        };
        let (name, suffix) = match file.split_once('.') {
            Some((name, suffix)) => (name, Some(suffix)),
            None => (file, None),
        };
        Some(match key.as_str()? {
            "name" => Value::from(name),
            "suffix" => suffix.map_or(Value::from(()), Value::from),
            "directory" => directory.map_or(Value::from(()), Value::from),
            _ => return None,
        })
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Str(&["name", "suffix", "directory"])
    }

    fn render(self: &Arc<Self>, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where the page's listings link to: its path and query (for `?page=N` links).
#[derive(Debug, Default)]
pub(crate) struct Listing {
    prefix: String,
    pub(crate) path: String,
    query: Vec<(String, String)>,
    /// `?page=N`, 1-based.
    pub(crate) page: usize,
    /// Lists hold every item: the theme's `paginate` tag picks the page.
    whole: bool,
}

/// The URL of page `n` of the current listing, keeping the other query parameters.
fn page_url(listing: &Listing, n: usize) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (k, v) in listing.query.iter().filter(|(k, _)| k != "page") {
        query.append_pair(k, v);
    }
    if n > 1 {
        query.append_pair("page", &n.to_string());
    }
    let query = query.finish();
    let mut url = format!("{}{}", listing.prefix, listing.path);
    if !query.is_empty() {
        url.push('?');
        url.push_str(&query);
    }
    url
}

/// Shopify's `paginate` object for page `current` of `total` items, `page_size` a page.
pub(crate) fn paginate(listing: &Listing, current: usize, total: usize, page_size: usize) -> Value {
    let page_size = page_size.max(1);
    let pages = total.div_ceil(page_size).max(1);
    let link = |title: String, n: usize| {
        Value::from_pairs([
            ("title", Value::from(title)),
            ("url", Value::from(page_url(listing, n))),
            ("is_link", Value::from(n != current)),
        ])
    };
    let previous = if current > 1 && current <= pages {
        link("« Previous".into(), current - 1)
    } else {
        Value::from(())
    };
    let next = if current < pages {
        link("Next »".into(), current + 1)
    } else {
        Value::from(())
    };
    let parts: Vec<Value> = (1..=pages).map(|n| link(n.to_string(), n)).collect();
    Value::from_pairs([
        ("current_page", Value::from(current)),
        (
            "current_offset",
            Value::from(current.saturating_sub(1).saturating_mul(page_size)),
        ),
        ("items", Value::from(total)),
        ("page_size", Value::from(page_size)),
        ("pages", Value::from(pages)),
        ("previous", previous),
        ("next", next),
        ("parts", Value::from(parts)),
    ])
}

/// Endonym and English name of the languages we know; others show their code.
fn language_names(code: &str) -> (&str, &str) {
    match code {
        "en" => ("English", "English"),
        "fr" => ("français", "French"),
        "de" => ("Deutsch", "German"),
        "es" => ("Español", "Spanish"),
        "it" => ("Italiano", "Italian"),
        "nl" => ("Nederlands", "Dutch"),
        "pt" => ("Português", "Portuguese"),
        "ja" => ("日本語", "Japanese"),
        _ => (code, code),
    }
}

/// Builds the values of locale `code` (one of `all`, the shop's locales).
pub fn locale_values(
    code: &str,
    primary: &str,
    all: &[String],
    catalog: &Arc<crate::catalog::Catalog>,
) -> LocaleValues {
    let language = |code: &str| {
        let (endonym, name) = language_names(code);
        let root = if code == primary {
            "/".to_owned()
        } else {
            format!("/{code}")
        };
        Value::from_pairs([
            ("iso_code", Value::from(code)),
            ("endonym_name", Value::from(endonym)),
            ("name", Value::from(name)),
            ("primary", Value::from(code == primary)),
            ("root_url", Value::from(root)),
        ])
    };
    let available: Vec<Value> = all.iter().map(|c| language(c)).collect();
    let prefix = if code == primary {
        String::new()
    } else {
        format!("/{code}")
    };
    let url = |path: &str| Value::from(format!("{prefix}{path}"));
    let routes = Value::from_pairs([
        (
            "root_url",
            Value::from(if prefix.is_empty() {
                "/"
            } else {
                prefix.as_str()
            }),
        ),
        ("cart_url", url("/cart")),
        ("cart_add_url", url("/cart/add")),
        ("cart_change_url", url("/cart/change")),
        ("cart_update_url", url("/cart/update")),
        ("cart_clear_url", url("/cart/clear")),
        ("all_products_collection_url", url("/collections/all")),
        ("search_url", url("/search")),
        ("predictive_search_url", url("/search/suggest")),
        ("collections_url", url("/collections")),
        (
            "product_recommendations_url",
            url("/recommendations/products"),
        ),
        ("account_url", url("/account")),
        ("account_login_url", url("/account/login")),
        ("account_logout_url", url("/account/logout")),
        ("account_register_url", url("/account/register")),
        ("account_recover_url", url("/account/recover")),
        ("account_addresses_url", url("/account/addresses")),
        ("storefront_login_url", url("/password")),
    ]);
    let shop = catalog.shop();
    let languages = Value::from(available);
    let currency = super::country::currency_value(&shop.currency, &shop.currency_symbol);
    let country = super::country::country_value(&shop.country(), &currency, &languages);
    let localization = Value::from_pairs([
        ("available_languages", languages),
        ("language", language(code)),
        ("country", country.clone()),
        ("available_countries", Value::from(vec![country.clone()])),
        ("market", country.get_attr("market").unwrap_or_default()),
    ]);
    let catalog = Arc::new(CatalogValues::build(catalog.clone(), &prefix));
    LocaleValues {
        no_recommendations: recommendations(&PageRequest::default(), &catalog),
        catalog,
        code: code.to_owned(),
        routes,
        localization,
        request_locale: language(code),
        prefix,
    }
}

thread_local! {
    /// The page whose template this thread is rendering (see [`Rendering`]).
    static RENDERING: std::cell::RefCell<Option<Arc<Page>>> = const { std::cell::RefCell::new(None) };
}

/// Marks this thread as rendering `page` until dropped. Filters ask for the page dozens of
/// times per section, and a context lookup walks every frame of the template to its root.
/// A render is synchronous and all of its filters belong to its page, so the mark is exact;
/// nested renders of the same page keep it, and dropping restores what was there.
/// Cart lines link to the page's products through the same mark (see `keyed::link_products`).
/// Menu links read the page's path through a mark of their own (see `content::enter_nav`).
pub struct Rendering(Option<Arc<Page>>, Option<Value>, Option<Nav>);

impl Rendering {
    pub fn enter(page: &Arc<Page>) -> Rendering {
        let products = super::keyed::link_products(Some(page.all_products.clone()));
        let path = format!("{}{}", page.prefix, page.listing.path);
        let nav = enter_nav(Some(Nav::new(&path, page.per_request_reads.clone())));
        Rendering(
            RENDERING.with(|current| current.replace(Some(page.clone()))),
            products,
            nav,
        )
    }
}

impl Drop for Rendering {
    fn drop(&mut self) {
        let previous = self.0.take();
        RENDERING.with(|current| *current.borrow_mut() = previous);
        super::keyed::link_products(self.1.take());
        enter_nav(self.2.take());
    }
}

/// The page this thread is rendering, if any (for values that resolve when read).
pub(crate) fn rendering_page() -> Option<Arc<Page>> {
    RENDERING.with(|current| current.borrow().clone())
}

/// The page of the template being rendered: the thread's mark, else the hidden context key
/// (templates rendered outside [`render_file`], e.g. by benchmarks).
pub fn current_page(state: &minijinja::State) -> Option<Arc<Page>> {
    RENDERING
        .with(|current| current.borrow().clone())
        .or_else(|| state.lookup(PAGE_KEY)?.downcast_object::<Page>())
}

/// The `shop` object of one request: the shop's, with `url` (and `secure_url`) the origin the
/// visitor reached (Shopify's is the shop's full URL; themes write `{{ shop.url }}{{
/// routes.root_url }}` and would otherwise get `//`).
#[derive(Debug)]
struct ShopAt {
    shop: Value,
    url: Value,
}

impl Object for ShopAt {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        match key.as_str()? {
            "url" | "secure_url" => Some(self.url.clone()),
            name => self.shop.get_attr(name).ok().filter(|v| !v.is_undefined()),
        }
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        match self.shop.try_iter() {
            Ok(keys) => Enumerator::Values(keys.collect()),
            Err(_) => Enumerator::Empty,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_like_shopify() {
        assert_eq!(route("/"), Route::Index);
        assert_eq!(route(""), Route::Index);
        assert_eq!(
            route("/products/red-rain-coat"),
            Route::Product("red-rain-coat")
        );
        assert_eq!(
            route("/products/red-rain-coat/"),
            Route::Product("red-rain-coat")
        );
        assert_eq!(route("/collections/all/products/x"), Route::Product("x"));
        assert_eq!(route("/collections/all"), Route::Collection("all", None));
        assert_eq!(
            route("/collections/all/rain"),
            Route::Collection("all", Some("rain"))
        );
        assert_eq!(route("/collections"), Route::ListCollections);
        assert_eq!(route("/cart"), Route::Cart);
        assert_eq!(route("/search"), Route::Search);
        assert_eq!(route("/products/"), Route::NotFound);
        assert_eq!(route("/pages/about"), Route::Page("about"));
        assert_eq!(route("/pages/"), Route::NotFound);
        assert_eq!(route("/blogs/news"), Route::Blog("news", None));
        assert_eq!(
            route("/blogs/news/tagged/guides"),
            Route::Blog("news", Some("guides"))
        );
        assert_eq!(
            route("/blogs/news/a-post"),
            Route::Article("news", "a-post")
        );
        assert_eq!(route("/blogs/news/a-post/extra"), Route::NotFound);
        assert_eq!(route("/search/suggest"), Route::PredictiveSearch);
        assert_eq!(route("/recommendations/products"), Route::Recommendations);
        assert_eq!(route("/account/login"), Route::Customers("login"));
        assert_eq!(route("/account/register"), Route::Customers("register"));
        assert_eq!(route("/account"), Route::NotFound);
        assert_eq!(route("/gift_cards/abc"), Route::GiftCard("abc"));
        assert_eq!(route("/password"), Route::Password);
    }

    #[test]
    fn page_slices() {
        let items: Vec<usize> = (0..30).collect();
        assert_eq!(page_slice(&items, 1).len(), 12);
        assert_eq!(page_slice(&items, 3), &items[24..30]);
        assert!(page_slice(&items, 9).is_empty());
        assert!(page_slice(&items, usize::MAX).is_empty());
    }
}
