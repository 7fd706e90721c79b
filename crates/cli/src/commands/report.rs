//! `thidua report`: the cluster's review as Vietnamese prose, from the rollup, the
//! conference record and the previous period.

use std::path::Path;

use anyhow::{Context, bail};
use thidua_core::{ClusterCode, Period};
use thidua_report::review::REVIEW_SYMBOL;
use thidua_report::review::{
    DEFAULT_TEMPLATE, MAX_TEMPLATE, ReviewInput, TEMPLATE_NAME, render_review, review_document,
};
use thidua_store::Store;

#[cfg(feature = "pdf")]
fn write_pdf(document: &thidua_report::document::OfficialDocument) -> anyhow::Result<Vec<u8>> {
    Ok(thidua_report::pdf::write_pdf(document)?)
}

#[cfg(not(feature = "pdf"))]
fn write_pdf(_: &thidua_report::document::OfficialDocument) -> anyhow::Result<Vec<u8>> {
    bail!("bản thidua này được dựng không có PDF (thiếu tính năng «pdf»)")
}

pub async fn run(
    store: &Store,
    cluster: &str,
    period: &str,
    format: &str,
    output: Option<&Path>,
    template: Option<&Path>,
) -> anyhow::Result<()> {
    if !matches!(format, "txt" | "docx" | "pdf") {
        bail!("định dạng «{format}» chưa được hỗ trợ; hiện có: txt, docx, pdf");
    }
    if format != "txt" && output.is_none() {
        bail!(
            "báo cáo {} cần tệp kết quả: thêm -o bao-cao.{format}",
            format.to_uppercase()
        );
    }
    let code = ClusterCode::parse(cluster)?;
    let period = Period::parse(period)?;
    let rollup = store.rollup_cluster(&code, period).await?;
    let catalog = store.catalog().await?;
    let conference = store.review_conference(&code, period).await?;
    // The previous period counts only when the cluster existed then and has figures.
    let previous = match store.rollup_cluster(&code, period.previous()).await {
        Ok(r) if !r.total.is_empty() => Some(r),
        _ => None,
    };
    // --template FILE, else the cluster's own stored template, else the shipped one — the
    // same choice as the cluster's report page.
    let template = match template {
        Some(path) => {
            // Bounded before it is read, as the renderer bounds it again.
            let size = std::fs::metadata(path)
                .with_context(|| format!("không đọc được mẫu {}", path.display()))?
                .len();
            if size > MAX_TEMPLATE as u64 {
                bail!(
                    "mẫu {} dài {size} byte, quá giới hạn {} kB",
                    path.display(),
                    MAX_TEMPLATE / 1024
                );
            }
            std::fs::read_to_string(path).with_context(|| format!("không đọc được mẫu {}", path.display()))?
        }
        None => store
            .cluster_template(&code, TEMPLATE_NAME)
            .await?
            .map_or_else(|| DEFAULT_TEMPLATE.to_owned(), |t| t.body),
    };
    let input = ReviewInput {
        rollup: &rollup,
        catalog: &catalog,
        conference: conference.as_ref(),
        issuer: "",
        previous: previous.as_ref(),
    };
    let text = render_review(&input, &template)?;
    // A report the chair has issued carries its number from the register.
    let number = store
        .document_number(code.as_str(), REVIEW_SYMBOL, &period.to_string())
        .await?;
    let bytes = match format {
        "docx" => thidua_report::docx::write_docx(&review_document(&input, &text, number))?,
        "pdf" => write_pdf(&review_document(&input, &text, number))?,
        _ => text.into_bytes(),
    };
    match output {
        Some(path) => {
            std::fs::write(path, &bytes).with_context(|| format!("không ghi được {}", path.display()))?;
            println!("Đã ghi báo cáo vào {}.", path.display());
        }
        None => print!("{}", String::from_utf8_lossy(&bytes)),
    }
    Ok(())
}
