//! `thidua serve`: the web server, until Ctrl-C or SIGTERM.

use std::net::SocketAddr;

use anyhow::Context;
use thidua_store::{DatabaseUrl, Store};
use thidua_web::AppState;
use thidua_web::auth::CookieMode;

use crate::args::{ServeMail, ServeSecurity};

pub async fn run(
    store: &Store,
    url: &DatabaseUrl,
    addr: SocketAddr,
    demo: bool,
    security: ServeSecurity,
    mail: ServeMail,
) -> anyhow::Result<()> {
    if demo {
        load_demo(store).await?;
    }
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("không mở được cổng {addr}"))?;
    let local = listener.local_addr()?;
    println!("thidua đang chạy tại http://{local}/ (cơ sở dữ liệu: {url}). Nhấn Ctrl-C để dừng.");
    if demo {
        println!("Dữ liệu mẫu: http://{local}/clusters/HN-CUM2?period=2022S1");
        print_demo_accounts();
    }
    let mode = if security.insecure_cookies {
        CookieMode::Insecure
    } else if security.secure_cookies {
        CookieMode::Secure
    } else {
        CookieMode::Auto
    };
    let mut state = AppState::new(store.clone());
    state.secure_cookies = mode.secure_on(local);
    state.trust_proxy = security.trust_proxy;
    if state.secure_cookies {
        println!(
            "Cookie đăng nhập chỉ được gửi qua HTTPS (Secure, kèm HSTS): hãy đặt máy chủ sau HTTPS, \
             hoặc chạy với --insecure-cookies nếu cố ý dùng http trong mạng nội bộ."
        );
    }
    if let Some(smtp) = &mail.smtp {
        let mailer = thidua_app::mail::Mailer::new(smtp, &mail.mail_from, &mail.public_url)?;
        state.app = state.app.clone().with_mailer(mailer);
        println!("Thông báo được gửi cả qua thư điện tử, từ {}.", mail.mail_from);
    }
    // The deadline reminders (at start, then hourly) and, with --smtp, the mail sender.
    thidua_app::notifications::spawn_background(&state.app);
    thidua_web::launch(state, listener, shutdown_signal())
        .await
        .context("máy chủ web dừng vì lỗi")?;
    println!("Đã dừng.");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}

/// Loads the demo figures, accounts, and this year's cluster for trying the workflow;
/// then the illustrative post-reform demo (the districts merged into wards on 1/7/2025,
/// the wards' 2026 cluster).
pub async fn load_demo(store: &Store) -> anyhow::Result<()> {
    store.load_demo().await.context("không nạp được dữ liệu mẫu")?;
    let year = chrono::Datelike::year(&chrono::Local::now());
    store
        .prepare_demo_workflow(year)
        .await
        .context("không tạo được tài khoản mẫu")?;
    store
        .load_reform_demo()
        .await
        .context("không nạp được dữ liệu mẫu sau sắp xếp đơn vị")?;
    Ok(())
}

/// Tells a newcomer how to sign in to the demo.
pub fn print_demo_accounts() {
    println!("Tài khoản mẫu (mật khẩu: {}):", thidua_store::DEMO_PASSWORD);
    for (username, name, role, unit) in thidua_store::DEMO_ACCOUNTS {
        println!(
            "  {username:<10} {} — {name}{}",
            role.label_vi(),
            unit.map(|u| format!(" ({u})")).unwrap_or_default()
        );
    }
}
