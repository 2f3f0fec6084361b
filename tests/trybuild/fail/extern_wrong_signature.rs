// The declared extern fn signature does not match the Rust function: rustc
// reports it at the declaration.
fn main() {}

fn classify(url: &str, strict: bool) -> String {
    if strict { url.to_uppercase() } else { url.to_string() }
}

sluice::stream! {
    schema Click { url: string }
    extern fn classify(url: string) -> string
    source clicks: Click from file { path: "clicks.jsonl" }
    sink out to stdout {}
    pipeline p { from clicks | select { kind: classify(url) } | to out }
}
