//! Shopify line keys: `"<variant_id>:<32 lowercase hex>"`. The digest covers everything that makes
//! a line distinct (item, properties, selling plan, parent, price override, extras), so the key
//! changes when any of those change and stays put when only the quantity does.

use std::collections::BTreeMap;

use md5::{Digest, Md5};
use serde_json::Value;

use super::{Line, LineItem};

pub fn line_key(line: &Line) -> String {
    let prefix = match &line.item {
        LineItem::Variant { variant_id, .. } => variant_id.to_string(),
        LineItem::Custom { .. } => "custom".to_string(),
        LineItem::GiftCertificate { .. } => "gift_certificate".to_string(),
    };
    let mut hasher = Md5::new();
    hasher.update(canonical(line).as_bytes());
    let digest = hasher.finalize();
    let mut hex = String::with_capacity(32);
    for byte in digest {
        hex.push_str(&format!("{byte:02x}"));
    }
    format!("{prefix}:{hex}")
}

/// A serialization that does not depend on map insertion order.
fn canonical(line: &Line) -> String {
    let properties: BTreeMap<&String, &Value> = line.properties.iter().collect();
    let extras = serde_json::to_value(&line.extras).unwrap_or(Value::Null);
    let doc = serde_json::json!({
        "item": line.item,
        "properties": properties,
        "price_override": line.price_override,
        "extras": sort_value(extras),
    });
    doc.to_string()
}

fn sort_value(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let sorted: BTreeMap<String, Value> =
                map.into_iter().map(|(k, v)| (k, sort_value(v))).collect();
            Value::Object(sorted.into_iter().collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sort_value).collect()),
        other => other,
    }
}
