//! TEMPORARY placeholder with the theme engine's public API, replaced by the real engine.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::catalog::Catalog;

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ThemeError(String);

#[derive(Debug, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct RenderError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

#[derive(Debug, Clone)]
pub enum ThemeChange {
    Css { path: String },
    Section { id: String },
    Other { path: String },
}

pub struct PageRequest {
    pub path: String,
    pub query: Vec<(String, String)>,
    pub locale: String,
    pub flash: Option<String>,
    pub live_reload: bool,
}

pub struct PageContext {
    status: u16,
}

impl PageContext {
    pub fn status(&self) -> u16 {
        self.status
    }
    pub fn template(&self) -> &str {
        "404"
    }
}

#[derive(Clone)]
pub struct Theme {
    dir: PathBuf,
    changes: tokio::sync::broadcast::Sender<ThemeChange>,
}

impl Theme {
    pub fn load(dir: &Path, _catalog: Arc<Catalog>, _watch: bool) -> Result<Theme, ThemeError> {
        Ok(Theme {
            dir: dir.to_path_buf(),
            changes: tokio::sync::broadcast::channel(16).0,
        })
    }
    pub fn context(&self, _page: &PageRequest, _cart: minijinja::Value) -> PageContext {
        PageContext { status: 404 }
    }
    pub fn render_section(
        &self,
        _ctx: &PageContext,
        _id: &str,
    ) -> Result<Option<String>, RenderError> {
        Ok(None)
    }
    pub fn render_page(&self, _ctx: &PageContext) -> Result<String, RenderError> {
        Ok(String::new())
    }
    pub fn error_page(&self, err: &RenderError) -> String {
        err.to_string()
    }
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<ThemeChange> {
        self.changes.subscribe()
    }
    pub fn static_dir(&self) -> PathBuf {
        self.dir.join("static")
    }
}

pub const LIVE_RELOAD_JS: &str = "";

pub fn change_event_json(_change: &ThemeChange) -> String {
    "{}".into()
}

pub struct Problem(pub String);
impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
pub fn check(_dir: &Path) -> Vec<Problem> {
    Vec::new()
}
