//! `sluice::stream!`: a program inline in Rust, with a Rust function, run
//! in-process on records and compared with the same program as a `.pipe` file.

use crate::common::workspace_root;
use serde_json::json;
use sluice::Timestamp;

/// Called from the pipeline through `extern fn`.
fn classify(url: &str) -> String {
    if url.starts_with("/api/") {
        "api".to_string()
    } else {
        "page".to_string()
    }
}

/// Panics on purpose for one input: the record must go to `on_error`, not kill the pipeline.
fn risky(bytes: i64) -> i64 {
    assert!(bytes != 13, "unlucky bytes");
    bytes
}

sluice::stream! {
    schema Click { user_id: string, url: string, bytes: int, ts: timestamp }

    extern fn classify(url: string) -> string
    extern fn risky(bytes: int) -> int

    source clicks: Click from file { path: "clicks.jsonl", event_time: ts }
    sink counts to stdout {}
    sink late_clicks to stdout {}

    pipeline per_kind {
        from clicks
        | extend { kind: classify(url), bytes: risky(bytes) }
        | group by kind window tumbling 1m watermark 10s late to late_clicks aggregate {
            n: count(),
            users: count_distinct(user_id),
            kb: sum(bytes) / 1024.0,
        }
        | to counts
    }
}

fn click(user: &str, url: &str, bytes: i64, seconds: i64) -> pipelines::Click {
    pipelines::Click { user_id: user.into(), url: url.into(), bytes, ts: Timestamp(1_795_531_200_000 + seconds * 1000) }
}

#[test]
fn stream_macro_runs_in_process_with_a_rust_function() {
    let mut program = pipelines::Program::in_memory(&[]).unwrap();
    program.push_clicks(click("ana", "/api/orders", 2048, 5)).unwrap();
    program.push_clicks(click("ben", "/home", 1024, 20)).unwrap();
    program.push_clicks(click("ana", "/api/cart", 1024, 50)).unwrap();
    // A panicking Rust function is a fault for this record only.
    let fault = program.push_clicks(click("cho", "/home", 13, 55)).unwrap_err();
    assert!(fault.to_string().contains("extern fn `risky` panicked: unlucky bytes"), "{fault}");
    // 14:41:15 moves the watermark to 14:41:05: the first minute closes.
    program.push_clicks(click("dev", "/home", 512, 75)).unwrap();
    let first = program.take_counts();
    assert_eq!(
        first,
        vec![
            json!({"kind": "api", "window_start": "2026-11-24T14:40:00.000Z", "window_end": "2026-11-24T14:41:00.000Z", "n": 2, "users": 1, "kb": 3.0}),
            json!({"kind": "page", "window_start": "2026-11-24T14:40:00.000Z", "window_end": "2026-11-24T14:41:00.000Z", "n": 1, "users": 1, "kb": 1.0}),
        ]
    );
    // Late: its minute was emitted.
    program.push_clicks(click("eve", "/home", 100, 30)).unwrap();
    assert_eq!(program.take_late_clicks().len(), 1);
    program.finish().unwrap();
    assert_eq!(
        program.take_counts(),
        vec![
            json!({"kind": "page", "window_start": "2026-11-24T14:41:00.000Z", "window_end": "2026-11-24T14:42:00.000Z", "n": 1, "users": 1, "kb": 0.5})
        ]
    );
}

#[test]
fn stream_macro_and_pipe_file_agree() {
    let root = workspace_root();
    let case = root.join("tests/golden/embedded-parity");
    let input = case.join("input/clicks.jsonl");
    let out = tempfile::tempdir().unwrap();
    let counts = out.path().join("counts.jsonl");
    let late = out.path().join("late.jsonl");
    pipelines::run_with(&[
        "--quiet",
        "--input",
        &format!("clicks={}", input.display()),
        "--output",
        &format!("counts={}", counts.display()),
        "--output",
        &format!("late_clicks={}", late.display()),
    ])
    .unwrap();
    // The `.pipe` twin of this program runs as a golden case with the same
    // input; its expected output must be what `stream!` produced.
    let read = |path: &std::path::Path| -> Vec<String> {
        let mut lines: Vec<String> = std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap().to_string())
            .collect();
        lines.sort();
        lines
    };
    assert_eq!(read(&counts), read(&case.join("expected/counts.jsonl")));
    assert_eq!(read(&late), read(&case.join("expected/late_clicks.jsonl")));
}

/// A second program, in its own module (each `stream!` expands to a module `pipelines`).
mod selection {
    sluice::stream! {
        schema Click { user_id: string, url: string, bytes: int, ts: timestamp }

        source clicks: Click from file { path: "clicks.jsonl", event_time: ts }
        source other_clicks: Click from file { path: "does-not-exist.jsonl" }
        sink big to file { path: "big" }
        sink small to file { path: "small" }
        sink others to file { path: "others" }

        pipeline cleaned { from clicks | where bytes >= 0 }
        pipeline big_clicks { from cleaned | where bytes > 1000 | to big }
        pipeline small_clicks { from cleaned | where bytes <= 1000 | to small }
        pipeline other { from other_clicks | to others }
    }
}

#[test]
fn a_pipeline_constructor_runs_that_pipeline_and_what_it_reads() {
    let input = workspace_root().join("examples/data/clicks.jsonl");
    let out = tempfile::tempdir().unwrap();
    let path = |name: &str| out.path().join(format!("{name}.jsonl"));
    let runner = selection::pipelines::big_clicks();
    assert_eq!(runner.name(), "big_clicks");
    // `other_clicks` reads a file that does not exist: it is not opened, as `other` does not run.
    runner
        .run_with(&[
            "--quiet",
            "--input",
            &format!("clicks={}", input.display()),
            "--output",
            &format!("big={}", path("big").display()),
            "--output",
            &format!("small={}", path("small").display()),
            "--output",
            &format!("others={}", path("others").display()),
        ])
        .unwrap();
    let big = std::fs::read_to_string(path("big")).unwrap();
    let expected = std::fs::read_to_string(&input)
        .unwrap()
        .lines()
        .filter(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["bytes"].as_i64().unwrap() > 1000)
        .count();
    assert!(expected > 0);
    assert_eq!(big.lines().count(), expected, "big_clicks ran through `cleaned`");
    assert!(!path("small").exists(), "small_clicks is not selected: its sink is not written");
    assert!(!path("others").exists(), "other is not selected");
    // The whole program still runs everything (and so needs `other_clicks`' file).
    let whole = selection::pipelines::run_with(&["--quiet", "--input", &format!("clicks={}", input.display())]);
    assert!(whole.unwrap_err().contains("does-not-exist.jsonl"));
}
