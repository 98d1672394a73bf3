//! Template values given as their JSON (a cart line), which is also their identity: equal JSON,
//! equal values, so snippet output rendered from one can be reused (see `fragments`).
//!
//! Nothing is built until a template reads the value, since a reused snippet never does. Then
//! only the fields it reads are parsed: a changed cart line's snippet reads a dozen of its forty
//! fields. Finding the fields is a scan of the JSON's structure, without building anything.

use std::ops::Range;
use std::sync::{Arc, LazyLock, OnceLock};

use minijinja::Value;
use minijinja::value::{Enumerator, Object, ObjectRepr};

/// Seeded once per process, so visitors cannot aim at the cache's buckets.
pub(super) static HASHER: LazyLock<foldhash::fast::RandomState> = LazyLock::new(Default::default);

#[derive(Debug)]
pub struct Keyed {
    json: Arc<[u8]>,
    hash: u64,
    fields: OnceLock<Box<[Field]>>,
    /// The whole value, for printing it.
    whole: OnceLock<Value>,
}

/// One top-level field: where its name and its JSON sit in the object's JSON.
#[derive(Debug)]
struct Field {
    /// [`tag`] of the name, which rules out most names without comparing them.
    tag: u32,
    name: FieldName,
    raw: Range<usize>,
    value: OnceLock<Value>,
}

#[derive(Debug, Clone, PartialEq)]
enum FieldName {
    At(Range<usize>),
    /// A name written with escapes, so it is not a slice of the JSON.
    Unescaped(Box<str>),
}

/// A template value from its JSON (a JSON object, e.g. a cart line), identified by that JSON.
#[cfg(test)]
pub fn keyed(json: impl Into<Arc<[u8]>>) -> Value {
    KeyedJson::new(json).value()
}

/// A keyed value that can be kept: a cache of lines' JSON holds these, so a line's hash is
/// computed and its fields are parsed once for as long as the line is cached, not once per
/// request. Its bytes are the JSON.
#[derive(Debug, Clone)]
pub struct KeyedJson(Arc<Keyed>);

impl KeyedJson {
    pub fn new(json: impl Into<Arc<[u8]>>) -> KeyedJson {
        let json = json.into();
        KeyedJson(Arc::new(Keyed {
            hash: std::hash::BuildHasher::hash_one(&*HASHER, &*json),
            json,
            fields: OnceLock::new(),
            whole: OnceLock::new(),
        }))
    }

    /// The template value (shares what was parsed of it).
    pub fn value(&self) -> Value {
        Value::from_dyn_object(self.0.clone())
    }
}

impl AsRef<[u8]> for KeyedJson {
    fn as_ref(&self) -> &[u8] {
        &self.0.json
    }
}

impl Keyed {
    pub fn json(&self) -> &Arc<[u8]> {
        &self.json
    }

    /// The hash of the JSON, computed once.
    pub fn hash(&self) -> u64 {
        self.hash
    }

    fn fields(&self) -> &[Field] {
        self.fields.get_or_init(|| {
            let spans = scan_fields(&self.json)
                .map(Ok)
                .unwrap_or_else(|| parse_fields(&self.json));
            match spans {
                Ok(spans) => spans
                    .into_iter()
                    .map(|(name, raw)| Field {
                        tag: tag(name_bytes(&self.json, &name)),
                        name,
                        raw,
                        value: OnceLock::new(),
                    })
                    .collect(),
                Err(e) => {
                    tracing::error!(error = %e, "a keyed template value is not a JSON object");
                    Box::default()
                }
            }
        })
    }

    fn name<'a>(&'a self, field: &'a Field) -> &'a [u8] {
        name_bytes(&self.json, &field.name)
    }

    /// A cart line's `product` and `variant` (Shopify's line item has both), from the catalog
    /// of the page being rendered: the Ajax line JSON only carries their ids and handle.
    fn linked(&self, name: &str) -> Option<Value> {
        if !matches!(name, "product" | "variant") {
            return None;
        }
        let handle = self.field("handle")?;
        let product = PRODUCTS
            .with(|products| products.borrow().clone())?
            .get_item(&handle)
            .ok()
            .filter(|p| !p.is_undefined())?;
        if name == "product" {
            return Some(product);
        }
        let id = self.field("variant_id")?;
        product
            .get_attr("variants")
            .ok()?
            .try_iter()
            .ok()?
            .find(|v| v.get_attr("id").ok().is_some_and(|vid| vid == id))
    }

    fn field(&self, name: &str) -> Option<Value> {
        // The last of repeated names wins, as when the whole object is parsed.
        let wanted = tag(name.as_bytes());
        let field = self
            .fields()
            .iter()
            .rev()
            .find(|field| field.tag == wanted && self.name(field) == name.as_bytes())?;
        let value = field.value.get_or_init(|| {
            let raw = self.json.get(field.raw.clone()).unwrap_or_default();
            parse_scalar(raw)
                .unwrap_or_else(|| serde_json::from_slice::<Value>(raw).unwrap_or(Value::UNDEFINED))
        });
        Some(value.clone()).filter(|v| !v.is_undefined())
    }

    /// Each name once, where it first appears (as a parsed object keeps them).
    fn names(&self) -> Vec<Value> {
        let mut names: Vec<Value> = Vec::with_capacity(self.fields().len());
        for field in self.fields() {
            let name = Value::from(String::from_utf8_lossy(self.name(field)));
            if !names.contains(&name) {
                names.push(name);
            }
        }
        names
    }

    fn whole(&self) -> &Value {
        self.whole
            .get_or_init(|| serde_json::from_slice::<Value>(&self.json).unwrap_or(Value::UNDEFINED))
    }
}

thread_local! {
    /// `all_products` of the page this thread renders, set with the page's mark.
    static PRODUCTS: std::cell::RefCell<Option<Value>> = const { std::cell::RefCell::new(None) };
}

/// Sets the products cart lines on this thread link to; returns the previous ones.
pub fn link_products(products: Option<Value>) -> Option<Value> {
    PRODUCTS.with(|current| current.replace(products))
}

impl Object for Keyed {
    /// Always a map (`keyed` takes JSON objects): asking must not build the value.
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        self.get_value_by_str(key.as_str()?)
    }

    fn get_value_by_str(self: &Arc<Self>, key: &str) -> Option<Value> {
        // A theme's `line_item.image` is an image object (`aspect_ratio`, `alt`, ...), where
        // the Ajax JSON's `image` is a URL: the line's `featured_image` is that object.
        if key == "image"
            && let Some(image) = self
                .field("featured_image")
                .filter(|v| v.kind() == minijinja::value::ValueKind::Map)
        {
            return Some(image);
        }
        self.field(key).or_else(|| self.linked(key))
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Values(self.names())
    }

    fn enumerator_len(self: &Arc<Self>) -> Option<usize> {
        Some(self.names().len())
    }

    fn render(self: &Arc<Self>, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self.whole(), f)
    }
}

/// The value of a plain scalar, read directly: an integer, a string without escapes, `true`,
/// `false` or `null`, as serde_json would give them. `None` for anything else (floats, escapes,
/// arrays, objects), which serde_json then parses: setting it up for a field of a few bytes
/// cost more than the field.
fn parse_scalar(raw: &[u8]) -> Option<Value> {
    match raw {
        b"true" => Some(Value::from(true)),
        b"false" => Some(Value::from(false)),
        b"null" => Some(Value::from(())),
        [b'"', text @ .., b'"'] if !text.iter().any(|&b| b == b'\\' || b == b'"' || b < 0x20) => {
            std::str::from_utf8(text).ok().map(Value::from)
        }
        // serde_json reads `-0` as the float -0.0.
        [b'-', digits @ ..] if is_integer(digits) && digits != b"0" => std::str::from_utf8(raw)
            .ok()?
            .parse::<i64>()
            .ok()
            .map(Value::from),
        digits if is_integer(digits) => std::str::from_utf8(digits)
            .ok()?
            .parse::<u64>()
            .ok()
            .map(Value::from),
        _ => None,
    }
}

/// JSON's integer syntax: digits without a leading zero (unless it is the only one).
fn is_integer(digits: &[u8]) -> bool {
    !digits.is_empty()
        && digits.iter().all(u8::is_ascii_digit)
        && (digits.len() == 1 || digits[0] != b'0')
}

fn name_bytes<'a>(json: &'a [u8], name: &'a FieldName) -> &'a [u8] {
    match name {
        FieldName::At(at) => json.get(at.clone()).unwrap_or_default(),
        FieldName::Unescaped(name) => name.as_bytes(),
    }
}

/// A name's length and its first and last bytes.
fn tag(name: &[u8]) -> u32 {
    let first = name.first().copied().unwrap_or(0);
    let last = name.last().copied().unwrap_or(0);
    (name.len() as u32) << 16 | u32::from(first) << 8 | u32::from(last)
}

type Spans = Vec<(FieldName, Range<usize>)>;

/// The top-level fields of a JSON object, found by following its structure: strings, nesting
/// and the separators between fields. Values are skipped, not checked; a value that is not
/// JSON fails when it is read. `None` when the text is not shaped like an object or a name has
/// escapes; [`parse_fields`] then decides. serde_json took 25 instructions a byte for this.
fn scan_fields(json: &[u8]) -> Option<Spans> {
    let mut at = skip_space(json, 0);
    if json.get(at) != Some(&b'{') {
        return None;
    }
    at = skip_space(json, at + 1);
    let mut fields = Vec::with_capacity(48);
    if json.get(at) == Some(&b'}') {
        return (skip_space(json, at + 1) == json.len()).then_some(fields);
    }
    loop {
        if json.get(at) != Some(&b'"') {
            return None;
        }
        let name_end = string_end(json, at)?;
        let name = at + 1..name_end - 1;
        if json.get(name.clone())?.contains(&b'\\') {
            return None;
        }
        at = skip_space(json, name_end);
        if json.get(at) != Some(&b':') {
            return None;
        }
        let start = skip_space(json, at + 1);
        let end = value_end(json, start)?;
        fields.push((FieldName::At(name), start..end));
        at = skip_space(json, end);
        match json.get(at) {
            Some(b',') => at = skip_space(json, at + 1),
            Some(b'}') => break,
            _ => return None,
        }
    }
    (skip_space(json, at + 1) == json.len()).then_some(fields)
}

fn skip_space(json: &[u8], mut at: usize) -> usize {
    while matches!(json.get(at), Some(b' ' | b'\n' | b'\r' | b'\t')) {
        at += 1;
    }
    at
}

/// Just past the closing quote of the string that opens at `at`.
fn string_end(json: &[u8], at: usize) -> Option<usize> {
    let mut from = at + 1;
    loop {
        let found = from + memchr::memchr2(b'"', b'\\', json.get(from..)?)?;
        if json[found] == b'\\' {
            from = found + 2;
        } else {
            return Some(found + 1);
        }
    }
}

/// Just past the value that starts at `at`.
fn value_end(json: &[u8], at: usize) -> Option<usize> {
    match json.get(at)? {
        b'"' => string_end(json, at),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut at = at;
            loop {
                match json.get(at)? {
                    b'"' => {
                        at = string_end(json, at)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(at + 1);
                        }
                    }
                    _ => {}
                }
                at += 1;
            }
        }
        b',' | b'}' | b']' | b':' => None,
        _ => {
            let len = json
                .get(at..)?
                .iter()
                .position(|b| matches!(b, b',' | b'}' | b']' | b' ' | b'\n' | b'\r' | b'\t'))?;
            Some(at + len)
        }
    }
}

/// [`scan_fields`] by serde_json: slower, but it takes any JSON object.
fn parse_fields(json: &[u8]) -> Result<Spans, serde_json::Error> {
    struct Index<'j>(&'j [u8]);

    impl<'de> serde::de::Visitor<'de> for Index<'_> {
        type Value = Spans;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a JSON object")
        }

        fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Spans, A::Error> {
            let base = self.0.as_ptr() as usize;
            let span = |text: &str| {
                let start = (text.as_ptr() as usize).wrapping_sub(base);
                start..start + text.len()
            };
            let mut fields = Vec::new();
            while let Some(name) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                let raw: &'de serde_json::value::RawValue = map.next_value()?;
                let name = match name {
                    std::borrow::Cow::Borrowed(name) => FieldName::At(span(name)),
                    std::borrow::Cow::Owned(name) => FieldName::Unescaped(name.into()),
                };
                fields.push((name, span(raw.get())));
            }
            Ok(fields)
        }
    }

    let mut reader = serde_json::Deserializer::from_slice(json);
    let fields = serde::Deserializer::deserialize_map(&mut reader, Index(json))?;
    reader.end()?;
    Ok(fields)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::Value as Json;

    fn json_value() -> impl Strategy<Value = Json> {
        let leaf = prop_oneof![
            Just(Json::Null),
            any::<bool>().prop_map(Json::from),
            any::<i64>().prop_map(Json::from),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(Json::from),
            ".{0,12}".prop_map(Json::from),
            "[\"\\\\{}\\[\\],: ]{0,6}".prop_map(Json::from),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Json::from),
                prop::collection::vec((".{0,8}", inner), 0..6)
                    .prop_map(|pairs| Json::Object(pairs.into_iter().collect())),
            ]
        })
    }

    fn texts(json: &[u8], spans: &Spans) -> Vec<(String, String)> {
        spans
            .iter()
            .map(|(name, raw)| {
                let name = match name {
                    FieldName::At(at) => String::from_utf8(json[at.clone()].to_vec()).unwrap(),
                    FieldName::Unescaped(name) => name.to_string(),
                };
                (name, String::from_utf8(json[raw.clone()].to_vec()).unwrap())
            })
            .collect()
    }

    proptest! {
        /// The scan finds what serde_json finds, in compact and in pretty JSON, or leaves the
        /// object to serde_json.
        #[test]
        fn the_scan_finds_the_fields_serde_json_finds(
            fields in prop::collection::vec((".{0,8}", json_value()), 0..8),
            pretty in any::<bool>(),
        ) {
            let object = Json::Object(fields.into_iter().collect());
            let json = if pretty {
                serde_json::to_vec_pretty(&object).unwrap()
            } else {
                serde_json::to_vec(&object).unwrap()
            };
            let parsed = parse_fields(&json).unwrap();
            match scan_fields(&json) {
                Some(scanned) => prop_assert_eq!(texts(&json, &scanned), texts(&json, &parsed)),
                None => prop_assert!(parsed.iter().any(|(name, _)| matches!(name, FieldName::Unescaped(_)))),
            }
        }

        /// Fields read through the keyed value equal those of the parsed object.
        #[test]
        fn a_keyed_value_reads_like_the_parsed_object(
            fields in prop::collection::vec((".{0,8}", json_value()), 0..8),
        ) {
            let object = Json::Object(fields.into_iter().collect());
            let json = serde_json::to_vec(&object).unwrap();
            let value = keyed(json.clone());
            let missing = value.get_attr("longer than any name").unwrap();
            prop_assert!(missing.is_undefined());
            // Parsed from the same text, not converted from `object`: numbers then round alike.
            let parsed: Value = serde_json::from_slice(&json).unwrap();
            for name in object.as_object().unwrap().keys() {
                let (read, expected) = (value.get_attr(name).unwrap(), parsed.get_attr(name).unwrap());
                prop_assert_eq!(read.to_string(), expected.to_string());
                prop_assert_eq!(read.kind(), expected.kind());
                prop_assert_eq!(&read, &expected);
                prop_assert_eq!(read.is_integer(), expected.is_integer());
            }
            prop_assert_eq!(value.len(), parsed.len());
            let names: Vec<Value> = value.try_iter().unwrap().collect();
            let expected: Vec<Value> = parsed.try_iter().unwrap().collect();
            prop_assert_eq!(names, expected);
        }
    }

    #[test]
    fn scalars_read_directly_equal_what_serde_json_reads() {
        let cases: &[&[u8]] = &[
            b"0",
            b"7",
            b"-7",
            b"18446744073709551615",
            b"-9223372036854775808",
            b"true",
            b"false",
            b"null",
            br#""""#,
            br#""plain""#,
            "\"caf\u{e9}\"".as_bytes(),
        ];
        for raw in cases {
            let direct = parse_scalar(raw).expect("read directly");
            let parsed: Value = serde_json::from_slice(raw).unwrap();
            assert_eq!(direct, parsed, "{}", String::from_utf8_lossy(raw));
            assert_eq!(direct.kind(), parsed.kind());
            assert_eq!(direct.to_string(), parsed.to_string());
        }
        // Left to serde_json: floats, escapes, big or malformed numbers, structures.
        let cases: &[&[u8]] = &[
            b"1.5",
            b"1e3",
            b"-0",
            b"-0.0",
            b"01",
            b"-",
            br#""a\"b""#,
            br#""\u00e9""#,
            b"18446744073709551616",
            b"[1]",
            b"{}",
        ];
        for raw in cases {
            assert_eq!(parse_scalar(raw), None, "{}", String::from_utf8_lossy(raw));
        }
    }

    #[test]
    fn text_that_is_not_an_object_has_no_fields() {
        for json in [
            &b"[1]"[..],
            b"",
            b"{",
            b"{\"a\"}",
            b"{\"a\":1,}",
            b"{\"a\":1} x",
            b"nul",
        ] {
            assert_eq!(
                scan_fields(json),
                None,
                "{:?}",
                String::from_utf8_lossy(json)
            );
            let value = keyed(json.to_vec());
            assert_eq!(value.len(), Some(0));
            assert!(value.get_attr("a").unwrap().is_undefined());
        }
    }

    #[test]
    fn escaped_names_and_repeated_names_read_like_serde_json() {
        let value = keyed(br#"{"a\"b": 1, "c": 2, "c": 3}"#.to_vec());
        assert_eq!(value.get_attr("a\"b").unwrap(), Value::from(1));
        assert_eq!(value.get_attr("c").unwrap(), Value::from(3));
        assert_eq!(value.len(), Some(2));
    }
}
