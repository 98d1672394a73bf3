//! Shopify's cart and line-item JSON, field for field and in the documented order.
//! The theme's `cart` object is built from the same shapes, so templates and the Ajax API agree.

use std::sync::Arc;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use indexmap::IndexMap;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::cart::pricing::{DiscountApplication, PricedCart, PricedLine};
use crate::catalog::{DiscountValue, Image, SellingPlanOption};
use crate::theme::Fragment;

/// Bundled sections by id, in the order asked for: the HTML, or `None` (JSON `null`) for an
/// unknown or failing section.
pub type Sections = IndexMap<String, Option<SectionHtml>>;

/// A rendered section, and the snippet outputs it printed itself, in order: their JSON escaping
/// is kept with them (see `Fragment`), so only the HTML between them is escaped per answer.
#[derive(Debug, Clone, Default)]
pub struct SectionHtml {
    pub html: String,
    pub printed: Vec<Arc<Fragment>>,
}

impl From<String> for SectionHtml {
    fn from(html: String) -> Self {
        SectionHtml {
            html,
            printed: Vec::new(),
        }
    }
}

/// A run of a section's JSON string: HTML still to escape, or a snippet output's escaping.
enum Piece<'a> {
    Escape(&'a str),
    Escaped(&'a [u8]),
}

impl Piece<'_> {
    /// The most bytes the piece writes.
    fn bound(&self) -> usize {
        match self {
            Piece::Escape(html) => escaped_bound(html),
            Piece::Escaped(json) => json.len(),
        }
    }
}

impl SectionHtml {
    /// The HTML cut at each printed output found in it, in order. A match is exact, and JSON
    /// escaping works character by character, so the pieces escape to the bytes the whole
    /// would. An output the template did not print as it is (filtered, or kept in a variable)
    /// is not found and is escaped with the rest.
    fn pieces(&self) -> Vec<Piece<'_>> {
        let html = self.html.as_str();
        let mut pieces = Vec::with_capacity(2 * self.printed.len() + 1);
        let mut pos = 0;
        let mut tries = MAX_TRIES_PER_SECTION;
        for fragment in &self.printed {
            let text = fragment.text();
            let Some(rest) = html.get(pos..) else { break };
            let Some(at) = find_printed(rest, text, &mut tries) else {
                continue;
            };
            let Some(before) = rest.get(..at) else { break };
            if !before.is_empty() {
                pieces.push(Piece::Escape(before));
            }
            pieces.push(Piece::Escaped(fragment.json_contents()));
            pos += at + text.len();
        }
        match html.get(pos..) {
            Some("") => {}
            Some(rest) => pieces.push(Piece::Escape(rest)),
            // Not reached (matches end on a character boundary); escape it all instead.
            None => return vec![Piece::Escape(html)],
        }
        pieces
    }
}

/// Places a section's HTML is compared with its printed outputs, at most: what a template
/// never printed as it is costs a bounded search, not one over the whole HTML per output.
const MAX_TRIES_PER_SECTION: usize = 256;

/// Where `text` next starts in `html`. A printed output usually starts right after the bit of
/// markup before it, so each place its first byte occurs is compared in turn (a general
/// substring searcher spends longer preparing for a kilobyte needle than this takes to find it).
fn find_printed(html: &str, text: &str, tries: &mut usize) -> Option<usize> {
    let (html, text) = (html.as_bytes(), text.as_bytes());
    let first = *text.first()?;
    let mut from = 0;
    while *tries > 0 {
        let at = from + memchr::memchr(first, html.get(from..)?)?;
        *tries -= 1;
        if html.get(at..at + text.len()) == Some(text) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

#[derive(Debug, Serialize)]
pub struct CartJson<'a> {
    pub token: &'a str,
    pub note: Option<&'a str>,
    pub attributes: IndexMap<&'a str, &'a str>,
    pub original_total_price: i64,
    pub total_price: i64,
    pub total_discount: i64,
    pub total_weight: i64,
    pub item_count: i64,
    pub items: Vec<LineItemJson<'a>>,
    pub requires_shipping: bool,
    pub currency: &'a str,
    pub items_subtotal_price: i64,
    pub cart_level_discount_applications: Vec<DiscountApplicationJson<'a>>,
    pub discount_codes: Vec<DiscountCodeJson<'a>>,
}

#[derive(Debug, Serialize)]
pub struct DiscountCodeJson<'a> {
    pub code: &'a str,
    pub applicable: bool,
}

#[derive(Debug, Serialize)]
pub struct DiscountApplicationJson<'a> {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub key: &'a str,
    pub title: &'a str,
    pub description: &'a str,
    pub value: String,
    pub created_at: String,
    pub value_type: &'static str,
    pub allocation_method: &'static str,
    pub target_selection: &'static str,
    pub target_type: &'static str,
    pub total_allocated_amount: i64,
}

#[derive(Debug, Serialize)]
pub struct FeaturedImageJson<'a> {
    pub aspect_ratio: f64,
    pub alt: &'a str,
    pub height: u32,
    pub url: &'a str,
    pub width: u32,
}

#[derive(Debug, Serialize)]
pub struct OptionValueJson<'a> {
    pub name: &'a str,
    pub value: &'a str,
}

#[derive(Debug, Serialize)]
pub struct QuantityRuleJson {
    pub min: i64,
    pub max: Option<i64>,
    pub increment: i64,
}

#[derive(Debug, Serialize)]
pub struct PriceAdjustmentJson {
    pub position: u32,
    pub price: i64,
}

#[derive(Debug, Serialize)]
pub struct SellingPlanJson<'a> {
    pub id: i64,
    pub name: &'a str,
    pub description: &'a str,
    pub options: &'a [SellingPlanOption],
    pub recurring_deliveries: bool,
}

#[derive(Debug, Serialize)]
pub struct SellingPlanAllocationJson<'a> {
    pub price_adjustments: Vec<PriceAdjustmentJson>,
    pub price: i64,
    pub compare_at_price: i64,
    pub per_delivery_price: i64,
    pub selling_plan: SellingPlanJson<'a>,
}

#[derive(Debug, Serialize)]
pub struct LineItemJson<'a> {
    pub id: Option<i64>,
    pub properties: &'a IndexMap<String, Value>,
    pub quantity: i64,
    pub variant_id: Option<i64>,
    pub key: String,
    pub title: &'a str,
    pub price: i64,
    pub original_price: i64,
    pub discounted_price: i64,
    pub line_price: i64,
    pub original_line_price: i64,
    pub total_discount: i64,
    pub discounts: Vec<Value>,
    pub sku: &'a str,
    pub grams: i64,
    pub vendor: &'a str,
    pub taxable: bool,
    pub product_id: Option<i64>,
    pub product_has_only_default_variant: bool,
    pub gift_card: bool,
    pub final_price: i64,
    pub final_line_price: i64,
    pub url: Option<String>,
    pub featured_image: Option<FeaturedImageJson<'a>>,
    pub image: Option<&'a str>,
    pub handle: Option<&'a str>,
    pub requires_shipping: bool,
    pub product_type: &'a str,
    pub product_title: &'a str,
    pub product_description: &'a str,
    pub variant_title: Option<&'a str>,
    pub variant_options: Vec<&'a str>,
    pub options_with_values: Vec<OptionValueJson<'a>>,
    pub line_level_discount_allocations: Vec<Value>,
    pub line_level_total_discount: i64,
    pub quantity_rule: QuantityRuleJson,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub selling_plan_allocation: Option<SellingPlanAllocationJson<'a>>,
}

impl<'a> CartJson<'a> {
    pub fn new(priced: &'a PricedCart<'a>) -> Self {
        let mut json = Self::without_items(priced);
        json.items = priced.lines.iter().map(LineItemJson::new).collect();
        json
    }

    /// The cart's JSON with `items` left empty, for callers that have the lines' JSON already.
    pub fn without_items(priced: &'a PricedCart<'a>) -> Self {
        let cart = priced.cart;
        CartJson {
            token: &cart.id,
            note: cart.note.as_deref(),
            attributes: cart
                .public_attributes()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect(),
            original_total_price: priced.original_total_price,
            total_price: priced.total_price,
            total_discount: priced.total_discount,
            total_weight: priced.total_weight,
            item_count: priced.item_count,
            items: Vec::new(),
            requires_shipping: priced.requires_shipping,
            currency: &cart.currency,
            items_subtotal_price: priced.items_subtotal_price,
            cart_level_discount_applications: priced
                .applications
                .iter()
                .map(|a| DiscountApplicationJson::new(a, cart.updated_at))
                .collect(),
            discount_codes: priced
                .codes
                .iter()
                .map(|c| DiscountCodeJson {
                    code: &c.code,
                    applicable: c.applicable,
                })
                .collect(),
        }
    }
}

impl<'a> DiscountApplicationJson<'a> {
    fn new(a: &'a DiscountApplication, at: chrono::DateTime<chrono::Utc>) -> Self {
        let (value, value_type) = match a.value {
            DiscountValue::Percentage(p) => (format!("{p}.0"), "percentage"),
            DiscountValue::FixedAmount(c) => {
                (format!("{}.{:02}", c / 100, c % 100), "fixed_amount")
            }
        };
        DiscountApplicationJson {
            kind: "discount_code",
            key: &a.code,
            title: &a.title,
            description: &a.description,
            value,
            created_at: at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            value_type,
            allocation_method: "across",
            target_selection: "all",
            target_type: "line_item",
            total_allocated_amount: a.total_allocated_amount,
        }
    }
}

fn featured_image(image: &Image) -> FeaturedImageJson<'_> {
    FeaturedImageJson {
        aspect_ratio: image.aspect_ratio(),
        alt: &image.alt,
        height: image.height,
        url: &image.src,
        width: image.width,
    }
}

impl<'a> LineItemJson<'a> {
    pub fn new(l: &'a PricedLine<'a>) -> Self {
        let line = l.line;
        let product = l.product;
        let variant = l.variant;
        let default_only = product.is_some_and(|p| p.has_only_default_variant());
        let variant_title = match variant {
            Some(v) if !default_only => Some(v.title.as_str()),
            _ => None,
        };
        let url = match (product, variant) {
            (Some(p), Some(v)) => Some(match l.selling_plan {
                Some(plan) => format!(
                    "/products/{}?selling_plan={}&variant={}",
                    p.handle, plan.id, v.id
                ),
                None => format!("/products/{}?variant={}", p.handle, v.id),
            }),
            _ => None,
        };
        let options_with_values = match (product, variant) {
            (Some(p), Some(v)) => p
                .options
                .iter()
                .zip(v.options.iter())
                .map(|(name, value)| OptionValueJson { name, value })
                .collect(),
            _ => Vec::new(),
        };
        let selling_plan_allocation = l.selling_plan.map(|plan| SellingPlanAllocationJson {
            price_adjustments: vec![PriceAdjustmentJson {
                position: 1,
                price: l.price,
            }],
            price: l.price,
            compare_at_price: l.base_price,
            per_delivery_price: l.price,
            selling_plan: SellingPlanJson {
                id: plan.id,
                name: &plan.name,
                description: &plan.description,
                options: &plan.options,
                recurring_deliveries: plan.recurring_deliveries,
            },
        });
        let title_fallback: &'a str = &l.title;
        LineItemJson {
            id: line.variant_id(),
            properties: &line.properties,
            quantity: line.quantity,
            variant_id: line.variant_id(),
            key: line.key(),
            title: &l.title,
            price: l.price,
            original_price: l.price,
            discounted_price: l.price,
            line_price: l.line_price,
            original_line_price: l.line_price,
            total_discount: 0,
            discounts: Vec::new(),
            sku: &l.sku,
            grams: l.grams,
            vendor: product.map_or("", |p| p.vendor.as_str()),
            taxable: variant.is_some_and(|v| v.taxable),
            product_id: product.map(|p| p.id),
            product_has_only_default_variant: default_only,
            gift_card: l.gift_card,
            final_price: l.price,
            final_line_price: l.line_price,
            url,
            featured_image: l.image.map(featured_image),
            image: l.image.map(|i| i.src.as_str()),
            handle: product.map(|p| p.handle.as_str()),
            requires_shipping: l.requires_shipping,
            product_type: product.map_or("", |p| p.product_type.as_str()),
            product_title: product.map_or(title_fallback, |p| p.title.as_str()),
            product_description: product.map_or("", |p| p.description.as_str()),
            variant_title,
            variant_options: variant
                .map_or_else(Vec::new, |v| v.options.iter().map(String::as_str).collect()),
            options_with_values,
            line_level_discount_allocations: Vec::new(),
            line_level_total_discount: 0,
            quantity_rule: QuantityRuleJson {
                min: 1,
                max: None,
                increment: 1,
            },
            selling_plan_allocation,
        }
    }
}

/// Serializes a JSON object straight to bytes, with `extra` top-level fields appended (such as
/// `sections`). Going through `serde_json::Value` first costs more than the rest of a request.
pub fn object_bytes<T: Serialize>(body: &T, extra: &Map<String, Value>) -> Bytes {
    let mut out = Vec::with_capacity(4096);
    if serde_json::to_writer(&mut out, body).is_err() || out.last() != Some(&b'}') {
        out.clear();
        out.extend_from_slice(b"{}");
    }
    if extra.is_empty() {
        Bytes::from(out)
    } else {
        append_fields(&out, extra)
    }
}

/// Appends top-level fields to a serialized JSON object (one that `object_bytes` wrote).
pub fn append_fields(object: &[u8], extra: &Map<String, Value>) -> Bytes {
    let Some(open) = object.strip_suffix(b"}") else {
        return Bytes::copy_from_slice(object);
    };
    let mut out = Vec::with_capacity(object.len() + 4096);
    out.extend_from_slice(open);
    for (name, value) in extra {
        if out.len() > 1 {
            out.push(b',');
        }
        let _ = serde_json::to_writer(&mut out, name);
        out.push(b':');
        let _ = serde_json::to_writer(&mut out, value);
    }
    out.push(b'}');
    Bytes::from(out)
}

/// Appends `"sections": {id: html or null, ...}` to a serialized JSON object (one that
/// `object_bytes` wrote): the same bytes as `append_fields` with the map as a `Value`, without
/// building one. The HTML is most of an answer, so its escaping is what this is about.
pub fn append_sections(object: &[u8], sections: &Sections) -> Bytes {
    let Some(open) = object.strip_suffix(b"}") else {
        return Bytes::copy_from_slice(object);
    };
    let pieces = section_pieces(sections);
    let mut out = Vec::with_capacity(open.len() + 16 + sections_bound(sections, &pieces));
    out.extend_from_slice(open);
    if out.len() > 1 {
        out.push(b',');
    }
    out.extend_from_slice(br#""sections":"#);
    push_sections(&mut out, sections, &pieces);
    out.push(b'}');
    Bytes::from(out)
}

/// `{id: html or null, ...}`: the Section Rendering API's answer to `?sections=`.
pub fn sections_object(sections: &Sections) -> Bytes {
    let pieces = section_pieces(sections);
    let mut out = Vec::with_capacity(2 + sections_bound(sections, &pieces));
    push_sections(&mut out, sections, &pieces);
    Bytes::from(out)
}

type Pieces<'a> = Vec<Option<Vec<Piece<'a>>>>;

fn section_pieces(sections: &Sections) -> Pieces<'_> {
    sections
        .values()
        .map(|section| section.as_ref().map(SectionHtml::pieces))
        .collect()
}

/// The most bytes `push_sections` writes. The escaper asks for room for its worst case before
/// each string (see `push_str`); reserving it all up front means the buffer is allocated once
/// and never moved.
fn sections_bound(sections: &Sections, pieces: &Pieces<'_>) -> usize {
    sections
        .keys()
        .zip(pieces)
        .map(|(id, html)| {
            let html = html
                .as_ref()
                .map_or(4, |pieces| pieces.iter().map(Piece::bound).sum());
            escaped_bound(id) + html + 4
        })
        .sum::<usize>()
        + 2
}

fn push_sections(out: &mut Vec<u8>, sections: &Sections, pieces: &Pieces<'_>) {
    out.push(b'{');
    for (i, (id, html)) in sections.keys().zip(pieces).enumerate() {
        if i > 0 {
            out.push(b',');
        }
        push_str(out, id);
        out.push(b':');
        match html {
            Some(pieces) => {
                out.push(b'"');
                for piece in pieces {
                    match piece {
                        Piece::Escape(html) => push_contents(out, html),
                        Piece::Escaped(json) => out.extend_from_slice(json),
                    }
                }
                out.push(b'"');
            }
            None => out.extend_from_slice(b"null"),
        }
    }
    out.push(b'}');
}

/// Appends `s` escaped as the inside of a JSON string, without the quotes.
fn push_contents(out: &mut Vec<u8>, s: &str) {
    let start = out.len();
    push_str(out, s);
    out.pop();
    out.remove(start);
}

/// Appends `s` as a JSON string, quotes included, byte for byte as serde_json writes it.
/// serde_json looks at one byte at a time; on section HTML, with a quote or a newline every
/// fifteen bytes or so, the crate's SIMD scan takes about half the time.
pub fn push_str(out: &mut Vec<u8>, s: &str) {
    json_escape_simd::escape_into(s, out);
}

/// The room `push_str` reserves for `s`: six bytes per input byte (`\u001f`), quotes and the
/// kernel's overrun of one vector register.
fn escaped_bound(s: &str) -> usize {
    s.len() * 6 + 35
}

/// A `200 application/json` response from pre-serialized bytes.
pub fn json_bytes(status: StatusCode, body: Bytes) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response()
}

/// The bytes of `CartJson::new(priced)`, with each line's JSON given already serialized (in
/// the order of `priced.lines`).
pub fn cart_bytes(priced: &PricedCart<'_>, lines: &[impl AsRef<[u8]>]) -> Bytes {
    let shell = object_bytes(&CartJson::without_items(priced), &Map::new());
    // Strings escape their quotes, so this is the `items` key: no note, attribute or code can
    // spell it with bare quotes.
    const EMPTY_ITEMS: &[u8] = br#""items":[]"#;
    let Some(at) = shell
        .windows(EMPTY_ITEMS.len())
        .position(|w| w == EMPTY_ITEMS)
    else {
        return object_bytes(&CartJson::new(priced), &Map::new());
    };
    let split = at + EMPTY_ITEMS.len() - 1;
    let mut out = Vec::with_capacity(shell.len() + joined_len(lines));
    out.extend_from_slice(&shell[..split]);
    push_joined(&mut out, lines);
    out.extend_from_slice(&shell[split..]);
    Bytes::from(out)
}

/// `{"items":[...]}` from lines' JSON already serialized: the answer of a multi-item add.
pub fn items_bytes(lines: &[impl AsRef<[u8]>]) -> Bytes {
    let mut out = Vec::with_capacity(12 + joined_len(lines));
    out.extend_from_slice(br#"{"items":["#);
    push_joined(&mut out, lines);
    out.extend_from_slice(b"]}");
    Bytes::from(out)
}

fn joined_len(items: &[impl AsRef<[u8]>]) -> usize {
    items.iter().map(|item| item.as_ref().len() + 1).sum()
}

/// Serialized JSON values, comma-separated (the inside of an array).
fn push_joined(out: &mut Vec<u8>, items: &[impl AsRef<[u8]>]) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(item.as_ref());
    }
}

/// The sections as a JSON object, for answers built as a `Value` (errors).
pub fn sections_value(sections: Sections) -> Value {
    Value::Object(
        sections
            .into_iter()
            .map(|(id, section)| (id, section.map_or(Value::Null, |s| Value::String(s.html))))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;
    use proptest::prelude::*;

    /// Text weighted towards what escaping is about: every control character, quotes,
    /// backslashes, multi-byte UTF-8 (U+2028 and U+2029 among them), and clean runs long enough
    /// to cross the escaper's vector-sized blocks.
    fn text() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            3 => any::<char>().prop_map(String::from),
            2 => (0u8..0x20).prop_map(|b| char::from(b).to_string()),
            3 => prop::sample::select(vec![
                "\"", "\\", "\n", "\r\n", "\t", "<", "/", "\u{7f}", "\u{80}", "é", "\u{2028}",
                "\u{2029}", "\u{feff}", "\u{10ffff}", "😀",
            ])
            .prop_map(str::to_string),
            2 => (0usize..80).prop_map(|n| "a".repeat(n)),
        ];
        prop::collection::vec(piece, 0..40).prop_map(|pieces| pieces.concat())
    }

    fn demo_catalog() -> &'static Catalog {
        static CATALOG: std::sync::LazyLock<Catalog> = std::sync::LazyLock::new(|| {
            let dir = tempfile::tempdir().expect("temp dir");
            let store = crate::store::Store::open(&dir.path().join("store.db")).expect("open");
            let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
            store.sync_catalog(&data).expect("demo catalog")
        });
        &CATALOG
    }

    fn cart_with_text(text: &str, lines: usize) -> crate::cart::Cart {
        let catalog = demo_catalog();
        let now = chrono::Utc::now();
        let mut cart = crate::cart::Cart::new("c".into(), &catalog.shop().currency, now);
        let items = [794864229, 36323170943141, 40000000000020]
            .into_iter()
            .take(lines)
            .map(|variant_id| crate::cart::AddItem {
                variant_id,
                quantity: 1,
                ..Default::default()
            })
            .collect();
        cart.add(catalog, items, crate::cart::StockPolicy::Clamp, now)
            .expect("adds");
        cart.note = Some(text.into());
        cart.attributes.insert(text.into(), text.into());
        cart.attributes
            .insert("items".into(), r#""items":[]"#.into());
        cart.discount_codes = vec![text.into(), "WELCOME10".into()];
        cart
    }

    proptest! {
        /// Splicing the lines' JSON into the cart's gives the bytes of serializing it whole,
        /// whatever the note, attributes and codes spell (`"items":[]` included).
        #[test]
        fn a_cart_with_its_lines_spliced_in_is_the_whole_cart(
            text in prop_oneof![text(), Just(r#"","items":[],""#.to_string())],
            lines in 0usize..4,
        ) {
            let cart = cart_with_text(&text, lines);
            let priced = crate::cart::pricing::price(&cart, demo_catalog());
            let line_json: Vec<Arc<[u8]>> = priced
                .lines
                .iter()
                .map(|l| Arc::from(serde_json::to_vec(&LineItemJson::new(l)).expect("line")))
                .collect();
            let whole = object_bytes(&CartJson::new(&priced), &Map::new());
            prop_assert_eq!(cart_bytes(&priced, &line_json), whole);
        }

        #[test]
        fn push_str_writes_what_serde_json_writes(s in text()) {
            let mut out = b"{\"x\":".to_vec();
            push_str(&mut out, &s);
            let expected = serde_json::to_string(&s).expect("a string serializes");
            prop_assert_eq!(&out[5..], expected.as_bytes());
        }

        #[test]
        fn append_sections_writes_what_append_fields_writes(
            sections in prop::collection::vec((text(), prop::option::of(text())), 0..5),
            empty_body in any::<bool>(),
        ) {
            let object: &[u8] = if empty_body { b"{}" } else { br#"{"token":"a\"b","items":[]}"# };
            let sections: Sections = sections
                .into_iter()
                .map(|(id, html)| (id, html.map(SectionHtml::from)))
                .collect();
            let mut extra = Map::new();
            extra.insert("sections".into(), sections_value(sections.clone()));
            prop_assert_eq!(append_sections(object, &sections), append_fields(object, &extra));
        }
    }

    proptest! {
        #[test]
        fn sections_object_writes_what_serde_json_writes(
            sections in prop::collection::vec((text(), prop::option::of(text())), 0..5),
        ) {
            let sections: Sections = sections
                .into_iter()
                .map(|(id, html)| (id, html.map(SectionHtml::from)))
                .collect();
            let expected = serde_json::to_vec(&sections_value(sections.clone())).expect("json");
            let written = sections_object(&sections);
            prop_assert_eq!(written.as_ref(), expected.as_slice());
        }
    }

    proptest! {
        /// A section's JSON is the same bytes whether the printed snippet outputs are spliced
        /// in already escaped or the whole HTML is escaped, whatever the outputs hold, and also
        /// when some were never printed, were printed twice or appear in another order.
        #[test]
        fn spliced_snippet_outputs_escape_like_the_whole_html(
            runs in prop::collection::vec((text(), any::<bool>()), 0..8),
            unprinted in prop::collection::vec(text(), 0..3),
            shuffle in any::<bool>(),
        ) {
            let html: String = runs.iter().map(|(run, _)| run.as_str()).collect();
            let mut printed: Vec<Arc<Fragment>> = runs
                .iter()
                .filter(|(_, is_snippet)| *is_snippet)
                .map(|(run, _)| run)
                .chain(&unprinted)
                .map(|run| Fragment::new(minijinja::Value::from_safe_string(run.clone())))
                .collect();
            if shuffle {
                printed.reverse();
            }
            let plain: Sections = [("s".to_string(), Some(SectionHtml::from(html.clone())))].into();
            let spliced: Sections = [("s".to_string(), Some(SectionHtml { html, printed }))].into();
            prop_assert_eq!(append_sections(b"{}", &spliced), append_sections(b"{}", &plain));
        }
    }

    #[test]
    fn push_str_escapes_every_control_character_as_serde_json_does() {
        let all: String = (0u8..0x80).map(char::from).collect::<String>().repeat(3);
        let mut out = Vec::new();
        push_str(&mut out, &all);
        let expected = serde_json::to_vec(&all).expect("a string serializes");
        assert_eq!(out, expected);
    }
}
