//! Sections written in Liquid (`sections/*.liquid`) in a theme: they render on the same engine
//! as `.html` sections, with the same objects and filters; a broken one fails at its Liquid file
//! and line (in a render, in `vitrine check`); saving one reloads it.

use std::time::{Duration, Instant};

use crate::theme_support::*;
use vitrine::theme::{Problem, RenderError, Theme, ThemeChange, check};

fn render(theme: &Theme, id: &str) -> Result<Option<String>, RenderError> {
    let ctx = theme.context(&request("/"), empty_cart());
    theme.render_section(&ctx, id)
}

/// A copy of the basic fixture theme with `files` added.
fn theme_with(files: &[(&str, &str)], watch: bool) -> (tempfile::TempDir, Theme) {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(&fixture("theme-basic"), dir.path());
    for (name, text) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }
    let theme = Theme::load(dir.path(), catalog(), watch).expect("loads");
    (dir, theme)
}

#[test]
fn the_demo_home_page_has_a_liquid_section_in_both_locales() {
    let theme = real_theme();
    let id = "template--index__promises";
    let html = section(&theme, "/", id, empty_cart()).expect("the section exists");
    assert!(
        html.starts_with("<section id=\"shopify-section-template--index__promises\""),
        "{html}"
    );
    for text in [
        "<h2 class=\"store-promises__heading\">Why shop with us</h2>",
        "<strong>Free shipping</strong>",
        "on orders over $50.00",
        "store-promises__item--2",
        "<strong>30-day returns</strong>",
    ] {
        assert!(html.contains(text), "{text}: {html}");
    }
    let ctx = theme.context(&request_in("/", "fr"), empty_cart());
    let french = theme
        .render_section(&ctx, id)
        .expect("renders")
        .expect("exists");
    assert!(
        french.contains("<strong>Livraison offerte</strong>"),
        "{french}"
    );
}

#[test]
fn liquid_semantics_hold_inside_a_theme_section() {
    let (_dir, theme) = theme_with(
        &[(
            "sections/facts.liquid",
            "{% assign n = 0 %}{% for i in (1..3) %}{% assign n = n | plus: i %}{% endfor %}\
             [{{ n }}]{% if '' %}[empty is true]{% endif %}{{ nothing.at.all }}\
             [{{ '<b>' }}][{{ 7 | divided_by: 2 }}]",
        )],
        false,
    );
    let html = render(&theme, "facts").expect("renders").expect("exists");
    // Assigns leave the loop, "" is truthy, undefined prints nothing, no autoescape, integer
    // division.
    assert!(html.contains("[6][empty is true][<b>][3]"), "{html}");
}

#[test]
fn a_broken_liquid_section_fails_at_its_file_and_line() {
    let (_dir, theme) = theme_with(
        &[
            (
                "sections/unclosed.liquid",
                "<p>\n{% for x in list %}\n{{ x }}\n",
            ),
            (
                "sections/divides.liquid",
                "<p>one</p>\n<p>two</p>\n<p>{{ 1 | divided_by: 0 }}</p>\n",
            ),
        ],
        false,
    );
    let err = render(&theme, "unclosed").expect_err("never closed");
    assert_eq!(err.file, "sections/unclosed.liquid", "{err}");
    assert!(err.line.is_some_and(|l| (2..=4).contains(&l)), "{err}");
    let err = render(&theme, "divides").expect_err("divided by zero");
    assert_eq!(err.file, "sections/divides.liquid", "{err}");
    assert_eq!(err.line, Some(3), "{err}");
    assert!(err.message.contains("divided by 0"), "{err}");
    // The other sections of the theme still render.
    assert!(render(&theme, "plain").expect("renders").is_some());
}

#[test]
fn vitrine_check_fails_on_a_broken_liquid_section() {
    let (dir, _theme) = theme_with(&[("sections/unclosed.liquid", "<p>\n{% if x %}\n")], false);
    let problems: Vec<String> = check(dir.path()).iter().map(Problem::to_string).collect();
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with("sections/unclosed.liquid:")),
        "{problems:?}"
    );
}

/// Markup only Ruby Liquid's lax parser reads renders as a Shopify storefront renders it, in
/// a section and in a snippet it renders; `vitrine check` lists each place as a warning.
#[test]
fn lax_only_markup_renders_and_check_warns_about_it() {
    let (dir, theme) = theme_with(
        &[
            (
                "sections/lenient.liquid",
                "{% assign kind = 'b' %}\n\
                 {% case kind %}{% when 'a' and 'x', 'b' %}A{% when 'b' %}B{% endcase %}\n\
                 [{{ 'hi' | upcase | }}]{% if true && false %}[yes]{% endif %}\n\
                 {% render 'lenient-note', n: 'n', %}",
            ),
            (
                "templates/snippets/lenient-note.liquid",
                "({{ 'n' | append: '!', }})",
            ),
        ],
        false,
    );
    let html = render(&theme, "lenient").expect("renders").expect("exists");
    // A trailing comma after `render`'s arguments is no warning: Ruby Liquid scans them as
    // `key: value` pairs in every mode.
    assert!(html.contains("B\n[HI][yes]\n(n!)"), "{html}");
    let problems = check(dir.path());
    let lenient: Vec<String> = problems
        .iter()
        .filter(|p| p.file.contains("lenient"))
        .map(Problem::to_string)
        .collect();
    assert!(
        problems
            .iter()
            .filter(|p| p.file.contains("lenient"))
            .all(|p| p.warning),
        "{lenient:#?}"
    );
    for (prefix, needle) in [
        (
            "sections/lenient.liquid:2: warning: ",
            "expected the end of the tag",
        ),
        ("sections/lenient.liquid:3: warning: ", "expected a name"),
        (
            "sections/lenient.liquid:3: warning: ",
            "unexpected character '&'",
        ),
        (
            "templates/snippets/lenient-note.liquid:1: warning: ",
            "expected an expression",
        ),
    ] {
        assert!(
            lenient
                .iter()
                .any(|l| l.starts_with(prefix) && l.contains(needle)),
            "{prefix}{needle}: {lenient:#?}"
        );
    }
}

#[test]
fn saving_a_liquid_section_reloads_it_and_says_which_section_changed() {
    let (dir, theme) = theme_with(
        &[("sections/promo.liquid", "before {{ section.id }}")],
        true,
    );
    let mut changes = theme.subscribe();
    assert!(
        render(&theme, "promo")
            .expect("renders")
            .is_some_and(|h| h.contains("before promo"))
    );
    std::fs::write(
        dir.path().join("sections/promo.liquid"),
        "after {{ section.id | upcase }}",
    )
    .expect("write");
    let started = Instant::now();
    loop {
        if let Ok(Some(html)) = render(&theme, "promo")
            && html.contains("after PROMO")
        {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "the edit never showed"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    // The event follows the reload, so it may arrive a moment after the new output.
    let expected = ThemeChange::Section { id: "promo".into() };
    let started = Instant::now();
    loop {
        match changes.try_recv() {
            Ok(change) if change == expected => break,
            Ok(_) => continue,
            Err(_) => {
                assert!(
                    started.elapsed() < Duration::from_secs(2),
                    "no change event for the section"
                );
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }
}

#[test]
fn a_hash_prints_the_way_liquid_prints_it() {
    use vitrine::theme::engine::liquid::{LiquidTemplate, Snippets};
    let template = LiquidTemplate::new("t.liquid", "{{ h }}|{{ flag }}|{{ list }}", Snippets::None)
        .expect("parses");
    let out = template
        .render_json(&serde_json::json!({"h": {"a": 1, "b": "x"}, "flag": true, "list": [1, 2]}))
        .expect("renders");
    assert_eq!(out, r#"{"a"=>1, "b"=>"x"}|true|12"#);
}
