//! Pixels: decode a source (the `image` crate for PNG, JPEG, WebP and GIF; `resvg` draws an
//! SVG), cut and scale it by the plan of `sizing`, pad it, and encode the answer. CPU work:
//! callers run it off the async threads.

use std::io::Cursor;
use std::sync::{Arc, OnceLock};

use image::imageops::FilterType;
use image::{DynamicImage, ImageFormat, ImageReader, Limits, Rgba, RgbaImage};
use resvg::{tiny_skia, usvg};

use super::sizing::{Plan, plan};
use super::transform::{OutputFormat, SourceKind, Transform};

/// JPEG quality: Shopify's CDN default is close to this; smaller files, no visible loss.
const JPEG_QUALITY: u8 = 85;

/// Sources larger than this on a side are refused before decoding (a bomb of a PNG header
/// cannot make us allocate gigabytes).
const MAX_SOURCE_SIDE: u32 = 16_384;

/// Memory the decoder may take for one source.
const MAX_DECODE_BYTES: u64 = 512 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The source is not a readable image of its kind (or is too large to decode).
    #[error("cannot read the image: {0}")]
    Decode(String),
    #[error("cannot encode the image: {0}")]
    Encode(String),
}

/// An encoded answer.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub bytes: Vec<u8>,
    pub format: OutputFormat,
    pub width: u32,
    pub height: u32,
}

/// Resizes `source` (the bytes of a file of `kind`) as `transform` asks.
pub fn render(
    source: &[u8],
    kind: SourceKind,
    transform: &Transform,
) -> Result<Rendered, RenderError> {
    let (pixels, plan) = match kind {
        SourceKind::Svg => draw_svg(source, transform)?,
        _ => scale_raster(source, kind, transform)?,
    };
    let padded = pad(pixels, &plan, transform.pad_color);
    let format = transform.output_format(kind);
    let bytes = encode(&padded, format, transform.pad_color)?;
    Ok(Rendered {
        bytes,
        format,
        width: padded.width(),
        height: padded.height(),
    })
}

fn decoder_format(kind: SourceKind) -> ImageFormat {
    match kind {
        SourceKind::Png => ImageFormat::Png,
        SourceKind::Jpeg => ImageFormat::Jpeg,
        SourceKind::Webp => ImageFormat::WebP,
        SourceKind::Gif => ImageFormat::Gif,
        // Not reached: SVG is drawn by resvg.
        SourceKind::Svg => ImageFormat::Png,
    }
}

fn scale_raster(
    source: &[u8],
    kind: SourceKind,
    transform: &Transform,
) -> Result<(RgbaImage, Plan), RenderError> {
    let mut reader = ImageReader::with_format(Cursor::new(source), decoder_format(kind));
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SOURCE_SIDE);
    limits.max_image_height = Some(MAX_SOURCE_SIDE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    // A GIF decodes to its first frame.
    let image = reader
        .decode()
        .map_err(|e| RenderError::Decode(e.to_string()))?;
    if image.width() == 0 || image.height() == 0 {
        return Err(RenderError::Decode("the image is empty".into()));
    }
    let plan = plan(
        (f64::from(image.width()), f64::from(image.height())),
        transform,
        false,
    );
    let r = plan.region;
    // Whole source pixels: the plan's region is exact for rasters but for rounding.
    let x = (r.x.round() as u32).min(image.width().saturating_sub(1));
    let y = (r.y.round() as u32).min(image.height().saturating_sub(1));
    let w = (r.width.round() as u32).min(image.width() - x).max(1);
    let h = (r.height.round() as u32).min(image.height() - y).max(1);
    let cut = if (x, y, w, h) == (0, 0, image.width(), image.height()) {
        image
    } else {
        image.crop_imm(x, y, w, h)
    };
    let (tw, th) = plan.scaled;
    let scaled = if (cut.width(), cut.height()) == (tw, th) {
        cut
    } else {
        // Catmull-Rom: as sharp as Lanczos when shrinking photos, at about half the cost.
        cut.resize_exact(tw, th, FilterType::CatmullRom)
    };
    Ok((scaled.into_rgba8(), plan))
}

/// System fonts, loaded once, for the text an SVG may hold.
fn fonts() -> Arc<usvg::fontdb::Database> {
    static FONTS: OnceLock<Arc<usvg::fontdb::Database>> = OnceLock::new();
    FONTS
        .get_or_init(|| {
            let mut db = usvg::fontdb::Database::new();
            db.load_system_fonts();
            Arc::new(db)
        })
        .clone()
}

fn draw_svg(source: &[u8], transform: &Transform) -> Result<(RgbaImage, Plan), RenderError> {
    let mut options = usvg::Options {
        fontdb: fonts(),
        ..usvg::Options::default()
    };
    // A theme's SVG may name any file in `<image href>`; usvg would read it from disk. Only
    // images embedded as data URLs are drawn.
    options.image_href_resolver.resolve_string = Box::new(|_, _| None);
    let tree =
        usvg::Tree::from_data(source, &options).map_err(|e| RenderError::Decode(e.to_string()))?;
    let size = tree.size();
    let plan = plan(
        (f64::from(size.width()), f64::from(size.height())),
        transform,
        true,
    );
    let (w, h) = plan.scaled;
    let mut pixmap = tiny_skia::Pixmap::new(w, h)
        .ok_or_else(|| RenderError::Decode(format!("cannot draw at {w}x{h}")))?;
    let r = plan.region;
    let sx = f64::from(w) / r.width;
    let sy = f64::from(h) / r.height;
    // f32 is what the renderer takes; sizes stay far below its precision limits.
    let placement = tiny_skia::Transform::from_scale(sx as f32, sy as f32)
        .pre_translate(-(r.x as f32), -(r.y as f32));
    resvg::render(&tree, placement, &mut pixmap.as_mut());
    let mut rgba = Vec::with_capacity(pixmap.pixels().len() * 4);
    for pixel in pixmap.pixels() {
        let c = pixel.demultiply();
        rgba.extend_from_slice(&[c.red(), c.green(), c.blue(), c.alpha()]);
    }
    let image = RgbaImage::from_raw(w, h, rgba)
        .ok_or_else(|| RenderError::Decode("the drawn image has the wrong size".into()))?;
    Ok((image, plan))
}

/// Puts the scaled image on the plan's canvas filled with `pad_color` (when the canvas is
/// larger than the image, which only padding makes it).
fn pad(image: RgbaImage, plan: &Plan, pad_color: Option<[u8; 3]>) -> RgbaImage {
    let (cw, ch) = plan.canvas;
    if (cw, ch) == (image.width(), image.height()) {
        return image;
    }
    let [r, g, b] = pad_color.unwrap_or([255, 255, 255]);
    let mut canvas = RgbaImage::from_pixel(cw, ch, Rgba([r, g, b, 255]));
    image::imageops::overlay(
        &mut canvas,
        &image,
        i64::from(plan.offset.0),
        i64::from(plan.offset.1),
    );
    canvas
}

fn encode(
    image: &RgbaImage,
    format: OutputFormat,
    pad_color: Option<[u8; 3]>,
) -> Result<Vec<u8>, RenderError> {
    let mut out = Vec::new();
    let failed = |e: image::ImageError| RenderError::Encode(e.to_string());
    match format {
        OutputFormat::Png => DynamicImage::ImageRgba8(image.clone())
            .write_with_encoder(image::codecs::png::PngEncoder::new(&mut out))
            .map_err(failed)?,
        // The `image` crate writes lossless WebP only: larger than the CDN's, but exact.
        OutputFormat::Webp => DynamicImage::ImageRgba8(image.clone())
            .write_with_encoder(image::codecs::webp::WebPEncoder::new_lossless(&mut out))
            .map_err(failed)?,
        OutputFormat::Jpg | OutputFormat::Pjpg => {
            let flat = flatten(image, pad_color.unwrap_or([255, 255, 255]));
            DynamicImage::ImageRgb8(flat)
                .write_with_encoder(image::codecs::jpeg::JpegEncoder::new_with_quality(
                    &mut out,
                    JPEG_QUALITY,
                ))
                .map_err(failed)?
        }
    }
    Ok(out)
}

/// JPEG has no transparency: transparent pixels show `background` (the pad color, else white).
fn flatten(image: &RgbaImage, background: [u8; 3]) -> image::RgbImage {
    image::RgbImage::from_fn(image.width(), image.height(), |x, y| {
        let Rgba([r, g, b, a]) = *image.get_pixel(x, y);
        let mix = |c: u8, bg: u8| {
            let (c, bg, a) = (u32::from(c), u32::from(bg), u32::from(a));
            // Rounded integer blend; the result is at most 255.
            ((c * a + bg * (255 - a) + 127) / 255) as u8
        };
        image::Rgb([
            mix(r, background[0]),
            mix(g, background[1]),
            mix(b, background[2]),
        ])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(query: &str) -> Transform {
        Transform::from_query(query)
            .expect("valid parameters")
            .expect("a size is asked")
    }

    fn png(width: u32, height: u32) -> Vec<u8> {
        let image = RgbaImage::from_fn(width, height, |x, _| {
            if x < width / 2 {
                Rgba([255, 0, 0, 255])
            } else {
                Rgba([0, 0, 255, 255])
            }
        });
        let mut out = Vec::new();
        DynamicImage::ImageRgba8(image)
            .write_with_encoder(image::codecs::png::PngEncoder::new(&mut out))
            .expect("encode");
        out
    }

    fn decode(rendered: &Rendered) -> DynamicImage {
        image::load_from_memory(&rendered.bytes).expect("a readable answer")
    }

    const SVG: &[u8] = br##"<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100" viewBox="0 0 200 100"><rect width="100" height="100" fill="#f00"/><rect x="100" width="100" height="100" fill="#00f"/></svg>"##;

    #[test]
    fn raster_width_keeps_ratio_and_format() {
        let out = render(&png(400, 200), SourceKind::Png, &t("width=100")).unwrap();
        assert_eq!(out.format, OutputFormat::Png);
        let image = decode(&out);
        assert_eq!((image.width(), image.height()), (100, 50));
    }

    #[test]
    fn raster_is_not_enlarged() {
        let out = render(&png(40, 20), SourceKind::Png, &t("width=400")).unwrap();
        assert_eq!((out.width, out.height), (40, 20));
    }

    #[test]
    fn crop_left_keeps_the_left_half() {
        let out = render(
            &png(400, 200),
            SourceKind::Png,
            &t("width=100&height=100&crop=left"),
        )
        .unwrap();
        let image = decode(&out).into_rgba8();
        assert_eq!(image.dimensions(), (100, 100));
        assert_eq!(image.get_pixel(90, 50).0, [255, 0, 0, 255]);
    }

    #[test]
    fn pad_color_fills_the_box() {
        let out = render(
            &png(400, 200),
            SourceKind::Png,
            &t("width=100&height=100&pad_color=00ff00"),
        )
        .unwrap();
        let image = decode(&out).into_rgba8();
        assert_eq!(image.dimensions(), (100, 100));
        assert_eq!(image.get_pixel(50, 5).0, [0, 255, 0, 255]);
        assert_eq!(image.get_pixel(5, 50).0, [255, 0, 0, 255]);
    }

    #[test]
    fn svg_is_drawn_at_the_asked_width() {
        let out = render(SVG, SourceKind::Svg, &t("width=1000")).unwrap();
        assert_eq!(out.format, OutputFormat::Png);
        let image = decode(&out).into_rgba8();
        assert_eq!(image.dimensions(), (1000, 500));
        assert_eq!(image.get_pixel(10, 10).0, [255, 0, 0, 255]);
        assert_eq!(image.get_pixel(990, 490).0, [0, 0, 255, 255]);
    }

    #[test]
    fn svg_crop_right_shows_the_right_part() {
        let out = render(SVG, SourceKind::Svg, &t("width=50&height=50&crop=right")).unwrap();
        let image = decode(&out).into_rgba8();
        assert_eq!(image.dimensions(), (50, 50));
        assert_eq!(image.get_pixel(25, 25).0, [0, 0, 255, 255]);
    }

    #[test]
    fn formats_are_encoded_as_asked() {
        for (format, guess) in [
            ("jpg", ImageFormat::Jpeg),
            ("pjpg", ImageFormat::Jpeg),
            ("webp", ImageFormat::WebP),
            ("png", ImageFormat::Png),
        ] {
            let out = render(
                SVG,
                SourceKind::Svg,
                &t(&format!("width=20&format={format}")),
            )
            .unwrap();
            assert_eq!(image::guess_format(&out.bytes).unwrap(), guess, "{format}");
            assert_eq!(decode(&out).width(), 20);
        }
    }

    #[test]
    fn broken_sources_are_errors_not_panics() {
        assert!(matches!(
            render(b"not a png", SourceKind::Png, &t("width=10")),
            Err(RenderError::Decode(_))
        ));
        assert!(matches!(
            render(b"<svg", SourceKind::Svg, &t("width=10")),
            Err(RenderError::Decode(_))
        ));
        assert!(render(b"", SourceKind::Gif, &t("width=10")).is_err());
    }

    #[test]
    fn svg_never_reads_files_it_names() {
        // usvg would draw a referenced SVG file from disk; ours draws nothing in its place.
        let dir = tempfile::tempdir().expect("temp dir");
        let red = dir.path().join("red.svg");
        std::fs::write(
            &red,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10" fill="red"/></svg>"#,
        )
        .expect("write");
        let svg = format!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><image href="{}" width="10" height="10"/></svg>"#,
            red.display()
        );
        let out = render(svg.as_bytes(), SourceKind::Svg, &t("width=10")).unwrap();
        assert_eq!(decode(&out).into_rgba8().get_pixel(5, 5).0[3], 0);
    }
}
