//! Báo cáo sơ kết / tổng kết — the cluster's review of a period, written once for the
//! page, its downloads, publishing and the CLI: what it is written from, the template it
//! is written with (the cluster's own, else the shipped one), rendering within bounds,
//! the official document with the register's number, and publishing it.
//!
//! A template is code its author runs on the server. Every rendering goes through
//! [`render`]: the report crate's fuel and output limits, on a blocking thread, at most
//! [`crate::RENDER_SLOTS`] at once, and an answer after [`RENDER_WAIT`] whatever the
//! template does.

use std::sync::Arc;
use std::time::Duration;

use thidua_core::rollup::ClusterRollup;
use thidua_core::signers::Signers;
use thidua_core::{Catalog, Cluster, ClusterCode, Conference, Period};
use thidua_report::document::OfficialDocument;
use thidua_report::review::{
    DEFAULT_TEMPLATE, REVIEW_SYMBOL, RenderLimit, ReviewInput, TEMPLATE_NAME, TemplateError, render_review,
};
use thidua_store::{Actor, DocumentKey, NewArticle};

use crate::{App, Context, Directory, Error};

/// How long a caller waits for a rendering slot, and then for its rendering, before it is
/// answered that the server is busy or the template too slow.
pub const RENDER_WAIT: Duration = Duration::from_secs(20);

/// The news category reviews are published in.
pub const NEWS_CATEGORY: &str = "Thi đua - khen thưởng";

/// What a review is written from, loaded once.
#[derive(Debug)]
pub struct Review {
    /// The cluster as constituted in the period's year.
    pub cluster: Cluster,
    /// The period reviewed.
    pub period: Period,
    /// The period's rollup.
    pub rollup: ClusterRollup,
    /// The catalog.
    pub catalog: Catalog,
    /// The conference record, when one was entered.
    pub conference: Option<Conference>,
    /// The previous period's rollup, when the cluster has figures for it.
    pub previous: Option<ClusterRollup>,
    /// Cơ quan ban hành — who issues the report: the conference's issuer, else the body
    /// above the cluster's first member.
    pub issuer: String,
    /// The register's number, once the review has been issued.
    pub number: Option<u32>,
    /// Who signs for the cluster in the period's year, when recorded.
    pub signers: Option<Signers>,
}

impl Review {
    /// Loads the review of `cluster` for `period`, over the request's `directory`. The
    /// caller has checked that its user may see the cluster.
    pub async fn load(app: &App, directory: &Directory, cluster: &Cluster, period: Period) -> Result<Review, Error> {
        let store = app.store();
        let key = document_key(&cluster.code, period);
        let (catalog, conference, number, signers) = tokio::try_join!(
            store.catalog(),
            store.review_conference(&cluster.code, period),
            store.document_number(&key),
            store.signers(&cluster.code, cluster.year),
        )?;
        let rollup = crate::rollups::cluster_rollup(app, directory, &catalog, &cluster.code, period).await?;
        // The previous period counts only when the cluster existed then and has figures.
        let previous =
            match crate::rollups::cluster_rollup(app, directory, &catalog, &cluster.code, period.previous()).await {
                Ok(r) if !r.total.is_empty() => Some(r),
                _ => None,
            };
        let issuer = match &conference {
            Some(c) if !c.issuer.is_empty() => c.issuer.clone(),
            _ => cluster
                .issuing_body(&directory.tree)
                .map(|u| u.name.clone())
                .unwrap_or_default(),
        };
        Ok(Review {
            cluster: cluster.clone(),
            period,
            rollup,
            catalog,
            conference,
            previous,
            issuer,
            number,
            signers,
        })
    }

    /// What the report crate writes the review from.
    pub fn input(&self) -> ReviewInput<'_> {
        ReviewInput {
            rollup: &self.rollup,
            catalog: &self.catalog,
            conference: self.conference.as_ref(),
            issuer: &self.issuer,
            previous: self.previous.as_ref(),
            signers: self.signers.as_ref(),
        }
    }

    /// Whether the year's signer has a name: an issued review carries it.
    pub fn is_signed(&self) -> bool {
        self.signers.as_ref().is_some_and(|s| !s.chair.name.trim().is_empty())
    }

    /// The review's entry in the cluster's register.
    pub fn key(&self) -> DocumentKey {
        document_key(&self.cluster.code, self.period)
    }

    /// The official document of `text` (this review rendered), with the register's number.
    pub fn document(&self, text: &str) -> OfficialDocument {
        thidua_report::review::review_document(&self.input(), text, self.number)
    }
}

/// The register's key of a cluster's review of `period`.
pub fn document_key(cluster: &ClusterCode, period: Period) -> DocumentKey {
    DocumentKey {
        cluster: cluster.clone(),
        symbol: REVIEW_SYMBOL,
        period,
    }
}

/// The template the cluster's reviews are written with: its own, else the one shipped
/// with thidua. Never another cluster's: each cluster's wording is its own.
pub async fn template(app: &App, cluster: &ClusterCode) -> Result<String, Error> {
    Ok(app
        .store()
        .cluster_template(cluster, TEMPLATE_NAME)
        .await?
        .map_or_else(|| DEFAULT_TEMPLATE.to_owned(), |t| t.body))
}

/// The review's text with `template`, within every limit: the report crate's fuel and
/// output caps, on a blocking thread (never the async workers that answer `/login`), at
/// most [`crate::RENDER_SLOTS`] at once, and an answer — the server is busy, the template
/// too slow — after [`RENDER_WAIT`] of waiting for a slot or for the rendering. A
/// rendering that outlives its answer keeps its slot until its fuel ends it.
pub async fn render(app: &App, review: Arc<Review>, template: String) -> Result<String, Error> {
    let slots = app.render_slots.clone();
    let Ok(permit) = tokio::time::timeout(RENDER_WAIT, slots.acquire_owned()).await else {
        return Err(TemplateError::limit(RenderLimit::Busy, 0).into());
    };
    let permit = permit.map_err(|e| Error::Internal(e.to_string()))?;
    let rendering = tokio::task::spawn_blocking(move || {
        let _slot = permit;
        render_review(&review.input(), &template)
    });
    match tokio::time::timeout(RENDER_WAIT, rendering).await {
        Ok(joined) => Ok(joined.map_err(|e| Error::Internal(e.to_string()))??),
        Err(_) => Err(TemplateError::limit(RenderLimit::Time, 0).into()),
    }
}

/// A review once published.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Published {
    /// Its number in the cluster's register.
    pub number: u32,
    /// The news article's id.
    pub article: i64,
}

/// Why a report cannot be issued yet: the year's signer is not recorded.
pub fn unsigned_message(cluster: &Cluster) -> String {
    format!(
        "Chưa ghi người ký văn bản của {} năm {}: báo cáo ban hành phải có họ tên và chức vụ người ký. Hãy ghi ở trang «Người ký văn bản» rồi ban hành.",
        cluster.name, cluster.year
    )
}

/// Issues and publishes the review of `cluster` for `period` as the caller: its number
/// in the register and its article on the news page, in one transaction. `signer` is the
/// caller's name, which signs the article when the conference record names no author.
/// Refused while the year's signer has no name ([`unsigned_message`]).
pub async fn publish(
    app: &App,
    caller: &Context,
    signer: &str,
    cluster: &Cluster,
    period: Period,
) -> Result<Published, Error> {
    if !caller.access().can_publish_review(cluster) {
        return Err(Error::Forbidden(format!(
            "Chỉ cụm trưởng của {} năm {} mới đăng báo cáo",
            cluster.name, cluster.year
        )));
    }
    let review = Arc::new(Review::load(app, &caller.directory, cluster, period).await?);
    // An issued report carries its signer: one without a name under it is not issued.
    if !review.is_signed() {
        return Err(Error::Invalid(unsigned_message(cluster)));
    }
    let text = render(app, review.clone(), template(app, &cluster.code).await?).await?;
    let conference = review.conference.as_ref();
    // The body without the document's two heading lines: the article has its own title.
    let body: String = text.split("\n\n").skip(1).collect::<Vec<_>>().join("\n\n");
    let issuer = conference.map(|c| c.issuer.clone()).unwrap_or_default();
    let kind = conference.map_or("sơ kết", |c| c.kind.label_vi().trim_start_matches("hội nghị "));
    let title = format!(
        "{}{} {kind} công tác thi đua khen thưởng {}",
        cluster.name,
        if issuer.is_empty() {
            String::new()
        } else {
            format!(" - {issuer}")
        },
        period.label_vi().to_lowercase()
    );
    let author = conference
        .map(|c| c.author.clone())
        .filter(|a| !a.is_empty())
        .unwrap_or_else(|| signer.to_owned());
    let article = NewArticle {
        category: NEWS_CATEGORY.into(),
        title,
        body,
        cluster: Some(cluster.code.to_string()),
        period: Some(period.code()),
        author,
        published_at: chrono::Local::now().naive_local(),
    };
    let (number, article) = app
        .store()
        .publish_issued(&review.key(), article, &Actor::from(&caller.principal))
        .await?;
    Ok(Published { number, article })
}
