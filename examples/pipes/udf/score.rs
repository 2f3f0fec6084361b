// Rule-based risk model for card authorizations, used by `fraud_rules.pipe`:
//
// ```pipe
// extern fn score(amount: float, mcc: string, card_age_days: int, billing_country: string, ip_country: string?) -> float from "udf/score.rs"
// ```
//
// Argument types follow the spec's `extern fn` table: `float` -> `f64`,
// `string` -> `&str`, `int` -> `i64`, `string?` -> `Option<&str>`; the
// `float` result is `f64`. Pure and cheap: it runs once per record.

/// Merchant category codes with high chargeback rates: quasi-cash (6051),
/// wire transfers (4829), gambling (7995) and digital goods (5816).
const RISKY_MCCS: [&str; 4] = ["6051", "4829", "7995", "5816"];

/// Returns a risk score in `[0, 1]`; higher is riskier.
pub fn score(
    amount: f64,
    mcc: &str,
    card_age_days: i64,
    billing_country: &str,
    ip_country: Option<&str>,
) -> f64 {
    let mut risk = 0.0;
    if amount >= 2_000.0 {
        risk += 0.35;
    } else if amount >= 500.0 {
        risk += 0.15;
    }
    if RISKY_MCCS.contains(&mcc) {
        risk += 0.25;
    }
    if card_age_days < 7 {
        risk += 0.2;
    } else if card_age_days < 30 {
        risk += 0.1;
    }
    match ip_country {
        Some(ip) if !ip.eq_ignore_ascii_case(billing_country) => risk += 0.2,
        Some(_) => {}
        None => risk += 0.05, // anonymizing proxy or unknown IP range
    }
    f64::min(risk, 1.0)
}
