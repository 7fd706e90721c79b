//! Bình xét, suy tôn — the cluster's secret ballot at the year-end review: rank the
//! members, acclaim the leading unit (đơn vị dẫn đầu) for the Cờ thi đua, choose up to N
//! units for the Bằng khen, elect next year's chair (cụm trưởng) and deputy (cụm phó).
//!
//! Each member's representative casts one paper. A paper answers every question; an
//! answer that chooses more than allowed, chooses a unit that is not a candidate, names
//! a unit twice, ranks only some of the members, or is empty is invalid *for that
//! question* and still counts as received. [`tally`] is a pure function of the ballot and
//! its papers — the same papers in any order give the same [`TallyRecord`], which holds
//! everything the record of the count (biên bản kiểm phiếu) states.
//!
//! Rules of the count:
//! - an election needs the share of valid papers the question's threshold says
//!   ("quá bán": more than half, the default); without a threshold the most votes win;
//! - a tie is never decided here: the record names the tied units and says a re-vote is
//!   needed;
//! - a full ranking is counted by Borda points (first of n places earns n points, last
//!   earns 1); the average rank is reported beside it (it orders the units the same way).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::cluster::Cluster;
use crate::code::{ClusterCode, UnitCode};
use crate::emulation::{competition_ranks, required_text};
use crate::error::Error;

/// Loại câu hỏi — what a question asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum QuestionKind {
    /// Xếp hạng các đơn vị — rank every candidate, first to last.
    RankMembers,
    /// Suy tôn đơn vị dẫn đầu — choose one unit.
    LeadingUnit,
    /// Bình xét đề nghị tặng Bằng khen — choose up to `max_choices` units.
    Commendation {
        /// The most units a paper may choose.
        max_choices: u32,
    },
    /// Bầu cụm trưởng năm sau — choose one unit.
    Chair,
    /// Bầu cụm phó năm sau — choose one unit.
    Deputy,
}

impl QuestionKind {
    /// The Vietnamese name.
    pub fn label_vi(&self) -> &'static str {
        match self {
            QuestionKind::RankMembers => "Xếp hạng thi đua các đơn vị",
            QuestionKind::LeadingUnit => "Suy tôn đơn vị dẫn đầu",
            QuestionKind::Commendation { .. } => "Bình xét đơn vị đề nghị tặng Bằng khen",
            QuestionKind::Chair => "Bầu cụm trưởng",
            QuestionKind::Deputy => "Bầu cụm phó",
        }
    }

    /// Whether a paper ranks all candidates rather than choosing some.
    pub fn is_ranking(&self) -> bool {
        matches!(self, QuestionKind::RankMembers)
    }

    /// The most units a paper may choose (all of them for a ranking).
    pub fn max_choices(&self, candidates: usize) -> usize {
        match self {
            QuestionKind::RankMembers => candidates,
            QuestionKind::Commendation { max_choices } => usize::try_from(*max_choices).unwrap_or(usize::MAX),
            QuestionKind::LeadingUnit | QuestionKind::Chair | QuestionKind::Deputy => 1,
        }
    }
}

/// Ngưỡng trúng — the share of valid papers a unit needs: more than (`strict`) or at
/// least `numerator/denominator`. "Quá bán" is more than 1/2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Threshold {
    /// Of the fraction.
    pub numerator: u32,
    /// Of the fraction; above 0.
    pub denominator: u32,
    /// "Trên" (more than) rather than "từ … trở lên" (at least).
    pub strict: bool,
}

impl Threshold {
    /// Quá bán — more than half of the valid papers.
    pub const MORE_THAN_HALF: Threshold = Threshold {
        numerator: 1,
        denominator: 2,
        strict: true,
    };

    /// Whether `votes` of `valid` papers pass, in exact integer arithmetic.
    pub fn passes(&self, votes: u32, valid: u32) -> bool {
        let have = u64::from(votes) * u64::from(self.denominator);
        let need = u64::from(self.numerator) * u64::from(valid);
        valid > 0 && if self.strict { have > need } else { have >= need }
    }

    /// "trên 1/2 số phiếu hợp lệ", "từ 2/3 số phiếu hợp lệ trở lên".
    pub fn label_vi(&self) -> String {
        let fraction = format!("{}/{}", self.numerator, self.denominator);
        if self.strict {
            format!("trên {fraction} số phiếu hợp lệ")
        } else {
            format!("từ {fraction} số phiếu hợp lệ trở lên")
        }
    }
}

/// Câu hỏi — one question of the ballot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Question {
    /// Its code on the paper ("1", "2", …), unique in the ballot.
    pub code: String,
    /// Its wording.
    pub text: String,
    /// What it asks.
    #[serde(flatten)]
    pub kind: QuestionKind,
    /// The units that may be chosen, in the paper's order.
    pub candidates: Vec<UnitCode>,
    /// The share needed to be chosen; `None` for a ranking, or when the most votes win.
    #[serde(default)]
    pub threshold: Option<Threshold>,
}

/// Phiếu bầu — what a ballot asks and who votes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BallotSpec {
    /// The cluster.
    pub cluster: ClusterCode,
    /// The year reviewed.
    pub year: i32,
    /// The heading ("Phiếu bình xét thi đua năm 2022").
    pub title: String,
    /// Who votes: the member units (their representatives), one paper each.
    pub electorate: Vec<UnitCode>,
    /// The questions, in the paper's order.
    pub questions: Vec<Question>,
}

impl BallotSpec {
    /// Checks the ballot against its cluster: the voters and candidates are members,
    /// listed once; questions have distinct codes and wording; a ranking has at least two
    /// candidates and no threshold; a commendation allows 1 to (candidates) choices;
    /// thresholds are fractions from 0 to 1. An empty electorate means every member.
    pub fn validated(mut self, cluster: &Cluster) -> Result<BallotSpec, Error> {
        let refuse = |reason: String| Err(Error::InvalidBallot(reason));
        if cluster.code != self.cluster || cluster.year != self.year {
            return refuse(format!(
                "phiếu của {} năm {} không thuộc {} năm {}",
                self.cluster, self.year, cluster.code, cluster.year
            ));
        }
        self.title = required_text("tiêu đề phiếu bầu", &self.title)?;
        if self.electorate.is_empty() {
            self.electorate = cluster.members.clone();
        }
        check_members(cluster, &self.electorate, "người bỏ phiếu")?;
        if self.questions.is_empty() {
            return refuse("phiếu chưa có câu hỏi nào".into());
        }
        for i in 0..self.questions.len() {
            let q = &mut self.questions[i];
            q.code = q.code.trim().to_owned();
            if q.code.is_empty() || q.code.len() > 16 {
                return refuse(format!("mã câu hỏi «{}» phải có từ 1 đến 16 ký tự", q.code));
            }
            q.text = required_text("nội dung câu hỏi", &q.text)?;
            check_members(cluster, &q.candidates, &format!("câu {}", q.code))?;
            let n = q.candidates.len();
            match q.kind {
                QuestionKind::RankMembers if n < 2 => {
                    return refuse(format!("câu {}: cần ít nhất hai đơn vị để xếp hạng", q.code));
                }
                QuestionKind::RankMembers if q.threshold.is_some() => {
                    return refuse(format!("câu {}: câu xếp hạng không có ngưỡng trúng", q.code));
                }
                QuestionKind::Commendation { max_choices } if max_choices == 0 || max_choices as usize > n => {
                    return refuse(format!("câu {}: số đơn vị được chọn tối đa phải từ 1 đến {n}", q.code));
                }
                _ => {}
            }
            if let Some(t) = q.threshold
                && (t.denominator == 0 || t.numerator > t.denominator)
            {
                return refuse(format!(
                    "câu {}: ngưỡng {}/{} không hợp lệ",
                    q.code, t.numerator, t.denominator
                ));
            }
            let code = self.questions[i].code.clone();
            if self.questions[..i].iter().any(|o| o.code == code) {
                return refuse(format!("mã câu hỏi «{code}» dùng hai lần"));
            }
        }
        Ok(self)
    }

    /// The question with this code.
    pub fn question(&self, code: &str) -> Option<&Question> {
        self.questions.iter().find(|q| q.code == code)
    }

    /// Whether `unit` may vote.
    pub fn may_vote(&self, unit: &UnitCode) -> bool {
        self.electorate.contains(unit)
    }
}

fn check_members(cluster: &Cluster, units: &[UnitCode], what: &str) -> Result<(), Error> {
    if units.is_empty() {
        return Err(Error::InvalidBallot(format!("{what}: danh sách đơn vị trống")));
    }
    for (i, u) in units.iter().enumerate() {
        if !cluster.has_member(u) {
            return Err(Error::InvalidBallot(format!(
                "{what}: đơn vị {u} không phải là thành viên của {}",
                cluster.name
            )));
        }
        if units[..i].contains(u) {
            return Err(Error::InvalidBallot(format!("{what}: đơn vị {u} có tên hai lần")));
        }
    }
    Ok(())
}

/// Lá phiếu — one paper: per question code, the units chosen (in rank order for a
/// ranking). It names no voter.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Paper {
    /// Answers by question code; a question left out is an empty answer.
    pub answers: BTreeMap<String, Vec<UnitCode>>,
}

impl Paper {
    /// Checks that the paper holds nothing but the ballot's own questions and candidates,
    /// before anything is stored: every question it answers is on the ballot, every unit
    /// it names is a candidate of that question, and no answer names more units than the
    /// question has candidates. So a paper cannot carry a mark of its voter (a made-up
    /// code such as "HN-ZZZ-MARK123", or an answer padded out to a telling length).
    /// Choosing too many or too few of the candidates, or one twice, is not refused here:
    /// such an answer is a knowingly spoiled paper and is counted invalid.
    pub fn check_shape(&self, spec: &BallotSpec) -> Result<(), Error> {
        for (code, answer) in &self.answers {
            let Some(question) = spec.question(code) else {
                return Err(Error::InvalidBallot(format!(
                    "phiếu trả lời câu «{code}» không có trong phiếu bầu; phiếu không được nhận"
                )));
            };
            if let Some(unit) = answer.iter().find(|u| !question.candidates.contains(u)) {
                return Err(Error::InvalidBallot(format!(
                    "câu {code}: đơn vị «{unit}» không có trong danh sách của câu hỏi; phiếu chỉ được ghi các đơn vị trong danh sách, phiếu không được nhận"
                )));
            }
            if answer.len() > question.candidates.len() {
                return Err(Error::InvalidBallot(format!(
                    "câu {code}: phiếu ghi {} lựa chọn, nhiều hơn {} đơn vị trong danh sách; phiếu không được nhận",
                    answer.len(),
                    question.candidates.len()
                )));
            }
        }
        Ok(())
    }
}

/// Trạng thái phiếu bầu — whether papers can still be cast.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BallotState {
    /// Đang bỏ phiếu — open for papers.
    Open,
    /// Đã kết thúc — closed; the count is final.
    Closed,
}

impl BallotState {
    /// Parses the stored spelling.
    pub fn parse(raw: &str) -> Result<BallotState, Error> {
        match raw {
            "open" => Ok(BallotState::Open),
            "closed" => Ok(BallotState::Closed),
            _ => Err(Error::InvalidField {
                field: "trạng thái phiếu bầu",
                value: raw.to_owned(),
                expected: "open hoặc closed",
            }),
        }
    }

    /// The stored spelling.
    pub fn as_str(&self) -> &'static str {
        match self {
            BallotState::Open => "open",
            BallotState::Closed => "closed",
        }
    }

    /// The Vietnamese name.
    pub fn label_vi(&self) -> &'static str {
        match self {
            BallotState::Open => "Đang bỏ phiếu",
            BallotState::Closed => "Đã kết thúc bỏ phiếu",
        }
    }
}

/// Whether `voter` may cast a paper now: the ballot is open, the unit is in the
/// electorate, and it has not voted yet.
pub fn check_cast(spec: &BallotSpec, state: BallotState, voter: &UnitCode, has_voted: bool) -> Result<(), Error> {
    if state != BallotState::Open {
        return Err(Error::InvalidTransition(
            "cuộc bỏ phiếu đã kết thúc, không nhận thêm phiếu".into(),
        ));
    }
    if !spec.may_vote(voter) {
        return Err(Error::NotAllowed(format!(
            "đơn vị {voter} không có quyền bỏ phiếu trong cuộc bỏ phiếu này"
        )));
    }
    if has_voted {
        return Err(Error::InvalidTransition(format!(
            "đơn vị {voter} đã bỏ phiếu; mỗi đơn vị chỉ bỏ phiếu một lần"
        )));
    }
    Ok(())
}

/// Whether the ballot can be closed by someone who may (`may_run`: the chair, the upper
/// level) — it must be open.
pub fn check_close(state: BallotState, may_run: bool) -> Result<BallotState, Error> {
    if !may_run {
        return Err(Error::NotAllowed(
            "chỉ cụm trưởng hoặc cấp trên được kết thúc bỏ phiếu".into(),
        ));
    }
    match state {
        BallotState::Open => Ok(BallotState::Closed),
        BallotState::Closed => Err(Error::InvalidTransition("cuộc bỏ phiếu đã kết thúc từ trước".into())),
    }
}

/// Lý do phiếu không hợp lệ — why an answer is invalid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum InvalidReason {
    /// Không chọn ai — nothing chosen.
    Empty,
    /// Chọn quá số lượng — more units than allowed.
    TooMany,
    /// Chọn đơn vị không có trong danh sách — a unit that is not a candidate. Such a
    /// paper is refused when cast ([`Paper::check_shape`]); only papers stored by older
    /// versions can still hold one.
    NotCandidate,
    /// Một đơn vị được chọn hai lần — a unit twice.
    Duplicate,
    /// Xếp hạng không đủ — a ranking that leaves units out.
    IncompleteRanking,
}

impl InvalidReason {
    /// The Vietnamese wording.
    pub fn label_vi(&self) -> &'static str {
        match self {
            InvalidReason::Empty => "không chọn đơn vị nào",
            InvalidReason::TooMany => "chọn quá số lượng cho phép",
            InvalidReason::NotCandidate => "chọn đơn vị không có trong danh sách",
            InvalidReason::Duplicate => "chọn một đơn vị hai lần",
            InvalidReason::IncompleteRanking => "xếp hạng không đủ các đơn vị",
        }
    }
}

impl fmt::Display for InvalidReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label_vi())
    }
}

/// Why an answer to `question` is invalid, or `None` when it is valid.
pub fn invalid_reason(question: &Question, answer: &[UnitCode]) -> Option<InvalidReason> {
    if answer.is_empty() {
        return Some(InvalidReason::Empty);
    }
    if answer.iter().any(|u| !question.candidates.contains(u)) {
        return Some(InvalidReason::NotCandidate);
    }
    if answer.iter().enumerate().any(|(i, u)| answer[..i].contains(u)) {
        return Some(InvalidReason::Duplicate);
    }
    let n = question.candidates.len();
    if answer.len() > question.kind.max_choices(n) {
        return Some(InvalidReason::TooMany);
    }
    if question.kind.is_ranking() && answer.len() < n {
        return Some(InvalidReason::IncompleteRanking);
    }
    None
}

/// Số phiếu của một đơn vị — one candidate's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CandidateTally {
    /// The unit.
    pub unit: UnitCode,
    /// Số phiếu — papers choosing it; for a ranking, papers ranking it first.
    pub votes: u32,
    /// Tỷ lệ — `votes` as a percentage of the valid papers.
    pub percent: f64,
    /// For a ranking: Borda points (n for each first place … 1 for each last).
    pub borda: u32,
    /// For a ranking: the average place given (1 = first).
    pub average_rank: Option<f64>,
    /// Whether it reached the threshold (always, without one).
    pub reached_threshold: bool,
    /// Its place in this question (1, 2, 2, 4 …).
    pub place: u32,
    /// Whether it shares its place.
    pub tied: bool,
}

/// Kết quả — what a question decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "kebab-case")]
pub enum Outcome {
    /// Trúng — these units are chosen (in order of votes).
    Elected {
        /// The chosen units.
        units: Vec<UnitCode>,
    },
    /// Thứ hạng — the final order of a ranking, first to last.
    Ranked {
        /// Every candidate, first to last.
        order: Vec<UnitCode>,
    },
    /// Bằng phiếu — units tie where only some can be chosen (or share a place in a
    /// ranking): no winner is declared among them; a re-vote is needed.
    Tie {
        /// The tied units.
        tied: Vec<UnitCode>,
        /// Units already chosen (or placed) regardless of the tie.
        settled: Vec<UnitCode>,
    },
    /// Không đạt — no unit reached the threshold; a re-vote is needed.
    NotReached,
    /// Không có phiếu hợp lệ.
    NoValidPapers,
}

impl Outcome {
    /// Whether the question must be voted again.
    pub fn revote_needed(&self) -> bool {
        !matches!(self, Outcome::Elected { .. } | Outcome::Ranked { .. })
    }

    /// The Vietnamese wording for the record.
    pub fn label_vi(&self) -> &'static str {
        match self {
            Outcome::Elected { .. } => "Đã có kết quả",
            Outcome::Ranked { .. } => "Đã có kết quả xếp hạng",
            Outcome::Tie { .. } => "Có đơn vị bằng phiếu nhau — cần bỏ phiếu lại",
            Outcome::NotReached => "Không đơn vị nào đạt ngưỡng trúng — cần bỏ phiếu lại",
            Outcome::NoValidPapers => "Không có phiếu hợp lệ — cần bỏ phiếu lại",
        }
    }
}

/// Kết quả một câu hỏi — the count of one question.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuestionTally {
    /// The question's code.
    pub code: String,
    /// Its wording.
    pub text: String,
    /// What it asked.
    pub kind: QuestionKind,
    /// The threshold applied.
    pub threshold: Option<Threshold>,
    /// Số phiếu hợp lệ.
    pub valid: u32,
    /// Số phiếu không hợp lệ.
    pub invalid: u32,
    /// Invalid papers by reason.
    pub invalid_reasons: Vec<(InvalidReason, u32)>,
    /// Each candidate, best first (candidate order among equals).
    pub candidates: Vec<CandidateTally>,
    /// The result.
    pub outcome: Outcome,
}

/// Biên bản kiểm phiếu — the record of the count.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TallyRecord {
    /// The cluster.
    pub cluster: ClusterCode,
    /// The year.
    pub year: i32,
    /// The ballot's heading.
    pub title: String,
    /// Số đại biểu (đơn vị) có quyền bỏ phiếu.
    pub electorate: u32,
    /// Số phiếu phát ra — one per voter.
    pub issued: u32,
    /// Số phiếu thu vào.
    pub received: u32,
    /// Each question's count, in the paper's order.
    pub questions: Vec<QuestionTally>,
}

impl QuestionTally {
    /// The invalid papers as the record states them: "2 (1 phiếu chọn quá số lượng cho
    /// phép; 1 phiếu không chọn đơn vị nào)", or just "0".
    pub fn invalid_vi(&self) -> String {
        let count = |n: u32| crate::number::format_integer(i64::from(n));
        let reasons: Vec<String> = self
            .invalid_reasons
            .iter()
            .map(|(r, n)| format!("{} phiếu {}", count(*n), r.label_vi()))
            .collect();
        if reasons.is_empty() {
            count(self.invalid)
        } else {
            format!("{} ({})", count(self.invalid), reasons.join("; "))
        }
    }

    /// Whether `unit` is chosen by this question (elected, or chosen despite a tie among
    /// others); a ranking chooses nobody.
    pub fn chose(&self, unit: &UnitCode) -> bool {
        match &self.outcome {
            Outcome::Elected { units } => units.contains(unit),
            Outcome::Tie { settled, .. } => !self.kind.is_ranking() && settled.contains(unit),
            _ => false,
        }
    }

    /// Whether `unit` is among those tied.
    pub fn tied(&self, unit: &UnitCode) -> bool {
        matches!(&self.outcome, Outcome::Tie { tied, .. } if tied.contains(unit))
    }
}

impl TallyRecord {
    /// Whether any question must be voted again.
    pub fn revote_needed(&self) -> bool {
        self.questions.iter().any(|q| q.outcome.revote_needed())
    }
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Kiểm phiếu — counts the papers. Pure: the same papers in any order give the same
/// record.
pub fn tally(spec: &BallotSpec, papers: &[Paper]) -> TallyRecord {
    let electorate = count(spec.electorate.len());
    TallyRecord {
        cluster: spec.cluster.clone(),
        year: spec.year,
        title: spec.title.clone(),
        electorate,
        issued: electorate,
        received: count(papers.len()),
        questions: spec.questions.iter().map(|q| tally_question(q, papers)).collect(),
    }
}

fn tally_question(question: &Question, papers: &[Paper]) -> QuestionTally {
    let n = question.candidates.len();
    let mut votes = vec![0u32; n];
    let mut borda = vec![0u32; n];
    let mut rank_sum = vec![0u64; n];
    let mut reasons: BTreeMap<InvalidReason, u32> = BTreeMap::new();
    let mut valid = 0u32;
    let position = |u: &UnitCode| question.candidates.iter().position(|c| c == u);
    for paper in papers {
        let answer = paper.answers.get(&question.code).map_or(&[][..], Vec::as_slice);
        if let Some(reason) = invalid_reason(question, answer) {
            *reasons.entry(reason).or_default() += 1;
            continue;
        }
        valid += 1;
        for (place, unit) in answer.iter().enumerate() {
            let Some(i) = position(unit) else { continue };
            if question.kind.is_ranking() {
                borda[i] += count(n - place);
                rank_sum[i] += place as u64 + 1;
                if place == 0 {
                    votes[i] += 1;
                }
            } else {
                votes[i] += 1;
            }
        }
    }
    let invalid = reasons.values().sum();
    let reached = |v: u32| match question.threshold {
        Some(t) => t.passes(v, valid),
        None => true,
    };
    // Best first; among equals, the paper's order, so the record never depends on the
    // order papers were counted in.
    let key = |i: usize| if question.kind.is_ranking() { borda[i] } else { votes[i] };
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| key(b).cmp(&key(a)).then(a.cmp(&b)));
    let keys: Vec<u32> = order.iter().map(|&i| key(i)).collect();
    let places = competition_ranks(&keys);
    let candidates: Vec<CandidateTally> = order
        .iter()
        .zip(&places)
        .map(|(&i, &(place, tied))| CandidateTally {
            unit: question.candidates[i].clone(),
            votes: votes[i],
            percent: if valid == 0 {
                0.0
            } else {
                f64::from(votes[i]) * 100.0 / f64::from(valid)
            },
            borda: borda[i],
            average_rank: (question.kind.is_ranking() && valid > 0).then(|| rank_sum[i] as f64 / f64::from(valid)),
            reached_threshold: valid > 0 && reached(votes[i]),
            place,
            tied,
        })
        .collect();
    let outcome = if valid == 0 {
        Outcome::NoValidPapers
    } else if question.kind.is_ranking() {
        let units = |tied: bool| -> Vec<UnitCode> {
            candidates
                .iter()
                .filter(|c| c.tied == tied)
                .map(|c| c.unit.clone())
                .collect()
        };
        if candidates.iter().any(|c| c.tied) {
            Outcome::Tie {
                tied: units(true),
                settled: units(false),
            }
        } else {
            Outcome::Ranked { order: units(false) }
        }
    } else {
        let seats = question.kind.max_choices(n);
        // Without a threshold a unit needs at least one vote (so with valid papers someone
        // is always eligible, and `NotReached` means the threshold was missed).
        let eligible: Vec<&CandidateTally> = candidates
            .iter()
            .filter(|c| c.reached_threshold && c.votes > 0)
            .collect();
        if eligible.is_empty() {
            Outcome::NotReached
        } else if eligible.len() <= seats {
            Outcome::Elected {
                units: eligible.iter().map(|c| c.unit.clone()).collect(),
            }
        } else {
            let cutoff = eligible[seats - 1].votes;
            if eligible[seats].votes == cutoff {
                Outcome::Tie {
                    tied: eligible
                        .iter()
                        .filter(|c| c.votes == cutoff)
                        .map(|c| c.unit.clone())
                        .collect(),
                    settled: eligible
                        .iter()
                        .filter(|c| c.votes > cutoff)
                        .map(|c| c.unit.clone())
                        .collect(),
                }
            } else {
                Outcome::Elected {
                    units: eligible[..seats].iter().map(|c| c.unit.clone()).collect(),
                }
            }
        }
    };
    QuestionTally {
        code: question.code.clone(),
        text: question.text.clone(),
        kind: question.kind,
        threshold: question.threshold,
        valid,
        invalid,
        invalid_reasons: reasons.into_iter().collect(),
        candidates,
        outcome,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn unit(c: &str) -> UnitCode {
        UnitCode::parse(c).unwrap()
    }

    const MEMBERS: [&str; 6] = ["HD", "TX", "CG", "TH", "BTL", "NTL"];

    fn cluster() -> Cluster {
        Cluster {
            code: ClusterCode::parse("HN-CUM2").unwrap(),
            name: "Cụm thi đua số 2".into(),
            year: 2022,
            members: MEMBERS.iter().map(|m| unit(m)).collect(),
            chair: Some(unit("HD")),
            deputy: None,
            host: None,
        }
    }

    fn question(code: &str, kind: QuestionKind, threshold: Option<Threshold>) -> Question {
        Question {
            code: code.into(),
            text: kind.label_vi().into(),
            kind,
            candidates: MEMBERS.iter().map(|m| unit(m)).collect(),
            threshold,
        }
    }

    fn spec() -> BallotSpec {
        BallotSpec {
            cluster: cluster().code,
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
                question("5", QuestionKind::Deputy, None),
            ],
        }
        .validated(&cluster())
        .unwrap()
    }

    fn paper(answers: &[(&str, &[&str])]) -> Paper {
        Paper {
            answers: answers
                .iter()
                .map(|(q, units)| (q.to_string(), units.iter().map(|u| unit(u)).collect()))
                .collect(),
        }
    }

    fn question_tally<'a>(record: &'a TallyRecord, code: &str) -> &'a QuestionTally {
        record
            .questions
            .iter()
            .find(|q| q.code == code)
            .unwrap_or_else(|| panic!("no question {code}"))
    }

    fn elected(units: &[&str]) -> Outcome {
        Outcome::Elected {
            units: units.iter().map(|u| unit(u)).collect(),
        }
    }

    #[test]
    fn an_empty_electorate_means_every_member_votes() {
        assert_eq!(spec().electorate.len(), 6);
    }

    #[test]
    fn a_candidate_from_outside_the_cluster_is_refused() {
        let mut s = spec();
        s.questions[1].candidates.push(unit("BD"));
        let err = s.validated(&cluster()).err().map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("bỏ phiếu: câu 2: đơn vị BD không phải là thành viên của Cụm thi đua số 2")
        );
    }

    #[test]
    fn a_commendation_question_cannot_allow_more_choices_than_candidates() {
        let mut s = spec();
        s.questions[2].kind = QuestionKind::Commendation { max_choices: 7 };
        assert!(s.validated(&cluster()).is_err());
    }

    #[test]
    fn the_leading_unit_needs_more_than_half_of_the_valid_papers() {
        let s = spec();
        let four_of_six = [
            paper(&[("2", &["HD"])]),
            paper(&[("2", &["HD"])]),
            paper(&[("2", &["HD"])]),
            paper(&[("2", &["HD"])]),
            paper(&[("2", &["CG"])]),
            paper(&[("2", &["TX"])]),
        ];
        let record = tally(&s, &four_of_six);
        let q = question_tally(&record, "2");
        assert_eq!((q.valid, q.invalid), (6, 0));
        assert_eq!(q.outcome, elected(&["HD"]));
        let first = &q.candidates[0];
        assert_eq!((first.unit.as_str(), first.votes), ("HD", 4));
        assert!((first.percent - 66.666_666).abs() < 1e-3);

        let three_of_six = [&four_of_six[1..], &[paper(&[("2", &["TH"])])]].concat();
        let q2 = tally(&s, &three_of_six);
        assert_eq!(
            question_tally(&q2, "2").outcome,
            Outcome::NotReached,
            "exactly half is not more than half"
        );
    }

    #[test]
    fn a_tie_declares_no_winner_and_asks_for_a_re_vote() {
        let s = spec();
        let papers = [
            paper(&[("5", &["HD"])]),
            paper(&[("5", &["HD"])]),
            paper(&[("5", &["TX"])]),
            paper(&[("5", &["TX"])]),
            paper(&[("5", &["CG"])]),
        ];
        let record = tally(&s, &papers);
        let q = question_tally(&record, "5");
        assert_eq!(
            q.outcome,
            Outcome::Tie {
                tied: vec![unit("HD"), unit("TX")],
                settled: vec![]
            }
        );
        assert!(q.outcome.revote_needed() && record.revote_needed());
    }

    #[test]
    fn spoiled_answers_are_invalid_for_their_question_only() {
        let s = spec();
        let papers = [
            paper(&[("2", &["HD", "TX"]), ("4", &["HD"])]),
            paper(&[("2", &["BD"]), ("4", &["HD"])]),
            paper(&[("2", &[]), ("4", &["HD"])]),
            paper(&[("4", &["HD"])]),
            paper(&[("2", &["TX"]), ("3", &["TX", "TX"])]),
        ];
        let record = tally(&s, &papers);
        assert_eq!(record.received, 5);
        let leading = question_tally(&record, "2");
        assert_eq!((leading.valid, leading.invalid), (1, 4));
        assert_eq!(
            leading.invalid_reasons,
            [
                (InvalidReason::Empty, 2),
                (InvalidReason::TooMany, 1),
                (InvalidReason::NotCandidate, 1)
            ]
        );
        assert_eq!(leading.outcome, elected(&["TX"]));
        let chair = question_tally(&record, "4");
        assert_eq!((chair.valid, chair.invalid), (4, 1));
        assert_eq!(chair.outcome, elected(&["HD"]));
        let commendation = question_tally(&record, "3");
        assert_eq!(
            commendation.invalid_reasons,
            [(InvalidReason::Empty, 4), (InvalidReason::Duplicate, 1)]
        );
        assert_eq!(commendation.outcome, Outcome::NoValidPapers);
    }

    #[test]
    fn a_paper_naming_a_unit_that_is_not_a_candidate_or_an_unknown_question_is_refused() {
        let s = spec();
        let marked = paper(&[("2", &["HD"]), ("3", &["TX", "HN-ZZZ-MARK123"])]);
        let unknown = paper(&[("9", &["HD"])]);
        let padded = paper(&[("2", &["HD", "HD", "HD", "HD", "HD", "HD", "HD"])]);
        let spoiled = paper(&[("2", &["HD", "TX"]), ("3", &["TX", "TX"]), ("1", &["HD"])]);

        let message = |p: &Paper| p.check_shape(&s).err().map(|e| e.to_string());

        assert_eq!(
            message(&marked).as_deref(),
            Some(
                "bỏ phiếu: câu 3: đơn vị «HN-ZZZ-MARK123» không có trong danh sách của câu hỏi; phiếu chỉ được ghi các đơn vị trong danh sách, phiếu không được nhận"
            )
        );
        assert!(message(&unknown).is_some_and(|m| m.contains("câu «9» không có trong phiếu bầu")));
        assert!(message(&padded).is_some_and(|m| m.contains("nhiều hơn 6 đơn vị")));
        assert_eq!(
            message(&spoiled),
            None,
            "too many, a unit twice, an incomplete ranking: knowingly spoiled, still cast"
        );
    }

    #[test]
    fn up_to_n_units_are_chosen_unless_the_last_seat_is_tied() {
        let s = spec();
        let clear = [
            paper(&[("3", &["HD", "CG"])]),
            paper(&[("3", &["HD", "CG"])]),
            paper(&[("3", &["HD", "TX"])]),
        ];
        let record = tally(&s, &clear);
        assert_eq!(question_tally(&record, "3").outcome, elected(&["HD", "CG"]));
        let tied = [
            paper(&[("3", &["HD", "CG"])]),
            paper(&[("3", &["HD", "TX"])]),
            paper(&[("3", &["HD", "CG"])]),
            paper(&[("3", &["HD", "TX"])]),
            paper(&[("3", &["CG", "TX"])]),
        ];
        let record = tally(&s, &tied);
        assert_eq!(
            question_tally(&record, "3").outcome,
            Outcome::Tie {
                tied: vec![unit("TX"), unit("CG")],
                settled: vec![unit("HD")]
            }
        );
    }

    #[test]
    fn a_full_ranking_is_counted_by_borda_points() {
        let s = spec();
        let order = |o: &[&'static str]| paper(&[("1", o)]);
        let papers = [
            order(&["HD", "CG", "TX", "TH", "BTL", "NTL"]),
            order(&["HD", "TX", "CG", "TH", "NTL", "BTL"]),
            order(&["CG", "HD", "TX", "TH", "BTL", "NTL"]),
            order(&["HD", "CG", "TX", "TH", "NTL", "BTL"]),
            order(&["HD", "CG"]),
        ];
        let record = tally(&s, &papers);
        let q = question_tally(&record, "1");
        assert_eq!(q.invalid_reasons, [(InvalidReason::IncompleteRanking, 1)]);
        let table: Vec<(&str, u32, u32)> = q
            .candidates
            .iter()
            .map(|c| (c.unit.as_str(), c.borda, c.place))
            .collect();
        assert_eq!(
            table,
            [
                ("HD", 23, 1),
                ("CG", 20, 2),
                ("TX", 17, 3),
                ("TH", 12, 4),
                ("BTL", 6, 5),
                ("NTL", 6, 5)
            ]
        );
        assert_eq!(q.candidates[0].votes, 3, "first places");
        assert_eq!(q.candidates[0].average_rank, Some(1.25));
        assert!(matches!(&q.outcome, Outcome::Tie { tied, .. } if tied == &vec![unit("BTL"), unit("NTL")]));
    }

    #[test]
    fn casting_is_refused_after_closing_to_outsiders_and_to_a_second_paper() {
        let s = spec();
        assert!(check_cast(&s, BallotState::Open, &unit("HD"), false).is_ok());
        assert!(matches!(
            check_cast(&s, BallotState::Open, &unit("BD"), false),
            Err(Error::NotAllowed(_))
        ));
        let twice = check_cast(&s, BallotState::Open, &unit("HD"), true)
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            twice.as_deref(),
            Some("đơn vị HD đã bỏ phiếu; mỗi đơn vị chỉ bỏ phiếu một lần")
        );
        assert!(check_cast(&s, BallotState::Closed, &unit("HD"), false).is_err());
        assert!(check_close(BallotState::Open, false).is_err());
        assert_eq!(check_close(BallotState::Open, true).ok(), Some(BallotState::Closed));
    }

    #[test]
    fn thresholds_are_exact_fractions() {
        let two_thirds = Threshold {
            numerator: 2,
            denominator: 3,
            strict: false,
        };
        assert!(two_thirds.passes(4, 6) && !two_thirds.passes(3, 6));
        assert!(!Threshold::MORE_THAN_HALF.passes(3, 6) && Threshold::MORE_THAN_HALF.passes(4, 7));
        assert_eq!(two_thirds.label_vi(), "từ 2/3 số phiếu hợp lệ trở lên");
        assert!(!Threshold::MORE_THAN_HALF.passes(0, 0));
    }

    /// An answer: usually a choice among members, sometimes spoiled (an outsider, empty,
    /// too many, duplicates).
    fn any_answer() -> impl Strategy<Value = Vec<UnitCode>> {
        let pool = vec!["HD", "TX", "CG", "TH", "BTL", "NTL", "BD"];
        prop_oneof![
            4 => Just(MEMBERS.iter().map(|m| unit(m)).collect::<Vec<_>>()).prop_shuffle(),
            3 => proptest::collection::vec(proptest::sample::select(pool.clone()), 1..=2)
                .prop_map(|v| v.iter().map(|m| unit(m)).collect()),
            1 => proptest::collection::vec(proptest::sample::select(pool), 0..=7)
                .prop_map(|v| v.iter().map(|m| unit(m)).collect()),
        ]
    }

    fn any_paper() -> impl Strategy<Value = Paper> {
        proptest::collection::vec(any_answer(), 5).prop_map(|answers| Paper {
            answers: answers
                .into_iter()
                .enumerate()
                .map(|(i, a)| ((i + 1).to_string(), a))
                .collect(),
        })
    }

    proptest! {
        #[test]
        fn a_tally_does_not_depend_on_the_order_of_the_papers(
            (papers, shuffled) in proptest::collection::vec(any_paper(), 0..12)
                .prop_flat_map(|p| (Just(p.clone()), Just(p).prop_shuffle())),
        ) {
            let s = spec();
            prop_assert_eq!(tally(&s, &papers), tally(&s, &shuffled));
        }

        #[test]
        fn every_received_paper_is_valid_or_invalid_and_ties_never_win(
            papers in proptest::collection::vec(any_paper(), 0..12),
        ) {
            let s = spec();
            let record = tally(&s, &papers);
            for q in &record.questions {
                prop_assert_eq!(q.valid + q.invalid, record.received);
                if !q.kind.is_ranking() {
                    let votes: u32 = q.candidates.iter().map(|c| c.votes).sum();
                    let most = q.kind.max_choices(q.candidates.len()) as u32;
                    prop_assert!(votes <= q.valid * most && votes >= q.valid);
                }
                if let Outcome::Elected { units } = &q.outcome {
                    let seats = q.kind.max_choices(q.candidates.len());
                    prop_assert!(units.len() <= seats);
                    let chosen: Vec<&CandidateTally> = q.candidates.iter().filter(|c| units.contains(&c.unit)).collect();
                    let lowest = chosen.iter().map(|c| c.votes).min().unwrap_or(0);
                    // Nobody left out has as many votes as the weakest chosen unit.
                    prop_assert!(q.candidates.iter().filter(|c| !units.contains(&c.unit) && c.reached_threshold).all(|c| c.votes < lowest));
                    if let Some(t) = q.threshold {
                        prop_assert!(chosen.iter().all(|c| t.passes(c.votes, q.valid)));
                    }
                }
            }
        }
    }
}
