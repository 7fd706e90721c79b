//! Trang chủ — the home page: the clusters, by year, with their members.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::routing::get;

use crate::AppState;
use crate::auth::{CurrentUser, Me};
use crate::error::AppError;

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/", get(home))
}

struct ClusterItem {
    code: String,
    name: String,
    year: i32,
    members: String,
    chair: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "home.html")]
struct HomePage {
    title: String,
    query: String,
    me: Option<Me>,
    clusters: Vec<ClusterItem>,
}

async fn home(State(state): State<AppState>, user: CurrentUser) -> Result<HomePage, AppError> {
    let scope = state.app.directory().await?;
    let principal = user.principal();
    let access = scope.access(&principal);
    let (clusters, tree) = (&scope.clusters, &scope.tree);
    let name_of = |code: &thidua_core::UnitCode| {
        tree.get(code)
            .map_or_else(|| code.to_string(), |u| u.short_name().to_owned())
    };
    let clusters = clusters
        .iter()
        .filter(|c| access.can_view_cluster(c))
        .map(|c| {
            let mut members: Vec<String> = c.members.iter().map(name_of).collect();
            state.collator.sort_by_key(&mut members, |m| m.as_str());
            ClusterItem {
                code: c.code.to_string(),
                name: c.name.clone(),
                year: c.year,
                members: members.join(", "),
                chair: c.chair.as_ref().map(name_of).unwrap_or_default(),
            }
        })
        .collect();
    Ok(HomePage {
        title: "Các cụm thi đua".into(),
        query: String::new(),
        me: Some(user.me()),
        clusters,
    })
}
