//! Dashboards (看板): the figures of a campaign or stationing programme at one
//! level of the org tree — the level's total, one line per child org, the
//! months of the campaign's window — and the one-page briefing (简报) printed
//! from the same numbers.
//!
//! Nothing here counts on its own: every figure comes from the module that
//! owns the records (`summary::store` for visits, interviews and problems,
//! `survey::store` for valid questionnaires, and so on), so a dashboard always
//! equals the records a drill-down lists.

pub mod api;
pub mod briefing;
pub mod ops;
pub mod pages;
pub mod store;

use serde::{Deserialize, Serialize};

use crate::{
    date::Day,
    db::{OrgId, code_enum},
    summary::OutcomeCounts,
};

/// The figures of one subtree for one campaign (seed 002's list, and seed
/// 000's problems by outcome).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = DashboardFigures)]
pub struct Figures {
    /// 走访企业: distinct enterprises with an activity of the campaign.
    pub enterprises_visited: i64,
    /// 访谈: workers interviewed, summed over activities.
    pub workers_interviewed: i64,
    /// 座谈会次数.
    pub symposiums: i64,
    /// 参加座谈人数.
    pub symposium_participants: i64,
    /// 有效问卷: valid responses to the campaign's questionnaires.
    pub valid_questionnaires: i64,
    /// Problems owned in the subtree, every state.
    pub problems: i64,
    /// Problems owned in the subtree by outcome.
    pub outcomes: OutcomeCounts,
    /// 上报: problems recorded in the subtree and passed above it.
    pub escalated: i64,
    /// 专题报告: special reports submitted at least once.
    pub special_reports: i64,
    /// 调解案件: mediation cases received.
    pub mediation_cases: i64,
    /// Valid mediation agreements.
    pub mediation_agreements: i64,
    /// Cases mediated to an end (agreement, no agreement, arbitration): the
    /// denominator of the success rate.
    pub mediation_concluded: i64,
    /// 新建工会: unions founded.
    pub unions_founded: i64,
    /// 新入会: members joined.
    pub members_joined: i64,
    /// 办实事: services recorded.
    pub services: i64,
    /// Workers who benefited from them.
    pub workers_served: i64,
}

impl Figures {
    /// Problems solved.
    pub fn solved(&self) -> i64 {
        self.outcomes.solved
    }

    /// Mediation success rate in whole percent (agreements / concluded).
    pub fn mediation_rate(&self) -> Option<i64> {
        percent(self.mediation_agreements, self.mediation_concluded)
    }

    /// `self - other` for every additive figure (a level's own line is its
    /// total less its children's). Enterprises are not additive and are left.
    pub fn minus_additive(&mut self, o: &Figures) {
        self.workers_interviewed -= o.workers_interviewed;
        self.symposiums -= o.symposiums;
        self.symposium_participants -= o.symposium_participants;
        self.valid_questionnaires -= o.valid_questionnaires;
        self.problems -= o.problems;
        let mut v = self.outcomes.values();
        for (a, b) in v.iter_mut().zip(o.outcomes.values()) {
            *a -= b;
        }
        self.outcomes = OutcomeCounts::from_values(v);
        self.special_reports -= o.special_reports;
        self.mediation_cases -= o.mediation_cases;
        self.mediation_agreements -= o.mediation_agreements;
        self.mediation_concluded -= o.mediation_concluded;
        self.unions_founded -= o.unions_founded;
        self.members_joined -= o.members_joined;
        self.services -= o.services;
        self.workers_served -= o.workers_served;
    }
}

/// A rate in whole percent, or `None` when there is nothing to divide by.
pub fn percent(part: i64, whole: i64) -> Option<i64> {
    (whole > 0).then(|| (part * 100 + whole / 2) / whole)
}

/// One line of a level: a child org's subtree, or the level's own records
/// that no child covers.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Line {
    pub org_id: OrgId,
    pub name: String,
    /// True for the level's own line (its records outside every child).
    pub own: bool,
    /// Whether the line has children of its own to drill into.
    pub has_children: bool,
    pub figures: Figures,
}

code_enum! {
    /// What a monthly series counts.
    pub enum TrendKey: "dash-trend" {
        /// Activities held.
        Activities = "activities",
        /// Problems recorded.
        Problems = "problems",
        /// Valid questionnaires.
        Questionnaires = "questionnaires",
        /// Special reports.
        Reports = "reports",
        /// Mediation cases received.
        Mediation = "mediation",
        /// Unions founded.
        Unions = "unions",
        /// Members joined.
        Members = "members",
        /// Services recorded.
        Services = "services",
    }
}

/// A monthly series: one value per month of [`Board::months`].
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = DashboardSeries)]
pub struct Series {
    /// What it counts.
    pub key: TrendKey,
    pub values: Vec<i64>,
}

/// An org on the way from the caller's top org down to a board's level.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = DashboardPathStep)]
pub struct PathStep {
    pub org_id: OrgId,
    pub name: String,
}

/// A dashboard: one level of one campaign.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = DashboardBoard)]
pub struct Board {
    pub campaign_id: crate::db::CampaignId,
    pub campaign_title: String,
    /// The org whose subtree the board shows.
    pub org_id: OrgId,
    pub org_name: String,
    /// From the caller's top org down to this one (for going back up).
    pub path: Vec<PathStep>,
    pub totals: Figures,
    pub lines: Vec<Line>,
    /// `YYYY-MM` of every month of the campaign's window.
    pub months: Vec<String>,
    pub trends: Vec<Series>,
    /// The day the figures were computed for (China Standard Time).
    pub as_of: Day,
}

/// The months `YYYY-MM` from `from`'s to `to`'s, at most 36 (a longer window
/// shows its last three years).
pub fn months(from: Day, to: Day) -> Vec<String> {
    use chrono::Datelike;
    let (a, b) = (from.naive(), to.naive().max(from.naive()));
    let mut y = a.year();
    let mut m = a.month();
    let mut out = Vec::new();
    while (y, m) <= (b.year(), b.month()) {
        out.push(format!("{y:04}-{m:02}"));
        m += 1;
        if m > 12 {
            m = 1;
            y += 1;
        }
    }
    let skip = out.len().saturating_sub(36);
    out.split_off(skip)
}

/// Folds (`YYYY-MM`, count) pairs into one value per month of `months`;
/// counts outside the window are dropped.
pub fn fold(months: &[String], counts: impl IntoIterator<Item = (String, i64)>) -> Vec<i64> {
    let mut out = vec![0; months.len()];
    for (m, n) in counts {
        if let Ok(i) = months.binary_search(&m) {
            out[i] += n;
        }
    }
    out
}

/// Which level to show.
#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LevelParams {
    /// The org whose subtree the board shows (default: the issuing org when
    /// the caller reaches it, else the caller's own org).
    #[param(value_type = Option<i64>)]
    pub org: Option<String>,
}

/// Which records a drill-down lists.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct RecordsParams {
    /// The org whose subtree.
    pub org: Option<String>,
    /// enterprises, interviews, symposiums, participants, escalated,
    /// outcome:<solved|in_progress|planned|reference|open>, or questionnaires.
    pub figure: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Day {
        Day::parse_str(s).unwrap()
    }

    #[test]
    fn months_cover_the_window() {
        assert_eq!(
            months(d("2019-10-21"), d("2020-01-05")),
            ["2019-10", "2019-11", "2019-12", "2020-01"]
        );
        assert_eq!(months(d("2021-05-18"), d("2021-05-18")), ["2021-05"]);
        // An end before the start still shows the start's month.
        assert_eq!(months(d("2021-05-18"), d("2021-04-01")), ["2021-05"]);
        assert_eq!(months(d("2000-01-01"), d("2009-12-31")).len(), 36);
    }

    #[test]
    fn fold_drops_months_outside() {
        let m = months(d("2021-05-01"), d("2021-07-31"));
        let v = fold(
            &m,
            [
                ("2021-06".to_string(), 3),
                ("2021-04".to_string(), 9),
                ("2021-06".to_string(), 1),
                ("2021-07".to_string(), 2),
            ],
        );
        assert_eq!(v, [0, 4, 2]);
    }

    #[test]
    fn percent_rounds_and_refuses_zero() {
        assert_eq!(percent(2, 3), Some(67));
        assert_eq!(percent(0, 5), Some(0));
        assert_eq!(percent(1, 0), None);
    }
}
