//! Shopify line keys: `"<variant_id>:<32 lowercase hex>"`. The digest covers everything that makes
//! a line distinct (item, properties, selling plan, parent, price override, extras), so the key
//! changes when any of those change and stays put when only the quantity does.

use md5::{Digest, Md5};

use super::{Line, LineItem};

pub fn line_key(line: &Line) -> String {
    let mut hasher = Md5::new();
    let prefix = match &line.item {
        LineItem::Variant {
            variant_id,
            selling_plan,
            parent_id,
        } => {
            hasher.update(b"v");
            hasher.update(variant_id.to_le_bytes());
            field(&mut hasher, b"plan", selling_plan.map(|p| p.to_le_bytes()));
            field(&mut hasher, b"parent", parent_id.map(|p| p.to_le_bytes()));
            variant_id.to_string()
        }
        LineItem::Custom { .. } => {
            hasher.update(b"c");
            hasher.update(serde_json::to_vec(&line.item).unwrap_or_default());
            "custom".to_string()
        }
        LineItem::GiftCertificate { .. } => {
            hasher.update(b"g");
            hasher.update(serde_json::to_vec(&line.item).unwrap_or_default());
            "gift_certificate".to_string()
        }
    };
    // Properties in name order, so insertion order does not change the key.
    let mut properties: Vec<_> = line.properties.iter().collect();
    properties.sort_unstable_by(|a, b| a.0.cmp(b.0));
    for (name, value) in properties {
        hasher.update(b"p");
        hasher.update((name.len() as u64).to_le_bytes());
        hasher.update(name.as_bytes());
        let value = value.to_string();
        hasher.update((value.len() as u64).to_le_bytes());
        hasher.update(value.as_bytes());
    }
    field(
        &mut hasher,
        b"price",
        line.price_override.map(|p| p.to_le_bytes()),
    );
    if !line.extras.is_empty() {
        hasher.update(b"x");
        hasher.update(canonical_extras(line));
    }
    let digest = hasher.finalize();
    let mut key = String::with_capacity(prefix.len() + 33);
    key.push_str(&prefix);
    key.push(':');
    for byte in digest {
        key.push(char::from(HEX[(byte >> 4) as usize]));
        key.push(char::from(HEX[(byte & 0xf) as usize]));
    }
    key
}

const HEX: &[u8; 16] = b"0123456789abcdef";

fn field(hasher: &mut Md5, name: &[u8], value: Option<[u8; 8]>) {
    if let Some(bytes) = value {
        hasher.update(name);
        hasher.update(bytes);
    }
}

/// Extras with object keys sorted, so equal extras always hash the same.
fn canonical_extras(line: &Line) -> Vec<u8> {
    let value = serde_json::to_value(&line.extras).unwrap_or_default();
    serde_json::to_vec(&sorted(value)).unwrap_or_default()
}

fn sorted(value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> =
                map.into_iter().map(|(k, v)| (k, sorted(v))).collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}
