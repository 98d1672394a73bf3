//! HTML and URL filters: `escape` (`h`), `escape_once`, `strip_html`, `url_encode`,
//! `url_decode`.

use minijinja::value::ValueKind;
use minijinja::{Error, Value};

use super::coerce::{nil, to_s};
use super::liquid_error;

fn html_entity(c: char) -> Option<&'static str> {
    match c {
        '&' => Some("&amp;"),
        '<' => Some("&lt;"),
        '>' => Some("&gt;"),
        '"' => Some("&quot;"),
        '\'' => Some("&#39;"),
        _ => None,
    }
}

/// Ruby's `CGI.escapeHTML`: `& < > " '`.
pub(super) fn escape(input: &Value, _args: &[Value]) -> Result<Value, Error> {
    if nil(input) {
        return Ok(Value::from(()));
    }
    let text = to_s(input);
    let special = |b: &u8| matches!(b, b'&' | b'<' | b'>' | b'"' | b'\'');
    if !text.as_bytes().iter().any(special) {
        // Nothing to escape: a string input is returned as it is, without a copy.
        if input.kind() == ValueKind::String {
            return Ok(input.clone());
        }
        return Ok(Value::from(text.into_owned()));
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match html_entity(c) {
            Some(entity) => out.push_str(entity),
            None => out.push(c),
        }
    }
    Ok(Value::from(out))
}

/// Like `escape`, but an `&` that already starts an entity (`&amp;`, `&#39;`) is left alone.
pub(super) fn escape_once(input: &Value, _args: &[Value]) -> Result<Value, Error> {
    let text = to_s(input);
    let mut out = String::with_capacity(text.len());
    for (index, c) in text.char_indices() {
        if c == '&' && starts_entity(&text[index + 1..]) {
            out.push('&');
            continue;
        }
        match html_entity(c) {
            Some(entity) => out.push_str(entity),
            None => out.push(c),
        }
    }
    Ok(Value::from(out))
}

/// `([a-zA-Z]+|#\d+);` at the start of `rest`.
fn starts_entity(rest: &str) -> bool {
    let bytes = rest.as_bytes();
    let (body, from) = match bytes.first() {
        Some(b'#') => (&bytes[1..], 1),
        _ => (bytes, 0),
    };
    let run = if from == 1 {
        body.iter().take_while(|b| b.is_ascii_digit()).count()
    } else {
        body.iter().take_while(|b| b.is_ascii_alphabetic()).count()
    };
    run > 0 && body.get(run) == Some(&b';')
}

/// Removes `<script>`/`<style>` blocks and comments with their content, then every tag.
pub(super) fn strip_html(input: &Value, _args: &[Value]) -> Result<Value, Error> {
    let text = to_s(input);
    let without_blocks = remove_blocks(&text);
    Ok(Value::from(remove_tags(&without_blocks)))
}

/// `gsub(/<script.*?<\/script>|<!--.*?-->|<style.*?<\/style>/m, '')`.
fn remove_blocks(text: &str) -> String {
    const BLOCKS: [(&str, &str); 3] = [
        ("<script", "</script>"),
        ("<!--", "-->"),
        ("<style", "</style>"),
    ];
    let mut out = String::with_capacity(text.len());
    let mut position = 0;
    while let Some(offset) = text[position..].find('<') {
        let start = position + offset;
        let rest = &text[start..];
        let block_end = BLOCKS.iter().find_map(|(open, close)| {
            if !rest.starts_with(open) {
                return None;
            }
            rest[open.len()..]
                .find(close)
                .map(|found| start + open.len() + found + close.len())
        });
        match block_end {
            Some(end) => {
                out.push_str(&text[position..start]);
                position = end;
            }
            None => {
                out.push_str(&text[position..=start]);
                position = start + 1;
            }
        }
    }
    out.push_str(&text[position..]);
    out
}

/// `gsub(/<.*?>/m, '')`.
fn remove_tags(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('<') {
        match rest[open..].find('>') {
            Some(close) => {
                out.push_str(&rest[..open]);
                rest = &rest[open + close + 1..];
            }
            None => break,
        }
    }
    out.push_str(rest);
    out
}

/// Ruby's `CGI.escape`: everything but `a-zA-Z0-9_.-~` percent-encoded, spaces as `+`.
pub(super) fn url_encode(input: &Value, _args: &[Value]) -> Result<Value, Error> {
    if nil(input) {
        return Ok(Value::from(()));
    }
    let text = to_s(input);
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' | b'.' | b'-' | b'~' => {
                out.push(char::from(byte));
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    Ok(Value::from(out))
}

/// Ruby's `CGI.unescape`: `+` as a space, `%XX` decoded, malformed escapes kept as written.
pub(super) fn url_decode(input: &Value, _args: &[Value]) -> Result<Value, Error> {
    if nil(input) {
        return Ok(Value::from(()));
    }
    let text = to_s(input);
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'+' => out.push(b' '),
            b'%' => {
                let high = bytes
                    .get(index + 1)
                    .and_then(|b| char::from(*b).to_digit(16));
                let low = bytes
                    .get(index + 2)
                    .and_then(|b| char::from(*b).to_digit(16));
                if let (Some(high), Some(low)) = (high, low) {
                    out.push((high * 16 + low) as u8);
                    index += 2;
                } else {
                    out.push(b'%');
                }
            }
            byte => out.push(byte),
        }
        index += 1;
    }
    String::from_utf8(out)
        .map(Value::from)
        .map_err(|_| liquid_error("invalid byte sequence in UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::theme::engine::liquid::filters::output;

    fn run(f: super::super::FilterFn, input: &str) -> String {
        output(&f(&Value::from(input), &[]).expect("filter result"))
    }

    #[test]
    fn escaping() {
        assert_eq!(
            run(escape, "<p>'a' & \"b\"</p>"),
            "&lt;p&gt;&#39;a&#39; &amp; &quot;b&quot;&lt;/p&gt;"
        );
        assert_eq!(
            run(escape_once, "&lt;p&gt;test&lt;/p&gt;<p>test</p>"),
            "&lt;p&gt;test&lt;/p&gt;&lt;p&gt;test&lt;/p&gt;"
        );
        assert_eq!(
            run(escape_once, "&#39; &x &#x20; &amp"),
            "&#39; &amp;x &amp;#x20; &amp;amp"
        );
        assert_eq!(output(&escape(&Value::from(5), &[]).expect("escape")), "5");
    }

    #[test]
    fn stripping_html() {
        assert_eq!(
            run(strip_html, "<div\nclass='multiline'>test</div>"),
            "test"
        );
        assert_eq!(run(strip_html, "<!-- foo bar \n test -->test"), "test");
        assert_eq!(
            run(
                strip_html,
                "<script type='text/javascript'>document.write('x');</script>"
            ),
            ""
        );
        assert_eq!(run(strip_html, "<style>a</style>b<style>c"), "bc");
        assert_eq!(
            run(strip_html, "Have <em>you</em> read &amp; &#20;?"),
            "Have you read &amp; &#20;?"
        );
        assert_eq!(run(strip_html, "1 < 2"), "1 < 2");
        assert_eq!(run(strip_html, "<!-->x-->y"), "y");
    }

    #[test]
    fn url_coding() {
        assert_eq!(
            run(url_encode, "email address is bob@example.com!"),
            "email+address+is+bob%40example.com%21"
        );
        assert_eq!(run(url_encode, "~a*é"), "~a%2A%C3%A9");
        assert_eq!(
            run(url_decode, "email+address+is+bob%40example.com%21"),
            "email address is bob@example.com!"
        );
        assert_eq!(run(url_decode, "100%+%zz%C3%A9"), "100% %zzé");
        assert!(url_decode(&Value::from("%ff"), &[]).is_err());
    }
}
