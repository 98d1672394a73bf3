//! `vitrine bench abuse` end to end, briefly: every phase runs against the real server and the
//! report has its lines. The numbers themselves are for a release build (docs/hostile-clients.md),
//! not for a test; only what does not depend on the machine's speed is checked: the server closes
//! every stalled connection and slow body itself.

use std::process::Command;

#[test]
fn a_short_abuse_bench_runs_every_phase() {
    let output = Command::new(env!("CARGO_BIN_EXE_vitrine"))
        .args([
            "bench",
            "abuse",
            "--stalled",
            "40",
            "--slow-bodies",
            "10",
            "--flood",
            "100",
            "--timeout",
            "1",
            "--settle",
            "5",
        ])
        .arg("--theme")
        .arg(env!("CARGO_MANIFEST_DIR"))
        .env("RUST_LOG", "warn")
        .output()
        .expect("vitrine bench abuse runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    for line in [
        "quiet (2 s)",
        "stalled + slow bodies, whole phase",
        "flood, whole phase",
        "server RSS: idle",
        "target: /healthz p99 < 50 ms",
        "target: RSS within 2x idle",
    ] {
        assert!(stdout.contains(line), "no {line:?} in:\n{stdout}");
    }
    assert!(
        stdout.contains("stalled heads + slow bodies: closed by the server 50 "),
        "the server closes every stalled connection itself:\n{stdout}"
    );
}
