//! Section rendering speed: the real `main-cart-items` section for a 10-line cart through
//! `Theme::render_section`, against minijinja rendering the same compiled sources with the same
//! context value and nothing else. The section calls snippets, so the bare environments get the
//! simplest possible `render`: render the snippet with its arguments merged over the section's
//! context. The difference is the renderer's own overhead (section lookup, scope objects, snippet
//! isolation and memoization, wrapper markup), which must stay within 1.4x. That comparison
//! runs with reuse of snippet output across requests switched off (every line rendered, as on
//! a cart's first render); the warm numbers, where unchanged lines are reused, are shown beside.
//!
//! `cargo bench --bench render` prints criterion's numbers, then a direct comparison and ratio.

// The bench uses only the catalog and cart builders of the tests' helpers.
#[allow(dead_code)]
#[path = "../tests/suite/theme_support.rs"]
mod support;

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::Criterion;
use minijinja::{Environment, Value};
use serde_json::json;
use vitrine::theme::{PageContext, Theme, configure_environment, register_filters};

const SECTION: &str = "template--cart__items";
const SECTION_FILE: &str = "sections/main-cart-items.html";
const BUNDLE: [&str; 4] = [
    "template--cart__items",
    "cart-icon-bubble",
    "cart-live-region-text",
    "template--cart__footer",
];
const LIMIT: f64 = 1.4;

struct Setup {
    theme: Theme,
    ctx: PageContext,
    /// The exact root value `render_section` builds for the section.
    section_ctx: Value,
    /// minijinja with the theme's filters and settings (formatter, leniency, whitespace).
    configured: Environment<'static>,
    /// minijinja::Environment::new() plus the filters the template calls, nothing more.
    plain: Environment<'static>,
}

fn setup() -> Setup {
    let theme = Theme::load(&support::repo_dir(), support::catalog(), false).expect("theme loads");
    let cart = support::cart_value(&support::cart_json(
        10,
        Some("Leave it at the door"),
        json!({"Gift message": "Happy birthday", "_hidden": "x"}),
    ));
    let ctx = theme.context(&support::request("/cart"), cart);
    let section_ctx = theme
        .section_context(&ctx, SECTION)
        .expect("cart items in the cart context");
    let mut configured = Environment::new();
    configure_environment(&mut configured);
    add_sources(&mut configured, &theme, &section_ctx);
    let mut plain = Environment::new();
    register_filters(&mut plain);
    add_sources(&mut plain, &theme, &section_ctx);
    Setup {
        theme,
        ctx,
        section_ctx,
        configured,
        plain,
    }
}

/// The section and every snippet, plus a plain `render` that gives a snippet its arguments over
/// the section's context (no isolation, no memo).
fn add_sources(env: &mut Environment<'static>, theme: &Theme, section_ctx: &Value) {
    let mut files = vec![SECTION_FILE.to_string()];
    let snippets = support::repo_dir().join("templates").join("snippets");
    for entry in std::fs::read_dir(snippets).expect("snippets dir").flatten() {
        if let Some(name) = entry.file_name().to_str() {
            files.push(format!("templates/snippets/{name}"));
        }
    }
    for file in files {
        let source = theme.template_source(&file).expect("theme source");
        env.add_template_owned(file, source).expect("compiles");
    }
    let outer = section_ctx.clone();
    env.add_function(
        "render",
        move |state: &minijinja::State, name: &str, args: minijinja::value::Kwargs| {
            let ctx = minijinja::value::merge_maps([Value::from(args), outer.clone()]);
            state
                .env()
                .get_template(&format!("templates/snippets/{name}.html"))?
                .render(ctx)
                .map(Value::from_safe_string)
        },
    );
}

/// As a request does: a fresh page context (so nothing memoized on the page carries over), then
/// the section.
fn via_theme(s: &Setup) -> String {
    let ctx = s.theme.context(
        &support::request("/cart"),
        s.ctx.value().get_attr("cart").unwrap_or_default(),
    );
    s.theme
        .render_section(&ctx, SECTION)
        .expect("renders")
        .expect("known section")
}

fn bare(env: &Environment<'static>, s: &Setup) -> String {
    env.get_template(SECTION_FILE)
        .and_then(|t| t.render(s.section_ctx.clone()))
        .expect("renders")
}

fn benches(c: &mut Criterion, s: &Setup) {
    let mut group = c.benchmark_group("cart-items-10-lines");
    s.theme.set_fragment_reuse(false);
    group.bench_function("theme.render_section (cold: reuse off)", |b| {
        b.iter(|| black_box(via_theme(s)))
    });
    s.theme.set_fragment_reuse(true);
    group.bench_function("theme.render_section (warm: lines reused)", |b| {
        b.iter(|| black_box(via_theme(s)))
    });
    group.bench_function("bare minijinja (theme config)", |b| {
        b.iter(|| black_box(bare(&s.configured, s)))
    });
    group.bench_function("bare minijinja (Environment::new + filters)", |b| {
        b.iter(|| black_box(bare(&s.plain, s)))
    });
    group.finish();
    c.bench_function(
        "four bundled cart sections, 10 lines (incl. context)",
        |b| {
            b.iter(|| {
                let ctx = s.theme.context(
                    &support::request("/cart"),
                    s.ctx.value().get_attr("cart").unwrap_or_default(),
                );
                for id in BUNDLE {
                    black_box(s.theme.render_section(&ctx, id).ok());
                }
            })
        },
    );
    c.bench_function("cart-drawer (render('cart-line') x10, warm)", |b| {
        b.iter(|| {
            let ctx = s.theme.context(
                &support::request("/cart"),
                s.ctx.value().get_attr("cart").unwrap_or_default(),
            );
            black_box(s.theme.render_section(&ctx, "cart-drawer").ok())
        })
    });
}

/// Mean time per call of `n` calls.
fn mean(n: u32, mut f: impl FnMut()) -> Duration {
    let started = Instant::now();
    for _ in 0..n {
        f();
    }
    started.elapsed() / n
}

/// Best mean of each contender over interleaved rounds: the machine's noise (other processes,
/// frequency changes) hits all of them alike instead of whichever happened to run last.
fn compare(s: &Setup) -> f64 {
    s.theme.set_fragment_reuse(true);
    let warm = mean(2000, || {
        black_box(via_theme(s));
    });
    s.theme.set_fragment_reuse(false);
    for _ in 0..500 {
        black_box(via_theme(s));
        black_box(bare(&s.configured, s));
    }
    let (mut theme, mut configured, mut plain) = (Duration::MAX, Duration::MAX, Duration::MAX);
    for _ in 0..25 {
        theme = theme.min(mean(400, || {
            black_box(via_theme(s));
        }));
        configured = configured.min(mean(400, || {
            black_box(bare(&s.configured, s));
        }));
        plain = plain.min(mean(400, || {
            black_box(bare(&s.plain, s));
        }));
    }
    let ratio = theme.as_secs_f64() / configured.as_secs_f64();
    println!();
    println!(
        "main-cart-items, 10-line cart, {} bytes of HTML (best of 25 interleaved rounds)",
        via_theme(s).len()
    );
    println!("  Theme::render_section, warm    {warm:>10.2?} (unchanged lines reused)");
    println!("  Theme::render_section, cold    {theme:>10.2?} (reuse off)");
    println!("  bare minijinja, theme config   {configured:>10.2?}");
    println!("  bare minijinja, default config {plain:>10.2?}");
    println!("  renderer overhead ratio        {ratio:>10.3} (limit {LIMIT})");
    ratio
}

fn main() {
    let s = setup();
    assert_eq!(
        via_theme(&s).len(),
        bare(&s.configured, &s).len()
            + "<div id=\"shopify-section-template--cart__items\" class=\"shopify-section section-main-cart-items\"></div>".len(),
        "the theme renders the same template plus its wrapper"
    );
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    benches(&mut c, &s);
    c.final_summary();
    // Only a real `cargo bench` run measures optimized code; `cargo test --benches` runs once.
    if std::env::args().any(|a| a == "--bench") {
        let ratio = compare(&s);
        if ratio > LIMIT {
            eprintln!("renderer overhead {ratio:.3} exceeds {LIMIT}");
            std::process::exit(1);
        }
    }
}
