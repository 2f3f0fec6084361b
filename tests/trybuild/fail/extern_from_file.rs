// `from "file.rs"` is for .pipe files: inside `stream!` an extern fn is a Rust function in scope.
fn main() {}

fn shout(text: &str) -> String {
    text.to_uppercase()
}

sluice::stream! {
    schema Click { url: string }
    extern fn shout(text: string) -> string from "udf/shout.rs"
    source clicks: Click from file { path: "clicks.jsonl" }
    sink out to stdout {}
    pipeline p { from clicks | select { r: shout(url) } | to out }
}
