//! Soạn bảng tiêu chí — the browser's editor of a level's criteria for a year: plain
//! HTML forms (no script), each button posting the whole draft back. Adding, moving and
//! removing lines re-render the draft and save nothing; «Lưu» hands it to the
//! application ([`thidua_app::criteria`]), and a mistake comes back here, beside its
//! line, with everything typed kept.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use thidua_app::criteria::{
    CriterionLine, Draft, Edit, LineKind, MAX_FIELD_CHARS, MAX_LINES, Mistakes, NotSaved, RuleLine, Section, Stamp,
};

use super::{Context, context};
use crate::AppState;
use crate::auth::{CurrentUser, Me};
use crate::error::AppError;

/// `?year=2024&from=2022`.
#[derive(Debug, serde::Deserialize)]
pub(super) struct EditQuery {
    year: Option<i32>,
    from: Option<i32>,
}

struct LineView {
    index: usize,
    line: CriterionLine,
    is_group: bool,
    computed: bool,
    indent: usize,
    errors: Vec<String>,
    /// The code of the group «Sang nhóm trên» moves this item into, if any.
    group_above: Option<String>,
    /// The code of the group «Sang nhóm dưới» moves it into.
    group_below: Option<String>,
}

struct RuleView {
    index: usize,
    rule: RuleLine,
    errors: Vec<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "criteria_edit.html")]
pub(super) struct EditorPage {
    title: String,
    query: String,
    me: Option<Me>,
    csrf: String,
    code: String,
    name: String,
    year: i32,
    level_label: String,
    draft: Draft,
    lines: Vec<LineView>,
    bonuses: Vec<RuleView>,
    penalties: Vec<RuleView>,
    indicators: Vec<(String, String)>,
    errors: Vec<String>,
    notice: String,
    /// The stamp of the stored set the draft started from ([`Stamp`]).
    stamp: String,
    /// Someone else saved since the editor opened: what the page says above the draft.
    changed: String,
}

fn page(
    user: &CurrentUser,
    ctx: &Context,
    draft: Draft,
    stamp: &Stamp,
    mistakes: &Mistakes,
    indicators: Vec<(String, String)>,
) -> EditorPage {
    let code_of = |i: usize| draft.lines[i].code.trim().to_owned();
    let errors_of = |s: Section, i: usize| mistakes.lines.get(&(s, i)).cloned().unwrap_or_default();
    let lines = draft
        .lines
        .iter()
        .enumerate()
        .map(|(index, line)| LineView {
            index,
            is_group: line.kind() == LineKind::Group,
            computed: line.kind() == LineKind::Computed,
            indent: line.depth.min(4),
            errors: errors_of(Section::Criteria, index),
            group_above: draft.group_above(index).map(code_of),
            group_below: draft.group_below(index).map(code_of),
            line: line.clone(),
        })
        .collect();
    let rules = |section: Section, rules: &[RuleLine]| {
        rules
            .iter()
            .enumerate()
            .map(|(index, rule)| RuleView {
                index,
                rule: rule.clone(),
                errors: errors_of(section, index),
            })
            .collect()
    };
    let mut errors = Vec::new();
    if !mistakes.is_empty() {
        errors.push(format!(
            "Bảng tiêu chí chưa được lưu: có {} lỗi, ghi ngay cạnh từng dòng. Sửa rồi bấm «Lưu bảng tiêu chí»; chưa có gì được lưu.",
            mistakes.count()
        ));
    }
    errors.extend(mistakes.general.iter().cloned());
    EditorPage {
        title: format!("Soạn bảng tiêu chí năm {} — {}", ctx.cluster.year, ctx.cluster.name),
        query: String::new(),
        me: Some(user.me()),
        csrf: user.csrf.clone(),
        code: ctx.cluster.code.to_string(),
        name: ctx.cluster.name.clone(),
        year: ctx.cluster.year,
        level_label: thidua_core::unit::kind_label_vi(&ctx.level).to_owned(),
        lines,
        bonuses: rules(Section::Bonus, &draft.bonuses),
        penalties: rules(Section::Penalty, &draft.penalties),
        draft,
        indicators,
        errors,
        notice: String::new(),
        stamp: stamp.as_str().to_owned(),
        changed: String::new(),
    }
}

pub(super) async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
    Query(query): Query<EditQuery>,
) -> Result<EditorPage, AppError> {
    let (ctx, _) = context(&state, &user, &code, query.year).await?;
    let caller = state.app.context(user.principal()).await?;
    let opened = thidua_app::criteria::draft(&state.app, &caller, &ctx.level, ctx.cluster.year, query.from).await?;
    let indicators = thidua_app::criteria::indicator_choices(&state.app).await?;
    let mut page = page(
        &user,
        &ctx,
        opened.draft,
        &opened.stamp,
        &Mistakes::default(),
        indicators,
    );
    if let Some(from) = query.from.filter(|&f| f != ctx.cluster.year) {
        page.notice = format!(
            "Bản soạn lấy từ bảng tiêu chí năm {from}; chưa có gì được lưu cho năm {} cho đến khi bấm «Lưu bảng tiêu chí».",
            ctx.cluster.year
        );
    }
    Ok(page)
}

/// The posted fields, bounded: each value cut to [`MAX_FIELD_CHARS`].
struct Posted(HashMap<String, String>);

impl Posted {
    fn get(&self, key: &str) -> String {
        self.0.get(key).cloned().unwrap_or_default()
    }

    fn count(&self, key: &str) -> usize {
        self.get(key).trim().parse::<usize>().unwrap_or(0).min(MAX_LINES)
    }
}

fn draft_of(posted: &Posted) -> Draft {
    let rule = |s: &str, i: usize| RuleLine {
        code: posted.get(&format!("{s}{i}_code")),
        name: posted.get(&format!("{s}{i}_name")),
        max: posted.get(&format!("{s}{i}_max")),
        per_case: posted.get(&format!("{s}{i}_per_case")),
        guidance: posted.get(&format!("{s}{i}_guidance")),
    };
    Draft {
        name: posted.get("name"),
        issuer: posted.get("issuer"),
        scale: posted.get("scale"),
        bonus_cap: posted.get("bonus_cap"),
        penalty_cap: posted.get("penalty_cap"),
        lines: (0..posted.count("c_n"))
            .map(|i| {
                let f = |field: &str| posted.get(&format!("c{i}_{field}"));
                CriterionLine {
                    depth: f("depth").trim().parse::<usize>().unwrap_or(0).min(8),
                    kind: Some(LineKind::parse(f("kind").trim())),
                    code: f("code"),
                    name: f("name"),
                    max: f("max"),
                    guidance: f("guidance"),
                    indicator: f("indicator"),
                    formula: f("formula"),
                    target: f("target"),
                    curve: f("curve"),
                    floor: f("floor"),
                    steps: f("steps"),
                    no_data: f("no_data"),
                }
            })
            .collect(),
        bonuses: (0..posted.count("b_n")).map(|i| rule("b", i)).collect(),
        penalties: (0..posted.count("p_n")).map(|i| rule("p", i)).collect(),
    }
}

/// The button pressed: "save", "add_group", "add_item:3", "up:c:2", "remove:b:0",
/// "group_down:4", …
fn edit_of(action: &str) -> Option<Edit> {
    let mut parts = action.split(':');
    let verb = parts.next()?;
    let a = parts.next();
    let b = parts.next();
    let at = |s: Option<&str>, i: Option<&str>| Some((Section::from_letter(s?)?, i?.parse::<usize>().ok()?));
    match verb {
        "add_group" => Some(Edit::AddGroup),
        "add_bonus" => Some(Edit::AddBonus),
        "add_penalty" => Some(Edit::AddPenalty),
        "add_item" => Some(Edit::AddItem(a?.parse().ok()?)),
        "up" => at(a, b).map(|(s, i)| Edit::Up(s, i)),
        "down" => at(a, b).map(|(s, i)| Edit::Down(s, i)),
        "remove" => at(a, b).map(|(s, i)| Edit::Remove(s, i)),
        "group_up" => Some(Edit::ToGroupAbove(a?.parse().ok()?)),
        "group_down" => Some(Edit::ToGroupBelow(a?.parse().ok()?)),
        _ => None,
    }
}

pub(super) async fn post(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
    Query(query): Query<EditQuery>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let posted = Posted(
        fields
            .into_iter()
            .map(|(k, v)| (k, v.chars().take(MAX_FIELD_CHARS).collect()))
            .collect(),
    );
    user.check_csrf(&posted.get("csrf"))?;
    let (ctx, _) = context(&state, &user, &code, query.year).await?;
    let caller = state.app.context(user.principal()).await?;
    let mut draft = draft_of(&posted);
    let indicators = thidua_app::criteria::indicator_choices(&state.app).await?;
    let stamp = Stamp::parse(&posted.get("stamp"));
    let action = posted.get("action");
    if action != "save" {
        if let Some(edit) = edit_of(action.trim()) {
            draft.apply(edit);
        }
        return Ok(page(&user, &ctx, draft, &stamp, &Mistakes::default(), indicators).into_response());
    }
    let year = ctx.cluster.year;
    match thidua_app::criteria::save(&state.app, &caller, &ctx.level, year, &draft, &stamp).await? {
        Ok(saved) => {
            let mut page = super::render(&state, &user, &ctx, None).await?;
            page.notice = saved.message;
            Ok(page.into_response())
        }
        Err(NotSaved::Mistakes(mistakes)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            page(&user, &ctx, draft, &stamp, &mistakes, indicators),
        )
            .into_response()),
        // The page now carries the current stamp: a second «Lưu» replaces it knowingly.
        Err(NotSaved::Changed(changed)) => {
            let mut page = page(&user, &ctx, draft, &changed.stamp, &Mistakes::default(), indicators);
            page.changed = changed.message(year);
            Ok((StatusCode::CONFLICT, page).into_response())
        }
    }
}
