//! Local image resizing, as Shopify's image CDN does it for `image_url`: what a transformation
//! asks for (`transform`), the sizes it gives (`sizing`), decoding, resizing and encoding
//! (`render`), and the disk cache of results (`cache`). Nothing here knows of HTTP or
//! templates; the `/static` handler and the Liquid filters both build on it, so a URL a filter
//! writes and the image the server answers always agree on the size.

pub mod cache;
pub mod render;
pub mod sizing;
pub mod transform;

pub use cache::{CacheKey, DiskCache};
pub use render::{RenderError, render};
pub use sizing::{Plan, plan};
pub use transform::{Crop, OutputFormat, ParamError, SourceKind, Transform};

/// The largest width or height Shopify's image CDN accepts (and so do we).
pub const MAX_DIMENSION: u32 = 5760;
