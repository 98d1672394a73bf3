//! The Liquid front end: Liquid source is read by our own lexer and parser and lowered onto
//! minijinja, so `.liquid` and `.html` files share one engine. See `docs/liquid.md`.

pub mod filters;
pub mod value;
