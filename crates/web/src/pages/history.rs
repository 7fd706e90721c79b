//! Hai cách xem lịch sử — the switch between the two views of history on the cluster and
//! unit pages (the tree as it was in the period, the default; today's tree), as two
//! links that keep the period and the indicator, what the page says of the view it
//! shows, and the units whose split had no weights (their past stays with the old unit).

use thidua_core::lineage::{ChangeKind, Lineage, TreeView};
use thidua_core::period::format_date_vi;
use thidua_core::{UnitCode, UnitTree};

use crate::error::AppError;

/// `?tree=period|current` as the pages and the API read it; empty or absent, the tree as
/// it was.
pub(crate) fn tree_view(raw: Option<&str>) -> Result<TreeView, AppError> {
    TreeView::parse(raw.unwrap_or_default()).ok_or_else(|| {
        AppError::BadRequest("tham số tree là period (tổ chức tại kỳ báo cáo) hoặc current (tổ chức hiện nay)".into())
    })
}

/// The two links and what the page says of the view shown.
pub(crate) struct TreeSwitch {
    /// Whether today's tree is shown.
    pub current: bool,
    /// The view shown, in Vietnamese ("theo tổ chức hiện nay").
    pub label: &'static str,
    /// The same page on the tree as it was.
    pub period_href: String,
    /// The same page on today's tree.
    pub current_href: String,
    /// What to add to the page's other links to keep the view: `&tree=current` or empty.
    pub suffix: &'static str,
    /// The splits without weights among the units shown, when today's tree is.
    pub notes: Vec<String>,
}

impl TreeSwitch {
    /// The switch of the page at `path` (e.g. `/clusters/HN-CUM2`) with its query's other
    /// parameters `params` (codes only: periods and indicators need no escaping), showing
    /// `view`.
    pub(crate) fn new(path: &str, params: &[(&str, String)], view: TreeView) -> TreeSwitch {
        let href = |tree: Option<&str>| {
            let query: Vec<String> = params
                .iter()
                .filter(|(_, v)| !v.is_empty())
                .map(|(k, v)| format!("{k}={v}"))
                .chain(tree.map(|t| format!("tree={t}")))
                .collect();
            if query.is_empty() {
                path.to_owned()
            } else {
                format!("{path}?{}", query.join("&"))
            }
        };
        TreeSwitch {
            current: view == TreeView::Current,
            label: view.label_vi(),
            period_href: href(None),
            current_href: href(Some(TreeView::Current.as_str())),
            suffix: match view {
                TreeView::AsItWas => "",
                TreeView::Current => "&tree=current",
            },
            notes: Vec::new(),
        }
    }

    /// Adds what the page must say of `units` on today's tree: each split among them
    /// that had no weights, whose past stays with the old unit.
    pub(crate) fn with_split_notes(mut self, lineage: &Lineage, tree: &UnitTree, units: &[UnitCode]) -> TreeSwitch {
        if self.current {
            self.notes = unweighted_splits(lineage, tree, units);
        }
        self
    }
}

/// "Quận A chia tách thành phường B và phường C từ ngày 1/7/2025 không có tỷ lệ chia:
/// số liệu trước ngày đó vẫn thuộc quận A, không chia cho các đơn vị mới." — once per
/// such split touching `units`.
pub(crate) fn unweighted_splits(lineage: &Lineage, tree: &UnitTree, units: &[UnitCode]) -> Vec<String> {
    let name = |c: &UnitCode| tree.get(c).map_or_else(|| c.to_string(), |u| u.short_name().to_owned());
    lineage
        .changes()
        .iter()
        .filter(|c| c.kind == ChangeKind::Split && c.to.iter().any(|(_, w)| w.is_none()))
        .filter(|c| c.from.iter().chain(c.to.iter().map(|(t, _)| t)).any(|u| units.contains(u)))
        .map(|c| {
            let old: Vec<String> = c.from.iter().map(name).collect();
            let new: Vec<String> = c.to.iter().map(|(t, _)| name(t)).collect();
            let old = old.join(", ");
            format!(
                "{} chia tách thành {} từ ngày {} không có tỷ lệ chia: số liệu trước ngày đó vẫn thuộc {old}, không chia cho các đơn vị mới.",
                capitalise(&old),
                join_vi(&new),
                format_date_vi(c.effective)
            )
        })
        .collect()
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// "A", "A và B", "A, B và C".
fn join_vi(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} và {last}", init.join(", ")),
    }
}
