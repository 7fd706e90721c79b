//! Tệp TOML — reading the files people write by hand (criteria, awards, conference
//! records): a mistake is told in Vietnamese with its line and column, whatever the
//! TOML reader's own English says, so the CLI and the browser show the same message.

use serde::de::DeserializeOwned;

use crate::error::Error;

/// Reads `text` as the file `what` ("tệp bảng tiêu chí"), whose example is `example`.
pub fn parse<T: DeserializeOwned>(what: &'static str, example: &'static str, text: &str) -> Result<T, Error> {
    toml::from_str(text).map_err(|e| Error::BadFile {
        what,
        message: describe(text, &e, example),
    })
}

/// "ở dòng 6, cột 9: sai kiểu giá trị: cần một số, nhưng tệp ghi chuỗi \"một trăm\"".
fn describe(text: &str, e: &toml::de::Error, example: &str) -> String {
    let position = e.span().map(|span| {
        let before = text.get(..span.start).unwrap_or(text);
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
        (line, column)
    });
    let reason = reason_vi(e.message().trim(), example);
    match position {
        Some((line, column)) => format!("ở dòng {line}, cột {column}: {reason}"),
        None => format!(": {reason}"),
    }
}

/// The quoted name in "missing field `scale`".
fn quoted(text: &str) -> String {
    text.split('`')
        .nth(1)
        .map_or_else(|| text.to_owned(), ToOwned::to_owned)
}

/// What a serde type name means to a person writing the file.
fn kind_vi(t: &str) -> String {
    match t.trim() {
        "f64" | "f32" | "i32" | "i64" | "u32" | "u64" | "a number" | "an integer" | "a float" => "một số".into(),
        "a string" | "a String" | "string" => "một chuỗi chữ trong ngoặc kép".into(),
        "a sequence" | "an array" => "một danh sách [ … ]".into(),
        t if t.starts_with("struct ") || t == "a map" || t == "a table" => "một bảng (table)".into(),
        other => other.replace("string", "chuỗi").replace("integer", "số nguyên"),
    }
}

fn reason_vi(reason: &str, example: &str) -> String {
    if let Some(field) = reason.strip_prefix("missing field ") {
        format!("thiếu trường «{}»", quoted(field))
    } else if let Some(rest) = reason.strip_prefix("unknown field ") {
        format!("trường «{}» không có trong mẫu tệp (xem {example})", quoted(rest))
    } else if let Some(rest) = reason.strip_prefix("duplicate key ") {
        format!("khóa «{}» được ghi hai lần", quoted(rest))
    } else if let Some(rest) = reason.strip_prefix("invalid type: ") {
        match rest.split_once(", expected ") {
            Some((found, expected)) => format!(
                "sai kiểu giá trị: cần {}, nhưng tệp ghi {}",
                kind_vi(expected),
                found
                    .replace("string", "chuỗi")
                    .replace("integer", "số nguyên")
                    .replace("floating point", "số thập phân")
                    .replace("sequence", "danh sách")
            ),
            None => format!("sai kiểu giá trị ({rest})"),
        }
    } else {
        format!("sai cú pháp TOML ({reason})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Sample {
        name: String,
        scale: f64,
    }

    fn message(text: &str) -> String {
        match parse::<Sample>("tệp bảng tiêu chí", "data/demo/criteria-2022.toml", text) {
            Err(e) => e.to_string(),
            Ok(s) => panic!("{s:?} was read"),
        }
    }

    #[test]
    fn a_wrong_type_is_told_in_vietnamese_with_its_line_and_column() {
        let said = message("name = \"x\"\n\n\n\n\nscale = \"một trăm\"\n");
        assert_eq!(
            said,
            "tệp bảng tiêu chí chưa đúng ở dòng 6, cột 9: sai kiểu giá trị: cần một số, nhưng tệp ghi chuỗi \"một trăm\". Chưa có gì được lưu."
        );
    }

    #[test]
    fn a_missing_field_and_a_broken_line_are_named() {
        assert!(
            message("name = \"x\"\n").contains("thiếu trường «scale»"),
            "{}",
            message("name = \"x\"\n")
        );
        let broken = message("name = \"x\"\nscale = [\n");
        assert!(
            broken.contains("dòng 2") && broken.contains("sai cú pháp TOML"),
            "{broken}"
        );
    }
}
