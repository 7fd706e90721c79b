//! `thidua import KIND FILE`. A values file may be imported in the name of an account
//! (`--by`), which the audit trail records; only an upper-level or admin account, with
//! `--overwrite-accepted`, changes the figures of accepted or locked forms.

use std::path::Path;

use anyhow::Context;
use thidua_store::{Store, ValuesImport};

use crate::args::ImportKind;

pub async fn run(
    store: &Store,
    kind: ImportKind,
    file: &Path,
    by: Option<String>,
    overwrite_accepted: bool,
) -> anyhow::Result<()> {
    if overwrite_accepted && kind != ImportKind::Values {
        anyhow::bail!("--overwrite-accepted chỉ dùng với «thidua import values»");
    }
    if by.is_some() && !matches!(kind, ImportKind::Values | ImportKind::Changes) {
        anyhow::bail!("--by chỉ dùng với «thidua import values» và «thidua import changes»");
    }
    let bytes = std::fs::read(file).with_context(|| format!("không đọc được tệp {}", file.display()))?;
    let text = String::from_utf8(bytes).map_err(|_| {
        anyhow::anyhow!(
            "tệp {} không phải UTF-8 (hãy lưu tệp CSV với bảng mã UTF-8)",
            file.display()
        )
    })?;
    let summary = match kind {
        ImportKind::Units => store.import_units_csv(&text).await,
        ImportKind::Clusters => store.import_clusters_csv(&text).await,
        ImportKind::Indicators => store.import_indicators_csv(&text).await,
        ImportKind::Rules => store.import_rules_csv(&text).await,
        ImportKind::Values => {
            let options = ValuesImport { by, overwrite_accepted };
            store.import_values_csv_as(&text, &options).await
        }
        ImportKind::Changes => store.import_changes_csv(&text, by.as_deref().unwrap_or("import")).await,
        ImportKind::Conference => store
            .import_conference_toml(&text)
            .await
            .map(|_| thidua_store::ImportSummary { rows: 1 }),
        ImportKind::Criteria => {
            let saved = store
                .import_criteria_toml(&thidua_store::Actor::system("import"), &text)
                .await
                .with_context(|| format!("nhập {} thất bại", file.display()))?;
            println!(
                "Đã nhập bảng tiêu chí «{}», phiên bản {}.",
                saved.criteria.set.name(),
                saved.criteria.version
            );
            if !saved.message.is_empty() {
                println!("{}", saved.message);
            }
            return Ok(());
        }
        ImportKind::Awards => store
            .import_awards_toml(&text)
            .await
            .map(|catalogue| thidua_store::ImportSummary {
                rows: catalogue.forms().len(),
            }),
    }
    .with_context(|| format!("nhập {} thất bại", file.display()))?;
    println!("Đã nhập {} dòng từ {}.", summary.rows, file.display());
    Ok(())
}
