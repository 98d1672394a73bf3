//! Property tests for `vitrine::api::shopify::body`: it never panics, whatever the bytes and the content
//! type, and bracket-named pairs round-trip to the object they were made from.
//!
//! The case count defaults to 256 and follows `PROPTEST_CASES` when it is set.

use std::sync::LazyLock;

use bytes::Bytes;
use proptest::prelude::*;
use serde_json::{Map, Value};
use vitrine::api::shopify::body::{self, BodyError};

static RUNTIME: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a tokio runtime")
});

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(256);
    ProptestConfig::with_cases(cases)
}

fn parse(content_type: Option<&str>, bytes: Vec<u8>) -> Result<Map<String, Value>, BodyError> {
    RUNTIME.block_on(body::parse_body(
        content_type,
        Bytes::from(bytes),
        &["sections"],
    ))
}

const BOUNDARY: &str = "XyZ";

fn content_type() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        Just(Some("application/json".to_owned())),
        Just(Some("application/json;".to_owned())),
        Just(Some("application/vnd.api+json; charset=utf-8".to_owned())),
        Just(Some("application/x-www-form-urlencoded".to_owned())),
        Just(Some(format!("multipart/form-data; boundary={BOUNDARY}"))),
        Just(Some("multipart/form-data".to_owned())),
        Just(Some("text/plain;charset=UTF-8".to_owned())),
        any::<String>().prop_map(Some),
    ]
}

/// Bytes that are sometimes random and sometimes close enough to each encoding to get past its
/// first checks.
fn body_bytes() -> impl Strategy<Value = Vec<u8>> {
    let noise = proptest::collection::vec(any::<u8>(), 0..512);
    let near_json = "[ \\{\\}\\[\\]\":,0-9a-z\\\\\n]{0,128}".prop_map(String::into_bytes);
    let near_form = "[a-z0-9\\[\\]=&%+ é]{0,128}".prop_map(String::into_bytes);
    let near_multipart = (
        proptest::collection::vec(
            (
                "[a-z\\[\\]0-9\"]{0,12}",
                "[a-z0-9\r\n-]{0,16}",
                any::<bool>(),
            ),
            0..6,
        ),
        any::<bool>(),
        proptest::collection::vec(any::<u8>(), 0..32),
    )
        .prop_map(|(parts, close, tail)| {
            let mut out = Vec::new();
            for (name, value, file) in parts {
                out.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
                let filename = if file { "; filename=\"f.bin\"" } else { "" };
                out.extend_from_slice(
                    format!("Content-Disposition: form-data; name=\"{name}\"{filename}\r\n\r\n{value}\r\n")
                        .as_bytes(),
                );
            }
            if close {
                out.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
            }
            out.extend_from_slice(&tail);
            out
        });
    prop_oneof![noise, near_json, near_form, near_multipart]
}

/// A name made of a base and up to `MAX_DEPTH` bracket segments, some of them odd.
fn bracket_name() -> impl Strategy<Value = String> {
    let segment = prop_oneof![
        Just(String::new()),
        "[0-9]{1,4}",
        "[a-zA-Z _é]{1,6}",
        "[\\[\\]]{1,2}",
    ];
    (
        "[a-z]{0,4}",
        proptest::collection::vec(segment, 0..=body::MAX_DEPTH),
        "[\\[\\]a]{0,2}",
        any::<bool>(),
    )
        .prop_map(|(base, segs, tail, tailed)| {
            let mut name = base;
            for seg in segs {
                name.push('[');
                name.push_str(&seg);
                name.push(']');
            }
            if tailed {
                name.push_str(&tail);
            }
            name
        })
}

/// The depth of a well-formed name, or 0 for one that is taken literally.
fn well_formed_depth(name: &str) -> usize {
    let Some((base, rest)) = name.split_once('[') else {
        return 0;
    };
    if base.is_empty() || base.contains(']') {
        return 0;
    }
    let mut rest = format!("[{rest}");
    let mut depth = 0;
    while let Some(after) = rest.strip_prefix('[') {
        match after.split_once(']') {
            Some((inner, next)) if !inner.contains('[') => {
                depth += 1;
                rest = next.to_owned();
            }
            _ => return 0,
        }
    }
    if rest.is_empty() { depth } else { 0 }
}

// --- the round trip -----------------------------------------------------------------------

/// A nested object of string leaves, with string arrays here and there.
#[derive(Debug, Clone)]
enum Tree {
    Leaf(String),
    List(Vec<String>),
    Map(Vec<(String, Tree)>),
}

/// Keys without brackets; small integers are frequent so that the integer-key rule is exercised.
fn key() -> impl Strategy<Value = String> {
    prop_oneof!["[0-9]{1,4}", "[^\\[\\]]{1,8}", "[a-z &=+%]{1,6}",]
}

fn entries<S: Strategy<Value = Tree>>(value: S) -> impl Strategy<Value = Vec<(String, Tree)>> {
    proptest::collection::vec((key(), value), 1..5).prop_map(|pairs| {
        // unique keys, first position kept, last value wins (as a parser would see them)
        let mut out: Vec<(String, Tree)> = Vec::new();
        for (k, v) in pairs {
            match out.iter_mut().find(|(existing, _)| *existing == k) {
                Some(slot) => slot.1 = v,
                None => out.push((k, v)),
            }
        }
        out
    })
}

fn tree() -> impl Strategy<Value = Tree> {
    let leaf = prop_oneof![
        3 => any::<String>().prop_map(Tree::Leaf),
        1 => proptest::collection::vec(any::<String>(), 1..4).prop_map(Tree::List),
    ];
    leaf.prop_recursive(4, 48, 4, |inner| entries(inner).prop_map(Tree::Map))
}

fn top_level() -> impl Strategy<Value = Vec<(String, Tree)>> {
    entries(tree())
}

/// Serializes to bracket-named pairs, encoded as a browser would.
fn serialize(top: &[(String, Tree)]) -> String {
    fn walk(name: &str, tree: &Tree, out: &mut form_urlencoded::Serializer<'_, String>) {
        match tree {
            Tree::Leaf(value) => {
                out.append_pair(name, value);
            }
            Tree::List(values) => {
                for value in values {
                    out.append_pair(&format!("{name}[]"), value);
                }
            }
            Tree::Map(entries) => {
                for (k, v) in entries {
                    walk(&format!("{name}[{k}]"), v, out);
                }
            }
        }
    }
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (k, v) in top {
        walk(k, v, &mut out);
    }
    out.finish()
}

/// The model: what the parser should give back, including the integer-key rule (a nested map
/// whose keys are all canonical integers below 1000 is an array in index order).
fn expected(top: &[(String, Tree)]) -> Value {
    fn index(key: &str) -> Option<usize> {
        let canonical = key.bytes().all(|b| b.is_ascii_digit())
            && !key.is_empty()
            && (key == "0" || !key.starts_with('0'));
        canonical
            .then(|| key.parse::<usize>().ok())
            .flatten()
            .filter(|n| *n < 1000)
    }
    fn value(tree: &Tree) -> Value {
        match tree {
            Tree::Leaf(s) => Value::String(s.clone()),
            Tree::List(items) => Value::Array(items.iter().cloned().map(Value::String).collect()),
            Tree::Map(entries) => {
                let indexes: Option<Vec<usize>> = entries.iter().map(|(k, _)| index(k)).collect();
                match indexes {
                    Some(indexes) => {
                        let mut items: Vec<(usize, Value)> = indexes
                            .into_iter()
                            .zip(entries.iter().map(|(_, v)| value(v)))
                            .collect();
                        items.sort_by_key(|(i, _)| *i);
                        Value::Array(items.into_iter().map(|(_, v)| v).collect())
                    }
                    None => {
                        Value::Object(entries.iter().map(|(k, v)| (k.clone(), value(v))).collect())
                    }
                }
            }
        }
    }
    Value::Object(top.iter().map(|(k, v)| (k.clone(), value(v))).collect())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn any_bytes_under_any_content_type_never_panic(
        content_type in content_type(),
        bytes in body_bytes(),
    ) {
        match parse(content_type.as_deref(), bytes) {
            Ok(map) => prop_assert!(serde_json::to_string(&map).is_ok()),
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }

    #[test]
    fn query_strings_never_panic(query in "\\PC{0,200}") {
        let _ = body::parse_query(&query, &["sections"]);
    }

    #[test]
    fn bracket_pairs_always_fold_into_an_object(
        pairs in proptest::collection::vec((bracket_name(), any::<String>()), 0..40),
        multi in any::<bool>(),
    ) {
        let multi_keys: &[&str] = if multi { &["a", "ab", "sections"] } else { &[] };
        let too_deep = pairs.iter().any(|(name, _)| well_formed_depth(name) > body::MAX_DEPTH);
        let result = body::pairs_to_object(pairs.clone(), multi_keys);
        prop_assert_eq!(too_deep, result.is_err(), "{:?}", result);
        if let Ok(map) = result {
            prop_assert!(pairs.is_empty() || !map.is_empty());
            // every top-level key comes from some pair's name
            for key in map.keys() {
                prop_assert!(pairs.iter().any(|(name, _)| name.starts_with(key.as_str())));
            }
        }
    }

    #[test]
    fn arbitrary_names_never_panic(
        pairs in proptest::collection::vec(("\\PC{0,40}", "\\PC{0,8}"), 0..40),
    ) {
        let _ = body::pairs_to_object(pairs, &["sections"]);
    }

    #[test]
    fn bracket_names_round_trip(top in top_level()) {
        let encoded = serialize(&top);
        let parsed = body::parse_query(&encoded, &[]).map_err(|e| TestCaseError::fail(e.to_string()))?;
        // compare as text: key order matters too
        prop_assert_eq!(
            serde_json::to_string(&parsed).unwrap(),
            serde_json::to_string(&expected(&top)).unwrap(),
            "encoded: {}", encoded
        );
    }

    #[test]
    fn bracket_names_round_trip_through_every_encoding(top in top_level()) {
        let encoded = serialize(&top);
        let expected = serde_json::to_string(&expected(&top)).unwrap();
        for ct in [Some("application/x-www-form-urlencoded"), None, Some("text/plain;charset=UTF-8")] {
            let parsed = parse(ct, encoded.clone().into_bytes())
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(serde_json::to_string(&parsed).unwrap(), expected.clone());
        }
        // and as multipart text fields, when every name can go in a Content-Disposition header
        // as-is (no quote, backslash or control character) and no value holds the delimiter
        let pairs: Vec<(String, String)> = form_urlencoded::parse(encoded.as_bytes()).into_owned().collect();
        let header_safe = pairs
            .iter()
            .all(|(name, _)| !name.contains(|c: char| c == '"' || c == '\\' || c.is_control()));
        if !header_safe || encoded.contains(BOUNDARY) {
            return Ok(());
        }
        let mut multipart = Vec::new();
        for (name, value) in &pairs {
            multipart.extend_from_slice(
                format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                    .as_bytes(),
            );
        }
        multipart.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
        let ct = format!("multipart/form-data; boundary={BOUNDARY}");
        let parsed = parse(Some(&ct), multipart).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(serde_json::to_string(&parsed).unwrap(), expected);
    }
}
