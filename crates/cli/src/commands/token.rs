//! `thidua token`: an account's personal API tokens (mã truy cập API) — made, listed,
//! revoked, as on the account's `/account/tokens` page. A new token is printed once, on
//! standard output alone (what to do with it goes to standard error), so that a script
//! can keep it: `TOKEN=$(thidua token create --user … --name …)`. Only its hash is
//! stored ([`thidua_store::ApiToken`]); the trail records who made and revoked each.
//! A token expires as `--expires` says (90 days unless told), read by
//! [`thidua_store::Expiry::parse`] as the tokens page reads its form.

use thidua_store::{ApiToken, Expiry, Store, User};

use crate::args::TokenCommand;

/// An RFC 3339 time as "25/7/2022 16:09", in the machine's time zone; "—" for none.
fn shown_time(at: Option<&str>) -> String {
    match at {
        None => "—".into(),
        Some(at) => chrono::DateTime::parse_from_rfc3339(at)
            .map(|t| t.with_timezone(&chrono::Local).format("%-d/%-m/%Y %H:%M").to_string())
            .unwrap_or_else(|_| at.to_owned()),
    }
}

fn print_header() {
    println!(
        "{:>4}  {:<16} {:<30} {:<16} {:<16} {:<16} Trạng thái",
        "Số", "Tài khoản", "Tên", "Ký tự đầu", "Tạo lúc", "Dùng lần cuối"
    );
}

/// "hết hạn ngày 2/3/2027", or "không hết hạn".
fn shown_expiry(t: &ApiToken) -> String {
    match t.expiry_day() {
        Some(day) => format!("hết hạn ngày {}", day.format("%-d/%-m/%Y")),
        None => "không hết hạn".into(),
    }
}

fn print_line(user: &User, t: &ApiToken) {
    let state = match &t.revoked_at {
        Some(at) => format!("đã thu hồi {}", shown_time(Some(at))),
        None if !t.is_active() => format!("đã {}", shown_expiry(t)),
        None => format!("đang dùng, {}", shown_expiry(t)),
    };
    println!(
        "{:>4}  {:<16} {:<30} {:<16} {:<16} {:<16} {state}",
        t.id,
        user.username,
        t.name,
        t.hint,
        shown_time(Some(&t.created_at)),
        shown_time(t.last_used_at.as_deref()),
    );
}

/// The token of `user` that `which` names: its number, or else its name among the
/// tokens in use — refused when two in use share the name.
async fn find(store: &Store, user: &User, which: &str) -> anyhow::Result<ApiToken> {
    let tokens = store.api_tokens(user.id).await?;
    let which = which.trim();
    if let Ok(id) = which.parse::<i64>()
        && let Some(t) = tokens.iter().find(|t| t.id == id)
    {
        return Ok(t.clone());
    }
    let name = thidua_core::text::nfc(which);
    let mut named = tokens.iter().filter(|t| t.name == name);
    let Some(first) = named.clone().find(|t| t.is_active()).or_else(|| named.next()) else {
        anyhow::bail!(
            "tài khoản «{}» không có mã truy cập số hoặc tên «{which}» (xem «thidua token list --user {}»)",
            user.username,
            user.username
        );
    };
    let in_use = tokens.iter().filter(|t| t.name == name && t.is_active()).count();
    if in_use > 1 {
        anyhow::bail!(
            "tài khoản «{}» có {in_use} mã truy cập đang dùng cùng tên «{name}»: hãy thu hồi theo số (xem «thidua token list --user {}»)",
            user.username,
            user.username
        );
    }
    Ok(first.clone())
}

pub async fn run(store: &Store, command: TokenCommand) -> anyhow::Result<()> {
    match command {
        TokenCommand::Create { user, name, expires } => {
            let expiry = Expiry::parse(&expires, chrono::Local::now().date_naive())?;
            let user = store.user(&user).await?;
            if user.disabled {
                anyhow::bail!(
                    "tài khoản «{}» đã bị khóa: mã truy cập của tài khoản khóa không dùng được",
                    user.username
                );
            }
            let (token, secret) = store.create_api_token(&user, &name, expiry).await?;
            let until = match token.expiry_day() {
                Some(day) => format!("dùng được đến hết ngày {}", day.format("%-d/%-m/%Y")),
                None => "không hết hạn".into(),
            };
            eprintln!(
                "Đã tạo mã truy cập số {} «{}» cho tài khoản {} ({}), {until}. Mã chỉ hiện một lần, dưới đây: hãy lưu ngay; \
                 chương trình gửi kèm tiêu đề «Authorization: ApiToken MÃ» và có đúng quyền của tài khoản.",
                token.id,
                token.name,
                user.username,
                user.role.label_vi()
            );
            println!("{secret}");
        }
        TokenCommand::List { user } => {
            let users = match user {
                Some(name) => vec![store.user(&name).await?],
                None => store.users().await?,
            };
            let mut any = false;
            for user in &users {
                for token in store.api_tokens(user.id).await? {
                    if !any {
                        print_header();
                        any = true;
                    }
                    print_line(user, &token);
                }
            }
            if !any {
                println!("Chưa có mã truy cập nào.");
            }
        }
        TokenCommand::Revoke { token, user } => {
            let user = store.user(&user).await?;
            let found = find(store, &user, &token).await?;
            if found.revoked_at.is_some() {
                println!(
                    "Mã truy cập số {} «{}» của {} đã thu hồi từ trước ({}).",
                    found.id,
                    found.name,
                    user.username,
                    shown_time(found.revoked_at.as_deref())
                );
                return Ok(());
            }
            let revoked = store.revoke_api_token(&user, found.id).await?;
            println!(
                "Đã thu hồi mã truy cập số {} «{}» của {}: từ nay mã bị từ chối.",
                revoked.id, revoked.name, user.username
            );
        }
    }
    Ok(())
}
