//! Tin tức — the public news page: published reviews as articles, without login.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, State};
use axum::routing::get;
use thidua_store::Article;

use crate::AppState;
use crate::auth::Me;
use crate::error::AppError;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/tin-tuc", get(news_list))
        .route("/tin-tuc/{id}", get(news_article))
}

/// An article's line in a list.
struct Item {
    id: i64,
    title: String,
    when: String,
    author: String,
    category: String,
}

/// "26/7/2022 16:09": the date as every page writes it, the time on the 24-hour clock
/// as Vietnamese does (not "04:09 PM").
fn when(article: &Article) -> String {
    thidua_core::period::format_datetime_vi(article.published_at)
}

fn item(a: &Article) -> Item {
    Item {
        id: a.id,
        title: a.title.clone(),
        when: when(a),
        author: a.author.clone(),
        category: a.category.clone(),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "news_list.html")]
struct NewsList {
    title: String,
    query: String,
    me: Option<Me>,
    items: Vec<Item>,
}

async fn news_list(State(state): State<AppState>) -> Result<NewsList, AppError> {
    let articles = state.store.articles(50).await?;
    Ok(NewsList {
        title: "Tin tức".into(),
        query: String::new(),
        me: None,
        items: articles.iter().map(item).collect(),
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "news_article.html")]
struct NewsArticle {
    title: String,
    query: String,
    me: Option<Me>,
    article: Item,
    paragraphs: Vec<String>,
    others: Vec<Item>,
}

async fn news_article(State(state): State<AppState>, Path(id): Path<String>) -> Result<NewsArticle, AppError> {
    let id: i64 = id
        .parse()
        .map_err(|_| AppError::NotFound(format!("không tìm thấy bài viết «{id}»")))?;
    let article = state.store.article(id).await?;
    let others = state.store.articles(10).await?;
    Ok(NewsArticle {
        title: article.title.clone(),
        query: String::new(),
        me: None,
        paragraphs: {
            let mut paragraphs: Vec<String> = article
                .body
                .split("\n\n")
                .map(|p| p.trim().to_owned())
                .filter(|p| !p.is_empty())
                .collect();
            // The review's text may end with its author's line; the page prints the
            // author below it once.
            if paragraphs.last().is_some_and(|p| p == article.author.trim()) {
                paragraphs.pop();
            }
            paragraphs
        },
        others: others.iter().filter(|a| a.id != article.id).map(item).collect(),
        article: item(&article),
    })
}
