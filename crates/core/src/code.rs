//! Codes that identify units, clusters and indicators. They are parsed once, at the edge,
//! so the rest of the program never sees a malformed code.

use crate::error::Error;

/// Longest code accepted; DHIS2 allows 50, we leave some room for prefixes.
pub(crate) const MAX_CODE_LEN: usize = 64;

/// The characters of most codes: upper-case ASCII letters, digits, `_` and `-`.
pub(crate) fn upper_code_char(c: char) -> bool {
    c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_' || c == '-'
}

/// A code of `kind`: `raw` trimmed, not empty, at most `max` bytes of `allowed` characters.
pub(crate) fn parse_code(
    kind: &'static str,
    raw: &str,
    max: usize,
    allowed: fn(char) -> bool,
) -> Result<String, Error> {
    let code = raw.trim();
    let valid = !code.is_empty() && code.len() <= max && code.chars().all(allowed);
    if valid {
        Ok(code.to_owned())
    } else {
        Err(Error::InvalidCode {
            kind,
            code: raw.to_owned(),
        })
    }
}

/// Declares a code type: a string parsed once at the edge, shown and serialised as text.
/// By default upper-case ASCII letters, digits, `_` and `-`, at most 64 characters;
/// `max = N, allowed = f` sets another limit and alphabet.
macro_rules! code_type {
    ($(#[$doc:meta])* $name:ident, $kind:literal) => {
        $crate::code::code_type!($(#[$doc])* $name, $kind, max = $crate::code::MAX_CODE_LEN, allowed = $crate::code::upper_code_char);
    };
    ($(#[$doc:meta])* $name:ident, $kind:literal, max = $max:expr, allowed = $allowed:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Parses a code; surrounding spaces are ignored.
            pub fn parse(raw: &str) -> Result<Self, $crate::error::Error> {
                $crate::code::parse_code($kind, raw, $max, $allowed).map(Self)
            }

            /// The code as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl TryFrom<String> for $name {
            type Error = $crate::error::Error;
            fn try_from(raw: String) -> Result<Self, $crate::error::Error> {
                Self::parse(&raw)
            }
        }

        impl From<$name> for String {
            fn from(code: $name) -> String {
                code.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

pub(crate) use code_type;

code_type!(
    /// Mã đơn vị — the code of a unit (a Front committee), e.g. `HN-HADONG`.
    UnitCode,
    "mã đơn vị"
);
code_type!(
    /// Mã cụm thi đua — the code of an emulation cluster, e.g. `HN-CUM2`.
    ClusterCode,
    "mã cụm thi đua"
);
code_type!(
    /// Mã chỉ tiêu — the code of an indicator, e.g. `TTND_GIAM_SAT`.
    IndicatorCode,
    "mã chỉ tiêu"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_keeps_letters_digits_dashes_and_underscores() {
        assert_eq!(
            UnitCode::parse(" HN-HADONG ").map(|c| c.to_string()).ok(),
            Some("HN-HADONG".into())
        );
        assert!(IndicatorCode::parse("TTND_GIAM_SAT").is_ok());
    }

    #[test]
    fn a_code_with_lower_case_spaces_or_diacritics_is_refused() {
        for bad in ["", "hn-hadong", "HN HADONG", "HÀ-ĐÔNG", &"X".repeat(65)] {
            assert!(UnitCode::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn the_error_names_what_kind_of_code_was_wrong() {
        let err = IndicatorCode::parse("abc").err().map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("«abc» không phải là mã chỉ tiêu hợp lệ (chỉ gồm chữ in hoa không dấu, chữ số, '-' và '_')")
        );
    }
}
