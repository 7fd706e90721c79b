//! Xếp hạng thi đua — a cluster's members by final total, with each one's total after
//! every step; a member sees only the units whose sheets it may see, ranked among
//! themselves ([`thidua_app::scoring::ranking`]).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use thidua_app::scoring;

use crate::AppState;
use crate::auth::{CurrentUser, Me};
use crate::error::AppError;
use crate::pages::emulation::{YearQuery, cluster_of_year, unit_name};

/// One member in the ranking.
struct RankLine {
    rank: String,
    unit: String,
    name: String,
    /// Totals after each step, "" where the step has not scored.
    steps: [String; 3],
    total: String,
    visible: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "scoring_ranking.html")]
pub(super) struct RankingPage {
    title: String,
    query: String,
    me: Option<Me>,
    code: String,
    name: String,
    year: i32,
    has_criteria: bool,
    criteria_version: u32,
    scale: String,
    lines: Vec<RankLine>,
    /// Members with no sheet yet: (code, name).
    unscored: Vec<(String, String)>,
    /// Whether some members' scores are not shown to this user yet.
    partial: bool,
    /// The user's own unit, when it is a member: a link to score it.
    own_unit: String,
}

pub(super) async fn ranking_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
    Query(query): Query<YearQuery>,
) -> Result<RankingPage, AppError> {
    let (cluster, scope) = cluster_of_year(&state, &user, &code, query.year).await?;
    let caller = thidua_app::Context {
        principal: user.principal(),
        directory: scope.clone(),
    };
    let year = cluster.year;
    let mut page = RankingPage {
        title: format!("Chấm điểm thi đua năm {year} — {}", cluster.name),
        query: String::new(),
        me: Some(user.me()),
        code: cluster.code.to_string(),
        name: cluster.name.clone(),
        year,
        has_criteria: false,
        criteria_version: 0,
        scale: String::new(),
        lines: Vec::new(),
        unscored: Vec::new(),
        partial: false,
        own_unit: scoring::own_member(&caller, &cluster)
            .map(|u| u.to_string())
            .unwrap_or_default(),
    };
    // No criteria for the year yet: nothing to rank, the page says so.
    let Some(ranking) = scoring::ranking(&state.app, &caller, &cluster, &state.collator).await? else {
        return Ok(page);
    };
    page.has_criteria = true;
    page.criteria_version = ranking.criteria_version;
    page.scale = ranking.scale.map(|s| s.format_vi()).unwrap_or_default();
    for r in &ranking.ranked {
        let s = &r.standing;
        let mut steps: [String; 3] = Default::default();
        for (step, totals) in &r.scores.comparison.totals {
            steps[scoring::step_index(*step)] = totals.total.format_vi();
        }
        page.lines.push(RankLine {
            rank: format!("{}{}", s.rank, if s.tied { " (đồng hạng)" } else { "" }),
            unit: s.unit.to_string(),
            name: unit_name(&scope, &s.unit),
            steps,
            total: s.total.format_vi(),
            visible: true,
        });
    }
    for unit in &ranking.hidden {
        page.partial = true;
        page.lines.push(RankLine {
            rank: String::new(),
            unit: unit.to_string(),
            name: unit_name(&scope, unit),
            steps: Default::default(),
            total: String::new(),
            visible: false,
        });
    }
    page.unscored = ranking
        .unscored
        .iter()
        .map(|u| (u.to_string(), unit_name(&scope, u)))
        .collect();
    Ok(page)
}
