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
        let (width, height) = SHOP_IMAGE_SIZE;
        index.insert(
            SHOP_IMAGE_STAND_IN.to_owned(),
            ImageFacts {
                width,
                height,
                alt: String::new(),
            },
        );
        ImageIndex(index)
    }

    /// The image at `src` (a path without query).
    pub fn get(&self, src: &str) -> Option<&ImageFacts> {
        self.0.get(src)
    }
}

/// Where an image setting that names a file of the store's Files
/// (`shopify://shop_images/logo.png`) points: the store is not here to read it from, so every
/// such setting shows one stand-in image (`static/files/shop-image.svg`, 1200 x 600). Themes
/// size logos and banners from its width, height and aspect ratio, so it must have them.
pub const SHOP_IMAGE_STAND_IN: &str = "/static/files/shop-image.svg";
const SHOP_IMAGE_SIZE: (u32, u32) = (1200, 600);

/// The `image` object for a `shopify://shop_images/NAME` reference, `None` for any other value.
pub fn shop_image(reference: &str) -> Option<Value> {
    let name = reference.strip_prefix("shopify://shop_images/")?;
    if name.is_empty() {
        return None;
    }
    let (width, height) = SHOP_IMAGE_SIZE;
    Some(image_value(&Image {
        src: SHOP_IMAGE_STAND_IN.to_owned(),
        alt: String::new(),
        width,
        height,
    }))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shop_image_stand_in_has_the_size_its_objects_say() {
        let svg = include_str!("../../../static/files/shop-image.svg");
        let (w, h) = SHOP_IMAGE_SIZE;
        assert!(svg.contains(&format!("width=\"{w}\" height=\"{h}\"")));
        let image = shop_image("shopify://shop_images/logo.png").expect("a shop image");
        assert_eq!(image.get_attr("width").ok(), Some(Value::from(w)));
        assert_eq!(image.get_attr("aspect_ratio").ok(), Some(Value::from(2.0)));
        assert!(shop_image("https://example.com/x.png").is_none());
        assert!(shop_image("shopify://shop_images/").is_none());
    }
}
