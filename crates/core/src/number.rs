//! Vietnamese numbers: reading what people type and writing numbers the way Vietnamese
//! reports do.
//!
//! In Vietnamese a dot groups thousands and a comma is the decimal mark: "10.266.500.000"
//! is ten billion and "85,01" is eighty-five point zero one. People also type amounts with
//! words ("1,2 tỷ", "250 triệu đồng"), and reports speak of sums in rounded prose ("trên
//! 10 tỷ đồng"). Parsing yields an exact [`Decimal`] so that money is never put through a
//! binary float; formatting is done by hand so that the rules (grouping, rounding half
//! away from zero) are ours and not a library's locale data.

use thiserror::Error;

use crate::text::nfc;

/// Why a typed number could not be read. The messages are Vietnamese, meant for the
/// person who typed the number, and quote what they typed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum NumberError {
    /// Nothing but whitespace was given.
    #[error("số trống")]
    Empty,
    /// The text is not a number at all (letters, stray signs, a unit without a number).
    #[error("«{0}» không phải là số")]
    Invalid(String),
    /// Digits are there but the dots and commas do not follow the Vietnamese convention.
    #[error("«{0}» không phải là số hợp lệ: dấu chấm (.) ngăn cách hàng nghìn, dấu phẩy (,) ngăn cách phần thập phân")]
    Separators(String),
    /// The number has more digits than can be held exactly.
    #[error("«{0}»: số quá lớn")]
    TooLarge(String),
}

/// An exact decimal number as typed: `mantissa × 10^-scale`.
///
/// The value is kept normalised (no trailing zeros in the fraction, zero has scale 0), so
/// the derived equality is value equality: "1,20" equals "1,2", and "-0" equals "0".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Decimal {
    mantissa: i128,
    scale: u32,
}

impl Decimal {
    /// Builds a normalised decimal; every constructor goes through here so that the
    /// derived `PartialEq` compares values.
    fn normalised(mut mantissa: i128, mut scale: u32) -> Self {
        while scale > 0 && mantissa % 10 == 0 {
            mantissa /= 10;
            scale -= 1;
        }
        Decimal { mantissa, scale }
    }

    /// The whole number `n`.
    pub fn from_i64(n: i64) -> Self {
        Decimal {
            mantissa: i128::from(n),
            scale: 0,
        }
    }

    /// The value as an `i64`, if it is a whole number within range.
    pub fn to_i64(&self) -> Option<i64> {
        // Normalised, so a whole number always has scale 0.
        if self.scale == 0 {
            i64::try_from(self.mantissa).ok()
        } else {
            None
        }
    }

    /// The nearest `f64` to the value (for ratios and charts, never for money).
    pub fn to_f64(&self) -> f64 {
        if self.scale == 0 {
            return self.mantissa as f64;
        }
        // Rust's float parser rounds correctly, whereas `m as f64 / 10^s` rounds twice
        // once the mantissa passes 2^53 or the scale passes 22.
        format!("{}e-{}", self.mantissa, self.scale)
            .parse()
            .unwrap_or_else(|_| self.mantissa as f64 / 10f64.powf(f64::from(self.scale)))
    }

    /// Whether the value is a whole number (of any size).
    pub fn is_whole(&self) -> bool {
        // Normalised, so a whole number always has scale 0.
        self.scale == 0
    }

    /// Whether the value is below zero.
    pub fn is_negative(&self) -> bool {
        self.mantissa < 0
    }

    /// Multiplies by `10^exp` (for "nghìn", "triệu", "tỷ"), first eating into the scale so
    /// that "1,2 tỷ" does not need room for 12 × 10^9 × 10.
    fn times_power_of_ten(self, exp: u32) -> Option<Self> {
        if self.scale >= exp {
            return Some(Decimal::normalised(self.mantissa, self.scale - exp));
        }
        let factor = 10i128.checked_pow(exp - self.scale)?;
        Some(Decimal::normalised(self.mantissa.checked_mul(factor)?, 0))
    }
}

impl From<i64> for Decimal {
    fn from(n: i64) -> Self {
        Decimal::from_i64(n)
    }
}

/// Currency words allowed after a number, longest first so that "vnđ" is not taken for
/// "đ". Matching is on the lowercased NFC text.
const CURRENCY_SUFFIXES: [&str; 4] = ["đồng", "vnđ", "vnd", "đ"];

/// Unit words and their powers of ten. "tỉ" is a common spelling of "tỷ", and "ngàn" the
/// southern word for "nghìn".
const UNIT_SUFFIXES: [(&str, u32); 5] = [("tỷ", 9), ("tỉ", 9), ("triệu", 6), ("nghìn", 3), ("ngàn", 3)];

/// Reads a number as a Vietnamese user types it.
///
/// Accepted, around an optional sign (`-`, `+` or `−`):
/// - plain digits: "1084", "-3";
/// - a comma as the decimal mark: "85,01";
/// - dots grouping thousands: "1.084", "10.266.500.000", "1.234,5";
/// - a unit word after the number: "1,2 tỷ" (10^9, also "tỉ"), "250 triệu" (10^6),
///   "2 nghìn" / "2 ngàn" (10^3);
/// - then a currency word: "1,5 tỷ đồng", "3.000 đồng", "3.000đ" (also "VNĐ");
/// - any surrounding whitespace, non-breaking spaces, decomposed (NFD) letters and any
///   letter case in the words.
///
/// The rule for '.': it groups thousands when the first group has 1–3 digits and every
/// later group exactly 3, so "1.084" is one thousand and eighty-four. Otherwise, if the
/// text has exactly one '.' and no ',', the '.' is a decimal point, so that machine output
/// such as "85.01" or "1.5" also reads as meant. Anything else ("1.2.3", "12.34,5") is an
/// error rather than a guess. Note the ambiguity this settles: "1.500" is 1500, never 1,5.
///
/// Compound amounts such as "1 tỷ 200 triệu" are not accepted.
pub fn parse_number(s: &str) -> Result<Decimal, NumberError> {
    let shown = nfc(s);
    if shown.is_empty() {
        return Err(NumberError::Empty);
    }
    let invalid = || NumberError::Invalid(shown.clone());
    let lower = shown.to_lowercase();

    let mut body = lower.as_str();
    if let Some(rest) = CURRENCY_SUFFIXES.iter().find_map(|c| body.strip_suffix(c)) {
        body = rest.trim_end();
    }
    let mut exponent = 0;
    if let Some((rest, exp)) = UNIT_SUFFIXES
        .iter()
        .find_map(|&(unit, exp)| body.strip_suffix(unit).map(|rest| (rest, exp)))
    {
        body = rest.trim_end();
        exponent = exp;
    }

    let (negative, body) = if let Some(rest) = body.strip_prefix(['-', '\u{2212}']) {
        (true, rest.trim_start())
    } else if let Some(rest) = body.strip_prefix('+') {
        (false, rest.trim_start())
    } else {
        (false, body)
    };

    if body.is_empty() || !body.chars().all(|c| c.is_ascii_digit() || c == '.' || c == ',') {
        return Err(invalid());
    }
    let (int_digits, frac_digits) = split_digits(body).ok_or_else(|| NumberError::Separators(shown.clone()))?;

    let too_large = || NumberError::TooLarge(shown.clone());
    // Trailing zeros of the fraction add nothing but could overflow the mantissa.
    let frac_digits = frac_digits.trim_end_matches('0');
    let mut mantissa: i128 = 0;
    for d in int_digits.bytes().chain(frac_digits.bytes()) {
        mantissa = mantissa
            .checked_mul(10)
            .and_then(|m| m.checked_add(i128::from(d - b'0')))
            .ok_or_else(too_large)?;
    }
    if negative {
        mantissa = -mantissa;
    }
    let scale = u32::try_from(frac_digits.len()).map_err(|_| too_large())?;
    Decimal::normalised(mantissa, scale)
        .times_power_of_ten(exponent)
        .ok_or_else(too_large)
}

/// Splits a string of ASCII digits, dots and commas into its integer digits and fraction
/// digits (without separators), following the rule documented on [`parse_number`].
/// Returns `None` when the separators break the rule or a part is empty.
fn split_digits(body: &str) -> Option<(String, &str)> {
    let (int_part, frac_part) = match body.split_once(',') {
        Some((int_part, frac)) => (int_part, Some(frac)),
        None => (body, None),
    };
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());

    // Dots that group thousands: first group 1–3 digits, every later group exactly 3.
    let grouped = || {
        let mut groups = int_part.split('.');
        groups.next().is_some_and(|g| (1..=3).contains(&g.len())) && groups.all(|g| g.len() == 3)
    };
    let (int_digits, frac) = if !int_part.contains('.') {
        (int_part.to_string(), frac_part)
    } else if grouped() {
        (int_part.replace('.', ""), frac_part)
    } else if frac_part.is_none() && int_part.matches('.').count() == 1 {
        // A lone dot that cannot be grouping is a decimal point ("85.01").
        let (int_digits, frac) = int_part.split_once('.')?;
        (int_digits.to_string(), Some(frac))
    } else {
        return None;
    };

    if !all_digits(&int_digits) || !frac.is_none_or(all_digits) {
        return None;
    }
    Some((int_digits, frac.unwrap_or_default()))
}

/// Inserts a '.' between each group of three digits of a string of ASCII digits.
fn group_thousands(digits: &str) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out
}

/// Writes a whole number with dots grouping thousands: "1.084", "-1.234", "0".
pub fn format_integer(n: i64) -> String {
    // `unsigned_abs` because `-i64::MIN` does not fit an i64.
    let grouped = group_thousands(&n.unsigned_abs().to_string());
    if n < 0 { format!("-{grouped}") } else { grouped }
}

/// Adds one unit in the last place to a string of ASCII digits, carrying as needed
/// ("199" → "200", "99" → "100").
fn increment_digits(digits: &str) -> String {
    let mut bytes = digits.as_bytes().to_vec();
    for b in bytes.iter_mut().rev() {
        if *b == b'9' {
            *b = b'0';
        } else {
            *b += 1;
            return String::from_utf8_lossy(&bytes).into_owned();
        }
    }
    format!("1{}", String::from_utf8_lossy(&bytes))
}

/// Whether `|x| × 10^decimals` lies exactly halfway between two integers.
///
/// Writing `x = m × 2^e` with `m` odd, `x × 10^d = m × 5^d × 2^(e+d)` and `m × 5^d` is
/// odd, so the fractional part is exactly one half precisely when `e + d = -1`.
fn is_exact_tie(x: f64, decimals: usize) -> bool {
    if x == 0.0 || !x.is_finite() {
        return false;
    }
    let bits = x.to_bits();
    let biased_exp = i64::try_from((bits >> 52) & 0x7ff).unwrap_or_default();
    let fraction = bits & ((1u64 << 52) - 1);
    let (mantissa, exp) = if biased_exp == 0 {
        (fraction, -1074) // subnormal
    } else {
        (fraction | (1u64 << 52), biased_exp - 1075)
    };
    let exp = exp + i64::from(mantissa.trailing_zeros());
    i64::try_from(decimals).is_ok_and(|d| exp + d == -1)
}

/// Writes `x` with exactly `decimals` digits after the comma, rounding half away from
/// zero, with dots grouping thousands: `format_decimal(1234.5, 1)` is "1.234,5".
///
/// Rounding is of the exact binary value of `x`: 85.0145 is stored as 85.01449999…, so
/// it becomes "85,01". NaN and infinities, which only come from a bug such as dividing by
/// zero, are written "—" so a report shows a dash rather than a wrong figure. A result that
/// rounds to zero has no minus sign.
pub fn format_decimal(x: f64, decimals: usize) -> String {
    if !x.is_finite() {
        return "—".to_string();
    }
    let magnitude = x.abs();
    // Rust formats with the exact binary value but breaks exact ties to even; only those
    // ties need fixing, by taking the exact expansion (one digit longer, ending in 5) and
    // rounding it up.
    let digits: String = if is_exact_tie(magnitude, decimals) {
        let exact = format!("{magnitude:.*}", decimals + 1);
        let without_five: String = exact.chars().filter(char::is_ascii_digit).collect();
        let kept = &without_five[..without_five.len().saturating_sub(1)];
        increment_digits(kept)
    } else {
        format!("{magnitude:.decimals$}")
            .chars()
            .filter(char::is_ascii_digit)
            .collect()
    };
    // `digits` is the rounded value times 10^decimals; put the comma back.
    let digits = format!("{digits:0>width$}", width = decimals + 1);
    let (int_digits, frac_digits) = digits.split_at(digits.len() - decimals);
    let int_digits = int_digits.trim_start_matches('0');
    let int_digits = if int_digits.is_empty() { "0" } else { int_digits };

    let mut out = String::new();
    if x < 0.0 && digits.bytes().any(|b| b != b'0') {
        out.push('-');
    }
    out.push_str(&group_thousands(int_digits));
    if decimals > 0 {
        out.push(',');
        out.push_str(frac_digits);
    }
    out
}

/// Like [`format_decimal`] with at most `max_decimals` digits after the comma, dropping
/// trailing zeros and then a bare comma: 98.0 → "98", 98.69 → "98,69", 98.6 → "98,6".
pub fn format_decimal_trimmed(x: f64, max_decimals: usize) -> String {
    let full = format_decimal(x, max_decimals);
    if !full.contains(',') {
        return full;
    }
    let trimmed = full.trim_end_matches('0').trim_end_matches(',');
    // "-0,001" trimmed to two decimals is "0,00" already without a sign, so no "-0" here.
    trimmed.to_string()
}

/// Writes an amount of money in đồng, exactly and without a unit: "10.266.500.000".
pub fn format_money(dong: i64) -> String {
    format_integer(dong)
}

/// Says an amount the way a report speaks of it: "trên 10 tỷ đồng", "1,2 tỷ đồng",
/// "265 triệu đồng", "850.000 đồng".
///
/// Amounts of a million or more are given in the largest of tỷ (10^9) and triệu (10^6);
/// a count of 10 or more units is cut to a whole number, a smaller one to one decimal.
/// Cutting never rounds up, so the prose never claims more than the amount; when it drops
/// anything the phrase starts with "trên" ("more than"). Below a million the exact amount
/// is given. A negative amount is said as "âm" followed by the phrase for its size
/// ("âm trên 1,2 tỷ đồng"), because "trên -1,2 tỷ" would say the opposite of what is meant.
pub fn money_prose(dong: i64) -> String {
    let amount = dong.unsigned_abs();
    let sign = if dong < 0 { "âm " } else { "" };
    let (unit, unit_name) = match amount {
        1_000_000_000.. => (1_000_000_000u64, "tỷ"),
        1_000_000.. => (1_000_000, "triệu"),
        _ => return format!("{sign}{} đồng", group_thousands(&amount.to_string())),
    };
    let whole = amount / unit;
    let (number, stated) = if whole >= 10 {
        (group_thousands(&whole.to_string()), whole * unit)
    } else {
        // amount < 10 × unit ≤ 10^10 here, so multiplying by 10 cannot overflow.
        let tenths = amount * 10 / unit;
        let number = match tenths % 10 {
            0 => whole.to_string(),
            tenth => format!("{whole},{tenth}"),
        };
        (number, tenths * (unit / 10))
    };
    let over = if stated < amount { "trên " } else { "" };
    format!("{sign}{over}{number} {unit_name} đồng")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn dec(mantissa: i128, scale: u32) -> Decimal {
        Decimal::normalised(mantissa, scale)
    }

    fn int(n: i64) -> Result<Decimal, NumberError> {
        Ok(Decimal::from_i64(n))
    }

    #[test]
    fn parses_plain_and_grouped_numbers() {
        assert_eq!(parse_number("1084"), int(1084));
        assert_eq!(parse_number("1.084"), int(1084));
        assert_eq!(parse_number("10.266.500.000"), int(10_266_500_000));
        assert_eq!(parse_number("-3"), int(-3));
        assert_eq!(parse_number("+3"), int(3));
        assert_eq!(parse_number("\u{2212}3"), int(-3));
        assert_eq!(parse_number("0"), int(0));
        assert_eq!(parse_number("-0"), int(0));
        assert_eq!(parse_number("007"), int(7));
        assert_eq!(parse_number("  1.084 \u{a0}"), int(1084));
    }

    #[test]
    fn parses_decimals() {
        assert_eq!(parse_number("85,01"), Ok(dec(8501, 2)));
        assert_eq!(parse_number("85.01"), Ok(dec(8501, 2)));
        assert_eq!(parse_number("1.5"), Ok(dec(15, 1)));
        assert_eq!(parse_number("1.234,5"), Ok(dec(12345, 1)));
        assert_eq!(parse_number("-0,5"), Ok(dec(-5, 1)));
        assert_eq!(parse_number("1,20"), parse_number("1,2"));
        assert_eq!(parse_number("1,000"), int(1));
        assert_eq!(
            parse_number(&format!("1,{}", "0".repeat(80))),
            int(1),
            "trailing zeros must not overflow"
        );
    }

    #[test]
    fn parses_units_and_currency() {
        assert_eq!(parse_number("1,2 tỷ"), int(1_200_000_000));
        assert_eq!(parse_number("1,2 tỉ"), int(1_200_000_000));
        assert_eq!(parse_number("250 triệu"), int(250_000_000));
        assert_eq!(parse_number("2 nghìn"), int(2_000));
        assert_eq!(parse_number("2 ngàn"), int(2_000));
        assert_eq!(parse_number("1,5 tỷ đồng"), int(1_500_000_000));
        assert_eq!(parse_number("3.000 đồng"), int(3_000));
        assert_eq!(parse_number("3.000 đ"), int(3_000));
        assert_eq!(parse_number("3.000đ"), int(3_000));
        assert_eq!(parse_number("3.000 VNĐ"), int(3_000));
        assert_eq!(parse_number("-1,2 Tỷ Đồng"), int(-1_200_000_000));
        assert_eq!(parse_number("1,2345 nghìn"), Ok(dec(12345, 1)));
        assert_eq!(parse_number("1.5 tỷ"), int(1_500_000_000));
        // Decomposed input and a non-breaking space, as pasted from some editors.
        assert_eq!(
            parse_number("1,5\u{a0}ty\u{309} \u{111}o\u{302}\u{300}ng"),
            int(1_500_000_000)
        );
        assert_eq!(parse_number("9.223.372.036 tỷ"), int(9_223_372_036_000_000_000));
    }

    #[test]
    fn rejects_non_numbers() {
        assert_eq!(parse_number(""), Err(NumberError::Empty));
        assert_eq!(parse_number(" \u{a0}\t"), Err(NumberError::Empty));
        for bad in [
            "abc",
            "tỷ",
            "đồng",
            "1 2",
            "1a",
            "-",
            "--3",
            "1 tỷ 200 triệu",
            "1e5",
            "0x10",
        ] {
            assert_eq!(parse_number(bad), Err(NumberError::Invalid(bad.to_string())), "{bad}");
        }
        for bad in ["1.2.3", "12.34,5", "1,2,3", "1,", ",5", "1.", ".5", "1.084.5", "1,2.3"] {
            assert_eq!(
                parse_number(bad),
                Err(NumberError::Separators(bad.to_string())),
                "{bad}"
            );
        }
        assert_eq!(
            parse_number(&"9".repeat(40)),
            Err(NumberError::TooLarge("9".repeat(40)))
        );
    }

    #[test]
    fn error_messages_quote_the_input() {
        let msg = |s: &str| parse_number(s).err().map(|e| e.to_string());
        assert_eq!(msg("abc").as_deref(), Some("«abc» không phải là số"));
        assert_eq!(msg("  ").as_deref(), Some("số trống"));
        assert_eq!(msg(&"9".repeat(40)), Some(format!("«{}»: số quá lớn", "9".repeat(40))));
        assert!(msg("1.2.3").is_some_and(|m| m.starts_with("«1.2.3»")));
        // The message shows the tidied input, not the raw whitespace.
        assert_eq!(msg("  a\u{a0} b ").as_deref(), Some("«a b» không phải là số"));
    }

    #[test]
    fn decimal_conversions() {
        let x = parse_number("85,01").unwrap_or(Decimal::from_i64(0));
        assert_eq!(x.to_f64(), 85.01);
        assert_eq!(x.to_i64(), None);
        assert!(!x.is_negative());
        assert_eq!(Decimal::from_i64(-7).to_i64(), Some(-7));
        assert!(Decimal::from_i64(-7).is_negative());
        assert_eq!(Decimal::from(i64::MIN).to_i64(), Some(i64::MIN));
        assert_eq!(dec(i128::from(i64::MAX) + 1, 0).to_i64(), None);
        assert_eq!(dec(1200, 3).to_i64(), None);
        assert_eq!(dec(12000, 3).to_i64(), Some(12));
        assert_eq!(dec(1, 30).to_f64(), 1e-30);
        assert_eq!(dec(0, 5), Decimal::from_i64(0));
    }

    #[test]
    fn formats_integers() {
        assert_eq!(format_integer(1084), "1.084");
        assert_eq!(format_integer(10_266_500_000), "10.266.500.000");
        assert_eq!(format_integer(-1234), "-1.234");
        assert_eq!(format_integer(0), "0");
        assert_eq!(format_integer(999), "999");
        assert_eq!(format_integer(-100_000), "-100.000");
        assert_eq!(format_integer(i64::MIN), "-9.223.372.036.854.775.808");
        assert_eq!(format_money(10_266_500_000), "10.266.500.000");
    }

    #[test]
    fn formats_decimals() {
        assert_eq!(format_decimal(3511.0 * 100.0 / 4130.0, 2), "85,01");
        assert_eq!(format_decimal(85.0145, 2), "85,01"); // stored as 85.01449999…
        assert_eq!(format_decimal(1234.5, 1), "1.234,5");
        assert_eq!(format_decimal(1234.5, 0), "1.235");
        assert_eq!(format_decimal(0.125, 2), "0,13"); // exact tie: away from zero
        assert_eq!(format_decimal(-0.125, 2), "-0,13");
        assert_eq!(format_decimal(2.5, 0), "3");
        assert_eq!(format_decimal(0.5, 0), "1");
        assert_eq!(format_decimal(-2.5, 0), "-3");
        assert_eq!(format_decimal(999.95, 1), "1.000,0"); // 999.95 is above the tie
        assert_eq!(format_decimal(9.5, 0), "10");
        assert_eq!(format_decimal(999_999.5, 0), "1.000.000");
        assert_eq!(format_decimal(0.0, 2), "0,00");
        assert_eq!(format_decimal(-0.001, 2), "0,00");
        assert_eq!(format_decimal(-0.0, 0), "0");
        assert_eq!(format_decimal(0.004, 2), "0,00");
        assert_eq!(format_decimal(-1234567.891, 2), "-1.234.567,89");
        assert_eq!(format_decimal(f64::NAN, 2), "—");
        assert_eq!(format_decimal(f64::INFINITY, 2), "—");
        assert_eq!(format_decimal(f64::NEG_INFINITY, 0), "—");
        assert_eq!(format_decimal(5e-324, 3), "0,000");
    }

    #[test]
    fn formats_trimmed_decimals() {
        assert_eq!(format_decimal_trimmed(98.0, 2), "98");
        assert_eq!(format_decimal_trimmed(98.69, 2), "98,69");
        assert_eq!(format_decimal_trimmed(98.6, 2), "98,6");
        assert_eq!(format_decimal_trimmed(98.699, 2), "98,7");
        assert_eq!(format_decimal_trimmed(1000.0, 0), "1.000");
        assert_eq!(format_decimal_trimmed(1000.0, 2), "1.000");
        assert_eq!(format_decimal_trimmed(-0.001, 2), "0");
        assert_eq!(format_decimal_trimmed(f64::NAN, 2), "—");
    }

    #[test]
    fn money_in_prose() {
        assert_eq!(money_prose(10_266_500_000), "trên 10 tỷ đồng");
        assert_eq!(money_prose(1_221_500_000), "trên 1,2 tỷ đồng");
        assert_eq!(money_prose(1_200_000_000), "1,2 tỷ đồng");
        assert_eq!(money_prose(2_000_000_000), "2 tỷ đồng");
        assert_eq!(money_prose(265_000_000), "265 triệu đồng");
        assert_eq!(money_prose(190_500_000), "trên 190 triệu đồng");
        assert_eq!(money_prose(5_250_000), "trên 5,2 triệu đồng");
        assert_eq!(money_prose(999_999_999), "trên 999 triệu đồng");
        assert_eq!(money_prose(1_000_000), "1 triệu đồng");
        assert_eq!(money_prose(850_000), "850.000 đồng");
        assert_eq!(money_prose(999_999), "999.999 đồng");
        assert_eq!(money_prose(0), "0 đồng");
        assert_eq!(money_prose(-1_221_500_000), "âm trên 1,2 tỷ đồng");
        assert_eq!(money_prose(-850_000), "âm 850.000 đồng");
        assert_eq!(money_prose(i64::MIN), "âm trên 9.223.372.036 tỷ đồng");
    }

    /// Decodes the table's escapes: `\u{…}` for a character by its code point, `\t`.
    fn unescape(text: &str) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(at) = rest.find('\\') {
            out.push_str(&rest[..at]);
            rest = &rest[at..];
            if let Some(tail) = rest.strip_prefix("\\t") {
                out.push('\t');
                rest = tail;
            } else if let Some((code, tail)) = rest.strip_prefix("\\u{").and_then(|r| r.split_once('}')) {
                let c = u32::from_str_radix(code, 16).ok().and_then(char::from_u32);
                out.push(c.unwrap_or_else(|| panic!("bad escape \\u{{{code}}}")));
                rest = tail;
            } else {
                out.push('\\');
                rest = &rest[1..];
            }
        }
        out.push_str(rest);
        out
    }

    /// The shared table of cases (`number_cases.tsv`): what is typed, the value type, and
    /// what it must become — the form's script is held to the same table.
    fn table() -> Vec<(String, crate::indicator::ValueType, String)> {
        include_str!("number_cases.tsv")
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .map(|line| {
                let mut columns = line.split('\t');
                let (Some(typed), Some(kind), Some(expected), None) =
                    (columns.next(), columns.next(), columns.next(), columns.next())
                else {
                    panic!("a case has three columns: {line:?}");
                };
                let kind = crate::indicator::ValueType::parse(kind).unwrap_or_else(|e| panic!("{e}: {line:?}"));
                (unescape(typed), kind, expected.to_owned())
            })
            .collect()
    }

    /// What `Value::parse` makes of `typed`, written as the table writes results.
    fn as_in_table(typed: &str, kind: crate::indicator::ValueType) -> String {
        match crate::value::Value::parse(typed, kind) {
            Ok(crate::value::Value::Whole(n)) => format!("= {n}"),
            Ok(crate::value::Value::Decimal(x)) => format!("~ {x}"),
            Ok(crate::value::Value::Text(t)) => format!("\" {t}"),
            Err(e) => format!("! {e}"),
        }
    }

    #[test]
    fn the_shared_table_of_typed_numbers_is_what_the_parser_reads() {
        let cases = table();
        assert!(cases.len() > 50, "{}", cases.len());
        for (typed, kind, expected) in cases {
            let got = as_in_table(&typed, kind);
            let same = match (expected.strip_prefix("~ "), got.strip_prefix("~ ")) {
                // Decimals compare as the doubles they write.
                (Some(e), Some(g)) => e.parse::<f64>().ok() == g.parse::<f64>().ok(),
                _ => got == expected,
            };
            assert!(same, "{typed:?} as {kind:?}: {got} — the table says {expected}");
        }
    }

    proptest! {
        #[test]
        fn integers_round_trip(n in any::<i64>()) {
            prop_assert_eq!(parse_number(&format_integer(n)), Ok(Decimal::from_i64(n)));
        }

        #[test]
        fn money_round_trips(n in -100_000_000_000_000i64..100_000_000_000_000) {
            let parsed = parse_number(&format_money(n)).ok().and_then(|d| d.to_i64());
            prop_assert_eq!(parsed, Some(n));
        }

        #[test]
        fn money_with_unit_round_trips(n in 0i64..1_000_000_000) {
            let written = format!("{} đồng", format_money(n));
            prop_assert_eq!(parse_number(&written), Ok(Decimal::from_i64(n)));
        }

        #[test]
        fn two_decimal_values_round_trip(cents in -10_000_000_000_000i64..10_000_000_000_000) {
            let x = cents as f64 / 100.0;
            let written = format_decimal(x, 2);
            let back = parse_number(&written).map(|d| d.to_f64());
            prop_assert!(back.is_ok(), "{} did not parse", written);
            let back = back.unwrap_or(f64::NAN);
            prop_assert!((back - x).abs() <= 0.005, "{} -> {} -> {}", x, written, back);
        }

        #[test]
        fn any_decimal_is_within_half_a_unit(x in -1e12f64..1e12, decimals in 0usize..6) {
            let written = format_decimal(x, decimals);
            let back = parse_number(&written).map(|d| d.to_f64()).unwrap_or(f64::NAN);
            let half_unit = 0.5 / 10f64.powi(i32::try_from(decimals).unwrap_or(0));
            // Allow for the f64 spacing at this magnitude as well.
            prop_assert!((back - x).abs() <= half_unit * (1.0 + 1e-9) + x.abs() * 1e-15,
                "{} -> {} -> {}", x, written, back);
            let trimmed = format_decimal_trimmed(x, decimals);
            prop_assert_eq!(parse_number(&trimmed), parse_number(&written));
        }

        #[test]
        fn money_prose_never_overstates(n in any::<i64>()) {
            let prose = money_prose(n);
            let size = prose.strip_prefix("âm ").unwrap_or(&prose);
            prop_assert_eq!(size.len() != prose.len(), n < 0);
            let (over, number) = match size.strip_prefix("trên ") {
                Some(rest) => (true, rest),
                None => (false, size),
            };
            let stated = parse_number(number).ok().and_then(|d| d.to_i64());
            prop_assert!(stated.is_some(), "{} does not parse", prose);
            let stated = stated.unwrap_or_default().unsigned_abs();
            if over {
                prop_assert!(stated < n.unsigned_abs(), "{}: {}", n, prose);
            } else {
                prop_assert_eq!(stated, n.unsigned_abs(), "{}", prose);
            }
        }

        #[test]
        fn money_prose_small_amounts_are_exact(n in 0i64..1_000_000) {
            prop_assert_eq!(money_prose(n), format!("{} đồng", format_money(n)));
        }
    }
}
