//! Người ký văn bản — the page where whoever runs a cluster records, once for the year,
//! who signs its documents: the signer of the review and the pledge (authority line,
//! title, name) and the secretary and head of the counting committee who sign the record
//! of the count. A refused entry comes back with what was typed and the reason.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Router};
use thidua_core::Cluster;
use thidua_core::signers::{Signer, Signers};

use super::PeriodQuery;
use crate::AppState;
use crate::auth::{CurrentUser, Me};
use crate::error::AppError;

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/clusters/{code}/signers", get(page).post(save))
}

#[derive(Template, WebTemplate)]
#[template(path = "signers.html")]
struct SignersPage {
    title: String,
    query: String,
    me: Option<Me>,
    csrf: String,
    code: String,
    name: String,
    year: i32,
    period_code: String,
    authority: String,
    chair_title: String,
    chair_name: String,
    secretary: String,
    teller: String,
    editable: bool,
    error: String,
    notice: String,
}

/// What the form posts.
#[derive(serde::Deserialize)]
struct SignersForm {
    csrf: String,
    period: String,
    #[serde(default)]
    authority: String,
    #[serde(default)]
    chair_title: String,
    #[serde(default)]
    chair_name: String,
    #[serde(default)]
    secretary: String,
    #[serde(default)]
    teller: String,
}

fn render(user: &CurrentUser, cluster: &Cluster, period_code: String, s: &Signers, editable: bool) -> SignersPage {
    SignersPage {
        title: format!("Người ký văn bản — {} năm {}", cluster.name, cluster.year),
        query: String::new(),
        me: Some(user.me()),
        csrf: user.csrf.clone(),
        code: cluster.code.to_string(),
        name: cluster.name.clone(),
        year: cluster.year,
        period_code,
        authority: s.chair.authority.clone(),
        chair_title: s.chair.title.clone(),
        chair_name: s.chair.name.clone(),
        secretary: s.secretary.clone(),
        teller: s.teller.clone(),
        editable,
        error: String::new(),
        notice: String::new(),
    }
}

fn empty(cluster: &Cluster) -> Signers {
    Signers {
        cluster: cluster.code.clone(),
        year: cluster.year,
        chair: Signer::default(),
        secretary: String::new(),
        teller: String::new(),
    }
}

async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
    Query(query): Query<PeriodQuery>,
) -> Result<SignersPage, AppError> {
    let caller = state.app.context(user.principal()).await?;
    let open = thidua_app::clusters::open(&state.app, &caller, &code, query.period.as_deref()).await?;
    let signers = thidua_app::signers::of(&state.app, &open.cluster).await?;
    let editable = caller.access().can_run_cluster(&open.cluster);
    Ok(render(
        &user,
        &open.cluster,
        open.period.code(),
        &signers.unwrap_or_else(|| empty(&open.cluster)),
        editable,
    ))
}

async fn save(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
    Form(form): Form<SignersForm>,
) -> Result<Response, AppError> {
    user.check_csrf(&form.csrf)?;
    let caller = state.app.context(user.principal()).await?;
    let open = thidua_app::clusters::open(&state.app, &caller, &code, Some(&form.period)).await?;
    let typed = Signers {
        cluster: open.cluster.code.clone(),
        year: open.cluster.year,
        chair: Signer {
            authority: form.authority,
            title: form.chair_title,
            name: form.chair_name,
        },
        secretary: form.secretary,
        teller: form.teller,
    };
    match thidua_app::signers::record(&state.app, &caller, &open.cluster, typed.clone()).await {
        Ok(saved) => {
            let mut p = render(&user, &open.cluster, open.period.code(), &saved, true);
            p.notice = "Đã lưu người ký; các văn bản của cụm trong năm sẽ in tên và chức vụ này.".into();
            Ok(p.into_response())
        }
        Err(e) => match AppError::from(e) {
            AppError::BadRequest(m) => {
                let mut p = render(&user, &open.cluster, open.period.code(), &typed, true);
                p.error = crate::error::sentence(&m);
                Ok((StatusCode::UNPROCESSABLE_ENTITY, p).into_response())
            }
            other => Err(other),
        },
    }
}
