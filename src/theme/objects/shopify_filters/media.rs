//! Media filters: <https://shopify.dev/docs/api/liquid/filters/media-filters> (`media_tag`,
//! `video_tag`, `external_video_tag`, `external_video_url`, `model_viewer_tag`).
//!
//! A media value is a map as Shopify's `media` object: `media_type` (`image`, `video`,
//! `external_video`, `model`), `sources` (`[{url, mime_type}]`), `preview_image`, `alt`, and for
//! external videos `host` (`youtube`/`vimeo`) and `external_id`.

use minijinja::value::{Kwargs, ValueKind};
use minijinja::{Environment, Value};

use super::{attr, attr_text, encode_component, escape, html_attributes, markup, text};

pub fn register(env: &mut Environment<'_>) {
    env.add_filter("media_tag", media_tag);
    env.add_filter("video_tag", |media: Value, args: Kwargs| {
        markup(video_tag(&media, &args))
    });
    env.add_filter("external_video_tag", |media: Value, args: Kwargs| {
        markup(external_video_tag(&media, &args))
    });
    env.add_filter("external_video_url", |media: Value, args: Kwargs| {
        external_video_url(&media, &args)
    });
    env.add_filter("model_viewer_tag", |media: Value, args: Kwargs| {
        markup(model_viewer_tag(&media, &args))
    });
}

fn preview_url(media: &Value) -> String {
    let Some(preview) = attr(media, "preview_image") else {
        return String::new();
    };
    if preview.kind() == ValueKind::Map {
        let src = attr_text(&preview, "src");
        if src.is_empty() {
            attr_text(&preview, "url")
        } else {
            src
        }
    } else {
        text(&preview).into_owned()
    }
}

/// `(url, mime_type)` of each source.
fn sources(media: &Value) -> Vec<(String, String)> {
    attr(media, "sources")
        .and_then(|s| s.try_iter().ok())
        .map(|items| {
            items
                .map(|s| (attr_text(&s, "url"), attr_text(&s, "mime_type")))
                .filter(|(url, _)| !url.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// `media | media_tag`: the tag for the media's type.
fn media_tag(media: Value, args: Kwargs) -> Value {
    let html = match attr_text(&media, "media_type").as_str() {
        "video" => video_tag(&media, &args),
        "external_video" => external_video_tag(&media, &args),
        "model" => model_viewer_tag(&media, &args),
        "image" => {
            let src = preview_url(&media);
            if src.is_empty() {
                String::new()
            } else {
                format!(
                    "<img src=\"{}\" alt=\"{}\"{}>",
                    escape(&src),
                    escape(&attr_text(&media, "alt")),
                    html_attributes(&args, &["image_size"])
                )
            }
        }
        _ => String::new(),
    };
    markup(html)
}

/// `<video>` with a `<source>` per source and the preview as poster and fallback image.
/// Keyword arguments (`autoplay: true`, `controls: true`, `class: ...`) become attributes.
fn video_tag(media: &Value, args: &Kwargs) -> String {
    let poster = preview_url(media);
    let mut out = String::from("<video playsinline=\"playsinline\"");
    for flag in ["autoplay", "loop", "muted", "controls"] {
        if args
            .get::<Option<Value>>(flag)
            .ok()
            .flatten()
            .is_some_and(|v| v.is_true())
        {
            out.push_str(&format!(" {flag}=\"{flag}\""));
        }
    }
    out.push_str(" preload=\"metadata\"");
    let alt = attr_text(media, "alt");
    if !alt.is_empty() {
        out.push_str(&format!(" aria-label=\"{}\"", escape(&alt)));
    }
    if !poster.is_empty() {
        out.push_str(&format!(" poster=\"{}\"", escape(&poster)));
    }
    out.push_str(&html_attributes(
        args,
        &["autoplay", "loop", "muted", "controls", "image_size"],
    ));
    out.push('>');
    let mut list = sources(media);
    if list.is_empty() && media.kind() != ValueKind::Map {
        // A plain URL.
        let url = text(media).into_owned();
        if !url.is_empty() {
            list.push((url, String::new()));
        }
    }
    for (url, mime) in list {
        out.push_str(&format!("<source src=\"{}\"", escape(&url)));
        if !mime.is_empty() {
            out.push_str(&format!(" type=\"{}\"", escape(&mime)));
        }
        out.push('>');
    }
    if !poster.is_empty() {
        out.push_str(&format!("<img src=\"{}\">", escape(&poster)));
    }
    out.push_str("</video>");
    out
}

/// `media | external_video_url: autoplay: true`: the YouTube or Vimeo embed URL, keyword
/// arguments as query parameters. A URL string is returned as it is.
fn external_video_url(media: &Value, args: &Kwargs) -> String {
    if media.kind() != ValueKind::Map {
        return text(media).into_owned();
    }
    let id = encode_component(&attr_text(media, "external_id"));
    let base = match attr_text(media, "host").as_str() {
        "vimeo" => format!("https://player.vimeo.com/video/{id}"),
        _ => format!("https://www.youtube.com/embed/{id}"),
    };
    let mut params = Vec::new();
    for key in args.args() {
        if matches!(key, "class" | "id" | "title" | "loading" | "alt") {
            continue;
        }
        if let Ok(value) = args.get::<Value>(key) {
            let shown = match value.kind() {
                ValueKind::Bool => if value.is_true() { "1" } else { "0" }.to_string(),
                _ => text(&value).into_owned(),
            };
            params.push(format!(
                "{}={}",
                encode_component(key),
                encode_component(&shown)
            ));
        }
    }
    if params.is_empty() {
        base
    } else {
        format!("{base}?{}", params.join("&"))
    }
}

/// `<iframe>` for a YouTube or Vimeo video (a media object or a URL from
/// `external_video_url`).
fn external_video_tag(media: &Value, args: &Kwargs) -> String {
    let url = external_video_url(media, args);
    let title = attr_text(media, "alt");
    let mut attributes = String::new();
    for key in ["class", "id", "loading"] {
        if let Ok(Some(value)) = args.get::<Option<Value>>(key) {
            attributes.push_str(&format!(" {key}=\"{}\"", escape(&text(&value))));
        }
    }
    format!(
        "<iframe frameborder=\"0\" allow=\"accelerometer; autoplay; encrypted-media; gyroscope; \
         picture-in-picture\" allowfullscreen=\"allowfullscreen\" src=\"{}\" title=\"{}\"{attributes}></iframe>",
        escape(&url),
        escape(&title)
    )
}

/// `<model-viewer>` for a 3D model: the glTF binary source (else the first), the preview as
/// poster, camera controls on.
fn model_viewer_tag(media: &Value, args: &Kwargs) -> String {
    let list = sources(media);
    let src = list
        .iter()
        .find(|(_, mime)| mime == "model/gltf-binary")
        .or_else(|| list.first())
        .map(|(url, _)| url.clone())
        .unwrap_or_default();
    let mut out = format!(
        "<model-viewer src=\"{}\" camera-controls=\"true\" data-shopify-feature=\"1.12\" alt=\"{}\"",
        escape(&src),
        escape(&attr_text(media, "alt"))
    );
    let poster = preview_url(media);
    if !poster.is_empty() {
        out.push_str(&format!(" poster=\"{}\"", escape(&poster)));
    }
    out.push_str(&html_attributes(args, &["image_size"]));
    out.push_str("></model-viewer>");
    out
}

#[cfg(test)]
mod tests {
    use super::super::test_support::render;
    use minijinja::context;

    fn ctx() -> minijinja::Value {
        context! {
            video => context! {
                media_type => "video", alt => "Potion beats",
                preview_image => context! { src => "/static/preview.jpg" },
                sources => vec![context! { url => "/static/potion.mp4", mime_type => "video/mp4" }],
            },
            youtube => context! {
                media_type => "external_video", host => "youtube", external_id => "neFK-pv2sKY",
                alt => "Potion",
            },
            model => context! {
                media_type => "model", alt => "Flask",
                preview_image => context! { src => "/static/flask.jpg" },
                sources => vec![
                    context! { url => "/static/flask.usdz", mime_type => "model/vnd.usdz+zip" },
                    context! { url => "/static/flask.glb", mime_type => "model/gltf-binary" },
                ],
            },
        }
    }

    #[test]
    fn media_tags() {
        assert_eq!(
            render("{{ video|video_tag(controls=true, class='v') }}", ctx()),
            "<video playsinline=\"playsinline\" controls=\"controls\" preload=\"metadata\" \
             aria-label=\"Potion beats\" poster=\"/static/preview.jpg\" class=\"v\">\
             <source src=\"/static/potion.mp4\" type=\"video/mp4\">\
             <img src=\"/static/preview.jpg\"></video>"
        );
        assert_eq!(
            render(
                "{{ youtube|external_video_url(autoplay=true, loop=true) }}",
                ctx()
            ),
            "https://www.youtube.com/embed/neFK-pv2sKY?autoplay=1&loop=1"
        );
        assert_eq!(
            render("{{ youtube|media_tag }}", ctx()),
            "<iframe frameborder=\"0\" allow=\"accelerometer; autoplay; encrypted-media; \
             gyroscope; picture-in-picture\" allowfullscreen=\"allowfullscreen\" \
             src=\"https://www.youtube.com/embed/neFK-pv2sKY\" title=\"Potion\"></iframe>"
        );
        assert_eq!(
            render("{{ model|model_viewer_tag }}", ctx()),
            "<model-viewer src=\"/static/flask.glb\" camera-controls=\"true\" \
             data-shopify-feature=\"1.12\" alt=\"Flask\" poster=\"/static/flask.jpg\">\
             </model-viewer>"
        );
        assert!(render("{{ video|media_tag }}", ctx()).starts_with("<video "));
        assert_eq!(render("[{{ nothing|media_tag }}]", ctx()), "[]");
    }
}
