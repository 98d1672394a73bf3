//! The theme's error types: [`ThemeError`] when a theme cannot be loaded at all, [`RenderError`]
//! when one template fails (always with the file and line), and [`Problem`] for `vitrine check`.

use std::fmt;
use std::path::PathBuf;

/// The theme directory itself is unusable (a broken template is not this: it is a [`RenderError`]
/// at render time, so one bad file never takes the server down).
#[derive(Debug, thiserror::Error)]
pub enum ThemeError {
    #[error("theme directory {0} does not exist or is not a directory")]
    NotADirectory(PathBuf),
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot watch the theme for changes: {0}")]
    Watch(#[from] notify::Error),
}

/// A template that failed to compile or to render.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{}: {message}", line.map_or_else(|| "?".to_string(), |l| l.to_string()))]
pub struct RenderError {
    /// The file, relative to the theme directory (e.g. `sections/cart-drawer.html`).
    pub file: String,
    /// 1-based line in that file, when known.
    pub line: Option<usize>,
    pub message: String,
    /// The offending source line, for the error overlay.
    pub excerpt: Option<String>,
}

impl RenderError {
    pub fn new(file: impl Into<String>, line: Option<usize>, message: impl Into<String>) -> Self {
        RenderError {
            file: file.into(),
            line,
            message: message.into(),
            excerpt: None,
        }
    }

    /// Converts a minijinja error, pointing at the innermost template that failed: an error from
    /// a snippet rendered by a section names the snippet, not the section.
    pub fn from_minijinja(err: &minijinja::Error, fallback_file: &str) -> RenderError {
        let mut best: Option<&minijinja::Error> = None;
        let mut current: Option<&(dyn std::error::Error + 'static)> = Some(err);
        while let Some(e) = current {
            if let Some(ours) = e.downcast_ref::<RenderError>() {
                return ours.clone();
            }
            if let Some(liquid) = e.downcast_ref::<super::liquid::LiquidError>() {
                return RenderError::from_liquid(liquid);
            }
            if let Some(mj) = e.downcast_ref::<minijinja::Error>()
                && mj.line().is_some()
            {
                best = Some(mj);
            }
            current = e.source();
        }
        let chosen = best.unwrap_or(err);
        RenderError {
            file: chosen.name().unwrap_or(fallback_file).to_owned(),
            line: chosen.line(),
            message: describe(chosen),
            excerpt: None,
        }
    }

    /// A Liquid error as the theme reports errors: its file and line, never generated code.
    pub fn from_liquid(err: &super::liquid::LiquidError) -> RenderError {
        let line = usize::try_from(err.line).ok().filter(|l| *l > 0);
        RenderError::new(&err.file, line, &err.message)
    }

    /// Adds the offending line from `source`, if it has one.
    pub fn with_excerpt_from(mut self, source: &str) -> Self {
        if let Some(line) = self.line {
            self.excerpt = source
                .lines()
                .nth(line.saturating_sub(1))
                .map(|l| l.trim_end().to_owned());
        }
        self
    }
}

/// "kind: detail", without minijinja's own "(in file:line)" suffix: we print the location.
fn describe(err: &minijinja::Error) -> String {
    match err.detail() {
        Some(detail) => format!("{}: {detail}", err.kind()),
        None => err.kind().to_string(),
    }
}

/// One finding of `vitrine check`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: String,
    pub line: usize,
    pub message: String,
    /// The name of Shopify theme-check's check that finds the same thing (`MissingTemplate`),
    /// when the finding says it; otherwise `check --format json` infers it from the message.
    pub check: Option<&'static str>,
    /// A warning: the theme renders as it is (as on Shopify), but the author should know.
    pub warning: bool,
}

impl Problem {
    pub fn new(file: impl Into<String>, line: usize, message: impl Into<String>) -> Self {
        Problem {
            file: file.into(),
            line: line.max(1),
            message: message.into(),
            check: None,
            warning: false,
        }
    }

    /// Makes this finding a warning.
    pub fn warning(mut self) -> Self {
        self.warning = true;
        self
    }

    /// Names the theme-check check this finding belongs to.
    pub fn check(mut self, name: &'static str) -> Self {
        self.check = Some(name);
        self
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let severity = if self.warning { "warning: " } else { "" };
        write!(f, "{}:{}: {severity}{}", self.file, self.line, self.message)
    }
}

impl From<RenderError> for Problem {
    fn from(err: RenderError) -> Self {
        Problem::new(err.file, err.line.unwrap_or(1), err.message)
    }
}
