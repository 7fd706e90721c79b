//! `thidua user`: create accounts, set their e-mail address, reset passwords, disable
//! and enable them. The store
//! applies the password policy and the admin rules; a name taken (even by a `user add`
//! running at the same moment) is refused with its Vietnamese message.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::Context;
use thidua_core::{Role, UnitCode};
use thidua_store::{NewUser, Store};

use crate::args::UserCommand;

/// The address typed after `--email`, checked as the account page checks it.
fn checked_email(typed: &str) -> anyhow::Result<Option<String>> {
    thidua_app::notifications::check_email(typed).map_err(|why| anyhow::anyhow!("địa chỉ thư điện tử «{typed}»: {why}"))
}

/// One line from standard input; prompts when a person is typing.
fn read_password() -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!(
            "Mật khẩu (ít nhất {} ký tự, không dùng tên đăng nhập hay mật khẩu phổ biến): ",
            thidua_core::password::MIN_PASSWORD_CHARS
        );
        std::io::stderr().flush()?;
    }
    let mut line = String::new();
    stdin.lock().read_line(&mut line).context("không đọc được mật khẩu")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

pub async fn run(store: &Store, command: UserCommand) -> anyhow::Result<()> {
    match command {
        UserCommand::Add {
            username,
            name,
            role,
            unit,
            email,
        } => {
            let role = Role::parse(&role)?;
            let unit = unit.as_deref().map(UnitCode::parse).transpose()?;
            // Checked before anything is written: a mistyped address creates no account.
            let email = checked_email(email.as_deref().unwrap_or(""))?;
            let password = read_password()?;
            let user = store
                .create_user(NewUser {
                    username,
                    display_name: name,
                    password,
                    role,
                    unit,
                })
                .await?;
            if let Some(email) = &email {
                store.set_email(user.id, Some(email)).await?;
            }
            println!("Đã tạo tài khoản {} ({}).", user.username, user.role.label_vi());
        }
        UserCommand::Email { username, address } => {
            let email = checked_email(address.as_deref().unwrap_or(""))?;
            let user = store.user(&username).await?;
            store.set_email(user.id, email.as_deref()).await?;
            match email {
                Some(email) => println!("Đã đặt địa chỉ thư điện tử {email} cho {username}."),
                None => println!("Đã xóa địa chỉ thư điện tử của {username}."),
            }
        }
        UserCommand::Passwd { username } => {
            let password = read_password()?;
            store.set_password(&username, &password).await?;
            println!("Đã đặt lại mật khẩu cho {username}; mọi phiên đăng nhập của tài khoản đã kết thúc.");
        }
        UserCommand::Disable { username } => {
            store.set_disabled(None, &username, true).await?;
            println!("Đã khóa tài khoản {username}.");
        }
        UserCommand::Enable { username } => {
            store.set_disabled(None, &username, false).await?;
            println!("Đã mở khóa tài khoản {username}.");
        }
        UserCommand::List => {
            for u in store.users().await? {
                let unit = u.unit.map(|c| c.to_string()).unwrap_or_default();
                let state = if u.disabled { " (đã khóa)" } else { "" };
                println!(
                    "{:<16} {:<14} {:<14} {}{state}",
                    u.username,
                    u.role.label_vi(),
                    unit,
                    u.display_name
                );
            }
        }
    }
    Ok(())
}
