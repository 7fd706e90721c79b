//! Giới hạn của tệp Excel tải lên — the bounds an uploaded workbook must keep before any
//! spreadsheet library reads it. An XLSX file is a zip of XML parts: a few kilobytes can
//! declare a sheet reaching cell XFD1048576 (a dense reader then asks for 512 GiB) or
//! inflate to gigabytes of XML. So the archive is checked first — its own size, its
//! number of parts, and each part's and the total size *as actually inflated*, read
//! through a reader that stops one byte past the limit (the sizes the archive declares
//! are only a first, cheap refusal: they can lie) — and the sheet is then read cell by
//! cell, each cell's position and the number of cells checked as it streams
//! ([`check_cell`]). Every limit is here, named; a refusal names the limit in Vietnamese.
//!
//! The form itself is about a hundred rows by four columns and a few tens of kilobytes;
//! the limits leave a wide margin for workbooks Excel or LibreOffice saved again.

use std::io::{Cursor, Read};

use thidua_core::number::format_integer;

use crate::ReportError;

/// One megabyte as the messages count it (MiB).
const MB: u64 = 1024 * 1024;

/// Largest workbook file accepted, as uploaded (compressed): 5 MB.
pub const MAX_WORKBOOK_BYTES: u64 = 5 * MB;
/// Most parts (zip entries) a workbook may hold; a saved form has about ten.
pub const MAX_ENTRIES: usize = 100;
/// Largest single part once inflated: 10 MB.
pub const MAX_ENTRY_BYTES: u64 = 10 * MB;
/// Largest total of all parts once inflated: 20 MB.
pub const MAX_TOTAL_BYTES: u64 = 20 * MB;
/// Rows of the form's sheet a cell may lie in (1 to 2.000).
pub const MAX_ROWS: u32 = 2_000;
/// Columns of the form's sheet a cell may lie in (A to AX).
pub const MAX_COLUMNS: u32 = 50;
/// Most cells the sheet may list, repeated positions included.
pub const MAX_CELLS: usize = (MAX_ROWS * MAX_COLUMNS) as usize;

/// "5 MB", for the messages.
fn megabytes(bytes: u64) -> String {
    format!("{} MB", bytes / MB)
}

fn refuse(reason: String) -> ReportError {
    ReportError::Bounds(reason)
}

/// The A1 name of a cell, 0-based row and column.
pub(crate) fn cell_name(row: u32, col: u32) -> String {
    let mut letters = String::new();
    let mut c = u64::from(col) + 1;
    while c > 0 {
        let rem = (c - 1) % 26;
        letters.insert(0, char::from(b'A' + rem as u8));
        c = (c - 1) / 26;
    }
    format!("{letters}{}", u64::from(row) + 1)
}

/// Checks the archive of an uploaded workbook against the limits above, inflating every
/// part once into nothing (at most [`MAX_TOTAL_BYTES`] of work) without keeping it.
/// A file that is not a zip archive is refused as not being a workbook.
pub fn check_archive(bytes: &[u8]) -> Result<(), ReportError> {
    let size = bytes.len() as u64;
    if size > MAX_WORKBOOK_BYTES {
        return Err(refuse(format!(
            "tệp Excel quá lớn: hơn {} (giới hạn {})",
            megabytes(MAX_WORKBOOK_BYTES),
            megabytes(MAX_WORKBOOK_BYTES)
        )));
    }
    let not_a_workbook =
        |e: zip::result::ZipError| ReportError::Read(format!("tệp không phải là bảng tính Excel (.xlsx) hợp lệ ({e})"));
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(not_a_workbook)?;
    if archive.len() > MAX_ENTRIES {
        return Err(refuse(format!(
            "tệp Excel có {} phần (giới hạn {} phần)",
            format_integer(archive.len() as i64),
            format_integer(MAX_ENTRIES as i64)
        )));
    }
    let too_big_in_total = || {
        refuse(format!(
            "tệp Excel quá lớn khi giải nén: hơn {} (giới hạn {})",
            megabytes(MAX_TOTAL_BYTES),
            megabytes(MAX_TOTAL_BYTES)
        ))
    };
    let mut total: u64 = 0;
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index).map_err(not_a_workbook)?;
        let name = entry.name().map(|n| n.into_owned()).unwrap_or_default();
        let too_big = || {
            refuse(format!(
                "phần «{name}» của tệp Excel quá lớn khi giải nén: hơn {} (giới hạn {})",
                megabytes(MAX_ENTRY_BYTES),
                megabytes(MAX_ENTRY_BYTES)
            ))
        };
        // What the archive declares: a cheap first refusal, before inflating anything.
        if entry.size() > MAX_ENTRY_BYTES {
            return Err(too_big());
        }
        if total.saturating_add(entry.size()) > MAX_TOTAL_BYTES {
            return Err(too_big_in_total());
        }
        // What it really inflates to: read at most one byte past what is still allowed.
        let allowed = MAX_ENTRY_BYTES.min(MAX_TOTAL_BYTES - total);
        let inflated = std::io::copy(&mut (&mut entry).take(allowed + 1), &mut std::io::sink())
            .map_err(|e| ReportError::Read(format!("phần «{name}» của tệp Excel bị hỏng ({e})")))?;
        if inflated > MAX_ENTRY_BYTES {
            return Err(too_big());
        }
        total += inflated;
        if total > MAX_TOTAL_BYTES {
            return Err(too_big_in_total());
        }
    }
    Ok(())
}

/// Checks one cell of the form's sheet as it streams: `seen` cells so far (this one
/// included), at 0-based `row` and `col`.
pub fn check_cell(row: u32, col: u32, seen: usize) -> Result<(), ReportError> {
    if row >= MAX_ROWS || col >= MAX_COLUMNS {
        return Err(outside(row, col));
    }
    if seen > MAX_CELLS {
        return Err(refuse(format!(
            "trang «{}» có hơn {} ô (giới hạn {} ô)",
            crate::form_sheet::SHEET,
            format_integer(MAX_CELLS as i64),
            format_integer(MAX_CELLS as i64)
        )));
    }
    Ok(())
}

/// The sheet's declared extent (`<dimension ref="A1:D120">`), its last cell 0-based:
/// refused at once when it reaches past the limits, before any cell is read.
pub fn check_dimension(last_row: u32, last_col: u32) -> Result<(), ReportError> {
    if last_row >= MAX_ROWS || last_col >= MAX_COLUMNS {
        return Err(outside(last_row, last_col));
    }
    Ok(())
}

fn outside(row: u32, col: u32) -> ReportError {
    refuse(format!(
        "trang «{}»: ô {} nằm ngoài vùng biểu mẫu (tối đa {} dòng × {} cột)",
        crate::form_sheet::SHEET,
        cell_name(row, col),
        format_integer(i64::from(MAX_ROWS)),
        format_integer(i64::from(MAX_COLUMNS))
    ))
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use zip::write::SimpleFileOptions;

    use super::*;

    /// A zip archive of `parts`, deflated.
    fn archive(parts: &[(&str, &[u8])]) -> Vec<u8> {
        let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, content) in parts {
            writer.start_file(*name, SimpleFileOptions::default()).unwrap();
            writer.write_all(content).unwrap();
        }
        writer.finish().unwrap().into_inner()
    }

    fn u32_at(bytes: &[u8], at: usize) -> usize {
        u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]) as usize
    }

    /// Makes the first part of `zip` claim `size` bytes inflated, in its local header and
    /// in the central directory, as a crafted bomb would.
    fn declare_size(zip: &mut [u8], size: u32) {
        let end = zip.len() - 22;
        assert_eq!(&zip[end..end + 4], b"PK\x05\x06", "no archive comment");
        let directory = u32_at(zip, end + 16);
        assert_eq!(&zip[directory..directory + 4], b"PK\x01\x02");
        zip[directory + 24..directory + 28].copy_from_slice(&size.to_le_bytes());
        let local = u32_at(zip, directory + 42);
        assert_eq!(&zip[local..local + 4], b"PK\x03\x04");
        zip[local + 22..local + 26].copy_from_slice(&size.to_le_bytes());
    }

    fn message(result: Result<(), ReportError>) -> String {
        result.err().map(|e| e.to_string()).unwrap_or_default()
    }

    #[test]
    fn a_small_archive_is_accepted() {
        let zip = archive(&[("a.xml", b"<a/>"), ("b.xml", &[b'x'; 1000])]);
        assert!(check_archive(&zip).is_ok());
    }

    #[test]
    fn a_file_over_the_upload_limit_is_refused_before_it_is_opened() {
        let bytes = vec![0u8; (MAX_WORKBOOK_BYTES + 1) as usize];
        assert_eq!(
            message(check_archive(&bytes)),
            "tệp Excel quá lớn: hơn 5 MB (giới hạn 5 MB)"
        );
    }

    #[test]
    fn a_part_inflating_past_its_limit_is_refused() {
        let xml = vec![b'x'; (MAX_ENTRY_BYTES + 1) as usize];
        let zip = archive(&[("xl/worksheets/sheet1.xml", &xml)]);
        assert!(zip.len() < 100_000, "compresses to {} bytes", zip.len());
        assert_eq!(
            message(check_archive(&zip)),
            "phần «xl/worksheets/sheet1.xml» của tệp Excel quá lớn khi giải nén: hơn 10 MB (giới hạn 10 MB)"
        );
    }

    #[test]
    fn parts_inflating_past_the_total_limit_are_refused() {
        let xml = vec![b'x'; (MAX_ENTRY_BYTES - 1) as usize];
        let zip = archive(&[("a.xml", &xml), ("b.xml", &xml), ("c.xml", &xml)]);
        assert_eq!(
            message(check_archive(&zip)),
            "tệp Excel quá lớn khi giải nén: hơn 20 MB (giới hạn 20 MB)"
        );
    }

    #[test]
    fn a_part_that_lies_about_its_size_is_refused_on_what_it_inflates_to() {
        let xml = vec![b'x'; (MAX_ENTRY_BYTES + MB) as usize];
        let mut zip = archive(&[("xl/worksheets/sheet1.xml", &xml)]);
        declare_size(&mut zip, 1_000);
        // Refused either by the size-limited reader or by the zip reader's own check
        // that a part does not inflate past what it declared; never read to its end.
        let err = message(check_archive(&zip));
        assert!(err.contains("phần «xl/worksheets/sheet1.xml» của tệp Excel"), "{err}");
    }

    #[test]
    fn too_many_parts_are_refused() {
        let names: Vec<String> = (0..=MAX_ENTRIES).map(|i| format!("p{i}.xml")).collect();
        let parts: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &b"<a/>"[..])).collect();
        assert_eq!(
            message(check_archive(&archive(&parts))),
            "tệp Excel có 101 phần (giới hạn 100 phần)"
        );
    }

    #[test]
    fn a_cell_outside_the_form_s_extent_is_named() {
        assert!(check_cell(MAX_ROWS - 1, MAX_COLUMNS - 1, 1).is_ok());
        assert_eq!(
            message(check_cell(1_048_575, 16_383, 2)),
            "trang «Biểu mẫu»: ô XFD1048576 nằm ngoài vùng biểu mẫu (tối đa 2.000 dòng × 50 cột)"
        );
        assert_eq!(
            message(check_dimension(2_000, 0)),
            "trang «Biểu mẫu»: ô A2001 nằm ngoài vùng biểu mẫu (tối đa 2.000 dòng × 50 cột)"
        );
        assert_eq!(
            message(check_cell(0, 0, MAX_CELLS + 1)),
            "trang «Biểu mẫu» có hơn 100.000 ô (giới hạn 100.000 ô)"
        );
    }

    #[test]
    fn cell_names_count_like_excel() {
        assert_eq!(cell_name(0, 0), "A1");
        assert_eq!(cell_name(6, 3), "D7");
        assert_eq!(cell_name(0, 26), "AA1");
        assert_eq!(cell_name(1_048_575, 16_383), "XFD1048576");
        assert_eq!(cell_name(u32::MAX, u32::MAX), "MWLQKWV4294967296");
    }
}
