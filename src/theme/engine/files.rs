//! Walking a theme folder: every file under it, and its path as the theme names it.

use std::path::{Path, PathBuf};

use super::error::Problem;

/// A file under the theme directory: its path relative to the theme, with `/` separators.
pub fn relative(dir: &Path, path: &Path) -> Option<String> {
    let rel = path.strip_prefix(dir).ok()?;
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    Some(parts.join("/"))
}

/// Every regular file under `root`, recursively, sorted for deterministic output.
pub fn walk(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name();
            // Editor swap files and dotfiles are never theme files.
            if name.to_string_lossy().starts_with('.') {
                continue;
            }
            match entry.file_type() {
                Ok(t) if t.is_dir() => stack.push(path),
                Ok(t) if t.is_file() => out.push(path),
                _ => {}
            }
        }
    }
    out.sort();
    out
}

/// A theme file's text; a file that cannot be read is a problem at its line 1.
pub fn read(path: &Path, file: &str, problems: &mut Vec<Problem>) -> Option<String> {
    match std::fs::read_to_string(path) {
        Ok(s) => Some(s),
        Err(e) => {
            problems.push(Problem::new(file, 1, format!("cannot read: {e}")));
            None
        }
    }
}
