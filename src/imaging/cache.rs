//! Resized images on disk, each written once and read back afterwards.
//!
//! The key is a digest of the source's path, its modification time and length, and the
//! transformation, so an edited source gets new entries (the old ones are simply never asked
//! for again). Entries are written to a temporary file and renamed into place: a reader sees a
//! whole file or none, even while another request writes the same entry.
//!
//! The cache is bounded: the housekeeping sweep calls [`DiskCache::trim`], which removes the
//! entries written longest ago until the rest fit in [`MAX_CACHE_BYTES`] (a removed entry is
//! made again when asked for), and temporary files a crashed writer left behind.

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

/// The most the image cache keeps on disk.
pub const MAX_CACHE_BYTES: u64 = 512 * 1024 * 1024;

/// A temporary file older than this is a crashed writer's, not one being written.
const STALE_TEMP: std::time::Duration = std::time::Duration::from_secs(3600);

/// What a trim did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Trimmed {
    pub removed: usize,
    pub kept_bytes: u64,
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

    /// Removes the entries written longest ago until the others hold at most `max_bytes`, and
    /// stale temporary files. Blocking: file system work.
    pub fn trim(&self, max_bytes: u64) -> io::Result<Trimmed> {
        let mut entries = Vec::new();
        let mut trimmed = Trimmed::default();
        let shards = match std::fs::read_dir(&self.dir) {
            Ok(shards) => shards,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(trimmed),
            Err(e) => return Err(e),
        };
        let now = std::time::SystemTime::now();
        for shard in shards.flatten() {
            let Ok(files) = std::fs::read_dir(shard.path()) else {
                continue;
            };
            for file in files.flatten() {
                let Ok(meta) = file.metadata() else { continue };
                if !meta.is_file() {
                    continue;
                }
                let written = meta.modified().unwrap_or(UNIX_EPOCH);
                let is_temp = file.file_name().to_string_lossy().ends_with(".tmp");
                if is_temp {
                    let old = now
                        .duration_since(written)
                        .is_ok_and(|age| age > STALE_TEMP);
                    if old && std::fs::remove_file(file.path()).is_ok() {
                        trimmed.removed += 1;
                    }
                    continue;
                }
                entries.push((written, meta.len(), file.path()));
            }
        }
        // Newest first: the ones kept.
        entries.sort_by_key(|entry| std::cmp::Reverse(entry.0));
        for (_, len, path) in entries {
            if trimmed.kept_bytes.saturating_add(len) <= max_bytes {
                trimmed.kept_bytes += len;
            } else if std::fs::remove_file(&path).is_ok() {
                trimmed.removed += 1;
            }
        }
        Ok(trimmed)
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

    #[test]
    fn trim_keeps_the_newest_entries_that_fit_and_drops_stale_temporaries() {
        let dir = tempfile::tempdir().expect("temp dir");
        let cache = DiskCache::new(dir.path());
        let shard = dir.path().join("ab");
        std::fs::create_dir_all(&shard).expect("shard");
        let base = std::time::SystemTime::now() - std::time::Duration::from_secs(7200);
        for i in 0..5u64 {
            let path = shard.join(format!("ab{i}.png"));
            std::fs::write(&path, vec![0u8; 1000]).expect("entry");
            let file = std::fs::File::options()
                .write(true)
                .open(&path)
                .expect("open");
            file.set_modified(base + std::time::Duration::from_secs(i * 60))
                .expect("mtime");
        }
        let temp = shard.join(".ab9.png.1.1.tmp");
        std::fs::write(&temp, b"half").expect("temp");
        let file = std::fs::File::options()
            .write(true)
            .open(&temp)
            .expect("open");
        file.set_modified(base).expect("mtime");

        let trimmed = cache.trim(2500).expect("trim");
        assert_eq!(
            trimmed,
            Trimmed {
                removed: 4,
                kept_bytes: 2000
            }
        );
        let mut left: Vec<String> = std::fs::read_dir(&shard)
            .expect("read")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, ["ab3.png", "ab4.png"]);
        assert_eq!(
            DiskCache::new(dir.path().join("none"))
                .trim(1)
                .expect("absent"),
            Trimmed::default()
        );
    }

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
