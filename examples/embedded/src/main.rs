//! A pipeline inline in Rust: clicks from Kafka, classified by a Rust
//! function, counted per class and minute, written back to Kafka.
//!
//! On Kafka (the topics `clicks`, `clicks-per-class` and `clicks-late` must exist):
//!
//! ```sh
//! cargo run -p sluice-embedded-example -- --brokers 127.0.0.1:19092
//! ```
//!
//! On files (the same flags as a built binary swap connectors for files):
//!
//! ```sh
//! cargo run -p sluice-embedded-example -- \
//!     --input clicks=examples/data/clicks.jsonl --output per_class=- --output late_clicks=-
//! ```

/// Called from the pipeline (`extern fn classify`): a plain Rust function.
fn classify(url: &str) -> String {
    match url.split('/').nth(1) {
        Some("cart" | "checkout") => "shopping".to_string(),
        Some("api") => "api".to_string(),
        _ => "browsing".to_string(),
    }
}

sluice::stream! {
    schema Click { user_id: string, url: string, bytes: int, ts: timestamp }

    extern fn classify(url: string) -> string

    source clicks: Click from kafka { topic: "clicks", event_time: ts }
    sink per_class to kafka { topic: "clicks-per-class", key: class }
    sink late_clicks to kafka { topic: "clicks-late" }

    pipeline clicks_per_class {
        from clicks
        | extend { class: classify(url) }
        | group by class window tumbling 1m watermark 10s late to late_clicks aggregate {
            clicks: count(),
            users: count_distinct(user_id),
            kb: sum(bytes) / 1024.0,
        }
        | to per_class
    }
}

fn main() -> std::process::ExitCode {
    // One constructor per pipeline; `pipelines::run()` would run them all.
    pipelines::clicks_per_class().run()
}

#[cfg(test)]
mod tests {
    use super::pipelines;

    #[test]
    fn counts_clicks_per_class_in_process() {
        let mut program = pipelines::Program::in_memory(&[]).unwrap();
        let click = |user: &str, url: &str, seconds: i64| pipelines::Click {
            user_id: user.into(),
            url: url.into(),
            bytes: 2048,
            ts: sluice::Timestamp(seconds * 1000),
        };
        program.push_clicks(click("ana", "/cart/1", 1)).unwrap();
        program.push_clicks(click("ben", "/home", 2)).unwrap();
        program.push_clicks(click("ana", "/checkout", 3)).unwrap();
        program.finish().unwrap();
        let mut rows = program.take_per_class();
        rows.sort_by_key(|row| row["class"].as_str().unwrap_or_default().to_string());
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0]["class"], "browsing");
        assert_eq!(rows[1]["class"], "shopping");
        assert_eq!(rows[1]["clicks"], 2);
        assert_eq!(rows[1]["users"], 1);
        assert_eq!(rows[1]["kb"], 4.0);
    }
}
