//! Programs on a real broker (nisshi, see `kafka_harness`): every golden case
//! whose program reads Kafka runs through topics and is compared with the same
//! expectations as on files; a crash test kills the pipeline with SIGKILL at
//! random instants; bad records are dead-lettered; secrets stay out of logs.

use crate::common::{compile_file, workspace_root};
use crate::kafka_harness::{build_program, lines_of, Broker};
use serde_json::Value;
use sluice_compiler::cli::test::{last_per_key, multiset_diff, read_records, running_keys};
use sluice_compiler::plan::{Setting, SinkConnector, SourceConnector};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn literal(setting: &Setting) -> String {
    match setting {
        Setting::Literal(text) => text.clone(),
        Setting::Env { var, default } => {
            std::env::var(var).ok().or(default.clone()).expect("an env setting with a default")
        }
    }
}

fn run(binary: &Path, broker: &Broker, dir: &Path, extra: &[String]) -> Output {
    let output = Command::new(binary)
        .current_dir(workspace_root())
        .args(["--brokers", &broker.address, "--quiet", "--checkpoint-interval", "300ms"])
        .arg("--checkpoint-dir")
        .arg(dir)
        .args(extra)
        .output()
        .expect("run the program");
    output
}

/// Writes `text` as `<name>.pipe` in `dir` and builds it.
fn build_in(dir: &Path, name: &str, text: &str) -> PathBuf {
    let program = dir.join(format!("{name}.pipe"));
    std::fs::write(&program, text).unwrap();
    build_program(&program)
}

/// A broker of its own for one test, with these topics (name, partitions).
fn broker_with(topics: &[(&str, i32)]) -> Broker {
    let broker = Broker::start();
    for (topic, partitions) in topics {
        broker.create_topic(topic, *partitions);
    }
    broker
}

/// The input file of a source in a golden case, if it has one.
fn input_of(case: &Path, source: &str) -> Option<PathBuf> {
    ["jsonl", "csv", "txt"].iter().map(|ext| case.join("input").join(format!("{source}.{ext}"))).find(|p| p.is_file())
}

#[test]
fn golden_cases_through_the_broker() {
    let mut ran = 0;
    let mut failures = Vec::new();
    for (name, case, program) in &crate::golden::cases() {
        let (_, checked) = compile_file(program);
        let Ok(checked) = checked else { continue };
        let plan = checked.plan;
        let kafka_streams =
            plan.sources.iter().filter(|s| !s.table && matches!(s.connector, SourceConnector::Kafka { .. }));
        if kafka_streams.clone().count() == 0 {
            continue;
        }
        let broker = Broker::start();
        let work = tempfile::tempdir().unwrap();
        let mut args: Vec<String> = vec!["--until-end".into()];
        let mut topics_to_reset = Vec::new();
        for source in &plan.sources {
            match &source.connector {
                SourceConnector::Kafka { topics, .. } => {
                    for other in &topics[1..] {
                        broker.create_topic(&literal(other), 1);
                        topics_to_reset.push(literal(other));
                    }
                    let topic = literal(&topics[0]);
                    broker.create_topic(&topic, 1);
                    if let Some(path) = input_of(case, &source.name) {
                        let mut lines = lines_of(&path);
                        if path.extension().is_some_and(|e| e == "csv") {
                            lines.remove(0); // Kafka CSV messages carry no header row
                        }
                        broker.produce(&topic, 1, &lines);
                    }
                    topics_to_reset.push(topic);
                }
                SourceConnector::File { .. } => {
                    if let Some(path) = input_of(case, &source.name) {
                        args.push("--input".into());
                        args.push(format!("{}={}", source.name, path.display()));
                    }
                }
            }
        }
        // `start: latest` sources begin at the group's committed offsets when there are some (as after a reset).
        broker.commit_offsets_at_start(&program.file_stem().unwrap().to_string_lossy(), &topics_to_reset);
        let mut kafka_sinks = Vec::new();
        for sink in &plan.sinks {
            match &sink.connector {
                SinkConnector::Kafka { topic, .. } => {
                    let topic = literal(topic);
                    broker.create_topic(&topic, 1);
                    kafka_sinks.push((sink.name.clone(), topic));
                }
                _ => {
                    args.push("--output".into());
                    args.push(format!("{}={}", sink.name, work.path().join(format!("{}.jsonl", sink.name)).display()));
                }
            }
        }
        if let Ok(text) = std::fs::read_to_string(case.join("params")) {
            for line in text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
                args.push("--param".into());
                args.push(line.to_string());
            }
        }
        let binary = build_program(program);
        let output = run(&binary, &broker, &work.path().join("checkpoints"), &args);
        if !output.status.success() {
            failures.push(format!(
                "{name}: exited with {}: {}",
                output.status,
                String::from_utf8_lossy(&output.stderr)
            ));
            continue;
        }
        for expected_path in std::fs::read_dir(case.join("expected")).unwrap().map(|e| e.unwrap().path()) {
            let sink = expected_path.file_stem().unwrap().to_string_lossy().to_string();
            let mut expected = read_records(&expected_path).unwrap();
            let mut actual: Vec<Value> = match kafka_sinks.iter().find(|(s, _)| *s == sink) {
                Some((_, topic)) => broker
                    .consume(topic)
                    .into_iter()
                    .map(|(_, payload)| serde_json::from_str(&payload).unwrap_or(Value::String(payload)))
                    .collect(),
                None => {
                    let path = work.path().join(format!("{sink}.jsonl"));
                    if path.exists() {
                        read_records(&path).unwrap()
                    } else {
                        Vec::new()
                    }
                }
            };
            if let Some(keys) = running_keys(&plan, &sink) {
                expected = last_per_key(expected, &keys);
                actual = last_per_key(actual, &keys);
            }
            let (missing, unexpected) = multiset_diff(&expected, &actual);
            if !missing.is_empty() || !unexpected.is_empty() {
                failures.push(format!(
                    "{name}: sink `{sink}`: {} missing, {} unexpected\n  missing: {:?}\n  unexpected: {:?}",
                    missing.len(),
                    unexpected.len(),
                    missing.iter().take(5).collect::<Vec<_>>(),
                    unexpected.iter().take(5).collect::<Vec<_>>()
                ));
            }
        }
        ran += 1;
    }
    assert!(ran >= 5, "only {ran} golden cases read Kafka");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// W2 over 200k records on 4 partitions: a 10 s tumbling count and sum per url.
pub const CRASH_PROGRAM: &str = r#"
schema Click { user_id: string, url: string, bytes: int, ts: timestamp }
source clicks: Click from kafka { topic: "clicks", event_time: ts }
sink counts to kafka { topic: "counts", key: url, delivery: DELIVERY }
pipeline w2 {
  from clicks
  | group by url window tumbling 10s watermark 5s aggregate { views: count(), bytes: sum(bytes) }
  | to counts
}
"#;

pub const RECORDS: usize = 200_000;
const URLS: usize = 16;
pub const BASE_MS: i64 = 1_795_531_200_000;

pub fn click(i: usize) -> Vec<u8> {
    // Event time grows with i, so each partition (i % 4) is in time order and no record is late.
    let ts = BASE_MS + i as i64 * 7;
    let time = sluice::Timestamp(ts).to_string();
    format!(r#"{{"user_id":"u{}","url":"/p/{}","bytes":{},"ts":"{time}"}}"#, i % 97, (i * 7919) % URLS, i % 1000)
        .into_bytes()
}

/// The expected rows, computed directly: (url, window_start) -> (views, bytes).
pub fn crash_expected() -> Vec<Value> {
    let mut rows: std::collections::BTreeMap<(String, i64), (i64, i64)> = Default::default();
    for i in 0..RECORDS {
        let ts = BASE_MS + i as i64 * 7;
        let start = ts - ts.rem_euclid(10_000);
        let row = rows.entry((format!("/p/{}", (i * 7919) % URLS), start)).or_default();
        row.0 += 1;
        row.1 += (i % 1000) as i64;
    }
    rows.into_iter()
        .map(|((url, start), (views, bytes))| {
            serde_json::json!({
                "url": url,
                "window_start": sluice::Timestamp(start).to_string(),
                "window_end": sluice::Timestamp(start + 10_000).to_string(),
                "views": views,
                "bytes": bytes,
            })
        })
        .collect()
}

/// (lost, duplicated) rows of an output against the expectation.
pub fn loss_and_duplicates(expected: &[Value], actual: &[Value]) -> (usize, usize) {
    let (missing, unexpected) = multiset_diff(expected, actual);
    for row in missing.iter().take(3) {
        eprintln!("  missing:    {row}");
    }
    for row in unexpected.iter().take(3) {
        eprintln!("  unexpected: {row}");
    }
    (missing.len(), unexpected.len())
}

#[test]
fn the_harness_catches_a_loss_and_a_duplicate() {
    let expected = crash_expected();
    assert_eq!(loss_and_duplicates(&expected, &expected), (0, 0));
    let mut doctored = expected.clone();
    doctored.pop();
    assert_eq!(loss_and_duplicates(&expected, &doctored), (1, 0), "a lost row");
    let mut doctored = expected.clone();
    doctored.push(expected[3].clone());
    assert_eq!(loss_and_duplicates(&expected, &doctored), (0, 1), "a duplicated row");
}

fn crash_run(delivery: &str) -> (Broker, Vec<Value>, usize) {
    let (broker, _dir, kills) = crash_run_program(delivery, &CRASH_PROGRAM.replace("DELIVERY", delivery), &[], &[]);
    let actual: Vec<Value> =
        broker.consume("counts").into_iter().map(|(_, payload)| serde_json::from_str(&payload).unwrap()).collect();
    (broker, actual, kills)
}

/// Runs `program` through 10 SIGKILLs while the records arrive, then to the end of the input
/// (`envs`: set for the program's runs).
pub fn crash_run_program(
    label: &str,
    program_text: &str,
    envs: &[(&str, &str)],
    args: &[&str],
) -> (Broker, tempfile::TempDir, usize) {
    use rand_free::Lcg;
    let dir = tempfile::tempdir().unwrap();
    let binary = build_in(
        dir.path(),
        &format!("w2_{label}"),
        &program_text.replace("OUT_DIR", &dir.path().join("out").display().to_string()),
    );
    // Durable storage: the exactly-once check reads the broker's log (transaction markers).
    let broker = Broker::start_durable();
    broker.create_topic("clicks", 4);
    broker.create_topic("counts", 2);
    let checkpoints = dir.path().join("checkpoints");
    let records: Vec<Vec<u8>> = (0..RECORDS).map(click).collect();
    // Records arrive while the pipeline runs and is killed: 20 batches, one every 400 ms.
    let address = broker.address.clone();
    let producer = std::thread::spawn(move || {
        let broker = Broker::attach(&address);
        for chunk in records.chunks(RECORDS / 20) {
            broker.produce_from(chunk);
            std::thread::sleep(std::time::Duration::from_millis(400));
        }
    });
    let mut rng = Lcg(0x5eed ^ label.len() as u64);
    let mut kills = 0;
    while kills < 10 {
        let mut child = Command::new(&binary)
            .args(["--brokers", &broker.address, "--quiet", "--checkpoint-interval", "200ms", "--idle-timeout", "1h"])
            .arg("--checkpoint-dir")
            .arg(&checkpoints)
            .envs(envs.iter().copied())
            .args(args)
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(300 + rng.next() % 900));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        kills += 1;
    }
    producer.join().unwrap();
    // Then a run to the end of the input, which emits the last windows.
    let output = Command::new(&binary)
        .args(["--brokers", &broker.address, "--quiet", "--until-end", "--idle-timeout", "1h"])
        .arg("--checkpoint-dir")
        .arg(&checkpoints)
        .envs(envs.iter().copied())
        .args(args)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    (broker, dir, kills)
}

#[test]
fn crash_test_file_sink_exactly_once() {
    let program = CRASH_PROGRAM.replace(
        "sink counts to kafka { topic: \"counts\", key: url, delivery: DELIVERY }",
        "sink counts to file { path: \"OUT_DIR\", format: json }",
    );
    assert!(program.contains("to file"));
    let (_broker, dir, kills) = crash_run_program("file", &program, &[], &[]);
    let mut actual = Vec::new();
    let mut files = 0;
    for entry in std::fs::read_dir(dir.path().join("out")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        assert!(!name.starts_with('.'), "a temporary file was left: {name}");
        files += 1;
        actual.extend(read_records(&path).unwrap());
    }
    let (lost, duplicated) = loss_and_duplicates(&crash_expected(), &actual);
    eprintln!("file sink: {kills} kills, {files} files, {} rows, {lost} lost, {duplicated} duplicated", actual.len());
    assert_eq!((lost, duplicated), (0, 0), "epoch files must hold every row exactly once");
}

#[test]
fn crash_test_exactly_once() {
    let (broker, actual, kills) = crash_run("exactly_once");
    let expected = crash_expected();
    // librdkafka's read_committed view: on nisshi 0.7.0 it includes aborted transactions.
    let (lost, duplicated) = loss_and_duplicates(&expected, &actual);
    eprintln!(
        "exactly_once, read_committed client: {kills} kills, {} rows, {lost} lost, {duplicated} duplicated",
        actual.len()
    );
    assert_eq!(lost, 0, "rows were lost");
    // Kafka's read_committed rule applied to the broker's own log (transaction markers).
    let committed: Vec<Value> =
        broker.read_committed_from_log("counts").iter().map(|p| serde_json::from_str(p).unwrap()).collect();
    let (lost, duplicated) = loss_and_duplicates(&expected, &committed);
    eprintln!(
        "exactly_once, committed transactions in the log: {} rows, {lost} lost, {duplicated} duplicated",
        committed.len()
    );
    assert_eq!((lost, duplicated), (0, 0), "the committed output must hold every row exactly once");
    if broker.filters_aborted_transactions() {
        assert_eq!(loss_and_duplicates(&expected, &actual), (0, 0), "a filtering broker must show exactly once");
    } else {
        eprintln!("exactly_once: this broker does not filter aborted transactions for clients (nisshi 0.7.0)");
    }
}

#[test]
fn crash_test_at_least_once() {
    let (broker, actual, kills) = crash_run("at_least_once");
    let (lost, duplicated) = loss_and_duplicates(&crash_expected(), &actual);
    eprintln!("at_least_once: {kills} kills, {} rows read, {lost} lost, {duplicated} duplicated", actual.len());
    assert_eq!(lost, 0, "rows were lost");
    // Keyed messages are where Kafka's default (murmur2) partitioner puts them, so
    // a topic sluice writes is co-partitioned by its key for the next pipeline.
    for (partition, key, _) in broker.consume_partitioned("counts") {
        let key = key.expect("a keyed sink");
        assert_eq!(partition as u32, sluice::state::kafka_partition(key.as_bytes(), 2), "key {key}");
    }
    // The log reader hides nothing that is not transactional: it sees what the client sees
    // (so the exactly-once check above cannot pass by dropping duplicates).
    let mut from_log: Vec<String> = broker
        .read_committed_from_log("counts")
        .iter()
        .map(|p| serde_json::from_str::<Value>(p).unwrap().to_string())
        .collect();
    let mut from_client: Vec<String> = actual.iter().map(Value::to_string).collect();
    from_log.sort();
    from_client.sort();
    assert_eq!(from_log, from_client);
}

#[test]
fn until_end_stops_at_the_end_each_partition_had_at_start() {
    // Each record takes a millisecond (a Rust function that sleeps), so the run is still
    // reading the first records when more arrive; it must stop at the end it started with,
    // not when it catches up with a topic that keeps growing.
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("udf")).unwrap();
    std::fs::write(
        dir.path().join("udf/slow.rs"),
        "pub fn slow(x: i64) -> i64 { std::thread::sleep(std::time::Duration::from_millis(1)); x }\n",
    )
    .unwrap();
    let program = r#"
schema Click { user_id: string, url: string, bytes: int, ts: timestamp }
extern fn slow(x: int) -> int from "udf/slow.rs"
source clicks: Click from kafka { topic: "clicks", event_time: ts }
sink out to file { path: "out.jsonl" }
pipeline copy { from clicks | select { user_id, bytes: slow(bytes) } | to out }
"#;
    let binary = build_in(dir.path(), "until_end_growing", program);
    let broker = broker_with(&[("clicks", 4)]);
    // Record i (to partition i % 4) has the user id `id<i>`.
    let record = |i: usize| {
        let time = sluice::Timestamp(BASE_MS + i as i64 * 7);
        format!(r#"{{"user_id":"id{i}","url":"/p","bytes":{i},"ts":"{time}"}}"#).into_bytes()
    };
    const AT_START: usize = 2_000;
    broker.produce_from(&(0..AT_START).map(record).collect::<Vec<_>>());
    let out = dir.path().join("out.jsonl");
    let mut pipeline = Command::new(&binary)
        .args(["--brokers", &broker.address, "--quiet", "--until-end", "--checkpoint-dir"])
        .arg(dir.path().join("checkpoints"))
        .arg("--output")
        .arg(format!("out={}", out.display()))
        // A small prefetch (a few records per fetch), so that the records there at start are
        // not all fetched at once: librdkafka's end-of-partition then comes only when a fetch
        // finds nothing new, which a growing topic would put off.
        .args(["--kafka-option", "max.partition.fetch.bytes=2000", "--kafka-option", "queued.min.messages=20"])
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(700));
    assert!(pipeline.try_wait().unwrap().is_none(), "the run ended before more records arrived");
    broker.produce_from(&(AT_START..2 * AT_START).map(record).collect::<Vec<_>>());
    let status = pipeline.wait().unwrap();
    assert!(status.success(), "{status}");
    let mut read: Vec<String> = lines_of(&out)
        .iter()
        .map(|line| serde_json::from_slice::<Value>(line).unwrap()["user_id"].as_str().unwrap().to_string())
        .collect();
    read.sort();
    let mut expected: Vec<String> = (0..AT_START).map(|i| format!("id{i}")).collect();
    expected.sort();
    let after: Vec<&String> = read.iter().filter(|id| expected.binary_search(id).is_err()).collect();
    assert!(
        after.is_empty(),
        "{} records written after the start were read, such as {:?}",
        after.len(),
        after.iter().take(3).collect::<Vec<_>>()
    );
    assert!(read == expected, "not the {AT_START} records there at start, each once: {} read", read.len());
}

#[test]
fn a_second_signal_exits_at_once_without_waiting_for_the_final_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let binary = build_in(dir.path(), "w2_signals", &CRASH_PROGRAM.replace("DELIVERY", "exactly_once"));
    let mut broker = Broker::start();
    broker.create_topic("clicks", 4);
    broker.create_topic("counts", 2);
    broker.produce_from(&(0..2_000).map(click).collect::<Vec<_>>());
    let log_path = dir.path().join("pipeline.log");
    let mut pipeline = Command::new(&binary)
        .args(["--brokers", &broker.address, "--idle-timeout", "1h", "--checkpoint-dir"])
        .arg(dir.path().join("checkpoints"))
        .stderr(std::fs::File::create(&log_path).unwrap())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_secs(3));
    // With the broker gone the final checkpoint cannot commit: the first signal waits for it.
    broker.kill();
    let pid = pipeline.id().to_string();
    let log = || std::fs::read_to_string(&log_path).unwrap_or_default();
    assert!(Command::new("kill").args(["-INT", &pid]).status().unwrap().success());
    std::thread::sleep(std::time::Duration::from_millis(1500));
    assert!(
        pipeline.try_wait().unwrap().is_none(),
        "the first SIGINT did not wait for the final checkpoint:\n{}",
        log()
    );
    assert!(log().contains("a second signal exits at once"), "the first SIGINT was not announced:\n{}", log());
    assert!(Command::new("kill").args(["-INT", &pid]).status().unwrap().success());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let status = loop {
        if let Some(status) = pipeline.try_wait().unwrap() {
            break status;
        }
        assert!(std::time::Instant::now() < deadline, "the second SIGINT did not end the run at once");
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(130), "exit status 128 + SIGINT, as a shell reports it:\n{}", log());
}

#[test]
fn the_pipeline_waits_through_a_broker_restart_and_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let binary = build_in(dir.path(), "w2_restart", &CRASH_PROGRAM.replace("DELIVERY", "exactly_once"));
    let mut broker = Broker::start_durable();
    broker.create_topic("clicks", 4);
    broker.create_topic("counts", 2);
    let checkpoints = dir.path().join("checkpoints");
    let records: Vec<Vec<u8>> = (0..RECORDS).map(click).collect();
    let (first, rest) = records.split_at(RECORDS / 2);
    broker.produce_from(first);
    let log_path = dir.path().join("pipeline.log");
    let mut pipeline = Command::new(&binary)
        .args(["--brokers", &broker.address, "--checkpoint-interval", "300ms", "--idle-timeout", "1h"])
        .arg("--checkpoint-dir")
        .arg(&checkpoints)
        .stderr(std::fs::File::create(&log_path).unwrap())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_secs(3));
    // kill -9 of the broker while the pipeline runs; it comes back 3 s later on the same storage.
    broker.kill();
    std::thread::sleep(std::time::Duration::from_secs(3));
    assert!(pipeline.try_wait().unwrap().is_none(), "the pipeline exited while the broker was down");
    broker.restart();
    broker.produce_from(rest);
    std::thread::sleep(std::time::Duration::from_secs(15));
    assert!(pipeline.try_wait().unwrap().is_none(), "the pipeline exited after the broker came back");
    // SIGTERM: a final checkpoint and exit 0.
    let pid = pipeline.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let status = pipeline.wait().unwrap();
    assert!(status.success(), "SIGTERM should end the run cleanly: {status}");
    // It made progress after the broker came back: windows of the second half were emitted.
    let second_half = sluice::Timestamp(BASE_MS + (RECORDS / 2) as i64 * 7 + 20_000).to_string();
    let resumed = broker
        .consume("counts")
        .into_iter()
        .map(|(_, payload)| serde_json::from_str::<Value>(&payload).unwrap())
        .filter(|row| row["window_start"].as_str().is_some_and(|start| start > second_half.as_str()))
        .count();
    assert!(
        resumed > 0,
        "no window of the records produced after the broker restart was emitted; the pipeline said:\n{}",
        std::fs::read_to_string(&log_path).unwrap_or_default()
    );
    let output = Command::new(&binary)
        .args(["--brokers", &broker.address, "--quiet", "--until-end", "--idle-timeout", "1h"])
        .arg("--checkpoint-dir")
        .arg(&checkpoints)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let actual: Vec<Value> =
        broker.consume("counts").into_iter().map(|(_, payload)| serde_json::from_str(&payload).unwrap()).collect();
    let (lost, duplicated) = loss_and_duplicates(&crash_expected(), &actual);
    eprintln!("broker restart: {} rows read, {lost} lost, {duplicated} duplicated", actual.len());
    assert_eq!(lost, 0, "rows were lost");
    let committed: Vec<Value> =
        broker.read_committed_from_log("counts").iter().map(|p| serde_json::from_str(p).unwrap()).collect();
    assert_eq!(loss_and_duplicates(&crash_expected(), &committed), (0, 0), "committed output, from the log");
    if broker.filters_aborted_transactions() {
        assert_eq!(duplicated, 0, "rows were duplicated");
    }
}

mod rand_free {
    /// A tiny deterministic generator for kill instants (no dependency needed).
    pub struct Lcg(pub u64);
    impl Lcg {
        pub fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            self.0 >> 33
        }
    }
}

const DEAD_LETTER_PROGRAM: &str = r#"
schema Payment { id: int, amount: float, merchant: string }
source payments: Payment from kafka { topic: "payments", on_error: rejects }
sink big to kafka { topic: "big", key: merchant }
sink rejects to kafka { topic: "rejects" }
pipeline big_payments { from payments | where amount >= 0.0 | to big }
"#;

/// 1000 records, every tenth one bad in one of four ways.
fn payments() -> (Vec<Vec<u8>>, Vec<Value>, usize) {
    let mut payloads = Vec::new();
    let mut good = Vec::new();
    let mut bad = 0;
    for i in 0..1000 {
        if i % 10 == 3 {
            bad += 1;
            payloads.push(match (i / 10) % 4 {
                0 => b"{not json".to_vec(),
                1 => format!(r#"{{"id":"{i}","amount":1.0,"merchant":"m"}}"#).into_bytes(),
                2 => vec![b'{', 0xff, 0xfe, b'}'],
                _ => format!(r#"{{"id":{i},"amount":1.0,"merchant":"{}"}}"#, "x".repeat(3000)).into_bytes(),
            });
        } else {
            let record = serde_json::json!({ "id": i, "amount": (i % 7) as f64, "merchant": format!("m{}", i % 5) });
            payloads.push(record.to_string().into_bytes());
            good.push(record);
        }
    }
    (payloads, good, bad)
}

#[test]
fn bad_records_go_to_the_dead_letter_topic_in_the_same_transaction() {
    let dir = tempfile::tempdir().unwrap();
    let binary = build_in(dir.path(), "dead_letters", DEAD_LETTER_PROGRAM);
    let broker = broker_with(&[("payments", 3), ("big", 1), ("rejects", 1)]);
    let (payloads, good, bad) = payments();
    broker.produce("payments", 3, &payloads);
    let output = run(
        &binary,
        &broker,
        &dir.path().join("checkpoints"),
        &["--until-end".into(), "--max-record-size".into(), "2KiB".into()],
    );
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let written: Vec<Value> =
        broker.consume("big").into_iter().map(|(_, p)| serde_json::from_str(&p).unwrap()).collect();
    assert_eq!(multiset_diff(&good, &written), (vec![], vec![]));
    let letters: Vec<Value> =
        broker.consume("rejects").into_iter().map(|(_, p)| serde_json::from_str(&p).unwrap()).collect();
    assert_eq!(letters.len(), bad, "one dead letter per bad record");
    for letter in &letters {
        assert_eq!(letter["source"], "payments");
        assert_eq!(letter["topic"], "payments");
        assert!(letter["partition"].as_i64().is_some_and(|p| (0..3).contains(&p)), "{letter}");
        assert!(letter["offset"].as_i64().is_some_and(|o| o >= 0), "{letter}");
        assert!(!letter["error"].as_str().unwrap().is_empty());
    }
    assert!(letters.iter().any(|l| l["payload_encoding"] == "base64"), "bad UTF-8 travels as base64");
    assert!(letters.iter().any(|l| l["error"].as_str().unwrap().contains("--max-record-size")));
}

#[test]
fn on_error_fail_stops_at_the_bad_record_and_does_not_skip_it_on_restart() {
    let dir = tempfile::tempdir().unwrap();
    let binary = build_in(dir.path(), "fail_fast", &DEAD_LETTER_PROGRAM.replace("on_error: rejects", "on_error: fail"));
    let broker = broker_with(&[("payments", 1), ("big", 1), ("rejects", 1)]);
    let (payloads, _, _) = payments();
    broker.produce("payments", 1, &payloads);
    let checkpoints = dir.path().join("checkpoints");
    for attempt in 0..2 {
        let output = run(&binary, &broker, &checkpoints, &["--until-end".into()]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "attempt {attempt} should fail");
        assert!(stderr.contains("partition 0 offset 3"), "attempt {attempt}: {stderr}");
    }
    // Nothing after the bad record was committed, and the records before it once at most.
    assert!(broker.consume("big").len() <= 3);
}

#[test]
fn kafka_option_values_are_never_printed() {
    let dir = tempfile::tempdir().unwrap();
    let binary = build_in(dir.path(), "secrets", DEAD_LETTER_PROGRAM);
    let canary = "canary-pw-8c1f";
    let help =
        Command::new(&binary).args(["--kafka-option", &format!("sasl.password={canary}"), "--help"]).output().unwrap();
    let bad_option = Command::new(&binary)
        .args(["--kafka-option", &format!("no.such.option={canary}"), "--until-end"])
        .output()
        .unwrap();
    let bad_value = Command::new(&binary)
        .args(["--brokers", "127.0.0.1:9", "--kafka-option", &format!("security.protocol={canary}"), "--until-end"])
        .output()
        .unwrap();
    for output in [&help, &bad_option, &bad_value] {
        let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
        assert!(!text.contains(canary), "the secret was printed: {text}");
    }
    assert!(!bad_option.status.success());
    assert!(String::from_utf8_lossy(&bad_option.stderr).contains("no.such.option"));
    assert!(!bad_value.status.success());
}

/// The `stream!` example crate, compiled into this test: its pipeline reads Kafka and writes Kafka.
#[path = "../examples/embedded/src/main.rs"]
#[allow(dead_code, reason = "the example's own `main` is not called here")]
mod embedded_example;

#[test]
fn the_stream_macro_example_reads_and_writes_kafka() {
    let broker = broker_with(&[("clicks", 1), ("clicks-per-class", 1), ("clicks-late", 1)]);
    let input = workspace_root().join("examples/data/clicks.jsonl");
    broker.produce("clicks", 1, &lines_of(&input));
    let dir = tempfile::tempdir().unwrap();
    let checkpoints = dir.path().join("checkpoints").display().to_string();
    embedded_example::pipelines::clicks_per_class()
        .run_with(&["--brokers", &broker.address, "--until-end", "--quiet", "--checkpoint-dir", &checkpoints])
        .unwrap();
    // The same pipeline on the same records from a file is the reference.
    let from_file = dir.path().join("per_class.jsonl");
    let late_file = dir.path().join("late.jsonl");
    embedded_example::pipelines::clicks_per_class()
        .run_with(&[
            "--quiet",
            "--input",
            &format!("clicks={}", input.display()),
            "--output",
            &format!("per_class={}", from_file.display()),
            "--output",
            &format!("late_clicks={}", late_file.display()),
        ])
        .unwrap();
    let expected = read_records(&from_file).unwrap();
    assert!(!expected.is_empty());
    let actual: Vec<Value> =
        broker.consume("clicks-per-class").into_iter().map(|(_, p)| serde_json::from_str(&p).unwrap()).collect();
    assert_eq!(multiset_diff(&expected, &actual), (vec![], vec![]));
    let keys: Vec<Option<String>> = broker.consume("clicks-per-class").into_iter().map(|(k, _)| k).collect();
    assert!(
        keys.iter().all(|k| k.as_deref().is_some_and(|k| ["shopping", "api", "browsing"].contains(&k))),
        "{keys:?}"
    );
}

const TABLE_PROGRAM: &str = r#"
schema Order { order_id: int, sku: string }
schema Price { product: string, price: float }
source orders: Order from kafka { topic: "orders" }
source prices: Price from kafka { topic: "prices", table: true }
sink priced to kafka { topic: "priced" }
pipeline pricing { from orders | join prices on sku == product | select { order_id, price } | to priced }
"#;

#[test]
fn a_kafka_table_is_kept_up_to_date_while_the_stream_runs() {
    let dir = tempfile::tempdir().unwrap();
    let binary = build_in(dir.path(), "pricing", TABLE_PROGRAM);
    let broker = broker_with(&[("orders", 1), ("prices", 1), ("priced", 1)]);
    let row = |v: Value| v.to_string().into_bytes();
    broker.produce("prices", 1, &[row(serde_json::json!({ "product": "a", "price": 1.0 }))]);
    let mut pipeline = Command::new(&binary)
        .args(["--brokers", &broker.address, "--quiet", "--checkpoint-interval", "200ms"])
        .arg("--checkpoint-dir")
        .arg(dir.path().join("checkpoints"))
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let pause = || std::thread::sleep(std::time::Duration::from_millis(2500));
    pause();
    broker.produce("orders", 1, &[row(serde_json::json!({ "order_id": 1, "sku": "a" }))]);
    pause();
    broker.produce("prices", 1, &[row(serde_json::json!({ "product": "a", "price": 2.0 }))]);
    pause();
    broker.produce("orders", 1, &[row(serde_json::json!({ "order_id": 2, "sku": "a" }))]);
    pause();
    assert!(Command::new("kill").args(["-TERM", &pipeline.id().to_string()]).status().unwrap().success());
    assert!(pipeline.wait().unwrap().success());
    let priced: Vec<Value> =
        broker.consume("priced").into_iter().map(|(_, p)| serde_json::from_str(&p).unwrap()).collect();
    let expected =
        vec![serde_json::json!({ "order_id": 1, "price": 1.0 }), serde_json::json!({ "order_id": 2, "price": 2.0 })];
    assert_eq!(multiset_diff(&expected, &priced), (vec![], vec![]), "{priced:?}");
}

const MIXED_PROGRAM: &str = r#"
schema Click { user_id: string, url: string, bytes: int, ts: timestamp }
source live: Click from kafka { topic: "live" }
source backfill: Click from kafka { topic: "backfill" }
sink out to kafka { topic: "out" }
pipeline both { from live, backfill | where bytes > 0 | to out }
"#;

#[test]
fn a_kafka_run_reads_a_source_swapped_for_a_file_and_checkpoints_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let binary = build_in(dir.path(), "mixed", MIXED_PROGRAM);
    let broker = broker_with(&[("live", 1), ("out", 1)]);
    let clicks = lines_of(&workspace_root().join("examples/data/clicks.jsonl"));
    let file = dir.path().join("backfill.jsonl");
    std::fs::write(&file, clicks.iter().map(|l| format!("{}\n", String::from_utf8_lossy(l))).collect::<String>())
        .unwrap();
    broker.produce("live", 1, &clicks[..3]);
    let checkpoints = dir.path().join("checkpoints");
    let args = |extra: &[&str]| {
        let mut args = vec!["--until-end".to_string(), "--input".to_string(), format!("backfill={}", file.display())];
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    };
    let first = run(&binary, &broker, &checkpoints, &args(&[]));
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    assert_eq!(broker.consume("out").len(), 3 + clicks.len(), "the topic's records and every line of the file");
    // A second run resumes from the checkpoint: new topic records only, the file is not read again.
    broker.produce("live", 1, &clicks[3..5]);
    let second = run(&binary, &broker, &checkpoints, &args(&[]));
    assert!(second.status.success(), "{}", String::from_utf8_lossy(&second.stderr));
    assert_eq!(broker.consume("out").len(), 5 + clicks.len());
}

#[test]
fn a_restart_that_cannot_match_state_with_outputs_is_refused_and_deletes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let binary = build_in(dir.path(), "refuse", DEAD_LETTER_PROGRAM);
    let broker = broker_with(&[("payments", 1), ("big", 1), ("rejects", 1)]);
    let (payloads, _, _) = payments();
    broker.produce("payments", 1, &payloads);
    let checkpoints = dir.path().join("checkpoints");
    let first = run(&binary, &broker, &checkpoints, &["--until-end".into()]);
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    let written = broker.consume("big").len();
    let files = || {
        let mut names: Vec<String> = std::fs::read_dir(&checkpoints)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .collect();
        names.sort();
        names
    };
    let before = files();
    assert!(before.iter().any(|n| n.starts_with("checkpoint-")), "{before:?}");
    // Another group has no committed epoch: the state cannot be matched with the outputs.
    let other = run(&binary, &broker, &checkpoints, &["--until-end".into(), "--group".into(), "elsewhere".into()]);
    let stderr = String::from_utf8_lossy(&other.stderr);
    assert!(!other.status.success());
    assert!(stderr.contains("has no committed epoch"), "{stderr}");
    assert_eq!(files(), before, "nothing is deleted");
    assert_eq!(broker.consume("big").len(), written, "the refused run wrote nothing");
}
