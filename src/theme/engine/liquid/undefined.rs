//! The variables a Liquid file reads that nothing defines: neither the file (`assign`,
//! `capture`, `for`, `tablerow`, `increment`, `decrement`) nor the caller's list of known
//! objects. For `vitrine check`'s `UndefinedObject`; a name defined anywhere in the file counts
//! as defined everywhere in it, so the check errs towards silence.

use std::collections::HashSet;

use super::{expr, lexer};

/// Words of tag syntax that look like names but are not variables.
const SYNTAX_WORDS: &[&str] = &[
    "and", "or", "contains", "in", "with", "as", "for", "by", "reversed", "limit", "offset",
    "cols", "true", "false", "nil", "null", "blank", "empty",
];

/// Tags whose markup names no variables (or only names they define).
const SKIPPED_TAGS: &[&str] = &[
    "layout",
    "capture",
    "increment",
    "decrement",
    "section",
    "sections",
    "comment",
    "endcomment",
    "raw",
    "schema",
    "style",
    "stylesheet",
    "javascript",
    "doc",
    "#",
    "break",
    "continue",
    "else",
];

/// Each tag of the file as (tag name, markup, line), `liquid` tags split into their lines,
/// comments left out.
fn tags(name: &str, source: &str) -> Vec<(String, String, u32)> {
    let Ok(tokens) = lexer::tokenize(name, source) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut in_comment = 0u32;
    for token in tokens {
        let lines: Vec<(String, String, u32)> = match token {
            lexer::Token::Text { .. } => continue,
            lexer::Token::Output { markup, line } => vec![("echo".into(), markup, line)],
            lexer::Token::Tag { name, markup, line } if name == "liquid" => markup
                .split('\n')
                .enumerate()
                .map(|(offset, l)| {
                    let l = l.trim();
                    let (tag, rest) = l.split_once(char::is_whitespace).unwrap_or((l, ""));
                    let line = line + u32::try_from(offset).unwrap_or(0);
                    (tag.to_owned(), rest.to_owned(), line)
                })
                .filter(|(tag, _, _)| !tag.is_empty())
                .collect(),
            lexer::Token::Tag { name, markup, line } => vec![(name, markup, line)],
        };
        for (tag, markup, line) in lines {
            match tag.as_str() {
                "comment" => in_comment += 1,
                "endcomment" => in_comment = in_comment.saturating_sub(1),
                _ if in_comment == 0 => out.push((tag, markup, line)),
                _ => {}
            }
        }
    }
    out
}

/// The names the file defines.
fn defined(tags: &[(String, String, u32)]) -> HashSet<String> {
    let mut out = HashSet::new();
    for (tag, markup, _) in tags {
        if matches!(
            tag.as_str(),
            "assign" | "capture" | "for" | "tablerow" | "increment" | "decrement"
        ) && let Some(first) = markup
            .split(|c: char| c.is_whitespace() || c == '=')
            .find(|w| !w.is_empty())
        {
            out.insert(first.to_owned());
        }
    }
    out
}

/// The unknown variables `source` reads, each once, with the line of its first read.
pub fn undefined_objects(
    name: &str,
    source: &str,
    known: &dyn Fn(&str) -> bool,
) -> Vec<(String, u32)> {
    let tags = tags(name, source);
    let defined = defined(&tags);
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for (tag, markup, line) in &tags {
        if SKIPPED_TAGS.contains(&tag.as_str()) || tag.starts_with("end") {
            continue;
        }
        // `assign x = ...` and `for x in ...` read only what follows the name they define.
        let read = match tag.as_str() {
            "assign" => markup.split_once('=').map_or("", |(_, r)| r),
            "for" | "tablerow" => markup.split_once(" in ").map_or("", |(_, r)| r),
            _ => markup.as_str(),
        };
        let Ok(toks) = expr::lex(read) else {
            continue;
        };
        for (i, tok) in toks.iter().enumerate() {
            let expr::Tok::Ident(word) = tok else {
                continue;
            };
            let before = i.checked_sub(1).and_then(|j| toks.get(j));
            let after = toks.get(i + 1);
            let is_read = !matches!(before, Some(expr::Tok::Dot | expr::Tok::Pipe))
                && !matches!(before, Some(expr::Tok::Ident(w)) if w == "as")
                && !matches!(after, Some(expr::Tok::Colon))
                && !SYNTAX_WORDS.contains(&word.as_str());
            if is_read && !defined.contains(word) && !known(word) && seen.insert(word.clone()) {
                out.push((word.clone(), *line));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_of_names_nothing_defines() {
        let known = |n: &str| matches!(n, "product" | "section");
        let source = "{% assign t = product.title | upcase %}{{ t }}{{ nope.x }}\n\
                      {% for v in product.variants limit: 2 %}{{ v.id | t: count: size }}{% endfor %}\n\
                      {% comment %}{{ hidden }}{% endcomment %}{% if a and section %}{% endif %}\n\
                      {% render 'x', item: product, y: other %}{% layout none %}{{ 'a' | default: t }}";
        assert_eq!(
            undefined_objects("t.liquid", source, &known),
            vec![
                ("nope".to_owned(), 1),
                ("size".to_owned(), 2),
                ("a".to_owned(), 3),
                ("other".to_owned(), 4),
            ]
        );
    }
}
