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
//!   error; so is a malformed body, and a `Content-Type` that multer cannot decode (a parameter
//!   without a value, a boundary holding `"`: neither is allowed by RFC 2046 or sent by a
//!   browser).
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
mod tests {
    use serde_json::json;

    use super::*;

    const FORM: &str = "application/x-www-form-urlencoded";
    const BOUNDARY: &str = "----vitrineTestBoundary7MA4YWxkTrZu0gW";

    fn form(body: &str) -> Map<String, Value> {
        parse_query(body, &["sections"]).expect("parses")
    }

    /// Asserts equality including key order, which `Map`'s `PartialEq` ignores.
    fn same(actual: &Map<String, Value>, expected: Value) {
        assert_eq!(
            serde_json::to_string(actual).unwrap(),
            serde_json::to_string(&expected).unwrap()
        );
    }

    enum Part<'a> {
        Text(&'a str, &'a str),
        File(&'a str, &'a str, &'a [u8]),
    }

    /// A `multipart/form-data` body as a browser's `FormData` would send it.
    fn multipart(parts: &[Part<'_>]) -> Bytes {
        let mut body = Vec::new();
        for part in parts {
            body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
            match part {
                Part::Text(name, value) => {
                    body.extend_from_slice(
                        format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}")
                            .as_bytes(),
                    );
                }
                Part::File(name, filename, data) => {
                    body.extend_from_slice(
                        format!(
                            "Content-Disposition: form-data; name=\"{name}\"; \
                             filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                        )
                        .as_bytes(),
                    );
                    body.extend_from_slice(data);
                }
            }
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
        Bytes::from(body)
    }

    fn multipart_type() -> String {
        format!("multipart/form-data; boundary={BOUNDARY}")
    }

    async fn body(content_type: Option<&str>, body: &str) -> Result<Map<String, Value>, BodyError> {
        parse_body(content_type, Bytes::from(body.to_owned()), &["sections"]).await
    }

    // --- folding -------------------------------------------------------------------------

    #[test]
    fn plain_key() {
        same(&form("id=1"), json!({"id": "1"}));
    }

    #[test]
    fn properties_and_attributes() {
        same(
            &form("properties[First name]=Caroline"),
            json!({"properties": {"First name": "Caroline"}}),
        );
        same(
            &form("attributes[Gift wrap]=Yes"),
            json!({"attributes": {"Gift wrap": "Yes"}}),
        );
        same(
            &form("id=1&properties%5BFirst+name%5D=Caroline+Smith"),
            json!({"id": "1", "properties": {"First name": "Caroline Smith"}}),
        );
    }

    #[test]
    fn updates_by_variant_id_stay_a_map() {
        same(
            &form("updates[794864053]=2&updates[794864233]=3"),
            json!({"updates": {"794864053": "2", "794864233": "3"}}),
        );
        // insertion order, not numeric order
        same(
            &form("updates[794864233]=3&updates[794864053]=2"),
            json!({"updates": {"794864233": "3", "794864053": "2"}}),
        );
    }

    #[test]
    fn named_maps_keep_small_integer_keys_as_names() {
        // Variant 12 and variant 3, not the 13th and 4th lines.
        same(
            &form("updates[12]=2&updates[3]=0"),
            json!({"updates": {"12": "2", "3": "0"}}),
        );
        same(
            &form("properties[1]=Gift&attributes[0]=yes"),
            json!({"properties": {"1": "Gift"}, "attributes": {"0": "yes"}}),
        );
        // Named at any depth, and what a named map holds is still folded.
        same(
            &form("items[0][id]=7&items[0][properties][2]=x&items[1][id]=8"),
            json!({"items": [{"id": "7", "properties": {"2": "x"}}, {"id": "8"}]}),
        );
        same(
            &form("properties[sizes][0]=S&properties[sizes][1]=M"),
            json!({"properties": {"sizes": ["S", "M"]}}),
        );
    }

    #[test]
    fn empty_brackets_append() {
        same(
            &form("updates[]=1&updates[]=2"),
            json!({"updates": ["1", "2"]}),
        );
    }

    #[test]
    fn indexed_items_become_an_array() {
        same(
            &form("items[0][id]=1&items[0][quantity]=2&items[1][id]=3"),
            json!({"items": [{"id": "1", "quantity": "2"}, {"id": "3"}]}),
        );
    }

    #[test]
    fn indexes_are_ordered_and_compacted() {
        same(
            &form("a[10]=z&a[2]=y&a[0]=x"),
            json!({"a": ["x", "y", "z"]}),
        );
        same(&form("a[999]=x"), json!({"a": ["x"]}));
        // not all small canonical integers: stays a map
        same(&form("a[1000]=x"), json!({"a": {"1000": "x"}}));
        same(&form("a[0]=x&a[01]=y"), json!({"a": {"0": "x", "01": "y"}}));
        same(&form("a[0]=x&a[b]=y"), json!({"a": {"0": "x", "b": "y"}}));
        same(&form("a[-1]=x"), json!({"a": {"-1": "x"}}));
        // the top level is never turned into an array
        same(&form("0=a&1=b"), json!({"0": "a", "1": "b"}));
    }

    #[test]
    fn empty_bracket_objects_start_new_elements() {
        same(
            &form("items[][id]=1&items[][quantity]=2&items[][id]=3&items[][quantity]=1"),
            json!({"items": [{"id": "1", "quantity": "2"}, {"id": "3", "quantity": "1"}]}),
        );
        // nested paths are checked in full
        same(
            &form("items[][properties][a]=1&items[][properties][b]=2&items[][properties][a]=3"),
            json!({"items": [{"properties": {"a": "1", "b": "2"}}, {"properties": {"a": "3"}}]}),
        );
        // arrays inside an element keep collecting
        same(
            &form("items[][id]=1&items[][tags][]=a&items[][tags][]=b&items[][id]=2"),
            json!({"items": [{"id": "1", "tags": ["a", "b"]}, {"id": "2"}]}),
        );
        same(&form("a[][]=1&a[][]=2"), json!({"a": [["1"], ["2"]]}));
    }

    #[test]
    fn nested_properties_in_items() {
        same(
            &form("items[0][properties][Gift message]=Hi"),
            json!({"items": [{"properties": {"Gift message": "Hi"}}]}),
        );
        same(
            &form("items[0][id]=7&items[0][properties][Gift message]=Hi&items[0][selling_plan]=3"),
            json!({"items": [{"id": "7", "properties": {"Gift message": "Hi"}, "selling_plan": "3"}]}),
        );
    }

    #[test]
    fn multi_keys_collect_and_others_take_the_last() {
        same(&form("sections=a"), json!({"sections": "a"}));
        same(
            &form("sections=a&sections=b"),
            json!({"sections": ["a", "b"]}),
        );
        same(
            &form("sections=a&sections=b&sections=c"),
            json!({"sections": ["a", "b", "c"]}),
        );
        same(&form("id=1&id=2"), json!({"id": "2"}));
        same(&form("a[b]=1&a[b]=2"), json!({"a": {"b": "2"}}));
        // without the multi key, sections is like anything else
        same(
            &parse_query("sections=a&sections=b", &[]).unwrap(),
            json!({"sections": "b"}),
        );
    }

    #[test]
    fn conflicts_resolve_to_the_later_pair() {
        same(&form("a=1&a[b]=2"), json!({"a": {"b": "2"}}));
        same(&form("a[b]=2&a=1"), json!({"a": "1"}));
        same(&form("a[b]=1&a[b][c]=2"), json!({"a": {"b": {"c": "2"}}}));
        same(&form("a[0]=x&a[]=y"), json!({"a": ["y"]}));
        same(&form("a[]=x&a[k]=y"), json!({"a": {"k": "y"}}));
        same(&form("sections[x]=1&sections=a"), json!({"sections": "a"}));
        same(
            &form("sections[]=a&sections=b"),
            json!({"sections": ["a", "b"]}),
        );
    }

    #[test]
    fn malformed_names_are_literal() {
        same(&form("a[b=1"), json!({"a[b": "1"}));
        same(&form("a]=1"), json!({"a]": "1"}));
        same(&form("=1"), json!({"": "1"}));
        same(&form("[a]=1"), json!({"[a]": "1"}));
        same(&form("a[b]c=1"), json!({"a[b]c": "1"}));
        same(&form("a[b[c]]=1"), json!({"a[b[c]]": "1"}));
        same(&form("a][b]=1"), json!({"a][b]": "1"}));
        same(&form("a[b]]=1"), json!({"a[b]]": "1"}));
        same(&form("a[]x[y]=1"), json!({"a[]x[y]": "1"}));
        same(&form("a&b=&c=="), json!({"a": "", "b": "", "c": "="}));
    }

    /// Brackets are found after percent-decoding, whatever the case of the escape (`serde_qs`
    /// decodes only `%5B`/`%5D` as brackets and keeps `%5b` in a literal name).
    #[test]
    fn percent_encoded_brackets_in_either_case() {
        same(
            &form("properties%5bGift%5d=1&updates%5B7%5D=2"),
            json!({"properties": {"Gift": "1"}, "updates": {"7": "2"}}),
        );
    }

    #[test]
    fn unicode_keys_and_values() {
        same(
            &form("properties[Prénom]=Zoë&attributes[贈り物]=はい&note=🎁"),
            json!({"properties": {"Prénom": "Zoë"}, "attributes": {"贈り物": "はい"}, "note": "🎁"}),
        );
        same(
            &form("properties%5B%C3%A9t%C3%A9%5D=%E2%98%80"),
            json!({"properties": {"été": "☀"}}),
        );
    }

    #[test]
    fn pairs_to_object_takes_any_pairs() {
        let pairs = vec![
            ("items[0][id]", "1".to_owned()),
            ("items[0][quantity]", "2".to_owned()),
        ];
        same(
            &pairs_to_object(pairs, &[]).unwrap(),
            json!({"items": [{"id": "1", "quantity": "2"}]}),
        );
        same(
            &pairs_to_object(Vec::<(String, String)>::new(), &[]).unwrap(),
            json!({}),
        );
    }

    #[test]
    fn query_strings() {
        same(
            &parse_query("?sections=a&sections=b&q=x+y", &["sections"]).unwrap(),
            json!({"sections": ["a", "b"], "q": "x y"}),
        );
        same(&parse_query("", &[]).unwrap(), json!({}));
    }

    // --- limits --------------------------------------------------------------------------

    #[test]
    fn pair_limit() {
        let at_limit: Vec<String> = (0..MAX_PAIRS).map(|i| format!("k{i}=v")).collect();
        assert_eq!(form(&at_limit.join("&")).len(), MAX_PAIRS);
        let over: Vec<String> = (0..=MAX_PAIRS).map(|i| format!("k{i}=v")).collect();
        assert!(matches!(
            parse_query(&over.join("&"), &[]),
            Err(BodyError::TooManyPairs)
        ));
        // repeats count too
        let repeated = "a[]=1&".repeat(MAX_PAIRS + 1);
        assert!(matches!(
            parse_query(&repeated, &[]),
            Err(BodyError::TooManyPairs)
        ));
    }

    #[test]
    fn depth_limit() {
        let eight = format!("a{}=v", "[x]".repeat(MAX_DEPTH));
        assert!(parse_query(&eight, &[]).is_ok());
        let nine = format!("a{}=v", "[x]".repeat(MAX_DEPTH + 1));
        assert!(matches!(parse_query(&nine, &[]), Err(BodyError::TooDeep)));
        let pushes = format!("a{}=v", "[]".repeat(MAX_DEPTH + 1));
        assert!(matches!(parse_query(&pushes, &[]), Err(BodyError::TooDeep)));
        // a malformed name is literal, so its brackets are not nesting
        let literal = format!("a{}[=v", "[x]".repeat(MAX_DEPTH + 1));
        assert!(parse_query(&literal, &[]).is_ok());
    }

    #[test]
    fn key_length_limit() {
        let ok = format!("{}=v", "k".repeat(MAX_KEY_LEN));
        assert!(parse_query(&ok, &[]).is_ok());
        let long = format!("{}=v", "k".repeat(MAX_KEY_LEN + 1));
        assert!(matches!(
            parse_query(&long, &[]),
            Err(BodyError::KeyTooLong)
        ));
        // measured after decoding: %C3%A9 is two bytes
        let encoded = format!("{}=v", "%C3%A9".repeat(MAX_KEY_LEN / 2 + 1));
        assert!(matches!(
            parse_query(&encoded, &[]),
            Err(BodyError::KeyTooLong)
        ));
    }

    #[test]
    fn error_messages_are_short_and_client_safe() {
        for e in [
            BodyError::InvalidJson { line: 1, column: 2 },
            BodyError::NotAnObject,
            BodyError::MissingBoundary,
            BodyError::TooManyPairs,
            BodyError::TooDeep,
            BodyError::KeyTooLong,
        ] {
            let msg = e.to_string();
            assert!(!msg.is_empty() && msg.len() < 80, "{msg}");
        }
    }

    // --- JSON ----------------------------------------------------------------------------

    #[tokio::test]
    async fn json_passes_through_untouched() {
        let text = r#"{"items":[{"id":"794864053","quantity":"2","properties":{"a":1}}],"n":1.50,"sections":"x"}"#;
        let map = body(Some("application/json"), text).await.unwrap();
        assert_eq!(
            Value::Object(map),
            serde_json::from_str::<Value>(text).unwrap()
        );
        let map = body(
            Some("application/json"),
            r#"{"id":794864053,"quantity":"1"}"#,
        )
        .await
        .unwrap();
        same(&map, json!({"id": 794864053, "quantity": "1"}));
    }

    #[tokio::test]
    async fn json_content_type_variants() {
        for ct in [
            "application/json",
            "application/json;",
            "application/json; charset=utf-8",
            "Application/JSON;Charset=UTF-8",
            " application/json ",
            "application/vnd.api+json",
            "application/merge-patch+json; charset=utf-8",
        ] {
            same(
                &body(Some(ct), r#"{"id":"1"}"#).await.unwrap(),
                json!({"id": "1"}),
            );
        }
    }

    #[tokio::test]
    async fn empty_json_body_is_an_empty_object() {
        for text in ["", "   ", "\r\n\t "] {
            for ct in ["application/json", "application/json;"] {
                assert!(body(Some(ct), text).await.unwrap().is_empty());
            }
        }
        let bom = Bytes::from_static(b"\xEF\xBB\xBF{\"a\":\"b\"}");
        same(
            &parse_body(Some("application/json"), bom, &[])
                .await
                .unwrap(),
            json!({"a": "b"}),
        );
    }

    #[tokio::test]
    async fn json_must_be_an_object() {
        for text in ["[1,2]", "\"x\"", "42", "null", "true"] {
            let err = body(Some("application/json"), text).await.unwrap_err();
            assert!(matches!(err, BodyError::NotAnObject), "{text}");
            assert_eq!(err.to_string(), "expected a JSON object");
        }
    }

    #[tokio::test]
    async fn malformed_json_says_where_without_echoing() {
        let text = "{\n  \"id\": \"secret-token-value\",\n  \"quantity\": oops\n}";
        let err = body(Some("application/json"), text).await.unwrap_err();
        let msg = err.to_string();
        assert!(
            matches!(err, BodyError::InvalidJson { line: 3, .. }),
            "{msg}"
        );
        assert!(msg.contains("line 3") && msg.contains("column"), "{msg}");
        assert!(!msg.contains("secret") && !msg.contains("oops"), "{msg}");

        let err = body(Some("application/json"), "{\"id\":")
            .await
            .unwrap_err();
        assert!(matches!(err, BodyError::InvalidJson { line: 1, .. }));
        let err = body(Some("application/json"), "id=1").await.unwrap_err();
        assert!(matches!(err, BodyError::InvalidJson { .. }));
    }

    // --- urlencoded and sniffing ---------------------------------------------------------

    #[tokio::test]
    async fn urlencoded_body() {
        let map = body(
            Some("application/x-www-form-urlencoded; charset=UTF-8"),
            "id=794864053&quantity=2&properties%5BGift+message%5D=Happy+birthday%21",
        )
        .await
        .unwrap();
        same(
            &map,
            json!({"id": "794864053", "quantity": "2", "properties": {"Gift message": "Happy birthday!"}}),
        );
        // a JSON-looking body under the form type is still a form
        let map = body(Some(FORM), "{\"a\":1}").await.unwrap();
        same(&map, json!({"{\"a\":1}": ""}));
    }

    #[tokio::test]
    async fn other_content_types_are_sniffed() {
        for ct in [
            None,
            Some("text/plain;charset=UTF-8"),
            Some("application/octet-stream"),
            Some(""),
        ] {
            same(
                &body(ct, "  \n{\"id\":\"1\",\"quantity\":2}").await.unwrap(),
                json!({"id": "1", "quantity": 2}),
            );
            same(
                &body(ct, "updates[1]=2&sections=a&sections=b")
                    .await
                    .unwrap(),
                json!({"updates": {"1": "2"}, "sections": ["a", "b"]}),
            );
            assert!(body(ct, "").await.unwrap().is_empty());
            assert!(matches!(
                body(ct, "{oops").await,
                Err(BodyError::InvalidJson { .. })
            ));
        }
        // a top-level JSON array is not sniffed as JSON, so it is a (strange) form
        same(&body(None, "[1]").await.unwrap(), json!({"[1]": ""}));
    }

    // --- multipart -----------------------------------------------------------------------

    #[tokio::test]
    async fn multipart_shopify_formdata_examples() {
        // cart/update.js with FormData
        let data = multipart(&[
            Part::Text("updates[794864053]", "2"),
            Part::Text("updates[794864233]", "3"),
        ]);
        same(
            &parse_body(Some(&multipart_type()), data, &[])
                .await
                .unwrap(),
            json!({"updates": {"794864053": "2", "794864233": "3"}}),
        );
        // cart/update.js attributes
        let data = multipart(&[Part::Text("attributes[Gift wrap]", "Yes")]);
        same(
            &parse_body(Some(&multipart_type()), data, &[])
                .await
                .unwrap(),
            json!({"attributes": {"Gift wrap": "Yes"}}),
        );
        // cart/add.js with items
        let data = multipart(&[
            Part::Text("items[0][id]", "794864053"),
            Part::Text("items[0][quantity]", "2"),
            Part::Text("items[0][properties][First name]", "Caroline"),
            Part::Text("items[1][id]", "794864233"),
            Part::Text("items[1][quantity]", "1"),
        ]);
        same(
            &parse_body(Some(&multipart_type()), data, &[])
                .await
                .unwrap(),
            json!({"items": [
                {"id": "794864053", "quantity": "2", "properties": {"First name": "Caroline"}},
                {"id": "794864233", "quantity": "1"}
            ]}),
        );
    }

    #[tokio::test]
    async fn multipart_product_form() {
        // what a theme's product form posts: a plain id, sections to re-render, a file upload
        let data = multipart(&[
            Part::Text("form_type", "product"),
            Part::Text("id", "794864053"),
            Part::Text("quantity", "1"),
            Part::File(
                "properties[Upload]",
                "photo.png",
                b"\x89PNG\r\n\x1a\n\0\0binary",
            ),
            Part::Text("sections", "cart-drawer"),
            Part::Text("sections", "cart-icon-bubble"),
            Part::Text("properties[Notes]", "multi\r\nline ünïcode ✓"),
        ]);
        same(
            &parse_body(Some(&multipart_type()), data, &["sections"])
                .await
                .unwrap(),
            json!({
                "form_type": "product",
                "id": "794864053",
                "quantity": "1",
                "sections": ["cart-drawer", "cart-icon-bubble"],
                "properties": {"Notes": "multi\r\nline ünïcode ✓"}
            }),
        );
    }

    #[tokio::test]
    async fn multipart_boundary_forms() {
        let data = multipart(&[Part::Text("id", "1")]);
        for ct in [
            format!("multipart/form-data; boundary=\"{BOUNDARY}\""),
            format!("Multipart/Form-Data;charset=utf-8;BOUNDARY={BOUNDARY}"),
            format!("multipart/form-data; boundary={BOUNDARY}; charset=utf-8"),
        ] {
            same(
                &parse_body(Some(&ct), data.clone(), &[]).await.unwrap(),
                json!({"id": "1"}),
            );
        }
        // spaces around `;` are allowed by RFC 7231 (multer's `mime` refuses them alone)
        let spaced = format!("multipart/form-data ;charset=utf-8 ; boundary={BOUNDARY} ;");
        same(
            &parse_body(Some(&spaced), data.clone(), &[]).await.unwrap(),
            json!({"id": "1"}),
        );
        assert_eq!(
            multipart_boundary(r#"multipart/form-data; x="boundary=no"; boundary=yes"#).ok(),
            Some("yes".to_owned())
        );
        assert!(matches!(
            multipart_boundary("multipart/form-data; boundary="),
            Err(BodyError::MissingBoundary)
        ));
    }

    /// What changed when multer took over reading the boundary: a `Content-Type` that RFC 2046
    /// and 7231 do not allow, and no browser sends, is now a malformed multipart body (it was
    /// read leniently before).
    #[tokio::test]
    async fn multipart_content_types_multer_cannot_decode_are_malformed() {
        for ct in [
            // a boundary may not hold `"` or `;`
            r#"multipart/form-data; boundary="a\"b;c"; x=y"#,
            // a parameter needs a value
            "multipart/form-data; flag; boundary=z",
            // an empty quoted boundary (before: a missing boundary)
            "multipart/form-data; boundary=\"\"",
        ] {
            let data = multipart(&[Part::Text("id", "1")]);
            let err = parse_body(Some(ct), data, &[]).await.unwrap_err();
            assert!(
                matches!(err, BodyError::MalformedMultipart(_)),
                "{ct}: {err:?}"
            );
            assert_eq!(err.to_string(), "malformed multipart body");
        }
    }

    #[tokio::test]
    async fn multipart_empty_form() {
        let data = multipart(&[]);
        assert!(
            parse_body(Some(&multipart_type()), data, &[])
                .await
                .unwrap()
                .is_empty()
        );
    }

    #[tokio::test]
    async fn multipart_errors() {
        let data = multipart(&[Part::Text("id", "1")]);
        for ct in [
            "multipart/form-data",
            "multipart/form-data;",
            "multipart/form-data; boundary=",
        ] {
            let err = parse_body(Some(ct), data.clone(), &[]).await.unwrap_err();
            assert!(matches!(err, BodyError::MissingBoundary), "{ct}");
        }
        // wrong boundary, truncated body, garbage
        let wrong = "multipart/form-data; boundary=something-else";
        assert!(matches!(
            parse_body(Some(wrong), data.clone(), &[]).await,
            Err(BodyError::MalformedMultipart(_))
        ));
        let truncated = data.slice(..data.len() / 2);
        let err = parse_body(Some(&multipart_type()), truncated, &[])
            .await
            .unwrap_err();
        assert!(matches!(err, BodyError::MalformedMultipart(_)));
        assert_eq!(err.to_string(), "malformed multipart body");
        assert!(
            parse_body(Some(&multipart_type()), Bytes::from_static(b"id=1"), &[])
                .await
                .is_err()
        );
    }

    #[tokio::test]
    async fn multipart_limits() {
        let names: Vec<String> = (0..=MAX_PAIRS).map(|i| format!("k{i}")).collect();
        let parts: Vec<Part<'_>> = names.iter().map(|n| Part::Text(n, "v")).collect();
        assert!(matches!(
            parse_body(Some(&multipart_type()), multipart(&parts), &[]).await,
            Err(BodyError::TooManyPairs)
        ));
        let ok = parse_body(
            Some(&multipart_type()),
            multipart(parts.get(1..).unwrap()),
            &[],
        )
        .await
        .unwrap();
        assert_eq!(ok.len(), MAX_PAIRS);

        let deep = format!("a{}", "[x]".repeat(MAX_DEPTH + 1));
        assert!(matches!(
            parse_body(
                Some(&multipart_type()),
                multipart(&[Part::Text(&deep, "v")]),
                &[]
            )
            .await,
            Err(BodyError::TooDeep)
        ));
        let long = "k".repeat(MAX_KEY_LEN + 1);
        assert!(matches!(
            parse_body(
                Some(&multipart_type()),
                multipart(&[Part::Text(&long, "v")]),
                &[]
            )
            .await,
            Err(BodyError::KeyTooLong)
        ));
    }
}
