//! Unit tests of the Shopify body parser: the folding rules, the limits, each encoding.

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
