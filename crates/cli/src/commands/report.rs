//! `thidua report`: the cluster's review as Vietnamese prose, from the rollup, the
//! conference record and the previous period.

use std::path::Path;

use anyhow::{Context, bail};
use thidua_core::{ClusterCode, Period};
use thidua_report::review::{DEFAULT_TEMPLATE, ReviewInput, render_review};
use thidua_store::Store;

pub async fn run(
    store: &Store,
    cluster: &str,
    period: &str,
    format: &str,
    output: Option<&Path>,
    template: Option<&Path>,
) -> anyhow::Result<()> {
    if format != "txt" {
        bail!("định dạng «{format}» chưa được hỗ trợ; hiện có: txt");
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
    let template = match template {
        Some(path) => {
            std::fs::read_to_string(path).with_context(|| format!("không đọc được mẫu {}", path.display()))?
        }
        None => DEFAULT_TEMPLATE.to_owned(),
    };
    let text = render_review(
        &ReviewInput {
            rollup: &rollup,
            catalog: &catalog,
            conference: conference.as_ref(),
            issuer: "",
            previous: previous.as_ref(),
        },
        &template,
    )?;
    match output {
        Some(path) => {
            std::fs::write(path, &text).with_context(|| format!("không ghi được {}", path.display()))?;
            println!("Đã ghi báo cáo vào {}.", path.display());
        }
        None => print!("{text}"),
    }
    Ok(())
}
