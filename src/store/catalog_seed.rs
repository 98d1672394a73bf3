//! Seeding the catalog from the JSON files in `data/`. The files are copied into the `catalog`
//! table when their content changes (and on first run), so editing `data/products.json` and
//! restarting shows the change while every cart is kept.

use std::path::{Path, PathBuf};

use md5::{Digest, Md5};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::catalog::{
    Blog, Catalog, Collection, Content, DiscountCode, Menu, Page, Product, SellingPlan,
    ShippingZone, Shop,
};

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Parse {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("stored catalog document {kind}/{key} is invalid: {source}")]
    Stored {
        kind: String,
        key: String,
        source: serde_json::Error,
    },
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

const FILES: [&str; 9] = [
    "shop.json",
    "products.json",
    "collections.json",
    "selling_plans.json",
    "discounts.json",
    "shipping_rates.json",
    "menus.json",
    "pages.json",
    "blogs.json",
];

/// The content files came later than the catalog's: a data folder written before them (an
/// author's `--data DIR`) still loads, with no menus, pages or blogs.
const OPTIONAL: [&str; 3] = ["menus.json", "pages.json", "blogs.json"];

fn read(dir: &Path, file: &str) -> Result<Vec<u8>, SeedError> {
    let path = dir.join(file);
    match std::fs::read(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && OPTIONAL.contains(&file) => {
            Ok(b"[]".to_vec())
        }
        other => other.map_err(|source| SeedError::Read { path, source }),
    }
}

fn parse<T: DeserializeOwned>(dir: &Path, file: &str, bytes: &[u8]) -> Result<T, SeedError> {
    serde_json::from_slice(bytes).map_err(|source| SeedError::Parse {
        path: dir.join(file),
        source,
    })
}

/// The catalog files as read from `data/`, and the digest that tells whether they changed.
pub struct Files {
    dir: PathBuf,
    contents: Vec<Vec<u8>>,
    pub digest: String,
}

/// One row of the `catalog` table: a document of some kind, in its position.
pub struct Doc {
    pub kind: &'static str,
    pub key: String,
    pub position: i64,
    pub json: String,
}

/// Reads every catalog file and digests them (nothing is parsed yet).
pub fn read_files(dir: &Path) -> Result<Files, SeedError> {
    let mut contents = Vec::with_capacity(FILES.len());
    let mut hasher = Md5::new();
    for file in FILES {
        let bytes = read(dir, file)?;
        hasher.update(file.as_bytes());
        hasher.update(&bytes);
        contents.push(bytes);
    }
    Ok(Files {
        dir: dir.to_path_buf(),
        contents,
        digest: format!("{:x}", hasher.finalize()),
    })
}

impl Files {
    /// Parses every file into the rows to store. Everything is parsed before any row is
    /// written, so a bad file leaves the old catalog in place.
    pub fn docs(&self) -> Result<Vec<Doc>, SeedError> {
        let (dir, contents) = (&self.dir, &self.contents);
        let shop: Shop = parse(dir, FILES[0], &contents[0])?;
        let products: Vec<Product> = parse(dir, FILES[1], &contents[1])?;
        let collections: Vec<Collection> = parse(dir, FILES[2], &contents[2])?;
        let plans: Vec<SellingPlan> = parse(dir, FILES[3], &contents[3])?;
        let discounts: Vec<DiscountCode> = parse(dir, FILES[4], &contents[4])?;
        let zones: Vec<ShippingZone> = parse(dir, FILES[5], &contents[5])?;
        let menus: Vec<Menu> = parse(dir, FILES[6], &contents[6])?;
        let pages: Vec<Page> = parse(dir, FILES[7], &contents[7])?;
        let blogs: Vec<Blog> = parse(dir, FILES[8], &contents[8])?;
        let mut docs = Vec::new();
        let mut put = |kind: &'static str, key: String, position: usize, doc: &dyn erased::Json| {
            docs.push(Doc {
                kind,
                key,
                position: position as i64,
                json: doc.to_json(),
            });
        };
        put("shop", "shop".into(), 0, &shop);
        for (i, p) in products.iter().enumerate() {
            put("product", p.handle.clone(), i, p);
        }
        for (i, c) in collections.iter().enumerate() {
            put("collection", c.handle.clone(), i, c);
        }
        for (i, p) in plans.iter().enumerate() {
            put("selling_plan", p.id.to_string(), i, p);
        }
        for (i, d) in discounts.iter().enumerate() {
            put("discount", d.code.clone(), i, d);
        }
        for (i, z) in zones.iter().enumerate() {
            put("shipping_zone", z.name.clone(), i, z);
        }
        for (i, m) in menus.iter().enumerate() {
            put("menu", m.handle.clone(), i, m);
        }
        for (i, p) in pages.iter().enumerate() {
            put("page", p.handle.clone(), i, p);
        }
        for (i, b) in blogs.iter().enumerate() {
            put("blog", b.handle.clone(), i, b);
        }
        tracing::info!(
            products = products.len(),
            "catalog seeded from {}",
            dir.display()
        );
        Ok(docs)
    }
}

/// Copies `data/` into the database if its files differ from what was seeded last.
pub fn sync(conn: &mut Connection, dir: &Path) -> Result<(), SeedError> {
    let files = read_files(dir)?;
    let seeded: Option<String> = conn
        .query_row(
            "SELECT value FROM meta WHERE key = 'catalog_digest'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    if seeded.as_deref() == Some(files.digest.as_str()) {
        return Ok(());
    }
    let docs = files.docs()?;
    let tx = conn.transaction()?;
    tx.execute("DELETE FROM catalog", [])?;
    {
        let mut insert =
            tx.prepare("INSERT INTO catalog (kind, key, position, doc) VALUES (?1, ?2, ?3, ?4)")?;
        for doc in &docs {
            insert.execute(params![doc.kind, doc.key, doc.position, doc.json])?;
        }
    }
    tx.execute(
        "INSERT INTO meta (key, value) VALUES ('catalog_digest', ?1)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        [&files.digest],
    )?;
    tx.commit()?;
    Ok(())
}

mod erased {
    /// Lets one closure store documents of different types.
    pub trait Json {
        fn to_json(&self) -> String;
    }
    impl<T: super::Serialize> Json for T {
        fn to_json(&self) -> String {
            serde_json::to_string(self).unwrap_or_else(|_| "null".into())
        }
    }
}

/// Parses the stored documents of one kind, in their order.
pub fn decode<T: DeserializeOwned>(
    kind: &str,
    docs: Vec<(String, String)>,
) -> Result<Vec<T>, SeedError> {
    let mut out = Vec::with_capacity(docs.len());
    for (key, doc) in docs {
        out.push(
            serde_json::from_str(&doc).map_err(|source| SeedError::Stored {
                kind: kind.to_string(),
                key,
                source,
            })?,
        );
    }
    Ok(out)
}

/// Reads the catalog back from the database.
pub fn load(conn: &Connection) -> Result<Catalog, SeedError> {
    assemble(|kind| load_kind_raw(conn, kind))
}

fn load_kind_raw(conn: &Connection, kind: &str) -> Result<Vec<(String, String)>, SeedError> {
    let mut stmt =
        conn.prepare("SELECT key, doc FROM catalog WHERE kind = ?1 ORDER BY position")?;
    let rows = stmt.query_map([kind], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
    })?;
    let mut docs = Vec::new();
    for row in rows {
        docs.push(row?);
    }
    Ok(docs)
}

/// Builds the catalog from each kind's stored `(key, doc)` rows, as `rows(kind)` gives them.
pub fn assemble(
    mut rows: impl FnMut(&str) -> Result<Vec<(String, String)>, SeedError>,
) -> Result<Catalog, SeedError> {
    let shop: Shop = decode::<Shop>("shop", rows("shop")?)?
        .into_iter()
        .next()
        .ok_or_else(|| SeedError::Stored {
            kind: "shop".into(),
            key: "shop".into(),
            source: serde::de::Error::custom("missing"),
        })?;
    Ok(Catalog::new(
        shop,
        decode("product", rows("product")?)?,
        decode("collection", rows("collection")?)?,
        decode("selling_plan", rows("selling_plan")?)?,
        decode("discount", rows("discount")?)?,
        decode("shipping_zone", rows("shipping_zone")?)?,
    )
    .with_content(Content {
        menus: decode("menu", rows("menu")?)?,
        pages: decode("page", rows("page")?)?,
        blogs: decode("blog", rows("blog")?)?,
    }))
}
