//! Which variables of a file can live in minijinja's own frames (`{% set %}`) instead of the
//! render's scope object. A scope `assign` is a method call, a lock and a hash insert, and every
//! read of the variable a lock and a hash lookup; a minijinja local is a frame slot.
//!
//! minijinja's `set` writes the innermost frame, and only loops (and `with`) push frames, so a
//! local gives Liquid's answer only where no read can see a stale frame. The file must not be
//! included by another (only top-level files are analysed). An `include`, a theme tag or a
//! `[name]` lookup reads the scope itself (an included file's own assigns go there, and its reads
//! would find the includer's frames first), so a variable qualifies only if all its uses come
//! after the last of those, and those are not in a loop (none in a `form` or `paginate` block at
//! all). Then a variable qualifies if:
//!
//! - it is assigned only at the top level (reads anywhere then find the root frame's value); or
//! - it is assigned only directly in one loop, read only inside it, and assigned before every
//!   read in each iteration (a value private to an iteration: minijinja clears a loop's frame
//!   at each iteration, so a value carried from one iteration to the next stays in the scope).
//!
//! A loop variable's name never qualifies (a `set` would overwrite the loop variable).

use std::collections::{HashMap, HashSet};

use super::expr::{Condition, Expr, Filtered, PathRoot, Segment};
use super::parser::{CaseArm, Node};

/// The variables of a top-level file whose `assign`s and `capture`s may be minijinja `set`s.
pub fn plain_assigns(nodes: &[Node]) -> HashSet<String> {
    let mut walk = Walk::default();
    walk.nodes(nodes);
    if walk.observed {
        return HashSet::new();
    }
    walk.events
        .iter()
        .filter(|(name, events)| {
            events.iter().all(|e| e.seq > walk.last_observer)
                && !walk.loop_vars.contains(*name)
                && !matches!(name.as_str(), "forloop" | "tablerowloop")
                && qualifies(&walk, name, events)
        })
        .map(|(name, _)| name.clone())
        .collect()
}

struct Event {
    assign: bool,
    /// The loop frames around the event, outermost first.
    frames: Vec<usize>,
    seq: usize,
}

struct Frame<'a> {
    body: &'a [Node],
}

#[derive(Default)]
struct Walk<'a> {
    frames: Vec<usize>,
    seq: usize,
    loops: Vec<Frame<'a>>,
    events: HashMap<String, Vec<Event>>,
    loop_vars: HashSet<String>,
    /// Something outside the file's code can read or write the scope anywhere, or in a loop.
    observed: bool,
    /// Where the last thing that reads or writes the scope itself is.
    last_observer: usize,
}

fn qualifies(walk: &Walk, name: &str, events: &[Event]) -> bool {
    let assigns: Vec<&Event> = events.iter().filter(|e| e.assign).collect();
    let reads = events.iter().filter(|e| !e.assign);
    if assigns.is_empty() {
        // Only read: nothing to lower differently.
        return false;
    }
    if assigns.iter().all(|e| e.frames.is_empty()) {
        return true;
    }
    // Private to the iterations of one loop.
    let frames = &assigns[0].frames;
    if frames.is_empty() || assigns.iter().any(|e| &e.frames != frames) {
        return false;
    }
    let Some(&innermost) = frames.last() else {
        return false;
    };
    let frame = &walk.loops[innermost];
    reads.into_iter().all(|r| r.frames.starts_with(frames))
        && definitely_assigned(frame.body, name, false).is_some()
}

/// Walks `nodes` with `name` assigned or not at the start; None if some read may come before an
/// assignment, else whether `name` is surely assigned at the end.
fn definitely_assigned(nodes: &[Node], name: &str, mut assigned: bool) -> Option<bool> {
    let check = |reads: bool, assigned: bool| (!reads || assigned).then_some(());
    for node in nodes {
        match node {
            Node::Output(f, _) => check(filtered_reads(f, name), assigned)?,
            Node::Assign { name: n, value, .. } => {
                check(filtered_reads(value, name), assigned)?;
                assigned |= n == name;
            }
            Node::Capture { name: n, body, .. } => {
                assigned = definitely_assigned(body, name, assigned)? || n == name;
            }
            Node::If {
                branches,
                otherwise,
                ..
            } => {
                let mut all = otherwise.is_some();
                for (condition, body, _) in branches {
                    check(condition_reads(condition, name), assigned)?;
                    all &= definitely_assigned(body, name, assigned)?;
                }
                if let Some((body, _)) = otherwise {
                    all &= definitely_assigned(body, name, assigned)?;
                }
                assigned |= all;
            }
            Node::Break(_) | Node::Continue(_) => return Some(true),
            other => {
                // Anything else (nested loops, case, cycle, ...): its reads need the
                // assignment already, and it counts as assigning nothing.
                let mut reads = false;
                let mut inner = Walk::default();
                inner.node(other);
                if let Some(events) = inner.events.get(name) {
                    reads = events.iter().any(|e| !e.assign);
                }
                check(reads, assigned)?;
            }
        }
    }
    Some(assigned)
}

fn filtered_reads(f: &Filtered, name: &str) -> bool {
    let mut found = false;
    each_filtered_read(f, &mut |n| found |= n == Some(name));
    found
}

fn condition_reads(c: &Condition, name: &str) -> bool {
    let mut found = false;
    each_condition_read(c, &mut |n| found |= n == Some(name));
    found
}

/// Calls `f` with each variable an expression reads; None for a computed name (`[expr]`).
pub(super) fn each_read(e: &Expr, f: &mut dyn FnMut(Option<&str>)) {
    match e {
        Expr::Range(a, b) => {
            each_read(a, f);
            each_read(b, f);
        }
        Expr::Path(path) => {
            match &path.root {
                PathRoot::Name(name) => f(Some(name)),
                PathRoot::Index(index) => {
                    f(None);
                    each_read(index, f);
                }
            }
            for segment in &path.segments {
                if let Segment::Index(index) = segment {
                    each_read(index, f);
                }
            }
        }
        _ => {}
    }
}

pub(super) fn each_filtered_read(filtered: &Filtered, f: &mut dyn FnMut(Option<&str>)) {
    each_read(&filtered.expr, f);
    for filter in &filtered.filters {
        filter.args.iter().for_each(|a| each_read(a, f));
        filter.kwargs.iter().for_each(|(_, a)| each_read(a, f));
    }
}

pub(super) fn each_condition_read(c: &Condition, f: &mut dyn FnMut(Option<&str>)) {
    match c {
        Condition::Value(e) => each_read(e, f),
        Condition::Compare(a, _, b) => {
            each_read(a, f);
            each_read(b, f);
        }
        Condition::And(a, b) | Condition::Or(a, b) => {
            each_condition_read(a, f);
            each_condition_read(b, f);
        }
        Condition::Not(c) => each_condition_read(c, f),
    }
}

impl<'a> Walk<'a> {
    fn event(&mut self, name: Option<&str>, assign: bool) {
        self.seq += 1;
        let Some(name) = name else {
            self.observer();
            return;
        };
        let event = Event {
            assign,
            frames: self.frames.clone(),
            seq: self.seq,
        };
        self.events.entry(name.to_string()).or_default().push(event);
    }

    fn expr(&mut self, e: &Expr) {
        let mut names: Vec<Option<String>> = Vec::new();
        each_read(e, &mut |n| names.push(n.map(str::to_string)));
        for name in names {
            self.event(name.as_deref(), false);
        }
    }

    fn filtered(&mut self, f: &Filtered) {
        let mut names: Vec<Option<String>> = Vec::new();
        each_filtered_read(f, &mut |n| names.push(n.map(str::to_string)));
        for name in names {
            self.event(name.as_deref(), false);
        }
    }

    fn condition(&mut self, c: &Condition) {
        let mut names: Vec<Option<String>> = Vec::new();
        each_condition_read(c, &mut |n| names.push(n.map(str::to_string)));
        for name in names {
            self.event(name.as_deref(), false);
        }
    }

    /// An include, a theme tag or a `[name]` lookup here.
    fn observer(&mut self) {
        self.seq += 1;
        self.last_observer = self.seq;
        self.observed |= !self.frames.is_empty();
    }

    /// Walks `body` inside a new loop frame.
    fn frame(&mut self, body: &'a [Node]) {
        let id = self.loops.len();
        self.loops.push(Frame { body });
        self.frames.push(id);
        self.nodes(body);
        self.frames.pop();
    }

    fn nodes(&mut self, nodes: &'a [Node]) {
        for node in nodes {
            self.node(node);
        }
    }

    fn node(&mut self, node: &'a Node) {
        match node {
            Node::Text(..)
            | Node::Increment(..)
            | Node::Decrement(..)
            | Node::Break(_)
            | Node::Continue(_) => {}
            Node::Output(f, _) => self.filtered(f),
            Node::Assign { name, value, .. } => {
                self.filtered(value);
                self.event(Some(name), true);
            }
            Node::Capture { name, body, .. } => {
                self.nodes(body);
                self.event(Some(name), true);
            }
            Node::If {
                branches,
                otherwise,
                ..
            } => {
                for (condition, body, _) in branches {
                    self.condition(condition);
                    self.nodes(body);
                }
                if let Some((body, _)) = otherwise {
                    self.nodes(body);
                }
            }
            Node::Case { subject, arms, .. } => {
                self.expr(subject);
                for arm in arms {
                    match arm {
                        CaseArm::When(values, body, _) => {
                            values.iter().for_each(|v| self.expr(v));
                            // Several values: the lowering loops over the matching ones.
                            if values.len() > 1 {
                                self.frame(body);
                            } else {
                                self.nodes(body);
                            }
                        }
                        CaseArm::Else(body, _) => self.nodes(body),
                    }
                }
            }
            Node::For(f) => {
                self.expr(&f.collection);
                if let Some(limit) = &f.limit {
                    self.expr(limit);
                }
                if let Some(super::parser::Offset::Expr(offset)) = &f.offset {
                    self.expr(offset);
                }
                self.loop_vars.insert(f.var.clone());
                self.frame(&f.body);
                if let Some((body, _)) = &f.otherwise {
                    self.nodes(body);
                }
            }
            Node::Tablerow(t) => {
                self.expr(&t.collection);
                for e in [&t.cols, &t.limit, &t.offset].into_iter().flatten() {
                    self.expr(e);
                }
                self.loop_vars.insert(t.var.clone());
                self.frame(&t.body);
            }
            Node::Cycle { group, values, .. } => {
                group.iter().for_each(|g| self.expr(g));
                values.iter().for_each(|v| self.expr(v));
            }
            Node::IfChanged(body, _) | Node::Style(body, _) => self.nodes(body),
            Node::Render(p) => {
                self.expr(&p.name);
                if let Some((_, e)) = &p.bound {
                    self.expr(e);
                }
                p.kwargs.iter().for_each(|(_, e)| self.expr(e));
            }
            // The included file shares the scope; theme tags call functions that may read it.
            Node::Include(_) | Node::ThemeCall(_) => self.observer(),
            // Their bodies run in `with` frames.
            Node::Form(..) | Node::Paginate(_) => self.observed = true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(source: &str) -> Vec<String> {
        let tokens = super::super::lexer::tokenize("t", source).unwrap();
        let nodes = super::super::parser::parse("t", tokens).unwrap();
        let mut names: Vec<String> = plain_assigns(&nodes).into_iter().collect();
        names.sort();
        names
    }

    #[test]
    fn top_level_and_iteration_private_values_are_plain() {
        let source = "{% assign nl = 'x' %}{% assign count = 0 %}{% for n in ns %}\
                      {% assign count = count | plus: 1 %}{% assign up = n | upcase %}{{ up }}\
                      {{ count }}{{ nl }}{% endfor %}";
        // `count` is carried from one iteration to the next: it stays in the scope.
        assert_eq!(plain(source), ["nl", "up"]);
    }

    #[test]
    fn a_read_after_the_loop_keeps_the_scope() {
        let source = "{% assign c = 0 %}{% for n in ns %}{% assign c = n %}{% endfor %}{{ c }}";
        assert!(plain(source).is_empty());
    }

    #[test]
    fn a_nested_loop_must_assign_before_reading() {
        let carried =
            "{% for a in as %}{% for b in bs %}{{ x }}{% assign x = b %}{% endfor %}{% endfor %}";
        assert!(plain(carried).is_empty());
        let private = "{% for a in as %}{% for b in bs %}{% if b %}{% assign x = 1 %}{% else %}\
                       {% assign x = 2 %}{% endif %}{{ x }}{% endfor %}{% endfor %}";
        assert_eq!(plain(private), ["x"]);
    }

    #[test]
    fn include_index_lookup_and_loop_variables_keep_the_scope() {
        assert!(plain("{% assign x = 1 %}{% include 'a' %}{{ x }}").is_empty());
        assert!(plain("{% assign x = 1 %}{{ ['x'] }}").is_empty());
        assert!(
            plain("{% for a in as %}{% include 'a' %}{% endfor %}{% assign x = 1 %}").is_empty()
        );
        assert_eq!(
            plain("{% include 'a' %}{{ x }}{% assign x = 1 %}{{ x }}"),
            ["x"]
        );
        assert!(plain("{% for x in xs %}{% assign x = 1 %}{% endfor %}").is_empty());
    }
}
