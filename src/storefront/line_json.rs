//! Each cart line's Ajax JSON, kept across requests.
//!
//! A line's JSON is a function of the catalog and of the line's item (variant and selling plan,
//! or custom item), quantity, properties and price override: no other line, no cart-level
//! discount and no timestamp shows in it (cart-level discounts are listed on the cart). So when
//! one line of a ten-line cart changes, one line is serialized, not ten. The cache belongs to
//! one catalog; `AppState` makes both together.

use crate::cart::{Line, LineItem, PricedLine};
use crate::theme::KeyedJson;

use super::json::LineItemJson;

/// Bytes kept, keys and JSON together: some three thousand lines of the demo catalog.
const CAPACITY_BYTES: u64 = 4 * 1024 * 1024;

/// About what a line's key and JSON weigh, to size the table.
const TYPICAL_ENTRY_BYTES: u64 = 1400;

type Cache = quick_cache::sync::Cache<
    Box<[u8]>,
    KeyedJson,
    ByBytes,
    foldhash::fast::RandomState,
    quick_cache::sync::DefaultLifecycle<Box<[u8]>, KeyedJson>,
>;

pub struct LineJsonCache {
    cache: Cache,
}

impl Default for LineJsonCache {
    fn default() -> Self {
        LineJsonCache {
            cache: Cache::with(
                (CAPACITY_BYTES / TYPICAL_ENTRY_BYTES) as usize,
                CAPACITY_BYTES,
                ByBytes,
                Default::default(),
                Default::default(),
            ),
        }
    }
}

/// Weighs an entry by its bytes: its key, its JSON, and as much again for the fields a
/// template parsed from it.
#[derive(Clone)]
struct ByBytes;

impl quick_cache::Weighter<Box<[u8]>, KeyedJson> for ByBytes {
    fn weight(&self, key: &Box<[u8]>, json: &KeyedJson) -> u64 {
        (key.len() + 2 * json.as_ref().len()) as u64
    }
}

impl LineJsonCache {
    /// The JSON of `line`, as `/cart.js` writes it in `items`.
    pub fn get(&self, line: &PricedLine<'_>) -> KeyedJson {
        let Some(key) = inputs(line.line) else {
            return serialize(line);
        };
        if let Some(json) = self.cache.get(&key) {
            return json;
        }
        let json = serialize(line);
        self.cache.insert(key, json.clone());
        json
    }
}

fn serialize(line: &PricedLine<'_>) -> KeyedJson {
    KeyedJson::new(serde_json::to_vec(&LineItemJson::new(line)).unwrap_or_else(|_| b"{}".to_vec()))
}

/// Everything of the line that its JSON depends on, as bytes. The common line, a catalog
/// variant without properties, is written field by field; serializing it with serde took a
/// tenth of the time of finding its JSON. The first byte keeps the two encodings apart.
fn inputs(line: &Line) -> Option<Box<[u8]>> {
    if let LineItem::Variant {
        variant_id,
        selling_plan,
        parent_id,
    } = &line.item
        && line.properties.is_empty()
    {
        let mut key = Vec::with_capacity(48);
        key.push(b'v');
        key.extend_from_slice(&variant_id.to_le_bytes());
        for optional in [*selling_plan, *parent_id, line.price_override] {
            match optional {
                Some(n) => {
                    key.push(1);
                    key.extend_from_slice(&n.to_le_bytes());
                }
                None => key.push(0),
            }
        }
        key.extend_from_slice(&line.quantity.to_le_bytes());
        return Some(key.into_boxed_slice());
    }
    let inputs = (
        &line.item,
        line.quantity,
        &line.properties,
        line.price_override,
    );
    let mut key = vec![b's'];
    serde_json::to_writer(&mut key, &inputs).ok()?;
    Some(key.into_boxed_slice())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cart::pricing::price;
    use crate::cart::{AddItem, Cart, StockPolicy};
    use crate::catalog::Catalog;

    fn demo_catalog() -> Catalog {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = crate::store::Store::open(&dir.path().join("store.db")).expect("open");
        let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
        store.sync_catalog(&data).expect("demo catalog")
    }

    fn fresh(line: &PricedLine<'_>) -> Vec<u8> {
        serde_json::to_vec(&LineItemJson::new(line)).expect("serializes")
    }

    /// Cached JSON equals fresh JSON whatever else of the cart changed since it was cached:
    /// other lines, discount codes, the note, the line's id and timestamps.
    #[test]
    fn a_cached_line_reads_as_a_freshly_serialized_one() {
        let catalog = demo_catalog();
        let now = chrono::Utc::now();
        let mut cart = Cart::new("c".into(), &catalog.shop().currency, now);
        let add = |cart: &mut Cart, variant_id, quantity| {
            let item = AddItem {
                variant_id,
                quantity,
                ..Default::default()
            };
            cart.add(&catalog, vec![item], StockPolicy::Clamp, now)
                .expect("adds");
        };
        add(&mut cart, 794864229, 2);
        add(&mut cart, 36323170943141, 1);
        let cache = LineJsonCache::default();
        for line in &price(&cart, &catalog).lines {
            assert_eq!(cache.get(line).as_ref(), fresh(line).as_slice());
        }

        // The same first line in a cart that differs in every other way.
        add(&mut cart, 40000000000020, 3);
        cart.discount_codes = vec!["WELCOME10".into(), "FIVEOFF".into()];
        cart.note = Some("changed".into());
        cart.lines[0].id = uuid::Uuid::new_v4();
        cart.lines[0].updated_at = now + chrono::Duration::hours(1);
        let priced = price(&cart, &catalog);
        assert!(
            priced.lines[0]
                .allocations
                .iter()
                .any(|(_, amount)| *amount > 0),
            "the line carries a discount allocation now"
        );
        for line in &priced.lines {
            assert_eq!(cache.get(line).as_ref(), fresh(line).as_slice());
        }

        // A change to the line itself is a different entry.
        cart.lines[0].quantity = 5;
        cart.lines[0]
            .properties
            .insert("Gift".into(), serde_json::json!("yes"));
        let priced = price(&cart, &catalog);
        let json = cache.get(&priced.lines[0]);
        assert_eq!(json.as_ref(), fresh(&priced.lines[0]).as_slice());
        let text = String::from_utf8_lossy(json.as_ref());
        assert!(text.contains(r#""quantity":5"#), "{text}");
        assert!(text.contains(r#""Gift":"yes""#), "{text}");
    }

    /// Lines that differ in anything their JSON depends on have different keys, in both
    /// encodings.
    #[test]
    fn keys_tell_apart_what_the_json_depends_on() {
        let now = chrono::Utc::now();
        let base = Line {
            id: uuid::Uuid::new_v4(),
            item: LineItem::Variant {
                variant_id: 7,
                selling_plan: None,
                parent_id: None,
            },
            quantity: 1,
            properties: Default::default(),
            price_override: None,
            extras: Default::default(),
            created_at: now,
            updated_at: now,
        };
        let variant = |selling_plan, parent_id| LineItem::Variant {
            variant_id: 7,
            selling_plan,
            parent_id,
        };
        let mut lines = vec![base.clone()];
        let mut push = |change: &dyn Fn(&mut Line)| {
            let mut line = base.clone();
            change(&mut line);
            lines.push(line);
        };
        push(&|l| l.quantity = 2);
        push(&|l| l.price_override = Some(1));
        push(&|l| l.price_override = Some(7));
        push(&|l| l.item = variant(Some(1), None));
        push(&|l| l.item = variant(None, Some(1)));
        push(&|l| l.item = variant(Some(1), Some(1)));
        push(&|l| {
            l.properties.insert("a".into(), serde_json::json!(1));
        });
        push(&|l| {
            l.properties.insert("a".into(), serde_json::json!(2));
        });
        let keys: Vec<_> = lines.iter().map(|l| inputs(l).expect("a key")).collect();
        for (i, a) in keys.iter().enumerate() {
            for b in &keys[i + 1..] {
                assert_ne!(a, b);
            }
        }
        // What the JSON does not show leaves the key alone.
        let mut other = base.clone();
        other.id = uuid::Uuid::new_v4();
        other.updated_at = now + chrono::Duration::hours(1);
        assert_eq!(inputs(&other), inputs(&base));
    }
}
