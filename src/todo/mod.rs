//! The to-do home (工作台): what needs this person now, most urgent first,
//! across every module they reach.
//!
//! A person acts for the orgs where they hold a cadre or admin role (the roots
//! of their write scope), the same orgs whose notifications they receive. Each
//! module's waiting work for those orgs becomes an [`Item`] with a deadline and
//! a [`Light`]: the deadline is the record's own (a report deadline, a problem's
//! completion date, the mediation clock) or, for work that waits on us with no
//! deadline of its own (a table to review, an escalated problem), the day it
//! arrived plus the reminder horizon in working days. The list is a read view
//! over the modules' tables ([`store`]); it writes nothing.

pub mod api;
pub mod ops;
pub mod pages;
pub mod store;

use serde::Serialize;

use crate::{
    auth::Caller,
    date::Day,
    db::{OrgId, code_enum},
    i18n::Lang,
    workday::{Light, Workdays},
};

code_enum! {
    /// What an item asks for. The catalogue keys are `todo-<kind>`.
    pub enum ItemKind: "todo" {
        /// An org above chased our unit (催报 / 催办) and the matter is not done.
        Chased = "chased",
        /// A campaign was issued to our unit and nobody confirmed receipt (签收).
        ReceiptPending = "receipt_pending",
        /// Our unit's summary table is missing, a draft or returned.
        SummaryToSubmit = "summary_to_submit",
        /// Units of a campaign we issued have not submitted by (or near) the deadline.
        UnitsMissing = "units_missing",
        /// A unit submitted its summary table to us: accept or return it.
        SummaryToReview = "summary_to_review",
        /// A unit submitted its implementation plan to us.
        PlanToReview = "plan_to_review",
        /// Our unit's implementation plan was returned for revision.
        PlanReturned = "plan_returned",
        /// A special report was submitted to us.
        ReportToReview = "report_to_review",
        /// A problem escalated to us waits for a decision.
        ProblemEscalated = "problem_escalated",
        /// A problem's completion deadline or planned date passed or is near.
        ProblemDue = "problem_due",
        /// A problem has stayed undecided longer than the configured working days.
        ProblemWaiting = "problem_waiting",
        /// A problem is decided but whoever raised it was not told (反馈).
        FeedbackOwed = "feedback_owed",
        /// A mediation case's fifteen days are running out or over.
        MediationDue = "mediation_due",
        /// Applications to join a union wait for confirmation.
        JoinApplications = "join_applications",
        /// A milestone of our implementation plan is near.
        MilestoneDue = "milestone_due",
    }
}

impl ItemKind {
    /// Whether many items of this kind fold into one line with a count.
    pub fn folds(self) -> bool {
        matches!(
            self,
            ItemKind::ProblemEscalated
                | ItemKind::ProblemDue
                | ItemKind::ProblemWaiting
                | ItemKind::FeedbackOwed
        )
    }

    /// The catalogue key of the item's sentence.
    pub fn text_key(self) -> String {
        self.label_key().to_string()
    }

    /// The catalogue key of the action the link performs.
    pub fn action_key(self) -> String {
        format!("todo-act-{}", self.as_str())
    }
}

/// One thing that needs the person.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Item {
    pub kind: ItemKind,
    pub light: Light,
    /// The unit the item concerns (ours, or the unit we review).
    pub org_id: OrgId,
    pub org_name: String,
    /// The record: a campaign's title, a problem's excerpt, a case's matter.
    pub title: String,
    /// How many records the item stands for (units missing, applications); 1 otherwise.
    pub count: i64,
    /// Who the item comes from, when someone sent it (the chasing org).
    pub from: Option<String>,
    /// A message that came with it (the chase's words).
    pub message: Option<String>,
    /// The deadline the light is measured against.
    pub due: Option<Day>,
    /// Working days left until `due` (0 on the day), negative when late.
    pub working_days: i64,
    /// Where one click acts on it.
    pub link: String,
}

impl Item {
    /// Sets the light and working days from `due`, seen on `today`.
    pub fn timed(mut self, days: &Workdays, today: Day, within: u32) -> Item {
        if let Some(due) = self.due {
            self.light = Light::of(days, today, due, within);
            self.working_days = if due < today {
                -(i64::from(days.working_days_between(due, today)).max(1))
            } else {
                i64::from(days.working_days_between(today, due))
            };
        }
        self
    }

    /// The item's sentence in `lang`; a folded line of several records has
    /// its own sentence (`todo-<kind>-many`).
    pub fn text(&self, lang: Lang) -> String {
        let key = if self.count > 1 && self.kind.folds() {
            format!("{}-many", self.kind.text_key())
        } else {
            self.kind.text_key()
        };
        lang.ta(
            &key,
            &[
                ("title", self.title.clone()),
                ("org", self.org_name.clone()),
                ("count", lang.number(self.count)),
                ("from", self.from.clone().unwrap_or_default()),
            ],
        )
    }

    /// How late or how long left, in working days, in `lang`.
    pub fn when(&self, lang: Lang) -> String {
        match (self.due, self.working_days) {
            (None, _) => String::new(),
            (Some(_), n) if n < 0 => lang.ta("todo-late", &[("n", lang.number(-n))]),
            (Some(_), 0) => lang.t("todo-today"),
            (Some(_), n) => lang.ta("todo-left", &[("n", lang.number(n))]),
        }
    }

    /// The order of the list: red before yellow before green; within a colour
    /// a chase first (someone above is waiting), then the earliest deadline.
    fn rank(&self) -> (Light, bool, Option<Day>, ItemKind, i64) {
        (
            self.light,
            self.kind != ItemKind::Chased,
            self.due,
            self.kind,
            self.org_id.0,
        )
    }
}

/// Sorts items most urgent first.
pub fn sort(items: &mut [Item]) {
    items.sort_by(|a, b| a.rank().cmp(&b.rank()).then_with(|| a.title.cmp(&b.title)));
}

/// An item of `kind` about `title` at `org`, green until timed.
pub fn item(kind: ItemKind, org: (OrgId, String), title: String, link: String) -> Item {
    Item {
        kind,
        light: Light::Green,
        org_id: org.0,
        org_name: org.1,
        title,
        count: 1,
        from: None,
        message: None,
        due: None,
        working_days: 0,
        link,
    }
}

/// The caller's to-do list as of `today`.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct TodoList {
    pub today: Day,
    /// Items per light.
    pub red: usize,
    pub yellow: usize,
    pub green: usize,
    pub items: Vec<TodoEntry>,
}

/// One item with its sentence in the caller's language.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct TodoEntry {
    #[serde(flatten)]
    pub item: Item,
    /// What needs doing, in the caller's language.
    pub text: String,
    /// How late or how long left, in working days, in the caller's language.
    pub when: String,
}

/// How many of `items` show `light`.
pub fn count(items: &[Item], light: Light) -> usize {
    items.iter().filter(|i| i.light == light).count()
}

/// The items with their sentences in the caller's language.
pub fn entries(caller: &Caller, items: Vec<Item>) -> Vec<TodoEntry> {
    items
        .into_iter()
        .map(|item| TodoEntry {
            text: item.text(caller.lang),
            when: item.when(caller.lang),
            item,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> Day {
        Day::from_db(s).unwrap()
    }

    fn at(kind: ItemKind, due: Option<&str>) -> Item {
        let w = Workdays::built_in();
        let mut i = item(kind, (OrgId(1), "单位".into()), "事项".into(), "/".into());
        i.due = due.map(day);
        i.timed(&w, day("2026-12-04"), 3)
    }

    #[test]
    fn late_items_count_working_days_late_and_due_ones_count_days_left() {
        // Friday 4 December 2026: Monday the 30th of November is 4 working days back.
        let late = at(ItemKind::SummaryToSubmit, Some("2026-11-30"));
        assert_eq!((late.light, late.working_days), (Light::Red, -4));
        // Due on a Saturday that already passed: still at least one day late.
        let weekend = at(ItemKind::SummaryToSubmit, Some("2026-11-28"));
        assert_eq!(weekend.light, Light::Red);
        assert!(weekend.working_days <= -1);
        let today = at(ItemKind::ProblemDue, Some("2026-12-04"));
        assert_eq!((today.light, today.working_days), (Light::Yellow, 0));
        let soon = at(ItemKind::ProblemDue, Some("2026-12-08"));
        assert_eq!((soon.light, soon.working_days), (Light::Yellow, 2));
        let later = at(ItemKind::ProblemDue, Some("2026-12-31"));
        assert_eq!(later.light, Light::Green);
        let undated = at(ItemKind::JoinApplications, None);
        assert_eq!((undated.light, undated.working_days), (Light::Green, 0));
        for (i, lang) in [(&late, Lang::Zh), (&soon, Lang::En), (&today, Lang::Zh)] {
            assert!(!i.when(lang).is_empty());
        }
    }

    #[test]
    fn reds_come_first_a_chase_leads_its_colour_then_the_earliest_deadline() {
        let mut items = vec![
            at(ItemKind::ProblemDue, Some("2026-12-31")),
            at(ItemKind::ProblemDue, Some("2026-12-08")),
            at(ItemKind::SummaryToSubmit, Some("2026-11-02")),
            at(ItemKind::ProblemDue, Some("2026-10-01")),
            at(ItemKind::Chased, Some("2026-12-03")),
        ];
        sort(&mut items);
        let order: Vec<(ItemKind, Light)> = items.iter().map(|i| (i.kind, i.light)).collect();
        assert_eq!(
            order,
            vec![
                (ItemKind::Chased, Light::Red),
                (ItemKind::ProblemDue, Light::Red),
                (ItemKind::SummaryToSubmit, Light::Red),
                (ItemKind::ProblemDue, Light::Yellow),
                (ItemKind::ProblemDue, Light::Green),
            ]
        );
    }

    #[test]
    fn every_kind_has_a_sentence_and_an_action_in_both_languages() {
        let all = [
            ItemKind::Chased,
            ItemKind::ReceiptPending,
            ItemKind::SummaryToSubmit,
            ItemKind::UnitsMissing,
            ItemKind::SummaryToReview,
            ItemKind::PlanToReview,
            ItemKind::PlanReturned,
            ItemKind::ReportToReview,
            ItemKind::ProblemEscalated,
            ItemKind::ProblemDue,
            ItemKind::ProblemWaiting,
            ItemKind::FeedbackOwed,
            ItemKind::MediationDue,
            ItemKind::JoinApplications,
            ItemKind::MilestoneDue,
        ];
        for k in all {
            for lang in Lang::ALL {
                let mut i = item(k, (OrgId(1), "<org>".into()), "<title>".into(), "/".into());
                let text = i.text(lang);
                assert!(!text.contains("todo-"), "{} {text}", lang.code());
                i.count = 12;
                let many = i.text(lang);
                assert!(!many.contains("todo-"), "{} {many}", lang.code());
                if k.folds() {
                    assert!(many.contains("12"), "{} {many}", lang.code());
                }
                let act = lang.t(&k.action_key());
                assert!(!act.contains("todo-act"), "{} {act}", lang.code());
            }
        }
    }
}
