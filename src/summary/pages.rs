//! Summary-table pages: a unit's table with its picker and overrides, a
//! frozen version with the decision forms, the drill-downs and the
//! federation's overview. Writes go through `ops`, like the API's.

use std::collections::{BTreeMap, HashMap};

use askama::Template;
use axum::{extract::State, response::Response};

use super::{
    ChoicesInput, DrillParams, FigureKey, LineFigures, MainItem, OverrideInput, Overview, Records,
    RollupParams, SummaryTable, UnitRow, UnitSummary, VersionInfo, moved, ops,
    store::{Drill, Version},
    workflow::{Action as Move, LineReason, ReturnReasons, Status},
};
use crate::{
    auth::Caller,
    campaign::{Campaign, Unit},
    date::Day,
    db::{CampaignId, OrgId, ProblemId},
    error::{AppError, AppResult},
    problem::Source,
    web::{
        AppState, Form, Path, Query,
        form::{FieldMessages, submitted},
        page::{Chrome, render},
    },
};

/// How many candidate problems per source the picker offers.
const CANDIDATES: i64 = 300;

/// The four outcome codes in the order of the attachment.
const OUTCOMES: [&str; 4] = crate::problem::lifecycle::OUTCOME_CODES;
/// The six figures in the order of the attachment.
const FIGURES: [FigureKey; 6] = FigureKey::ALL;
/// The three sources in the order of the attachment.
const SOURCES: [Source; 3] = Source::ALL;

/// The messages refused fields carry, for `errors_for`: a field's own and
/// those of its parts (`main.worker` shows `main.worker[1]`).
fn errors_for<'a>(errors: &'a [(String, String)], field: &str) -> Vec<&'a str> {
    errors
        .iter()
        .filter(|(f, _)| {
            f == field
                || f.strip_prefix(field)
                    .is_some_and(|rest| rest.starts_with('[') || rest.starts_with('.'))
        })
        .map(|(_, m)| m.as_str())
        .collect()
}

/// The problems a unit may pick for one source, with whether each is picked.
struct Picker {
    source: Source,
    rows: Vec<(MainItem, Option<usize>)>,
}

#[derive(Template)]
#[template(path = "summary/unit.html")]
struct UnitPage {
    c: Chrome,
    campaign: Campaign,
    unit: Unit,
    s: UnitSummary,
    t: SummaryTable,
    /// Where the figures drill down to; None for frozen versions.
    drill: Option<String>,
    /// The reasons the latest return gave, shown beside the lines.
    reasons: Option<ReturnReasons>,
    line_inputs: bool,
    pickers: Vec<Picker>,
    errors: Vec<(String, String)>,
    /// The override inputs as sent (after a refused save) or stored.
    overrides: BTreeMap<String, (String, String)>,
    remarks: String,
    /// The version waiting for the caller's decision, when there is one: the
    /// accept and return actions are offered wherever the table is opened.
    decide_version: Option<i64>,
}

impl UnitPage {
    async fn build(
        state: &AppState,
        caller: &Caller,
        id: CampaignId,
        org: OrgId,
        input: Option<&ChoicesInput>,
        errors: FieldMessages,
    ) -> AppResult<UnitPage> {
        let db = &state.db;
        let ctx = ops::unit_ctx(db, caller, id, org).await?;
        let (s, versions) = ops::unit_summary(db, &ctx).await?;
        let reasons = if ctx.record.status == Status::Returned {
            versions.last().and_then(|v| v.reasons.clone())
        } else {
            None
        };
        let mut pickers = Vec::new();
        if ctx.can_edit {
            for b in &s.table.blocks {
                let picked: Vec<ProblemId> = match input.and_then(|i| i.main.get(b.source.as_str()))
                {
                    Some(ids) => ids.clone(),
                    None => b.items.iter().map(|i| i.problem_id).collect(),
                };
                let rows = super::store::candidates(db, &ctx.read, id, org, b.source, CANDIDATES)
                    .await?
                    .into_iter()
                    .map(|m| {
                        let pos = picked.iter().position(|p| *p == m.problem_id);
                        (m, pos)
                    })
                    .collect();
                pickers.push(Picker {
                    source: b.source,
                    rows,
                });
            }
        }
        let overrides = match input {
            Some(i) => i
                .overrides
                .iter()
                .map(|(k, o)| {
                    (
                        k.as_str().to_string(),
                        (
                            o.value.clone().unwrap_or_default(),
                            o.reason.clone().unwrap_or_default(),
                        ),
                    )
                })
                .collect(),
            None => ctx
                .record
                .choices
                .overrides
                .iter()
                .map(|(k, o)| (k.clone(), (o.value.to_string(), o.reason.clone())))
                .collect(),
        };
        let remarks = input
            .and_then(|i| i.remarks.clone())
            .unwrap_or_else(|| ctx.record.choices.remarks.clone());
        let decide_version = ctx.can_decide.then_some(ctx.record.version);
        Ok(UnitPage {
            c: Chrome::for_caller(caller, &format!("/campaigns/{id}/summary/{org}")),
            t: s.table.clone(),
            drill: Some(format!("/campaigns/{id}/summary/{org}/records")),
            campaign: ctx.campaign,
            unit: ctx.unit,
            s,
            reasons,
            line_inputs: false,
            pickers,
            errors: errors.0,
            overrides,
            remarks,
            decide_version,
        })
    }

    /// "报送时的截止日期为…，现已改为…" for a version whose deadline moved since.
    fn version_moved(&self, v: &VersionInfo) -> Option<String> {
        match (v.due_on, v.deadline_moved_to) {
            (Some(then), Some(now)) => {
                Some(
                    self.c
                        .ta2("summary-deadline-moved", "then", then.zh(), "now", now.zh()),
                )
            }
            _ => None,
        }
    }

    fn errors_for(&self, field: &str) -> Vec<&str> {
        errors_for(&self.errors, field)
    }

    fn override_value(&self, key: &str) -> &str {
        self.overrides.get(key).map_or("", |o| o.0.as_str())
    }

    fn override_reason(&self, key: &str) -> &str {
        self.overrides.get(key).map_or("", |o| o.1.as_str())
    }
}

impl TableView for UnitPage {
    fn chrome(&self) -> &Chrome {
        &self.c
    }

    fn reasons(&self) -> Option<&ReturnReasons> {
        self.reasons.as_ref()
    }
}

/// What the shared table partial needs from its page.
trait TableView {
    fn chrome(&self) -> &Chrome;

    /// The tick for outcome `code` of an item.
    fn tick(&self, item: &MainItem, code: &str) -> &'static str {
        match &item.outcome {
            Some(o) if o.code() == code => super::export::TICK,
            _ => "",
        }
    }

    /// The date cell of an item: the deadline when in progress, the planned
    /// date when planned.
    fn item_day(&self, item: &MainItem) -> String {
        use crate::problem::lifecycle::Outcome;
        match &item.outcome {
            Some(Outcome::InProgress { deadline, .. }) => deadline.zh(),
            Some(Outcome::Planned { on, .. }) => on.zh(),
            _ => String::new(),
        }
    }

    /// The reasons of the latest return, shown beside the lines.
    fn reasons(&self) -> Option<&ReturnReasons>;

    /// The reason given for `line`, if any.
    fn line_reason(&self, line: &str) -> Option<String> {
        self.reasons()
            .and_then(|r| r.for_line(line))
            .map(str::to_string)
    }

    /// The line key of a main problem.
    fn main_line(&self, id: &ProblemId) -> String {
        format!("main:{id}")
    }

    /// The line key of an escalated problem.
    fn upper_line(&self, id: &ProblemId) -> String {
        format!("upper:{id}")
    }

    fn source_title(&self, source: &Source) -> String {
        self.chrome()
            .t(&format!("summary-block-{}", source.as_str()))
    }

    fn outcome_label(&self, code: &str) -> String {
        self.chrome().t(&format!("summary-outcome-{code}"))
    }
}

/// `GET /campaigns/{id}/summary/{org}`: the unit's table, and its form.
pub(super) async fn unit(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, org)): Path<(CampaignId, OrgId)>,
) -> AppResult<Response> {
    render(UnitPage::build(&state, &caller, id, org, None, FieldMessages::default()).await?)
}

/// Reads the page's form: picked problems as repeated `main_<source>` with
/// `order_<id>`, overrides as `override_<key>` / `reason_<key>`; whether to
/// submit too, and the version the page showed.
fn form_input(raw: &[(String, String)]) -> (ChoicesInput, bool, i64) {
    let mut input = ChoicesInput::default();
    let mut picked: BTreeMap<String, Vec<(ProblemId, usize)>> = BTreeMap::new();
    let mut orders: HashMap<String, i64> = HashMap::new();
    let (mut submit, mut seen) = (false, 0);
    let figure = |key: &str| FigureKey::from_code(key);
    for (k, v) in raw {
        if let Some(source) = k.strip_prefix("main_") {
            if let Ok(id) = v.trim().parse::<i64>() {
                let list = picked.entry(source.to_string()).or_default();
                let n = list.len();
                list.push((ProblemId(id), n));
            }
        } else if let Some(source) = k.strip_prefix("pick_") {
            // Present for every source the page offered: none ticked is a choice too.
            picked.entry(source.to_string()).or_default();
        } else if let Some(id) = k.strip_prefix("order_") {
            if let Ok(n) = v.trim().parse::<i64>() {
                orders.insert(id.to_string(), n);
            }
        } else if let Some(key) = k.strip_prefix("override_").and_then(figure) {
            let o: &mut OverrideInput = input.overrides.entry(key).or_default();
            o.value = Some(v.clone());
        } else if let Some(key) = k.strip_prefix("reason_").and_then(figure) {
            input.overrides.entry(key).or_default().reason = Some(v.clone());
        } else if k == "remarks" {
            input.remarks = Some(v.clone());
        } else if k == "submit" {
            submit = v == "1";
        } else if k == "version" {
            seen = v.trim().parse().unwrap_or(0);
        }
    }
    for (source, mut list) in picked {
        list.sort_by_key(|(id, n)| {
            (
                orders.get(&id.0.to_string()).copied().unwrap_or(i64::MAX),
                *n,
            )
        });
        input
            .main
            .insert(source, list.into_iter().map(|(id, _)| id).collect());
    }
    (input, submit, seen)
}

/// `POST /campaigns/{id}/summary/{org}`: saves the choices (and submits when
/// asked) through the same use cases as the API, then shows the table, or
/// the form again with its errors.
pub(super) async fn save(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, org)): Path<(CampaignId, OrgId)>,
    Form(raw): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let (input, submit_too, seen) = form_input(&raw);
    let db = &state.db;
    let result = async {
        let ctx = ops::unit_ctx(db, &caller, id, org).await?;
        if ctx.can_edit || !submit_too {
            ops::save(db, &caller, &ctx, &input).await?;
        }
        if submit_too {
            let ctx = ops::unit_ctx(db, &caller, id, org).await?;
            ops::submit(db, &caller, &ctx, seen).await?;
        }
        Ok::<_, AppError>(())
    }
    .await;
    submitted(
        &caller,
        result,
        |()| format!("/campaigns/{id}/summary/{org}"),
        |errors| UnitPage::build(&state, &caller, id, org, Some(&input), errors),
    )
    .await
}

#[derive(Template)]
#[template(path = "summary/version.html")]
struct VersionPage {
    c: Chrome,
    campaign: Campaign,
    unit: Unit,
    v: Version,
    t: SummaryTable,
    drill: Option<String>,
    reasons: Option<ReturnReasons>,
    /// Whether the page is the decider's return form (reason inputs per line).
    line_inputs: bool,
    /// Whether this version waits for the caller's decision.
    can_decide: bool,
    current: bool,
    errors: Vec<(String, String)>,
}

impl TableView for VersionPage {
    fn chrome(&self) -> &Chrome {
        &self.c
    }

    fn reasons(&self) -> Option<&ReturnReasons> {
        self.reasons.as_ref()
    }
}

impl VersionPage {
    /// The deadline the stored verdict was given against.
    fn judged_against(&self) -> Day {
        self.v.due_on.unwrap_or(self.campaign.report_due_on)
    }

    /// "报送时的截止日期为…，现已改为…" when the deadline moved after submission.
    fn moved_note(&self) -> Option<String> {
        moved(self.v.due_on, self.campaign.report_due_on).map(|now| {
            self.c.ta2(
                "summary-deadline-moved",
                "then",
                self.judged_against().zh(),
                "now",
                now.zh(),
            )
        })
    }

    fn errors_for(&self, field: &str) -> Vec<&str> {
        errors_for(&self.errors, field)
    }

    async fn build(
        state: &AppState,
        caller: &Caller,
        (id, org): (CampaignId, OrgId),
        n: i64,
        errors: FieldMessages,
    ) -> AppResult<VersionPage> {
        let ctx = ops::unit_ctx(&state.db, caller, id, org).await?;
        let v = ops::version(&state.db, &ctx, n).await?;
        let current = n == ctx.record.version;
        let can_decide = current && ctx.can_decide;
        Ok(VersionPage {
            c: Chrome::for_caller(
                caller,
                &format!("/campaigns/{id}/summary/{org}/versions/{n}"),
            ),
            t: v.table.clone(),
            reasons: v.reasons.clone(),
            v,
            campaign: ctx.campaign,
            unit: ctx.unit,
            drill: None,
            line_inputs: can_decide,
            can_decide,
            current,
            errors: errors.0,
        })
    }
}

/// `GET /campaigns/{id}/summary/{org}/versions/{n}`: a frozen version.
pub(super) async fn version(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, org, n)): Path<(CampaignId, OrgId, i64)>,
) -> AppResult<Response> {
    render(VersionPage::build(&state, &caller, (id, org), n, FieldMessages::default()).await?)
}

/// The decision forms: `version`, and for a return `reason` plus `line_<key>`.
fn return_input(raw: &[(String, String)]) -> (i64, ReturnReasons) {
    let mut version = 0;
    let mut r = ReturnReasons::default();
    for (k, v) in raw {
        if k == "version" {
            version = v.trim().parse().unwrap_or(0);
        } else if k == "reason" {
            r.reason = v.clone();
        } else if let Some(line) = k.strip_prefix("line_") {
            r.lines.push(LineReason {
                line: line.to_string(),
                reason: v.clone(),
            });
        }
    }
    (version, r.cleaned())
}

async fn decide(
    state: AppState,
    caller: Caller,
    (id, org): (CampaignId, OrgId),
    version: i64,
    action: Move,
) -> AppResult<Response> {
    let result = async {
        let ctx = ops::unit_ctx(&state.db, &caller, id, org).await?;
        ops::decide(&state.db, &caller, &ctx, version, action).await
    }
    .await;
    submitted(
        &caller,
        result,
        |()| format!("/campaigns/{id}/summary/{org}/versions/{version}"),
        |errors| VersionPage::build(&state, &caller, (id, org), version, errors),
    )
    .await
}

/// `POST /campaigns/{id}/summary/{org}/accept`.
pub(super) async fn accept(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, org)): Path<(CampaignId, OrgId)>,
    Form(raw): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let (version, _) = return_input(&raw);
    decide(state, caller, (id, org), version, Move::Accept).await
}

/// `POST /campaigns/{id}/summary/{org}/return`.
pub(super) async fn return_(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, org)): Path<(CampaignId, OrgId)>,
    Form(raw): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let (version, reasons) = return_input(&raw);
    decide(state, caller, (id, org), version, Move::Return(reasons)).await
}

#[derive(Template)]
#[template(path = "summary/records.html")]
struct RecordsPage {
    c: Chrome,
    campaign: Campaign,
    /// The line's name.
    name: String,
    back: String,
    label: String,
    r: Records,
}

fn drill_label(c: &Chrome, drill: &str) -> String {
    match Drill::parse(drill) {
        Some(Drill::Figure(k)) => c.t(k.label_key()),
        Some(Drill::Outcome(s, i)) => format!(
            "{} · {}",
            c.t(&format!("summary-block-{}", s.as_str())),
            c.t(&format!(
                "summary-outcome-{}",
                OUTCOMES.get(i).copied().unwrap_or("open")
            ))
        ),
        None => drill.to_string(),
    }
}

/// `GET /campaigns/{id}/summary/{org}/records`: the records behind a figure.
pub(super) async fn records(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, org)): Path<(CampaignId, OrgId)>,
    Query(q): Query<DrillParams>,
) -> AppResult<Response> {
    let ctx = ops::unit_ctx(&state.db, &caller, id, org).await?;
    let r = ops::unit_records(&state.db, &ctx, q.drill.as_deref()).await?;
    let c = Chrome::for_caller(&caller, &format!("/campaigns/{id}/summary/{org}/records"));
    render(RecordsPage {
        label: drill_label(&c, &r.drill),
        c,
        name: ctx.unit.name.clone(),
        back: format!("/campaigns/{id}/summary/{org}"),
        campaign: ctx.campaign,
        r,
    })
}

/// `GET /campaigns/{id}/summaries/records`: the records behind a roll-up figure.
pub(super) async fn rollup_records(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<CampaignId>,
    Query(q): Query<DrillParams>,
) -> AppResult<Response> {
    let (campaign, name, r) =
        ops::rollup_records(&state.db, &caller, id, q.line, q.drill.as_deref()).await?;
    let c = Chrome::for_caller(&caller, &format!("/campaigns/{id}/summaries/records"));
    let name =
        name.unwrap_or_else(|| format!("{} · {}", campaign.org_name, c.t("summary-own-level")));
    render(RecordsPage {
        label: drill_label(&c, &r.drill),
        c,
        name,
        back: format!("/campaigns/{id}/summaries"),
        campaign,
        r,
    })
}

#[derive(Template)]
#[template(path = "summary/overview.html")]
struct OverviewPage {
    c: Chrome,
    o: Overview,
}

impl OverviewPage {
    fn rate(&self, r: &Option<i64>) -> String {
        r.map_or_else(|| "—".to_string(), |r| format!("{r}%"))
    }

    /// Figure `k` of a line.
    fn count<'a>(&self, f: &'a LineFigures, k: &FigureKey) -> &'a i64 {
        &f.counts[*k]
    }

    /// Problems of every source with outcome `i` (in the order of `OUTCOMES`).
    fn outcome_sum(&self, f: &LineFigures, i: &usize) -> i64 {
        f.outcomes.all()[*i]
    }

    /// The query that keeps the page's basis on its downloads.
    fn basis_query(&self) -> String {
        format!("?basis={}", self.o.basis.as_str())
    }

    fn live(&self) -> bool {
        self.o.basis == super::Basis::Live
    }

    /// "报送时的截止日期为…，现已改为…" when the deadline moved after the verdict.
    fn moved_note(&self, u: &UnitRow) -> Option<String> {
        match (u.judged_against, u.deadline_moved_to) {
            (Some(then), Some(now)) => {
                Some(
                    self.c
                        .ta2("summary-deadline-moved", "then", then.zh(), "now", now.zh()),
                )
            }
            _ => None,
        }
    }
}

/// `GET /campaigns/{id}/summaries`: the federation's overview.
pub(super) async fn overview(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<CampaignId>,
    Query(q): Query<RollupParams>,
) -> AppResult<Response> {
    let o = ops::overview(&state.db, &caller, id, q.basis()?).await?;
    render(OverviewPage {
        c: Chrome::for_caller(&caller, &format!("/campaigns/{id}/summaries")),
        o,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_orders_picked_problems_and_keeps_empty_picks() {
        let raw: Vec<(String, String)> = [
            ("pick_worker", "1"),
            ("main_worker", "7"),
            ("main_worker", "9"),
            ("order_9", "1"),
            ("order_7", "2"),
            ("pick_union", "1"),
            ("override_enterprises", "12"),
            ("reason_enterprises", "含线上走访"),
            ("remarks", "无"),
            ("version", "2"),
            ("submit", "1"),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        let (input, submit, seen) = form_input(&raw);
        assert!(submit);
        assert_eq!(seen, 2);
        assert_eq!(input.main["worker"], vec![ProblemId(9), ProblemId(7)]);
        assert_eq!(input.main["union"], Vec::<ProblemId>::new());
        assert!(!input.main.contains_key("enterprise"));
        assert_eq!(
            input.overrides[&FigureKey::Enterprises].value.as_deref(),
            Some("12")
        );
        assert_eq!(input.remarks.as_deref(), Some("无"));
    }

    #[test]
    fn return_forms_drop_blank_line_reasons() {
        let raw: Vec<(String, String)> = [
            ("version", "3"),
            ("reason", " "),
            ("line_enterprises", "数字与走访记录不符"),
            ("line_remarks", ""),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        let (v, r) = return_input(&raw);
        assert_eq!(v, 3);
        assert_eq!(r.lines.len(), 1);
        assert_eq!(r.for_line("enterprises"), Some("数字与走访记录不符"));
        assert!(!r.is_empty());
    }

    #[test]
    fn a_field_shows_the_messages_of_its_parts() {
        let errors = vec![
            ("main.worker[1]".to_string(), "a".to_string()),
            ("main.workers".to_string(), "b".to_string()),
            ("overrides.solved.reason".to_string(), "c".to_string()),
        ];
        assert_eq!(errors_for(&errors, "main.worker"), ["a"]);
        assert_eq!(errors_for(&errors, "overrides.solved.reason"), ["c"]);
        assert!(errors_for(&errors, "overrides.solved.value").is_empty());
    }
}
