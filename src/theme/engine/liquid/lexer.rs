//! Splits Liquid source into text, `{{ output }}` and `{% tag %}` tokens, applying whitespace
//! control (`{{-`, `-}}`, `{%-`, `-%}`) and reading `raw` bodies verbatim.

use super::error::LiquidError;

/// One piece of a Liquid template, with the 1-based line it starts on.
#[derive(Debug, Clone, PartialEq)]
pub enum Token {
    Text {
        text: String,
        line: u32,
    },
    Output {
        markup: String,
        line: u32,
    },
    Tag {
        name: String,
        markup: String,
        line: u32,
    },
}

impl Token {
    pub fn line(&self) -> u32 {
        match self {
            Token::Text { line, .. } | Token::Output { line, .. } | Token::Tag { line, .. } => {
                *line
            }
        }
    }
}

fn is_liquid_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0b' | '\x0c')
}

fn count_lines(text: &str) -> u32 {
    u32::try_from(memchr::memchr_iter(b'\n', text.as_bytes()).count()).unwrap_or(u32::MAX)
}

/// Splits a tag's inside (`name markup`) into its name and the rest. Liquid names are word
/// characters; `#` is the inline comment.
pub fn split_tag(inside: &str) -> (String, String) {
    let trimmed = inside.trim_start_matches(is_liquid_space);
    if let Some(rest) = trimmed.strip_prefix('#') {
        return ("#".into(), rest.to_string());
    }
    let end = trimmed
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(trimmed.len());
    let (name, rest) = trimmed.split_at(end);
    if name == "liquid" {
        // Its lines are counted from the tag's own line, so nothing is trimmed.
        return (name.to_string(), rest.to_string());
    }
    (
        name.to_string(),
        rest.trim_matches(is_liquid_space).to_string(),
    )
}

/// Lexes `source` into tokens.
pub fn tokenize(file: &str, source: &str) -> Result<Vec<Token>, LiquidError> {
    let mut tokens: Vec<Token> = Vec::new();
    let bytes = source.as_bytes();
    let mut pos = 0;
    let mut line: u32 = 1;
    // Set by `-}}`/`-%}`: the next text loses its leading whitespace.
    let mut strip_next = false;
    while pos < bytes.len() {
        let next_open = memchr::memmem::find(&bytes[pos..], b"{")
            .map(|i| i + pos)
            .and_then(|i| find_open(bytes, i));
        let Some(open) = next_open else {
            push_text(&mut tokens, &source[pos..], line, strip_next);
            break;
        };
        push_text(&mut tokens, &source[pos..open], line, strip_next);
        line += count_lines(&source[pos..open]);
        let is_output = bytes[open + 1] == b'{';
        let trim_left = bytes.get(open + 2) == Some(&b'-');
        if trim_left {
            trim_last_text(&mut tokens);
        }
        let inner_start = open + 2 + usize::from(trim_left);
        let closer: &[u8] = if is_output { b"}}" } else { b"%}" };
        let Some(close) =
            memchr::memmem::find(&bytes[inner_start..], closer).map(|i| i + inner_start)
        else {
            return Err(LiquidError::new(
                file,
                line,
                if is_output {
                    "output '{{' was never closed with '}}'"
                } else {
                    "tag '{%' was never closed with '%}'"
                },
            ));
        };
        let trim_right = close > inner_start && bytes[close - 1] == b'-';
        let inner_end = if trim_right { close - 1 } else { close };
        let inner = &source[inner_start..inner_end];
        let token_line = line;
        line += count_lines(&source[open..close]);
        pos = close + 2;
        strip_next = trim_right;
        if is_output {
            tokens.push(Token::Output {
                markup: inner.trim_matches(is_liquid_space).to_string(),
                line: token_line,
            });
            continue;
        }
        let (name, markup) = split_tag(inner);
        if matches!(
            name.as_str(),
            "raw" | "doc" | "schema" | "stylesheet" | "javascript"
        ) {
            let (body, after, trim_after, body_end) =
                read_verbatim(file, source, pos, token_line, &name)?;
            if name == "doc" && find_open_tag(body, "doc") {
                return Err(LiquidError::new(
                    file,
                    token_line,
                    "'doc' tags cannot be nested",
                ));
            }
            let end_name = format!("end{name}");
            let mut text = body.to_string();
            if strip_next {
                text = text.trim_start_matches(is_liquid_space).to_string();
            }
            tokens.push(Token::Tag {
                name,
                markup,
                line: token_line,
            });
            if !text.is_empty() {
                tokens.push(Token::Text { text, line });
            }
            let end_line = line + count_lines(&source[pos..body_end]);
            line += count_lines(&source[pos..after]);
            tokens.push(Token::Tag {
                name: end_name,
                markup: String::new(),
                line: end_line,
            });
            pos = after;
            strip_next = trim_after;
            continue;
        }
        tokens.push(Token::Tag {
            name,
            markup,
            line: token_line,
        });
    }
    Ok(tokens)
}

/// Whether `text` holds a `{% name` tag.
fn find_open_tag(text: &str, name: &str) -> bool {
    let mut rest = text;
    while let Some(i) = rest.find("{%") {
        let after = rest[i + 2..].trim_start_matches('-');
        if split_tag(after).0 == name {
            return true;
        }
        rest = &rest[i + 2..];
    }
    false
}

/// The position of the next `{{` or `{%` at or after `from`.
fn find_open(bytes: &[u8], mut from: usize) -> Option<usize> {
    while from + 1 < bytes.len() {
        if bytes[from] == b'{' && matches!(bytes[from + 1], b'{' | b'%') {
            return Some(from);
        }
        from = memchr::memchr(b'{', &bytes[from + 1..]).map(|i| i + from + 1)?;
    }
    None
}

/// A raw body runs to the first `{% endraw %}`; returns the body, the position after the end
/// tag, whether that tag had `-%}`, and where the body ends.
fn read_verbatim<'a>(
    file: &str,
    source: &'a str,
    start: usize,
    line: u32,
    tag: &str,
) -> Result<(&'a str, usize, bool, usize), LiquidError> {
    let end_tag = format!("end{tag}");
    let bytes = source.as_bytes();
    let mut search = start;
    while let Some(open) = memchr::memmem::find(&bytes[search..], b"{%").map(|i| i + search) {
        let mut i = open + 2;
        let trim_left = bytes.get(i) == Some(&b'-');
        if trim_left {
            i += 1;
        }
        while i < bytes.len() && is_liquid_space(bytes[i] as char) {
            i += 1;
        }
        if source[i..].starts_with(end_tag.as_str()) {
            let mut j = i + end_tag.len();
            while j < bytes.len() && is_liquid_space(bytes[j] as char) {
                j += 1;
            }
            let trim_right = bytes.get(j) == Some(&b'-');
            if trim_right {
                j += 1;
            }
            if source[j..].starts_with("%}") {
                let mut body = &source[start..open];
                if trim_left {
                    body = body.trim_end_matches(is_liquid_space);
                }
                return Ok((body, j + 2, trim_right, open));
            }
        }
        search = open + 2;
    }
    Err(LiquidError::new(
        file,
        line,
        format!("'{tag}' tag was never closed"),
    ))
}

fn push_text(tokens: &mut Vec<Token>, text: &str, line: u32, strip_start: bool) {
    let (text, line) = if strip_start {
        let stripped = text.trim_start_matches(is_liquid_space);
        (
            stripped,
            line + count_lines(&text[..text.len() - stripped.len()]),
        )
    } else {
        (text, line)
    };
    if !text.is_empty() {
        tokens.push(Token::Text {
            text: text.to_string(),
            line,
        });
    }
}

fn trim_last_text(tokens: &mut Vec<Token>) {
    if let Some(Token::Text { text, .. }) = tokens.last_mut() {
        let trimmed_len = text.trim_end_matches(is_liquid_space).len();
        text.truncate(trimmed_len);
        if text.is_empty() {
            tokens.pop();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_text_output_and_tags_with_lines() {
        let tokens = tokenize("t", "a\n{{ x }}\n{% if y %}b{% endif %}").unwrap();
        assert_eq!(tokens.len(), 6);
        assert_eq!(
            tokens[1],
            Token::Output {
                markup: "x".into(),
                line: 2
            }
        );
        assert_eq!(
            tokens[3],
            Token::Tag {
                name: "if".into(),
                markup: "y".into(),
                line: 3
            }
        );
    }

    #[test]
    fn whitespace_control_trims_neighbouring_text() {
        let tokens = tokenize("t", "a \n {{- x -}} \n b").unwrap();
        assert_eq!(
            tokens[0],
            Token::Text {
                text: "a".into(),
                line: 1
            }
        );
        assert_eq!(
            tokens[2],
            Token::Text {
                text: "b".into(),
                line: 3
            }
        );
    }

    #[test]
    fn raw_bodies_are_verbatim() {
        let tokens = tokenize("t", "{% raw %}{{ x }}{% if %}{% endraw %}").unwrap();
        assert_eq!(
            tokens[1],
            Token::Text {
                text: "{{ x }}{% if %}".into(),
                line: 1
            }
        );
    }

    #[test]
    fn unclosed_output_is_an_error_with_its_line() {
        let err = tokenize("t.liquid", "a\nb {{ x").unwrap_err();
        assert_eq!(
            err.to_string(),
            "t.liquid:2: output '{{' was never closed with '}}'"
        );
    }
}
