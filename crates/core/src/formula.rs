//! Công thức — formulas of ratio indicators over other indicators, such as the cremation
//! rate `100 * TANG_HOA_TANG / TANG_SO_DAM`. A formula is evaluated on the *rolled-up*
//! figures (after summing over units and time), never by averaging the units' rates,
//! and it has no value where a denominator is 0 or an operand is missing.

use std::collections::BTreeSet;
use std::fmt;

use crate::code::IndicatorCode;
use crate::error::Error;

/// A parsed formula, with the text it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Formula {
    source: String,
    expr: Expr,
}

#[derive(Debug, Clone, PartialEq)]
enum Expr {
    Number(f64),
    Indicator(IndicatorCode),
    Negate(Box<Expr>),
    Binary(Box<Expr>, Op, Box<Expr>),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    Add,
    Subtract,
    Multiply,
    Divide,
}

impl Formula {
    /// Parses a formula: numbers, indicator codes, `+ - * /` and parentheses.
    pub fn parse(source: &str) -> Result<Self, Error> {
        let mut parser = Parser {
            source,
            chars: source.char_indices().collect(),
            pos: 0,
        };
        let expr = parser.expression()?;
        parser.skip_spaces();
        if let Some(&(at, c)) = parser.chars.get(parser.pos) {
            return Err(parser.error(at, format!("ký tự «{c}» không mong đợi")));
        }
        Ok(Formula {
            source: source.trim().to_owned(),
            expr,
        })
    }

    /// The formula as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The indicators the formula reads.
    pub fn references(&self) -> BTreeSet<&IndicatorCode> {
        fn walk<'a>(e: &'a Expr, out: &mut BTreeSet<&'a IndicatorCode>) {
            match e {
                Expr::Number(_) => {}
                Expr::Indicator(code) => {
                    out.insert(code);
                }
                Expr::Negate(inner) => walk(inner, out),
                Expr::Binary(a, _, b) => {
                    walk(a, out);
                    walk(b, out);
                }
            }
        }
        let mut out = BTreeSet::new();
        walk(&self.expr, &mut out);
        out
    }

    /// Computes the formula, reading each indicator through `lookup`. `None` when an
    /// operand is missing, a denominator is 0, or the result is not a finite number.
    pub fn evaluate(&self, lookup: &dyn Fn(&IndicatorCode) -> Option<f64>) -> Option<f64> {
        fn eval(e: &Expr, lookup: &dyn Fn(&IndicatorCode) -> Option<f64>) -> Option<f64> {
            match e {
                Expr::Number(n) => Some(*n),
                Expr::Indicator(code) => lookup(code),
                Expr::Negate(inner) => eval(inner, lookup).map(|v| -v),
                Expr::Binary(a, op, b) => {
                    let (a, b) = (eval(a, lookup)?, eval(b, lookup)?);
                    match op {
                        Op::Add => Some(a + b),
                        Op::Subtract => Some(a - b),
                        Op::Multiply => Some(a * b),
                        Op::Divide if b == 0.0 => None,
                        Op::Divide => Some(a / b),
                    }
                }
            }
        }
        eval(&self.expr, lookup).filter(|v| v.is_finite())
    }
}

impl fmt::Display for Formula {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

/// A recursive-descent parser; positions are reported 1-based, in characters, because
/// that is what a person counting along the formula sees.
struct Parser<'a> {
    source: &'a str,
    chars: Vec<(usize, char)>,
    pos: usize,
}

impl Parser<'_> {
    fn error(&self, byte_at: usize, reason: String) -> Error {
        let column = self.source[..byte_at].chars().count() + 1;
        Error::Formula {
            formula: self.source.to_owned(),
            reason: format!("vị trí {column}: {reason}"),
        }
    }

    fn error_at_end(&self, reason: &str) -> Error {
        self.error(self.source.len(), reason.to_owned())
    }

    fn skip_spaces(&mut self) {
        while self.chars.get(self.pos).is_some_and(|(_, c)| c.is_whitespace()) {
            self.pos += 1;
        }
    }

    fn peek(&mut self) -> Option<char> {
        self.skip_spaces();
        self.chars.get(self.pos).map(|&(_, c)| c)
    }

    fn expression(&mut self) -> Result<Expr, Error> {
        let mut left = self.term()?;
        while let Some(c @ ('+' | '-')) = self.peek() {
            self.pos += 1;
            let op = if c == '+' { Op::Add } else { Op::Subtract };
            left = Expr::Binary(Box::new(left), op, Box::new(self.term()?));
        }
        Ok(left)
    }

    fn term(&mut self) -> Result<Expr, Error> {
        let mut left = self.factor()?;
        while let Some(c @ ('*' | '/')) = self.peek() {
            self.pos += 1;
            let op = if c == '*' { Op::Multiply } else { Op::Divide };
            left = Expr::Binary(Box::new(left), op, Box::new(self.factor()?));
        }
        Ok(left)
    }

    fn factor(&mut self) -> Result<Expr, Error> {
        let Some(c) = self.peek() else {
            return Err(self.error_at_end("công thức kết thúc khi còn thiếu toán hạng"));
        };
        let at = self.chars[self.pos].0;
        match c {
            '-' => {
                self.pos += 1;
                Ok(Expr::Negate(Box::new(self.factor()?)))
            }
            '(' => {
                self.pos += 1;
                let inner = self.expression()?;
                if self.peek() == Some(')') {
                    self.pos += 1;
                    Ok(inner)
                } else {
                    Err(self.error(at, "thiếu dấu «)» đóng ngoặc".into()))
                }
            }
            c if c.is_ascii_digit() => {
                let text = self.take_while(|c| c.is_ascii_digit() || c == '.');
                text.parse()
                    .map(Expr::Number)
                    .map_err(|_| self.error(at, format!("«{text}» không phải là số")))
            }
            c if c.is_alphabetic() || c == '_' => {
                let text = self.take_while(|c| c.is_alphanumeric() || c == '_');
                IndicatorCode::parse(&text)
                    .map(Expr::Indicator)
                    .map_err(|_| self.error(at, format!("«{text}» không phải là mã chỉ tiêu hợp lệ")))
            }
            other => Err(self.error(at, format!("ký tự «{other}» không mong đợi"))),
        }
    }

    fn take_while(&mut self, keep: impl Fn(char) -> bool) -> String {
        let mut out = String::new();
        while let Some(&(_, c)) = self.chars.get(self.pos).filter(|(_, c)| keep(*c)) {
            out.push(c);
            self.pos += 1;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn values(pairs: &[(&str, f64)]) -> BTreeMap<String, f64> {
        pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    fn eval(formula: &str, pairs: &[(&str, f64)]) -> Option<f64> {
        let vals = values(pairs);
        Formula::parse(formula)
            .unwrap()
            .evaluate(&|code| vals.get(code.as_str()).copied())
    }

    #[test]
    fn the_cremation_rate_is_computed_from_the_summed_counts() {
        let rate = eval(
            "100 * TANG_HOA_TANG / TANG_SO_DAM",
            &[("TANG_HOA_TANG", 3511.0), ("TANG_SO_DAM", 4130.0)],
        );
        assert!(rate.is_some_and(|r| (r - 85.0121).abs() < 1e-3), "{rate:?}");
    }

    #[test]
    fn precedence_and_parentheses_follow_arithmetic() {
        assert_eq!(eval("1 + 2 * 3", &[]), Some(7.0));
        assert_eq!(eval("(1 + 2) * 3", &[]), Some(9.0));
        assert_eq!(eval("-A + 10", &[("A", 4.0)]), Some(6.0));
        assert_eq!(eval("10 - 4 - 3", &[]), Some(3.0));
        assert_eq!(eval("2.5 * 2", &[]), Some(5.0));
    }

    #[test]
    fn a_zero_denominator_gives_no_value() {
        assert_eq!(eval("100 * A / B", &[("A", 0.0), ("B", 0.0)]), None);
    }

    #[test]
    fn a_missing_operand_gives_no_value() {
        assert_eq!(eval("100 * A / B", &[("A", 3.0)]), None);
    }

    #[test]
    fn the_formula_lists_the_indicators_it_reads() {
        let f = Formula::parse("100 * TANG_HOA_TANG / TANG_SO_DAM").unwrap();
        let refs: Vec<&str> = f.references().into_iter().map(|c| c.as_str()).collect();
        assert_eq!(refs, ["TANG_HOA_TANG", "TANG_SO_DAM"]);
    }

    #[test]
    fn syntax_errors_say_where_and_what() {
        let msg = |f: &str| Formula::parse(f).err().map(|e| e.to_string()).unwrap_or_default();
        assert_eq!(
            msg("100 * (A / B"),
            "công thức «100 * (A / B»: vị trí 7: thiếu dấu «)» đóng ngoặc"
        );
        assert_eq!(
            msg("100 *"),
            "công thức «100 *»: vị trí 6: công thức kết thúc khi còn thiếu toán hạng"
        );
        assert_eq!(msg("A % B"), "công thức «A % B»: vị trí 3: ký tự «%» không mong đợi");
        assert_eq!(
            msg("tang_so_dam"),
            "công thức «tang_so_dam»: vị trí 1: «tang_so_dam» không phải là mã chỉ tiêu hợp lệ"
        );
    }
}
