// An invalid regex literal.
fn main() {}

sluice::stream! {
    schema Click { user_id: string, url: string, bytes: int, ts: timestamp, referrer: string? }
    source clicks: Click from file { path: "clicks.jsonl", event_time: ts }
    sink out to stdout {}
    pipeline p { from clicks | where regex_match(url, "(unclosed") | to out }
}
