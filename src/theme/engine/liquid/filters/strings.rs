//! String filters. The input goes through `Utils.to_s` first, so numbers, nil and arrays work
//! as Ruby Liquid makes them work (`5 | append: 'x'` is `5x`, nil is empty).

use minijinja::value::ValueKind;
use minijinja::{Error, Value};

use super::coerce::{nil, to_integer, to_s, truthy};
use super::{arg, opt_arg};

/// Ruby's whitespace for `strip`: null, tab, newline, vertical tab, form feed, return, space.
fn is_strip_space(c: char) -> bool {
    matches!(c, '\0' | '\t' | '\n' | '\u{0b}' | '\u{0c}' | '\r' | ' ')
}

/// Whitespace for `split(" ")` (Ruby's awk-style splitting).
fn is_awk_space(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\u{0b}' | '\u{0c}' | '\r' | ' ')
}

pub(super) fn append(input: &Value, args: &[Value]) -> Result<Value, Error> {
    Ok(concat(&to_s(input), &to_s(arg(args, 0))))
}

pub(super) fn prepend(input: &Value, args: &[Value]) -> Result<Value, Error> {
    Ok(concat(&to_s(arg(args, 0)), &to_s(input)))
}

/// Two strings joined; `format!` costs several times this in loops that build strings.
fn concat(first: &str, second: &str) -> Value {
    let mut out = String::with_capacity(first.len() + second.len());
    out.push_str(first);
    out.push_str(second);
    Value::from(out)
}

pub(super) fn upcase(input: &Value, _args: &[Value]) -> Result<Value, Error> {
    let text = to_s(input);
    // ASCII (the common case) needs no Unicode case tables.
    if text.is_ascii() {
        return Ok(Value::from(text.to_ascii_uppercase()));
    }
    Ok(Value::from(text.to_uppercase()))
}

pub(super) fn downcase(input: &Value, _args: &[Value]) -> Result<Value, Error> {
    Ok(Value::from(to_s(input).to_lowercase()))
}

/// Ruby's `String#capitalize`: the first character up, all the others down.
pub(super) fn capitalize(input: &Value, _args: &[Value]) -> Result<Value, Error> {
    let text = to_s(input);
    let mut chars = text.chars();
    let mut out = String::with_capacity(text.len());
    if let Some(first) = chars.next() {
        out.extend(first.to_uppercase());
        out.push_str(&chars.as_str().to_lowercase());
    }
    Ok(Value::from(out))
}

pub(super) fn strip(input: &Value, _args: &[Value]) -> Result<Value, Error> {
    Ok(Value::from(to_s(input).trim_matches(is_strip_space)))
}

pub(super) fn lstrip(input: &Value, _args: &[Value]) -> Result<Value, Error> {
    Ok(Value::from(to_s(input).trim_start_matches(is_strip_space)))
}

pub(super) fn rstrip(input: &Value, _args: &[Value]) -> Result<Value, Error> {
    Ok(Value::from(to_s(input).trim_end_matches(is_strip_space)))
}

/// `squish`: stripped, and every run of whitespace inside made one space.
pub(super) fn squish(input: &Value, _args: &[Value]) -> Result<Value, Error> {
    if nil(input) {
        return Ok(Value::from(()));
    }
    let text = to_s(input);
    let mut out = String::with_capacity(text.len());
    for word in text.trim_matches(is_strip_space).split(is_awk_space) {
        if word.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    Ok(Value::from(out))
}

/// Every `\n` or `\r\n` as `<br />\n`.
pub(super) fn newline_to_br(input: &Value, _args: &[Value]) -> Result<Value, Error> {
    Ok(Value::from(map_newlines(&to_s(input), "<br />\n")))
}

/// Every `\n` or `\r\n` removed (a lone `\r` stays, as in Ruby Liquid).
pub(super) fn strip_newlines(input: &Value, _args: &[Value]) -> Result<Value, Error> {
    Ok(Value::from(map_newlines(&to_s(input), "")))
}

/// `gsub(/\r?\n/, replacement)`.
fn map_newlines(text: &str, replacement: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(position) = rest.find('\n') {
        let line = &rest[..position];
        out.push_str(line.strip_suffix('\r').unwrap_or(line));
        out.push_str(replacement);
        rest = &rest[position + 1..];
    }
    out.push_str(rest);
    out
}

pub(super) fn remove(input: &Value, args: &[Value]) -> Result<Value, Error> {
    let text = to_s(input);
    let pattern = to_s(arg(args, 0));
    if pattern.is_empty() {
        return Ok(Value::from(text.into_owned()));
    }
    Ok(Value::from(text.replace(&*pattern, "")))
}

pub(super) fn remove_first(input: &Value, args: &[Value]) -> Result<Value, Error> {
    Ok(Value::from(to_s(input).replacen(
        &*to_s(arg(args, 0)),
        "",
        1,
    )))
}

pub(super) fn remove_last(input: &Value, args: &[Value]) -> Result<Value, Error> {
    Ok(Value::from(replace_last_in(
        &to_s(input),
        &to_s(arg(args, 0)),
        "",
    )))
}

/// `replace: a, b` replaces every `a`; an empty `a` inserts `b` between all characters, like
/// Ruby's `gsub("")`. The replacement defaults to nothing.
pub(super) fn replace(input: &Value, args: &[Value]) -> Result<Value, Error> {
    let replacement = opt_arg(args, 1).map(to_s).unwrap_or_default();
    Ok(Value::from(
        to_s(input).replace(&*to_s(arg(args, 0)), &replacement),
    ))
}

pub(super) fn replace_first(input: &Value, args: &[Value]) -> Result<Value, Error> {
    let replacement = opt_arg(args, 1).map(to_s).unwrap_or_default();
    Ok(Value::from(to_s(input).replacen(
        &*to_s(arg(args, 0)),
        &replacement,
        1,
    )))
}

pub(super) fn replace_last(input: &Value, args: &[Value]) -> Result<Value, Error> {
    Ok(Value::from(replace_last_in(
        &to_s(input),
        &to_s(arg(args, 0)),
        &to_s(arg(args, 1)),
    )))
}

fn replace_last_in(text: &str, pattern: &str, replacement: &str) -> String {
    match text.rfind(pattern) {
        Some(start) => format!(
            "{}{replacement}{}",
            &text[..start],
            &text[start + pattern.len()..]
        ),
        None => text.to_string(),
    }
}

/// `slice: offset, length`: characters of a string, items of an array; a negative offset counts
/// from the end, the length defaults to 1, and out of range gives an empty result.
pub(super) fn slice(input: &Value, args: &[Value]) -> Result<Value, Error> {
    let offset = to_integer(arg(args, 0))?;
    let length = match opt_arg(args, 1) {
        Some(length) if truthy(length) => to_integer(length)?,
        _ => 1,
    };
    if matches!(input.kind(), ValueKind::Seq | ValueKind::Iterable) {
        let items: Vec<Value> = input.try_iter()?.collect();
        let picked = slice_range(items.len(), offset, length)
            .map(|(start, end)| items[start..end].to_vec())
            .unwrap_or_default();
        return Ok(Value::from(picked));
    }
    let text = to_s(input);
    Ok(Value::from(char_slice(&text, offset, length)))
}

/// `String#slice(offset, length)` by characters; out of range is empty (Liquid's `|| ''`).
fn char_slice(text: &str, offset: i64, length: i64) -> &str {
    if length < 0 {
        return "";
    }
    let start = if offset < 0 {
        match usize::try_from(i128::from(offset) + text.chars().count() as i128) {
            Ok(start) => start,
            Err(_) => return "",
        }
    } else {
        usize::try_from(offset).unwrap_or(usize::MAX)
    };
    let length = usize::try_from(length).unwrap_or(usize::MAX);
    if text.is_ascii() {
        // One byte per character: no walk over the characters.
        let from = start.min(text.len());
        if start > text.len() {
            return "";
        }
        return &text[from..from.saturating_add(length).min(text.len())];
    }
    let mut boundaries = text
        .char_indices()
        .map(|(index, _)| index)
        .chain(std::iter::once(text.len()));
    let Some(from) = boundaries.nth(start) else {
        return "";
    };
    let to = match length {
        0 => from,
        _ => boundaries.nth(length - 1).unwrap_or(text.len()),
    };
    &text[from..to]
}

/// Ruby's `slice(offset, length)` bounds: `None` where Ruby answers nil.
fn slice_range(len: usize, offset: i64, length: i64) -> Option<(usize, usize)> {
    if length < 0 {
        return None;
    }
    let len = len as i128;
    let offset = i128::from(offset);
    let start = if offset < 0 { offset + len } else { offset };
    if start < 0 || start > len {
        return None;
    }
    let end = (start + i128::from(length)).min(len);
    Some((start as usize, end as usize))
}

/// Ruby's `String#split(pattern)`: `" "` splits on runs of whitespace, `""` into characters,
/// and trailing empty strings are dropped.
pub(super) fn split(input: &Value, args: &[Value]) -> Result<Value, Error> {
    let text = to_s(input);
    let pattern = to_s(arg(args, 0));
    let mut parts: Vec<Value> = if text.is_empty() {
        Vec::new()
    } else if pattern == " " {
        awk_split(&text, usize::MAX)
            .into_iter()
            .map(Value::from)
            .collect()
    } else if pattern.is_empty() {
        text.chars().map(|c| Value::from(c.to_string())).collect()
    } else {
        text.split(&*pattern).map(Value::from).collect()
    };
    while parts.last().is_some_and(|last| last.as_str() == Some("")) {
        parts.pop();
    }
    Ok(Value::from(parts))
}

/// `split(" ", limit)`: whitespace-separated fields; the last field keeps the rest of the text.
fn awk_split(text: &str, limit: usize) -> Vec<&str> {
    let mut fields = Vec::new();
    let mut rest = text.trim_start_matches(is_awk_space);
    while !rest.is_empty() {
        if fields.len() + 1 >= limit {
            fields.push(rest);
            break;
        }
        let end = rest.find(is_awk_space).unwrap_or(rest.len());
        fields.push(&rest[..end]);
        rest = rest[end..].trim_start_matches(is_awk_space);
    }
    fields
}

/// `truncate: length, ellipsis`: at most `length` characters, the ellipsis (default `...`)
/// counted in.
pub(super) fn truncate(input: &Value, args: &[Value]) -> Result<Value, Error> {
    if nil(input) {
        return Ok(Value::from(()));
    }
    let text = to_s(input);
    let length = match opt_arg(args, 0) {
        Some(length) => to_integer(length)?,
        None => 50,
    };
    let ellipsis = opt_arg(args, 1).map_or("...".into(), to_s);
    let char_count = text.chars().count();
    if (char_count as i128) <= i128::from(length) {
        return Ok(Value::from(text.into_owned()));
    }
    let keep = (i128::from(length) - ellipsis.chars().count() as i128).max(0) as usize;
    let mut out: String = text.chars().take(keep).collect();
    out.push_str(&ellipsis);
    Ok(Value::from(out))
}

/// `truncatewords: words, ellipsis`: the first `words` words (at least one) joined by single
/// spaces, the ellipsis added when anything was cut.
pub(super) fn truncatewords(input: &Value, args: &[Value]) -> Result<Value, Error> {
    if nil(input) {
        return Ok(Value::from(()));
    }
    let text = to_s(input);
    let words = match opt_arg(args, 0) {
        Some(words) => to_integer(words)?,
        None => 15,
    };
    let words = usize::try_from(words.max(1)).unwrap_or(usize::MAX);
    let mut fields = awk_split(&text, words.saturating_add(1));
    if fields.len() <= words {
        return Ok(Value::from(text.into_owned()));
    }
    fields.pop();
    let ellipsis = opt_arg(args, 1).map_or("...".into(), to_s);
    let mut out = fields.join(" ");
    out.push_str(&ellipsis);
    Ok(Value::from(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::theme::engine::liquid::filters::output;

    fn run(f: super::super::FilterFn, input: impl Into<Value>, args: &[Value]) -> String {
        output(&f(&input.into(), args).expect("filter result"))
    }

    fn s(text: &str) -> Value {
        Value::from(text)
    }

    #[test]
    fn case_and_concatenation() {
        assert_eq!(run(append, 5, &[s("there")]), "5there");
        assert_eq!(run(append, s("hi"), &[Value::UNDEFINED]), "hi");
        assert_eq!(run(prepend, s("hello"), &[Value::from(5)]), "5hello");
        assert_eq!(run(upcase, s("hello"), &[]), "HELLO");
        assert_eq!(run(downcase, Value::UNDEFINED, &[]), "");
        assert_eq!(run(capitalize, s("hELLO world"), &[]), "Hello world");
        assert_eq!(
            run(append, Value::from(vec![s("a")]), &[s("!")]),
            "[\"a\"]!"
        );
    }

    #[test]
    fn stripping() {
        let padded = " \t\r\n  hello  \t\r\n ";
        assert_eq!(run(strip, s(padded), &[]), "hello");
        assert_eq!(run(lstrip, s(padded), &[]), "hello  \t\r\n ");
        assert_eq!(run(rstrip, s(padded), &[]), " \t\r\n  hello");
        assert_eq!(
            run(newline_to_br, s("a\nb\r\nc"), &[]),
            "a<br />\nb<br />\nc"
        );
        assert_eq!(run(strip_newlines, s("a\nb\r\nc\r"), &[]), "abc\r");
        assert_eq!(run(squish, s("  a \t\n b  c "), &[]), "a b c");
        assert_eq!(run(squish, Value::from(5), &[]), "5");
    }

    #[test]
    fn removing_and_replacing() {
        let text = s("I strained to see the train through the rain");
        assert_eq!(
            run(remove, text.clone(), &[s("rain")]),
            "I sted to see the t through the "
        );
        assert_eq!(
            run(remove_first, text.clone(), &[s("rain")]),
            "I sted to see the train through the rain"
        );
        assert_eq!(
            run(remove_last, text, &[s("rain")]),
            "I strained to see the train through the "
        );
        assert_eq!(run(replace, s("hello"), &[s("ll")]), "heo");
        assert_eq!(
            run(replace, s("abc"), &[Value::UNDEFINED, s("#")]),
            "#a#b#c#"
        );
        assert_eq!(
            run(replace_first, s("abc"), &[Value::UNDEFINED, s("#")]),
            "#abc"
        );
        assert_eq!(
            run(replace_last, s("abc"), &[Value::UNDEFINED, s("#")]),
            "abc#"
        );
        assert_eq!(
            run(replace_first, s("hello5"), &[Value::from(5), s("!")]),
            "hello!"
        );
        let object = Value::from(minijinja::value::Serde(serde_json::json!({})));
        assert_eq!(run(replace, object, &[s("{"), s("!")]), "!}");
    }

    #[test]
    fn slicing() {
        assert_eq!(
            run(slice, s("hello"), &[Value::from(1), Value::from(3)]),
            "ell"
        );
        assert_eq!(
            run(slice, s("Liquid"), &[Value::from(-2), Value::from(99)]),
            "id"
        );
        assert_eq!(
            run(slice, s("Liquid"), &[Value::from(-2), Value::from(-1)]),
            ""
        );
        assert_eq!(run(slice, s("hello"), &[s("2")]), "l");
        assert_eq!(run(slice, s("hello"), &[Value::from(99)]), "");
        assert_eq!(
            run(slice, s("hello"), &[Value::from(1), Value::UNDEFINED]),
            "e"
        );
        assert_eq!(run(slice, 5, &[Value::from(1)]), "");
        assert!(slice(&s("Liquid"), &[Value::from(2.2)]).is_err());
        assert!(slice(&s("hello"), &[Value::UNDEFINED]).is_err());
        let numbers = Value::from(vec![1, 2, 3, 4, 5]);
        let picked = slice(&numbers, &[Value::from(2), Value::from(3)]).expect("slice");
        assert_eq!(picked.len(), Some(3));
    }

    fn parts(value: Value) -> Vec<String> {
        value
            .try_iter()
            .expect("a list")
            .map(|part| part.to_string())
            .collect()
    }

    #[test]
    fn splitting() {
        let split_by =
            |text: &str, pattern: Value| parts(split(&s(text), &[pattern]).expect("split"));
        assert_eq!(split_by("a b\nc", s(" ")), ["a", "b", "c"]);
        assert_eq!(split_by("  a  b ", s(" ")), ["a", "b"]);
        assert_eq!(split_by("abc", s("")), ["a", "b", "c"]);
        assert_eq!(split_by("a,b,,", s(",")), ["a", "b"]);
        assert_eq!(split_by(",", s(",")), Vec::<String>::new());
        assert_eq!(split_by("", s("")), Vec::<String>::new());
        assert_eq!(split_by(",a", s(",")), ["", "a"]);
        assert_eq!(
            split_by("hello th1ere", Value::from(1)),
            ["hello th", "ere"]
        );
        assert_eq!(split_by("Hi there", Value::from(false)), ["Hi there"]);
        assert_eq!(split_by("ab", Value::UNDEFINED), ["a", "b"]);
    }

    #[test]
    fn truncating() {
        let text = s("Ground control to Major Tom.");
        assert_eq!(
            run(truncate, text.clone(), &[Value::from(20)]),
            "Ground control to..."
        );
        assert_eq!(
            run(truncate, text.clone(), &[Value::from(25), s(", and so on")]),
            "Ground control, and so on"
        );
        assert_eq!(
            run(truncate, text.clone(), &[Value::from(20), Value::UNDEFINED]),
            "Ground control to Ma"
        );
        assert!(truncate(&text, &[Value::UNDEFINED]).is_err());
        assert_eq!(run(truncate, s("short"), &[Value::from(-1)]), "...");
        assert_eq!(
            run(truncatewords, text.clone(), &[Value::from(3)]),
            "Ground control to..."
        );
        assert_eq!(
            run(
                truncatewords,
                s("    one    two three    four  "),
                &[Value::from(2)]
            ),
            "one two..."
        );
        assert_eq!(
            run(truncatewords, s("one two three four"), &[Value::from(0)]),
            "one..."
        );
        assert_eq!(
            run(
                truncatewords,
                s("one two three"),
                &[Value::from(2), Value::from(1)]
            ),
            "one two1"
        );
        assert_eq!(
            run(truncatewords, s("测试测试测试测试"), &[Value::from(5)]),
            "测试测试测试测试"
        );
        assert_eq!(
            run(truncatewords, s("Ground control"), &[Value::from(3)]),
            "Ground control"
        );
    }

    #[test]
    fn slicing_counts_characters_not_bytes() {
        assert_eq!(char_slice("héllo", 1, 3), "éll");
        assert_eq!(char_slice("héllo", -4, 2), "él");
        assert_eq!(char_slice("héllo", 5, 1), "");
        assert_eq!(char_slice("héllo", 4, 10), "o");
        assert_eq!(char_slice("héllo", -6, 1), "");
        assert_eq!(char_slice("héllo", 0, 0), "");
    }

    proptest::proptest! {
        #[test]
        fn char_slice_agrees_with_rubys_definition(text in "[a-cé漢]{0,8}", offset in -10i64..10, length in -2i64..10) {
            let chars: Vec<char> = text.chars().collect();
            let expected: String = slice_range(chars.len(), offset, length)
                .map(|(start, end)| chars[start..end].iter().collect())
                .unwrap_or_default();
            proptest::prop_assert_eq!(char_slice(&text, offset, length), expected);
        }
    }
}
