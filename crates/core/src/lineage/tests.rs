//! Reorganisations are checked before they apply, and give each unit its successors
//! today, its parent on a past day and its history in Vietnamese.

use super::*;

fn code(c: &str) -> UnitCode {
    UnitCode::parse(c).unwrap()
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn unit(c: &str, name: &str, parent: Option<&str>) -> Unit {
    Unit {
        code: code(c),
        name: name.into(),
        kind: "ward".into(),
        parent: parent.map(code),
        valid_from: None,
        valid_to: None,
    }
}

/// A city with two districts, each with two wards.
fn tree() -> UnitTree {
    UnitTree::new([
        unit("HN", "Ủy ban MTTQ Việt Nam Thành phố Hà Nội", None),
        unit("D1", "Ủy ban MTTQ Việt Nam quận Một", Some("HN")),
        unit("D2", "Ủy ban MTTQ Việt Nam quận Hai", Some("HN")),
        unit("W1", "Ủy ban MTTQ Việt Nam phường Một", Some("D1")),
        unit("W2", "Ủy ban MTTQ Việt Nam phường Hai", Some("D1")),
        unit("W3", "Ủy ban MTTQ Việt Nam phường Ba", Some("D2")),
    ])
    .unwrap()
}

fn request(
    kind: ChangeKind,
    from: &[&str],
    to: &[(&str, Option<f64>)],
    names: &[&str],
    parent: Option<&str>,
) -> ChangeRequest {
    ChangeRequest {
        effective: day(2025, 7, 1),
        kind,
        from: from.iter().map(|c| code(c)).collect(),
        to: to.iter().map(|(c, w)| (code(c), *w)).collect(),
        names: names.iter().map(|n| (*n).to_owned()).collect(),
        parent: parent.map(code),
    }
}

#[test]
fn a_merge_into_a_new_unit_creates_it_and_ends_the_old_ones_the_day_before() {
    let plan = plan(
        &tree(),
        &[request(
            ChangeKind::Merge,
            &["W1", "W2"],
            &[("N1", None)],
            &["Ủy ban MTTQ Việt Nam phường Mới"],
            Some("HN"),
        )],
    )
    .unwrap();
    assert_eq!(plan.create.len(), 1);
    assert_eq!(plan.create[0].parent, Some(code("HN")));
    assert_eq!(plan.create[0].valid_from, Some(day(2025, 7, 1)));
    assert_eq!(plan.end.get(&code("W1")), Some(&day(2025, 6, 30)));
    assert_eq!(plan.end.get(&code("W2")), Some(&day(2025, 6, 30)));
    let lineage = Lineage::new(plan.changes);
    assert_eq!(lineage.successors_today(&code("W1")), vec![(code("N1"), 1.0)]);
}

#[test]
fn a_merge_into_one_of_its_units_keeps_that_one_open() {
    let plan = plan(
        &tree(),
        &[request(ChangeKind::Merge, &["W1", "W2"], &[("W1", None)], &[], None)],
    )
    .unwrap();
    assert!(plan.create.is_empty());
    assert!(!plan.end.contains_key(&code("W1")));
    assert!(plan.end.contains_key(&code("W2")));
}

#[test]
fn a_split_shares_the_past_by_its_weights_and_without_weights_keeps_it() {
    let weighted = plan(
        &tree(),
        &[request(
            ChangeKind::Split,
            &["W3"],
            &[("S1", Some(0.6)), ("S2", Some(0.4))],
            &["phường S1", "phường S2"],
            None,
        )],
    )
    .unwrap();
    let lineage = Lineage::new(weighted.changes);
    assert_eq!(
        lineage.successors_today(&code("W3")),
        vec![(code("S1"), 0.6), (code("S2"), 0.4)]
    );

    let unweighted = plan(
        &tree(),
        &[request(
            ChangeKind::Split,
            &["W3"],
            &[("S1", None), ("S2", None)],
            &["phường S1", "phường S2"],
            None,
        )],
    )
    .unwrap();
    let lineage = Lineage::new(unweighted.changes);
    assert_eq!(lineage.successors_today(&code("W3")), vec![(code("W3"), 1.0)]);
}

#[test]
fn weights_that_do_not_add_up_to_one_are_refused() {
    let errors = plan(
        &tree(),
        &[request(
            ChangeKind::Split,
            &["W3"],
            &[("S1", Some(0.6)), ("S2", Some(0.6))],
            &["a", "b"],
            None,
        )],
    )
    .unwrap_err();
    assert!(errors[0].1.contains("cộng lại bằng 1"), "{errors:?}");
}

#[test]
fn a_moved_unit_stands_under_its_old_parent_before_the_move() {
    let plan = plan(&tree(), &[request(ChangeKind::Move, &["W3"], &[], &[], Some("D1"))]).unwrap();
    let lineage = Lineage::new(plan.changes);
    let mut moved = tree().units().cloned().collect::<Vec<_>>();
    for u in &mut moved {
        if u.code == code("W3") {
            u.parent = Some(code("D1"));
        }
    }
    let today = UnitTree::new(moved).unwrap();
    assert_eq!(
        lineage.parent_on(&today, &code("W3"), day(2024, 12, 31)),
        Some(&code("D2"))
    );
    assert_eq!(
        lineage.parent_on(&today, &code("W3"), day(2025, 7, 1)),
        Some(&code("D1"))
    );
}

#[test]
fn a_unit_cannot_be_moved_below_itself() {
    let errors = plan(&tree(), &[request(ChangeKind::Move, &["D1"], &[], &[], Some("W1"))]).unwrap_err();
    assert!(errors[0].1.contains("dưới chính nó"), "{errors:?}");
}

#[test]
fn a_unit_ended_by_an_earlier_change_cannot_change_again() {
    let errors = plan(
        &tree(),
        &[
            request(ChangeKind::Merge, &["W1", "W2"], &[("W1", None)], &[], None),
            request(ChangeKind::Rename, &["W2"], &[], &["phường Hai mới"], None),
        ],
    )
    .unwrap_err();
    assert_eq!(errors[0].0, 1);
    assert!(errors[0].1.contains("đã kết thúc"), "{errors:?}");
}

#[test]
fn merges_of_merges_lead_to_today_s_unit() {
    let first = plan(
        &tree(),
        &[request(
            ChangeKind::Merge,
            &["W1", "W2"],
            &[("N1", None)],
            &["phường N1"],
            Some("D1"),
        )],
    )
    .unwrap();
    let mut later = request(
        ChangeKind::Merge,
        &["N1", "W3"],
        &[("N2", None)],
        &["phường N2"],
        Some("HN"),
    );
    later.effective = day(2026, 1, 1);
    let mut after_first = tree().units().cloned().collect::<Vec<_>>();
    after_first.extend(first.create.clone());
    let second = plan(&UnitTree::new(after_first).unwrap(), &[later]).unwrap();
    let lineage = Lineage::new(first.changes.into_iter().chain(second.changes).collect());
    assert_eq!(lineage.successors_today(&code("W1")), vec![(code("N2"), 1.0)]);
}

#[test]
fn the_unit_page_tells_how_a_unit_was_formed() {
    let plan = plan(
        &tree(),
        &[request(
            ChangeKind::Merge,
            &["W1", "W2"],
            &[("N1", None)],
            &["Ủy ban MTTQ Việt Nam phường Mới"],
            Some("HN"),
        )],
    )
    .unwrap();
    let mut units = tree().units().cloned().collect::<Vec<_>>();
    units.extend(plan.create.clone());
    let tree = UnitTree::new(units).unwrap();
    let lineage = Lineage::new(plan.changes);
    assert_eq!(
        lineage.describe_vi(&tree, &code("N1")),
        vec!["Thành lập ngày 1/7/2025 trên cơ sở hợp nhất phường Một và phường Hai.".to_owned()]
    );
    assert_eq!(
        lineage.predecessors_of(&code("N1"), &tree).len(),
        3,
        "N1 itself, W1 and W2"
    );
}
