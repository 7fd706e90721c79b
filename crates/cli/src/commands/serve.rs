//! `thidua serve`: the web server, until Ctrl-C or SIGTERM.

use std::net::SocketAddr;

use anyhow::Context;
use thidua_store::{DatabaseUrl, Store};
use thidua_web::AppState;

pub async fn run(store: &Store, url: &DatabaseUrl, addr: SocketAddr, demo: bool) -> anyhow::Result<()> {
    if demo {
        store.load_demo().await.context("không nạp được dữ liệu mẫu")?;
    }
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("không mở được cổng {addr}"))?;
    let local = listener.local_addr()?;
    println!("thidua đang chạy tại http://{local}/ (cơ sở dữ liệu: {url}). Nhấn Ctrl-C để dừng.");
    if demo {
        println!("Dữ liệu mẫu: http://{local}/clusters/HN-CUM2?period=2022S1");
    }
    thidua_web::launch(AppState::new(store.clone()), listener, shutdown_signal())
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
