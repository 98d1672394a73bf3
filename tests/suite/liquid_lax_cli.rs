//! The command line and lax parsing: `vitrine render` is strict unless `--lax`, and `vitrine
//! check` lists lax-only markup as warnings that do not fail it.

use std::process::Command;

use crate::theme_support::*;

fn vitrine(args: &[&str]) -> (bool, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_vitrine"))
        .args(args)
        .output()
        .expect("runs vitrine");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn liquid_render_is_strict_unless_lax() {
    let dir = tempfile::tempdir().expect("tempdir");
    let template = dir.path().join("t.liquid");
    std::fs::write(&template, "a\n{{ x | upcase | }}").expect("write");
    let data = dir.path().join("d.json");
    std::fs::write(&data, r#"{"x": "hi"}"#).expect("write");
    let (template, data) = (template.display().to_string(), data.display().to_string());

    let (ok, out, err) = vitrine(&["render", &template, "--data", &data]);
    assert!(!ok && out.is_empty(), "{out}");
    assert!(
        err.contains("t.liquid:2: unexpected '|' (expected a name)"),
        "{err}"
    );

    let (ok, out, err) = vitrine(&["render", &template, "--data", &data, "--lax"]);
    assert!(ok, "{err}");
    assert_eq!(out, "a\nHI");
    assert!(
        err.contains("t.liquid:2: warning: unexpected '|' (expected a name)"),
        "{err}"
    );
}

#[test]
fn liquid_lax_warnings_do_not_fail_vitrine_check() {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(&fixture("theme-basic"), dir.path());
    std::fs::write(
        dir.path().join("sections/lenient.liquid"),
        "{% if true && false %}yes{% endif %}",
    )
    .expect("write");
    let theme = dir.path().display().to_string();
    let (ok, out, err) = vitrine(&["check", "--theme", &theme]);
    assert!(ok, "{out}{err}");
    assert!(
        out.contains("sections/lenient.liquid:1: warning: unexpected character '&'"),
        "{out}"
    );
    assert!(err.contains("1 warning(s)"), "{err}");
}
