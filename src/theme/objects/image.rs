//! Small values several objects share: `image` objects and lists of strings.

use minijinja::Value;

use crate::catalog::Image;

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
