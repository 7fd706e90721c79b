//! Số liệu — one reported figure: a unit's value of an indicator for a period. Values
//! are parsed from what people type (Vietnamese number style) against the indicator's
//! value type, so a stored value is always of the right kind.

use serde::{Deserialize, Serialize};

use crate::code::{IndicatorCode, UnitCode};
use crate::error::Error;
use crate::indicator::ValueType;
use crate::number::{format_decimal_trimmed, format_integer, parse_number};
use crate::period::Period;
use crate::text::nfc;

/// A reported value, of the kind its indicator asks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    /// Counts and money (whole đồng).
    Whole(i64),
    /// Percentages and other decimal numbers.
    Decimal(f64),
    /// Free text.
    Text(String),
}

impl Value {
    /// Parses what a person typed ("1.084", "1,2 tỷ", "85,01") as a value of `value_type`.
    pub fn parse(raw: &str, value_type: ValueType) -> Result<Value, Error> {
        if value_type == ValueType::Text {
            return Ok(Value::Text(nfc(raw)));
        }
        let number = parse_number(raw)?;
        match value_type {
            ValueType::Integer | ValueType::Money => {
                let whole = number.to_i64().ok_or_else(|| Error::InvalidValue {
                    value: raw.trim().to_owned(),
                    reason: if number.is_whole() {
                        format!("số quá lớn (lớn nhất là {})", crate::number::format_integer(i64::MAX))
                    } else {
                        "phải là số nguyên".into()
                    },
                })?;
                if whole < 0 {
                    return Err(Error::InvalidValue {
                        value: raw.trim().to_owned(),
                        reason: "không được là số âm".into(),
                    });
                }
                Ok(Value::Whole(whole))
            }
            ValueType::Percent => {
                let x = number.to_f64();
                if !(0.0..=100.0).contains(&x) {
                    return Err(Error::InvalidValue {
                        value: raw.trim().to_owned(),
                        reason: "tỷ lệ phần trăm phải từ 0 đến 100".into(),
                    });
                }
                Ok(Value::Decimal(x))
            }
            ValueType::Number | ValueType::Text => Ok(Value::Decimal(number.to_f64())),
        }
    }

    /// The value as a number, for formulas and rules; `None` for text.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            // Counts and đồng stay far below 2^53, where f64 is still exact.
            Value::Whole(n) => Some(*n as f64),
            Value::Decimal(x) => Some(*x),
            Value::Text(_) => None,
        }
    }

    /// The value in Vietnamese style: "1.084", "85,01", text as is.
    pub fn format_vi(&self) -> String {
        match self {
            Value::Whole(n) => format_integer(*n),
            Value::Decimal(x) => format_decimal_trimmed(*x, 2),
            Value::Text(t) => t.clone(),
        }
    }

    /// The value for programs: plain digits, '.' as the decimal mark, decimals to 2 places.
    pub fn format_plain(&self) -> String {
        match self {
            Value::Whole(n) => n.to_string(),
            Value::Decimal(x) => format!("{x:.2}"),
            Value::Text(t) => t.clone(),
        }
    }
}

/// Số liệu — one unit's value of one indicator for one period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataValue {
    /// The reporting unit.
    pub unit: UnitCode,
    /// The indicator.
    pub indicator: IndicatorCode,
    /// The period.
    pub period: Period,
    /// The value.
    pub value: Value,
    /// An optional note from the reporter (ghi chú).
    pub comment: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_money_are_read_vietnamese_style() {
        assert_eq!(Value::parse("1.084", ValueType::Integer).ok(), Some(Value::Whole(1084)));
        assert_eq!(
            Value::parse("10.266.500.000", ValueType::Money).ok(),
            Some(Value::Whole(10_266_500_000))
        );
        assert_eq!(
            Value::parse("1,2 tỷ", ValueType::Money).ok(),
            Some(Value::Whole(1_200_000_000))
        );
    }

    #[test]
    fn a_count_must_be_whole_and_not_negative() {
        let msg = |raw: &str| Value::parse(raw, ValueType::Integer).err().map(|e| e.to_string());
        assert_eq!(
            msg("1,5").as_deref(),
            Some("giá trị «1,5» không hợp lệ: phải là số nguyên")
        );
        assert_eq!(
            msg("-3").as_deref(),
            Some("giá trị «-3» không hợp lệ: không được là số âm")
        );
    }

    #[test]
    fn a_percentage_stays_between_0_and_100() {
        assert_eq!(
            Value::parse("85,01", ValueType::Percent).ok(),
            Some(Value::Decimal(85.01))
        );
        assert!(Value::parse("120", ValueType::Percent).is_err());
    }

    #[test]
    fn values_format_for_people_and_for_programs() {
        assert_eq!(Value::Whole(1084).format_vi(), "1.084");
        assert_eq!(Value::Decimal(85.0121).format_vi(), "85,01");
        assert_eq!(Value::Decimal(85.0121).format_plain(), "85.01");
        assert_eq!(Value::Whole(1084).format_plain(), "1084");
    }
}
