//! vitrine: a storefront server. A cart store in SQLite, a section renderer on minijinja, and
//! Shopify, BigCommerce and Elastic Path cart APIs over the same carts.

pub mod api;
pub mod catalog;
pub mod theme;
