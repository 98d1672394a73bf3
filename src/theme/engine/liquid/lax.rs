//! The lax reading of tag and output markup, as Ruby Liquid's lax parser reads it: used only
//! where the strict parser refused the markup (see `parser.rs`), so a theme renders as a Shopify
//! storefront renders it. Ruby's lax parser works with regular expressions over "fragments"
//! (runs of characters without whitespace, commas or pipes, with quoted strings inside them);
//! junk it does not recognise is skipped. The rules here follow that behaviour:
//!
//! - an output is its first fragment, then filters after the first `|`; each filter is the
//!   first word of the text up to the next `|`, its arguments the fragments after a `:` or `,`
//!   (`{{ x | }}` has no filter, `{{ x | append: 'a', }}` one argument, `{{ a b }}` is `a`);
//! - a condition splits on the words `and`/`or`; each part is a fragment, an optional operator
//!   and an optional fragment, and the rest is ignored (`(a and b)` reads `a` and `b`); an
//!   operator Liquid does not know (`=`, `not`, `in`) stays an error;
//! - a `when` reads fragments joined by `,` or `or` from its first one and stops at anything
//!   else (`when 'a' and 'b', 'c'` is `when 'a'`);
//! - `for`, `assign`, `capture`, `include`/`render` read their parts where Ruby's patterns find
//!   them and `key: value` attributes anywhere in the markup.

use super::expr::{CmpOp, Condition, Expr, Filter, Filtered, Path, PathRoot, Segment};

/// Ruby's `\s`.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// Ruby's `\w` (ASCII only, as in Ruby's regular expressions).
fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The end (after the closing quote) of the quoted string opening at `i`, if it is closed.
fn quoted_end(s: &[u8], i: usize) -> Option<usize> {
    let quote = *s.get(i)?;
    if quote != b'\'' && quote != b'"' {
        return None;
    }
    memchr::memchr(quote, &s[i + 1..]).map(|end| i + end + 2)
}

/// The end of Liquid's `QuotedFragment` starting at `i`: a quoted string on its own, or a run
/// of characters other than whitespace, `,`, `|` and quotes, with quoted strings inside it.
fn fragment_end(s: &[u8], i: usize) -> Option<usize> {
    if let Some(end) = quoted_end(s, i) {
        return Some(end);
    }
    let mut j = i;
    while j < s.len() {
        let c = s[j];
        if c == b'\'' || c == b'"' {
            match quoted_end(s, j) {
                Some(end) => j = end,
                None => break,
            }
        } else if is_space(c) || c == b',' || c == b'|' {
            break;
        } else {
            j += 1;
        }
    }
    (j > i).then_some(j)
}

/// The first fragment at or after `i`, as (start, end).
fn find_fragment(s: &[u8], mut i: usize) -> Option<(usize, usize)> {
    while i < s.len() {
        if let Some(end) = fragment_end(s, i) {
            return Some((i, end));
        }
        i += 1;
    }
    None
}

fn skip_space(s: &[u8], mut i: usize) -> usize {
    while i < s.len() && is_space(s[i]) {
        i += 1;
    }
    i
}

/// A value as Ruby's `Expression.parse` reads a fragment. `condition`: `blank`/`empty` are
/// the comparison literals (in a plain value both are an empty string).
pub fn expr(markup: &str, condition: bool) -> Expr {
    let m = markup.trim_matches(|c: char| c.is_ascii() && is_space(c as u8));
    let b = m.as_bytes();
    if b.len() >= 2
        && ((b[0] == b'"' && b[b.len() - 1] == b'"') || (b[0] == b'\'' && b[b.len() - 1] == b'\''))
    {
        return Expr::Str(m[1..m.len() - 1].to_string());
    }
    match m {
        "" | "nil" | "null" | "-" => return Expr::Nil,
        "true" => return Expr::Bool(true),
        "false" => return Expr::Bool(false),
        "blank" if condition => return Expr::Blank,
        "empty" if condition => return Expr::Empty,
        "blank" | "empty" => return Expr::Str(String::new()),
        _ => {}
    }
    if let Some(range) = range(m) {
        return range;
    }
    if let Some(number) = number(m) {
        return number;
    }
    lookup(m)
}

/// `(a..b)`: the longest run without whitespace before `..`, then one more run and `)`.
fn range(m: &str) -> Option<Expr> {
    let inner = m.strip_prefix('(')?.strip_suffix(')')?;
    let inner = inner.trim_start_matches(|c: char| c.is_ascii() && is_space(c as u8));
    let first_space = inner.bytes().position(is_space).unwrap_or(inner.len());
    let start = (1..=first_space).rev().find(|&end| {
        inner.is_char_boundary(end)
            && inner[end..]
                .trim_start_matches(|c: char| c.is_ascii() && is_space(c as u8))
                .starts_with("..")
    })?;
    let after = inner[start..].trim_start_matches(|c: char| c.is_ascii() && is_space(c as u8));
    let end = after[2..].trim_matches(|c: char| c.is_ascii() && is_space(c as u8));
    if end.is_empty() || end.bytes().any(is_space) {
        return None;
    }
    Some(Expr::Range(
        Box::new(expr(&inner[..start], false)),
        Box::new(expr(end, false)),
    ))
}

/// Digits and dots after an optional `-`: the number its leading `-?\d+(\.\d+)?` spells
/// (`1.2.3` is 1.2, `5.` is 5.0); anything else is not a number.
fn number(m: &str) -> Option<Expr> {
    let digits = m.strip_prefix('-').unwrap_or(m);
    if !digits.bytes().next().is_some_and(|b| b.is_ascii_digit()) {
        return None;
    }
    if !digits.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    if !digits.contains('.') {
        return Some(match m.parse::<i64>() {
            Ok(int) => Expr::Int(int),
            Err(_) => Expr::Float(m.parse().ok()?),
        });
    }
    let sign = m.len() - digits.len();
    let int_end = sign
        + digits
            .bytes()
            .position(|b| b == b'.')
            .unwrap_or(digits.len());
    let frac = m[int_end + 1..]
        .bytes()
        .take_while(u8::is_ascii_digit)
        .count();
    let text = if frac == 0 {
        &m[..int_end]
    } else {
        &m[..int_end + 1 + frac]
    };
    text.parse().ok().map(Expr::Float)
}

/// A variable path as Ruby's `VariableLookup` reads it: the bracketed parts and the runs of
/// word characters and `-` (with an optional `?`), whatever stands between them.
fn lookup(m: &str) -> Expr {
    let s = m.as_bytes();
    let mut parts: Vec<&str> = Vec::new();
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'[' {
            let mut depth = 0usize;
            let mut j = i;
            let mut closed = None;
            while j < s.len() {
                match s[j] {
                    b'[' => depth += 1,
                    b']' => {
                        depth -= 1;
                        if depth == 0 {
                            closed = Some(j);
                            break;
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            if let Some(end) = closed {
                parts.push(&m[i..=end]);
                i = end + 1;
                continue;
            }
        }
        if is_word(s[i]) || s[i] == b'-' {
            let start = i;
            while i < s.len() && (is_word(s[i]) || s[i] == b'-') {
                i += 1;
            }
            if s.get(i) == Some(&b'?') {
                i += 1;
            }
            parts.push(&m[start..i]);
            continue;
        }
        i += 1;
    }
    let mut parts = parts.into_iter();
    let Some(first) = parts.next() else {
        return Expr::Nil;
    };
    let bracketed = |part: &str| {
        part.strip_prefix('[')
            .and_then(|p| p.strip_suffix(']'))
            .map(|inner| expr(inner, false))
    };
    let root = match bracketed(first) {
        Some(index) => PathRoot::Index(Box::new(index)),
        None => PathRoot::Name(first.to_string()),
    };
    let segments = parts
        .map(|part| match bracketed(part) {
            Some(index) => Segment::Index(index),
            None => Segment::Attr(part.to_string()),
        })
        .collect();
    Expr::Path(Path { root, segments })
}

/// An output's markup (also `echo` and the value of `assign`).
pub fn filtered(markup: &str) -> Filtered {
    let s = markup.as_bytes();
    let Some((start, end)) = find_fragment(s, 0) else {
        return Filtered {
            expr: Expr::Nil,
            filters: Vec::new(),
        };
    };
    let value = expr(&markup[start..end], false);
    let rest = &markup[end..];
    let mut filters = Vec::new();
    if let Some(pipe) = rest.find('|') {
        for chunk in filter_chunks(&rest[pipe + 1..]) {
            if let Some(filter) = filter(chunk) {
                filters.push(filter);
            }
        }
    }
    Filtered {
        expr: value,
        filters,
    }
}

/// The text of each filter: split at `|` and at quotes that never close; quoted strings are
/// kept whole.
fn filter_chunks(markup: &str) -> Vec<&str> {
    let s = markup.as_bytes();
    let mut chunks = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'\'' | b'"' => match quoted_end(s, i) {
                Some(end) => i = end,
                None => {
                    chunks.push(&markup[start..i]);
                    i += 1;
                    start = i;
                }
            },
            b'|' => {
                chunks.push(&markup[start..i]);
                i += 1;
                start = i;
            }
            _ => i += 1,
        }
    }
    chunks.push(&markup[start..]);
    chunks
}

/// One filter: its name is the first word; each argument follows a `:` or `,`, and one that
/// reads `key: value` is a keyword argument.
fn filter(chunk: &str) -> Option<Filter> {
    let s = chunk.as_bytes();
    let name_start = s.iter().position(|&b| is_word(b))?;
    let name_end = s[name_start..]
        .iter()
        .position(|&b| !is_word(b))
        .map_or(s.len(), |p| name_start + p);
    let mut filter = Filter {
        name: chunk[name_start..name_end].to_string(),
        args: Vec::new(),
        kwargs: Vec::new(),
    };
    let mut i = 0;
    while i < s.len() {
        if s[i] != b':' && s[i] != b',' {
            i += 1;
            continue;
        }
        let at = skip_space(s, i + 1);
        match argument_end(s, at) {
            Some(end) => {
                let argument = &chunk[at..end];
                match attribute(argument) {
                    Some((key, value)) => {
                        filter.kwargs.push((key.to_string(), expr(value, false)));
                    }
                    _ => filter.args.push(expr(argument, false)),
                }
                i = end;
            }
            None => i += 1,
        }
    }
    Some(filter)
}

/// `(\w+\s*:\s*)?QuotedFragment` at `i`.
fn argument_end(s: &[u8], i: usize) -> Option<usize> {
    let mut j = i;
    while j < s.len() && is_word(s[j]) {
        j += 1;
    }
    if j > i {
        let colon = skip_space(s, j);
        if s.get(colon) == Some(&b':')
            && let Some(end) = fragment_end(s, skip_space(s, colon + 1))
        {
            return Some(end);
        }
    }
    fragment_end(s, i)
}

/// `key: value` filling the whole of `text` (`\w[\w-]*\s*:\s*QuotedFragment`).
fn attribute(text: &str) -> Option<(&str, &str)> {
    let s = text.as_bytes();
    let (key_end, value_start, value_end) = attribute_at(s, 0)?;
    (value_end == s.len()).then(|| (&text[..key_end], &text[value_start..value_end]))
}

/// A `key: value` attribute starting at `i`: (key end, value start, value end).
fn attribute_at(s: &[u8], i: usize) -> Option<(usize, usize, usize)> {
    if !s.get(i).copied().is_some_and(is_word) {
        return None;
    }
    let mut j = i + 1;
    while j < s.len() && (is_word(s[j]) || s[j] == b'-') {
        j += 1;
    }
    let colon = skip_space(s, j);
    if s.get(colon) != Some(&b':') {
        return None;
    }
    let value_start = skip_space(s, colon + 1);
    let value_end = fragment_end(s, value_start)?;
    Some((j, value_start, value_end))
}

/// Every `key: value` in the markup, in order (Liquid's `TagAttributes` scan).
pub fn attributes(markup: &str) -> Vec<(String, String)> {
    let s = markup.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < s.len() {
        match attribute_at(s, i) {
            Some((key_end, value_start, value_end)) => {
                out.push((
                    markup[i..key_end].to_string(),
                    markup[value_start..value_end].to_string(),
                ));
                i = value_end;
            }
            None => i += 1,
        }
    }
    out
}

/// The markup of `if`, `elsif` and `unless`. Errors say why even the lax reading fails.
pub fn condition(markup: &str) -> Result<Condition, String> {
    let s = markup.as_bytes();
    // Runs without whitespace (quoted strings may hold some); `and`/`or` on their own join.
    let mut parts: Vec<(usize, usize)> = Vec::new();
    let mut i = skip_space(s, 0);
    while i < s.len() {
        let start = i;
        while i < s.len() && !is_space(s[i]) {
            i = quoted_end(s, i).unwrap_or(i + 1);
        }
        parts.push((start, i));
        i = skip_space(s, i);
    }
    let mut comparisons: Vec<&str> = Vec::new();
    let mut operators: Vec<&str> = Vec::new();
    let mut segment: Option<(usize, usize)> = None;
    for (start, end) in parts {
        let word = &markup[start..end];
        if word == "and" || word == "or" {
            let (from, to) = segment.take().ok_or("'and'/'or' without a condition")?;
            comparisons.push(&markup[from..to]);
            operators.push(word);
        } else {
            segment = Some((segment.map_or(start, |(from, _)| from), end));
        }
    }
    let (from, to) = segment.ok_or("a condition is missing")?;
    comparisons.push(&markup[from..to]);
    let mut condition = comparison(comparisons.pop().unwrap_or_default())?;
    while let (Some(op), Some(text)) = (operators.pop(), comparisons.pop()) {
        let left = Box::new(comparison(text)?);
        condition = if op == "and" {
            Condition::And(left, Box::new(condition))
        } else {
            Condition::Or(left, Box::new(condition))
        };
    }
    Ok(condition)
}

/// A fragment, an optional operator and an optional fragment; the rest is ignored.
fn comparison(text: &str) -> Result<Condition, String> {
    let s = text.as_bytes();
    let (start, end) = find_fragment(s, 0).ok_or("a condition is missing")?;
    let left = expr(&text[start..end], true);
    let op_start = skip_space(s, end);
    let mut op_end = op_start;
    while op_end < s.len() && matches!(s[op_end], b'=' | b'!' | b'<' | b'>' | b'a'..=b'z' | b'_') {
        op_end += 1;
    }
    if op_end == op_start {
        return Ok(Condition::Value(left));
    }
    let op = match &text[op_start..op_end] {
        "==" => CmpOp::Eq,
        "!=" | "<>" => CmpOp::Ne,
        "<" => CmpOp::Lt,
        ">" => CmpOp::Gt,
        "<=" => CmpOp::Le,
        ">=" => CmpOp::Ge,
        "contains" => CmpOp::Contains,
        other => return Err(format!("unknown operator '{other}'")),
    };
    let right_start = skip_space(s, op_end);
    let right = match fragment_end(s, right_start) {
        Some(right_end) => expr(&text[right_start..right_end], true),
        None => Expr::Nil,
    };
    Ok(Condition::Compare(left, op, right))
}

/// The subject of `case`: its first fragment.
pub fn case_subject(markup: &str) -> Result<Expr, String> {
    let (start, end) = find_fragment(markup.as_bytes(), 0).ok_or("'case' needs a value")?;
    Ok(expr(&markup[start..end], false))
}

/// The values of a `when`: a fragment, then more while `,` or ` or ` joins the next one.
pub fn when_values(markup: &str) -> Result<Vec<Expr>, String> {
    let s = markup.as_bytes();
    let (start, mut end) = find_fragment(s, 0).ok_or("'when' needs a value")?;
    let mut values = vec![expr(&markup[start..end], true)];
    loop {
        let gap = skip_space(s, end);
        let next = if s.get(gap) == Some(&b',') {
            skip_space(s, gap + 1)
        } else if gap > end
            && markup[gap..].starts_with("or")
            && s.get(gap + 2).is_some_and(|&b| is_space(b))
        {
            skip_space(s, gap + 2)
        } else {
            break;
        };
        match fragment_end(s, next) {
            Some(next_end) => {
                values.push(expr(&markup[next..next_end], true));
                end = next_end;
            }
            None => break,
        }
    }
    Ok(values)
}

/// What the lax reading of a `for` tag finds.
pub struct LaxFor {
    pub var: String,
    pub collection: Expr,
    pub collection_markup: String,
    pub reversed: bool,
    pub limit: Option<Expr>,
    /// `offset: continue` is `Some(None)`.
    pub offset: Option<Option<Expr>>,
}

/// `var in collection [reversed]` at the start, `limit:`/`offset:` anywhere.
pub fn for_loop(markup: &str) -> Result<LaxFor, String> {
    let s = markup.as_bytes();
    let var_end = s
        .iter()
        .position(|&b| !(is_word(b) || b == b'-'))
        .unwrap_or(s.len());
    let in_at = skip_space(s, var_end);
    let after_in = in_at + 2;
    if var_end == 0
        || in_at == var_end
        || !markup[in_at..].starts_with("in")
        || !s.get(after_in).copied().is_some_and(is_space)
    {
        return Err("expected 'variable in collection'".into());
    }
    let start = skip_space(s, after_in);
    let mut end = fragment_end(s, start).ok_or("expected a collection after 'in'")?;
    while let Some(next) = fragment_end(s, end) {
        end = next;
    }
    let collection_markup = markup[start..end].to_string();
    let reversed = markup[skip_space(s, end)..].starts_with("reversed");
    let mut limit = None;
    let mut offset = None;
    for (key, value) in attributes(markup) {
        match key.as_str() {
            "limit" => limit = Some(expr(&value, false)),
            "offset" if value == "continue" => offset = Some(None),
            "offset" => offset = Some(Some(expr(&value, false))),
            _ => {}
        }
    }
    Ok(LaxFor {
        var: markup[..var_end].to_string(),
        collection: expr(&collection_markup, false),
        collection_markup,
        reversed,
        limit,
        offset,
    })
}

/// What the lax reading of a `tablerow` tag finds.
pub struct LaxTablerow {
    pub var: String,
    pub collection: Expr,
    /// Every `key: value` attribute, in order (Liquid uses `cols`, `limit` and `offset`).
    pub attributes: Vec<(String, String)>,
}

/// `tablerow`: the first `word in collection`, and every `key: value` attribute.
pub fn tablerow(markup: &str) -> Result<LaxTablerow, String> {
    let s = markup.as_bytes();
    let mut i = 0;
    while i < s.len() {
        if !is_word(s[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < s.len() && is_word(s[i]) {
            i += 1;
        }
        let in_at = skip_space(s, i);
        let after_in = in_at + 2;
        let collection_start = skip_space(s, after_in.min(s.len()));
        if in_at > i
            && markup[in_at..].starts_with("in")
            && s.get(after_in).copied().is_some_and(is_space)
            && let Some(mut end) = fragment_end(s, collection_start)
        {
            while let Some(next) = fragment_end(s, end) {
                end = next;
            }
            return Ok(LaxTablerow {
                var: markup[start..i].to_string(),
                collection: expr(&markup[collection_start..end], false),
                attributes: attributes(markup),
            });
        }
    }
    Err("expected 'variable in collection'".into())
}

/// Liquid's `VariableSignature` characters (a tag's target name and what may surround it).
fn is_signature(b: u8) -> bool {
    is_word(b) || matches!(b, b'-' | b'.' | b'[' | b']' | b'(' | b')')
}

/// `assign`: the first name followed by `=`, and the markup of its value.
pub fn assign(markup: &str) -> Result<(String, &str), String> {
    let s = markup.as_bytes();
    let mut i = 0;
    while i < s.len() {
        if !is_signature(s[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < s.len() && is_signature(s[i]) {
            i += 1;
        }
        let eq = skip_space(s, i);
        if s.get(eq) == Some(&b'=') {
            let name = simple_name(&markup[start..i])?;
            return Ok((name, &markup[eq + 1..]));
        }
    }
    Err("expected 'name = value'".into())
}

/// `capture`: the first name in the markup.
pub fn capture(markup: &str) -> Result<String, String> {
    let s = markup.as_bytes();
    let start = s
        .iter()
        .position(|&b| is_signature(b))
        .ok_or("'capture' needs a variable name")?;
    let end = s[start..]
        .iter()
        .position(|&b| !is_signature(b))
        .map_or(s.len(), |p| start + p);
    simple_name(&markup[start..end])
}

/// A target name the tree can hold: word characters and `-`, not starting with `-` (Ruby
/// would assign to names like `a.b`, which no lookup can read back).
fn simple_name(name: &str) -> Result<String, String> {
    let ok =
        !name.is_empty() && !name.starts_with('-') && name.bytes().all(|b| is_word(b) || b == b'-');
    if ok {
        Ok(name.to_string())
    } else {
        Err(format!("'{name}' is not a variable name"))
    }
}

/// What the lax reading of `render`/`include` finds: the quoted name, `with`/`for` and its
/// value, `as` and an alias, and every `key: value` attribute.
pub struct LaxPartial {
    pub name: String,
    pub bound: Option<(bool, Expr)>,
    pub alias: Option<String>,
    pub kwargs: Vec<(String, Expr)>,
}

pub fn partial(markup: &str) -> Result<LaxPartial, String> {
    let s = markup.as_bytes();
    let (start, mut end) = (0..s.len())
        .find_map(|i| quoted_end(s, i).map(|end| (i, end)))
        .ok_or("expected the template name as a quoted string")?;
    while let Some(next) = quoted_end(s, end) {
        end = next;
    }
    let name = markup[start + 1..end - 1].to_string();
    let mut bound = None;
    let mut alias = None;
    let mut at = end;
    let gap = skip_space(s, at);
    if gap > at {
        let keyword = ["with", "for"]
            .into_iter()
            .find(|k| markup[gap..].starts_with(k));
        if let Some(keyword) = keyword {
            let value_start = skip_space(s, gap + keyword.len());
            if value_start > gap + keyword.len()
                && let Some(mut value_end) = fragment_end(s, value_start)
            {
                while let Some(next) = fragment_end(s, value_end) {
                    value_end = next;
                }
                bound = Some((
                    keyword == "for",
                    expr(&markup[value_start..value_end], false),
                ));
                at = value_end;
            }
        }
    }
    let gap = skip_space(s, at);
    if gap > at && markup[gap..].starts_with("as") {
        let alias_start = skip_space(s, gap + 2);
        let alias_end = s[alias_start..]
            .iter()
            .position(|&b| !(is_word(b) || b == b'-'))
            .map_or(s.len(), |p| alias_start + p);
        if alias_start > gap + 2 && alias_end > alias_start {
            alias = Some(markup[alias_start..alias_end].to_string());
        }
    }
    let kwargs = attributes(markup)
        .into_iter()
        .map(|(key, value)| {
            let value = expr(&value, false);
            (key, value)
        })
        .collect();
    Ok(LaxPartial {
        name,
        bound,
        alias,
        kwargs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(n: &str) -> Expr {
        Expr::Path(Path {
            root: PathRoot::Name(n.into()),
            segments: Vec::new(),
        })
    }

    #[test]
    fn values_as_ruby_reads_fragments() {
        assert_eq!(expr("'a b'", false), Expr::Str("a b".into()));
        assert_eq!(expr("1.2.3", false), Expr::Float(1.2));
        assert_eq!(expr("5.", false), Expr::Float(5.0));
        assert_eq!(expr("-3", false), Expr::Int(-3));
        assert_eq!(expr("empty", false), Expr::Str(String::new()));
        assert_eq!(expr("empty", true), Expr::Empty);
        assert_eq!(
            expr("(1..n)", false),
            Expr::Range(Box::new(Expr::Int(1)), Box::new(name("n")))
        );
        // Junk between the parts of a path is skipped: `(a` is `a`, `a..b` is `a.b`.
        assert_eq!(expr("(a", false), name("a"));
        assert_eq!(
            expr("a..b", false),
            Expr::Path(Path {
                root: PathRoot::Name("a".into()),
                segments: vec![Segment::Attr("b".into())]
            })
        );
        assert_eq!(expr("@@", false), Expr::Nil);
        // Byte positions inside a character are never split.
        assert!(matches!(expr("(é€..é)", false), Expr::Range(..)));
    }

    #[test]
    fn outputs_keep_the_first_fragment_and_the_filters_they_can_read() {
        let f = filtered(" x | ");
        assert_eq!((f.expr, f.filters.len()), (name("x"), 0));
        let f = filtered("x | append: 'a', ");
        assert_eq!(f.filters[0].args, vec![Expr::Str("a".into())]);
        let f = filtered("a b | upcase");
        assert_eq!((f.expr, f.filters[0].name.as_str()), (name("a"), "upcase"));
        let f = filtered("x | default: 'a', allow_false: true");
        assert_eq!(f.filters[0].args, vec![Expr::Str("a".into())]);
        assert_eq!(
            f.filters[0].kwargs,
            vec![("allow_false".to_string(), Expr::Bool(true))]
        );
        // An argument needs a `:` or `,` before it.
        let f = filtered("x | append: 'a' 'b'");
        assert_eq!(f.filters[0].args, vec![Expr::Str("a".into())]);
        let f = filtered("'a|b' | size");
        assert_eq!(f.expr, Expr::Str("a|b".into()));
    }

    #[test]
    fn conditions_split_on_and_or_and_ignore_the_rest() {
        let c = condition("(a and b) or c").unwrap();
        assert_eq!(
            c,
            Condition::And(
                Box::new(Condition::Value(name("a"))),
                Box::new(Condition::Or(
                    Box::new(Condition::Value(name("b"))),
                    Box::new(Condition::Value(name("c")))
                ))
            )
        );
        assert_eq!(
            condition("a == 'x' junk").unwrap(),
            Condition::Compare(name("a"), CmpOp::Eq, Expr::Str("x".into()))
        );
        assert!(condition("a = b").is_err());
        assert!(condition("not a").is_err());
        assert!(condition("a and").is_err());
    }

    #[test]
    fn when_values_stop_at_what_is_not_a_separator() {
        assert_eq!(
            when_values("'bar' and 'Hello', 'Hello'").unwrap(),
            vec![Expr::Str("bar".into())]
        );
        assert_eq!(
            when_values("1, 2 or 3").unwrap(),
            vec![Expr::Int(1), Expr::Int(2), Expr::Int(3)]
        );
        assert!(when_values("  ").is_err());
    }

    #[test]
    fn for_assign_and_partials() {
        let f = for_loop("item in items limit:2, junk").unwrap();
        assert_eq!(
            (f.var.as_str(), f.collection_markup.as_str()),
            ("item", "items")
        );
        assert_eq!(f.limit, Some(Expr::Int(2)));
        assert_eq!(assign("x = y z").unwrap(), ("x".to_string(), " y z"));
        assert!(assign("x? = 1").is_err());
        let p = partial("'card' product: p, , size: 2,").unwrap();
        assert_eq!(p.name, "card");
        assert_eq!(p.kwargs.len(), 2);
    }

    /// Renders in lax mode (as a theme does).
    fn lax(source: &str, data: serde_json::Value) -> Result<String, String> {
        use super::super::{LiquidTemplate, Mode, Snippets};
        LiquidTemplate::with_mode("t.liquid", source, Snippets::None, Mode::Lax)
            .and_then(|t| t.render_json(&data))
            .map_err(|e| e.to_string())
    }

    fn strict_fails(source: &str) -> bool {
        use super::super::{LiquidTemplate, Snippets};
        LiquidTemplate::new("t.liquid", source, Snippets::None).is_err()
    }

    /// Each case: Ruby Liquid 5.13 renders it so in lax mode (its own tests), strict parsing
    /// refuses it.
    #[test]
    fn lax_readings_render_as_ruby_liquid_does() {
        let none = serde_json::json!({});
        let cases: &[(&str, serde_json::Value, &str)] = &[
            (
                "{% if a == 'foo' or (b == 'bar' and c == 'baz') or false %} YES {% endif %}",
                serde_json::json!({"b": "bar", "c": "baz"}),
                " YES ",
            ),
            (
                "{% if true && false %} YES {% endif %}",
                none.clone(),
                " YES ",
            ),
            ("{% if false || true %} YES {% endif %}", none.clone(), ""),
            (
                "{{ 'hi there' | split$$$:' ' | first }}",
                none.clone(),
                "hi",
            ),
            ("{{ 'X' | downcase) }}", none.clone(), "x"),
            (
                "{{ 'hi there' | split:\"t\"\" | reverse | first}}",
                none.clone(),
                "here",
            ),
            (
                "{{ 'hi there' | split:\"t\"\" | remove:\"i\" | first}}",
                none.clone(),
                "hi ",
            ),
            (
                "{% assign 123foo = 'bar' %}{{ 123foo }}",
                none.clone(),
                "bar",
            ),
            (
                "{% for i in (1...5) %}{{ i }}{% endfor %}",
                none.clone(),
                "12345",
            ),
            (
                "{{ false - }}{{ false > }}{{ false = }}{{ false 1 }}",
                none.clone(),
                "falsefalsefalsefalse",
            ),
            (
                "{% liquid assign foo = false -\n%}{{ foo }}",
                none.clone(),
                "false",
            ),
            ("{{ - 'theme.css' - }}", none.clone(), ""),
            ("{{['foo'}}", serde_json::json!({"foo": "bar"}), "bar"),
            (
                "{%- case foo=>bar -%}{%- when 'baz' -%}one{%- else -%}two{%- endcase -%}",
                serde_json::json!({"foo": {"bar": "baz"}}),
                "one",
            ),
            (
                "{%- case 1 bar -%}{%- when 1 -%}one{%- else -%}two{%- endcase -%}",
                none.clone(),
                "one",
            ),
            (
                "{%- case 1 -%}{%- when 1 bar -%}one{%- else -%}two{%- endcase -%}",
                none.clone(),
                "one",
            ),
            (
                "{{ \"hello\" | append: \"world\", }}",
                none.clone(),
                "helloworld",
            ),
            (
                "{{ \"hello\" | append: \"1\", | append: \"2\", }}",
                none.clone(),
                "hello12",
            ),
            // golden-liquid's `tags, case, unexpected when token`: the `when` is `'bar'` alone.
            (
                "{% case title %}{% when 'foo' %}foo{% when 'bar' and 'Hello', 'Hello' %}bar{% endcase %}",
                serde_json::json!({"title": "Hello"}),
                "",
            ),
            (
                "{% case title %}{% when 'bar' and 'Hello', 'Hello' %}bar{% endcase %}",
                serde_json::json!({"title": "bar"}),
                "bar",
            ),
            ("{{ x | }}", serde_json::json!({"x": "a"}), "a"),
            (
                "{{ product.title foo }}",
                serde_json::json!({"product": {"title": "T"}}),
                "T",
            ),
            (
                "{% for x in xs limit:2 junk %}{{ x }}{% endfor %}",
                serde_json::json!({"xs": [1, 2, 3]}),
                "12",
            ),
            (
                "{% capture x junk %}hi{% endcapture %}{{ x }}",
                none.clone(),
                "hi",
            ),
            (
                "{% for x in xs limit:1 junk %}{{ x }}{% endfor %}|\
                 {% for x in xs offset:continue junk %}{{ x }}{% endfor %}",
                serde_json::json!({"xs": [1, 2, 3]}),
                "1|23",
            ),
            (
                "{% tablerow n in (1..3) cols:2 foo:1 %}{{ n }}{% endtablerow %}",
                none.clone(),
                "<tr class=\"row1\">\n<td class=\"col1\">1</td><td class=\"col2\">2</td></tr>\n\
                 <tr class=\"row2\"><td class=\"col1\">3</td></tr>\n",
            ),
            (
                "{% for x in (1..3) %}{{ x }}{% break now %}{% endfor %}",
                none.clone(),
                "1",
            ),
        ];
        let mut wrong = Vec::new();
        for (source, data, expected) in cases {
            if !strict_fails(source) {
                wrong.push(format!("strict parsing accepts {source:?}"));
            }
            let got = lax(source, data.clone());
            if got.as_deref() != Ok(*expected) {
                wrong.push(format!("{source:?}: got {got:?}, expected {expected:?}"));
            }
        }
        assert!(wrong.is_empty(), "{wrong:#?}");
    }

    #[test]
    fn what_the_lax_reading_cannot_pass_stays_an_error() {
        for source in [
            "{% if 1 =! 2 %}ok{% endif %}",
            "{% if a = b %}ok{% endif %}",
            "{% if not false %}ok{% endif %}",
            "{% case foo %}{% when %}bar{% endcase %}",
            "{% case foo %}{% when 1 %}{% else junk %}bar{% endcase %}",
            "{% for x %}{% endfor %}",
            "{% if true %}",
            "{% endfor %}",
            "{% nosuchtag %}",
        ] {
            assert!(lax(source, serde_json::json!({})).is_err(), "{source}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 300, ..Default::default() })]

        /// Junk markup of Liquid's punctuation, words and non-ASCII letters: every lax reader
        /// returns, and a template using it in each tag compiles or fails, and renders, without
        /// a panic.
        #[test]
        fn lax_readings_never_panic(markup in "[a-z0-9 .,:|'\"()\\[\\]=!<>_é€-]{0,40}") {
            let _ = (expr(&markup, true), filtered(&markup), condition(&markup));
            let _ = (when_values(&markup), for_loop(&markup).map(|f| f.var), assign(&markup));
            let _ = (capture(&markup), partial(&markup).map(|p| p.name), attributes(&markup));
            let _ = case_subject(&markup);
            for template in [
                format!("{{{{ {markup} }}}}"),
                format!("{{% if {markup} %}}y{{% endif %}}"),
                format!("{{% case x %}}{{% when {markup} %}}w{{% endcase %}}"),
                format!("{{% for {markup} %}}f{{% endfor %}}"),
                format!("{{% assign {markup} %}}{{% capture {markup} %}}c{{% endcapture %}}"),
                format!("{{% tablerow {markup} %}}t{{% endtablerow %}}"),
            ] {
                let _ = lax(&template, serde_json::json!({"x": [1, "a"]}));
            }
        }
    }

    #[test]
    fn warnings_name_the_line_and_what_strict_parsing_said() {
        let warnings =
            super::super::lax_warnings("t.liquid", "ok\n{{ x | }}\n{% if a && b %}{% endif %}");
        let shown: Vec<String> = warnings.iter().map(ToString::to_string).collect();
        assert_eq!(shown.len(), 2, "{shown:?}");
        assert!(shown[0].starts_with("t.liquid:2: "), "{shown:?}");
        assert!(
            shown[1].starts_with("t.liquid:3: unexpected character '&'"),
            "{shown:?}"
        );
        assert!(super::super::lax_warnings("t.liquid", "{{ x }}").is_empty());
    }
}
