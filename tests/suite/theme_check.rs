//! `vitrine check` (`theme::check`): problems as `file:line: message`, none for the real theme.

use crate::theme_support::*;
use vitrine::theme::{Problem, check};

fn problems(name: &str) -> Vec<String> {
    check(&fixture(name))
        .iter()
        .map(Problem::to_string)
        .collect()
}

fn has(lines: &[String], prefix: &str, needle: &str) -> bool {
    lines
        .iter()
        .any(|l| l.starts_with(prefix) && l.contains(needle))
}

#[test]
fn bad_schema_json_is_reported_at_its_file_line() {
    let lines = problems("theme-bad-check");
    assert!(
        has(&lines, "sections/bad-json.html:6: ", "invalid schema JSON"),
        "{lines:#?}"
    );
}

#[test]
fn duplicate_setting_id_points_at_the_second_one() {
    let lines = problems("theme-bad-check");
    assert!(
        has(
            &lines,
            "sections/dup.html:8: ",
            "duplicate setting id 'title'"
        ),
        "{lines:#?}"
    );
    assert!(
        has(
            &lines,
            "sections/dup.html:9: ",
            "unknown setting type 'sparkles'"
        ),
        "{lines:#?}"
    );
}

#[test]
fn json_template_problems() {
    let lines = problems("theme-bad-check");
    assert!(
        has(
            &lines,
            "templates/index.json:3: ",
            "unknown type 'nonexistent'"
        ),
        "{lines:#?}"
    );
    assert!(
        has(&lines, "templates/index.json:6: ", "type 'unknown-block'"),
        "{lines:#?}"
    );
    assert!(
        has(
            &lines,
            "templates/index.json:4: ",
            "`block_order` names 'z'"
        ),
        "{lines:#?}"
    );
    assert!(
        has(
            &lines,
            "templates/index.json:10: ",
            "`order` names 'missing'"
        ),
        "{lines:#?}"
    );
    assert!(
        has(&lines, "templates/cart.json:3: ", "invalid JSON template"),
        "{lines:#?}"
    );
}

#[test]
fn template_syntax_errors_are_reported() {
    let lines = problems("theme-bad-check");
    assert!(
        has(&lines, "sections/syntax.html:3: ", "syntax error"),
        "{lines:#?}"
    );
    let lines = problems("theme-broken");
    assert!(
        has(&lines, "sections/syntax.html:2: ", "syntax error"),
        "{lines:#?}"
    );
}

#[test]
fn a_fine_section_has_no_problems() {
    let lines = problems("theme-bad-check");
    assert!(
        !lines.iter().any(|l| l.starts_with("sections/fine.html")),
        "{lines:#?}"
    );
}

#[test]
fn real_theme_and_basic_fixture_are_clean() {
    let lines: Vec<String> = check(&repo_dir()).iter().map(Problem::to_string).collect();
    assert!(lines.is_empty(), "{lines:#?}");
    let lines = problems("theme-basic");
    assert!(lines.is_empty(), "{lines:#?}");
}

#[test]
fn missing_directory_is_one_problem() {
    let lines = problems("does-not-exist");
    assert_eq!(lines.len(), 1, "{lines:#?}");
    assert!(lines[0].ends_with(": theme directory does not exist"));
}

#[test]
fn problem_display_is_file_line_message() {
    let p = Problem::new("sections/a.html", 12, "oops");
    assert_eq!(p.to_string(), "sections/a.html:12: oops");
    let w = Problem::new("sections/a.liquid", 3, "lax").warning();
    assert_eq!(w.to_string(), "sections/a.liquid:3: warning: lax");
    let json = vitrine::theme::engine::check::problems_json(&[w]);
    assert_eq!(json[0]["offenses"][0]["severity"], 1, "{json}");
}
