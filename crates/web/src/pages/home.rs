//! Trang chủ — the home page: what waits for the signed-in person (their unit's forms
//! with the deadline, forms to decide, ballots, proposals — [`thidua_app::todo`]), then
//! the clusters they may see, each year's card opening that year.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::routing::get;

use crate::AppState;
use crate::auth::{CurrentUser, Me};
use crate::error::AppError;

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/", get(home))
}

struct ClusterItem {
    code: String,
    name: String,
    year: i32,
    /// The period the card's title opens: the current half-year for this year's
    /// cluster, the first half of an earlier year.
    period: String,
    /// The year's other periods to open: (code, label).
    periods: Vec<(String, String)>,
    members: String,
    chair: String,
}

/// One line of the to-do list: what, where it leads, and a note (deadline, reason).
struct Task {
    text: String,
    link: String,
    note: String,
    /// Overdue or returned: shown as needing attention first.
    urgent: bool,
}

/// A group of the to-do list.
struct TaskGroup {
    heading: String,
    tasks: Vec<Task>,
}

#[derive(Template, WebTemplate)]
#[template(path = "home.html")]
struct HomePage {
    title: String,
    query: String,
    me: Option<Me>,
    groups: Vec<TaskGroup>,
    waiting: usize,
    clusters: Vec<ClusterItem>,
}

fn days_note(days_left: i64, deadline: chrono::NaiveDate) -> String {
    let date = thidua_core::period::format_date_vi(deadline);
    match days_left {
        d if d < 0 => format!("đã quá hạn nộp {date} ({} ngày)", -d),
        0 => format!("hạn nộp hôm nay, {date}"),
        d => format!("hạn nộp {date} (còn {d} ngày)"),
    }
}

/// The to-do list as groups of lines, in the order the person acts on them.
fn groups(todo: &thidua_app::todo::ToDo) -> Vec<TaskGroup> {
    use thidua_core::workflow::SubmissionState;
    let mut groups = Vec::new();
    if !todo.own_forms.is_empty() {
        groups.push(TaskGroup {
            heading: "Báo cáo của đơn vị cần gửi".into(),
            tasks: todo
                .own_forms
                .iter()
                .map(|f| {
                    let (what, reason) = match (f.state, &f.return_reason) {
                        (None, _) => ("chưa nhập", String::new()),
                        (Some(SubmissionState::Returned), Some(r)) => ("bị trả lại", format!("Lý do: {r}. ")),
                        (Some(SubmissionState::Returned), None) => ("bị trả lại", String::new()),
                        _ => ("đang soạn, chưa gửi", String::new()),
                    };
                    Task {
                        text: format!("{} — {what}", f.period.label_vi()),
                        link: format!("/units/{}/forms/{}", f.unit, f.period.code()),
                        note: format!(
                            "{reason}{}",
                            crate::error::sentence(&days_note(f.days_left, f.deadline))
                        ),
                        urgent: f.days_left < 0 || f.state == Some(SubmissionState::Returned),
                    }
                })
                .collect(),
        });
    }
    if !todo.to_review.is_empty() {
        groups.push(TaskGroup {
            heading: format!("Biểu mẫu chờ duyệt ({})", todo.to_review.len()),
            tasks: todo
                .to_review
                .iter()
                .map(|f| Task {
                    text: format!("{} — {}", f.unit_name, f.period.label_vi()),
                    link: format!("/units/{}/forms/{}", f.unit, f.period.code()),
                    note: f
                        .submitted_on
                        .map(|d| format!("Gửi ngày {}", thidua_core::period::format_date_vi(d)))
                        .unwrap_or_default(),
                    urgent: false,
                })
                .collect(),
        });
    }
    if !todo.ballots.is_empty() {
        groups.push(TaskGroup {
            heading: "Bỏ phiếu đang mở".into(),
            tasks: todo
                .ballots
                .iter()
                .map(|b| Task {
                    text: format!("{} — {}", b.ballot.spec.title, b.cluster_name),
                    link: format!("/ballots/{}", b.ballot.id),
                    note: match (b.to_vote, b.to_close) {
                        (true, _) => format!("Đơn vị chưa gửi phiếu; đã có {}/{} phiếu", b.voted, b.electorate),
                        (false, _) if b.voted >= b.electorate => {
                            format!("Đủ {}/{} phiếu: có thể kết thúc bỏ phiếu", b.voted, b.electorate)
                        }
                        _ => format!("Đã có {}/{} phiếu", b.voted, b.electorate),
                    },
                    urgent: b.to_vote,
                })
                .collect(),
        });
    }
    if !todo.proposals.is_empty() {
        groups.push(TaskGroup {
            heading: "Đề nghị khen thưởng chờ xử lý".into(),
            tasks: todo
                .proposals
                .iter()
                .map(|p| Task {
                    text: if p.cluster_name.is_empty() {
                        format!("Năm {}", p.year)
                    } else {
                        format!("{} — năm {}", p.cluster_name, p.year)
                    },
                    link: match &p.cluster {
                        Some(c) => format!("/awards?cluster={c}&year={}", p.year),
                        None => "/awards".into(),
                    },
                    note: format!("{} đề nghị chờ thẩm định, trình hoặc quyết định", p.count),
                    urgent: false,
                })
                .collect(),
        });
    }
    groups
}

async fn home(State(state): State<AppState>, user: CurrentUser) -> Result<HomePage, AppError> {
    let caller = state.app.context(user.principal()).await?;
    let todo = thidua_app::todo::for_caller(&state.app, &caller).await?;
    let scope = &caller.directory;
    let access = caller.access();
    let today_half = thidua_core::Period::half_year_of(thidua_app::forms::today());
    let (clusters, tree) = (&scope.clusters, &scope.tree);
    let name_of = |code: &thidua_core::UnitCode| {
        tree.get(code)
            .map_or_else(|| code.to_string(), |u| u.short_name().to_owned())
    };
    let clusters = clusters
        .iter()
        .filter(|c| access.can_view_cluster(c))
        .map(|c| {
            let mut members: Vec<String> = c.members.iter().map(name_of).collect();
            state.collator.sort_by_key(&mut members, |m| m.as_str());
            let halves: Vec<thidua_core::Period> = [1, 2]
                .into_iter()
                .map(|h| thidua_core::Period::HalfYear(c.year, h))
                .filter(|p| p.start() <= today_half.start())
                .collect();
            let period = if today_half.year() == c.year {
                today_half
            } else {
                thidua_core::Period::HalfYear(c.year, 1)
            };
            // Every period of the year is named, the one the title opens included: a
            // card that left it out read as if the year had no such half.
            let mut periods: Vec<(String, String)> = halves.iter().map(|p| (p.code(), p.label_vi())).collect();
            if today_half.year() > c.year {
                periods.push((c.year.to_string(), format!("Cả năm {}", c.year)));
            }
            ClusterItem {
                code: c.code.to_string(),
                name: c.name.clone(),
                year: c.year,
                period: period.code(),
                periods,
                members: members.join(", "),
                chair: c.chair.as_ref().map(name_of).unwrap_or_default(),
            }
        })
        .collect();
    Ok(HomePage {
        title: "Các cụm thi đua".into(),
        query: String::new(),
        me: Some(user.me()),
        waiting: todo.len(),
        groups: groups(&todo),
        clusters,
    })
}
