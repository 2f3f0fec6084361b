// A sliding window that slides further than its size.
fn main() {}

sluice::stream! {
    schema Click { user_id: string, url: string, bytes: int, ts: timestamp, referrer: string? }
    source clicks: Click from file { path: "clicks.jsonl", event_time: ts }
    sink out to stdout {}
    pipeline p { from clicks | group by url window sliding 1m every 5m aggregate { n: count() } | to out }
}
