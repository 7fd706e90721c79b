//! Shared by the HTTP tests: the real router over a demo database on either
//! backend, with a signed-in session for every demo account.

pub mod smtp_sink;

pub use thidua_store::testing::statements;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use thidua_core::{Period, Role, UnitCode};
pub use thidua_store::on_both_backends;
use thidua_store::testing::TestDatabase;
use thidua_store::{Backend, DEMO_ACCOUNTS, DEMO_PASSWORD, NewUser};
use thidua_web::{AppState, router};
use tower::ServiceExt;

/// The real router over a demo database, with the demo accounts and one officer of a
/// unit outside the cluster (`khac`, of HN-SOCSON).
pub struct TestApp {
    _db: TestDatabase,
    pub state: AppState,
    sessions: std::collections::HashMap<String, (String, String)>,
}

/// The current half-year: its reporting window is open today.
pub fn current_half() -> Period {
    Period::half_year_of(chrono::Local::now().date_naive())
}

impl TestApp {
    pub async fn with_demo(backend: Backend) -> Option<TestApp> {
        // Prepared once per test process and copied for each test (store's testing module).
        let db = TestDatabase::from_template(backend, "web-demo", |store| async move {
            store.load_demo().await.unwrap_or_else(|e| panic!("{e}"));
            store
                .prepare_demo_workflow(current_half().year())
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            store
                .import_units_csv("code,name,kind,parent\nHN-SOCSON,Ủy ban MTTQ Việt Nam huyện Sóc Sơn,district,HN\n")
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            store
                .create_user(NewUser {
                    username: "khac".into(),
                    display_name: "Cán bộ huyện Sóc Sơn".into(),
                    password: DEMO_PASSWORD.into(),
                    role: Role::Officer,
                    unit: Some(UnitCode::parse("HN-SOCSON").unwrap_or_else(|e| panic!("{e}"))),
                })
                .await
                .unwrap_or_else(|e| panic!("{e}"));
        })
        .await?;
        let store = db.store().await;
        let mut sessions = std::collections::HashMap::new();
        let names = DEMO_ACCOUNTS.iter().map(|a| a.0).chain(["khac"]);
        for name in names {
            let user = store.user(name).await.unwrap_or_else(|e| panic!("{e}"));
            let token = store.create_session(&user).await.unwrap_or_else(|e| panic!("{e}"));
            let csrf = store
                .session(&token)
                .await
                .ok()
                .flatten()
                .map(|s| s.csrf_token)
                .unwrap_or_default();
            sessions.insert(name.to_owned(), (token, csrf));
        }
        Some(TestApp {
            _db: db,
            state: AppState::new(store),
            sessions,
        })
    }

    pub async fn send(&self, request: Request<Body>) -> (StatusCode, axum::http::HeaderMap, String) {
        let response = router(self.state.clone())
            .oneshot(request)
            .await
            .unwrap_or_else(|e| match e {});
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response
            .into_body()
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        (status, headers, String::from_utf8_lossy(&bytes).into_owned())
    }

    pub fn cookie(&self, who: Option<&str>) -> String {
        who.and_then(|w| self.sessions.get(w))
            .map(|(token, _)| format!("thidua_session={token}"))
            .unwrap_or_default()
    }

    /// The anti-forgery token of a user's session.
    pub fn csrf(&self, who: &str) -> String {
        self.sessions.get(who).map(|(_, c)| c.clone()).unwrap_or_default()
    }

    pub async fn get_as(&self, who: Option<&str>, uri: &str) -> (StatusCode, axum::http::HeaderMap, String) {
        let request = Request::get(uri)
            .header(header::COOKIE, self.cookie(who))
            .body(Body::empty())
            .unwrap_or_else(|e| panic!("{e}"));
        self.send(request).await
    }

    /// A download as `who`, its body as bytes (a document, a workbook).
    pub async fn get_bytes_as(&self, who: Option<&str>, uri: &str) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
        let request = Request::get(uri)
            .header(header::COOKIE, self.cookie(who))
            .body(Body::empty())
            .unwrap_or_else(|e| panic!("{e}"));
        let response = router(self.state.clone())
            .oneshot(request)
            .await
            .unwrap_or_else(|e| match e {});
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response
            .into_body()
            .collect()
            .await
            .map(|b| b.to_bytes().to_vec())
            .unwrap_or_default();
        (status, headers, bytes)
    }

    /// Posts a form as `who`, with their anti-forgery token added.
    pub async fn post_as(
        &self,
        who: Option<&str>,
        uri: &str,
        fields: &[(&str, &str)],
    ) -> (StatusCode, axum::http::HeaderMap, String) {
        let csrf = who.map(|w| self.csrf(w)).unwrap_or_default();
        let mut body: Vec<String> = fields.iter().map(|(k, v)| format!("{k}={}", encode(v))).collect();
        if !fields.iter().any(|(k, _)| *k == "csrf") {
            body.push(format!("csrf={csrf}"));
        }
        let request = Request::post(uri)
            .header(header::COOKIE, self.cookie(who))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body.join("&")))
            .unwrap_or_else(|e| panic!("{e}"));
        self.send(request).await
    }

    /// The test's database, for reaching under the application as a database user could.
    /// The proposal form for a Bằng khen of the city to Trần Thị Bình of Tây Hồ, from
    /// Cụm 2's 2022 work, as the upper level fills it.
    pub const PERSON_PROPOSAL: [(&'static str, &'static str); 8] = [
        ("award", "BK-HN"),
        ("year", "2022"),
        ("kind", "individual"),
        ("unit", "HN-TAYHO"),
        ("name", "Trần Thị Bình"),
        ("person_title", "Phó Chủ tịch Ủy ban MTTQ quận Tây Hồ"),
        ("achievements", "Có nhiều đóng góp cho cuộc vận động"),
        ("cluster", "HN-CUM2"),
    ];

    /// The chair of the demo's Cụm 2 records who signs its 2022 documents, as the
    /// signers page does: the review cannot be issued before.
    pub async fn record_2022_signers(&self) {
        let (status, _, page) = self
            .post_as(
                Some("cumtruong"),
                "/clusters/HN-CUM2/signers",
                &[
                    ("period", "2022S1"),
                    ("authority", "TM. CỤM THI ĐUA SỐ 2"),
                    ("chair_title", "CỤM TRƯỞNG"),
                    ("chair_name", "Nguyễn Thị Hà"),
                    ("secretary", "Lê Văn Xuân"),
                    ("teller", "Phạm Thu Giang"),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{page}");
    }

    pub fn database(&self) -> &TestDatabase {
        &self._db
    }

    pub async fn get(&self, uri: &str) -> (StatusCode, axum::http::HeaderMap, String) {
        self.get_as(Some("admin"), uri).await
    }

    pub async fn json(&self, uri: &str) -> (StatusCode, serde_json::Value) {
        let (status, _, body) = self.get(uri).await;
        (
            status,
            serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}")),
        )
    }
}

pub fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            b' ' => "+".to_owned(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// For the login tests: requests from a chosen client address, and a restarted server.
impl TestApp {
    /// Posts a form as `who` (with their anti-forgery token) from the client address
    /// `from`, as a socket's peer address would reach the server.
    pub async fn post_from(
        &self,
        from: &str,
        who: Option<&str>,
        uri: &str,
        fields: &[(&str, &str)],
    ) -> (StatusCode, axum::http::HeaderMap, String) {
        let cookie = self.cookie(who);
        let csrf = who.map(|w| self.csrf(w)).unwrap_or_default();
        self.post_with_cookie(from, &cookie, &csrf, uri, fields).await
    }

    /// Posts a form with a raw `Cookie` header and anti-forgery token, from `from`.
    pub async fn post_with_cookie(
        &self,
        from: &str,
        cookie: &str,
        csrf: &str,
        uri: &str,
        fields: &[(&str, &str)],
    ) -> (StatusCode, axum::http::HeaderMap, String) {
        let mut body: Vec<String> = fields.iter().map(|(k, v)| format!("{k}={}", encode(v))).collect();
        if !fields.iter().any(|(k, _)| *k == "csrf") {
            body.push(format!("csrf={csrf}"));
        }
        let peer: std::net::SocketAddr = format!("{from}:40000")
            .parse()
            .unwrap_or_else(|e| panic!("client address {from}: {e}"));
        let mut request = Request::post(uri)
            .header(header::COOKIE, cookie)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body.join("&")))
            .unwrap_or_else(|e| panic!("{e}"));
        request.extensions_mut().insert(axum::extract::ConnectInfo(peer));
        self.send(request).await
    }

    /// A new server state over a new connection to the same database and key: what a
    /// restarted process starts with.
    pub async fn restarted_state(&self) -> AppState {
        AppState::new(self._db.store().await)
    }
}
