//! `thidua report`: the cluster's review as Vietnamese prose, DOCX or PDF — the same use
//! case as the cluster's report page ([`thidua_app::review`]): the same data, issuer,
//! template (the cluster's own unless `--template` names a file) and register number.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, bail};
use thidua_app::App;
use thidua_app::documents::{self, Format};
use thidua_app::review::{self, Review};
use thidua_core::{ClusterCode, Period};
use thidua_report::review::MAX_TEMPLATE;

pub async fn run(
    app: &App,
    cluster: &str,
    period: &str,
    format: &str,
    output: Option<&Path>,
    template: Option<&Path>,
) -> anyhow::Result<()> {
    let format = match format {
        "txt" => None,
        "docx" => Some(Format::Docx),
        "pdf" => Some(Format::Pdf),
        other => bail!("định dạng «{other}» chưa được hỗ trợ; hiện có: txt, docx, pdf"),
    };
    if let (Some(format), None) = (format, output) {
        let extension = format.extension();
        bail!(
            "báo cáo {} cần tệp kết quả: thêm -o bao-cao.{extension}",
            extension.to_uppercase()
        );
    }
    let code = ClusterCode::parse(cluster)?;
    let period = Period::parse(period)?;
    let directory = app.directory().await?;
    let Some(cluster) = directory.cluster(&code, period.year()) else {
        bail!("cụm thi đua «{code}» chưa được lập cho năm {}", period.year());
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
        None => review::template(app, &code).await?,
    };
    let data = Arc::new(Review::load(app, &directory, cluster, period).await?);
    let text = review::render(app, data.clone(), template).await?;
    let bytes = match format {
        Some(format) => documents::write(data.document(&text), format).await?,
        None => text.into_bytes(),
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
