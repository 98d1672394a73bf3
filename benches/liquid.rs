//! Liquid rendering speed on golden-liquid's benchmark fixtures
//! (`../shared/thirdparty/golden-liquid/benchmark_fixtures/NNN`, or `$GOLDEN_LIQUID_DIR`):
//! vitrine's Liquid front end (the `vitrine render` code path: parse once, render repeatedly)
//! next to the `liquid` crate (liquid-rust) on the same fixtures. Each output is checked
//! against `expected_result.txt` first (the copyright year normalized); a fixture an engine
//! renders wrongly is reported and not timed for that engine.
//!
//! `cargo bench --bench liquid`; liquidjs on the same fixtures: `node benches/liquidjs/bench.mjs`.

use std::collections::HashMap;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use criterion::Criterion;
use vitrine::theme::engine::liquid::{LiquidTemplate, Snippets};

// The allocator `vitrine` itself runs with (src/main.rs), so the figures are the server's.
// The liquid crate gets the same allocator in the same process.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

struct Fixture {
    name: String,
    index: String,
    partials: HashMap<String, String>,
    data: serde_json::Value,
    expected: String,
}

fn suite_dir() -> Option<PathBuf> {
    let dir = std::env::var("GOLDEN_LIQUID_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/thirdparty/golden-liquid")
        });
    dir.join("benchmark_fixtures").is_dir().then_some(dir)
}

fn load(dir: &Path) -> Vec<Fixture> {
    let mut fixtures = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(dir.join("benchmark_fixtures"))
        .map(|rd| rd.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    entries.sort();
    for path in entries {
        let read = |p: PathBuf| std::fs::read_to_string(p).unwrap_or_default();
        let mut partials = HashMap::new();
        for template in std::fs::read_dir(path.join("templates"))
            .into_iter()
            .flatten()
            .flatten()
        {
            let file = template.file_name().to_string_lossy().to_string();
            partials.insert(file, read(template.path()));
        }
        let Some(index) = partials.get("index.liquid").cloned() else {
            continue;
        };
        fixtures.push(Fixture {
            name: path
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default(),
            index,
            partials,
            data: serde_json::from_str(&read(path.join("data.json"))).unwrap_or_default(),
            expected: read(path.join("expected_result.txt")),
        });
    }
    fixtures
}

/// `&copy; 2025` in the expected files is the year they were made; they also end with a
/// newline the templates do not print.
fn normalize_year(text: &str) -> String {
    let text = text.trim_end();
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("&copy; ") {
        let (head, tail) = rest.split_at(i + "&copy; ".len());
        out.push_str(head);
        if tail.len() >= 4 && tail.as_bytes()[..4].iter().all(u8::is_ascii_digit) {
            out.push_str("YEAR");
            rest = &tail[4..];
        } else {
            rest = tail;
        }
    }
    out.push_str(rest);
    out
}

fn ours(f: &Fixture) -> Result<LiquidTemplate, String> {
    LiquidTemplate::new(
        "index.liquid",
        &f.index,
        Snippets::Map(Arc::new(f.partials.clone())),
    )
    .map_err(|e| e.to_string())
}

fn theirs(f: &Fixture) -> Result<liquid::Template, String> {
    let mut source = liquid::partials::InMemorySource::new();
    for (name, text) in &f.partials {
        source.add(name.clone(), text.clone());
    }
    let parser = liquid::ParserBuilder::with_stdlib()
        .partials(liquid::partials::EagerCompiler::new(source))
        .build()
        .map_err(|e| e.to_string())?;
    parser.parse(&f.index).map_err(|e| e.to_string())
}

fn bench(c: &mut Criterion) {
    let Some(dir) = suite_dir() else {
        eprintln!("SKIPPED: golden-liquid benchmark fixtures not found");
        return;
    };
    let fixtures = load(&dir);
    let mut group = c.benchmark_group("liquid");
    for f in &fixtures {
        let expected = normalize_year(&f.expected);
        let globals = minijinja::Value::from(minijinja::value::Serde(&f.data));
        match ours(f).and_then(|t| {
            t.render(globals.clone())
                .map(|out| (t, out))
                .map_err(|e| e.to_string())
        }) {
            Ok((template, out)) if normalize_year(&out) == expected => {
                group.bench_function(format!("{}/vitrine", f.name), |b| {
                    b.iter(|| black_box(template.render(globals.clone())))
                });
            }
            Ok(_) => eprintln!(
                "fixture {}: vitrine's output differs from expected_result.txt; not timed",
                f.name
            ),
            Err(e) => eprintln!("fixture {}: vitrine: {e}; not timed", f.name),
        }
        let objects = liquid::model::to_object(&f.data);
        match (theirs(f), objects) {
            (Ok(template), Ok(objects)) => match template.render(&objects) {
                Ok(out) if normalize_year(&out) == expected => {
                    group.bench_function(format!("{}/liquid-crate", f.name), |b| {
                        b.iter(|| black_box(template.render(&objects)))
                    });
                }
                Ok(_) => eprintln!(
                    "fixture {}: the liquid crate's output differs from expected_result.txt; not timed",
                    f.name
                ),
                Err(e) => eprintln!("fixture {}: the liquid crate: {e}; not timed", f.name),
            },
            (Err(e), _) => eprintln!("fixture {}: the liquid crate cannot parse it: {e}", f.name),
            (_, Err(e)) => eprintln!(
                "fixture {}: the liquid crate cannot take the data: {e}",
                f.name
            ),
        }
    }
    group.finish();
}

fn main() {
    let mut criterion = Criterion::default()
        .warm_up_time(std::time::Duration::from_secs(1))
        .measurement_time(std::time::Duration::from_secs(3))
        .configure_from_args();
    bench(&mut criterion);
    criterion.final_summary();
}
