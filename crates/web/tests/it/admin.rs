//! The admin's account page as issue #13 asked for it: every mistake of a new account at
//! once, each beside its field with what was typed kept; a refused password reset said
//! on its row; a search without diacritics by the start of words; and the list paged in
//! SQL, fifty accounts a page.

use crate::common;

use axum::http::StatusCode;
use common::TestApp;
use thidua_store::Backend;

common::on_both_backends!(
    every_mistake_of_a_new_account_is_said_beside_its_field_with_what_was_typed_kept,
    a_name_already_taken_is_a_409_said_beside_the_user_name,
    a_refused_password_reset_is_said_on_its_row_and_the_rest_of_the_page_stays,
    the_search_finds_accounts_without_diacritics_by_the_start_of_their_words,
    a_hundred_and_twenty_accounts_page_as_fifty_fifty_and_twenty,
);

/// The text of the element with this id (its first line of markup).
fn element<'a>(page: &'a str, id: &str) -> &'a str {
    let marker = format!("id=\"{id}\"");
    page.find(&marker)
        .map(|at| {
            let rest = &page[at..];
            &rest[..rest.find('\n').unwrap_or(rest.len())]
        })
        .unwrap_or_else(|| panic!("no element {id} in {page}"))
}

/// How many accounts the page lists.
fn rows(page: &str) -> usize {
    page.matches("<tr id=\"account-").count()
}

async fn every_mistake_of_a_new_account_is_said_beside_its_field_with_what_was_typed_kept(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };

    let (status, _, page) = app
        .post_as(
            Some("admin"),
            "/admin/users",
            &[
                ("username", "Hà Đông"),
                ("name", "  "),
                ("role", "officer"),
                ("unit", "HN-KHONGCO"),
                ("password", "ngắn-quá"),
            ],
        )
        .await;

    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    assert!(page.contains("có 4 chỗ cần sửa"), "{page}");
    for (field, words) in [
        ("username", "Tên đăng nhập «Hà Đông» chưa dùng được"),
        ("name", "Họ tên chưa có"),
        ("unit", "Mã đơn vị «HN-KHONGCO» không có trong danh mục đơn vị."),
        ("password", "Mật khẩu chưa dùng được: cần ít nhất 12 ký tự"),
    ] {
        assert!(
            element(&page, &format!("{field}-error")).contains(words),
            "{field}: {page}"
        );
        let input = element(&page, field);
        assert!(
            input.contains("aria-invalid=\"true\"") && input.contains(&format!("aria-describedby=\"{field}-error\"")),
            "{field} is marked and points at its message: {input}"
        );
    }
    assert!(element(&page, "username").contains("value=\"Hà Đông\""), "{page}");
    assert!(element(&page, "unit").contains("value=\"HN-KHONGCO\""), "{page}");
    assert!(page.contains("<option value=\"officer\" selected>"), "{page}");
    assert!(!page.contains("ngắn-quá"), "the password is never sent back");
    assert!(
        !element(&page, "role").contains("aria-invalid"),
        "the right field is not marked"
    );

    // An admin with a unit, and an officer without one, are said at the unit's field.
    let (status, _, page) = app
        .post_as(
            Some("admin"),
            "/admin/users",
            &[
                ("username", "quantri.moi"),
                ("name", "Quản trị mới"),
                ("role", "admin"),
                ("unit", "HN"),
                ("password", "ngọn-đèn-trên-phố-cổ"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        element(&page, "unit-error").contains("Mã đơn vị phải để trống"),
        "{page}"
    );
    assert!(page.contains("<option value=\"admin\" selected>"), "{page}");
    assert!(
        app.state.store.user("quantri.moi").await.is_err(),
        "nothing was created"
    );
}

async fn a_name_already_taken_is_a_409_said_beside_the_user_name(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };

    let (status, _, page) = app
        .post_as(
            Some("admin"),
            "/admin/users",
            &[
                ("username", "HaDong"),
                ("name", "Người khác"),
                ("role", "officer"),
                ("unit", "hn-tayho"),
                ("password", "ngọn-đèn-trên-phố-cổ"),
            ],
        )
        .await;

    assert_eq!(status, StatusCode::CONFLICT, "{page}");
    assert!(
        element(&page, "username-error").contains("Tên đăng nhập «hadong» đã có người dùng."),
        "{page}"
    );
    assert!(element(&page, "name").contains("value=\"Người khác\""), "{page}");
    assert!(page.contains("có 1 chỗ cần sửa"), "{page}");
    let kept = app.state.store.user("hadong").await.unwrap();
    assert_eq!(
        kept.display_name, "Cán bộ thi đua quận Hà Đông",
        "the account is untouched"
    );
}

async fn a_refused_password_reset_is_said_on_its_row_and_the_rest_of_the_page_stays(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };

    for (password, reason) in [("ngắn", "ít nhất 12 ký tự"), ("matkhau123456", "phổ biến")] {
        let (status, _, page) = app
            .post_as(Some("admin"), "/admin/users/hadong/password", &[("password", password)])
            .await;

        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
        let said = element(&page, "reset-hadong-error");
        assert!(
            said.contains(reason) && said.contains("Mật khẩu mới cho hadong"),
            "{said}"
        );
        let row = &page[page.find("id=\"account-hadong\"").unwrap()..];
        let row = &row[..row.find("</tr>").unwrap()];
        assert!(row.contains("aria-describedby=\"reset-hadong-error\""), "{row}");
        assert!(
            !page.contains("<p class=\"alert\" role=\"alert\">"),
            "no page-wide alert: {page}"
        );
        assert_eq!(rows(&page), 10, "the list is whole");
        assert!(page.contains("Tạo tài khoản"), "the create form is there");
    }

    let (status, _, page) = app
        .post_as(
            Some("admin"),
            "/admin/users/khongai/password",
            &[("password", "ngọn-đèn-trên-phố-cổ")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    assert!(
        page.contains("role=\"alert\">Không"),
        "an unknown account has no row: {page}"
    );

    let (status, _, page) = app
        .post_as(
            Some("admin"),
            "/admin/users/hadong/password",
            &[("password", "ngọn-đèn-trên-phố-cổ")],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Đã đặt lại mật khẩu cho hadong"), "{page}");
}

async fn the_search_finds_accounts_without_diacritics_by_the_start_of_their_words(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let (status, _, _) = app
        .post_as(
            Some("admin"),
            "/admin/users",
            &[
                ("username", "nva"),
                ("name", "Nguyễn Văn An"),
                ("role", "officer"),
                ("unit", "HN-TAYHO"),
                ("password", "ngọn-đèn-trên-phố-cổ"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let app = &app;
    let found = |q: &str| {
        let uri = format!("/admin/users?q={}", common::encode(q));
        async move {
            let (status, _, page) = app.get_as(Some("admin"), &uri).await;
            assert_eq!(status, StatusCode::OK);
            let mut names: Vec<String> = page
                .split("<tr id=\"account-")
                .skip(1)
                .map(|r| r[..r.find('"').unwrap()].to_owned())
                .collect();
            names.sort();
            names
        }
    };

    assert_eq!(found("nguyen van").await, ["nva"]);
    assert_eq!(found("NGUYỄN an").await, ["nva"], "any case, any order");
    assert_eq!(found("tayho").await, ["nva", "tayho"], "by the unit's code");
    assert_eq!(
        found("ha dong").await,
        ["cumtruong", "hadong"],
        "ha dong finds hadong's unit and name"
    );
    assert_eq!(found("đông").await, found("dong").await, "đ is d");
    let ha = found("ha").await;
    assert!(ha.contains(&"hadong".to_owned()), "{ha:?}");
    assert!(
        !ha.contains(&"thanhxuan".to_owned()),
        "ha is no word start of Thanh Xuân: {ha:?}"
    );
    assert_eq!(
        found("100%_").await,
        Vec::<String>::new(),
        "LIKE's wildcards are only letters here"
    );
    let (_, _, page) = app.get_as(Some("admin"), "/admin/users?q=khong+ai").await;
    assert!(page.contains("Không tìm thấy tài khoản nào khớp «khong ai»."), "{page}");
}

async fn a_hundred_and_twenty_accounts_page_as_fifty_fifty_and_twenty(backend: Backend) {
    let Some(mut app) = TestApp::with_demo(backend).await else {
        return;
    };
    // Written under the application with no search key, as before migration 19: the
    // store fills the keys when it opens.
    let pool = app.state.store.pool_for_tests().clone();
    for n in 1..=120 {
        sqlx::query(
            "INSERT INTO app_user (username, display_name, password_hash, role, unit_id, created_at)
             SELECT $1, $2, 'x', 'upper', id, '2026-01-01T00:00:00Z' FROM unit WHERE code = 'HN'",
        )
        .bind(format!("tv{n:03}"))
        .bind(format!("Thành viên số {n}"))
        .execute(&pool)
        .await
        .unwrap();
    }
    app.state = app.restarted_state().await;

    let mut seen = Vec::new();
    for (page, count, has_prev, has_next) in [(1, 50, false, true), (2, 50, true, true), (3, 20, true, false)] {
        let (status, _, html) = app
            .get_as(Some("admin"), &format!("/admin/users?q=thanh+vien&page={page}"))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(rows(&html), count, "page {page}");
        assert!(html.contains(&format!("Trang {page}/3")), "{html}");
        assert!(html.contains("Tìm thấy 120 tài khoản khớp «thanh vien»."), "{html}");
        let prev = format!(
            "href=\"/admin/users?q=thanh%20vien&#38;page={}\" rel=\"prev\"",
            page - 1
        );
        let next = format!(
            "href=\"/admin/users?q=thanh%20vien&#38;page={}\" rel=\"next\"",
            page + 1
        );
        assert_eq!(html.contains(&prev), has_prev, "page {page}: {html}");
        assert_eq!(html.contains(&next), has_next, "page {page}: {html}");
        seen.extend(html.split("<tr id=\"account-").skip(1).map(|r| r[..5].to_owned()));
    }
    let expected: Vec<String> = (1..=120).map(|n| format!("tv{n:03}")).collect();
    assert_eq!(seen, expected, "by login name, each account once");

    let (_, _, all) = app.get_as(Some("admin"), "/admin/users?page=99").await;
    assert!(
        all.contains("Trang 3/3") && all.contains("130 tài khoản."),
        "past the end is the last page"
    );
}
