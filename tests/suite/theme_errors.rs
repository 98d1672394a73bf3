//! Broken templates (`tests/fixtures/theme-broken`): the theme still loads, healthy sections
//! still render, and each failure is an `Err` naming the file and line that caused it.

use crate::theme_support::*;
use vitrine::theme::{RenderError, Theme};

fn broken() -> Theme {
    fixture_theme("theme-broken")
}

fn render_err(theme: &Theme, id: &str) -> RenderError {
    let ctx = theme.context(&request("/"), empty_cart());
    match theme.render_section(&ctx, id) {
        Err(err) => err,
        Ok(html) => panic!("{id} should fail, got {html:?}"),
    }
}

#[test]
fn runtime_error_has_file_and_line() {
    let err = render_err(&broken(), "broken");
    assert_eq!(err.file, "sections/broken.html");
    assert_eq!(err.line, Some(3));
    assert!(err.message.contains("+"), "{err}");
    assert_eq!(err.excerpt.as_deref(), Some("<p>{{ 1 + [] }}</p>"));
    assert!(
        err.to_string().starts_with("sections/broken.html:3: "),
        "{err}"
    );
}

#[test]
fn syntax_error_has_file_and_line() {
    let err = render_err(&broken(), "syntax");
    assert_eq!(err.file, "sections/syntax.html");
    assert_eq!(err.line, Some(2));
    assert!(err.message.contains("syntax error"), "{err}");
}

#[test]
fn snippet_error_names_the_snippet() {
    let err = render_err(&broken(), "uses-bad-snippet");
    assert_eq!(err.file, "templates/snippets/bad.html");
    assert_eq!(err.line, Some(2));
}

#[test]
fn healthy_sections_still_render_next_to_broken_ones() {
    let theme = broken();
    let html = section(&theme, "/", "good", empty_cart()).expect("known");
    assert!(html.contains("<p>good</p>"));
}

#[test]
fn a_page_with_a_broken_section_fails_with_its_location() {
    let theme = broken();
    let ctx = theme.context(&request("/"), empty_cart());
    let err = theme
        .render_page(&ctx)
        .expect_err("index uses the broken section");
    assert_eq!(
        (err.file.as_str(), err.line),
        ("sections/broken.html", Some(3))
    );
    let page = theme.error_page(&err);
    assert!(page.contains("sections/broken.html:3"), "{page}");
    assert!(
        page.contains("&lt;p&gt;{{ 1 + [] }}&lt;&#x2f;p&gt;")
            || page.contains("&lt;p&gt;{{ 1 + [] }}&lt;/p&gt;"),
        "{page}"
    );
}

#[test]
fn a_missing_page_template_is_an_error_not_a_panic() {
    // theme-broken has no 404.json: an unknown path resolves to a template it lacks.
    let theme = broken();
    let ctx = theme.context(&request("/nope"), empty_cart());
    assert_eq!(ctx.status(), 404);
    let err = theme.render_page(&ctx).expect_err("no 404 template");
    assert_eq!(err.file, "templates/404.json");
}

#[test]
fn loading_a_missing_directory_fails() {
    let missing = fixture("does-not-exist");
    assert!(Theme::load(&missing, catalog(), false).is_err());
}
