//! Seeding the catalog from the JSON files in `data/`. The files are copied into the `catalog`
//! table when their content changes (and on first run), so editing `data/products.json` and
//! restarting shows the change while every cart is kept.

use std::path::{Path, PathBuf};

use md5::{Digest, Md5};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::catalog::{Catalog, Collection, DiscountCode, Product, SellingPlan, ShippingZone, Shop};

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

const FILES: [&str; 6] = [
    "shop.json",
    "products.json",
    "collections.json",
    "selling_plans.json",
    "discounts.json",
    "shipping_rates.json",
];

fn read(dir: &Path, file: &str) -> Result<Vec<u8>, SeedError> {
    let path = dir.join(file);
    std::fs::read(&path).map_err(|source| SeedError::Read { path, source })
}

fn parse<T: DeserializeOwned>(dir: &Path, file: &str, bytes: &[u8]) -> Result<T, SeedError> {
    serde_json::from_slice(bytes).map_err(|source| SeedError::Parse {
        path: dir.join(file),
        source,
    })
}

/// Copies `data/` into the database if its files differ from what was seeded last.
pub fn sync(conn: &mut Connection, dir: &Path) -> Result<(), SeedError> {
    let mut contents = Vec::with_capacity(FILES.len());
    let mut hasher = Md5::new();
    for file in FILES {
        let bytes = read(dir, file)?;
        hasher.update(file.as_bytes());
        hasher.update(&bytes);
        contents.push(bytes);
    }
    let digest = format!("{:x}", hasher.finalize());
    let seeded: Option<String> = conn
        .query_row(
            "SELECT value FROM meta WHERE key = 'catalog_digest'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    if seeded.as_deref() == Some(digest.as_str()) {
        return Ok(());
    }
    // Parse everything before touching the table, so a bad file leaves the old catalog in place.
    let shop: Shop = parse(dir, FILES[0], &contents[0])?;
    let products: Vec<Product> = parse(dir, FILES[1], &contents[1])?;
    let collections: Vec<Collection> = parse(dir, FILES[2], &contents[2])?;
    let plans: Vec<SellingPlan> = parse(dir, FILES[3], &contents[3])?;
    let discounts: Vec<DiscountCode> = parse(dir, FILES[4], &contents[4])?;
    let zones: Vec<ShippingZone> = parse(dir, FILES[5], &contents[5])?;

    let tx = conn.transaction()?;
    tx.execute("DELETE FROM catalog", [])?;
    {
        let mut insert =
            tx.prepare("INSERT INTO catalog (kind, key, position, doc) VALUES (?1, ?2, ?3, ?4)")?;
        let mut put = |kind: &str, key: String, position: usize, doc: &dyn erased::Json| {
            insert.execute(params![kind, key, position as i64, doc.to_json()])
        };
        put("shop", "shop".into(), 0, &shop)?;
        for (i, p) in products.iter().enumerate() {
            put("product", p.handle.clone(), i, p)?;
        }
        for (i, c) in collections.iter().enumerate() {
            put("collection", c.handle.clone(), i, c)?;
        }
        for (i, p) in plans.iter().enumerate() {
            put("selling_plan", p.id.to_string(), i, p)?;
        }
        for (i, d) in discounts.iter().enumerate() {
            put("discount", d.code.clone(), i, d)?;
        }
        for (i, z) in zones.iter().enumerate() {
            put("shipping_zone", z.name.clone(), i, z)?;
        }
    }
    tx.execute(
        "INSERT INTO meta (key, value) VALUES ('catalog_digest', ?1)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        [&digest],
    )?;
    tx.commit()?;
    tracing::info!(
        products = products.len(),
        "catalog seeded from {}",
        dir.display()
    );
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

fn load_kind<T: DeserializeOwned>(conn: &Connection, kind: &str) -> Result<Vec<T>, SeedError> {
    let mut stmt =
        conn.prepare("SELECT key, doc FROM catalog WHERE kind = ?1 ORDER BY position")?;
    let rows = stmt.query_map([kind], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (key, doc) = row?;
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
    let shop: Shop =
        load_kind(conn, "shop")?
            .into_iter()
            .next()
            .ok_or_else(|| SeedError::Stored {
                kind: "shop".into(),
                key: "shop".into(),
                source: serde::de::Error::custom("missing"),
            })?;
    Ok(Catalog::new(
        shop,
        load_kind(conn, "product")?,
        load_kind(conn, "collection")?,
        load_kind(conn, "selling_plan")?,
        load_kind(conn, "discount")?,
        load_kind(conn, "shipping_zone")?,
    ))
}
