//! `thidua verify audit`: walks the audit trail and says whether it is intact — every
//! row present, unaltered, in order, up to the head — or lists each problem in
//! Vietnamese and exits non-zero.

use thidua_store::Store;

pub async fn run(store: &Store) -> anyhow::Result<()> {
    let report = store.verify_audit().await?;
    println!("{report}");
    if report.is_intact() {
        Ok(())
    } else {
        anyhow::bail!("nhật ký thay đổi đã bị can thiệp ngoài chương trình")
    }
}
