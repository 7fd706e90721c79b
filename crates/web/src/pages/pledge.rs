//! Giao ước thi đua — each member registers its titles and targets; the chair records the
//! signing; the signed pledge prints as DOCX and PDF.
//!
//! A member's representative edits only its own unit's registration, and only while the
//! pledge is unsigned; whoever runs the cluster (the chair, the upper level, admins) edits
//! the commitments and records the signing day and place — clearing the day reopens the
//! registrations. Each change goes through the store's locked read-modify-write, so
//! members registering at the same meeting never overwrite each other.

use std::collections::BTreeMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use chrono::NaiveDate;
use thidua_core::emulation::award::RecipientKinds;
use thidua_core::emulation::pledge::MemberPledge;
use thidua_core::period::format_date_vi;
use thidua_core::{Catalog, Cluster, UnitCode, Value, ValueType};
use thidua_report::document::OfficialDocument;
use thidua_report::emulation_documents::{Heading, pledge_document};
use thidua_store::{Actor, StoreError};

use super::emulation::{Fields, YearQuery, cluster_of_year, unit_name};
use crate::AppState;
use crate::auth::{CurrentUser, Me, Scope};
use crate::error::AppError;

/// Offered beside the award catalogue's collective forms: the title every unit aims for.
const EXCELLENT: &str = "Hoàn thành xuất sắc nhiệm vụ";

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/clusters/{code}/pledge", get(page))
        .route("/clusters/{code}/pledge/register", post(register))
        .route("/clusters/{code}/pledge/sign", post(sign))
        .route("/clusters/{code}/pledge.docx", get(pledge_docx))
        .route("/clusters/{code}/pledge.pdf", get(pledge_pdf))
}

/// A member's registration as shown.
struct MemberLine {
    name: String,
    registered: bool,
    titles: Vec<String>,
    targets: Vec<String>,
    signer: String,
}

/// A title the representative can tick.
struct TitleChoice {
    name: String,
    checked: bool,
}

/// A target input.
struct TargetInput {
    code: String,
    name: String,
    measure: String,
    value: String,
    error: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "pledge.html")]
struct PledgePage {
    title: String,
    query: String,
    me: Option<Me>,
    csrf: String,
    code: String,
    name: String,
    year: i32,
    pledge_title: String,
    signed: String,
    /// The signing day for the date input (yyyy-mm-dd).
    signed_on: String,
    place: String,
    commitments: Vec<String>,
    commitments_text: String,
    members: Vec<MemberLine>,
    /// The user's own member unit, when they represent it.
    own_unit: String,
    own_unit_name: String,
    can_register: bool,
    titles: Vec<TitleChoice>,
    targets: Vec<TargetInput>,
    signer_name: String,
    signer_title: String,
    can_sign: bool,
    notice: String,
    errors: Vec<String>,
}

/// What the pages need about the cluster and the user.
struct Context {
    cluster: Cluster,
    scope: Scope,
    /// The member unit the user speaks for.
    represents: Option<UnitCode>,
    runs: bool,
}

async fn context(state: &AppState, user: &CurrentUser, code: &str, year: Option<i32>) -> Result<Context, AppError> {
    let (cluster, scope) = cluster_of_year(state, user, code, year).await?;
    let principal = user.principal();
    let access = scope.access(&principal);
    let represents = user.user.unit.clone().filter(|u| access.represents(&cluster, u));
    let runs = access.can_run_cluster(&cluster);
    Ok(Context {
        cluster,
        scope,
        represents,
        runs,
    })
}

fn new_pledge(cluster: &Cluster) -> thidua_core::emulation::Pledge {
    thidua_core::emulation::Pledge {
        cluster: cluster.code.clone(),
        year: cluster.year,
        title: format!("Giao ước thi đua năm {}", cluster.year),
        signed_on: None,
        place: String::new(),
        commitments: Vec::new(),
        members: Vec::new(),
    }
}

/// The numeric indicators a member can pledge a target for (computed ones follow from
/// the others).
fn target_indicators(catalog: &Catalog) -> impl Iterator<Item = &thidua_core::Indicator> {
    catalog
        .indicators()
        .iter()
        .filter(|i| i.value_type != ValueType::Text && !i.is_computed())
}

/// What the representative typed, kept for showing the form again.
#[derive(Default)]
struct Typed {
    titles: Vec<String>,
    targets: BTreeMap<String, String>,
    signer_name: String,
    signer_title: String,
}

async fn render(
    state: &AppState,
    user: &CurrentUser,
    ctx: &Context,
    typed: Option<&Typed>,
    target_errors: &BTreeMap<String, String>,
) -> Result<PledgePage, AppError> {
    let (stored, catalog, awards) = tokio::try_join!(
        state.store.pledge(&ctx.cluster.code, ctx.cluster.year),
        state.store.catalog(),
        state.store.award_catalogue(),
    )?;
    let pledge = stored.unwrap_or_else(|| new_pledge(&ctx.cluster));
    let members = ctx
        .cluster
        .members
        .iter()
        .map(|u| {
            let m = pledge.member(u);
            MemberLine {
                name: unit_name(&ctx.scope, u),
                registered: m.is_some(),
                titles: m.map(|m| m.titles.clone()).unwrap_or_default(),
                targets: m
                    .map(|m| {
                        m.targets
                            .iter()
                            .map(|(code, v)| match catalog.get(code) {
                                Some(i) => format!("{}: {} {}", i.name, v.format_vi(), i.measure).trim().to_owned(),
                                None => format!("{code}: {}", v.format_vi()),
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
                signer: m
                    .map(|m| {
                        [m.signer_name.as_str(), m.signer_title.as_str()]
                            .into_iter()
                            .filter(|s| !s.is_empty())
                            .collect::<Vec<_>>()
                            .join(", ")
                    })
                    .unwrap_or_default(),
            }
        })
        .collect();
    let own = ctx.represents.as_ref().and_then(|u| pledge.member(u));
    let chosen: Vec<String> = match typed {
        Some(t) => t.titles.clone(),
        None => own.map(|m| m.titles.clone()).unwrap_or_default(),
    };
    let mut names: Vec<String> = awards
        .forms()
        .iter()
        .filter(|f| f.recipients != RecipientKinds::Individual)
        .map(|f| f.name.clone())
        .collect();
    names.push(EXCELLENT.to_owned());
    // A title registered before the catalogue changed stays visible and ticked.
    for t in &chosen {
        if !names.contains(t) {
            names.push(t.clone());
        }
    }
    let titles = names
        .into_iter()
        .map(|name| TitleChoice {
            checked: chosen.contains(&name),
            name,
        })
        .collect();
    let targets = target_indicators(&catalog)
        .map(|i| {
            let code = i.code.to_string();
            let value = match typed {
                Some(t) => t.targets.get(&code).cloned().unwrap_or_default(),
                None => own
                    .and_then(|m| m.targets.get(&i.code))
                    .map(Value::format_vi)
                    .unwrap_or_default(),
            };
            TargetInput {
                error: target_errors.get(&code).cloned().unwrap_or_default(),
                name: i.name.clone(),
                measure: i.measure.clone(),
                value,
                code,
            }
        })
        .collect();
    let (signer_name, signer_title) = match typed {
        Some(t) => (t.signer_name.clone(), t.signer_title.clone()),
        None => own.map_or_else(Default::default, |m| (m.signer_name.clone(), m.signer_title.clone())),
    };
    let year = ctx.cluster.year;
    Ok(PledgePage {
        title: format!("Giao ước thi đua năm {year} — {}", ctx.cluster.name),
        query: String::new(),
        me: Some(user.me()),
        csrf: user.csrf.clone(),
        code: ctx.cluster.code.to_string(),
        name: ctx.cluster.name.clone(),
        year,
        pledge_title: pledge.title.clone(),
        signed: match pledge.signed_on {
            Some(day) if pledge.place.is_empty() => format!("Đã ký ngày {}", format_date_vi(day)),
            Some(day) => format!("Đã ký ngày {} tại {}", format_date_vi(day), pledge.place),
            None => "Chưa ký".into(),
        },
        signed_on: pledge.signed_on.map(|d| d.to_string()).unwrap_or_default(),
        place: pledge.place.clone(),
        commitments_text: pledge.commitments.join("\n"),
        commitments: pledge.commitments.clone(),
        members,
        own_unit: ctx.represents.as_ref().map(ToString::to_string).unwrap_or_default(),
        own_unit_name: ctx
            .represents
            .as_ref()
            .map(|u| unit_name(&ctx.scope, u))
            .unwrap_or_default(),
        can_register: ctx.represents.is_some() && pledge.signed_on.is_none(),
        titles,
        targets,
        signer_name,
        signer_title,
        can_sign: ctx.runs,
        notice: String::new(),
        errors: Vec::new(),
    })
}

async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
    Query(query): Query<YearQuery>,
) -> Result<PledgePage, AppError> {
    let ctx = context(&state, &user, &code, query.year).await?;
    render(&state, &user, &ctx, None, &BTreeMap::new()).await
}

/// A store refusal shown on the page (422 or 409), anything else as an error.
async fn refused(
    state: &AppState,
    user: &CurrentUser,
    ctx: &Context,
    typed: Option<&Typed>,
    e: StoreError,
) -> Result<Response, AppError> {
    let (status, message) = match AppError::from(e) {
        AppError::Conflict(m) => (StatusCode::CONFLICT, m),
        AppError::BadRequest(m) => (StatusCode::UNPROCESSABLE_ENTITY, m),
        other => return Err(other),
    };
    let mut page = render(state, user, ctx, typed, &BTreeMap::new()).await?;
    page.errors = vec![format!("Chưa lưu: {message}.")];
    Ok((status, page).into_response())
}

async fn register(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
    Query(query): Query<YearQuery>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let fields = Fields(pairs);
    user.check_csrf(&fields.get("csrf"))?;
    let ctx = context(&state, &user, &code, query.year).await?;
    let Some(unit) = ctx.represents.clone() else {
        return Err(AppError::Forbidden(format!(
            "chỉ đại diện của một đơn vị thành viên {} năm {} đăng ký giao ước cho đơn vị mình",
            ctx.cluster.name, ctx.cluster.year
        )));
    };
    let catalog = state.store.catalog().await?;
    let mut typed = Typed {
        titles: fields
            .all("title")
            .filter(|t| !t.is_empty())
            .map(String::from)
            .collect(),
        signer_name: fields.get("signer_name"),
        signer_title: fields.get("signer_title"),
        ..Typed::default()
    };
    let mut errors = BTreeMap::new();
    let mut targets = BTreeMap::new();
    for i in target_indicators(&catalog) {
        let code = i.code.to_string();
        let raw = fields.get(&format!("t_{code}"));
        typed.targets.insert(code.clone(), raw.clone());
        if raw.is_empty() {
            continue;
        }
        match Value::parse(&raw, i.value_type) {
            Ok(v) => {
                targets.insert(i.code.clone(), v);
            }
            Err(e) => {
                errors.insert(code, format!("{}: {e}", i.name));
            }
        }
    }
    if !errors.is_empty() {
        let mut page = render(&state, &user, &ctx, Some(&typed), &errors).await?;
        page.errors = std::iter::once("Chưa lưu: có chỉ tiêu chưa đúng, xem các ô được đánh dấu.".to_owned())
            .chain(errors.values().cloned())
            .collect();
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    let registration = MemberPledge {
        unit: unit.clone(),
        titles: typed.titles.clone(),
        targets,
        signer_name: typed.signer_name.clone(),
        signer_title: typed.signer_title.clone(),
    };
    let members_order = ctx.cluster.members.clone();
    let result = state
        .store
        .update_pledge(
            &Actor::from(&user.principal()),
            &ctx.cluster.code,
            ctx.cluster.year,
            move |mut pledge| {
                if let Some(day) = pledge.signed_on {
                    return Err(StoreError::Conflict(format!(
                        "giao ước đã ký ngày {}; muốn sửa đăng ký, đề nghị cụm trưởng mở lại giao ước",
                        format_date_vi(day)
                    )));
                }
                pledge.members.retain(|m| m.unit != registration.unit);
                pledge.members.push(registration);
                // The cluster's order, as the printed table lists the members.
                pledge
                    .members
                    .sort_by_key(|m| members_order.iter().position(|u| *u == m.unit).unwrap_or(usize::MAX));
                Ok(pledge)
            },
        )
        .await;
    match result {
        Ok(_) => {
            let mut page = render(&state, &user, &ctx, None, &BTreeMap::new()).await?;
            page.notice = format!("Đã lưu đăng ký thi đua của {}.", unit_name(&ctx.scope, &unit));
            Ok(page.into_response())
        }
        Err(e) => refused(&state, &user, &ctx, Some(&typed), e).await,
    }
}

/// A signing day as typed: from the date input (2022-03-15) or Vietnamese-style (15/3/2022).
fn parse_day(raw: &str) -> Result<Option<NaiveDate>, AppError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(raw, "%d/%m/%Y"))
        .map(Some)
        .map_err(|_| {
            AppError::BadRequest(format!(
                "ngày ký «{raw}» không hợp lệ (chọn trên lịch hoặc gõ dạng 25/7/2022)"
            ))
        })
}

async fn sign(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
    Query(query): Query<YearQuery>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let fields = Fields(pairs);
    user.check_csrf(&fields.get("csrf"))?;
    let ctx = context(&state, &user, &code, query.year).await?;
    if !ctx.runs {
        return Err(AppError::Forbidden(format!(
            "chỉ cụm trưởng của {} năm {} (hoặc cấp trên) ghi nội dung và việc ký giao ước",
            ctx.cluster.name, ctx.cluster.year
        )));
    }
    let day = match parse_day(&fields.get("signed_on")) {
        Ok(day) => day,
        Err(e) => {
            let mut page = render(&state, &user, &ctx, None, &BTreeMap::new()).await?;
            page.errors = vec![format!("Chưa lưu: {e}.")];
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    let title = fields.get("title");
    let place = fields.get("place");
    let commitments: Vec<String> = fields
        .get("commitments")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(ToOwned::to_owned)
        .collect();
    let result = state
        .store
        .update_pledge(
            &Actor::from(&user.principal()),
            &ctx.cluster.code,
            ctx.cluster.year,
            move |mut pledge| {
                if !title.is_empty() {
                    pledge.title = title;
                }
                pledge.commitments = commitments;
                pledge.signed_on = day;
                pledge.place = place;
                Ok(pledge)
            },
        )
        .await;
    match result {
        Ok(saved) => {
            let mut page = render(&state, &user, &ctx, None, &BTreeMap::new()).await?;
            page.notice = match saved.signed_on {
                Some(d) => format!("Đã ghi giao ước, ký ngày {}.", format_date_vi(d)),
                None => "Đã lưu nội dung giao ước (chưa ký; các đơn vị còn sửa được đăng ký).".into(),
            };
            Ok(page.into_response())
        }
        Err(e) => refused(&state, &user, &ctx, None, e).await,
    }
}

/// The pledge as an official document: the saved one, or the blank draft to sign.
async fn document(state: &AppState, ctx: &Context) -> Result<OfficialDocument, AppError> {
    let (stored, catalog) = tokio::try_join!(
        state.store.pledge(&ctx.cluster.code, ctx.cluster.year),
        state.store.catalog()
    )?;
    let pledge = stored.unwrap_or_else(|| new_pledge(&ctx.cluster));
    let issuer = super::emulation::issuer_name(&ctx.scope, &ctx.cluster);
    let place = super::emulation::meeting_place(&ctx.scope, &ctx.cluster);
    let name = |u: &UnitCode| unit_name(&ctx.scope, u);
    let signers = thidua_app::signers::of(&state.app, &ctx.cluster).await?;
    let heading = Heading {
        issuer: &issuer,
        cluster_name: &ctx.cluster.name,
        place: &place,
        date: chrono::Local::now().date_naive(),
        unit_name: &name,
        signers: signers.as_ref(),
    };
    Ok(pledge_document(&heading, &pledge, &catalog))
}

async fn download(
    state: &AppState,
    user: &CurrentUser,
    code: &str,
    year: Option<i32>,
    format: super::DocumentFormat,
) -> Result<Response, AppError> {
    let ctx = context(state, user, code, year).await?;
    let document = document(state, &ctx).await?;
    let stem = format!("giao-uoc-{}-{}", ctx.cluster.code, ctx.cluster.year);
    super::document_download(document, &stem, format).await
}

async fn pledge_docx(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
    Query(query): Query<YearQuery>,
) -> Result<Response, AppError> {
    download(&state, &user, &code, query.year, super::DocumentFormat::Docx).await
}

async fn pledge_pdf(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
    Query(query): Query<YearQuery>,
) -> Result<Response, AppError> {
    download(&state, &user, &code, query.year, super::DocumentFormat::Pdf).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signing_day_is_read_from_the_calendar_or_vietnamese_style() {
        let day = NaiveDate::from_ymd_opt(2022, 3, 15);
        assert_eq!(parse_day("2022-03-15").ok(), Some(day));
        assert_eq!(parse_day("15/3/2022").ok(), Some(day));
        assert_eq!(parse_day(" ").ok(), Some(None));
        assert!(parse_day("15 tháng 3").is_err());
    }
}
