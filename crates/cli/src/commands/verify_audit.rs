//! `thidua verify audit`: walks the audit trail and says whether it is intact — every
//! row present, unaltered, in order, up to the head — or lists each problem in
//! Vietnamese and exits non-zero. It also says when the chain was started, so that an
//! operator who logs the output notices a trail that was started over.

use thidua_store::Store;

pub async fn run(store: &Store) -> anyhow::Result<()> {
    let report = store.verify_audit().await?;
    println!("{report}");
    if let Some(started) = report
        .started_at
        .as_deref()
        .and_then(|at| chrono::DateTime::parse_from_rfc3339(at).ok())
    {
        println!(
            "Chuỗi bắt đầu lúc {} (UTC).",
            thidua_core::period::format_datetime_vi(started.to_utc().naive_utc())
        );
    }
    if report.is_intact() {
        Ok(())
    } else {
        anyhow::bail!("nhật ký thay đổi đã bị can thiệp ngoài chương trình")
    }
}
