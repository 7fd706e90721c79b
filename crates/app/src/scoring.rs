//! Chấm điểm thi đua — the scoring use cases, for the pages and any other front: a unit's
//! three steps side by side, one step's sheet to fill in and its saving, the cluster's
//! ranking, and the evidence attached to a self-score.
//!
//! Who sees a unit's sheets is core's rule ([`thidua_core::Access::can_see_score_sheets`]):
//! the unit itself, whoever runs the cluster, and the other members once the cluster has
//! given its score for that unit. Who gives each step is core's `may_score`. A later step
//! records only the lines it changes: an empty line keeps what the step before gave.

use std::collections::BTreeMap;

use thidua_core::emulation::Points;
use thidua_core::emulation::criteria::{CriterionCode, Entry};
use thidua_core::emulation::scoring::{
    ComparisonRow, ComputedScore, Mark, ScoreCard, ScoreStep, Scored, Standing, compute_items_from, may_score, rank,
};
use thidua_core::text::Collator;
use thidua_core::{Cluster, Period, UnitCode};
use thidua_store::{Actor, EvidenceFile, EvidenceInfo, ScoreComparison, ScoreSheet, SheetInput, StoreError};

use crate::{App, Context, Error};

/// Where `step`'s sheet sits in a comparison's `sheets` (self, cluster, upper).
pub fn step_index(step: ScoreStep) -> usize {
    match step {
        ScoreStep::SelfScore => 0,
        ScoreStep::Cluster => 1,
        ScoreStep::Upper => 2,
    }
}

/// A unit of a cluster in a year, after the checks every use case here makes.
#[derive(Debug, Clone)]
pub struct UnitYear {
    /// The unit.
    pub unit: UnitCode,
    /// Its full name.
    pub name: String,
    /// The year scored.
    pub year: i32,
    /// The cluster the unit belongs to that year.
    pub cluster: Cluster,
}

/// The cluster `unit` belongs to in `year`, after checking that the caller may see that
/// cluster at all. Someone who may see neither the unit nor its cluster that year learns
/// nothing more than the code they typed: not its name, not whether it was in a cluster.
pub fn unit_of_year(caller: &Context, unit: &str, year: i32) -> Result<UnitYear, Error> {
    let not_found = || Error::NotFound(format!("không tìm thấy đơn vị «{unit}»"));
    let code = UnitCode::parse(unit).map_err(|_| not_found())?;
    let directory = &caller.directory;
    let name = directory.tree.get(&code).ok_or_else(not_found)?.name.clone();
    let cluster = directory
        .clusters
        .iter()
        .find(|c| c.year == year && c.has_member(&code))
        .cloned();
    let access = caller.access();
    if !access.can_view_unit(&code) && !cluster.as_ref().is_some_and(|c| access.can_view_cluster(c)) {
        return Err(Error::Forbidden(format!(
            "bạn không có quyền xem bảng điểm của đơn vị «{code}»"
        )));
    }
    let cluster =
        cluster.ok_or_else(|| Error::NotFound(format!("{name} không thuộc cụm thi đua nào trong năm {year}")))?;
    crate::clusters::ensure_can_view_cluster(caller, &cluster)?;
    Ok(UnitYear {
        unit: code,
        name,
        year,
        cluster,
    })
}

/// A unit's three steps, as the caller may see them.
#[derive(Debug, Clone)]
pub struct UnitScores {
    /// The unit, its year and cluster.
    pub unit: UnitYear,
    /// The three steps side by side on one criteria version.
    pub scores: ScoreComparison,
}

/// Refuses `scores` unless the caller may see them.
fn ensure_can_see(caller: &Context, unit: &UnitYear, scores: &ScoreComparison) -> Result<(), Error> {
    let cluster_scored = scores.sheets[step_index(ScoreStep::Cluster)].is_some();
    if caller
        .access()
        .can_see_score_sheets(&unit.cluster, &unit.unit, cluster_scored)
    {
        Ok(())
    } else {
        Err(Error::Forbidden(format!(
            "bảng điểm của {} chỉ đơn vị đó, cụm trưởng và cấp trên được xem cho đến khi cụm chấm điểm đơn vị này",
            unit.name
        )))
    }
}

/// Bảng so sánh — `unit`'s three steps in `year` on a criteria version (the current one
/// when `None`), when the caller may see them.
pub async fn comparison(
    app: &App,
    caller: &Context,
    unit: &str,
    year: i32,
    version: Option<u32>,
) -> Result<UnitScores, Error> {
    let unit = unit_of_year(caller, unit, year)?;
    let scores = app.store().score_comparison(&unit.unit, unit.year, version).await?;
    ensure_can_see(caller, &unit, &scores)?;
    Ok(UnitScores { unit, scores })
}

/// "Nguyễn Văn A (hadong)" for the login that saved a sheet, or the login alone.
pub async fn scorer(app: &App, login: &str) -> String {
    match app.store().user(login).await {
        Ok(u) => format!("{} ({login})", u.display_name),
        Err(_) => login.to_owned(),
    }
}

// ------------------------------------------------------------------- the sheet

/// One step's sheet of a unit, loaded once per request.
#[derive(Debug, Clone)]
pub struct Sheet {
    /// The unit, its year and cluster.
    pub unit: UnitYear,
    /// The step.
    pub step: ScoreStep,
    /// The three steps on the current criteria (this step's sheet among them).
    pub scores: ScoreComparison,
    /// The computed items as they would be saved now (for a sheet not saved yet).
    pub fresh: Vec<ComputedScore>,
    /// Whether the caller gives this step.
    pub editable: bool,
    /// Whether the caller may attach and remove evidence (the unit itself, on its
    /// self-score).
    pub owns_evidence: bool,
}

impl Sheet {
    /// This step's sheet, once saved.
    pub fn saved(&self) -> Option<&ScoreSheet> {
        self.scores.sheets[step_index(self.step)].as_ref()
    }

    /// Whether `row` is scored by hand: an item that is not computed, a bonus or a
    /// penalty rule (never a group).
    pub fn is_hand_scored(&self, row: &ComparisonRow) -> bool {
        let computed = matches!(
            self.scores.criteria.set.find(&row.code),
            Some(Entry::Criterion(c)) if c.computation().is_some()
        );
        !row.is_group && !computed
    }

    /// The lines the caller types: every line scored by hand, in table order.
    pub fn hand_lines(&self) -> impl Iterator<Item = &ComparisonRow> {
        self.scores.comparison.rows.iter().filter(|r| self.is_hand_scored(r))
    }

    /// Refuses a caller who does not give this step.
    pub fn ensure_editable(&self) -> Result<(), Error> {
        if self.editable {
            return Ok(());
        }
        let who = match self.step {
            ScoreStep::SelfScore => format!("cán bộ của {}", self.unit.name),
            ScoreStep::Cluster => format!("cụm trưởng của {} năm {}", self.unit.cluster.name, self.unit.year),
            ScoreStep::Upper => "cấp trên của đơn vị".to_owned(),
        };
        Err(Error::Forbidden(format!(
            "bước «{}» chỉ do {who} chấm",
            self.step.label_vi()
        )))
    }
}

/// `step`'s sheet of `unit` for `year`, when the caller may see the unit's sheets.
pub async fn load_sheet(app: &App, caller: &Context, unit: &str, year: i32, step: ScoreStep) -> Result<Sheet, Error> {
    let UnitScores { unit, scores } = comparison(app, caller, unit, year, None).await?;
    let catalog = app.store().catalog().await?;
    let figures =
        crate::rollups::unit_figures(app, &caller.directory, &catalog, &unit.unit, Period::Year(unit.year)).await?;
    let fresh = compute_items_from(&scores.criteria.set, &figures);
    let access = caller.access();
    let editable = may_score(&access, &unit.unit, unit.year, step);
    let owns_evidence = step == ScoreStep::SelfScore && may_score(&access, &unit.unit, unit.year, ScoreStep::SelfScore);
    Ok(Sheet {
        unit,
        step,
        scores,
        fresh,
        editable,
        owns_evidence,
    })
}

/// One line as typed: its points in words ("3,5"; empty for a line left as it was) and
/// its note.
#[derive(Debug, Clone, Default)]
pub struct TypedLine {
    /// The points as typed.
    pub points: String,
    /// The evidence or reason.
    pub note: String,
}

/// A step's sheet as typed, to be saved.
#[derive(Debug, Clone, Default)]
pub struct SheetEntry {
    /// The save the caller started from (0 for a sheet not saved yet).
    pub version: i64,
    /// The criteria version the caller scored against.
    pub criteria_version: u32,
    /// The lines typed, by code; a line left empty is not scored (self) or keeps what
    /// the step before gave.
    pub lines: BTreeMap<CriterionCode, TypedLine>,
    /// The note on the whole sheet.
    pub note: String,
}

/// A sheet not saved.
#[derive(Debug)]
pub enum SaveError {
    /// Lines that are not right, by code, each in words ("Mục I.1: 6 điểm vượt điểm tối
    /// đa 5"): nothing was saved.
    Lines(BTreeMap<CriterionCode, String>),
    /// The save failed or was refused as a whole (a stale form, a replaced criteria
    /// version, a caller who does not give this step).
    Failed(Error),
}

impl From<Error> for SaveError {
    fn from(e: Error) -> Self {
        SaveError::Failed(e)
    }
}

impl From<StoreError> for SaveError {
    fn from(e: StoreError) -> Self {
        SaveError::Failed(e.into())
    }
}

/// Each typed line checked by core on its own (a number, not above its maximum, a
/// multiple of its per-case points), so that every wrong line is named at once.
fn check_lines(sheet: &Sheet, entry: &SheetEntry) -> Result<BTreeMap<CriterionCode, Mark>, SaveError> {
    let set = &sheet.scores.criteria.set;
    let mut marks = BTreeMap::new();
    let mut errors = BTreeMap::new();
    for (code, line) in &entry.lines {
        if line.points.is_empty() {
            continue;
        }
        let mark = match Points::parse(&line.points) {
            Ok(points) => Mark {
                points,
                note: line.note.clone(),
            },
            Err(e) => {
                errors.insert(code.clone(), format!("Mục {code}: {e}"));
                continue;
            }
        };
        match ScoreCard::new(set, BTreeMap::from([(code.clone(), mark.clone())])) {
            Ok(_) => {
                marks.insert(code.clone(), mark);
            }
            Err(thidua_core::Error::InvalidScore { reason, .. }) => {
                errors.insert(code.clone(), format!("Mục {code}: {reason}"));
            }
            Err(e) => {
                errors.insert(code.clone(), format!("Mục {code}: {e}"));
            }
        }
    }
    if errors.is_empty() {
        Ok(marks)
    } else {
        Err(SaveError::Lines(errors))
    }
}

/// Saves `entry` as the caller's step of `sheet`: refused unless the caller gives this
/// step; every line checked by core first, then stored (computed items filled from the
/// accepted figures, a stale form refused). Returns the sheet as saved.
pub async fn save_sheet(
    app: &App,
    caller: &Context,
    sheet: &Sheet,
    entry: &SheetEntry,
) -> Result<ScoreSheet, SaveError> {
    sheet.ensure_editable()?;
    let marks = check_lines(sheet, entry)?;
    let input = SheetInput {
        version: entry.version,
        marks,
        note: entry.note.clone(),
    };
    Ok(app
        .store()
        .save_score_sheet(
            &Actor::from(&caller.principal),
            &sheet.unit.unit,
            sheet.unit.year,
            entry.criteria_version,
            sheet.step,
            input,
        )
        .await?)
}

// ------------------------------------------------------------------- the ranking

/// One member in the ranking as the caller sees it, with its three steps.
#[derive(Debug, Clone)]
pub struct RankedUnit {
    /// Its place and final total.
    pub standing: Standing,
    /// Its three steps side by side.
    pub scores: ScoreComparison,
}

/// Xếp hạng thi đua — a cluster's ranking as the caller may see it.
#[derive(Debug, Clone)]
pub struct ClusterRanking {
    /// The criteria version ranked on.
    pub criteria_version: u32,
    /// The criteria's scale, when some member has been scored.
    pub scale: Option<Points>,
    /// The members the caller may see, ranked. Whoever runs the cluster sees the whole
    /// ranking; a member sees the units it may see ranked among themselves, so that a
    /// hidden self-score cannot be read off the places.
    pub ranked: Vec<RankedUnit>,
    /// Members scored whose sheets the caller may not see yet, in ranking order.
    pub hidden: Vec<UnitCode>,
    /// Members with no sheet yet.
    pub unscored: Vec<UnitCode>,
}

/// `cluster`'s ranking for its year on the current criteria, each member's sheets read
/// once; `None` while the year has no criteria. The caller has been checked to see the
/// cluster; `collator` orders equals.
pub async fn ranking(
    app: &App,
    caller: &Context,
    cluster: &Cluster,
    collator: &Collator,
) -> Result<Option<ClusterRanking>, Error> {
    let mut ranking = match app.store().ranking(&cluster.code, cluster.year, None).await {
        Ok(r) => r,
        Err(StoreError::NotFound { .. }) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let access = caller.access();
    let runs = access.can_run_cluster(cluster);
    let visible = |unit: &UnitCode, scores: &ScoreComparison| {
        let cluster_scored = scores.sheets[step_index(ScoreStep::Cluster)].is_some();
        access.can_see_score_sheets(cluster, unit, cluster_scored)
    };
    let shown = |unit: &UnitCode| ranking.scores.get(unit).is_some_and(|s| visible(unit, s));
    let standings: Vec<Standing> = if runs {
        ranking.standings.clone()
    } else {
        let seen = ranking
            .standings
            .iter()
            .filter(|s| shown(&s.unit))
            .map(|s| Scored {
                unit: s.unit.clone(),
                name: s.name.clone(),
                total: s.total,
            })
            .collect();
        rank(seen, collator)
    };
    let hidden: Vec<UnitCode> = ranking
        .standings
        .iter()
        .filter(|s| ranking.scores.contains_key(&s.unit) && !shown(&s.unit))
        .map(|s| s.unit.clone())
        .collect();
    let scale = ranking
        .standings
        .first()
        .and_then(|s| ranking.scores.get(&s.unit))
        .map(|s| s.criteria.set.scale());
    let ranked = standings
        .into_iter()
        .filter_map(|standing| {
            let scores = ranking.scores.remove(&standing.unit)?;
            Some(RankedUnit { standing, scores })
        })
        .collect();
    Ok(Some(ClusterRanking {
        criteria_version: ranking.criteria_version,
        scale,
        ranked,
        hidden,
        unscored: ranking.unscored,
    }))
}

/// The caller's own unit when it is a member of `cluster` (to offer it its self-score).
pub fn own_member(caller: &Context, cluster: &Cluster) -> Option<UnitCode> {
    caller
        .principal
        .unit
        .clone()
        .filter(|u| caller.access().represents(cluster, u))
}

// --------------------------------------------------------------------- evidence

/// Evidence not attached.
#[derive(Debug)]
pub enum AttachError {
    /// The self-score has not been saved yet: there is nothing to attach to.
    NotSaved,
    /// No file was chosen.
    NoFile,
    /// The store did not take the file (its kind, its size, the sheet's limits) or failed.
    Refused(Error),
    /// The caller may not attach, or the request names no item of the sheet.
    Failed(Error),
}

impl std::fmt::Display for AttachError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AttachError::NotSaved => f.write_str("Hãy lưu bảng tự chấm trước, rồi đính kèm minh chứng."),
            AttachError::NoFile => f.write_str("Chưa chọn tệp minh chứng."),
            AttachError::Refused(e) | AttachError::Failed(e) => e.fmt(f),
        }
    }
}

/// Attaches `file` to the unit's saved self-score, for one item (`code`, as typed) or
/// the whole sheet (`None`): only the unit's own officers, on its self-score.
pub async fn attach_evidence(
    app: &App,
    caller: &Context,
    sheet: &Sheet,
    code: Option<&str>,
    file: Option<EvidenceFile>,
) -> Result<EvidenceInfo, AttachError> {
    if !sheet.owns_evidence {
        return Err(AttachError::Failed(Error::Forbidden(format!(
            "chỉ cán bộ của {} đính kèm minh chứng vào bảng tự chấm của đơn vị",
            sheet.unit.name
        ))));
    }
    let Some(saved) = sheet.scores.sheets[step_index(ScoreStep::SelfScore)].as_ref() else {
        return Err(AttachError::NotSaved);
    };
    let Some(file) = file.filter(|f| !f.filename.is_empty()) else {
        return Err(AttachError::NoFile);
    };
    let code = code
        .map(CriterionCode::parse)
        .transpose()
        .map_err(|e| AttachError::Failed(e.into()))?;
    app.store()
        .attach_evidence(&Actor::from(&caller.principal), saved.id, code.as_ref(), file)
        .await
        .map_err(|e| AttachError::Refused(e.into()))
}

/// The evidence file `id` with the unit and step of the sheet it belongs to, after
/// checking the caller may see that sheet.
async fn evidence_owner(app: &App, caller: &Context, id: i64) -> Result<(UnitYear, ScoreStep), Error> {
    let (unit, year, step) = app.store().evidence_owner(id).await?;
    let UnitScores { unit, .. } = comparison(app, caller, unit.as_str(), year, None).await?;
    Ok((unit, step))
}

/// The evidence file `id` and its bytes, when the caller may see its sheet.
pub async fn evidence_file(app: &App, caller: &Context, id: i64) -> Result<(EvidenceInfo, Vec<u8>), Error> {
    evidence_owner(app, caller, id).await?;
    Ok(app.store().evidence_file(id).await?)
}

/// Removes the evidence file `id`: only the unit's own officers, from its self-score.
/// Returns the unit and step of the sheet it was on.
pub async fn remove_evidence(app: &App, caller: &Context, id: i64) -> Result<(UnitYear, ScoreStep), Error> {
    let (unit, step) = evidence_owner(app, caller, id).await?;
    let access = caller.access();
    if step != ScoreStep::SelfScore || !may_score(&access, &unit.unit, unit.year, ScoreStep::SelfScore) {
        return Err(Error::Forbidden(format!(
            "chỉ cán bộ của {} gỡ minh chứng của đơn vị",
            unit.name
        )));
    }
    app.store().remove_evidence(&Actor::from(&caller.principal), id).await?;
    Ok((unit, step))
}
