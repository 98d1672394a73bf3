//! Request bodies of the Ajax Cart API. Shopify's cart endpoints take JSON,
//! `application/x-www-form-urlencoded` and `multipart/form-data`; whatever the encoding, the
//! result is one JSON object, so `params.rs` reads `id`, `quantity`, `items`, `updates`,
//! `properties`, `attributes`, `sections`... in one way.
//!
//! # What libraries do, and what is ours
//!
//! * `serde_json` parses JSON, `form_urlencoded` splits and percent-decodes urlencoded pairs,
//!   `multer` reads multipart bodies and their `boundary` parameter.
//! * Folding bracket names into nested objects is ours. `serde_qs` (1.1), the bracket-form
//!   library, reads an integer key as an array index, so Shopify's everyday
//!   `updates[794864053]=2` fails ("missing index"); it refuses `items[][id]=1` ("nested maps of
//!   unindexed sequences"), turns a repeated `id` into a list, refuses a conflict (`a=1&a[b]=2`)
//!   or a malformed name (`a[b]c`), and turns segments past its depth limit into a literal key
//!   instead of refusing them. Rails (and so Shopify) takes the later pair or the literal name.
//!   `serde_html_form` and axum's `Form` read flat pairs only.
//! * Choosing the encoding is ours: axum's `Json`, `Form` and `Multipart` extractors each refuse
//!   a body without their own content type, but `fetch` posts `JSON.stringify(..)` as
//!   `text/plain`, and themes post `clear.js` with an empty body.
//! * The limits are ours: `form_urlencoded` and `multer` count neither pairs nor parts, and
//!   `serde_qs` does not refuse deep names (see above).
//!
//! # Choosing the encoding
//!
//! The media type is compared case-insensitively and its parameters are ignored (except the
//! multipart `boundary`, which multer reads):
//!
//! * `application/json` and any `*/*+json` type: the body is JSON. An empty or all-whitespace body
//!   is `{}` (themes post `clear.js` with an empty JSON body), a leading UTF-8 byte order mark is
//!   skipped, and a top-level value that is not an object is an error.
//! * `application/x-www-form-urlencoded`: name/value pairs (`+` is a space), folded as below.
//! * `multipart/form-data`: the text fields are folded like urlencoded pairs; file parts (parts
//!   with a `filename`) and parts without a name are skipped. A missing or empty boundary is an
//!   error; so is a malformed body, and a `Content-Type` that multer cannot decode: a parameter
//!   without a value (RFC 7231 wants one) or a boundary holding `"` (RFC 2046 forbids it), which
//!   no browser sends. Spaces around `;` are fine.
//! * Anything else, or no content type at all (`fetch` sends `text/plain;charset=UTF-8` for a
//!   string body): if the body, leading whitespace trimmed, starts with `{` it is JSON, otherwise
//!   it is urlencoded.
//!
//! JSON passes through untouched: numbers stay numbers and strings stay strings.
//!
//! # Folding bracket names (Rails/Shopify semantics)
//!
//! Values from pairs are always JSON strings. A name is `base[seg1][seg2]...`:
//!
//! * `id=1` gives `{"id":"1"}`; `properties[First name]=Caroline` gives
//!   `{"properties":{"First name":"Caroline"}}`.
//! * `[]` appends: `updates[]=1&updates[]=2` gives `{"updates":["1","2"]}`. When `[]` is followed
//!   by more segments (`items[][id]=1&items[][quantity]=2&items[][id]=3`), the pair goes into the
//!   last element of the array if that element is an object that has no value yet at the rest of
//!   the path; otherwise a new element is started. So the example gives
//!   `[{"id":"1","quantity":"2"},{"id":"3"}]`. `a[][]=x` always starts a new inner array.
//! * **Integer keys become arrays.** Once all pairs are folded, every nested map (never the
//!   top-level object itself) whose keys are *all* non-negative integers below 1000, written in
//!   canonical decimal (`0`, `7`, `42`; not `007` or `+1`), becomes an array ordered by numeric
//!   index. Gaps are compacted (`a[0]=x&a[5]=y` gives `["x","y"]`); nothing is ever allocated by
//!   index value. A map with any other key stays a map. Maps keep insertion order.
//! * **Except named maps.** The value of a key listed in [`NAMED_MAPS`] (`updates`, `properties`,
//!   `attributes`, at any depth) is keyed by id or name by definition, so it stays a map whatever
//!   its keys: `updates[12]=2` is variant 12, and `properties[1]=x` is a property named "1". The
//!   positional form of `updates` is `updates[]=2&updates[]=0`.
//! * A repeated plain (bracket-less) name listed in `multi_keys` (`sections=a&sections=b`) becomes
//!   an array `["a","b"]`; a single occurrence stays a string. Any other repeated name: the last
//!   one wins, as in Rails.
//! * Conflicts resolve in favour of the later pair: if a pair needs an object or an array where an
//!   earlier pair put something else (`a=1&a[b]=2`, `a[b]=2&a=1`, `a[0]=x&a[]=y`), the earlier
//!   value is replaced.
//! * A name that is not well formed — an empty base (`[a]`, or the empty name), an unbalanced or
//!   nested bracket (`a[b`, `a]`, `a[b[c]]`), or anything after the last `]` (`a[b]c`) — is taken
//!   literally as a plain name.
//!
//! # Limits
//!
//! Hostile input is refused with a [`BodyError`]: at most [`MAX_PAIRS`] pairs (for multipart,
//! every part counts, file parts included), at most [`MAX_DEPTH`] bracket segments in a name, and
//! names of at most [`MAX_KEY_LEN`] bytes. JSON nesting is bounded by `serde_json`'s own recursion
//! limit. The overall body size limit is enforced by the router, not here.

use std::convert::Infallible;

use bytes::Bytes;
use serde_json::{Map, Value};

/// Most name/value pairs (or multipart parts) accepted in one body or query string.
pub const MAX_PAIRS: usize = 1_000;
/// Most bracket segments in one name: `a[1][2][3][4][5][6][7][8]` is the deepest accepted.
pub const MAX_DEPTH: usize = 8;
/// Longest name accepted, in bytes, after percent-decoding.
pub const MAX_KEY_LEN: usize = 1_024;
/// Integer map keys below this become array indexes (see the module documentation).
const MAX_INDEX: usize = 1_000;
/// Keys whose value is a map by id or name, never a list by position (see the module
/// documentation): Shopify's `updates` (variant id or line key), line `properties` and cart
/// `attributes` (names).
pub const NAMED_MAPS: &[&str] = &["updates", "properties", "attributes"];

/// Why a body could not be parsed. The `Display` text is short and safe to send to a client: it
/// never echoes the body or names fields.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    /// The body is not valid JSON.
    #[error("malformed JSON at line {line}, column {column}")]
    InvalidJson { line: usize, column: usize },
    /// The body is valid JSON but its top-level value is not an object.
    #[error("expected a JSON object")]
    NotAnObject,
    /// `multipart/form-data` without a `boundary` parameter.
    #[error("multipart body without a boundary")]
    MissingBoundary,
    /// The multipart body could not be read. The source is kept for logging only.
    #[error("malformed multipart body")]
    MalformedMultipart(#[source] multer::Error),
    /// More than [`MAX_PAIRS`] pairs.
    #[error("too many parameters (at most {MAX_PAIRS})")]
    TooManyPairs,
    /// A name with more than [`MAX_DEPTH`] bracket segments.
    #[error("parameter name nested too deeply (at most {MAX_DEPTH} levels)")]
    TooDeep,
    /// A name longer than [`MAX_KEY_LEN`] bytes.
    #[error("parameter name too long (at most {MAX_KEY_LEN} bytes)")]
    KeyTooLong,
}

/// Parses a request body into a JSON object, whatever its encoding.
///
/// `multi_keys` lists the plain names that may repeat to form an array (see the module
/// documentation).
pub async fn parse_body(
    content_type: Option<&str>,
    body: Bytes,
    multi_keys: &[&str],
) -> Result<Map<String, Value>, BodyError> {
    // Ours: axum's extractors each want their own content type; Shopify reads a body sent
    // with none, or as `text/plain`, by its first byte.
    let essence = media_type_essence(content_type.unwrap_or(""));
    if is_json(&essence) {
        parse_json(&body)
    } else if essence == "application/x-www-form-urlencoded" {
        parse_urlencoded(&body, multi_keys)
    } else if essence == "multipart/form-data" {
        let boundary = multipart_boundary(content_type.unwrap_or(""))?;
        parse_multipart(body, boundary, multi_keys).await
    } else if body.trim_ascii_start().starts_with(b"{") {
        parse_json(&body)
    } else {
        parse_urlencoded(&body, multi_keys)
    }
}

/// Parses a query string (a leading `?` is allowed) like an urlencoded body.
pub fn parse_query(query: &str, multi_keys: &[&str]) -> Result<Map<String, Value>, BodyError> {
    let query = query.strip_prefix('?').unwrap_or(query);
    parse_urlencoded(query.as_bytes(), multi_keys)
}

/// Folds Shopify/Rails bracket-named pairs into nested JSON (used for urlencoded, multipart and
/// query strings). See the module documentation for the rules.
pub fn pairs_to_object<I, K, V>(
    pairs: I,
    multi_keys: &[&str],
) -> Result<Map<String, Value>, BodyError>
where
    I: IntoIterator<Item = (K, V)>,
    K: AsRef<str>,
    V: Into<String>,
{
    // Ours: no library folds these names as Rails and Shopify do (see the module documentation
    // for what `serde_qs` does instead), nor counts pairs or refuses deep names.
    let mut root = Map::new();
    for (count, (name, value)) in pairs.into_iter().enumerate() {
        if count >= MAX_PAIRS {
            return Err(BodyError::TooManyPairs);
        }
        let name = name.as_ref();
        if name.len() > MAX_KEY_LEN {
            return Err(BodyError::KeyTooLong);
        }
        let value = value.into();
        match split_name(name)? {
            Some((base, segs)) => {
                let slot = root.entry(base.to_owned()).or_insert(Value::Null);
                put(slot, &segs, value);
            }
            None => put_plain(&mut root, name, value, multi_keys),
        }
    }
    for (name, value) in root.iter_mut() {
        index_maps_to_arrays(value, is_named_map(name));
    }
    Ok(root)
}

/// One bracket segment of a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seg<'a> {
    /// `[name]`
    Key(&'a str),
    /// `[]`
    Push,
}

/// Splits `base[a][b]` into its base and segments. `Ok(None)` means the name is to be taken
/// literally: it has no brackets or is not well formed.
fn split_name(name: &str) -> Result<Option<(&str, Vec<Seg<'_>>)>, BodyError> {
    let Some((base, mut rest)) = name.split_once('[') else {
        return Ok(None);
    };
    if base.is_empty() || base.contains(']') {
        return Ok(None);
    }
    let mut segs = Vec::new();
    loop {
        let Some((inner, after)) = rest.split_once(']') else {
            return Ok(None);
        };
        if inner.contains('[') {
            return Ok(None);
        }
        segs.push(if inner.is_empty() {
            Seg::Push
        } else {
            Seg::Key(inner)
        });
        if after.is_empty() {
            // Checked only once the name is known to be well formed: a malformed name is
            // literal, whatever its brackets. `segs` is bounded by the key length limit.
            if segs.len() > MAX_DEPTH {
                return Err(BodyError::TooDeep);
            }
            return Ok(Some((base, segs)));
        }
        match after.strip_prefix('[') {
            Some(next) => rest = next,
            None => return Ok(None),
        }
    }
}

/// A bracket-less name at the top level: a `multi_keys` name accumulates, anything else is
/// replaced. (`serde_qs` and `serde_html_form` make every repeated name a list; Rails keeps the
/// last, and Shopify lists only `sections`.)
fn put_plain(root: &mut Map<String, Value>, name: &str, value: String, multi_keys: &[&str]) {
    let value = Value::String(value);
    if !multi_keys.contains(&name) {
        root.insert(name.to_owned(), value);
        return;
    }
    match root.get_mut(name) {
        Some(Value::Array(items)) => items.push(value),
        Some(existing @ Value::String(_)) => {
            let first = std::mem::take(existing);
            *existing = Value::Array(vec![first, value]);
        }
        Some(other) => *other = value,
        None => {
            root.insert(name.to_owned(), value);
        }
    }
}

/// Stores `value` at `segs` below `slot`, replacing whatever is in the way. `[]` followed by
/// more segments uses Rack's rule (the module documentation), which `serde_qs` refuses.
fn put(slot: &mut Value, segs: &[Seg<'_>], value: String) {
    match segs.split_first() {
        None => *slot = Value::String(value),
        Some((Seg::Key(key), rest)) => {
            if !slot.is_object() {
                *slot = Value::Object(Map::new());
            }
            if let Value::Object(map) = slot {
                let child = map.entry(*key).or_insert(Value::Null);
                put(child, rest, value);
            }
        }
        Some((Seg::Push, rest)) => {
            if !slot.is_array() {
                *slot = Value::Array(Vec::new());
            }
            if let Value::Array(items) = slot {
                if rest.is_empty() {
                    items.push(Value::String(value));
                    return;
                }
                let merge =
                    matches!(items.last(), Some(Value::Object(last)) if !occupied(last, rest));
                if !merge {
                    items.push(Value::Null);
                }
                if let Some(last) = items.last_mut() {
                    put(last, rest, value);
                }
            }
        }
    }
}

/// Whether storing at `path` inside `map` would overwrite something, in which case an `[]` array
/// starts a new element instead. Arrays met on the way keep collecting.
fn occupied(map: &Map<String, Value>, path: &[Seg<'_>]) -> bool {
    match path.split_first() {
        None | Some((Seg::Push, _)) => true,
        Some((Seg::Key(key), rest)) => match map.get(*key) {
            None => false,
            Some(child) => match (rest.first(), child) {
                (None, _) => true,
                (Some(Seg::Push), child) => !child.is_array(),
                (Some(Seg::Key(_)), Value::Object(inner)) => occupied(inner, rest),
                (Some(Seg::Key(_)), _) => true,
            },
        },
    }
}

fn is_named_map(key: &str) -> bool {
    NAMED_MAPS.contains(&key)
}

/// Turns every map whose keys are all small canonical integers into an array, bottom-up; a
/// named map (`keep_map`) stays a map, though what it holds is folded as usual. (`serde_qs`
/// makes an array of any integer-keyed map, `updates[VARIANT_ID]` included, and refuses gaps.)
fn index_maps_to_arrays(value: &mut Value, keep_map: bool) {
    match value {
        Value::Array(items) => items
            .iter_mut()
            .for_each(|item| index_maps_to_arrays(item, false)),
        Value::Object(map) => {
            for (key, inner) in map.iter_mut() {
                index_maps_to_arrays(inner, is_named_map(key));
            }
            if keep_map || map.is_empty() || !map.keys().all(|k| small_index(k).is_some()) {
                return;
            }
            let mut indexed: Vec<(usize, Value)> = std::mem::take(map)
                .into_iter()
                .filter_map(|(k, v)| small_index(&k).map(|i| (i, v)))
                .collect();
            indexed.sort_by_key(|(i, _)| *i);
            *value = Value::Array(indexed.into_iter().map(|(_, v)| v).collect());
        }
        _ => {}
    }
}

/// `Some(n)` for a key written as a canonical decimal integer below [`MAX_INDEX`].
fn small_index(key: &str) -> Option<usize> {
    let canonical = !key.is_empty()
        && key.bytes().all(|b| b.is_ascii_digit())
        && (key == "0" || !key.starts_with('0'));
    if !canonical || key.len() > 4 {
        return None;
    }
    key.parse::<usize>().ok().filter(|n| *n < MAX_INDEX)
}

/// The lowercased media type (`type/subtype`), its parameters dropped. Ours rather than the
/// `mime` crate's parser: only the essence matters here, and `mime` refuses a header that still
/// names its type plainly (`application/json; charset`, a space before `;`), which would turn a
/// JSON body into a form.
fn media_type_essence(content_type: &str) -> String {
    let essence = content_type
        .split_once(';')
        .map_or(content_type, |(e, _)| e);
    essence.trim().to_ascii_lowercase()
}

fn is_json(essence: &str) -> bool {
    essence == "application/json" || (essence.contains('/') && essence.ends_with("+json"))
}

/// The `boundary` of a `multipart/form-data` type, quoted or not, its name in any case.
fn multipart_boundary(content_type: &str) -> Result<String, BodyError> {
    // RFC 7231 allows spaces around `;`, which multer's `mime` parser refuses. A boundary cannot
    // hold `;` (RFC 2046), so trimming around each one never changes it.
    let segments: Vec<&str> = content_type
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    match multer::parse_boundary(segments.join("; ")) {
        Ok(boundary) if !boundary.is_empty() => Ok(boundary),
        Ok(_) | Err(multer::Error::NoBoundary) => Err(BodyError::MissingBoundary),
        Err(e) => Err(BodyError::MalformedMultipart(e)),
    }
}

/// JSON by `serde_json`; the empty body and the byte order mark are ours, as serde_json refuses
/// both.
fn parse_json(body: &[u8]) -> Result<Map<String, Value>, BodyError> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    if body.trim_ascii().is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(BodyError::NotAnObject),
        Err(e) => Err(BodyError::InvalidJson {
            line: e.line(),
            column: e.column(),
        }),
    }
}

fn parse_urlencoded(body: &[u8], multi_keys: &[&str]) -> Result<Map<String, Value>, BodyError> {
    pairs_to_object(form_urlencoded::parse(body), multi_keys)
}

/// Multipart by multer, which has size limits but no count of parts: that count is ours, and
/// counted as parts arrive, file parts included.
async fn parse_multipart(
    body: Bytes,
    boundary: String,
    multi_keys: &[&str],
) -> Result<Map<String, Value>, BodyError> {
    let stream = futures_util::stream::once(async move { Ok::<Bytes, Infallible>(body) });
    let mut multipart = multer::Multipart::new(stream, boundary);
    let mut pairs = Vec::new();
    let mut parts = 0usize;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(BodyError::MalformedMultipart)?
    {
        parts += 1;
        if parts > MAX_PAIRS {
            return Err(BodyError::TooManyPairs);
        }
        if field.file_name().is_some() {
            continue;
        }
        let Some(name) = field.name().map(str::to_owned) else {
            continue;
        };
        if name.len() > MAX_KEY_LEN {
            return Err(BodyError::KeyTooLong);
        }
        let value = field.text().await.map_err(BodyError::MalformedMultipart)?;
        pairs.push((name, value));
    }
    pairs_to_object(pairs, multi_keys)
}

#[cfg(test)]
mod tests;
