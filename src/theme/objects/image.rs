//! Small values several objects share: `image` objects and lists of strings, and the index
//! of the catalog's images by URL that `image_tag` reads sizes and alt text from.

use foldhash::HashMap;
use minijinja::Value;

use crate::catalog::{Catalog, Image};

/// What the catalog says of one image: its pixel size and alt text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageFacts {
    pub width: u32,
    pub height: u32,
    pub alt: String,
}

/// The catalog's images (products' and collections'), by `src`. `image_url` returns a plain
/// string, as in Shopify; `image_tag` finds the image behind that string here.
#[derive(Debug, Default)]
pub struct ImageIndex(HashMap<String, ImageFacts>);

impl ImageIndex {
    pub fn build(catalog: &Catalog) -> ImageIndex {
        let products = catalog.products.iter().flat_map(|p| p.images.iter());
        let collections = catalog.collections.iter().filter_map(|c| c.image.as_ref());
        let mut index = HashMap::default();
        for image in products.chain(collections) {
            index
                .entry(image.src.clone())
                .or_insert_with(|| ImageFacts {
                    width: image.width,
                    height: image.height,
                    alt: image.alt.clone(),
                });
        }
        ImageIndex(index)
    }

    /// The image at `src` (a path without query).
    pub fn get(&self, src: &str) -> Option<&ImageFacts> {
        self.0.get(src)
    }
}

/// An `image` object: `src` and `url` are the same path.
pub fn image_value(image: &Image) -> Value {
    Value::from_pairs([
        ("src", Value::from(image.src.as_str())),
        ("url", Value::from(image.src.as_str())),
        ("alt", Value::from(image.alt.as_str())),
        ("width", Value::from(image.width)),
        ("height", Value::from(image.height)),
        ("aspect_ratio", Value::from(image.aspect_ratio())),
    ])
}

/// A `media` object of type image (<https://shopify.dev/docs/api/liquid/objects/media>) for the
/// product's image at `position` (0-based): the catalog holds images only, so every medium is
/// one. `id` is a stable number made from the product id and the position.
pub fn image_media(product_id: i64, position: usize, image: &Image) -> Value {
    let image_object = image_value(image);
    Value::from_pairs([
        (
            "id",
            Value::from(
                product_id
                    .saturating_mul(100)
                    .saturating_add(position as i64 + 1),
            ),
        ),
        ("media_type", Value::from("image")),
        ("position", Value::from(position + 1)),
        ("alt", Value::from(image.alt.as_str())),
        ("aspect_ratio", Value::from(image.aspect_ratio())),
        ("src", Value::from(image.src.as_str())),
        ("url", Value::from(image.src.as_str())),
        ("width", Value::from(image.width)),
        ("height", Value::from(image.height)),
        ("preview_image", image_object),
    ])
}

pub fn opt_image(image: Option<&Image>) -> Value {
    image.map_or(Value::from(()), image_value)
}

pub fn strings(items: &[String]) -> Value {
    Value::from(
        items
            .iter()
            .map(|s| Value::from(s.as_str()))
            .collect::<Vec<_>>(),
    )
}
