//! The template engine: loading theme files and compiling them (the minijinja dialect, and
//! Liquid through its front end), rendering sections and pages, errors at file and line, live
//! reload and `vitrine check`. It puts the storefront's objects (`super::objects`) into the
//! templates but knows nothing of where they come from.

pub mod check;
pub mod closest;
pub mod error;
pub mod files;
pub mod liquid;
pub mod live;
pub mod loader;
pub mod os2;
pub mod render;
pub mod schema;
pub mod watch;
