//! The working folder vitrine keeps inside a Shopify theme it serves (`<theme>/.vitrine/`): the
//! SQLite file, the demo catalog the pages show (`data/`, the author may edit it) and its
//! images (`media/`). Created on first run, with a `.gitignore` of its own so the theme's
//! repository never picks it up. vitrine's own theme keeps `data/` at its root instead.
//!
//! A theme folder vitrine cannot write to (a read-only checkout, a mounted volume) gets its
//! working folder under the user's data directory instead:
//! `$XDG_DATA_HOME/vitrine/themes/<name>-<digest of the theme's path>` (`~/.local/share/...`
//! without `XDG_DATA_HOME`).

use std::io;
use std::path::{Path, PathBuf};

use include_dir::{Dir, include_dir};

/// The demo catalog, built into the binary so a theme is served offline from any folder.
static DEMO_DATA: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/data");
static DEMO_PRODUCT_IMAGES: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/static/products");
static DEMO_COLLECTION_IMAGES: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/static/collections");
/// The stand-in for images from the store's Files (`shopify://shop_images/...` settings).
static SHOP_FILES: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/static/files");

/// The working folder's name inside the theme.
pub const FOLDER: &str = ".vitrine";

/// The theme's working folder: `<theme>/.vitrine` when it exists or can be made, else the one
/// under the user's data directory.
pub fn folder(theme_dir: &Path) -> PathBuf {
    folder_with(theme_dir, user_data_dir().as_deref())
}

fn folder_with(theme_dir: &Path, user_data: Option<&Path>) -> PathBuf {
    let inside = theme_dir.join(FOLDER);
    // Made here, not only by `prepare`: every caller must get the same answer, and whether the
    // folder can be made is only known by making it.
    if inside.is_dir() || (!marked_read_only(theme_dir) && std::fs::create_dir(&inside).is_ok()) {
        return inside;
    }
    match user_data {
        Some(base) => base.join("themes").join(theme_key(theme_dir)),
        None => inside,
    }
}

/// A folder whose mode grants no one write access is meant to stay as it is, even to a user
/// (root) who could write into it anyway.
fn marked_read_only(dir: &Path) -> bool {
    std::fs::metadata(dir).is_ok_and(|m| m.permissions().readonly())
}

/// `$XDG_DATA_HOME/vitrine`, else `~/.local/share/vitrine`.
fn user_data_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_DATA_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|home| PathBuf::from(home).join(".local/share"))
        })?;
    Some(base.join("vitrine"))
}

/// A folder name for one theme: its own name and a digest of its full path (two checkouts of
/// one theme get two folders).
fn theme_key(theme_dir: &Path) -> String {
    use sha2::{Digest, Sha256};
    let full = std::fs::canonicalize(theme_dir).unwrap_or_else(|_| theme_dir.to_path_buf());
    let digest = Sha256::digest(full.to_string_lossy().as_bytes());
    let name: String = full
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("{name}-{hex}")
}

/// The catalog images, served at `/static/products/...` and `/static/collections/...` when the
/// theme's `assets/` has no file of that name.
pub fn media_dir(theme_dir: &Path) -> PathBuf {
    folder(theme_dir).join("media")
}

/// Creates the working folder and writes what is missing of the demo catalog; files already
/// there (the author's edits) are kept.
pub fn prepare(theme_dir: &Path) -> io::Result<()> {
    prepare_in(&folder(theme_dir))
}

fn prepare_in(root: &Path) -> io::Result<()> {
    std::fs::create_dir_all(root)?;
    let ignore = root.join(".gitignore");
    if !ignore.exists() {
        std::fs::write(
            &ignore,
            "# vitrine's working files: never part of the theme\n*\n",
        )?;
    }
    write_missing(&DEMO_DATA, &root.join("data"))?;
    let media = root.join("media");
    write_missing(&DEMO_PRODUCT_IMAGES, &media.join("products"))?;
    write_missing(&DEMO_COLLECTION_IMAGES, &media.join("collections"))?;
    write_missing(&SHOP_FILES, &media.join("files"))?;
    Ok(())
}

fn write_missing(dir: &Dir<'_>, to: &Path) -> io::Result<()> {
    std::fs::create_dir_all(to)?;
    for file in dir.files() {
        let Some(name) = file.path().file_name() else {
            continue;
        };
        let target = to.join(name);
        if !target.exists() {
            std::fs::write(&target, file.contents())?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prepare_writes_the_catalog_once_and_keeps_edits() {
        let theme = tempfile::tempdir().expect("tempdir");
        prepare(theme.path()).expect("prepare");
        let products = folder(theme.path()).join("data").join("products.json");
        assert!(products.is_file());
        assert!(
            media_dir(theme.path())
                .join("products")
                .read_dir()
                .expect("dir")
                .count()
                > 10
        );
        std::fs::write(&products, "[]").expect("edit");
        prepare(theme.path()).expect("again");
        assert_eq!(std::fs::read_to_string(&products).expect("read"), "[]");
    }

    #[test]
    fn a_theme_folder_marked_read_only_is_left_alone_even_by_root() {
        let theme = tempfile::tempdir().expect("tempdir");
        let user = tempfile::tempdir().expect("tempdir");
        let mut mode = std::fs::metadata(theme.path()).expect("meta").permissions();
        mode.set_readonly(true);
        std::fs::set_permissions(theme.path(), mode.clone()).expect("chmod");
        let root = folder_with(theme.path(), Some(user.path()));
        #[allow(clippy::permissions_set_readonly_false)]
        mode.set_readonly(false);
        std::fs::set_permissions(theme.path(), mode).expect("chmod back");
        assert!(root.starts_with(user.path()), "{}", root.display());
        assert!(!theme.path().join(FOLDER).exists());
    }

    #[test]
    fn a_theme_folder_that_cannot_take_the_working_folder_gets_one_in_the_users_data() {
        let theme = tempfile::tempdir().expect("tempdir");
        let user = tempfile::tempdir().expect("tempdir");
        // `.vitrine` cannot be made: a file holds the name (as a read-only folder would refuse).
        std::fs::write(theme.path().join(FOLDER), "not a folder").expect("file");
        let root = folder_with(theme.path(), Some(user.path()));
        assert!(
            root.starts_with(user.path().join("themes")),
            "{}",
            root.display()
        );
        assert_eq!(
            root,
            folder_with(theme.path(), Some(user.path())),
            "a stable answer"
        );
        prepare_in(&root).expect("prepare");
        assert!(root.join("data/products.json").is_file());
        assert!(root.join("media/products").is_dir());
        // A writable theme keeps its own.
        let writable = tempfile::tempdir().expect("tempdir");
        assert_eq!(
            folder_with(writable.path(), Some(user.path())),
            writable.path().join(FOLDER)
        );
    }
}
