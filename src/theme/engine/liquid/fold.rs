//! Counters and cycles folded at lowering time. In the straight-line part of a top-level file
//! (no enclosing loop, branch or capture) every `increment`, `decrement` and literal `cycle`
//! runs exactly once and in order, so its output is known when the file is lowered: it becomes
//! text instead of a call on the render's scope (a lock and a hash lookup each).
//!
//! The folded state is the scope's state as it would be at that point. Before the first thing
//! that could see it — a read of a counter's name, a loop or branch that uses the same counter
//! or cycle, an `include` or theme tag (they share the scope), a `[name]` lookup — the lowering
//! writes it into the scope with one `restore` call and leaves that counter or cycle to the
//! runtime from then on. `render` needs nothing: a rendered file has a scope of its own.

use std::collections::{BTreeMap, HashSet};

use super::expr::Expr;
use super::locals::{each_condition_read, each_filtered_read, each_read};
use super::parser::{CaseArm, Node};

/// A cycle group: (named with `cycle 'name': ...`, key).
pub type CycleKey = (bool, String);

/// The key of a cycle, if the lowering can know it (unnamed, or named by a literal string).
pub fn cycle_key(group: Option<&Expr>, key: &str) -> Option<CycleKey> {
    match group {
        None => Some((false, key.to_string())),
        Some(Expr::Str(name)) => Some((true, name.clone())),
        Some(_) => None,
    }
}

/// What a node (with everything in it) does to counters and cycles and which names it reads.
#[derive(Default)]
struct Touch {
    counters: HashSet<String>,
    cycles: HashSet<CycleKey>,
    /// A cycle whose group is computed: it may be any group.
    any_cycle: bool,
    reads: HashSet<String>,
    /// An include, a theme tag or a `[name]` lookup: anything in the scope may be read.
    observer: bool,
}

impl Touch {
    fn read(&mut self, name: Option<&str>) {
        match name {
            Some(name) => {
                self.reads.insert(name.to_string());
            }
            None => self.observer = true,
        }
    }

    fn expr(&mut self, e: &Expr) {
        each_read(e, &mut |n| self.read(n));
    }

    fn nodes(&mut self, nodes: &[Node]) {
        nodes.iter().for_each(|n| self.node(n));
    }

    fn node(&mut self, node: &Node) {
        match node {
            Node::Text(..) | Node::Break(_) | Node::Continue(_) => {}
            Node::Output(f, _) | Node::Assign { value: f, .. } => {
                each_filtered_read(f, &mut |n| self.read(n));
            }
            Node::Capture { body, .. } | Node::IfChanged(body, _) | Node::Style(body, _) => {
                self.nodes(body);
            }
            Node::Increment(name, _) | Node::Decrement(name, _) => {
                self.counters.insert(name.clone());
            }
            Node::If {
                branches,
                otherwise,
                ..
            } => {
                for (condition, body, _) in branches {
                    each_condition_read(condition, &mut |n| self.read(n));
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
                            self.nodes(body);
                        }
                        CaseArm::Else(body, _) => self.nodes(body),
                    }
                }
            }
            Node::For(f) => {
                self.expr(&f.collection);
                f.limit.iter().for_each(|e| self.expr(e));
                if let Some(super::parser::Offset::Expr(e)) = &f.offset {
                    self.expr(e);
                }
                self.nodes(&f.body);
                if let Some((body, _)) = &f.otherwise {
                    self.nodes(body);
                }
            }
            Node::Tablerow(t) => {
                self.expr(&t.collection);
                for e in [&t.cols, &t.limit, &t.offset].into_iter().flatten() {
                    self.expr(e);
                }
                self.nodes(&t.body);
            }
            Node::Cycle {
                group, values, key, ..
            } => {
                group.iter().for_each(|g| self.expr(g));
                values.iter().for_each(|v| self.expr(v));
                match cycle_key(group.as_ref(), key) {
                    Some(key) => {
                        self.cycles.insert(key);
                    }
                    None => self.any_cycle = true,
                }
            }
            Node::Render(p) => {
                // The rendered file has a scope of its own; only the arguments are read here.
                self.expr(&p.name);
                if let Some((_, e)) = &p.bound {
                    self.expr(e);
                }
                p.kwargs.iter().for_each(|(_, e)| self.expr(e));
            }
            Node::Include(_) | Node::ThemeCall(_) | Node::Form(..) | Node::Paginate(_) => {
                self.observer = true;
            }
        }
    }
}

/// The lowering's model of the scope's counters and cycles, while it is exact.
#[derive(Default)]
pub struct Folding {
    /// Off for files that may be included (they share their includer's scope) and once
    /// anything may have read or changed the scope behind the lowering's back.
    enabled: bool,
    counters: BTreeMap<String, i64>,
    cycles: BTreeMap<CycleKey, usize>,
    /// Left to the runtime (their state has been written into the scope).
    dynamic_counters: HashSet<String>,
    dynamic_cycles: HashSet<CycleKey>,
    all_cycles_dynamic: bool,
}

impl Folding {
    pub fn new(enabled: bool) -> Folding {
        Folding {
            enabled,
            ..Folding::default()
        }
    }

    /// The value an `increment` (or `decrement`) of `name` prints here, if it is known.
    pub fn counter(&mut self, name: &str, increment: bool) -> Option<i64> {
        if !self.enabled || self.dynamic_counters.contains(name) {
            return None;
        }
        let counter = self.counters.entry(name.to_string()).or_insert(0);
        if increment {
            *counter += 1;
            Some(*counter - 1)
        } else {
            *counter -= 1;
            Some(*counter)
        }
    }

    /// Which of `len` values a cycle of `key` prints here (`len` or more prints nothing), if
    /// it is known. Follows the runtime's rule, also for groups whose length changes.
    pub fn cycle(&mut self, key: Option<CycleKey>, len: usize) -> Option<usize> {
        let key = key?;
        if !self.enabled || self.all_cycles_dynamic || self.dynamic_cycles.contains(&key) {
            return None;
        }
        let slot = self.cycles.entry(key).or_insert(0);
        let index = *slot;
        *slot = if index + 1 >= len { 0 } else { index + 1 };
        Some(index)
    }

    /// Called before lowering `node` in the straight-line part of the file: hands whatever
    /// `node` may see or change over to the runtime, returning the state to write into the
    /// scope (if any).
    pub fn before(&mut self, node: &Node) -> Option<Handover> {
        if !self.enabled {
            return None;
        }
        match node {
            // Folded themselves (or already the runtime's).
            Node::Increment(..) | Node::Decrement(..) => return None,
            Node::Cycle { group, key, .. } if cycle_key(group.as_ref(), key).is_some() => {
                return None;
            }
            _ => {}
        }
        let mut touch = Touch::default();
        touch.node(node);
        if touch.observer {
            self.enabled = false;
            let counters = std::mem::take(&mut self.counters);
            let cycles = std::mem::take(&mut self.cycles);
            return handover(counters, cycles);
        }
        let mut counters = BTreeMap::new();
        for name in touch.counters.iter().chain(touch.reads.iter()) {
            if let Some(value) = self.counters.remove(name) {
                counters.insert(name.clone(), value);
            }
        }
        self.dynamic_counters.extend(touch.counters);
        let mut cycles = BTreeMap::new();
        if touch.any_cycle {
            self.all_cycles_dynamic = true;
            cycles = std::mem::take(&mut self.cycles);
        } else {
            for key in &touch.cycles {
                if let Some(index) = self.cycles.remove(key) {
                    cycles.insert(key.clone(), index);
                }
            }
            self.dynamic_cycles.extend(touch.cycles);
        }
        // A counter whose name is read is the runtime's from now on too.
        for name in counters.keys() {
            self.dynamic_counters.insert(name.clone());
        }
        handover(counters, cycles)
    }
}

/// Folded state handed over to the runtime: counters by name, cycle positions by group. The
/// lowering writes it into the scope with one `restore` call.
#[derive(Default)]
pub struct Handover {
    pub counters: BTreeMap<String, i64>,
    pub cycles: BTreeMap<CycleKey, usize>,
}

fn handover(
    counters: BTreeMap<String, i64>,
    cycles: BTreeMap<CycleKey, usize>,
) -> Option<Handover> {
    (!counters.is_empty() || !cycles.is_empty()).then_some(Handover { counters, cycles })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Arc;

    use super::super::{LiquidTemplate, Snippets};

    /// Renders `source` as a top-level file (folded) and through an `include` (never
    /// folded): both must give `expected`.
    fn check(source: &str, snippets: &[(&str, &str)], expected: &str) {
        let mut map: HashMap<String, String> = snippets
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        map.insert("whole".into(), source.into());
        let snippets = Snippets::Map(Arc::new(map));
        for (name, text) in [("t.liquid", source), ("i.liquid", "{% include 'whole' %}")] {
            let template = LiquidTemplate::new(name, text, snippets.clone()).unwrap();
            let out = template.render(minijinja::Value::from(())).unwrap();
            assert_eq!(out, expected, "{name}: {source}");
        }
    }

    #[test]
    fn counters_fold_and_hand_over_to_reads_and_branches() {
        check("{% increment i %}{% increment i %}{{ i }}", &[], "012");
        check(
            "{% decrement i %}{% if true %}{% increment i %}{% endif %}{% increment i %}",
            &[],
            "-1-10",
        );
        check(
            "{% increment i %}{% for x in (1..2) %}{{ i }}{% endfor %}{% increment i %}",
            &[],
            "0111",
        );
        check("{% increment i %}{{ ['i'] }}", &[], "01");
        check("{% assign i = 5 %}{% increment i %}{{ i }}", &[], "05");
    }

    #[test]
    fn cycles_fold_and_hand_over_to_includes_and_loops() {
        check(
            "{% cycle 'a', 'b' %}{% cycle 'a', 'b' %}{% include 'x' %}{% cycle 'a', 'b' %}",
            &[("x", "{% cycle 'a', 'b' %}")],
            "abab",
        );
        check(
            "{% cycle 'a', 'b' %}{% for i in (1..3) %}{% cycle 'a', 'b' %}{% endfor %}",
            &[],
            "abab",
        );
        // A named group shared by cycles of different lengths.
        check(
            "{% cycle 'g': 'a', 'b', 'c' %}{% cycle 'g': 'a', 'b', 'c' %}\
             {% cycle 'g': 'x', 'y' %}{% cycle 'g': 'x', 'y' %}",
            &[],
            "abx",
        );
        check("{% cycle 1, 2.5 %}{% cycle 1, 2.5 %}", &[], "12.5");
    }

    #[test]
    fn a_rendered_file_has_counters_of_its_own() {
        check(
            "{% increment i %}{% render 'x' %}{% increment i %}",
            &[("x", "{% increment i %}")],
            "001",
        );
    }
}
