//! Snippet output reused across requests (fragment caching).
//!
//! A snippet rendered with `render` sees only its arguments and the global objects. Most globals
//! (`shop`, `settings`, `routes`, `localization`, `collections`, `all_products`) and what filters
//! read (locale, money formats, asset versions) are fixed for one compiled theme and one locale.
//! So when a render read none of the per-request globals (`cart`, `request`, `template`,
//! `page_title`) or anything time-dependent, its output is a function of the snippet, the locale
//! and the arguments, and the next request with equal arguments can reuse it.
//!
//! Arguments must be comparable exactly and cheaply to be part of a key: plain scalars, and
//! [`Keyed`] values that carry their own identity (a cart line's JSON). Anything else makes the
//! call uncacheable. The cache belongs to one compiled theme, so editing a file starts afresh.

use std::hash::{BuildHasher, BuildHasherDefault, Hash, Hasher};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use minijinja::Value;
use minijinja::value::{Enumerator, Object, ObjectRepr, ValueKind};

use super::keyed::HASHER;
#[cfg(test)]
use super::keyed::keyed;
pub use super::keyed::{Keyed, KeyedJson};

/// Rendered bytes kept, at most (output plus keys).
const CAPACITY_BYTES: u64 = 8 * 1024 * 1024;

/// The identity of one `render()` call: equal keys render equal output. Its hash is computed
/// once, and a cart line's JSON is hashed once per request (when the line becomes a template
/// value), not once per snippet call; the JSON itself is shared, not copied, into the key.
#[derive(Debug, Clone, Eq)]
pub struct CallKey {
    hash: u64,
    /// Snippet name, locale, argument names and scalar values, length-prefixed.
    /// Not shrunk to a boxed slice: that would copy it once more per call.
    plain: Vec<u8>,
    /// The JSON of each keyed argument, in argument-name order.
    keyed: Vec<Arc<[u8]>>,
}

impl CallKey {
    fn bytes(&self) -> usize {
        self.plain.len() + self.keyed.iter().map(|json| json.len()).sum::<usize>()
    }
}

impl PartialEq for CallKey {
    fn eq(&self, other: &Self) -> bool {
        // An unchanged cart line is the same shared JSON from request to request (the Ajax
        // API keeps it), so comparing pointers spares comparing a kilobyte or more per line.
        self.hash == other.hash
            && self.plain == other.plain
            && self.keyed.len() == other.keyed.len()
            && self
                .keyed
                .iter()
                .zip(&other.keyed)
                .all(|(a, b)| Arc::ptr_eq(a, b) || a == b)
    }
}

impl Hash for CallKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.hash);
    }
}

/// Hashing for maps keyed by [`CallKey`]: its hash is already computed, so pass it through.
#[derive(Default)]
pub struct PrehashedHasher(u64);

impl Hasher for PrehashedHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is expected; fold anything else in rather than lose it.
        for &byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(byte);
        }
    }

    fn write_u64(&mut self, hash: u64) {
        self.0 = hash;
    }
}

pub type Prehashed = BuildHasherDefault<PrehashedHasher>;

/// One `render()` call's output, and the same text escaped for a JSON string, made the first
/// time an answer needs it. Kept with the output, a reused snippet is escaped once, not once
/// per answer (section HTML in JSON is mostly reused cart lines).
#[derive(Debug)]
pub struct Fragment {
    html: Value,
    json: OnceLock<Box<[u8]>>,
}

impl Fragment {
    pub fn new(html: Value) -> Arc<Fragment> {
        Arc::new(Fragment {
            html,
            json: OnceLock::new(),
        })
    }

    /// The output, as the template printed it (a safe string).
    pub fn html(&self) -> &Value {
        &self.html
    }

    pub fn text(&self) -> &str {
        self.html.as_str().unwrap_or_default()
    }

    /// The text as the inside of a JSON string (no quotes), byte for byte as serde_json
    /// escapes it.
    pub fn json_contents(&self) -> &[u8] {
        let quoted = self.json.get_or_init(|| {
            let mut out = Vec::new();
            json_escape_simd::escape_into(self.text(), &mut out);
            out.into_boxed_slice()
        });
        quoted
            .get(1..quoted.len().saturating_sub(1))
            .unwrap_or_default()
    }
}

/// Weighs an entry by its bytes: its key, its output and room for the output's escaping.
#[derive(Clone)]
struct ByBytes;

impl quick_cache::Weighter<CallKey, Arc<Fragment>> for ByBytes {
    fn weight(&self, key: &CallKey, output: &Arc<Fragment>) -> u64 {
        (key.bytes() + 2 * output.text().len()) as u64
    }
}

/// About what a snippet's output and key weigh, to size the table.
const TYPICAL_ENTRY_BYTES: u64 = 3 * 1024;

type Cache = quick_cache::sync::Cache<
    CallKey,
    Arc<Fragment>,
    ByBytes,
    Prehashed,
    quick_cache::sync::DefaultLifecycle<CallKey, Arc<Fragment>>,
>;

/// The reusable snippet output of one compiled theme.
pub struct Fragments {
    cache: Cache,
    /// Shared with the theme, so switching reuse off survives reloads (benchmarks measure the
    /// renderer without it).
    reuse: Arc<AtomicBool>,
}

impl Fragments {
    pub fn new(reuse: Arc<AtomicBool>) -> Fragments {
        Fragments {
            cache: Cache::with(
                (CAPACITY_BYTES / TYPICAL_ENTRY_BYTES) as usize,
                CAPACITY_BYTES,
                ByBytes,
                Prehashed::default(),
                Default::default(),
            ),
            reuse,
        }
    }

    pub fn get(&self, key: &CallKey) -> Option<Arc<Fragment>> {
        if !self.reuse.load(Ordering::Relaxed) {
            return None;
        }
        self.cache.get(key)
    }

    pub fn insert(&self, key: CallKey, output: Arc<Fragment>) {
        if self.reuse.load(Ordering::Relaxed) {
            self.cache.insert(key, output);
        }
    }
}

/// A map value with one field replaced: the cart with its `items` as keyed lines, its
/// `currency` as an object.
#[derive(Debug)]
struct WithField {
    base: Value,
    name: &'static str,
    field: Value,
}

impl Object for WithField {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        self.get_value_by_str(key.as_str()?)
    }

    fn get_value_by_str(self: &Arc<Self>, key: &str) -> Option<Value> {
        if key == self.name {
            return Some(self.field.clone());
        }
        self.base.get_attr(key).ok().filter(|v| !v.is_undefined())
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        match self.base.try_iter() {
            Ok(keys) => Enumerator::Values(keys.collect()),
            Err(_) => Enumerator::NonEnumerable,
        }
    }

    fn enumerator_len(self: &Arc<Self>) -> Option<usize> {
        self.base.len()
    }
}

/// The template `cart` from its JSON without items as a value (`cart`) and each line's JSON:
/// `cart.items` are the lines, keyed by their JSON so snippets rendered per line are reused
/// while the line stays the same.
pub fn cart_value(cart: Value, lines: &[KeyedJson]) -> Value {
    let items: Vec<Value> = lines.iter().map(KeyedJson::value).collect();
    let with_items = Value::from_object(WithField {
        base: cart,
        name: "items",
        field: Value::from(items),
    });
    // The JSON's currency is a code; the theme's `cart.currency` is a `currency` object.
    let code = with_items
        .get_attr("currency")
        .ok()
        .and_then(|c| c.as_str().map(str::to_owned));
    match code {
        Some(code) => Value::from_object(WithField {
            base: with_items,
            name: "currency",
            field: super::country::currency_value(&code, super::country::currency_symbol(&code)),
        }),
        None => with_items,
    }
}

/// The key of `render(name, args)` in `locale`, or `None` when an argument cannot be compared
/// exactly (a map, a list, or an object other than [`Keyed`]). `args` are sorted by name.
pub fn call_key(name: &str, locale: &str, args: &[(&str, Value)]) -> Option<CallKey> {
    let mut plain = Vec::with_capacity(64);
    let mut keyed = Vec::new();
    let mut hasher = HASHER.build_hasher();
    push_str(&mut plain, name);
    push_str(&mut plain, locale);
    for (arg, value) in args {
        push_str(&mut plain, arg);
        if let Some(line) = push_value(&mut plain, value)? {
            hasher.write_u64(line.hash());
            keyed.push(line.json().clone());
        }
    }
    hasher.write(&plain);
    Some(CallKey {
        hash: hasher.finish(),
        plain,
        keyed,
    })
}

/// Length-prefixed, so no two sequences of strings encode alike.
fn push_str(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u64).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

/// Encodes a scalar into `out`; a [`Keyed`] value is only tagged there and handed back, its
/// JSON going into the key beside. `None` when the value cannot be part of a key.
fn push_value(out: &mut Vec<u8>, value: &Value) -> Option<Option<Arc<Keyed>>> {
    match value.kind() {
        ValueKind::Undefined => out.push(b'u'),
        ValueKind::None => out.push(b'n'),
        ValueKind::Bool => out.push(if value.is_true() { b'T' } else { b'F' }),
        ValueKind::Number => {
            // Integers and floats print differently (1 vs 1.0): the tag keeps them apart. Equal
            // bits print alike, so the bits are an exact key, and cheaper than printing.
            // `as_i64` also takes floats that hold an integer, hence `is_integer` first.
            if let Some(n) = value.as_i64().filter(|_| value.is_integer()) {
                out.push(b'i');
                out.extend_from_slice(&n.to_le_bytes());
            } else if !value.is_integer()
                && let Ok(f) = f64::try_from(value.clone())
            {
                out.push(b'f');
                out.extend_from_slice(&f.to_bits().to_le_bytes());
            } else {
                out.push(b'I');
                push_str(out, &value.to_string());
            }
        }
        ValueKind::String => {
            // Safe strings are not escaped on output, plain ones are.
            out.push(if value.is_safe() { b'S' } else { b's' });
            push_str(out, value.as_str()?);
        }
        _ => {
            let keyed = value.downcast_object::<Keyed>()?;
            out.push(b'k');
            return Some(Some(keyed));
        }
    }
    Some(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use minijinja::Environment;
    use minijinja::value::Kwargs;

    fn key_of(source_args: &str) -> Option<CallKey> {
        let mut env = Environment::new();
        let captured = Arc::new(std::sync::Mutex::new(None));
        let sink = captured.clone();
        env.add_function("k", move |args: Kwargs| {
            let mut pairs: Vec<(&str, Value)> = args
                .args()
                .map(|name| (name, args.peek::<Value>(name).expect("an argument")))
                .collect();
            pairs.sort_unstable_by(|a, b| a.0.cmp(b.0));
            *sink.lock().expect("lock") = Some(call_key("snippet", "en", &pairs));
        });
        env.add_global("line", keyed(b"{\"id\":1}".to_vec()));
        env.add_global("other_line", keyed(b"{\"id\":2}".to_vec()));
        env.add_global(
            "plain_map",
            Value::from(minijinja::value::Serde(serde_json::json!({"id": 1}))),
        );
        env.render_str(&format!("{{{{ k({source_args}) }}}}"), ())
            .expect("renders");
        captured.lock().expect("lock").take().flatten()
    }

    #[test]
    fn equal_arguments_give_equal_keys_in_any_order() {
        assert_eq!(key_of("a=1, b='x'"), key_of("b='x', a=1"));
        assert_eq!(key_of("item=line"), key_of("item=line"));
        assert_eq!(key_of("a=1.5, b=-3"), key_of("b=-3, a=1.5"));
        assert_eq!(
            key_of("a=18446744073709551615"),
            key_of("a=18446744073709551615")
        );
    }

    #[test]
    fn values_that_print_differently_give_different_keys() {
        let pairs = [
            ("a=1", "a=1.0"),
            ("a=1", "a='1'"),
            ("a=true", "a=1"),
            ("a=none", "a=false"),
            ("a='<b>'", "a='<b>'|safe"),
            ("a='x', b='y'", "a='xb', b='y'"),
            ("item=line", "item=other_line"),
            ("a=1", "b=1"),
            ("a=1.5", "a=2.5"),
            ("a=2", "a=3"),
            ("a=18446744073709551615", "a=18446744073709551614"),
            ("a=18446744073709551615", "a=-1"),
        ];
        for (left, right) in pairs {
            assert_ne!(key_of(left), key_of(right), "{left} vs {right}");
        }
    }

    /// Output beyond the budget evicts older entries instead of growing the cache.
    #[test]
    fn the_cache_stays_within_its_byte_budget() {
        let fragments = Fragments::new(Arc::new(AtomicBool::new(true)));
        let output = Fragment::new(Value::from_safe_string("x".repeat(2048)));
        let mut last = None;
        for i in 0..(2 * CAPACITY_BYTES / 4096) {
            let key = key_of(&format!("a={i}")).expect("key");
            fragments.insert(key.clone(), output.clone());
            last = Some(key);
        }
        assert!(fragments.cache.weight() <= CAPACITY_BYTES);
        let last = last.expect("inserted");
        let kept = fragments.get(&last).expect("the newest entry is kept");
        assert_eq!(kept.html(), output.html());
    }

    #[test]
    fn maps_and_lists_are_not_keys() {
        assert!(key_of("item=plain_map").is_none());
        assert!(key_of("a=[1, 2]").is_none());
        assert!(key_of("a=1").is_some());
    }

    #[test]
    fn keyed_values_read_like_the_value_they_wrap() {
        let line = br#"{"title": "Coat", "quantity": 2}"#.to_vec();
        let cart = cart_value(
            Value::from(minijinja::value::Serde(
                serde_json::json!({"item_count": 2, "items": []}),
            )),
            &[KeyedJson::new(line)],
        );
        let env = Environment::new();
        let out = env
            .render_str(
                "{{ cart.item_count }} {% for item in cart.items %}{{ item.title }} x{{ item.quantity }}{% endfor %} {{ cart.items|length }} {{ cart|list|length }}",
                minijinja::context! { cart => cart },
            )
            .expect("renders");
        assert_eq!(out, "2 Coat x2 1 2");
    }

    #[test]
    fn the_carts_currency_is_an_object_that_prints_and_serializes_as_its_code() {
        let cart = cart_value(
            Value::from(minijinja::value::Serde(
                serde_json::json!({"currency": "CAD", "items": []}),
            )),
            &[],
        );
        let mut env = Environment::new();
        env.add_filter("tojson", |v: Value| {
            serde_json::to_string(&v).unwrap_or_default()
        });
        let out = env
            .render_str(
                "{{ cart.currency.iso_code }} {{ cart.currency.symbol }} {{ cart.currency }} {{ cart.currency == cart.currency }} {{ cart|tojson }}",
                minijinja::context! { cart => cart },
            )
            .expect("renders");
        assert_eq!(out, r#"CAD $ CAD True {"currency":"CAD","items":[]}"#);
    }

    #[test]
    fn the_cart_prints_as_json_exactly_like_the_value_it_was_built_from() {
        let json = serde_json::json!({
            "item_count": 3,
            "items": [{"key": "a", "quantity": 1, "properties": {"x": "y"}}, {"key": "b", "quantity": 2}],
            "note": null,
        });
        let lines: Vec<KeyedJson> = json["items"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|line| KeyedJson::new(serde_json::to_vec(line).expect("json")))
            .collect();
        let cart = cart_value(Value::from(minijinja::value::Serde(&json)), &lines);
        let mut env = Environment::new();
        env.add_filter("tojson", |v: Value| {
            serde_json::to_string(&v).unwrap_or_default()
        });
        let out = env
            .render_str("{{ cart|tojson }}", minijinja::context! { cart => cart })
            .expect("renders");
        let expected = serde_json::to_string(&json).expect("json");
        assert_eq!(out.replace("&quot;", "\""), expected);
    }
}
