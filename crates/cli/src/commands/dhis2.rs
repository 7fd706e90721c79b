//! `thidua export dhis2` and `thidua import dhis2`: the official figures as DHIS2's
//! `dataValueSets`, JSON or CSV, with codes as identifiers — through the application's
//! use cases ([`thidua_app::dhis2`]), the ones `/api/v1/dataValueSets` also uses.
//!
//! An import is the values import's: the same checks, the same refusal of accepted or
//! locked figures, the same audit trail, all or nothing. It prints DHIS2's import
//! summary (status, counts, conflicts with each value's row); a refused file exits
//! non-zero with nothing written, and a dry run writes nothing and says so.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use thidua_app::App;
use thidua_app::dhis2::{self, Imported, Selection};
use thidua_core::Period;
use thidua_core::dhis2::{Format, ImportStatus, Requested, write};
use thidua_store::{Store, ValuesImport};

use crate::args::ExportCommand;

/// `thidua export dhis2 …`: writes the data value set to the file, or to standard output
/// when there is none or it is `-`.
pub async fn export(store: &Store, command: ExportCommand) -> anyhow::Result<()> {
    let ExportCommand::Dhis2 {
        period,
        unit,
        children,
        cluster,
        format,
        output,
    } = command
    else {
        anyhow::bail!("«thidua export cluster-xlsx» không phải lệnh xuất DHIS2");
    };
    let period = Period::parse(&period)?;
    let format = Format::parse(&format)?;
    let selection = match (unit, cluster) {
        (Some(code), _) => Selection::Unit { code, children },
        (None, Some(code)) => Selection::Cluster(code),
        (None, None) => anyhow::bail!("cần --unit MÃ_ĐƠN_VỊ hoặc --cluster MÃ_CỤM"),
    };
    let app = App::for_one_command(store.clone());
    let directory = app.directory().await?;
    let values = dhis2::export(&app, &directory, &selection, period).await?;
    let text = write(&values, format);
    match output.as_deref().filter(|p| *p != Path::new("-")) {
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(text.as_bytes())?;
            if !text.ends_with('\n') {
                stdout.write_all(b"\n")?;
            }
            stdout.flush()?;
        }
        Some(path) => {
            std::fs::write(path, &text).with_context(|| format!("không ghi được tệp {}", path.display()))?;
            println!(
                "Đã xuất {} giá trị kỳ {} vào {}.",
                thidua_core::number::format_integer(i64::try_from(values.len()).unwrap_or(i64::MAX)),
                period,
                path.display()
            );
        }
    }
    Ok(())
}

/// The shape of a file: by its extension (`.json`, `.csv`), else by its first character
/// (`{` is JSON, anything else DHIS2's CSV).
fn format_of(path: &Path, bytes: &[u8]) -> Format {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("json") => Format::Json,
        Some("csv") => Format::Csv,
        _ => {
            let text = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
            match text.iter().find(|b| !b.is_ascii_whitespace()) {
                Some(b'{') => Format::Json,
                _ => Format::Csv,
            }
        }
    }
}

/// `thidua import dhis2 FILE`: the data value set as the official figures, in the name of
/// `by` (the audit trail's account; `import` when none).
pub async fn import(
    store: &Store,
    file: &Path,
    by: Option<String>,
    overwrite_accepted: bool,
    dry_run: bool,
) -> anyhow::Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("không đọc được tệp {}", file.display()))?;
    let format = format_of(file, &bytes);
    // A dry run when the command or the file asks for one (thidua_core::dhis2).
    let requested = Requested {
        dry_run: dry_run.then(|| "true".to_owned()),
        ..Requested::default()
    };
    let account = ValuesImport { by, overwrite_accepted };
    let app = App::for_one_command(store.clone());
    let imported = dhis2::import_official(&app, &bytes, format, &requested, &account)
        .await
        .with_context(|| format!("nhập {} thất bại", file.display()))?;
    print_summary(&imported);
    if imported.summary.status == ImportStatus::Error {
        anyhow::bail!(
            "nhập {} thất bại: cả tệp bị từ chối, không giá trị nào được ghi",
            file.display()
        );
    }
    Ok(())
}

/// DHIS2's import summary for people: the status and what happened, the counts, then
/// each conflict with the row it is on, its object and its error code.
fn print_summary(imported: &Imported) {
    let summary = &imported.summary;
    let status = match summary.status {
        ImportStatus::Success => "SUCCESS",
        ImportStatus::Warning => "WARNING",
        ImportStatus::Error => "ERROR",
    };
    let dry = if summary.import_options.dry_run {
        " — thử nhập (dryRun), không ghi gì"
    } else {
        ""
    };
    println!("Trạng thái: {status}{dry}");
    println!("{}", summary.description);
    let c = &summary.import_count;
    println!(
        "importCount: imported {}, updated {}, ignored {}, deleted {}",
        c.imported, c.updated, c.ignored, c.deleted
    );
    if imported.problems.is_empty() {
        return;
    }
    println!("Xung đột (conflicts): {}", imported.problems.len());
    for p in &imported.problems {
        let code = p.error_code.map(|c| format!(", {c}")).unwrap_or_default();
        if p.object.is_empty() {
            println!("  {p}{code}");
        } else {
            println!("  {p} [object: {}{code}]", p.object);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_s_shape_is_its_extension_else_its_first_character() {
        assert_eq!(format_of(Path::new("a.CSV"), b"{"), Format::Csv);
        assert_eq!(format_of(Path::new("a.json"), b"dataelement"), Format::Json);
        assert_eq!(
            format_of(Path::new("a.txt"), b"\xef\xbb\xbf \n{\"dataValues\":[]}"),
            Format::Json
        );
        assert_eq!(format_of(Path::new("a"), b"dataelement,period"), Format::Csv);
    }
}
