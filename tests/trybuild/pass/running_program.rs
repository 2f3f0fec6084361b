// A stream! program with a Rust function, fed in-process.
fn domain(url: &str) -> String {
    url.split('/').nth(2).unwrap_or("").to_string()
}

sluice::stream! {
    schema Visit { url: string, ts: timestamp, r#from: string? }
    extern fn domain(url: string) -> string
    source visits: Visit from file { path: "visits.jsonl", event_time: ts }
    sink counts to stdout {}
    pipeline per_domain {
        from visits
        | extend { site: domain(url), origin: r#from ?? "direct" }
        | group by site, origin aggregate { n: count() }
        | to counts
    }
}

fn main() {
    let mut program = pipelines::Program::in_memory(&[]).unwrap();
    program
        .push_visits(pipelines::Visit { url: "https://a.example/x".into(), ts: sluice::Timestamp(0), r#from: None })
        .unwrap();
    program.finish().unwrap();
    let rows = program.take_counts();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["site"], "a.example");
    assert_eq!(rows[0]["origin"], "direct");
}
