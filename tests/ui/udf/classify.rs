// Rust side of `extern fn classify(url: string) -> string` used by the UI tests.
pub fn classify(url: &str) -> String {
    if url.starts_with("/api/") { "api".into() } else { "page".into() }
}
