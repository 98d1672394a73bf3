//! The API dialects. Each is a thin module over the one cart model, with its own router,
//! request parsing, response shapes and error type.

pub mod body;
