//! The template engine: turning theme files into rendered HTML, independent of what the
//! storefront puts into the templates. The Liquid front end lives here, next to the loader.

pub mod liquid;
