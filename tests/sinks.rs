//! PostgreSQL and Parquet sinks, end to end: programs read a real broker
//! (`kafka_harness`) and write a real PostgreSQL server (`postgres_harness`)
//! and Parquet files, which are read back with the `parquet` crate's own
//! record reader. Expectations are computed here, from the inputs.

use crate::common::workspace_root;
use crate::kafka::{crash_expected, crash_run_program, loss_and_duplicates, CRASH_PROGRAM};
use crate::kafka_harness::{build_program, Broker};
use crate::postgres_harness::{rfc3339, Postgres};
use parquet::basic::{LogicalType, TimeUnit, Type as Physical};
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::{Field, Row};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A Parquet value as JSON, timestamps as RFC 3339 text (as the JSON sinks write them).
fn field_json(field: &Field) -> Value {
    match field {
        Field::Null => Value::Null,
        Field::Bool(b) => json!(b),
        Field::Long(n) => json!(n),
        Field::Int(n) => json!(n),
        Field::Double(x) => json!(x),
        Field::Str(s) => json!(s),
        Field::TimestampMillis(ms) => json!(sluice::Timestamp(*ms).to_string()),
        Field::ListInternal(list) => Value::Array(list.elements().iter().map(field_json).collect()),
        Field::Group(row) => row_json(row),
        other => panic!("a Parquet value sluice does not write: {other:?}"),
    }
}

fn row_json(row: &Row) -> Value {
    Value::Object(row.get_column_iter().map(|(name, field)| (name.clone(), field_json(field))).collect())
}

/// Every row of every Parquet file in `dir` (no temporary file may be left there).
fn parquet_rows(dir: &Path) -> (Vec<Value>, usize) {
    let mut rows = Vec::new();
    let mut files = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        assert!(!name.starts_with('.'), "a temporary file was left: {name}");
        assert!(name.ends_with(".parquet"), "not a Parquet file: {name}");
        let reader = SerializedFileReader::new(std::fs::File::open(&path).unwrap()).unwrap();
        rows.extend(reader.get_row_iter(None).unwrap().map(|row| row_json(&row.unwrap())));
        files += 1;
    }
    (rows, files)
}

fn temp_database(pg: &Postgres, name: &str) -> String {
    pg.client().batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
    pg.url.replace("/postgres", &format!("/{name}"))
}

#[test]
fn crash_test_postgres_sink_exactly_once() {
    let pg = Postgres::start();
    let program = CRASH_PROGRAM.replace(
        "sink counts to kafka { topic: \"counts\", key: url, delivery: DELIVERY }",
        "sink counts to postgres { url: env(\"SLUICE_TEST_PG_URL\"), table: \"counts\", mode: insert, create: true }",
    );
    assert!(program.contains("to postgres"));
    // `mode: insert`: a duplicated row would stay in the table. Small batches: rows reach the
    // open transaction all through an epoch, not only at its end.
    let (_broker, _dir, kills) =
        crash_run_program("postgres", &program, &[("SLUICE_TEST_PG_URL", &pg.url)], &["--db-batch-size", "512"]);
    let actual = pg.rows(&format!(
        "SELECT url, {}, {}, views, bytes FROM counts",
        rfc3339("window_start"),
        rfc3339("window_end")
    ));
    let (lost, duplicated) = loss_and_duplicates(&crash_expected(), &actual);
    let epochs = pg.rows("SELECT next_offset AS epoch FROM sluice_offsets WHERE partition = -1");
    eprintln!("postgres sink: {kills} kills, {} rows, {lost} lost, {duplicated} duplicated, {epochs:?}", actual.len());
    assert_eq!((lost, duplicated), (0, 0), "rows and offsets commit in one transaction");
    assert_eq!(epochs.len(), 1, "one pipeline's epoch row");
}

#[test]
fn crash_test_parquet_sink_exactly_once() {
    let program = CRASH_PROGRAM.replace(
        "sink counts to kafka { topic: \"counts\", key: url, delivery: DELIVERY }",
        "sink counts to file { path: \"OUT_DIR\", format: parquet }",
    );
    assert!(program.contains("format: parquet"));
    // Tiny files: each epoch rolls into several, all published together once it commits.
    // Watermark alignment on: partitions are paused and resumed all through the run.
    let (_broker, dir, kills) =
        crash_run_program("parquet", &program, &[], &["--max-file-size", "1KiB", "--max-drift", "20s"]);
    let (actual, files) = parquet_rows(&dir.path().join("out"));
    let (lost, duplicated) = loss_and_duplicates(&crash_expected(), &actual);
    eprintln!(
        "parquet sink: {kills} kills, {files} files, {} rows, {lost} lost, {duplicated} duplicated",
        actual.len()
    );
    assert_eq!((lost, duplicated), (0, 0), "epoch files must hold every row exactly once");
    let rolled = std::fs::read_dir(dir.path().join("out"))
        .unwrap()
        .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().contains("-r"))
        .count();
    assert!(rolled > 0, "no file was rolled by --max-file-size");
}

const CLICKS: usize = 6_000;
const BASE_MS: i64 = 1_795_531_200_000;

/// The example's input: event time grows with i (3 s apart), so nothing is late.
fn clicks() -> Vec<Value> {
    (0..CLICKS)
        .map(|i| {
            let tags: Vec<String> = (0..i % 3).map(|t| format!("t{}", (i + t) % 5)).collect();
            json!({
                "user_id": format!("u{}", i % 41),
                "url": format!("/p/{}", (i * 31) % 9),
                "bytes": (i % 700) as i64,
                "referrer": if i % 3 == 0 { Value::Null } else { json!(format!("https://r{}.example", i % 4)) },
                "tags": tags,
                "ts": sluice::Timestamp(BASE_MS + i as i64 * 3_000).to_string(),
            })
        })
        .collect()
}

/// `page_views_1m` as the spec defines it: per url and 1-minute window, views, distinct users, kb.
fn page_views(clicks: &[Value]) -> Vec<Value> {
    let mut windows: BTreeMap<(String, i64), (i64, BTreeSet<String>, i64)> = BTreeMap::new();
    for click in clicks {
        let ts = sluice::Timestamp::parse_rfc3339(click["ts"].as_str().unwrap()).unwrap().0;
        let start = ts - ts.rem_euclid(60_000);
        let entry = windows.entry((click["url"].as_str().unwrap().to_string(), start)).or_default();
        entry.0 += 1;
        entry.1.insert(click["user_id"].as_str().unwrap().to_string());
        entry.2 += click["bytes"].as_i64().unwrap();
    }
    windows
        .into_iter()
        .map(|((url, start), (views, users, bytes))| {
            json!({
                "url": url,
                "window_start": sluice::Timestamp(start).to_string(),
                "window_end": sluice::Timestamp(start + 60_000).to_string(),
                "views": views,
                "users": users.len(),
                "kb": bytes as f64 / 1024.0,
            })
        })
        .collect()
}

fn warehouse_rows(pg: &Postgres, database: &str) -> Vec<Value> {
    let url = pg.url.replace("/postgres", &format!("/{database}"));
    let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    client
        .query(
            &format!(
                "SELECT to_json(q)::text FROM (SELECT url, {}, {}, views, users, kb FROM page_views_1m) q",
                rfc3339("window_start"),
                rfc3339("window_end")
            ),
            &[],
        )
        .unwrap()
        .iter()
        .map(|row| serde_json::from_str(row.get::<_, &str>(0)).unwrap())
        .collect()
}

/// The Parquet columns: typed from the record (a timestamp column, an optional, a list).
fn check_lake_schema(dir: &Path) {
    let file = std::fs::read_dir(dir).unwrap().next().unwrap().unwrap().path();
    let reader = SerializedFileReader::new(std::fs::File::open(&file).unwrap()).unwrap();
    let schema = reader.metadata().file_metadata().schema_descr_ptr();
    let columns: Vec<(String, Physical, Option<LogicalType>, i16, i16)> = (0..schema.num_columns())
        .map(|i| {
            let c = schema.column(i);
            (c.path().string(), c.physical_type(), c.logical_type_ref().cloned(), c.max_def_level(), c.max_rep_level())
        })
        .collect();
    let string = Some(LogicalType::String);
    let millis = Some(LogicalType::Timestamp { is_adjusted_to_u_t_c: true, unit: TimeUnit::MILLIS });
    assert_eq!(
        columns,
        vec![
            ("user_id".to_string(), Physical::BYTE_ARRAY, string.clone(), 0, 0),
            ("url".to_string(), Physical::BYTE_ARRAY, string.clone(), 0, 0),
            ("bytes".to_string(), Physical::INT64, None, 0, 0),
            ("referrer".to_string(), Physical::BYTE_ARRAY, string.clone(), 1, 0),
            ("tags.list.element".to_string(), Physical::BYTE_ARRAY, string, 1, 1),
            ("ts".to_string(), Physical::INT64, millis, 0, 0),
        ]
    );
}

/// Compares the lake with the input column by column, then row by row.
fn check_lake(dir: &Path, clicks: &[Value]) -> usize {
    check_lake_schema(dir);
    let (rows, files) = parquet_rows(dir);
    for column in ["user_id", "url", "bytes", "referrer", "tags", "ts"] {
        let mut want: Vec<String> = clicks.iter().map(|c| c[column].to_string()).collect();
        let mut got: Vec<String> = rows.iter().map(|r| r[column].to_string()).collect();
        want.sort();
        got.sort();
        assert!(want == got, "column `{column}` differs from the input");
    }
    assert_eq!(loss_and_duplicates(clicks, &rows), (0, 0));
    files
}

/// Runs the example with `args`, its database at `url` and its files in `dir`; it must succeed.
fn run_example(args: &[&str], url: &str, dir: &Path) {
    let output = Command::new(example_binary())
        .args(args)
        .env("WAREHOUSE_URL", url)
        .env("LAKE_PATH", dir.join("lake"))
        .env("LATE_PATH", dir.join("late"))
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
}

/// Built once for the tests that run it (two builds of one binary at once would collide).
fn example_binary() -> PathBuf {
    static BINARY: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BINARY.get_or_init(|| build_program(&workspace_root().join("examples/pipes/warehouse_and_lake.pipe"))).clone()
}

#[test]
fn the_warehouse_and_lake_example_from_the_broker() {
    let pg = Postgres::start();
    let url = temp_database(&pg, "warehouse");
    // An existing table with a stale row for a key the run writes: the upsert must replace it.
    let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    client
        .batch_execute(&format!(
            "CREATE TABLE page_views_1m (url text, window_start timestamptz, window_end timestamptz,
               views bigint NOT NULL, users bigint, kb double precision, PRIMARY KEY (url, window_start));
             INSERT INTO page_views_1m VALUES ('/p/0', '{}', '{}', 999, 999, 999.0)",
            sluice::Timestamp(BASE_MS),
            sluice::Timestamp(BASE_MS + 60_000)
        ))
        .unwrap();
    let clicks = clicks();
    let broker = Broker::start();
    broker.create_topic("clicks", 3);
    let payloads: Vec<Vec<u8>> = clicks.iter().map(|c| c.to_string().into_bytes()).collect();
    broker.produce("clicks", 3, &payloads);
    let dir = tempfile::tempdir().unwrap();
    let checkpoints = dir.path().join("checkpoints").display().to_string();
    let args = ["--brokers", &broker.address, "--quiet", "--until-end", "--checkpoint-interval", "200ms"];
    run_example(
        &[&args[..], &["--max-file-size", "16KiB", "--checkpoint-dir", &checkpoints]].concat(),
        &url,
        dir.path(),
    );
    let expected = page_views(&clicks);
    assert_eq!(loss_and_duplicates(&expected, &warehouse_rows(&pg, "warehouse")), (0, 0));
    let files = check_lake(&dir.path().join("lake"), &clicks);
    assert!(files > 3, "16 KiB files: the lake was rolled by size ({files} files)");
    assert!(!dir.path().join("late").exists() || std::fs::read_dir(dir.path().join("late")).unwrap().count() == 0);
}

#[test]
fn the_warehouse_and_lake_example_on_files() {
    let pg = Postgres::start();
    let url = temp_database(&pg, "warehouse");
    let clicks = clicks();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("clicks.jsonl");
    std::fs::write(&input, clicks.iter().map(|c| format!("{c}\n")).collect::<String>()).unwrap();
    run_example(&["--quiet", "--input", &format!("clicks={}", input.display())], &url, dir.path());
    // `create: true` made the table, with the key as its primary key.
    let key = pg_key(&url, "page_views_1m");
    assert_eq!(key, ["url", "window_start"]);
    assert_eq!(loss_and_duplicates(&page_views(&clicks), &warehouse_rows(&pg, "warehouse")), (0, 0));
    assert_eq!(check_lake(&dir.path().join("lake"), &clicks), 1, "one file per run on files");
}

fn pg_key(url: &str, table: &str) -> Vec<String> {
    let mut client = postgres::Client::connect(url, postgres::NoTls).unwrap();
    client
        .query(
            "SELECT a.attname::text FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid
               AND a.attnum = ANY(i.indkey) WHERE i.indrelid = $1::text::regclass AND i.indisprimary ORDER BY a.attnum",
            &[&table],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

const STRICT_PROGRAM: &str = r#"
schema Click { url: string, bytes: int, ts: timestamp }
source clicks: Click from kafka { topic: "clicks", event_time: ts }
sink db to postgres { url: env("SLUICE_TEST_PG_URL"), table: env("SLUICE_TEST_TABLE"), mode: upsert, key: [url, window_start] }
pipeline counts {
  from clicks
  | group by url window tumbling 10s watermark 1s aggregate { views: count(), bytes: sum(bytes) }
  | to db
}
"#;

#[test]
fn a_bad_database_configuration_is_an_error_at_start() {
    let pg = Postgres::start();
    let dir = tempfile::tempdir().unwrap();
    let binary = {
        let program = dir.path().join("strict_db.pipe");
        std::fs::write(&program, STRICT_PROGRAM).unwrap();
        build_program(&program)
    };
    let broker = Broker::start();
    broker.create_topic("clicks", 1);
    let payloads: Vec<Vec<u8>> = (0..50)
        .map(|i| format!(r#"{{"url":"/a","bytes":{i},"ts":"{}"}}"#, sluice::Timestamp(BASE_MS + i * 1000)).into_bytes())
        .collect();
    broker.produce("clicks", 1, &payloads);
    let mut client = pg.client();
    client
        .batch_execute(
            "CREATE TABLE wrong_types (url text, window_start timestamptz, window_end timestamptz, views text, bytes bigint,
               PRIMARY KEY (url, window_start));
             CREATE TABLE no_key (url text, window_start timestamptz, window_end timestamptz, views bigint, bytes bigint);
             CREATE TABLE extra_required (url text, window_start timestamptz, window_end timestamptz, views bigint,
               bytes bigint, owner text NOT NULL, PRIMARY KEY (url, window_start))",
        )
        .unwrap();
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let canary = "canary-Pw-31337";
    let unreachable = format!("postgres://sluice:{canary}@127.0.0.1:{closed_port}/postgres");
    client
        .batch_execute(
            "CREATE TABLE narrow (url text, window_start timestamptz, window_end timestamptz, views integer, bytes bigint,
               PRIMARY KEY (url, window_start))",
        )
        .unwrap();
    let cases: [(&str, &str, &str); 6] = [
        (&unreachable, "counts", "cannot connect to PostgreSQL at postgres://sluice@127.0.0.1"),
        (&pg.url, "missing", "table `missing` does not exist"),
        (&pg.url, "wrong_types", "column `views` is `text`, which cannot hold the field's `int`"),
        (&pg.url, "no_key", "needs a unique index on exactly the key (url, window_start)"),
        (&pg.url, "extra_required", "column `owner` is NOT NULL without a default"),
        (&pg.url, "narrow", "column `views` is `int4`, which cannot hold the field's `int`"),
    ];
    for (i, (url, table, message)) in cases.iter().enumerate() {
        let checkpoints = dir.path().join(format!("checkpoints-{i}"));
        let started = std::time::Instant::now();
        let output = Command::new(&binary)
            .args(["--brokers", &broker.address, "--until-end", "--group", &format!("strict-{i}")])
            .arg("--checkpoint-dir")
            .arg(&checkpoints)
            .env("SLUICE_TEST_PG_URL", url)
            .env("SLUICE_TEST_TABLE", table)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{table}: the run should fail");
        assert!(stderr.contains(message), "{table}: expected `{message}` in:\n{stderr}");
        assert!(!stderr.contains(canary), "the password was printed:\n{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        // Nothing was consumed: no checkpoint was written.
        let written = std::fs::read_dir(&checkpoints)
            .map(|d| d.filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().starts_with("checkpoint-")).count())
            .unwrap_or(0);
        assert_eq!(written, 0, "{table}: a checkpoint was written before the error");
        assert!(started.elapsed() < std::time::Duration::from_secs(30), "{table}: the error took too long");
    }
    // The missing-table message shows the table it would create.
    let output = Command::new(&binary)
        .args(["--brokers", &broker.address, "--until-end"])
        .arg("--checkpoint-dir")
        .arg(dir.path().join("checkpoints-ddl"))
        .env("SLUICE_TEST_PG_URL", &pg.url)
        .env("SLUICE_TEST_TABLE", "missing")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("CREATE TABLE IF NOT EXISTS missing (\"url\" text NOT NULL"), "{stderr}");
    assert!(stderr.contains("PRIMARY KEY (\"url\", \"window_start\")"), "{stderr}");
}

const ARCHIVE_PROGRAM: &str = r#"
schema Click { url: string, bytes: int, ts: timestamp }
source clicks: Click from kafka { topic: "clicks" }
sink db to postgres { url: env("SLUICE_TEST_PG_URL"), table: "clicks", create: true }
pipeline archive { from clicks | where bytes >= 0 | to db }
"#;

fn small_clicks(from: i64, to: i64) -> Vec<Vec<u8>> {
    (from..to)
        .map(|i| {
            format!(r#"{{"url":"/a/{i}","bytes":{i},"ts":"{}"}}"#, sluice::Timestamp(BASE_MS + i * 1000)).into_bytes()
        })
        .collect()
}

#[test]
fn without_its_checkpoint_a_stateless_pipeline_resumes_from_the_database_and_a_stateful_one_refuses() {
    let pg = Postgres::start();
    let dir = tempfile::tempdir().unwrap();
    let build = |name: &str, text: &str| {
        let program = dir.path().join(format!("{name}.pipe"));
        std::fs::write(&program, text).unwrap();
        build_program(&program)
    };
    let archive = build("archive_db", ARCHIVE_PROGRAM);
    let broker = Broker::start();
    broker.create_topic("clicks", 2);
    broker.produce("clicks", 2, &small_clicks(0, 300));
    let checkpoints = dir.path().join("checkpoints");
    let run = |binary: &Path, table: &str| {
        Command::new(binary)
            .args(["--brokers", &broker.address, "--quiet", "--until-end", "--checkpoint-interval", "200ms"])
            .arg("--checkpoint-dir")
            .arg(&checkpoints)
            .env("SLUICE_TEST_PG_URL", &pg.url)
            .env("SLUICE_TEST_TABLE", table)
            .output()
            .unwrap()
    };
    let output = run(&archive, "");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    // The checkpoint directory is lost (a new machine); more records arrive.
    std::fs::remove_dir_all(&checkpoints).unwrap();
    broker.produce("clicks", 2, &small_clicks(300, 500));
    let output = run(&archive, "");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let rows = pg.rows("SELECT bytes FROM clicks");
    let expected: Vec<Value> = (0..500).map(|i| json!({ "bytes": i })).collect();
    assert_eq!(loss_and_duplicates(&expected, &rows), (0, 0), "each record once, across the lost checkpoint");

    // A windowed count cannot rebuild its state from offsets: the restart is refused.
    pg.client()
        .batch_execute(
            "CREATE TABLE counts_ok (url text, window_start timestamptz, window_end timestamptz, views bigint, bytes bigint,
               PRIMARY KEY (url, window_start))",
        )
        .unwrap();
    let strict = build("strict_refuse", STRICT_PROGRAM);
    std::fs::remove_dir_all(&checkpoints).unwrap();
    let output = run(&strict, "counts_ok");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    std::fs::remove_dir_all(&checkpoints).unwrap();
    let output = run(&strict, "counts_ok");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success() && stderr.contains("its checkpoint is not in"), "{stderr}");
}

#[test]
fn the_pipeline_waits_through_a_database_crash_and_loses_nothing() {
    use crate::kafka::{click, RECORDS};
    let pg = Postgres::start();
    let dir = tempfile::tempdir().unwrap();
    let program = dir.path().join("w2_db_outage.pipe");
    std::fs::write(
        &program,
        CRASH_PROGRAM.replace(
            "sink counts to kafka { topic: \"counts\", key: url, delivery: DELIVERY }",
            "sink counts to postgres { url: env(\"SLUICE_TEST_PG_URL\"), table: \"counts\", create: true }",
        ),
    )
    .unwrap();
    let binary = build_program(&program);
    let broker = Broker::start();
    broker.create_topic("clicks", 4);
    let records: Vec<Vec<u8>> = (0..RECORDS).map(click).collect();
    let (first, rest) = records.split_at(RECORDS / 2);
    broker.produce_from(first);
    let checkpoints = dir.path().join("checkpoints");
    let log_path = dir.path().join("pipeline.log");
    let mut pipeline = Command::new(&binary)
        .args(["--brokers", &broker.address, "--checkpoint-interval", "300ms", "--idle-timeout", "1h"])
        .arg("--checkpoint-dir")
        .arg(&checkpoints)
        .env("SLUICE_TEST_PG_URL", &pg.url)
        .stderr(std::fs::File::create(&log_path).unwrap())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_secs(3));
    // The database crashes while the pipeline runs and comes back 3 s later.
    pg.crash();
    std::thread::sleep(std::time::Duration::from_secs(3));
    assert!(pipeline.try_wait().unwrap().is_none(), "the pipeline exited while the database was down");
    pg.restart();
    broker.produce_from(rest);
    std::thread::sleep(std::time::Duration::from_secs(15));
    assert!(
        pipeline.try_wait().unwrap().is_none(),
        "the pipeline exited after the database came back:\n{}",
        std::fs::read_to_string(&log_path).unwrap_or_default()
    );
    let pid = pipeline.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    assert!(pipeline.wait().unwrap().success(), "SIGTERM should end the run cleanly");
    // It made progress after the database came back: windows of the second half were written.
    let second_half = sluice::Timestamp(crate::kafka::BASE_MS + (RECORDS / 2) as i64 * 7 + 20_000);
    let resumed = pg.rows(&format!("SELECT url FROM counts WHERE window_start > '{second_half}'"));
    assert!(
        !resumed.is_empty(),
        "nothing was written after the database came back; the pipeline said:\n{}",
        std::fs::read_to_string(&log_path).unwrap_or_default()
    );
    let output = Command::new(&binary)
        .args(["--brokers", &broker.address, "--quiet", "--until-end", "--idle-timeout", "1h"])
        .arg("--checkpoint-dir")
        .arg(&checkpoints)
        .env("SLUICE_TEST_PG_URL", &pg.url)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let actual = pg.rows(&format!(
        "SELECT url, {}, {}, views, bytes FROM counts",
        rfc3339("window_start"),
        rfc3339("window_end")
    ));
    assert_eq!(loss_and_duplicates(&crash_expected(), &actual), (0, 0));
    let log = std::fs::read_to_string(&log_path).unwrap_or_default();
    assert!(log.contains("starting again from the last checkpoint"), "the outage was not noticed:\n{log}");
}

const RUNNING_PROGRAM: &str = r#"
schema Click { url: string, bytes: int, ts: timestamp }
source clicks: Click from kafka { topic: "clicks" }
sink db to postgres { url: env("SLUICE_TEST_PG_URL"), table: "totals", mode: upsert, key: [url] }
pipeline totals { from clicks | group by url aggregate { views: count(), bytes: sum(bytes) } | to db }
"#;

#[test]
fn an_upsert_keeps_one_current_row_per_key_across_updates() {
    let pg = Postgres::start();
    // An existing table with an identity column and a defaulted NOT NULL column the record lacks.
    pg.client()
        .batch_execute(
            "CREATE TABLE totals (id bigint GENERATED ALWAYS AS IDENTITY, url text PRIMARY KEY, views bigint,
               bytes bigint, note text NOT NULL DEFAULT 'from sluice')",
        )
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let program = dir.path().join("running_totals.pipe");
    std::fs::write(&program, RUNNING_PROGRAM).unwrap();
    let binary = build_program(&program);
    let broker = Broker::start();
    broker.create_topic("clicks", 2);
    let clicks = |from: i64, to: i64| -> Vec<Vec<u8>> {
        (from..to)
            .map(|i| {
                format!(r#"{{"url":"/u/{}","bytes":{i},"ts":"{}"}}"#, i % 7, sluice::Timestamp(BASE_MS + i * 1000))
                    .into_bytes()
            })
            .collect()
    };
    let totals = |to: i64| -> Vec<Value> {
        (0..7)
            .map(|k| {
                let members: Vec<i64> = (0..to).filter(|i| i % 7 == k).collect();
                json!({
                    "url": format!("/u/{k}"),
                    "views": members.len(),
                    "bytes": members.iter().sum::<i64>(),
                    "note": "from sluice",
                })
            })
            .collect()
    };
    let run = || {
        let output = Command::new(&binary)
            .args(["--brokers", &broker.address, "--quiet", "--until-end", "--flush-interval", "100ms"])
            .args(["--checkpoint-interval", "200ms"])
            .arg("--checkpoint-dir")
            .arg(dir.path().join("checkpoints"))
            .env("SLUICE_TEST_PG_URL", &pg.url)
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    };
    broker.produce("clicks", 2, &clicks(0, 300));
    run();
    let query = "SELECT url, views, bytes, note FROM totals";
    assert_eq!(loss_and_duplicates(&totals(300), &pg.rows(query)), (0, 0));
    // More records for the same keys: each row is updated in place (the running state was restored).
    broker.produce("clicks", 2, &clicks(300, 500));
    run();
    assert_eq!(loss_and_duplicates(&totals(500), &pg.rows(query)), (0, 0));
}

#[test]
fn keys_the_database_holds_equal_are_upserted_once_per_batch() {
    let pg = Postgres::start();
    // `char(8)` pads: "/x" and "/x " are one key to PostgreSQL, two to the pipeline.
    pg.client().batch_execute("CREATE TABLE totals (url char(8) PRIMARY KEY, views bigint, bytes bigint)").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let program = dir.path().join("padded_keys.pipe");
    std::fs::write(
        &program,
        RUNNING_PROGRAM.replace("from kafka { topic: \"clicks\" }", "from file { path: \"clicks.jsonl\" }"),
    )
    .unwrap();
    let binary = build_program(&program);
    let input = dir.path().join("clicks.jsonl");
    let ts = sluice::Timestamp(BASE_MS);
    std::fs::write(
        &input,
        format!(
            "{{\"url\":\"/x\",\"bytes\":1,\"ts\":\"{ts}\"}}\n{{\"url\":\"/x \",\"bytes\":2,\"ts\":\"{ts}\"}}\n{{\"url\":\"/y\",\"bytes\":3,\"ts\":\"{ts}\"}}\n"
        ),
    )
    .unwrap();
    let output = Command::new(&binary)
        .arg("--quiet")
        .arg("--input")
        .arg(format!("clicks={}", input.display()))
        .env("SLUICE_TEST_PG_URL", &pg.url)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let rows = pg.rows("SELECT trim(url) AS url FROM totals ORDER BY url");
    assert_eq!(rows, [json!({ "url": "/x" }), json!({ "url": "/y" })]);
}
