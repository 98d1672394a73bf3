//! The writer's memory of the carts it last committed, so a mutation of a busy cart starts from
//! memory instead of re-reading and re-parsing its rows (a quarter of the writer's time on an
//! add to a ten-line cart).
//!
//! Only the writer thread uses it, inside its transactions. What a transaction writes is staged
//! and becomes the cached state only once the COMMIT succeeded; a job that fails takes its
//! staged changes back with its savepoint, and a failed batch drops them all. Anything the cache
//! cannot vouch for is a miss, and a miss reads the database, so the database stays the truth:
//! another process's commit (seen through `PRAGMA data_version`) or a job that runs outside a
//! batch empties it.

use std::sync::Arc;

use hashlink::LruCache;

use crate::cart::Cart;

/// Carts kept. The carts being changed right now are the ones worth keeping.
const CAPACITY: usize = 512;

/// Longer carts are not kept, which bounds the memory: 512 carts of 64 lines at most.
const MAX_LINES: usize = 64;

pub struct CartCache {
    /// Shared with the answer of the write that left each cart so, instead of copied.
    committed: LruCache<String, Arc<Cart>>,
    /// The open transaction's writes, in order: `None` where a cart was deleted.
    staged: Vec<(String, Option<Arc<Cart>>)>,
    /// The open transaction deleted carts the cache cannot name (an expiry sweep).
    staged_clear: bool,
    /// The database's `data_version` when the cache was last known to be in step with it.
    data_version: Option<i64>,
}

/// How far the open transaction had staged when a job began; see [`CartCache::rollback_to`].
#[derive(Debug, Clone, Copy)]
pub struct Mark {
    staged: usize,
    staged_clear: bool,
}

impl Default for CartCache {
    fn default() -> Self {
        CartCache {
            committed: LruCache::new(CAPACITY),
            staged: Vec::new(),
            staged_clear: false,
            data_version: None,
        }
    }
}

impl CartCache {
    /// The cart as this transaction would read it, when the cache knows it. Taking a committed
    /// entry removes it: the job writes its successor or fails, and either way the next job
    /// must not start from it unseen.
    pub fn take(&mut self, id: &str) -> Option<Arc<Cart>> {
        if let Some((_, staged)) = self.staged.iter().rev().find(|(staged, _)| staged == id) {
            return staged.clone();
        }
        if self.staged_clear {
            return None;
        }
        self.committed.remove(id)
    }

    /// Records the cart this transaction wrote; `None` when it deleted it.
    pub fn stage(&mut self, id: &str, cart: Option<&Arc<Cart>>) {
        let cart = cart.filter(|c| c.lines.len() <= MAX_LINES).cloned();
        // A long cart is staged as unknown, so a later job in the batch reads the database.
        self.staged.push((id.to_string(), cart));
    }

    /// Records that this transaction deleted carts the cache cannot name.
    pub fn stage_clear(&mut self) {
        self.staged_clear = true;
    }

    pub fn mark(&self) -> Mark {
        Mark {
            staged: self.staged.len(),
            staged_clear: self.staged_clear,
        }
    }

    /// Forgets what was staged since `mark`: that job's savepoint was rolled back.
    pub fn rollback_to(&mut self, mark: Mark) {
        self.staged.truncate(mark.staged);
        self.staged_clear = mark.staged_clear;
    }

    /// The transaction committed: what it staged is now the truth.
    pub fn committed(&mut self) {
        if std::mem::take(&mut self.staged_clear) {
            self.committed.clear();
        }
        for (id, cart) in self.staged.drain(..) {
            match cart {
                Some(cart) => {
                    self.committed.insert(id, cart);
                }
                None => {
                    self.committed.remove(&id);
                }
            }
        }
    }

    /// The transaction rolled back: nothing it staged happened.
    pub fn rolled_back(&mut self) {
        self.staged.clear();
        self.staged_clear = false;
    }

    /// Forgets everything: the database was changed by means the cache did not see.
    pub fn clear(&mut self) {
        self.committed.clear();
        self.rolled_back();
        self.data_version = None;
    }

    /// Called at the start of each transaction with the database's `PRAGMA data_version`,
    /// which moves when another connection commits: then whatever is cached may be stale.
    pub fn check_data_version(&mut self, version: i64) {
        if self.data_version != Some(version) {
            self.committed.clear();
            self.data_version = Some(version);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cart(id: &str, note: &str) -> Arc<Cart> {
        let mut cart = Cart::new(id.into(), "USD", chrono::Utc::now());
        cart.note = Some(note.into());
        Arc::new(cart)
    }

    fn note(cart: Option<Arc<Cart>>) -> Option<String> {
        cart.and_then(|c| c.note.clone())
    }

    fn cache_with(carts: &[Arc<Cart>]) -> CartCache {
        let mut cache = CartCache::default();
        cache.check_data_version(1);
        for c in carts {
            cache.stage(&c.id, Some(c));
        }
        cache.committed();
        cache
    }

    #[test]
    fn only_committed_writes_are_remembered() {
        let mut cache = cache_with(&[]);
        cache.stage("a", Some(&cart("a", "one")));
        assert_eq!(
            note(cache.take("a")).as_deref(),
            Some("one"),
            "seen in its batch"
        );
        cache.rolled_back();
        assert!(cache.take("a").is_none());

        cache.stage("a", Some(&cart("a", "two")));
        cache.committed();
        assert_eq!(note(cache.take("a")).as_deref(), Some("two"));
    }

    #[test]
    fn a_failed_job_takes_back_only_its_own_writes() {
        let mut cache = cache_with(&[]);
        cache.stage("a", Some(&cart("a", "kept")));
        let mark = cache.mark();
        cache.stage("a", Some(&cart("a", "refused")));
        cache.stage_clear();
        cache.rollback_to(mark);
        cache.committed();
        assert_eq!(note(cache.take("a")).as_deref(), Some("kept"));
    }

    #[test]
    fn a_taken_cart_is_not_handed_out_twice() {
        let mut cache = cache_with(&[cart("a", "one")]);
        assert!(cache.take("a").is_some());
        // The job that took it failed before staging anything: read the database next time.
        cache.rolled_back();
        assert!(cache.take("a").is_none());
    }

    #[test]
    fn deletions_and_sweeps_are_misses() {
        let mut cache = cache_with(&[cart("a", "one"), cart("b", "two")]);
        cache.stage("a", None);
        assert!(cache.take("a").is_none());
        cache.committed();
        assert!(cache.take("a").is_none());

        cache.stage_clear();
        assert!(
            cache.take("b").is_none(),
            "a sweep in this batch may have removed it"
        );
        cache.committed();
        assert!(cache.take("b").is_none());
    }

    #[test]
    fn another_connections_commit_empties_the_cache() {
        let mut cache = cache_with(&[cart("a", "one"), cart("b", "two")]);
        cache.check_data_version(1);
        assert!(cache.take("a").is_some());
        cache.check_data_version(2);
        assert!(cache.take("b").is_none());
    }

    #[test]
    fn long_carts_are_not_kept() {
        let mut long = Cart::clone(&cart("a", "long"));
        let item = crate::cart::LineItem::Variant {
            variant_id: 1,
            selling_plan: None,
            parent_id: None,
        };
        let line = crate::cart::Line::new(item, 1, long.created_at);
        long.lines = vec![line; MAX_LINES + 1];
        let mut cache = cache_with(&[cart("a", "short")]);
        cache.stage("a", Some(&Arc::new(long)));
        assert!(
            cache.take("a").is_none(),
            "unknown, not the older short cart"
        );
        cache.committed();
        assert!(cache.take("a").is_none());
    }
}
