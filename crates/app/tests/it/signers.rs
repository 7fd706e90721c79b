//! Signers through the use cases: the chair records who signs the cluster's documents
//! once for the year, the review's document is signed by them (before, a placeholder),
//! and an officer may not record them.

use std::sync::Arc;

use thidua_app::review::Review;
use thidua_app::{App, Context, Error};
use thidua_core::signers::{Signer, Signers};
use thidua_core::{ClusterCode, Period};
use thidua_report::document::NO_SIGNER;
use thidua_store::Backend;
use thidua_store::testing::TestDatabase;

thidua_store::on_both_backends!(the_review_is_signed_by_the_signers_the_chair_recorded_for_the_year);

async fn demo(backend: Backend) -> Option<(TestDatabase, App)> {
    let db = TestDatabase::new(backend).await?;
    let store = db.store().await;
    store.load_demo().await.expect("the demo");
    store.prepare_demo_workflow(2022).await.expect("the demo's accounts");
    Some((db, App::new(store)))
}

async fn caller(app: &App, login: &str) -> Context {
    let user = app.store().user(login).await.expect("a demo account");
    app.context(user.principal()).await.expect("the directory")
}

async fn review_signature(app: &App, ctx: &Context) -> (Vec<String>, String) {
    let cluster = app
        .store()
        .cluster(&ClusterCode::parse("HN-CUM2").unwrap(), 2022)
        .await
        .unwrap();
    let review = Arc::new(
        Review::load(app, &ctx.directory, &cluster, Period::HalfYear(2022, 1))
            .await
            .unwrap(),
    );
    let text = thidua_app::review::render(app, review.clone(), thidua_report::review::DEFAULT_TEMPLATE.into())
        .await
        .unwrap();
    let doc = review.document(&text);
    (doc.signatures[0].lines.clone(), doc.signatures[0].name.clone())
}

async fn the_review_is_signed_by_the_signers_the_chair_recorded_for_the_year(backend: Backend) {
    let Some((_db, app)) = demo(backend).await else { return };
    let chair = caller(&app, "cumtruong").await;
    assert_eq!(review_signature(&app, &chair).await.1, NO_SIGNER);

    let cluster = app
        .store()
        .cluster(&ClusterCode::parse("HN-CUM2").unwrap(), 2022)
        .await
        .unwrap();
    let signers = Signers {
        cluster: cluster.code.clone(),
        year: 2022,
        chair: Signer {
            authority: "TM. Ban Thường trực".into(),
            title: "Chủ tịch".into(),
            name: "Nguyễn Văn An".into(),
        },
        secretary: "Lê Thị Hoa".into(),
        teller: String::new(),
    };
    let officer = caller(&app, "thanhxuan").await;
    let refused = thidua_app::signers::record(&app, &officer, &cluster, signers.clone()).await;
    assert!(matches!(refused, Err(Error::Forbidden(_))), "{refused:?}");
    assert_eq!(review_signature(&app, &chair).await.1, NO_SIGNER);

    thidua_app::signers::record(&app, &chair, &cluster, signers)
        .await
        .unwrap();
    let (lines, name) = review_signature(&app, &chair).await;
    assert_eq!(lines, ["TM. BAN THƯỜNG TRỰC", "CHỦ TỊCH"]);
    assert_eq!(name, "Nguyễn Văn An");
    let stored = thidua_app::signers::of(&app, &cluster).await.unwrap().unwrap();
    assert_eq!(stored.secretary, "Lê Thị Hoa");
}
