//! What a resized image is asked to be: Shopify's `image_url` parameters (`width`, `height`,
//! `crop`, `pad_color`, `format`), read from a URL's query and written back in one stable
//! order, and the kinds of source files that can be resized.
//! Reference: shopify.dev "Liquid filters: image_url".

use std::fmt;
use std::path::Path;

use super::MAX_DIMENSION;

/// Which part of the image to keep when the asked box has another aspect ratio than the
/// source. `Region` cuts an exact rectangle of the source (in source pixels) first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Crop {
    Center,
    Top,
    Bottom,
    Left,
    Right,
    Region {
        left: u32,
        top: u32,
        width: u32,
        height: u32,
    },
}

impl Crop {
    fn name(self) -> &'static str {
        match self {
            Crop::Center => "center",
            Crop::Top => "top",
            Crop::Bottom => "bottom",
            Crop::Left => "left",
            Crop::Right => "right",
            Crop::Region { .. } => "region",
        }
    }
}

/// The encoding of the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    Jpg,
    /// Shopify's progressive JPEG. The encoder we use writes baseline JPEG only, which every
    /// browser shows the same way; only the loading order differs.
    Pjpg,
    Png,
    Webp,
}

impl OutputFormat {
    pub fn parse(name: &str) -> Option<OutputFormat> {
        match name.to_ascii_lowercase().as_str() {
            "jpg" | "jpeg" => Some(OutputFormat::Jpg),
            "pjpg" => Some(OutputFormat::Pjpg),
            "png" => Some(OutputFormat::Png),
            "webp" => Some(OutputFormat::Webp),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            OutputFormat::Jpg => "jpg",
            OutputFormat::Pjpg => "pjpg",
            OutputFormat::Png => "png",
            OutputFormat::Webp => "webp",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            OutputFormat::Jpg | OutputFormat::Pjpg => "image/jpeg",
            OutputFormat::Png => "image/png",
            OutputFormat::Webp => "image/webp",
        }
    }

    /// The file extension of a cached result.
    pub fn extension(self) -> &'static str {
        match self {
            OutputFormat::Jpg | OutputFormat::Pjpg => "jpg",
            OutputFormat::Png => "png",
            OutputFormat::Webp => "webp",
        }
    }
}

/// A source file that can be resized, known by its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    Png,
    Jpeg,
    Webp,
    Gif,
    Svg,
}

impl SourceKind {
    /// `None` for any other file (a `.ico`, a stylesheet): Shopify serves those unchanged.
    pub fn from_path(path: &str) -> Option<SourceKind> {
        let ext = Path::new(path).extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "png" => Some(SourceKind::Png),
            "jpg" | "jpeg" => Some(SourceKind::Jpeg),
            "webp" => Some(SourceKind::Webp),
            "gif" => Some(SourceKind::Gif),
            "svg" => Some(SourceKind::Svg),
            _ => None,
        }
    }

    /// Raster sources are never enlarged; an SVG has no pixel size and is drawn at any size.
    pub fn scalable(self) -> bool {
        self == SourceKind::Svg
    }

    /// The format answered when none is asked: the source's own, PNG for an SVG (drawn into
    /// pixels) and for a GIF (its first frame; animation is not kept).
    pub fn default_output(self) -> OutputFormat {
        match self {
            SourceKind::Jpeg => OutputFormat::Jpg,
            SourceKind::Webp => OutputFormat::Webp,
            SourceKind::Png | SourceKind::Gif | SourceKind::Svg => OutputFormat::Png,
        }
    }
}

/// A parameter that cannot be honoured; the message is short enough to answer as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamError(pub String);

impl fmt::Display for ParamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ParamError {}

/// The parameters of one resize. At least one of `width` and `height` is set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transform {
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub crop: Option<Crop>,
    /// RGB, from a hex code such as `fff` or `f0e6d2`.
    pub pad_color: Option<[u8; 3]>,
    pub format: Option<OutputFormat>,
}

/// The query parameters a transformation reads, in the order they are written.
pub const PARAM_NAMES: &[&str] = &[
    "width",
    "height",
    "crop",
    "crop_left",
    "crop_top",
    "crop_width",
    "crop_height",
    "format",
    "pad_color",
];

impl Transform {
    /// Reads the parameters from `(name, value)` pairs (the first of a repeated name counts;
    /// unknown names such as `v` are ignored). `Ok(None)` when neither width nor height is
    /// asked: the file is then served as it is.
    pub fn from_pairs<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Option<Transform>, ParamError> {
        let mut found: [Option<&str>; PARAM_NAMES.len()] = [None; PARAM_NAMES.len()];
        for (name, value) in pairs {
            if let Some(i) = PARAM_NAMES.iter().position(|n| *n == name)
                && found[i].is_none()
            {
                found[i] = Some(value);
            }
        }
        let get = |name: &str| {
            PARAM_NAMES
                .iter()
                .position(|n| *n == name)
                .and_then(|i| found[i])
        };
        let width = get("width").map(|v| dimension("width", v)).transpose()?;
        let height = get("height").map(|v| dimension("height", v)).transpose()?;
        if width.is_none() && height.is_none() {
            return Ok(None);
        }
        let crop = match get("crop") {
            None => None,
            Some(name) => Some(crop(name, &get)?),
        };
        let pad_color = get("pad_color").map(hex_color).transpose()?;
        let format = match get("format") {
            None => None,
            Some(name) => Some(
                OutputFormat::parse(name)
                    .ok_or_else(|| ParamError("format must be jpg, pjpg, png or webp".into()))?,
            ),
        };
        Ok(Some(Transform {
            width,
            height,
            crop,
            pad_color,
            format,
        }))
    }

    /// Reads a URL's query string (`width=400&crop=top`).
    pub fn from_query(query: &str) -> Result<Option<Transform>, ParamError> {
        let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        Transform::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    }

    /// The parameters as query pairs, in `PARAM_NAMES` order, only those set.
    pub fn query_pairs(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if let Some(w) = self.width {
            out.push(("width", w.to_string()));
        }
        if let Some(h) = self.height {
            out.push(("height", h.to_string()));
        }
        if let Some(crop) = self.crop {
            out.push(("crop", crop.name().to_string()));
            if let Crop::Region {
                left,
                top,
                width,
                height,
            } = crop
            {
                out.push(("crop_left", left.to_string()));
                out.push(("crop_top", top.to_string()));
                out.push(("crop_width", width.to_string()));
                out.push(("crop_height", height.to_string()));
            }
        }
        if let Some(format) = self.format {
            out.push(("format", format.name().to_string()));
        }
        if let Some([r, g, b]) = self.pad_color {
            out.push(("pad_color", format!("{r:02x}{g:02x}{b:02x}")));
        }
        out
    }

    /// One line naming every parameter, for the cache key: two transformations that answer
    /// the same image write the same line.
    pub fn canonical(&self) -> String {
        self.query_pairs()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&")
    }

    pub fn output_format(&self, source: SourceKind) -> OutputFormat {
        self.format.unwrap_or(source.default_output())
    }
}

fn dimension(name: &str, value: &str) -> Result<u32, ParamError> {
    match value.trim().parse::<u32>() {
        Ok(n) if (1..=MAX_DIMENSION).contains(&n) => Ok(n),
        _ => Err(ParamError(format!(
            "{name} must be a whole number from 1 to {MAX_DIMENSION}"
        ))),
    }
}

fn crop<'a>(name: &str, get: &impl Fn(&str) -> Option<&'a str>) -> Result<Crop, ParamError> {
    Ok(match name.to_ascii_lowercase().as_str() {
        "center" => Crop::Center,
        "top" => Crop::Top,
        "bottom" => Crop::Bottom,
        "left" => Crop::Left,
        "right" => Crop::Right,
        "region" => {
            let number = |key: &str, min: u32| -> Result<u32, ParamError> {
                get(key)
                    .and_then(|v| v.trim().parse::<u32>().ok())
                    .filter(|n| *n >= min)
                    .ok_or_else(|| {
                        ParamError(format!(
                            "crop=region needs crop_left, crop_top, crop_width and crop_height \
                             (whole numbers; {key} is missing or wrong)"
                        ))
                    })
            };
            Crop::Region {
                left: number("crop_left", 0)?,
                top: number("crop_top", 0)?,
                width: number("crop_width", 1)?,
                height: number("crop_height", 1)?,
            }
        }
        _ => {
            return Err(ParamError(
                "crop must be center, top, bottom, left, right or region".into(),
            ));
        }
    })
}

/// `fff`, `f0e6d2` or the same with `#`.
pub fn hex_color(value: &str) -> Result<[u8; 3], ParamError> {
    let digits = value.trim().trim_start_matches('#');
    let bad = || ParamError("pad_color must be a hex color such as fff or f0e6d2".into());
    if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad());
    }
    let channel = |s: &str| u8::from_str_radix(s, 16).map_err(|_| bad());
    match digits.len() {
        3 => {
            let mut out = [0u8; 3];
            for (i, c) in digits.chars().enumerate() {
                let v = channel(&c.to_string())?;
                out[i] = v * 17;
            }
            Ok(out)
        }
        6 => Ok([
            channel(&digits[0..2])?,
            channel(&digits[2..4])?,
            channel(&digits[4..6])?,
        ]),
        _ => Err(bad()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(query: &str) -> Result<Option<Transform>, ParamError> {
        Transform::from_query(query)
    }

    #[test]
    fn no_size_means_the_original() {
        assert_eq!(parse(""), Ok(None));
        assert_eq!(parse("v=123"), Ok(None));
        assert_eq!(parse("format=png&crop=top"), Ok(None));
    }

    #[test]
    fn sizes_are_whole_numbers_from_1_to_5760() {
        for bad in ["0", "5761", "-1", "abc", "", "1.5", "99999999999"] {
            let err = parse(&format!("width={bad}")).unwrap_err();
            assert_eq!(
                err.0, "width must be a whole number from 1 to 5760",
                "{bad}"
            );
        }
        assert!(parse("height=0").is_err());
        let t = parse("width=5760&height=1").unwrap().unwrap();
        assert_eq!((t.width, t.height), (Some(5760), Some(1)));
    }

    #[test]
    fn reads_every_parameter_and_writes_them_in_one_order() {
        let t = parse("pad_color=%23FFF&format=WEBP&crop=Top&height=300&width=400&v=9")
            .unwrap()
            .unwrap();
        assert_eq!(t.crop, Some(Crop::Top));
        assert_eq!(t.pad_color, Some([255, 255, 255]));
        assert_eq!(t.format, Some(OutputFormat::Webp));
        assert_eq!(
            t.canonical(),
            "width=400&height=300&crop=top&format=webp&pad_color=ffffff"
        );
    }

    #[test]
    fn region_needs_its_rectangle() {
        let t =
            parse("width=100&crop=region&crop_left=10&crop_top=20&crop_width=30&crop_height=40")
                .unwrap()
                .unwrap();
        assert_eq!(
            t.crop,
            Some(Crop::Region {
                left: 10,
                top: 20,
                width: 30,
                height: 40
            })
        );
        assert!(parse("width=100&crop=region&crop_left=10").is_err());
        assert!(
            parse("width=100&crop=region&crop_left=0&crop_top=0&crop_width=0&crop_height=5")
                .is_err()
        );
    }

    #[test]
    fn refuses_unknown_crops_formats_and_colors() {
        assert_eq!(
            parse("width=1&crop=middle").unwrap_err().0,
            "crop must be center, top, bottom, left, right or region"
        );
        assert!(parse("width=1&format=avif").is_err());
        assert!(parse("width=1&pad_color=ffff").is_err());
        assert!(parse("width=1&pad_color=ggg").is_err());
        assert_eq!(hex_color("f0e6d2"), Ok([0xf0, 0xe6, 0xd2]));
        assert_eq!(hex_color("#abc"), Ok([0xaa, 0xbb, 0xcc]));
    }

    #[test]
    fn source_kinds_by_extension() {
        assert_eq!(SourceKind::from_path("a/b.SVG"), Some(SourceKind::Svg));
        assert_eq!(SourceKind::from_path("b.jpeg"), Some(SourceKind::Jpeg));
        assert_eq!(SourceKind::from_path("favicon.ico"), None);
        assert_eq!(SourceKind::from_path("base.css"), None);
        assert_eq!(SourceKind::Gif.default_output(), OutputFormat::Png);
        assert_eq!(SourceKind::Jpeg.default_output(), OutputFormat::Jpg);
    }
}
