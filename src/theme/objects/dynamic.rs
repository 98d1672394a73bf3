//! Dynamic sources: a setting in a JSON template whose text names an object of the page, as
//! `"text": "{{ product.vendor }}"` in Dawn's product template
//! (<https://shopify.dev/docs/storefronts/themes/architecture/settings/dynamic-sources>).
//! Shopify fills such references in from the page being rendered; so does this, when the setting
//! is read, since one compiled section serves every product.
//!
//! A reference is a path of names (`product.metafields.descriptors.subtitle.value`, or
//! `closest.product.title`, the nearest such object, which here is the page's). One that names
//! nothing prints nothing, as a nil does.

use std::sync::Arc;

use minijinja::Value;
use minijinja::value::{Object, ObjectRepr};

use super::context::rendering_page;
use super::html::escape_html;

/// Text with references in it.
#[derive(Debug)]
pub struct DynamicText {
    parts: Vec<Part>,
    /// Rich text (merchant markup): the text is printed as it is and the values escaped.
    markup: bool,
}

#[derive(Debug)]
enum Part {
    Text(String),
    Source(Vec<String>),
}

/// The setting's value: `text` as it is when it names no object, else a [`DynamicText`].
pub fn setting_text(text: &str, markup: bool) -> Value {
    let plain = || {
        if markup {
            Value::from_safe_string(text.to_string())
        } else {
            Value::from(text)
        }
    };
    match parse(text) {
        Some(parts) => Value::from_object(DynamicText { parts, markup }),
        None => plain(),
    }
}

/// The text's parts, or `None` when it has no well-formed reference.
fn parse(text: &str) -> Option<Vec<Part>> {
    let mut parts = Vec::new();
    let mut rest = text;
    let mut found = false;
    while let Some(start) = rest.find("{{") {
        let Some(len) = rest[start + 2..].find("}}") else {
            break;
        };
        let inner = rest[start + 2..start + 2 + len].trim();
        let path: Vec<String> = inner.split('.').map(str::to_string).collect();
        let well_formed = !inner.is_empty()
            && path.iter().all(|name| {
                !name.is_empty()
                    && name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '?')
            });
        if !well_formed {
            return None;
        }
        if start > 0 {
            parts.push(Part::Text(rest[..start].to_string()));
        }
        parts.push(Part::Source(path));
        found = true;
        rest = &rest[start + 2 + len + 2..];
    }
    if !rest.is_empty() {
        parts.push(Part::Text(rest.to_string()));
    }
    found.then_some(parts)
}

impl DynamicText {
    fn resolved(&self) -> String {
        let page = rendering_page();
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(text) => out.push_str(text),
                Part::Source(path) => {
                    let value = page.as_ref().and_then(|page| {
                        page.note_per_request_read();
                        let mut names = path.iter().map(String::as_str);
                        let mut first = names.next()?;
                        if first == "closest" {
                            first = names.next()?;
                        }
                        let mut value = page.get(first).or_else(|| page.global(first))?;
                        for name in names {
                            value = value.get_attr(name).ok()?;
                        }
                        Some(value)
                    });
                    let text = match value {
                        Some(v) if !v.is_undefined() && !v.is_none() => v.to_string(),
                        _ => String::new(),
                    };
                    if self.markup {
                        out.push_str(&escape_html(&text));
                    } else {
                        out.push_str(&text);
                    }
                }
            }
        }
        out
    }
}

impl Object for DynamicText {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }

    fn is_true(self: &Arc<Self>) -> bool {
        !self.resolved().is_empty()
    }

    fn render(self: &Arc<Self>, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.resolved())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_well_formed_references_make_dynamic_text() {
        assert!(parse("By {{ product.vendor }}!").is_some());
        assert!(parse("{{ closest.product.metafields.a.b.value }}").is_some());
        assert!(parse("no references").is_none());
        assert!(parse("{{ product.title | upcase }}").is_none());
        assert!(parse("{{ unclosed").is_none());
    }

    #[test]
    fn outside_a_page_a_reference_prints_nothing() {
        let value = setting_text("By {{ product.vendor }}!", false);
        assert_eq!(value.to_string(), "By !");
        assert_eq!(setting_text("plain", false).to_string(), "plain");
    }
}
