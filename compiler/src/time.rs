//! Timestamp literals are checked with the runtime's own RFC 3339 parser
//! (the same source file), so a literal that checks is one the runtime reads.

#[path = "../../runtime/src/rfc3339.rs"]
#[allow(dead_code, reason = "the compiler uses only the parser")]
mod rfc3339;

pub use rfc3339::parse_rfc3339;

#[cfg(test)]
mod tests {
    use super::parse_rfc3339;

    #[test]
    fn parses_rfc3339() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_rfc3339("2026-11-24T14:40:00.000Z"), Some(1_795_531_200_000));
        assert_eq!(parse_rfc3339("2026-11-24T15:40:00.5+01:00"), Some(1_795_531_200_500));
        assert_eq!(parse_rfc3339("2024-02-29T00:00:00.123456Z"), Some(1_709_164_800_123));
        assert_eq!(parse_rfc3339("2023-02-29T00:00:00Z"), None);
        assert_eq!(parse_rfc3339("yesterday"), None);
    }
}
