//! Quyền truy cập — who may see and do what, decided from a user's place in the unit tree
//! and the clusters their unit belongs to or chairs. Every page and API call asks these
//! functions; they are pure, so the whole matrix of roles × actions is tested here.
//!
//! - an officer (cán bộ thi đua) enters and submits their own unit's form, and sees the
//!   accepted figures of their unit, the units below it, and their cluster peers;
//! - a chair (cụm trưởng) is an officer of the chair unit who also reviews the
//!   submissions of the members of the clusters that unit chairs, in that year;
//! - an upper-level officer (Ban Thường trực) sees and reviews everything below their
//!   unit and can reopen an accepted form;
//! - an admin does everything, including managing accounts.
//!
//! In the emulation work (thi đua): each member scores itself and casts its unit's one
//! paper; the chair runs the cluster's scoring, pledge and vote; the upper level defines
//! the criteria, adjusts the scores and decides the awards for the units below it.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::cluster::Cluster;
use crate::code::{ClusterCode, UnitCode};
use crate::emulation::award::Recipient;
use crate::error::Error;
use crate::period::Period;
use crate::unit::UnitTree;

/// Vai trò — a user's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Cán bộ thi đua — enters one unit's figures.
    Officer,
    /// Cụm trưởng — an officer of a chair unit, who also reviews the cluster's members.
    Chair,
    /// Cấp trên (Ban Thường trực) — sees and reviews a whole subtree.
    Upper,
    /// Quản trị — everything, including accounts.
    Admin,
}

impl Role {
    /// Parses the stored and typed spelling (`officer`, `chair`, `upper`, `admin`).
    pub fn parse(raw: &str) -> Result<Role, Error> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "officer" => Ok(Role::Officer),
            "chair" => Ok(Role::Chair),
            "upper" => Ok(Role::Upper),
            "admin" => Ok(Role::Admin),
            _ => Err(Error::InvalidField {
                field: "vai trò",
                value: raw.to_owned(),
                expected: "officer, chair, upper hoặc admin",
            }),
        }
    }

    /// The stored spelling.
    pub fn as_str(&self) -> &'static str {
        match self {
            Role::Officer => "officer",
            Role::Chair => "chair",
            Role::Upper => "upper",
            Role::Admin => "admin",
        }
    }

    /// The Vietnamese name shown to people.
    pub fn label_vi(&self) -> &'static str {
        match self {
            Role::Officer => "Cán bộ thi đua",
            Role::Chair => "Cụm trưởng",
            Role::Upper => "Cấp trên",
            Role::Admin => "Quản trị",
        }
    }

    /// Whether the role is tied to a unit (every role but admin).
    pub fn needs_unit(&self) -> bool {
        *self != Role::Admin
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The signed-in user, as the access rules see them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The account id.
    pub user_id: i64,
    /// The login name.
    pub username: String,
    /// The role.
    pub role: Role,
    /// The unit the account belongs to; `None` only for admins.
    pub unit: Option<UnitCode>,
}

/// The access rules for one principal, over the current tree and clusters.
pub struct Access<'a> {
    principal: &'a Principal,
    tree: &'a UnitTree,
    clusters: &'a [Cluster],
}

impl<'a> Access<'a> {
    /// Rules for `principal`.
    pub fn new(principal: &'a Principal, tree: &'a UnitTree, clusters: &'a [Cluster]) -> Self {
        Access {
            principal,
            tree,
            clusters,
        }
    }

    fn is_admin(&self) -> bool {
        self.principal.role == Role::Admin
    }

    fn own_unit(&self) -> Option<&UnitCode> {
        self.principal.unit.as_ref()
    }

    /// Whether `unit` is `root` or lies below it.
    fn within(&self, root: &UnitCode, unit: &UnitCode) -> bool {
        root == unit || self.tree.ancestors(unit).iter().any(|a| &a.code == root)
    }

    fn within_own_subtree(&self, unit: &UnitCode) -> bool {
        self.own_unit().is_some_and(|own| self.within(own, unit))
    }

    /// Clusters the user's unit belongs to (any year).
    fn own_clusters(&self) -> impl Iterator<Item = &Cluster> {
        self.clusters
            .iter()
            .filter(|c| self.own_unit().is_some_and(|own| c.has_member(own)))
    }

    /// Whether the user may see the accepted figures of `unit` (and the units below it).
    pub fn can_view_unit(&self, unit: &UnitCode) -> bool {
        if self.is_admin() || self.within_own_subtree(unit) {
            return true;
        }
        // Cluster peers see each other's accepted figures: they are reviewed together.
        self.principal.role != Role::Upper
            && self
                .own_clusters()
                .any(|c| c.members.iter().any(|m| self.within(m, unit)))
    }

    /// Whether the user may see a cluster's page (its members' accepted figures).
    pub fn can_view_cluster(&self, cluster: &Cluster) -> bool {
        match self.principal.role {
            Role::Admin => true,
            Role::Upper => cluster.members.iter().all(|m| self.within_own_subtree(m)),
            Role::Officer | Role::Chair => self.own_unit().is_some_and(|own| cluster.has_member(own)),
        }
    }

    /// Whether the user may enter and submit `unit`'s form (their own unit only).
    pub fn can_enter(&self, unit: &UnitCode) -> bool {
        matches!(self.principal.role, Role::Officer | Role::Chair) && self.own_unit() == Some(unit)
    }

    /// Whether the user may accept or return `unit`'s submission for `period`: the chair
    /// of a cluster the unit belongs to in that year, the upper level above it, an admin.
    /// The chair's own unit is a member of the cluster it chairs, but nobody reviews their
    /// own form: the upper level reviews the chair unit's.
    pub fn can_review(&self, unit: &UnitCode, period: Period) -> bool {
        match self.principal.role {
            Role::Admin => true,
            Role::Upper => self.within_own_subtree(unit),
            Role::Chair => {
                self.own_unit() != Some(unit) && self.chaired_clusters(period.year()).any(|c| c.has_member(unit))
            }
            Role::Officer => false,
        }
    }

    /// Whether the user may see where `unit`'s form for `period` stands in detail (a
    /// draft being typed, a returned form, which figures it still lacks): the unit itself,
    /// its reviewers (the chair, the upper level), an admin. A cluster peer is told only
    /// whether the form has been sent ([`crate::workflow::SubmissionState::is_sent`]).
    pub fn can_see_draft_state(&self, unit: &UnitCode, period: Period) -> bool {
        self.can_enter(unit) || self.can_review(unit, period) || self.can_reopen(unit)
    }

    /// The years of cluster `code` the user may see, newest first. Pages ask this before
    /// they name any year, so that someone without the right learns none of them.
    pub fn visible_years(&self, code: &ClusterCode) -> Vec<i32> {
        let mut years: Vec<i32> = self
            .clusters
            .iter()
            .filter(|c| &c.code == code && self.can_view_cluster(c))
            .map(|c| c.year)
            .collect();
        years.sort_unstable_by(|a, b| b.cmp(a));
        years.dedup();
        years
    }

    /// The recipients of an award decision the user may see (those in units they may
    /// see): a decision for several units is shown to each with only what is theirs.
    pub fn visible_recipients<'r>(&self, recipients: &'r [Recipient]) -> Vec<&'r Recipient> {
        recipients.iter().filter(|r| self.can_view_unit(r.unit())).collect()
    }

    /// Clusters the user's unit chairs in `year`, when the user is a chair.
    pub fn chaired_clusters(&self, year: i32) -> impl Iterator<Item = &Cluster> {
        self.clusters.iter().filter(move |c| {
            self.principal.role == Role::Chair
                && c.year == year
                && c.chair.is_some()
                && c.chair.as_ref() == self.own_unit()
        })
    }

    /// Whether the user may see `unit`'s submission for `period` in the state it is in:
    /// its own officers always; reviewers once it has been submitted.
    pub fn can_read_submission(&self, unit: &UnitCode, period: Period, is_draft: bool) -> bool {
        self.can_enter(unit) || (!is_draft && self.can_review(unit, period))
    }

    /// Whether the user may reopen an accepted form of `unit`.
    pub fn can_reopen(&self, unit: &UnitCode) -> bool {
        match self.principal.role {
            Role::Admin => true,
            Role::Upper => self.within_own_subtree(unit),
            Role::Officer | Role::Chair => false,
        }
    }

    /// Whether the user may manage accounts.
    pub fn can_administer(&self) -> bool {
        self.is_admin()
    }

    /// Whether the user chairs `cluster` (its chair unit's chair, in its year).
    pub fn chairs(&self, cluster: &Cluster) -> bool {
        self.principal.role == Role::Chair && cluster.chair.is_some() && cluster.chair.as_ref() == self.own_unit()
    }

    /// Whether the user is above every member of `cluster` (upper level) or an admin.
    pub fn oversees(&self, cluster: &Cluster) -> bool {
        match self.principal.role {
            Role::Admin => true,
            Role::Upper => cluster.members.iter().all(|m| self.within_own_subtree(m)),
            Role::Officer | Role::Chair => false,
        }
    }

    /// Whether the user may define emulation criteria (tiêu chí): the upper level and
    /// admins.
    pub fn can_manage_criteria(&self) -> bool {
        matches!(self.principal.role, Role::Upper | Role::Admin)
    }

    /// Whether the user may speak for `unit` in `cluster`: register its pledge, score it
    /// (tự chấm), cast its paper. Its own officers, when it is a member.
    pub fn represents(&self, cluster: &Cluster, unit: &UnitCode) -> bool {
        self.can_enter(unit) && cluster.has_member(unit)
    }

    /// Whether the user runs `cluster`'s emulation work: signs the pledge, gives the
    /// cluster's scores, opens and closes the vote, proposes awards from it. The chair,
    /// the upper level above it, an admin.
    pub fn can_run_cluster(&self, cluster: &Cluster) -> bool {
        self.chairs(cluster) || self.oversees(cluster)
    }

    /// Whether the user may see `unit`'s score sheets (bảng điểm) in `cluster`: the unit
    /// itself, whoever runs the cluster (its chair, the upper level above every member, an
    /// admin), and — once the cluster has given its score for the unit (`cluster_scored`)
    /// — anyone who may see the cluster, its other members among them. Before that, a
    /// self-score stays between the unit and those who score it (docs/decisions.md,
    /// "Scores in the browser").
    pub fn can_see_score_sheets(&self, cluster: &Cluster, unit: &UnitCode, cluster_scored: bool) -> bool {
        self.represents(cluster, unit)
            || self.can_run_cluster(cluster)
            || (cluster_scored && self.can_view_cluster(cluster))
    }

    /// Whether the user may adjust `cluster`'s scores as the upper level, and review,
    /// escalate, decide and revoke awards for its members.
    pub fn can_decide_for(&self, cluster: &Cluster) -> bool {
        self.oversees(cluster)
    }

    /// Whether the user may decide or revoke awards for `unit`: the upper level above it,
    /// an admin.
    pub fn can_decide_awards(&self, unit: &UnitCode) -> bool {
        self.can_reopen(unit)
    }

    /// Whether the user may edit and preview `cluster`'s review template (mẫu báo cáo of
    /// the cụm): the same right as running the cluster — its chair, the upper level above
    /// every member, an admin. The template is kept per cluster code across years, so
    /// callers ask this of the cluster as constituted in its latest year (the chair in
    /// office) and of the year whose data the preview shows.
    pub fn can_edit_review_template(&self, cluster: &Cluster) -> bool {
        self.can_run_cluster(cluster)
    }

    /// Whether the user may issue the cluster's review — give it its number in the
    /// register and publish it on the news page: the chair of that year, or an admin.
    pub fn can_publish_review(&self, cluster: &Cluster) -> bool {
        match self.principal.role {
            Role::Admin => true,
            Role::Chair => cluster.chair.is_some() && cluster.chair == self.principal.unit,
            _ => false,
        }
    }

    /// Whether the user may issue or replace the emulation criteria of cluster level
    /// `level` (the members' kind: `district`, `ward`) for `year`. A set is keyed by level
    /// and year only, so it scores every unit of that level: the upper level may change
    /// it only when its subtree holds every unit of that level in the tree and every member
    /// of that year's clusters at that level; an admin always (docs/decisions.md,
    /// "Criteria belong to whoever is above every unit they score").
    pub fn can_issue_criteria(&self, level: &str, year: i32) -> bool {
        match self.principal.role {
            Role::Admin => true,
            Role::Upper => {
                let of_level = |u: &UnitCode| self.tree.get(u).is_some_and(|unit| unit.kind == level);
                let units_inside = self
                    .tree
                    .units()
                    .filter(|u| u.kind == level)
                    .all(|u| self.within_own_subtree(&u.code));
                let clusters_inside = self
                    .clusters
                    .iter()
                    .filter(|c| c.year == year && c.members.iter().any(of_level))
                    .all(|c| c.members.iter().all(|m| self.within_own_subtree(m)));
                units_inside && clusters_inside
            }
            Role::Officer | Role::Chair => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::unit::Unit;

    fn code(c: &str) -> UnitCode {
        UnitCode::parse(c).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Hà Nội with three districts; Hà Đông has a ward. Cluster 2 (2022) holds Hà Đông and
    /// Cầu Giấy, chaired by Hà Đông; Tây Hồ is in another cluster.
    fn world() -> (UnitTree, Vec<Cluster>) {
        let unit = |c: &str, parent: Option<&str>| Unit {
            code: code(c),
            name: c.to_owned(),
            kind: "district".into(),
            parent: parent.map(code),
            valid_from: None,
            valid_to: None,
        };
        let tree = UnitTree::new([
            unit("HN", None),
            unit("HD", Some("HN")),
            unit("HD-P1", Some("HD")),
            unit("CG", Some("HN")),
            unit("TH", Some("HN")),
        ])
        .unwrap_or_else(|e| panic!("{e}"));
        let cluster = |c: &str, members: &[&str], chair: &str| Cluster {
            code: crate::ClusterCode::parse(c).unwrap_or_else(|e| panic!("{e}")),
            name: c.to_owned(),
            year: 2022,
            members: members.iter().map(|m| code(m)).collect(),
            chair: Some(code(chair)),
            deputy: None,
            host: None,
        };
        (
            tree,
            vec![cluster("CUM2", &["HD", "CG"], "HD"), cluster("CUM3", &["TH"], "TH")],
        )
    }

    fn who(role: Role, unit: Option<&str>) -> Principal {
        Principal {
            user_id: 1,
            username: "u".into(),
            role,
            unit: unit.map(code),
        }
    }

    const S1: Period = Period::HalfYear(2022, 1);

    #[test]
    fn an_officer_enters_only_their_own_unit() {
        let (tree, clusters) = world();
        let p = who(Role::Officer, Some("HD"));
        let access = Access::new(&p, &tree, &clusters);
        assert!(access.can_enter(&code("HD")));
        for other in ["CG", "HD-P1", "TH", "HN"] {
            assert!(!access.can_enter(&code(other)), "{other}");
        }
    }

    #[test]
    fn an_officer_of_ha_dong_cannot_read_cau_giay_s_draft_or_review_it() {
        let (tree, clusters) = world();
        let p = who(Role::Officer, Some("HD"));
        let access = Access::new(&p, &tree, &clusters);
        assert!(!access.can_read_submission(&code("CG"), S1, true));
        assert!(!access.can_read_submission(&code("CG"), S1, false));
        assert!(!access.can_review(&code("CG"), S1));
        assert!(access.can_read_submission(&code("HD"), S1, true));
    }

    #[test]
    fn cluster_peers_see_each_other_s_accepted_figures_but_not_other_clusters() {
        let (tree, clusters) = world();
        let p = who(Role::Officer, Some("HD"));
        let access = Access::new(&p, &tree, &clusters);
        assert!(access.can_view_unit(&code("CG")));
        assert!(access.can_view_unit(&code("HD-P1")));
        assert!(!access.can_view_unit(&code("TH")));
        assert!(!access.can_view_unit(&code("HN")));
        assert!(access.can_view_cluster(&clusters[0]));
        assert!(!access.can_view_cluster(&clusters[1]));
    }

    #[test]
    fn the_chair_reviews_the_members_of_the_cluster_it_chairs_in_that_year_only() {
        let (tree, clusters) = world();
        let p = who(Role::Chair, Some("HD"));
        let access = Access::new(&p, &tree, &clusters);
        assert!(access.can_review(&code("CG"), S1));
        assert!(!access.can_review(&code("TH"), S1));
        assert!(
            !access.can_review(&code("CG"), Period::HalfYear(2023, 1)),
            "chairs rotate yearly"
        );
        assert!(
            !access.can_read_submission(&code("CG"), S1, true),
            "drafts stay private"
        );
        assert!(access.can_read_submission(&code("CG"), S1, false));
        assert!(access.can_enter(&code("HD")) && !access.can_enter(&code("CG")));
        assert!(!access.can_reopen(&code("CG")));
    }

    #[test]
    fn the_chair_does_not_review_its_own_unit_s_form_the_upper_level_does() {
        let (tree, clusters) = world();
        let chair = who(Role::Chair, Some("HD"));
        let chair = Access::new(&chair, &tree, &clusters);
        assert!(
            !chair.can_review(&code("HD"), S1),
            "the chair's unit is a member, not its own reviewer"
        );
        assert!(chair.can_review(&code("CG"), S1));
        assert!(chair.can_enter(&code("HD")) && chair.can_read_submission(&code("HD"), S1, true));
        let city = who(Role::Upper, Some("HN"));
        assert!(Access::new(&city, &tree, &clusters).can_review(&code("HD"), S1));
    }

    #[test]
    fn only_the_unit_its_reviewers_and_the_upper_level_see_a_form_s_draft_state() {
        let (tree, clusters) = world();
        let sees = |role: Role, unit: &str, of: &str| {
            let p = who(role, Some(unit));
            Access::new(&p, &tree, &clusters).can_see_draft_state(&code(of), S1)
        };
        assert!(sees(Role::Officer, "CG", "CG"), "the unit itself");
        assert!(!sees(Role::Officer, "CG", "HD"), "a peer is told only sent or not");
        assert!(sees(Role::Chair, "HD", "CG"), "the chair reviews it");
        assert!(sees(Role::Chair, "HD", "HD"), "the chair's own unit");
        assert!(sees(Role::Upper, "HN", "CG"), "the upper level");
        assert!(!sees(Role::Officer, "TH", "CG"), "an outsider");
        let admin = who(Role::Admin, None);
        assert!(Access::new(&admin, &tree, &clusters).can_see_draft_state(&code("CG"), S1));
    }

    #[test]
    fn a_cluster_s_years_are_listed_only_to_who_may_see_them() {
        let (tree, mut clusters) = world();
        let mut later = clusters[0].clone();
        later.year = 2023;
        later.members = vec![code("HD")];
        clusters.push(later);
        let cum2 = crate::ClusterCode::parse("CUM2").unwrap_or_else(|e| panic!("{e}"));
        let years = |role: Role, unit: &str| {
            let p = who(role, Some(unit));
            Access::new(&p, &tree, &clusters).visible_years(&cum2)
        };
        assert_eq!(years(Role::Officer, "HD"), [2023, 2022]);
        assert_eq!(years(Role::Officer, "CG"), [2022], "Cầu Giấy left in 2023");
        assert!(years(Role::Officer, "TH").is_empty(), "an outsider learns no year");
        assert_eq!(
            years(Role::Upper, "HD"),
            [2023],
            "2022 had Cầu Giấy, outside its subtree"
        );
        assert_eq!(years(Role::Upper, "HN"), [2023, 2022]);
    }

    #[test]
    fn a_decision_s_recipients_are_shown_to_each_viewer_only_within_their_scope() {
        let (tree, clusters) = world();
        let recipients = [
            Recipient::Collective { unit: code("CG") },
            Recipient::Individual {
                name: "Trần Thị Bình".into(),
                title: String::new(),
                unit: code("TH"),
            },
        ];
        let seen = |role: Role, unit: &str| {
            let p = who(role, Some(unit));
            Access::new(&p, &tree, &clusters)
                .visible_recipients(&recipients)
                .iter()
                .map(|r| r.unit().to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(seen(Role::Officer, "HD"), ["CG"], "a peer of Cầu Giấy, not of Tây Hồ");
        assert_eq!(seen(Role::Officer, "TH"), ["TH"]);
        assert_eq!(seen(Role::Upper, "HN"), ["CG", "TH"]);
    }

    #[test]
    fn a_chair_role_on_a_unit_that_chairs_nothing_reviews_nothing() {
        let (tree, clusters) = world();
        let p = who(Role::Chair, Some("CG"));
        let access = Access::new(&p, &tree, &clusters);
        assert!(!access.can_review(&code("HD"), S1));
    }

    #[test]
    fn the_upper_level_sees_reviews_and_reopens_its_subtree() {
        let (tree, clusters) = world();
        let p = who(Role::Upper, Some("HD"));
        let access = Access::new(&p, &tree, &clusters);
        assert!(access.can_view_unit(&code("HD-P1")) && access.can_review(&code("HD-P1"), S1));
        assert!(access.can_reopen(&code("HD-P1")));
        assert!(!access.can_view_unit(&code("CG")) && !access.can_review(&code("CG"), S1));
        assert!(!access.can_enter(&code("HD")));
        assert!(
            !access.can_view_cluster(&clusters[0]),
            "half the cluster is outside the subtree"
        );
        let city = who(Role::Upper, Some("HN"));
        let access = Access::new(&city, &tree, &clusters);
        assert!(access.can_view_cluster(&clusters[0]) && access.can_view_cluster(&clusters[1]));
    }

    #[test]
    fn an_admin_may_do_everything_but_enter_a_unit_s_figures() {
        let (tree, clusters) = world();
        let p = who(Role::Admin, None);
        let access = Access::new(&p, &tree, &clusters);
        assert!(access.can_administer() && access.can_view_unit(&code("TH")) && access.can_review(&code("TH"), S1));
        assert!(!access.can_enter(&code("TH")));
        let officer = who(Role::Officer, Some("HD"));
        assert!(!Access::new(&officer, &tree, &clusters).can_administer());
    }

    #[test]
    fn roles_parse_from_their_stored_spelling() {
        for role in [Role::Officer, Role::Chair, Role::Upper, Role::Admin] {
            assert_eq!(Role::parse(role.as_str()).ok(), Some(role));
        }
        assert!(Role::parse("root").is_err());
    }

    #[test]
    fn in_the_emulation_work_members_speak_for_themselves_the_chair_runs_the_cluster_and_the_upper_level_decides() {
        let (tree, clusters) = world();
        let cluster = &clusters[0];
        let officer = who(Role::Officer, Some("CG"));
        let chair = who(Role::Chair, Some("HD"));
        let upper = who(Role::Upper, Some("HN"));
        let outsider = who(Role::Officer, Some("TH"));
        let officer = Access::new(&officer, &tree, &clusters);
        let chair = Access::new(&chair, &tree, &clusters);
        let upper = Access::new(&upper, &tree, &clusters);
        let outsider = Access::new(&outsider, &tree, &clusters);

        assert!(officer.represents(cluster, &code("CG")));
        assert!(!officer.represents(cluster, &code("HD")), "only its own unit");
        assert!(!outsider.represents(cluster, &code("TH")), "not a member");
        assert!(!officer.can_run_cluster(cluster));
        assert!(chair.can_run_cluster(cluster));
        assert!(!chair.can_run_cluster(&clusters[1]), "only the cluster it chairs");
        assert!(chair.represents(cluster, &code("HD")), "the chair's unit votes too");
        assert!(!chair.can_decide_for(cluster));
        assert!(upper.can_run_cluster(cluster) && upper.can_decide_for(cluster));
        assert!(upper.can_manage_criteria() && !chair.can_manage_criteria());
        assert!(upper.can_decide_awards(&code("CG")));
        assert!(!chair.can_decide_awards(&code("CG")));
    }

    #[test]
    fn a_unit_s_score_sheets_are_seen_by_itself_and_who_runs_the_cluster_and_by_the_members_once_the_cluster_scored() {
        let (tree, clusters) = world();
        // Each role seeing a unit's sheets as its own, as a peer (or from above), and from
        // outside: the viewer's role and unit, the cluster (0: cluster 2 of Hà Đông and Cầu
        // Giấy, chaired by Hà Đông; 1: cluster 3 of Tây Hồ), the unit whose sheets, and
        // whether they are seen [before the cluster scored the unit, after].
        let matrix = [
            (Role::Admin, None, 0, "CG", [true, true]),
            (Role::Admin, None, 0, "HD", [true, true]),
            (Role::Admin, None, 1, "TH", [true, true]),
            (Role::Upper, Some("HD"), 0, "HD", [false, false]), // above one member only
            (Role::Upper, Some("HN"), 0, "CG", [true, true]),   // above the cluster
            (Role::Upper, Some("TH"), 0, "CG", [false, false]), // another district
            (Role::Chair, Some("HD"), 0, "HD", [true, true]),   // its own unit
            (Role::Chair, Some("HD"), 0, "CG", [true, true]),   // a member it chairs
            (Role::Chair, Some("TH"), 0, "CG", [false, false]), // another cluster's chair
            (Role::Officer, Some("CG"), 0, "CG", [true, true]), // its own unit
            (Role::Officer, Some("CG"), 0, "HD", [false, true]), // a peer
            (Role::Officer, Some("TH"), 0, "CG", [false, false]), // outside the cluster
        ];
        for (role, viewer, cluster, unit, want) in matrix {
            let p = who(role, viewer);
            let access = Access::new(&p, &tree, &clusters);
            let got = [false, true].map(|scored| access.can_see_score_sheets(&clusters[cluster], &code(unit), scored));
            assert_eq!(got, want, "{role} of {viewer:?} on {unit}'s sheets");
        }
    }

    /// Two districts with wards: Hoàn Kiếm (HK) and Tây Hồ (TH), each with its own ward
    /// cluster for 2022, scored by the one ward-level set of that year.
    fn wards_world() -> (UnitTree, Vec<Cluster>) {
        let unit = |c: &str, kind: &str, parent: Option<&str>| Unit {
            code: code(c),
            name: c.to_owned(),
            kind: kind.into(),
            parent: parent.map(code),
            valid_from: None,
            valid_to: None,
        };
        let tree = UnitTree::new([
            unit("HN", "city", None),
            unit("HK", "district", Some("HN")),
            unit("HK-P1", "ward", Some("HK")),
            unit("HK-P2", "ward", Some("HK")),
            unit("TH", "district", Some("HN")),
            unit("TH-P1", "ward", Some("TH")),
            unit("TH-P2", "ward", Some("TH")),
        ])
        .unwrap_or_else(|e| panic!("{e}"));
        let cluster = |c: &str, members: &[&str]| Cluster {
            code: crate::ClusterCode::parse(c).unwrap_or_else(|e| panic!("{e}")),
            name: c.to_owned(),
            year: 2022,
            members: members.iter().map(|m| code(m)).collect(),
            chair: Some(code(members[0])),
            deputy: None,
            host: None,
        };
        (
            tree,
            vec![
                cluster("HK-CUM1", &["HK-P1", "HK-P2"]),
                cluster("TH-CUM1", &["TH-P1", "TH-P2"]),
                cluster("CUM9", &["HK", "TH"]),
            ],
        )
    }

    #[test]
    fn criteria_are_issued_only_by_who_is_above_every_unit_they_score() {
        let (tree, clusters) = wards_world();
        let issues = |role: Role, unit: Option<&str>, level: &str, year: i32| {
            let p = who(role, unit);
            Access::new(&p, &tree, &clusters).can_issue_criteria(level, year)
        };
        //                                          ward 2022  ward 2030  district 2022
        let matrix: [(Role, Option<&str>, [bool; 3]); 6] = [
            (Role::Upper, Some("HN"), [true, true, true]),
            (Role::Upper, Some("HK"), [false, false, false]),
            (Role::Upper, Some("TH"), [false, false, false]),
            (Role::Admin, None, [true, true, true]),
            (Role::Chair, Some("HK-P1"), [false, false, false]),
            (Role::Officer, Some("HK"), [false, false, false]),
        ];
        for (role, unit, want) in matrix {
            let got = [
                issues(role, unit, "ward", 2022),
                issues(role, unit, "ward", 2030),
                issues(role, unit, "district", 2022),
            ];
            assert_eq!(got, want, "{role} of {unit:?}");
        }
    }

    #[test]
    fn an_upper_level_of_one_district_cannot_replace_ward_criteria_another_district_s_cluster_uses() {
        let (tree, clusters) = wards_world();
        let hoan_kiem = who(Role::Upper, Some("HK"));
        let access = Access::new(&hoan_kiem, &tree, &clusters);
        assert!(access.can_view_cluster(&clusters[0]), "it sees its own ward cluster");
        assert!(!access.can_view_cluster(&clusters[1]), "not Tây Hồ's");
        assert!(
            !access.can_issue_criteria("ward", 2022),
            "Tây Hồ's ward cluster is scored by the same set"
        );
        // With Tây Hồ's wards gone from the tree and its cluster, the set is Hoàn Kiếm's alone.
        let alone = UnitTree::new(tree.units().filter(|u| !u.code.as_str().starts_with("TH-")).cloned())
            .unwrap_or_else(|e| panic!("{e}"));
        let own = [clusters[0].clone()];
        assert!(Access::new(&hoan_kiem, &alone, &own).can_issue_criteria("ward", 2022));
    }

    #[test]
    fn a_cluster_s_template_is_edited_by_its_chair_the_upper_level_above_it_and_admins() {
        let (tree, clusters) = world();
        let cluster = &clusters[0];
        let edits = |role: Role, unit: Option<&str>| {
            let p = who(role, unit);
            Access::new(&p, &tree, &clusters).can_edit_review_template(cluster)
        };
        assert!(edits(Role::Chair, Some("HD")), "the chair");
        assert!(edits(Role::Upper, Some("HN")), "the city above every member");
        assert!(edits(Role::Admin, None));
        assert!(!edits(Role::Upper, Some("HD")), "an upper level above only one member");
        assert!(!edits(Role::Upper, Some("TH")), "an upper level of another district");
        assert!(!edits(Role::Officer, Some("CG")), "a member's officer");
        assert!(!edits(Role::Chair, Some("TH")), "another cluster's chair");
    }
}
