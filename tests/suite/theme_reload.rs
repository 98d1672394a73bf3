//! Hot reload: a copy of a fixture theme in a temporary directory, loaded with `watch = true`,
//! edited on disk the way editors save (in place and through an atomic rename).

use std::time::{Duration, Instant};

use crate::theme_support::*;
use tokio::sync::broadcast;
use vitrine::theme::{RenderError, Theme, ThemeChange};

const POLL: Duration = Duration::from_millis(10);
const GIVE_UP: Duration = Duration::from_secs(2);
/// The promise to theme authors: the next request after a save renders the new file.
const WITHIN: Duration = Duration::from_millis(200);

fn watched_copy() -> (tempfile::TempDir, Theme) {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(&fixture("theme-basic"), dir.path());
    std::fs::create_dir_all(dir.path().join("static")).expect("mkdir static");
    std::fs::write(dir.path().join("static/base.css"), "body { color: black }").expect("css");
    let theme = Theme::load(dir.path(), catalog(), true).expect("loads");
    (dir, theme)
}

fn render(theme: &Theme, id: &str) -> Result<Option<String>, RenderError> {
    let ctx = theme.context(&request("/"), empty_cart());
    theme.render_section(&ctx, id)
}

/// Polls every 10 ms until `done` holds; returns how long it took, or panics after 2 s.
fn wait_for(what: &str, mut done: impl FnMut() -> bool) -> Duration {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < GIVE_UP, "gave up waiting for {what}");
        std::thread::sleep(POLL);
    }
    started.elapsed()
}

fn wait_for_change(rx: &mut broadcast::Receiver<ThemeChange>, expected: &ThemeChange) {
    wait_for(&format!("{expected:?}"), || {
        loop {
            match rx.try_recv() {
                Ok(change) if &change == expected => return true,
                Ok(_) | Err(broadcast::error::TryRecvError::Lagged(_)) => continue,
                Err(_) => return false,
            }
        }
    });
}

fn contains(theme: &Theme, id: &str, text: &str) -> bool {
    matches!(render(theme, id), Ok(Some(html)) if html.contains(text))
}

#[test]
fn saving_a_section_rerenders_within_200ms_and_broadcasts() {
    let (dir, theme) = watched_copy();
    let mut rx = theme.subscribe();
    assert!(contains(&theme, "plain", "plain plain in index"));
    let started = Instant::now();
    std::fs::write(
        dir.path().join("sections/plain.html"),
        "edited {{ section.id }}",
    )
    .expect("write");
    wait_for("the edit", || contains(&theme, "plain", "edited plain"));
    let latency = started.elapsed();
    eprintln!("reload latency: {latency:?}");
    assert!(latency <= WITHIN, "reload took {latency:?}");
    wait_for_change(&mut rx, &ThemeChange::Section { id: "plain".into() });
}

#[test]
fn atomic_rename_saves_are_picked_up() {
    let (dir, theme) = watched_copy();
    let mut rx = theme.subscribe();
    let temp = dir.path().join("sections/.wrapped.html.swp");
    std::fs::write(&temp, "renamed body").expect("write temp");
    let started = Instant::now();
    std::fs::rename(&temp, dir.path().join("sections/wrapped.html")).expect("rename");
    wait_for("the renamed file", || {
        contains(&theme, "wrapped", "renamed body")
    });
    assert!(
        started.elapsed() <= WITHIN,
        "reload took {:?}",
        started.elapsed()
    );
    wait_for_change(
        &mut rx,
        &ThemeChange::Section {
            id: "wrapped".into(),
        },
    );
    // The schema is gone with the new content: the wrapper is a plain div again.
    assert!(contains(
        &theme,
        "wrapped",
        "<div id=\"shopify-section-wrapped\" class=\"shopify-section\">"
    ));
}

#[test]
fn a_syntax_error_is_an_error_until_fixed() {
    let (dir, theme) = watched_copy();
    let file = dir.path().join("sections/plain.html");
    std::fs::write(&file, "<p>ok</p>\n{% if %}\n").expect("write");
    wait_for("the broken file", || render(&theme, "plain").is_err());
    let err = render(&theme, "plain").expect_err("still broken");
    assert_eq!(
        (err.file.as_str(), err.line),
        ("sections/plain.html", Some(2))
    );
    // Everything else keeps rendering.
    assert!(contains(&theme, "wrapped", "wrapped body"));
    std::fs::write(&file, "fixed {{ section.id }}").expect("write");
    wait_for("the fix", || contains(&theme, "plain", "fixed plain"));
}

#[test]
fn new_and_removed_sections() {
    let (dir, theme) = watched_copy();
    assert_eq!(render(&theme, "brand-new").ok(), Some(None));
    std::fs::write(dir.path().join("sections/brand-new.html"), "new!").expect("write");
    wait_for("the new section", || contains(&theme, "brand-new", "new!"));
    std::fs::remove_file(dir.path().join("sections/brand-new.html")).expect("remove");
    wait_for("the removal", || {
        matches!(render(&theme, "brand-new"), Ok(None))
    });
}

#[test]
fn css_and_other_files_broadcast_their_kind() {
    let (dir, theme) = watched_copy();
    let mut rx = theme.subscribe();
    std::fs::write(dir.path().join("static/base.css"), "body { color: red }").expect("css");
    wait_for_change(
        &mut rx,
        &ThemeChange::Css {
            path: "/static/base.css".into(),
        },
    );
    std::fs::write(
        dir.path().join("templates/snippets/probe.html"),
        "probe v2 {{ passed }}",
    )
    .expect("snippet");
    wait_for_change(
        &mut rx,
        &ThemeChange::Other {
            path: "templates/snippets/probe.html".into(),
        },
    );
    wait_for("the new snippet", || {
        contains(&theme, "isolation", "probe v2 given")
    });
}

#[test]
fn locale_edits_apply_to_the_next_context() {
    let (dir, theme) = watched_copy();
    let path = dir.path().join("templates/locales/en.default.json");
    let text = std::fs::read_to_string(&path).expect("read");
    std::fs::write(&path, text.replace("Your cart", "Your basket")).expect("write");
    wait_for("the new translation", || {
        contains(&theme, "translate", "Your basket")
    });
}

#[test]
fn without_watch_nothing_changes_until_reload() {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(&fixture("theme-basic"), dir.path());
    let theme = Theme::load(dir.path(), catalog(), false).expect("loads");
    std::fs::write(dir.path().join("sections/plain.html"), "manual").expect("write");
    std::thread::sleep(Duration::from_millis(100));
    assert!(contains(&theme, "plain", "plain plain in index"));
    theme.reload();
    assert!(contains(&theme, "plain", "manual"));
}

#[test]
fn a_relative_theme_directory_is_watched_too() {
    // `vitrine serve` defaults to `--theme .`; notify reports absolute paths.
    let base = std::env::current_dir().expect("cwd");
    let dir = tempfile::tempdir_in(&base).expect("tempdir");
    copy_dir(&fixture("theme-basic"), dir.path());
    let relative = dir.path().strip_prefix(&base).expect("inside cwd");
    let theme = Theme::load(relative, catalog(), true).expect("loads");
    let mut rx = theme.subscribe();
    std::fs::write(dir.path().join("sections/plain.html"), "relative ok").expect("write");
    wait_for("the edit", || contains(&theme, "plain", "relative ok"));
    wait_for_change(&mut rx, &ThemeChange::Section { id: "plain".into() });
}

#[test]
fn a_liquid_asset_re_renders_after_its_file_or_the_settings_change() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fixture =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/theme-os2");
    copy_dir(&fixture, dir.path());
    let theme = Theme::load(dir.path(), catalog(), true).expect("loads");
    let mut rx = theme.subscribe();
    let css = |theme: &Theme| match theme.render_asset("settings.css") {
        Some(Ok(css)) => css.to_string(),
        other => panic!("settings.css: {other:?}"),
    };
    assert!(css(&theme).contains("--accent: #ff0066;"));
    std::fs::write(
        dir.path().join("assets/settings.css.liquid"),
        ":root { --accent: {{ settings.accent_color }}; --edited: 1; }",
    )
    .expect("write");
    wait_for_change(
        &mut rx,
        &ThemeChange::Css {
            path: "/static/settings.css".into(),
        },
    );
    wait_for("the edited asset", || css(&theme).contains("--edited: 1;"));
    std::fs::write(
        dir.path().join("config/settings_data.json"),
        r##"{ "current": { "accent_color": "#00ff00" } }"##,
    )
    .expect("write");
    wait_for("the new setting", || {
        css(&theme).contains("--accent: #00ff00;")
    });
}

/// A section's markup changed: its HTML is swapped in place. Its `{% javascript %}` changed:
/// a script that ran cannot be swapped, so the page reloads.
#[test]
fn a_section_script_change_reloads_the_page_a_markup_change_swaps_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(&fixture("theme-os2"), dir.path());
    let theme = Theme::load(dir.path(), catalog(), true).expect("loads");
    let mut rx = theme.subscribe();
    let path = dir.path().join("sections/main-cart.liquid");
    let text = std::fs::read_to_string(&path).expect("read");
    std::fs::write(&path, format!("<!-- edited -->{text}")).expect("markup");
    wait_for_change(
        &mut rx,
        &ThemeChange::Section {
            id: "main-cart".into(),
        },
    );
    std::fs::write(&path, text.replace("'ran'", "'ran again'")).expect("script");
    wait_for_change(
        &mut rx,
        &ThemeChange::Other {
            path: "sections/main-cart.liquid".into(),
        },
    );
}
