//! The bounded, jittered backoff between attempts on PostgreSQL (serialization failures,
//! deadlocks, migration races between nodes starting at once).

use std::time::Duration;

/// Attempts of one operation when the database reports a serialization failure or deadlock.
pub const MAX_ATTEMPTS: u32 = 8;

/// The first retry waits up to this long; each next one up to twice as long as the last.
const BACKOFF_BASE: Duration = Duration::from_millis(4);
const BACKOFF_CAP: Duration = Duration::from_millis(250);

/// A random wait in `0..=min(cap, base * 2^attempt)` ("full jitter"), so nodes that collided
/// do not collide again in step.
pub fn backoff(attempt: u32) -> Duration {
    let ceiling = BACKOFF_BASE
        .saturating_mul(1u32 << attempt.min(16))
        .min(BACKOFF_CAP);
    let micros = u64::try_from(ceiling.as_micros()).unwrap_or(u64::MAX);
    Duration::from_micros(rand::random_range(0..=micros))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_grow_up_to_the_cap_and_vary() {
        for attempt in 0..40 {
            let ceiling = BACKOFF_BASE
                .saturating_mul(1u32 << attempt.min(16))
                .min(BACKOFF_CAP);
            assert!(backoff(attempt) <= ceiling);
        }
        let waits: std::collections::HashSet<Duration> = (0..32).map(|_| backoff(6)).collect();
        assert!(waits.len() > 1, "jittered, not fixed");
    }
}
