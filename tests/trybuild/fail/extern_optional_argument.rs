// An optional value passed to a non-optional extern fn parameter.
fn main() {}

fn shout(text: &str) -> String {
    text.to_uppercase()
}

sluice::stream! {
    schema Click { url: string, referrer: string? }
    extern fn shout(text: string) -> string
    source clicks: Click from file { path: "clicks.jsonl" }
    sink out to stdout {}
    pipeline p { from clicks | select { r: shout(referrer) } | to out }
}
