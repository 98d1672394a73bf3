//! Liquid's standard filters, registered under `liquid_<name>` so that they never collide with
//! the theme's own filters (the lowering maps `| upcase` to `| liquid_upcase`).

use minijinja::Environment;

/// Adds every standard Liquid filter to `env`.
pub fn register(_env: &mut Environment<'_>) {}
