//! Thông báo — the signed-in user's notifications, newest first, the unread ones marked,
//! and one button that marks them all read. Open to every role; each sees only their own.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::Redirect;
use axum::routing::{get, post};
use axum::{Form, Router};
use thidua_store::Notification;

use crate::AppState;
use crate::auth::{CurrentUser, Me};
use crate::error::AppError;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/notifications", get(page))
        .route("/notifications/read", post(mark_read))
}

/// One line of the list.
struct Line {
    message: String,
    link: String,
    when: String,
    unread: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "notifications.html")]
struct NotificationsPage {
    title: String,
    query: String,
    me: Option<Me>,
    csrf: String,
    lines: Vec<Line>,
    unread: i64,
}

/// "25/7/2022 14:05", in the installation's time zone.
fn when(created_at: &str) -> String {
    thidua_app::forms::moment_vi(created_at)
}

fn line(n: Notification) -> Line {
    Line {
        when: when(&n.created_at),
        message: n.message,
        link: n.link,
        unread: !n.read,
    }
}

async fn page(State(state): State<AppState>, user: CurrentUser) -> Result<NotificationsPage, AppError> {
    let lines = state.store.notifications(user.user.id).await?;
    Ok(NotificationsPage {
        title: "Thông báo".into(),
        query: String::new(),
        me: Some(user.me()),
        csrf: user.csrf.clone(),
        unread: user.unread,
        lines: lines.into_iter().map(line).collect(),
    })
}

#[derive(serde::Deserialize)]
struct ReadForm {
    csrf: String,
}

async fn mark_read(
    State(state): State<AppState>,
    user: CurrentUser,
    Form(form): Form<ReadForm>,
) -> Result<Redirect, AppError> {
    user.check_csrf(&form.csrf)?;
    state.store.mark_notifications_read(user.user.id).await?;
    Ok(Redirect::to("/notifications"))
}
