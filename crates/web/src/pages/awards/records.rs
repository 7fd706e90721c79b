//! Lịch sử khen thưởng — a unit's award history, and the search over the awards of every
//! unit and person the user may see.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use thidua_app::awards;
use thidua_core::emulation::award::AwardRecord;
use thidua_core::period::format_date_vi;

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
    let caller = state.app.context(user.principal()).await?;
    let (found, records) = awards::history_of_unit(&state.app, &caller, &code).await?;
    let scope = &caller.directory;
    Ok(UnitHistoryPage {
        title: format!("Khen thưởng — {}", found.name),
        query: String::new(),
        me: Some(user.me()),
        code: found.code.to_string(),
        name: found.name.clone(),
        records: records.iter().map(|r| record_row(scope, r)).collect(),
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

pub(super) async fn search_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<SearchQuery>,
) -> Result<SearchPage, AppError> {
    let q = query.q.unwrap_or_default().trim().to_owned();
    let caller = state.app.context(user.principal()).await?;
    let found = awards::search_history(&state.app, &caller, &q).await?;
    let people = found.people.iter().map(|r| record_row(&caller.directory, r)).collect();
    let units = found
        .units
        .iter()
        .map(|(u, awards)| (u.code.to_string(), u.name.clone(), *awards))
        .collect();
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
