//! Online Store 2.0 theme folders, as Shopify lays them out: `layout/`, `templates/` (JSON and
//! Liquid, `customers/`), `sections/` (with section groups as `*.json`), `blocks/`,
//! `snippets/`, `assets/`, `config/settings_schema.json` + `settings_data.json`, `locales/`.
//! vitrine's own theme keeps these under `templates/`; both load into one [`Compiled`].
//!
//! <https://shopify.dev/docs/storefronts/themes/architecture>
//!
//! [`Compiled`]: super::loader::Compiled

use std::path::Path;

use foldhash::HashMap;
use serde_json::Value as Json;

use super::error::{Problem, RenderError};
use super::files::read;
use super::schema::{self, JsonTemplate, SettingSchema};
use crate::theme::objects::locale::{Locale, Locales};

/// Whether `dir` is laid out as a Shopify theme (a `layout/theme.liquid`), not as vitrine's.
pub fn is_os2(dir: &Path) -> bool {
    dir.join("layout").join("theme.liquid").is_file()
}

/// What the OS 2.0 folders hold besides sections.
#[derive(Default)]
pub struct Os2Files {
    /// JSON templates by name (`product`, `product.alt`, `customers/account`), with source.
    pub templates: HashMap<String, (JsonTemplate, String)>,
    pub template_errors: HashMap<String, RenderError>,
    /// Liquid page templates by name, with the layout their `{% layout %}` tag names
    /// (`None` for `layout none`).
    pub liquid_templates: HashMap<String, Option<String>>,
    /// Section groups (`sections/header-group.json`) by name.
    pub groups: HashMap<String, (JsonTemplate, String)>,
    pub locales: Locales,
    pub settings: serde_json::Map<String, Json>,
    /// `config/settings_schema.json`'s settings, to resolve font and resource settings.
    pub settings_schema: Vec<SettingSchema>,
    /// Liquid files to compile (layouts, Liquid templates, theme blocks), by theme path.
    pub sources: HashMap<String, String>,
    pub problems: Vec<Problem>,
}

fn read_json(path: &Path, file: &str, problems: &mut Vec<Problem>) -> Option<Json> {
    let source = read(path, file, problems)?;
    match schema::parse_lenient::<Json>(&source) {
        Ok(json) => Some(json),
        Err(e) => {
            problems.push(Problem::new(
                file,
                e.line(),
                format!("invalid JSON: {}", schema::json_error(&e)),
            ));
            None
        }
    }
}

/// What a template's `{% layout %}` tag names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LayoutArg {
    /// `{% layout none %}`.
    None,
    /// `{% layout 'name' %}`.
    Named(String),
    /// `{% layout settings.customer_layout %}`: older themes let the merchant pick the layout
    /// with a theme setting; the tag reads it like any variable.
    Variable(String),
}

/// The `{% layout %}` tag of a Liquid template, `None` when it has none (then `theme`).
pub fn layout_tag(source: &str) -> Option<LayoutArg> {
    let mut rest = source;
    while let Some(i) = rest.find("{%") {
        let after = rest[i + 2..].trim_start_matches('-').trim_start();
        if let Some(markup) = after.strip_prefix("layout") {
            let end = markup.find("%}").unwrap_or(markup.len());
            let arg = markup[..end].trim().trim_end_matches('-').trim();
            let quoted = arg.len() >= 2
                && (arg.starts_with('\'') && arg.ends_with('\'')
                    || arg.starts_with('"') && arg.ends_with('"'));
            return Some(if quoted {
                LayoutArg::Named(arg[1..arg.len() - 1].to_owned())
            } else if arg.is_empty() || arg == "none" || arg == "nil" {
                LayoutArg::None
            } else {
                LayoutArg::Variable(arg.to_owned())
            });
        }
        rest = &rest[i + 2..];
    }
    None
}

/// The layout a template's tag picks: a variable is looked up in the theme settings (the only
/// values known before the page renders); one that names nothing falls back to `theme`.
fn resolve_layout(
    arg: Option<LayoutArg>,
    settings: &serde_json::Map<String, Json>,
) -> Option<String> {
    match arg {
        None => Some("theme".into()),
        Some(LayoutArg::None) => None,
        Some(LayoutArg::Named(name)) => Some(name),
        Some(LayoutArg::Variable(path)) => {
            let value = path
                .strip_prefix("settings.")
                .and_then(|key| settings.get(key));
            match value {
                Some(Json::String(name)) if !name.is_empty() && name != "none" => {
                    Some(name.clone())
                }
                Some(Json::String(name)) if name == "none" => None,
                Some(Json::Null) | Some(Json::Bool(false)) => None,
                _ => Some("theme".into()),
            }
        }
    }
}

pub fn read_all(dir: &Path) -> Os2Files {
    let mut out = Os2Files::default();
    let mut layout_args = HashMap::default();
    let problems = &mut out.problems;
    for path in super::files::walk(&dir.join("templates")) {
        let Some(file) = super::files::relative(dir, &path) else {
            continue;
        };
        let inner = &file["templates/".len()..];
        if let Some(name) = inner.strip_suffix(".json") {
            let Some(source) = read(&path, &file, problems) else {
                continue;
            };
            match JsonTemplate::parse(&source) {
                Ok(t) => {
                    out.templates.insert(name.to_owned(), (t, source));
                }
                Err(e) => {
                    out.template_errors.insert(
                        name.to_owned(),
                        RenderError::new(&file, Some(e.line), e.message),
                    );
                }
            }
        } else if let Some(name) = inner.strip_suffix(".liquid") {
            if let Some(source) = read(&path, &file, problems) {
                layout_args.insert(name.to_owned(), layout_tag(&source));
                out.sources.insert(file, source);
            }
        }
    }
    for folder in ["layout", "blocks"] {
        for path in super::files::walk(&dir.join(folder)) {
            let Some(file) = super::files::relative(dir, &path) else {
                continue;
            };
            if file.ends_with(".liquid")
                && let Some(source) = read(&path, &file, problems)
            {
                out.sources.insert(file, source);
            }
        }
    }
    for path in super::files::walk(&dir.join("sections")) {
        let Some(file) = super::files::relative(dir, &path) else {
            continue;
        };
        let Some(name) = file
            .strip_prefix("sections/")
            .and_then(|f| f.strip_suffix(".json"))
        else {
            continue;
        };
        let Some(source) = read(&path, &file, problems) else {
            continue;
        };
        match JsonTemplate::parse(&source) {
            Ok(group) => {
                out.groups.insert(name.to_owned(), (group, source));
            }
            Err(e) => problems.push(Problem::new(&file, e.line, e.message)),
        }
    }
    for path in super::files::walk(&dir.join("locales")) {
        let Some(file) = super::files::relative(dir, &path) else {
            continue;
        };
        let Some(code) = file
            .strip_prefix("locales/")
            .and_then(|f| f.strip_suffix(".json"))
            .filter(|c| !c.ends_with(".schema"))
        else {
            continue;
        };
        let Some(json) = read_json(&path, &file, problems) else {
            continue;
        };
        let (code, is_default) = match code.strip_suffix(".default") {
            Some(code) => (code, true),
            None => (code, false),
        };
        out.locales
            .insert(Locale::from_json(code, &json), is_default);
    }
    let schema_file = "config/settings_schema.json";
    if let Some(json) = read_json(&dir.join(schema_file), schema_file, problems) {
        // A list of groups, each with its `settings`.
        for group in json.as_array().into_iter().flatten() {
            for setting in group
                .get("settings")
                .and_then(Json::as_array)
                .into_iter()
                .flatten()
            {
                if let Ok(s) = serde_json::from_value::<SettingSchema>(setting.clone()) {
                    out.settings_schema.push(s);
                }
            }
        }
    }
    let mut settings = schema::defaults(&out.settings_schema);
    let data_file = "config/settings_data.json";
    if dir.join(data_file).is_file()
        && let Some(json) = read_json(&dir.join(data_file), data_file, problems)
    {
        // `current` is either the settings or the name of one of `presets`.
        let current = match json.get("current") {
            Some(Json::String(preset)) => json.get("presets").and_then(|p| p.get(preset)),
            Some(current) => Some(current),
            None => None,
        };
        if let Some(Json::Object(values)) = current {
            for (k, v) in values {
                if k != "sections" && k != "content_for_index" && k != "blocks" {
                    settings.insert(k.clone(), v.clone());
                }
            }
        }
    }
    out.liquid_templates = layout_args
        .into_iter()
        .map(|(name, arg)| (name, resolve_layout(arg, &settings)))
        .collect();
    out.settings = settings;
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_tag_names_the_layout_or_none() {
        assert_eq!(
            layout_tag("{% layout 'giftcard' %}x"),
            Some(LayoutArg::Named("giftcard".into()))
        );
        assert_eq!(layout_tag("a{%- layout none -%}"), Some(LayoutArg::None));
        assert_eq!(layout_tag("{% if x %}{% endif %}"), None);
        assert_eq!(
            layout_tag("{% layout settings.customer_layout %}"),
            Some(LayoutArg::Variable("settings.customer_layout".into()))
        );
    }

    #[test]
    fn a_layout_variable_reads_the_theme_settings() {
        let settings: serde_json::Map<String, Json> =
            serde_json::from_str(r#"{"customer_layout": "plain", "off": "none"}"#).unwrap();
        let var = |p: &str| Some(LayoutArg::Variable(p.into()));
        assert_eq!(
            resolve_layout(var("settings.customer_layout"), &settings),
            Some("plain".into())
        );
        assert_eq!(resolve_layout(var("settings.off"), &settings), None);
        // A setting the theme does not have, or another variable: the default layout.
        assert_eq!(
            resolve_layout(var("settings.missing"), &settings),
            Some("theme".into())
        );
        assert_eq!(
            resolve_layout(var("template_layout"), &settings),
            Some("theme".into())
        );
        assert_eq!(resolve_layout(None, &settings), Some("theme".into()));
    }
}
