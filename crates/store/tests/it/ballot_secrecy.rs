//! The attacks on the secret ballot of issue 9, each as a test: linking papers to voters
//! through PostgreSQL's system columns and dead tuples or a copy of SQLite's database and
//! WAL, marking one's paper with a made-up code, and changing papers after the count —
//! checked on the raw tables and files, on both backends where the attack applies.

use std::collections::BTreeSet;

use sqlx::Row;
use thidua_core::emulation::ballot::{BallotSpec, Outcome, Paper, Question, QuestionKind, Threshold};
use thidua_core::{Role, UnitCode};
use thidua_store::testing::TestDatabase;
use thidua_store::{Actor, Backend, NewUser, Store, StoreError};

thidua_store::on_both_backends!(
    a_paper_naming_a_unit_that_is_not_a_candidate_is_refused,
    a_paper_changed_after_closing_is_detected_by_verify,
    a_four_way_tie_turned_into_a_landslide_by_an_update_is_detected_and_not_counted,
    every_sealed_paper_of_a_ballot_has_the_same_length_whatever_it_chose,
    a_ballot_open_across_the_upgrade_counts_the_papers_cast_before_it,
    a_sealed_paper_deleted_or_copied_while_the_ballot_is_open_stops_the_closing,
    casting_logs_neither_the_paper_nor_the_voter,
);

const MEMBERS: [&str; 6] = [
    "HN-HADONG",
    "HN-THANHXUAN",
    "HN-CAUGIAY",
    "HN-TAYHO",
    "HN-BACTULIEM",
    "HN-NAMTULIEM",
];

fn code<T: TryFrom<String>>(c: &str) -> T
where
    T::Error: std::fmt::Debug,
{
    T::try_from(c.to_owned()).unwrap()
}

fn ok<T>(r: Result<T, StoreError>) -> T {
    r.unwrap()
}

fn sql<T>(r: Result<T, sqlx::Error>) -> T {
    r.unwrap()
}

async fn demo(backend: Backend) -> Option<(TestDatabase, Store, Actor)> {
    let db = TestDatabase::new(backend).await?;
    let store = db.store().await;
    ok(store.load_demo().await);
    let chair = ok(store
        .create_user(NewUser {
            username: "cumtruong".into(),
            display_name: "Đồng chí cụm trưởng".into(),
            password: "mật-khẩu-dài".into(),
            role: Role::Chair,
            unit: Some(code("HN-HADONG")),
        })
        .await);
    Some((db, store, Actor::from(&chair.principal())))
}

async fn raw_pool(db: &TestDatabase) -> sqlx::AnyPool {
    sqlx::any::install_default_drivers();
    sql(sqlx::AnyPool::connect(&db.url_text.replace("sqlite://", "sqlite:")).await)
}

fn members() -> Vec<UnitCode> {
    MEMBERS.iter().map(|m| code(m)).collect()
}

/// The standard ballot: the ranking (1), the leading unit (2), Bằng khen for up to 2
/// (3), the next chair (4).
fn spec() -> BallotSpec {
    let question = |c: &str, kind: QuestionKind, threshold: Option<Threshold>| Question {
        code: c.into(),
        text: kind.label_vi().into(),
        kind,
        candidates: members(),
        threshold,
    };
    BallotSpec {
        cluster: code("HN-CUM2"),
        year: 2022,
        title: "Phiếu bình xét thi đua năm 2022".into(),
        electorate: Vec::new(),
        questions: vec![
            question("1", QuestionKind::RankMembers, None),
            question("2", QuestionKind::LeadingUnit, Some(Threshold::MORE_THAN_HALF)),
            question(
                "3",
                QuestionKind::Commendation { max_choices: 2 },
                Some(Threshold::MORE_THAN_HALF),
            ),
            question("4", QuestionKind::Chair, Some(Threshold::MORE_THAN_HALF)),
        ],
    }
}

fn paper(answers: &[(&str, &[&str])]) -> Paper {
    Paper {
        answers: answers
            .iter()
            .map(|(q, units)| (q.to_string(), units.iter().map(|u| code(u)).collect()))
            .collect(),
    }
}

/// Each member chooses itself wherever it can, so any paper in the clear next to a
/// voter's row would give that voter away.
fn own_paper(voter: &str) -> Paper {
    let mut ranking: Vec<&str> = vec![voter];
    ranking.extend(MEMBERS.iter().filter(|m| **m != voter));
    paper(&[("1", &ranking), ("2", &[voter]), ("3", &[voter]), ("4", &[voter])])
}

/// What a paper in the clear looks like in any dump: an answer naming a unit.
fn answer_markers(spec: &BallotSpec) -> Vec<String> {
    spec.questions
        .iter()
        .map(|q| format!("\"{}\":[\"HN-", q.code))
        .collect()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len() / 2)
        .map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16).unwrap_or_else(|e| panic!("{e}: {text}")))
        .collect()
}

/// Every row of the tables that hold votes, as text (PostgreSQL's row-to-text).
async fn ballot_rows_as_text(pool: &sqlx::AnyPool) -> Vec<String> {
    let mut rows = Vec::new();
    for table in [
        "ballot_voter",
        "ballot_sealed_paper",
        "ballot_paper",
        "ballot_counted_paper",
    ] {
        let query = format!("SELECT t::text FROM {table} t");
        for row in sql(sqlx::query(sqlx::AssertSqlSafe(query)).fetch_all(pool).await) {
            rows.push(format!("{table}: {}", row.get::<String, _>(0)));
        }
    }
    rows
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgres_no_system_column_links_a_paper_to_its_voter() {
    let Some((db, store, chair)) = demo(Backend::Postgres).await else {
        return;
    };
    let ballot = ok(store.open_ballot(&chair, spec()).await);
    for voter in MEMBERS {
        ok(store.cast_ballot(ballot.id, &code(voter), own_paper(voter)).await);
    }
    let pool = raw_pool(&db).await;
    sql(sqlx::query("CREATE EXTENSION IF NOT EXISTS pageinspect")
        .execute(&pool)
        .await);

    // While open: the transaction id of each paper's row is its voter's (they are written
    // together, so the paper is durable when the voter is told it counted) …
    let paired = sql(sqlx::query(
        "SELECT u.code, p.sealed FROM ballot_voter v JOIN unit u ON u.id = v.unit_id
         JOIN ballot_sealed_paper p ON p.xmin::text = v.xmin::text ORDER BY v.ctid",
    )
    .fetch_all(&pool)
    .await);
    let markers = answer_markers(&ballot.spec);
    let open_rows = ballot_rows_as_text(&pool).await;
    let open_pages = raw_pages(&pool, &["ballot_voter", "ballot_sealed_paper", "ballot_paper"]).await;

    ok(store.close_ballot(&chair, ballot.id, true).await);
    let counted_xmins: BTreeSet<String> = sql(sqlx::query_scalar(
        "SELECT xmin::text FROM ballot_counted_paper WHERE ballot_id = $1",
    )
    .bind(ballot.id)
    .fetch_all(&pool)
    .await)
    .into_iter()
    .collect();
    let voter_xmins: BTreeSet<String> = sql(sqlx::query_scalar("SELECT xmin::text FROM ballot_voter")
        .fetch_all(&pool)
        .await)
    .into_iter()
    .collect();
    let dead_pages = raw_pages(&pool, &["ballot_sealed_paper", "ballot_paper"]).await;
    let counted: i64 = sql(sqlx::query_scalar("SELECT COUNT(*) FROM ballot_counted_paper")
        .fetch_one(&pool)
        .await);

    // … but what it links the voter to is ciphertext: no answer, no unit code, in any
    // column of any row of the ballot tables, nor in their raw pages.
    assert_eq!(paired.len(), 6, "xmin pairs every voter with a row");
    for row in &paired {
        let voter: String = row.get(0);
        let sealed: String = row.get(1);
        assert!(sealed.chars().all(|c| c.is_ascii_hexdigit()), "{voter}: {sealed}");
        let bytes = unhex(&sealed);
        assert!(
            !contains(&bytes, voter.as_bytes()) && !contains(&bytes, b"HN-"),
            "{voter}"
        );
    }
    for row in &open_rows {
        assert!(
            !row.contains("HN-") && markers.iter().all(|m| !row.contains(m.as_str())),
            "a ballot row shows a choice: {row}"
        );
    }
    for (table, page) in &open_pages {
        assert!(!contains(page, b"HN-"), "a raw page of {table} shows a unit code");
    }
    // After closing: the counted papers were all written by the closing, and the dead
    // sealed rows it left behind are ciphertext.
    assert_eq!(counted, 6);
    assert_eq!(counted_xmins.len(), 1, "one transaction wrote every counted paper");
    assert!(
        counted_xmins.is_disjoint(&voter_xmins),
        "no counted paper shares a voter's xmin"
    );
    assert!(!dead_pages.is_empty(), "the sealed rows' pages are still there to read");
    for (table, page) in &dead_pages {
        assert!(!contains(page, b"HN-"), "a dead tuple of {table} shows a unit code");
    }
    pool.close().await;
}

/// The raw pages (pageinspect) of `tables` and of their TOAST tables, where long values
/// such as a sealed paper live.
async fn raw_pages(pool: &sqlx::AnyPool, tables: &[&str]) -> Vec<(String, Vec<u8>)> {
    let mut relations: Vec<String> = tables.iter().map(|t| (*t).to_owned()).collect();
    for table in tables {
        let toast: Option<String> = sql(sqlx::query_scalar(
            "SELECT t.relname::text FROM pg_class c JOIN pg_class t ON t.oid = c.reltoastrelid WHERE c.relname = $1",
        )
        .bind(*table)
        .fetch_optional(pool)
        .await);
        relations.extend(toast.map(|t| format!("pg_toast.{t}")));
    }
    let mut pages = Vec::new();
    for relation in relations {
        let blocks: i64 = sql(sqlx::query_scalar("SELECT pg_relation_size($1::regclass) / 8192")
            .bind(&relation)
            .fetch_one(pool)
            .await);
        for block in 0..blocks {
            let page: String = sql(sqlx::query_scalar("SELECT encode(get_raw_page($1, $2::int), 'hex')")
                .bind(&relation)
                .bind(block)
                .fetch_one(pool)
                .await);
            pages.push((relation.clone(), unhex(&page)));
        }
    }
    pages
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_sqlite_a_copy_of_the_database_and_its_wal_does_not_show_what_anyone_voted() {
    let Some((db, store, chair)) = demo(Backend::Sqlite).await else {
        return;
    };
    let ballot = ok(store.open_ballot(&chair, spec()).await);
    let markers = answer_markers(&ballot.spec);
    let file = db.url_text.trim_start_matches("sqlite://").to_owned();
    let copies = std::env::temp_dir().join(format!("thidua-wal-copy-{}-{}", std::process::id(), ballot.id));
    sql(std::fs::create_dir_all(&copies).map_err(sqlx::Error::Io));

    let mut seen = Vec::new();
    for (i, voter) in MEMBERS.iter().enumerate() {
        ok(store.cast_ballot(ballot.id, &code(voter), own_paper(voter)).await);
        // What someone copying the files right now would have: the database, its WAL
        // (every commit so far, replayable one by one) and the shared memory index.
        let copy = copies.join(format!("after-{i}.db"));
        for suffix in ["", "-wal", "-shm"] {
            let from = format!("{file}{suffix}");
            if std::path::Path::new(&from).exists() {
                sql(std::fs::copy(&from, format!("{}{suffix}", copy.display())).map_err(sqlx::Error::Io));
            }
        }
        let mut bytes = sql(std::fs::read(&copy).map_err(sqlx::Error::Io));
        let wal = std::fs::read(format!("{}-wal", copy.display())).unwrap_or_default();
        assert!(!wal.is_empty(), "the cast is in the WAL");
        bytes.extend_from_slice(&wal);
        let copied = sql(sqlx::AnyPool::connect(&format!("sqlite:{}?mode=ro", copy.display())).await);
        let sealed: Vec<String> = sql(sqlx::query_scalar("SELECT sealed FROM ballot_sealed_paper")
            .fetch_all(&copied)
            .await);
        let clear: i64 = sql(sqlx::query_scalar(
            "SELECT (SELECT COUNT(*) FROM ballot_paper) + (SELECT COUNT(*) FROM ballot_counted_paper)",
        )
        .fetch_one(&copied)
        .await);
        copied.close().await;
        seen.push((i, bytes, sealed, clear));
    }
    ok(store.close_ballot(&chair, ballot.id, true).await);
    let _ = std::fs::remove_dir_all(&copies);

    for (i, bytes, sealed, clear) in &seen {
        for marker in &markers {
            assert!(
                !contains(bytes, marker.as_bytes()),
                "after paper {i}: the database or its WAL holds an answer in the clear ({marker})"
            );
        }
        assert_eq!(sealed.len(), i + 1, "every paper cast so far is in the copy");
        assert_eq!(*clear, 0, "no paper in the clear in the copy");
        for s in sealed {
            assert!(!contains(&unhex(s), b"HN-"), "a sealed paper opens without the key");
        }
    }
    assert_eq!(ok(store.ballot_papers(ballot.id).await).len(), 6);
}

async fn a_paper_naming_a_unit_that_is_not_a_candidate_is_refused(backend: Backend) {
    let Some((db, store, chair)) = demo(backend).await else {
        return;
    };
    let ballot = ok(store.open_ballot(&chair, spec()).await);
    let marked = paper(&[("2", &["HN-HADONG"]), ("3", &["HN-CAUGIAY", "HN-ZZZ-MARK123"])]);
    let outsider = paper(&[("2", &["HN"])]);
    let unknown = paper(&[("9", &["HN-HADONG"])]);

    let refused = store.cast_ballot(ballot.id, &code("HN-TAYHO"), marked).await;
    let outside = store.cast_ballot(ballot.id, &code("HN-TAYHO"), outsider).await;
    let no_question = store.cast_ballot(ballot.id, &code("HN-TAYHO"), unknown).await;
    let pool = raw_pool(&db).await;
    let stored: i64 = sql(sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM ballot_voter) + (SELECT COUNT(*) FROM ballot_sealed_paper)",
    )
    .fetch_one(&pool)
    .await);
    // A knowingly spoiled paper (too many for the Bằng khen) is still cast.
    let spoiled = store
        .cast_ballot(
            ballot.id,
            &code("HN-TAYHO"),
            paper(&[("3", &["HN-HADONG", "HN-CAUGIAY", "HN-TAYHO"])]),
        )
        .await;

    assert_eq!(
        refused.err().map(|e| e.to_string()).as_deref(),
        Some(
            "bỏ phiếu: câu 3: đơn vị «HN-ZZZ-MARK123» không có trong danh sách của câu hỏi; phiếu chỉ được ghi các đơn vị trong danh sách, phiếu không được nhận"
        )
    );
    assert!(matches!(
        outside,
        Err(StoreError::Domain(thidua_core::Error::InvalidBallot(m))) if m.contains("«HN»")
    ));
    assert!(matches!(
        no_question,
        Err(StoreError::Domain(thidua_core::Error::InvalidBallot(_)))
    ));
    assert_eq!(
        stored, 0,
        "nothing of a refused paper is stored, not even the voter's mark"
    );
    assert!(spoiled.is_ok(), "{spoiled:?}");
    ok(store.close_ballot(&chair, ballot.id, true).await);
    let record = ok(store.tally_ballot(ballot.id).await);
    let commendation = &record.questions[2];
    assert_eq!((commendation.valid, commendation.invalid), (0, 1));
    pool.close().await;
}

async fn counted_answers(pool: &sqlx::AnyPool, ballot: i64) -> Vec<(i64, String)> {
    sql(
        sqlx::query("SELECT position, answers FROM ballot_counted_paper WHERE ballot_id = $1 ORDER BY position")
            .bind(ballot)
            .fetch_all(pool)
            .await,
    )
    .iter()
    .map(|r| (r.get(0), r.get(1)))
    .collect()
}

async fn execute(pool: &sqlx::AnyPool, statement: String) {
    sql(sqlx::query(sqlx::AssertSqlSafe(statement)).execute(pool).await);
}

async fn a_paper_changed_after_closing_is_detected_by_verify(backend: Backend) {
    let Some((db, store, chair)) = demo(backend).await else {
        return;
    };
    let ballot = ok(store.open_ballot(&chair, spec()).await);
    for voter in MEMBERS {
        ok(store.cast_ballot(ballot.id, &code(voter), own_paper(voter)).await);
    }
    let closed = ok(store.close_ballot(&chair, ballot.id, true).await);
    let pool = raw_pool(&db).await;
    let papers = counted_answers(&pool, ballot.id).await;
    let (position, original) = papers[0].clone();
    let id = ballot.id;
    let verify = || async { ok(store.verify_ballot(id).await) };

    let sealed = verify().await;
    execute(
        &pool,
        format!(
            "UPDATE ballot_counted_paper SET answers = '{{\"2\":[\"HN-HADONG\"]}}' WHERE ballot_id = {id} AND position = {position}"
        ),
    )
    .await;
    let updated = verify().await;
    let refused_count = store.tally_ballot(id).await;
    execute(
        &pool,
        format!(
            "UPDATE ballot_counted_paper SET answers = '{original}' WHERE ballot_id = {id} AND position = {position}"
        ),
    )
    .await;
    let restored = verify().await;
    execute(
        &pool,
        format!("DELETE FROM ballot_counted_paper WHERE ballot_id = {id} AND position = 5"),
    )
    .await;
    let deleted = verify().await;
    execute(
        &pool,
        format!(
            "INSERT INTO ballot_counted_paper (ballot_id, position, answers) VALUES ({id}, 5, '{}')",
            papers[5].1
        ),
    )
    .await;
    let reinserted = verify().await;
    execute(
        &pool,
        format!(
            "INSERT INTO ballot_counted_paper (ballot_id, position, answers) VALUES ({id}, 6, '{}')",
            papers[0].1
        ),
    )
    .await;
    let added = verify().await;
    execute(
        &pool,
        format!("DELETE FROM ballot_counted_paper WHERE ballot_id = {id} AND position = 6"),
    )
    .await;
    let spec_json: String = sql(sqlx::query_scalar("SELECT spec FROM ballot WHERE id = $1")
        .bind(id)
        .fetch_one(&pool)
        .await);
    let edited = spec_json.replace("Suy tôn đơn vị dẫn đầu", "Suy tôn đơn vị dẫn đầu (sửa)");
    execute(&pool, format!("UPDATE ballot SET spec = '{edited}' WHERE id = {id}")).await;
    let spec_changed = verify().await;
    execute(&pool, format!("UPDATE ballot SET spec = '{spec_json}' WHERE id = {id}")).await;
    let mac: String = sql(sqlx::query_scalar("SELECT seal_mac FROM ballot WHERE id = $1")
        .bind(id)
        .fetch_one(&pool)
        .await);
    execute(
        &pool,
        format!("UPDATE ballot SET seal_mac = '{}' WHERE id = {id}", "0".repeat(64)),
    )
    .await;
    let mac_changed = verify().await;
    execute(
        &pool,
        format!("UPDATE ballot SET seal_mac = NULL, seal_head = NULL WHERE id = {id}"),
    )
    .await;
    let unsealed = verify().await;
    execute(
        &pool,
        format!(
            "UPDATE ballot SET seal_mac = '{mac}', seal_head = '{}' WHERE id = {id}",
            closed.seal.clone().unwrap_or_default()
        ),
    )
    .await;
    let back = verify().await;

    let head = closed.seal.clone().unwrap_or_default();
    assert!(
        head.len() == 19
            && head
                .split('-')
                .all(|g| g.len() == 4 && g.chars().all(|c| c.is_ascii_hexdigit())),
        "{head}"
    );
    assert!(sealed.is_intact(), "{:?}", sealed.problems);
    assert_eq!(sealed.head.as_deref(), Some(head.as_str()));
    assert!(sealed.record.is_some());
    for (what, check) in [
        ("an updated paper", &updated),
        ("a deleted paper", &deleted),
        ("an added paper", &added),
        ("an edited spec", &spec_changed),
        ("a forged MAC", &mac_changed),
        ("a removed seal", &unsealed),
    ] {
        assert!(
            !check.is_intact() && !check.problems.is_empty(),
            "{what} went unnoticed"
        );
        assert_eq!(check.record, None, "{what}: no count is given");
    }
    assert!(
        updated.problems[0].contains("đã bị thay đổi sau khi niêm phong") && updated.problems[0].contains(&head),
        "{:?}",
        updated.problems
    );
    assert!(
        deleted
            .problems
            .iter()
            .any(|p| p == "có 5 lá phiếu nhưng 6 đơn vị đã bỏ phiếu"),
        "{:?}",
        deleted.problems
    );
    assert!(
        mac_changed.problems[0].contains("khóa bí mật"),
        "{:?}",
        mac_changed.problems
    );
    assert!(
        unsealed.problems[0].starts_with("không có niêm phong"),
        "{:?}",
        unsealed.problems
    );
    assert!(matches!(refused_count, Err(StoreError::Conflict(m)) if m.contains("không được công nhận")));
    for (what, check) in [
        ("restored", &restored),
        ("re-inserted", &reinserted),
        ("put back", &back),
    ] {
        assert!(check.is_intact(), "{what}: {:?}", check.problems);
    }
    pool.close().await;
}

async fn a_four_way_tie_turned_into_a_landslide_by_an_update_is_detected_and_not_counted(backend: Backend) {
    let Some((db, store, chair)) = demo(backend).await else {
        return;
    };
    // Four voters, the leading unit by the most votes: each chooses another unit.
    let four = &MEMBERS[..4];
    let mut four_way = spec();
    four_way.electorate = four.iter().map(|m| code(m)).collect();
    four_way.questions = vec![Question {
        code: "2".into(),
        text: "Suy tôn đơn vị dẫn đầu".into(),
        kind: QuestionKind::LeadingUnit,
        candidates: members(),
        threshold: None,
    }];
    let ballot = ok(store.open_ballot(&chair, four_way).await);
    for voter in four {
        ok(store
            .cast_ballot(ballot.id, &code(voter), paper(&[("2", &[voter])]))
            .await);
    }
    ok(store.close_ballot(&chair, ballot.id, true).await);
    let tie = ok(store.tally_ballot(ballot.id).await);
    let pool = raw_pool(&db).await;

    execute(
        &pool,
        format!(
            "UPDATE ballot_counted_paper SET answers = '{{\"2\":[\"HN-HADONG\"]}}' WHERE ballot_id = {}",
            ballot.id
        ),
    )
    .await;
    let seal = ok(store.verify_ballot(ballot.id).await);
    let count = store.tally_ballot(ballot.id).await;
    let papers = ok(store.ballot_papers(ballot.id).await);

    assert!(matches!(&tie.questions[0].outcome, Outcome::Tie { tied, .. } if tied.len() == 4));
    assert!(
        papers.iter().all(|p| p.answers["2"] == [code::<UnitCode>("HN-HADONG")]),
        "the UPDATE went through: Hà Đông 4 (100 %) on the raw papers"
    );
    assert!(!seal.is_intact() && seal.record.is_none(), "{seal:?}");
    assert!(count.is_err(), "the landslide is not counted: {count:?}");
    pool.close().await;
}

async fn every_sealed_paper_of_a_ballot_has_the_same_length_whatever_it_chose(backend: Backend) {
    let Some((db, store, chair)) = demo(backend).await else {
        return;
    };
    let ballot = ok(store.open_ballot(&chair, spec()).await);
    // From an empty paper to a full one with every question answered.
    ok(store.cast_ballot(ballot.id, &code("HN-HADONG"), Paper::default()).await);
    ok(store
        .cast_ballot(ballot.id, &code("HN-TAYHO"), own_paper("HN-TAYHO"))
        .await);
    ok(store
        .cast_ballot(
            ballot.id,
            &code("HN-CAUGIAY"),
            paper(&[("2", &["HN-NAMTULIEM", "HN-NAMTULIEM", "HN-NAMTULIEM", "HN-NAMTULIEM"])]),
        )
        .await);
    let pool = raw_pool(&db).await;

    let lengths: BTreeSet<i64> = sql(sqlx::query_scalar("SELECT LENGTH(sealed) FROM ballot_sealed_paper")
        .fetch_all(&pool)
        .await)
    .into_iter()
    .collect();
    let events: i64 = sql(sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_event WHERE subject LIKE 'ballot:%' AND action NOT IN ('ballot-open', 'ballot-close')",
    )
    .fetch_one(&pool)
    .await);

    assert_eq!(lengths.len(), 1, "{lengths:?}");
    assert!(lengths.iter().all(|l| *l >= 2 * 4096), "{lengths:?}");
    assert_eq!(events, 0, "casting leaves no trace in the audit trail");
    pool.close().await;
}

async fn a_ballot_open_across_the_upgrade_counts_the_papers_cast_before_it(backend: Backend) {
    let Some((db, store, chair)) = demo(backend).await else {
        return;
    };
    let ballot = ok(store.open_ballot(&chair, spec()).await);
    ok(store
        .cast_ballot(ballot.id, &code("HN-HADONG"), own_paper("HN-HADONG"))
        .await);
    // A paper an older version stored in the clear, with its voter's mark.
    let pool = raw_pool(&db).await;
    let tayho = serde_json_paper(&own_paper("HN-TAYHO"));
    execute(
        &pool,
        format!(
            "INSERT INTO ballot_voter (ballot_id, unit_id) SELECT {}, id FROM unit WHERE code = 'HN-TAYHO'",
            ballot.id
        ),
    )
    .await;
    execute(
        &pool,
        format!(
            "INSERT INTO ballot_paper (id, ballot_id, answers) VALUES ('{}', {}, '{tayho}')",
            "ab".repeat(16),
            ballot.id
        ),
    )
    .await;

    ok(store.close_ballot(&chair, ballot.id, true).await);
    let left: i64 = sql(sqlx::query_scalar("SELECT COUNT(*) FROM ballot_paper")
        .fetch_one(&pool)
        .await);
    let record = ok(store.tally_ballot(ballot.id).await);

    assert_eq!(left, 0, "closing empties the old table");
    assert_eq!(record.received, 2);
    let votes = |unit: &str| {
        record.questions[1]
            .candidates
            .iter()
            .find(|c| c.unit.as_str() == unit)
            .map(|c| c.votes)
    };
    assert_eq!((votes("HN-HADONG"), votes("HN-TAYHO")), (Some(1), Some(1)));
    pool.close().await;
}

fn serde_json_paper(p: &Paper) -> String {
    let answers: Vec<String> = p
        .answers
        .iter()
        .map(|(q, units)| {
            let units: Vec<String> = units.iter().map(|u| format!("\"{u}\"")).collect();
            format!("\"{q}\":[{}]", units.join(","))
        })
        .collect();
    format!("{{{}}}", answers.join(","))
}

async fn a_sealed_paper_deleted_or_copied_while_the_ballot_is_open_stops_the_closing(backend: Backend) {
    let Some((db, store, chair)) = demo(backend).await else {
        return;
    };
    let copied = ok(store.open_ballot(&chair, spec()).await);
    let deleted = ok(store.open_ballot(&chair, spec()).await);
    for voter in &MEMBERS[..3] {
        ok(store.cast_ballot(copied.id, &code(voter), own_paper(voter)).await);
        ok(store.cast_ballot(deleted.id, &code(voter), own_paper(voter)).await);
    }
    let pool = raw_pool(&db).await;
    // A second copy of a sealed paper under a new id: it opens, but one unit would count twice.
    execute(
        &pool,
        format!(
            "INSERT INTO ballot_sealed_paper (ballot_id, id, sealed) SELECT ballot_id, 'ff' || id, sealed FROM ballot_sealed_paper WHERE ballot_id = {} AND id = (SELECT MIN(id) FROM ballot_sealed_paper WHERE ballot_id = {})",
            copied.id, copied.id
        ),
    )
    .await;
    execute(
        &pool,
        format!(
            "DELETE FROM ballot_sealed_paper WHERE ballot_id = {} AND id = (SELECT MIN(id) FROM ballot_sealed_paper WHERE ballot_id = {})",
            deleted.id, deleted.id
        ),
    )
    .await;

    let twice = store.close_ballot(&chair, copied.id, true).await;
    let missing = store.close_ballot(&chair, deleted.id, true).await;

    assert!(
        matches!(&twice, Err(StoreError::Corrupt(m)) if m.contains("có 4 lá phiếu nhưng 3 đơn vị")),
        "{twice:?}"
    );
    assert!(
        matches!(&missing, Err(StoreError::Corrupt(m)) if m.contains("có 2 lá phiếu nhưng 3 đơn vị")),
        "{missing:?}"
    );
    assert!(ok(store.ballot(copied.id).await).seal.is_none(), "nothing was closed");
    pool.close().await;
}

/// Every event and span field logged through `tracing` on this thread, as text.
#[derive(Clone, Default)]
struct Capture(std::sync::Arc<std::sync::Mutex<Vec<String>>>);

struct Fields(String);

impl tracing::field::Visit for Fields {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!(" {}={value:?}", field.name()));
    }
}

impl Capture {
    fn keep(&self, what: &str, fields: Fields) {
        if let Ok(mut lines) = self.0.lock() {
            lines.push(format!("{what}{}", fields.0));
        }
    }

    fn lines(&self) -> Vec<String> {
        self.0.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

impl tracing::Subscriber for Capture {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, span: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        let mut fields = Fields(String::new());
        span.record(&mut fields);
        self.keep(span.metadata().name(), fields);
        tracing::span::Id::from_u64(1)
    }

    fn record(&self, _: &tracing::span::Id, values: &tracing::span::Record<'_>) {
        let mut fields = Fields(String::new());
        values.record(&mut fields);
        self.keep("record", fields);
    }

    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}

    fn event(&self, event: &tracing::Event<'_>) {
        let mut fields = Fields(String::new());
        event.record(&mut fields);
        self.keep(event.metadata().target(), fields);
    }

    fn enter(&self, _: &tracing::span::Id) {}

    fn exit(&self, _: &tracing::span::Id) {}
}

async fn casting_logs_neither_the_paper_nor_the_voter(backend: Backend) {
    let Some((_db, store, chair)) = demo(backend).await else {
        return;
    };
    let ballot = ok(store.open_ballot(&chair, spec()).await);

    // The capture follows the future onto whichever worker thread polls it (a
    // thread-local default would miss polls on the runtime's other thread). tracing
    // caches per call site whether anyone listens, and other tests' subscribers coming
    // and going can leave that cache stale for a moment: a cast whose statements the
    // capture did not see proves nothing, so the next member casts, up to every member.
    use tracing::instrument::WithSubscriber;
    let mut seen_statements = false;
    for member in MEMBERS {
        let capture = Capture::default();
        tracing::callsite::rebuild_interest_cache();
        ok(store
            .cast_ballot(ballot.id, &code(member), own_paper(member))
            .with_subscriber(capture.clone())
            .await);
        let logged = capture.lines();
        for line in &logged {
            assert!(!line.contains("HN-"), "a log line names a unit: {line}");
        }
        // sqlx logs each statement (without its values): on PostgreSQL on the caller's
        // task, where the capture sees the cast (SQLite's run on its worker thread).
        seen_statements = logged.iter().any(|l| l.contains("ballot_sealed_paper"));
        if seen_statements || backend == Backend::Sqlite {
            break;
        }
    }
    if backend == Backend::Postgres {
        assert!(seen_statements, "the capture saw the statements of at least one cast");
    }
}
