//! Section schemas (`{% schema %}` JSON inside a section file) and JSON page templates
//! (`templates/<page>.json`), modelled on Shopify's theme architecture docs
//! ("Section schema", "JSON templates").
//!
//! minijinja has no custom block tags, so the schema block is cut out of the source here, before
//! the template is compiled; it is replaced by as many newlines as it spanned so that the line
//! numbers minijinja reports still match the file on disk.

use indexmap::IndexMap;
use serde::Deserialize;
use serde_json::Value as Json;

/// Tags a section wrapper may use (Shopify accepts exactly these).
pub const ALLOWED_TAGS: &[&str] = &["article", "aside", "div", "footer", "header", "section"];

/// Setting types a schema may declare. `header` and `paragraph` are sidebar-only and take no id.
pub const SETTING_TYPES: &[&str] = &[
    "article",
    "blog",
    "checkbox",
    "collection",
    "collection_list",
    "color",
    "color_background",
    "color_scheme",
    "color_scheme_group",
    "font_picker",
    "header",
    "html",
    "image_picker",
    "inline_richtext",
    "link_list",
    "liquid",
    "metaobject",
    "metaobject_list",
    "number",
    "page",
    "paragraph",
    "product",
    "product_list",
    "radio",
    "range",
    "richtext",
    "select",
    "text",
    "text_alignment",
    "textarea",
    "url",
    "video",
    "video_url",
];

/// Setting types that carry no value and therefore no id.
pub fn is_sidebar_only(kind: &str) -> bool {
    matches!(kind, "header" | "paragraph")
}

/// A section file split into its template source and its schema.
#[derive(Debug)]
pub struct SplitSection {
    /// The source with the schema block replaced by newlines.
    pub template: String,
    /// The raw schema JSON and the 1-based line it starts on, if the file has one.
    pub schema: Option<(String, usize)>,
}

/// Problems found while cutting the schema block out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitError {
    pub line: usize,
    pub message: String,
}

/// A `{% name %}` / `{%- name -%}` tag found in a source.
struct Tag {
    start: usize,
    end: usize,
}

/// Finds the next `{% <word> %}` tag (any whitespace control) at or after `from`.
fn find_tag(source: &str, word: &str, from: usize) -> Option<Tag> {
    let mut pos = from;
    while let Some(found) = source.get(pos..)?.find("{%") {
        let start = pos + found;
        let mut inner = &source[start + 2..];
        inner = inner.strip_prefix(['-', '+']).unwrap_or(inner);
        let trimmed = inner.trim_start();
        if let Some(after_word) = trimmed.strip_prefix(word) {
            let after_word = after_word.trim_start();
            let after_word = after_word.strip_prefix(['-', '+']).unwrap_or(after_word);
            if let Some(after_close) = after_word.strip_prefix("%}") {
                let end = source.len() - after_close.len();
                return Some(Tag { start, end });
            }
        }
        pos = start + 2;
    }
    None
}

fn line_at(source: &str, offset: usize) -> usize {
    source.as_bytes()[..offset.min(source.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Cuts the `{% schema %}...{% endschema %}` block out of a section source.
pub fn split_section(source: &str) -> Result<SplitSection, SplitError> {
    let Some(open) = find_tag(source, "schema", 0) else {
        return Ok(SplitSection {
            template: source.to_owned(),
            schema: None,
        });
    };
    let Some(close) = find_tag(source, "endschema", open.end) else {
        return Err(SplitError {
            line: line_at(source, open.start),
            message: "`{% schema %}` has no matching `{% endschema %}`".into(),
        });
    };
    if let Some(second) = find_tag(source, "schema", close.end) {
        return Err(SplitError {
            line: line_at(source, second.start),
            message: "a section can only have one `{% schema %}` block".into(),
        });
    }
    let json = source[open.end..close.start].to_owned();
    let rest = &source[close.end..];
    // Newlines keep the lines after the schema where they were; when only whitespace follows
    // (the usual place for a schema) there is nothing to keep in place, and no blank lines
    // should end up in the output.
    let newlines = if rest.trim().is_empty() {
        0
    } else {
        source[open.start..close.end]
            .bytes()
            .filter(|&b| b == b'\n')
            .count()
    };
    let mut template = String::with_capacity(source.len());
    template.push_str(&source[..open.start]);
    template.extend(std::iter::repeat_n('\n', newlines));
    template.push_str(rest);
    Ok(SplitSection {
        template,
        schema: Some((json, line_at(source, open.end))),
    })
}

/// One `settings` entry of a schema.
#[derive(Debug, Clone, Deserialize)]
pub struct SettingSchema {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub label: Option<Json>,
    #[serde(default)]
    pub default: Option<Json>,
    #[serde(default)]
    pub options: Option<Json>,
    #[serde(default)]
    pub min: Option<Json>,
    #[serde(default)]
    pub max: Option<Json>,
}

/// One block type a section accepts.
#[derive(Debug, Clone, Deserialize)]
pub struct BlockSchema {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub settings: Vec<SettingSchema>,
    #[serde(default)]
    pub limit: Option<u32>,
}

/// The parsed `{% schema %}` of a section.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SectionSchema {
    #[serde(default)]
    pub name: Option<Json>,
    #[serde(default)]
    pub tag: Option<String>,
    #[serde(default)]
    pub class: Option<String>,
    #[serde(default)]
    pub settings: Vec<SettingSchema>,
    #[serde(default)]
    pub blocks: Vec<BlockSchema>,
    #[serde(default)]
    pub max_blocks: Option<u32>,
    #[serde(default)]
    pub presets: Option<Json>,
}

impl SectionSchema {
    /// Parses schema JSON; the error carries the line within the section file.
    pub fn parse(json: &str, first_line: usize) -> Result<SectionSchema, SplitError> {
        serde_json::from_str(json).map_err(|err| SplitError {
            line: first_line + err.line().saturating_sub(1),
            message: format!("invalid schema JSON: {}", json_error(&err)),
        })
    }

    /// [`Self::parse`], but a schema that is JSON only once its comments and trailing commas are
    /// blanked is read too, as Shopify reads it, with the strict error beside it for `vitrine
    /// check` (theme-check, jq and older Shopify refuse such a schema).
    pub fn parse_tolerant(
        json: &str,
        first_line: usize,
    ) -> Result<(SectionSchema, Option<SplitError>), SplitError> {
        match Self::parse(json, first_line) {
            Ok(schema) => Ok((schema, None)),
            Err(strict) => match parse_lenient::<SectionSchema>(json) {
                Ok(schema) => Ok((schema, Some(strict))),
                Err(_) => Err(strict),
            },
        }
    }

    /// The wrapper tag, falling back to `div` for anything Shopify would not accept.
    pub fn wrapper_tag(&self) -> &str {
        match self.tag.as_deref() {
            Some(tag) if ALLOWED_TAGS.contains(&tag) => tag,
            _ => "div",
        }
    }

    pub fn block(&self, kind: &str) -> Option<&BlockSchema> {
        self.blocks.iter().find(|b| b.kind == kind)
    }
}

/// The defaults of a settings list, as a JSON object.
pub fn defaults(settings: &[SettingSchema]) -> serde_json::Map<String, Json> {
    settings
        .iter()
        .filter_map(|s| {
            // A checkbox without a default is unchecked, as Shopify reads it (themes print
            // it straight into scripts: `cover: {{ settings.fill }},`).
            let default = match (&s.default, s.kind.as_str()) {
                (Some(default), _) => default.clone(),
                (None, "checkbox") => Json::Bool(false),
                (None, _) => return None,
            };
            Some((s.id.clone()?, default))
        })
        .collect()
}

/// A block instance inside a JSON template section, or inside another block: a theme block
/// holds its own child blocks (<https://shopify.dev/docs/storefronts/themes/architecture/blocks/theme-blocks>).
#[derive(Debug, Clone, Deserialize)]
pub struct BlockInstance {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub settings: serde_json::Map<String, Json>,
    #[serde(default)]
    pub disabled: bool,
    #[serde(default)]
    pub blocks: IndexMap<String, BlockInstance>,
    #[serde(default)]
    pub block_order: Vec<String>,
    /// A static block (`{% content_for 'block', type: 't', id: 'i' %}`): rendered where that tag
    /// is, never by `content_for 'blocks'`.
    #[serde(default, rename = "static")]
    pub is_static: bool,
}

/// The child blocks in the order `content_for 'blocks'` renders them: `block_order` (Shopify
/// requires it; without it, the JSON's own order), minus disabled and static blocks.
pub fn ordered_blocks<'a>(
    blocks: &'a IndexMap<String, BlockInstance>,
    block_order: &'a [String],
) -> Vec<(&'a String, &'a BlockInstance)> {
    let order: Vec<&String> = if block_order.is_empty() {
        blocks.keys().collect()
    } else {
        block_order.iter().collect()
    };
    order
        .into_iter()
        .filter_map(|id| {
            let (id, block) = blocks.get_key_value(id.as_str())?;
            (!block.disabled && !block.is_static).then_some((id, block))
        })
        .collect()
}

/// A section instance inside a JSON template.
#[derive(Debug, Clone, Deserialize)]
pub struct SectionInstance {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub settings: serde_json::Map<String, Json>,
    #[serde(default)]
    pub blocks: IndexMap<String, BlockInstance>,
    #[serde(default)]
    pub block_order: Vec<String>,
    #[serde(default)]
    pub disabled: bool,
}

/// `templates/<page>.json`.
#[derive(Debug, Clone, Deserialize)]
pub struct JsonTemplate {
    /// `"theme"` (the default) picks `templates/layout/theme.html`; `false` renders no layout.
    #[serde(default)]
    pub layout: Option<Json>,
    pub sections: IndexMap<String, SectionInstance>,
    #[serde(default)]
    pub order: Vec<String>,
}

impl JsonTemplate {
    pub fn parse(source: &str) -> Result<JsonTemplate, SplitError> {
        parse_lenient(source).map_err(|err| SplitError {
            line: err.line().max(1),
            message: format!("invalid JSON template: {}", json_error(&err)),
        })
    }

    /// The layout file name, or `None` when the template asks for no layout.
    pub fn layout_name(&self) -> Option<String> {
        match &self.layout {
            None | Some(Json::Null) | Some(Json::Bool(true)) => Some("theme".into()),
            Some(Json::Bool(false)) => None,
            Some(Json::String(name)) => Some(name.clone()),
            Some(_) => Some("theme".into()),
        }
    }

    /// Section keys in render order: `order` first, then (like Shopify) nothing else.
    pub fn ordered(&self) -> impl Iterator<Item = (&str, &SectionInstance)> {
        self.order
            .iter()
            .filter_map(|key| self.sections.get_key_value(key.as_str()))
            .filter(|(_, s)| !s.disabled)
            .map(|(k, s)| (k.as_str(), s))
    }
}

/// Theme JSON as Shopify reads it: `/* */`, `//` comments and trailing commas are allowed (the
/// theme editor writes a comment header; Shopify's own themes ship trailing commas). They are
/// blanked in place, so a later error still has the file's line and column.
pub fn lenient_json(source: &str) -> std::borrow::Cow<'_, str> {
    if !source.contains(['/', '#', ',']) {
        return source.into();
    }
    let mut text = source.to_owned();
    match json_strip_comments::strip(&mut text) {
        // The crate blanks a block comment's newlines too; put them back for the line numbers.
        Ok(()) => {
            let mut bytes = text.into_bytes();
            for (i, _) in source.bytes().enumerate().filter(|(_, b)| *b == b'\n') {
                bytes[i] = b'\n';
            }
            String::from_utf8(bytes).map_or(source.into(), Into::into)
        }
        // An unterminated comment: let the JSON parser name the spot.
        Err(_) => source.into(),
    }
}

/// [`lenient_json`], parsed.
pub fn parse_lenient<T: serde::de::DeserializeOwned>(source: &str) -> serde_json::Result<T> {
    serde_json::from_str(&lenient_json(source))
}

/// serde_json's message without its "at line L column C" (ours is a file line), plus the column.
pub fn json_error(err: &serde_json::Error) -> String {
    let text = err.to_string();
    let message = text.split(" at line ").next().unwrap_or(&text);
    format!("{message} (column {})", err.column())
}

/// The id of a JSON template's section instance, e.g. `template--product__main`.
pub fn instance_id(template: &str, key: &str) -> String {
    format!("template--{template}__{key}")
}

/// The 1-based line of the first occurrence of `needle`, or 1.
pub fn line_of(source: &str, needle: &str) -> usize {
    source.find(needle).map_or(1, |at| line_at(source, at))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_checkbox_without_a_default_is_unchecked() {
        let settings: Vec<SettingSchema> = serde_json::from_str(
            r#"[{"type": "checkbox", "id": "fill", "label": "Fill"},
                {"type": "text", "id": "title", "label": "Title"},
                {"type": "checkbox", "id": "on", "label": "On", "default": true}]"#,
        )
        .expect("settings");
        let defaults = defaults(&settings);
        assert_eq!(defaults.get("fill"), Some(&Json::Bool(false)));
        assert_eq!(defaults.get("title"), None);
        assert_eq!(defaults.get("on"), Some(&Json::Bool(true)));
    }

    #[test]
    fn theme_json_takes_comments_and_trailing_commas_and_keeps_lines() {
        let source =
            "/*\n * generated\n */\n{\"order\": [\"a\",], // the order\n\"x\": \"/* kept */\",\n}";
        let json: Json = parse_lenient(source).expect("lenient json");
        assert_eq!(json["order"], serde_json::json!(["a"]));
        assert_eq!(json["x"], "/* kept */");
        assert_eq!(lenient_json(source).lines().count(), source.lines().count());
        let broken = "/* c */\n{\n\"a\": 1,\n\"b\" 2}";
        let err = parse_lenient::<Json>(broken).expect_err("still invalid");
        assert_eq!(err.line(), 4);
    }

    #[test]
    fn strips_schema_keeping_lines() {
        let src = "<p>{{ a }}</p>\n{% schema %}\n{\"name\": \"x\",\n\"tag\": \"aside\"}\n{% endschema %}\n<i>{{ b }}</i>\n";
        let split = split_section(src).unwrap();
        assert_eq!(split.template.lines().count(), src.lines().count());
        assert_eq!(split.template.lines().nth(5), Some("<i>{{ b }}</i>"));
        let (json, line) = split.schema.unwrap();
        assert_eq!(line, 2);
        let schema = SectionSchema::parse(&json, line).unwrap();
        assert_eq!(schema.wrapper_tag(), "aside");
    }

    #[test]
    fn whitespace_control_tags() {
        let src = "a{%- schema -%}{}{%- endschema -%}b";
        let split = split_section(src).unwrap();
        assert_eq!(split.template, "ab");
        assert_eq!(split.schema.unwrap().0, "{}");
    }

    #[test]
    fn unterminated_and_duplicate_schema() {
        assert_eq!(split_section("\n{% schema %}{}").unwrap_err().line, 2);
        let twice = "{% schema %}{}{% endschema %}\n{% schema %}{}{% endschema %}";
        assert_eq!(split_section(twice).unwrap_err().line, 2);
    }

    #[test]
    fn a_trailing_comma_in_a_schema_is_read_and_reported() {
        let src = "{% schema %}\n{\n  \"name\": \"x\",\n  \"settings\": [{\"type\": \"text\", \"id\": \"t\"},]\n}\n{% endschema %}";
        let (json, line) = split_section(src).unwrap().schema.unwrap();
        let (schema, strict) = SectionSchema::parse_tolerant(&json, line).expect("read");
        assert_eq!(schema.settings.len(), 1);
        let strict = strict.expect("the strict error is kept");
        assert_eq!(strict.line, 4);
        assert!(strict.message.starts_with("invalid schema JSON"));
        // Broken beyond commas: still an error.
        assert!(SectionSchema::parse_tolerant("{\"name\": }", 1).is_err());
    }

    #[test]
    fn schema_json_error_line_is_file_relative() {
        let src = "x\n{% schema %}\n{\n  \"name\": \"x\",\n  oops\n}\n{% endschema %}";
        let (json, line) = split_section(src).unwrap().schema.unwrap();
        let err = SectionSchema::parse(&json, line).unwrap_err();
        assert_eq!(err.line, 5);
    }
}
