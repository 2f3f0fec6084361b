// Joining a stream that is not a table.
fn main() {}

sluice::stream! {
    schema Click { user_id: string, url: string, bytes: int, ts: timestamp, referrer: string? }
    source clicks: Click from file { path: "clicks.jsonl", event_time: ts }
    sink out to stdout {}
    source pages: { page: string } from file { path: "pages.jsonl" }
    pipeline p { from clicks | join pages on url == page | to out }
}
