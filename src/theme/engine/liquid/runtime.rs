//! What lowered Liquid calls at render time: the scope object (assigns, counters, cycles,
//! `render`), Liquid's comparisons as minijinja tests, and a few functions and filters.
//!
//! The scope: minijinja's `set` is block-scoped inside loops, while a Liquid `assign` anywhere
//! is visible afterwards. So the render's root context is a [`Scope`] object with interior
//! mutability; `assign` writes into it (`{% do _lq_s.assign(..) %}`) and every variable that is
//! not a loop variable is read through it (minijinja looks up names in its frames first, then in
//! the root context). Loop variables and `include` keyword arguments stay minijinja locals,
//! which shadow the scope exactly as Liquid's block scopes do.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use minijinja::value::{Object, ObjectRepr, Value, ValueKind, from_args};
use minijinja::{Environment, Error, ErrorKind, State};

use super::lower::{MANGLED_PREFIX, SCOPE, demangle};
use super::value::{is_nil, is_truthy, to_liquid_string};

/// Limits that stop a runaway template with an error instead of a hang. See docs/liquid.md.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// `render` nesting (a snippet rendering itself).
    pub max_render_depth: u32,
    /// Bytes one render may write, and the longest string an `assign`/`capture` may hold.
    pub max_output_bytes: usize,
    /// Items a loop or range may have (a range is materialized when sliced).
    pub max_items: usize,
    /// minijinja instructions per render, summed over nested `render`s.
    pub fuel: u64,
    /// As a Shopify storefront does: a `render`ed file that fails prints `Liquid error (file
    /// line N): message` in its place and the rest of the page renders. Off for `vitrine
    /// render` and the conformance suite, where the render fails. A limit (fuel, output,
    /// nesting) stops the whole render either way.
    pub inline_errors: bool,
    /// The folder a snippet's name is shown in, in inline errors (`snippets/`).
    pub snippet_folder: &'static str,
    /// Told of each error printed in place (the storefront lists them in the error overlay).
    pub on_inline_error: Option<fn(&super::LiquidError)>,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_render_depth: 16,
            max_output_bytes: 8 << 20,
            max_items: 1_000_000,
            fuel: 100_000_000,
            inline_errors: false,
            snippet_folder: "",
            on_inline_error: None,
        }
    }
}

/// Shared by a render and the `render`s nested in it.
#[derive(Debug)]
pub struct Budget {
    pub limits: Limits,
    fuel_spent: AtomicU64,
}

impl Budget {
    pub fn new(limits: Limits) -> Arc<Budget> {
        Arc::new(Budget {
            limits,
            fuel_spent: AtomicU64::new(0),
        })
    }
}

/// Variable maps are read on every variable access: foldhash instead of SipHash (the render
/// profile showed SipHash at 6%).
type FastMap<V> = HashMap<String, V, foldhash::fast::RandomState>;

#[derive(Debug, Default)]
struct ScopeState {
    vars: FastMap<Value>,
    counters: FastMap<i64>,
    cycles: FastMap<usize>,
    named_cycles: FastMap<usize>,
    ifchanged: Option<String>,
    offsets: FastMap<usize>,
    /// `break`/`continue` met outside a loop (in an included file), not yet acted on.
    interrupt: Option<&'static str>,
}

/// The root context of a Liquid render.
#[derive(Debug)]
pub struct Scope {
    state: Mutex<ScopeState>,
    /// Visible in this file and in everything it renders (the storefront objects, the data of
    /// `vitrine render`).
    globals: Value,
    depth: u32,
    budget: Arc<Budget>,
}

fn invalid(message: impl Into<std::borrow::Cow<'static, str>>) -> Error {
    Error::new(ErrorKind::InvalidOperation, message)
}

/// Whether `err` is one of the limits that must stop a render whole (it would otherwise go on
/// looping or growing), rather than an error a storefront prints in place.
pub fn is_limit(err: &Error) -> bool {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = current {
        if let Some(mj) = e.downcast_ref::<Error>() {
            if mj.kind() == ErrorKind::OutOfFuel {
                return true;
            }
            if let Some(detail) = mj.detail()
                && (detail.ends_with("limit)") || detail.contains("nested more than"))
            {
                return true;
            }
        }
        current = e.source();
    }
    false
}

/// Shopify's inline error for a file that failed: `Liquid error (snippets/x.liquid line 3): ...`.
fn inline_error(err: &Error, name: &str, limits: &Limits) -> Value {
    let mut liquid = super::render_error(err, name);
    // A filter's own message may already say `Liquid error: `; say it once.
    if let Some(rest) = liquid.message.strip_prefix("Liquid error: ") {
        liquid.message = rest.to_owned();
    }
    if !liquid.file.contains('/') {
        let bare = liquid.file.strip_suffix(".liquid").unwrap_or(&liquid.file);
        liquid.file = format!("{}{bare}.liquid", limits.snippet_folder);
    }
    let at = if liquid.line > 0 {
        format!(" line {}", liquid.line)
    } else {
        String::new()
    };
    // Escaped: the message may quote the template, and the page prints it as HTML.
    let text = crate::theme::objects::html::escape_html(&format!(
        "Liquid error ({}{at}): {}",
        liquid.file, liquid.message
    ));
    if let Some(tell) = limits.on_inline_error {
        tell(&liquid);
    }
    Value::from(text)
}

/// The key under which a host's globals offer the globals of a `render`ed file.
pub const SNIPPET_GLOBALS_KEY: &str = "__vitrine_snippet_globals";

impl Scope {
    pub fn new(globals: Value, budget: Arc<Budget>) -> Scope {
        Scope {
            state: Mutex::new(ScopeState::default()),
            globals,
            depth: 0,
            budget,
        }
    }

    fn lock(&self) -> MutexGuard<'_, ScopeState> {
        // A panic while holding the lock cannot leave the maps half-written in a way that
        // matters to a template, so a poisoned lock is used as it is.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sets a variable as `assign` does.
    pub fn set(&self, name: &str, value: Value) {
        let mut state = self.lock();
        // Reassigning (the common case in loops) reuses the key.
        match state.vars.get_mut(name) {
            Some(slot) => *slot = value,
            None => {
                state.vars.insert(name.to_string(), value);
            }
        }
    }

    fn lookup(&self, name: &str) -> Value {
        {
            let state = self.lock();
            if let Some(value) = state.vars.get(name) {
                return value.clone();
            }
            if let Some(counter) = state.counters.get(name) {
                return Value::from(*counter);
            }
        }
        self.globals.get_attr(name).unwrap_or(Value::UNDEFINED)
    }

    fn check_size(&self, value: &Value) -> Result<(), Error> {
        let limits = self.budget.limits;
        match value.kind() {
            ValueKind::String if value.as_str().map_or(0, str::len) > limits.max_output_bytes => {
                Err(invalid(format!(
                    "a variable would hold more than {} bytes (the output limit)",
                    limits.max_output_bytes
                )))
            }
            ValueKind::Seq if value.len().unwrap_or(0) > limits.max_items => Err(invalid(format!(
                "an array would hold more than {} items (the item limit)",
                limits.max_items
            ))),
            _ => Ok(()),
        }
    }

    fn cycle(&self, key: &Value, named: bool, values: &Value) -> Value {
        // Named and anonymous groups are apart (`cycle "a": ...` and `cycle "a"` differ). The
        // key is looked up as it is and copied only the first time.
        let text = match key.as_str() {
            // The lowering's own keys are strings: no conversion.
            Some(text) => std::borrow::Cow::Borrowed(text),
            None => std::borrow::Cow::Owned(to_liquid_string(key)),
        };
        let len = values.len().unwrap_or(0);
        let mut state = self.lock();
        let cycles = if named {
            &mut state.named_cycles
        } else {
            &mut state.cycles
        };
        if !cycles.contains_key(text.as_ref()) {
            cycles.insert(text.to_string(), 0);
        }
        let Some(slot) = cycles.get_mut(text.as_ref()) else {
            return Value::UNDEFINED;
        };
        let index = *slot;
        *slot = if index + 1 >= len { 0 } else { index + 1 };
        values
            .get_item(&Value::from(index))
            .unwrap_or(Value::UNDEFINED)
    }

    fn slice_for(&self, args: &[Value]) -> Result<Value, Error> {
        let (name, collection, offset, limit, flags): (&str, Value, Value, Value, &str) =
            from_args(args)?;
        let continues = flags.contains('c');
        let reversed = flags.contains('r');
        let mut items = to_items(&collection, self.budget.limits.max_items)?;
        let from = if continues {
            self.lock().offsets.get(name).copied().unwrap_or(0)
        } else if is_nil(&offset) {
            0
        } else {
            to_index(&offset, "offset")?
        };
        let start = from.min(items.len());
        let end = if is_nil(&limit) {
            items.len()
        } else {
            start
                .saturating_add(to_index(&limit, "limit")?)
                .min(items.len())
        };
        let mut segment: Vec<Value> = items.drain(start..end).collect();
        self.lock()
            .offsets
            .insert(name.to_string(), from + segment.len());
        if reversed {
            segment.reverse();
        }
        Ok(Value::from(segment))
    }

    fn render_all(
        self: &Arc<Self>,
        state: &mut State<'_, '_>,
        args: &[Value],
    ) -> Result<Value, Error> {
        let (name, mode, value, alias, kwargs): (&str, &str, Value, Option<&str>, Value) =
            from_args(args)?;
        let limits = self.budget.limits;
        if self.depth + 1 > limits.max_render_depth {
            return Err(invalid(format!(
                "'render' nested more than {} deep (does '{name}' render itself?)",
                limits.max_render_depth
            )));
        }
        let template = state.env().get_template(name)?;
        let alias = alias
            .unwrap_or_else(|| name.strip_suffix(".liquid").unwrap_or(name))
            .to_string();
        // A theme's page scope offers what a rendered snippet may see (Shopify's global
        // objects, not the page's `product` or `section`); plain data is seen whole.
        let globals = self
            .globals
            .get_attr(SNIPPET_GLOBALS_KEY)
            .ok()
            .filter(|g| !g.is_undefined())
            .unwrap_or_else(|| self.globals.clone());
        let new_scope = |bound: Option<Value>, forloop: Option<Value>| {
            let scope = Scope {
                state: Mutex::new(ScopeState::default()),
                globals: globals.clone(),
                depth: self.depth + 1,
                budget: self.budget.clone(),
            };
            {
                let mut inner = scope.lock();
                // The lowering passes none for no keyword arguments.
                if !kwargs.is_none()
                    && let Ok(entries) = kwargs.try_iter()
                {
                    for key in entries {
                        if let Some(k) = key.as_str() {
                            let v = kwargs.get_item(&key).unwrap_or(Value::UNDEFINED);
                            inner.vars.insert(k.to_string(), v);
                        }
                    }
                }
                if let Some(bound) = bound {
                    inner.vars.insert(alias.clone(), bound);
                }
                if let Some(forloop) = forloop {
                    inner.vars.insert("forloop".into(), forloop);
                }
            }
            Value::from_object(scope)
        };
        let too_long = || {
            invalid(format!(
                "the output exceeds {} bytes (the output limit)",
                limits.max_output_bytes
            ))
        };
        let run = |ctx: Value| -> Result<String, Error> {
            let spent = self.budget.fuel_spent.load(Ordering::Relaxed)
                + state.fuel_levels().map_or(0, |(used, _)| used);
            if spent > limits.fuel {
                return Err(invalid(format!(
                    "the render ran more than {} steps (the fuel limit)",
                    limits.fuel
                )));
            }
            let captured = template.render_captured(ctx)?;
            let used = captured.state().fuel_levels().map_or(0, |(used, _)| used);
            self.budget.fuel_spent.fetch_add(used, Ordering::Relaxed);
            let out = captured.into_output();
            if out.len() > limits.max_output_bytes {
                return Err(too_long());
            }
            Ok(out)
        };
        let out = match mode {
            "for"
                if matches!(value.kind(), ValueKind::Seq | ValueKind::Iterable)
                    || value.downcast_object_ref::<LiquidRange>().is_some() =>
            {
                let items = to_items(&value, limits.max_items)?;
                let length = items.len();
                let mut out = String::new();
                for (index, item) in items.into_iter().enumerate() {
                    let forloop = forloop_map(index, length, &format!("{alias}-{name}"));
                    out.push_str(&run(new_scope(Some(item), Some(forloop)))?);
                    if out.len() > limits.max_output_bytes {
                        return Err(too_long());
                    }
                }
                out
            }
            "for" | "with" => run(new_scope(Some(value), None))?,
            _ => run(new_scope(None, None))?,
        };
        Ok(Value::from(out))
    }

    /// [`Scope::render_all`], with a failed file printed in place when the limits say so.
    fn render(self: &Arc<Self>, state: &mut State<'_, '_>, args: &[Value]) -> Result<Value, Error> {
        let limits = self.budget.limits;
        match self.render_all(state, args) {
            Err(e) if limits.inline_errors && !is_limit(&e) => {
                let name = args.first().and_then(Value::as_str).unwrap_or("snippet");
                Ok(inline_error(&e, name, &limits))
            }
            result => result,
        }
    }
}

impl Object for Scope {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        match key.as_str() {
            Some(name) => self.get_value_by_str(name),
            None => Some(self.lookup(&to_liquid_string(key))),
        }
    }

    fn get_value_by_str(self: &Arc<Self>, name: &str) -> Option<Value> {
        if name == SCOPE {
            return Some(Value::from_dyn_object(self.clone()));
        }
        if name.starts_with(MANGLED_PREFIX) {
            return Some(match demangle(name) {
                Some(real) => self.lookup(&real),
                None => Value::UNDEFINED,
            });
        }
        if name.starts_with("_lq_") {
            // The runtime's own functions and values, registered on the environment.
            return None;
        }
        // Some(undefined) rather than None: a Liquid variable never falls through to the
        // environment's globals (minijinja's `range`, `dict`, ...).
        Some(self.lookup(name))
    }

    fn call_method(
        self: &Arc<Self>,
        state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        match method {
            "assign" => {
                // The lowering always passes a name and a value; reading them by hand saves
                // `from_args` on the commonest call of a render.
                let [name, value] = args else {
                    return Err(Error::from(ErrorKind::MissingArgument));
                };
                let name = name
                    .as_str()
                    .ok_or_else(|| invalid("assign needs a variable name"))?;
                self.check_size(value)?;
                self.set(name, value.clone());
                Ok(Value::UNDEFINED)
            }
            "increment" | "decrement" => {
                let (name,): (&str,) = from_args(args)?;
                let mut inner = self.lock();
                let counters = &mut inner.counters;
                if !counters.contains_key(name) {
                    counters.insert(name.to_string(), 0);
                }
                let Some(counter) = counters.get_mut(name) else {
                    return Ok(Value::UNDEFINED);
                };
                if method == "increment" {
                    let shown = *counter;
                    *counter += 1;
                    Ok(Value::from(shown))
                } else {
                    *counter -= 1;
                    Ok(Value::from(*counter))
                }
            }
            "restore" => {
                // Counters and cycles the lowering folded (see fold.rs), as they stand here:
                // counters as (name, value), then cycles as (named, key, position).
                let mut inner = self.lock();
                let mut rest = args;
                while let [name, value, tail @ ..] = rest
                    && let Some(name) = name.as_str()
                {
                    inner
                        .counters
                        .insert(name.to_string(), value.as_i64().unwrap_or(0));
                    rest = tail;
                }
                while let [named, key, slot, tail @ ..] = rest {
                    let map = if named.is_true() {
                        &mut inner.named_cycles
                    } else {
                        &mut inner.cycles
                    };
                    if let (Some(key), Some(slot)) = (key.as_str(), slot.as_usize()) {
                        map.insert(key.to_string(), slot);
                    }
                    rest = tail;
                }
                Ok(Value::UNDEFINED)
            }
            "cycle" => {
                let (key, named, values): (Value, bool, Value) = from_args(args)?;
                Ok(self.cycle(&key, named, &values))
            }
            "ifchanged" => {
                let (body,): (&str,) = from_args(args)?;
                let mut inner = self.lock();
                if inner.ifchanged.as_deref() == Some(body) {
                    Ok(Value::from(""))
                } else {
                    inner.ifchanged = Some(body.to_string());
                    Ok(Value::from(body))
                }
            }
            "interrupt" => {
                let (kind,): (&str,) = from_args(args)?;
                self.lock().interrupt = Some(if kind == "break" { "break" } else { "continue" });
                Ok(Value::UNDEFINED)
            }
            "interrupted" => Ok(Value::from(self.lock().interrupt.is_some())),
            "take_interrupt" => Ok(self
                .lock()
                .interrupt
                .take()
                .map_or(Value::from(()), Value::from)),
            "slice_for" => self.slice_for(args),
            "render" => self.render(state, args),
            _ => Err(Error::from(ErrorKind::UnknownMethod)),
        }
    }
}

/// `(a..b)`: iterates lazily, prints as `a..b`.
#[derive(Debug, Clone, Copy)]
pub struct LiquidRange {
    pub start: i64,
    pub end: i64,
}

impl LiquidRange {
    fn len(&self) -> usize {
        if self.end < self.start {
            0
        } else {
            usize::try_from(self.end.abs_diff(self.start).saturating_add(1)).unwrap_or(usize::MAX)
        }
    }
}

impl Object for LiquidRange {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Seq
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let index = key.as_i64()?;
        let index = if index < 0 {
            i64::try_from(self.len()).ok()? + index
        } else {
            index
        };
        let len = i64::try_from(self.len()).ok()?;
        (0..len)
            .contains(&index)
            .then(|| Value::from(self.start + index))
    }

    fn enumerate(self: &Arc<Self>) -> minijinja::value::Enumerator {
        minijinja::value::Enumerator::Seq(self.len())
    }

    fn render(self: &Arc<Self>, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}..{}", self.start, self.end)
    }
}

/// The `empty` and `blank` literals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Special {
    Empty,
    Blank,
}

impl Object for Special {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }

    fn render(self: &Arc<Self>, _f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        Ok(())
    }
}

fn special(value: &Value) -> Option<Special> {
    value.downcast_object_ref::<Special>().copied()
}

fn to_integer(value: &Value, what: &str) -> Result<i64, Error> {
    if let Some(int) = value.as_i64() {
        return Ok(int);
    }
    match value.kind() {
        ValueKind::Number => f64::try_from(value.clone())
            .map(|f| f as i64)
            .map_err(|_| invalid(format!("{what} must be a number"))),
        ValueKind::String => {
            let text = value.as_str().unwrap_or("").trim();
            text.parse::<i64>()
                .or_else(|_| text.parse::<f64>().map(|f| f as i64))
                .map_err(|_| invalid(format!("{what} must be a number, not '{text}'")))
        }
        _ => Err(invalid(format!("{what} must be a number"))),
    }
}

fn to_index(value: &Value, what: &str) -> Result<usize, Error> {
    Ok(usize::try_from(to_integer(value, what)?.max(0)).unwrap_or(0))
}

/// What a `for` loop iterates: arrays as they are, hashes as `[key, value]` pairs, a string
/// as itself once, nil as nothing.
fn to_items(value: &Value, max_items: usize) -> Result<Vec<Value>, Error> {
    if let Some(range) = value.downcast_object_ref::<LiquidRange>() {
        if range.len() > max_items {
            return Err(invalid(format!(
                "the range {}..{} has more than {max_items} items (the item limit)",
                range.start, range.end
            )));
        }
        return Ok((0..range.len())
            .map(|i| Value::from(range.start + i as i64))
            .collect());
    }
    match value.kind() {
        ValueKind::Seq | ValueKind::Iterable => {
            let mut items = Vec::new();
            for item in value.try_iter()? {
                if items.len() >= max_items {
                    return Err(invalid(format!(
                        "a loop over more than {max_items} items (the item limit)"
                    )));
                }
                items.push(item);
            }
            Ok(items)
        }
        ValueKind::Map => Ok(value
            .try_iter()?
            .map(|key| {
                let item = value.get_item(&key).unwrap_or(Value::UNDEFINED);
                Value::from(vec![key, item])
            })
            .collect()),
        ValueKind::String if value.as_str().is_some_and(|s| !s.is_empty()) => {
            Ok(vec![value.clone()])
        }
        _ => Ok(Vec::new()),
    }
}

/// `_lq_iter(x)`: the plain `for` collection. Arrays and ranges pass through untouched.
fn iter_collection(value: Value) -> Result<Value, Error> {
    if value.downcast_object_ref::<LiquidRange>().is_some()
        || matches!(value.kind(), ValueKind::Seq)
    {
        return Ok(value);
    }
    to_items(&value, usize::MAX).map(Value::from)
}

fn range(start: Value, end: Value) -> Result<Value, Error> {
    // Ruby's `to_i`: what is not a number counts as 0.
    let start = to_integer(&start, "a range start").unwrap_or(0);
    let end = to_integer(&end, "a range end").unwrap_or(0);
    Ok(Value::from_object(LiquidRange { start, end }))
}

fn forloop_map(index: usize, length: usize, name: &str) -> Value {
    let mut map = std::collections::BTreeMap::new();
    map.insert("name", Value::from(name));
    map.insert("length", Value::from(length));
    map.insert("index", Value::from(index + 1));
    map.insert("index0", Value::from(index));
    map.insert("rindex", Value::from(length - index));
    map.insert("rindex0", Value::from(length - index - 1));
    map.insert("first", Value::from(index == 0));
    map.insert("last", Value::from(index + 1 == length));
    Value::from(map)
}

/// `forloop` used as a whole value: a hash of its fields.
fn forloop_value(state: &State, loop_obj: Value, name: &str, parent: Value) -> Value {
    let _ = state;
    let index0 = loop_obj
        .get_attr("index0")
        .ok()
        .and_then(|v| v.as_i64())
        .unwrap_or(0);
    let length = loop_obj
        .get_attr("length")
        .ok()
        .and_then(|v| v.as_i64())
        .unwrap_or(0);
    let map = forloop_map(
        usize::try_from(index0).unwrap_or(0),
        usize::try_from(length.max(index0 + 1)).unwrap_or(1),
        name,
    );
    let mut entries: std::collections::BTreeMap<String, Value> = map
        .try_iter()
        .into_iter()
        .flatten()
        .filter_map(|k| {
            let v = map.get_item(&k).ok()?;
            Some((k.as_str()?.to_string(), v))
        })
        .collect();
    entries.insert("parentloop".into(), parent);
    Value::from(entries)
}

fn tablerow(collection: Value, cols: Value, limit: Value, offset: Value) -> Result<Value, Error> {
    let mut items = to_items(&collection, usize::MAX)?;
    let start = if is_nil(&offset) {
        0
    } else {
        to_index(&offset, "offset")?
    }
    .min(items.len());
    let end = if is_nil(&limit) {
        items.len()
    } else {
        start
            .saturating_add(to_index(&limit, "limit")?)
            .min(items.len())
    };
    let items: Vec<Value> = items.drain(start..end).collect();
    let length = items.len();
    let cols = if is_nil(&cols) {
        length.max(1)
    } else {
        to_index(&cols, "cols")?.max(1)
    };
    Ok(Value::from(
        items
            .into_iter()
            .enumerate()
            .map(|(index, item)| {
                let col0 = index % cols;
                let mut map = std::collections::BTreeMap::new();
                map.insert("length", Value::from(length));
                map.insert("index", Value::from(index + 1));
                map.insert("index0", Value::from(index));
                map.insert("rindex", Value::from(length - index));
                map.insert("rindex0", Value::from(length - index - 1));
                map.insert("first", Value::from(index == 0));
                map.insert("last", Value::from(index + 1 == length));
                map.insert("col", Value::from(col0 + 1));
                map.insert("col0", Value::from(col0));
                map.insert("col_first", Value::from(col0 == 0));
                map.insert("col_last", Value::from(col0 + 1 == cols));
                map.insert("row", Value::from(index / cols + 1));
                Value::from(vec![item, Value::from(map)])
            })
            .collect::<Vec<_>>(),
    ))
}

/// `x.size`, `x.first`, `x.last`: a hash's own key of that name wins.
fn property(value: Value, name: &str) -> Value {
    if value.kind() == ValueKind::Map
        && let Ok(own) = value.get_attr(name)
        && !own.is_undefined()
    {
        return own;
    }
    match name {
        "size" => {
            if let Some(range) = value.downcast_object_ref::<LiquidRange>() {
                return Value::from(range.len());
            }
            match value.kind() {
                ValueKind::String => Value::from(value.as_str().map_or(0, |s| s.chars().count())),
                ValueKind::Seq | ValueKind::Map | ValueKind::Iterable => {
                    value.len().map(Value::from).unwrap_or(Value::UNDEFINED)
                }
                _ => Value::UNDEFINED,
            }
        }
        "first" if value.kind() == ValueKind::Map => {
            // Ruby's Hash#first: the first [key, value] pair.
            let Some(key) = value.try_iter().ok().and_then(|mut keys| keys.next()) else {
                return Value::UNDEFINED;
            };
            let item = value.get_item(&key).unwrap_or(Value::UNDEFINED);
            Value::from(vec![key, item])
        }
        "first" | "last" => {
            if !matches!(value.kind(), ValueKind::Seq | ValueKind::Iterable) {
                return Value::UNDEFINED;
            }
            let index = if name == "first" { 0 } else { -1 };
            value
                .get_item(&Value::from(index))
                .unwrap_or(Value::UNDEFINED)
        }
        _ => Value::UNDEFINED,
    }
}

/// Liquid's `==`.
pub fn liquid_eq(a: &Value, b: &Value) -> bool {
    match (special(a), special(b)) {
        (Some(x), Some(y)) => return x == y,
        (Some(s), None) => return matches_special(s, b),
        (None, Some(s)) => return matches_special(s, a),
        _ => {}
    }
    let (ka, kb) = (a.kind(), b.kind());
    if is_nil(a) || is_nil(b) {
        return is_nil(a) && is_nil(b);
    }
    match (ka, kb) {
        (ValueKind::Bool, ValueKind::Bool) => a.is_true() == b.is_true(),
        (ValueKind::Bool, _) | (_, ValueKind::Bool) => false,
        (ValueKind::Number, ValueKind::Number) => a == b,
        (ValueKind::String, ValueKind::String) => a.as_str() == b.as_str(),
        // A drop that prints as text (Shopify's `template`) compares as that text.
        (ValueKind::Plain, ValueKind::String) => b.as_str() == Some(a.to_string().as_str()),
        (ValueKind::String, ValueKind::Plain) => a.as_str() == Some(b.to_string().as_str()),
        (ValueKind::Seq, ValueKind::Seq) => {
            a.len() == b.len()
                && match (a.try_iter(), b.try_iter()) {
                    (Ok(x), Ok(y)) => x.zip(y).all(|(x, y)| liquid_eq(&x, &y)),
                    _ => false,
                }
        }
        _ if ka != kb => false,
        _ => a == b,
    }
}

fn matches_special(s: Special, v: &Value) -> bool {
    let empty = match v.kind() {
        ValueKind::String => v.as_str().is_some_and(str::is_empty),
        ValueKind::Seq | ValueKind::Map => v.len() == Some(0),
        _ => false,
    };
    match s {
        Special::Empty => empty,
        Special::Blank => {
            empty
                || !is_truthy(v)
                || (v.kind() == ValueKind::String
                    && v.as_str()
                        .is_some_and(|s| s.chars().all(char::is_whitespace)))
        }
    }
}

fn type_name(v: &Value) -> &'static str {
    match v.kind() {
        ValueKind::Number if v.is_integer() => "Integer",
        ValueKind::Number => "Float",
        ValueKind::String => "String",
        ValueKind::Bool => "Boolean",
        ValueKind::Seq => "Array",
        ValueKind::Map => "Hash",
        _ => "Object",
    }
}

/// Liquid's `<`, `>`, `<=`, `>=`: numbers with numbers, strings with strings; a string against
/// a number is an error; anything else is false.
fn liquid_order(a: &Value, b: &Value) -> Result<Option<std::cmp::Ordering>, Error> {
    match (a.kind(), b.kind()) {
        (ValueKind::Number, ValueKind::Number) => Ok(a.partial_cmp(b)),
        (ValueKind::String, ValueKind::String) => Ok(a.as_str().partial_cmp(&b.as_str())),
        (ValueKind::String, ValueKind::Number) | (ValueKind::Number, ValueKind::String) => {
            Err(invalid(format!(
                "comparison of {} with {} failed",
                type_name(a),
                type_name(b)
            )))
        }
        _ => Ok(None),
    }
}

fn liquid_contains(a: &Value, b: &Value) -> bool {
    match a.kind() {
        ValueKind::String => {
            if is_nil(b) {
                return false;
            }
            a.as_str()
                .is_some_and(|s| s.contains(to_liquid_string(b).as_str()))
        }
        // As the conformance suite expects, nothing contains nil or false.
        _ if is_nil(b) || (b.kind() == ValueKind::Bool && !b.is_true()) => false,
        ValueKind::Seq | ValueKind::Iterable => a
            .try_iter()
            .is_ok_and(|mut items| items.any(|item| liquid_eq(&item, b))),
        ValueKind::Map => a.get_item(b).is_ok_and(|v| !v.is_undefined()),
        _ => false,
    }
}

/// The formatter for Liquid output: nil prints nothing, arrays print their items run
/// together, floats print the Ruby way; nothing is escaped.
pub fn format_output(
    out: &mut minijinja::Output,
    _state: &State,
    value: &Value,
) -> Result<(), Error> {
    let written = match value.kind() {
        ValueKind::String => out.write_str(value.as_str().unwrap_or("")),
        ValueKind::Undefined | ValueKind::None => Ok(()),
        ValueKind::Number if value.is_integer() => match value.as_i64() {
            // Loop indexes and counters: no formatting machinery for a small integer.
            Some(number) => out.write_str(itoa::Buffer::new().format(number)),
            None => write!(out, "{value}"),
        },
        ValueKind::Bool => out.write_str(if value.is_true() { "true" } else { "false" }),
        // A hash prints as Liquid 5 prints it (`{"a"=>1}`), not in minijinja's notation.
        ValueKind::Map if special(value).is_none() => {
            out.write_str(&super::filters::liquid_to_s(value))
        }
        _ => {
            if let Some(range) = value.downcast_object_ref::<LiquidRange>() {
                write!(out, "{}..{}", range.start, range.end)
            } else if special(value).is_some() {
                Ok(())
            } else {
                out.write_str(&to_liquid_string(value))
            }
        }
    };
    written.map_err(|_| Error::new(ErrorKind::WriteFailure, "could not write the output"))
}

/// Below these sizes an assign kept in minijinja's frames skips the size check.
const SMALL_VALUE_BYTES: usize = 4096;
const SMALL_VALUE_ITEMS: usize = 1024;

/// Adds the runtime's tests, functions, filters and values to `env`. Does not touch the
/// formatter, autoescaping or the loader (see [`super::configure`]).
pub fn register(env: &mut Environment<'_>) {
    env.add_test("_lq_truthy", |v: &Value| is_truthy(v));
    env.add_test("_lq_eq", |a: &Value, b: &Value| liquid_eq(a, b));
    env.add_test("_lq_ne", |a: &Value, b: &Value| !liquid_eq(a, b));
    env.add_test("_lq_lt", |a: &Value, b: &Value| {
        Ok(liquid_order(a, b)? == Some(std::cmp::Ordering::Less))
    });
    env.add_test("_lq_gt", |a: &Value, b: &Value| {
        Ok(liquid_order(a, b)? == Some(std::cmp::Ordering::Greater))
    });
    env.add_test("_lq_le", |a: &Value, b: &Value| {
        Ok(matches!(
            liquid_order(a, b)?,
            Some(std::cmp::Ordering::Less | std::cmp::Ordering::Equal)
        ))
    });
    env.add_test("_lq_ge", |a: &Value, b: &Value| {
        Ok(matches!(
            liquid_order(a, b)?,
            Some(std::cmp::Ordering::Greater | std::cmp::Ordering::Equal)
        ))
    });
    env.add_test("_lq_contains", |a: &Value, b: &Value| liquid_contains(a, b));
    env.add_function("_lq_iter", iter_collection);
    env.add_function("_lq_range", range);
    env.add_function("_lq_tablerow", tablerow);
    env.add_function("_lq_forloop", forloop_value);
    env.add_function("_lq_include_items", |v: Value| {
        if matches!(v.kind(), ValueKind::Seq) {
            v
        } else {
            Value::from(vec![v])
        }
    });
    env.add_function("_lq_repeat", |tests: Vec<Value>| {
        Value::from(tests.into_iter().filter(Value::is_true).collect::<Vec<_>>())
    });
    env.add_filter("_lq_prop", |v: Value, name: &str| property(v, name));
    // An assign kept in minijinja's frames (see locals.rs) still obeys the scope's size limits.
    env.add_filter(
        "_lq_sized",
        |state: &State, v: Value| -> Result<Value, Error> {
            // Small values cannot hurt; only larger ones look up the scope and its limits.
            let small = match v.kind() {
                ValueKind::String => v.as_str().map_or(0, str::len) < SMALL_VALUE_BYTES,
                ValueKind::Seq => v.len().unwrap_or(0) < SMALL_VALUE_ITEMS,
                _ => true,
            };
            if !small
                && let Some(scope) = state.lookup(SCOPE)
                && let Some(scope) = scope.downcast_object_ref::<Scope>()
            {
                scope.check_size(&v)?;
            }
            Ok(v)
        },
    );
    env.add_global("_lq_empty", Value::from_object(Special::Empty));
    env.add_global("_lq_blank", Value::from_object(Special::Blank));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equality_is_liquid_equality() {
        assert!(liquid_eq(&Value::from(1), &Value::from(1.0)));
        assert!(!liquid_eq(&Value::from(1), &Value::from("1")));
        assert!(!liquid_eq(&Value::from(true), &Value::from(1)));
        assert!(liquid_eq(&Value::UNDEFINED, &Value::from(())));
        let empty = Value::from_object(Special::Empty);
        assert!(liquid_eq(&Value::from(""), &empty));
        assert!(liquid_eq(&Value::from(Vec::<Value>::new()), &empty));
        assert!(!liquid_eq(&Value::from(()), &empty));
        let blank = Value::from_object(Special::Blank);
        assert!(liquid_eq(&Value::from("  "), &blank));
        assert!(liquid_eq(&Value::from(()), &blank));
    }

    #[test]
    fn ordering_a_string_against_a_number_is_an_error() {
        assert!(liquid_order(&Value::from("2"), &Value::from(1)).is_err());
        assert_eq!(
            liquid_order(&Value::from(()), &Value::from(1)).unwrap(),
            None
        );
    }
}
