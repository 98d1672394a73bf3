//! Rendering scopes and the template functions that render other templates: `render('snippet',
//! key=value)` (Liquid's isolated `render` tag) and `section('id')` (Liquid's `{% section %}`).
//!
//! A scope is a tiny object layered over the shared [`Page`]: a section adds `section`, a snippet
//! sees only its arguments plus the global objects, a layout adds `content_for_*`. Nothing is
//! copied: every lookup falls through to the page's prebuilt values.

use foldhash::HashMap;
use std::sync::{Arc, Weak};

use minijinja::value::{Enumerator, Kwargs, Object};
use minijinja::{Environment, Error, ErrorKind, State, Value};

use super::closest::Closest;
use super::error::RenderError;
use super::liquid;
use crate::theme::objects::context::{
    DEPTH_KEY, InlineError, PAGE_KEY, Page, Rendering, SNIPPET_GLOBALS, current_page,
    rendering_page,
};
use crate::theme::objects::fragments::{Fragment, Fragments, call_key};
use crate::theme::objects::html::escape_html;

/// How deep `render`/`section` may nest: a snippet that renders itself stops here instead of
/// overflowing the stack (each nested render is a fresh minijinja state with its own limit).
pub const MAX_DEPTH: u32 = 24;

/// Templates that failed to compile (or whose schema is broken), by file name.
pub type Broken = HashMap<String, RenderError>;

/// What a scope adds on top of the page.
#[derive(Debug)]
pub enum Layer {
    Section(Value),
    /// A snippet's arguments, by name. A handful at most, so a scan beats hashing each name.
    Snippet(Vec<(Value, Value)>),
    Layout {
        content_for_layout: Value,
        content_for_header: Value,
    },
    /// A theme block (`blocks/x.liquid`): its `block`, the `section` it is in, its `closest`
    /// and the other arguments of the `content_for` tag that rendered it.
    Block {
        section: Value,
        block: Value,
        closest: Value,
        args: Vec<(String, Value)>,
    },
}

/// A template's root context.
#[derive(Debug)]
pub struct Scope {
    pub layer: Layer,
    pub page: Arc<Page>,
    pub depth: u32,
}

impl Scope {
    pub fn value(layer: Layer, page: Arc<Page>, depth: u32) -> Value {
        Value::from_object(Scope { layer, page, depth })
    }
}

impl Object for Scope {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        self.get_value_by_str(key.as_str()?)
    }

    fn get_value_by_str(self: &Arc<Self>, key: &str) -> Option<Value> {
        match key {
            PAGE_KEY => return Some(Value::from_dyn_object(self.page.clone())),
            DEPTH_KEY => return Some(Value::from(self.depth)),
            liquid::runtime::SNIPPET_GLOBALS_KEY => {
                // What a Liquid snippet sees besides its arguments, as on Shopify: the global
                // objects, the page's own (`product` on a product page), the `section` it is
                // rendered in (Dawn's media gallery reads `product` and `section.settings`
                // without being passed either) and, inside a theme block, that `block` and its
                // `closest` (Horizon's card gallery reads `block.settings` and
                // `closest.product`). Not the caller's variables.
                let layer = match &self.layer {
                    Layer::Section(section) => Layer::Section(section.clone()),
                    Layer::Block {
                        section,
                        block,
                        closest,
                        ..
                    } => Layer::Block {
                        section: section.clone(),
                        block: block.clone(),
                        closest: closest.clone(),
                        args: Vec::new(),
                    },
                    Layer::Snippet(_) | Layer::Layout { .. } => Layer::Section(Value::from(())),
                };
                return Some(Scope::value(layer, self.page.clone(), self.depth + 1));
            }
            _ => {}
        }
        match &self.layer {
            Layer::Section(section) => match key {
                "section" => Some(section.clone()),
                "closest" => Some(Closest::value(Vec::new(), None, self.page.clone())),
                _ => self.page.get(key),
            },
            Layer::Snippet(args) => {
                match args.iter().find(|(name, _)| name.as_str() == Some(key)) {
                    Some((_, v)) if !v.is_undefined() => Some(v.clone()),
                    _ => self.page.snippet_global(key),
                }
            }
            Layer::Block {
                section,
                block,
                closest,
                args,
            } => match key {
                "section" => Some(section.clone()),
                "block" => Some(block.clone()),
                "closest" => Some(closest.clone()),
                _ => match args.iter().find(|(name, _)| name == key) {
                    Some((_, v)) => Some(v.clone()),
                    None => self.page.get(key),
                },
            },
            Layer::Layout {
                content_for_layout,
                content_for_header,
            } => match key {
                "content_for_layout" => Some(content_for_layout.clone()),
                "content_for_header" => Some(content_for_header.clone()),
                _ => self.page.get(key),
            },
        }
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        // Listing the context (e.g. `debug()`) shows per-request objects.
        self.page.note_per_request_read();
        let mut keys: Vec<Value> = match &self.layer {
            Layer::Section(_) => vec![Value::from("section")],
            Layer::Snippet(args) => args.iter().map(|(name, _)| name.clone()).collect(),
            Layer::Block { args, .. } => ["section", "block", "closest"]
                .into_iter()
                .map(Value::from)
                .chain(args.iter().map(|(name, _)| Value::from(name.as_str())))
                .collect(),
            Layer::Layout { .. } => vec![
                Value::from("content_for_layout"),
                Value::from("content_for_header"),
            ],
        };
        keys.extend(SNIPPET_GLOBALS.iter().map(|k| Value::from(*k)));
        Enumerator::Values(keys)
    }
}

fn current_depth(state: &State) -> u32 {
    state
        .lookup(DEPTH_KEY)
        .and_then(|v| u32::try_from(v).ok())
        .unwrap_or(0)
}

/// An error that carries a [`RenderError`] so the outer conversion reports the real file.
pub fn broken_error(err: &RenderError) -> Error {
    // As a Liquid error, so that an enclosing Liquid render reports this file too.
    let line = err.line.and_then(|l| u32::try_from(l).ok()).unwrap_or(0);
    Error::new(ErrorKind::InvalidOperation, err.to_string()).with_source(liquid::LiquidError::new(
        &err.file,
        line,
        &err.message,
    ))
}

/// Renders `file` with `ctx`, refusing templates known to be broken.
pub fn render_file(
    env: &Environment<'_>,
    broken: &Broken,
    file: &str,
    ctx: Value,
) -> Result<String, Error> {
    if let Some(err) = broken.get(file) {
        return Err(broken_error(err));
    }
    let _rendering = ctx
        .downcast_object_ref::<Scope>()
        .map(|scope| Rendering::enter(&scope.page));
    env.get_template(file)?.render(ctx)
}

/// Renders a Liquid file with `ctx` as its global objects. A Liquid error keeps its own file
/// and line (the `RenderError` rides along as the error's source).
pub fn render_liquid(
    env: &Environment<'_>,
    broken: &Broken,
    file: &str,
    ctx: Value,
    page: &Arc<Page>,
) -> Result<String, Error> {
    if let Some(err) = broken.get(file) {
        return Err(broken_error(err));
    }
    let _rendering = Rendering::enter(page);
    // As a storefront does: a snippet that fails prints its error in place.
    let limits = liquid::Limits {
        inline_errors: true,
        snippet_folder: page.snippet_folder(),
        on_inline_error: Some(note_liquid_inline_error),
        ..liquid::Limits::default()
    };
    liquid::render(env, file, ctx, limits)
        .map_err(|e| Error::new(ErrorKind::InvalidOperation, e.message.clone()).with_source(e))
}

/// What the page prints where a snippet, block or section failed, as a Shopify storefront
/// does: `Liquid error (snippets/price.liquid line 12): divided by 0`, escaped. The page keeps
/// the error for the overlay.
fn printed_in_place(page: &Page, err: RenderError) -> String {
    let message = err
        .message
        .strip_prefix("Liquid error: ")
        .unwrap_or(&err.message);
    let at = err.line.map(|l| format!(" line {l}")).unwrap_or_default();
    let text = escape_html(&format!("Liquid error ({}{at}): {message}", err.file));
    page.note_inline_error(InlineError {
        message: message.to_owned(),
        file: err.file,
        line: err.line,
    });
    text
}

/// The Liquid runtime's word that a `render`ed snippet failed and printed its error in place.
fn note_liquid_inline_error(err: &liquid::LiquidError) {
    if let Some(page) = rendering_page() {
        page.note_inline_error(InlineError {
            file: err.file.clone(),
            line: (err.line > 0).then_some(err.line as usize),
            message: err.message.clone(),
        });
    }
}

/// Is `name` a plain snippet name (no path tricks)?
fn valid_snippet_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !name.contains("..")
}

/// The template file of a snippet.
pub fn snippet_file(name: &str) -> String {
    format!("templates/snippets/{name}.html")
}

/// `render('name', key=value)`: the snippet sees its arguments and the global objects only.
pub fn render_function(
    broken: Arc<Broken>,
    fragments: Arc<Fragments>,
) -> impl Fn(&State, &str, Kwargs) -> Result<Value, Error> + Send + Sync + 'static {
    move |state: &State, name: &str, args: Kwargs| {
        let depth = current_depth(state) + 1;
        if depth > MAX_DEPTH {
            return Err(Error::new(
                ErrorKind::InvalidOperation,
                format!("render('{name}') nests deeper than {MAX_DEPTH} levels"),
            ));
        }
        if !valid_snippet_name(name) {
            return Err(Error::new(
                ErrorKind::InvalidOperation,
                format!("invalid snippet name {name:?}"),
            ));
        }
        let page = current_page(state).ok_or_else(|| {
            Error::new(ErrorKind::InvalidOperation, "render() needs a page context")
        })?;
        // Before the template lookup: output is only kept for a snippet that rendered, and the
        // cache belongs to one compiled theme, so an edited or broken file is never hit.
        // Each argument read once, in name order: for the key and for the snippet.
        let mut pairs: Vec<(&str, Value)> = Vec::with_capacity(8);
        for arg in args.args() {
            // `peek`, not `get`: nothing checks render()'s arguments for unused ones, and
            // marking each as used costs an allocation per argument per call.
            if let Ok(value) = args.peek::<Value>(arg) {
                pairs.push((arg, value));
            }
        }
        pairs.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let key = call_key(name, &page.locale_code, &pairs);
        // Called by a section itself: its output lands in the section's HTML as it is.
        let printed_by_section = depth == 1;
        if let Some(key) = &key
            && let Some(hit) = page.memo_get(key).or_else(|| fragments.get(key))
        {
            if printed_by_section {
                page.note_printed(&hit);
            }
            return Ok(hit.html().clone());
        }
        let file = snippet_file(name);
        if let Some(err) = broken.get(&file) {
            return Err(broken_error(err));
        }
        let template = state.env().get_template(&file).map_err(|_| {
            Error::new(
                ErrorKind::TemplateNotFound,
                format!("snippet '{name}' not found (looked for {file})"),
            )
        })?;
        let reads_before = page.per_request_reads();
        let args = pairs
            .into_iter()
            .map(|(name, value)| (Value::from(name), value))
            .collect();
        let ctx = Scope::value(Layer::Snippet(args), page.clone(), depth);
        let out = Fragment::new(Value::from_safe_string(template.render(ctx)?));
        if let Some(key) = key {
            // Nothing per-request was read (nested renders count too): later requests may reuse it.
            let per_request = page.per_request_reads() != reads_before;
            if !per_request {
                fragments.insert(key.clone(), out.clone());
            }
            page.memo_put(key, out.clone(), per_request);
        }
        if printed_by_section {
            page.note_printed(&out);
        }
        Ok(out.html().clone())
    }
}

/// A section ready to render: its file, wrapper markup and `section` object.
#[derive(Debug, Clone)]
pub struct SectionEntry {
    pub file: String,
    /// `Some("cart")` for `template--cart__*` instances: only valid in that page's context.
    pub page_template: Option<String>,
    /// The `section` object per locale code (its resource settings carry locale-aware URLs).
    pub values: HashMap<String, Value>,
    pub open: String,
    pub close: String,
    /// Set when the instance cannot render at all (e.g. its section type does not exist).
    pub error: Option<RenderError>,
    /// The Liquid environment, for a section written in Liquid (`sections/x.liquid`).
    pub liquid: Option<Arc<Environment<'static>>>,
}

impl SectionEntry {
    /// The `section` object for the page's locale.
    pub fn value(&self, page: &Page) -> Value {
        self.values
            .get(&page.locale_code)
            .or_else(|| self.values.values().next())
            .cloned()
            .unwrap_or_default()
    }

    /// Renders the section wrapped, as part of a whole page: in a Shopify theme a section that
    /// fails at run time prints its error inside its wrapper and the page goes on, as on
    /// Shopify. A section that does not parse, a limit, and any failure in vitrine's own theme
    /// still fail the page (the error overlay).
    pub fn render_in_page(
        &self,
        env: &Environment<'_>,
        broken: &Broken,
        page: Arc<Page>,
        depth: u32,
    ) -> Result<String, Error> {
        match self.render(env, broken, page.clone(), depth) {
            Err(e)
                if page.is_shopify_theme()
                    && self.error.is_none()
                    && !broken.contains_key(&self.file)
                    && !liquid::runtime::is_limit(&e) =>
            {
                let err = RenderError::from_minijinja(&e, &self.file);
                let text = printed_in_place(&page, err);
                Ok(format!("{}{text}{}", self.open, self.close))
            }
            result => result,
        }
    }

    /// Renders the section wrapped in its `shopify-section` element.
    pub fn render(
        &self,
        env: &Environment<'_>,
        broken: &Broken,
        page: Arc<Page>,
        depth: u32,
    ) -> Result<String, Error> {
        if let Some(err) = &self.error {
            return Err(broken_error(err));
        }
        if let Some(kind) = self
            .file
            .strip_prefix("sections/")
            .and_then(|f| f.strip_suffix(".liquid"))
        {
            page.note_section_type(kind);
        }
        let ctx = Scope::value(Layer::Section(self.value(&page)), page.clone(), depth);
        let body = match &self.liquid {
            Some(liquid_env) => render_liquid(liquid_env, broken, &self.file, ctx, &page)?,
            None => render_file(env, broken, &self.file, ctx)?,
        };
        let mut out = String::with_capacity(self.open.len() + body.len() + self.close.len());
        out.push_str(&self.open);
        out.push_str(&body);
        out.push_str(&self.close);
        Ok(out)
    }
}

/// `render_section('header')` (alias `section('header')` where `section` is not the current
/// section object): renders a static section, wrapped, from a layout or another template.
pub fn section_function(
    broken: Arc<Broken>,
    sections: Arc<HashMap<String, SectionEntry>>,
) -> impl Fn(&State, &str) -> Result<Value, Error> + Send + Sync + 'static {
    move |state: &State, id: &str| {
        // `{% section 'gift-card.liquid' %}` names the file; Shopify takes that too.
        let id = id.strip_suffix(".liquid").unwrap_or(id);
        let depth = current_depth(state) + 1;
        if depth > MAX_DEPTH {
            return Err(Error::new(
                ErrorKind::InvalidOperation,
                format!("section('{id}') nests deeper than {MAX_DEPTH} levels"),
            ));
        }
        let entry = sections
            .get(id)
            .filter(|e| e.page_template.is_none())
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::TemplateNotFound,
                    format!("section '{id}' not found (looked for sections/{id}.html)"),
                )
            })?;
        let page = current_page(state).ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidOperation,
                "section() needs a page context",
            )
        })?;
        // A section sees the whole page, so a snippet that renders one is per request.
        page.note_per_request_read();
        entry
            .render_in_page(state.env(), &broken, page, depth)
            .map(Value::from_safe_string)
    }
}

/// The opening and closing wrapper tags of a section.
pub fn wrapper(id: &str, tag: &str, class: Option<&str>) -> (String, String) {
    let class = match class.map(str::trim).filter(|c| !c.is_empty()) {
        Some(extra) => format!("shopify-section {}", escape_html(extra)),
        None => "shopify-section".to_owned(),
    };
    (
        format!(
            "<{tag} id=\"shopify-section-{}\" class=\"{class}\">",
            escape_html(id)
        ),
        format!("</{tag}>"),
    )
}

/// The key under which a section or block object keeps its static blocks by id, for
/// `content_for 'block'` (they are not in `blocks`: `content_for 'blocks'` skips them).
pub const STATIC_BLOCKS_KEY: &str = "_vitrine_static_blocks";

/// The compiled theme's sections, for the Liquid theme tags, set once the theme is built. Weak:
/// the sections hold the Liquid environment that holds these functions.
pub type SharedSections =
    Arc<std::sync::OnceLock<(Weak<Broken>, Weak<HashMap<String, SectionEntry>>)>>;

fn tag_error(message: String) -> Error {
    Error::new(ErrorKind::InvalidOperation, message)
}

/// Registers `{% section %}`, `{% sections %}` and `{% content_for %}` on a theme's Liquid
/// environment. <https://shopify.dev/docs/api/liquid/tags/section>,
/// <https://shopify.dev/docs/api/liquid/tags/sections>,
/// <https://shopify.dev/docs/api/liquid/tags/content_for>
pub fn register_theme_tags(
    env: &mut Environment<'static>,
    shared: SharedSections,
    groups: Arc<HashMap<String, Vec<String>>>,
    block_defaults: Arc<HashMap<String, Value>>,
) {
    let get = |shared: &SharedSections| {
        let (broken, sections) = shared
            .get()
            .and_then(|(b, s)| Some((b.upgrade()?, s.upgrade()?)))
            .ok_or_else(|| tag_error("the theme is reloading".into()))?;
        Ok::<_, Error>((broken, sections))
    };
    let cell = shared.clone();
    env.add_function(
        "_lq_section",
        move |state: &State, name: String, _: Value| {
            let (broken, sections) = get(&cell)?;
            section_function(broken, sections)(state, &name)
        },
    );
    let cell = shared.clone();
    env.add_function(
        "_lq_sections",
        move |state: &State, group: String, _: Value| {
            let (broken, sections) = get(&cell)?;
            let ids = groups.get(&group).ok_or_else(|| {
                tag_error(format!(
                    "section group '{group}' not found (looked for sections/{group}.json)"
                ))
            })?;
            let page = current_page(state)
                .ok_or_else(|| tag_error("sections needs a page context".into()))?;
            page.note_per_request_read();
            let depth = current_depth(state) + 1;
            let mut out = String::new();
            for id in ids {
                if let Some(entry) = sections.get(id) {
                    out.push_str(&entry.render_in_page(
                        state.env(),
                        &broken,
                        page.clone(),
                        depth,
                    )?);
                }
            }
            Ok(Value::from_safe_string(out))
        },
    );
    env.add_function(
        "_lq_content_for",
        move |state: &State, kind: String, args: Value| {
            let (broken, _) = get(&shared)?;
            content_for(state, &broken, &block_defaults, &kind, &args)
        },
    );
}

/// `content_for 'blocks'` renders the section's (or block's) theme blocks in order;
/// `content_for 'block', type: 't', id: 'i'` one static block.
fn content_for(
    state: &State,
    broken: &Broken,
    block_defaults: &HashMap<String, Value>,
    kind: &str,
    args: &Value,
) -> Result<Value, Error> {
    let page =
        current_page(state).ok_or_else(|| tag_error("content_for needs a page context".into()))?;
    let depth = current_depth(state) + 1;
    if depth > MAX_DEPTH {
        return Err(tag_error(format!(
            "content_for nests deeper than {MAX_DEPTH} levels"
        )));
    }
    let section = state.lookup("section").unwrap_or_default();
    // Inside a block, its own children; in a section, the section's.
    let parent = state
        .lookup("block")
        .filter(|b| !b.is_undefined() && !b.is_none())
        .unwrap_or_else(|| section.clone());
    let blocks: Vec<Value> = parent
        .get_attr("blocks")
        .ok()
        .and_then(|b| b.try_iter().ok().map(Iterator::collect))
        .unwrap_or_default();
    let chosen: Vec<Value> = match kind {
        "blocks" => blocks,
        "block" => {
            let attr = |name: &str| {
                args.get_attr(name)
                    .ok()
                    .filter(|v| !v.is_undefined())
                    .map(|v| v.to_string())
            };
            let kind =
                attr("type").ok_or_else(|| tag_error("content_for 'block' needs a type".into()))?;
            let id = attr("id").unwrap_or_else(|| kind.clone());
            let listed = parent
                .get_attr(STATIC_BLOCKS_KEY)
                .ok()
                .and_then(|statics| statics.get_attr(&id).ok())
                .filter(|b| !b.is_undefined() && !b.is_none())
                .or_else(|| {
                    blocks.into_iter().find(|b| {
                        b.get_attr("id")
                            .ok()
                            .is_some_and(|v| v.as_str() == Some(id.as_str()))
                    })
                });
            vec![listed.unwrap_or_else(|| {
                let settings = block_defaults
                    .get(&kind)
                    .cloned()
                    .unwrap_or_else(|| Value::from_pairs(Vec::<(String, Value)>::new()));
                Value::from_pairs([
                    ("id", Value::from(id)),
                    ("type", Value::from(kind)),
                    ("settings", settings),
                    ("shopify_attributes", Value::from("")),
                    ("blocks", Value::from(Vec::<Value>::new())),
                ])
            })]
        }
        other => return Err(tag_error(format!("unknown content_for type '{other}'"))),
    };
    // `closest.product: p` sets what the block and its descendants see as `closest`; the
    // other arguments (Shopify documents them for static blocks) are variables in the block.
    let parent_closest = state.lookup("closest").filter(|c| !c.is_undefined());
    let closest = Closest::value(Closest::assigned_in(args), parent_closest, page.clone());
    let extra: Vec<(String, Value)> = args
        .try_iter()
        .map(|keys| {
            keys.filter_map(|key| {
                let name = key.as_str()?;
                if matches!(name, "type" | "id") || name.starts_with("closest.") {
                    return None;
                }
                Some((name.to_owned(), args.get_item(&key).ok()?))
            })
            .collect()
        })
        .unwrap_or_default();
    let mut out = String::new();
    for block in chosen {
        let kind = block
            .get_attr("type")
            .map(|v| v.to_string())
            .unwrap_or_default();
        // `@app` blocks and blocks without a file of their own print nothing, as on Shopify.
        if !valid_snippet_name(&kind) {
            continue;
        }
        let file = format!("blocks/{kind}.liquid");
        if let Some(err) = broken.get(&file) {
            return Err(broken_error(err));
        }
        if state.env().get_template(&file).is_err() {
            continue;
        }
        let ctx = Scope::value(
            Layer::Block {
                section: section.clone(),
                block,
                closest: closest.clone(),
                args: extra.clone(),
            },
            page.clone(),
            depth,
        );
        match render_liquid(state.env(), broken, &file, ctx, &page) {
            Ok(html) => out.push_str(&html),
            // A theme block that fails prints its error in its place, as on Shopify; a limit
            // (nesting, fuel, output) still stops the page.
            Err(e) if !liquid::runtime::is_limit(&e) => {
                out.push_str(&printed_in_place(
                    &page,
                    RenderError::from_minijinja(&e, &file),
                ));
            }
            Err(e) => return Err(e),
        }
    }
    Ok(Value::from_safe_string(out))
}
