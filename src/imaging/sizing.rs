//! The size arithmetic of a resize, apart from any pixels so it can be tested alone and shared
//! with the filters (`image_tag` writes the `width`/`height` the endpoint will answer).
//!
//! Shopify's rules: a width alone (or a height alone) keeps the aspect ratio; both fit the image
//! inside the box, unless `crop` is given, which fills the box and cuts what overflows;
//! `pad_color` fills the rest of the box around a fitted image. A raster source is never
//! enlarged: when the asked box is larger than the source allows, the box shrinks, keeping its
//! own aspect ratio. An SVG has no pixel size, so it is drawn at the asked size (its intrinsic
//! `width`/`height` or `viewBox` give only the aspect ratio).

use super::transform::{Crop, Transform};

/// A rectangle of the source, in source units (pixels, or SVG user units).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Region {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
}

/// What to draw: `region` of the source, scaled to `scaled`, placed at `offset` on a canvas of
/// `canvas` (larger than `scaled` only when padding).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Plan {
    pub region: Region,
    pub scaled: (u32, u32),
    pub canvas: (u32, u32),
    pub offset: (u32, u32),
}

/// Whole pixels, at least one, at most the CDN's limit.
fn pixels(value: f64) -> u32 {
    // `as` saturates (NaN becomes 0), so the clamp below bounds every input.
    (value.round() as u32).clamp(1, super::MAX_DIMENSION)
}

/// The plan for `transform` on a source of `source` size; `scalable` allows enlarging (SVG).
/// A degenerate source (zero or negative size) is treated as one unit square.
pub fn plan(source: (f64, f64), transform: &Transform, scalable: bool) -> Plan {
    let whole = Region {
        x: 0.0,
        y: 0.0,
        width: positive(source.0),
        height: positive(source.1),
    };
    let region = match transform.crop {
        Some(Crop::Region {
            left,
            top,
            width,
            height,
        }) => clip(whole, left, top, width, height),
        _ => whole,
    };
    let (sw, sh) = (region.width, region.height);
    // Never past the CDN's limit on either side (a very wide source asked by height alone).
    let most = f64::from(super::MAX_DIMENSION);
    let cap = (most / sw).min(most / sh);
    let limit = |scale: f64| {
        let scale = if scalable { scale } else { scale.min(1.0) };
        scale.min(cap)
    };
    match (transform.width, transform.height) {
        (Some(w), Some(h)) => {
            let (w, h) = (f64::from(w), f64::from(h));
            let fill = matches!(
                transform.crop,
                Some(Crop::Center | Crop::Top | Crop::Bottom | Crop::Left | Crop::Right)
            );
            if fill {
                fill_box(region, (w, h), transform.crop, limit)
            } else {
                let wanted = (w / sw).min(h / sh);
                let scale = limit(wanted);
                let scaled = (pixels(sw * scale), pixels(sh * scale));
                let canvas = if transform.pad_color.is_some() {
                    // The box shrinks with the image when the image may not grow.
                    let shrink = scale / wanted;
                    (pixels(w * shrink), pixels(h * shrink))
                } else {
                    scaled
                };
                Plan {
                    region,
                    scaled,
                    canvas,
                    offset: centered(canvas, scaled),
                }
            }
        }
        (Some(w), None) => proportional(region, limit(f64::from(w) / sw)),
        (None, Some(h)) => proportional(region, limit(f64::from(h) / sh)),
        // Not asked by the endpoint (no size means the original); the whole source unchanged.
        (None, None) => proportional(region, limit(1.0)),
    }
}

fn positive(v: f64) -> f64 {
    if v.is_finite() && v > 0.0 { v } else { 1.0 }
}

/// `crop=region`: the asked rectangle, kept inside the source.
fn clip(whole: Region, left: u32, top: u32, width: u32, height: u32) -> Region {
    let x = f64::from(left).min(whole.width - 1.0).max(0.0);
    let y = f64::from(top).min(whole.height - 1.0).max(0.0);
    Region {
        x,
        y,
        width: f64::from(width).min(whole.width - x).max(1.0),
        height: f64::from(height).min(whole.height - y).max(1.0),
    }
}

fn proportional(region: Region, scale: f64) -> Plan {
    let scaled = (pixels(region.width * scale), pixels(region.height * scale));
    Plan {
        region,
        scaled,
        canvas: scaled,
        offset: (0, 0),
    }
}

/// Scales the source to cover the box, then cuts the box out where `crop` says.
fn fill_box(
    region: Region,
    (w, h): (f64, f64),
    crop: Option<Crop>,
    limit: impl Fn(f64) -> f64,
) -> Plan {
    let (sw, sh) = (region.width, region.height);
    let wanted = (w / sw).max(h / sh);
    let scale = limit(wanted);
    let shrink = scale / wanted;
    let out = (pixels(w * shrink), pixels(h * shrink));
    // The part of the source the box shows, in source units.
    let cut_w = (f64::from(out.0) / scale).min(sw);
    let cut_h = (f64::from(out.1) / scale).min(sh);
    let (free_x, free_y) = (sw - cut_w, sh - cut_h);
    let (x, y) = match crop {
        Some(Crop::Top) => (free_x / 2.0, 0.0),
        Some(Crop::Bottom) => (free_x / 2.0, free_y),
        Some(Crop::Left) => (0.0, free_y / 2.0),
        Some(Crop::Right) => (free_x, free_y / 2.0),
        _ => (free_x / 2.0, free_y / 2.0),
    };
    Plan {
        region: Region {
            x: region.x + x,
            y: region.y + y,
            width: cut_w,
            height: cut_h,
        },
        scaled: out,
        canvas: out,
        offset: (0, 0),
    }
}

fn centered(canvas: (u32, u32), inner: (u32, u32)) -> (u32, u32) {
    (
        canvas.0.saturating_sub(inner.0) / 2,
        canvas.1.saturating_sub(inner.1) / 2,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(query: &str) -> Transform {
        Transform::from_query(query)
            .expect("valid parameters")
            .expect("a size is asked")
    }

    fn raster(source: (f64, f64), query: &str) -> Plan {
        plan(source, &t(query), false)
    }

    #[test]
    fn width_alone_keeps_the_aspect_ratio() {
        let p = raster((1600.0, 1200.0), "width=400");
        assert_eq!(p.scaled, (400, 300));
        assert_eq!(p.canvas, (400, 300));
        let p = raster((1600.0, 1200.0), "height=300");
        assert_eq!(p.scaled, (400, 300));
        // 800x533.33 → rounds.
        let p = raster((1500.0, 1000.0), "width=800");
        assert_eq!(p.scaled, (800, 533));
    }

    #[test]
    fn a_raster_source_is_never_enlarged() {
        assert_eq!(raster((800.0, 600.0), "width=2000").scaled, (800, 600));
        assert_eq!(raster((800.0, 600.0), "height=5760").scaled, (800, 600));
        // Fit inside a box larger than the source: the source as it is.
        assert_eq!(
            raster((800.0, 600.0), "width=2000&height=2000").scaled,
            (800, 600)
        );
    }

    #[test]
    fn an_svg_is_drawn_at_the_asked_size() {
        let p = plan((800.0, 800.0), &t("width=2000"), true);
        assert_eq!(p.scaled, (2000, 2000));
        let p = plan((100.0, 50.0), &t("width=400&height=400"), true);
        assert_eq!(p.scaled, (400, 200));
    }

    #[test]
    fn both_sizes_fit_inside_the_box() {
        let p = raster((1600.0, 1200.0), "width=400&height=400");
        assert_eq!(p.scaled, (400, 300));
        assert_eq!(p.canvas, (400, 300));
        assert_eq!(p.region.width, 1600.0);
    }

    #[test]
    fn pad_color_fills_the_box_around_the_fitted_image() {
        let p = raster((1600.0, 1200.0), "width=400&height=400&pad_color=fff");
        assert_eq!(p.scaled, (400, 300));
        assert_eq!(p.canvas, (400, 400));
        assert_eq!(p.offset, (0, 50));
        // The box may not make the image grow: it shrinks with it, keeping its own ratio.
        let p = raster((200.0, 100.0), "width=800&height=800&pad_color=000");
        assert_eq!(p.scaled, (200, 100));
        assert_eq!(p.canvas, (200, 200));
        assert_eq!(p.offset, (0, 50));
    }

    #[test]
    fn crop_fills_the_box_and_cuts_the_overflow() {
        let p = raster((1600.0, 1200.0), "width=400&height=400&crop=center");
        assert_eq!(p.scaled, (400, 400));
        assert_eq!(
            p.region,
            Region {
                x: 200.0,
                y: 0.0,
                width: 1200.0,
                height: 1200.0
            }
        );
        assert_eq!(
            raster((1600.0, 1200.0), "width=400&height=400&crop=left")
                .region
                .x,
            0.0
        );
        assert_eq!(
            raster((1600.0, 1200.0), "width=400&height=400&crop=right")
                .region
                .x,
            400.0
        );
        let tall = (1000.0, 2000.0);
        assert_eq!(raster(tall, "width=500&height=500&crop=top").region.y, 0.0);
        let bottom = raster(tall, "width=500&height=500&crop=bottom").region;
        assert_eq!((bottom.y, bottom.height), (1000.0, 1000.0));
    }

    #[test]
    fn a_crop_box_larger_than_the_source_shrinks_to_its_ratio() {
        // 2:1 box on a 300x300 source: the largest 2:1 piece, unscaled.
        let p = raster((300.0, 300.0), "width=1000&height=500&crop=center");
        assert_eq!(p.scaled, (300, 150));
        assert_eq!(p.region.height, 150.0);
        assert_eq!(p.region.y, 75.0);
    }

    #[test]
    fn region_cuts_the_source_first() {
        let p = raster(
            (1000.0, 1000.0),
            "width=100&crop=region&crop_left=100&crop_top=200&crop_width=400&crop_height=200",
        );
        assert_eq!(
            p.region,
            Region {
                x: 100.0,
                y: 200.0,
                width: 400.0,
                height: 200.0
            }
        );
        assert_eq!(p.scaled, (100, 50));
        // A rectangle past the edge is cut at the edge.
        let p = raster(
            (100.0, 100.0),
            "width=50&crop=region&crop_left=80&crop_top=0&crop_width=500&crop_height=100",
        );
        assert_eq!(p.region.width, 20.0);
    }

    #[test]
    fn sizes_stay_within_one_and_the_limit() {
        // A sliver scaled down still has one pixel.
        assert_eq!(raster((5000.0, 2.0), "width=10").scaled, (10, 1));
        // An SVG far wider than tall, drawn tall: held at the limit, keeping its ratio.
        let p = plan((100.0, 1.0), &t("height=5760"), true);
        assert_eq!(p.scaled, (5760, 58));
        // A raster source wider than the limit, asked by height alone.
        assert_eq!(raster((10000.0, 100.0), "height=100").scaled, (5760, 58));
        // A degenerate source does not divide by zero.
        assert_eq!(raster((0.0, f64::NAN), "width=10").scaled, (1, 1));
    }
}
