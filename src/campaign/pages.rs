//! Campaign pages (list, new, detail with live progress, edit, copy, status)
//! and plan pages (view, edit, submit, accept, return, history). Every write
//! goes through `ops`, like the API's; a form POST ends in `submitted`.

use askama::Template;
use axum::{
    extract::State,
    response::{IntoResponse, Redirect, Response},
};

use super::{
    Campaign, CampaignDetail, CampaignInput, CampaignKind, CampaignStatus, LIST_LIMIT, ListParams,
    PlanDetail, StatusInput, Unit, UnitTargetsInput, ops,
    plan::{MilestoneInput, PlanAction, PlanInput, ReturnInput},
    store,
};
use crate::{
    auth::{Caller, Need},
    db::{CampaignId, OrgId},
    error::AppResult,
    org::OrgKind,
    web::{
        AppState, Form, Path, Query,
        form::{FieldMessages, submitted},
        page::{Chrome, render},
    },
};
#[derive(Template)]
#[template(path = "campaign/list.html")]
struct ListPage {
    c: Chrome,
    items: Vec<Campaign>,
    status: String,
    statuses: Vec<CampaignStatus>,
}

pub(super) async fn list_page(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<ListParams>,
) -> AppResult<Response> {
    let status = p.status()?;
    let items = store::list(&state.db, &caller.scope(Need::Read), status, LIST_LIMIT).await?;
    render(ListPage {
        c: Chrome::for_caller(&caller, "/campaigns"),
        items,
        status: status.map(|s| s.as_str().to_string()).unwrap_or_default(),
        statuses: CampaignStatus::ALL.to_vec(),
    })
}

#[derive(Template)]
#[template(path = "campaign/detail.html")]
struct DetailPage {
    c: Chrome,
    d: CampaignDetail,
    copied_from_title: Option<String>,
    panel: crate::attachment::pages::Panel,
    /// Receipt (签收) and the supervision grid's link.
    sv: crate::supervision::CampaignPanel,
}

impl DetailPage {
    fn pct(&self, p: &Option<i64>) -> String {
        p.map(|v| format!("{v}%")).unwrap_or_else(|| "—".into())
    }

    /// A percentage for a `<progress>` bar, capped at 100.
    fn bar(&self, p: &Option<i64>) -> i64 {
        p.unwrap_or(0).min(100)
    }
}

pub(super) async fn detail_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<CampaignId>,
) -> AppResult<Response> {
    let c = ops::visible(&state.db, &caller, id).await?;
    let copied_from_title = match c.copied_from {
        Some(from) => store::get(&state.db, &caller.scope(Need::Read), from)
            .await?
            .map(|f| f.title),
        None => None,
    };
    let sv = crate::supervision::ops::campaign_panel(&state.db, &caller, &c).await?;
    let d = ops::detail(&state.db, &caller, c).await?;
    let owner = crate::attachment::Owner::of(crate::attachment::OwnerKind::Campaign, id.0);
    let panel = crate::attachment::pages::panel(&state, &caller, Some(owner)).await?;
    render(DetailPage {
        panel,
        sv,
        c: Chrome::for_caller(&caller, &format!("/campaigns/{id}")),
        d,
        copied_from_title,
    })
}

#[derive(Template)]
#[template(path = "campaign/form.html")]
struct FormPage {
    c: Chrome,
    id: Option<CampaignId>,
    status: CampaignStatus,
    input: CampaignInput,
    /// Units as they are now (edit only), for the per-unit targets.
    units: Vec<Unit>,
    kinds: Vec<OrgKind>,
    campaign_kinds: Vec<CampaignKind>,
    /// Orgs where the caller may issue campaigns (new only).
    issuers: Vec<(String, String)>,
    errors: FieldMessages,
}

impl FormPage {
    async fn new(
        state: &AppState,
        caller: &Caller,
        id: Option<CampaignId>,
        input: CampaignInput,
        errors: FieldMessages,
    ) -> AppResult<FormPage> {
        let (status, units) = match id {
            Some(i) => {
                let c = ops::manageable(&state.db, caller, i).await?;
                (c.status, store::units(&state.db, i, None).await?)
            }
            None => (CampaignStatus::Draft, Vec::new()),
        };
        let issuers = if id.is_none() {
            store::issuer_choices(&state.db, &caller.scope(Need::Admin)).await?
        } else {
            Vec::new()
        };
        let path = match id {
            Some(i) => format!("/campaigns/{i}/edit"),
            None => "/campaigns/new".into(),
        };
        Ok(FormPage {
            c: Chrome::for_caller(caller, &path),
            id,
            status,
            input,
            units,
            kinds: vec![
                OrgKind::Industry,
                OrgKind::Street,
                OrgKind::Direct,
                OrgKind::Grassroots,
                OrgKind::Department,
            ],
            campaign_kinds: CampaignKind::ALL.to_vec(),
            issuers,
            errors,
        })
    }

    fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field)
    }

    fn errors_for(&self, field: &str) -> Vec<&str> {
        errors_under(&self.errors, field)
    }

    fn value<'a>(&self, v: &'a Option<String>) -> &'a str {
        v.as_deref().unwrap_or("")
    }

    fn has_kind(&self, k: &OrgKind) -> bool {
        super::split_list(self.value(&self.input.kinds)).any(|s| OrgKind::parse(s) == Some(*k))
    }

    fn is_campaign_kind(&self, k: &CampaignKind) -> bool {
        self.value(&self.input.kind)
            .parse::<CampaignKind>()
            .unwrap_or_default()
            == *k
    }

    fn is_issuer(&self, code: &str) -> bool {
        self.input
            .issuer_code
            .as_deref()
            .is_some_and(|c| c.eq_ignore_ascii_case(code))
    }

    /// The override a unit has in the input for one target ("e", "i", "s", "p"), or "".
    fn ov(&self, code: &str, which: &str) -> String {
        let Some(o) = self
            .input
            .overrides
            .iter()
            .flatten()
            .find(|o| o.org_code.eq_ignore_ascii_case(code))
        else {
            return String::new();
        };
        let v = match which {
            "e" => &o.target_enterprises,
            "i" => &o.target_interviews,
            "s" => &o.target_symposiums,
            _ => &o.target_problems,
        };
        v.clone().unwrap_or_default()
    }
}

/// Reads a submitted campaign form: one `kinds` value per ticked box and the
/// per-unit targets as `oe:CODE`, `oi:CODE`, `os:CODE`, `op:CODE`.
fn form_input(raw: Vec<(String, String)>) -> CampaignInput {
    let mut input = CampaignInput::default();
    let mut kinds: Vec<String> = Vec::new();
    let mut overrides: Vec<UnitTargetsInput> = Vec::new();
    for (k, v) in raw {
        if let Some((which, code)) = k.split_once(':') {
            let code = code.trim().to_ascii_uppercase();
            let o = match overrides.iter_mut().position(|o| o.org_code == code) {
                Some(i) => &mut overrides[i],
                None => {
                    overrides.push(UnitTargetsInput {
                        org_code: code,
                        ..Default::default()
                    });
                    overrides.last_mut().expect("just pushed")
                }
            };
            let v = Some(v).filter(|v| !v.trim().is_empty());
            match which {
                "oe" => o.target_enterprises = v,
                "oi" => o.target_interviews = v,
                "os" => o.target_symposiums = v,
                "op" => o.target_problems = v,
                _ => {}
            }
            continue;
        }
        let slot = match k.as_str() {
            "issuer_code" => &mut input.issuer_code,
            "kind" => &mut input.kind,
            "title" => &mut input.title,
            "doc_number" => &mut input.doc_number,
            "theme" => &mut input.theme,
            "notice" => &mut input.notice,
            "starts_on" => &mut input.starts_on,
            "ends_on" => &mut input.ends_on,
            "report_due_on" => &mut input.report_due_on,
            "org_codes" => &mut input.org_codes,
            "target_enterprises" => &mut input.target_enterprises,
            "target_interviews" => &mut input.target_interviews,
            "target_symposiums" => &mut input.target_symposiums,
            "target_problems" => &mut input.target_problems,
            "kinds" => {
                kinds.push(v);
                continue;
            }
            _ => continue,
        };
        *slot = Some(v);
    }
    input.kinds = Some(kinds.join(","));
    overrides.retain(|o| {
        o.target_enterprises.is_some()
            || o.target_interviews.is_some()
            || o.target_symposiums.is_some()
            || o.target_problems.is_some()
    });
    input.overrides = Some(overrides);
    input
}

/// The messages of `field` and of the fields under it (`milestones[2].due_on`
/// is under `milestones`), for a page that shows them together.
fn errors_under<'a>(errors: &'a FieldMessages, field: &str) -> Vec<&'a str> {
    errors
        .0
        .iter()
        .filter(|(f, _)| {
            f == field
                || f.strip_prefix(field)
                    .is_some_and(|rest| rest.starts_with('[') || rest.starts_with('.'))
        })
        .map(|(_, m)| m.as_str())
        .collect()
}

pub(super) async fn new_page(State(state): State<AppState>, caller: Caller) -> AppResult<Response> {
    let admin = caller.require(Need::Admin)?;
    let home = crate::org::store::get(&state.db, &admin, caller.home_org).await?;
    let input = CampaignInput {
        issuer_code: home.map(|o| o.code),
        kinds: Some("industry,street,direct".into()),
        ..Default::default()
    };
    render(FormPage::new(&state, &caller, None, input, FieldMessages::default()).await?)
}

pub(super) async fn create_page(
    State(state): State<AppState>,
    caller: Caller,
    Form(raw): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let input = form_input(raw);
    let created = ops::create(&state.db, &caller, &input).await;
    submitted(
        &caller,
        created,
        |id| format!("/campaigns/{id}"),
        |errors| FormPage::new(&state, &caller, None, input, errors),
    )
    .await
}

pub(super) async fn edit_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<CampaignId>,
) -> AppResult<Response> {
    let c = ops::manageable(&state.db, &caller, id).await?;
    let units = store::units(&state.db, id, None).await?;
    let full = store::full_kinds(&state.db, c.org_id, &units).await?;
    let input = CampaignInput::from_campaign(&c, &units, &full);
    render(FormPage::new(&state, &caller, Some(id), input, FieldMessages::default()).await?)
}

pub(super) async fn update_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<CampaignId>,
    Form(raw): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let input = form_input(raw);
    let updated = ops::update(&state.db, &caller, id, &input).await;
    submitted(
        &caller,
        updated,
        |()| format!("/campaigns/{id}"),
        |errors| FormPage::new(&state, &caller, Some(id), input, errors),
    )
    .await
}

pub(super) async fn copy_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<CampaignId>,
) -> AppResult<Response> {
    let new = ops::copy(&state.db, &caller, id).await?;
    Ok(Redirect::to(&format!("/campaigns/{new}/edit")).into_response())
}

pub(super) async fn status_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<CampaignId>,
    Form(input): Form<StatusInput>,
) -> AppResult<Response> {
    ops::change_status(&state.db, &caller, id, &input).await?;
    Ok(Redirect::to(&format!("/campaigns/{id}")).into_response())
}

#[derive(Template)]
#[template(path = "campaign/plan.html")]
struct PlanPage {
    c: Chrome,
    campaign: Campaign,
    unit: Unit,
    d: PlanDetail,
    input: PlanInput,
    /// Milestone rows offered in the form: the current ones and a few blank ones.
    rows: Vec<MilestoneInput>,
    errors: FieldMessages,
    panel: crate::attachment::pages::Panel,
}

impl PlanPage {
    async fn build(
        state: &AppState,
        caller: &Caller,
        id: CampaignId,
        org: OrgId,
        input: Option<PlanInput>,
        errors: FieldMessages,
    ) -> AppResult<PlanPage> {
        let (campaign, unit, d) = ops::plan_visible(&state.db, caller, id, org).await?;
        let input = input.unwrap_or_else(|| {
            let mut content = d.plan.content.clone();
            if d.plan.id.is_none() {
                // A new plan starts from the targets the campaign set.
                content.target_enterprises = unit.targets.enterprises;
                content.target_interviews = unit.targets.interviews;
                content.target_symposiums = unit.targets.symposiums;
            }
            PlanInput::from_content(&content)
        });
        let mut rows = input.milestones.clone();
        rows.extend(std::iter::repeat_n(MilestoneInput::default(), 3));
        let owner = (d.plan.id)
            .map(|p| crate::attachment::Owner::of(crate::attachment::OwnerKind::Plan, p.0));
        let panel = crate::attachment::pages::panel(state, caller, owner).await?;
        Ok(PlanPage {
            panel,
            c: Chrome::for_caller(caller, &format!("/campaigns/{id}/plans/{org}")),
            campaign,
            unit,
            d,
            input,
            rows,
            errors,
        })
    }

    fn value<'a>(&self, v: &'a Option<String>) -> &'a str {
        v.as_deref().unwrap_or("")
    }

    fn errors_for(&self, field: &str) -> Vec<&str> {
        errors_under(&self.errors, field)
    }
}

/// Reads the plan form: milestones as repeated `m_title` / `m_due` pairs.
fn plan_form_input(raw: &[(String, String)]) -> (PlanInput, bool) {
    let mut input = PlanInput::default();
    let mut titles = Vec::new();
    let mut dues = Vec::new();
    let mut submit = false;
    for (k, v) in raw {
        match k.as_str() {
            "summary" => input.summary = Some(v.clone()),
            "target_enterprises" => input.target_enterprises = Some(v.clone()),
            "target_interviews" => input.target_interviews = Some(v.clone()),
            "target_symposiums" => input.target_symposiums = Some(v.clone()),
            "m_title" => titles.push(v.clone()),
            "m_due" => dues.push(v.clone()),
            "submit" => submit = v == "1",
            _ => {}
        }
    }
    let n = titles.len().max(dues.len());
    input.milestones = (0..n)
        .map(|i| MilestoneInput {
            title: titles.get(i).cloned(),
            due_on: dues.get(i).cloned(),
        })
        .collect();
    (input, submit)
}

pub(super) async fn plan_page(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, org)): Path<(CampaignId, OrgId)>,
) -> AppResult<Response> {
    render(PlanPage::build(&state, &caller, id, org, None, FieldMessages::default()).await?)
}

/// Where a plan action leads: the plan page, or the page again with the
/// refused fields (422).
async fn plan_submitted(
    state: &AppState,
    caller: &Caller,
    (id, org): (CampaignId, OrgId),
    input: Option<PlanInput>,
    result: AppResult<()>,
) -> AppResult<Response> {
    submitted(
        caller,
        result,
        |()| format!("/campaigns/{id}/plans/{org}"),
        |errors| PlanPage::build(state, caller, id, org, input, errors),
    )
    .await
}

pub(super) async fn plan_save_page(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, org)): Path<(CampaignId, OrgId)>,
    Form(raw): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let (input, submit) = plan_form_input(&raw);
    let saved = ops::save_plan(&state.db, &caller, id, org, &input, submit).await;
    plan_submitted(&state, &caller, (id, org), Some(input), saved).await
}

pub(super) async fn plan_accept_page(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, org)): Path<(CampaignId, OrgId)>,
) -> AppResult<Response> {
    let decided = ops::decide(&state.db, &caller, id, org, PlanAction::Accept).await;
    plan_submitted(&state, &caller, (id, org), None, decided).await
}

pub(super) async fn plan_return_page(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, org)): Path<(CampaignId, OrgId)>,
    Form(input): Form<ReturnInput>,
) -> AppResult<Response> {
    let decided = ops::decide(&state.db, &caller, id, org, ops::return_action(&input)).await;
    plan_submitted(&state, &caller, (id, org), None, decided).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_campaign_form_becomes_an_input() {
        let input = form_input(vec![
            ("title".into(), "甲".into()),
            ("kinds".into(), "street".into()),
            ("kinds".into(), "industry".into()),
            ("oe:yp-jd-dhl".into(), "20".into()),
            ("oi:YP-JD-DHL".into(), "".into()),
            ("oe:YP-JD-PLL".into(), " ".into()),
        ]);
        assert_eq!(input.kinds.as_deref(), Some("street,industry"));
        let o = input.overrides.unwrap();
        assert_eq!(o.len(), 1, "rows left blank take the defaults");
        assert_eq!(o[0].org_code, "YP-JD-DHL");
        assert_eq!(o[0].target_enterprises.as_deref(), Some("20"));
        assert_eq!(o[0].target_interviews, None);
    }

    #[test]
    fn a_plan_form_pairs_milestone_rows() {
        let (input, submit) = plan_form_input(&[
            ("summary".into(), "s".into()),
            ("m_title".into(), "动员".into()),
            ("m_due".into(), "2019-10-25".into()),
            ("m_title".into(), "".into()),
            ("m_due".into(), "".into()),
            ("submit".into(), "1".into()),
        ]);
        assert!(submit);
        assert_eq!(input.milestones.len(), 2);
        assert_eq!(input.parse().unwrap().milestones.len(), 1);
    }
}
