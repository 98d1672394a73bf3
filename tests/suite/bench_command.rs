//! `vitrine bench` end to end, briefly: every scenario runs against a real server and answers
//! without errors, and the table and the target lines are printed. The numbers themselves are
//! for `cargo run --release -- bench`, not for a test.

use std::process::Command;

#[test]
fn a_short_bench_runs_every_scenario_without_errors() {
    let output = Command::new(env!("CARGO_BIN_EXE_vitrine"))
        .args([
            "bench",
            "--seconds",
            "1",
            "--connections",
            "4",
            "--carts",
            "200",
        ])
        .arg("--theme")
        .arg(env!("CARGO_MANIFEST_DIR"))
        .env("RUST_LOG", "warn")
        .output()
        .expect("vitrine bench runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");

    let scenarios = ["1.", "2.", "3.", "4.", "5a.", "5b.", "6a.", "6b."];
    for scenario in scenarios {
        let row = stdout
            .lines()
            .find(|line| line.starts_with(scenario))
            .unwrap_or_else(|| panic!("no row for scenario {scenario}:\n{stdout}"));
        let columns: Vec<&str> = row.split_whitespace().collect();
        // ... req/s, % floor, p50, p99, p99.9, errors, steal, server µs, client µs
        let [requests, .., errors, _steal, server_cpu, client_cpu] = columns[columns.len() - 9..]
        else {
            panic!("row {row:?} lacks columns");
        };
        let requests: f64 = requests.parse().expect("req/s is a number");
        assert!(requests > 0.0, "no request answered in {row:?}");
        assert_eq!(errors, "0", "errors in {row:?}");
        for cpu in [server_cpu, client_cpu] {
            let micros: f64 = cpu.parse().expect("CPU time per request is a number");
            assert!(micros > 0.0, "no CPU time measured in {row:?}");
        }
    }
    for target in ["add + 4 sections", "product page", "peak RSS"] {
        assert!(
            stdout
                .lines()
                .any(|l| l.starts_with("target:") && l.contains(target)),
            "no target line for {target}:\n{stdout}"
        );
    }
    assert!(stdout.contains("server peak RSS:"), "{stdout}");
}
