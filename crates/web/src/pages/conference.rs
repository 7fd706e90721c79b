//! Biên bản hội nghị — entering the review conference of a cluster in the browser: when
//! and where, the host, who attended, the year's theme, and the directions for the next
//! period, each of which can later be marked done.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Router};
use chrono::NaiveDate;
use thidua_core::conference::{Attendee, ConferenceKind, Direction};
use thidua_core::{Cluster, Conference, Role, UnitCode};

use super::PeriodQuery;
use crate::AppState;
use crate::auth::{CurrentUser, Me, Scope};
use crate::error::AppError;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/clusters/{code}/conference", get(page).post(save))
        .route("/clusters/{code}/conference/print", get(print))
}

/// Biên bản hội nghị — the record of the conference laid out to print and sign: the
/// national heading, who met when and where, the directions adopted, and the signatures
/// of the chair and the secretary recorded for the year (a blank line where none is).
#[derive(Template, WebTemplate)]
#[template(path = "conference_print.html")]
struct ConferencePrint {
    title: String,
    query: String,
    me: Option<Me>,
    code: String,
    period_code: String,
    issuer: String,
    cluster_name: String,
    heading: String,
    date_line: String,
    opening: String,
    theme: String,
    attendees: Vec<String>,
    directions: Vec<String>,
    chair_authority: String,
    chair_title: String,
    chair_name: String,
    secretary: String,
}

async fn print(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
    Query(query): Query<PeriodQuery>,
) -> Result<ConferencePrint, AppError> {
    let (cluster, period, _scope) = load(&state, &user, &code, query.period.as_deref()).await?;
    let conference = state
        .store
        .review_conference(&cluster.code, period)
        .await?
        .ok_or_else(|| {
            AppError::NotFound(format!(
                "Chưa có biên bản hội nghị {} của {}; cụm trưởng ghi biên bản trước khi in",
                period.label_vi(),
                cluster.name
            ))
        })?;
    let signers = thidua_app::signers::of(&state.app, &cluster).await?;
    let held = thidua_core::period::format_date_vi(conference.held_on);
    let kind = conference.kind.label_vi();
    let time = if conference.time_of_day.is_empty() {
        String::new()
    } else {
        format!("{} ", conference.time_of_day.to_lowercase())
    };
    Ok(ConferencePrint {
        title: format!("Biên bản {kind} {} — {}", period.label_vi(), cluster.name),
        query: String::new(),
        me: Some(user.me()),
        code: cluster.code.to_string(),
        period_code: period.code(),
        issuer: conference.issuer.to_uppercase(),
        cluster_name: cluster.name.to_uppercase(),
        heading: format!("BIÊN BẢN {} {}", kind.to_uppercase(), period.label_vi().to_uppercase()),
        date_line: thidua_report::document::place_date_line(&conference.place, conference.held_on),
        opening: format!(
            "Vào {time}ngày {held}, tại {}, {} tổ chức {kind} công tác thi đua, khen thưởng {}.",
            conference.place,
            cluster.name,
            period.label_vi().to_lowercase()
        ),
        theme: conference.theme.clone(),
        attendees: conference
            .attendees
            .iter()
            .map(|a| {
                if a.name.is_empty() {
                    a.title.clone()
                } else {
                    format!("{} — {}", a.name, a.title)
                }
            })
            .collect(),
        directions: conference.directions.iter().map(|d| d.text.clone()).collect(),
        chair_authority: signers.as_ref().map(|s| s.chair.authority.clone()).unwrap_or_default(),
        chair_title: signers.as_ref().map(|s| s.chair.title.clone()).unwrap_or_default(),
        chair_name: signers.as_ref().map(|s| s.chair.name.clone()).unwrap_or_default(),
        secretary: signers.map(|s| s.secretary).unwrap_or_default(),
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "conference.html")]
struct ConferencePage {
    title: String,
    query: String,
    me: Option<Me>,
    csrf: String,
    code: String,
    name: String,
    period_code: String,
    period_label: String,
    kind: String,
    held_on: String,
    time_of_day: String,
    place: String,
    host: String,
    members: Vec<(String, String)>,
    issuer: String,
    author: String,
    theme: String,
    attendees: String,
    directions: Vec<(usize, String, bool)>,
    editable: bool,
    error: String,
    notice: String,
}

fn can_edit(user: &CurrentUser, cluster: &Cluster) -> bool {
    match user.user.role {
        Role::Admin | Role::Upper => true,
        Role::Chair => cluster.chair.is_some() && cluster.chair == user.user.unit,
        Role::Officer => false,
    }
}

async fn load(
    state: &AppState,
    user: &CurrentUser,
    code: &str,
    period: Option<&str>,
) -> Result<(Cluster, thidua_core::Period, Scope), AppError> {
    let (cluster, period, _) = super::resolve_cluster(state, user, code, period).await?;
    let scope = state.app.directory().await?;
    super::ensure_can_view_cluster(&scope, &user.principal(), &cluster)?;
    Ok((cluster, period, scope))
}

fn render(
    user: &CurrentUser,
    cluster: &Cluster,
    period: thidua_core::Period,
    scope: &Scope,
    c: Option<&Conference>,
) -> ConferencePage {
    let members = cluster
        .members
        .iter()
        .map(|m| {
            (
                m.to_string(),
                scope
                    .tree
                    .get(m)
                    .map_or_else(|| m.to_string(), |u| u.short_name().to_owned()),
            )
        })
        .collect();
    let issuer_default = super::emulation::issuer_name(scope, cluster);
    ConferencePage {
        title: format!("Hội nghị {} — {}", period.label_vi(), cluster.name),
        query: String::new(),
        me: Some(user.me()),
        csrf: user.csrf.clone(),
        code: cluster.code.to_string(),
        name: cluster.name.clone(),
        period_code: period.code(),
        period_label: period.label_vi(),
        kind: c.map_or("so-ket", |c| c.kind.as_str()).to_owned(),
        held_on: c.map(|c| c.held_on.to_string()).unwrap_or_default(),
        time_of_day: c.map(|c| c.time_of_day.clone()).unwrap_or_default(),
        place: c.map(|c| c.place.clone()).unwrap_or_default(),
        host: c
            .and_then(|c| c.host.as_ref())
            .or(cluster.host.as_ref())
            .map(ToString::to_string)
            .unwrap_or_default(),
        members,
        issuer: c.map_or(issuer_default, |c| c.issuer.clone()),
        author: c.map(|c| c.author.clone()).unwrap_or_default(),
        theme: c.map(|c| c.theme.clone()).unwrap_or_default(),
        attendees: c
            .map(|c| {
                c.attendees
                    .iter()
                    .map(|a| {
                        if a.name.is_empty() {
                            a.title.clone()
                        } else {
                            format!("{} — {}", a.name, a.title)
                        }
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .unwrap_or_default(),
        directions: c
            .map(|c| {
                c.directions
                    .iter()
                    .enumerate()
                    .map(|(i, d)| (i, d.text.clone(), d.done_on.is_some()))
                    .collect()
            })
            .unwrap_or_default(),
        editable: can_edit(user, cluster),
        error: String::new(),
        notice: String::new(),
    }
}

async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
    Query(query): Query<PeriodQuery>,
) -> Result<ConferencePage, AppError> {
    let (cluster, period, scope) = load(&state, &user, &code, query.period.as_deref()).await?;
    let conference = state.store.review_conference(&cluster.code, period).await?;
    Ok(render(&user, &cluster, period, &scope, conference.as_ref()))
}

async fn save(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let get = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    };
    user.check_csrf(&get("csrf"))?;
    let period_code = get("period");
    let (cluster, period, scope) = load(&state, &user, &code, Some(&period_code)).await?;
    if !can_edit(&user, &cluster) {
        return Err(AppError::Forbidden(format!(
            "chỉ cụm trưởng của {} năm {} (hoặc cấp trên) ghi biên bản hội nghị",
            cluster.name, cluster.year
        )));
    }
    let previous = state.store.review_conference(&cluster.code, period).await?;
    let today = chrono::Local::now().date_naive();
    // Directions kept from before, with their done marks; new ones appended.
    let mut directions: Vec<Direction> = previous
        .as_ref()
        .map(|c| c.directions.clone())
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .map(|(i, mut d)| {
            let done = fields.iter().any(|(k, _)| k == &format!("done_{i}"));
            d.done_on = match (done, d.done_on) {
                (true, None) => Some(today),
                (true, kept) => kept,
                (false, _) => None,
            };
            d
        })
        .collect();
    directions.extend(
        get("new_directions")
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(|text| Direction {
                text: text.to_owned(),
                done_on: None,
            }),
    );
    let attendees = get("attendees")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|line| match line.split_once(" — ").or_else(|| line.split_once(" - ")) {
            Some((name, title)) if name.split_whitespace().count() <= 5 => Attendee {
                name: name.trim().to_owned(),
                title: title.trim().to_owned(),
            },
            _ => Attendee {
                name: String::new(),
                title: line.to_owned(),
            },
        })
        .collect();
    let parsed = (|| -> Result<Conference, AppError> {
        let held_on = NaiveDate::parse_from_str(&get("held_on"), "%Y-%m-%d").map_err(|_| {
            AppError::BadRequest(format!(
                "ngày họp «{}» không hợp lệ (chọn ngày trên lịch)",
                get("held_on")
            ))
        })?;
        let host = Some(get("host"))
            .filter(|h| !h.is_empty())
            .map(|h| UnitCode::parse(&h))
            .transpose()?;
        Ok(Conference {
            cluster: cluster.code.clone(),
            period,
            kind: ConferenceKind::parse(&get("kind"))?,
            held_on,
            time_of_day: get("time_of_day"),
            place: get("place"),
            host,
            issuer: get("issuer"),
            author: get("author"),
            published_at: previous.as_ref().and_then(|c| c.published_at),
            theme: get("theme"),
            attendees,
            directions,
        })
    })();
    let result = match parsed {
        Ok(conference) => state.store.save_conference(conference).await.map_err(AppError::from),
        Err(e) => Err(e),
    };
    match result {
        Ok(saved) => {
            let mut p = render(&user, &cluster, period, &scope, Some(&saved));
            p.notice = "Đã lưu biên bản hội nghị.".into();
            Ok(p.into_response())
        }
        Err(AppError::BadRequest(m) | AppError::NotFound(m) | AppError::Conflict(m)) => {
            let mut p = render(&user, &cluster, period, &scope, previous.as_ref());
            p.error = m;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, p).into_response())
        }
        Err(other) => Err(other),
    }
}
