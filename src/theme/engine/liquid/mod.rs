//! The Liquid front end: Liquid source is read by our own lexer and parser and lowered onto
//! minijinja, so `.liquid` and `.html` files share one engine. See `docs/liquid.md`.
//!
//! # Using it (the theme loader's view)
//!
//! ```text
//! let mut env = minijinja::Environment::new();
//! liquid::configure(&mut env);          // formatter, no autoescape, chainable undefined,
//!                                       // loop controls, fuel, runtime helpers, filters
//! // + the theme's own filters/functions (money, t, asset_url, ...) under their own names
//! env.set_loader(move |name| {          // `render 'x'` / `include 'x'` ask for "x"
//!     let source = read_snippet(name)?; // however the theme finds snippets/x.liquid
//!     liquid::load(name, &source)       // Liquid -> minijinja source, errors keep file:line
//! });
//! let lowered = liquid::compile("sections/main.liquid", &source)?;   // Result<_, LiquidError>
//! env.add_template_owned(lowered.name.clone(), lowered.source)?;
//! let out = liquid::render(&env, "sections/main.liquid", globals, Limits::default())
//!     .map_err(|e| e /* LiquidError: file, line, message */)?;
//! ```
//!
//! `globals` is a minijinja [`Value`] (a map): visible in the template and in every file it
//! `render`s (Shopify's global objects); `assign`s are not. Errors at parse time and at render
//! time are [`LiquidError`]s naming the Liquid file and line, never generated code.
//!
//! Liquid templates need an environment of their own settings (no `trim_blocks`, no HTML
//! autoescape, Liquid's formatter); they can share every filter, function and object with the
//! `.html` environment. [`LiquidTemplate`] bundles all of this for one template and a snippet
//! directory (what `vitrine render` and the conformance test use).

pub mod cli;
pub mod error;
pub mod expr;
pub mod filters;
mod fold;
pub mod lax;
pub mod lexer;
mod locals;
#[cfg(test)]
mod loop_tests;
pub mod lower;
pub mod parser;
#[cfg(test)]
mod props;
pub mod runtime;
pub mod theme_tags;
pub mod undefined;
pub mod value;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use minijinja::{AutoEscape, Environment, UndefinedBehavior, Value};

pub use error::LiquidError;
pub use parser::Mode;
pub use runtime::Limits;

/// A Liquid template lowered to minijinja source. The source keeps the Liquid line numbers.
#[derive(Debug, Clone)]
pub struct Lowered {
    pub name: String,
    pub source: String,
}

/// Parses `source` (named `name` in errors) strictly and lowers it.
pub fn compile(name: &str, source: &str) -> Result<Lowered, LiquidError> {
    compile_with(name, source, None, Mode::Strict)
}

/// The filter names a theme's environment knows: a filter outside them passes its input
/// through, as on Shopify (`vitrine check` names it).
pub type KnownFilters = fn(&str) -> bool;

/// [`compile`] with a theme's known filters (unknown filters pass their input through) and a
/// parsing mode (themes parse in [`Mode::Lax`], as Shopify storefronts render them).
pub fn compile_with(
    name: &str,
    source: &str,
    known: Option<KnownFilters>,
    mode: Mode,
) -> Result<Lowered, LiquidError> {
    lowered(name, source, known, true, mode)
}

/// `top_level`: the file is rendered on its own, never included (snippets are loaded with
/// `false`), so the lowering may keep its variables in minijinja's frames.
fn lowered(
    name: &str,
    source: &str,
    known: Option<KnownFilters>,
    top_level: bool,
    mode: Mode,
) -> Result<Lowered, LiquidError> {
    let tokens = lexer::tokenize(name, source)?;
    let (mut nodes, _) = parser::parse_with(name, tokens, mode)?;
    parser::strip_blank_bodies(&mut nodes);
    let source = lower::lower(name, &nodes, known, top_level)?;
    Ok(Lowered {
        name: name.to_string(),
        source,
    })
}

/// The places of a file that only Ruby Liquid's lax parser reads, for `vitrine check`: what
/// the strict parser said about each. A file that fails to parse even in lax mode gives none
/// (its error is reported on its own).
pub fn lax_warnings(name: &str, source: &str) -> Vec<LiquidError> {
    lexer::tokenize(name, source)
        .and_then(|tokens| parser::parse_with(name, tokens, Mode::Lax))
        .map(|(_, warnings)| warnings)
        .unwrap_or_default()
}

/// The filters a template uses, by name and line (for `vitrine check`): every identifier
/// after a `|` in outputs and tags. A template that does not lex gives none (its error is
/// reported on its own).
pub fn used_filters(name: &str, source: &str) -> Vec<(String, u32)> {
    let Ok(tokens) = lexer::tokenize(name, source) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for token in tokens {
        let (markup, line) = match token {
            lexer::Token::Output { markup, line } | lexer::Token::Tag { markup, line, .. } => {
                (markup, line)
            }
            lexer::Token::Text { .. } => continue,
        };
        // A `liquid` tag holds one tag per line.
        for (offset, text) in markup.split('\n').enumerate() {
            let Ok(toks) = expr::lex(text) else { continue };
            for pair in toks.windows(2) {
                if let [expr::Tok::Pipe, expr::Tok::Ident(filter)] = pair {
                    let line = line + u32::try_from(offset).unwrap_or(0);
                    out.push((filter.clone(), line));
                }
            }
        }
    }
    out
}

/// What a Liquid file names by a literal string: a file it needs or a translation key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reference {
    /// `render 'x'` / `include 'x'`: `snippets/x.liquid`.
    Snippet(String),
    /// `section 'x'`: `sections/x.liquid`.
    Section(String),
    /// `sections 'x'`: `sections/x.json`.
    SectionGroup(String),
    /// `content_for 'block', type: 'x'`: `blocks/x.liquid`.
    Block(String),
    /// `'x.y' | t`: a key of the default locale.
    Translation(String),
    /// `content_for 'block', type: 'x', name: v`: a variable a theme block may be given.
    BlockArgument(String),
}

/// The literal references of a Liquid file, with their lines, for `vitrine check`. Names held
/// in variables are not followed; comments are skipped.
pub fn references(name: &str, source: &str) -> Vec<(Reference, u32)> {
    let Ok(tokens) = lexer::tokenize(name, source) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut in_comment = 0u32;
    for token in tokens {
        let (lines, line): (Vec<(String, String)>, u32) = match token {
            lexer::Token::Text { .. } => continue,
            lexer::Token::Output { markup, line } => (vec![(String::new(), markup)], line),
            lexer::Token::Tag { name, markup, line } if name == "liquid" => {
                // One tag per line: its first word is the tag's name.
                let lines = markup
                    .split('\n')
                    .map(|l| {
                        let l = l.trim();
                        let (tag, rest) = l.split_once(char::is_whitespace).unwrap_or((l, ""));
                        (tag.to_owned(), rest.to_owned())
                    })
                    .collect();
                (lines, line)
            }
            lexer::Token::Tag { name, markup, line } => (vec![(name, markup)], line),
        };
        for (offset, (tag, markup)) in lines.into_iter().enumerate() {
            match tag.as_str() {
                "comment" => in_comment += 1,
                "endcomment" => in_comment = in_comment.saturating_sub(1),
                _ => {}
            }
            if in_comment > 0 || tag == "#" {
                continue;
            }
            let line = line + u32::try_from(offset).unwrap_or(0);
            let Ok(toks) = expr::lex(&markup) else {
                continue;
            };
            let first = match toks.first() {
                Some(expr::Tok::Str(s)) => Some(s.clone()),
                _ => None,
            };
            let named = match (tag.as_str(), first) {
                ("render" | "include", Some(s)) => Some(Reference::Snippet(s)),
                ("section", Some(s)) => Some(Reference::Section(s)),
                ("sections", Some(s)) => Some(Reference::SectionGroup(s)),
                ("content_for", Some(s)) if s == "block" => toks.windows(3).find_map(|w| match w {
                    [expr::Tok::Ident(k), expr::Tok::Colon, expr::Tok::Str(kind)]
                        if k == "type" =>
                    {
                        Some(Reference::Block(kind.clone()))
                    }
                    _ => None,
                }),
                _ => None,
            };
            out.extend(named.map(|r| (r, line)));
            if tag == "content_for" {
                for w in toks.windows(3) {
                    if let [expr::Tok::Comma, expr::Tok::Ident(key), expr::Tok::Colon] = w
                        && key != "type"
                        && key != "id"
                    {
                        out.push((Reference::BlockArgument(key.clone()), line));
                    }
                }
            }
            for w in toks.windows(3) {
                if let [expr::Tok::Str(key), expr::Tok::Pipe, expr::Tok::Ident(f)] = w
                    && (f == "t" || f == "translate")
                {
                    out.push((Reference::Translation(key.clone()), line));
                }
            }
        }
    }
    out
}

/// The verbatim body of a file's `{% stylesheet %}` tag (Shopify allows one per file), for the
/// theme's bundled stylesheets. `None` without one, or when the file does not lex.
pub fn stylesheet_body(name: &str, source: &str) -> Option<String> {
    asset_tag_body(name, source, "stylesheet")
}

/// The verbatim body of a file's `{% javascript %}` tag, for the theme's bundled scripts.
pub fn javascript_body(name: &str, source: &str) -> Option<String> {
    asset_tag_body(name, source, "javascript")
}

fn asset_tag_body(name: &str, source: &str, tag: &str) -> Option<String> {
    let tokens = lexer::tokenize(name, source).ok()?;
    let end = format!("end{tag}");
    let mut body: Option<String> = None;
    for token in tokens {
        match (token, body.as_mut()) {
            (lexer::Token::Tag { name, .. }, None) if name == tag => {
                body = Some(String::new());
            }
            (lexer::Token::Tag { name, .. }, Some(_)) if name == end => return body,
            (lexer::Token::Text { text, .. }, Some(body)) => body.push_str(&text),
            _ => {}
        }
    }
    None
}

/// Whether `name` is one of Liquid's standard filters.
pub fn is_standard_filter(name: &str) -> bool {
    lower::STANDARD_FILTERS.contains(&name)
}

/// For a minijinja loader: the lowered source of a Liquid file, or a minijinja error that
/// carries the [`LiquidError`] (recovered by [`render_error`]).
pub fn load(name: &str, source: &str) -> Result<Option<String>, minijinja::Error> {
    load_with(name, source, None, Mode::Strict)
}

/// [`load`] with a theme's known filters and a parsing mode (see [`compile_with`]).
pub fn load_with(
    name: &str,
    source: &str,
    known: Option<KnownFilters>,
    mode: Mode,
) -> Result<Option<String>, minijinja::Error> {
    match lowered(name, source, known, false, mode) {
        Ok(lowered) => Ok(Some(lowered.source)),
        Err(err) => Err(minijinja::Error::new(
            minijinja::ErrorKind::SyntaxError,
            err.message.clone(),
        )
        .with_source(err)),
    }
}

/// Adds the runtime helpers and the standard filters (`liquid_<name>`) to `env`, leaving its
/// other settings alone.
pub fn register(env: &mut Environment<'_>) {
    runtime::register(env);
    filters::register(env);
}

/// Sets `env` up for Liquid templates: [`register`], Liquid's output formatter, no
/// autoescaping, chainable undefined values (`a.b.c` on nothing is nothing), and the fuel
/// limit.
pub fn configure(env: &mut Environment<'_>) {
    register(env);
    theme_tags::register(env);
    env.set_formatter(|out, state, value| runtime::format_output(out, state, value));
    env.set_auto_escape_callback(|_| AutoEscape::None);
    env.set_undefined_behavior(UndefinedBehavior::Chainable);
    // minijinja drops a file's final newline by default; Liquid keeps every byte of text.
    if let Ok(syntax) = minijinja::syntax::SyntaxConfig::builder()
        .keep_trailing_newline(true)
        .build()
    {
        env.set_syntax(syntax);
    }
    env.set_fuel(Some(Limits::default().fuel));
    // An include costs 10 of minijinja's recursion budget: at most 10 nested includes in one
    // file rendered, so native stack use stays bounded (see docs/liquid.md, limits).
    env.set_recursion_limit(INCLUDE_RECURSION_LIMIT);
}

/// minijinja's recursion budget for Liquid environments (10 nested `include`s).
pub const INCLUDE_RECURSION_LIMIT: usize = 100;

/// Renders the template `name` of `env` with `globals`, under `limits`.
pub fn render(
    env: &Environment<'_>,
    name: &str,
    globals: Value,
    limits: Limits,
) -> Result<String, LiquidError> {
    let template = env.get_template(name).map_err(|e| render_error(&e, name))?;
    let scope = runtime::Scope::new(globals, runtime::Budget::new(limits));
    let mut writer = LimitedWriter {
        // Output is usually shorter than twice the template: growing it from empty copied it
        // several times.
        buf: Vec::with_capacity((template.source().len() * 2).min(limits.max_output_bytes)),
        limit: limits.max_output_bytes,
        exceeded: false,
    };
    let result = template.render_captured_to(Value::from_object(scope), &mut writer);
    if writer.exceeded {
        return Err(LiquidError::new(
            name,
            0,
            format!(
                "the output exceeds {} bytes (the output limit)",
                limits.max_output_bytes
            ),
        ));
    }
    result.map_err(|e| render_error(&e, name))?;
    String::from_utf8(writer.buf)
        .map_err(|_| LiquidError::new(name, 0, "the output is not valid UTF-8"))
}

struct LimitedWriter {
    buf: Vec<u8>,
    limit: usize,
    exceeded: bool,
}

impl std::io::Write for LimitedWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.write_all(data).map(|()| data.len())
    }

    // minijinja writes every piece of output with `write_all`: taking it whole here skips the
    // default's retry loop around `write` (a render writes hundreds of small pieces).
    #[inline]
    fn write_all(&mut self, data: &[u8]) -> std::io::Result<()> {
        if self.buf.len() + data.len() > self.limit {
            self.exceeded = true;
            return Err(std::io::Error::other("output limit"));
        }
        self.buf.extend_from_slice(data);
        Ok(())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Turns a minijinja error from a Liquid render into a [`LiquidError`]: the innermost error
/// that knows its template and line (an error inside an included or rendered file points
/// there), with minijinja's wording for the message but none of its generated source.
pub fn render_error(err: &minijinja::Error, fallback_file: &str) -> LiquidError {
    let mut best: Option<&minijinja::Error> = None;
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = current {
        if let Some(liquid) = e.downcast_ref::<LiquidError>() {
            return liquid.clone();
        }
        if let Some(mj) = e.downcast_ref::<minijinja::Error>()
            && (mj.line().is_some() || best.is_none())
        {
            best = Some(mj);
        }
        current = e.source();
    }
    let Some(best) = best else {
        return LiquidError::new(fallback_file, 0, err.to_string());
    };
    let message = match (best.kind(), best.detail()) {
        (minijinja::ErrorKind::UnknownFilter, Some(detail)) => {
            format!("unknown filter: {}", detail.trim_start_matches("filter "))
        }
        (_, Some(detail)) => detail.to_string(),
        (kind, None) => kind.to_string(),
    };
    LiquidError::new(
        best.name().unwrap_or(fallback_file),
        best.line().and_then(|l| u32::try_from(l).ok()).unwrap_or(0),
        message,
    )
}

/// Where `render`/`include` names come from.
#[derive(Clone)]
pub enum Snippets {
    None,
    /// `DIR/NAME.liquid`.
    Dir(PathBuf),
    /// Sources by name (the conformance suite's `templates`).
    Map(Arc<HashMap<String, String>>),
}

impl Snippets {
    fn source(&self, name: &str) -> Option<String> {
        match self {
            Snippets::None => None,
            Snippets::Dir(dir) => {
                // A snippet name is a file name, never a path out of the directory.
                if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') {
                    return None;
                }
                std::fs::read_to_string(dir.join(file_name(name))).ok()
            }
            Snippets::Map(map) => map.get(name).cloned(),
        }
    }

    /// How a snippet is named in errors.
    pub fn display(&self, name: &str) -> String {
        match self {
            Snippets::Dir(dir) => dir.join(file_name(name)).display().to_string(),
            _ => name.to_string(),
        }
    }
}

/// `x` is `x.liquid`; a name that already ends in `.liquid` is used as it is.
fn file_name(name: &str) -> String {
    if name.ends_with(".liquid") {
        name.to_string()
    } else {
        format!("{name}.liquid")
    }
}

/// One Liquid template, parsed once, with its snippets: what `vitrine render` and the
/// conformance test run.
pub struct LiquidTemplate {
    env: Environment<'static>,
    name: String,
    snippets: Snippets,
    limits: Limits,
}

impl LiquidTemplate {
    /// Parses `source` strictly (errors name it `name`); `render`/`include` read from
    /// `snippets`.
    pub fn new(
        name: &str,
        source: &str,
        snippets: Snippets,
    ) -> Result<LiquidTemplate, LiquidError> {
        Self::with_mode(name, source, snippets, Mode::Strict)
    }

    /// [`LiquidTemplate::new`] in `mode` (the template and its snippets).
    pub fn with_mode(
        name: &str,
        source: &str,
        snippets: Snippets,
        mode: Mode,
    ) -> Result<LiquidTemplate, LiquidError> {
        let lowered = compile_with(name, source, None, mode)?;
        let mut env = Environment::new();
        configure(&mut env);
        let loader_snippets = snippets.clone();
        env.set_loader(move |snippet| match loader_snippets.source(snippet) {
            Some(source) => load_with(snippet, &source, None, mode),
            None => Ok(None),
        });
        env.add_template_owned(lowered.name, lowered.source)
            .map_err(|e| render_error(&e, name))?;
        Ok(LiquidTemplate {
            env,
            name: name.to_string(),
            snippets,
            limits: Limits::default(),
        })
    }

    /// Replaces the limits (the fuel limit is the environment's).
    pub fn set_limits(&mut self, limits: Limits) {
        self.env.set_fuel(Some(limits.fuel));
        self.limits = limits;
    }

    /// Renders with `globals` (a JSON object).
    pub fn render_json(&self, globals: &serde_json::Value) -> Result<String, LiquidError> {
        self.render(Value::from(minijinja::value::Serde(globals)))
    }

    pub fn render(&self, globals: Value) -> Result<String, LiquidError> {
        render(&self.env, &self.name, globals, self.limits).map_err(|mut e| {
            if e.file != self.name {
                e.file = self.snippets.display(&e.file);
            }
            e
        })
    }

    /// The minijinja source the template was lowered to (for debugging the front end).
    pub fn lowered_source(&self) -> Option<String> {
        self.env
            .get_template(&self.name)
            .ok()
            .map(|t| t.source().to_string())
    }
}

#[cfg(test)]
mod reference_tests {
    use super::*;

    #[test]
    fn literal_references_with_their_lines() {
        let source = "{% render 'price', p: x %}\n{{ 'cart.title' | t }}\n\
                      {% comment %}{% render 'old' %}{% endcomment %}\n\
                      {%- liquid\n  render 'icon'\n  echo 'a.b' | t: count: 2\n-%}\n\
                      {% section 'footer' %}{% sections 'header-group' %}\n\
                      {% content_for 'block', type: 'slide', id: 's' %}{% render name %}";
        assert_eq!(
            references("t.liquid", source),
            vec![
                (Reference::Snippet("price".into()), 1),
                (Reference::Translation("cart.title".into()), 2),
                (Reference::Snippet("icon".into()), 5),
                (Reference::Translation("a.b".into()), 6),
                (Reference::Section("footer".into()), 8),
                (Reference::SectionGroup("header-group".into()), 8),
                (Reference::Block("slide".into()), 9),
            ]
        );
    }
}
