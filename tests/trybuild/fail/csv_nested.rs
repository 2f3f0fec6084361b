// A CSV sink cannot hold a list.
fn main() {}

sluice::stream! {
    schema Click { user_id: string, url: string, bytes: int, ts: timestamp, referrer: string? }
    source clicks: Click from file { path: "clicks.jsonl", event_time: ts }
    sink out to stdout {}
    sink csv_out to file { path: "out", format: csv }
    pipeline p { from clicks | select { url, parts: split(url, "/") } | to csv_out }
}
