//! Mediation pages: the list with its figures, the new case form (blank or
//! from a problem), and the case page with its timeline and steps. Writes go
//! through `ops`, like the API's.

use askama::Template;
use axum::{
    extract::State,
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;

use super::{
    Case, CaseDetail, CaseInput, DisputeType, Event, Intake, ListParams, TransitionInput,
    lifecycle::{CaseAction, CaseStatus, State as CaseState},
    ops,
    store::{self, Figures},
};
use crate::{
    activity::store::CampaignChoice,
    auth::{Caller, Need},
    date::Day,
    db::{MediationCaseId, OrgId, ProblemId},
    error::{AppError, AppResult},
    web::{
        AppState, Form, Path, Query,
        form::{self, FieldMessages, submitted},
        list::Pager,
        page::{Chrome, render},
    },
};

#[derive(Template)]
#[template(path = "mediation/list.html")]
struct ListPage {
    c: Chrome,
    items: Vec<Case>,
    total: i64,
    pager: Pager,
    p: ListParams,
    statuses: Vec<CaseStatus>,
    types: Vec<DisputeType>,
    campaigns: Vec<CampaignChoice>,
    figures: Figures,
    query: String,
}

impl ListPage {
    fn sel(&self, v: &Option<String>, want: &str) -> bool {
        v.as_deref().map(str::trim) == Some(want)
    }

    fn rate(&self) -> String {
        match self.figures.success_rate {
            Some(r) => format!("{:.0}%", r * 100.0),
            None => "—".into(),
        }
    }

    fn yuan(&self, fen: &i64) -> String {
        crate::money::Fen(*fen).yuan()
    }
}

/// `GET /mediation`: the list, with the figures of the campaign and org it shows.
pub(super) async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<ListParams>,
) -> AppResult<Response> {
    let (filter, paging) = p.parse()?;
    let (items, total) = ops::list(&state.db, &caller, &filter, paging).await?;
    let read = caller.scope(Need::Read);
    let query = p.query();
    render(ListPage {
        c: Chrome::for_caller(&caller, &format!("/mediation?{query}")),
        pager: paging.pager(total, "/mediation", &query),
        items,
        total,
        statuses: CaseStatus::ALL.to_vec(),
        types: DisputeType::ALL.to_vec(),
        campaigns: crate::activity::store::campaign_choices(&state.db, &read).await?,
        figures: store::figures(&state.db, &read, filter.campaign, filter.org).await?,
        p,
        query,
    })
}

#[derive(Template)]
#[template(path = "mediation/new.html")]
struct NewPage {
    c: Chrome,
    input: CaseInput,
    errors: FieldMessages,
    types: Vec<DisputeType>,
    campaigns: Vec<CampaignChoice>,
    committees: Vec<(OrgId, String)>,
    /// The problem the form was opened from.
    problem: Option<(ProblemId, String)>,
    today: String,
}

impl NewPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field)
    }

    fn value<'a>(&self, v: &'a Option<String>) -> &'a str {
        v.as_deref().unwrap_or("")
    }

    fn sel(&self, v: &Option<String>, want: &str) -> bool {
        v.as_deref().map(str::trim) == Some(want)
    }

    fn oral(&self) -> bool {
        self.sel(&self.input.intake, "oral")
    }
}

#[derive(Deserialize, Default)]
pub(super) struct NewQuery {
    problem: Option<String>,
}

/// The new case form with `input` (filled from its problem when `errors` is
/// empty: a fresh form) and the messages of its refused fields.
async fn new_view(
    state: &AppState,
    caller: &Caller,
    mut input: CaseInput,
    errors: FieldMessages,
) -> AppResult<NewPage> {
    let write = caller.require(Need::Write)?;
    let read = caller.scope(Need::Read);
    let home = if write.contains(&state.db, caller.home_org).await? {
        caller.home_org
    } else {
        write.roots()[0]
    };
    let today = Day::today();
    let problem = ops::from_problem(&state.db, caller, &mut input, errors.is_empty()).await?;
    if input.client_id.is_none() {
        input.client_id = Some(format!("case-{}", crate::auth::random_token(12)));
    }
    if input.received_on.is_none() {
        input.received_on = Some(today.iso());
    }
    if input.intake.is_none() {
        input.intake = Some("written".into());
    }
    Ok(NewPage {
        c: Chrome::for_caller(caller, "/mediation/new"),
        input,
        errors,
        types: DisputeType::ALL.to_vec(),
        campaigns: crate::activity::store::campaign_choices(&state.db, &read).await?,
        committees: store::committee_choices(&state.db, &write, home).await?,
        problem,
        today: today.iso(),
    })
}

/// `GET /mediation/new`: a blank form, or one filled from a problem (a
/// problem that already became a case leads to that case).
pub(super) async fn new(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<NewQuery>,
) -> AppResult<Response> {
    let input = CaseInput {
        problem_id: q.problem,
        ..Default::default()
    };
    match new_view(&state, &caller, input, FieldMessages::default()).await {
        Err(AppError::Validation(fs)) if fs.iter().any(|f| f.key == "err-med-problem-has-case") => {
            let id = fs[0].arg_value("id").unwrap_or("").to_string();
            Ok(Redirect::to(&format!("/mediation/{id}")).into_response())
        }
        r => render(r?),
    }
}

/// `POST /mediation/new`: records through the same use case as the API, then
/// shows the case, or the form again with its errors.
pub(super) async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Form(input): Form<CaseInput>,
) -> AppResult<Response> {
    let r = ops::record(&state.db, &caller, &input).await;
    submitted(
        &caller,
        r,
        |(id, _)| format!("/mediation/{id}"),
        |errors| new_view(&state, &caller, input, errors),
    )
    .await
}

#[derive(Template)]
#[template(path = "mediation/detail.html")]
struct DetailPage {
    c: Chrome,
    d: CaseDetail,
    input: TransitionInput,
    errors: FieldMessages,
    /// Which step's form the errors belong to.
    failed: String,
    today: String,
    /// When arbitration may be applied for, while the case is open.
    transfer_from: Option<Day>,
}

impl DetailPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field)
    }

    fn offers(&self, action: &str) -> bool {
        self.d.actions.iter().any(|a| a.as_str() == action)
    }

    fn is_failed(&self, step: &str) -> bool {
        self.failed == step
    }

    fn reason_optional(&self, step: &str) -> bool {
        step != "fail"
    }

    fn value<'a>(&self, form: &str, v: &'a Option<String>) -> &'a str {
        if self.failed == form {
            v.as_deref().unwrap_or("")
        } else {
            ""
        }
    }

    fn event_key(&self, e: &Event) -> &'static str {
        e.kind.label_key()
    }

    fn state_label(&self, s: &CaseStatus) -> String {
        self.c.t(s.label_key())
    }

    /// The signatures named in a "signed" event, in the reader's language.
    fn signed_names(&self, detail: &str) -> String {
        detail
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|s| self.c.t(&format!("med-sig-{s}")))
            .collect::<Vec<_>>()
            .join("、")
    }

    fn oral_time(&self, ts: &i64) -> String {
        self.c.dt(ts)
    }
}

async fn detail_view(
    state: &AppState,
    caller: &Caller,
    id: MediationCaseId,
    input: TransitionInput,
    errors: FieldMessages,
) -> AppResult<DetailPage> {
    let d = ops::detail(&state.db, caller, id).await?;
    let today = Day::today();
    let transfer_from = (d.case.state.is_open() && !d.actions.contains(&CaseAction::Transfer))
        .then(|| d.case.due_on.plus_days(1));
    let failed = if errors.is_empty() {
        String::new()
    } else {
        form::opt(&input.action).unwrap_or_default()
    };
    Ok(DetailPage {
        c: Chrome::for_caller(caller, &format!("/mediation/{id}")),
        d,
        input,
        errors,
        failed,
        today: today.iso(),
        transfer_from,
    })
}

/// `GET /mediation/{id}`.
pub(super) async fn detail(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<MediationCaseId>,
) -> AppResult<Response> {
    let blank = TransitionInput::default();
    render(detail_view(&state, &caller, id, blank, FieldMessages::default()).await?)
}

/// `POST /mediation/{id}/transition`: record a step.
pub(super) async fn transition(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<MediationCaseId>,
    Form(input): Form<TransitionInput>,
) -> AppResult<Response> {
    let r = ops::step(&state.db, &caller, id, &input).await;
    submitted(
        &caller,
        r,
        |()| format!("/mediation/{id}"),
        |errors| detail_view(&state, &caller, id, input, errors),
    )
    .await
}
