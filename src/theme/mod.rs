//! The theme engine: a Liquid-like storefront theme on minijinja. It owns the environment, the
//! filters and functions, `{% schema %}` extraction, JSON page templates, section ids and
//! wrappers, the template objects, and hot reload. It knows nothing of SQL or any API dialect:
//! the HTTP layer passes the cart as a value and gets HTML back.
//!
//! Follows Shopify's theme architecture ("Sections", "JSON templates", "Section Rendering API").
//! See `docs/theme.md` for the theme author's view.

pub mod cdn;

/// Where the bundled stylesheets of a Shopify theme are served (`{COMPILED_ASSETS_PATH}/styles.css`).
pub const COMPILED_ASSETS_PATH: &str = "/__vitrine/compiled_assets";
pub mod engine;
pub mod objects;

use foldhash::{HashMap, HashMapExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, RwLock};

use minijinja::Value;
use tokio::sync::broadcast;

use crate::catalog::Catalog;

pub use engine::check::check;
pub use engine::error::{Problem, RenderError, ThemeError};
pub use objects::context::{CartAlert, PageContext, PageRequest};
pub use objects::filters::{configure_environment, liquid_formatter, register as register_filters};
pub use objects::fragments::{Fragment, KeyedJson, cart_value};
pub use objects::money;

/// A section's HTML and the snippet outputs it printed itself, in order.
pub type SectionParts = (String, Vec<Arc<Fragment>>);
pub use engine::live::{
    EVENTS_PATH, LIVE_RELOAD_JS, LIVE_RELOAD_PATH, ThemeChange, change_event_json, error_page,
};
pub use engine::loader::served_asset_name;
pub use engine::schema::instance_id;

use engine::loader::{self, Compiled};
use engine::render::{Layer, Scope, render_file};
use engine::{live, watch};
use objects::context::{self, LocaleValues, Page, ThemeFiles};
use objects::locale;

/// How many change events a slow live-reload subscriber may fall behind.
const CHANGE_BUFFER: usize = 64;

/// A loaded theme. Cheap to clone: everything is behind one `Arc`.
#[derive(Clone)]
pub struct Theme {
    inner: Arc<Inner>,
}

struct Inner {
    dir: PathBuf,
    locales: HashMap<String, Arc<LocaleValues>>,
    /// The shop's primary locale, used for unknown locale codes.
    primary: Arc<LocaleValues>,
    current: RwLock<Arc<Compiled>>,
    /// Whether snippet output may be reused across requests (on unless a benchmark says not).
    reuse: Arc<AtomicBool>,
    changes: broadcast::Sender<ThemeChange>,
    /// Kept alive for as long as the theme; dropping it stops the watch thread.
    watcher: Mutex<Option<notify::RecommendedWatcher>>,
}

impl std::fmt::Debug for Theme {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Theme")
            .field("dir", &self.inner.dir)
            .finish_non_exhaustive()
    }
}

impl Inner {
    fn compiled(&self) -> Arc<Compiled> {
        // A panic while holding the lock cannot leave a half-swapped theme: the guarded value
        // is a single Arc. So a poisoned lock is still good to read.
        self.current
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    fn reload(&self) {
        let compiled = Arc::new(loader::load(&self.dir, &self.locales, self.reuse.clone()));
        log_broken(&compiled);
        *self
            .current
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = compiled;
    }
}

fn log_broken(compiled: &Compiled) {
    for err in compiled
        .broken
        .values()
        .chain(compiled.template_errors.values())
    {
        tracing::warn!(file = %err.file, line = ?err.line, "theme: {}", err.message);
    }
}

impl Theme {
    /// Loads and compiles the theme in `dir`; with `watch`, a notify watcher recompiles changed
    /// files. A broken template does not fail the load: rendering it returns its error.
    pub fn load(dir: &Path, catalog: Arc<Catalog>, watch: bool) -> Result<Theme, ThemeError> {
        if !dir.is_dir() {
            return Err(ThemeError::NotADirectory(dir.to_path_buf()));
        }
        // notify reports absolute paths; a relative theme dir (the default `.`) would never match
        // them, so work with the canonical path from here on.
        let dir = &dir.canonicalize().map_err(|source| ThemeError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let shop = catalog.shop();
        let (primary, mut codes) = (shop.primary_locale.clone(), shop.locales.clone());
        if !codes.contains(&primary) {
            codes.insert(0, primary.clone());
        }
        let primary_values = Arc::new(context::locale_values(&primary, &primary, &codes, &catalog));
        let mut locales = HashMap::new();
        for code in &codes {
            let values = if *code == primary {
                primary_values.clone()
            } else {
                Arc::new(context::locale_values(code, &primary, &codes, &catalog))
            };
            locales.insert(code.clone(), values);
        }
        let reuse = Arc::new(AtomicBool::new(true));
        let compiled = Arc::new(loader::load(dir, &locales, reuse.clone()));
        log_broken(&compiled);
        let (changes, _) = broadcast::channel(CHANGE_BUFFER);
        let theme = Theme {
            inner: Arc::new(Inner {
                dir: dir.to_path_buf(),
                locales,
                primary: primary_values,
                current: RwLock::new(compiled),
                reuse,
                changes,
                watcher: Mutex::new(None),
            }),
        };
        if watch {
            theme.start_watching()?;
        }
        Ok(theme)
    }

    fn start_watching(&self) -> Result<(), ThemeError> {
        // The watch thread holds a weak reference, so dropping the last Theme ends it.
        let weak = Arc::downgrade(&self.inner);
        let dir = self.inner.dir.clone();
        let watcher = watch::start(&self.inner.dir, move |paths| {
            let Some(inner) = weak.upgrade() else {
                return false;
            };
            let mut changes: Vec<ThemeChange> = Vec::new();
            for change in paths.iter().filter_map(|p| watch::classify(&dir, p)) {
                if !changes.contains(&change) {
                    changes.push(change);
                }
            }
            if !changes.is_empty() {
                let scripts_before = script_versions(&inner.compiled());
                inner.reload();
                if script_versions(&inner.compiled()) != scripts_before {
                    // A section's `{% javascript %}` changed: swapping its HTML would not run
                    // the new script.
                    for change in &mut changes {
                        if let ThemeChange::Section { id } = change {
                            *change = ThemeChange::Other {
                                path: format!("sections/{id}.liquid"),
                            };
                        }
                    }
                }
                for change in changes {
                    tracing::debug!(?change, "theme changed");
                    // No subscribers is fine: nobody is live-reloading.
                    let _ = inner.changes.send(change);
                }
            }
            true
        })?;
        *self
            .inner
            .watcher
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(watcher);
        Ok(())
    }

    /// Recompiles the whole theme from disk now (the watcher does this by itself).
    pub fn reload(&self) {
        self.inner.reload();
    }

    /// Turns reuse of snippet output across requests on or off (it is on). Off, every request
    /// renders every snippet: what the renderer costs without its cache.
    pub fn set_fragment_reuse(&self, on: bool) {
        self.inner
            .reuse
            .store(on, std::sync::atomic::Ordering::Relaxed);
    }

    /// The theme directory.
    pub fn dir(&self) -> &Path {
        &self.inner.dir
    }

    /// Everything a request's sections share, built once per request.
    pub fn context(&self, page: &PageRequest, cart: Value) -> PageContext {
        let compiled = self.inner.compiled();
        let values = self
            .inner
            .locales
            .get(&page.locale)
            .unwrap_or(&self.inner.primary);
        let has_template = |name: &str| compiled.has_template(name);
        let files = ThemeFiles {
            has_template: &has_template,
            paginates_itself: compiled.os2,
            locale: compiled.locales.get(&values.code),
            default_locale: compiled.locales.default_locale(),
            settings: compiled.settings.clone(),
            assets: compiled.assets.clone(),
        };
        PageContext::new(context::build(page, cart, values, files))
    }

    /// A translation outside any page, for text the server writes itself (a refused cart
    /// change): `key` in locale `code`, else in the default locale, with `{{ name }}`
    /// placeholders filled from `args`. `None` when neither locale has the key, so the caller
    /// keeps its own wording.
    pub fn translate(&self, code: &str, key: &str, args: &[(&str, String)]) -> Option<String> {
        let compiled = self.inner.compiled();
        let locales = &compiled.locales;
        [locales.get(code), locales.default_locale()]
            .into_iter()
            .flatten()
            .find_map(|locale| {
                let text = locale.text(key, None)?;
                Some(locale::interpolate(text, |name| {
                    args.iter()
                        .find(|(arg, _)| *arg == name)
                        .map(|(_, value)| value.clone())
                }))
            })
    }

    /// [`render_section`](Self::render_section), with the snippet outputs the section printed
    /// itself, in order: a JSON answer takes their escaping from them.
    pub fn render_section_parts(
        &self,
        ctx: &PageContext,
        id: &str,
    ) -> Result<Option<SectionParts>, RenderError> {
        let mark = ctx.page.printed_len();
        let html = self.render_section(ctx, id)?;
        Ok(html.map(|html| (html, ctx.page.printed_since(mark))))
    }

    /// Renders one section, wrapped. `Ok(None)`: the id is unknown in this context (a
    /// `template--{page}__{key}` id only exists in that page's context). `Err`: it failed.
    pub fn render_section(
        &self,
        ctx: &PageContext,
        id: &str,
    ) -> Result<Option<String>, RenderError> {
        let compiled = self.inner.compiled();
        let Some(entry) = compiled.sections.get(id) else {
            // An instance of this page whose JSON template does not parse: that is a failure,
            // not an unknown id.
            if let Some(err) = compiled.template_errors.get(ctx.template())
                && id.starts_with(&instance_id(ctx.template(), ""))
            {
                return Err(err.clone());
            }
            return Ok(None);
        };
        if !instance_renders_here(&compiled, entry, ctx) {
            return Ok(None);
        }
        entry
            .render(&compiled.env, &compiled.broken, ctx.page.clone(), 0)
            .map(Some)
            .map_err(|e| compiled.with_excerpt(RenderError::from_minijinja(&e, &entry.file)))
    }

    /// The ids of the page's own sections (its JSON template's, in `order`) of one type: on the
    /// cart page, `main-cart-items` is `template--cart__items`. Lets an answer refresh the
    /// sections a page really shows.
    pub fn page_sections_of_type(&self, ctx: &PageContext, section_type: &str) -> Vec<String> {
        let compiled = self.inner.compiled();
        let name = ctx.template();
        let Some((template, _)) = compiled.templates.get(name) else {
            return Vec::new();
        };
        template
            .ordered()
            .filter(|(_, section)| section.kind == section_type)
            .map(|(key, _)| instance_id(name, key))
            .collect()
    }

    /// Renders the whole page: the layout around the page's JSON template sections, in `order`.
    /// Errors the page printed in place are logged and, in development, listed for the overlay.
    pub fn render_page(&self, ctx: &PageContext) -> Result<String, RenderError> {
        let mut html = self.render_whole_page(ctx)?;
        let printed = ctx.page.inline_errors();
        if !printed.is_empty() {
            let compiled = self.inner.compiled();
            let errors: Vec<RenderError> = printed
                .into_iter()
                .map(|e| {
                    let err = compiled.with_excerpt(RenderError::new(e.file, e.line, e.message));
                    self.with_excerpt_from_disk(err)
                })
                .collect();
            for err in &errors {
                tracing::warn!(file = %err.file, line = ?err.line, "the page printed a Liquid error: {}", err.message);
            }
            if ctx.page.live_reload {
                live::add_printed_errors(&mut html, &errors);
            }
        }
        Ok(html)
    }

    /// Snippets are read when first rendered, so their source is not among the compiled ones:
    /// the excerpt comes from the file.
    fn with_excerpt_from_disk(&self, err: RenderError) -> RenderError {
        let relative = Path::new(&err.file);
        if err.excerpt.is_some()
            || err.line.is_none()
            || relative.is_absolute()
            || relative
                .components()
                .any(|c| !matches!(c, std::path::Component::Normal(_)))
        {
            return err;
        }
        match std::fs::read_to_string(self.inner.dir.join(relative)) {
            Ok(source) => err.with_excerpt_from(&source),
            Err(_) => err,
        }
    }

    fn render_whole_page(&self, ctx: &PageContext) -> Result<String, RenderError> {
        let compiled = self.inner.compiled();
        if compiled.os2 {
            return render_os2_page(&compiled, ctx);
        }
        let (template, content) = json_template_sections(&compiled, ctx)?;
        let Some(layout) = template.layout_name() else {
            return Ok(content);
        };
        let file = format!("templates/layout/{layout}.html");
        let scope = Scope::value(
            Layer::Layout {
                content_for_layout: Value::from_safe_string(content),
                content_for_header: Value::from_safe_string(content_for_header(
                    &ctx.page,
                    false,
                    &[],
                )),
            },
            ctx.page.clone(),
            0,
        );
        render_file(&compiled.env, &compiled.broken, &file, scope)
            .map_err(|e| compiled.with_excerpt(RenderError::from_minijinja(&e, &file)))
    }

    /// An HTML page showing a template error as an overlay, with the live-reload client, so the
    /// browser recovers by itself once the file is fixed.
    pub fn error_page(&self, err: &RenderError) -> String {
        live::error_page(&self.inner.compiled().with_excerpt(err.clone()))
    }

    /// Subscribe to theme changes (for live reload).
    pub fn subscribe(&self) -> broadcast::Receiver<ThemeChange> {
        self.inner.changes.subscribe()
    }

    /// A Liquid asset (`assets/theme.css.liquid`) by the name `asset_url` gives it
    /// (`theme.css`), rendered with the theme's settings; `None` when there is no such file.
    /// Rendered once per compiled theme: an asset sees no page, visitor or cart, only the
    /// global objects (`settings`, `shop`, `routes`), as on Shopify.
    pub fn render_asset(&self, name: &str) -> Option<Result<Arc<str>, RenderError>> {
        let compiled = self.inner.compiled();
        let file = compiled.liquid_assets.get(name)?;
        let cached = compiled
            .rendered_assets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(name)
            .cloned();
        if let Some(css_or_js) = cached {
            return Some(Ok(css_or_js));
        }
        let request = PageRequest::new("/", self.inner.primary.code.clone());
        let ctx = self.context(&request, Value::UNDEFINED);
        let scope = Scope::value(Layer::Snippet(Vec::new()), ctx.page.clone(), 0);
        let rendered = engine::render::render_liquid(
            &compiled.liquid_env,
            &compiled.broken,
            file,
            scope,
            &ctx.page,
        )
        .map(Arc::<str>::from)
        .map_err(|e| compiled.with_excerpt(RenderError::from_minijinja(&e, file)));
        if let Ok(body) = &rendered {
            compiled
                .rendered_assets
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .insert(name.to_owned(), body.clone());
        }
        Some(rendered)
    }

    /// One of the bundles of a Shopify theme's `{% stylesheet %}` and `{% javascript %}` tags
    /// (`styles.css`, `scripts.js`, `block-styles.css`, ...), and whether it is a script.
    pub fn asset_bundle(&self, name: &str) -> Option<(Arc<str>, bool)> {
        let compiled = self.inner.compiled();
        compiled
            .asset_bundles
            .iter()
            .find(|b| b.name == name)
            .map(|b| (b.content.clone(), b.is_script()))
    }

    /// The directory the HTTP layer serves at `/static/`: `assets/` of a Shopify theme.
    pub fn static_dir(&self) -> PathBuf {
        let folder = if self.is_os2() { "assets" } else { "static" };
        self.inner.dir.join(folder)
    }

    /// Whether the theme is laid out as a Shopify Online Store 2.0 theme.
    pub fn is_os2(&self) -> bool {
        self.inner.compiled().os2
    }

    /// The exact root context `render_section` gives the section `id` (for benchmarks and
    /// debugging); `None` when the id is unknown in this context.
    pub fn section_context(&self, ctx: &PageContext, id: &str) -> Option<Value> {
        let compiled = self.inner.compiled();
        let entry = compiled.sections.get(id)?;
        if !instance_renders_here(&compiled, entry, ctx) {
            return None;
        }
        Some(Scope::value(
            Layer::Section(entry.value(&ctx.page)),
            ctx.page.clone(),
            0,
        ))
    }

    /// The source of a template file as compiled (a section's schema already stripped), e.g.
    /// `sections/main-cart-items.html`.
    pub fn template_source(&self, file: &str) -> Option<String> {
        self.inner.compiled().sources.get(file).cloned()
    }
}

/// Whether the Section Rendering API renders `entry` at this URL. In a Shopify theme an
/// instance of any JSON template renders at any URL, with that URL's objects, as on Shopify:
/// themes ask for `template--product__related` at `/recommendations/products` and Concept for
/// `template--cart__recently-viewed` at `/search`. vitrine's own theme keeps an instance to its
/// template's pages.
fn instance_renders_here(
    compiled: &Compiled,
    entry: &engine::render::SectionEntry,
    ctx: &PageContext,
) -> bool {
    compiled.os2
        || entry
            .page_template
            .as_deref()
            .is_none_or(|t| t == ctx.template())
}

/// The page's JSON template and its sections rendered in `order`, each wrapped.
fn json_template_sections<'a>(
    compiled: &'a Compiled,
    ctx: &PageContext,
) -> Result<(&'a engine::schema::JsonTemplate, String), RenderError> {
    let name = ctx.template();
    if let Some(err) = compiled.template_errors.get(name) {
        return Err(err.clone());
    }
    let Some((template, _)) = compiled.templates.get(name) else {
        return Err(RenderError::new(
            format!("templates/{name}.json"),
            None,
            "template not found",
        ));
    };
    let mut content = String::new();
    for (key, _) in template.ordered() {
        let Some(entry) = compiled.sections.get(&instance_id(name, key)) else {
            continue;
        };
        let html = entry
            .render_in_page(&compiled.env, &compiled.broken, ctx.page.clone(), 0)
            .map_err(|e| compiled.with_excerpt(RenderError::from_minijinja(&e, &entry.file)))?;
        content.push_str(&html);
    }
    Ok((template, content))
}

/// A page of a Shopify-layout theme: its JSON template's sections or its Liquid template,
/// inside `layout/{name}.liquid` (the JSON `layout` key or the `{% layout %}` tag).
fn render_os2_page(compiled: &Compiled, ctx: &PageContext) -> Result<String, RenderError> {
    let name = ctx.template();
    let page = &ctx.page;
    let (content, layout) = if let Some(layout) = compiled.liquid_templates.get(name) {
        let file = format!("templates/{name}.liquid");
        let scope = Scope::value(Layer::Section(Value::from(())), page.clone(), 0);
        let html = engine::render::render_liquid(
            &compiled.liquid_env,
            &compiled.broken,
            &file,
            scope,
            page,
        )
        .map_err(|e| compiled.with_excerpt(RenderError::from_minijinja(&e, &file)))?;
        (html, layout.clone())
    } else {
        let (template, content) = json_template_sections(compiled, ctx)?;
        (content, template.layout_name())
    };
    let Some(layout) = layout else {
        return Ok(content);
    };
    let file = format!("layout/{layout}.liquid");
    let scope = Scope::value(
        Layer::Layout {
            content_for_layout: Value::from_safe_string(content),
            content_for_header: Value::from_safe_string(content_for_header(
                page,
                true,
                &compiled.asset_bundles,
            )),
        },
        page.clone(),
        0,
    );
    engine::render::render_liquid(&compiled.liquid_env, &compiled.broken, &file, scope, page)
        .map(|html| fill_sections_shown(html, page))
        .map(cdn::localize)
        .map_err(|e| compiled.with_excerpt(RenderError::from_minijinja(&e, &file)))
}

/// The versions of the script bundles: a change to them needs the page reloaded, as a script
/// that ran cannot be swapped.
fn script_versions(compiled: &Compiled) -> Vec<String> {
    compiled
        .asset_bundles
        .iter()
        .filter(|b| b.is_script())
        .map(|b| b.version.clone())
        .collect()
}

/// Stands for the section types a page shows in `content_for_header` until the page is done.
const SECTIONS_SHOWN: &str = "__vitrine_sections_shown__";

/// The page with the section types it showed in the `data-sections` of the tag that loads
/// the section scripts (each runs only where its section is shown).
fn fill_sections_shown(html: String, page: &Page) -> String {
    let Some(at) = memchr::memmem::find(html.as_bytes(), SECTIONS_SHOWN.as_bytes()) else {
        return html;
    };
    let shown = page.section_types_shown().join(",");
    let mut out = String::with_capacity(html.len() + shown.len());
    out.push_str(&html[..at]);
    out.push_str(&objects::html::escape_html(&shown));
    out.push_str(&html[at + SECTIONS_SHOWN.len()..]);
    out
}

/// `content_for_header`: the storefront globals Shopify puts on `window.Shopify` (shop, locale,
/// country, `routes.root`, currency) and, when asked for, the live-reload client.
///
/// The globals are a JSON data block, which vitrine's own theme reads with
/// `JSON.parse(document.getElementById("shopify-globals").textContent)`: its
/// Content-Security-Policy allows no inline scripts. A Shopify theme (`set_window_shopify`)
/// also gets them on `window.Shopify` by an inline script, as on Shopify, where theme scripts
/// read `Shopify.routes.root` or `Shopify.designMode` without checking that `Shopify` exists.
/// `Shopify.loadFeatures`, which Shopify's header script defines and theme scripts call at
/// start: the customer privacy API is a local stand-in (nothing tracks anyone offline: consent
/// counts as given and no banner is due); other features (the 3D model viewer's UI, AR) are not
/// here, and their `onLoad` gets an error, which themes handle by going without.
const SHOPIFY_FEATURES: &str = "(function(S){\
S.customerPrivacy=S.customerPrivacy||{userCanBeTracked:function(){return true},\
getTrackingConsent:function(){return 'yes'},shouldShowBanner:function(){return false},\
setTrackingConsent:function(c,f){if(typeof f==='function')f()},\
getRegion:function(){return ''},analyticsProcessingAllowed:function(){return true},\
marketingAllowed:function(){return true},saleOfDataAllowed:function(){return true},\
preferencesProcessingAllowed:function(){return true},thirdPartyMarketingAllowed:function(){return true}};\
var here={'consent-tracking-api':true};\
S.loadFeatures=S.loadFeatures||function(features,done){var missing=[];\
(features||[]).forEach(function(f){var e=here[f.name]?null:[new Error(f.name+' is not available offline')];\
if(e)missing.push(e[0]);if(typeof f.onLoad==='function')setTimeout(function(){f.onLoad(e)},0)});\
if(typeof done==='function')setTimeout(function(){done(missing.length?missing:null)},0)};\
})(window.Shopify);";

fn content_for_header(
    page: &Page,
    set_window_shopify: bool,
    asset_bundles: &[engine::loader::AssetBundle],
) -> String {
    let root = if page.prefix.is_empty() {
        "/".to_owned()
    } else {
        format!("{}/", page.prefix)
    };
    let currency = page
        .global("shop")
        .and_then(|s| s.get_attr("currency").ok())
        .map(|c| c.to_string())
        .unwrap_or_default();
    let shop = page.global("shop");
    let shop_text = |name: &str| {
        shop.as_ref()
            .and_then(|s| s.get_attr(name).ok())
            .filter(|v| !v.is_undefined() && !v.is_none())
            .map(|v| v.to_string())
    };
    let globals = serde_json::json!({
        "shop": shop_text("permanent_domain").or_else(|| shop_text("domain")),
        "locale": page.locale_code,
        "country": page
            .global("localization")
            .and_then(|l| l.get_attr("country").ok())
            .and_then(|c| c.get_attr("iso_code").ok())
            .and_then(|c| c.as_str().map(str::to_owned)),
        "routes": {"root": root},
        "currency": {"active": currency, "rate": "1.0"},
    });
    // Escaped so no value can close the script element.
    let globals = globals
        .to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026");
    let mut out =
        format!("<script type=\"application/json\" id=\"shopify-globals\">{globals}</script>");
    if set_window_shopify {
        out.push_str(&format!(
            "\n<script>window.Shopify = Object.assign(window.Shopify || {{}}, {globals});{SHOPIFY_FEATURES}</script>"
        ));
    }
    for bundle in asset_bundles {
        let (name, version) = (bundle.name, &bundle.version);
        let href = format!("{COMPILED_ASSETS_PATH}/{name}?v={version}");
        if !bundle.is_script() {
            out.push_str(&format!("\n<link rel=\"stylesheet\" href=\"{href}\">"));
        } else if name == "scripts.js" {
            // The section types shown are known once the page has rendered: filled in then.
            out.push_str(&format!(
                "\n<script src=\"{href}\" id=\"sections-script\" data-sections=\"{SECTIONS_SHOWN}\" defer=\"defer\"></script>"
            ));
        } else {
            out.push_str(&format!(
                "\n<script src=\"{href}\" defer=\"defer\"></script>"
            ));
        }
    }
    if page.live_reload {
        out.push('\n');
        out.push_str(&live::live_reload_tag());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// axum state must be `Clone + Send + Sync + 'static`.
    #[test]
    fn theme_can_be_shared_across_threads() {
        fn shareable<T: Clone + Send + Sync + 'static>() {}
        shareable::<Theme>();
        fn sendable<T: Send + Sync>() {}
        sendable::<PageContext>();
        sendable::<RenderError>();
    }
}
