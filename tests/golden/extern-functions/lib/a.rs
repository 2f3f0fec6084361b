pub fn AB(x: i64) -> i64 { x * 10 }
