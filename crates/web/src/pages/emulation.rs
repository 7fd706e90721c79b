//! Thi đua – khen thưởng — the year's emulation work of a cluster on one page: the steps
//! in order (criteria, pledge, scoring, vote, awards), with links to each, and the
//! helpers the pages of those steps share (the cluster of a year, checked for access).

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::routing::get;
use thidua_core::emulation::ProposalState;
use thidua_core::emulation::ballot::BallotState;
use thidua_core::period::format_date_vi;
use thidua_core::{Cluster, UnitCode};
use thidua_store::{ProposalFilter, StoreError};

use crate::AppState;
use crate::auth::{CurrentUser, Me, Scope};
use crate::error::AppError;

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/clusters/{code}/emulation", get(hub))
}

/// `?year=2022` — the emulation year; the year of the cluster's latest figures when absent.
#[derive(Debug, serde::Deserialize)]
pub(crate) struct YearQuery {
    pub year: Option<i32>,
}

/// The cluster `code` in `year` (see [`YearQuery`] when `None`), after checking that the
/// user may see it; with the tree and clusters the check loaded, for further checks.
pub(crate) async fn cluster_of_year(
    state: &AppState,
    user: &CurrentUser,
    code: &str,
    year: Option<i32>,
) -> Result<(Cluster, Scope), AppError> {
    // Without a year, the year of the cluster's latest figures, as its page does; the
    // access check comes first, so the years are named only to who may see them.
    let year = year.map(|y| y.to_string());
    let (cluster, _, _, scope) = super::cluster::visible_cluster(state, user, code, year.as_deref()).await?;
    Ok((cluster, scope))
}

/// Form values posted as a list of pairs, so that checkboxes can repeat a name.
pub(crate) struct Fields(pub Vec<(String, String)>);

impl Fields {
    /// The first value of `name`, trimmed; empty when absent.
    pub(crate) fn get(&self, name: &str) -> String {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    }

    /// Every value of `name` (a group of checkboxes), trimmed.
    pub(crate) fn all(&self, name: &str) -> impl Iterator<Item = &str> {
        self.0.iter().filter(move |(k, _)| k == name).map(|(_, v)| v.trim())
    }

    /// Whether `name` was sent with a value (a ticked checkbox).
    pub(crate) fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(k, v)| k == name && !v.is_empty())
    }
}

/// The name of the body that issues `cluster`'s documents, or empty when unknown.
pub(crate) fn issuer_name(scope: &Scope, cluster: &Cluster) -> String {
    cluster
        .issuing_body(&scope.tree)
        .map(|u| u.name.clone())
        .unwrap_or_default()
}

/// Where `cluster` meets, as a document's place line says it ("Hà Đông"): its host
/// unit, else its chair unit, without "quận ".
pub(crate) fn meeting_place(scope: &Scope, cluster: &Cluster) -> String {
    cluster
        .host
        .as_ref()
        .or(cluster.chair.as_ref())
        .map(|u| unit_name(scope, u).trim_start_matches("quận ").to_owned())
        .unwrap_or_default()
}

/// A unit's short name ("quận Hà Đông"), or its code when it is unknown.
pub(crate) fn unit_name(scope: &Scope, unit: &UnitCode) -> String {
    scope
        .tree
        .get(unit)
        .map_or_else(|| unit.to_string(), |u| u.short_name().to_owned())
}

struct Step {
    number: u8,
    title: &'static str,
    what: &'static str,
    href: String,
    /// Where the step stands ("Phiên bản 1, thang điểm 100"), or empty.
    status: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "emulation.html")]
struct HubPage {
    title: String,
    query: String,
    me: Option<Me>,
    code: String,
    name: String,
    year: i32,
    steps: Vec<Step>,
    role_note: String,
    /// "Cụm trưởng: quận Hà Đông · Cụm phó: …".
    officers: String,
}

async fn hub(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
    Query(query): Query<YearQuery>,
) -> Result<HubPage, AppError> {
    let (cluster, scope) = cluster_of_year(&state, &user, &code, query.year).await?;
    let principal = user.principal();
    let access = scope.access(&principal);
    let (c, y) = (cluster.code.as_str(), cluster.year);
    let status = status(&state, &cluster).await?;
    let [criteria, pledge, scores, ballots, awards] = status;
    let steps = vec![
        Step {
            number: 1,
            title: "Tiêu chí thi đua",
            what: "Bảng tiêu chí, thang điểm, điểm thưởng và điểm trừ của năm",
            href: format!("/clusters/{c}/criteria?year={y}"),
            status: criteria,
        },
        Step {
            number: 2,
            title: "Giao ước thi đua",
            what: "Các đơn vị đăng ký danh hiệu, chỉ tiêu; cụm ký giao ước",
            href: format!("/clusters/{c}/pledge?year={y}"),
            status: pledge,
        },
        Step {
            number: 3,
            title: "Chấm điểm",
            what: "Đơn vị tự chấm → cụm chấm → cấp trên điều chỉnh; tổng điểm và xếp hạng",
            href: format!("/clusters/{c}/scores?year={y}"),
            status: scores,
        },
        Step {
            number: 4,
            title: "Bình xét, suy tôn",
            what: "Bỏ phiếu kín: xếp hạng, đơn vị dẫn đầu, Bằng khen, cụm trưởng và cụm phó năm sau",
            href: format!("/clusters/{c}/ballots?year={y}"),
            status: ballots,
        },
        Step {
            number: 5,
            title: "Khen thưởng",
            what: "Đề nghị, xét duyệt, quyết định khen thưởng và lịch sử khen thưởng",
            href: format!("/awards?cluster={c}&year={y}"),
            status: awards,
        },
    ];
    let role_note = if access.chairs(&cluster) {
        "Đơn vị của bạn là cụm trưởng năm nay: bạn chủ trì giao ước, chấm điểm của cụm và cuộc bỏ phiếu."
    } else if access.can_decide_for(&cluster) {
        "Bạn thuộc cấp trên của cụm: bạn ban hành tiêu chí, điều chỉnh điểm và quyết định khen thưởng."
    } else if user.user.unit.as_ref().is_some_and(|u| access.represents(&cluster, u)) {
        "Bạn đại diện cho đơn vị mình: đăng ký giao ước, tự chấm điểm và bỏ phiếu."
    } else {
        "Bạn được xem công tác thi đua của cụm."
    };
    let officers = [("Cụm trưởng", &cluster.chair), ("Cụm phó", &cluster.deputy)]
        .into_iter()
        .filter_map(|(role, unit)| unit.as_ref().map(|u| format!("{role}: {}", unit_name(&scope, u))))
        .collect::<Vec<_>>()
        .join(" · ");
    Ok(HubPage {
        title: format!("Thi đua - khen thưởng năm {y} — {}", cluster.name),
        query: String::new(),
        me: Some(user.me()),
        code: cluster.code.to_string(),
        name: cluster.name.clone(),
        year: y,
        steps,
        role_note: role_note.into(),
        officers,
    })
}

/// Where each step of the cluster's year stands, in the order of the steps.
async fn status(state: &AppState, cluster: &Cluster) -> Result<[String; 5], AppError> {
    let store = &state.store;
    let (code, year) = (&cluster.code, cluster.year);
    let criteria = match store.criteria_for_cluster(code, year).await {
        Ok(c) => format!(
            "Đang dùng phiên bản {}, thang điểm {}.",
            c.version,
            c.set.scale().format_vi()
        ),
        Err(StoreError::NotFound { .. }) => "Chưa có bảng tiêu chí cho năm này.".into(),
        Err(e) => return Err(e.into()),
    };
    let pledge = match store.pledge(code, year).await? {
        Some(p) => {
            let registered = p.members.iter().filter(|m| !m.titles.is_empty()).count();
            let signed = p
                .signed_on
                .map(|d| format!(" Đã ký ngày {}.", format_date_vi(d)))
                .unwrap_or_else(|| " Chưa ký.".into());
            format!("{registered}/{} đơn vị đã đăng ký.{signed}", cluster.members.len())
        }
        None => "Chưa có đơn vị nào đăng ký.".into(),
    };
    let scores = match store.ranking(code, year, None).await {
        Ok(r) => format!(
            "{}/{} đơn vị đã có điểm.",
            r.standings.len(),
            r.standings.len() + r.unscored.len()
        ),
        Err(StoreError::NotFound { .. }) => String::new(),
        Err(e) => return Err(e.into()),
    };
    let ballots = store.ballots(code, year).await?;
    let open = ballots.iter().filter(|b| b.state == BallotState::Open).count();
    let ballots = match ballots.len() {
        0 => "Chưa mở cuộc bỏ phiếu nào.".into(),
        n => format!("{n} cuộc bỏ phiếu, {open} đang mở."),
    };
    let proposals = store
        .proposals(&ProposalFilter {
            year: Some(year),
            cluster: Some(code.clone()),
            state: None,
        })
        .await?;
    let decided = proposals.iter().filter(|p| p.state == ProposalState::Decided).count();
    let awards = match proposals.len() {
        0 => "Chưa có đề nghị khen thưởng.".into(),
        n => format!("{n} đề nghị, {decided} đã có quyết định."),
    };
    Ok([criteria, pledge, scores, ballots, awards])
}
