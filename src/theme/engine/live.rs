//! The theme author's loop in the browser: the live-reload client script, the JSON of the
//! change events it receives over SSE, and the error overlay page that recovers by itself.

use super::error::RenderError;
use crate::theme::objects::html::escape_html;

/// Where the HTTP layer serves [`LIVE_RELOAD_JS`] and the SSE stream of change events.
pub const LIVE_RELOAD_PATH: &str = "/__vitrine/live.js";
pub const EVENTS_PATH: &str = "/__vitrine/events";

/// What changed in the theme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ThemeChange {
    /// A stylesheet under `static/`; `path` is its URL path, e.g. `/static/base.css`.
    Css { path: String },
    /// A file under `sections/`; `id` is the section's file name without `.html`.
    Section { id: String },
    /// Anything else (layout, snippet, JSON template, locale, other static file), relative to
    /// the theme directory: the page has to reload.
    Other { path: String },
}

/// The SSE payload of one change: `{"kind":"css"|"section"|"reload","path":..,"id":..}`.
pub fn change_event_json(change: &ThemeChange) -> String {
    let value = match change {
        ThemeChange::Css { path } => serde_json::json!({"kind": "css", "path": path}),
        ThemeChange::Section { id } => serde_json::json!({"kind": "section", "id": id}),
        ThemeChange::Other { path } => serde_json::json!({"kind": "reload", "path": path}),
    };
    value.to_string()
}

/// The `<script>` tag that loads the client.
pub fn live_reload_tag() -> String {
    format!("<script src=\"{LIVE_RELOAD_PATH}\" defer></script>")
}

/// The browser side of live reload. Stylesheets are swapped in place, a changed section is
/// re-fetched through the Section Rendering API and replaced, anything else reloads the page.
/// When the swap is impossible (the element is missing, the section failed and came back as
/// `null`, the request failed) it falls back to a full reload, which shows the error overlay.
pub const LIVE_RELOAD_JS: &str = r#"(() => {
  "use strict";
  if (window.__vitrineLive) return;
  window.__vitrineLive = true;

  const withVersion = (href) => {
    const url = new URL(href, location.href);
    url.searchParams.set("v", Date.now().toString(36));
    return url.pathname + url.search;
  };

  // A Shopify theme's asset URL holds `/assets/` (`/static/assets/theme.css`): the same file.
  const samePath = (p) => p.replace(/^\/static\/assets\//, "/static/");
  const swapCss = (path) => {
    const links = [...document.querySelectorAll('link[rel~="stylesheet"]')]
      .filter((link) => samePath(new URL(link.href, location.href).pathname) === samePath(path));
    if (links.length === 0) return location.reload();
    for (const link of links) {
      const fresh = link.cloneNode();
      fresh.href = withVersion(link.href);
      // Keep the old sheet until the new one is ready, so the page never flashes unstyled.
      fresh.addEventListener("load", () => link.remove());
      fresh.addEventListener("error", () => fresh.remove());
      link.after(fresh);
    }
  };

  const swapSection = async (id) => {
    const element = document.getElementById("shopify-section-" + id);
    if (!element) return location.reload();
    const params = new URLSearchParams(location.search);
    params.set("sections", id);
    try {
      const response = await fetch(location.pathname + "?" + params.toString(), {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      if (!response.ok) return location.reload();
      const sections = await response.json();
      const html = sections[id];
      // A section that failed is null; one with a snippet that failed prints the error: load
      // the page, which lists it in the overlay.
      if (typeof html !== "string" || html.includes("Liquid error (")) return location.reload();
      element.outerHTML = html;
      // A Shopify section's `{% stylesheet %}` lives in the bundled stylesheets: fetch them anew.
      for (const link of document.querySelectorAll('link[href*="/__vitrine/compiled_assets/"]')) {
        swapCss(new URL(link.href, location.href).pathname);
      }
    } catch (_) {
      location.reload();
    }
  };

  // Errors the page printed in place (a snippet, block or section that failed), listed in a
  // panel over the page; the server puts them in a JSON data block (no inline script needed).
  const printed = (() => {
    const data = document.getElementById("vitrine-inline-errors");
    try {
      const errors = data ? JSON.parse(data.textContent) : [];
      return Array.isArray(errors) ? errors : [];
    } catch (_) {
      return [];
    }
  })();

  const showPrinted = () => {
    if (printed.length === 0 || !document.body) return;
    const el = (tag, css, text) => {
      const node = document.createElement(tag);
      node.style.cssText = css;
      if (text !== undefined) node.textContent = text;
      return node;
    };
    const panel = el("aside", "position:fixed;z-index:2147483647;right:1rem;bottom:1rem;" +
      "width:min(40rem,calc(100vw - 2rem));max-height:60vh;overflow:auto;box-sizing:border-box;" +
      "margin:0;padding:1rem 1.25rem;background:#2a2c2e;color:#eee;text-align:left;" +
      "border-left:6px solid #e5484d;font:14px/1.5 system-ui,sans-serif;" +
      "box-shadow:0 4px 24px rgba(0,0,0,.4)");
    panel.id = "vitrine-error-overlay";
    panel.setAttribute("role", "alert");
    const close = el("button", "float:right;border:0;background:none;color:#eee;" +
      "font-size:1.25rem;line-height:1;cursor:pointer", "\u00d7");
    close.type = "button";
    close.setAttribute("aria-label", "Dismiss");
    close.addEventListener("click", () => panel.remove());
    const count = printed.length === 1 ? "1 Liquid error" : printed.length + " Liquid errors";
    panel.append(close, el("strong", "display:block;color:#ff8b8b;margin-bottom:.5rem",
      count + " on this page"));
    for (const error of printed) {
      const where = error.line ? error.file + ":" + error.line : error.file;
      panel.append(el("div", "font-family:ui-monospace,monospace;color:#9ecbff;margin-top:.5rem",
        String(where)));
      panel.append(el("div", "white-space:pre-wrap", String(error.message)));
      if (error.excerpt) {
        panel.append(el("pre", "margin:.25rem 0 0;padding:.5rem;background:#111;white-space:" +
          "pre-wrap;font:13px/1.5 ui-monospace,monospace", error.line + "  " + error.excerpt));
      }
    }
    document.body.append(panel);
  };
  showPrinted();

  const handle = (message) => {
    let change;
    try {
      change = JSON.parse(message.data);
    } catch (_) {
      return;
    }
    if (change.kind === "css" && change.path) swapCss(change.path);
    // With errors listed, a swapped section could not clear them: load the page anew.
    else if (change.kind === "section" && change.id && printed.length === 0) swapSection(change.id);
    else location.reload();
  };

  const events = new EventSource("/__vitrine/events");
  let lost = false;
  events.onmessage = handle;
  events.addEventListener("change", handle);
  events.onerror = () => { lost = true; };
  // The server came back (a restart may have changed anything): start over.
  events.onopen = () => { if (lost) location.reload(); };
})();
"#;

/// Adds the errors a page printed in place to its HTML, as a JSON data block the live-reload
/// client lists over the page (before `</body>`, or at the end).
pub fn add_printed_errors(html: &mut String, errors: &[RenderError]) {
    if errors.is_empty() {
        return;
    }
    let list: Vec<serde_json::Value> = errors
        .iter()
        .map(|e| {
            serde_json::json!({
                "file": e.file,
                "line": e.line,
                "message": e.message,
                "excerpt": e.excerpt,
            })
        })
        .collect();
    // `<` escaped: a message quoting `</script>` must not end the data block.
    let json = serde_json::Value::from(list)
        .to_string()
        .replace('<', "\\u003c");
    let block =
        format!("<script type=\"application/json\" id=\"vitrine-inline-errors\">{json}</script>\n");
    let at = html
        .rfind("</body>")
        .or_else(|| html.rfind("</BODY>"))
        .unwrap_or(html.len());
    html.insert_str(at, &block);
}

/// The HTML overlay for a template error; it includes the live-reload client so the page
/// reloads itself once the file is saved again.
pub fn error_page(err: &RenderError) -> String {
    let location = match err.line {
        Some(line) => format!("{}:{line}", err.file),
        None => err.file.clone(),
    };
    let excerpt = match (&err.excerpt, err.line) {
        (Some(text), Some(line)) => format!(
            "<pre class=\"vitrine-error__excerpt\"><span>{line}</span> {}</pre>",
            escape_html(text)
        ),
        _ => String::new(),
    };
    format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Template error: {title}</title>
<style>
  body {{ margin: 0; font: 16px/1.5 system-ui, sans-serif; background: #1d1f21; color: #eee; }}
  .vitrine-error {{ max-width: 60rem; margin: 4rem auto; padding: 2rem; border-left: 6px solid #e5484d; background: #2a2c2e; }}
  .vitrine-error h1 {{ margin: 0 0 1rem; font-size: 1.25rem; color: #ff8b8b; }}
  .vitrine-error__file {{ font-family: ui-monospace, monospace; color: #9ecbff; }}
  pre {{ white-space: pre-wrap; font: 14px/1.5 ui-monospace, monospace; background: #111; padding: 1rem; overflow-x: auto; }}
  .vitrine-error__excerpt span {{ color: #888; margin-right: 1rem; }}
  .vitrine-error__hint {{ color: #aaa; font-size: .9rem; }}
</style>
{script}
</head>
<body>
<div class="vitrine-error" role="alert">
<h1>Template error</h1>
<p class="vitrine-error__file">{location}</p>
<pre class="vitrine-error__message">{message}</pre>
{excerpt}
<p class="vitrine-error__hint">Fix the file and save it: this page reloads by itself.</p>
</div>
</body>
</html>
"#,
        title = escape_html(&location),
        script = live_reload_tag(),
        location = escape_html(&location),
        message = escape_html(&err.message),
        excerpt = excerpt,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_json() {
        assert_eq!(
            change_event_json(&ThemeChange::Css {
                path: "/static/base.css".into()
            }),
            r#"{"kind":"css","path":"/static/base.css"}"#
        );
        assert_eq!(
            change_event_json(&ThemeChange::Section {
                id: "cart-drawer".into()
            }),
            r#"{"kind":"section","id":"cart-drawer"}"#
        );
        assert_eq!(
            change_event_json(&ThemeChange::Other {
                path: "templates/layout/theme.html".into()
            }),
            r#"{"kind":"reload","path":"templates/layout/theme.html"}"#
        );
    }

    #[test]
    fn printed_errors_go_before_the_body_end_and_cannot_end_the_block() {
        let mut html = "<html><body><p>x</p></body></html>".to_owned();
        let mut err = RenderError::new("snippets/a.liquid", Some(2), "bad </script><b>");
        err.excerpt = Some("{{ x }}".into());
        add_printed_errors(&mut html, &[err]);
        let (before, after) = html
            .split_once("<script type=\"application/json\" id=\"vitrine-inline-errors\">")
            .expect("the block");
        assert_eq!(before, "<html><body><p>x</p>");
        let (json, rest) = after.split_once("</script>").expect("one end");
        assert_eq!(rest, "\n</body></html>");
        let list: serde_json::Value = serde_json::from_str(json).expect("JSON");
        assert_eq!(list[0]["file"], "snippets/a.liquid");
        assert_eq!(list[0]["line"], 2);
        assert_eq!(list[0]["message"], "bad </script><b>");
        assert_eq!(list[0]["excerpt"], "{{ x }}");
        let mut untouched = "<p>no body</p>".to_owned();
        add_printed_errors(&mut untouched, &[]);
        assert_eq!(untouched, "<p>no body</p>");
    }

    #[test]
    fn error_page_escapes_and_reloads() {
        let mut err = RenderError::new("sections/x.html", Some(3), "bad <thing>");
        err.excerpt = Some("{{ <b> }}".into());
        let page = error_page(&err);
        assert!(page.contains("sections/x.html:3"));
        assert!(page.contains("bad &lt;thing&gt;"));
        assert!(!page.contains("<b>"));
        assert!(page.contains(LIVE_RELOAD_PATH));
    }
}
