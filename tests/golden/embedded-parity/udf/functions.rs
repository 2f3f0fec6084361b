// Rust functions called by pipeline.pipe (the same as in tests/embedded.rs).

pub fn classify(url: &str) -> String {
    if url.starts_with("/api/") {
        "api".to_string()
    } else {
        "page".to_string()
    }
}

pub fn risky(bytes: i64) -> i64 {
    assert!(bytes != 13, "unlucky bytes");
    bytes
}
