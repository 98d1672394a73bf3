//! The layers of `src/`, checked: every `use` (and every `crate::`/`super::` path in code) must
//! point to the module's own layer or one below it, sibling groups of a layer must not import
//! each other, and no two modules may import each other, directly or through others. The layer
//! list is read from `docs/architecture.md`, so the document and the code cannot drift apart.
//! Test code (`#[cfg(test)]` modules) is left out: a unit test may build the whole app.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use syn::visit::Visit;

type Module = Vec<String>;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// One layer: its name and its sibling groups, each a list of module paths.
struct Layer {
    name: String,
    groups: Vec<Vec<Module>>,
}

/// The lines of the fenced block after `<!-- layers -->` in docs/architecture.md, from the
/// top layer down: `name: a, b | c::d` (`|` separates siblings that must not import each
/// other).
fn layers() -> Vec<Layer> {
    let doc = std::fs::read_to_string(root().join("docs/architecture.md"))
        .expect("docs/architecture.md exists");
    let (_, after) = doc
        .split_once("<!-- layers -->")
        .expect("docs/architecture.md marks its layer list with <!-- layers -->");
    let block = after
        .split("```")
        .nth(1)
        .expect("the layer list is a fenced block");
    block
        .lines()
        .skip(1)
        .filter_map(|line| line.split_once(':').map(|(n, m)| (n.trim(), m)))
        .filter(|(name, _)| !name.is_empty())
        .map(|(name, modules)| Layer {
            name: name.to_string(),
            groups: modules
                .split('|')
                .map(|group| {
                    group
                        .split(',')
                        .map(str::trim)
                        .filter(|m| !m.is_empty())
                        .map(|m| m.split("::").map(str::to_string).collect())
                        .collect()
                })
                .collect(),
        })
        .collect()
}

/// Every module file under `src/` (the library; `main.rs` is the binary on top of it).
fn modules() -> BTreeMap<Module, PathBuf> {
    let mut out = BTreeMap::new();
    let src = root().join("src");
    let mut stack = vec![src.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("src is readable").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let relative = path.strip_prefix(&src).expect("under src");
            let mut module: Module = relative
                .with_extension("")
                .iter()
                .map(|p| p.to_string_lossy().into_owned())
                .collect();
            match module.last().map(String::as_str) {
                Some("main") if module.len() == 1 => continue,
                // A file of unit tests (`#[cfg(test)] mod tests;`).
                Some("tests") => continue,
                Some("lib") if module.len() == 1 => module.clear(),
                Some("mod") => {
                    module.pop();
                }
                _ => {}
            }
            out.insert(module, path);
        }
    }
    out
}

/// Collects the module paths a file names, outside its test modules.
struct Paths {
    found: Vec<Vec<String>>,
}

fn is_cfg_test(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|attr| {
        attr.path().is_ident("cfg")
            && attr
                .parse_args::<syn::Meta>()
                .is_ok_and(|meta| meta.path().is_ident("test"))
    })
}

fn use_paths(tree: &syn::UseTree, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    match tree {
        syn::UseTree::Path(path) => {
            prefix.push(path.ident.to_string());
            use_paths(&path.tree, prefix, out);
            prefix.pop();
        }
        syn::UseTree::Name(name) => {
            let mut full = prefix.clone();
            full.push(name.ident.to_string());
            out.push(full);
        }
        syn::UseTree::Rename(rename) => {
            let mut full = prefix.clone();
            full.push(rename.ident.to_string());
            out.push(full);
        }
        syn::UseTree::Glob(_) => out.push(prefix.clone()),
        syn::UseTree::Group(group) => {
            for tree in &group.items {
                use_paths(tree, prefix, out);
            }
        }
    }
}

impl<'ast> Visit<'ast> for Paths {
    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        if !is_cfg_test(&item.attrs) {
            syn::visit::visit_item_mod(self, item);
        }
    }
    fn visit_item_fn(&mut self, item: &'ast syn::ItemFn) {
        if !is_cfg_test(&item.attrs) {
            syn::visit::visit_item_fn(self, item);
        }
    }
    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        if !is_cfg_test(&item.attrs) {
            use_paths(&item.tree, &mut Vec::new(), &mut self.found);
        }
    }
    // `pub(crate)` names no module.
    fn visit_visibility(&mut self, _: &'ast syn::Visibility) {}
    fn visit_path(&mut self, path: &'ast syn::Path) {
        let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        // Paths of one segment name no module; the rest may (resolved against the file).
        if segments.len() > 1 {
            self.found.push(segments);
        }
        syn::visit::visit_path(self, path);
    }
}

/// The module a path names: relative paths resolved against `from`, then the longest prefix
/// that is a module file.
fn resolve(from: &Module, path: &[String], known: &BTreeMap<Module, PathBuf>) -> Option<Module> {
    let mut absolute: Module = Vec::new();
    let mut rest = path;
    match path.first().map(String::as_str) {
        Some("crate") => rest = &path[1..],
        Some("self") | Some("super") => {
            absolute = from.clone();
            // In `a/b.rs` (module a::b) `super` is `a`; in `a/mod.rs` (module a) it is the root.
            while let Some(first) = rest.first() {
                match first.as_str() {
                    "self" => rest = &rest[1..],
                    "super" => {
                        absolute.pop();
                        rest = &rest[1..];
                    }
                    _ => break,
                }
            }
        }
        // `child::item` from a module that has such a child (`use child::x`, `child::f()`).
        Some(first) if known.contains_key(&[from.as_slice(), &[first.to_string()]].concat()) => {
            absolute = from.clone();
        }
        _ => return None,
    }
    absolute.extend(rest.iter().cloned());
    (0..=absolute.len())
        .rev()
        .map(|n| absolute[..n].to_vec())
        .find(|candidate| known.contains_key(candidate))
}

fn imports(known: &BTreeMap<Module, PathBuf>) -> BTreeMap<Module, BTreeSet<Module>> {
    let mut edges = BTreeMap::new();
    for (module, path) in known {
        let text = std::fs::read_to_string(path).expect("readable source");
        let file = syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut paths = Paths { found: Vec::new() };
        paths.visit_file(&file);
        let targets: BTreeSet<Module> = paths
            .found
            .iter()
            .filter_map(|p| resolve(module, p, known))
            .filter(|target| target != module)
            .collect();
        edges.insert(module.clone(), targets);
    }
    edges
}

fn name(module: &Module) -> String {
    if module.is_empty() {
        "lib".into()
    } else {
        module.join("::")
    }
}

/// The (layer index, group index) of a module: the longest listed prefix wins.
fn place(module: &Module, layers: &[Layer]) -> Option<(usize, usize, usize)> {
    let mut best: Option<(usize, usize, usize)> = None;
    for (l, layer) in layers.iter().enumerate() {
        for (g, group) in layer.groups.iter().enumerate() {
            for listed in group {
                let is_prefix = if listed.len() == 1 && listed[0] == "lib" {
                    module.is_empty()
                } else {
                    module.starts_with(listed)
                };
                if is_prefix && best.is_none_or(|(_, _, len)| listed.len() > len) {
                    best = Some((l, g, listed.len()));
                }
            }
        }
    }
    best
}

#[test]
fn every_import_points_down_the_layers_of_docs_architecture() {
    let layers = layers();
    assert!(layers.len() >= 5, "the layer list was not found");
    let known = modules();
    let edges = imports(&known);
    let mut problems = Vec::new();
    for module in known.keys() {
        if place(module, &layers).is_none() {
            problems.push(format!(
                "{} is in no layer of docs/architecture.md",
                name(module)
            ));
        }
    }
    for (from, targets) in &edges {
        let Some((from_layer, from_group, _)) = place(from, &layers) else {
            continue;
        };
        for to in targets {
            let Some((to_layer, to_group, _)) = place(to, &layers) else {
                continue;
            };
            if to_layer < from_layer {
                problems.push(format!(
                    "{} ({}) imports {} from the layer above it ({})",
                    name(from),
                    layers[from_layer].name,
                    name(to),
                    layers[to_layer].name
                ));
            } else if to_layer == from_layer && to_group != from_group {
                problems.push(format!(
                    "{} imports its sibling {} ({} must not import each other)",
                    name(from),
                    name(to),
                    layers[from_layer].name
                ));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "layering broken:\n{}",
        problems.join("\n")
    );
}

/// Strongly connected components (Tarjan), keeping those of two or more modules.
fn cycles(edges: &BTreeMap<Module, BTreeSet<Module>>) -> Vec<Vec<Module>> {
    struct Walk<'a> {
        edges: &'a BTreeMap<Module, BTreeSet<Module>>,
        index: BTreeMap<&'a Module, usize>,
        low: BTreeMap<&'a Module, usize>,
        stack: Vec<&'a Module>,
        on_stack: BTreeSet<&'a Module>,
        next: usize,
        found: Vec<Vec<Module>>,
    }
    impl<'a> Walk<'a> {
        fn visit(&mut self, module: &'a Module) {
            self.index.insert(module, self.next);
            self.low.insert(module, self.next);
            self.next += 1;
            self.stack.push(module);
            self.on_stack.insert(module);
            let edges = self.edges;
            for to in edges.get(module).into_iter().flatten() {
                if !self.index.contains_key(to) {
                    self.visit(to);
                    let low = self.low[module].min(self.low[to]);
                    self.low.insert(module, low);
                } else if self.on_stack.contains(to) {
                    let low = self.low[module].min(self.index[to]);
                    self.low.insert(module, low);
                }
            }
            if self.low[module] == self.index[module] {
                let mut component = Vec::new();
                while let Some(top) = self.stack.pop() {
                    self.on_stack.remove(top);
                    component.push(top.clone());
                    if top == module {
                        break;
                    }
                }
                if component.len() > 1 {
                    self.found.push(component);
                }
            }
        }
    }
    let mut walk = Walk {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        next: 0,
        found: Vec::new(),
    };
    for module in edges.keys() {
        if !walk.index.contains_key(module) {
            walk.visit(module);
        }
    }
    walk.found
}

/// A directory module and its files are one unit: `mod.rs` may use its own children (it is
/// their facade) while they use what it defines. Every other pair of modules must not import
/// each other, directly or through others.
fn without_edges_to_descendants(
    edges: BTreeMap<Module, BTreeSet<Module>>,
) -> BTreeMap<Module, BTreeSet<Module>> {
    edges
        .into_iter()
        .map(|(from, targets)| {
            let targets = targets
                .into_iter()
                .filter(|to| !(to.len() > from.len() && to.starts_with(&from)))
                .collect();
            (from, targets)
        })
        .collect()
}

#[test]
fn no_two_modules_import_each_other() {
    let known = modules();
    let found = cycles(&without_edges_to_descendants(imports(&known)));
    let described: Vec<String> = found
        .iter()
        .map(|cycle| cycle.iter().map(name).collect::<Vec<_>>().join(" <-> "))
        .collect();
    assert!(
        described.is_empty(),
        "import cycles:\n{}",
        described.join("\n")
    );
}

#[test]
fn the_checker_sees_a_cycle_and_an_upward_import() {
    // The checks themselves, on a made-up graph: a test that cannot fail proves nothing.
    let module = |s: &str| -> Module { s.split("::").map(str::to_string).collect() };
    let mut edges = BTreeMap::new();
    edges.insert(module("a"), BTreeSet::from([module("b")]));
    edges.insert(module("b"), BTreeSet::from([module("c")]));
    edges.insert(module("c"), BTreeSet::from([module("a")]));
    edges.insert(module("d"), BTreeSet::new());
    let found = cycles(&edges);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].len(), 3);
    let layers = vec![
        Layer {
            name: "top".into(),
            groups: vec![vec![module("x")], vec![module("y")]],
        },
        Layer {
            name: "bottom".into(),
            groups: vec![vec![module("z")]],
        },
    ];
    assert_eq!(place(&module("z::inner"), &layers), Some((1, 0, 1)));
    assert_eq!(place(&module("y"), &layers), Some((0, 1, 1)));
    let known: BTreeMap<Module, PathBuf> = [module("x"), module("x::a"), module("y")]
        .into_iter()
        .map(|m| (m, PathBuf::new()))
        .collect();
    assert_eq!(
        resolve(&module("x::a"), &["super".into(), "Thing".into()], &known),
        Some(module("x"))
    );
    assert_eq!(
        resolve(
            &module("x::a"),
            &["crate".into(), "y".into(), "f".into()],
            &known
        ),
        Some(module("y"))
    );
}

/// Finds `.store().mutate(..)` calls outside test modules (a cart transaction opened directly),
/// by the function they are in.
struct DirectMutations {
    function: String,
    found: Vec<String>,
}

impl<'ast> Visit<'ast> for DirectMutations {
    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        if !is_cfg_test(&item.attrs) {
            syn::visit::visit_item_mod(self, item);
        }
    }

    fn visit_item_fn(&mut self, item: &'ast syn::ItemFn) {
        self.function = item.sig.ident.to_string();
        syn::visit::visit_item_fn(self, item);
    }

    fn visit_impl_item_fn(&mut self, item: &'ast syn::ImplItemFn) {
        self.function = item.sig.ident.to_string();
        syn::visit::visit_impl_item_fn(self, item);
    }

    fn visit_expr_method_call(&mut self, call: &'ast syn::ExprMethodCall) {
        if call.method == "mutate"
            && matches!(&*call.receiver, syn::Expr::MethodCall(inner) if inner.method == "store")
        {
            self.found.push(self.function.clone());
        }
        syn::visit::visit_expr_method_call(self, call);
    }
}

/// Every dialect and page changes carts through the storefront core's `cart::run`, which owns
/// the transaction, the catalog it runs against and its timestamp; none opens one itself.
#[test]
fn only_the_storefront_core_opens_cart_transactions() {
    let mut direct = Vec::new();
    for (module, path) in modules() {
        if matches!(
            module.first().map(String::as_str),
            Some("storefront" | "store")
        ) {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("source is readable");
        let file = syn::parse_file(&text).expect("source parses");
        let mut found = DirectMutations {
            function: String::new(),
            found: Vec::new(),
        };
        found.visit_file(&file);
        direct.extend(
            found
                .found
                .into_iter()
                .map(|function| format!("{} in fn {function}", path.display())),
        );
    }
    assert!(
        direct.is_empty(),
        "cart transactions opened outside storefront::cart::run:\n{}",
        direct.join("\n")
    );
}
