//! Bảng so sánh — a unit's three steps side by side: who gave each and when, per line
//! self / cluster / upper / final, and the total that counts.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use thidua_app::scoring;
use thidua_core::emulation::scoring::ScoreStep;

use super::{pts, section_label, when_vi, year_of};
use crate::AppState;
use crate::auth::{CurrentUser, Me};
use crate::error::AppError;

struct CompareLine {
    code: String,
    name: String,
    depth: usize,
    is_group: bool,
    section: &'static str,
    max: String,
    cells: [String; 3],
    final_points: String,
    differs: bool,
}

/// Who gave a step, and when.
struct StepHead {
    label: &'static str,
    href: String,
    by: String,
    at: String,
    total: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "scoring_compare.html")]
pub(super) struct ComparePage {
    title: String,
    query: String,
    me: Option<Me>,
    code: String,
    cluster_name: String,
    unit: String,
    unit_name: String,
    year: i32,
    criteria_version: u32,
    heads: Vec<StepHead>,
    lines: Vec<CompareLine>,
    final_total: String,
    scale: String,
}

/// `?version=1` — a criteria version other than the current one.
#[derive(Debug, serde::Deserialize)]
pub(super) struct VersionQuery {
    version: Option<u32>,
}

pub(super) async fn comparison_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((unit, year)): Path<(String, String)>,
    Query(query): Query<VersionQuery>,
) -> Result<ComparePage, AppError> {
    let year = year_of(&year)?;
    let caller = state.app.context(user.principal()).await?;
    let scoring::UnitScores { unit: ctx, scores: cmp } =
        scoring::comparison(&state.app, &caller, &unit, year, query.version).await?;
    let mut heads = Vec::new();
    for (i, step) in ScoreStep::ALL.into_iter().enumerate() {
        let sheet = cmp.sheets[i].as_ref();
        let total = cmp
            .comparison
            .totals
            .iter()
            .find(|(s, _)| *s == step)
            .map(|(_, t)| t.total.format_vi())
            .unwrap_or_default();
        heads.push(StepHead {
            label: step.label_vi(),
            href: format!("/units/{}/scores/{}/{}", ctx.unit, ctx.year, step.as_str()),
            by: match sheet {
                Some(s) => scoring::scorer(&state.app, &s.scored_login).await,
                None => "Chưa chấm".into(),
            },
            at: sheet.map(|s| when_vi(&s.scored_at)).unwrap_or_default(),
            total,
        });
    }
    let lines = cmp
        .comparison
        .rows
        .iter()
        .map(|r| CompareLine {
            code: r.code.to_string(),
            name: r.name.clone(),
            depth: r.depth,
            is_group: r.is_group,
            section: section_label(r.section),
            max: r.max.format_vi(),
            cells: [pts(r.self_score), pts(r.cluster), pts(r.upper)],
            final_points: pts(r.final_points),
            differs: r.differs,
        })
        .collect();
    Ok(ComparePage {
        title: format!("Bảng điểm năm {} — {}", ctx.year, ctx.name),
        query: String::new(),
        me: Some(user.me()),
        code: ctx.cluster.code.to_string(),
        cluster_name: ctx.cluster.name.clone(),
        unit: ctx.unit.to_string(),
        unit_name: ctx.name.clone(),
        year: ctx.year,
        criteria_version: cmp.criteria.version,
        heads,
        lines,
        final_total: cmp.comparison.final_totals.total.format_vi(),
        scale: cmp.comparison.final_totals.scale.format_vi(),
    })
}
