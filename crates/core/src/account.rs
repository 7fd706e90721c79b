//! Tài khoản mới — the rules a new account must meet, checked all at once so the admin's
//! form can say every mistake beside its field ("Tên đăng nhập …", "Mật khẩu …") instead
//! of one at a time; and the search key by which the admin finds an account without
//! typing its diacritics.
//!
//! Pure: the store applies [`check_new_account`] before every insert (so no caller can
//! skip it) and adds what only the database knows — whether the name is taken, whether
//! the unit exists and still works — as further [`AccountProblem`]s.

use crate::access::Role;
use crate::code::UnitCode;
use crate::error::Error;

/// Shortest login name, in characters.
pub const USERNAME_MIN_CHARS: usize = 3;
/// Longest login name, in characters.
pub const USERNAME_MAX_CHARS: usize = 32;
/// Longest display name (họ tên), in characters.
pub const DISPLAY_NAME_MAX_CHARS: usize = 200;
/// Longest login name looked at when folding: longer ones cannot exist, and a megabyte
/// of typing is folded over its first 64 characters only.
const MAX_TYPED_NAME_CHARS: usize = 64;

/// A field of the account form, named by the label users see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AccountField {
    /// Tên đăng nhập.
    Username,
    /// Họ tên.
    DisplayName,
    /// Vai trò.
    Role,
    /// Mã đơn vị.
    Unit,
    /// Mật khẩu.
    Password,
}

impl AccountField {
    /// The label on the form, which also starts each message about the field.
    pub fn label(self) -> &'static str {
        match self {
            AccountField::Username => "Tên đăng nhập",
            AccountField::DisplayName => "Họ tên",
            AccountField::Role => "Vai trò",
            AccountField::Unit => "Mã đơn vị",
            AccountField::Password => "Mật khẩu",
        }
    }
}

/// One mistake in a new account: the field and a whole Vietnamese sentence naming it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountProblem {
    /// The field at fault.
    pub field: AccountField,
    /// The sentence shown beside the field, capitalised, ending with a full stop.
    pub message: String,
    /// Whether the mistake is a name another account already has (a conflict with the
    /// server's state rather than a typing mistake: HTTP 409).
    pub taken: bool,
}

impl AccountProblem {
    fn new(field: AccountField, message: String) -> AccountProblem {
        AccountProblem {
            field,
            message,
            taken: false,
        }
    }

    /// The login name belongs to another account.
    pub fn name_taken(username: &str) -> AccountProblem {
        AccountProblem {
            taken: true,
            ..AccountProblem::new(
                AccountField::Username,
                format!("Tên đăng nhập «{username}» đã có người dùng."),
            )
        }
    }

    /// The unit code is in no unit of the directory.
    pub fn unknown_unit(code: &UnitCode) -> AccountProblem {
        AccountProblem::new(
            AccountField::Unit,
            format!("Mã đơn vị «{code}» không có trong danh mục đơn vị."),
        )
    }
}

impl std::fmt::Display for AccountProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// A new account as typed into the form: text, nothing parsed yet.
#[derive(Debug, Clone, Copy)]
pub struct AccountDraft<'a> {
    /// Tên đăng nhập.
    pub username: &'a str,
    /// Họ tên.
    pub display_name: &'a str,
    /// Vai trò, as its code (`officer`, `chair`, `upper`, `admin`).
    pub role: &'a str,
    /// Mã đơn vị; empty for none.
    pub unit: &'a str,
    /// Mật khẩu, in clear.
    pub password: &'a str,
}

/// A new account that meets every rule core can check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedAccount {
    /// The login name, folded ([`fold_username`]).
    pub username: String,
    /// The display name in NFC.
    pub display_name: String,
    /// The role.
    pub role: Role,
    /// The unit, for every role but admin.
    pub unit: Option<UnitCode>,
}

/// The login name as it is stored, looked up and throttled: its first 64 characters in
/// NFC, whitespace trimmed, lower case.
pub fn fold_username(raw: &str) -> String {
    let short: String = raw.chars().take(MAX_TYPED_NAME_CHARS).collect();
    crate::text::nfc(&short).to_lowercase()
}

/// A login name: 3–32 lower-case ASCII letters, digits, `.`, `-`, `_` after folding
/// ("HaDong" becomes "hadong").
pub fn parse_username(raw: &str) -> Result<String, AccountProblem> {
    let name = fold_username(raw);
    let problem = |message: String| Err(AccountProblem::new(AccountField::Username, message));
    if name.is_empty() {
        return problem("Tên đăng nhập chưa có; hãy nhập 3–32 ký tự.".into());
    }
    let ok = (USERNAME_MIN_CHARS..=USERNAME_MAX_CHARS).contains(&name.chars().count())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-' | '_'));
    if ok {
        Ok(name)
    } else {
        problem(format!(
            "Tên đăng nhập «{}» chưa dùng được: cần 3–32 ký tự, chỉ gồm chữ thường không dấu, chữ số, '.', '-', '_'.",
            raw.trim()
        ))
    }
}

/// The unit code as typed: empty is none, lower case is accepted ("hn-hadong").
fn parse_unit(raw: &str) -> Result<Option<UnitCode>, AccountProblem> {
    let typed = raw.trim();
    if typed.is_empty() {
        return Ok(None);
    }
    UnitCode::parse(&typed.to_ascii_uppercase()).map(Some).map_err(|_| {
        AccountProblem::new(
            AccountField::Unit,
            format!("Mã đơn vị «{typed}» chưa đúng: chỉ gồm chữ không dấu, chữ số, '-' và '_' (ví dụ HN-HADONG)."),
        )
    })
}

/// The password policy of [`crate::password`], said about the "Mật khẩu" field.
pub fn check_password(password: &str, username: &str) -> Result<(), AccountProblem> {
    crate::password::check_new_password(password, username).map_err(|e| {
        let reason = match e {
            Error::WeakPassword(reason) => reason.to_owned(),
            other => other.to_string(),
        };
        AccountProblem::new(AccountField::Password, format!("Mật khẩu chưa dùng được: {reason}."))
    })
}

/// Checks every field of a new account and returns it parsed, or every mistake found —
/// each naming its field — in the order of the form.
///
/// ```
/// use thidua_core::account::{AccountDraft, AccountField, check_new_account};
/// let draft = AccountDraft { username: "Hà Đông", display_name: " ", role: "officer", unit: "", password: "123" };
/// let problems = check_new_account(&draft).unwrap_err();
/// let fields: Vec<AccountField> = problems.iter().map(|p| p.field).collect();
/// assert_eq!(fields, [AccountField::Username, AccountField::DisplayName, AccountField::Unit, AccountField::Password]);
/// ```
pub fn check_new_account(draft: &AccountDraft<'_>) -> Result<CheckedAccount, Vec<AccountProblem>> {
    let mut problems = Vec::new();
    let username = parse_username(draft.username).map_err(|p| problems.push(p)).ok();

    let display_name = crate::text::nfc(draft.display_name);
    if display_name.is_empty() {
        problems.push(AccountProblem::new(
            AccountField::DisplayName,
            "Họ tên chưa có; hãy nhập họ tên người dùng hoặc tên bộ phận.".into(),
        ));
    } else if display_name.chars().count() > DISPLAY_NAME_MAX_CHARS {
        problems.push(AccountProblem::new(
            AccountField::DisplayName,
            format!("Họ tên dài quá {DISPLAY_NAME_MAX_CHARS} ký tự."),
        ));
    }

    let role = Role::parse(draft.role)
        .map_err(|_| {
            problems.push(AccountProblem::new(
                AccountField::Role,
                "Vai trò chưa đúng; hãy chọn một vai trò trong danh sách.".into(),
            ));
        })
        .ok();

    let unit = parse_unit(draft.unit).map_err(|p| problems.push(p)).ok();
    match (role, &unit) {
        (Some(role), Some(None)) if role.needs_unit() => problems.push(AccountProblem::new(
            AccountField::Unit,
            format!("Mã đơn vị chưa có: tài khoản {} cần thuộc một đơn vị.", role.label_vi()),
        )),
        (Some(Role::Admin), Some(Some(_))) => problems.push(AccountProblem::new(
            AccountField::Unit,
            "Mã đơn vị phải để trống: tài khoản quản trị không thuộc đơn vị nào.".into(),
        )),
        _ => {}
    }

    // The name the password is compared with: the folded one when it parsed, as typed if not.
    let name_for_password = username.clone().unwrap_or_else(|| fold_username(draft.username));
    if let Err(p) = check_password(draft.password, &name_for_password) {
        problems.push(p);
    }

    match (username, role, unit) {
        (Some(username), Some(role), Some(unit)) if problems.is_empty() => Ok(CheckedAccount {
            username,
            display_name,
            role,
            unit,
        }),
        _ => Err(problems),
    }
}

/// The words a text is found by: [`crate::text::search_key`] (no diacritics, no case, đ
/// as d) split at everything that is not a letter or a digit, so "HN-HADONG" is the two
/// words "hn" and "hadong", and "trung.ten" is "trung" and "ten".
pub fn search_words(text: &str) -> Vec<String> {
    crate::text::search_key(text)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The search key stored with an account: the words of its login name, display name
/// and unit code, each with a space before it and one at the end
/// (" hadong can bo thi dua quan ha dong hn hadong "), so `LIKE '% ha%'` finds a word
/// starting with "ha" and never "ha" inside a word ("thanh").
pub fn account_search_key(username: &str, display_name: &str, unit: Option<&UnitCode>) -> String {
    let mut key = String::from(" ");
    for part in [username, display_name, unit.map_or("", UnitCode::as_str)] {
        for word in search_words(part) {
            key.push_str(&word);
            key.push(' ');
        }
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft<'a>(username: &'a str, role: &'a str, unit: &'a str) -> AccountDraft<'a> {
        AccountDraft {
            username,
            display_name: "Nguyễn Văn An",
            role,
            unit,
            password: "ngọn-đèn-trên-phố-cổ",
        }
    }

    #[test]
    fn a_good_account_is_parsed_with_its_name_folded_and_its_unit_upper_cased() {
        let checked = check_new_account(&draft(" HaDong ", "officer", "hn-hadong"));
        let checked = checked.unwrap_or_else(|p| panic!("{p:?}"));
        assert_eq!(checked.username, "hadong");
        assert_eq!(checked.unit.as_ref().map(UnitCode::as_str), Some("HN-HADONG"));
        assert_eq!(checked.role, Role::Officer);
    }

    #[test]
    fn every_mistake_is_found_at_once_each_beside_its_field() {
        let problems = check_new_account(&AccountDraft {
            username: "ab",
            display_name: "",
            role: "boss",
            unit: "Hà Đông",
            password: "ngắn",
        })
        .err()
        .unwrap_or_default();
        let fields: Vec<AccountField> = problems.iter().map(|p| p.field).collect();
        use AccountField::*;
        assert_eq!(fields, [Username, DisplayName, Role, Unit, Password]);
        for p in &problems {
            assert!(p.message.starts_with(p.field.label()), "{}", p.message);
            assert!(p.message.ends_with('.'), "{}", p.message);
        }
    }

    #[test]
    fn an_admin_has_no_unit_and_every_other_role_has_one() {
        let admin = check_new_account(&draft("quantri", "admin", "HN"))
            .err()
            .unwrap_or_default();
        assert_eq!(admin.len(), 1);
        assert_eq!(admin[0].field, AccountField::Unit);
        let officer = check_new_account(&draft("canbo", "officer", " "))
            .err()
            .unwrap_or_default();
        assert_eq!(officer.len(), 1);
        assert!(officer[0].message.contains("Cán bộ thi đua"), "{}", officer[0].message);
        assert!(check_new_account(&draft("quantri", "admin", "")).is_ok());
    }

    #[test]
    fn the_search_key_holds_word_starts_without_diacritics() {
        let unit = UnitCode::parse("HN-HADONG").ok();
        let key = account_search_key("hadong", "Nguyễn Văn Đạt", unit.as_ref());
        assert_eq!(key, " hadong nguyen van dat hn hadong ");
        assert!(key.contains(" ha") && !key.contains(" an"));
        assert_eq!(search_words("trung.ten_x"), ["trung", "ten", "x"]);
    }
}
