//! Resized images on disk, each written once and read back afterwards.
//!
//! The key is a digest of the source's path, its modification time and length, and the
//! transformation, so an edited source gets new entries (the old ones are simply never asked
//! for again). Entries are written to a temporary file and renamed into place: a reader sees a
//! whole file or none, even while another request writes the same entry.

use std::fs::Metadata;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::UNIX_EPOCH;

use sha2::{Digest, Sha256};

use super::transform::{OutputFormat, Transform};

/// One cache entry's name: the digest in hex and the extension of its format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheKey {
    digest: String,
    extension: &'static str,
}

impl CacheKey {
    /// The key of `transform` applied to the file at `source` (whose metadata is `meta`),
    /// answered as `format`.
    pub fn new(
        source: &Path,
        meta: &Metadata,
        transform: &Transform,
        format: OutputFormat,
    ) -> CacheKey {
        let modified = meta
            .modified()
            .ok()
            .and_then(|m| m.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        CacheKey::from_parts(source, modified, meta.len(), transform, format)
    }

    fn from_parts(
        source: &Path,
        modified_nanos: u128,
        len: u64,
        transform: &Transform,
        format: OutputFormat,
    ) -> CacheKey {
        let mut hash = Sha256::new();
        // Length-prefixed parts, so no two different inputs run together into one.
        for part in [
            source.to_string_lossy().as_bytes(),
            &modified_nanos.to_le_bytes(),
            &len.to_le_bytes(),
            transform.canonical().as_bytes(),
            format.name().as_bytes(),
        ] {
            hash.update((part.len() as u64).to_le_bytes());
            hash.update(part);
        }
        let digest = hash.finalize().iter().map(|b| format!("{b:02x}")).collect();
        CacheKey {
            digest,
            extension: format.extension(),
        }
    }

    pub fn file_name(&self) -> String {
        format!("{}.{}", self.digest, self.extension)
    }
}

/// A directory of cached results, spread over 256 subdirectories by the digest's first byte.
#[derive(Debug, Clone)]
pub struct DiskCache {
    dir: PathBuf,
}

/// Numbers the temporary files of this process, so two writers never share one.
static TEMP_FILES: AtomicU64 = AtomicU64::new(0);

impl DiskCache {
    pub fn new(dir: impl Into<PathBuf>) -> DiskCache {
        DiskCache { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where the entry of `key` lives (whether it exists or not).
    pub fn path(&self, key: &CacheKey) -> PathBuf {
        self.dir.join(&key.digest[..2]).join(key.file_name())
    }

    /// The entry's bytes, or `None` when it was never written.
    pub fn read(&self, key: &CacheKey) -> io::Result<Option<Vec<u8>>> {
        match std::fs::read(self.path(key)) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Writes the entry atomically: a temporary file beside it, flushed, then renamed.
    pub fn write(&self, key: &CacheKey, bytes: &[u8]) -> io::Result<()> {
        let target = self.path(key);
        let Some(parent) = target.parent() else {
            return Err(io::Error::other("the cache entry has no directory"));
        };
        std::fs::create_dir_all(parent)?;
        let temp = parent.join(format!(
            ".{}.{}.{}.tmp",
            key.file_name(),
            std::process::id(),
            TEMP_FILES.fetch_add(1, Ordering::Relaxed)
        ));
        let written = (|| {
            let mut file = std::fs::File::create(&temp)?;
            file.write_all(bytes)?;
            // On disk before the rename, so a crash cannot leave a named but empty entry.
            file.sync_data()?;
            std::fs::rename(&temp, &target)
        })();
        if written.is_err() {
            let _ = std::fs::remove_file(&temp);
        }
        written
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(query: &str) -> Transform {
        Transform::from_query(query)
            .expect("valid parameters")
            .expect("a size is asked")
    }

    #[test]
    fn keys_change_with_the_source_and_the_parameters() {
        let path = Path::new("/theme/static/a.png");
        let base = CacheKey::from_parts(path, 1, 10, &t("width=1"), OutputFormat::Png);
        assert_eq!(
            base,
            CacheKey::from_parts(path, 1, 10, &t("width=1&v=2"), OutputFormat::Png)
        );
        for other in [
            CacheKey::from_parts(Path::new("/b.png"), 1, 10, &t("width=1"), OutputFormat::Png),
            CacheKey::from_parts(path, 2, 10, &t("width=1"), OutputFormat::Png),
            CacheKey::from_parts(path, 1, 11, &t("width=1"), OutputFormat::Png),
            CacheKey::from_parts(path, 1, 10, &t("width=2"), OutputFormat::Png),
            CacheKey::from_parts(path, 1, 10, &t("width=1"), OutputFormat::Webp),
        ] {
            assert_ne!(base.digest, other.digest);
        }
        assert!(base.file_name().ends_with(".png"));
        assert_eq!(base.file_name().len(), 64 + 4);
    }

    #[test]
    fn writes_once_and_reads_back() {
        let dir = tempfile::tempdir().expect("temp dir");
        let cache = DiskCache::new(dir.path().join("cache/images"));
        let key = CacheKey::from_parts(Path::new("/a.png"), 1, 1, &t("width=5"), OutputFormat::Png);
        assert_eq!(cache.read(&key).unwrap(), None);
        cache.write(&key, b"pixels").unwrap();
        assert_eq!(cache.read(&key).unwrap().as_deref(), Some(&b"pixels"[..]));
        // No temporary file is left beside the entry.
        let parent = cache.path(&key).parent().unwrap().to_path_buf();
        let names: Vec<_> = std::fs::read_dir(parent)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from(key.file_name())]);
    }
}
