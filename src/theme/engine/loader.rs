//! Reads a theme directory and compiles it, once: every template goes into one minijinja
//! environment, every section's schema is parsed, every JSON page template is resolved into
//! ready-to-render section entries (settings merged over schema defaults, blocks in
//! `block_order`, wrapper markup precomputed).
//!
//! Loading never fails because of one bad file: its error is kept and returned by whatever
//! renders it, so the server keeps serving while the author fixes it.

use foldhash::{HashMap, HashMapExt};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use minijinja::value::Serde;
use minijinja::{Environment, Value};
use serde_json::Value as Json;

use super::error::{Problem, RenderError};
use super::files::read;
pub use super::files::{relative, walk};
use super::liquid;
use super::os2;
use super::render::{
    Broken, STATIC_BLOCKS_KEY, SectionEntry, SharedSections, register_theme_tags, render_function,
    section_function, wrapper,
};
use super::schema::{
    self, BlockInstance, JsonTemplate, SectionInstance, SectionSchema, SettingSchema, instance_id,
    line_of, split_section,
};
use crate::theme::objects::context::{AssetVersions, LocaleValues};
use crate::theme::objects::filters::{
    configure_environment, is_theme_filter, register as register_filters,
};
use crate::theme::objects::fragments::Fragments;
use crate::theme::objects::image::shop_image;
use crate::theme::objects::locale::{Locale, Locales};
use crate::theme::objects::shopify_filters::{color_value, font_value};
use crate::theme::objects::video_url::video_url_value;

/// A section file after loading.
#[derive(Debug, Default)]
pub struct SectionFile {
    pub file: String,
    /// `None` when the file has no schema or the schema is invalid (see `broken`).
    pub schema: Option<SectionSchema>,
    /// The raw schema JSON and its first line, for `check`.
    pub schema_source: Option<(String, usize)>,
}

/// A compiled theme: what one reload produces. Swapped as a whole on file changes.
pub struct Compiled {
    pub env: Environment<'static>,
    /// Section entries by id: static ones (`cart-drawer`) and instances (`template--cart__items`).
    pub sections: Arc<HashMap<String, SectionEntry>>,
    /// Section files by type (file stem).
    pub section_files: HashMap<String, SectionFile>,
    /// JSON page templates by name (`product`, `404`, ...), with their source.
    pub templates: HashMap<String, (JsonTemplate, String)>,
    /// JSON templates that exist but do not parse.
    pub template_errors: HashMap<String, RenderError>,
    pub broken: Arc<Broken>,
    pub locales: Locales,
    pub settings: Value,
    pub assets: Arc<AssetVersions>,
    /// Template sources as compiled (schema stripped), for error excerpts.
    pub sources: HashMap<String, String>,
    /// Problems found while loading files that are not templates (locales, settings).
    pub problems: Vec<Problem>,
    /// Laid out as a Shopify theme (`layout/`, `snippets/`, `assets/` at the top).
    pub os2: bool,
    /// Where `.liquid` files render.
    pub liquid_env: Arc<Environment<'static>>,
    /// Liquid page templates (`templates/gift_card.liquid`) and the layout each asks for.
    pub liquid_templates: HashMap<String, Option<String>>,
    /// Liquid assets (`assets/theme.css.liquid`) by the name they are served as (`theme.css`).
    pub liquid_assets: HashMap<String, String>,
    /// Liquid assets as rendered, by served name: they depend on nothing but the theme, so each
    /// renders once per compiled theme (a reload builds a new, empty cache).
    pub rendered_assets: std::sync::Mutex<HashMap<String, Arc<str>>>,
    /// The `{% stylesheet %}` and `{% javascript %}` bodies of sections, blocks and snippets,
    /// one bundle per kind.
    pub asset_bundles: Vec<AssetBundle>,
}

/// One of the files Shopify makes of a theme's `{% stylesheet %}` and `{% javascript %}` tags:
/// `styles.css` and `scripts.js` (sections), `block-styles.css`, `block-scripts.js`,
/// `snippet-styles.css` and `snippet-scripts.js`, each every file's body in file order.
/// <https://shopify.dev/docs/storefronts/themes/best-practices/javascript-and-stylesheet-tags>
#[derive(Debug)]
pub struct AssetBundle {
    pub name: &'static str,
    pub content: Arc<str>,
    /// A digest of `content`, for the URL's `?v=` (a changed file gets a new URL).
    pub version: String,
}

impl AssetBundle {
    pub fn is_script(&self) -> bool {
        self.name.ends_with(".js")
    }
}

/// Where each kind of file's tags go.
const BUNDLES: [(&str, &str, &str); 6] = [
    ("sections/", "stylesheet", "styles.css"),
    ("blocks/", "stylesheet", "block-styles.css"),
    ("snippets/", "stylesheet", "snippet-styles.css"),
    ("sections/", "javascript", "scripts.js"),
    ("blocks/", "javascript", "block-scripts.js"),
    ("snippets/", "javascript", "snippet-scripts.js"),
];

/// The bundles of a Shopify theme's stylesheets and scripts; empty ones are left out.
///
/// Each script runs in a function of its own, inside a `try`, so one that throws does not stop
/// the others; a section's runs only on pages that show the section, which the page names in
/// the `data-sections` of the tag that loads the bundle. Shopify does the same.
fn asset_bundles(dir: &Path, sources: &HashMap<String, String>) -> Vec<AssetBundle> {
    let snippets: Vec<(String, String)> = walk(&dir.join("snippets"))
        .into_iter()
        .filter_map(|path| {
            let file = relative(dir, &path)?;
            let source = std::fs::read_to_string(&path).ok()?;
            is_liquid(&file).then_some((file, source))
        })
        .collect();
    let mut bundles = Vec::new();
    for (folder, tag, name) in BUNDLES {
        let mut files: Vec<(&str, &str)> = if folder == "snippets/" {
            snippets
                .iter()
                .map(|(f, s)| (f.as_str(), s.as_str()))
                .collect()
        } else {
            sources
                .iter()
                .filter(|(f, _)| f.starts_with(folder) && is_liquid(f))
                .map(|(f, s)| (f.as_str(), s.as_str()))
                .collect()
        };
        files.sort_unstable();
        let mut content = String::new();
        for (file, source) in files {
            if tag == "stylesheet" {
                if let Some(body) = liquid::stylesheet_body(file, source) {
                    content.push_str(&format!("/* {file} */\n{}\n", body.trim()));
                }
            } else if let Some(body) = liquid::javascript_body(file, source) {
                content.push_str(&script_part(file, folder, body.trim()));
            }
        }
        if content.is_empty() {
            continue;
        }
        if tag == "javascript" && folder == "sections/" {
            content = format!("{SECTIONS_PRELUDE}{content}");
        }
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(content.as_bytes());
        let version = digest[..6].iter().map(|b| format!("{b:02x}")).collect();
        bundles.push(AssetBundle {
            name,
            content: content.into(),
            version,
        });
    }
    bundles
}

/// Reads which section types the page shows from the `data-sections` of the tag that loaded
/// the bundle.
const SECTIONS_PRELUDE: &str = "var __vitrine_sections__ = (function () {\n\
  var shown = {}, tag = document.currentScript || document.getElementById('sections-script');\n\
  ((tag && tag.getAttribute('data-sections')) || '').split(',').forEach(function (t) { if (t) shown[t] = true; });\n\
  return shown;\n\
})();\n";

/// One file's script in its bundle.
fn script_part(file: &str, folder: &str, body: &str) -> String {
    let section_type = file
        .strip_prefix(folder)
        .and_then(|f| f.strip_suffix(".liquid"))
        .filter(|_| folder == "sections/");
    let guard = match section_type {
        Some(kind) => {
            let kind = serde_json::to_string(kind).unwrap_or_default();
            format!("  if (!__vitrine_sections__[{kind}]) return;\n")
        }
        None => String::new(),
    };
    format!(
        "/* {file} */\n(function () {{\n{guard}  try {{\n{body}\n  }} catch (e) {{\n    console.error(e);\n  }}\n}})();\n"
    )
}

impl std::fmt::Debug for Compiled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Compiled")
            .field("sections", &self.sections.keys().collect::<Vec<_>>())
            .field("templates", &self.templates.keys().collect::<Vec<_>>())
            .field("broken", &self.broken)
            .finish_non_exhaustive()
    }
}

impl Compiled {
    pub fn has_template(&self, name: &str) -> bool {
        self.templates.contains_key(name)
            || self.template_errors.contains_key(name)
            || self.liquid_templates.contains_key(name)
    }

    /// Adds the source line to an error about one of our templates.
    pub fn with_excerpt(&self, err: RenderError) -> RenderError {
        match self.sources.get(&err.file) {
            Some(source) if err.excerpt.is_none() => err.with_excerpt_from(source),
            _ => err,
        }
    }
}

/// Loads and compiles the theme in `dir`. `catalogs` are the per-locale catalog values used to
/// resolve `product`/`collection` settings into objects.
/// `reuse`: whether snippet output may be reused across requests (see `fragments`).
pub fn load(
    dir: &Path,
    catalogs: &HashMap<String, Arc<LocaleValues>>,
    reuse: Arc<AtomicBool>,
) -> Compiled {
    let mut problems = Vec::new();
    let mut sources: HashMap<String, String> = HashMap::new();
    let mut broken = Broken::new();
    let mut templates = HashMap::new();
    let mut template_errors = HashMap::new();
    let mut locales = Locales::default();
    let mut settings = Value::from_pairs(Vec::<(String, Value)>::new());

    let os2 = os2::is_os2(dir);
    let mut liquid_templates = HashMap::new();
    let mut groups = HashMap::new();
    let mut liquid_assets = HashMap::new();
    if os2 {
        liquid_assets = read_liquid_assets(dir, &mut sources, &mut problems);
        let files = os2::read_all(dir);
        templates = files.templates;
        template_errors = files.template_errors;
        locales = files.locales;
        settings = global_settings(&files.settings, &files.settings_schema);
        sources.extend(files.sources);
        problems.extend(files.problems);
        liquid_templates = files.liquid_templates;
        groups = files.groups;
    }
    for path in walk(&dir.join("templates")).into_iter().filter(|_| !os2) {
        let Some(file) = relative(dir, &path) else {
            continue;
        };
        let inner = &file["templates/".len()..];
        if file.ends_with(".html") {
            if let Some(source) = read(&path, &file, &mut problems) {
                sources.insert(file, source);
            }
        } else if let Some(code) = inner
            .strip_prefix("locales/")
            .and_then(|f| f.strip_suffix(".json"))
        {
            let Some(source) = read(&path, &file, &mut problems) else {
                continue;
            };
            match schema::parse_lenient::<Json>(&source) {
                Ok(json) => {
                    let (code, is_default) = match code.strip_suffix(".default") {
                        Some(code) => (code, true),
                        None => (code, false),
                    };
                    locales.insert(Locale::from_json(code, &json), is_default);
                }
                Err(e) => problems.push(Problem::new(
                    &file,
                    e.line(),
                    format!("invalid JSON: {}", schema::json_error(&e)),
                )),
            }
        } else if inner == "config/settings.json" || inner == "config/settings_data.json" {
            let Some(source) = read(&path, &file, &mut problems) else {
                continue;
            };
            match schema::parse_lenient::<Json>(&source) {
                Ok(json) => {
                    // Accept Shopify's settings_data shape (`{"current": {...}}`) and a flat object.
                    let current = json
                        .get("current")
                        .filter(|c| c.is_object())
                        .unwrap_or(&json);
                    settings = Value::from(Serde(current));
                }
                Err(e) => problems.push(Problem::new(
                    &file,
                    e.line(),
                    format!("invalid JSON: {}", schema::json_error(&e)),
                )),
            }
        } else if let Some(name) = inner.strip_suffix(".json").filter(|n| !n.contains('/')) {
            let Some(source) = read(&path, &file, &mut problems) else {
                continue;
            };
            match JsonTemplate::parse(&source) {
                Ok(t) => {
                    templates.insert(name.to_owned(), (t, source));
                }
                Err(e) => {
                    template_errors.insert(
                        name.to_owned(),
                        RenderError::new(&file, Some(e.line), e.message),
                    );
                }
            }
        }
    }

    let mut section_files = HashMap::new();
    for path in walk(&dir.join("sections")) {
        let Some(file) = relative(dir, &path) else {
            continue;
        };
        let Some(kind) = file
            .strip_prefix("sections/")
            .and_then(|f| {
                f.strip_suffix(".html")
                    .or_else(|| f.strip_suffix(".liquid"))
            })
            .filter(|k| !k.contains('/'))
        else {
            continue;
        };
        let Some(source) = read(&path, &file, &mut problems) else {
            continue;
        };
        let mut section = SectionFile {
            file: file.clone(),
            ..SectionFile::default()
        };
        match split_section(&source) {
            Ok(split) => {
                if let Some((json, line)) = &split.schema {
                    match SectionSchema::parse_tolerant(json, *line) {
                        Ok((s, strict)) => {
                            section.schema = Some(s);
                            if let Some(e) = strict {
                                problems.push(Problem::new(&file, e.line, e.message));
                            }
                        }
                        Err(e) => {
                            broken.insert(
                                file.clone(),
                                RenderError::new(&file, Some(e.line), e.message),
                            );
                        }
                    }
                }
                section.schema_source = split.schema;
                sources.insert(file.clone(), split.template);
            }
            Err(e) => {
                broken.insert(
                    file.clone(),
                    RenderError::new(&file, Some(e.line), e.message),
                );
                sources.insert(file.clone(), source);
            }
        }
        section_files.insert(kind.to_owned(), section);
    }

    let mut env = Environment::new();
    configure_environment(&mut env);
    let mut liquid_env = liquid_environment(dir, os2);
    for (file, source) in &sources {
        if broken.contains_key(file) {
            continue;
        }
        if is_liquid(file) {
            match liquid::compile_with(file, source, Some(is_theme_filter), liquid::Mode::Lax) {
                Ok(lowered) => {
                    if let Err(e) = liquid_env.add_template_owned(lowered.name, lowered.source) {
                        // The lowering wrote code minijinja refuses: our bug, not the author's.
                        tracing::error!(file = %file, error = %e, "lowered Liquid did not compile");
                        let message = "this file could not be compiled (an internal error)";
                        broken.insert(file.clone(), RenderError::new(file, None, message));
                    }
                }
                Err(e) => {
                    broken.insert(file.clone(), RenderError::from_liquid(&e));
                }
            }
            continue;
        }
        if let Err(e) = env.add_template_owned(file.clone(), source.clone()) {
            let err = RenderError::from_minijinja(&e, file).with_excerpt_from(source);
            broken.insert(file.clone(), err);
        }
    }

    let theme_blocks = if os2 {
        add_theme_block_schemas(&mut section_files, &sources, &mut broken, &mut problems)
    } else {
        Vec::new()
    };
    // A static block the template's JSON does not list renders with its schema's defaults.
    let block_defaults: HashMap<String, Value> = match catalogs.values().next() {
        Some(locale) => theme_blocks
            .iter()
            .map(|b| {
                let defaults = merged_settings(&b.settings, &Default::default(), locale);
                (b.kind.clone(), defaults)
            })
            .collect(),
        None => HashMap::new(),
    };
    let mut sections = build_sections(&section_files, &templates, catalogs, os2);
    let group_ids = add_groups(&mut sections, &groups, &section_files, catalogs);
    let shared_sections = SharedSections::default();
    register_theme_tags(
        &mut liquid_env,
        shared_sections.clone(),
        Arc::new(group_ids),
        Arc::new(block_defaults),
    );
    let liquid_env = Arc::new(liquid_env);
    for entry in sections.values_mut().filter(|e| is_liquid(&e.file)) {
        entry.liquid = Some(liquid_env.clone());
    }
    let broken = Arc::new(broken);
    let sections = Arc::new(sections);
    let _ = shared_sections.set((Arc::downgrade(&broken), Arc::downgrade(&sections)));
    let fragments = Arc::new(Fragments::new(reuse));
    env.add_function("render", render_function(broken.clone(), fragments));
    // `render_section` works everywhere; inside a section `section` is the section object, so
    // the short name only works from layouts and snippets.
    env.add_function(
        "render_section",
        section_function(broken.clone(), sections.clone()),
    );
    env.add_function(
        "section",
        section_function(broken.clone(), sections.clone()),
    );

    let assets = Arc::new(asset_versions(
        &dir.join(if os2 { "assets" } else { "static" }),
        &liquid_assets,
        &settings,
    ));
    let asset_bundles = if os2 {
        asset_bundles(dir, &sources)
    } else {
        Vec::new()
    };
    Compiled {
        env,
        sections,
        section_files,
        templates,
        template_errors,
        broken,
        locales,
        settings,
        assets,
        sources,
        problems,
        os2,
        liquid_env,
        liquid_templates,
        liquid_assets,
        rendered_assets: Default::default(),
        asset_bundles,
    }
}

/// Whether an asset file is Liquid that renders into a CSS or JavaScript file
/// (<https://shopify.dev/docs/storefronts/themes/architecture#assets>).
pub fn served_asset_name(file_in_assets: &str) -> Option<&str> {
    let name = file_in_assets.strip_suffix(".liquid")?;
    (name.ends_with(".css") || name.ends_with(".js")).then_some(name)
}

/// `assets/*.css.liquid` and `assets/*.js.liquid`: their sources go with the other Liquid files
/// (`assets/theme.css.liquid`); returns served name → file.
fn read_liquid_assets(
    dir: &Path,
    sources: &mut HashMap<String, String>,
    problems: &mut Vec<Problem>,
) -> HashMap<String, String> {
    let assets = dir.join("assets");
    let mut out = HashMap::new();
    for path in walk(&assets) {
        let (Some(file), Some(inner)) = (relative(dir, &path), relative(&assets, &path)) else {
            continue;
        };
        let Some(served) = served_asset_name(&inner) else {
            continue;
        };
        if let Some(source) = read(&path, &file, problems) {
            out.insert(served.to_owned(), file.clone());
            sources.insert(file, source);
        }
    }
    out
}

/// Whether a theme file is Liquid (rendered through the Liquid front end) rather than our
/// minijinja dialect.
pub fn is_liquid(file: &str) -> bool {
    file.ends_with(".liquid")
}

/// The environment `.liquid` files render in: the theme's own filters and functions (`money`,
/// `t`, `asset_url`, ...) under Liquid's settings, with `render 'x'` and `include 'x'` read from
/// `templates/snippets/x.liquid`.
fn liquid_environment(dir: &Path, os2: bool) -> Environment<'static> {
    let mut env = Environment::new();
    register_filters(&mut env);
    liquid::configure(&mut env);
    let folder = if os2 {
        "snippets"
    } else {
        "templates/snippets"
    };
    let snippets = dir.join(folder);
    env.set_loader(move |name| {
        // A snippet name is a file name, never a path out of the folder.
        if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') {
            return Ok(None);
        }
        match std::fs::read_to_string(snippets.join(format!("{name}.liquid"))) {
            Ok(source) => liquid::load_with(
                &format!("{folder}/{name}.liquid"),
                &source,
                Some(is_theme_filter),
                // As a Shopify storefront renders them; `vitrine check` lists the places.
                liquid::Mode::Lax,
            ),
            Err(_) => Ok(None),
        }
    });
    env
}

/// Theme blocks (`blocks/*.liquid`) carry their own schema; a section's blocks of those types
/// take their defaults from it, as if the section had declared them.
fn add_theme_block_schemas(
    section_files: &mut HashMap<String, SectionFile>,
    sources: &HashMap<String, String>,
    broken: &mut Broken,
    problems: &mut Vec<Problem>,
) -> Vec<schema::BlockSchema> {
    let mut theme_blocks = Vec::new();
    for (file, source) in sources {
        let Some(kind) = file
            .strip_prefix("blocks/")
            .and_then(|f| f.strip_suffix(".liquid"))
        else {
            continue;
        };
        let Ok(split) = split_section(source) else {
            continue;
        };
        let Some((json, line)) = split.schema else {
            continue;
        };
        match SectionSchema::parse_tolerant(&json, line) {
            Ok((schema, strict)) => {
                if let Some(e) = strict {
                    problems.push(Problem::new(file, e.line, e.message));
                }
                theme_blocks.push(schema::BlockSchema {
                    kind: kind.to_owned(),
                    name: Some(match &schema.name {
                        Some(Json::String(name)) => name.clone(),
                        _ => kind.to_owned(),
                    }),
                    settings: schema.settings,
                    limit: None,
                });
            }
            Err(e) => {
                broken.insert(
                    file.clone(),
                    RenderError::new(file, Some(e.line), e.message),
                );
            }
        }
    }
    for file in section_files.values_mut() {
        let Some(schema) = file.schema.as_mut() else {
            continue;
        };
        for block in &theme_blocks {
            if schema.block(&block.kind).is_none() {
                schema.blocks.push(block.clone());
            }
        }
    }
    theme_blocks
}

/// The sections of each section group (`sections/header-group.json`), as entries with the ids
/// `sections--{group}__{key}`; returns each group's ids in order. A group is on every page.
fn add_groups(
    sections: &mut HashMap<String, SectionEntry>,
    groups: &HashMap<String, (JsonTemplate, String)>,
    files: &HashMap<String, SectionFile>,
    catalogs: &HashMap<String, Arc<LocaleValues>>,
) -> HashMap<String, Vec<String>> {
    let mut out = HashMap::new();
    for (group, (template, _)) in groups {
        let mut ids = Vec::new();
        for (index, (key, instance)) in template.ordered().enumerate() {
            let Some(file) = files.get(&instance.kind) else {
                continue;
            };
            if instance.disabled {
                continue;
            }
            let id = format!("sections--{group}__{key}");
            let mut entry = entry_for(&id, None, instance, file, index + 1, catalogs);
            let schema = file.schema.clone().unwrap_or_default();
            let class = match schema.class.as_deref() {
                Some(extra) => format!("shopify-section-group-{group} {extra}"),
                None => format!("shopify-section-group-{group}"),
            };
            (entry.open, entry.close) = wrapper(&id, schema.wrapper_tag(), Some(&class));
            sections.insert(id.clone(), entry);
            ids.push(id);
        }
        out.insert(group.clone(), ids);
    }
    out
}

/// Builds the static entries (one per section file) and the JSON template instances.
fn build_sections(
    files: &HashMap<String, SectionFile>,
    templates: &HashMap<String, (JsonTemplate, String)>,
    catalogs: &HashMap<String, Arc<LocaleValues>>,
    os2: bool,
) -> HashMap<String, SectionEntry> {
    let extension = if os2 { "liquid" } else { "html" };
    let mut out = HashMap::new();
    for (kind, file) in files {
        let instance = SectionInstance {
            kind: kind.clone(),
            settings: Default::default(),
            blocks: Default::default(),
            block_order: Vec::new(),
            disabled: false,
        };
        let entry = entry_for(kind, None, &instance, file, 0, catalogs);
        out.insert(kind.clone(), entry);
    }
    for (name, (template, source)) in templates {
        for (key, instance) in &template.sections {
            let id = instance_id(name, key);
            let index = template
                .order
                .iter()
                .position(|k| k == key)
                .map_or(0, |i| i + 1);
            let entry = match files.get(&instance.kind) {
                Some(file) => entry_for(&id, Some(name), instance, file, index, catalogs),
                None => {
                    let file = format!("templates/{name}.json");
                    let line = line_of(source, &format!("\"{}\"", instance.kind));
                    let (open, close) = wrapper(&id, "div", None);
                    SectionEntry {
                        file: file.clone(),
                        page_template: Some(name.clone()),
                        values: HashMap::new(),
                        open,
                        close,
                        liquid: None,
                        error: Some(RenderError::new(
                            file,
                            Some(line),
                            format!(
                                "unknown section type '{}' (no sections/{}.{extension})",
                                instance.kind, instance.kind
                            ),
                        )),
                    }
                }
            };
            out.insert(id, entry);
        }
    }
    out
}

fn entry_for(
    id: &str,
    page_template: Option<&String>,
    instance: &SectionInstance,
    file: &SectionFile,
    index: usize,
    catalogs: &HashMap<String, Arc<LocaleValues>>,
) -> SectionEntry {
    let schema = file.schema.clone().unwrap_or_default();
    let (open, close) = wrapper(id, schema.wrapper_tag(), schema.class.as_deref());
    let values = catalogs
        .iter()
        .map(|(code, locale)| {
            let value = section_value(
                id,
                instance,
                &schema,
                index,
                page_template.is_some(),
                locale,
            );
            (code.clone(), value)
        })
        .collect();
    SectionEntry {
        file: file.file.clone(),
        page_template: page_template.cloned(),
        values,
        open,
        close,
        error: None,
        liquid: None,
    }
}

/// The `section` object of one instance, for one locale.
fn section_value(
    id: &str,
    instance: &SectionInstance,
    schema: &SectionSchema,
    index: usize,
    in_template: bool,
    locale: &LocaleValues,
) -> Value {
    let settings = merged_settings(&schema.settings, &instance.settings, locale);
    let blocks: Vec<Value> = schema::ordered_blocks(&instance.blocks, &instance.block_order)
        .into_iter()
        .map(|(block_id, block)| block_value(block_id, block, schema, locale, 0))
        .collect();
    Value::from_pairs([
        ("id", Value::from(id)),
        ("type", Value::from(instance.kind.as_str())),
        ("settings", settings),
        ("blocks", Value::from(blocks)),
        (
            STATIC_BLOCKS_KEY,
            static_blocks(&instance.blocks, schema, locale, 0),
        ),
        ("index", Value::from(index)),
        ("index0", Value::from(index.saturating_sub(1))),
        (
            "location",
            Value::from(if in_template { "template" } else { "static" }),
        ),
    ])
}

/// How deep blocks nest in a JSON template before deeper ones are dropped (Shopify allows
/// eight levels; this only guards against absurd files).
const MAX_BLOCK_DEPTH: usize = 16;

/// The `block` object, with its own child blocks (`content_for 'blocks'` inside a theme block).
fn block_value(
    id: &str,
    block: &BlockInstance,
    schema: &SectionSchema,
    locale: &LocaleValues,
    depth: usize,
) -> Value {
    let defs = schema
        .block(&block.kind)
        .map_or(&[][..], |b| b.settings.as_slice());
    let children: Vec<Value> = if depth < MAX_BLOCK_DEPTH {
        schema::ordered_blocks(&block.blocks, &block.block_order)
            .into_iter()
            .map(|(child_id, child)| block_value(child_id, child, schema, locale, depth + 1))
            .collect()
    } else {
        Vec::new()
    };
    Value::from_pairs([
        ("id", Value::from(id)),
        ("type", Value::from(block.kind.as_str())),
        ("settings", merged_settings(defs, &block.settings, locale)),
        ("shopify_attributes", Value::from("")),
        ("blocks", Value::from(children)),
        (
            STATIC_BLOCKS_KEY,
            static_blocks(&block.blocks, schema, locale, depth + 1),
        ),
    ])
}

/// The static blocks among `blocks`, by id.
fn static_blocks(
    blocks: &indexmap::IndexMap<String, BlockInstance>,
    schema: &SectionSchema,
    locale: &LocaleValues,
    depth: usize,
) -> Value {
    if depth >= MAX_BLOCK_DEPTH {
        return Value::from(());
    }
    Value::from_pairs(
        blocks
            .iter()
            .filter(|(_, b)| b.is_static)
            .map(|(id, b)| (id.clone(), block_value(id, b, schema, locale, depth)))
            .collect::<Vec<_>>(),
    )
}

/// Instance settings over schema defaults; resource settings become the objects they name.
fn merged_settings(
    defs: &[SettingSchema],
    values: &serde_json::Map<String, Json>,
    locale: &LocaleValues,
) -> Value {
    let mut merged = schema::defaults(defs);
    for (k, v) in values {
        merged.insert(k.clone(), v.clone());
    }
    let kind_of = |id: &str| {
        defs.iter()
            .find(|d| d.id.as_deref() == Some(id))
            .map(|d| d.kind.as_str())
    };
    Value::from_pairs(
        merged
            .iter()
            .map(|(k, v)| (k.clone(), setting_value(kind_of(k), v, locale)))
            .collect::<Vec<_>>(),
    )
}

fn setting_value(kind: Option<&str>, value: &Json, locale: &LocaleValues) -> Value {
    let catalog = &locale.catalog;
    let handles = || -> Vec<&str> {
        value
            .as_array()
            .map(|a| a.iter().filter_map(Json::as_str).collect())
            .unwrap_or_default()
    };
    match (kind, value) {
        (Some("collection"), Json::String(h)) => catalog.collection_value(h).unwrap_or_default(),
        (Some("product"), Json::String(h)) => catalog.product_value(h).unwrap_or_default(),
        (Some("link_list"), Json::String(h)) => catalog.content.linklist(h).unwrap_or_default(),
        (Some("page"), Json::String(h)) => catalog
            .content
            .page(h)
            .map(|(page, _)| page)
            .unwrap_or_default(),
        (Some("blog"), Json::String(h)) => catalog
            .content
            .blog(h)
            .map(|blog| blog.value(None))
            .unwrap_or_default(),
        (Some("article"), Json::String(h)) => catalog.content.article(h).unwrap_or_default(),
        (Some("collection_list"), _) => Value::from(
            handles()
                .into_iter()
                .filter_map(|h| catalog.collection_value(h))
                .collect::<Vec<_>>(),
        ),
        (Some("product_list"), _) => Value::from(
            handles()
                .into_iter()
                .filter_map(|h| catalog.product_value(h))
                .collect::<Vec<_>>(),
        ),
        (Some(kind), Json::String(text)) if let Some(value) = typed_text_setting(kind, text) => {
            value
        }
        // Merchant-authored markup, output as-is like Shopify does; `{{ product.x }}` in it is
        // a dynamic source, filled in from the page when read.
        (Some("richtext" | "inline_richtext" | "html"), Json::String(s)) => {
            crate::theme::objects::dynamic::setting_text(s, true)
        }
        (_, Json::String(s)) if s.contains("{{") => {
            crate::theme::objects::dynamic::setting_text(s, false)
        }
        _ => Value::from(Serde(value)),
    }
}

/// The object a text setting of `kind` stands for, the same in the theme settings and in a
/// section's: `None` when the type is read as its text (or the text names nothing of it).
fn typed_text_setting(kind: &str, text: &str) -> Option<Value> {
    match kind {
        "font_picker" => Some(font_value(text)),
        "color" => Some(color_value(text)),
        "image_picker" => shop_image(text),
        "video_url" => video_url_value(text),
        _ => None,
    }
}

/// `settings`: the theme settings, with each `font_picker` handle as the `font` object it
/// names (<https://shopify.dev/docs/api/liquid/objects/font>) and each `color` as a `color`
/// object (<https://shopify.dev/docs/api/liquid/objects/color>), each store-file `image_picker`
/// as the stand-in image, each `video_url` as its id and host; the rest as the JSON says.
fn global_settings(values: &serde_json::Map<String, Json>, defs: &[SettingSchema]) -> Value {
    Value::from_pairs(
        values
            .iter()
            .map(|(id, value)| {
                let kind = defs
                    .iter()
                    .find(|d| d.id.as_deref() == Some(id.as_str()))
                    .map(|d| d.kind.as_str());
                let value = match (kind, value) {
                    (Some(kind), Json::String(text)) => {
                        typed_text_setting(kind, text).unwrap_or_else(|| Value::from(text.as_str()))
                    }
                    _ => Value::from(Serde(value)),
                };
                (id.clone(), value)
            })
            .collect::<Vec<_>>(),
    )
}

/// Cache-busting versions from each static file's modification time and size. A Liquid asset's
/// version is under the name it is served as and changes with the settings too.
fn asset_versions(
    static_dir: &Path,
    liquid_assets: &HashMap<String, String>,
    settings: &Value,
) -> AssetVersions {
    let settings_hash = if liquid_assets.is_empty() {
        0
    } else {
        fnv64(settings.to_string().as_bytes())
    };
    let mut out = HashMap::new();
    let mut inline = HashMap::new();
    for path in walk(static_dir) {
        let Some(mut rel) = relative(static_dir, &path) else {
            continue;
        };
        let inlinable = ["svg", "css", "js"]
            .iter()
            .any(|ext| path.extension().is_some_and(|e| e == *ext));
        if inlinable
            && std::fs::metadata(&path)
                .is_ok_and(|m| m.len() <= crate::theme::objects::context::MAX_INLINE_ASSET_BYTES)
            && let Ok(content) = std::fs::read_to_string(&path)
        {
            inline.insert(rel.clone(), Arc::<str>::from(content));
        }
        let mut salt = 0u128;
        if let Some(served) = served_asset_name(&rel).filter(|s| liquid_assets.contains_key(*s)) {
            rel = served.to_owned();
            salt = u128::from(settings_hash) << 64;
        }
        let Ok(meta) = std::fs::metadata(&path) else {
            continue;
        };
        let nanos = meta
            .modified()
            .ok()
            .and_then(|m| m.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        out.insert(rel, short_hash(nanos ^ u128::from(meta.len()) ^ salt));
    }
    AssetVersions(out, inline)
}

/// FNV-1a, 64 bits.
fn fnv64(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// FNV-1a, 32 bits, as 8 hex digits: stable across runs (unlike std's random-seeded hasher).
fn short_hash(n: u128) -> String {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in n.to_le_bytes() {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    format!("{hash:08x}")
}
