// An unknown sink option.
fn main() {}

sluice::stream! {
    schema Click { user_id: string, url: string, bytes: int, ts: timestamp, referrer: string? }
    source clicks: Click from file { path: "clicks.jsonl", event_time: ts }
    sink out to stdout {}
    sink more to kafka { topik: "x" }
    pipeline p { from clicks | to more }
}
