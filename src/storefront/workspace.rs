//! The working folder vitrine keeps inside a Shopify theme it serves (`<theme>/.vitrine/`): the
//! SQLite file, the demo catalog the pages show (`data/`, the author may edit it) and its
//! images (`media/`). Created on first run, with a `.gitignore` of its own so the theme's
//! repository never picks it up. vitrine's own theme keeps `data/` at its root instead.

use std::io;
use std::path::{Path, PathBuf};

use include_dir::{Dir, include_dir};

/// The demo catalog, built into the binary so a theme is served offline from any folder.
static DEMO_DATA: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/data");
static DEMO_PRODUCT_IMAGES: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/static/products");
static DEMO_COLLECTION_IMAGES: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/static/collections");

/// The working folder's name inside the theme.
pub const FOLDER: &str = ".vitrine";

pub fn folder(theme_dir: &Path) -> PathBuf {
    theme_dir.join(FOLDER)
}

/// The catalog images, served at `/static/products/...` and `/static/collections/...` when the
/// theme's `assets/` has no file of that name.
pub fn media_dir(theme_dir: &Path) -> PathBuf {
    folder(theme_dir).join("media")
}

/// Creates the working folder and writes what is missing of the demo catalog; files already
/// there (the author's edits) are kept.
pub fn prepare(theme_dir: &Path) -> io::Result<()> {
    let root = folder(theme_dir);
    std::fs::create_dir_all(&root)?;
    let ignore = root.join(".gitignore");
    if !ignore.exists() {
        std::fs::write(
            &ignore,
            "# vitrine's working files: never part of the theme\n*\n",
        )?;
    }
    write_missing(&DEMO_DATA, &root.join("data"))?;
    let media = media_dir(theme_dir);
    write_missing(&DEMO_PRODUCT_IMAGES, &media.join("products"))?;
    write_missing(&DEMO_COLLECTION_IMAGES, &media.join("collections"))?;
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
}
