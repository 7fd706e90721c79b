//! The criteria editor through HTTP on both backends: the upper level adds, moves and
//! removes lines, saves, and the criteria page shows the new version; a bad line comes
//! back beside itself with what was typed, nothing saved; a year starts from two years
//! back; an item moves into the next group; a save over someone else's is refused.

use crate::common;

use axum::http::StatusCode;
use common::TestApp;
use thidua_core::UnitCode;
use thidua_core::emulation::scoring::ScoreStep;
use thidua_store::{Actor, Backend};

common::on_both_backends!(
    the_upper_level_adds_moves_and_removes_lines_and_saving_makes_a_new_version,
    a_bad_line_comes_back_beside_itself_with_what_was_typed_and_nothing_is_saved,
    a_year_starts_from_the_criteria_of_two_years_back,
    an_item_moved_into_the_next_group_is_saved_there_with_its_points,
    a_second_editor_s_stale_save_is_refused_its_draft_kept_and_the_first_save_intact,
);

const EDIT: &str = "/clusters/HN-CUM2/criteria/edit?year=2022";

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

fn attribute(tag: &str, name: &str) -> Option<String> {
    let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    let end = tag[start..].find('"')? + start;
    Some(unescape(&tag[start..end]))
}

/// The fields of the editor's form as a browser would post them (without a button).
fn form_fields(page: &str) -> Vec<(String, String)> {
    let form = &page[page.find("class=\"criteria-editor\"").unwrap()..];
    let mut out = Vec::new();
    let mut rest = form;
    while let Some(at) = rest.find('<') {
        rest = &rest[at..];
        let end = rest.find('>').unwrap();
        let tag = &rest[..=end];
        if tag.starts_with("<input") {
            if let Some(name) = attribute(tag, "name") {
                out.push((name, attribute(tag, "value").unwrap_or_default()));
            }
        } else if tag.starts_with("<textarea") {
            let close = rest.find("</textarea>").unwrap();
            out.push((attribute(tag, "name").unwrap(), unescape(&rest[end + 1..close])));
        } else if tag.starts_with("<select") {
            let close = rest.find("</select>").unwrap();
            let options = &rest[end + 1..close];
            let chosen = options
                .split("<option")
                .skip(1)
                .find(|o| o.contains(" selected"))
                .or_else(|| options.split("<option").nth(1))
                .and_then(|o| attribute(&format!(" {o}"), "value"))
                .unwrap_or_default();
            out.push((attribute(tag, "name").unwrap(), chosen));
        } else if tag.starts_with("</form") {
            break;
        }
        rest = &rest[end + 1..];
    }
    out
}

fn set(fields: &mut [(String, String)], name: &str, value: &str) {
    let field = fields
        .iter_mut()
        .find(|(k, _)| k == name)
        .unwrap_or_else(|| panic!("{name}"));
    field.1 = value.to_owned();
}

/// Presses `action` on the editor with `fields` as the city's standing committee.
async fn press(app: &TestApp, fields: &[(String, String)], action: &str) -> (StatusCode, String) {
    press_as(app, "thanhpho", fields, action).await
}

/// Presses `action` on the editor with `fields` as `who`.
async fn press_as(app: &TestApp, who: &str, fields: &[(String, String)], action: &str) -> (StatusCode, String) {
    let mut all: Vec<(&str, &str)> = fields
        .iter()
        .filter(|(k, _)| k != "csrf")
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    all.push(("action", action));
    let (status, _, page) = app.post_as(Some(who), EDIT, &all).await;
    (status, page)
}

async fn the_upper_level_adds_moves_and_removes_lines_and_saving_makes_a_new_version(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    // A sheet scored on version 1 keeps it: the save makes version 2.
    let hadong = app.state.store.user("hadong").await.unwrap();
    app.state
        .store
        .save_score_sheet(
            &Actor::from(&hadong.principal()),
            &UnitCode::parse("HN-HADONG").unwrap(),
            2022,
            1,
            ScoreStep::SelfScore,
            thidua_store::SheetInput::default(),
        )
        .await
        .unwrap();
    let (status, _, page) = app.get_as(Some("thanhpho"), EDIT).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let fields = form_fields(&page);
    let before = app.state.store.criteria("district", 2022).await.unwrap().set;
    let first_group = before.groups()[0].clone();

    // Add an item to the first group, name it and give it the points of the item removed.
    let (status, page) = press(&app, &fields, "add_item:0").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let mut fields = form_fields(&page);
    let new = first_group.children().len() + 1;
    let code = format!("{}.{new}", first_group.code);
    assert!(
        page.contains(&format!("value=\"{code}\"")),
        "the new item has the next code: {page}"
    );
    let removed = &first_group.children()[0];
    set(
        &mut fields,
        &format!("c{new}_name"),
        "Tiêu chí mới soạn trên trình duyệt",
    );
    set(&mut fields, &format!("c{new}_max"), &removed.max.format_vi());
    // Move the new item up once, then remove the group's first item.
    let (_, page) = press(&app, &fields, &format!("up:c:{new}")).await;
    let fields = form_fields(&page);
    let (_, page) = press(&app, &fields, "remove:c:1").await;
    let fields = form_fields(&page);
    assert!(
        !page.contains(&format!("value=\"{}\"", removed.name)),
        "the first item is gone"
    );

    let (status, page) = press(&app, &fields, "save").await;

    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("đã tạo phiên bản 2"), "{page}");
    assert!(
        page.contains("Tiêu chí mới soạn trên trình duyệt"),
        "the criteria page shows it"
    );
    let after = app.state.store.criteria("district", 2022).await.unwrap();
    assert_eq!(after.version, 2);
    let names: Vec<&str> = after.set.groups()[0]
        .children()
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(names.len(), first_group.children().len());
    assert_eq!(
        names[names.len() - 2],
        "Tiêu chí mới soạn trên trình duyệt",
        "moved up once"
    );
    assert!(!names.contains(&removed.name.as_str()));
    let old = app.state.store.criteria_version("district", 2022, 1).await.unwrap();
    assert_eq!(old.set, before, "version 1 keeps its sheet and its table");
}

async fn a_bad_line_comes_back_beside_itself_with_what_was_typed_and_nothing_is_saved(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let before = app.state.store.criteria("district", 2022).await.unwrap();
    let (_, _, page) = app.get_as(Some("thanhpho"), EDIT).await;
    let mut fields = form_fields(&page);
    set(&mut fields, "c1_max", "-2");
    set(&mut fields, "c2_name", "");
    set(&mut fields, "c0_max", "99");
    set(&mut fields, "c3_guidance", "Ghi chú đang soạn dở");

    let (status, page) = press(&app, &fields, "save").await;

    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    let code = |i: usize| {
        fields
            .iter()
            .find(|(k, _)| *k == format!("c{i}_code"))
            .unwrap()
            .1
            .clone()
    };
    assert!(
        page.contains(&format!("{}: Điểm tối đa «-2» không hợp lệ", code(1))),
        "negative points named on their line: {page}"
    );
    assert!(
        page.contains(&format!("{}: Chưa ghi nội dung tiêu chí.", code(2))),
        "{page}"
    );
    assert!(
        page.contains("value=\"-2\"") && page.contains("Ghi chú đang soạn dở"),
        "what was typed is kept"
    );
    assert!(page.contains("chưa có gì được lưu"));
    // The lines fixed, the group's stated maximum that its items do not add up to is told on the group.
    let mut fields = form_fields(&page);
    let (old_max, old_name) = (
        before.set.groups()[0].children()[0].max.format_vi(),
        before.set.groups()[0].children()[1].name.clone(),
    );
    set(&mut fields, "c1_max", &old_max);
    set(&mut fields, "c2_name", &old_name);
    let (status, page) = press(&app, &fields, "save").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    assert!(
        page.contains(&format!(
            "{}: Điểm tối đa của nhóm là 99 nhưng các tiêu chí con cộng lại được",
            code(0)
        )),
        "{page}"
    );
    let after = app.state.store.criteria("district", 2022).await.unwrap();
    assert_eq!(
        (after.version, after.set),
        (before.version, before.set),
        "nothing saved"
    );
}

async fn a_year_starts_from_the_criteria_of_two_years_back(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let year = common::current_half().year();
    app.state
        .store
        .copy_criteria(&Actor::system("test"), "district", 2022, year - 2)
        .await
        .unwrap();
    let uri = format!("/clusters/HN-CUM2/criteria?year={year}");
    let (_, _, page) = app.get_as(Some("thanhpho"), &uri).await;
    assert!(
        page.contains(&format!("Sao chép bảng tiêu chí năm {} sang năm {year}", year - 2)),
        "two years back is offered: {page}"
    );

    let from = (year - 2).to_string();
    let (status, _, page) = app
        .post_as(
            Some("thanhpho"),
            &format!("/clusters/HN-CUM2/criteria/copy?year={year}"),
            &[("from", from.as_str())],
        )
        .await;

    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains(&format!("Đã sao chép bảng tiêu chí năm {} sang năm {year}", year - 2)),
        "{page}"
    );
    let copied = app.state.store.criteria("district", year).await.unwrap();
    assert_eq!(copied.set.year(), year);
    assert!(copied.set.name().contains(&year.to_string()));
}

async fn an_item_moved_into_the_next_group_is_saved_there_with_its_points(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    let before = app.state.store.criteria("district", 2022).await.unwrap().set;
    let (first, second) = (&before.groups()[0], &before.groups()[1]);
    let moved = &first.children()[0];
    let (_, _, page) = app.get_as(Some("thanhpho"), EDIT).await;
    assert!(
        unescape(&page).contains(&format!(
            "aria-label=\"Sang nhóm dưới: chuyển tiêu chí {} vào cuối nhóm {}\"",
            moved.code, second.code
        )),
        "the button names the line and where it goes: {page}"
    );
    let (status, page) = press(&app, &form_fields(&page), "group_down:1").await;
    assert_eq!(status, StatusCode::OK, "{page}");

    let (status, page) = press(&app, &form_fields(&page), "save").await;

    assert_eq!(status, StatusCode::OK, "{page}");
    let after = app.state.store.criteria("district", 2022).await.unwrap().set;
    let (first_after, second_after) = (&after.groups()[0], &after.groups()[1]);
    let last = second_after.children().last().unwrap();
    assert_eq!(
        (&last.name, last.max, &last.kind),
        (&moved.name, moved.max, &moved.kind),
        "at the end of the next group, its points and scoring kept"
    );
    assert_eq!(first_after.children().len() + 1, first.children().len());
    assert_eq!(
        (first_after.max, second_after.max),
        (first.max.minus(moved.max), second.max.plus(moved.max)),
        "the groups' totals follow"
    );
}

async fn a_second_editor_s_stale_save_is_refused_its_draft_kept_and_the_first_save_intact(backend: Backend) {
    let Some(app) = TestApp::with_demo(backend).await else {
        return;
    };
    // Both open the editor on the same year.
    let (_, _, page) = app.get_as(Some("thanhpho"), EDIT).await;
    let mut second = form_fields(&page);
    let (_, _, page) = app.get_as(Some("admin"), EDIT).await;
    let mut first = form_fields(&page);
    set(&mut first, "c1_name", "Tiêu chí do quản trị viên sửa trước");
    let (status, page) = press_as(&app, "admin", &first, "save").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let saved = app.state.store.criteria("district", 2022).await.unwrap();
    set(&mut second, "c1_guidance", "Ghi chú Thành phố soạn cùng lúc");

    let (status, page) = press(&app, &second, "save").await;

    assert_eq!(status, StatusCode::CONFLICT, "{page}");
    let at = chrono::DateTime::parse_from_rfc3339(&saved.created_at).unwrap();
    let at = thidua_core::period::format_datetime_vi(at.with_timezone(&chrono::Local).naive_local());
    let text = unescape(&page);
    assert!(
        text.contains(&format!(
            "Bảng tiêu chí năm 2022 đã được Quản trị hệ thống thay đổi lúc {at}"
        )),
        "who and when, in Vietnamese: {page}"
    );
    assert!(
        text.contains("href=\"/clusters/HN-CUM2/criteria/edit?year=2022\">Tải lại bảng tiêu chí đã lưu</a>"),
        "a link to the saved version"
    );
    assert!(text.contains("Ghi chú Thành phố soạn cùng lúc"), "the draft is kept");
    assert_eq!(
        app.state.store.criteria("district", 2022).await.unwrap(),
        saved,
        "the first save intact"
    );
    // Told, a second «Lưu» replaces it knowingly.
    let (status, page) = press(&app, &form_fields(&page), "save").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let now = app.state.store.criteria("district", 2022).await.unwrap().set;
    assert_eq!(
        now.groups()[0].children()[0].guidance,
        "Ghi chú Thành phố soạn cùng lúc"
    );
}
