//! `vitrine check`: compiles every template and validates every schema and JSON template,
//! reporting `file:line: message` problems instead of failing at the first one.

use std::collections::HashSet;

use foldhash::{HashMap, HashMapExt};
use std::path::Path;

use super::error::Problem;
use super::loader::{self, Compiled};
use super::render::snippet_file;
use super::schema::{
    ALLOWED_TAGS, JsonTemplate, SETTING_TYPES, SectionSchema, SettingSchema, is_sidebar_only,
    line_of,
};

/// Checks the theme in `dir`; an empty list means it is fine.
pub fn check(dir: &Path) -> Vec<Problem> {
    if !dir.is_dir() {
        return vec![Problem::new(
            dir.display().to_string(),
            1,
            "theme directory does not exist",
        )];
    }
    // Settings that name products or collections resolve against the catalog at load time;
    // checking needs no catalog, so none is given.
    let compiled = loader::load(dir, &HashMap::new(), Default::default());
    let mut problems = compiled.problems.clone();
    problems.extend(compiled.broken.values().cloned().map(Problem::from));
    problems.extend(
        compiled
            .template_errors
            .values()
            .cloned()
            .map(Problem::from),
    );

    for section in compiled.section_files.values() {
        if let (Some(schema), Some((json, first_line))) = (&section.schema, &section.schema_source)
        {
            let is_theme_block = |kind: &str| {
                compiled
                    .sources
                    .contains_key(&format!("blocks/{kind}.liquid"))
            };
            check_schema(
                &section.file,
                schema,
                (json, *first_line),
                &is_theme_block,
                &mut problems,
            );
        }
    }
    for (name, (template, source)) in &compiled.templates {
        check_template(name, template, source, &compiled, &mut problems);
    }
    check_references(&compiled, &mut problems);
    let liquid_files = liquid_files(dir, &compiled);
    check_filters(&liquid_files, &mut problems);
    check_lax_markup(&liquid_files, &mut problems);
    check_liquid_references(dir, &compiled, &liquid_files, &mut problems);
    check_undefined_objects(
        &liquid_files,
        &block_arguments(&liquid_files),
        &mut problems,
    );
    if compiled.os2 {
        check_groups(dir, &compiled, &mut problems);
    }

    problems.sort_by(|a, b| (&a.file, a.line, &a.message).cmp(&(&b.file, b.line, &b.message)));
    problems.dedup();
    problems
}

/// The problems in theme-check's JSON shape: one entry per file, each finding an offense with
/// 0-based rows (`start_row` is the line minus one), severity 0 (an error) or 1 (a warning).
pub fn problems_json(problems: &[Problem]) -> serde_json::Value {
    let mut by_file: Vec<(String, Vec<serde_json::Value>)> = Vec::new();
    for problem in problems {
        let row = problem.line.saturating_sub(1);
        let check = problem.check.unwrap_or_else(|| check_name(problem));
        let offense = serde_json::json!({
            "check": check,
            "severity": if problem.warning { 1 } else { 0 },
            "start_row": row,
            "start_column": 0,
            "end_row": row,
            "end_column": 0,
            "message": problem.message,
        });
        match by_file.iter_mut().find(|(file, _)| *file == problem.file) {
            Some((_, offenses)) => offenses.push(offense),
            None => by_file.push((problem.file.clone(), vec![offense])),
        }
    }
    serde_json::Value::Array(
        by_file
            .into_iter()
            .map(|(path, offenses)| serde_json::json!({"path": path, "offenses": offenses}))
            .collect(),
    )
}

/// The theme-check check that finds what `problem` says (see docs/theme.md for the list);
/// `VitrineCheck` for what theme-check has no single check for.
fn check_name(problem: &Problem) -> &'static str {
    let message = problem.message.as_str();
    if message.starts_with("unknown filter") {
        "UnknownFilter"
    } else if message.starts_with("invalid schema JSON") {
        "ValidSchema"
    } else if message.starts_with("invalid JSON") {
        "ValidJson"
    } else if message.contains("is not in the schema of") {
        "ValidSettingsKey"
    } else if message.contains("has unknown type") || message.contains(" does not exist (") {
        "MissingTemplate"
    } else if problem.file.ends_with(".liquid") && !message.starts_with("schema") {
        // What the Liquid parser refuses: unknown tags, unclosed blocks, bad expressions.
        "SyntaxError"
    } else if problem.file.starts_with("sections/") || problem.file.starts_with("blocks/") {
        "ValidSchema"
    } else {
        "VitrineCheck"
    }
}

/// Every Liquid file of the theme with its source: the compiled ones and the snippets (which
/// load when rendered).
fn liquid_files(dir: &Path, compiled: &loader::Compiled) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = compiled
        .sources
        .iter()
        .filter(|(file, _)| loader::is_liquid(file))
        .map(|(f, s)| (f.clone(), s.clone()))
        .collect();
    let snippets = if compiled.os2 {
        "snippets"
    } else {
        "templates/snippets"
    };
    for path in loader::walk(&dir.join(snippets)) {
        if let (Some(file), Ok(source)) =
            (loader::relative(dir, &path), std::fs::read_to_string(&path))
            && loader::is_liquid(&file)
        {
            files.push((file, source));
        }
    }
    files.sort();
    files
}

/// Liquid files whose filters Shopify would not know: on Shopify (and here) such a filter
/// passes its input through silently, which is almost always a typo.
fn check_filters(files: &[(String, String)], problems: &mut Vec<Problem>) {
    for (file, source) in files {
        for (filter, line) in crate::theme::engine::liquid::used_filters(file, source) {
            if !crate::theme::engine::liquid::is_standard_filter(&filter)
                && !crate::theme::objects::filters::is_theme_filter(&filter)
            {
                problems.push(
                    Problem::new(
                        file,
                        line as usize,
                        format!(
                            "unknown filter '{filter}' (it passes its input through unchanged)"
                        ),
                    )
                    .check("UnknownFilter"),
                );
            }
        }
    }
}

/// Markup only Ruby Liquid's lax parser reads: the theme renders it as Shopify does (see
/// docs/liquid.md, parsing modes), and the author hears what the strict parser said.
fn check_lax_markup(files: &[(String, String)], problems: &mut Vec<Problem>) {
    for (file, source) in files {
        for warning in crate::theme::engine::liquid::lax_warnings(file, source) {
            problems.push(
                Problem::new(
                    file,
                    warning.line as usize,
                    format!(
                        "{} (only Liquid's lax parser reads this; it renders as on Shopify)",
                        warning.message
                    ),
                )
                .check("LiquidHTMLSyntaxError")
                .warning(),
            );
        }
    }
}

/// Liquid's literal references: snippets (`render`/`include`), sections, section groups and
/// theme blocks that must exist, and translation keys the default locale must have.
fn check_liquid_references(
    dir: &Path,
    compiled: &Compiled,
    files: &[(String, String)],
    out: &mut Vec<Problem>,
) {
    use crate::theme::engine::liquid::{Reference, references};
    let snippets = if compiled.os2 {
        "snippets"
    } else {
        "templates/snippets"
    };
    let default_locale = compiled.locales.default_locale();
    for (file, source) in files {
        for (reference, line) in references(file, source) {
            let line = line as usize;
            let missing = match &reference {
                Reference::Snippet(name) => {
                    let path = format!("{snippets}/{name}.liquid");
                    (!dir.join(&path).is_file())
                        .then(|| format!("snippet '{name}' does not exist ({path})"))
                }
                Reference::Section(name) => (!compiled.section_files.contains_key(name))
                    .then(|| format!("section '{name}' does not exist (sections/{name}.liquid)")),
                Reference::SectionGroup(name) => {
                    let path = format!("sections/{name}.json");
                    (!dir.join(&path).is_file())
                        .then(|| format!("section group '{name}' does not exist ({path})"))
                }
                Reference::Block(name) => {
                    let path = format!("blocks/{name}.liquid");
                    (compiled.os2 && !compiled.sources.contains_key(&path))
                        .then(|| format!("theme block '{name}' does not exist ({path})"))
                }
                Reference::Translation(key) => {
                    // `shopify.*` keys are Shopify's own translations, not the theme's.
                    let known = key.starts_with("shopify.")
                        || default_locale
                            .as_ref()
                            .is_none_or(|l| l.text(key, None).is_some());
                    if !known {
                        out.push(
                            Problem::new(
                                file,
                                line,
                                format!("translation key '{key}' is not in the default locale"),
                            )
                            .check("TranslationKeyExists"),
                        );
                    }
                    None
                }
                Reference::BlockArgument(_) => None,
            };
            if let Some(message) = missing {
                out.push(Problem::new(file, line, message).check("MissingTemplate"));
            }
        }
    }
}

/// The objects Shopify gives a theme's Liquid: the global ones, those of a page type (`product`
/// on a product page), and those of a tag or a file kind (`section`, `block`, `forloop`, `form`).
/// <https://shopify.dev/docs/api/liquid/objects>
const SHOPIFY_OBJECTS: &[&str] = &[
    "additional_checkout_buttons",
    "all_country_option_tags",
    "all_products",
    "app",
    "article",
    "articles",
    "block",
    "blog",
    "blogs",
    "brand",
    "canonical_url",
    "cart",
    "checkout",
    "closest",
    "collection",
    "collections",
    "comment",
    "content_for_additional_checkout_buttons",
    "content_for_header",
    "content_for_index",
    "content_for_layout",
    "country_option_tags",
    "current_page",
    "current_tags",
    "customer",
    "discount_allocation",
    "font",
    "forloop",
    "form",
    "gift_card",
    "handle",
    "images",
    "linklists",
    "localization",
    "location",
    "metaobjects",
    "order",
    "page",
    "page_description",
    "page_image",
    "page_title",
    "pages",
    "paginate",
    "part",
    "powered_by_link",
    "predictive_search",
    "product",
    "recipient",
    "recommendations",
    "request",
    "routes",
    "scripts",
    "search",
    "section",
    "selling_plan",
    "settings",
    "shop",
    "store_availability",
    "tablerowloop",
    "template",
    "theme",
    "variant",
];

/// Names a Liquid layout, template, section or theme block reads that neither the file nor
/// Shopify defines (they are nil). Snippets are left out: their variables come from the
/// `render` that calls them.
/// Every variable some `content_for` tag of the theme passes to a theme block.
fn block_arguments(files: &[(String, String)]) -> foldhash::HashSet<String> {
    use crate::theme::engine::liquid::{Reference, references};
    files
        .iter()
        .flat_map(|(file, source)| references(file, source))
        .filter_map(|(reference, _)| match reference {
            Reference::BlockArgument(name) => Some(name),
            _ => None,
        })
        .collect()
}

/// Unknown objects in layouts, templates, sections and blocks (snippets get theirs as
/// arguments). In a block, a variable that some `content_for` tag passes counts as known.
fn check_undefined_objects(
    files: &[(String, String)],
    block_arguments: &foldhash::HashSet<String>,
    out: &mut Vec<Problem>,
) {
    for (file, source) in files {
        let in_block = file.starts_with("blocks/");
        let known = |name: &str| {
            SHOPIFY_OBJECTS.contains(&name) || (in_block && block_arguments.contains(name))
        };
        let checked = ["layout/", "templates/", "sections/", "blocks/"]
            .iter()
            .any(|folder| file.starts_with(folder));
        if !checked || !loader::is_liquid(file) {
            continue;
        }
        for (name, line) in
            crate::theme::engine::liquid::undefined::undefined_objects(file, source, &known)
        {
            out.push(
                Problem::new(
                    file,
                    line as usize,
                    format!("unknown object '{name}' (it is nil here)"),
                )
                .check("UndefinedObject"),
            );
        }
    }
}

/// Section groups (`sections/*.json`) naming section types that do not exist.
fn check_groups(dir: &Path, compiled: &Compiled, out: &mut Vec<Problem>) {
    for (name, (group, source)) in super::os2::read_all(dir).groups {
        let file = format!("sections/{name}.json");
        for (key, instance) in group.ordered() {
            if !compiled.section_files.contains_key(&instance.kind) {
                out.push(
                    Problem::new(
                        &file,
                        line_of(&source, &format!("\"{}\"", instance.kind)),
                        format!(
                            "section '{key}' has unknown type '{}' (no sections/{}.liquid)",
                            instance.kind, instance.kind
                        ),
                    )
                    .check("MissingTemplate"),
                );
            }
        }
    }
}

/// The line, in the section file, of the `n`th (0-based) occurrence of `needle` in the schema.
fn schema_line(json: &str, first_line: usize, needle: &str, n: usize) -> usize {
    let mut offset = 0;
    for _ in 0..n {
        match json[offset..].find(needle) {
            Some(at) => offset += at + needle.len(),
            None => break,
        }
    }
    let rel = json[offset..]
        .find(needle)
        .map_or(1, |at| count_lines(&json[..offset + at]));
    first_line + rel - 1
}

fn count_lines(text: &str) -> usize {
    text.bytes().filter(|&b| b == b'\n').count() + 1
}

/// `is_theme_block`: whether `blocks/{type}.liquid` exists; a section's block of that type
/// refers to the theme block and takes its name from there.
fn check_schema(
    file: &str,
    schema: &SectionSchema,
    (json, first): (&str, usize),
    is_theme_block: &dyn Fn(&str) -> bool,
    out: &mut Vec<Problem>,
) {
    if schema.name.is_none() {
        out.push(Problem::new(file, first, "schema has no `name`"));
    }
    if let Some(tag) = &schema.tag
        && !ALLOWED_TAGS.contains(&tag.as_str())
    {
        out.push(Problem::new(
            file,
            schema_line(json, first, "\"tag\"", 0),
            format!(
                "schema tag '{tag}' is not one of {}",
                ALLOWED_TAGS.join(", ")
            ),
        ));
    }
    if let Some(presets) = &schema.presets {
        let valid = presets.as_array().is_some_and(|list| {
            list.iter().all(|p| {
                p.get("name")
                    .is_some_and(|n| n.is_string() || n.is_object())
            })
        });
        if !valid {
            out.push(Problem::new(
                file,
                schema_line(json, first, "\"presets\"", 0),
                "`presets` must be a list of objects with a `name`",
            ));
        }
    }
    let mut seen_ids = HashMap::new();
    check_settings(file, &schema.settings, json, first, &mut seen_ids, out);
    let mut block_types = HashSet::new();
    for block in &schema.blocks {
        let line = schema_line(json, first, &format!("\"{}\"", block.kind), 0);
        if !block_types.insert(block.kind.as_str()) {
            out.push(Problem::new(
                file,
                line,
                format!("duplicate block type '{}'", block.kind),
            ));
        }
        if block.limit == Some(0) {
            out.push(Problem::new(
                file,
                line,
                format!("block '{}' has a limit of 0", block.kind),
            ));
        }
        if block.name.is_none() && !block.kind.starts_with('@') && !is_theme_block(&block.kind) {
            out.push(Problem::new(
                file,
                line,
                format!("block '{}' has no `name`", block.kind),
            ));
        }
        // Block setting ids only need to be unique within the block.
        let mut block_ids = HashMap::new();
        check_settings(file, &block.settings, json, first, &mut block_ids, out);
    }
}

/// `seen` counts ids so a duplicate points at its second occurrence.
fn check_settings(
    file: &str,
    settings: &[SettingSchema],
    json: &str,
    first: usize,
    seen: &mut HashMap<String, usize>,
    out: &mut Vec<Problem>,
) {
    for setting in settings {
        let kind_line = schema_line(json, first, &format!("\"{}\"", setting.kind), 0);
        if !SETTING_TYPES.contains(&setting.kind.as_str()) {
            out.push(Problem::new(
                file,
                kind_line,
                format!("unknown setting type '{}'", setting.kind),
            ));
        }
        if is_sidebar_only(&setting.kind) {
            continue;
        }
        let Some(id) = setting.id.as_deref().filter(|id| !id.trim().is_empty()) else {
            out.push(Problem::new(
                file,
                kind_line,
                format!("setting of type '{}' has no id", setting.kind),
            ));
            continue;
        };
        let needle = format!("\"{id}\"");
        let count = seen.entry(id.to_owned()).or_insert(0);
        let line = schema_line(json, first, &needle, *count);
        *count += 1;
        if *count > 1 {
            out.push(Problem::new(
                file,
                line,
                format!("duplicate setting id '{id}'"),
            ));
        }
        if setting.label.is_none() {
            out.push(Problem::new(
                file,
                line,
                format!("setting '{id}' has no `label`"),
            ));
        }
        if matches!(setting.kind.as_str(), "select" | "radio")
            && setting
                .options
                .as_ref()
                .and_then(|o| o.as_array())
                .is_none_or(|o| o.is_empty())
        {
            out.push(Problem::new(
                file,
                line,
                format!("setting '{id}' needs `options`"),
            ));
        }
        if setting.kind == "range" && (setting.min.is_none() || setting.max.is_none()) {
            out.push(Problem::new(
                file,
                line,
                format!("range setting '{id}' needs `min` and `max`"),
            ));
        }
    }
}

fn check_template(
    name: &str,
    template: &JsonTemplate,
    source: &str,
    compiled: &Compiled,
    out: &mut Vec<Problem>,
) {
    let file = format!("templates/{name}.json");
    if let Some(layout) = template.layout_name() {
        let layout_file = if compiled.os2 {
            format!("layout/{layout}.liquid")
        } else {
            format!("templates/layout/{layout}.html")
        };
        if !compiled.sources.contains_key(&layout_file) {
            out.push(Problem::new(
                &file,
                1,
                format!("layout {layout_file} does not exist"),
            ));
        }
    }
    let mut ordered = HashSet::new();
    for key in &template.order {
        if !template.sections.contains_key(key) {
            out.push(Problem::new(
                &file,
                line_of(source, &format!("\"{key}\"")),
                format!("`order` names '{key}', which is not in `sections`"),
            ));
        }
        if !ordered.insert(key.as_str()) {
            out.push(Problem::new(
                &file,
                1,
                format!("'{key}' appears twice in `order`"),
            ));
        }
    }
    for (key, instance) in &template.sections {
        let key_line = line_of(source, &format!("\"{key}\""));
        let Some(section) = compiled.section_files.get(&instance.kind) else {
            out.push(Problem::new(
                &file,
                line_of(source, &format!("\"{}\"", instance.kind)),
                format!(
                    "section '{key}' has unknown type '{}' (no sections/{}.{})",
                    instance.kind,
                    instance.kind,
                    if compiled.os2 { "liquid" } else { "html" }
                ),
            ));
            continue;
        };
        let Some(schema) = &section.schema else {
            continue;
        };
        for setting in instance.settings.keys() {
            if !schema
                .settings
                .iter()
                .any(|s| s.id.as_deref() == Some(setting))
            {
                out.push(Problem::new(
                    &file,
                    line_of(source, &format!("\"{setting}\"")),
                    format!(
                        "section '{key}': setting '{setting}' is not in the schema of '{}'",
                        instance.kind
                    ),
                ));
            }
        }
        if let Some(max) = schema.max_blocks
            && instance.blocks.len() > max as usize
        {
            out.push(Problem::new(
                &file,
                key_line,
                format!(
                    "section '{key}' has {} blocks; its schema allows {max}",
                    instance.blocks.len()
                ),
            ));
        }
        for block_schema in &schema.blocks {
            let used = instance
                .blocks
                .values()
                .filter(|b| b.kind == block_schema.kind)
                .count();
            if let Some(limit) = block_schema.limit
                && used > limit as usize
            {
                out.push(Problem::new(
                    &file,
                    key_line,
                    format!(
                        "section '{key}' has {used} '{}' blocks; the limit is {limit}",
                        block_schema.kind
                    ),
                ));
            }
        }
        let accepts_apps = schema.blocks.iter().any(|b| b.kind == "@app");
        for (block_id, block) in &instance.blocks {
            let known = schema.block(&block.kind).is_some()
                || (accepts_apps && block.kind.starts_with('@'));
            if !known {
                out.push(Problem::new(
                    &file,
                    line_of(source, &format!("\"{block_id}\"")),
                    format!(
                        "section '{key}': block '{block_id}' has type '{}', which the schema of '{}' does not define",
                        block.kind, instance.kind
                    ),
                ));
            }
        }
        for block_id in &instance.block_order {
            if !instance.blocks.contains_key(block_id) {
                out.push(Problem::new(
                    &file,
                    key_line,
                    format!("section '{key}': `block_order` names '{block_id}', which is not in `blocks`"),
                ));
            }
        }
    }
}

/// `render('x')` and `section('x')` calls with a literal name must point at existing files.
fn check_references(compiled: &Compiled, out: &mut Vec<Problem>) {
    for (file, source) in &compiled.sources {
        for (index, line) in source.lines().enumerate() {
            for name in literal_args(line, "render(") {
                if !compiled.sources.contains_key(&snippet_file(name)) {
                    let message =
                        format!("snippet '{name}' does not exist ({})", snippet_file(name));
                    out.push(Problem::new(file, index + 1, message));
                }
            }
            let sections = literal_args(line, "section(");
            for name in sections
                .into_iter()
                .chain(literal_args(line, "render_section("))
            {
                if !compiled.section_files.contains_key(name) {
                    let message = format!("section '{name}' does not exist (sections/{name}.html)");
                    out.push(Problem::new(file, index + 1, message));
                }
            }
        }
    }
}

/// The string literal first arguments of `call` on one line, e.g. `render('price'` → `price`.
fn literal_args<'a>(line: &'a str, call: &str) -> Vec<&'a str> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find(call) {
        let before = rest[..at].chars().next_back();
        let after = rest[at + call.len()..].trim_start();
        rest = &rest[at + call.len()..];
        // `xrender(` or `.section(` are other functions.
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.') {
            continue;
        }
        let Some(quote) = after.chars().next().filter(|c| *c == '\'' || *c == '"') else {
            continue;
        };
        if let Some(end) = after[1..].find(quote) {
            out.push(&after[1..1 + end]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_arguments() {
        assert_eq!(
            literal_args("{{ render('price', x=1) }} {{ render(\"a\") }}", "render("),
            vec!["price", "a"]
        );
        assert!(literal_args("{{ myrender('x') }}", "render(").is_empty());
        assert!(literal_args("{{ render(name) }}", "render(").is_empty());
    }

    #[test]
    fn schema_lines_point_at_occurrences() {
        let json = "\n{\n \"settings\": [\n  {\"id\": \"a\"},\n  {\"id\": \"a\"}\n ]\n}\n";
        assert_eq!(schema_line(json, 10, "\"a\"", 0), 13);
        assert_eq!(schema_line(json, 10, "\"a\"", 1), 14);
    }
}
