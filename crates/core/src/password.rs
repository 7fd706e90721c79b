//! Chính sách mật khẩu — the rule a new password must meet: at least
//! [`MIN_PASSWORD_CHARS`] characters (counted as characters, not bytes, so "mật khẩu"
//! is 8), at most [`MAX_PASSWORD_CHARS`] (argon2 is fed nothing unbounded), not the
//! user name dressed up with digits, and not in the list of common passwords shipped in
//! `common_passwords.txt` (the usual world top list and the ones Vietnamese users pick).
//! Comparisons fold case after NFC, so "MatKhau123456" and a decomposed "mật khẩu" are
//! caught as well as the listed spelling. Pure: the store applies it before hashing.

use std::collections::HashSet;
use std::sync::OnceLock;

use unicode_normalization::UnicodeNormalization;

use crate::Error;

/// Shortest password accepted, in characters.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Longest password accepted, in characters: long passphrases pass, a megabyte does not.
pub const MAX_PASSWORD_CHARS: usize = 256;

/// The common passwords, one a line (lines starting with `#` are comments).
const COMMON_PASSWORDS: &str = include_str!("common_passwords.txt");

fn common_passwords() -> &'static HashSet<String> {
    static SET: OnceLock<HashSet<String>> = OnceLock::new();
    SET.get_or_init(|| {
        COMMON_PASSWORDS
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .map(fold)
            .collect()
    })
}

/// The form passwords are compared in: NFC, then lower case. Whitespace is kept — in a
/// password it is a character like any other.
pub fn fold(text: &str) -> String {
    text.nfc().collect::<String>().to_lowercase()
}

/// The password as it is hashed: NFC, nothing else changed — the same word typed on two
/// Vietnamese keyboards (one composing "ậ", one sending "a" and two marks) is one password.
pub fn normalise(password: &str) -> String {
    password.nfc().collect()
}

/// Whether `password` is in the shipped list of common passwords.
pub fn is_common(password: &str) -> bool {
    common_passwords().contains(&fold(password))
}

fn refused(reason: &'static str) -> Error {
    // The password itself is never echoed back, not even into a log.
    Error::WeakPassword(reason)
}

/// Checks a new password for the account `username` against the policy.
///
/// ```
/// use thidua_core::password::check_new_password;
/// assert!(check_new_password("ngọn-đèn-trên-phố-cổ", "hadong").is_ok());
/// assert!(check_new_password("matkhau123456", "hadong").is_err());
/// assert!(check_new_password("hadong123456", "hadong").is_err());
/// ```
pub fn check_new_password(password: &str, username: &str) -> Result<(), Error> {
    let folded = fold(password);
    let chars = folded.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(refused("cần ít nhất 12 ký tự (đếm theo chữ, không theo byte)"));
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(refused("dài quá 256 ký tự"));
    }
    if is_name_dressed_up(&folded, &fold(username.trim())) {
        return Err(refused(
            "giống tên đăng nhập (tên đăng nhập thêm vài chữ số hay ký hiệu vẫn là dễ đoán)",
        ));
    }
    if common_passwords().contains(&folded) {
        return Err(refused("nằm trong danh sách mật khẩu phổ biến, dễ đoán"));
    }
    if folded.chars().all(|c| folded.starts_with(c)) {
        return Err(refused("chỉ là một ký tự lặp lại"));
    }
    Ok(())
}

/// The user name itself, or the user name with only digits and symbols around it
/// ("hadong2022!", "123hadong456"): what a guesser tries right after the bare name.
fn is_name_dressed_up(password: &str, username: &str) -> bool {
    if username.is_empty() {
        return false;
    }
    password.find(username).is_some_and(|at| {
        let rest = password[..at].chars().chain(password[at + username.len()..].chars());
        rest.clone().all(|c| !c.is_alphabetic())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_uncommon_password_is_accepted() {
        for good in [
            "ngọn-đèn-trên-phố-cổ",
            "thidua-demo-2022",
            "mật-khẩu-dài",
            "bench-password",
            "Ba con mèo nhảy qua hàng rào",
        ] {
            assert_eq!(check_new_password(good, "hadong"), Ok(()), "{good}");
        }
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        // Eleven characters but more than twelve bytes: still too short.
        let eleven = "mậtkhẩuđẹpq";
        assert_eq!(eleven.chars().count(), 11);
        assert!(eleven.len() > 12);
        assert!(check_new_password(eleven, "hadong").is_err());
        assert!(check_new_password("mậtkhẩuđẹpqu", "hadong").is_ok());
    }

    #[test]
    fn a_short_password_is_refused_with_the_limit_named() {
        let refused = check_new_password("ngắn-quá", "hadong")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(refused.contains("ít nhất 12 ký tự"), "{refused}");
        assert!(!refused.contains("ngắn-quá"), "the password is not echoed: {refused}");
    }

    #[test]
    fn an_endless_password_is_refused() {
        let long = "ngựa ".repeat(60);
        let refused = check_new_password(&long, "hadong");
        assert!(
            refused.as_ref().is_err_and(|e| e.to_string().contains("256")),
            "{refused:?}"
        );
    }

    #[test]
    fn common_passwords_are_refused_whatever_their_case_or_normal_form() {
        for common in [
            "matkhau123456",
            "MatKhau123456",
            "123456789012",
            "qwertyuiop123",
            "password1234",
            "P@ssw0rd1234",
            "anhyeuem123456",
            "vietnam123456",
            "hanoi123456789",
            // "mậtkhẩu123456" written decomposed: a and the tone marks apart.
            "ma\u{323}\u{302}tkha\u{302}\u{309}u123456",
        ] {
            let refused = check_new_password(common, "hadong");
            assert!(
                refused.as_ref().is_err_and(|e| e.to_string().contains("phổ biến")),
                "{common}: {refused:?}"
            );
        }
    }

    #[test]
    fn the_list_holds_the_vietnamese_favourites_and_a_few_hundred_in_all() {
        for listed in [
            "matkhau123",
            "123456789",
            "abc@123456",
            "hanoi12345",
            "123456",
            "password",
        ] {
            assert!(is_common(listed), "{listed}");
        }
        assert!(common_passwords().len() >= 300, "{}", common_passwords().len());
    }

    #[test]
    fn the_user_name_with_digits_around_it_is_refused() {
        for weak in ["hadong123456", "HaDong@2022!!", "2022-hadong-2022"] {
            let result = check_new_password(weak, "hadong");
            assert!(
                result.as_ref().is_err_and(|e| e.to_string().contains("tên đăng nhập")),
                "{weak}: {result:?}"
            );
        }
        assert!(check_new_password("hadong-bên-sông-nhuệ", "hadong").is_ok());
    }

    #[test]
    fn one_character_repeated_is_refused() {
        assert!(check_new_password("ơơơơơơơơơơơơơ", "hadong").is_err());
    }
}
