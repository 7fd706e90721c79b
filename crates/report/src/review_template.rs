//! Mẫu báo cáo theo từng phần — the review template as its editor shows it: the shipped
//! template's named parts (minijinja blocks), a cluster's template as the parts it
//! rewrites, and the fields a template can use, read off the very context a rendering
//! gets, so the list cannot drift from what the template sees.
//!
//! A template written by parts is a child of the shipped one — `{% extends
//! "mau-mac-dinh" %}` and the blocks it rewrites — so the parts a cluster leaves alone
//! follow the shipped template, improvements included. A template written whole (every
//! template saved before parts existed, or one its author prefers whole) renders as it
//! always did and is edited whole.

use std::collections::BTreeMap;

use thidua_core::number::format_integer;
use thidua_core::text::Collator;

use crate::review::{DEFAULT_TEMPLATE, ReviewInput, template_context};

/// The name the shipped template is known by to a cluster's template that extends it.
pub const BASE_NAME: &str = "mau-mac-dinh";

/// The first line of a template written by parts.
const EXTENDS: &str = "{% extends \"mau-mac-dinh\" %}";

/// Một phần của mẫu — one named part of the review, as the editor labels it.
#[derive(Debug, PartialEq, Eq)]
pub struct Part {
    /// The block's name in the template.
    pub name: &'static str,
    /// What the editor calls it.
    pub label: &'static str,
    /// What it writes.
    pub help: &'static str,
}

/// The parts of the review, in the order they are written.
pub const PARTS: &[Part] = &[
    Part {
        name: "heading",
        label: "Tiêu đề",
        help: "Hai dòng đầu: tên cụm và cơ quan ban hành, tên báo cáo.",
    },
    Part {
        name: "opening",
        label: "Mở đầu",
        help: "Thời gian, địa điểm hội nghị và người dự; khi chưa có biên bản hội nghị, câu giới thiệu cụm.",
    },
    Part {
        name: "theme",
        label: "Chủ đề năm",
        help: "Câu về chủ đề năm công tác, khi biên bản hội nghị có chủ đề.",
    },
    Part {
        name: "incomplete",
        label: "Khi chưa đủ báo cáo",
        help: "Bao nhiêu thành viên đã gửi báo cáo, khi còn thành viên chưa gửi.",
    },
    Part {
        name: "results",
        label: "Kết quả theo nhóm chỉ tiêu",
        help: "Một đoạn cho mỗi nhóm chỉ tiêu có số liệu, và các đơn vị dẫn đầu.",
    },
    Part {
        name: "directions",
        label: "Phương hướng",
        help: "Ý kiến chỉ đạo tại hội nghị và phương hướng kỳ tới, đánh số.",
    },
    Part {
        name: "closing",
        label: "Kết thúc",
        help: "Dòng cuối: đơn vị viết tin.",
    },
];

/// One part of a cluster's template, as the editor shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartText {
    /// Which part.
    pub part: &'static Part,
    /// Its text: the cluster's own, else the shipped one.
    pub text: String,
    /// Whether the cluster rewrote it.
    pub rewritten: bool,
}

/// A part that cannot be put into a template, said in the editor beside it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Phần «{label}»: {reason}")]
pub struct PartMistake {
    /// The part's block name.
    pub part: String,
    /// The part's label.
    pub label: String,
    /// Why.
    pub reason: String,
}

/// The text of a shipped part.
pub fn shipped_part(name: &str) -> Option<&'static str> {
    let (_, blocks) = blocks(DEFAULT_TEMPLATE)?;
    blocks.into_iter().find(|(n, _)| *n == name).map(|(_, text)| text)
}

/// The template's parts when it is the shipped one or written by parts; `None` for a
/// template written whole, which the editor shows whole.
pub fn parts_of(template: &str) -> Option<Vec<PartText>> {
    let template = template.replace("\r\n", "\n");
    let own: Vec<(&str, &str)> = if template == DEFAULT_TEMPLATE {
        Vec::new()
    } else {
        let (prefix, blocks) = blocks(&template)?;
        if prefix.trim() != EXTENDS {
            return None;
        }
        blocks
    };
    let mut seen = Vec::new();
    for (name, _) in &own {
        if seen.contains(name) || !PARTS.iter().any(|p| p.name == *name) {
            return None;
        }
        seen.push(*name);
    }
    PARTS
        .iter()
        .map(|part| {
            let shipped = shipped_part(part.name)?;
            Some(match own.iter().find(|(n, _)| *n == part.name) {
                Some((_, text)) => PartText {
                    part,
                    text: (*text).to_owned(),
                    rewritten: canonical(text) != canonical(shipped),
                },
                None => PartText {
                    part,
                    text: shipped.to_owned(),
                    rewritten: false,
                },
            })
        })
        .collect()
}

/// A template written by parts from the editor's texts (block name, text): the parts
/// that differ from the shipped ones, in the review's order; a part left as shipped is
/// not written, so it follows the shipped template. A text cannot open, close or extend
/// a block itself — each part is one already.
pub fn compose(texts: &[(&str, &str)]) -> Result<String, Vec<PartMistake>> {
    let mut mistakes = Vec::new();
    let mut rewritten = BTreeMap::new();
    for (name, text) in texts {
        let Some(index) = PARTS.iter().position(|p| p.name == *name) else {
            mistakes.push(PartMistake {
                part: (*name).to_owned(),
                label: (*name).to_owned(),
                reason: "mẫu không có phần này".into(),
            });
            continue;
        };
        let part = &PARTS[index];
        let text = canonical(text);
        if let Some(tag) = structural_tag(&text) {
            mistakes.push(PartMistake {
                part: part.name.into(),
                label: part.label.into(),
                reason: format!("không được có thẻ {{% {tag} %}} — mỗi phần đã là một khối của mẫu; hãy bỏ thẻ đó"),
            });
            continue;
        }
        if shipped_part(part.name).map(canonical) != Some(text.clone()) {
            rewritten.insert(index, text);
        }
    }
    if !mistakes.is_empty() {
        return Err(mistakes);
    }
    let mut out = String::from(EXTENDS);
    for (index, text) in rewritten {
        out.push_str(&format!(
            "\n\n{{% block {} %}}\n{text}\n{{% endblock %}}",
            PARTS[index].name
        ));
    }
    out.push('\n');
    Ok(out)
}

/// Which part of a template written by parts holds its `line` (1-based), and the line
/// within that part: a rendering's mistake is said beside the part it is in.
pub fn part_at_line(composed: &str, line: usize) -> Option<(&'static Part, usize)> {
    let mut current: Option<(&'static Part, usize)> = None;
    for (index, text) in composed.lines().enumerate() {
        let number = index + 1;
        if let Some(name) = text.strip_prefix("{% block ").and_then(|t| t.strip_suffix(" %}")) {
            current = PARTS.iter().find(|p| p.name == name).map(|p| (p, number));
            continue;
        }
        if text == "{% endblock %}" {
            current = None;
            continue;
        }
        if number == line {
            return current.map(|(part, opened)| (part, number - opened));
        }
    }
    None
}

/// A part's text as compared and stored: Windows line ends made plain, the blank lines
/// around it dropped (a browser's textarea drops a leading newline anyway).
fn canonical(text: &str) -> String {
    text.replace("\r\n", "\n").trim_matches('\n').to_owned()
}

/// The first tag in `text` that would open, close or extend a block: `{% block`,
/// `{%- endblock`, `{%+ extends`, … Read as minijinja's lexer reads a tag's start, so no
/// spelling slips past; a tag inside a comment or a string is refused too, which costs
/// nothing.
fn structural_tag(text: &str) -> Option<&'static str> {
    let mut rest = text;
    while let Some(at) = rest.find("{%") {
        rest = &rest[at + 2..];
        let word: String = rest
            .trim_start_matches(['-', '+'])
            .trim_start()
            .chars()
            .take_while(char::is_ascii_alphabetic)
            .collect();
        for tag in ["block", "endblock", "extends"] {
            if word == tag {
                return Some(tag);
            }
        }
    }
    None
}

/// The blocks of a template laid out as the shipped one and [`compose`] lay them out:
/// what comes before the first block, then each `{% block name %}\n…\n{% endblock %}`
/// with only blank space between. `None` when the template is laid out otherwise.
fn blocks(template: &str) -> Option<(&str, Vec<(&str, &str)>)> {
    const OPEN: &str = "{% block ";
    const CLOSE: &str = "\n{% endblock %}";
    let first = template.find(OPEN)?;
    let prefix = &template[..first];
    let mut rest = &template[first..];
    let mut found = Vec::new();
    while !rest.trim().is_empty() {
        let after = rest.trim_start().strip_prefix(OPEN)?;
        let (name, body) = after.split_once(" %}\n")?;
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
            return None;
        }
        let end = body.find(CLOSE)?;
        found.push((name, &body[..end]));
        rest = &body[end + CLOSE.len()..];
    }
    Some((prefix, found))
}

/// Một trường của mẫu — a variable a template can use, what it means, and its value in
/// the review being previewed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// Its path: `cluster.name`, `groups[].indicators[].spoken`.
    pub path: String,
    /// What it is.
    pub meaning: &'static str,
    /// Its value in the previewed review, shortened.
    pub example: String,
}

/// What each field of the context means, in the order the editor lists them. A unit
/// test walks the context and checks both ways that every field has its line here.
const MEANINGS: &[(&str, &str)] = &[
    ("cluster.name", "Tên cụm"),
    ("cluster.code", "Mã cụm"),
    ("cluster.year", "Năm của cụm"),
    ("issuer", "Cơ quan ban hành báo cáo"),
    ("period.code", "Mã kỳ báo cáo"),
    ("period.label", "Tên kỳ báo cáo"),
    ("period.short", "Tên kỳ ngắn gọn, dùng giữa câu"),
    ("period.next_label", "Kỳ tới, viết thường"),
    (
        "previous_label",
        "Kỳ trước, viết thường; trống khi cụm không có số liệu kỳ trước",
    ),
    (
        "members[]",
        "Tên ngắn các thành viên của cụm, theo thứ tự chữ cái tiếng Việt",
    ),
    ("reporting.sent", "Số thành viên đã gửi báo cáo"),
    ("reporting.expected", "Số thành viên của cụm"),
    ("reporting.complete", "Mọi thành viên đã gửi báo cáo hay chưa"),
    ("reporting.missing[]", "Các thành viên chưa gửi báo cáo"),
    (
        "reporting.subject",
        "«toàn cụm», hoặc «các thành viên đã gửi báo cáo» khi chưa đủ",
    ),
    ("groups[]", "Các nhóm chỉ tiêu có số liệu"),
    ("groups[].name", "Tên nhóm"),
    ("groups[].name_lower", "Tên nhóm, chữ đầu viết thường"),
    ("groups[].clauses[]", "Các vế câu về nhóm, đã viết sẵn từ số liệu"),
    ("groups[].indicators[]", "Các chỉ tiêu của nhóm có số liệu"),
    ("groups[].indicators[].code", "Mã chỉ tiêu"),
    ("groups[].indicators[].name", "Tên chỉ tiêu"),
    ("groups[].indicators[].name_lower", "Tên chỉ tiêu, chữ đầu viết thường"),
    ("groups[].indicators[].measure", "Đơn vị tính"),
    (
        "groups[].indicators[].value_type",
        "Kiểu số: integer, decimal, money, percent…",
    ),
    (
        "groups[].indicators[].spoken",
        "Số liệu viết như trong câu: «1.084 cuộc», «1,2 tỷ đồng»",
    ),
    (
        "groups[].indicators[].change",
        "So với kỳ trước; trống khi không có kỳ trước",
    ),
    ("groups[].indicators[].phrase", "Cả vế câu: tên chỉ tiêu và số liệu"),
    ("conference", "Biên bản hội nghị; trống khi kỳ này chưa có hội nghị"),
    (
        "conference.kind_label",
        "Loại hội nghị: «hội nghị sơ kết», «hội nghị tổng kết»",
    ),
    ("conference.kind_title", "Loại hội nghị, không có chữ «hội nghị»"),
    ("conference.time_of_day", "Buổi: Sáng, Chiều"),
    ("conference.date", "Ngày hội nghị, đầy đủ"),
    ("conference.date_short", "Ngày hội nghị, ngắn: 25/7"),
    ("conference.place", "Nơi họp"),
    ("conference.theme", "Chủ đề năm công tác"),
    ("conference.attendees[]", "Đại biểu dự hội nghị"),
    ("conference.attendees[].name", "Họ tên đại biểu"),
    ("conference.attendees[].title", "Chức vụ đại biểu"),
    ("conference.directions[]", "Phương hướng, nhiệm vụ kỳ tới"),
    ("conference.directions[].text", "Nội dung một nhiệm vụ"),
    (
        "conference.directions[].done_on",
        "Ngày nhiệm vụ được đánh dấu đã xong; trống khi chưa",
    ),
    ("conference.author", "Đơn vị viết tin"),
];

/// The functions a template can call, beside minijinja's filters.
pub const FUNCTIONS: &[(&str, &str)] = &[
    (
        "leaders(mã_chỉ_tiêu, ngưỡng)",
        "Tên các thành viên đạt từ ngưỡng trở lên ở chỉ tiêu đó, theo thứ tự chữ cái tiếng Việt",
    ),
    ("range(đầu, cuối)", "Dãy số nguyên, tối đa 10.000 số"),
];

/// The fields a template can use, with their values in the review of `input`: the
/// context [`crate::review::render_review`] renders with, walked.
pub fn fields(input: &ReviewInput<'_>) -> Vec<Field> {
    let mut seen = BTreeMap::new();
    walk(&template_context(input, &Collator::new()), "", &mut seen);
    let mut listed: Vec<Field> = MEANINGS
        .iter()
        .map(|(path, meaning)| Field {
            path: (*path).to_owned(),
            meaning,
            example: seen
                .remove(*path)
                .unwrap_or_else(|| "(không có trong kỳ này)".to_owned()),
        })
        .collect();
    // A field without its line here still shows (a unit test keeps this empty).
    listed.extend(seen.into_iter().map(|(path, example)| Field {
        path,
        meaning: "",
        example,
    }));
    listed
}

/// Records every leaf and list under `path` with the first value seen.
fn walk(value: &serde_json::Value, path: &str, seen: &mut BTreeMap<String, String>) {
    use serde_json::Value;
    let join = |key: &str| {
        if path.is_empty() {
            key.to_owned()
        } else {
            format!("{path}.{key}")
        }
    };
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                walk(child, &join(key), seen);
            }
        }
        Value::Array(items) => {
            let list = format!("{path}[]");
            seen.entry(list.clone())
                .or_insert_with(|| format!("{} mục", format_integer(items.len() as i64)));
            for item in items {
                walk(item, &list, seen);
            }
        }
        leaf => {
            seen.entry(path.to_owned()).or_insert_with(|| example(leaf));
        }
    }
}

/// A value as the field list shows it: text quoted and cut at 60 characters.
fn example(value: &serde_json::Value) -> String {
    use serde_json::Value;
    match value {
        Value::Null => "(trống)".into(),
        Value::Bool(true) => "có".into(),
        Value::Bool(false) => "không".into(),
        Value::Number(n) => n.as_i64().map_or_else(|| n.to_string(), format_integer),
        Value::String(s) if s.is_empty() => "(trống)".into(),
        Value::String(s) if s.chars().count() > 60 => {
            format!("“{}…”", s.chars().take(60).collect::<String>())
        }
        Value::String(s) => format!("“{s}”"),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::review::tests::{demo_input_parts, rollup_of};
    use crate::review::{ReviewInput, render_review};

    #[test]
    fn the_shipped_template_is_read_as_its_seven_parts_none_rewritten() {
        let parts = parts_of(DEFAULT_TEMPLATE).unwrap_or_else(|| panic!("the shipped template has parts"));
        let names: Vec<&str> = parts.iter().map(|p| p.part.name).collect();
        assert_eq!(names, PARTS.iter().map(|p| p.name).collect::<Vec<_>>());
        assert!(parts.iter().all(|p| !p.rewritten && !p.text.is_empty()));
    }

    #[test]
    fn a_template_composed_of_unchanged_parts_writes_the_same_review_as_the_shipped_one() {
        let texts: Vec<(&str, &str)> = PARTS
            .iter()
            .map(|p| (p.name, shipped_part(p.name).unwrap_or_default()))
            .collect();
        let composed = compose(&texts).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(composed, format!("{EXTENDS}\n"), "nothing rewritten, nothing written");
        let (rollup, catalog, conference) = demo_input_parts();
        let input = ReviewInput {
            rollup: &rollup,
            catalog: &catalog,
            conference: Some(&conference),
            issuer: "",
            previous: None,
            signers: None,
        };
        assert_eq!(
            render_review(&input, &composed).unwrap_or_else(|e| panic!("{e}")),
            render_review(&input, DEFAULT_TEMPLATE).unwrap_or_else(|e| panic!("{e}"))
        );
    }

    #[test]
    fn a_rewritten_part_replaces_its_block_only_and_is_read_back_as_rewritten() {
        let closing = "Cụm thi đua số 2 trân trọng báo cáo.\r\n";
        let composed = compose(&[
            ("closing", closing),
            ("heading", shipped_part("heading").unwrap_or_default()),
        ])
        .unwrap_or_else(|e| panic!("{e:?}"));
        let (rollup, catalog, conference) = demo_input_parts();
        let input = ReviewInput {
            rollup: &rollup,
            catalog: &catalog,
            conference: Some(&conference),
            issuer: "",
            previous: None,
            signers: None,
        };
        let text = render_review(&input, &composed).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            text.trim_end().ends_with("Cụm thi đua số 2 trân trọng báo cáo."),
            "{text}"
        );
        assert!(
            !text.contains("Ủy ban MTTQ quận Hà Đông\n"),
            "the shipped closing is replaced: {text}"
        );
        assert!(text.contains("1.084"), "the other parts are the shipped ones: {text}");

        let parts = parts_of(&composed).unwrap_or_else(|| panic!("composed by parts: {composed}"));
        let rewritten: Vec<&str> = parts.iter().filter(|p| p.rewritten).map(|p| p.part.name).collect();
        assert_eq!(rewritten, ["closing"]);
        assert_eq!(parts[PARTS.len() - 1].text, "Cụm thi đua số 2 trân trọng báo cáo.");
    }

    #[test]
    fn a_part_cannot_close_its_block_or_open_another_however_the_tag_is_spelt() {
        for text in [
            "x{% endblock %}{% block heading %}y",
            "{%- endblock -%}",
            "{%+   block heading %}",
            "{% extends \"mau-mac-dinh\" %}",
        ] {
            let mistakes = compose(&[("opening", text)]).expect_err(text);
            assert_eq!(mistakes.len(), 1, "{text}");
            assert!(
                mistakes[0].to_string().starts_with("Phần «Mở đầu»: không được có thẻ"),
                "{}",
                mistakes[0]
            );
        }
        let mistakes = compose(&[("footer", "x")]).expect_err("no such part");
        assert_eq!(mistakes[0].reason, "mẫu không có phần này");
    }

    #[test]
    fn a_mistake_s_line_is_found_in_its_part() {
        let composed = compose(&[("opening", "một\nhai {{ x"), ("closing", "ba")]).unwrap_or_else(|e| panic!("{e:?}"));
        let (part, line) = part_at_line(&composed, 5).unwrap_or_else(|| panic!("{composed}"));
        assert_eq!((part.name, line), ("opening", 2));
        assert_eq!(part_at_line(&composed, 1), None, "the extends line is no part's");
    }

    #[test]
    fn a_template_that_includes_or_extends_itself_is_refused_not_a_crash() {
        let (rollup, catalog, conference) = demo_input_parts();
        let input = ReviewInput {
            rollup: &rollup,
            catalog: &catalog,
            conference: Some(&conference),
            issuer: "",
            previous: None,
            signers: None,
        };
        for template in [
            "{% include \"review\" %}",
            "{% extends \"review\" %}",
            "{% import \"review\" as r %}{{ r }}",
            "{% extends \"mau-mac-dinh\" %}{% block heading %}{% include \"review\" %}{% endblock %}",
        ] {
            assert!(render_review(&input, template).is_err(), "{template}");
        }
    }

    #[test]
    fn a_template_written_whole_is_edited_whole() {
        assert_eq!(parts_of("{{ cluster.name }} báo cáo"), None);
        assert_eq!(
            parts_of(&format!("{EXTENDS}\n\n{{% block footer %}}\nx\n{{% endblock %}}\n")),
            None,
            "a part the editor does not know"
        );
        assert_eq!(
            parts_of(&format!(
                "{EXTENDS}\nchữ ngoài khối\n{{% block closing %}}\nx\n{{% endblock %}}\n"
            )),
            None,
            "text between blocks"
        );
    }

    #[test]
    fn every_field_the_template_sees_is_listed_with_its_meaning_and_every_listed_field_exists() {
        let (rollup, catalog, conference) = demo_input_parts();
        let mut walked = BTreeMap::new();
        for conference in [Some(&conference), None] {
            let input = ReviewInput {
                rollup: &rollup,
                catalog: &catalog,
                conference,
                issuer: "",
                previous: None,
                signers: None,
            };
            walk(&template_context(&input, &Collator::new()), "", &mut walked);
        }
        let listed: Vec<&str> = MEANINGS.iter().map(|(p, _)| *p).collect();
        let unlisted: Vec<&String> = walked.keys().filter(|p| !listed.contains(&p.as_str())).collect();
        assert!(unlisted.is_empty(), "fields without a meaning: {unlisted:?}");
        let absent: Vec<&&str> = listed.iter().filter(|p| !walked.contains_key(**p)).collect();
        assert!(
            absent.is_empty(),
            "meanings of fields the template never sees: {absent:?}"
        );
    }

    #[test]
    fn the_field_list_shows_the_previewed_review_s_values() {
        let (rollup, catalog) = rollup_of(&["HN-HADONG", "HN-TAYHO"]);
        let input = ReviewInput {
            rollup: &rollup,
            catalog: &catalog,
            conference: None,
            issuer: "",
            previous: None,
            signers: None,
        };
        let fields = fields(&input);
        let value = |path: &str| {
            fields
                .iter()
                .find(|f| f.path == path)
                .map(|f| f.example.clone())
                .unwrap_or_default()
        };
        assert_eq!(value("reporting.sent"), "2");
        assert_eq!(value("reporting.complete"), "không");
        assert_eq!(value("conference"), "(trống)");
        assert_eq!(value("conference.place"), "(không có trong kỳ này)");
        assert_eq!(value("period.code"), "“2022S1”");
        assert!(fields.iter().all(|f| !f.meaning.is_empty()));
    }
}
