//! `vitrine render TEMPLATE --data FILE.json [--snippets DIR] [--repeat N]`: renders one
//! template with the JSON as its globals and writes exactly the output to stdout. A `.liquid`
//! file goes through the Liquid front end (`render`/`include` names are `DIR/NAME.liquid`);
//! anything else is our own `.html` dialect, compiled with the theme's environment settings and
//! filters (`{% include "x.html" %}` reads `DIR/x.html`).
//!
//! With `--repeat N` the template is parsed once and rendered N times, and stderr gets the
//! median, p90 and minimum time of one render.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Args;
use minijinja::Value;

use super::{LiquidError, LiquidTemplate, Mode, Snippets};

#[derive(Args, Debug, Clone)]
pub struct RenderArgs {
    /// The template file (`.liquid`, or `.html` for vitrine's own dialect).
    pub template: PathBuf,
    /// A JSON file whose top-level object becomes the template's globals.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Where `render 'x'` and `include 'x'` find `x.liquid`.
    #[arg(long)]
    pub snippets: Option<PathBuf>,
    /// Render this many times (parsing once) and report timings on stderr.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub repeat: u32,
    /// Print the minijinja source a `.liquid` template is lowered to, instead of rendering it
    /// (for working on the Liquid front end).
    #[arg(long)]
    pub lowered: bool,
    /// Read markup the strict parser refuses as Ruby Liquid's lax parser does (as a theme is
    /// read), with a warning on stderr for each place.
    #[arg(long)]
    pub lax: bool,
}

/// Something that renders the same template again and again.
trait Renderer {
    fn render_once(&self, globals: &Value) -> Result<String, String>;
}

struct Liquid(LiquidTemplate);

impl Renderer for Liquid {
    fn render_once(&self, globals: &Value) -> Result<String, String> {
        self.0.render(globals.clone()).map_err(|e| e.to_string())
    }
}

/// The `.html` dialect: the theme's environment settings and filters.
struct Html {
    env: minijinja::Environment<'static>,
    name: String,
}

impl Renderer for Html {
    fn render_once(&self, globals: &Value) -> Result<String, String> {
        let template = self
            .env
            .get_template(&self.name)
            .map_err(|e| describe_minijinja(&e, &self.name))?;
        template
            .render(globals.clone())
            .map_err(|e| describe_minijinja(&e, &self.name))
    }
}

fn describe_minijinja(err: &minijinja::Error, fallback: &str) -> String {
    super::render_error(err, fallback).to_string()
}

fn html_renderer(path: &Path, source: String, snippets: Option<PathBuf>) -> Result<Html, String> {
    let mut env = minijinja::Environment::new();
    crate::theme::objects::filters::configure_environment(&mut env);
    if let Some(dir) = snippets {
        env.set_loader(move |name| {
            if name.contains("..") || name.starts_with('/') {
                return Ok(None);
            }
            Ok(std::fs::read_to_string(dir.join(name)).ok())
        });
    }
    let name = path.display().to_string();
    env.add_template_owned(name.clone(), source)
        .map_err(|e| describe_minijinja(&e, &name))?;
    Ok(Html { env, name })
}

fn read_globals(data: Option<&Path>) -> Result<Value, String> {
    let Some(path) = data else {
        return Ok(Value::from(
            std::collections::BTreeMap::<String, Value>::new(),
        ));
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    let json: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| format!("{}:{}: invalid JSON: {e}", path.display(), e.line()))?;
    if !json.is_object() {
        return Err(format!(
            "{}: the data must be a JSON object",
            path.display()
        ));
    }
    Ok(Value::from(minijinja::value::Serde(&json)))
}

fn build(args: &RenderArgs) -> Result<Box<dyn Renderer>, String> {
    let source = std::fs::read_to_string(&args.template)
        .map_err(|e| format!("{}: cannot read: {e}", args.template.display()))?;
    let is_liquid = args.template.extension().is_some_and(|ext| ext == "liquid");
    if is_liquid {
        let snippets = match &args.snippets {
            Some(dir) => Snippets::Dir(dir.clone()),
            None => Snippets::None,
        };
        let name = args.template.display().to_string();
        let mode = if args.lax { Mode::Lax } else { Mode::Strict };
        let template = LiquidTemplate::with_mode(&name, &source, snippets, mode)
            .map_err(|e: LiquidError| e.to_string())?;
        if args.lax {
            for warning in super::lax_warnings(&name, &source) {
                eprintln!(
                    "{}:{}: warning: {}",
                    warning.file, warning.line, warning.message
                );
            }
        }
        Ok(Box::new(Liquid(template)))
    } else {
        Ok(Box::new(html_renderer(
            &args.template,
            source,
            args.snippets.clone(),
        )?))
    }
}

/// Runs the command; the exit code is 0 on success and 1 on any error.
pub fn run(args: &RenderArgs) -> ExitCode {
    match run_inner(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}

fn run_inner(args: &RenderArgs) -> Result<(), String> {
    if args.lowered {
        return print_lowered(&args.template);
    }
    let globals = read_globals(args.data.as_deref())?;
    let renderer = build(args)?;
    let mut output = String::new();
    let mut times = Vec::with_capacity(args.repeat as usize);
    for _ in 0..args.repeat {
        let start = Instant::now();
        output = renderer.render_once(&globals)?;
        times.push(start.elapsed());
    }
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(output.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(|e| format!("cannot write the output: {e}"))?;
    if args.repeat > 1 {
        eprintln!("{}", timing_summary(&mut times));
    }
    Ok(())
}

fn print_lowered(template: &Path) -> Result<(), String> {
    let source = std::fs::read_to_string(template)
        .map_err(|e| format!("{}: cannot read: {e}", template.display()))?;
    let lowered =
        super::compile(&template.display().to_string(), &source).map_err(|e| e.to_string())?;
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(lowered.source.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(|e| format!("cannot write the output: {e}"))
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// `median X µs, p90 Y µs, min Z µs over N renders`.
pub fn timing_summary(times: &mut [Duration]) -> String {
    times.sort();
    let n = times.len();
    if n == 0 {
        return "no renders".into();
    }
    let median = times[n / 2];
    let p90 = times[((n * 9) / 10).min(n - 1)];
    format!(
        "median {:.1} µs, p90 {:.1} µs, min {:.1} µs over {n} renders",
        micros(median),
        micros(p90),
        micros(times[0])
    )
}
