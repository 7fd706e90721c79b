//! Người ký văn bản — who signs a cluster's documents in a year, recorded once and printed
//! on each of them: the review (báo cáo sơ kết / tổng kết) and the pledge (giao ước thi
//! đua) are signed by the cluster's signer under an authority line ("TM. BAN THƯỜNG
//! TRỰC", "KT. CHỦ TỊCH") and a title ("CHỦ TỊCH", "PHÓ CHỦ TỊCH"), as Nghị định
//! 30/2020/NĐ-CP lays the signature block out; the record of the vote count (biên bản
//! kiểm phiếu) by the secretary (thư ký) and the head of the counting committee (tổ
//! trưởng tổ kiểm phiếu).

use serde::{Deserialize, Serialize};

use crate::code::ClusterCode;
use crate::error::Error;
use crate::text::nfc;

/// The longest line of a signature block accepted (a title with its body's name fits
/// well under it).
pub const MAX_LINE: usize = 200;

/// The words that may open the authority line (Nghị định 30/2020, Điều 13): thay mặt,
/// ký thay, quyền, thừa lệnh, thừa ủy quyền.
pub const AUTHORITY_WORDS: [&str; 5] = ["TM.", "KT.", "Q.", "TL.", "TUQ."];

/// Một người ký — one person who signs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signer {
    /// Dòng thẩm quyền — "TM. BAN THƯỜNG TRỰC", "KT. CHỦ TỊCH"; empty when the person
    /// signs in their own right.
    #[serde(default)]
    pub authority: String,
    /// Chức vụ — "CHỦ TỊCH", "CỤM TRƯỞNG".
    #[serde(default)]
    pub title: String,
    /// Họ và tên — "Nguyễn Văn A".
    #[serde(default)]
    pub name: String,
}

impl Signer {
    /// Whether nothing about the person is recorded.
    pub fn is_empty(&self) -> bool {
        self.authority.is_empty() && self.title.is_empty() && self.name.is_empty()
    }
}

/// Người ký văn bản của cụm — a cluster's signers in a year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signers {
    /// The cluster.
    pub cluster: ClusterCode,
    /// The year.
    pub year: i32,
    /// Who signs the review and the pledge for the cluster.
    pub chair: Signer,
    /// Thư ký — the secretary, who signs the record of the count.
    #[serde(default)]
    pub secretary: String,
    /// Tổ trưởng tổ kiểm phiếu — the head of the counting committee, who signs the
    /// record of the count beside the secretary.
    #[serde(default)]
    pub teller: String,
}

fn line(field: &'static str, raw: &str) -> Result<String, Error> {
    let text = nfc(raw);
    if text.chars().count() > MAX_LINE {
        return Err(Error::InvalidField {
            field,
            value: text.chars().take(40).collect::<String>() + "…",
            expected: "tối đa 200 ký tự",
        });
    }
    Ok(text)
}

impl Signers {
    /// The signers as typed, checked: text NFC and trimmed, each line at most
    /// [`MAX_LINE`] characters, the authority line opening with one of
    /// [`AUTHORITY_WORDS`] (written in capitals, as printed), and a name that has a title
    /// to sign under.
    pub fn validated(self) -> Result<Signers, Error> {
        let authority = line("dòng thẩm quyền ký", &self.chair.authority)?.to_uppercase();
        if !authority.is_empty()
            && !AUTHORITY_WORDS
                .iter()
                .any(|w| authority.strip_prefix(w).is_some_and(|rest| rest.starts_with(' ')))
        {
            return Err(Error::InvalidField {
                field: "dòng thẩm quyền ký",
                value: authority,
                expected: "bắt đầu bằng TM., KT., Q., TL. hoặc TUQ. rồi tên tập thể hoặc chức vụ (ví dụ «TM. BAN THƯỜNG TRỰC»), hoặc để trống",
            });
        }
        let chair = Signer {
            authority,
            title: line("chức vụ người ký", &self.chair.title)?.to_uppercase(),
            name: line("họ tên người ký", &self.chair.name)?,
        };
        if !chair.name.is_empty() && chair.title.is_empty() {
            return Err(Error::InvalidField {
                field: "chức vụ người ký",
                value: String::new(),
                expected: "chức vụ của người ký (ví dụ «CHỦ TỊCH»)",
            });
        }
        Ok(Signers {
            cluster: self.cluster,
            year: self.year,
            chair,
            secretary: line("họ tên thư ký", &self.secretary)?,
            teller: line("họ tên tổ trưởng tổ kiểm phiếu", &self.teller)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signers(authority: &str, title: &str, name: &str) -> Signers {
        Signers {
            cluster: ClusterCode::parse("HN-CUM2").unwrap_or_else(|e| panic!("{e}")),
            year: 2022,
            chair: Signer {
                authority: authority.into(),
                title: title.into(),
                name: name.into(),
            },
            secretary: " Lê Thị  Hoa ".into(),
            teller: String::new(),
        }
    }

    #[test]
    fn the_authority_and_title_are_kept_in_capitals_and_the_names_trimmed() {
        let s = signers("tm. Ban Thường trực", "Chủ tịch", "Nguyễn Văn An")
            .validated()
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.chair.authority, "TM. BAN THƯỜNG TRỰC");
        assert_eq!(s.chair.title, "CHỦ TỊCH");
        assert_eq!(s.chair.name, "Nguyễn Văn An");
        assert_eq!(s.secretary, "Lê Thị Hoa");
    }

    #[test]
    fn an_authority_line_without_tm_or_kt_is_refused_by_name() {
        let err = signers("Ban Thường trực", "Chủ tịch", "Nguyễn Văn An")
            .validated()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("dòng thẩm quyền ký"), "{err}");
        assert!(signers("", "CHỦ TỊCH", "Nguyễn Văn An").validated().is_ok());
        assert!(signers("KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH", "Trần B").validated().is_ok());
    }

    #[test]
    fn a_name_without_a_title_is_refused() {
        let err = signers("TM. BAN THƯỜNG TRỰC", "", "Nguyễn Văn An").validated().err();
        assert!(err.is_some_and(|e| e.to_string().contains("chức vụ người ký")));
    }
}
