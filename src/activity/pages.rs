//! Activity pages: the list, the one-minute record form, the detail. The
//! form records through the same use case as the API.

use askama::Template;
use axum::{extract::State, response::Response};
use serde::Deserialize;

use super::{
    Activity, ActivityInput, ActivityKind, Composition, EnterpriseRef, ListParams, ops,
    store::{self, CampaignChoice},
};
use crate::{
    auth::{Caller, Need, random_token},
    campaign::CampaignKind,
    date::Day,
    db::{ActivityId, CampaignId},
    enterprise::WorkerGroup,
    error::AppResult,
    problem::{self, Problem, ProblemInput, Source, Topic},
    web::{
        AppState, Form, Path, Query,
        form::{FieldMessages, submitted},
        list::{Pager, Paging},
        page::{Chrome, render},
    },
};

#[derive(Template)]
#[template(path = "activity/list.html")]
struct ListPage {
    c: Chrome,
    items: Vec<Activity>,
    total: i64,
    p: ListParams,
    kinds: Vec<ActivityKind>,
    campaigns: Vec<CampaignChoice>,
    query: String,
    pager: Pager,
}

impl ListPage {
    fn sel(&self, v: &Option<String>, want: &str) -> bool {
        v.as_deref().map(str::trim) == Some(want)
    }
}

pub(super) async fn list_page(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<ListParams>,
) -> AppResult<Response> {
    let d = ops::list(&state.db, &caller, &p).await?;
    let query = p.query();
    let pager = Paging {
        page: d.page,
        size: d.page_size,
    }
    .pager(d.total, "/activities", &query);
    render(ListPage {
        c: Chrome::for_caller(&caller, &format!("/activities?{query}")),
        items: d.items,
        total: d.total,
        pager,
        kinds: ActivityKind::ALL.to_vec(),
        campaigns: store::campaign_choices(&state.db, &caller.scope(Need::Read)).await?,
        p,
        query,
    })
}

/// How many problem blocks the form offers before the script adds more.
const PROBLEM_BLOCKS: usize = 3;

#[derive(Template)]
#[template(path = "activity/form.html")]
struct FormPage {
    c: Chrome,
    input: ActivityInput,
    errors: FieldMessages,
    kinds: Vec<ActivityKind>,
    campaigns: Vec<CampaignChoice>,
    work_groups: Vec<crate::stationing::store::GroupChoice>,
    enterprises: Vec<EnterpriseRef>,
    sources: Vec<Source>,
    topics: Vec<Topic>,
    groups: Vec<WorkerGroup>,
    composition: Vec<&'static str>,
    today: String,
}

impl FormPage {
    fn value<'a>(&self, v: &'a Option<String>) -> &'a str {
        v.as_deref().unwrap_or("")
    }

    fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field)
    }

    fn field(&self, name: &str) -> &str {
        let i = &self.input;
        let v = match name {
            "frontline_workers" => &i.frontline_workers,
            "women_workers" => &i.women_workers,
            "migrant_workers" => &i.migrant_workers,
            "new_form_workers" => &i.new_form_workers,
            "enterprise_side" => &i.enterprise_side,
            _ => &i.union_cadres,
        };
        v.as_deref().unwrap_or("")
    }

    fn problem(&self, n: &usize) -> ProblemInput {
        self.input.problems.get(*n).cloned().unwrap_or_default()
    }

    fn perr(&self, n: &usize, field: &str) -> Option<&str> {
        self.error(&format!("problems[{n}].{field}"))
    }

    fn blocks(&self) -> Vec<usize> {
        (0..self.input.problems.len().max(PROBLEM_BLOCKS)).collect()
    }

    fn is_kind(&self, k: &ActivityKind) -> bool {
        self.input.kind.as_deref() == Some(k.as_str())
    }

    fn is_campaign(&self, id: &CampaignId) -> bool {
        self.input.campaign_id.as_deref() == Some(id.to_string().as_str())
    }

    fn is_group(&self, id: &crate::db::WorkGroupId) -> bool {
        self.input.work_group_id.as_deref() == Some(id.to_string().as_str())
    }

    /// The union-flag rows of the form (`templates/formation/_activity_flags.html`).
    fn union_flags(&self) -> Vec<(usize, crate::formation::UnionFlagInput)> {
        (0..self.input.union_flags.len().max(2))
            .map(|i| {
                (
                    i + 1,
                    self.input.union_flags.get(i).cloned().unwrap_or_default(),
                )
            })
            .collect()
    }
}

#[derive(Deserialize, Default)]
pub(super) struct NewParams {
    kind: Option<String>,
    campaign: Option<String>,
    enterprise: Option<String>,
    /// A stationing work group to record for (with its programme as `campaign`).
    group: Option<String>,
}

/// The campaigns the form offers and the work groups the caller records for:
/// a stationing programme is offered only to those who record for one of its
/// groups (its activities are the groups').
async fn recordable(
    state: &AppState,
    caller: &Caller,
) -> AppResult<(
    Vec<CampaignChoice>,
    Vec<crate::stationing::store::GroupChoice>,
)> {
    let mut campaigns = store::campaign_choices(&state.db, &caller.scope(Need::Read)).await?;
    let groups = crate::stationing::store::choices(&state.db, &caller.scope(Need::Write)).await?;
    campaigns.retain(|c| {
        c.kind != CampaignKind::Stationing || groups.iter().any(|g| g.campaign_id == c.id)
    });
    Ok((campaigns, groups))
}

async fn form_page(
    state: &AppState,
    caller: &Caller,
    input: ActivityInput,
    errors: FieldMessages,
) -> AppResult<FormPage> {
    let (campaigns, work_groups) = recordable(state, caller).await?;
    Ok(FormPage {
        c: Chrome::for_caller(caller, "/activities/new"),
        input,
        errors,
        kinds: ActivityKind::ALL.to_vec(),
        campaigns,
        work_groups,
        enterprises: store::enterprise_choices(&state.db, &caller.scope(Need::Write), 2000).await?,
        sources: Source::ALL.to_vec(),
        topics: problem::store::topics(&state.db).await?,
        groups: WorkerGroup::ALL.to_vec(),
        composition: Composition::FIELDS.to_vec(),
        today: Day::today().iso(),
    })
}

pub(super) async fn new_page(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<NewParams>,
) -> AppResult<Response> {
    caller.require(Need::Write)?;
    let (campaigns, _) = recordable(&state, &caller).await?;
    let input = ActivityInput {
        // A fresh id per form: every retry of this form's submission carries it.
        client_id: Some(random_token(12)),
        kind: Some(q.kind.unwrap_or_else(|| "enterprise_visit".into())),
        campaign_id: q
            .campaign
            .or_else(|| campaigns.first().map(|c| c.id.to_string())),
        enterprises: q.enterprise,
        work_group_id: q.group,
        held_on: Some(Day::today().iso()),
        cadres: Some(caller.display_name.clone()),
        ..Default::default()
    };
    render(form_page(&state, &caller, input, FieldMessages::default()).await?)
}

/// Reads the submitted form: activity fields by name, problem blocks as
/// `p1.source`, `p1.description`, …, enterprises as repeated `enterprises`.
fn form_input(raw: Vec<(String, String)>) -> ActivityInput {
    let mut a = ActivityInput::default();
    let mut enterprises: Vec<String> = Vec::new();
    for (k, v) in raw {
        if let Some(rest) = k.strip_prefix('p')
            && let Some((n, field)) = rest.split_once('.')
            && let Ok(n) = n.parse::<usize>()
            && (1..=20).contains(&n)
        {
            if a.problems.len() < n {
                a.problems.resize(n, ProblemInput::default());
            }
            let p = &mut a.problems[n - 1];
            let slot = match field {
                "source" => &mut p.source,
                "topic" => &mut p.topic,
                "worker_group" => &mut p.worker_group,
                "description" => &mut p.description,
                "raiser_name" => &mut p.raiser_name,
                "raiser_contact" => &mut p.raiser_contact,
                "is_main" => &mut p.is_main,
                _ => continue,
            };
            *slot = Some(v);
            continue;
        }
        if let Some(rest) = k.strip_prefix("uf")
            && let Some((n, field)) = rest.split_once('.')
            && let Ok(n) = n.parse::<usize>()
            && (1..=10).contains(&n)
        {
            if a.union_flags.len() < n {
                a.union_flags
                    .resize(n, crate::formation::UnionFlagInput::default());
            }
            let f = &mut a.union_flags[n - 1];
            match field {
                "enterprise" => f.enterprise = Some(v),
                "wish" => f.wish = Some(v),
                _ => {}
            }
            continue;
        }
        let slot = match k.as_str() {
            "client_id" => &mut a.client_id,
            "campaign_id" => &mut a.campaign_id,
            "work_group_id" => &mut a.work_group_id,
            "org_code" => &mut a.org_code,
            "kind" => &mut a.kind,
            "held_on" => &mut a.held_on,
            "place" => &mut a.place,
            "enterprises" => {
                if !v.trim().is_empty() {
                    enterprises.push(v);
                }
                continue;
            }
            "new_enterprise_name" => &mut a.new_enterprise_name,
            "new_enterprise_credit_code" => &mut a.new_enterprise_credit_code,
            "cadres" => &mut a.cadres,
            "others" => &mut a.others,
            "workers_interviewed" => &mut a.workers_interviewed,
            "participants" => &mut a.participants,
            "frontline_workers" => &mut a.frontline_workers,
            "women_workers" => &mut a.women_workers,
            "migrant_workers" => &mut a.migrant_workers,
            "new_form_workers" => &mut a.new_form_workers,
            "enterprise_side" => &mut a.enterprise_side,
            "union_cadres" => &mut a.union_cadres,
            "notes" => &mut a.notes,
            _ => continue,
        };
        *slot = Some(v);
    }
    if !enterprises.is_empty() {
        a.enterprises = Some(enterprises.join(","));
    }
    a
}

pub(super) async fn create_page(
    State(state): State<AppState>,
    caller: Caller,
    Form(raw): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let input = form_input(raw);
    let result = match input.parse(Day::today()) {
        Ok(f) => ops::record(&state.db, &caller, &f).await,
        Err(e) => Err(e),
    };
    let client_id = input.client_id.clone().unwrap_or_default();
    submitted(
        &caller,
        result,
        |r| format!("/activities/{}?saved={client_id}", r.id),
        |errors| form_page(&state, &caller, input, errors),
    )
    .await
}

#[derive(Template)]
#[template(path = "activity/detail.html")]
struct DetailPage {
    c: Chrome,
    a: Activity,
    problems: Vec<Problem>,
    saved: Option<String>,
    panel: crate::attachment::pages::Panel,
    /// The service records of a service activity (办实事).
    services: Vec<crate::service::Service>,
}

#[derive(Deserialize, Default)]
pub(super) struct DetailParams {
    saved: Option<String>,
}

pub(super) async fn detail_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<ActivityId>,
    Query(q): Query<DetailParams>,
) -> AppResult<Response> {
    let (a, problems) = ops::load(&state.db, &caller, id).await?;
    let owner = crate::attachment::Owner::of(crate::attachment::OwnerKind::Activity, id.0);
    let panel = crate::attachment::pages::panel(&state, &caller, Some(owner)).await?;
    let services =
        crate::service::store::of_activity(&state.db, &caller.scope(Need::Read), id).await?;
    render(DetailPage {
        panel,
        services,
        c: Chrome::for_caller(&caller, &format!("/activities/{id}")),
        // Only this activity's own client id clears the phone's draft.
        saved: q.saved.filter(|s| *s == a.client_id),
        a,
        problems,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_reads_problem_blocks_and_repeated_enterprises() {
        let raw = vec![
            ("client_id".into(), "abcdefgh12".into()),
            ("kind".into(), "enterprise_visit".into()),
            ("enterprises".into(), "3".into()),
            ("enterprises".into(), "".into()),
            ("enterprises".into(), "7".into()),
            ("p2.description".into(), "停车难".into()),
            ("p2.source".into(), "worker".into()),
            ("p1.description".into(), "".into()),
            ("p99.description".into(), "ignored".into()),
        ];
        let a = form_input(raw);
        assert_eq!(a.enterprises.as_deref(), Some("3,7"));
        assert_eq!(a.problems.len(), 2);
        assert!(a.problems[0].is_blank());
        assert_eq!(a.problems[1].description.as_deref(), Some("停车难"));
    }
}
