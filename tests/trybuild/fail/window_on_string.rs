// A window on a string field.
fn main() {}

sluice::stream! {
    schema Click { user_id: string, url: string, bytes: int, ts: timestamp, referrer: string? }
    source clicks: Click from file { path: "clicks.jsonl", event_time: ts }
    sink out to stdout {}
    pipeline p { from clicks | group by url window tumbling 1m on url aggregate { n: count() } | to out }
}
