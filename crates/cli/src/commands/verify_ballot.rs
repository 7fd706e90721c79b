//! `thidua verify ballot ID`: recomputes a closed ballot's seal from the stored papers,
//! spec and count and says whether they are as they were when the ballot closed — the
//! seal printed on the record of the count — or names what changed and exits non-zero.

use thidua_store::Store;

pub async fn run(store: &Store, id: i64) -> anyhow::Result<()> {
    let seal = store.verify_ballot(id).await?;
    let head = seal.head.as_deref().unwrap_or("(không có)");
    if seal.is_intact() {
        println!("Phiếu bầu số {id}: nguyên vẹn, mã niêm phong {head}.");
        return Ok(());
    }
    println!("Phiếu bầu số {id}: KHÔNG nguyên vẹn (mã niêm phong khi kết thúc: {head}).");
    for problem in &seal.problems {
        println!("  - {problem}");
    }
    anyhow::bail!("phiếu bầu số {id} đã bị can thiệp ngoài chương trình sau khi kết thúc bỏ phiếu")
}
