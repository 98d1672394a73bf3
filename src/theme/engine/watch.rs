//! File watching for hot reload: a notify watcher on `templates/`, `sections/` and `static/`,
//! a short debounce (editors save through temp files and renames, which arrive as bursts of
//! create/modify/rename/remove events), and the mapping of a changed path to a [`ThemeChange`].

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use notify::{EventKind, RecommendedWatcher, RecursiveMode, Watcher};

use super::live::ThemeChange;
use super::loader::relative;

/// Quiet time that ends a burst of events.
const QUIET: Duration = Duration::from_millis(20);
/// A burst never delays a reload by more than this.
const MAX_BURST: Duration = Duration::from_millis(50);

/// The theme subdirectories that hold theme files.
pub const WATCHED: &[&str] = &[
    "templates",
    "sections",
    "static",
    "layout",
    "snippets",
    "blocks",
    "assets",
    "config",
    "locales",
];

/// Starts watching `dir`. `on_change` receives each debounced batch of changed paths and
/// returns `false` to stop (the theme was dropped). The watcher stops when it is dropped.
pub fn start<F>(dir: &Path, on_change: F) -> Result<RecommendedWatcher, notify::Error>
where
    F: Fn(Vec<PathBuf>) -> bool + Send + 'static,
{
    let (tx, rx) = mpsc::channel::<notify::Result<notify::Event>>();
    let mut watcher = notify::recommended_watcher(tx)?;
    for sub in WATCHED {
        let path = dir.join(sub);
        if path.is_dir() {
            watcher.watch(&path, RecursiveMode::Recursive)?;
        }
    }
    std::thread::Builder::new()
        .name("vitrine-theme-watch".into())
        .spawn(move || debounce_loop(rx, on_change))
        .map_err(notify::Error::io)?;
    Ok(watcher)
}

fn debounce_loop<F>(rx: mpsc::Receiver<notify::Result<notify::Event>>, on_change: F)
where
    F: Fn(Vec<PathBuf>) -> bool,
{
    // The loop ends when the watcher (the sender) is dropped.
    while let Ok(first) = rx.recv() {
        let started = Instant::now();
        let mut paths = Vec::new();
        collect(first, &mut paths);
        while started.elapsed() < MAX_BURST {
            match rx.recv_timeout(QUIET) {
                Ok(event) => collect(event, &mut paths),
                Err(mpsc::RecvTimeoutError::Timeout) => break,
                Err(mpsc::RecvTimeoutError::Disconnected) => return,
            }
        }
        paths.sort();
        paths.dedup();
        if !paths.is_empty() && !on_change(paths) {
            return;
        }
    }
}

fn collect(event: notify::Result<notify::Event>, paths: &mut Vec<PathBuf>) {
    let Ok(event) = event else {
        return;
    };
    // Reads (open/close without write) change nothing.
    if matches!(event.kind, EventKind::Access(_)) {
        return;
    }
    paths.extend(event.paths.into_iter().filter(|p| !is_scratch(p)));
}

/// Editor scratch files: dotfiles, `foo~` backups, vim's `.swp` and its `4913` probe.
fn is_scratch(path: &Path) -> bool {
    let Some(name) = path.file_name().map(|n| n.to_string_lossy()) else {
        return true;
    };
    name.starts_with('.')
        || name.ends_with('~')
        || name.ends_with(".swp")
        || name.ends_with(".swx")
        || name.ends_with(".tmp")
        || name == "4913"
}

/// What a changed path means for the browser.
pub fn classify(dir: &Path, path: &Path) -> Option<ThemeChange> {
    let rel = relative(dir, path)?;
    // A Shopify theme's `assets/` is served at `/static/` too.
    if let Some(file) = rel
        .strip_prefix("static/")
        .or_else(|| rel.strip_prefix("assets/"))
    {
        // `theme.css.liquid` is served, re-rendered, as `theme.css`.
        let file = super::loader::served_asset_name(file).unwrap_or(file);
        if file.ends_with(".css") {
            return Some(ThemeChange::Css {
                path: format!("/static/{file}"),
            });
        }
        return Some(ThemeChange::Other { path: rel });
    }
    if let Some(id) = rel
        .strip_prefix("sections/")
        .and_then(|f| {
            f.strip_suffix(".html")
                .or_else(|| f.strip_suffix(".liquid"))
        })
        .filter(|id| !id.contains('/'))
    {
        return Some(ThemeChange::Section { id: id.to_owned() });
    }
    // The rest of a theme: vitrine's own folders and Shopify's (never `.vitrine/`, our files).
    const THEME_FOLDERS: &[&str] = &[
        "templates/",
        "sections/",
        "layout/",
        "snippets/",
        "blocks/",
        "config/",
        "locales/",
    ];
    if THEME_FOLDERS.iter().any(|f| rel.starts_with(f)) {
        return Some(ThemeChange::Other { path: rel });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_shopify_theme_folders() {
        let dir = Path::new("/theme");
        assert_eq!(
            classify(dir, Path::new("/theme/assets/base.css")),
            Some(ThemeChange::Css {
                path: "/static/base.css".into()
            })
        );
        assert_eq!(
            classify(dir, Path::new("/theme/assets/theme.css.liquid")),
            Some(ThemeChange::Css {
                path: "/static/theme.css".into()
            })
        );
        for file in [
            "layout/theme.liquid",
            "snippets/price.liquid",
            "blocks/b.liquid",
        ] {
            assert_eq!(
                classify(dir, &dir.join(file)),
                Some(ThemeChange::Other { path: file.into() })
            );
        }
        assert_eq!(
            classify(dir, Path::new("/theme/.vitrine/data/store.db")),
            None
        );
    }

    #[test]
    fn classifies_paths() {
        let dir = Path::new("/theme");
        assert_eq!(
            classify(dir, Path::new("/theme/static/base.css")),
            Some(ThemeChange::Css {
                path: "/static/base.css".into()
            })
        );
        assert_eq!(
            classify(dir, Path::new("/theme/sections/cart-drawer.html")),
            Some(ThemeChange::Section {
                id: "cart-drawer".into()
            })
        );
        assert_eq!(
            classify(dir, Path::new("/theme/templates/snippets/price.html")),
            Some(ThemeChange::Other {
                path: "templates/snippets/price.html".into()
            })
        );
        assert_eq!(classify(dir, Path::new("/elsewhere/x.html")), None);
        assert!(is_scratch(Path::new("/theme/sections/.x.html.swp")));
        assert!(is_scratch(Path::new("/theme/sections/x.html~")));
    }
}
