//! Lịch sử khen thưởng — a unit's award history, and the search over the awards of every
//! unit and person the user may see.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use thidua_core::UnitCode;
use thidua_core::emulation::award::AwardRecord;
use thidua_core::period::format_date_vi;
use thidua_core::text::matches_search;

use super::{describe, recipient_kind};
use crate::AppState;
use crate::auth::{CurrentUser, Me, Scope};
use crate::error::AppError;

/// One line of an award history.
struct RecordRow {
    year: i32,
    award: String,
    kind: &'static str,
    recipient: String,
    unit_code: String,
    number: String,
    signed_on: String,
    issuer: String,
    revoked: bool,
    revocation: String,
}

fn record_row(scope: &Scope, r: &AwardRecord) -> RecordRow {
    RecordRow {
        year: r.year,
        award: r.award_name.clone(),
        kind: recipient_kind(&r.recipient),
        recipient: describe(scope, &r.recipient),
        unit_code: r.recipient.unit().to_string(),
        number: r.number.clone(),
        signed_on: format_date_vi(r.signed_on),
        issuer: r.issuer.clone(),
        revoked: r.revocation.is_some(),
        revocation: r
            .revocation
            .as_ref()
            .map(|v| {
                format!(
                    "Đã thu hồi theo quyết định số {} ngày {}. Lý do: {}",
                    v.number,
                    format_date_vi(v.on),
                    v.reason
                )
            })
            .unwrap_or_default(),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "award_history.html")]
pub(super) struct UnitHistoryPage {
    title: String,
    query: String,
    me: Option<Me>,
    code: String,
    name: String,
    records: Vec<RecordRow>,
}

pub(super) async fn unit_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
) -> Result<UnitHistoryPage, AppError> {
    let not_found = || AppError::NotFound(format!("không tìm thấy đơn vị «{code}»"));
    let unit = UnitCode::parse(&code).map_err(|_| not_found())?;
    let scope = state.app.directory().await?;
    let found = scope.tree.get(&unit).ok_or_else(not_found)?;
    crate::pages::ensure_can_view_unit(&scope, &user.principal(), found)?;
    let records = state.store.award_history_of_unit(&unit).await?;
    Ok(UnitHistoryPage {
        title: format!("Khen thưởng — {}", found.name),
        query: String::new(),
        me: Some(user.me()),
        code: unit.to_string(),
        name: found.name.clone(),
        records: records.iter().map(|r| record_row(&scope, r)).collect(),
    })
}

/// `?q=tran thi binh`.
#[derive(Debug, serde::Deserialize)]
pub(super) struct SearchQuery {
    q: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "award_search.html")]
pub(super) struct SearchPage {
    title: String,
    query: String,
    me: Option<Me>,
    q: String,
    people: Vec<RecordRow>,
    /// Units whose names match: (code, name, number of awards).
    units: Vec<(String, String, usize)>,
}

/// The most units a search lists.
const MAX_UNITS: usize = 30;

pub(super) async fn search_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<SearchQuery>,
) -> Result<SearchPage, AppError> {
    let q = query.q.unwrap_or_default().trim().to_owned();
    let scope = state.app.directory().await?;
    let principal = user.principal();
    let access = scope.access(&principal);
    let (people, units) = if q.is_empty() {
        (Vec::new(), Vec::new())
    } else {
        let people: Vec<RecordRow> = state
            .store
            .award_history_of_person(&q)
            .await?
            .iter()
            .filter(|r| access.can_view_unit(r.recipient.unit()))
            .map(|r| record_row(&scope, r))
            .collect();
        let mut units = Vec::new();
        for u in scope
            .tree
            .units()
            .filter(|u| matches_search(&u.name, &q) && access.can_view_unit(&u.code))
            .take(MAX_UNITS)
        {
            let awards = state.store.award_history_of_unit(&u.code).await?.len();
            units.push((u.code.to_string(), u.name.clone(), awards));
        }
        (people, units)
    };
    Ok(SearchPage {
        title: if q.is_empty() {
            "Tra cứu khen thưởng".into()
        } else {
            format!("Tra cứu khen thưởng: {q}")
        },
        query: String::new(),
        me: Some(user.me()),
        q,
        people,
        units,
    })
}
