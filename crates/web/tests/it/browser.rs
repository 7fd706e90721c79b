//! The pages in a real browser: headless Chromium driven through chromedriver, against
//! the real server on a port of its own. Without Chromium the tests are skipped, except
//! under `CI=true`, where a missing browser is a failure (`.ci/run` installs it).

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use thidua_store::testing::TestDatabase;
use thidua_web::{AppState, launch};
use tokio::sync::oneshot;

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

/// The server with the demo loaded, and a browser pointed at it.
struct Session {
    base: String,
    client: Client,
    driver: Child,
    stop: Option<oneshot::Sender<()>>,
    _db: TestDatabase,
    _profile: std::path::PathBuf,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("no free port")
}

impl Session {
    async fn start() -> Option<Session> {
        Self::start_with(false).await
    }

    /// As [`Session::start`], with the illustrative post-reform demo loaded after the
    /// 2022 one when `reform` (as `serve --demo` loads it).
    async fn start_with(reform: bool) -> Option<Session> {
        if !std::path::Path::new(CHROMEDRIVER).exists() || !std::path::Path::new(CHROMIUM).exists() {
            assert!(
                std::env::var("CI").map_or(true, |v| v != "true"),
                "chromium and chromium-driver are required under CI=true"
            );
            eprintln!("skipped: chromium or chromedriver is not installed");
            return None;
        }
        let db = TestDatabase::sqlite();
        let store = db.store().await;
        store.load_demo().await.unwrap();
        let year = chrono::Datelike::year(&chrono::Local::now());
        store.prepare_demo_workflow(year).await.unwrap();
        if reform {
            store.load_reform_demo().await.unwrap();
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(launch(AppState::new(store), listener, async {
            let _ = stopped.await;
        }));

        let port = free_port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting chromedriver");
        let profile = std::env::temp_dir().join(format!("thidua-chromium-{port}"));
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({
                "binary": CHROMIUM,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--window-size=1280,1600", format!("--user-data-dir={}", profile.display()),
                ]
            }),
        );
        // The confirmation dialogs before irreversible steps are accepted as a user who
        // reads them and goes on would; a test that checks one reads it first
        // (`confirm_dialog`), which the accepting leaves possible.
        caps.insert("unhandledPromptBehavior".into(), serde_json::json!("accept"));
        // chromedriver takes a moment to listen; retry the session for up to 30 s.
        let url = format!("http://127.0.0.1:{port}");
        let mut last_error = String::new();
        for _ in 0..60 {
            // chromedriver is on loopback and speaks plain HTTP: no TLS stack to build.
            let mut builder = ClientBuilder::new(HttpConnector::new());
            builder.capabilities(caps.clone());
            match builder.connect(&url).await {
                Ok(client) => {
                    return Some(Session {
                        base,
                        client,
                        driver,
                        stop: Some(stop),
                        _db: db,
                        _profile: profile,
                    });
                }
                Err(e) => last_error = e.to_string(),
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        panic!("could not start a browser session: {last_error}");
    }

    async fn open(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap_or_else(|e| panic!("opening {path}: {e}"));
    }

    /// Signs in through the login page, as a person would.
    async fn login(&self, username: &str) {
        self.open("/login").await;
        let field = |css: &'static str| async move {
            self.client
                .find(Locator::Css(css))
                .await
                .unwrap_or_else(|e| panic!("{css}: {e}"))
        };
        field("#username").await.send_keys(username).await.unwrap();
        field("#password")
            .await
            .send_keys(thidua_store::DEMO_PASSWORD)
            .await
            .unwrap();
        field("section.login button").await.click().await.unwrap();
        self.wait_for_url("/").await;
    }

    async fn text_of(&self, css: &str) -> String {
        let element = self
            .client
            .wait()
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"));
        element.text().await.unwrap_or_else(|e| panic!("{css}: {e}"))
    }

    /// Waits (up to 10 s) until the browser has navigated to a URL ending with `part`,
    /// so that what is read next is the new page, not the one being left.
    async fn wait_for_url(&self, part: &str) {
        for _ in 0..100 {
            let current = self.client.current_url().await.unwrap();
            if current.as_str().ends_with(part) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the browser never reached a URL ending with {part}");
    }

    async fn finish(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = std::fs::remove_dir_all(&self._profile);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_cluster_page_shows_1_084_campaign_sessions_and_an_85_01_percent_cremation_rate() {
    let Some(session) = Session::start().await else { return };
    session.login("hadong").await;

    session.open("/clusters/HN-CUM2?period=2022S1").await;
    let main = session.text_of("main").await;

    assert!(main.contains("Cụm thi đua số 2"), "{main}");
    assert!(main.contains("1.084"), "{main}");
    assert!(main.contains("85,01"), "{main}");
    assert!(
        main.contains("10.266.500.000") && main.contains("trên 10 tỷ đồng"),
        "{main}"
    );
    assert!(main.contains("quận Hà Đông"));
    session.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_types_ha_dong_with_diacritics_into_search_and_reaches_the_district() {
    let Some(session) = Session::start().await else { return };
    session.login("admin").await;

    session.open("/").await;
    let input = session
        .client
        .find(Locator::Css("header form.search input[name=q]"))
        .await
        .unwrap();
    input.send_keys("Hà Đông").await.unwrap();
    session
        .client
        .find(Locator::Css("header form.search button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let results = session.text_of("ul.hits").await;
    assert!(results.contains("Ủy ban MTTQ Việt Nam quận Hà Đông"), "{results}");

    session
        .client
        .find(Locator::LinkText("Ủy ban MTTQ Việt Nam quận Hà Đông"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    session.wait_for_url("/units/HN-HADONG").await;
    let page = session.text_of("main").await;
    assert!(page.contains("2.350.000.000") && page.contains("98,14"), "{page}");
    session.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn choosing_the_whole_year_in_the_period_selector_shows_the_year_s_figures() {
    let Some(session) = Session::start().await else { return };
    session.login("cumtruong").await;

    session.open("/clusters/HN-CUM2?period=2022S1").await;
    let select = session.client.find(Locator::Css("select#period")).await.unwrap();
    select.select_by_value("2022").await.unwrap();
    session
        .client
        .find(Locator::Css("form.period button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    session.wait_for_url("period=2022").await;
    let current = session.client.current_url().await.unwrap();
    assert!(current.as_str().ends_with("period=2022"), "{current}");

    let title = session.text_of("h2.period-title").await;
    assert_eq!(title, "Số liệu Năm 2022");
    assert!(session.text_of("main").await.contains("1.084"));
    session.finish().await;
}

impl Session {
    async fn type_into(&self, css: &str, text: &str) {
        let field = self
            .client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"));
        field.clear().await.unwrap_or_else(|e| panic!("{css}: {e}"));
        field.send_keys(text).await.unwrap_or_else(|e| panic!("{css}: {e}"));
    }

    async fn click(&self, css: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
            .click()
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"));
    }

    /// The question of the confirmation dialog a click opened, accepted (as "OK").
    async fn confirm_dialog(&self) -> String {
        for _ in 0..50 {
            if let Ok(text) = self.client.get_alert_text().await {
                self.client
                    .accept_alert()
                    .await
                    .unwrap_or_else(|e| panic!("accept: {e}"));
                return text;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("no confirmation dialog opened");
    }

    async fn logout(&self) {
        self.click("nav.me form button").await;
        self.wait_for_url("/login").await;
    }

    /// Waits (up to 10 s) until `css` holds `text`: the page after a form post.
    async fn wait_for_text(&self, css: &str, text: &str) -> String {
        let mut last = String::new();
        for _ in 0..100 {
            if let Ok(element) = self.client.find(Locator::Css(css)).await {
                last = element.text().await.unwrap_or_default();
                if last.contains(text) {
                    return last;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let page = match self.client.find(Locator::Css("main")).await {
            Ok(main) => main.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        panic!("{css} never showed {text:?}; last: {last}; page: {page}");
    }
}

fn current_half() -> thidua_core::Period {
    thidua_core::Period::half_year_of(chrono::Local::now().date_naive())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_officer_enters_and_submits_the_chair_accepts_and_the_cluster_page_shows_the_figure() {
    let Some(session) = Session::start().await else { return };
    let period = current_half();
    let form = format!("/units/HN-TAYHO/forms/{period}");

    session.login("tayho").await;
    session.open(&form).await;
    session.type_into("#v_HV_TUYEN_TRUYEN", "1084").await;
    session.type_into("#v_QUY_VI_NGUOI_NGHEO", "1,2 tỷ").await;
    // Leaving the field keeps what was typed: the browser never rewrites it.
    session.click("#v_HV_HOI_CHO").await;
    let shown = session
        .client
        .find(Locator::Css("#v_HV_TUYEN_TRUYEN"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(shown.as_deref(), Some("1084"));
    // A broken rule is flagged while typing.
    session.type_into("#v_TTND_PHAT_HIEN", "2").await;
    session.type_into("#v_TTND_KIEN_NGHI", "5").await;
    let warning = session
        .wait_for_text("#rule-errors", "số vụ vi phạm phát hiện (2)")
        .await;
    assert!(warning.contains("giải quyết (5) không được lớn hơn"), "{warning}");
    session.type_into("#v_TTND_KIEN_NGHI", "2").await;
    session
        .type_into("#results", "Tổ chức thành công Ngày hội Đại đoàn kết ở 100% khu dân cư")
        .await;
    session.click("button[value=submit]").await;
    let question = session.confirm_dialog().await;
    assert!(question.starts_with("Gửi báo cáo để duyệt?"), "{question}");
    // Figures are still missing: the page names them and asks before sending.
    let missing = session.wait_for_text("#missing", "chưa có số liệu").await;
    assert!(missing.contains("Số đám tang"), "{missing}");
    session.wait_for_text("#state", "Đang soạn").await;
    session.click("button[value=submit_anyway]").await;
    let question = session.confirm_dialog().await;
    assert!(question.contains("chưa có số liệu"), "{question}");
    session.wait_for_text("#state", "Đã gửi, chờ duyệt").await;
    session.logout().await;

    session.login("cumtruong").await;
    session.open(&form).await;
    session.click("form.review button[value=accept]").await;
    session.wait_for_text("#state", "Đã duyệt").await;
    session.open(&format!("/clusters/HN-CUM2?period={period}")).await;
    let page = session.text_of("main").await;
    assert!(page.contains("1.084") && page.contains("1.200.000.000"), "{page}");
    assert!(page.contains("Đã duyệt"));
    session.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_returned_form_shows_its_reason_and_is_submitted_again() {
    let Some(session) = Session::start().await else { return };
    let form = format!("/units/HN-CAUGIAY/forms/{}", current_half());

    session.login("caugiay").await;
    session.open(&form).await;
    session.type_into("#v_HV_HOI_CHO", "2").await;
    session.click("button[value=submit]").await;
    session.wait_for_text("#missing", "chưa có số liệu").await;
    session.click("button[value=submit_anyway]").await;
    session.wait_for_text("#state", "Đã gửi").await;
    session.logout().await;

    session.login("cumtruong").await;
    session.open(&form).await;
    session
        .type_into("#reason", "Thiếu số liệu Quỹ \"Vì người nghèo\"")
        .await;
    session.click("form.review button[value=return]").await;
    session.wait_for_text("#state", "Bị trả lại").await;
    session.logout().await;

    session.login("caugiay").await;
    session.open(&form).await;
    let page = session.text_of("main").await;
    assert!(page.contains("Thiếu số liệu Quỹ \"Vì người nghèo\""), "{page}");
    session.type_into("#v_QUY_VI_NGUOI_NGHEO", "230.000.000").await;
    session.click("button[value=submit]").await;
    session.wait_for_text("#missing", "chưa có số liệu").await;
    session.click("button[value=submit_anyway]").await;
    session.wait_for_text("#state", "Đã gửi, chờ duyệt").await;
    session.finish().await;
}

impl Session {
    /// The number at the end of the current address ("/ballots/3" → 3).
    async fn id_in_url(&self) -> String {
        let url = self.client.current_url().await.unwrap();
        url.path().rsplit('/').next().unwrap_or_default().to_owned()
    }

    /// Every element `css` matches, clicked in turn.
    async fn click_all(&self, css: &str) {
        let elements = self
            .client
            .find_all(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"));
        assert!(!elements.is_empty(), "nothing matches {css}");
        for e in elements {
            e.click().await.unwrap_or_else(|err| panic!("{css}: {err}"));
        }
    }

    /// Casts the paper of the signed-in officer's unit on ballot `id`: the members ranked
    /// in the paper's order, Tây Hồ chosen wherever one unit is chosen, Tây Hồ and Cầu
    /// Giấy for the Bằng khen.
    async fn cast_paper(&self, id: &str) {
        self.open(&format!("/ballots/{id}")).await;
        self.fill_and_send_paper().await;
    }

    /// Fills the paper on screen as [`Session::cast_paper`] does and sends it.
    async fn fill_and_send_paper(&self) {
        let ranks = self.client.find_all(Locator::Css("form.paper select")).await.unwrap();
        assert_eq!(ranks.len(), 6, "one place to give each of the six members");
        for (place, select) in ranks.into_iter().enumerate() {
            select.select_by_value(&(place + 1).to_string()).await.unwrap();
        }
        self.click_all("form.paper input[type=radio][value=HN-TAYHO]").await;
        self.click_all("form.paper input[type=checkbox][value=HN-TAYHO]").await;
        self.click_all("form.paper input[type=checkbox][value=HN-CAUGIAY]")
            .await;
        self.click("form.paper button[type=submit]").await;
        self.wait_for_text("section.voters", "✓").await;
    }
}

/// The second half of the demo cluster's 2022 emulation year: the chair opens the vote,
/// each of the six members casts its one paper, the chair closes and counts it, proposes
/// the Cờ thi đua for the unit the vote acclaimed, the city reviews, escalates and
/// decides it, and the award appears in the unit's history.
async fn the_members_vote_and_the_city_s_award_decision_reaches_the_unit_s_history(session: &Session) {
    session.login("cumtruong").await;
    session.open("/clusters/HN-CUM2/emulation?year=2022").await;
    session.click("a[href='/clusters/HN-CUM2/ballots?year=2022']").await;
    session.wait_for_url("/clusters/HN-CUM2/ballots?year=2022").await;
    session.click("form.ballot-open button[type=submit]").await;
    session.wait_for_text("section.voters", "0/6").await;
    let ballot = session.id_in_url().await;
    session.logout().await;

    // Hà Đông's paper is cast by its officer; the chair, also of Hà Đông, then has none.
    for officer in ["hadong", "thanhxuan", "caugiay", "tayho", "bactuliem", "namtuliem"] {
        session.login(officer).await;
        session.cast_paper(&ballot).await;
        let page = session.text_of("main").await;
        assert!(!page.contains("Gửi phiếu"), "{officer} cannot vote twice: {page}");
        session.logout().await;
    }

    session.login("cumtruong").await;
    session.open(&format!("/ballots/{ballot}")).await;
    assert!(session.text_of("section.voters").await.contains("6/6"));
    session.click("form[action$='/close'] button").await;
    let count = session.wait_for_text("section.tally", "Kết quả kiểm phiếu").await;
    assert!(count.contains("Số phiếu thu vào: 6"), "{count}");
    assert!(count.contains("Tây Hồ"), "{count}");
    // The first result that can be proposed is the leading unit's: the Cờ thi đua.
    session.click("form.propose button").await;
    session.wait_for_url("year=2022").await;
    let proposals = session.text_of("main").await;
    assert!(proposals.contains("quận Tây Hồ"), "{proposals}");
    session.logout().await;

    session.login("thanhpho").await;
    session.open("/awards?cluster=HN-CUM2&year=2022").await;
    let decision = session.review_escalate_and_decide().await;
    assert!(decision.contains("quận Tây Hồ"), "{decision}");
    session.logout().await;

    session.login("tayho").await;
    session.open("/units/HN-TAYHO/awards").await;
    let history = session.text_of("main").await;
    assert!(
        history.contains("125/QĐ-MTTQ-BTT") && history.contains("Cờ thi đua") && history.contains("2022"),
        "{history}"
    );
}

impl Session {
    /// Types `points` into every manual line of the score sheet on screen (computed lines
    /// are read-only and fill themselves) and saves it.
    async fn score_every_manual_line(&self, points: &str) {
        let fields = self
            .client
            .find_all(Locator::Css("form.sheet input.points[name^=p_]"))
            .await
            .unwrap();
        assert!(!fields.is_empty(), "the sheet has lines scored by hand");
        for field in fields {
            let name = field.attr("name").await.ok().flatten().unwrap_or_default();
            // Bonus and penalty lines stay empty: nothing earned, nothing taken.
            let value = if name.starts_with("p_T") { "" } else { points };
            field.clear().await.unwrap();
            field.send_keys(value).await.unwrap();
        }
        self.click("form.sheet button[type=submit]").await;
    }
}

/// The first half of the demo cluster's 2022 emulation year in the browser: the criteria
/// the city published, Tây Hồ's pledge, the chair signing it, then Tây Hồ's score in three
/// steps — itself, the cluster, the city — side by side and in the ranking, and the
/// year's page telling where each step stands.
async fn a_member_pledges_and_is_scored_in_three_steps_into_the_ranking(session: &Session) {
    session.login("tayho").await;
    session.open("/clusters/HN-CUM2/emulation?year=2022").await;
    session.click("a[href='/clusters/HN-CUM2/criteria?year=2022']").await;
    let criteria = session.wait_for_text("main", "II.2").await;
    assert!(
        criteria.contains("thang điểm") || criteria.contains("Thang điểm"),
        "{criteria}"
    );
    assert!(criteria.contains("tỷ lệ hỏa táng"), "{criteria}");

    session.open("/clusters/HN-CUM2/pledge?year=2022").await;
    session
        .click("form.pledge-register input[name=title][value='Hoàn thành xuất sắc nhiệm vụ']")
        .await;
    session
        .type_into("form.pledge-register #t_HV_TUYEN_TRUYEN", "250")
        .await;
    session
        .type_into("form.pledge-register #signer_name", "Nguyễn Thị Hoa")
        .await;
    session.click("form.pledge-register button[type=submit]").await;
    let pledge = session.wait_for_text("main", "Nguyễn Thị Hoa").await;
    assert!(pledge.contains("Hoàn thành xuất sắc nhiệm vụ"), "{pledge}");

    session.open("/units/HN-TAYHO/scores/2022/self").await;
    session.score_every_manual_line("2").await;
    session.wait_for_text("main", "Đã lưu").await;
    session.logout().await;

    session.login("cumtruong").await;
    session.open("/clusters/HN-CUM2/pledge?year=2022").await;
    session
        .type_into("#commitments", "Thực hiện tốt các cuộc vận động, phong trào thi đua")
        .await;
    session.type_into("#place", "quận Hà Đông").await;
    session
        .client
        .execute("document.querySelector('#signed_on').value = '2022-03-15'", vec![])
        .await
        .unwrap();
    session.click("form[action*='/pledge/sign'] button[type=submit]").await;
    let signed = session.wait_for_text("main", "15/3/2022").await;
    assert!(signed.contains("Thực hiện tốt các cuộc vận động"), "{signed}");

    // The cluster lowers one line of Tây Hồ's self-score.
    session.open("/units/HN-TAYHO/scores/2022/cluster").await;
    session.type_into("#p_I\\.1", "1,5").await;
    session.click("form.sheet button[type=submit]").await;
    session.wait_for_text("main", "Đã lưu").await;
    session.logout().await;

    session.login("thanhpho").await;
    session.open("/units/HN-TAYHO/scores/2022/upper").await;
    session.type_into("#p_I\\.2", "5").await;
    session.click("form.sheet button[type=submit]").await;
    session.wait_for_text("main", "Đã lưu").await;

    session.open("/units/HN-TAYHO/scores/2022").await;
    let compare = session.text_of("table.compare").await;
    assert!(
        compare.contains("I.1 Tuyên truyền") && compare.contains(" 5 2 1,5 1,5 1,5"),
        "the unit's 2 beside the cluster's 1,5: {compare}"
    );
    let differing = session
        .client
        .find_all(Locator::Css("table.compare tr.differs"))
        .await
        .unwrap();
    assert!(
        differing.len() >= 2,
        "the lines the cluster and the city changed stand out"
    );

    session.open("/clusters/HN-CUM2/scores?year=2022").await;
    let ranking = session.text_of("table.ranking").await;
    assert!(ranking.contains("quận Tây Hồ"), "{ranking}");

    session.open("/clusters/HN-CUM2/emulation?year=2022").await;
    let hub = session.text_of("main").await;
    assert!(hub.contains("Đang dùng phiên bản 1, thang điểm 100."), "{hub}");
    assert!(hub.contains("1/6 đơn vị đã đăng ký. Đã ký ngày 15/3/2022."), "{hub}");
    assert!(hub.contains("1/6 đơn vị đã có điểm."), "{hub}");
}

/// The whole emulation year of the demo cluster, 2022, on one server, as its people do
/// it in the browser: criteria, pledge, scores in three steps, the secret vote with its
/// count, and the award decision in the unit's history.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chair_and_its_members_run_the_whole_2022_emulation_year_in_the_browser() {
    let Some(session) = Session::start().await else { return };
    a_member_pledges_and_is_scored_in_three_steps_into_the_ranking(&session).await;
    session.logout().await;
    the_members_vote_and_the_city_s_award_decision_reaches_the_unit_s_history(&session).await;
    session.finish().await;
}

impl Session {
    /// Waits until the chart of `kind` in `section` is drawn: a canvas inside it.
    async fn drawn_chart(&self, section: &str, kind: &str) -> fantoccini::elements::Element {
        let css = format!("{section} [data-chart-kind={kind}][data-chart-state=drawn] canvas");
        self.client
            .wait()
            .for_element(Locator::Css(&css))
            .await
            .unwrap_or_else(|e| panic!("no drawn {kind} chart in {section}: {e}"))
    }

    /// What the content-security policy refused on the page, as charts.js noted it.
    async fn csp_violations(&self) -> String {
        let seen = self
            .client
            .execute("return document.body.dataset.cspViolations || '';", Vec::new())
            .await
            .unwrap();
        seen.as_str().unwrap_or_default().to_owned()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_cluster_page_draws_its_members_and_totals_charts_beside_their_tables() {
    let Some(session) = Session::start().await else { return };
    session.login("hadong").await;

    session.open("/clusters/HN-CUM2?period=2022S1").await;
    // The table first: the members ranked on the cremation rate, with its target.
    let table = session.text_of("section.comparison table").await;
    assert!(table.contains("quận Cầu Giấy") && table.contains("98,69"), "{table}");
    assert!(table.contains("Tỷ lệ chung của cụm: 85,01"), "{table}");
    let bars = session.drawn_chart("section.comparison", "members").await;
    session.drawn_chart("section.totals", "totals").await;
    assert!(session.text_of("section.totals table").await.contains("85,01"));
    // A tooltip is drawn on the canvas too: pointing at the bars needs nothing the
    // content-security policy refuses.
    use fantoccini::actions::{InputSource, MouseActions, PointerAction};
    let point = MouseActions::new("mouse".into()).then(PointerAction::MoveToElement {
        element: bars,
        duration: Some(Duration::from_millis(200)),
        x: 0.0,
        y: 0.0,
    });
    session.client.perform_actions(point).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(session.csp_violations().await, "");

    session.open("/units/HN-HADONG?period=2022S1").await;
    session.drawn_chart("section.trend", "trend").await;
    assert!(session.text_of("section.trend table").await.contains("98,14"));
    assert_eq!(session.csp_violations().await, "");
    session.finish().await;
}

impl Session {
    /// The text of the cell of the comparison table in the column headed `column` and the
    /// row of the member whose name contains `member`; `None` without such a cell.
    async fn comparison_cell(&self, column: &str, member: &str) -> Option<String> {
        self.text_of("table.figures.comparison").await;
        let found = self
            .client
            .execute(
                "const [column, member] = arguments;
                 const table = document.querySelector('table.figures.comparison');
                 const heads = [...table.tHead.rows[0].cells].map(c => c.textContent.trim());
                 const at = heads.indexOf(column);
                 const row = [...table.tBodies[0].rows].find(r => r.cells[0].textContent.includes(member));
                 return at < 0 || !row ? null : row.cells[at].textContent.trim();",
                vec![column.into(), member.into()],
            )
            .await
            .unwrap();
        found.as_str().map(str::to_owned)
    }

    /// The query parameters of the page the browser is on.
    async fn query_pairs(&self) -> Vec<(String, String)> {
        let url = self.client.current_url().await.unwrap();
        url.query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }
}

/// A whole number as the pages write it ("1.020") read back.
fn vi_integer(text: &str) -> i64 {
    text.replace('.', "")
        .parse()
        .unwrap_or_else(|e| panic!("«{text}» is not a whole number: {e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_upper_level_switches_the_wards_cluster_to_today_s_tree_and_sees_the_districts_2022_summed() {
    let Some(session) = Session::start_with(true).await else {
        return;
    };
    session.login("thanhpho").await;

    // The two districts that became phường Hà Đông, as their own 2022 cluster shows them.
    session
        .open("/clusters/HN-CUM2?period=2022S1&indicator=TANG_SO_DAM")
        .await;
    let mut districts = 0;
    for district in ["quận Hà Đông", "quận Thanh Xuân"] {
        let text = session
            .comparison_cell("6 tháng đầu năm 2022", district)
            .await
            .unwrap_or_else(|| panic!("{district} on the 2022 cluster's page"));
        assert!(vi_integer(&text) > 0, "{district}: {text}");
        districts += vi_integer(&text);
    }

    let path = "/clusters/HN-CUMPHUONG1?period=2026S1&indicator=TANG_SO_DAM&against=2022S1";
    session.open(path).await;
    let switch = session.text_of("nav.tree-switch").await;
    assert_eq!(
        session.text_of("nav.tree-switch [aria-current=page]").await,
        "theo tổ chức tại kỳ báo cáo",
        "{switch}"
    );
    assert!(
        session
            .text_of("nav.tree-switch + p.muted")
            .await
            .starts_with("Đang xem theo tổ chức tại kỳ báo cáo"),
        "the page says which view it shows"
    );
    assert_eq!(
        session
            .comparison_cell("6 tháng đầu năm 2022", "phường Hà Đông")
            .await
            .as_deref(),
        Some("—"),
        "on the tree as it was, the ward had no 2022"
    );

    session.click("nav.tree-switch a").await;
    session.wait_for_url("tree=current").await;
    assert_eq!(
        session.text_of("nav.tree-switch [aria-current=page]").await,
        "theo tổ chức hiện nay"
    );
    let said = session.text_of("nav.tree-switch + p.muted").await;
    assert!(
        said.starts_with("Đang xem theo tổ chức hiện nay")
            && said.contains("tổng số liệu của các đơn vị trước hợp nhất"),
        "{said}"
    );
    let ward = session
        .comparison_cell("6 tháng đầu năm 2022", "phường Hà Đông")
        .await
        .expect("phường Hà Đông on today's tree");
    assert_eq!(
        vi_integer(&ward),
        districts,
        "the ward's 2022S1 is its districts': {ward}"
    );
    assert!(ward.contains('.'), "written Vietnamese style: {ward}");

    // The link kept the period, the indicator and the period compared with.
    let query = session.query_pairs().await;
    for (key, value) in [
        ("period", "2026S1"),
        ("indicator", "TANG_SO_DAM"),
        ("against", "2022S1"),
        ("tree", "current"),
    ] {
        assert!(
            query.iter().any(|(k, v)| k == key && v == value),
            "{key}={value} in {query:?}"
        );
    }
    let chosen = session
        .client
        .execute(
            "return [document.getElementById('indicator').value, document.getElementById('against').value];",
            Vec::new(),
        )
        .await
        .unwrap();
    assert_eq!(chosen, serde_json::json!(["TANG_SO_DAM", "2022S1"]));

    // And back: the tree as it was, with the same period and indicator.
    session.click("nav.tree-switch a").await;
    session.wait_for_url("against=2022S1").await;
    assert_eq!(
        session.text_of("nav.tree-switch [aria-current=page]").await,
        "theo tổ chức tại kỳ báo cáo"
    );
    let query = session.query_pairs().await;
    assert!(
        query.iter().any(|(k, v)| k == "period" && v == "2026S1")
            && query.iter().any(|(k, v)| k == "indicator" && v == "TANG_SO_DAM")
            && !query.iter().any(|(k, _)| k == "tree"),
        "{query:?}"
    );
    session.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_rule_is_said_once_by_the_indicators_names_as_typed_and_as_saved() {
    let Some(session) = Session::start().await else {
        return;
    };
    let form = format!("/units/HN-TAYHO/forms/{}", current_half());
    session.login("tayho").await;
    session.open(&form).await;
    // Both links of «đã giải quyết ≤ kiến nghị ≤ phát hiện» broken at once.
    session.type_into("#v_TTND_DA_GIAI_QUYET", "12").await;
    session.type_into("#v_TTND_KIEN_NGHI", "10").await;
    session.type_into("#v_TTND_PHAT_HIEN", "9").await;
    let typed = session
        .wait_for_text("#rule-errors", "số vụ vi phạm phát hiện (9)")
        .await;
    assert!(!typed.contains("TTND_"), "names, not codes: {typed}");
    assert!(
        typed.contains(
            "số vụ đã được cơ quan có thẩm quyền giải quyết (12) không được lớn hơn \
             số vụ kiến nghị cơ quan có thẩm quyền giải quyết (10); "
        ),
        "{typed}"
    );
    assert_eq!(
        typed.matches("số vụ đã giải quyết không được vượt").count(),
        1,
        "the rule is said once, not once a link: {typed}"
    );
    // The server says the very same when the draft is saved.
    session.click("button[value=save]").await;
    let saved = session.wait_for_text("main", "chưa khớp các quy tắc").await;
    assert!(saved.contains(&typed), "{typed}\n— as saved —\n{saved}");
    session.finish().await;
}

/// The Rust parser's table of typed numbers (`crates/core/src/number_cases.tsv`): what is
/// typed (its `\u{…}` and `\t` escapes decoded) and the value type.
fn number_cases() -> Vec<(String, thidua_core::ValueType)> {
    fn unescape(text: &str) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(at) = rest.find('\\') {
            out.push_str(&rest[..at]);
            rest = &rest[at..];
            if let Some(tail) = rest.strip_prefix("\\t") {
                out.push('\t');
                rest = tail;
            } else if let Some((code, tail)) = rest.strip_prefix("\\u{").and_then(|r| r.split_once('}')) {
                let c = u32::from_str_radix(code, 16).ok().and_then(char::from_u32);
                out.push(c.unwrap_or_else(|| panic!("bad escape \\u{{{code}}}")));
                rest = tail;
            } else {
                out.push('\\');
                rest = &rest[1..];
            }
        }
        out.push_str(rest);
        out
    }
    include_str!("../../../core/src/number_cases.tsv")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|line| {
            let columns: Vec<&str> = line.split('\t').collect();
            assert_eq!(columns.len(), 3, "{line:?}");
            let kind = thidua_core::ValueType::parse(columns[1]).unwrap_or_else(|e| panic!("{e}: {line:?}"));
            (unescape(columns[0]), kind)
        })
        .collect()
}

/// What the server's `Value::parse` makes of `typed`, in the shape of the script's answer.
fn as_the_server_reads(typed: &str, kind: thidua_core::ValueType) -> serde_json::Value {
    match thidua_core::Value::parse(typed, kind) {
        Ok(thidua_core::Value::Whole(n)) => serde_json::json!({ "whole": n.to_string() }),
        Ok(thidua_core::Value::Decimal(x)) => serde_json::json!({ "decimal": x }),
        Ok(thidua_core::Value::Text(t)) => serde_json::json!({ "text": t }),
        Err(e) => serde_json::json!({ "error": e.to_string() }),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_form_s_script_reads_every_typed_number_of_the_shared_table_as_the_server_does() {
    let Some(session) = Session::start().await else {
        return;
    };
    session.login("tayho").await;
    session.open(&format!("/units/HN-TAYHO/forms/{}", current_half())).await;
    session.text_of("#entry").await;
    let cases = number_cases();
    let sent: Vec<serde_json::Value> = cases
        .iter()
        .map(|(typed, kind)| serde_json::json!([typed, kind.as_str()]))
        .collect();
    let answers = session
        .client
        .execute(
            "return arguments[0].map(([typed, kind]) => window.thiduaNumbers.check(typed, kind));",
            vec![serde_json::Value::Array(sent)],
        )
        .await
        .unwrap();
    let answers = answers.as_array().expect("one answer a case");
    assert_eq!(answers.len(), cases.len());
    for ((typed, kind), script) in cases.iter().zip(answers) {
        let server = as_the_server_reads(typed, *kind);
        // JSON writes a whole double as an integer: decimals compare as numbers.
        let same = match (script["decimal"].as_f64(), server["decimal"].as_f64()) {
            (Some(a), Some(b)) => a == b,
            _ => script == &server,
        };
        assert!(
            same,
            "{typed:?} as {kind:?}: the script reads {script}, the server {server}"
        );
    }
}

impl Session {
    /// What field `code` holds now, as typed.
    async fn field_value(&self, code: &str) -> String {
        self.client
            .find(Locator::Css(&format!("#v_{code}")))
            .await
            .unwrap_or_else(|e| panic!("{code}: {e}"))
            .prop("value")
            .await
            .unwrap_or_else(|e| panic!("{code}: {e}"))
            .unwrap_or_default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_figure_stays_as_typed_and_what_the_server_would_refuse_is_said_beside_it_before_submit() {
    let Some(session) = Session::start().await else {
        return;
    };
    let form = format!("/units/HN-TAYHO/forms/{}", current_half());
    session.login("tayho").await;
    session.open(&form).await;
    // Too large for a sum of money, however written: kept as typed (never «1e+23», never
    // fewer digits) and refused beside the field in the server's words.
    for typed in ["99999999999999999999999", "999.999.999.999.999.999.999"] {
        session.type_into("#v_QUY_VI_NGUOI_NGHEO", typed).await;
        session.click("#v_HV_TUYEN_TRUYEN").await;
        assert_eq!(session.field_value("QUY_VI_NGUOI_NGHEO").await, typed);
        let said = session.text_of("#e_QUY_VI_NGUOI_NGHEO").await;
        assert!(
            said.contains(&format!("«{typed}»")) && said.contains("số quá lớn"),
            "{said}"
        );
    }
    // A count is a whole number, never below zero: both said at once, before any submit.
    for (typed, why) in [("-5", "không được là số âm"), ("2,5", "phải là số nguyên")] {
        session.type_into("#v_HV_HOI_CHO", typed).await;
        session.click("#v_HV_TUYEN_TRUYEN").await;
        assert_eq!(session.field_value("HV_HOI_CHO").await, typed);
        let said = session.text_of("#e_HV_HOI_CHO").await;
        assert_eq!(
            said,
            format!("Số hội chợ và phiên chợ hàng Việt Nam: giá trị «{typed}» không hợp lệ: {why}")
        );
    }
    // A good figure clears the field's message and is not rewritten either.
    session.type_into("#v_HV_TUYEN_TRUYEN", "1084").await;
    session.click("#v_HV_CHUYEN_HANG").await;
    assert_eq!(session.field_value("HV_TUYEN_TRUYEN").await, "1084");
    assert_eq!(session.text_of("#e_HV_TUYEN_TRUYEN").await, "");
    // The server, sent the same text, refuses it with the very words said beside it.
    let beside = session.text_of("#e_HV_HOI_CHO").await;
    session.click("button[value=save]").await;
    session.wait_for_text("main", "Chưa lưu: có ô nhập chưa đúng").await;
    assert_eq!(session.text_of("#e_HV_HOI_CHO").await, beside);
    assert_eq!(session.field_value("HV_HOI_CHO").await, "2,5");
    session.finish().await;
}

impl Session {
    /// On the awards page of the cluster's year, as the city: reviews and escalates the
    /// one proposal and records Quyết định 125/QĐ-MTTQ-BTT for it; returns the page of
    /// the decision.
    async fn review_escalate_and_decide(&self) -> String {
        self.click("button[name=action][value=review]").await;
        self.wait_for_text("main", "Đã thẩm định").await;
        self.click("button[name=action][value=escalate]").await;
        self.wait_for_text("main", "Đã trình cấp trên").await;
        self.click("form.decision input[name=proposal]").await;
        self.type_into("form.decision #number", "125/QĐ-MTTQ-BTT").await;
        // Signed early in the next year, as year-end decisions are; a date field is set
        // the way its picker would set it.
        self.client
            .execute(
                "document.querySelector('form.decision #signed_on').value = '2023-01-15'",
                vec![],
            )
            .await
            .unwrap();
        self.click("form.decision button[type=submit]").await;
        self.wait_for_text("main", "125/QĐ-MTTQ-BTT").await
    }

    /// Clicks the line of the home page's to-do list whose text holds `text`.
    async fn click_task(&self, text: &str) {
        let xpath = format!("//section[contains(@class,'todo')]//a[contains(normalize-space(.), '{text}')]");
        self.client
            .wait()
            .for_element(Locator::XPath(&xpath))
            .await
            .unwrap_or_else(|e| panic!("no task «{text}» on the to-do list: {e}"))
            .click()
            .await
            .unwrap_or_else(|e| panic!("task «{text}»: {e}"));
    }

    /// The to-do list on the home page.
    async fn to_do(&self) -> String {
        self.open("/").await;
        self.text_of("section.todo").await
    }

    /// Keeps a screenshot of the page as `name`.png in the folder THIDUA_SCREENSHOTS names,
    /// when it names one (for describing the pages; the assertions are elsewhere).
    async fn keep_screenshot(&self, name: &str) {
        if let Some(dir) = std::env::var_os("THIDUA_SCREENSHOTS") {
            let png = self.client.screenshot().await.unwrap();
            std::fs::write(std::path::Path::new(&dir).join(format!("{name}.png")), png).unwrap();
        }
    }

    /// The page as the browser prints it (its print stylesheet), as text: the PDF the
    /// WebDriver print command returns, read by pdftotext. Kept as `name`.pdf beside
    /// the screenshots when THIDUA_SCREENSHOTS names a folder.
    async fn printed_text(&self, name: &str) -> String {
        let pdf = self
            .client
            .print(fantoccini::wd::PrintConfiguration::default())
            .await
            .unwrap_or_else(|e| panic!("printing: {e}"));
        let dir = std::env::var_os("THIDUA_SCREENSHOTS")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| self._profile.clone());
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{name}.pdf"));
        std::fs::write(&path, &pdf).unwrap();
        match Command::new("pdftotext").arg("-layout").arg(&path).arg("-").output() {
            Ok(out) => String::from_utf8_lossy(&out.stdout).into_owned(),
            Err(e) => {
                assert!(
                    std::env::var("CI").map_or(true, |v| v != "true"),
                    "pdftotext is required under CI=true: {e}"
                );
                String::new()
            }
        }
    }
}

/// Each role starts from its home page and follows what it lists, and nothing else,
/// through one cycle: Tây Hồ's officer sends the half-year's form from its to-do line;
/// the chair decides it from "Biểu mẫu chờ duyệt"; the members vote from "Bỏ phiếu đang
/// mở" and the chair closes the vote from there once all have; the city decides the
/// proposal from "Đề nghị khen thưởng chờ xử lý"; Tây Hồ reads the decision from its
/// notifications. Each list is empty of the finished task afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_role_follows_its_to_do_list_from_the_home_page_to_the_end_of_the_cycle() {
    let Some(session) = Session::start().await else { return };
    let period = current_half();
    let label = period.label_vi();
    let form = format!("/units/HN-TAYHO/forms/{period}");

    // The officer: the unit's form.
    session.login("tayho").await;
    let todo = session.text_of("section.todo").await;
    assert!(
        todo.contains("Báo cáo của đơn vị cần gửi") && todo.contains(&format!("{label} — chưa nhập")),
        "{todo}"
    );
    assert!(
        todo.contains("hạn nộp") || todo.contains("Hạn nộp"),
        "with its deadline: {todo}"
    );
    session.keep_screenshot("trang-chu-can-bo").await;
    session.click_task(&format!("{label} — chưa nhập")).await;
    session.wait_for_url(&form).await;
    session.type_into("#v_HV_TUYEN_TRUYEN", "1084").await;
    session.click("button[value=submit]").await;
    session.wait_for_text("#missing", "chưa có số liệu").await;
    session.click("button[value=submit_anyway]").await;
    session.wait_for_text("#state", "Đã gửi, chờ duyệt").await;
    let todo = session.to_do().await;
    assert!(
        !todo.contains(&format!("{label} — ")),
        "sent, it no longer waits: {todo}"
    );
    session.logout().await;

    // The chair: the form waiting for its decision.
    session.login("cumtruong").await;
    let todo = session.text_of("section.todo").await;
    assert!(
        todo.contains("Biểu mẫu chờ duyệt (1)") && todo.contains(&format!("Tây Hồ — {label}")),
        "{todo}"
    );
    session.keep_screenshot("trang-chu-cum-truong").await;
    session.click_task(&format!("Tây Hồ — {label}")).await;
    session.wait_for_url(&form).await;
    session.click("form.review button[value=accept]").await;
    session.wait_for_text("#state", "Đã duyệt").await;
    let todo = session.to_do().await;
    assert!(
        !todo.contains("Biểu mẫu chờ duyệt"),
        "decided, it leaves the list: {todo}"
    );
    // The chair opens the year's vote (its own step, from the year's page).
    session.open("/clusters/HN-CUM2/ballots?year=2022").await;
    session.click("form.ballot-open button[type=submit]").await;
    session.wait_for_text("section.voters", "0/6").await;
    let ballot = session.id_in_url().await;
    let todo = session.to_do().await;
    assert!(
        todo.contains("Bỏ phiếu đang mở") && todo.contains("0/6 phiếu"),
        "{todo}"
    );
    session.logout().await;

    // The members: each votes from its own list.
    for officer in ["hadong", "thanhxuan", "caugiay", "tayho", "bactuliem", "namtuliem"] {
        session.login(officer).await;
        let todo = session.text_of("section.todo").await;
        assert!(todo.contains("Đơn vị chưa gửi phiếu"), "{officer}: {todo}");
        if officer == "tayho" {
            session.keep_screenshot("trang-chu-can-bo-bo-phieu").await;
        }
        session.click_task("Phiếu bình xét").await;
        session.wait_for_url(&format!("/ballots/{ballot}")).await;
        session.fill_and_send_paper().await;
        let todo = session.to_do().await;
        assert!(!todo.contains("Đơn vị chưa gửi phiếu"), "{officer} has voted: {todo}");
        session.logout().await;
    }

    // The chair again: the vote is complete, closed from the list, the result proposed.
    session.login("cumtruong").await;
    let todo = session.text_of("section.todo").await;
    assert!(todo.contains("Đủ 6/6 phiếu: có thể kết thúc bỏ phiếu"), "{todo}");
    session.click_task("Phiếu bình xét").await;
    session.wait_for_url(&format!("/ballots/{ballot}")).await;
    session.click("form[action$='/close'] button").await;
    session.wait_for_text("section.tally", "Kết quả kiểm phiếu").await;
    session.click("form.propose button").await;
    session.wait_for_url("year=2022").await;
    let todo = session.to_do().await;
    assert!(
        !todo.contains("Bỏ phiếu đang mở"),
        "closed, the vote leaves the list: {todo}"
    );
    // The cluster page as printed: the figures, none of the screen's header or buttons.
    session.open(&format!("/clusters/HN-CUM2?period={period}")).await;
    let printed = session.printed_text("cum-in").await;
    if !printed.is_empty() {
        assert!(printed.contains("1.084"), "the accepted figure is printed: {printed}");
        assert!(
            !printed.contains("Đăng xuất") && !printed.contains("Thông báo"),
            "the header is not printed: {printed}"
        );
        assert!(
            !printed.contains("(không chọn)") && !printed.contains("Dữ liệu máy đọc"),
            "nor the screen's choosers and links: {printed}"
        );
        assert!(
            printed.contains("khắc") && printed.contains("phục"),
            "the widest table's last column (công trình, dự án đã khắc phục vi phạm) is on the page, not cut at its edge: {printed}"
        );
    }
    session.logout().await;

    // The city: the proposal waiting for its decision.
    session.login("thanhpho").await;
    let todo = session.text_of("section.todo").await;
    assert!(
        todo.contains("Đề nghị khen thưởng chờ xử lý")
            && todo.contains("1 đề nghị chờ thẩm định, trình hoặc quyết định"),
        "{todo}"
    );
    session.keep_screenshot("trang-chu-thanh-pho").await;
    session.click_task("năm 2022").await;
    session.wait_for_url("/awards?cluster=HN-CUM2&year=2022").await;
    session.review_escalate_and_decide().await;
    let todo = session.to_do().await;
    assert!(!todo.contains("Đề nghị khen thưởng chờ xử lý"), "decided: {todo}");
    session.logout().await;

    // The officer: told of the vote and the decision, it opens the decision from there.
    session.login("tayho").await;
    let header = session.text_of("a[href='/notifications']").await;
    assert!(
        header.chars().any(|c| c.is_ascii_digit()),
        "the header counts what is unread: {header}"
    );
    session.click("a[href='/notifications']").await;
    session.wait_for_url("/notifications").await;
    let list = session.text_of("main").await;
    assert!(
        list.contains("đã mở cuộc bỏ phiếu") && list.contains("Đã có Quyết định số 125/QĐ-MTTQ-BTT ngày 15/1/2023"),
        "the vote and the decision: {list}"
    );
    session.keep_screenshot("thong-bao-can-bo").await;
    session
        .client
        .find(Locator::XPath("//main//a[contains(., '125/QĐ-MTTQ-BTT')]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let decision = session
        .wait_for_text("main", "Quyết định khen thưởng số 125/QĐ-MTTQ-BTT")
        .await;
    assert!(
        decision.contains("Cờ thi đua") && decision.contains("Tây Hồ"),
        "{decision}"
    );
    session.finish().await;
}
