//! Lowers a Liquid tree to minijinja source. Generated code keeps every Liquid node on the
//! line it came from (text keeps its newlines, tags never add any, and missing lines are made
//! up with `{# #}` comments holding newlines), so the line minijinja reports is the Liquid line:
//! the source map is the identity, by construction.
//!
//! What is resolved here, at lowering time: variable names (loop variables become minijinja
//! locals, everything else is looked up in the render's scope object), `forloop.*` (mapped onto
//! minijinja's `loop`, or a saved outer `loop` for `parentloop`), literals, filter names, the
//! grouping of `and`/`or`, and what counters and cycles print in the straight-line part of a
//! top-level file (see `fold.rs`).

use std::collections::HashSet;
use std::fmt::Write as _;

use super::error::LiquidError;
use super::expr::{CmpOp, Condition, Expr, Filter, Filtered, Path, PathRoot, Segment};
use super::fold::{Folding, Handover, cycle_key};
use super::parser::{Binding, CaseArm, ForLoop, Node, Offset, Partial, Tablerow, ThemeCall};

/// Liquid's standard filters: `| name` becomes `|liquid_name`; any other filter keeps its name
/// (the theme's own filters such as `money` or `t`).
pub const STANDARD_FILTERS: &[&str] = &[
    "abs",
    "append",
    "at_least",
    "at_most",
    "base64_decode",
    "base64_encode",
    "base64_url_safe_decode",
    "base64_url_safe_encode",
    "capitalize",
    "ceil",
    "compact",
    "concat",
    "date",
    "default",
    "divided_by",
    "downcase",
    "escape",
    "escape_once",
    "find",
    "find_index",
    "first",
    "floor",
    "has",
    "join",
    "last",
    "lstrip",
    "map",
    "minus",
    "modulo",
    "newline_to_br",
    "plus",
    "prepend",
    "reject",
    "remove",
    "remove_first",
    "remove_last",
    "replace",
    "replace_first",
    "replace_last",
    "reverse",
    "round",
    "rstrip",
    "size",
    "slice",
    "sort",
    "sort_natural",
    "split",
    "strip",
    "strip_html",
    "strip_newlines",
    "sum",
    "times",
    "truncate",
    "truncatewords",
    "uniq",
    "upcase",
    "url_decode",
    "url_encode",
    "where",
    "h",
    "squish",
];

/// Words minijinja reads as something else, so a Liquid variable of that name is mangled.
const RESERVED: &[&str] = &[
    "true",
    "false",
    "none",
    "True",
    "False",
    "None",
    "and",
    "or",
    "not",
    "in",
    "is",
    "if",
    "else",
    "loop",
    "self",
    "super",
    "caller",
    "varargs",
    "kwargs",
    "recursive",
];

/// The generated name of the render scope object.
pub const SCOPE: &str = "_lq_s";
/// Prefix of mangled variable names; the scope object reverses the mangling.
pub const MANGLED_PREFIX: &str = "_lq_v_";

fn is_plain_ident(name: &str) -> bool {
    let bytes = name.as_bytes();
    !bytes.is_empty()
        && (bytes[0].is_ascii_alphabetic() || bytes[0] == b'_')
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'_')
}

/// The minijinja identifier for a Liquid variable name.
pub fn mangle(name: &str) -> String {
    if is_plain_ident(name) && !RESERVED.contains(&name) && !name.starts_with("_lq_") {
        return name.to_string();
    }
    let mut out = String::from(MANGLED_PREFIX);
    for c in name.chars() {
        match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' => out.push(c),
            '_' => out.push_str("__"),
            '-' => out.push_str("_d"),
            '?' => out.push_str("_q"),
            other => {
                let _ = write!(out, "_x{:x}_", other as u32);
            }
        }
    }
    out
}

/// Reverses [`mangle`] for a name that starts with [`MANGLED_PREFIX`].
pub fn demangle(ident: &str) -> Option<String> {
    let rest = ident.strip_prefix(MANGLED_PREFIX)?;
    let mut out = String::new();
    let mut chars = rest.chars();
    while let Some(c) = chars.next() {
        if c != '_' {
            out.push(c);
            continue;
        }
        match chars.next()? {
            '_' => out.push('_'),
            'd' => out.push('-'),
            'q' => out.push('?'),
            'x' => {
                let hex: String = chars.by_ref().take_while(|c| *c != '_').collect();
                out.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
            }
            _ => return None,
        }
    }
    Some(out)
}

/// A minijinja string literal.
pub fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LoopKind {
    For,
    Tablerow,
    /// A loop of the lowering's own (a `when` with several matching values).
    Hidden,
}

struct LoopFrame {
    kind: LoopKind,
    id: usize,
    name: String,
    /// Set when the loop's `loop` object must be saved under `_lq_loop{id}` (referenced from a
    /// nested loop), inserted at `body_start`.
    saved: bool,
    body_start: usize,
}

struct Lowerer<'a> {
    file: &'a str,
    out: String,
    line: u32,
    loops: Vec<LoopFrame>,
    /// Lexically bound loop variables, innermost last: (Liquid name, minijinja name).
    locals: Vec<(String, String)>,
    next_id: usize,
    /// Whether any `for` in this template uses `offset: continue`; then every loop records
    /// where it stopped.
    tracks_offsets: bool,
    /// In a theme, the filters its environment has; others pass their input through.
    known: Option<super::KnownFilters>,
    /// Paths a `paginate` tag replaced by its page of items, innermost last.
    paginated: Vec<(Path, String)>,
    /// Variables kept in minijinja's frames rather than the scope (see `locals.rs`).
    plain: HashSet<String>,
    /// Counters and cycles folded into text (see `fold.rs`).
    folding: Folding,
    /// How many loops, branches or captures enclose the node being lowered.
    nesting: u32,
}

/// Lowers a parsed template to minijinja source. A `top_level` file is never included by
/// another (a theme's section, layout or template, the template `vitrine render` renders), so
/// its variables may live in minijinja's frames.
pub fn lower(
    file: &str,
    nodes: &[Node],
    known: Option<super::KnownFilters>,
    top_level: bool,
) -> Result<String, LiquidError> {
    let mut lowerer = Lowerer {
        known,
        file,
        out: String::new(),
        line: 1,
        loops: Vec::new(),
        locals: Vec::new(),
        next_id: 0,
        tracks_offsets: uses_offset_continue(nodes),
        paginated: Vec::new(),
        plain: if top_level {
            super::locals::plain_assigns(nodes)
        } else {
            HashSet::new()
        },
        folding: Folding::new(top_level),
        nesting: 0,
    };
    lowerer.nodes(nodes)?;
    Ok(lowerer.out)
}

/// Whether an assigned value may be larger than anything the render held before (a string
/// built by appending, an array by concatenating), so it needs the size check the scope's
/// `assign` makes. Numbers, copies and case changes do not.
fn may_grow(value: &Filtered) -> bool {
    const BOUNDED: &[&str] = &[
        "plus",
        "minus",
        "times",
        "divided_by",
        "modulo",
        "abs",
        "ceil",
        "floor",
        "round",
        "at_least",
        "at_most",
        "size",
        "first",
        "last",
        "upcase",
        "downcase",
        "strip",
        "lstrip",
        "rstrip",
    ];
    value
        .filters
        .iter()
        .any(|f| !BOUNDED.contains(&f.name.as_str()))
}

/// A short range of literal non-negative integers (`(1..3)`) as a minijinja list literal
/// (`[1, 2, 3]`): minijinja makes it a constant, where a range object is made and walked at
/// every render.
fn literal_range(e: &Expr) -> Option<String> {
    const MAX_ITEMS: i64 = 64;
    let Expr::Range(start, end) = e else {
        return None;
    };
    let (Expr::Int(start), Expr::Int(end)) = (start.as_ref(), end.as_ref()) else {
        return None;
    };
    if *start < 0 || end.saturating_sub(*start) >= MAX_ITEMS {
        return None;
    }
    let items: Vec<String> = (*start..=*end).map(|i| i.to_string()).collect();
    Some(format!("[{}]", items.join(", ")))
}

/// Whether `node` may leave an interrupt (a `break`/`continue` outside a loop, possibly in an
/// included file) for the code after it.
fn may_interrupt(node: &Node, in_loop: bool) -> bool {
    let any = |nodes: &[Node]| nodes.iter().any(|n| may_interrupt(n, in_loop));
    match node {
        Node::Break(_) | Node::Continue(_) => !in_loop,
        Node::Include(_) => true,
        Node::If {
            branches,
            otherwise,
            ..
        } => {
            branches.iter().any(|(_, b, _)| any(b))
                || otherwise.as_ref().is_some_and(|(b, _)| any(b))
        }
        Node::Case { arms, .. } => arms.iter().any(|arm| match arm {
            // A `when` of several values is a hidden loop (see `case`): a `break`/`continue`
            // in it leaves an interrupt for the real loop, as one in an included file does.
            CaseArm::When(values, b, _) if values.len() > 1 => {
                b.iter().any(|n| may_interrupt(n, false))
            }
            CaseArm::When(_, b, _) | CaseArm::Else(b, _) => any(b),
        }),
        Node::Capture { body, .. } | Node::IfChanged(body, _) => any(body),
        // A loop takes the interrupts of its own body.
        _ => false,
    }
}

fn uses_offset_continue(nodes: &[Node]) -> bool {
    nodes.iter().any(|node| match node {
        Node::For(f) => {
            matches!(f.offset, Some(Offset::Continue))
                || uses_offset_continue(&f.body)
                || f.otherwise
                    .as_ref()
                    .is_some_and(|(b, _)| uses_offset_continue(b))
        }
        Node::If {
            branches,
            otherwise,
            ..
        } => {
            branches.iter().any(|(_, b, _)| uses_offset_continue(b))
                || otherwise
                    .as_ref()
                    .is_some_and(|(b, _)| uses_offset_continue(b))
        }
        Node::Case { arms, .. } => arms.iter().any(|arm| match arm {
            CaseArm::When(_, b, _) | CaseArm::Else(b, _) => uses_offset_continue(b),
        }),
        Node::Capture { body, .. } | Node::IfChanged(body, _) => uses_offset_continue(body),
        Node::Tablerow(t) => uses_offset_continue(&t.body),
        _ => false,
    })
}

impl Lowerer<'_> {
    fn id(&mut self) -> usize {
        self.next_id += 1;
        self.next_id
    }

    /// Brings the generated source to `line` with newlines inside a comment.
    fn sync(&mut self, line: u32) {
        if line > self.line {
            self.out.push_str("{#");
            for _ in self.line..line {
                self.out.push('\n');
            }
            self.out.push_str("#}");
            self.line = line;
        }
    }

    fn emit(&mut self, code: &str) {
        self.out.push_str(code);
    }

    fn text(&mut self, text: &str, line: u32) {
        self.sync(line);
        let needs_raw = text.contains("{{")
            || text.contains("{%")
            || text.contains("{#")
            || text.ends_with('{');
        if needs_raw && !text.contains("endraw") {
            self.out.push_str("{% raw %}");
            self.out.push_str(text);
            self.out.push_str("{% endraw %}");
        } else if needs_raw {
            // Text that itself holds `endraw` goes out as a string literal.
            self.out.push_str("{{ ");
            self.out.push_str(&quote(text));
            self.out.push_str(" }}");
        } else {
            self.out.push_str(text);
        }
        self.line +=
            u32::try_from(memchr::memchr_iter(b'\n', text.as_bytes()).count()).unwrap_or(u32::MAX);
    }

    fn in_loop(&self) -> bool {
        self.loops.iter().any(|l| l.kind != LoopKind::Hidden)
    }

    /// Lowers a node list. A `break`/`continue` in an included file cannot be a minijinja
    /// `break` (that must sit in a loop of the same template), so it sets an interrupt on the
    /// scope: after anything that may set one, the rest of a file is skipped and an enclosing
    /// loop breaks or continues.
    fn nodes(&mut self, nodes: &[Node]) -> Result<(), LiquidError> {
        for (index, node) in nodes.iter().enumerate() {
            self.node(node)?;
            if !may_interrupt(node, self.in_loop()) {
                continue;
            }
            if self.in_loop() {
                let id = self.id();
                self.emit(&format!(
                    "{{% set _lq_x{id} = {SCOPE}.take_interrupt() %}}{{% if _lq_x{id} == \"break\" %}}{{% break %}}{{% elif _lq_x{id} == \"continue\" %}}{{% continue %}}{{% endif %}}"
                ));
            } else if index + 1 < nodes.len() {
                self.emit(&format!("{{% if not {SCOPE}.interrupted() %}}"));
                self.nodes(&nodes[index + 1..])?;
                self.emit("{% endif %}");
                return Ok(());
            }
        }
        Ok(())
    }

    fn node(&mut self, node: &Node) -> Result<(), LiquidError> {
        if self.nesting > 0 {
            return self.node_inner(node);
        }
        if let Some(handover) = self.folding.before(node) {
            self.restore(&handover);
        }
        // Anything that may run its body other than once leaves the straight-line part.
        let straight = matches!(
            node,
            Node::Text(..)
                | Node::Output(..)
                | Node::Assign { .. }
                | Node::Increment(..)
                | Node::Decrement(..)
                | Node::Cycle { .. }
                | Node::Break(_)
                | Node::Continue(_)
                | Node::Render(_)
                | Node::Include(_)
                | Node::ThemeCall(_)
        );
        if straight {
            return self.node_inner(node);
        }
        self.nesting += 1;
        let result = self.node_inner(node);
        self.nesting -= 1;
        result
    }

    /// `{% do _lq_s.restore("i", 1, true, "group", 2, ...) %}`: a counter's name and value,
    /// then a cycle's kind (named or not), key and position. Flat constant arguments: a map or
    /// list literal would be built at every render.
    fn restore(&mut self, handover: &Handover) {
        let mut args = Vec::new();
        for (name, value) in &handover.counters {
            args.push(format!("{}, {value}", quote(name)));
        }
        for ((named, key), slot) in &handover.cycles {
            args.push(format!("{named}, {}, {slot}", quote(key)));
        }
        self.emit(&format!("{{% do {SCOPE}.restore({}) %}}", args.join(", ")));
    }

    fn node_inner(&mut self, node: &Node) -> Result<(), LiquidError> {
        match node {
            Node::Text(text, line) => self.text(text, *line),
            Node::Output(filtered, line) => {
                self.sync(*line);
                let code = self.filtered(filtered, *line)?;
                self.emit(&format!("{{{{ {code} }}}}"));
            }
            Node::Assign { name, value, line } if self.plain.contains(name) => {
                self.sync(*line);
                let code = self.filtered(value, *line)?;
                let ident = mangle(name);
                if may_grow(value) {
                    self.emit(&format!("{{% set {ident} = ({code})|_lq_sized %}}"));
                } else {
                    self.emit(&format!("{{% set {ident} = {code} %}}"));
                }
            }
            Node::Capture { name, body, line } if self.plain.contains(name) => {
                self.sync(*line);
                self.emit(&format!("{{% set {}|_lq_sized %}}", mangle(name)));
                self.nodes(body)?;
                self.emit("{% endset %}");
            }
            Node::Assign { name, value, line } => {
                self.sync(*line);
                let code = self.filtered(value, *line)?;
                self.emit(&format!(
                    "{{% do {SCOPE}.assign({}, {code}) %}}",
                    quote(name)
                ));
            }
            Node::Capture { name, body, line } => {
                self.sync(*line);
                let id = self.id();
                self.emit(&format!("{{% set _lq_c{id} %}}"));
                self.nodes(body)?;
                self.emit(&format!(
                    "{{% endset %}}{{% do {SCOPE}.assign({}, _lq_c{id}) %}}",
                    quote(name)
                ));
            }
            Node::Increment(name, line) | Node::Decrement(name, line) => {
                self.sync(*line);
                let increment = matches!(node, Node::Increment(..));
                let folded = if self.nesting == 0 {
                    self.folding.counter(name, increment)
                } else {
                    None
                };
                match folded {
                    Some(value) => self.emit(itoa::Buffer::new().format(value)),
                    None => {
                        let method = if increment { "increment" } else { "decrement" };
                        self.emit(&format!("{{{{ {SCOPE}.{method}({}) }}}}", quote(name)));
                    }
                }
            }
            Node::If {
                branches,
                otherwise,
                line,
            } => {
                self.sync(*line);
                for (index, (condition, body, branch_line)) in branches.iter().enumerate() {
                    self.sync(*branch_line);
                    let code = self.condition(condition, *branch_line)?;
                    let keyword = if index == 0 { "if" } else { "elif" };
                    self.emit(&format!("{{% {keyword} {code} %}}"));
                    self.nodes(body)?;
                }
                if let Some((body, else_line)) = otherwise {
                    self.sync(*else_line);
                    self.emit("{% else %}");
                    self.nodes(body)?;
                }
                self.emit("{% endif %}");
            }
            Node::Case {
                subject,
                arms,
                line,
            } => self.case(subject, arms, *line)?,
            Node::For(for_loop) => self.for_loop(for_loop)?,
            Node::ThemeCall(call) => {
                self.sync(call.line);
                let code = self.theme_call(call)?;
                self.emit(&format!("{{{{ {code} }}}}"));
            }
            Node::Form(call, body) => {
                self.sync(call.line);
                let code = self.theme_call(call)?;
                self.emit(&format!(
                    "{{% with form = {code} %}}{{{{ form|_lq_form_open }}}}"
                ));
                self.nodes(body)?;
                self.emit("</form>{% endwith %}");
            }
            Node::Paginate(p) => {
                self.sync(p.line);
                let id = self.id();
                let items = self.expr(&p.items, p.line)?;
                let size = self.expr(&p.page_size, p.line)?;
                let window = match &p.window {
                    Some(w) => self.expr(w, p.line)?,
                    None => "none".into(),
                };
                self.emit(&format!(
                    "{{% with _lq_pg{id} = _lq_paginate({items}, {size}, {window}) %}}{{% with paginate = _lq_pg{id} %}}"
                ));
                let substituted = matches!(p.items, Expr::Path(_));
                if let Expr::Path(path) = &p.items {
                    self.paginated
                        .push((path.clone(), format!("_lq_pg{id}._lq_items")));
                }
                self.nodes(&p.body)?;
                if substituted {
                    self.paginated.pop();
                }
                self.emit("{% endwith %}{% endwith %}");
            }
            Node::Style(body, line) => {
                self.sync(*line);
                self.emit("<style data-shopify>");
                self.nodes(body)?;
                self.emit("</style>");
            }
            Node::Tablerow(tablerow) => self.tablerow(tablerow)?,
            Node::Break(line) | Node::Continue(line) => {
                self.sync(*line);
                let kind = if matches!(node, Node::Break(_)) {
                    "break"
                } else {
                    "continue"
                };
                let in_when_loop = self
                    .loops
                    .last()
                    .is_some_and(|l| l.kind == LoopKind::Hidden);
                if in_when_loop {
                    // The hidden loop of a `when` with several values stops; the real loop
                    // after it takes the interrupt (see `may_interrupt`).
                    self.emit(&format!(
                        "{{% do {SCOPE}.interrupt({}) %}}{{% break %}}",
                        quote(kind)
                    ));
                } else if self.in_loop() {
                    self.emit(&format!("{{% {kind} %}}"));
                } else {
                    // In an included file: the loop that includes it stops (see `nodes`).
                    self.emit(&format!("{{% do {SCOPE}.interrupt({}) %}}", quote(kind)));
                }
            }
            Node::Cycle {
                group,
                values,
                key,
                line,
            } => {
                self.sync(*line);
                let folded = if self.nesting == 0 {
                    self.folding
                        .cycle(cycle_key(group.as_ref(), key), values.len())
                } else {
                    None
                };
                if let Some(index) = folded {
                    match values.get(index) {
                        // Plain text when that keeps the lines (see `sync`).
                        Some(Expr::Str(text)) if !text.contains(['\n', '\r']) => {
                            self.text(text, *line);
                        }
                        Some(value) => {
                            let code = self.expr(value, *line)?;
                            self.emit(&format!("{{{{ {code} }}}}"));
                        }
                        None => {}
                    }
                    return Ok(());
                }
                let key = match group {
                    Some(group) => self.expr(group, *line)?,
                    None => quote(key),
                };
                let values = values
                    .iter()
                    .map(|v| self.expr(v, *line))
                    .collect::<Result<Vec<_>, _>>()?;
                self.emit(&format!(
                    "{{{{ {SCOPE}.cycle({key}, {}, [{}]) }}}}",
                    group.is_some(),
                    values.join(", ")
                ));
            }
            Node::IfChanged(body, line) => {
                self.sync(*line);
                let id = self.id();
                self.emit(&format!("{{% set _lq_i{id} %}}"));
                self.nodes(body)?;
                self.emit(&format!(
                    "{{% endset %}}{{{{ {SCOPE}.ifchanged(_lq_i{id}) }}}}"
                ));
            }
            Node::Render(partial) => self.render(partial)?,
            Node::Include(partial) => self.include(partial)?,
        }
        Ok(())
    }

    fn case(&mut self, subject: &Expr, arms: &[CaseArm], line: u32) -> Result<(), LiquidError> {
        self.sync(line);
        let id = self.id();
        let subject_code = self.expr(subject, line)?;
        let var = format!("_lq_k{id}");
        self.emit(&format!("{{% set {var} = {subject_code} %}}"));
        // Every matching `when` renders (as in Liquid); an `else` renders when no `when`
        // before it matched.
        let mut previous: Vec<String> = Vec::new();
        for arm in arms {
            match arm {
                CaseArm::When(values, body, when_line) => {
                    self.sync(*when_line);
                    let tests = values
                        .iter()
                        .map(|v| self.compare(&var, CmpOp::Eq, v, *when_line))
                        .collect::<Result<Vec<_>, LiquidError>>()?;
                    let code = format!("({})", tests.join(" or "));
                    if tests.len() == 1 {
                        self.emit(&format!("{{% if {code} %}}"));
                        self.nodes(body)?;
                        self.emit("{% endif %}");
                    } else {
                        // Liquid renders the body once for every value that matches.
                        let id = self.id();
                        self.emit(&format!(
                            "{{% for _lq_w{id} in _lq_repeat([{}]) %}}",
                            tests.join(", ")
                        ));
                        let body_start = self.out.len();
                        self.loops.push(LoopFrame {
                            kind: LoopKind::Hidden,
                            id,
                            name: String::new(),
                            saved: false,
                            body_start,
                        });
                        let result = self.nodes(body);
                        self.loops.pop();
                        result?;
                        self.emit("{% endfor %}");
                    }
                    previous.push(code);
                }
                CaseArm::Else(body, else_line) => {
                    self.sync(*else_line);
                    if previous.is_empty() {
                        self.emit("{% if true %}");
                    } else {
                        self.emit(&format!("{{% if not ({}) %}}", previous.join(" or ")));
                    }
                    self.nodes(body)?;
                    self.emit("{% endif %}");
                }
            }
        }
        Ok(())
    }

    fn for_loop(&mut self, f: &ForLoop) -> Result<(), LiquidError> {
        self.sync(f.line);
        let collection = self.expr(&f.collection, f.line)?;
        let iterable =
            if f.limit.is_none() && f.offset.is_none() && !f.reversed && !self.tracks_offsets {
                match literal_range(&f.collection) {
                    Some(list) => list,
                    None => format!("_lq_iter({collection})"),
                }
            } else {
                let limit = match &f.limit {
                    Some(limit) => self.expr(limit, f.line)?,
                    None => "none".into(),
                };
                let (offset, continues) = match &f.offset {
                    Some(Offset::Expr(offset)) => (self.expr(offset, f.line)?, false),
                    Some(Offset::Continue) => ("none".into(), true),
                    None => ("none".into(), false),
                };
                let flags = format!(
                    "{}{}",
                    if continues { "c" } else { "" },
                    if f.reversed { "r" } else { "" }
                );
                format!(
                    "{SCOPE}.slice_for({}, {collection}, {offset}, {limit}, {})",
                    quote(&f.name),
                    quote(&flags)
                )
            };
        let id = self.id();
        let var = mangle(&f.var);
        // minijinja's own for-else also runs after a `break` in the first iteration, so the
        // else branch tests the collection itself.
        let iterable = if f.otherwise.is_some() {
            self.emit(&format!("{{% set _lq_f{id} = {iterable} %}}"));
            format!("_lq_f{id}")
        } else {
            iterable
        };
        self.emit(&format!("{{% for {var} in {iterable} %}}"));
        let body_start = self.out.len();
        self.loops.push(LoopFrame {
            kind: LoopKind::For,
            id,
            name: f.name.clone(),
            saved: false,
            body_start,
        });
        self.locals.push((f.var.clone(), var));
        let result = self.nodes(&f.body);
        self.locals.pop();
        let frame = self.loops.pop();
        result?;
        if let Some(frame) = frame
            && frame.saved
        {
            self.out.insert_str(
                frame.body_start,
                &format!("{{% set _lq_loop{} = loop %}}", frame.id),
            );
        }
        self.emit("{% endfor %}");
        if let Some((body, else_line)) = &f.otherwise {
            self.sync(*else_line);
            self.emit(&format!("{{% if not _lq_f{id} %}}"));
            self.nodes(body)?;
            self.emit("{% endif %}");
        }
        Ok(())
    }

    fn tablerow(&mut self, t: &Tablerow) -> Result<(), LiquidError> {
        self.sync(t.line);
        let collection = self.expr(&t.collection, t.line)?;
        let mut arg = |e: &Option<Expr>| match e {
            Some(e) => self.expr(e, t.line),
            None => Ok("none".to_string()),
        };
        let (cols, limit, offset) = (arg(&t.cols)?, arg(&t.limit)?, arg(&t.offset)?);
        let id = self.id();
        let var = mangle(&t.var);
        let row = format!("_lq_tr{id}");
        let rows = format!("_lq_rows{id}");
        // Each cell is closed when the next one opens (and after the loop), so `break` and
        // `continue` inside the body still close it, as Liquid's output does.
        self.emit(&format!(
            "{{% set {rows} = _lq_tablerow({collection}, {cols}, {limit}, {offset}) %}}<tr class=\"row1\">{{{{ \"\\n\" }}}}{{% for {var}, {row} in {rows} %}}{{% if not {row}.first %}}</td>{{% if {row}.col_first %}}</tr>{{{{ \"\\n\" }}}}<tr class=\"row{{{{ {row}.row }}}}\">{{% endif %}}{{% endif %}}<td class=\"col{{{{ {row}.col }}}}\">"
        ));
        let body_start = self.out.len();
        self.loops.push(LoopFrame {
            kind: LoopKind::Tablerow,
            id,
            name: String::new(),
            saved: false,
            body_start,
        });
        self.locals.push((t.var.clone(), var));
        let result = self.nodes(&t.body);
        self.locals.pop();
        self.loops.pop();
        result?;
        self.emit(&format!(
            "{{% endfor %}}{{% if {rows} %}}</td>{{% endif %}}</tr>{{{{ \"\\n\" }}}}"
        ));
        Ok(())
    }

    fn render(&mut self, p: &Partial) -> Result<(), LiquidError> {
        self.sync(p.line);
        let name = self.expr(&p.name, p.line)?;
        let (mode, value) = match &p.bound {
            Some((Binding::With, e)) => ("with", self.expr(e, p.line)?),
            Some((Binding::For, e)) => ("for", self.expr(e, p.line)?),
            None => ("", "none".to_string()),
        };
        let alias = match &p.alias {
            Some(alias) => quote(alias),
            None => "none".into(),
        };
        // None rather than an empty map: a map literal is built at every render.
        let kwargs = if p.kwargs.is_empty() {
            "none".to_string()
        } else {
            self.kwargs_dict(&p.kwargs, p.line)?
        };
        self.emit(&format!(
            "{{{{ {SCOPE}.render({name}, {}, {value}, {alias}, {kwargs}) }}}}",
            quote(mode)
        ));
        Ok(())
    }

    /// `_lq_section(name, {kwargs})` and the like: the function the theme registers for a tag.
    fn theme_call(&mut self, call: &ThemeCall) -> Result<String, LiquidError> {
        let mut args = Vec::new();
        for arg in &call.args {
            args.push(self.expr(arg, call.line)?);
        }
        if call.tag == "form" && args.len() < 2 {
            args.push("none".into());
        }
        args.push(self.kwargs_dict(&call.kwargs, call.line)?);
        Ok(format!("_lq_{}({})", call.tag, args.join(", ")))
    }

    fn kwargs_dict(&mut self, kwargs: &[(String, Expr)], line: u32) -> Result<String, LiquidError> {
        let mut parts = Vec::new();
        for (key, value) in kwargs {
            parts.push(format!("{}: {}", quote(key), self.expr(value, line)?));
        }
        Ok(format!("{{{}}}", parts.join(", ")))
    }

    fn include(&mut self, p: &Partial) -> Result<(), LiquidError> {
        self.sync(p.line);
        let name = self.expr(&p.name, p.line)?;
        // Keyword arguments live in a `with` frame around the include: they shadow the scope
        // while it runs and are gone afterwards; assigns in the included file reach the scope.
        let mut bindings = Vec::new();
        for (key, value) in &p.kwargs {
            bindings.push(format!("{}={}", mangle(key), self.expr(value, p.line)?));
        }
        let alias = p.alias.clone().or_else(|| match &p.name {
            Expr::Str(name) => {
                let base = name.rsplit('/').next().unwrap_or(name);
                Some(base.strip_suffix(".liquid").unwrap_or(base).to_string())
            }
            _ => None,
        });
        // `include` shares the includer's scope, and with it the `forloop` of a loop around it.
        if self.local("forloop").is_none() {
            let mut whole: &[Segment] = &[];
            if let Some(code) = self.forloop(&mut whole) {
                bindings.push(format!("forloop={code}"));
            }
        }
        match (&p.bound, alias) {
            (Some((Binding::For, value)), Some(alias)) => {
                let id = self.id();
                let value = self.expr(value, p.line)?;
                bindings.insert(0, format!("{}=_lq_inc{id}", mangle(&alias)));
                self.emit(&format!(
                    "{{% for _lq_inc{id} in _lq_include_items({value}) %}}{{% with {} %}}{{% include {name} %}}{{% endwith %}}{{% endfor %}}",
                    bindings.join(", ")
                ));
                return Ok(());
            }
            (Some((_, value)), Some(alias)) => {
                let value = self.expr(value, p.line)?;
                bindings.insert(0, format!("{}={value}", mangle(&alias)));
            }
            _ => {}
        }
        if bindings.is_empty() {
            self.emit(&format!("{{% include {name} %}}"));
        } else {
            self.emit(&format!(
                "{{% with {} %}}{{% include {name} %}}{{% endwith %}}",
                bindings.join(", ")
            ));
        }
        Ok(())
    }

    fn filtered(&mut self, f: &Filtered, line: u32) -> Result<String, LiquidError> {
        let mut code = self.expr(&f.expr, line)?;
        for filter in &f.filters {
            code = self.filter(code, filter, line)?;
        }
        Ok(code)
    }

    fn filter(&mut self, input: String, filter: &Filter, line: u32) -> Result<String, LiquidError> {
        let name = if STANDARD_FILTERS.contains(&filter.name.as_str()) {
            format!("liquid_{}", filter.name)
        } else if let Some(known) = self.known
            && !known(&filter.name)
        {
            return Ok(input);
        } else if is_plain_ident(&filter.name) {
            filter.name.clone()
        } else {
            return Err(LiquidError::new(
                self.file,
                line,
                format!("unknown filter '{}'", filter.name),
            ));
        };
        let mut args = Vec::new();
        for arg in &filter.args {
            args.push(self.expr(arg, line)?);
        }
        // A key minijinja cannot take as a keyword (`loop`, `data-id`) goes in a splatted map:
        // Shopify's filters take such keys (`video_tag: loop: true`, HTML attributes).
        let mut splatted = Vec::new();
        for (key, value) in &filter.kwargs {
            let value = self.expr(value, line)?;
            if is_plain_ident(key) && !RESERVED.contains(&key.as_str()) {
                args.push(format!("{key}={value}"));
            } else {
                splatted.push(format!("{}: {value}", quote(key)));
            }
        }
        if !splatted.is_empty() {
            args.push(format!("**{{{}}}", splatted.join(", ")));
        }
        if args.is_empty() {
            Ok(format!("{input}|{name}"))
        } else {
            Ok(format!("{input}|{name}({})", args.join(", ")))
        }
    }

    fn condition(&mut self, c: &Condition, line: u32) -> Result<String, LiquidError> {
        Ok(match c {
            Condition::Value(e) => match e {
                Expr::Nil | Expr::Bool(false) => "false".into(),
                Expr::Bool(true) | Expr::Int(_) | Expr::Float(_) | Expr::Str(_) => "true".into(),
                _ => format!("({} is _lq_truthy)", self.expr(e, line)?),
            },
            Condition::Compare(left, op, right) => {
                let left = self.expr(left, line)?;
                self.compare(&left, *op, right, line)?
            }
            Condition::And(a, b) => format!(
                "({} and {})",
                self.condition(a, line)?,
                self.condition(b, line)?
            ),
            Condition::Or(a, b) => format!(
                "({} or {})",
                self.condition(a, line)?,
                self.condition(b, line)?
            ),
            Condition::Not(c) => format!("(not {})", self.condition(c, line)?),
        })
    }

    fn compare(
        &mut self,
        left: &str,
        op: CmpOp,
        right: &Expr,
        line: u32,
    ) -> Result<String, LiquidError> {
        let right = self.expr(right, line)?;
        let test = match op {
            CmpOp::Eq => "_lq_eq",
            CmpOp::Ne => "_lq_ne",
            CmpOp::Lt => "_lq_lt",
            CmpOp::Gt => "_lq_gt",
            CmpOp::Le => "_lq_le",
            CmpOp::Ge => "_lq_ge",
            CmpOp::Contains => "_lq_contains",
        };
        Ok(format!("({left} is {test}({right}))"))
    }

    fn expr(&mut self, e: &Expr, line: u32) -> Result<String, LiquidError> {
        Ok(match e {
            Expr::Nil => "none".into(),
            Expr::Bool(b) => b.to_string(),
            Expr::Int(i) if *i < 0 => format!("({i})"),
            Expr::Int(i) => i.to_string(),
            Expr::Float(f) if f.is_finite() => {
                let text = format!("{f:?}");
                if *f < 0.0 { format!("({text})") } else { text }
            }
            Expr::Float(_) => "none".into(),
            Expr::Str(s) => quote(s),
            Expr::Empty => "_lq_empty".into(),
            Expr::Blank => "_lq_blank".into(),
            Expr::Range(a, b) => {
                format!(
                    "_lq_range({}, {})",
                    self.expr(a, line)?,
                    self.expr(b, line)?
                )
            }
            Expr::Path(path) => self.path(path, line)?,
        })
    }

    fn path(&mut self, path: &Path, line: u32) -> Result<String, LiquidError> {
        let mut segments = path.segments.as_slice();
        let paginated = self
            .paginated
            .iter()
            .rev()
            .find(|(p, _)| p.root == path.root && path.segments.starts_with(&p.segments))
            .map(|(p, code)| (p.segments.len(), code.clone()));
        let mut code = match &path.root {
            _ if let Some((skip, code)) = paginated => {
                segments = &segments[skip..];
                code
            }
            PathRoot::Name(name) if name == "forloop" && self.local(name).is_none() => {
                match self.forloop(&mut segments) {
                    Some(code) => code,
                    None => "forloop".into(),
                }
            }
            PathRoot::Name(name) if name == "tablerowloop" && self.local(name).is_none() => {
                match self
                    .loops
                    .iter()
                    .rev()
                    .find(|l| l.kind == LoopKind::Tablerow)
                {
                    Some(frame) => format!("_lq_tr{}", frame.id),
                    None => "tablerowloop".into(),
                }
            }
            PathRoot::Name(name) => match self.local(name) {
                Some(ident) => ident,
                None => mangle(name),
            },
            PathRoot::Index(name) => format!("{SCOPE}[{}]", self.expr(name, line)?),
        };
        for segment in segments {
            match segment {
                Segment::Attr(attr) if matches!(attr.as_str(), "size" | "first" | "last") => {
                    code = format!("({code}|_lq_prop({}))", quote(attr));
                }
                Segment::Attr(attr)
                    if is_plain_ident(attr) && !RESERVED.contains(&attr.as_str()) =>
                {
                    code.push('.');
                    code.push_str(attr);
                }
                Segment::Attr(attr) => {
                    code = format!("{code}[{}]", quote(attr));
                }
                Segment::Index(index) => {
                    let index = self.expr(index, line)?;
                    code = format!("{code}[{index}]");
                }
            }
        }
        Ok(code)
    }

    fn local(&self, name: &str) -> Option<String> {
        self.locals
            .iter()
            .rev()
            .find(|(liquid, _)| liquid == name)
            .map(|(_, ident)| ident.clone())
    }

    /// `forloop...` inside a lexical `for`: consumes the segments it resolves and returns the
    /// code, or None outside any loop (then `forloop` is an ordinary variable, as in a file
    /// rendered with `render ... for`).
    fn forloop(&mut self, segments: &mut &[Segment]) -> Option<String> {
        let mut level = self.loops.iter().rposition(|l| l.kind == LoopKind::For)?;
        loop {
            let reference = self.loop_ref(level);
            match segments.first() {
                Some(Segment::Attr(attr)) => {
                    let mapped = match attr.as_str() {
                        "index" | "index0" | "first" | "last" | "length" => attr.as_str(),
                        "rindex" => "revindex",
                        "rindex0" => "revindex0",
                        "name" => {
                            *segments = &segments[1..];
                            return Some(quote(&self.loops[level].name));
                        }
                        "parentloop" => {
                            *segments = &segments[1..];
                            match self.loops[..level]
                                .iter()
                                .rposition(|l| l.kind == LoopKind::For)
                            {
                                Some(parent) => {
                                    level = parent;
                                    continue;
                                }
                                None => return Some("none".into()),
                            }
                        }
                        _ => {
                            *segments = &segments[1..];
                            return Some("none".into());
                        }
                    };
                    *segments = &segments[1..];
                    return Some(format!("{reference}.{mapped}"));
                }
                _ => {
                    let parent = match self.loops[..level]
                        .iter()
                        .rposition(|l| l.kind == LoopKind::For)
                    {
                        Some(parent) => self.loop_ref(parent),
                        None => "none".into(),
                    };
                    return Some(format!(
                        "_lq_forloop({reference}, {}, {parent})",
                        quote(&self.loops[level].name)
                    ));
                }
            }
        }
    }

    /// The minijinja expression for the loop object of `self.loops[level]`.
    fn loop_ref(&mut self, level: usize) -> String {
        if level + 1 == self.loops.len() {
            "loop".into()
        } else {
            self.loops[level].saved = true;
            format!("_lq_loop{}", self.loops[level].id)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mangling_round_trips() {
        for name in ["f-oo", "x?", "loop", "_lq_x", "a_b-c?"] {
            let ident = mangle(name);
            assert!(is_plain_ident(&ident), "{ident}");
            assert_eq!(demangle(&ident).as_deref(), Some(name));
        }
        assert_eq!(mangle("product"), "product");
    }
}
