//! The value of a `video_url` setting: a YouTube or Vimeo address, which themes read as
//! `settings.video.id` and `settings.video.type` to build the player's embed URL.
//! <https://shopify.dev/docs/storefronts/themes/architecture/settings/input-settings#video_url>

use std::fmt;
use std::sync::Arc;

use minijinja::Value;
use minijinja::value::{Object, ObjectRepr};

/// The setting for `url`: an object with `id` and `type` (`youtube` or `vimeo`) that prints as
/// the address itself; `None` for an address of neither.
pub fn video_url_value(url: &str) -> Option<Value> {
    let (kind, id) = parse(url.trim())?;
    Some(Value::from_object(VideoUrl {
        url: url.to_owned(),
        kind,
        id,
    }))
}

/// The host and the video's id in a YouTube or Vimeo address.
fn parse(url: &str) -> Option<(&'static str, String)> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .or_else(|| url.strip_prefix("//"))
        .unwrap_or(url);
    let rest = rest.strip_prefix("www.").unwrap_or(rest);
    let rest = rest.strip_prefix("m.").unwrap_or(rest);
    let (host, path) = rest.split_once('/')?;
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    let youtube_id = |id: &str| {
        let id: String = id
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect();
        (!id.is_empty()).then_some(("youtube", id))
    };
    match host {
        "youtube.com" | "youtube-nocookie.com" => {
            if path == "watch" {
                let v = query.split('&').find_map(|pair| pair.strip_prefix("v="))?;
                youtube_id(v)
            } else {
                let (_, id) = path
                    .split_once('/')
                    .filter(|(kind, _)| matches!(*kind, "embed" | "shorts" | "live" | "v"))?;
                youtube_id(id)
            }
        }
        "youtu.be" => youtube_id(path),
        "vimeo.com" | "player.vimeo.com" => {
            let id = path
                .split('/')
                .find(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))?;
            Some(("vimeo", id.to_owned()))
        }
        _ => None,
    }
}

#[derive(Debug)]
struct VideoUrl {
    url: String,
    kind: &'static str,
    id: String,
}

impl Object for VideoUrl {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        match key.as_str()? {
            "id" => Some(Value::from(self.id.as_str())),
            "type" => Some(Value::from(self.kind)),
            _ => None,
        }
    }

    fn render(self: &Arc<Self>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(url: &str) -> Option<(String, String, String)> {
        let value = video_url_value(url)?;
        let attr = |name: &str| {
            value
                .get_attr(name)
                .map(|v| v.to_string())
                .unwrap_or_default()
        };
        Some((attr("type"), attr("id"), value.to_string()))
    }

    #[test]
    fn youtube_and_vimeo_addresses_give_their_id_and_host() {
        let watch = "https://www.youtube.com/watch?v=_9VUPq3SxOc";
        assert_eq!(
            read(watch),
            Some(("youtube".into(), "_9VUPq3SxOc".into(), watch.into()))
        );
        assert_eq!(
            read("https://youtu.be/neFK-pv2sKY?t=3").map(|r| r.1),
            Some("neFK-pv2sKY".into())
        );
        assert_eq!(
            read("https://www.youtube.com/embed/abc123").map(|r| r.1),
            Some("abc123".into())
        );
        assert_eq!(
            read("https://vimeo.com/channels/staff/76979871").map(|r| (r.0, r.1)),
            Some(("vimeo".into(), "76979871".into()))
        );
        assert_eq!(
            read("https://player.vimeo.com/video/1234").map(|r| r.1),
            Some("1234".into())
        );
        assert!(read("https://example.com/watch?v=1").is_none());
        assert!(read("https://www.youtube.com/watch?list=x").is_none());
        assert!(read("").is_none());
    }
}
