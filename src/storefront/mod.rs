//! The storefront core: the use cases every API dialect and the HTML pages share, in no wire
//! format of its own. It finds the visitor's cart, applies a cart command in one store
//! transaction, builds the theme's `cart` object, renders a bundle of sections against
//! `sections_url` or the `Referer` (a section that fails is `null`), and estimates shipping.
//!
//! The dialects (`api::shopify`, `api::bigcommerce`, `api::elasticpath`) and `pages` sit on this
//! module and only translate: their parameters into its commands, its results into their
//! shapes and errors. See `docs/architecture.md`.

pub mod cart;
pub mod json;
pub mod line_json;
pub mod sections;
pub mod shipping;
pub mod visitor;
pub mod workspace;
