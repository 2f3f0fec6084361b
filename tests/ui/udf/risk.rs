// Rust side of `extern fn risk_score(amount: float, country: string) -> float` used by the UI tests.
pub fn risk_score(amount: f64, country: &str) -> f64 {
    if country == "XX" { amount * 2.0 } else { amount }
}
