//! The storefront's object model as templates see it: `product`, `collection`, `cart`, money,
//! locales and translations, the filters, and the per-page context. Plain values and minijinja
//! objects; nothing here loads or renders a template.

pub mod catalog;
pub mod collection;
pub mod content;
pub mod context;
pub mod country;
pub mod dynamic;
pub mod filters;
pub mod fragments;
pub mod html;
pub mod image;
pub mod image_filters;
pub mod keyed;
pub mod locale;
pub mod money;
pub mod product;
pub mod shopify_filters;
pub mod values;
pub mod video_url;
