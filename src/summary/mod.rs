//! Summary tables (情况汇总表): the attachment of seed 000 that every
//! participating unit returns to the issuing federation by the report deadline.
//!
//! A unit's table is computed from its subtree's records whenever it is opened
//! ([`store::compute`]); the unit's choices (which problems are "main", their
//! order, figures overridden with a written reason) are kept with its draft; a
//! submission freezes the whole table as a snapshot ([`workflow`]). The
//! federation sees completeness and the roll-up of its subtree: officially
//! the sum of what its units submitted ([`Basis::Submitted`]), and the live
//! figures as a separate, labelled view ([`Basis::Live`]).
//!
//! In the shape of a domain (ARCHITECTURE.md): this file the types, inputs
//! and rules; `store` the SQL; `ops` the use cases (the writes: save, submit,
//! accept, return, each in its transaction with its audit entry, notice and
//! webhook event; and the reads pages and API share); `pages` the pages;
//! `api` the JSON API, the downloads and the router. `workflow` is the
//! status machine, `export` the official layout (XLSX, PDF).

pub mod api;
pub mod demo;
pub mod export;
pub mod ops;
pub mod pages;
pub mod store;
pub mod unit_state;
pub mod workflow;

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::{
    campaign::Campaign,
    date::Day,
    db::{CampaignId, CodeError, OrgId, ProblemId, code_enum},
    error::{AppError, FieldError},
    problem::{Source, lifecycle::Outcome},
    web::form::Errors,
};
use workflow::{Decision, LineReason, ReturnReasons, Standing, Status};

code_enum! {
    /// The six counted figures of the table, in the order of the attachment.
    pub enum FigureKey: "summary-figure" {
        /// 走访企事业单位数: distinct enterprises with an activity of the campaign.
        Enterprises = "enterprises",
        /// 访谈职工数: workers interviewed, summed over activities.
        Interviews = "interviews",
        /// 座谈会次数.
        Symposiums = "symposiums",
        /// 参加座谈人数.
        Participants = "participants",
        /// 解决问题数: problems owned in the subtree whose outcome is solved.
        Solved = "solved",
        /// 上报问题数: problems recorded in the subtree and escalated above the unit.
        Escalated = "escalated",
    }
}

impl FigureKey {
    /// The label exactly as the official attachment prints it.
    pub fn official_label(self) -> &'static str {
        match self {
            FigureKey::Enterprises => "走访企事业单位数",
            FigureKey::Interviews => "访谈职工数",
            FigureKey::Symposiums => "座谈会次数",
            FigureKey::Participants => "参加座谈人数",
            FigureKey::Solved => "解决问题数",
            FigureKey::Escalated => "上报问题数",
        }
    }
}

/// A unit's replacement for a computed figure, with the reason it must give.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = SummaryOverride)]
pub struct Override {
    /// The figure the unit reports instead of the computed one.
    pub value: i64,
    /// Why (shown beside the figure, in the export's 说明 and to the federation).
    pub reason: String,
}

/// One counted figure: what the records say and, optionally, the unit's override.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = SummaryFigure)]
pub struct Figure {
    /// Which figure.
    pub key: FigureKey,
    /// Computed from the records.
    pub computed: i64,
    /// The unit's override, if any.
    pub overridden: Option<Override>,
}

impl Figure {
    /// The figure as reported: the override when there is one.
    pub fn value(&self) -> i64 {
        self.overridden.as_ref().map_or(self.computed, |o| o.value)
    }
}

/// A main problem (主要问题和意见建议) of one source block.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MainItem {
    /// The problem behind the line.
    pub problem_id: ProblemId,
    /// What was raised.
    pub description: String,
    /// Its topic, in Chinese.
    pub topic: String,
    /// The outcome ticked; `None` while the problem is undecided (a table
    /// cannot be submitted with an undecided main problem).
    pub outcome: Option<Outcome>,
}

/// The main problems raised by one source, in the unit's order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SourceBlock {
    /// Worker, enterprise or grassroots union.
    pub source: Source,
    /// The lines, numbered 1., 2., … in this order.
    pub items: Vec<MainItem>,
    /// How many problems of this source the subtree owns, by outcome.
    pub outcomes: OutcomeCounts,
}

/// A problem escalated above the unit (需要上级解决的问题).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UpperItem {
    /// The problem.
    pub problem_id: ProblemId,
    /// What was raised.
    pub description: String,
    /// Which source raised it.
    pub source: Source,
    /// The org that owns it now, above the unit.
    pub owner: String,
}

/// The head of the table: which campaign, which unit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Head {
    /// The campaign.
    pub campaign_id: CampaignId,
    /// Its title.
    pub campaign_title: String,
    /// Its document number, e.g. 杨工〔2019〕28号.
    pub doc_number: Option<String>,
    /// The issuing federation's name.
    pub issuer: String,
    /// The report deadline (end of that day, Beijing time).
    pub report_due_on: Day,
    /// The unit (单位).
    pub org_id: OrgId,
    /// The unit's code.
    pub org_code: String,
    /// The unit's name as printed after 单位：.
    pub org_name: String,
}

/// A summary table: what the attachment holds, computed or frozen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SummaryTable {
    /// Campaign and unit.
    pub head: Head,
    /// The six figures, in [`FigureKey::ALL`] order.
    pub figures: Vec<Figure>,
    /// The three source blocks, in [`Source::ALL`] order.
    pub blocks: Vec<SourceBlock>,
    /// Problems escalated above the unit.
    pub upper: Vec<UpperItem>,
    /// The unit's remarks, printed under the table.
    pub remarks: String,
    /// When it was computed (epoch seconds).
    pub computed_at: i64,
}

impl SummaryTable {
    /// The figure for `key`.
    pub fn figure(&self, key: FigureKey) -> &Figure {
        self.figures
            .iter()
            .find(|f| f.key == key)
            .expect("a table holds all six figures")
    }

    /// The block of `source`.
    pub fn block(&self, source: Source) -> &SourceBlock {
        self.blocks
            .iter()
            .find(|b| b.source == source)
            .expect("a table holds all three source blocks")
    }
}

code_enum! {
    /// Which figures a roll-up adds up.
    #[derive(Default)]
    pub enum Basis: "summary-basis" {
        /// 报送口径, the official roll-up: each unit's latest version that waits
        /// for a decision or was accepted, as frozen; a unit without one (missing,
        /// draft, returned) adds nothing and is shown as such. The issuing org's
        /// own level (本级) has no table to submit and counts as its records stand.
        #[default]
        Submitted = "submitted",
        /// 实时口径: every line computed from the records now.
        Live = "live",
    }
}

impl Basis {
    /// Reads the `basis` parameter; absent or empty is the official basis, and
    /// anything else is refused naming the codes.
    pub fn read(s: Option<&str>) -> Result<Basis, AppError> {
        match s.map(str::trim).unwrap_or("") {
            "" => Ok(Basis::Submitted),
            s => s.parse().map_err(|e: CodeError| {
                AppError::Validation(vec![e.field("basis", "err-summary-basis")])
            }),
        }
    }
}

/// Problems counted by outcome: the four outcomes of the attachment, then
/// those still undecided.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(from = "OutcomeCountsWire")]
#[schema(as = SummaryOutcomeCounts)]
pub struct OutcomeCounts {
    /// 已经解决或采纳.
    pub solved: i64,
    /// 正在解决.
    pub in_progress: i64,
    /// 计划解决.
    pub planned: i64,
    /// 留作参考.
    pub reference: i64,
    /// Not decided yet.
    pub open: i64,
}

/// How stored snapshots spell outcome counts: by name, or (before issue 15)
/// as five numbers in the order of [`OutcomeCounts::CODES`].
#[derive(Deserialize)]
#[serde(untagged)]
enum OutcomeCountsWire {
    Named {
        solved: i64,
        in_progress: i64,
        planned: i64,
        reference: i64,
        open: i64,
    },
    Positional([i64; 5]),
}

impl From<OutcomeCountsWire> for OutcomeCounts {
    fn from(w: OutcomeCountsWire) -> Self {
        match w {
            OutcomeCountsWire::Named {
                solved,
                in_progress,
                planned,
                reference,
                open,
            } => OutcomeCounts {
                solved,
                in_progress,
                planned,
                reference,
                open,
            },
            OutcomeCountsWire::Positional(v) => OutcomeCounts::from_values(v),
        }
    }
}

impl OutcomeCounts {
    /// The codes of the counts, in order: the four outcomes, then `open`
    /// (the spelling of a drill-down's `outcome:<source>:<code>`).
    pub const CODES: [&'static str; 5] = ["solved", "in_progress", "planned", "reference", "open"];

    /// The counts in the order of [`OutcomeCounts::CODES`].
    pub fn values(&self) -> [i64; 5] {
        [
            self.solved,
            self.in_progress,
            self.planned,
            self.reference,
            self.open,
        ]
    }

    /// Counts given in the order of [`OutcomeCounts::CODES`].
    pub fn from_values(v: [i64; 5]) -> Self {
        OutcomeCounts {
            solved: v[0],
            in_progress: v[1],
            planned: v[2],
            reference: v[3],
            open: v[4],
        }
    }

    /// Every problem counted.
    pub fn total(&self) -> i64 {
        self.values().iter().sum()
    }

    /// Adds other counts.
    pub fn add(&mut self, o: &OutcomeCounts) {
        let mut v = self.values();
        for (a, b) in v.iter_mut().zip(o.values()) {
            *a += b;
        }
        *self = OutcomeCounts::from_values(v);
    }
}

impl std::ops::Index<usize> for OutcomeCounts {
    type Output = i64;
    fn index(&self, i: usize) -> &i64 {
        match i {
            0 => &self.solved,
            1 => &self.in_progress,
            2 => &self.planned,
            3 => &self.reference,
            _ => &self.open,
        }
    }
}

impl std::ops::IndexMut<usize> for OutcomeCounts {
    fn index_mut(&mut self, i: usize) -> &mut i64 {
        match i {
            0 => &mut self.solved,
            1 => &mut self.in_progress,
            2 => &mut self.planned,
            3 => &mut self.reference,
            _ => &mut self.open,
        }
    }
}

/// Problems counted by source and outcome.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = SummarySourceOutcomes)]
pub struct SourceOutcomes {
    /// Raised by workers.
    pub worker: OutcomeCounts,
    /// Raised by enterprises.
    pub enterprise: OutcomeCounts,
    /// Raised by grassroots unions.
    pub union: OutcomeCounts,
}

impl SourceOutcomes {
    /// The counts of each source, in [`Source::ALL`] order.
    pub fn values(&self) -> [OutcomeCounts; 3] {
        [self.worker, self.enterprise, self.union]
    }

    /// The counts of `source`.
    pub fn of(&self, source: Source) -> &OutcomeCounts {
        match source {
            Source::Worker => &self.worker,
            Source::Enterprise => &self.enterprise,
            Source::Union => &self.union,
        }
    }

    /// The counts of `source`, to add to.
    pub fn of_mut(&mut self, source: Source) -> &mut OutcomeCounts {
        match source {
            Source::Worker => &mut self.worker,
            Source::Enterprise => &mut self.enterprise,
            Source::Union => &mut self.union,
        }
    }

    /// Every source's counts summed.
    pub fn all(&self) -> OutcomeCounts {
        let mut t = OutcomeCounts::default();
        for c in self.values() {
            t.add(&c);
        }
        t
    }
}

/// The six counted figures of a line, by name.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = SummaryFigureCounts)]
pub struct FigureCounts {
    /// 走访企事业单位数.
    pub enterprises: i64,
    /// 访谈职工数.
    pub interviews: i64,
    /// 座谈会次数.
    pub symposiums: i64,
    /// 参加座谈人数.
    pub participants: i64,
    /// 解决问题数.
    pub solved: i64,
    /// 上报问题数.
    pub escalated: i64,
}

impl FigureCounts {
    /// The figures in [`FigureKey::ALL`] order.
    pub fn values(&self) -> [i64; 6] {
        FigureKey::ALL.map(|k| self[k])
    }
}

impl std::ops::Index<FigureKey> for FigureCounts {
    type Output = i64;
    fn index(&self, k: FigureKey) -> &i64 {
        match k {
            FigureKey::Enterprises => &self.enterprises,
            FigureKey::Interviews => &self.interviews,
            FigureKey::Symposiums => &self.symposiums,
            FigureKey::Participants => &self.participants,
            FigureKey::Solved => &self.solved,
            FigureKey::Escalated => &self.escalated,
        }
    }
}

impl std::ops::IndexMut<FigureKey> for FigureCounts {
    fn index_mut(&mut self, k: FigureKey) -> &mut i64 {
        match k {
            FigureKey::Enterprises => &mut self.enterprises,
            FigureKey::Interviews => &mut self.interviews,
            FigureKey::Symposiums => &mut self.symposiums,
            FigureKey::Participants => &mut self.participants,
            FigureKey::Solved => &mut self.solved,
            FigureKey::Escalated => &mut self.escalated,
        }
    }
}

impl std::ops::Index<usize> for SourceOutcomes {
    type Output = OutcomeCounts;
    /// The counts of the `i`th source in [`Source::ALL`] order.
    fn index(&self, i: usize) -> &OutcomeCounts {
        self.of(Source::ALL[i])
    }
}

impl std::ops::IndexMut<usize> for SourceOutcomes {
    fn index_mut(&mut self, i: usize) -> &mut OutcomeCounts {
        self.of_mut(Source::ALL[i])
    }
}

impl std::ops::Index<usize> for FigureCounts {
    type Output = i64;
    /// The `i`th figure in [`FigureKey::ALL`] order.
    fn index(&self, i: usize) -> &i64 {
        &self[FigureKey::ALL[i]]
    }
}

impl std::ops::IndexMut<usize> for FigureCounts {
    fn index_mut(&mut self, i: usize) -> &mut i64 {
        &mut self[FigureKey::ALL[i]]
    }
}

/// The figures of one line.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = SummaryLineFigures)]
pub struct LineFigures {
    /// The six figures.
    pub counts: FigureCounts,
    /// Problems the line owns, by source and outcome.
    pub outcomes: SourceOutcomes,
}

impl LineFigures {
    /// The figure `key`.
    pub fn get(&self, key: FigureKey) -> i64 {
        self.counts[key]
    }

    /// The figures a table reports: each figure as the unit gave it (its
    /// override when it made one) and its problems by source and outcome.
    pub fn reported(t: &SummaryTable) -> LineFigures {
        let mut f = LineFigures::default();
        for k in FigureKey::ALL {
            f.counts[k] = t.figure(k).value();
        }
        for source in Source::ALL {
            *f.outcomes.of_mut(source) = t.block(source).outcomes;
        }
        f
    }

    /// Adds another line's figures.
    pub fn add(&mut self, o: &LineFigures) {
        for k in FigureKey::ALL {
            self.counts[k] += o.counts[k];
        }
        for source in Source::ALL {
            self.outcomes.of_mut(source).add(o.outcomes.of(source));
        }
    }
}

// ---- what the pages and the API read and send ----

/// A submitted version as listed.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = SummaryVersionInfo)]
pub struct VersionInfo {
    pub version: i64,
    pub submitter: String,
    pub submitted_at: i64,
    /// The verdict given once, at submission: never recomputed.
    pub late: bool,
    /// The report deadline the verdict was given against.
    pub due_on: Option<Day>,
    /// The campaign's deadline now, when it was moved after the submission
    /// (the verdict stands; this says that the deadline changed since).
    pub deadline_moved_to: Option<Day>,
    /// None while the version waits for a decision.
    pub decision: Option<Decision>,
    pub decider: Option<String>,
    pub decided_at: Option<i64>,
    pub reasons: Option<ReturnReasons>,
    pub content_hash: String,
}

impl VersionInfo {
    /// `v` as listed, with the campaign's deadline `due_now`.
    pub fn of(v: &store::Version, due_now: Day) -> Self {
        VersionInfo {
            version: v.version,
            submitter: v.submitter.clone(),
            submitted_at: v.submitted_at,
            late: v.late,
            due_on: v.due_on,
            deadline_moved_to: moved(v.due_on, due_now),
            decision: v.decision,
            decider: v.decider.clone(),
            decided_at: v.decided_at,
            reasons: v.reasons.clone(),
            content_hash: v.content_hash.clone(),
        }
    }
}

/// The deadline now, if it differs from the one a verdict was given against.
pub fn moved(then: Option<Day>, now: Day) -> Option<Day> {
    then.filter(|d| *d != now).map(|_| now)
}

/// A unit's table: live figures with its choices, its status and history.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct UnitSummary {
    pub record: store::Record,
    /// Where the unit stands (missing, draft, on time, late, returned, accepted).
    pub standing: Standing,
    /// Computed from the records now.
    pub table: SummaryTable,
    /// Every submission, oldest first.
    pub versions: Vec<VersionInfo>,
    /// The deadline's last second (epoch seconds; 23:59:59 Beijing time).
    pub deadline_end: i64,
    /// Whether the deadline has passed.
    pub past_deadline: bool,
    /// Whether the caller may edit and submit now.
    pub can_edit: bool,
    /// Whether the caller may accept or return the submitted version.
    pub can_decide: bool,
}

/// A figure override as sent by a form or a client.
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[schema(as = SummaryOverrideInput)]
pub struct OverrideInput {
    /// The figure to report (a whole number, 0 to 100,000,000); null or
    /// absent removes the override.
    #[serde(default, deserialize_with = "crate::web::form::lenient")]
    #[schema(value_type = Option<i64>, example = 12)]
    pub value: Option<String>,
    /// Why (required with a value).
    #[serde(default)]
    #[schema(example = "含线上走访3家")]
    pub reason: Option<String>,
}

/// What the unit chooses for its table.
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[schema(as = SummaryChoicesInput, example = json!({
    "main": {"worker": [101, 97], "union": []},
    "overrides": {"enterprises": {"value": 12, "reason": "含线上走访3家"}},
    "remarks": "本表由街道办公室汇总"
}))]
pub struct ChoicesInput {
    /// Main problems per source (`worker`, `enterprise`, `union`), in order.
    /// A source left out keeps what was chosen before.
    #[serde(default)]
    #[schema(value_type = BTreeMap<Source, Vec<i64>>)]
    pub main: BTreeMap<String, Vec<ProblemId>>,
    /// Overrides per figure (`enterprises`, `interviews`, `symposiums`,
    /// `participants`, `solved`, `escalated`).
    #[serde(default)]
    pub overrides: BTreeMap<FigureKey, OverrideInput>,
    /// Remarks printed under the table.
    #[serde(default)]
    pub remarks: Option<String>,
}

/// The body of a submission.
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[schema(as = SummarySubmitInput, example = json!({"version": 0}))]
pub struct SubmitInput {
    /// The version the unit was looking at (0 before the first submission):
    /// a retry with the same number stores nothing twice.
    pub version: i64,
}

/// The body of an acceptance.
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[schema(as = SummaryDecisionInput, example = json!({"version": 1}))]
pub struct DecisionInput {
    /// The submitted version being accepted.
    pub version: i64,
}

/// The body of a return: the version and the reasons.
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[schema(as = SummaryReturnInput, example = json!({
    "version": 1,
    "reason": "请核对走访数",
    "lines": [{"line": "enterprises", "reason": "与走访记录不符"}]
}))]
pub struct ReturnInput {
    /// The submitted version being returned.
    pub version: i64,
    /// About the whole table.
    #[serde(default)]
    pub reason: String,
    /// About given lines (`enterprises`…, `main:<problem id>`, `upper:<problem id>`, `remarks`).
    #[serde(default)]
    pub lines: Vec<LineReason>,
}

/// Completeness and timeliness of a campaign's tables. Timeliness is each
/// unit's first submission as judged when it was made.
#[derive(Clone, Debug, Default, Serialize, utoipa::ToSchema)]
#[schema(as = SummaryCompleteness)]
pub struct Completeness {
    /// Participating units.
    pub expected: i64,
    /// Units that have submitted at least once.
    pub submitted: i64,
    /// …whose first submission met the deadline in force then.
    pub on_time: i64,
    /// …whose first submission came after it.
    pub late: i64,
    /// Units that have not submitted (with or without a saved draft).
    pub missing: i64,
    /// Of the missing, units that saved a draft.
    pub draft: i64,
    /// Tables returned and not yet resubmitted.
    pub returned: i64,
    /// Tables waiting for a decision.
    pub waiting: i64,
    /// Tables accepted.
    pub accepted: i64,
    /// Submitted as a whole percentage of expected.
    pub submitted_rate: Option<i64>,
    /// On time as a whole percentage of expected.
    pub on_time_rate: Option<i64>,
}

/// One unit in the federation's list.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = SummaryUnitRow)]
pub struct UnitRow {
    pub org_id: OrgId,
    pub code: String,
    pub name: String,
    pub status: Status,
    /// Missing, draft, on time, late, returned or accepted.
    pub standing: Standing,
    pub version: i64,
    pub first_submitted_at: Option<i64>,
    /// When the current version was submitted.
    pub submitted_at: Option<i64>,
    /// Timeliness of the first submission, as stored when it was made; None
    /// while missing.
    pub late: Option<bool>,
    /// The deadline that verdict was given against.
    pub judged_against: Option<Day>,
    /// The campaign's deadline now, when it moved after that verdict.
    pub deadline_moved_to: Option<Day>,
    /// Whether the unit overrides any figure.
    pub overridden: bool,
}

/// One line of the roll-up: a top-level unit, or the issuing org's own level.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = SummaryRollupLine)]
pub struct RollupLine {
    pub org_id: OrgId,
    pub name: String,
    /// The issuing org's own level (本级): what no unit's subtree covers.
    pub own: bool,
    /// The unit's standing; none for the own level.
    pub standing: Option<Standing>,
    /// Whether the line adds to the totals: always on the live basis; on the
    /// submitted basis only with a version waiting or accepted (and the own
    /// level, which submits nothing).
    pub counted: bool,
    /// The version whose figures the line shows (submitted basis).
    pub version: Option<i64>,
    /// Zero when not counted.
    pub figures: LineFigures,
}

/// The federation's view of a campaign's summary tables.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = SummaryOverview)]
pub struct Overview {
    pub campaign: Campaign,
    pub completeness: Completeness,
    pub units: Vec<UnitRow>,
    /// What the roll-up adds up: what was submitted (the default) or the records now.
    pub basis: Basis,
    /// The roll-up lines; the sum of the counted ones is `totals`.
    pub lines: Vec<RollupLine>,
    /// The sum of the counted lines.
    pub totals: LineFigures,
}

/// The `basis` parameter of the roll-up's page, API and downloads.
#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RollupParams {
    /// `submitted` (the default: what the units submitted) or `live` (the records now).
    #[param(value_type = Option<Basis>)]
    pub basis: Option<String>,
}

impl RollupParams {
    /// The basis asked for; anything but its codes is refused.
    pub fn basis(&self) -> Result<Basis, AppError> {
        Basis::read(self.basis.as_deref())
    }
}

/// The records behind one figure, and the figure they add up to.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = SummaryRecords)]
pub struct Records {
    /// What was drilled: a figure key or `outcome:<source>:<outcome>`.
    pub drill: String,
    /// The figure the rows add up to.
    pub figure: i64,
    /// At most 2,000 rows.
    pub rows: Vec<store::DrillRow>,
}

/// Query of a drill-down.
#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DrillParams {
    /// `enterprises`, `interviews`, `symposiums`, `participants`, `solved`,
    /// `escalated`, or `outcome:<worker|enterprise|union>:<solved|in_progress|planned|reference|open>`.
    pub drill: Option<String>,
    /// The roll-up line (a unit, or the issuing org for its own level).
    #[param(value_type = Option<i64>)]
    pub line: Option<OrgId>,
}

/// Which version an export is of: absent for the table as it computes now.
#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// A submitted version; absent for the table as it computes now.
    pub version: Option<i64>,
}

/// The lines a return may name: the six figures, each main problem
/// (`main:<id>`), each problem passed above the unit (`upper:<id>`) and the
/// remarks. A reason on any other line is refused, naming it by its place in
/// the body (`lines[2].line`).
pub fn check_lines(t: &SummaryTable, r: &ReturnReasons) -> Result<(), AppError> {
    let mut known: HashSet<String> = FigureKey::CODES.iter().map(|k| k.to_string()).collect();
    known.insert("remarks".into());
    for b in &t.blocks {
        known.extend(b.items.iter().map(|i| format!("main:{}", i.problem_id)));
    }
    known.extend(t.upper.iter().map(|u| format!("upper:{}", u.problem_id)));
    let mut errors = Errors::default();
    for (i, l) in r.lines.iter().enumerate() {
        if !known.contains(&l.line) {
            errors.push(
                FieldError::new(format!("lines[{i}].line"), "err-summary-no-such-line")
                    .arg("line", &l.line),
            );
        }
    }
    errors.finish()
}

/// The 合计 of `tables`: every figure summed as reported, the computed sum
/// kept beside it (as an override with `reason`) where they differ; the
/// problems by source and outcome summed.
pub fn sum_tables<'a>(
    head: Head,
    tables: impl Iterator<Item = &'a SummaryTable>,
    reason: &str,
) -> SummaryTable {
    let (mut computed, mut reported) = (LineFigures::default(), LineFigures::default());
    for t in tables {
        reported.add(&LineFigures::reported(t));
        let mut c = LineFigures::default();
        for k in FigureKey::ALL {
            c.counts[k] = t.figure(k).computed;
        }
        computed.add(&c);
    }
    computed.outcomes = reported.outcomes;
    let mut totals = store::totals_table(head, &computed);
    for f in totals.figures.iter_mut() {
        let value = reported.get(f.key);
        if value != f.computed {
            f.overridden = Some(Override {
                value,
                reason: reason.to_string(),
            });
        }
    }
    totals
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_official_basis_is_the_default_and_a_wrong_one_lists_the_codes() {
        assert_eq!(Basis::read(None).unwrap(), Basis::Submitted);
        assert_eq!(Basis::read(Some("")).unwrap(), Basis::Submitted);
        assert_eq!(Basis::read(Some("live")).unwrap(), Basis::Live);
        assert_eq!(Basis::read(Some("submitted")).unwrap(), Basis::Submitted);
        let Err(AppError::Validation(fs)) = Basis::read(Some("all")) else {
            panic!()
        };
        assert_eq!(fs[0].field, "basis");
        assert_eq!(fs[0].arg_value("allowed"), Some("submitted, live"));
        assert_eq!(Basis::default().as_str(), "submitted");
    }

    #[test]
    fn counts_are_objects_with_named_fields_and_old_snapshots_still_read() {
        let c = OutcomeCounts::from_values([1, 2, 3, 4, 5]);
        assert_eq!(
            serde_json::to_value(c).unwrap(),
            serde_json::json!({"solved": 1, "in_progress": 2, "planned": 3, "reference": 4, "open": 5})
        );
        let old: OutcomeCounts = serde_json::from_str("[1, 2, 3, 4, 5]").unwrap();
        assert_eq!(old, c);
        let named: OutcomeCounts =
            serde_json::from_value(serde_json::to_value(c).unwrap()).unwrap();
        assert_eq!(named, c);
        let mut f = FigureCounts::default();
        f[FigureKey::Solved] = 3;
        assert_eq!(f.values(), [0, 0, 0, 0, 3, 0]);
        assert_eq!(serde_json::to_value(f).unwrap()["solved"], 3);
    }
}
