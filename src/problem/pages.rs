//! Problem pages: the lists (all, "escalated to us" inbox, "my overdue"), the
//! detail with its timeline, decisions and feedback, bulk changes, the topic
//! list, and the public side (a page per org where a worker raises a problem
//! from a phone without logging in, its QR code and poster, and the receipt
//! page). Writes go through `ops`, like the API's.

use std::net::SocketAddr;

use askama::Template;
use axum::{
    extract::{ConnectInfo, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;

use super::{
    BulkInput, Channel, Event, FeedbackInput, ListParams, Problem, ProblemDetail, ProblemStatus,
    PublicForm, Receipt, Satisfaction, Source, Topic, TopicInput, TopicRow, TransitionInput,
    lifecycle::OutcomeKind,
    ops,
    store::{self, IntakeOrg, ProblemCounts},
};
use crate::{
    activity::store::CampaignChoice,
    auth::{Caller, Need, random_token},
    date::Day,
    db::{OrgId, ProblemId, TopicId},
    enterprise::WorkerGroup,
    error::{AppError, AppResult},
    i18n::Lang,
    web::{
        AppState, Form, Path, Query,
        client::client_ip,
        form::{self, FieldMessages, submitted},
        list::Pager,
        page::{Chrome, render},
    },
};

/// Which list a page shows.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum View {
    All,
    Inbox,
    Overdue,
}

#[derive(Template)]
#[template(path = "problem/list.html")]
struct ListPage {
    c: Chrome,
    view: View,
    base: &'static str,
    items: Vec<Problem>,
    total: i64,
    pager: Pager,
    p: ListParams,
    sources: Vec<Source>,
    topics: Vec<Topic>,
    groups: Vec<WorkerGroup>,
    statuses: Vec<ProblemStatus>,
    campaigns: Vec<CampaignChoice>,
    counts: ProblemCounts,
    query: String,
    /// Why a bulk change was refused.
    errors: FieldMessages,
}

impl ListPage {
    fn sel(&self, v: &Option<String>, want: &str) -> bool {
        v.as_deref().map(str::trim) == Some(want)
    }

    fn export_url(&self, ext: &str) -> String {
        let mut q = self.query.clone();
        match self.view {
            View::Inbox => q.push_str("&escalated_to_me=yes"),
            View::Overdue => q.push_str("&overdue=yes"),
            View::All => {}
        }
        format!(
            "/api/v1/problems/export.{ext}?{}",
            q.trim_start_matches('&')
        )
    }

    fn back(&self) -> String {
        if self.query.is_empty() {
            self.base.to_string()
        } else {
            format!("{}?{}", self.base, self.query)
        }
    }
}

async fn list_view(
    state: &AppState,
    caller: &Caller,
    p: ListParams,
    view: View,
    errors: FieldMessages,
) -> AppResult<ListPage> {
    let (mut filter, paging) = p.parse(caller)?;
    let base = match view {
        View::All => "/problems",
        View::Inbox => {
            filter.escalated_to = Some(caller.scope(Need::Read).roots().to_vec());
            if filter.status.is_none() {
                filter.status = Some(ProblemStatus::Open);
            }
            "/problems/inbox"
        }
        View::Overdue => {
            filter.overdue = true;
            filter.owned_in_scope = true;
            "/problems/overdue"
        }
    };
    let (items, total) = ops::list(&state.db, caller, &filter, paging).await?;
    let read = caller.scope(Need::Read);
    let query = p.query();
    Ok(ListPage {
        c: Chrome::for_caller(caller, &format!("{base}?{query}")),
        view,
        base,
        pager: paging.pager(total, base, &query),
        items,
        total,
        sources: Source::ALL.to_vec(),
        topics: store::topics(&state.db).await?,
        groups: WorkerGroup::ALL.to_vec(),
        statuses: ProblemStatus::ALL.to_vec(),
        campaigns: crate::activity::store::campaign_choices(&state.db, &read).await?,
        counts: store::counts(&state.db, &read).await?,
        p,
        query,
        errors,
    })
}

/// `GET /problems`.
pub(super) async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<ListParams>,
) -> AppResult<Response> {
    render(list_view(&state, &caller, p, View::All, FieldMessages::default()).await?)
}

/// `GET /problems/inbox`: escalated to an org where the caller holds a role.
pub(super) async fn inbox(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<ListParams>,
) -> AppResult<Response> {
    render(list_view(&state, &caller, p, View::Inbox, FieldMessages::default()).await?)
}

/// `GET /problems/overdue`: the caller's orgs' problems past their dates.
pub(super) async fn overdue(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<ListParams>,
) -> AppResult<Response> {
    render(list_view(&state, &caller, p, View::Overdue, FieldMessages::default()).await?)
}

/// `POST /problems/bulk`: a change to the ticked problems, then back to the
/// list they were ticked in, saying how many changed.
pub(super) async fn bulk(
    State(state): State<AppState>,
    caller: Caller,
    Form(raw): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let mut input = BulkInput::default();
    let mut back = "/problems".to_string();
    for (k, v) in raw {
        match k.as_str() {
            "ids" => {
                if let Ok(id) = v.trim().parse() {
                    input.ids.push(id);
                }
            }
            "action" => input.action = Some(v),
            "topic" => input.topic = Some(v),
            "assignee" => input.assignee = Some(v),
            // Only a path of this site's problem lists: never an open
            // redirect, never a header a newline breaks.
            "back"
                if v.starts_with("/problems")
                    && crate::web::local_path::same_origin_path(&v).is_some() =>
            {
                back = v
            }
            _ => {}
        }
    }
    let r = ops::bulk(&state.db, &caller, &input).await;
    let sep = if back.contains('?') { '&' } else { '?' };
    let to =
        |r: super::BulkResult| format!("{back}{sep}updated={}&skipped={}", r.updated, r.skipped);
    submitted(&caller, r, to, |errors| {
        list_view(&state, &caller, ListParams::default(), View::All, errors)
    })
    .await
}

#[derive(Template)]
#[template(path = "problem/detail.html")]
struct DetailPage {
    c: Chrome,
    d: ProblemDetail,
    targets: Vec<(OrgId, String)>,
    may_return: bool,
    channels: Vec<Channel>,
    satisfactions: Vec<Satisfaction>,
    outcomes: Vec<OutcomeKind>,
    input: TransitionInput,
    feedback_input: FeedbackInput,
    errors: FieldMessages,
    /// Which form the errors belong to.
    failed: &'static str,
    today: String,
    panel: crate::attachment::pages::Panel,
}

impl DetailPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field)
    }

    fn value<'a>(&self, v: &'a Option<String>) -> &'a str {
        v.as_deref().unwrap_or("")
    }

    fn is_outcome(&self, o: &OutcomeKind) -> bool {
        match self.input.outcome.as_deref() {
            Some(v) => v == o.as_str(),
            None => self.d.problem.state.outcome().map(|x| x.kind()) == Some(*o),
        }
    }

    fn event_key(&self, e: &Event) -> &'static str {
        e.kind.label_key()
    }

    fn status_label(&self, s: &ProblemStatus) -> String {
        self.c.t(s.label_key())
    }

    fn outcome_day(&self) -> String {
        self.d
            .problem
            .state
            .outcome()
            .and_then(|o| o.day())
            .map(Day::iso)
            .unwrap_or_default()
    }

    fn outcome_note(&self) -> String {
        self.d
            .problem
            .state
            .outcome()
            .and_then(|o| o.note())
            .unwrap_or_default()
            .to_string()
    }
}

/// The detail page, with the forms filled as given and the messages of the
/// one that failed.
async fn detail_view(
    state: &AppState,
    caller: &Caller,
    id: ProblemId,
    (input, feedback_input): (TransitionInput, FeedbackInput),
    errors: FieldMessages,
    failed: &'static str,
) -> AppResult<DetailPage> {
    let d = ops::detail(&state.db, caller, id).await?;
    let targets = if d.can_act {
        store::escalation_targets(&state.db, d.problem.owner_org_id).await?
    } else {
        Vec::new()
    };
    let may_return = d.can_act && {
        let mut conn = state.db.pool().acquire().await?;
        let own = store::ownership(&mut conn, id).await?;
        own.is_some_and(|(_, o)| o.escalated_from.is_some())
    };
    let owner = crate::attachment::Owner::of(crate::attachment::OwnerKind::Problem, id.0);
    let panel = crate::attachment::pages::panel(state, caller, Some(owner)).await?;
    Ok(DetailPage {
        panel,
        c: Chrome::for_caller(caller, &format!("/problems/{id}")),
        d,
        targets,
        may_return,
        channels: Channel::ALL.to_vec(),
        satisfactions: Satisfaction::ALL.to_vec(),
        outcomes: OutcomeKind::ALL.to_vec(),
        input,
        feedback_input,
        errors,
        failed,
        today: Day::today().iso(),
    })
}

/// `GET /problems/{id}`.
pub(super) async fn detail(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<ProblemId>,
) -> AppResult<Response> {
    let blank = (TransitionInput::default(), FeedbackInput::default());
    render(detail_view(&state, &caller, id, blank, FieldMessages::default(), "").await?)
}

/// `POST /problems/{id}/transition`: decide, escalate, return, reopen, close.
pub(super) async fn transition(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<ProblemId>,
    Form(input): Form<TransitionInput>,
) -> AppResult<Response> {
    let r = match input.parse() {
        Ok(action) => ops::transition(&state.db, &caller, id, action).await,
        Err(e) => Err(e),
    };
    submitted(
        &caller,
        r,
        |()| format!("/problems/{id}"),
        |errors| {
            let inputs = (input, FeedbackInput::default());
            detail_view(&state, &caller, id, inputs, errors, "transition")
        },
    )
    .await
}

/// `POST /problems/{id}/feedback`.
pub(super) async fn feedback(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<ProblemId>,
    Form(input): Form<FeedbackInput>,
) -> AppResult<Response> {
    let r = match input.parse() {
        Ok(f) => ops::give_feedback(&state.db, &caller, id, &f).await,
        Err(e) => Err(e),
    };
    submitted(
        &caller,
        r,
        |()| format!("/problems/{id}#feedback"),
        |errors| {
            let inputs = (TransitionInput::default(), input);
            detail_view(&state, &caller, id, inputs, errors, "feedback")
        },
    )
    .await
}

#[derive(Deserialize)]
pub(super) struct MainForm {
    main: Option<String>,
}

/// `POST /problems/{id}/main`: mark or unmark a main problem.
pub(super) async fn main(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<ProblemId>,
    Form(f): Form<MainForm>,
) -> AppResult<Response> {
    let r = match form::flag(&f.main) {
        Ok(main) => ops::set_main(&state.db, &caller, id, main).await,
        Err(_) => Err(AppError::field("main", "err-flag")),
    };
    submitted(
        &caller,
        r,
        |()| format!("/problems/{id}"),
        |errors| {
            let blank = (TransitionInput::default(), FeedbackInput::default());
            detail_view(&state, &caller, id, blank, errors, "main")
        },
    )
    .await
}

// ---- the topic list ----

#[derive(Template)]
#[template(path = "problem/topics.html")]
struct TopicsPage {
    c: Chrome,
    topics: Vec<TopicRow>,
    editable: bool,
    errors: FieldMessages,
}

async fn topics_view(
    state: &AppState,
    caller: &Caller,
    errors: FieldMessages,
) -> AppResult<TopicsPage> {
    Ok(TopicsPage {
        c: Chrome::for_caller(caller, "/topics"),
        topics: store::topic_rows(&state.db).await?,
        editable: ops::may_edit_topics(&state.db, caller).await?,
        errors,
    })
}

/// `GET /topics`.
pub(super) async fn topics(State(state): State<AppState>, caller: Caller) -> AppResult<Response> {
    render(topics_view(&state, &caller, FieldMessages::default()).await?)
}

/// `POST /topics`: add a topic.
pub(super) async fn create_topic(
    State(state): State<AppState>,
    caller: Caller,
    Form(input): Form<TopicInput>,
) -> AppResult<Response> {
    let r = ops::create_topic(&state.db, &caller, &input).await;
    submitted(
        &caller,
        r,
        |_| "/topics".to_string(),
        |errors| topics_view(&state, &caller, errors),
    )
    .await
}

/// `POST /topics/{id}`: rename, reorder, retire or restore a topic.
pub(super) async fn update_topic(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<TopicId>,
    Form(mut input): Form<TopicInput>,
) -> AppResult<Response> {
    // An unticked box is absent from the form: absent means inactive here.
    input.active = Some(input.active.unwrap_or_else(|| "0".into()));
    let r = ops::change_topic(&state.db, &caller, id, &input).await;
    submitted(
        &caller,
        r,
        |()| "/topics".to_string(),
        |errors| topics_view(&state, &caller, errors),
    )
    .await
}

// ---- the public side ----

async fn intake_org(state: &AppState, code: &str) -> AppResult<IntakeOrg> {
    store::intake_org(&state.db, code)
        .await?
        .ok_or(AppError::NotFound)
}

#[derive(Template)]
#[template(path = "problem/public_form.html")]
struct PublicPage {
    c: Chrome,
    org: IntakeOrg,
    input: PublicForm,
    errors: FieldMessages,
    sources: Vec<Source>,
    topics: Vec<Topic>,
    groups: Vec<WorkerGroup>,
}

impl PublicPage {
    fn value<'a>(&self, v: &'a Option<String>) -> &'a str {
        v.as_deref().unwrap_or("")
    }

    fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field)
    }
}

async fn public_view(
    state: &AppState,
    lang: Lang,
    org: IntakeOrg,
    input: PublicForm,
    errors: FieldMessages,
) -> AppResult<PublicPage> {
    Ok(PublicPage {
        c: Chrome::bare(lang, &format!("/p/{}", org.code)),
        org,
        input,
        errors,
        sources: Source::ALL.to_vec(),
        topics: store::topics(&state.db).await?,
        groups: WorkerGroup::ALL.to_vec(),
    })
}

/// `GET /p/{code}`: the public page of an org.
pub(super) async fn public_form(
    State(state): State<AppState>,
    lang: Lang,
    Path(code): Path<String>,
) -> AppResult<Response> {
    let org = intake_org(&state, &code).await?;
    let input = PublicForm {
        client_id: Some(random_token(12)),
        source: Some(Source::Worker.as_str().into()),
        ..Default::default()
    };
    render(public_view(&state, lang, org, input, FieldMessages::default()).await?)
}

/// The client's address as the rate limits key it.
fn client_of(state: &AppState, addr: SocketAddr, headers: &HeaderMap) -> String {
    client_ip(addr.ip(), headers, &state.settings.server.trusted_proxies).to_string()
}

/// `POST /p/{code}`: records what the worker raised, then shows its receipt;
/// or the form again with its errors. No caller here: the messages follow the
/// page's language.
pub(super) async fn public_submit(
    State(state): State<AppState>,
    lang: Lang,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(code): Path<String>,
    Form(input): Form<PublicForm>,
) -> AppResult<Response> {
    let org = intake_org(&state, &code).await?;
    let (client_id, fields) = match input.parse() {
        Ok(parsed) => parsed,
        Err(AppError::Validation(fs)) => {
            let errors = FieldMessages(
                fs.iter()
                    .map(|f| (f.field.clone(), f.message(lang)))
                    .collect(),
            );
            let page = public_view(&state, lang, org, input, errors).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(page)?).into_response());
        }
        Err(e) => return Err(e),
    };
    let client = client_of(&state, addr, &headers);
    let limit = (&*state.limiter, client.as_str());
    let id = ops::record_public(&state.db, &org, client_id, &fields, lang, limit).await?;
    let code = store::receipt_code_of(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Redirect::to(&format!("/receipt/{code}?new=1")).into_response())
}

#[derive(Template)]
#[template(path = "problem/receipt.html")]
struct ReceiptPage {
    c: Chrome,
    r: Option<Receipt>,
    new: bool,
    not_found: bool,
}

#[derive(Deserialize, Default)]
pub(super) struct ReceiptQuery {
    code: Option<String>,
    new: Option<String>,
}

/// `GET /receipt`: the form to type a receipt code, and where it leads.
pub(super) async fn lookup(
    State(state): State<AppState>,
    lang: Lang,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(q): Query<ReceiptQuery>,
) -> AppResult<Response> {
    let c = Chrome::bare(lang, "/receipt");
    let blank = |c, not_found| ReceiptPage {
        c,
        r: None,
        new: false,
        not_found,
    };
    match q.code.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => render(blank(c, false)),
        Some(raw) => {
            let client = client_of(&state, addr, &headers);
            match ops::receipt(&state.db, raw, (&*state.limiter, client.as_str())).await {
                Ok(r) => Ok(Redirect::to(&format!("/receipt/{}", r.code)).into_response()),
                Err(AppError::NotFound) => {
                    Ok((StatusCode::NOT_FOUND, render(blank(c, true))?).into_response())
                }
                Err(e) => Err(e),
            }
        }
    }
}

/// `GET /receipt/{code}`: where the problem stands and the feedback.
pub(super) async fn receipt(
    State(state): State<AppState>,
    lang: Lang,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(code): Path<String>,
    Query(q): Query<ReceiptQuery>,
) -> AppResult<Response> {
    let client = client_of(&state, addr, &headers);
    let r = ops::receipt(&state.db, &code, (&*state.limiter, client.as_str())).await?;
    render(ReceiptPage {
        c: Chrome::bare(lang, &format!("/receipt/{}", r.code)),
        r: Some(r),
        new: q.new.is_some(),
        not_found: false,
    })
}

/// The address a worker's phone opens: the public page under `server.public_url`.
fn public_link(state: &AppState, org: &IntakeOrg) -> String {
    crate::web::qr::public_url(&state.settings, "p", &org.code)
}

/// `GET /p/{code}/qr.svg`.
pub(super) async fn qr_svg(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> AppResult<Response> {
    let org = intake_org(&state, &code).await?;
    crate::web::qr::svg_response(&public_link(&state, &org))
}

/// `GET /p/{code}/qr.png`.
pub(super) async fn qr_png(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> AppResult<Response> {
    let org = intake_org(&state, &code).await?;
    crate::web::qr::png_download(&public_link(&state, &org), &format!("qr-{}.png", org.code))
}

#[derive(Template)]
#[template(path = "problem/poster.html")]
struct PosterPage {
    c: Chrome,
    org: IntakeOrg,
    link: String,
    svg: String,
}

/// `GET /p/{code}/poster`: a page to print and post at stations and
/// canteens: the org, the QR code, the address.
pub(super) async fn poster(
    State(state): State<AppState>,
    lang: Lang,
    Path(code): Path<String>,
) -> AppResult<Response> {
    let org = intake_org(&state, &code).await?;
    let link = public_link(&state, &org);
    let svg = crate::web::qr::svg_of(&link)?;
    render(PosterPage {
        c: Chrome::bare(lang, &format!("/p/{}/poster", org.code)),
        org,
        link,
        svg,
    })
}
