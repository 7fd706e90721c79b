//! The storage test suite: every test runs once on SQLite and once on PostgreSQL, each
//! on a database of its own.

use sqlx::Row;
use thidua_core::number::format_decimal;
use thidua_core::{ClusterCode, IndicatorCode, Period, UnitCode, Value};
use thidua_store::testing::TestDatabase;
use thidua_store::{Actor, Backend, DocumentKey, Store, StoreError};

thidua_store::on_both_backends!(
    the_demo_cluster_totals_are_the_figures_of_the_published_review,
    the_districts_with_98_percent_cremation_are_cau_giay_tay_ho_and_ha_dong,
    a_values_file_with_bad_rows_is_refused_whole_and_names_every_bad_line,
    a_values_file_breaking_a_validation_rule_is_refused,
    importing_the_same_values_again_replaces_them,
    one_file_may_mix_whole_and_decimal_figures,
    rollups_of_a_subtree_and_of_a_cluster_agree_with_a_plain_sql_sum,
    another_cluster_of_wards_imports_and_rolls_up_the_same_way,
    names_are_stored_nfc_and_found_without_diacritics,
    opening_a_database_twice_migrates_it_once,
    an_unknown_cluster_is_not_found,
    the_register_numbers_a_cluster_s_reports_from_one_each_year_and_keeps_a_report_s_number,
);

async fn demo_store(backend: Backend) -> Option<(TestDatabase, Store)> {
    let db = TestDatabase::new(backend).await?;
    let store = db.store().await;
    store
        .load_demo()
        .await
        .unwrap_or_else(|e| panic!("loading the demo: {e}"));
    Some((db, store))
}

fn code<T: TryFrom<String>>(c: &str) -> T
where
    T::Error: std::fmt::Debug,
{
    T::try_from(c.to_owned()).unwrap_or_else(|e| panic!("{e:?}"))
}

fn s1() -> Period {
    code("2022S1")
}

async fn the_demo_cluster_totals_are_the_figures_of_the_published_review(backend: Backend) {
    let Some((_db, store)) = demo_store(backend).await else {
        return;
    };

    let rollup = store
        .rollup_cluster(&code("HN-CUM2"), s1())
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    let expected: [(&str, i64); 15] = [
        ("TANG_SO_DAM", 4130),
        ("TANG_HOA_TANG", 3511),
        ("QUY_BIEN_DAO", 10_266_500_000),
        ("QUY_VI_NGUOI_NGHEO", 1_221_500_000),
        ("HV_TUYEN_TRUYEN", 1084),
        ("HV_HOI_CHO", 12),
        ("HV_CHUYEN_HANG", 20),
        ("PB_PHAN_BIEN", 39),
        ("DT_DOI_THOAI", 63),
        ("TTND_GIAM_SAT", 354),
        ("TTND_PHAT_HIEN", 59),
        ("TTND_KIEN_NGHI", 59),
        ("TTND_DA_GIAI_QUYET", 56),
        ("GSDTCD_CONG_TRINH", 189),
        ("GSDTCD_VI_PHAM", 5),
    ];
    for (indicator, total) in expected {
        assert_eq!(
            rollup.total.get(&code(indicator)),
            Some(&Value::Whole(total)),
            "{indicator}"
        );
    }
    assert_eq!(rollup.total.get(&code("GSDTCD_KHAC_PHUC")), Some(&Value::Whole(5)));
    let rate = rollup.total.number(&code("TY_LE_HOA_TANG")).unwrap_or_default();
    assert_eq!(format_decimal(rate, 2), "85,01");
    assert_eq!(rollup.members.len(), 6);
}

async fn the_districts_with_98_percent_cremation_are_cau_giay_tay_ho_and_ha_dong(backend: Backend) {
    let Some((_db, store)) = demo_store(backend).await else {
        return;
    };

    let rollup = store
        .rollup_cluster(&code("HN-CUM2"), s1())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let leaders: Vec<(String, String)> = rollup
        .members_reaching(&code("TY_LE_HOA_TANG"), 98.0)
        .into_iter()
        .map(|(u, rate)| (u.code.to_string(), format_decimal(rate, 2)))
        .collect();

    assert_eq!(
        leaders,
        [
            ("HN-CAUGIAY".to_owned(), "98,69".to_owned()),
            ("HN-TAYHO".to_owned(), "98,68".to_owned()),
            ("HN-HADONG".to_owned(), "98,14".to_owned())
        ]
    );
}

async fn a_values_file_with_bad_rows_is_refused_whole_and_names_every_bad_line(backend: Backend) {
    let Some((_db, store)) = demo_store(backend).await else {
        return;
    };
    let file = "unit,indicator,period,value\n\
                HN-HADONG,HV_HOI_CHO,2022S2,5\n\
                HN-HADONG,HV_HOI_CHO,2022S9,5\n\
                HN-XYZ,HV_HOI_CHO,2022S2,5\n\
                HN-CAUGIAY,HV_HOI_CHO,2022S2,năm\n\
                HN-CAUGIAY,TY_LE_HOA_TANG,2022S2,99\n";

    let err = store.import_values_csv(file).await.err();

    let Some(StoreError::Rejected(rows)) = err else {
        panic!("expected a rejection, got {err:?}")
    };
    let lines: Vec<u64> = rows.iter().map(|r| r.line).collect();
    assert_eq!(lines, [3, 4, 5, 6], "{rows:?}");
    assert!(
        rows[0]
            .to_string()
            .starts_with("dòng 3, cột period: «2022S9» không phải là kỳ báo cáo hợp lệ"),
        "{}",
        rows[0]
    );
    assert_eq!(
        rows[1].to_string(),
        "dòng 4, cột unit: đơn vị HN-XYZ không có trong danh mục đơn vị"
    );
    assert!(
        rows[2]
            .to_string()
            .starts_with("dòng 5, cột value: «năm» không phải là số"),
        "{}",
        rows[2]
    );
    assert!(rows[3].to_string().contains("được tính theo công thức"), "{}", rows[3]);
    let s2 = store
        .rollup_cluster(&code("HN-CUM2"), code("2022S2"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(s2.total.is_empty(), "nothing of the refused file may be written");
}

async fn a_values_file_breaking_a_validation_rule_is_refused(backend: Backend) {
    let Some((_db, store)) = demo_store(backend).await else {
        return;
    };
    // Hà Đông found 12 cases in 2022S1; resolving 13 is impossible.
    let file = "unit,indicator,period,value\nHN-HADONG,TTND_DA_GIAI_QUYET,2022S1,13\n";

    let err = store
        .import_values_csv(file)
        .await
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();

    assert!(err.contains("dòng 2, cột value: đơn vị HN-HADONG, kỳ 2022S1"), "{err}");
    assert!(
        err.contains(
            "Ban Thanh tra nhân dân: số vụ đã được cơ quan có thẩm quyền giải quyết (13) \
             không được lớn hơn số vụ kiến nghị cơ quan có thẩm quyền giải quyết (12)"
        ),
        "{err}"
    );
    let (_, figures) = store
        .rollup_unit(&code("HN-HADONG"), s1())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(figures.get(&code("TTND_DA_GIAI_QUYET")), Some(&Value::Whole(12)));
}

async fn importing_the_same_values_again_replaces_them(backend: Backend) {
    let Some((_db, store)) = demo_store(backend).await else {
        return;
    };

    store.load_demo().await.unwrap_or_else(|e| panic!("{e}"));
    store
        .import_values_csv("unit,indicator,period,value\nHN-TAYHO,HV_HOI_CHO,2022S1,\"1.000\"\n")
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    let rollup = store
        .rollup_cluster(&code("HN-CUM2"), s1())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(rollup.total.get(&code("HV_TUYEN_TRUYEN")), Some(&Value::Whole(1084)));
    let tay_ho = rollup
        .members
        .iter()
        .find(|(u, _)| u.code.as_str() == "HN-TAYHO")
        .map(|(_, f)| f.clone());
    assert_eq!(
        tay_ho.and_then(|f| f.get(&code("HV_HOI_CHO")).cloned()),
        Some(Value::Whole(1000))
    );
}

/// A plain SQL sum of the integer values over a set of unit codes, for comparison.
async fn plain_sql_sums(db: &TestDatabase, units: &[&str]) -> Vec<(String, i64)> {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&db.url_text.replace("sqlite://", "sqlite:"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let list = units.iter().map(|u| format!("'{u}'")).collect::<Vec<_>>().join(",");
    let sql = format!(
        "SELECT i.code, CAST(SUM(v.value_int) AS BIGINT) AS total
         FROM data_value v JOIN unit u ON u.id = v.unit_id JOIN indicator i ON i.id = v.indicator_id
         WHERE v.period = '2022S1' AND u.code IN ({list})
         GROUP BY i.code ORDER BY i.code"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_all(&pool)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let sums = rows
        .iter()
        .map(|r| (r.get::<String, _>(0), r.get::<i64, _>(1)))
        .collect();
    pool.close().await;
    sums
}

async fn rollups_of_a_subtree_and_of_a_cluster_agree_with_a_plain_sql_sum(backend: Backend) {
    let Some((db, store)) = demo_store(backend).await else {
        return;
    };
    // Give Hà Đông two wards with figures of their own, so its subtree is more than itself.
    store
        .import_units_csv(
            "code,name,kind,parent\n\
             HD-VANQUAN,Ủy ban MTTQ Việt Nam phường Văn Quán,ward,HN-HADONG\n\
             HD-MOLAO,Ủy ban MTTQ Việt Nam phường Mộ Lao,ward,HN-HADONG\n",
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    store
        .import_values_csv(
            "unit,indicator,period,value\n\
             HD-VANQUAN,HV_TUYEN_TRUYEN,2022S1,17\n\
             HD-MOLAO,HV_TUYEN_TRUYEN,2022S1,9\n\
             HD-MOLAO,QUY_BIEN_DAO,2022S1,\"1,5 tỷ\"\n",
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    let subtree = ["HN-HADONG", "HD-VANQUAN", "HD-MOLAO"];
    let (_, figures) = store
        .rollup_unit(&code("HN-HADONG"), s1())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    for (indicator, sum) in plain_sql_sums(&db, &subtree).await {
        assert_eq!(
            figures.get(&code(&indicator)),
            Some(&Value::Whole(sum)),
            "subtree, {indicator}"
        );
    }

    let cluster = [
        "HN-HADONG",
        "HD-VANQUAN",
        "HD-MOLAO",
        "HN-THANHXUAN",
        "HN-CAUGIAY",
        "HN-TAYHO",
        "HN-BACTULIEM",
        "HN-NAMTULIEM",
    ];
    let rollup = store
        .rollup_cluster(&code("HN-CUM2"), s1())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let sums = plain_sql_sums(&db, &cluster).await;
    assert_eq!(sums.len(), 16);
    for (indicator, sum) in sums {
        assert_eq!(
            rollup.total.get(&code(&indicator)),
            Some(&Value::Whole(sum)),
            "cluster, {indicator}"
        );
    }
    assert_eq!(
        rollup.total.get(&code("HV_TUYEN_TRUYEN")),
        Some(&Value::Whole(1084 + 26))
    );
}

async fn another_cluster_of_wards_imports_and_rolls_up_the_same_way(backend: Backend) {
    let Some((_db, store)) = demo_store(backend).await else {
        return;
    };
    store
        .import_units_csv(
            "code,name,kind,parent,valid_from,valid_to\n\
             TX-P1,Ủy ban MTTQ Việt Nam phường Thanh Xuân Trung,ward,HN-THANHXUAN,,\n\
             TX-P2,Ủy ban MTTQ Việt Nam phường Khương Đình,ward,HN-THANHXUAN,2020-01-01,\n",
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    store
        .import_clusters_csv(
            "code,name,year,members,host\nTX-CUM1,Cụm thi đua số 1 quận Thanh Xuân,2023,TX-P1;TX-P2,TX-P2\n",
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    store
        .import_values_csv(
            "unit,indicator,period,value\n\
             TX-P1,TANG_SO_DAM,2023S1,40\nTX-P1,TANG_HOA_TANG,2023S1,30\n\
             TX-P2,TANG_SO_DAM,2023S1,60\nTX-P2,TANG_HOA_TANG,2023S1,60\n\
             TX-P1,TANG_SO_DAM,2023S2,10\nTX-P1,TANG_HOA_TANG,2023S2,10\n",
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    let half = store
        .rollup_cluster(&code("TX-CUM1"), code("2023S1"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(half.total.get(&code("TANG_SO_DAM")), Some(&Value::Whole(100)));
    assert_eq!(half.total.number(&code("TY_LE_HOA_TANG")), Some(90.0));
    let year = store
        .rollup_cluster(&code("TX-CUM1"), code("2023"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(year.total.get(&code("TANG_SO_DAM")), Some(&Value::Whole(110)));
    assert_eq!(year.total.get(&code("TANG_HOA_TANG")), Some(&Value::Whole(100)));
    let host = store
        .cluster(&code::<ClusterCode>("TX-CUM1"), 2023)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .host;
    assert_eq!(host, Some(code::<UnitCode>("TX-P2")));
}

async fn names_are_stored_nfc_and_found_without_diacritics(backend: Backend) {
    let Some((_db, store)) = demo_store(backend).await else {
        return;
    };
    // "Hà Đông" typed with combining marks, as some keyboards send it.
    let decomposed = "Ha\u{300} \u{110}o\u{302}ng";
    store
        .import_units_csv(&format!(
            "code,name,kind,parent\nHD-X,Phường {decomposed} mới,ward,HN-HADONG\n"
        ))
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    let tree = store.unit_tree().await.unwrap_or_else(|e| panic!("{e}"));
    let name = tree.get(&code("HD-X")).map(|u| u.name.clone()).unwrap_or_default();
    assert_eq!(name, "Phường Hà Đông mới");
    let hits = store.search("ha dong", 50).await.unwrap_or_else(|e| panic!("{e}"));
    let codes: Vec<&str> = hits.iter().map(|h| h.code.as_str()).collect();
    assert!(codes.contains(&"HN-HADONG") && codes.contains(&"HD-X"), "{codes:?}");
    assert!(
        hits.iter().all(|h| h.kind != "indicator"),
        "no indicator whose words only begin with «ha» and «dong»: {hits:?}"
    );
    let hits = store.search("hoa tang", 50).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(hits.iter().any(|h| h.code == "TY_LE_HOA_TANG"), "{hits:?}");
}

async fn opening_a_database_twice_migrates_it_once(backend: Backend) {
    let Some(db) = TestDatabase::new(backend).await else {
        return;
    };
    let first = db.store().await;
    first.load_demo().await.unwrap_or_else(|e| panic!("{e}"));
    first.close().await;

    let second = db.store().await;

    assert_eq!(second.catalog().await.map(|c| c.len()).ok(), Some(17));
    assert_eq!(second.backend(), backend);
}

async fn an_unknown_cluster_is_not_found(backend: Backend) {
    let Some((_db, store)) = demo_store(backend).await else {
        return;
    };

    let err = store
        .rollup_cluster(&code("HN-CUM9"), s1())
        .await
        .err()
        .map(|e| e.to_string());

    assert_eq!(err.as_deref(), Some("không tìm thấy cụm thi đua «HN-CUM9 năm 2022»"));
    let _: Option<IndicatorCode> = None;
}

async fn the_register_numbers_a_cluster_s_reports_from_one_each_year_and_keeps_a_report_s_number(backend: Backend) {
    let Some(db) = TestDatabase::new(backend).await else {
        return;
    };
    let store = db.store().await;
    let at = |y: i32, m: u32, d: u32| {
        chrono::NaiveDate::from_ymd_opt(y, m, d)
            .and_then(|d| d.and_hms_opt(9, 0, 0))
            .unwrap_or_else(|| panic!("a date"))
    };
    let key = |cluster: &str, period: &str| DocumentKey {
        cluster: ClusterCode::parse(cluster).unwrap_or_else(|e| panic!("{e}")),
        symbol: "BC-CTĐ",
        period: Period::parse(period).unwrap_or_else(|e| panic!("{e}")),
    };
    let issue = |period: &'static str, when| {
        let store = store.clone();
        let key = key("HN-CUM2", period);
        async move {
            store
                .issue_document_number(&key, when, &Actor::system("cumtruong"))
                .await
                .unwrap_or_else(|e| panic!("{e}"))
        }
    };

    assert_eq!(store.document_number(&key("HN-CUM2", "2022S1")).await.ok(), Some(None));
    assert_eq!(issue("2022S1", at(2022, 7, 25)).await, 1);
    assert_eq!(issue("2022", at(2022, 12, 20)).await, 2);
    // Issuing again keeps the number; a new year starts again from 1.
    assert_eq!(issue("2022S1", at(2022, 7, 30)).await, 1);
    assert_eq!(issue("2023S1", at(2023, 7, 20)).await, 1);
    assert_eq!(store.document_number(&key("HN-CUM2", "2022")).await.ok(), Some(Some(2)));
    // Another cluster keeps its own register.
    let other = store
        .issue_document_number(&key("HN-CUM1", "2022S1"), at(2022, 7, 26), &Actor::system("khac"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(other, 1);
}

async fn one_file_may_mix_whole_and_decimal_figures(backend: Backend) {
    // On PostgreSQL through `Any`, a statement once run with a NULL where a later run binds
    // a number failed that run (22P03): a file of counts and money in millions was refused.
    let Some(db) = TestDatabase::new(backend).await else {
        return;
    };
    let store = db.store().await;
    store
        .import_indicators_csv(
            "code,name,measure,value_type,aggregation,formula,group
SO_CUOC,Số cuộc tuyên truyền,cuộc,integer,sum,,Tuyên truyền
KINH_PHI,Kinh phí (triệu đồng),triệu đồng,number,sum,,Tuyên truyền
",
        )
        .await
        .unwrap();
    store
        .import_units_csv("code,name,kind,parent\nHN-HADONG,Ủy ban MTTQ Việt Nam quận Hà Đông,district,\n")
        .await
        .unwrap();
    let values = "unit,indicator,period,value
HN-HADONG,SO_CUOC,2022S1,12
HN-HADONG,KINH_PHI,2022S1,\"12,5\"
HN-HADONG,SO_CUOC,2022S2,3
HN-HADONG,KINH_PHI,2022S2,\"0,5\"
";
    store.import_values_csv(values).await.unwrap();
    store.import_values_csv(values).await.unwrap();
    let (_, figures) = store.rollup_unit(&code("HN-HADONG"), code("2022")).await.unwrap();
    assert_eq!(figures.get(&code("SO_CUOC")), Some(&Value::Whole(15)));
    assert_eq!(figures.get(&code("KINH_PHI")), Some(&Value::Decimal(13.0)));
}
