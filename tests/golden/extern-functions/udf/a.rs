pub fn ab(x: i64) -> i64 { x + 1 }
pub fn cls(x: &str, y: Option<&str>) -> String { format!("{x}/{y:?}") }
