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

pub mod demo;
pub mod export;
pub mod http;
pub mod store;
pub mod unit_state;
pub mod workflow;

use serde::{Deserialize, Serialize};

use crate::{
    date::Day,
    db::{CampaignId, OrgId, ProblemId},
    problem::{Source, lifecycle::Outcome},
};

/// The six counted figures of the table, in the order of the attachment.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum FigureKey {
    /// 走访企事业单位数: distinct enterprises with an activity of the campaign.
    Enterprises,
    /// 访谈职工数: workers interviewed, summed over activities.
    Interviews,
    /// 座谈会次数.
    Symposiums,
    /// 参加座谈人数.
    Participants,
    /// 解决问题数: problems owned in the subtree whose outcome is solved.
    Solved,
    /// 上报问题数: problems recorded in the subtree and escalated above the unit.
    Escalated,
}

impl FigureKey {
    /// The six figures in the order of the attachment.
    pub const ALL: [FigureKey; 6] = [
        FigureKey::Enterprises,
        FigureKey::Interviews,
        FigureKey::Symposiums,
        FigureKey::Participants,
        FigureKey::Solved,
        FigureKey::Escalated,
    ];

    /// The stored spelling (also the line key of the figure).
    pub fn as_str(self) -> &'static str {
        match self {
            FigureKey::Enterprises => "enterprises",
            FigureKey::Interviews => "interviews",
            FigureKey::Symposiums => "symposiums",
            FigureKey::Participants => "participants",
            FigureKey::Solved => "solved",
            FigureKey::Escalated => "escalated",
        }
    }

    /// Parses the stored spelling.
    pub fn parse(s: &str) -> Option<FigureKey> {
        FigureKey::ALL.into_iter().find(|k| k.as_str() == s.trim())
    }

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

    /// The catalogue key of its label in the interface.
    pub fn label_key(self) -> String {
        format!("summary-figure-{}", self.as_str())
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
    /// How many problems of this source the subtree owns, by outcome, in the
    /// order of [`crate::problem::lifecycle::OUTCOME_CODES`], then undecided.
    pub outcomes: [i64; 5],
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

/// Which figures a roll-up adds up.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// 报送口径, the official roll-up: each unit's latest version that waits
    /// for a decision or was accepted, as frozen; a unit without one (missing,
    /// draft, returned) adds nothing and is shown as such. The issuing org's
    /// own level (本级) has no table to submit and counts as its records stand.
    #[default]
    Submitted,
    /// 实时口径: every line computed from the records now.
    Live,
}

impl Basis {
    /// The spelling of the `basis` parameter.
    pub fn as_str(self) -> &'static str {
        match self {
            Basis::Submitted => "submitted",
            Basis::Live => "live",
        }
    }

    /// Parses the `basis` parameter; absent or empty is the official basis.
    pub fn parse(s: Option<&str>) -> Option<Basis> {
        match s.map(str::trim).unwrap_or("") {
            "" | "submitted" => Some(Basis::Submitted),
            "live" => Some(Basis::Live),
            _ => None,
        }
    }

    /// The catalogue key of its label.
    pub fn label_key(self) -> String {
        format!("summary-basis-{}", self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_official_basis_is_the_default_and_nothing_else_parses() {
        assert_eq!(Basis::parse(None), Some(Basis::Submitted));
        assert_eq!(Basis::parse(Some("")), Some(Basis::Submitted));
        assert_eq!(Basis::parse(Some("live")), Some(Basis::Live));
        assert_eq!(Basis::parse(Some("submitted")), Some(Basis::Submitted));
        assert_eq!(Basis::parse(Some("all")), None);
        assert_eq!(Basis::default().as_str(), "submitted");
    }
}
